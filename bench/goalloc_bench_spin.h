/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The benchmarks' wait for another CPU's thread (goalloc_bench.c,
 * goalloc_cachebench.c).
 */
#ifndef _GOALLOC_BENCH_SPIN_H
#define _GOALLOC_BENCH_SPIN_H

#include <linux/processor.h>
#include <linux/sched.h>

/*
 * One turn of a wait for another CPU's thread. stop_machine() (a clocksource
 * change, a CPU going down) runs a stopper on every CPU and holds each one
 * until all have come; without full preemption, a thread spinning here for a
 * thread that a stopper holds off its CPU would keep this CPU's stopper out
 * for ever, unless it lets the scheduler in.
 */
static inline void bench_spin(void)
{
	cond_resched();
	cpu_relax();
}

#endif /* _GOALLOC_BENCH_SPIN_H */
