// SPDX-License-Identifier: GPL-2.0
/*
 * cacheprof: a QEMU TCG plugin that runs every guest load and store
 * through a model of a data cache hierarchy and counts the misses, per
 * measured region and per instruction address, for scripts/cachebench.sh.
 * Written against QEMU 7.2's plugin API (QEMU_PLUGIN_VERSION 1, Debian
 * 12); the few declarations it needs are repeated here so that no QEMU
 * headers are required.
 *
 * The model, per vCPU:
 *
 *   L1d  32 KiB, 8-way, 64-byte lines (64 sets), true LRU
 *   L2    1 MiB, 16-way, 64-byte lines (1024 sets), true LRU
 *
 * Both are private to their vCPU, as the L1d and the L2 of a core are on
 * the Intel and AMD server parts this shape comes from; the shared level
 * after them (L3) is not modelled, so an L2 miss is a trip to L3 or
 * memory. Both are indexed by the guest physical address (an L1d of
 * 32 KiB, 8 ways is VIPT with the index inside the 4 KiB page, so it
 * indexes as if physically; the L2 is PIPT), which makes vmalloc'd and
 * direct-map aliases of one page one line. Accesses to I/O are left out.
 * Stores allocate like loads. An L1d miss looks the line up in the L2 and
 * fills both; the L2 is not inclusive (evicting a line from it leaves
 * the L1d alone). With more than one vCPU a store invalidates the line in
 * every other vCPU's L1d and L2, so a line written on one CPU and read on
 * another misses there, as a coherent cache would; the model's state is
 * then under one lock (each callback runs on its vCPU's thread under
 * MTTCG).
 *
 * The guest marks what to count with a 7-byte NOP no compiler emits,
 * "nopl MAGIC+CMD(%rax)" (0f 1f 80, then the 32-bit displacement):
 *
 *   CMD 1  begin a region: zero the region counters of every vCPU
 *   CMD 2  end it: keep the sums over every vCPU as the next region
 *   CMD 3  flush: invalidate every line of every vCPU (a cold cache)
 *   CMD 4  begin a region whose misses also count per instruction
 *   CMD 5  begin a region that counts the accesses of this vCPU only
 *
 * It is a NOP on any x86 CPU, costs no lookup of symbols, and is found at
 * translation from the instruction's bytes. Regions are numbered from 0 in
 * the order they end; the guest numbers its own the same way. Misses per
 * instruction address are counted only inside regions begun by CMD 4.
 *
 * Output (out=FILE, default cacheprof.out), written at exit:
 *
 *   region N accesses A loads L stores S l1_misses M1 l2_misses M2
 *   insn VADDR l1_misses M1 l2_misses M2
 *
 * Arguments: out=FILE; l1=KiB,WAYS and l2=KiB,WAYS change the geometry.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef uint64_t qemu_plugin_id_t;
typedef uint32_t qemu_plugin_meminfo_t;
struct qemu_plugin_tb;
struct qemu_plugin_insn;
struct qemu_plugin_hwaddr;

typedef struct qemu_info_t {
	const char *target_name;
	struct {
		int min;
		int cur;
	} version;
	bool system_emulation;
	union {
		struct {
			int smp_vcpus;
			int max_vcpus;
		} system;
	};
} qemu_info_t;

enum qemu_plugin_cb_flags {
	QEMU_PLUGIN_CB_NO_REGS,
	QEMU_PLUGIN_CB_R_REGS,
	QEMU_PLUGIN_CB_RW_REGS,
};

enum qemu_plugin_mem_rw {
	QEMU_PLUGIN_MEM_R = 1,
	QEMU_PLUGIN_MEM_W,
	QEMU_PLUGIN_MEM_RW,
};

typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int vcpu, void *udata);
typedef void (*qemu_plugin_vcpu_mem_cb_t)(unsigned int vcpu,
					  qemu_plugin_meminfo_t info,
					  uint64_t vaddr, void *udata);

size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb,
						 size_t idx);
const void *qemu_plugin_insn_data(const struct qemu_plugin_insn *insn);
size_t qemu_plugin_insn_size(const struct qemu_plugin_insn *insn);
uint64_t qemu_plugin_insn_vaddr(const struct qemu_plugin_insn *insn);
unsigned int qemu_plugin_mem_size_shift(qemu_plugin_meminfo_t info);
bool qemu_plugin_mem_is_store(qemu_plugin_meminfo_t info);
struct qemu_plugin_hwaddr *qemu_plugin_get_hwaddr(qemu_plugin_meminfo_t info,
						  uint64_t vaddr);
bool qemu_plugin_hwaddr_is_io(const struct qemu_plugin_hwaddr *haddr);
uint64_t qemu_plugin_hwaddr_phys_addr(const struct qemu_plugin_hwaddr *haddr);
void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id,
	void (*cb)(qemu_plugin_id_t, struct qemu_plugin_tb *));
void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *insn,
					    qemu_plugin_vcpu_udata_cb_t cb,
					    enum qemu_plugin_cb_flags flags,
					    void *udata);
void qemu_plugin_register_vcpu_mem_cb(struct qemu_plugin_insn *insn,
				      qemu_plugin_vcpu_mem_cb_t cb,
				      enum qemu_plugin_cb_flags flags,
				      enum qemu_plugin_mem_rw rw, void *udata);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id,
	void (*cb)(qemu_plugin_id_t, void *), void *userdata);

__attribute__((visibility("default"))) int qemu_plugin_version = 1;

#define LINE_SHIFT	6
#define MAGIC		0x63616300u	/* "\0cac" little-endian */
#define MAGIC_MASK	0xffffff00u
#define CMD_BEGIN	1
#define CMD_END		2
#define CMD_FLUSH	3
#define CMD_BEGIN_PROFILED	4
#define CMD_BEGIN_LOCAL	5

