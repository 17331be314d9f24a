// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of goalloc's heap profile (profile_rate, debugfs
 * heap_profile) and of its tracepoints.
 */

#include <kunit/test.h>
#include <linux/delay.h>
#include <linux/jump_label.h>
#include <linux/kallsyms.h>
#include <linux/module.h>
#include <linux/seq_file.h>
#include <linux/sizes.h>
#include <linux/string.h>
#include <linux/vmalloc.h>

#include "goalloc_test.h"
#include "../goalloc_trace.h"

MODULE_IMPORT_NS(GOALLOC_TEST_NS);

#define PROFILE_BUF	(256 << 10)
#define GO_DEFAULT_RATE	524288
/* goalloc's default profile_rate (goalloc_profile.c). */
#define DEFAULT_RATE	(2 << 20)

/* Each case starts from an empty profile and leaves the rate as it was. */
static int profile_case_init(struct kunit *test)
{
	unsigned long *rate = kunit_kzalloc(test, sizeof(*rate), GFP_KERNEL);

	if (!rate)
		return -ENOMEM;
	*rate = goalloc_profile_rate();
	test->priv = rate;
	goalloc_profile_reset();
	return 0;
}

static void profile_case_exit(struct kunit *test)
{
	goalloc_profile_set_rate(*(unsigned long *)test->priv);
	goalloc_profile_reset();
}

static char *render_profile(struct kunit *test)
{
	struct seq_file m = { .size = PROFILE_BUF };

	m.buf = kunit_kzalloc(test, PROFILE_BUF, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, m.buf);
	KUNIT_ASSERT_EQ(test, goalloc_debugfs_show("heap_profile", &m), 0);
	KUNIT_ASSERT_LT(test, m.count, (size_t)PROFILE_BUF);
	m.buf[m.count] = 0;
	return m.buf;
}

struct record {
	unsigned long inuse_objects, inuse_bytes, alloc_objects, alloc_bytes;
};

/* pprof's heapHeaderRE, for the header heap_profile writes. */
static bool parse_header(const char *text, struct record *r,
			 unsigned long *period)
{
	return sscanf(text, "heap profile: %lu: %lu [%lu: %lu] @ heap/%lu",
		      &r->inuse_objects, &r->inuse_bytes, &r->alloc_objects,
		      &r->alloc_bytes, period) == 5;
}

/* pprof's heapSampleRE: counts, then "@" and only " x0-9a-f" to the end. */
static bool parse_record(const char *line, struct record *r)
{
	const char *at = strchr(line, '@');
	size_t len = strcspn(line, "\n");

	if (sscanf(line, "%lu: %lu [%lu: %lu] @", &r->inuse_objects,
		   &r->inuse_bytes, &r->alloc_objects, &r->alloc_bytes) != 4 ||
	    !at || at > line + len)
		return false;
	return strspn(at + 1, " x0123456789abcdef") == line + len - at - 1;
}

/* Is the frame line @line .. @end in @func (or a clone of it, "func.isra.0")? */
static bool frame_in(const char *line, const char *end, const char *func)
{
	const char *sym = strnchr(line + 2, end - line - 2, '\t');
	size_t len = strlen(func);

	return sym && end - sym > len + 1 && !strncmp(sym + 1, func, len) &&
	       (sym[len + 1] == '+' || sym[len + 1] == '.');
}

/*
 * Find the record whose innermost frame is in @func; check every record's
 * syntax on the way and add up all records into @sum.
 * Return: true if found, with its counts in @r.
 */
static bool find_site(struct kunit *test, const char *text, const char *func,
		      struct record *r, struct record *sum)
{
	bool found = false, innermost = false;
	const char *line, *next;
	struct record cur;

	memset(sum, 0, sizeof(*sum));
	for (line = strchr(text, '\n'); line && *++line; line = next) {
		next = strchr(line, '\n');
		if (!next)
			break;
		if (*line == '#') {
			/* The first frame after a record is its site. */
			if (innermost && frame_in(line, next, func)) {
				KUNIT_EXPECT_FALSE_MSG(test, found,
						       "two records for %s", func);
				*r = cur;
				found = true;
			}
		} else if (line != next) {
			KUNIT_ASSERT_TRUE_MSG(test, parse_record(line, &cur),
					      "bad record: %.80s", line);
			sum->inuse_objects += cur.inuse_objects;
			sum->inuse_bytes += cur.inuse_bytes;
			sum->alloc_objects += cur.alloc_objects;
			sum->alloc_bytes += cur.alloc_bytes;
			innermost = true;
			continue;
		}
		innermost = false;
	}
	return found;
}

