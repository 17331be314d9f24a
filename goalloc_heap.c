// SPDX-License-Identifier: GPL-2.0
/*
 * goalloc mheap: the page heap under the size classes.
 *
 * Go's mheap hands out runs of 8 KiB pages carved from 64 MiB arenas it
 * maps from the OS, and its scavenger gives idle pages back. Here the
 * "OS" is the buddy allocator and an arena is a chunk of its largest
 * order:
 *
 *   heap.chunks --> chunk --> chunk --> ...      (struct heap_chunk, kmalloc)
 *                    |
 *                    v  alloc_pages(order 10) = 4 MiB = 512 Go pages
 *        +------+------+------+-----------+------+----------------+
 *        | span | span | free |   large   | free |      ...       |
 *        +------+------+------+-----------+------+----------------+
 *        chunk->used: one bit per Go page, set while a span holds it
 *
 * Spans and large objects are first-fit runs inside a chunk; when no chunk
 * has a long enough run, a new chunk is taken, falling back to smaller
 * orders when the largest is not available. Chunk metadata lives outside
 * the chunk, so every byte of a chunk is usable.
 *
 * Giving memory back: a chunk whose pages are all free is idle. When free
 * pages exceed a headroom (headroom_percent of the pages in use, at least
 * headroom_min_kb; Go keeps about 10 %), the heap wakes the scavenger
 * (goalloc_scavenge.c) through the hook it was given at init, and the
 * scavenger gives idle chunks beyond the headroom back to the buddy
 * allocator from deferred work. Only whole chunks are released: a chunk
 * is one buddy block and goes back as one.
 *
 * Chunks with free pages are on heap_chunks, the list runs are searched
 * in; full ones wait on heap_full_chunks, so a heap of many full chunks
 * costs a search nothing.
 *
 * The heap puts a run under each span struct from the span metadata's
 * pool (goalloc_meta.c), and hands the per-CPU page cache
 * (goalloc_pcache.c) whole bitmap words of a chunk as blocks.
 *
 * Locking: heap_lock (a spinlock, taken with interrupts disabled) protects
 * the chunk lists, every chunk's bitmap and counters, the span pool
 * (goalloc_meta.c) and the heap statistics. Nothing nests inside it, and
 * the buddy allocator is never called with it held: growing drops the
 * lock, allocates, and retakes it. Lock order in goalloc_internal.h.
 */

#define pr_fmt(fmt) "goalloc: " fmt

#include <linux/gfp.h>
#include <linux/moduleparam.h>
#include <linux/random.h>
#include <linux/sched/mm.h>
#include <linux/kmemleak.h>
#include <linux/slab.h>

#include "goalloc_internal.h"

static unsigned int headroom_percent = 10;
module_param(headroom_percent, uint, 0644);
MODULE_PARM_DESC(headroom_percent,
		 "idle pages kept, as a percentage of pages in use (default 10, as Go)");

static unsigned int headroom_min_kb = 4096;
module_param(headroom_min_kb, uint, 0644);
MODULE_PARM_DESC(headroom_min_kb,
		 "idle memory always kept, in KiB (default 4096: one chunk)");

DEFINE_SPINLOCK(heap_lock);
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(heap_lock);
LIST_HEAD(heap_chunks);			/* heap_lock: chunks with free pages */
LIST_HEAD(heap_full_chunks);		/* heap_lock: chunks without */
static struct heap_stats heap_stats;	/* heap_lock */
static void (*heap_scavenge_hook)(void);	/* heap_set_scavenger() */
static unsigned long heap_idle_pages;	/* heap_lock: pages of idle chunks */
unsigned long heap_free_gopages;	/* heap_lock: Go pages in no span */

/*
 * Bounds of every chunk ever held, for span_of()'s first test, and
 * heap_hi - PAGE_OFFSET (goalloc_fastpath.heap_top), the one bound it
 * tests on x86-64. Written under heap_lock, read locklessly: heap_lo only
 * falls, the others only rise.
 */
