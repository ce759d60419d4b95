#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the test guest's initramfs for one fetched kernel series:
# busybox, the modules needed to mount the host's root over virtio-9p, and
# scripts/guest/init. Everything else (KVM modules, our module, the tests, any
# host program) comes from the host's root, mounted read-only in the guest.
#
# Usage: scripts/mkinitramfs.sh SERIES      -> .cache/kernels/SERIES/initrd.gz
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
s=$1
dir=${XENHV_CACHE:-$top/.cache}/kernels/$s
kver=$(cat "$dir/stamp")
out=$dir/initrd.gz
init=$top/scripts/guest/init

if [ -f "$out" ] && [ "$out" -nt "$init" ] && [ "$out" -nt "$0" ]; then
	exit 0
fi

st=$(mktemp -d)
trap 'rm -rf "$st"' EXIT
mkdir -p "$st"/{bin,sbin,proc,sys,dev,newroot,tmp,lib/modules/"$kver"}
cp /bin/busybox "$st/bin/busybox"
for m in virtio_pci 9pnet_virtio 9p; do
	modprobe -d "$dir/root" -S "$kver" --show-depends "$m" | awk '$1 == "insmod" { print $2 }'
done | sort -u | while read -r f; do
	rel=${f#"$dir/root/lib/modules/$kver/"}
	mkdir -p "$st/lib/modules/$kver/$(dirname "$rel")"
	case $f in
	*.xz)  xz -dc "$f" > "$st/lib/modules/$kver/${rel%.xz}" ;;
	*.zst) zstd -qdc "$f" > "$st/lib/modules/$kver/${rel%.zst}" ;;
	*)     cp "$f" "$st/lib/modules/$kver/$rel" ;;
	esac
done
cp "$dir/root/lib/modules/$kver"/modules.{builtin,builtin.modinfo,order} "$st/lib/modules/$kver/" 2>/dev/null || true
depmod -b "$st" "$kver"
install -m 0755 "$init" "$st/init"
(cd "$st" && find . | cpio -o -H newc --quiet | gzip -1 > "$out.tmp")
mv "$out.tmp" "$out"
