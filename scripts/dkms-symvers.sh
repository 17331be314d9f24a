#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# dkms.conf's POST_BUILD, run in DKMS's build directory: copy goalloc's
# Module.symvers next to the module DKMS keeps for this kernel, where a
# module that calls goalloc finds it (KBUILD_EXTRA_SYMBOLS=DIR/Module.symvers).
set -e
[ $# -eq 1 ] || { echo "usage: $0 DIR" >&2; exit 2; }
mkdir -p "$1"
cp Module.symvers "$1/Module.symvers"
