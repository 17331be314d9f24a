// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for goalloc: two frees of one object racing. A free is held
 * between looking its object up and claiming it (goalloc_test_hooks, a
 * test-only hook on the hooked free path) while the other free goes
 * through, the object's span empties or its run goes, and the same size
 * is allocated again and filled with a pattern. The held free must then
 * be refused as a double free, every time: the window is not left to
 * luck. Needs two online CPUs; a third, if there is one, allocates and
 * frees the same size all along and checks its patterns. And allocations
 * and frees from an NMI, which goalloc refuses.
 */

#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/sched.h>
#ifdef CONFIG_X86_LOCAL_APIC
#include <asm/apic.h>
#include <asm/nmi.h>
#endif

#include "goalloc_test.h"

MODULE_IMPORT_NS(GOALLOC_TEST_NS);

#define RACE_OBJS	64	/* objects the winner's CPU allocates again */
#define RACE_WAIT	(5 * HZ)

enum { RACE_IDLE, RACE_HELD, RACE_GO };

/**
 * struct race - one race between two frees of @obj
 * @obj:	the object
 * @cache:	its cache, or NULL for goalloc_free()
 * @loser:	the task whose free is held
 * @state:	RACE_*: the loser's free is held in the hook until RACE_GO
 * @held:	the hook held the loser's free
 * @left:	reports the loser expected and did not see
 * @refused:	refused_double_free events during the loser's free
 * @done:	the loser's free returned
 * @churn_stop:	tells the churn thread to stop
 * @churn_bad:	objects the churn thread found corrupted
 * @churn_done:	the churn thread stopped
 * @size:	size of the churn thread's objects
 */
struct race {
	void *obj;
	struct goalloc_cache *cache;
	struct task_struct *loser;
	atomic_t state;
	bool held;
	int left;
	unsigned long refused;
	struct completion done;
	bool churn_stop;
	atomic_t churn_bad;
	struct completion churn_done;
	size_t size;
};

static struct race *race;

/*
 * goalloc_test_hooks.free_delay: with preemption off, the loser waits here for the
 * other free to go through (bounded: the test fails, nothing hangs).
 */
static void race_delay(const void *p)
{
	unsigned long end = jiffies + RACE_WAIT;

	if (current != race->loser || p != race->obj)
		return;
	race->held = true;
	atomic_set(&race->state, RACE_HELD);
	while (atomic_read(&race->state) != RACE_GO && time_before(jiffies, end))
		cpu_relax();
}

static int loser_thread(void *arg)
{
	struct race *r = arg;
	unsigned long before = events(EV_REFUSED_DOUBLE_FREE);

	goalloc_expect_reports(1);
	if (r->cache)
		goalloc_cache_free(r->cache, r->obj);
	else
		goalloc_free(r->obj);
	r->left = goalloc_expect_reports(0);
	r->refused = events(EV_REFUSED_DOUBLE_FREE) - before;
	complete(&r->done);
	return 0;
}

static void pattern_fill(void *p, size_t size, u8 seed)
{
	memset(p, seed, size);
}

static bool pattern_ok(const void *p, size_t size, u8 seed)
{
	return !memchr_inv(p, seed, size);
}

/*
 * A third CPU: the same size allocated, filled, checked and freed, from
 * the size classes: a cache's span that goes back to the heap may come
 * back as theirs.
 */
static int churn_thread(void *arg)
{
	struct race *r = arg;
	void *v[8] = {};
	unsigned int i = 0;
	u8 seed;

	while (!READ_ONCE(r->churn_stop)) {
		if (v[i]) {
			seed = (unsigned long)v[i] >> 4;
			if (!pattern_ok(v[i], r->size, seed))
				atomic_inc(&r->churn_bad);
			goalloc_free(v[i]);
		}
		v[i] = goalloc_alloc(r->size, GFP_KERNEL);
		if (v[i])
			pattern_fill(v[i], r->size, (unsigned long)v[i] >> 4);
		i = (i + 1) % ARRAY_SIZE(v);
		cond_resched();
	}
	for (i = 0; i < ARRAY_SIZE(v); i++) {
		if (!v[i])
			continue;
		if (!pattern_ok(v[i], r->size, (unsigned long)v[i] >> 4))
			atomic_inc(&r->churn_bad);
		goalloc_free(v[i]);
	}
	complete(&r->churn_done);
	return 0;
}

