// SPDX-License-Identifier: GPL-2.0
/*
 * Stress tests of goalloc: threads on every CPU trading objects of random
 * sizes and lifetimes through a shared slot array, allocations from hard
 * IRQ and under spinlocks, CPU hotplug under that load, and a randomized
 * sequence of valid and invalid calls. One object in four comes from one
 * of four caches (plain, with a constructor, SLAB_TYPESAFE_BY_RCU, page
 * runs), some of them in bulk, and one free in eight is deferred with
 * goalloc_free_rcu(). Every object carries a pattern
 * derived from its address, checked before it is freed; every case ends
 * with goalloc_verify() and the objects in use back where they started.
 *
 * stress_secs sets how long each stress case runs (a short default keeps
 * "make check" fast; "make stress" passes minutes). KUnit kills a case
 * after 300 s, so longer runs are split into rounds of STRESS_ROUND_SECS.
 * Each case prints one "goalloc_stress: case=..." line of key=value
 * figures that scripts/stress.sh sums.
 *
 * With stress_fail_tasks=1 the stress threads set make-it-fail, so that
 * fail_page_alloc with task-filter=Y fails their page requests only;
 * allocations then return NULL, which the cases count and accept.
 */

#define pr_fmt(fmt) "goalloc_stress: " fmt

#include <kunit/test.h>
#include <linux/cpu.h>
#include <linux/delay.h>
#include <linux/hrtimer.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/prandom.h>
#include <linux/random.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/spinlock.h>

#include "goalloc_test.h"

MODULE_IMPORT_NS(GOALLOC_TEST_NS);

static unsigned int stress_secs = 2;
module_param(stress_secs, uint, 0444);
MODULE_PARM_DESC(stress_secs, "seconds each stress case runs (default 2)");

static unsigned int stress_drain_ms = 50;
module_param(stress_drain_ms, uint, 0444);
MODULE_PARM_DESC(stress_drain_ms,
		 "a thread drains every CPU cache this often during a case (default 50; 0: none, only the scavenger drains)");

static bool stress_fail_tasks;
module_param(stress_fail_tasks, bool, 0444);
MODULE_PARM_DESC(stress_fail_tasks,
		 "stress threads set make-it-fail (for fail_page_alloc's task-filter)");

/* Rounds stay well inside KUnit's 300 s limit per case. */
#define STRESS_ROUND_SECS	120
#define STRESS_MAX_ROUNDS	64

/* Half the picks go to the first STRESS_HOT_SLOTS: short lifetimes. */
#define STRESS_SLOTS		2048
#define STRESS_HOT_SLOTS	128
#define STRESS_IRQ_RING		16
#define STRESS_IRQ_NS		(250 * NSEC_PER_USEC)
#define STRESS_GFP		(GFP_KERNEL | __GFP_NOWARN)
#define STRESS_ATOMIC_GFP	(GFP_ATOMIC | __GFP_NOWARN)

/* ------------------------------------------------------------------ */
/* Patterns */

static u64 pattern_word(const void *key, size_t size, size_t i)
{
	return ((unsigned long)key + i * 8) * 0x9e3779b97f4a7c15ULL ^ size;
}

/* Fill @size bytes at @p with the pattern of an object at @p. */
static void pattern_fill(void *p, size_t size)
{
	size_t i, n = size / 8;
	u64 *w = p;

	for (i = 0; i < n; i++)
		w[i] = pattern_word(p, size, i);
	memset(w + n, (u8)pattern_word(p, size, n), size % 8);
}

/* Do @len bytes at @p hold the pattern of a @size-byte object at @key? */
static bool pattern_ok(const void *p, const void *key, size_t size, size_t len)
{
	size_t i, n = len / 8;
	const u64 *w = p;

	for (i = 0; i < n; i++)
		if (w[i] != pattern_word(key, size, i))
			return false;
	/* A prefix (what realloc kept) ends inside a word: not checked. */
	if (len < size)
		return true;
	return !memchr_inv(w + n, (u8)pattern_word(key, size, n), len % 8);
}

/* Mostly small, log-uniform: 15/16 in 8 B .. 4 KiB, the rest up to 1 MiB. */
static u32 stress_size(struct rnd_state *rnd)
{
	u32 r = prandom_u32_state(rnd);
	unsigned int order = 3 + (r & 15 ? (r >> 4) % 9 : (r >> 4) % 17);

	return BIT(order) + prandom_u32_state(rnd) % BIT(order);
}

/* ------------------------------------------------------------------ */
/* goalloc_stress: threads, hard IRQ, spinlocks, CPU hotplug */

/* @cache: 0 for goalloc_alloc(), else 1 + the index of a stress cache. */
struct stress_obj {
	void *p;
	u32 size;
	int cpu;
	int cache;
};

/*
 * The caches: @ctor's objects start with CTOR_MAGIC, which stays (the
 * pattern covers the rest); an object freed with goalloc_free_rcu() has
 * its rcu_head past that word.
 */
#define STRESS_CACHES		4
#define STRESS_BULK		16
#define CTOR_MAGIC		0x600dc7012ab1e5ULL

