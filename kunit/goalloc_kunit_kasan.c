// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for goalloc under generic KASAN: a caller's out-of-bounds
 * access and use after free are reported on the spot, once each, and
 * goalloc's own accesses never are. Each case provokes its bugs on
 * purpose and counts KASAN's reports exactly, with a probe on the
 * error_report_end tracepoint, which KASAN fires once per report.
 *
 * As the kernel's own KASAN tests on 6.1: multi-shot reporting for the
 * suite (kasan_save_enable_multi_shot(), exported with
 * CONFIG_KASAN_KUNIT_TEST), and the "kasan_status" resource that
 * kasan_report() marks, without which a report fails the running test;
 * 6.12 has kasan_kunit_test_suite_start() instead (Kbuild tells which).
 * Its own boot (check.sh boot-kasan): a report turns lockdep off.
 */

#include <trace/events/error_report.h>

#include "goalloc_test.h"

MODULE_IMPORT_NS(GOALLOC_TEST_NS);

#if GOALLOC_KASAN && IS_ENABLED(CONFIG_KASAN_KUNIT_TEST) && \
	(defined(GOALLOC_HAVE_KASAN_STATUS) || defined(GOALLOC_HAVE_KASAN_SUITE_START))
#define KASAN_SUITE	1
static bool kasan_multishot;
#ifdef GOALLOC_HAVE_KASAN_STATUS
static struct kunit_kasan_status kasan_status;
static struct kunit_resource kasan_resource;
#endif
#else
#define KASAN_SUITE	0
#endif

static atomic_t kasan_reports;	/* reports KASAN made, while loaded */
static int kasan_expected;	/* reports the running case provoked */
static int kasan_start;		/* kasan_reports when it began */

static void probe_report_end(void *data, enum error_detector detector,
			     unsigned long addr)
{
	if (detector == ERROR_DETECTOR_KASAN)
		atomic_inc(&kasan_reports);
}

/*
 * Expect exactly @n KASAN reports from @expr, a caller's access. The
 * barriers keep the compiler from moving the access out.
 */
#define EXPECT_KASAN(test, n, expr) do {				\
	int __before = atomic_read(&kasan_reports);			\
									\
	barrier();							\
	expr;								\
	barrier();							\
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&kasan_reports) - __before, \
			    n, "KASAN reports from " #expr);		\
	kasan_expected += (n);						\
} while (0)

/* A caller's one-byte accesses, which the compiler may not drop. */
static noinline u8 peek(const void *p, size_t i)
{
	return READ_ONCE(((const u8 *)p)[i]);
}

static noinline void poke(void *p, size_t i)
{
	WRITE_ONCE(((u8 *)p)[i], 0xa5);
}

/* ------------------------------------------------------------------ */

/* Sizes below their slot (so that the slot has a red zone), not all 8n. */
static const size_t oob_sizes[] = {
	1, 5, 13, 24 - 3, 100, 128 - 8 - 5, 250, 1000, 2043, 4000, 8185,
	16380, 30000,
};

static void out_of_bounds_small_is_reported(struct kunit *test)
{
	unsigned int i;
	u8 *p;

	for (i = 0; i < ARRAY_SIZE(oob_sizes); i++) {
		size_t size = oob_sizes[i];

		p = goalloc_alloc(size, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p);
		KUNIT_ASSERT_GT(test, goalloc_size_roundup(size), size);
		EXPECT_KASAN(test, 0, peek(p, 0));
		EXPECT_KASAN(test, 0, poke(p, size - 1));
		EXPECT_KASAN(test, 1, peek(p, size));
		EXPECT_KASAN(test, 1, poke(p, size));
		/* The last byte of the slot, in the red zone too. */
		EXPECT_KASAN(test, 1, peek(p, goalloc_size_roundup(size) - 1));
		goalloc_free(p);
	}
}

static void out_of_bounds_large_is_reported(struct kunit *test)
{
	static const size_t sizes[] = { 32768 + 1, 40000, 100001, (1 << 20) - 3 };
	unsigned int i;
	u8 *p;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		p = goalloc_alloc(sizes[i], GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p);
		EXPECT_KASAN(test, 0, poke(p, sizes[i] - 1));
		EXPECT_KASAN(test, 1, peek(p, sizes[i]));
		EXPECT_KASAN(test, 1, poke(p, sizes[i]));
		goalloc_free(p);
	}
}

static void use_after_free_is_reported(struct kunit *test)
{
	static const size_t sizes[] = { 8, 64, 1000, 4096, 32768, 65536, 300000 };
	unsigned int i;
	u8 *p;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		p = goalloc_alloc(sizes[i], GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p);
		goalloc_free(p);
		EXPECT_KASAN(test, 1, peek(p, 0));
		EXPECT_KASAN(test, 1, poke(p, sizes[i] / 2));
	}
}

static void ctor(void *obj)
{
	memset(obj, 0x3c, 100);
}

