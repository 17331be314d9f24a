// SPDX-License-Identifier: GPL-2.0
/*
 * goalloc: the Go runtime's memory allocator as a kernel allocator.
 *
 * Why: kmalloc rounds to powers of two (a 1100-byte object takes 2 KiB);
 * Go's 67 size classes bound round-up and tail waste to 1/8 each, and its
 * per-CPU caches make the common allocation an array pop. goalloc offers
 * that to modules through a kmalloc-shaped API (goalloc.h).
 *
 * This file is the top of the module: its parameters, and init and exit,
 * which set the layers up bottom first, turn on the static keys the
 * parameters ask for (goalloc_report.c), and tear the layers down top
 * first. The layers, one file each, and the lock order are described at
 * the top of goalloc_internal.h.
 */

#define pr_fmt(fmt) "goalloc: " fmt

#include <linux/module.h>

#include "goalloc_mcache.h"

bool goalloc_debug;
module_param_named(debug, goalloc_debug, bool, 0444);
MODULE_PARM_DESC(debug,
		 "catch double frees in CPU caches and writes after free (poisoning)");
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(goalloc_debug);

bool goalloc_track_waste;
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(goalloc_track_waste);
module_param_named(track_waste, goalloc_track_waste, bool, 0444);
MODULE_PARM_DESC(track_waste,
		 "record each object's requested size, for exact round-up waste in debugfs (2 bytes per object)");

/* ------------------------------------------------------------------ */
/* Module */

static int __init goalloc_init(void)
{
	int err;

	if (goalloc_debug) {
		static_branch_enable(&goalloc_debug_key);
		static_branch_inc(&goalloc_hooks_key);
	}
	if (goalloc_track_waste) {
		static_branch_enable(&goalloc_track_key);
		static_branch_inc(&goalloc_hooks_key);
	}
	/* A boot parameter: set for good before any module loads. */
	if (want_init_on_free())
		static_branch_inc(&goalloc_hooks_key);
	err = history_init();
	if (err)
		return err;
	err = heap_init();
	if (err)
		goto out_history;
	central_init();
	pcache_init();
	err = mcache_init();
	if (err)
		goto out_heap;
	err = goalloc_profile_init();
	if (err)
		goto out_mcache;
	rcu_batch_init();
	goalloc_debugfs_init();
	scavenge_init();
	pr_info("%d size classes, %lu KiB chunks, debug %s\n",
		GOALLOC_NUM_CLASSES - 1, PAGE_SIZE << GOALLOC_CHUNK_ORDER >> 10,
		goalloc_debug ? "on" : "off");
	return 0;

out_mcache:
	mcache_exit();
out_heap:
	heap_exit();
out_history:
	history_exit();
	return err;
}

static void __exit goalloc_exit(void)
{
	goalloc_debugfs_exit();
	scavenge_exit();
	cache_exit();
	mcache_exit();
	central_exit();
	/* SLAB_TYPESAFE_BY_RCU spans on their way back to the heap. */
	rcu_barrier();
	large_exit();
	goalloc_profile_exit();
	pcache_exit();
	heap_exit();
	history_exit();
	pr_info("unloaded, %lu pages still held\n", heap_pages_held());
}

module_init(goalloc_init);
module_exit(goalloc_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Go's memory allocator (size classes, mcache, mcentral, mheap) for the kernel");
