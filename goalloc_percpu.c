// SPDX-License-Identifier: GPL-2.0
/*
 * goalloc mcache: the per-CPU caches, and the fast paths that use them.
 *
 * Go gives each P an mcache holding one span per size class and allocates
 * by scanning that span's bitmap; it never frees explicitly. goalloc must,
 * so each CPU keeps, per class, a magazine: a bounded array of free object
 * pointers (as tcmalloc's per-CPU caches and SLUB's sheaves do).
 *
 *   goalloc_fastpath.mags (dynamic per-CPU memory), by MAG(level, cls)
 *     objs[MAG(MAG_TASK, 1)] -------------+
 *     top[MAG(MAG_TASK, 1)] --------------|--------+
 *                                         v        v
 *                                     [0][p][p][p][ ][ ][E] (cap slots)
 *     ...   the same for each class, and for interrupts (MAG_IRQ)
 *   goalloc_mcache (per CPU)
 *     .lock   local_lock: interrupts off on this CPU (on PREEMPT_RT a
 *             sleeping lock), for the slow paths
 *     .mc --> struct mcache
 *               cls[1]  span ----------------> the span refills come from
 *               cls[2]  ...
 *               slots[]                        backing store of all objs
 *
 * Allocation pops, free pushes; only an empty magazine (refill) or a full
 * one (flush) goes to mcentral, moving half a magazine under the class's
 * lock. Arrays of pointers keep metadata out of the objects: a freed
 * object holds no list pointer that a stray write could corrupt.
 *
 * Fast path: task context has magazines of its own, which no interrupt
 * touches, so it needs only preemption off: a load and a store of
 * this_cpu fields (and an increment to free), no atomic instruction,
 * interrupts left on. Softirq and hard IRQ context share the other set,
 * with interrupts off (hard IRQs do not nest); docs/design.md says why
 * not one set with interrupts off, or SLUB's cmpxchg_double.
 *
 * The slow paths (refill, flush) run with the mcache lock held, interrupts
 * off (on PREEMPT_RT, see mcache_busy()); draining runs in a worker on each
 * CPU (mcache_drain_all()), never in an IPI, which could cut into a task's
 * fast path.
 *
 * A free may push an object of a span that another CPU caches: it stays
 * "allocated" in its span until a flush returns it under the class lock,
 * which is the lock that CPU's refills take too.
 *
 * CPU hotplug: when a CPU is dead its magazines and cached spans go back
 * to mcentral, and its page cache to the heap, from a CPUHP_BP_PREPARE_DYN
 * teardown callback that runs on another CPU after the dead one can no
 * longer allocate.
 *
 * The API's entry points (goalloc_api.c) and the caches' (goalloc_cache.c)
 * inline the fast paths of goalloc_mcache.h; allocations over 32 KiB, and
 * frees of what is not a live slot, go to goalloc_large.c. Lock order in
 * goalloc_internal.h.
 */

#define pr_fmt(fmt) "goalloc: " fmt

#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/kmemleak.h>
#include <linux/percpu.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/string.h>
#include <linux/vmalloc.h>

#include "goalloc_mcache.h"
#include "goalloc_trace.h"

DEFINE_PER_CPU(struct mcache_pcpu, goalloc_mcache) = {
	.lock = INIT_LOCAL_LOCK(lock),
};

static enum cpuhp_state mcache_hp_state;

/*
 * Magazine capacity per class: up to MCACHE_MAX_CAP, 128 objects, about
 * 128 KiB of a class at most, at least 16 (docs/design.md, "Capacity").
 * Half a magazine moves per refill or flush, which spreads its fixed cost
 * (the locks, the heap round trip) over as many objects; the byte bound
 * keeps a CPU from holding megabytes of small objects, and the floor wins
 * above 4 KiB (with 4 or 8, 8 to 32 KiB objects cost what kmalloc's do).
 */
