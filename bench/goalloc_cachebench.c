// SPDX-License-Identifier: GPL-2.0
/*
 * goalloc_cachebench - data cache misses per operation of goalloc against
 * kmalloc (SLUB), in the same load, counted by the QEMU plugin
 * scripts/qcache/cacheprof.c (scripts/cachebench.sh runs both).
 *
 * The module cannot see the cache model; it marks what to count with NOPs
 * the plugin recognises (cacheprof_mark()): begin a region, end it, flush
 * the model. Each region it ends is printed as
 *
 *   goalloc_cachebench: region=K test=T size=S mode=M alloc=A ops=N
 *
 * with K counted from 0, as the plugin counts the regions it sees end, and
 * the host divides the region's misses by N. The tests, per size:
 *
 *   batch_alloc  N allocations (then the N frees, not counted)
 *   batch_free   the N frees of a batch
 *   pair         N times an allocation and its free (one op = both)
 *   ws           larson-like working set: @ws_objects live objects, then
 *                @ws_steps times a random one freed and replaced (one op =
 *                the free and the allocation); goalloc and kmalloc draw
 *                the same sequence
 *   prodcons     (2 CPUs or more) CPU 0 allocates N objects into a ring,
 *                CPU 1 frees them (one op = both)
 *
 * each in two modes:
 *
 *   cold  the model is flushed before every operation (every allocation,
 *         free, pair or step): the misses of a call made with nothing of
 *         the allocator's in cache; prodcons flushes once, at its start
 *   warm  the same test ran once just before, unmeasured, and nothing is
 *         flushed: the steady state of back-to-back calls
 *
 * The objects are never written by the test, so the misses are the
 * allocator's own, plus the test's array of pointers (the same for both).
 *
 * The validation ("validate") checks the model with a stride loop whose
 * misses follow from arithmetic, with interrupts off: one load per 64-byte
 * line over a physically contiguous buffer, twice, from a flushed model,
 * counting this CPU's accesses only (another CPU's timer is not the
 * loop's), and printing the counts it predicts for a 32 KiB 8-way L1d and
 * a 1 MiB 16-way L2 of 64-byte lines with LRU:
 *
 *   16 KiB  pass 1: every line misses L1d and L2; pass 2: no miss
 *   64 KiB  pass 1: every line misses both; pass 2: every line misses
 *           the L1d (16 lines per 8-way set, cycled in LRU order) and
 *           hits the L2 (one line per set)
 *   2 MiB   both passes: every line misses both (32 lines per L2 set)
 */

#define pr_fmt(fmt) "goalloc_cachebench: " fmt

#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/gfp.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/vmalloc.h>

#include "goalloc.h"
#include "goalloc_bench_spin.h"

/* ------------------------------------------------------------------ */
/* Parameters */

static char *tests = "validate,batch,pair,ws,prodcons";
module_param(tests, charp, 0444);
MODULE_PARM_DESC(tests, "comma-separated: validate,batch,pair,ws,prodcons (default all)");

static unsigned int sizes[16] = { 8, 64, 256, 1024, 4096 };
static int nr_sizes = 5;
module_param_array(sizes, uint, &nr_sizes, 0444);
MODULE_PARM_DESC(sizes, "object sizes in bytes (default 8,64,256,1024,4096)");

static unsigned int n = 10000;
module_param(n, uint, 0444);
MODULE_PARM_DESC(n, "objects of a batch, pairs, prodcons objects (default 10000)");

static unsigned int ws_objects = 100000;
module_param(ws_objects, uint, 0444);
MODULE_PARM_DESC(ws_objects, "ws: live objects (default 100000)");

static unsigned int ws_steps = 20000;
module_param(ws_steps, uint, 0444);
MODULE_PARM_DESC(ws_steps, "ws: measured replacements (default 20000)");

static char *profile = "";
module_param(profile, charp, 0444);
MODULE_PARM_DESC(profile, "TEST,SIZE,MODE,ALLOC[/...]: regions whose misses the plugin also counts per instruction");

/* ------------------------------------------------------------------ */
/* Markers for scripts/qcache/cacheprof.c */

