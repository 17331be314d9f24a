// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of goalloc's exported API: kmalloc's rules, large objects,
 * init_on_alloc / init_on_free, and the refusal of bad input. Cases that
 * provoke reports announce them (EXPECT_REPORTS), so they print as info.
 */

#include <kunit/test.h>
#include <linux/module.h>
#include <linux/prandom.h>
#include <linux/seq_file.h>
#include <linux/sizes.h>
#include <linux/string.h>

#include "goalloc_test.h"

MODULE_IMPORT_NS(GOALLOC_TEST_NS);

/* ------------------------------------------------------------------ */
/* goalloc_api */

static void size_zero_returns_zero_size_ptr(struct kunit *test)
{
	KUNIT_EXPECT_PTR_EQ(test, goalloc_alloc(0, GFP_KERNEL), ZERO_SIZE_PTR);
	KUNIT_EXPECT_PTR_EQ(test, goalloc_zalloc(0, GFP_KERNEL), ZERO_SIZE_PTR);
	KUNIT_EXPECT_PTR_EQ(test, goalloc_calloc(0, 8, GFP_KERNEL), ZERO_SIZE_PTR);
	KUNIT_EXPECT_EQ(test, goalloc_usable_size(ZERO_SIZE_PTR), 0UL);
}

/* Size 0 is class 0, whose magazines have no slot: a pop finds NULL. */
static void class_zero_magazines_stay_empty(struct kunit *test)
{
	unsigned int level;
	void **top;
	int cpu;

	for_each_possible_cpu(cpu) {
		for (level = 0; level < NR_MAG_LEVELS; level++) {
			top = mcache_mags_of(cpu)->top[MAG(level, 0)];
			KUNIT_EXPECT_EQ(test, cpu_mag_count(cpu, level, 0), 0U);
			KUNIT_EXPECT_PTR_EQ(test, top[-1], NULL);
			KUNIT_EXPECT_PTR_EQ(test, top[0], MAG_END);
		}
	}
}

static void free_of_null_and_zero_size_ptr_does_nothing(struct kunit *test)
{
	unsigned long before = events(EV_REFUSED_FOREIGN);

	goalloc_free(NULL);
	goalloc_free(ZERO_SIZE_PTR);
	KUNIT_EXPECT_EQ(test, events(EV_REFUSED_FOREIGN), before);
}

static void too_big_returns_null_with_a_report(struct kunit *test)
{
	void *p = ERR_PTR(-EINVAL);

	EXPECT_REPORTS(test, 1, EV_REFUSED_TOO_BIG,
		       p = goalloc_alloc(GOALLOC_MAX_SIZE + 1, GFP_KERNEL));
	KUNIT_EXPECT_NULL(test, p);
	EXPECT_REPORTS(test, 1, EV_REFUSED_TOO_BIG,
		       p = goalloc_calloc(SIZE_MAX / 2, 4, GFP_KERNEL));
	KUNIT_EXPECT_NULL(test, p);
}

static void too_big_with_nowarn_is_silent(struct kunit *test)
{
	unsigned long before = events(EV_REFUSED_TOO_BIG);

	/* Counted, but no report is expected: none may be printed. */
	KUNIT_EXPECT_NULL(test, goalloc_alloc(SIZE_MAX, GFP_KERNEL | __GFP_NOWARN));
	KUNIT_EXPECT_EQ(test, events(EV_REFUSED_TOO_BIG), before + 1);
}

