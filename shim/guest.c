// SPDX-License-Identifier: GPL-2.0
/*
 * Guest state access. The vCPU's general purpose registers are in
 * vcpu->arch.regs[] on VM exit for both vendors; RSP and RIP are not
 * touched here (instruction skipping goes through KVM).
 */
#include <linux/kvm_host.h>
#include <asm/processor.h>

#include "guest.h"
#include "compat/kvm_ops.h"

int xenhv_guest_cpl(struct kvm_vcpu *vcpu)
{
	return xenhv_kvm_ops()->get_cpl(vcpu);
}

bool xenhv_guest_64bit(struct kvm_vcpu *vcpu)
{
	int db, l;

	if (!(vcpu->arch.efer & EFER_LMA))
		return false;
	xenhv_kvm_ops()->get_cs_db_l_bits(vcpu, &db, &l);
	return l;
}

bool xenhv_guest_protected(struct kvm_vcpu *vcpu)
{
	return vcpu->arch.cr0 & X86_CR0_PE;
}

int xenhv_gpa_read(struct kvm_vcpu *vcpu, gpa_t gpa, void *data, unsigned long len)
{
	return kvm_vcpu_read_guest(vcpu, gpa, data, len) ? -EFAULT : 0;
}

int xenhv_gpa_write(struct kvm_vcpu *vcpu, gpa_t gpa, const void *data, unsigned long len)
{
	return kvm_vcpu_write_guest(vcpu, gpa, data, len) ? -EFAULT : 0;
}

void xenhv_inject_ud(struct kvm_vcpu *vcpu)
{
	kvm_queue_exception(vcpu, UD_VECTOR);
}

int xenhv_skip_insn(struct kvm_vcpu *vcpu)
{
	return kvm_skip_emulated_instruction(vcpu);
}

void xenhv_hypercall_insn(u8 insn[3])
{
	bool amd = boot_cpu_data.x86_vendor == X86_VENDOR_AMD ||
		   boot_cpu_data.x86_vendor == X86_VENDOR_HYGON;

	insn[0] = 0x0f;
	insn[1] = 0x01;
	insn[2] = amd ? 0xd9 : 0xc1;	/* vmmcall : vmcall */
}
