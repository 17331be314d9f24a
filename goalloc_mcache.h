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
#define NR_MAGS		(NR_MAG_LEVELS * NR_CLASSES)
/* The index of a CPU's magazine of class @cls for context @level. */
#define MAG(level, cls)	((level) * NR_CLASSES + (cls))

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
 * In per-CPU memory (goalloc_fastpath.mags), so that this_cpu operations
 * reach the fields without a pointer chase; an array per field, so that a
 * fast path reaches its magazine's with the index alone (scaled by the
 * load). A struct per magazine took a shift and an add more.
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

/*
 * @slots backs the size classes' magazines; a cache's come with it
 * (goalloc_cache.c), and until then its magazines are mag_closed[1]: empty
 * and full at once, so that both fast paths go to the slow ones.
 */
struct mcache {
	struct mcache_class cls[NR_CLASSES];
	void *slots[];
};

struct mcache_pcpu {
	local_lock_t lock;
	struct mcache *mc;
};
DECLARE_PER_CPU(struct mcache_pcpu, goalloc_mcache);

extern void *const mag_closed[2];
/* Objects a refill or a flush moves, by class: half a magazine. */
extern u8 mcache_batch[NR_CLASSES];
/* Spans a class makes when it has no free slot. */
extern u8 mcache_grow[NR_CLASSES];

struct mcache *mcache_of(int cpu);
struct mcache_mags *mcache_mags_of(int cpu);
void mcache_drain_all(void);
int mcache_init(void);
void mcache_exit(void);
unsigned int mcache_class_cap(unsigned int cls);
void mcache_size_class(unsigned int cls);
void mcache_flush_class(int cpu, unsigned int cls);

/*
 * The entry points of the fast paths, each smaller than 512 bytes, start
 * on a 512-byte boundary, so that none straddles a 4 KiB page: the CPU
 * needs one iTLB entry for each, and TCG chains translated blocks
 * directly only within a page. goalloc_free() across a page boundary
 * made the 2-CPU benchmarks at 8 B 8 % (concurrent) to 25 %
 * (producer/consumer) slower (scripts/bench.sh --only smp --bench-args
 * "tests=concurrent,prodcons sizes=8").
 */
#define GOALLOC_FASTPATH_ALIGN	__aligned(512)
void *goalloc_alloc_caller(size_t size, gfp_t gfp,
			   unsigned long caller) GOALLOC_FASTPATH_ALIGN;
void goalloc_free_caller(const void *p, unsigned long caller)
	GOALLOC_FASTPATH_ALIGN;
void *goalloc_alloc(size_t size, gfp_t gfp) GOALLOC_FASTPATH_ALIGN;
void goalloc_free(const void *p) GOALLOC_FASTPATH_ALIGN;
void *goalloc_cache_alloc(struct goalloc_cache *c, gfp_t gfp)
	GOALLOC_FASTPATH_ALIGN;
void goalloc_cache_free(struct goalloc_cache *c, void *p)
	GOALLOC_FASTPATH_ALIGN;

/* Caches (goalloc_cache.c), beside mcache: what statistics read. */
struct goalloc_cache_info {
	const char *name;
	unsigned int object_size;
	unsigned int size;
	unsigned int align;
	unsigned int cls;
	bool ctor, rcu, hwcache, dead;
};

/* A cache's row in debugfs "caches" (goalloc_debugfs.c). */
struct goalloc_cache_row {
	struct goalloc_cache_info info;
	unsigned int objs, pages;
	unsigned long spans, inuse, total, allocs, frees, waste;
};

void goalloc_cache_row(struct goalloc_cache *c, struct goalloc_cache_row *r);
void cache_lock(void);
void cache_unlock(void);
void cache_for_each(void (*fn)(struct goalloc_cache *c, void *arg), void *arg);
void cache_info(struct goalloc_cache *c, struct goalloc_cache_info *ci);
void cache_exit(void);
void rcu_batch_init(void);

/* debugfs "object" (goalloc_object.c), with the stack depot. */
struct dentry;
struct seq_file;
#ifdef CONFIG_STACKDEPOT
void object_describe(struct seq_file *m, unsigned long addr);
void object_debugfs_init(struct dentry *dir);
#else
static inline void object_describe(struct seq_file *m, unsigned long addr) { }
static inline void object_debugfs_init(struct dentry *dir) { }
#endif

