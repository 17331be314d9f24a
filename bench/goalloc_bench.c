// SPDX-License-Identifier: GPL-2.0
/*
 * goalloc_bench - goalloc against kmalloc (SLUB) in the same load, and
 * goalloc's caches against kmem_cache.
 *
 * Absolute times in a TCG guest mean nothing; a ratio between two
 * allocators measured in the same boot does. So every measurement runs the
 * same loop once per allocator and prints both figures and their ratio.
 * Under "-icount shift=0" one nanosecond of guest time is one guest
 * instruction, so the single-CPU figures are instruction counts.
 *
 * The tests follow Lameter's slab_test and the xmalloc-test and larson
 * patterns:
 *
 *   batch        N allocations, then the N frees (FIFO); cost of each
 *   pair         N times an allocation and its free
 *   concurrent   batch on every online CPU at once (alloc + free per object)
 *   remote       each CPU allocates N, then frees the N its neighbour
 *                allocated (alloc + free per object)
 *   prodcons     CPU 2k allocates, CPU 2k+1 frees, through a ring
 *   mix          larson-like: random sizes 8..4096 over a fixed slot array
 *                per CPU; a share of the slots picked are a neighbour's, so
 *                those objects are freed on another CPU
 *
 * The cache tests compare a goalloc cache (goalloc_cache_alloc() and
 * goalloc_cache_free()) with a kmem_cache of the same size, made the same
 * way (no alignment, no flags, no constructor); both caches are made once
 * per size, serve every cache test of that size, and are destroyed:
 *
 *   cache_batch, cache_pair, cache_concurrent, cache_remote, cache_prodcons
 *                as batch, pair, concurrent, remote and prodcons
 *   cache_bulk   N / B times a bulk allocation of B objects and their bulk
 *                free, for each B of @bulk; cost per object (alloc + free)
 *
 * Each test is one __always_inline loop taking the allocator as a
 * compile-time constant (enum bench_allocator), instantiated once per
 * allocator by DEFINE_BENCH_WORK() (and per cache allocator by
 * DEFINE_BENCH_CACHE_WORK()): the timed loops call goalloc_alloc() /
 * goalloc_free() or __kmalloc() / kfree(), and goalloc_cache_*() or
 * kmem_cache_*(), directly, never through a pointer. Every test runs in
 * kthreads bound to online CPUs (one thread for the single-CPU tests) that
 * a spinning barrier releases together.
 *
 * Output, one line per measurement (per-op figures in ns, two decimals):
 *
 *   goalloc_bench: test=T size=S n=N cpus=C goalloc=G kmalloc=K ratio=R
 *
 * where a cache test prints kmem_cache=K instead of kmalloc=K.
 *
 * Each figure is the best of @repeat runs per allocator (lap by lap for a
 * single thread, see TIMED_LAPS()). Objects per thread are capped so that
 * one run holds at most @budget_mb MiB.
 *
 * With mem=a or mem=b the module runs only the memory workload instead:
 * it allocates @mem_objects objects from @mem_alloc with sizes drawn
 * (a) uniformly from 1..4096 or (b) log-uniformly from 8..32768 with a fixed
 * seed, prints what it asked for, and keeps them until it is unloaded, so
 * a script can read the allocators' page counts in between.
 */

#define pr_fmt(fmt) "goalloc_bench: " fmt

#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/vmalloc.h>

#include "goalloc.h"
#include "goalloc_bench_spin.h"

/* ------------------------------------------------------------------ */
/* Parameters */

static char *tests = "all";
module_param(tests, charp, 0444);
MODULE_PARM_DESC(tests, "comma-separated, or all (default): batch,pair,concurrent,remote,prodcons,mix,cache_batch,cache_pair,cache_bulk,cache_concurrent,cache_remote,cache_prodcons");

static char *only = "";
module_param(only, charp, 0444);
MODULE_PARM_DESC(only, "goalloc, kmalloc or kmem_cache: run that allocator alone, for profiling (scripts/qprof.sh); the other reports 0 (kmalloc also selects kmem_cache)");

static unsigned int sizes[32] = {
	8, 16, 24, 32, 48, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096,
	8192, 16384, 32768, 65536, 262144,
};

static int nr_sizes = 19;
module_param_array(sizes, uint, &nr_sizes, 0444);
MODULE_PARM_DESC(sizes, "object sizes in bytes (default 8..262144, 19 sizes)");

static unsigned int bulk[8] = { 16, 256 };

static int nr_bulk = 2;
module_param_array(bulk, uint, &nr_bulk, 0444);
MODULE_PARM_DESC(bulk, "cache_bulk: objects per bulk call (default 16,256)");

static unsigned int n = 10000;
module_param(n, uint, 0444);
MODULE_PARM_DESC(n, "objects (or pairs) per thread and run (default 10000)");

static unsigned int repeat = 3;
module_param(repeat, uint, 0444);
MODULE_PARM_DESC(repeat, "runs per allocator, the best is kept (default 3)");

static unsigned int budget_mb = 128;
module_param(budget_mb, uint, 0444);
MODULE_PARM_DESC(budget_mb, "most memory one run may hold live, MiB (default 128)");

static unsigned int mix_slots = 1000;
module_param(mix_slots, uint, 0444);
MODULE_PARM_DESC(mix_slots, "mix: live slots per CPU (default 1000)");

static unsigned int mix_steps = 20000;
module_param(mix_steps, uint, 0444);
MODULE_PARM_DESC(mix_steps, "mix: free+alloc steps per CPU (default 20000)");

static unsigned int mix_remote_pct = 25;
module_param(mix_remote_pct, uint, 0444);
MODULE_PARM_DESC(mix_remote_pct, "mix: percent of steps on a neighbour CPU's slots (default 25)");

static char *mem = "";
module_param(mem, charp, 0444);
MODULE_PARM_DESC(mem, "a or b: run only the memory workload, keep objects until unload");

