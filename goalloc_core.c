// SPDX-License-Identifier: GPL-2.0
/*
 * goalloc: the Go runtime's memory allocator as a kernel allocator.
 *
 * Why: kmalloc rounds to powers of two (a 1100-byte object takes 2 KiB);
 * Go's 67 size classes bound round-up and tail waste to 1/8 each, and its
 * per-CPU caches make the common allocation an array pop. goalloc offers
 * that to modules through a kmalloc-shaped API (goalloc.h).
 *
 * DOC: layers
 *
 *   goalloc_alloc(size) / goalloc_free(p)
 *     | size > 32 KiB --------------------------------------------+
 *     v                                                           |
 *   mcache, per CPU (goalloc_percpu.c): per class a magazine of  |
 *     free objects and the span it refills from                  |
 *     | magazine empty / full: a batch                            |
 *     v                                                           v
 *   mcentral, per class (this file): partial, full and empty   mheap
 *     span lists under one spinlock                      (goalloc_heap.c)
 *     | no span with a free slot: a new span ------------------> runs of
 *                                                          8 KiB pages
 *
 * A span is a run of Go pages cut into objects of one class. Its slot
 * state is a bitmap (set = not free in the span); a 64-slot window of the
 * complement, alloc_cache, lets __ffs() find free slots, and freeindex says
 * where the window is, as in Go's mspan. Objects a CPU has taken from a
 * span stay "allocated" in the span's bitmap while they sit in that CPU's
 * magazine, so frees never touch the span on the fast path.
 *
 * Lock order, outermost first:
 *   1. a CPU's mcache lock (local_lock, interrupts disabled)
 *   2. goalloc_central[cls].lock: that class's span lists and all of its
 *      spans' fields, including the span a CPU has cached; so objects of a
 *      span cached by CPU A are correctly returned by CPU B
 *   3. a CPU's page-cache lock (local_lock, interrupts disabled;
 *      goalloc_heap.c), never taken under 2
 *   4. heap_lock: chunks and runs (goalloc_heap.c); a CPU's list of large
 *      objects has a lock of its own, with nothing nested inside
 * 2 is always taken with interrupts disabled (under 1, or irqsave). Nothing
 * calls the buddy allocator with 2, 3 or 4 held; a refill that needs a new
 * span drops 1 and 2 first.
 */

#define pr_fmt(fmt) "goalloc: " fmt

#include <linux/kmemleak.h>
#include <linux/module.h>
#include <linux/overflow.h>
#include <linux/random.h>
#include <linux/ratelimit.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "goalloc_internal.h"

#define CREATE_TRACE_POINTS
#include "goalloc_trace.h"
EXPORT_TRACEPOINT_SYMBOL_GPL(goalloc_alloc);
EXPORT_TRACEPOINT_SYMBOL_GPL(goalloc_free);

DEFINE_STATIC_KEY_FALSE(goalloc_hooks_key);
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(goalloc_hooks_key);

int goalloc_trace_reg(void)
{
	static_branch_inc(&goalloc_hooks_key);
	return 0;
}

void goalloc_trace_unreg(void)
{
	static_branch_dec(&goalloc_hooks_key);
}

bool goalloc_debug;
module_param_named(debug, goalloc_debug, bool, 0444);
MODULE_PARM_DESC(debug,
		 "catch double frees in CPU caches and writes after free (poisoning)");
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(goalloc_debug);
DEFINE_STATIC_KEY_FALSE(goalloc_debug_key);
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(goalloc_debug_key);

bool goalloc_track_waste;
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(goalloc_track_waste);
module_param_named(track_waste, goalloc_track_waste, bool, 0444);
MODULE_PARM_DESC(track_waste,
		 "record each object's requested size, for exact round-up waste in debugfs (2 bytes per object)");
DEFINE_STATIC_KEY_FALSE(goalloc_track_key);
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(goalloc_track_key);

unsigned long goalloc_cookie __read_mostly;
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(goalloc_cookie);
struct central goalloc_central[GOALLOC_NUM_CLASSES];
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(goalloc_central);

/* ------------------------------------------------------------------ */
/* Reports of bad input */

static const char *const report_what[] = {
	[REPORT_FOREIGN]	= "free of a pointer goalloc does not own",
	[REPORT_INTERIOR]	= "free of a pointer inside an object",
	[REPORT_DOUBLE_FREE]	= "double free",
	[REPORT_USE_AFTER_FREE]	= "use of a freed object",
	[REPORT_TOO_BIG]	= "allocation larger than GOALLOC_MAX_SIZE",
	[REPORT_OVERFLOW]	= "calloc size overflow",
	[REPORT_POISON]		= "write after free: poison overwritten",
};

static const enum goalloc_event report_event[] = {
	[REPORT_FOREIGN]	= EV_REFUSED_FOREIGN,
	[REPORT_INTERIOR]	= EV_REFUSED_INTERIOR,
	[REPORT_DOUBLE_FREE]	= EV_REFUSED_DOUBLE_FREE,
	[REPORT_USE_AFTER_FREE]	= EV_REFUSED_USE_AFTER_FREE,
	[REPORT_TOO_BIG]	= EV_REFUSED_TOO_BIG,
	[REPORT_OVERFLOW]	= EV_REFUSED_TOO_BIG,
	[REPORT_POISON]		= EV_POISON_CORRUPTED,
};

static_assert(ARRAY_SIZE(report_what) == NR_REPORTS);
static_assert(ARRAY_SIZE(report_event) == NR_REPORTS);

