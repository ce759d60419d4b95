#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Draw the scaling tables of one xenhv-bench run (its "plot:" lines) as a
# PNG with gnuplot: cost per call against attached VMs, against the vCPUs
# an IPI or a flush targets (the shim and KVM's own), and against bound
# Xen ports and Hyper-V connections.
#
# Usage: scripts/bench-plot.sh BENCH.LOG OUT.PNG [TITLE]
set -euo pipefail
log=$1 out=$2 title=${3:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for t in vms targets ports; do
	tr -d '\r' < "$log" | sed -n "s/^plot:$t://p" > "$tmp/$t.dat"
	[ -s "$tmp/$t.dat" ] || { echo "bench-plot: no '$t' table in $log" >&2; exit 1; }
done
gnuplot <<EOG
set terminal pngcairo size 1500,500 font ",10"
set output "$out"
set multiplot layout 1,3 title "xenhv-bench $title: ns per call (lower is better)"
set grid
set key bottom right
set logscale x
set yrange [0:*]
set xlabel "VMs"
set title "beside other VMs, attached or not (dashed)"
plot "$tmp/vms.dat" using 1:2 with linespoints title "xen\\\\_version, attached VM", \
     "" using 1:3 with linespoints title "unknown call, unattached VM", \
     "" using 1:4 with linespoints dashtype 2 title "xen\\\\_version, beside unattached VMs", \
     "" using 1:5 with linespoints dashtype 2 title "unknown call, beside unattached VMs"
set logscale x 2
set xlabel "target vCPUs"
set title "IPI and flush targets"
plot "$tmp/targets.dat" using 1:2 with linespoints title "IPI, shim", \
     "" using 1:3 with linespoints dashtype 2 title "IPI, KVM's own", \
     "" using 1:4 with linespoints title "flush, shim", \
     "" using 1:5 with linespoints dashtype 2 title "flush, KVM's own"
set logscale x 10
set xlabel "bound ports / connections"
set title "bound Xen ports, Hyper-V connections"
plot "$tmp/ports.dat" using 1:2 with linespoints title "EVTCHNOP\\\\_send", \
     "" using 1:3 with linespoints title "SCHEDOP\\\\_poll, one port", \
     "" using 1:4 with linespoints title "SCHEDOP\\\\_poll, up to 128 ports", \
     "" using 1:5 with linespoints title "HvCallSignalEvent"
unset multiplot
EOG
echo "bench-plot: $out"
