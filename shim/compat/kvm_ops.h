/* SPDX-License-Identifier: GPL-2.0 */
/*
 * KVM internals that modules cannot reach by export: found once at load.
 */
#ifndef XENHV_COMPAT_KVM_OPS_H
#define XENHV_COMPAT_KVM_OPS_H

#include <linux/kvm_host.h>

int xenhv_compat_init(void);

/* kvm.ko's vendor operations table (kvm_x86_ops), current vendor's values. */
const struct kvm_x86_ops *xenhv_kvm_ops(void);

#endif
