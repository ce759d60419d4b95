// SPDX-License-Identifier: GPL-2.0
/*
 * hv2xen: the Hyper-V guest ABI. Decodes the hypercall input value
 * (64-bit: RCX control, RDX input GPA, R8 output GPA; 32-bit: EDX:EAX,
 * EBX:ECX, EDI:ESI), the synthetic MSRs and the Hyper-V CPUID leaves, and
 * maps each call onto a core operation: the MSR and hypercall tables below
 * are the mapping Documentation/hv2xen.rst describes. Calls the shim does
 * not carry out go to the VMM as KVM_EXIT_HYPERV, in KVM's own layout.
 */
#include "compat/kvm.h"
#include <linux/math64.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include "compat/hyperv-tlfs.h"
#include <asm/tsc.h>

#include "hv.h"

#define HV_SYNTHETIC_MSR_FIRST	0x40000000
#define HV_SYNTHETIC_MSR_LAST	0x400001ff
#define HV_CPUID_LAST		0x4000000A
#define HV_SPIN_RETRIES		0x1fff
#define HV_BUILD		0x3839		/* reported as 10.0.14393 */
#define HV_VERSION		0x000a0000
#define HV_HYPERCALL_RSVD_BITS	GENMASK_ULL(11, 2)
/* Connection id, reserved, message type, payload size, payload. */
#define HV_POST_MESSAGE_INPUT_SIZE (16 + HV_MESSAGE_PAYLOAD_BYTE_COUNT)

/*
 * What the shim implements, and so advertises (CPUID 0x40000003 and
 * 0x40000004), as far as the VM's enlightenment set offers it. The
 * hypercall page, the guest OS id, the VP assist page and the extended
 * hypercalls are always there; the rest follows one XENHV_HV_* bit each.
 */
#define HV_BASE_EAX	HV_MSR_HYPERCALL_AVAILABLE
#define HV_BASE_EBX	HV_ENABLE_EXTENDED_HYPERCALLS
/* SINTs may use AutoEOI, but guests are asked not to, as Hyper-V asks. */
#define HV_BASE_HINTS	HV_DEPRECATING_AEOI_RECOMMENDED

/* Which enlightenment needs which others (QEMU refuses the same sets). */
static const struct {
	u64 feature;
	u64 deps;
} hv_deps[] = {
	{ XENHV_HV_SYNIC, XENHV_HV_VPINDEX },
	{ XENHV_HV_STIMER, XENHV_HV_SYNIC | XENHV_HV_TIME },
	{ XENHV_HV_STIMER_DIRECT, XENHV_HV_STIMER },
	{ XENHV_HV_TLBFLUSH, XENHV_HV_VPINDEX },
	{ XENHV_HV_IPI, XENHV_HV_VPINDEX },
};

static bool hv_features_valid(u64 f)
{
	int i;

	if (f & ~XENHV_HV_ALL)
		return false;
	for (i = 0; i < ARRAY_SIZE(hv_deps); i++)
		if ((f & hv_deps[i].feature) && (f & hv_deps[i].deps) != hv_deps[i].deps)
			return false;
	return true;
}

/* Statistics index: call codes 0..0xbf, extended calls from 0xc0 on. */
static u32 hv_op(u16 code)
{
	if (code < 0xc0)
		return code;
	if (code >= 0x8000 && code < 0x8030)
		return 0xc0 + code - 0x8000;
	return XENHV_OP_CALL_OTHER;
}

static void hv_vm_free(struct hv_vm *h)
{
	xenhv_vcpu_table_free(&h->vcpus);
	kfree(h);
}