static char *mem_alloc = "goalloc";
module_param(mem_alloc, charp, 0444);
MODULE_PARM_DESC(mem_alloc, "goalloc or kmalloc: allocator of the memory workload");

static unsigned int mem_objects = 100000;
module_param(mem_objects, uint, 0444);
MODULE_PARM_DESC(mem_objects, "memory workload: objects kept live (default 100000)");

static ulong seed = 0x60a110c5eedULL;
module_param(seed, ulong, 0444);
MODULE_PARM_DESC(seed, "seed of the random sizes (mix, memory workload)");

/* ------------------------------------------------------------------ */
/* The allocators, as compile-time constants */

/*
 * A test compares two allocators, goalloc's side and the kernel's: goalloc
 * and kmalloc, or for the cache tests a goalloc cache and a kmem_cache.
 * The figures of a test are indexed by side, goalloc's first.
 */
enum bench_allocator {
	BA_GOALLOC,
	BA_KMALLOC,
	BA_GOALLOC_CACHE,
	BA_KMEM_CACHE,
	NR_BENCH_ALLOCATORS
};

#define NR_SIDES	2

static const char *const allocator_names[] = {
	[BA_GOALLOC]		= "goalloc",
	[BA_KMALLOC]		= "kmalloc",
	[BA_GOALLOC_CACHE]	= "goalloc",
	[BA_KMEM_CACHE]		= "kmem_cache",
};

static_assert(ARRAY_SIZE(allocator_names) == NR_BENCH_ALLOCATORS);

/*
 * Skip @a when the "only" parameter names another allocator; only=kmalloc
 * also keeps kmem_cache, the kernel's side of the cache tests.
 */
static bool skip_allocator(enum bench_allocator a)
{
	if (!*only || (a == BA_KMEM_CACHE && !strcmp(only, "kmalloc")))
		return false;
	return strcmp(only, allocator_names[a]);
}

/*
 * @a is a constant wherever these are inlined: one direct call, no branch.
 * @cache is the goalloc cache or kmem_cache of the cache allocators, unused
 * by the others. kmem_cache_free() takes no NULL, which a failed allocation
 * leaves (the test then fails), so both cache allocators' frees skip it:
 * the same test on both sides.
 */
static __always_inline void *ba_alloc(const enum bench_allocator a,
				      void *cache, size_t size)
{
	switch (a) {
	case BA_GOALLOC:
		return goalloc_alloc(size, GFP_KERNEL);
	case BA_KMALLOC:
		return kmalloc(size, GFP_KERNEL);
	case BA_GOALLOC_CACHE:
		return goalloc_cache_alloc(cache, GFP_KERNEL);
	default:
		return kmem_cache_alloc(cache, GFP_KERNEL);
	}
}

static __always_inline void ba_free(const enum bench_allocator a,
				    void *cache, void *p)
{
	switch (a) {
	case BA_GOALLOC:
		goalloc_free(p);
		break;
	case BA_KMALLOC:
		kfree(p);
		break;
	case BA_GOALLOC_CACHE:
		if (likely(p))
			goalloc_cache_free(cache, p);
		break;
	default:
		if (likely(p))
			kmem_cache_free(cache, p);
		break;
	}
}

/* Bulk calls, of the cache allocators only. */
static __always_inline unsigned int ba_alloc_bulk(const enum bench_allocator a,
						  void *cache, unsigned int nr,
						  void **p)
{
	if (a == BA_GOALLOC_CACHE)
		return goalloc_cache_alloc_bulk(cache, GFP_KERNEL, nr, p);
	return kmem_cache_alloc_bulk(cache, GFP_KERNEL, nr, p);
}

static __always_inline void ba_free_bulk(const enum bench_allocator a,
					 void *cache, unsigned int nr,
					 void **p)
{
	if (a == BA_GOALLOC_CACHE)
		goalloc_cache_free_bulk(cache, nr, p);
	else
		kmem_cache_free_bulk(cache, nr, p);
}

/* xorshift64*: the same sequence for both allocators, cheap enough to time. */
static inline u64 bench_rand(u64 *s)
{
	u64 x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545f4914f6cdd1dULL;
}

/* A value in [0, range), from the high bits. */
static inline u32 bench_rand_below(u64 *s, u32 range)
{
	return (u32)(((bench_rand(s) >> 32) * range) >> 32);
}

/* ------------------------------------------------------------------ */
/* Threads and their barrier */

/* Sense-reversing spin barrier; every waiter is on its own CPU. */
struct bench_barrier {
	atomic_t count;
	atomic_t gen;
	int parties;
};

static void barrier_wait(struct bench_barrier *b)
{
	int gen = atomic_read(&b->gen);

	/* Fully ordered: @gen is read before this thread is counted. */
	if (atomic_inc_return(&b->count) == b->parties) {
		atomic_set(&b->count, 0);
		/* The reset is seen before anyone leaves and counts again. */
		atomic_inc_return_release(&b->gen);
		return;
	}
	while (atomic_read_acquire(&b->gen) == gen)
		bench_spin();
}

struct bench_run;

/* One worker: a kthread bound to one CPU. */
struct bench_thread {
	struct bench_run *run;
	struct task_struct *task;
	unsigned int idx;
	unsigned int cpu;
	void **objs;			/* vmalloc'd, @run->count slots */
	u64 ts[3];			/* timestamps of the phases */
	u64 *lap[2];			/* ns of each LAP_OPS operations, per phase */
	unsigned long failed;		/* allocations that returned NULL */
	u64 rnd;
};

/* An SPSC ring of object pointers, producer and consumer on two CPUs. */
#define RING_SLOTS	512
struct bench_ring {
	unsigned long head ____cacheline_aligned_in_smp;	/* producer */
	unsigned long tail ____cacheline_aligned_in_smp;	/* consumer */
	void *slot[RING_SLOTS] ____cacheline_aligned_in_smp;
};

