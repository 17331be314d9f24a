// SPDX-License-Identifier: GPL-2.0
/*
 * goalloc scavenger and shrinker: giving memory back to the buddy
 * allocator (Go's background scavenger).
 *
 * The heap keeps a headroom of idle pages (goalloc_heap.c). When free
 * pages exceed it, the heap calls the hook this file gives it at init
 * (scavenge_wake()), which queues deferred work; the work gives idle
 * chunks beyond the headroom back, after draining the CPUs' caches when
 * those are what keeps chunks from going idle (goalloc_scavenge()).
 * A shrinker lets memory pressure take the headroom too, and has the
 * scavenger drain when idle chunks alone do not cover what reclaim asks.
 *
 * This file sits above the others: it calls down into mcache, mcentral,
 * the page caches and the heap, and nothing calls up into it but through
 * the heap's hook. It takes no lock of its own; each layer it calls takes
 * its own (lock order in goalloc_internal.h).
 */

#define pr_fmt(fmt) "goalloc: " fmt

#include <linux/sched.h>
#include <linux/shrinker.h>
#include <linux/swap.h>
#include <linux/workqueue.h>

#include "goalloc_mcache.h"

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

static void goalloc_scavenge_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(goalloc_scavenge_work, goalloc_scavenge_fn);

/* Go's scavenger paces itself over seconds; one second is soon enough. */
#define GOALLOC_SCAVENGE_DELAY	HZ

static bool goalloc_drain_wanted;	/* scavenge_request_drain() */
static unsigned long goalloc_drain_last;	/* jiffies */
#define GOALLOC_DRAIN_GAP	HZ

/*
 * Drains that the headroom asks for are paced. A drain runs a worker on
 * every CPU, one after the other, and empties every magazine, which each
 * CPU then refills from mcentral. It pays when cached objects are what
 * pins chunks; when the free pages lie among spans in use (a fragmented
 * heap under steady churn), no drain gives them back, and one a second
 * would only cost. So after a drain that gives no page back, the next
 * waits twice as long, up to SCAVENGE_DRAIN_GAP_MAX (a minute, the most
 * that cached objects may pin chunks beyond the headroom before a drain
 * frees them); a drain that gives pages back sets the wait to a second
 * again. Drains that memory pressure asks for are not paced this way.
 * The work runs one pass at a time, so these need no lock.
 */
#define SCAVENGE_DRAIN_GAP_MIN	HZ
#define SCAVENGE_DRAIN_GAP_MAX	(64 * HZ)
static unsigned long scavenge_drain_gap;	/* jiffies */
static unsigned long scavenge_drain_at;		/* jiffies of the last drain */

/* Forget the drains so far: the next one may run at once. */
static void scavenge_pace_reset(void)
{
	scavenge_drain_gap = SCAVENGE_DRAIN_GAP_MIN;
	scavenge_drain_at = jiffies - SCAVENGE_DRAIN_GAP_MAX - 1;
}

/* May a paced drain run now? If not, when may it (jiffies from now)? */
static bool scavenge_drain_due(unsigned long *wait)
{
	unsigned long now = jiffies, end = scavenge_drain_at + scavenge_drain_gap;

	/* time_in_range(), as scavenge_request_drain() explains. */
	if (!time_in_range(now, scavenge_drain_at, end))
		return true;
	*wait = end - now + 1;
	return false;
}

/* A paced drain ran, and the pass then gave @released pages back. */
static void scavenge_pace(unsigned long released)
{
	scavenge_drain_at = jiffies;
	scavenge_drain_gap = released ? SCAVENGE_DRAIN_GAP_MIN :
			     min(2 * scavenge_drain_gap, SCAVENGE_DRAIN_GAP_MAX);
}

static void scavenge_requeue(unsigned long delay);

/**
 * scavenge_pass() - one pass of the scavenger
 * @paced: pace the drains the headroom asks for (the background work);
 *	   false for a pass that drains whenever they are due
 *
 * Free pages beyond the headroom: give idle chunks back. If free pages
 * outside idle chunks alone exceed the headroom (the CPUs' page caches
 * count as free here), the chunks are pinned by the few spans that CPU
 * caches and mcentral's empty lists keep alive, and by the page caches;
 * those are drained first, so that a burst of frees does not leave whole
 * chunks held by a handful of cached objects; and always when memory
 * pressure asked for it (scavenge_request_drain()). A paced pass that
 * must wait to drain comes back when it may.
 *
 * Context: process context, may sleep; one paced pass at a time.
 * Return: true if it drained the CPUs' caches.
 */
