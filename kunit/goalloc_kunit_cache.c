// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of goalloc's caches, kmem_cache's shape: constructors (once
 * per object, across CPUs and CPU hotplug; objects come back constructed),
 * alignment, bulk calls (all or nothing), SLAB_TYPESAFE_BY_RCU,
 * goalloc_free_rcu(), goalloc_owns(), bad input, and threads on every CPU
 * mixing all of them. Cases that provoke reports announce them
 * (EXPECT_REPORTS), so they print as info; a report where none may come
 * fails its case (EXPECT_NO_REPORT) rather than printing a WARN. A cache's
 * objects in use, allocations and frees are read as debugfs "caches"
 * shows them (goalloc_cache_row()).
 */

#define pr_fmt(fmt) "goalloc_kunit_cache: " fmt

#include <kunit/test.h>
#include <linux/cache.h>
#include <linux/completion.h>
#include <linux/cpu.h>
#include <linux/delay.h>
#include <linux/fault-inject.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/prandom.h>
#include <linux/random.h>
#include <linux/rcupdate.h>
#include <linux/sort.h>
#include <linux/spinlock.h>
#include <linux/timer.h>
#include <linux/vmalloc.h>
#include <linux/workqueue.h>

#include "goalloc_test.h"

MODULE_IMPORT_NS(GOALLOC_TEST_NS);

/* ------------------------------------------------------------------ */
/* Objects, constructors and patterns */

#define COBJ_MAGIC	0x636f626aU	/* the constructor's mark: the type */
#define COBJ_WORDS	16

/*
 * The object of most cases. The constructor writes @magic, @seq and
 * @words; a user writes other words and restores the constructor's before
 * the free, as a kmem_cache user keeps its objects' constructed state.
 */
struct cobj {
	u32 magic;
	u32 seq;		/* the constructor call that made it */
	struct rcu_head rh;	/* goalloc_free_rcu() writes here */
	u64 words[COBJ_WORDS];
};

/* An object over 32 KiB: a span of its own. */
#define BIG_SIZE	(33 * 1024)

struct bobj {
	struct cobj head;
	u8 pad[BIG_SIZE - sizeof(struct cobj) - sizeof(u64)];
	u64 tail;
};

static_assert(sizeof(struct bobj) == BIG_SIZE);

static atomic_t cobj_ctor_calls = ATOMIC_INIT(0);
static atomic_t bobj_ctor_calls = ATOMIC_INIT(0);

static u64 ctor_word(const void *p, unsigned int i)
{
	return ((unsigned long)p + i * 8) * 0x9e3779b97f4a7c15ULL;
}

static u64 user_word(const void *p, unsigned int i)
{
	return ~ctor_word(p, i) ^ 0x5a5a;
}

static void cobj_construct(struct cobj *o, atomic_t *calls)
{
	unsigned int i;

	o->magic = COBJ_MAGIC;
	o->seq = atomic_inc_return(calls);
	for (i = 0; i < COBJ_WORDS; i++)
		o->words[i] = ctor_word(o, i);
}

static void cobj_ctor(void *p)
{
	cobj_construct(p, &cobj_ctor_calls);
}

static void bobj_ctor(void *p)
{
	struct bobj *b = p;

	cobj_construct(&b->head, &bobj_ctor_calls);
	b->tail = ctor_word(b, BIG_SIZE / 8);
}

/* In its constructed state, as the constructor or the last user left it? */
static bool cobj_constructed(const struct cobj *o)
{
	unsigned int i;

	if (READ_ONCE(o->magic) != COBJ_MAGIC)
		return false;
	for (i = 0; i < COBJ_WORDS; i++)
		if (o->words[i] != ctor_word(o, i))
			return false;
	return true;
}

static bool bobj_constructed(const struct bobj *b)
{
	return cobj_constructed(&b->head) &&
	       b->tail == ctor_word(b, BIG_SIZE / 8);
}

/* A user's writes, checked and undone before the free. */
static void cobj_use(struct cobj *o)
{
	unsigned int i;

	for (i = 0; i < COBJ_WORDS; i++)
		o->words[i] = user_word(o, i);
}

static bool cobj_used_ok(const struct cobj *o)
{
	unsigned int i;

	for (i = 0; i < COBJ_WORDS; i++)
		if (o->words[i] != user_word(o, i))
			return false;
	return true;
}

static void cobj_restore(struct cobj *o)
{
	unsigned int i;

	for (i = 0; i < COBJ_WORDS; i++)
		o->words[i] = ctor_word(o, i);
}

/* ------------------------------------------------------------------ */
/* Helpers */

static struct goalloc_cache *cache_new(struct kunit *test, const char *name,
				       unsigned int size, unsigned int align,
				       slab_flags_t flags, void (*ctor)(void *))
{
	struct goalloc_cache *c = goalloc_cache_create(name, size, align, flags,
						       ctor);

	KUNIT_ASSERT_NOT_NULL_MSG(test, c, "cache %s of %u bytes, align %u",
				  name, size, align);
	return c;
}

static struct goalloc_cache *cobj_cache(struct kunit *test, const char *name,
					slab_flags_t flags)
{
	return cache_new(test, name, sizeof(struct cobj), 0, flags, cobj_ctor);
}

/*
 * The numbers of @c's row in debugfs "caches". Out of line, as
 * cache_inuse(): inlined, each call's copy takes the callers' frames past
 * 1 KiB on the debug kernel.
 */
static noinline struct goalloc_cache_row cache_row(struct goalloc_cache *c)
{
	struct goalloc_cache_row r;

	goalloc_cache_row(c, &r);
	return r;
}

/* Objects of @c that callers hold, as its statistics count them. */
static noinline unsigned long cache_inuse(struct goalloc_cache *c)
{
	return cache_row(c).inuse;
}

/* Every kind of refusal of bad input, summed. */
static unsigned long refusals(void)
{
	static const enum goalloc_event evs[] = {
		EV_REFUSED_FOREIGN, EV_REFUSED_INTERIOR, EV_REFUSED_DOUBLE_FREE,
		EV_REFUSED_USE_AFTER_FREE, EV_REFUSED_TOO_BIG,
		EV_REFUSED_WRONG_CACHE, EV_CACHE_MISUSE, EV_CACHE_LEAKED,
	};
	unsigned long sum[NR_GOALLOC_EVENTS], n = 0;
	unsigned int i;

	goalloc_counters_sum(sum);
	for (i = 0; i < ARRAY_SIZE(evs); i++)
		n += sum[evs[i]];
	return n;
}

/*
 * Reports of one call: announced, so that those that come print as info
 * and the case checks that @want came (one more is announced, so that an
 * unexpected one does not WARN either) and that each was counted.
 */
static unsigned long reports_begin(int want)
{
	goalloc_expect_reports(want + 1);
	return refusals();
}

static void reports_end(struct kunit *test, unsigned long before, int want,
			const char *what)
{
	KUNIT_EXPECT_EQ_MSG(test, goalloc_expect_reports(0), 1,
			    "%s: not the %d reports expected", what, want);
	KUNIT_EXPECT_EQ_MSG(test, refusals() - before, (unsigned long)want,
			    "refusals counted for %s", what);
}

/* @call must not report anything: a report fails the case, not a WARN. */
#define EXPECT_NO_REPORT(test, call) do {				\
	unsigned long __before = reports_begin(0);			\
									\
	call;								\
	reports_end(test, __before, 0, #call);				\
} while (0)

/* @call is refused with exactly @n reports, of whatever kinds. */
#define EXPECT_REFUSALS(test, n, call) do {				\
	int __want = (n);						\
	unsigned long __before = reports_begin(__want);			\
									\
	call;								\
	reports_end(test, __before, __want, #call);			\
} while (0)

/* Destroy @c, which holds no object in use: nothing may be reported. */
static void cache_destroy_clean(struct kunit *test, struct goalloc_cache *c)
{
	EXPECT_NO_REPORT(test, goalloc_cache_destroy(c));
}

static int ptr_cmp(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a;
	unsigned long y = *(const unsigned long *)b;

	return x < y ? -1 : x > y;
}

/*
 * Are the @n objects of @size bytes at @objs distinct and apart? Sorts
 * @objs.
 */
static bool objects_apart(void **objs, unsigned int n, size_t size)
{
	unsigned int i;

	sort(objs, n, sizeof(*objs), ptr_cmp, NULL);
	for (i = 1; i < n; i++)
		if ((unsigned long)objs[i] - (unsigned long)objs[i - 1] < size)
			return false;
	return true;
}

/*
 * Mark in @keep the first of @objs in each of their spans, so that,
 * kept allocated, no span of theirs goes empty and back to the heap.
 */
static void keep_one_per_span(void *const *objs, unsigned int n, bool *keep)
{
	unsigned int i, j;

	for (i = 0; i < n; i++) {
		keep[i] = true;
		for (j = 0; j < i; j++) {
			if (keep[j] && span_of(objs[j]) == span_of(objs[i])) {
				keep[i] = false;
				break;
			}
		}
	}
}

static int index_of(void *const *objs, unsigned int n, const void *p)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (objs[i] == p)
			return i;
	return -1;
}

/* The first two online CPUs; the case is skipped with one. */
static void two_online_cpus(struct kunit *test, int *a, int *b)
{
	if (num_online_cpus() < 2)
		kunit_skip(test, "needs two CPUs");
	*a = cpumask_first(cpu_online_mask);
	*b = cpumask_next(*a, cpu_online_mask);
}

/* Work for work_on_cpu(): cobj objects of a constructor cache. */
struct on_cpu {
	struct goalloc_cache *c;
	void **objs;
	const bool *keep;	/* objects the free leaves allocated, or NULL */
	unsigned int n;
	unsigned int bad;	/* not constructed, or a user's writes lost */
};

/* Allocate x->n objects; each must be constructed; then use it. */
static long alloc_constructed(void *arg)
{
	struct on_cpu *x = arg;
	unsigned int i;

	for (i = 0; i < x->n; i++) {
		x->objs[i] = goalloc_cache_alloc(x->c, GFP_KERNEL);
		if (!x->objs[i])
			return -ENOMEM;
		if (!cobj_constructed(x->objs[i]))
			x->bad++;
		cobj_use(x->objs[i]);
	}
	return 0;
}

/* Check the user's writes, restore the constructed state and free. */
static void free_used(struct goalloc_cache *c, struct cobj *o,
		      unsigned int *bad)
{
	if (!cobj_used_ok(o))
		(*bad)++;
	cobj_restore(o);
	goalloc_cache_free(c, o);
}

static long free_constructed(void *arg)
{
	struct on_cpu *x = arg;
	unsigned int i;

	for (i = 0; i < x->n; i++)
		if (!x->keep || !x->keep[i])
			free_used(x->c, x->objs[i], &x->bad);
	return 0;
}