static int hv_attach(struct xenhv_vm *vm, const struct xenhv_attach *at)
{
	const struct xenhv_hv_config *c = &at->hv;
	static const char vendor[12] = "Microsoft Hv";
	struct hv_vm *h = vm->hv.h;

	if (c->reserved0 || memchr_inv(c->reserved, 0, sizeof(c->reserved)) ||
	    !hv_features_valid(c->features ? c->features : XENHV_HV_ALL))
		return -EINVAL;
	if (!h) {
		h = kzalloc(sizeof(*h), GFP_KERNEL_ACCOUNT);
		if (!h)
			return -ENOMEM;
		xenhv_vcpu_table_init(&h->vcpus, vm->kvm);
		h->vm = vm;
		raw_spin_lock_init(&h->lock);
		mutex_init(&h->ops_lock);
		xa_init(&h->conns);
		INIT_LIST_HEAD(&h->sints);
		vm->hv.h = h;
	}
	/* Each attachment starts a new partition: reference time 0. */
	xenhv_clock_init(&h->clock);
	h->tsc_page = 0;
	memset(h->crash, 0, sizeof(h->crash));
	spin_lock(&vm->hv.lock);
	if (c->vendor_id[0] || c->vendor_id[1] || c->vendor_id[2])
		memcpy(vm->hv.vendor, c->vendor_id, sizeof(vm->hv.vendor));
	else
		memcpy(vm->hv.vendor, vendor, sizeof(vm->hv.vendor));
	vm->hv.features = c->features ? c->features : XENHV_HV_ALL;
	vm->hv.guest_os_id = 0;
	vm->hv.hypercall = 0;
	spin_unlock(&vm->hv.lock);
	return 0;
}

/*
 * Free the VM's Hyper-V state: every vCPU's timers stop before any vCPU's
 * state goes. No call of the ABI runs (detach drained them; at destruction
 * no vCPU runs) and the VMM's bindings are released.
 */
static void hv_free(struct xenhv_vm *vm)
{
	struct hv_vm *h = vm->hv.h;
	u32 i;

	for (i = 0; i < h->vcpus.nr; i++)
		if (hv_vcpu_find(h, i))
			hv_vcpu_teardown(hv_vcpu_find(h, i));
	for (i = 0; i < h->vcpus.nr; i++)
		if (hv_vcpu_find(h, i))
			hv_vcpu_free(hv_vcpu_find(h, i));
	vm->hv.h = NULL;
	xa_destroy(&h->conns);
	hv_vm_free(h);
}

/*
 * Detached: no call of the ABI runs any more (vm.c drained them); release
 * everything, so that a later attachment starts from the power-on state.
 */
static void hv_detach(struct xenhv_vm *vm)
{
	struct hv_vm *h = vm->hv.h;

	if (!h)
		return;
	mutex_lock(&h->ops_lock);
	hv_conns_teardown(h);
	hv_sints_teardown(h);
	hv_auto_eoi_release(h, true);
	mutex_unlock(&h->ops_lock);
	hv_free(vm);
}

static u64 hv_mem_bytes(struct xenhv_vm *vm)
{
	struct hv_vm *h = vm->hv.h;

	return h ? ksize(h) + xenhv_vcpu_table_bytes(&h->vcpus) : 0;
}

/* KVM destroys the VM: atomic context, no vCPU runs any more. */
static void hv_destroy(struct xenhv_vm *vm)
{
	struct hv_vm *h = vm->hv.h;

	if (!h)
		return;
	hv_conns_teardown(h);
	hv_sints_teardown(h);
	hv_auto_eoi_release(h, false);
	hv_free(vm);
}

int xenhv_hv_ioctl(struct xenhv_vm *vm, unsigned int cmd, void *arg)
{
	switch (cmd) {
	case XENHV_HV_BIND_CONN:
		return hv_bind_conn(vm->hv.h, arg);
	case XENHV_HV_BIND_SINT:
		return hv_bind_sint(vm->hv.h, arg);
	case XENHV_HV_POST_MESSAGE:
		return hv_post_message(vm->hv.h, arg);
	}
	return -ENOTTY;
}

/* The TSC page's parameters: the pvclock scale of the VM clock, per 100 ns. */
void hv_tsc_scale(struct hv_vm *h, struct kvm_vcpu *vcpu, u64 *scale, s64 *offset)
{
	struct xenhv_tsc_scale s;
	s64 ts;
	u64 part;

	xenhv_clock_scale(&h->clock, vcpu, &s);
	/* ns = tsc * 2^shift * mul / 2^32, so ref = tsc * (2^(32+shift) * mul / 100) / 2^64. */
	*scale = mul_u64_u32_div(1ULL << (32 + s.shift), s.mul, 100);
	/*
	 * The attach instant in guest TSC is "negative" when the VMM reset the
	 * guest TSC after attach (QEMU does when it starts the vCPUs): the
	 * page's formula is not modular, so take the sign into account.
	 */
	ts = (s64)s.tsc_timestamp;
	part = mul_u64_u64_shr(ts < 0 ? -(u64)ts : (u64)ts, *scale, 64);
	*offset = div_u64(s.system_time, 100) + (ts < 0 ? (s64)part : -(s64)part);
}

