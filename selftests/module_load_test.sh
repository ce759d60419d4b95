#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# xenhv_shim refuses to load when a piece of KVM it needs is missing, with a
# message naming it, and leaves nothing behind: here the vendor module
# (kvm_amd or kvm_intel) is unloaded, the shim must fail to load and name it,
# kvm.ko's reference count must be what it was (every reference the shim
# took while resolving KVM's functions is given back), and with the vendor
# module back the shim loads and unloads again.
n=0 fail=0
echo "TAP version 13"
echo "1..5"

ok() {	# ok NAME CONDITION-EXIT [DIAG]
	n=$((n + 1))
	if [ "$2" = 0 ]; then
		echo "ok $n $1"
	else
		[ -n "${3:-}" ] && echo "# $3"
		echo "not ok $n $1"
		fail=$((fail + 1))
	fi
}

mod=${XENHV_MODULE:-}
kroot=$(sed -n 's/.*xenhv\.kroot=\([^ ]*\).*/\1/p' /proc/cmdline)
vendor=$(awk '$1 == "kvm_amd" || $1 == "kvm_intel" { print $1 }' /proc/modules)
if [ -z "$mod" ] || [ -z "$vendor" ] || [ -z "$kroot" ] || ! grep -q '^xenhv_shim ' /proc/modules; then
	for i in $(seq 5); do echo "ok $i # SKIP needs the test guest's module, kvm vendor module and kernel root"; done
	exit 4
fi
nested=$(cat /sys/module/$vendor/parameters/nested 2>/dev/null)
case $nested in Y|1) nested=1 ;; *) nested=0 ;; esac

rmmod xenhv_shim
before=$(cat /sys/module/kvm/refcnt)
if ! rmmod "$vendor" 2>/dev/null; then
	insmod "$mod"
	for i in $(seq 5); do echo "ok $i # SKIP $vendor is in use"; done
	exit 4
fi
base=$(cat /sys/module/kvm/refcnt)

mark=$(dmesg | wc -l)
out=$(insmod "$mod" 2>&1)
rc=$?
ok refused_without_vendor_module "$([ $rc -ne 0 ] && ! grep -q '^xenhv_shim ' /proc/modules; echo $?)" \
	"insmod exit $rc: $out"
msg=$(dmesg | tail -n +$((mark + 1)) | grep 'xenhv_shim:')
ok refusal_names_what_is_missing \
	"$(printf '%s\n' "$msg" | grep -q 'no KVM vendor module (kvm_amd or kvm_intel) is loaded'; echo $?)" \
	"kernel log: $msg"
now=$(cat /sys/module/kvm/refcnt)
ok no_kvm_reference_left "$([ "$now" = "$base" ]; echo $?)" "kvm refcnt $now, was $base"

modprobe -d "$kroot" -S "$(uname -r)" "$vendor" nested=$nested
insmod "$mod"
ok loads_with_vendor_module "$(grep -q '^xenhv_shim ' /proc/modules; echo $?)"
rmmod xenhv_shim
now=$(cat /sys/module/kvm/refcnt)
insmod "$mod"
ok unload_gives_back_every_reference "$([ "$now" = "$before" ]; echo $?)" \
	"kvm refcnt $now after unload, was $before"
[ $fail -eq 0 ]