/*
 * A reader in an RCU read-side critical section from its start until it
 * is stopped: it holds back every grace period that begins meanwhile, and
 * reads its object's type on request. Bounded, so that a failed case
 * cannot stall RCU: after READER_MAX it leaves and says so.
 */
#define READER_MAX	(10 * HZ)

struct reader {
	struct task_struct *task;
	struct cobj *obj;
	bool inside;
	bool timed_out;
	unsigned int asked;
	unsigned int answered;
	u32 magic_seen;
};

static int reader_fn(void *arg)
{
	struct reader *r = arg;
	unsigned long end = jiffies + READER_MAX;
	struct cobj *o;

	rcu_read_lock();
	o = READ_ONCE(r->obj);
	/* Pairs with reader_start()'s acquire: inside before it returns. */
	smp_store_release(&r->inside, true);
	while (!kthread_should_stop() && time_before(jiffies, end)) {
		if (READ_ONCE(r->asked) != r->answered) {
			WRITE_ONCE(r->magic_seen, o ? READ_ONCE(o->magic) : 0);
			/* Pairs with reader_read(): magic_seen, then answered. */
			smp_store_release(&r->answered, r->answered + 1);
		}
		cpu_relax();
	}
	if (!kthread_should_stop())
		WRITE_ONCE(r->timed_out, true);
	rcu_read_unlock();
	while (!kthread_should_stop())
		schedule_timeout_interruptible(1);
	return 0;
}

/* Start a reader of @obj (may be NULL) and wait until it is inside. */
static int reader_start(struct reader *r, struct cobj *obj)
{
	memset(r, 0, sizeof(*r));
	r->obj = obj;
	r->task = kthread_run(reader_fn, r, "goalloc_reader");
	if (IS_ERR(r->task))
		return PTR_ERR(r->task);
	/* Pairs with reader_fn()'s release of inside. */
	while (!smp_load_acquire(&r->inside))
		usleep_range(100, 200);
	return 0;
}

/* What the reader reads now in its object's type field. */
static u32 reader_read(struct reader *r)
{
	unsigned int ask = r->asked + 1;

	WRITE_ONCE(r->asked, ask);
	/* Pairs with reader_fn()'s release: magic_seen is the answer's. */
	while (smp_load_acquire(&r->answered) != ask &&
	       !READ_ONCE(r->timed_out))
		usleep_range(100, 200);
	return READ_ONCE(r->magic_seen);
}

/* Stop the reader; Return: false if it had to leave on its own. */
static bool reader_stop(struct reader *r)
{
	kthread_stop(r->task);
	return !r->timed_out;
}

static void skip_without_preemptible_rcu(struct kunit *test)
{
	/* The reader spins in its critical section: it must be preemptible. */
	if (!IS_ENABLED(CONFIG_PREEMPT_RCU))
		kunit_skip(test, "needs CONFIG_PREEMPT_RCU");
}

/* ------------------------------------------------------------------ */
/* goalloc_cache */

static void create_keeps_name_and_size(struct kunit *test)
{
	struct goalloc_cache *c = cache_new(test, "goalloc_test_named", 100, 0,
					    0, NULL);

	KUNIT_EXPECT_STREQ(test, goalloc_cache_name(c), "goalloc_test_named");
	/* As kmem_cache_size(): the size asked for. */
	KUNIT_EXPECT_EQ(test, goalloc_cache_size(c), 100U);
	cache_destroy_clean(test, c);
	/* As kmem_cache_destroy(NULL). */
	EXPECT_NO_REPORT(test, goalloc_cache_destroy(NULL));
}

/* Caches come and go more often than there are classes for them. */
static void created_and_destroyed_caches_give_their_classes_back(struct kunit *test)
{
	struct goalloc_cache *c;
	unsigned int i;
	void *p;

	for (i = 0; i < 150; i++) {
		/* The constructor fills a struct cobj. */
		c = goalloc_cache_create("goalloc_test_churn",
					 sizeof(struct cobj) + (i % 5) * 8,
					 0, 0, i & 1 ? cobj_ctor : NULL);
		KUNIT_ASSERT_NOT_NULL_MSG(test, c, "cache %u", i);
		p = goalloc_cache_alloc(c, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p);
		goalloc_cache_free(c, p);
		cache_destroy_clean(test, c);
	}
	goalloc_drain(false);
	KUNIT_EXPECT_EQ(test, goalloc_verify(NULL), 0);
}

/* Sizes from 8 B to 100000 B: objects hold their size and do not overlap. */
static void objects_of_every_size_hold_their_bytes(struct kunit *test)
{
	static const unsigned int sizes[] = {
		8, 24, 100, 1000, 4096, 10000, GOALLOC_MAX_SMALL_SIZE,
		BIG_SIZE, 100000,
	};
	enum { N = 24 };
	struct goalloc_cache *c;
	unsigned int i, j;
	u8 **p = (u8 **)test_objs(test, N);

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		unsigned int size = sizes[i];

		c = cache_new(test, "goalloc_test_sizes", size, 0, 0, NULL);
		KUNIT_EXPECT_EQ(test, goalloc_cache_size(c), size);
		for (j = 0; j < N; j++) {
			p[j] = goalloc_cache_alloc(c, GFP_KERNEL);
			KUNIT_ASSERT_NOT_NULL(test, p[j]);
			KUNIT_EXPECT_TRUE(test, goalloc_owns(p[j]));
			KUNIT_EXPECT_TRUE_MSG(test, IS_ALIGNED((unsigned long)p[j], 8),
					      "size %u: %p", size, p[j]);
			memset(p[j], j + 1, size);
		}
		for (j = 0; j < N; j++)
			KUNIT_EXPECT_NULL_MSG(test, memchr_inv(p[j], j + 1, size),
					      "size %u, object %u", size, j);
		for (j = 0; j < N; j++)
			goalloc_cache_free(c, p[j]);
		cache_destroy_clean(test, c);
	}
}

static void objects_have_the_alignment_asked_for(struct kunit *test)
{
	static const unsigned int sizes[] = { 72, 5000 };
	enum { N = 16 };
	unsigned int align, i, j;
	struct goalloc_cache *c;
	u8 **p = (u8 **)test_objs(test, N);

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		for (align = 8; align <= 4096; align *= 2) {
			c = cache_new(test, "goalloc_test_align", sizes[i], align,
				      0, NULL);
			for (j = 0; j < N; j++) {
				p[j] = goalloc_cache_alloc(c, GFP_KERNEL);
				KUNIT_ASSERT_NOT_NULL(test, p[j]);
				KUNIT_EXPECT_TRUE_MSG(test,
						      IS_ALIGNED((unsigned long)p[j], align),
						      "size %u align %u: %p",
						      sizes[i], align, p[j]);
				memset(p[j], j + 1, sizes[i]);
			}
			for (j = 0; j < N; j++) {
				KUNIT_EXPECT_NULL(test, memchr_inv(p[j], j + 1, sizes[i]));
				goalloc_cache_free(c, p[j]);
			}
			cache_destroy_clean(test, c);
		}
	}
}

/* As SLUB: objects above half a cache line start on a cache line. */
static void hwcache_align_puts_objects_on_cache_lines(struct kunit *test)
{
	unsigned int line = cache_line_size();
	unsigned int sizes[] = { line / 2 + 8, line, line + 8, 1000 };
	enum { N = 16 };
	struct goalloc_cache *c;
	unsigned int i, j;
	void **p = test_objs(test, N);

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		c = cache_new(test, "goalloc_test_hwcache", sizes[i], 0,
			      SLAB_HWCACHE_ALIGN, NULL);
		for (j = 0; j < N; j++) {
			p[j] = goalloc_cache_alloc(c, GFP_KERNEL);
			KUNIT_ASSERT_NOT_NULL(test, p[j]);
			KUNIT_EXPECT_TRUE_MSG(test, IS_ALIGNED((unsigned long)p[j], line),
					      "size %u: %p, line %u", sizes[i],
					      p[j], line);
			memset(p[j], 0x3c, sizes[i]);
		}
		for (j = 0; j < N; j++)
			goalloc_cache_free(c, p[j]);
		cache_destroy_clean(test, c);
	}
}

/*
 * The constructor runs once for each slot of each span the cache makes,
 * and never again while the span lives: an object freed and allocated
 * again keeps the mark (seq) of its one constructor call.
 */
static void constructor_runs_once_per_object_not_on_reuse(struct kunit *test)
{
	enum { N = 300 };
	struct goalloc_cache *c = cobj_cache(test, "goalloc_test_ctor", 0);
	unsigned int per_span = cache_row(c).objs, i, reseen = 0, bad = 0;
	unsigned long spans = events(EV_SPAN_ALLOC);
	struct goalloc_cache_row r;
	int calls = atomic_read(&cobj_ctor_calls), j;
	void **p = test_objs(test, N), **q = test_objs(test, N);
	bool *keep = kunit_kcalloc(test, N, sizeof(*keep), GFP_KERNEL);
	u32 *seq = kunit_kcalloc(test, N, sizeof(*seq), GFP_KERNEL);
	struct cobj *o;

	KUNIT_ASSERT_TRUE(test, keep && seq);
	for (i = 0; i < N; i++) {
		o = goalloc_cache_alloc(c, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, o);
		KUNIT_EXPECT_TRUE_MSG(test, cobj_constructed(o), "object %u", i);
		seq[i] = o->seq;
		cobj_use(o);
		p[i] = o;
	}
	/* Only this case makes spans now: one call per slot of each. */
	KUNIT_EXPECT_EQ(test, (unsigned long)(atomic_read(&cobj_ctor_calls) - calls),
			(events(EV_SPAN_ALLOC) - spans) * per_span);
	KUNIT_EXPECT_GE(test, atomic_read(&cobj_ctor_calls) - calls, N);
	r = cache_row(c);
	KUNIT_EXPECT_EQ(test, r.inuse, (unsigned long)N);
	KUNIT_EXPECT_EQ(test, r.allocs, (unsigned long)N);
	KUNIT_EXPECT_EQ(test, r.frees, 0UL);
	memcpy(q, p, N * sizeof(*p));
	KUNIT_EXPECT_TRUE(test, objects_apart(q, N, sizeof(struct cobj)));

	keep_one_per_span(p, N, keep);
	for (i = 0; i < N; i++)
		if (!keep[i])
			free_used(c, p[i], &bad);
	calls = atomic_read(&cobj_ctor_calls);
	/* Fewer than were freed: the kept spans' free slots serve them all. */
	for (i = 0; i < N / 2; i++) {
		o = goalloc_cache_alloc(c, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, o);
		KUNIT_EXPECT_TRUE_MSG(test, cobj_constructed(o), "again %u", i);
		j = index_of(p, N, o);
		if (j >= 0 && !keep[j]) {
			reseen++;
			KUNIT_EXPECT_EQ_MSG(test, o->seq, seq[j],
					    "object %d constructed again", j);
		}
		cobj_use(o);
		q[i] = o;
	}
	KUNIT_EXPECT_GT(test, reseen, 0U);
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&cobj_ctor_calls), calls,
			    "constructor called with free slots in the spans");
	for (i = 0; i < N / 2; i++)
		free_used(c, q[i], &bad);
	for (i = 0; i < N; i++)
		if (keep[i])
			free_used(c, p[i], &bad);
	KUNIT_EXPECT_EQ(test, bad, 0U);
	r = cache_row(c);
	KUNIT_EXPECT_EQ(test, r.inuse, 0UL);
	KUNIT_EXPECT_EQ(test, r.allocs, (unsigned long)N + N / 2);
	KUNIT_EXPECT_EQ(test, r.frees, (unsigned long)N + N / 2);
	cache_destroy_clean(test, c);
}

