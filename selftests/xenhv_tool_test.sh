#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The xenhv tool against a real, unmodified VMM: QEMU started paused (-S)
# gets an ABI from outside, is listed, detached, re-attached, and its VM's
# attachment ends with the process; "xenhv run" starts QEMU itself, attaches
# it, passes signals on and ends as QEMU ends. Plus the tool's error
# messages and help.
top=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)
X=$top/tools/xenhv/xenhv
n=0 fail=0
echo "TAP version 13"
echo "1..30"

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
	for i in $(seq 30); do echo "ok $i # SKIP needs tools/xenhv, the module and /dev/kvm"; done
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

# A QMP command (default query-status) through a QMP socket, and its answers.
qmp_status() {
	python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(("{\"execute\":\"qmp_capabilities\"}\n{\"execute\":\"%s\"}\n" % sys.argv[2]).encode())
time.sleep(1)
print(s.recv(65536).decode())' "$1" "${2:-query-status}"
}

# xenhv run. A QEMU whose own -S keeps it paused: attached, listed, and a
# SIGTERM to xenhv reaches QEMU, which ends (status 0, as QEMU ends on a
# signal), and so does xenhv, with its status.
qemu=(qemu-system-x86_64 -accel kvm -cpu host -display none -nodefaults -m 64
      -monitor none -serial none)
out=$(mktemp)
"$X" run --abi xen --cpuid -- "${qemu[@]}" -S </dev/null >"$out" 2>&1 &
rpid=$!
for i in $(seq 300); do
	grep -q 'attached VM' "$out" && break
	sleep 0.1
done
vpid=$(pgrep -P $rpid qemu-system)
check run_attaches 0 "attached VM of process $vpid as xen" cat "$out"
check run_lists_it 0 "^[0-9]+ +xen +$vpid +yes" "$X" status
kill -TERM $rpid
wait $rpid
rc=$?
check run_forwards_sigterm 0 "^0 gone$" sh -c "grep -q 'terminating on signal 15' '$out' &&
	{ kill -0 $vpid 2>/dev/null && echo $rc running || echo $rc gone; }"
# Resumed when the command line has no -S: QMP answers "running".
"$X" run --abi hyperv --hv all -- "${qemu[@]}" -qmp unix:"$out.qmp",server=on,wait=off \
	</dev/null >"$out" 2>&1 &
rpid=$!
for i in $(seq 300); do
	grep -q 'attached VM' "$out" && [ -S "$out.qmp" ] && break
	sleep 0.1
done
# xenhv prints its attach line before it resumes QEMU: ask until it ran.
running() {
	local i
	for i in $(seq 20); do
		qmp_status "$1" | grep -q '"running": true' && break
	done
	qmp_status "$1"
}
check run_resumes 0 '"running": true' running "$out.qmp"
kill -INT $rpid
wait $rpid
rc=$?
check run_forwards_sigint 0 "^0$" sh -c "grep -q 'terminating on signal 2' '$out' && echo $rc"
check run_vm_gone 0 'no VM attached' "$X" status
rm -f "$out" "$out.qmp"
check run_missing_vmm 127 'cannot run /nonexistent/qemu' "$X" run --abi xen -- /nonexistent/qemu
check run_vmm_fails_early 3 'ended \(exit status 3\) before its VM was ready' \
	"$X" run --abi xen -- sh -c 'exit 3'
check run_vmm_never_ready 1 'did not offer its VM within 2 s' sh -c \
	"'$X' run --abi xen --timeout 2 -- bash -c 'exec -a xenhvtestvmm sleep 30'; r=\$?
	 pgrep -f -x 'xenhvtestvmm 30' >/dev/null && echo 'the VMM was left running'; exit \$r"
check run_vmm_never_ready_killed 1 '^$' pgrep -f -x 'xenhvtestvmm 30'
check run_needs_abi 2 'usage: ' "$X" run -- true
check help_per_command 0 'xenhv run --abi xen\|hyperv' "$X" run --help

# libvirt's <emulator> wrapper (tools/libvirt/qemu-xenhv), started the way
# libvirt starts QEMU: paused, with libvirt's own QMP socket. The VM is
# attached and left paused for libvirt, which resumes it; a capability
# probe (-machine none) is QEMU alone.
w=$(mktemp -d)
ln -s "$top/tools/libvirt/qemu-xenhv" "$w/qemu-xenhv-xen"
XENHV_QEMU=qemu-system-x86_64 PATH=$top/tools/xenhv:$PATH "$w/qemu-xenhv-xen" "${qemu[@]:1}" -S \
	-qmp unix:"$w/libvirt.qmp",server=on,wait=off </dev/null >"$w/out" 2>&1 &
rpid=$!
for i in $(seq 300); do
	grep -q 'attached VM' "$w/out" && [ -S "$w/libvirt.qmp" ] && break
	sleep 0.1
done
check libvirt_wrapper_attaches 0 "^[0-9]+ +xen +[0-9]+ +yes" "$X" status
check libvirt_wrapper_leaves_start_to_libvirt 0 '"status": "prelaunch"' qmp_status "$w/libvirt.qmp"
resume() { qmp_status "$1" cont >/dev/null; qmp_status "$1"; }
check libvirt_resumes 0 '"running": true' resume "$w/libvirt.qmp"
qmp_status "$w/libvirt.qmp" quit >/dev/null
wait $rpid
XENHV_QEMU=qemu-system-x86_64 PATH=$top/tools/xenhv:$PATH "$w/qemu-xenhv-xen" \
	-machine none,accel=kvm -S -display none -nodefaults -qmp unix:"$w/probe.qmp",server=on,wait=off \
	</dev/null >/dev/null 2>&1 &
ppid=$!
for i in $(seq 100); do [ -S "$w/probe.qmp" ] && break; sleep 0.1; done
# Nothing attached, and the process libvirt started is QEMU itself.
probe_is_qemu() {
	"$X" status && tr '\0' ' ' < "/proc/$1/cmdline" | grep -q '^qemu-system-x86_64 '
}
check libvirt_probe_is_plain_qemu 0 'no VM attached' probe_is_qemu $ppid
kill $ppid
wait $ppid 2>/dev/null
rm -rf "$w"
[ $fail -eq 0 ]
