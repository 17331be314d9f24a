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
 * headroom_min_kb; Go keeps about 10 %), the scavenger (goalloc_core.c)
 * runs from deferred work and gives idle chunks beyond the headroom back
 * to the buddy allocator; a shrinker lets memory pressure take the
 * headroom too. Only whole chunks are released: a chunk is one buddy
 * block and goes back as one.
 *
 * Chunks with free pages are on heap_chunks, the list runs are searched
 * in; full ones wait on heap_full_chunks, so a heap of many full chunks
 * costs a search nothing.
 *
 * Locking: heap_lock (a spinlock, taken with interrupts disabled) protects
 * the chunk lists, every chunk's bitmap and counters, heap_large and the
 * heap statistics. It nests inside a class's central lock and nothing
 * nests inside it. The buddy allocator is never called with it held:
 * growing drops the lock, allocates, and retakes it.
 */

#define pr_fmt(fmt) "goalloc: " fmt

#include <linux/gfp.h>
#include <linux/moduleparam.h>
#include <linux/kmemleak.h>
#include <linux/shrinker.h>
#include <linux/swap.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

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
LIST_HEAD(heap_chunks);			/* heap_lock: chunks with free pages */
LIST_HEAD(heap_full_chunks);		/* heap_lock: chunks without */
LIST_HEAD(heap_large);			/* heap_lock: SPAN_LARGE spans */
static struct heap_stats heap_stats;	/* heap_lock */
static unsigned long heap_idle_pages;	/* heap_lock: pages of idle chunks */
static unsigned long heap_free_gopages;	/* heap_lock: Go pages in no span */

/*
 * Bounds of every chunk ever held, for span_of()'s first test. Written
 * under heap_lock, read locklessly: heap_lo only falls, heap_hi only rises.
 */
unsigned long heap_lo = ULONG_MAX;
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(heap_lo);
unsigned long heap_hi;
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(heap_hi);

static unsigned int chunk_kernel_pages(const struct heap_chunk *ch)
{
	return 1U << ch->order;
}

/* ------------------------------------------------------------------ */
/* Chunks */

static struct heap_chunk *chunk_alloc(unsigned int min_order, gfp_t gfp)
{
	gfp_t pgfp = (gfp & GOALLOC_GFP_MASK) | __GFP_NOWARN;
	struct heap_chunk *ch;
	struct page *page = NULL;
	unsigned int order;

	ch = kzalloc(sizeof(*ch), pgfp);
	if (!ch)
		return NULL;
	/* ch->base points into the chunk: see span_meta_alloc(). */
	kmemleak_scan_area(&ch->list, sizeof(ch->list), pgfp);

