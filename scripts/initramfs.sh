#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the busybox initramfs that scripts/qemu-run.sh boots.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"

usage() {
	cat <<'USAGE'
Usage: scripts/initramfs.sh --out FILE.cpio.gz --cmds FILE [--modules PATH...]

Writes a gzip'd newc cpio with:
  /bin/busybox        Debian's busybox-static (applets linked at boot)
  /modules/*.ko       every PATH given: a .ko file, or a directory whose
                      *.ko files are taken (not recursively)
  /bin/goalloc-stat   scripts/goalloc-stat, when it exists
  /bin/goalloc-pprof  scripts/goalloc-pprof, when it exists
  /cmds               the command file
  /init               scripts/guest/init: mounts proc, sysfs, devtmpfs,
                      debugfs, then runs /cmds and powers off
The command file holds one shell command per line, run in /modules with
"sh -c" and stdin from /dev/null. Empty lines and lines starting with '#'
are skipped. A line starting with '-' may fail without failing the run
(as in make). The guest prints, on the serial console:
  @@GOALLOC-BOOTED nproc=N kernel=RELEASE
  @@GOALLOC-CMD-BEGIN n: COMMAND
  @@GOALLOC-CMD-END n rc=RC
  @@GOALLOC-DONE commands=N failed=F
then runs "poweroff -f" ("reboot -f" if that returns; qemu-run.sh passes
-no-reboot, so either ends QEMU).
USAGE
}

out='' cmds=''
mods=()
while (($#)); do
	case $1 in
	-h | --help) usage; exit 0 ;;
	--out) out=$2; shift 2 ;;
	--cmds) cmds=$2; shift 2 ;;
	--modules)
		shift
		while (($#)) && [[ $1 != --* ]]; do mods+=("$1"); shift; done
		;;
	*) usage >&2; exit 2 ;;
	esac
done
[[ -n $out && -n $cmds ]] || { usage >&2; exit 2; }
[[ -r $cmds ]] || die "command file $cmds not readable"

busybox=/bin/busybox
[[ -x $busybox ]] || die "$busybox missing (busybox-static)"
if readelf -l "$busybox" 2>/dev/null | grep -q 'INTERP'; then
	die "$busybox is dynamically linked; install busybox-static"
fi

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,sbin,dev,proc,sys,tmp,modules,root}
cp "$busybox" "$root/bin/busybox"
ln -s busybox "$root/bin/sh"
for tool in goalloc-stat goalloc-pprof; do
	if [[ -f $GOALLOC_ROOT/scripts/$tool ]]; then
		install -m 0755 "$GOALLOC_ROOT/scripts/$tool" "$root/bin/$tool"
	fi
done
cp "$cmds" "$root/cmds"

for m in "${mods[@]}"; do
	if [[ -d $m ]]; then
		files=("$m"/*.ko)
		[[ -e ${files[0]} ]] || continue
	elif [[ -f $m ]]; then
		files=("$m")
	else
		die "module path $m does not exist"
	fi
	for f in "${files[@]}"; do
		[[ -e $root/modules/${f##*/} ]] && die "two modules named ${f##*/}"
		cp "$f" "$root/modules/"
	done
done

install -m 0755 "$GOALLOC_ROOT/scripts/guest/init" "$root/init"

mkdir -p "$(dirname "$out")"
(cd "$root" && find . -print0 | LC_ALL=C sort -z |
	cpio --null -o -H newc --owner=0:0 --quiet) | gzip -1 >"$out.tmp"
mv "$out.tmp" "$out"