struct bench_run {
	void (*work)(struct bench_thread *t);
	enum bench_allocator a;
	void *cache;			/* cache allocators: the cache */
	size_t size;
	unsigned int count;		/* objects, pairs or steps per thread */
	unsigned int bulk;		/* cache_bulk: objects per call */
	unsigned int nthreads;
	struct bench_barrier barrier;
	atomic_t left;
	struct completion done;
	struct bench_thread *th;
	struct bench_ring *rings;	/* prodcons: nthreads / 2 */
	void **slots;			/* mix: nthreads * mix_slots */
};

static int bench_thread_fn(void *arg)
{
	struct bench_thread *t = arg;
	struct bench_run *run = t->run;

	run->work(t);
	if (atomic_dec_and_test(&run->left))
		complete(&run->done);
	/* Stay until kthread_stop(), so the run owns our task_struct. */
	set_current_state(TASK_INTERRUPTIBLE);
	while (!kthread_should_stop()) {
		schedule();
		set_current_state(TASK_INTERRUPTIBLE);
	}
	__set_current_state(TASK_RUNNING);
	return 0;
}

/*
 * Start one thread per entry of @run->th on its CPU, wait for all of them.
 * Return: 0, or a negative errno when a thread could not be created.
 */
static int run_threads(struct bench_run *run)
{
	unsigned int i, created;
	int err = 0;

	atomic_set(&run->barrier.count, 0);
	atomic_set(&run->barrier.gen, 0);
	run->barrier.parties = run->nthreads;
	atomic_set(&run->left, run->nthreads);
	init_completion(&run->done);

	for (created = 0; created < run->nthreads; created++) {
		struct bench_thread *t = &run->th[created];
		struct task_struct *task;

		t->failed = 0;
		memset(t->ts, 0, sizeof(t->ts));
		task = kthread_create_on_cpu(bench_thread_fn, t, t->cpu,
					     "goalloc_bench/%u");
		if (IS_ERR(task)) {
			err = PTR_ERR(task);
			goto out_stop;
		}
		t->task = task;
	}
	/* Wake them all before any of them spins on this CPU. */
	preempt_disable();
	for (i = 0; i < run->nthreads; i++)
		wake_up_process(run->th[i].task);
	preempt_enable();
	wait_for_completion(&run->done);

out_stop:
	/* Threads never woken (error path) exit without running. */
	for (i = 0; i < created; i++)
		kthread_stop(run->th[i].task);
	return err;
}

/* Time between the first thread's ts[@from] and the last one's ts[@to]. */
static u64 run_span(const struct bench_run *run, int from, int to)
{
	u64 lo = U64_MAX, hi = 0;
	unsigned int i;

	for (i = 0; i < run->nthreads; i++) {
		lo = min(lo, run->th[i].ts[from]);
		hi = max(hi, run->th[i].ts[to]);
	}
	return hi - lo;
}

static unsigned long run_failed(const struct bench_run *run)
{
	unsigned long sum = 0;
	unsigned int i;

	for (i = 0; i < run->nthreads; i++)
		sum += run->th[i].failed;
	return sum;
}

static unsigned long count_null(void *const *objs, unsigned int count)
{
	unsigned long nulls = 0;
	unsigned int i;

	for (i = 0; i < count; i++)
		nulls += !objs[i];
	return nulls;
}

/* ------------------------------------------------------------------ */
/* The timed loops, one per test, always inlined per allocator */

/*
 * Loops are timed in laps of LAP_OPS operations (objects, for bulk calls:
 * LAP_OPS / B calls of B objects, or one call). A single-CPU figure is the
 * sum over laps of each lap's best time over the repeats: a timer tick
 * lands in some lap of every run (4M instructions apart at HZ=250 under
 * icount), rarely in the same lap of all of them, so this keeps the
 * figures free of interrupts and the icount runs reproducible. Reading the
 * clock costs about 0.2 instructions per operation, the same for both.
 */
#define LAP_OPS		256

/*
 * Run @stmt for @i in [0, @count), timing each lap of @per_lap steps into
 * @laps[].
 */
#define TIMED_LAPS_OF(laps, i, count, per_lap, stmt...)			\
do {									\
	unsigned int __lap = 0, __end, __count = (count);		\
	unsigned int __per_lap = (per_lap);				\
	u64 __t;							\
									\
	for (i = 0; i < __count; __lap++) {				\
		__end = min(i + __per_lap, __count);			\
		__t = ktime_get_ns();					\
		for (; i < __end; i++)					\
			stmt;						\
		(laps)[__lap] = ktime_get_ns() - __t;			\
	}								\
} while (0)

/* Run @stmt for @i in [0, @count), in laps of LAP_OPS operations. */
#define TIMED_LAPS(laps, i, count, stmt...)				\
	TIMED_LAPS_OF(laps, i, count, LAP_OPS, stmt)

/* Bulk steps per lap: LAP_OPS objects, or one step when it holds more. */
static inline unsigned int bulk_lap_steps(unsigned int nr)
{
	return max(LAP_OPS / nr, 1U);
}

#define DEFINE_BENCH_WORK(name)						\
static noinline void name##_work(struct bench_thread *t)		\
{									\
	if (t->run->a == BA_GOALLOC)					\
		__##name##_work(BA_GOALLOC, t);				\
	else								\
		__##name##_work(BA_KMALLOC, t);				\
}

#define DEFINE_BENCH_CACHE_WORK(name)					\
static noinline void name##_cache_work(struct bench_thread *t)		\
{									\
	if (t->run->a == BA_GOALLOC_CACHE)				\
		__##name##_work(BA_GOALLOC_CACHE, t);			\
	else								\
		__##name##_work(BA_KMEM_CACHE, t);			\
}

/* ts[0]..ts[1]: N allocations; ts[1]..ts[2]: their frees, oldest first. */
static __always_inline void __batch_work(const enum bench_allocator a,
					 struct bench_thread *t)
{
	struct bench_run *run = t->run;
	unsigned int i, count = run->count;
	size_t size = run->size;
	void *cache = run->cache;
	void **objs = t->objs;

