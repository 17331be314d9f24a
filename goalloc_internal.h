/* SPDX-License-Identifier: GPL-2.0 */
/*
 * goalloc internals: the declarations each layer offers the layers above
 * it, a section per layer; the mcache's, the top layer's, are in
 * goalloc_mcache.h. Not for other modules: they use goalloc.h.
 *
 * DOC: layers
 *
 *   goalloc_alloc(size) / goalloc_free(p)        goalloc_api.c, and the rest
 *     | size > 32 KiB -------------------------------+
 *     v                                              v
 *   mcache, per CPU               goalloc_percpu.c  large objects
 *     magazines of free objects                     goalloc_large.c
 *     | empty / full: a batch                        |
 *     v                                              |
 *   mcentral, per class           goalloc_central.c  |
 *     span lists, depot                              |
 *     | no span with a free slot                     |
 *     v                                              |
 *   spans                         goalloc_span.c  <--+
 *     bitmaps, page -> span map
 *     | a run of Go pages and a span struct
 *     v
 *   page cache, per CPU           goalloc_pcache.c
 *     a block of free pages, kept runs, lists of large objects
 *     | none fits
 *     v
 *   mheap                         goalloc_heap.c
 *     chunks, free runs             (span structs: goalloc_meta.c)
 *     | a chunk / an idle chunk
 *     v
 *   alloc_pages() / __free_pages()
 *
 * Beside them: goalloc_scavenge.c (the scavenger and the shrinker; it
 * calls down into every layer, and the heap wakes it through a hook it
 * owns), goalloc_profile.c (the heap profile, which the allocation paths
 * feed), goalloc_debugfs.c and goalloc_verify.c (statistics and checks,
 * reading every layer, through goalloc_walk.c's bounded walks),
 * goalloc_core.c (parameters, module init and exit) on top, and
 * goalloc_report.c (static keys, counters, tracepoints, reports of bad
 * input) at the bottom, which every layer calls. A layer
 * calls only the layers below it. A new kind of cache goes on top, beside
 * mcache, and calls down (docs/design.md, "Where a new kind of cache
 * goes").
 *
 * Lock order, outermost first:
 *   0. cache_mutex (goalloc_cache.c): caches coming and going, and the
 *      statistics that read their classes; cpus_read_lock() nests inside
 *   1. a CPU's mcache lock (local_lock; interrupts off, or on PREEMPT_RT a
 *      per-CPU sleeping lock): the slow paths of its magazines
 *   2. goalloc_central[cls].lock: that class's span lists and depot, and
 *      every field of every span of the class, including the span a CPU
 *      has cached; so objects of a span cached by CPU A are correctly
 *      returned by CPU B. Taken with interrupts disabled (under 1, or
 *      irqsave; on PREEMPT_RT a sleeping lock, interrupts on)
 *   3. a CPU's page-cache lock (local_lock: interrupts off, or on
 *      PREEMPT_RT a per-CPU sleeping lock; goalloc_pcache.c), never taken
 *      under 2
 *   4. heap_lock: chunks, runs and the span pool (goalloc_heap.c); or a
 *      CPU's list of large objects (struct large_list, goalloc_pcache.c):
 *      neither is taken inside the other
 * The profile's profile_lock is taken alone, with nothing nested inside.
 * The fast paths take no lock: task context runs with preemption off,
 * interrupts with interrupts off (goalloc_percpu.c). Nothing calls the
 * buddy allocator with 2, 3 or 4 held; a refill that needs a new span
 * drops 1 and 2 first.
 */
#ifndef _GOALLOC_INTERNAL_H
#define _GOALLOC_INTERNAL_H

#include <linux/bitmap.h>
#include <linux/jump_label.h>
#include <linux/list.h>
#include <linux/log2.h>
#include <linux/math64.h>
#include <linux/mm.h>
#include <linux/spinlock.h>
#include <linux/local_lock.h>	/* after spinlock.h: PREEMPT_RT needs it */

#include "goalloc.h"
#include "goalloc_sizeclasses.h"

/*
 * Go's page is 8 KiB; it stays the unit of spans so the size classes are
 * Go's (their spans grown where Go's hold few objects, see
 * scripts/gen-sizeclasses.py). On 4 KiB-page kernels that is an order-1
 * block.
 */
#define GOALLOC_PAGE_SIZE	BIT(GOALLOC_PAGE_SHIFT)
#define GOALLOC_PAGE_ORDER	(GOALLOC_PAGE_SHIFT - PAGE_SHIFT)

