#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Check that a module built with goalloc_slab.h calls goalloc, not the
# kernel's slab allocator.
set -euo pipefail

usage() {
	cat <<'USAGE'
Usage: scripts/check-switched.sh MODULE.ko

Lists the module's undefined symbols (nm -u) and fails if one of the
kernel's kmalloc, kfree, krealloc, ksize, kmem_cache_*, kvmalloc, kvfree
or kfree_rcu symbols is left (what their inline wrappers call included:
__kmalloc, kmalloc_trace, kmalloc_large, kvfree_call_rcu, ...), or if no
goalloc symbol is there. Prints one line: the goalloc symbols it calls.
USAGE
}

case ${1:-} in -h | --help) usage; exit 0 ;; esac
[[ $# -eq 1 ]] || { usage >&2; exit 2; }
ko=$1
[[ -r $ko ]] || { echo "check-switched: cannot read $ko" >&2; exit 2; }

undef=$(nm -u "$ko" | awk '{ print $2 }')
left=$(grep -E '^(__)?(kmalloc|kfree|krealloc|ksize|kmem_cache_|kvmalloc|kvfree|kvrealloc|kzalloc|kcalloc|kmalloc_array)' <<<"$undef" |
	grep -vE '^kmem_cache_(alloc|free)$' || true)
# __getname() and __putname() keep the kernel's names_cachep on purpose:
# kmem_cache_alloc and kmem_cache_free may stay only with names_cachep.
if grep -qxE 'kmem_cache_(alloc|free)' <<<"$undef" && ! grep -qx names_cachep <<<"$undef"; then
	left+=$'\n'$(grep -xE 'kmem_cache_(alloc|free)' <<<"$undef")
fi
left=$(sed '/^$/d' <<<"$left")
ours=$(grep -E '^(__)?goalloc_' <<<"$undef" | sort | tr '\n' ' ' || true)
if [[ -n $left ]]; then
	echo "check-switched: $ko still calls the kernel's allocator: $(tr '\n' ' ' <<<"$left")" >&2
	exit 1
fi
if [[ -z $ours ]]; then
	echo "check-switched: $ko calls no goalloc symbol" >&2
	exit 1
fi
echo "check-switched: ${ko##*/} calls goalloc only: $ours"
