// SPDX-License-Identifier: GPL-2.0
/*
 * Scheduling operations: Xen's SCHEDOP_yield and Hyper-V's
 * HvCallNotifyLongSpinWait both mean "this vCPU spins on a lock held by
 * another vCPU": boost a preempted sibling, as KVM does on PAUSE exits.
 */
#include "core.h"

void xenhv_core_yield(struct kvm_vcpu *vcpu)
{
	kvm_vcpu_on_spin(vcpu, true);
}