#define MCACHE_MIN_CAP		16
/*
 * Spans to make when a class has no free slot (mcache_init()): enough for
 * a magazine, up to MCACHE_GROW_MAX. The refill takes half; the rest waits
 * on mcentral's empty list (central_size_class()) for the next refill,
 * which so skips the heap (docs/design.md, "Slow paths"). A table:
 * computing it takes three divisions per refill.
 */
#define MCACHE_GROW_MAX		8
u8 mcache_grow[NR_CLASSES] __read_mostly;
u8 mcache_batch[NR_CLASSES] __read_mostly;

/* Where the magazines of a class without storage point (struct mcache). */
void *const mag_closed[2] = { NULL, MAG_END };
#define MCACHE_BYTES		(128 << 10)
/* A cache's objects over 32 KiB: 2 to 16 (8 at 256 KiB); performance.md. */
#define MCACHE_BIG_BYTES	(2048 << 10)

/**
 * mcache_class_cap() - magazine capacity of a class
 * @cls: size class
 *
 * Return: how many free objects of @cls one magazine holds; a CPU has two
 * magazines per class, for task and for interrupt context. 0 for class 0
 * (size 0), whose magazines stay empty.
 */
unsigned int mcache_class_cap(unsigned int cls)
{
	if (!cls)
		return 0;
	if (class_info[cls].size > GOALLOC_MAX_SMALL_SIZE)
		return clamp_t(unsigned int,
			       MCACHE_BIG_BYTES / class_info[cls].size, 2,
			       MCACHE_MIN_CAP);
	return clamp_t(unsigned int, MCACHE_BYTES / class_info[cls].size,
		       MCACHE_MIN_CAP, MCACHE_MAX_CAP);
}
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(mcache_class_cap);

/**
 * mcache_class_spans() - spans that hold a magazine of a class
 * @cls: size class, not 0
 *
 * Return: the magazine capacity over the span's objects, rounded up (a
 * fallback span of Go's size, spans_create(), holds fewer). A class out
 * of free slots makes that many spans (up to MCACHE_GROW_MAX), and
 * mcentral keeps that many empty ones, so the spans of a grow all fit.
 */
static unsigned int mcache_class_spans(unsigned int cls)
{
	return DIV_ROUND_UP(mcache_class_cap(cls), class_span_objects(cls));
}

/**
 * mcache_of() - a CPU's cache, for statistics and tests
 * @cpu: a possible CPU
 *
 * Return: the cache; its fields are only stable under that CPU's lock.
 */
struct mcache *mcache_of(int cpu)
{
	return per_cpu(goalloc_mcache.mc, cpu);
}
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(mcache_of);

/**
 * mcache_mags_of() - a CPU's magazines, for statistics and tests
 * @cpu: a possible CPU
 *
 * Return: the magazines, stable only in a worker on @cpu, irqs off.
 */
struct mcache_mags *mcache_mags_of(int cpu)
{
	return per_cpu_ptr(goalloc_fastpath.mags, cpu);
}
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(mcache_mags_of);

/* ------------------------------------------------------------------ */
/* Debug checks (the debug module parameter) */

/*
 * A freed object: poison it, remember it is in a magazine, and record its
 * free. A cache whose objects keep their state (class_may_wipe()) is
 * spared the poison.
 */
static bool mcache_debug_free(struct span *s, unsigned int idx, const void *p)
{
	if (test_and_set_bit(idx, s->cachedbits)) {
		goalloc_report(REPORT_DOUBLE_FREE, p, 0, 0);
		return false;
	}
	if (class_may_wipe(s->cls))
		memset((void *)p, GOALLOC_POISON, class_info[s->cls].size);
	history_free(p);
	return true;
}

/*
 * An object leaving a magazine: it must still hold its poison. If not,
 * something wrote to it after it was freed; it is reported and never
 * handed out again: it stays allocated in its span, and its cachedbits bit
 * stays set, which marks it as held by no caller. Else its allocation is
 * recorded.
 */