unsigned long heap_lo __read_mostly = ULONG_MAX;
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(heap_lo);
unsigned long heap_hi __read_mostly;
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(heap_hi);

struct goalloc_fastpath goalloc_fastpath __read_mostly ____cacheline_aligned;
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(goalloc_fastpath);

static unsigned int chunk_kernel_pages(const struct heap_chunk *ch)
{
	return 1U << ch->order;
}

/* ------------------------------------------------------------------ */
/* Chunks */

/*
 * The buddy allocator warns of __GFP_NOFAIL above order 1 (rmqueue(),
 * 6.1), and again above PAGE_ALLOC_COSTLY_ORDER (its slow path). SLUB
 * never asks for it there: its last resort is a slab of one object, of
 * order 0 or 1 up to 8 KiB. goalloc passes the flag on up to order 1;
 * above, the retries are goalloc's, as the allocator's own __GFP_NOFAIL
 * loop, which needs direct reclaim: without it, one try. A size class's
 * span asks for at most order 3 here (spans_create() falls back to a span
 * of one object); a large object may ask for more, as kmalloc_large().
 */
static struct page *chunk_alloc_pages(gfp_t gfp, unsigned int order)
{
	struct page *page;

	if (!(gfp & __GFP_NOFAIL) || order <= 1)
		return alloc_pages(gfp, order);
	gfp &= ~__GFP_NOFAIL;
	for (;;) {
		page = alloc_pages(gfp, order);
		if (page || !gfpflags_allow_blocking(gfp))
			return page;
		memalloc_retry_wait(gfp);
	}
}

static struct heap_chunk *chunk_alloc(unsigned int min_order, gfp_t gfp)
{
	gfp_t pgfp = (gfp & GOALLOC_GFP_MASK) | __GFP_NOWARN;
	struct heap_chunk *ch;
	struct page *page = NULL;
	unsigned int order;

	ch = kzalloc(sizeof(*ch), pgfp);
	if (!ch)
		return NULL;
	/* ch->base points into the chunk: see span_meta_alloc() (goalloc_meta.c). */
	kmemleak_scan_area(&ch->list, sizeof(ch->list), pgfp);

	/*
	 * Try the largest orders optimistically, without direct reclaim or
	 * compaction (as SLUB does for its preferred slab order; kswapd is
	 * still woken), then insist with the caller's own flags, __GFP_NOFAIL
	 * included (chunk_alloc_pages()), at the order needed.
	 */
	for (order = GOALLOC_CHUNK_ORDER; order > min_order; order--) {
		page = alloc_pages((pgfp & ~(__GFP_NOFAIL | __GFP_DIRECT_RECLAIM)) |
				   __GFP_NORETRY | __GFP_NOMEMALLOC, order);
		if (page)
			break;
	}
	if (!page) {
		order = min_order;
		page = chunk_alloc_pages(pgfp, order);
	}
	if (!page) {
		kfree(ch);
		return NULL;
	}
	ch->page = page;
	ch->base = (unsigned long)page_address(page);
	ch->order = order;
	ch->npages = 1U << (order - GOALLOC_PAGE_ORDER);
	ch->nfree = ch->npages;
	return ch;
}

static void chunk_free(struct heap_chunk *ch)
{
	__free_pages(ch->page, ch->order);
	kfree(ch);
}

static void __heap_add_chunk(struct heap_chunk *ch)
{
	unsigned int kpages = chunk_kernel_pages(ch);

	lockdep_assert_held(&heap_lock);
	list_add_tail(&ch->list, &heap_chunks);
	if (ch->base < heap_lo)
		WRITE_ONCE(heap_lo, ch->base);
	if (ch->base + (kpages << PAGE_SHIFT) > heap_hi) {
		WRITE_ONCE(heap_hi, ch->base + (kpages << PAGE_SHIFT));
		WRITE_ONCE(goalloc_fastpath.heap_top, heap_hi - PAGE_OFFSET);
	}
	heap_stats.chunks++;
	heap_stats.chunk_allocs++;
	count_event(EV_CHUNK_ALLOC);
	heap_stats.sys_pages += kpages;
	heap_stats.pages_from_buddy += kpages;
	heap_idle_pages += kpages;
	heap_free_gopages += ch->npages;
}