struct stress_cache_def {
	const char *name;
	unsigned int size;
	slab_flags_t flags;
	bool ctor;
};

static const struct stress_cache_def stress_cache_defs[STRESS_CACHES] = {
	{ "stress_plain", 200, 0, false },
	{ "stress_ctor", 96, SLAB_HWCACHE_ALIGN, true },
	{ "stress_rcu", 520, SLAB_TYPESAFE_BY_RCU, true },
	{ "stress_pages", 40000, 0, false },
};

static struct goalloc_cache *stress_caches[STRESS_CACHES];
static atomic_long_t stress_ctor_calls;

static void stress_ctor(void *p)
{
	*(u64 *)p = CTOR_MAGIC;
	atomic_long_inc(&stress_ctor_calls);
}

/* Where an object's pattern starts: past the constructor's word. */
static unsigned int stress_head(const struct stress_obj *o)
{
	return o->cache && stress_cache_defs[o->cache - 1].ctor ? 8 : 0;
}

struct stress_rcu_obj {
	u64 magic;
	struct rcu_head rcu;
};

struct stress_slot {
	spinlock_t lock;	/* protects obj */
	struct stress_obj obj;
};

struct stress_counts {
	unsigned long ops;
	unsigned long verified;
	unsigned long remote;
	unsigned long atomic;
	unsigned long irq;
	unsigned long nulls;
	unsigned long corrupt;
	unsigned long cached;
	unsigned long bulk;
	unsigned long rcu;
};

struct stress_baseline {
	unsigned long inuse[GOALLOC_NUM_CLASSES];
	unsigned long large;
	unsigned long alloc_fail;
	unsigned long chunk_allocs;
	unsigned long chunk_failures;
	unsigned long leaked;
	unsigned long scavenge_drains;
};

struct stress_run;

/*
 * One thread and its hrtimer. @c belongs to the thread, @irq_c and the
 * ring to the timer callback, which never runs concurrently with itself.
 */
struct stress_worker {
	struct stress_run *run;
	struct task_struct *task;
	struct rnd_state rnd;
	struct stress_counts c;
	struct hrtimer timer;
	struct rnd_state irq_rnd;
	struct stress_counts irq_c;
	unsigned int irq_next;
	struct stress_obj ring[STRESS_IRQ_RING];
};

struct stress_run {
	struct stress_slot *slots;
	struct stress_worker *workers;
	unsigned int nworkers;
	bool stop_irq;
	unsigned long hp_cycles;
	unsigned long hp_refused;
	unsigned long hp_dirty;
	unsigned long drains;
	struct stress_baseline before, after;
};

static void stress_mark_fail(void)
{
#ifdef CONFIG_FAULT_INJECTION
	if (stress_fail_tasks)
		current->make_it_fail = 1;
#endif
}

/* Does @o hold its pattern, and its constructor's word if it has one? */
static bool stress_intact(const struct stress_obj *o)
{
	unsigned int head = stress_head(o);

	return (!head || *(u64 *)o->p == CTOR_MAGIC) &&
	       pattern_ok(o->p + head, o->p + head, o->size - head,
			  o->size - head);
}

/*
 * Check an object's pattern and free it: to its cache, or with
 * goalloc_free() (a cache's objects up to 32 KiB too), and one in eight
 * after a grace period.
 */
static void stress_release(struct stress_counts *c, struct stress_obj *o)
{
	struct goalloc_cache *cache;
	u32 r;

	if (!o->p)
		return;
	if (stress_intact(o))
		c->verified++;
	else if (c->corrupt++ < 5)
		pr_err("object %p of %u bytes (cache %d) corrupted\n", o->p,
		       o->size, o->cache);
	if (o->cpu != raw_smp_processor_id())
		c->remote++;
	cache = o->cache ? stress_caches[o->cache - 1] : NULL;
	r = get_random_u32();
	if ((r & 7) == 0 && o->size >= sizeof(struct stress_rcu_obj) &&
	    o->size <= GOALLOC_MAX_SMALL_SIZE) {
		goalloc_free_rcu((struct stress_rcu_obj *)o->p, rcu);
		c->rcu++;
	} else if (cache && (r & 8 || o->size > GOALLOC_MAX_SMALL_SIZE)) {
		goalloc_cache_free(cache, o->p);
	} else {
		goalloc_free(o->p);
	}
	o->p = NULL;
}

static void stress_new(struct stress_counts *c, struct stress_obj *o,
		       gfp_t gfp)
{
	if (o->cache)
		o->p = goalloc_cache_alloc(stress_caches[o->cache - 1], gfp);
	else
		o->p = goalloc_alloc(o->size, gfp);
	o->cpu = raw_smp_processor_id();
	if (!o->p) {
		c->nulls++;
		return;
	}
	c->cached += !!o->cache;
	/* A constructed object comes back constructed. */
	if (stress_head(o) && *(u64 *)o->p != CTOR_MAGIC && c->corrupt++ < 5)
		pr_err("object %p of cache %d not constructed\n", o->p,
		       o->cache);
	pattern_fill(o->p + stress_head(o), o->size - stress_head(o));
}

