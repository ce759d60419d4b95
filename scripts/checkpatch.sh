#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# checkpatch.pl over every C source and header of the project (kernel and
# userspace alike), from the copy deps.sh extracts out of linux-source.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cp=${XENHV_CACHE:-$top/.cache}/checkpatch/checkpatch.pl
cd "$top"
# Userspace code (selftests, unit tests, tools) uses the C library's types
# and macros, and the guest-ABI headers' own spellings; COMPLEX_MACRO is for
# the selftests' table macros; guest code uses volatile and plain attributes
# as KVM's own selftests do.
user_ignore=PREFER_KERNEL_TYPES,NEW_TYPEDEFS,SPLIT_STRING,COMPLEX_MACRO,MACRO_ARG_REUSE,PREFER_DEFINED_ATTRIBUTE_MACRO,VOLATILE,EMBEDDED_FUNCTION_NAME
files=$(git ls-files --cached --others --exclude-standard -- '*.c' '*.h')
kernel=$(printf '%s\n' $files | grep -E '^(shim|include)/' || true)
user=$(printf '%s\n' $files | grep -vE '^(shim|include)/' || true)
rc=0
# compat/kvm.h declares its table's members as "typeof(&fn) fn;", the one
# form sparse 0.6.5 can call through, in which checkpatch takes the '&' for
# a binary operator; only that file is checked without SPACING.
table=shim/compat/kvm.h
kernel=$(printf '%s\n' $kernel | grep -vx "$table" || true)
if [ -n "$kernel" ]; then
	perl "$cp" --no-tree --terse --show-types --strict -f $kernel || rc=1
fi
perl "$cp" --no-tree --terse --show-types --strict --ignore SPACING -f "$table" || rc=1
if [ -n "$user" ]; then
	perl "$cp" --no-tree --terse --show-types --ignore "$user_ignore" -f $user || rc=1
fi
[ $rc -eq 0 ] && echo "checkpatch: clean"
exit $rc
