// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for goalloc: size classes, spans, mcentral, mheap, the API,
 * bad input, per-CPU caches, CPU hotplug, concurrency and hard-IRQ use.
 *
 * They run when this module is loaded after goalloc.ko. Cases that need
 * an idle allocator drain the CPU caches first; cases that provoke reports
 * announce them with goalloc_expect_reports() so that they print as info.
 */

#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/cpu.h>
#include <linux/delay.h>
#include <linux/hrtimer.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/prandom.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#include "../goalloc_internal.h"

MODULE_IMPORT_NS(GOALLOC_TEST_NS);

static unsigned long events(enum goalloc_event ev)
{
	unsigned long sum[NR_GOALLOC_EVENTS];

	goalloc_counters_sum(sum);
	return sum[ev];
}

static unsigned long class_inuse(unsigned int cls)
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

static struct expected_reports expect_reports_begin(enum goalloc_event ev,
						    int n)
{
	struct expected_reports e = { .ev = ev, .n = n, .before = events(ev) };

	goalloc_expect_reports(n);
	return e;
}

static void expect_reports_end(struct kunit *test, struct expected_reports e)
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

/* ------------------------------------------------------------------ */
/* goalloc_size_class */

static void table_has_67_classes_from_8_to_32k(struct kunit *test)
{
	unsigned int cls;

	KUNIT_EXPECT_EQ(test, GOALLOC_NUM_CLASSES - 1, 67);
	KUNIT_EXPECT_EQ(test, class_to_size[1], 8);
	KUNIT_EXPECT_EQ(test, class_to_size[GOALLOC_NUM_CLASSES - 1], 32768);
	for (cls = 2; cls < GOALLOC_NUM_CLASSES; cls++)
		KUNIT_EXPECT_GT_MSG(test, class_to_size[cls], class_to_size[cls - 1],
				    "class %u", cls);
}

static void table_has_go_entries(struct kunit *test)
{
	static const struct { unsigned int size, npages, objs; } go[] = {
		{ 24, 1, 341 }, { 48, 1, 170 }, { 1152, 1, 7 },
		{ 9472, 7, 6 }, { 27264, 10, 3 }, { 32768, 4, 1 },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(go); i++) {
		unsigned int cls = size_to_class(go[i].size);

		KUNIT_EXPECT_EQ(test, class_to_size[cls], go[i].size);
		KUNIT_EXPECT_EQ(test, class_to_npages[cls], go[i].npages);
		KUNIT_EXPECT_EQ(test, class_span_objects(cls), go[i].objs);
	}
}

static void every_span_tail_waste_within_one_eighth(struct kunit *test)
{
	unsigned int cls;

	for (cls = 1; cls < GOALLOC_NUM_CLASSES; cls++) {
		unsigned long span = class_to_npages[cls] * GOALLOC_PAGE_SIZE;

		KUNIT_EXPECT_LE_MSG(test, span % class_to_size[cls], span / 8,
				    "class %u", cls);
	}
}

static void every_size_maps_to_smallest_fitting_class(struct kunit *test)
{
	unsigned int size, cls;

	for (size = 1; size <= GOALLOC_MAX_SMALL_SIZE; size++) {
		cls = size_to_class(size);
		if (class_to_size[cls] < size ||
		    (cls > 1 && class_to_size[cls - 1] >= size)) {
			KUNIT_FAIL(test, "size %u -> class %u (%u bytes)", size,
				   cls, class_to_size[cls]);
			return;
		}
	}
}

static void divmul_exact_for_every_class_and_offset(struct kunit *test)
{
	unsigned int cls, off;

	for (cls = 1; cls < GOALLOC_NUM_CLASSES; cls++) {
		unsigned int span = class_to_npages[cls] * GOALLOC_PAGE_SIZE;

		for (off = 0; off <= span; off++) {
			if (class_obj_index(cls, off) != off / class_to_size[cls]) {
				KUNIT_FAIL(test, "class %u offset %u", cls, off);
				return;
			}
		}
	}
}

