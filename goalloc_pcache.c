// SPDX-License-Identifier: GPL-2.0
/*
 * goalloc page cache: each CPU's stock of free pages and span structs,
 * between spans and the heap (Go's pageCache and span cache, mpagecache.go
 * and mheap.allocMSpanLocked).
 *
 *   pcache_cpu (per CPU), under its local_lock
 *     chunk, word, free   a block: one word of a chunk's bitmap, taken whole
 *                         from the heap; up to 64 free Go pages
 *     spans[]             span structs of one bitmap word, ready to use
 *     runs[]              whole free runs of large objects, span included,
 *                         oldest first; nruns_of[] counts them by length
 *
 * Spans and large objects of up to PCACHE_MAX_RUN pages are cut from the
 * block with interrupts off and without heap_lock. Runs freed on that CPU
 * inside its block go back to it. For the heap, the block's pages are in
 * use: their bits are set, HeapInuse counts them, and debugfs "heap" shows
 * them as PageCacheBytes. The block goes back to the heap when it has no
 * run long enough for a request, and when the CPU's caches are drained or
 * the CPU goes offline.
 *
 * Beyond Go: the page cache also keeps runs of large objects, whole, span
 * struct included, for the next large allocation of the same size on this
 * CPU (tcmalloc's per-CPU caches serve objects up to 256 KiB the same
 * way): runs freed here outside the block, and, for runs longer than the
 * block serves, up to PCACHE_RUN_BATCH - 1 more taken under the same
 * heap_lock hold when this CPU missed runs of that length twice in a row
 * (so that a one-off allocation takes one run). A full cache gives its
 * older half back under one hold. Without it, Go's way, every large
 * object takes heap_lock twice, and two CPUs trading 256 KiB objects
 * spend their time on that lock (`make bench`, its smp tests). Runs of up
 * to PCACHE_RUN_MAX Go pages are kept, PCACHE_RUN_PAGES in all; for the
 * heap they are in use, as the block is, and count in PageCacheBytes.
 * Like the block, they go back when the caches are drained (the scavenger
 * drains them when free pages, cached ones included, exceed the headroom)
 * or the CPU goes offline; keeping a run does not wake the scavenger, so
 * up to 1.5 MiB per CPU (block and runs) can wait for the next drain, or
 * for memory pressure: the shrinker counts them, and has the scavenger
 * drain when idle chunks fall short.
 *
 * The page cache also lists the live large objects, per allocating CPU
 * (struct large_list), for statistics, verify and unload.
 *
 * Locking: a CPU's page-cache lock (local_lock_t, interrupts off except on
 * PREEMPT_RT); heap_lock nests inside it, and so does a CPU's large_list
 * lock, which holds nothing inside it. Lock order in goalloc_internal.h.
 */

#define pr_fmt(fmt) "goalloc: " fmt

#include <linux/percpu.h>
#include <linux/string.h>

#include "goalloc_internal.h"

#define PCACHE_MAX_RUN		16
#define PCACHE_SPANS		16
#define PCACHE_RUNS		8
#define PCACHE_RUN_MAX		32	/* 256 KiB */
#define PCACHE_RUN_PAGES	128	/* 1 MiB */
#define PCACHE_RUN_BATCH	4

struct pcache {
	local_lock_t lock;		/* interrupts off, except on RT */
	struct heap_chunk *chunk;	/* NULL: no block */
	unsigned int word;		/* the block: Go pages word * 64 .. + 63 */
	unsigned long free;		/* its free pages */
	unsigned int nspans;
	struct span *spans[PCACHE_SPANS];	/* SPAN_CACHE_WORDS metadata */
	unsigned int nruns;		/* free runs, oldest first */
	unsigned int run_pages;		/* their Go pages */
	u8 nruns_of[PCACHE_RUN_MAX];	/* [n - 1]: runs of n pages kept */
	struct span *runs[PCACHE_RUNS];	/* SPAN_CACHE_WORDS metadata */
	unsigned int missed;		/* length of the last run missed */
};
static DEFINE_PER_CPU(struct pcache, pcache_cpu) = {
	.lock = INIT_LOCAL_LOCK(lock),
};

/* Give @pc's block back. Return: true if it had free pages. */
static bool __pcache_flush(struct pcache *pc)
{
	bool gave = pc->free;

	lockdep_assert_held(&heap_lock);
	if (gave)
		__heap_free_block(pc->chunk, pc->word, pc->free);
	pc->chunk = NULL;
	pc->free = 0;
	return gave;
}

