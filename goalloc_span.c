// SPDX-License-Identifier: GPL-2.0
/*
 * goalloc spans: runs of Go pages cut into objects of one size class, or
 * holding one large object.
 *
 * A span's slot state is a bitmap (set = not free in the span); a 64-slot
 * window of its complement, alloc_cache, lets __ffs() find free slots, and
 * freeindex says where the window is, as in Go's mspan. Objects a CPU has
 * taken from a span stay "allocated" in the bitmap while they sit in that
 * CPU's magazine, so frees never touch the span on the fast path.
 *
 * Pointer to span in O(1): every kernel page of a span of several objects,
 * and the first page of a one-object span (a large object, or a class of
 * one object a span), keeps its span in page->private and,
 * as proof that goalloc wrote it, the span xor a random cookie in
 * page->index (span_map_pages(); span_find() in goalloc_internal.h reads
 * them).
 *
 * Spans get their runs and metadata from the per-CPU page cache
 * (goalloc_pcache.c) and give them back there. Their fields are protected
 * by the class's central lock (goalloc_central.c); lock order in
 * goalloc_internal.h.
 */

#define pr_fmt(fmt) "goalloc: " fmt

#include <linux/rcupdate.h>
#include <linux/string.h>
/* After them: on 6.1 it needs <linux/types.h> first. */
#include <linux/fault-inject.h>

#include "goalloc_internal.h"

struct class_info class_info[NR_CLASSES] __read_mostly = GOALLOC_CLASS_INFO;
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(class_info);
u64 class_divmagic[NR_CLASSES] __read_mostly = GOALLOC_CLASS_DIVMAGIC;
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(class_divmagic);
const u8 size_to_class8[GOALLOC_MAX_SMALL_SIZE / GOALLOC_SMALL_SIZE_DIV + 1] =
	GOALLOC_SIZE_TO_CLASS8;
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(size_to_class8);
u8 class_flags[NR_CLASSES] __read_mostly;
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(class_flags);
void (*class_ctor[NR_CLASSES])(void *obj) __read_mostly;

/*
 * A cache's span: CLASS_MIN_OBJECTS objects if it can, in up to
 * CLASS_PREF_PAGES (32 KiB, PAGE_ALLOC_COSTLY_ORDER), as the size classes'
 * grown spans; up to GOALLOC_MAX_SPAN_PAGES, as Go's own, only when no
 * smaller span keeps the tail to 1/8.
 */
#define CLASS_MIN_OBJECTS	8
#define CLASS_PREF_PAGES	(32768 / GOALLOC_PAGE_SIZE)

/*
 * Go pages for a cache's span of @size-byte objects (see above); an object
 * over 32 KiB has a span of its own, as a large object has.
 */
static unsigned int class_span_pages(unsigned int size)
{
	unsigned int n, objs, tail, fit = 0, fit_objs = 0, least = 0;
	unsigned long least_tail = 0;

	if (size > GOALLOC_MAX_SMALL_SIZE)
		return DIV_ROUND_UP(size, GOALLOC_PAGE_SIZE);

	for (n = 1; n <= GOALLOC_MAX_SPAN_PAGES; n++) {
		objs = n * GOALLOC_PAGE_SIZE / size;
		if (!objs)
			continue;
		if (objs > GOALLOC_MAX_SPAN_OBJECTS)
			break;
		tail = n * GOALLOC_PAGE_SIZE - objs * size;
		/* The least tail per page, should no span keep it to 1/8. */
		if (!least || (unsigned long)tail * least < least_tail * n) {
			least = n;
			least_tail = tail;
		}
		if (tail * 8 > n * GOALLOC_PAGE_SIZE)
			continue;
		if (n > CLASS_PREF_PAGES) {
			if (!fit)
				return n;
			break;
		}
		if (objs > fit_objs) {
			fit = n;
			fit_objs = objs;
		}
		if (objs >= CLASS_MIN_OBJECTS)
			break;
	}
	return fit ?: least;
}

