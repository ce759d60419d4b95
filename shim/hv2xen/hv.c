// SPDX-License-Identifier: GPL-2.0
/*
 * hv2xen: the Hyper-V guest ABI. Decodes the hypercall input value
 * (64-bit: RCX control, RDX input GPA, R8 output GPA; 32-bit: EDX:EAX,
 * EBX:ECX, EDI:ESI), the synthetic MSRs and the Hyper-V CPUID leaves, and
 * maps each call onto a core operation (Documentation/hv2xen.rst has the
 * table). Calls the shim does not carry out go to the VMM as
 * KVM_EXIT_HYPERV, in KVM's own layout.
 */
#include <linux/kvm_host.h>
#include <asm/hyperv-tlfs.h>

#include "xenhv.h"
#include "guest.h"
#include "core/core.h"

#define HV_SYNTHETIC_MSR_FIRST	0x40000000
#define HV_SYNTHETIC_MSR_LAST	0x400001ff
#define HV_CPUID_LAST		HYPERV_CPUID_IMPLEMENT_LIMITS
#define HV_SPIN_RETRIES		0x1fff
#define HV_BUILD		0x3839		/* reported as 10.0.14393 */
#define HV_VERSION		0x000a0000
#define HV_HYPERCALL_RSVD_BITS	GENMASK_ULL(11, 2)
/* Connection id, reserved, message type, payload size, payload. */
#define HV_POST_MESSAGE_INPUT_SIZE (16 + HV_MESSAGE_PAYLOAD_BYTE_COUNT)

struct hv_call {
	u64 control;
	u64 ingpa;
	u64 outgpa;
	u16 code;
	bool fast;
	u16 varhead;
	u16 rep_cnt;
	u16 rep_idx;
	bool longmode;
};

/* Statistics index: call codes 0..0xbf, extended calls from 0xc0 on. */
static u32 hv_op(u16 code)
{
	if (code < 0xc0)
		return code;
	if (code >= 0x8000 && code < 0x8030)
		return 0xc0 + code - 0x8000;
	return XENHV_OP_CALL_OTHER;
}

static int hv_attach(struct xenhv_vm *vm, const struct xenhv_attach *at)
{
	const struct xenhv_hv_config *c = &at->hv;
	static const char vendor[12] = "Microsoft Hv";

	if (c->reserved0 || memchr_inv(c->reserved, 0, sizeof(c->reserved)))
		return -EINVAL;
	spin_lock(&vm->hv.lock);
	if (c->vendor_id[0] || c->vendor_id[1] || c->vendor_id[2])
		memcpy(vm->hv.vendor, c->vendor_id, sizeof(vm->hv.vendor));
	else
		memcpy(vm->hv.vendor, vendor, sizeof(vm->hv.vendor));
	vm->hv.guest_os_id = 0;
	vm->hv.hypercall = 0;
	spin_unlock(&vm->hv.lock);
	return 0;
}

static void hv_cpuid_range(struct xenhv_vm *vm, u32 *first, u32 *last)
{
	*first = HYPERV_CPUID_VENDOR_AND_MAX_FUNCTIONS;
	*last = HV_CPUID_LAST;
}

/* Only what the shim implements is advertised. */
static void hv_cpuid(struct xenhv_vm *vm, struct kvm_vcpu *vcpu, u32 leaf, u32 sub, u32 r[4])
{
	memset(r, 0, 4 * sizeof(u32));
	switch (leaf) {
	case HYPERV_CPUID_VENDOR_AND_MAX_FUNCTIONS:
		r[0] = HV_CPUID_LAST;
		memcpy(&r[1], vm->hv.vendor, 12);
		break;
	case HYPERV_CPUID_INTERFACE:
		r[0] = 0x31237648;		/* "Hv#1" */
		break;
	case HYPERV_CPUID_VERSION:
		r[0] = HV_BUILD;
		r[1] = HV_VERSION;
		break;
	case HYPERV_CPUID_FEATURES:
		r[0] = HV_MSR_HYPERCALL_AVAILABLE;
		r[1] = HV_POST_MESSAGES;
		break;
	case HYPERV_CPUID_ENLIGHTMENT_INFO:
		/* SINTs are plain LAPIC vectors: no auto-EOI. */
		r[0] = HV_X64_RELAXED_TIMING_RECOMMENDED | HV_DEPRECATING_AEOI_RECOMMENDED;
		r[1] = HV_SPIN_RETRIES;
		break;
	case HYPERV_CPUID_IMPLEMENT_LIMITS:
		r[0] = vm->kvm->max_vcpus;
		r[1] = num_possible_cpus();
		break;
	}
}

static bool hv_hypercall_enabled(struct xenhv_vm *vm)
{
	return READ_ONCE(vm->hv.hypercall) & HV_X64_MSR_HYPERCALL_ENABLE;
}

