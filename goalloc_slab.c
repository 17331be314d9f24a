// SPDX-License-Identifier: GPL-2.0
/*
 * goalloc's side of goalloc_slab.h, the header that moves a module's slab
 * calls to goalloc: the calls that must tell goalloc's memory from the
 * kernel's, on top beside mcache and the caches.
 *
 * A module switched by the header allocates from goalloc, but it may free
 * what built-in code allocated for it with kmalloc (kstrdup(), kmemdup(),
 * match_strdup()), or kvmalloc'ed memory from vmalloc. Each free here
 * decides by the pointer, quietly: goalloc's objects go to goalloc, slab
 * and large kmalloc pages to kfree(), vmalloc addresses to vfree(); a
 * pointer that is none of those is goalloc's to refuse, as goalloc_free()
 * refuses it. This file is built without the header, so kfree() here is
 * the kernel's.
 */

#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/vmalloc.h>

#include "goalloc_mcache.h"

/*
 * Is @p the kernel's kmalloc memory, for the kernel to free? Not when a
 * span of goalloc's holds it (the common case: one page lookup), nor NULL
 * or ZERO_SIZE_PTR, nor on a page that is neither a slab nor compound:
 * goalloc's pages are neither, so goalloc takes (or refuses) those.
 */
static bool slab_is_kernels(const void *p)
{
	struct folio *folio;
	struct span *s;

	if (likely(span_find(p, &s)) || ZERO_OR_NULL_PTR(p) ||
	    !virt_addr_valid(p))
		return false;
	folio = virt_to_folio(p);
	return folio_test_slab(folio) || folio_test_large(folio);
}

/**
 * goalloc_kfree() - kfree() for a module switched by goalloc_slab.h
 * @p: an object of goalloc's, of kmalloc's, or NULL / ZERO_SIZE_PTR
 *
 * Context: any context where kfree() may be called.
 */
void goalloc_kfree(const void *p)
{
	if (slab_is_kernels(p))
		kfree(p);
	else
		goalloc_free_caller(p, _RET_IP_);
}
EXPORT_SYMBOL_GPL(goalloc_kfree);

/**
 * goalloc_kvfree() - kvfree() for a module switched by goalloc_slab.h
 * @p: an object of goalloc's or kmalloc's, vmalloc'ed memory, or NULL
 *
 * Context: as kvfree(): vmalloc'ed memory only where vfree() may be called.
 */
void goalloc_kvfree(const void *p)
{
	if (is_vmalloc_addr(p))
		vfree(p);
	else
		goalloc_kfree(p);
}
EXPORT_SYMBOL_GPL(goalloc_kvfree);

/**
 * goalloc_ksize() - ksize() for a module switched by goalloc_slab.h
 * @p: an object of goalloc's or kmalloc's
 *
 * Return: the bytes usable in it.
 */
size_t goalloc_ksize(const void *p)
{
	if (slab_is_kernels(p))
		return ksize(p);
	return goalloc_usable_size(p);
}
EXPORT_SYMBOL_GPL(goalloc_ksize);

/**
 * goalloc_krealloc() - krealloc() for a module switched by goalloc_slab.h
 * @p: an object of goalloc's or kmalloc's, or NULL
 * @size: bytes wanted
 * @gfp: allocation mask
 *
 * An object of kmalloc's moves to goalloc.
 *
 * Return: the object, or NULL (then @p is unchanged).
 */
void *goalloc_krealloc(const void *p, size_t size, gfp_t gfp)
{
	void *q;

	if (!slab_is_kernels(p))
		return goalloc_realloc(p, size, gfp);
	if (!size) {
		kfree(p);
		return ZERO_SIZE_PTR;
	}
	q = goalloc_alloc(size, gfp);
	if (!q)
		return NULL;
	memcpy(q, p, min(size, ksize(p)));
	kfree(p);
	return q;
}
EXPORT_SYMBOL_GPL(goalloc_krealloc);

/**
 * goalloc_kfree_sensitive() - kfree_sensitive() for a switched module
 * @p: as goalloc_kfree() takes it
 */
void goalloc_kfree_sensitive(const void *p)
{
	if (!ZERO_OR_NULL_PTR(p))
		memzero_explicit((void *)p, goalloc_ksize(p));
	goalloc_kfree(p);
}
EXPORT_SYMBOL_GPL(goalloc_kfree_sensitive);

/**
 * goalloc_kvmalloc() - kvmalloc() for a module switched by goalloc_slab.h
 * @size: bytes wanted
 * @gfp: allocation mask, as for kvmalloc()
 *
 * goalloc first, as kvmalloc_node() tries kmalloc first (without warnings
 * or retries above a page), then vmalloc where @gfp may sleep and the size
 * is over a page. NUMA nodes are not honoured.
 *
 * Return: the memory, or NULL.
 */
void *goalloc_kvmalloc(size_t size, gfp_t gfp)
{
	gfp_t first = gfp;
	void *p;

	if (size > PAGE_SIZE) {
		first |= __GFP_NOWARN;
		if (!(first & __GFP_RETRY_MAYFAIL))
			first |= __GFP_NORETRY;
		first &= ~__GFP_NOFAIL;
	}
	p = size <= GOALLOC_MAX_SIZE ? goalloc_alloc(size, first) : NULL;
	if (p || size <= PAGE_SIZE || !gfpflags_allow_blocking(gfp) ||
	    (gfp & GFP_KERNEL) != GFP_KERNEL)
		return p;
	if (unlikely(size > INT_MAX)) {
		WARN_ON_ONCE(!(gfp & __GFP_NOWARN));
		return NULL;
	}
	return __vmalloc(size, gfp);
}
EXPORT_SYMBOL_GPL(goalloc_kvmalloc);

/**
 * goalloc_kvrealloc() - kvrealloc() for a module switched by goalloc_slab.h
 * @p: memory from goalloc_kvmalloc(), kmalloc or vmalloc, or NULL
 * @oldsize: its size, as 6.1's kvrealloc() is told; 0 where the kernel's
 *	     kvrealloc() takes none (from 6.11)
 * @size: bytes wanted
 * @gfp: allocation mask
 *
 * goalloc's memory moves within goalloc (or to vmalloc, as kvmalloc goes);
 * the kernel's kvrealloc() resizes the kernel's memory.
 *
 * Return: the memory, or NULL (then @p is unchanged).
 */
void *goalloc_kvrealloc(const void *p, size_t oldsize, size_t size, gfp_t gfp)
{
	void *q;

	if (is_vmalloc_addr(p) || slab_is_kernels(p))
#ifdef GOALLOC_HAVE_KVREALLOC_NO_OLDSIZE
		return kvrealloc(p, size, gfp);
#else
		return kvrealloc(p, oldsize, size, gfp);
#endif
	oldsize = goalloc_usable_size(p);
	if (!ZERO_OR_NULL_PTR(p) && oldsize >= size)
		return (void *)p;
	q = goalloc_kvmalloc(size, gfp);
	if (!q)
		return NULL;
	if (!ZERO_OR_NULL_PTR(p))
		memcpy(q, p, oldsize);
	goalloc_free(p);
	return q;
}
EXPORT_SYMBOL_GPL(goalloc_kvrealloc);

/**
 * goalloc_kfree_bulk() - kfree_bulk() for a module switched by goalloc_slab.h
 * @n: how many
 * @p: objects as goalloc_kfree() takes them
 */
void goalloc_kfree_bulk(size_t n, void **p)
{
	size_t i;

	for (i = 0; i < n; i++)
		goalloc_kfree(p[i]);
}
EXPORT_SYMBOL_GPL(goalloc_kfree_bulk);
