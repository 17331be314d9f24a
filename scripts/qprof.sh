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
mod=$BUILD_DIR/mod-qprof
if ! build_module qprof "$kdir" "$out/build.log"; then
	# A warning does not stop a profile; a missing module does.
	[[ -f $mod/goalloc.ko && -f $mod/bench/goalloc_bench.ko ]] ||
		die "module build failed ($BUILD_WHY), see $out/build.log"
	msg "note: $BUILD_WHY"
fi
gcc -O2 -shared -fPIC -o "$out/insnprof.so" "$GOALLOC_ROOT/scripts/qprof/insnprof.c"

# The base boot runs the same commands with a bench of one pair, so that
# the module loads and the symbol dump cancel out.
for w in base run; do
	a=$bargs
	[[ $w == base ]] && a='tests=pair sizes=8 n=1 repeat=1'
	GOALLOC_ARGS=$gargs BENCH_ARGS=$a \
		guest_cmds "$GOALLOC_ROOT/scripts/guest/qprof.cmds" "$out/$w.cmds"
done
for w in base run; do
	"$GOALLOC_ROOT/scripts/qemu-run.sh" --kernel "$bzimage" --cmds "$out/$w.cmds" \
		--log "$out/$w.log" --icount --append norandmaps \
		--plugin "$out/insnprof.so,out=$out/$w.prof" \
		--modules "$mod/goalloc.ko" "$mod/bench/goalloc_bench.ko" &
done
wait

python3 "$GOALLOC_ROOT/scripts/qprof-fold.py" "$kdir/System.map" "$out/run.log" \
	"$out/base.prof" "$out/run.prof" "$top"