	barrier_wait(&run->barrier);
	t->ts[0] = ktime_get_ns();
	TIMED_LAPS(t->lap[0], i, count, objs[i] = ba_alloc(a, cache, size));
	t->ts[1] = ktime_get_ns();
	TIMED_LAPS(t->lap[1], i, count, ba_free(a, cache, objs[i]));
	t->ts[2] = ktime_get_ns();
	t->failed = count_null(objs, count);
}

DEFINE_BENCH_WORK(batch)
DEFINE_BENCH_CACHE_WORK(batch)

/* ts[0]..ts[1]: N times an allocation and its free. */
static __always_inline void __pair_work(const enum bench_allocator a,
					struct bench_thread *t)
{
	struct bench_run *run = t->run;
	unsigned int i, count = run->count;
	unsigned long failed = 0;
	size_t size = run->size;
	void *cache = run->cache;
	void *p;

	barrier_wait(&run->barrier);
	t->ts[0] = ktime_get_ns();
	TIMED_LAPS(t->lap[0], i, count, {
		p = ba_alloc(a, cache, size);
		/* Keep the compiler from pairing the two calls away. */
		OPTIMIZER_HIDE_VAR(p);
		if (unlikely(!p))
			failed++;
		ba_free(a, cache, p);
	});
	t->ts[1] = ktime_get_ns();
	t->failed = failed;
}

DEFINE_BENCH_WORK(pair)
DEFINE_BENCH_CACHE_WORK(pair)

/*
 * ts[0]..ts[1]: count / bulk times a bulk allocation of @run->bulk objects
 * and their bulk free. A bulk allocation that fails is counted, and
 * whatever it handed out is freed.
 */
static __always_inline void __bulk_work(const enum bench_allocator a,
					struct bench_thread *t)
{
	struct bench_run *run = t->run;
	unsigned int i, got, nr = run->bulk, steps = run->count / nr;
	unsigned long failed = 0;
	void *cache = run->cache;
	void **objs = t->objs;

	barrier_wait(&run->barrier);
	t->ts[0] = ktime_get_ns();
	TIMED_LAPS_OF(t->lap[0], i, steps, bulk_lap_steps(nr), {
		got = ba_alloc_bulk(a, cache, nr, objs);
		if (likely(got == nr)) {
			ba_free_bulk(a, cache, nr, objs);
		} else {
			failed += nr - got;
			if (got)
				ba_free_bulk(a, cache, got, objs);
		}
	});
	t->ts[1] = ktime_get_ns();
	t->failed = failed;
}

DEFINE_BENCH_CACHE_WORK(bulk)

/* Allocate N, wait for everyone, free the N the previous thread allocated. */
static __always_inline void __remote_work(const enum bench_allocator a,
					  struct bench_thread *t)
{
	struct bench_run *run = t->run;
	unsigned int i, count = run->count;
	void **theirs = run->th[(t->idx + run->nthreads - 1) % run->nthreads].objs;
	size_t size = run->size;
	void *cache = run->cache;

	barrier_wait(&run->barrier);
	t->ts[0] = ktime_get_ns();
	for (i = 0; i < count; i++)
		t->objs[i] = ba_alloc(a, cache, size);
	t->ts[1] = ktime_get_ns();
	barrier_wait(&run->barrier);
	for (i = 0; i < count; i++)
		ba_free(a, cache, theirs[i]);
	t->ts[2] = ktime_get_ns();
	t->failed = count_null(t->objs, count);
}

DEFINE_BENCH_WORK(remote)
DEFINE_BENCH_CACHE_WORK(remote)

/* Even threads allocate into ring idx/2, odd threads free from it. */
static __always_inline void __prodcons_work(const enum bench_allocator a,
					    struct bench_thread *t)
{
	struct bench_run *run = t->run;
	struct bench_ring *ring = &run->rings[t->idx / 2];
	unsigned int i, count = run->count;
	unsigned long failed = 0, pos;
	size_t size = run->size;
	void *cache = run->cache;
	void *p;

	barrier_wait(&run->barrier);
	t->ts[0] = ktime_get_ns();
	if (!(t->idx & 1)) {
		for (i = 0, pos = 0; i < count; i++, pos++) {
			p = ba_alloc(a, cache, size);
			if (unlikely(!p))
				failed++;
			/* A slot is free once the consumer's release says so. */
			while (pos - smp_load_acquire(&ring->tail) == RING_SLOTS)
				bench_spin();
			ring->slot[pos % RING_SLOTS] = p;
			/* Publish the slot; pairs with the consumer's acquire. */
			smp_store_release(&ring->head, pos + 1);
		}
	} else {
		for (i = 0, pos = 0; i < count; i++, pos++) {
			/* Pairs with the producer's release of head. */
			while (smp_load_acquire(&ring->head) == pos)
				bench_spin();
			p = ring->slot[pos % RING_SLOTS];
			/* Hand the slot back; pairs with the producer's acquire. */
			smp_store_release(&ring->tail, pos + 1);
			ba_free(a, cache, p);
		}
	}
	t->ts[1] = ktime_get_ns();
	t->failed = failed;
}

DEFINE_BENCH_WORK(prodcons)
DEFINE_BENCH_CACHE_WORK(prodcons)

/* Size of a mix object: 8..4096 bytes, uniform. */
static inline size_t mix_size(u64 *rnd)
{
	return 8 + bench_rand_below(rnd, 4096 - 8 + 1);
}

/*
 * Fill this thread's slots (untimed), then each step picks a slot, mostly
 * its own, sometimes the next thread's, puts a new object of random size
 * there and frees the one it replaces. xchg() makes two threads picking
 * the same slot safe; an object put by one thread and taken by another is
 * freed on the other CPU.
 */