static bool mcache_debug_alloc(void *p, unsigned int cls)
{
	struct span *s = obj_span(p);
	unsigned int size = class_info[cls].size;

	if (class_may_wipe(cls) && unlikely(memchr_inv(p, GOALLOC_POISON, size))) {
		goalloc_report(REPORT_POISON, p, size, 0);
		return false;
	}
	clear_bit(span_obj_index(s, p), s->cachedbits);
	history_alloc(p);
	return true;
}

/* ------------------------------------------------------------------ */
/* Slow paths */

/*
 * Test-only: see goalloc_mcache.h. Set only while the KUnit race cases
 * run, which turn goalloc_hooks_key on for it.
 */
struct goalloc_test_hooks goalloc_test_hooks;
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(goalloc_test_hooks);

/*
 * Push @p, of span @s at generation @gen, into this context's magazine
 * under the mcache lock: an interrupt's free, or a task's whose magazine
 * was full or busy. A full magazine gives its newer half back to mcentral
 * (so nothing moves) first. Refused: @p already on top, or @s changed
 * since it was looked up (span_get()).
 */
static void mcache_push_slow(struct span *s, unsigned int gen,
			     unsigned int cls, const void *p)
{
	struct central *c = &goalloc_central[cls];
	unsigned int n, remote, mag;
	struct mcache_mags *mm;
	struct mcache_class *m;
	unsigned long flags;
	LIST_HEAD(dead);

	local_lock_irqsave(&goalloc_mcache.lock, flags);
	m = &this_cpu_read(goalloc_mcache.mc)->cls[cls];
	mm = this_cpu_ptr(goalloc_fastpath.mags);
	mag = mcache_mag(cls);
	if (unlikely(mm->top[mag][-1] == p || !span_unchanged(s, gen))) {
		local_unlock_irqrestore(&goalloc_mcache.lock, flags);
		goalloc_report(REPORT_DOUBLE_FREE, p, 0, 0);
		return;
	}
	if (*mm->top[mag] == MAG_END) {
		n = mcache_batch[cls];
		mm->top[mag] -= n;
		mm->moved[mag] -= n;
		spin_lock(&c->lock);
		remote = __central_flush(c, mm->top[mag], n, smp_processor_id(),
					 &dead);
		spin_unlock(&c->lock);
		m->flushes++;
		m->remote += remote;
		count_event(EV_FLUSH);
		this_cpu_add(goalloc_events[EV_REMOTE_FREE], remote);
	}
	*mm->top[mag]++ = (void *)p;
	mm->nfree[mag]++;
	count_event(EV_FREE_SLOW);
	local_unlock_irqrestore(&goalloc_mcache.lock, flags);
	spans_destroy(&dead);
}

/*
 * For mcache_free_fast(), whose checks @p passed in span @s at @gen, when
 * mag_push() refused it: @p on top of the magazine is refused here, with
 * preemption still off (on another CPU it would pass); a full magazine is
 * flushed by mcache_push_slow(). In and out with preemption off;
 * rcu_read_lock() keeps @s a span struct while it is on, as the lock may
 * sleep on PREEMPT_RT.
 */
noinline void mcache_free_full(const void *p, struct span *s, unsigned int gen)
{
	struct mcache_mags __percpu *mm = goalloc_fastpath.mags;
	unsigned int cls = s->cls;

	if (this_cpu_read(mm->top[MAG(MAG_TASK, cls)])[-1] == p) {
		goalloc_report(REPORT_DOUBLE_FREE, p, 0, 0);
		return;
	}
	rcu_read_lock();
	preempt_enable();
	mcache_push_slow(s, gen, cls, p);
	preempt_disable();
	rcu_read_unlock();
}

/* As mcache_push_slow(), trying the task's magazine without the lock first. */
static void mcache_push(struct span *s, unsigned int gen, unsigned int cls,
			const void *p)
{
	bool done = false;

	preempt_disable();
	if (mcache_in_task() && !mcache_busy() && span_unchanged(s, gen))
		done = mag_push(MAG(MAG_TASK, cls), p);
	preempt_enable();
	if (!done)
		mcache_push_slow(s, gen, cls, p);
}