/**
 * class_set() - describe a cache's class
 * @cls: a class past the size classes, not in use
 * @size: object size, a multiple of 8 up to GOALLOC_MAX_SIZE; slots are
 *	  this far apart, so an alignment that divides it (up to
 *	  GOALLOC_PAGE_SIZE, a span's) holds for every object
 * @ctor: constructor for each slot of a new span, or NULL
 * @flags: CLASS_CTOR, CLASS_RCU
 *
 * Spans get the Go pages class_span_pages() picks; a span holds at most
 * GOALLOC_MAX_SPAN_OBJECTS. Its divmagic is exact at every offset of
 * such a span (divmagic_slot()).
 *
 * Context: process context; no object of @cls exists.
 */
void class_set(unsigned int cls, unsigned int size, void (*ctor)(void *obj),
	       unsigned int flags)
{
	unsigned int best = class_span_pages(size);

	class_info[cls].npages = best;
	class_info[cls].go_npages = best;
	class_divmagic[cls] = divmagic_of(size);
	class_flags[cls] = flags;
	class_ctor[cls] = ctor;
	/* Last: a class with a size is in use (debugfs, verify, drains). */
	smp_store_release(&class_info[cls].size, size);
}

/**
 * class_clear() - a cache's class is no longer in use
 * @cls: the class; no object, span or magazine of it is left
 */
void class_clear(unsigned int cls)
{
	WRITE_ONCE(class_info[cls].size, 0);
	class_ctor[cls] = NULL;
	class_flags[cls] = 0;
}

/*
 * Point the kernel pages of @s that span_mapped_pages() names at it;
 * span_unmap() undoes it.
 */
static __always_inline void span_map_pages(struct span *s)
{
	struct page *page = nth_page(s->chunk->page,
				     s->first << GOALLOC_PAGE_ORDER);
	unsigned int i, n = span_mapped_pages(s);

	/* The span's fields before its pages lead to it (span_get()). */
	smp_wmb();
	for (i = 0; i < n; i++, page = nth_page(page, 1)) {
		page->private = (unsigned long)s;
		page->index = (unsigned long)s ^ goalloc_fastpath.cookie;
	}
}

/* A span fresh from the heap becomes a span of @cls with @nelems slots. */
static __always_inline void span_init(struct span *s, unsigned int cls,
				      unsigned int nelems)
{
	size_t words = BITS_TO_LONGS(nelems);

	s->cls = cls;
	s->divmagic = class_divmagic[cls];
	s->cpu = -1;
	s->nelems = nelems;
	s->fast_nelems = nelems;	/* nsampled is 0: span_set_run() */
	/*
	 * Bits past nelems stay clear too: span_take() takes the lowest free
	 * slots and never more than there are, so it never reaches them.
	 */
	if (words == 1)
		s->allocbits[0] = 0;
	else
		bitmap_zero(s->allocbits, nelems);
	s->alloc_cache = ~0UL;
	/* The keys, not the parameters: from 1 KiB, 1 to 14 objects a span. */
	if (static_branch_unlikely(&goalloc_track_key)) {
		s->req = (u16 *)(s->allocbits + words *
				  (static_branch_unlikely(&goalloc_debug_key) ? 2 : 1));
		memset(s->req, 0, nelems * sizeof(*s->req));
	}
	if (static_branch_unlikely(&goalloc_debug_key)) {
		s->cachedbits = s->allocbits + words;
		bitmap_zero(s->cachedbits, nelems);
		/* Every free slot holds poison; allocation checks it. */
		if (cls && class_may_wipe(cls))
			memset((void *)s->base, GOALLOC_POISON, span_bytes(s));
	}
	/* A large object's pages lead to it once it is whole: span_map(). */
	if (cls)
		span_map_pages(s);
	count_event(EV_SPAN_ALLOC);
}

/**
 * span_map() - a large object's span, set up, becomes findable by its
 * address
 * @s: the span, from span_create(@cls 0), listed and accounted
 *
 * Last: a free racing with the allocation (a double free of the object
 * whose run this was) finds nothing half made. The generation moves
 * first: a free of the run's last object that read it while the run was
 * unmapped, and finds the page leading to @s again, is refused.
 */