static __always_inline void __mix_work(const enum bench_allocator a,
				       struct bench_thread *t)
{
	struct bench_run *run = t->run;
	unsigned int i, steps = run->count, nslots = mix_slots;
	void **mine = run->slots + (size_t)t->idx * nslots;
	void **next = run->slots +
		(size_t)((t->idx + 1) % run->nthreads) * nslots;
	unsigned long failed = 0;
	u64 rnd = t->rnd;
	void *p, *old;

	for (i = 0; i < nslots; i++) {
		mine[i] = ba_alloc(a, NULL, mix_size(&rnd));
		failed += !mine[i];
	}
	barrier_wait(&run->barrier);
	t->ts[0] = ktime_get_ns();
	TIMED_LAPS(t->lap[0], i, steps, {
		u32 slot = bench_rand_below(&rnd, nslots);
		void **where = bench_rand_below(&rnd, 100) < mix_remote_pct ?
			       next : mine;

		p = ba_alloc(a, NULL, mix_size(&rnd));
		if (unlikely(!p))
			failed++;
		old = xchg(&where[slot], p);
		ba_free(a, NULL, old);
	});
	t->ts[1] = ktime_get_ns();
	/* Every thread is done with the neighbours' slots before freeing. */
	barrier_wait(&run->barrier);
	for (i = 0; i < nslots; i++)
		ba_free(a, NULL, mine[i]);
	t->failed = failed;
}

DEFINE_BENCH_WORK(mix)

/* ------------------------------------------------------------------ */
/* Tests: set up a run per allocator, repeat, report */

struct bench_test {
	const char *name;
	void (*work)(struct bench_thread *t);
	bool many_cpus;		/* all online CPUs, else one thread */
	bool pairs;		/* threads in producer/consumer pairs */
	bool objs;		/* an array of objects per thread */
	bool cache;		/* a goalloc cache against a kmem_cache */
};

enum bench_test_id {
	T_BATCH,
	T_PAIR,
	T_CONCURRENT,
	T_REMOTE,
	T_PRODCONS,
	T_MIX,
	T_CACHE_BATCH,
	T_CACHE_PAIR,
	T_CACHE_BULK,
	T_CACHE_CONCURRENT,
	T_CACHE_REMOTE,
	T_CACHE_PRODCONS,
	NR_BENCH_TESTS
};

static const struct bench_test bench_tests[] = {
	[T_BATCH] = {
		.name = "batch", .work = batch_work, .objs = true,
	},
	[T_PAIR] = {
		.name = "pair", .work = pair_work,
	},
	[T_CONCURRENT] = {
		.name = "concurrent", .work = batch_work, .many_cpus = true,
		.objs = true,
	},
	[T_REMOTE] = {
		.name = "remote", .work = remote_work, .many_cpus = true,
		.objs = true,
	},
	[T_PRODCONS] = {
		.name = "prodcons", .work = prodcons_work, .many_cpus = true,
		.pairs = true,
	},
	[T_MIX] = {
		.name = "mix", .work = mix_work, .many_cpus = true,
	},
	[T_CACHE_BATCH] = {
		.name = "cache_batch", .work = batch_cache_work, .objs = true,
		.cache = true,
	},
	[T_CACHE_PAIR] = {
		.name = "cache_pair", .work = pair_cache_work, .cache = true,
	},
	[T_CACHE_BULK] = {
		.name = "cache_bulk", .work = bulk_cache_work, .objs = true,
		.cache = true,
	},
	[T_CACHE_CONCURRENT] = {
		.name = "cache_concurrent", .work = batch_cache_work,
		.many_cpus = true, .objs = true, .cache = true,
	},
	[T_CACHE_REMOTE] = {
		.name = "cache_remote", .work = remote_cache_work,
		.many_cpus = true, .objs = true, .cache = true,
	},
	[T_CACHE_PRODCONS] = {
		.name = "cache_prodcons", .work = prodcons_cache_work,
		.many_cpus = true, .pairs = true, .cache = true,
	},
};

static_assert(ARRAY_SIZE(bench_tests) == NR_BENCH_TESTS);

static unsigned long tests_mask;

/* The allocator of @side (0: goalloc's, 1: the kernel's) in test @bt. */
static enum bench_allocator side_allocator(const struct bench_test *bt,
					   unsigned int side)
{
	return (bt->cache ? BA_GOALLOC_CACHE : BA_GOALLOC) + side;
}

/* batch and cache_batch time their allocations and their frees apart. */
static bool two_phases(enum bench_test_id id)
{
	return id == T_BATCH || id == T_CACHE_BATCH;
}

/* One measured figure per side: nanoseconds of @ops operations. */
struct bench_result {
	u64 ns[NR_SIDES];
	u64 ops;
};

static void report(const char *test, const char *size, unsigned int count,
		   unsigned int cpus, const char *rival,
		   const struct bench_result *r)
{
	u64 g = r->ns[0], k = r->ns[1];
	u64 g100 = div64_u64(g * 100, r->ops);
	u64 k100 = div64_u64(k * 100, r->ops);
	u64 ratio = k ? div64_u64(g * 1000 + k / 2, k) : 0;

	pr_info("test=%s size=%s n=%u cpus=%u goalloc=%llu.%02llu %s=%llu.%02llu ratio=%llu.%03llu\n",
		test, size, count, cpus, g100 / 100, g100 % 100, rival,
		k100 / 100, k100 % 100, ratio / 1000, ratio % 1000);
}

/* Smallest of @count samples. */
static u64 best_of(const u64 *v, unsigned int count)
{
	u64 best = U64_MAX;
	unsigned int i;

	for (i = 0; i < count; i++)
		best = min(best, v[i]);
	return best;
}

/* Objects per thread so that @nthreads threads hold at most budget_mb. */
static unsigned int objects_for(size_t size, unsigned int nthreads)
{
	u64 cap = div64_u64((u64)budget_mb << 20, (u64)size * nthreads);

	return clamp_t(u64, cap, 1, n);
}

