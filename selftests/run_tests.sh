#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Run selftest programs as kselftest's runner does: a TAP 13 stream with one
# line per program, each program's own TAP indented as comments. Ends with a
# machine-readable tally of the programs' subtests:
#   # xenhv-tally: pass P fail F skip S
# A program that dies without reporting a verdict counts as one failure.
n=0
total=$#
pass=0 fail=0 skip=0
echo "TAP version 13"
echo "1..$total"
for t in "$@"; do
	n=$((n + 1))
	name=$(basename "$t")
	echo "# selftests: xenhv: $name"
	out=$(mktemp)
	"$t" > "$out" 2>&1
	rc=$?
	sed 's/^/# /' "$out"
	p=$(grep -cE '^ok [0-9]+ ' "$out" | tr -d ' ')
	s=$(grep -cE '^ok [0-9]+ .*# SKIP' "$out" | tr -d ' ')
	f=$(grep -cE '^not ok [0-9]+ ' "$out" | tr -d ' ')
	p=$((p - s))
	if [ $rc -ne 0 ] && [ $rc -ne 4 ] && [ $f -eq 0 ]; then
		f=1	# crashed or exited without a failing subtest
	fi
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
	case $rc in
	0) echo "ok $n selftests: xenhv: $name" ;;
	4) echo "ok $n selftests: xenhv: $name # SKIP" ;;
	*) echo "not ok $n selftests: xenhv: $name # exit=$rc" ;;
	esac
	rm -f "$out"
done
echo "# xenhv-tally: pass $pass fail $fail skip $skip"
[ $fail -eq 0 ]
