/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every touch of guest state goes through here: registers, guest memory,
 * exceptions, the instruction pointer. Nothing else reads or writes the
 * guest.
 */
#ifndef XENHV_GUEST_H
#define XENHV_GUEST_H

#include "compat/kvm.h"
#include "hot.h"

static inline unsigned long xenhv_reg(struct kvm_vcpu *vcpu, int reg)
{
	return vcpu->arch.regs[reg];
}

/* As kvm_register_write(): mark the register available and dirty. */
static inline void xenhv_set_reg(struct kvm_vcpu *vcpu, int reg, unsigned long val)
{
	vcpu->arch.regs[reg] = val;
	xenhv_mark_reg_dirty(vcpu, reg);
}

static inline int xenhv_guest_cpl(struct kvm_vcpu *vcpu)
{
	return xenhv_kvm_ops()->get_cpl(vcpu);
}

/* Whether @vcpu runs 64-bit code (long mode, CS.L). */
static inline bool xenhv_guest_64bit(struct kvm_vcpu *vcpu)
{
	int db, l;

	if (!(vcpu->arch.efer & EFER_LMA))
		return false;
	xenhv_kvm_ops()->get_cs_db_l_bits(vcpu, &db, &l);
	return l;
}

static inline bool xenhv_guest_protected(struct kvm_vcpu *vcpu)
{
	return vcpu->arch.cr0 & X86_CR0_PE;
}

/* Returns 0 or -EFAULT when the GPA range is not backed by a memslot. */
int xenhv_gpa_read(struct kvm_vcpu *vcpu, gpa_t gpa, void *data, unsigned long len);
int xenhv_gpa_write(struct kvm_vcpu *vcpu, gpa_t gpa, const void *data, unsigned long len);

void xenhv_inject_ud(struct kvm_vcpu *vcpu);
/* Complete the current instruction: returns KVM's "resume" convention. */
static inline int xenhv_skip_insn(struct kvm_vcpu *vcpu)
{
	return KVM_FN(kvm_skip_emulated_instruction)(vcpu);
}

/* The hypercall instruction of the host's CPU vendor (3 bytes). */
void xenhv_hypercall_insn(u8 insn[3]);

#endif

/*
 * Guest virtual memory, read and written as the guest kernel would
 * (the caller checked CPL 0). Returns 0 or -EFAULT; the guest gets no #PF.
 */
int xenhv_gva_read(struct kvm_vcpu *vcpu, gva_t gva, void *data, unsigned int len);
int xenhv_gva_write(struct kvm_vcpu *vcpu, gva_t gva, const void *data, unsigned int len);
/* Translate one guest virtual address; INVALID_GPA when unmapped. */
gpa_t xenhv_gva_to_gpa(struct kvm_vcpu *vcpu, gva_t gva);

/*
 * A guest page the shim keeps mapped in the kernel so it can be updated
 * from any context (timers, other vCPUs, the VMM's eventfds). It is pinned
 * while registered; if the VMM later moves the guest's memory under it, the
 * shim keeps writing the old page until the guest registers again.
 */
struct xenhv_gpage {
	struct page *page;
	void *va;
	gpa_t gpa;
};

/* From the vCPU's own thread. Returns 0, -EFAULT (not guest RAM) or -ENOMEM. */
int xenhv_gpage_pin(struct kvm_vcpu *vcpu, gpa_t gpa, struct xenhv_gpage *gp);
/* Any context. */
void xenhv_gpage_unpin(struct xenhv_gpage *gp);

/*
 * The vCPU of index @idx in @vcpu's VM, or NULL: @vcpu itself without
 * KVM's lookup (an xarray walk), the usual target of a hypercall.
 */
static inline struct kvm_vcpu *xenhv_vcpu_peer(struct kvm_vcpu *vcpu, unsigned int idx)
{
	return idx == (unsigned int)vcpu->vcpu_idx ? vcpu : kvm_get_vcpu(vcpu->kvm, idx);
}

/* Deliver a fixed interrupt vector to a vCPU through its in-kernel LAPIC. */
bool xenhv_guest_has_lapic(struct kvm_vcpu *vcpu);
void xenhv_send_vector(struct kvm_vcpu *vcpu, u8 vector);
