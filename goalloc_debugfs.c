// SPDX-License-Identifier: GPL-2.0
/*
 * goalloc statistics in debugfs, /sys/kernel/debug/goalloc/:
 *
 *   classes   one row per size class (zsmalloc's per-class table)
 *   spans     one row per live span
 *   heap      Go's runtime.MemStats names, one "Name value" per line
 *   percpu    one row per possible CPU and class in use
 *   counters  event counters, total and per CPU (SLUB_STATS style)
 *   verify    "ok", or every violated invariant (goalloc_verify.c)
 *   drain     write 1: flush every CPU cache; 2: also release idle chunks
 *
 * Every table has a header row naming its columns. Per-CPU counters are
 * read without the CPUs' locks (a racing update shows up in the next
 * read); span lists are read under one class lock at a time, so a reader
 * never blocks allocation for longer than one class's walk. debugfs is
 * optional: failures here never fail the module.
 */

#define pr_fmt(fmt) "goalloc: " fmt

#include <linux/debugfs.h>
#include <linux/seq_file.h>
#include <linux/uaccess.h>

#include "goalloc_internal.h"

static struct dentry *goalloc_dir;

const char *const goalloc_event_names[] = {
	[EV_ALLOC_SLOW]			= "alloc_slowpath",
	[EV_FREE_SLOW]			= "free_slowpath",
	[EV_ALLOC_LARGE]		= "alloc_large",
	[EV_FREE_LARGE]			= "free_large",
	[EV_ALLOC_FAIL]			= "alloc_failed",
	[EV_SPAN_ALLOC]			= "span_alloc",
	[EV_SPAN_FREE]			= "span_free",
	[EV_REFUSED_FOREIGN]		= "refused_foreign",
	[EV_REFUSED_INTERIOR]		= "refused_interior",
	[EV_REFUSED_DOUBLE_FREE]	= "refused_double_free",
	[EV_REFUSED_USE_AFTER_FREE]	= "refused_use_after_free",
	[EV_REFUSED_TOO_BIG]		= "refused_too_big",
	[EV_POISON_CORRUPTED]		= "poison_corrupted",
};

static_assert(ARRAY_SIZE(goalloc_event_names) == NR_GOALLOC_EVENTS);

static const char *const span_state_names[] = {
	[SPAN_PARTIAL]	= "partial",
	[SPAN_FULL]	= "full",
	[SPAN_EMPTY]	= "empty",
	[SPAN_CACHED]	= "cached",
	[SPAN_LARGE]	= "large",
};

static_assert(ARRAY_SIZE(span_state_names) == NR_SPAN_STATES);

/**
 * goalloc_class_stats() - a snapshot of one size class
 * @cls: the class
 * @st: filled in
 *
 * Context: process context; takes the class's central lock briefly.
 */
void goalloc_class_stats(unsigned int cls, struct goalloc_class_stats *st)
{
	struct central *c = &goalloc_central[cls];
	unsigned long flags;
	int cpu;

	memset(st, 0, sizeof(*st));
	for_each_possible_cpu(cpu) {
		struct mcache_class *m = &mcache_of(cpu)->cls[cls];

		/* Another CPU's fields, read unlocked (see the file header). */
		st->cpu_objects += READ_ONCE(m->count);
		st->nalloc += READ_ONCE(m->nalloc);
		st->nfree += READ_ONCE(m->nfree);
	}
	spin_lock_irqsave(&c->lock, flags);
	memcpy(st->spans, c->nr_spans, sizeof(st->spans));
	st->span_objects = c->objects;
	spin_unlock_irqrestore(&c->lock, flags);

	st->nspans = st->spans[SPAN_PARTIAL] + st->spans[SPAN_FULL] +
		     st->spans[SPAN_EMPTY] + st->spans[SPAN_CACHED];
	st->inuse = st->span_objects - min(st->cpu_objects, st->span_objects);
	st->free = st->nspans * class_span_objects(cls) - st->span_objects;
}
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(goalloc_class_stats);

