/* SPDX-License-Identifier: GPL-2.0 */
/*
 * goalloc spans (goalloc_span.c): struct span, the page map from a pointer
 * to its span, and the checks a free makes of a span it may be racing
 * for. The spans' section of goalloc_internal.h, which includes it where
 * the layers below spans need them: the size classes and the reports
 * come before it there, mcentral and the heap after.
 */
#ifndef _GOALLOC_SPAN_H
#define _GOALLOC_SPAN_H

#ifndef _GOALLOC_INTERNAL_H
#error "only goalloc_internal.h includes this header"
#endif

enum span_state {
	SPAN_PARTIAL,	/* on central->partial: some slots free */
	SPAN_FULL,	/* on central->full: no slot free */
	SPAN_EMPTY,	/* on central->empty: every slot free, kept for reuse */
	SPAN_CACHED,	/* owned by one CPU's mcache, on no list */
	SPAN_LARGE,	/* one large object, on its CPU's large_list */
	NR_SPAN_STATES
};

/**
 * struct span - a run of Go pages serving one size class or one large object
 * @list:	central list (by state), or for a large object its CPU's
 *		large_list; central lock / that list's lock
 * @rcu:	a CLASS_RCU span on its way back to the heap, in no list,
 *		waits a grace period with this (spans_destroy())
 * @base:	address of object 0
 * @divmagic:	the class's (class_divmagic[]): slot of an offset by one
 *		multiply (divmagic_slot()), as Go's mspan.divMul
 * @chunk:	heap chunk the pages belong to
 * @first:	index of the span's first Go page in @chunk
 * @npages:	Go pages in the span
 * @cls:	size class, 0 for a large object
 * @state:	enum span_state; central lock
 * @cpu:	owning CPU while SPAN_CACHED (central lock); for a large
 *		object, the CPU whose large_list holds it; else -1
 * @nelems:	object slots
 * @allocated:	slots not free in the span (handed out or in a CPU cache)
 * @freeindex:	first slot of the 64-slot window @alloc_cache describes; no
 *		slot below it is free
 * @nsampled:	objects of the span in the heap profile; profile_lock
 * @gen:	changes whenever the span empties or goes, and when its large
 *		object is mapped or claimed (see span_get()); central lock, or
 *		for a large object atomically (span_next_gen_atomic())
 * @fast_nelems: the slots the free fast path takes (span_slot_live()):
 *		@nelems, or 0 while @nsampled is not, so that the frees of a
 *		span with objects in the heap profile take the slow path,
 *		which tells the profile, at no cost to the others; profile_lock
 * @alloc_cache: ~allocbits of the window, so __ffs() finds a free slot
 * @cachedbits:	debug only: slots free but held in some CPU's magazine
 * @req:	track_waste only: bytes requested for each slot's object
 * @size:	large objects: bytes requested
 * @allocbits:	bit per slot, set while the slot is not free in the span;
 *		bits past @nelems stay clear (span_take() never reaches them)
 *
 * Everything but @cachedbits is protected by the class's central lock (the
 * large_list lock for large spans). goalloc_free() reads @allocbits without it:
 * the caller owns the object, so its bit cannot change under it. A caller
 * that does not (a double free racing with the first) may read a span that
 * changes under it, or a struct reused for another span: span_get() says
 * how such a free finds out.
 */
struct span {
	/* What the free fast path does not read: the first cache line. */
	union {
		struct list_head list;
		struct rcu_head rcu;
	};
	struct heap_chunk *chunk;
	unsigned long *cachedbits;
	u16 *req;
	size_t size;
	u64 alloc_cache;
	u16 first;
	u16 npages;
	s16 cpu;
	u8 state;
	/*
	 * What it reads, in the second with the first four bitmap words (256
	 * slots): a free whose span is not in the L1d misses one line for it.
	 */
	unsigned long base;
	u64 divmagic;
	u8 cls;
	u16 nelems;
	u16 fast_nelems;
	u16 allocated;
	unsigned int gen;
	u16 freeindex;
	u16 nsampled;
	unsigned long allocbits[];
};
#ifdef CONFIG_X86_64
/* The structs are cache-line aligned (span_meta_alloc()). */
static_assert(offsetof(struct span, base) == L1_CACHE_BYTES);
#endif

/* On while debug=1 / track_waste=1, set at load (goalloc_init()). */
DECLARE_STATIC_KEY_FALSE(goalloc_debug_key);
DECLARE_STATIC_KEY_FALSE(goalloc_track_key);