void span_map(struct span *s)
{
	span_next_gen_atomic(s);
	span_map_pages(s);
}

/**
 * span_around() - the one-object span that holds @p, past its first page
 * @p: a pointer span_of() finds no span for
 *
 * Looks for the span by the pages before @p, back to the first mapped
 * one, or to the start of @p's MAX_ORDER-aligned block, which holds @p's
 * whole chunk (a chunk is such a block, or a smaller buddy block inside
 * one). For reports only: it reads up to MAX_ORDER_NR_PAGES struct pages,
 * and the span it finds may be changing.
 *
 * Return: the one-object span (span_mapped_pages()) whose pages hold @p,
 * or NULL.
 */
struct span *span_around(const void *p)
{
	unsigned long addr = (unsigned long)p & PAGE_MASK;
	unsigned long lo = ALIGN_DOWN(addr, PAGE_SIZE << GOALLOC_CHUNK_ORDER);
	struct span *s;

	if (addr < READ_ONCE(heap_lo) || addr >= READ_ONCE(heap_hi))
		return NULL;
	/* A buddy block: aligned, and its struct pages exist. */
	while (addr > lo) {
		addr -= PAGE_SIZE;
		s = span_of((void *)addr);
		if (s)
			return span_one_object(s) &&
			       (unsigned long)p - s->base < span_bytes(s) ?
			       s : NULL;
	}
	return NULL;
}
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(span_around);

/*
 * Run a cache's constructor on every slot of a new span: once per object,
 * as SLUB runs it when a slab is made; objects go back to the span in
 * their constructed state.
 */
static noinline void span_construct(struct span *s)
{
	unsigned int i, size = class_info[s->cls].size;
	void (*ctor)(void *) = class_ctor[s->cls];

	for (i = 0; i < s->nelems; i++)
		ctor((void *)(s->base + (unsigned long)i * size));
}

/* Up to @n spans of @cls (0: large) and @npages Go pages, onto @list. */
static __always_inline unsigned int __spans_make(unsigned int cls,
						 unsigned int npages,
						 unsigned int n, gfp_t gfp,
						 struct list_head *list)
{
	unsigned int nelems = cls ? class_objects_in(cls, npages) : 1;
	struct span *s;
	LIST_HEAD(made);

	n = pcache_alloc_spans(npages, span_align(cls, npages),
			       span_words(nelems), gfp, n, &made);
	list_for_each_entry(s, &made, list) {
		/* KASAN: accessible while set up, then a red zone. */
		shadow_set((void *)s->base, span_bytes(s), span_bytes(s), 0);
		span_init(s, cls, nelems);
		if (unlikely(class_flags[cls] & CLASS_CTOR))
			span_construct(s);
		if (cls)
			shadow_poison((void *)s->base, span_bytes(s),
				      SHADOW_SLAB_REDZONE);
	}
	list_splice_tail(&made, list);
	return n;
}

/* __spans_make() out of line, for spans_create()'s calls. */
static unsigned int spans_make(unsigned int cls, unsigned int npages,
			       unsigned int n, gfp_t gfp,
			       struct list_head *list)
{
	return __spans_make(cls, npages, n, gfp, list);
}

/**
 * span_create() - a new span, all slots free
 * @cls: its size class, or 0 for a large object
 * @npages: Go pages; for a small class, class_info[@cls].npages,
 *	    class_info[@cls].go_npages or class_min_npages(@cls)
 * @gfp: the caller's mask
 *
 * Context: any that @gfp allows; takes the page cache's and the heap's locks.
 * Return: the span, in no list and no state yet, or NULL.
 */
struct span *span_create(unsigned int cls, unsigned int npages, gfp_t gfp)
{
	struct span *s;
	LIST_HEAD(made);

	if (!__spans_make(cls, npages, 1, gfp, &made))
		return NULL;
	s = list_first_entry(&made, struct span, list);
	list_del(&s->list);
	return s;
}
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(span_create);

