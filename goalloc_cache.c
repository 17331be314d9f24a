// SPDX-License-Identifier: GPL-2.0
/*
 * goalloc caches: kmem_cache's half of the slab API, beside mcache on top.
 *
 * Every cache has a class of its own, past the size classes
 * (NR_CLASSES in goalloc_internal.h): its own spans, cut into slots of
 * its aligned object size, its own mcentral, and its own per-CPU
 * magazines, whose storage comes with the cache. The fast paths are
 * goalloc_alloc()'s (mcache_alloc_class() and mcache_free() in
 * goalloc_mcache.h) with the class taken from the cache instead of the
 * size, so a cache hit costs what a size class hit does.
 *
 * SLUB merges compatible caches into one; goalloc does not, for three
 * reasons. A cache's statistics (spans, objects, allocations and frees)
 * are then exact, from the same structures as a size class's. A free to
 * the wrong cache is told from the span, and refused. And a destroyed
 * cache with objects left keeps only its own spans. The price is memory:
 * each cache keeps its own partial spans and magazines, as SLUB's unmerged
 * caches (SLAB_TYPESAFE_BY_RCU, constructors, debug flags) do. goalloc's
 * slots need no rounding to a size class: a slot is the object size
 * aligned, and the tail a span leaves is kept under 1/8 (class_set()).
 *
 * A cache of objects over 32 KiB has a class too, whose spans hold one
 * object each, as a large object's does; its magazines hold fewer
 * (mcache_class_cap()).
 *
 * Locks: cache_mutex guards the list of caches and the classes they use;
 * the rest is mcache's and mcentral's (goalloc_internal.h).
 */

#define pr_fmt(fmt) "goalloc: " fmt

#include <linux/cpu.h>
#include <linux/kmemleak.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "goalloc_mcache.h"
#include "goalloc_trace.h"

/**
 * struct goalloc_cache - a cache of objects of one size
 * @list:	in cache_list; cache_mutex
 * @name:	its name, in debugfs "caches" and "slabinfo"
 * @object_size: bytes asked for
 * @size:	the aligned size: a slot
 * @align:	alignment every object has
 * @flags:	the SLAB_ flags it was created with
 * @ctor:	constructor, or NULL
 * @cls:	its class
 * @dead:	destroyed with objects in use: kept, so that they can be freed
 * @store:	per possible CPU, its magazines' storage
 */
struct goalloc_cache {
	struct list_head list;
	const char *name;
	unsigned int object_size;
	unsigned int size;
	unsigned int align;
	slab_flags_t flags;
	void (*ctor)(void *obj);
	unsigned int cls;
	bool dead;
	void ***store;
};

static DEFINE_MUTEX(cache_mutex);
static LIST_HEAD(cache_list);
static DECLARE_BITMAP(cache_classes, GOALLOC_MAX_CACHES);

/* The slot a cache of @size, aligned, takes. */
#define CACHE_CLASS(i)		(GOALLOC_NUM_CLASSES + (i))

/* Flags goalloc cannot honour: its memory is all ZONE_NORMAL. */
#define CACHE_REFUSED_FLAGS	(SLAB_CACHE_DMA | SLAB_CACHE_DMA32)

/* ------------------------------------------------------------------ */
/* Magazines of a cache's class */

/*
 * Point @cpu's magazines of @cls at @store (cap slots each, between a
 * NULL and a MAG_END), or at mag_closed when @store is NULL. Nobody
 * allocates from the class meanwhile: it is being made, or has been
 * flushed and destroyed. On @cpu with its mcache lock held, or @cpu is
 * dead (hotplug locked), as every other access to its magazines is, but
 * statistics' unlocked reads: they hold cache_mutex (cache_lock()).
 */
static void cache_mags_set(int cpu, unsigned int cls, void **store)
{
	struct mcache_mags *mm = mcache_mags_of(cpu);
	unsigned int level, mag, cap = mcache_class_cap(cls);

	for (level = 0; level < NR_MAG_LEVELS; level++) {
		mag = MAG(level, cls);
		if (store) {
			mm->objs[mag] = store + level * (cap + 2) + 1;
			mm->objs[mag][-1] = NULL;
			mm->objs[mag][cap] = MAG_END;
		} else {
			mm->objs[mag] = (void **)&mag_closed[1];
		}
		WRITE_ONCE(mm->top[mag], mm->objs[mag]);
		mm->nfree[mag] = 0;
		mm->moved[mag] = 0;
	}
	memset(&mcache_of(cpu)->cls[cls], 0, sizeof(struct mcache_class));
}

