// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of goalloc's lower layers: the size class table, spans,
 * mcentral and the page heap.
 */

#include <kunit/test.h>
#include <linux/delay.h>
#include <linux/module.h>
#include <linux/sizes.h>
#include <linux/spinlock.h>

#include "goalloc_test.h"

MODULE_IMPORT_NS(GOALLOC_TEST_NS);

/* ------------------------------------------------------------------ */
/* goalloc_size_class */

static void table_has_67_classes_from_8_to_32k(struct kunit *test)
{
	unsigned int cls;

	KUNIT_EXPECT_EQ(test, GOALLOC_NUM_CLASSES - 1, 67);
	KUNIT_EXPECT_EQ(test, class_info[1].size, 8);
	KUNIT_EXPECT_EQ(test, class_info[GOALLOC_NUM_CLASSES - 1].size, 32768);
	for (cls = 2; cls < GOALLOC_NUM_CLASSES; cls++)
		KUNIT_EXPECT_GT_MSG(test, class_info[cls].size, class_info[cls - 1].size,
				    "class %u", cls);
}

static void table_has_go_entries(struct kunit *test)
{
	/* Go's geometry, and three spans grown to hold more objects. */
	static const struct { unsigned int size, npages, objs; } go[] = {
		{ 24, 1, 341 }, { 48, 1, 170 }, { 3456, 3, 7 },
		{ 9472, 7, 6 }, { 27264, 10, 3 }, { 32768, 4, 1 },
		{ 1152, 2, 14 }, { 4096, 4, 8 }, { 8192, 4, 4 },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(go); i++) {
		unsigned int cls = size_to_class(go[i].size);

		KUNIT_EXPECT_EQ(test, class_info[cls].size, go[i].size);
		KUNIT_EXPECT_EQ(test, class_info[cls].npages, go[i].npages);
		KUNIT_EXPECT_EQ(test, class_span_objects(cls), go[i].objs);
	}
}

static void every_span_tail_waste_within_one_eighth(struct kunit *test)
{
	unsigned int cls;

	for (cls = 1; cls < GOALLOC_NUM_CLASSES; cls++) {
		unsigned long span = class_info[cls].npages * GOALLOC_PAGE_SIZE;

		KUNIT_EXPECT_LE_MSG(test, span % class_info[cls].size, span / 8,
				    "class %u", cls);
		/*
		 * The tail's first byte, slot nelems, passes __span_put()'s
		 * bound by the span's bytes (the stale copy of a double free
		 * can be any slot start): its bit must lie in the bitmap words.
		 */
		if (span % class_info[cls].size)
			KUNIT_EXPECT_NE_MSG(test, class_span_objects(cls) % BITS_PER_LONG, 0U,
					    "class %u", cls);
	}
}

static void every_size_maps_to_smallest_fitting_class(struct kunit *test)
{
	unsigned int size, cls;

	for (size = 1; size <= GOALLOC_MAX_SMALL_SIZE; size++) {
		cls = size_to_class(size);
		if (class_info[cls].size < size ||
		    (cls > 1 && class_info[cls - 1].size >= size)) {
			KUNIT_FAIL(test, "size %u -> class %u (%u bytes)", size,
				   cls, class_info[cls].size);
			return;
		}
	}
}

static void divmul_and_slot_test_exact_at_every_offset(struct kunit *test)
{
	unsigned long idx;
	unsigned int cls, off;

	for (cls = 1; cls < GOALLOC_NUM_CLASSES; cls++) {
		unsigned int span = class_info[cls].npages * GOALLOC_PAGE_SIZE;
		unsigned int size = class_info[cls].size;
		const u64 *magic = &class_divmagic[cls];

		if (*magic != divmagic_of(size)) {
			KUNIT_FAIL(test, "class %u: divmagic %llx", cls, *magic);
			return;
		}
		for (off = 0; off <= span; off++) {
			if (divmagic_idx(off, magic) != off / size ||
			    divmagic_slot(off, magic, &idx) != !(off % size) ||
			    idx != off / size) {
				KUNIT_FAIL(test, "class %u offset %u", cls, off);
				return;
			}
		}
	}
}

/*
 * Below 2^32 the index and the slot test are exact for any size, a
 * cache's too; above, the index is never below the quotient, so that an
 * offset past a span, or below its base (wrapped around), has an index
 * past the span's slots and a free's bound test refuses it before its
 * bitmap is read, whatever a stale span says.
 */
static void divmul_exact_below_4g_never_low_above(struct kunit *test)
{
	static const unsigned int sizes[] = { 8, 24, 1160, 32768, 33800,
					      GOALLOC_MAX_SIZE };
	static const unsigned long offs[] = {
		0, 8, 33800, 1UL << 31, U32_MAX - 7, U32_MAX, 1UL << 32,
		(1UL << 32) + 24, 1UL << 46, 1UL << 63, -(1UL << 20), -8UL,
		-1UL,
	};
	unsigned long idx;
	unsigned int i, j;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		unsigned int size = sizes[i];
		u64 magic = divmagic_of(size);

		for (j = 0; j < ARRAY_SIZE(offs); j++) {
			unsigned long off = offs[j];
			bool slot = divmagic_slot(off, &magic, &idx);

			KUNIT_EXPECT_EQ(test, idx, divmagic_idx(off, &magic));
			if (off <= U32_MAX) {
				KUNIT_EXPECT_EQ_MSG(test, idx, off / size,
						    "size %u offset %lx",
						    size, off);
				KUNIT_EXPECT_EQ_MSG(test, slot, !(off % size),
						    "size %u offset %lx",
						    size, off);
			} else {
				KUNIT_EXPECT_GE_MSG(test, idx, off / size,
						    "size %u offset %lx",
						    size, off);
			}
		}
	}
}

static struct kunit_case size_class_cases[] = {
	KUNIT_CASE(table_has_67_classes_from_8_to_32k),
	KUNIT_CASE(table_has_go_entries),
	KUNIT_CASE(every_span_tail_waste_within_one_eighth),
	KUNIT_CASE(every_size_maps_to_smallest_fitting_class),
	KUNIT_CASE(divmul_and_slot_test_exact_at_every_offset),
	KUNIT_CASE(divmul_exact_below_4g_never_low_above),
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
	struct span *s = span_create(cls, class_info[cls].npages, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, s);
	return s;
}

