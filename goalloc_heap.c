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
 * the chunk lists, every chunk's bitmap and counters, and the heap
 * statistics. It nests inside a class's central lock and inside a CPU's
 * page-cache lock (a local_lock), and nothing nests inside it. Each CPU's
 * list of large objects has its own lock (struct heap_large), which may
 * nest inside the page-cache lock and holds nothing inside it. The
 * buddy allocator is never called with it held: growing drops the lock,
 * allocates, and retakes it.
 */

#define pr_fmt(fmt) "goalloc: " fmt

#include <linux/gfp.h>
#include <linux/moduleparam.h>
#include <linux/sched/mm.h>
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
static DEFINE_PER_CPU(struct heap_large, heap_large);
static struct heap_stats heap_stats;	/* heap_lock */
static unsigned long heap_idle_pages;	/* heap_lock: pages of idle chunks */
static unsigned long heap_free_gopages;	/* heap_lock: Go pages in no span */

/*
 * Bounds of every chunk ever held, for span_of()'s first test, and
 * heap_hi - PAGE_OFFSET, the one bound it tests on x86-64. Written under
 * heap_lock, read locklessly: heap_lo only falls, the others only rise.
 */
unsigned long heap_lo __read_mostly = ULONG_MAX;
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(heap_lo);
unsigned long heap_hi __read_mostly;
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(heap_hi);
unsigned long heap_top __read_mostly;
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(heap_top);

static unsigned int chunk_kernel_pages(const struct heap_chunk *ch)
{
	return 1U << ch->order;
}

/* ------------------------------------------------------------------ */
/* Chunks */

/*
 * The buddy allocator warns of __GFP_NOFAIL above order 1 (rmqueue(),
 * 6.1), which SLUB never asks for up to 8 KiB: its last resort is its
 * minimum order, 0 or 1 there. A span of 2 to 4 Go pages needs order 2 or
 * 3; for those the retries are goalloc's, as the allocator's own
 * __GFP_NOFAIL loop, which it needs direct reclaim for. Large objects
 * pass the flag on, as kmalloc_large() does from 16 KiB.
 */
static struct page *chunk_alloc_pages(gfp_t gfp, unsigned int order)
{
	struct page *page;

