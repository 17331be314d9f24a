// SPDX-License-Identifier: GPL-2.0
/*
 * goalloc debugfs "object": write an address (of an object, or of any
 * byte in it, as a KASAN report gives it), read what goalloc knows of the
 * object there: its class or cache, span and state, and with debug=1 the
 * stacks of its last allocation and free (goalloc_history.c). On top,
 * beside the statistics.
 */

#include <linux/debugfs.h>
#include <linux/mutex.h>
#include <linux/seq_file.h>
#include <linux/stackdepot.h>

#include "goalloc_mcache.h"


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
 * object_describe() - what goalloc knows of the object at or around @addr
 * @m: where to write it
 * @addr: an object's address, or of any byte in it
 *
 * The span is read in rcu_read_lock() (span structs are freed a grace
 * period late), and may change under the reader: the answer is of a
 * moment.
 *
 * Context: process context.
 */
void object_describe(struct seq_file *m, unsigned long addr)
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
		s = span_around((void *)addr);
	if (!s) {
		rcu_read_unlock();
		seq_printf(m, "%#lx: not in a live span of goalloc's\n", addr);
		return;
	}
	cls = s->cls;
	idx = cls ? (addr - s->base) / class_info[cls].size : 0;
	if (cls && idx < READ_ONCE(s->nelems)) {
		size = class_info[cls].size;
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
		seq_printf(m, "%#lx: in span %#lx of class %u past its last slot\n",
			   addr, s->base, cls);
		return;
	}
	seq_printf(m, "object %#lx (+%lu), %zu bytes, class %u, slot %u of span %#lx (%u pages, %s)\n",
		   base, addr - base, size, cls, idx, s->base,
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
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(object_describe);

static int object_show(struct seq_file *m, void *unused)
{
	unsigned long addr;

	mutex_lock(&object_mutex);
	addr = object_addr;
	mutex_unlock(&object_mutex);
	if (addr)
		object_describe(m, addr);
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

void object_debugfs_init(struct dentry *dir)
{
	debugfs_create_file("object", 0600, dir, NULL, &object_fops);
}
