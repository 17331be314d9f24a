// SPDX-License-Identifier: GPL-2.0
/*
 * goalloc object history (debug=1): who allocated and who freed an object
 * last, so that the address in a KASAN report, or in goalloc's own
 * double-free and poison reports, leads to both stacks.
 *
 * A table of HISTORY_SLOTS entries, hashed by the object's address, holds
 * the object and its two stacks' handles; the stacks themselves are in the
 * kernel's stack depot, which keeps each distinct stack once. Its memory
 * is bounded (2 MiB): an object loses its entry to a later one that
 * hashes to the same slot, and its free is then not recorded. Entries are
 * written without a lock, so a reader racing with a writer may find one
 * object's stacks under another's address for that moment; it checks the
 * address before and after it reads them.
 *
 * debugfs "object": write an address (one an object or any byte of it),
 * read what goalloc knows of it: its class or cache, span, state and the
 * two stacks.
 */

#define pr_fmt(fmt) "goalloc: " fmt

#include <linux/debugfs.h>
#include <linux/hash.h>
#include <linux/mutex.h>
#include <linux/seq_file.h>
#include <linux/stackdepot.h>
#include <linux/stacktrace.h>
#include <linux/vmalloc.h>

#include "goalloc_mcache.h"

#define HISTORY_BITS	17
#define HISTORY_SLOTS	(1U << HISTORY_BITS)
#define HISTORY_DEPTH	16

struct history {
	const void *obj;
	depot_stack_handle_t alloc, free;
};

static struct history *history;

static struct history *history_slot(const void *p)
{
	return &history[hash_ptr(p, HISTORY_BITS)];
}

/* The caller's stack in the depot, without goalloc's own two frames. */
static depot_stack_handle_t history_stack(void)
{
	unsigned long entries[HISTORY_DEPTH];
	unsigned int n;

	n = stack_trace_save(entries, ARRAY_SIZE(entries), 2);
	return stack_depot_save(entries, n, GFP_NOWAIT | __GFP_NOWARN);
}

/**
 * history_alloc() - record the allocation of @p
 * @p: an object goalloc hands out
 *
 * Context: any but NMI.
 */
void history_alloc(const void *p)
{
	struct history *h;

	if (!history)
		return;
	h = history_slot(p);
	WRITE_ONCE(h->obj, NULL);
	smp_wmb();	/* the stacks, then the object: history_get() */
	WRITE_ONCE(h->alloc, history_stack());
	WRITE_ONCE(h->free, 0);
	smp_wmb();
	WRITE_ONCE(h->obj, p);
}

/**
 * history_free() - record the free of @p, if its entry is still its own
 * @p: an object goalloc takes back
 *
 * Context: any but NMI.
 */
void history_free(const void *p)
{
	struct history *h;

	if (!history)
		return;
	h = history_slot(p);
	if (READ_ONCE(h->obj) == p)
		WRITE_ONCE(h->free, history_stack());
}

/* The stacks recorded for @p. Return: false if @p has no entry. */
static bool history_get(const void *p, depot_stack_handle_t *alloc,
			depot_stack_handle_t *free)
{
	struct history *h;

	if (!history || !p)
		return false;
	h = history_slot(p);
	if (READ_ONCE(h->obj) != p)
		return false;
	smp_rmb();
	*alloc = READ_ONCE(h->alloc);
	*free = READ_ONCE(h->free);
	smp_rmb();
	return READ_ONCE(h->obj) == p;
}

/**
 * history_print() - print the stacks recorded for @p, after a report
 * @p: the object reported
 *
 * Context: any but NMI.
 */
void history_print(const void *p)
{
	depot_stack_handle_t alloc, free;

	if (!history_get(p, &alloc, &free)) {
		pr_err("no history of %p: debug=1 is off, or its entry was taken\n",
		       p);
		return;
	}
	pr_err("%p was last allocated by:\n", p);
	stack_depot_print(alloc);
	if (free) {
		pr_err("%p was last freed by:\n", p);
		stack_depot_print(free);
	}
}

int history_init(void)
{
	if (!goalloc_debug)
		return 0;
	if (stack_depot_init())
		return -ENOMEM;
	history = vzalloc(array_size(HISTORY_SLOTS, sizeof(*history)));
	return history ? 0 : -ENOMEM;
}

/* Unload: nothing records any more. */
void history_exit(void)
{
	vfree(history);
	history = NULL;
}

/* ------------------------------------------------------------------ */
/* debugfs "object" */

static DEFINE_MUTEX(object_mutex);
static unsigned long object_addr;	/* the address written; object_mutex */

