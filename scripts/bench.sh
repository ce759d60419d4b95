#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench: one boot per target kernel, all rows measured side by side.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
kernels=${KERNELS:-6.1 6.12 7}
scripts/deps.sh $kernels
make -s -C tools
for k in $kernels; do
	echo "== bench on $k"
	scripts/run.sh -k "$k" -- tools/out/xenhv-bench ${BENCH_ITERS:-}
done
