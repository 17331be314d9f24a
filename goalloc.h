/* SPDX-License-Identifier: GPL-2.0 */
/*
 * goalloc - the Go runtime's memory allocator as a kernel allocator.
 *
 * The API has kmalloc's shape, so a caller switches by changing names:
 *
 *	kmalloc  -> goalloc_alloc	kzalloc -> goalloc_zalloc
 *	kcalloc  -> goalloc_calloc	krealloc -> goalloc_realloc
 *	kfree    -> goalloc_free	ksize   -> goalloc_usable_size
 *
 * (or, without changing a line, by force-including goalloc_slab.h:
 * docs/caches.md); kmem_cache's half is below.
 *
 * Guarantees, as kmalloc gives them on Linux 6.1:
 *  - objects are at least 8-byte aligned, and an object of a power-of-two
 *    size is aligned to that size, up to GOALLOC_MAX_SIZE;
 *  - size 0 returns ZERO_SIZE_PTR; sizes above GOALLOC_MAX_SIZE (4 MiB,
 *    KMALLOC_MAX_SIZE on x86-64) return NULL with a warning unless
 *    __GFP_NOWARN is set;
 *  - every function may be called wherever kmalloc/kfree with the same gfp
 *    mask may be, hard-IRQ context included with GFP_ATOMIC or GFP_NOWAIT;
 *    nothing sleeps unless the gfp mask allows it;
 *  - __GFP_ZERO, init_on_alloc and init_on_free are honoured;
 *  - zone modifiers (__GFP_DMA, __GFP_DMA32, __GFP_HIGHMEM) are not
 *    supported: memory always comes from ZONE_NORMAL's direct map.
 *
 * Cost: an allocation or free that hits the calling CPU's cache is an array
 * pop or push, with preemption disabled in task context and interrupts
 * disabled in softirq and hard-IRQ context; a miss moves a batch of
 * objects under one size class's spinlock; objects above 32 KiB are page
 * runs from goalloc's page heap.
 *
 * Bad input (a pointer goalloc did not hand out, an interior pointer, a
 * second free of an object free in its span or freed last on this CPU;
 * with the debug parameter, any second free) is refused with a
 * rate-limited warning and counted in debugfs; the allocator is not
 * changed by it. Without the debug parameter, a second free of an object
 * deeper in a CPU's cache is caught only when the cache gives the object
 * back to its span while its slot is still free; it may have been handed
 * out twice by then, and if its slot was handed out again, the second
 * copy frees the new owner's object, as with kfree(): the slot is handed
 * out once more, and its span counts one object fewer than it holds, so
 * it can empty and its pages go back to the page heap while that owner
 * still uses the object. Of two frees of one object that race, the one
 * that finds the object's span changed since it looked it up is refused.
 * Allocations and frees in NMI context are refused; goalloc_usable_size()
 * works there.
 */
#ifndef _GOALLOC_H
#define _GOALLOC_H

#include <linux/types.h>
#include <linux/gfp.h>
#include <linux/slab.h>
#include <linux/stddef.h>

/* Largest object goalloc_alloc() serves: one chunk of its page heap. */
#define GOALLOC_MAX_SIZE	(4UL << 20)

void *goalloc_alloc(size_t size, gfp_t gfp) __malloc;
void *goalloc_zalloc(size_t size, gfp_t gfp) __malloc;
void *goalloc_calloc(size_t n, size_t size, gfp_t gfp) __malloc;
void *goalloc_realloc(const void *p, size_t new_size, gfp_t gfp);
void goalloc_free(const void *p);
size_t goalloc_usable_size(const void *p);
void goalloc_free_bulk(size_t n, void **p);
bool goalloc_owns(const void *p);
size_t goalloc_size_roundup(size_t size);

/*
 * What goalloc_slab.h sends a switched module's kfree(), kvmalloc() and
 * friends to: they take the kernel's kmalloc and vmalloc memory too.
 */
void goalloc_kfree(const void *p);
void goalloc_kvfree(const void *p);
size_t goalloc_ksize(const void *p);
void *goalloc_krealloc(const void *p, size_t size, gfp_t gfp);
void goalloc_kfree_sensitive(const void *p);
void *goalloc_kvmalloc(size_t size, gfp_t gfp);
void *goalloc_kvrealloc(const void *p, size_t oldsize, size_t size,
			gfp_t gfp);
void goalloc_kfree_bulk(size_t n, void **p);

/*
 * Caches, with kmem_cache's shape and semantics on Linux 6.1:
 *
 *	kmem_cache_create -> goalloc_cache_create   (flags: SLAB_HWCACHE_ALIGN,
 *	kmem_cache_alloc  -> goalloc_cache_alloc     SLAB_TYPESAFE_BY_RCU,
 *	kmem_cache_free   -> goalloc_cache_free      SLAB_ACCOUNT and the debug
 *	kmem_cache_destroy -> goalloc_cache_destroy  flags are accepted)
 *	kmem_cache_alloc_bulk / _free_bulk -> goalloc_cache_alloc_bulk / _free_bulk
 *	kfree_rcu(ptr, rhf) -> goalloc_free_rcu(ptr, rhf)
 *
 * Each cache has spans and per-CPU magazines of its own, and its own row in
 * debugfs "caches" and "slabinfo". A constructor runs once per object, when
 * its span is made; objects go back in their constructed state. An object
 * over 32 KiB has a span of its own. goalloc_free() and goalloc_free_rcu()
 * take cache objects too. NUMA nodes are ignored, and no memory cgroup is
 * charged (SLAB_ACCOUNT).
 */
struct goalloc_cache;

struct goalloc_cache *goalloc_cache_create(const char *name, unsigned int size,
					   unsigned int align,
					   slab_flags_t flags,
					   void (*ctor)(void *));
void goalloc_cache_destroy(struct goalloc_cache *c);
void *goalloc_cache_alloc(struct goalloc_cache *c, gfp_t gfp) __malloc;
void goalloc_cache_free(struct goalloc_cache *c, void *p);
int goalloc_cache_alloc_bulk(struct goalloc_cache *c, gfp_t gfp, size_t n,
			     void **p);
void goalloc_cache_free_bulk(struct goalloc_cache *c, size_t n, void **p);
unsigned int goalloc_cache_size(struct goalloc_cache *c);
const char *goalloc_cache_name(struct goalloc_cache *c);

static inline void *goalloc_cache_zalloc(struct goalloc_cache *c, gfp_t gfp)
{
	return goalloc_cache_alloc(c, gfp | __GFP_ZERO);
}

void __goalloc_free_rcu(struct rcu_head *head, unsigned long offset);
void goalloc_rcu_barrier(void);

/**
 * goalloc_free_rcu() - free an object after an RCU grace period, like
 * kfree_rcu()
 * @ptr: an object from goalloc_alloc() or any goalloc cache (or kmalloc or
 *	 vmalloc memory, as kvfree_rcu() takes it), or NULL
 * @rhf: the name of a struct rcu_head field of *@ptr, which goalloc uses
 *
 * Context: any context where kfree_rcu() may be called.
 */
#define goalloc_free_rcu(ptr, rhf)					\
do {									\
	typeof(ptr) ___p = (ptr);					\
									\
	if (___p)							\
		__goalloc_free_rcu(&___p->rhf,				\
				   offsetof(typeof(*___p), rhf));	\
} while (0)

#endif /* _GOALLOC_H */