/* Pick what the next object is: a size, or one of the caches. */
static void stress_pick(struct rnd_state *rnd, struct stress_obj *o)
{
	u32 r = prandom_u32_state(rnd);

	o->cache = r & 3 ? 0 : 1 + (r >> 2) % STRESS_CACHES;
	o->size = o->cache ? stress_cache_defs[o->cache - 1].size :
		  stress_size(rnd);
}

/*
 * A bulk round trip through a cache: all or nothing, each object
 * patterned and checked, then freed in bulk.
 */
static void stress_bulk(struct stress_counts *c, struct rnd_state *rnd)
{
	unsigned int i, k = prandom_u32_state(rnd) % 3;
	struct stress_obj o = { .cache = 1 + k, .size = stress_cache_defs[k].size };
	void *v[STRESS_BULK];

	if (!goalloc_cache_alloc_bulk(stress_caches[k], STRESS_GFP,
				      STRESS_BULK, v)) {
		c->nulls++;
		return;
	}
	for (i = 0; i < STRESS_BULK; i++) {
		o.p = v[i];
		if (stress_head(&o) && *(u64 *)o.p != CTOR_MAGIC)
			c->corrupt++;
		pattern_fill(o.p + stress_head(&o), o.size - stress_head(&o));
	}
	for (i = 0; i < STRESS_BULK; i++) {
		o.p = v[i];
		if (!stress_intact(&o))
			c->corrupt++;
	}
	goalloc_cache_free_bulk(stress_caches[k], STRESS_BULK, v);
	c->bulk += STRESS_BULK;
}

static enum hrtimer_restart stress_irq(struct hrtimer *t)
{
	struct stress_worker *w = container_of(t, struct stress_worker, timer);
	struct stress_obj *o = &w->ring[w->irq_next++ % STRESS_IRQ_RING];

	stress_release(&w->irq_c, o);
	if (READ_ONCE(w->run->stop_irq))
		return HRTIMER_NORESTART;
	stress_pick(&w->irq_rnd, o);
	if (!o->cache)
		o->size = 8 + prandom_u32_state(&w->irq_rnd) % 2048;
	stress_new(&w->irq_c, o, STRESS_ATOMIC_GFP);
	w->irq_c.irq += !!o->p;
	hrtimer_forward_now(t, ns_to_ktime(STRESS_IRQ_NS));
	return HRTIMER_RESTART;
}

/*
 * One operation: pick a slot, put a new object in it and free the one it
 * held, which another thread (often on another CPU) may have allocated.
 * One in eight allocates under the slot's spinlock with GFP_ATOMIC; one
 * in four frees its object at once instead.
 */
static void stress_step(struct stress_worker *w)
{
	u32 r = prandom_u32_state(&w->rnd);
	struct stress_slot *s;
	struct stress_obj o, old;
	bool atomic = (r & 7) == 0;

	if ((r & 0x3e0) == 0x3e0) {
		stress_bulk(&w->c, &w->rnd);
		return;
	}
	stress_pick(&w->rnd, &o);
	if (!atomic)
		stress_new(&w->c, &o, STRESS_GFP);
	if ((r & 0x18) == 0x18) {
		if (atomic)
			stress_new(&w->c, &o, STRESS_ATOMIC_GFP);
		stress_release(&w->c, &o);
		return;
	}
	r >>= 5;
	s = &w->run->slots[r & 1 ? (r >> 1) % STRESS_HOT_SLOTS :
			   (r >> 1) % STRESS_SLOTS];
	spin_lock(&s->lock);
	if (atomic) {
		stress_new(&w->c, &o, STRESS_ATOMIC_GFP);
		w->c.atomic += !!o.p;
	}
	old = s->obj;
	s->obj = o;
	spin_unlock(&s->lock);
	stress_release(&w->c, &old);
}

static int stress_thread(void *arg)
{
	struct stress_worker *w = arg;

	stress_mark_fail();
	hrtimer_start(&w->timer, ns_to_ktime(STRESS_IRQ_NS),
		      HRTIMER_MODE_REL_HARD);
	while (!kthread_should_stop()) {
		stress_step(w);
		if (!(++w->c.ops & 31))
			cond_resched();
	}
	return 0;
}

/*
 * Every stress_drain_ms, flush every CPU cache and give idle chunks back,
 * as the scavenger does under pressure: caches are drained under the
 * threads' feet, and the heap must ask the buddy allocator (and
 * fail_page_alloc) for pages again and again.
 */
static int stress_drain_thread(void *arg)
{
	struct stress_run *run = arg;

	while (!kthread_should_stop()) {
		goalloc_drain(true);
		run->drains++;
		msleep_interruptible(stress_drain_ms);
	}
	return 0;
}