static int hv_get_msr(struct kvm_vcpu *vcpu, struct xenhv_vm *vm, struct msr_data *msr)
{
	switch (msr->index) {
	case HV_X64_MSR_GUEST_OS_ID:
		msr->data = READ_ONCE(vm->hv.guest_os_id);
		break;
	case HV_X64_MSR_HYPERCALL:
		msr->data = READ_ONCE(vm->hv.hypercall);
		break;
	default:
		if (msr->index < HV_SYNTHETIC_MSR_FIRST || msr->index > HV_SYNTHETIC_MSR_LAST)
			return XENHV_MSR_PASS;
		/* A synthetic MSR the shim does not implement: #GP, as on Hyper-V. */
		xenhv_count(vm, XENHV_OP_MSR_READ, XENHV_STAT_ERROR);
		return 1;
	}
	xenhv_count(vm, XENHV_OP_MSR_READ, XENHV_STAT_KERNEL);
	return 0;
}

/* The hypercall page: the host vendor's hypercall instruction and a ret. */
static int hv_write_hypercall_page(struct kvm_vcpu *vcpu, gpa_t gpa)
{
	u8 code[4];

	xenhv_hypercall_insn(code);
	code[3] = 0xc3;
	return xenhv_gpa_write(vcpu, gpa, code, sizeof(code));
}

/*
 * HV_X64_MSR_HYPERCALL: bit 0 enables, bit 1 locks, bits 11:2 are reserved
 * (#GP), bits 63:12 are the page's GPA. Without a guest OS id the enable
 * bit does not stick; once locked, writes are ignored. A guest write that
 * enables the page fills it (#GP if the GPA is not backed); host-initiated
 * writes restore the value only, the page travels with guest memory.
 */
static int hv_set_hypercall(struct kvm_vcpu *vcpu, struct xenhv_vm *vm, struct msr_data *msr)
{
	u64 data = msr->data;
	int ret = 0;

	if (data & HV_HYPERCALL_RSVD_BITS)
		return 1;
	spin_lock(&vm->hv.lock);
	if (vm->hv.hypercall & BIT_ULL(1)) {
		spin_unlock(&vm->hv.lock);
		return 0;
	}
	if (!vm->hv.guest_os_id && !msr->host_initiated)
		data &= ~HV_X64_MSR_HYPERCALL_ENABLE;
	spin_unlock(&vm->hv.lock);

	if ((data & HV_X64_MSR_HYPERCALL_ENABLE) && !msr->host_initiated)
		ret = hv_write_hypercall_page(vcpu, data & HV_X64_MSR_HYPERCALL_PAGE_ADDRESS_MASK);
	if (ret)
		return 1;
	WRITE_ONCE(vm->hv.hypercall, data);
	return 0;
}

static int hv_set_msr(struct kvm_vcpu *vcpu, struct xenhv_vm *vm, struct msr_data *msr)
{
	int ret = 0;

	switch (msr->index) {
	case HV_X64_MSR_GUEST_OS_ID:
		spin_lock(&vm->hv.lock);
		WRITE_ONCE(vm->hv.guest_os_id, msr->data);
		/* Clearing the OS id disables the hypercall page (TLFS). */
		if (!msr->data && !msr->host_initiated)
			WRITE_ONCE(vm->hv.hypercall,
				   vm->hv.hypercall & ~(u64)HV_X64_MSR_HYPERCALL_ENABLE);
		spin_unlock(&vm->hv.lock);
		break;
	case HV_X64_MSR_HYPERCALL:
		ret = hv_set_hypercall(vcpu, vm, msr);
		break;
	default:
		if (msr->index < HV_SYNTHETIC_MSR_FIRST || msr->index > HV_SYNTHETIC_MSR_LAST)
			return XENHV_MSR_PASS;
		ret = 1;
	}
	xenhv_count(vm, XENHV_OP_MSR_WRITE, ret ? XENHV_STAT_ERROR : XENHV_STAT_KERNEL);
	return ret;
}

static void hv_decode(struct kvm_vcpu *vcpu, struct hv_call *c)
{
	c->longmode = xenhv_guest_64bit(vcpu);
	if (c->longmode) {
		c->control = xenhv_reg(vcpu, VCPU_REGS_RCX);
		c->ingpa = xenhv_reg(vcpu, VCPU_REGS_RDX);
		c->outgpa = xenhv_reg(vcpu, VCPU_REGS_R8);
	} else {
		c->control = ((u64)(u32)xenhv_reg(vcpu, VCPU_REGS_RDX) << 32) |
			     (u32)xenhv_reg(vcpu, VCPU_REGS_RAX);
		c->ingpa = ((u64)(u32)xenhv_reg(vcpu, VCPU_REGS_RBX) << 32) |
			   (u32)xenhv_reg(vcpu, VCPU_REGS_RCX);
		c->outgpa = ((u64)(u32)xenhv_reg(vcpu, VCPU_REGS_RDI) << 32) |
			    (u32)xenhv_reg(vcpu, VCPU_REGS_RSI);
	}
	c->code = c->control & 0xffff;
	c->fast = c->control & HV_HYPERCALL_FAST_BIT;
	c->varhead = (c->control & HV_HYPERCALL_VARHEAD_MASK) >> HV_HYPERCALL_VARHEAD_OFFSET;
	c->rep_cnt = (c->control & HV_HYPERCALL_REP_COMP_MASK) >> HV_HYPERCALL_REP_COMP_OFFSET;
	c->rep_idx = (c->control & HV_HYPERCALL_REP_START_MASK) >> HV_HYPERCALL_REP_START_OFFSET;
}

