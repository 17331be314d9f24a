// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of goalloc under memory pressure. A
 * competing kthread, the hog, takes most of free memory; the reclaim that
 * this causes must call goalloc's shrinker, which gives the idle headroom
 * back; goalloc allocations that cannot be served then return NULL, are
 * counted and harm no other object; when the hog lets go, goalloc serves
 * the same sizes again and gives its pages back as usual. Each case prints
 * one "goalloc_pressure: case=... key=value ..." line.
 *
 * How reclaim reaches the shrinker in the test guests (6.1 tinyconfig: no
 * swap, no block device, no page cache to speak of, no memcg): nothing on
 * the LRU can be reclaimed, so every reclaim pass, kswapd's or a direct
 * one, runs down from priority 12 to 1 or 0 and calls shrink_slab() at
 * each, which with memcg off walks the global shrinker list. A shrinker
 * is asked to scan (count >> priority) * 4 / seeks objects a pass, its
 * shortfall deferred to the next; goalloc counts idle pages (1024 for one
 * idle chunk) in batches of a chunk, so the scan comes at priority 1 or a
 * little earlier. Pages a shrinker frees count as reclaimed only through
 * current->reclaim_state, which goalloc's shrinker feeds as slab does.
 * kswapd, woken below the low watermark, usually reaches the shrinker
 * first.
 *
 * Why the hog goes down to the min watermark, with no margin above it:
 * goalloc asks the buddy allocator for an order-1 block at least (a Go
 * page), so with a few free pages above min it would still be served. The
 * hog stops where __GFP_NORETRY requests fail, which leaves the reserve
 * below min to atomic and PF_MEMALLOC users; it never uses __GFP_HIGH.
 * While it holds that memory the case makes no KUnit check (a failing
 * one allocates its message with GFP_KERNEL, which may call the OOM
 * killer) and no allocation that could retry; the hog lets go about a
 * tenth of a second after its first failed request (exhausted_ms), and on
 * every exit path (struct pressure is a KUnit resource).
 *
 * fail_page_alloc (check.sh's faults boot) fails only tasks marked
 * make-it-fail; the case's kthreads and the hog never are.
 */

#define pr_fmt(fmt) "goalloc_pressure: " fmt

#include <kunit/resource.h>
#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/gfp.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/module.h>
#include <linux/nodemask.h>
#include <linux/sched.h>
#include <linux/sizes.h>
#include <linux/string.h>
#include <linux/timer.h>
#include <linux/tracepoint.h>
#include <linux/vmstat.h>

#include "goalloc_test.h"

MODULE_IMPORT_NS(GOALLOC_TEST_NS);

/*
 * 18432 bytes: 4 objects in a span of 9 Go pages, whose run needs a
 * 128 KiB buddy block (order 5) when the heap must grow, or one object in
 * a span of 3 (order 3) when that fails; no other case uses the class.
 * 1 MiB: a large object, an order-8 block. The burst (16 MiB of large
 * objects) leaves idle chunks, and its spans' metadata in
 * the heap's span pool, where spans of 4 objects and large objects take
 * theirs from (one bitmap word): allocations under pressure then fail
 * because the heap cannot grow, not because a kmalloc() of metadata
 * failed first, which is what happens in this guest with the pool empty.
 */
#define PRESSURE_SIZE		18432
#define PRESSURE_LARGE		SZ_1M
#define PRESSURE_BURST		SZ_128K
#define PRESSURE_BURST_N	128
#define PRESSURE_MAX_OBJS	1024

#define PRESSURE_NORETRY	(GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN)
#define PRESSURE_NOWAIT		(GFP_NOWAIT | __GFP_NOWARN)

/*
 * The mask that may reclaim, while memory is exhausted. Not under KASAN:
 * goalloc's metadata kmalloc() makes KASAN record the caller's stack, and
 * when the stack depot needs a new pool it allocates it with the caller's
 * flags cut down to GFP_KERNEL's and GFP_ATOMIC's (lib/stackdepot.c,
 * 6.1), __GFP_NORETRY gone: an order-2 request that retries, then calls
 * the OOM killer (seen on the debug kernel). GFP_NOWAIT cannot.
 */
#define PRESSURE_RECLAIM_GFP	(IS_ENABLED(CONFIG_KASAN) ? PRESSURE_NOWAIT : \
				 PRESSURE_NORETRY)

/* Live objects of every case: a few of each kind of span. */
static const unsigned int survivor_sizes[] = { 8, 192, 1504, 4096, 9000, 100000 };
#define SURVIVORS_PER_SIZE	4

/* Each word of an object derives from its address: overwrites show. */
static u64 obj_word(const void *p, size_t i)
{
	return ((unsigned long)p + i * 8) * 0x9e3779b97f4a7c15ULL;
}

/* Sizes here are multiples of 8. */
static void obj_fill(void *p, size_t size)
{
	u64 *w = p;
	size_t i;

	for (i = 0; i < size / 8; i++)
		w[i] = obj_word(p, i);
}