/*
 * Go pages of a buddy block of PAGE_ALLOC_COSTLY_ORDER (32 KiB): above
 * that order the buddy allocator gives up early and warns of
 * __GFP_NOFAIL, and kmalloc asks for no more up to 32 KiB.
 */
#define GOALLOC_COSTLY_PAGES	(1U << (PAGE_ALLOC_COSTLY_ORDER - GOALLOC_PAGE_ORDER))

/*
 * The heap takes memory from the buddy allocator in chunks of its largest
 * order (4 MiB on x86-64), as Go takes arenas from the OS. MAX_ORDER
 * changed meaning in 6.4 and became MAX_PAGE_ORDER in 6.8;
 * MAX_ORDER_NR_PAGES is the largest block in all of them.
 */
#define GOALLOC_CHUNK_ORDER	ilog2(MAX_ORDER_NR_PAGES)
#define GOALLOC_CHUNK_PAGES	(1U << (GOALLOC_CHUNK_ORDER - GOALLOC_PAGE_ORDER))

/*
 * Test-only exports; the KUnit modules import this namespace. Namespaces
 * are bare identifiers up to 6.12 and strings from 6.13; Kbuild defines
 * GOALLOC_NS_IS_STRING for the latter.
 */
#ifdef GOALLOC_NS_IS_STRING
#define GOALLOC_TEST_NS		"GOALLOC_INTERNAL"
#else
#define GOALLOC_TEST_NS		GOALLOC_INTERNAL
#endif
#if IS_ENABLED(CONFIG_KUNIT)
#define EXPORT_SYMBOL_FOR_GOALLOC_TESTS(sym) EXPORT_SYMBOL_NS_GPL(sym, GOALLOC_TEST_NS)
#else
#define EXPORT_SYMBOL_FOR_GOALLOC_TESTS(sym)
#endif

/*
 * Classes: the size classes (1 .. GOALLOC_NUM_CLASSES - 1), then a class
 * for each cache (goalloc_cache.c), up to GOALLOC_MAX_CACHES of them. Every
 * per-class structure (magazines, mcentral, the tables below) covers both.
 */
#define GOALLOC_MAX_CACHES	64
#define NR_CLASSES		(GOALLOC_NUM_CLASSES + GOALLOC_MAX_CACHES)

/* ------------------------------------------------------------------ */
/* Keys, counters and reports of bad input (goalloc_report.c) */

/* Event counters (debugfs "counters"), per CPU, summed on read. */
enum goalloc_event {
	EV_ALLOC_SLOW,
	EV_FREE_SLOW,
	EV_MCACHE_BUSY,
	EV_ALLOC_LARGE,
	EV_FREE_LARGE,
	EV_ALLOC_FAIL,
	EV_REFILL,
	EV_FLUSH,
	EV_REMOTE_FREE,
	EV_SPAN_ALLOC,
	EV_SPAN_FREE,
	EV_SPAN_FALLBACK,
	EV_CHUNK_ALLOC,
	EV_CHUNK_FREE,
	EV_SHRINK_CALL,
	EV_SHRINK_PAGES,
	EV_REFUSED_FOREIGN,
	EV_REFUSED_INTERIOR,
	EV_REFUSED_DOUBLE_FREE,
	EV_REFUSED_USE_AFTER_FREE,
	EV_REFUSED_TOO_BIG,
	EV_POISON_CORRUPTED,
	EV_REFUSED_WRONG_CACHE,
	EV_CACHE_MISUSE,
	EV_CACHE_LEAKED,
	EV_FREE_RCU,
	EV_REFUSED_NMI,
	EV_SCAVENGE_DRAIN,
	NR_GOALLOC_EVENTS
};

extern const char *const goalloc_event_names[NR_GOALLOC_EVENTS];

DECLARE_PER_CPU(unsigned long [NR_GOALLOC_EVENTS], goalloc_events);

/*
 * track_waste: bytes requested by live objects, per class; per CPU, so a
 * CPU's sum may go negative when others free what it allocated.
 */
DECLARE_PER_CPU(long [NR_CLASSES], goalloc_req_bytes);

/* Count an event on this CPU; one instruction, safe in any context. */
static __always_inline void count_event(enum goalloc_event ev)
{
	this_cpu_inc(goalloc_events[ev]);
}

/*
 * On while debug=1, track_waste=1, init_on_free=1 or a goalloc tracepoint
 * is enabled: one no-op on each fast path stands for them all (a counted
 * key).
 */
DECLARE_STATIC_KEY_FALSE(goalloc_hooks_key);

