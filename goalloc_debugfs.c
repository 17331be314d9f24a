// SPDX-License-Identifier: GPL-2.0
/*
 * goalloc statistics in debugfs, /sys/kernel/debug/goalloc/:
 *
 *   classes   one row per size class (zsmalloc's per-class table)
 *   spans     one row per live span
 *   heap      Go's runtime.MemStats names, one "Name value" per line
 *   percpu    one row per possible CPU and class in use
 *   counters  event counters, total and per CPU (SLUB_STATS style)
 *   slabinfo  /proc/slabinfo's format, a row per class
 *   verify    "ok", or every violated invariant (goalloc_verify.c)
 *   heap_profile  Go's legacy text heap profile (goalloc_profile.c);
 *             write 0 to start it over
 *   drain     write 1: flush every CPU cache; 2: also release idle chunks
 *
 * Every table has a header row naming its columns. Per-CPU counters are
 * read without the CPUs' locks (a racing update shows up in the next
 * read; allocations, derived from three fields by mag_nalloc(), may be
 * off while their CPU runs). "spans" walks the span lists a batch per
 * lock hold (class_walk_batch(), large_walk_batch(): goalloc_walk.c), so a reader
 * blocks a class's refills for one batch, whatever the heap's size; so
 * does the fullness histogram of "classes" (goalloc_class_stats()).
 * debugfs is optional: failures here never fail the module.
 */

#define pr_fmt(fmt) "goalloc: " fmt

#include <linux/debugfs.h>
#include <linux/fault-inject.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "goalloc_mcache.h"

static struct dentry *goalloc_dir;

const char *const goalloc_event_names[] = {
	[EV_ALLOC_SLOW]			= "alloc_slowpath",
	[EV_FREE_SLOW]			= "free_slowpath",
	[EV_MCACHE_BUSY]		= "fastpath_lock_held",
	[EV_ALLOC_LARGE]		= "alloc_large",
	[EV_FREE_LARGE]			= "free_large",
	[EV_ALLOC_FAIL]			= "alloc_failed",
	[EV_REFILL]			= "refill",
	[EV_FLUSH]			= "flush",
	[EV_REMOTE_FREE]		= "remote_free",
	[EV_SPAN_ALLOC]			= "span_alloc",
	[EV_SPAN_FREE]			= "span_free",
	[EV_SPAN_FALLBACK]		= "span_fallback",
	[EV_CHUNK_ALLOC]		= "chunk_alloc",
	[EV_CHUNK_FREE]			= "chunk_free",
	[EV_SHRINK_CALL]		= "shrinker_call",
	[EV_SHRINK_PAGES]		= "shrinker_pages",
	[EV_REFUSED_FOREIGN]		= "refused_foreign",
	[EV_REFUSED_INTERIOR]		= "refused_interior",
	[EV_REFUSED_DOUBLE_FREE]	= "refused_double_free",
	[EV_REFUSED_USE_AFTER_FREE]	= "refused_use_after_free",
	[EV_REFUSED_TOO_BIG]		= "refused_too_big",
	[EV_POISON_CORRUPTED]		= "poison_corrupted",
	[EV_REFUSED_WRONG_CACHE]	= "refused_wrong_cache",
	[EV_CACHE_MISUSE]		= "cache_misuse",
	[EV_CACHE_LEAKED]		= "cache_leaked",
	[EV_FREE_RCU]			= "free_rcu",
	[EV_REFUSED_NMI]		= "refused_nmi",
	[EV_SCAVENGE_DRAIN]		= "scavenge_drain",
};

static_assert(ARRAY_SIZE(goalloc_event_names) == NR_GOALLOC_EVENTS);

const char *const span_state_names[NR_SPAN_STATES] = {
	[SPAN_PARTIAL] = "partial", [SPAN_FULL] = "full", [SPAN_EMPTY] = "empty",
	[SPAN_CACHED] = "cached", [SPAN_LARGE] = "large",
};

static_assert(ARRAY_SIZE(span_state_names) == NR_SPAN_STATES);

/* Fullness bucket of a span: 0-25 %, 25-50 %, 50-75 %, 75-100 % used. */
static unsigned int span_hist_bucket(const struct span *s)
{
	return min(4U * s->allocated / s->nelems, 3U);
}

