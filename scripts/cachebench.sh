#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Data cache misses per operation, goalloc against kmalloc, under a cache
# model in QEMU ("scripts/bench.sh --cache").
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"

usage() {
	cat <<'USAGE'
Usage: scripts/cachebench.sh [--out DIR] [--sizes LIST] [--profile CASES]
                             [--top N] [--timeout S] [--docs | --no-docs]
       scripts/bench.sh --cache [same options]

Boots the test kernel (scripts/build-kernel.sh test, cached) with the QEMU
plugin scripts/qcache/cacheprof.c, a model of a per-vCPU L1d (32 KiB,
8-way) and L2 (1 MiB, 16-way) with 64-byte lines and LRU, and loads
goalloc.ko at its defaults and bench/goalloc_cachebench.ko (built by
build_module of scripts/lib.sh in build/mod-cache-bench), which marks the
regions the plugin counts:

  single  1 vCPU, 2 GiB: the validation (a stride loop whose misses follow
          from arithmetic), then batch alloc, batch free, the alloc+free
          pair and a working set of 100000 live objects replaced at random,
          cold and warm, goalloc then kmalloc, per size
  dual    2 vCPUs: the validation, then producer/consumer (CPU 0
          allocates, CPU 1 frees), cold and warm

one after the other, and prints the L1d and L2 misses per operation of
both allocators and their ratio, the validation's counts against their
predictions, and the top functions by misses of the --profile cases
(default "pair,64,cold,goalloc/pair,64,cold,kmalloc": TEST,SIZE,MODE,ALLOC
with TEST one of batch_alloc, batch_free, pair, ws, prodcons; all in one
boot). See bench/goalloc_cachebench.c for what each test and mode does.

Writes, under --out (default results/cache, ignored by git): cache.md,
cache.csv, logs/ (guest command files, serial logs, the plugin's counts).
A run as it is (no --sizes, --profile or --top) that succeeds also writes
docs/performance.md between <!-- bench:tables-cache:begin --> and
<!-- bench:tables-cache:end -->.

Options:
  --out DIR        output directory (default results/cache)
  --sizes LIST     object sizes, comma-separated (default 8,64,256,1024,4096)
  --profile CASES  the regions counted per instruction, /-separated
  --top N          functions in the profile table (default 20)
  --timeout S      seconds before a boot is killed (default 1200)
  --docs           write the docs' region even when the run is not as it is
  --no-docs        never write it
Exit status: 0, or 1 when a build or boot failed, the regions of a guest
and of the plugin do not match, or the validation failed.
USAGE
}

out=$GOALLOC_ROOT/results/cache sizes='' profile='' top='' timeout=1200 docs=auto
while (($#)); do
	case $1 in
	-h | --help) usage; exit 0 ;;
	--out) out=$2; shift 2 ;;
	--sizes) sizes=$2; shift 2 ;;
	--profile) profile=$2; shift 2 ;;
	--top) top=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--docs) docs=yes; shift ;;
	--no-docs) docs=no; shift ;;
	*) usage >&2; exit 2 ;;
	esac
done
if [[ $docs == auto ]]; then
	docs=no
	[[ -z $sizes && -z $profile && -z $top ]] && docs=yes
fi
profile=${profile:-pair,64,cold,goalloc/pair,64,cold,kmalloc}
top=${top:-20}

mkdir -p "$out"
out=$(cd "$out" && pwd)
logs=$out/logs
rm -rf "$logs"
mkdir -p "$logs"
start=$SECONDS

bzimage=$("$GOALLOC_ROOT/scripts/build-kernel.sh" test)
kdir=$(kernel_out_dir test)
mod=$BUILD_DIR/mod-cache-bench
msg "building goalloc.ko and bench/goalloc_cachebench.ko against $kdir"
if ! build_module cache-bench "$kdir" "$logs/build.log"; then
	# A warning does not stop a measurement; a missing module does.
	[[ -f $mod/goalloc.ko && -f $mod/bench/goalloc_cachebench.ko ]] ||
		die "module build failed ($BUILD_WHY), see $logs/build.log"
	msg "note: $BUILD_WHY"
fi
gcc -O2 -Wall -shared -fPIC -o "$logs/cacheprof.so" \
	"$GOALLOC_ROOT/scripts/qcache/cacheprof.c" -lpthread

args=${sizes:+sizes=$sizes }
BENCH_ARGS="tests=validate,batch,pair,ws ${args}profile=$profile" \
	guest_cmds "$GOALLOC_ROOT/scripts/guest/cachebench.cmds" "$logs/single.cmds"
BENCH_ARGS="tests=validate,prodcons ${args}profile=$profile" \
	guest_cmds "$GOALLOC_ROOT/scripts/guest/cachebench.cmds" "$logs/dual.cmds"

failed=0
# boot NAME SMP MEM: one guest at a time; the plugin's counts go to NAME.prof.
boot() {
	local name=$1 rc=0
	"$GOALLOC_ROOT/scripts/qemu-run.sh" --kernel "$bzimage" \
		--cmds "$logs/$name.cmds" --log "$logs/$name.log" --smp "$2" \
		--mem "$3" --timeout "$timeout" --append norandmaps \
		--plugin "$logs/cacheprof.so,out=$logs/$name.prof" \
		--modules "$mod/goalloc.ko" "$mod/bench/goalloc_cachebench.ko" \
		2>"$logs/$name.status" || rc=$?
	if ((rc == 0)); then
		msg "$name: $(cat "$logs/$name.status")"
	else
		msg "$name FAILED: $(cat "$logs/$name.status")"
		failed=1
	fi
}
boot single 1 2G
boot dual 2 1G

# The profiled cases are in the single boot unless they are prodcons.
pboot=0
[[ $profile == prodcons,* ]] && pboot=1
cmd="scripts/bench.sh --cache"
[[ -n $sizes ]] && cmd+=" --sizes $sizes"
report=(python3 "$GOALLOC_ROOT/scripts/cachebench-report.py"
	--system-map "$kdir/System.map" --out "$out" --command "$cmd"
	--boot "$logs/single.log" "$logs/single.prof"
	--boot "$logs/dual.log" "$logs/dual.prof"
	--profile-boot "$pboot" --top "$top")
if [[ $docs == yes ]] && ((failed == 0)); then
	report+=(--performance "$GOALLOC_ROOT/docs/performance.md")
elif [[ $docs == yes ]]; then
	msg "docs/performance.md not updated: a build or boot failed"
fi
for f in single dual; do
	[[ -f $logs/$f.prof ]] || { msg "no plugin output $logs/$f.prof"; exit 1; }
done
"${report[@]}" || failed=1
msg "done in $((SECONDS - start)) s: $out/cache.md, $out/cache.csv"
exit "$failed"
