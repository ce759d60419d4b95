#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Acceptance of KVM's Xen uapi by a real guest: an unmodified QEMU 10 with
# its own Xen emulation (-accel kvm,xen-version=0x4000a,kernel-irqchip=split)
# boots Debian's 6.1 kernel as a nested Xen HVM guest with 2 vCPUs, its disk
# on xen-blkfront, its network on xen-netfront (QEMU's user network, to a
# listener here) and a line on hvc0 through xen-console. On a kernel without
# CONFIG_KVM_XEN the shim serves the uapi (its door opened here for the run);
# on one with it, KVM's own code is the control. Runs inside the test guest;
# prints TAP and "# xenhv-tally: ...".
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
qemu=$top/.cache/qemu10/qemu-system-x86_64
kernel=$top/.cache/kernels/6.1/vmlinuz
dir=$top/build/l2
log=$dir/l2-xen-uapi-on-$(uname -r).log
param=/sys/module/xenhv_shim/parameters/xen_uapi
X=$top/tools/xenhv/xenhv
checks="boots detects_xen_hvm xen_clocksource callback_vector xenbus_devices hvc0_console disk_survives_remount network_reaches_host poll_returns events_poll_and_timers_in_kernel"
n=$(echo $checks | wc -w)
echo "TAP version 13"
echo "1..$n"

skip_all() {
	i=0
	for c in $checks; do i=$((i + 1)); echo "ok $i l2_xen_uapi_$c # SKIP $1"; done
	echo "# xenhv-tally: pass 0 fail 0 skip $n"
	exit 0
}
[ -x "$qemu" ] || skip_all "no QEMU 10 (scripts/deps.sh qemu10)"
[ -w /dev/kvm ] || skip_all "no /dev/kvm"
was=
if [ -w "$param" ]; then
	was=$(cat "$param")
	echo 1 > "$param"
fi
restore() { [ -n "$was" ] && echo "$was" > "$param"; }
trap restore EXIT
mkdir -p "$dir"
"$top/tests/l2/mkinitrd.sh" "$dir/initrd.gz"