/* The TSC page's formula, for @vcpu's TSC now. */
static u64 ref_time_now(struct kvm_vcpu *vcpu, u64 scale, s64 offset)
{
	return mul_u64_u64_shr(KVM_FN(kvm_read_l1_tsc)(vcpu, rdtsc()), scale, 64) + offset;
}

u64 hv_ref_time(struct hv_vm *h, struct kvm_vcpu *vcpu)
{
	u64 scale;
	s64 offset;

	hv_tsc_scale(h, vcpu, &scale, &offset);
	return ref_time_now(vcpu, scale, offset);
}

/* hv_ref_time() on @hvc's own thread, with the page's parameters kept. */
u64 __xenhv_hot hv_ref_time_own(struct hv_vm *h, struct hv_vcpu *hvc)
{
	struct kvm_vcpu *vcpu = hvc->vcpu;
	u64 clock = READ_ONCE(h->clock.ref_tsc);

	if (unlikely(xenhv_clock_key_update(&hvc->ref_key, vcpu) || hvc->ref_clock != clock)) {
		hvc->ref_clock = clock;
		hv_tsc_scale(h, vcpu, &hvc->ref_scale, &hvc->ref_offset);
	}
	return ref_time_now(vcpu, hvc->ref_scale, hvc->ref_offset);
}

static void hv_cpuid_range(struct xenhv_vm *vm, u32 *first, u32 *last)
{
	*first = HYPERV_CPUID_VENDOR_AND_MAX_FUNCTIONS;
	*last = HV_CPUID_LAST;
}

/* CPUID 0x40000003: partition privileges (EAX, EBX) and features (EDX). */
static void hv_cpuid_features(struct xenhv_vm *vm, u32 r[4])
{
	static const struct {
		u64 feature;
		u32 eax, edx;
	} map[] = {
		{ XENHV_HV_VPINDEX, HV_MSR_VP_INDEX_AVAILABLE, 0 },
		{ XENHV_HV_RUNTIME, HV_MSR_VP_RUNTIME_AVAILABLE, 0 },
		{ XENHV_HV_CRASH, 0, HV_FEATURE_GUEST_CRASH_MSR_AVAILABLE },
		{ XENHV_HV_TIME, HV_MSR_TIME_REF_COUNT_AVAILABLE |
				 HV_MSR_REFERENCE_TSC_AVAILABLE, 0 },
		{ XENHV_HV_SYNIC, HV_MSR_SYNIC_AVAILABLE, 0 },
		{ XENHV_HV_STIMER, HV_MSR_SYNTIMER_AVAILABLE, 0 },
		{ XENHV_HV_STIMER_DIRECT, 0, HV_STIMER_DIRECT_MODE_AVAILABLE },
		{ XENHV_HV_FREQUENCIES, HV_ACCESS_FREQUENCY_MSRS,
					HV_FEATURE_FREQUENCY_MSRS_AVAILABLE },
		{ XENHV_HV_RESET, HV_MSR_RESET_AVAILABLE, 0 },
		{ XENHV_HV_IDLE, HV_MSR_GUEST_IDLE_AVAILABLE, HV_X64_GUEST_IDLE_STATE_AVAILABLE },
	};
	int i;

	r[0] = HV_BASE_EAX;
	r[1] = HV_BASE_EBX;
	if (hv_offers(vm, XENHV_HV_SYNIC))
		r[1] |= HV_POST_MESSAGES | HV_SIGNAL_EVENTS;
	for (i = 0; i < ARRAY_SIZE(map); i++) {
		if (hv_offers(vm, map[i].feature)) {
			r[0] |= map[i].eax;
			r[3] |= map[i].edx;
		}
	}
}