static struct kunit_case size_class_cases[] = {
	KUNIT_CASE(table_has_67_classes_from_8_to_32k),
	KUNIT_CASE(table_has_go_entries),
	KUNIT_CASE(every_span_tail_waste_within_one_eighth),
	KUNIT_CASE(every_size_maps_to_smallest_fitting_class),
	KUNIT_CASE(divmul_exact_for_every_class_and_offset),
	{}
};

static struct kunit_suite size_class_suite = {
	.name = "goalloc_size_class",
	.test_cases = size_class_cases,
};

/* ------------------------------------------------------------------ */
/* goalloc_span: spans made here are private to the test, not in mcentral */

static struct span *test_span(struct kunit *test, unsigned int size)
{
	unsigned int cls = size_to_class(size);
	struct span *s = span_create(cls, class_to_npages[cls], GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, s);
	return s;
}

static void **test_objs(struct kunit *test, unsigned int n)
{
	void **objs = kunit_kcalloc(test, n, sizeof(void *), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, objs);
	return objs;
}

static void span_take_hands_out_every_slot_once(struct kunit *test)
{
	static const unsigned int sizes[] = { 8, 24, 48, 1152, 9472 };
	unsigned int i, j, n, size;
	void **objs = test_objs(test, GOALLOC_MAX_SPAN_OBJECTS + 1);

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		struct span *s = test_span(test, sizes[i]);

		size = class_to_size[s->cls];
		n = span_take(s, objs, GOALLOC_MAX_SPAN_OBJECTS + 1);
		KUNIT_EXPECT_EQ(test, n, s->nelems);
		KUNIT_EXPECT_EQ(test, s->allocated, s->nelems);
		/* In order, each slot once, all inside the span. */
		for (j = 0; j < n; j++)
			KUNIT_EXPECT_PTR_EQ_MSG(test, objs[j],
						(void *)(s->base + j * size),
						"size %u slot %u", size, j);
		KUNIT_EXPECT_EQ(test, span_take(s, objs, 1), 0U);
		for (j = 0; j < n; j++)
			span_put(s, j);
		KUNIT_EXPECT_EQ(test, s->allocated, 0);
		span_destroy(s);
	}
}

static void span_window_crosses_word_boundaries(struct kunit *test)
{
	struct span *s = test_span(test, 8);	/* 1024 slots, 16 words */
	void **objs = test_objs(test, 130);
	unsigned int i;

	KUNIT_ASSERT_EQ(test, span_take(s, objs, 63), 63U);
	KUNIT_EXPECT_EQ(test, s->freeindex, 0);
	KUNIT_ASSERT_EQ(test, span_take(s, objs, 2), 2U);
	/* Slots 63 and 64: the second comes from the next window. */
	KUNIT_EXPECT_PTR_EQ(test, objs[0], (void *)(s->base + 63 * 8));
	KUNIT_EXPECT_PTR_EQ(test, objs[1], (void *)(s->base + 64 * 8));
	KUNIT_EXPECT_EQ(test, s->freeindex, 64);
	KUNIT_ASSERT_EQ(test, span_take(s, objs, 130), 130U);
	KUNIT_EXPECT_PTR_EQ(test, objs[129], (void *)(s->base + 194 * 8));
	for (i = 0; i < 195; i++)
		span_put(s, i);
	span_destroy(s);
}

static void span_put_below_window_is_found_again(struct kunit *test)
{
	struct span *s = test_span(test, 8);
	void **objs = test_objs(test, GOALLOC_MAX_SPAN_OBJECTS);
	unsigned int i;

	KUNIT_ASSERT_EQ(test, span_take(s, objs, 1024), 1024U);
	span_put(s, 130);
	span_put(s, 3);
	span_put(s, 1023);
	KUNIT_EXPECT_EQ(test, s->freeindex, 0);
	KUNIT_ASSERT_EQ(test, span_take(s, objs, 4), 3U);
	KUNIT_EXPECT_PTR_EQ(test, objs[0], (void *)(s->base + 3 * 8));
	KUNIT_EXPECT_PTR_EQ(test, objs[1], (void *)(s->base + 130 * 8));
	KUNIT_EXPECT_PTR_EQ(test, objs[2], (void *)(s->base + 1023 * 8));
	for (i = 0; i < 1024; i++)
		span_put(s, i);
	span_destroy(s);
}

