// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of goalloc's per-CPU caches across CPUs (remote frees, CPU
 * hotplug, kthreads on every CPU, hard IRQ), memory return, the debugfs
 * statistics as users read them, and the consistency checker, whose last
 * case checks the allocator after the suites loaded before this module
 * (check.sh loads them in name order; the stress module, loaded after,
 * ends each of its cases with the same check).
 */

#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/cpu.h>
#include <linux/fs.h>
#include <linux/hrtimer.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/prandom.h>
#include <linux/seq_file.h>
#include <linux/uio.h>
#include <linux/vmalloc.h>
#include <linux/workqueue.h>

#include "goalloc_test.h"

MODULE_IMPORT_NS(GOALLOC_TEST_NS);

/* ------------------------------------------------------------------ */
/* goalloc_mcache */

static struct mcache_class *this_cpu_class(unsigned int cls)
{
	return &mcache_of(raw_smp_processor_id())->cls[cls];
}

static void free_then_alloc_reuses_the_object(struct kunit *test)
{
	void *p, *q;

	migrate_disable();
	p = goalloc_alloc(72, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	goalloc_free(p);
	q = goalloc_alloc(72, GFP_KERNEL);
	migrate_enable();
	KUNIT_EXPECT_PTR_EQ(test, q, p);
	goalloc_free(q);
}

static void full_magazine_flushes_half_to_mcentral(struct kunit *test)
{
	unsigned int cls = size_to_class(2000), cap = mcache_class_cap(cls);
	unsigned int i, n, start;
	struct mcache_class *m;
	unsigned long flushes;
	int cpu;
	void **p = kunit_kcalloc(test, cap + 1, sizeof(*p), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, p);
	goalloc_drain(false);
	migrate_disable();
	m = this_cpu_class(cls);
	cpu = raw_smp_processor_id();
	for (i = 0; i <= cap; i++)
		p[i] = goalloc_alloc(2000, GFP_KERNEL);
	for (i = 0; i <= cap; i++)
		KUNIT_ASSERT_NOT_NULL(test, p[i]);
	KUNIT_EXPECT_LT(test, cpu_mag_count(cpu, MAG_TASK, cls), cap / 2);
	start = cpu_mag_count(cpu, MAG_TASK, cls);
	flushes = m->flushes;
	for (n = 0; n < cap - start; n++)
		goalloc_free(p[n]);
	KUNIT_EXPECT_EQ(test, cpu_mag_count(cpu, MAG_TASK, cls), cap);
	KUNIT_EXPECT_EQ(test, m->flushes, flushes);
	/* Full with p[n - 1] on top: its second free is refused, no flush. */
	EXPECT_REPORTS(test, 1, EV_REFUSED_DOUBLE_FREE, goalloc_free(p[n - 1]));
	KUNIT_EXPECT_EQ(test, cpu_mag_count(cpu, MAG_TASK, cls), cap);
	KUNIT_EXPECT_EQ(test, m->flushes, flushes);
	goalloc_free(p[n++]);
	KUNIT_EXPECT_EQ(test, cpu_mag_count(cpu, MAG_TASK, cls), cap - cap / 2 + 1);
	KUNIT_EXPECT_EQ(test, m->flushes, flushes + 1);
	migrate_enable();
	for (; n <= cap; n++)
		goalloc_free(p[n]);
	goalloc_drain(false);
	KUNIT_EXPECT_EQ(test, class_inuse(cls), 0UL);
}

struct cross_cpu {
	unsigned int n, size;
	void **objs;
};

static long alloc_on_cpu(void *arg)
{
	struct cross_cpu *x = arg;
	unsigned int i;

	for (i = 0; i < x->n; i++) {
		x->objs[i] = goalloc_alloc(x->size, GFP_KERNEL);
		if (!x->objs[i])
			return -ENOMEM;
		memset(x->objs[i], 0x3c, x->size);
	}
	return 0;
}

static long free_on_cpu(void *arg)
{
	struct cross_cpu *x = arg;
	unsigned int i;

	for (i = 0; i < x->n; i++) {
		if (memchr_inv(x->objs[i], 0x3c, x->size))
			return -EIO;
		goalloc_free(x->objs[i]);
	}
	return 0;
}

/* The first two online CPUs; the case is skipped with one. */
static void two_online_cpus(struct kunit *test, int *a, int *b)
{
	if (num_online_cpus() < 2)
		kunit_skip(test, "needs two CPUs");
	*a = cpumask_first(cpu_online_mask);
	*b = cpumask_next(*a, cpu_online_mask);
}

static void remote_free_returns_objects_of_a_span_cached_elsewhere(struct kunit *test)
{
	/* One refill (64 of 128 slots): the span stays cached by that CPU. */
	struct cross_cpu x = { .n = 20, .size = 64 };
	unsigned int cls = size_to_class(64), i;
	unsigned long inuse;
	struct span *cached;
	int a, b;

	KUNIT_ASSERT_GT(test, class_span_objects(cls), mcache_class_cap(cls) / 2);
	two_online_cpus(test, &a, &b);
	x.objs = kunit_kcalloc(test, x.n, sizeof(void *), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, x.objs);
	goalloc_drain(false);
	inuse = class_inuse(cls);
	KUNIT_ASSERT_EQ(test, work_on_cpu(a, alloc_on_cpu, &x), 0L);
	cached = READ_ONCE(mcache_of(a)->cls[cls].span);
	KUNIT_EXPECT_NOT_NULL(test, cached);
	for (i = 0; i < x.n; i++)
		KUNIT_EXPECT_PTR_EQ(test, span_of(x.objs[i]), cached);
	KUNIT_EXPECT_EQ(test, class_inuse(cls), inuse + x.n);
	KUNIT_ASSERT_EQ(test, work_on_cpu(b, free_on_cpu, &x), 0L);
	goalloc_drain(false);
	KUNIT_EXPECT_EQ(test, class_inuse(cls), inuse);
	KUNIT_EXPECT_EQ(test, goalloc_central[cls].objects, inuse);
}

/*
 * Objects one CPU flushes wait in the class's depot, and the next refill
 * on any CPU copies them out: no span is touched or made.
 */
static void depot_passes_flushed_objects_to_another_cpu(struct kunit *test)
{
	unsigned int cls = size_to_class(2040), cap = mcache_class_cap(cls);
	struct cross_cpu x = { .n = cap + 1, .size = 2040 };
	struct cross_cpu y = { .n = 1, .size = 2040 };
	struct central *c = &goalloc_central[cls];
	unsigned long inuse, spans_made;
	unsigned int i;
	void *got;
	int a, b;

	two_online_cpus(test, &a, &b);
	x.objs = kunit_kcalloc(test, x.n, sizeof(void *), GFP_KERNEL);
	y.objs = &got;
	KUNIT_ASSERT_NOT_NULL(test, x.objs);
	/* A scavenger drain in between would empty the depot. */
	goalloc_scavenge_hold(true);
	goalloc_drain(false);
	inuse = class_inuse(cls);
	KUNIT_ASSERT_EQ(test, c->ndepot, 0U);
	/*
	 * cap + 1 frees on b, its magazine empty: the magazine fills, then
	 * flushes its newer half, objs[cap / 2 .. cap - 1], to the depot.
	 */
	KUNIT_ASSERT_EQ(test, work_on_cpu(b, alloc_on_cpu, &x), 0L);
	goalloc_drain(false);
	KUNIT_ASSERT_EQ(test, work_on_cpu(b, free_on_cpu, &x), 0L);
	KUNIT_EXPECT_EQ(test, READ_ONCE(c->ndepot), cap / 2);
	KUNIT_EXPECT_EQ(test, class_inuse(cls), inuse);

	spans_made = events(EV_SPAN_ALLOC);
	KUNIT_ASSERT_EQ(test, work_on_cpu(a, alloc_on_cpu, &y), 0L);
	KUNIT_EXPECT_EQ(test, READ_ONCE(c->ndepot), 0U);
	KUNIT_EXPECT_EQ(test, events(EV_SPAN_ALLOC), spans_made);
	/* a's magazine was empty too: its refill took the depot's objects. */
	for (i = cap / 2; i < cap && x.objs[i] != got; i++)
		;
	KUNIT_EXPECT_LT(test, i, cap);
	KUNIT_EXPECT_EQ(test, class_inuse(cls), inuse + 1);
	goalloc_free(got);
	goalloc_scavenge_hold(false);
	goalloc_drain(false);
	KUNIT_EXPECT_EQ(test, class_inuse(cls), inuse);
	KUNIT_EXPECT_EQ(test, goalloc_verify(NULL), 0);
}

/* Large objects of @cpu's list, counted and found by walking it. */
static unsigned long large_on_cpu(int cpu, void *const *objs, unsigned int n,
				  unsigned int *listed)
{
	struct large_list *hl = pcache_large_list(cpu);
	unsigned long flags, objects;
	unsigned int i;
	struct span *s;

	*listed = 0;
	spin_lock_irqsave(&hl->lock, flags);
	objects = hl->objects;
	list_for_each_entry(s, &hl->spans, list)
		for (i = 0; i < n; i++)
			*listed += s->base == (unsigned long)objs[i];
	spin_unlock_irqrestore(&hl->lock, flags);
	return objects;
}

/*
 * A large object goes on the list of the CPU that allocates it, and a
 * free on another CPU takes it off that list, not its own.
 */
static void large_objects_are_listed_by_the_allocating_cpu(struct kunit *test)
{
	struct cross_cpu x = { .n = 3, .size = 100000 };
	unsigned long on_a, on_b;
	unsigned int i, listed;
	int a, b;

	two_online_cpus(test, &a, &b);
	x.objs = kunit_kcalloc(test, x.n, sizeof(void *), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, x.objs);
	on_a = large_on_cpu(a, x.objs, 0, &listed);
	on_b = large_on_cpu(b, x.objs, 0, &listed);
	KUNIT_ASSERT_EQ(test, work_on_cpu(a, alloc_on_cpu, &x), 0L);
	for (i = 0; i < x.n; i++)
		KUNIT_EXPECT_EQ(test, span_of(x.objs[i])->cpu, a);
	KUNIT_EXPECT_EQ(test, large_on_cpu(a, x.objs, x.n, &listed), on_a + x.n);
	KUNIT_EXPECT_EQ(test, listed, x.n);
	KUNIT_EXPECT_EQ(test, large_on_cpu(b, x.objs, x.n, &listed), on_b);
	KUNIT_EXPECT_EQ(test, listed, 0U);
	KUNIT_EXPECT_EQ(test, goalloc_verify(NULL), 0);
	KUNIT_ASSERT_EQ(test, work_on_cpu(b, free_on_cpu, &x), 0L);
	KUNIT_EXPECT_EQ(test, large_on_cpu(a, x.objs, x.n, &listed), on_a);
	KUNIT_EXPECT_EQ(test, listed, 0U);
	KUNIT_EXPECT_EQ(test, large_on_cpu(b, x.objs, x.n, &listed), on_b);
	KUNIT_EXPECT_EQ(test, goalloc_verify(NULL), 0);
}

static long fill_cpu_cache(void *arg)
{
	unsigned int i;
	void *p[8];

	for (i = 0; i < ARRAY_SIZE(p); i++)
		p[i] = goalloc_alloc(88, GFP_KERNEL);
	for (i = 0; i < ARRAY_SIZE(p); i++)
		goalloc_free(p[i]);
	return 0;
}

static void offline_cpu_has_its_cache_flushed(struct kunit *test)
{
	unsigned int cls = size_to_class(88);
	struct mcache_class *m;
	int cpu, err;

	if (num_online_cpus() < 2)
		kunit_skip(test, "needs two CPUs");
	cpu = cpumask_last(cpu_online_mask);
	goalloc_drain(false);
	KUNIT_ASSERT_EQ(test, work_on_cpu(cpu, fill_cpu_cache, NULL), 0L);
	m = &mcache_of(cpu)->cls[cls];
	KUNIT_EXPECT_GE(test, cpu_mag_count(cpu, MAG_TASK, cls), 8U);
	KUNIT_EXPECT_NOT_NULL(test, m->span);
	err = remove_cpu(cpu);
	if (err)
		kunit_skip(test, "cannot offline CPU %d: %d", cpu, err);
	KUNIT_EXPECT_EQ(test, cpu_mag_count(cpu, MAG_TASK, cls), 0U);
	KUNIT_EXPECT_NULL(test, m->span);
	KUNIT_EXPECT_EQ(test, add_cpu(cpu), 0);
	KUNIT_EXPECT_EQ(test, class_inuse(cls), 0UL);
	KUNIT_EXPECT_EQ(test, goalloc_central[cls].objects, 0UL);
}

/* kthreads on every CPU, trading objects through shared slots. */
#define XCPU_SLOTS	256
#define XCPU_ITERS	4000

struct xcpu {
	void *slot[XCPU_SLOTS];
	atomic_t corrupted;
	atomic_t running;
	struct completion done;
};

static void pattern_fill(u64 *p, size_t size)
{
	size_t i;

	p[0] = size;
	for (i = 1; i < size / 8; i++)
		p[i] = (unsigned long)p ^ (i * 0x9e3779b97f4a7c15ULL);
}

static bool pattern_ok(const u64 *p)
{
	size_t i, size = p[0];

	for (i = 1; i < size / 8; i++)
		if (p[i] != ((unsigned long)p ^ (i * 0x9e3779b97f4a7c15ULL)))
			return false;
	return true;
}

static int xcpu_thread(void *arg)
{
	struct xcpu *x = arg;
	struct rnd_state rnd;
	unsigned int i;

	prandom_seed_state(&rnd, smp_processor_id() + 1);
	for (i = 0; i < XCPU_ITERS; i++) {
		size_t size = 8 + prandom_u32_state(&rnd) % (i % 64 ? 4096 : 70000);
		u64 *p = goalloc_alloc(size, GFP_KERNEL), *old;

		if (!p)
			continue;
		pattern_fill(p, size);
		old = xchg(&x->slot[prandom_u32_state(&rnd) % XCPU_SLOTS], p);
		if (old) {
			if (!pattern_ok(old))
				atomic_inc(&x->corrupted);
			goalloc_free(old);
		}
		cond_resched();
	}
	if (atomic_dec_and_test(&x->running))
		complete(&x->done);
	return 0;
}

static void threads_on_every_cpu_trade_objects_intact(struct kunit *test)
{
	struct xcpu *x = kunit_kzalloc(test, sizeof(*x), GFP_KERNEL);
	unsigned long *inuse = kunit_kcalloc(test, GOALLOC_NUM_CLASSES,
					     sizeof(*inuse), GFP_KERNEL);
	struct task_struct *t;
	unsigned int i;
	int cpu;

	KUNIT_ASSERT_TRUE(test, x && inuse);
	goalloc_drain(false);
	for (i = 1; i < GOALLOC_NUM_CLASSES; i++)
		inuse[i] = class_inuse(i);
	init_completion(&x->done);
	cpus_read_lock();
	atomic_set(&x->running, num_online_cpus());
	for_each_online_cpu(cpu) {
		t = kthread_create_on_cpu(xcpu_thread, x, cpu, "goalloc_xcpu/%u");
		if (IS_ERR(t)) {
			atomic_dec(&x->running);
			continue;
		}
		wake_up_process(t);
	}
	cpus_read_unlock();
	wait_for_completion(&x->done);
	for (i = 0; i < XCPU_SLOTS; i++) {
		if (!x->slot[i])
			continue;
		if (!pattern_ok(x->slot[i]))
			atomic_inc(&x->corrupted);
		goalloc_free(x->slot[i]);
	}
	KUNIT_EXPECT_EQ(test, atomic_read(&x->corrupted), 0);
	goalloc_drain(false);
	for (i = 1; i < GOALLOC_NUM_CLASSES; i++)
		KUNIT_EXPECT_EQ_MSG(test, class_inuse(i), inuse[i], "class %u", i);
	KUNIT_EXPECT_EQ(test, goalloc_verify(NULL), 0);
}

struct irq_alloc {
	struct hrtimer timer;
	struct completion done;
	int rounds, ok, in_hardirq, zero;
};

static enum hrtimer_restart irq_alloc_fn(struct hrtimer *t)
{
	struct irq_alloc *ia = container_of(t, struct irq_alloc, timer);
	u8 *p = goalloc_alloc(64 + ia->rounds * 8, GFP_ATOMIC);

	ia->in_hardirq += !!in_hardirq();
	/* Class 0's empty magazine sends size 0 the slow way, here too. */
	ia->zero += goalloc_alloc(0, GFP_ATOMIC) == ZERO_SIZE_PTR;
	if (p) {
		memset(p, 0x77, 64);
		ia->ok += !memchr_inv(p, 0x77, 64);
		goalloc_free(p);
	}
	if (++ia->rounds == 20) {
		complete(&ia->done);
		return HRTIMER_NORESTART;
	}
	hrtimer_forward_now(t, ns_to_ktime(100 * NSEC_PER_USEC));
	return HRTIMER_RESTART;
}

static void alloc_and_free_from_hardirq(struct kunit *test)
{
	struct irq_alloc *ia = kunit_kzalloc(test, sizeof(*ia), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, ia);
	init_completion(&ia->done);
	hrtimer_init(&ia->timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL_HARD);
	ia->timer.function = irq_alloc_fn;
	hrtimer_start(&ia->timer, ns_to_ktime(100 * NSEC_PER_USEC), HRTIMER_MODE_REL_HARD);
	wait_for_completion(&ia->done);
	hrtimer_cancel(&ia->timer);
	KUNIT_EXPECT_EQ(test, ia->in_hardirq, 20);
	KUNIT_EXPECT_EQ(test, ia->ok, 20);
	KUNIT_EXPECT_EQ(test, ia->zero, 20);
}

struct irq_free {
	struct hrtimer timer;
	struct completion done;
	void *p;
	unsigned int cls, task_count, irq_count;
	int cpu;
};

static enum hrtimer_restart irq_free_fn(struct hrtimer *t)
{
	struct irq_free *f = container_of(t, struct irq_free, timer);

	f->cpu = smp_processor_id();
	goalloc_free(f->p);
	f->task_count = cpu_mag_count(f->cpu, MAG_TASK, f->cls);
	f->irq_count = cpu_mag_count(f->cpu, MAG_IRQ, f->cls);
	complete(&f->done);
	return HRTIMER_NORESTART;
}

/*
 * A task's fast path runs with preemption off only, so a hard IRQ must
 * not touch the task's magazines: its free goes to the interrupt set of
 * the same CPU, and a drain empties that set too.
 */
static void interrupts_use_magazines_of_their_own(struct kunit *test)
{
	struct irq_free *f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);
	unsigned int task_count;
	int cpu;

	KUNIT_ASSERT_NOT_NULL(test, f);
	if (IS_ENABLED(CONFIG_PREEMPT_RT))
		kunit_skip(test, "PREEMPT_RT: one set of magazines");
	f->cls = size_to_class(136);
	goalloc_drain(false);
	migrate_disable();
	cpu = smp_processor_id();
	f->p = goalloc_alloc(136, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, f->p);
	task_count = cpu_mag_count(cpu, MAG_TASK, f->cls);
	KUNIT_EXPECT_GT(test, task_count, 0U);
	KUNIT_EXPECT_EQ(test, cpu_mag_count(cpu, MAG_IRQ, f->cls), 0U);
	init_completion(&f->done);
	hrtimer_init(&f->timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL_PINNED_HARD);
	f->timer.function = irq_free_fn;
	hrtimer_start(&f->timer, ns_to_ktime(100 * NSEC_PER_USEC),
		      HRTIMER_MODE_REL_PINNED_HARD);
	wait_for_completion(&f->done);
	migrate_enable();
	KUNIT_EXPECT_EQ(test, f->cpu, cpu);
	KUNIT_EXPECT_EQ(test, f->task_count, task_count);
	KUNIT_EXPECT_EQ(test, f->irq_count, 1U);
	goalloc_drain(false);
	KUNIT_EXPECT_EQ(test, cpu_mag_count(cpu, MAG_IRQ, f->cls), 0U);
	KUNIT_EXPECT_EQ(test, cpu_mag_count(cpu, MAG_TASK, f->cls), 0U);
	KUNIT_EXPECT_EQ(test, class_inuse(f->cls), 0UL);
}

