#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot a target kernel and run one command in it as root, with the repository
# visible at its host path and the host's programs available (the guest's root
# is the host's, read-only). KVM (nested) and xenhv_shim.ko are loaded first and
# the module is unloaded after the command. Prints the command's output and
# exits with its status; exits non-zero if the guest kernel WARNs, oopses,
# locks up, or the run times out.
#
# Usage: scripts/run.sh [-k SERIES] [-t SECONDS] [--no-module] [--smp N] [--mem SIZE] -- CMD [ARG...]
#   SERIES: 6.1, 6.12, 7 or debug (default 6.12). Environment: XENHV_RUNNER=qemu|vng,
#   XENHV_ACCEL=kvm|tcg to override the probe, XENHV_QEMU (the QEMU binary) and
#   XENHV_QEMU_ARGS (more QEMU options) for the project's runner.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cache=${XENHV_CACHE:-$top/.cache}
series=6.12
tmo=1200
module=1
smp=2
mem=3G

while [ $# -gt 0 ]; do
	case $1 in
	-k) series=$2; shift 2 ;;
	-t) tmo=$2; shift 2 ;;
	--no-module) module=0; shift ;;
	--smp) smp=$2; shift 2 ;;
	--mem) mem=$2; shift 2 ;;
	--) shift; break ;;
	*) echo "run: unknown argument $1" >&2; exit 2 ;;
	esac
