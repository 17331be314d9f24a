#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build goalloc's test kernels from Debian's linux-source-6.1 and 6.12.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"

usage() {
	cat <<USAGE
Usage: scripts/build-kernel.sh [--force] [-j N] test|debug|tiny|test-6.12

Builds a kernel for running goalloc in QEMU, out of tree:
  source   /usr/src/linux-source-VERSION.tar.xz, extracted once into
           build/linux-source-VERSION/ (6.1, or 6.12 for test-6.12)
  test     build/kernel-test/   tinyconfig + scripts/test.config
  debug    build/kernel-debug/  tinyconfig + scripts/test.config
                                            + scripts/debug.config
  tiny     build/kernel-tiny/   tinyconfig + scripts/test.config
                                            + scripts/tiny.config
                                (tinyconfig's -Os, no jump labels: for
                                scripts/bench.sh --kernel tiny)
  test-6.12 build/kernel-test-6.12/  Linux 6.12: tinyconfig
                                + scripts/test.config
Steps: make tinyconfig, merge_config.sh -m the fragments, make olddefconfig,
check that every line of the fragments is in the resulting .config (fails
naming the lines that are not), make bzImage modules, make modules_prepare.
Modules then build with: make -C build/kernel-VARIANT M=\$PWD

The build is skipped when build/kernel-VARIANT/.goalloc-stamp matches the
sha256 of the fragments, the tarball's name/size/mtime and the compiler
version, and bzImage exists.

  --force   rebuild even when the stamp matches
  -j N      parallel jobs (default: nproc + 1, or \$JOBS)
Prints the path of bzImage on stdout when done.
USAGE
}

force=0
jobs=${JOBS:-$(($(nproc) + 1))}
variant=
while (($#)); do
	case $1 in
	-h | --help) usage; exit 0 ;;
	--force) force=1 ;;
	-j) jobs=$2; shift ;;
	-j*) jobs=${1#-j} ;;
	test | debug | tiny | test-6.12) variant=$1 ;;
	*) usage >&2; exit 2 ;;
	esac
	shift
done
[[ -n $variant ]] || { usage >&2; exit 2; }

set_kernel_source "$(variant_version "$variant")"
frags=("$GOALLOC_ROOT/scripts/test.config")
[[ $variant == test* ]] || frags+=("$GOALLOC_ROOT/scripts/$variant.config")
out=$(kernel_out_dir "$variant")
bzimage=$out/arch/x86/boot/bzImage

stamp_text() {
	cat "${frags[@]}" | sha256sum | cut -d' ' -f1
	tarball_id
	gcc --version | head -n1
}

# Every "CONFIG_X=v" line must be in .config as is; every
# "# CONFIG_X is not set" line must leave CONFIG_X unset. The last
# fragment wins when two mention the same option, as in merge_config.sh.
verify_config() {
	local cfg=$1 bad=0 line opt
	declare -A want=()
	while IFS= read -r line; do
		if [[ $line =~ ^(CONFIG_[A-Za-z0-9_]+)=(.*)$ ]]; then
			want[${BASH_REMATCH[1]}]=$line
		elif [[ $line =~ ^#\ (CONFIG_[A-Za-z0-9_]+)\ is\ not\ set$ ]]; then
			want[${BASH_REMATCH[1]}]=$line
		fi
	done < <(cat "${frags[@]}")
	for opt in "${!want[@]}"; do
		line=${want[$opt]}
		if [[ $line == "# "* ]]; then
			if grep -q "^$opt=" "$cfg"; then
				msg "config: wanted '$line', got '$(grep "^$opt=" "$cfg")'"
				bad=1
			fi
		elif ! grep -qxF -- "$line" "$cfg"; then
			msg "config: wanted '$line', got '$(grep -E "^(# )?${opt}[= ]" "$cfg" || echo absent)'"
			bad=1
		fi
	done
	# No KUnit suite may be built in: the boot-time KTAP must stay empty.
	if grep -E '^CONFIG_[A-Z0-9_]*(KUNIT_TEST|_KUNIT)=y' "$cfg" |
		grep -v '^CONFIG_KUNIT=y'; then
		msg "config: built-in KUnit suites above"
		bad=1
	fi
	((bad == 0)) || die "$cfg does not match the fragments (see above)"
}

if ((!force)) && [[ -f $bzimage && -f $out/.goalloc-stamp ]] &&
	[[ $(cat "$out/.goalloc-stamp") == "$(stamp_text)" ]]; then
	msg "$variant kernel up to date ($out)"
	echo "$bzimage"
	exit 0
fi

ensure_kernel_source
mkdir -p "$out" "$LOG_DIR"
rm -f "$out/.goalloc-stamp"
log=$LOG_DIR/build-kernel-$variant.log
msg "building $variant kernel in $out (-j$jobs, log $log)"
start=$SECONDS
{
	make -C "$KSRC" O="$out" tinyconfig
	(cd "$KSRC" && scripts/kconfig/merge_config.sh -m -O "$out" \
		"$out/.config" "${frags[@]}")
	make -C "$KSRC" O="$out" olddefconfig
} >"$log" 2>&1 || die "configuring failed, see $log"
verify_config "$out/.config"
if ! make -C "$KSRC" O="$out" -j"$jobs" bzImage modules >>"$log" 2>&1 ||
	! make -C "$KSRC" O="$out" modules_prepare >>"$log" 2>&1; then
	tail -n 30 "$log" >&2
	die "$variant kernel build failed, see $log"
fi
stamp_text >"$out/.goalloc-stamp"
msg "$variant kernel built in $((SECONDS - start)) s"
echo "$bzimage"
