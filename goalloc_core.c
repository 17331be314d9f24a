// SPDX-License-Identifier: GPL-2.0
/*
 * goalloc: the Go runtime's memory allocator as a kernel allocator.
 *
 * Why: kmalloc rounds to powers of two (a 1100-byte object takes 2 KiB);
 * Go's 67 size classes bound round-up and tail waste to 1/8 each, and its
 * per-CPU caches make the common allocation an array pop. goalloc offers
 * that to modules through a kmalloc-shaped API (goalloc.h).
 *
 * This file holds what is module-wide: the parameters and the static keys
 * they turn on, the event counters, the reports of bad input, and module
 * init and exit, which set the layers up bottom first and tear them down
 * top first. The layers, one file each, and the lock order are described
 * at the top of goalloc_internal.h.
 */

#define pr_fmt(fmt) "goalloc: " fmt

#include <linux/module.h>
#include <linux/random.h>
#include <linux/ratelimit.h>
#include <linux/sched.h>

#include "goalloc_internal.h"

#define CREATE_TRACE_POINTS
#include "goalloc_trace.h"
EXPORT_TRACEPOINT_SYMBOL_GPL(goalloc_alloc);
EXPORT_TRACEPOINT_SYMBOL_GPL(goalloc_free);

DEFINE_STATIC_KEY_FALSE(goalloc_hooks_key);
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(goalloc_hooks_key);

int goalloc_trace_reg(void)
{
	static_branch_inc(&goalloc_hooks_key);
	return 0;
}

void goalloc_trace_unreg(void)
{
	static_branch_dec(&goalloc_hooks_key);
}

bool goalloc_debug;
module_param_named(debug, goalloc_debug, bool, 0444);
MODULE_PARM_DESC(debug,
		 "catch double frees in CPU caches and writes after free (poisoning)");
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(goalloc_debug);
DEFINE_STATIC_KEY_FALSE(goalloc_debug_key);
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(goalloc_debug_key);

bool goalloc_track_waste;
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(goalloc_track_waste);
module_param_named(track_waste, goalloc_track_waste, bool, 0444);
MODULE_PARM_DESC(track_waste,
		 "record each object's requested size, for exact round-up waste in debugfs (2 bytes per object)");
DEFINE_STATIC_KEY_FALSE(goalloc_track_key);
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(goalloc_track_key);

unsigned long goalloc_cookie __read_mostly;
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(goalloc_cookie);

/* Event counters, summed on read (debugfs "counters"). */
DEFINE_PER_CPU(unsigned long [NR_GOALLOC_EVENTS], goalloc_events);
DEFINE_PER_CPU(long [GOALLOC_NUM_CLASSES], goalloc_req_bytes);

/* ------------------------------------------------------------------ */
/* Reports of bad input */

static const char *const report_what[] = {
	[REPORT_FOREIGN]	= "free of a pointer goalloc does not own",
	[REPORT_INTERIOR]	= "free of a pointer inside an object",
	[REPORT_DOUBLE_FREE]	= "double free",
	[REPORT_USE_AFTER_FREE]	= "use of a freed object",
	[REPORT_TOO_BIG]	= "allocation larger than GOALLOC_MAX_SIZE",
	[REPORT_OVERFLOW]	= "calloc size overflow",
	[REPORT_POISON]		= "write after free: poison overwritten",
};

static const enum goalloc_event report_event[] = {
	[REPORT_FOREIGN]	= EV_REFUSED_FOREIGN,
	[REPORT_INTERIOR]	= EV_REFUSED_INTERIOR,
	[REPORT_DOUBLE_FREE]	= EV_REFUSED_DOUBLE_FREE,
	[REPORT_USE_AFTER_FREE]	= EV_REFUSED_USE_AFTER_FREE,
	[REPORT_TOO_BIG]	= EV_REFUSED_TOO_BIG,
	[REPORT_OVERFLOW]	= EV_REFUSED_TOO_BIG,
	[REPORT_POISON]		= EV_POISON_CORRUPTED,
};

static_assert(ARRAY_SIZE(report_what) == NR_REPORTS);
static_assert(ARRAY_SIZE(report_event) == NR_REPORTS);

/*
 * KUnit cases that provoke reports on purpose announce how many, so that
 * those come out as pr_info and a run's log stays free of WARNs; reports
 * from any other task are still WARNs.
 */
static struct task_struct *report_expect_task;
static atomic_t report_expect_count = ATOMIC_INIT(0);

/**
 * goalloc_expect_reports() - tell goalloc the current task provokes reports
 * @n: how many are expected; 0 ends the expectation
 *
 * Return: reports still expected from the previous call (0 if all came).
 */
int goalloc_expect_reports(int n)
{
	int left = atomic_xchg(&report_expect_count, n);

	WRITE_ONCE(report_expect_task, n ? current : NULL);
	return left;
}
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(goalloc_expect_reports);

/**
 * goalloc_report() - count bad input and warn about it, rate-limited
 * @kind: what was wrong
 * @p: the pointer involved, printed hashed; may be NULL
 * @size: the size involved, or 0
 * @gfp: the caller's mask; __GFP_NOWARN silences size reports
 *
 * The allocator is not changed: the caller refuses the operation.
 */
void goalloc_report(enum goalloc_report kind, const void *p, size_t size,
		    gfp_t gfp)
{
	count_event(report_event[kind]);
	if (READ_ONCE(report_expect_task) == current &&
	    atomic_dec_if_positive(&report_expect_count) >= 0) {
		pr_info("expected report: %s %p size %zu\n", report_what[kind],
			p, size);
		return;
	}
	if ((kind == REPORT_TOO_BIG || kind == REPORT_OVERFLOW) &&
	    (gfp & __GFP_NOWARN))
		return;
	WARN_RATELIMIT(1, "goalloc: %s %p size %zu\n", report_what[kind], p,
		       size);
}

void goalloc_alloc_failed(size_t size, gfp_t gfp)
{
	count_event(EV_ALLOC_FAIL);
	if (!(gfp & __GFP_NOWARN))
		pr_warn_ratelimited("allocation of %zu bytes failed, gfp %pGg\n",
				    size, &gfp);
}

/* ------------------------------------------------------------------ */
/* Module */

static int __init goalloc_init(void)
{
	int err;

	get_random_bytes(&goalloc_cookie, sizeof(goalloc_cookie));
	goalloc_cookie |= 1;	/* never 0, so cleared pages never match */
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
	err = heap_init();
	if (err)
		return err;
	central_init();
	large_init();
	err = mcache_init();
	if (err)
		goto out_heap;
	err = goalloc_profile_init();
	if (err)
		goto out_mcache;
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
	return err;
}

static void __exit goalloc_exit(void)
{
	goalloc_debugfs_exit();
	scavenge_exit();
	mcache_exit();
	central_exit();
	large_exit();
	goalloc_profile_exit();
	pcache_exit();
	heap_exit();
	pr_info("unloaded, %lu pages still held\n", heap_pages_held());
}

module_init(goalloc_init);
module_exit(goalloc_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Go's memory allocator (size classes, mcache, mcentral, mheap) for the kernel");
