// SPDX-License-Identifier: GPL-2.0
/*
 * goalloc consistency checker: walks every class, span, CPU cache and
 * chunk and checks the invariants the allocator relies on. debugfs
 * "verify" prints "ok" or every violation; tests end with it.
 *
 * Each span is checked under its class's central lock, a batch of spans
 * per hold (class_walk_batch()), each CPU's magazines in a worker on that
 * CPU under its mcache lock, the heap under heap_lock; so a check sees
 * each span consistent, blocks a class's refills for one batch at a time,
 * and may run while goalloc is in use. A class's counts are sums over all
 * its spans, checked when a walk saw the class unchanged (verify_class()).
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

/*
 * The pages of @s past those span_mapped_pages() names map to nothing
 * (span_map_pages()); the caller checks the ones it names.
 */
static void verify_unmapped_pages(struct verify *v, const struct span *s)
{
	unsigned long addr = s->base + span_mapped_pages(s) * PAGE_SIZE;

	for (; addr < s->base + span_bytes(s); addr += PAGE_SIZE)
		if (span_of((void *)addr))
			verify_fail(v, "span %p: page at offset %lu maps to a span",
				    s, addr - s->base);
}

/* Bitmap, window, page map and chunk of one span. */
static void verify_span(struct verify *v, const struct span *s,
			unsigned int cls, enum span_state state)
{
	size_t bits = BITS_TO_LONGS(s->nelems) * BITS_PER_LONG;
	unsigned long addr, mapped = s->base + span_mapped_pages(s) * PAGE_SIZE;
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
	if (cls && ((s->npages != class_info[cls].npages &&
		     s->npages != class_info[cls].go_npages &&
		     s->npages != class_min_npages(cls)) ||
		    s->nelems != class_objects_in(cls, s->npages)))
		verify_fail(v, "span %p: %u Go pages, %u slots in class %u",
			    s, s->npages, s->nelems, cls);
	/* The free's copy of the class's divisor (span_init()). */
	if (s->divmagic != class_divmagic[cls])
		verify_fail(v, "span %p: divmagic %llx, class %u's %llx",
			    s, s->divmagic, cls, class_divmagic[cls]);
	if (cls) {
		first_free = find_first_zero_bit(s->allocbits, bits);
		w = s->freeindex / BITS_PER_LONG;
		if (first_free < s->freeindex ||
		    s->alloc_cache != ~s->allocbits[w])
			verify_fail(v, "span %p: free slot %u below window %u or stale alloc_cache",
				    s, first_free, s->freeindex);
	}
	for (addr = s->base; addr < mapped; addr += PAGE_SIZE)
		if (span_of((void *)addr) != s)
			verify_fail(v, "span %p: page at offset %lu does not map back",
				    s, addr - s->base);
	verify_unmapped_pages(v, s);
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

/*
 * A class walked by verify: the spans counted per list and their sums,
 * to hold against the class's own counts. A second walk (@sums_only) only
 * counts again: its spans were checked in the first.
 */
struct verify_class {
	struct verify *v;
	unsigned int cls;
	bool sums_only;
	unsigned long n[NR_SPAN_STATES];
	struct span_sums sum;
};

static unsigned int verify_walked_span(struct span *s, enum span_state where,
				       int cpu, void *arg)
{
	struct verify_class *vc = arg;

	vc->n[where]++;
	span_sums_add(&vc->sum, s);
	if (vc->sums_only)
		return 1;
	/* A cached span's count may be anything from 0 to nelems - 1. */
	if (where == SPAN_CACHED &&
	    (s->cpu != cpu || s->state != SPAN_CACHED ||
	     s->allocated == s->nelems))
		verify_fail(vc->v, "span %p: cached by %d, says %d, state %u, %u/%u",
			    s, cpu, s->cpu, s->state, s->allocated, s->nelems);
	else
		verify_span(vc->v, s, vc->cls, where);
	/* Its pages were looked up: a cache's span can be 4 MiB. */
	return DIV_ROUND_UP(span_bytes(s) >> PAGE_SHIFT, GOALLOC_WALK_PAGES);
}

/*
 * The class's counts against what the walk summed, when it summed one
 * state of the class; and the depot, which a batch of its own covers.
 */
static void verify_class_end(bool whole, void *arg)
{
	struct verify_class *vc = arg;
	struct central *c = &goalloc_central[vc->cls];
	struct verify *v = vc->v;
	unsigned int cls = vc->cls, i;
	unsigned long *n = vc->n;

	lockdep_assert_held(&c->lock);
	if (!vc->sums_only) {
		if (c->ndepot > c->depot_cap)
			verify_fail(v, "class %u: %u objects in a depot of %u",
				    cls, c->ndepot, c->depot_cap);
		for (i = 0; i < min(c->ndepot, c->depot_cap); i++)
			if (!verify_free_object(c->depot[i], cls))
				verify_fail(v, "class %u: depot slot %u holds bad %p",
					    cls, i, c->depot[i]);
	}
	vc->sums_only = !whole;
	if (!whole)
		return;
	if (memcmp(n, c->nr_spans, sizeof(vc->n)))
		verify_fail(v, "class %u: span counts %lu/%lu/%lu/%lu, lists hold %lu/%lu/%lu/%lu",
			    cls, c->nr_spans[SPAN_PARTIAL], c->nr_spans[SPAN_FULL],
			    c->nr_spans[SPAN_EMPTY], c->nr_spans[SPAN_CACHED],
			    n[SPAN_PARTIAL], n[SPAN_FULL], n[SPAN_EMPTY],
			    n[SPAN_CACHED]);
	if (vc->sum.objects != c->objects)
		verify_fail(v, "class %u: %lu objects counted, spans hold %lu",
			    cls, c->objects, vc->sum.objects);
	if (vc->sum.slots != c->slots || vc->sum.pages != c->pages)
		verify_fail(v, "class %u: %lu slots and %lu pages counted, spans have %lu and %lu",
			    cls, c->slots, c->pages, vc->sum.slots, vc->sum.pages);
}

/*
 * Each span is checked under the class lock, a batch of them per hold
 * (class_walk_batch()), so the checks of one span always see it whole.
 * The class's counts are sums over all of its spans: they are checked
 * when the walk saw the class not change. When it changed, a second
 * walk sums again; if that one sees it change too, the counts go
 * unchecked this time rather than be reported wrong.
 */
static void verify_class(struct verify *v, unsigned int cls)
{
	struct verify_class vc = { .v = v, .cls = cls };
	struct class_walk w;
	int walks;

	for (walks = 0; walks < 2; walks++) {
		memset(vc.n, 0, sizeof(vc.n));
		memset(&vc.sum, 0, sizeof(vc.sum));
		class_walk_init(&w, cls);
		while (class_walk_batch(&w, verify_walked_span,
					verify_class_end, &vc))
			cond_resched();
		if (!vc.sums_only)
			break;
	}
}

/*
 * In a worker on each CPU, under its mcache lock (no fast path of that
 * CPU is midway): its magazines hold free objects of their class, and its
 * page cache's free pages are in use for their chunk.
 */
static long verify_local_mcache(void *arg)
{
	struct mcache_mags *mm = this_cpu_ptr(goalloc_fastpath.mags);
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

/* A CPU's list of large objects walked by verify, and what it holds. */
struct verify_large {
	struct verify *v;
	int cpu;
	unsigned long n, pages;
};

static unsigned int verify_large_span(struct span *s, enum span_state where,
				      int cpu, void *arg)
{
	struct verify_large *vl = arg;
	unsigned long end = s->base + span_bytes(s);
	struct verify *v = vl->v;

	if (s->state != SPAN_LARGE || s->cls || s->allocated != 1 ||
	    s->cpu != cpu || s->divmagic)
		verify_fail(v, "large span %p on CPU %d's list: state %u class %u allocated %u cpu %d divmagic %llx",
			    s, cpu, s->state, s->cls, s->allocated, s->cpu,
			    s->divmagic);
	vl->pages += s->npages << GOALLOC_PAGE_ORDER;
	vl->n++;
	verify_unmapped_pages(v, s);
	/*
	 * Listed, the object is mapped and then its bit set; freed, the bit
	 * is cleared (the claim) before the unmap, and the span unlisted under
	 * this lock. So the bit, set before and after the two lookups, says
	 * the object was live and mapped throughout.
	 */
	if (test_bit(0, s->allocbits)) {
		bool found;

		/* The bit before the lookups: pairs with the allocation's wmb. */
		smp_rmb();
		found = span_of((void *)s->base) == s &&
			span_around((void *)(end - 1)) == s;
		/* The lookups before the bit again: a claim clears it first. */
		smp_rmb();
		if (!found && test_bit(0, s->allocbits))
			verify_fail(v, "large span %p: not found from its first or last byte",
				    s);
	}
	return DIV_ROUND_UP(s->npages << GOALLOC_PAGE_ORDER, GOALLOC_WALK_PAGES);
}

/* The list's counts, when the walk saw it whole. Under the list's lock. */
static void verify_large_end(bool whole, void *arg)
{
	struct verify_large *vl = arg;
	struct large_list *ll = pcache_large_list(vl->cpu);

	lockdep_assert_held(&ll->lock);
	if (whole && (vl->n != ll->objects || vl->pages != ll->pages))
		verify_fail(vl->v, "CPU %d: %lu large objects of %lu pages listed, counted %lu of %lu",
			    vl->cpu, vl->n, vl->pages, ll->objects, ll->pages);
}

/* @cpu's list of large objects, a batch per hold of its lock. */
static void verify_large(struct verify *v, int cpu)
{
	struct verify_large vl = { .v = v, .cpu = cpu };
	struct large_walk w;

	large_walk_init(&w, cpu);
	while (large_walk_batch(&w, verify_large_span, verify_large_end, &vl))
		cond_resched();
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
		if (class_info[cls].size)
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