#define GOALLOC_POISON	0x6b	/* POISON_FREE, as SLUB uses */

enum goalloc_report {
	REPORT_NONE,
	REPORT_FOREIGN,
	REPORT_INTERIOR,
	REPORT_DOUBLE_FREE,
	REPORT_USE_AFTER_FREE,
	REPORT_TOO_BIG,
	REPORT_OVERFLOW,
	REPORT_POISON,
	REPORT_WRONG_CACHE,
	REPORT_CACHE_MISUSE,
	REPORT_CACHE_LIVE,
	REPORT_NMI,
	NR_REPORTS
};

void goalloc_report(enum goalloc_report kind, const void *p, size_t size,
		    gfp_t gfp);
void goalloc_alloc_failed(size_t size, gfp_t gfp);

/*
 * In NMI context goalloc does nothing: its magazines and locks are what an
 * NMI may have interrupted. Calls from there are refused and reported
 * (REPORT_NMI); an allocation returns NULL, a free leaves the object.
 * Tested on the paths every call takes in interrupts: their slow ones.
 */
static __always_inline bool goalloc_refuse_nmi(const void *p, size_t size)
{
	if (likely(!in_nmi()))
		return false;
	goalloc_report(REPORT_NMI, p, size, 0);
	return true;
}

/* ------------------------------------------------------------------ */
/* Size classes, and caches' classes (tables in goalloc_span.c) */

/*
 * Object size and span pages (a grown class's own and Go's) by class, and
 * the slot divisor its spans copy (span_init()). The size classes' entries
 * are generated; a cache's are written when it is made (class_set()) and
 * cleared when it goes, both while no object of the class exists. A class
 * not in use has size 0.
 */
struct class_info {
	u32 size;
	u16 npages;
	u16 go_npages;
};

extern struct class_info class_info[NR_CLASSES];
extern u64 class_divmagic[NR_CLASSES];
/* Class by size, in 8-byte steps up to 32 KiB (goalloc_sizeclasses.h). */
extern const u8 size_to_class8[GOALLOC_MAX_SMALL_SIZE / GOALLOC_SMALL_SIZE_DIV + 1];

/*
 * What a cache's class asks of its spans and objects: CLASS_CTOR, a
 * constructor (class_ctor[]) runs on each slot when a span is made, and
 * objects are neither poisoned nor wiped, as they must keep their
 * constructed state; CLASS_RCU (SLAB_TYPESAFE_BY_RCU), the same, and an
 * empty span's pages wait a grace period before they leave the class.
 */
#define CLASS_CTOR	BIT(0)
#define CLASS_RCU	BIT(1)
extern u8 class_flags[NR_CLASSES];
extern void (*class_ctor[NR_CLASSES])(void *obj);

/* May goalloc write over @cls's free objects (poison, init_on_free)? */
static inline bool class_may_wipe(unsigned int cls)
{
	return !class_flags[cls];
}

void class_set(unsigned int cls, unsigned int size, void (*ctor)(void *obj),
	       unsigned int flags);
void class_clear(unsigned int cls);

/**
 * size_to_class() - the smallest size class whose objects hold @size bytes
 * @size: 0 .. GOALLOC_MAX_SMALL_SIZE
 *
 * Return: the class, 1 .. GOALLOC_NUM_CLASSES - 1; 0 for @size 0.
 */
static __always_inline unsigned int size_to_class(size_t size)
{
	return size_to_class8[DIV_ROUND_UP(size, GOALLOC_SMALL_SIZE_DIV)];
}

/* Objects of class @cls that a span of @npages Go pages holds. */
static inline unsigned int class_objects_in(unsigned int cls,
					    unsigned int npages)
{
	return npages * GOALLOC_PAGE_SIZE / class_info[cls].size;
}

static inline unsigned int class_span_objects(unsigned int cls)
{
	return class_objects_in(cls, class_info[cls].npages);
}

/* Do @cls's spans hold more than Go's (scripts/gen-sizeclasses.py)? */
static inline bool class_grown(unsigned int cls)
{
	return class_info[cls].npages != class_info[cls].go_npages;
}

/*
 * Go pages of @cls's smallest span, of one object: spans_create()'s last
 * resort, as a slab of SLUB's minimum order is. At most
 * GOALLOC_COSTLY_PAGES for a size class.
 */
static inline unsigned int class_min_npages(unsigned int cls)
{
	return DIV_ROUND_UP(class_info[cls].size, GOALLOC_PAGE_SIZE);
}