/* Take CPUs other than 0 offline and online in turn until stopped. */
static int stress_hotplug_thread(void *arg)
{
	struct stress_run *run = arg;
	unsigned int cpu = 0, cls;

	while (!kthread_should_stop()) {
		cpu = cpumask_next(cpu, cpu_present_mask);
		if (cpu >= nr_cpu_ids) {
			cpu = 0;
			continue;
		}
		if (!cpu_online(cpu) && add_cpu(cpu)) {
			msleep(20);
			continue;
		}
		if (remove_cpu(cpu)) {
			run->hp_refused++;
			msleep(20);
			continue;
		}
		/* Dead: nobody touches its cache until it comes back. */
		for (cls = 1; cls < NR_CLASSES; cls++)
			if (cpu_mag_count(cpu, MAG_TASK, cls) ||
			    cpu_mag_count(cpu, MAG_IRQ, cls) ||
			    mcache_of(cpu)->cls[cls].span)
				run->hp_dirty++;
		usleep_range(5000, 10000);
		if (!add_cpu(cpu))
			run->hp_cycles++;
	}
	return 0;
}

/* Can a CPU other than 0 go offline? 0, or why not (skip the case). */
static int stress_hotplug_probe(void)
{
	unsigned int cpu = cpumask_next(0, cpu_online_mask);
	int err;

	if (num_online_cpus() < 2 || cpu >= nr_cpu_ids)
		return -ENODEV;
	err = remove_cpu(cpu);
	if (err)
		return err;
	return add_cpu(cpu);
}

static int stress_start(struct stress_run *run, bool bound)
{
	unsigned int cpu, i = 0;

	for_each_online_cpu(cpu) {
		struct stress_worker *w = &run->workers[i];
		struct task_struct *t;

		w->run = run;
		prandom_seed_state(&w->rnd, get_random_u64());
		prandom_seed_state(&w->irq_rnd, get_random_u64());
		hrtimer_init(&w->timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL_HARD);
		w->timer.function = stress_irq;
		if (bound)
			t = kthread_create_on_cpu(stress_thread, w, cpu,
						  "goalloc_stress/%u");
		else
			t = kthread_create(stress_thread, w,
					   "goalloc_stress%u", i);
		if (IS_ERR(t))
			return PTR_ERR(t);
		w->task = t;
		run->nworkers = ++i;
		wake_up_process(t);
	}
	return 0;
}

/* Stop the threads and timers, free every object, sum the counts. */
static void stress_stop(struct stress_run *run, struct stress_counts *sum)
{
	struct stress_counts *parts[2];
	unsigned int i, j, k;

	for (i = 0; i < run->nworkers; i++)
		kthread_stop(run->workers[i].task);
	WRITE_ONCE(run->stop_irq, true);
	for (i = 0; i < run->nworkers; i++) {
		struct stress_worker *w = &run->workers[i];

		hrtimer_cancel(&w->timer);
		for (j = 0; j < STRESS_IRQ_RING; j++)
			stress_release(&w->irq_c, &w->ring[j]);
	}
	for (i = 0; i < STRESS_SLOTS; i++)
		stress_release(&run->workers[0].c, &run->slots[i].obj);
	/* Deferred frees are done before the caches go. */
	goalloc_rcu_barrier();
	for (i = 0; i < STRESS_CACHES; i++) {
		goalloc_cache_destroy(stress_caches[i]);
		stress_caches[i] = NULL;
	}

	memset(sum, 0, sizeof(*sum));
	for (i = 0; i < run->nworkers; i++) {
		parts[0] = &run->workers[i].c;
		parts[1] = &run->workers[i].irq_c;
		for (k = 0; k < ARRAY_SIZE(parts); k++) {
			sum->ops += parts[k]->ops;
			sum->verified += parts[k]->verified;
			sum->remote += parts[k]->remote;
			sum->atomic += parts[k]->atomic;
			sum->irq += parts[k]->irq;
			sum->nulls += parts[k]->nulls;
			sum->corrupt += parts[k]->corrupt;
			sum->cached += parts[k]->cached;
			sum->bulk += parts[k]->bulk;
			sum->rcu += parts[k]->rcu;
		}
	}
}

static void stress_baseline_read(struct stress_baseline *b)
{
	struct large_stats ls;
	struct heap_stats st;
	unsigned int cls;

	for (cls = 1; cls < GOALLOC_NUM_CLASSES; cls++)
		b->inuse[cls] = class_inuse(cls);
	heap_stats_read(&st);
	pcache_large_stats(&ls);
	b->large = ls.objects;
	b->chunk_allocs = st.chunk_allocs;
	b->chunk_failures = st.chunk_failures;
	b->alloc_fail = events(EV_ALLOC_FAIL);
	b->leaked = events(EV_CACHE_LEAKED);
	b->scavenge_drains = events(EV_SCAVENGE_DRAIN);
}

/* Every object went back: what the case started with is in use again. */
static void expect_back_to_baseline(struct kunit *test,
				    const struct stress_baseline *b,
				    struct stress_baseline *now)
{
	unsigned int cls;

	goalloc_drain(false);
	stress_baseline_read(now);
	for (cls = 1; cls < GOALLOC_NUM_CLASSES; cls++)
		KUNIT_EXPECT_EQ_MSG(test, now->inuse[cls], b->inuse[cls],
				    "class %u (%u bytes)", cls,
				    class_info[cls].size);
	KUNIT_EXPECT_EQ(test, now->large, b->large);
	KUNIT_EXPECT_EQ_MSG(test, now->leaked, b->leaked,
			    "a stress cache was destroyed with objects in use");
}

