#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make acceptance: boot Debian's 6.1 kernel as a nested Xen guest on each
# target kernel (tests/l2/boot.sh) and sum the checks like make test.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
kernels=${KERNELS:-6.1 6.12}
art=$top/artifacts
mkdir -p "$art"
. "$top/scripts/tally.sh"
scripts/deps.sh $kernels || exit 1
make -s -C tools/xenhv || exit 1
for k in $kernels; do
	echo "== nested Linux guest as Xen HVM on $k"
	scripts/run.sh -k "$k" -- tests/l2/boot.sh xen 2>&1 | tee "$art/l2-xen-$k.log"
	tally "$art/l2-xen-$k.log"
	cp build/l2/l2-xen-on-*.log "$art/" 2>/dev/null
done
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
