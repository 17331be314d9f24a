// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of the drop-in header: this file is compiled with
 * goalloc_slab.h force-included (kunit/Kbuild), as a switched module is,
 * and calls the kernel's slab API by its usual names. What the header
 * moves must land in goalloc; what it leaves (names_cachep, memory that
 * built-in code allocated with kmalloc) must stay the kernel's, and be
 * freed by the kernel through the same calls.
 */

#include <kunit/test.h>
#include <linux/module.h>
#include <linux/string.h>
#include <linux/vmalloc.h>

#include "goalloc_test.h"

MODULE_IMPORT_NS(GOALLOC_TEST_NS);

struct slab_obj {
	u64 id;
	struct rcu_head rcu;
	char payload[100];
};

/* The kmalloc family and kvmalloc up to 4 MiB come from goalloc. */
static void kmalloc_family_comes_from_goalloc(struct kunit *test)
{
	void *p[8], *q;
	size_t n;
	int i;

	p[0] = kmalloc(100, GFP_KERNEL);
	p[1] = kzalloc(200, GFP_KERNEL);
	p[2] = kcalloc(10, 30, GFP_KERNEL);
	p[3] = kmalloc_array(4, 64, GFP_KERNEL);
	p[4] = kmalloc_node(300, GFP_KERNEL, NUMA_NO_NODE);
	p[5] = kvmalloc(SZ_64K, GFP_KERNEL);
	p[6] = kvzalloc(SZ_1M, GFP_KERNEL);
	p[7] = kmalloc(SZ_128K, GFP_KERNEL);
	for (i = 0; i < ARRAY_SIZE(p); i++) {
		KUNIT_ASSERT_NOT_NULL(test, p[i]);
		KUNIT_EXPECT_TRUE_MSG(test, goalloc_owns(p[i]), "object %d", i);
	}
	KUNIT_EXPECT_FALSE(test, memchr_inv(p[1], 0, 200));
	KUNIT_EXPECT_FALSE(test, memchr_inv(p[6], 0, SZ_1M));
	KUNIT_EXPECT_EQ(test, ksize(p[0]), goalloc_usable_size(p[0]));
	KUNIT_EXPECT_EQ(test, kmalloc_size_roundup(100), ksize(p[0]));
	q = krealloc(p[0], 5000, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, q);
	p[0] = q;
	KUNIT_EXPECT_TRUE(test, goalloc_owns(p[0]));
	n = ARRAY_SIZE(p);
	kfree_bulk(2, p);
	for (i = 2; i < n; i++)
		kvfree(p[i]);
	KUNIT_EXPECT_EQ(test, goalloc_verify(NULL), 0);
}

