# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Shared helpers for goalloc's harness scripts. Sourced, never run.
# Every path is inside the repository (build/ is ignored by git) except the
# Debian packages that scripts/deps.sh installs.

# Its variables are read by the scripts that source it, and by guest_cmds
# for the @NAME@ placeholders of scripts/guest/.
# shellcheck disable=SC2034

GOALLOC_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${GOALLOC_BUILD_DIR:-$GOALLOC_ROOT/build}

# The kernel sources goalloc is verified on: Debian 12's linux-source-6.1
# (the test, debug and tiny kernels; checkpatch.pl, kernel-doc, kunit.py)
# and linux-source-6.12 (the test-6.12 kernel).
KERNEL_VERSIONS=(6.1 6.12)

# set_kernel_source VERSION: SRC_TARBALL and KSRC for that version.
set_kernel_source() {
	KVER=$1
	SRC_TARBALL=/usr/src/linux-source-$KVER.tar.xz
	[[ $KVER == 6.1 && -n ${GOALLOC_SRC_TARBALL:-} ]] && SRC_TARBALL=$GOALLOC_SRC_TARBALL
	KSRC=$BUILD_DIR/linux-source-$KVER
}
set_kernel_source 6.1

# The kernel version of a build-kernel.sh variant: test-6.12 is 6.12's test
# kernel, the others are 6.1's.
variant_version() { [[ $1 == *-6.12 ]] && echo 6.12 || echo 6.1; }
# shellcheck disable=SC2034 # used by the scripts that source this
LOG_DIR=$BUILD_DIR/logs

msg() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }
die() { msg "error: $*"; exit 1; }

# Size and mtime identify the tarball well enough to notice a new package.
tarball_id() {
	[[ -r $SRC_TARBALL ]] || die "$SRC_TARBALL missing (run scripts/deps.sh)"
	stat -c '%n %s %Y' "$SRC_TARBALL"
}

# Extract the kernel source once; later calls only compare the stamp.
ensure_kernel_source() {
	local id stamp=$KSRC/.goalloc-extracted
	id=$(tarball_id)
	if [[ -f $stamp && $(cat "$stamp") == "$id" ]]; then
		return 0
	fi
	msg "extracting $SRC_TARBALL into $KSRC"
	mkdir -p "$BUILD_DIR"
	rm -rf "$KSRC" "$KSRC.tmp"
	mkdir -p "$KSRC.tmp"
	tar -xf "$SRC_TARBALL" -C "$KSRC.tmp"
	mv "$KSRC.tmp/linux-source-$KVER" "$KSRC"
	rmdir "$KSRC.tmp"
	echo "$id" >"$stamp"
}

# Debian kernel flavours goalloc is checked against, as the suffix of their
# linux-headers-* meta package: 6.1's generic and PREEMPT_RT kernels, and
# 6.12's (Debian 12 ships 6.12 LTS beside 6.1).
# shellcheck disable=SC2034 # used by check.sh
DISTRO_FLAVOURS=(amd64 rt-amd64 6.12-amd64 6.12-rt-amd64)

