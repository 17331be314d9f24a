// SPDX-License-Identifier: GPL-2.0
/*
 * goalloc consistency checker: walks every class, span, CPU cache and
 * chunk and checks the invariants the allocator relies on. debugfs
 * "verify" prints "ok" or every violation; tests end with it.
 *
 * Each class is checked under its central lock, each CPU's magazines in a
 * worker on that CPU under its mcache lock, the heap under heap_lock; so a
 * check sees each part consistent, never blocks allocation for longer
 * than one class's walk, and may run while goalloc is in use.
 */

#define pr_fmt(fmt) "goalloc: " fmt

#include <linux/cpu.h>
#include <linux/seq_file.h>
#include <linux/smp.h>

#include "goalloc_mcache.h"

struct verify {
	struct seq_file *m;	/* report here, or to the log if NULL */
	atomic_t violations;
};

static __printf(2, 3) void verify_fail(struct verify *v, const char *fmt, ...)
{
	struct va_format vaf;
	va_list args;

	atomic_inc(&v->violations);
	va_start(args, fmt);
	vaf.fmt = fmt;
	vaf.va = &args;
	if (v->m)
		seq_printf(v->m, "%pV\n", &vaf);
	else
		pr_err("verify: %pV\n", &vaf);
	va_end(args);
}

/* Bitmap, window, page map and chunk of one span. */
static void verify_span(struct verify *v, const struct span *s,
			unsigned int cls, enum span_state state)
{
	size_t bits = BITS_TO_LONGS(s->nelems) * BITS_PER_LONG;
	unsigned long addr, end = s->base + span_bytes(s);
	unsigned int w, first_free;

	if (s->cls != cls || s->state != state)
		verify_fail(v, "span %p: class %u state %u on class %u's list of state %u",
			    s, s->cls, s->state, cls, state);
	if (bitmap_weight(s->allocbits, bits) != s->allocated ||
	    find_next_bit(s->allocbits, bits, s->nelems) != bits)
		verify_fail(v, "span %p: %u bits set for %u allocated of %u",
			    s, bitmap_weight(s->allocbits, bits), s->allocated,
			    s->nelems);
	if ((state == SPAN_FULL && s->allocated != s->nelems) ||
	    (state == SPAN_EMPTY && s->allocated) ||
	    (state == SPAN_PARTIAL && (!s->allocated || s->allocated == s->nelems)))
		verify_fail(v, "span %p: %u of %u allocated in state %u",
			    s, s->allocated, s->nelems, state);
	/* Sampled objects are allocated ones (READ_ONCE: profile_lock's). */
	if (READ_ONCE(s->nsampled) > s->allocated)
		verify_fail(v, "span %p: %u sampled objects, %u allocated",
			    s, READ_ONCE(s->nsampled), s->allocated);
	if (cls && ((s->npages != class_to_npages[cls] &&
		     s->npages != class_to_go_npages[cls] &&
		     s->npages != class_min_npages(cls)) ||
		    s->nelems != class_objects_in(cls, s->npages)))
		verify_fail(v, "span %p: %u Go pages, %u slots in class %u",
			    s, s->npages, s->nelems, cls);
	if (cls) {
		first_free = find_first_zero_bit(s->allocbits, bits);
		w = s->freeindex / BITS_PER_LONG;
		if (first_free < s->freeindex ||
		    s->alloc_cache != ~s->allocbits[w])
			verify_fail(v, "span %p: free slot %u below window %u or stale alloc_cache",
				    s, first_free, s->freeindex);
	}
	for (addr = s->base; addr < end; addr += PAGE_SIZE)
		if (span_of((void *)addr) != s)
			verify_fail(v, "span %p: page at offset %lu does not map back",
				    s, addr - s->base);
	spin_lock(&heap_lock);
	for (w = s->first; w < s->first + s->npages; w++)
		if (!test_bit(w, s->chunk->used))
			verify_fail(v, "span %p: Go page %u free in its chunk", s, w);
	spin_unlock(&heap_lock);
}

/* What a class's spans hold, summed over its lists and cached spans. */
struct span_sums {
	unsigned long objects, slots, pages;
};

static void span_sums_add(struct span_sums *sum, const struct span *s)
{
	sum->objects += s->allocated;
	sum->slots += s->nelems;
	sum->pages += s->npages;
}

static unsigned long verify_list(struct verify *v, struct list_head *head,
				 unsigned int cls, enum span_state state,
				 struct span_sums *sum)
{
	unsigned long n = 0;
	struct span *s;

	list_for_each_entry(s, head, list) {
		verify_span(v, s, cls, state);
		span_sums_add(sum, s);
		n++;
	}
	return n;
}

/*
 * A free object held by a cache (a magazine or a depot): an object of @cls
 * that is allocated in its span, and with debug=1 marked cached.
 */
