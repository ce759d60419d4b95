#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The suite's verdict comes from selftests/run_tests.sh's tally: check that it
# counts passes, failures, skips and crashed programs, and fails the run.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
n=0 fail=0

prog() {	# prog NAME EXIT-CODE BODY
	printf '#!/bin/sh\n%s\nexit %s\n' "$3" "$2" > "$d/$1"
	chmod +x "$d/$1"
}

expect() {	# expect NAME CONDITION-RESULT
	n=$((n + 1))
	if [ "$2" = 0 ]; then echo "ok $n $1"; else echo "not ok $n $1"; fail=$((fail + 1)); fi
}

prog pass 0 'echo "1..2"; echo "ok 1 a"; echo "ok 2 b"'
prog mixed 1 'echo "1..3"; echo "ok 1 a"; echo "not ok 2 b"; echo "ok 3 c # SKIP no"'
prog skipall 4 'echo "1..1"; echo "ok 1 a # SKIP no"'
prog crash 0 'echo "1..1"; kill -SEGV $$'

echo "TAP version 13"
echo "1..4"
"$top/selftests/run_tests.sh" "$d/pass" "$d/skipall" > "$d/good.out"
expect all_pass_exits_zero $?
grep -q '^# xenhv-tally: pass 2 fail 0 skip 1$' "$d/good.out"
expect counts_pass_and_skip $?
"$top/selftests/run_tests.sh" "$d/pass" "$d/mixed" "$d/crash" > "$d/bad.out"
[ $? -ne 0 ]
expect failure_exits_nonzero $?
grep -q '^# xenhv-tally: pass 3 fail 2 skip 1$' "$d/bad.out"
expect crash_counts_as_failure $?
[ $fail -eq 0 ]