/*
 * Do free pages exceed the headroom? Then the scavenger has work. Exact
 * under heap_lock; a hint without it.
 */
static __always_inline bool over_headroom(void)
{
	return (READ_ONCE(heap_free_gopages) << GOALLOC_PAGE_ORDER) >
	       heap_headroom_pages();
}

/* Free pages exceed the headroom: the scavenger has work. */
static void heap_wake_scavenger(void)
{
	if (heap_scavenge_hook)
		heap_scavenge_hook();
}

/* @n Go pages of @ch, their bits just set, leave the free pages. */
static inline void __chunk_account_take(struct heap_chunk *ch, unsigned int n)
{
	lockdep_assert_held(&heap_lock);
	if (ch->nfree == ch->npages)
		heap_idle_pages -= chunk_kernel_pages(ch);
	ch->nfree -= n;
	heap_free_gopages -= n;
	if (!ch->nfree)
		list_move(&ch->list, &heap_full_chunks);
	heap_stats.inuse_pages += n << GOALLOC_PAGE_ORDER;
}

/*
 * @n Go pages of @ch, the lowest @first, their bits just cleared, come
 * back. Callers ask over_headroom() once they are done: it costs
 * about 20 instructions, once per span when spans of a page go back.
 */
static inline void __chunk_account_free(struct heap_chunk *ch,
					unsigned int first, unsigned int n)
{
	lockdep_assert_held(&heap_lock);
	if (!ch->nfree)
		list_move_tail(&ch->list, &heap_chunks);
	ch->nfree += n;
	heap_free_gopages += n;
	ch->hint = min(ch->hint, first);
	ch->no_fit = 0;
	ch->no_fit_aligned = 0;
	heap_stats.inuse_pages -= n << GOALLOC_PAGE_ORDER;
	if (ch->nfree == ch->npages)
		heap_idle_pages += chunk_kernel_pages(ch);
}

/* Mark @npages Go pages of @ch from @first in use, or free. */
static __always_inline void __chunk_mark(struct heap_chunk *ch,
					 unsigned int first,
					 unsigned int npages, bool used)
{
	if (npages == 1)
		__assign_bit(first, ch->used, used);
	else if (used)
		bitmap_set(ch->used, first, npages);
	else
		bitmap_clear(ch->used, first, npages);
}

static void __chunk_take(struct heap_chunk *ch, unsigned int first,
			 unsigned int npages)
{
	__chunk_mark(ch, first, npages, true);
	if (first == ch->hint)
		ch->hint = first + npages;
	__chunk_account_take(ch, npages);
}

/*
 * Does @ch's no_fit or no_fit_aligned say that a run of @npages at a
 * multiple of @align is not free? An aligned run that is not found proves
 * nothing of unaligned ones, and a run aligned to its own length (a large
 * object's) nothing of shorter alignments.
 */
static bool chunk_no_fit(const struct heap_chunk *ch, unsigned int npages,
			 unsigned int align)
{
	if (ch->no_fit && npages >= ch->no_fit)
		return true;
	return align == npages && ch->no_fit_aligned &&
	       npages >= ch->no_fit_aligned;
}

/*
 * First fit of a run of @npages at a multiple of @align (span_align());
 * older chunks first, so newer ones have a chance to go idle.
 */
static bool __heap_find_run(unsigned int npages, unsigned int align,
			    struct heap_chunk **chunk, unsigned int *first)
{
	struct heap_chunk *ch;
	unsigned long i;

