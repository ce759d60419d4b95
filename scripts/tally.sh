# SPDX-License-Identifier: GPL-2.0
#
# Sourced by test.sh and acceptance.sh: sum the "# xenhv-tally: pass P fail F
# skip S" line of a run's log into $pass, $fail and $skip; a log without one
# (the run died first) counts as one failure.
pass=0 fail=0 skip=0

tally() {
	local line
	line=$(grep -E '^# xenhv-tally: ' "$1" | tail -n1)
	if [ -z "$line" ]; then
		echo "tally: no results in $1"
		fail=$((fail + 1))
		return
	fi
	set -- $line
	pass=$((pass + $4)) fail=$((fail + $6)) skip=$((skip + $8))
}