/*
 * Words of a span's trailing metadata: allocbits, cachedbits if debug, a
 * u16 per slot if track_waste. The keys, not the parameters: from 1 KiB
 * a span holds 1 to 14 objects, so spans are made and freed often.
 */
static inline unsigned int span_words(unsigned int nelems)
{
	unsigned int words = BITS_TO_LONGS(nelems);

	if (static_branch_unlikely(&goalloc_debug_key))
		words *= 2;
	if (static_branch_unlikely(&goalloc_track_key))
		words += DIV_ROUND_UP(nelems, 4);
	return words;
}

static inline size_t span_bytes(const struct span *s)
{
	return (size_t)s->npages * GOALLOC_PAGE_SIZE;
}

/* A large object's span, or a class's of one slot (see below). */
static inline bool span_one_object(const struct span *s)
{
	return s->nelems == 1;
}

/*
 * The kernel pages that lead to @s while it lives (span_map_pages()): all
 * of a span of several objects, which lie on any of them; only the first
 * of a one-object span (a large object; a class's span of one slot, as
 * at 32 KiB and for a cache's objects above it), whose object is freed
 * and looked up by its address. Mapping the others would cost two stores
 * a page when the span is made and two when it goes (15 pages at 64 KiB,
 * 63 at 256 KiB); span_around() finds the object of a pointer into them,
 * for reports.
 */
static inline unsigned int span_mapped_pages(const struct span *s)
{
	return span_one_object(s) ? 1 : s->npages << GOALLOC_PAGE_ORDER;
}

/*
 * Pointer to span in O(1): the pages of a live span that
 * span_mapped_pages() names keep the span in page->private and, as proof
 * that goalloc wrote it, the span xor a random cookie in page->index.
 * goalloc owns these fields: its pages come from alloc_pages() without
 * __GFP_COMP.
 */
extern unsigned long heap_lo, heap_hi;

/*
 * The globals the fast paths read, in one cache line (goalloc_heap.c):
 * what span_find() reads before the object's struct page, and the CPUs'
 * magazines. Under KASLR, PAGE_OFFSET and vmemmap are the kernel's
 * variables, each in a line of its own: with copies here, a free with
 * nothing of goalloc's in the cache misses one line for all of them.
 * Set at load, but @heap_top, which only rises (heap_lock).
 */
struct mcache_mags;

struct goalloc_fastpath {
	unsigned long page_offset;	/* PAGE_OFFSET */
	struct page *pages;		/* pfn_to_page(0), vmemmap */
	unsigned long heap_top;		/* heap_hi - PAGE_OFFSET */
	unsigned long cookie;		/* odd: the proof in page->index */
	struct mcache_mags __percpu *mags;	/* goalloc_percpu.c */
};

extern struct goalloc_fastpath goalloc_fastpath;

/*
 * virt_to_page() of a heap address, which lies in the direct map. On
 * x86-64, __pa() also tests for a kernel-image address first: a branch and
 * two loads that the free path does not need.
 */
static __always_inline struct page *heap_page(const void *p)
{
#if defined(CONFIG_X86_64) && defined(CONFIG_SPARSEMEM_VMEMMAP)
	return goalloc_fastpath.pages + (((unsigned long)p -
				       goalloc_fastpath.page_offset) >> PAGE_SHIFT);
#elif defined(CONFIG_X86_64)
	return pfn_to_page(((unsigned long)p - PAGE_OFFSET) >> PAGE_SHIFT);
#else
	return virt_to_page(p);
#endif
}

/*
 * Find @p's span: false if goalloc does not own @p's page, or if @p lies
 * past the first kernel page of a one-object span (span_around() finds
 * those); else *@s is set, never to NULL. NULL and ZERO_SIZE_PTR lie below
 * any heap address, so they give false too. *@pagep is set to @p's page
 * with *@s.
 */
static __always_inline bool __span_find(const void *p, struct span **s,
					struct page **pagep)
{
	unsigned long addr = (unsigned long)p;
	struct page *page;
	unsigned long priv;