static void zalloc_zeroes_a_reused_object(struct kunit *test)
{
	unsigned int size = 200;
	u8 *p, *q;

	migrate_disable();
	p = goalloc_alloc(size, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	memset(p, 0xa5, goalloc_usable_size(p));
	goalloc_free(p);
	q = goalloc_zalloc(size, GFP_KERNEL);
	migrate_enable();
	KUNIT_ASSERT_NOT_NULL(test, q);
	KUNIT_EXPECT_PTR_EQ(test, q, p);	/* LIFO: the same object */
	KUNIT_EXPECT_NULL(test, memchr_inv(q, 0, goalloc_usable_size(q)));
	goalloc_free(q);
}

static void calloc_zeroes_the_array(struct kunit *test)
{
	u32 *p = goalloc_calloc(1000, sizeof(u32), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_GE(test, goalloc_usable_size(p), 4000UL);
	KUNIT_EXPECT_NULL(test, memchr_inv(p, 0, 4000));
	goalloc_free(p);
}

static void realloc_stays_in_place_while_it_fits(struct kunit *test)
{
	char *p = goalloc_alloc(100, GFP_KERNEL), *q;

	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_EQ(test, goalloc_usable_size(p), 112UL);
	strscpy(p, "goalloc", 100);
	q = goalloc_realloc(p, 112, GFP_KERNEL);
	KUNIT_EXPECT_PTR_EQ(test, q, p);
	q = goalloc_realloc(p, sizeof("goalloc"), GFP_KERNEL);
	KUNIT_EXPECT_PTR_EQ(test, q, p);
	KUNIT_EXPECT_STREQ(test, q, "goalloc");
	goalloc_free(q);
}

static void realloc_moves_and_keeps_contents_when_growing(struct kunit *test)
{
	unsigned int i;
	u8 *p, *q;

	p = goalloc_alloc(300, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	for (i = 0; i < 300; i++)
		p[i] = i;
	q = goalloc_realloc(p, 100000, GFP_KERNEL | __GFP_ZERO);
	KUNIT_ASSERT_NOT_NULL(test, q);
	KUNIT_EXPECT_PTR_NE(test, q, p);
	for (i = 0; i < 300; i++)
		KUNIT_EXPECT_EQ_MSG(test, q[i], (u8)i, "byte %u", i);
	KUNIT_EXPECT_NULL(test, memchr_inv(q + 320, 0, 100000 - 320));
	goalloc_free(q);
}

static void realloc_of_null_allocates_and_to_zero_frees(struct kunit *test)
{
	void *p = goalloc_realloc(NULL, 40, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_EQ(test, goalloc_usable_size(p), 48UL);
	KUNIT_EXPECT_PTR_EQ(test, goalloc_realloc(p, 0, GFP_KERNEL), ZERO_SIZE_PTR);
	KUNIT_EXPECT_PTR_EQ(test, goalloc_realloc(ZERO_SIZE_PTR, 0, GFP_KERNEL),
			    ZERO_SIZE_PTR);
}

static void init_on_free_zeroes_freed_objects(struct kunit *test)
{
	u8 *p;

	if (!want_init_on_free() || goalloc_debug)
		kunit_skip(test, "boot without init_on_free=1, or debug=1");
	p = goalloc_alloc(300, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	memset(p, 0xaa, 300);
	goalloc_free(p);
	/* The freed object sits in this CPU's magazine; goalloc owns it. */
	KUNIT_EXPECT_NULL(test, memchr_inv(p, 0, 320));
}

static void init_on_alloc_zeroes_new_objects(struct kunit *test)
{
	u8 *p, *q;

	if (!want_init_on_alloc(GFP_KERNEL) || goalloc_debug)
		kunit_skip(test, "boot without init_on_alloc=1, or debug=1");
	migrate_disable();
	p = goalloc_alloc(700, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	goalloc_free(p);
	/* Dirty the free object behind goalloc's back; allocation must zero it. */
	memset(p, 0xaa, 704);
	q = goalloc_alloc(700, GFP_KERNEL);
	migrate_enable();
	KUNIT_ASSERT_PTR_EQ(test, q, p);
	KUNIT_EXPECT_NULL(test, memchr_inv(q, 0, 704));
	goalloc_free(q);
	q = goalloc_alloc(200000, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, q);
	KUNIT_EXPECT_NULL(test, memchr_inv(q, 0, 200000));
	goalloc_free(q);
}

static void usable_size_is_the_class_size(struct kunit *test)
{
	unsigned int cls;
	void *p;

	for (cls = 1; cls < GOALLOC_NUM_CLASSES; cls++) {
		p = goalloc_alloc(class_info[cls - 1].size + 1, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p);
		KUNIT_EXPECT_EQ_MSG(test, goalloc_usable_size(p),
				    (size_t)class_info[cls].size, "class %u", cls);
		goalloc_free(p);
	}
}

/*
 * kmalloc's promise (include/linux/slab.h): a power-of-two size is aligned
 * to itself, 8 B to 4 MiB. Objects of each size are taken between
 * objects of an odd size, and half of them freed, before the size is
 * taken again into the holes: spans and runs start wherever the heap,
 * the page cache's block and its kept runs have room, not only at the
 * start of a fresh chunk.
 */
#define ALIGN_MAX_OBJS		128

/* Fewer objects of the larger sizes: up to 16 MiB of each size. */
static unsigned int align_objs(size_t size)
{
	return clamp_t(size_t, SZ_16M / size / 2, 2, ALIGN_MAX_OBJS);
}

/* An odd size near @size: 3/4 of it, plus 8 bytes. */
static size_t align_odd_size(size_t size)
{
	return size / 4 * 3 + 8;
}

/* Objects of @p[0..n) not aligned to @size. */
static unsigned int misaligned(void *const *p, unsigned int n, size_t size)
{
	unsigned int i, bad = 0;

	for (i = 0; i < n; i++)
		bad += !IS_ALIGNED((unsigned long)p[i], size);
	return bad;
}

static void every_power_of_two_size_is_aligned_to_itself(struct kunit *test)
{
	void **p, **odd;
	unsigned int i, n;
	size_t size;

	p = kunit_kcalloc(test, ALIGN_MAX_OBJS, sizeof(*p), GFP_KERNEL);
	odd = kunit_kcalloc(test, ALIGN_MAX_OBJS, sizeof(*odd), GFP_KERNEL);
	KUNIT_ASSERT_TRUE(test, p && odd);
	for (size = 8; size <= GOALLOC_MAX_SIZE; size *= 2) {
		n = align_objs(size);
		for (i = 0; i < n; i++) {
			p[i] = goalloc_alloc(size, GFP_KERNEL);
			odd[i] = goalloc_alloc(align_odd_size(size), GFP_KERNEL);
			KUNIT_ASSERT_TRUE_MSG(test, p[i] && odd[i], "size %zu", size);
		}
		KUNIT_EXPECT_EQ_MSG(test, misaligned(p, n, size), 0U,
				    "size %zu, first pass", size);
		/* Holes: every other object, and the odd ones. */
		for (i = 0; i < n; i++) {
			goalloc_free(odd[i]);
			if (i % 2)
				goalloc_free(p[i]);
		}
		for (i = 1; i < n; i += 2) {
			p[i] = goalloc_alloc(size, GFP_KERNEL);
			KUNIT_ASSERT_NOT_NULL_MSG(test, p[i], "size %zu", size);
		}
		KUNIT_EXPECT_EQ_MSG(test, misaligned(p, n, size), 0U,
				    "size %zu, into the holes", size);
		for (i = 0; i < n; i++)
			goalloc_free(p[i]);
	}
}

static void objects_do_not_overlap(struct kunit *test)
{
	enum { N = 2000 };
	struct rnd_state rnd;
	unsigned int i, j;
	u32 *size;
	u8 **p;

	p = kunit_kcalloc(test, N, sizeof(*p), GFP_KERNEL);
	size = kunit_kcalloc(test, N, sizeof(*size), GFP_KERNEL);
	KUNIT_ASSERT_TRUE(test, p && size);
	prandom_seed_state(&rnd, 42);
	for (i = 0; i < N; i++) {
		size[i] = 1 + prandom_u32_state(&rnd) % 5000;
		p[i] = goalloc_alloc(size[i], GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p[i]);
		KUNIT_EXPECT_TRUE(test, IS_ALIGNED((unsigned long)p[i], 8));
		memset(p[i], (u8)i, size[i]);
	}
	for (i = 0; i < N; i++) {
		for (j = 0; j < size[i]; j++) {
			if (p[i][j] != (u8)i) {
				KUNIT_FAIL(test, "object %u byte %u overwritten", i, j);
				break;
			}
		}
		goalloc_free(p[i]);
	}
}

static void large_objects_are_page_runs(struct kunit *test)
{
	static const size_t sizes[] = { 32769, 65536, 100000, GOALLOC_MAX_SIZE };
	struct large_stats before, during;
	unsigned int i;
	u8 *p;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		pcache_large_stats(&before);
		p = goalloc_alloc(sizes[i], GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p);
		KUNIT_EXPECT_TRUE(test, IS_ALIGNED((unsigned long)p, GOALLOC_PAGE_SIZE));
		KUNIT_EXPECT_EQ(test, goalloc_usable_size(p),
				round_up(sizes[i], GOALLOC_PAGE_SIZE));
		pcache_large_stats(&during);
		KUNIT_EXPECT_EQ(test, during.objects, before.objects + 1);
		KUNIT_EXPECT_EQ(test, during.pages - before.pages,
				round_up(sizes[i], GOALLOC_PAGE_SIZE) >> PAGE_SHIFT);
		memset(p, 0x5a, sizes[i]);
		goalloc_free(p);
		pcache_large_stats(&during);
		KUNIT_EXPECT_EQ(test, during.objects, before.objects);
	}
}

static struct kunit_case api_cases[] = {
	KUNIT_CASE(size_zero_returns_zero_size_ptr),
	KUNIT_CASE(class_zero_magazines_stay_empty),
	KUNIT_CASE(free_of_null_and_zero_size_ptr_does_nothing),
	KUNIT_CASE(too_big_returns_null_with_a_report),
	KUNIT_CASE(too_big_with_nowarn_is_silent),
	KUNIT_CASE(zalloc_zeroes_a_reused_object),
	KUNIT_CASE(calloc_zeroes_the_array),
	KUNIT_CASE(realloc_stays_in_place_while_it_fits),
	KUNIT_CASE(realloc_moves_and_keeps_contents_when_growing),
	KUNIT_CASE(realloc_of_null_allocates_and_to_zero_frees),
	KUNIT_CASE(init_on_free_zeroes_freed_objects),
	KUNIT_CASE(init_on_alloc_zeroes_new_objects),
	KUNIT_CASE(usable_size_is_the_class_size),
	KUNIT_CASE(every_power_of_two_size_is_aligned_to_itself),
	KUNIT_CASE(objects_do_not_overlap),
	KUNIT_CASE(large_objects_are_page_runs),
	{}
};

static struct kunit_suite api_suite = {
	.name = "goalloc_api",
	.test_cases = api_cases,
};

/* ------------------------------------------------------------------ */
/* goalloc_bad_input */

static int a_global;

static void free_of_foreign_pointer_is_refused(struct kunit *test)
{
	int on_stack;
	void *k = kmalloc(64, GFP_KERNEL), *g __maybe_unused;

	KUNIT_ASSERT_NOT_NULL(test, k);
	EXPECT_REPORTS(test, 3, EV_REFUSED_FOREIGN, {
		goalloc_free(k);
		goalloc_free(&on_stack);
		goalloc_free(&a_global);
	});
	/* kmalloc still owns it: kfree works. */
	kfree(k);
#ifdef CONFIG_X86_64
	/*
	 * The direct map below every chunk, inside span_find()'s one range
	 * test: the page's fields refuse it. x86 keeps the first MiB of RAM
	 * from the page allocator; @g makes sure a chunk exists.
	 */
	g = goalloc_alloc(8, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, g);
	k = __va(SZ_512K);
	KUNIT_ASSERT_LT(test, (unsigned long)k, heap_lo);
	KUNIT_ASSERT_LT(test, (unsigned long)k - PAGE_OFFSET,
			goalloc_fastpath.heap_top);
	EXPECT_REPORTS(test, 1, EV_REFUSED_FOREIGN, goalloc_free(k));
	goalloc_free(g);
#endif
}

static void free_of_interior_pointer_is_refused(struct kunit *test)
{
	u8 *p = goalloc_alloc(64, GFP_KERNEL);
	u8 *q = goalloc_alloc(48, GFP_KERNEL);	/* 170 slots, a 32-byte tail */
	u8 *big = goalloc_alloc(100000, GFP_KERNEL);
	u8 *one = goalloc_alloc(32768, GFP_KERNEL);	/* one slot a span */
	struct span *s;

	KUNIT_ASSERT_TRUE(test, p && q && big && one);
	memset(p, 0x11, 64);
	s = span_of(q);
	KUNIT_ASSERT_EQ(test, s->nelems, 170);
	KUNIT_ASSERT_EQ(test, span_of(one)->nelems, 1);
	EXPECT_REPORTS(test, 7, EV_REFUSED_INTERIOR, {
		goalloc_free(p + 8);
		goalloc_free(p + 1);
		goalloc_free((void *)(s->base + 170 * 48));
		goalloc_free(big + PAGE_SIZE);
		goalloc_free(big + 100000 - 1);
		/* Past the first page, which alone maps to the span. */
		goalloc_free(one + PAGE_SIZE);
		goalloc_free(one + 32768 - 1);
	});
	/* Nothing changed: the object is intact and still allocated. */
	KUNIT_EXPECT_NULL(test, memchr_inv(p, 0x11, 64));
	KUNIT_EXPECT_EQ(test, goalloc_usable_size(p), 64UL);
	KUNIT_EXPECT_EQ(test, goalloc_usable_size(one), 32768UL);
	KUNIT_EXPECT_EQ(test, goalloc_verify(NULL), 0);
	goalloc_free(p);
	goalloc_free(q);
	goalloc_free(big);
	goalloc_free(one);
}

static void double_free_of_object_free_in_span_is_refused(struct kunit *test)
{
	unsigned int cls = size_to_class(3000), i;
	unsigned long inuse;
	void *p, *q = NULL, *other[32];

	/*
	 * q, from p's span, keeps the span alive once p is back in it. With
	 * the caches drained, refills take consecutive slots, so q comes soon.
	 */
	goalloc_drain(false);
	p = goalloc_alloc(3000, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	for (i = 0; i < ARRAY_SIZE(other); i++) {
		other[i] = goalloc_alloc(3000, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, other[i]);
		if (span_of(other[i]) == span_of(p)) {
			q = other[i];
			other[i] = NULL;
			break;
		}
	}
	KUNIT_ASSERT_NOT_NULL(test, q);
	goalloc_free(p);
	goalloc_drain(false);	/* now free in its span, not in a cache */
	inuse = class_inuse(cls);
	EXPECT_REPORTS(test, 1, EV_REFUSED_DOUBLE_FREE, goalloc_free(p));
	goalloc_drain(false);
	KUNIT_EXPECT_EQ(test, class_inuse(cls), inuse);
	goalloc_free(q);
	for (i = 0; i < ARRAY_SIZE(other); i++)
		goalloc_free(other[i]);
}

/*
 * A free of the object this CPU freed last, still on top of its magazine,
 * is refused with or without debug=1, and the object is handed out once.
 */
static void second_free_in_a_row_is_refused(struct kunit *test)
{
	void *p, *a, *b;

	migrate_disable();	/* one CPU's magazine throughout */
	p = goalloc_alloc(64, GFP_KERNEL);
	goalloc_free(p);
	EXPECT_REPORTS(test, 1, EV_REFUSED_DOUBLE_FREE, goalloc_free(p));
	a = goalloc_alloc(64, GFP_KERNEL);
	b = goalloc_alloc(64, GFP_KERNEL);
	migrate_enable();
	KUNIT_EXPECT_NOT_NULL(test, p);
	KUNIT_EXPECT_PTR_EQ(test, a, p);
	KUNIT_EXPECT_PTR_NE(test, b, p);
	goalloc_free(a);
	goalloc_free(b);
}

static void double_free_of_large_object_is_refused(struct kunit *test)
{
	void *p = goalloc_alloc(200000, GFP_KERNEL);
	struct heap_stats before, after;

	KUNIT_ASSERT_NOT_NULL(test, p);
	goalloc_free(p);
	heap_stats_read(&before);
	/*
	 * Its pages went back to the heap, or wait in this CPU's page cache,
	 * unmapped: goalloc no longer owns the pointer.
	 */
	EXPECT_REPORTS(test, 1, EV_REFUSED_FOREIGN, goalloc_free(p));
	heap_stats_read(&after);
	KUNIT_EXPECT_EQ(test, after.inuse_pages, before.inuse_pages);
}

static void realloc_and_usable_size_refuse_foreign_pointers(struct kunit *test)
{
	void *k = kmalloc(32, GFP_KERNEL);
	void *r = ERR_PTR(-EINVAL);
	size_t n = 1;

	KUNIT_ASSERT_NOT_NULL(test, k);
	EXPECT_REPORTS(test, 2, EV_REFUSED_FOREIGN, {
		r = goalloc_realloc(k, 64, GFP_KERNEL);
		n = goalloc_usable_size(k);
	});
	KUNIT_EXPECT_NULL(test, r);
	KUNIT_EXPECT_EQ(test, n, 0UL);
	kfree(k);
}

static void debug_catches_double_free_in_cpu_cache(struct kunit *test)
{
	void *p;

	if (!goalloc_debug)
		kunit_skip(test, "goalloc loaded without debug=1");
	p = goalloc_alloc(512, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	goalloc_free(p);	/* into this CPU's magazine */
	EXPECT_REPORTS(test, 1, EV_REFUSED_DOUBLE_FREE, goalloc_free(p));
	EXPECT_REPORTS(test, 1, EV_REFUSED_USE_AFTER_FREE,
		       KUNIT_EXPECT_NULL(test, goalloc_realloc(p, 4096, GFP_KERNEL)));
}

static void debug_catches_write_after_free(struct kunit *test)
{
	unsigned int cls = size_to_class(640);
	u8 *p, *q;

	if (!goalloc_debug)
		kunit_skip(test, "goalloc loaded without debug=1");
	p = goalloc_alloc(640, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	goalloc_free(p);
	write_after_free(p, 100);	/* the bug under test */
	EXPECT_REPORTS(test, 1, EV_POISON_CORRUPTED,
		       q = goalloc_alloc(640, GFP_KERNEL));
	KUNIT_ASSERT_NOT_NULL(test, q);
	/* The corrupted object is not handed out again. */
	KUNIT_EXPECT_PTR_NE(test, q, p);
	KUNIT_EXPECT_GT(test, class_inuse(cls), 0UL);
	goalloc_free(q);
}

/* Callers the object's history must name: no tail calls. */
static noinline void *history_test_alloc(size_t size)
{
	void *p = goalloc_alloc(size, GFP_KERNEL);

	barrier();
	return p;
}

static noinline void history_test_free(void *p)
{
	goalloc_free(p);
	barrier();
}

/* What debugfs "object" says of the object around @addr, in @m. */
static const char *describe(struct kunit *test, struct seq_file *m,
			    unsigned long addr)
{
	m->count = 0;
	object_describe(m, addr);
	KUNIT_ASSERT_LT(test, m->count, m->size);
	m->buf[m->count] = 0;
	return m->buf;
}

/*
 * debug=1: an address anywhere in an object, small or large, leads to
 * the stacks of its last allocation and free, as debugfs "object" shows
 * them and goalloc's own reports print them.
 */
static void object_history_names_who_allocated_and_freed(struct kunit *test)
{
	static const size_t sizes[] = { 200, 100000 };
	struct seq_file m = { .size = PAGE_SIZE };
	unsigned int i;
	u8 *p;

	if (!goalloc_debug || !IS_ENABLED(CONFIG_STACKDEPOT))
		kunit_skip(test, "goalloc loaded without debug=1, or no stack depot");
	m.buf = kunit_kzalloc(test, PAGE_SIZE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, m.buf);
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		p = history_test_alloc(sizes[i]);
		KUNIT_ASSERT_NOT_NULL(test, p);
		describe(test, &m, (unsigned long)p + sizes[i] - 1);
		KUNIT_EXPECT_NOT_NULL_MSG(test, strstr(m.buf, "state allocated"), "%s", m.buf);
		KUNIT_EXPECT_NOT_NULL_MSG(test, strstr(m.buf, "history_test_alloc"), "%s", m.buf);
		KUNIT_EXPECT_NOT_NULL_MSG(test, strstr(m.buf, "freed by: not recorded"), "%s", m.buf);
		history_test_free(p);
		if (sizes[i] > GOALLOC_MAX_SMALL_SIZE) {
			/* Its pages are no longer an object's. */
			describe(test, &m, (unsigned long)p);
			KUNIT_EXPECT_NOT_NULL_MSG(test, strstr(m.buf, "not in a live span"), "%s", m.buf);
			continue;
		}
		describe(test, &m, (unsigned long)p + 5);
		KUNIT_EXPECT_NOT_NULL_MSG(test, strstr(m.buf, "state free"), "%s", m.buf);
		KUNIT_EXPECT_NOT_NULL_MSG(test, strstr(m.buf, "history_test_alloc"), "%s", m.buf);
		KUNIT_EXPECT_NOT_NULL_MSG(test, strstr(m.buf, "history_test_free"), "%s", m.buf);
		/* The report of a second free prints both stacks. */
		EXPECT_REPORTS(test, 1, EV_REFUSED_DOUBLE_FREE, goalloc_free(p));
	}
}

static struct kunit_case bad_input_cases[] = {
	KUNIT_CASE(free_of_foreign_pointer_is_refused),
	KUNIT_CASE(free_of_interior_pointer_is_refused),
	KUNIT_CASE(double_free_of_object_free_in_span_is_refused),
	KUNIT_CASE(second_free_in_a_row_is_refused),
	KUNIT_CASE(double_free_of_large_object_is_refused),
	KUNIT_CASE(realloc_and_usable_size_refuse_foreign_pointers),
	KUNIT_CASE(debug_catches_double_free_in_cpu_cache),
	KUNIT_CASE(debug_catches_write_after_free),
	KUNIT_CASE(object_history_names_who_allocated_and_freed),
	{}
};

static struct kunit_suite bad_input_suite = {
	.name = "goalloc_bad_input",
	.test_cases = bad_input_cases,
};

kunit_test_suites(&api_suite, &bad_input_suite);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit tests for goalloc: API and bad input");