/* ------------------------------------------------------------------ */
/* goalloc_profile: sampling arithmetic */

static void next_sample_is_exponential_with_mean_rate(struct kunit *test)
{
	const unsigned int n = 100000;
	u64 sum = 0, below_median = 0;
	unsigned int i;

	KUNIT_EXPECT_EQ(test, goalloc_profile_next_sample(0), LONG_MAX);
	KUNIT_EXPECT_EQ(test, goalloc_profile_next_sample(1), 0L);
	for (i = 0; i < n; i++) {
		long x = goalloc_profile_next_sample(GO_DEFAULT_RATE);

		KUNIT_ASSERT_GT(test, x, 0L);
		KUNIT_ASSERT_LT(test, x, 20L * GO_DEFAULT_RATE);
		sum += x;
		/* The median of an exponential is ln 2 times its mean. */
		below_median += x < GO_DEFAULT_RATE * 693147ULL / 1000000;
	}
	/* Standard errors: 0.32 % of the mean, 0.16 % of the half: 6 sigma. */
	KUNIT_EXPECT_LT(test, abs((long)(div_u64(sum, n) - GO_DEFAULT_RATE)),
			GO_DEFAULT_RATE / 50L);
	KUNIT_EXPECT_LT(test, abs((long)below_median - (long)n / 2), (long)n / 100);
}

static void scale_is_pprofs(struct kunit *test)
{
	/* 1 / (1 - exp(-1)) = 1.5819767 */
	KUNIT_EXPECT_EQ(test, div_u64(goalloc_profile_scale(1, 1000000, 1000000) + 50, 100),
			15820ULL);
	/* 1 KiB at 512 KiB: 1 / (1 - exp(-1/512)) = 512.500163 */
	KUNIT_EXPECT_EQ(test, div_u64(goalloc_profile_scale(4, 4096, GO_DEFAULT_RATE), 4),
			524800ULL);
	/* rate 1 samples everything, 0 says nothing: no scaling */
	KUNIT_EXPECT_EQ(test, goalloc_profile_scale(3, 300, 1), 300ULL);
	KUNIT_EXPECT_EQ(test, goalloc_profile_scale(3, 300, 0), 300ULL);
	/* huge objects are always sampled */
	KUNIT_EXPECT_EQ(test, goalloc_profile_scale(2, 8 << 20, 4096), 8ULL << 20);
}

/* ------------------------------------------------------------------ */
/* goalloc_profile: buckets */

static noinline void site_a(void **objs, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		objs[i] = goalloc_alloc(100, GFP_KERNEL);
}

static noinline void site_b(void **objs, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		objs[i] = goalloc_alloc(3000, GFP_KERNEL);
}