static void span_take_hands_out_every_slot_once(struct kunit *test)
{
	static const unsigned int sizes[] = { 8, 24, 48, 1152, 9472 };
	unsigned int i, j, n, size;
	void **objs = test_objs(test, GOALLOC_MAX_SPAN_OBJECTS + 1);

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		struct span *s = test_span(test, sizes[i]);

		size = class_info[s->cls].size;
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
	KUNIT_EXPECT_EQ(test, span_take(s, objs, 400), 0U);
	KUNIT_EXPECT_EQ(test, bitmap_weight(s->allocbits, 384), 341U);
	KUNIT_EXPECT_EQ(test, find_next_bit(s->allocbits, 384, 341), 384UL);
	/* Free some and take them again: the window stops short of the tail. */
	for (i = 300; i < 341; i += 2)
		span_put(s, i);
	KUNIT_EXPECT_EQ(test, span_take(s, objs, 400), 21U);
	KUNIT_EXPECT_PTR_EQ(test, objs[20], (void *)(s->base + 340 * 24));
	KUNIT_EXPECT_EQ(test, find_next_bit(s->allocbits, 384, 341), 384UL);
	for (i = 0; i < 341; i++)
		span_put(s, i);
	KUNIT_EXPECT_EQ(test, bitmap_weight(s->allocbits, 384), 0U);
	span_destroy(s);
}

/*
 * A free bounds its slot by the span's nelems before it reads the slot's
 * bit: a stale span struct (two frees racing, span_get()) may describe a
 * span that ends before the pointer, and the bit would lie past the
 * bitmap. Here the bits past nelems are set, as memory past a bitmap may
 * be: a pointer at slot nelems is refused, and one at slot 400, past the
 * bitmap's six words, too.
 */