static void memory_goes_back_after_everything_is_freed(struct kunit *test)
{
	enum { N = 20000 };
	struct heap_stats before, st;
	unsigned long held;
	void **p;
	int i;

	p = kvmalloc_array(N, sizeof(*p), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	goalloc_drain(true);
	held = heap_pages_held();
	heap_stats_read(&before);
	for (i = 0; i < N; i++) {
		p[i] = goalloc_alloc(64 + (i % 16) * 64, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p[i]);
	}
	KUNIT_EXPECT_GT(test, heap_pages_held(), held);
	for (i = 0; i < N; i++)
		goalloc_free(p[i]);
	kvfree(p);
	/* Caches drained, the scavenger keeps at most the headroom. */
	goalloc_drain(false);
	heap_release_free_chunks(heap_headroom_pages());
	heap_stats_read(&st);
	KUNIT_EXPECT_EQ(test, st.inuse_pages, before.inuse_pages);
	KUNIT_EXPECT_LE(test, st.sys_pages - held, heap_headroom_pages());
	/* And with the headroom released, exactly what was held before. */
	goalloc_drain(true);
	KUNIT_EXPECT_EQ(test, heap_pages_held(), held);
}

static void scavenger_frees_chunks_that_cached_objects_pin(struct kunit *test)
{
	enum { N = 30000 };
	unsigned long held;
	void **p;
	int i;

	p = kvmalloc_array(N, sizeof(*p), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	goalloc_drain(true);
	held = heap_pages_held();
	for (i = 0; i < N; i++) {
		p[i] = goalloc_alloc(100 + (i % 40) * 100, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p[i]);
	}
	for (i = 0; i < N; i++)
		goalloc_free(p[i]);
	kvfree(p);
	/* No drain: CPU caches and cached spans pin chunks until the scavenger. */
	goalloc_scavenge();
	KUNIT_EXPECT_LE(test, heap_pages_held(), held + heap_headroom_pages());
}

static struct kunit_case mcache_cases[] = {
	KUNIT_CASE(free_then_alloc_reuses_the_object),
	KUNIT_CASE(full_magazine_flushes_half_to_mcentral),
	KUNIT_CASE(remote_free_returns_objects_of_a_span_cached_elsewhere),
	KUNIT_CASE(depot_passes_flushed_objects_to_another_cpu),
	KUNIT_CASE(large_objects_are_listed_by_the_allocating_cpu),
	KUNIT_CASE(offline_cpu_has_its_cache_flushed),
	KUNIT_CASE(threads_on_every_cpu_trade_objects_intact),
	KUNIT_CASE(alloc_and_free_from_hardirq),
	KUNIT_CASE(interrupts_use_magazines_of_their_own),
	KUNIT_CASE(memory_goes_back_after_everything_is_freed),
	KUNIT_CASE(scavenger_frees_chunks_that_cached_objects_pin),
	{}
};

static struct kunit_suite mcache_suite = {
	.name = "goalloc_mcache",
	.test_cases = mcache_cases,
};

/* ------------------------------------------------------------------ */
/* goalloc_stats: the debugfs files, rendered and parsed as users read them */

#define STATS_BUF	(64 << 10)

/* Render debugfs file @name into a test-owned buffer. */
static char *render(struct kunit *test, const char *name)
{
	struct seq_file m = { .size = STATS_BUF };

	m.buf = kunit_kzalloc(test, STATS_BUF, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, m.buf);
	KUNIT_ASSERT_EQ(test, goalloc_debugfs_show(name, &m), 0);
	KUNIT_ASSERT_LT(test, m.count, (size_t)STATS_BUF);
	m.buf[m.count] = 0;
	return m.buf;
}

#define ROW_FIELDS	(4 + NR_CLASS_COLS)

/* The number at @p in a stats file; "-" (not tracked) reads as 0. */
static unsigned long field(const char *p)
{
	char tok[24];
	size_t len = strcspn(p, "\n ");
	unsigned long v;

	if (len >= sizeof(tok))
		return 0;
	memcpy(tok, p, len);
	tok[len] = 0;
	return kstrtoul(tok, 10, &v) ? 0 : v;
}

/*
 * The numbers of the "classes" row whose first field is @key ("17" or
 * "total"); "-" reads as 0. Return: fields read.
 */
static int classes_row(const char *text, const char *key, unsigned long *v)
{
	size_t klen = strlen(key);
	const char *line = text;
	int n = 0;

	while (line && *line) {
		if (!strncmp(line, key, klen) && line[klen] == ' ') {
			const char *p = line + klen;

			while (*p == ' ' && n < ROW_FIELDS - 1) {
				p++;
				v[1 + n++] = field(p);
				p = strpbrk(p, "\n ");
				if (!p)
					break;
			}
			return n;
		}
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	return 0;
}

/* Value of "Name value" line @name in the "heap" file. */
static unsigned long heap_value(struct kunit *test, const char *text,
				const char *name)
{
	const char *p = text;
	size_t len = strlen(name);

	while (p && *p) {
		if (!strncmp(p, name, len) && p[len] == ' ')
			return field(p + len + 1);
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	KUNIT_FAIL(test, "no %s in heap", name);
	return 0;
}

/* Column @col of a parsed row: fields are class, size, pages, objs, cols. */
#define COL(v, col)	((v)[4 + (col)])

static void classes_count_exactly_what_was_allocated(struct kunit *test)
{
	static const unsigned int req[] = { 20, 200, 1000, 5000 };
	enum { N = 100 };
	unsigned long *before = kunit_kcalloc(test, 3 * ROW_FIELDS,
					      sizeof(long), GFP_KERNEL);
	unsigned long *during = before + ROW_FIELDS, *after = during + ROW_FIELDS;
	void **objs = test_objs(test, N * ARRAY_SIZE(req));
	unsigned int i, j;
	char key[8];

	KUNIT_ASSERT_NOT_NULL(test, before);
	goalloc_drain(false);
	for (i = 0; i < ARRAY_SIZE(req); i++) {
		unsigned int cls = size_to_class(req[i]), size = class_info[cls].size;
		struct goalloc_class_stats st;

		snprintf(key, sizeof(key), "%u", cls);
		KUNIT_ASSERT_EQ(test, classes_row(render(test, "classes"), key, before),
				ROW_FIELDS - 1);
		for (j = 0; j < N; j++) {
			objs[j] = goalloc_alloc(req[i], GFP_KERNEL);
			KUNIT_ASSERT_NOT_NULL(test, objs[j]);
		}
		goalloc_drain(false);	/* no object waits in a CPU cache */
		classes_row(render(test, "classes"), key, during);
		KUNIT_EXPECT_EQ_MSG(test, during[1], (unsigned long)size, "size");
		KUNIT_EXPECT_EQ(test, COL(during, COL_INUSE) - COL(before, COL_INUSE),
				(unsigned long)N);
		KUNIT_EXPECT_EQ(test, COL(during, COL_ALLOCS) - COL(before, COL_ALLOCS),
				(unsigned long)N);
		KUNIT_EXPECT_EQ(test, COL(during, COL_FREES), COL(before, COL_FREES));
		KUNIT_EXPECT_EQ(test, COL(during, COL_CPU_CACHED), 0UL);
		KUNIT_EXPECT_EQ(test, COL(during, COL_BYTES_INUSE),
				COL(during, COL_INUSE) * size);
		/*
		 * Unless a class fell back to smaller spans in this boot
		 * (spans_create(), under memory pressure), each span has the
		 * class's geometry.
		 */
		goalloc_class_stats(cls, &st);
		if (!events(EV_SPAN_FALLBACK)) {
			KUNIT_EXPECT_EQ(test, st.slots,
					COL(during, COL_SPANS) * class_span_objects(cls));
			KUNIT_EXPECT_EQ(test, st.pages,
					COL(during, COL_SPANS) * class_info[cls].npages);
		}
		KUNIT_EXPECT_EQ(test, COL(during, COL_FREE),
				st.slots - COL(during, COL_INUSE));
		KUNIT_EXPECT_EQ(test, COL(during, COL_SPANS),
				COL(during, COL_PARTIAL) + COL(during, COL_FULL) +
				COL(during, COL_EMPTY) + COL(during, COL_CACHED));
		KUNIT_EXPECT_EQ(test, COL(during, COL_HIST0) + COL(during, COL_HIST1) +
				COL(during, COL_HIST2) + COL(during, COL_HIST3),
				COL(during, COL_SPANS));
		KUNIT_EXPECT_EQ(test, COL(during, COL_TAIL_WASTE),
				st.pages * GOALLOC_PAGE_SIZE - st.slots * size);
		if (goalloc_track_waste)
			KUNIT_EXPECT_EQ(test, COL(during, COL_ROUNDUP_WASTE) -
					COL(before, COL_ROUNDUP_WASTE),
					(unsigned long)N * (size - req[i]));
		KUNIT_EXPECT_EQ(test, COL(during, COL_WASTE),
				COL(during, COL_TAIL_WASTE) + COL(during, COL_ROUNDUP_WASTE));

		for (j = 0; j < N; j++)
			goalloc_free(objs[j]);
		goalloc_drain(false);
		classes_row(render(test, "classes"), key, after);
		KUNIT_EXPECT_EQ(test, COL(after, COL_INUSE), COL(before, COL_INUSE));
		KUNIT_EXPECT_EQ(test, COL(after, COL_FREES) - COL(before, COL_FREES),
				(unsigned long)N);
		KUNIT_EXPECT_EQ(test, COL(after, COL_ROUNDUP_WASTE),
				COL(before, COL_ROUNDUP_WASTE));
	}
}

static void histogram_sorts_spans_by_fullness(struct kunit *test)
{
	unsigned int cls = size_to_class(3300), per = class_span_objects(cls);
	unsigned long v[ROW_FIELDS], hist[4] = {};
	unsigned int i, j, nspans = 0, kinds = 0, used[16];
	struct span *spans[16];
	void *p[16];
	char key[8];

	/*
	 * 7 per span, 11 objects: spans of several fullnesses, however the
	 * refills spread them. The expected histogram comes from the
	 * objects' own spans.
	 */
	KUNIT_ASSERT_EQ(test, per, 7U);
	goalloc_drain(false);
	for (i = 0; i < per + 4; i++) {
		p[i] = goalloc_alloc(3300, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p[i]);
		spans[nspans] = span_of(p[i]);
		for (j = 0; spans[j] != spans[nspans]; j++)
			;
		if (j == nspans)
			used[nspans++] = 0;
		used[j]++;
	}
	goalloc_drain(false);
	for (j = 0; j < nspans; j++)
		hist[min(4 * used[j] / per, 3U)]++;
	/* Two fullnesses at least: a histogram with something to sort. */
	for (j = 0; j < ARRAY_SIZE(hist); j++)
		kinds += !!hist[j];
	KUNIT_EXPECT_GE(test, kinds, 2U);
	snprintf(key, sizeof(key), "%u", cls);
	classes_row(render(test, "classes"), key, v);
	KUNIT_EXPECT_EQ(test, COL(v, COL_INUSE), (unsigned long)per + 4);
	KUNIT_EXPECT_EQ(test, COL(v, COL_SPANS), (unsigned long)nspans);
	for (j = 0; j < ARRAY_SIZE(hist); j++)
		KUNIT_EXPECT_EQ_MSG(test, COL(v, COL_HIST0 + j), hist[j],
				    "bucket %u", j);
	for (i = 0; i < per + 4; i++)
		goalloc_free(p[i]);
	goalloc_drain(false);
}

static void total_row_is_the_sum_of_the_rows(struct kunit *test)
{
	unsigned long *row = kunit_kcalloc(test, 2 * ROW_FIELDS + NR_CLASS_COLS,
					   sizeof(long), GFP_KERNEL);
	unsigned long *total = row + ROW_FIELDS, *sum = total + ROW_FIELDS;
	void *p = goalloc_alloc(777, GFP_KERNEL);
	unsigned int cls, i, rows = 0;
	char *text, key[8];

	KUNIT_ASSERT_TRUE(test, p && row);
	text = render(test, "classes");
	KUNIT_EXPECT_TRUE(test, !strncmp(text, "class size pages objs spans", 27));
	for (cls = 1; cls < GOALLOC_NUM_CLASSES; cls++) {
		snprintf(key, sizeof(key), "%u", cls);
		rows += classes_row(text, key, row) == ROW_FIELDS - 1;
		for (i = 0; i < NR_CLASS_COLS; i++)
			sum[i] += COL(row, i);
	}
	KUNIT_EXPECT_EQ(test, rows, GOALLOC_NUM_CLASSES - 1);
	KUNIT_ASSERT_EQ(test, classes_row(text, "total", total), ROW_FIELDS - 1);
	for (i = 0; i < NR_CLASS_COLS; i++)
		KUNIT_EXPECT_EQ_MSG(test, COL(total, i), sum[i], "column %u", i);
	goalloc_free(p);
}

static void heap_agrees_with_classes(struct kunit *test)
{
	unsigned long total[ROW_FIELDS], large_before, large_after;
	void *small = goalloc_alloc(300, GFP_KERNEL);
	void *large = goalloc_alloc(100000, GFP_KERNEL);
	char *classes, *heap;

	KUNIT_ASSERT_TRUE(test, small && large);
	goalloc_drain(false);
	classes = render(test, "classes");
	heap = render(test, "heap");
	KUNIT_ASSERT_EQ(test, classes_row(classes, "total", total), ROW_FIELDS - 1);
	KUNIT_EXPECT_EQ(test, heap_value(test, heap, "HeapAlloc"),
			COL(total, COL_BYTES_INUSE) + heap_value(test, heap, "LargeBytes"));
	KUNIT_EXPECT_EQ(test, heap_value(test, heap, "HeapObjects"),
			COL(total, COL_INUSE) + heap_value(test, heap, "LargeObjects"));
	KUNIT_EXPECT_EQ(test, heap_value(test, heap, "Mallocs") -
			heap_value(test, heap, "Frees"),
			heap_value(test, heap, "HeapObjects"));
	KUNIT_EXPECT_EQ(test, heap_value(test, heap, "HeapSys"),
			heap_value(test, heap, "HeapInuse") +
			heap_value(test, heap, "HeapIdle"));
	KUNIT_EXPECT_EQ(test, heap_value(test, heap, "HeapSys"),
			(heap_value(test, heap, "PagesFromBuddy") -
			 heap_value(test, heap, "PagesReturned")) << PAGE_SHIFT);
	KUNIT_EXPECT_GE(test, heap_value(test, heap, "HeapInuse"),
			heap_value(test, heap, "HeapAlloc"));

	large_before = heap_value(test, heap, "LargeObjects");
	KUNIT_EXPECT_GE(test, heap_value(test, heap, "LargeRequestedBytes"), 100000UL);
	goalloc_free(large);
	heap = render(test, "heap");
	large_after = heap_value(test, heap, "LargeObjects");
	KUNIT_EXPECT_EQ(test, large_before - large_after, 1UL);
	goalloc_free(small);
}

static void slabinfo_has_a_row_per_class(struct kunit *test)
{
	char *text = render(test, "slabinfo");
	unsigned int rows = 0, objsize, perslab;
	const char *p = text;
	char name[32];
	int n;

	KUNIT_EXPECT_TRUE(test, !strncmp(text, "slabinfo - version: 2.1\n", 24));
	while ((p = strstr(p, "\ngoalloc-"))) {
		p++;
		n = sscanf(p, "%31s %*u %*u %u %u", name, &objsize, &perslab);
		KUNIT_ASSERT_EQ(test, n, 3);
		KUNIT_EXPECT_EQ(test, objsize, (unsigned int)class_info[rows + 1].size);
		KUNIT_EXPECT_EQ(test, perslab, class_span_objects(rows + 1));
		rows++;
	}
	KUNIT_EXPECT_EQ(test, rows, GOALLOC_NUM_CLASSES - 1);
}

static void rows_ctor(void *p)
{
	memset(p, 0x5a, 100);
}

/*
 * A cache's rows after a known workload: ten objects allocated and three
 * freed, of 100 bytes in 128-byte slots (SLAB_HWCACHE_ALIGN with 64-byte
 * cache lines), as "caches" and "slabinfo" print them.
 */
static void caches_and_slabinfo_rows_count_a_known_workload(struct kunit *test)
{
	unsigned long v[11], slot, objs, waste;
	struct goalloc_cache *c;
	char *text, *row;
	void *p[10];
	char flags[40];
	int i, n;

	c = goalloc_cache_create("goalloc_test_rows", 100, 0,
				 SLAB_HWCACHE_ALIGN, rows_ctor);
	KUNIT_ASSERT_NOT_NULL(test, c);
	for (i = 0; i < 10; i++) {
		p[i] = goalloc_cache_alloc(c, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p[i]);
	}
	for (i = 0; i < 3; i++)
		goalloc_cache_free(c, p[i]);

	text = render(test, "caches");
	KUNIT_EXPECT_TRUE(test, str_has_prefix(text, "name object_size size align objs pages spans inuse total allocs frees waste flags\n"));
	row = strstr(text, "\ngoalloc_test_rows ");
	KUNIT_ASSERT_NOT_NULL(test, row);
	n = sscanf(row + 1, "%*s %lu %lu %lu %lu %lu %lu %lu %lu %lu %lu %lu %39s",
		   &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7],
		   &v[8], &v[9], &v[10], flags);
	KUNIT_ASSERT_EQ(test, n, 12);
	slot = ALIGN(100, cache_line_size() > 64 ? cache_line_size() : 64);
	objs = GOALLOC_PAGE_SIZE / slot;
	KUNIT_EXPECT_EQ(test, v[0], 100UL);		/* object_size */
	KUNIT_EXPECT_EQ(test, v[1], slot);		/* size */
	KUNIT_EXPECT_EQ(test, v[3], objs);		/* objs per span */
	KUNIT_EXPECT_EQ(test, v[4], 1UL);		/* pages */
	KUNIT_EXPECT_GE(test, v[5], 1UL);		/* spans */
	KUNIT_EXPECT_EQ(test, v[6], 7UL);		/* inuse */
	KUNIT_EXPECT_EQ(test, v[7], v[5] * objs);	/* total */
	KUNIT_EXPECT_EQ(test, v[8], 10UL);		/* allocs */
	KUNIT_EXPECT_EQ(test, v[9], 3UL);		/* frees */
	waste = v[5] * (GOALLOC_PAGE_SIZE - objs * slot) + 7 * (slot - 100);
	KUNIT_EXPECT_EQ(test, v[10], waste);
	KUNIT_EXPECT_STREQ(test, flags, "ctor,hwcache,");

	text = render(test, "slabinfo");
	row = strstr(text, "\ngoalloc_test_rows ");
	KUNIT_ASSERT_NOT_NULL(test, row);
	n = sscanf(row + 1, "%*s %lu %lu %lu %lu %lu", &v[0], &v[1], &v[2],
		   &v[3], &v[4]);
	KUNIT_ASSERT_EQ(test, n, 5);
	KUNIT_EXPECT_EQ(test, v[0], 7UL);		/* active_objs */
	KUNIT_EXPECT_EQ(test, v[2], slot);		/* objsize */
	KUNIT_EXPECT_EQ(test, v[3], objs);		/* objperslab */
	KUNIT_EXPECT_EQ(test, v[4], (unsigned long)GOALLOC_PAGE_SIZE / PAGE_SIZE);

	for (i = 3; i < 10; i++)
		goalloc_cache_free(c, p[i]);
	goalloc_cache_destroy(c);
	text = render(test, "caches");
	KUNIT_EXPECT_NULL(test, strstr(text, "\ngoalloc_test_rows "));
}

static void counters_show_fast_and_slow_paths(struct kunit *test)
{
	char *text;
	void *p;

	p = goalloc_alloc(40, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	goalloc_free(p);
	text = render(test, "counters");
	KUNIT_EXPECT_NOT_NULL(test, strstr(text, "\nalloc_fastpath "));
	KUNIT_EXPECT_NOT_NULL(test, strstr(text, "\nfree_fastpath "));
	KUNIT_EXPECT_NOT_NULL(test, strstr(text, "\nremote_free "));
	KUNIT_EXPECT_NOT_NULL(test, strstr(text, "\nshrinker_pages "));
	KUNIT_EXPECT_NOT_NULL(test, strstr(text, "\nrefused_double_free "));
	KUNIT_EXPECT_NOT_NULL(test, strstr(render(test, "percpu"),
					   "cpu class size cached span allocs hits"));
}

static struct kunit_case stats_cases[] = {
	KUNIT_CASE(classes_count_exactly_what_was_allocated),
	KUNIT_CASE(histogram_sorts_spans_by_fullness),
	KUNIT_CASE(total_row_is_the_sum_of_the_rows),
	KUNIT_CASE(heap_agrees_with_classes),
	KUNIT_CASE(slabinfo_has_a_row_per_class),
	KUNIT_CASE(caches_and_slabinfo_rows_count_a_known_workload),
	KUNIT_CASE(counters_show_fast_and_slow_paths),
	{}
};

static struct kunit_suite stats_suite = {
	.name = "goalloc_stats",
	.test_cases = stats_cases,
};

/* ------------------------------------------------------------------ */
/* goalloc_verify */

static void verify_finds_a_span_whose_count_is_wrong(struct kunit *test)
{
	unsigned int cls = size_to_class(CENTRAL_SIZE), i;
	struct central *c = &goalloc_central[cls];
	unsigned long flags;
	LIST_HEAD(dead);
	struct span *s;
	void *objs[2];

	goalloc_drain(false);
	s = span_create(cls, class_info[cls].npages, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, s);
	spin_lock_irqsave(&c->lock, flags);
	KUNIT_EXPECT_EQ(test, span_take(s, objs, 2), 2U);
	c->objects += 2;
	__central_add_span(c, s);
	spin_unlock_irqrestore(&c->lock, flags);
	KUNIT_EXPECT_EQ(test, goalloc_verify(NULL), 0);

	/* The corruption under test; goalloc_verify() reports it to the log. */
	WRITE_ONCE(s->allocated, 1);
	pr_info("goalloc_kunit: a span count is corrupted on purpose; expect verify reports\n");
	KUNIT_EXPECT_GE(test, goalloc_verify(NULL), 1);
	WRITE_ONCE(s->allocated, 2);
	KUNIT_EXPECT_EQ(test, goalloc_verify(NULL), 0);
	/* And the span's copy of its class's divisor. */
	WRITE_ONCE(s->divmagic, s->divmagic + 1);
	pr_info("goalloc_kunit: a span's divmagic is corrupted on purpose; expect verify reports\n");
	KUNIT_EXPECT_GE(test, goalloc_verify(NULL), 1);
	WRITE_ONCE(s->divmagic, class_divmagic[cls]);
	KUNIT_EXPECT_EQ(test, goalloc_verify(NULL), 0);

	spin_lock_irqsave(&c->lock, flags);
	for (i = 0; i < 2; i++)
		span_put(s, span_obj_index(s, objs[i]));
	c->objects -= 2;
	__central_release_span(c, s, &dead);
	spin_unlock_irqrestore(&c->lock, flags);
	spans_destroy(&dead);
	goalloc_drain(false);	/* or as the class's empty span */
	KUNIT_EXPECT_EQ(test, goalloc_verify(NULL), 0);
}

/*
 * A class of many spans, more than a few batches of a walk: objects of
 * CENTRAL_SIZE (3 per span, a class no other case of this module uses),
 * every third one freed, so that the spans lie on the full and the
 * partial lists. Nothing waits in a CPU cache.
 */
#define WALK_SPANS	(5 * GOALLOC_WALK_BATCH + 7)
#define WALK_OBJS	(3 * WALK_SPANS)

static void **walk_class_fill(struct kunit *test)
{
	void **objs = test_objs(test, WALK_OBJS);
	unsigned int i;

	goalloc_drain(true);
	for (i = 0; i < WALK_OBJS; i++) {
		objs[i] = goalloc_alloc(CENTRAL_SIZE, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, objs[i]);
	}
	for (i = 0; i < WALK_OBJS; i += 3 * 3) {
		goalloc_free(objs[i]);
		objs[i] = NULL;
	}
	goalloc_drain(false);
	return objs;
}

static void walk_class_empty(void **objs)
{
	unsigned int i;

	for (i = 0; i < WALK_OBJS; i++)
		if (objs[i])
			goalloc_free(objs[i]);
	goalloc_drain(true);
}

/* "spans" rendered into a buffer big enough for the whole heap's spans. */
#define SPANS_BUF	(2 << 20)

static char *render_spans(struct kunit *test)
{
	struct seq_file m = { .size = SPANS_BUF };

	m.buf = kvzalloc(SPANS_BUF, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, m.buf);
	KUNIT_EXPECT_EQ(test, goalloc_debugfs_show("spans", &m), 0);
	KUNIT_EXPECT_LT(test, m.count, (size_t)SPANS_BUF);
	m.buf[min(m.count, (size_t)SPANS_BUF - 1)] = 0;
	return m.buf;
}

static void walks_hold_a_class_lock_for_a_batch_at_a_time(struct kunit *test)
{
	unsigned int cls = size_to_class(CENTRAL_SIZE);
	struct goalloc_class_stats st;
	unsigned long holds;
	void **objs;

	goalloc_scavenge_hold(true);
	objs = walk_class_fill(test);
	goalloc_class_stats(cls, &st);
	KUNIT_ASSERT_GE(test, st.nspans, (unsigned long)WALK_SPANS);

	WRITE_ONCE(goalloc_walk_longest, 0);
	holds = READ_ONCE(goalloc_walk_holds);
	kvfree(render_spans(test));
	KUNIT_EXPECT_LE(test, READ_ONCE(goalloc_walk_longest),
			(unsigned int)GOALLOC_WALK_BATCH);
	/* The class alone took a hold per batch. */
	KUNIT_EXPECT_GE(test, READ_ONCE(goalloc_walk_holds) - holds,
			st.nspans / GOALLOC_WALK_BATCH);

	WRITE_ONCE(goalloc_walk_longest, 0);
	holds = READ_ONCE(goalloc_walk_holds);
	KUNIT_EXPECT_EQ(test, goalloc_verify(NULL), 0);
	KUNIT_EXPECT_LE(test, READ_ONCE(goalloc_walk_longest),
			(unsigned int)GOALLOC_WALK_BATCH);
	KUNIT_EXPECT_GE(test, READ_ONCE(goalloc_walk_holds) - holds,
			st.nspans / GOALLOC_WALK_BATCH);

	walk_class_empty(objs);
	goalloc_scavenge_hold(false);
}

/* Holds of walk locks one goalloc_verify() takes. */
static unsigned long verify_holds(struct kunit *test)
{
	unsigned long holds = READ_ONCE(goalloc_walk_holds);

	KUNIT_EXPECT_EQ(test, goalloc_verify(NULL), 0);
	return READ_ONCE(goalloc_walk_holds) - holds;
}

#define BIG_OBJS	24
#define BIG_SIZE	(1UL << 20)

/*
 * verify looks up every page of a span: a big span is many units of a
 * batch, not one. BIG_OBJS spans of a 1 MiB cache, then as many 1 MiB
 * large objects, each GOALLOC_WALK_PAGES pages of them a unit: the class
 * walk, then this CPU's large-object walk, take a hold per batch.
 */
static void walks_count_a_big_span_by_its_pages(struct kunit *test)
{
	/* A hold per batch of a walk, a batch of 32 units or a few more. */
	unsigned long batches = BIG_OBJS * (BIG_SIZE >> PAGE_SHIFT) /
				GOALLOC_WALK_PAGES /
				(GOALLOC_WALK_BATCH + GOALLOC_WALK_PAGES);
	void *co[BIG_OBJS] = {}, *lo[BIG_OBJS] = {};
	unsigned long base, cached;
	struct goalloc_cache *c;
	unsigned int i;

	goalloc_scavenge_hold(true);
	c = goalloc_cache_create("goalloc_walk_big", BIG_SIZE, 0, 0, NULL);
	KUNIT_ASSERT_NOT_NULL(test, c);
	base = verify_holds(test);
	for (i = 0; i < BIG_OBJS; i++) {
		co[i] = goalloc_cache_alloc(c, GFP_KERNEL);
		if (!co[i])
			break;
	}
	KUNIT_EXPECT_EQ(test, i, (unsigned int)BIG_OBJS);
	cached = verify_holds(test);
	KUNIT_EXPECT_GE_MSG(test, cached - base, batches, "the cache's class walk");
	/* On this CPU: its list of large objects holds them all. */
	migrate_disable();
	for (i = 0; i < BIG_OBJS; i++) {
		lo[i] = goalloc_alloc(BIG_SIZE, GFP_KERNEL);
		if (!lo[i])
			break;
	}
	migrate_enable();
	KUNIT_EXPECT_EQ(test, i, (unsigned int)BIG_OBJS);
	KUNIT_EXPECT_GE_MSG(test, verify_holds(test) - cached, batches,
			    "a CPU's large-object walk");
	for (i = 0; i < BIG_OBJS; i++) {
		goalloc_cache_free(c, co[i]);
		goalloc_free(lo[i]);
	}
	goalloc_cache_destroy(c);
	goalloc_scavenge_hold(false);
}

/*
 * The class tables read a class's fullness histogram a batch of partial
 * spans per hold, and on a quiet class still count each span once: a
 * partial span of 3 slots has 1 or 2 in use (25-50 % or 50-75 %).
 */
static void class_stats_walk_partial_spans_a_batch_per_hold(struct kunit *test)
{
	static const char *const files[] = { "classes", "slabinfo", "heap" };
	unsigned int cls = size_to_class(CENTRAL_SIZE), i;
	unsigned long v[ROW_FIELDS], partial, holds;
	struct goalloc_class_stats st;
	char key[8];
	void **objs;

	goalloc_scavenge_hold(true);
	objs = walk_class_fill(test);
	WRITE_ONCE(goalloc_walk_longest, 0);
	holds = READ_ONCE(goalloc_walk_holds);
	goalloc_class_stats(cls, &st);
	partial = st.spans[SPAN_PARTIAL];
	KUNIT_ASSERT_GT(test, partial, (unsigned long)GOALLOC_WALK_BATCH);
	KUNIT_ASSERT_EQ(test, st.spans[SPAN_CACHED], 0UL);
	KUNIT_EXPECT_LE(test, READ_ONCE(goalloc_walk_longest),
			(unsigned int)GOALLOC_WALK_BATCH);
	/* A hold per batch, the last one finding the list's end. */
	KUNIT_EXPECT_GE(test, READ_ONCE(goalloc_walk_holds) - holds,
			partial / GOALLOC_WALK_BATCH + 1);
	KUNIT_EXPECT_EQ(test, st.hist[0], st.spans[SPAN_EMPTY]);
	KUNIT_EXPECT_EQ(test, st.hist[1] + st.hist[2], partial);
	KUNIT_EXPECT_EQ(test, st.hist[3], st.spans[SPAN_FULL]);

	for (i = 0; i < ARRAY_SIZE(files); i++) {
		WRITE_ONCE(goalloc_walk_longest, 0);
		holds = READ_ONCE(goalloc_walk_holds);
		render(test, files[i]);
		KUNIT_EXPECT_LE_MSG(test, READ_ONCE(goalloc_walk_longest),
				    (unsigned int)GOALLOC_WALK_BATCH, "%s", files[i]);
		KUNIT_EXPECT_GE_MSG(test, READ_ONCE(goalloc_walk_holds) - holds,
				    partial / GOALLOC_WALK_BATCH + 1, "%s", files[i]);
	}
	snprintf(key, sizeof(key), "%u", cls);
	KUNIT_ASSERT_EQ(test, classes_row(render(test, "classes"), key, v),
			ROW_FIELDS - 1);
	for (i = 0; i < ARRAY_SIZE(st.hist); i++)
		KUNIT_EXPECT_EQ_MSG(test, COL(v, COL_HIST0 + i), st.hist[i],
				    "bucket %u", i);
	walk_class_empty(objs);
	goalloc_scavenge_hold(false);
}

/* Rows of class @cls in "spans" @text, and how many name span @s. */
static unsigned int spans_rows(const char *text, unsigned int cls,
			       const char *name, unsigned int *named)
{
	unsigned int rows = 0, c;
	const char *line = strchr(text, '\n');	/* past the header */
	size_t nlen = strlen(name);

	*named = 0;
	while (line && *++line) {
		const char *field = strchr(line, ' ');

		if (field && sscanf(field, " %u", &c) == 1 && c == cls) {
			rows++;
			if (field - line == nlen && !strncmp(line, name, nlen))
				(*named)++;
		}
		line = strchr(line, '\n');
	}
	return rows;
}

/*
 * debugfs "spans" as a reader gets it, @chunk bytes per read: seq_file
 * asks the file for the same batch again whenever one does not fit. By
 * seq_read_iter(), which read() comes to: debugfs's proxy offers kernel
 * readers no read_iter.
 */
static char *read_spans_file(struct kunit *test, size_t chunk)
{
	struct file *f = filp_open("/sys/kernel/debug/goalloc/spans", O_RDONLY, 0);
	struct kiocb kiocb;
	struct iov_iter iter;
	struct kvec kv;
	size_t len = 0;
	ssize_t n;
	char *text;

	if (IS_ERR(f))
		return NULL;
	text = kvzalloc(SPANS_BUF, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, text);
	init_sync_kiocb(&kiocb, f);
	do {
		kv.iov_base = text + len;
		kv.iov_len = min_t(size_t, chunk, SPANS_BUF - 1 - len);
		iov_iter_kvec(&iter, READ, &kv, 1, kv.iov_len);
		n = seq_read_iter(&kiocb, &iter);
		len += max_t(ssize_t, n, 0);
	} while (n > 0);
	KUNIT_EXPECT_EQ(test, n, 0L);
	filp_close(f, NULL);
	return text;
}

/* @text lists every span of class @cls once; @objs are its live objects. */
static void expect_spans_once(struct kunit *test, const char *text,
			      unsigned int cls, unsigned long nspans,
			      void **objs, const char *how)
{
	unsigned int i, named;
	char name[32];

	KUNIT_EXPECT_EQ_MSG(test, spans_rows(text, cls, "", &named),
			    (unsigned int)nspans, "%s", how);
	/* Each live object's span, by its hashed pointer, once. */
	for (i = 0; i < WALK_OBJS; i++) {
		if (!objs[i])
			continue;
		snprintf(name, sizeof(name), "%p", span_of(objs[i]));
		if (name[0] == '(')	/* no hashing key yet: all alike */
			break;
		spans_rows(text, cls, name, &named);
		KUNIT_EXPECT_EQ_MSG(test, named, 1U, "%s: object %u's span",
				    how, i);
	}
}

static void spans_lists_every_span_of_a_quiet_class_once(struct kunit *test)
{
	unsigned int cls = size_to_class(CENTRAL_SIZE);
	struct goalloc_class_stats st;
	void **objs;
	char *text;
	bool read;

	goalloc_scavenge_hold(true);
	objs = walk_class_fill(test);
	goalloc_class_stats(cls, &st);
	text = render_spans(test);
	expect_spans_once(test, text, cls, st.nspans, objs, "rendered");
	kvfree(text);
	/* 100 bytes per read: a batch of rows is asked for again and again. */
	text = read_spans_file(test, 100);
	read = text;
	if (read) {
		expect_spans_once(test, text, cls, st.nspans, objs, "read");
		kvfree(text);
	}
	walk_class_empty(objs);
	goalloc_scavenge_hold(false);
	if (!read)
		kunit_skip(test, "no debugfs at /sys/kernel/debug");
}

static void verify_catches_wrong_counts_past_the_first_batch(struct kunit *test)
{
	unsigned int cls = size_to_class(CENTRAL_SIZE);
	struct central *c = &goalloc_central[cls];
	unsigned long flags;
	struct span *s;
	void **objs;

	goalloc_scavenge_hold(true);
	objs = walk_class_fill(test);
	KUNIT_ASSERT_EQ(test, goalloc_verify(NULL), 0);
	pr_info("goalloc_kunit: counts are corrupted on purpose; expect verify reports\n");
	spin_lock_irqsave(&c->lock, flags);
	/* The full list's last span: a walk reaches it batches in. */
	s = list_last_entry(&c->full, struct span, list);
	KUNIT_EXPECT_GE(test, c->nr_spans[SPAN_PARTIAL] + c->nr_spans[SPAN_FULL],
			2UL * GOALLOC_WALK_BATCH);
	s->allocated--;
	spin_unlock_irqrestore(&c->lock, flags);
	KUNIT_EXPECT_GE(test, goalloc_verify(NULL), 1);
	spin_lock_irqsave(&c->lock, flags);
	s->allocated++;
	/* A count of the class, which only the sum over every batch finds. */
	c->objects++;
	spin_unlock_irqrestore(&c->lock, flags);
	KUNIT_EXPECT_GE(test, goalloc_verify(NULL), 1);
	spin_lock_irqsave(&c->lock, flags);
	c->objects--;
	spin_unlock_irqrestore(&c->lock, flags);
	KUNIT_EXPECT_EQ(test, goalloc_verify(NULL), 0);
	walk_class_empty(objs);
	goalloc_scavenge_hold(false);
}

/* Frees and allocations of the walked class, spans made and given back. */
static int walk_churn_thread(void *arg)
{
	void **objs = arg;
	struct rnd_state rnd;
	unsigned int i;

	prandom_seed_state(&rnd, 23);
	while (!kthread_should_stop()) {
		i = prandom_u32_state(&rnd) % WALK_OBJS;
		if (objs[i]) {
			goalloc_free(objs[i]);
			objs[i] = NULL;
		} else {
			objs[i] = goalloc_alloc(CENTRAL_SIZE, GFP_KERNEL);
		}
		if (!(i % 64)) {
			goalloc_drain(false);
			cond_resched();
		}
	}
	return 0;
}

static void walks_of_a_changing_class_report_nothing_false(struct kunit *test)
{
	struct task_struct *t;
	unsigned int round;
	void **objs;

	objs = walk_class_fill(test);
	t = kthread_run(walk_churn_thread, objs, "goalloc_walk_churn");
	KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	for (round = 0; round < 20; round++) {
		KUNIT_EXPECT_EQ_MSG(test, goalloc_verify(NULL), 0, "round %u", round);
		kvfree(render_spans(test));
	}
	kthread_stop(t);
	walk_class_empty(objs);
	KUNIT_EXPECT_EQ(test, goalloc_verify(NULL), 0);
}

static void verify_is_clean_after_every_suite(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, goalloc_verify(NULL), 0);
	goalloc_drain(true);
	KUNIT_EXPECT_EQ(test, goalloc_verify(NULL), 0);
}

static struct kunit_case verify_cases[] = {
	KUNIT_CASE(verify_finds_a_span_whose_count_is_wrong),
	KUNIT_CASE(walks_hold_a_class_lock_for_a_batch_at_a_time),
	KUNIT_CASE(walks_count_a_big_span_by_its_pages),
	KUNIT_CASE(class_stats_walk_partial_spans_a_batch_per_hold),
	KUNIT_CASE(spans_lists_every_span_of_a_quiet_class_once),
	KUNIT_CASE(verify_catches_wrong_counts_past_the_first_batch),
	KUNIT_CASE(walks_of_a_changing_class_report_nothing_false),
	KUNIT_CASE(verify_is_clean_after_every_suite),
	{}
};

static struct kunit_suite verify_suite = {
	.name = "goalloc_verify",
	.test_cases = verify_cases,
};

kunit_test_suites(&mcache_suite, &stats_suite, &verify_suite);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit tests for goalloc: mcache, statistics, verify");