	lockdep_assert_held(&heap_lock);
	list_for_each_entry(ch, &heap_chunks, list) {
		/*
		 * A chunk of scattered free pages would be searched in vain
		 * on every request for a longer run: it remembers the failure
		 * until a run is freed in it.
		 */
		if (ch->nfree < npages || chunk_no_fit(ch, npages, align))
			continue;
		/* Most runs fit at the hint: check that before searching. */
		i = ALIGN(ch->hint, align);
		if (i + npages > ch->npages ||
		    (npages == 1 ? test_bit(i, ch->used) :
		     find_next_bit(ch->used, i + npages, i) < i + npages))
			i = bitmap_find_next_zero_area(ch->used, ch->npages,
						       ch->hint, npages,
						       align - 1);
		if (i + npages > ch->npages) {
			if (align == 1)
				ch->no_fit = npages;
			else if (align == npages)
				ch->no_fit_aligned = npages;
			continue;
		}
		__chunk_take(ch, i, npages);
		*chunk = ch;
		*first = i;
		return true;
	}
	return false;
}

/**
 * heap_alloc_run() - take a run of Go pages for a span or a large object
 * @npages: Go pages wanted, 1 .. GOALLOC_CHUNK_PAGES
 * @align: the run starts at a multiple of this many Go pages, a power of
 *	   two up to @npages (span_align())
 * @gfp: the caller's mask; the buddy allocator is called only if no chunk
 *	 has room, and without heap_lock held
 * @chunk: set to the chunk holding the run
 * @first: set to the run's first Go page in @chunk
 *
 * Context: any context that @gfp allows. Takes heap_lock.
 * Return: 0, or -ENOMEM when the buddy allocator has no block large enough.
 */
int heap_alloc_run(unsigned int npages, unsigned int align, gfp_t gfp,
		   struct heap_chunk **chunk, unsigned int *first)
{
	unsigned int min_order = order_base_2(npages) + GOALLOC_PAGE_ORDER;
	struct heap_chunk *ch;
	unsigned long flags;
	bool found;

	spin_lock_irqsave(&heap_lock, flags);
	found = __heap_find_run(npages, align, chunk, first);
	spin_unlock_irqrestore(&heap_lock, flags);
	if (found)
		return 0;

	ch = chunk_alloc(min_order, gfp);
	spin_lock_irqsave(&heap_lock, flags);
	if (!ch) {
		heap_stats.chunk_failures++;
		spin_unlock_irqrestore(&heap_lock, flags);
		return -ENOMEM;
	}
	__heap_add_chunk(ch);
	/*
	 * The new chunk is ours until the lock drops: the run is at its
	 * start, aligned as the chunk is.
	 */
	__chunk_take(ch, 0, npages);
	spin_unlock_irqrestore(&heap_lock, flags);
	*chunk = ch;
	*first = 0;
	return 0;
}
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(heap_alloc_run);

static void __heap_free_run(struct heap_chunk *ch, unsigned int first,
			    unsigned int npages)
{
	__chunk_mark(ch, first, npages, false);
	__chunk_account_free(ch, first, npages);
}

/**
 * heap_free_run() - give a run back to its chunk
 * @ch: the chunk
 * @first: first Go page of the run
 * @npages: its length
 *
 * A chunk left idle may go back to the buddy allocator later, from
 * deferred work, when idle chunks exceed the headroom.
 *
 * Context: any. Takes heap_lock.
 */
void heap_free_run(struct heap_chunk *ch, unsigned int first,
		   unsigned int npages)
{
	unsigned long flags;
	bool idle;

	spin_lock_irqsave(&heap_lock, flags);
	__heap_free_run(ch, first, npages);
	idle = over_headroom();
	spin_unlock_irqrestore(&heap_lock, flags);
	if (idle)
		heap_wake_scavenger();
}
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(heap_free_run);

/**
 * __heap_put_span() - a span's run back to its chunk, its metadata to the
 * pool
 * @s: the span
 * @spare: receives @s when the pool is full, for heap_spans_freed()
 *
 * Context: heap_lock held.
 */