/*
 * Round 2 of the cross-CPU and hotplug cases: @n objects again, each
 * constructed, and those seen in round 1 @x (their spans kept) with the
 * mark of their first construction. Return: how many were seen before.
 */
static unsigned int expect_same_construction(struct kunit *test,
					     const struct on_cpu *x,
					     const u32 *seq, void *const *objs,
					     unsigned int n)
{
	unsigned int i, reseen = 0;
	int j;

	for (i = 0; i < n; i++) {
		const struct cobj *o = objs[i];

		j = index_of(x->objs, x->n, o);
		if (j < 0 || x->keep[j])
			continue;
		reseen++;
		KUNIT_EXPECT_EQ_MSG(test, o->seq, seq[j],
				    "object %d constructed again", j);
	}
	return reseen;
}

static void record_seq(const struct on_cpu *x, u32 *seq)
{
	unsigned int i;

	for (i = 0; i < x->n; i++)
		seq[i] = ((const struct cobj *)x->objs[i])->seq;
}

static void constructor_is_not_rerun_across_cpus(struct kunit *test)
{
	enum { N = 256 };
	struct on_cpu x = { .n = N }, y = { .n = N / 4 };
	bool *keep = kunit_kcalloc(test, N, sizeof(*keep), GFP_KERNEL);
	u32 *seq = kunit_kcalloc(test, N, sizeof(*seq), GFP_KERNEL);
	unsigned int reseen, i;
	struct goalloc_cache *c;
	int a, b, calls;

	KUNIT_ASSERT_TRUE(test, keep && seq);
	two_online_cpus(test, &a, &b);
	c = cobj_cache(test, "goalloc_test_ctor_xcpu", 0);
	x.c = c;
	y.c = c;
	x.objs = test_objs(test, N);
	y.objs = test_objs(test, N / 4);
	/*
	 * Allocated on a, freed on b but one per span; a quarter allocated
	 * on b and freed on a; once more allocated on a and freed on b.
	 */
	KUNIT_ASSERT_EQ(test, work_on_cpu(a, alloc_constructed, &x), 0L);
	record_seq(&x, seq);
	keep_one_per_span(x.objs, N, keep);
	x.keep = keep;
	KUNIT_ASSERT_EQ(test, work_on_cpu(b, free_constructed, &x), 0L);
	calls = atomic_read(&cobj_ctor_calls);
	KUNIT_ASSERT_EQ(test, work_on_cpu(b, alloc_constructed, &y), 0L);
	reseen = expect_same_construction(test, &x, seq, y.objs, y.n);
	KUNIT_ASSERT_EQ(test, work_on_cpu(a, free_constructed, &y), 0L);
	mcache_drain_all();	/* every free object back in its span */
	KUNIT_ASSERT_EQ(test, work_on_cpu(a, alloc_constructed, &y), 0L);
	reseen += expect_same_construction(test, &x, seq, y.objs, y.n);
	KUNIT_ASSERT_EQ(test, work_on_cpu(b, free_constructed, &y), 0L);
	KUNIT_EXPECT_GT(test, reseen, 0U);
	KUNIT_EXPECT_EQ(test, atomic_read(&cobj_ctor_calls), calls);

	for (i = 0; i < N; i++)
		if (keep[i])
			free_used(c, x.objs[i], &x.bad);
	KUNIT_EXPECT_EQ(test, x.bad + y.bad, 0U);
	KUNIT_EXPECT_EQ(test, cache_inuse(c), 0UL);
	cache_destroy_clean(test, c);
}

/*
 * Objects freed into a CPU's cache go back to their spans when the CPU
 * goes offline: constructed, and not constructed again afterwards.
 */
static void constructor_is_not_rerun_after_a_cpu_goes_offline(struct kunit *test)
{
	enum { N = 256 };
	struct goalloc_cache *c;
	struct on_cpu x = { .n = N }, y = { .n = N / 4 };
	unsigned int i;
	bool *keep = kunit_kcalloc(test, N, sizeof(*keep), GFP_KERNEL);
	u32 *seq = kunit_kcalloc(test, N, sizeof(*seq), GFP_KERNEL);
	int cpu, calls, err;

	KUNIT_ASSERT_TRUE(test, keep && seq);
	if (!IS_ENABLED(CONFIG_HOTPLUG_CPU) || num_online_cpus() < 2)
		kunit_skip(test, "needs CPU hotplug and two CPUs");
	cpu = cpumask_last(cpu_online_mask);
	c = cobj_cache(test, "goalloc_test_ctor_hotplug", 0);
	x.c = c;
	y.c = c;
	x.objs = test_objs(test, N);
	y.objs = test_objs(test, N / 4);
	KUNIT_ASSERT_EQ(test, work_on_cpu(cpu, alloc_constructed, &x), 0L);
	record_seq(&x, seq);
	keep_one_per_span(x.objs, N, keep);
	x.keep = keep;
	KUNIT_ASSERT_EQ(test, work_on_cpu(cpu, free_constructed, &x), 0L);
	calls = atomic_read(&cobj_ctor_calls);

	err = remove_cpu(cpu);
	if (!err) {
		KUNIT_EXPECT_EQ(test, add_cpu(cpu), 0);
		KUNIT_EXPECT_EQ(test, alloc_constructed(&y), 0L);
		KUNIT_EXPECT_GT(test, expect_same_construction(test, &x, seq,
							       y.objs, y.n), 0U);
		KUNIT_EXPECT_EQ(test, atomic_read(&cobj_ctor_calls), calls);
		free_constructed(&y);
	}
	for (i = 0; i < N; i++)
		if (keep[i])
			free_used(c, x.objs[i], &x.bad);
	KUNIT_EXPECT_EQ(test, x.bad + y.bad, 0U);
	KUNIT_EXPECT_EQ(test, cache_inuse(c), 0UL);
	cache_destroy_clean(test, c);
	if (err)
		kunit_skip(test, "cannot offline CPU %d: %d", cpu, err);
}

/*
 * Neither init_on_alloc nor init_on_free (nor debug=1's poison) wipes a
 * constructor cache's objects: the boot with init_on_alloc=1
 * init_on_free=1 is where this case means most.
 */
