# SPDX-License-Identifier: GPL-2.0
#
# Sourced by test.sh and acceptance.sh: sum the "# xenhv-tally: pass P fail F
# skip S" line of a run's log into $pass, $fail and $skip; a log without one
# (the run died first) counts as one failure.
pass=0 fail=0 skip=0

tally() {
	local line log=$1
	line=$(grep -E '^# xenhv-tally: ' "$log" | tail -n1 | tr -d '\r')
	if [ -z "$line" ]; then
		echo "tally: no results in $log"
		fail=$((fail + 1))
		return
	fi
	set -- $line
	# Numbers only: anything else would end the caller's loop with an
	# arithmetic error.
	case "${4:-x}.${6:-x}.${8:-x}" in
	*[!0-9.]*)
		echo "tally: unreadable results in $log: $line"
		fail=$((fail + 1))
		return ;;
	esac
	pass=$((pass + $4)) fail=$((fail + $6)) skip=$((skip + $8))
}