static void run_free(struct bench_run *run)
{
	unsigned int i;

	if (run->th) {
		for (i = 0; i < run->nthreads; i++) {
			vfree(run->th[i].objs);
			vfree(run->th[i].lap[0]);
		}
	}
	kfree(run->th);
	vfree(run->rings);
	vfree(run->slots);
}

/*
 * Threads on the first @nthreads online CPUs, with their arrays: @laps laps
 * per phase and, when @nobjs, @nobjs objects.
 */
static int run_alloc(struct bench_run *run, const struct bench_test *bt,
		     size_t size, unsigned int nthreads, unsigned int count,
		     unsigned int laps, unsigned int nobjs)
{
	unsigned int i = 0, cpu;

	memset(run, 0, sizeof(*run));
	run->work = bt->work;
	run->size = size;
	run->count = count;
	run->nthreads = nthreads;
	run->th = kcalloc(nthreads, sizeof(*run->th), GFP_KERNEL);
	if (!run->th)
		return -ENOMEM;
	for_each_online_cpu(cpu) {
		struct bench_thread *t = &run->th[i];

		t->run = run;
		t->idx = i;
		t->cpu = cpu;
		t->lap[0] = vzalloc(array_size(2 * laps, sizeof(u64)));
		if (!t->lap[0])
			goto out_nomem;
		t->lap[1] = t->lap[0] + laps;
		if (nobjs) {
			t->objs = vzalloc(array_size(nobjs, sizeof(void *)));
			if (!t->objs)
				goto out_nomem;
		}
		if (++i == nthreads)
			break;
	}
	if (bt->pairs) {
		run->rings = vzalloc(array_size(nthreads / 2, sizeof(*run->rings)));
		if (!run->rings)
			goto out_nomem;
	}
	if (bt->work == mix_work) {
		run->slots = vzalloc(array_size((size_t)nthreads * mix_slots,
						sizeof(void *)));
		if (!run->slots)
			goto out_nomem;
	}
	return 0;

out_nomem:
	run_free(run);
	return -ENOMEM;
}

/* Per-run state that must start equal for both allocators. */
static void run_reset(struct bench_run *run)
{
	unsigned int i;

	for (i = 0; i < run->nthreads; i++)
		run->th[i].rnd = seed + i * 0x9e3779b97f4a7c15ULL;
	if (run->rings)
		memset(run->rings, 0, (run->nthreads / 2) * sizeof(*run->rings));
}

#define MAX_REPEAT	32

/* Per-lap minimum over the runs of one thread's two phases. */
static void laps_keep_best(u64 *best, const struct bench_thread *t,
			   unsigned int laps)
{
	unsigned int phase, i;

	for (phase = 0; phase < 2; phase++)
		for (i = 0; i < laps; i++)
			best[phase * laps + i] = min(best[phase * laps + i],
						     t->lap[phase][i]);
}

static u64 laps_sum(const u64 *best, unsigned int laps)
{
	u64 sum = 0;
	unsigned int i;

	for (i = 0; i < laps; i++)
		sum += best[i];
	return sum;
}

/* Whole-run spans of a multi-thread run, per phase. */
static void run_spans(enum bench_test_id id, const struct bench_run *run,
		      u64 span[2])
{
	switch (id) {
	case T_BATCH:
	case T_CACHE_BATCH:
		span[0] = run_span(run, 0, 1);
		span[1] = run_span(run, 1, 2);
		break;
	case T_CONCURRENT:
	case T_REMOTE:
	case T_CACHE_CONCURRENT:
	case T_CACHE_REMOTE:
		span[0] = run_span(run, 0, 2);
		span[1] = 0;
		break;
	default:
		span[0] = run_span(run, 0, 1);
		span[1] = 0;
		break;
	}
}

/* Objects, pairs or steps per thread; @per_call: cache_bulk's batch. */
static unsigned int bench_count(enum bench_test_id id, size_t size,
				unsigned int nthreads, unsigned int per_call)
{
	switch (id) {
	case T_MIX:
		return mix_steps;
	case T_PAIR:
	case T_PRODCONS:
	case T_CACHE_PAIR:
	case T_CACHE_PRODCONS:
		return n;	/* at most one (or RING_SLOTS) live objects */
	case T_CACHE_BULK:
		/* Whole calls; at most @per_call live objects. */
		return max(rounddown(n, per_call), per_call);
	default:
		return objects_for(size, nthreads);
	}
}

/*
 * Run test @id for @size on @nthreads threads, @repeat times per allocator,
 * alternating the allocators, and print its line(s). One thread: the sum
 * of the best laps; many: the shortest whole-run span. Noise in a TCG
 * guest is one-sided (a vCPU thread the host preempts makes a run slower,
 * never faster), so the minimum is the estimate that ignores it. A cache
 * test runs on @cache, goalloc's cache first; cache_bulk calls with
 * @per_call objects.
 */