void __heap_put_span(struct span *s, struct list_head *spare)
{
	__heap_free_run(s->chunk, s->first, s->npages);
	if (!__heap_span_pool_push(s, span_words(s->nelems)))
		list_add(&s->list, spare);
}

/**
 * heap_spans_freed() - after __heap_put_span() and heap_lock dropped
 * @spare: span structs the pool had no room for, to free
 * @gave: pages went back to the heap or to a page cache's block: free
 *	  pages grew, and may now exceed the headroom
 *
 * Context: any, without heap_lock or a page-cache lock held (a drain holds
 * the CPU's mcache lock: the scavenger's hook only queues work).
 */
void heap_spans_freed(struct list_head *spare, bool gave)
{
	struct span *s, *tmp;

	list_for_each_entry_safe(s, tmp, spare, list)
		heap_meta_free(&s, 1, span_words(s->nelems));
	if (gave)
		heap_check_headroom();
}

/**
 * heap_set_scavenger() - the hook the heap calls when it has idle pages
 * @fn: called, from any context, when free pages exceed the headroom; it
 *	must not take heap_lock
 *
 * Context: module init.
 */
void heap_set_scavenger(void (*fn)(void))
{
	heap_scavenge_hook = fn;
}

/*
 * For callers that just gave pages back: wake the scavenger if free pages
 * exceed the headroom. Read without heap_lock, a hint: the scavenger looks
 * again. Any context, without heap_lock or a page-cache lock held.
 */
void heap_check_headroom(void)
{
	if (over_headroom())
		heap_wake_scavenger();
}

/* Free Go pages of bitmap word @w of @ch, as a mask. */
static unsigned long chunk_free_bits(const struct heap_chunk *ch,
				     unsigned int w)
{
	unsigned int left = ch->npages - w * BITS_PER_LONG;

	return ~ch->used[w] & (left >= BITS_PER_LONG ? ~0UL : BIT(left) - 1);
}

/**
 * __heap_take_block() - a bitmap word's free Go pages for a page cache
 * @npages: the block must hold a run of this many
 * @align: starting at a multiple of this many Go pages (span_align())
 * @chunk: set to the block's chunk
 * @word: set to the block's bitmap word in @chunk
 *
 * The block's pages count as in use from now on.
 *
 * Context: heap_lock held.
 * Return: the block's free pages as a mask of the word, 0 if no chunk has
 * such a block.
 */
unsigned long __heap_take_block(unsigned int npages, unsigned int align,
				struct heap_chunk **chunk, unsigned int *word)
{
	struct heap_chunk *ch;
	unsigned long bits;
	unsigned int w;

	lockdep_assert_held(&heap_lock);
	list_for_each_entry(ch, &heap_chunks, list) {
		if (ch->nfree < npages || chunk_no_fit(ch, npages, align))
			continue;
		/* Pages below the hint are in use. */
		for (w = ch->hint / BITS_PER_LONG;
		     w < BITS_TO_LONGS(ch->npages); w++) {
			bits = chunk_free_bits(ch, w);
			if (bits_find_aligned_run(bits, npages, align) ==
			    BITS_PER_LONG)
				continue;
			ch->used[w] |= bits;
			if (w == ch->hint / BITS_PER_LONG)
				ch->hint = min((w + 1) * BITS_PER_LONG, ch->npages);
			__chunk_account_take(ch, hweight_long(bits));
			*chunk = ch;
			*word = w;
			return bits;
		}
		/*
		 * A run aligned to its own length, a power of two, never
		 * crosses a word: the chunk has none, and later searches skip
		 * it until a run is freed in it, as __heap_find_run()'s do.
		 */
		if (align == npages)
			ch->no_fit_aligned = npages;
	}
	return 0;
}
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(__heap_take_block);

/**
 * __heap_free_block() - a page cache's block, or what is left of it, back
 * @ch: its chunk
 * @word: its bitmap word
 * @bits: its free pages, not 0
 *
 * Context: heap_lock held.
 */
