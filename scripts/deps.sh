#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Install the Debian 12 packages goalloc's build and test harness need.
set -euo pipefail

PACKAGES=(
	build-essential bc flex bison libelf-dev libssl-dev
	python3 perl rsync cpio xz-utils gzip kmod sparse
	linux-source-6.1 linux-headers-amd64 linux-image-amd64
	linux-headers-rt-amd64 linux-image-rt-amd64
	linux-source-6.12 linux-headers-6.12-amd64 linux-image-6.12-amd64
	linux-headers-6.12-rt-amd64 linux-image-6.12-rt-amd64 dkms
	qemu-system-x86 busybox-static gnuplot-nox google-perftools e2fsprogs
)

usage() {
	cat <<USAGE
Usage: scripts/deps.sh [--list]

Installs with apt-get (as root, non-interactive) the Debian packages that
"make check" and "make demo" need:
  ${PACKAGES[*]}
Does nothing, and runs no apt-get update, when dpkg-query shows all of them
installed.
  --list   print the package names and exit
USAGE
}

case ${1:-} in
-h | --help) usage; exit 0 ;;
--list) printf '%s\n' "${PACKAGES[@]}"; exit 0 ;;
'') ;;
*) usage >&2; exit 2 ;;
esac

missing=()
for p in "${PACKAGES[@]}"; do
	st=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null) || st=
	[[ $st == ii* ]] || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
	echo "deps: all ${#PACKAGES[@]} packages installed"
	exit 0
fi

echo "deps: installing ${missing[*]}"
sudo=()
if ((EUID != 0)); then
	command -v sudo >/dev/null || { echo "deps: need root or sudo" >&2; exit 1; }
	sudo=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update
"${sudo[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
