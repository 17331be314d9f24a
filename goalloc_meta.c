// SPDX-License-Identifier: GPL-2.0
/*
 * goalloc span metadata: the struct span of every span, from a slab cache
 * of its own or kmalloc(), kept in a pool for reuse under heap_lock, and
 * freed a grace period late, so that a stale pointer to one still reads a
 * struct span (span_get()). Beside the heap (goalloc_heap.c), which takes
 * structs from it with a run for each span and gives them back.
 */

#include <linux/kmemleak.h>
#include <linux/slab.h>

#include "goalloc_internal.h"

/*
 * Span metadata. Go's mheap allocates mspans from its own fixalloc and
 * recycles them; here the heap keeps freed spans, one list per bitmap
 * size, under heap_lock, which span creation and destruction take anyway.
 * That saves a kmalloc() and a kfree() per span, most of a span's cost in
 * classes of few objects per span. The pool never holds more spans than
 * the heap has free Go pages to build spans on (at most 2.5 % of the idle
 * memory, for spans of 8-byte objects), and shrinks as chunks go back.
 */
#define HEAP_SPAN_WORDS		(2 * BITS_TO_LONGS(GOALLOC_MAX_SPAN_OBJECTS) + \
				 DIV_ROUND_UP(GOALLOC_MAX_SPAN_OBJECTS, 4))

static struct list_head span_pool[HEAP_SPAN_WORDS + 1];	/* heap_lock */
static unsigned long span_pool_count;			/* heap_lock */

/*
 * Spans of one bitmap word (classes of 64 objects per span or fewer, and
 * large objects, unless debug or track_waste add words) churn the most:
 * their metadata has a cache of its own, cheaper than kmalloc() and freed
 * in batches. kmemleak neither tracks nor scans it, as it would otherwise
 * scan only the list links (see span_meta_alloc()).
 */
static struct kmem_cache *span_cache;
#define SPAN_FREE_BATCH		16

/*
 * Metadata for a span of @words bitmap words, cache-line aligned, so that
 * what a free reads is one line (struct span): span_cache's by
 * SLAB_HWCACHE_ALIGN (128 bytes a struct rather than 104), kmalloc()'s as
 * its caches of 128 bytes and more lay objects out (unless slab debugging
 * moves them).
 */
static __always_inline struct span *span_meta_alloc(unsigned int words,
						    gfp_t gfp)
{
	gfp_t mgfp = (gfp & GOALLOC_GFP_MASK) | __GFP_NOWARN;
	struct span *s;

	if (words == SPAN_CACHE_WORDS)
		return kmem_cache_alloc(span_cache, mgfp);
	s = kmalloc(struct_size(s, allocbits, words), mgfp);
	/*
	 * kmemleak scans only the list links: s->base points to object 0,
	 * and would hide that object's leak.
	 */
	if (s)
		kmemleak_scan_area(&s->list, sizeof(s->list), mgfp);
	return s;
}

/**
 * heap_meta_free() - free the metadata of @n spans of @words bitmap words
 * @v: the span structs
 * @n: how many
 * @words: their bitmap words
 *
 * A struct goes back to the slab a grace period later (span_cache is
 * SLAB_TYPESAFE_BY_RCU; the others go with kfree_rcu()): a free that
 * found it through a stale page lookup with preemption off still reads a
 * struct span (span_get()). Until then it is a span struct with the same
 * bitmap words, or none.
 *
 * Not with kmem_cache_free_bulk(): in 6.1, SLAB's turns interrupts back
 * on, and this runs with them off (a free in hard IRQ, the drain).
 */
void heap_meta_free(struct span **v, unsigned int n, unsigned int words)
{
	while (n--) {
		if (words == SPAN_CACHE_WORDS)
			kmem_cache_free(span_cache, v[n]);
		else
			kfree_rcu(v[n], rcu);
	}
}

