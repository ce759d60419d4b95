#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The packages as a user installs them: "make deb" builds xenhv-shim-dkms and
# xenhv-tools; both are installed with dpkg into a throwaway Debian system
# (a copy of a cached base with dkms: bookworm for the 6.x kernels, whose
# compiler is Debian 12's gcc-12, and trixie for 7.x, built with gcc-14),
# into which the fetched kernels' headers are mounted. The package's
# postinst has DKMS build and install the module for every kernel with
# headers; each must then have a xenhv_shim.ko whose vermagic is its own.
# The tool must run and find no module there. Runs on the host, as root.
# Prints TAP and "# xenhv-tally: ...".
#
# Usage: tests/pkg/dkms.sh [SERIES...]   (default: 6.1 6.12 7)
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cache=$(realpath -m "${XENHV_CACHE:-$top/.cache}")
series=${*:-6.1 6.12 7}

say() { printf '# %s\n' "$*"; }

# Inside a private mount namespace: nothing stays mounted.
if [ -z "${XENHV_PKG_NS:-}" ]; then
	exec env XENHV_PKG_NS=1 unshare --mount --propagation private -- "$0" "$@"
fi

suite_of() { case $1 in 7|7.*) echo trixie ;; *) echo bookworm ;; esac; }

# What Debian's headers packages and DKMS pull in (pahole: BTF of modules).
pkgs=dkms,gcc,make,libc6-dev,libelf-dev,kmod,bc,flex,bison,openssl,xz-utils,pahole,man-db

# The cached base of a suite: minbase, dkms and the suite's compiler.
base() {
	local suite=$1 dir=$cache/chroot/$1-dkms tmp
	if [ "$(cat "$dir/.ready" 2>/dev/null)" = "$pkgs" ]; then
		echo "$dir"
		return 0
	fi
	tmp=$dir.tmp
	rm -rf "$tmp"
	mkdir -p "$(dirname "$dir")"
	debootstrap --variant=minbase \
		--include="$pkgs" \
		"$suite" "$tmp" http://deb.debian.org/debian > "$tmp.log" 2>&1 ||
		{ sed 's/^/# /' "$tmp.log" | tail -n 20; rm -f "$tmp.log"; return 1; }
	rm -f "$tmp.log"
	rm -rf "$dir"
	mv "$tmp" "$dir"
	echo "$pkgs" > "$dir/.ready"
	echo "$dir"
}

n=0 pass=0 fail=0
check() {	# check NAME CONDITION-EXIT [DETAIL]
	n=$((n + 1))
	if [ "$2" = 0 ]; then
		echo "ok $n $1"
		pass=$((pass + 1))
	else
		echo "not ok $n $1${3:+ ($3)}"
		fail=$((fail + 1))
	fi
}

echo "TAP version 13"
nk=$(echo $series | wc -w)
suites=$(for s in $series; do suite_of "$s"; done | sort -u)
echo "1..$(( nk * 2 + $(echo $suites | wc -w) * 2 + 1 ))"

debs=$(make -s -C "$top" deb 2>&1)
check packages_build "$(echo "$debs" | grep -c '\.deb$' | grep -qx 2; echo $?)" "$debs"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for suite in $suites; do
	b=$(base "$suite") || { check "${suite}_base_system" 1; continue; }
	root=$work/$suite
	cp -a "$b" "$root"
	mount -t proc proc "$root/proc"
	mount --bind /dev "$root/dev"
	# The suite's kernels' headers, where Debian's packages put them.
	kvers=
	for s in $series; do
		[ "$(suite_of "$s")" = "$suite" ] || continue
		k=$cache/kernels/$s
		kver=$(cat "$k/stamp")
		for d in "$k"/root/usr/src/* "$k"/root/usr/lib/linux-kbuild-*; do
			[ -e "$d" ] || continue
			t=$root${d#"$k/root"}
			mkdir -p "$t"
			mount --bind "$d" "$t"
		done
		mkdir -p "$root/lib/modules/$kver"
		ln -sfn "/usr/src/linux-headers-$kver" "$root/lib/modules/$kver/build"
		kvers="$kvers $s:$kver"
	done
	cp $(echo "$debs" | grep '\.deb$') "$root/tmp/"
	out=$(chroot "$root" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		sh -c 'dpkg -i /tmp/xenhv-shim-dkms_*.deb /tmp/xenhv-tools_*.deb' 2>&1)
	rc=$?
	check "${suite}_dpkg_installs_both" $rc "$(echo "$out" | tail -n 5 | tr '\n' ' ')"
	[ $rc -eq 0 ] || echo "$out" | sed 's/^/# /' | tail -n 40
	for sk in $kvers; do
		s=${sk%%:*} kver=${sk#*:}
		ko=$(ls "$root/lib/modules/$kver/updates/dkms/"xenhv_shim.ko* 2>/dev/null | head -n1)
		check "dkms_builds_for_$s" "$([ -n "$ko" ]; echo $?)" \
			"$(tail -q -n 3 "$root"/var/lib/dkms/xenhv-shim/*/build/make.log \
			   "$root"/var/lib/dkms/xenhv-shim/*/"$kver"/x86_64/log/make.log 2>/dev/null |
			   tr '\n' ' ')"
		vm=$(chroot "$root" modinfo -F vermagic "${ko#"$root"}" 2>/dev/null)
		check "module_for_${s}_is_its_own" "$(case $vm in "$kver "*) echo 0 ;; *) echo 1 ;; esac)" \
			"vermagic '$vm', kernel $kver"
	done
	say "$(chroot "$root" dkms status 2>&1 | tr '\n' ';')"
	out=$(chroot "$root" sh -c 'xenhv run --help && man -w xenhv && xenhv version' 2>&1)
	check "${suite}_tool_runs" "$(grep -q 'xenhv run --abi' <<<"$out" &&
		grep -q 'man8/xenhv.8' <<<"$out" &&
		grep -q 'is the xenhv_shim module loaded' <<<"$out"; echo $?)" "$(echo "$out" | tail -n 3 | tr '\n' ' ')"
	for m in $(awk -v r="$root" 'index($2, r) == 1 { print $2 }' /proc/mounts | sort -r); do
		umount "$m"
	done
	rm -rf "$root"
done
echo "# xenhv-tally: pass $pass fail $fail skip 0"
[ $fail -eq 0 ]
