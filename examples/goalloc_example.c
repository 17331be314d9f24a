// SPDX-License-Identifier: GPL-2.0
/*
 * goalloc_example: a module that uses goalloc as another module would,
 * through goalloc.h and goalloc's Module.symvers only.
 *
 * At load it builds a small packet-queue-like workload: descriptors,
 * headers, payloads of packet sizes, a table grown with goalloc_realloc()
 * and a large receive buffer; it checks every object's contents, frees
 * everything and reports what it did. Load goalloc.ko first.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/random.h>
#include <linux/string.h>

#include "goalloc.h"

struct pkt {
	u32 len;
	u8 *data;
};

static unsigned int packets = 4096;
module_param(packets, uint, 0444);
MODULE_PARM_DESC(packets, "packets to build (default 4096)");

/* Keeps the packets until unload, so goalloc's statistics show them live. */
static bool hold;
module_param(hold, bool, 0444);
MODULE_PARM_DESC(hold, "keep the packets allocated until the module is unloaded");

static struct pkt **held_table;
static unsigned int held_count;

/* Shows goalloc's report of objects never freed when goalloc is unloaded. */
static unsigned int leak;
module_param(leak, uint, 0444);
MODULE_PARM_DESC(leak, "packets deliberately never freed (default 0)");

/* Payload sizes of a typical mix: ACKs, small requests, MTU-sized frames. */
static const u32 pkt_sizes[] = { 40, 64, 128, 576, 1024, 1460, 1500, 9000 };

/*
 * One packet: a header and its payload. Not __init, so that goalloc's heap
 * profile and its unload report can still name it after init.
 */
static noinline struct pkt *pkt_alloc(unsigned int seq)
{
	struct pkt *p = goalloc_alloc(sizeof(*p), GFP_KERNEL);

	if (!p)
		return NULL;
	p->len = pkt_sizes[get_random_u32() % ARRAY_SIZE(pkt_sizes)];
	p->data = goalloc_alloc(p->len, GFP_KERNEL);
	if (!p->data) {
		goalloc_free(p);
		return NULL;
	}
	memset(p->data, (u8)seq, p->len);
	return p;
}

static int __init goalloc_example_init(void)
{
	struct pkt **table = NULL, **grown;
	unsigned int i, n = 0, bad = 0;
	size_t bytes = 0;
	u8 *rxbuf;
	int ret = -ENOMEM;

	rxbuf = goalloc_zalloc(256 << 10, GFP_KERNEL);
	if (!rxbuf)
		return -ENOMEM;

	for (i = 0; i < packets; i++) {
		struct pkt *p;

		/* Grow the table in steps of 256 entries, as a queue would. */
		if (i % 256 == 0) {
			grown = goalloc_realloc(table, (i + 256) * sizeof(*table),
						GFP_KERNEL);
			if (!grown)
				goto out_free;
			table = grown;
		}
		p = pkt_alloc(i);
		if (!p)
			goto out_free;
		table[n++] = p;
		bytes += p->len;
	}

	for (i = 0; i < n; i++) {
		if (memchr_inv(table[i]->data, (u8)i, table[i]->len))
			bad++;
	}
	pr_info("%u packets, %zu payload bytes, %u corrupted, rx buffer %zu bytes\n",
		n, bytes, bad, goalloc_usable_size(rxbuf));
	ret = bad ? -EIO : 0;

	if (!ret && hold) {
		held_table = table;
		held_count = n;
		goalloc_free(rxbuf);
		return 0;
	}

out_free:
	if (!ret && leak) {
		pr_info("leaving %u packets allocated on purpose\n", min(leak, n));
		i = min(leak, n);
	} else {
		i = 0;
	}
	for (; i < n; i++) {
		goalloc_free(table[i]->data);
		goalloc_free(table[i]);
	}
	goalloc_free(table);
	goalloc_free(rxbuf);
	if (ret)
		pr_err("workload failed: %d\n", ret);
	return ret;
}

static void __exit goalloc_example_exit(void)
{
	unsigned int i;

	for (i = 0; i < held_count; i++) {
		goalloc_free(held_table[i]->data);
		goalloc_free(held_table[i]);
	}
	goalloc_free(held_table);
	pr_info("unloaded\n");
}

module_init(goalloc_example_init);
module_exit(goalloc_example_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Example consumer of the goalloc API");