/**
 * heap_meta_alloc() - metadata for a span, for a page cache's stock
 * @words: its bitmap words
 * @gfp: the caller's mask
 *
 * Context: any that @gfp allows; takes no goalloc lock.
 * Return: the span struct, not set up, or NULL.
 */
struct span *heap_meta_alloc(unsigned int words, gfp_t gfp)
{
	return span_meta_alloc(words, gfp);
}

static __always_inline struct span *__span_pool_pop(unsigned int words)
{
	struct span *s;

	lockdep_assert_held(&heap_lock);
	/* span_words() is at most HEAP_SPAN_WORDS. */
	if (WARN_ON_ONCE(words > HEAP_SPAN_WORDS))
		return NULL;
	s = list_first_entry_or_null(&span_pool[words], struct span, list);
	if (s) {
		list_del(&s->list);
		span_pool_count--;
	}
	return s;
}

static __always_inline bool __span_pool_push(struct span *s,
					     unsigned int words)
{
	lockdep_assert_held(&heap_lock);
	if (span_pool_count >= heap_free_gopages || words > HEAP_SPAN_WORDS)
		return false;
	list_add(&s->list, &span_pool[words]);
	span_pool_count++;
	return true;
}

/**
 * __heap_span_pool_take() - span structs from the pool, for a page cache
 * @words: their bitmap words
 * @v: receives them
 * @n: how many are wanted
 *
 * Context: heap_lock held.
 * Return: how many @v received, 0 .. @n.
 */
unsigned int __heap_span_pool_take(unsigned int words, struct span **v,
				   unsigned int n)
{
	unsigned int got = 0;

	while (got < n && (v[got] = __span_pool_pop(words)))
		got++;
	return got;
}

/**
 * __heap_span_pool_push() - keep a span struct in the pool for reuse
 * @s: the span struct, in no list
 * @words: its bitmap words
 *
 * Context: heap_lock held.
 * Return: false when the pool is full: the caller frees @s.
 */
bool __heap_span_pool_push(struct span *s, unsigned int words)
{
	return __span_pool_push(s, words);
}

/* Is the span pool out of metadata of @words words? A racy peek. */
bool heap_span_pool_empty(unsigned int words)
{
	return list_empty(&span_pool[words]);
}

/* Free pooled spans beyond @keep, a batch per lock round trip. */
void heap_trim_span_pool(unsigned long keep)
{
	struct span *v[SPAN_FREE_BATCH];
	unsigned int w = 0, n;
	unsigned long flags;

	while (w <= HEAP_SPAN_WORDS) {
		spin_lock_irqsave(&heap_lock, flags);
		for (n = 0; n < SPAN_FREE_BATCH && span_pool_count > keep; n++) {
			v[n] = __span_pool_pop(w);
			if (!v[n])
				break;
		}
		spin_unlock_irqrestore(&heap_lock, flags);
		if (n)
			heap_meta_free(v, n, w);
		if (n < SPAN_FREE_BATCH) {
			if (READ_ONCE(span_pool_count) <= keep)
				break;
			w++;
		}
	}
}

/* Free every pooled span: drain level 2 and unload. */
void heap_release_span_pool(void)
{
	heap_trim_span_pool(0);
}

int heap_meta_init(void)
{
	unsigned int w;

	for (w = 0; w <= HEAP_SPAN_WORDS; w++)
		INIT_LIST_HEAD(&span_pool[w]);
	span_cache = kmem_cache_create("goalloc_span",
				       struct_size_t(struct span, allocbits,
						     SPAN_CACHE_WORDS),
				       0, SLAB_NOLEAKTRACE | SLAB_TYPESAFE_BY_RCU |
				       SLAB_HWCACHE_ALIGN, NULL);
	return span_cache ? 0 : -ENOMEM;
}

/* Unload: the pool is empty (heap_release_span_pool()). */
void heap_meta_exit(void)
{
	kmem_cache_destroy(span_cache);
}
