#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# goalloc against kmalloc in QEMU guests ("make bench").
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"

usage() {
	cat <<'USAGE'
Usage: scripts/bench.sh [--boots N] [--smp N] [--out DIR] [--only LIST]
                        [--bench-args ARGS] [--goalloc-args ARGS]
                        [--timeout S] [--quiet-wait S]
                        [--kernel test|tiny|6.12 | --distro FLAVOUR]
                        [--docs | --no-docs]
       scripts/bench.sh --cache [scripts/cachebench.sh's options]
       make bench

Measures goalloc against kmalloc (SLUB), and goalloc's caches against
kmem_cache, with bench/goalloc_bench.ko, both in the same boot of the test
kernel (scripts/build-kernel.sh test, cached; the modules are built by
build_module of scripts/lib.sh in build/mod-bench-VARIANT):

  icount  two boots with 1 vCPU and -icount shift=0 (scripts/qemu-run.sh
          --icount): instructions per operation of batch alloc, batch free
          and alloc+free pairs for 19 sizes, and the server mix; and per
          size, a goalloc cache against a kmem_cache of that size (no
          alignment, flags or constructor): batch alloc, batch free, pairs,
          and bulk allocations and frees of 16 and 256 objects. Two more
          boots run goalloc with profile_rate=0, for the heap profile's
          cost; they must print identical figures (a difference is reported
          and makes the exit status 1), while the two at goalloc's defaults
          differ where the profile samples at random. norandmaps is on the
          kernel command line:
          with randomised user mappings SLUB's state after boot, and so its
          figures, differ by up to 1.5 % from boot to boot.
  smp     N boots (--boots, default 7) with --smp vCPUs (default 2, TCG
          thread=multi): concurrent, remote free, producer/consumer and the
          server mix, and concurrent, remote free and producer/consumer on
          the caches, as wall-time ratios; the median over the boots. Each
          boot waits for an idle host (--quiet-wait), and a boot during
          which other processes kept the host busy is discarded and redone,
          at most 3 times per run.
  mem     one boot (2 GiB): 100000 live objects, sizes (a) uniform 1..4096,
          (b) log-uniform 8..32768, from goalloc then from kmalloc. The guest
          prints snapshots of /sys/kernel/debug/goalloc/heap, /proc/meminfo
          and /proc/slabinfo before, while live, right after free, 2 s later
          and (goalloc) after "echo 2 > drain"; goalloc starts each workload
          from "echo 2 > drain".

Writes, under --out (default results/, ignored by git):
  bench.csv        every figure, one row per test, size and mode
  bench.md         Markdown tables, the targets met or missed (TARGETS in
                   scripts/bench-report.py)
  bench.png        ratio goalloc / kmalloc per size and test (gnuplot)
  bench-chart.dat  the chart's data
  logs/            guest command files and serial logs
and prints bench.md at the end. The guest commands come from
scripts/guest/bench.cmds and scripts/guest/bench-mem.cmds. The two icount
boots and the memory boot run in parallel; the smp boots run one at a
time, alone. A full run takes a few minutes on 2 host cores.

A run of "make bench" as it is (no options but --out, --timeout and
--quiet-wait) that succeeds also writes the generated regions of the docs:
  README.md            between <!-- bench:summary:begin --> and
                       <!-- bench:summary:end -->: the run's command, date
                       and kernel, and the ratios of a few sizes, the server
                       mix and memory held (SUMMARY_* in bench-report.py)
  docs/performance.md  between <!-- bench:tables:begin --> and
                       <!-- bench:tables:end -->: the chart (bench.png, copied
                       to docs/), the same header and every table of bench.md
Nothing outside those lines changes; a file without them is left alone
(said on stderr).

--cache runs scripts/cachebench.sh instead (see its --help): data cache
misses per operation under a cache model, goalloc against kmalloc.

Options:
  --boots N          smp boots (default 7)
  --smp N            vCPUs of the smp boots (default 2)
  --out DIR          output directory (default results/)
  --only LIST        comma-separated subset of icount,smp,mem,ext2 (ext2:
                     scripts/ext2.sh --bench, the kernel's ext2 on goalloc
                     against the stock module, on the test kernel only; a
                     run as it is writes docs/performance.md's ext2 region)
  --bench-args ARGS  extra goalloc_bench.ko parameters for the icount and
                     smp boots, e.g. "sizes=8,4096 repeat=5"; a tests=
                     list replaces the boot's own (cache tests: cache_batch,
                     cache_pair, cache_bulk, cache_concurrent, cache_remote,
                     cache_prodcons)
  --goalloc-args ARGS  goalloc.ko parameters for every boot (default none:
                     goalloc at its defaults, the heap profile sampling as
                     users get it; one more icount boot runs goalloc with
                     profile_rate=0 and ARGS, for the profile's cost)
  --timeout S        seconds before a boot is killed (default 600)
  --quiet-wait S     before each smp boot, wait up to S seconds for the host
                     to be idle (default 60)
  --kernel VARIANT   the kernel scripts/build-kernel.sh builds: test
                     (default; -O2, static keys patched as jump labels),
                     tiny (tinyconfig's -Os, static keys as loads and
                     branches, where kmalloc+kfree costs about 300
                     instructions), or 6.12 (the test kernel built from
                     linux-source-6.12: SLUB of 6.12 as the rival; a run
                     as it is writes docs/performance.md's 6.12 region)
  --distro FLAVOUR   boot Debian's own kernel of FLAVOUR (amd64, rt-amd64
                     for PREEMPT_RT, 6.12-amd64 or 6.12-rt-amd64;
                     scripts/deps.sh installs them) instead
                     of the test kernel, with the modules built against its
                     headers. Debian's kernels have init_on_alloc=1: both
                     allocators zero every object. "--distro amd64 --only
                     icount" as it is writes docs/performance.md's region
                     of Debian's kernel; make bench runs it.
  --docs             write the docs' regions even when the run is not
                     "make bench" as it is (and did not fail)
  --no-docs          never write them
Exit status: 0, or 1 when a build or a boot failed, or the icount boots
differ by more than 0.1 %.
USAGE
}

boots=7 smp=2 out=$GOALLOC_ROOT/results only=icount,smp,mem,ext2 extra='' gargs='' timeout=600
quiet_wait=60 flavour='' kvariant=test docs=auto
while (($#)); do
	case $1 in
	-h | --help) usage; exit 0 ;;
	--cache) shift; exec "$GOALLOC_ROOT/scripts/cachebench.sh" "$@" ;;
	--boots) boots=$2; shift 2 ;;
	--smp) smp=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--only) only=$2; shift 2 ;;
	--bench-args) extra=$2; shift 2 ;;
	--goalloc-args) gargs=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--quiet-wait) quiet_wait=$2; shift 2 ;;
	--distro) flavour=$2; shift 2 ;;
	--kernel) kvariant=$2; shift 2 ;;
	--docs) docs=yes; shift ;;
	--no-docs) docs=no; shift ;;
	*) usage >&2; exit 2 ;;
	esac