/*
 * Start the loser on another CPU than this one, and the churn thread on a
 * third if there is one; return once the loser's free is held.
 */
static bool race_start(struct kunit *test, struct race *r, int *churn_cpu)
{
	unsigned long end = jiffies + RACE_WAIT;
	struct task_struct *t;
	int me = smp_processor_id(), cpu, lcpu = -1;

	*churn_cpu = -1;
	for_each_online_cpu(cpu) {
		if (cpu == me)
			continue;
		if (lcpu < 0)
			lcpu = cpu;
		else if (*churn_cpu < 0)
			*churn_cpu = cpu;
	}
	if (lcpu < 0)
		return false;
	init_completion(&r->done);
	init_completion(&r->churn_done);
	/* Before any thread frees: code is patched while none runs it. */
	goalloc_test_hooks.free_delay = race_delay;
	static_branch_inc(&goalloc_hooks_key);
	if (*churn_cpu >= 0) {
		t = kthread_create_on_cpu(churn_thread, r, *churn_cpu,
					  "goalloc_churn/%u");
		KUNIT_ASSERT_FALSE(test, IS_ERR(t));
		wake_up_process(t);
	}
	t = kthread_create_on_cpu(loser_thread, r, lcpu, "goalloc_loser/%u");
	KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	r->loser = t;
	wake_up_process(t);
	while (atomic_read(&r->state) != RACE_HELD && time_before(jiffies, end))
		usleep_range(1000, 2000);
	return true;
}

/* Let the loser's free go on, and check what it and the churn did. */
static void race_finish(struct kunit *test, struct race *r, int churn_cpu)
{
	atomic_set(&r->state, RACE_GO);
	KUNIT_EXPECT_NE(test, wait_for_completion_timeout(&r->done, 2 * RACE_WAIT),
			0UL);
	WRITE_ONCE(r->churn_stop, true);
	if (churn_cpu >= 0)
		wait_for_completion(&r->churn_done);
	goalloc_test_hooks.free_delay = NULL;
	static_branch_dec(&goalloc_hooks_key);
	KUNIT_EXPECT_TRUE_MSG(test, r->held, "the loser's free was never held");
	KUNIT_EXPECT_EQ_MSG(test, r->refused, 1UL,
			    "the held free was not refused as a double free");
	KUNIT_EXPECT_EQ(test, r->left, 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&r->churn_bad), 0);
}

static struct race *race_new(struct kunit *test, size_t size,
			     struct goalloc_cache *c)
{
	struct race *r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, r);
	r->size = size;
	r->cache = c;
	atomic_set(&r->state, RACE_IDLE);
	atomic_set(&r->churn_bad, 0);
	race = r;
	return r;
}

/*
 * Small objects: the loser looked the object up; the winner frees it, its
 * CPU's magazine and the depots go back to the spans, so the span empties
 * (and may go to the heap and be made again), and the winner takes objects
 * of the class again, the same address among them. The loser must find
 * the span changed, whatever became of it.
 */
static void small_free_losing_a_race_is_refused(struct kunit *test)
{
	struct goalloc_cache_info ci;
	struct goalloc_cache *c;
	void *v[RACE_OBJS];
	struct race *r;
	bool reused = false;
	int churn_cpu;
	unsigned int i, n = 0;

	if (num_online_cpus() < 2)
		kunit_skip(test, "needs two CPUs");
	/* A class of its own: the object's span holds nothing of others'. */
	c = goalloc_cache_create("goalloc_race", 192, 0, 0, NULL);
	KUNIT_ASSERT_NOT_NULL(test, c);
	cache_info(c, &ci);
	r = race_new(test, 192, c);
	/*
	 * On one CPU from the first allocation on: its magazine holds the
	 * span's other objects, which its flush gives back.
	 */
	migrate_disable();
	r->obj = goalloc_cache_alloc(c, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, r->obj);
	if (!race_start(test, r, &churn_cpu)) {
		migrate_enable();
		kunit_skip(test, "needs two CPUs");
	}
	KUNIT_EXPECT_EQ(test, atomic_read(&r->state), RACE_HELD);
	goalloc_cache_free(c, r->obj);
	local_irq_disable();
	mcache_flush_class(smp_processor_id(), ci.cls);
	local_irq_enable();
	central_drain_depots();
	for (i = 0; i < RACE_OBJS; i++) {
		v[i] = goalloc_cache_alloc(c, GFP_KERNEL);
		if (!v[i])
			break;
		reused |= v[i] == r->obj;
		pattern_fill(v[i], 192, 0xa5);
		n++;
	}
	migrate_enable();
	race_finish(test, r, churn_cpu);
	KUNIT_EXPECT_TRUE_MSG(test, reused,
			      "the object was not handed out again: nothing raced");
	for (i = 0; i < n; i++) {
		KUNIT_EXPECT_TRUE(test, pattern_ok(v[i], 192, 0xa5));
		goalloc_cache_free(c, v[i]);
	}
	goalloc_drain(false);
	KUNIT_EXPECT_EQ(test, goalloc_verify(NULL), 0);
	goalloc_cache_destroy(c);
}