/*
 * Span structs from the pool for @pc, and a block with a run of @npages
 * at a multiple of @align unless it has one: a new block, its old one
 * given back. Sets *@gave as __pcache_flush() returns. Return: false if
 * no chunk has such a block.
 */
static bool __pcache_refill(struct pcache *pc, unsigned int npages,
			    unsigned int align, bool *gave)
{
	lockdep_assert_held(&heap_lock);
	pc->nspans += __heap_span_pool_take(SPAN_CACHE_WORDS,
					    pc->spans + pc->nspans,
					    PCACHE_SPANS - pc->nspans);
	if (bits_find_aligned_run(pc->free, npages, align) < BITS_PER_LONG)
		return true;
	*gave = __pcache_flush(pc);
	pc->free = __heap_take_block(npages, align, &pc->chunk, &pc->word);
	return pc->free;
}

/*
 * Cut a run of @npages at a multiple of @align from @pc's block, under its
 * lock. A block is a bitmap word: its bit 0 is as aligned as can be asked.
 */
static bool pcache_take(struct pcache *pc, unsigned int npages,
			unsigned int align, struct heap_chunk **ch,
			unsigned int *first)
{
	unsigned int bit = bits_find_aligned_run(pc->free, npages, align);

	if (bit >= BITS_PER_LONG)
		return false;
	/* @npages is at most PCACHE_MAX_RUN: a mask cheaper than GENMASK(). */
	pc->free &= ~((BIT(npages) - 1) << bit);
	*ch = pc->chunk;
	*first = pc->word * BITS_PER_LONG + bit;
	return true;
}

/* Does @s's run lie in @pc's block? */
static bool pcache_owns(const struct pcache *pc, const struct span *s)
{
	return s->chunk == pc->chunk && s->first / BITS_PER_LONG == pc->word &&
	       s->first % BITS_PER_LONG + s->npages <= BITS_PER_LONG;
}

/*
 * @s's run, which lies in @pc's block, back to the block, and its metadata
 * to @pc, or to @spare; under @pc's lock.
 */
static void pcache_put(struct pcache *pc, struct span *s,
		       struct list_head *spare)
{
	unsigned int bit = s->first % BITS_PER_LONG;

	pc->free |= GENMASK(bit + s->npages - 1, bit);
	if (span_words(s->nelems) == SPAN_CACHE_WORDS &&
	    pc->nspans < PCACHE_SPANS)
		pc->spans[pc->nspans++] = s;
	else
		list_add(&s->list, spare);
}

/* Would the page cache keep @npages runs, of spans of @words words? */
static bool pcache_keeps(unsigned int npages, unsigned int words)
{
	return npages <= PCACHE_RUN_MAX && words == SPAN_CACHE_WORDS;
}

/* Has @pc room for a run of @npages without giving others back? */
static bool pcache_run_room(const struct pcache *pc, unsigned int npages)
{
	return pc->nruns < PCACHE_RUNS &&
	       pc->run_pages + npages <= PCACHE_RUN_PAGES;
}

/*
 * Keep @s, a free span that pcache_keeps(), in @pc; if @pc is full, its
 * oldest runs go to @give for the heap, half of them or enough for @s.
 */
static __always_inline void pcache_keep_run(struct pcache *pc,
					    struct span *s,
					    struct list_head *give)
{
	unsigned int n = 0;

	if (!pcache_run_room(pc, s->npages)) {
		while (n < pc->nruns / 2 ||
		       pc->run_pages + s->npages > PCACHE_RUN_PAGES) {
			pc->run_pages -= pc->runs[n]->npages;
			pc->nruns_of[pc->runs[n]->npages - 1]--;
			list_add_tail(&pc->runs[n++]->list, give);
		}
		pc->nruns -= n;
		memmove(pc->runs, pc->runs + n, pc->nruns * sizeof(*pc->runs));
	}
	pc->runs[pc->nruns++] = s;
	pc->run_pages += s->npages;
	pc->nruns_of[s->npages - 1]++;
}

/*
 * Runs of @npages to take from the heap on a miss of this CPU's page
 * cache: one, or as many more as the cache has room for (up to
 * PCACHE_RUN_BATCH in all) when the last miss was of this length too.
 * Racy reads of this CPU's fields: a hint, which pcache_keep_extra_runs()
 * checks under the lock.
 */