/*
 * KASAN: @n objects out of the quarantine go to this CPU's magazine. Each
 * is still allocated in its span, which is therefore as at its free.
 */
static void mcache_release(const void **objs, unsigned int n)
{
	struct span *s;

	while (n--) {
		s = obj_span(objs[n]);
		mcache_push(s, READ_ONCE(s->gen), s->cls, objs[n]);
	}
}

/* KASAN: release what @cpu's quarantine holds. Context: process. */
static void mcache_quarantine_drain(int cpu)
{
	const void *objs[QUARANTINE_OUT];
	unsigned int n;

	while ((n = quarantine_take(cpu, 0, objs, ARRAY_SIZE(objs))))
		mcache_release(objs, n);
}

/*
 * A free that needs debug checks, init_on_free, kmemleak, KASAN, waste
 * tracking or the heap profile before the magazine: @p is slot @idx of
 * @s. With KASAN, the object is claimed first, so that a second free is
 * refused until the slot is handed out again; goalloc's own writes to it
 * are not reported; it is poisoned and quarantined, unless its cache is
 * SLAB_TYPESAFE_BY_RCU.
 */
static void mcache_free_prepared(struct span *s, unsigned int gen,
				 unsigned int idx, const void *p)
{
	bool shadowed = GOALLOC_KASAN && !(class_flags[s->cls] & CLASS_RCU);
	const void *out[QUARANTINE_OUT];
	unsigned int cls = s->cls;
	bool ok = true;

	if (shadowed && !shadow_claim(p)) {
		goalloc_report(REPORT_DOUBLE_FREE, p, 0, 0);
		return;
	}
	kasan_disable_current();
	if (static_branch_unlikely(&goalloc_debug_key))
		ok = mcache_debug_free(s, idx, p);
	else if (want_init_on_free() && class_may_wipe(cls))
		memset((void *)p, 0, class_info[cls].size);
	kasan_enable_current();
	if (!ok)
		return;
	if (profile_span_sampled(s))
		goalloc_profile_free(s, p);
	kmemleak_free(p);
	if (static_branch_unlikely(&goalloc_track_key))
		this_cpu_sub(goalloc_req_bytes[cls], s->req[idx]);
	if (shadowed) {
		shadow_poison(p, class_info[cls].size, SHADOW_SLAB_FREE);
		mcache_release(out, quarantine_put(p, cls, class_info[cls].size, out));
		return;
	}
	mcache_push(s, gen, cls, p);
}

/**
 * mcache_free_slow() - the free path's second half
 * @p: the pointer
 * @fs: the span the fast path found @p in (span_get())
 * @fgen: its generation then
 * @want: for a cache's free, its class; 0 for goalloc_free()
 * @hooked: as for mcache_free_fast()
 *
 * What the fast path leaves: bad input, the hooks, an interrupt's free, a
 * busy magazine (a large object it claims itself). @p is looked up again,
 * in rcu_read_lock(), and must be in the span the fast path found,
 * unchanged: else another free of it won the race (span_get()), and this
 * one is refused as a double free. In NMI context nothing is freed.
 *
 * Context: any context where kfree() may be called.
 */
noinline void mcache_free_slow(const void *p, struct span *fs,
			       unsigned int fgen, unsigned int want,
			       bool hooked)
{
	unsigned int gen, idx, cls;
	enum goalloc_report bad;
	struct span *s;

	if (goalloc_refuse_nmi(p, 0))
		return;
	rcu_read_lock();
	if (unlikely(!span_get(p, &s, &gen) || s != fs || gen != fgen)) {
		goalloc_report(REPORT_DOUBLE_FREE, p, 0, 0);
		goto out;
	}
	cls = s->cls;
	/* Class 0 comes here only as a cache's free: mcache_free() claims it. */
	bad = want && cls != want ? REPORT_WRONG_CACHE :
				    object_check(s, cls, p, &idx);
	if (unlikely(bad))
		goalloc_report(bad, p, bad == REPORT_WRONG_CACHE ?
			       class_info[want].size : 0, 0);
	else if (mcache_free_hooked(hooked) || profile_span_sampled(s))
		mcache_free_prepared(s, gen, idx, p);
	else
		mcache_push_slow(s, gen, cls, p);
out:
	rcu_read_unlock();
}