/* Only what the shim implements, and the VM's set offers, is advertised. */
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
		hv_cpuid_features(vm, r);
		break;
	case HYPERV_CPUID_ENLIGHTMENT_INFO:
		r[0] = HV_BASE_HINTS;
		if (hv_offers(vm, XENHV_HV_TLBFLUSH))
			r[0] |= HV_X64_REMOTE_TLB_FLUSH_RECOMMENDED;
		if (hv_offers(vm, XENHV_HV_RESET))
			r[0] |= HV_X64_SYSTEM_RESET_RECOMMENDED;
		if (hv_offers(vm, XENHV_HV_RELAXED))
			r[0] |= HV_X64_RELAXED_TIMING_RECOMMENDED;
		if (hv_offers(vm, XENHV_HV_IPI))
			r[0] |= HV_X64_CLUSTER_IPI_RECOMMENDED;
		/* The Ex forms serve the flush and the IPI calls alike. */
		if (vm->hv.features & (XENHV_HV_TLBFLUSH | XENHV_HV_IPI))
			r[0] |= HV_X64_EX_PROCESSOR_MASKS_RECOMMENDED;
		/* All ones: never notify a long spin wait. */
		r[1] = hv_offers(vm, XENHV_HV_SPINLOCKS) ? HV_SPIN_RETRIES : U32_MAX;
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

/*
 * HV_X64_MSR_REFERENCE_TSC. The page is written once, when the guest
 * enables it; the sequence changes on every fill and is never 0 (invalid)
 * or 0xFFFFFFFF.
 */
static int hv_set_tsc_page(struct kvm_vcpu *vcpu, struct hv_vm *h, u64 data, bool host)
{
	struct ms_hyperv_tsc_page page = {};
	gpa_t gpa = data & PAGE_MASK;
	s64 offset;
	u64 scale;
	u32 seq;

	if (data & HV_PAGE_MSR_RSVD)
		return 1;
	if ((data & HV_X64_MSR_TSC_REFERENCE_ENABLE) && !host) {
		mutex_lock(&h->ops_lock);
		seq = h->tsc_seq + 1;
		if (seq == 0 || seq == U32_MAX)
			seq = 1;
		hv_tsc_scale(h, vcpu, &scale, &offset);
		page.tsc_scale = scale;
		page.tsc_offset = offset;
		/* Invalidate, fill, then publish the new sequence. */
		if (xenhv_gpa_write(vcpu, gpa, &page, sizeof(page))) {
			mutex_unlock(&h->ops_lock);
			return 1;
		}
		/* The page's fields before its sequence, as the guest reads them. */
		smp_wmb();
		xenhv_gpa_write(vcpu, gpa, &seq, sizeof(seq));
		h->tsc_seq = seq;
		mutex_unlock(&h->ops_lock);
	}
	WRITE_ONCE(h->tsc_page, data);
	return 0;
}

/* A page MSR with bit 0 enable and bits 11:1 reserved; zeroed when enabled. */
static int hv_set_zeroed_page(struct kvm_vcpu *vcpu, u64 data, bool host, u64 *val)
{
	if (data & HV_PAGE_MSR_RSVD)
		return 1;
	if ((data & 1) && !host &&
	    xenhv_gpa_write(vcpu, data & PAGE_MASK, page_address(ZERO_PAGE(0)), PAGE_SIZE))
		return 1;
	*val = data;
	return 0;
}

/* The enlightenment an MSR belongs to; 0 for the ones every set has. */
static u64 hv_msr_feature(u32 msr)
{
	switch (msr) {
	case HV_X64_MSR_VP_INDEX:
		return XENHV_HV_VPINDEX;
	case HV_X64_MSR_VP_RUNTIME:
		return XENHV_HV_RUNTIME;
	case HV_X64_MSR_TIME_REF_COUNT:
	case HV_X64_MSR_REFERENCE_TSC:
		return XENHV_HV_TIME;
	case HV_X64_MSR_TSC_FREQUENCY:
	case HV_X64_MSR_APIC_FREQUENCY:
		return XENHV_HV_FREQUENCIES;
	case HV_X64_MSR_RESET:
		return XENHV_HV_RESET;
	case HV_X64_MSR_CRASH_P0 ... HV_X64_MSR_CRASH_CTL:
		return XENHV_HV_CRASH;
	case HV_X64_MSR_GUEST_IDLE:
		return XENHV_HV_IDLE;
	case HV_X64_MSR_STIMER0_CONFIG ... HV_X64_MSR_STIMER3_COUNT:
		return XENHV_HV_STIMER;
	}
	return hv_synic_msr(msr) ? XENHV_HV_SYNIC : 0;
}

/*
 * An MSR of an enlightenment the VM's set leaves out: the guest gets #GP,
 * as from a Hyper-V without it; the VMM's own accesses go to KVM, which
 * serves its save/restore lists.
 */