/* Above goalloc's largest object, kvmalloc() falls back to vmalloc. */
static void kvmalloc_above_4_mib_is_vmalloc(struct kunit *test)
{
	void *p = kvmalloc(GOALLOC_MAX_SIZE + PAGE_SIZE, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_TRUE(test, is_vmalloc_addr(p));
	KUNIT_EXPECT_FALSE(test, goalloc_owns(p));
	memset(p, 1, GOALLOC_MAX_SIZE + PAGE_SIZE);
	kvfree(p);
}

/*
 * Memory built-in code allocated with kmalloc (kstrdup() and kmemdup()
 * are not inline) is freed, resized and measured by the kernel through
 * the redirected names, quietly.
 */
static void kernel_kmalloc_memory_goes_back_to_the_kernel(struct kunit *test)
{
	unsigned long before = events(EV_REFUSED_FOREIGN);
	char *s = kstrdup("goalloc", GFP_KERNEL);
	char *t = kmemdup("0123456789", 11, GFP_KERNEL);
	char *u = kstrdup("grows", GFP_KERNEL), *v;

	KUNIT_ASSERT_NOT_NULL(test, s);
	KUNIT_ASSERT_NOT_NULL(test, t);
	KUNIT_ASSERT_NOT_NULL(test, u);
	KUNIT_EXPECT_FALSE(test, goalloc_owns(s));
	KUNIT_EXPECT_GE(test, ksize(s), (size_t)8);
	v = krealloc(u, 3000, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, v);
	u = v;
	KUNIT_EXPECT_STREQ(test, u, "grows");
	KUNIT_EXPECT_TRUE(test, goalloc_owns(u));
	kfree(s);
	kfree_sensitive(t);
	kfree(u);
	KUNIT_EXPECT_EQ(test, events(EV_REFUSED_FOREIGN), before);
}

static atomic_t slab_ctor_calls = ATOMIC_INIT(0);

static void slab_obj_ctor(void *p)
{
	struct slab_obj *o = p;

	o->id = 0x5eed;
	atomic_inc(&slab_ctor_calls);
}

/*
 * kmem_cache_create(), KMEM_CACHE() and every cache call make and use a
 * goalloc cache, which debugfs shows under the cache's name; a function
 * pointer to kmem_cache_free is goalloc's too.
 */
static void kmem_caches_are_goalloc_caches(struct kunit *test)
{
	void (*free_fn)(struct kmem_cache *s, void *p) = kmem_cache_free;
	struct kmem_cache *c, *k;
	struct goalloc_cache_row r;
	void *v[16];
	void *o;

	c = kmem_cache_create("goalloc_test_slab_h", sizeof(struct slab_obj),
			      0, SLAB_HWCACHE_ALIGN | SLAB_ACCOUNT,
			      slab_obj_ctor);
	KUNIT_ASSERT_NOT_NULL(test, c);
	KUNIT_EXPECT_STREQ(test, goalloc_cache_name((struct goalloc_cache *)c),
			   "goalloc_test_slab_h");
	KUNIT_EXPECT_EQ(test, kmem_cache_size(c),
			(unsigned int)sizeof(struct slab_obj));
	o = kmem_cache_alloc(c, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, o);
	KUNIT_EXPECT_TRUE(test, goalloc_owns(o));
	KUNIT_EXPECT_EQ(test, ((struct slab_obj *)o)->id, 0x5eedULL);
	KUNIT_EXPECT_GT(test, atomic_read(&slab_ctor_calls), 0);
	KUNIT_EXPECT_EQ(test, kmem_cache_alloc_bulk(c, GFP_KERNEL, 16, v), 16);
	kmem_cache_free_bulk(c, 16, v);
	free_fn(c, o);
	goalloc_cache_row((struct goalloc_cache *)c, &r);
	KUNIT_EXPECT_EQ(test, r.inuse, 0UL);
	KUNIT_EXPECT_EQ(test, r.allocs, 17UL);
	kmem_cache_destroy(c);

	k = KMEM_CACHE(slab_obj, 0);
	KUNIT_ASSERT_NOT_NULL(test, k);
	o = kmem_cache_zalloc(k, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, o);
	KUNIT_EXPECT_FALSE(test, memchr_inv(o, 0, sizeof(struct slab_obj)));
	kmem_cache_free(k, o);
	kmem_cache_destroy(k);
}

/* kfree_rcu() frees goalloc's and the kernel's memory after a grace period. */
static void kfree_rcu_frees_either_after_a_grace_period(struct kunit *test)
{
	unsigned int cls = size_to_class(sizeof(struct slab_obj));
	unsigned long before = events(EV_REFUSED_FOREIGN), inuse;
	struct slab_obj *a = kzalloc(sizeof(*a), GFP_KERNEL);
	struct slab_obj *b;

	KUNIT_ASSERT_NOT_NULL(test, a);
	b = kmemdup(a, sizeof(*a), GFP_KERNEL);	/* the kernel's */
	KUNIT_ASSERT_NOT_NULL(test, b);
	KUNIT_EXPECT_FALSE(test, goalloc_owns(b));
	inuse = class_inuse(cls);
	kfree_rcu(a, rcu);
	kfree_rcu(b, rcu);
	goalloc_rcu_barrier();
	KUNIT_EXPECT_EQ(test, class_inuse(cls), inuse - 1);
	KUNIT_EXPECT_EQ(test, events(EV_REFUSED_FOREIGN), before);
}

/* __getname() stays with the kernel's names_cachep. */
static void getname_stays_with_the_kernel(struct kunit *test)
{
	char *name = __getname();

	KUNIT_ASSERT_NOT_NULL(test, name);
	KUNIT_EXPECT_FALSE(test, goalloc_owns(name));
	strscpy(name, "/goalloc", PATH_MAX);
	__putname(name);
}

static struct kunit_case slab_h_cases[] = {
	KUNIT_CASE(kmalloc_family_comes_from_goalloc),
	KUNIT_CASE(kvmalloc_above_4_mib_is_vmalloc),
	KUNIT_CASE(kernel_kmalloc_memory_goes_back_to_the_kernel),
	KUNIT_CASE(kmem_caches_are_goalloc_caches),
	KUNIT_CASE(kfree_rcu_frees_either_after_a_grace_period),
	KUNIT_CASE(getname_stays_with_the_kernel),
	{}
};

static struct kunit_suite slab_h_suite = {
	.name = "goalloc_slab_h",
	.test_cases = slab_h_cases,
};

kunit_test_suites(&slab_h_suite);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit tests of goalloc_slab.h, the drop-in header");
