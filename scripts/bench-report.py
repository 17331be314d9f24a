#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn goalloc_bench guest logs into results/bench.{csv,md} and chart data.

Called by scripts/bench.sh; see its --help. Reads:
  --icount LOG...   1-vCPU icount boots (instruction counts); the first is
                    reported, every other one must match it exactly
  --smp LOG...      multi-CPU boots; per test and size, the median of the
                    per-boot ratios (and their range) is reported
  --mem LOG         the memory-workload boot (@@SNAP lines, see bench.sh)
Writes OUT/bench.csv, OUT/bench.md, OUT/bench-chart.dat and prints the
problems it found (icount mismatch, Slab cross-check) on stderr. With
--readme and --performance it also writes the generated regions of those
files, each between its two marker lines (see DOC_REGIONS), and leaves a
file without its markers alone. Exit status 0, or 1 when the icount runs
differ or a log lacks its results (the docs are then left alone).
"""

import argparse
import csv
import os
import re
import statistics
import sys
import textwrap
import time

# The rival is kmalloc, or kmem_cache for the cache tests (test=cache_*).
LINE = re.compile(r'goalloc_bench: test=(\S+) size=(\S+) n=(\d+) cpus=(\d+) '
                  r'goalloc=([\d.]+) (kmalloc|kmem_cache)=([\d.]+) '
                  r'ratio=([\d.]+)')
MEMLINE = re.compile(r'goalloc_bench: mem workload=(\w) alloc=(\w+) objects=(\d+) '
                     r'requested=(\d+) usable=(\d+) large_bytes=(\d+)')
SNAP = re.compile(r'^@@SNAP (\w) (\w+) (\w+) (.*)$')
BOOTED = re.compile(r'@@GOALLOC-BOOTED nproc=(\d+) kernel=(\S+)')
START = re.compile(r'goalloc_bench: start cpus=\d+ n=\d+ repeat=(\d+)')
CLOCK = re.compile(r'^@@CLOCKSOURCE (\S+)')

ICOUNT_TESTS = ['batch_alloc', 'batch_free', 'pair']
# icount boots may differ by a rounding step: the kernel's TSC calibration
# varies by 1 ppm from boot to boot unless QEMU's RTC runs on virtual time
# (-rtc clock=vm), and some boot paths wait for the host's RTC. A larger
# difference makes the exit status 1.
ICOUNT_TOLERANCE = 0.001
SMP_TESTS = ['concurrent', 'remote', 'prodcons']
# A goalloc cache against a kmem_cache of the same size: single-CPU tests
# (cache_bulkB for each bulk size B the module ran, see bulk_tests()) and
# multi-CPU ones.
CACHE_ICOUNT_TESTS = ['cache_batch_alloc', 'cache_batch_free', 'cache_pair']
CACHE_SMP_TESTS = ['cache_concurrent', 'cache_remote', 'cache_prodcons']
BULK = re.compile(r'^cache_bulk(\d+)$')
PAGE = 4096
MIB = 1 << 20

# What goalloc is judged against: the worst ratio measured must be at most
# the limit. kind is icount or smp (test: the bench test, sizes: the
# (smallest, largest) object size in bytes counted, None for all), or
# mem_requested (goalloc's held bytes / requested bytes) or mem_kmalloc
# (goalloc's held bytes / kmalloc's) of workload test.
TARGETS = [
    # label, kind, test, sizes, limit
    # At goalloc's defaults, the heap profile sampling (the tables are).
    ('icount batch alloc, 8 B .. 4 KiB', 'icount', 'batch_alloc', (0, 4096), 0.5),
    ('icount batch free, 8 B .. 4 KiB', 'icount', 'batch_free', (0, 4096), 0.5),
    ('icount pair, 8 B .. 4 KiB', 'icount', 'pair', (0, 4096), 0.5),
    ('icount batch alloc, 8 B .. 256 KiB', 'icount', 'batch_alloc', (0, 262144), 0.8),
    ('icount batch free, 8 B .. 256 KiB', 'icount', 'batch_free', (0, 262144), 0.8),
    ('icount pair, 8 B .. 256 KiB', 'icount', 'pair', (0, 262144), 0.8),
    # What the profile adds at its default rate, as a fraction of goalloc's
    # instructions with profile_rate=0 (kind profile: every icount test).
    ('heap profile: added instructions, 8 B .. 4 KiB', 'profile', None, (0, 4096), 0.10),
    ('heap profile: added instructions, 8 KiB .. 256 KiB', 'profile', None, (4097, 262144), 0.25),
    ('icount pair, 8 B .. 8 KiB', 'icount', 'pair', (0, 8192), 0.35),
    ('icount pair, 16 and 32 KiB', 'icount', 'pair', (16384, 32768), 0.2),
    ('icount batch alloc, 8 B .. 8 KiB', 'icount', 'batch_alloc', (0, 8192), 0.6),
    ('icount batch free, 8 B .. 8 KiB', 'icount', 'batch_free', (0, 8192), 0.6),
    ('multi-CPU concurrent, all sizes (median of boots)', 'smp', 'concurrent', None, 0.8),
    ('multi-CPU remote, all sizes (median of boots)', 'smp', 'remote', None, 0.8),
    ('multi-CPU prodcons, all sizes (median of boots)', 'smp', 'prodcons', None, 0.8),
    ('memory (a): goalloc held / requested', 'mem_requested', 'a', None, 1.15),
    ('memory (a): goalloc held / kmalloc held', 'mem_kmalloc', 'a', None, 0.85),
    ('memory (b): goalloc held / kmalloc held', 'mem_kmalloc', 'b', None, 0.85),
    # Caches: ratio goalloc cache / kmem_cache of the same size and flags.
    ('cache icount pair / kmem_cache, all sizes', 'icount', 'cache_pair',
     None, 0.5),
    ('cache icount batch alloc / kmem_cache, all sizes', 'icount',
     'cache_batch_alloc', None, 0.5),
    ('cache icount batch free / kmem_cache, all sizes', 'icount',
     'cache_batch_free', None, 0.5),
    ('cache icount bulk 16 / kmem_cache, all sizes', 'icount', 'cache_bulk16',
     None, 0.5),
    ('cache icount bulk 256 / kmem_cache, all sizes', 'icount',
     'cache_bulk256', None, 0.5),
    ('cache multi-CPU concurrent / kmem_cache, all sizes (median of boots)',
     'smp', 'cache_concurrent', None, 0.8),
    ('cache multi-CPU remote / kmem_cache, all sizes (median of boots)',
     'smp', 'cache_remote', None, 0.8),
    ('cache multi-CPU prodcons / kmem_cache, all sizes (median of boots)',
     'smp', 'cache_prodcons', None, 0.8),
]

# The generated regions of the docs: each lies between two lines
# "<!-- bench:NAME:begin -->" and "<!-- bench:NAME:end -->".
DOC_REGIONS = {
    'readme': 'summary',        # README.md: the summary below
    'performance': 'tables',    # docs/performance.md: chart and every table
}
# Another kernel's run (bench.sh --kernel 6.12) writes its tables, without
# the chart, to a region of its own: --region tables-6.12.
# The README's summary: ratio goalloc / kmalloc of these tests (column
# heading, mode, test) at these sizes, then the server mix and memory.
SUMMARY_COLUMNS = [
    ('batch alloc', 'icount', 'batch_alloc'),
    ('batch free', 'icount', 'batch_free'),
    ('alloc+free pair', 'icount', 'pair'),
    ('%s CPUs concurrent', 'smp', 'concurrent'),
    ('%s CPUs remote free', 'smp', 'remote'),
    ('%s CPUs producer/consumer', 'smp', 'prodcons'),
]
SUMMARY_SIZES = ['8', '64', '512', '4096', '32768', '262144']
# Its second table: goalloc cache / kmem_cache, the same sizes.
SUMMARY_CACHE_COLUMNS = [
    ('batch alloc', 'icount', 'cache_batch_alloc'),
    ('batch free', 'icount', 'cache_batch_free'),
    ('alloc+free pair', 'icount', 'cache_pair'),
    ('bulk 16', 'icount', 'cache_bulk16'),
    ('bulk 256', 'icount', 'cache_bulk256'),
    ('%s CPUs concurrent', 'smp', 'cache_concurrent'),
    ('%s CPUs remote free', 'smp', 'cache_remote'),
    ('%s CPUs producer/consumer', 'smp', 'cache_prodcons'),
]
# The chart, in the performance region: bench.sh copies it beside the file.
CHART = ('![goalloc / kmalloc and goalloc cache / kmem_cache per size and '
         'test](bench.png)')


def read(path):
    with open(path, errors='replace') as f:
        return f.read().splitlines()


REPEAT = {}
CLOCKS = {}


def parse_bench(path):
    """{(test, size): dict} of one boot, plus its nproc and kernel."""
    res, nproc, kernel = {}, None, None
    for line in read(path):
        m = START.search(line)
        if m:
            REPEAT[path] = int(m.group(1))
        m = CLOCK.match(line)
        if m:
            CLOCKS[path] = m.group(1)
        m = BOOTED.search(line)
        if m:
            nproc, kernel = int(m.group(1)), m.group(2)
        m = LINE.search(line)
        if m:
            test, size = m.group(1), m.group(2)
            res[(test, size)] = dict(n=int(m.group(3)), cpus=int(m.group(4)),
                                     g=float(m.group(5)), rival=m.group(6),
                                     k=float(m.group(7)),
                                     r=float(m.group(8)))
    return res, nproc, kernel


def size_key(size):
    return int(size) if size.isdigit() else 1 << 40


def ratio_cell(g, k):
    """g / k in bold, or - when k is 0 (a run with only=)."""
    return '**%.2f**' % (g / k) if k else '-'


def bulk_tests(res):
    """The cache_bulkB tests of res, by B."""
    return sorted({t for t, _ in res if BULK.match(t)},
                  key=lambda t: int(BULK.match(t).group(1)))


def sizes_of(res, tests):
    """The object sizes at which res has one of tests, ascending."""
    return sorted({s for t, s in res if t in tests and s.isdigit()}, key=int)


def fmt_size(size):
    if not size.isdigit():
        return size
    s = int(size)
    return '%d KiB' % (s >> 10) if s >= 1024 and s % 1024 == 0 else str(s)


def parse_mem(path):
    """Snapshots {(workload, alloc, state): {field: int}} and module lines."""
    snaps, lines = {}, {}
    for line in read(path):
        m = SNAP.match(line.strip())
        if m:
            vals = {}
            for kv in m.group(4).split():
                k, _, v = kv.partition('=')
                vals[k] = int(v) if v.isdigit() else 0
            snaps[(m.group(1), m.group(2), m.group(3))] = vals
        m = MEMLINE.search(line)
        if m:
            lines[(m.group(1), m.group(2))] = dict(
                objects=int(m.group(3)), requested=int(m.group(4)),
                usable=int(m.group(5)), large=int(m.group(6)))
    return snaps, lines


def mem_figures(snaps, lines, problems):
    """Per workload: requested, usable, held, after-free figures."""
    out = {}
    for w in ('a', 'b'):
        try:
            g0 = snaps[(w, 'goalloc', 'before')]
            k0 = snaps[(w, 'kmalloc', 'before')]
            gl, kl = lines[(w, 'goalloc')], lines[(w, 'kmalloc')]
        except KeyError:
            problems.append('memory workload %s: results missing' % w)
            continue

        def g_held(state):
            s = snaps[(w, 'goalloc', state)]
            heap = s['heapsys'] - g0['heapsys']
            meta = (s['slabinfo_pages'] - g0['slabinfo_pages']) * PAGE
            return heap, meta

        def k_held(state, large):
            s = snaps[(w, 'kmalloc', state)]
            slab = (s['slabinfo_pages'] - k0['slabinfo_pages']) * PAGE
            return slab + large, (s['slab_kb'] - k0['slab_kb']) * 1024

        f = dict(requested=gl['requested'], objects=gl['objects'],
                 g_usable=gl['usable'], k_usable=kl['usable'],
                 k_large=kl['large'])
        if gl['requested'] != kl['requested']:
            problems.append('memory workload %s: the allocators got different '
                            'sizes (%d vs %d bytes)' %
                            (w, gl['requested'], kl['requested']))
        f['g_heap'], f['g_meta'] = g_held('live')
        f['g_held'] = f['g_heap'] + f['g_meta']
        f['k_held'], k_meminfo = k_held('live', kl['large'])
        # kmalloc_large pages are in meminfo's Slab on 6.1, not in slabinfo.
        if k_meminfo and abs(k_meminfo - f['k_held']) > 0.02 * f['k_held']:
            problems.append('memory workload %s: kmalloc held %d bytes by '
                            'slabinfo + large pages, but /proc/meminfo Slab '
                            'grew by %d' % (w, f['k_held'], k_meminfo))
        f['k_meminfo'] = k_meminfo
        for state in ('freed', 'settled', 'drained'):
            if (w, 'goalloc', state) in snaps:
                heap, meta = g_held(state)
                f['g_' + state] = heap + meta
                f['g_%s_heap' % state] = heap
            if (w, 'kmalloc', state) in snaps:
                f['k_' + state] = k_held(state, 0)[0]
        out[w] = f
    return out


def compare_runs(paths, problems):
    """(figures of the first run, [(path, figures)], (lines differing,
    worst relative difference) or None) of icount boots @paths; the
    differences go to @problems."""
    runs = [(path, parse_bench(path)[0]) for path in paths]
    if not runs:
        return {}, [], None
    first, diff_all = runs[0][1], None
    if not first:
        problems.append('%s: no results' % runs[0][0])
    for path, res in runs[1:]:
        diff = [(key, first.get(key), res.get(key))
                for key in sorted(set(first) | set(res))
                if first.get(key) != res.get(key)]
        if not diff:
            continue
        rel = max((abs(a[f] - b[f]) / max(a[f], b[f], 1e-9)
                   if a and b else 1.0)
                  for _, a, b in diff for f in ('g', 'k'))
        diff_all = (len(diff), max(rel, diff_all[1] if diff_all else 0))
        problems.append('icount runs differ: %s vs %s in %d of %d lines, '
                        'by at most %.4f %%' % (
                            os.path.basename(runs[0][0]),
                            os.path.basename(path), len(diff), len(first),
                            100 * rel))
        for key, a, b in diff[:10]:
            problems.append('  %s size=%s: goalloc/%s %s vs %s' % (
                key[0], key[1], (a or b)['rival'],
                a and '%.2f/%.2f' % (a['g'], a['k']),
                b and '%.2f/%.2f' % (b['g'], b['k'])))
    return first, runs, diff_all


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--icount', nargs='*', default=[])
    ap.add_argument('--icount-tolerance', type=float,
                    default=ICOUNT_TOLERANCE,
                    help='largest relative difference of two icount boots '
                    'with profile_rate=0 (or of --icount\'s, without them)')
    ap.add_argument('--icount-rate0', nargs='*', default=[],
                    help='icount boots with profile_rate=0')
    ap.add_argument('--profile-rate', default='2097152')
    ap.add_argument('--smp', nargs='*', default=[])
    ap.add_argument('--smp-discarded', type=int, default=0)
    ap.add_argument('--smp-busy', type=int, default=0)
    ap.add_argument('--mem')
    ap.add_argument('--out', required=True)
    ap.add_argument('--command', default='make bench')
    ap.add_argument('--kernel-desc',
                    default='scripts/test.config: tinyconfig + SLUB, PREEMPT')
    ap.add_argument('--readme', metavar='FILE',
                    help='write the summary region of FILE (README.md)')
    ap.add_argument('--performance', metavar='FILE',
                    help='write the tables region of FILE '
                    '(docs/performance.md)')
    ap.add_argument('--region', default=DOC_REGIONS['performance'],
                    help='the region of --performance to write; only the '
                    'default one shows the chart')
    args = ap.parse_args()
    problems, failed = [], False
    kernel = None

    # --- icount: first run reported, the others compared with it ----------
    # At goalloc's defaults the heap profile samples at random, so those
    # boots differ where it samples; the boots with profile_rate=0 must
    # print the same figures (within --icount-tolerance).
    icp, icp_runs, icp_diff = compare_runs(args.icount_rate0, problems)
    # Sampling makes those differ: a problem only without the others.
    ic, ic_runs, ic_diff = compare_runs(
        args.icount, problems if len(icp_runs) < 2 else [])
    kernel = next((k for k in (parse_bench(p)[2] for p in args.icount) if k),
                  None)
    if (ic_runs and not ic) or (icp_runs and not icp):
        failed = True
    if icp_diff and icp_diff[1] > args.icount_tolerance:
        failed = True
    if not icp_runs and ic_diff and ic_diff[1] > args.icount_tolerance:
        failed = True

    # --- smp: median over boots ---------------------------------------------
    smp, smp_cpus = {}, None
    boots = []
    for path in args.smp:
        res, nproc, kern = parse_bench(path)
        kernel = kernel or kern
        smp_cpus = smp_cpus or nproc
        if not res:
            problems.append('%s: no results' % path)
            failed = True
        boots.append(res)
    for key in sorted({k for b in boots for k in b}):
        vals = [b[key] for b in boots if key in b]
        ratios = [v['r'] for v in vals]
        smp[key] = dict(n=vals[0]['n'], cpus=vals[0]['cpus'],
                        rival=vals[0]['rival'],
                        g=statistics.median(v['g'] for v in vals),
                        k=statistics.median(v['k'] for v in vals),
                        r=statistics.median(ratios), lo=min(ratios),
                        hi=max(ratios), boots=len(vals))

    # --- memory ---------------------------------------------------------------
    mem = {}
    if args.mem:
        snaps, lines = parse_mem(args.mem)
        mem = mem_figures(snaps, lines, problems)
        kernel = kernel or parse_bench(args.mem)[2]

    os.makedirs(args.out, exist_ok=True)
    write_csv(args.out + '/bench.csv', ic, len(ic_runs), smp, mem)
    write_chart_data(args.out + '/bench-chart.dat', ic, smp)
    head = header(args, kernel)
    body = tables(args, ic, ic_runs, ic_diff, smp, smp_cpus, len(boots),
                  mem, problems, icp, icp_runs, icp_diff)
    write_md(args.out + '/bench.md', head, body)
    for p in problems:
        print('bench-report: ' + p, file=sys.stderr)
    docs = [(args.readme, DOC_REGIONS['readme'],
             [head, ''] + summary(ic, smp, smp_cpus, mem)),
            (args.performance, args.region,
             ([CHART, ''] if args.region == DOC_REGIONS['performance']
              else []) + [head, ''] + strip_blank(body))]
    for path, name, lines in docs:
        if not path:
            continue
        if failed:
            print('bench-report: %s not updated: the run failed' % path,
                  file=sys.stderr)
            continue
        write_region(path, name, lines)
    return 1 if failed else 0


def write_csv(path, ic, nic, smp, mem):
    with open(path, 'w', newline='') as f:
        w = csv.writer(f)
        # Column kmalloc holds the rival's figure, named by column rival
        # (kmem_cache for the cache tests).
        w.writerow(['mode', 'test', 'size', 'n', 'cpus', 'unit', 'goalloc',
                    'kmalloc', 'ratio', 'ratio_min', 'ratio_max', 'samples',
                    'rival'])
        for (test, size), v in sorted(ic.items(),
                                      key=lambda kv: (kv[0][0], size_key(kv[0][1]))):
            w.writerow(['icount', test, size, v['n'], v['cpus'],
                        'instructions/op', v['g'], v['k'], v['r'], v['r'],
                        v['r'], nic, v['rival']])
        for (test, size), v in sorted(smp.items(),
                                      key=lambda kv: (kv[0][0], size_key(kv[0][1]))):
            w.writerow(['smp', test, size, v['n'], v['cpus'], 'ns/op',
                        v['g'], v['k'], v['r'], v['lo'], v['hi'], v['boots'],
                        v['rival']])
        for wl, f in sorted(mem.items()):
            rows = [('requested', f['requested'], f['requested']),
                    ('usable', f['g_usable'], f['k_usable']),
                    ('held', f['g_held'], f['k_held']),
                    ('held_per_requested', f['g_held'] / f['requested'],
                     f['k_held'] / f['requested'])]
            for state in ('freed', 'settled', 'drained'):
                if 'g_' + state in f or 'k_' + state in f:
                    rows.append(('held_' + state, f.get('g_' + state, ''),
                                 f.get('k_' + state, '')))
            for name, g, k in rows:
                ratio = round(g / k, 4) if g != '' and k not in ('', 0) else ''
                g, k = (round(x, 4) if isinstance(x, float) else x
                        for x in (g, k))
                w.writerow(['mem', name, wl, f['objects'], '',
                            'ratio' if name.endswith('requested') and
                            name != 'requested' else 'bytes',
                            g, k, ratio, '', '', 1, 'kmalloc'])


# The chart's columns after the size, in the order bench-chart.gp plots them.
CHART_COLUMNS = ([('icount', t) for t in ICOUNT_TESTS] +
                 [('smp', t) for t in SMP_TESTS] +
                 [('icount', 'cache_pair'), ('icount', 'cache_bulk16'),
                  ('smp', 'cache_concurrent')])


def write_chart_data(path, ic, smp):
    sizes = sorted({s for (_, s) in list(ic) + list(smp) if s.isdigit()}, key=int)
    cols = CHART_COLUMNS
    with open(path, 'w') as f:
        f.write('# size ' + ' '.join('%s:%s' % c for c in cols) + '\n')
        for s in sizes:
            vals = []
            for mode, t in cols:
                v = (ic if mode == 'icount' else smp).get((t, s))
                vals.append('%.3f' % v['r'] if v else 'NaN')
            f.write('%s %s\n' % (s, ' '.join(vals)))


def worst(rows, limit):
    """(worst ratio, its size, count within limit, count) of (size, ratio)."""
    if not rows:
        return None
    size, r = max(rows, key=lambda x: x[1])
    return r, size, sum(1 for _, x in rows if x <= limit), len(rows)


def target_rows(ic, smp, mem, ic0):
    """(label, limit, worst(...) or None) per target of TARGETS; a memory
    target without its workload, or a profile target without the
    profile_rate=0 boot, is left out."""
    out = []
    for label, kind, test, sizes, limit in TARGETS:
        if kind == 'profile':
            if not ic0:
                continue
            rows = [('%s %s' % (t.replace('_', ' '), fmt_size(s)),
                     ic[(t, s)]['g'] / v['g'] - 1)
                    for (t, s), v in ic0.items()
                    if t in ICOUNT_TESTS and s.isdigit() and (t, s) in ic and
                    sizes[0] <= int(s) <= sizes[1]]
            out.append((label, limit, worst(rows, limit)))
        elif kind in ('icount', 'smp'):
            res = ic if kind == 'icount' else smp
            rows = [(s, v['r']) for (t, s), v in res.items()
                    if t == test and (sizes is None or s.isdigit() and
                                      sizes[0] <= int(s) <= sizes[1])]
            if kind == 'icount':
                rows.sort(key=lambda x: size_key(x[0]))
            out.append((label, limit, worst(rows, limit)))
        elif test in mem:
            f = mem[test]
            held = f['requested'] if kind == 'mem_requested' else f['k_held']
            out.append((label, limit, (f['g_held'] / held, test, None, None)))
    return out


def clock_note(paths):
    odd = [CLOCKS.get(p, '?') for p in paths if CLOCKS.get(p) != 'tsc']
    if not odd:
        return ''
    return (' ktime_get_ns() read %s in %d of %d boots (the clocksource '
            'watchdog finds the TSC of a multi-threaded TCG guest unstable); '
            'the same clock serves both allocators.' % (
                '/'.join(sorted(set(odd))), len(odd), len(paths)))


def mib(x):
    return '%.1f' % (x / MIB)


def header(args, kernel):
    """The line that names the run: command, date, kernel."""
    return '`%s`, %s, guest kernel %s (%s), QEMU TCG.' % (
        args.command, time.strftime('%Y-%m-%d %H:%M %Z'), kernel or '?',
        args.kernel_desc)


def targets_table(rows):
    """The targets, met or missed, as Markdown lines."""
    L = ['### Targets', '',
         '| target | limit | measured (worst) | met |', '|---|---:|---|---|']
    for label, limit, w in rows:
        if w is None:
            L.append('| %s | %.2f | not measured | |' % (label, limit))
            continue
        r, where, good, total = w
        tail = '' if good is None else ', %d of %d sizes within' % (good, total)
        L.append('| %s | %.2f | %.3f (%s%s) | %s |' % (
            label, limit, r, fmt_size(where) if where.isdigit() else where,
            tail, 'yes' if r <= limit else '**no**'))
    L.append('')
    return L


def tables(args, ic, ic_runs, ic_diff, smp, smp_cpus, nboots, mem, problems,
           icp, icp_runs, icp_diff):
    """Every table and note of the report as Markdown lines, each section
    ending in an empty line."""
    L = []
    reps = sorted({REPEAT[p] for p, _ in ic_runs if p in REPEAT})
    ic_reps = '/'.join(map(str, reps)) or '?'
    reps = sorted({REPEAT[p] for p in args.smp if p in REPEAT})
    smp_reps = '/'.join(map(str, reps)) or '?'
    repro = []
    def same(runs, diff, figures):
        if not diff:
            return 'identical figures (%d lines)' % len(figures)
        return '%d of %d lines differ, by at most %.4f %%' % (
            diff[0], len(figures), 100 * diff[1])
    if len(icp_runs) > 1:
        repro = ['Reproducibility: %d icount boots with profile_rate=0, %s; '
                 '%d at goalloc\'s defaults, where the heap profile samples '
                 'at random: %s (the tables show the first).' % (
                     len(icp_runs), same(icp_runs, icp_diff, icp),
                     len(ic_runs), same(ic_runs, ic_diff, ic)), '']
    elif len(ic_runs) > 1:
        repro = ['Reproducibility: %d icount boots, %s.' % (
            len(ic_runs), same(ic_runs, ic_diff, ic)), '']
    if sizes_of(ic, ICOUNT_TESTS) or ('mix', '8-4096') in ic:
        L.append('### Instructions per operation (1 vCPU, `-icount shift=0`)')
        L.append('')
        L.append('Best of %s runs, lap by lap (256 operations per lap), N = '
                 '10000 objects or fewer so that one run holds at most 128 MiB. '
                 % ic_reps +
                 'Includes the loop around the calls (6 to 9 instructions per '
                 'operation) and the clock reads (0.2), the same for both. '
                 'ratio = goalloc / kmalloc.')
        L.append('')
        L.append('| size | N | batch alloc goalloc | kmalloc | ratio '
                 '| batch free goalloc | kmalloc | ratio '
                 '| pair goalloc | kmalloc | ratio |')
        L.append('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|')
        for s in sizes_of(ic, ICOUNT_TESTS):
            cells = [fmt_size(s), str(ic.get(('batch_alloc', s), {}).get('n', ''))]
            for t in ICOUNT_TESTS:
                v = ic.get((t, s))
                cells += ['%.1f' % v['g'], '%.1f' % v['k'], '**%.2f**' % v['r']] \
                    if v else ['', '', '']
            L.append('| ' + ' | '.join(cells) + ' |')
        v = ic.get(('mix', '8-4096'))
        if v:
            L.append('')
            L.append('Server mix (larson-like, 1 CPU, %d steps of free + alloc '
                     'of 8..4096 B): goalloc %.1f, kmalloc %.1f instructions per '
                     'step, ratio **%.2f**.' % (v['n'], v['g'], v['k'], v['r']))
        L.append('')
        L += repro
        repro = []
    if sizes_of(ic, ICOUNT_TESTS) and icp:
        L.append('### The heap profile\'s cost (profile_rate=%s, goalloc\'s '
                 'default, against profile_rate=0)' % args.profile_rate)
        L.append('')
        L.append('The tables above are goalloc at its defaults: the heap '
                 'profile samples one allocation per %s bytes allocated on '
                 'average and records its stack; kmalloc samples nothing. '
                 'One more icount boot runs goalloc with profile_rate=0: its '
                 'instructions per operation there, what the profile adds '
                 'at the default rate (the tables above less these), and '
                 'that as a share of the former. Sampling is random (an '
                 'exponential draw per sample), so the added figures vary '
                 'from boot to boot, most for the sizes sampled most rarely.'
                 % args.profile_rate)
        L.append('')
        L.append('| size | batch alloc off | +profile | share | batch free off '
                 '| +profile | share | pair off | +profile | share |')
        L.append('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|')
        for s in sizes_of(icp, ICOUNT_TESTS):
            cells = [fmt_size(s)]
            for t in ICOUNT_TESTS:
                off, on = icp.get((t, s)), ic.get((t, s))
                cells += ['%.1f' % off['g'], '%+.1f' % (on['g'] - off['g']),
                          '%+.1f %%' % (100 * (on['g'] / off['g'] - 1))] \
                    if on and off else ['', '', '']
            L.append('| ' + ' | '.join(cells) + ' |')
        off, on = icp.get(('mix', '8-4096')), ic.get(('mix', '8-4096'))
        if on and off:
            L.append('')
            L.append('Server mix with profile_rate=0: goalloc %.1f instructions '
                     'per step; the profile adds %+.1f (%+.1f %%).' % (
                         off['g'], on['g'] - off['g'],
                         100 * (on['g'] / off['g'] - 1)))
        L.append('')
    if smp:
        L.append('### Multi-CPU (%s vCPUs, TCG thread=multi)' % (smp_cpus or '?'))
        L.append('')
        L.append('Ratio goalloc / kmalloc of wall time per object, median of '
                 '%d boots, [lowest, highest] boot; in each boot each '
                 'allocator\'s figure is its best of %s runs.%s '
                 'concurrent: N allocs then N frees on every CPU at once; '
                 'remote: each CPU allocates N, then frees the N its '
                 'neighbour allocated; prodcons: one CPU allocates, the other '
                 'frees, through a 512-slot ring. TCG has no cache model: '
                 'these figures count instructions, locks and atomics run in '
                 'parallel, not cache-line transfers.' % (
                     nboots, smp_reps,
                     ''.join([
                         ' %d boot(s) discarded because the host was busy '
                         'with other work.' % args.smp_discarded
                         if args.smp_discarded else '',
                         ' **%d of the boots kept ran while the host was busy '
                         'with other work.**' % args.smp_busy
                         if args.smp_busy else '',
                         clock_note(args.smp)])))
        L.append('')
        L.append('| size | ' + ' | '.join(SMP_TESTS) + ' |')
        L.append('|---:|' + '---:|' * len(SMP_TESTS))
        for s in sizes_of(smp, SMP_TESTS):
            cells = [fmt_size(s)]
            for t in SMP_TESTS:
                v = smp.get((t, s))
                cells.append('**%.2f** [%.2f, %.2f]' % (v['r'], v['lo'], v['hi'])
                             if v else '')
            L.append('| ' + ' | '.join(cells) + ' |')
        v = smp.get(('mix', '8-4096'))
        if v:
            L.append('')
            L.append('Server mix on %d CPUs (25 %% of the steps replace a '
                     'neighbour\'s object, so it is freed on another CPU): '
                     'ratio **%.2f** [%.2f, %.2f].' % (v['cpus'], v['r'],
                                                       v['lo'], v['hi']))
        L.append('')
    L += cache_tables(ic, smp, smp_cpus, nboots, ic_reps, smp_reps, repro)
    if mem:
        L.append('### Memory: 100000 live objects')
        L.append('')
        L.append('(a) sizes uniform in 1..4096 B, (b) log-uniform in '
                 '8..32768 B, same seed for both. goalloc held = growth of '
                 'HeapSys (debugfs heap) + growth of slab pages for its span '
                 'metadata; kmalloc held = growth of slab pages '
                 '(/proc/slabinfo) + pages of kmalloc_large objects (> 8 KiB; '
                 'checked against /proc/meminfo Slab). After free: right after '
                 'the module freed everything, then 2 s later (goalloc\'s '
                 'scavenger), then after `echo 2 > drain` (goalloc only).')
        L.append('')
        L.append('| workload | requested MiB | goalloc held MiB | held / req '
                 '| kmalloc held MiB | held / req | goalloc / kmalloc '
                 '| after free MiB g / k | after 2 s g / k | after drain g |')
        L.append('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|')
        for wl, f in sorted(mem.items()):
            req = f['requested']
            L.append('| (%s) %s | %s | %s | %.3f | %s | %.3f | **%.2f** | '
                     '%s / %s | %s / %s | %s |' % (
                         wl, 'uniform 1..4096' if wl == 'a'
                         else 'log-uniform 8..32768', mib(req),
                         mib(f['g_held']), f['g_held'] / req,
                         mib(f['k_held']), f['k_held'] / req,
                         f['g_held'] / f['k_held'],
                         mib(f.get('g_freed', 0)), mib(f.get('k_freed', 0)),
                         mib(f.get('g_settled', 0)), mib(f.get('k_settled', 0)),
                         mib(f.get('g_drained', 0))))
        L.append('')
        L.append('goalloc\'s metadata (span structs, from slab caches: growth of /proc/slabinfo pages): ' + ', '.join(
            '(%s) %s MiB' % (wl, mib(f['g_meta'])) for wl, f in sorted(mem.items()))
            + '. Bytes usable (rounded up to the size class / kmalloc size): '
            + ', '.join('(%s) goalloc %s, kmalloc %s MiB' % (
                wl, mib(f['g_usable']), mib(f['k_usable']))
                for wl, f in sorted(mem.items())) + '.')
        L.append('')
    rows = target_rows(ic, smp, mem, icp)
    if rows:
        L += targets_table(rows)
    if problems:
        L.append('### Problems')
        L.append('')
        for p in problems:
            L.append('    ' + p)
        L.append('')
    return L


def cache_tables(ic, smp, smp_cpus, nboots, ic_reps, smp_reps, repro):
    """The cache tests as Markdown lines: a goalloc cache against a
    kmem_cache of the same size; repro, the icount boots' reproducibility
    note, ends the icount part when the main table did not show it."""
    ic_tests = [t for t in CACHE_ICOUNT_TESTS + bulk_tests(ic)
                if sizes_of(ic, [t])]
    ic_sizes = sizes_of(ic, ic_tests)
    smp_sizes = sizes_of(smp, CACHE_SMP_TESTS)
    if not ic_sizes and not smp_sizes:
        return []
    L = ['### Caches: a goalloc cache against a kmem_cache', '',
         'Each size has a goalloc cache (`goalloc_cache_create()`) and a '
         'kmem_cache (`kmem_cache_create()`) of that size, both without '
         'alignment, flags or constructor, made once per boot and size and '
         'destroyed after its tests. SLUB may merge such a kmem_cache with '
         'another cache of the same size and flags (slab merging, on by '
         'default), as it does any cache made so. ratio = goalloc cache / '
         'kmem_cache.', '']
    if ic_sizes:
        bulks = [int(BULK.match(t).group(1)) for t in bulk_tests(ic)]
        L.append('Instructions per object (1 vCPU, `-icount shift=0`), best '
                 'of %s runs, lap by lap, as above, goalloc cache / '
                 'kmem_cache in each cell. batch: N `goalloc_cache_alloc()` '
                 'against `kmem_cache_alloc()`, then the N frees; pair: N '
                 'times an allocation and its free%s.' % (
                     ic_reps, '' if not bulks else
                     '; bulk B: N / B times `goalloc_cache_alloc_bulk()` of B '
                     'objects and `goalloc_cache_free_bulk()` of them, against '
                     '`kmem_cache_alloc_bulk()` and `kmem_cache_free_bulk()`, '
                     'per object (alloc + free)'))
        L.append('')
        names = dict(cache_batch_alloc='batch alloc',
                     cache_batch_free='batch free', cache_pair='pair')
        heads = [names.get(t) or 'bulk %s' % BULK.match(t).group(1)
                 for t in ic_tests]
        heads[0] += ' goalloc / kmem_cache'
        batch_n = 'cache_batch_alloc' in ic_tests
        L.append('| size | ' + ('N | ' if batch_n else '') +
                 ' | '.join('%s | ratio' % h for h in heads) + ' |')
        L.append('|---:|' + ('---:|' if batch_n else '') +
                 '---:|---:|' * len(heads))
        for s in ic_sizes:
            cells = [fmt_size(s)]
            if batch_n:
                cells.append(str(ic.get(('cache_batch_alloc', s),
                                        {}).get('n', '')))
            for t in ic_tests:
                v = ic.get((t, s))
                cells += ['%.1f / %.1f' % (v['g'], v['k']),
                          '**%.2f**' % v['r']] if v else ['', '']
            L.append('| ' + ' | '.join(cells) + ' |')
        L.append('')
        L += repro
    if smp_sizes:
        L.append('Multi-CPU (%s vCPUs, TCG thread=multi): ratio goalloc cache '
                 '/ kmem_cache of wall time per object, median of %d boots, '
                 '[lowest, highest] boot; in each boot each cache\'s figure is '
                 'its best of %s runs. The tests are those of the multi-CPU '
                 'table above.' % (smp_cpus or '?', nboots, smp_reps))
        L.append('')
        L.append('| size | ' + ' | '.join(t[len('cache_'):]
                                          for t in CACHE_SMP_TESTS) + ' |')
        L.append('|---:|' + '---:|' * len(CACHE_SMP_TESTS))
        for s in smp_sizes:
            cells = [fmt_size(s)]
            for t in CACHE_SMP_TESTS:
                v = smp.get((t, s))
                cells.append('**%.2f** [%.2f, %.2f]' % (v['r'], v['lo'], v['hi'])
                             if v else '')
            L.append('| ' + ' | '.join(cells) + ' |')
        L.append('')
    return L


def summary(ic, smp, smp_cpus, mem):
    """The README's summary as Markdown lines."""
    cpus = smp_cpus or '?'
    L = ['| size | ' + ' | '.join(h % cpus if '%' in h else h
                                   for h, _, _ in SUMMARY_COLUMNS) + ' |',
         '|---:|' + '---:|' * len(SUMMARY_COLUMNS)]
    for size in SUMMARY_SIZES:
        cells = [fmt_size(size)]
        for _, mode, test in SUMMARY_COLUMNS:
            v = (ic if mode == 'icount' else smp).get((test, size))
            cells.append('**%.2f**' % v['r'] if v else '')
        L.append('| ' + ' | '.join(cells) + ' |')
    notes = []
    mix = [(v['r'], where) for v, where in (
        (ic.get(('mix', '8-4096')), '1 CPU'),
        (smp.get(('mix', '8-4096')), str(cpus))) if v]
    if mix:
        notes.append('Server mix (free + alloc of 8..4096 B): %s.' % ', '.join(
            '**%.2f** on %s' % m for m in mix))
    held = [(mem[w]['g_held'] / mem[w]['k_held'], what) for w, what in (
        ('a', 'uniform in 1..4096 B'), ('b', 'log-uniform in 8..32768 B'))
        if w in mem]
    if held:
        notes.append('Memory held, goalloc / kmalloc: %s.' % ', '.join(
            '**%.2f** for sizes %s' % h for h in held))
    if notes:
        L.append('')
        for n in notes:
            L += textwrap.wrap(n, 76, break_on_hyphens=False)
    rows = []
    for size in SUMMARY_SIZES:
        vals = [(ic if mode == 'icount' else smp).get((test, size))
                for _, mode, test in SUMMARY_CACHE_COLUMNS]
        if any(vals):
            rows.append('| ' + ' | '.join(
                [fmt_size(size)] + ['**%.2f**' % v['r'] if v else ''
                                    for v in vals]) + ' |')
    if rows:
        L.append('')
        L += textwrap.wrap('Caches: a goalloc cache / a kmem_cache of the same '
                           'size and flags (`goalloc_cache_alloc()` and '
                           'friends against `kmem_cache_alloc()` and friends), '
                           'in the same boots:', 76, break_on_hyphens=False)
        L.append('')
        L.append('| size | ' + ' | '.join(h % cpus if '%' in h else h
                                       for h, _, _ in SUMMARY_CACHE_COLUMNS)
                 + ' |')
        L.append('|---:|' + '---:|' * len(SUMMARY_CACHE_COLUMNS))
        L += rows
    return L