static int hv_msr_withheld(struct xenhv_vm *vm, struct msr_data *msr, bool write)
{
	if (msr->host_initiated)
		return XENHV_MSR_PASS;
	xenhv_count(vm, write ? XENHV_OP_MSR_WRITE : XENHV_OP_MSR_READ, XENHV_STAT_ERROR);
	return 1;
}

static int hv_get_msr(struct kvm_vcpu *vcpu, struct xenhv_vm *vm, struct msr_data *msr)
{
	struct hv_vm *h = to_hv(vm);
	struct hv_vcpu *hvc;
	u32 i = msr->index;
	int ret = 0;

	if (!hv_offers(vm, hv_msr_feature(i)))
		return hv_msr_withheld(vm, msr, false);
	switch (i) {
	case HV_X64_MSR_GUEST_OS_ID:
		msr->data = READ_ONCE(vm->hv.guest_os_id);
		break;
	case HV_X64_MSR_HYPERCALL:
		msr->data = READ_ONCE(vm->hv.hypercall);
		break;
	case HV_X64_MSR_VP_INDEX:
		msr->data = vcpu->vcpu_idx;
		break;
	case HV_X64_MSR_VP_RUNTIME:
		msr->data = div_u64(current->se.sum_exec_runtime, 100);
		break;
	case HV_X64_MSR_TIME_REF_COUNT:
		/* KVM reads MSRs on the vCPU's thread, or under its mutex. */
		hvc = hv_vcpu_get(h, vcpu);
		msr->data = hvc ? hv_ref_time_own(h, hvc) : hv_ref_time(h, vcpu);
		break;
	case HV_X64_MSR_REFERENCE_TSC:
		msr->data = READ_ONCE(h->tsc_page);
		break;
	case HV_X64_MSR_TSC_FREQUENCY:
		msr->data = (u64)(vcpu->arch.virtual_tsc_khz ? : tsc_khz) * 1000;
		break;
	case HV_X64_MSR_APIC_FREQUENCY:
		msr->data = div64_u64(NSEC_PER_SEC, xenhv_apic_bus_cycle_ns(vcpu->kvm) ? : 1);
		break;
	case HV_X64_MSR_RESET:
		msr->data = 0;
		break;
	case HV_X64_MSR_CRASH_P0 ... HV_X64_MSR_CRASH_P4:
		msr->data = READ_ONCE(h->crash[i - HV_X64_MSR_CRASH_P0]);
		break;
	case HV_X64_MSR_CRASH_CTL:
		msr->data = HV_CRASH_CTL_CRASH_NOTIFY;
		break;
	case HV_X64_MSR_VP_ASSIST_PAGE:
		hvc = hv_vcpu_get(h, vcpu);
		if (!hvc)
			return 1;
		msr->data = hvc->vp_assist;
		break;
	case HV_X64_MSR_GUEST_IDLE:
		if (msr->host_initiated) {
			msr->data = 0;
			break;
		}
		ret = hv_guest_idle(vcpu, h);
		msr->data = 0;
		break;
	default:
		if (i < HV_SYNTHETIC_MSR_FIRST || i > HV_SYNTHETIC_MSR_LAST)
			return XENHV_MSR_PASS;
		if (!hv_synic_msr(i) && msr->host_initiated)
			return XENHV_MSR_PASS;	/* the VMM saves what KVM lists */
		/* Not implemented: #GP, as on Hyper-V. */
		ret = hv_synic_msr(i) ?
		      hv_synic_get_msr(vcpu, h, i, &msr->data, msr->host_initiated) : 1;
	}
	xenhv_count(vm, XENHV_OP_MSR_READ, ret ? XENHV_STAT_ERROR : XENHV_STAT_KERNEL);
	return ret;
}