static bool obj_intact(const void *p, size_t size)
{
	const u64 *w = p;
	size_t i;

	for (i = 0; i < size / 8; i++)
		if (w[i] != obj_word(p, i))
			return false;
	return true;
}

/* ------------------------------------------------------------------ */
/* The hog */

/*
 * Bulk: the largest blocks first, neither reclaiming nor waking kswapd,
 * down to the high watermark. Then single pages as an ordinary kernel
 * user under pressure would ask for them: kswapd is woken below the low
 * watermark and, below the min watermark, each request reclaims directly
 * once and fails (__GFP_NORETRY: no retry, no OOM killer; no __GFP_HIGH:
 * the reserve below min stays untouched).
 */
#define HOG_BULK_GFP	((GFP_KERNEL & ~__GFP_RECLAIM) | __GFP_NORETRY | __GFP_NOWARN)
#define HOG_GFP		(GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN)
/* Failures in a row that end the hog: reclaim has nothing more to give. */
#define HOG_FAILS	4
#define HOG_ROUNDS	8
#define HOG_SETTLE_MS	20
#define HOG_TIMEOUT	(60 * HZ)
/*
 * Written over each page taken once reclaim has begun: had the shrinker
 * given back a chunk that still held objects, the hog would overwrite
 * them, and the objects' patterns would show it.
 */
#define HOG_POISON	0x5a

/**
 * struct hog - a kthread that takes free memory and holds it until stopped
 * @task:	the kthread, NULL once stopped
 * @full:	completed when it holds all it could take
 * @blocks:	the blocks it holds, linked by page->lru, order in
 *		page_private(); the kthread's until @full, then the stopper's
 * @pages:	kernel pages held
 * @bulk_pages:	of which taken without reclaim
 * @failures:	single-page requests that failed after direct reclaim
 * @exhausted:	when the first of them failed
 * @free_start:	free pages when it started
 * @free_full:	free pages when it had taken all it could
 */
struct hog {
	struct task_struct *task;
	struct completion full;
	struct list_head blocks;
	unsigned long pages;
	unsigned long bulk_pages;
	unsigned long failures;
	ktime_t exhausted;
	unsigned long free_start;
	unsigned long free_full;
};

static unsigned long free_pages_now(void)
{
	return global_zone_page_state(NR_FREE_PAGES);
}

/*
 * A watermark summed over the populated zones. Exact for this guest, whose
 * memory is one zone (DMA32); with several zones it ignores the lowmem
 * reserves, and the hog's stop is a little early or late, which matters
 * only to the bulk phase's speed.
 */
static unsigned long zones_watermark(enum zone_watermarks w)
{
	unsigned long sum = 0;
	struct zone *zone;
	int nid, z;

	for_each_online_node(nid) {
		for (z = 0; z < MAX_NR_ZONES; z++) {
			zone = &NODE_DATA(nid)->node_zones[z];
			if (populated_zone(zone))
				sum += wmark_pages(zone, w);
		}
	}
	return sum;
}

static void hog_keep(struct hog *h, struct page *page, unsigned int order)
{
	set_page_private(page, order);
	list_add(&page->lru, &h->blocks);
	h->pages += 1UL << order;
}

static void hog_take_bulk(struct hog *h)
{
	unsigned long high = zones_watermark(WMARK_HIGH);
	struct page *page;
	int order;

	for (order = GOALLOC_CHUNK_ORDER; order >= 0; order--) {
		while (free_pages_now() > high + (1UL << order) &&
		       !kthread_should_stop()) {
			page = alloc_pages(HOG_BULK_GFP, order);
			if (!page)
				break;
			hog_keep(h, page, order);
			cond_resched();
		}
	}
	h->bulk_pages = h->pages;
}

static void hog_take_until_failing(struct hog *h)
{
	unsigned int fails = 0;
	struct page *page;

	while (fails < HOG_FAILS && !kthread_should_stop()) {
		page = alloc_pages(HOG_GFP, 0);
		if (page) {
			memset(page_address(page), HOG_POISON, PAGE_SIZE);
			hog_keep(h, page, 0);
			fails = 0;
		} else {
			if (!h->failures++)
				h->exhausted = ktime_get();
			fails++;
		}
		cond_resched();
	}
}

/*
 * Taking the last free pageblocks steals them from other migrate types,
 * which boosts the watermarks until kswapd's next pass drops the boost:
 * then pages the hog could not take are free again. Take those too, until
 * a round after kswapd's pass takes nothing.
 */
static void hog_take_rest(struct hog *h)
{
	unsigned long pages;
	int round;

	for (round = 0; round < HOG_ROUNDS && !kthread_should_stop(); round++) {
		pages = h->pages;
		hog_take_until_failing(h);
		if (round && h->pages == pages)
			break;
		msleep(HOG_SETTLE_MS);
	}
}