void __heap_free_block(struct heap_chunk *ch, unsigned int word,
		       unsigned long bits)
{
	lockdep_assert_held(&heap_lock);
	ch->used[word] &= ~bits;
	__chunk_account_free(ch, word * BITS_PER_LONG + __ffs(bits),
			     hweight_long(bits));
}
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(__heap_free_block);

/**
 * heap_alloc_spans() - spans with runs of pages from the chunks
 * @npages: Go pages of each run
 * @align: each run starts at a multiple of this many Go pages
 * @words: bitmap words each span's metadata carries
 * @gfp: the caller's mask
 * @n: spans wanted, at least 1
 * @list: receives the spans, linked by their ->list
 *
 * Metadata comes from the pool and runs from the chunks under one
 * heap_lock hold, not one per span; if the pool runs short, the rest of
 * the metadata is allocated with the lock dropped, and the runs are taken
 * under a second hold. When no chunk has a run, the heap grows by one
 * chunk and one span is made from it.
 *
 * Context: any context that @gfp allows. Takes heap_lock.
 * Return: spans added to @list, 1 .. @n, as pcache_alloc_spans(); 0 when
 * memory is short.
 */
unsigned int heap_alloc_spans(unsigned int npages, unsigned int align,
			      unsigned int words, gfp_t gfp, unsigned int n,
			      struct list_head *list)
{
	unsigned int got = 0, placed = 0, first;
	struct span *s, *tmp;
	struct heap_chunk *ch;
	unsigned long flags;
	LIST_HEAD(spans);
	LIST_HEAD(spare);

	spin_lock_irqsave(&heap_lock, flags);
	for (; got < n && __heap_span_pool_take(words, &s, 1); got++)
		list_add(&s->list, &spans);
	if (got < n) {
		/* The pool ran short: more metadata, without the lock. */
		spin_unlock_irqrestore(&heap_lock, flags);
		for (; got < n && (s = heap_meta_alloc(words, gfp)); got++)
			list_add(&s->list, &spans);
		if (!got)
			return 0;
		spin_lock_irqsave(&heap_lock, flags);
	}
	list_for_each_entry_safe(s, tmp, &spans, list) {
		if (!__heap_find_run(npages, align, &ch, &first))
			break;
		list_del(&s->list);
		span_set_run(s, ch, first, npages);
		list_add_tail(&s->list, list);
		placed++;
	}
	/*
	 * Metadata without a run goes back to the pool; if no span has a run,
	 * it waits on @spare for the heap to grow.
	 */
	list_for_each_entry_safe_from(s, tmp, &spans, list) {
		list_del(&s->list);
		if (!placed || !__heap_span_pool_push(s, words))
			list_add(&s->list, &spare);
	}
	spin_unlock_irqrestore(&heap_lock, flags);

	if (!placed) {
		/* No chunk has room: grow, for one span. */
		s = list_first_entry(&spare, struct span, list);
		list_del(&s->list);
		if (heap_alloc_run(npages, align, gfp, &ch, &first)) {
			list_add(&s->list, &spare);
		} else {
			span_set_run(s, ch, first, npages);
			list_add_tail(&s->list, list);
			placed = 1;
		}
	}
	list_for_each_entry_safe(s, tmp, &spare, list)
		heap_meta_free(&s, 1, words);
	return placed;
}

unsigned int heap_headroom_percent(void)
{
	return READ_ONCE(headroom_percent);
}

unsigned int heap_headroom_min_kb(void)
{
	return READ_ONCE(headroom_min_kb);
}

/**
 * heap_headroom_pages() - idle kernel pages the heap keeps
 *
 * Return: headroom_percent of the pages in spans, at least headroom_min_kb.
 */
unsigned long heap_headroom_pages(void)
{
	unsigned long pct = READ_ONCE(heap_stats.inuse_pages) *
			    READ_ONCE(headroom_percent) / 100;

	return max_t(unsigned long, pct, READ_ONCE(headroom_min_kb) >> (PAGE_SHIFT - 10));
}
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(heap_headroom_pages);

