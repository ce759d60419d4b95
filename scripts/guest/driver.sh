#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the test guest, chrooted into the host's root (see init).
# Loads KVM with nesting and xenhv_shim, runs the requested command with the
# repository as working directory, unloads the module, checks the kernel log
# for WARN/BUG/oops/lockups and leaves the verdict in the run folder.
arg() { sed -n "s/.*xenhv\.$1=\([^ ]*\).*/\1/p" /proc/cmdline; }

repo=$(arg repo)
run=$repo/$(arg run)
kroot=$(arg kroot)
kver=$(uname -r)
# The runner's second serial port; under virtme-ng, a file it streams.
out=${XENHV_OUT:-/dev/ttyS1}

[ "$out" = /dev/ttyS1 ] && stty -F $out raw -echo 2>/dev/null
exec >>$out 2>&1

fail=0
echo "guest: Linux $kver, $(nproc) CPUs, $(awk '/MemTotal/ { print $2 / 1024 " MiB" }' /proc/meminfo)"

if grep -q '^vendor_id.*AuthenticAMD' /proc/cpuinfo; then kvmmod=kvm_amd; else kvmmod=kvm_intel; fi
if ! modprobe -d "$kroot" -S "$kver" $kvmmod nested=1; then
	echo "guest: cannot load $kvmmod"
	fail=1
fi

module=
if [ "$(arg module)" != 0 ]; then
	module=$repo/build/$(arg series)/xenhv_shim.ko
	if ! insmod "$module"; then
		echo "guest: insmod $module failed"
		fail=1
		module=
	fi
	# The tests that unload and reload it use this build.
	export XENHV_MODULE=$module
fi

# kmemleak (the debug kernel): forget what boot left, report what the run leaks.
leaks=/sys/kernel/debug/kmemleak
if [ -w $leaks ]; then
	echo scan > $leaks
	echo clear > $leaks
fi

rc=1
if [ $fail -eq 0 ]; then
	cd "$repo" && sh "$run/cmd"
	rc=$?
	cd /
fi

if [ -n "$module" ] && grep -q '^xenhv_shim ' /proc/modules; then
	if ! rmmod xenhv_shim; then
		echo "guest: rmmod xenhv_shim failed"
		fail=1
	fi
fi

if [ -w $leaks ]; then
	# Objects younger than 5 s are not reported yet; two scans as the
	# kmemleak documentation advises.
	sleep 6
	echo scan > $leaks
	echo scan > $leaks
	if [ -s $leaks ]; then
		echo "guest: kmemleak reports unreferenced objects:"
		head -n 60 $leaks
		cat $leaks > "$run/kmemleak.log"
		fail=1
	fi
fi

dmesg > "$run/dmesg.log"
if grep -E 'WARNING:|BUG:|Oops|general protection fault|soft lockup|hard LOCKUP|hung_task|blocked for more than|Call Trace:|UBSAN:|KASAN:|kmemleak: [0-9]+ new suspected|ODEBUG:|refcount_t:|list_(add|del) corruption' "$run/dmesg.log"; then
	echo "guest: the kernel log shows a problem (see $run/dmesg.log)"
	fail=1
fi
[ $fail -eq 0 ] || rc=125
echo "$rc" > "$run/rc"
sync