static int hog_thread(void *arg)
{
	struct hog *h = arg;

	h->free_start = free_pages_now();
	hog_take_bulk(h);
	hog_take_rest(h);
	h->free_full = free_pages_now();
	complete(&h->full);

	set_current_state(TASK_INTERRUPTIBLE);
	while (!kthread_should_stop()) {
		schedule();
		set_current_state(TASK_INTERRUPTIBLE);
	}
	__set_current_state(TASK_RUNNING);
	return 0;
}

static int hog_start(struct hog *h)
{
	struct task_struct *t;

	t = kthread_run(hog_thread, h, "goalloc_hog");
	if (IS_ERR(t))
		return PTR_ERR(t);
	h->task = t;
	return 0;
}

/* Stop the hog and give back every page it took; a no-op the second time. */
static void hog_stop(struct hog *h)
{
	struct page *page, *tmp;

	if (h->task)
		kthread_stop(h->task);
	h->task = NULL;
	list_for_each_entry_safe(page, tmp, &h->blocks, lru) {
		unsigned int order = page_private(page);

		list_del(&page->lru);
		set_page_private(page, 0);
		__free_pages(page, order);
		cond_resched();
	}
}

/* ------------------------------------------------------------------ */
/* A case's objects and hog, released on every exit path */

struct pressure_obj {
	void *p;
	size_t size;
};

/*
 * What happened while memory was exhausted, checked once it is back; @ms:
 * how long it was, from the hog's first failed request to its release.
 */
struct exhausted {
	unsigned int small_served, small_nowait_served;
	unsigned int large_served, large_nowait_served;
	bool small_null, small_nowait_null, large_null, large_nowait_null;
	unsigned long span_free, cpu_objects;
	unsigned long alloc_failed, chunk_failures, fallbacks;
	unsigned int null_no_grow;
	unsigned long corrupted;
	int violations;
	s64 ms;
};

/**
 * struct pressure - the state of one case
 * @hog:	the competing kthread
 * @held:	the case keeps the scavenger off
 * @base:	heap totals when the case started, caches drained
 * @before:	heap totals just before the hog started
 * @full:	heap totals when the hog held all it could
 * @recovered:	heap totals once goalloc served again, before the frees
 * @ex:		what goalloc did while the hog held that memory
 * @nobjs:	objects in @objs
 * @objs:	the case's live goalloc objects, each holding its pattern
 */
struct pressure {
	struct hog hog;
	bool held;
	struct heap_stats base, before, full, recovered;
	struct exhausted ex;
	unsigned int nobjs;
	struct pressure_obj objs[PRESSURE_MAX_OBJS];
};

static int pressure_init(struct kunit_resource *res, void *context)
{
	struct pressure *pr = kzalloc(sizeof(*pr), GFP_KERNEL);

	if (!pr)
		return -ENOMEM;
	INIT_LIST_HEAD(&pr->hog.blocks);
	init_completion(&pr->hog.full);
	pr->held = *(bool *)context;
	if (pr->held)
		goalloc_scavenge_hold(true);
	res->data = pr;
	return 0;
}

/* Objects whose pattern changed since they were allocated. */
static unsigned long pressure_corrupted(const struct pressure *pr)
{
	unsigned long bad = 0;
	unsigned int i;

	for (i = 0; i < pr->nobjs; i++) {
		const struct pressure_obj *o = &pr->objs[i];

		if (o->p && !obj_intact(o->p, o->size))
			bad++;
	}
	return bad;
}

/* Free the objects from @first on, the most recent first. */
static void pressure_free_objs(struct pressure *pr, unsigned int first)
{
	while (pr->nobjs > first)
		goalloc_free(pr->objs[--pr->nobjs].p);
}

/* The hog first: a failed case must never leave memory exhausted. */
static void pressure_release(struct kunit_resource *res)
{
	struct pressure *pr = res->data;

	hog_stop(&pr->hog);
	pressure_free_objs(pr, 0);
	if (pr->held)
		goalloc_scavenge_hold(false);
	kfree(pr);
}

/*
 * Start a case: its state is a KUnit resource, so that the hog and every
 * object go whatever way the case ends. @hold keeps the scavenger off.
 */
static struct pressure *pressure_start(struct kunit *test, bool hold)
{
	struct pressure *pr;

	pr = kunit_alloc_resource(test, pressure_init, pressure_release,
				  GFP_KERNEL, &hold);
	KUNIT_ASSERT_NOT_NULL(test, pr);
	return pr;
}

/* Allocate, fill with the object's pattern and keep; NULL if not served. */
static void *pressure_alloc(struct pressure *pr, size_t size, gfp_t gfp)
{
	void *p;

	if (pr->nobjs == PRESSURE_MAX_OBJS)
		return NULL;
	p = goalloc_alloc(size, gfp);
	if (!p)
		return NULL;
	obj_fill(p, size);
	pr->objs[pr->nobjs].p = p;
	pr->objs[pr->nobjs].size = size;
	pr->nobjs++;
	return p;
}

static unsigned long chunk_failures_now(void)
{
	struct heap_stats hs;

	heap_stats_read(&hs);
	return hs.chunk_failures;
}