bool scavenge_pass(bool paced)
{
	unsigned long keep = heap_headroom_pages(), released, wait = 0;
	bool wanted = xchg(&goalloc_drain_wanted, false), pinned;
	struct heap_stats st;

	heap_stats_read(&st);
	pinned = st.sys_pages - st.inuse_pages + pcache_cached_pages() -
		 st.idle_pages > keep;
	if (pinned && paced && !scavenge_drain_due(&wait))
		pinned = false;
	if (wanted || pinned) {
		count_event(EV_SCAVENGE_DRAIN);
		goalloc_drain(false);
	}
	released = heap_release_free_chunks(keep);
	if (pinned && paced)
		scavenge_pace(released);
	if (wait)
		scavenge_requeue(wait);
	return wanted || pinned;
}
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(scavenge_pass);

/**
 * goalloc_scavenge() - a scavenger pass now, its drain not paced
 *
 * Context: process context, may sleep.
 */
void goalloc_scavenge(void)
{
	scavenge_pass(false);
}
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(goalloc_scavenge);

static void goalloc_scavenge_fn(struct work_struct *work)
{
	scavenge_pass(true);
}

/* Set at unload, before the work is cancelled, so that nothing requeues it. */
static bool goalloc_scavenge_off;

/*
 * A pass that had to wait for its drain: again after @delay jiffies,
 * unless a pass is queued already (a drain memory pressure asked for is
 * not put off).
 */
static void scavenge_requeue(unsigned long delay)
{
	if (!READ_ONCE(goalloc_scavenge_off))
		schedule_delayed_work(&goalloc_scavenge_work, delay);
}

/*
 * The heap's hook (heap_set_scavenger()): free pages exceed the headroom.
 * A no-op while a pass is pending.
 */
static void scavenge_wake(void)
{
	/*
	 * A plain read first: frees call this while memory is above the
	 * headroom, and queueing a pending work is an atomic on a shared line.
	 */
	if (!READ_ONCE(goalloc_scavenge_off) &&
	    !delayed_work_pending(&goalloc_scavenge_work))
		schedule_delayed_work(&goalloc_scavenge_work,
				      GOALLOC_SCAVENGE_DELAY);
}

/*
 * Memory is short: drain the CPUs' caches soon. The shrinker calls this,
 * from any context, when idle chunks did not cover what reclaim asked
 * for. Magazines, depots, empty spans and the CPUs' page caches hold
 * pages that only a drain gives back, and a drain runs a worker on every
 * CPU, which a shrinker must not wait for: the scavenger does it at once,
 * and reclaim's next pass finds the chunks it leaves idle. At most once
 * per GOALLOC_DRAIN_GAP (a second): reclaim calls the shrinker on every
 * pass, also when the pressure is not goalloc's, and each drain empties
 * every CPU's caches.
 */
static void scavenge_request_drain(void)
{
	unsigned long now = jiffies, last = READ_ONCE(goalloc_drain_last);

	/* Not time_before(next): wrong after 2^31 jiffies without a request. */
	if (READ_ONCE(goalloc_scavenge_off) ||
	    time_in_range(now, last, last + GOALLOC_DRAIN_GAP))
		return;
	WRITE_ONCE(goalloc_drain_last, now);
	WRITE_ONCE(goalloc_drain_wanted, true);
	mod_delayed_work(system_wq, &goalloc_scavenge_work, 0);
}

/**
 * goalloc_scavenge_flush() - wait for a queued scavenger pass, for tests
 */
void goalloc_scavenge_flush(void)
{
	flush_delayed_work(&goalloc_scavenge_work);
}
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(goalloc_scavenge_flush);

/**
 * goalloc_scavenge_hold() - keep the scavenger from running, or let it run
 * @hold: true to cancel it and keep it off, false to allow it again
 *
 * For tests whose expectations a background drain would change (a freed
 * object's span vanishing between a prediction and a call). Holding it
 * also forgets the pacing of its drains, so that a test's paced passes
 * (scavenge_pass()) start as the first would.
 */
void goalloc_scavenge_hold(bool hold)
{
	WRITE_ONCE(goalloc_scavenge_off, hold);
	if (hold) {
		cancel_delayed_work_sync(&goalloc_scavenge_work);
		scavenge_pace_reset();
	}
}
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(goalloc_scavenge_hold);

/* Unload: stop the scavenger for good; frees after this only count pages. */
static void goalloc_scavenge_cancel(void)
{
	WRITE_ONCE(goalloc_scavenge_off, true);
	cancel_delayed_work_sync(&goalloc_scavenge_work);
}

/* Idle chunks, and the CPUs' page caches, which a drain gives back. */
static unsigned long scavenge_shrink_count(struct shrinker *sh,
					   struct shrink_control *sc)
{
	return heap_idle_pages_read() + pcache_cached_pages();
}