static void cache_use_after_free_is_reported(struct kunit *test)
{
	static const slab_flags_t flags[] = { 0, SLAB_HWCACHE_ALIGN, 0 };
	struct goalloc_cache *c;
	unsigned int i;
	u8 *p;

	for (i = 0; i < ARRAY_SIZE(flags); i++) {
		/* The last has a constructor: its objects are reported too. */
		c = goalloc_cache_create("goalloc_kasan_test", 100, 0, flags[i],
					 i == 2 ? ctor : NULL);
		KUNIT_ASSERT_NOT_NULL(test, c);
		p = goalloc_cache_alloc(c, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p);
		EXPECT_KASAN(test, 0, poke(p, 99));
		EXPECT_KASAN(test, 1, peek(p, 100));
		goalloc_cache_free(c, p);
		EXPECT_KASAN(test, 1, peek(p, 0));
		EXPECT_KASAN(test, 1, poke(p, 50));
		goalloc_cache_destroy(c);
	}
}

/*
 * SLAB_TYPESAFE_BY_RCU: a freed object stays readable, as SLUB leaves it,
 * for the readers under rcu_read_lock() that may still hold it.
 */
static void typesafe_by_rcu_object_stays_readable(struct kunit *test)
{
	struct goalloc_cache *c;
	u8 *p;

	c = goalloc_cache_create("goalloc_kasan_rcu", 64, 0,
				 SLAB_TYPESAFE_BY_RCU, NULL);
	KUNIT_ASSERT_NOT_NULL(test, c);
	p = goalloc_cache_alloc(c, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	EXPECT_KASAN(test, 1, peek(p, 64));
	rcu_read_lock();
	goalloc_cache_free(c, p);
	EXPECT_KASAN(test, 0, peek(p, 0));
	rcu_read_unlock();
	goalloc_cache_destroy(c);
}

static void realloc_moves_the_red_zone(struct kunit *test)
{
	u8 *p, *q;

	/* In place, shrinking and growing within the slot (112 bytes). */
	p = goalloc_alloc(100, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	q = goalloc_realloc(p, 50, GFP_KERNEL);
	KUNIT_ASSERT_PTR_EQ(test, q, p);
	EXPECT_KASAN(test, 0, peek(q, 49));
	EXPECT_KASAN(test, 1, peek(q, 50));
	q = goalloc_realloc(q, 110, GFP_KERNEL);
	KUNIT_ASSERT_PTR_EQ(test, q, p);
	EXPECT_KASAN(test, 0, peek(q, 105));
	EXPECT_KASAN(test, 1, peek(q, 110));

	/* Moved: the old object is freed, the new one has its own zone. */
	q = goalloc_realloc(p, 4000, GFP_KERNEL | __GFP_ZERO);
	KUNIT_ASSERT_NOT_NULL(test, q);
	KUNIT_ASSERT_PTR_NE(test, q, p);
	EXPECT_KASAN(test, 1, peek(p, 0));
	EXPECT_KASAN(test, 0, KUNIT_EXPECT_EQ(test, peek(q, 3999), 0));
	EXPECT_KASAN(test, 1, peek(q, 4000));
	goalloc_free(q);
}

static void usable_size_opens_the_slot(struct kunit *test)
{
	u8 *p = goalloc_alloc(100, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, p);
	EXPECT_KASAN(test, 1, peek(p, 100));
	KUNIT_EXPECT_EQ(test, goalloc_usable_size(p), (size_t)112);
	EXPECT_KASAN(test, 0, peek(p, 100));
	EXPECT_KASAN(test, 0, poke(p, 111));
	goalloc_free(p);
	EXPECT_KASAN(test, 1, peek(p, 111));
}

/*
 * goalloc's own accesses: zeroing, init and poison are not reported, and
 * a zeroed object is zero to its last byte.
 */
static void goallocs_own_accesses_are_not_reported(struct kunit *test)
{
	unsigned int i;
	u8 *p;

	for (i = 0; i < ARRAY_SIZE(oob_sizes); i++) {
		EXPECT_KASAN(test, 0,
			     p = goalloc_zalloc(oob_sizes[i], GFP_KERNEL));
		KUNIT_ASSERT_NOT_NULL(test, p);
		KUNIT_EXPECT_EQ(test, peek(p, oob_sizes[i] - 1), 0);
		EXPECT_KASAN(test, 0, goalloc_free(p));
	}
	EXPECT_KASAN(test, 0, mcache_drain_all());
	EXPECT_KASAN(test, 0, KUNIT_EXPECT_EQ(test, goalloc_verify(NULL), 0));
}

/*
 * Freed objects wait in the quarantine: the next allocations of their
 * size do not get them back, a use of one is still reported, and a
 * second free of one, or goalloc_usable_size() or goalloc_realloc() of
 * one, is refused. A drain gives them all back.
 */
static void quarantine_delays_reuse(struct kunit *test)
{
	const unsigned int n = 64;
	void **objs = test_objs(test, n), **again = test_objs(test, n);
	unsigned long held, bytes;
	unsigned int i, j;

	for (i = 0; i < n; i++) {
		objs[i] = goalloc_alloc(256, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, objs[i]);
	}
	for (i = 0; i < n; i++)
		goalloc_free(objs[i]);
	quarantine_stats(&held, &bytes);
	KUNIT_EXPECT_GE(test, held, (unsigned long)n);
	for (i = 0; i < n; i++) {
		again[i] = goalloc_alloc(256, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, again[i]);
		for (j = 0; j < n; j++)
			KUNIT_EXPECT_PTR_NE(test, again[i], objs[j]);
	}
	EXPECT_KASAN(test, 1, peek(objs[n / 2], 0));
	EXPECT_REPORTS(test, 1, EV_REFUSED_DOUBLE_FREE,
		       EXPECT_KASAN(test, 0, goalloc_free(objs[n / 2])));
	/* Nor does a use through the API open it, or let it be freed. */
	EXPECT_REPORTS(test, 1, EV_REFUSED_USE_AFTER_FREE,
		       KUNIT_EXPECT_EQ(test, goalloc_usable_size(objs[1]), 0UL));
	EXPECT_REPORTS(test, 1, EV_REFUSED_USE_AFTER_FREE,
		       KUNIT_EXPECT_NULL(test, goalloc_realloc(objs[1], 8, GFP_KERNEL)));
	EXPECT_KASAN(test, 1, peek(objs[1], 0));
	EXPECT_REPORTS(test, 1, EV_REFUSED_DOUBLE_FREE, goalloc_free(objs[1]));
	for (i = 0; i < n; i++)
		goalloc_free(again[i]);
	mcache_drain_all();
	quarantine_stats(&held, &bytes);
	KUNIT_EXPECT_EQ(test, held, 0UL);
	KUNIT_EXPECT_EQ(test, bytes, 0UL);
	KUNIT_EXPECT_EQ(test, goalloc_verify(NULL), 0);
}

/* ------------------------------------------------------------------ */

static int kasan_case_init(struct kunit *test)
{
	if (!KASAN_SUITE)
		kunit_skip(test, "needs generic KASAN and CONFIG_KASAN_KUNIT_TEST");
#if KASAN_SUITE && defined(GOALLOC_HAVE_KASAN_STATUS)
	kasan_status.report_found = false;
	kunit_add_named_resource(test, NULL, NULL, &kasan_resource,
				 "kasan_status", &kasan_status);
#endif
	kasan_expected = 0;
	kasan_start = atomic_read(&kasan_reports);
	return 0;
}

/* Every report of the case was one it provoked. */
static void kasan_case_exit(struct kunit *test)
{
	if (!KASAN_SUITE)
		return;
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&kasan_reports) - kasan_start,
			    kasan_expected, "KASAN reports in all");
}