/*
 * Allocate @size until goalloc returns NULL. Return: objects served first;
 * *@null tells whether the NULL came (rather than the end of the table),
 * and *@no_grow counts it if the heap did not fail to grow on that call.
 */
static unsigned int pressure_fill(struct pressure *pr, size_t size, gfp_t gfp,
				  bool *null, unsigned int *no_grow)
{
	unsigned long failures;
	unsigned int n = 0;

	while (pr->nobjs < PRESSURE_MAX_OBJS) {
		failures = chunk_failures_now();
		if (!pressure_alloc(pr, size, gfp)) {
			*null = true;
			*no_grow += chunk_failures_now() == failures;
			return n;
		}
		n++;
	}
	*null = false;
	return n;
}

/*
 * Live objects of several classes and a large one, then a burst of large
 * objects freed at once: chunks that only the burst used are idle, and the
 * burst's span metadata is pooled (see PRESSURE_BURST). Caches are
 * drained, so no chunk stays pinned by a cached span.
 */
static void pressure_make_idle_chunks(struct kunit *test, struct pressure *pr)
{
	unsigned int i, j, survivors;

	for (i = 0; i < ARRAY_SIZE(survivor_sizes); i++)
		for (j = 0; j < SURVIVORS_PER_SIZE; j++)
			KUNIT_ASSERT_NOT_NULL(test, pressure_alloc(pr, survivor_sizes[i],
								   GFP_KERNEL));
	survivors = pr->nobjs;
	for (i = 0; i < PRESSURE_BURST_N; i++)
		KUNIT_ASSERT_NOT_NULL(test, pressure_alloc(pr, PRESSURE_BURST,
							   GFP_KERNEL));
	pressure_free_objs(pr, survivors);
	goalloc_drain(false);
}

/* ------------------------------------------------------------------ */
/* goalloc_pressure */

/*
 * Without pressure, goalloc keeps idle chunks up to its headroom: the
 * background scavenger gives back what lies beyond it, not the headroom.
 */