static void objects_come_back_in_their_constructed_state(struct kunit *test)
{
	struct goalloc_cache *c = cobj_cache(test, "goalloc_test_state", 0);
	struct cobj *p, *q;
	u32 seq;

	migrate_disable();
	p = goalloc_cache_alloc(c, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_TRUE(test, cobj_constructed(p));
	seq = p->seq;
	cobj_use(p);
	cobj_restore(p);
	goalloc_cache_free(c, p);
	q = goalloc_cache_alloc(c, GFP_KERNEL);
	migrate_enable();
	KUNIT_ASSERT_PTR_EQ(test, q, p);	/* LIFO: the same object */
	KUNIT_EXPECT_TRUE(test, cobj_constructed(q));
	KUNIT_EXPECT_EQ(test, q->seq, seq);
	goalloc_cache_free(c, q);
	cache_destroy_clean(test, c);
}

/* __GFP_ZERO on a constructor cache is a misuse: reported, not zeroed. */
static void zalloc_of_a_constructor_cache_is_reported_not_zeroed(struct kunit *test)
{
	struct goalloc_cache *c = cobj_cache(test, "goalloc_test_zctor", 0);
	unsigned long before;
	struct cobj *p = NULL, *q = NULL;

	EXPECT_REPORTS(test, 1, EV_CACHE_MISUSE,
		       p = goalloc_cache_zalloc(c, GFP_KERNEL));
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_TRUE(test, cobj_constructed(p));
	/* Reported once: a second one may stay silent, never warn. */
	before = events(EV_CACHE_MISUSE);
	goalloc_expect_reports(1);
	q = goalloc_cache_zalloc(c, GFP_KERNEL);
	goalloc_expect_reports(0);
	KUNIT_EXPECT_LE(test, events(EV_CACHE_MISUSE) - before, 1UL);
	KUNIT_ASSERT_NOT_NULL(test, q);
	KUNIT_EXPECT_TRUE(test, cobj_constructed(q));
	goalloc_cache_free(c, p);
	goalloc_cache_free(c, q);
	cache_destroy_clean(test, c);
}

static void zalloc_zeroes_a_reused_object(struct kunit *test)
{
	struct goalloc_cache *c = cache_new(test, "goalloc_test_zalloc", 300, 0,
					    0, NULL);
	u8 *p, *q;

	migrate_disable();
	p = goalloc_cache_alloc(c, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	memset(p, 0xa5, 300);
	goalloc_cache_free(c, p);
	q = goalloc_cache_zalloc(c, GFP_KERNEL);
	migrate_enable();
	KUNIT_ASSERT_PTR_EQ(test, q, p);
	KUNIT_EXPECT_NULL(test, memchr_inv(q, 0, 300));
	goalloc_cache_free(c, q);
	cache_destroy_clean(test, c);
}

/*
 * Objects over 32 KiB have a span each, made and constructed as the
 * small ones' are: once, not again when they come back.
 */
static void big_objects_have_a_span_each_constructed_once(struct kunit *test)
{
	enum { N = 4 };
	struct goalloc_cache *c = cache_new(test, "goalloc_test_big", BIG_SIZE,
					    0, 0, bobj_ctor);
	int calls = atomic_read(&bobj_ctor_calls), j;
	unsigned long spans = events(EV_SPAN_ALLOC);
	struct bobj *p[N], *q;
	unsigned int i;
	u32 seq[N];

	KUNIT_EXPECT_EQ(test, cache_row(c).objs, 1U);
	for (i = 0; i < N; i++) {
		p[i] = goalloc_cache_alloc(c, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p[i]);
		KUNIT_EXPECT_TRUE_MSG(test, bobj_constructed(p[i]), "object %u", i);
		KUNIT_EXPECT_TRUE(test, goalloc_owns(p[i]));
		KUNIT_EXPECT_TRUE(test, goalloc_owns(&p[i]->tail));
		KUNIT_EXPECT_PTR_EQ(test, (void *)span_of(p[i])->base, (void *)p[i]);
		seq[i] = p[i]->head.seq;
		memset(p[i]->pad, i, sizeof(p[i]->pad));
	}
	KUNIT_EXPECT_EQ(test, (unsigned long)(atomic_read(&bobj_ctor_calls) - calls),
			events(EV_SPAN_ALLOC) - spans);
	for (i = 0; i < N; i++) {
		KUNIT_EXPECT_NULL(test, memchr_inv(p[i]->pad, i, sizeof(p[i]->pad)));
		KUNIT_EXPECT_TRUE(test, bobj_constructed(p[i]));
		goalloc_cache_free(c, p[i]);
	}
	calls = atomic_read(&bobj_ctor_calls);
	for (i = 0; i < N; i++) {
		q = goalloc_cache_alloc(c, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, q);
		KUNIT_EXPECT_TRUE(test, bobj_constructed(q));
		for (j = 0; j < N && p[j] != q; j++)
			;
		if (j < N)
			KUNIT_EXPECT_EQ(test, q->head.seq, seq[j]);
		p[i] = q;
	}
	KUNIT_EXPECT_EQ(test, atomic_read(&bobj_ctor_calls), calls);
	for (i = 0; i < N; i++)
		goalloc_cache_free(c, p[i]);
	KUNIT_EXPECT_EQ(test, cache_inuse(c), 0UL);
	cache_destroy_clean(test, c);
}

static int owns_global;

static void owns_tells_goalloc_objects_from_others(struct kunit *test)
{
	struct goalloc_cache *c = cache_new(test, "goalloc_test_owns", 64, 0, 0,
					    NULL);
	struct goalloc_cache *big = cache_new(test, "goalloc_test_owns_big",
					      BIG_SIZE, 0, 0, NULL);
	void *small = goalloc_alloc(64, GFP_KERNEL);
	void *large = goalloc_alloc(100000, GFP_KERNEL);
	void *co = goalloc_cache_alloc(c, GFP_KERNEL);
	void *bo = goalloc_cache_alloc(big, GFP_KERNEL);
	void *k = kmalloc(64, GFP_KERNEL);
	void *v = vmalloc(PAGE_SIZE);
	int on_stack = 0;

	KUNIT_ASSERT_TRUE(test, small && large && co && bo && k && v);
	KUNIT_EXPECT_TRUE(test, goalloc_owns(small));
	KUNIT_EXPECT_TRUE(test, goalloc_owns(large));
	KUNIT_EXPECT_TRUE(test, goalloc_owns(co));
	KUNIT_EXPECT_TRUE(test, goalloc_owns(bo));
	EXPECT_NO_REPORT(test, {
		KUNIT_EXPECT_FALSE(test, goalloc_owns(k));
		KUNIT_EXPECT_FALSE(test, goalloc_owns(v));
		KUNIT_EXPECT_FALSE(test, goalloc_owns(&on_stack));
		KUNIT_EXPECT_FALSE(test, goalloc_owns(&owns_global));
		KUNIT_EXPECT_FALSE(test, goalloc_owns(NULL));
		KUNIT_EXPECT_FALSE(test, goalloc_owns(ZERO_SIZE_PTR));
	});
	kfree(k);
	vfree(v);
	goalloc_free(small);
	goalloc_free(large);
	goalloc_cache_free(c, co);
	goalloc_cache_free(big, bo);
	cache_destroy_clean(test, c);
	cache_destroy_clean(test, big);
}

struct bulk_kind {
	const char *name;
	unsigned int size;
	void (*ctor)(void *obj);
};

static bool bulk_constructed(const struct bulk_kind *k, void *p)
{
	if (k->ctor == bobj_ctor)
		return bobj_constructed(p);
	return !k->ctor || cobj_constructed(p);
}

static void bulk_use(const struct bulk_kind *k, void *p, unsigned int j)
{
	if (k->ctor)
		cobj_use(p);
	else
		memset(p, (u8)j, k->size);
}

/* Check and undo what bulk_use() wrote. Return: false if it was lost. */
static bool bulk_unuse(const struct bulk_kind *k, void *p, unsigned int j)
{
	bool ok;

	if (!k->ctor)
		return !memchr_inv(p, (u8)j, k->size);
	ok = cobj_used_ok(p);
	cobj_restore(p);
	return ok;
}

/*
 * Bulk calls of 1 to 1000 objects, small and over 32 KiB, with and
 * without a constructor: exactly n distinct objects, each constructed;
 * both bulk frees give every one back, and the cache counts n allocations
 * and n frees.
 */
static void bulk_allocates_exactly_n_distinct_objects(struct kunit *test)
{
	static const unsigned int counts[] = { 1, 16, 256, 1000 };
	static const struct bulk_kind kinds[] = {
		{ "goalloc_test_bulk", 64, NULL },
		{ "goalloc_test_bulk_ctor", sizeof(struct cobj), cobj_ctor },
		{ "goalloc_test_bulk_big", BIG_SIZE, bobj_ctor },
	};
	enum { MAX = 1000 };
	void **p = test_objs(test, MAX), **q = test_objs(test, MAX);
	struct goalloc_cache_row r0, r;
	unsigned int k, i, j, bad = 0;
	struct goalloc_cache *c;
	int ret;

	for (k = 0; k < ARRAY_SIZE(kinds); k++) {
		const struct bulk_kind *kd = &kinds[k];

		c = cache_new(test, kd->name, kd->size, 0, 0, kd->ctor);
		for (i = 0; i < ARRAY_SIZE(counts); i++) {
			unsigned int n = counts[i];

			r0 = cache_row(c);
			memset(p, 0, n * sizeof(*p));
			ret = goalloc_cache_alloc_bulk(c, GFP_KERNEL, n, p);
			KUNIT_ASSERT_EQ_MSG(test, ret, (int)n, "%s", kd->name);
			for (j = 0; j < n; j++) {
				KUNIT_ASSERT_NOT_NULL(test, p[j]);
				KUNIT_EXPECT_TRUE(test, goalloc_owns(p[j]));
				bad += !bulk_constructed(kd, p[j]);
				bulk_use(kd, p[j], j);
			}
			memcpy(q, p, n * sizeof(*p));
			KUNIT_EXPECT_TRUE_MSG(test, objects_apart(q, n, kd->size),
					      "%s: %u objects", kd->name, n);
			r = cache_row(c);
			KUNIT_EXPECT_EQ(test, r.inuse - r0.inuse, (unsigned long)n);
			KUNIT_EXPECT_EQ(test, r.allocs - r0.allocs, (unsigned long)n);
			for (j = 0; j < n; j++)
				bad += !bulk_unuse(kd, p[j], j);
			if (i & 1)
				goalloc_free_bulk(n, p);
			else
				goalloc_cache_free_bulk(c, n, p);
			r = cache_row(c);
			KUNIT_EXPECT_EQ_MSG(test, r.inuse, 0UL, "%s: %u objects",
					    kd->name, n);
			KUNIT_EXPECT_EQ(test, r.frees - r0.frees, (unsigned long)n);
		}
		cache_destroy_clean(test, c);
	}
	KUNIT_EXPECT_EQ(test, bad, 0U);
}

/*
 * A bulk call that cannot be served in full allocates nothing. With
 * goalloc's fault injection (debugfs fail_spans) failing every new span of
 * this task, a bulk call for more objects than the CPU's magazine and the
 * cache's spans hold fails part way: it must give back what it took and
 * return 0. The cache works on.
 */
static void bulk_is_all_or_nothing_when_spans_fail(struct kunit *test)
{
#ifdef CONFIG_FAULT_INJECTION
	static const struct bulk_kind kinds[] = {
		{ "goalloc_test_bulk_fail", 64, NULL },
		{ "goalloc_test_bulk_fail_ctor", BIG_SIZE, bobj_ctor },
		{ "goalloc_test_bulk_fail_big", SZ_1M, NULL },
	};
	/* Static: a fault_attr on the stack takes the frame past 1 KiB. */
	static struct fault_attr saved;
	struct goalloc_cache_row r0, r;
	unsigned long failed;
	struct goalloc_cache *c;
	unsigned int k, n, i;
	void **p;
	int ret;

	saved = goalloc_fail_spans;
	for (k = 0; k < ARRAY_SIZE(kinds); k++) {
		c = cache_new(test, kinds[k].name, kinds[k].size, 0, 0,
			      kinds[k].ctor);
		/* Some objects in the magazine and the spans to start with. */
		p = kunit_kcalloc(test, 4096, sizeof(*p), GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p);
		ret = goalloc_cache_alloc_bulk(c, GFP_KERNEL, 8, p);
		KUNIT_ASSERT_EQ(test, ret, 8);
		goalloc_cache_free_bulk(c, 8, p);
		r0 = cache_row(c);
		n = min_t(unsigned long, 4 * r0.total + 64, 4096);

		goalloc_fail_spans.probability = 100;
		goalloc_fail_spans.interval = 1;
		goalloc_fail_spans.verbose = 0;
		goalloc_fail_spans.task_filter = true;
		atomic_set(&goalloc_fail_spans.times, -1);
		atomic_set(&goalloc_fail_spans.space, 0);
		failed = events(EV_ALLOC_FAIL);
		current->make_it_fail = 1;
		ret = goalloc_cache_alloc_bulk(c, GFP_KERNEL | __GFP_NOWARN, n, p);
		current->make_it_fail = 0;
		goalloc_fail_spans = saved;
		if (ret > 0)
			goalloc_cache_free_bulk(c, ret, p);
		KUNIT_EXPECT_EQ_MSG(test, ret, 0, "%s: %u objects with no new span",
				    kinds[k].name, n);
		KUNIT_EXPECT_EQ(test, events(EV_ALLOC_FAIL) - failed, 1UL);
		/* What it took on the way went back: none in use, none lost. */
		r = cache_row(c);
		KUNIT_EXPECT_EQ(test, r.inuse, 0UL);
		KUNIT_EXPECT_EQ(test, r.total, r0.total);
		KUNIT_EXPECT_EQ(test, r.allocs - r0.allocs, r.frees - r0.frees);

		/* And a bulk that fits, with spans again. */
		ret = goalloc_cache_alloc_bulk(c, GFP_KERNEL, 16, p);
		KUNIT_EXPECT_EQ(test, ret, 16);
		for (i = 0; i < 16 && ret == 16; i++) {
			if (kinds[k].ctor)
				KUNIT_EXPECT_TRUE(test, bulk_constructed(&kinds[k], p[i]));
			else
				memset(p[i], 0x11, kinds[k].size);
		}
		if (ret > 0)
			goalloc_cache_free_bulk(c, ret, p);
		cache_destroy_clean(test, c);
	}
	KUNIT_EXPECT_EQ(test, goalloc_verify(NULL), 0);
#else
	kunit_skip(test, "no CONFIG_FAULT_INJECTION");
#endif
}

/*
 * goalloc_free_bulk() takes objects of goalloc_alloc() and of caches
 * together, and skips NULL.
 */
static void free_bulk_takes_objects_of_any_origin(struct kunit *test)
{
	struct goalloc_cache *c = cache_new(test, "goalloc_test_fbulk", 128, 0,
					    0, NULL);
	struct goalloc_cache *cc = cobj_cache(test, "goalloc_test_fbulk_ctor", 0);
	struct goalloc_cache *big = cache_new(test, "goalloc_test_fbulk_big",
					      BIG_SIZE, 0, 0, bobj_ctor);
	unsigned int scls = size_to_class(200), i, n = 8;
	struct large_stats ls_before, ls;
	unsigned long sinuse;
	void **p = kunit_kcalloc(test, n, sizeof(*p), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, p);
	sinuse = class_inuse(scls);
	pcache_large_stats(&ls_before);
	p[0] = goalloc_alloc(200, GFP_KERNEL);
	p[1] = goalloc_cache_alloc(c, GFP_KERNEL);
	p[2] = NULL;
	p[3] = goalloc_alloc(100000, GFP_KERNEL);
	p[4] = goalloc_cache_alloc(cc, GFP_KERNEL);
	p[5] = goalloc_cache_alloc(c, GFP_KERNEL);
	p[6] = goalloc_alloc(200, GFP_KERNEL);
	p[7] = goalloc_cache_alloc(big, GFP_KERNEL);
	for (i = 0; i < n; i++)
		KUNIT_ASSERT_TRUE(test, i == 2 || p[i]);
	KUNIT_EXPECT_EQ(test, cache_inuse(c), 2UL);
	KUNIT_EXPECT_EQ(test, cache_inuse(cc), 1UL);
	KUNIT_EXPECT_EQ(test, cache_inuse(big), 1UL);
	KUNIT_EXPECT_EQ(test, class_inuse(scls), sinuse + 2);
	EXPECT_NO_REPORT(test, goalloc_free_bulk(n, p));
	KUNIT_EXPECT_EQ(test, cache_inuse(c), 0UL);
	KUNIT_EXPECT_EQ(test, cache_row(c).frees, 2UL);
	KUNIT_EXPECT_EQ(test, cache_inuse(cc), 0UL);
	KUNIT_EXPECT_EQ(test, cache_inuse(big), 0UL);
	KUNIT_EXPECT_EQ(test, class_inuse(scls), sinuse);
	pcache_large_stats(&ls);
	KUNIT_EXPECT_EQ(test, ls.objects, ls_before.objects);
	cache_destroy_clean(test, c);
	cache_destroy_clean(test, cc);
	cache_destroy_clean(test, big);
}

static struct kunit_case cache_cases[] = {
	KUNIT_CASE(create_keeps_name_and_size),
	KUNIT_CASE(created_and_destroyed_caches_give_their_classes_back),
	KUNIT_CASE(objects_of_every_size_hold_their_bytes),
	KUNIT_CASE(objects_have_the_alignment_asked_for),
	KUNIT_CASE(hwcache_align_puts_objects_on_cache_lines),
	KUNIT_CASE(constructor_runs_once_per_object_not_on_reuse),
	KUNIT_CASE(constructor_is_not_rerun_across_cpus),
	KUNIT_CASE(constructor_is_not_rerun_after_a_cpu_goes_offline),
	KUNIT_CASE(objects_come_back_in_their_constructed_state),
	KUNIT_CASE(zalloc_of_a_constructor_cache_is_reported_not_zeroed),
	KUNIT_CASE(zalloc_zeroes_a_reused_object),
	KUNIT_CASE(big_objects_have_a_span_each_constructed_once),
	KUNIT_CASE(owns_tells_goalloc_objects_from_others),
	KUNIT_CASE(bulk_allocates_exactly_n_distinct_objects),
	KUNIT_CASE(bulk_is_all_or_nothing_when_spans_fail),
	KUNIT_CASE(free_bulk_takes_objects_of_any_origin),
	{}
};

static struct kunit_suite cache_suite = {
	.name = "goalloc_cache",
	.test_cases = cache_cases,
};

/* ------------------------------------------------------------------ */
/* goalloc_cache_rcu: SLAB_TYPESAFE_BY_RCU and goalloc_free_rcu() */

/* The SLAB_TYPESAFE_BY_RCU caches of the cases: small, and over 32 KiB. */
struct rcu_kind {
	const char *name;
	unsigned int size;
	void (*ctor)(void *obj);
};

static const struct rcu_kind rcu_kinds[] = {
	{ "goalloc_test_rcu", sizeof(struct cobj), cobj_ctor },
	{ "goalloc_test_rcu_big", BIG_SIZE, bobj_ctor },
};

static void rcu_kind_desc(const struct rcu_kind *k, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%u bytes", k->size);
}

KUNIT_ARRAY_PARAM(rcu_kind, rcu_kinds, rcu_kind_desc);

static struct goalloc_cache *rcu_cache(struct kunit *test)
{
	const struct rcu_kind *k = test->param_value;

	return cache_new(test, k->name, k->size, 0, SLAB_TYPESAFE_BY_RCU,
			 k->ctor);
}

/*
 * A reader that found an object before it was freed reads an object of
 * the same type, even when it was handed out again at once.
 */
static void typesafe_reader_sees_the_same_type_after_reuse(struct kunit *test)
{
	struct reader *r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);
	struct goalloc_cache *c;
	struct cobj *p, *q;
	bool ok;
	u32 seen;

	skip_without_preemptible_rcu(test);
	KUNIT_ASSERT_NOT_NULL(test, r);
	c = rcu_cache(test);
	p = goalloc_cache_alloc(c, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_ASSERT_EQ(test, reader_start(r, p), 0);
	migrate_disable();
	goalloc_cache_free(c, p);
	q = goalloc_cache_alloc(c, GFP_KERNEL);
	migrate_enable();
	if (q)
		cobj_use(q);
	seen = reader_read(r);
	ok = reader_stop(r);
	KUNIT_EXPECT_TRUE(test, ok);
	KUNIT_EXPECT_EQ(test, seen, COBJ_MAGIC);
	KUNIT_ASSERT_NOT_NULL(test, q);
	KUNIT_EXPECT_PTR_EQ(test, q, p);	/* reused within the grace period */
	KUNIT_EXPECT_TRUE(test, cobj_used_ok(q));
	cobj_restore(q);
	goalloc_cache_free(c, q);
	cache_destroy_clean(test, c);
}

/*
 * The pages of an emptied span of a SLAB_TYPESAFE_BY_RCU cache stay the
 * cache's for a grace period: a reader still reads the constructor's type
 * there, the heap still holds them, and no allocation gets them.
 */
static void typesafe_pages_wait_a_grace_period(struct kunit *test)
{
	enum { N = 64 };
	struct reader *r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);
	void **others = test_objs(test, N);
	unsigned int first, npages, i, held = 0, inside = 0;
	struct heap_chunk *chunk;
	unsigned long base, bytes;
	struct goalloc_cache *c;
	struct cobj *p, *q;
	bool gone, ok;
	struct span *s;
	u32 seen;

	skip_without_preemptible_rcu(test);
	KUNIT_ASSERT_NOT_NULL(test, r);
	c = rcu_cache(test);
	p = goalloc_cache_alloc(c, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	s = span_of(p);
	KUNIT_ASSERT_NOT_NULL(test, s);
	base = s->base;
	bytes = span_bytes(s);
	chunk = s->chunk;
	first = s->first;
	npages = s->npages;
	KUNIT_ASSERT_EQ(test, reader_start(r, p), 0);

	/* p, the only object of its span in use, goes back; the span leaves. */
	goalloc_cache_free(c, p);
	goalloc_drain(false);
	gone = !span_of(p);
	seen = reader_read(r);
	for (i = 0; i < npages; i++)
		held += test_bit(first + i, chunk->used);
	for (i = 0; i < N; i++) {
		others[i] = goalloc_alloc(GOALLOC_PAGE_SIZE, GFP_KERNEL);
		inside += others[i] &&
			  (unsigned long)others[i] - base < bytes;
	}
	q = goalloc_cache_alloc(c, GFP_KERNEL);
	inside += q && (unsigned long)q - base < bytes;
	ok = reader_stop(r);

	KUNIT_EXPECT_TRUE(test, ok);
	KUNIT_EXPECT_TRUE_MSG(test, gone, "the span did not leave its cache");
	KUNIT_EXPECT_EQ(test, seen, COBJ_MAGIC);
	KUNIT_EXPECT_EQ(test, held, npages);
	KUNIT_EXPECT_EQ(test, inside, 0U);
	for (i = 0; i < N; i++)
		goalloc_free(others[i]);
	if (q)
		goalloc_cache_free(c, q);
	rcu_barrier();
	cache_destroy_clean(test, c);
	goalloc_drain(false);
	KUNIT_EXPECT_EQ(test, goalloc_verify(NULL), 0);
}

/* A goalloc_alloc() object with an rcu_head, of a class of its own. */
struct robj {
	struct rcu_head rh;
	u64 words[250];
};

static void robj_fill(struct robj *o)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(o->words); i++)
		o->words[i] = user_word(o, i);
}