/*
 * Refill magazine @mag of @mm, empty, from mcentral, then from @fresh,
 * new spans of the class, taken as they are: no partial list on the way.
 * @fresh is emptied; the spans the fill does not reach are kept as empty
 * ones or go to @dead, for the heap. Return: objects now in @mag.
 */
static unsigned int mcache_refill(struct mcache_class *m,
				  struct mcache_mags *mm, unsigned int mag,
				  unsigned int cls, struct list_head *fresh,
				  struct list_head *dead)
{
	struct central *c = &goalloc_central[cls];
	unsigned int want = mcache_batch[cls], got;
	struct span *s, *tmp;

	spin_lock(&c->lock);
	/* An interrupt, or another task before a migration, refilled @mag. */
	if (!mag_count(mm, mag)) {
		got = __central_fill(c, mm->objs[mag], want, &m->span,
				     smp_processor_id(), fresh);
		mm->top[mag] = mm->objs[mag] + got;
		mm->moved[mag] += got;
		if (got) {
			m->refills++;
			count_event(EV_REFILL);
		}
	}
	list_for_each_entry_safe(s, tmp, fresh, list) {
		list_del(&s->list);
		__central_add_unused_span(c, s, dead);
	}
	spin_unlock(&c->lock);
	return mag_count(mm, mag);
}

/*
 * What an allocation may need after the magazine: KASAN's shadow, the
 * debug check, kmemleak, waste tracking, zeroing and the tracepoint. Out
 * of line, so the fast path stays a leaf that tail-calls it.
 */
noinline void *mcache_prepare_alloc(void *p, unsigned int cls, gfp_t gfp,
				    size_t size, unsigned long caller)
{
	unsigned int slot = class_info[cls].size;
	struct span *s;

	/* The whole slot for goalloc's own checks, then the red zone. */
	shadow_set(p, slot, slot, 0);
	if (static_branch_unlikely(&goalloc_debug_key) &&
	    !mcache_debug_alloc(p, cls)) {
		shadow_poison(p, slot, SHADOW_SLAB_FREE);
		return mcache_alloc_class(cls, size, gfp, caller);
	}
	/* Reported and scanned by kmemleak like a kmalloc object. */
	kmemleak_alloc(p, class_info[cls].size, 1, gfp);
	if (static_branch_unlikely(&goalloc_track_key)) {
		s = obj_span(p);
		/* A cache's object may exceed a u16: counted as stored. */
		s->req[span_obj_index(s, p)] = size;
		this_cpu_add(goalloc_req_bytes[cls], s->req[span_obj_index(s, p)]);
	}
	if (want_init_on_alloc(gfp))
		mcache_alloc_zeroed(p, cls, gfp);
	shadow_set(p, size, slot, SHADOW_SLAB_REDZONE);
	trace_goalloc_alloc(caller, p, size, class_info[cls].size, gfp);
	return p;
}

/*
 * An allocation the heap profile samples. If debug=1 found @p corrupted,
 * the allocation that replaced it took the sample, the countdown being
 * still due, or came back NULL.
 */
noinline void *mcache_alloc_sampled(void *p, unsigned int cls, gfp_t gfp,
				    size_t size, unsigned long caller)
{
	void *q = mcache_prepare_alloc(p, cls, gfp, size, caller);

	if (q == p)
		goalloc_profile_sample(p, class_info[cls].size, caller);
	return q;
}

/*
 * Zeroing (__GFP_ZERO, or init_on_alloc=1 as distributions boot), as SLUB's
 * slab_want_init_on_alloc() on 6.1: a cache with a constructor is never
 * zeroed, and __GFP_ZERO there is the caller's bug; a SLAB_TYPESAFE_BY_RCU
 * cache only for __GFP_ZERO. Out of line: inlined, it made the fast path
 * copy the class to one more register.
 */
