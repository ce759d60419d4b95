#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The xenhv tool against a real, unmodified VMM: QEMU started paused (-S)
# gets an ABI from outside, is listed, detached, re-attached, and its VM's
# attachment ends with the process. Plus the tool's error messages.
top=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)
X=$top/tools/xenhv/xenhv
n=0 fail=0
echo "TAP version 13"
echo "1..14"

check() {	# check NAME WANT-EXIT PATTERN CMD...
	local name=$1 want=$2 pat=$3 out rc
	shift 3
	out=$("$@" 2>&1)
	rc=$?
	n=$((n + 1))
	if [ "$rc" = "$want" ] && printf '%s\n' "$out" | grep -qE "$pat"; then
		echo "ok $n $name"
	else
		echo "# got exit $rc: $out"
		echo "not ok $n $name"
		fail=$((fail + 1))
	fi
}

if [ ! -x "$X" ] || [ ! -e /dev/xenhv_shim ] || [ ! -w /dev/kvm ]; then
	for i in $(seq 14); do echo "ok $i # SKIP needs tools/xenhv, the module and /dev/kvm"; done
	exit 4
fi

qemu-system-x86_64 -accel kvm -cpu host -S -display none -nodefaults -m 64 \
	-monitor none -serial none </dev/null >/dev/null 2>&1 &
qpid=$!
for i in $(seq 200); do
	ls -l /proc/$qpid/fd 2>/dev/null | grep -q kvm-vm && break
	sleep 0.1
done

check version 0 '^api 1, abis: xen hyperv' "$X" version
check version_names 0 '^hv: relaxed vpindex .*stimer-direct .*idle$' "$X" version
check attach_paused_qemu 0 "attached VM of process $qpid as xen" \
	"$X" attach --pid "$qpid" --abi xen --cpuid --xen-version 4.13
check status_lists_it 0 "^[0-9]+ +xen +$qpid +yes" "$X" status
check second_attach_refused 1 'already attached' "$X" attach --pid "$qpid" --abi hyperv
check detach_and_reattach 0 "attached VM of process $qpid as hyperv" \
	sh -c "'$X' detach --pid $qpid && '$X' attach --pid $qpid --abi hyperv"
check hv_set_refused 1 'refused the --hv set' sh -c \
	"'$X' detach --pid $qpid && '$X' attach --pid $qpid --abi hyperv --hv synic"
check hv_set_by_name 0 "attached VM of process $qpid as hyperv" \
	"$X" attach --pid "$qpid" --abi hyperv --hv all,-stimer-direct
check reset_keeps_attachment 0 "^[0-9]+ +hyperv +$qpid +no" sh -c \
	"'$X' reset --pid $qpid && '$X' status"
check hv_unknown_name 1 "unknown feature 'hv-foo'" "$X" attach --pid "$qpid" --abi hyperv \
	--hv relaxed,hv-foo
kill "$qpid"
wait "$qpid" 2>/dev/null
check vm_gone_with_process 0 'no VM attached' "$X" status
check no_such_process 1 'no process 999999' "$X" attach --pid 999999 --abi xen
check process_without_vm 1 "process $$ has no KVM VM" "$X" attach --pid $$ --abi xen
check unprivileged_user 1 'permission denied' \
	setpriv --reuid=65534 --regid=65534 --clear-groups "$X" version
[ $fail -eq 0 ]