/*
 * Go pages that the run of a span of @cls (0: a large object) and @npages
 * starts at a multiple of. kmalloc aligns every power-of-two size to
 * itself (include/linux/slab.h), and a span's objects lie at multiples of
 * their size from its start: a span of a power-of-two size over a Go page
 * starts at a multiple of that size, and so does a large object whose run
 * is a power of two long, as kmalloc_large()'s buddy block is aligned to
 * its order. Such a run is aligned to its own length when that is a power
 * of two (every span of the size classes 16 KiB and 32 KiB), so that the
 * heap remembers one kind of aligned miss per chunk (no_fit_aligned). A
 * chunk is a buddy block, aligned to its own length, which a run never
 * exceeds. 1, no constraint, for every other run.
 */
static inline unsigned int span_align(unsigned int cls, unsigned int npages)
{
	unsigned long size = cls ? class_info[cls].size :
			     (unsigned long)npages * GOALLOC_PAGE_SIZE;

	if (size <= GOALLOC_PAGE_SIZE || !is_power_of_2(size))
		return 1;
	return is_power_of_2(npages) ? npages : size / GOALLOC_PAGE_SIZE;
}

/* ------------------------------------------------------------------ */
/* Spans (goalloc_span.c): their struct, the page map, the checks of a free */

#include "goalloc_span.h"
#include "goalloc_debug.h"

/* ------------------------------------------------------------------ */
/* mcentral (goalloc_central.c) */

/* Most objects a CPU's magazine of one class holds (goalloc_percpu.c). */
#define MCACHE_MAX_CAP		128

/**
 * struct central - one size class's shared pool of spans
 * @lock:	protects the lists, the spans on them, and the span fields
 *		of every span of this class (cached ones included)
 * @partial:	spans with some free slots
 * @full:	spans with none
 * @empty:	spans with every slot free, at most @keep_empty
 * @nr_spans:	spans per enum span_state (SPAN_LARGE unused)
 * @objects:	slots not free, summed over the class's spans
 * @slots:	slots of the spans counted in @nr_spans (a fallback span,
 *		spans_create(), has fewer than the others)
 * @pages:	Go pages of those spans
 * @changes:	bumped by every change to the class's spans (objects taken
 *		or given back, a state, a span joining or leaving): a reader
 *		that drops the lock between batches (struct class_walk)
 *		knows its sums describe one state of the class while this
 *		stays as it was
 * @departed:	spans that ever left the class for the heap: while this
 *		stays as it was, a span a reader saw in the class is in it
 * @keep_empty:	empty spans kept rather than given back to the heap
 * @ndepot:	objects in @depot
 * @depot_cap:	most objects @depot may hold: one magazine
 * @depot:	free objects that CPUs flushed, for the next refill of any
 *		CPU (tcmalloc's transfer cache): batches move in and out by
 *		copy, not object by object into their spans. Like objects in
 *		magazines, they are not free in their spans.
 */
struct central {
	spinlock_t lock;	/* see the kernel-doc above */
	struct list_head partial;
	struct list_head full;
	struct list_head empty;
	unsigned long nr_spans[NR_SPAN_STATES];
	unsigned long objects;
	unsigned long slots;
	unsigned long pages;
	unsigned long changes;
	unsigned long departed;
	unsigned int keep_empty;
	unsigned int ndepot;
	unsigned int depot_cap;
	void *depot[MCACHE_MAX_CAP];
} ____cacheline_aligned_in_smp;

extern struct central goalloc_central[NR_CLASSES];

unsigned int __central_fill(struct central *c, void **objs, unsigned int n,
			    struct span **cached, int cpu,
			    struct list_head *fresh);
unsigned int __central_return(struct central *c, void *const *objs,
			      unsigned int n, int cpu, struct list_head *dead);
unsigned int __central_flush(struct central *c, void *const *objs,
			     unsigned int n, int cpu, struct list_head *dead);
void central_drain_depots(void);
void __central_add_span(struct central *c, struct span *s);
void __central_add_unused_span(struct central *c, struct span *s,
			       struct list_head *dead);
void __central_release_span(struct central *c, struct span *s,
			    struct list_head *dead);
void __central_uncache_span(struct central *c, struct span *s,
			    struct list_head *dead);
void central_release_empty(void);
unsigned long central_empty_class(unsigned int cls);
void central_size_class(unsigned int cls, unsigned int mag_cap,
			unsigned int mag_spans);
void central_init(void);
void central_exit(void);

