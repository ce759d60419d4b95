#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The demonstration, inside a test guest with xenhv_shim loaded: each guest
# ABI's first call from a small VM, then a real Linux guest (Debian's 6.1
# kernel, two vCPUs) booted by an unmodified QEMU under "xenhv run", once
# as a Xen guest and once as a Hyper-V guest, with the guest's own lines
# that show it found and used the enlightenments, and the shim's counters.
X=tools/xenhv/xenhv
rc=0
echo "demo: kernel $(uname -r), nested KVM: $(cat /sys/module/kvm_*/parameters/nested)"
echo "demo: module $(cat /sys/module/xenhv_shim/version): $($X version | head -n 1)"
echo "demo: three small VMs, one per ABI, each guest's first call:"
tools/out/xenhv-demo || rc=1
for abi in xen hyperv-lapic; do
	case $abi in
	xen) how="--abi xen --cpuid --no-user-exits" ;;
	*) how="--abi hyperv --hv all,-stimer-direct --cpuid --no-user-exits" ;;
	esac
	echo
	echo "demo: a Debian 6.1 guest under: xenhv run $how -- qemu-system-x86_64 ..."
	out=$(L2_REBOOT=0 L2_TRIES=3 tests/l2/boot.sh $abi 2>&1)
	[ $? -eq 0 ] || rc=1
	log=$(printf '%s\n' "$out" | sed -n 's/.*; log: //p' | tail -n 1)
	echo "demo: what the guest's kernel says about its hypervisor:"
	grep -aE '^L2-(LOG|CLOCKSOURCE|CLOCKEVENT): ' "$log" 2>/dev/null |
		grep -aE 'Hypervisor detected|Xen version|callback vector|Hyper-V: (Using|LAPIC)|PV spinlocks enabled|clocksource: (xen|hyperv)|Xen timer|CLOCK' |
		sed -e 's/^L2-LOG: /  guest: /' -e 's/^L2-CLOCKSOURCE: /  guest: clocksource now: /' \
		    -e 's/^L2-CLOCKEVENT: /  guest: clock events from: /' -e 's/: mask: .*//' | head -n 12
	echo "demo: its calls, as the shim counted them (xenhv status --ops):"
	printf '%s\n' "$out" | grep -E '^#  +[A-Za-z(]' | sed 's/^#/ /'
	echo "demo: checks: $(printf '%s\n' "$out" | grep -c '^ok') passed, $(printf '%s\n' "$out" | grep -c '^not ok') failed"
done
exit $rc