static void cache_store_free(struct goalloc_cache *c)
{
	int cpu;

	if (!c->store)
		return;
	for_each_possible_cpu(cpu)
		kfree(c->store[cpu]);
	kfree(c->store);
	c->store = NULL;
}

/* Storage for a magazine per context on each possible CPU. */
static int cache_store_alloc(struct goalloc_cache *c)
{
	size_t bytes = NR_MAG_LEVELS * (mcache_class_cap(c->cls) + 2) *
		       sizeof(void *);
	int cpu;

	c->store = kcalloc(nr_cpu_ids, sizeof(*c->store), GFP_KERNEL);
	if (!c->store)
		return -ENOMEM;
	for_each_possible_cpu(cpu) {
		c->store[cpu] = kzalloc_node(bytes, GFP_KERNEL,
					     cpu_to_node(cpu));
		if (!c->store[cpu]) {
			cache_store_free(c);
			return -ENOMEM;
		}
		/* As struct mcache's slots: a popped slot keeps its pointer. */
		kmemleak_ignore(c->store[cpu]);
	}
	return 0;
}

/* What cache_mags_each() does on each CPU. */
struct cache_mags_op {
	unsigned int cls;
	void ***store;	/* open the magazines on it, or close them if NULL */
	bool flush;	/* or give back what they hold */
};

static void cache_mags_do(int cpu, const struct cache_mags_op *op)
{
	if (op->flush)
		mcache_flush_class(cpu, op->cls);
	else
		cache_mags_set(cpu, op->cls, op->store ? op->store[cpu] : NULL);
}

/* In a worker on the CPU, whose fast paths are then not running. */
static long cache_mags_local(void *arg)
{
	unsigned long flags;

	local_lock_irqsave(&goalloc_mcache.lock, flags);
	cache_mags_do(smp_processor_id(), arg);
	local_unlock_irqrestore(&goalloc_mcache.lock, flags);
	return 0;
}

/*
 * Do @op on every possible CPU: in a worker on each online one, directly
 * for the others (a dead CPU's magazines went back when it died).
 */
static void cache_mags_each(struct cache_mags_op *op)
{
	int cpu;

	cpus_read_lock();
	for_each_possible_cpu(cpu) {
		if (cpu_online(cpu))
			work_on_cpu(cpu, cache_mags_local, op);
		else if (!op->flush)
			cache_mags_do(cpu, op);
	}
	cpus_read_unlock();
}

/*
 * Give back every CPU's cached objects of @c, then the depot and empty
 * spans. Return: objects of @c still allocated: its callers'.
 */
static unsigned long cache_flush(struct goalloc_cache *c)
{
	struct cache_mags_op op = { .cls = c->cls, .flush = true };

	cache_mags_each(&op);
	return central_empty_class(c->cls);
}

/* ------------------------------------------------------------------ */
/* Creation and destruction */

/*
 * kmem_cache's alignment (calculate_alignment() in mm/slab_common.c on
 * 6.1): @align, or with SLAB_HWCACHE_ALIGN the cache line, halved while
 * the object fits in half of it; at least 8 bytes.
 */
static unsigned int cache_align(unsigned int size, unsigned int align,
				slab_flags_t flags)
{
	unsigned int ralign;

	if (flags & SLAB_HWCACHE_ALIGN) {
		ralign = cache_line_size();
		while (size <= ralign / 2)
			ralign /= 2;
		align = max(align, ralign);
	}
	return max_t(unsigned int, align, 8);
}

