#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make acceptance: boot Debian's 6.1 kernel as a nested Xen and Hyper-V guest
# on each target kernel (tests/l2/boot.sh), one test-guest boot each, and sum
# the checks like make test (which runs the same boots with the selftests).
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
kernels=${KERNELS:-6.1 6.12 7}
art=$top/artifacts
mkdir -p "$art"
. "$top/scripts/tally.sh"
scripts/deps.sh $kernels || exit 1
make -s -C tools/xenhv || exit 1
mkdir -p build/l2 && tests/l2/mkinitrd.sh build/l2/initrd.gz || exit 1
for k in $kernels; do
	for abi in xen hyperv; do
		echo "== nested Linux guest as $abi on $k"
		scripts/run.sh -k "$k" -- tests/l2/boot.sh $abi 2>&1 | tee "$art/l2-$abi-$k.log"
		tally "$art/l2-$abi-$k.log"
		cp build/l2/l2-$abi-on-*.log "$art/" 2>/dev/null
	done
done
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