/**
 * large_span_around() - the large object that holds @p, past its first page
 * @p: a pointer span_of() finds no span for
 *
 * Only the first kernel page of a large object maps to its span (see
 * span_map_pages()); this looks for the span by the pages before @p, back
 * to the first mapped one, or to the start of @p's MAX_ORDER-aligned
 * block, which holds @p's whole chunk (a chunk is such a block, or a
 * smaller buddy block inside one). For reports only: it reads up to
 * MAX_ORDER_NR_PAGES struct pages, and the span it finds may be changing.
 *
 * Return: the span of the large object whose pages hold @p, or NULL.
 */
struct span *large_span_around(const void *p)
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
			return !s->cls && (unsigned long)p - s->base <
			       span_bytes(s) ? s : NULL;
	}
	return NULL;
}
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(large_span_around);

/*
 * KUnit cases that provoke reports on purpose announce how many, so that
 * those come out as pr_info and a run's log stays free of WARNs; reports
 * from any other task are still WARNs.
 */
static struct task_struct *report_expect_task;
static atomic_t report_expect_count = ATOMIC_INIT(0);

/**
 * goalloc_expect_reports() - tell goalloc the current task provokes reports
 * @n: how many are expected; 0 ends the expectation
 *
 * Return: reports still expected from the previous call (0 if all came).
 */
int goalloc_expect_reports(int n)
{
	int left = atomic_xchg(&report_expect_count, n);

	WRITE_ONCE(report_expect_task, n ? current : NULL);
	return left;
}
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(goalloc_expect_reports);

/**
 * goalloc_report() - count bad input and warn about it, rate-limited
 * @kind: what was wrong; REPORT_FOREIGN for a pointer span_of() refuses,
 *	  which this makes REPORT_INTERIOR if @p lies inside a large object
 * @p: the pointer involved, printed hashed; may be NULL
 * @size: the size involved, or 0
 * @gfp: the caller's mask; __GFP_NOWARN silences size reports
 *
 * The allocator is not changed: the caller refuses the operation.
 */
void goalloc_report(enum goalloc_report kind, const void *p, size_t size,
		    gfp_t gfp)
{
	if (kind == REPORT_FOREIGN && large_span_around(p))
		kind = REPORT_INTERIOR;
	count_event(report_event[kind]);
	if (READ_ONCE(report_expect_task) == current &&
	    atomic_dec_if_positive(&report_expect_count) >= 0) {
		pr_info("expected report: %s %p size %zu\n", report_what[kind],
			p, size);
		return;
	}
	if ((kind == REPORT_TOO_BIG || kind == REPORT_OVERFLOW) &&
	    (gfp & __GFP_NOWARN))
		return;
	WARN_RATELIMIT(1, "goalloc: %s %p size %zu\n", report_what[kind], p,
		       size);
}

/* ------------------------------------------------------------------ */
/* Spans */

/*
 * Point the kernel pages of @s at @owner, or at nothing: every page of a
 * small-object span, whose objects lie on any of them; only the first page
 * of a large object, which is freed and looked up by its address. Its
 * other pages map to nothing, which saves two stores per page on
 * allocation and on free (15 pages at 64 KiB, 63 at 256 KiB);
 * large_span_around() finds the object of a pointer into them, for a
 * report.
 */
static void span_map_pages(struct span *s, struct span *owner)
{
	struct page *page = nth_page(s->chunk->page,
				     s->first << GOALLOC_PAGE_ORDER);
	unsigned int i, n = s->cls ? s->npages << GOALLOC_PAGE_ORDER : 1;

	if (owner) {
		for (i = 0; i < n; i++, page = nth_page(page, 1)) {
			page->private = (unsigned long)owner;
			page->index = (unsigned long)owner ^ goalloc_cookie;
		}
		return;
	}
	for (i = 0; i < n; i++, page = nth_page(page, 1)) {
		/*
		 * A racing span_find() sees old and new fields mixed, in
		 * either order, and no mixed pair matches.
		 */
		WRITE_ONCE(page->index, 0);
		WRITE_ONCE(page->private, 0);
	}
}

/* A span fresh from the heap becomes a span of @cls with @nelems slots. */
static void span_init(struct span *s, unsigned int cls, unsigned int nelems)
{
	size_t words = BITS_TO_LONGS(nelems);

	s->cls = cls;
	s->cpu = -1;
	s->nelems = nelems;
	/*
	 * Bits past nelems stay clear too: span_take() takes the lowest free
	 * slots and never more than there are, so it never reaches them, and
	 * a free of slot nelems (the tail) then finds its bit clear.
	 */
	if (words == 1)
		s->allocbits[0] = 0;
	else
		bitmap_zero(s->allocbits, nelems);
	s->alloc_cache = ~0UL;
	/* The keys, not the parameters: from 1 KiB, 1 to 14 objects a span. */
	if (static_branch_unlikely(&goalloc_track_key)) {
		s->req = (u16 *)(s->allocbits + words * (goalloc_debug ? 2 : 1));
		memset(s->req, 0, nelems * sizeof(*s->req));
	}
	if (static_branch_unlikely(&goalloc_debug_key)) {
		s->cachedbits = s->allocbits + words;
		bitmap_zero(s->cachedbits, nelems);
		/* Every free slot holds poison; allocation checks it. */
		if (cls)
			memset((void *)s->base, GOALLOC_POISON, span_bytes(s));
	}
	span_map_pages(s, s);
	count_event(EV_SPAN_ALLOC);
}

/* Up to @n spans of @cls (0: large) and @npages Go pages, onto @list. */
static unsigned int __spans_create(unsigned int cls, unsigned int npages,
				   unsigned int n, gfp_t gfp,
				   struct list_head *list)
{
	unsigned int nelems = cls ? class_objects_in(cls, npages) : 1;
	struct span *s;
	LIST_HEAD(made);

