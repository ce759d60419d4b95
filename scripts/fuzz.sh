#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make fuzz: the fuzzers at length.
#  - the guest-input fuzzer (selftests/fuzz_test.c), FUZZ_SECONDS per ABI
#    (default 600), and the ioctl fuzzer (selftests/ioctl_fuzz_test.c),
#    FUZZ_IOCTL_SECONDS (default 300), in one test-guest boot per kernel
#    (KERNELS, default "6.1 6.12 7"; "debug" adds the sanitizers);
#  - the decoders' libFuzzer harness (tests/unit/fuzz), FUZZ_DECODE_SECONDS
#    (default 600) on the host, alongside the guest runs (it takes one core).
# FUZZ_SEED replays a run. Prints each run's seed, VMs, operations per second
# and totals; any WARN, oops, lockup or sanitizer report in the test guest,
# or any failed check, fails it.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
kernels=${KERNELS:-6.1 6.12 7}
secs=${FUZZ_SECONDS:-600}
isecs=${FUZZ_IOCTL_SECONDS:-300}
dsecs=${FUZZ_DECODE_SECONDS:-600}
art=$top/artifacts
mkdir -p "$art"
. "$top/scripts/tally.sh"
scripts/deps.sh $kernels || exit 1
make -s -C selftests || exit 1
make -s -C tests/unit all >/dev/null || exit 1

echo "== decoders' libFuzzer harness, ${dsecs}s (in the background)"
XENHV_DECODE_FUZZ_SECONDS=$dsecs ${FUZZ_SEED:+XENHV_FUZZ_SEED=$FUZZ_SEED} \
	tests/unit/decode_fuzz_test.sh > "$art/fuzz-decode.log" 2>&1 &
dpid=$!

for k in $kernels; do
	echo "== fuzzing on $k: guest input ${secs}s per ABI, ioctls ${isecs}s"
	scripts/run.sh -k "$k" -t $((2 * secs + isecs + 600)) -- \
		env XENHV_FUZZ_SECONDS="$secs" XENHV_IOCTL_FUZZ_SECONDS="$isecs" \
		${FUZZ_SEED:+XENHV_FUZZ_SEED=$FUZZ_SEED} \
		selftests/run_tests.sh selftests/out/fuzz_test selftests/out/ioctl_fuzz_test 2>&1 |
		tee "$art/fuzz-$k.log"
	tally "$art/fuzz-$k.log"
	cp build/run/"$k"/dmesg.log "$art/dmesg-fuzz-$k.log" 2>/dev/null
done

wait $dpid
echo "== decoders' libFuzzer harness"
cat "$art/fuzz-decode.log"
grep -q '^ok 1 decode_fuzz' "$art/fuzz-decode.log" && pass=$((pass + 1)) || fail=$((fail + 1))
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