enum cacheprof_cmd {
	CACHEPROF_BEGIN = 1,
	CACHEPROF_END = 2,
	CACHEPROF_FLUSH = 3,
	CACHEPROF_BEGIN_PROFILED = 4,
	CACHEPROF_BEGIN_LOCAL = 5,	/* count this CPU's accesses only */
};

/*
 * "nopl 0x636163NN(%rax)": a NOP on every x86 CPU, which the plugin
 * recognises by its bytes at translation. The memory clobber keeps the
 * compiler from moving the measured accesses across it.
 */
static __always_inline void cacheprof_mark(const enum cacheprof_cmd cmd)
{
	asm volatile(".byte 0x0f, 0x1f, 0x80\n\t.long %c0"
		     : : "i" (0x63616300 | cmd) : "memory");
}

/*
 * The regions ended so far, printed at the end of the run: a printk
 * between two measured regions would fill the cache with the console's
 * lines and spoil the warm figures.
 */
struct cb_region {
	const char *test;
	size_t size;
	const char *mode;
	const char *alloc;
	unsigned int ops;
	size_t predict[3];	/* validate: accesses, L1d and L2 misses */
	bool profiled;		/* the region @profile names */
};

#define MAX_REGIONS	512
static struct cb_region regions[MAX_REGIONS];
static unsigned int region_seq;

static const char * const alloc_names[] = { "goalloc", "kmalloc" };

enum cb_alloc { CB_GOALLOC, CB_KMALLOC, NR_CB_ALLOC };

enum cb_mode { CB_COLD, CB_WARM };

static const char * const mode_names[] = { "cold", "warm" };

/* Whether @profile names this region. */
static bool region_profiled(const char *test, size_t size, const char *mode,
			    const char *alloc)
{
	char want[64];
	const char *p = profile;
	size_t len;

	len = snprintf(want, sizeof(want), "%s,%zu,%s,%s", test, size, mode,
		       alloc);
	while ((p = strstr(p, want))) {
		if ((p == profile || p[-1] == '/') && (!p[len] || p[len] == '/'))
			return true;
		p += len;
	}
	return false;
}

/*
 * region_begin() - start counting; region_end() stops and prints the
 * region's line. @profiled regions also count misses per instruction.
 */
static __always_inline void region_begin(bool profiled)
{
	if (profiled)
		cacheprof_mark(CACHEPROF_BEGIN_PROFILED);
	else
		cacheprof_mark(CACHEPROF_BEGIN);
}

/* Note a region the plugin saw end; the caller marked its end. */
static struct cb_region *region_note(const char *test, size_t size,
				     const char *mode, const char *alloc,
				     unsigned int ops)
{
	static struct cb_region lost;
	struct cb_region *r = region_seq < MAX_REGIONS ? &regions[region_seq] : &lost;

	region_seq++;
	*r = (struct cb_region){ .test = test, .size = size, .mode = mode,
				 .alloc = alloc, .ops = ops,
				 .profiled = region_profiled(test, size, mode, alloc) };
	return r;
}

static void region_end(const char *test, size_t size, const char *mode,
		       const char *alloc, unsigned int ops)
{
	cacheprof_mark(CACHEPROF_END);
	region_note(test, size, mode, alloc, ops);
}

static void regions_print(void)
{
	const struct cb_region *r;
	unsigned int i;

	if (region_seq > MAX_REGIONS)
		pr_err("%u regions, only %u kept\n", region_seq, MAX_REGIONS);
	for (i = 0; i < min_t(unsigned int, region_seq, MAX_REGIONS); i++) {
		r = &regions[i];
		if (r->predict[0])
			pr_info("region=%u test=%s size=%zu mode=%s alloc=%s ops=%u predict_accesses=%zu predict_l1=%zu predict_l2=%zu\n",
				i, r->test, r->size, r->mode, r->alloc, r->ops,
				r->predict[0], r->predict[1], r->predict[2]);
		else
			pr_info("region=%u test=%s size=%zu mode=%s alloc=%s ops=%u profiled=%d\n",
				i, r->test, r->size, r->mode, r->alloc, r->ops,
				r->profiled);
	}
}