static unsigned int pcache_run_batch(unsigned int npages)
{
	unsigned int room;

	if (raw_cpu_read(pcache_cpu.missed) != npages) {
		raw_cpu_write(pcache_cpu.missed, npages);
		return 1;
	}
	room = min(PCACHE_RUNS - raw_cpu_read(pcache_cpu.nruns),
		   (PCACHE_RUN_PAGES - raw_cpu_read(pcache_cpu.run_pages)) /
		   npages);
	return 1 + min(room, PCACHE_RUN_BATCH - 1);
}

/*
 * Keep new spans of @extra in this CPU's page cache as far as it has room
 * (pcache_keeps() them); give the others back.
 */
static void pcache_keep_extra_runs(struct list_head *extra)
{
	struct span *s, *tmp;
	unsigned long flags;
	struct pcache *pc;

	local_lock_irqsave(&pcache_cpu.lock, flags);
	pc = this_cpu_ptr(&pcache_cpu);
	list_for_each_entry_safe(s, tmp, extra, list) {
		s->nelems = 1;	/* as a large object's, for span_words() */
		if (pcache_run_room(pc, s->npages)) {
			list_del(&s->list);
			pcache_keep_run(pc, s, NULL);
		}
	}
	local_unlock_irqrestore(&pcache_cpu.lock, flags);
	pcache_free_spans(extra);
}

/*
 * A kept run of @npages, newest first, as a span fresh from the heap. Kept
 * runs are large objects' only, aligned as span_align(0, @npages) asks
 * when they were taken: any of them serves.
 */
static struct span *pcache_take_run(struct pcache *pc, unsigned int npages)
{
	unsigned int i = pc->nruns;
	struct span *s;

	while (i--) {
		s = pc->runs[i];
		if (s->npages != npages)
			continue;
		if (i < --pc->nruns)
			memmove(pc->runs + i, pc->runs + i + 1,
				(pc->nruns - i) * sizeof(*pc->runs));
		pc->run_pages -= npages;
		pc->nruns_of[npages - 1]--;
		span_set_run(s, s->chunk, s->first, npages);
		return s;
	}
	return NULL;
}

/*
 * Span structs for this CPU's page cache when it and the pool have none:
 * from the slab, before interrupts go off, as kmem_cache_alloc() may sleep.
 */
static noinline void pcache_add_fresh_spans(gfp_t gfp)
{
	struct span *fresh[PCACHE_SPANS / 2];
	unsigned int n = 0;
	unsigned long flags;
	struct pcache *pc;

	while (n < ARRAY_SIZE(fresh) &&
	       (fresh[n] = heap_meta_alloc(SPAN_CACHE_WORDS, gfp)))
		n++;
	local_lock_irqsave(&pcache_cpu.lock, flags);
	pc = this_cpu_ptr(&pcache_cpu);
	while (n && pc->nspans < PCACHE_SPANS)
		pc->spans[pc->nspans++] = fresh[--n];
	local_unlock_irqrestore(&pcache_cpu.lock, flags);
	heap_meta_free(fresh, n, SPAN_CACHE_WORDS);
}

/*
 * pcache_alloc_spans() from this CPU's block: up to @n spans of
 * @npages, at most one round trip to the heap for a new block.
 */
static unsigned int pcache_alloc_block_spans(unsigned int npages,
					     unsigned int align, gfp_t gfp,
					     unsigned int n,
					     struct list_head *list)
{
	bool tried = false, gave = false, ok;
	unsigned int got = 0, first;
	struct heap_chunk *ch;
	unsigned long flags;
	struct pcache *pc;
	struct span *s;

	/* A racy peek: short of structs for @n spans, and none pooled. */
	if (raw_cpu_read(pcache_cpu.nspans) < n &&
	    heap_span_pool_empty(SPAN_CACHE_WORDS))
		pcache_add_fresh_spans(gfp);
	local_lock_irqsave(&pcache_cpu.lock, flags);
	pc = this_cpu_ptr(&pcache_cpu);
	while (got < n) {
		if (!pc->nspans ||
		    !pcache_take(pc, npages, align, &ch, &first)) {
			if (tried)
				break;
			tried = true;
			spin_lock(&heap_lock);
			ok = __pcache_refill(pc, npages, align, &gave);
			spin_unlock(&heap_lock);
			if (!ok)
				break;
			continue;
		}
		s = pc->spans[--pc->nspans];
		span_set_run(s, ch, first, npages);
		list_add_tail(&s->list, list);
		got++;
	}
	local_unlock_irqrestore(&pcache_cpu.lock, flags);
	if (gave)
		heap_check_headroom();
	return got;
}