static int hv_complete(struct kvm_vcpu *vcpu, bool longmode, u64 result)
{
	if (longmode) {
		xenhv_set_reg(vcpu, VCPU_REGS_RAX, result);
	} else {
		xenhv_set_reg(vcpu, VCPU_REGS_RDX, result >> 32);
		xenhv_set_reg(vcpu, VCPU_REGS_RAX, (u32)result);
	}
	return xenhv_skip_insn(vcpu);
}

/* KVM calls this when KVM_RUN resumes after a KVM_EXIT_HYPERV. */
static int hv_complete_userspace(struct kvm_vcpu *vcpu)
{
	return hv_complete(vcpu, xenhv_guest_64bit(vcpu), vcpu->run->hyperv.u.hcall.result);
}

static int hv_exit_to_user(struct kvm_vcpu *vcpu, const struct hv_call *c)
{
	struct kvm_run *run = vcpu->run;

	run->exit_reason = KVM_EXIT_HYPERV;
	run->hyperv.type = KVM_EXIT_HYPERV_HCALL;
	run->hyperv.u.hcall.input = c->control;
	run->hyperv.u.hcall.params[0] = c->ingpa;
	run->hyperv.u.hcall.params[1] = c->outgpa;
	run->hyperv.u.hcall.result = HV_STATUS_INVALID_HYPERCALL_CODE;
	vcpu->arch.complete_userspace_io = hv_complete_userspace;
	return 0;
}

/* A slow call's input block: 8-byte aligned, within one page. */
static bool hv_gpa_ok(u64 gpa, u64 len)
{
	return IS_ALIGNED(gpa, 8) && offset_in_page(gpa) + len <= PAGE_SIZE;
}

static int hv_hypercall(struct kvm_vcpu *vcpu, struct xenhv_vm *vm)
{
	bool to_user = false;
	struct hv_call c;
	u16 status;

	/* No hypercall page, real mode or user mode: #UD, as on Hyper-V. */
	if (!hv_hypercall_enabled(vm) || !xenhv_guest_protected(vcpu) ||
	    xenhv_guest_cpl(vcpu)) {
		xenhv_count(vm, XENHV_OP_GUEST_FAULT, XENHV_STAT_ERROR);
		xenhv_inject_ud(vcpu);
		return 1;
	}
	hv_decode(vcpu, &c);
	if (c.control & HV_HYPERCALL_RSVD_MASK) {
		status = HV_STATUS_INVALID_HYPERCALL_INPUT;
		goto done;
	}
	switch (c.code) {
	case HVCALL_NOTIFY_LONG_SPIN_WAIT:
		if (c.rep_cnt || c.rep_idx || c.varhead) {
			status = HV_STATUS_INVALID_HYPERCALL_INPUT;
			break;
		}
		xenhv_core_yield(vcpu);
		status = HV_STATUS_SUCCESS;
		break;
	case HVCALL_POST_MESSAGE:
		if (c.fast || c.rep_cnt || c.rep_idx || c.varhead) {
			status = HV_STATUS_INVALID_HYPERCALL_INPUT;
			break;
		}
		if (!hv_gpa_ok(c.ingpa, HV_POST_MESSAGE_INPUT_SIZE)) {
			status = HV_STATUS_INVALID_ALIGNMENT;
			break;
		}
		to_user = true;
		break;
	case HVCALL_SIGNAL_EVENT:
		if (c.rep_cnt || c.rep_idx || c.varhead) {
			status = HV_STATUS_INVALID_HYPERCALL_INPUT;
			break;
		}
		if (!c.fast && !hv_gpa_ok(c.ingpa, 8)) {
			status = HV_STATUS_INVALID_ALIGNMENT;
			break;
		}
		to_user = true;
		break;
	default:
		status = HV_STATUS_INVALID_HYPERCALL_CODE;
	}
	if (to_user) {
		xenhv_count(vm, hv_op(c.code), XENHV_STAT_USER);
		return hv_exit_to_user(vcpu, &c);
	}
done:
	xenhv_count(vm, hv_op(c.code), status ? XENHV_STAT_ERROR : XENHV_STAT_KERNEL);
	return hv_complete(vcpu, c.longmode, status);
}

const struct xenhv_abi xenhv_hv_abi = {
	.id = XENHV_ABI_HYPERV,
	.name = "hyperv",
	.attach = hv_attach,
	.hypercall = hv_hypercall,
	.get_msr = hv_get_msr,
	.set_msr = hv_set_msr,
	.cpuid = hv_cpuid,
	.cpuid_range = hv_cpuid_range,
};
