#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The debug target kernel: Debian's own linux-source-6.12, configured with
# x86_64_defconfig, kvm_guest.config and scripts/kernel/debug.config (KVM,
# the test guest's needs, KASAN, lockdep, UBSAN, kmemleak and the object
# debuggers), built with the host's compiler into .cache/kernels/debug/ in
# the layout deps.sh gives the fetched kernels (stamp, vmlinuz, build,
# modules, root/). It is rebuilt only when the source package, the
# configuration or this script change.
#
# Usage: scripts/debug-kernel.sh [--refresh | --check]
#   --check: exit 0 when the cached kernel is current, 1 when it needs a build.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
dir=${XENHV_CACHE:-$top/.cache}/kernels/debug
frag=$top/scripts/kernel/debug.config
refresh=0 check=0
case ${1:-} in
--refresh) refresh=1 ;;
--check) check=1 ;;
"") ;;
*) echo "debug-kernel: unknown argument $1" >&2; exit 2 ;;
esac

say() { printf 'debug-kernel: %s\n' "$*"; }

# The newest linux-source-6.12 the archive has, by package version.
ver=$(apt-cache policy linux-source-6.12 2>/dev/null | sed -n 's/^ *Candidate: //p')
if [ -z "$ver" ] || [ "$ver" = "(none)" ]; then
	if [ -f "$dir/stamp" ]; then exit 0; fi
	[ $check -eq 0 ] || exit 1
	apt-get update -qq
	ver=$(apt-cache policy linux-source-6.12 | sed -n 's/^ *Candidate: //p')
fi
[ -n "$ver" ] && [ "$ver" != "(none)" ] || { echo "debug-kernel: no linux-source-6.12 in the archive" >&2; exit 1; }
key=$( (echo "$ver"; gcc --version | head -n1; cat "$frag" "$0") | sha256sum | cut -c1-16)
if [ -f "$dir/stamp" ] && [ "$(cat "$dir/key" 2>/dev/null)" = "$key" ] && [ $refresh -eq 0 ]; then
	exit 0
fi
[ $check -eq 0 ] || exit 1

t0=$(date +%s)
mkdir -p "$dir"
src=$dir/src
if [ "$(cat "$dir/src.version" 2>/dev/null)" != "$ver" ]; then
	say "fetching linux-source-6.12 $ver"
	tmp=$(mktemp -d "$dir/.fetch.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	(cd "$tmp" && apt-get download -q "linux-source-6.12=$ver" 2>&1 |
		grep -v '^W: Download is performed unsandboxed' || true)
	dpkg-deb --fsys-tarfile "$tmp"/linux-source-6.12_*.deb | tar -x -C "$tmp" --wildcards '*.tar.xz'
	rm -rf "$src"
	mkdir -p "$src"
	tar -xJf "$tmp"/usr/src/linux-source-6.12.tar.xz -C "$src" --strip-components=1
	rm -rf "$tmp"
	trap - EXIT
	echo "$ver" > "$dir/src.version"
fi

say "configuring"
make -s -C "$src" x86_64_defconfig
(cd "$src" && ./scripts/kconfig/merge_config.sh -m .config kernel/configs/kvm_guest.config "$frag" >/dev/null)
make -s -C "$src" olddefconfig
# Every line of the fragment must have taken effect.
bad=0
while read -r line; do
	case $line in
	CONFIG_*=*) name=${line%%=*} want=${line#*=} ;;
	"# CONFIG_"*" is not set") name=${line#\# }; name=${name%% *}; want=n ;;
	*) continue ;;
	esac
	got=$(sed -n -e "s/^$name=//p" -e "s/^# $name is not set/n/p" "$src/.config")
	[ -n "$got" ] || got=n
	if [ "$got" != "$want" ]; then
		echo "debug-kernel: $name is $got, $frag wants $want" >&2
		bad=1
	fi
done < "$frag"
[ $bad -eq 0 ] || exit 1

jobs=$(( $(nproc) + 1 ))
say "building with $jobs jobs (about 15 minutes on 2 cores)"
make -s -C "$src" -j"$jobs" bzImage modules || { echo "debug-kernel: build failed" >&2; exit 1; }
kver=$(make -s -C "$src" kernelrelease)
rm -rf "$dir/root"
make -s -C "$src" INSTALL_MOD_PATH="$dir/root" INSTALL_MOD_STRIP=1 modules_install
rm -f "$dir/root/lib/modules/$kver/build" "$dir/root/lib/modules/$kver/source"
cp "$src/arch/x86/boot/bzImage" "$dir/vmlinuz"
ln -sfn src "$dir/build"
ln -sfn "root/lib/modules/$kver" "$dir/modules"
depmod -b "$dir/root" "$kver"
rm -f "$dir/initrd.gz"
# Under emulation, ACPI's interpreter with the sanitizers runs the PCI
# routing method (_PRT) into its 30 s loop timeout, twice per boot; the
# test guest's virtio devices use MSI-X and need no INTx routing.
# xenhv.slow: nested guests run about 8 times slower on this kernel than on
# the fetched ones (scripts/guest/suite.sh scales the nested boots' limits).
echo "acpi=noirq xenhv.slow=4" > "$dir/cmdline"
echo "$key" > "$dir/key"
echo "$kver" > "$dir/stamp"
say "$kver ready in $(( $(date +%s) - t0 ))s: $dir"