/*
 * One set-associative cache. A way holds a line when its last use is
 * later than the last flush, so a flush is one store (the guest may flush
 * before every operation it measures).
 */
struct cache {
	unsigned int sets;
	unsigned int ways;
	uint64_t *tag;		/* [sets * ways], line number */
	uint64_t *used;		/* [sets * ways], last use; LRU is the least */
	uint64_t clock;		/* ticks once per lookup */
	uint64_t flushed;	/* clock at the last flush */
};

enum count { C_ACCESS, C_LOAD, C_STORE, C_L1, C_L2, NR_COUNTS };

struct vcpu {
	struct cache l1, l2;
	uint64_t region[NR_COUNTS];	/* since the current region began */
};

/* Misses caused by one guest instruction address, inside regions. */
struct insn_stat {
	uint64_t vaddr;
	uint64_t l1, l2;
	struct insn_stat *next;		/* hash chain */
};

struct region {
	uint64_t n[NR_COUNTS];
};

#define HASH_BITS	16
static struct insn_stat *insn_hash[1 << HASH_BITS];
static pthread_mutex_t trans_lock = PTHREAD_MUTEX_INITIALIZER;

static struct vcpu *vcpus;
static int nr_vcpus;
static bool shared;		/* more than one vCPU: lock, invalidate */
static pthread_mutex_t model_lock = PTHREAD_MUTEX_INITIALIZER;
static bool in_region;
static bool profiling;		/* in a region begun by CMD 4 */
static int region_cpu = -1;	/* CMD 5: the one vCPU counted, or -1 */
static struct region *regions;
static size_t nr_regions, max_regions;

static const char *out_path = "cacheprof.out";
static unsigned int l1_kib = 32, l1_ways = 8, l2_kib = 1024, l2_ways = 16;

static void cache_init(struct cache *c, unsigned int kib, unsigned int ways)
{
	c->sets = (kib << 10) >> LINE_SHIFT;
	c->sets /= ways;
	c->ways = ways;
	c->tag = calloc((size_t)c->sets * ways, sizeof(*c->tag));
	c->used = calloc((size_t)c->sets * ways, sizeof(*c->used));
	if (!c->tag || !c->used || (c->sets & (c->sets - 1))) {
		fprintf(stderr, "cacheprof: bad geometry %u KiB %u ways\n",
			kib, ways);
		abort();
	}
}

static void cache_flush(struct cache *c)
{
	c->flushed = c->clock;
}

/* Look a line up; on a miss put it in the least recently used way. */
static bool cache_access(struct cache *c, uint64_t line)
{
	size_t base = (size_t)(line & (c->sets - 1)) * c->ways;
	uint64_t *tag = c->tag + base, *used = c->used + base;
	unsigned int w, victim = 0;

	c->clock++;
	for (w = 0; w < c->ways; w++) {
		if (tag[w] == line && used[w] > c->flushed) {
			used[w] = c->clock;
			return true;
		}
		if (used[w] < used[victim])
			victim = w;
	}
	tag[victim] = line;
	used[victim] = c->clock;
	return false;
}