static int stress_caches_create(void)
{
	const struct stress_cache_def *d;
	unsigned int i;

	for (i = 0; i < STRESS_CACHES; i++) {
		d = &stress_cache_defs[i];
		stress_caches[i] = goalloc_cache_create(d->name, d->size, 0,
							d->flags,
							d->ctor ? stress_ctor : NULL);
		if (!stress_caches[i])
			return -ENOMEM;
	}
	return 0;
}

/* Parameters of the stress cases: the round, as an index into this. */
static const unsigned int stress_round_ids[STRESS_MAX_ROUNDS];

static unsigned int stress_rounds(void)
{
	return clamp(DIV_ROUND_UP(stress_secs, STRESS_ROUND_SECS), 1U,
		     (unsigned int)STRESS_MAX_ROUNDS);
}

static const void *stress_round_gen(const void *prev, char *desc)
{
	unsigned int i = prev ? (const unsigned int *)prev - stress_round_ids + 1 : 0;

	if (i >= stress_rounds())
		return NULL;
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "round %u of %u", i + 1,
		 stress_rounds());
	return &stress_round_ids[i];
}

static unsigned int stress_round_secs(struct kunit *test)
{
	unsigned int i = (const unsigned int *)test->param_value -
			 stress_round_ids;

	return min_t(unsigned int, stress_secs - i * STRESS_ROUND_SECS,
		     STRESS_ROUND_SECS) ?: 1;
}

static void stress_case(struct kunit *test, bool hotplug)
{
	struct task_struct *hp = NULL, *drainer = NULL;
	struct stress_counts sum;
	struct stress_run *run;
	unsigned int i, secs = stress_round_secs(test);
	int err, bad;

	if (hotplug) {
		err = stress_hotplug_probe();
		if (err)
			kunit_skip(test, "no CPU can go offline and back: %d",
				   err);
	}
	run = kunit_kzalloc(test, sizeof(*run), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, run);
	run->slots = kunit_kcalloc(test, STRESS_SLOTS, sizeof(*run->slots),
				   GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, run->slots);
	run->workers = kunit_kcalloc(test, nr_cpu_ids,
				     sizeof(*run->workers), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, run->workers);
	for (i = 0; i < STRESS_SLOTS; i++)
		spin_lock_init(&run->slots[i].lock);
	stress_baseline_read(&run->before);

	err = stress_caches_create();
	if (!err)
		err = stress_start(run, !hotplug);
	if (!err && hotplug) {
		hp = kthread_run(stress_hotplug_thread, run, "goalloc_hotplug");
		if (IS_ERR(hp)) {
			err = PTR_ERR(hp);
			hp = NULL;
		}
	}
	if (!err && stress_drain_ms) {
		drainer = kthread_run(stress_drain_thread, run, "goalloc_drain");
		if (IS_ERR(drainer)) {
			err = PTR_ERR(drainer);
			drainer = NULL;
		}
	}
	if (!err)
		msleep(secs * MSEC_PER_SEC);
	if (drainer)
		kthread_stop(drainer);
	if (hp)
		kthread_stop(hp);
	stress_stop(run, &sum);
	for_each_present_cpu(i)
		if (hotplug && !cpu_online(i))
			KUNIT_EXPECT_EQ_MSG(test, add_cpu(i), 0, "CPU %u", i);
	KUNIT_ASSERT_EQ_MSG(test, err, 0, "could not start the threads");

	expect_back_to_baseline(test, &run->before, &run->after);
	bad = goalloc_verify(NULL);
	pr_info("case=%s secs=%u threads=%u ops=%lu verified=%lu remote_frees=%lu irq_allocs=%lu atomic_allocs=%lu cache_allocs=%lu bulk_objects=%lu rcu_frees=%lu null_allocs=%lu alloc_failed=%lu chunk_allocs=%lu chunk_failures=%lu drains=%lu scavenger_drains=%lu hotplug_cycles=%lu hotplug_refused=%lu corruptions=%lu verify_violations=%d\n",
		hotplug ? "hotplug" : "stress", secs, run->nworkers, sum.ops,
		sum.verified, sum.remote, sum.irq, sum.atomic, sum.cached,
		sum.bulk, sum.rcu, sum.nulls,
		run->after.alloc_fail - run->before.alloc_fail,
		run->after.chunk_allocs - run->before.chunk_allocs,
		run->after.chunk_failures - run->before.chunk_failures,
		run->drains,
		run->after.scavenge_drains - run->before.scavenge_drains,
		run->hp_cycles, run->hp_refused, sum.corrupt, bad);
	KUNIT_EXPECT_EQ(test, sum.corrupt, 0UL);
	KUNIT_EXPECT_EQ(test, bad, 0);
	KUNIT_EXPECT_GT(test, sum.verified, 0UL);
	KUNIT_EXPECT_GT(test, sum.cached, 0UL);
	if (hotplug) {
		KUNIT_EXPECT_GT(test, run->hp_cycles, 0UL);
		KUNIT_EXPECT_EQ_MSG(test, run->hp_dirty, 0UL,
				    "a dead CPU's cache still held objects");
	}
}