static int hv_set_msr(struct kvm_vcpu *vcpu, struct xenhv_vm *vm, struct msr_data *msr)
{
	struct hv_vm *h = to_hv(vm);
	bool host = msr->host_initiated;
	struct hv_vcpu *hvc;
	u64 data = msr->data;
	u32 i = msr->index;
	int ret = 0;

	if (!hv_offers(vm, hv_msr_feature(i)))
		return hv_msr_withheld(vm, msr, true);
	switch (i) {
	case HV_X64_MSR_GUEST_OS_ID:
		spin_lock(&vm->hv.lock);
		WRITE_ONCE(vm->hv.guest_os_id, data);
		/* Clearing the OS id disables the hypercall page (TLFS). */
		if (!data && !host)
			WRITE_ONCE(vm->hv.hypercall,
				   vm->hv.hypercall & ~(u64)HV_X64_MSR_HYPERCALL_ENABLE);
		spin_unlock(&vm->hv.lock);
		break;
	case HV_X64_MSR_HYPERCALL:
		ret = hv_set_hypercall(vcpu, vm, msr);
		break;
	case HV_X64_MSR_VP_INDEX:
		/* Fixed: the VMM may restore the same value. */
		ret = !host || data != vcpu->vcpu_idx;
		break;
	case HV_X64_MSR_VP_RUNTIME:
	case HV_X64_MSR_TIME_REF_COUNT:
	case HV_X64_MSR_TSC_FREQUENCY:
	case HV_X64_MSR_APIC_FREQUENCY:
		/* Read-only; a restore by the VMM is accepted and ignored. */
		ret = !host;
		break;
	case HV_X64_MSR_REFERENCE_TSC:
		ret = hv_set_tsc_page(vcpu, h, data, host);
		break;
	case HV_X64_MSR_RESET:
		if ((data & 1) && !host)
			kvm_make_request(KVM_REQ_HV_RESET, vcpu);
		break;
	case HV_X64_MSR_CRASH_P0 ... HV_X64_MSR_CRASH_P4:
		WRITE_ONCE(h->crash[i - HV_X64_MSR_CRASH_P0], data);
		break;
	case HV_X64_MSR_CRASH_CTL:
		if (data & ~HV_CRASH_CTL_CRASH_NOTIFY)
			ret = 1;
		else if (data && !host)
			kvm_make_request(KVM_REQ_HV_CRASH, vcpu);
		break;
	case HV_X64_MSR_VP_ASSIST_PAGE:
		hvc = hv_vcpu_get(h, vcpu);
		ret = hvc ? hv_set_zeroed_page(vcpu, data, host, &hvc->vp_assist) : 1;
		break;
	case HV_X64_MSR_GUEST_IDLE:
		ret = 1;
		break;
	default:
		if (i < HV_SYNTHETIC_MSR_FIRST || i > HV_SYNTHETIC_MSR_LAST)
			return XENHV_MSR_PASS;
		if (!hv_synic_msr(i) && host)
			return XENHV_MSR_PASS;
		ret = hv_synic_msr(i) ? hv_synic_set_msr(vcpu, h, i, data, host) : 1;
	}
	xenhv_count(vm, XENHV_OP_MSR_WRITE, ret ? XENHV_STAT_ERROR : XENHV_STAT_KERNEL);
	return ret;
}

static void hv_decode(struct kvm_vcpu *vcpu, struct hv_call *c)
{
	if (xenhv_guest_64bit(vcpu))
		hv_call_decode(c, xenhv_reg(vcpu, VCPU_REGS_RCX), xenhv_reg(vcpu, VCPU_REGS_RDX),
			       xenhv_reg(vcpu, VCPU_REGS_R8), true);
	else
		hv_call_decode(c, ((u64)(u32)xenhv_reg(vcpu, VCPU_REGS_RDX) << 32) |
				  (u32)xenhv_reg(vcpu, VCPU_REGS_RAX),
			       ((u64)(u32)xenhv_reg(vcpu, VCPU_REGS_RBX) << 32) |
				  (u32)xenhv_reg(vcpu, VCPU_REGS_RCX),
			       ((u64)(u32)xenhv_reg(vcpu, VCPU_REGS_RDI) << 32) |
				  (u32)xenhv_reg(vcpu, VCPU_REGS_RSI), false);
}

static __always_inline int hv_complete(struct kvm_vcpu *vcpu, bool longmode, u64 result)
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

/* The enlightenment a call belongs to; 0 for the ones every set has. */
static u64 hv_call_feature(u16 code)
{
	switch (code) {
	case HVCALL_NOTIFY_LONG_SPIN_WAIT:
		return XENHV_HV_SPINLOCKS;
	case HVCALL_FLUSH_VIRTUAL_ADDRESS_SPACE:
	case HVCALL_FLUSH_VIRTUAL_ADDRESS_LIST:
	case HVCALL_FLUSH_VIRTUAL_ADDRESS_SPACE_EX:
	case HVCALL_FLUSH_VIRTUAL_ADDRESS_LIST_EX:
		return XENHV_HV_TLBFLUSH;
	case HVCALL_SEND_IPI:
	case HVCALL_SEND_IPI_EX:
		return XENHV_HV_IPI;
	case HVCALL_SIGNAL_EVENT:
	case HVCALL_POST_MESSAGE:
		return XENHV_HV_SYNIC;
	}
	return 0;
}