tmp=$(mktemp -d)
# QEMU's user network reaches the host through its loopback, which the test
# guest does not bring up by itself.
ip link set lo up 2>/dev/null || busybox ip link set lo up
# The emulated test machine crashes some nested boots: its SVM delivers an
# injected interrupt a second time (Documentation/testing.rst). A boot that
# dies or stalls before its report is done is booted again, L2_TRIES times
# in all, while L2_BUDGET seconds have not passed; one that completes is
# never retried. No boot starts that could not end before L2_DEADLINE (the
# epoch second, from scripts/guest/suite.sh --budget).
tries=${L2_TRIES:-10}
budget=${L2_BUDGET:-900}
tmo=${L2_TIMEOUT:-180}
start=$SECONDS
# Where the kernel has Xen emulation of its own, KVM's code serves the uapi,
# the control: the shim takes no part in it.
control=0
grep -qw kvm_xen_hypercall /proc/kallsyms && control=1
# Each boot that did not finish: whether the emulator's known faults
# explain it (an interrupt delivered twice, a stall), or something else.
booted=0 known=0
for try in $(seq "$tries"); do
	[ "$try" -gt 1 ] && [ $((SECONDS - start)) -ge "$budget" ] && break
	if [ -n "${L2_DEADLINE:-}" ] && [ $(( $(date +%s) + tmo + 15 )) -gt "$L2_DEADLINE" ]; then
		echo "# no boot $try of the Xen uapi guest: the run's time is up (L2_DEADLINE)"
		break
	fi
	booted=$((booted + 1))
	# Each boot gets its own disk, listener and logs: nothing a failed
	# boot left can make a later one pass.
	rm -f "$tmp/serial.log" "$tmp/hvc0.log" "$tmp/net.out"
	dd if=/dev/zero of="$tmp/disk.img" bs=1M count=16 status=none
	port=$((20000 + RANDOM % 20000))
	busybox nc -l -p "$port" > "$tmp/net.out" 2>/dev/null &
	ncpid=$!
	rm -f "$tmp/state"
	timeout -k 5 "$tmo" "$qemu" -monitor "tcp:127.0.0.1:$((port + 1)),server,nowait" \
		-accel kvm,xen-version=0x4000a,kernel-irqchip=split \
		-cpu ${L2_CPU:-qemu64} -smp 2 -m 512M -display none -nodefaults -no-reboot \
		-kernel "$kernel" -initrd "$dir/initrd.gz" \
		-append "console=ttyS0 loglevel=1 log_buf_len=4M panic=-1 tsc=reliable nokaslr l2.xendev=$port" \
		-serial "file:$tmp/serial.log" \
		-chardev "file,id=hvc,path=$tmp/hvc0.log" -device xen-console,chardev=hvc \
		-drive "file=$tmp/disk.img,if=none,id=d0,format=raw" -device xen-disk,drive=d0,vdev=xvda \
		-netdev user,id=n0 -device xen-net-device,netdev=n0 \
		</dev/null > "$tmp/qemu.log" 2>&1 &
	qpid=$!
	# The shim's counters go with the VM: keep the last snapshot taken
	# while it ran. None: KVM's own Xen serves the uapi here.
	rm -f "$tmp/status"
	t0=$SECONDS
	while kill -0 $qpid 2>/dev/null; do
		sleep 2
		"$X" status --ops > "$tmp/status.new" 2>/dev/null &&
			grep -q "^[0-9]" "$tmp/status.new" && mv "$tmp/status.new" "$tmp/status"
		# A stall: the vCPUs' state from QEMU's monitor, before the timeout.
		if [ $((SECONDS - t0)) -ge $((tmo - 10)) ] && [ ! -f "$tmp/state" ]; then
			{ printf 'info registers -a\ninfo lapic 0\ninfo lapic 1\n'; sleep 3; } |
				timeout 6 busybox nc 127.0.0.1 $((port + 1)) > "$tmp/state" 2>&1
			cp "$tmp/status" "$tmp/state.status" 2>/dev/null
		fi
	done
	{ wait $qpid; } 2>/dev/null
	qrc=$?
	sleep 1
	kill $ncpid 2>/dev/null
	wait $ncpid 2>/dev/null
	grep -q L2-DONE "$tmp/serial.log" && break
	why="stalled or died"
	[ $qrc -eq 124 ] && why="stalled"
	grep -q 'stack guard page was hit' "$tmp/serial.log" 2>/dev/null &&
		why="an interrupt delivered twice, at IF=0"
	[ "$why" != "stalled or died" ] && known=$((known + 1))
	echo "# boot $try of $tries of the Xen uapi guest did not finish ($why; QEMU exit $qrc); $(tail -n 2 "$tmp/qemu.log" | tr '\n' ' ')"
	cp "$tmp/serial.log" "$log.$try" 2>/dev/null
	if [ -s "$tmp/state" ]; then
		# Where each vCPU stood: RIP, flags (IF), halted or not.
		grep -aE '^(CPU#|RIP=)' "$tmp/state" | tr -d '\r' | sed 's/^/#   /'
		cat "$tmp/state" "$tmp/state.status" >> "$log.$try" 2>/dev/null
	fi
done
{
	cat "$tmp/serial.log" 2>/dev/null
	echo "=== QEMU"; cat "$tmp/qemu.log" 2>/dev/null
	echo "=== hvc0"; cat "$tmp/hvc0.log" 2>/dev/null
	echo "=== received"; cat "$tmp/net.out" 2>/dev/null
	echo "=== the shim's counters"; cat "$tmp/status" 2>/dev/null
} > "$log"