	n = heap_alloc_spans(npages, span_words(nelems), gfp, n, &made);
	list_for_each_entry(s, &made, list)
		span_init(s, cls, nelems);
	list_splice_tail(&made, list);
	return n;
}

/**
 * span_create() - a new span from the heap, all slots free
 * @cls: its size class, or 0 for a large object
 * @npages: Go pages; for a small class, class_to_npages[@cls] or
 *	    class_to_go_npages[@cls]
 * @gfp: the caller's mask
 *
 * Context: any that @gfp allows; takes and drops heap_lock.
 * Return: the span, in no list and no state yet, or NULL.
 */
struct span *span_create(unsigned int cls, unsigned int npages, gfp_t gfp)
{
	struct span *s;
	LIST_HEAD(made);

	if (!__spans_create(cls, npages, 1, gfp, &made))
		return NULL;
	s = list_first_entry(&made, struct span, list);
	list_del(&s->list);
	return s;
}
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(span_create);

/**
 * spans_create() - up to @n new spans of a size class
 * @cls: the class, not 0
 * @n: spans wanted
 * @gfp: the caller's mask
 * @list: receives the spans, in no state yet, linked by their ->list
 *
 * A class whose spans grew past Go's (scripts/gen-sizeclasses.py) tries
 * its own without reclaim or retries, then Go's with @gfp: the order-3
 * block a grown span may need from the buddy allocator when no chunk has
 * room is worth no reclaim. SLUB's allocate_slab() treats its preferred
 * order the same. The first try may fail for want of the span's metadata
 * too, and counts in the heap's chunk_failures when it asked for a chunk;
 * the spans the second makes count as span_fallback events.
 *
 * Context: any that @gfp allows; takes and drops heap_lock.
 * Return: spans made, 1 .. @n, or 0 when memory is short.
 */
unsigned int spans_create(unsigned int cls, unsigned int n, gfp_t gfp,
			  struct list_head *list)
{
	gfp_t pref = (gfp | __GFP_NOWARN | __GFP_NORETRY) & ~__GFP_NOFAIL;
	unsigned int made;

	if (!class_grown(cls))
		return __spans_create(cls, class_to_npages[cls], n, gfp, list);
	if (pref & __GFP_DIRECT_RECLAIM)
		pref = (pref | __GFP_NOMEMALLOC) & ~__GFP_RECLAIM;
	made = __spans_create(cls, class_to_npages[cls], n, pref, list);
	if (made)
		return made;
	made = __spans_create(cls, class_to_go_npages[cls], n, gfp, list);
	this_cpu_add(goalloc_events[EV_SPAN_FALLBACK], made);
	return made;
}
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(spans_create);

/* A span about to go back to the heap: its pages no longer lead to it. */
static void span_unmap(struct span *s)
{
	span_map_pages(s, NULL);
	count_event(EV_SPAN_FREE);
}

/**
 * spans_destroy() - give spans' pages back to the heap and free them
 * @list: spans linked by their ->list, each in no other list, their
 *	  objects all free or abandoned; emptied
 *
 * Context: any; takes heap_lock once.
 */
void spans_destroy(struct list_head *list)
{
	struct span *s;

	if (list_empty(list))
		return;
	list_for_each_entry(s, list, list)
		span_unmap(s);
	heap_free_spans(list);
}
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(spans_destroy);

/**
 * span_destroy() - give a span's pages back to the heap and free it
 * @s: a span in no list; its objects are all free or abandoned
 *
 * Context: any; takes heap_lock.
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
 * bitmap word with a zero bit.
 *
 * Context: the class's central lock held (or @s private to the caller).
 * Return: the number taken, min(@n, free slots).
 */
unsigned int span_take(struct span *s, void **objs, unsigned int n)
{
	unsigned int size = class_to_size[s->cls];
	unsigned int w, got = 0;

	n = min_t(unsigned int, n, s->nelems - s->allocated);
	while (got < n) {
		if (!s->alloc_cache && !span_next_window(s))
			break;
		w = s->freeindex + __ffs(s->alloc_cache);
		s->alloc_cache &= s->alloc_cache - 1;
		__set_bit(w, s->allocbits);
		objs[got++] = (void *)(s->base + (unsigned long)w * size);
	}
	/* The bitmap is full: count it so, or a refill would retry forever. */
	s->allocated = got < n ? s->nelems : s->allocated + got;
	return got;
}
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(span_take);

/**
 * __span_put() - mark objects of @s free again
 * @s: the span
 * @objs: objects, the first of them in @s
 * @n: how many there are, at least 1
 *
 * Frees the objects from the first up to the first that lies outside @s:
 * a flush gives back runs of one span's objects, and the run costs one
 * span lookup and one window update. Keeps the invariants that no free
 * slot lies below freeindex and that alloc_cache is the complement of the
 * window's bitmap word. It stops too at an object free in @s already:
 * one freed twice while a magazine held it, which the free path does not
 * see without debug=1, comes back twice when the magazine flushes.
 *
 * Context: the class's central lock held (or @s private to the caller).
 * Return: the number freed, 0 .. @n; 0 if the first is free already.
 */
static __always_inline unsigned int
__span_put(struct span *s, void *const *objs, unsigned int n)
{
	unsigned long base = s->base, bytes = span_bytes(s), off;
	u32 magic = class_to_divmagic[s->cls];
	unsigned int low = UINT_MAX, i, idx;

	for (i = 0; i < n; i++) {
		off = (unsigned long)objs[i] - base;
		if (off >= bytes)
			break;
		idx = divmagic_index(off, magic);
		if (unlikely(!__test_and_clear_bit(idx, s->allocbits)))
			break;
		low = min(low, idx);
	}
	if (static_branch_unlikely(&goalloc_debug_key)) {
		for (idx = 0; idx < i; idx++)
			clear_bit(span_obj_index(s, objs[idx]), s->cachedbits);
	}
	s->allocated -= i;
	if (low < s->freeindex)
		s->freeindex = round_down(low, BITS_PER_LONG);
	s->alloc_cache = ~s->allocbits[s->freeindex / BITS_PER_LONG];
	return i;
}