/**
 * heap_release_free_chunks() - give idle chunks back to the buddy allocator
 * @keep_pages: idle kernel pages to keep
 *
 * Context: process or atomic context; calls __free_pages() after dropping
 * heap_lock.
 * Return: kernel pages released.
 */
unsigned long heap_release_free_chunks(unsigned long keep_pages)
{
	struct heap_chunk *ch, *tmp;
	unsigned long flags, kept = 0, released = 0;
	LIST_HEAD(victims);

	spin_lock_irqsave(&heap_lock, flags);
	list_for_each_entry_safe(ch, tmp, &heap_chunks, list) {
		unsigned int kpages = chunk_kernel_pages(ch);

		if (ch->nfree != ch->npages)
			continue;
		if (kept + kpages <= keep_pages) {
			kept += kpages;
			continue;
		}
		list_move(&ch->list, &victims);
		heap_idle_pages -= kpages;
		heap_free_gopages -= ch->npages;
		heap_stats.chunks--;
		heap_stats.chunk_releases++;
		count_event(EV_CHUNK_FREE);
		heap_stats.sys_pages -= kpages;
		heap_stats.pages_returned += kpages;
		released += kpages;
	}
	spin_unlock_irqrestore(&heap_lock, flags);

	list_for_each_entry_safe(ch, tmp, &victims, list)
		chunk_free(ch);
	if (released)
		heap_trim_span_pool(READ_ONCE(heap_free_gopages));
	return released;
}
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(heap_release_free_chunks);

/* heap_stats_read(), under heap_lock. */
void __heap_stats_read(struct heap_stats *st)
{
	lockdep_assert_held(&heap_lock);
	*st = heap_stats;
	st->idle_pages = heap_idle_pages;
}

/**
 * heap_stats_read() - a consistent copy of the heap totals
 * @st: filled in
 *
 * Context: any; holds heap_lock for the copy only.
 */
void heap_stats_read(struct heap_stats *st)
{
	unsigned long flags;

	spin_lock_irqsave(&heap_lock, flags);
	__heap_stats_read(st);
	spin_unlock_irqrestore(&heap_lock, flags);
}
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(heap_stats_read);

/**
 * heap_pages_held() - kernel pages the heap holds from the buddy allocator
 *
 * Return: pages taken and not yet given back.
 */
unsigned long heap_pages_held(void)
{
	return READ_ONCE(heap_stats.sys_pages);
}
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(heap_pages_held);

/**
 * heap_idle_pages_read() - kernel pages of idle chunks, which the
 * scavenger or a shrinker may give back
 *
 * Return: their count, read without heap_lock.
 */
unsigned long heap_idle_pages_read(void)
{
	return READ_ONCE(heap_idle_pages);
}

/**
 * heap_note_shrink() - count a shrinker call in the heap statistics
 * @pages: kernel pages it released
 */
void heap_note_shrink(unsigned long pages)
{
	unsigned long flags;

	spin_lock_irqsave(&heap_lock, flags);
	heap_stats.shrinker_calls++;
	heap_stats.shrinker_pages += pages;
	spin_unlock_irqrestore(&heap_lock, flags);
}

/* At load, before anything allocates. */
int heap_init(void)
{
	goalloc_fastpath.page_offset = PAGE_OFFSET;
	goalloc_fastpath.pages = pfn_to_page(0);
	get_random_bytes(&goalloc_fastpath.cookie, sizeof(goalloc_fastpath.cookie));
	goalloc_fastpath.cookie |= 1;	/* never 0: cleared pages never match */
	return heap_meta_init();
}

/* Every span is gone, every page cache drained: give every chunk back. */
void heap_exit(void)
{
	heap_release_span_pool();
	heap_release_free_chunks(0);
	WARN_ON(!list_empty(&heap_chunks) || !list_empty(&heap_full_chunks));
	heap_meta_exit();
}
