// SPDX-License-Identifier: GPL-2.0
/*
 * xen2hv: the Xen HVM guest ABI. Decodes Xen hypercalls (64-bit: RAX, RDI,
 * RSI, RDX, R10, R8, R9; 32-bit: EAX, EBX, ECX, EDX, ESI, EDI, EBP), the
 * hypercall-page MSR and the Xen CPUID leaves, and maps each call onto a
 * core operation (Documentation/xen2hv.rst has the table). Calls the shim
 * does not carry out go to the VMM as KVM_EXIT_XEN, in KVM's own layout.
 */
#include <linux/kvm_host.h>
#include <xen/interface/xen.h>
#include <xen/interface/version.h>

#include "xenhv.h"
#include "guest.h"

#define XEN_DEFAULT_VERSION	((4 << 16) | 16)
#define XEN_DEFAULT_MSR		0x40000000
#define XEN_CPUID_SIGNATURE	"XenVMMXenVMM"
#define XEN_CPUID_LEAVES	5	/* base + 0 .. base + 4 */

/*
 * Xen's error numbers (xen/include/public/errno.h), which the kernel's Xen
 * headers do not carry; results are -XEN_E*.
 */
#define XEN_EPERM		1
#define XEN_EFAULT		14
#define XEN_EINVAL		22
#define XEN_ENOSYS		38

struct xen_call {
	u64 nr;
	u64 args[6];
	bool longmode;
	int cpl;
};

/* Statistics index: the hypercall number; Xen defines fewer than 64. */
static u32 xen_op(u64 nr)
{
	return nr < 64 ? nr : XENHV_OP_CALL_OTHER;
}

static int xen_attach(struct xenhv_vm *vm, const struct xenhv_attach *at)
{
	const struct xenhv_xen_config *c = &at->xen;
	u32 base = c->cpuid_base ? c->cpuid_base : 0x40000000;
	u32 msr = c->hypercall_msr ? c->hypercall_msr : XEN_DEFAULT_MSR;

	if (c->reserved0 || memchr_inv(c->reserved, 0, sizeof(c->reserved)))
		return -EINVAL;
	if (base != 0x40000000 && base != 0x40000100)
		return -EINVAL;
	/* The page MSR must be in the hypervisor-reserved MSR range. */
	if (msr < 0x40000000 || msr > 0x4fffffff)
		return -EINVAL;
	vm->xen = (struct xenhv_xen_state) {
		.version = c->version ? c->version : XEN_DEFAULT_VERSION,
		.hypercall_msr = msr,
		.cpuid_base = base,
	};
	return 0;
}

static void xen_cpuid_range(struct xenhv_vm *vm, u32 *first, u32 *last)
{
	*first = vm->xen.cpuid_base;
	*last = vm->xen.cpuid_base + XEN_CPUID_LEAVES - 1;
}

static void xen_cpuid(struct xenhv_vm *vm, struct kvm_vcpu *vcpu, u32 leaf, u32 sub, u32 r[4])
{
	u32 base = vm->xen.cpuid_base;

	memset(r, 0, 4 * sizeof(u32));
	if (leaf < base || leaf >= base + XEN_CPUID_LEAVES)
		return;
	switch (leaf - base) {
	case 0:
		r[0] = base + XEN_CPUID_LEAVES - 1;
		memcpy(&r[1], XEN_CPUID_SIGNATURE, 12);
		break;
	case 1:
		r[0] = vm->xen.version;
		break;
	case 2:
		r[0] = 1;			/* hypercall pages */
		r[1] = vm->xen.hypercall_msr;
		break;
	}
	/* base + 3 (time) and base + 4 (HVM features): nothing offered yet. */
}

/*
 * The hypercall page: 32 stubs of 32 bytes, "mov $nr, %eax; vmcall; ret",
 * and a ud2 for __HYPERVISOR_iret, which HVM guests must not use.
 */
static int xen_write_hypercall_page(struct kvm_vcpu *vcpu, gpa_t gpa)
{
	u8 *page, insn[3];
	int i, ret;

	page = kzalloc(PAGE_SIZE, GFP_KERNEL_ACCOUNT);
	if (!page)
		return -ENOMEM;
	xenhv_hypercall_insn(insn);
	for (i = 0; i < PAGE_SIZE / 32; i++) {
		u8 *p = page + i * 32;

		p[0] = 0xb8;			/* mov $i, %eax */
		put_unaligned_le32(i, p + 1);
		memcpy(p + 5, insn, 3);
		p[8] = 0xc3;			/* ret */
	}
	page[__HYPERVISOR_iret * 32] = 0x0f;	/* ud2 */
	page[__HYPERVISOR_iret * 32 + 1] = 0x0b;
	ret = xenhv_gpa_write(vcpu, gpa, page, PAGE_SIZE);
	kfree(page);
	return ret;
}

static int xen_get_msr(struct kvm_vcpu *vcpu, struct xenhv_vm *vm, struct msr_data *msr)
{
	if (msr->index != vm->xen.hypercall_msr)
		return XENHV_MSR_PASS;
	xenhv_count(vm, XENHV_OP_MSR_READ, XENHV_STAT_KERNEL);
	msr->data = READ_ONCE(vm->xen.hypercall_msr_value);
	return 0;
}