#ifdef CONFIG_FAULT_INJECTION
/*
 * Fault injection for goalloc, as failslab is for SLUB: new spans fail as
 * if memory were short (debugfs "fail_spans", the attributes of
 * Documentation/fault-injection/fault-injection.rst). A bulk call that
 * needs spans then fails part way, a refill finds none.
 */
struct fault_attr goalloc_fail_spans = FAULT_ATTR_INITIALIZER;
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(goalloc_fail_spans);

static bool spans_should_fail(unsigned int cls, unsigned int n)
{
	return should_fail(&goalloc_fail_spans,
			   (ssize_t)n * class_info[cls].npages * GOALLOC_PAGE_SIZE);
}
#else
static bool spans_should_fail(unsigned int cls, unsigned int n)
{
	return false;
}
#endif

/*
 * spans_create() for a grown class, or one whose span needs a block above
 * PAGE_ALLOC_COSTLY_ORDER when the heap grows: its own span and then Go's
 * (when smaller) are tried without reclaim or retries, then its smallest,
 * of one object, with @gfp; SLUB's allocate_slab() tries its preferred
 * order and then its minimum the same way. A block of
 * order 4 or 5, which spans of 5 to 10 Go pages need when no chunk has
 * room, is not worth reclaim, and fails under fragmentation where kmalloc
 * (order 1 to 3 up to 32 KiB) would be served; a span of one object, more
 * tail waste, is better than a failure. A try may also fail for want of
 * the span's metadata, and counts in the heap's chunk_failures when it
 * asked for a chunk; the spans a fallback makes count as span_fallback
 * events.
 */
static noinline unsigned int spans_make_smaller(unsigned int cls,
						unsigned int n, gfp_t gfp,
						struct list_head *list)
{
	gfp_t pref = (gfp | __GFP_NOWARN | __GFP_NORETRY) & ~__GFP_NOFAIL;
	unsigned int npages = class_info[cls].npages;
	unsigned int go = class_info[cls].go_npages;
	unsigned int least = class_min_npages(cls);
	unsigned int made;

	/* A cache's class of objects over 32 KiB: no smaller span. */
	if (least >= npages)
		return spans_make(cls, npages, n, gfp, list);
	if (pref & __GFP_DIRECT_RECLAIM)
		pref = (pref | __GFP_NOMEMALLOC) & ~__GFP_RECLAIM;
	made = spans_make(cls, npages, n, pref, list);
	if (made)
		return made;
	if (go < npages && go > least)
		made = spans_make(cls, go, n, pref, list);
	if (!made)
		made = spans_make(cls, least, n, gfp, list);
	this_cpu_add(goalloc_events[EV_SPAN_FALLBACK], made);
	return made;
}

/**
 * spans_create() - up to @n new spans of a size class
 * @cls: the class, not 0
 * @n: spans wanted
 * @gfp: the caller's mask
 * @list: receives the spans, in no state yet, linked by their ->list
 *
 * Most classes make their spans with @gfp. A class whose spans grew past
 * Go's (scripts/gen-sizeclasses.py), or need a block above
 * PAGE_ALLOC_COSTLY_ORDER when the heap grows, falls back
 * (spans_make_smaller()).
 *
 * Context: any that @gfp allows; takes the page cache's and the heap's locks.
 * Return: spans made, 1 .. @n, or 0 when memory is short.
 */
unsigned int spans_create(unsigned int cls, unsigned int n, gfp_t gfp,
			  struct list_head *list)
{
	unsigned int npages = class_info[cls].npages;

	if (spans_should_fail(cls, n) && !(gfp & __GFP_NOFAIL))
		return 0;
	if (!class_grown(cls) && npages <= GOALLOC_COSTLY_PAGES)
		return spans_make(cls, npages, n, gfp, list);
	return spans_make_smaller(cls, n, gfp, list);
}
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(spans_create);

