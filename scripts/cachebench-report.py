#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Tables of data cache misses per operation from scripts/cachebench.sh's
boots: the regions bench/goalloc_cachebench.ko printed in each guest log,
joined by number with the counts scripts/qcache/cacheprof.c wrote for
them; the validation's counts against its predictions; and the top
functions by misses of the profiled region.

Usage: cachebench-report.py --system-map FILE --boot LOG PROF [--boot ...]
                            [--profile-boot N] [--top N] [--command CMD]
                            [--out DIR] [--performance FILE]

Writes DIR/cache.md and DIR/cache.csv and prints cache.md; with
--performance, also the region between <!-- bench:tables-cache:begin -->
and <!-- bench:tables-cache:end --> of that file. Exit status 1 when a
boot's regions do not match the plugin's, or the validation fails.
"""

import argparse
import bisect
import collections
import importlib.util
import os
import re
import sys

REGION = 'tables-cache'
REGION_RE = re.compile(r'goalloc_cachebench: region=(\d+) (.*)$')


# Validation: the stride loop's call and return add two accesses; allow
# them and a thousandth of the prediction.
def tolerance(pred):
    return 2 + pred // 1000


def load_fold():
    here = os.path.dirname(os.path.abspath(__file__))
    spec = importlib.util.spec_from_file_location(
        'qprof_fold', os.path.join(here, 'qprof-fold.py'))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def guest_regions(log):
    regs = {}
    with open(log, errors='replace') as f:
        for line in f:
            m = REGION_RE.search(line.rstrip())
            if m:
                kv = dict(w.split('=', 1) for w in m.group(2).split())
                regs[int(m.group(1))] = kv
    return regs


def plugin_out(path):
    regs, insns = {}, {}
    with open(path) as f:
        for line in f:
            w = line.split()
            if w[0] == 'region':
                regs[int(w[1])] = {w[i]: int(w[i + 1])
                                   for i in range(2, len(w), 2)}
            elif w[0] == 'insn':
                insns[int(w[1], 16)] = (int(w[3]), int(w[5]))
    return regs, insns


def fmt(x):
    return '%.2f' % x


# Below this many misses per operation a difference is a timer tick or a
# refill over the whole run, not a property of the allocator.
NOISE = 0.05


def ratio(g, k):
    if k < NOISE:
        return '-'
    return '%.2f' % (g / k)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--system-map', required=True)
    ap.add_argument('--boot', nargs=2, action='append', required=True,
                    metavar=('LOG', 'PROF'))
    ap.add_argument('--profile-boot', type=int, default=0)
    ap.add_argument('--top', type=int, default=20)
    ap.add_argument('--command', default='scripts/bench.sh --cache')
    ap.add_argument('--out', default='.')
    ap.add_argument('--performance')
    args = ap.parse_args()

    ok = True
    rows = []           # (test, size, mode, alloc) -> counts per op
    per = {}
    valid = []
    for b, (log, prof) in enumerate(args.boot):
        g = guest_regions(log)
        p, _ = plugin_out(prof)
        if sorted(g) != sorted(p):
            print('cachebench-report: %s has regions %d..., the plugin %d'
                  % (log, len(g), len(p)), file=sys.stderr)
            ok = False
        for k in sorted(set(g) & set(p)):
            kv, c = g[k], p[k]
            ops = int(kv['ops'])
            if kv['test'] == 'validate':
                pred = [int(kv['predict_accesses']), int(kv['predict_l1']),
                        int(kv['predict_l2'])]
                got = [c['accesses'], c['l1_misses'], c['l2_misses']]
                good = all(abs(x - y) <= tolerance(y)
                           for x, y in zip(got, pred))
                ok &= good
                valid.append((b, kv['size'], kv['mode'], pred, got, good))
                continue
            if kv['test'].endswith('_warmup'):
                continue
            key = (kv['test'], int(kv['size']), kv['mode'])
            per.setdefault(key, {})[kv['alloc']] = (
                c['accesses'] / ops, c['l1_misses'] / ops,
                c['l2_misses'] / ops)

    order = ['batch_alloc', 'batch_free', 'pair', 'ws', 'prodcons']
    keys = sorted(per, key=lambda k: (order.index(k[0]) if k[0] in order
                                      else 99, k[1], k[2]))
    L = ['Command: `%s`. Model: per-vCPU L1d 32 KiB 8-way and L2 1 MiB '
         '16-way, 64-byte lines, LRU (scripts/qcache/cacheprof.c). '
         'goalloc at its defaults. Misses per operation; cold: the model '
         'flushed before every operation (prodcons: once, at its start); '
         'warm: after an unmeasured run of the same test.' % args.command,
         '']
    L += ['| test | size | mode | L1d goalloc | L1d kmalloc | ratio '
          '| L2 goalloc | L2 kmalloc | ratio | accesses goalloc '
          '| accesses kmalloc |',
          '|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|']
    csv = ['test,size,mode,alloc,accesses,l1_misses,l2_misses']
    worse = []
    for k in keys:
        d = per[k]
        if 'goalloc' not in d or 'kmalloc' not in d:
            continue
        ga, gl1, gl2 = d['goalloc']
        ka, kl1, kl2 = d['kmalloc']
        L.append('| %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s |'
                 % (k[0], k[1], k[2], fmt(gl1), fmt(kl1), ratio(gl1, kl1),
                    fmt(gl2), fmt(kl2), ratio(gl2, kl2), fmt(ga), fmt(ka)))
        for a in ('goalloc', 'kmalloc'):
            csv.append('%s,%d,%s,%s,%.3f,%.3f,%.3f' % (k + (a,) + d[a]))
        if gl1 > kl1 + NOISE or gl2 > kl2 + NOISE:
            worse.append(k)
    L += ['', 'Ratio "-": kmalloc below %.2f misses per operation. goalloc '
          'has more misses per operation than kmalloc (by more than %.2f) '
          'in %d of %d cases%s' % (NOISE, NOISE,
              len(worse), len(keys),
              ': ' + ', '.join('%s %d %s' % w for w in worse) if worse
              else '.'), '']

    L += ['Validation (stride loop, one load per 64-byte line, two '
          'passes from a flushed model; tolerance 2 + 0.1 % of the '
          'prediction):', '',
          '| boot | buffer | pass | predicted accesses / L1d / L2 '
          '| counted | |', '|---|---:|---|---|---|---|']
    for b, size, mode, pred, got, good in valid:
        L.append('| %d | %d KiB | %s | %s | %s | %s |'
                 % (b + 1, int(size) >> 10, mode, ' / '.join(map(str, pred)),
                    ' / '.join(map(str, got)), 'ok' if good else 'FAIL'))
    L.append('')

    log, prof = args.boot[args.profile_boot]
    g = guest_regions(log)
    _, insns = plugin_out(prof)
    if insns:
        fold = load_fold()
        syms = fold.symbols(args.system_map, log)
        addrs = [a for a, _ in syms]
        c1, c2 = collections.Counter(), collections.Counter()
        for a, (m1, m2) in insns.items():
            i = bisect.bisect_right(addrs, a) - 1
            name = ('(user)' if a < 1 << 63 else syms[i][1] if i >= 0
                    else '?')
            c1[name] += m1
            c2[name] += m2
        what = [kv for _, kv in sorted(g.items())
                if kv.get('profiled') == '1']
        ops = int(what[0]['ops']) if what else 1
        t1, t2 = sum(c1.values()), sum(c2.values())
        L += ['Top functions by L1d misses in %s, misses per operation '
              '(each case its own functions; the harness loop is '
              'run_goalloc or run_kmalloc):'
              % (', '.join('%s %s B %s %s' % (w['test'], w['size'],
                                              w['mode'], w['alloc'])
                           for w in what) or 'the profiled regions'), '',
              '| function | L1d | share | L2 |', '|---|---:|---:|---:|']
        for name, v in c1.most_common(args.top):
            L.append('| %s | %s | %.1f %% | %s |'
                     % (name.replace('\t', ' '), fmt(v / ops),
                        100.0 * v / max(t1, 1), fmt(c2[name] / ops)))
        L += ['| total | %s | | %s |' % (fmt(t1 / ops), fmt(t2 / ops)), '']

    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, 'cache.md'), 'w') as f:
        f.write('\n'.join(L) + '\n')
    with open(os.path.join(args.out, 'cache.csv'), 'w') as f:
        f.write('\n'.join(csv) + '\n')
    print('\n'.join(L))
    if args.performance and ok:
        report = load_report()
        report.write_region(args.performance, REGION, [''] + L)
    elif args.performance:
        print('cachebench-report: %s not updated: the run failed'
              % args.performance, file=sys.stderr)
    return 0 if ok else 1


def load_report():
    here = os.path.dirname(os.path.abspath(__file__))
    spec = importlib.util.spec_from_file_location(
        'bench_report', os.path.join(here, 'bench-report.py'))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


if __name__ == '__main__':
    sys.exit(main())
