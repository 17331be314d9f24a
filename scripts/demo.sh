#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Show goalloc at work in the test kernel ("make demo").
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"

usage() {
	cat <<'USAGE'
Usage: scripts/demo.sh [--smp N] [--mem SIZE]
       make demo

Builds the test kernel (cached, scripts/build-kernel.sh test), goalloc and
the example module against it, boots it in QEMU (default 4 vCPUs, 1G) and
runs in the guest the commands of scripts/guest/demo.cmds: load goalloc
and the example (which runs a mixed workload at load and holds its
objects), show goalloc-stat and the debugfs files, unload the example,
drain, show the heap again and unload goalloc;
then prints each command with its output and whether goalloc gave every
page back ("goalloc: unloaded, N pages still held"). The whole serial log
is in build/logs/demo.log. Exit status is non-zero when the guest did not
finish cleanly (see scripts/qemu-run.sh --help).
Environment: GOALLOC_SRC, the module sources (default: this repository).
USAGE
}

smp=4 mem=1G
while (($#)); do
	case $1 in
	-h | --help) usage; exit 0 ;;
	--smp) smp=$2; shift 2 ;;
	--mem) mem=$2; shift 2 ;;
	*) usage >&2; exit 2 ;;
	esac
done

SRC=$(cd "${GOALLOC_SRC:-$GOALLOC_ROOT}" && pwd)
mkdir -p "$LOG_DIR"
log=$LOG_DIR/demo.log
cmds=$LOG_DIR/demo.cmds

echo "== building the test kernel (cached after the first time)"
bz=$("$GOALLOC_ROOT/scripts/build-kernel.sh" test)
echo "== building goalloc and examples/ against it"
if ! build_module demo "$(kernel_out_dir test)" "$LOG_DIR/demo-build.log"; then
	# Warnings do not stop a demo; a missing module does.
	[[ -f $BUILD_DIR/mod-demo/goalloc.ko ]] || die "$BUILD_WHY (see $LOG_DIR/demo-build.log)"
	msg "note: $BUILD_WHY"
fi
dir=$BUILD_DIR/mod-demo
[[ -f $dir/examples/goalloc_example.ko ]] ||
	die "examples/goalloc_example.ko was not built (see $LOG_DIR/demo-build.log)"

guest_cmds "$GOALLOC_ROOT/scripts/guest/demo.cmds" "$cmds"

echo "== booting ($smp vCPUs, $mem)"
rc=0
"$GOALLOC_ROOT/scripts/qemu-run.sh" --kernel "$bz" --smp "$smp" --mem "$mem" \
	--timeout 300 --cmds "$cmds" --log "$log" \
	--modules "$dir/goalloc.ko" "$dir/examples/goalloc_example.ko" || rc=$?
echo

# Each command with what the guest printed until it returned (kernel
# messages included), without the boot log.
awk '
	/@@GOALLOC-BOOTED/ { sub(/.*@@GOALLOC-BOOTED /, ""); print "guest: " $0; next }
	/@@GOALLOC-CMD-BEGIN/ { sub(/.*@@GOALLOC-CMD-BEGIN [0-9]+: /, ""); print "\n# " $0; on = 1; next }
	/@@GOALLOC-CMD-END/ { sub(/.*@@GOALLOC-CMD-END [0-9]+ /, ""); if ($0 != "rc=0") print "(" $0 ")"; on = 0; next }
	/@@GOALLOC-DONE/ { exit }
	/ input: / { next }	# i8042 probing, noise
	on { print }
' "$log"
echo

line=$(grep -aoE "$UNLOAD_LINE" "$log" | tail -n1) || true
if [[ -z $line ]]; then
	echo "pages returned: unknown, goalloc printed no 'goalloc: unloaded, N pages still held' line"
elif [[ $line == 'goalloc: unloaded, 0 pages still held' ]]; then
	echo "pages returned: all ($line)"
else
	echo "pages returned: NO ($line)"
fi
if ((rc == 0)); then
	echo "guest log: clean ($log)"
else
	echo "guest log: NOT clean, see above and $log"
fi
exit "$rc"