static bool verify_free_object(const void *p, unsigned int cls)
{
	const struct span *s = span_of(p);
	unsigned int idx;

	return s && s->cls == cls &&
	       object_check(s, cls, p, &idx) == REPORT_NONE &&
	       (!static_branch_unlikely(&goalloc_debug_key) ||
		test_bit(idx, s->cachedbits));
}

static void verify_class(struct verify *v, unsigned int cls)
{
	struct central *c = &goalloc_central[cls];
	unsigned long n[NR_SPAN_STATES] = {};
	struct span_sums sum = {};
	unsigned long flags;
	unsigned int i;
	struct span *s;
	int cpu;

	spin_lock_irqsave(&c->lock, flags);
	n[SPAN_PARTIAL] = verify_list(v, &c->partial, cls, SPAN_PARTIAL, &sum);
	n[SPAN_FULL] = verify_list(v, &c->full, cls, SPAN_FULL, &sum);
	n[SPAN_EMPTY] = verify_list(v, &c->empty, cls, SPAN_EMPTY, &sum);
	for_each_possible_cpu(cpu) {
		s = mcache_of(cpu)->cls[cls].span;
		if (!s)
			continue;
		n[SPAN_CACHED]++;
		span_sums_add(&sum, s);
		/* A cached span's count may be anything from 0 to nelems - 1. */
		if (s->cpu != cpu || s->state != SPAN_CACHED ||
		    s->allocated == s->nelems)
			verify_fail(v, "span %p: cached by %d, says %d, state %u, %u/%u",
				    s, cpu, s->cpu, s->state, s->allocated, s->nelems);
		else
			verify_span(v, s, cls, SPAN_CACHED);
	}
	if (memcmp(n, c->nr_spans, sizeof(n)))
		verify_fail(v, "class %u: span counts %lu/%lu/%lu/%lu, lists hold %lu/%lu/%lu/%lu",
			    cls, c->nr_spans[SPAN_PARTIAL], c->nr_spans[SPAN_FULL],
			    c->nr_spans[SPAN_EMPTY], c->nr_spans[SPAN_CACHED],
			    n[SPAN_PARTIAL], n[SPAN_FULL], n[SPAN_EMPTY],
			    n[SPAN_CACHED]);
	if (sum.objects != c->objects)
		verify_fail(v, "class %u: %lu objects counted, spans hold %lu",
			    cls, c->objects, sum.objects);
	if (sum.slots != c->slots || sum.pages != c->pages)
		verify_fail(v, "class %u: %lu slots and %lu pages counted, spans have %lu and %lu",
			    cls, c->slots, c->pages, sum.slots, sum.pages);
	if (c->ndepot > c->depot_cap)
		verify_fail(v, "class %u: %u objects in a depot of %u",
			    cls, c->ndepot, c->depot_cap);
	for (i = 0; i < min(c->ndepot, c->depot_cap); i++)
		if (!verify_free_object(c->depot[i], cls))
			verify_fail(v, "class %u: depot slot %u holds bad %p",
				    cls, i, c->depot[i]);
	spin_unlock_irqrestore(&c->lock, flags);
}

/*
 * In a worker on each CPU, under its mcache lock (no fast path of that
 * CPU is midway): its magazines hold free objects of their class, and its
 * page cache's free pages are in use for their chunk.
 */
static long verify_local_mcache(void *arg)
{
	struct mcache_mags *mm = this_cpu_ptr(goalloc_mags);
	int cpu = smp_processor_id();
	unsigned int cls, level, i;
	unsigned long flags, bad;
	struct verify *v = arg;
	unsigned int bad_runs;

	local_lock_irqsave(&goalloc_mcache.lock, flags);
	bad = pcache_cpu_check(&bad_runs);
	if (bad)
		verify_fail(v, "CPU %d: page cache holds pages %#lx its chunk has free",
			    cpu, bad);
	if (bad_runs)
		verify_fail(v, "CPU %d: %u bad runs kept in the page cache",
			    cpu, bad_runs);
	for (level = 0; level < NR_MAG_LEVELS; level++) {
		/* Caches' classes too; those not in use have no objects. */
		for (cls = 1; cls < NR_CLASSES; cls++) {
			unsigned int mag = MAG(level, cls);
			void **objs = mm->objs[mag];

			for (i = 0; i < mag_count(mm, mag); i++)
				if (!verify_free_object(objs[i], cls))
					verify_fail(v, "CPU %d class %u: slot %u holds bad %p",
						    cpu, cls, i, objs[i]);
		}
	}
	local_unlock_irqrestore(&goalloc_mcache.lock, flags);
	return 0;
}

