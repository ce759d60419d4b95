#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench: one boot per target kernel, all rows measured side by side.
# Each kernel's output goes to artifacts/bench-<kernel>.log, and its
# scaling tables to artifacts/bench-<kernel>.png.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
kernels=${KERNELS:-6.1 6.12 7}
scripts/deps.sh $kernels plot
make -s -C tools
mkdir -p artifacts
for k in $kernels; do
	echo "== bench on $k"
	scripts/run.sh -k "$k" -t 3000 -- tools/out/xenhv-bench ${BENCH_ITERS:-} | tee "artifacts/bench-$k.log"
	scripts/bench-plot.sh "artifacts/bench-$k.log" "artifacts/bench-$k.png" "on $k"
done