/* ------------------------------------------------------------------ */
/* mheap (goalloc_heap.c) */

/*
 * The first bits of the runs of @n (>= 1) set bits in @bits, as a mask.
 * The run doubles per step: log2(@n) steps, not @n - 1.
 */
static inline unsigned long bits_run_starts(unsigned long bits, unsigned int n)
{
	unsigned int len = 1, shift;

	/* Bit i stays set while bits i .. i + len - 1 were all set. */
	while (len < n && bits) {
		shift = min(len, n - len);
		bits &= bits >> shift;
		len += shift;
	}
	return bits;
}

/* The lowest run of @n (>= 1) set bits in @bits: its first bit, or BITS_PER_LONG. */
static inline unsigned int bits_find_run(unsigned long bits, unsigned int n)
{
	bits = bits_run_starts(bits, n);
	return bits ? __ffs(bits) : BITS_PER_LONG;
}

/*
 * bits_find_run() for a run that starts at a multiple of @align, a power
 * of two below BITS_PER_LONG (run_align()). ~0UL / (2^a - 1) has every
 * a-th bit set: the division is paid by aligned runs only.
 */
static inline unsigned int bits_find_aligned_run(unsigned long bits,
						 unsigned int n,
						 unsigned int align)
{
	bits = bits_run_starts(bits, n);
	if (align > 1)
		bits &= ~0UL / (BIT(align) - 1);
	return bits ? __ffs(bits) : BITS_PER_LONG;
}

/**
 * struct heap_chunk - a block of pages taken from the buddy allocator
 * @list:	heap_chunks, or heap_full_chunks when @nfree is 0; heap lock
 * @page:	first page
 * @base:	its address in the direct map
 * @order:	buddy order it was allocated with
 * @npages:	Go pages in the chunk
 * @nfree:	Go pages not in any span; heap lock
 * @hint:	no Go page below it is free; heap lock
 * @no_fit:	no run of this many Go pages or more is free, 0 if unknown;
 *		heap lock
 * @no_fit_aligned: no run of this many Go pages or more, a power of two,
 *		is free at a multiple of its length, 0 if unknown; heap lock
 * @used:	bit per Go page, set while in a span; heap lock
 */
struct heap_chunk {
	struct list_head list;
	struct page *page;
	unsigned long base;
	unsigned int order;
	unsigned int npages;
	unsigned int nfree;
	unsigned int hint;
	unsigned int no_fit;
	unsigned int no_fit_aligned;
	DECLARE_BITMAP(used, GOALLOC_CHUNK_PAGES);
};

/* Metadata of this many bitmap words comes from a cache of its own. */
#define SPAN_CACHE_WORDS	1

/*
 * A span struct for a run: the run, and zero in the fields span_init()
 * does not set. Field by field rather than a zeroed struct: span creation
 * is the cost of each object in classes of one or two objects per span,
 * and a zeroed struct is a rep stosq, an instruction per word where
 * instructions are counted.
 */
static inline void span_set_run(struct span *s, struct heap_chunk *ch,
				unsigned int first, unsigned int npages)
{
	s->base = ch->base + first * GOALLOC_PAGE_SIZE;
	s->chunk = ch;
	s->first = first;
	s->npages = npages;
	s->state = 0;
	s->allocated = 0;
	s->freeindex = 0;
	s->nsampled = 0;
	s->cachedbits = NULL;
	s->req = NULL;
	s->size = 0;
}

/* Totals behind debugfs "heap" (MemStats names); heap lock. */
struct heap_stats {
	unsigned long chunks;		/* chunks held */
	unsigned long sys_pages;	/* kernel pages held in chunks */
	unsigned long inuse_pages;	/* kernel pages in spans */
	unsigned long idle_pages;	/* kernel pages of idle chunks */
	unsigned long pages_from_buddy;	/* ever taken */
	unsigned long pages_returned;	/* ever given back */
	unsigned long chunk_allocs;
	unsigned long chunk_failures;
	unsigned long chunk_releases;
	unsigned long shrinker_calls;
	unsigned long shrinker_pages;
};

extern spinlock_t heap_lock;
/* Go pages in no span; heap_lock. The span pool holds no more structs. */
extern unsigned long heap_free_gopages;

/* Flags of a caller's mask that goalloc passes on when it allocates. */
#define GOALLOC_GFP_MASK (__GFP_HIGH | __GFP_IO | __GFP_FS | __GFP_RECLAIM | \
			  __GFP_NOFAIL | __GFP_NORETRY | __GFP_RETRY_MAYFAIL | \
			  __GFP_MEMALLOC | __GFP_NOMEMALLOC)