/* Give @c a class of its own, with magazines on every CPU. */
static int cache_class_open(struct goalloc_cache *c)
{
	struct cache_mags_op op = {};
	unsigned int i;

	i = find_first_zero_bit(cache_classes, GOALLOC_MAX_CACHES);
	if (i == GOALLOC_MAX_CACHES)
		return -ENOSPC;
	c->cls = CACHE_CLASS(i);
	class_set(c->cls, c->size, c->ctor,
		  (c->ctor ? CLASS_CTOR : 0) |
		  (c->flags & SLAB_TYPESAFE_BY_RCU ? CLASS_RCU : 0));
	mcache_size_class(c->cls);
	if (cache_store_alloc(c)) {
		class_clear(c->cls);
		return -ENOMEM;
	}
	op.cls = c->cls;
	op.store = c->store;
	cache_mags_each(&op);
	__set_bit(i, cache_classes);
	return 0;
}

/* @c's class, flushed and with no object left, is free for another cache. */
static void cache_class_close(struct goalloc_cache *c)
{
	struct cache_mags_op op = { .cls = c->cls };

	cache_mags_each(&op);
	class_clear(c->cls);
	__clear_bit(c->cls - GOALLOC_NUM_CLASSES, cache_classes);
	cache_store_free(c);
}

static void cache_free_struct(struct goalloc_cache *c)
{
	kfree_const(c->name);
	kfree(c);
}

/**
 * goalloc_cache_create() - create a cache, like kmem_cache_create()
 * @name: its name, shown in debugfs; copied
 * @size: object size, 1 .. GOALLOC_MAX_SIZE
 * @align: alignment, 0 or a power of two up to 8 KiB (GOALLOC_PAGE_SIZE)
 * @flags: SLAB_HWCACHE_ALIGN, SLAB_TYPESAFE_BY_RCU, SLAB_PANIC; SLAB_ACCOUNT and the debug flags are accepted and have
 *	   no effect (goalloc's debug parameter applies to every cache);
 *	   SLAB_CACHE_DMA and SLAB_CACHE_DMA32 are refused
 * @ctor: constructor, run once per object when its span is made, or NULL
 *
 * Objects are aligned to @align, to the cache line with SLAB_HWCACHE_ALIGN
 * (as kmem_cache_create() computes it), and to 8 bytes at least; a slot is
 * the size rounded up to that alignment. At most GOALLOC_MAX_CACHES (64)
 * caches exist at once.
 *
 * Context: process context, may sleep.
 * Return: the cache, or NULL (reported) for bad arguments or when memory or
 * classes are short; with SLAB_PANIC, a failure panics.
 */
struct goalloc_cache *goalloc_cache_create(const char *name, unsigned int size,
					   unsigned int align,
					   slab_flags_t flags,
					   void (*ctor)(void *))
{
	struct goalloc_cache *c;
	int err = -EINVAL;

	might_sleep();
	if (!name || !size || size > GOALLOC_MAX_SIZE ||
	    (align && !is_power_of_2(align)) || align > GOALLOC_PAGE_SIZE ||
	    (flags & CACHE_REFUSED_FLAGS))
		goto fail;
	err = -ENOMEM;
	c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (!c)
		goto fail;
	c->name = kstrdup_const(name, GFP_KERNEL);
	c->object_size = size;
	c->align = cache_align(size, align, flags);
	c->size = ALIGN(size, c->align);
	c->flags = flags;
	c->ctor = ctor;
	if (!c->name)
		goto out_free;

	mutex_lock(&cache_mutex);
	err = cache_class_open(c);
	if (!err)
		list_add_tail(&c->list, &cache_list);
	mutex_unlock(&cache_mutex);
	if (!err)
		return c;
out_free:
	cache_free_struct(c);
fail:
	if (flags & SLAB_PANIC)
		panic("goalloc: cache %s of %u bytes: error %d\n",
		      name ?: "(null)", size, err);
	if (err == -EINVAL)
		goalloc_report(REPORT_CACHE_MISUSE, NULL, size, 0);
	else
		pr_warn_ratelimited("cache %s of %u bytes: error %d\n", name,
				    size, err);
	return NULL;
}
EXPORT_SYMBOL_GPL(goalloc_cache_create);

/**
 * goalloc_cache_destroy() - destroy a cache, like kmem_cache_destroy()
 * @c: the cache, or NULL
 *
 * Waits for pending goalloc_free_rcu() frees, and for SLAB_TYPESAFE_BY_RCU
 * spans' grace periods, as kmem_cache_destroy() does with rcu_barrier().
 * Objects of the cache still allocated then are reported with their count;
 * the cache and their memory are kept (never freed under them), and they
 * may still be freed, with goalloc_free() or goalloc_cache_free().
 *
 * Context: process context, may sleep; no allocation from @c may race.
 */