static void span_tail_slots_are_never_handed_out(struct kunit *test)
{
	struct span *s = test_span(test, 24);	/* 341 slots: 21 tail bits */
	void **objs = test_objs(test, 400);
	unsigned int i;

	KUNIT_EXPECT_EQ(test, s->nelems, 341);
	KUNIT_EXPECT_EQ(test, span_take(s, objs, 400), 341U);
	for (i = 341; i < 384; i++)
		KUNIT_EXPECT_TRUE_MSG(test, test_bit(i, s->allocbits), "bit %u", i);
	KUNIT_EXPECT_EQ(test, bitmap_weight(s->allocbits, 384), 384U);
	for (i = 0; i < 341; i++)
		span_put(s, i);
	KUNIT_EXPECT_EQ(test, bitmap_weight(s->allocbits, 384), 384U - 341);
	span_destroy(s);
}

static void span_pages_map_back_to_their_span(struct kunit *test)
{
	struct span *s = test_span(test, 9472);	/* 7 Go pages */
	unsigned long addr, end = s->base + span_bytes(s);

	for (addr = s->base; addr < end; addr += PAGE_SIZE / 2)
		KUNIT_EXPECT_PTR_EQ(test, span_of((void *)addr), s);
	addr = s->base;
	span_destroy(s);
	KUNIT_EXPECT_NULL(test, span_of((void *)addr));
	KUNIT_EXPECT_NULL(test, span_of((void *)(end - 1)));
}

static struct kunit_case span_cases[] = {
	KUNIT_CASE(span_take_hands_out_every_slot_once),
	KUNIT_CASE(span_window_crosses_word_boundaries),
	KUNIT_CASE(span_put_below_window_is_found_again),
	KUNIT_CASE(span_tail_slots_are_never_handed_out),
	KUNIT_CASE(span_pages_map_back_to_their_span),
	{}
};

static struct kunit_suite span_suite = {
	.name = "goalloc_span",
	.test_cases = span_cases,
};

/* ------------------------------------------------------------------ */
/* goalloc_central: a size that no other case uses (27264, 3 per span) */

#define CENTRAL_SIZE	27264

static void central_fill_caches_a_span_and_moves_it_to_full(struct kunit *test)
{
	unsigned int cls = size_to_class(CENTRAL_SIZE);
	struct central *c = &goalloc_central[cls];
	struct span *cached = NULL, *s;
	unsigned long flags;
	void *objs[4];
	unsigned int n;

	goalloc_drain(false);
	s = span_create(cls, class_to_npages[cls], GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, s);
	spin_lock_irqsave(&c->lock, flags);
	__central_add_span(c, s);
	n = __central_fill(c, objs, 2, &cached, 7);
	KUNIT_EXPECT_EQ(test, n, 2U);
	KUNIT_EXPECT_PTR_EQ(test, cached, s);
	KUNIT_EXPECT_EQ(test, s->state, SPAN_CACHED);
	KUNIT_EXPECT_EQ(test, s->cpu, 7);
	n = __central_fill(c, objs + 2, 1, &cached, 7);
	KUNIT_EXPECT_EQ(test, n, 1U);
	KUNIT_EXPECT_NULL(test, cached);
	KUNIT_EXPECT_EQ(test, s->state, SPAN_FULL);
	KUNIT_EXPECT_EQ(test, c->nr_spans[SPAN_FULL], 1UL);

	__central_return(c, objs, 1, 7);
	KUNIT_EXPECT_EQ(test, s->state, SPAN_PARTIAL);
	KUNIT_EXPECT_PTR_EQ(test, list_first_entry(&c->partial, struct span, list), s);
	__central_return(c, objs + 1, 2, 7);
	/* The class keeps one empty span instead of freeing it. */
	KUNIT_EXPECT_EQ(test, s->state, SPAN_EMPTY);
	KUNIT_EXPECT_EQ(test, c->nr_spans[SPAN_EMPTY], 1UL);
	KUNIT_EXPECT_EQ(test, c->objects, 0UL);
	spin_unlock_irqrestore(&c->lock, flags);
	goalloc_drain(false);
	KUNIT_EXPECT_EQ(test, c->nr_spans[SPAN_EMPTY], 0UL);
}

