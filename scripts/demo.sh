#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make demo: set up, build, then boot each target kernel, load nested KVM and
# xenhv_shim, and run the demonstration (scripts/guest/demo.sh) in it: real
# Linux guests booted under "xenhv run" with each ABI.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
kernels=${KERNELS:-6.1 6.12 7}
scripts/deps.sh $kernels
make -s -C selftests
mkdir -p build/l2 && tests/l2/mkinitrd.sh build/l2/initrd.gz
make -s -C tools/xenhv
make -s -C tools
rc=0
t0=$(date +%s)
for k in $kernels; do
	echo "== demo on $k"
	scripts/run.sh -k "$k" -- scripts/guest/demo.sh || rc=1
done
echo "demo: $(( $(date +%s) - t0 )) s for $kernels"
exit $rc