static void object_print_stack(struct seq_file *m, const char *what,
			       depot_stack_handle_t handle)
{
	unsigned long *entries;
	unsigned int i, n;

	if (!handle) {
		seq_printf(m, "%s: not recorded\n", what);
		return;
	}
	seq_printf(m, "%s:\n", what);
	n = stack_depot_fetch(handle, &entries);
	for (i = 0; i < n; i++)
		seq_printf(m, " %pS\n", (void *)entries[i]);
}

struct object_cache {
	unsigned int cls;
	const char *name;
};

static void object_cache_find(struct goalloc_cache *c, void *arg)
{
	struct object_cache *oc = arg;
	struct goalloc_cache_info ci;

	cache_info(c, &ci);
	if (ci.cls == oc->cls && !ci.dead)
		oc->name = ci.name;
}

/**
 * history_describe() - what goalloc knows of the object at or around @addr
 * @m: where to write it
 * @addr: an object's address, or of any byte in it
 *
 * The span is read in rcu_read_lock() (span structs are freed a grace
 * period late), and may change under the reader: the answer is of a
 * moment.
 *
 * Context: process context.
 */
void history_describe(struct seq_file *m, unsigned long addr)
{
	depot_stack_handle_t alloc = 0, free = 0;
	struct object_cache oc = { 0 };
	const char *state = "allocated";
	unsigned int idx, cls;
	unsigned long base;
	size_t size;
	struct span *s;

	rcu_read_lock();
	if (!span_find((void *)addr, &s))
		s = large_span_around((void *)addr);
	if (!s) {
		rcu_read_unlock();
		seq_printf(m, "%#lx: not in a live span of goalloc's\n", addr);
		return;
	}
	cls = s->cls;
	idx = cls ? (addr - s->base) / class_to_size[cls] : 0;
	if (cls && idx < READ_ONCE(s->nelems)) {
		size = class_to_size[cls];
		base = s->base + (unsigned long)idx * size;
		if (!test_bit(idx, s->allocbits))
			state = "free, in its span";
		else if (goalloc_debug && test_bit(idx, s->cachedbits))
			state = "free, in a CPU cache or the quarantine";
	} else if (!cls) {
		size = span_bytes(s);
		base = s->base;
	} else {
		rcu_read_unlock();
		seq_printf(m, "%#lx: in span %px of class %u past its last slot\n",
			   addr, (void *)s->base, cls);
		return;
	}
	seq_printf(m, "object %px (+%lu), %zu bytes, class %u, slot %u of span %px (%u pages, %s)\n",
		   (void *)base, addr - base, size, cls, idx, (void *)s->base,
		   s->npages, s->state < NR_SPAN_STATES ?
		   span_state_names[s->state] : "?");
	rcu_read_unlock();
	if (cls >= GOALLOC_NUM_CLASSES) {
		oc.cls = cls;
		cache_lock();
		cache_for_each(object_cache_find, &oc);
		seq_printf(m, "cache %s\n", oc.name ?: "(none)");
		cache_unlock();
	}
	seq_printf(m, "state %s\n", state);
	if (!history_get((void *)base, &alloc, &free)) {
		seq_puts(m, "history: none (debug=1 is off, or its entry was taken)\n");
		return;
	}
	object_print_stack(m, "allocated by", alloc);
	object_print_stack(m, "freed by", free);
}
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(history_describe);

static int object_show(struct seq_file *m, void *unused)
{
	unsigned long addr;

	mutex_lock(&object_mutex);
	addr = object_addr;
	mutex_unlock(&object_mutex);
	if (addr)
		history_describe(m, addr);
	else
		seq_puts(m, "write an address here, then read\n");
	return 0;
}

static int object_open(struct inode *inode, struct file *file)
{
	return single_open(file, object_show, NULL);
}

static ssize_t object_write(struct file *file, const char __user *buf,
			    size_t len, loff_t *ppos)
{
	unsigned long addr;
	int err;

	err = kstrtoul_from_user(buf, len, 16, &addr);
	if (err)
		return err;
	mutex_lock(&object_mutex);
	object_addr = addr;
	mutex_unlock(&object_mutex);
	return len;
}

static const struct file_operations object_fops = {
	.owner = THIS_MODULE,
	.open = object_open,
	.read = seq_read,
	.llseek = seq_lseek,
	.write = object_write,
	.release = single_release,
};

void history_debugfs_init(struct dentry *dir)
{
	debugfs_create_file("object", 0600, dir, NULL, &object_fops);
}
