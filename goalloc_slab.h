/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The drop-in header: it moves an unmodified module's slab calls to
 * goalloc. Force-include it into the module's build (ccflags-y +=
 * -include with this file's path) and build against goalloc's
 * Module.symvers (KBUILD_EXTRA_SYMBOLS); docs/caches.md, "Switching a
 * module to goalloc".
 *
 * What moves, by object-like macros (so that a function pointer to kfree
 * moves too):
 *  - the kmalloc family: kmalloc, kzalloc, kcalloc, kmalloc_array,
 *    krealloc, krealloc_array, kfree, kfree_sensitive, ksize, kfree_bulk,
 *    kmalloc_size_roundup, the _node and _track_caller forms (NUMA nodes
 *    are ignored: goalloc is not NUMA-aware);
 *  - kvmalloc, kvzalloc, kvmalloc_array, kvcalloc, kvrealloc, kvfree,
 *    kvfree_sensitive: goalloc up to GOALLOC_MAX_SIZE, vmalloc above, and
 *    kvfree() chooses by the address;
 *  - the kmem_cache family: kmem_cache_create (the classic five
 *    arguments), kmem_cache_create_usercopy (the usercopy region is not
 *    recorded), KMEM_CACHE, KMEM_CACHE_USERCOPY, kmem_cache_alloc,
 *    kmem_cache_zalloc, kmem_cache_alloc_node, kmem_cache_alloc_lru (the
 *    list_lru is for memory cgroups, which goalloc does not charge),
 *    kmem_cache_alloc_bulk, kmem_cache_free, kmem_cache_free_bulk,
 *    kmem_cache_destroy, kmem_cache_size, kmem_cache_shrink (nothing to
 *    do: goalloc's scavenger and shrinker give memory back), and
 *    alloc_inode_sb(), an inline helper of <linux/fs.h> that allocates
 *    from the module's inode cache;
 *  - kfree_rcu, kvfree_rcu and their _mightsleep forms.
 *
 * What stays: the page allocator, vmalloc itself, per-CPU memory, and
 * caches that built-in code owns. __getname() and __putname() use the
 * kernel's names_cachep and keep calling the kernel. Built-in code may
 * hand the module kmalloc'ed memory (kstrdup(), kmemdup(), match_strdup()
 * are not inline, so they allocate with kmalloc): kfree(), krealloc(),
 * ksize() and kvfree() tell it from goalloc's, quietly, and pass it to the
 * kernel. What cannot move is memory the module allocates and built-in
 * code frees with kfree(): docs/caches.md, "Switching a module to
 * goalloc", says how to find such a case.
 *
 * Kernel versions: 6.1 (inline functions in <linux/slab.h>) and 6.12
 * (macros around _noprof functions); both are #undef'ed first.
 */
#ifndef _GOALLOC_SLAB_H
#define _GOALLOC_SLAB_H

/* The kernel's headers first, so that what they define is redirected. */
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/rcupdate.h>
#include <linux/fs.h>

#include "goalloc.h"

/* __getname() and __putname() stay with the kernel's names_cachep. */
static inline char *__goalloc_kernel_getname(void)
{
	return kmem_cache_alloc(names_cachep, GFP_KERNEL);
}

static inline void __goalloc_kernel_putname(const char *name)
{
	kmem_cache_free(names_cachep, (void *)name);
}

#undef __getname
#undef __putname
#define __getname()		__goalloc_kernel_getname()
#define __putname(name)		__goalloc_kernel_putname(name)

/* ------------------------------------------------------------------ */
/* kmalloc */

static inline void *goalloc_kmalloc_node(size_t size, gfp_t gfp, int node)
{
	return goalloc_alloc(size, gfp);
}

static inline void *goalloc_kzalloc_node(size_t size, gfp_t gfp, int node)
{
	return goalloc_zalloc(size, gfp);
}

static inline void *goalloc_kmalloc_array(size_t n, size_t size, gfp_t gfp)
{
	size_t bytes;

	if (unlikely(check_mul_overflow(n, size, &bytes)))
		return NULL;
	return goalloc_alloc(bytes, gfp);
}

static inline void *goalloc_kmalloc_array_node(size_t n, size_t size,
					       gfp_t gfp, int node)
{
	return goalloc_kmalloc_array(n, size, gfp);
}

static inline void *goalloc_kcalloc_node(size_t n, size_t size, gfp_t gfp,
					 int node)
{
	return goalloc_calloc(n, size, gfp);
}

static inline void *goalloc_krealloc_array(void *p, size_t n, size_t size,
					   gfp_t gfp)
{
	size_t bytes;

	if (unlikely(check_mul_overflow(n, size, &bytes)))
		return NULL;
	return goalloc_krealloc(p, bytes, gfp);
}