void goalloc_cache_destroy(struct goalloc_cache *c)
{
	unsigned long live;

	if (!c)
		return;
	might_sleep();
	goalloc_rcu_barrier();
	mutex_lock(&cache_mutex);
	if (c->dead) {
		mutex_unlock(&cache_mutex);
		goalloc_report(REPORT_CACHE_MISUSE, c, c->size, 0);
		return;
	}
	live = cache_flush(c);
	if (live) {
		c->dead = true;
		mutex_unlock(&cache_mutex);
		pr_err("cache %s destroyed with %lu objects in use\n",
		       c->name, live);
		goalloc_report(REPORT_CACHE_LIVE, c, live, 0);
		return;
	}
	list_del(&c->list);
	cache_class_close(c);
	mutex_unlock(&cache_mutex);
	if (c->flags & SLAB_TYPESAFE_BY_RCU)
		rcu_barrier();
	cache_free_struct(c);
}
EXPORT_SYMBOL_GPL(goalloc_cache_destroy);

/**
 * goalloc_cache_size() - object size of a cache, like kmem_cache_size()
 * @c: the cache
 *
 * Return: the bytes the cache was created for.
 */
unsigned int goalloc_cache_size(struct goalloc_cache *c)
{
	return c->object_size;
}
EXPORT_SYMBOL_GPL(goalloc_cache_size);

/**
 * goalloc_cache_name() - name of a cache
 * @c: the cache
 *
 * Return: its name, as given to goalloc_cache_create().
 */
const char *goalloc_cache_name(struct goalloc_cache *c)
{
	return c->name;
}
EXPORT_SYMBOL_GPL(goalloc_cache_name);

/* ------------------------------------------------------------------ */
/* Allocation and free */

/**
 * goalloc_cache_alloc() - allocate an object, like kmem_cache_alloc()
 * @c: the cache
 * @gfp: allocation mask, as for kmem_cache_alloc(); __GFP_ZERO zeroes the
 *	 object unless the cache has a constructor (then it is reported)
 *
 * Context: any context where kmem_cache_alloc() with @gfp may be called.
 * Return: the object, constructed if the cache has a constructor, or NULL.
 */
void *goalloc_cache_alloc(struct goalloc_cache *c, gfp_t gfp)
{
	return mcache_alloc_class(c->cls, c->object_size, gfp, _RET_IP_);
}
EXPORT_SYMBOL_GPL(goalloc_cache_alloc);

/*
 * The free path of @c after the tracepoint, as __goalloc_free() is
 * goalloc_free()'s; @hooked as there. An object of another class is
 * refused by mcache_free_slow().
 */
static __always_inline void __cache_free(struct goalloc_cache *c,
					 const void *p, bool hooked)
{
	mcache_free(p, c->cls, hooked);
}

static noinline void cache_free_hooked(struct goalloc_cache *c, const void *p,
				       unsigned long caller)
{
	trace_goalloc_free(caller, p);
	__cache_free(c, p, true);
}

/**
 * goalloc_cache_free() - free an object, like kmem_cache_free()
 * @c: the cache it came from
 * @p: the object, or NULL
 *
 * An object of another cache, or from goalloc_alloc(), is refused with a
 * rate-limited warning and counted (refused_wrong_cache in debugfs
 * "counters"); other bad pointers as goalloc_free() refuses them.
 *
 * Context: any context where kmem_cache_free() may be called.
 */
void goalloc_cache_free(struct goalloc_cache *c, void *p)
{
	if (static_branch_unlikely(&goalloc_hooks_key))
		cache_free_hooked(c, p, _RET_IP_);
	else
		__cache_free(c, p, false);
}
EXPORT_SYMBOL_GPL(goalloc_cache_free);

/* ------------------------------------------------------------------ */
/* Bulk */

/*
 * The span of @p, a pointer a bulk free is given, if it is a span of @cls
 * whose objects a bulk free may take as they are (not sampled by the heap
 * profile), else NULL.
 */
static struct span *cache_bulk_span(unsigned int cls, const void *p,
				    unsigned int *gen)
{
	struct span *s;

	if (!span_get(p, &s, gen) || s->cls != cls || profile_span_sampled(s))
		return NULL;
	return s;
}

