// SPDX-License-Identifier: GPL-2.0
/*
 * goalloc mcentral: one size class's shared pool of spans.
 *
 * Each class has a spinlock, three span lists and a depot:
 *
 *   goalloc_central[cls]
 *     .partial --> span <-> span ...   some slots free
 *     .full    --> span <-> span ...   none free
 *     .empty   --> span ...            all free, at most keep_empty kept
 *     .depot   [p][p][p]...            objects CPUs flushed, for the next
 *                                      refill of any CPU (tcmalloc's
 *                                      transfer cache)
 *   a CPU's cached span (SPAN_CACHED) is on no list; its CPU refills from it
 *
 * Batches move between a CPU's magazine and its class here: a refill
 * (__central_fill()) copies from the depot, or takes slots from the cached
 * span, then from partial, empty and fresh spans; a flush
 * (__central_flush()) copies into the depot, or gives objects back to
 * their spans (__central_return()). The class lock covers every field of
 * every span of the class, the cached ones included, so objects of a span
 * cached by CPU A are correctly returned by CPU B. Spans that empty beyond
 * keep_empty go back to the heap, always after the lock is dropped.
 *
 * The class lock covers its spans' bitmaps too: __span_put(), which gives
 * flushed objects back to them, lives here, inline in the flush loop.
 * The magazine sizes that size a class's depot and its empty list come
 * down from the mcache at init (central_size_class()). Lock order in
 * goalloc_internal.h.
 */

#define pr_fmt(fmt) "goalloc: " fmt

#include <linux/kmemleak.h>
#include <linux/string.h>

#include "goalloc_internal.h"

struct central goalloc_central[NR_CLASSES];
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(goalloc_central);

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
 * Here, not in goalloc_span.c: the flush loop of __central_return() runs
 * it inline, once per run of one span's objects.
 *
 * Context: the class's central lock held (or @s private to the caller).
 * Return: the number freed, 0 .. @n; 0 if the first is free already.
 */
static __always_inline unsigned int
__span_put(struct span *s, void *const *objs, unsigned int n)
{
	unsigned long base = s->base, bytes = span_bytes(s), off;
	unsigned long low = ULONG_MAX, idx;
	void *const *end = objs + n;
	unsigned int i;
	long k;

	/*
	 * A negative index up to 0 steps the loop: its increment ends it,
	 * one compare less an object than a pointer up to @end.
	 */
	for (k = -(long)n; k; k++) {
		off = (unsigned long)end[k] - base;
		if (off >= bytes)
			break;
		idx = divmagic_idx(off, &s->divmagic);
		if (unlikely(!__test_and_clear_bit(idx, s->allocbits)))
			break;
		low = min(low, idx);
	}
	i = n + k;
	if (static_branch_unlikely(&goalloc_debug_key)) {
		for (idx = 0; idx < i; idx++)
			clear_bit(span_obj_index(s, objs[idx]), s->cachedbits);
	}
	s->allocated -= i;
	/* Empty: a free that found a slot of it before may not claim one now. */
	if (!s->allocated)
		span_next_gen(s);
	if (low < s->freeindex)
		s->freeindex = round_down(low, BITS_PER_LONG);
	s->alloc_cache = ~s->allocbits[s->freeindex / BITS_PER_LONG];
	return i;
}

/* Mark slot @idx of @s free again, for tests. */
void span_put(struct span *s, unsigned int idx)
{
	void *p = (void *)(s->base + (unsigned long)idx * class_info[s->cls].size);

	__span_put(s, &p, 1);
}
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(span_put);

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
	c->changes++;
	if (c->nr_spans[SPAN_EMPTY] < c->keep_empty) {
		__span_set_state(c, s, SPAN_EMPTY);
		list_move(&s->list, &c->empty);
		return;
	}
	c->nr_spans[s->state]--;
	__central_count_span(c, s, -1);
	c->departed++;
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
	c->changes++;
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
	c->changes++;
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
	c->changes++;
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
	c->changes++;
	s->cpu = -1;
	__span_set_state(c, s, SPAN_PARTIAL);
	list_add(&s->list, &c->partial);
	if (!s->allocated)
		__central_release_span(c, s, dead);
}
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(__central_uncache_span);

/*
 * Run @fn on every class that @want (NULL: every class) picks, in a racy
 * peek, with its lock held, then give the spans it put on the list it is
 * passed back to the heap, with the lock dropped.
 */
