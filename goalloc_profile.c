// SPDX-License-Identifier: GPL-2.0
/*
 * goalloc heap profile: Go's sampled allocation profile (runtime/mprof.go).
 *
 * Each CPU counts down a byte budget drawn from an exponential distribution
 * of mean profile_rate (Go's MemProfileRate; 2 MiB by default, see below); the
 * allocation that exhausts it is sampled: its stack, kept in a bucket per
 * distinct stack, is credited with the object, and the object goes into a
 * side table keyed by its address. A sampled object's span counts it in
 * span->nsampled, so a free looks the table up only for spans that hold
 * sampled objects; the free credits the bucket at once. While it is not
 * 0, span->fast_nelems is, and the free fast path's slot test sends every
 * free of the span to the slow path, which does that.
 *
 * An object of s bytes is sampled with probability 1 - exp(-s / rate), so
 * n samples of average size a stand for n / (1 - exp(-a / rate)) objects
 * (pprof's scaleHeapSample; goalloc_profile_scale() here).
 *
 * The fast paths pay for all this only while goalloc_profile_key is on: a
 * per-CPU subtraction on allocation, nothing on free (above). The
 * key is on while profile_rate is not 0, and stays on after profile_rate
 * becomes 0 until the last sampled object is freed, so no free of a sampled
 * object goes unseen and the side table never holds a stale address.
 *
 * Memory: buckets (kmalloc) and samples (a kmem_cache) are allocated with
 * GFP_NOWAIT under profile_lock, at most PROFILE_MAX_BUCKETS and
 * PROFILE_MAX_SAMPLES; a sample that cannot be kept is counted as dropped.
 * debugfs "heap" shows all of it.
 *
 * Locking: profile_lock (irqsave; taken after any goalloc lock is dropped)
 * protects the tables and the counts; profile_mutex serialises rate
 * changes, readers of heap_profile and resets, the only paths that free
 * buckets.
 */

#define pr_fmt(fmt) "goalloc: " fmt

#include <linux/hashtable.h>
#include <linux/jhash.h>
#include <linux/kallsyms.h>
#include <linux/math64.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/prandom.h>
#include <linux/random.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/stacktrace.h>
#include <linux/workqueue.h>
#ifdef CONFIG_UNWINDER_ORC
#include <asm/unwind.h>
#endif

#include "goalloc_internal.h"

/*
 * Frames kept per sample, below goalloc's own: the unwinder's cost grows
 * with them (a few hundred instructions a frame with ORC), and sixteen
 * frames from the allocation site name the path that led to it.
 */
#define PROFILE_DEPTH		16
#define PROFILE_NAMED		2
#define PROFILE_NAME_LEN	96
#define PROFILE_MAX_BUCKETS	4096
#define PROFILE_MAX_SAMPLES	(1 << 18)
/* Go's cap, so the draw below cannot overflow. */
#define PROFILE_MAX_RATE	0x7000000UL

/**
 * struct profile_bucket - the allocations of one call stack
 * @node:	in profile_buckets
 * @hash:	jhash of @stack
 * @nr:		frames in @stack
 * @alloc_objects: sampled allocations
 * @alloc_bytes: their bytes (allocated size: class or page-run size)
 * @free_objects: of those, freed
 * @free_bytes:	their bytes
 * @site:	the two innermost frames by name, taken when the bucket is made,
 *		so that a module unloaded since is still named
 * @stack:	return addresses, innermost first, goalloc's own frames left out
 */
struct profile_bucket {
	struct hlist_node node;
	u32 hash;
	u32 nr;
	char site[PROFILE_NAMED][PROFILE_NAME_LEN];
	unsigned long alloc_objects;
	unsigned long alloc_bytes;
	unsigned long free_objects;
	unsigned long free_bytes;
	unsigned long stack[];
};

/* A sampled object still allocated. */
struct profile_sample {
	struct hlist_node node;
	const void *p;
	struct profile_bucket *b;
	unsigned long size;
};

/*
 * tcmalloc's default, not Go's 512 KiB: a sample costs a few thousand
 * instructions here, most of them the unwinder's, and at 512 KiB that
 * was 70 % more on the pair of 64 KiB objects and 3x at 256 KiB
 * (docs/performance.md); at 2 MiB a heap of 100 MiB still gets 50
 * samples, and the test of the estimate holds.
 */