/*
 * A CLASS_RCU span's pages leave the class a grace period after it went
 * empty (SLAB_TYPESAFE_BY_RCU): a reader that found an object under
 * rcu_read_lock() before it was freed still reads an object of its type.
 * Its pages no longer lead to it meanwhile, so a late free is refused.
 * Module unload waits with rcu_barrier().
 */
static void span_free_rcu(struct rcu_head *head)
{
	struct span *s = container_of(head, struct span, rcu);
	LIST_HEAD(one);

	shadow_poison((void *)s->base, span_bytes(s), SHADOW_PAGE_FREE);
	list_add(&s->list, &one);
	pcache_free_spans(&one);
}

/**
 * spans_destroy() - give spans' pages back to the heap and free them
 * @list: spans linked by their ->list, each in no other list, their
 *	  objects all free or abandoned; emptied
 *
 * Those of a CLASS_RCU class go after a grace period (span_free_rcu()).
 *
 * Context: any; takes the page cache's lock, maybe heap_lock.
 */
void spans_destroy(struct list_head *list)
{
	struct span *s, *tmp;

	if (list_empty(list))
		return;
	list_for_each_entry_safe(s, tmp, list, list) {
		span_unmap(s);
		if (unlikely(class_flags[s->cls] & CLASS_RCU)) {
			list_del(&s->list);
			call_rcu(&s->rcu, span_free_rcu);
		} else {
			shadow_poison((void *)s->base, span_bytes(s),
				      SHADOW_PAGE_FREE);
		}
	}
	pcache_free_spans(list);
}
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(spans_destroy);

/**
 * span_destroy() - give a span's pages back to the heap and free it
 * @s: a span in no list; its objects are all free or abandoned
 *
 * Context: any; takes the page cache's lock, maybe heap_lock.
 */
void span_destroy(struct span *s)
{
	LIST_HEAD(one);

	list_add(&s->list, &one);
	spans_destroy(&one);
}
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(span_destroy);

/*
 * Move @s's window on to the next bitmap word with a free slot. Return:
 * false if there is none, which span_take() does not ask for unless
 * allocated undercounts, a bug: __span_put() refuses an object that is
 * free in its span already.
 */
static noinline bool span_next_window(struct span *s)
{
	unsigned int w = s->freeindex / BITS_PER_LONG + 1;

	while (w < BITS_TO_LONGS(s->nelems) && s->allocbits[w] == ~0UL)
		w++;
	if (WARN_ON_ONCE(w == BITS_TO_LONGS(s->nelems)))
		return false;
	s->freeindex = w * BITS_PER_LONG;
	s->alloc_cache = ~s->allocbits[w];
	return true;
}

/**
 * span_take() - take up to @n free slots of @s
 * @s: the span
 * @objs: receives the objects' addresses
 * @n: how many are wanted
 *
 * Scans Go's way: __ffs() on the alloc_cache window, then on to the next
 * bitmap word with a zero bit. A window's slots are taken in registers and
 * its bitmap word written once: the stores to @objs may alias @s, and
 * GCC reloaded the window and wrote a bit back for every object.
 *
 * Context: the class's central lock held (or @s private to the caller).
 * Return: the number taken, min(@n, free slots).
 */
unsigned int span_take(struct span *s, void **objs, unsigned int n)
{
	unsigned long size = class_info[s->cls].size, addr;
	void **o = objs, **end;
	unsigned int got;
	u64 cache, left;

	n = min_t(unsigned int, n, s->nelems - s->allocated);
	end = objs + n;
	while (o < end) {
		if (!s->alloc_cache && !span_next_window(s))
			break;
		cache = s->alloc_cache;
		left = cache;
		addr = s->base + (unsigned long)s->freeindex * size;
		do {
			*o++ = (void *)(addr + __ffs(left) * size);
			left &= left - 1;
		} while (left && o < end);
		s->allocbits[s->freeindex / BITS_PER_LONG] |= cache ^ left;
		s->alloc_cache = left;
	}
	got = o - objs;
	/* The bitmap is full: count it so, or a refill would retry forever. */
	s->allocated = got < n ? s->nelems : s->allocated + got;
	return got;
}
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(span_take);

