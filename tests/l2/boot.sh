#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Acceptance by a real guest: boot Debian's 6.1 kernel as a nested (L2)
# guest with 2 vCPUs under an unmodified QEMU started by "xenhv run", which
# starts it paused, attaches its VM to an ABI and resumes it, and check from
# its kernel log that it found and used that ABI, reached userspace and
# powered off.
# Runs inside the test guest; prints TAP and "# xenhv-tally: ...".
#
# Usage: tests/l2/boot.sh xen|hyperv|hyperv-lapic|native|kvm-hyperv
#   hyperv-lapic: Hyper-V with direct-mode synthetic timers withheld
#   (xenhv attach --hv all,-stimer-direct), so the guest's clock events
#   come from its LAPIC timer; native: not attached, stock KVM;
#   kvm-hyperv: not attached, Hyper-V as KVM itself presents it (QEMU's
#   hv-* enlightenments), the control for the hyperv boot.
#
# The test machine's CPU is emulated (TCG), and its emulation of nested
# SVM does not always honour a nested guest's TLB flushes: unattached
# nested guests crash the same way, and tests/l2/tlbstress.c crashes
# most nested guests, attached or not. A boot that crashes or stalls
# before its report is done is therefore booted again, seven times at most;
# the failed attempts' logs are kept (.1, .2, ...) and each retry is printed. A boot
# that completes is never retried. No boot starts that could not end before
# L2_DEADLINE (the epoch second, from scripts/guest/suite.sh --budget).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
abi=$1
dir=$top/build/l2
log=$dir/l2-$abi-on-$(uname -r).log
X=$top/tools/xenhv/xenhv
kernel=$top/.cache/kernels/6.1/vmlinuz
case $abi in
xen|hyperv|hyperv-lapic|native|kvm-hyperv) ;;
*) echo "usage: $0 xen|hyperv|hyperv-lapic|native|kvm-hyperv" >&2; exit 2 ;;
esac
# A plain CPU model: with "-cpu host" the nested guest also gets the
# emulated CPU's XSAVE layout, which its kernel warns about.
cpu=${L2_CPU:-qemu64}
# KVM's own Hyper-V: what the shim implements, less guest idle (KVM has
# none), with KVM's signature hidden so that the guest picks Hyper-V.
[ "$abi" = kvm-hyperv ] &&
	cpu=$cpu,kvm=off,hv-relaxed,hv-vpindex,hv-runtime,hv-time,hv-frequencies,hv-synic,hv-stimer,hv-stimer-direct,hv-tlbflush,hv-ipi
# L2_TLBSTRESS=1 runs the two-CPU unmap loop in the nested guest: a stress
# of remote TLB flushes that, on this emulated machine, crashes nested
# guests of every kind (see above), so it is not part of the checks.
extra=
[ -n "${L2_TLBSTRESS:-}" ] && extra=l2.tlbstress
# L2_APPEND: more kernel parameters for the nested guest (experiments).
extra="$extra ${L2_APPEND:-}"
# An attached guest reboots (L2_REBOOT=0: not): two complete boots on the
# same VM and attachment, the second after QEMU's system reset, must pass
# the same checks. QEMU then runs without -no-reboot and the harness quits
# it after the second complete report. A boot the emulated machine crashes
# (see above) reboots too (panic=-1): the boots after it are still boots
# after a reset, so it is not held against the run, up to four crashes.
case $abi in native|kvm-hyperv) reboot=${L2_REBOOT:-0} ;; *) reboot=${L2_REBOOT:-1} ;; esac
want=1 noreboot=-no-reboot
if [ "$reboot" = 1 ]; then
	want=2 noreboot= extra="$extra l2.reboot"
fi
# The reports in a log (one per boot).
dones() {
	grep -c L2-DONE "$1" 2>/dev/null || true
}
mkdir -p "$dir"
"$top/tests/l2/mkinitrd.sh" "$dir/initrd.gz"

