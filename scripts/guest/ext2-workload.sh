#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The ext2 workload of scripts/ext2.sh, run in the guest (busybox sh) with
# an ext2 module loaded: mke2fs on the RAM disk, mount; writers on every
# CPU create files of varied sizes in directories; a large file with dd;
# hard links, symlinks, renames, deletions, truncations and appends;
# drop_caches; checksums of every file; tar and diff of a tree; unmount,
# mount again, checksums verified; unmount.
#
# Usage: ext2-workload.sh DEVICE [FILES_PER_WRITER]
# Prints, for scripts/ext2.sh --bench, "@@EXT2-MEM" with what ext2's inode
# cache holds once the writers are done (from goalloc's debugfs "caches"
# when ext2 runs on goalloc, else /proc/slabinfo), and at the end
# "@@EXT2 ok files=N ns=T", T the nanoseconds from mke2fs to the last
# unmount (/proc/timer_list's clock; instructions under -icount shift=0).
# Exits non-zero at the first error.
set -eu
mnt=/mnt/ext2

# A writer (the script run again on one CPU): its own directory tree of
# files of 0 bytes to 64 KiB.
if [ "$1" = --writer ]; then
	w=$2 per=$3 i=0
	mkdir -p $mnt/w$w
	while [ $i -lt "$per" ]; do
		d=$mnt/w$w/d$((i % 16))
		[ -d $d ] || mkdir $d
		size=$(( (i * 7919 + w * 104729) % 65536 ))
		[ $((i % 5)) -eq 0 ] && size=$((size % 512))
		head -c $size /dev/urandom >$d/f$i
		i=$((i + 1))
	done
	exit 0
fi

now() { awk '/^now at/ { print $3; exit }' /proc/timer_list; }

# Bytes of pages and objects of ext2_inode_cache, and objects in use.
inode_cache_mem() {
	if grep -q '^ext2_inode_cache ' /sys/kernel/debug/goalloc/caches 2>/dev/null; then
		awk '$1 == "ext2_inode_cache" {
			printf "allocator=goalloc objects=%d pages_bytes=%d\n", $8, $7 * $6 * 8192 }' \
			/sys/kernel/debug/goalloc/caches
	else
		awk '$1 == "ext2_inode_cache" {
			printf "allocator=slub objects=%d pages_bytes=%d\n", $2, $15 * $6 * 4096 }' \
			/proc/slabinfo
	fi
}

dev=$1
per=${2:-600}
cpus=$(nproc)
start=$(now)
mkdir -p $mnt
mke2fs -q -b 1024 -N 32768 "$dev"
mount -t ext2 "$dev" $mnt

w=0
pids=
while [ $w -lt $((cpus * 2)) ]; do
	taskset -c $((w % cpus)) sh "$0" --writer $w "$per" &
	pids="$pids $!"
	w=$((w + 1))
done
for p in $pids; do wait "$p"; done
echo "@@EXT2-MEM $(inode_cache_mem)"

dd if=/dev/urandom of=$mnt/large bs=1M count=48 2>/dev/null

# Links, renames, deletions, truncations, appends.
mkdir $mnt/ops
i=0
for f in $mnt/w0/d*/f* $mnt/w1/d*/f*; do
	case $((i % 6)) in
	0) ln "$f" $mnt/ops/hard$i ;;
	1) ln -s "$f" $mnt/ops/sym$i ;;
	2) mv "$f" $mnt/ops/moved$i ;;
	3) rm "$f" ;;
	4) truncate -s $((i % 3000)) "$f" ;;
	5) dd if=/dev/urandom bs=777 count=1 2>/dev/null >>"$f" ;;
	esac
	i=$((i + 1))
done
rm -rf $mnt/w2
sync
echo 3 >/proc/sys/vm/drop_caches

# Checksums of every file, a tar of a tree and its diff.
(cd $mnt && find . -type f | sort | xargs md5sum) >/tmp/sums
files=$(wc -l </tmp/sums)
mkdir $mnt/copy
(cd $mnt && tar cf - w1 ops) | (cd $mnt/copy && tar xf -)
diff -r $mnt/w1 $mnt/copy/w1
diff -r $mnt/ops $mnt/copy/ops
rm -rf $mnt/copy

umount $mnt
mount -t ext2 "$dev" $mnt
(cd $mnt && md5sum -c /tmp/sums) >/tmp/check
grep -qv ': OK$' /tmp/check && { grep -v ': OK$' /tmp/check; exit 1; }
umount $mnt
echo "@@EXT2 ok files=$files ns=$(($(now) - start))"