static void verify_chunk(struct verify *v, struct heap_chunk *ch,
			 bool has_free, unsigned long *pages, unsigned long *inuse)
{
	unsigned int used = bitmap_weight(ch->used, ch->npages);

	if (ch->nfree != ch->npages - used || !ch->nfree != !has_free)
		verify_fail(v, "chunk %p: %u free, bitmap says %u, on the %s list",
			    ch, ch->nfree, ch->npages - used,
			    has_free ? "partial" : "full");
	if (ch->hint < ch->npages &&
	    find_first_zero_bit(ch->used, ch->npages) < ch->hint)
		verify_fail(v, "chunk %p: free page below hint %u", ch, ch->hint);
	if (ch->no_fit && bitmap_find_next_zero_area(ch->used, ch->npages, 0,
						     ch->no_fit, 0) < ch->npages)
		verify_fail(v, "chunk %p: a free run of %u pages, said not to fit",
			    ch, ch->no_fit);
	if (ch->no_fit_aligned &&
	    bitmap_find_next_zero_area(ch->used, ch->npages, 0, ch->no_fit_aligned,
				       ch->no_fit_aligned - 1) < ch->npages)
		verify_fail(v, "chunk %p: a free aligned run of %u pages, said not to fit",
			    ch, ch->no_fit_aligned);
	*pages += 1UL << ch->order;
	*inuse += used << GOALLOC_PAGE_ORDER;
}

/* @cpu's list of large objects. */
static void verify_large(struct verify *v, int cpu)
{
	struct large_list *hl = pcache_large_list(cpu);
	unsigned long flags, addr, end, pages = 0, n = 0;
	struct span *s;

	spin_lock_irqsave(&hl->lock, flags);
	list_for_each_entry(s, &hl->spans, list) {
		if (s->state != SPAN_LARGE || s->cls || s->allocated != 1 ||
		    s->cpu != cpu)
			verify_fail(v, "large span %p on CPU %d's list: state %u class %u allocated %u cpu %d",
				    s, cpu, s->state, s->cls, s->allocated,
				    s->cpu);
		pages += s->npages << GOALLOC_PAGE_ORDER;
		n++;
		/* Its other pages map to nothing (span_map_pages()). */
		end = s->base + span_bytes(s);
		for (addr = s->base + PAGE_SIZE; addr < end; addr += PAGE_SIZE)
			if (span_of((void *)addr))
				verify_fail(v, "large span %p: page at offset %lu maps to a span",
					    s, addr - s->base);
		if (span_of((void *)s->base) == s &&
		    large_span_around((void *)(end - 1)) == s)
			continue;
		/*
		 * A free claims the object (clears bit 0) before it unmaps its
		 * first page, then waits for this lock to unlist the span: the
		 * two lookups may have seen that unmap.
		 */
		smp_rmb();
		if (test_bit(0, s->allocbits))
			verify_fail(v, "large span %p: not found from its first or last byte",
				    s);
	}
	if (n != hl->objects || pages != hl->pages)
		verify_fail(v, "CPU %d: %lu large objects of %lu pages listed, counted %lu of %lu",
			    cpu, n, pages, hl->objects, hl->pages);
	spin_unlock_irqrestore(&hl->lock, flags);
}

/*
 * The chunks against the totals heap_lock keeps, read in the same hold so
 * that allocations and frees meanwhile cannot make them differ; then each
 * CPU's large objects against its counters, under its lock.
 */
static void verify_heap(struct verify *v)
{
	unsigned long flags, pages = 0, inuse = 0;
	struct heap_stats st;
	struct heap_chunk *ch;
	int cpu;

	spin_lock_irqsave(&heap_lock, flags);
	__heap_stats_read(&st);
	list_for_each_entry(ch, &heap_chunks, list)
		verify_chunk(v, ch, true, &pages, &inuse);
	list_for_each_entry(ch, &heap_full_chunks, list)
		verify_chunk(v, ch, false, &pages, &inuse);
	spin_unlock_irqrestore(&heap_lock, flags);
	if (pages != st.sys_pages || inuse != st.inuse_pages ||
	    st.pages_from_buddy - st.pages_returned != st.sys_pages)
		verify_fail(v, "heap: %lu/%lu pages, stats %lu/%lu, %lu-%lu",
			    pages, inuse, st.sys_pages, st.inuse_pages,
			    st.pages_from_buddy, st.pages_returned);
	for_each_possible_cpu(cpu)
		verify_large(v, cpu);
}

/**
 * goalloc_verify() - check every invariant of the allocator
 * @m: where to print violations, or NULL for the kernel log
 *
 * Context: process context, may sleep (a worker runs on each CPU).
 * Return: the number of violations found; 0 when consistent.
 */
int goalloc_verify(struct seq_file *m)
{
	struct verify v = { .m = m, .violations = ATOMIC_INIT(0) };
	unsigned int cls;
	int cpu;

	/* Caches come and go under cache_lock(), not while this walks. */
	cache_lock();
	for (cls = 1; cls < NR_CLASSES; cls++)
		if (class_to_size[cls])
			verify_class(&v, cls);
	/* One CPU at a time: reports go to one seq_file. */
	cpus_read_lock();
	for_each_online_cpu(cpu)
		work_on_cpu(cpu, verify_local_mcache, &v);
	cpus_read_unlock();
	cache_unlock();
	verify_heap(&v);
	return atomic_read(&v.violations);
}
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(goalloc_verify);