noinline void *mcache_alloc_zeroed(void *p, unsigned int cls, gfp_t gfp)
{
	if (unlikely(class_flags[cls])) {
		if (class_flags[cls] & CLASS_CTOR) {
			if (gfp & __GFP_ZERO)
				goalloc_report(REPORT_CACHE_MISUSE, p,
					       class_info[cls].size, gfp);
			return p;
		}
		if (!(gfp & __GFP_ZERO))
			return p;
	}
	return memset(p, 0, class_info[cls].size);
}

noinline void *mcache_alloc_slow(unsigned int cls, size_t size, gfp_t gfp,
				 unsigned long caller)
{
	struct central *c = &goalloc_central[cls];
	struct mcache_class *m;
	struct mcache_mags *mm;
	unsigned long flags;
	unsigned int mag;
	LIST_HEAD(fresh);
	LIST_HEAD(dead);
	void *p;

	if (unlikely(!cls))
		return goalloc_alloc_large(size, gfp, caller);
	/*
	 * A racy peek: when neither the class (its depot or its spans) nor
	 * this CPU's cached span has a free slot, make the spans before the
	 * first round trip. If the peek was wrong, the spans join the partial
	 * list, or the empty one if the fill does not reach them. On
	 * PREEMPT_RT a fast path comes here with objects in the magazine
	 * when the mcache lock was held (mcache_busy()): no spans then.
	 */
	if (!raw_cpu_read(goalloc_fastpath.mags->top[mcache_mag(cls)])[-1] &&
	    !READ_ONCE(c->ndepot) &&
	    !READ_ONCE(c->nr_spans[SPAN_PARTIAL]) &&
	    !READ_ONCE(c->nr_spans[SPAN_EMPTY]) &&
	    !READ_ONCE(raw_cpu_read(goalloc_mcache.mc)->cls[cls].span))
		goto grow;

	for (;;) {
		local_lock_irqsave(&goalloc_mcache.lock, flags);
		m = &this_cpu_read(goalloc_mcache.mc)->cls[cls];
		mm = this_cpu_ptr(goalloc_fastpath.mags);
		mag = mcache_mag(cls);
		/* An interrupt or another task may have refilled it meanwhile. */
		if (!mag_count(mm, mag) || !list_empty(&fresh))
			mcache_refill(m, mm, mag, cls, &fresh, &dead);
		if (mag_count(mm, mag)) {
			p = *--mm->top[mag];
			m->slow++;
			count_event(EV_ALLOC_SLOW);
			local_unlock_irqrestore(&goalloc_mcache.lock, flags);
			break;
		}
		local_unlock_irqrestore(&goalloc_mcache.lock, flags);
grow:
		/* The class has no free slot: new spans, maybe sleeping. */
		if (!spans_create(cls, mcache_grow[cls], gfp, &fresh)) {
			spans_destroy(&dead);
			goalloc_alloc_failed(class_info[cls].size, gfp);
			trace_goalloc_alloc(caller, NULL, size, 0, gfp);
			return NULL;
		}
	}
	spans_destroy(&dead);
	return mcache_alloc_done(p, cls, gfp, size, caller);
}

/* ------------------------------------------------------------------ */
/* Interrupts */

/* An interrupt's allocation: its magazines, with interrupts off. */
noinline void *mcache_alloc_irq(unsigned int cls, size_t size, gfp_t gfp,
				unsigned long caller)
{
	unsigned long flags;
	bool done;
	void *p;

	if (goalloc_refuse_nmi(NULL, size))
		return NULL;
	local_irq_save(flags);
	done = mag_pop(MAG(MAG_IRQ, cls), &p);
	local_irq_restore(flags);
	if (unlikely(!done))
		return mcache_alloc_slow(cls, size, gfp, caller);
	return mcache_alloc_done(p, cls, gfp, size, caller);
}

/* ------------------------------------------------------------------ */
/* Draining: CPU hotplug, unload, debugfs "drain", tests */