# Release string of the Debian kernel of flavour $1 (default amd64) whose
# headers linux-headers-$1 pulls in, e.g. 6.1.0-56-amd64,
# 6.1.0-56-rt-amd64 or 6.12.118+deb12-amd64. The host's uname -r is not
# Debian's.
distro_kernel_release() {
	local flavour=${1:-amd64} dep
	dep=$(dpkg-query -W -f='${Depends}' "linux-headers-$flavour" 2>/dev/null) ||
		die "linux-headers-$flavour is not installed"
	dep=${dep%%[ ,]*}
	dep=${dep#linux-headers-}
	[[ -n $dep ]] || die "cannot read linux-headers-$flavour's dependency"
	echo "$dep"
}

distro_headers_dir() {
	local rel d
	rel=$(distro_kernel_release "${1:-}")
	for d in "/lib/modules/$rel/build" "/usr/src/linux-headers-$rel"; do
		[[ -f $d/Makefile ]] && { echo "$d"; return 0; }
	done
	die "no headers for $rel under /lib/modules or /usr/src"
}

distro_vmlinuz() {
	local v
	v=/boot/vmlinuz-$(distro_kernel_release "${1:-}")
	[[ -r $v ]] || die "$v missing or unreadable (linux-image-${1:-amd64})"
	echo "$v"
}

kernel_out_dir() { echo "$BUILD_DIR/kernel-$1"; }

# Patterns (grep -E) that make a guest log fail, each with why. A KUnit case
# failure is not here: it is counted from the KTAP instead.
LOG_FAIL_PATTERNS=(
	'Kernel panic'				# any panic (oops=panic turns oopses into one)
	'Oops'					# page faults and other die() reports
	': [0-9a-f]{4} \[#[0-9]+\]'		# every die() header: GPF, invalid opcode, ...
	'kernel BUG at'				# BUG()/BUG_ON()
	'BUG:'					# KASAN, atomic sleep, bad page, lockups, ...
	'BUG [A-Za-z0-9_.:-]+ \(.*\): '		# SLUB object corruption (slub_debug)
	'WARNING:'				# WARN_ON(), lockdep splats, suspicious RCU usage
	'cut here'				# start of any WARN/BUG report
	'KASAN:'
	'UBSAN:'
	'possible circular locking'
	'possible recursive locking'
	'inconsistent lock state'
	'lockdep is turned off'			# lockdep gave up after an earlier problem
	'lock held when returning to user space'
	'sleeping function called from invalid context'
	'scheduling while atomic'
	'kmemleak: [0-9]+ new suspected'
	'list_(add|del) corruption'
	'detected stalls?'			# RCU stalls
	'blocked for more than'			# hung tasks
	'general protection fault'
	'segfault at'				# a guest program (busybox) crashed
	'Call Trace:'				# any other stack dump, e.g. dump_stack()
)

# What goalloc prints when it unloads; N is 0 when every page came back.
UNLOAD_LINE='goalloc: unloaded, [0-9]+ pages still held'

# fail_page_alloc in the boots that inject page allocation failures
# (check.sh's boot-faults, stress.sh's faults). Only tasks that ask for it
# (task-filter: the stress threads, the pressure suite's armed cases) are
# failed, sleeping requests included, so nothing else in the guest is.
# "times" counts down on each injected failure, from FAULT_TIMES: the
# difference is the number injected (@@STRESS-FAULTS).
FAULT_DIR=/sys/kernel/debug/fail_page_alloc
FAULT_VERBOSE=0
FAULT_TASK_FILTER=Y
FAULT_IGNORE_GFP_WAIT=N
FAULT_INTERVAL=1
FAULT_TIMES=1000000000
# The stress threads: a quarter of their page requests, of any order.
FAULT_MIN_ORDER=0
FAULT_PROBABILITY=25
# The pressure suite's armed cases: every request above
# PAGE_ALLOC_COSTLY_ORDER (3), which kmalloc never needs up to 32 KiB.
FAULT_ARMED_MIN_ORDER=4
FAULT_ARMED_PROBABILITY=100

# guest_cmds TEMPLATE OUT: write the guest command file TEMPLATE (a file of
# scripts/guest/) to OUT with every @NAME@ replaced by the value of the
# shell variable NAME, which must be set. A line that is only @NAME@ becomes
# the value's lines, none when it is empty; trailing blanks are dropped.
guest_cmds() {
	local tmpl=$1 out=$2 orig line rest name
	{
		while IFS= read -r orig || [[ -n $orig ]]; do
			rest=$orig line=
			while [[ $rest =~ @([A-Z][A-Z0-9_]*)@ ]]; do
				name=${BASH_REMATCH[1]}
				[[ -v $name ]] || die "$tmpl: @$name@ is not set"
				line+=${rest%%"@$name@"*}${!name}
				rest=${rest#*"@$name@"}
			done
			line+=$rest
			[[ $line =~ ^(.*[^[:blank:]])?[[:blank:]]*$ ]] && line=${BASH_REMATCH[1]}
			[[ -z $line && $orig =~ ^@[A-Z][A-Z0-9_]*@$ ]] && continue
			printf '%s\n' "$line"
		done <"$tmpl"
	} >"$out"
}

# scan_log LOG [ALLOW_REGEX...]: print the earliest failing line (and the
# pattern it matched) and return 1, or return 0. Lines that echo a guest
# command are never matched, nor lines matching one of the ALLOW_REGEX.
scan_log() {
	local log=$1 pat hit best='' best_pat='' allow='@@GOALLOC-CMD-BEGIN'
	shift
	for pat in "$@"; do allow+="|$pat"; done
	for pat in "${LOG_FAIL_PATTERNS[@]}"; do
		hit=$(grep -naE -- "$pat" "$log" | grep -vaE -- "$allow" | head -n1) || true
		if [[ -n $hit ]] && [[ -z $best || ${hit%%:*} -lt ${best%%:*} ]]; then
			best=$hit best_pat=$pat
		fi
	done
	[[ -z $best ]] && return 0
	printf "log matches '%s' at line %s\n" "$best_pat" "${best//$'\r'/}"
	return 1
}

# ktap_report LOG OUT_PREFIX: KUnit results of the modules loaded in a guest.
#
# scripts/ktap-count.py rebuilds one KTAP document from the suites the
# guest printed after @@GOALLOC-BOOTED (OUT_PREFIX.ktap) and counts its
# cases (see there for how); kunit.py parse then reads that document
# (OUT_PREFIX.parse). Prints one line:
#   KUNIT passed=P failed=F skipped=S suites=N
# followed by one "  failed: SUITE.CASE (why)" line per failure. If
# kunit.py parse disagrees (non-zero exit, or errors/crashes in its
# summary) while no case failed, that is one more failure, so a parse
# problem never passes silently.
ktap_report() {
	local log=$1 out=$2 kunit_py=$KSRC/tools/testing/kunit/kunit.py
	python3 "$GOALLOC_ROOT/scripts/ktap-count.py" "$log" "$out.ktap" \
		>"$out.counts" || return 1
	local rc=0 summary
	python3 "$kunit_py" parse "$out.ktap" >"$out.parse" 2>&1 || rc=$?
	summary=$(grep -E 'Testing complete|could not find' "$out.parse" | tail -n1) || true
	if [[ $rc -ne 0 || -z $summary || $summary == *error* || $summary == *crash* ]] &&
		grep -q '^KUNIT .* failed=0 ' "$out.counts" &&
		! grep -q ' suites=0$' "$out.counts"; then
		sed -i '1s/failed=0/failed=1/' "$out.counts"
		echo "  failed: kunit.py parse: ${summary:-no summary} (exit $rc)" >>"$out.counts"
	fi
	cat "$out.counts"
}

# build_module NAME KDIR LOG [MAKE_ARGS...]: copy the module sources
# ($SRC, default the repository) to build/mod-NAME and there build goalloc,
# its KUnit modules (when KDIR has CONFIG_KUNIT) and the examples against
# KDIR. A fresh copy per kernel means builds never share objects and every
# warning is printed again. Returns 1, with the reason in BUILD_WHY, on a
# build error or on any compiler, sparse or modpost warning in our files.
build_module() {
	local name=$1 kdir=$2 log=$3 src=${SRC:-$GOALLOC_ROOT}
	local dest=$BUILD_DIR/mod-$name warnings
	shift 3
	BUILD_WHY=
	rm -rf "$dest"
	mkdir -p "$dest" "$(dirname "$log")"
	rsync -a --exclude=/build --exclude=/.git --exclude=/results \
		--exclude='*.o' --exclude='*.ko' --exclude='*.mod' \
		--exclude='*.mod.c' --exclude='.*.cmd' --exclude=Module.symvers \
		--exclude=modules.order "$src/" "$dest/"
	if ! make -C "$dest" KDIR="$kdir" "$@" modules examples >"$log" 2>&1; then
		BUILD_WHY="make failed: $(grep -m1 -E ': (fatal )?error:|No rule to make|No such file|^ERROR:' "$log" ||
			grep -m1 -E 'error|Error' "$log" || echo '?')"
		BUILD_WHY=${BUILD_WHY//$dest\//}
		return 1
	fi
	warnings=$(grep -E "^$dest/[^ ]*:[0-9]+(:[0-9]+)?: (warning|error)|^(WARNING|ERROR): modpost" "$log" || true)
	if [[ -n $warnings ]]; then
		BUILD_WHY="$(wc -l <<<"$warnings") warning(s), first: ${warnings%%$'\n'*}"
		BUILD_WHY=${BUILD_WHY//$dest\//}
		return 1
	fi
	if [[ ! -f $dest/goalloc.ko ]]; then
		BUILD_WHY="no goalloc.ko"
		return 1
	fi
}
