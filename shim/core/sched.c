// SPDX-License-Identifier: GPL-2.0
/*
 * Scheduling operations. Yielding is inline (core.h). Blocking
 * (SCHEDOP_poll, SCHEDOP_block, Hyper-V's guest idle) goes through KVM's
 * own halt, so halt polling, signals and interrupts behave as for HLT.
 */
#include "core.h"

/*
 * Exit handlers run inside the vCPU's kvm->srcu read section. Blocking in
 * it would hold up every memslot update (synchronize_srcu) until the vCPU
 * wakes, and the VMM thread doing the update may hold the lock another
 * vCPU needs to wake this one. Drop it while blocked, as KVM's HLT does.
 *
 * A hypercall's ABI state lives as long as that section (xenhv.h), and
 * @gen (vm->gen) is odd from the start of a detach or reset. Read before
 * the section is left, an even count is the attachment the call entered:
 * a detach that began since would have made it odd, and cannot finish
 * (nor a new attachment start) before the section ends. A detach that
 * begins while the vCPU is blocked moves the count before it waits: it
 * waits for the new section if that started first, and SRCU makes the
 * move visible to a section it does not wait for. So the state is still
 * the caller's if the count is unchanged.
 */
bool __xenhv_hot xenhv_core_block(struct kvm_vcpu *vcpu, const u64 *gen)
{
	u64 before = READ_ONCE(*gen);

	if (before & 1)
		return false;	/* detach began: do not sleep on its way */

	vcpu->arch.mp_state = KVM_MP_STATE_HALTED;
	kvm_vcpu_srcu_read_unlock(vcpu);
	KVM_FN(kvm_vcpu_halt)(vcpu);
	kvm_vcpu_srcu_read_lock(vcpu);
	vcpu->arch.mp_state = KVM_MP_STATE_RUNNABLE;
	return READ_ONCE(*gen) == before;
}

/* KVM's run loop clears KVM_REQ_UNBLOCK, so a stale request is harmless. */
void xenhv_core_unblock(struct kvm_vcpu *vcpu)
{
	kvm_make_request(KVM_REQ_UNBLOCK, vcpu);
	xenhv_vcpu_kick(vcpu);
}
