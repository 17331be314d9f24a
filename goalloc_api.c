// SPDX-License-Identifier: GPL-2.0
/*
 * goalloc API: the rest of kmalloc's shape, built on the fast paths of
 * goalloc_percpu.c (goalloc_alloc(), goalloc_free()) and on the span of an
 * object: zeroed and array allocations, realloc, usable size.
 */

#include <linux/overflow.h>
#include <linux/rcupdate.h>
#include <linux/string.h>

#include "goalloc_mcache.h"

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