static void idle_headroom_survives_the_scavenger(struct kunit *test)
{
	struct pressure *pr = pressure_start(test, true);
	struct heap_stats base, burst, st;
	unsigned long headroom;
	void *p;
	int ms;

	goalloc_drain(true);
	heap_stats_read(&base);
	pressure_make_idle_chunks(test, pr);
	headroom = heap_headroom_pages();
	KUNIT_ASSERT_GT_MSG(test, headroom, 0UL,
			    "goalloc keeps no headroom (headroom_min_kb=0?)");

	/*
	 * Held until now, so that it could not run halfway through the
	 * burst; a free beyond the headroom schedules it, a second later.
	 */
	goalloc_scavenge_hold(false);
	pr->held = false;
	p = goalloc_alloc(PRESSURE_BURST, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	goalloc_free(p);
	heap_stats_read(&burst);
	KUNIT_ASSERT_GT(test, burst.idle_pages, headroom);

	for (ms = 0; ms < 5000; ms += 50) {
		heap_stats_read(&st);
		if (st.idle_pages <= headroom)
			break;
		msleep(50);
	}
	KUNIT_EXPECT_LE(test, st.idle_pages, headroom);
	KUNIT_EXPECT_GT(test, st.idle_pages, 0UL);
	KUNIT_EXPECT_EQ(test, st.pages_returned - burst.pages_returned,
			burst.idle_pages - st.idle_pages);

	/* Another pass finds nothing beyond the headroom. */
	goalloc_scavenge();
	heap_stats_read(&burst);
	KUNIT_EXPECT_EQ(test, burst.idle_pages, st.idle_pages);
	KUNIT_EXPECT_EQ(test, burst.pages_returned, st.pages_returned);

	KUNIT_EXPECT_EQ(test, pressure_corrupted(pr), 0UL);
	pressure_free_objs(pr, 0);
	goalloc_drain(true);
	heap_stats_read(&st);
	KUNIT_EXPECT_EQ(test, st.sys_pages, base.sys_pages);
}

/*
 * While the hog holds memory: fill PRESSURE_SIZE's spans until goalloc
 * must grow and cannot, with either mask, then a large object. On one CPU,
 * so that no other CPU's cached span or magazine holds a free object the
 * class stats would count. No KUnit check in here: a failing one
 * allocates its message with GFP_KERNEL.
 */
static void pressure_exhausted(struct pressure *pr, struct exhausted *ex)
{
	unsigned long fallbacks = events(EV_SPAN_FALLBACK);
	unsigned long failed = events(EV_ALLOC_FAIL);
	struct goalloc_class_stats st;
	struct heap_stats hs;

	migrate_disable();
	ex->small_served = pressure_fill(pr, PRESSURE_SIZE, PRESSURE_RECLAIM_GFP,
					 &ex->small_null, &ex->null_no_grow);
	goalloc_class_stats(size_to_class(PRESSURE_SIZE), &st);
	ex->span_free = st.free;
	ex->cpu_objects = st.cpu_objects;
	ex->small_nowait_served = pressure_fill(pr, PRESSURE_SIZE, PRESSURE_NOWAIT,
						&ex->small_nowait_null,
						&ex->null_no_grow);
	migrate_enable();
	ex->large_served = pressure_fill(pr, PRESSURE_LARGE, PRESSURE_RECLAIM_GFP,
					 &ex->large_null, &ex->null_no_grow);
	ex->large_nowait_served = pressure_fill(pr, PRESSURE_LARGE, PRESSURE_NOWAIT,
						&ex->large_nowait_null,
						&ex->null_no_grow);
	ex->alloc_failed = events(EV_ALLOC_FAIL) - failed;
	ex->fallbacks = events(EV_SPAN_FALLBACK) - fallbacks;
	heap_stats_read(&hs);
	ex->chunk_failures = hs.chunk_failures - pr->full.chunk_failures;
	ex->corrupted = pressure_corrupted(pr);
	ex->violations = goalloc_verify(NULL);
}

/*
 * Start the hog and, once it holds all it could take, check what goalloc
 * does; the hog lets go before any KUnit check.
 */
static void pressure_run_hog(struct kunit *test, struct pressure *pr)
{
	struct exhausted *ex = &pr->ex;
	bool done;

	KUNIT_ASSERT_EQ(test, hog_start(&pr->hog), 0);
	done = wait_for_completion_timeout(&pr->hog.full, HOG_TIMEOUT);
	heap_stats_read(&pr->full);
	if (done)
		pressure_exhausted(pr, ex);
	if (pr->hog.failures)
		ex->ms = ktime_ms_delta(ktime_get(), pr->hog.exhausted);
	hog_stop(&pr->hog);
	KUNIT_ASSERT_TRUE_MSG(test, done, "the hog did not finish in %d s",
			      HOG_TIMEOUT / HZ);

	pr_info("case=pressure free_start=%lu wmark_min=%lu wmark_low=%lu wmark_high=%lu hog_pages=%lu hog_bulk_pages=%lu hog_failures=%lu free_full=%lu idle_before=%lu idle_full=%lu shrinker_calls=%lu shrinker_pages=%lu small_served=%u small_nowait_served=%u large_served=%u large_nowait_served=%u alloc_failed=%lu grow_failures=%lu span_fallbacks=%lu null_no_grow=%u exhausted_ms=%lld corruptions=%lu verify_violations=%d\n",
		pr->hog.free_start, zones_watermark(WMARK_MIN),
		zones_watermark(WMARK_LOW), zones_watermark(WMARK_HIGH),
		pr->hog.pages, pr->hog.bulk_pages, pr->hog.failures,
		pr->hog.free_full, pr->before.idle_pages, pr->full.idle_pages,
		pr->full.shrinker_calls - pr->before.shrinker_calls,
		pr->full.shrinker_pages - pr->before.shrinker_pages,
		ex->small_served, ex->small_nowait_served, ex->large_served,
		ex->large_nowait_served, ex->alloc_failed, ex->chunk_failures,
		ex->fallbacks, ex->null_no_grow, ex->ms, ex->corrupted, ex->violations);
}

/* Reclaim, not this test, called the shrinker and took the headroom. */
static void expect_reclaim_took_headroom(struct kunit *test,
					 const struct pressure *pr)
{
	const struct heap_stats *before = &pr->before, *full = &pr->full;

	KUNIT_EXPECT_GT_MSG(test, pr->hog.failures, 0UL,
			    "the hog never met exhausted memory");
	KUNIT_EXPECT_GT(test, full->shrinker_calls, before->shrinker_calls);
	KUNIT_EXPECT_EQ(test, full->shrinker_pages - before->shrinker_pages,
			before->idle_pages);
	KUNIT_EXPECT_EQ(test, full->pages_returned - before->pages_returned,
			before->idle_pages);
	KUNIT_EXPECT_EQ(test, full->idle_pages, 0UL);
}

static void expect_clean_failures(struct kunit *test, const struct exhausted *ex)
{
	KUNIT_EXPECT_TRUE_MSG(test, ex->small_null,
			      "%u objects of %u bytes served, no NULL",
			      ex->small_served, PRESSURE_SIZE);
	KUNIT_EXPECT_TRUE(test, ex->small_nowait_null);
	KUNIT_EXPECT_TRUE(test, ex->large_null);
	KUNIT_EXPECT_TRUE(test, ex->large_nowait_null);
	/* NULL because every span of the class was full, not a lost slot. */
	KUNIT_EXPECT_EQ(test, ex->span_free, 0UL);
	KUNIT_EXPECT_EQ(test, ex->cpu_objects, 0UL);
	KUNIT_EXPECT_EQ(test, ex->alloc_failed, 4UL);
	/*
	 * Each NULL because the heap could not grow (see PRESSURE_BURST),
	 * not for want of metadata only. A small object's allocation may ask
	 * for a chunk twice, for its class's span and for its smallest
	 * (spans_create()), and small objects served by the smallest spans
	 * count the first's failure: the totals do not match one for one.
	 */
	KUNIT_EXPECT_EQ(test, ex->null_no_grow, 0U);
	KUNIT_EXPECT_GE(test, ex->chunk_failures, ex->alloc_failed);
	KUNIT_EXPECT_EQ(test, ex->corrupted, 0UL);
	KUNIT_EXPECT_EQ(test, ex->violations, 0);
}

static const struct {
	size_t size;
	gfp_t gfp;
	const char *what;
} recovery[] = {
	{ PRESSURE_SIZE, PRESSURE_NORETRY, "small, GFP_KERNEL | __GFP_NORETRY" },
	{ PRESSURE_SIZE, PRESSURE_NOWAIT, "small, GFP_NOWAIT" },
	{ PRESSURE_LARGE, PRESSURE_NORETRY, "large, GFP_KERNEL | __GFP_NORETRY" },
	{ PRESSURE_LARGE, PRESSURE_NOWAIT, "large, GFP_NOWAIT" },
};

/* Memory is back: the same sizes are served, with either mask. */
static void expect_served_again(struct kunit *test, struct pressure *pr)
{
	unsigned long failed = events(EV_ALLOC_FAIL);
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(recovery); i++)
		KUNIT_EXPECT_NOT_NULL_MSG(test, pressure_alloc(pr, recovery[i].size,
							       recovery[i].gfp),
					  "%s", recovery[i].what);
	KUNIT_EXPECT_EQ(test, events(EV_ALLOC_FAIL), failed);
	KUNIT_EXPECT_EQ(test, pressure_corrupted(pr), 0UL);
	KUNIT_EXPECT_EQ(test, goalloc_verify(NULL), 0);
}

