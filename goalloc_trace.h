/* SPDX-License-Identifier: GPL-2.0 */
/*
 * goalloc tracepoints, in the manner of kmem:kmalloc and kmem:kfree, so that
 * perf, trace-cmd and bpftrace see goalloc as they see kmalloc:
 *
 *   perf record -e goalloc:goalloc_alloc -e goalloc:goalloc_free -a
 *   echo 1 > /sys/kernel/tracing/events/goalloc/enable
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM goalloc

#if !defined(_GOALLOC_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _GOALLOC_TRACE_H

#include <linux/tracepoint.h>
#include <trace/events/mmflags.h>

/* Enabling either event turns goalloc_hooks_key on (goalloc_report.c). */
int goalloc_trace_reg(void);
void goalloc_trace_unreg(void);

TRACE_EVENT_FN(goalloc_alloc,

	TP_PROTO(unsigned long call_site, const void *ptr, size_t bytes_req,
		 size_t bytes_alloc, gfp_t gfp_flags),

	TP_ARGS(call_site, ptr, bytes_req, bytes_alloc, gfp_flags),

	TP_STRUCT__entry(
		__field(unsigned long,	call_site)
		__field(const void *,	ptr)
		__field(size_t,		bytes_req)
		__field(size_t,		bytes_alloc)
		__field(unsigned long,	gfp_flags)
	),

	TP_fast_assign(
		__entry->call_site	= call_site;
		__entry->ptr		= ptr;
		__entry->bytes_req	= bytes_req;
		__entry->bytes_alloc	= bytes_alloc;
		__entry->gfp_flags	= (__force unsigned long)gfp_flags;
	),

	TP_printk("call_site=%pS ptr=%p bytes_req=%zu bytes_alloc=%zu gfp_flags=%s",
		  (void *)__entry->call_site, __entry->ptr, __entry->bytes_req,
		  __entry->bytes_alloc, show_gfp_flags(__entry->gfp_flags)),

	goalloc_trace_reg, goalloc_trace_unreg
);

TRACE_EVENT_FN(goalloc_free,

	TP_PROTO(unsigned long call_site, const void *ptr),

	TP_ARGS(call_site, ptr),

	TP_STRUCT__entry(
		__field(unsigned long,	call_site)
		__field(const void *,	ptr)
	),

	TP_fast_assign(
		__entry->call_site	= call_site;
		__entry->ptr		= ptr;
	),

	TP_printk("call_site=%pS ptr=%p",
		  (void *)__entry->call_site, __entry->ptr),

	goalloc_trace_reg, goalloc_trace_unreg
);

#endif /* _GOALLOC_TRACE_H */

/* An out-of-tree header: define_trace.h finds it through -I$(src). */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE goalloc_trace
#include <trace/define_trace.h>