/* Mark slot @idx of @s free again, for tests. */
void span_put(struct span *s, unsigned int idx)
{
	void *p = (void *)(s->base + (unsigned long)idx * class_to_size[s->cls]);

	__span_put(s, &p, 1);
}
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(span_put);

/* ------------------------------------------------------------------ */
/* mcentral */

/* @s joins (@dir 1) or leaves (-1) the spans of @c: count its slots, pages. */
static void __central_count_span(struct central *c, const struct span *s,
				 int dir)
{
	c->slots += dir * s->nelems;
	c->pages += dir * s->npages;
}

static void __span_set_state(struct central *c, struct span *s,
			     enum span_state state)
{
	lockdep_assert_held(&c->lock);
	c->nr_spans[s->state]--;
	c->nr_spans[state]++;
	s->state = state;
}

/**
 * __central_release_span() - a listed span with nothing allocated
 * @c: the class's central, locked
 * @s: the span, on one of @c's lists
 * @dead: receives it if the class keeps enough empty spans already
 *
 * The class keeps a few empty spans; the rest go to @dead, for
 * spans_destroy() once the lock is dropped.
 *
 * Context: @c->lock held.
 */
void __central_release_span(struct central *c, struct span *s,
			    struct list_head *dead)
{
	lockdep_assert_held(&c->lock);
	if (c->nr_spans[SPAN_EMPTY] < c->keep_empty) {
		__span_set_state(c, s, SPAN_EMPTY);
		list_move(&s->list, &c->empty);
		return;
	}
	c->nr_spans[s->state]--;
	__central_count_span(c, s, -1);
	list_move(&s->list, dead);
}
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(__central_release_span);

/**
 * __central_add_span() - put a fresh span of this class on the partial list
 * @c: the class
 * @s: from span_create()
 *
 * Context: @c->lock held.
 */
void __central_add_span(struct central *c, struct span *s)
{
	lockdep_assert_held(&c->lock);
	s->state = SPAN_PARTIAL;
	c->nr_spans[SPAN_PARTIAL]++;
	__central_count_span(c, s, 1);
	list_add(&s->list, &c->partial);
}
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(__central_add_span);

/**
 * __central_add_unused_span() - add a new span no CPU needs after all
 * @c: the class's central, locked
 * @s: a span from span_create() with nothing allocated
 * @dead: receives it if the class keeps enough empty spans
 *
 * An empty span must not sit on the partial list: it is kept as one of the
 * class's empty spans, or goes to @dead for spans_destroy().
 */
void __central_add_unused_span(struct central *c, struct span *s,
			       struct list_head *dead)
{
	__central_add_span(c, s);
	__central_release_span(c, s, dead);
}
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(__central_add_unused_span);

/*
 * Depot slots just emptied: kmemleak scans goalloc_central, and a slot's
 * stale pointer to an object handed out again would hide that object's
 * leak.
 */
static void depot_forget(void **slots, unsigned int n)
{
	if (IS_ENABLED(CONFIG_DEBUG_KMEMLEAK))
		memset(slots, 0, n * sizeof(*slots));
}

/* debug=1: objects taken for a magazine are marked cached in their span. */
static void span_mark_cached(struct span *s, void **objs, unsigned int n)
{
	unsigned int i;

	if (static_branch_unlikely(&goalloc_debug_key))
		for (i = 0; i < n; i++)
			set_bit(span_obj_index(s, objs[i]), s->cachedbits);
}

/**
 * __central_fill() - take up to @n objects for a CPU's magazine
 * @c: the class
 * @objs: receives the objects
 * @n: how many are wanted
 * @cached: the CPU's cached span, taken from and replaced as it fills
 * @cpu: the CPU, recorded as the owner of a span it caches
 * @fresh: new spans of the class from spans_create(), in no state yet;
 *	   those taken from leave it
 *
 * Takes from the depot if it holds objects; else from the cached span,
 * then caches a partial span, then an empty one, then a fresh one. A span
 * that fills up moves to the full list. Fresh spans come last and skip the
 * partial list: in classes of one or two objects per span, a refill makes
 * a span per object or two.
 *
 * Context: @c->lock held.
 * Return: objects taken; 0 when neither the class nor @fresh has a free
 * slot.
 */
unsigned int __central_fill(struct central *c, void **objs, unsigned int n,
			    struct span **cached, int cpu,
			    struct list_head *fresh)
{
	unsigned int got = 0, took;
	struct span *s;

	lockdep_assert_held(&c->lock);
	/* Objects other CPUs flushed come first: a copy, no span to touch. */
	if (c->ndepot) {
		got = min(n, c->ndepot);
		WRITE_ONCE(c->ndepot, c->ndepot - got);
		memcpy(objs, c->depot + c->ndepot, got * sizeof(*objs));
		depot_forget(c->depot + c->ndepot, got);
		return got;
	}
	while (got < n) {
		s = *cached;
		if (!s) {
			s = list_first_entry_or_null(&c->partial, struct span, list);
			if (!s)
				s = list_first_entry_or_null(&c->empty, struct span, list);
			if (s) {
				c->nr_spans[s->state]--;
			} else {
				s = list_first_entry_or_null(fresh, struct span, list);
				if (!s)
					break;
				__central_count_span(c, s, 1);
			}
			list_del_init(&s->list);
		}
		took = span_take(s, objs + got, n - got);
		span_mark_cached(s, objs + got, took);
		got += took;
		/* A span taken whole goes to the full list without being cached. */
		if (s->allocated == s->nelems) {
			if (s == *cached) {
				c->nr_spans[SPAN_CACHED]--;
				s->cpu = -1;
				*cached = NULL;
			}
			s->state = SPAN_FULL;
			c->nr_spans[SPAN_FULL]++;
			list_add(&s->list, &c->full);
		} else if (s != *cached) {
			s->state = SPAN_CACHED;
			c->nr_spans[SPAN_CACHED]++;
			s->cpu = cpu;
			*cached = s;
		}
	}
	c->objects += got;
	return got;
}
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(__central_fill);