static int kasan_suite_init(struct kunit_suite *suite)
{
	if (!KASAN_SUITE)
		return 0;
#if KASAN_SUITE
	kasan_multishot = kasan_save_enable_multi_shot();
#ifndef GOALLOC_HAVE_KASAN_STATUS
	kasan_kunit_test_suite_start();
#endif
#endif
	return register_trace_error_report_end(probe_report_end, NULL);
}

static void kasan_suite_exit(struct kunit_suite *suite)
{
	if (!KASAN_SUITE)
		return;
	unregister_trace_error_report_end(probe_report_end, NULL);
	tracepoint_synchronize_unregister();
#if KASAN_SUITE
#ifndef GOALLOC_HAVE_KASAN_STATUS
	kasan_kunit_test_suite_end();
#endif
	kasan_restore_multi_shot(kasan_multishot);
#endif
	pr_info("goalloc_kasan: %d KASAN reports provoked\n",
		atomic_read(&kasan_reports));
}

static struct kunit_case kasan_cases[] = {
	KUNIT_CASE(out_of_bounds_small_is_reported),
	KUNIT_CASE(out_of_bounds_large_is_reported),
	KUNIT_CASE(use_after_free_is_reported),
	KUNIT_CASE(cache_use_after_free_is_reported),
	KUNIT_CASE(typesafe_by_rcu_object_stays_readable),
	KUNIT_CASE(realloc_moves_the_red_zone),
	KUNIT_CASE(usable_size_opens_the_slot),
	KUNIT_CASE(goallocs_own_accesses_are_not_reported),
	KUNIT_CASE(quarantine_delays_reuse),
	{}
};

static struct kunit_suite kasan_suite = {
	.name = "goalloc_kasan",
	.init = kasan_case_init,
	.exit = kasan_case_exit,
	.suite_init = kasan_suite_init,
	.suite_exit = kasan_suite_exit,
	.test_cases = kasan_cases,
};

kunit_test_suites(&kasan_suite);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit tests for goalloc: KASAN sees goalloc's objects");