/*
 * Guest writes: bits 63:12 are the page's GPA, bits 11:0 the page index
 * (only page 0 exists). An index other than 0 or an unbacked GPA is a #GP,
 * as on Xen. Host-initiated writes (state restore) only record the value:
 * the page itself travels with guest memory.
 */
static int xen_set_msr(struct kvm_vcpu *vcpu, struct xenhv_vm *vm, struct msr_data *msr)
{
	if (msr->index != vm->xen.hypercall_msr)
		return XENHV_MSR_PASS;
	if (msr->data & ~PAGE_MASK)
		goto fault;
	if (!msr->host_initiated && xen_write_hypercall_page(vcpu, msr->data & PAGE_MASK))
		goto fault;
	WRITE_ONCE(vm->xen.hypercall_msr_value, msr->data);
	xenhv_count(vm, XENHV_OP_MSR_WRITE, XENHV_STAT_KERNEL);
	return 0;
fault:
	xenhv_count(vm, XENHV_OP_MSR_WRITE, XENHV_STAT_ERROR);
	return 1;
}

static void xen_decode(struct kvm_vcpu *vcpu, struct xen_call *c)
{
	c->longmode = xenhv_guest_64bit(vcpu);
	c->cpl = xenhv_guest_cpl(vcpu);
	if (c->longmode) {
		c->nr = xenhv_reg(vcpu, VCPU_REGS_RAX);
		c->args[0] = xenhv_reg(vcpu, VCPU_REGS_RDI);
		c->args[1] = xenhv_reg(vcpu, VCPU_REGS_RSI);
		c->args[2] = xenhv_reg(vcpu, VCPU_REGS_RDX);
		c->args[3] = xenhv_reg(vcpu, VCPU_REGS_R10);
		c->args[4] = xenhv_reg(vcpu, VCPU_REGS_R8);
		c->args[5] = xenhv_reg(vcpu, VCPU_REGS_R9);
	} else {
		c->nr = (u32)xenhv_reg(vcpu, VCPU_REGS_RAX);
		c->args[0] = (u32)xenhv_reg(vcpu, VCPU_REGS_RBX);
		c->args[1] = (u32)xenhv_reg(vcpu, VCPU_REGS_RCX);
		c->args[2] = (u32)xenhv_reg(vcpu, VCPU_REGS_RDX);
		c->args[3] = (u32)xenhv_reg(vcpu, VCPU_REGS_RSI);
		c->args[4] = (u32)xenhv_reg(vcpu, VCPU_REGS_RDI);
		c->args[5] = (u32)xenhv_reg(vcpu, VCPU_REGS_RBP);
	}
}

static int xen_complete(struct kvm_vcpu *vcpu, bool longmode, u64 result)
{
	xenhv_set_reg(vcpu, VCPU_REGS_RAX, longmode ? result : (u32)result);
	return xenhv_skip_insn(vcpu);
}

/* KVM calls this when KVM_RUN resumes after a KVM_EXIT_XEN. */
static int xen_complete_userspace(struct kvm_vcpu *vcpu)
{
	struct kvm_xen_exit *x = &vcpu->run->xen;

	return xen_complete(vcpu, x->u.hcall.longmode, x->u.hcall.result);
}

static int xen_exit_to_user(struct kvm_vcpu *vcpu, const struct xen_call *c)
{
	struct kvm_run *run = vcpu->run;
	int i;

	run->exit_reason = KVM_EXIT_XEN;
	run->xen.type = KVM_EXIT_XEN_HCALL;
	run->xen.u.hcall.longmode = c->longmode;
	run->xen.u.hcall.cpl = c->cpl;
	run->xen.u.hcall.input = c->nr;
	for (i = 0; i < 6; i++)
		run->xen.u.hcall.params[i] = c->args[i];
	run->xen.u.hcall.result = -XEN_ENOSYS;
	vcpu->arch.complete_userspace_io = xen_complete_userspace;
	return 0;
}

static long xen_version(struct xenhv_vm *vm, const struct xen_call *c, bool *handled)
{
	switch (c->args[0]) {
	case XENVER_version:
		return vm->xen.version;
	}
	*handled = false;
	return 0;
}

static int xen_hypercall(struct kvm_vcpu *vcpu, struct xenhv_vm *vm)
{
	bool handled = true;
	struct xen_call c;
	long ret = -XEN_ENOSYS;

	xen_decode(vcpu, &c);
	if (c.cpl > 0) {
		/* Xen refuses hypercalls from guest user mode. */
		ret = -XEN_EPERM;
		goto done;
	}
	switch (c.nr) {
	case __HYPERVISOR_xen_version:
		ret = xen_version(vm, &c, &handled);
		break;
	default:
		handled = false;
	}
	if (!handled) {
		xenhv_count(vm, xen_op(c.nr), XENHV_STAT_USER);
		return xen_exit_to_user(vcpu, &c);
	}
done:
	xenhv_count(vm, xen_op(c.nr), ret < 0 ? XENHV_STAT_ERROR : XENHV_STAT_KERNEL);
	return xen_complete(vcpu, c.longmode, ret);
}

const struct xenhv_abi xenhv_xen_abi = {
	.id = XENHV_ABI_XEN,
	.name = "xen",
	.attach = xen_attach,
	.hypercall = xen_hypercall,
	.get_msr = xen_get_msr,
	.set_msr = xen_set_msr,
	.cpuid = xen_cpuid,
	.cpuid_range = xen_cpuid_range,
};
