#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The test guest's driver under virtme-ng (scripts/run.sh with
# XENHV_RUNNER=vng): virtme-ng has already shared the host's root (read
# only) and the repository (read-write, --rwdir) and runs this as its
# --exec command; scripts/guest/driver.sh then does what it does under the
# project's own runner, printing to the run folder's output.log.
# The runner's mark that the kernel booted (see scripts/guest/init), on
# the console.
echo "xenhv-init: started" > /dev/console
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
arg() { sed -n "s/.*xenhv\.$1=\([^ ]*\).*/\1/p" /proc/cmdline; }
# The command's output: the run folder's output.log, which the runner streams.
XENHV_OUT=$(arg repo)/$(arg run)/output.log exec sh "$(dirname "$0")/driver.sh"