/*
 * Large objects: the winner frees the object, its run goes to this CPU's
 * page cache with its span struct, and the next allocation of the size on
 * this CPU takes both again: the same address, the same struct, a new
 * owner. The loser, held since before the first free, must not free it.
 */
static void large_free_losing_a_race_is_refused(struct kunit *test)
{
	size_t size = 65536;
	void *v[8];
	struct race *r;
	bool reused = false;
	int churn_cpu;
	unsigned int i, n = 0;

	if (num_online_cpus() < 2)
		kunit_skip(test, "needs two CPUs");
	r = race_new(test, size, NULL);
	r->obj = goalloc_alloc(size, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, r->obj);

	migrate_disable();
	if (!race_start(test, r, &churn_cpu)) {
		migrate_enable();
		kunit_skip(test, "needs two CPUs");
	}
	KUNIT_EXPECT_EQ(test, atomic_read(&r->state), RACE_HELD);
	goalloc_free(r->obj);
	for (i = 0; i < ARRAY_SIZE(v); i++) {
		v[i] = goalloc_alloc(size, GFP_KERNEL);
		if (!v[i])
			break;
		reused |= v[i] == r->obj;
		pattern_fill(v[i], size, 0x5a);
		n++;
	}
	migrate_enable();
	race_finish(test, r, churn_cpu);
	KUNIT_EXPECT_TRUE_MSG(test, reused,
			      "the run was not handed out again: nothing raced");
	for (i = 0; i < n; i++) {
		KUNIT_EXPECT_TRUE(test, pattern_ok(v[i], size, 0x5a));
		goalloc_free(v[i]);
	}
	goalloc_drain(false);
	KUNIT_EXPECT_EQ(test, goalloc_verify(NULL), 0);
}

#ifdef CONFIG_X86_LOCAL_APIC
struct nmi_obj {
	struct rcu_head rcu;
	char data[40];
};

/*
 * What the NMI handler is given and did, and on which CPU it is to act:
 * every allocation and free goalloc exports, each refused once.
 */
struct in_nmi {
	int cpu;
	struct goalloc_cache *cache;
	void *obj, *large, *cobj, *cbulk, *robj;
	struct nmi_obj *rcuobj;
	void *got, *got_large, *got_cache, *got_realloc;
	size_t usable;
	void *bulk[4];
	int got_bulk;
	bool ran;
};

#define NMI_REFUSALS	10

static struct in_nmi nmi_call = { .cpu = -1 };

static int nmi_handler(unsigned int type, struct pt_regs *regs)
{
	struct in_nmi *n = &nmi_call;

	if (READ_ONCE(n->cpu) != smp_processor_id() || n->ran)
		return NMI_DONE;
	n->got = goalloc_alloc(64, GFP_ATOMIC);
	n->got_large = goalloc_alloc(65536, GFP_ATOMIC);
	n->got_cache = goalloc_cache_alloc(n->cache, GFP_ATOMIC);
	n->got_bulk = goalloc_cache_alloc_bulk(n->cache, GFP_ATOMIC,
					       ARRAY_SIZE(n->bulk), n->bulk);
	n->got_realloc = goalloc_realloc(n->robj, 4096, GFP_ATOMIC);
	n->usable = goalloc_usable_size(n->obj);
	goalloc_free(n->obj);
	goalloc_free(n->large);
	goalloc_cache_free(n->cache, n->cobj);
	goalloc_cache_free_bulk(n->cache, 1, &n->cbulk);
	goalloc_free_rcu(n->rcuobj, rcu);
	WRITE_ONCE(n->ran, true);
	return NMI_HANDLED;
}

/*
 * An NMI (sent to this CPU) allocates and frees through every entry
 * point: refused, each reported once, the allocations NULL (bulk: 0),
 * realloc NULL with its object unchanged, every object left allocated;
 * goalloc_usable_size() answers.
 */
