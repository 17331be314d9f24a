// SPDX-License-Identifier: GPL-2.0
/*
 * goalloc API: kmalloc's shape on top of mcache. goalloc_alloc() and
 * goalloc_free() inline the fast paths of goalloc_mcache.h, as the caches'
 * entry points do (goalloc_cache.c); zeroed and array allocations,
 * realloc and usable size are built on them and on the span of an object.
 */

#include <linux/overflow.h>
#include <linux/rcupdate.h>
#include <linux/string.h>

#include "goalloc_mcache.h"
#include "goalloc_trace.h"

/*
 * The allocation fast path, for goalloc_alloc() and (out of line) for the
 * API functions built on it; @caller is the call site the tracepoint shows.
 */
static __always_inline void *__goalloc_alloc(size_t size, gfp_t gfp,
					     unsigned long caller)
{
	/*
	 * Size 0 is class 0, whose magazines stay empty: it goes the slow
	 * way to ZERO_SIZE_PTR, and every size passes one test.
	 */
	if (unlikely(size > GOALLOC_MAX_SMALL_SIZE))
		return goalloc_alloc_large(size, gfp, caller);
	return mcache_alloc_class(size_to_class(size), size, gfp, caller);
}

void *goalloc_alloc_caller(size_t size, gfp_t gfp, unsigned long caller)
{
	return __goalloc_alloc(size, gfp, caller);
}

/**
 * goalloc_alloc() - allocate memory, like kmalloc()
 * @size: bytes wanted
 * @gfp: allocation mask, as for kmalloc(); the call sleeps only if it
 *	 allows
 *
 * Sizes up to 32 KiB come from the calling CPU's cache of the smallest
 * size class that fits; larger ones, up to GOALLOC_MAX_SIZE, are page runs.
 *
 * Context: any context where kmalloc() with @gfp may be called, hard IRQ
 * included with GFP_ATOMIC or GFP_NOWAIT.
 * Return: the object, ZERO_SIZE_PTR for @size 0, or NULL when memory is
 * short or @size exceeds GOALLOC_MAX_SIZE (with a warning unless
 * __GFP_NOWARN).
 */
void *goalloc_alloc(size_t size, gfp_t gfp)
{
	return __goalloc_alloc(size, gfp, _RET_IP_);
}
EXPORT_SYMBOL_GPL(goalloc_alloc);

/*
 * The free path after the tracepoint. @hooked: goalloc_hooks_key is on, so
 * debug=1, track_waste=1 or init_on_free may need the slow path.
 */
static __always_inline void __goalloc_free(const void *p, bool hooked)
{
	mcache_free(p, 0, hooked);
}

static noinline void goalloc_free_hooked(const void *p, unsigned long caller)
{
	trace_goalloc_free(caller, p);
	__goalloc_free(p, true);
}

void goalloc_free_caller(const void *p, unsigned long caller)
{
	if (static_branch_unlikely(&goalloc_hooks_key))
		goalloc_free_hooked(p, caller);
	else
		__goalloc_free(p, false);
}

/**
 * goalloc_free() - free memory from goalloc, like kfree()
 * @p: an object from goalloc_alloc() and friends, or NULL / ZERO_SIZE_PTR
 *
 * A pointer goalloc did not hand out, a pointer inside an object, an
 * object already free in its span, or the object this CPU freed last (and,
 * with debug=1, any object already in a CPU cache) is refused with a
 * rate-limited warning and counted in debugfs "counters"; nothing else
 * changes. Without debug=1, a second free of an object a CPU cache holds
 * deeper down goes unseen, as in kfree(): the object may be handed out
 * twice. Its span refuses and reports the second copy when the cache
 * gives it back while the slot is still free; if the slot was handed out
 * again by then, the copy frees the new owner's object (goalloc.h).
 *
 * Context: any context where kfree() may be called.
 */
void goalloc_free(const void *p)
{
	if (static_branch_unlikely(&goalloc_hooks_key))
		goalloc_free_hooked(p, _RET_IP_);
	else
		__goalloc_free(p, false);
}
EXPORT_SYMBOL_GPL(goalloc_free);

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