/* @a - @b, for counters read unlocked apart that may cross: not below 0. */
static unsigned long counts_sub(unsigned long a, unsigned long b)
{
	return a - min(a, b);
}

/* One CPU's two magazines of @cls, read unlocked: objects, allocs, frees. */
struct mag_counts {
	unsigned long count, nalloc, nfree;
};

static void mag_counts_add(int cpu, unsigned int cls, struct mag_counts *mc)
{
	struct mcache_mags *mm = mcache_mags_of(cpu);
	unsigned int level;

	for (level = 0; level < NR_MAG_LEVELS; level++) {
		unsigned int count = mag_count(mm, MAG(level, cls));

		mc->count += count;
		mc->nalloc += mag_nalloc(mm, MAG(level, cls), count);
		mc->nfree += READ_ONCE(mm->nfree[MAG(level, cls)]);
	}
}

/* A walk of one class for goalloc_class_stats(). */
struct class_stats_walk {
	struct central *c;
	struct goalloc_class_stats *st;
};

/* Under the class lock: a partial or cached span, in its bucket. */
static unsigned int class_stats_add_span(struct span *s, enum span_state where,
					 int cpu, void *arg)
{
	struct class_stats_walk *csw = arg;

	csw->st->hist[span_hist_bucket(s)]++;
	return 1;
}

/* In the walk's last hold of the class lock: the class's own counts. */
static void class_stats_add_counts(bool whole, void *arg)
{
	struct class_stats_walk *csw = arg;
	struct goalloc_class_stats *st = csw->st;
	struct central *c = csw->c;

	lockdep_assert_held(&c->lock);
	memcpy(st->spans, c->nr_spans, sizeof(st->spans));
	st->span_objects = c->objects;
	st->slots = c->slots;
	st->pages = c->pages;
	st->cpu_objects += c->ndepot;
	st->hist[0] += st->spans[SPAN_EMPTY];
	st->hist[3] += st->spans[SPAN_FULL];
}

/**
 * goalloc_class_stats() - a snapshot of one size class
 * @cls: the class
 * @st: filled in
 *
 * Per-CPU counters are read without the CPUs' locks. The class's own
 * counts (spans per state, objects, slots, pages, the depot) are read in
 * one hold of its central lock, so they agree with one another. The
 * fullness histogram counts the partial and cached spans by a walk, a
 * batch per hold (class_walk_batch()), and the empty and full ones from
 * those counts, read in the walk's last hold. On a quiet class it adds
 * up to @st->nspans; on a class that changes under the walk it may count
 * a span twice or miss one.
 *
 * Context: process context; takes the class's central lock, a batch of
 * spans per hold.
 */
void goalloc_class_stats(unsigned int cls, struct goalloc_class_stats *st)
{
	struct class_stats_walk csw = { &goalloc_central[cls], st };
	struct mag_counts mc = {};
	struct class_walk w;
	int cpu;

	memset(st, 0, sizeof(*st));
	for_each_possible_cpu(cpu) {
		/* Another CPU's fields, read unlocked (see the file header). */
		mag_counts_add(cpu, cls, &mc);
		st->req_bytes += READ_ONCE(per_cpu(goalloc_req_bytes, cpu)[cls]);
	}
	st->cpu_objects = mc.count;
	st->nalloc = mc.nalloc;
	st->nfree = mc.nfree;
	/* Empty and full spans fall in the end buckets: counted, not walked. */
	class_walk_init(&w, cls);
	w.lists = BIT(SPAN_PARTIAL) | BIT(SPAN_CACHED);
	while (class_walk_batch(&w, class_stats_add_span,
				class_stats_add_counts, &csw))
		;

	st->nspans = st->spans[SPAN_PARTIAL] + st->spans[SPAN_FULL] +
		     st->spans[SPAN_EMPTY] + st->spans[SPAN_CACHED];
	st->inuse = st->span_objects - min(st->cpu_objects, st->span_objects);
	st->free = st->slots - st->span_objects;
}
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(goalloc_class_stats);

