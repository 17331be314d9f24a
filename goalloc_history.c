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
 * address before and after it reads them. At the bottom, beside
 * goalloc_report.c, which prints an object's history with its report;
 * debugfs "object" (goalloc_object.c) shows it for any address.
 */

#define pr_fmt(fmt) "goalloc: " fmt

#include <linux/hash.h>
#include <linux/stackdepot.h>
#include <linux/stacktrace.h>
#include <linux/vmalloc.h>

#include "goalloc_internal.h"

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
	/* No object, then the stacks, then the object: history_get(). */
	smp_wmb();
	WRITE_ONCE(h->alloc, history_stack());
	WRITE_ONCE(h->free, 0);
	smp_wmb();	/* pairs with history_get()'s first smp_rmb() */
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

/**
 * history_get() - the stacks recorded for @p
 * @p: an object's address
 * @alloc: receives its last allocation's stack
 * @free: receives its last free's stack, or 0 if none was recorded
 *
 * Context: any.
 * Return: false if @p has no entry.
 */
bool history_get(const void *p, depot_stack_handle_t *alloc,
		 depot_stack_handle_t *free)
{
	struct history *h;

	if (!history || !p)
		return false;
	h = history_slot(p);
	if (READ_ONCE(h->obj) != p)
		return false;
	smp_rmb();	/* the object, then its stacks: history_alloc() */
	*alloc = READ_ONCE(h->alloc);
	*free = READ_ONCE(h->free);
	smp_rmb();	/* and the object again: not taken meanwhile */
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