static size_t usable_size(const void *p);

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
	old = usable_size(p);
	if (unlikely(!old))
		return NULL;
	if (new_size <= old) {
		/* KASAN: the red zone moves. */
		shadow_set(p, new_size, old, old > GOALLOC_MAX_SMALL_SIZE ?
			   SHADOW_PAGE_REDZONE : SHADOW_SLAB_REDZONE);
		return (void *)p;
	}
	q = goalloc_alloc_caller(new_size, gfp & ~__GFP_ZERO, _RET_IP_);
	if (!q)
		return NULL;
	/* All of the old slot, as krealloc() copies ksize() bytes. */
	shadow_set(p, old, old, 0);
	memcpy(q, p, old);
	if (gfp & __GFP_ZERO) {
		/* Past @new_size too: the red zone, to goalloc. */
		kasan_disable_current();
		memset(q + old, 0, usable_size(q) - old);
		kasan_enable_current();
	}
	goalloc_free_caller(p, _RET_IP_);
	return q;
}
EXPORT_SYMBOL_GPL(goalloc_realloc);

/* goalloc_usable_size(), and what goalloc_realloc() reads it for. */
static size_t usable_size(const void *p)
{
	enum goalloc_report bad;
	unsigned int idx, gen;
	struct span *s;
	size_t size;

	if (unlikely(ZERO_OR_NULL_PTR(p)))
		return 0;
	/* A span struct is freed a grace period late (span_get()). */
	rcu_read_lock();
	if (unlikely(!span_get(p, &s, &gen))) {
		rcu_read_unlock();
		goalloc_free_unowned(p);
		return 0;
	}
	bad = object_check(s, s->cls, p, &idx);
	/* Freed, in a CPU cache or the quarantine: debug=1 or KASAN tell. */
	if (!bad && s->cls &&
	    ((static_branch_unlikely(&goalloc_debug_key) &&
	      test_bit(idx, s->cachedbits)) || shadow_freed(p)))
		bad = REPORT_DOUBLE_FREE;
	size = s->cls ? class_info[s->cls].size : span_bytes(s);
	/* Freed under us: a use after free that raced with the free. */
	if (!bad && !span_unchanged(s, gen))
		bad = REPORT_DOUBLE_FREE;
	rcu_read_unlock();
	if (unlikely(bad)) {
		goalloc_report(bad == REPORT_DOUBLE_FREE ?
			       REPORT_USE_AFTER_FREE : bad, p, 0, 0);
		return 0;
	}
	return size;
}

/**
 * goalloc_usable_size() - bytes usable in an object, like ksize()
 * @p: an object from goalloc
 *
 * With KASAN, all of them become accessible, as ksize() makes them on 6.1.
 *
 * Context: any.
 * Return: the size class's object size, the page-run size for a large
 * object, or 0 for NULL, ZERO_SIZE_PTR and refused pointers (a pointer
 * goalloc does not own, an interior pointer, a freed object).
 */
size_t goalloc_usable_size(const void *p)
{
	size_t size = usable_size(p);

	if (size)
		shadow_set(p, size, size, 0);
	return size;
}
EXPORT_SYMBOL_GPL(goalloc_usable_size);

/**
 * goalloc_size_roundup() - bytes usable in an object of @size bytes, like
 * kmalloc_size_roundup()
 * @size: bytes to be asked for
 *
 * Context: any.
 * Return: the size class's object size, or @size rounded up to whole Go
 * pages above 32 KiB; @size itself if 0 or above GOALLOC_MAX_SIZE (which
 * goalloc_alloc() refuses).
 */
size_t goalloc_size_roundup(size_t size)
{
	if (!size || size > GOALLOC_MAX_SIZE)
		return size;
	if (size > GOALLOC_MAX_SMALL_SIZE)
		return round_up(size, GOALLOC_PAGE_SIZE);
	return class_info[size_to_class(size)].size;
}
EXPORT_SYMBOL_GPL(goalloc_size_roundup);
