#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Generate goalloc_sizeclasses.h: Go's malloc size classes.

Follows the rules of Go's runtime/mksizeclasses.go:
  - sizes step by an alignment that grows at powers of two: 8 below 32,
    16 below 128, size/8 below 2048, 256 from 2048 up to 32 KiB;
  - each class gets the fewest 8 KiB pages that keep the span's tail
    waste at or below 1/8 of the span;
  - a class with the same page count and object count as the previous one
    replaces it (merging equal geometry);
  - object sizes are then raised to the largest multiple of 128 that still
    fits the same number of objects in the span;
  - object index from span offset is a multiply by divmagic and a shift.
    Go's divmagic is 32 bits; here it is ceil(2^64 / size), the index
    is the high half of the 128-bit product (x86-64's one mulq), and the
    low half says whether the offset starts a slot; both checked exact
    for every offset of the span.

Go looks a size's class up in two tables, 8-byte steps up to 1 KiB and
128-byte steps above; here one table of 8-byte steps covers every size up
to 32 KiB (4 KiB of it), so an allocation of 1 KiB or more saves the
compare and branch that choose the table.

One departure, for the kernel: with the sizes fixed, a span that holds
fewer than MIN_OBJECTS objects grows, up to MAX_GROWN_PAGES pages (32 KiB,
the kernel's PAGE_ALLOC_COSTLY_ORDER), to the fewest pages that hold
MIN_OBJECTS, or failing that half as many, and so on, with no larger a
share of tail waste than Go's span. SLUB sizes its slabs the same way
(calculate_order(): a minimum object count, order 3 at most). Every span
made, and every refill that makes spans, pays a fixed cost (the heap
round trip, the page map, the span struct); Go's one-page spans of 4 and
8 KiB objects paid it for every object or two. Eleven classes grow, from
1152 to 16384 bytes. As SLUB falls back to its minimum order, a grown
class falls back to Go's span (class_info[].go_npages) when its own
cannot be had without reclaim (the heap has no room and no chunk comes
without it): spans_create() in goalloc_span.c.

Usage:
  gen-sizeclasses.py            print the header to stdout
  gen-sizeclasses.py --check F  exit 1 if F differs from what would be printed
"""
import sys

MAX_SMALL_SIZE = 32 << 10
SMALL_SIZE_DIV = 8
LARGE_SIZE_DIV = 128
PAGE_SHIFT = 13
PAGE_SIZE = 1 << PAGE_SHIFT
MIN_OBJECTS = 8
MAX_GROWN_PAGES = 4


def pow2(x):
    return x != 0 and x & (x - 1) == 0


def make_classes():
    classes = [(0, 0)]  # class 0: large objects
    align = 8
    size = align
    while size <= MAX_SMALL_SIZE:
        if pow2(size):
            if size >= 2048:
                align = 256
            elif size >= 128:
                align = size // 8
            elif size >= 32:
                align = 16
        allocsize = PAGE_SIZE
        while allocsize % size > allocsize // 8:
            allocsize += PAGE_SIZE
        npages = allocsize // PAGE_SIZE
        prev = classes[-1]
        if len(classes) > 1 and npages == prev[1] and \
                allocsize // size == allocsize // prev[0]:
            classes[-1] = (size, npages)
        else:
            classes.append((size, npages))
        size += align

    for i in range(1, len(classes)):
        size, npages = classes[i]
        psize = npages * PAGE_SIZE
        new_size = (psize // (psize // size)) & ~(LARGE_SIZE_DIV - 1)
        if new_size > size:
            classes[i] = (new_size, npages)

    if len(classes) != 68:
        sys.exit("number of size classes has changed: %d" % len(classes))
    return [(0, 0, 0)] + [(c[0], grow_span(*c), c[1]) for c in classes[1:]]


def grow_span(size, npages):
    """Pages for a span of @size objects that Go gives @npages."""
    def tail_share(n):
        return (n * PAGE_SIZE % size) / (n * PAGE_SIZE)

    want = MIN_OBJECTS
    while want > npages * PAGE_SIZE // size:
        for n in range(npages + 1, MAX_GROWN_PAGES + 1):
            if n * PAGE_SIZE // size >= want and \
                    tail_share(n) <= tail_share(npages):
                return n
        want //= 2
    return npages


def divmagic(size, npages):
    m = ((1 << 64) - 1) // size + 1
    for n in range(0, npages * PAGE_SIZE + 1):
        prod = n * m
        if prod >> 64 != n // size or \
                ((prod & ((1 << 64) - 1)) < m) != (n % size == 0):
            sys.exit("bad divmagic for size %d at %d" % (size, n))
    return m


def lookup(classes, base, step, count):
    out = []
    for i in range(count):
        size = base + i * step
        out.append(next(j for j, c in enumerate(classes) if c[0] >= size))
    return out


def c_init(name, values, per_line):
    """An initializer macro, for a table that caches' classes extend."""
    lines = ["#define %s {" % name]
    for i in range(0, len(values), per_line):
        chunk = values[i:i + per_line]
        lines.append("\t" + ", ".join(str(v) for v in chunk) + ",")
    lines.append("}")
    return " \\\n".join(lines)


def render():
    classes = make_classes()
    out = []
    out.append("/* SPDX-License-Identifier: GPL-2.0 */")
    out.append("/*")
    out.append(" * Generated by scripts/gen-sizeclasses.py from Go's size class rules")
    out.append(" * (runtime/mksizeclasses.go), with spans of fewer than %d objects grown"
               % MIN_OBJECTS)
    out.append(" * up to %d KiB (see the script). Do not edit; run \"make sizeclasses\"."
               % (MAX_GROWN_PAGES * PAGE_SIZE >> 10))
    out.append(" *")
    out.append(" * class  bytes/obj  bytes/span  objects  tail waste  max waste")
    prev = 0
    for i, (size, npages, _) in enumerate(classes):
        if i == 0:
            continue
        span = npages * PAGE_SIZE
        objs = span // size
        tail = span - size * objs
        waste = ((size - prev - 1) * objs + tail) / span
        out.append(" * %5d  %9d  %10d  %7d  %10d  %8.2f%%" %
                   (i, size, span, objs, tail, 100 * waste))
        prev = size
    out.append(" */")
    out.append("#ifndef _GOALLOC_SIZECLASSES_H")
    out.append("#define _GOALLOC_SIZECLASSES_H")
    out.append("")
    out.append("#include <linux/types.h>")
    out.append("")
    out.append("#define GOALLOC_MAX_SMALL_SIZE\t%d" % MAX_SMALL_SIZE)
    out.append("#define GOALLOC_SMALL_SIZE_DIV\t%d" % SMALL_SIZE_DIV)
    out.append("#define GOALLOC_NUM_CLASSES\t%d" % len(classes))
    out.append("#define GOALLOC_PAGE_SHIFT\t%d" % PAGE_SHIFT)
    out.append("#define GOALLOC_MAX_SPAN_PAGES\t%d" % max(c[1] for c in classes))
    out.append("#define GOALLOC_MAX_SPAN_OBJECTS\t%d" %
               max(c[1] * PAGE_SIZE // c[0] for c in classes[1:]))
    out.append("")
    out.append("/*")
    out.append(" * Initializers of the class tables (goalloc_span.c), whose entries past")
    out.append(" * the size classes describe caches' classes.")
    out.append(" */")
    out.append("/*")
    out.append(" * Size, span pages and Go's span pages (a grown class's fallback,")
    out.append(" * spans_create()), one entry a class (struct class_info).")
    out.append(" */")
    out.append(c_init("GOALLOC_CLASS_INFO",
                      ["{ %d, %d, %d }" % c for c in classes], 4))
    out.append("")
    out.append("/* The slot divisor, ceil(2^64 / size), that spans copy (span_init()). */")
    out.append(c_init("GOALLOC_CLASS_DIVMAGIC",
                      ["0"] + ["0x%016xULL" % divmagic(*c[:2])
                               for c in classes[1:]], 3))
    out.append("")
    out.append("/*")
    out.append(" * Class by size in 8-byte steps up to GOALLOC_MAX_SMALL_SIZE, one table")
    out.append(" * (goalloc_span.c): Go's second table, in 128-byte steps from 1 KiB,")
    out.append(" * costs a compare and a branch per allocation there.")
    out.append(" */")
    n8 = MAX_SMALL_SIZE // SMALL_SIZE_DIV + 1
    out.append(c_init("GOALLOC_SIZE_TO_CLASS8",
                      lookup(classes, 0, SMALL_SIZE_DIV, n8), 17))
    out.append("")
    out.append("#endif /* _GOALLOC_SIZECLASSES_H */")
    return "\n".join(out) + "\n"


def main():
    args = sys.argv[1:]
    if args and args[0] in ("-h", "--help"):
        print(__doc__.strip())
        return 0
    text = render()
    if args and args[0] == "--check":
        if len(args) != 2:
            sys.exit("usage: gen-sizeclasses.py --check FILE")
        with open(args[1]) as f:
            if f.read() != text:
                print("%s differs from scripts/gen-sizeclasses.py output; "
                      "run \"make sizeclasses\"" % args[1], file=sys.stderr)
                return 1
        print("%s matches the generator" % args[1])
        return 0
    if args:
        sys.exit("unknown argument %s (see --help)" % args[0])
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