static __always_inline void flush_if(bool cold)
{
	if (cold)
		cacheprof_mark(CACHEPROF_FLUSH);
}

/* ------------------------------------------------------------------ */
/* Allocators, called directly (never through a pointer) */

static __always_inline void *cb_alloc(const enum cb_alloc a, size_t size)
{
	return a == CB_GOALLOC ? goalloc_alloc(size, GFP_KERNEL) :
				 kmalloc(size, GFP_KERNEL);
}

static __always_inline void cb_free(const enum cb_alloc a, void *p)
{
	if (a == CB_GOALLOC)
		goalloc_free(p);
	else
		kfree(p);
}

/* ------------------------------------------------------------------ */
/* Validation */

static noinline void stride_pass(const u8 *buf, size_t len)
{
	size_t off;

	for (off = 0; off < len; off += 64)
		(void)READ_ONCE(buf[off]);
}

static void validate_one(unsigned int order)
{
	size_t len = PAGE_SIZE << order, lines = len / 64;
	size_t l1_lines = 32 * 1024 / 64, l2_lines = 1024 * 1024 / 64;
	struct page *page = alloc_pages(GFP_KERNEL | __GFP_NOWARN, order);
	unsigned long flags;
	const u8 *buf;
	int pass;

	if (!page) {
		pr_info("validate: no %zu KiB of contiguous pages, skipped\n",
			len >> 10);
		return;
	}
	buf = page_address(page);
	local_irq_save(flags);
	cacheprof_mark(CACHEPROF_FLUSH);
	for (pass = 1; pass <= 2; pass++) {
		cacheprof_mark(CACHEPROF_BEGIN_LOCAL);
		stride_pass(buf, len);
		cacheprof_mark(CACHEPROF_END);
	}
	local_irq_restore(flags);
	for (pass = 1; pass <= 2; pass++) {
		struct cb_region *r = region_note("validate", len,
						  pass == 1 ? "pass1" : "pass2",
						  "none", lines);

		r->predict[0] = lines;
		r->predict[1] = pass == 1 || lines > l1_lines ? lines : 0;
		r->predict[2] = pass == 1 || lines > l2_lines ? lines : 0;
	}
	__free_pages(page, order);
}

static void run_validate(void)
{
	validate_one(2);	/* 16 KiB */
	validate_one(4);	/* 64 KiB */
	validate_one(9);	/* 2 MiB */
}

/* ------------------------------------------------------------------ */
/* Single-CPU tests */

static void **objs;		/* max(n, ws_objects) pointers */

static __always_inline void batch_alloc(const enum cb_alloc a, size_t size,
					bool cold)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		flush_if(cold);
		objs[i] = cb_alloc(a, size);
	}
}

static __always_inline void batch_free(const enum cb_alloc a, bool cold)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		flush_if(cold);
		cb_free(a, objs[i]);
	}
}

static __always_inline void pairs(const enum cb_alloc a, size_t size,
				  bool cold)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		flush_if(cold);
		cb_free(a, cb_alloc(a, size));
	}
}