static void two_sites_two_buckets_exact_counts(struct kunit *test)
{
	void *a[10], *b[7];
	struct record ra, rb, sum, hdr;
	unsigned long period;
	struct profile_stats ps;
	char *text;
	unsigned int i;

	goalloc_profile_set_rate(1);
	site_a(a, ARRAY_SIZE(a));
	site_b(b, ARRAY_SIZE(b));
	for (i = 0; i < ARRAY_SIZE(a); i++)
		KUNIT_ASSERT_NOT_NULL(test, a[i]);
	for (i = 0; i < ARRAY_SIZE(b); i++)
		KUNIT_ASSERT_NOT_NULL(test, b[i]);

	text = render_profile(test);
	KUNIT_ASSERT_TRUE(test, parse_header(text, &hdr, &period));
	KUNIT_EXPECT_EQ(test, period, 2UL);
	KUNIT_ASSERT_TRUE_MSG(test, find_site(test, text, "site_a", &ra, &sum),
			      "no bucket for site_a in:\n%.600s", text);
	KUNIT_ASSERT_TRUE_MSG(test, find_site(test, text, "site_b", &rb, &sum),
			      "no bucket for site_b in:\n%.1500s", text);
	/* 100 bytes live in the 112-byte class, 3000 in the 3072-byte one. */
	KUNIT_EXPECT_EQ(test, ra.inuse_objects, 10UL);
	KUNIT_EXPECT_EQ(test, ra.inuse_bytes, 10 * 112UL);
	KUNIT_EXPECT_EQ(test, ra.alloc_objects, 10UL);
	KUNIT_EXPECT_EQ(test, ra.alloc_bytes, 10 * 112UL);
	KUNIT_EXPECT_EQ(test, rb.inuse_objects, 7UL);
	KUNIT_EXPECT_EQ(test, rb.inuse_bytes, 7 * 3072UL);
	KUNIT_EXPECT_EQ(test, rb.alloc_bytes, 7 * 3072UL);
	/* The header totals the records. */
	KUNIT_EXPECT_EQ(test, hdr.inuse_objects, sum.inuse_objects);
	KUNIT_EXPECT_EQ(test, hdr.inuse_bytes, sum.inuse_bytes);
	KUNIT_EXPECT_EQ(test, hdr.alloc_objects, sum.alloc_objects);
	KUNIT_EXPECT_EQ(test, hdr.alloc_bytes, sum.alloc_bytes);
	goalloc_profile_stats(&ps);
	KUNIT_EXPECT_GE(test, ps.samples, 17UL);
	KUNIT_EXPECT_GE(test, ps.buckets, 2UL);
	KUNIT_EXPECT_GT(test, ps.bytes, 0UL);
	/* Their spans' frees go past the fast path, to the profile. */
	KUNIT_EXPECT_EQ(test, span_of(a[0])->fast_nelems, 0);
	KUNIT_EXPECT_EQ(test, span_of(b[0])->fast_nelems, 0);

	/* Frees move objects from in use to alloc only, at once. */
	for (i = 0; i < ARRAY_SIZE(a); i++)
		goalloc_free(a[i]);
	goalloc_free(b[0]);
	text = render_profile(test);
	KUNIT_ASSERT_TRUE(test, find_site(test, text, "site_a", &ra, &sum));
	KUNIT_ASSERT_TRUE(test, find_site(test, text, "site_b", &rb, &sum));
	KUNIT_EXPECT_EQ(test, ra.inuse_objects, 0UL);
	KUNIT_EXPECT_EQ(test, ra.inuse_bytes, 0UL);
	KUNIT_EXPECT_EQ(test, ra.alloc_objects, 10UL);
	KUNIT_EXPECT_EQ(test, rb.inuse_objects, 6UL);
	KUNIT_EXPECT_EQ(test, rb.alloc_objects, 7UL);

	/* A reset forgets what was freed and keeps what is still held. */
	goalloc_profile_reset();
	text = render_profile(test);
	KUNIT_EXPECT_FALSE(test, find_site(test, text, "site_a", &ra, &sum));
	KUNIT_ASSERT_TRUE(test, find_site(test, text, "site_b", &rb, &sum));
	KUNIT_EXPECT_EQ(test, rb.inuse_objects, 6UL);
	KUNIT_EXPECT_EQ(test, rb.alloc_objects, 6UL);
	for (i = 1; i < ARRAY_SIZE(b); i++)
		goalloc_free(b[i]);
	text = render_profile(test);
	KUNIT_ASSERT_TRUE(test, find_site(test, text, "site_b", &rb, &sum));
	KUNIT_EXPECT_EQ(test, rb.inuse_objects, 0UL);
	KUNIT_EXPECT_EQ(test, rb.alloc_objects, 6UL);
}

static noinline void *site_d(void)
{
	void *p = goalloc_alloc(200, GFP_KERNEL);

	barrier();	/* a frame of its own: no tail call */
	return p;
}

static noinline void *site_e(void)
{
	void *p = goalloc_alloc(300, GFP_KERNEL);

	barrier();
	return p;
}

/*
 * A site sampled again by the same path takes its stack from where the
 * last sample's unwind found it (profile_frames), without unwinding, and
 * two sites taking turns are each credited exactly.
 */