static unsigned long profile_rate = 2 * 1024 * 1024;
static DEFINE_MUTEX(profile_mutex);
static DEFINE_SPINLOCK(profile_lock);
static DEFINE_HASHTABLE(profile_buckets, 10);
static DEFINE_HASHTABLE(profile_samples, 14);
static struct profile_stats pstats;	/* profile_lock */
static struct kmem_cache *profile_sample_cache;
static bool profile_ready;		/* profile_mutex */

DEFINE_STATIC_KEY_FALSE(goalloc_profile_key);
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(goalloc_profile_key);

/*
 * Bytes each CPU may allocate before its next sample; counted down by the
 * allocation paths (profile_countdown()) with this_cpu operations.
 */
DEFINE_PER_CPU(long, goalloc_profile_next);

/*
 * The draws' random bits: a prandom state per CPU, seeded at load. The
 * draws need uniform bits, not unpredictable ones, and get_random_u32()
 * (its ChaCha batches and their reseeds) was half of each sample's cost.
 */
static DEFINE_PER_CPU(struct rnd_state, profile_rnd);

static u32 profile_random(void)
{
	unsigned long flags;
	u32 r;

	local_irq_save(flags);
	r = prandom_u32_state(this_cpu_ptr(&profile_rnd));
	local_irq_restore(flags);
	return r;
}

/* Draw @cpu's next countdown (-1: this CPU's) at @rate. */
static void profile_reset_countdown(int cpu, unsigned long rate)
{
	long next = goalloc_profile_next_sample(rate);

	if (cpu < 0)
		this_cpu_write(goalloc_profile_next, next);
	else	/* Another CPU's: a racing countdown may keep its old value. */
		WRITE_ONCE(per_cpu(goalloc_profile_next, cpu), next);
}

static void profile_off_fn(struct work_struct *work);
static DECLARE_WORK(profile_off_work, profile_off_fn);

/* ------------------------------------------------------------------ */
/* Sampling arithmetic */

/**
 * goalloc_profile_next_sample() - bytes to allocate before the next sample
 * @rate: mean, in bytes; 0 for never, 1 for every allocation
 *
 * Go's fastexprand(): -ln(q) * @rate for q uniform in (0, 1] from 26
 * random bits, with log2 computed in fixed point (16 fraction bits, by
 * squaring the mantissa) instead of floating point.
 *
 * Return: the countdown, at least 1; 0 when @rate is 1; LONG_MAX when 0.
 */
long goalloc_profile_next_sample(unsigned long rate)
{
	u32 q, frac = 0;
	u64 x, l;
	int i, lg;

	if (!rate)
		return LONG_MAX;
	if (rate == 1)
		return 0;
	rate = min(rate, PROFILE_MAX_RATE);
	q = (profile_random() >> 6) + 1;		/* 1 .. 2^26 */
	lg = ilog2(q);
	x = (u64)q << (31 - lg);			/* [1, 2) in Q31 */
	for (i = 0; i < 16; i++) {
		x = x * x >> 31;
		frac <<= 1;
		if (x >= 1ULL << 32) {
			frac |= 1;
			x >>= 1;
		}
	}
	/* -log2(q / 2^26) in Q16, times ln 2 (45426 / 2^16), times rate */
	l = (26ULL << 16) - (((u64)lg << 16) | frac);
	return (long)(((l * 45426) >> 16) * rate >> 16) + 1;
}
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(goalloc_profile_next_sample);

/* exp(-x) for x in Q32 (x < 2^38), as Q32. */
static u64 exp_neg_q32(u64 x)
{
	u64 y2, y3, y4, r;
	unsigned int k = 0;

	while (x > 1ULL << 28) {	/* reduce to x <= 1/16 */
		x >>= 1;
		k++;
	}
	y2 = x * x >> 32;
	y3 = y2 * x >> 32;
	y4 = y3 * x >> 32;
	r = (1ULL << 32) - x + y2 / 2 - y3 / 6 + y4 / 24;
	while (k--)			/* exp(-x) = exp(-x / 2^k)^(2^k) */
		r = r * r >> 32;
	return r;
}