static bool robj_ok(const struct robj *o)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(o->words); i++)
		if (o->words[i] != user_word(o, i))
			return false;
	return true;
}

/* Deferred frees of a goalloc_alloc() object and of a cache object. */
struct deferred {
	struct timer_list timer;
	struct completion done;
	struct robj *a;
	struct cobj *b;
	bool in_softirq;
};

static void deferred_free(struct deferred *d)
{
	goalloc_free_rcu(d->a, rh);
	goalloc_free_rcu(d->b, rh);
}

static void deferred_timer_fn(struct timer_list *t)
{
	struct deferred *d = from_timer(d, t, timer);

	d->in_softirq = in_serving_softirq();
	deferred_free(d);
	complete(&d->done);
}

/*
 * The deferred frees, called in task context or from a timer (softirq),
 * while a reader holds the grace period back: nothing is freed until it
 * ends, and goalloc_rcu_barrier() sees both freed.
 */
static void free_rcu_case(struct kunit *test, bool from_timer)
{
	struct reader *r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);
	struct deferred *d = kunit_kzalloc(test, sizeof(*d), GFP_KERNEL);
	unsigned int scls = size_to_class(sizeof(struct robj));
	unsigned long inuse, sinuse, during, sduring;
	struct goalloc_cache *c;
	bool intact, ok;

	skip_without_preemptible_rcu(test);
	KUNIT_ASSERT_TRUE(test, r && d);
	c = cobj_cache(test, "goalloc_test_free_rcu", 0);
	d->a = goalloc_alloc(sizeof(*d->a), GFP_KERNEL);
	d->b = goalloc_cache_alloc(c, GFP_KERNEL);
	KUNIT_ASSERT_TRUE(test, d->a && d->b);
	robj_fill(d->a);
	inuse = cache_inuse(c);
	sinuse = class_inuse(scls);

	KUNIT_ASSERT_EQ(test, reader_start(r, NULL), 0);
	if (from_timer) {
		init_completion(&d->done);
		timer_setup(&d->timer, deferred_timer_fn, 0);
		mod_timer(&d->timer, jiffies + 1);
		wait_for_completion(&d->done);
		del_timer_sync(&d->timer);
	} else {
		deferred_free(d);
	}
	/* In use still, untouched but for the rcu_head. */
	during = cache_inuse(c);
	sduring = class_inuse(scls);
	intact = robj_ok(d->a) && cobj_constructed(d->b);
	ok = reader_stop(r);

	goalloc_rcu_barrier();
	KUNIT_EXPECT_TRUE(test, ok);
	KUNIT_EXPECT_EQ(test, during, inuse);
	KUNIT_EXPECT_EQ(test, sduring, sinuse);
	KUNIT_EXPECT_TRUE(test, intact);
	if (from_timer)
		KUNIT_EXPECT_TRUE(test, d->in_softirq);
	KUNIT_EXPECT_EQ(test, cache_inuse(c), inuse - 1);
	KUNIT_EXPECT_EQ(test, class_inuse(scls), sinuse - 1);
	cache_destroy_clean(test, c);
}

