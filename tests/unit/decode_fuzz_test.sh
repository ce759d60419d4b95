#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run the decoders' libFuzzer harness (fuzz/decode_fuzz.c) for
# XENHV_DECODE_FUZZ_SECONDS (default 15), seeded by XENHV_FUZZ_SEED when set,
# keeping its corpus in out/corpus. TAP: one result, with the number of
# inputs and inputs per second; a crash, a failed check or a leak fails it
# and leaves the reproducer in out/.
set -u
here=$(cd "$(dirname "$0")" && pwd)
out=$here/out
bin=$out/decode_fuzz
secs=${XENHV_DECODE_FUZZ_SECONDS:-15}
echo "1..1"
if [ ! -x "$bin" ]; then
	echo "not ok 1 decode_fuzz: $bin not built"
	exit 1
fi
mkdir -p "$out/corpus"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
t0=$(date +%s)
(cd "$out" && "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=1024 \
	${XENHV_FUZZ_SEED:+-seed=$XENHV_FUZZ_SEED} -print_final_stats=1 corpus) > "$log" 2>&1
rc=$?
t=$(( $(date +%s) - t0 ))
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)
[ -n "$runs" ] || runs=0
rate=$(( runs / (t > 0 ? t : 1) ))
if [ $rc -eq 0 ] && [ "$runs" -gt 0 ]; then
	echo "ok 1 decode_fuzz: $runs inputs in ${t}s ($rate/s), corpus $(ls "$out/corpus" | wc -l)"
	exit 0
fi
sed 's/^/# /' "$log" | tail -n 40
echo "not ok 1 decode_fuzz: exit $rc after $runs inputs"
exit 1
