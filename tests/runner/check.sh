#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Self-checks of the test runner (scripts/run.sh): a verdict from a run can
# only be trusted if the runner passes exit codes through, runs host programs,
# loads nested KVM, and fails a run whose guest kernel dies, complains or hangs.
# TAP output, then "# xenhv-tally: ...".
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
k=${RUNNER_KERNEL:-6.12}
n=0 pass=0 fail=0
out=$(mktemp)
trap 'rm -f "$out"' EXIT

check() {	# check NAME EXPECTED-RC GREP-PATTERN [RUN-OPTIONS] -- CMD...
	local name=$1 want=$2 pat=$3 rc
	shift 3
	n=$((n + 1))
	"$top/scripts/run.sh" -k "$k" "$@" >"$out" 2>&1
	rc=$?
	if [ "$rc" = "$want" ] && grep -qE "$pat" "$out" &&
	   ! { [ -n "${nopat:-}" ] && grep -qE "$nopat" "$out"; }; then
		echo "ok $n $name"
		pass=$((pass + 1))
	else
		echo "not ok $n $name (exit $rc, want $want; pattern '$pat')"
		sed 's/^/# /' "$out" | tail -n 20
		fail=$((fail + 1))
	fi
}

echo "TAP version 13"
echo "1..5"
check exit_status_host_programs_nested_kvm 7 'RUNNER-OK' -- sh -c \
	'qemu-system-x86_64 --version | grep -q QEMU &&
	 grep -qE "^(1|Y)" /sys/module/kvm_*/parameters/nested &&
	 grep -q "^xenhv_shim " /proc/modules && test -w /dev/kvm &&
	 echo RUNNER-OK; exit 7'
# A crash after /init ran is never retried.
nopat='booting again' check guest_panic_fails_the_run 125 'reported a problem' --no-module -- \
	sh -c 'echo c > /proc/sysrq-trigger; sleep 30'
check kernel_log_problem_fails_the_run 125 'kernel log shows a problem' --no-module -- \
	sh -c 'echo "WARNING: CPU: 0 PID: 1 at runner self-check" > /dev/kmsg'
check timeout_fails_the_run 124 'TIMEOUT' --no-module -t 15 -- sleep 600
# A kernel that dies before /init on every boot: one retry, then a failure.
# The "QEMU" here writes a panic into the console file it is given.
fake=$(mktemp)
cat > "$fake" <<'EOS'
#!/bin/sh
for a; do
	case $a in file:*console.log) echo "Kernel panic - not syncing: runner self-check" > "${a#file:}" ;; esac
done
exit 0
EOS
chmod +x "$fake"
XENHV_QEMU=$fake XENHV_ACCEL=tcg XENHV_RUNNER=qemu check boot_crash_retried_once_then_fails 125 \
	'booting again \(2 of 2\)' --no-module -- true
rm -f "$fake"
echo "# xenhv-tally: pass $pass fail $fail skip 0"
[ $fail -eq 0 ]