/*
 * Put the objects of @cls in @p into this CPU's magazine under one hold of
 * the mcache lock; each time it fills, its older half goes to mcentral, as
 * mcache_push_slow() does. With @check, each is checked first as
 * goalloc_cache_free() checks it, and those that fail go to the front of
 * @p for the caller to free one by one, with the lock dropped; one whose
 * span changed since it was looked up lost a race to another free and is
 * refused here. Return: how many went to the front of @p.
 */
static __always_inline size_t __cache_bulk_put(unsigned int cls, size_t n,
						void **p, bool check)
{
	struct central *c = &goalloc_central[cls];
	unsigned int mag, batch = mcache_batch[cls], gen = 0, next_gen;
	unsigned long off, idx, base = 0, len = 0;
	struct span *s = NULL, *next;
	struct mcache_mags *mm;
	unsigned long flags;
	size_t i, bad = 0, lost = 0;
	void **top, *q;
	long moved = 0;
	LIST_HEAD(dead);

	local_lock_irqsave(&goalloc_mcache.lock, flags);
	mm = this_cpu_ptr(goalloc_fastpath.mags);
	mag = mcache_mag(cls);
	top = mm->top[mag];
	for (i = 0; i < n; i++) {
		q = p[i];
		if (!check)
			goto push;
		/*
		 * An object in the range of the span the previous one was
		 * found in is in that span, which holds it live (the previous
		 * object, now in a magazine, is not free in it): no page
		 * lookup. Then span_slot_live()'s test, and mag_push()'s of a
		 * second free in a row.
		 */
		off = (unsigned long)q - base;
		if (unlikely(off >= len)) {
			/* A refused one leaves the range as it was. */
			next = cache_bulk_span(cls, q, &next_gen);
			if (!next)
				goto refuse;
			s = next;
			gen = next_gen;
			base = s->base;
			len = span_bytes(s);
			off = (unsigned long)q - base;
		}
		if (unlikely(!divmagic_slot(off, &s->divmagic, &idx) ||
			     idx >= s->nelems || !test_bit(idx, s->allocbits) ||
			     q == top[-1]))
			goto refuse;
		/* Another free of an object of @s emptied it (span_get()). */
		if (unlikely(!span_unchanged(s, gen))) {
			goalloc_report(REPORT_DOUBLE_FREE, q, 0, 0);
			lost++;
			continue;
		}
push:
		if (unlikely(*top == MAG_END)) {
			top -= batch;
			spin_lock(&c->lock);
			__central_flush(c, top, batch, smp_processor_id(),
					&dead);
			spin_unlock(&c->lock);
			moved += batch;
		}
		*top++ = q;
		continue;
refuse:
		p[bad++] = q;
	}
	mm->top[mag] = top;
	mm->nfree[mag] += n - bad - lost;
	mm->moved[mag] -= moved;
	local_unlock_irqrestore(&goalloc_mcache.lock, flags);
	spans_destroy(&dead);
	return bad;
}

static size_t cache_bulk_put(unsigned int cls, size_t n, void **p)
{
	return __cache_bulk_put(cls, n, p, false);
}

static size_t cache_bulk_put_checked(unsigned int cls, size_t n, void **p)
{
	return __cache_bulk_put(cls, n, p, true);
}

/*
 * Take @n objects of @cls for a bulk allocation into @p: the magazine's
 * first, then straight from mcentral into @p, making spans as needed.
 * Objects taken from mcentral count in the magazine's moved, as if they
 * had passed through it. Return: @n, or 0 with all given back.
 */