static int bench_one(enum bench_test_id id, size_t size, unsigned int nthreads,
		     void *const *cache, unsigned int per_call)
{
	const struct bench_test *bt = &bench_tests[id];
	unsigned int runs = clamp(repeat, 1U, MAX_REPEAT);
	unsigned int count = bench_count(id, size, nthreads, per_call);
	unsigned int steps = per_call ? count / per_call : count;
	unsigned int per_lap = per_call ? bulk_lap_steps(per_call) : LAP_OPS;
	unsigned int laps = DIV_ROUND_UP(steps, per_lap), r, phase, side;
	const char *rival = allocator_names[side_allocator(bt, 1)];
	u64 (*samples)[NR_SIDES][MAX_REPEAT];
	struct bench_result res[2] = {};
	unsigned long failed = 0;
	enum bench_allocator a;
	struct bench_run run;
	char name[32], sz[24];
	u64 *best, span[2];
	int err;

	/* samples[phase][side][run]; best[side]: 2 * laps per-lap minima */
	samples = kcalloc(2, sizeof(*samples), GFP_KERNEL);
	best = vmalloc(array_size(NR_SIDES * 2 * laps, sizeof(u64)));
	err = -ENOMEM;
	if (!samples || !best)
		goto out;
	memset64(best, U64_MAX, NR_SIDES * 2 * laps);
	err = run_alloc(&run, bt, size, nthreads, count, laps,
			!bt->objs ? 0 : per_call ? per_call : count);
	if (err)
		goto out;
	run.bulk = per_call;

	for (r = 0; r < runs; r++) {
		for (side = 0; side < NR_SIDES; side++) {
			a = side_allocator(bt, side);
			if (skip_allocator(a))
				continue;
			run.a = a;
			run.cache = bt->cache ? cache[side] : NULL;
			run_reset(&run);
			err = run_threads(&run);
			if (err)
				goto out_run;
			failed += run_failed(&run);
			if (nthreads == 1)
				laps_keep_best(best + side * 2 * laps, &run.th[0],
					       laps);
			run_spans(id, &run, span);
			samples[0][side][r] = span[0];
			samples[1][side][r] = span[1];
			cond_resched();
		}
	}
	if (failed) {
		pr_err("test=%s size=%zu: %lu allocations failed\n",
		       bt->name, size, failed);
		err = -ENOMEM;
		goto out_run;
	}

	for (phase = 0; phase < 2; phase++) {
		for (side = 0; side < NR_SIDES; side++) {
			if (skip_allocator(side_allocator(bt, side)))
				res[phase].ns[side] = 0;
			else if (nthreads == 1)
				res[phase].ns[side] =
					laps_sum(best + (side * 2 + phase) * laps,
						 laps);
			else
				res[phase].ns[side] = best_of(samples[phase][side],
							      runs);
		}
		res[phase].ops = count;
	}
	if (id == T_MIX)
		snprintf(sz, sizeof(sz), "8-4096");
	else
		snprintf(sz, sizeof(sz), "%zu", size);
	if (two_phases(id)) {
		snprintf(name, sizeof(name), "%s_alloc", bt->name);
		report(name, sz, count, nthreads, rival, &res[0]);
		snprintf(name, sizeof(name), "%s_free", bt->name);
		report(name, sz, count, nthreads, rival, &res[1]);
	} else if (per_call) {
		snprintf(name, sizeof(name), "%s%u", bt->name, per_call);
		report(name, sz, count, nthreads, rival, &res[0]);
	} else {
		report(bt->name, sz, count, nthreads, rival, &res[0]);
	}

out_run:
	run_free(&run);
out:
	vfree(best);
	kfree(samples);
	return err;
}

/* Threads of test @id on @online CPUs, or 0 when it cannot run. */
static unsigned int test_threads(enum bench_test_id id, unsigned int online)
{
	const struct bench_test *bt = &bench_tests[id];
	unsigned int nthreads = bt->many_cpus ? online : 1;

	if (bt->pairs)
		nthreads &= ~1U;
	if ((id == T_REMOTE || id == T_CACHE_REMOTE || bt->pairs) &&
	    nthreads < 2) {
		pr_info("test=%s skipped: needs 2 CPUs\n", bt->name);
		return 0;
	}
	return nthreads;
}

/*
 * The cache tests of @size, each on @nthreads[id] threads (0: not run), on
 * a goalloc cache and a kmem_cache of @size made alike: no alignment, no
 * flags, no constructor. SLUB may merge the kmem_cache with another cache
 * of the same size and flags, as it does any cache made so.
 */
static int bench_caches(unsigned int size, const unsigned int *nthreads)
{
	u64 budget = (u64)budget_mb << 20;
	char gname[32], kname[32];
	void *cache[NR_SIDES];
	enum bench_test_id id;
	int i, err = 0;

	snprintf(gname, sizeof(gname), "goalloc_bench_%u", size);
	snprintf(kname, sizeof(kname), "kmem_bench_%u", size);
	cache[0] = goalloc_cache_create(gname, size, 0, 0, NULL);
	cache[1] = kmem_cache_create(kname, size, 0, 0, NULL);
	if (!cache[0] || !cache[1]) {
		pr_err("size=%u: %s failed\n", size,
		       cache[0] ? "kmem_cache_create" : "goalloc_cache_create");
		err = -ENOMEM;
		goto out;
	}
	for (id = 0; id < NR_BENCH_TESTS && !err; id++) {
		if (!bench_tests[id].cache || !nthreads[id])
			continue;
		if (id != T_CACHE_BULK) {
			err = bench_one(id, size, nthreads[id], cache, 0);
			continue;
		}
		for (i = 0; i < nr_bulk && !err; i++) {
			if ((u64)bulk[i] * size > budget) {
				pr_info("test=%s%u size=%u skipped: over budget_mb\n",
					bench_tests[id].name, bulk[i], size);
				continue;
			}
			err = bench_one(id, size, nthreads[id], cache, bulk[i]);
		}
	}
out:
	kmem_cache_destroy(cache[1]);
	if (cache[0])
		goalloc_cache_destroy(cache[0]);
	return err;
}

static int bench_all(void)
{
	unsigned int online = num_online_cpus();
	unsigned int nthreads[NR_BENCH_TESTS] = {};
	bool caches = false;
	enum bench_test_id id;
	int i, err;

	pr_info("start cpus=%u n=%u repeat=%u budget_mb=%u tests=%s\n",
		online, n, repeat, budget_mb, tests);
	for (id = 0; id < NR_BENCH_TESTS; id++) {
		if (!(tests_mask & BIT(id)))
			continue;
		nthreads[id] = test_threads(id, online);
		if (!nthreads[id])
			continue;
		/* Cache tests run size by size, on caches made per size. */
		if (bench_tests[id].cache) {
			caches = true;
			continue;
		}
		if (id == T_MIX) {
			err = bench_one(id, 0, nthreads[id], NULL, 0);
			if (err)
				return err;
			continue;
		}
		for (i = 0; i < nr_sizes; i++) {
			err = bench_one(id, sizes[i], nthreads[id], NULL, 0);
			if (err)
				return err;
		}
	}
	for (i = 0; caches && i < nr_sizes; i++) {
		err = bench_caches(sizes[i], nthreads);
		if (err)
			return err;
	}
	pr_info("done\n");
	return 0;
}

