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

# Under TCG, a second boot counts the kernel instructions of each row's
# calls with a QEMU plugin (tools/bench/insns.c): exact where the rates
# move by a few percent between runs.
make -s -C tools insns

# The instructions per call of each row, and of each pair the ratio KVM's
# own / the shim's (above 1.00 the shim executes fewer). A row's calls ran
# in chunks of one and two units (xenhv-bench --insns): per call is the
# smallest two-unit chunk less the smallest one-unit chunk, over the unit.
insns_table() {
	awk -v counts="$2" '
	BEGIN { n = 0; while ((getline c < counts) > 0) mark[n++] = c }
	/^insns-chunks / {
		f = $4; m = $5
		if (f + m > n || m < 6) { print "insns: no count for " $2; bad = 1; next }
		one = two = -1
		for (j = 0; j < m - 2; j++) {
			d = mark[f + j + 1] - mark[f + j]
			if (j % 2 == 0 && (one < 0 || d < one))
				one = d
			if (j % 2 == 1 && (two < 0 || d < two))
				two = d
		}
		per[$2] = (two - one) / $3; rows[++nr] = $2
	}
	END {
		if (bad || !nr) exit 1
		print "kernel instructions per call (QEMU plugin count, smallest chunks):"
		for (i = 1; i <= nr; i++)
			printf "  %-14s %9.1f\n", rows[i], per[rows[i]]
		print "instructions, KVM'"'"'s own / the shim'"'"'s (above 1.00 the shim executes fewer):"
		np = split("shim-hv:kvm-hv shim-xen:kvm-xen xen-yield:kvm-xen-yield " \
			   "xen-send:kvm-xen-send xen-timer:kvm-xen-timer xen-poll:kvm-xen-poll " \
			   "hv-flush:kvm-hv-flush hv-ipi:kvm-hv-ipi hv-signal:kvm-hv-signal " \
			   "hv-timeref:kvm-hv-timeref " \
			   "native-beside:native-loaded native-loaded:native-stock", pairs, " ")
		for (i = 1; i <= np; i++) {
			split(pairs[i], p, ":")
			if ((p[1] in per) && (p[2] in per) && per[p[1]] > 0)
				printf "  %-44s %.3f\n", p[2] " / " p[1], per[p[2]] / per[p[1]]
		}
	}' "$1"
}

for k in $kernels; do
	echo "== bench on $k"
	scripts/run.sh -k "$k" -t 3000 -- tools/out/xenhv-bench ${BENCH_ITERS:-} | tee "artifacts/bench-$k.log"
	scripts/bench-plot.sh "artifacts/bench-$k.log" "artifacts/bench-$k.png" "on $k"
	grep -q '^run: .*, tcg, ' "artifacts/bench-$k.log" || continue
	counts="$top/build/run/insns-$k.txt"
	rm -f "$counts"
	XENHV_RUNNER=qemu XENHV_QEMU_ARGS="-plugin file=$top/tools/out/xenhv-insns.so,out=$counts" \
		scripts/run.sh -k "$k" -t 1500 -- tools/out/xenhv-bench --insns ${BENCH_INSNS_ITERS:-5000} \
		> "artifacts/bench-insns-$k.log"
	insns_table "artifacts/bench-insns-$k.log" "$counts" | tee -a "artifacts/bench-$k.log"
done