static void cache_invalidate(struct cache *c, uint64_t line)
{
	size_t base = (size_t)(line & (c->sets - 1)) * c->ways;
	unsigned int w;

	for (w = 0; w < c->ways; w++) {
		if (c->tag[base + w] == line && c->used[base + w] > c->flushed) {
			c->used[base + w] = 0;
			return;
		}
	}
}

static void access_line(unsigned int cpu, uint64_t line, bool store,
			struct insn_stat *st)
{
	struct vcpu *v = &vcpus[cpu];
	bool l1_miss = false, l2_miss = false;
	int i;

	if (!cache_access(&v->l1, line)) {
		l1_miss = true;
		l2_miss = !cache_access(&v->l2, line);
	}
	if (store && shared) {
		for (i = 0; i < nr_vcpus; i++) {
			if (i == (int)cpu)
				continue;
			cache_invalidate(&vcpus[i].l1, line);
			cache_invalidate(&vcpus[i].l2, line);
		}
	}
	if (!in_region)
		return;
	v->region[C_ACCESS]++;
	v->region[store ? C_STORE : C_LOAD]++;
	v->region[C_L1] += l1_miss;
	v->region[C_L2] += l2_miss;
	if (profiling) {
		st->l1 += l1_miss;
		st->l2 += l2_miss;
	}
}

static void mem_cb(unsigned int cpu, qemu_plugin_meminfo_t info,
		   uint64_t vaddr, void *udata)
{
	struct qemu_plugin_hwaddr *hw = qemu_plugin_get_hwaddr(info, vaddr);
	uint64_t addr, line, last;
	bool store = qemu_plugin_mem_is_store(info);

	if (!hw || qemu_plugin_hwaddr_is_io(hw) || cpu >= (unsigned int)nr_vcpus)
		return;
	addr = qemu_plugin_hwaddr_phys_addr(hw);
	line = addr >> LINE_SHIFT;
	last = (addr + (1u << qemu_plugin_mem_size_shift(info)) - 1) >> LINE_SHIFT;
	if (shared)
		pthread_mutex_lock(&model_lock);
	for (; line <= last; line++)
		access_line(cpu, line, store, udata);
	if (shared)
		pthread_mutex_unlock(&model_lock);
}

static void region_begin(bool profiled, int cpu)
{
	int i;

	profiling = profiled;
	region_cpu = cpu;
	for (i = 0; i < nr_vcpus; i++)
		memset(vcpus[i].region, 0, sizeof(vcpus[i].region));
	in_region = true;
}

static void region_end(void)
{
	struct region *r;
	int i, k;

	if (!in_region)
		return;
	in_region = false;
	profiling = false;
	if (nr_regions == max_regions) {
		max_regions = max_regions ? 2 * max_regions : 256;
		regions = realloc(regions, max_regions * sizeof(*regions));
		if (!regions)
			abort();
	}
	r = &regions[nr_regions++];
	memset(r, 0, sizeof(*r));
	for (i = 0; i < nr_vcpus; i++)
		for (k = 0; k < NR_COUNTS; k++)
			if (region_cpu < 0 || i == region_cpu)
				r->n[k] += vcpus[i].region[k];
}

static void marker_cb(unsigned int cpu, void *udata)
{
	unsigned int cmd = (unsigned int)(uintptr_t)udata;
	int i;

	if (cpu >= (unsigned int)nr_vcpus)
		return;
	pthread_mutex_lock(&model_lock);
	switch (cmd) {
	case CMD_BEGIN:
	case CMD_BEGIN_PROFILED:
		region_begin(cmd == CMD_BEGIN_PROFILED, -1);
		break;
	case CMD_BEGIN_LOCAL:
		region_begin(false, cpu);
		break;
	case CMD_END:
		region_end();
		break;
	case CMD_FLUSH:
		for (i = 0; i < nr_vcpus; i++) {
			cache_flush(&vcpus[i].l1);
			cache_flush(&vcpus[i].l2);
		}
		break;
	}
	pthread_mutex_unlock(&model_lock);
}