static void calls_in_nmi_are_refused(struct kunit *test)
{
	unsigned long before = events(EV_REFUSED_NMI);
	unsigned long end = jiffies + RACE_WAIT;
	struct in_nmi *n = &nmi_call;
	int ret;

	memset(n, 0, sizeof(*n));
	n->cpu = -1;
	n->cache = goalloc_cache_create("goalloc_nmi", 48, 0, 0, NULL);
	KUNIT_ASSERT_NOT_NULL(test, n->cache);
	n->obj = goalloc_alloc(64, GFP_KERNEL);
	n->large = goalloc_alloc(65536, GFP_KERNEL);
	n->robj = goalloc_alloc(64, GFP_KERNEL);
	n->rcuobj = goalloc_alloc(sizeof(*n->rcuobj), GFP_KERNEL);
	n->cobj = goalloc_cache_alloc(n->cache, GFP_KERNEL);
	n->cbulk = goalloc_cache_alloc(n->cache, GFP_KERNEL);
	KUNIT_ASSERT_TRUE(test, n->obj && n->large && n->robj && n->rcuobj &&
				n->cobj && n->cbulk);
	memset(n->robj, 0x3c, 64);
	ret = register_nmi_handler(NMI_LOCAL, nmi_handler, 0, "goalloc_test");
	KUNIT_ASSERT_EQ(test, ret, 0);
	goalloc_expect_reports(NMI_REFUSALS);
	preempt_disable();
	WRITE_ONCE(n->cpu, smp_processor_id());
	apic->send_IPI_self(NMI_VECTOR);
	while (!READ_ONCE(n->ran) && time_before(jiffies, end))
		cpu_relax();
	WRITE_ONCE(n->cpu, -1);
	preempt_enable();
	unregister_nmi_handler(NMI_LOCAL, "goalloc_test");
	KUNIT_EXPECT_EQ(test, goalloc_expect_reports(0), 0);
	KUNIT_ASSERT_TRUE_MSG(test, n->ran, "no NMI came");
	KUNIT_EXPECT_NULL(test, n->got);
	KUNIT_EXPECT_NULL(test, n->got_large);
	KUNIT_EXPECT_NULL(test, n->got_cache);
	KUNIT_EXPECT_EQ(test, n->got_bulk, 0);
	KUNIT_EXPECT_NULL(test, n->got_realloc);
	/* Only reads: it works in an NMI, and is no refusal. */
	KUNIT_EXPECT_EQ(test, n->usable, (size_t)64);
	KUNIT_EXPECT_EQ(test, events(EV_REFUSED_NMI) - before,
			(unsigned long)NMI_REFUSALS);
	/* Still allocated: their frees in the NMI were refused. */
	KUNIT_EXPECT_EQ(test, goalloc_usable_size(n->obj), (size_t)64);
	KUNIT_EXPECT_EQ(test, goalloc_usable_size(n->large), (size_t)65536);
	KUNIT_EXPECT_EQ(test, goalloc_usable_size(n->rcuobj),
			goalloc_size_roundup(sizeof(*n->rcuobj)));
	KUNIT_EXPECT_NE(test, goalloc_usable_size(n->cobj), (size_t)0);
	KUNIT_EXPECT_NE(test, goalloc_usable_size(n->cbulk), (size_t)0);
	KUNIT_EXPECT_TRUE(test, !memchr_inv(n->robj, 0x3c, 64));
	goalloc_free(n->obj);
	goalloc_free(n->large);
	goalloc_free(n->robj);
	goalloc_free(n->rcuobj);
	goalloc_cache_free(n->cache, n->cobj);
	goalloc_cache_free(n->cache, n->cbulk);
	goalloc_cache_destroy(n->cache);
	KUNIT_EXPECT_EQ(test, goalloc_verify(NULL), 0);
}
#endif

static struct kunit_case race_cases[] = {
	KUNIT_CASE(small_free_losing_a_race_is_refused),
	KUNIT_CASE(large_free_losing_a_race_is_refused),
#ifdef CONFIG_X86_LOCAL_APIC
	KUNIT_CASE(calls_in_nmi_are_refused),
#endif
	{}
};

static struct kunit_suite race_suite = {
	.name = "goalloc_race",
	.test_cases = race_cases,
};

kunit_test_suites(&race_suite);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit tests for goalloc: frees that race");
