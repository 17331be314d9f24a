// SPDX-License-Identifier: GPL-2.0
/*
 * goalloc deferred frees: goalloc_free_rcu(), kfree_rcu()'s counterpart,
 * for objects of goalloc_alloc() and of every cache.
 *
 * Deferred frees wait in a per-CPU list, linked through their rcu_heads
 * as kvfree_rcu()'s do (each head's ->func holds its offset in the
 * object), and a batch goes to RCU at once through a workqueue
 * (queue_rcu_work()): one grace period per batch, not one call_rcu() per
 * object. The batch is freed with goalloc_kvfree(), which routes cache
 * objects to their caches, and the kernel's kmalloc and vmalloc memory
 * (of a module switched by goalloc_slab.h) to kfree() and vfree().
 */

#include <linux/rcupdate.h>
#include <linux/workqueue.h>

#include "goalloc_mcache.h"

/*
 * A CPU's deferred frees: @head, linked through the objects' rcu_heads
 * (each ->func holds the head's offset in its object), waits for the
 * monitor, which hands it to RCU as @wait when no batch is in flight.
 */
struct rcu_batch {
	raw_spinlock_t lock;
	struct rcu_head *head;
	unsigned int count;
	struct rcu_head *wait;
	bool busy;
	struct delayed_work monitor;
	struct rcu_work free;
};

static DEFINE_PER_CPU(struct rcu_batch, rcu_batches);

/* A batch waits this long for more frees, unless it reaches RCU_BATCH_MAX. */
#define RCU_BATCH_DELAY		(HZ / 50)
#define RCU_BATCH_MAX		512

/* A grace period after the monitor: free the batch, then look again. */
static void rcu_batch_free(struct work_struct *work)
{
	struct rcu_batch *b = container_of(to_rcu_work(work), struct rcu_batch,
					   free);
	struct rcu_head *head, *next;
	unsigned long flags;

	for (head = b->wait; head; head = next) {
		next = head->next;
		goalloc_kvfree((void *)head - (unsigned long)head->func);
		cond_resched();
	}
	raw_spin_lock_irqsave(&b->lock, flags);
	b->wait = NULL;
	WRITE_ONCE(b->busy, false);
	if (b->head)
		mod_delayed_work(system_wq, &b->monitor, 0);
	raw_spin_unlock_irqrestore(&b->lock, flags);
}

static void rcu_batch_monitor(struct work_struct *work)
{
	struct rcu_batch *b = container_of(to_delayed_work(work),
					   struct rcu_batch, monitor);
	unsigned long flags;
	bool go = false;

	raw_spin_lock_irqsave(&b->lock, flags);
	if (!b->busy && b->head) {
		b->wait = b->head;
		b->head = NULL;
		b->count = 0;
		WRITE_ONCE(b->busy, true);
		go = true;
	}
	raw_spin_unlock_irqrestore(&b->lock, flags);
	if (go)
		queue_rcu_work(system_wq, &b->free);
}

/**
 * __goalloc_free_rcu() - goalloc_free_rcu()'s body
 * @head: the rcu_head inside the object
 * @offset: its offset in the object
 */
void __goalloc_free_rcu(struct rcu_head *head, unsigned long offset)
{
	struct rcu_batch *b;
	unsigned long flags;

	if (goalloc_refuse_nmi(head, offset))
		return;
	local_irq_save(flags);
	b = this_cpu_ptr(&rcu_batches);
	raw_spin_lock(&b->lock);
	head->func = (rcu_callback_t)offset;
	head->next = b->head;
	b->head = head;
	if (++b->count == 1 || b->count == RCU_BATCH_MAX)
		mod_delayed_work(system_wq, &b->monitor,
				 b->count == 1 ? RCU_BATCH_DELAY : 0);
	raw_spin_unlock(&b->lock);
	local_irq_restore(flags);
	count_event(EV_FREE_RCU);
}
EXPORT_SYMBOL_GPL(__goalloc_free_rcu);

/**
 * goalloc_rcu_barrier() - wait until every goalloc_free_rcu() so far is done
 *
 * Context: process context, may sleep.
 */
void goalloc_rcu_barrier(void)
{
	struct rcu_batch *b;
	bool pending;
	int cpu;

	for_each_possible_cpu(cpu) {
		b = per_cpu_ptr(&rcu_batches, cpu);
		do {
			flush_delayed_work(&b->monitor);
			flush_rcu_work(&b->free);
			raw_spin_lock_irq(&b->lock);
			pending = b->head || b->busy;
			if (b->head && !b->busy)
				mod_delayed_work(system_wq, &b->monitor, 0);
			raw_spin_unlock_irq(&b->lock);
		} while (pending);
	}
}
EXPORT_SYMBOL_GPL(goalloc_rcu_barrier);

void rcu_batch_init(void)
{
	struct rcu_batch *b;
	int cpu;

	for_each_possible_cpu(cpu) {
		b = per_cpu_ptr(&rcu_batches, cpu);
		raw_spin_lock_init(&b->lock);
		INIT_DELAYED_WORK(&b->monitor, rcu_batch_monitor);
		INIT_RCU_WORK(&b->free, rcu_batch_free);
	}
}
