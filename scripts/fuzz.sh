#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make fuzz: the guest-input fuzzers (selftests/fuzz_test.c) at length, one
# test-guest boot per kernel. FUZZ_SECONDS per ABI (default 600), FUZZ_SEED
# to replay a run. Prints each run's seed, VMs, guest operations per second
# and host actions; any WARN, oops or lockup in the test guest fails it.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
kernels=${KERNELS:-6.1 6.12}
secs=${FUZZ_SECONDS:-600}
art=$top/artifacts
mkdir -p "$art"
. "$top/scripts/tally.sh"
scripts/deps.sh $kernels || exit 1
make -s -C selftests || exit 1
for k in $kernels; do
	echo "== fuzzing on $k, ${secs}s per ABI"
	scripts/run.sh -k "$k" -t $((2 * secs + 300)) -- \
		env XENHV_FUZZ_SECONDS="$secs" ${FUZZ_SEED:+XENHV_FUZZ_SEED=$FUZZ_SEED} \
		selftests/run_tests.sh selftests/out/fuzz_test 2>&1 | tee "$art/fuzz-$k.log"
	tally "$art/fuzz-$k.log"
	cp build/run/"$k"/dmesg.log "$art/dmesg-fuzz-$k.log" 2>/dev/null
done
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