/**
 * goalloc_profile_scale() - estimate the bytes behind a bucket's samples
 * @count: sampled objects
 * @bytes: their bytes
 * @rate: the profile_rate they were sampled at
 *
 * pprof's scaleHeapSample(): each sample stands for 1 / (1 - exp(-a / rate))
 * objects of the average size a = @bytes / @count.
 *
 * Return: the estimated bytes (@bytes itself when @rate is 0 or 1).
 */
u64 goalloc_profile_scale(u64 count, u64 bytes, unsigned long rate)
{
	u64 avg, x, e;

	if (!count || !bytes || rate <= 1)
		return bytes;
	avg = div64_u64(bytes, count);
	if (avg >= 32ULL * rate)	/* exp(-32) is below Q32's resolution */
		return bytes;
	x = div64_u64(avg << 32, rate);
	e = exp_neg_q32(x);
	if (e >= 1ULL << 32)		/* avg so small that q32 rounds to 1 */
		e = (1ULL << 32) - 1;
	return mul_u64_u64_div_u64(bytes, 1ULL << 32, (1ULL << 32) - e);
}
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(goalloc_profile_scale);

/* ------------------------------------------------------------------ */
/* Recording */

/*
 * The stacks of recent samples, per CPU and by call site, with the stack
 * slots the unwinder read each return address from: a sample from the
 * same site, reached by the same path, finds the same return addresses
 * in the same slots (counted from the stack pointer here), has the same
 * stack, and is credited without the unwinder (a few thousand
 * instructions with ORC), for a compare per frame. Task context only, and
 * only stacks the ORC unwinder read without an interrupt frame. Each CPU
 * keeps PROFILE_SITES sites, the oldest filled going first.
 */
#define PROFILE_SITES		8

struct profile_frames {
	unsigned long site;		/* the first frame: goalloc's caller */
	unsigned int nr;		/* frames in @stack; 0: empty */
	u16 off[PROFILE_DEPTH];		/* the slots, in words from the sp */
	unsigned long slot[PROFILE_DEPTH];	/* what they held */
	unsigned long stack[PROFILE_DEPTH];
};

struct profile_sites {
	unsigned int next;		/* the entry the next fill takes */
	struct profile_frames f[PROFILE_SITES];
};

static struct profile_sites __percpu *profile_sites;

/* Does the stack above @sp, which ends at @top, hold @f's frames? */
static bool profile_frames_match(const struct profile_frames *f,
				 unsigned long *sp, unsigned long *top)
{
	unsigned int i;

	for (i = 0; i < f->nr; i++)
		if (sp + f->off[i] >= top ||
		    READ_ONCE_NOCHECK(sp[f->off[i]]) != f->slot[i])
			return false;
	return true;
}

#ifdef CONFIG_UNWINDER_ORC
/*
 * Unwind this task's stack from here into @stack, without goalloc's own
 * frames, and note in @f, if given, where each frame's return address
 * lies (the slot below the caller's stack pointer, unwind_state.sp, as
 * unwind_get_return_address_ptr() has it) in words from @sp.
 */
static unsigned int profile_unwind(unsigned long *stack, unsigned long *sp,
				   struct profile_frames *f)
{
	struct unwind_state state;
	unsigned long addr, *slot;
	unsigned int n = 0;

	for (unwind_start(&state, current, NULL, NULL);
	     !unwind_done(&state) && n < PROFILE_DEPTH;
	     unwind_next_frame(&state)) {
		addr = unwind_get_return_address(&state);
		if (!addr)
			break;
		if (!n && within_module(addr, THIS_MODULE))
			continue;
		slot = (unsigned long *)state.sp - 1;
		if (f && (state.regs || slot < sp || slot - sp > U16_MAX))
			f = NULL;	/* an interrupt frame, or off the stack */
		if (f) {
			f->off[n] = slot - sp;
			f->slot[n] = READ_ONCE_NOCHECK(*slot);
		}
		stack[n++] = addr;
	}
	if (f) {
		f->nr = n;
		f->site = n ? stack[0] : 0;
		memcpy(f->stack, stack, n * sizeof(*stack));
	}
	return n;
}
#else
static unsigned int profile_unwind(unsigned long *stack, unsigned long *sp,
				   struct profile_frames *f)
{
	unsigned long raw[PROFILE_DEPTH + 8];
	unsigned int n = 0, skip = 0;

#ifdef CONFIG_STACKTRACE
	n = stack_trace_save(raw, ARRAY_SIZE(raw), 0);
#endif
	while (skip < n && within_module(raw[skip], THIS_MODULE))
		skip++;
	n = min_t(unsigned int, n - skip, PROFILE_DEPTH);
	memcpy(stack, raw + skip, n * sizeof(*stack));
	return n;
}
#endif

