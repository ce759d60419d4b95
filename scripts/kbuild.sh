#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run a kernel build command with the target kernel's own compiler: on the
# host, or, when the series has a file "chroot" (scripts/deps.sh made it
# because the host lacks that compiler), inside that Debian chroot. The
# chroot sees the project and the cache at their own paths, and the host's
# /proc and /dev, through mounts in a private mount namespace, which end
# with the command; nothing stays mounted.
#
# Usage: scripts/kbuild.sh SERIES COMMAND [ARG...]
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cache=$(realpath -m "${XENHV_CACHE:-$top/.cache}")
series=$1
shift
f=$cache/kernels/$series/chroot
[ -f "$f" ] || exec "$@"

root=$(cat "$f")
[ -x "$root/bin/sh" ] || { echo "kbuild: chroot $root is missing; run scripts/deps.sh --refresh $series" >&2; exit 1; }
if [ "$(id -u)" -ne 0 ]; then
	exec sudo -E "$0" "$series" "$@"
fi
here=$(pwd)
dirs=("$top")
case $cache/ in "$top"/*) ;; *) dirs+=("$cache") ;; esac
# shellcheck disable=SC2016
exec unshare --mount --propagation private -- /bin/sh -c '
	root=$1 here=$2 n=$3
	shift 3
	for i in $(seq "$n"); do
		mkdir -p "$root$1"
		mount --bind "$1" "$root$1"
		shift
	done
	mount -t proc proc "$root/proc"
	# The host devices (/dev/null above all): a chroot made where
	# debootstrap may not create device nodes has none of its own.
	mount --bind /dev "$root/dev"
	exec chroot "$root" /usr/bin/env -i PATH=/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root MAKEFLAGS="$MAKEFLAGS" \
		/bin/sh -c "cd \"\$0\" && exec \"\$@\"" "$here" "$@"
' kbuild "$root" "$here" ${#dirs[@]} "${dirs[@]}" "$@"