/*
 * Reclaim counts pages a shrinker frees only when told, as slab tells it;
 * without this, the direct reclaim that took goalloc's idle chunks saw no
 * progress and failed its __GFP_NORETRY request. mm_account_reclaimed_pages()
 * exists from 6.4 (Kbuild detects it); up to 6.3 the field is reclaimed_slab.
 */
static void scavenge_account_reclaimed(unsigned long pages)
{
#ifdef GOALLOC_HAVE_MM_ACCOUNT_RECLAIMED
	mm_account_reclaimed_pages(pages);
#else
	if (current->reclaim_state)
		current->reclaim_state->reclaimed_slab += pages;
#endif
}

static unsigned long scavenge_shrink_scan(struct shrinker *sh,
					  struct shrink_control *sc)
{
	unsigned long idle = heap_idle_pages_read();
	unsigned long released;

	released = heap_release_free_chunks(idle > sc->nr_to_scan ?
					    idle - sc->nr_to_scan : 0);
	heap_note_shrink(released);
	count_event(EV_SHRINK_CALL);
	this_cpu_add(goalloc_events[EV_SHRINK_PAGES], released);
	scavenge_account_reclaimed(released);
	/* The rest is in the CPUs' caches, if anywhere: drain them soon. */
	if (released < sc->nr_to_scan)
		scavenge_request_drain();
	return released ?: SHRINK_STOP;
}

/*
 * register_shrinker() with a name exists from 6.0; 6.7 replaced it with
 * shrinker_alloc() / shrinker_register() / shrinker_free(). Kbuild defines
 * GOALLOC_HAVE_SHRINKER_ALLOC when the kernel's shrinker.h has the latter.
 * Unregistering what was never registered is a no-op
 * (unregister_shrinker() checks, 6.0 and later; shrinker_free(NULL)), so
 * unload unregisters whether or not registration succeeded.
 */
#ifdef GOALLOC_HAVE_SHRINKER_ALLOC
static struct shrinker *scavenge_shrinker;

static int scavenge_shrinker_register(void)
{
	scavenge_shrinker = shrinker_alloc(0, "goalloc-heap");
	if (!scavenge_shrinker)
		return -ENOMEM;
	scavenge_shrinker->count_objects = scavenge_shrink_count;
	scavenge_shrinker->scan_objects = scavenge_shrink_scan;
	scavenge_shrinker->batch = GOALLOC_CHUNK_PAGES << GOALLOC_PAGE_ORDER;
	shrinker_register(scavenge_shrinker);
	return 0;
}

static void scavenge_shrinker_unregister(void)
{
	shrinker_free(scavenge_shrinker);
	scavenge_shrinker = NULL;
}
#else
static struct shrinker scavenge_shrinker = {
	.count_objects = scavenge_shrink_count,
	.scan_objects = scavenge_shrink_scan,
	.batch = GOALLOC_CHUNK_PAGES << GOALLOC_PAGE_ORDER,
	.seeks = DEFAULT_SEEKS,
};

static int scavenge_shrinker_register(void)
{
	return register_shrinker(&scavenge_shrinker, "goalloc-heap");
}

static void scavenge_shrinker_unregister(void)
{
	unregister_shrinker(&scavenge_shrinker);
}
#endif

/**
 * scavenge_shrink() - what memory pressure would do: release idle chunks
 * @nr_to_scan: pages the shrinker is asked for
 *
 * Return: pages released. For tests.
 */
unsigned long scavenge_shrink(unsigned long nr_to_scan)
{
	struct shrink_control sc = { .gfp_mask = GFP_KERNEL,
				     .nr_to_scan = nr_to_scan };
	unsigned long r = scavenge_shrink_scan(NULL, &sc);

	return r == SHRINK_STOP ? 0 : r;
}
EXPORT_SYMBOL_FOR_GOALLOC_TESTS(scavenge_shrink);

/* ------------------------------------------------------------------ */

/*
 * Last at load: the shrinker and the heap's hook queue the scavenger,
 * whose drain needs the CPUs' caches. The shrinker is optional: without
 * it only the headroom is kept.
 */
void scavenge_init(void)
{
	goalloc_drain_last = jiffies - GOALLOC_DRAIN_GAP - 1;
	scavenge_pace_reset();
	heap_set_scavenger(scavenge_wake);
	if (scavenge_shrinker_register())
		pr_warn("no shrinker; idle headroom is released only by time\n");
}

/* First at unload: the shrinker queues the scavenger, so it goes first. */
void scavenge_exit(void)
{
	scavenge_shrinker_unregister();
	goalloc_scavenge_cancel();
}
