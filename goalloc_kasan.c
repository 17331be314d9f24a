// SPDX-License-Identifier: GPL-2.0
/*
 * goalloc and KASAN: the shadow of goalloc's objects and the quarantine of
 * freed ones (goalloc_debug.h says what and why). Built only with generic
 * KASAN, and not instrumented itself: it writes shadow memory, and it is
 * where goalloc's own accesses to poisoned objects would otherwise go.
 *
 * The order, as SLUB's on 6.1: an allocation makes its whole slot
 * accessible, runs goalloc's checks and zeroing, then poisons the slot
 * past the size asked for; a free claims the object (shadow_claim()), runs
 * goalloc's wiping with reports off for the task, then poisons the slot.
 * A new span is accessible while it is set up and constructed, then all
 * red zone; a large object's pages past its size are a red zone, and the
 * pages of a freed large object or a destroyed span are poisoned as free
 * pages. Objects of SLAB_TYPESAFE_BY_RCU caches stay accessible when
 * freed, and skip the quarantine, as SLUB leaves them.
 *
 * The quarantine: each CPU holds its latest frees, up to QUARANTINE_OBJS
 * objects and the quarantine_kb parameter's bytes, oldest first out
 * (quarantine_kb=0: none, so that a free object is reused at once, as
 * without KASAN); an object in it
 * is allocated in its span, so its span cannot go, and free in its
 * shadow, so KASAN reports a use of it. Draining (the shrinker, debugfs
 * "drain", CPU hotplug, unload, a cache's flush) empties it.
 */

#define pr_fmt(fmt) "goalloc: " fmt

#include <linux/moduleparam.h>
#include <linux/percpu.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

#include "goalloc_internal.h"

#if GOALLOC_KASAN

#define SHADOW_GRANULE		(1UL << KASAN_SHADOW_SCALE_SHIFT)
#define SHADOW_GRANULE_MASK	(SHADOW_GRANULE - 1)

/**
 * shadow_set() - set the shadow of an object
 * @p: its start, a multiple of the granule (8 bytes)
 * @size: bytes to make accessible, from @p
 * @slot: bytes of the slot, a multiple of the granule
 * @redzone: shadow value for the rest of the slot
 *
 * Context: any.
 */
void shadow_set(const void *p, size_t size, size_t slot, u8 redzone)
{
	size_t whole = round_down(size, SHADOW_GRANULE);

	if (whole)
		kasan_poison(p, whole, 0, false);
	/* A partial granule: its shadow says how many bytes are valid. */
	if (size & SHADOW_GRANULE_MASK) {
		*(u8 *)kasan_mem_to_shadow(p + whole) = size & SHADOW_GRANULE_MASK;
		whole += SHADOW_GRANULE;
	}
	if (slot > whole)
		kasan_poison(p + whole, slot - whole, redzone, false);
}

/**
 * shadow_claim() - claim a small object for its free
 * @p: the object
 *
 * Its first granule's shadow becomes SHADOW_SLAB_FREE, atomically: of two
 * frees of one object, also racing, only one claims it, as long as it is
 * not handed out again.
 *
 * Context: any.
 * Return: false if @p's shadow says it is free already.
 */
bool shadow_claim(const void *p)
{
	u8 *shadow = kasan_mem_to_shadow(p);
	u8 old = READ_ONCE(*shadow);

	do {
		if (old == SHADOW_SLAB_FREE)
			return false;
	} while (!try_cmpxchg(shadow, &old, SHADOW_SLAB_FREE));
	return true;
}

/**
 * shadow_freed() - is @p a small object that shadow_claim() claimed?
 * @p: the object
 *
 * Context: any.
 * Return: true if freed and not handed out again since.
 */
bool shadow_freed(const void *p)
{
	return READ_ONCE(*(u8 *)kasan_mem_to_shadow(p)) == SHADOW_SLAB_FREE;
}

/* ------------------------------------------------------------------ */
/* The quarantine */

#define QUARANTINE_OBJS		1024

static unsigned int quarantine_kb = 1024;
module_param(quarantine_kb, uint, 0444);
MODULE_PARM_DESC(quarantine_kb,
		 "KASAN kernels: KiB of freed objects each CPU holds back from reuse, so that a use after free is caught (default 1024; 0: none)");

/*
 * One CPU's quarantine: a ring of @n objects from @head, oldest first,
 * of @bytes in all. Under @lock, raw and with interrupts off: frees come
 * in any context, and a drain takes another CPU's.
 */