/**
 * __central_return() - give objects of this class back to their spans
 * @c: the class
 * @objs: objects that are allocated in their spans (from a magazine)
 * @n: how many
 * @cpu: the CPU whose magazine they come from
 * @dead: receives spans to give back to the heap with spans_destroy()
 *	  once @c->lock is dropped
 *
 * A span left with no object, full or partial, becomes empty or goes to
 * @dead; other full spans become partial. A cached span stays with its
 * CPU. An object free already, or no longer in a span of the class, is
 * the second copy of a double free no check caught: it is reported and
 * left alone.
 *
 * Context: @c->lock held.
 * Return: how many objects went to a span cached by a CPU other than @cpu.
 */
unsigned int __central_return(struct central *c, void *const *objs,
			      unsigned int n, int cpu, struct list_head *dead)
{
	unsigned int cls = c - goalloc_central, remote = 0, i, k;
	struct span *s;

	lockdep_assert_held(&c->lock);
	c->objects -= n;
	for (i = 0; i < n; i += k) {
		k = span_find(objs[i], &s) && s->cls == cls ?
		    __span_put(s, objs + i, n - i) : 0;
		/*
		 * The second copy of a double free: free in its span, or its
		 * span gone (its pages unmapped, or another class's now).
		 */
		if (unlikely(!k)) {
			goalloc_report(REPORT_DOUBLE_FREE, objs[i], 0, 0);
			c->objects++;
			k = 1;
			continue;
		}
		if (s->state == SPAN_CACHED) {
			if (s->cpu != cpu)
				remote += k;
		} else if (!s->allocated) {	/* full or partial: now empty */
			__central_release_span(c, s, dead);
		} else if (s->state == SPAN_FULL) {
			__span_set_state(c, s, SPAN_PARTIAL);
			list_move(&s->list, &c->partial);
		}
	}
	return remote;
}
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(__central_return);

/**
 * __central_flush() - take objects a CPU's magazine flushes
 * @c: the class
 * @objs: objects that are allocated in their spans (from a magazine)
 * @n: how many
 * @cpu: the CPU whose magazine they come from
 * @dead: as for __central_return()
 *
 * They go to the depot if it has room for all of them, for the next
 * refill; else back to their spans.
 *
 * Context: @c->lock held.
 * Return: as __central_return(); 0 when they went to the depot.
 */
unsigned int __central_flush(struct central *c, void *const *objs,
			     unsigned int n, int cpu, struct list_head *dead)
{
	lockdep_assert_held(&c->lock);
	if (c->ndepot + n <= c->depot_cap) {
		memcpy(c->depot + c->ndepot, objs, n * sizeof(*objs));
		WRITE_ONCE(c->ndepot, c->ndepot + n);
		return 0;
	}
	return __central_return(c, objs, n, cpu, dead);
}
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(__central_flush);

/**
 * central_drain_depots() - return every depot's objects to their spans
 *
 * Context: process or atomic context.
 */
void central_drain_depots(void)
{
	unsigned long flags;
	unsigned int cls;
	LIST_HEAD(dead);

	for (cls = 1; cls < GOALLOC_NUM_CLASSES; cls++) {
		struct central *c = &goalloc_central[cls];

		if (!READ_ONCE(c->ndepot))
			continue;
		spin_lock_irqsave(&c->lock, flags);
		__central_return(c, c->depot, c->ndepot, -1, &dead);
		depot_forget(c->depot, c->ndepot);
		WRITE_ONCE(c->ndepot, 0);
		spin_unlock_irqrestore(&c->lock, flags);
		spans_destroy(&dead);
	}
}

/**
 * __central_uncache_span() - a CPU lets go of its cached span
 * @c: the class
 * @s: the span, SPAN_CACHED
 * @dead: receives it if it is empty and the class keeps enough empty spans
 *
 * Context: @c->lock held.
 */
void __central_uncache_span(struct central *c, struct span *s,
			    struct list_head *dead)
{
	lockdep_assert_held(&c->lock);
	s->cpu = -1;
	__span_set_state(c, s, SPAN_PARTIAL);
	list_add(&s->list, &c->partial);
	if (!s->allocated)
		__central_release_span(c, s, dead);
}
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(__central_uncache_span);

/**
 * central_release_empty() - give every empty span back to the heap
 *
 * Context: process or atomic context.
 */
void central_release_empty(void)
{
	unsigned long flags;
	unsigned int cls;
	LIST_HEAD(dead);

	for (cls = 1; cls < GOALLOC_NUM_CLASSES; cls++) {
		struct central *c = &goalloc_central[cls];
		struct span *s;

		spin_lock_irqsave(&c->lock, flags);
		list_for_each_entry(s, &c->empty, list)
			__central_count_span(c, s, -1);
		list_splice_init(&c->empty, &dead);
		c->nr_spans[SPAN_EMPTY] = 0;
		spin_unlock_irqrestore(&c->lock, flags);
		spans_destroy(&dead);
	}
}
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(central_release_empty);