i=0 pass=0 fail=0
# KVM's own Xen that never got through a boot, every time for the
# emulator's known faults (Documentation/testing.rst): the control tells
# nothing about the shim then, and its checks are skipped with the reason.
# The shim's boots have no such excuse.
if [ $control -eq 1 ] && ! grep -q L2-DONE "$tmp/serial.log" 2>/dev/null &&
   [ $known -eq $booted ]; then
	why="crashed or stalled in all $booted boots, on the emulator's known faults"
	[ $booted -eq 0 ] && why="not booted: the run's time is up"
	for c in $checks; do
		i=$((i + 1))
		echo "ok $i l2_xen_uapi_$c # SKIP the control (KVM's own Xen) $why"
	done
	rm -rf "$tmp"
	echo "# xenhv-tally: pass 0 fail 0 skip $n"
	exit 0
fi
check() {	# check NAME CONDITION-EXIT
	i=$((i + 1))
	if [ "$2" = 0 ]; then
		echo "ok $i l2_xen_uapi_$1"
		pass=$((pass + 1))
	else
		echo "not ok $i l2_xen_uapi_$1"
		fail=$((fail + 1))
	fi
}
s=$tmp/serial.log
check boots "$(grep -q L2-DONE "$s"; echo $?)"
check detects_xen_hvm "$(grep -q 'Hypervisor detected: Xen HVM' "$s"; echo $?)"
check xen_clocksource "$(grep -q '^L2-CLOCKSOURCE: xen' "$s"; echo $?)"
check callback_vector "$(grep -q 'Xen HVM callback vector for event delivery is enabled' "$s"; echo $?)"
check xenbus_devices "$(grep -E '^L2-XENBUS: ' "$s" | grep -q 'vbd-' &&
	grep -E '^L2-XENBUS: ' "$s" | grep -q 'vif-'; echo $?)"
check hvc0_console "$(grep -q 'L2-HVC: hello from hvc0' "$tmp/hvc0.log" 2>/dev/null; echo $?)"
d=$(sed -n 's/^L2-DISK: //p' "$s" | tr -d '\r')
check disk_survives_remount "$(set -- $d; [ -n "${1:-}" ] && [ "$1" = "${2:-}" ]; echo $?)"
check network_reaches_host "$(grep -q "L2-NET-HELLO" "$tmp/net.out"; echo $?)"
# The guest's SCHEDOP_poll (tests/l2/l2poll) answered: anything but 0 is a
# BUG() in the guest.
check poll_returns "$(grep -q '^L2-POLL: port [0-9]* polled' "$s"; echo $?)"
# In-kernel event channels (KVM_XEN_HVM_CONFIG_EVTCHN_SEND): QEMU's events
# delivered by the kernel, the guest's sends on the ports QEMU gave it, its
# poll and its timers completed in the kernel, and no poll or yield sent to
# QEMU.
count() { awk -v n="$1" -v f="$2" 'index($0, " " n " ") && / kernel / { print $(NF - f); s = 1 }
	END { if (!s) print 0 }' "$tmp/status"; }
kern() { count "$1" 4; }
user() { count "$1" 2; }
if [ -s "$tmp/status" ]; then
	sed 's/^/# /' "$tmp/status"
	check events_poll_and_timers_in_kernel "$( [ "$(kern '(event from the VMM)')" -gt 0 ] &&
		[ "$(kern event_channel_op)" -gt 0 ] && [ "$(kern sched_op)" -gt 0 ] &&
		[ "$(user sched_op)" -eq 0 ] &&
		[ $(( $(kern vcpu_op) + $(kern set_timer_op) )) -gt 0 ]; echo $?)"
else
	i=$((i + 1))
	echo "ok $i l2_xen_uapi_events_poll_and_timers_in_kernel # SKIP KVM's own Xen serves the uapi here"
	skip=1
fi
[ $fail -eq 0 ] || echo "# the nested guest's log: $log"
rm -rf "$tmp"
echo "# xenhv-tally: pass $pass fail $fail skip ${skip:-0}"
[ $fail -eq 0 ]