extern struct list_head heap_chunks;
extern struct list_head heap_full_chunks;

int heap_alloc_run(unsigned int npages, unsigned int align, gfp_t gfp,
		   struct heap_chunk **chunk, unsigned int *first);
void heap_free_run(struct heap_chunk *chunk, unsigned int first,
		   unsigned int npages);
unsigned int heap_alloc_spans(unsigned int npages, unsigned int align,
			      unsigned int words, gfp_t gfp, unsigned int n,
			      struct list_head *list);
struct span *heap_meta_alloc(unsigned int words, gfp_t gfp);
void heap_meta_free(struct span **v, unsigned int n, unsigned int words);
bool heap_span_pool_empty(unsigned int words);
unsigned int __heap_span_pool_take(unsigned int words, struct span **v,
				   unsigned int n);
bool __heap_span_pool_push(struct span *s, unsigned int words);
void __heap_put_span(struct span *s, struct list_head *spare);
void heap_spans_freed(struct list_head *spare, bool gave);
unsigned long __heap_take_block(unsigned int npages, unsigned int align,
				struct heap_chunk **chunk, unsigned int *word);
void __heap_free_block(struct heap_chunk *ch, unsigned int word,
		       unsigned long bits);
void heap_set_scavenger(void (*fn)(void));
void heap_check_headroom(void);
void heap_release_span_pool(void);
void heap_trim_span_pool(unsigned long keep);
int heap_meta_init(void);
void heap_meta_exit(void);
unsigned long heap_release_free_chunks(unsigned long keep_pages);
unsigned long heap_idle_pages_read(void);
void heap_note_shrink(unsigned long pages);
void __heap_stats_read(struct heap_stats *st);
void heap_stats_read(struct heap_stats *st);
unsigned long heap_pages_held(void);
unsigned long heap_headroom_pages(void);
unsigned int heap_headroom_percent(void);
unsigned int heap_headroom_min_kb(void);
int heap_init(void);
void heap_exit(void);

/* ------------------------------------------------------------------ */
/* Page cache, per CPU, and the lists of large objects (goalloc_pcache.c) */

/**
 * struct large_list - the large objects one CPU allocated
 * @lock:	protects the fields and the listed spans' @list
 * @spans:	SPAN_LARGE spans allocated on this CPU and not freed yet
 * @objects:	spans on @spans
 * @pages:	their kernel pages
 * @req_bytes:	bytes their callers asked for
 * @bytes_total: page-run bytes ever allocated on this CPU
 */
struct large_list {
	spinlock_t lock;		/* the fields below */
	struct list_head spans;
	unsigned long objects;
	unsigned long pages;
	unsigned long req_bytes;
	unsigned long bytes_total;
};

/* The large objects' totals, for debugfs "heap". */
struct large_stats {
	unsigned long objects;		/* live large objects */
	unsigned long pages;		/* their kernel pages */
	unsigned long req_bytes;	/* requested by live large objects */
	unsigned long bytes_total;	/* page-run bytes ever allocated */
};

unsigned int pcache_alloc_spans(unsigned int npages, unsigned int align,
				unsigned int words, gfp_t gfp, unsigned int n,
				struct list_head *list);
void pcache_free_spans(struct list_head *list);
void pcache_note_large(struct span *s);
void pcache_free_large(struct span *s);
struct large_list *pcache_large_list(int cpu);
void pcache_large_stats(struct large_stats *st);
void pcache_cpu_drain(int cpu);
unsigned long pcache_cached_pages(void);
unsigned long pcache_cpu_check(unsigned int *bad_runs);
void pcache_init(void);
void pcache_exit(void);

/* ------------------------------------------------------------------ */
/* Large objects (goalloc_large.c) */

void *goalloc_alloc_large(size_t size, gfp_t gfp, unsigned long caller);
void large_free(struct span *s, unsigned int gen, const void *p);
void goalloc_free_unowned(const void *p);
void large_exit(void);

/* ------------------------------------------------------------------ */
/* Heap profile (goalloc_profile.c) */

struct seq_file;

DECLARE_STATIC_KEY_FALSE(goalloc_profile_key);
DECLARE_PER_CPU(long, goalloc_profile_next);