static void central_frees_empty_spans_beyond_the_one_kept(struct kunit *test)
{
	unsigned int cls = size_to_class(CENTRAL_SIZE);
	struct central *c = &goalloc_central[cls];
	unsigned long before;
	void *p[6];
	int i;

	goalloc_drain(false);
	before = events(EV_SPAN_FREE);
	for (i = 0; i < 6; i++) {
		p[i] = goalloc_alloc(CENTRAL_SIZE, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p[i]);
	}
	for (i = 0; i < 6; i++)
		goalloc_free(p[i]);
	goalloc_drain(false);
	KUNIT_EXPECT_EQ(test, class_inuse(cls), 0UL);
	KUNIT_EXPECT_EQ(test, c->nr_spans[SPAN_PARTIAL] + c->nr_spans[SPAN_FULL] +
			c->nr_spans[SPAN_CACHED] + c->nr_spans[SPAN_EMPTY], 0UL);
	KUNIT_EXPECT_GE(test, events(EV_SPAN_FREE) - before, 2UL);
}

static struct kunit_case central_cases[] = {
	KUNIT_CASE(central_fill_caches_a_span_and_moves_it_to_full),
	KUNIT_CASE(central_frees_empty_spans_beyond_the_one_kept),
	{}
};

static struct kunit_suite central_suite = {
	.name = "goalloc_central",
	.test_cases = central_cases,
};

/* ------------------------------------------------------------------ */
/* goalloc_heap */

static void heap_reuses_a_freed_run_first_fit(struct kunit *test)
{
	struct heap_chunk *c1, *c2, *c3;
	unsigned int f1, f2, f3;

	KUNIT_ASSERT_EQ(test, heap_alloc_run(3, GFP_KERNEL, &c1, &f1), 0);
	KUNIT_ASSERT_EQ(test, heap_alloc_run(5, GFP_KERNEL, &c2, &f2), 0);
	heap_free_run(c1, f1, 3);
	KUNIT_ASSERT_EQ(test, heap_alloc_run(2, GFP_KERNEL, &c3, &f3), 0);
	/* First fit: the hole the 3-page run left, if it was the first. */
	KUNIT_EXPECT_TRUE(test, c3 != c1 || f3 <= f1);
	KUNIT_EXPECT_TRUE(test, test_bit(f3, c3->used));
	heap_free_run(c3, f3, 2);
	heap_free_run(c2, f2, 5);
}

static void heap_takes_a_new_chunk_when_full(struct kunit *test)
{
	struct heap_stats before, after;
	struct heap_chunk *c[3];
	unsigned int f[3], i;

	heap_stats_read(&before);
	/* Three whole chunks cannot fit in fewer than three chunks. */
	for (i = 0; i < 3; i++)
		KUNIT_ASSERT_EQ(test, heap_alloc_run(GOALLOC_CHUNK_PAGES, GFP_KERNEL,
						     &c[i], &f[i]), 0);
	heap_stats_read(&after);
	KUNIT_EXPECT_GE(test, after.chunks, before.chunks + 3 -
			(before.sys_pages - before.inuse_pages) /
			(GOALLOC_CHUNK_PAGES << GOALLOC_PAGE_ORDER));
	KUNIT_EXPECT_EQ(test, after.inuse_pages - before.inuse_pages,
			3UL * (GOALLOC_CHUNK_PAGES << GOALLOC_PAGE_ORDER));
	KUNIT_EXPECT_TRUE(test, c[0] != c[1] && c[1] != c[2] && c[0] != c[2]);
	for (i = 0; i < 3; i++)
		heap_free_run(c[i], f[i], GOALLOC_CHUNK_PAGES);
}