/**
 * mcache_flush_class() - return what a CPU's cache holds of one class
 * @cpu: the CPU, on which this runs in task context with interrupts off,
 *	 or which is dead
 * @cls: the class
 *
 * Its magazines' objects go back to mcentral, its cached span too.
 */
void mcache_flush_class(int cpu, unsigned int cls)
{
	struct mcache_mags *mm = mcache_mags_of(cpu);
	struct mcache_class *m = &mcache_of(cpu)->cls[cls];
	struct central *c = &goalloc_central[cls];
	const void *held[QUARANTINE_OUT];
	unsigned int level, mag, n;
	bool cached = m->span;
	unsigned long flags;
	LIST_HEAD(dead);

	/* KASAN: its quarantined objects, as if through its task magazine. */
	while ((n = quarantine_take(cpu, cls, held, ARRAY_SIZE(held)))) {
		mag = MAG(MAG_TASK, cls);
		mm->nfree[mag] += n;
		mm->moved[mag] -= n;
		spin_lock_irqsave(&c->lock, flags);
		m->remote += __central_return(c, (void *const *)held, n, cpu,
					     &dead);
		spin_unlock_irqrestore(&c->lock, flags);
		cached = true;	/* for the end: @dead */
	}
	for (level = 0; level < NR_MAG_LEVELS; level++)
		cached |= mag_count(mm, MAG(level, cls));
	if (!cached)
		return;
	spin_lock_irqsave(&c->lock, flags);
	for (level = 0; level < NR_MAG_LEVELS; level++) {
		mag = MAG(level, cls);
		n = mag_count(mm, mag);
		m->remote += __central_return(c, mm->objs[mag], n, cpu, &dead);
		mm->top[mag] = mm->objs[mag];
		mm->moved[mag] -= n;
	}
	if (m->span)
		__central_uncache_span(c, m->span, &dead);
	m->span = NULL;
	spin_unlock_irqrestore(&c->lock, flags);
	spans_destroy(&dead);
	m->flushes++;
	count_event(EV_FLUSH);
}
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(mcache_flush_class);

/*
 * Return everything @cpu's cache holds to mcentral, and its page cache to
 * the heap. The caller makes sure nobody else uses it: it runs on @cpu in
 * task context with interrupts off, or @cpu is dead.
 */
static void mcache_flush_all(int cpu)
{
	unsigned int cls;

	for (cls = 1; cls < NR_CLASSES; cls++)
		mcache_flush_class(cpu, cls);
	pcache_cpu_drain(cpu);
}

/*
 * In a worker on the CPU to drain: a task there is not midway through a
 * fast path (those run with preemption off), nor is an interrupt.
 */
static long mcache_drain_local(void *unused)
{
	unsigned long flags;

	local_lock_irqsave(&goalloc_mcache.lock, flags);
	mcache_flush_all(smp_processor_id());
	local_unlock_irqrestore(&goalloc_mcache.lock, flags);
	return 0;
}

/**
 * mcache_drain_all() - return every CPU's cached objects and spans, and
 * the objects in the classes' depots
 *
 * Context: process context, may sleep.
 */
void mcache_drain_all(void)
{
	int cpu;

	/*
	 * A worker on each CPU, not an IPI: an interrupt may come while a
	 * task of that CPU is midway through a fast path.
	 */
	cpus_read_lock();
	for_each_possible_cpu(cpu)
		mcache_quarantine_drain(cpu);
	for_each_online_cpu(cpu)
		work_on_cpu(cpu, mcache_drain_local, NULL);
	cpus_read_unlock();
	central_drain_depots();
}
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(mcache_drain_all);

static int mcache_cpu_dead(unsigned int cpu)
{
	mcache_quarantine_drain(cpu);
	mcache_flush_all(cpu);
	return 0;
}

/* ------------------------------------------------------------------ */

static struct mcache *mcache_create(int cpu)
{
	struct mcache_mags *mm = mcache_mags_of(cpu);
	unsigned int cls, mag, cap, slots = 0;
	struct mcache *mc;

