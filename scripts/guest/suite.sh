#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The whole in-guest suite of make test, run inside the test guest: the
# selftests, then the acceptance boots of a nested Linux guest as a Xen and
# as a Hyper-V guest (tests/l2/boot.sh). Prints each part's TAP and ends with one tally line
# summing them:
#   # xenhv-tally: pass P fail F skip S
#
# --budget SECONDS: the time the suite has from its start (make test gives
# its run's limit less the guest's boot). The nested guests' retries stop
# before it runs out (L2_DEADLINE, the epoch second): a retried boot never
# costs the whole run its results.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
pass=0 fail=0 skip=0
if [ "${1:-}" = --budget ] && [ -n "${2:-}" ]; then
	export L2_DEADLINE=$(( $(date +%s) + $2 ))
fi
# Each part's own tally line is shown as "# part-tally:", so that the last
# "# xenhv-tally:" line of a run is the suite's sum, or absent when the
# guest died first (make test then counts the run as failed).
part() {	# part CMD...: run one part, add its tally (none: one failure)
	local out line
	out=$(mktemp)
	"$@" 2>&1 | sed -u 's/^# xenhv-tally: /# part-tally: /' | tee "$out"
	line=$(grep -E '^# part-tally: ' "$out" | tail -n1)
	rm -f "$out"
	if [ -z "$line" ]; then
		echo "# suite: $* reported no results"
		fail=$((fail + 1))
		return
	fi
	set -- $line
	pass=$((pass + $4)) fail=$((fail + $6)) skip=$((skip + $8))
}
# xenhv.slow=N (the debug kernel's cmdline file): this kernel runs nested
# guests about N times slower; their stall detection and time limit scale.
slow=$(sed -n 's/.*xenhv\.slow=\([0-9][0-9]*\).*/\1/p' /proc/cmdline)
slow=${slow:-1}
if [ "$slow" -gt 1 ]; then
	export L2_STALL=${L2_STALL:-$((40 * slow))} L2_TIMEOUT=${L2_TIMEOUT:-$((300 * slow))}
fi
part selftests/run_tests.sh selftests/out/*
# On a slow kernel (the debug kernel: a nested boot there takes ten minutes
# when it completes, and stalls as often as not on the emulated test
# machine) the nested guests are skipped; the other kernels boot them.
# L2_ALL=1 boots them anyway.
if [ "$slow" -gt 1 ] && [ -z "${L2_ALL:-}" ]; then
	echo "ok 1 l2_xen # SKIP a nested boot is ${slow}x slower on this kernel"
	echo "ok 2 l2_hyperv_lapic # SKIP a nested boot is ${slow}x slower on this kernel"
	echo "ok 3 l2_xen_uapi # SKIP a nested boot is ${slow}x slower on this kernel"
	skip=$((skip + 3))
else
	part tests/l2/boot.sh xen
	# The Hyper-V guest without direct-mode synthetic timers: on the
	# emulated test machine, nested guests taking direct-mode timer
	# interrupts stall now and then, with KVM's own Hyper-V as with the
	# shim's (Documentation/hv2xen.rst); make acceptance boots the
	# direct-mode one, and the selftests cover the timers.
	part tests/l2/boot.sh hyperv-lapic
	# QEMU 10's own Xen emulation on KVM's Xen uapi: the shim's on a
	# kernel without CONFIG_KVM_XEN, KVM's own (the control) elsewhere.
	part tests/l2/xen-uapi.sh
fi
echo "# xenhv-tally: pass $pass fail $fail skip $skip"
[ $fail -eq 0 ]