	/*
	 * Try the largest orders optimistically, without direct reclaim or
	 * compaction (as SLUB does for its preferred slab order; kswapd is
	 * still woken), then insist with the caller's own flags, __GFP_NOFAIL
	 * included, at the order needed.
	 */
	for (order = GOALLOC_CHUNK_ORDER; order > min_order; order--) {
		page = alloc_pages((pgfp & ~(__GFP_NOFAIL | __GFP_DIRECT_RECLAIM)) |
				   __GFP_NORETRY | __GFP_NOMEMALLOC, order);
		if (page)
			break;
	}
	if (!page) {
		order = min_order;
		page = alloc_pages(pgfp, order);
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
	if (ch->base + (kpages << PAGE_SHIFT) > heap_hi)
		WRITE_ONCE(heap_hi, ch->base + (kpages << PAGE_SHIFT));
	heap_stats.chunks++;
	heap_stats.chunk_allocs++;
	count_event(EV_CHUNK_ALLOC);
	heap_stats.sys_pages += kpages;
	heap_stats.pages_from_buddy += kpages;
	heap_idle_pages += kpages;
	heap_free_gopages += ch->npages;
}

static void __chunk_take(struct heap_chunk *ch, unsigned int first,
			 unsigned int npages)
{
	lockdep_assert_held(&heap_lock);
	if (ch->nfree == ch->npages)
		heap_idle_pages -= chunk_kernel_pages(ch);
	if (npages == 1)
		__set_bit(first, ch->used);
	else
		bitmap_set(ch->used, first, npages);
	ch->nfree -= npages;
	heap_free_gopages -= npages;
	if (first == ch->hint)
		ch->hint = first + npages;
	if (!ch->nfree)
		list_move(&ch->list, &heap_full_chunks);
	heap_stats.inuse_pages += npages << GOALLOC_PAGE_ORDER;
}

/* First fit; older chunks first, so newer ones have a chance to go idle. */
static bool __heap_find_run(unsigned int npages, struct heap_chunk **chunk,
			    unsigned int *first)
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
		if (ch->nfree < npages || (ch->no_fit && npages >= ch->no_fit))
			continue;
		/* Most runs fit at the hint: check that before searching. */
		i = ch->hint;
		if (i + npages > ch->npages ||
		    (npages == 1 ? test_bit(i, ch->used) :
		     find_next_bit(ch->used, i + npages, i) < i + npages))
			i = bitmap_find_next_zero_area(ch->used, ch->npages,
						       ch->hint, npages, 0);
		if (i + npages > ch->npages) {
			ch->no_fit = npages;
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
 * @gfp: the caller's mask; the buddy allocator is called only if no chunk
 *	 has room, and without heap_lock held
 * @chunk: set to the chunk holding the run
 * @first: set to the run's first Go page in @chunk
 *
 * Context: any context that @gfp allows. Takes heap_lock.
 * Return: 0, or -ENOMEM when the buddy allocator has no block large enough.
 */
int heap_alloc_run(unsigned int npages, gfp_t gfp, struct heap_chunk **chunk,
		   unsigned int *first)
{
	unsigned int min_order = order_base_2(npages) + GOALLOC_PAGE_ORDER;
	struct heap_chunk *ch;
	unsigned long flags;
	bool found;

	spin_lock_irqsave(&heap_lock, flags);
	found = __heap_find_run(npages, chunk, first);
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
	/* The new chunk is ours until the lock drops: the run is at its start. */
	__chunk_take(ch, 0, npages);
	spin_unlock_irqrestore(&heap_lock, flags);
	*chunk = ch;
	*first = 0;
	return 0;
}
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(heap_alloc_run);

/* Return: true if free pages now exceed the headroom. */
static bool __heap_free_run(struct heap_chunk *ch, unsigned int first,
			    unsigned int npages)
{
	lockdep_assert_held(&heap_lock);
	if (!ch->nfree)
		list_move_tail(&ch->list, &heap_chunks);
	if (npages == 1)
		__clear_bit(first, ch->used);
	else
		bitmap_clear(ch->used, first, npages);
	ch->nfree += npages;
	heap_free_gopages += npages;
	ch->hint = min(ch->hint, first);
	ch->no_fit = 0;
	heap_stats.inuse_pages -= npages << GOALLOC_PAGE_ORDER;
	if (ch->nfree == ch->npages)
		heap_idle_pages += chunk_kernel_pages(ch);
	return (heap_free_gopages << GOALLOC_PAGE_ORDER) > heap_headroom_pages();
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
	idle = __heap_free_run(ch, first, npages);
	spin_unlock_irqrestore(&heap_lock, flags);
	if (idle)
		heap_schedule_scavenge();
}
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(heap_free_run);

/*
 * Span metadata. Go's mheap allocates mspans from its own fixalloc and
 * recycles them; here the heap keeps freed spans, one list per bitmap
 * size, under heap_lock, which span creation and destruction take anyway.
 * That saves a kmalloc() and a kfree() per span, most of a span's cost in
 * classes of few objects per span. The pool never holds more spans than
 * the heap has free Go pages to build spans on (at most 2.5 % of the idle
 * memory, for spans of 8-byte objects), and shrinks as chunks go back.
 */
#define HEAP_SPAN_WORDS		(2 * BITS_TO_LONGS(GOALLOC_MAX_SPAN_OBJECTS) + \
				 DIV_ROUND_UP(GOALLOC_MAX_SPAN_OBJECTS, 4))

static struct list_head span_pool[HEAP_SPAN_WORDS + 1];	/* heap_lock */
static unsigned long span_pool_count;			/* heap_lock */

/*
 * Spans of one bitmap word (classes of 64 objects per span or fewer, and
 * large objects, unless debug or track_waste add words) churn the most:
 * their metadata has a cache of its own, cheaper than kmalloc() and freed
 * in batches. kmemleak neither tracks nor scans it, as it would otherwise
 * scan only the list links (see span_meta_alloc()).
 */
static struct kmem_cache *span_cache;
#define SPAN_CACHE_WORDS	1
#define SPAN_FREE_BATCH		16

/* Metadata for a span of @words bitmap words. */
static struct span *span_meta_alloc(unsigned int words, gfp_t gfp)
{
	gfp_t mgfp = (gfp & GOALLOC_GFP_MASK) | __GFP_NOWARN;
	struct span *s;

