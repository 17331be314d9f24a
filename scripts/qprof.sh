#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Where the instructions go: an icount boot of the test kernel with a QEMU
# plugin counting guest instructions per function.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"

usage() {
	cat <<'USAGE'
Usage: scripts/qprof.sh [--bench-args ARGS] [--goalloc-args ARGS]
                        [--top N] [--out DIR]

Boots the test kernel twice with 1 vCPU and -icount (as bench.sh's icount
boots) and scripts/qprof/insnprof.c loaded into QEMU, which counts every
guest instruction by the translation block it ran in:

  base  insmod goalloc.ko, goalloc_bench.ko with one pair of 8 bytes
  run   insmod goalloc.ko, goalloc_bench.ko ARGS
  (both then dump the modules' symbols and unload them)

and prints the top N functions (default 40) by instructions of "run"
minus "base", with the share of the total, the functions of goalloc and
goalloc_bench named from the guest's /proc/kallsyms and the kernel's from
System.map. Use a single test, size and allocator so that one path
dominates, e.g. (the default)
  scripts/qprof.sh --bench-args "tests=batch sizes=8192 only=goalloc"
Divide by the operations the bench made (n * runs) for a per-operation
figure. Output files go to --out (default build/qprof).
USAGE
}

bargs='tests=batch sizes=8192 only=goalloc' gargs=profile_rate=0 top=40 out=$BUILD_DIR/qprof
while (($#)); do
	case $1 in
	-h | --help) usage; exit 0 ;;
	--bench-args) bargs=$2; shift 2 ;;
	--goalloc-args) gargs=$2; shift 2 ;;
	--top) top=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	*) usage >&2; exit 2 ;;
	esac
done

mkdir -p "$out"
bzimage=$("$GOALLOC_ROOT/scripts/build-kernel.sh" test)
kdir=$(kernel_out_dir test)
make -C "$GOALLOC_ROOT" KDIR="$kdir" modules >"$out/build.log" 2>&1 ||
	{ tail -n 30 "$out/build.log" >&2; die "module build failed, see $out/build.log"; }
gcc -O2 -shared -fPIC -o "$out/insnprof.so" "$GOALLOC_ROOT/scripts/qprof/insnprof.c"

# The base boot runs the same commands with a bench of one pair, so that
# the module loads and the symbol dump cancel out.
for w in base run; do
	a=$bargs
	[[ $w == base ]] && a='tests=pair sizes=8 n=1 repeat=1'
	cat >"$out/$w.cmds" <<EOC
insmod goalloc.ko $gargs
insmod goalloc_bench.ko $a
grep -E '\\[goalloc' /proc/kallsyms | sed 's/^/@@KSYM /'
rmmod goalloc_bench
rmmod goalloc
EOC
done
for w in base run; do
	"$GOALLOC_ROOT/scripts/qemu-run.sh" --kernel "$bzimage" --cmds "$out/$w.cmds" \
		--log "$out/$w.log" --icount --append norandmaps \
		--plugin "$out/insnprof.so,out=$out/$w.prof" \
		--modules "$GOALLOC_ROOT/goalloc.ko" "$GOALLOC_ROOT/bench/goalloc_bench.ko" &
done
wait

python3 - "$kdir/System.map" "$out/run.log" "$out/base.prof" "$out/run.prof" "$top" <<'PY'
import bisect, collections, sys
smap, log, base, run, top = sys.argv[1:6]
syms = []
for line in open(smap):
    a, t, n = line.split()[:3]
    if t in 'tTwW':
        syms.append((int(a, 16), n))
for line in open(log, errors='replace'):
    if line.startswith('@@KSYM '):
        f = line.split()
        if f[2] in 'tT':
            syms.append((int(f[1], 16), f[3] + ' ' + f[4] if len(f) > 4 else f[3]))
syms.sort()
addrs = [a for a, _ in syms]
def fold(path):
    c = collections.Counter()
    for line in open(path):
        a, n = line.split()
        a = int(a, 16)
        i = bisect.bisect_right(addrs, a) - 1
        c['(user)' if a < 1 << 63 else syms[i][1] if i >= 0 else '?'] += int(n)
    return c
b, r = fold(base), fold(run)
d = {k: r[k] - b.get(k, 0) for k in r}
total = sum(v for v in d.values() if v > 0)
mod = sum(v for k, v in d.items() if v > 0 and k.endswith('[goalloc]'))
print(f'{total} instructions more than the base boot, {mod} in goalloc.ko')
for k, v in sorted(d.items(), key=lambda kv: -kv[1])[:int(top)]:
    print(f'{v:12d} {100.0 * v / total:5.1f}%  {k}')
PY