static void central_init(void)
{
	unsigned int cls;

	for (cls = 0; cls < GOALLOC_NUM_CLASSES; cls++) {
		struct central *c = &goalloc_central[cls];

		spin_lock_init(&c->lock);
		/*
		 * Empty spans enough for a magazine, rounded up (one where a
		 * span holds a magazine; 128 KiB for 8 KiB objects, 512 KiB
		 * for 32 KiB ones): frees on one CPU and allocations on
		 * another then reuse spans instead of going to the heap, and
		 * the spans a class makes when it runs dry (mcache_grow[])
		 * all fit, even when a racing refill took none of them.
		 */
		if (cls) {
			c->keep_empty = mcache_class_spans(cls);
			c->depot_cap = mcache_class_cap(cls);
		}
		INIT_LIST_HEAD(&c->partial);
		INIT_LIST_HEAD(&c->full);
		INIT_LIST_HEAD(&c->empty);
	}
}

/*
 * Unload: objects callers never freed go with their spans; kmemleak must
 * forget them first. Objects quarantined by debug=1 (cachedbits still set)
 * were never handed out again, so kmemleak does not know them.
 */
static void span_forget_objects(struct span *s)
{
	unsigned int i;

	if (!IS_ENABLED(CONFIG_DEBUG_KMEMLEAK))
		return;
	for_each_set_bit(i, s->allocbits, s->nelems)
		if (!goalloc_debug || !test_bit(i, s->cachedbits))
			kmemleak_free((void *)(s->base + i * class_to_size[s->cls]));
}

/* Unload: report what callers never freed, then free every span anyway. */
static void central_exit(void)
{
	struct list_head *lists[3];
	struct span *s, *tmp;
	unsigned int cls, i;
	int cpu;

	for (cls = 1; cls < GOALLOC_NUM_CLASSES; cls++) {
		struct central *c = &goalloc_central[cls];
		unsigned long objects = 0;

		lists[0] = &c->partial;
		lists[1] = &c->full;
		lists[2] = &c->empty;
		for (i = 0; i < ARRAY_SIZE(lists); i++) {
			list_for_each_entry_safe(s, tmp, lists[i], list) {
				objects += s->allocated;
				span_forget_objects(s);
				list_del(&s->list);
				span_destroy(s);
			}
		}
		if (objects)
			pr_warn("unload: class %u (%u bytes): %lu objects, %lu bytes never freed\n",
				cls, class_to_size[cls], objects,
				objects * class_to_size[cls]);
	}
	for_each_possible_cpu(cpu) {
		list_for_each_entry_safe(s, tmp, &heap_large_of(cpu)->spans,
					 list) {
			pr_warn("unload: large object of %zu bytes never freed\n",
				span_bytes(s));
			kmemleak_free((void *)s->base);
			list_del(&s->list);
			span_destroy(s);
		}
	}
}

/* ------------------------------------------------------------------ */
/* The scavenger: giving memory back (Go's background scavenger) */

/**
 * goalloc_drain() - give back everything that caches hold
 * @release_chunks: also give every idle chunk back to the buddy allocator
 *
 * Context: process context.
 */
void goalloc_drain(bool release_chunks)
{
	mcache_drain_all();
	central_release_empty();
	if (release_chunks) {
		heap_release_span_pool();
		heap_release_free_chunks(0);
	}
}
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(goalloc_drain);

static void goalloc_scavenge_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(goalloc_scavenge_work, goalloc_scavenge_fn);

/* Go's scavenger paces itself over seconds; one second is soon enough. */
#define GOALLOC_SCAVENGE_DELAY	HZ

static bool goalloc_drain_wanted;	/* heap_request_drain() */
static unsigned long goalloc_drain_last;	/* jiffies */
#define GOALLOC_DRAIN_GAP	HZ

/*
 * Free pages beyond the headroom: give idle chunks back. If free pages
 * outside idle chunks alone exceed the headroom (the CPUs' page caches
 * count as free here), the chunks are pinned by the few spans that CPU
 * caches and mcentral's empty lists keep alive, and by the page caches;
 * those are drained first, so that a burst of frees does not leave whole
 * chunks held by a handful of cached objects; and always when memory
 * pressure asked for it (heap_request_drain()).
 */
void goalloc_scavenge(void)
{
	unsigned long keep = heap_headroom_pages();
	struct heap_stats st;

	heap_stats_read(&st);
	if (xchg(&goalloc_drain_wanted, false) ||
	    st.sys_pages - st.inuse_pages + heap_cached_pages() -
	    st.idle_pages > keep)
		goalloc_drain(false);
	heap_release_free_chunks(keep);
}
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(goalloc_scavenge);

static void goalloc_scavenge_fn(struct work_struct *work)
{
	goalloc_scavenge();
}

/* Set at unload, before the work is cancelled, so that nothing requeues it. */
static bool goalloc_scavenge_off;

/* Called when free pages exceed the headroom; a no-op while one is pending. */
void heap_schedule_scavenge(void)
{
	/*
	 * A plain read first: frees call this while memory is above the
	 * headroom, and queueing a pending work is an atomic on a shared line.
	 */
	if (!READ_ONCE(goalloc_scavenge_off) &&
	    !delayed_work_pending(&goalloc_scavenge_work))
		schedule_delayed_work(&goalloc_scavenge_work,
				      GOALLOC_SCAVENGE_DELAY);
}

/*
 * Memory is short: drain the CPUs' caches soon. The shrinker calls this,
 * from any context, when idle chunks did not cover what reclaim asked
 * for. Magazines, depots, empty spans and the CPUs' page caches hold
 * pages that only a drain gives back, and a drain runs a worker on every
 * CPU, which a shrinker must not wait for: the scavenger does it at once,
 * and reclaim's next pass finds the chunks it leaves idle. At most once
 * per GOALLOC_DRAIN_GAP (a second): reclaim calls the shrinker on every
 * pass, also when the pressure is not goalloc's, and each drain empties
 * every CPU's caches.
 */