static size_t cache_bulk_take(unsigned int cls, gfp_t gfp, size_t n, void **p)
{
	struct central *c = &goalloc_central[cls];
	unsigned int mag, k, spans;
	struct mcache_mags *mm;
	struct mcache_class *m;
	unsigned long flags;
	size_t got = 0;
	void **top;
	LIST_HEAD(fresh);
	LIST_HEAD(dead);

	for (;;) {
		local_lock_irqsave(&goalloc_mcache.lock, flags);
		m = &this_cpu_read(goalloc_mcache.mc)->cls[cls];
		mm = this_cpu_ptr(goalloc_fastpath.mags);
		mag = mcache_mag(cls);
		/* Newest first, and no memcpy(): rep movsb costs a step a byte. */
		top = mm->top[mag];
		for (k = min_t(size_t, n - got, mag_count(mm, mag)); k; k--)
			p[got++] = *--top;
		mm->top[mag] = top;
		if (got < n || !list_empty(&fresh)) {
			spin_lock(&c->lock);
			while (got < n) {
				k = __central_fill(c, p + got,
						   min_t(size_t, n - got, UINT_MAX),
						   &m->span, smp_processor_id(),
						   &fresh);
				if (!k)
					break;
				mm->moved[mag] += k;
				got += k;
			}
			while (!list_empty(&fresh)) {
				struct span *s = list_first_entry(&fresh,
						struct span, list);

				list_del(&s->list);
				__central_add_unused_span(c, s, &dead);
			}
			spin_unlock(&c->lock);
		}
		local_unlock_irqrestore(&goalloc_mcache.lock, flags);
		spans_destroy(&dead);
		if (got == n)
			return n;
		spans = DIV_ROUND_UP(n - got, class_span_objects(cls));
		if (!spans_create(cls, min_t(size_t, spans, MCACHE_MAX_CAP),
				  gfp, &fresh)) {
			cache_bulk_put(cls, got, p);
			goalloc_alloc_failed(class_info[cls].size * n, gfp);
			return 0;
		}
	}
}

/* Are @cls's objects handed out with no hook to run per object? */
static bool cache_bulk_plain(void)
{
	return !IS_ENABLED(CONFIG_DEBUG_KMEMLEAK) && !GOALLOC_KASAN &&
	       !static_branch_unlikely(&goalloc_hooks_key);
}

/*
 * The heap profile's countdown for a bulk allocation of @n objects of
 * @cls in @p, for the call at @site: the bytes of all of them at once,
 * and only when that runs the budget out, given back and counted object
 * by object, to sample the objects Go's per-allocation countdown would.
 */
static void cache_bulk_sample(unsigned int cls, size_t n, void **p,
			      unsigned long site)
{
	size_t i, size = class_info[cls].size;

	if (likely(!profile_countdown(n * size)))
		return;
	this_cpu_add(goalloc_profile_next, n * size);
	for (i = 0; i < n; i++)
		if (profile_countdown(size))
			goalloc_profile_sample(p[i], size, site);
}

/**
 * goalloc_cache_alloc_bulk() - allocate objects, like kmem_cache_alloc_bulk()
 * @c: the cache
 * @gfp: allocation mask
 * @n: how many
 * @p: receives them
 *
 * All or nothing: whole batches move from the CPU's magazine and from the
 * class's spans under one hold of each lock.
 *
 * Context: any context where kmem_cache_alloc_bulk() with @gfp may be called.
 * Return: @n, or 0 with nothing allocated.
 */
int goalloc_cache_alloc_bulk(struct goalloc_cache *c, gfp_t gfp, size_t n,
			     void **p)
{
	unsigned int cls = c->cls;
	size_t i;

	if (!n || goalloc_refuse_nmi(NULL, n))
		return 0;
	if (!cache_bulk_plain()) {
		for (i = 0; i < n; i++) {
			p[i] = goalloc_cache_alloc(c, gfp);
			if (!p[i]) {
				goalloc_cache_free_bulk(c, i, p);
				return 0;
			}
		}
		return n;
	}
	if (!cache_bulk_take(cls, gfp, n, p))
		return 0;
	if (static_branch_unlikely(&goalloc_profile_key))
		cache_bulk_sample(cls, n, p, _RET_IP_);
	if (want_init_on_alloc(gfp)) {
		for (i = 0; i < n; i++)
			mcache_alloc_zeroed(p[i], cls, gfp);
	}
	return n;
}
EXPORT_SYMBOL_GPL(goalloc_cache_alloc_bulk);

/**
 * goalloc_cache_free_bulk() - free objects, like kmem_cache_free_bulk()
 * @c: the cache they came from
 * @n: how many
 * @p: the objects, or NULL; its entries are overwritten
 *
 * Each is checked as goalloc_cache_free() checks it; the good ones go to
 * the CPU's magazine, and those that do not fit straight to their spans,
 * under one hold of each lock; the others as goalloc_cache_free() takes
 * them.
 *
 * Context: any context where kmem_cache_free_bulk() may be called.
 */