done
[[ $boots =~ ^[1-9][0-9]*$ && $smp =~ ^[1-9][0-9]*$ ]] || die "--boots and --smp take a number"
[[ $kvariant == 6.12 ]] && kvariant=test-6.12
[[ $kvariant == test || $kvariant == tiny || $kvariant == test-6.12 ]] ||
	die "--kernel takes test, tiny or 6.12"
[[ -z $flavour || $kvariant == test ]] || die "--kernel and --distro exclude each other"
want() { [[ ,$only, == *,$1,* ]]; }
# The docs show "make bench" as it is, not a variant or a subset.
if [[ $docs == auto ]]; then
	docs=no
	[[ $boots == 7 && $smp == 2 && $only == icount,smp,mem,ext2 && -z $extra &&
		-z $gargs && -z $flavour && $kvariant == test* ]] && docs=yes
	# Debian's kernel at its defaults: its instruction tables.
	[[ $only == icount && -z $extra && -z $gargs && $flavour == amd64 ]] && docs=yes
fi

mkdir -p "$out"
out=$(cd "$out" && pwd)
logs=$out/logs
rm -rf "$logs"
mkdir -p "$logs"
start=$SECONDS

# --- build --------------------------------------------------------------------
if [[ -n $flavour ]]; then
	bzimage=$(distro_vmlinuz "$flavour")
	kdir=$(distro_headers_dir "$flavour") name=bench-$flavour
	kdesc="Debian's $flavour kernel" klabel="Debian Linux $flavour kernel"
else
	bzimage=$("$GOALLOC_ROOT/scripts/build-kernel.sh" "$kvariant")
	kdir=$(kernel_out_dir "$kvariant") name=bench-$kvariant
	kdesc="scripts/test.config: tinyconfig + SLUB, PREEMPT" klabel="Linux 6.1 test kernel"
	[[ $kvariant == tiny ]] &&
		kdesc+=", with scripts/tiny.config: tinyconfig's -Os, no jump labels" klabel="Linux 6.1 tiny test kernel (-Os)"
	[[ $kvariant == test-6.12 ]] &&
		kdesc="scripts/test.config on linux-source-6.12: tinyconfig + SLUB, PREEMPT" klabel="Linux 6.12 test kernel"
fi
mod=$BUILD_DIR/mod-$name
msg "building goalloc.ko and bench/goalloc_bench.ko against $kdir"
if ! build_module "$name" "$kdir" "$logs/build.log"; then
	# A warning does not stop a measurement; a missing module does.
	[[ -f $mod/goalloc.ko && -f $mod/bench/goalloc_bench.ko ]] ||
		die "module build failed ($BUILD_WHY), see $logs/build.log"
	msg "note: $BUILD_WHY"
