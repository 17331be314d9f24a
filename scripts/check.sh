#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# goalloc's full test run ("make check").
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"

usage() {
	cat <<'USAGE'
Usage: scripts/check.sh [--skip-debug] [--skip-distro]
       make check [CHECK_SKIP_DEBUG=1] [CHECK_SKIP_DISTRO=1]

Runs every check of goalloc and prints one line per check:
  deps             scripts/deps.sh (Debian packages)
  kernel-test      scripts/build-kernel.sh test
  kernel-debug     scripts/build-kernel.sh debug
  sizeclasses      python3 scripts/gen-sizeclasses.py --check goalloc_sizeclasses.h
  build-test       goalloc + KUnit modules + examples against the test kernel,
                   W=1 C=2: no compiler, sparse or modpost warning in
                   goalloc's own files
  build-distro     the same against Debian's linux-headers-*-amd64
  build-distro-rt  the same against linux-headers-*-rt-amd64 (PREEMPT_RT)
  checkpatch       checkpatch.pl --no-tree --strict --terse -f on *.c *.h
                   of ., kunit/, examples/, bench/: no ERROR or WARNING
  kernel-doc       scripts/kernel-doc -none -v on the same files: no warning
  boot-test        test kernel, 4 vCPUs, 1 GiB: insmod goalloc.ko, each
                   kunit/*.ko, the example (insmod + rmmod), read
                   /sys/kernel/debug/goalloc/*, rmmod in reverse; the log must
                   be clean (scripts/qemu-run.sh --help) and goalloc must
                   report 0 pages still held at unload
  boot-debug       the same on the debug kernel (KASAN, lockdep, kmemleak,
                   UBSAN...), 2 vCPUs, 2 GiB, goalloc loaded with debug=1,
                   with a kmemleak scan at the end
  viewer           scripts/goalloc-stat --json, run in the test boot, parses
                   and lists every class, sorted
  boot-init        the test boot again with init_on_alloc=1 init_on_free=1,
                   goalloc loaded with track_waste=1
  boot-leak        the example leaks 3 packets on purpose (profile_rate=1,
                   goalloc's trace events on): goalloc must report them at
                   unload by class and by allocation site, goalloc-pprof
                   must list the site, the events must show the example's
                   allocations, and every page must come back
  pprof            google-pprof (google-perftools) reads that boot's
                   heap_profile through goalloc-pprof --pprof
  boot-faults      test kernel, 4 vCPUs: goalloc's stress suites (short)
                   with fail_page_alloc failing 25 % of the stress threads'
                   page requests (scripts/stress.sh --help), after the
                   pressure suite ran with fault injection armed (its
                   first cases fail their own requests of order 3 and
                   up: a grown class must fall back to Go's spans, and
                   __GFP_NOFAIL must retry without the flag): KUnit
                   must pass, faults must have been injected, the log must
                   be clean and no page held after unload
  boot-kmemleak    debug kernel: the example leaks 3 packets; kmemleak must
                   report the 6 goalloc objects, allocated by insmod
  boot-distro      Debian's own kernel, 2 vCPUs: insmod goalloc.ko (built
                   against the distro headers); the benchmark module's
                   multi-CPU tests while the example loads in a loop (its
                   packets must be intact) and debugfs drain and verify run
                   in another (verify must say ok each time); a CPU
                   offline and back, verify ok, rmmod; no page held
  boot-distro-rt   the same on Debian's PREEMPT_RT kernel; fast paths must
                   have found the CPU cache's lock held (fastpath_lock_held)
Each passing check counts 1 passed, each failing one 1 failed, and
each skipped one 1 skipped, except the two boots, which also add the KUnit
test cases they ran (see ktap_report in scripts/lib.sh for how cases are
counted). The last line is "N passed, N failed, N skipped". Exit status is
non-zero when anything failed. Logs: build/logs/check/.

  --skip-debug    (CHECK_SKIP_DEBUG=1) skip kernel-debug and boot-debug
  --skip-distro   (CHECK_SKIP_DISTRO=1) skip the build-distro* and
                  boot-distro* checks
Environment:
  GOALLOC_SRC     the module sources to check (default: this repository);
                  the harness itself always comes from this repository
  BOOT_TIMEOUT_TEST, BOOT_TIMEOUT_DEBUG, BOOT_TIMEOUT_DISTRO
                  seconds before a boot is killed (default 600, 1500, 300)
USAGE
}

skip_debug=${CHECK_SKIP_DEBUG:-0}
skip_distro=${CHECK_SKIP_DISTRO:-0}
while (($#)); do
	case $1 in
	-h | --help) usage; exit 0 ;;
	--skip-debug) skip_debug=1 ;;
	--skip-distro) skip_distro=1 ;;
	*) usage >&2; exit 2 ;;
	esac
	shift
done
[[ $skip_debug == 0 || $skip_debug == "" ]] && skip_debug=0 || skip_debug=1
[[ $skip_distro == 0 || $skip_distro == "" ]] && skip_distro=0 || skip_distro=1

SRC=$(cd "${GOALLOC_SRC:-$GOALLOC_ROOT}" && pwd)
LOGS=$LOG_DIR/check
rm -rf "$LOGS"
mkdir -p "$LOGS"
run_start=$SECONDS

n_pass=0 n_fail=0 n_skip=0
declare -A ok=()
declare -A kunit_line=()
step_start=0

begin() { step_start=$SECONDS; }
took() { echo "$((SECONDS - step_start))s"; }
pass() {
	echo "PASS $1 ($(took)${2:+, $2})"
	n_pass=$((n_pass + 1))
	ok[$1]=1
}
fail() {
	echo "FAIL $1 ($2${3:+, log $3})"
	n_fail=$((n_fail + 1))
	ok[$1]=0
}
skip() {
	echo "SKIP $1 ($2)"
	n_skip=$((n_skip + 1))
	ok[$1]=0
}
# needs STEP CHECK...: true when every CHECK passed, else fails STEP.
needs() {
	local step=$1 c
	shift
	for c; do
		if [[ ${ok[$c]:-0} != 1 ]]; then
			fail "$step" "needs $c, which did not pass"
			return 1
		fi
	done
}

# ---------------------------------------------------------------------------
# a. packages, b./c. kernels, d. size classes

begin
if "$GOALLOC_ROOT/scripts/deps.sh" >"$LOGS/deps.log" 2>&1; then
	pass deps
else
	fail deps "scripts/deps.sh failed" "$LOGS/deps.log"
fi

build_kernel() {
	local v=$1
	local log=$LOGS/kernel-$v.log
	begin
	if "$GOALLOC_ROOT/scripts/build-kernel.sh" "$v" >"$log" 2>&1; then
		if grep -q 'up to date' "$log"; then
			pass "kernel-$v" cached
		else
			pass "kernel-$v" built
		fi
	else
		fail "kernel-$v" "$(grep -m1 'error:' "$log" || echo 'build failed')" "$log"
	fi
}
build_kernel test
if ((skip_debug)); then
	skip kernel-debug "CHECK_SKIP_DEBUG"
else
	build_kernel debug
fi
# checkpatch.pl, kernel-doc and kunit.py come from the extracted source.
ensure_kernel_source >>"$LOGS/deps.log" 2>&1 || true

begin
if [[ ! -f $SRC/scripts/gen-sizeclasses.py ]]; then
	fail sizeclasses "scripts/gen-sizeclasses.py does not exist"
elif (cd "$SRC" && python3 scripts/gen-sizeclasses.py --check goalloc_sizeclasses.h) \
	>"$LOGS/sizeclasses.log" 2>&1; then
	pass sizeclasses
else
	fail sizeclasses "goalloc_sizeclasses.h differs from the generator's output" \
		"$LOGS/sizeclasses.log"
fi

# ---------------------------------------------------------------------------
# e./f. module builds, each in a fresh copy under build/ so that builds
# against different kernels never share objects and every warning is seen.

begin
if needs build-test kernel-test; then
	if build_module test "$(kernel_out_dir test)" "$LOGS/build-test.log" W=1 C=2; then
		pass build-test "$(find "$BUILD_DIR/mod-test" -name '*.ko' | wc -l) modules"
	else
		fail build-test "$BUILD_WHY" "$LOGS/build-test.log"
	fi
fi

# distro, distro-rt: the step-name suffix of a Debian kernel flavour.
distro_name() { [[ $1 == amd64 ]] && echo distro || echo "distro-${1%-amd64}"; }

for flavour in "${DISTRO_FLAVOURS[@]}"; do
	d=$(distro_name "$flavour")
	begin
	if ((skip_distro)); then
		skip "build-$d" "CHECK_SKIP_DISTRO"
	elif ! hdr=$(distro_headers_dir "$flavour" 2>"$LOGS/build-$d.log"); then
		fail "build-$d" "no Debian headers found" "$LOGS/build-$d.log"
	elif build_module "$d" "$hdr" "$LOGS/build-$d.log"; then
		pass "build-$d" "$(basename "$(dirname "$hdr")")"
	else
		fail "build-$d" "$BUILD_WHY" "$LOGS/build-$d.log"
	fi
done

# ---------------------------------------------------------------------------
# g./h. checkpatch and kernel-doc on every C file of ours.

shopt -s nullglob
cfiles=()
for f in "$SRC"/*.[ch] "$SRC"/kunit/*.[ch] "$SRC"/examples/*.[ch] "$SRC"/bench/*.[ch]; do
	[[ $f == *.mod.c ]] && continue # generated by an in-tree build
	cfiles+=("${f#"$SRC"/}")
done
shopt -u nullglob

begin
if ((${#cfiles[@]} == 0)); then
	fail checkpatch "no *.c or *.h files in $SRC"
else
	(cd "$SRC" && perl "$KSRC/scripts/checkpatch.pl" --no-tree --strict \
		--terse --show-types -f "${cfiles[@]}") >"$LOGS/checkpatch.log" 2>&1 || true
	nerr=$(grep -cE ': (ERROR|WARNING):' "$LOGS/checkpatch.log" || true)
	nchk=$(grep -cE ': CHECK:' "$LOGS/checkpatch.log" || true)
	if ((nerr > 0)); then
		fail checkpatch "$nerr errors/warnings, first: $(grep -m1 -E ': (ERROR|WARNING):' "$LOGS/checkpatch.log")" \
			"$LOGS/checkpatch.log"
	elif ! grep -q . "$LOGS/checkpatch.log" && ((${#cfiles[@]} > 0)) &&
		! perl "$KSRC/scripts/checkpatch.pl" --help >/dev/null 2>&1; then
		fail checkpatch "checkpatch.pl did not run" "$LOGS/checkpatch.log"
	else
		pass checkpatch "${#cfiles[@]} files, $nchk CHECK notes"
	fi
fi

begin
if ((${#cfiles[@]} == 0)); then
	fail kernel-doc "no *.c or *.h files in $SRC"
else
	(cd "$SRC" && perl "$KSRC/scripts/kernel-doc" -none -v "${cfiles[@]}") \
		>"$LOGS/kernel-doc.log" 2>&1 || true
	nwarn=$(grep -ciE 'warning|error' "$LOGS/kernel-doc.log" || true)
	if ((nwarn > 0)); then
		fail kernel-doc "$nwarn warnings, first: $(grep -m1 -iE 'warning|error' "$LOGS/kernel-doc.log")" \
			"$LOGS/kernel-doc.log"
	else
		pass kernel-doc "${#cfiles[@]} files"
	fi
fi

# ---------------------------------------------------------------------------
# i./j./k. boots

kunit_pass=0 kunit_fail=0 kunit_skip=0

# write_cmds DIR FILE [EXTRA_LINE...]: the guest command file for the
# modules built in DIR: load goalloc, each KUnit module, run the example,
# read debugfs, unload in reverse, then the extra lines.
write_cmds() {
	local dir=$1 out=$2 i
	shift 2
	local kunit=()
	for f in "$dir"/kunit/*.ko; do [[ -e $f ]] && kunit+=("${f##*/}"); done
	{
		echo "insmod goalloc.ko${GOALLOC_PARAMS:+ $GOALLOC_PARAMS}"
		for f in "${kunit[@]}"; do echo "insmod $f"; done
		if [[ -f $dir/examples/goalloc_example.ko ]]; then
			echo "insmod goalloc_example.ko"
			echo "rmmod goalloc_example"
		fi
		# shellcheck disable=SC2016
		echo '-for f in /sys/kernel/debug/goalloc/*; do echo "== $f"; cat "$f"; done'
		echo "goalloc-stat -n 10"
		echo "goalloc-stat --json"
		echo "goalloc-pprof -n 10"
		for ((i = ${#kunit[@]} - 1; i >= 0; i--)); do
			echo "rmmod ${kunit[i]%.ko}"
		done
		echo "rmmod goalloc"
		# Timers and work goalloc may have left behind fire by now.
		echo "sleep 2"
		for f in "$@"; do echo "$f"; done
	} >"$out"
}

# unload_check LOG: fails when goalloc said it kept pages after unload.
unload_check() {
	local line held
	line=$(grep -aoE 'goalloc: unloaded, [0-9]+ pages still held' "$1" | tail -n1) || true
	if [[ -z $line ]]; then
		UNLOAD_NOTE="no 'goalloc: unloaded' line"
		return 0
	fi
	held=${line#goalloc: unloaded, }
	held=${held%% *}
	UNLOAD_NOTE="$held pages held at unload"
	((held == 0))
}

# run_boot NAME BZIMAGE SMP MEM TIMEOUT MODULE...: boot with the command
# file $LOGS/boot-NAME.cmds ($BOOT_APPEND on the kernel command line, log
# lines matching $BOOT_ALLOW not counted as failures);
# sets rc to qemu-run.sh's status and why to its last word on the boot.
run_boot() {
	local name=$1 kernel=$2 smp=$3 mem=$4 tmo=$5
	shift 5
	rc=0
	"$GOALLOC_ROOT/scripts/qemu-run.sh" --kernel "$kernel" --smp "$smp" \
		--mem "$mem" --timeout "$tmo" --cmds "$LOGS/boot-$name.cmds" \
		--log "$LOGS/boot-$name.log" \
		${BOOT_APPEND:+--append "$BOOT_APPEND"} \
		${BOOT_ALLOW:+--allow "$BOOT_ALLOW"} \
		--modules "$@" 2>"$LOGS/boot-$name.qemu-run" || rc=$?
	why=$(sed 's/^qemu-run: //; s/ ([^()]*)$//' "$LOGS/boot-$name.qemu-run" | tail -n1)
}

# boot_modules NAME BZIMAGE MODDIR SMP MEM TIMEOUT [EXTRA_CMD...]
boot_modules() {
	local name=$1 kernel=$2 dir=$3 smp=$4 mem=$5 tmo=$6
	shift 6
	local log=$LOGS/boot-$name.log cmds=$LOGS/boot-$name.cmds why
	local mods=("$dir/goalloc.ko")
	[[ -d $dir/kunit ]] && mods+=("$dir/kunit")
	[[ -f $dir/examples/goalloc_example.ko ]] && mods+=("$dir/examples/goalloc_example.ko")
	write_cmds "$dir" "$cmds" "$@"
	local nkunit
	nkunit=$(find "$dir/kunit" -maxdepth 1 -name '*.ko' 2>/dev/null | wc -l)

	local rc
	run_boot "$name" "$kernel" "$smp" "$mem" "$tmo" "${mods[@]}"

	# KUnit cases count on their own, whatever became of the boot.
	local counts p f s suites
	counts=$(ktap_report "$log" "$LOGS/kunit-$name" 2>&1 | head -n1) || true
	if [[ $counts =~ ^KUNIT\ passed=([0-9]+)\ failed=([0-9]+)\ skipped=([0-9]+)\ suites=([0-9]+)$ ]]; then
		p=${BASH_REMATCH[1]} f=${BASH_REMATCH[2]} s=${BASH_REMATCH[3]} suites=${BASH_REMATCH[4]}
	else
		p=0 f=1 s=0 suites=0
		echo "  failed: KTAP extraction failed: $counts" >"$LOGS/kunit-$name.counts"
	fi
	if ((nkunit == 0)); then
		f=$((f + 1))
		echo "  failed: no KUnit module was built (kunit/*.ko)" >>"$LOGS/kunit-$name.counts"
	elif ((suites == 0 && f == 0)); then
		f=$((f + 1))
		echo "  failed: $nkunit KUnit modules loaded no suite" >>"$LOGS/kunit-$name.counts"
	fi
	kunit_pass=$((kunit_pass + p)) kunit_fail=$((kunit_fail + f)) kunit_skip=$((kunit_skip + s))
	kunit_line[$name]="KUnit on the $name kernel: $p passed, $f failed, $s skipped in $suites suites ($LOGS/kunit-$name.parse)"

	local cpus
	cpus=$(grep -aoE '@@GOALLOC-BOOTED nproc=[0-9]+' "$log" | grep -oE '[0-9]+$') || cpus=0
	if ((rc != 0)); then
		fail "boot-$name" "$why" "$log"
	elif ((cpus != smp)); then
		fail "boot-$name" "$cpus of $smp vCPUs came up" "$log"
	elif ! unload_check "$log"; then
		fail "boot-$name" "$UNLOAD_NOTE" "$log"
	else
		pass "boot-$name" "$why; $UNLOAD_NOTE"
	fi
	echo "${kunit_line[$name]}"
	grep '^  failed:' "$LOGS/kunit-$name.counts" || true
}

begin
if needs boot-test kernel-test build-test; then
	boot_modules test "$(kernel_out_dir test)/arch/x86/boot/bzImage" \
		"$BUILD_DIR/mod-test" 4 1G "${BOOT_TIMEOUT_TEST:-600}"
fi

# The kernel's memory initialisation options, which goalloc must honour as
# kmalloc does; the KUnit cases that check them are skipped elsewhere.
begin
if needs boot-init kernel-test build-test; then
	BOOT_APPEND="init_on_alloc=1 init_on_free=1" \
		GOALLOC_PARAMS=track_waste=1 boot_modules init \
		"$(kernel_out_dir test)/arch/x86/boot/bzImage" \
		"$BUILD_DIR/mod-test" 2 1G "${BOOT_TIMEOUT_TEST:-600}"
fi

# The viewer, scripts/goalloc-stat, ran under busybox in the test boot:
# its JSON must parse and hold every class.
begin
if needs viewer boot-test; then
	if python3 - "$LOGS/boot-test.log" >"$LOGS/viewer.log" 2>&1 <<'PY'
import json, sys
lines = [l for l in open(sys.argv[1], errors="replace") if l.startswith('{"heap"')]
doc = json.loads(lines[-1])
classes = doc["classes"]
assert len(classes) == 67, len(classes)
assert all(c["size"] > 0 for c in classes)
keys = [c["bytes_inuse"] for c in classes]
assert keys == sorted(keys, reverse=True), "not sorted by bytes in use"
assert doc["heap"]["HeapSys"] >= doc["heap"]["HeapInuse"]
print("goalloc-stat --json: %d classes, HeapSys %d" % (len(classes), doc["heap"]["HeapSys"]))
PY
	then
		pass viewer "$(tail -n1 "$LOGS/viewer.log")"
	else
		fail viewer "goalloc-stat --json output did not parse" "$LOGS/viewer.log"
	fi
fi

# Unload with objects still allocated: goalloc reports them per class and,
# with profile_rate=1, by allocation site, and still gives every page back.
# The same boot traces the example through goalloc's tracepoints and lists
# the leaked sites with scripts/goalloc-pprof.
begin
if needs boot-leak kernel-test build-test; then
	cat >"$LOGS/boot-leak.cmds" <<'CMDS'
insmod goalloc.ko profile_rate=1
echo 1 > /sys/kernel/debug/tracing/events/goalloc/enable
insmod goalloc_example.ko leak=3
echo 0 > /sys/kernel/debug/tracing/events/goalloc/enable
echo "@@TRACE allocs=$(grep -c 'goalloc_alloc: call_site=pkt_alloc+' /sys/kernel/debug/tracing/trace) frees=$(grep -c 'goalloc_free: call_site=' /sys/kernel/debug/tracing/trace)"
rmmod goalloc_example
goalloc-pprof -n 5
echo @@PROFILE-BEGIN; cat /sys/kernel/debug/goalloc/heap_profile; echo @@PROFILE-END
rmmod goalloc
sleep 2
CMDS
	run_boot leak "$(kernel_out_dir test)/arch/x86/boot/bzImage" 2 1G \
		"${BOOT_TIMEOUT_TEST:-600}" "$BUILD_DIR/mod-test/goalloc.ko" \
		"$BUILD_DIR/mod-test/examples/goalloc_example.ko"
	log=$LOGS/boot-leak.log
	leaks=$(grep -ac 'goalloc: unload: .* never freed' "$log") || true
	# 3 packets of a header and a payload each, from pkt_alloc().
	sites=$(grep -aoE 'goalloc: unload: +[0-9]+ sampled objects.* from pkt_alloc\+' "$log" |
		awk '{ n += $3 } END { print n + 0 }')
	pprof=$(grep -aE '^ +[0-9]+ +[0-9.]+% +[0-9]+ +[0-9]+ +[0-9]+  pkt_alloc \[goalloc_example\]$' "$log" |
		awk '{ print $5 }')
	traced=$(grep -aoE '@@TRACE allocs=[0-9]+ frees=[0-9]+' "$log" | tail -n1)
	if ((rc != 0)); then
		fail boot-leak "$why" "$log"
	elif ((leaks == 0)); then
		fail boot-leak "no 'never freed' report at unload" "$log"
	elif ((sites != 6)); then
		fail boot-leak "unload named $sites sampled objects from pkt_alloc, not 6" "$log"
	elif [[ $pprof != 6 ]]; then
		fail boot-leak "goalloc-pprof did not list pkt_alloc with 6 samples" "$log"
	elif [[ ! $traced =~ allocs=[1-9][0-9]*\ frees=[1-9] ]]; then
		fail boot-leak "tracepoints: '$traced'" "$log"
	elif ! unload_check "$log"; then
		fail boot-leak "$UNLOAD_NOTE" "$log"
	else
		pass boot-leak "$leaks classes reported, 6 objects named by site and by goalloc-pprof; ${traced#@@TRACE }; $UNLOAD_NOTE"
	fi
fi

# The leak boot's heap profile, opened with the perl pprof of Debian's
# google-perftools through goalloc-pprof --pprof: the 6 leaked objects must
# show up as pkt_alloc's.
begin
if needs pprof boot-leak; then
	awk '/^@@PROFILE-BEGIN/ { p = 1; next } /^@@PROFILE-END/ { p = 0 } p' \
		"$LOGS/boot-leak.log" | tr -d '\r' >"$LOGS/heap_profile.txt"
	{
		"$GOALLOC_ROOT/scripts/goalloc-pprof" --pprof -f "$LOGS/heap_profile.txt" \
			>"$LOGS/heap_profile.sym" &&
			google-pprof --text --inuse_objects "$LOGS/heap_profile.sym"
	} >"$LOGS/pprof.log" 2>&1 || true
	row=$(grep -E '^ +6 +[0-9.]+% .* pkt_alloc\[goalloc_example\]$' "$LOGS/pprof.log") || true
	if [[ -n $row ]]; then
		pass pprof "google-pprof --inuse_objects: $(echo "$row" | awk '{ print $1, $NF }')"
	else
		fail pprof "google-pprof did not show pkt_alloc with 6 objects in use" "$LOGS/pprof.log"
	fi
fi

# The pressure cases that need the faults boot's order-3 failures: they
# skip elsewhere, and must not there. Prints the first that did not pass
# unskipped.
armed_cases_ran() {
	local c
	for c in grown_class_falls_back_to_go_spans nofail_span_retries_without_the_flag; do
		grep -qaE "ok [0-9]+ ${c}[[:space:]]*\$" "$1" || { echo "$c"; return 1; }
	done
}

# Fault injection: the stress threads' page requests fail at 25 %
# (task-filter, so nothing else in the guest fails); allocations may
# return NULL but nothing may be corrupted or lost. The pressure suite
# runs first, with every request of order 3 and up failed for the tasks
# that ask for it: its first cases, while goalloc's heap is still empty,
# to see a grown class fall back to Go's spans and __GFP_NOFAIL retried
# without the flag. Its kthreads are not filtered (they must not be
# failed by accident), and goalloc keeps its default headroom, which
# reclaim must take; the stress suites then run without headroom.
begin
if needs boot-faults kernel-test build-test; then
	fpa=/sys/kernel/debug/fail_page_alloc
	gp=/sys/module/goalloc/parameters
	cat >"$LOGS/boot-faults.cmds" <<CMDS
insmod goalloc.ko
cd $fpa && echo 0 > verbose && echo Y > task-filter && echo N > ignore-gfp-wait && echo 3 > min-order && echo 1 > interval && echo 1000000000 > times && echo 100 > probability
insmod goalloc_kunit_pressure.ko
echo 0 > $fpa/min-order && echo 1000000000 > $fpa/times && echo 25 > $fpa/probability
echo 0 > $gp/headroom_min_kb && echo 0 > $gp/headroom_percent
insmod goalloc_kunit_stress.ko stress_fail_tasks=1
echo 0 > $fpa/probability; echo "@@STRESS-FAULTS injected=\$((1000000000 - \$(cat $fpa/times)))"
rmmod goalloc_kunit_stress
rmmod goalloc_kunit_pressure
rmmod goalloc
sleep 2
CMDS
	run_boot faults "$(kernel_out_dir test)/arch/x86/boot/bzImage" 4 1G \
		"${BOOT_TIMEOUT_TEST:-600}" "$BUILD_DIR/mod-test/goalloc.ko" \
		"$BUILD_DIR/mod-test/kunit/goalloc_kunit_pressure.ko" \
		"$BUILD_DIR/mod-test/kunit/goalloc_kunit_stress.ko"
	faults=$(grep -aoE '@@STRESS-FAULTS injected=[0-9]+' "$LOGS/boot-faults.log" |
		grep -oE '[0-9]+$') || faults=0
	counts=$(ktap_report "$LOGS/boot-faults.log" "$LOGS/kunit-faults" 2>&1 | head -n1) || true
	if ((rc != 0)); then
		fail boot-faults "$why" "$LOGS/boot-faults.log"
	elif [[ ! $counts =~ failed=0\ .*suites=3$ ]]; then
		fail boot-faults "KUnit: $counts" "$LOGS/kunit-faults.counts"
	elif ((faults == 0)); then
		fail boot-faults "no fault injected" "$LOGS/boot-faults.log"
	elif ! unskipped=$(armed_cases_ran "$LOGS/boot-faults.log"); then
		fail boot-faults "goalloc_pressure.$unskipped did not run (skipped?)" \
			"$LOGS/boot-faults.log"
	elif ! unload_check "$LOGS/boot-faults.log"; then
		fail boot-faults "$UNLOAD_NOTE" "$LOGS/boot-faults.log"
	else
		pass boot-faults "$faults faults injected; ${counts#KUNIT }; $UNLOAD_NOTE"
	fi
fi

begin
if ((skip_debug)); then
	skip boot-debug "CHECK_SKIP_DEBUG"
elif needs boot-debug kernel-debug build-test; then
	# Its own build: lockdep and KASAN change struct layouts and code.
	if ! build_module debug "$(kernel_out_dir debug)" "$LOGS/build-debug.log"; then
		fail boot-debug "module build against the debug kernel: $BUILD_WHY" \
			"$LOGS/build-debug.log"
	else
		# Objects must be 5 s old before kmemleak reports them, and one
		# scan missed a leak made at module init here (a stale copy of
		# the pointer), the second found it. A leak makes the scan print
		# "kmemleak: N new suspected memory leaks". goalloc runs with its
		# own debug checks there (double frees in CPU caches, poisoning).
		GOALLOC_PARAMS=debug=1 boot_modules debug "$(kernel_out_dir debug)/arch/x86/boot/bzImage" \
			"$BUILD_DIR/mod-debug" 2 2G "${BOOT_TIMEOUT_DEBUG:-1500}" \
			"sleep 6" \
			"echo scan > /sys/kernel/debug/kmemleak" \
			"echo scan > /sys/kernel/debug/kmemleak" \
			"cat /sys/kernel/debug/kmemleak"
	fi
fi

# kmemleak sees goalloc objects: the example leaks 3 packets (6 objects)
# from its init function on the debug kernel, and kmemleak must report
# them as allocated by insmod (init code is gone by then, so the call site
# itself prints as a bare address). The heap profile samples every
# allocation (profile_rate=1): its table of sampled objects must not hide
# them.
begin
if ((skip_debug)); then
	skip boot-kmemleak "CHECK_SKIP_DEBUG"
elif needs boot-kmemleak boot-debug; then
	kml=/sys/kernel/debug/kmemleak
	# Like any kmemleak user, a scan may miss a leak while a stale copy of
	# its pointer sits in some stack or register; the check takes the
	# leaked objects reported by any of three scans. Each report is read
	# to its end with cat: one read() of a seq_file returns at most one
	# buffer (4 KiB at first), about five of these records.
	cat >"$LOGS/boot-kmemleak.cmds" <<CMDS
insmod goalloc.ko profile_rate=1
insmod goalloc_example.ko leak=3
sleep 6
echo scan > $kml
cat $kml
echo scan > $kml
cat $kml
echo scan > $kml
cat $kml
echo clear > $kml
rmmod goalloc_example
rmmod goalloc
sleep 2
CMDS
	BOOT_ALLOW='kmemleak: [0-9]+ new suspected memory leaks' \
		run_boot kmemleak "$(kernel_out_dir debug)/arch/x86/boot/bzImage" 2 2G \
		"${BOOT_TIMEOUT_DEBUG:-1500}" "$BUILD_DIR/mod-debug/goalloc.ko" \
		"$BUILD_DIR/mod-debug/examples/goalloc_example.ko"
	# Distinct objects reported, and of those, allocated by insmod.
	read -r leaks sites < <(awk '
		/^unreferenced object 0x/ { a = $3; all[a] = 1; next }
		a != "" && /^  comm "insmod"/ { ins[a] = 1 }
		{ a = "" }
		END { n = m = 0; for (k in all) n++; for (k in ins) m++; print n, m }
	' "$LOGS/boot-kmemleak.log")
	if ((rc != 0)); then
		fail boot-kmemleak "$why" "$LOGS/boot-kmemleak.log"
	elif ((leaks < 6 || sites < 6)); then
		fail boot-kmemleak "kmemleak reported $leaks objects, $sites from insmod, not 6" \
			"$LOGS/boot-kmemleak.log"
	elif ! unload_check "$LOGS/boot-kmemleak.log"; then
		fail boot-kmemleak "$UNLOAD_NOTE" "$LOGS/boot-kmemleak.log"
	else
		pass boot-kmemleak "$leaks leaked goalloc objects reported; $UNLOAD_NOTE"
	fi
fi

# Debian's kernels have no KUnit: the benchmark module drives goalloc on
# both CPUs instead (each CPU's own objects, remote frees, a producer and a
# consumer, the mix) while two shell loops add tasks that use it too: one
# loads the example (which checks its packets' contents) over and over, the
# other drains the CPU caches and runs debugfs verify, which must say ok
# every time, under load. Then a CPU goes offline and back and verify must
# say ok again. On PREEMPT_RT, those tasks preempt holders of the CPU
# caches' lock, and fast paths must have found it held
# (fastpath_lock_held, see mcache_busy()).
for flavour in "${DISTRO_FLAVOURS[@]}"; do
	d=$(distro_name "$flavour")
	begin
	if ((skip_distro)); then
		skip "boot-$d" "CHECK_SKIP_DISTRO"
	elif needs "boot-$d" "build-$d"; then
		cat >"$LOGS/boot-$d.cmds" <<'CMDS'
insmod goalloc.ko
{ while [ ! -e /stop ]; do insmod goalloc_example.ko && rmmod goalloc_example || touch /example-failed; done; touch /done-1; } >/dev/null 2>&1 &
{ while [ ! -e /stop ]; do echo 1 > /sys/kernel/debug/goalloc/drain; cat /sys/kernel/debug/goalloc/verify > /verify; grep -qx ok /verify || cat /verify >> /verify-failed; done; touch /done-2; } >/dev/null 2>&1 &
insmod goalloc_bench.ko tests=concurrent,remote,prodcons,mix sizes=8,192,4096,65536 n=10000 repeat=3 mix_steps=50000
touch /stop; while [ ! -e /done-1 ] || [ ! -e /done-2 ]; do sleep 0.2; done
test ! -e /example-failed
test ! -e /verify-failed || { cat /verify-failed; false; }
rmmod goalloc_bench
echo 0 > /sys/devices/system/cpu/cpu1/online
echo 1 > /sys/devices/system/cpu/cpu1/online
grep -qx ok /sys/kernel/debug/goalloc/verify
grep fastpath_lock_held /sys/kernel/debug/goalloc/counters
rmmod goalloc
sleep 2
CMDS
		mod=$BUILD_DIR/mod-$d
		run_boot "$d" "$(distro_vmlinuz "$flavour")" 2 1G \
			"${BOOT_TIMEOUT_DISTRO:-300}" "$mod/goalloc.ko" \
			"$mod/examples/goalloc_example.ko" "$mod/bench/goalloc_bench.ko"
		held=$(grep -aoE '^fastpath_lock_held [0-9]+' "$LOGS/boot-$d.log" | tail -n1)
		held=${held##* }
		if ((rc != 0)); then
			fail "boot-$d" "$why" "$LOGS/boot-$d.log"
		elif ! grep -q 'goalloc: unloaded, ' "$LOGS/boot-$d.log"; then
			fail "boot-$d" "no 'goalloc: unloaded' line" "$LOGS/boot-$d.log"
		elif ! unload_check "$LOGS/boot-$d.log"; then
			fail "boot-$d" "$UNLOAD_NOTE" "$LOGS/boot-$d.log"
		elif [[ $flavour == rt-* ]] && ((${held:-0} == 0)); then
			fail "boot-$d" "no fast path found the cache lock held" "$LOGS/boot-$d.log"
		else
			pass "boot-$d" "$(distro_kernel_release "$flavour"); $why; fastpath_lock_held ${held:-?}; $UNLOAD_NOTE"
		fi
	fi
done

# ---------------------------------------------------------------------------

echo
echo "checks: $n_pass passed, $n_fail failed, $n_skip skipped"
for k in test init debug; do
	[[ -n ${kunit_line[$k]:-} ]] && echo "${kunit_line[$k]}"
done
echo "total time: $((SECONDS - run_start))s, logs in $LOGS"
total_pass=$((n_pass + kunit_pass))
total_fail=$((n_fail + kunit_fail))
total_skip=$((n_skip + kunit_skip))
echo "$total_pass passed, $total_fail failed, $total_skip skipped"
((total_fail == 0))