static const char *const class_col_names[] = {
	"spans", "partial", "full", "empty", "cached",
	"inuse", "free", "cpu_cached", "allocs", "frees",
	"bytes_inuse", "tail_waste", "roundup_waste", "waste",
	"hist_0_25", "hist_25_50", "hist_50_75", "hist_75_100",
};

static_assert(ARRAY_SIZE(class_col_names) == NR_CLASS_COLS);

/**
 * goalloc_class_row() - the numbers of one "classes" row
 * @cls: the class
 * @col: NR_CLASS_COLS entries, filled in
 *
 * Waste is the tail of every span of the class (the "pages" and "objs"
 * columns give its spans' geometry; fallback spans are smaller) plus, with
 * track_waste, the round-up of each object in use (its class size minus
 * the bytes its caller asked for); without track_waste the round-up is not
 * known and counts as 0.
 */
void goalloc_class_row(unsigned int cls, unsigned long *col)
{
	unsigned int size = class_info[cls].size;
	struct goalloc_class_stats st;

	goalloc_class_stats(cls, &st);
	col[COL_SPANS] = st.nspans;
	col[COL_PARTIAL] = st.spans[SPAN_PARTIAL];
	col[COL_FULL] = st.spans[SPAN_FULL];
	col[COL_EMPTY] = st.spans[SPAN_EMPTY];
	col[COL_CACHED] = st.spans[SPAN_CACHED];
	col[COL_INUSE] = st.inuse;
	col[COL_FREE] = st.free;
	col[COL_CPU_CACHED] = st.cpu_objects;
	col[COL_ALLOCS] = st.nalloc;
	col[COL_FREES] = st.nfree;
	col[COL_BYTES_INUSE] = st.inuse * size;
	col[COL_TAIL_WASTE] = st.pages * GOALLOC_PAGE_SIZE - st.slots * size;
	col[COL_ROUNDUP_WASTE] = static_branch_unlikely(&goalloc_track_key) ?
				 st.inuse * size - st.req_bytes : 0;
	col[COL_WASTE] = col[COL_TAIL_WASTE] + col[COL_ROUNDUP_WASTE];
	memcpy(&col[COL_HIST0], st.hist, sizeof(st.hist));
}
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(goalloc_class_row);

static void class_row_print(struct seq_file *m, const unsigned long *col)
{
	int i;

	for (i = 0; i < NR_CLASS_COLS; i++) {
		if (i == COL_ROUNDUP_WASTE &&
		    !static_branch_unlikely(&goalloc_track_key))
			seq_puts(m, " -");
		else
			seq_printf(m, " %lu", col[i]);
	}
	seq_putc(m, '\n');
}