/*
 * Count @bytes down from this CPU's sampling budget.
 * Return: true when the allocation is to be sampled.
 *
 * On x86-64 one subtraction, whose flags say whether the budget ran out:
 * this_cpu_sub_return() is an xadd and three more, on every allocation
 * while the profile is on. The operand is per-CPU memory as
 * this_cpu_sub() writes it: through __my_cpu_var() where the kernel has
 * it (6.8 and later; Kbuild detects it), plainly before (verified: 6.1,
 * 6.12).
 */
static __always_inline bool profile_countdown(size_t bytes)
{
#ifdef CONFIG_X86_64
	bool due;

#ifdef GOALLOC_HAVE_MY_CPU_VAR
	asm volatile("subq %[n], " __percpu_arg([next]) CC_SET(le)
		     : CC_OUT(le) (due),
		       [next] "+m" (__my_cpu_var(goalloc_profile_next))
		     : [n] "re" ((long)bytes));
#else
	asm volatile("subq %[n], " __percpu_arg([next]) CC_SET(le)
		     : CC_OUT(le) (due), [next] "+m" (goalloc_profile_next)
		     : [n] "re" ((long)bytes));
#endif
	return due;
#else
	return this_cpu_sub_return(goalloc_profile_next, bytes) <= 0;
#endif
}

/* Does a free of an object of @s need goalloc_profile_free()? */
static __always_inline bool profile_span_sampled(const struct span *s)
{
	return static_branch_unlikely(&goalloc_profile_key) &&
	       READ_ONCE(s->nsampled);
}

/* The profile's own bookkeeping, for debugfs "heap". */
struct profile_stats {
	unsigned long buckets;	/* distinct stacks */
	unsigned long samples;	/* sampled objects still allocated */
	unsigned long bytes;	/* memory the profile uses */
	unsigned long dropped;	/* samples not kept: out of memory or limits */
	unsigned long cached;	/* samples whose stack needed no unwinding */
};

void goalloc_profile_sample(const void *p, size_t size, unsigned long site);
void goalloc_profile_free(struct span *s, const void *p);
long goalloc_profile_next_sample(unsigned long rate);
u64 goalloc_profile_scale(u64 count, u64 bytes, unsigned long rate);
void goalloc_profile_set_rate(unsigned long rate);
unsigned long goalloc_profile_rate(void);
void goalloc_profile_stats(struct profile_stats *st);
int goalloc_profile_show(struct seq_file *m);
void goalloc_profile_reset(void);
int goalloc_profile_init(void);
void goalloc_profile_exit(void);

/* ------------------------------------------------------------------ */
/* Scavenger and shrinker (goalloc_scavenge.c) */

void goalloc_drain(bool release_chunks);
void goalloc_scavenge(void);
void scavenge_init(void);
void scavenge_exit(void);

/* ------------------------------------------------------------------ */
/* Statistics and checks (goalloc_debugfs.c, goalloc_verify.c) */

/**
 * struct goalloc_class_stats - one size class, as debugfs shows it
 * @spans:	spans per state
 * @nspans:	spans of the class, any state but SPAN_LARGE
 * @span_objects: slots not free in the spans
 * @cpu_objects: free objects in CPU magazines and in the class's depot
 * @inuse:	objects held by callers
 * @free:	free slots in the spans
 * @slots:	slots in the spans
 * @pages:	Go pages in the spans
 * @nalloc:	allocations so far
 * @nfree:	frees so far
 * @hist:	spans by fullness: 0-25 %, 25-50 %, 50-75 %, 75-100 % used
 * @req_bytes:	track_waste: bytes requested by the objects in use
 */
struct goalloc_class_stats {
	unsigned long spans[NR_SPAN_STATES];
	unsigned long nspans;
	unsigned long span_objects;
	unsigned long cpu_objects;
	unsigned long inuse;
	unsigned long free;
	unsigned long slots;
	unsigned long pages;
	unsigned long nalloc;
	unsigned long nfree;
	unsigned long hist[4];
	long req_bytes;
};

void goalloc_class_stats(unsigned int cls, struct goalloc_class_stats *st);

/*
 * Readers of span lists (debugfs "spans", verify, goalloc_class_stats())
 * hold a class lock or a large_list lock, interrupts off, for one batch
 * of work at a time: a span, or GOALLOC_WALK_PAGES kernel pages of a
 * span whose pages are checked (verify), is a unit, and a hold ends at
 * the unit that reaches GOALLOC_WALK_BATCH. A refill that waits for the
 * lock waits for a batch, not for the whole class, whatever the heap's
 * size.
 */
#define GOALLOC_WALK_BATCH	32
#define GOALLOC_WALK_PAGES	32