static void central_for_each(bool (*want)(const struct central *c),
			     void (*fn)(struct central *c,
					struct list_head *dead))
{
	unsigned long flags;
	unsigned int cls;
	LIST_HEAD(dead);

	for (cls = 1; cls < NR_CLASSES; cls++) {
		struct central *c = &goalloc_central[cls];

		if (!READ_ONCE(class_info[cls].size) || (want && !want(c)))
			continue;
		spin_lock_irqsave(&c->lock, flags);
		fn(c, &dead);
		spin_unlock_irqrestore(&c->lock, flags);
		spans_destroy(&dead);
	}
}

/* Does @c's depot hold objects? Not under its lock: a drain's peek. */
static bool central_has_depot(const struct central *c)
{
	return READ_ONCE(c->ndepot);
}

static void __central_drain_depot(struct central *c, struct list_head *dead)
{
	__central_return(c, c->depot, c->ndepot, -1, dead);
	depot_forget(c->depot, c->ndepot);
	WRITE_ONCE(c->ndepot, 0);
}

/**
 * central_drain_depots() - return every depot's objects to their spans
 *
 * Context: process or atomic context.
 */
void central_drain_depots(void)
{
	central_for_each(central_has_depot, __central_drain_depot);
}
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(central_drain_depots);

static void __central_release_empty(struct central *c, struct list_head *dead)
{
	struct span *s;

	list_for_each_entry(s, &c->empty, list)
		__central_count_span(c, s, -1);
	list_splice_init(&c->empty, dead);
	c->departed += c->nr_spans[SPAN_EMPTY];
	c->changes++;
	c->nr_spans[SPAN_EMPTY] = 0;
}

/**
 * central_release_empty() - give every empty span back to the heap
 *
 * Context: process or atomic context.
 */
void central_release_empty(void)
{
	central_for_each(NULL, __central_release_empty);
}
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(central_release_empty);

/**
 * central_empty_class() - give back what one class holds free
 * @cls: the class; no CPU's magazine holds its objects
 *
 * Its depot's objects go back to their spans, and its empty spans to the
 * heap: a cache being destroyed (goalloc_cache.c).
 *
 * Context: process or atomic context.
 * Return: objects of @cls still allocated, all of them callers'.
 */
unsigned long central_empty_class(unsigned int cls)
{
	struct central *c = &goalloc_central[cls];
	unsigned long flags, objects;
	LIST_HEAD(dead);

	spin_lock_irqsave(&c->lock, flags);
	__central_drain_depot(c, &dead);
	__central_release_empty(c, &dead);
	objects = c->objects;
	spin_unlock_irqrestore(&c->lock, flags);
	spans_destroy(&dead);
	return objects;
}

/**
 * central_size_class() - size a class's depot and its stock of empty spans
 * @cls: the class, not 0
 * @mag_cap: objects one CPU magazine of @cls holds: the depot holds as many
 * @mag_spans: spans that hold a magazine: the class keeps as many empty
 *
 * Empty spans enough for a magazine, rounded up (one where a span holds a
 * magazine; 128 KiB for 8 KiB objects, 512 KiB for 32 KiB ones): frees on
 * one CPU and allocations on another then reuse spans instead of going to
 * the heap, and the spans a class makes when it runs dry all fit, even
 * when a racing refill took none of them.
 *
 * Context: module init, or a cache's creation, before any allocation of
 * @cls.
 */
void central_size_class(unsigned int cls, unsigned int mag_cap,
			unsigned int mag_spans)
{
	goalloc_central[cls].keep_empty = mag_spans;
	goalloc_central[cls].depot_cap = mag_cap;
}

void central_init(void)
{
	unsigned int cls;

	for (cls = 0; cls < NR_CLASSES; cls++) {
		struct central *c = &goalloc_central[cls];

		spin_lock_init(&c->lock);
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
		if (!static_branch_unlikely(&goalloc_debug_key) ||
		    !test_bit(i, s->cachedbits))
			kmemleak_free((void *)(s->base + i * class_info[s->cls].size));
}

/* Unload: report what callers never freed, then free every span anyway. */
void central_exit(void)
{
	struct list_head *lists[3];
	struct span *s, *tmp;
	unsigned int cls, i;

	for (cls = 1; cls < NR_CLASSES; cls++) {
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
				cls, class_info[cls].size, objects,
				objects * class_info[cls].size);
	}
}