	/*
	 * Every address goalloc handed out, and every stack, kmalloc, vmalloc
	 * or module address, either fails this test or has a struct page;
	 * only a direct-map address in a hole of physical memory without one
	 * (the PCI hole below 4 GiB, memory hot-removed) would not: freeing
	 * one oopses here, as it does in kfree().
	 */
#ifdef CONFIG_X86_64
	/*
	 * One compare: the direct map comes first in the kernel's half, and
	 * an address below PAGE_OFFSET wraps past heap_top, heap_hi's offset
	 * from it, which only rises (read plainly, so that the compare takes
	 * it as its operand).
	 */
	if (unlikely(data_race(goalloc_fastpath.heap_top) <=
		     addr - goalloc_fastpath.page_offset))
		return false;
#else
	/* heap_lo only falls and heap_hi only rises: a stale pair is narrower. */
	if (unlikely(addr < READ_ONCE(heap_lo) || addr >= READ_ONCE(heap_hi)))
		return false;
#endif
	page = heap_page(p);
	priv = READ_ONCE(page->private);
	/*
	 * Unmapped pages have both fields 0, and the cookie is odd; a page
	 * never mapped matches by a 2^-64 chance. A match is never NULL.
	 * private is read once, as it is used twice; index may be read before
	 * or after it (a plain load, which the compare takes as its operand):
	 * either way only a pair written for the same span matches.
	 */
	if (unlikely((priv ^ goalloc_fastpath.cookie) != data_race(page->index)))
		return false;
	*s = (struct span *)priv;
	*pagep = page;
	return true;
}

static __always_inline bool span_find(const void *p, struct span **s)
{
	struct page *page;

	return __span_find(p, s, &page);
}

/* Return: @p's span as span_find() sees it, or NULL. */
static __always_inline struct span *span_of(const void *p)
{
	struct span *s;

	return span_find(p, &s) ? s : NULL;
}

/**
 * span_get() - find @p's span, and the generation its fields belong to
 * @p: the pointer
 * @s: set to the span when found
 * @gen: set to @s->gen
 *
 * A free of an object it owns finds the object's span unchanged from
 * lookup to claim: the object keeps it from emptying. Two frees of one
 * object, racing, do not: while one looks the span up, the other's free
 * may empty the span, which then goes, its struct made another span's, or
 * fills again. Every such change moves @s->gen (the span emptied, was
 * unmapped, or its large object mapped or claimed: __span_put(),
 * span_unmap(), span_map(), large_free()), and span_unchanged() with the
 * @gen read here tells the loser, which refuses the free as a double free.
 *
 * Span structs stay span structs: heap_meta_free() frees them after an
 * RCU grace period, so the caller looks up and reads @s with preemption
 * or interrupts off, or in rcu_read_lock(), and reads a struct span even
 * if it is stale. Its fields read after this are those of the span that
 * held @p when @gen was read, until span_unchanged() says otherwise: @p's
 * page, read again after @gen, still leads to @s; a span's fields are
 * written before its pages lead to it (span_map_pages()), and its pages no
 * longer lead to it before @gen moves for its end.
 *
 * Return: false if goalloc does not own @p's page (as span_find()), or if
 * @p's span changed while it was looked up.
 */
static __always_inline bool span_get(const void *p, struct span **s,
				     unsigned int *gen)
{
	struct page *page;

	if (!__span_find(p, s, &page))
		return false;
	*gen = READ_ONCE((*s)->gen);
	/* @gen before the page again: pairs with span_unmap()'s stores. */
	smp_rmb();
	return READ_ONCE(page->private) == (unsigned long)*s;
}

/* Is @s the span span_get() found, read in @gen, still? */
static __always_inline bool span_unchanged(const struct span *s,
					   unsigned int gen)
{
	/* The fields read before @gen again: pairs with span_next_gen(). */
	smp_rmb();
	return READ_ONCE(s->gen) == gen;
}

/* A change span_get() readers see; the central lock, or the span is ours. */
static __always_inline void span_next_gen(struct span *s)
{
	WRITE_ONCE(s->gen, s->gen + 1);
	/* Before anything that makes the span, or its slots, anew. */
	smp_wmb();
}

/*
 * span_next_gen() where frees may cmpxchg() @s->gen at once: a large
 * object's losing frees (large_free()). A plain increment could lose
 * theirs, and a later free that read the value in between would then
 * match the generation of the next object in the same run. A full
 * barrier: the page stores before it (span_unmap()) and after it
 * (span_map_pages()) are ordered against it.
 */
static __always_inline void span_next_gen_atomic(struct span *s)
{
	unsigned int gen = READ_ONCE(s->gen);

	while (!try_cmpxchg(&s->gen, &gen, gen + 1))
		;
}

