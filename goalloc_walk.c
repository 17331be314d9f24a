// SPDX-License-Identifier: GPL-2.0
/*
 * goalloc walks of span lists, a bounded batch per lock hold: a class's
 * lists and the CPUs' cached spans (class_walk_batch()), and a CPU's list
 * of large objects (large_walk_batch()). debugfs "spans", the class
 * statistics and verify read every span through them, so a reader holds a
 * class's central lock, interrupts off, for GOALLOC_WALK_BATCH spans at
 * most, whatever the heap's size. They read mcentral and the page cache's
 * lists, below them; statistics and verify call them.
 */

#include "goalloc_mcache.h"


/*
 * For tests: the most spans a walk visited in one hold of a class lock,
 * and the holds class walks took. Two readers at once race on them; the
 * tests that read them walk alone.
 */
unsigned int goalloc_walk_longest;
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(goalloc_walk_longest);
unsigned long goalloc_walk_holds;
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(goalloc_walk_holds);

static void walk_note_hold(unsigned int work)
{
	WRITE_ONCE(goalloc_walk_holds, READ_ONCE(goalloc_walk_holds) + 1);
	if (work > READ_ONCE(goalloc_walk_longest))
		WRITE_ONCE(goalloc_walk_longest, work);
}

static struct list_head *central_list(struct central *c, unsigned int state)
{
	return state == SPAN_PARTIAL ? &c->partial :
	       state == SPAN_FULL ? &c->full : &c->empty;
}

/**
 * class_walk_init() - place a walk before the first span of a class
 * @w: the walk
 * @cls: the class, in use
 */
void class_walk_init(struct class_walk *w, unsigned int cls)
{
	memset(w, 0, sizeof(*w));
	w->cls = cls;
	w->lists = GENMASK(SPAN_CACHED, SPAN_PARTIAL);
	w->cpu = -1;
}

/*
 * Where on its list @w goes on from, or NULL if @w->pos may have left it.
 * A span leaves its class only for the heap, counted in departed: while
 * that stays as it was, @w->pos is a span of the class, alive, and its
 * state names its list (a span moved to another list and back is on it
 * again, at another place: the walk goes on from there).
 */
static struct list_head *__class_walk_resume(struct class_walk *w,
					     struct central *c)
{
	if (!w->pos)
		return central_list(c, w->state);
	if (c->departed == w->departed && w->pos->state == w->state)
		return &w->pos->list;
	return NULL;
}

/* The next span of @w's lists, or NULL once they are done. */
static struct span *__class_walk_next_listed(struct class_walk *w,
					     struct central *c)
{
	struct list_head *at;

	for (; w->state < SPAN_CACHED; w->state++, w->pos = NULL) {
		if (!(w->lists & BIT(w->state)))
			continue;
		/*
		 * A class that changes under the walk could move spans ahead
		 * of it for ever: the walk then visits no more spans than
		 * the lists held when it began.
		 */
		if (w->visits >= w->limit && c->changes != w->changes) {
			w->lost = true;
			continue;
		}
		at = __class_walk_resume(w, c);
		if (!at) {
			w->lost = true;
			continue;
		}
		if (at->next != central_list(c, w->state)) {
			w->pos = list_entry(at->next, struct span, list);
			w->departed = c->departed;
			w->visits++;
			return w->pos;
		}
	}
	return NULL;
}

/* The next span of @w's class: listed, then cached by a CPU. */
static struct span *__class_walk_next(struct class_walk *w)
{
	struct central *c = &goalloc_central[w->cls];
	unsigned int state;
	struct span *s;

	lockdep_assert_held(&c->lock);
	if (!w->started) {
		w->started = true;
		w->changes = c->changes;
		for (state = SPAN_PARTIAL; state < SPAN_CACHED; state++)
			if (w->lists & BIT(state))
				w->limit += c->nr_spans[state];
	}
	s = __class_walk_next_listed(w, c);
	if (s)
		return s;
	if (!(w->lists & BIT(SPAN_CACHED)))
		w->state = NR_SPAN_STATES;
	/* Cached spans are on no list; the class lock guards m->span. */
	while (w->state == SPAN_CACHED) {
		w->cpu = cpumask_next(w->cpu, cpu_possible_mask);
		if (w->cpu >= nr_cpu_ids) {
			w->state = NR_SPAN_STATES;
			break;
		}
		s = mcache_of(w->cpu)->cls[w->cls].span;
		if (s)
			return s;
	}
	return NULL;
}

