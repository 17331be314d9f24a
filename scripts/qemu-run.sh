#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot a kernel in QEMU (TCG) with a busybox initramfs, run a command file,
# and judge the serial log.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"

usage() {
	cat <<'USAGE'
Usage: scripts/qemu-run.sh --kernel BZIMAGE --cmds FILE --log FILE [options]

Boots BZIMAGE under qemu-system-x86_64 (-accel tcg,thread=multi -cpu max,
-nographic, -no-reboot) with an initramfs from scripts/initramfs.sh, runs
the command file in the guest (see scripts/initramfs.sh --help for its
format and the @@GOALLOC-* marker lines) and writes the serial console to
the log.

Options:
  --kernel FILE       kernel image (bzImage / vmlinuz)
  --cmds FILE         guest command file, one command per line
  --log FILE          serial console log (overwritten)
  --smp N             vCPUs (default 4)
  --mem SIZE          guest RAM, QEMU syntax (default 1G)
  --timeout S         kill QEMU after S seconds (default 300)
  --icount            deterministic instruction counting:
                      -accel tcg -icount shift=0,align=off,sleep=off,
                      -rtc base=2020-01-01T00:00:00,clock=vm (so two
                      boots print identical figures), forces --smp 1
                      (icount hangs with 2 vCPUs)
  --modules PATH...   .ko files or directories of .ko files to put in
                      /modules (the guest's working directory); takes
                      arguments up to the next --option
  --append STRING     extra kernel command line
  --plugin SPEC       a QEMU TCG plugin, as -plugin takes it (scripts/qprof.sh)
  --disk FILE         a raw image as a virtio disk, /dev/vda in the guest
  --allow REGEX       a log line matching REGEX never fails the run
                      (repeatable)
  --no-scan           do not scan the log for kernel errors
  --show              also copy the serial console to stdout while running

Kernel command line: console=ttyS0 panic=-1 oops=panic loglevel=7, then
--append. panic=-1 with -no-reboot ends QEMU at once on a panic, and
oops=panic makes an oops end the run instead of leaving a half-dead guest.

Exit status:
  0  the guest printed @@GOALLOC-DONE, every command succeeded and the log
     matches none of the failure patterns (WARNING:, BUG:, Oops, KASAN:,
     UBSAN:, lockdep reports, Call Trace:, ... see LOG_FAIL_PATTERNS in
     scripts/lib.sh)
  1  a guest command failed, or the log matches a pattern (printed)
  2  usage error
  3  timeout, or QEMU ended before @@GOALLOC-DONE (panic, crash)
The reason is printed on stderr as "qemu-run: ...". A run whose only
report came before goalloc was loaded (in the kernel's own boot, or in a
command before the first "insmod ...goalloc...") boots once more, keeps
the first log as LOG.early, and says so on its last line.
USAGE
}

kernel='' cmds='' log=''
smp=4 mem=1G timeout=300 icount=0 scan=1 show=0 append=
mods=()
plugin=()
disk=()
allow=()
while (($#)); do
	case $1 in
	-h | --help) usage; exit 0 ;;
	--kernel) kernel=$2; shift 2 ;;
	--cmds) cmds=$2; shift 2 ;;
	--log) log=$2; shift 2 ;;
	--smp) smp=$2; shift 2 ;;
	--mem) mem=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--icount) icount=1; shift ;;
	--append) append=$2; shift 2 ;;
	--plugin) plugin=(-plugin "$2"); shift 2 ;;
	--disk) disk=(-drive "file=$2,format=raw,if=virtio"); shift 2 ;;
	--allow) allow+=("$2"); shift 2 ;;
	--no-scan) scan=0; shift ;;
	--show) show=1; shift ;;
	--modules)
		shift
		while (($#)) && [[ $1 != --* ]]; do mods+=("$1"); shift; done
		;;
	*) echo "qemu-run: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
	esac
done
[[ -n $kernel && -n $cmds && -n $log ]] || { usage >&2; exit 2; }
[[ -r $kernel ]] || { echo "qemu-run: cannot read $kernel" >&2; exit 2; }

initrd=$(mktemp --suffix=.cpio.gz)
trap 'rm -f "$initrd"' EXIT
"$GOALLOC_ROOT/scripts/initramfs.sh" --out "$initrd" --cmds "$cmds" \
	${mods[@]+--modules "${mods[@]}"}

if ((icount)); then
	# A fixed guest clock base: otherwise the boot reads the host's clock
	# and TSC calibration, and so a few figures, vary by about 1 ppm.
	accel=(-accel tcg -icount 'shift=0,align=off,sleep=off'
		-rtc 'base=2020-01-01T00:00:00,clock=vm')
	smp=1
else
	accel=(-accel 'tcg,thread=multi')
fi
qemu=(qemu-system-x86_64 "${accel[@]}" -cpu max -smp "$smp" -m "$mem"
	-nographic -no-reboot -nic none -kernel "$kernel" -initrd "$initrd"
	-append "console=ttyS0 panic=-1 oops=panic loglevel=7 $append"
	${plugin[@]+"${plugin[@]}"} ${disk[@]+"${disk[@]}"})

run_qemu() {
	start=$SECONDS
	set +e
	if ((show)); then
		timeout -k 10 "$timeout" "${qemu[@]}" </dev/null 2>&1 | tee "$log"
		rc=${PIPESTATUS[0]}
	else
		timeout -k 10 "$timeout" "${qemu[@]}" </dev/null >"$log" 2>&1
		rc=$?
	fi
	set -e
	secs=$((SECONDS - start))
	# The serial console ends lines with \r\n.
	sed -i 's/\r$//' "$log"
}

# A report before the first command that loads a goalloc module (in the
# kernel's own boot, or in a command before it, such as the stock ext2.ko
# run of scripts/ext2.sh) comes from a kernel that has no goalloc code: a
# flake of that kernel under TCG, not a result. Seen: KASAN
# wild-memory-access in an edge IRQ during identify_cpu(), 0.005 s into a
# boot of the debug kernel; an int3 oops in urandom_read_iter(), at a jump
# label that crng's readiness had just patched, in the stock ext2 run. If
# nothing else went wrong (no report from that command on, every command
# run and successful, no timeout), or the report ended the boot before
# goalloc was loaded, this prints the report and returns 0: the caller
# boots once more.
report_before_goalloc() {
	local hit at first after

	((scan && rc != 124 && rc != 137)) || return 1
	hit=$(scan_log "$log" ${allow[@]+"${allow[@]}"}) && return 1
	at=${hit#*at line }
	at=${at%%:*}
	first=$(grep -naE '^@@GOALLOC-CMD-BEGIN [0-9]+: .*insmod [^ ]*goalloc' "$log" |
		head -n1 | cut -d: -f1) || true
	if [[ -n $first ]]; then
		((at < first)) || return 1
		after=$(mktemp)
		tail -n "+$first" "$log" >"$after"
		if ! scan_log "$after" ${allow[@]+"${allow[@]}"} >/dev/null; then
			rm -f "$after"
			return 1
		fi
		rm -f "$after"
		grep -qaE '@@GOALLOC-DONE commands=[0-9]+ failed=0' "$log" || return 1
	fi
	printf '%s\n' "$hit"
}

mkdir -p "$(dirname "$log")"
run_qemu
second=
if hit=$(report_before_goalloc); then
	mv "$log" "$log.early"
	second="; second boot, the first had a kernel report before goalloc was loaded ($hit; $log.early)"
	echo "qemu-run: booting once more$second" >&2
	run_qemu
fi

if ((rc == 124 || rc == 137)); then
	echo "qemu-run: timeout after ${timeout}s ($log)" >&2
	exit 3
fi
done_line=$(grep -aoE '@@GOALLOC-DONE commands=[0-9]+ failed=[0-9]+' "$log" | tail -n1) || true
if [[ -z $done_line ]]; then
	why="QEMU exited ($rc) before the guest finished"
	if ((scan)) && hit=$(scan_log "$log" ${allow[@]+"${allow[@]}"}); then :; else
		why+="; ${hit:-}"
	fi
	echo "qemu-run: $why ($log)" >&2
	exit 3
fi
failed=${done_line##*failed=}
status=0
if ((failed > 0)); then
	bad=$(grep -aE '@@GOALLOC-CMD-END [0-9]+ rc=[1-9]' "$log" | head -n1 | grep -oE '[0-9]+' | head -n1)
	echo "qemu-run: $failed guest command(s) failed, first: $(grep -aE "@@GOALLOC-CMD-BEGIN $bad:" "$log" | head -n1 | sed 's/.*@@GOALLOC-CMD-BEGIN [0-9]*: //') ($log)" >&2
	status=1
fi
if ((scan)) && ! hit=$(scan_log "$log" ${allow[@]+"${allow[@]}"}); then
	echo "qemu-run: $hit ($log)" >&2
	status=1
fi
if ((status == 0)); then
	echo "qemu-run: clean, ${done_line#@@GOALLOC-DONE }, ${secs}s ($log)$second" >&2
fi
exit $status