/**
 * pcache_cpu_drain() - give a CPU's page cache back to the heap
 * @cpu: the CPU; the caller runs on it, or it is dead
 *
 * Context: as said; takes heap_lock.
 */
void pcache_cpu_drain(int cpu)
{
	struct pcache *pc = per_cpu_ptr(&pcache_cpu, cpu);
	struct span *unused[PCACHE_SPANS];
	unsigned int nunused = 0;
	unsigned long flags;
	LIST_HEAD(spare);
	struct span *s;
	bool gave;

	/* This CPU's lock: @cpu is this one, or dead. */
	local_lock_irqsave(&pcache_cpu.lock, flags);
	spin_lock(&heap_lock);
	gave = __pcache_flush(pc) || pc->nruns;
	while (pc->nruns)
		__heap_put_span(pc->runs[--pc->nruns], &spare);
	pc->run_pages = 0;
	memset(pc->nruns_of, 0, sizeof(pc->nruns_of));
	/*
	 * The stock's structs may never have served a span: their nelems,
	 * which heap_spans_freed() sizes a struct by, means nothing. They are
	 * all of SPAN_CACHE_WORDS.
	 */
	while (pc->nspans) {
		s = pc->spans[--pc->nspans];
		if (!__heap_span_pool_push(s, SPAN_CACHE_WORDS))
			unused[nunused++] = s;
	}
	spin_unlock(&heap_lock);
	local_unlock_irqrestore(&pcache_cpu.lock, flags);
	heap_meta_free(unused, nunused, SPAN_CACHE_WORDS);
	heap_spans_freed(&spare, gave);
}

/**
 * pcache_cpu_check() - is this CPU's page cache in use in its chunks?
 * @bad_runs: set to the number of kept runs that are not: a page of the
 *	      run free in its chunk, its first page still mapped to a span,
 *	      too long, or not summed right in the cache's page count
 *
 * Return: the block's free pages that its chunk counts free too (a
 * violation; 0 when consistent), as a mask of the block's word.
 */
unsigned long pcache_cpu_check(unsigned int *bad_runs)
{
	u8 nruns_of[PCACHE_RUN_MAX] = {};
	unsigned long flags, bad = 0;
	unsigned int i, pages = 0;
	struct pcache *pc;
	struct span *s;

	*bad_runs = 0;
	local_lock_irqsave(&pcache_cpu.lock, flags);
	pc = this_cpu_ptr(&pcache_cpu);
	if (pc->free)
		bad = pc->free & ~READ_ONCE(pc->chunk->used[pc->word]);
	for (i = 0; i < pc->nruns; i++) {
		s = pc->runs[i];
		pages += s->npages;
		/* heap_lock's bits, but these pages are ours: no one flips them. */
		if (s->npages > PCACHE_RUN_MAX || span_of((void *)s->base) ||
		    find_next_zero_bit(s->chunk->used, s->first + s->npages,
				       s->first) < s->first + s->npages)
			++*bad_runs;
		else
			nruns_of[s->npages - 1]++;
	}
	if (pages != pc->run_pages ||
	    memcmp(nruns_of, pc->nruns_of, sizeof(nruns_of)))
		++*bad_runs;
	local_unlock_irqrestore(&pcache_cpu.lock, flags);
	return bad;
}

/**
 * pcache_cpu_block() - a CPU's page cache, for tests
 * @cpu: the CPU
 * @chunk: set to the chunk of its block, or NULL
 * @word: set to the block's bitmap word in @chunk
 *
 * Return: the block's free pages, as a mask of the word; racy unless the
 * CPU is idle.
 */
unsigned long pcache_cpu_block(int cpu, struct heap_chunk **chunk,
			       unsigned int *word)
{
	struct pcache *pc = per_cpu_ptr(&pcache_cpu, cpu);

	*chunk = READ_ONCE(pc->chunk);
	*word = READ_ONCE(pc->word);
	return READ_ONCE(pc->free);
}
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(pcache_cpu_block);

/**
 * pcache_cached_pages() - kernel pages free in the CPUs' page caches: their
 * blocks' free pages and the large objects' runs they keep
 *
 * Return: their sum, read without locks.
 */
unsigned long pcache_cached_pages(void)
{
	unsigned long pages = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		pages += hweight_long(READ_ONCE(per_cpu(pcache_cpu.free, cpu))) +
			 READ_ONCE(per_cpu(pcache_cpu.run_pages, cpu));
	return pages << GOALLOC_PAGE_ORDER;
}
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(pcache_cached_pages);

