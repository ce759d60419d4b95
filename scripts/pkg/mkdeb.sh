#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Debian packages of the project, built with dpkg-deb alone:
#   xenhv-shim-dkms_VERSION_all.deb  the module's sources for DKMS (make
#                                    dkms-install), the udev rule for
#                                    /dev/xenhv_shim; DKMS builds and installs
#                                    the module for every kernel with headers
#   xenhv-tools_VERSION_amd64.deb    the xenhv tool, its man page and libvirt's
#                                    <emulator> wrappers (/usr/lib/xenhv)
# Usage: scripts/pkg/mkdeb.sh OUTDIR VERSION
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
out=$(realpath -m "$1")
ver=$2
mkdir -p "$out"
rm -f "$out"/xenhv-shim-dkms_*.deb "$out"/xenhv-tools_*.deb
st=$(mktemp -d)
trap 'rm -rf "$st"' EXIT

# The DKMS package.
d=$st/dkms
make -s -C "$top" dkms-install DESTDIR="$d" PKGVER="$ver" >/dev/null
install -D -m 0644 "$top/udev/60-xenhv-shim.rules" "$d/lib/udev/rules.d/60-xenhv-shim.rules"
install -D -m 0644 "$top/Documentation/xenhv_shim.4" "$d/usr/share/man/man4/xenhv_shim.4"
gzip -9n "$d/usr/share/man/man4/xenhv_shim.4"
mkdir -p "$d/DEBIAN"
cat > "$d/DEBIAN/control" <<EOC
Package: xenhv-shim-dkms
Version: $ver
Architecture: all
Maintainer: xenhv_shim developers <xenhv-shim@localhost>
Depends: dkms (>= 2.8), kmod
Section: kernel
Priority: optional
Description: Xen or Hyper-V enlightenments for each KVM VM (DKMS sources)
 xenhv_shim is a kernel module for KVM hosts that presents the Xen or the
 Hyper-V enlightenment ABI to each VM, chosen per VM. This package holds its
 sources, which DKMS builds for every installed kernel with headers.
EOC
cat > "$d/DEBIAN/postinst" <<EOC
#!/bin/sh
set -e
if [ "\$1" = configure ]; then
	dkms add -m xenhv-shim -v $ver >/dev/null 2>&1 || true
	# Every kernel whose headers are installed; none is not an error.
	for k in /lib/modules/*/build; do
		[ -e "\$k" ] || continue
		k=\${k%/build}
		dkms install -m xenhv-shim -v $ver -k "\${k##*/}" || true
	done
	command -v udevadm >/dev/null && udevadm control --reload 2>/dev/null || true
fi
EOC
cat > "$d/DEBIAN/prerm" <<EOC
#!/bin/sh
set -e
if [ "\$1" = remove ] || [ "\$1" = upgrade ]; then
	dkms remove -m xenhv-shim -v $ver --all >/dev/null 2>&1 || true
fi
EOC
chmod 0755 "$d/DEBIAN/postinst" "$d/DEBIAN/prerm"
dpkg-deb --root-owner-group -Zxz --build "$d" "$out/xenhv-shim-dkms_${ver}_all.deb" >/dev/null

# The tools package.
t=$st/tools
make -s -C "$top/tools/xenhv" xenhv >/dev/null
make -s -C "$top/tools/xenhv" install DESTDIR="$t" PREFIX=/usr >/dev/null
# libvirt's <emulator> wrapper, under the names that choose the ABI.
install -D -m 0755 "$top/tools/libvirt/qemu-xenhv" "$t/usr/lib/xenhv/qemu-xenhv-xen"
ln -s qemu-xenhv-xen "$t/usr/lib/xenhv/qemu-xenhv-hyperv"
mkdir -p "$t/DEBIAN"
cat > "$t/DEBIAN/control" <<EOC
Package: xenhv-tools
Version: $ver
Architecture: amd64
Maintainer: xenhv_shim developers <xenhv-shim@localhost>
Depends: libc6
Recommends: xenhv-shim-dkms
Section: admin
Priority: optional
Description: Give KVM VMs the Xen or Hyper-V ABI of xenhv_shim
 xenhv attaches a VMM's KVM VM to the Xen or Hyper-V ABI of the xenhv_shim
 module (xenhv attach, xenhv run -- qemu-system-x86_64 ...), detaches it and
 shows the attached VMs and their calls.
EOC
dpkg-deb --root-owner-group -Zxz --build "$t" "$out/xenhv-tools_${ver}_amd64.deb" >/dev/null
echo "$out/xenhv-shim-dkms_${ver}_all.deb"
echo "$out/xenhv-tools_${ver}_amd64.deb"
