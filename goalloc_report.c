// SPDX-License-Identifier: GPL-2.0
/*
 * goalloc reports and counters: what every layer may call.
 *
 * The static keys that module parameters and tracepoints turn on (set at
 * load by goalloc_core.c, tested on the fast paths), the per-CPU event
 * counters behind debugfs "counters", goalloc's tracepoints, and the
 * reports of bad input: a refused free or allocation is counted and
 * warned about, rate-limited, and the allocator is left as it was. This
 * file calls no other layer.
 */

#define pr_fmt(fmt) "goalloc: " fmt

#include <linux/ratelimit.h>
#include <linux/sched.h>

#include "goalloc_internal.h"

#define CREATE_TRACE_POINTS
#include "goalloc_trace.h"
EXPORT_TRACEPOINT_SYMBOL_GPL(goalloc_alloc);
EXPORT_TRACEPOINT_SYMBOL_GPL(goalloc_free);

DEFINE_STATIC_KEY_FALSE(goalloc_debug_key);
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(goalloc_debug_key);
DEFINE_STATIC_KEY_FALSE(goalloc_track_key);
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(goalloc_track_key);
DEFINE_STATIC_KEY_FALSE(goalloc_hooks_key);
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(goalloc_hooks_key);

/* A goalloc tracepoint is enabled: the fast paths take their hooks. */
int goalloc_trace_reg(void)
{
	static_branch_inc(&goalloc_hooks_key);
	return 0;
}

void goalloc_trace_unreg(void)
{
	static_branch_dec(&goalloc_hooks_key);
}

/* Event counters, summed on read (debugfs "counters"). */
DEFINE_PER_CPU(unsigned long [NR_GOALLOC_EVENTS], goalloc_events);
DEFINE_PER_CPU(long [NR_CLASSES], goalloc_req_bytes);

/* ------------------------------------------------------------------ */
/* Reports of bad input */

/* What each kind of report says, and the counter it counts in. */
static const struct {
	const char *what;
	enum goalloc_event event;
} reports[] = {
	[REPORT_FOREIGN] = { "free of a pointer goalloc does not own",
			     EV_REFUSED_FOREIGN },
	[REPORT_INTERIOR] = { "free of a pointer inside an object",
			      EV_REFUSED_INTERIOR },
	[REPORT_DOUBLE_FREE] = { "double free", EV_REFUSED_DOUBLE_FREE },
	[REPORT_USE_AFTER_FREE] = { "use of a freed object",
				    EV_REFUSED_USE_AFTER_FREE },
	[REPORT_TOO_BIG] = { "allocation larger than GOALLOC_MAX_SIZE",
			     EV_REFUSED_TOO_BIG },
	[REPORT_OVERFLOW] = { "calloc size overflow", EV_REFUSED_TOO_BIG },
	[REPORT_POISON] = { "write after free: poison overwritten",
			    EV_POISON_CORRUPTED },
	[REPORT_WRONG_CACHE] = { "free of an object to a cache it is not of",
				 EV_REFUSED_WRONG_CACHE },
	[REPORT_CACHE_MISUSE] = { "cache call with bad arguments",
				  EV_CACHE_MISUSE },
	[REPORT_CACHE_LIVE] = { "cache destroyed with objects in use (size: their count)",
				EV_CACHE_LEAKED },
	[REPORT_NMI] = { "call in NMI context", EV_REFUSED_NMI },
};

static_assert(ARRAY_SIZE(reports) == NR_REPORTS);

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
 * The allocator is not changed: the caller refuses the operation. A
 * report of an object (a double free, a use after free, a write after
 * free) prints its history, with debug=1.
 */
void goalloc_report(enum goalloc_report kind, const void *p, size_t size,
		    gfp_t gfp)
{
	bool of_object = kind == REPORT_DOUBLE_FREE ||
			 kind == REPORT_USE_AFTER_FREE || kind == REPORT_POISON;

	count_event(reports[kind].event);
	if (READ_ONCE(report_expect_task) == current &&
	    atomic_dec_if_positive(&report_expect_count) >= 0) {
		pr_info("expected report: %s %p size %zu\n", reports[kind].what,
			p, size);
		if (of_object)
			history_print(p);
		return;
	}
	if ((kind == REPORT_TOO_BIG || kind == REPORT_OVERFLOW) &&
	    (gfp & __GFP_NOWARN))
		return;
	/* The rate limit's state is a lock an NMI may have interrupted. */
	if (kind == REPORT_NMI) {
		WARN_ONCE(1, "goalloc: %s %p size %zu\n", reports[kind].what,
			  p, size);
		return;
	}
	if (WARN_RATELIMIT(1, "goalloc: %s %p size %zu\n", reports[kind].what,
			   p, size) && of_object)
		history_print(p);
}

void goalloc_alloc_failed(size_t size, gfp_t gfp)
{
	count_event(EV_ALLOC_FAIL);
	if (!(gfp & __GFP_NOWARN))
		pr_warn_ratelimited("allocation of %zu bytes failed, gfp %pGg\n",
				    size, &gfp);
}