/**
 * pcache_alloc_spans() - spans with runs of pages, several under one lock
 * @npages: Go pages of each run
 * @align: each run starts at a multiple of this many Go pages, a power of
 *	   two up to @npages (span_align())
 * @words: bitmap words each span's metadata carries
 * @gfp: the caller's mask
 * @n: spans wanted, at least 1
 * @list: receives the spans, linked by their ->list
 *
 * Classes with fewer objects per span than a magazine holds (144 bytes
 * and up) grow by several spans. Runs this CPU's page cache keeps come
 * first, then its block, then the heap (heap_alloc_spans()).
 *
 * Context: any context that @gfp allows. Takes this CPU's page-cache lock,
 * heap_lock.
 * Return: spans added to @list, 1 .. @n, each with chunk, first, npages
 * and base set and its other fields zero, its @words of trailing metadata
 * for the caller to set; 0 when memory is short.
 */
unsigned int pcache_alloc_spans(unsigned int npages, unsigned int align,
				unsigned int words, gfp_t gfp, unsigned int n,
				struct list_head *list)
{
	unsigned int got = 0, placed;
	unsigned long flags;
	bool batch = false;
	LIST_HEAD(extra);
	struct span *s;

	/* A racy peek: does this CPU keep a run of this length? */
	if (pcache_keeps(npages, words) &&
	    raw_cpu_read(pcache_cpu.nruns_of[npages - 1])) {
		local_lock_irqsave(&pcache_cpu.lock, flags);
		while (got < n &&
		       (s = pcache_take_run(this_cpu_ptr(&pcache_cpu), npages))) {
			list_add_tail(&s->list, list);
			got++;
		}
		local_unlock_irqrestore(&pcache_cpu.lock, flags);
		if (got)
			return got;
	}
	if (npages <= PCACHE_MAX_RUN && words == SPAN_CACHE_WORDS) {
		got = pcache_alloc_block_spans(npages, align, gfp, n, list);
		if (got)
			return got;
	}
	/* A run the page cache keeps: maybe more, while heap_lock is held. */
	if (n == 1 && npages > PCACHE_MAX_RUN && pcache_keeps(npages, words)) {
		n = pcache_run_batch(npages);
		batch = n > 1;
	}
	placed = heap_alloc_spans(npages, align, words, gfp, n, list);
	if (batch && placed > 1) {
		/* The first of them is the caller's. */
		for (; placed > 1; placed--)
			list_move(list->prev, &extra);
		pcache_keep_extra_runs(&extra);
	}
	return placed;
}

/*
 * pcache_free_spans() under this CPU's page-cache lock: metadata not kept
 * goes to @spare. Return: true if pages went back to the block or the heap
 * (for heap_spans_freed(): free pages grew, the scavenger may have work).
 */
static bool __pcache_free_spans(struct list_head *list, struct list_head *spare)
{
	struct pcache *pc = this_cpu_ptr(&pcache_cpu);
	struct span *s, *tmp;
	bool gave = false;

	/* Runs in this CPU's block go back to it; the rest to the heap. */
	list_for_each_entry_safe(s, tmp, list, list) {
		if (pcache_owns(pc, s)) {
			list_del(&s->list);
			pcache_put(pc, s, spare);
			gave = true;
		}
	}
	if (!list_empty(list)) {
		spin_lock(&heap_lock);
		list_for_each_entry_safe(s, tmp, list, list) {
			list_del(&s->list);
			__heap_put_span(s, spare);
		}
		spin_unlock(&heap_lock);
		gave = true;
	}
	return gave;
}

/**
 * pcache_free_spans() - give spans' runs back, and keep their metadata for reuse
 * @list: spans linked by ->list, their pages no longer mapped to them
 *
 * Runs inside this CPU's page-cache block go back to the block, the others
 * to their chunks.
 *
 * Context: any. Takes heap_lock once, if a run goes to a chunk.
 */
void pcache_free_spans(struct list_head *list)
{
	unsigned long flags;
	LIST_HEAD(spare);
	bool gave;

	local_lock_irqsave(&pcache_cpu.lock, flags);
	gave = __pcache_free_spans(list, &spare);
	local_unlock_irqrestore(&pcache_cpu.lock, flags);
	heap_spans_freed(&spare, gave);
}