# L2_STACKS=1 (debugging): each stuck vCPU's stack from its stack pointer
# to the end of the page, which for a vCPU in an interrupt is the top of
# its IRQ stack; the top word there holds the stack pointer of the
# interrupted context, whose frame (pt_regs) is dumped too.
peek_stacks() {
	local n rsp top saved
	sleep 3
	for n in 0 1; do
		rsp=$(tr -d '\r' < "$tmp/monitor.log" | awk -v c="CPU#$n" '
			$0 == c { f = 1 } f && /RSP=/ { sub(/.*RSP=/, ""); print $1; exit }')
		[ -n "$rsp" ] || continue
		top=$(printf "%016x" $(( (0x$rsp | 0xfff) - 7 )))
		echo "cpu $n" > "$tmp/mon.in"
		echo "x /$(( (0x$top - 0x$rsp) / 8 + 1 ))xg 0x$rsp" > "$tmp/mon.in"
		echo "x /1xg 0x$top" > "$tmp/mon.in"
		sleep 2
		saved=$(tr -d '\r' < "$tmp/monitor.log" | grep -ao "$top: 0x[0-9a-f]*" | tail -n 1 | sed 's/.*0x//')
		[ -n "$saved" ] && echo "x /48xg 0x$saved" > "$tmp/mon.in"
		sleep 2
	done
}

# One boot: sets $qrc, $stalled, $status and writes $log.
boot_once() {
	local tmp qpid vmm calls=-1 still=0 c cmd start
	# FIFOs and the serial log live on the guest's tmpfs (not on 9p).
	tmp=$(mktemp -d)
	mkfifo "$tmp/mon.in" "$tmp/mon.out"
	cat "$tmp/mon.out" > "$tmp/monitor.log" &
	stalled=0
	start=$(date +%s)
	# An attached guest's QEMU runs under "xenhv run", which starts it
	# paused, attaches its VM and resumes it, as a user would run it.
	case $abi in
	native|kvm-hyperv) run=() ;;
	hyperv-lapic) run=("$X" run --abi hyperv --hv all,-stimer-direct --cpuid
			   --no-user-exits --) ;;
	*) run=("$X" run --abi "$abi" --cpuid --no-user-exits --) ;;
	esac
	timeout -k 5 ${L2_TIMEOUT:-180} "${run[@]}" qemu-system-x86_64 -accel kvm -cpu $cpu \
		-smp ${L2_SMP:-2} -m 512M -display none -nodefaults $noreboot \
		-kernel "$kernel" -initrd "$dir/initrd.gz" \
		-append "console=ttyS0 loglevel=${L2_LOGLEVEL:-1} log_buf_len=4M panic=-1 tsc=reliable nokaslr $extra" \
		-serial "file:$tmp/serial.log" -chardev pipe,id=mon,path="$tmp/mon" -mon chardev=mon \
		</dev/null > "$tmp/run.out" 2>&1 &
	qpid=$!
	# timeout(1) is the parent; its child (xenhv, which passes signals
	# on to QEMU, or QEMU) ends the VM when it is killed.
	vmm=
	for i in $(seq 300); do
		vmm=$(pgrep -P $qpid) && break
		sleep 0.1
	done
	[ -n "$vmm" ] || vmm=$qpid
	# The shim's counters go with the VM: keep the last snapshot taken
	# while it ran (every 2 s, or every L2_TRACE seconds, printed). A guest
	# that makes no call but reads for L2_STALL seconds before its report
	# is done is stuck: its vCPUs' registers and LAPICs are taken from
	# QEMU's monitor for the log before it is stopped (see "Looking at a
	# stuck nested guest" in Documentation/testing.rst).
	while kill -0 $qpid 2>/dev/null; do
		sleep ${L2_TRACE:-2}
		"$X" status --ops > "$tmp/status.new" 2>/dev/null &&
			grep -q "^[0-9]" "$tmp/status.new" && mv "$tmp/status.new" "$tmp/status"
		[ -n "${L2_TRACE:-}" ] && sed 's/^/# trace: /' "$tmp/status" 2>/dev/null
		# Progress is any call but reads: a guest that only reads
		# (a clock in a wait loop) is stuck too.
		c=$(awk '/ kernel / && !/MSR read|CPUID/ { n += $(NF - 4) + $(NF - 2) }
			END { print n + 0 }' "$tmp/status" 2>/dev/null)
		# Every report is in: quit a rebooting guest.
		if [ "$(dones "$tmp/serial.log")" -ge $want ] && [ "$reboot" = 1 ]; then
			echo quit > "$tmp/mon.in"
			sleep 1
			continue
		fi
		# A guest that keeps panicking would reboot for ever.
		if [ "$reboot" = 1 ] && [ "$(grep -c 'Kernel panic' "$tmp/serial.log")" -ge 4 ]; then
			kill $vmm 2>/dev/null
			break
		fi
		if [ "$c" = "$calls" ] && [ "$(dones "$tmp/serial.log")" -lt $want ]; then
			still=$((still + ${L2_TRACE:-2}))
		else
			still=0 calls=$c
		fi
		# An unattached guest has no counters: it counts as stuck when
		# its report is not done 40 s before the time limit.
		if { [ $still -ge ${L2_STALL:-40} ] && [ -n "$calls" ]; } ||
		   { [ $(( $(date +%s) - start )) -ge $(( ${L2_TIMEOUT:-180} - 40 )) ] &&
		     [ "$(dones "$tmp/serial.log")" -lt $want ]; }; then
			stalled=1
			for cmd in "info registers -a" "info lapic 0" "info lapic 1" "info pic"; do
				echo "$cmd" > "$tmp/mon.in"
			done
			# L2_PEEK=ADDR,...: guest memory at kernel addresses.
			for c in $(echo "${L2_PEEK:-}" | tr , ' '); do
				echo "x /4xg 0x$c" > "$tmp/mon.in"
			done
			[ -n "${L2_STACKS:-}" ] && peek_stacks
			# An NMI: with L2_APPEND=unknown_nmi_panic the guest
			# prints its stuck CPU's call chain on the console.
			sleep 2
			echo nmi > "$tmp/mon.in"
			sleep 8
			kill $vmm 2>/dev/null
			break
		fi
	done
	wait $qpid
	qrc=$?
	sed 's/^/# /' "$tmp/run.out"
	cp "$tmp/serial.log" "$log"
	status=$(cat "$tmp/status" 2>/dev/null)
	if [ $stalled -eq 1 ]; then
		echo "# L2 ($abi) stuck before its report was done (no call but reads for ${L2_STALL:-40}s, or near the time limit)"
		{
			echo "=== stalled: QEMU monitor"
			tr -d '\r' < "$tmp/monitor.log"
			echo "=== stalled: shim counters"
			echo "$status"
		} >> "$log"
	fi
	rm -rf "$tmp"
}

