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
  kernel-test-6.12 scripts/build-kernel.sh test-6.12 (Linux 6.12)
  sizeclasses      python3 scripts/gen-sizeclasses.py --check goalloc_sizeclasses.h
  build-test       goalloc + KUnit modules + examples against the test kernel,
                   W=1 C=2: no compiler, sparse or modpost warning in
                   goalloc's own files
  build-test-6.12  the same against the 6.12 test kernel
  build-distro     the same against Debian's linux-headers-amd64 (6.1)
  build-distro-rt  the same against linux-headers-rt-amd64 (6.1 PREEMPT_RT)
  build-distro-6.12, build-distro-6.12-rt
                   the same against linux-headers-6.12-amd64 and
                   linux-headers-6.12-rt-amd64
  dkms             dkms.conf: "dkms add" of "make dkms-src", then "dkms build"
                   and "dkms install" for each of those four Debian
                   kernels, in DKMS and module trees under build/:
                   goalloc.ko built and installed, its Module.symvers kept
  checkpatch       checkpatch.pl --no-tree --strict --terse -f on *.c *.h
                   of ., kunit/, examples/, bench/: no ERROR or WARNING
  kernel-doc       scripts/kernel-doc -none -v on the same files: no warning
  boot-test        test kernel, 4 vCPUs, 1 GiB: insmod goalloc.ko, each
                   kunit/*.ko, the example (insmod + rmmod), read
                   /sys/kernel/debug/goalloc/*, rmmod in reverse; the log must
                   be clean (scripts/qemu-run.sh --help) and goalloc must
                   report 0 pages still held at unload
  boot-test-6.12   the same on the 6.12 test kernel
  boot-debug       the same on the debug kernel (KASAN, lockdep, kmemleak,
                   UBSAN...), 2 vCPUs, 2 GiB, goalloc loaded with debug=1
                   quarantine_kb=0, all suites but the KASAN one, with a
                   kmemleak scan at the end
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
                   first cases fail their own requests of order 4 and
                   up on a full heap: every size class must be served,
                   and __GFP_NOFAIL must never reach the buddy
                   allocator above order 1): KUnit
                   must pass, faults must have been injected, the log must
                   be clean and no page held after unload
  boot-kasan       debug kernel, 2 vCPUs, init_on_alloc=1 init_on_free=1:
                   goalloc at its defaults, the KASAN suite (each bug a caller can make, every KASAN
                   report counted), then the stress suite with the
                   quarantine on; the log's KASAN reports must be the
                   suite's, as many as it counted
  boot-kmemleak    debug kernel: the example leaks 3 packets; kmemleak must
                   report the 6 goalloc objects, allocated by insmod
  ext2             the kernel's fs/ext2, unmodified, built with
                   goalloc_slab.h (scripts/ext2.sh --help): it must call
                   goalloc and not the slab allocator; a file-system
                   workload on 2 vCPUs must pass with it and with the
                   stock ext2.ko, its cache must show in goalloc's
                   debugfs and not in /proc/slabinfo, goalloc must hold
                   nothing after unload with verify ok and no refused
                   free, and the host's e2fsck -fn must find the file
                   system clean
  ext2-debug       the same on the debug kernel, goalloc with debug=1
  boot-distro      Debian's own kernel, 2 vCPUs: insmod goalloc.ko (built
                   against the distro headers); the benchmark module's
                   multi-CPU tests while the example loads in a loop (its
                   packets must be intact), debugfs drain and verify run
                   in another (verify must say ok each time) and a third
                   switches clocksources (stop_machine() on every CPU); a
                   CPU offline and back, verify ok, rmmod; no page held
  boot-distro-rt   the same on Debian's PREEMPT_RT kernel; fast paths must
                   have found the CPU cache's lock held (fastpath_lock_held)
  boot-distro-6.12, boot-distro-6.12-rt
                   the same on Debian's 6.12 kernels
Each passing check counts 1 passed, each failing one 1 failed, and
each skipped one 1 skipped, except the boots with KUnit, which also add the
KUnit test cases they ran (see scripts/ktap-count.py for how cases are
counted). The last line is "N passed, N failed, N skipped". Exit status is
non-zero when anything failed. Logs: build/logs/check/.

  --skip-debug    (CHECK_SKIP_DEBUG=1) skip kernel-debug and boot-debug
  --skip-distro   (CHECK_SKIP_DISTRO=1) skip the build-distro*, dkms and
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
# A failure shows its log's last lines too: the log is gone with the
# machine that ran the check.
fail() {
	echo "FAIL $1 ($2${3:+, log $3})"
	if [[ -n ${3:-} && -r $3 ]]; then
		echo "  last lines of $3:"
		tail -n 40 "$3" | sed 's/^/  | /'
	fi
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
# Packages, kernels, size classes

check_deps() {
	begin
	if "$GOALLOC_ROOT/scripts/deps.sh" >"$LOGS/deps.log" 2>&1; then
		pass deps
	else
		fail deps "scripts/deps.sh failed" "$LOGS/deps.log"
	fi
}

# check_kernel VARIANT: scripts/build-kernel.sh VARIANT, cached or built.
check_kernel() {
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

check_kernels() {
	check_kernel test
	if ((skip_debug)); then
		skip kernel-debug "CHECK_SKIP_DEBUG"
	else
		check_kernel debug
	fi
	check_kernel test-6.12
	# checkpatch.pl, kernel-doc and kunit.py come from the extracted source.
	ensure_kernel_source >>"$LOGS/deps.log" 2>&1 || true
}

check_sizeclasses() {
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
}

# ---------------------------------------------------------------------------
# Module builds, each in a fresh copy under build/ so that builds against
# different kernels never share objects and every warning is seen.

# check_build_test [VARIANT]: against a test kernel (test, test-6.12).
check_build_test() {
	local v=${1:-test}
	begin
	needs "build-$v" "kernel-$v" || return 0
	if build_module "$v" "$(kernel_out_dir "$v")" "$LOGS/build-$v.log" W=1 C=2; then
		pass "build-$v" "$(find "$BUILD_DIR/mod-$v" -name '*.ko' | wc -l) modules"
	else
		fail "build-$v" "$BUILD_WHY" "$LOGS/build-$v.log"
	fi
}

# The step-name suffix of a Debian kernel flavour: distro, distro-rt,
# distro-6.12, distro-6.12-rt.
distro_name() {
	local f=${1%amd64}
	f=${f%-}
	[[ -z $f ]] && echo distro || echo "distro-$f"
}

# check_build_distro FLAVOUR: against Debian's linux-headers-FLAVOUR.
check_build_distro() {
	local flavour=$1 d hdr
	d=$(distro_name "$flavour")
	begin
	if ((skip_distro)); then
		skip "build-$d" "CHECK_SKIP_DISTRO"
	elif ! hdr=$(distro_headers_dir "$flavour" 2>"$LOGS/build-$d.log"); then
		fail "build-$d" "no Debian headers found" "$LOGS/build-$d.log"
	elif build_module "$d" "$hdr" "$LOGS/build-$d.log" W=1 C=2; then
		pass "build-$d" "$(basename "$(dirname "$hdr")")"
	else
		fail "build-$d" "$BUILD_WHY" "$LOGS/build-$d.log"
	fi
}

check_build_distros() {
	local flavour
	for flavour in "${DISTRO_FLAVOURS[@]}"; do check_build_distro "$flavour"; done
}

# DKMS, as a user installs goalloc: "make dkms-src" into a source tree and
# "dkms add" there, then "dkms build" and "dkms install" for each Debian
# kernel, with DKMS and module trees of their own under build/ (nothing
# under /usr/src, /var/lib/dkms or /lib/modules).
check_dkms() {
	local log=$LOGS/dkms.log dk=$BUILD_DIR/dkms ver flavour rel kos=() missing=()
	begin
	if ((skip_distro)); then
		skip dkms "CHECK_SKIP_DISTRO"
		return 0
	fi
	ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$SRC/dkms.conf" 2>/dev/null) || ver=
	if [[ -z $ver ]]; then
		fail dkms "no PACKAGE_VERSION in dkms.conf"
		return 0
	fi
	local trees=(--sourcetree "$dk/src" --dkmstree "$dk/tree" --installtree "$dk/modules")
	rm -rf "$dk"
	mkdir -p "$dk/src" "$dk/tree" "$dk/modules"
	if ! { make -C "$SRC" -s dkms-src DKMS_SRC="$dk/src/goalloc-$ver" &&
		dkms add "goalloc/$ver" "${trees[@]}"; } >"$log" 2>&1; then
		fail dkms "make dkms-src or dkms add failed" "$log"
		return 0
	fi
	for flavour in "${DISTRO_FLAVOURS[@]}"; do
		rel=$(distro_kernel_release "$flavour" 2>>"$log") || { missing+=("$flavour"); continue; }
		mkdir -p "$dk/modules/$rel"
		{ dkms build "goalloc/$ver" -k "$rel" "${trees[@]}" &&
			dkms install "goalloc/$ver" -k "$rel" "${trees[@]}"; } >>"$log" 2>&1 || true
		if compgen -G "$dk/tree/goalloc/$ver/$rel/*/module/goalloc.ko*" >/dev/null &&
			compgen -G "$dk/tree/goalloc/$ver/$rel/*/Module.symvers" >/dev/null &&
			compgen -G "$dk/modules/$rel/updates/dkms/goalloc.ko*" >/dev/null; then
			kos+=("$rel")
		else
			missing+=("$rel")
		fi
	done
	if ((${#missing[@]})); then
		fail dkms "no goalloc.ko built and installed, or no Module.symvers, for ${missing[*]}" "$log"
	else
		pass dkms "goalloc/$ver for ${kos[*]}"
	fi
}

# ---------------------------------------------------------------------------
# checkpatch and kernel-doc on every C file of ours.

# Sets cfiles to our *.c and *.h files, relative to $SRC.
find_cfiles() {
	local f
	cfiles=()
	shopt -s nullglob
	for f in "$SRC"/*.[ch] "$SRC"/kunit/*.[ch] "$SRC"/examples/*.[ch] "$SRC"/bench/*.[ch]; do
		[[ $f == *.mod.c ]] && continue # generated by an in-tree build
		cfiles+=("${f#"$SRC"/}")
	done
	shopt -u nullglob
}

check_checkpatch() {
	local log=$LOGS/checkpatch.log nerr nchk
	begin
	if ((${#cfiles[@]} == 0)); then
		fail checkpatch "no *.c or *.h files in $SRC"
		return 0
	fi
	(cd "$SRC" && perl "$KSRC/scripts/checkpatch.pl" --no-tree --strict \
		--terse --show-types -f "${cfiles[@]}") >"$log" 2>&1 || true
	nerr=$(grep -cE ': (ERROR|WARNING):' "$log" || true)
	nchk=$(grep -cE ': CHECK:' "$log" || true)
	if ((nerr > 0)); then
		fail checkpatch "$nerr errors/warnings, first: $(grep -m1 -E ': (ERROR|WARNING):' "$log")" "$log"
	elif ! grep -q . "$log" && ! perl "$KSRC/scripts/checkpatch.pl" --help >/dev/null 2>&1; then
		fail checkpatch "checkpatch.pl did not run" "$log"
	else
		pass checkpatch "${#cfiles[@]} files, $nchk CHECK notes"
	fi
}

check_kernel_doc() {
	local log=$LOGS/kernel-doc.log nwarn
	begin
	if ((${#cfiles[@]} == 0)); then
		fail kernel-doc "no *.c or *.h files in $SRC"
		return 0
	fi
	(cd "$SRC" && perl "$KSRC/scripts/kernel-doc" -none -v "${cfiles[@]}") >"$log" 2>&1 || true
	nwarn=$(grep -ciE 'warning|error' "$log" || true)
	if ((nwarn > 0)); then
		fail kernel-doc "$nwarn warnings, first: $(grep -m1 -iE 'warning|error' "$log")" "$log"
	else
		pass kernel-doc "${#cfiles[@]} files"
	fi
}

# ---------------------------------------------------------------------------
# Boots. Each writes its guest commands from scripts/guest/, boots with
# run_boot and ends in boot_verdict.

kunit_pass=0 kunit_fail=0 kunit_skip=0
GUEST=$GOALLOC_ROOT/scripts/guest
MOD_TEST=$BUILD_DIR/mod-test
MOD_DEBUG=$BUILD_DIR/mod-debug

bzimage() { echo "$(kernel_out_dir "$1")/arch/x86/boot/bzImage"; }

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
	why=$(sed 's/^qemu-run: //; s/ ([^()]*)$//' "$LOGS/boot-$name.qemu-run" | tail -n1) || true
}

# boot_verdict STEP LOG NOTE CHECK...: the end of every boot step. STEP
# fails with qemu-run.sh's reason (rc, why) when the boot did not end
# clean, else with the first CHECK that fails: a function that returns 1
# with the reason in FAIL_WHY (and in FAIL_LOG the log to read, when not
# LOG). Otherwise STEP passes with NOTE and UNLOAD_NOTE, which the CHECK
# pages_returned sets.
boot_verdict() {
	local step=$1 log=$2 note=$3 check
	shift 3
	if ((rc != 0)); then
		fail "$step" "$why" "$log"
		return 0
	fi
	for check; do
		FAIL_WHY='' FAIL_LOG=$log
		if ! "$check"; then
			fail "$step" "$FAIL_WHY" "$FAIL_LOG"
			return 0
		fi
	done
	pass "$step" "$note; $UNLOAD_NOTE"
}

# A CHECK: fails when goalloc said it kept pages after unload ($log).
pages_returned() {
	local line held
	line=$(grep -aoE "$UNLOAD_LINE" "$log" | tail -n1) || true
	if [[ -z $line ]]; then
		UNLOAD_NOTE="no 'goalloc: unloaded' line"
		return 0
	fi
	held=${line#goalloc: unloaded, }
	held=${held%% *}
	UNLOAD_NOTE="$held pages held at unload"
	FAIL_WHY=$UNLOAD_NOTE
	((held == 0))
}

# count_kunit NAME NKUNIT: adds the KUnit cases of boot-NAME to the totals
# and prints its "KUnit on the NAME kernel" line and failures. The cases
# count on their own, whatever became of the boot.
count_kunit() {
	local name=$1 nkunit=$2 counts p f s suites
	local out=$LOGS/kunit-$name
	counts=$(ktap_report "$LOGS/boot-$name.log" "$out" 2>&1 | head -n1) || true
	if [[ $counts =~ ^KUNIT\ passed=([0-9]+)\ failed=([0-9]+)\ skipped=([0-9]+)\ suites=([0-9]+)$ ]]; then
		p=${BASH_REMATCH[1]} f=${BASH_REMATCH[2]} s=${BASH_REMATCH[3]} suites=${BASH_REMATCH[4]}
	else
		p=0 f=1 s=0 suites=0
		echo "  failed: KTAP extraction failed: $counts" >"$out.counts"
	fi
	if ((nkunit == 0)); then
		f=$((f + 1))
		echo "  failed: no KUnit module was built (kunit/*.ko)" >>"$out.counts"
	elif ((suites == 0 && f == 0)); then
		f=$((f + 1))
		echo "  failed: $nkunit KUnit modules loaded no suite" >>"$out.counts"
	fi
	kunit_pass=$((kunit_pass + p)) kunit_fail=$((kunit_fail + f)) kunit_skip=$((kunit_skip + s))
	kunit_line[$name]="KUnit on the $name kernel: $p passed, $f failed, $s skipped in $suites suites ($out.parse)"
}

# The KUnit modules built in DIR, by name, less those in $KUNIT_SKIP.
kunit_modules() {
	local f
	for f in "$1"/kunit/*.ko; do
		[[ -e $f && " ${KUNIT_SKIP:-} " != *" ${f##*/} "* ]] && echo "${f##*/}"
	done
	return 0
}

# module_cmds DIR OUT [EXTRA]: scripts/guest/boot-modules.cmds for the
# modules built in DIR (goalloc loaded with $GOALLOC_PARAMS), followed by
# the guest command file EXTRA.
# shellcheck disable=SC2034 # the upper-case locals are read by guest_cmds
module_cmds() {
	local dir=$1 out=$2 extra=${3:-} f i kunit=()
	local GOALLOC_PARAMS=${GOALLOC_PARAMS:-} KUNIT_INSMOD='' KUNIT_RMMOD='' EXAMPLE='' EXTRA_CMDS=''
	mapfile -t kunit < <(kunit_modules "$dir")
	for f in "${kunit[@]}"; do KUNIT_INSMOD+="insmod $f"$'\n'; done
	for ((i = ${#kunit[@]} - 1; i >= 0; i--)); do KUNIT_RMMOD+="rmmod ${kunit[i]%.ko}"$'\n'; done
	KUNIT_INSMOD=${KUNIT_INSMOD%$'\n'} KUNIT_RMMOD=${KUNIT_RMMOD%$'\n'}
	[[ -f $dir/examples/goalloc_example.ko ]] &&
		EXAMPLE=$'insmod goalloc_example.ko\nrmmod goalloc_example'
	[[ -n $extra ]] && EXTRA_CMDS=$(<"$extra")
	guest_cmds "$GUEST/boot-modules.cmds" "$out"
}

# A CHECK of boot_modules: every vCPU came up.
all_cpus_up() {
	local cpus
	cpus=$(grep -aoE '@@GOALLOC-BOOTED nproc=[0-9]+' "$log" | grep -oE '[0-9]+$') || cpus=0
	FAIL_WHY="$cpus of $smp vCPUs came up"
	((cpus == smp))
}

# boot_modules NAME BZIMAGE MODDIR SMP MEM TIMEOUT [EXTRA]: boot-NAME, the
# modules built in MODDIR with module_cmds, KUnit counted.
boot_modules() {
	local name=$1 kernel=$2 dir=$3 smp=$4 mem=$5 tmo=$6 extra=${7:-}
	local log=$LOGS/boot-$name.log rc why nkunit
	local mods=("$dir/goalloc.ko")
	[[ -d $dir/kunit ]] && mods+=("$dir/kunit")
	[[ -f $dir/examples/goalloc_example.ko ]] && mods+=("$dir/examples/goalloc_example.ko")
	module_cmds "$dir" "$LOGS/boot-$name.cmds" "$extra"
	nkunit=$(kunit_modules "$dir" | wc -l)
	run_boot "$name" "$kernel" "$smp" "$mem" "$tmo" "${mods[@]}"
	count_kunit "$name" "$nkunit"
	boot_verdict "boot-$name" "$log" "$why" all_cpus_up pages_returned
	echo "${kunit_line[$name]}"
	grep '^  failed:' "$LOGS/kunit-$name.counts" || true
}

# check_boot_test [VARIANT]: every KUnit suite on a test kernel.
check_boot_test() {
	local v=${1:-test}
	begin
	needs "boot-$v" "kernel-$v" "build-$v" || return 0
	boot_modules "$v" "$(bzimage "$v")" "$BUILD_DIR/mod-$v" 4 1G "${BOOT_TIMEOUT_TEST:-600}"
}

# The kernel's memory initialisation options, which goalloc must honour as
# kmalloc does; the KUnit cases that check them are skipped elsewhere.
check_boot_init() {
	begin
	needs boot-init kernel-test build-test || return 0
	BOOT_APPEND="init_on_alloc=1 init_on_free=1" GOALLOC_PARAMS=track_waste=1 \
		boot_modules init "$(bzimage test)" "$MOD_TEST" 2 1G "${BOOT_TIMEOUT_TEST:-600}"
}

# The viewer, scripts/goalloc-stat, ran under busybox in the test boot:
# its JSON must parse and hold every class.
check_viewer() {
	local log=$LOGS/viewer.log
	begin
	needs viewer boot-test || return 0
	if python3 "$GOALLOC_ROOT/scripts/check-stat-json.py" "$LOGS/boot-test.log" >"$log" 2>&1; then
		pass viewer "$(tail -n1 "$log")"
	else
		fail viewer "goalloc-stat --json output did not parse" "$log"
	fi
}

# Unload with objects still allocated: goalloc reports them per class and,
# with profile_rate=1, by allocation site, and still gives every page back.
# The same boot traces the example through goalloc's tracepoints and lists
# the leaked sites with scripts/goalloc-pprof. One vCPU: turning trace
# events on and off patches the kernel's text (__schedule's sched_switch
# probe, which records command names), and QEMU's TCG can let a second
# vCPU run its stale translation of a patched site, the int3 that
# text_poke_bp() has already taken out again: an oops in __schedule.
check_boot_leak() {
	local log=$LOGS/boot-leak.log rc why leaks sites pprof traced
	begin
	needs boot-leak kernel-test build-test || return 0
	guest_cmds "$GUEST/boot-leak.cmds" "$LOGS/boot-leak.cmds"
	run_boot leak "$(bzimage test)" 1 1G "${BOOT_TIMEOUT_TEST:-600}" \
		"$MOD_TEST/goalloc.ko" "$MOD_TEST/examples/goalloc_example.ko"
	leaks=$(grep -ac 'goalloc: unload: .* never freed' "$log") || true
	# 3 packets of a header and a payload each, from pkt_alloc().
	sites=$(grep -aoE 'goalloc: unload: +[0-9]+ sampled objects.* from pkt_alloc\+' "$log" |
		awk '{ n += $3 } END { print n + 0 }') || true
	pprof=$(grep -aE '^ +[0-9]+ +[0-9.]+% +[0-9]+ +[0-9]+ +[0-9]+  pkt_alloc \[goalloc_example\]$' "$log" |
		awk '{ print $5 }') || true
	traced=$(grep -aoE '@@TRACE allocs=[0-9]+ frees=[0-9]+' "$log" | tail -n1) || true
	boot_verdict boot-leak "$log" \
		"$leaks classes reported, 6 objects named by site and by goalloc-pprof; ${traced#@@TRACE }" \
		leaks_reported leak_sites_named leak_in_pprof leak_traced pages_returned
}
leaks_reported() { FAIL_WHY="no 'never freed' report at unload"; ((leaks != 0)); }
leak_sites_named() { FAIL_WHY="unload named $sites sampled objects from pkt_alloc, not 6"; ((sites == 6)); }
leak_in_pprof() { FAIL_WHY="goalloc-pprof did not list pkt_alloc with 6 samples"; [[ $pprof == 6 ]]; }
leak_traced() { FAIL_WHY="tracepoints: '$traced'"; [[ $traced =~ allocs=[1-9][0-9]*\ frees=[1-9] ]]; }

# The leak boot's heap profile, opened with the perl pprof of Debian's
# google-perftools through goalloc-pprof --pprof: the 6 leaked objects must
# show up as pkt_alloc's.
check_pprof() {
	local log=$LOGS/pprof.log row
	begin
	needs pprof boot-leak || return 0
	awk '/^@@PROFILE-BEGIN/ { p = 1; next } /^@@PROFILE-END/ { p = 0 } p' \
		"$LOGS/boot-leak.log" | tr -d '\r' >"$LOGS/heap_profile.txt"
	{
		"$GOALLOC_ROOT/scripts/goalloc-pprof" --pprof -f "$LOGS/heap_profile.txt" \
			>"$LOGS/heap_profile.sym" &&
			google-pprof --text --inuse_objects "$LOGS/heap_profile.sym"
	} >"$log" 2>&1 || true
	row=$(grep -E '^ +6 +[0-9.]+% .* pkt_alloc\[goalloc_example\]$' "$log") || true
	if [[ -n $row ]]; then
		pass pprof "google-pprof --inuse_objects: $(echo "$row" | awk '{ print $1, $NF }')"
	else
		fail pprof "google-pprof did not show pkt_alloc with 6 objects in use" "$log"
	fi
}

# Fault injection (FAULT_* in scripts/lib.sh): the stress threads' page
# requests fail at FAULT_PROBABILITY % (task-filter, so nothing else in the
# guest fails); allocations may return NULL but nothing may be corrupted
# or lost. The pressure suite runs first, with every request of order 4
# and up failed for the tasks that ask for it: its first cases, with
# goalloc's heap full, to see every size class served by smaller spans
# and __GFP_NOFAIL never passed on above order 1. Its kthreads are not
# filtered (they must not be failed by accident), and goalloc keeps its
# default headroom, which reclaim must take; the stress suites then run
# without headroom.
check_boot_faults() {
	local log=$LOGS/boot-faults.log rc why faults counts
	begin
	needs boot-faults kernel-test build-test || return 0
	guest_cmds "$GUEST/boot-faults.cmds" "$LOGS/boot-faults.cmds"
	run_boot faults "$(bzimage test)" 4 1G "${BOOT_TIMEOUT_TEST:-600}" \
		"$MOD_TEST/goalloc.ko" "$MOD_TEST/kunit/goalloc_kunit_pressure.ko" \
		"$MOD_TEST/kunit/goalloc_kunit_stress.ko"
	faults=$(grep -aoE '@@STRESS-FAULTS injected=[0-9]+' "$log" | grep -oE '[0-9]+$') || faults=0
	counts=$(ktap_report "$log" "$LOGS/kunit-faults" 2>&1 | head -n1) || true
	boot_verdict boot-faults "$log" "$faults faults injected; ${counts#KUNIT }" \
		faults_kunit_passed faults_injected armed_cases_ran pages_returned
}
faults_kunit_passed() {
	FAIL_WHY="KUnit: $counts" FAIL_LOG=$LOGS/kunit-faults.counts
	[[ $counts =~ failed=0\ .*suites=3$ ]]
}
faults_injected() { FAIL_WHY="no fault injected"; ((faults != 0)); }
# The pressure cases that need the faults boot's order-4 failures: they
# skip elsewhere, and must not here.
armed_cases_ran() {
	local c
	for c in every_class_is_served_when_costly_orders_fail \
		nofail_never_reaches_the_buddy_allocator_above_order_1; do
		if ! grep -qaE "ok [0-9]+ ${c}[[:space:]]*\$" "$log"; then
			FAIL_WHY="goalloc_pressure.$c did not run (skipped?)"
			return 1
		fi
	done
}

check_boot_debug() {
	begin
	if ((skip_debug)); then
		skip boot-debug "CHECK_SKIP_DEBUG"
		return 0
	fi
	needs boot-debug kernel-debug build-test || return 0
	# Its own build: lockdep and KASAN change struct layouts and code.
	if ! build_module debug "$(kernel_out_dir debug)" "$LOGS/build-debug.log"; then
		fail boot-debug "module build against the debug kernel: $BUILD_WHY" \
			"$LOGS/build-debug.log"
		return 0
	fi
	# goalloc runs with its own debug checks there (double frees in CPU
	# caches, poisoning), and kmemleak scans at the end. KASAN sees every
	# object, and none of the suites may provoke a report; without the
	# quarantine, which holds freed objects back from the reuse that the
	# suites expect. The KASAN suite has a boot of its own (boot-kasan).
	GOALLOC_PARAMS="debug=1 quarantine_kb=0" KUNIT_SKIP=goalloc_kunit_kasan.ko \
		boot_modules debug "$(bzimage debug)" "$MOD_DEBUG" 2 2G \
		"${BOOT_TIMEOUT_DEBUG:-1500}" "$GUEST/kmemleak-scan.cmds"
}

# KASAN sees goalloc's objects: goalloc_kunit_kasan.c provokes each bug a
# caller can make and counts KASAN's reports, then the stress suite runs
# with the quarantine on. A boot of its own on the debug kernel: a report
# turns lockdep off for the rest of the boot. With init_on_alloc=1 and
# init_on_free=1, so that goalloc's own zeroing runs on poisoned objects.
# Every report in the log must be one the suite provoked (in its peek()
# or poke()), and as many.
check_boot_kasan() {
	local log=$LOGS/boot-kasan.log rc why provoked reports
	begin
	if ((skip_debug)); then
		skip boot-kasan "CHECK_SKIP_DEBUG"
		return 0
	fi
	needs boot-kasan boot-debug || return 0
	guest_cmds "$GUEST/boot-kasan.cmds" "$LOGS/boot-kasan.cmds"
	BOOT_ALLOW='BUG: KASAN: [a-z-]+ in (peek|poke)\+|Call Trace:' \
	BOOT_APPEND="init_on_alloc=1 init_on_free=1" \
		run_boot kasan "$(bzimage debug)" 2 2G "${BOOT_TIMEOUT_DEBUG:-1500}" \
		"$MOD_DEBUG/goalloc.ko" "$MOD_DEBUG/kunit/goalloc_kunit_kasan.ko" \
		"$MOD_DEBUG/kunit/goalloc_kunit_stress.ko"
	count_kunit kasan 2
	provoked=$(grep -aoE 'goalloc_kasan: [0-9]+ KASAN reports provoked' "$log" |
		grep -oE '[0-9]+' | head -n1) || true
	reports=$(grep -ac 'BUG: KASAN: ' "$log") || true
	boot_verdict boot-kasan "$log" "$reports KASAN reports, each one the suite provoked" \
		kasan_reports_provoked pages_returned
	echo "${kunit_line[kasan]}"
	grep '^  failed:' "$LOGS/kunit-kasan.counts" || true
}
kasan_reports_provoked() {
	FAIL_WHY="$reports KASAN reports, the suite provoked ${provoked:-none}"
	[[ -n $provoked ]] && ((provoked > 0 && reports == provoked))
}

# kmemleak sees goalloc objects: the example leaks 3 packets (6 objects)
# from its init function on the debug kernel, and kmemleak must report
# them as allocated by insmod (init code is gone by then, so the call site
# itself prints as a bare address). The heap profile samples every
# allocation (profile_rate=1): its table of sampled objects must not hide
# them. The check takes the leaked objects reported by any of three scans.
check_boot_kmemleak() {
	local log=$LOGS/boot-kmemleak.log rc why leaks sites
	begin
	if ((skip_debug)); then
		skip boot-kmemleak "CHECK_SKIP_DEBUG"
		return 0
	fi
	needs boot-kmemleak boot-debug || return 0
	guest_cmds "$GUEST/boot-kmemleak.cmds" "$LOGS/boot-kmemleak.cmds"
	BOOT_ALLOW='kmemleak: [0-9]+ new suspected memory leaks' \
		run_boot kmemleak "$(bzimage debug)" 2 2G "${BOOT_TIMEOUT_DEBUG:-1500}" \
		"$MOD_DEBUG/goalloc.ko" "$MOD_DEBUG/examples/goalloc_example.ko"
	# Distinct objects reported, and of those, allocated by insmod.
	read -r leaks sites < <(awk '
		/^unreferenced object 0x/ { a = $3; all[a] = 1; next }
		a != "" && /^  comm "insmod"/ { ins[a] = 1 }
		{ a = "" }
		END { n = m = 0; for (k in all) n++; for (k in ins) m++; print n, m }
	' "$log")
	boot_verdict boot-kmemleak "$log" "$leaks leaked goalloc objects reported" \
		kmemleak_found_leaks pages_returned
}
kmemleak_found_leaks() {
	FAIL_WHY="kmemleak reported $leaks objects, $sites from insmod, not 6"
	((leaks >= 6 && sites >= 6))
}

# Debian's kernels have no KUnit: the benchmark module drives goalloc on
# both CPUs instead (each CPU's own objects, remote frees, a producer and a
# consumer, the mix) while three shell loops run beside it: one loads the
# example (which checks its packets' contents) over and over, one drains the
# CPU caches and runs debugfs verify, which must say ok every time, under
# load, and one switches clocksources, each switch a stop_machine() that
# must get every CPU while goalloc's users run there (the benchmark's
# threads spin for each other and let the stopper in). Then a CPU goes
# offline and back and verify must say ok again. On PREEMPT_RT, those tasks
# preempt holders of the CPU caches' lock, and fast paths must have found it
# held (fastpath_lock_held, see mcache_busy()).
check_boot_distro() {
	local flavour=$1 d mod log rc why held
	d=$(distro_name "$flavour")
	mod=$BUILD_DIR/mod-$d log=$LOGS/boot-$d.log
	begin
	if ((skip_distro)); then
		skip "boot-$d" "CHECK_SKIP_DISTRO"
		return 0
	fi
	needs "boot-$d" "build-$d" || return 0
	guest_cmds "$GUEST/boot-distro.cmds" "$LOGS/boot-$d.cmds"
	run_boot "$d" "$(distro_vmlinuz "$flavour")" 2 1G "${BOOT_TIMEOUT_DISTRO:-300}" \
		"$mod/goalloc.ko" "$mod/examples/goalloc_example.ko" "$mod/bench/goalloc_bench.ko"
	held=$(grep -aoE '^fastpath_lock_held [0-9]+' "$log" | tail -n1) || true
	held=${held##* }
	boot_verdict "boot-$d" "$log" \
		"$(distro_kernel_release "$flavour"); $why; fastpath_lock_held ${held:-?}" \
		unload_line_printed pages_returned rt_lock_found_held
}
unload_line_printed() { FAIL_WHY="no 'goalloc: unloaded' line"; grep -q 'goalloc: unloaded, ' "$log"; }
rt_lock_found_held() {
	FAIL_WHY="no fast path found the cache lock held"
	[[ $flavour != *rt-* ]] || ((${held:-0} != 0))
}

check_boot_distros() {
	local flavour
	for flavour in "${DISTRO_FLAVOURS[@]}"; do check_boot_distro "$flavour"; done
}

# The kernel's ext2 on goalloc (scripts/ext2.sh), on the test kernel or,
# with goalloc's debug=1, on the debug kernel.
check_ext2() {
	local v=$1 name=ext2 moddir=$MOD_TEST args='' out
	begin
	if [[ $v == debug ]]; then
		name=ext2-debug moddir=$MOD_DEBUG args=debug=1
		if ((skip_debug)); then
			skip "$name" "CHECK_SKIP_DEBUG"
			return 0
		fi
		needs "$name" kernel-debug boot-debug || return 0
	else
		needs "$name" kernel-test build-test || return 0
	fi
	if out=$(GOALLOC_SRC=$SRC "$GOALLOC_ROOT/scripts/ext2.sh" --kernel "$v" \
		--moddir "$moddir" --goalloc-args "$args" --files 600 \
		--log "$LOGS/$name.log" 2>&1); then
		pass "$name" "${out##*ext2.sh: }"
	else
		fail "$name" "$(tail -n1 <<<"$out")" "$LOGS/$name.log"
	fi
}

# ---------------------------------------------------------------------------

summary() {
	local k total_pass total_fail total_skip
	echo
	echo "checks: $n_pass passed, $n_fail failed, $n_skip skipped"
	for k in test init test-6.12 debug kasan; do
		[[ -n ${kunit_line[$k]:-} ]] && echo "${kunit_line[$k]}"
	done
	echo "total time: $((SECONDS - run_start))s, logs in $LOGS"
	total_pass=$((n_pass + kunit_pass))
	total_fail=$((n_fail + kunit_fail))
	total_skip=$((n_skip + kunit_skip))
	echo "$total_pass passed, $total_fail failed, $total_skip skipped"
	((total_fail == 0))
}

# The run: every step in this order, each printing its one line; a step
# whose needs did not pass fails without running.
check_deps
check_kernels
check_sizeclasses
check_build_test
check_build_test test-6.12
check_build_distros
check_dkms
find_cfiles
check_checkpatch
check_kernel_doc
check_boot_test
check_boot_init
check_boot_test test-6.12
check_viewer
check_boot_leak
check_pprof
check_boot_faults
check_boot_debug
check_boot_kasan
check_boot_kmemleak
check_ext2 test
check_ext2 debug
check_boot_distros
summary
