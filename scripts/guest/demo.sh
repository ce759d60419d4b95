#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The demonstration, inside a test guest with xenhv_shim loaded.
set -e
echo "demo: kernel $(uname -r), KVM: $(ls /dev/kvm), nested: $(cat /sys/module/kvm_*/parameters/nested)"
echo "demo: module $(grep '^xenhv_shim ' /proc/modules | cut -d' ' -f1-2), version $(cat /sys/module/xenhv_shim/version)"
echo "demo: a VM with 4 vCPUs runs guest code and reports back:"
selftests/out/vm_lib_test vcpus_on_threads | grep -E '^(ok|not ok)'