static void heap_releases_idle_chunks_beyond_headroom(struct kunit *test)
{
	struct heap_chunk *c;
	unsigned int f;
	struct heap_stats st;

	goalloc_drain(false);
	KUNIT_ASSERT_EQ(test, heap_alloc_run(1, GFP_KERNEL, &c, &f), 0);
	heap_free_run(c, f, 1);
	heap_release_free_chunks(0);
	heap_stats_read(&st);
	/* Only chunks with pages in use remain. */
	KUNIT_EXPECT_LE(test, st.sys_pages - st.inuse_pages,
			(unsigned long)GOALLOC_CHUNK_PAGES << GOALLOC_PAGE_ORDER);
	KUNIT_EXPECT_EQ(test, st.pages_from_buddy - st.pages_returned, st.sys_pages);
}

static void shrinker_gives_back_the_headroom(struct kunit *test)
{
	struct heap_chunk *c;
	struct heap_stats before, after;
	unsigned int f;

	KUNIT_ASSERT_EQ(test, heap_alloc_run(GOALLOC_CHUNK_PAGES, GFP_KERNEL, &c, &f), 0);
	heap_free_run(c, f, GOALLOC_CHUNK_PAGES);
	/* The idle chunk is within the headroom: only pressure takes it. */
	heap_stats_read(&before);
	KUNIT_EXPECT_GT(test, heap_shrink(ULONG_MAX), 0UL);
	heap_stats_read(&after);
	KUNIT_EXPECT_GT(test, after.pages_returned, before.pages_returned);
	KUNIT_EXPECT_EQ(test, after.shrinker_calls, before.shrinker_calls + 1);
	KUNIT_EXPECT_EQ(test, heap_shrink(ULONG_MAX), 0UL);
}

static struct kunit_case heap_cases[] = {
	KUNIT_CASE(heap_reuses_a_freed_run_first_fit),
	KUNIT_CASE(heap_takes_a_new_chunk_when_full),
	KUNIT_CASE(heap_releases_idle_chunks_beyond_headroom),
	KUNIT_CASE(shrinker_gives_back_the_headroom),
	{}
};

static struct kunit_suite heap_suite = {
	.name = "goalloc_heap",
	.test_cases = heap_cases,
};

/* ------------------------------------------------------------------ */
/* goalloc_api */

static void size_zero_returns_zero_size_ptr(struct kunit *test)
{
	KUNIT_EXPECT_PTR_EQ(test, goalloc_alloc(0, GFP_KERNEL), ZERO_SIZE_PTR);
	KUNIT_EXPECT_PTR_EQ(test, goalloc_zalloc(0, GFP_KERNEL), ZERO_SIZE_PTR);
	KUNIT_EXPECT_PTR_EQ(test, goalloc_calloc(0, 8, GFP_KERNEL), ZERO_SIZE_PTR);
	KUNIT_EXPECT_EQ(test, goalloc_usable_size(ZERO_SIZE_PTR), 0UL);
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
	q = goalloc_realloc(p, 1, GFP_KERNEL);
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
		p = goalloc_alloc(class_to_size[cls - 1] + 1, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p);
		KUNIT_EXPECT_EQ_MSG(test, goalloc_usable_size(p),
				    (size_t)class_to_size[cls], "class %u", cls);
		goalloc_free(p);
	}
}

