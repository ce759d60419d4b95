#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The test guest's driver under virtme-ng (scripts/run.sh with
# XENHV_RUNNER=vng): virtme-ng has already shared the host's root (read
# only) and the repository (read-write, --rwdir) and runs this as its
# --exec command; scripts/guest/driver.sh then does what it does under the
# project's own runner, printing to this command's output.
# The runner's mark that the kernel booted (see scripts/guest/init), on
# the console; the command's errors go with its output.
echo "xenhv-init: started" > /dev/console
exec 2>&1
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
XENHV_OUT=stdout exec sh "$(dirname "$0")/driver.sh"