void heap_request_drain(void)
{
	unsigned long now = jiffies, last = READ_ONCE(goalloc_drain_last);

	/* Not time_before(next): wrong after 2^31 jiffies without a request. */
	if (READ_ONCE(goalloc_scavenge_off) ||
	    time_in_range(now, last, last + GOALLOC_DRAIN_GAP))
		return;
	WRITE_ONCE(goalloc_drain_last, now);
	WRITE_ONCE(goalloc_drain_wanted, true);
	mod_delayed_work(system_wq, &goalloc_scavenge_work, 0);
}

/**
 * goalloc_scavenge_flush() - wait for a queued scavenger pass, for tests
 */
void goalloc_scavenge_flush(void)
{
	flush_delayed_work(&goalloc_scavenge_work);
}
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(goalloc_scavenge_flush);

/**
 * goalloc_scavenge_hold() - keep the scavenger from running, or let it run
 * @hold: true to cancel it and keep it off, false to allow it again
 *
 * For tests whose expectations a background drain would change (a freed
 * object's span vanishing between a prediction and a call).
 */
void goalloc_scavenge_hold(bool hold)
{
	WRITE_ONCE(goalloc_scavenge_off, hold);
	if (hold)
		cancel_delayed_work_sync(&goalloc_scavenge_work);
}
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(goalloc_scavenge_hold);

/* Unload: stop the scavenger for good; frees after this only count pages. */
void goalloc_scavenge_cancel(void)
{
	WRITE_ONCE(goalloc_scavenge_off, true);
	cancel_delayed_work_sync(&goalloc_scavenge_work);
}

/* ------------------------------------------------------------------ */
/* Large objects: page runs straight from the heap */

/* Also size 0 (ZERO_SIZE_PTR) and sizes beyond GOALLOC_MAX_SIZE (NULL). */
void *goalloc_alloc_large(size_t size, gfp_t gfp, unsigned long caller)
{
	struct span *s;
	void *p;

	if (unlikely(!size)) {
		trace_goalloc_alloc(caller, ZERO_SIZE_PTR, 0, 0, gfp);
		return ZERO_SIZE_PTR;
	}
	if (unlikely(size > GOALLOC_MAX_SIZE)) {
		goalloc_report(REPORT_TOO_BIG, NULL, size, gfp);
		trace_goalloc_alloc(caller, NULL, size, 0, gfp);
		return NULL;
	}
	s = span_create(0, DIV_ROUND_UP(size, GOALLOC_PAGE_SIZE), gfp);
	if (unlikely(!s)) {
		goalloc_alloc_failed(size, gfp);
		trace_goalloc_alloc(caller, NULL, size, 0, gfp);
		return NULL;
	}
	__set_bit(0, s->allocbits);
	s->allocated = 1;
	s->state = SPAN_LARGE;
	s->size = size;
	heap_note_large(s);
	count_event(EV_ALLOC_LARGE);
	p = (void *)s->base;
	kmemleak_alloc(p, span_bytes(s), 1, gfp);
	if (want_init_on_alloc(gfp))
		memset(p, 0, span_bytes(s));
	trace_goalloc_alloc(caller, p, size, span_bytes(s), gfp);
	if (static_branch_unlikely(&goalloc_profile_key) &&
	    profile_countdown(span_bytes(s)))
		goalloc_profile_sample(p, span_bytes(s));
	return p;
}

/**
 * goalloc_free_odd() - a free that is not of a live slot: a large object,
 *			or a pointer to refuse
 * @s: span_of(@p)
 * @p: the pointer
 */
void goalloc_free_odd(struct span *s, const void *p)
{
	enum goalloc_report bad;
	unsigned int idx;

	bad = object_check(s, s->cls, p, &idx);
	/* A slot free at the fast path's test, taken again since. */
	if (!bad && s->cls)
		bad = REPORT_DOUBLE_FREE;
	/* Of two frees racing for one large object, one claims it. */
	if (!bad && !test_and_clear_bit(0, s->allocbits))
		bad = REPORT_DOUBLE_FREE;
	if (unlikely(bad)) {
		goalloc_report(bad, p, 0, 0);
		return;
	}
	if (profile_span_sampled(s))
		goalloc_profile_free(s, p);
	kmemleak_free(p);
	if (want_init_on_free())
		memset((void *)p, 0, span_bytes(s));
	count_event(EV_FREE_LARGE);
	span_unmap(s);
	heap_free_large(s);
}

void goalloc_alloc_failed(size_t size, gfp_t gfp)
{
	count_event(EV_ALLOC_FAIL);
	if (!(gfp & __GFP_NOWARN))
		pr_warn_ratelimited("allocation of %zu bytes failed, gfp %pGg\n",
				    size, &gfp);
}

/* ------------------------------------------------------------------ */
/* Public API (the fast paths, goalloc_alloc and goalloc_free, are in
 * goalloc_percpu.c beside the per-CPU caches they use)
 */

/**
 * goalloc_zalloc() - allocate zeroed memory
 * @size: bytes wanted
 * @gfp: allocation mask, as for kzalloc()
 *
 * Context: any context where kzalloc() with @gfp may be called.
 * Return: zeroed memory, ZERO_SIZE_PTR for @size 0, or NULL.
 */
void *goalloc_zalloc(size_t size, gfp_t gfp)
{
	return goalloc_alloc_caller(size, gfp | __GFP_ZERO, _RET_IP_);
}
EXPORT_SYMBOL_GPL(goalloc_zalloc);