	if (words == SPAN_CACHE_WORDS)
		return kmem_cache_alloc(span_cache, mgfp);
	s = kmalloc(struct_size(s, allocbits, words), mgfp);
	/*
	 * kmemleak scans only the list links: s->base points to object 0,
	 * and would hide that object's leak.
	 */
	if (s)
		kmemleak_scan_area(&s->list, sizeof(s->list), mgfp);
	return s;
}

/*
 * Free the metadata of @n spans of @words bitmap words. Not with
 * kmem_cache_free_bulk(): in 6.1, SLAB's turns interrupts back on, and
 * this runs with them off (a free in hard IRQ, the drain IPI).
 */
static void span_meta_free(struct span **v, unsigned int n, unsigned int words)
{
	while (n--) {
		if (words == SPAN_CACHE_WORDS)
			kmem_cache_free(span_cache, v[n]);
		else
			kfree(v[n]);
	}
}

static struct span *__span_pool_pop(unsigned int words)
{
	struct span *s;

	lockdep_assert_held(&heap_lock);
	/* span_words() is at most HEAP_SPAN_WORDS. */
	if (WARN_ON_ONCE(words > HEAP_SPAN_WORDS))
		return NULL;
	s = list_first_entry_or_null(&span_pool[words], struct span, list);
	if (s) {
		list_del(&s->list);
		span_pool_count--;
	}
	return s;
}

static bool __span_pool_push(struct span *s, unsigned int words)
{
	lockdep_assert_held(&heap_lock);
	if (span_pool_count >= heap_free_gopages || words > HEAP_SPAN_WORDS)
		return false;
	list_add(&s->list, &span_pool[words]);
	span_pool_count++;
	return true;
}

/*
 * Field by field rather than memset(): span creation is the cost of each
 * object in classes of one or two objects per span, and a rep stosb costs
 * an instruction per byte where instructions are counted.
 */
static void span_set_run(struct span *s, struct heap_chunk *ch,
			 unsigned int first, unsigned int npages)
{
	*s = (struct span) {
		.chunk = ch,
		.first = first,
		.npages = npages,
		.base = ch->base + first * GOALLOC_PAGE_SIZE,
	};
}

/**
 * heap_alloc_spans() - spans with runs of pages, several under one lock
 * @npages: Go pages of each run
 * @words: bitmap words each span's metadata carries
 * @gfp: the caller's mask
 * @n: spans wanted, at least 1
 * @list: receives the spans, linked by their ->list
 *
 * Classes with fewer objects per span than half a magazine (896 bytes and
 * up) refill a magazine with several spans. Metadata comes from the pool
 * and runs from the chunks under one heap_lock hold, not one per span; if
 * the pool runs short, the rest of the metadata is allocated with the lock
 * dropped, and the runs are taken under a second hold. When no chunk has a run, the heap grows by one
 * chunk and one span is made from it.
 *
 * Context: any context that @gfp allows. Takes heap_lock.
 * Return: spans added to @list, 1 .. @n, each with chunk, first, npages
 * and base set and its other fields zero, its @words of trailing metadata
 * for the caller to set; 0 when memory is short.
 */
unsigned int heap_alloc_spans(unsigned int npages, unsigned int words,
			      gfp_t gfp, unsigned int n, struct list_head *list)
{
	unsigned int got = 0, placed = 0, first;
	struct span *s, *tmp;
	struct heap_chunk *ch;
	unsigned long flags;
	LIST_HEAD(spans);
	LIST_HEAD(spare);

	spin_lock_irqsave(&heap_lock, flags);
	for (; got < n && (s = __span_pool_pop(words)); got++)
		list_add(&s->list, &spans);
	if (got < n) {
		/* The pool ran short: more metadata, without the lock. */
		spin_unlock_irqrestore(&heap_lock, flags);
		for (; got < n && (s = span_meta_alloc(words, gfp)); got++)
			list_add(&s->list, &spans);
		if (!got)
			return 0;
		spin_lock_irqsave(&heap_lock, flags);
	}
	list_for_each_entry_safe(s, tmp, &spans, list) {
		if (!__heap_find_run(npages, &ch, &first))
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
		if (!placed || !__span_pool_push(s, words))
			list_add(&s->list, &spare);
	}
	spin_unlock_irqrestore(&heap_lock, flags);

	if (!placed) {
		/* No chunk has room: grow, for one span. */
		s = list_first_entry(&spare, struct span, list);
		list_del(&s->list);
		if (heap_alloc_run(npages, gfp, &ch, &first)) {
			list_add(&s->list, &spare);
		} else {
			span_set_run(s, ch, first, npages);
			list_add_tail(&s->list, list);
			placed = 1;
		}
	}
	list_for_each_entry_safe(s, tmp, &spare, list)
		span_meta_free(&s, 1, words);
	return placed;
}

/*
 * @s's run back to its chunk and its metadata to the pool, or to @spare
 * for heap_spans_freed() when the pool is full.
 * Return: true if free pages now exceed the headroom.
 */
static bool __heap_put_span(struct span *s, struct list_head *spare)
{
	bool idle = __heap_free_run(s->chunk, s->first, s->npages);

	if (!__span_pool_push(s, span_words(s->nelems)))
		list_add(&s->list, spare);
	return idle;
}

/* After __heap_put_span() and heap_lock dropped: free @spare, scavenge. */
static void heap_spans_freed(struct list_head *spare, bool idle)
{
	struct span *s, *tmp;

	list_for_each_entry_safe(s, tmp, spare, list)
		span_meta_free(&s, 1, span_words(s->nelems));
	if (idle)
		heap_schedule_scavenge();
}

/**
 * heap_free_spans() - give spans' runs back, and keep their metadata for reuse
 * @list: spans linked by ->list, their pages no longer mapped to them
 *
 * Context: any. Takes heap_lock once.
 */
void heap_free_spans(struct list_head *list)
{
	struct span *s, *tmp;
	unsigned long flags;
	bool idle = false;
	LIST_HEAD(spare);

	spin_lock_irqsave(&heap_lock, flags);
	list_for_each_entry_safe(s, tmp, list, list) {
		list_del(&s->list);
		idle |= __heap_put_span(s, &spare);
	}
	spin_unlock_irqrestore(&heap_lock, flags);
	heap_spans_freed(&spare, idle);
}

/* Free pooled spans beyond @keep, a batch per lock round trip. */
static void heap_trim_span_pool(unsigned long keep)
{
	struct span *v[SPAN_FREE_BATCH];
	unsigned int w = 0, n;
	unsigned long flags;

	while (w <= HEAP_SPAN_WORDS) {
		spin_lock_irqsave(&heap_lock, flags);
		for (n = 0; n < SPAN_FREE_BATCH && span_pool_count > keep; n++) {
			v[n] = __span_pool_pop(w);
			if (!v[n])
				break;
		}
		spin_unlock_irqrestore(&heap_lock, flags);
		if (n)
			span_meta_free(v, n, w);
		if (n < SPAN_FREE_BATCH) {
			if (READ_ONCE(span_pool_count) <= keep)
				break;
			w++;
		}
	}
}

/* Free every pooled span: drain level 2 and unload. */
void heap_release_span_pool(void)
{
	heap_trim_span_pool(0);
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

/**
 * heap_note_large() - list and account a new large object
 * @s: its SPAN_LARGE span
 *
 * Context: any; takes heap_lock.
 */
void heap_note_large(struct span *s)
{
	unsigned long flags;

	spin_lock_irqsave(&heap_lock, flags);
	list_add(&s->list, &heap_large);
	heap_stats.large_objects++;
	heap_stats.large_pages += s->npages << GOALLOC_PAGE_ORDER;
	heap_stats.large_req_bytes += s->size;
	heap_stats.large_bytes_total += span_bytes(s);
	spin_unlock_irqrestore(&heap_lock, flags);
}

/**
 * heap_free_large() - unlist a freed large object and give its pages back
 * @s: its SPAN_LARGE span, its pages no longer mapped to it
 *
 * Context: any; takes heap_lock once.
 */
void heap_free_large(struct span *s)
{
	unsigned long flags;
	LIST_HEAD(spare);
	bool idle;

	spin_lock_irqsave(&heap_lock, flags);
	list_del(&s->list);
	s->allocated = 0;
	heap_stats.large_objects--;
	heap_stats.large_pages -= s->npages << GOALLOC_PAGE_ORDER;
	heap_stats.large_req_bytes -= s->size;
	idle = __heap_put_span(s, &spare);
	spin_unlock_irqrestore(&heap_lock, flags);
	heap_spans_freed(&spare, idle);
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
	*st = heap_stats;
	st->idle_pages = heap_idle_pages;
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

/* ------------------------------------------------------------------ */
/* Shrinker: memory pressure may take the headroom too. */

static unsigned long heap_shrink_count(struct shrinker *sh,
				       struct shrink_control *sc)
{
	return READ_ONCE(heap_idle_pages);
}

/*
 * Reclaim counts pages a shrinker frees only when told, as slab tells it;
 * without this, the direct reclaim that took goalloc's idle chunks saw no
 * progress and failed its __GFP_NORETRY request. mm_account_reclaimed_pages()
 * exists from 6.4 (Kbuild detects it); up to 6.3 the field is reclaimed_slab.
 */
static void heap_account_reclaimed(unsigned long pages)
{
#ifdef GOALLOC_HAVE_MM_ACCOUNT_RECLAIMED
	mm_account_reclaimed_pages(pages);
#else
	if (current->reclaim_state)
		current->reclaim_state->reclaimed_slab += pages;
#endif
}

static unsigned long heap_shrink_scan(struct shrinker *sh,
				      struct shrink_control *sc)
{
	unsigned long idle = READ_ONCE(heap_idle_pages);
	unsigned long released, flags;

	released = heap_release_free_chunks(idle > sc->nr_to_scan ?
					    idle - sc->nr_to_scan : 0);
	spin_lock_irqsave(&heap_lock, flags);
	heap_stats.shrinker_calls++;
	heap_stats.shrinker_pages += released;
	spin_unlock_irqrestore(&heap_lock, flags);
	count_event(EV_SHRINK_CALL);
	this_cpu_add(goalloc_events[EV_SHRINK_PAGES], released);
	heap_account_reclaimed(released);
	return released ?: SHRINK_STOP;
}

/*
 * register_shrinker() with a name exists from 6.0; 6.7 replaced it with
 * shrinker_alloc() / shrinker_register() / shrinker_free(). Kbuild defines
 * GOALLOC_HAVE_SHRINKER_ALLOC when the kernel's shrinker.h has the latter.
 */
#ifdef GOALLOC_HAVE_SHRINKER_ALLOC
static struct shrinker *heap_shrinker;

static int heap_shrinker_register(void)
{
	heap_shrinker = shrinker_alloc(0, "goalloc-heap");
	if (!heap_shrinker)
		return -ENOMEM;
	heap_shrinker->count_objects = heap_shrink_count;
	heap_shrinker->scan_objects = heap_shrink_scan;
	heap_shrinker->batch = GOALLOC_CHUNK_PAGES << GOALLOC_PAGE_ORDER;
	shrinker_register(heap_shrinker);
	return 0;
}

static void heap_shrinker_unregister(void)
{
	shrinker_free(heap_shrinker);
}
#else
static struct shrinker heap_shrinker = {
	.count_objects = heap_shrink_count,
	.scan_objects = heap_shrink_scan,
	.batch = GOALLOC_CHUNK_PAGES << GOALLOC_PAGE_ORDER,
	.seeks = DEFAULT_SEEKS,
};

static int heap_shrinker_register(void)
{
	return register_shrinker(&heap_shrinker, "goalloc-heap");
}

static void heap_shrinker_unregister(void)
{
	unregister_shrinker(&heap_shrinker);
}
#endif

/**
 * heap_shrink() - what memory pressure would do: release idle chunks
 * @nr_to_scan: pages the shrinker is asked for
 *
 * Return: pages released. For tests.
 */
unsigned long heap_shrink(unsigned long nr_to_scan)
{
	struct shrink_control sc = { .gfp_mask = GFP_KERNEL,
				     .nr_to_scan = nr_to_scan };
	unsigned long r = heap_shrink_scan(NULL, &sc);

	return r == SHRINK_STOP ? 0 : r;
}
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(heap_shrink);

/* ------------------------------------------------------------------ */

int heap_init(void)
{
	unsigned int w;

	for (w = 0; w <= HEAP_SPAN_WORDS; w++)
		INIT_LIST_HEAD(&span_pool[w]);
	span_cache = kmem_cache_create("goalloc_span",
				       struct_size_t(struct span, allocbits,
						     SPAN_CACHE_WORDS),
				       0, SLAB_NOLEAKTRACE, NULL);
	if (!span_cache)
		return -ENOMEM;
	/* The shrinker is optional: without it only the headroom is kept. */
	if (heap_shrinker_register())
		pr_warn("no shrinker; idle headroom is released only by time\n");
	return 0;
}

/* Every span is gone: give every chunk back. */
void heap_exit(void)
{
	heap_shrinker_unregister();
	heap_release_span_pool();
	heap_release_free_chunks(0);
	WARN_ON(!list_empty(&heap_chunks) || !list_empty(&heap_full_chunks));
	kmem_cache_destroy(span_cache);
}
