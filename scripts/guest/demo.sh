#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The demonstration, inside a test guest with xenhv_shim loaded.
set -e
X=tools/xenhv/xenhv
echo "demo: kernel $(uname -r), nested KVM: $(cat /sys/module/kvm_*/parameters/nested)"
echo "demo: module $(cat /sys/module/xenhv_shim/version): $($X version)"
echo "demo: three VMs, one per ABI, each guest's first call:"
tools/out/xenhv-demo
echo "demo: an unmodified QEMU, started paused, attached from outside:"
qemu-system-x86_64 -accel kvm -cpu host -S -display none -nodefaults -m 64 \
	-monitor none -serial none </dev/null >/dev/null 2>&1 &
qpid=$!
i=0
while ! ls -l /proc/$qpid/fd 2>/dev/null | grep -q kvm-vm && [ $i -lt 200 ]; do
	sleep 0.1
	i=$((i + 1))
done
$X attach --pid $qpid --abi xen --cpuid
$X status
kill $qpid
wait $qpid 2>/dev/null || true