/**
 * class_walk_batch() - visit the next batch of a class's spans
 * @w: the walk, from class_walk_init()
 * @visit: called for each span, with the class lock held
 * @end: called once, under the same hold, after the last span; or NULL
 * @arg: for @visit and @end
 *
 * The partial, full and empty lists, then the CPUs' cached spans (those
 * of them in @w->lists), under the class lock with interrupts off for up
 * to GOALLOC_WALK_BATCH units of work. The walk keeps its place while
 * the lock is dropped; when the class changes meanwhile, a span may be
 * visited twice or not at all, and @end is told the walk was not whole.
 *
 * Context: process context; takes the class's central lock.
 * Return: true while spans remain, false once @end has run.
 */
bool class_walk_batch(struct class_walk *w, span_visit_fn visit,
		      walk_end_fn end, void *arg)
{
	struct central *c = &goalloc_central[w->cls];
	unsigned int work = 0;
	struct span *s = NULL;
	unsigned long flags;

	spin_lock_irqsave(&c->lock, flags);
	while (work < GOALLOC_WALK_BATCH && (s = __class_walk_next(w)))
		work += visit(s, w->state, w->cpu, arg);
	if (!s && end)
		end(!w->lost && c->changes == w->changes, arg);
	spin_unlock_irqrestore(&c->lock, flags);
	walk_note_hold(work);
	return s;
}
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(class_walk_batch);

/**
 * large_walk_init() - place a walk before a CPU's first large object
 * @w: the walk
 * @cpu: the CPU, or nr_cpu_ids and above for a walk that is over
 */
void large_walk_init(struct large_walk *w, int cpu)
{
	memset(w, 0, sizeof(*w));
	w->cpu = cpu;
	w->done = cpu >= nr_cpu_ids;
}

/*
 * The next large object of @w's list, or NULL. A freed object leaves the
 * list, and its span may be freed: @w->pos is still listed only while
 * the list has neither lost nor gained an object, which its objects and
 * its growing bytes_total tell.
 */
static struct span *__large_walk_next(struct large_walk *w,
				      struct large_list *ll)
{
	struct list_head *at = &ll->spans;

	lockdep_assert_held(&ll->lock);
	if (w->done)
		return NULL;
	if (w->pos) {
		if (ll->objects != w->objects ||
		    ll->bytes_total != w->bytes_total) {
			w->lost = true;
			w->done = true;
			return NULL;
		}
		at = &w->pos->list;
	}
	if (at->next == &ll->spans) {
		w->done = true;
		return NULL;
	}
	w->pos = list_entry(at->next, struct span, list);
	w->objects = ll->objects;
	w->bytes_total = ll->bytes_total;
	return w->pos;
}

/**
 * large_walk_batch() - visit the next batch of a CPU's large objects
 * @w: the walk, from large_walk_init()
 * @visit: called for each span, with the list's lock held
 * @end: called once, under the same hold, after the last span; or NULL
 * @arg: for @visit and @end
 *
 * As class_walk_batch(), for the list of large objects @w->cpu allocated.
 * When the list changes while the lock is dropped, the walk ends there.
 *
 * Context: process context; takes that CPU's large_list lock.
 * Return: true while spans remain, false once @end has run.
 */
bool large_walk_batch(struct large_walk *w, span_visit_fn visit,
		      walk_end_fn end, void *arg)
{
	struct large_list *ll;
	unsigned int work = 0;
	struct span *s = NULL;
	unsigned long flags;

	if (w->done)
		return false;
	ll = pcache_large_list(w->cpu);
	spin_lock_irqsave(&ll->lock, flags);
	while (work < GOALLOC_WALK_BATCH && (s = __large_walk_next(w, ll)))
		work += visit(s, SPAN_LARGE, w->cpu, arg);
	if (!s && end)
		end(!w->lost, arg);
	spin_unlock_irqrestore(&ll->lock, flags);
	walk_note_hold(work);
	return s;
}
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(large_walk_batch);

