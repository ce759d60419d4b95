#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build the nested guest's initramfs (busybox, tests/l2/init and the static
# tlbstress program): OUT. make test builds it on the host first.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$(realpath -m "$1")
[ -f "$out" ] && [ "$out" -nt "$here/init" ] && [ "$out" -nt "$here/tlbstress.c" ] &&
	[ "$out" -nt "$0" ] && exit 0
st=$(mktemp -d)
trap 'rm -rf "$st"' EXIT
mkdir -p "$st"/{bin,proc,sys,dev}
cp /bin/busybox "$st/bin/busybox"
install -m 0755 "$here/init" "$st/init"
gcc -O2 -static -pthread -o "$st/bin/tlbstress" "$here/tlbstress.c"
(cd "$st" && find . | cpio -o -H newc --quiet | gzip -1 > "$out.tmp")
mv "$out.tmp" "$out"