static void free_rcu_frees_after_a_grace_period(struct kunit *test)
{
	struct robj *none = NULL;

	goalloc_free_rcu(none, rh);	/* as kfree_rcu(NULL, ...) */
	free_rcu_case(test, false);
}

static void free_rcu_from_softirq_frees_after_a_grace_period(struct kunit *test)
{
	free_rcu_case(test, true);
}

/* Destroy right after a deferred free of the last object: nothing is live. */
static void destroy_waits_for_deferred_frees(struct kunit *test)
{
	static const slab_flags_t flags[] = { 0, SLAB_TYPESAFE_BY_RCU };
	struct goalloc_cache *c;
	struct cobj *o;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(flags); i++) {
		c = cobj_cache(test, "goalloc_test_rcu_destroy", flags[i]);
		o = goalloc_cache_alloc(c, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, o);
		goalloc_free_rcu(o, rh);
		cache_destroy_clean(test, c);
	}
	goalloc_rcu_barrier();
	KUNIT_EXPECT_EQ(test, goalloc_verify(NULL), 0);
}

static struct kunit_case rcu_cases[] = {
	KUNIT_CASE_PARAM(typesafe_reader_sees_the_same_type_after_reuse,
			 rcu_kind_gen_params),
	KUNIT_CASE_PARAM(typesafe_pages_wait_a_grace_period, rcu_kind_gen_params),
	KUNIT_CASE(free_rcu_frees_after_a_grace_period),
	KUNIT_CASE(free_rcu_from_softirq_frees_after_a_grace_period),
	KUNIT_CASE(destroy_waits_for_deferred_frees),
	{}
};

static struct kunit_suite rcu_suite = {
	.name = "goalloc_cache_rcu",
	.test_cases = rcu_cases,
};

/* ------------------------------------------------------------------ */
/* goalloc_cache_bad_input */

static void free_to_the_wrong_cache_is_refused(struct kunit *test)
{
	struct goalloc_cache *c1 = cache_new(test, "goalloc_test_wrong1", 96, 0,
					     0, NULL);
	struct goalloc_cache *c2 = cobj_cache(test, "goalloc_test_wrong2", 0);
	struct goalloc_cache *big = cache_new(test, "goalloc_test_wrong_big",
					      BIG_SIZE, 0, 0, NULL);
	unsigned int scls = size_to_class(96);
	struct cobj *p2 = goalloc_cache_alloc(c2, GFP_KERNEL);
	u8 *p1 = goalloc_cache_alloc(c1, GFP_KERNEL);
	u8 *g = goalloc_alloc(96, GFP_KERNEL);
	void *b = goalloc_cache_alloc(big, GFP_KERNEL);
	unsigned long sinuse;

	KUNIT_ASSERT_TRUE(test, p1 && p2 && g && b);
	cobj_use(p2);
	memset(p1, 0x22, 96);
	memset(g, 0x77, 96);
	sinuse = class_inuse(scls);

	EXPECT_REPORTS(test, 1, EV_REFUSED_WRONG_CACHE, goalloc_cache_free(c1, p2));
	EXPECT_REPORTS(test, 1, EV_REFUSED_WRONG_CACHE, goalloc_cache_free(c2, p1));
	EXPECT_REPORTS(test, 1, EV_REFUSED_WRONG_CACHE, goalloc_cache_free(c1, g));
	EXPECT_REFUSALS(test, 1, goalloc_cache_free(c1, b));
	EXPECT_REFUSALS(test, 1, goalloc_cache_free(big, p1));

	/* Nothing changed: every object is in use, intact, and writable. */
	KUNIT_EXPECT_EQ(test, cache_inuse(c1), 1UL);
	KUNIT_EXPECT_EQ(test, cache_inuse(c2), 1UL);
	KUNIT_EXPECT_EQ(test, class_inuse(scls), sinuse);
	KUNIT_EXPECT_TRUE(test, cobj_used_ok(p2));
	KUNIT_EXPECT_NULL(test, memchr_inv(p1, 0x22, 96));
	KUNIT_EXPECT_NULL(test, memchr_inv(g, 0x77, 96));
	cobj_use(p2);
	memset(p1, 0x23, 96);
	memset(g, 0x78, 96);
	memset(b, 0x79, BIG_SIZE);

	/* Then freed where they belong. */
	cobj_restore(p2);
	EXPECT_NO_REPORT(test, {
		goalloc_cache_free(c2, p2);
		goalloc_cache_free(c1, p1);
		goalloc_free(g);
		goalloc_cache_free(big, b);
	});
	KUNIT_EXPECT_EQ(test, cache_inuse(c1), 0UL);
	KUNIT_EXPECT_EQ(test, cache_inuse(c2), 0UL);
	KUNIT_EXPECT_EQ(test, class_inuse(scls), sinuse - 1);
	cache_destroy_clean(test, c1);
	cache_destroy_clean(test, c2);
	cache_destroy_clean(test, big);
}

static void foreign_interior_and_double_frees_to_a_cache_are_refused(struct kunit *test)
{
	struct goalloc_cache *c = cache_new(test, "goalloc_test_refuse", 128, 0,
					    0, NULL);
	struct goalloc_cache *big = cache_new(test, "goalloc_test_refuse_big",
					      BIG_SIZE, 0, 0, NULL);
	u8 *p = goalloc_cache_alloc(c, GFP_KERNEL), *q, *r;
	u8 *b = goalloc_cache_alloc(big, GFP_KERNEL);
	void *k = kmalloc(64, GFP_KERNEL);
	u64 on_stack[2] = { 0 };

	KUNIT_ASSERT_TRUE(test, p && b && k);
	memset(p, 0x44, 128);
	EXPECT_REFUSALS(test, 1, goalloc_cache_free(c, k));
	EXPECT_REFUSALS(test, 1, goalloc_cache_free(c, &on_stack[1]));
	EXPECT_REFUSALS(test, 1, goalloc_cache_free(c, &owns_global));
	EXPECT_REFUSALS(test, 1, goalloc_cache_free(c, p + 8));
	/* A span of one object maps its first page only. */
	EXPECT_REPORTS(test, 2, EV_REFUSED_INTERIOR, {
		goalloc_cache_free(big, b + PAGE_SIZE);
		goalloc_cache_free(big, b + BIG_SIZE - 1);
	});
	KUNIT_EXPECT_EQ(test, cache_inuse(c), 1UL);
	KUNIT_EXPECT_EQ(test, cache_inuse(big), 1UL);
	KUNIT_EXPECT_NULL(test, memchr_inv(p, 0x44, 128));
	kfree(k);
	goalloc_cache_free(big, b);
	cache_destroy_clean(test, big);

	/* The object this CPU freed last, freed again: handed out once. */
	migrate_disable();
	goalloc_cache_free(c, p);
	EXPECT_REPORTS(test, 1, EV_REFUSED_DOUBLE_FREE, goalloc_cache_free(c, p));
	q = goalloc_cache_alloc(c, GFP_KERNEL);
	r = goalloc_cache_alloc(c, GFP_KERNEL);
	migrate_enable();
	KUNIT_EXPECT_PTR_EQ(test, q, p);
	KUNIT_EXPECT_PTR_NE(test, r, p);
	goalloc_cache_free(c, q);
	goalloc_cache_free(c, r);
	KUNIT_EXPECT_EQ(test, cache_inuse(c), 0UL);
	cache_destroy_clean(test, c);
}

/*
 * goalloc_free() of a cache's object frees it to its cache, unreported and
 * counted there, into this CPU's magazine of the cache.
 */
static void goalloc_free_of_a_cache_object_frees_it_to_its_cache(struct kunit *test)
{
	struct goalloc_cache *caches[] = {
		cobj_cache(test, "goalloc_test_route", 0),
		cache_new(test, "goalloc_test_route_big", BIG_SIZE, 0, 0,
			  bobj_ctor),
	};
	struct goalloc_cache_row r0, r;
	struct goalloc_cache *c;
	struct cobj *p, *q;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(caches); i++) {
		c = caches[i];
		p = goalloc_cache_alloc(c, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p);
		r0 = cache_row(c);
		KUNIT_EXPECT_EQ(test, r0.inuse, 1UL);
		EXPECT_NO_REPORT(test, goalloc_free(p));
		r = cache_row(c);
		KUNIT_EXPECT_EQ(test, r.inuse, 0UL);
		KUNIT_EXPECT_EQ(test, r.frees - r0.frees, 1UL);

		migrate_disable();
		p = goalloc_cache_alloc(c, GFP_KERNEL);
		if (p)
			goalloc_free(p);
		q = goalloc_cache_alloc(c, GFP_KERNEL);
		migrate_enable();
		KUNIT_ASSERT_NOT_NULL(test, q);
		KUNIT_EXPECT_PTR_EQ(test, q, p);
		KUNIT_EXPECT_TRUE(test, cobj_constructed(q));
		goalloc_cache_free(c, q);
		cache_destroy_clean(test, c);
	}
}