static void repeated_sites_reuse_their_stacks(struct kunit *test)
{
	enum { N = 64 };
	void **d = test_objs(test, N), **e = test_objs(test, N);
	struct profile_stats before, after;
	struct record rd, re, sum;
	unsigned int i;
	char *text;

	goalloc_profile_set_rate(1);
	migrate_disable();		/* one CPU's entries throughout */
	goalloc_profile_stats(&before);
	/* One call site each, so one stack each, taking turns. */
	for (i = 0; i < N; i++) {
		d[i] = site_d();
		e[i] = site_e();
	}
	goalloc_profile_stats(&after);
	migrate_enable();
	for (i = 0; i < N; i++) {
		KUNIT_ASSERT_NOT_NULL(test, d[i]);
		KUNIT_ASSERT_NOT_NULL(test, e[i]);
	}
	/* All but each site's first and a few refills (another path). */
	if (IS_ENABLED(CONFIG_UNWINDER_ORC))
		KUNIT_EXPECT_GE(test, after.cached - before.cached, 2 * N - 16UL);
	text = render_profile(test);
	KUNIT_ASSERT_TRUE(test, find_site(test, text, "site_d", &rd, &sum));
	KUNIT_ASSERT_TRUE(test, find_site(test, text, "site_e", &re, &sum));
	KUNIT_EXPECT_EQ(test, rd.alloc_objects, (unsigned long)N);
	KUNIT_EXPECT_EQ(test, re.alloc_objects, (unsigned long)N);
	for (i = 0; i < N; i++) {
		goalloc_free(d[i]);
		goalloc_free(e[i]);
	}
}

static noinline void site_large(void **p)
{
	*p = goalloc_alloc(100 << 10, GFP_KERNEL);
}

static void large_objects_and_realloc_are_profiled(struct kunit *test)
{
	struct record r, sum;
	void *p, *q;

	goalloc_profile_set_rate(1);
	site_large(&p);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_ASSERT_TRUE(test, find_site(test, render_profile(test),
					  "site_large", &r, &sum));
	KUNIT_EXPECT_EQ(test, r.inuse_objects, 1UL);
	KUNIT_EXPECT_EQ(test, r.inuse_bytes, goalloc_usable_size(p));
	/* realloc: the new object is the caller's, the old one is freed. */
	q = goalloc_realloc(p, 300 << 10, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, q);
	KUNIT_ASSERT_TRUE(test, find_site(test, render_profile(test),
					  "site_large", &r, &sum));
	KUNIT_EXPECT_EQ(test, r.inuse_objects, 0UL);
	KUNIT_ASSERT_TRUE(test, find_site(test, render_profile(test),
					  "large_objects_and_realloc_are_profiled",
					  &r, &sum));
	KUNIT_EXPECT_EQ(test, r.inuse_objects, 1UL);
	KUNIT_EXPECT_EQ(test, r.inuse_bytes, goalloc_usable_size(q));
	goalloc_free(q);
}

/*
 * Rate 0 stops sampling, but objects sampled before stay tracked until
 * freed; then the fast paths' key goes off.
 */
static void rate_zero_tracks_sampled_objects_to_their_free(struct kunit *test)
{
	struct profile_stats ps, before;
	struct record r, sum;
	void *a[3], *late;
	int i;

	goalloc_profile_stats(&before);
	goalloc_profile_set_rate(1);
	site_a(a, ARRAY_SIZE(a));
	goalloc_profile_set_rate(0);
	late = goalloc_alloc(100, GFP_KERNEL);
	KUNIT_EXPECT_TRUE(test, static_key_enabled(&goalloc_profile_key));
	for (i = 0; i < ARRAY_SIZE(a); i++)
		goalloc_free(a[i]);
	goalloc_free(late);
	KUNIT_ASSERT_TRUE(test, find_site(test, render_profile(test), "site_a",
					  &r, &sum));
	KUNIT_EXPECT_EQ(test, r.inuse_objects, 0UL);
	KUNIT_EXPECT_EQ(test, r.alloc_objects, 3UL);
	goalloc_profile_stats(&ps);
	KUNIT_EXPECT_EQ(test, ps.samples, before.samples);
	if (ps.samples)
		kunit_skip(test, "%lu sampled objects held elsewhere keep the key on",
			   ps.samples);
	for (i = 0; i < 50 && static_key_enabled(&goalloc_profile_key); i++)
		msleep(20);
	KUNIT_EXPECT_FALSE(test, static_key_enabled(&goalloc_profile_key));
}

/*
 * With debug=1, an allocation that finds its object written after free
 * takes another: the sample is that one's, taken once (it was taken twice,
 * and the profile kept a sample no free would remove).
 */
