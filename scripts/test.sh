#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make test: set up, build, run the userspace unit tests, then boot each target
# kernel and run the whole selftest suite in it, and the acceptance boots of a
# nested Linux guest with each ABI (scripts/guest/suite.sh). The kernels are
# Debian's 6.1, 6.12 and newest 7.x and the debug kernel (scripts/debug-kernel.sh), on
# which any KASAN, lockdep, UBSAN, object-debugging or kmemleak report fails
# the run. Each kernel's TAP
# and the nested guests' boot logs go to artifacts/; the last line sums every
# result:
#   N passed, N failed, N skipped
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
kernels=${KERNELS:-6.1 6.12 7 debug}
art=$top/artifacts
mkdir -p "$art"

. "$top/scripts/tally.sh"
t0=$(date +%s)

fetched=$(printf '%s\n' $kernels | grep -vx debug | tr '\n' ' ')
scripts/deps.sh $fetched qemu10 vng || exit 1
# The debug kernel builds (once, then it is cached) at low priority beside
# the fetched kernels' runs, which leave one core free: TCG runs on one.
dbg_pid=
if printf '%s\n' $kernels | grep -qx debug && ! scripts/debug-kernel.sh --check; then
	echo "test: building the debug kernel in the background (artifacts/debug-kernel.log)"
	nice -n 19 scripts/deps.sh debug > "$art/debug-kernel.log" 2>&1 &
	dbg_pid=$!
fi
for k in $fetched; do
	make -s module KVER="$k" >/dev/null || { echo "test: module build for $k failed"; exit 1; }
done
make -s -C selftests || exit 1
make -s -C tools/xenhv || exit 1
mkdir -p build/l2 && tests/l2/mkinitrd.sh build/l2/initrd.gz || exit 1
make -s -C tools || exit 1

echo "== unit tests (userspace)"
make -s -C tests/unit run 2>&1 | tee "$art/unit.log"
tally "$art/unit.log"

echo "== runner self-checks"
tests/runner/check.sh 2>&1 | tee "$art/runner.log"
tally "$art/runner.log"

echo "== packages: xenhv-shim-dkms and xenhv-tools installed, DKMS builds for each kernel"
tests/pkg/dkms.sh $fetched 2>&1 | tee "$art/pkg.log"
tally "$art/pkg.log"

# Each kernel's turn ends counted (finished), whatever its verdict: a loop
# that stopped early (a shell error ends it) fails the run below.
finished=0
for k in $kernels; do
	if [ "$k" = debug ]; then
		if [ -n "$dbg_pid" ] && ! wait "$dbg_pid"; then
			cat "$art/debug-kernel.log"
			echo "test: the debug kernel did not build"
			fail=$((fail + 1)) finished=$((finished + 1))
			continue
		fi
		scripts/deps.sh debug >/dev/null &&
			make -s module KVER=debug >/dev/null || {
			echo "test: module build for debug failed"
			fail=$((fail + 1)) finished=$((finished + 1))
			continue; }
	fi
	echo "== selftests and nested-guest acceptance on $k"
	rm -f build/l2/l2-*.log build/l2/l2-*.log.[0-9]
	# The sanitizers make the debug kernel several times slower. The
	# suite stops retrying nested boots 4 minutes before the limit (its
	# boot, one nested boot's limit and the shutdown fit in that).
	tmo=1500
	[ "$k" = debug ] && tmo=3600
	# One kernel's suite runs under virtme-ng, as kernel developers run
	# kselftests; the others under the project's own runner.
	runner=qemu
	[ "$k" = "${VNG_KERNEL:-6.12}" ] && runner=vng
	echo "test: $k under $([ $runner = vng ] && echo "virtme-ng ($(vng --version))" || echo "the project's QEMU runner")"
	XENHV_RUNNER=$runner scripts/run.sh -k "$k" -t $tmo -- scripts/guest/suite.sh --budget $((tmo - 240)) 2>&1 |
		tee "$art/selftests-$k.log"
	rc=${PIPESTATUS[0]}
	tally "$art/selftests-$k.log"
	# A run without its tally was counted as one failure by tally.
	if [ "$rc" -ne 0 ] && grep -qE '^# xenhv-tally: ' "$art/selftests-$k.log" &&
	   ! grep -qE '^# xenhv-tally: pass [0-9]+ fail [1-9]' "$art/selftests-$k.log"; then
		echo "test: the $k run failed (exit $rc) outside the tests"
		fail=$((fail + 1))
	fi
	cp build/run/"$k"/dmesg.log "$art/dmesg-$k.log" 2>/dev/null
	cp build/run/"$k"/console.log "$art/console-$k.log" 2>/dev/null
	cp build/run/"$k"/kmemleak.log "$art/kmemleak-$k.log" 2>/dev/null
	cp build/run/"$k"/output.log "$art/output-$k.log" 2>/dev/null
	for f in build/l2/l2-*-on-*.log build/l2/l2-*-on-*.log.[0-9]; do
		[ -f "$f" ] && cp "$f" "$art/"
	done
	finished=$((finished + 1))
done
if [ "$finished" -ne "$(echo $kernels | wc -w)" ]; then
	echo "test: the kernels' loop stopped after $finished of $(echo $kernels | wc -w) kernels"
	fail=$((fail + 1))
fi

# What failed, last, where a reader of the log's end sees it: each failed
# test and subtest with the kernel it ran on, and the lines it printed
# just before its verdict (a subtest's reason).
if [ $fail -ne 0 ]; then
	echo "test: what failed:"
	for f in "$art"/unit.log "$art"/runner.log "$art"/pkg.log "$art"/selftests-*.log; do
		[ -f "$f" ] || continue
		grep -B3 -E '^(# )*not ok [0-9]+ |^test: |^run: TIMEOUT|^# suite: ' "$f" |
			grep -vE '^(# )*ok [0-9]+ ' | sed "s|^|  $(basename "$f" .log): |"
	done | tail -n 60
fi
echo "test: wall time $(( $(date +%s) - t0 ))s"
echo "$pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