/*
 * A bulk free with bad entries among good ones (a foreign pointer, another
 * cache's object, an interior pointer; NULL is skipped) refuses each bad
 * one with a report and frees every good one, whatever their order.
 */
static void free_bulk_refuses_bad_entries_and_frees_the_rest(struct kunit *test)
{
	enum { N = 6 };
	struct goalloc_cache *c = cache_new(test, "goalloc_test_bulk_bad", 64, 0,
					    0, NULL);
	struct goalloc_cache *other = cache_new(test, "goalloc_test_bulk_other",
						64, 0, 0, NULL);
	void *k = kmalloc(64, GFP_KERNEL), *o, *p[N], *v[N + 5];
	unsigned int i, j = 0;

	KUNIT_ASSERT_NOT_NULL(test, k);
	o = goalloc_cache_alloc(other, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, o);
	memset(o, 0x5c, 64);
	for (i = 0; i < N; i++) {
		p[i] = goalloc_cache_alloc(c, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p[i]);
	}
	/* Bad entries between objects of one span, and at both ends. */
	v[j++] = k;
	v[j++] = p[0];
	v[j++] = p[1];
	v[j++] = o;
	v[j++] = p[2];
	v[j++] = NULL;
	v[j++] = p[3];
	v[j++] = k;
	v[j++] = p[4];
	v[j++] = p[5] + 8;
	v[j++] = p[5];
	EXPECT_REFUSALS(test, 4, goalloc_cache_free_bulk(c, j, v));
	KUNIT_EXPECT_EQ(test, cache_inuse(c), 0UL);
	KUNIT_EXPECT_EQ(test, cache_inuse(other), 1UL);
	KUNIT_EXPECT_NULL(test, memchr_inv(o, 0x5c, 64));
	kfree(k);
	goalloc_cache_free(other, o);
	cache_destroy_clean(test, c);
	cache_destroy_clean(test, other);
}

static void create_refuses_bad_arguments(struct kunit *test)
{
	static const unsigned int aligns[] = { 3, 24, 48, 100 };
	struct goalloc_cache *c = ERR_PTR(-EINVAL);
	unsigned int i;

	EXPECT_REPORTS(test, 1, EV_CACHE_MISUSE,
		       c = goalloc_cache_create("goalloc_test_size0", 0, 0, 0, NULL));
	KUNIT_EXPECT_NULL(test, c);
	c = ERR_PTR(-EINVAL);
	EXPECT_REPORTS(test, 1, EV_CACHE_MISUSE,
		       c = goalloc_cache_create("goalloc_test_huge",
						GOALLOC_MAX_SIZE + 1, 0, 0, NULL));
	KUNIT_EXPECT_NULL(test, c);
	for (i = 0; i < ARRAY_SIZE(aligns); i++) {
		c = ERR_PTR(-EINVAL);
		EXPECT_REPORTS(test, 1, EV_CACHE_MISUSE,
			       c = goalloc_cache_create("goalloc_test_badalign", 64,
							aligns[i], 0, NULL));
		KUNIT_EXPECT_NULL_MSG(test, c, "align %u", aligns[i]);
	}
}

/*
 * Destroying a cache with objects in use reports them (their count in
 * the report) and frees nothing in use: the cache is kept, its objects
 * stay usable, and are freed later with goalloc_free() or
 * goalloc_cache_free().
 */
static void destroy_with_objects_in_use_reports_them(struct kunit *test)
{
	enum { N = 3 };
	struct goalloc_cache *c = cache_new(test, "goalloc_test_leak", 200, 0,
					    0, NULL);
	struct goalloc_cache *big = cache_new(test, "goalloc_test_leak_big",
					      BIG_SIZE, 0, 0, NULL);
	struct goalloc_cache_info ci;
	unsigned int i;
	u8 *p[N], *b;

	for (i = 0; i < N; i++) {
		p[i] = goalloc_cache_alloc(c, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p[i]);
		memset(p[i], i + 1, 200);
	}
	b = goalloc_cache_alloc(big, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, b);
	memset(b, 0x66, BIG_SIZE);

	EXPECT_REPORTS(test, 1, EV_CACHE_LEAKED, goalloc_cache_destroy(c));
	EXPECT_REPORTS(test, 1, EV_CACHE_LEAKED, goalloc_cache_destroy(big));
	for (i = 0; i < N; i++) {
		KUNIT_EXPECT_NULL(test, memchr_inv(p[i], i + 1, 200));
		memset(p[i], 0x99, 200);
		KUNIT_EXPECT_NULL(test, memchr_inv(p[i], 0x99, 200));
	}
	KUNIT_EXPECT_NULL(test, memchr_inv(b, 0x66, BIG_SIZE));
	memset(b, 0x67, BIG_SIZE);
	KUNIT_EXPECT_EQ(test, cache_inuse(c), (unsigned long)N);
	KUNIT_EXPECT_EQ(test, cache_inuse(big), 1UL);
	cache_info(c, &ci);
	KUNIT_EXPECT_TRUE(test, ci.dead);
	EXPECT_NO_REPORT(test, {
		goalloc_cache_free(c, p[0]);
		for (i = 1; i < N; i++)
			goalloc_free(p[i]);
		goalloc_free(b);
	});
	KUNIT_EXPECT_EQ(test, cache_inuse(c), 0UL);
	KUNIT_EXPECT_EQ(test, cache_inuse(big), 0UL);
	goalloc_drain(false);
	KUNIT_EXPECT_EQ(test, goalloc_verify(NULL), 0);
}

static struct kunit_case bad_input_cases[] = {
	KUNIT_CASE(free_to_the_wrong_cache_is_refused),
	KUNIT_CASE(foreign_interior_and_double_frees_to_a_cache_are_refused),
	KUNIT_CASE(goalloc_free_of_a_cache_object_frees_it_to_its_cache),
	KUNIT_CASE(free_bulk_refuses_bad_entries_and_frees_the_rest),
	KUNIT_CASE(create_refuses_bad_arguments),
	KUNIT_CASE(destroy_with_objects_in_use_reports_them),
	{}
};

static struct kunit_suite bad_input_suite = {
	.name = "goalloc_cache_bad_input",
	.test_cases = bad_input_cases,
};

/* ------------------------------------------------------------------ */
/* goalloc_cache_stress: threads on every CPU, every kind of call */

#define CS_SECS		3
#define CS_SLOTS	1024
#define CS_RCU_SLOTS	64
#define CS_BATCH	16
#define CS_BULK_MAX	32
#define CS_GFP		(GFP_KERNEL | __GFP_NOWARN)

enum { CS_PLAIN, CS_CTOR, CS_RCU, CS_ALIGNED, CS_BIG, NR_CS };

static const struct {
	const char *name;
	unsigned int size, align;
	slab_flags_t flags;
	void (*ctor)(void *obj);
} cs_defs[NR_CS] = {
	[CS_PLAIN] = { "goalloc_test_s_plain", sizeof(struct cobj), 0, 0, NULL },
	[CS_CTOR] = { "goalloc_test_s_ctor", sizeof(struct cobj), 0, 0, cobj_ctor },
	[CS_RCU] = { "goalloc_test_s_rcu", sizeof(struct cobj), 0,
		     SLAB_TYPESAFE_BY_RCU, cobj_ctor },
	[CS_ALIGNED] = { "goalloc_test_s_aligned", sizeof(struct cobj) + 40, 256,
			 SLAB_HWCACHE_ALIGN, NULL },
	[CS_BIG] = { "goalloc_test_s_big", BIG_SIZE, 0, 0, bobj_ctor },
};

struct cs_slot {
	spinlock_t lock;	/* protects p and kind */
	struct cobj *p;
	unsigned int kind;
};

struct cs_counts {
	unsigned long ops;
	unsigned long verified;
	unsigned long bad;
	unsigned long partial;
	unsigned long nulls;
	unsigned long bulks;
	unsigned long deferred;
	unsigned long rcu_reads;
	unsigned long bad_type;
};

struct cs_run;

struct cs_worker {
	struct cs_run *run;
	struct task_struct *task;
	struct rnd_state rnd;
	struct cs_counts c;
	unsigned int nbatch;
	void *batch[CS_BATCH];
	void *bulk[CS_BULK_MAX];
};

struct cs_run {
	struct goalloc_cache *caches[NR_CS];
	struct cs_slot slots[CS_SLOTS];
	struct cobj *rcu_slots[CS_RCU_SLOTS];
	struct cs_worker *workers;
	unsigned int nworkers;
	unsigned long drains;
};

/* Mostly small kinds; one pick in 64 an object over 32 KiB. */
static unsigned int cs_kind(u32 r)
{
	return r & 63 ? (r >> 6) % CS_BIG : CS_BIG;
}

/* A new object of @kind: constructed if its cache has a constructor; used. */
static void cs_take(struct cs_worker *w, unsigned int kind, struct cobj *o)
{
	bool ok = true;

	if (kind == CS_BIG)
		ok = bobj_constructed((struct bobj *)o);
	else if (cs_defs[kind].ctor)
		ok = cobj_constructed(o);
	else
		o->magic = COBJ_MAGIC;
	if (cs_defs[kind].align &&
	    !IS_ALIGNED((unsigned long)o, cs_defs[kind].align))
		ok = false;
	if (!ok && w->c.bad++ < 5)
		pr_err("%s: object %p not constructed or misaligned\n",
		       cs_defs[kind].name, o);
	cobj_use(o);
}

/* Check a user's object and put it back in the state its cache keeps. */
static void cs_put(struct cs_worker *w, unsigned int kind, struct cobj *o)
{
	if (READ_ONCE(o->magic) == COBJ_MAGIC && cobj_used_ok(o))
		w->c.verified++;
	else if (w->c.bad++ < 5)
		pr_err("%s: object %p corrupted\n", cs_defs[kind].name, o);
	if (cs_defs[kind].ctor)
		cobj_restore(o);
}

static void cs_flush_batch(struct cs_worker *w)
{
	goalloc_free_bulk(w->nbatch, w->batch);
	w->nbatch = 0;
}