# Crashed or stuck before its report was done (not: completed with bad results).
broke() {
	[ "$(dones "$log")" -lt $want ] &&
		{ [ "$qrc" = 124 ] || [ $stalled -eq 1 ] ||
		  grep -qE 'Kernel panic|BUG: |Oops|general protection' "$log"; }
}

# Whether a boot started now would end before L2_DEADLINE.
time_left() {
	[ -z "${L2_DEADLINE:-}" ] ||
		[ $(( $(date +%s) + ${L2_TIMEOUT:-180} + 15 )) -le "$L2_DEADLINE" ]
}

t0=$(date +%s)
rm -f "$log" "$log".[0-9]
qrc=none status=
if time_left; then
	boot_once
else
	echo "# L2 ($abi) not booted: the run's time is up (L2_DEADLINE)"
	: > "$log"
fi
for try in $(seq 1 $(( ${L2_TRIES:-8} - 1 ))); do
	[ -s "$log" ] && broke || break
	if ! time_left; then
		echo "# L2 ($abi) crashed or stalled (QEMU exit $qrc); no time left in the run to boot it again"
		break
	fi
	mv "$log" "$log.$try"
	echo "# L2 ($abi) crashed or stalled (QEMU exit $qrc): log kept in $log.$try; booting again"
	grep -E 'BUG: |Kernel panic|Oops|RIP:' "$log.$try" | head -n 4 | sed 's/^/#   /'
	boot_once
done
echo "$status" | sed 's/^/# /'
echo "# L2 ($abi) ran for $(( $(date +%s) - t0 ))s, QEMU exit $qrc; log: $log"