/*
 * The caller's stack, without goalloc's own frames: from this CPU's
 * profile_frames when @site's entry matches the stack, else from the
 * unwinder, noted there for the next sample.
 * Return: the frames in @stack; *@cached says where they came from.
 */
static unsigned int profile_stack(unsigned long *stack, unsigned long site,
				  bool *cached)
{
	unsigned long *sp = (unsigned long *)current_stack_pointer;
	struct profile_frames *f = NULL;
	unsigned long *top, flags;
	struct profile_sites *ps;
	unsigned int i, n;

	*cached = false;
	top = (unsigned long *)(task_stack_page(current) + THREAD_SIZE);
	if (!IS_ENABLED(CONFIG_UNWINDER_ORC) || !profile_sites || !in_task() ||
	    sp < (unsigned long *)task_stack_page(current) || sp >= top)
		return profile_unwind(stack, sp, NULL);
	/* An interrupt's sample on this CPU may fill an entry meanwhile. */
	local_irq_save(flags);
	ps = this_cpu_ptr(profile_sites);
	for (i = 0; i < PROFILE_SITES && !f; i++)
		if (ps->f[i].site == site && ps->f[i].nr)
			f = &ps->f[i];
	if (f && profile_frames_match(f, sp, top)) {
		n = f->nr;
		memcpy(stack, f->stack, n * sizeof(*stack));
		*cached = true;
	} else {
		/* The site's entry again, or the oldest filled. */
		if (!f) {
			f = &ps->f[ps->next];
			ps->next = (ps->next + 1) % PROFILE_SITES;
		}
		n = profile_unwind(stack, sp, f);
	}
	local_irq_restore(flags);
	return n;
}

static struct profile_bucket *bucket_find(u32 hash, const unsigned long *stack,
					  unsigned int nr)
{
	struct profile_bucket *b;

	hash_for_each_possible(profile_buckets, b, node, hash)
		if (b->hash == hash && b->nr == nr &&
		    !memcmp(b->stack, stack, nr * sizeof(*stack)))
			return b;
	return NULL;
}

static struct profile_bucket *bucket_get(const unsigned long *stack,
					 unsigned int nr)
{
	u32 hash = jhash(stack, nr * sizeof(*stack), nr);
	struct profile_bucket *b = bucket_find(hash, stack, nr);
	char sym[KSYM_SYMBOL_LEN];
	unsigned int i;

	if (b || pstats.buckets >= PROFILE_MAX_BUCKETS)
		return b;
	b = kzalloc(struct_size(b, stack, nr), GFP_NOWAIT | __GFP_NOWARN);
	if (!b)
		return NULL;
	for (i = 0; i < min_t(unsigned int, nr, PROFILE_NAMED); i++) {
		sprint_symbol(sym, stack[i]);
		strscpy(b->site[i], sym, PROFILE_NAME_LEN);
	}
	b->hash = hash;
	b->nr = nr;
	memcpy(b->stack, stack, nr * sizeof(*stack));
	hash_add(profile_buckets, &b->node, hash);
	pstats.buckets++;
	pstats.bytes += struct_size(b, stack, nr);
	return b;
}

/**
 * goalloc_profile_sample() - record a sampled allocation
 * @p: the object, just allocated and not yet returned to the caller
 * @size: its allocated size
 * @site: the return address into goalloc's caller, the stack's first frame
 *
 * Draws this CPU's next countdown, then credits the caller's stack.
 * Context: any; called with no goalloc lock held.
 */