/* The slow paths the fast paths below tail-call (goalloc_percpu.c). */
void *mcache_alloc_slow(unsigned int cls, size_t size, gfp_t gfp,
			unsigned long caller);
void *mcache_alloc_irq(unsigned int cls, size_t size, gfp_t gfp,
		       unsigned long caller);
void *mcache_alloc_sampled(void *p, unsigned int cls, gfp_t gfp, size_t size,
			   unsigned long caller);
void *mcache_prepare_alloc(void *p, unsigned int cls, gfp_t gfp, size_t size,
			   unsigned long caller);
void *mcache_alloc_zeroed(void *p, unsigned int cls, gfp_t gfp);
void mcache_free_slow(const void *p, struct span *fs, unsigned int fgen,
		      unsigned int want, bool hooked);
void mcache_free_full(const void *p, struct span *s, unsigned int gen);

/* ------------------------------------------------------------------ */
/* Objects and their spans, as the fast paths see them */

/* The span of an object goalloc handed out (no checks). */
static __always_inline struct span *obj_span(const void *p)
{
	return (struct span *)heap_page(p)->private;
}

/*
 * Is @p a slot of small-object span @s (class @cls, loaded already) that
 * is not free in it, and that the free fast path may take (not while the
 * heap profile holds an object of @s: span->fast_nelems)? Set *@idx to
 * the slot. object_check() says what else @p is. Lockless: a caller that
 * owns the object owns its bit.
 */
static __always_inline bool span_slot_live(const struct span *s,
					   unsigned long cls, const void *p,
					   unsigned long *idx)
{
	/* The bound before the bitmap: @s may be changing (span_get()). */
	return divmagic_slot((unsigned long)p - s->base, &s->divmagic, idx) &&
	       *idx < READ_ONCE(s->fast_nelems) &&
	       test_bit(*idx, s->allocbits);
}

/* ------------------------------------------------------------------ */
/* Magazines */

/*
 * Which magazines a context uses. !PREEMPT_RT: task context its own, with
 * preemption off, which no interrupt touches; softirq and hard IRQ context
 * the others, with interrupts off. PREEMPT_RT: one set, with preemption
 * off, as softirqs run in tasks there and no hard IRQ handler allocates.
 * An NMI takes neither: it goes to the slow paths, which refuse it.
 *
 * On PREEMPT_RT the mcache lock that the slow paths hold is a per-CPU
 * sleeping lock (local_lock_t is a spinlock_t there, 5.15 and later), and
 * its holder, pinned to the CPU, may be preempted midway through a
 * magazine. A fast path, with preemption off, leaves the magazines alone
 * while the lock is held (mcache_busy()) and takes the slow path, which
 * waits for it. Taking the lock on every fast path instead makes batch
 * frees on Debian's RT kernel slower than kmalloc's, by more than 2x at
 * 8 B (`scripts/bench.sh --distro rt-amd64`): SLUB's frees to a slab other
 * than the CPU's are lockless there.
 */
#ifdef CONFIG_PREEMPT_RT
/* Everything but an NMI, which the slow paths refuse. */
#define mcache_in_task()	(!in_nmi())

/*
 * With preemption off: is this CPU's mcache lock held? Counted if so. The
 * lock is a spinlock_t, an rt_mutex_base inside: what spin_is_locked()
 * reads there (5.15 and later), but this is no assertion, and checkpatch
 * wants lockdep for those.
 */
static __always_inline bool mcache_busy(void)
{
	if (likely(!rt_mutex_base_is_locked(&this_cpu_ptr(&goalloc_mcache.lock)->lock)))
		return false;
	count_event(EV_MCACHE_BUSY);
	return true;
}
#else
#ifdef CONFIG_X86
/*
 * x86's per-CPU preempt count: __preempt_count up to 6.1; a field of
 * pcpu_hot from 6.2, reached through __my_cpu_var() from 6.8. Kbuild
 * detects both from the headers (verified: 6.1 and 6.12).
 */
#if defined(GOALLOC_HAVE_PCPU_HOT) && defined(GOALLOC_HAVE_MY_CPU_VAR)
#define MCACHE_PREEMPT_COUNT	__my_cpu_var(pcpu_hot.preempt_count)
#elif defined(GOALLOC_HAVE_PCPU_HOT)
#define MCACHE_PREEMPT_COUNT	pcpu_hot.preempt_count
#elif defined(GOALLOC_HAVE_MY_CPU_VAR)
/* pcpu_hot is gone again from 6.15 (not verified here). */
#define MCACHE_PREEMPT_COUNT	__my_cpu_var(__preempt_count)
#else
#define MCACHE_PREEMPT_COUNT	__preempt_count
#endif