/*
 * Go's divmul, widened: a class's divmagic is ceil(2^64 / size), and the
 * 128-bit product @off * divmagic has @off / size in its high half and,
 * in its low half, a value below divmagic exactly when size divides @off
 * (Lemire, Kaser and Kurz, "Faster Remainder by Direct Computation",
 * 2019), for every @off below 2^32: every offset in a span (the
 * generator checks the size classes' spans at each; KUnit too). Above, the
 * index is never below @off / size, so that an offset past a span, or one
 * below its base wrapped around, has an index past its slots. Go's 32-bit
 * product needed a shift to reach the index, and wrapped for the offsets
 * of a stale span.
 *
 * On x86-64 one mulq, @magic read from memory (the span's, in the line
 * its free reads): the compiler's 128-bit multiply costs register moves.
 */
#ifdef CONFIG_X86_64
static __always_inline unsigned long divmagic_idx(unsigned long off,
						  const u64 *magic)
{
	unsigned long idx;

	asm("mulq %[magic]" : "+a" (off), "=d" (idx) : [magic] "m" (*magic));
	return idx;
}

/* Does a slot start at @off, and which (*@idx)? As above. */
static __always_inline bool divmagic_slot(unsigned long off, const u64 *magic,
					  unsigned long *idx)
{
	bool slot;

	/* @idx early-clobbered: the compare reads @magic after the mulq. */
	asm("mulq %[magic]\n\tcmpq %[magic], %%rax" CC_SET(b)
	    : CC_OUT(b) (slot), "+a" (off), "=&d" (*idx)
	    : [magic] "m" (*magic));
	return slot;
}
#else
static __always_inline unsigned long divmagic_idx(unsigned long off,
						  const u64 *magic)
{
	return mul_u64_u64_shr(off, *magic, 64);
}

static __always_inline bool divmagic_slot(unsigned long off, const u64 *magic,
					  unsigned long *idx)
{
	*idx = divmagic_idx(off, magic);
	return (u64)off * *magic < *magic;
}
#endif

/* The divmagic of objects @size bytes apart (class_set()). */
static inline u64 divmagic_of(unsigned int size)
{
	return div64_u64(U64_MAX, size) + 1;
}

/**
 * object_check() - is @p an object of @s that is not free in it?
 * @s: span_of(@p)
 * @cls: @s->cls, which the caller has loaded already
 * @p: the pointer
 * @idx: set to the object's slot when it is
 *
 * Return: REPORT_NONE, REPORT_INTERIOR or REPORT_DOUBLE_FREE.
 */
static __always_inline enum goalloc_report
object_check(const struct span *s, unsigned int cls, const void *p,
	     unsigned int *idx)
{
	unsigned long slot;

	if (unlikely(!cls)) {
		*idx = 0;
		return p != (void *)s->base ? REPORT_INTERIOR : REPORT_NONE;
	}
	/* The bound first: @s may be changing (span_get()). */
	if (!divmagic_slot((unsigned long)p - s->base, &s->divmagic, &slot) ||
	    slot >= READ_ONCE(s->nelems))
		return REPORT_INTERIOR;
	*idx = slot;
	return likely(test_bit(slot, s->allocbits)) ? REPORT_NONE :
						      REPORT_DOUBLE_FREE;
}

struct span *span_create(unsigned int cls, unsigned int npages, gfp_t gfp);
void span_map(struct span *s);
struct span *span_around(const void *p);
unsigned int spans_create(unsigned int cls, unsigned int n, gfp_t gfp,
			  struct list_head *list);
struct fault_attr;
extern struct fault_attr goalloc_fail_spans;
void span_destroy(struct span *s);
void spans_destroy(struct list_head *list);
unsigned int span_take(struct span *s, void **objs, unsigned int n);

/*
 * A span about to go back to the heap, or a large object being freed: its
 * pages no longer lead to it (see span_map_pages()). Inline: a large
 * object's free unmaps its span each time.
 */
static __always_inline void span_unmap(struct span *s)
{
	struct page *page = heap_page((void *)s->base);
	unsigned int i, n = span_mapped_pages(s);

	for (i = 0; i < n; i++, page = nth_page(page, 1)) {
		/*
		 * A racing span_find() sees old and new fields mixed, in
		 * either order, and no mixed pair matches.
		 */
		WRITE_ONCE(page->index, 0);
		WRITE_ONCE(page->private, 0);
	}
	span_next_gen_atomic(s);
	count_event(EV_SPAN_FREE);
}

/* Slot of @p in small-object span @s; @p must be in the span. */
static __always_inline unsigned int span_obj_index(const struct span *s,
						   const void *p)
{
	return divmagic_idx((unsigned long)p - s->base, &s->divmagic);
}

#endif /* _GOALLOC_SPAN_H */