void goalloc_profile_sample(const void *p, size_t size, unsigned long site)
{
	unsigned long stack[PROFILE_DEPTH];
	struct profile_sample *smp = NULL;
	struct profile_bucket *b;
	unsigned long flags, rate;
	unsigned int nr;
	struct span *s;
	bool cached;

	rate = READ_ONCE(profile_rate);
	profile_reset_countdown(-1, rate);
	if (!rate)
		return;
	nr = profile_stack(stack, site, &cached);

	spin_lock_irqsave(&profile_lock, flags);
	/* Rate 0 set meanwhile: the key may be about to go off. */
	if (!READ_ONCE(profile_rate))
		goto out;
	b = bucket_get(stack, nr);
	if (b && pstats.samples < PROFILE_MAX_SAMPLES)
		smp = kmem_cache_alloc(profile_sample_cache,
				       GFP_NOWAIT | __GFP_NOWARN);
	if (!smp) {
		pstats.dropped++;
		goto out;
	}
	pstats.cached += cached;
	smp->p = p;
	smp->b = b;
	smp->size = size;
	hash_add(profile_samples, &smp->node, (unsigned long)p);
	s = span_of(p);
	s->nsampled++;
	/* Its frees take the slow path, to goalloc_profile_free(). */
	WRITE_ONCE(s->fast_nelems, 0);
	pstats.samples++;
	b->alloc_objects++;
	b->alloc_bytes += size;
out:
	spin_unlock_irqrestore(&profile_lock, flags);
}

/**
 * goalloc_profile_free() - credit a freed object to its bucket, if sampled
 * @s: span_of(@p); its nsampled is not 0
 * @p: an object being freed
 *
 * Context: any; called with no goalloc lock held.
 */
void goalloc_profile_free(struct span *s, const void *p)
{
	struct profile_sample *smp;
	unsigned long flags;

	spin_lock_irqsave(&profile_lock, flags);
	hash_for_each_possible(profile_samples, smp, node, (unsigned long)p) {
		if (smp->p != p)
			continue;
		smp->b->free_objects++;
		smp->b->free_bytes += smp->size;
		hash_del(&smp->node);
		kmem_cache_free(profile_sample_cache, smp);
		if (!--s->nsampled)
			WRITE_ONCE(s->fast_nelems, s->nelems);
		if (!--pstats.samples && !READ_ONCE(profile_rate))
			schedule_work(&profile_off_work);
		break;
	}
	spin_unlock_irqrestore(&profile_lock, flags);
}

/* ------------------------------------------------------------------ */
/* The rate and the key */

/* Turn the key off once profiling is off and no sampled object is left. */
static void profile_update_key(void)
{
	unsigned long flags;
	bool on;

	lockdep_assert_held(&profile_mutex);
	spin_lock_irqsave(&profile_lock, flags);
	on = READ_ONCE(profile_rate) || pstats.samples;
	spin_unlock_irqrestore(&profile_lock, flags);
	if (on)
		static_branch_enable(&goalloc_profile_key);
	else
		static_branch_disable(&goalloc_profile_key);
}

static void profile_off_fn(struct work_struct *work)
{
	mutex_lock(&profile_mutex);
	if (profile_ready)
		profile_update_key();
	mutex_unlock(&profile_mutex);
}

/**
 * goalloc_profile_set_rate() - change profile_rate
 * @rate: bytes per sample on average; 0 off, 1 every allocation
 *
 * Every CPU draws a new countdown. Samples taken at the old rate stay in
 * the profile (as in Go, scaling assumes the current rate).
 *
 * Context: process context.
 */
void goalloc_profile_set_rate(unsigned long rate)
{
	int cpu;

	mutex_lock(&profile_mutex);
	WRITE_ONCE(profile_rate, rate);
	if (profile_ready) {
		for_each_possible_cpu(cpu)
			profile_reset_countdown(cpu, rate);
		profile_update_key();
	}
	mutex_unlock(&profile_mutex);
}
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(goalloc_profile_set_rate);

unsigned long goalloc_profile_rate(void)
{
	return READ_ONCE(profile_rate);
}
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(goalloc_profile_rate);

static int profile_rate_set(const char *val, const struct kernel_param *kp)
{
	unsigned long rate;
	int err;

	err = kstrtoul(val, 0, &rate);
	if (err)
		return err;
	goalloc_profile_set_rate(rate);
	return 0;
}

static const struct kernel_param_ops profile_rate_ops = {
	.set = profile_rate_set,
	.get = param_get_ulong,
};
module_param_cb(profile_rate, &profile_rate_ops, &profile_rate, 0644);
MODULE_PARM_DESC(profile_rate,
		 "heap profile: sample one allocation per this many bytes on average (Go's MemProfileRate; 0 off, 1 all)");