/*
 * in_task(), with the count tested in place: preempt_count() loads it into
 * a register first, one instruction more on each fast path. The mask is
 * in_task()'s (NMI, hard IRQ, serving softirq) on !PREEMPT_RT.
 */
static __always_inline bool mcache_in_task(void)
{
	bool irq;

	asm("testl %[mask], " __percpu_arg([count]) CC_SET(nz)
	    : CC_OUT(nz) (irq)
	    : [count] "m" (MCACHE_PREEMPT_COUNT),
	      [mask] "i" (NMI_MASK | HARDIRQ_MASK | SOFTIRQ_OFFSET));
	return !irq;
}
#else
#define mcache_in_task()	in_task()
#endif
#define mcache_busy()		false
#endif

/* The index of this context's magazine of class @cls. */
static __always_inline unsigned int mcache_mag(unsigned int cls)
{
	return mcache_in_task() ? MAG(MAG_TASK, cls) : MAG(MAG_IRQ, cls);
}

/*
 * Pop an object off this CPU's magazine @mag into *@p; the caller keeps
 * other users of @mag out (preemption off and !mcache_busy(), interrupts
 * off, or the mcache lock).
 * Return: false if @mag is empty.
 */
static __always_inline bool mag_pop(unsigned long mag, void **p)
{
	struct mcache_mags __percpu *mm = goalloc_fastpath.mags;
	void **top = this_cpu_read(mm->top[mag]);

	*p = top[-1];
	if (unlikely(!*p))	/* objs[-1]: empty */
		return false;
	this_cpu_write(mm->top[mag], top - 1);
	return true;
}

/*
 * Push @p onto this CPU's magazine @mag, as mag_pop(). Return: false if
 * @mag is full, or if @p is already on top: freed twice in a row, which
 * mcache_push_slow() refuses (SLAB_FREELIST_HARDENED's check on SLUB's
 * freelist head; with debug=1, every object in a magazine is caught).
 */
static __always_inline bool mag_push(unsigned long mag, const void *p)
{
	struct mcache_mags __percpu *mm = goalloc_fastpath.mags;
	void **top = this_cpu_read(mm->top[mag]);

	if (unlikely(*top == MAG_END || top[-1] == p))
		return false;
	*top = (void *)p;
	this_cpu_write(mm->top[mag], top + 1);
	/*
	 * Else GCC 12 computes @mag * 8 once for the two operands, a shift
	 * more, where each can scale @mag itself.
	 */
	OPTIMIZER_HIDE_VAR(mag);
	this_cpu_inc(mm->nfree[mag]);
	return true;
}

/*
 * profile_countdown() for an object of class @cls, from the fast path. The empty asm
 * keeps the compiler from loading the class size before the key's no-op,
 * where it would cost an instruction with profiling off.
 */
static __always_inline bool profile_countdown_cls(unsigned int cls)
{
	unsigned long idx = cls;

	if (!static_branch_unlikely(&goalloc_profile_key))
		return false;
	/* A long: the index needs no zero extension after the asm. */
	asm volatile("" : "+r" (idx));
	return profile_countdown(class_info[idx].size);
}

/*
 * What follows the magazine: a sample of the heap profile, or the hooks
 * (goalloc_hooks_key stands for the debug and track keys, init_on_free
 * and the tracepoints: with init_on_free=1, allocations take them too;
 * kmemleak and KASAN, when the kernel has them, for every object).
 */
static __always_inline void *mcache_alloc_done(void *p, unsigned int cls,
					       gfp_t gfp, size_t size,
					       unsigned long caller)
{
	if (unlikely(profile_countdown_cls(cls)))
		return mcache_alloc_sampled(p, cls, gfp, size, caller);
	if (IS_ENABLED(CONFIG_DEBUG_KMEMLEAK) || GOALLOC_KASAN ||
	    static_branch_unlikely(&goalloc_hooks_key))
		return mcache_prepare_alloc(p, cls, gfp, size, caller);
	if (unlikely(want_init_on_alloc(gfp)))
		return mcache_alloc_zeroed(p, cls, gfp);
	return p;
}