done
[ $# -gt 0 ] || { echo "usage: $0 [-k SERIES] [-t SECONDS] [--no-module] -- CMD [ARG...]" >&2; exit 2; }

# One guest at a time: two QEMU runs under TCG do not fit on a small host
# and would share build/run/. Later callers wait for the lock.
mkdir -p "$top/build"
exec 9> "$top/build/.run.lock"
flock 9

kdir=$cache/kernels/$series
[ -f "$kdir/stamp" ] || "$top/scripts/deps.sh" "$series"
"$top/scripts/mkinitramfs.sh" "$series"
if [ $module -eq 1 ]; then
	make -s -C "$top" module KVER="$series" >/dev/null
fi

run=build/run/$series
rdir=$top/$run
rm -rf "$rdir"
mkdir -p "$rdir"
{
	printf 'exec'
	printf ' %q' "$@"
	printf '\n'
} > "$rdir/cmd"
: > "$rdir/output.log"

# KVM only when the host's /dev/kvm really boots a kernel: some /dev/kvm
# (nested or paravirtual backends) open fine but hang after the firmware.
# The answer is kept per host boot.
probe_accel() {
	local id f
	if [ -n "${XENHV_ACCEL:-}" ]; then echo "$XENHV_ACCEL"; return; fi
	if ! [ -r /dev/kvm ] || ! [ -w /dev/kvm ]; then echo tcg; return; fi
	id=$(cat /proc/sys/kernel/random/boot_id 2>/dev/null || echo none)
	f=$cache/accel.$id
	if [ ! -f "$f" ]; then
		if timeout -k 5 30 qemu-system-x86_64 -accel kvm -cpu host -m 512M -smp 1 \
			-display none -no-reboot -nodefaults -serial stdio \
			-kernel "$kdir/vmlinuz" -initrd "$kdir/initrd.gz" \
			-append "console=ttyS0 quiet panic=-1 xenhv.probe=1" </dev/null 2>/dev/null |
			grep -q XENHV-PROBE-OK; then
			echo kvm > "$f"
		else
			echo tcg > "$f"
		fi
	fi
	cat "$f"
}

append="console=ttyS0 loglevel=4 panic=-1 panic_on_warn=1 oops=panic mitigations=off tsc=reliable"
append+=" xenhv.repo=$top xenhv.run=$run xenhv.kroot=$kdir/root xenhv.series=$series xenhv.module=$module"
# A kernel's own boot parameters (the debug kernel's).
[ -f "$kdir/cmdline" ] && append+=" $(cat "$kdir/cmdline")"

# The project's own QEMU runner, or virtme-ng (XENHV_RUNNER=vng, which
# make test uses for one kernel's suite).
runner=${XENHV_RUNNER:-qemu}
if [ "$runner" = vng ] && ! command -v vng >/dev/null; then
	echo "run: XENHV_RUNNER=vng, but virtme-ng (vng) is not installed (scripts/deps.sh vng)" >&2
	exit 2
fi

accel=$(probe_accel)
if [ "$accel" = kvm ]; then
	acc=(-accel kvm -cpu host)
else
	# Single-threaded TCG: multi-threaded TCG races with kernel text patching.
	acc=(-accel tcg,thread=single -cpu max)
fi

echo "run: $series ($(cat "$kdir/stamp")), $runner, $accel, smp $smp, mem $mem: $*"

boot() {
	if [ "$runner" = vng ]; then
		# The image by its real path: virtme-ng finds the kernel's
		# modules beside it (root/lib/modules). 9p, as the project's
		# runner: Debian 12's virtiofsd is QEMU's old one, which
		# virtme-ng tries, fails and falls back from. As with the
		# project's runner, the kernel's console (--verbose: all that
		# virtme-ng prints) is console.log, for the checks below, and
		# the command's output, in which nested guests' logs may show
		# their own oopses, is output.log, which the driver writes
		# through the shared repository and the runner streams.
		timeout -k 10 "$tmo" vng --run "$(readlink -f "$kdir/vmlinuz")" --verbose --force-9p \
			--cpus "$smp" --memory "$mem" --rwdir "$top" \
			$([ "$accel" = kvm ] || echo "--disable-kvm --qemu-opts=-accel --qemu-opts=tcg,thread=single") \
			--append "$append" \
			--exec "sh $top/scripts/guest/vng-driver.sh" </dev/null >"$rdir/console.log" 2>&1 &
	else
		# XENHV_QEMU_ARGS: more options for QEMU (make bench's plugin).
		# shellcheck disable=SC2086
		timeout -k 10 "$tmo" "${XENHV_QEMU:-qemu-system-x86_64}" "${acc[@]}" -smp "$smp" -m "$mem" \
			${XENHV_QEMU_ARGS:-} \
			-display none -no-reboot -nodefaults \
			-serial "file:$rdir/console.log" -serial "file:$rdir/output.log" \
			-kernel "$kdir/vmlinuz" -initrd "$kdir/initrd.gz" -append "$append" \
			-fsdev local,id=root,path=/,security_model=none,readonly=on,multidevs=remap \
			-device virtio-9p-pci,fsdev=root,mount_tag=hostroot \
			-fsdev local,id=repo,path="$top",security_model=none \
			-device virtio-9p-pci,fsdev=repo,mount_tag=repo </dev/null &
	fi
	# Either way the VMM runs in the background and output.log is streamed.
	qpid=$!
	tail -n +1 -F --pid=$qpid "$rdir/output.log" 2>/dev/null &
	tpid=$!
	wait $qpid
	qrc=$?
	wait $tpid 2>/dev/null
}

problem='Kernel panic|BUG:|Oops|WARNING:|soft lockup|hard LOCKUP|Call Trace:'

# A kernel that dies while it boots, before /init has run, has not run
# anything of this project (the module is loaded much later, by the
# driver). Such a boot is retried once, and the failed console is kept and
# its report printed; a second failure fails the run as any other report.
tries=${XENHV_BOOT_TRIES:-2}
for try in $(seq 1 "$tries"); do
	rm -f "$rdir/rc"
	: > "$rdir/output.log"
	set +e
	boot
	set -e
	[ "$try" -lt "$tries" ] || break
	grep -qE "$problem" "$rdir/console.log" || break
	grep -q '^xenhv-init: started' "$rdir/console.log" && break
	mv "$rdir/console.log" "$rdir/console.log.$try"
	echo "run: the $series kernel failed while booting, before /init ran (console: $run/console.log.$try):"
	grep -E -m 1 -B 2 -A 12 "$problem" "$rdir/console.log.$try" | sed 's/^/run:   /'
	echo "run: booting again ($((try + 1)) of $tries)"
done

if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
	echo "run: TIMEOUT after ${tmo}s; last console lines:"
	tail -n 40 "$rdir/console.log"
	exit 124
fi
if grep -qE "$problem" "$rdir/console.log"; then
	echo "run: the guest kernel reported a problem:"
	grep -E -A 30 "$problem" "$rdir/console.log" | head -n 80
	exit 125
fi
if [ ! -f "$rdir/rc" ]; then
	echo "run: the guest did not finish; last console lines:"
	tail -n 40 "$rdir/console.log"
	exit 125
fi
exit "$(cat "$rdir/rc")"