fi
mods=("$mod/goalloc.ko" "$mod/bench/goalloc_bench.ko")

# --- guest command files ----------------------------------------------------------
guest=$GOALLOC_ROOT/scripts/guest
# The cache tests make a goalloc cache and a kmem_cache per size.
GOALLOC_ARGS=$gargs BENCH_ARGS="tests=batch,pair,mix,cache_batch,cache_pair,cache_bulk $extra" \
	guest_cmds "$guest/bench.cmds" "$logs/icount.cmds"
# The heap profile's cost: goalloc with it off, against the defaults above.
GOALLOC_ARGS="$gargs profile_rate=0" BENCH_ARGS="tests=batch,pair,mix $extra" \
	guest_cmds "$guest/bench.cmds" "$logs/icount-profile.cmds"
GOALLOC_ARGS=$gargs \
	BENCH_ARGS="tests=concurrent,remote,prodcons,mix,cache_concurrent,cache_remote,cache_prodcons repeat=5 $extra" \
	guest_cmds "$guest/bench.cmds" "$logs/smp.cmds"
GOALLOC_ARGS=$gargs guest_cmds "$guest/bench-mem.cmds" "$logs/mem.cmds"

# boot NAME CMDS QEMU-RUN-ARGS...: one guest; its log is $logs/NAME.log.
boot() {
	local name=$1 cmds=$2
	shift 2
	"$GOALLOC_ROOT/scripts/qemu-run.sh" --kernel "$bzimage" --cmds "$cmds" \
		--log "$logs/$name.log" --timeout "$timeout" --append norandmaps \
		--modules "${mods[@]}" "$@" 2>"$logs/$name.status"
}

failed=0
# check NAME RC: say how a boot went.
check() {
	if (($2 == 0)); then
		msg "$1: $(cat "$logs/$1.status")"
	else
		msg "$1 FAILED: $(cat "$logs/$1.status")"
		failed=1
	fi
}

# --- icount and memory boots, in parallel (neither measures time) ---------------
declare -A pids=()
if want icount; then
	for i in 1 2; do
		boot "icount-$i" "$logs/icount.cmds" --icount & pids[icount-$i]=$!
	done
	# Two more with the profile off: the boots whose figures must match.
	for i in 1 2; do
		boot "icount-rate0-$i" "$logs/icount-profile.cmds" --icount & pids[icount-rate0-$i]=$!
	done
fi
if want mem; then
	boot mem "$logs/mem.cmds" --smp 2 --mem 2G --modules "$guest/bench-snap" & pids[mem]=$!
fi
for name in "${!pids[@]}"; do
	rc=0
	wait "${pids[$name]}" || rc=$?
	check "$name" "$rc"
done

