#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build the nested guest's initramfs (busybox and tests/l2/init): OUT.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$1
[ -f "$out" ] && [ "$out" -nt "$here/init" ] && exit 0
st=$(mktemp -d)
trap 'rm -rf "$st"' EXIT
mkdir -p "$st"/{bin,proc,sys,dev}
cp /bin/busybox "$st/bin/busybox"
install -m 0755 "$here/init" "$st/init"
(cd "$st" && find . | cpio -o -H newc --quiet | gzip -1 > "$out.tmp")
mv "$out.tmp" "$out"
