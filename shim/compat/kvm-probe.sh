#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Print the compiler flags of the KVM function table (compat/kvm.h), read
# from the target kernel itself. For each "typeof(&fn) fn;" entry:
#   -DXENHV_KVM_CALL_fn=fn            Module.symvers exports fn to every
#   -DXENHV_KVM_LINK_fn=fn            module (no namespace): a direct call.
#   -DXENHV_KVM_CALL_fn=xenhv_kvm.fn  exported only to some modules (7.x:
#   -DXENHV_KVM_LINK_fn=NULL          "module:kvm-amd,kvm-intel") or not at
#                                     all: resolved when the module loads.
#   -DXENHV_KVM_DECLARED_fn=1|0       whether the installed headers declare fn.
# A tree without Module.symvers is linked directly and left to modpost.
#
# Usage: kvm-probe.sh KVM_H MODULE_SYMVERS KVM_HEADER...
table=$1
symvers=$2
shift 2

for fn in $(sed -n 's/^[[:space:]]*typeof(&\([a-z_0-9]*\)) \1;$/\1/p' "$table"); do
	if [ ! -f "$symvers" ] ||
	   awk -F '\t' -v fn="$fn" '$2 == fn && $5 == "" { found = 1 } END { exit !found }' "$symvers"; then
		call=$fn link=$fn
	else
		call=xenhv_kvm.$fn link=NULL
	fi
	if grep -qsE "[ *]$fn\(" "$@"; then declared=1; else declared=0; fi
	printf -- '-DXENHV_KVM_CALL_%s=%s -DXENHV_KVM_LINK_%s=%s -DXENHV_KVM_DECLARED_%s=%d ' \
		"$fn" "$call" "$fn" "$link" "$fn" $declared
done