/* ------------------------------------------------------------------ */
/* Reading, resetting */

void goalloc_profile_stats(struct profile_stats *st)
{
	unsigned long flags;

	spin_lock_irqsave(&profile_lock, flags);
	*st = pstats;
	st->bytes += st->samples * kmem_cache_size(profile_sample_cache);
	spin_unlock_irqrestore(&profile_lock, flags);
}
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(goalloc_profile_stats);

struct bucket_snap {
	const struct profile_bucket *b;
	unsigned long inuse_objects, inuse_bytes;
	unsigned long alloc_objects, alloc_bytes;
};

static int snap_cmp(const void *a, const void *b)
{
	const struct bucket_snap *x = a, *y = b;

	if (x->inuse_bytes != y->inuse_bytes)
		return x->inuse_bytes < y->inuse_bytes ? 1 : -1;
	if (x->alloc_bytes != y->alloc_bytes)
		return x->alloc_bytes < y->alloc_bytes ? 1 : -1;
	return 0;
}

/*
 * Counts of every bucket, largest in-use bytes first, into a new array.
 * Buckets outlive the array while the caller holds profile_mutex.
 */
static struct bucket_snap *profile_snapshot(unsigned int *n)
{
	struct bucket_snap *snap;
	struct profile_bucket *b;
	unsigned long flags;
	unsigned int i = 0, bkt;

	lockdep_assert_held(&profile_mutex);
	snap = kvmalloc_array(PROFILE_MAX_BUCKETS, sizeof(*snap), GFP_KERNEL);
	if (!snap)
		return NULL;
	spin_lock_irqsave(&profile_lock, flags);
	hash_for_each(profile_buckets, bkt, b, node) {
		snap[i].b = b;
		snap[i].alloc_objects = b->alloc_objects;
		snap[i].alloc_bytes = b->alloc_bytes;
		snap[i].inuse_objects = b->alloc_objects - b->free_objects;
		snap[i].inuse_bytes = b->alloc_bytes - b->free_bytes;
		i++;
	}
	spin_unlock_irqrestore(&profile_lock, flags);
	sort(snap, i, sizeof(*snap), snap_cmp, NULL);
	*n = i;
	return snap;
}

/**
 * goalloc_profile_show() - debugfs "heap_profile": Go's legacy heap profile
 * @m: the seq_file
 *
 * The header totals the records; each record is
 * "<inuse objects>: <inuse bytes> [<alloc objects>: <alloc bytes>] @ <pcs>"
 * followed by one "#\t<pc>\t<symbol>" line per frame, as Go's
 * runtime/pprof writes it with debug=1 and pprof's legacy parser reads it.
 * "heap/<2 * rate>" tells pprof the sampling rate.
 *
 * Return: 0 or -ENOMEM.
 */
int goalloc_profile_show(struct seq_file *m)
{
	unsigned long tot[4] = {};
	struct bucket_snap *snap;
	unsigned int i, j, n;

	mutex_lock(&profile_mutex);
	snap = profile_snapshot(&n);
	if (!snap) {
		mutex_unlock(&profile_mutex);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		tot[0] += snap[i].inuse_objects;
		tot[1] += snap[i].inuse_bytes;
		tot[2] += snap[i].alloc_objects;
		tot[3] += snap[i].alloc_bytes;
	}
	seq_printf(m, "heap profile: %lu: %lu [%lu: %lu] @ heap/%lu\n",
		   tot[0], tot[1], tot[2], tot[3], 2 * READ_ONCE(profile_rate));
	for (i = 0; i < n; i++) {
		const struct profile_bucket *b = snap[i].b;

		seq_printf(m, "%lu: %lu [%lu: %lu] @", snap[i].inuse_objects,
			   snap[i].inuse_bytes, snap[i].alloc_objects,
			   snap[i].alloc_bytes);
		for (j = 0; j < b->nr; j++)
			seq_printf(m, " 0x%lx", b->stack[j]);
		seq_putc(m, '\n');
		for (j = 0; j < b->nr; j++) {
			if (j < PROFILE_NAMED)
				seq_printf(m, "#\t0x%lx\t%s\n", b->stack[j],
					   b->site[j]);
			else
				seq_printf(m, "#\t0x%lx\t%pS\n", b->stack[j],
					   (void *)b->stack[j]);
		}
		seq_putc(m, '\n');
	}
	mutex_unlock(&profile_mutex);
	kvfree(snap);
	return 0;
}
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(goalloc_profile_show);