# --- multi-CPU boots, one at a time, on a quiet host ------------------------------
# Wall-time ratios need the host's cores: another QEMU or a compiler on the
# host preempts a vCPU thread while the other spins, and a run can take 30x
# longer. Before each boot, wait until the host is idle; after it, compare the
# host's busy time with the CPU time of the boot itself, and redo a boot that
# had company, at most 3 times in all; the report counts the boots that had
# company anyway.
hz=$(getconf CLK_TCK)
host_busy() { awk '/^cpu /{print $2 + $3 + $4 + $7 + $8 + $9; exit}' /proc/stat; }
# CPU seconds of this shell's finished children (line 2 of bash's "times";
# a builtin with a redirection runs in this shell, a $(...) would not).
child_cpu() {
	times >"$logs/.times"
	awk 'NR == 2 {
		for (i = 1; i <= 2; i++) { split($i, t, "m"); s += t[1] * 60 + t[2] }
		printf "%.2f\n", s }' "$logs/.times"
}
now() { echo "${EPOCHREALTIME/,/.}"; }
# Wait up to --quiet-wait seconds for 2 s in which the host is <= 0.2 busy.
wait_quiet() {
	local deadline=$((SECONDS + quiet_wait)) b0 b1
	while :; do
		b0=$(host_busy)
		sleep 2
		b1=$(host_busy)
		awk -v d=$((b1 - b0)) -v hz="$hz" 'BEGIN { exit !(d / hz / 2 <= 0.2) }' && return 0
		((SECONDS < deadline)) || { msg "host still busy after ${quiet_wait}s, booting anyway"; return 0; }
	done
}
smp_logs=()
contended=0 kept_busy=0
if want smp; then
	attempt=0
	while ((${#smp_logs[@]} < boots)); do
		attempt=$((attempt + 1))
		name=smp-$attempt
		wait_quiet
		child_cpu >"$logs/.c0"
		b0=$(host_busy) t0=$(now)
		rc=0
		boot "$name" "$logs/smp.cmds" --smp "$smp" || rc=$?
		b1=$(host_busy) t1=$(now)
		child_cpu >"$logs/.c1"
		c0=$(cat "$logs/.c0") c1=$(cat "$logs/.c1")
		check "$name" "$rc"
		# Cores busy with something else than this boot, on average.
		other=$(awk -v b=$((b1 - b0)) -v hz="$hz" -v c="$c0" -v c1="$c1" \
			-v t="$t0" -v t1="$t1" 'BEGIN { o = (b / hz - (c1 - c)) / (t1 - t);
			printf "%.2f\n", o < 0 ? 0 : o }')
		if awk -v o="$other" 'BEGIN { exit !(o > 0.25) }'; then
			if ((contended < 3)); then
				msg "$name: the host had $other other busy cores; discarded, booting again"
				mv "$logs/$name.log" "$logs/$name.contended.log"
				contended=$((contended + 1))
				continue
			fi
			kept_busy=$((kept_busy + 1))
		fi
		msg "$name: host otherwise busy: $other cores on average"
		smp_logs+=("$logs/$name.log")
	done
fi

# --- tables and chart ------------------------------------------------------------------
cmd="make bench${extra:+ (bench args: $extra)}"
[[ -n $flavour ]] && cmd="scripts/bench.sh --distro $flavour${extra:+ --bench-args \"$extra\"}"
[[ $kvariant == tiny ]] && cmd="scripts/bench.sh --kernel tiny${extra:+ --bench-args \"$extra\"}"
[[ $kvariant == test-6.12 ]] && cmd="scripts/bench.sh --kernel 6.12${extra:+ --bench-args \"$extra\"}"
report=(python3 "$GOALLOC_ROOT/scripts/bench-report.py" --out "$out"
	--command "$cmd" --kernel-desc "$kdesc")
want icount && report+=(--icount "$logs/icount-1.log" "$logs/icount-2.log"
	--icount-rate0 "$logs/icount-rate0-1.log" "$logs/icount-rate0-2.log")
# Debian's kernels take host-timed paths in boot: two boots differ by ~1 %.
[[ -n $flavour ]] && report+=(--icount-tolerance 0.02)
((${#smp_logs[@]})) && report+=(--smp "${smp_logs[@]}" --smp-discarded "$contended" --smp-busy "$kept_busy")
want mem && report+=(--mem "$logs/mem.log")
if [[ $docs == yes && $kvariant == test-6.12 ]] && ((failed == 0)); then
	report+=(--performance "$GOALLOC_ROOT/docs/performance.md" --region tables-6.12)
elif [[ $docs == yes && -n $flavour ]] && ((failed == 0)); then
	report+=(--performance "$GOALLOC_ROOT/docs/performance.md" --region tables-distro)
elif [[ $docs == yes ]] && ((failed == 0)); then
	report+=(--readme "$GOALLOC_ROOT/README.md" --performance "$GOALLOC_ROOT/docs/performance.md")
elif [[ $docs == yes ]]; then
	msg "README.md and docs/performance.md not updated: a build or boot failed"
else
	msg "README.md and docs/performance.md not updated: not \"make bench\" as it is (--docs writes them)"
fi
"${report[@]}" || failed=1
gnuplot -e "data='$out/bench-chart.dat'; out='$out/bench.png'; subtitle='$(date +%F), $smp vCPUs for multi-CPU, $klabel'" \
	"$GOALLOC_ROOT/scripts/bench-chart.gp" || failed=1
# The tables region shows the chart as docs/bench.png.
if [[ $docs == yes && $kvariant == test && -z $flavour ]] && ((failed == 0)) &&
	grep -qx '<!-- bench:tables:begin -->' "$GOALLOC_ROOT/docs/performance.md" 2>/dev/null; then
	cp "$out/bench.png" "$GOALLOC_ROOT/docs/bench.png"
fi

# --- ext2 ------------------------------------------------------------------------------
ext2_md=''
if want ext2 && [[ -z $flavour && $kvariant == test ]]; then
	ext2_args=(--bench --moddir "$mod")
	[[ $docs == yes ]] && ((failed == 0)) && ext2_args+=(--docs)
	if ext2_md=$("$GOALLOC_ROOT/scripts/ext2.sh" "${ext2_args[@]}" 2>"$logs/ext2.err"); then
		printf '\n## ext2 on goalloc\n\n%s\n' "$ext2_md" >>"$out/bench.md"
	else
		tail -n 5 "$logs/ext2.err" >&2
		failed=1
	fi
fi

msg "done in $((SECONDS - start)) s: $out/bench.csv, $out/bench.md, $out/bench.png"
echo
cat "$out/bench.md"
exit "$failed"