#undef kmalloc
#undef kmalloc_node
#undef kzalloc
#undef kzalloc_node
#undef kcalloc
#undef kcalloc_node
#undef kmalloc_array
#undef kmalloc_array_node
#undef krealloc
#undef krealloc_array
#undef kfree
#undef kfree_sensitive
#undef ksize
#undef kfree_bulk
#undef kmalloc_track_caller
#undef kmalloc_node_track_caller
#undef kmalloc_size_roundup
#define kmalloc			goalloc_alloc
#define kmalloc_node		goalloc_kmalloc_node
#define kzalloc			goalloc_zalloc
#define kzalloc_node		goalloc_kzalloc_node
#define kcalloc			goalloc_calloc
#define kcalloc_node		goalloc_kcalloc_node
#define kmalloc_array		goalloc_kmalloc_array
#define kmalloc_array_node	goalloc_kmalloc_array_node
#define krealloc		goalloc_krealloc
#define krealloc_array		goalloc_krealloc_array
#define kfree			goalloc_kfree
#define kfree_sensitive		goalloc_kfree_sensitive
#define ksize			goalloc_ksize
#define kfree_bulk		goalloc_kfree_bulk
#define kmalloc_track_caller	goalloc_alloc
#define kmalloc_node_track_caller goalloc_kmalloc_node
#define kmalloc_size_roundup	goalloc_size_roundup

/* ------------------------------------------------------------------ */
/* kvmalloc */

static inline void *goalloc_kvmalloc_node(size_t size, gfp_t gfp, int node)
{
	return goalloc_kvmalloc(size, gfp);
}

static inline void *goalloc_kvzalloc(size_t size, gfp_t gfp)
{
	return goalloc_kvmalloc(size, gfp | __GFP_ZERO);
}

static inline void *goalloc_kvzalloc_node(size_t size, gfp_t gfp, int node)
{
	return goalloc_kvmalloc(size, gfp | __GFP_ZERO);
}

static inline void *goalloc_kvmalloc_array(size_t n, size_t size, gfp_t gfp)
{
	size_t bytes;

	if (unlikely(check_mul_overflow(n, size, &bytes)))
		return NULL;
	return goalloc_kvmalloc(bytes, gfp);
}

static inline void *goalloc_kvcalloc(size_t n, size_t size, gfp_t gfp)
{
	return goalloc_kvmalloc_array(n, size, gfp | __GFP_ZERO);
}

static inline void goalloc_kvfree_sensitive(const void *p, size_t len)
{
	if (!ZERO_OR_NULL_PTR(p))
		memzero_explicit((void *)p, len);
	goalloc_kvfree(p);
}

#undef kvmalloc
#undef kvmalloc_node
#undef kvzalloc
#undef kvzalloc_node
#undef kvmalloc_array
#undef kvcalloc
#undef kvrealloc
#undef kvfree
#undef kvfree_sensitive
#define kvmalloc		goalloc_kvmalloc
#define kvmalloc_node		goalloc_kvmalloc_node
#define kvzalloc		goalloc_kvzalloc
#define kvzalloc_node		goalloc_kvzalloc_node
#define kvmalloc_array		goalloc_kvmalloc_array
#define kvcalloc		goalloc_kvcalloc
#define kvfree			goalloc_kvfree
#define kvfree_sensitive	goalloc_kvfree_sensitive
/* kvrealloc(p, oldsize, size, gfp) up to 6.10; kvrealloc(p, size, gfp) after. */
#define __goalloc_pick4(_1, _2, _3, _4, name, ...)	name
#define __goalloc_kvrealloc_3(p, size, gfp)	goalloc_kvrealloc(p, 0, size, gfp)
#define kvrealloc(...)							\
	__goalloc_pick4(__VA_ARGS__, goalloc_kvrealloc,			\
			__goalloc_kvrealloc_3)(__VA_ARGS__)

/* ------------------------------------------------------------------ */
/* kmem_cache: a goalloc cache behind each struct kmem_cache pointer */

#define __goalloc_cache(s)	((struct goalloc_cache *)(s))

static inline struct kmem_cache *
goalloc_kmem_cache_create(const char *name, unsigned int size,
			  unsigned int align, slab_flags_t flags,
			  void (*ctor)(void *))
{
	return (struct kmem_cache *)goalloc_cache_create(name, size, align,
							 flags, ctor);
}

static inline struct kmem_cache *
goalloc_kmem_cache_create_usercopy(const char *name, unsigned int size,
				   unsigned int align, slab_flags_t flags,
				   unsigned int useroffset,
				   unsigned int usersize,
				   void (*ctor)(void *))
{
	return goalloc_kmem_cache_create(name, size, align, flags, ctor);
}

static inline void *goalloc_kmem_cache_alloc(struct kmem_cache *s, gfp_t gfp)
{
	return goalloc_cache_alloc(__goalloc_cache(s), gfp);
}

static inline void *goalloc_kmem_cache_zalloc(struct kmem_cache *s, gfp_t gfp)
{
	return goalloc_cache_alloc(__goalloc_cache(s), gfp | __GFP_ZERO);
}

static inline void *goalloc_kmem_cache_alloc_node(struct kmem_cache *s,
						  gfp_t gfp, int node)
{
	return goalloc_cache_alloc(__goalloc_cache(s), gfp);
}

static inline void *goalloc_kmem_cache_alloc_lru(struct kmem_cache *s,
						 struct list_lru *lru,
						 gfp_t gfp)
{
	return goalloc_cache_alloc(__goalloc_cache(s), gfp);
}