/*
 * Everything freed: a scavenger pass leaves at most the headroom and a
 * drain gives back every page the case took. Whether the headroom is
 * still there is not checked: kswapd, woken by the hog, may still be
 * finishing its reclaim pass and take it through the shrinker.
 */
static void expect_pages_go_back(struct kunit *test, struct pressure *pr)
{
	struct heap_stats st;

	heap_stats_read(&pr->recovered);
	pressure_free_objs(pr, 0);
	goalloc_drain(false);
	goalloc_scavenge();
	heap_stats_read(&st);
	KUNIT_EXPECT_LE(test, st.idle_pages, heap_headroom_pages());
	goalloc_drain(true);
	heap_stats_read(&st);
	KUNIT_EXPECT_EQ(test, st.sys_pages, pr->base.sys_pages);
	KUNIT_EXPECT_EQ(test, st.pages_returned - pr->recovered.pages_returned,
			pr->recovered.sys_pages - pr->base.sys_pages);
}

static void pressure_takes_headroom_and_goalloc_recovers(struct kunit *test)
{
	struct pressure *pr = pressure_start(test, true);

	goalloc_drain(true);
	heap_stats_read(&pr->base);
	pressure_make_idle_chunks(test, pr);
	goalloc_scavenge();
	heap_stats_read(&pr->before);
	KUNIT_ASSERT_GT_MSG(test, pr->before.idle_pages, 0UL,
			    "no idle headroom for reclaim to take");
	KUNIT_ASSERT_LE(test, pr->before.idle_pages, heap_headroom_pages());

	pressure_run_hog(test, pr);
	expect_reclaim_took_headroom(test, pr);
	expect_clean_failures(test, &pr->ex);
	expect_served_again(test, pr);
	expect_pages_go_back(test, pr);
}

/* ------------------------------------------------------------------ */
/* Costly orders: fail_page_alloc failing every request above order 3 */

#ifdef CONFIG_FAULT_INJECTION
/*
 * kmalloc asks for buddy blocks up to PAGE_ALLOC_COSTLY_ORDER for sizes up
 * to 32 KiB; check.sh's faults boot loads this suite with fail_page_alloc
 * failing every request above it from tasks marked make-it-fail.
 */
#define COSTLY_ORDER		PAGE_ALLOC_COSTLY_ORDER
#define COSTLY_SPAN_PAGES	(SZ_32K / GOALLOC_PAGE_SIZE)
#define COSTLY_MAX_OBJS		8192

struct fail_clear {
	struct timer_list timer;
	struct task_struct *task;
	bool fired;
};

static void fail_clear_fn(struct timer_list *t)
{
	struct fail_clear *fc = from_timer(fc, t, timer);

	WRITE_ONCE(fc->task->make_it_fail, 0);
	WRITE_ONCE(fc->fired, true);
}

/**
 * struct costly - the state of a costly-orders case, a KUnit resource
 * @nruns:	Go pages of the heap the case took, one run each
 * @ch:		each run's chunk
 * @first:	each run's page
 * @nobjs:	objects in @objs
 * @objs:	the case's goalloc objects
 * @tp:		mm_page_alloc, while nofail_probe() is on it
 * @nofail:	page requests with __GFP_NOFAIL above order 1 from tasks
 *		marked make-it-fail: the case's
 * @nofail_order: the order of the last of them
 */
