#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build the nested guest's initramfs (busybox, tests/l2/init, the static
# tlbstress program, and the Xen PV front ends and ext4 from the fetched 6.1
# kernel's modules, in load order in /mods/order, and tests/l2/l2poll built
# against that kernel): OUT. make test builds it on the host first.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out=$(realpath -m "$1")
kdir=${XENHV_CACHE:-$top/.cache}/kernels/6.1
[ -f "$out" ] && [ "$out" -nt "$here/init" ] && [ "$out" -nt "$here/tlbstress.c" ] &&
	[ "$out" -nt "$here/l2poll/l2poll.c" ] && [ "$out" -nt "$0" ] &&
	[ "$out" -nt "$kdir/stamp" ] && exit 0
st=$(mktemp -d)
trap 'rm -rf "$st"' EXIT
mkdir -p "$st"/{bin,proc,sys,dev,mnt,mods}
cp /bin/busybox "$st/bin/busybox"
install -m 0755 "$here/init" "$st/init"
gcc -O2 -static -pthread -o "$st/bin/tlbstress" "$here/tlbstress.c"
kver=$(cat "$kdir/stamp")
for m in xen-blkfront xen-netfront ext4; do
	modprobe -d "$kdir/root" -S "$kver" --show-depends "$m" | awk '$1 == "insmod" { print $2 }'
done | awk '!seen[$0]++' | while read -r f; do
	b=$(basename "$f")
	case $f in
	*.xz)  xz -dc "$f" > "$st/mods/${b%.xz}"; b=${b%.xz} ;;
	*.zst) zstd -qdc "$f" > "$st/mods/${b%.zst}"; b=${b%.zst} ;;
	*)     cp "$f" "$st/mods/$b" ;;
	esac
	echo "$b" >> "$st/mods/order"
done
# Built with the host's compiler, Debian 12's, which built its 6.1 kernel.
mkdir -p "$st/l2poll"
cp "$here/l2poll/l2poll.c" "$here/l2poll/Kbuild" "$st/l2poll/"
make -s -C "$kdir/build" M="$st/l2poll" modules 2>&1 | grep -v '^Skipping BTF' || true
[ -f "$st/l2poll/l2poll.ko" ] || { echo "mkinitrd: l2poll.ko did not build" >&2; exit 1; }
mv "$st/l2poll/l2poll.ko" "$st/mods/"
rm -rf "$st/l2poll"
(cd "$st" && find . | cpio -o -H newc --quiet | gzip -1 > "$out.tmp")
mv "$out.tmp" "$out"
