/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel's own Hyper-V TLFS definitions: <asm/hyperv-tlfs.h> until
 * 6.x; from 7.x the same names live in <hyperv/hvhdk.h> (Microsoft's
 * hvgdk/hvhdk headers), which asm/kvm_host.h itself includes.
 */
#ifndef XENHV_COMPAT_HYPERV_TLFS_H
#define XENHV_COMPAT_HYPERV_TLFS_H

#ifdef COMPAT_HYPERV_HVHDK
#include <hyperv/hvhdk.h>
#else
#include <asm/hyperv-tlfs.h>
#endif

#endif