struct costly {
	unsigned int nruns;
	struct heap_chunk **ch;
	unsigned int *first;
	unsigned int nobjs;
	void **objs;
	struct tracepoint *tp;
	unsigned int nofail;
	unsigned int nofail_order;
};

static unsigned long heap_free_gopages_now(void)
{
	struct heap_stats st;

	heap_stats_read(&st);
	return (st.sys_pages - st.inuse_pages) >> GOALLOC_PAGE_ORDER;
}

#ifdef CONFIG_TRACEPOINTS
/* The buddy allocator's tracepoint, called for every request, served or not. */
static void nofail_probe(void *data, struct page *page, unsigned int order,
			 gfp_t gfp, int migratetype)
{
	struct costly *c = data;

	if (order > 1 && (gfp & __GFP_NOFAIL) && current->make_it_fail) {
		c->nofail++;
		c->nofail_order = order;
	}
}

static void find_page_alloc_tp(struct tracepoint *tp, void *priv)
{
	struct tracepoint **found = priv;

	if (!strcmp(tp->name, "mm_page_alloc"))
		*found = tp;
}

/* Count @c's __GFP_NOFAIL requests above order 1 from now on. */
static int nofail_watch(struct costly *c)
{
	struct tracepoint *tp = NULL;
	int err;

	for_each_kernel_tracepoint(find_page_alloc_tp, &tp);
	if (!tp)
		return -ENOENT;
	err = tracepoint_probe_register(tp, nofail_probe, c);
	if (!err)
		c->tp = tp;
	return err;
}

static void nofail_unwatch(struct costly *c)
{
	if (!c->tp)
		return;
	tracepoint_probe_unregister(c->tp, nofail_probe, c);
	tracepoint_synchronize_unregister();
	c->tp = NULL;
}
#else
static int nofail_watch(struct costly *c)
{
	return -ENOENT;
}

static void nofail_unwatch(struct costly *c)
{
}
#endif

static int costly_init(struct kunit_resource *res, void *context)
{
	struct costly *c = kzalloc(sizeof(*c), GFP_KERNEL);

	if (!c)
		return -ENOMEM;
	c->objs = kvcalloc(COSTLY_MAX_OBJS, sizeof(*c->objs), GFP_KERNEL);
	if (!c->objs) {
		kfree(c);
		return -ENOMEM;
	}
	res->data = c;
	return 0;
}

static void costly_release(struct kunit_resource *res)
{
	struct costly *c = res->data;

	current->make_it_fail = 0;
	nofail_unwatch(c);
	while (c->nobjs)
		goalloc_free(c->objs[--c->nobjs]);
	while (c->nruns) {
		c->nruns--;
		heap_free_run(c->ch[c->nruns], c->first[c->nruns], 1);
	}
	kvfree(c->ch);
	kvfree(c->first);
	kvfree(c->objs);
	kfree(c);
	goalloc_drain(true);
}

/*
 * Start a case: take every free page of goalloc's heap, so that a span
 * needs a new chunk, and mark this task make-it-fail. Skipped unless
 * fail_page_alloc then fails requests above COSTLY_ORDER and serves
 * those up to it.
 */
static struct costly *costly_start(struct kunit *test)
{
	struct costly *c;
	struct page *page;
	unsigned int max;

	c = kunit_alloc_resource(test, costly_init, costly_release, GFP_KERNEL,
				 NULL);
	KUNIT_ASSERT_NOT_NULL(test, c);
	goalloc_drain(true);
	max = heap_free_gopages_now();
	c->ch = kvcalloc(max ?: 1, sizeof(*c->ch), GFP_KERNEL);
	c->first = kvcalloc(max ?: 1, sizeof(*c->first), GFP_KERNEL);
	KUNIT_ASSERT_TRUE(test, c->ch && c->first);
	while (c->nruns < max && heap_free_gopages_now()) {
		KUNIT_ASSERT_EQ(test, heap_alloc_run(1, 1, GFP_KERNEL,
						     &c->ch[c->nruns],
						     &c->first[c->nruns]), 0);
		c->nruns++;
	}
	KUNIT_ASSERT_EQ(test, heap_free_gopages_now(), 0UL);

	current->make_it_fail = 1;
	page = alloc_pages(GFP_KERNEL | __GFP_NOWARN, COSTLY_ORDER + 1);
	if (page) {
		__free_pages(page, COSTLY_ORDER + 1);
		kunit_skip(test, "order-%d requests are not failed (fail_page_alloc not armed)",
			   COSTLY_ORDER + 1);
	}
	page = alloc_pages(GFP_KERNEL | __GFP_NOWARN, COSTLY_ORDER);
	if (!page)
		kunit_skip(test, "order-%d requests fail too", COSTLY_ORDER);
	__free_pages(page, COSTLY_ORDER);
	return c;
}

/*
 * Allocate objects of size class @cls with @gfp until one must come from
 * a new span: one more than the class's free slots and cached objects.
 * Return: false if goalloc returned NULL first.
 */