static void power_of_two_sizes_are_naturally_aligned(struct kunit *test)
{
	unsigned int size, i;
	void *p[8];

	for (size = 8; size <= PAGE_SIZE; size *= 2) {
		for (i = 0; i < ARRAY_SIZE(p); i++) {
			p[i] = goalloc_alloc(size, GFP_KERNEL);
			KUNIT_ASSERT_NOT_NULL(test, p[i]);
			KUNIT_EXPECT_TRUE_MSG(test, IS_ALIGNED((unsigned long)p[i], size),
					      "size %u %p", size, p[i]);
		}
		for (i = 0; i < ARRAY_SIZE(p); i++)
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
	struct heap_stats before, during;
	unsigned int i;
	u8 *p;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		heap_stats_read(&before);
		p = goalloc_alloc(sizes[i], GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p);
		KUNIT_EXPECT_TRUE(test, IS_ALIGNED((unsigned long)p, GOALLOC_PAGE_SIZE));
		KUNIT_EXPECT_EQ(test, goalloc_usable_size(p),
				round_up(sizes[i], GOALLOC_PAGE_SIZE));
		heap_stats_read(&during);
		KUNIT_EXPECT_EQ(test, during.large_objects, before.large_objects + 1);
		KUNIT_EXPECT_EQ(test, during.large_pages - before.large_pages,
				round_up(sizes[i], GOALLOC_PAGE_SIZE) >> PAGE_SHIFT);
		memset(p, 0x5a, sizes[i]);
		goalloc_free(p);
		heap_stats_read(&during);
		KUNIT_EXPECT_EQ(test, during.large_objects, before.large_objects);
	}
}

static struct kunit_case api_cases[] = {
	KUNIT_CASE(size_zero_returns_zero_size_ptr),
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
	KUNIT_CASE(power_of_two_sizes_are_naturally_aligned),
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
	void *k = kmalloc(64, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, k);
	EXPECT_REPORTS(test, 3, EV_REFUSED_FOREIGN, {
		goalloc_free(k);
		goalloc_free(&on_stack);
		goalloc_free(&a_global);
	});
	/* kmalloc still owns it: kfree works. */
	kfree(k);
}

static void free_of_interior_pointer_is_refused(struct kunit *test)
{
	u8 *p = goalloc_alloc(64, GFP_KERNEL);
	u8 *big = goalloc_alloc(100000, GFP_KERNEL);

	KUNIT_ASSERT_TRUE(test, p && big);
	memset(p, 0x11, 64);
	EXPECT_REPORTS(test, 3, EV_REFUSED_INTERIOR, {
		goalloc_free(p + 8);
		goalloc_free(p + 1);
		goalloc_free(big + PAGE_SIZE);
	});
	/* Nothing changed: the object is intact and still allocated. */
	KUNIT_EXPECT_NULL(test, memchr_inv(p, 0x11, 64));
	KUNIT_EXPECT_EQ(test, goalloc_usable_size(p), 64UL);
	goalloc_free(p);
	goalloc_free(big);
}

static void double_free_of_object_free_in_span_is_refused(struct kunit *test)
{
	unsigned int cls = size_to_class(3000);
	unsigned long inuse;
	void *p, *q;

	p = goalloc_alloc(3000, GFP_KERNEL);
	q = goalloc_alloc(3000, GFP_KERNEL);
	KUNIT_ASSERT_TRUE(test, p && q);
	/* q keeps the span alive once p is back in it. */
	KUNIT_ASSERT_PTR_EQ(test, span_of(p), span_of(q));
	goalloc_free(p);
	goalloc_drain(false);	/* now free in its span, not in a cache */
	inuse = class_inuse(cls);
	EXPECT_REPORTS(test, 1, EV_REFUSED_DOUBLE_FREE, goalloc_free(p));
	goalloc_drain(false);
	KUNIT_EXPECT_EQ(test, class_inuse(cls), inuse);
	goalloc_free(q);
}

static void double_free_of_large_object_is_refused(struct kunit *test)
{
	void *p = goalloc_alloc(200000, GFP_KERNEL);
	struct heap_stats before, after;

	KUNIT_ASSERT_NOT_NULL(test, p);
	goalloc_free(p);
	heap_stats_read(&before);
	/* Its pages went back to the heap: goalloc no longer owns the pointer. */
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
	p[100] = 0;	/* the bug under test */
	EXPECT_REPORTS(test, 1, EV_POISON_CORRUPTED,
		       q = goalloc_alloc(640, GFP_KERNEL));
	KUNIT_ASSERT_NOT_NULL(test, q);
	/* The corrupted object is not handed out again. */
	KUNIT_EXPECT_PTR_NE(test, q, p);
	KUNIT_EXPECT_GT(test, class_inuse(cls), 0UL);
	goalloc_free(q);
}

