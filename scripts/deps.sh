#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install the host packages the build and the test runner need, and fetch the
# newest Debian 6.1 and 6.12 kernels (image, modules, build headers) into
# .cache/kernels/<series>/, without installing a kernel on the host. The
# series "debug" is the sanitizer kernel that scripts/debug-kernel.sh builds.
#
# Usage: scripts/deps.sh [--refresh] [--checkpatch] [SERIES...]
#   SERIES defaults to "6.1 6.12"; --checkpatch also extracts checkpatch.pl
#   (and its data files) from Debian's newest linux-source package.
# Re-running is a no-op once everything is present; --refresh looks for newer
# kernels in the archive.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cache=${XENHV_CACHE:-$top/.cache}/kernels
refresh=0
want_checkpatch=0
series=()
for a in "$@"; do
	case $a in
	--refresh) refresh=1 ;;
	--checkpatch) want_checkpatch=1 ;;
	-*) echo "deps: unknown option $a" >&2; exit 2 ;;
	*) series+=("$a") ;;
	esac
done
[ ${#series[@]} -gt 0 ] || series=(6.1 6.12)

pkgs=(qemu-system-x86 busybox-static cpio sparse kmod pahole xz-utils zstd gcc make clang libclang-rt-dev
      libc6-dev libelf-dev bc flex bison rsync)
apt_updated=0

say() { printf 'deps: %s\n' "$*"; }

as_root() {
	if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

apt_update_once() {
	[ $apt_updated -eq 1 ] && return
	say "apt-get update"
	as_root apt-get update -qq
	apt_updated=1
}

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	apt_update_once
	say "installing ${missing[*]}"
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The newest "<series>.*-amd64-unsigned" image in the archive whose build headers
# are also there; prints the kernel ABI name (e.g. 6.1.0-56 or 6.12.117+deb12).
resolve_abi() {
	local s=$1 re abi
	re="^linux-image-${s//./\\.}\\.[0-9][^-]*(-[0-9]+)?-amd64-unsigned\$"
	for abi in $(apt-cache pkgnames linux-image- | grep -E "$re" |
		     sed -e 's/^linux-image-//' -e 's/-amd64-unsigned$//' | sort -rV); do
		if apt-cache show "linux-headers-$abi-amd64" >/dev/null 2>&1; then
			echo "$abi"
			return 0
		fi
	done
	return 1
}

fetch_series() {
	local s=$1 dir=$cache/$1 abi kbuild tmp kver hdr
	if [ -f "$dir/stamp" ] && [ $refresh -eq 0 ]; then
		return 0
	fi
	apt_update_once
	abi=$(resolve_abi "$s") || { echo "deps: no $s kernel with headers found in the archive" >&2; exit 1; }
	kver=$abi-amd64
	if [ -f "$dir/stamp" ] && [ "$(cat "$dir/stamp")" = "$kver" ]; then
		return 0
	fi
	kbuild=$(apt-cache show "linux-headers-$kver" | sed -n 's/^Depends: //p' | head -n1 |
		 tr ',' '\n' | sed -n 's/^ *\(linux-kbuild-[^ ]*\).*/\1/p' | head -n1)
	say "fetching $s: $kver ($kbuild)"
	tmp=$(mktemp -d "$cache/.fetch.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	(cd "$tmp" && apt-get download -q "linux-image-$kver-unsigned" "linux-headers-$kver" \
		"linux-headers-$abi-common" "$kbuild" 2>&1 | grep -v '^W: Download is performed unsandboxed' || true)
	mkdir -p "$tmp/root"
	for d in "$tmp"/*.deb; do dpkg-deb -x "$d" "$tmp/root"; done
	hdr=$tmp/root/usr/src/linux-headers-$kver
	[ -f "$hdr/Makefile" ] || { echo "deps: $kver headers did not unpack" >&2; exit 1; }
	# The arch headers include the common tree by its absolute /usr/src path.
	echo "include \$(dir \$(lastword \$(MAKEFILE_LIST)))../linux-headers-$abi-common/Makefile" > "$hdr/Makefile"
	rm -rf "$dir"
	mkdir -p "$dir"
	mv "$tmp/root" "$dir/root"
	ln -s "root/usr/src/linux-headers-$kver" "$dir/build"
	ln -s "root/boot/vmlinuz-$kver" "$dir/vmlinuz"
	ln -s "root/lib/modules/$kver" "$dir/modules"
	depmod -b "$dir/root" "$kver"
	echo "$kver" > "$dir/stamp"
	rm -rf "$tmp"
	trap - EXIT
	say "$s ready: $dir"
}

# checkpatch.pl is not in the headers packages; take it from linux-source.
fetch_checkpatch() {
	local dir=${XENHV_CACHE:-$top/.cache}/checkpatch tmp src deb
	[ -x "$dir/checkpatch.pl" ] && return 0
	apt_update_once
	src=$(apt-cache pkgnames linux-source- | grep -E '^linux-source-[0-9.]+$' | sort -V | tail -n1)
	say "fetching checkpatch.pl from $src"
	tmp=$(mktemp -d)
	(cd "$tmp" && apt-get download -q "$src" 2>&1 | grep -v '^W: Download is performed unsandboxed' || true)
	deb=$(ls "$tmp"/*.deb)
	dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp" --wildcards '*.tar.xz'
	mkdir -p "$dir"
	tar -xJf "$tmp"/usr/src/linux-source-*.tar.xz -C "$tmp" --wildcards --no-anchored \
		'scripts/checkpatch.pl' 'scripts/spelling.txt' 'scripts/const_structs.checkpatch'
	cp "$tmp"/linux-source-*/scripts/{checkpatch.pl,spelling.txt,const_structs.checkpatch} "$dir"/
	rm -rf "$tmp"
}

mkdir -p "$cache"
for s in "${series[@]}"; do
	if [ "$s" = debug ]; then
		"$top/scripts/debug-kernel.sh" $([ $refresh -eq 0 ] || echo --refresh)
	else
		fetch_series "$s"
	fi
done
[ $want_checkpatch -eq 0 ] || fetch_checkpatch