/*
 * The allocation fast path of class @cls, not 0, for goalloc_alloc() and
 * the caches: @size is what the caller asked for, @caller the call site
 * the tracepoint shows.
 */
static __always_inline void *mcache_alloc_class(unsigned int cls, size_t size,
						gfp_t gfp, unsigned long caller)
{
	bool done;
	void *p;

	if (unlikely(!mcache_in_task()))
		return mcache_alloc_irq(cls, size, gfp, caller);
	preempt_disable();
	done = !mcache_busy() && mag_pop(MAG(MAG_TASK, cls), &p);
	preempt_enable();
	if (unlikely(!done))
		return mcache_alloc_slow(cls, size, gfp, caller);
	return mcache_alloc_done(p, cls, gfp, size, caller);
}

/*
 * Does a free need mcache_free_prepared() for a hook? The heap profile's
 * is not among them: a span it holds an object of fails span_slot_live().
 */
static __always_inline bool mcache_free_hooked(bool hooked)
{
	return IS_ENABLED(CONFIG_DEBUG_KMEMLEAK) || GOALLOC_KASAN ||
	       unlikely(hooked && (static_branch_unlikely(&goalloc_debug_key) ||
				   static_branch_unlikely(&goalloc_track_key) ||
				   want_init_on_free()));
}

/*
 * Test-only: @free_delay, if set, is called by a hooked free between
 * looking its object up and claiming it, with preemption off
 * (goalloc_kunit_race.c).
 */
struct goalloc_test_hooks {
	void (*free_delay)(const void *p);
};
extern struct goalloc_test_hooks goalloc_test_hooks;

/*
 * The free fast path's part with preemption off: @p found by span_get()
 * in span @s at generation @gen, a span of class @cls (loaded already).
 * @hooked: goalloc_hooks_key is on, so debug=1, track_waste=1 or
 * init_on_free may need the slow path.
 *
 * Return: true when done: @p is in this CPU's magazine (through
 * mcache_free_full() if it was full), or refused as the loser of two
 * frees racing (span_get()) or as on top already; false for
 * mcache_free_slow().
 */
static __always_inline bool mcache_free_fast(struct span *s, unsigned int gen,
					     unsigned long cls, const void *p,
					     bool hooked)
{
	unsigned long idx;

	if (IS_ENABLED(CONFIG_KUNIT) && hooked &&
	    unlikely(READ_ONCE(goalloc_test_hooks.free_delay)))
		goalloc_test_hooks.free_delay(p);
	/* Class 0, a large object's, has no slot. */
	if (unlikely(!span_slot_live(s, cls, p, &idx)) ||
	    mcache_free_hooked(hooked) ||
	    unlikely(!mcache_in_task() || mcache_busy()))
		return false;
	if (unlikely(!span_unchanged(s, gen))) {
		goalloc_report(REPORT_DOUBLE_FREE, p, 0, 0);
		return true;
	}
	if (unlikely(!mag_push(MAG(MAG_TASK, cls), p)))
		mcache_free_full(p, s, gen);
	return true;
}

/*
 * The free of @p for goalloc_free() (@want 0) and a cache's free (@want,
 * its class, which @p's span must have); @hooked as above. Preemption is
 * off from the lookup to the magazine: span structs are freed a grace
 * period late (span_get()).
 */
static __always_inline void mcache_free(const void *p, unsigned long want,
					bool hooked)
{
	struct span *s;
	unsigned long cls;
	unsigned int gen;
	bool done;

	preempt_disable();
	if (unlikely(!span_get(p, &s, &gen))) {
		preempt_enable();
		if (!ZERO_OR_NULL_PTR(p))
			goalloc_free_unowned(p);
		return;
	}
	/*
	 * Long, as an index: GCC 12 copied an unsigned int once per table.
	 * @want is a constant 0 or a cache's class: the test is one compare.
	 */
	cls = s->cls;
	done = ((__builtin_constant_p(want) && !want) || cls == want) &&
	       mcache_free_fast(s, gen, cls, p, hooked);
	if (likely(done)) {
		preempt_enable();
		return;
	}
	/* A large object: large_free() turns preemption on after its claim. */
	if (!cls && !want) {
		large_free(s, gen, p);
		return;
	}
	preempt_enable();
	mcache_free_slow(p, s, gen, want, hooked);
}

#endif /* _GOALLOC_MCACHE_H */