static struct kunit_case bad_input_cases[] = {
	KUNIT_CASE(free_of_foreign_pointer_is_refused),
	KUNIT_CASE(free_of_interior_pointer_is_refused),
	KUNIT_CASE(double_free_of_object_free_in_span_is_refused),
	KUNIT_CASE(double_free_of_large_object_is_refused),
	KUNIT_CASE(realloc_and_usable_size_refuse_foreign_pointers),
	KUNIT_CASE(debug_catches_double_free_in_cpu_cache),
	KUNIT_CASE(debug_catches_write_after_free),
	{}
};

static struct kunit_suite bad_input_suite = {
	.name = "goalloc_bad_input",
	.test_cases = bad_input_cases,
};

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

#define MCACHE_TEST_MAX	65

static void full_magazine_flushes_half_to_mcentral(struct kunit *test)
{
	unsigned int cls = size_to_class(2000), cap = mcache_class_cap(cls);
	unsigned int i, n, start;
	struct mcache_class *m;
	unsigned long flushes;
	void *p[MCACHE_TEST_MAX];

	KUNIT_ASSERT_LE(test, cap + 1, (unsigned int)MCACHE_TEST_MAX);
	goalloc_drain(false);
	migrate_disable();
	m = this_cpu_class(cls);
	for (i = 0; i <= cap; i++)
		p[i] = goalloc_alloc(2000, GFP_KERNEL);
	for (i = 0; i <= cap; i++)
		KUNIT_ASSERT_NOT_NULL(test, p[i]);
	KUNIT_EXPECT_LT(test, m->count, cap / 2);
	start = m->count;
	flushes = m->flushes;
	for (n = 0; n < cap - start; n++)
		goalloc_free(p[n]);
	KUNIT_EXPECT_EQ(test, m->count, cap);
	KUNIT_EXPECT_EQ(test, m->flushes, flushes);
	goalloc_free(p[n++]);
	KUNIT_EXPECT_EQ(test, m->count, cap - cap / 2 + 1);
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

static void remote_free_returns_objects_of_a_span_cached_elsewhere(struct kunit *test)
{
	/* One refill (32 of 56 slots): the span stays cached by that CPU. */
	struct cross_cpu x = { .n = 20, .size = 136 };
	unsigned int cls = size_to_class(136);
	unsigned long inuse;
	struct span *cached;
	int a, b;

	if (num_online_cpus() < 2)
		kunit_skip(test, "needs two CPUs");
	a = cpumask_first(cpu_online_mask);
	b = cpumask_next(a, cpu_online_mask);
	x.objs = kunit_kcalloc(test, x.n, sizeof(void *), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, x.objs);
	goalloc_drain(false);
	inuse = class_inuse(cls);
	KUNIT_ASSERT_EQ(test, work_on_cpu(a, alloc_on_cpu, &x), 0L);
	cached = READ_ONCE(mcache_of(a)->cls[cls].span);
	KUNIT_EXPECT_NOT_NULL(test, cached);
	KUNIT_EXPECT_EQ(test, class_inuse(cls), inuse + x.n);
	KUNIT_ASSERT_EQ(test, work_on_cpu(b, free_on_cpu, &x), 0L);
	goalloc_drain(false);
	KUNIT_EXPECT_EQ(test, class_inuse(cls), inuse);
	KUNIT_EXPECT_EQ(test, goalloc_central[cls].objects, inuse);
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
	KUNIT_EXPECT_GE(test, m->count, 8U);
	KUNIT_EXPECT_NOT_NULL(test, m->span);
	err = remove_cpu(cpu);
	if (err)
		kunit_skip(test, "cannot offline CPU %d: %d", cpu, err);
	KUNIT_EXPECT_EQ(test, m->count, 0U);
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
	int rounds, ok, in_hardirq;
};

static enum hrtimer_restart irq_alloc_fn(struct hrtimer *t)
{
	struct irq_alloc *ia = container_of(t, struct irq_alloc, timer);
	u8 *p = goalloc_alloc(64 + ia->rounds * 8, GFP_ATOMIC);

	ia->in_hardirq += !!in_hardirq();
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
	KUNIT_CASE(offline_cpu_has_its_cache_flushed),
	KUNIT_CASE(threads_on_every_cpu_trade_objects_intact),
	KUNIT_CASE(alloc_and_free_from_hardirq),
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
		unsigned int cls = size_to_class(req[i]), size = class_to_size[cls];
		unsigned int per = class_span_objects(cls);
		unsigned long tail = class_to_npages[cls] * GOALLOC_PAGE_SIZE - per * size;

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
		KUNIT_EXPECT_EQ(test, COL(during, COL_FREE),
				COL(during, COL_SPANS) * per - COL(during, COL_INUSE));
		KUNIT_EXPECT_EQ(test, COL(during, COL_SPANS),
				COL(during, COL_PARTIAL) + COL(during, COL_FULL) +
				COL(during, COL_EMPTY) + COL(during, COL_CACHED));
		KUNIT_EXPECT_EQ(test, COL(during, COL_HIST0) + COL(during, COL_HIST1) +
				COL(during, COL_HIST2) + COL(during, COL_HIST3),
				COL(during, COL_SPANS));
		KUNIT_EXPECT_EQ(test, COL(during, COL_TAIL_WASTE),
				COL(during, COL_SPANS) * tail);
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
	unsigned int cls = size_to_class(1100), per = class_span_objects(cls);
	unsigned long v[ROW_FIELDS];
	void *p[16];
	unsigned int i;
	char key[8];

	/* 7 per span: one full span and one 4/7 (57 %) full, after draining. */
	KUNIT_ASSERT_EQ(test, per, 7U);
	goalloc_drain(false);
	for (i = 0; i < per + 4; i++) {
		p[i] = goalloc_alloc(1100, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p[i]);
	}
	goalloc_drain(false);
	snprintf(key, sizeof(key), "%u", cls);
	classes_row(render(test, "classes"), key, v);
	KUNIT_EXPECT_EQ(test, COL(v, COL_INUSE), (unsigned long)per + 4);
	KUNIT_EXPECT_EQ(test, COL(v, COL_SPANS), 2UL);
	KUNIT_EXPECT_EQ(test, COL(v, COL_HIST3), 1UL);
	KUNIT_EXPECT_EQ(test, COL(v, COL_HIST2), 1UL);
	KUNIT_EXPECT_EQ(test, COL(v, COL_HIST0) + COL(v, COL_HIST1), 0UL);
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
		KUNIT_EXPECT_EQ(test, objsize, (unsigned int)class_to_size[rows + 1]);
		KUNIT_EXPECT_EQ(test, perslab, class_span_objects(rows + 1));
		rows++;
	}
	KUNIT_EXPECT_EQ(test, rows, GOALLOC_NUM_CLASSES - 1);
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
	struct span *s;
	void *objs[2];

	goalloc_drain(false);
	s = span_create(cls, class_to_npages[cls], GFP_KERNEL);
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

	spin_lock_irqsave(&c->lock, flags);
	for (i = 0; i < 2; i++)
		span_put(s, span_obj_index(s, objs[i]));
	c->objects -= 2;
	c->nr_spans[SPAN_PARTIAL]--;
	list_del(&s->list);
	spin_unlock_irqrestore(&c->lock, flags);
	span_destroy(s);
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
	KUNIT_CASE(verify_is_clean_after_every_suite),
	{}
};

static struct kunit_suite verify_suite = {
	.name = "goalloc_verify",
	.test_cases = verify_cases,
};

kunit_test_suites(&size_class_suite, &span_suite, &central_suite, &heap_suite,
		  &api_suite, &bad_input_suite, &mcache_suite, &stats_suite,
		  &verify_suite);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit tests for goalloc");