/**
 * goalloc_calloc() - allocate zeroed memory for an array
 * @n: number of elements
 * @size: bytes per element
 * @gfp: allocation mask, as for kcalloc()
 *
 * Context: any context where kcalloc() with @gfp may be called.
 * Return: zeroed memory, ZERO_SIZE_PTR if the product is 0, or NULL if it
 * overflows (with a warning unless __GFP_NOWARN) or memory is short.
 */
void *goalloc_calloc(size_t n, size_t size, gfp_t gfp)
{
	size_t bytes;

	if (unlikely(check_mul_overflow(n, size, &bytes))) {
		goalloc_report(REPORT_OVERFLOW, NULL, size, gfp);
		return NULL;
	}
	return goalloc_alloc_caller(bytes, gfp | __GFP_ZERO, _RET_IP_);
}
EXPORT_SYMBOL_GPL(goalloc_calloc);

/**
 * goalloc_realloc() - resize an object, keeping its contents
 * @p: an object from goalloc, or NULL / ZERO_SIZE_PTR
 * @new_size: bytes wanted; 0 frees @p
 * @gfp: allocation mask, as for krealloc()
 *
 * The object stays in place when @new_size fits its usable size; otherwise
 * a new object receives the old contents and the old one is freed.
 * __GFP_ZERO zeroes only a newly allocated object beyond the old contents.
 *
 * Context: any context where krealloc() with @gfp may be called.
 * Return: the object, ZERO_SIZE_PTR for @new_size 0, or NULL on failure
 * (then @p is unchanged) and when @p is refused as bad input.
 */
void *goalloc_realloc(const void *p, size_t new_size, gfp_t gfp)
{
	size_t old;
	void *q;

	if (unlikely(ZERO_OR_NULL_PTR(p)))
		return goalloc_alloc_caller(new_size, gfp, _RET_IP_);
	if (unlikely(!new_size)) {
		goalloc_free_caller(p, _RET_IP_);
		return ZERO_SIZE_PTR;
	}
	old = goalloc_usable_size(p);
	if (unlikely(!old))
		return NULL;
	if (new_size <= old)
		return (void *)p;
	q = goalloc_alloc_caller(new_size, gfp & ~__GFP_ZERO, _RET_IP_);
	if (!q)
		return NULL;
	memcpy(q, p, old);
	if (gfp & __GFP_ZERO)
		memset(q + old, 0, goalloc_usable_size(q) - old);
	goalloc_free_caller(p, _RET_IP_);
	return q;
}
EXPORT_SYMBOL_GPL(goalloc_realloc);

/**
 * goalloc_usable_size() - bytes usable in an object, like ksize()
 * @p: an object from goalloc
 *
 * Context: any.
 * Return: the size class's object size, the page-run size for a large
 * object, or 0 for NULL, ZERO_SIZE_PTR and refused pointers (a pointer
 * goalloc does not own, an interior pointer, a freed object).
 */
size_t goalloc_usable_size(const void *p)
{
	enum goalloc_report bad;
	unsigned int idx;
	struct span *s;

	if (unlikely(ZERO_OR_NULL_PTR(p)))
		return 0;
	s = span_of(p);
	if (unlikely(!s)) {
		goalloc_report(REPORT_FOREIGN, p, 0, 0);
		return 0;
	}
	bad = object_check(s, s->cls, p, &idx);
	if (!bad && static_branch_unlikely(&goalloc_debug_key) && s->cls &&
	    test_bit(idx, s->cachedbits))
		bad = REPORT_DOUBLE_FREE;
	if (unlikely(bad)) {
		goalloc_report(bad == REPORT_DOUBLE_FREE ?
			       REPORT_USE_AFTER_FREE : bad, p, 0, 0);
		return 0;
	}
	return s->cls ? class_to_size[s->cls] : span_bytes(s);
}
EXPORT_SYMBOL_GPL(goalloc_usable_size);

/* ------------------------------------------------------------------ */
/* Module */

static int __init goalloc_init(void)
{
	int err;

	goalloc_drain_last = jiffies - GOALLOC_DRAIN_GAP - 1;
	get_random_bytes(&goalloc_cookie, sizeof(goalloc_cookie));
	goalloc_cookie |= 1;	/* never 0, so cleared pages never match */
	if (goalloc_debug) {
		static_branch_enable(&goalloc_debug_key);
		static_branch_inc(&goalloc_hooks_key);
	}
	if (goalloc_track_waste) {
		static_branch_enable(&goalloc_track_key);
		static_branch_inc(&goalloc_hooks_key);
	}
	/* A boot parameter: set for good before any module loads. */
	if (want_init_on_free())
		static_branch_inc(&goalloc_hooks_key);
	central_init();
	err = heap_init();
	if (err)
		return err;
	err = mcache_init();
	if (err)
		goto out_heap;
	err = goalloc_profile_init();
	if (err)
		goto out_mcache;
	goalloc_debugfs_init();
	heap_shrinker_start();
	pr_info("%d size classes, %lu KiB chunks, debug %s\n",
		GOALLOC_NUM_CLASSES - 1, PAGE_SIZE << GOALLOC_CHUNK_ORDER >> 10,
		goalloc_debug ? "on" : "off");
	return 0;

out_mcache:
	mcache_exit();
out_heap:
	heap_exit();
	return err;
}

static void __exit goalloc_exit(void)
{
	goalloc_debugfs_exit();
	/* The shrinker queues the scavenger: gone first. */
	heap_shrinker_unregister();
	goalloc_scavenge_cancel();
	mcache_exit();
	central_exit();
	goalloc_profile_exit();
	heap_exit();
	pr_info("unloaded, %lu pages still held\n", heap_pages_held());
}

module_init(goalloc_init);
module_exit(goalloc_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Go's memory allocator (size classes, mcache, mcentral, mheap) for the kernel");