/**
 * goalloc_profile_reset() - forget the freed part of the profile
 *
 * Description: the profile starts over. Allocation counts become the
 * in-use counts and buckets with nothing in use are dropped; sampled
 * objects still allocated stay in it, and their frees are still credited.
 *
 * Context: process context.
 */
void goalloc_profile_reset(void)
{
	struct profile_bucket *b;
	struct hlist_node *tmp;
	unsigned long flags;
	unsigned int bkt;

	mutex_lock(&profile_mutex);
	spin_lock_irqsave(&profile_lock, flags);
	hash_for_each_safe(profile_buckets, bkt, tmp, b, node) {
		b->alloc_objects -= b->free_objects;
		b->alloc_bytes -= b->free_bytes;
		b->free_objects = 0;
		b->free_bytes = 0;
		if (b->alloc_objects)
			continue;
		hash_del(&b->node);
		pstats.buckets--;
		pstats.bytes -= struct_size(b, stack, b->nr);
		kfree(b);
	}
	pstats.dropped = 0;
	spin_unlock_irqrestore(&profile_lock, flags);
	mutex_unlock(&profile_mutex);
}
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(goalloc_profile_reset);

/* ------------------------------------------------------------------ */
/* Module */

int goalloc_profile_init(void)
{
	int cpu;

	/*
	 * Not scanned by kmemleak: a sample's pointer to its object would hide
	 * the object's leak.
	 */
	profile_sample_cache = KMEM_CACHE(profile_sample, SLAB_NOLEAKTRACE);
	if (!profile_sample_cache)
		return -ENOMEM;
	/* Without it, every sample unwinds. */
	if (IS_ENABLED(CONFIG_UNWINDER_ORC))
		profile_sites = alloc_percpu(struct profile_sites);
	for_each_possible_cpu(cpu)
		prandom_seed_state(per_cpu_ptr(&profile_rnd, cpu),
				   get_random_u64());
	mutex_lock(&profile_mutex);
	profile_ready = true;
	mutex_unlock(&profile_mutex);
	/* Draw every CPU's first countdown and turn the key on. */
	goalloc_profile_set_rate(READ_ONCE(profile_rate));
	return 0;
}

/*
 * Unload, after the caches are torn down: name the sampled allocation
 * sites that still hold objects (the leaks), then free the profile.
 */
void goalloc_profile_exit(void)
{
	unsigned long rate = READ_ONCE(profile_rate);
	struct profile_sample *smp;
	struct profile_bucket *b;
	struct bucket_snap *snap;
	struct hlist_node *tmp;
	unsigned int i, n = 0, bkt;

	mutex_lock(&profile_mutex);
	profile_ready = false;
	static_branch_disable(&goalloc_profile_key);
	snap = profile_snapshot(&n);
	if (snap && n && snap[0].inuse_objects)
		pr_warn("unload: sampled allocation sites still holding objects (profile_rate %lu):\n",
			rate);
	for (i = 0; snap && i < n && snap[i].inuse_objects; i++) {
		const struct profile_bucket *site = snap[i].b;

		pr_warn("unload:   %lu sampled objects, %lu bytes (about %llu bytes in all) from %s\n",
			snap[i].inuse_objects, snap[i].inuse_bytes,
			goalloc_profile_scale(snap[i].inuse_objects,
					      snap[i].inuse_bytes, rate),
			site->nr ? site->site[0] : "(no stack)");
		if (site->nr > 1)
			pr_warn("unload:     called from %s\n", site->site[1]);
	}
	kvfree(snap);
	mutex_unlock(&profile_mutex);
	cancel_work_sync(&profile_off_work);

	hash_for_each_safe(profile_samples, bkt, tmp, smp, node) {
		hash_del(&smp->node);
		kmem_cache_free(profile_sample_cache, smp);
	}
	hash_for_each_safe(profile_buckets, bkt, tmp, b, node) {
		hash_del(&b->node);
		kfree(b);
	}
	memset(&pstats, 0, sizeof(pstats));
	kmem_cache_destroy(profile_sample_cache);
	free_percpu(profile_sites);
	profile_sites = NULL;
}
