#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install the host packages the build and the test runner need, and fetch the
# newest Debian 6.1, 6.12 and 7.x kernels (image, modules, build headers)
# into .cache/kernels/<series>/, without installing a kernel on the host.
# The series "debug" is the sanitizer kernel that scripts/debug-kernel.sh
# builds.
#
# 6.1 and 6.12 come from the host's own archive (Debian 12). Series 7 is the
# newest 7.x of trixie-backports and sid, read through the project's own apt
# configuration (.cache/apt: a private sources list and state; the host's
# sources are never touched). A kernel built with a compiler the host lacks
# (Debian's 7.x: gcc-14) is built in a Debian chroot of the suite that has
# it (.cache/chroot/<suite>, made once with debootstrap); the series' file
# "chroot" names it, and scripts/kbuild.sh runs the build there.
#
# Usage: scripts/deps.sh [--refresh] [--checkpatch] [SERIES...]
#   SERIES defaults to "6.1 6.12 7"; "qemu10" fetches QEMU 10 (fetch_qemu
#   below), "vng" installs virtme-ng (fetch_vng), "plot" gnuplot (make bench's
#   plots); --checkpatch also extracts checkpatch.pl
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
# --checkpatch alone (make style) needs no kernel: a 7.x would also make
# its build chroot.
if [ ${#series[@]} -eq 0 ] && [ $want_checkpatch -eq 0 ]; then
	series=(6.1 6.12 7)
fi

pkgs=(qemu-system-x86 busybox-static cpio sparse kmod pahole xz-utils zstd gcc make clang libclang-rt-dev
      libc6-dev libelf-dev bc flex bison rsync debootstrap util-linux)
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

# The project's own apt configuration, for suites the host does not use.
apt_dir=${XENHV_CACHE:-$top/.cache}/apt
private_apt_updated=0
private_apt() {
	if [ ! -f "$apt_dir/apt.conf" ]; then
		mkdir -p "$apt_dir"/{lists/partial,archives/partial,preferences.d}
		: > "$apt_dir/sources.list"
		: > "$apt_dir/status"
		cat > "$apt_dir/apt.conf" <<-EOS
		Dir::Etc::SourceList "$apt_dir/sources.list";
		Dir::Etc::SourceParts "/nonexistent";
		Dir::Etc::Preferences "/nonexistent";
		Dir::Etc::PreferencesParts "$apt_dir/preferences.d";
		Dir::State "$apt_dir";
		Dir::State::Lists "$apt_dir/lists";
		Dir::State::status "$apt_dir/status";
		Dir::Cache "$apt_dir";
		Dir::Cache::Archives "$apt_dir/archives";
		APT::Architecture "amd64";
		APT::Sandbox::User "root";
		EOS
	fi
	# Rewritten every time, so that an older cache gains new suites.
	cat > "$apt_dir/sources.list" <<-EOS
	deb http://deb.debian.org/debian trixie-backports main
	deb http://deb.debian.org/debian sid main
	deb http://deb.debian.org/debian bookworm-backports main
	EOS
	if [ $private_apt_updated -eq 0 ]; then
		say "apt-get update (project sources: trixie-backports, sid, bookworm-backports)"
		APT_CONFIG=$apt_dir/apt.conf apt-get update -qq
		private_apt_updated=1
	fi
}


# The newest "<series>.*-amd64" image in the archive whose build headers are
# also there; prints the kernel ABI name (e.g. 6.1.0-56, 6.12.117+deb12 or
# 7.3.4+deb13). Debian 12 names the image package -amd64-unsigned; from 13
# on it is -amd64, split into linux-binary-, linux-modules- and linux-base-.
resolve_abi() {
	local s=$1 apt=$2 re abi
	re="^linux-image-${s//./\\.}\\.[0-9][^-]*(-[0-9]+)?-amd64(-unsigned)?\$"
	for abi in $($apt apt-cache pkgnames linux-image- | grep -E "$re" |
		     sed -e 's/^linux-image-//' -e 's/-unsigned$//' -e 's/-amd64$//' | sort -urV); do
		if $apt apt-cache show "linux-headers-$abi-amd64" >/dev/null 2>&1; then
			echo "$abi"
			return 0
		fi
	done
	return 1
}

# 7.x headers use __typeof_unqual__, which sparse parses from 0.6.5: take
# sid's sparse binary when the chroot's own is older. The output is read
# whole before it is searched: "sparse | grep -q" under pipefail fails
# whenever grep stops reading before sparse stops writing.
sparse_fails() {
	local out
	out=$(chroot "$1" "$2" /tmp/tu.c 2>&1) || true
	case $out in *error*) return 0 ;; esac
	return 1
}

chroot_sparse() {
	local root=$1
	printf 'static int u(const int *q) { __typeof_unqual__(*q) v = *q; return v; }\n' > "$root/tmp/tu.c"
	if sparse_fails "$root" sparse; then
		say "taking sid's sparse into $root"
		private_apt
		(cd "$root/tmp" && APT_CONFIG=$apt_dir/apt.conf apt-get download -q sparse 2>&1 |
			grep -v '^W: Download is performed unsandboxed' || true)
		dpkg-deb --fsys-tarfile "$root"/tmp/sparse_*.deb | tar -x -O ./usr/bin/sparse > "$root/usr/local/bin/sparse"
		chmod 0755 "$root/usr/local/bin/sparse"
		rm -f "$root"/tmp/sparse_*.deb
		if sparse_fails "$root" /usr/local/bin/sparse; then
			rm -f "$root/tmp/tu.c"
			echo "deps: no sparse that parses the kernel headers in $root" >&2
			exit 1
		fi
	fi
	rm -f "$root/tmp/tu.c"
}

# The chroot with the compiler a kernel was built with, when the host lacks
# it: Debian's suite of the kernel's own origin (trixie-backports: trixie).
make_chroot() {
	local suite=$1 cc=$2 dir=${XENHV_CACHE:-$top/.cache}/chroot/$1 tmp
	if [ -f "$dir/.ready" ] && chroot "$dir" sh -c "command -v $cc" >/dev/null 2>&1; then
		chroot_sparse "$dir" >&2
		echo "$dir"
		return 0
	fi
	say "creating the $suite build chroot for $cc (debootstrap)" >&2
	rm -rf "$dir"
	tmp=$dir.tmp
	rm -rf "$tmp"
	mkdir -p "$(dirname "$dir")"
	debootstrap --variant=minbase \
		--include="$cc,make,libelf-dev,bc,flex,bison,libc6-dev,kmod,pahole,rsync,xz-utils,sparse,perl" \
		"$suite" "$tmp" http://deb.debian.org/debian > "$tmp.log" 2>&1 ||
		{ tail -n 20 "$tmp.log" >&2; echo "deps: debootstrap $suite failed" >&2; exit 1; }
	rm -f "$tmp.log"
	chroot_sparse "$tmp" >&2
	mv "$tmp" "$dir"
	touch "$dir/.ready"
	echo "$dir"
}

# Debian's kbuild packages leave out scripts/checker-valid.sh, which a C=1/2
# build of 6.12+ runs to see that sparse works; put in one that checks the
# same: the checker runs and parses what the kernel headers use.
checker_valid() {
	local f=$1/scripts/checker-valid.sh
	[ -e "$f" ] || ! grep -qs checker-valid.sh "$1"/../linux-headers-*-common/Makefile && return 0
	rm -f "$f"
	cat > "$f" <<-'EOS'
	#!/bin/sh
	# Prints 1 when the checker ("$@") runs and parses __typeof_unqual__.
	command -v "$1" >/dev/null 2>&1 || { echo 0; exit 0; }
	t=$(mktemp --suffix=.c)
	echo 'static int u(const int *q) { __typeof_unqual__(*q) v = *q; return v; }' > "$t"
	if "$@" "$t" 2>&1 | grep -q error; then echo 0; else echo 1; fi
	rm -f "$t"
	EOS
	chmod 0755 "$f"
}

fetch_series() {
	local s=$1 dir=$cache/$1 abi kbuild tmp kver hdr
	if [ -f "$dir/stamp" ] && [ $refresh -eq 0 ]; then
		[ ! -f "$dir/chroot" ] || chroot_sparse "$(cat "$dir/chroot")" >&2
		return 0
	fi
	# apt for a series: the host's for 6.x, the project's own for 7.
	case $s in
	7|7.*) private_apt; apt="env APT_CONFIG=$apt_dir/apt.conf" ;;
	*) apt_update_once; apt=env ;;
	esac
	abi=$(resolve_abi "$s" "$apt") || { echo "deps: no $s kernel with headers found in the archive" >&2; exit 1; }
	kver=$abi-amd64
	if [ -f "$dir/stamp" ] && [ "$(cat "$dir/stamp")" = "$kver" ]; then
		return 0
	fi
	kbuild=$($apt apt-cache show "linux-headers-$kver" | sed -n 's/^Depends: //p' | head -n1 |
		 tr ',' '\n' | sed -n 's/^ *\(linux-kbuild-[^ ]*\).*/\1/p' | head -n1)
	if $apt apt-cache show "linux-image-$kver-unsigned" >/dev/null 2>&1; then
		image=("linux-image-$kver-unsigned")
	else
		# The image package only depends on its parts.
		image=($($apt apt-cache show "linux-image-$kver" | sed -n 's/^Depends: //p' | head -n1 |
			 tr ',' '\n' | sed -n 's/^ *\(linux-\(binary\|modules\|base\)-[^ ]*\).*/\1/p'))
	fi
	say "fetching $s: $kver (${image[*]} $kbuild)"
	tmp=$(mktemp -d "$cache/.fetch.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	(cd "$tmp" && $apt apt-get download -q "${image[@]}" "linux-headers-$kver" \
		"linux-headers-$abi-common" "$kbuild" 2>&1 | grep -v '^W: Download is performed unsandboxed' || true)
	mkdir -p "$tmp/root"
	for d in "$tmp"/*.deb; do dpkg-deb -x "$d" "$tmp/root"; done
	# Debian 13 ships modules under /usr/lib/modules and the image beside them.
	if [ -d "$tmp/root/usr/lib/modules/$kver" ] && [ ! -e "$tmp/root/lib/modules/$kver" ]; then
		mkdir -p "$tmp/root/lib/modules"
		mv "$tmp/root/usr/lib/modules/$kver" "$tmp/root/lib/modules/$kver"
	fi
	if [ -f "$tmp/root/lib/modules/$kver/vmlinuz" ]; then
		mkdir -p "$tmp/root/boot"
		mv "$tmp/root/lib/modules/$kver/vmlinuz" "$tmp/root/boot/vmlinuz-$kver"
	fi
	# kbuild's scripts link from the headers to /usr/lib (13) or /usr/src (12).
	hdr=$tmp/root/usr/src/linux-headers-$kver
	[ -f "$hdr/Makefile" ] && [ -f "$tmp/root/boot/vmlinuz-$kver" ] ||
		{ echo "deps: $kver image or headers did not unpack" >&2; exit 1; }
	# The arch headers name the common tree (and, from 13, their own output
	# directory) by absolute /usr/src paths: make them relative.
	out=$(grep -c '^KBUILD_OUTPUT' "$hdr/Makefile" || true)
	{
		if [ "$out" -gt 0 ]; then
			echo "KBUILD_OUTPUT := \$(patsubst %/,%,\$(dir \$(abspath \$(lastword \$(MAKEFILE_LIST)))))"
		fi
		echo "include \$(dir \$(lastword \$(MAKEFILE_LIST)))../linux-headers-$abi-common/Makefile"
	} > "$hdr/Makefile"
	rm -rf "$dir"
	mkdir -p "$dir"
	mv "$tmp/root" "$dir/root"
	ln -s "root/usr/src/linux-headers-$kver" "$dir/build"
	ln -s "root/boot/vmlinuz-$kver" "$dir/vmlinuz"
	ln -s "root/lib/modules/$kver" "$dir/modules"
	depmod -b "$dir/root" "$kver"
	# Build with the kernel's own compiler: the host's, or a chroot's.
	cc=$(sed -n 's/^CC = .*[ )]\(gcc-[0-9][0-9]*\)$/\1/p' "$dir/build/.kernelvariables" 2>/dev/null)
	if [ -n "$cc" ] && ! command -v "$cc" >/dev/null; then
		suite=$($apt apt-cache policy "linux-headers-$kver" | awk '/^ +[0-9]+ http/ { print $3; exit }')
		suite=${suite%%/*}
		suite=${suite%-backports}
		make_chroot "$suite" "$cc" > "$dir/chroot"
	fi
	checker_valid "$dir/build"
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

# QEMU 10 with its Xen emulation (-accel kvm,xen-version=...), which Debian 12
# has only in bookworm-backports: unpacked into .cache/qemu10 beside the
# host's QEMU, which keeps booting the test guests. Its libraries are
# Debian 12's own; its firmware comes from the same suite (-L, run-qemu10).
fetch_qemu() {
	local dir=${XENHV_CACHE:-$top/.cache}/qemu10 tmp
	if [ -x "$dir/qemu-system-x86_64" ] && [ $refresh -eq 0 ]; then
		return 0
	fi
	private_apt
	say "fetching QEMU 10 (bookworm-backports)"
	tmp=$(mktemp -d)
	(cd "$tmp" && APT_CONFIG=$apt_dir/apt.conf apt-get download -q \
		qemu-system-x86/bookworm-backports qemu-system-common/bookworm-backports \
		qemu-system-data/bookworm-backports seabios/bookworm-backports 2>&1 |
		grep -v '^W: Download is performed unsandboxed' || true)
	mkdir -p "$tmp/root"
	for d in "$tmp"/*.deb; do dpkg-deb -x "$d" "$tmp/root"; done
	[ -x "$tmp/root/usr/bin/qemu-system-x86_64" ] ||
		{ echo "deps: QEMU 10 did not unpack" >&2; exit 1; }
	missing=$(ldd "$tmp/root/usr/bin/qemu-system-x86_64" | grep 'not found' || true)
	[ -z "$missing" ] || { echo "deps: QEMU 10 lacks libraries: $missing" >&2; exit 1; }
	rm -rf "$dir"
	mkdir -p "$dir"
	mv "$tmp/root" "$dir/root"
	cat > "$dir/qemu-system-x86_64" <<-'EOS'
	#!/bin/sh
	d=$(dirname "$(readlink -f "$0")")/root/usr/share
	exec "$d/../bin/qemu-system-x86_64" -L "$d/qemu" -L "$d/seabios" "$@"
	EOS
	chmod 0755 "$dir/qemu-system-x86_64"
	rm -rf "$tmp"
	say "QEMU 10 ready: $dir/qemu-system-x86_64 ($("$dir/qemu-system-x86_64" --version | head -n1))"
}

# virtme-ng, which Debian 12 lacks: Debian's own package (architecture all)
# from the project's apt configuration, installed with dpkg after its
# dependencies, which Debian 12 has.
fetch_vng() {
	local tmp deps=(python3-argcomplete python3-requests util-linux-extra kbd file iproute2
			busybox-static kmod)
	command -v vng >/dev/null && [ $refresh -eq 0 ] && return 0
	apt_update_once
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		"${deps[@]}"
	private_apt
	tmp=$(mktemp -d)
	(cd "$tmp" && APT_CONFIG=$apt_dir/apt.conf apt-get download -q virtme-ng 2>&1 |
		grep -v '^W: Download is performed unsandboxed' || true)
	ls "$tmp"/virtme-ng_*.deb >/dev/null 2>&1 || { echo "deps: no virtme-ng package found" >&2; exit 1; }
	as_root dpkg -i "$tmp"/virtme-ng_*.deb >/dev/null
	rm -rf "$tmp"
	say "virtme-ng ready: $(vng --version)"
}

mkdir -p "$cache"
for s in "${series[@]}"; do
	if [ "$s" = vng ]; then
		fetch_vng
	elif [ "$s" = plot ]; then
		command -v gnuplot >/dev/null || {
			apt_update_once
			as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
				--no-install-recommends gnuplot-nox
		}
	elif [ "$s" = qemu10 ]; then
		fetch_qemu
	elif [ "$s" = debug ]; then
		"$top/scripts/debug-kernel.sh" $([ $refresh -eq 0 ] || echo --refresh)
	else
		fetch_series "$s"
	fi
done
[ $want_checkpatch -eq 0 ] || fetch_checkpatch