static inline void goalloc_kmem_cache_free(struct kmem_cache *s, void *p)
{
	goalloc_cache_free(__goalloc_cache(s), p);
}

static inline int goalloc_kmem_cache_alloc_bulk(struct kmem_cache *s,
						gfp_t gfp, size_t n, void **p)
{
	return goalloc_cache_alloc_bulk(__goalloc_cache(s), gfp, n, p);
}

static inline void goalloc_kmem_cache_free_bulk(struct kmem_cache *s,
						size_t n, void **p)
{
	if (s)
		goalloc_cache_free_bulk(__goalloc_cache(s), n, p);
	else
		goalloc_kfree_bulk(n, p);
}

static inline void goalloc_kmem_cache_destroy(struct kmem_cache *s)
{
	goalloc_cache_destroy(__goalloc_cache(s));
}

static inline unsigned int goalloc_kmem_cache_size(struct kmem_cache *s)
{
	return goalloc_cache_size(__goalloc_cache(s));
}

static inline int goalloc_kmem_cache_shrink(struct kmem_cache *s)
{
	return 0;
}

#undef kmem_cache_create
#undef kmem_cache_create_usercopy
#undef KMEM_CACHE
#undef KMEM_CACHE_USERCOPY
#undef kmem_cache_alloc
#undef kmem_cache_zalloc
#undef kmem_cache_alloc_node
#undef kmem_cache_alloc_lru
#undef kmem_cache_free
#undef kmem_cache_alloc_bulk
#undef kmem_cache_free_bulk
#undef kmem_cache_destroy
#undef kmem_cache_size
#undef kmem_cache_shrink
#undef alloc_inode_sb
#define kmem_cache_create	goalloc_kmem_cache_create
#define kmem_cache_create_usercopy goalloc_kmem_cache_create_usercopy
#define KMEM_CACHE(__struct, __flags)					\
	goalloc_kmem_cache_create(#__struct, sizeof(struct __struct),	\
				  __alignof__(struct __struct), (__flags), NULL)
#define KMEM_CACHE_USERCOPY(__struct, __flags, __field)			\
	goalloc_kmem_cache_create(#__struct, sizeof(struct __struct),	\
				  __alignof__(struct __struct), (__flags), NULL)
#define kmem_cache_alloc	goalloc_kmem_cache_alloc
#define kmem_cache_zalloc	goalloc_kmem_cache_zalloc
#define kmem_cache_alloc_node	goalloc_kmem_cache_alloc_node
#define kmem_cache_alloc_lru	goalloc_kmem_cache_alloc_lru
#define kmem_cache_free		goalloc_kmem_cache_free
#define kmem_cache_alloc_bulk	goalloc_kmem_cache_alloc_bulk
#define kmem_cache_free_bulk	goalloc_kmem_cache_free_bulk
#define kmem_cache_destroy	goalloc_kmem_cache_destroy
#define kmem_cache_size		goalloc_kmem_cache_size
#define kmem_cache_shrink	goalloc_kmem_cache_shrink
/* An inline of <linux/fs.h>, compiled above with the kernel's call. */
#define alloc_inode_sb(sb, cache, gfp)	goalloc_kmem_cache_alloc(cache, gfp)

/* ------------------------------------------------------------------ */
/* kfree_rcu */

#define __goalloc_rcu_pick(_1, _2, name, ...)	name
#define __goalloc_kvfree_rcu_2(ptr, rhf)	goalloc_free_rcu(ptr, rhf)
#define __goalloc_kvfree_rcu_1(ptr)					\
do {									\
	typeof(ptr) ___q = (ptr);					\
									\
	if (___q) {							\
		synchronize_rcu();					\
		goalloc_kvfree(___q);					\
	}								\
} while (0)

#undef kfree_rcu
#undef kvfree_rcu
#undef kfree_rcu_mightsleep
#undef kvfree_rcu_mightsleep
#define kvfree_rcu(...)							\
	__goalloc_rcu_pick(__VA_ARGS__, __goalloc_kvfree_rcu_2,		\
			   __goalloc_kvfree_rcu_1)(__VA_ARGS__)
#define kfree_rcu(...)			kvfree_rcu(__VA_ARGS__)
#define kfree_rcu_mightsleep(ptr)	__goalloc_kvfree_rcu_1(ptr)
#define kvfree_rcu_mightsleep(ptr)	__goalloc_kvfree_rcu_1(ptr)

/* __free(kfree) and __free(kvfree) of <linux/cleanup.h>, renamed above. */
#ifdef DEFINE_FREE
static inline void __goalloc_cleanup_kfree(void *p)
{
	if (!IS_ERR_OR_NULL(p))
		goalloc_kfree(p);
}

static inline void __goalloc_cleanup_kvfree(void *p)
{
	if (!IS_ERR_OR_NULL(p))
		goalloc_kvfree(p);
}

DEFINE_FREE(goalloc_kfree, void *, __goalloc_cleanup_kfree(_T))
DEFINE_FREE(goalloc_kvfree, void *, __goalloc_cleanup_kvfree(_T))
#endif

#endif /* _GOALLOC_SLAB_H */