/* ------------------------------------------------------------------ */
/* Large objects: the lists of live ones, and their runs when freed */

/*
 * A list per CPU, rather than one under heap_lock: an allocation and its
 * free on the same CPU take a lock that other CPUs take only to free this
 * CPU's objects, or to read the lists.
 */
static DEFINE_PER_CPU(struct large_list, large_lists);

/**
 * pcache_large_list() - a CPU's list of large objects, for statistics and
 * tests
 * @cpu: a possible CPU
 *
 * Return: its struct large_list; take its lock to read it.
 */
struct large_list *pcache_large_list(int cpu)
{
	return per_cpu_ptr(&large_lists, cpu);
}
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(pcache_large_list);

/**
 * pcache_note_large() - list and account a new large object
 * @s: its SPAN_LARGE span
 *
 * It goes on this CPU's list, or on the one it ran on a moment ago if it
 * was preempted: @s->cpu says which.
 *
 * Context: any; takes that CPU's large_list lock.
 */
void pcache_note_large(struct span *s)
{
	struct large_list *ll;
	unsigned long flags;

	s->cpu = raw_smp_processor_id();
	ll = per_cpu_ptr(&large_lists, s->cpu);
	spin_lock_irqsave(&ll->lock, flags);
	list_add(&s->list, &ll->spans);
	ll->objects++;
	ll->pages += s->npages << GOALLOC_PAGE_ORDER;
	ll->req_bytes += s->size;
	ll->bytes_total += span_bytes(s);
	spin_unlock_irqrestore(&ll->lock, flags);
}

/**
 * pcache_free_large() - unlist a freed large object and give its run back
 * @s: its SPAN_LARGE span, its first page no longer mapped to it
 *
 * This CPU's page cache keeps the run for the next large allocation of its
 * size (pcache_keep_run()) unless it lies in the cache's block, is too
 * long, or its span carries more metadata (debug=1, track_waste=1); what
 * the cache does not keep is freed as by pcache_free_spans().
 *
 * Context: any; takes this CPU's page-cache lock, inside it the large_list
 * lock of the CPU that allocated @s, then maybe heap_lock.
 */
void pcache_free_large(struct span *s)
{
	struct large_list *ll = per_cpu_ptr(&large_lists, s->cpu);
	struct pcache *pc;
	unsigned long flags;
	LIST_HEAD(spare);
	LIST_HEAD(run);
	bool gave;

	local_lock_irqsave(&pcache_cpu.lock, flags);
	spin_lock(&ll->lock);
	list_del(&s->list);
	s->allocated = 0;
	ll->objects--;
	ll->pages -= s->npages << GOALLOC_PAGE_ORDER;
	ll->req_bytes -= s->size;
	spin_unlock(&ll->lock);
	pc = this_cpu_ptr(&pcache_cpu);
	if (!pcache_owns(pc, s) &&
	    pcache_keeps(s->npages, span_words(s->nelems)))
		pcache_keep_run(pc, s, &run);
	else
		list_add(&s->list, &run);
	gave = __pcache_free_spans(&run, &spare);
	local_unlock_irqrestore(&pcache_cpu.lock, flags);
	heap_spans_freed(&spare, gave);
}

/**
 * pcache_large_stats() - the large objects' totals, summed over the CPUs
 * @st: filled in; consistent per CPU
 *
 * Context: any; takes each CPU's large_list lock in turn.
 */
void pcache_large_stats(struct large_stats *st)
{
	struct large_list *ll;
	unsigned long flags;
	int cpu;

	memset(st, 0, sizeof(*st));
	for_each_possible_cpu(cpu) {
		ll = per_cpu_ptr(&large_lists, cpu);
		spin_lock_irqsave(&ll->lock, flags);
		st->objects += ll->objects;
		st->pages += ll->pages;
		st->req_bytes += ll->req_bytes;
		st->bytes_total += ll->bytes_total;
		spin_unlock_irqrestore(&ll->lock, flags);
	}
}
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(pcache_large_stats);

void pcache_init(void)
{
	struct large_list *ll;
	int cpu;

	for_each_possible_cpu(cpu) {
		ll = per_cpu_ptr(&large_lists, cpu);
		spin_lock_init(&ll->lock);
		INIT_LIST_HEAD(&ll->spans);
	}
}

/* Unload, after every span is gone: every CPU's page cache to the heap. */
void pcache_exit(void)
{
	int cpu;

	for_each_possible_cpu(cpu)
		pcache_cpu_drain(cpu);
}