	/*
	 * Each magazine's slots lie between a NULL and a MAG_END slot; class
	 * 0's (size 0) have none, so they stay empty. Caches' classes have
	 * mag_closed until a cache comes.
	 */
	for (cls = 0; cls < GOALLOC_NUM_CLASSES; cls++)
		slots += mcache_class_cap(cls) + 2;
	/* About 90 KiB: in pages, not a kmalloc block of 128 KiB (order 5). */
	mc = vzalloc_node(struct_size(mc, slots, NR_MAG_LEVELS * slots),
			  cpu_to_node(cpu));
	if (!mc)
		return NULL;
	/*
	 * kmemleak scans the per-class fields (cached spans), not the slots:
	 * a slot keeps the pointer it held when popped, which would hide the
	 * leak of that object.
	 */
	kmemleak_scan_area(mc, offsetof(struct mcache, slots), GFP_KERNEL);
	slots = 0;
	for (mag = 0; mag < NR_MAGS; mag++) {
		cls = mag % NR_CLASSES;
		if (cls >= GOALLOC_NUM_CLASSES) {
			mm->objs[mag] = (void **)&mag_closed[1];
			mm->top[mag] = mm->objs[mag];
			continue;
		}
		cap = mcache_class_cap(cls);
		mm->objs[mag] = &mc->slots[slots + 1];
		mm->top[mag] = mm->objs[mag];
		mm->objs[mag][cap] = MAG_END;
		slots += cap + 2;
	}
	return mc;
}

/**
 * mcache_size_class() - size a class's refills, flushes and grows
 * @cls: a class whose size is set, not 0
 *
 * Context: module init, or a cache's creation, before any allocation of
 * @cls.
 */
void mcache_size_class(unsigned int cls)
{
	mcache_batch[cls] = mcache_class_cap(cls) / 2;
	mcache_grow[cls] = min_t(unsigned int, MCACHE_GROW_MAX,
				 mcache_class_spans(cls));
	central_size_class(cls, mcache_class_cap(cls), mcache_class_spans(cls));
}

int mcache_init(void)
{
	unsigned int cls;
	int cpu, ret;

	for (cls = 1; cls < GOALLOC_NUM_CLASSES; cls++)
		mcache_size_class(cls);
	ret = quarantine_init();
	if (ret)
		return ret;
	goalloc_fastpath.mags = alloc_percpu(struct mcache_mags);
	if (!goalloc_fastpath.mags) {
		quarantine_exit();
		return -ENOMEM;
	}
	for_each_possible_cpu(cpu) {
		per_cpu(goalloc_mcache.mc, cpu) = mcache_create(cpu);
		if (!per_cpu(goalloc_mcache.mc, cpu)) {
			ret = -ENOMEM;
			goto out_free;
		}
	}
	ret = cpuhp_setup_state_nocalls(CPUHP_BP_PREPARE_DYN, "goalloc:dead",
					NULL, mcache_cpu_dead);
	if (ret < 0)
		goto out_free;
	mcache_hp_state = ret;
	return 0;

out_free:
	for_each_possible_cpu(cpu) {
		vfree(per_cpu(goalloc_mcache.mc, cpu));
		per_cpu(goalloc_mcache.mc, cpu) = NULL;
	}
	free_percpu(goalloc_fastpath.mags);
	quarantine_exit();
	return ret;
}

/* Unload: no caller is left, so every CPU's cache can be emptied from here. */
void mcache_exit(void)
{
	int cpu;

	cpuhp_remove_state_nocalls(mcache_hp_state);
	for_each_possible_cpu(cpu)
		mcache_quarantine_drain(cpu);
	for_each_possible_cpu(cpu) {
		mcache_flush_all(cpu);
		vfree(mcache_of(cpu));
		per_cpu(goalloc_mcache.mc, cpu) = NULL;
	}
	free_percpu(goalloc_fastpath.mags);
	quarantine_exit();
	central_drain_depots();
}
