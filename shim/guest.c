// SPDX-License-Identifier: GPL-2.0
/*
 * Guest state access. The vCPU's general purpose registers are in
 * vcpu->arch.regs[] on VM exit for both vendors; RSP and RIP are not
 * touched here (instruction skipping goes through KVM).
 */
#include "compat/kvm.h"
#include <asm/processor.h>

#include "guest.h"

int __xenhv_hot xenhv_gpa_read(struct kvm_vcpu *vcpu, gpa_t gpa, void *data, unsigned long len)
{
	return KVM_FN(kvm_vcpu_read_guest)(vcpu, gpa, data, len) ? -EFAULT : 0;
}

int xenhv_gpa_write(struct kvm_vcpu *vcpu, gpa_t gpa, const void *data, unsigned long len)
{
	return KVM_FN(kvm_vcpu_write_guest)(vcpu, gpa, data, len) ? -EFAULT : 0;
}

void xenhv_inject_ud(struct kvm_vcpu *vcpu)
{
	KVM_FN(kvm_queue_exception)(vcpu, UD_VECTOR);
}

void xenhv_hypercall_insn(u8 insn[3])
{
	bool amd = boot_cpu_data.x86_vendor == X86_VENDOR_AMD ||
		   boot_cpu_data.x86_vendor == X86_VENDOR_HYGON;

	insn[0] = 0x0f;
	insn[1] = 0x01;
	insn[2] = amd ? 0xd9 : 0xc1;	/* vmmcall : vmcall */
}

/*
 * Opaque room for KVM's struct x86_exception (arch/x86/kvm/kvm_emulate.h),
 * which KVM fills on a fault and the shim never reads: not zeroed on each
 * call (INIT_STACK_ALL_ZERO kernels would).
 */
struct xenhv_exception {
	u64 room[8];
};

int __xenhv_hot xenhv_gva_read(struct kvm_vcpu *vcpu, gva_t gva, void *data, unsigned int len)
{
	struct xenhv_exception e __uninitialized;	/* KVM's to write, on a fault */

	return KVM_FN(kvm_read_guest_virt)(vcpu, gva, data, len, (struct x86_exception *)&e) ?
	       -EFAULT : 0;
}

int __xenhv_hot xenhv_gva_write(struct kvm_vcpu *vcpu, gva_t gva, const void *data,
				unsigned int len)
{
	struct xenhv_exception e __uninitialized;	/* KVM's to write, on a fault */

	return KVM_FN(kvm_write_guest_virt_system)(vcpu, gva, (void *)data, len,
					   (struct x86_exception *)&e) ? -EFAULT : 0;
}

gpa_t __xenhv_hot xenhv_gva_to_gpa(struct kvm_vcpu *vcpu, gva_t gva)
{
	struct xenhv_exception e __uninitialized;	/* KVM's to write, on a fault */

	return KVM_FN(kvm_mmu_gva_to_gpa_write)(vcpu, gva, (struct x86_exception *)&e);
}

int xenhv_gpage_pin(struct kvm_vcpu *vcpu, gpa_t gpa, struct xenhv_gpage *gp)
{
	unsigned long hva = KVM_FN(kvm_vcpu_gfn_to_hva)(vcpu, gpa_to_gfn(gpa));
	struct page *page;
	int ret;

	if (kvm_is_error_hva(hva) || current->mm != vcpu->kvm->mm)
		return -EFAULT;
	ret = pin_user_pages_fast(hva, 1, FOLL_WRITE | FOLL_LONGTERM, &page);
	if (ret != 1)
		return ret < 0 ? ret : -EFAULT;
	gp->page = page;
	gp->va = page_address(page);
	gp->gpa = gpa & PAGE_MASK;
	return 0;
}

void xenhv_gpage_unpin(struct xenhv_gpage *gp)
{
	if (!gp->page)
		return;
	/*
	 * The shim wrote the page through the kernel mapping: dirty it. VM
	 * destruction unpins in atomic context, where the page lock cannot be
	 * taken; guest RAM is anonymous or shmem memory, which needs none.
	 */
	if (preemptible())
		set_page_dirty_lock(gp->page);
	else
		set_page_dirty(gp->page);
	unpin_user_page(gp->page);
	gp->page = NULL;
	gp->va = NULL;
}

bool __xenhv_hot xenhv_guest_has_lapic(struct kvm_vcpu *vcpu)
{
	return vcpu->arch.apic;
}

void __xenhv_hot xenhv_send_vector(struct kvm_vcpu *vcpu, u8 vector)
{
	/*
	 * Fixed delivery to the vCPU itself: a self IPI from its own LAPIC,
	 * so neither its APIC ID (8 bits in xAPIC mode, where vCPU ids past
	 * 254 would name another vCPU or all of them) nor a guest-written
	 * ID decides who gets it. A vCPU without the in-kernel LAPIC (a VMM
	 * may name a vector for one, as KVM lets it) gets nothing.
	 */
	if (!xenhv_guest_has_lapic(vcpu))
		return;
	KVM_FN(kvm_apic_send_ipi)(vcpu->arch.apic, APIC_DM_FIXED | APIC_DEST_SELF | vector, 0);
}