/*
 * Called for each span of a walk, under its lock: @where is the list the
 * span was found on (SPAN_CACHED: CPU @cpu's cached span; SPAN_LARGE: CPU
 * @cpu's large objects). Return: the units of work done.
 */
typedef unsigned int (*span_visit_fn)(struct span *s, enum span_state where,
				      int cpu, void *arg);
/*
 * Called in the walk's last hold: @whole when the walk saw every span of
 * the class or list once, in one state of it (nothing changed under it).
 */
typedef void (*walk_end_fn)(bool whole, void *arg);

/**
 * struct class_walk - a place in one class's spans, kept while its lock is
 *	dropped between batches
 * @cls:	the class
 * @lists:	BIT() of each state walked, all but SPAN_LARGE unless set
 *		otherwise after class_walk_init()
 * @state:	the list walked: SPAN_PARTIAL, SPAN_FULL, SPAN_EMPTY, then
 *		SPAN_CACHED for the CPUs' cached spans; NR_SPAN_STATES at
 *		the end
 * @pos:	the span last visited on that list, NULL before its first
 * @cpu:	in SPAN_CACHED, the CPU whose cached span was looked at last
 * @departed:	the class's @departed when @pos was visited
 * @changes:	the class's @changes when the walk began
 * @visits:	spans visited on the lists
 * @limit:	spans on the lists in @lists when the walk began
 * @started:	@changes and @limit are set
 * @lost:	a place was lost, or the walk cut short: spans were skipped
 */
struct class_walk {
	unsigned int cls;
	unsigned int lists;
	unsigned int state;
	struct span *pos;
	int cpu;
	unsigned long departed;
	unsigned long changes;
	unsigned long visits;
	unsigned long limit;
	bool started;
	bool lost;
};

/**
 * struct large_walk - a place in one CPU's list of large objects
 * @cpu:	the CPU
 * @pos:	the span last visited, NULL before the first
 * @objects:	the list's objects when @pos was visited
 * @bytes_total: the list's bytes_total then; it grows with every object
 *		listed, so the two stay as they were only while the list does
 * @done:	the walk is over
 * @lost:	the list changed under the walk: spans were skipped
 */
struct large_walk {
	int cpu;
	struct span *pos;
	unsigned long objects;
	unsigned long bytes_total;
	bool done;
	bool lost;
};

void class_walk_init(struct class_walk *w, unsigned int cls);
bool class_walk_batch(struct class_walk *w, span_visit_fn visit,
		      walk_end_fn end, void *arg);
void large_walk_init(struct large_walk *w, int cpu);
bool large_walk_batch(struct large_walk *w, span_visit_fn visit,
		      walk_end_fn end, void *arg);
extern unsigned int goalloc_walk_longest;
extern unsigned long goalloc_walk_holds;

/* Columns of "classes" after class, size, pages and objs; summed in "total". */
enum class_col {
	COL_SPANS, COL_PARTIAL, COL_FULL, COL_EMPTY, COL_CACHED,
	COL_INUSE, COL_FREE, COL_CPU_CACHED, COL_ALLOCS, COL_FREES,
	COL_BYTES_INUSE, COL_TAIL_WASTE, COL_ROUNDUP_WASTE, COL_WASTE,
	COL_HIST0, COL_HIST1, COL_HIST2, COL_HIST3,
	NR_CLASS_COLS
};

void goalloc_class_row(unsigned int cls, unsigned long *col);
int goalloc_debugfs_show(const char *name, struct seq_file *m);
void goalloc_counters_sum(unsigned long *sum);
int goalloc_verify(struct seq_file *m);
void goalloc_debugfs_init(void);
void goalloc_debugfs_exit(void);

/* ------------------------------------------------------------------ */
/*
 * Test-only entry points, exported to the KUnit modules only
 * (EXPORT_SYMBOL_FOR_GOALLOC_TESTS). Most of the declarations above are
 * exported to them too, so that a test drives one layer at a time.
 */

extern bool goalloc_debug;		/* the parameters, as loaded */
extern const char *const span_state_names[NR_SPAN_STATES];
extern bool goalloc_track_waste;
void span_put(struct span *s, unsigned int idx);
unsigned long pcache_cpu_block(int cpu, struct heap_chunk **chunk,
			       unsigned int *word);
unsigned long scavenge_shrink(unsigned long nr_to_scan);
bool scavenge_pass(bool paced);
void goalloc_scavenge_flush(void);
void goalloc_scavenge_hold(bool hold);
int goalloc_expect_reports(int n);

#endif /* _GOALLOC_INTERNAL_H */
