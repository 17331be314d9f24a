/* SPDX-License-Identifier: GPL-2.0 */
/*
 * goalloc's help in finding a caller's memory bugs, at the bottom with
 * the reports: KASAN's view of goalloc's objects (goalloc_kasan.c), and,
 * with debug=1, each object's last allocation and free stacks
 * (goalloc_history.c). Included by goalloc_internal.h.
 *
 * With generic KASAN, an object handed out has exactly the bytes asked
 * for accessible and the rest of its slot as a red zone, as SLUB's
 * kmalloc objects; a freed object, a new span and a large object's pages
 * past its size are poisoned, so that KASAN reports a caller's
 * out-of-bounds access or use after free on the spot. Freed objects wait
 * in a per-CPU quarantine before their slot is handed out again.
 *
 * What a module may use of KASAN: kasan_poison(), exported by 6.1
 * (EXPORT_SYMBOL) and 6.12 (EXPORT_SYMBOL_GPL) from mm/kasan/shadow.c,
 * with its prototype and the shadow values in mm/kasan/kasan.h, private,
 * so they are declared here as they are there; kasan_unpoison() is not
 * exported. Kbuild finds the prototype in the kernel's source tree
 * (GOALLOC_HAVE_KASAN_POISON); without it, or without generic KASAN,
 * goalloc tells KASAN nothing (GOALLOC_KASAN 0), and KASAN sees its
 * pages as valid from end to end. The shadow values are 6.1's and
 * 6.12's.
 */
#ifndef _GOALLOC_DEBUG_H
#define _GOALLOC_DEBUG_H

#ifndef _GOALLOC_INTERNAL_H
#error "only goalloc_internal.h includes this header"
#endif

#include <linux/kasan.h>
#include <linux/stackdepot.h>

#if defined(CONFIG_KASAN_GENERIC) && defined(GOALLOC_HAVE_KASAN_POISON)
#define GOALLOC_KASAN	1

/* mm/kasan/kasan.h, as 6.1 and 6.12 declare them. */
#define SHADOW_PAGE_FREE	0xFF	/* KASAN_PAGE_FREE */
#define SHADOW_PAGE_REDZONE	0xFE	/* KASAN_PAGE_REDZONE */
#define SHADOW_SLAB_REDZONE	0xFC	/* KASAN_SLAB_REDZONE */
#define SHADOW_SLAB_FREE	0xFB	/* KASAN_SLAB_FREE */
void kasan_poison(const void *addr, size_t size, u8 value, bool init);

/*
 * For goalloc_kunit_kasan.c, with CONFIG_KASAN_KUNIT_TEST: multi-shot
 * reports, and on 6.1 the resource kasan_report() marks.
 */
bool kasan_save_enable_multi_shot(void);
void kasan_restore_multi_shot(bool enabled);
struct kunit_kasan_status {
	bool report_found;
	bool sync_fault;
};

void kasan_kunit_test_suite_start(void);
void kasan_kunit_test_suite_end(void);

void shadow_set(const void *p, size_t size, size_t slot, u8 redzone);
bool shadow_claim(const void *p);
bool shadow_freed(const void *p);

/* The most objects quarantine_put() hands back for release at once. */
#define QUARANTINE_OUT		16
unsigned int quarantine_put(const void *p, unsigned int cls, size_t bytes,
			    const void **out);
unsigned int quarantine_take(int cpu, unsigned int cls, const void **objs,
			     unsigned int max);
void quarantine_stats(unsigned long *objs, unsigned long *bytes);
int quarantine_init(void);
void quarantine_exit(void);
#else
#define GOALLOC_KASAN	0
#define SHADOW_PAGE_FREE	0
#define SHADOW_PAGE_REDZONE	0
#define SHADOW_SLAB_REDZONE	0
#define SHADOW_SLAB_FREE	0

static inline void shadow_set(const void *p, size_t size, size_t slot,
			      u8 redzone)
{
}

static inline bool shadow_claim(const void *p)
{
	return true;
}

static inline bool shadow_freed(const void *p)
{
	return false;
}

#define QUARANTINE_OUT		1
static inline unsigned int quarantine_put(const void *p, unsigned int cls,
					  size_t bytes, const void **out)
{
	out[0] = p;
	return 1;
}

static inline unsigned int quarantine_take(int cpu, unsigned int cls,
					   const void **objs, unsigned int max)
{
	return 0;
}

static inline void quarantine_stats(unsigned long *objs, unsigned long *bytes)
{
	*objs = 0;
	*bytes = 0;
}

static inline int quarantine_init(void)
{
	return 0;
}

static inline void quarantine_exit(void)
{
}
#endif

/* Make all of [@p, @p + @bytes) inaccessible, with shadow value @value. */
static inline void shadow_poison(const void *p, size_t bytes, u8 value)
{
	shadow_set(p, 0, bytes, value);
}

/* Objects' last allocation and free stacks, with debug=1 (goalloc_history.c). */
#ifdef CONFIG_STACKDEPOT
void history_alloc(const void *p);
void history_free(const void *p);
void history_print(const void *p);
bool history_get(const void *p, depot_stack_handle_t *alloc,
		 depot_stack_handle_t *free);
int history_init(void);
void history_exit(void);
#else
static inline void history_alloc(const void *p) { }
static inline void history_free(const void *p) { }
static inline void history_print(const void *p) { }
static inline int history_init(void) { return 0; }
static inline void history_exit(void) { }
#endif

#endif /* _GOALLOC_DEBUG_H */