static bool costly_alloc_class(struct kunit *test, struct costly *c,
			       unsigned int cls, gfp_t gfp)
{
	struct goalloc_class_stats st;
	unsigned long want;
	void *p;

	goalloc_class_stats(cls, &st);
	want = st.free + st.cpu_objects + 1;
	KUNIT_ASSERT_LE(test, c->nobjs + want, (unsigned long)COSTLY_MAX_OBJS);
	while (want--) {
		p = goalloc_alloc(class_info[cls].size, gfp);
		if (!p)
			return false;
		c->objs[c->nobjs++] = p;
		/* Served by a fallback span or not, aligned as kmalloc's. */
		if (is_power_of_2(class_info[cls].size))
			KUNIT_EXPECT_TRUE_MSG(test, IS_ALIGNED((unsigned long)p,
							       class_info[cls].size),
					      "%u bytes: misaligned", class_info[cls].size);
	}
	return true;
}

/*
 * Every size class is served when the heap must grow and the buddy
 * allocator fails every block above order 3: a class whose span of 5 to
 * 10 Go pages needs an order-4 or order-5 block falls back to a span of
 * one object (spans_create()), as kmalloc of those sizes asks for order
 * 1 to 3 only.
 */
static void every_class_is_served_when_costly_orders_fail(struct kunit *test)
{
	unsigned long fallbacks = events(EV_SPAN_FALLBACK);
	struct costly *c = costly_start(test);
	unsigned int cls, costly = 0;

	for (cls = 1; cls < GOALLOC_NUM_CLASSES; cls++) {
		KUNIT_EXPECT_TRUE_MSG(test, costly_alloc_class(test, c, cls,
							       GFP_KERNEL | __GFP_NOWARN),
				      "%u bytes, spans of %u Go pages: NULL",
				      class_info[cls].size, class_info[cls].npages);
		costly += class_info[cls].npages > COSTLY_SPAN_PAGES;
	}
	current->make_it_fail = 0;
	KUNIT_EXPECT_GE(test, events(EV_SPAN_FALLBACK) - fallbacks,
			(unsigned long)costly);
	KUNIT_EXPECT_EQ(test, goalloc_verify(NULL), 0);
}

/*
 * __GFP_NOFAIL reaches the buddy allocator at order 0 or 1 only, which
 * rmqueue() does not warn of: mm_page_alloc, which the allocator traces
 * every request with, must see none of this task's above. Every size
 * class, each needing a new span; then a 64 KiB large object, an order-4
 * block, which goalloc must retry without the flag until a timer clears
 * the task's make-it-fail mark 200 ms later. Fault injection leaves
 * __GFP_NOFAIL requests alone: had the flag gone to the allocator, the
 * object would be served at once.
 */
static void nofail_never_reaches_the_buddy_allocator_above_order_1(struct kunit *test)
{
	struct fail_clear fc = { .task = current };
	struct costly *c = costly_start(test);
	unsigned int cls;
	void *p;

	if (nofail_watch(c))
		kunit_skip(test, "no probe on the mm_page_alloc tracepoint");

	for (cls = 1; cls < GOALLOC_NUM_CLASSES; cls++)
		KUNIT_EXPECT_TRUE(test, costly_alloc_class(test, c, cls,
							   GFP_KERNEL | __GFP_NOFAIL));
	timer_setup_on_stack(&fc.timer, fail_clear_fn, 0);
	mod_timer(&fc.timer, jiffies + msecs_to_jiffies(200));
	p = goalloc_alloc(SZ_64K, GFP_KERNEL | __GFP_NOFAIL);
	del_timer_sync(&fc.timer);
	destroy_timer_on_stack(&fc.timer);
	current->make_it_fail = 0;
	KUNIT_ASSERT_NOT_NULL(test, p);
	c->objs[c->nobjs++] = p;
	KUNIT_EXPECT_TRUE_MSG(test, fc.fired, "served before its requests stopped failing");
	KUNIT_EXPECT_EQ_MSG(test, c->nofail, 0U,
			    "requests with __GFP_NOFAIL above order 1, the last of order %u",
			    c->nofail_order);
}
#else
static void every_class_is_served_when_costly_orders_fail(struct kunit *test)
{
	kunit_skip(test, "CONFIG_FAULT_INJECTION is off");
}

static void nofail_never_reaches_the_buddy_allocator_above_order_1(struct kunit *test)
{
	kunit_skip(test, "CONFIG_FAULT_INJECTION is off");
}
#endif

static struct kunit_case pressure_cases[] = {
	KUNIT_CASE(every_class_is_served_when_costly_orders_fail),
	KUNIT_CASE(nofail_never_reaches_the_buddy_allocator_above_order_1),
	KUNIT_CASE(idle_headroom_survives_the_scavenger),
	KUNIT_CASE(pressure_takes_headroom_and_goalloc_recovers),
	{}
};

static struct kunit_suite pressure_suite = {
	.name = "goalloc_pressure",
	.test_cases = pressure_cases,
};

kunit_test_suites(&pressure_suite);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit tests for goalloc: memory pressure, shrinker, recovery");