void goalloc_cache_free_bulk(struct goalloc_cache *c, size_t n, void **p)
{
	unsigned int cls = c->cls;
	size_t i;

	if (goalloc_refuse_nmi(p, n))
		return;
	if (cache_bulk_plain())
		n = cache_bulk_put_checked(cls, n, p);
	for (i = 0; i < n; i++)
		goalloc_cache_free(c, p[i]);
}
EXPORT_SYMBOL_GPL(goalloc_cache_free_bulk);

/**
 * goalloc_free_bulk() - free objects, like kfree_bulk()
 * @n: how many
 * @p: objects from goalloc_alloc() or any cache, or NULL
 *
 * Context: any context where kfree_bulk() may be called.
 */
void goalloc_free_bulk(size_t n, void **p)
{
	size_t i;

	for (i = 0; i < n; i++)
		goalloc_free_caller(p[i], _RET_IP_);
}
EXPORT_SYMBOL_GPL(goalloc_free_bulk);

/**
 * goalloc_owns() - is @p in an object goalloc handed out?
 * @p: any pointer
 *
 * Quiet: no report, whatever @p is. A pointer into an object of a span of
 * one object (a large object, or one of 32 KiB and more) past its first
 * page costs a walk back over its struct pages.
 *
 * Context: any.
 * Return: true if @p lies in a live span of goalloc's.
 */
bool goalloc_owns(const void *p)
{
	struct span *s;

	return span_find(p, &s) || span_around(p);
}
EXPORT_SYMBOL_GPL(goalloc_owns);

/* ------------------------------------------------------------------ */
/* Statistics, init and exit */

/*
 * Statistics that read other CPUs' magazines unlocked hold cache_lock(),
 * so that a cache's magazines are not set up or torn down under them.
 */

/**
 * cache_lock() - keep caches and their classes from coming and going
 *
 * Context: process context, may sleep.
 */
void cache_lock(void)
{
	mutex_lock(&cache_mutex);
}

void cache_unlock(void)
{
	mutex_unlock(&cache_mutex);
}

/**
 * cache_for_each() - run @fn on every cache, for statistics
 * @fn: called for each
 * @arg: passed to @fn
 *
 * Context: cache_lock() held.
 */
void cache_for_each(void (*fn)(struct goalloc_cache *c, void *arg), void *arg)
{
	struct goalloc_cache *c;

	lockdep_assert_held(&cache_mutex);
	list_for_each_entry(c, &cache_list, list)
		fn(c, arg);
}
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(cache_for_each);

/**
 * cache_info() - what statistics show of a cache
 * @c: the cache, under cache_lock()
 * @ci: filled in; for a cache of page runs, allocs and frees
 */
void cache_info(struct goalloc_cache *c, struct goalloc_cache_info *ci)
{
	memset(ci, 0, sizeof(*ci));
	ci->name = c->name;
	ci->object_size = c->object_size;
	ci->size = c->size;
	ci->align = c->align;
	ci->cls = c->cls;
	ci->ctor = c->ctor;
	ci->rcu = c->flags & SLAB_TYPESAFE_BY_RCU;
	ci->hwcache = c->flags & SLAB_HWCACHE_ALIGN;
	ci->dead = c->dead;
}
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(cache_info);

/*
 * Unload: deferred frees are done first; caches their modules never
 * destroyed, or destroyed with objects left, go with their classes (their
 * spans go in central_exit(), which reports what is left).
 */
void cache_exit(void)
{
	struct goalloc_cache *c, *tmp;
	int cpu;

	goalloc_rcu_barrier();
	list_for_each_entry_safe(c, tmp, &cache_list, list) {
		if (!c->dead)
			pr_warn("unload: cache %s was not destroyed\n", c->name);
		list_del(&c->list);
		if (c->cls) {
			/* No caller is left: every CPU's magazines from here. */
			for_each_possible_cpu(cpu) {
				mcache_flush_class(cpu, c->cls);
				cache_mags_set(cpu, c->cls, NULL);
			}
			cache_store_free(c);
		}
		cache_free_struct(c);
	}
}