static void threads_on_every_cpu_keep_every_object_intact(struct kunit *test)
{
	stress_case(test, false);
}

static void cpus_going_offline_under_load_lose_nothing(struct kunit *test)
{
	stress_case(test, true);
}

static struct kunit_case stress_cases[] = {
	KUNIT_CASE_PARAM(threads_on_every_cpu_keep_every_object_intact,
			 stress_round_gen),
	KUNIT_CASE_PARAM(cpus_going_offline_under_load_lose_nothing,
			 stress_round_gen),
	{}
};

static struct kunit_suite stress_suite = {
	.name = "goalloc_stress",
	.test_cases = stress_cases,
};

/* ------------------------------------------------------------------ */
/* goalloc_misuse: valid and invalid calls in random order */

#define MISUSE_LIVE	64
#define MISUSE_FREED	64
#define MISUSE_CALLS	600

enum misuse_kind {
	MISUSE_FOREIGN,
	MISUSE_INTERIOR,
	MISUSE_DOUBLE_FREE,
	MISUSE_USE_AFTER_FREE,
	MISUSE_TOO_BIG,
	NR_MISUSE
};

static const enum goalloc_event misuse_event[NR_MISUSE] = {
	[MISUSE_FOREIGN]	= EV_REFUSED_FOREIGN,
	[MISUSE_INTERIOR]	= EV_REFUSED_INTERIOR,
	[MISUSE_DOUBLE_FREE]	= EV_REFUSED_DOUBLE_FREE,
	[MISUSE_USE_AFTER_FREE]	= EV_REFUSED_USE_AFTER_FREE,
	[MISUSE_TOO_BIG]	= EV_REFUSED_TOO_BIG,
};

static const char *const misuse_name[NR_MISUSE] = {
	[MISUSE_FOREIGN]	= "foreign",
	[MISUSE_INTERIOR]	= "interior",
	[MISUSE_DOUBLE_FREE]	= "double_free",
	[MISUSE_USE_AFTER_FREE]	= "use_after_free",
	[MISUSE_TOO_BIG]	= "too_big",
};

/* A module's data: a pointer goalloc never owns. */
static u64 misuse_module_data[4];

struct misuse {
	struct kunit *test;
	struct rnd_state rnd;
	struct stress_obj live[MISUSE_LIVE];
	void *freed[MISUSE_FREED];	/* freed, not touched since */
	unsigned int nfreed;
	void *kmalloc_buf;
	unsigned int calls;
	unsigned int invalid[NR_MISUSE];
	unsigned int refused[NR_MISUSE];
	unsigned long corrupt;
	struct stress_baseline before, after;
};

static unsigned long refused_total(void)
{
	unsigned long sum[NR_GOALLOC_EVENTS], n = 0;
	unsigned int k;

	goalloc_counters_sum(sum);
	for (k = 0; k < NR_MISUSE; k++)
		n += sum[misuse_event[k]];
	return n;
}

/*
 * What goalloc reports for @p, an object freed earlier, called as misuse
 * @k. Its pages may serve another span since, where @p may fall inside an
 * object (interior), or be an object in use or, without debug=1, in a CPU
 * cache: then the call would be valid and is not made (NR_MISUSE). A large
 * object's pages go back to the heap, or wait unmapped in a CPU's page
 * cache: foreign, unless they now lie past the first page of a span of one
 * object (interior).
 */
static enum misuse_kind misuse_freed_kind(const void *p, enum misuse_kind k)
{
	struct span *s = span_of(p);
	unsigned int idx;

	if (!s)
		return span_around(p) ? MISUSE_INTERIOR : MISUSE_FOREIGN;
	switch (object_check(s, s->cls, p, &idx)) {
	case REPORT_INTERIOR:
		return MISUSE_INTERIOR;
	case REPORT_NONE:
		if (goalloc_debug && s->cls && test_bit(idx, s->cachedbits))
			return k;
		return NR_MISUSE;
	default:
		return k;
	}
}

static void misuse_refused(struct misuse *mu, enum misuse_kind k,
			   unsigned long before, unsigned long all)
{
	KUNIT_EXPECT_EQ_MSG(mu->test, goalloc_expect_reports(0), 0,
			    "%s call not reported", misuse_name[k]);
	mu->invalid[k]++;
	mu->refused[k] += events(misuse_event[k]) - before;
	KUNIT_EXPECT_EQ_MSG(mu->test, refused_total() - all, 1UL,
			    "%s call", misuse_name[k]);
}

/* Make one invalid call, announced, and check it is refused as @kind. */
#define MISUSE_CALL(mu, kind, call) do {				\
	struct misuse *__mu = (mu);					\
	enum misuse_kind __k = (kind);					\
	unsigned long __before = events(misuse_event[__k]);		\
	unsigned long __all = refused_total();				\
									\
	goalloc_expect_reports(1);					\
	call;								\
	misuse_refused(__mu, __k, __before, __all);			\
} while (0)

static void misuse_check_live(struct misuse *mu)
{
	unsigned int i;

	for (i = 0; i < MISUSE_LIVE; i++) {
		struct stress_obj *o = &mu->live[i];

		if (o->p && !pattern_ok(o->p, o->p, o->size, o->size))
			mu->corrupt++;
	}
}

