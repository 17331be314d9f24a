/* SPDX-License-Identifier: GPL-2.0 */
/*
 * goalloc mcache (goalloc_percpu.c), the top layer: the per-CPU magazines
 * and caches that statistics, the verifier and the tests read, and the
 * helpers its fast paths inline. The layers below it are declared in
 * goalloc_internal.h.
 */
#ifndef _GOALLOC_MCACHE_H
#define _GOALLOC_MCACHE_H

#include "goalloc_internal.h"

/*
 * Each CPU has two sets of magazines: one for task context, one for
 * interrupts (softirq and hard IRQ). Task context uses its own with
 * preemption off and nothing else, as no interrupt touches it; interrupt
 * context uses the other with interrupts off (goalloc_percpu.c).
 */
enum { MAG_TASK, MAG_IRQ, NR_MAG_LEVELS };
#define NR_MAGS		(NR_MAG_LEVELS * GOALLOC_NUM_CLASSES)
/* The index of a CPU's magazine of class @cls for context @level. */
#define MAG(level, cls)	((level) * GOALLOC_NUM_CLASSES + (cls))

/**
 * struct mcache_mags - one CPU's magazines, indexed by MAG(level, cls)
 * @top:	the slot the next push fills; pop takes top[-1]
 * @nfree:	objects freed into it
 * @objs:	its free objects, from objs[0] to top[-1]. objs[-1] stays NULL
 *		and objs[cap] holds MAG_END, so that an empty and a full
 *		magazine show at top[-1] and top[0], without a count.
 * @moved:	objects refills put in less those flushes and drains took out;
 *		under the CPU's mcache lock
 *
 * In per-CPU memory (goalloc_mags), so that this_cpu operations reach the
 * fields without a pointer chase; an array per field, so that a fast path
 * reaches its magazine's with the index alone (scaled by the load). A
 * struct per magazine took a shift and an add more.
 *
 * Allocations are not counted: what left the magazine and was not moved
 * out was allocated, so they are @nfree + @moved less the objects in it
 * (mag_nalloc()), as Go counts a span's allocations when its mcache gives
 * it back.
 */
struct mcache_mags {
	void **top[NR_MAGS];
	unsigned long nfree[NR_MAGS];
	void **objs[NR_MAGS];
	long moved[NR_MAGS];
};

#define MAG_END		((void *)1)	/* in the slot past the last */

/* Objects in magazine @mag of @mm; another CPU's only in a racy read. */
static inline unsigned int mag_count(const struct mcache_mags *mm,
				     unsigned int mag)
{
	return READ_ONCE(mm->top[mag]) - mm->objs[mag];
}

/*
 * Objects handed out from magazine @mag of @mm, which holds @count: exact
 * under the CPU's mcache lock or for an idle CPU. Read unlocked while the
 * CPU runs, the three fields may be from different moments, and the count
 * off by what moved in between; it is never below 0 (nor, on a 32-bit
 * kernel, above LONG_MAX).
 */
static inline unsigned long mag_nalloc(const struct mcache_mags *mm,
				       unsigned int mag, unsigned int count)
{
	long n = READ_ONCE(mm->nfree[mag]) + READ_ONCE(mm->moved[mag]) - count;

	return max(n, 0L);
}

/**
 * struct mcache_class - one CPU's cache of one size class: what the
 * fast paths do not touch
 * @span:	span this CPU refills from (SPAN_CACHED), or NULL
 * @refills:	batches taken from mcentral
 * @flushes:	batches given back to mcentral
 * @slow:	allocations the magazine could not serve at once
 * @remote:	objects flushed to a span that another CPU caches
 *
 * Under the CPU's mcache lock; @span also under the class's central lock.
 */
struct mcache_class {
	struct span *span;
	unsigned long refills;
	unsigned long flushes;
	unsigned long slow;
	unsigned long remote;
};

struct mcache {
	struct mcache_class cls[GOALLOC_NUM_CLASSES];
	void *slots[];
};

struct mcache_pcpu {
	local_lock_t lock;
	struct mcache *mc;
};
DECLARE_PER_CPU(struct mcache_pcpu, goalloc_mcache);
extern struct mcache_mags __percpu *goalloc_mags;

struct mcache *mcache_of(int cpu);
struct mcache_mags *mcache_mags_of(int cpu);
void mcache_drain_all(void);
int mcache_init(void);
void mcache_exit(void);
unsigned int mcache_class_cap(unsigned int cls);
void *goalloc_alloc_caller(size_t size, gfp_t gfp, unsigned long caller);
void goalloc_free_caller(const void *p, unsigned long caller);

/* ------------------------------------------------------------------ */
/* Objects and their spans, as the fast paths see them */

/* The span of an object goalloc handed out (no checks). */
static __always_inline struct span *obj_span(const void *p)
{
	return (struct span *)heap_page(p)->private;
}

/*
 * Is @p a slot of small-object span @s (class @cls, loaded already) that
 * is not free in it? Set *@idx to the slot. The free fast path's test;
 * object_check() says what else @p is. Lockless: a caller that owns the
 * object owns its bit. Slot nelems, in the span's tail, has a bit that
 * stays clear (span_init()): not one more test here.
 */
static __always_inline bool span_slot_live(const struct span *s,
					   unsigned long cls, const void *p,
					   unsigned int *idx)
{
	return class_slot(cls, (unsigned long)p - s->base, idx) &&
	       test_bit(*idx, s->allocbits);
}

/*
 * profile_countdown() for an object of class @cls, from the fast path. The empty asm
 * keeps the compiler from loading the class size before the key's no-op,
 * where it would cost an instruction with profiling off.
 */
static __always_inline bool profile_countdown_cls(unsigned int cls)
{
	if (!static_branch_unlikely(&goalloc_profile_key))
		return false;
	asm volatile("" : "+r" (cls));
	return profile_countdown(class_to_size[cls]);
}

#endif /* _GOALLOC_MCACHE_H */