/* Free by one of four ways: its cache, goalloc_free(), deferred, bulk. */
static void cs_free(struct cs_worker *w, unsigned int kind, struct cobj *o,
		    u32 r)
{
	switch (r & 3) {
	case 0:
		goalloc_cache_free(w->run->caches[kind], o);
		break;
	case 1:
		goalloc_free(o);
		break;
	case 2:
		goalloc_free_rcu(o, rh);
		w->c.deferred++;
		break;
	default:
		w->batch[w->nbatch++] = o;
		if (w->nbatch == CS_BATCH)
			cs_flush_batch(w);
		break;
	}
}

static struct cobj *cs_new(struct cs_worker *w, unsigned int kind)
{
	struct cobj *o = goalloc_cache_alloc(w->run->caches[kind], CS_GFP);

	if (o)
		cs_take(w, kind, o);
	else
		w->c.nulls++;
	return o;
}

/* One object into a shared slot; the one it held checked and freed. */
static void cs_single(struct cs_worker *w, u32 r)
{
	unsigned int kind = cs_kind(r), old_kind;
	struct cs_slot *s;
	struct cobj *o, *old;

	o = cs_new(w, kind);
	s = &w->run->slots[prandom_u32_state(&w->rnd) % CS_SLOTS];
	spin_lock(&s->lock);
	old = s->p;
	old_kind = s->kind;
	s->p = o;
	s->kind = kind;
	spin_unlock(&s->lock);
	if (old) {
		cs_put(w, old_kind, old);
		cs_free(w, old_kind, old, r >> 12);
	}
}

/* A bulk call: all or nothing; the objects go back by a bulk free. */
static void cs_bulk(struct cs_worker *w, u32 r)
{
	unsigned int kind = cs_kind(r), i;
	struct goalloc_cache *c = w->run->caches[kind];
	unsigned int n = 1 + (r >> 12) % (kind == CS_BIG ? 4 : CS_BULK_MAX);
	int ret;

	ret = goalloc_cache_alloc_bulk(c, CS_GFP, n, w->bulk);
	if (!ret) {
		w->c.nulls++;
		return;
	}
	if (ret != n && w->c.partial++ < 5)
		pr_err("%s: bulk of %u returned %d\n", cs_defs[kind].name, n, ret);
	n = min_t(unsigned int, ret, n);
	for (i = 0; i < n; i++)
		cs_take(w, kind, w->bulk[i]);
	for (i = 0; i < n; i++)
		cs_put(w, kind, w->bulk[i]);
	if ((r >> 20) & 1)
		goalloc_cache_free_bulk(c, n, w->bulk);
	else
		goalloc_free_bulk(n, w->bulk);
	w->c.bulks++;
}

/*
 * Replace an object readers find under rcu_read_lock(); the old one is
 * freed at once (its type stays for them) or after a grace period.
 */
static void cs_rcu_replace(struct cs_worker *w, u32 r)
{
	struct cobj *o = cs_new(w, CS_RCU), *old;

	old = xchg(&w->run->rcu_slots[(r >> 4) % CS_RCU_SLOTS], o);
	if (!old)
		return;
	cs_put(w, CS_RCU, old);
	if (r & BIT(31))
		goalloc_free_rcu(old, rh);
	else
		goalloc_cache_free(w->run->caches[CS_RCU], old);
}

static void cs_rcu_read(struct cs_worker *w, u32 r)
{
	struct cobj *o;

	rcu_read_lock();
	o = READ_ONCE(w->run->rcu_slots[(r >> 4) % CS_RCU_SLOTS]);
	if (o && READ_ONCE(o->magic) != COBJ_MAGIC)
		w->c.bad_type++;
	rcu_read_unlock();
	w->c.rcu_reads++;
}

static int cs_thread(void *arg)
{
	struct cs_worker *w = arg;
	u32 r;

	while (!kthread_should_stop()) {
		r = prandom_u32_state(&w->rnd);
		switch (r % 16) {
		case 0 ... 8:
			cs_single(w, r >> 4);
			break;
		case 9 ... 10:
			cs_bulk(w, r >> 4);
			break;
		case 11 ... 12:
			cs_rcu_replace(w, r);
			break;
		default:
			cs_rcu_read(w, r);
			break;
		}
		if (!(++w->c.ops & 31))
			cond_resched();
	}
	cs_flush_batch(w);
	return 0;
}

/* Empty the CPU caches every 50 ms: spans, RCU ones too, leave and come. */
static int cs_drain_thread(void *arg)
{
	struct cs_run *run = arg;

	while (!kthread_should_stop()) {
		goalloc_drain(false);
		run->drains++;
		msleep_interruptible(50);
	}
	return 0;
}

static int cs_start(struct cs_run *run)
{
	struct task_struct *t;
	unsigned int cpu, i = 0;

	for_each_online_cpu(cpu) {
		struct cs_worker *w = &run->workers[i];

		w->run = run;
		prandom_seed_state(&w->rnd, get_random_u64());
		t = kthread_create_on_cpu(cs_thread, w, cpu, "goalloc_cs/%u");
		if (IS_ERR(t))
			return PTR_ERR(t);
		w->task = t;
		run->nworkers = ++i;
		wake_up_process(t);
	}
	return 0;
}

static void cs_sum(struct cs_run *run, struct cs_counts *sum)
{
	unsigned int i;

	memset(sum, 0, sizeof(*sum));
	for (i = 0; i < run->nworkers; i++) {
		const struct cs_counts *c = &run->workers[i].c;

		sum->ops += c->ops;
		sum->verified += c->verified;
		sum->bad += c->bad;
		sum->partial += c->partial;
		sum->nulls += c->nulls;
		sum->bulks += c->bulks;
		sum->deferred += c->deferred;
		sum->rcu_reads += c->rcu_reads;
		sum->bad_type += c->bad_type;
	}
}

/*
 * A thread on every CPU: single and bulk allocations of five caches (plain,
 * constructed, SLAB_TYPESAFE_BY_RCU, aligned, over 32 KiB), traded through
 * shared slots and freed by their cache, goalloc_free(), a deferred free
 * or a bulk free; RCU readers of the RCU cache's objects; a drain every
 * 50 ms. Every object's pattern is checked before its free, constructed
 * objects must come constructed, readers must always read the type. At
 * the end every cache is destroyed with nothing in use, the size classes
 * are as they were and goalloc_verify() is clean.
 */
static void threads_on_every_cpu_mix_every_cache_call(struct kunit *test)
{
	unsigned long *inuse = kunit_kcalloc(test, GOALLOC_NUM_CLASSES,
					     sizeof(*inuse), GFP_KERNEL);
	struct cs_run *run = kunit_kzalloc(test, sizeof(*run), GFP_KERNEL);
	struct task_struct *drainer = NULL;
	struct cs_worker *w0;
	struct cs_counts sum;
	unsigned int i, cls;
	int err, bad;

	KUNIT_ASSERT_TRUE(test, run && inuse);
	run->workers = kunit_kcalloc(test, nr_cpu_ids, sizeof(*run->workers),
				     GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, run->workers);
	for (i = 0; i < CS_SLOTS; i++)
		spin_lock_init(&run->slots[i].lock);
	goalloc_drain(false);
	for (cls = 1; cls < GOALLOC_NUM_CLASSES; cls++)
		inuse[cls] = class_inuse(cls);
	for (i = 0; i < NR_CS; i++) {
		run->caches[i] = goalloc_cache_create(cs_defs[i].name,
						      cs_defs[i].size,
						      cs_defs[i].align,
						      cs_defs[i].flags,
						      cs_defs[i].ctor);
		KUNIT_EXPECT_NOT_NULL_MSG(test, run->caches[i], "%s",
					  cs_defs[i].name);
		if (!run->caches[i])
			goto destroy;
	}

	cpus_read_lock();
	err = cs_start(run);
	cpus_read_unlock();
	if (!err) {
		drainer = kthread_run(cs_drain_thread, run, "goalloc_cs_drain");
		if (IS_ERR(drainer)) {
			err = PTR_ERR(drainer);
			drainer = NULL;
		}
	}
	if (!err)
		msleep(CS_SECS * MSEC_PER_SEC);
	if (drainer)
		kthread_stop(drainer);
	for (i = 0; i < run->nworkers; i++)
		kthread_stop(run->workers[i].task);
	KUNIT_EXPECT_EQ_MSG(test, err, 0, "could not start the threads");

	/* Everything left, checked and freed. */
	w0 = &run->workers[0];
	w0->run = run;
	for (i = 0; i < CS_SLOTS; i++) {
		struct cs_slot *s = &run->slots[i];

		if (s->p) {
			cs_put(w0, s->kind, s->p);
			goalloc_cache_free(run->caches[s->kind], s->p);
		}
	}
	for (i = 0; i < CS_RCU_SLOTS; i++) {
		if (run->rcu_slots[i]) {
			cs_put(w0, CS_RCU, run->rcu_slots[i]);
			goalloc_cache_free(run->caches[CS_RCU], run->rcu_slots[i]);
		}
	}
	goalloc_rcu_barrier();
destroy:
	for (i = 0; i < NR_CS; i++)
		if (run->caches[i])
			cache_destroy_clean(test, run->caches[i]);
	rcu_barrier();
	goalloc_drain(false);
	for (cls = 1; cls < GOALLOC_NUM_CLASSES; cls++)
		KUNIT_EXPECT_EQ_MSG(test, class_inuse(cls), inuse[cls],
				    "class %u (%u bytes)", cls, class_info[cls].size);
	bad = goalloc_verify(NULL);
	cs_sum(run, &sum);
	pr_info("case=cache_stress secs=%u threads=%u ops=%lu verified=%lu bulks=%lu deferred_frees=%lu rcu_reads=%lu null_allocs=%lu drains=%lu corruptions=%lu partial_bulks=%lu wrong_type_reads=%lu verify_violations=%d\n",
		CS_SECS, run->nworkers, sum.ops, sum.verified, sum.bulks,
		sum.deferred, sum.rcu_reads, sum.nulls, run->drains, sum.bad,
		sum.partial, sum.bad_type, bad);
	KUNIT_EXPECT_EQ(test, sum.bad, 0UL);
	KUNIT_EXPECT_EQ(test, sum.partial, 0UL);
	KUNIT_EXPECT_EQ(test, sum.bad_type, 0UL);
	KUNIT_EXPECT_EQ(test, bad, 0);
	KUNIT_EXPECT_GT(test, sum.verified, 0UL);
	KUNIT_EXPECT_GT(test, sum.rcu_reads, 0UL);
}

static struct kunit_case stress_cases[] = {
	KUNIT_CASE(threads_on_every_cpu_mix_every_cache_call),
	{}
};

static struct kunit_suite stress_suite = {
	.name = "goalloc_cache_stress",
	.test_cases = stress_cases,
};

kunit_test_suites(&cache_suite, &rcu_suite, &bad_input_suite, &stress_suite);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit tests for goalloc: caches, bulk calls, RCU");
