/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by goalloc's KUnit modules. Each module is loaded after
 * goalloc.ko and imports its test-only exports.
 */
#ifndef _GOALLOC_TEST_H
#define _GOALLOC_TEST_H

#include <kunit/test.h>
#include <linux/slab.h>

#include "../goalloc_mcache.h"

/* A size no case uses but the mcentral and verify cases (3 per span). */
#define CENTRAL_SIZE	27264

static inline unsigned long events(enum goalloc_event ev)
{
	unsigned long sum[NR_GOALLOC_EVENTS];

	goalloc_counters_sum(sum);
	return sum[ev];
}

/* Objects in @cpu's magazine of @cls for context @level; racy but on @cpu. */
static inline unsigned int cpu_mag_count(int cpu, unsigned int level,
					 unsigned int cls)
{
	return mag_count(mcache_mags_of(cpu), MAG(level, cls));
}

static inline unsigned long class_inuse(unsigned int cls)
{
	struct goalloc_class_stats st;

	goalloc_class_stats(cls, &st);
	return st.inuse;
}

struct expected_reports {
	enum goalloc_event ev;
	int n;
	unsigned long before;
};

static inline struct expected_reports
expect_reports_begin(enum goalloc_event ev, int n)
{
	struct expected_reports e = { .ev = ev, .n = n, .before = events(ev) };

	goalloc_expect_reports(n);
	return e;
}

static inline void expect_reports_end(struct kunit *test, struct expected_reports e)
{
	KUNIT_EXPECT_EQ_MSG(test, goalloc_expect_reports(0), 0,
			    "expected reports that did not come");
	KUNIT_EXPECT_EQ(test, events(e.ev) - e.before, (unsigned long)e.n);
}

/* Expect exactly @n reports from @call, counted under @ev. */
#define EXPECT_REPORTS(test, n, ev, call) do {				\
	struct expected_reports __e = expect_reports_begin(ev, n);	\
	call;								\
	expect_reports_end(test, __e);					\
} while (0)

/*
 * A caller's write to byte @i of @p after its free: the bug that debug=1's
 * poison check catches, written with KASAN's reports off, which would
 * report it first.
 */
static inline void write_after_free(u8 *p, size_t i)
{
	kasan_disable_current();
	WRITE_ONCE(p[i], 0);
	kasan_enable_current();
}

static inline void **test_objs(struct kunit *test, unsigned int n)
{
	void **objs = kunit_kcalloc(test, n, sizeof(void *), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, objs);
	return objs;
}

#endif /* _GOALLOC_TEST_H */