static int parse_tests(void)
{
	char *list, *cur, *name;
	int id, err = 0;

	list = kstrdup(tests, GFP_KERNEL);
	if (!list)
		return -ENOMEM;
	cur = list;
	while ((name = strsep(&cur, ",")) != NULL) {
		if (!*name)
			continue;
		if (!strcmp(name, "all")) {
			tests_mask |= BIT(NR_BENCH_TESTS) - 1;
			continue;
		}
		for (id = 0; id < NR_BENCH_TESTS; id++)
			if (!strcmp(name, bench_tests[id].name))
				break;
		if (id == NR_BENCH_TESTS) {
			pr_err("unknown test '%s'\n", name);
			err = -EINVAL;
			break;
		}
		tests_mask |= BIT(id);
	}
	kfree(list);
	return err;
}

/* ------------------------------------------------------------------ */
/* Memory workload */

static void **mem_objs;
static unsigned int mem_count;
static enum bench_allocator mem_a;

/* 2^(k/16) << 16 for k = 0..16: log-uniform sizes by interpolation. */
static const u32 exp2_16ths[17] = {
	65536, 68438, 71468, 74632, 77936, 81386, 84990, 88752, 92682,
	96785, 101070, 105545, 110218, 115098, 120194, 125515, 131072,
};

/* (a) uniform 1..4096; (b) log-uniform 8..32767 (12 binades from 8). */
static size_t mem_size(char workload, u64 *rnd)
{
	u32 x, e, f, k, rem, mant;

	if (workload == 'a')
		return 1 + bench_rand_below(rnd, 4096);
	x = bench_rand_below(rnd, 12 << 16);
	e = x >> 16;
	f = x & 0xffff;
	k = f >> 12;
	rem = f & 0xfff;
	mant = exp2_16ths[k] +
	       (((exp2_16ths[k + 1] - exp2_16ths[k]) * rem) >> 12);
	return max_t(size_t, 8, ((u64)8 << e) * mant >> 16);
}

static size_t mem_usable(enum bench_allocator a, const void *p)
{
	return a == BA_GOALLOC ? goalloc_usable_size(p) : ksize(p);
}

static int mem_workload(void)
{
	u64 requested = 0, usable = 0, large = 0, rnd = seed;
	char workload = mem[0];
	unsigned int i;
	size_t size;
	void *p;

	if ((workload != 'a' && workload != 'b') || mem[1]) {
		pr_err("mem=%s: want a or b\n", mem);
		return -EINVAL;
	}
	if (!strcmp(mem_alloc, "goalloc")) {
		mem_a = BA_GOALLOC;
	} else if (!strcmp(mem_alloc, "kmalloc")) {
		mem_a = BA_KMALLOC;
	} else {
		pr_err("mem_alloc=%s: want goalloc or kmalloc\n", mem_alloc);
		return -EINVAL;
	}
	mem_objs = vzalloc(array_size(mem_objects, sizeof(void *)));
	if (!mem_objs)
		return -ENOMEM;
	for (i = 0; i < mem_objects; i++) {
		size = mem_size(workload, &rnd);
		p = mem_a == BA_GOALLOC ? goalloc_alloc(size, GFP_KERNEL) :
					  kmalloc(size, GFP_KERNEL);
		if (!p) {
			pr_err("mem workload=%c: allocation %u (%zu bytes) failed\n",
			       workload, i, size);
			break;
		}
		mem_objs[mem_count++] = p;
		requested += size;
		usable += mem_usable(mem_a, p);
		/* kmalloc_large: straight from the page allocator, no slab. */
		if (mem_a == BA_KMALLOC && size > KMALLOC_MAX_CACHE_SIZE)
			large += PAGE_SIZE << get_order(size);
	}
	pr_info("mem workload=%c alloc=%s objects=%u requested=%llu usable=%llu large_bytes=%llu\n",
		workload, allocator_names[mem_a], mem_count, requested, usable,
		large);
	return mem_count == mem_objects ? 0 : -ENOMEM;
}

static void mem_free_all(void)
{
	unsigned int i;

	for (i = 0; i < mem_count; i++) {
		if (mem_a == BA_GOALLOC)
			goalloc_free(mem_objs[i]);
		else
			kfree(mem_objs[i]);
	}
	vfree(mem_objs);
	mem_objs = NULL;
	mem_count = 0;
}

/* ------------------------------------------------------------------ */
/* Module */

static int __init goalloc_bench_init(void)
{
	int i, err;

	if (!n || nr_sizes < 1) {
		pr_err("n and sizes must not be empty\n");
		return -EINVAL;
	}
	for (i = 0; i < nr_bulk; i++) {
		if (!bulk[i]) {
			pr_err("bulk: 0 objects per call\n");
			return -EINVAL;
		}
	}
	if (*mem) {
		err = mem_workload();
		if (err)
			mem_free_all();
		return err;
	}
	err = parse_tests();
	if (err)
		return err;
	/* Measurements stay in the log; the module stays until rmmod. */
	return bench_all();
}

static void __exit goalloc_bench_exit(void)
{
	if (mem_objs) {
		mem_free_all();
		pr_info("mem objects freed\n");
	}
}

module_init(goalloc_bench_init);
module_exit(goalloc_bench_exit);
MODULE_DESCRIPTION("goalloc against kmalloc, its caches against kmem_cache: instructions, multi-CPU cost, memory");
MODULE_LICENSE("GPL");
