// SPDX-License-Identifier: GPL-2.0
/*
 * goalloc large objects: allocations over 32 KiB, up to GOALLOC_MAX_SIZE,
 * each a span of its own (class 0) whose run of Go pages comes from the
 * per-CPU page cache or the heap, as kmalloc_large() takes pages from the
 * buddy allocator.
 *
 * Only a large object's first kernel page maps to its span
 * (span_mapped_pages()): it is freed and looked up by its address, and
 * mapping every page would cost two stores per page on allocation and on
 * free. span_around() finds the object of a pointer into its other pages,
 * for reports.
 *
 * The page cache lists live large objects by the CPU that allocated them
 * (pcache_note_large()), for statistics, verify and unload, and keeps a
 * freed object's run for the next large allocation of its size
 * (pcache_free_large()).
 */

#define pr_fmt(fmt) "goalloc: " fmt

#include <linux/kmemleak.h>
#include <linux/string.h>

#include "goalloc_internal.h"
#include "goalloc_trace.h"

/*
 * A pointer span_find() refuses: inside a one-object span past its first
 * page, or not goalloc's at all.
 */
noinline void goalloc_free_unowned(const void *p)
{
	goalloc_report(span_around(p) ? REPORT_INTERIOR : REPORT_FOREIGN,
		       p, 0, 0);
}

/**
 * goalloc_alloc_large() - an allocation the size classes do not serve
 * @size: 0 (ZERO_SIZE_PTR), over GOALLOC_MAX_SMALL_SIZE, or over
 *	  GOALLOC_MAX_SIZE (NULL, reported)
 * @gfp: the caller's mask
 * @caller: the call site the tracepoint shows
 *
 * Context: any context that @gfp allows.
 * Return: the object, ZERO_SIZE_PTR, or NULL.
 */
void *goalloc_alloc_large(size_t size, gfp_t gfp, unsigned long caller)
{
	struct span *s;
	void *p;

	if (unlikely(!size)) {
		trace_goalloc_alloc(caller, ZERO_SIZE_PTR, 0, 0, gfp);
		return ZERO_SIZE_PTR;
	}
	if (goalloc_refuse_nmi(NULL, size))
		return NULL;
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
	s->allocated = 1;
	s->state = SPAN_LARGE;
	s->size = size;
	pcache_note_large(s);
	span_map(s);
	/* Last: the bit a free claims (large_claim()), and verify reads. */
	smp_wmb();
	set_bit(0, s->allocbits);
	count_event(EV_ALLOC_LARGE);
	p = (void *)s->base;
	if (static_branch_unlikely(&goalloc_debug_key))
		history_alloc(p);
	kmemleak_alloc(p, span_bytes(s), 1, gfp);
	if (want_init_on_alloc(gfp))
		memset(p, 0, span_bytes(s));
	shadow_set(p, size, span_bytes(s), SHADOW_PAGE_REDZONE);
	trace_goalloc_alloc(caller, p, size, span_bytes(s), gfp);
	if (static_branch_unlikely(&goalloc_profile_key) &&
	    profile_countdown(span_bytes(s)))
		goalloc_profile_sample(p, span_bytes(s), caller);
	return p;
}

/*
 * Claim a large object for its free. Of two frees racing for one large
 * object, the one that moves @s->gen from @gen claims it; a free that
 * looked the object up before an earlier free claimed it, even if the run
 * and span struct went to a new object since, finds @gen moved and is
 * refused. The bit, cleared by the claimer alone, refuses a free that
 * looked up after the claim and before the unmap. A refused free is
 * reported. Return: true if the caller owns @s now.
 */
static bool large_claim(struct span *s, unsigned int gen, const void *p)
{
	if (unlikely(p != (void *)s->base)) {
		goalloc_report(REPORT_INTERIOR, p, 0, 0);
		return false;
	}
	if (unlikely(cmpxchg(&s->gen, gen, gen + 1) != gen ||
		     !test_and_clear_bit(0, s->allocbits))) {
		goalloc_report(REPORT_DOUBLE_FREE, p, 0, 0);
		return false;
	}
	return true;
}

/* Give a claimed large object's run back. */
static void __large_free(struct span *s)
{
	void *p = (void *)s->base;

	if (profile_span_sampled(s))
		goalloc_profile_free(s, p);
	if (static_branch_unlikely(&goalloc_debug_key))
		history_free(p);
	kmemleak_free(p);
	if (want_init_on_free()) {
		shadow_set(p, span_bytes(s), span_bytes(s), 0);
		memset(p, 0, span_bytes(s));
	}
	shadow_poison(p, span_bytes(s), SHADOW_PAGE_FREE);
	count_event(EV_FREE_LARGE);
	span_unmap(s);
	pcache_free_large(s);
}

/**
 * large_free() - free a large object
 * @s: @p's span, found by span_get(), of class 0
 * @gen: its generation then
 * @p: the pointer
 *
 * Claims the object while its span struct cannot go (preemption is still
 * off from the lookup), turns preemption on and gives the run back. Out of
 * line, so that the free fast path keeps nothing across a call.
 *
 * Context: any context where kfree() may be called, with preemption
 * disabled once since the lookup; returns with it enabled.
 */
void large_free(struct span *s, unsigned int gen, const void *p)
{
	bool claimed = !goalloc_refuse_nmi(p, 0) && large_claim(s, gen, p);

	preempt_enable();
	if (claimed)
		__large_free(s);
}

/* Unload: report what callers never freed, then free it anyway. */
void large_exit(void)
{
	struct span *s, *tmp;
	int cpu;

	for_each_possible_cpu(cpu) {
		list_for_each_entry_safe(s, tmp, &pcache_large_list(cpu)->spans,
					 list) {
			pr_warn("unload: large object of %zu bytes never freed\n",
				span_bytes(s));
			kmemleak_free((void *)s->base);
			list_del(&s->list);
			span_destroy(s);
		}
	}
}