static void slot_past_nelems_is_refused_before_its_bit_is_read(struct kunit *test)
{
	struct span *s = test_span(test, 24);	/* 341 slots: 21 tail bits */
	unsigned int cls = s->cls, idx, i;
	unsigned long slot;
	void *p[] = { (void *)(s->base + 341 * 24),
		      (void *)(s->base + 400 * 24) };

	for (i = 341; i < 384; i++)
		__set_bit(i, s->allocbits);
	for (i = 0; i < ARRAY_SIZE(p); i++) {
		KUNIT_EXPECT_FALSE_MSG(test, span_slot_live(s, cls, p[i], &slot),
				       "pointer %u", i);
		KUNIT_EXPECT_EQ_MSG(test, object_check(s, cls, p[i], &idx),
				    REPORT_INTERIOR, "pointer %u", i);
	}
	for (i = 341; i < 384; i++)
		__clear_bit(i, s->allocbits);
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

/* bits_find_run() against a bit-by-bit search, on random words. */
static void bits_find_run_finds_the_lowest_run(struct kunit *test)
{
	unsigned int i, n, bit, len, want;
	unsigned long bits;

	for (i = 0; i < 2000; i++) {
		/* Dense words, so that long runs occur. */
		bits = get_random_long() | get_random_long() | get_random_long();
		if (i % 3 == 0)
			bits = ~0UL << (i % BITS_PER_LONG);
		for (n = 1; n <= BITS_PER_LONG; n++) {
			want = BITS_PER_LONG;
			for (bit = 0, len = 0; bit < BITS_PER_LONG; bit++) {
				len = bits & BIT(bit) ? len + 1 : 0;
				if (len == n) {
					want = bit + 1 - n;
					break;
				}
			}
			KUNIT_ASSERT_EQ_MSG(test, bits_find_run(bits, n), want,
					    "bits %#lx n %u", bits, n);
		}
	}
}

/*
 * Only a large object's first page maps to its span; a pointer into its
 * other pages is found by span_around(), and one past it is not.
 */
static void large_object_maps_its_first_page_only(struct kunit *test)
{
	u8 *p = goalloc_alloc(100000, GFP_KERNEL);
	struct span *s;
	size_t bytes;

	KUNIT_ASSERT_NOT_NULL(test, p);
	s = span_of(p);
	KUNIT_ASSERT_NOT_NULL(test, s);
	bytes = span_bytes(s);
	KUNIT_EXPECT_EQ(test, bytes, 13UL * GOALLOC_PAGE_SIZE);
	KUNIT_EXPECT_NULL(test, span_of(p + PAGE_SIZE));
	KUNIT_EXPECT_NULL(test, span_of(p + bytes - 1));
	KUNIT_EXPECT_PTR_EQ(test, span_around(p + PAGE_SIZE), s);
	KUNIT_EXPECT_PTR_EQ(test, span_around(p + bytes - 1), s);
	KUNIT_EXPECT_NULL(test, span_around(p + bytes));
	KUNIT_EXPECT_EQ(test, goalloc_verify(NULL), 0);
	goalloc_free(p);
	KUNIT_EXPECT_NULL(test, span_of(p));
	KUNIT_EXPECT_NULL(test, span_around(p + PAGE_SIZE));
}

/*
 * Runs of large objects wait whole in a CPU's page cache for the next
 * allocation of their length there: runs freed on that CPU and, from the
 * second miss in a row for one length, runs taken four at a time. A
 * one-off allocation takes one run. The cache keeps at most 1 MiB, and a
 * drain gives it back.
 */
static void large_runs_are_kept_for_the_next_allocation(struct kunit *test)
{
	const unsigned long run = SZ_256K >> PAGE_SHIFT;  /* more than a block */
	unsigned long cached, inuse;
	struct heap_stats st;
	unsigned int i, ok = 0;
	void *p[9], *q;

	/* The page cache keeps spans of one metadata word only. */
	if (span_words(1) != 1)
		kunit_skip(test, "debug=1 or track_waste=1: such spans are not kept");
	/* Once, so that the heap has the runs and need not grow. */
	goalloc_scavenge_hold(true);
	for (i = 0; i < ARRAY_SIZE(p); i++)
		p[i] = goalloc_alloc(SZ_256K, GFP_KERNEL);
	for (i = 0; i < ARRAY_SIZE(p); i++)
		goalloc_free(p[i]);
	goalloc_drain(false);
	migrate_disable();
	cached = pcache_cached_pages();
	q = goalloc_alloc(SZ_128K + SZ_64K, GFP_KERNEL);
	KUNIT_EXPECT_EQ(test, pcache_cached_pages(), cached);
	goalloc_free(q);
	KUNIT_EXPECT_EQ(test, pcache_cached_pages() - cached, run * 3 / 4);
	goalloc_drain(false);
	KUNIT_EXPECT_EQ(test, pcache_cached_pages(), cached);

	for (i = 0; i < ARRAY_SIZE(p); i++) {
		p[i] = goalloc_alloc(SZ_256K, GFP_KERNEL);
		ok += !!p[i];
		/* The second miss in a row took four runs: three wait. */
		if (i < 2)
			KUNIT_EXPECT_EQ(test, pcache_cached_pages() - cached, i * 3 * run);
	}
	KUNIT_EXPECT_EQ(test, ok, ARRAY_SIZE(p));
	if (ok == ARRAY_SIZE(p)) {
		/* Three taken, then four more for the sixth, taken too. */
		KUNIT_EXPECT_EQ(test, pcache_cached_pages(), cached);
		heap_stats_read(&st);
		inuse = st.inuse_pages;
		goalloc_free(p[0]);
		/* Kept: in use for the heap, free for the page cache. */
		KUNIT_EXPECT_EQ(test, pcache_cached_pages() - cached, run);
		heap_stats_read(&st);
		KUNIT_EXPECT_EQ(test, st.inuse_pages, inuse);
		EXPECT_REPORTS(test, 1, EV_REFUSED_FOREIGN, goalloc_free(p[0]));
		q = goalloc_alloc(SZ_256K, GFP_KERNEL);
		KUNIT_EXPECT_PTR_EQ(test, q, p[0]);
		p[0] = q;
		/*
		 * Nine frees: the fourth fills 1 MiB, so the fifth makes the
		 * older half go first, and so on.
		 */
	}
	for (i = 0; i < ARRAY_SIZE(p); i++)
		goalloc_free(p[i]);
	if (ok == ARRAY_SIZE(p))
		KUNIT_EXPECT_EQ(test, pcache_cached_pages() - cached, 3 * run);
	migrate_enable();
	KUNIT_EXPECT_EQ(test, goalloc_verify(NULL), 0);
	goalloc_drain(false);
	goalloc_scavenge_hold(false);
	KUNIT_EXPECT_EQ(test, pcache_cached_pages(), 0UL);
	KUNIT_EXPECT_EQ(test, goalloc_verify(NULL), 0);
}

/*
 * A refill's batch: spans_create() makes up to n spans, each with its own
 * run, mapped and with every slot free; spans_destroy() gives them all
 * back in one call. A 32 KiB span holds one object: only its first page
 * maps, as a large object's.
 */
static void spans_are_made_and_given_back_in_batches(struct kunit *test)
{
	unsigned int cls = size_to_class(32768), n, i = 0, j;
	unsigned long made, freed, base[4];
	struct span *s;
	LIST_HEAD(list);

	/* A free run for the four spans at least, which the scavenger keeps. */
	goalloc_scavenge_hold(true);
	s = span_create(0, ARRAY_SIZE(base) * class_info[cls].npages, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, s);
	span_destroy(s);
	made = events(EV_SPAN_ALLOC);
	freed = events(EV_SPAN_FREE);
	n = spans_create(cls, ARRAY_SIZE(base), GFP_KERNEL, &list);
	KUNIT_ASSERT_EQ(test, n, (unsigned int)ARRAY_SIZE(base));
	KUNIT_EXPECT_EQ(test, events(EV_SPAN_ALLOC) - made, (unsigned long)n);
	list_for_each_entry(s, &list, list) {
		KUNIT_EXPECT_EQ(test, s->cls, cls);
		KUNIT_EXPECT_EQ(test, s->nelems, 1U);
		KUNIT_EXPECT_EQ(test, s->allocated, 0U);
		KUNIT_EXPECT_EQ(test, s->allocbits[0], 0UL);
		KUNIT_EXPECT_PTR_EQ(test, span_of((void *)s->base), s);
		KUNIT_EXPECT_NULL(test, span_of((void *)(s->base + PAGE_SIZE)));
		KUNIT_EXPECT_PTR_EQ(test, span_around((void *)(s->base + 32767)), s);
		for (j = 0; j < i; j++)
			KUNIT_EXPECT_NE(test, s->base, base[j]);
		base[i++] = s->base;
	}
	spans_destroy(&list);
	goalloc_scavenge_hold(false);
	KUNIT_EXPECT_TRUE(test, list_empty(&list));
	KUNIT_EXPECT_EQ(test, events(EV_SPAN_FREE) - freed, (unsigned long)n);
	for (j = 0; j < n; j++)
		KUNIT_EXPECT_NULL(test, span_of((void *)base[j]));
	KUNIT_EXPECT_EQ(test, goalloc_verify(NULL), 0);
}

/*
 * Go's page cache: a CPU cuts spans from a block of its own, a span freed
 * on that CPU gives its pages back to the block, and a drain gives the
 * block back to the heap.
 */
static void spans_come_from_this_cpus_page_cache(struct kunit *test)
{
	unsigned int cls = size_to_class(16384), npages = class_info[cls].npages;
	unsigned int word, bit;
	unsigned long free, mask;
	struct heap_stats before, st;
	struct heap_chunk *ch;
	struct span *s;
	int cpu;

	if (span_words(class_span_objects(cls)) != 1)
		kunit_skip(test, "debug=1 or track_waste=1: spans use the heap lock");
	/* A chunk to take a block from, which the scavenger keeps. */
	goalloc_scavenge_hold(true);
	s = span_create(0, 1, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, s);
	span_destroy(s);
	goalloc_drain(false);
	heap_stats_read(&before);
	migrate_disable();
	cpu = smp_processor_id();
	KUNIT_EXPECT_EQ(test, pcache_cpu_block(cpu, &ch, &word), 0UL);
	s = span_create(cls, npages, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, s);
	free = pcache_cpu_block(cpu, &ch, &word);
	KUNIT_ASSERT_PTR_EQ(test, s->chunk, ch);
	KUNIT_EXPECT_EQ(test, s->first / BITS_PER_LONG, word);
	bit = s->first % BITS_PER_LONG;
	mask = GENMASK(bit + npages - 1, bit);
	KUNIT_EXPECT_EQ(test, free & mask, 0UL);
	/* The block's pages are in use for the heap, its free ones too. */
	heap_stats_read(&st);
	KUNIT_EXPECT_EQ(test, st.inuse_pages - before.inuse_pages,
			(unsigned long)(hweight_long(free) + npages) <<
			GOALLOC_PAGE_ORDER);
	KUNIT_EXPECT_EQ(test, pcache_cached_pages(),
			(unsigned long)hweight_long(free) << GOALLOC_PAGE_ORDER);
	KUNIT_EXPECT_EQ(test, ch->used[word] & (free | mask), free | mask);
	span_destroy(s);
	KUNIT_EXPECT_EQ(test, pcache_cpu_block(cpu, &ch, &word), free | mask);
	migrate_enable();
	goalloc_drain(false);
	goalloc_scavenge_hold(false);
	KUNIT_EXPECT_EQ(test, pcache_cpu_block(cpu, &ch, &word), 0UL);
	KUNIT_EXPECT_EQ(test, pcache_cached_pages(), 0UL);
	heap_stats_read(&st);
	KUNIT_EXPECT_EQ(test, st.inuse_pages, before.inuse_pages);
	KUNIT_EXPECT_EQ(test, goalloc_verify(NULL), 0);
}

static struct kunit_case span_cases[] = {
	KUNIT_CASE(span_take_hands_out_every_slot_once),
	KUNIT_CASE(span_window_crosses_word_boundaries),
	KUNIT_CASE(span_put_below_window_is_found_again),
	KUNIT_CASE(span_tail_slots_are_never_handed_out),
	KUNIT_CASE(slot_past_nelems_is_refused_before_its_bit_is_read),
	KUNIT_CASE(span_pages_map_back_to_their_span),
	KUNIT_CASE(large_object_maps_its_first_page_only),
	KUNIT_CASE(large_runs_are_kept_for_the_next_allocation),
	KUNIT_CASE(bits_find_run_finds_the_lowest_run),
	KUNIT_CASE(spans_are_made_and_given_back_in_batches),
	KUNIT_CASE(spans_come_from_this_cpus_page_cache),
	{}
};

static struct kunit_suite span_suite = {
	.name = "goalloc_span",
	.test_cases = span_cases,
};

/* ------------------------------------------------------------------ */
/* goalloc_central: a size that no other case uses (27264, 3 per span) */

static void central_fill_caches_a_span_and_moves_it_to_full(struct kunit *test)
{
	unsigned int cls = size_to_class(CENTRAL_SIZE);
	struct central *c = &goalloc_central[cls];
	struct span *cached = NULL, *s;
	unsigned long flags;
	LIST_HEAD(fresh);
	LIST_HEAD(dead);
	void *objs[4];
	unsigned int n;

	goalloc_drain(false);
	s = span_create(cls, class_info[cls].npages, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, s);
	spin_lock_irqsave(&c->lock, flags);
	__central_add_span(c, s);
	n = __central_fill(c, objs, 2, &cached, 7, &fresh);
	KUNIT_EXPECT_EQ(test, n, 2U);
	KUNIT_EXPECT_PTR_EQ(test, cached, s);
	KUNIT_EXPECT_EQ(test, s->state, SPAN_CACHED);
	KUNIT_EXPECT_EQ(test, s->cpu, 7);
	n = __central_fill(c, objs + 2, 1, &cached, 7, &fresh);
	KUNIT_EXPECT_EQ(test, n, 1U);
	KUNIT_EXPECT_NULL(test, cached);
	KUNIT_EXPECT_EQ(test, s->state, SPAN_FULL);
	KUNIT_EXPECT_EQ(test, c->nr_spans[SPAN_FULL], 1UL);

	__central_return(c, objs, 1, 7, &dead);
	KUNIT_EXPECT_EQ(test, s->state, SPAN_PARTIAL);
	KUNIT_EXPECT_PTR_EQ(test, list_first_entry(&c->partial, struct span, list), s);
	__central_return(c, objs + 1, 2, 7, &dead);
	/* The class keeps one empty span instead of freeing it. */
	KUNIT_EXPECT_TRUE(test, list_empty(&dead));
	KUNIT_EXPECT_EQ(test, s->state, SPAN_EMPTY);
	KUNIT_EXPECT_EQ(test, c->nr_spans[SPAN_EMPTY], 1UL);
	KUNIT_EXPECT_EQ(test, c->objects, 0UL);
	spin_unlock_irqrestore(&c->lock, flags);
	goalloc_drain(false);
	KUNIT_EXPECT_EQ(test, c->nr_spans[SPAN_EMPTY], 0UL);
}

/*
 * An object freed twice while a magazine held it (the free path sees that
 * only with debug=1) reaches its span twice, when the magazine flushes:
 * the second is refused as a double free, and the span and class counts
 * stay right: counted twice, they would undercount, and a refill would
 * loop forever on a span whose bitmap is full. The second copy may also
 * come back after its span went back to the heap.
 */
static void central_return_refuses_an_object_free_in_its_span(struct kunit *test)
{
	unsigned int cls = size_to_class(CENTRAL_SIZE);
	struct central *c = &goalloc_central[cls];
	struct span *cached = NULL, *s;
	unsigned long flags;
	LIST_HEAD(fresh);
	LIST_HEAD(dead);
	void *objs[4];

	goalloc_drain(false);
	s = span_create(cls, class_info[cls].npages, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, s);
	spin_lock_irqsave(&c->lock, flags);
	__central_add_span(c, s);
	KUNIT_EXPECT_EQ(test, __central_fill(c, objs, 3, &cached, 7, &fresh), 3U);
	KUNIT_EXPECT_EQ(test, s->state, SPAN_FULL);
	objs[3] = objs[1];
	EXPECT_REPORTS(test, 1, EV_REFUSED_DOUBLE_FREE,
		       __central_return(c, objs + 1, 3, 7, &dead));
	KUNIT_EXPECT_EQ(test, s->allocated, 1U);
	KUNIT_EXPECT_EQ(test, s->state, SPAN_PARTIAL);
	KUNIT_EXPECT_EQ(test, c->objects, 1UL);
	/* Only objects free already: nothing moves. */
	EXPECT_REPORTS(test, 2, EV_REFUSED_DOUBLE_FREE,
		       __central_return(c, objs + 1, 2, 7, &dead));
	KUNIT_EXPECT_EQ(test, s->allocated, 1U);
	KUNIT_EXPECT_EQ(test, s->state, SPAN_PARTIAL);
	KUNIT_EXPECT_EQ(test, c->objects, 1UL);
	__central_return(c, objs, 1, 7, &dead);
	KUNIT_EXPECT_EQ(test, s->state, SPAN_EMPTY);
	KUNIT_EXPECT_EQ(test, c->objects, 0UL);
	spin_unlock_irqrestore(&c->lock, flags);
	KUNIT_EXPECT_TRUE(test, list_empty(&dead));
	KUNIT_EXPECT_EQ(test, goalloc_verify(NULL), 0);
	goalloc_drain(false);
	KUNIT_EXPECT_EQ(test, c->nr_spans[SPAN_EMPTY], 0UL);
	s = span_of(objs[0]);	/* its pages unmapped, or another class's */
	KUNIT_EXPECT_TRUE(test, !s || s->cls != cls);
	spin_lock_irqsave(&c->lock, flags);
	EXPECT_REPORTS(test, 1, EV_REFUSED_DOUBLE_FREE,
		       __central_return(c, objs, 1, 7, &dead));
	KUNIT_EXPECT_EQ(test, c->objects, 0UL);
	spin_unlock_irqrestore(&c->lock, flags);
	KUNIT_EXPECT_TRUE(test, list_empty(&dead));
	KUNIT_EXPECT_EQ(test, goalloc_verify(NULL), 0);
}

/*
 * What no check catches (README, "Bad input"): the second copy of a double
 * free comes back after its slot was handed out again. It is taken as the
 * new owner's free: no report, the slot is free in its span while the new
 * owner holds it, and the counts agree with the bitmap, so verify sees
 * nothing wrong. When the span's other objects go, it counts as empty
 * while the new owner still holds its object, and the new owner's free is
 * the one refused. The case shows the limit goalloc.h and README state.
 */
static void central_return_takes_a_stale_copy_of_a_reused_slot(struct kunit *test)
{
	unsigned int cls = size_to_class(CENTRAL_SIZE);
	struct central *c = &goalloc_central[cls];
	struct span *cached = NULL, *s;
	unsigned long flags, refused;
	LIST_HEAD(fresh);
	LIST_HEAD(dead);
	void *objs[3], *again;

	goalloc_drain(false);
	s = span_create(cls, class_info[cls].npages, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, s);
	spin_lock_irqsave(&c->lock, flags);
	__central_add_span(c, s);
	KUNIT_EXPECT_EQ(test, __central_fill(c, objs, 3, &cached, 7, &fresh), 3U);
	/* The first copy of objs[0] comes back; the slot goes out again. */
	__central_return(c, objs, 1, 7, &dead);
	KUNIT_EXPECT_EQ(test, __central_fill(c, &again, 1, &cached, 7, &fresh), 1U);
	KUNIT_EXPECT_PTR_EQ(test, again, objs[0]);
	refused = events(EV_REFUSED_DOUBLE_FREE);
	/* The second copy: taken, unseen. */
	__central_return(c, objs, 1, 7, &dead);
	KUNIT_EXPECT_EQ(test, events(EV_REFUSED_DOUBLE_FREE), refused);
	KUNIT_EXPECT_EQ(test, s->allocated, 2U);
	KUNIT_EXPECT_EQ(test, c->objects, 2UL);
	spin_unlock_irqrestore(&c->lock, flags);
	KUNIT_EXPECT_EQ(test, goalloc_verify(NULL), 0);
	/* The span empties under the new owner, whose free is refused. */
	spin_lock_irqsave(&c->lock, flags);
	__central_return(c, objs + 1, 2, 7, &dead);
	KUNIT_EXPECT_EQ(test, s->allocated, 0U);
	KUNIT_EXPECT_EQ(test, c->objects, 0UL);
	EXPECT_REPORTS(test, 1, EV_REFUSED_DOUBLE_FREE,
		       __central_return(c, &again, 1, 7, &dead));
	spin_unlock_irqrestore(&c->lock, flags);
	KUNIT_EXPECT_TRUE(test, list_empty(&dead));
	goalloc_drain(false);
	KUNIT_EXPECT_EQ(test, goalloc_verify(NULL), 0);
}

/*
 * New spans fill a magazine without passing through the partial list: a
 * span filled up goes to the full list, the last one, not filled, is the
 * CPU's cached span, and the one not reached stays on the caller's list.
 */
static void central_fill_takes_new_spans_as_they_are(struct kunit *test)
{
	unsigned int cls = size_to_class(CENTRAL_SIZE), n;
	struct central *c = &goalloc_central[cls];
	struct span *cached = NULL, *s[3];
	unsigned long flags;
	LIST_HEAD(fresh);
	LIST_HEAD(dead);
	void *objs[5];

	goalloc_drain(false);
	KUNIT_ASSERT_EQ(test, class_span_objects(cls), 3U);
	for (n = 0; n < ARRAY_SIZE(s); n++) {
		s[n] = span_create(cls, class_info[cls].npages, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, s[n]);
		list_add_tail(&s[n]->list, &fresh);
	}
	spin_lock_irqsave(&c->lock, flags);
	n = __central_fill(c, objs, 5, &cached, 7, &fresh);
	KUNIT_EXPECT_EQ(test, n, 5U);
	KUNIT_EXPECT_EQ(test, s[0]->state, SPAN_FULL);
	KUNIT_EXPECT_PTR_EQ(test, list_first_entry(&c->full, struct span, list), s[0]);
	KUNIT_EXPECT_PTR_EQ(test, cached, s[1]);
	KUNIT_EXPECT_EQ(test, s[1]->state, SPAN_CACHED);
	KUNIT_EXPECT_EQ(test, s[1]->cpu, 7);
	KUNIT_EXPECT_EQ(test, s[1]->allocated, 2U);
	KUNIT_EXPECT_PTR_EQ(test, list_first_entry(&fresh, struct span, list), s[2]);
	KUNIT_EXPECT_TRUE(test, list_is_singular(&fresh));
	KUNIT_EXPECT_EQ(test, c->nr_spans[SPAN_FULL], 1UL);
	KUNIT_EXPECT_EQ(test, c->nr_spans[SPAN_CACHED], 1UL);
	KUNIT_EXPECT_EQ(test, c->nr_spans[SPAN_PARTIAL], 0UL);
	KUNIT_EXPECT_EQ(test, c->objects, 5UL);
	list_del(&s[2]->list);
	__central_add_unused_span(c, s[2], &dead);
	__central_return(c, objs, 5, 7, &dead);
	__central_uncache_span(c, cached, &dead);
	KUNIT_EXPECT_EQ(test, c->objects, 0UL);
	spin_unlock_irqrestore(&c->lock, flags);
	spans_destroy(&dead);
	goalloc_drain(false);
	KUNIT_EXPECT_EQ(test, c->nr_spans[SPAN_EMPTY], 0UL);
	KUNIT_EXPECT_EQ(test, c->nr_spans[SPAN_FULL], 0UL);
	KUNIT_EXPECT_EQ(test, c->nr_spans[SPAN_CACHED], 0UL);
	KUNIT_EXPECT_EQ(test, goalloc_verify(NULL), 0);
}

static void central_keeps_a_magazine_of_empty_spans(struct kunit *test)
{
	unsigned int cls = size_to_class(32768), n;
	struct central *c = &goalloc_central[cls];
	unsigned long before, made;
	void **p;
	int i;

	/* Every class keeps empty spans for a magazine at least. */
	for (n = 1; n < GOALLOC_NUM_CLASSES; n++)
		KUNIT_EXPECT_GE_MSG(test, goalloc_central[n].keep_empty *
				    class_span_objects(n), mcache_class_cap(n),
				    "class %u", n);
	/* One object per span: a magazine (16) of empty spans is kept. */
	KUNIT_ASSERT_EQ(test, class_span_objects(cls), 1U);
	KUNIT_ASSERT_EQ(test, c->keep_empty, mcache_class_cap(cls));
	n = c->keep_empty + 4;
	p = kunit_kcalloc(test, n, sizeof(*p), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	goalloc_drain(false);
	before = events(EV_SPAN_FREE);
	made = events(EV_SPAN_ALLOC);
	for (i = 0; i < n; i++) {
		p[i] = goalloc_alloc(32768, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p[i]);
	}
	for (i = 0; i < n; i++)
		goalloc_free(p[i]);
	mcache_drain_all();	/* caches flushed, empty spans not released */
	KUNIT_EXPECT_EQ(test, class_inuse(cls), 0UL);
	KUNIT_EXPECT_EQ(test, c->nr_spans[SPAN_EMPTY], (unsigned long)c->keep_empty);
	KUNIT_EXPECT_EQ(test, c->nr_spans[SPAN_PARTIAL] + c->nr_spans[SPAN_FULL] +
			c->nr_spans[SPAN_CACHED], 0UL);
	/* Refills make spans in batches: count what they made. */
	KUNIT_EXPECT_EQ(test, events(EV_SPAN_FREE) - before,
			events(EV_SPAN_ALLOC) - made - c->keep_empty);
	goalloc_drain(false);
	KUNIT_EXPECT_EQ(test, c->nr_spans[SPAN_EMPTY], 0UL);
}

/*
 * A span of Go's size, the fallback of a grown class (spans_create()),
 * serves the class beside its own spans: fewer slots, counted as such in
 * the class's statistics, and its objects pass and fail the same checks.
 */
static void go_span_serves_a_grown_class(struct kunit *test)
{
	unsigned int cls = size_to_class(SZ_4K), go = class_info[cls].go_npages;
	unsigned int per = go * GOALLOC_PAGE_SIZE / SZ_4K, n;
	struct central *c = &goalloc_central[cls];
	/* Off the stack: KASAN's redzones take this frame past 1 KiB. */
	struct goalloc_class_stats *before, *st;
	struct span *s, *cached = NULL;
	unsigned long flags;
	LIST_HEAD(fresh);
	LIST_HEAD(dead);
	void *objs[2];

	KUNIT_ASSERT_TRUE(test, class_grown(cls));
	KUNIT_ASSERT_EQ(test, per, 2U);
	before = kunit_kzalloc(test, 2 * sizeof(*before), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, before);
	st = before + 1;
	goalloc_drain(false);
	goalloc_class_stats(cls, before);
	s = span_create(cls, go, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, s);
	KUNIT_EXPECT_EQ(test, s->nelems, per);
	KUNIT_EXPECT_LT(test, s->nelems, class_span_objects(cls));
	list_add(&s->list, &fresh);
	spin_lock_irqsave(&c->lock, flags);
	n = __central_fill(c, objs, per, &cached, 7, &fresh);
	spin_unlock_irqrestore(&c->lock, flags);
	KUNIT_ASSERT_EQ(test, n, per);
	KUNIT_EXPECT_EQ(test, s->state, SPAN_FULL);

	goalloc_class_stats(cls, st);
	KUNIT_EXPECT_EQ(test, st->slots - before->slots, (unsigned long)per);
	KUNIT_EXPECT_EQ(test, st->pages - before->pages, (unsigned long)go);
	KUNIT_EXPECT_EQ(test, st->free, before->free);
	KUNIT_EXPECT_PTR_EQ(test, span_of(objs[1]), s);
	EXPECT_REPORTS(test, 1, EV_REFUSED_INTERIOR,
		       goalloc_free(objs[1] + SZ_2K));
	KUNIT_EXPECT_EQ(test, goalloc_verify(NULL), 0);

	/* Not goalloc_free(): no allocation counted them. */
	spin_lock_irqsave(&c->lock, flags);
	__central_return(c, objs, per, 7, &dead);
	spin_unlock_irqrestore(&c->lock, flags);
	spans_destroy(&dead);
	goalloc_drain(false);	/* the empty span goes back too */
	goalloc_class_stats(cls, st);
	KUNIT_EXPECT_EQ(test, st->slots, before->slots);
	KUNIT_EXPECT_EQ(test, st->pages, before->pages);
	KUNIT_EXPECT_EQ(test, st->free, before->free);
}

static struct kunit_case central_cases[] = {
	KUNIT_CASE(central_fill_caches_a_span_and_moves_it_to_full),
	KUNIT_CASE(central_return_refuses_an_object_free_in_its_span),
	KUNIT_CASE(central_return_takes_a_stale_copy_of_a_reused_slot),
	KUNIT_CASE(central_fill_takes_new_spans_as_they_are),
	KUNIT_CASE(central_keeps_a_magazine_of_empty_spans),
	KUNIT_CASE(go_span_serves_a_grown_class),
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

	KUNIT_ASSERT_EQ(test, heap_alloc_run(3, 1, GFP_KERNEL, &c1, &f1), 0);
	KUNIT_ASSERT_EQ(test, heap_alloc_run(5, 1, GFP_KERNEL, &c2, &f2), 0);
	heap_free_run(c1, f1, 3);
	KUNIT_ASSERT_EQ(test, heap_alloc_run(2, 1, GFP_KERNEL, &c3, &f3), 0);
	/* First fit: the hole the 3-page run left, if it was the first. */
	KUNIT_EXPECT_TRUE(test, c3 != c1 || f3 <= f1);
	KUNIT_EXPECT_TRUE(test, test_bit(f3, c3->used));
	heap_free_run(c3, f3, 2);
	heap_free_run(c2, f2, 5);
}

/*
 * A run asked for at a multiple of its length (span_align()) is never cut
 * from an unaligned hole, and missing it there does not mark the chunk
 * no_fit for runs of that length, which the hole still holds.
 */
static void heap_aligned_run_skips_an_unaligned_hole(struct kunit *test)
{
	struct heap_chunk *c, *a;
	unsigned int f, fa;

	KUNIT_ASSERT_EQ(test, heap_alloc_run(GOALLOC_CHUNK_PAGES, 1, GFP_KERNEL,
					     &c, &f), 0);
	/* A hole of 8 Go pages from page 1. */
	heap_free_run(c, 1, 8);
	KUNIT_ASSERT_EQ(test, heap_alloc_run(8, 8, GFP_KERNEL, &a, &fa), 0);
	KUNIT_EXPECT_EQ(test, fa % 8, 0U);
	KUNIT_EXPECT_FALSE(test, a == c && fa == 1);
	KUNIT_EXPECT_EQ(test, c->no_fit, 0U);
	if (c->no_fit_aligned)
		KUNIT_EXPECT_EQ(test, c->no_fit_aligned, 8U);
	KUNIT_EXPECT_EQ(test, goalloc_verify(NULL), 0);
	heap_free_run(a, fa, 8);
	heap_free_run(c, 0, 1);
	heap_free_run(c, 9, GOALLOC_CHUNK_PAGES - 9);
}

/*
 * The page cache's block search for a run aligned to its length passes
 * over a chunk whose only hole is unaligned and marks it no_fit_aligned,
 * as the run search does, so that later searches skip it; a run freed in
 * the chunk clears the mark. Every block is taken, under one heap_lock
 * hold, until the search finds none: it has then seen the chunk.
 */
static void heap_block_search_marks_a_chunk_without_an_aligned_run(struct kunit *test)
{
	struct heap_chunk *c, **chunks;
	unsigned int f, *words, n = 0, max, mark;
	bool from_c = false, all_seen;
	unsigned long flags, *bits;
	struct heap_stats st;

	KUNIT_ASSERT_EQ(test, heap_alloc_run(GOALLOC_CHUNK_PAGES, 1, GFP_KERNEL,
					     &c, &f), 0);
	/* A hole of 8 Go pages from page 1: no run of 8 at a multiple of 8. */
	heap_free_run(c, 1, 8);
	heap_stats_read(&st);
	/* Every bitmap word of every chunk, twice over for chunks to come. */
	max = 2 * (st.sys_pages >> GOALLOC_PAGE_ORDER) / BITS_PER_LONG + 16;
	chunks = kunit_kcalloc(test, max, sizeof(*chunks), GFP_KERNEL);
	words = kunit_kcalloc(test, max, sizeof(*words), GFP_KERNEL);
	bits = kunit_kcalloc(test, max, sizeof(*bits), GFP_KERNEL);
	KUNIT_ASSERT_TRUE(test, chunks && words && bits);

	spin_lock_irqsave(&heap_lock, flags);
	for (; n < max; n++) {
		bits[n] = __heap_take_block(8, 8, &chunks[n], &words[n]);
		if (!bits[n])
			break;
		from_c |= chunks[n] == c;
	}
	all_seen = n < max;
	mark = c->no_fit_aligned;
	while (n--)
		__heap_free_block(chunks[n], words[n], bits[n]);
	spin_unlock_irqrestore(&heap_lock, flags);

	KUNIT_EXPECT_TRUE(test, all_seen);
	KUNIT_EXPECT_FALSE(test, from_c);
	KUNIT_EXPECT_EQ(test, mark, 8U);
	KUNIT_EXPECT_EQ(test, goalloc_verify(NULL), 0);
	heap_free_run(c, 0, 1);
	KUNIT_EXPECT_EQ(test, c->no_fit_aligned, 0U);
	heap_free_run(c, 9, GOALLOC_CHUNK_PAGES - 9);
}

static void heap_takes_a_new_chunk_when_full(struct kunit *test)
{
	struct heap_stats before, after;
	struct heap_chunk *c[3];
	unsigned int f[3], i;

	heap_stats_read(&before);
	/* Three whole chunks cannot fit in fewer than three chunks. */
	for (i = 0; i < 3; i++)
		KUNIT_ASSERT_EQ(test, heap_alloc_run(GOALLOC_CHUNK_PAGES, 1, GFP_KERNEL,
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
	struct heap_stats before, st;
	struct heap_chunk *c;
	unsigned int f;

	goalloc_drain(false);
	KUNIT_ASSERT_EQ(test, heap_alloc_run(GOALLOC_CHUNK_PAGES, 1, GFP_KERNEL, &c, &f), 0);
	heap_free_run(c, f, GOALLOC_CHUNK_PAGES);
	heap_stats_read(&before);
	KUNIT_EXPECT_GE(test, before.idle_pages,
			(unsigned long)GOALLOC_CHUNK_PAGES << GOALLOC_PAGE_ORDER);
	heap_release_free_chunks(0);
	heap_stats_read(&st);
	/* Only chunks with pages in use remain. */
	KUNIT_EXPECT_EQ(test, st.idle_pages, 0UL);
	KUNIT_EXPECT_EQ(test, before.sys_pages - st.sys_pages, before.idle_pages);
	KUNIT_EXPECT_EQ(test, st.pages_from_buddy - st.pages_returned, st.sys_pages);
}

static void shrinker_gives_back_the_headroom(struct kunit *test)
{
	struct heap_chunk *c;
	struct heap_stats before, after;
	unsigned int f;

	KUNIT_ASSERT_EQ(test, heap_alloc_run(GOALLOC_CHUNK_PAGES, 1, GFP_KERNEL, &c, &f), 0);
	heap_free_run(c, f, GOALLOC_CHUNK_PAGES);
	/* The idle chunk is within the headroom: only pressure takes it. */
	heap_stats_read(&before);
	KUNIT_EXPECT_GT(test, scavenge_shrink(ULONG_MAX), 0UL);
	heap_stats_read(&after);
	KUNIT_EXPECT_GT(test, after.pages_returned, before.pages_returned);
	KUNIT_EXPECT_EQ(test, after.shrinker_calls, before.shrinker_calls + 1);
	KUNIT_EXPECT_EQ(test, scavenge_shrink(ULONG_MAX), 0UL);
	/* The shrinks asked for a drain: done before the next case. */
	goalloc_scavenge_flush();
}

static void shrinker_drains_the_cpu_caches(struct kunit *test)
{
	void *p;

	/* The page cache serves spans of one metadata word only. */
	if (span_words(1) != 1)
		kunit_skip(test, "debug=1 or track_waste=1: no page cache");
	goalloc_scavenge_hold(false);
	goalloc_scavenge_flush();
	goalloc_drain(false);
	KUNIT_ASSERT_EQ(test, pcache_cached_pages(), 0UL);
	/* 128 KiB: 16 Go pages from this CPU's block, back to it. */
	p = goalloc_alloc(128 << 10, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	goalloc_free(p);
	KUNIT_ASSERT_GT(test, pcache_cached_pages(), 0UL);
	/* A request within a second of the last is dropped: let it pass. */
	msleep(1100);
	scavenge_shrink(ULONG_MAX);
	goalloc_scavenge_flush();
	KUNIT_EXPECT_EQ(test, pcache_cached_pages(), 0UL);
	KUNIT_EXPECT_EQ(test, goalloc_verify(NULL), 0);
}

/*
 * Chunks that one Go page each pins: free pages beyond the headroom that
 * no drain of the CPUs' caches gives back.
 */
#define PINNED_CHUNKS	8

static void scavenger_paces_drains_that_give_nothing_back(struct kunit *test)
{
	struct heap_chunk *ch[PINNED_CHUNKS];
	unsigned int first[PINNED_CHUNKS];
	unsigned long drains;
	int i, n;

	goalloc_scavenge_hold(true);	/* and its drains' pacing forgotten */
	goalloc_drain(true);
	for (n = 0; n < PINNED_CHUNKS; n++) {
		if (heap_alloc_run(GOALLOC_CHUNK_PAGES, 1, GFP_KERNEL, &ch[n], &first[n]))
			break;
		heap_free_run(ch[n], first[n] + 1, GOALLOC_CHUNK_PAGES - 1);
	}
	KUNIT_EXPECT_EQ(test, n, PINNED_CHUNKS);

	drains = events(EV_SCAVENGE_DRAIN);
	KUNIT_EXPECT_TRUE(test, scavenge_pass(true));
	/* It gave nothing back: the next paced drain waits two seconds. */
	for (i = 0; i < 4; i++)
		KUNIT_EXPECT_FALSE_MSG(test, scavenge_pass(true), "pass %d", i);
	KUNIT_EXPECT_EQ(test, events(EV_SCAVENGE_DRAIN) - drains, 1UL);
	/* An unpaced pass (goalloc_scavenge()) drains whenever it is due. */
	KUNIT_EXPECT_TRUE(test, scavenge_pass(false));
	KUNIT_EXPECT_EQ(test, events(EV_SCAVENGE_DRAIN) - drains, 2UL);

	for (i = 0; i < n; i++)
		heap_free_run(ch[i], first[i], 1);
	goalloc_drain(true);
	goalloc_scavenge_hold(false);
}

static struct kunit_case heap_cases[] = {
	KUNIT_CASE(heap_reuses_a_freed_run_first_fit),
	KUNIT_CASE(heap_aligned_run_skips_an_unaligned_hole),
	KUNIT_CASE(heap_block_search_marks_a_chunk_without_an_aligned_run),
	KUNIT_CASE(heap_takes_a_new_chunk_when_full),
	KUNIT_CASE(heap_releases_idle_chunks_beyond_headroom),
	KUNIT_CASE(shrinker_gives_back_the_headroom),
	KUNIT_CASE(shrinker_drains_the_cpu_caches),
	KUNIT_CASE(scavenger_paces_drains_that_give_nothing_back),
	{}
};

static struct kunit_suite heap_suite = {
	.name = "goalloc_heap",
	.test_cases = heap_cases,
};

kunit_test_suites(&size_class_suite, &span_suite, &central_suite, &heap_suite);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit tests for goalloc: size classes, spans, mcentral, mheap");