def write_md(path, head, body):
    L = ['## goalloc against kmalloc (SLUB)', '', head, ''] + body
    L.append('![goalloc / kmalloc per size](bench.png)')
    with open(path, 'w') as f:
        f.write('\n'.join(L) + '\n')


def write_region(path, name, lines):
    """Replace what lies between the lines <!-- bench:NAME:begin --> and
    <!-- bench:NAME:end --> of the file at path with lines; a file without
    both markers is left alone, and said so on stderr."""
    begin = '<!-- bench:%s:begin -->' % name
    end = '<!-- bench:%s:end -->' % name
    try:
        with open(path) as f:
            text = f.read()
    except OSError as e:
        print('bench-report: %s not updated: %s' % (path, e.strerror),
              file=sys.stderr)
        return
    m = re.search(r'^%s[ \t]*$.*?^%s[ \t]*$' % (re.escape(begin),
                                              re.escape(end)),
                  text, re.M | re.S)
    if not m:
        print('bench-report: %s has no %s ... %s lines; left alone'
              % (path, begin, end), file=sys.stderr)
        return
    region = '\n'.join([begin] + lines + [end])
    tmp = path + '.tmp'
    with open(tmp, 'w') as f:
        f.write(text[:m.start()] + region + text[m.end():])
    os.replace(tmp, path)
    print('bench-report: wrote %s (bench:%s)' % (path, name), file=sys.stderr)


def strip_blank(lines):
    while lines and not lines[-1]:
        lines = lines[:-1]
    return lines


if __name__ == '__main__':
    sys.exit(main())