/* xorshift64, one fixed seed per run: both allocators draw the same. */
static __always_inline u64 ws_next(u64 *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

static __always_inline void ws_replace(const enum cb_alloc a, size_t size,
				       bool cold, u64 *seed)
{
	unsigned int i, k;

	for (i = 0; i < ws_steps; i++) {
		k = ws_next(seed) % ws_objects;
		flush_if(cold);
		cb_free(a, objs[k]);
		objs[k] = cb_alloc(a, size);
	}
}

static __always_inline void run_one(const enum cb_alloc a, const char *test,
				    size_t size, enum cb_mode m)
{
	const char *mode = mode_names[m], *name = alloc_names[a];
	bool cold = m == CB_COLD, prof = region_profiled(test, size, mode, name);
	unsigned int i;
	u64 seed = 0x9e3779b97f4a7c15ull;

	if (!strcmp(test, "batch")) {
		if (!cold) {
			batch_alloc(a, size, false);
			batch_free(a, false);
		}
		region_begin(region_profiled("batch_alloc", size, mode, name));
		batch_alloc(a, size, cold);
		region_end("batch_alloc", size, mode, name, n);
		region_begin(region_profiled("batch_free", size, mode, name));
		batch_free(a, cold);
		region_end("batch_free", size, mode, name, n);
	} else if (!strcmp(test, "pair")) {
		if (!cold)
			pairs(a, size, false);
		region_begin(prof);
		pairs(a, size, cold);
		region_end(test, size, mode, name, n);
	} else if (!strcmp(test, "ws")) {
		for (i = 0; i < ws_objects; i++)
			objs[i] = cb_alloc(a, size);
		if (!cold)
			ws_replace(a, size, false, &seed);
		region_begin(prof);
		ws_replace(a, size, cold, &seed);
		region_end(test, size, mode, name, ws_steps);
		for (i = 0; i < ws_objects; i++)
			cb_free(a, objs[i]);
	}
}

static noinline void run_goalloc(const char *test, size_t size, enum cb_mode m)
{
	run_one(CB_GOALLOC, test, size, m);
}

static noinline void run_kmalloc(const char *test, size_t size, enum cb_mode m)
{
	run_one(CB_KMALLOC, test, size, m);
}

/* ------------------------------------------------------------------ */
/* Producer/consumer on CPUs 0 and 1 */

#define RING_SLOTS	512
struct cb_ring {
	unsigned long head ____cacheline_aligned_in_smp;	/* producer */
	unsigned long tail ____cacheline_aligned_in_smp;	/* consumer */
	void *slot[RING_SLOTS] ____cacheline_aligned_in_smp;
};

struct cb_prodcons {
	struct cb_ring ring;
	enum cb_alloc a;
	size_t size;
	bool profiled;
	atomic_t ready;
	atomic_t left;
	struct completion done;
};

static __always_inline void produce(const enum cb_alloc a,
				    struct cb_prodcons *pc)
{
	struct cb_ring *r = &pc->ring;
	unsigned long pos;

	for (pos = 0; pos < n; pos++) {
		void *p = cb_alloc(a, pc->size);

		/* A slot is free once the consumer's release says so. */
		while (pos - smp_load_acquire(&r->tail) == RING_SLOTS)
			bench_spin();
		r->slot[pos % RING_SLOTS] = p;
		/* Publish the slot; pairs with the consumer's acquire. */
		smp_store_release(&r->head, pos + 1);
	}
}

static __always_inline void consume(const enum cb_alloc a,
				    struct cb_prodcons *pc)
{
	struct cb_ring *r = &pc->ring;
	unsigned long pos;
	void *p;

	for (pos = 0; pos < n; pos++) {
		/* Pairs with the producer's release of head. */
		while (smp_load_acquire(&r->head) == pos)
			bench_spin();
		p = r->slot[pos % RING_SLOTS];
		/* Hand the slot back; pairs with the producer's acquire. */
		smp_store_release(&r->tail, pos + 1);
		cb_free(a, p);
	}
}

static int prodcons_fn(void *arg, bool producer)
{
	struct cb_prodcons *pc = arg;

	/* Both threads running before the region begins. */
	atomic_inc(&pc->ready);
	while (atomic_read(&pc->ready) < 2)
		bench_spin();
	if (producer) {
		region_begin(pc->profiled);
		if (pc->a == CB_GOALLOC)
			produce(CB_GOALLOC, pc);
		else
			produce(CB_KMALLOC, pc);
	} else {
		if (pc->a == CB_GOALLOC)
			consume(CB_GOALLOC, pc);
		else
			consume(CB_KMALLOC, pc);
	}
	/* The second to finish ends the region. */
	if (atomic_dec_and_test(&pc->left)) {
		cacheprof_mark(CACHEPROF_END);
		complete(&pc->done);
	}
	/* Stay until kthread_stop(), so the run owns our task_struct. */
	set_current_state(TASK_INTERRUPTIBLE);
	while (!kthread_should_stop()) {
		schedule();
		set_current_state(TASK_INTERRUPTIBLE);
	}
	__set_current_state(TASK_RUNNING);
	return 0;
}

static int producer_fn(void *arg)
{
	return prodcons_fn(arg, true);
}

static int consumer_fn(void *arg)
{
	return prodcons_fn(arg, false);
}

/*
 * One producer/consumer run, measured or not; the caller prints the
 * region. Return: 0, or a negative errno when a thread was not created.
 */
static int prodcons_once(struct cb_prodcons *pc)
{
	struct task_struct *t[2];

	memset(&pc->ring, 0, sizeof(pc->ring));
	atomic_set(&pc->ready, 0);
	atomic_set(&pc->left, 2);
	init_completion(&pc->done);
	t[0] = kthread_create_on_cpu(producer_fn, pc, 0, "cachebench_p/%u");
	if (IS_ERR(t[0]))
		return PTR_ERR(t[0]);
	t[1] = kthread_create_on_cpu(consumer_fn, pc, 1, "cachebench_c/%u");
	if (IS_ERR(t[1])) {
		kthread_stop(t[0]);
		return PTR_ERR(t[1]);
	}
	wake_up_process(t[0]);
	wake_up_process(t[1]);
	wait_for_completion(&pc->done);
	kthread_stop(t[0]);
	kthread_stop(t[1]);
	return 0;
}

static void run_prodcons(size_t size, enum cb_mode m, enum cb_alloc a)
{
	struct cb_prodcons *pc = kzalloc(sizeof(*pc), GFP_KERNEL);
	unsigned int seq = region_seq;

	if (!pc)
		return;
	pc->a = a;
	pc->size = size;
	if (m == CB_WARM && prodcons_once(pc))
		goto out;
	/* The warm-up's region is a region too: the plugin counts it. */
	if (m == CB_WARM)
		region_note("prodcons_warmup", size, "warm", alloc_names[a], n);
	pc->profiled = region_profiled("prodcons", size, mode_names[m],
				       alloc_names[a]);
	if (m == CB_COLD)
		cacheprof_mark(CACHEPROF_FLUSH);
	if (prodcons_once(pc))
		goto out;
	region_note("prodcons", size, mode_names[m], alloc_names[a], n);
out:
	if (region_seq == seq)
		pr_err("prodcons size=%zu: no thread\n", size);
	kfree(pc);
}

/* ------------------------------------------------------------------ */

static bool want(const char *test)
{
	size_t len = strlen(test);
	const char *p = tests;

	while ((p = strstr(p, test))) {
		if ((p == tests || p[-1] == ',') && (!p[len] || p[len] == ','))
			return true;
		p += len;
	}
	return false;
}

static int __init cachebench_init(void)
{
	static const char * const single[] = { "batch", "pair", "ws" };
	unsigned int i, t;
	enum cb_mode m;

	objs = vmalloc(array_size(max(n, ws_objects), sizeof(*objs)));
	if (!objs)
		return -ENOMEM;
	if (want("validate"))
		run_validate();
	for (t = 0; t < ARRAY_SIZE(single); t++) {
		if (!want(single[t]))
			continue;
		for (i = 0; i < nr_sizes; i++) {
			for (m = CB_COLD; m <= CB_WARM; m++) {
				run_goalloc(single[t], sizes[i], m);
				run_kmalloc(single[t], sizes[i], m);
			}
		}
	}
	if (want("prodcons") && num_online_cpus() >= 2 && cpu_online(1)) {
		for (i = 0; i < nr_sizes; i++) {
			for (m = CB_COLD; m <= CB_WARM; m++) {
				run_prodcons(sizes[i], m, CB_GOALLOC);
				run_prodcons(sizes[i], m, CB_KMALLOC);
			}
		}
	}
	regions_print();
	pr_info("done regions=%u\n", region_seq);
	return 0;
}

static void __exit cachebench_exit(void)
{
	vfree(objs);
}

module_init(cachebench_init);
module_exit(cachebench_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Data cache misses per operation of goalloc and kmalloc, under scripts/qcache/cacheprof.c");