static int __xenhv_hot xenhv_hv_hypercall(struct kvm_vcpu *vcpu, struct xenhv_vm *vm)
{
	struct hv_vm *h = to_hv(vm);
	struct hv_call c __uninitialized;	/* all of it decoded first */
	bool to_user = false;
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
	if (!hv_offers(vm, hv_call_feature(c.code))) {
		/* A Hyper-V without the enlightenment denies its calls. */
		status = HV_STATUS_ACCESS_DENIED;
		goto done;
	}
	switch (c.code) {
	case HVCALL_NOTIFY_LONG_SPIN_WAIT:		/* SCHEDOP_yield */
		if (!hv_call_simple(&c)) {
			status = HV_STATUS_INVALID_HYPERCALL_INPUT;
			break;
		}
		xenhv_core_yield(vcpu);
		status = HV_STATUS_SUCCESS;
		break;
	case HVCALL_FLUSH_VIRTUAL_ADDRESS_SPACE:	/* HVMOP_flush_tlbs */
	case HVCALL_FLUSH_VIRTUAL_ADDRESS_LIST:
	case HVCALL_FLUSH_VIRTUAL_ADDRESS_SPACE_EX:
	case HVCALL_FLUSH_VIRTUAL_ADDRESS_LIST_EX:
		status = hv_call_flush(vcpu, h, &c);
		break;
	case HVCALL_SEND_IPI:				/* EVTCHNOP_send, IPI ports */
	case HVCALL_SEND_IPI_EX:
		status = hv_call_send_ipi(vcpu, h, &c);
		break;
	case HVCALL_SIGNAL_EVENT:			/* EVTCHNOP_send */
		status = hv_call_signal_event(vcpu, h, &c, &to_user);
		break;
	case HVCALL_POST_MESSAGE:			/* the VMM's */
		if (c.fast || !hv_call_simple(&c)) {
			status = HV_STATUS_INVALID_HYPERCALL_INPUT;
			break;
		}
		if (!hv_block_ok(c.ingpa, HV_POST_MESSAGE_INPUT_SIZE)) {
			status = HV_STATUS_INVALID_ALIGNMENT;
			break;
		}
		to_user = true;
		break;
	case HV_EXT_CALL_QUERY_CAPABILITIES:		/* XENVER_get_features */
		status = hv_call_ext_query(vcpu, &c);
		break;
	default:
		status = HV_STATUS_INVALID_HYPERCALL_CODE;
	}
	if (to_user) {
		if (!(vm->flags & XENHV_ATTACH_NO_USER_EXIT)) {
			xenhv_count(vm, hv_op(c.code), XENHV_STAT_USER);
			return hv_exit_to_user(vcpu, &c);
		}
		status = HV_STATUS_INVALID_CONNECTION_ID;
	}
done:
	xenhv_count(vm, hv_op(c.code), status ? XENHV_STAT_ERROR : XENHV_STAT_KERNEL);
	return hv_complete(vcpu, c.longmode,
			   status | ((u64)c.reps << HV_HYPERCALL_REP_COMP_OFFSET));
}

static bool hv_vcpu_auto_eoi(struct kvm_vcpu *vcpu, struct xenhv_vm *vm, int vector)
{
	return hv_auto_eoi(to_hv(vm), vcpu, vector);
}

const struct xenhv_abi xenhv_hv_abi = {
	.id = XENHV_ABI_HYPERV,
	.name = "hyperv",
	.attach = hv_attach,
	.hypercall = xenhv_hv_hypercall,
	.get_msr = hv_get_msr,
	.set_msr = hv_set_msr,
	.cpuid = hv_cpuid,
	.cpuid_range = hv_cpuid_range,
	.auto_eoi = hv_vcpu_auto_eoi,
	.detach = hv_detach,
	.destroy = hv_destroy,
	.mem_bytes = hv_mem_bytes,
};