n=0 fail=0
# check NAME EGREP-PATTERN: in each of the first $want complete reports (from
# "L2: userspace reached" to L2-DONE; a crashed boot's partial one is not).
check() {
	local miss
	n=$((n + 1))
	miss=$(awk -v p="$2" -v want=$want '
		BEGIN { r = 0; on = 0 }
		/L2: userspace reached/ { on = 1; hit = 0 }
		on && $0 ~ p { hit = 1 }
		on && /L2-DONE/ { seen[r++] = hit; on = 0 }
		END { for (i = 0; i < want; i++) if (!seen[i]) { print i + 1; exit } }' "$log")
	if [ -z "$miss" ]; then
		echo "ok $n l2_${abi}_$1"
	else
		echo "not ok $n l2_${abi}_$1 (no '$2' in complete boot $miss)"
		fail=$((fail + 1))
	fi
}
echo "TAP version 13"
if [ "$abi" = xen ]; then
	echo "1..9"
	check detects_xen_hvm 'Hypervisor detected: Xen HVM'
	check vector_callback 'Xen HVM callback vector for event delivery is enabled'
	check xen_clocksource 'L2-CLOCKSOURCE: xen'
	check xen_timer_cpu0 'installing Xen timer for CPU 0'
	check xen_timer_cpu1 'installing Xen timer for CPU 1'
	check evtchn_ipis_to_cpu0 'L2-IRQ: +[0-9]+: +[1-9][0-9]* +[0-9]+ +xen-percpu +-ipi +resched0'
	check evtchn_ipis_to_cpu1 'L2-IRQ: +[0-9]+: +[0-9]+ +[1-9][0-9]* +xen-percpu +-ipi +resched1'
	check userspace 'L2: userspace reached.*2 CPUs'
elif [ "$abi" = hyperv-lapic ]; then
	# The same as hyperv, but the clock events are the LAPIC timer's.
	echo "1..9"
	check detects_hyperv 'Hypervisor detected: Microsoft Hyper-V'
	check tsc_page_clocksource 'L2-CLOCKSOURCE: hyperv_clocksource_tsc_page'
	check lapic_clockevent 'L2-CLOCKEVENT: lapic'
	check remote_tlb_flush 'Using hypercall for remote TLB flush'
	check ipi_hypercalls 'Using IPI hypercalls'
	check pv_spinlocks 'PV spinlocks enabled'
	check lapic_timer_irqs_both_cpus 'L2-IRQ: LOC: +[1-9][0-9]* +[1-9][0-9]* '
	check userspace 'L2: userspace reached.*2 CPUs'
elif [ "$abi" = native ]; then
	echo "1..2"
	check userspace 'L2: userspace reached.*2 CPUs'
else
	[ "$abi" = hyperv ] && echo "1..9" || echo "1..8"
	check detects_hyperv 'Hypervisor detected: Microsoft Hyper-V'
	check tsc_page_clocksource 'L2-CLOCKSOURCE: hyperv_clocksource_tsc_page'
	check stimer_clockevent 'L2-CLOCKEVENT: Hyper-V clockevent'
	check remote_tlb_flush 'Using hypercall for remote TLB flush'
	check ipi_hypercalls 'Using IPI hypercalls'
	[ "$abi" = hyperv ] && check pv_spinlocks 'PV spinlocks enabled'
	check stimer_irqs_both_cpus 'L2-IRQ: +HVS: +[1-9][0-9]* +[1-9][0-9]* '
	check userspace 'L2: userspace reached.*2 CPUs'
fi
n=$((n + 1))
if [ "$qrc" = 0 ] && [ "$(dones "$log")" -ge $want ]; then
	echo "ok $n l2_${abi}_powers_off"
else
	echo "not ok $n l2_${abi}_powers_off (QEMU exit $qrc)"
	fail=$((fail + 1))
fi
if [ $fail -ne 0 ]; then
	echo "# --- L2 log ---"
	sed 's/^/# /' "$log" | tail -n 60
fi
echo "# xenhv-tally: pass $((n - fail)) fail $fail skip 0"
[ $fail -eq 0 ]