	if (!(gfp & __GFP_NOFAIL) || order <= 1 ||
	    order > PAGE_ALLOC_COSTLY_ORDER || !gfpflags_allow_blocking(gfp))
		return alloc_pages(gfp, order);
	for (;;) {
		page = alloc_pages(gfp & ~__GFP_NOFAIL, order);
		if (page)
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
	/* ch->base points into the chunk: see span_meta_alloc(). */
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
		WRITE_ONCE(heap_top, heap_hi - PAGE_OFFSET);
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
static bool heap_over_headroom(void)
{
	return (READ_ONCE(heap_free_gopages) << GOALLOC_PAGE_ORDER) >
	       heap_headroom_pages();
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
 * back. Callers ask heap_over_headroom() once they are done: it costs
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
	heap_stats.inuse_pages -= n << GOALLOC_PAGE_ORDER;
	if (ch->nfree == ch->npages)
		heap_idle_pages += chunk_kernel_pages(ch);
}

static void __chunk_take(struct heap_chunk *ch, unsigned int first,
			 unsigned int npages)
{
	if (npages == 1)
		__set_bit(first, ch->used);
	else
		bitmap_set(ch->used, first, npages);
	if (first == ch->hint)
		ch->hint = first + npages;
	__chunk_account_take(ch, npages);
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

static void __heap_free_run(struct heap_chunk *ch, unsigned int first,
			    unsigned int npages)
{
	if (npages == 1)
		__clear_bit(first, ch->used);
	else
		bitmap_clear(ch->used, first, npages);
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
	idle = heap_over_headroom();
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
 * this runs with them off (a free in hard IRQ, the drain).
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
 * A span struct for a run: the run, and zero in the fields span_init()
 * does not set. Field by field rather than a zeroed struct: span creation
 * is the cost of each object in classes of one or two objects per span,
 * and a zeroed struct is a rep stosq, an instruction per word where
 * instructions are counted.
 */
static void span_set_run(struct span *s, struct heap_chunk *ch,
			 unsigned int first, unsigned int npages)
{
	s->base = ch->base + first * GOALLOC_PAGE_SIZE;
	s->chunk = ch;
	s->first = first;
	s->npages = npages;
	s->state = 0;
	s->allocated = 0;
	s->freeindex = 0;
	s->nsampled = 0;
	s->cachedbits = NULL;
	s->req = NULL;
	s->size = 0;
}

/*
 * @s's run back to its chunk and its metadata to the pool, or to @spare
 * for heap_spans_freed() when the pool is full.
 */
static void __heap_put_span(struct span *s, struct list_head *spare)
{
	__heap_free_run(s->chunk, s->first, s->npages);
	if (!__span_pool_push(s, span_words(s->nelems)))
		list_add(&s->list, spare);
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

/*
 * Go's page cache and span cache (mpagecache.go, mheap.allocMSpanLocked):
 * each CPU keeps a block of up to 64 free Go pages, one word of a chunk's
 * bitmap taken whole from the heap, and a few span structs, and makes
 * spans and large objects of up to PCACHE_MAX_RUN pages from them with
 * interrupts off and without heap_lock. Runs freed on that CPU inside its
 * block go back to it. For the heap, the block's pages are in use: their
 * bits are set, HeapInuse counts them, and debugfs "heap" shows them as
 * PageCacheBytes. The block goes back to the heap when it has no run long
 * enough for a request, and when the CPU's caches are drained or the CPU
 * goes offline. A CPU's page cache is under its local lock, heap_lock
 * nests inside it.
 *
 * Beyond Go: the page cache also keeps runs of large objects, whole, span
 * struct included, for the next large allocation of the same size on this
 * CPU (tcmalloc's per-CPU caches serve objects up to 256 KiB the same
 * way): runs freed here outside the block, and, for runs longer than the
 * block serves, up to PCACHE_RUN_BATCH - 1 more taken under the same
 * heap_lock hold when this CPU missed runs of that length twice in a row
 * (so that a one-off allocation takes one run). A full cache gives its
 * older half back under one hold. Go takes its heap lock for every large
 * span; so did goalloc, and two CPUs trading 256 KiB objects spent their
 * time on heap_lock (0.9-1.0x kmalloc's time, whose order-6 pages take the
 * zone lock; 0.62-0.68x with this cache). Runs of up to PCACHE_RUN_MAX Go
 * pages are kept, PCACHE_RUN_PAGES in all; for the heap they are in use,
 * as the block is, and count in PageCacheBytes. Like the block, they go back when the
 * caches are drained (the scavenger drains them when free pages, cached
 * ones included, exceed the headroom) or the CPU goes offline; keeping a
 * run does not schedule the scavenger, so up to 1.5 MiB per CPU (block
 * and runs) can wait for the next drain, or for memory pressure: the
 * shrinker counts them, and has the scavenger drain when idle chunks
 * fall short (heap_request_drain()).
 */
#define PCACHE_MAX_RUN		16
#define PCACHE_SPANS		16
#define PCACHE_RUNS		8
#define PCACHE_RUN_MAX		32	/* 256 KiB */
#define PCACHE_RUN_PAGES	128	/* 1 MiB */
#define PCACHE_RUN_BATCH	4

struct pcache {
	local_lock_t lock;		/* interrupts off, except on RT */
	struct heap_chunk *chunk;	/* NULL: no block */
	unsigned int word;		/* the block: Go pages word * 64 .. + 63 */
	unsigned long free;		/* its free pages */
	unsigned int nspans;
	struct span *spans[PCACHE_SPANS];	/* SPAN_CACHE_WORDS metadata */
	unsigned int nruns;		/* free runs, oldest first */
	unsigned int run_pages;		/* their Go pages */
	u8 nruns_of[PCACHE_RUN_MAX];	/* [n - 1]: runs of n pages kept */
	struct span *runs[PCACHE_RUNS];	/* SPAN_CACHE_WORDS metadata */
	unsigned int missed;		/* length of the last run missed */
};
static DEFINE_PER_CPU(struct pcache, heap_pcache) = {
	.lock = INIT_LOCAL_LOCK(lock),
};

/* Free Go pages of bitmap word @w of @ch, as a mask. */
static unsigned long chunk_free_bits(const struct heap_chunk *ch,
				     unsigned int w)
{
	unsigned int left = ch->npages - w * BITS_PER_LONG;

	return ~ch->used[w] & (left >= BITS_PER_LONG ? ~0UL : BIT(left) - 1);
}

/* Give @pc's block back. Return: true if free pages now exceed the headroom. */
static bool __pcache_flush(struct pcache *pc)
{
	bool idle = false;

	lockdep_assert_held(&heap_lock);
	if (pc->free) {
		pc->chunk->used[pc->word] &= ~pc->free;
		__chunk_account_free(pc->chunk,
				     pc->word * BITS_PER_LONG + __ffs(pc->free),
				     hweight_long(pc->free));
		idle = heap_over_headroom();
	}
	pc->chunk = NULL;
	pc->free = 0;
	return idle;
}

/*
 * Span structs from the pool for @pc, and a block with a run of @npages
 * unless it has one: a new block, its old one given back. Sets *@idle as
 * __pcache_flush(). Return: false if no chunk has such a block.
 */
static bool __pcache_refill(struct pcache *pc, unsigned int npages,
			    bool *idle)
{
	struct heap_chunk *ch;
	unsigned long bits;
	unsigned int w;
	struct span *s;

	lockdep_assert_held(&heap_lock);
	while (pc->nspans < PCACHE_SPANS &&
	       (s = __span_pool_pop(SPAN_CACHE_WORDS)))
		pc->spans[pc->nspans++] = s;
	if (bits_find_run(pc->free, npages) < BITS_PER_LONG)
		return true;
	*idle = __pcache_flush(pc);
	list_for_each_entry(ch, &heap_chunks, list) {
		if (ch->nfree < npages || (ch->no_fit && npages >= ch->no_fit))
			continue;
		/* Pages below the hint are in use. */
		for (w = ch->hint / BITS_PER_LONG;
		     w < BITS_TO_LONGS(ch->npages); w++) {
			bits = chunk_free_bits(ch, w);
			if (bits_find_run(bits, npages) == BITS_PER_LONG)
				continue;
			ch->used[w] |= bits;
			if (w == ch->hint / BITS_PER_LONG)
				ch->hint = min((w + 1) * BITS_PER_LONG, ch->npages);
			__chunk_account_take(ch, hweight_long(bits));
			pc->chunk = ch;
			pc->word = w;
			pc->free = bits;
			return true;
		}
	}
	return false;
}

/* Cut a run of @npages from @pc's block, under its lock. */
static bool pcache_take(struct pcache *pc, unsigned int npages,
			struct heap_chunk **ch, unsigned int *first)
{
	unsigned int bit = bits_find_run(pc->free, npages);

	if (bit >= BITS_PER_LONG)
		return false;
	/* @npages is at most PCACHE_MAX_RUN: a mask cheaper than GENMASK(). */
	pc->free &= ~((BIT(npages) - 1) << bit);
	*ch = pc->chunk;
	*first = pc->word * BITS_PER_LONG + bit;
	return true;
}

/* Does @s's run lie in @pc's block? */
static bool pcache_owns(const struct pcache *pc, const struct span *s)
{
	return s->chunk == pc->chunk && s->first / BITS_PER_LONG == pc->word &&
	       s->first % BITS_PER_LONG + s->npages <= BITS_PER_LONG;
}

/*
 * @s's run, which lies in @pc's block, back to the block, and its metadata
 * to @pc, or to @spare; under @pc's lock.
 */
static void pcache_put(struct pcache *pc, struct span *s,
		       struct list_head *spare)
{
	unsigned int bit = s->first % BITS_PER_LONG;

	pc->free |= GENMASK(bit + s->npages - 1, bit);
	if (span_words(s->nelems) == SPAN_CACHE_WORDS &&
	    pc->nspans < PCACHE_SPANS)
		pc->spans[pc->nspans++] = s;
	else
		list_add(&s->list, spare);
}

/* Would the page cache keep @npages runs, of spans of @words words? */
static bool pcache_keeps(unsigned int npages, unsigned int words)
{
	return npages <= PCACHE_RUN_MAX && words == SPAN_CACHE_WORDS;
}

/* Has @pc room for a run of @npages without giving others back? */
static bool pcache_run_room(const struct pcache *pc, unsigned int npages)
{
	return pc->nruns < PCACHE_RUNS &&
	       pc->run_pages + npages <= PCACHE_RUN_PAGES;
}

/*
 * Keep @s, a free span that pcache_keeps(), in @pc; if @pc is full, its
 * oldest runs go to @give for the heap, half of them or enough for @s.
 */
static __always_inline void pcache_keep_run(struct pcache *pc,
					    struct span *s,
					    struct list_head *give)
{
	unsigned int n = 0;

	if (!pcache_run_room(pc, s->npages)) {
		while (n < pc->nruns / 2 ||
		       pc->run_pages + s->npages > PCACHE_RUN_PAGES) {
			pc->run_pages -= pc->runs[n]->npages;
			pc->nruns_of[pc->runs[n]->npages - 1]--;
			list_add_tail(&pc->runs[n++]->list, give);
		}
		pc->nruns -= n;
		memmove(pc->runs, pc->runs + n, pc->nruns * sizeof(*pc->runs));
	}
	pc->runs[pc->nruns++] = s;
	pc->run_pages += s->npages;
	pc->nruns_of[s->npages - 1]++;
}

/*
 * Runs of @npages to take from the heap on a miss of this CPU's page
 * cache: one, or as many more as the cache has room for (up to
 * PCACHE_RUN_BATCH in all) when the last miss was of this length too.
 * Racy reads of this CPU's fields: a hint, which pcache_keep_extra_runs()
 * checks under the lock.
 */
static unsigned int pcache_run_batch(unsigned int npages)
{
	unsigned int room;

	if (raw_cpu_read(heap_pcache.missed) != npages) {
		raw_cpu_write(heap_pcache.missed, npages);
		return 1;
	}
	room = min(PCACHE_RUNS - raw_cpu_read(heap_pcache.nruns),
		   (PCACHE_RUN_PAGES - raw_cpu_read(heap_pcache.run_pages)) /
		   npages);
	return 1 + min(room, PCACHE_RUN_BATCH - 1);
}

/*
 * Keep new spans of @extra in this CPU's page cache as far as it has room
 * (pcache_keeps() them); give the others back.
 */
static void pcache_keep_extra_runs(struct list_head *extra)
{
	struct span *s, *tmp;
	unsigned long flags;
	struct pcache *pc;

	local_lock_irqsave(&heap_pcache.lock, flags);
	pc = this_cpu_ptr(&heap_pcache);
	list_for_each_entry_safe(s, tmp, extra, list) {
		s->nelems = 1;	/* as a large object's, for span_words() */
		if (pcache_run_room(pc, s->npages)) {
			list_del(&s->list);
			pcache_keep_run(pc, s, NULL);
		}
	}
	local_unlock_irqrestore(&heap_pcache.lock, flags);
	heap_free_spans(extra);
}

/* A kept run of @npages, newest first, as a span fresh from the heap. */
static struct span *pcache_take_run(struct pcache *pc, unsigned int npages)
{
	unsigned int i = pc->nruns;
	struct span *s;

	while (i--) {
		s = pc->runs[i];
		if (s->npages != npages)
			continue;
		if (i < --pc->nruns)
			memmove(pc->runs + i, pc->runs + i + 1,
				(pc->nruns - i) * sizeof(*pc->runs));
		pc->run_pages -= npages;
		pc->nruns_of[npages - 1]--;
		span_set_run(s, s->chunk, s->first, npages);
		return s;
	}
	return NULL;
}

/*
 * Span structs for this CPU's page cache when it and the pool have none:
 * from the slab, before interrupts go off, as kmem_cache_alloc() may sleep.
 */
static noinline void pcache_add_fresh_spans(gfp_t gfp)
{
	struct span *fresh[PCACHE_SPANS / 2];
	unsigned int n = 0;
	unsigned long flags;
	struct pcache *pc;

	while (n < ARRAY_SIZE(fresh) &&
	       (fresh[n] = span_meta_alloc(SPAN_CACHE_WORDS, gfp)))
		n++;
	local_lock_irqsave(&heap_pcache.lock, flags);
	pc = this_cpu_ptr(&heap_pcache);
	while (n && pc->nspans < PCACHE_SPANS)
		pc->spans[pc->nspans++] = fresh[--n];
	local_unlock_irqrestore(&heap_pcache.lock, flags);
	span_meta_free(fresh, n, SPAN_CACHE_WORDS);
}

/*
 * heap_alloc_spans() from this CPU's page cache: up to @n spans of
 * @npages, at most one round trip to the heap for a new block.
 */
static unsigned int pcache_alloc_spans(unsigned int npages, gfp_t gfp,
				       unsigned int n, struct list_head *list)
{
	bool tried = false, idle = false, ok;
	unsigned int got = 0, first;
	struct heap_chunk *ch;
	unsigned long flags;
	struct pcache *pc;
	struct span *s;

	/* A racy peek: short of structs for @n spans, and none pooled. */
	if (raw_cpu_read(heap_pcache.nspans) < n &&
	    list_empty(&span_pool[SPAN_CACHE_WORDS]))
		pcache_add_fresh_spans(gfp);
	local_lock_irqsave(&heap_pcache.lock, flags);
	pc = this_cpu_ptr(&heap_pcache);
	while (got < n) {
		if (!pc->nspans || !pcache_take(pc, npages, &ch, &first)) {
			if (tried)
				break;
			tried = true;
			spin_lock(&heap_lock);
			ok = __pcache_refill(pc, npages, &idle);
			spin_unlock(&heap_lock);
			if (!ok)
				break;
			continue;
		}
		s = pc->spans[--pc->nspans];
		span_set_run(s, ch, first, npages);
		list_add_tail(&s->list, list);
		got++;
	}
	local_unlock_irqrestore(&heap_pcache.lock, flags);
	if (idle)
		heap_schedule_scavenge();
	return got;
}

/**
 * heap_cpu_drain() - give a CPU's page cache back to the heap
 * @cpu: the CPU; the caller runs on it, or it is dead
 *
 * Context: as said; takes heap_lock.
 */
void heap_cpu_drain(int cpu)
{
	struct pcache *pc = per_cpu_ptr(&heap_pcache, cpu);
	unsigned long flags;
	LIST_HEAD(spare);
	struct span *s;
	bool idle;

	/* This CPU's lock: @cpu is this one, or dead. */
	local_lock_irqsave(&heap_pcache.lock, flags);
	spin_lock(&heap_lock);
	idle = __pcache_flush(pc);
	if (pc->nruns) {
		while (pc->nruns)
			__heap_put_span(pc->runs[--pc->nruns], &spare);
		pc->run_pages = 0;
		memset(pc->nruns_of, 0, sizeof(pc->nruns_of));
		idle = heap_over_headroom();
	}
	while (pc->nspans) {
		s = pc->spans[--pc->nspans];
		if (!__span_pool_push(s, SPAN_CACHE_WORDS))
			list_add(&s->list, &spare);
	}
	spin_unlock(&heap_lock);
	local_unlock_irqrestore(&heap_pcache.lock, flags);
	heap_spans_freed(&spare, idle);
}

/**
 * heap_cpu_cache_check() - is this CPU's page cache in use in its chunks?
 * @bad_runs: set to the number of kept runs that are not: a page of the
 *	      run free in its chunk, its first page still mapped to a span,
 *	      too long, or not summed right in the cache's page count
 *
 * Return: the block's free pages that its chunk counts free too (a
 * violation; 0 when consistent), as a mask of the block's word.
 */
unsigned long heap_cpu_cache_check(unsigned int *bad_runs)
{
	u8 nruns_of[PCACHE_RUN_MAX] = {};
	unsigned long flags, bad = 0;
	unsigned int i, pages = 0;
	struct pcache *pc;
	struct span *s;

	*bad_runs = 0;
	local_lock_irqsave(&heap_pcache.lock, flags);
	pc = this_cpu_ptr(&heap_pcache);
	if (pc->free)
		bad = pc->free & ~READ_ONCE(pc->chunk->used[pc->word]);
	for (i = 0; i < pc->nruns; i++) {
		s = pc->runs[i];
		pages += s->npages;
		/* heap_lock's bits, but these pages are ours: no one flips them. */
		if (s->npages > PCACHE_RUN_MAX || span_of((void *)s->base) ||
		    find_next_zero_bit(s->chunk->used, s->first + s->npages,
				       s->first) < s->first + s->npages)
			++*bad_runs;
		else
			nruns_of[s->npages - 1]++;
	}
	if (pages != pc->run_pages ||
	    memcmp(nruns_of, pc->nruns_of, sizeof(nruns_of)))
		++*bad_runs;
	local_unlock_irqrestore(&heap_pcache.lock, flags);
	return bad;
}

/**
 * heap_cpu_cache() - a CPU's page cache, for tests
 * @cpu: the CPU
 * @chunk: set to the chunk of its block, or NULL
 * @word: set to the block's bitmap word in @chunk
 *
 * Return: the block's free pages, as a mask of the word; racy unless the
 * CPU is idle.
 */
unsigned long heap_cpu_cache(int cpu, struct heap_chunk **chunk,
			     unsigned int *word)
{
	struct pcache *pc = per_cpu_ptr(&heap_pcache, cpu);

	*chunk = READ_ONCE(pc->chunk);
	*word = READ_ONCE(pc->word);
	return READ_ONCE(pc->free);
}
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(heap_cpu_cache);

/**
 * heap_cached_pages() - kernel pages free in the CPUs' page caches: their
 * blocks' free pages and the large objects' runs they keep
 *
 * Return: their sum, read without locks.
 */
unsigned long heap_cached_pages(void)
{
	unsigned long pages = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		pages += hweight_long(READ_ONCE(per_cpu(heap_pcache.free, cpu))) +
			 READ_ONCE(per_cpu(heap_pcache.run_pages, cpu));
	return pages << GOALLOC_PAGE_ORDER;
}
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(heap_cached_pages);

/**
 * heap_alloc_spans() - spans with runs of pages, several under one lock
 * @npages: Go pages of each run
 * @words: bitmap words each span's metadata carries
 * @gfp: the caller's mask
 * @n: spans wanted, at least 1
 * @list: receives the spans, linked by their ->list
 *
 * Classes with fewer objects per span than a magazine holds (144 bytes
 * and up) grow by several spans. Runs this CPU's page cache
 * keeps come first, then its block. Otherwise metadata comes from the pool
 * and runs from the chunks under one heap_lock hold, not one per span; if
 * the pool runs short, the rest of the metadata is allocated with the lock
 * dropped, and the runs are taken under a second hold. When no chunk has
 * a run, the heap grows by one chunk and one span is made from it.
 *
 * Context: any context that @gfp allows. Takes this CPU's page-cache lock,
 * heap_lock.
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
	bool batch = false;
	LIST_HEAD(spans);
	LIST_HEAD(spare);

	/* A racy peek: does this CPU keep a run of this length? */
	if (pcache_keeps(npages, words) &&
	    raw_cpu_read(heap_pcache.nruns_of[npages - 1])) {
		local_lock_irqsave(&heap_pcache.lock, flags);
		while (got < n &&
		       (s = pcache_take_run(this_cpu_ptr(&heap_pcache), npages))) {
			list_add_tail(&s->list, list);
			got++;
		}
		local_unlock_irqrestore(&heap_pcache.lock, flags);
		if (got)
			return got;
	}
	if (npages <= PCACHE_MAX_RUN && words == SPAN_CACHE_WORDS) {
		got = pcache_alloc_spans(npages, gfp, n, list);
		if (got)
			return got;
	}
	/* A run the page cache keeps: maybe more, while heap_lock is held. */
	if (n == 1 && npages > PCACHE_MAX_RUN && pcache_keeps(npages, words)) {
		n = pcache_run_batch(npages);
		batch = n > 1;
	}
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
	if (batch && placed > 1) {
		/* The first of them is the caller's. */
		INIT_LIST_HEAD(&spans);
		for (; placed > 1; placed--)
			list_move(list->prev, &spans);
		pcache_keep_extra_runs(&spans);
	}
	return placed;
}

/*
 * heap_free_spans() under this CPU's page-cache lock: metadata not kept
 * goes to @spare. Return: true if the scavenger has work.
 */
static bool __heap_free_spans(struct list_head *list, struct list_head *spare)
{
	struct pcache *pc = this_cpu_ptr(&heap_pcache);
	bool idle = false, cached = false;
	struct span *s, *tmp;

	/* Runs in this CPU's block go back to it; the rest to the heap. */
	list_for_each_entry_safe(s, tmp, list, list) {
		if (pcache_owns(pc, s)) {
			list_del(&s->list);
			pcache_put(pc, s, spare);
			cached = true;
		}
	}
	if (!list_empty(list)) {
		spin_lock(&heap_lock);
		list_for_each_entry_safe(s, tmp, list, list) {
			list_del(&s->list);
			__heap_put_span(s, spare);
		}
		idle = heap_over_headroom();
		spin_unlock(&heap_lock);
	}
	/* Free pages grew all the same: has the scavenger work? */
	return idle || (cached && heap_over_headroom());
}

/**
 * heap_free_spans() - give spans' runs back, and keep their metadata for reuse
 * @list: spans linked by ->list, their pages no longer mapped to them
 *
 * Runs inside this CPU's page-cache block go back to the block, the others
 * to their chunks.
 *
 * Context: any. Takes heap_lock once, if a run goes to a chunk.
 */
void heap_free_spans(struct list_head *list)
{
	unsigned long flags;
	LIST_HEAD(spare);
	bool idle;

	local_lock_irqsave(&heap_pcache.lock, flags);
	idle = __heap_free_spans(list, &spare);
	local_unlock_irqrestore(&heap_pcache.lock, flags);
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
 * heap_large_of() - a CPU's list of large objects, for statistics and tests
 * @cpu: a possible CPU
 *
 * Return: its struct heap_large; take its lock to read it.
 */
struct heap_large *heap_large_of(int cpu)
{
	return per_cpu_ptr(&heap_large, cpu);
}
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(heap_large_of);

/**
 * heap_note_large() - list and account a new large object
 * @s: its SPAN_LARGE span
 *
 * It goes on this CPU's list, or on the one it ran on a moment ago if it
 * was preempted: @s->cpu says which.
 *
 * Context: any; takes this CPU's heap_large lock.
 */
void heap_note_large(struct span *s)
{
	struct heap_large *hl;
	unsigned long flags;

	s->cpu = raw_smp_processor_id();
	hl = per_cpu_ptr(&heap_large, s->cpu);
	spin_lock_irqsave(&hl->lock, flags);
	list_add(&s->list, &hl->spans);
	hl->objects++;
	hl->pages += s->npages << GOALLOC_PAGE_ORDER;
	hl->req_bytes += s->size;
	hl->bytes_total += span_bytes(s);
	spin_unlock_irqrestore(&hl->lock, flags);
}

/**
 * heap_free_large() - unlist a freed large object and give its pages back
 * @s: its SPAN_LARGE span, its first page no longer mapped to it
 *
 * This CPU's page cache keeps the run for the next large allocation of its
 * size (pcache_keep_run()) unless it lies in the cache's block, is too
 * long, or its span carries more metadata (debug=1, track_waste=1); what
 * the cache does not keep is freed as by heap_free_spans().
 *
 * Context: any; takes this CPU's page-cache lock, inside it the heap_large
 * lock of the CPU that allocated @s, then maybe heap_lock.
 */
void heap_free_large(struct span *s)
{
	struct heap_large *hl = per_cpu_ptr(&heap_large, s->cpu);
	struct pcache *pc;
	unsigned long flags;
	LIST_HEAD(spare);
	LIST_HEAD(run);
	bool idle;

	local_lock_irqsave(&heap_pcache.lock, flags);
	spin_lock(&hl->lock);
	list_del(&s->list);
	s->allocated = 0;
	hl->objects--;
	hl->pages -= s->npages << GOALLOC_PAGE_ORDER;
	hl->req_bytes -= s->size;
	spin_unlock(&hl->lock);
	pc = this_cpu_ptr(&heap_pcache);
	if (!pcache_owns(pc, s) &&
	    pcache_keeps(s->npages, span_words(s->nelems)))
		pcache_keep_run(pc, s, &run);
	else
		list_add(&s->list, &run);
	idle = __heap_free_spans(&run, &spare);
	local_unlock_irqrestore(&heap_pcache.lock, flags);
	heap_spans_freed(&spare, idle);
}

/* heap_stats_read() without the large objects, under heap_lock. */
void __heap_stats_read(struct heap_stats *st)
{
	lockdep_assert_held(&heap_lock);
	*st = heap_stats;
	st->idle_pages = heap_idle_pages;
}

/**
 * heap_stats_read() - a consistent copy of the heap totals
 * @st: filled in; the large-object totals are consistent per CPU
 *
 * Context: any; holds heap_lock for the copy only, then each CPU's
 * heap_large lock in turn.
 */
void heap_stats_read(struct heap_stats *st)
{
	struct heap_large *hl;
	unsigned long flags;
	int cpu;

	spin_lock_irqsave(&heap_lock, flags);
	__heap_stats_read(st);
	spin_unlock_irqrestore(&heap_lock, flags);
	for_each_possible_cpu(cpu) {
		hl = per_cpu_ptr(&heap_large, cpu);
		spin_lock_irqsave(&hl->lock, flags);
		st->large_objects += hl->objects;
		st->large_pages += hl->pages;
		st->large_req_bytes += hl->req_bytes;
		st->large_bytes_total += hl->bytes_total;
		spin_unlock_irqrestore(&hl->lock, flags);
	}
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

/* Idle chunks, and the CPUs' page caches, which a drain gives back. */
static unsigned long heap_shrink_count(struct shrinker *sh,
				       struct shrink_control *sc)
{
	return READ_ONCE(heap_idle_pages) + heap_cached_pages();
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
	/* The rest is in the CPUs' caches, if anywhere: drain them soon. */
	if (released < sc->nr_to_scan)
		heap_request_drain();
	return released ?: SHRINK_STOP;
}

/*
 * register_shrinker() with a name exists from 6.0; 6.7 replaced it with
 * shrinker_alloc() / shrinker_register() / shrinker_free(). Kbuild defines
 * GOALLOC_HAVE_SHRINKER_ALLOC when the kernel's shrinker.h has the latter.
 * Unregistering twice, or what was never registered, is a no-op
 * (unregister_shrinker() checks, 6.0 and later; shrinker_free(NULL)):
 * unload unregisters before it stops the scavenger, which the shrinker
 * queues, and heap_exit() again.
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

void heap_shrinker_unregister(void)
{
	shrinker_free(heap_shrinker);
	heap_shrinker = NULL;
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

void heap_shrinker_unregister(void)
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
	struct heap_large *hl;
	unsigned int w;
	int cpu;

	for (w = 0; w <= HEAP_SPAN_WORDS; w++)
		INIT_LIST_HEAD(&span_pool[w]);
	for_each_possible_cpu(cpu) {
		hl = per_cpu_ptr(&heap_large, cpu);
		spin_lock_init(&hl->lock);
		INIT_LIST_HEAD(&hl->spans);
	}
	span_cache = kmem_cache_create("goalloc_span",
				       struct_size_t(struct span, allocbits,
						     SPAN_CACHE_WORDS),
				       0, SLAB_NOLEAKTRACE, NULL);
	if (!span_cache)
		return -ENOMEM;
	return 0;
}

/*
 * Register the shrinker, last at load: it queues the scavenger, whose
 * drain needs the CPUs' caches. Optional: without it only the headroom
 * is kept.
 */
void heap_shrinker_start(void)
{
	if (heap_shrinker_register())
		pr_warn("no shrinker; idle headroom is released only by time\n");
}

/* Every span is gone: give every chunk back. */
void heap_exit(void)
{
	int cpu;

	heap_shrinker_unregister();
	for_each_possible_cpu(cpu)
		heap_cpu_drain(cpu);
	heap_release_span_pool();
	heap_release_free_chunks(0);
	WARN_ON(!list_empty(&heap_chunks) || !list_empty(&heap_full_chunks));
	kmem_cache_destroy(span_cache);
}