struct quarantine {
	raw_spinlock_t lock;
	unsigned int head, n;
	unsigned long bytes;
	struct quarantined {
		const void *p;
		u32 bytes;
		u32 cls;
	} q[QUARANTINE_OBJS];
};

static DEFINE_PER_CPU(struct quarantine *, goalloc_quarantine);

static struct quarantined *quarantine_at(struct quarantine *q, unsigned int i)
{
	return &q->q[(q->head + i) % QUARANTINE_OBJS];
}

/**
 * quarantine_put() - hold a freed object in this CPU's quarantine
 * @p: the object, claimed and poisoned
 * @cls: its class
 * @bytes: its slot's size
 * @out: receives the objects to release now, up to QUARANTINE_OUT
 *
 * The oldest objects leave to make room; if that is not enough, @p goes
 * straight out too.
 *
 * Context: any.
 * Return: the objects put in @out, which the caller gives back to their
 * classes.
 */
unsigned int quarantine_put(const void *p, unsigned int cls, size_t bytes,
			    const void **out)
{
	unsigned long flags, max = (unsigned long)quarantine_kb << 10;
	struct quarantine *q = raw_cpu_read(goalloc_quarantine);
	struct quarantined *e;
	unsigned int n = 0;

	raw_spin_lock_irqsave(&q->lock, flags);
	while (q->n && n < QUARANTINE_OUT - 1 &&
	       (q->n == QUARANTINE_OBJS || q->bytes + bytes > max)) {
		e = quarantine_at(q, 0);
		out[n++] = e->p;
		q->bytes -= e->bytes;
		q->head = (q->head + 1) % QUARANTINE_OBJS;
		q->n--;
	}
	if (q->n < QUARANTINE_OBJS && q->bytes + bytes <= max) {
		e = quarantine_at(q, q->n++);
		*e = (struct quarantined){ .p = p, .bytes = bytes, .cls = cls };
		q->bytes += bytes;
	} else {
		out[n++] = p;
	}
	raw_spin_unlock_irqrestore(&q->lock, flags);
	return n;
}

/**
 * quarantine_take() - take objects out of a CPU's quarantine
 * @cpu: the CPU
 * @cls: take only objects of this class; 0 for any
 * @objs: receives them, oldest first
 * @max: room in @objs
 *
 * Context: any.
 * Return: the objects put in @objs; 0 when there are no more.
 */
unsigned int quarantine_take(int cpu, unsigned int cls, const void **objs,
			     unsigned int max)
{
	struct quarantine *q = per_cpu(goalloc_quarantine, cpu);
	unsigned int i, kept = 0, got = 0;
	struct quarantined *e;
	unsigned long flags;

	if (!q)
		return 0;
	raw_spin_lock_irqsave(&q->lock, flags);
	for (i = 0; i < q->n; i++) {
		e = quarantine_at(q, i);
		if (got < max && (!cls || e->cls == cls)) {
			objs[got++] = e->p;
			q->bytes -= e->bytes;
		} else {
			/* Those kept move up, in order. */
			*quarantine_at(q, kept++) = *e;
		}
	}
	q->n = kept;
	raw_spin_unlock_irqrestore(&q->lock, flags);
	return got;
}

/**
 * quarantine_stats() - what the quarantines hold
 * @objs: receives the objects, on all CPUs
 * @bytes: receives their bytes
 *
 * Context: any; racy against frees.
 */
void quarantine_stats(unsigned long *objs, unsigned long *bytes)
{
	struct quarantine *q;
	int cpu;

	*objs = 0;
	*bytes = 0;
	for_each_possible_cpu(cpu) {
		q = per_cpu(goalloc_quarantine, cpu);
		*objs += READ_ONCE(q->n);
		*bytes += READ_ONCE(q->bytes);
	}
}
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(quarantine_stats);

int quarantine_init(void)
{
	struct quarantine *q;
	int cpu;

	for_each_possible_cpu(cpu) {
		q = kzalloc_node(sizeof(*q), GFP_KERNEL, cpu_to_node(cpu));
		if (!q) {
			quarantine_exit();
			return -ENOMEM;
		}
		raw_spin_lock_init(&q->lock);
		per_cpu(goalloc_quarantine, cpu) = q;
	}
	return 0;
}

/* Unload, after the quarantines were drained (mcache_exit()). */
void quarantine_exit(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		WARN_ON_ONCE(per_cpu(goalloc_quarantine, cpu) &&
			     per_cpu(goalloc_quarantine, cpu)->n);
		kfree(per_cpu(goalloc_quarantine, cpu));
		per_cpu(goalloc_quarantine, cpu) = NULL;
	}
}

#endif /* GOALLOC_KASAN */