/* Valid: replace a live object, or resize it with realloc. */
static void misuse_valid(struct misuse *mu, struct stress_obj *o, u32 r)
{
	u32 size = stress_size(&mu->rnd);
	void *q;

	if (o->p && (r & 1)) {
		q = goalloc_realloc(o->p, size, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(mu->test, q);
		if (!pattern_ok(q, o->p, o->size, min(o->size, size)))
			mu->corrupt++;
		o->p = q;
		o->size = size;
		pattern_fill(q, size);
		return;
	}
	if (o->p && !pattern_ok(o->p, o->p, o->size, o->size))
		mu->corrupt++;
	goalloc_free(o->p);
	o->size = size;
	o->p = goalloc_alloc(size, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(mu->test, o->p);
	pattern_fill(o->p, size);
}

/* Valid free of a live object, remembered for a double free later. */
static void misuse_free_live(struct misuse *mu, struct stress_obj *o)
{
	enum misuse_kind k;
	void *p = o->p;
	bool again;

	if (!p || mu->nfreed == MISUSE_FREED)
		return;
	if (!pattern_ok(p, p, o->size, o->size))
		mu->corrupt++;
	goalloc_free(p);
	o->p = NULL;
	mu->freed[mu->nfreed++] = p;
	/* With debug=1 a free object in a CPU cache is caught too. */
	if (!goalloc_debug)
		return;
	again = prandom_u32_state(&mu->rnd) & 1;
	k = misuse_freed_kind(p, again ? MISUSE_DOUBLE_FREE :
					 MISUSE_USE_AFTER_FREE);
	if (k == NR_MISUSE)
		return;
	if (again)
		MISUSE_CALL(mu, k, goalloc_free(p));
	else
		MISUSE_CALL(mu, k,
			    KUNIT_EXPECT_NULL(mu->test,
					      goalloc_realloc(p, 100, GFP_KERNEL)));
}

static bool misuse_is_live(struct misuse *mu, const void *p, unsigned int upto)
{
	unsigned int i;

	for (i = 0; i < MISUSE_LIVE; i++)
		if (mu->live[i].p == p)
			return true;
	for (i = 0; i < upto; i++)
		if (mu->freed[i] == p)
			return true;
	return false;
}

/*
 * Once CPU caches are drained, freed objects are free in their spans:
 * free them again or realloc them. An object handed out again since is
 * live (or listed twice) and is left alone.
 */
static void misuse_double_frees(struct misuse *mu)
{
	enum misuse_kind k;
	unsigned int i;
	bool again;

	goalloc_drain(false);
	for (i = 0; i < mu->nfreed; i++) {
		void *p = mu->freed[i];

		if (misuse_is_live(mu, p, i))
			continue;
		again = prandom_u32_state(&mu->rnd) & 1;
		k = misuse_freed_kind(p, again ? MISUSE_DOUBLE_FREE :
						   MISUSE_USE_AFTER_FREE);
		if (k == NR_MISUSE)
			continue;
		if (again)
			MISUSE_CALL(mu, k, goalloc_free(p));
		else
			MISUSE_CALL(mu, k,
				    KUNIT_EXPECT_NULL(mu->test,
						      goalloc_realloc(p, 64, GFP_KERNEL)));
	}
	mu->nfreed = 0;
}

static void misuse_foreign(struct misuse *mu, u32 r)
{
	u64 on_stack[2] = { 0 };
	void *p;

	switch (r % 3) {
	case 0:
		p = &on_stack[1];
		break;
	case 1:
		p = mu->kmalloc_buf;
		break;
	default:
		p = &misuse_module_data[r % ARRAY_SIZE(misuse_module_data)];
		break;
	}
	if (r & 4)
		MISUSE_CALL(mu, MISUSE_FOREIGN, goalloc_free(p));
	else
		MISUSE_CALL(mu, MISUSE_FOREIGN,
			    KUNIT_EXPECT_EQ(mu->test, goalloc_usable_size(p), 0));
}

static void misuse_interior(struct misuse *mu, struct stress_obj *o, u32 r)
{
	void *p;

	if (!o->p)
		return;
	p = o->p + 1 + r % (o->size - 1);
	if (r & 1)
		MISUSE_CALL(mu, MISUSE_INTERIOR, goalloc_free(p));
	else
		MISUSE_CALL(mu, MISUSE_INTERIOR,
			    KUNIT_EXPECT_NULL(mu->test,
					      goalloc_realloc(p, 8, GFP_KERNEL)));
}

static void misuse_too_big(struct misuse *mu, struct stress_obj *o, u32 r)
{
	size_t huge = GOALLOC_MAX_SIZE + 1 + (r >> 4) % SZ_1G;
	gfp_t gfp = r & 1 ? GFP_KERNEL : GFP_KERNEL | __GFP_NOWARN;

	switch ((r >> 1) % 3) {
	case 0:
		MISUSE_CALL(mu, MISUSE_TOO_BIG,
			    KUNIT_EXPECT_NULL(mu->test, goalloc_alloc(huge, gfp)));
		break;
	case 1:
		MISUSE_CALL(mu, MISUSE_TOO_BIG,
			    KUNIT_EXPECT_NULL(mu->test,
					      goalloc_calloc(SIZE_MAX / 4, 8, gfp)));
		break;
	default:
		/* A failed realloc leaves the object as it was. */
		if (o->p)
			MISUSE_CALL(mu, MISUSE_TOO_BIG,
				    KUNIT_EXPECT_NULL(mu->test,
						      goalloc_realloc(o->p, huge, gfp)));
		break;
	}
}

/* ZERO_SIZE_PTR and NULL are valid to free and are not reports. */
static void misuse_zero(struct misuse *mu)
{
	unsigned long before = refused_total();

	goalloc_free(ZERO_SIZE_PTR);
	goalloc_free(NULL);
	KUNIT_EXPECT_PTR_EQ(mu->test, goalloc_realloc(ZERO_SIZE_PTR, 0, GFP_KERNEL),
			    ZERO_SIZE_PTR);
	KUNIT_EXPECT_EQ(mu->test, goalloc_usable_size(ZERO_SIZE_PTR), 0);
	KUNIT_EXPECT_EQ(mu->test, refused_total(), before);
}

static void misuse_step(struct misuse *mu)
{
	u32 r = prandom_u32_state(&mu->rnd);
	struct stress_obj *o = &mu->live[(r >> 4) % MISUSE_LIVE];

	r >>= 10;
	switch (r % 16) {
	case 0 ... 5:
		misuse_valid(mu, o, r >> 4);
		break;
	case 6 ... 7:
		misuse_free_live(mu, o);
		break;
	case 8:
		misuse_double_frees(mu);
		break;
	case 9 ... 10:
		misuse_foreign(mu, r >> 4);
		break;
	case 11 ... 12:
		misuse_interior(mu, o, r >> 4);
		break;
	case 13 ... 14:
		misuse_too_big(mu, o, r >> 4);
		break;
	default:
		misuse_zero(mu);
		break;
	}
	mu->calls++;
}

static void random_misuse_is_refused_and_counted(struct kunit *test)
{
	unsigned int i, invalid = 0, refused = 0;
	struct misuse *mu;
	int bad;

	mu = kunit_kzalloc(test, sizeof(*mu), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, mu);
	mu->test = test;
	mu->kmalloc_buf = kunit_kmalloc(test, 256, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, mu->kmalloc_buf);
	prandom_seed_state(&mu->rnd, get_random_u64());
	stress_baseline_read(&mu->before);
	/*
	 * A background drain could release a freed object's span between
	 * the prediction of its report and the call; keep the scavenger off.
	 */
	goalloc_scavenge_hold(true);

	for (i = 0; i < MISUSE_CALLS; i++) {
		misuse_step(mu);
		if (!(i % 50))
			misuse_check_live(mu);
	}
	misuse_double_frees(mu);
	misuse_check_live(mu);
	for (i = 0; i < MISUSE_LIVE; i++)
		goalloc_free(mu->live[i].p);
	goalloc_scavenge_hold(false);

	expect_back_to_baseline(test, &mu->before, &mu->after);
	bad = goalloc_verify(NULL);
	for (i = 0; i < NR_MISUSE; i++) {
		KUNIT_EXPECT_EQ_MSG(test, mu->refused[i], mu->invalid[i],
				    "%s calls", misuse_name[i]);
		invalid += mu->invalid[i];
		refused += mu->refused[i];
	}
	pr_info("case=misuse calls=%u invalid=%u refused=%u foreign=%u interior=%u double_free=%u use_after_free=%u too_big=%u corruptions=%lu verify_violations=%d\n",
		mu->calls, invalid, refused, mu->refused[MISUSE_FOREIGN],
		mu->refused[MISUSE_INTERIOR], mu->refused[MISUSE_DOUBLE_FREE],
		mu->refused[MISUSE_USE_AFTER_FREE], mu->refused[MISUSE_TOO_BIG],
		mu->corrupt, bad);
	KUNIT_EXPECT_GT(test, invalid, 0U);
	KUNIT_EXPECT_EQ(test, mu->corrupt, 0UL);
	KUNIT_EXPECT_EQ(test, bad, 0);
}

static struct kunit_case misuse_cases[] = {
	KUNIT_CASE(random_misuse_is_refused_and_counted),
	{}
};

static struct kunit_suite misuse_suite = {
	.name = "goalloc_misuse",
	.test_cases = misuse_cases,
};

/*
 * KUnit runs the suites of kunit_test_suites() when the module is coming,
 * before its parameters are parsed (6.1's kunit_module_notify), so that
 * stress_secs would always read its default: the suites run from init.
 */
static struct kunit_suite *stress_suites[] = { &stress_suite, &misuse_suite };

static int __init stress_init(void)
{
	return __kunit_test_suites_init(stress_suites, ARRAY_SIZE(stress_suites));
}
module_init(stress_init);

static void __exit stress_exit(void)
{
	__kunit_test_suites_exit(stress_suites, ARRAY_SIZE(stress_suites));
}
module_exit(stress_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("goalloc stress tests: threads, hard IRQ, CPU hotplug, misuse");