static void replaced_corrupted_object_is_sampled_once(struct kunit *test)
{
	struct profile_stats before, ps;
	u8 *p, *q;

	if (!goalloc_debug)
		kunit_skip(test, "goalloc loaded without debug=1");
	goalloc_profile_set_rate(1);	/* every allocation */
	migrate_disable();		/* one CPU's magazine throughout */
	p = goalloc_alloc(640, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	goalloc_free(p);
	write_after_free(p, 100);	/* the bug the debug check catches */
	goalloc_profile_stats(&before);
	EXPECT_REPORTS(test, 1, EV_POISON_CORRUPTED,
		       q = goalloc_alloc(640, GFP_KERNEL));
	migrate_enable();
	KUNIT_ASSERT_NOT_NULL(test, q);
	KUNIT_EXPECT_PTR_NE(test, q, p);
	goalloc_profile_stats(&ps);
	KUNIT_EXPECT_EQ(test, ps.samples, before.samples + 1);
	goalloc_free(q);
	goalloc_profile_stats(&ps);
	KUNIT_EXPECT_EQ(test, ps.samples, before.samples);
}

/*
 * goalloc's default rate on 256 MiB of 32 KiB objects, allocated in two
 * waves of 128 MiB (freed between, so that the guest needs only one):
 * about 127 samples. One run's estimate of the bytes allocated (pprof's
 * alloc_space) has a standard error of 8.9 % (Poisson); the mean of 16
 * runs has 2.2 % and must be within 10 % of the truth (4.5 sigma), each
 * run within 45 % (5 sigma). The last wave's in-use estimate
 * (inuse_space, 64 samples, 12.5 %) must be within 50 % (4 sigma). With
 * one wave, the mean's 3.1 % (3.9 % measured over 15 boots) passed 10 %
 * about once in a hundred checks. The object size does not change that;
 * the time goes with the bytes: debug=1 poisons and checks each, 70 s of
 * the debug kernel's run. 1 KiB objects took 20 s a wave there (kmemleak
 * and KASAN per object).
 */
static noinline void site_c(void **objs, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		objs[i] = goalloc_alloc(SZ_32K, GFP_KERNEL);
}

static void default_rate_estimates_256_mib_within_10_percent(struct kunit *test)
{
	const unsigned int n = (128 << 20) / SZ_32K, runs = 16, waves = 2;
	const u64 wave = 128 << 20, truth = waves * wave;
	u64 est, inuse, total = 0;
	unsigned int run, w, i;
	struct record r, sum;
	void **objs;

	objs = kvcalloc(n, sizeof(void *), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, objs);
	goalloc_profile_set_rate(DEFAULT_RATE);
	for (run = 0; run < runs; run++) {
		for (w = 0; w < waves; w++) {
			if (w)
				for (i = 0; i < n; i++)
					goalloc_free(objs[i]);
			site_c(objs, n);
			for (i = 0; i < n; i++)
				KUNIT_EXPECT_NOT_NULL(test, objs[i]);
		}
		memset(&r, 0, sizeof(r));
		find_site(test, render_profile(test), "site_c", &r, &sum);
		est = goalloc_profile_scale(r.alloc_objects, r.alloc_bytes,
					    DEFAULT_RATE);
		inuse = goalloc_profile_scale(r.inuse_objects, r.inuse_bytes,
					      DEFAULT_RATE);
		kunit_info(test, "run %u: %lu samples, estimate %llu of %llu bytes, in use %llu of %llu\n",
			   run, r.alloc_objects, est, truth, inuse, wave);
		KUNIT_EXPECT_LT(test, abs((s64)(est - truth)),
				(s64)div_u64(truth * 45, 100));
		KUNIT_EXPECT_LT(test, abs((s64)(inuse - wave)), (s64)wave / 2);
		total += est;
		for (i = 0; i < n; i++)
			goalloc_free(objs[i]);
		goalloc_profile_reset();
	}
	kvfree(objs);
	kunit_info(test, "mean estimate %llu of %llu bytes\n",
		   div_u64(total, runs), truth);
	KUNIT_EXPECT_LT(test, abs((s64)(div_u64(total, runs) - truth)),
			(s64)truth / 10);
}

/* ------------------------------------------------------------------ */
/* goalloc_trace: the tracepoints, seen by a probe as perf would see them */

struct seen {
	const void *watch;
	unsigned long alloc_site, free_site;
	size_t req, alloc;
	gfp_t gfp;
	int allocs, frees;
};

static void probe_alloc(void *data, unsigned long call_site, const void *ptr,
			size_t bytes_req, size_t bytes_alloc, gfp_t gfp)
{
	struct seen *s = data;

	if (ptr != s->watch && s->watch)
		return;
	if (!s->watch)
		s->watch = ptr;
	s->alloc_site = call_site;
	s->req = bytes_req;
	s->alloc = bytes_alloc;
	s->gfp = gfp;
	s->allocs++;
}

static void probe_free(void *data, unsigned long call_site, const void *ptr)
{
	struct seen *s = data;

	if (ptr != s->watch)
		return;
	s->free_site = call_site;
	s->frees++;
}

static bool site_is(unsigned long ip, const char *func)
{
	char sym[KSYM_SYMBOL_LEN];

	sprint_symbol_no_offset(sym, ip);
	return !strncmp(sym, func, strlen(func)) &&
	       (!sym[strlen(func)] || sym[strlen(func)] == ' ');
}

static noinline void traced_site(struct kunit *test, struct seen *s,
				 size_t size, size_t usable)
{
	void *p;

	memset(s, 0, sizeof(*s));	/* the probe takes the first pointer */
	p = goalloc_alloc(size, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	goalloc_free(p);
	KUNIT_EXPECT_EQ(test, s->allocs, 1);
	KUNIT_EXPECT_EQ(test, s->frees, 1);
	KUNIT_EXPECT_EQ(test, s->req, size);
	KUNIT_EXPECT_EQ(test, s->alloc, usable);
	KUNIT_EXPECT_EQ(test, (__force unsigned int)s->gfp,
			(__force unsigned int)GFP_KERNEL);
	KUNIT_EXPECT_TRUE(test, site_is(s->alloc_site, "traced_site"));
	KUNIT_EXPECT_TRUE(test, site_is(s->free_site, "traced_site"));
}

static void tracepoints_see_allocs_and_frees(struct kunit *test)
{
	struct seen *s = kunit_kzalloc(test, sizeof(*s), GFP_KERNEL);
	void *p;

	KUNIT_ASSERT_NOT_NULL(test, s);
	KUNIT_ASSERT_EQ(test, register_trace_goalloc_alloc(probe_alloc, s), 0);
	KUNIT_ASSERT_EQ(test, register_trace_goalloc_free(probe_free, s), 0);
	KUNIT_EXPECT_TRUE(test, static_key_enabled(&goalloc_hooks_key));

	traced_site(test, s, 100, 112);			/* fast path */
	traced_site(test, s, 100 << 10, 104 << 10);	/* large object */

	/* zalloc and realloc report their own caller's site. */
	memset(s, 0, sizeof(*s));
	p = goalloc_zalloc(40, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	s->watch = p;
	p = goalloc_realloc(p, 4000, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_EQ(test, s->frees, 1);
	KUNIT_EXPECT_TRUE(test, site_is(s->free_site,
					"tracepoints_see_allocs_and_frees"));
	goalloc_free(p);

	unregister_trace_goalloc_free(probe_free, s);
	unregister_trace_goalloc_alloc(probe_alloc, s);
	tracepoint_synchronize_unregister();
}

static struct kunit_case profile_cases[] = {
	KUNIT_CASE(next_sample_is_exponential_with_mean_rate),
	KUNIT_CASE(scale_is_pprofs),
	KUNIT_CASE(two_sites_two_buckets_exact_counts),
	KUNIT_CASE(repeated_sites_reuse_their_stacks),
	KUNIT_CASE(large_objects_and_realloc_are_profiled),
	KUNIT_CASE(rate_zero_tracks_sampled_objects_to_their_free),
	KUNIT_CASE(replaced_corrupted_object_is_sampled_once),
	KUNIT_CASE(default_rate_estimates_256_mib_within_10_percent),
	{}
};

static struct kunit_suite profile_suite = {
	.name = "goalloc_profile",
	.init = profile_case_init,
	.exit = profile_case_exit,
	.test_cases = profile_cases,
};

static struct kunit_case trace_cases[] = {
	KUNIT_CASE(tracepoints_see_allocs_and_frees),
	{}
};

static struct kunit_suite trace_suite = {
	.name = "goalloc_trace",
	.test_cases = trace_cases,
};

kunit_test_suites(&profile_suite, &trace_suite);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit tests for goalloc: heap profile and tracepoints");
