#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Fold scripts/qprof/insnprof.c's per-block instruction counts into
functions and print the top ones of a run less its base (scripts/qprof.sh).

Usage: qprof-fold.py SYSTEM_MAP RUN_LOG BASE_PROF RUN_PROF TOP

Kernel functions are named from SYSTEM_MAP, those of goalloc and
goalloc_bench from the @@KSYM lines (the guest's /proc/kallsyms) of
RUN_LOG; addresses below the kernel's half count as (user).
"""

import bisect
import collections
import sys


def symbols(smap, log):
    syms = []
    with open(smap) as f:
        for line in f:
            a, t, n = line.split()[:3]
            if t in 'tTwW':
                syms.append((int(a, 16), n))
    with open(log, errors='replace') as f:
        for line in f:
            if line.startswith('@@KSYM '):
                w = line.split()
                if w[2] in 'tT':
                    syms.append((int(w[1], 16),
                                 w[3] + ' ' + w[4] if len(w) > 4 else w[3]))
    syms.sort()
    return syms


def fold(path, syms, addrs):
    c = collections.Counter()
    with open(path) as f:
        for line in f:
            a, n = line.split()
            a = int(a, 16)
            i = bisect.bisect_right(addrs, a) - 1
            c['(user)' if a < 1 << 63 else syms[i][1] if i >= 0 else '?'] += int(n)
    return c


def main():
    smap, log, base, run, top = sys.argv[1:6]
    syms = symbols(smap, log)
    addrs = [a for a, _ in syms]
    b, r = fold(base, syms, addrs), fold(run, syms, addrs)
    d = {k: r[k] - b.get(k, 0) for k in r}
    total = sum(v for v in d.values() if v > 0)
    mod = sum(v for k, v in d.items() if v > 0 and k.endswith('[goalloc]'))
    print(f'{total} instructions more than the base boot, {mod} in goalloc.ko')
    for k, v in sorted(d.items(), key=lambda kv: -kv[1])[:int(top)]:
        print(f'{v:12d} {100.0 * v / total:5.1f}%  {k}')


if __name__ == '__main__':
    main()