/* The command of a marker NOP, or 0 for any other instruction. */
static unsigned int marker_cmd(const struct qemu_plugin_insn *insn)
{
	const uint8_t *b = qemu_plugin_insn_data(insn);
	uint32_t disp;

	if (qemu_plugin_insn_size(insn) != 7 || b[0] != 0x0f || b[1] != 0x1f ||
	    b[2] != 0x80)
		return 0;
	disp = b[3] | b[4] << 8 | b[5] << 16 | (uint32_t)b[6] << 24;
	return (disp & MAGIC_MASK) == MAGIC ? disp & ~MAGIC_MASK : 0;
}

/* The counters of an instruction address, shared by its translations. */
static struct insn_stat *insn_stat_get(uint64_t vaddr)
{
	size_t h = (vaddr * 0x9e3779b97f4a7c15ull) >> (64 - HASH_BITS);
	struct insn_stat *st;

	pthread_mutex_lock(&trans_lock);
	for (st = insn_hash[h]; st; st = st->next)
		if (st->vaddr == vaddr)
			break;
	if (!st) {
		st = calloc(1, sizeof(*st));
		if (!st)
			abort();
		st->vaddr = vaddr;
		st->next = insn_hash[h];
		insn_hash[h] = st;
	}
	pthread_mutex_unlock(&trans_lock);
	return st;
}

static void tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	size_t i, n = qemu_plugin_tb_n_insns(tb);

	for (i = 0; i < n; i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
		unsigned int cmd = marker_cmd(insn);

		if (cmd) {
			qemu_plugin_register_vcpu_insn_exec_cb(insn, marker_cb,
				QEMU_PLUGIN_CB_NO_REGS, (void *)(uintptr_t)cmd);
			continue;
		}
		qemu_plugin_register_vcpu_mem_cb(insn, mem_cb,
			QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_MEM_RW,
			insn_stat_get(qemu_plugin_insn_vaddr(insn)));
	}
}

static void at_exit(qemu_plugin_id_t id, void *unused)
{
	FILE *f = fopen(out_path, "w");
	struct insn_stat *st;
	size_t i;

	if (!f)
		return;
	for (i = 0; i < nr_regions; i++)
		fprintf(f, "region %zu accesses %llu loads %llu stores %llu l1_misses %llu l2_misses %llu\n",
			i, (unsigned long long)regions[i].n[C_ACCESS],
			(unsigned long long)regions[i].n[C_LOAD],
			(unsigned long long)regions[i].n[C_STORE],
			(unsigned long long)regions[i].n[C_L1],
			(unsigned long long)regions[i].n[C_L2]);
	for (i = 0; i < (1u << HASH_BITS); i++)
		for (st = insn_hash[i]; st; st = st->next)
			if (st->l1 || st->l2)
				fprintf(f, "insn %llx l1_misses %llu l2_misses %llu\n",
					(unsigned long long)st->vaddr,
					(unsigned long long)st->l1,
					(unsigned long long)st->l2);
	fclose(f);
}

static bool parse_geometry(const char *s, unsigned int *kib, unsigned int *ways)
{
	return sscanf(s, "%u,%u", kib, ways) == 2 && *kib && *ways;
}

__attribute__((visibility("default")))
int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
			int argc, char **argv)
{
	int i;

	for (i = 0; i < argc; i++) {
		if (!strncmp(argv[i], "out=", 4)) {
			out_path = strdup(argv[i] + 4);
		} else if (!strncmp(argv[i], "l1=", 3)) {
			if (!parse_geometry(argv[i] + 3, &l1_kib, &l1_ways))
				return -1;
		} else if (!strncmp(argv[i], "l2=", 3)) {
			if (!parse_geometry(argv[i] + 3, &l2_kib, &l2_ways))
				return -1;
		} else {
			fprintf(stderr, "cacheprof: unknown argument %s\n", argv[i]);
			return -1;
		}
	}
	if (!info->system_emulation) {
		fprintf(stderr, "cacheprof: system emulation only\n");
		return -1;
	}
	nr_vcpus = info->system.max_vcpus;
	shared = nr_vcpus > 1;
	vcpus = calloc(nr_vcpus, sizeof(*vcpus));
	if (!vcpus)
		return -1;
	for (i = 0; i < nr_vcpus; i++) {
		cache_init(&vcpus[i].l1, l1_kib, l1_ways);
		cache_init(&vcpus[i].l2, l2_kib, l2_ways);
	}
	qemu_plugin_register_vcpu_tb_trans_cb(id, tb_trans);
	qemu_plugin_register_atexit_cb(id, at_exit, NULL);
	return 0;
}