static int classes_show(struct seq_file *m, void *v)
{
	unsigned long col[NR_CLASS_COLS], total[NR_CLASS_COLS] = {};
	unsigned int cls;
	int i;

	seq_puts(m, "class size pages objs");
	for (i = 0; i < NR_CLASS_COLS; i++)
		seq_printf(m, " %s", class_col_names[i]);
	seq_putc(m, '\n');
	for (cls = 1; cls < GOALLOC_NUM_CLASSES; cls++) {
		goalloc_class_row(cls, col);
		for (i = 0; i < NR_CLASS_COLS; i++)
			total[i] += col[i];
		seq_printf(m, "%u %u %u %u", cls, class_info[cls].size,
			   class_info[cls].npages, class_span_objects(cls));
		class_row_print(m, col);
	}
	seq_puts(m, "total - - -");
	class_row_print(m, total);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(classes);

/**
 * goalloc_cache_row() - the numbers of one "caches" row
 * @c: the cache, under cache_lock()
 * @r: filled in
 */
void goalloc_cache_row(struct goalloc_cache *c, struct goalloc_cache_row *r)
{
	struct goalloc_cache_info *ci = &r->info;
	struct goalloc_class_stats st;

	cache_info(c, ci);
	goalloc_class_stats(ci->cls, &st);
	r->objs = class_span_objects(ci->cls);
	r->pages = class_info[ci->cls].npages;
	r->spans = st.nspans;
	r->inuse = st.inuse;
	r->total = st.slots;
	r->allocs = st.nalloc;
	r->frees = st.nfree;
	r->waste = st.pages * GOALLOC_PAGE_SIZE - st.slots * ci->size +
		   st.inuse * (ci->size - ci->object_size);
}
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(goalloc_cache_row);

/* A cache's slabinfo row, under its own name (see slabinfo_show()). */
static void cache_slabinfo_row(struct goalloc_cache *c, void *arg)
{
	unsigned int cap;
	struct seq_file *m = arg;
	struct goalloc_cache_row r;

	goalloc_cache_row(c, &r);
	cap = mcache_class_cap(r.info.cls);
	seq_printf(m, "%-17s %6lu %6lu %6u %4u %4u : tunables %4u %4u %4u : slabdata %6lu %6lu %6u\n",
		   r.info.name, r.inuse, r.total, r.info.size, r.objs,
		   r.pages << GOALLOC_PAGE_ORDER, cap, cap / 2, 0, r.spans,
		   r.spans, 0);
}

/*
 * /proc/slabinfo's version 2.1 format, a row per class named goalloc-<size>,
 * so slabinfo habits and scripts work: objects not free in spans are
 * active (as SLUB counts objects in CPU slabs), a span is a slab, and the
 * tunables are the magazine's capacity and refill batch. Then a row per
 * cache under its own name, its objects in use as active.
 */
static int slabinfo_show(struct seq_file *m, void *v)
{
	struct goalloc_class_stats st;
	unsigned int cls, cap;

	seq_puts(m, "slabinfo - version: 2.1\n");
	seq_puts(m, "# name            <active_objs> <num_objs> <objsize> <objperslab> <pagesperslab> : tunables <limit> <batchcount> <sharedfactor> : slabdata <active_slabs> <num_slabs> <sharedavail>\n");
	for (cls = 1; cls < GOALLOC_NUM_CLASSES; cls++) {
		goalloc_class_stats(cls, &st);
		cap = mcache_class_cap(cls);
		seq_printf(m, "goalloc-%-9u %6lu %6lu %6u %4u %4u : tunables %4u %4u %4u : slabdata %6lu %6lu %6u\n",
			   class_info[cls].size, st.span_objects, st.slots,
			   class_info[cls].size, class_span_objects(cls),
			   class_info[cls].npages << GOALLOC_PAGE_ORDER, cap,
			   cap / 2, 0, st.nspans - st.spans[SPAN_EMPTY],
			   st.nspans, 0);
	}
	cache_lock();
	cache_for_each(cache_slabinfo_row, m);
	cache_unlock();
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(slabinfo);

static void cache_row_print(struct goalloc_cache *c, void *arg)
{
	struct seq_file *m = arg;
	struct goalloc_cache_row r;

	goalloc_cache_row(c, &r);
	seq_printf(m, "%s %u %u %u %u %u %lu %lu %lu %lu %lu %lu %s%s%s%s%s\n",
		   r.info.name, r.info.object_size, r.info.size, r.info.align,
		   r.objs, r.pages, r.spans, r.inuse, r.total, r.allocs,
		   r.frees, r.waste,
		   r.info.ctor ? "ctor," : "", r.info.rcu ? "rcu," : "",
		   r.info.hwcache ? "hwcache," : "",
		   r.info.dead ? "destroyed," : "",
		   r.info.ctor || r.info.rcu || r.info.hwcache || r.info.dead ?
		   "" : "-");
}

/*
 * A row per cache: its sizes and span geometry (Go pages), then its spans,
 * objects in use, slots, allocations, frees and bytes wasted: the tail of
 * its spans plus, for each object in use, its slot less the bytes asked
 * for. Flags end the row, comma-terminated.
 */
static int caches_show(struct seq_file *m, void *v)
{
	seq_puts(m, "name object_size size align objs pages spans inuse total allocs frees waste flags\n");
	cache_lock();
	cache_for_each(cache_row_print, m);
	cache_unlock();
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(caches);

/* ------------------------------------------------------------------ */
/* "spans": a row per span, a batch per lock hold */

/* A row of "spans", copied under the lock and printed once it is dropped. */
struct span_row {
	const struct span *s;
	u16 npages;
	u16 nelems;
	u16 allocated;
	u8 cls;
	u8 state;
	int cpu;
};

/*
 * The file's place: the classes' walks, then each CPU's large objects,
 * and the batch of rows at seq_file position @pos (0 is the header).
 * seq_file asks for the same position again when a batch did not fit in
 * the reader's buffer: it is printed again from @rows, not walked again.
 */
struct spans_iter {
	loff_t pos;
	unsigned int cls;
	struct class_walk cw;
	struct large_walk lw;
	unsigned int nrows;
	struct span_row rows[GOALLOC_WALK_BATCH];
};

static unsigned int spans_add_row(struct span *s, enum span_state where,
				  int cpu, void *arg)
{
	struct spans_iter *it = arg;
	struct span_row *r = &it->rows[it->nrows++];

	r->s = s;
	r->cls = s->cls;
	r->npages = s->npages;
	r->nelems = s->nelems;
	r->allocated = s->allocated;
	r->state = s->state;
	r->cpu = s->state == SPAN_CACHED || s->state == SPAN_LARGE ? s->cpu : -1;
	return 1;
}

static void spans_iter_reset(struct spans_iter *it)
{
	it->pos = 0;
	it->cls = 1;
	it->nrows = 0;
	class_walk_init(&it->cw, it->cls);
	large_walk_init(&it->lw, cpumask_first(cpu_possible_mask));
}

/* The rows of the next batch, at the next position; none at the end. */
static void spans_iter_next(struct spans_iter *it)
{
	it->nrows = 0;
	it->pos++;
	/* Caches' classes come and go under cache_lock(), not in a batch. */
	cache_lock();
	while (!it->nrows && it->cls < NR_CLASSES) {
		if (!class_info[it->cls].size ||
		    !class_walk_batch(&it->cw, spans_add_row, NULL, it)) {
			if (++it->cls < NR_CLASSES)
				class_walk_init(&it->cw, it->cls);
		}
	}
	cache_unlock();
	while (!it->nrows && !it->lw.done)
		if (!large_walk_batch(&it->lw, spans_add_row, NULL, it))
			large_walk_init(&it->lw,
					cpumask_next(it->lw.cpu, cpu_possible_mask));
}

static void spans_print(struct seq_file *m, const struct spans_iter *it)
{
	const struct span_row *r;

	for (r = it->rows; r < it->rows + it->nrows; r++)
		seq_printf(m, "%p %u %u %u %u %s %d\n", r->s, r->cls, r->npages,
			   r->nelems, r->allocated, span_state_names[r->state],
			   r->cpu);
}

static const char spans_header[] = "span class pages objs allocated state cpu\n";

static void *spans_seq_start(struct seq_file *m, loff_t *pos)
{
	struct spans_iter *it = m->private;

	if (!*pos) {
		spans_iter_reset(it);
		return SEQ_START_TOKEN;
	}
	/* Not where the last read stopped (a seek): walk from the start. */
	if (*pos != it->pos) {
		spans_iter_reset(it);
		do {
			spans_iter_next(it);
		} while (it->nrows && it->pos < *pos);
	}
	return it->nrows ? it : NULL;
}

static void *spans_seq_next(struct seq_file *m, void *v, loff_t *pos)
{
	struct spans_iter *it = m->private;

	spans_iter_next(it);
	*pos = it->pos;
	return it->nrows ? it : NULL;
}

static void spans_seq_stop(struct seq_file *m, void *v)
{
}

static int spans_seq_show(struct seq_file *m, void *v)
{
	if (v == SEQ_START_TOKEN)
		seq_puts(m, spans_header);
	else
		spans_print(m, v);
	return 0;
}

static const struct seq_operations spans_seq_ops = {
	.start = spans_seq_start,
	.next = spans_seq_next,
	.stop = spans_seq_stop,
	.show = spans_seq_show,
};

static int spans_open(struct inode *inode, struct file *file)
{
	return seq_open_private(file, &spans_seq_ops, sizeof(struct spans_iter));
}

static const struct file_operations spans_fops = {
	.owner = THIS_MODULE,
	.open = spans_open,
	.read = seq_read,
	.read_iter = seq_read_iter,
	.llseek = seq_lseek,
	.release = seq_release_private,
};

/* The whole of "spans" into @m at once, for goalloc_debugfs_show(). */
static int spans_show(struct seq_file *m, void *v)
{
	struct spans_iter *it = kmalloc(sizeof(*it), GFP_KERNEL);

	if (!it)
		return -ENOMEM;
	spans_iter_reset(it);
	seq_puts(m, spans_header);
	for (spans_iter_next(it); it->nrows; spans_iter_next(it))
		spans_print(m, it);
	kfree(it);
	return 0;
}

/**
 * goalloc_counters_sum() - event counters summed over CPUs
 * @sum: NR_GOALLOC_EVENTS entries, filled in
 */
void goalloc_counters_sum(unsigned long *sum)
{
	int cpu, ev;

	memset(sum, 0, NR_GOALLOC_EVENTS * sizeof(*sum));
	for_each_possible_cpu(cpu)
		for (ev = 0; ev < NR_GOALLOC_EVENTS; ev++)
			/* Unlocked read of another CPU's counter. */
			sum[ev] += READ_ONCE(per_cpu(goalloc_events, cpu)[ev]);
}
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(goalloc_counters_sum);

static int heap_show(struct seq_file *m, void *v)
{
	unsigned long alloc_bytes = 0, objects = 0, mallocs = 0, frees = 0;
	unsigned long total_alloc = 0, ev[NR_GOALLOC_EVENTS];
	struct goalloc_class_stats st;
	struct profile_stats ps;
	struct large_stats ls;
	struct heap_stats hs;
	unsigned int cls;

	/* Size classes and caches' classes alike. */
	cache_lock();
	for (cls = 1; cls < NR_CLASSES; cls++) {
		if (!class_info[cls].size)
			continue;
		goalloc_class_stats(cls, &st);
		alloc_bytes += st.inuse * class_info[cls].size;
		objects += st.inuse;
		mallocs += st.nalloc;
		frees += st.nfree;
		total_alloc += st.nalloc * class_info[cls].size;
	}
	cache_unlock();
	goalloc_counters_sum(ev);
	heap_stats_read(&hs);
	pcache_large_stats(&ls);
	mallocs += ev[EV_ALLOC_LARGE];
	frees += ev[EV_FREE_LARGE];

	seq_printf(m, "HeapSys %lu\n", hs.sys_pages << PAGE_SHIFT);
	seq_printf(m, "HeapInuse %lu\n", hs.inuse_pages << PAGE_SHIFT);
	seq_printf(m, "HeapIdle %lu\n",
		   (hs.sys_pages - hs.inuse_pages) << PAGE_SHIFT);
	seq_printf(m, "HeapReleased %lu\n", hs.pages_returned << PAGE_SHIFT);
	seq_printf(m, "HeapAlloc %lu\n",
		   alloc_bytes + (ls.pages << PAGE_SHIFT));
	seq_printf(m, "HeapObjects %lu\n", objects + ls.objects);
	seq_printf(m, "TotalAlloc %lu\n", total_alloc + ls.bytes_total);
	seq_printf(m, "Mallocs %lu\n", mallocs);
	seq_printf(m, "Frees %lu\n", frees);
	seq_printf(m, "LargeObjects %lu\n", ls.objects);
	seq_printf(m, "LargeBytes %lu\n", ls.pages << PAGE_SHIFT);
	seq_printf(m, "LargeRequestedBytes %lu\n", ls.req_bytes);
	seq_printf(m, "PageCacheBytes %lu\n", pcache_cached_pages() << PAGE_SHIFT);
	seq_printf(m, "Chunks %lu\n", hs.chunks);
	seq_printf(m, "PagesFromBuddy %lu\n", hs.pages_from_buddy);
	seq_printf(m, "PagesReturned %lu\n", hs.pages_returned);
	seq_printf(m, "HeadroomPercent %u\n", heap_headroom_percent());
	seq_printf(m, "HeadroomMinBytes %lu\n", (unsigned long)heap_headroom_min_kb() << 10);
	seq_printf(m, "HeadroomBytes %lu\n", heap_headroom_pages() << PAGE_SHIFT);
	goalloc_profile_stats(&ps);
	seq_printf(m, "ProfileRate %lu\n", goalloc_profile_rate());
	seq_printf(m, "ProfileBuckets %lu\n", ps.buckets);
	seq_printf(m, "ProfileSamples %lu\n", ps.samples);
	seq_printf(m, "ProfileBytes %lu\n", ps.bytes);
	seq_printf(m, "ProfileDropped %lu\n", ps.dropped);
	seq_printf(m, "ProfileStacksCached %lu\n", ps.cached);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(heap);

static int percpu_show(struct seq_file *m, void *v)
{
	unsigned int cls;
	int cpu;

	seq_puts(m, "cpu class size cached span allocs hits frees refills flushes remote_frees\n");
	cache_lock();
	for_each_possible_cpu(cpu) {
		for (cls = 1; cls < NR_CLASSES; cls++) {
			struct mcache_class *mc = &mcache_of(cpu)->cls[cls];
			struct mag_counts n = {};

			if (!class_info[cls].size)
				continue;
			/* Another CPU's fields, read unlocked. */
			mag_counts_add(cpu, cls, &n);
			if (!n.nalloc && !n.nfree)
				continue;
			seq_printf(m, "%d %u %u %lu %d %lu %lu %lu %lu %lu %lu\n", cpu,
				   cls, class_info[cls].size, n.count,
				   !!READ_ONCE(mc->span), n.nalloc,
				   counts_sub(n.nalloc, READ_ONCE(mc->slow)), n.nfree,
				   READ_ONCE(mc->refills), READ_ONCE(mc->flushes),
				   READ_ONCE(mc->remote));
		}
	}
	cache_unlock();
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(percpu);

/* Fast-path counts of one CPU: its allocations and frees, less the slow ones. */
static void cpu_fast_counts(int cpu, unsigned long *alloc_fast,
			    unsigned long *free_fast)
{
	struct mag_counts n = {};
	unsigned int cls;

	/* Another CPU's fields, read unlocked; cache_lock() held. */
	for (cls = 1; cls < NR_CLASSES; cls++)
		if (class_info[cls].size)
			mag_counts_add(cpu, cls, &n);
	*alloc_fast = counts_sub(n.nalloc,
				 READ_ONCE(per_cpu(goalloc_events, cpu)[EV_ALLOC_SLOW]));
	*free_fast = counts_sub(n.nfree,
				READ_ONCE(per_cpu(goalloc_events, cpu)[EV_FREE_SLOW]));
}

/* One CPU's counters: fast-path allocs and frees, then the events. */
#define NR_COUNTER_ROWS	(2 + NR_GOALLOC_EVENTS)

static int counters_show(struct seq_file *m, void *v)
{
	unsigned long (*snap)[NR_COUNTER_ROWS], total;
	int cpu, ev, i;

	/*
	 * Read every counter once, so that each total is the sum of the
	 * columns printed beside it even while the counters move.
	 */
	snap = kcalloc(nr_cpu_ids, sizeof(*snap), GFP_KERNEL);
	if (!snap)
		return -ENOMEM;
	cache_lock();
	for_each_possible_cpu(cpu) {
		cpu_fast_counts(cpu, &snap[cpu][0], &snap[cpu][1]);
		for (ev = 0; ev < NR_GOALLOC_EVENTS; ev++)
			/* Unlocked read of another CPU's counter. */
			snap[cpu][2 + ev] = READ_ONCE(per_cpu(goalloc_events, cpu)[ev]);
	}
	cache_unlock();
	seq_puts(m, "counter total");
	for_each_possible_cpu(cpu)
		seq_printf(m, " cpu%d", cpu);
	seq_putc(m, '\n');
	for (i = 0; i < NR_COUNTER_ROWS; i++) {
		total = 0;
		for_each_possible_cpu(cpu)
			total += snap[cpu][i];
		seq_printf(m, "%s %lu", i == 0 ? "alloc_fastpath" :
			   i == 1 ? "free_fastpath" : goalloc_event_names[i - 2],
			   total);
		for_each_possible_cpu(cpu)
			seq_printf(m, " %lu", snap[cpu][i]);
		seq_putc(m, '\n');
	}
	kfree(snap);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(counters);

static int verify_show(struct seq_file *m, void *v)
{
	if (!goalloc_verify(m))
		seq_puts(m, "ok\n");
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(verify);

static int heap_profile_show(struct seq_file *m, void *v)
{
	return goalloc_profile_show(m);
}

static int heap_profile_open(struct inode *inode, struct file *file)
{
	return single_open(file, heap_profile_show, NULL);
}

/*
 * The files a number is written to: each takes one from @min to @max,
 * which @act is given. A file's control is its debugfs data.
 */
struct control {
	unsigned int min;
	unsigned int max;
	void (*act)(unsigned int level);
};

static ssize_t control_write(struct file *file, const char __user *buf,
			     size_t count, loff_t *ppos)
{
	const struct control *ctl = file_inode(file)->i_private;
	unsigned int level;
	int err = kstrtouint_from_user(buf, count, 0, &level);

	if (err)
		return err;
	if (level < ctl->min || level > ctl->max)
		return -EINVAL;
	ctl->act(level);
	return count;
}

static void heap_profile_reset(unsigned int level)
{
	goalloc_profile_reset();
}

/* heap_profile: "0" forgets every sample and bucket. */
static struct control heap_profile_control = { 0, 0, heap_profile_reset };

static const struct file_operations heap_profile_fops = {
	.owner = THIS_MODULE,
	.open = heap_profile_open,
	.read = seq_read,
	.llseek = seq_lseek,
	.release = single_release,
	.write = control_write,
};

static void drain_level(unsigned int level)
{
	goalloc_drain(level == 2);
}

/* drain: "1" drains the CPUs' caches and the depots; "2" also gives idle chunks back. */
static struct control drain_control = { 1, 2, drain_level };

static const struct file_operations drain_fops = {
	.owner = THIS_MODULE,
	.write = control_write,
	.llseek = noop_llseek,
};

/**
 * goalloc_debugfs_show() - render one statistics file into @m
 * @name: "classes", "spans", "heap", "percpu", "counters", "slabinfo",
 *	  "heap_profile" or "caches"
 * @m: a seq_file with a buffer; for tests, which read what users read
 *
 * Return: 0, or -ENOENT for an unknown @name.
 */
int goalloc_debugfs_show(const char *name, struct seq_file *m)
{
	static const struct {
		const char *name;
		int (*show)(struct seq_file *m, void *v);
	} files[] = {
		{ "classes", classes_show }, { "spans", spans_show },
		{ "heap", heap_show }, { "percpu", percpu_show },
		{ "counters", counters_show }, { "slabinfo", slabinfo_show },
		{ "heap_profile", heap_profile_show }, { "caches", caches_show },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(files); i++)
		if (!strcmp(name, files[i].name))
			return files[i].show(m, NULL);
	return -ENOENT;
}
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(goalloc_debugfs_show);

void goalloc_debugfs_init(void)
{
	goalloc_dir = debugfs_create_dir("goalloc", NULL);
	debugfs_create_file("classes", 0444, goalloc_dir, NULL, &classes_fops);
	debugfs_create_file("spans", 0444, goalloc_dir, NULL, &spans_fops);
	debugfs_create_file("heap", 0444, goalloc_dir, NULL, &heap_fops);
	debugfs_create_file("percpu", 0444, goalloc_dir, NULL, &percpu_fops);
	debugfs_create_file("counters", 0444, goalloc_dir, NULL, &counters_fops);
	debugfs_create_file("slabinfo", 0444, goalloc_dir, NULL, &slabinfo_fops);
	debugfs_create_file("caches", 0444, goalloc_dir, NULL, &caches_fops);
	debugfs_create_file("verify", 0444, goalloc_dir, NULL, &verify_fops);
	debugfs_create_file("drain", 0200, goalloc_dir, &drain_control,
			    &drain_fops);
	debugfs_create_file("heap_profile", 0644, goalloc_dir,
			    &heap_profile_control, &heap_profile_fops);
	object_debugfs_init(goalloc_dir);
#ifdef CONFIG_FAULT_INJECTION_DEBUG_FS
	fault_create_debugfs_attr("fail_spans", goalloc_dir, &goalloc_fail_spans);
#endif
}

void goalloc_debugfs_exit(void)
{
	debugfs_remove_recursive(goalloc_dir);
}