static int classes_show(struct seq_file *m, void *v)
{
	struct goalloc_class_stats st;
	unsigned int cls;

	seq_puts(m, "class size pages objs partial full empty cached inuse free cpu_cached allocs frees bytes_inuse tail_waste\n");
	for (cls = 1; cls < GOALLOC_NUM_CLASSES; cls++) {
		unsigned int size = class_to_size[cls];
		unsigned long span_size = class_to_npages[cls] * GOALLOC_PAGE_SIZE;
		unsigned int objs = class_span_objects(cls);

		goalloc_class_stats(cls, &st);
		seq_printf(m, "%u %u %u %u %lu %lu %lu %lu %lu %lu %lu %lu %lu %lu %lu\n",
			   cls, size, class_to_npages[cls], objs,
			   st.spans[SPAN_PARTIAL], st.spans[SPAN_FULL],
			   st.spans[SPAN_EMPTY], st.spans[SPAN_CACHED],
			   st.inuse, st.free, st.cpu_objects, st.nalloc,
			   st.nfree, st.inuse * size,
			   st.nspans * (span_size - objs * size));
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(classes);

static void spans_show_one(struct seq_file *m, const struct span *s)
{
	seq_printf(m, "%p %u %u %u %u %s %d\n", s, s->cls, s->npages,
		   s->nelems, s->allocated, span_state_names[s->state],
		   s->state == SPAN_CACHED ? s->cpu : -1);
}

static void spans_show_list(struct seq_file *m, struct list_head *head)
{
	struct span *s;

	list_for_each_entry(s, head, list)
		spans_show_one(m, s);
}

static int spans_show(struct seq_file *m, void *v)
{
	unsigned long flags;
	unsigned int cls;
	struct span *s;
	int cpu;

	seq_puts(m, "span class pages objs allocated state cpu\n");
	for (cls = 1; cls < GOALLOC_NUM_CLASSES; cls++) {
		struct central *c = &goalloc_central[cls];

		spin_lock_irqsave(&c->lock, flags);
		spans_show_list(m, &c->partial);
		spans_show_list(m, &c->full);
		spans_show_list(m, &c->empty);
		/* Cached spans are on no list; the class lock guards m->span. */
		for_each_possible_cpu(cpu) {
			s = mcache_of(cpu)->cls[cls].span;
			if (s)
				spans_show_one(m, s);
		}
		spin_unlock_irqrestore(&c->lock, flags);
	}
	spin_lock_irqsave(&heap_lock, flags);
	spans_show_list(m, &heap_large);
	spin_unlock_irqrestore(&heap_lock, flags);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(spans);

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
	unsigned long ev[NR_GOALLOC_EVENTS];
	struct goalloc_class_stats st;
	struct heap_stats hs;
	unsigned int cls;

	for (cls = 1; cls < GOALLOC_NUM_CLASSES; cls++) {
		goalloc_class_stats(cls, &st);
		alloc_bytes += st.inuse * class_to_size[cls];
		objects += st.inuse;
		mallocs += st.nalloc;
		frees += st.nfree;
	}
	goalloc_counters_sum(ev);
	heap_stats_read(&hs);
	mallocs += ev[EV_ALLOC_LARGE];
	frees += ev[EV_FREE_LARGE];

	seq_printf(m, "HeapSys %lu\n", hs.sys_pages << PAGE_SHIFT);
	seq_printf(m, "HeapInuse %lu\n", hs.inuse_pages << PAGE_SHIFT);
	seq_printf(m, "HeapIdle %lu\n",
		   (hs.sys_pages - hs.inuse_pages) << PAGE_SHIFT);
	seq_printf(m, "HeapReleased %lu\n", hs.pages_returned << PAGE_SHIFT);
	seq_printf(m, "HeapAlloc %lu\n",
		   alloc_bytes + (hs.large_pages << PAGE_SHIFT));
	seq_printf(m, "HeapObjects %lu\n", objects + hs.large_objects);
	seq_printf(m, "Mallocs %lu\n", mallocs);
	seq_printf(m, "Frees %lu\n", frees);
	seq_printf(m, "LargeObjects %lu\n", hs.large_objects);
	seq_printf(m, "LargeBytes %lu\n", hs.large_pages << PAGE_SHIFT);
	seq_printf(m, "Chunks %lu\n", hs.chunks);
	seq_printf(m, "PagesFromBuddy %lu\n", hs.pages_from_buddy);
	seq_printf(m, "PagesReturned %lu\n", hs.pages_returned);
	seq_printf(m, "HeadroomBytes %lu\n", heap_headroom_pages() << PAGE_SHIFT);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(heap);

static int percpu_show(struct seq_file *m, void *v)
{
	unsigned int cls;
	int cpu;

	seq_puts(m, "cpu class size cached span allocs frees refills flushes\n");
	for_each_possible_cpu(cpu) {
		for (cls = 1; cls < GOALLOC_NUM_CLASSES; cls++) {
			struct mcache_class *mc = &mcache_of(cpu)->cls[cls];

			/* Another CPU's fields, read unlocked. */
			if (!READ_ONCE(mc->nalloc) && !READ_ONCE(mc->nfree))
				continue;
			seq_printf(m, "%d %u %u %u %d %lu %lu %lu %lu\n", cpu, cls,
				   class_to_size[cls], READ_ONCE(mc->count),
				   !!READ_ONCE(mc->span), READ_ONCE(mc->nalloc),
				   READ_ONCE(mc->nfree), READ_ONCE(mc->refills),
				   READ_ONCE(mc->flushes));
		}
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(percpu);

static int counters_show(struct seq_file *m, void *v)
{
	unsigned long sum[NR_GOALLOC_EVENTS];
	int cpu, ev;

	goalloc_counters_sum(sum);
	seq_puts(m, "counter total");
	for_each_possible_cpu(cpu)
		seq_printf(m, " cpu%d", cpu);
	seq_putc(m, '\n');
	for (ev = 0; ev < NR_GOALLOC_EVENTS; ev++) {
		seq_printf(m, "%s %lu", goalloc_event_names[ev], sum[ev]);
		for_each_possible_cpu(cpu)
			/* Unlocked read of another CPU's counter. */
			seq_printf(m, " %lu", READ_ONCE(per_cpu(goalloc_events, cpu)[ev]));
		seq_putc(m, '\n');
	}
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

/**
 * goalloc_drain() - give back everything that caches hold
 * @release_chunks: also give every idle chunk back to the buddy allocator
 *
 * Context: process context.
 */
void goalloc_drain(bool release_chunks)
{
	mcache_drain_all();
	central_release_empty();
	if (release_chunks) {
		heap_release_span_pool();
		heap_release_free_chunks(0);
	}
}
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(goalloc_drain);

static ssize_t drain_write(struct file *file, const char __user *buf,
			   size_t count, loff_t *ppos)
{
	unsigned int level;
	int err;

	err = kstrtouint_from_user(buf, count, 0, &level);
	if (err)
		return err;
	if (level != 1 && level != 2)
		return -EINVAL;
	goalloc_drain(level == 2);
	return count;
}

static const struct file_operations drain_fops = {
	.owner = THIS_MODULE,
	.write = drain_write,
	.llseek = noop_llseek,
};

void goalloc_debugfs_init(void)
{
	goalloc_dir = debugfs_create_dir("goalloc", NULL);
	debugfs_create_file("classes", 0444, goalloc_dir, NULL, &classes_fops);
	debugfs_create_file("spans", 0444, goalloc_dir, NULL, &spans_fops);
	debugfs_create_file("heap", 0444, goalloc_dir, NULL, &heap_fops);
	debugfs_create_file("percpu", 0444, goalloc_dir, NULL, &percpu_fops);
	debugfs_create_file("counters", 0444, goalloc_dir, NULL, &counters_fops);
	debugfs_create_file("verify", 0444, goalloc_dir, NULL, &verify_fops);
	debugfs_create_file("drain", 0200, goalloc_dir, NULL, &drain_fops);
}

void goalloc_debugfs_exit(void)
{
	debugfs_remove_recursive(goalloc_dir);
}
