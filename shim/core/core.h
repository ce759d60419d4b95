/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ABI-neutral operations on KVM primitives. Both front ends map their
 * calls onto these.
 */
#ifndef XENHV_CORE_H
#define XENHV_CORE_H

#include <linux/kvm_host.h>

/* Give up the physical CPU, preferably to a vCPU of the same VM. */
void xenhv_core_yield(struct kvm_vcpu *vcpu);

#endif
