// SPDX-License-Identifier: GPL-2.0
/*
 * Enlightenment sets (struct xenhv_xen_config.features and
 * struct xenhv_hv_config.features): the bits the module reports, bad sets
 * refused, and for every feature left out, exactly its CPUID bits, MSRs
 * and calls gone, as on a hypervisor without it.
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "xenhv.h"
#include "hv_guest.h"
#include "xen_guest.h"

/* ---- the module's word ------------------------------------------------------ */

XTEST(version_reports_known_bits)
{
	struct xenhv_version v = {};
	int dev = xenhv_open();

	TEST_ASSERT(!ioctl(dev, XENHV_GET_VERSION, &v), "XENHV_GET_VERSION: %s", strerror(errno));
	TEST_ASSERT(v.features & XENHV_FEAT_ENLIGHTENMENTS, "no XENHV_FEAT_ENLIGHTENMENTS");
	TEST_ASSERT_EQ(v.hv_features, XENHV_HV_ALL);
	TEST_ASSERT_EQ(v.xen_features, XENHV_XEN_ALL);
	close(dev);
}

static int attach_hv(struct vm *vm, uint64_t features)
{
	struct xenhv_hv_config cfg = { .features = features };

	return xenhv_attach(vm, XENHV_ABI_HYPERV, XENHV_ATTACH_CPUID | XENHV_ATTACH_NO_USER_EXIT,
			    &cfg, sizeof(cfg));
}

static int attach_xen(struct vm *vm, uint64_t features)
{
	struct xenhv_xen_config cfg = { .features = features };

	return xenhv_attach(vm, XENHV_ABI_XEN, XENHV_ATTACH_CPUID, &cfg, sizeof(cfg));
}

XTEST(bad_sets_einval)
{
	struct vm *vm = vm_create(NULL);
	int i;

	vm_add_vcpu(vm, NULL);
	for (i = 14; i < 64; i++)
		TEST_ASSERT_EQ(attach_hv(vm, XENHV_HV_ALL | (1ull << i)), -EINVAL);
	for (i = 4; i < 64; i++)
		TEST_ASSERT_EQ(attach_xen(vm, XENHV_XEN_ALL | (1ull << i)), -EINVAL);
	/* An enlightenment without the ones it needs (QEMU refuses these too). */
	TEST_ASSERT_EQ(attach_hv(vm, XENHV_HV_SYNIC), -EINVAL);
	TEST_ASSERT_EQ(attach_hv(vm, XENHV_HV_STIMER | XENHV_HV_SYNIC | XENHV_HV_VPINDEX), -EINVAL);
	TEST_ASSERT_EQ(attach_hv(vm, XENHV_HV_STIMER | XENHV_HV_TIME | XENHV_HV_VPINDEX), -EINVAL);
	TEST_ASSERT_EQ(attach_hv(vm, XENHV_HV_STIMER_DIRECT | XENHV_HV_SYNIC | XENHV_HV_TIME |
				     XENHV_HV_VPINDEX), -EINVAL);
	TEST_ASSERT_EQ(attach_hv(vm, XENHV_HV_TLBFLUSH), -EINVAL);
	TEST_ASSERT_EQ(attach_hv(vm, XENHV_HV_IPI), -EINVAL);
	/* Nothing was attached by the refusals; a good set is. */
	TEST_ASSERT_EQ(attach_hv(vm, XENHV_HV_RELAXED), 0);
	vm_destroy(vm);
}

/* ---- Hyper-V: each enlightenment left out ------------------------------------ */

/* What each XENHV_HV_* bit shows in CPUID 0x40000003 and 0x40000004. */
static const struct {
	uint64_t feature;
	uint32_t eax, ebx, edx, hints;
} hv_cpuid_map[] = {
	{ XENHV_HV_RELAXED, 0, 0, 0, HV_X64_RELAXED_TIMING_RECOMMENDED },
	{ XENHV_HV_VPINDEX, HV_MSR_VP_INDEX_AVAILABLE },
	{ XENHV_HV_RUNTIME, HV_MSR_VP_RUNTIME_AVAILABLE },
	{ XENHV_HV_CRASH, 0, 0, HV_FEATURE_GUEST_CRASH_MSR_AVAILABLE },
	{ XENHV_HV_TIME, HV_MSR_TIME_REF_COUNT_AVAILABLE | HV_MSR_REFERENCE_TSC_AVAILABLE },
	{ XENHV_HV_SYNIC, HV_MSR_SYNIC_AVAILABLE, HV_POST_MESSAGES | HV_SIGNAL_EVENTS },
	{ XENHV_HV_STIMER, HV_MSR_SYNTIMER_AVAILABLE },
	{ XENHV_HV_STIMER_DIRECT, 0, 0, HV_STIMER_DIRECT_MODE_AVAILABLE },
	{ XENHV_HV_TLBFLUSH, 0, 0, 0, HV_X64_REMOTE_TLB_FLUSH_RECOMMENDED },
	{ XENHV_HV_IPI, 0, 0, 0, HV_X64_CLUSTER_IPI_RECOMMENDED },
	{ XENHV_HV_FREQUENCIES, HV_ACCESS_FREQUENCY_MSRS, 0, HV_FEATURE_FREQUENCY_MSRS_AVAILABLE },
	{ XENHV_HV_RESET, HV_MSR_RESET_AVAILABLE, 0, 0, HV_X64_SYSTEM_RESET_RECOMMENDED },
	{ XENHV_HV_SPINLOCKS },
	{ XENHV_HV_IDLE, HV_MSR_GUEST_IDLE_AVAILABLE, 0, HV_X64_GUEST_IDLE_STATE_AVAILABLE },
};

/* The MSRs of each bit; 0 for the ones every set has. */
static const struct {
	uint32_t msr;
	uint64_t feature;
} hv_msr_map[] = {
	{ HV_X64_MSR_GUEST_OS_ID, 0 },
	{ HV_X64_MSR_HYPERCALL, 0 },
	{ HV_X64_MSR_VP_ASSIST_PAGE, 0 },
	{ HV_X64_MSR_VP_INDEX, XENHV_HV_VPINDEX },
	{ HV_X64_MSR_VP_RUNTIME, XENHV_HV_RUNTIME },
	{ HV_X64_MSR_TIME_REF_COUNT, XENHV_HV_TIME },
	{ HV_X64_MSR_REFERENCE_TSC, XENHV_HV_TIME },
	{ HV_X64_MSR_TSC_FREQUENCY, XENHV_HV_FREQUENCIES },
	{ HV_X64_MSR_APIC_FREQUENCY, XENHV_HV_FREQUENCIES },
	{ HV_X64_MSR_RESET, XENHV_HV_RESET },
	{ HV_X64_MSR_CRASH_P0, XENHV_HV_CRASH },
	{ HV_X64_MSR_CRASH_P4, XENHV_HV_CRASH },
	{ HV_X64_MSR_CRASH_CTL, XENHV_HV_CRASH },
	{ HV_X64_MSR_GUEST_IDLE, XENHV_HV_IDLE },
	{ HV_X64_MSR_SCONTROL, XENHV_HV_SYNIC },
	{ HV_X64_MSR_SVERSION, XENHV_HV_SYNIC },
	{ HV_X64_MSR_SIEFP, XENHV_HV_SYNIC },
	{ HV_X64_MSR_SIMP, XENHV_HV_SYNIC },
	{ HV_X64_MSR_EOM, XENHV_HV_SYNIC },
	{ HV_X64_MSR_SINT0, XENHV_HV_SYNIC },
	{ HV_X64_MSR_SINT15, XENHV_HV_SYNIC },
	{ HV_X64_MSR_STIMER0_CONFIG, XENHV_HV_STIMER },
	{ HV_X64_MSR_STIMER3_COUNT, XENHV_HV_STIMER },
};

/* The calls of each bit: slow calls read a zeroed input page. */
static const struct {
	uint16_t code;
	uint64_t feature;
} hv_call_map[] = {
	{ HVCALL_NOTIFY_LONG_SPIN_WAIT, XENHV_HV_SPINLOCKS },
	{ HVCALL_FLUSH_VIRTUAL_ADDRESS_SPACE, XENHV_HV_TLBFLUSH },
	{ HVCALL_FLUSH_VIRTUAL_ADDRESS_LIST, XENHV_HV_TLBFLUSH },
	{ HVCALL_FLUSH_VIRTUAL_ADDRESS_SPACE_EX, XENHV_HV_TLBFLUSH },
	{ HVCALL_FLUSH_VIRTUAL_ADDRESS_LIST_EX, XENHV_HV_TLBFLUSH },
	{ HVCALL_SEND_IPI, XENHV_HV_IPI },
	{ HVCALL_SEND_IPI_EX, XENHV_HV_IPI },
	{ HVCALL_SIGNAL_EVENT, XENHV_HV_SYNIC },
	{ HVCALL_POST_MESSAGE, XENHV_HV_SYNIC },
	{ HV_EXT_CALL_QUERY_CAPABILITIES, 0 },
};

/* The set without @f and without everything that needs @f. */
static uint64_t hv_set_without(uint64_t f)
{
	uint64_t set = XENHV_HV_ALL & ~f;

	if (!(set & XENHV_HV_VPINDEX))
		set &= ~(XENHV_HV_SYNIC | XENHV_HV_TLBFLUSH | XENHV_HV_IPI);
	if (!(set & XENHV_HV_SYNIC) || !(set & XENHV_HV_TIME))
		set &= ~XENHV_HV_STIMER;
	if (!(set & XENHV_HV_STIMER))
		set &= ~XENHV_HV_STIMER_DIRECT;
	return set;
}

static void hv_expected_cpuid(uint64_t set, uint32_t f[4], uint32_t hints[2])
{
	unsigned int i;

	f[0] = HV_MSR_HYPERCALL_AVAILABLE;
	f[1] = HV_ENABLE_EXTENDED_HYPERCALLS;
	f[2] = 0;
	f[3] = 0;
	hints[0] = HV_DEPRECATING_AEOI_RECOMMENDED;
	for (i = 0; i < ARRAY_SIZE(hv_cpuid_map); i++) {
		if (!(set & hv_cpuid_map[i].feature))
			continue;
		f[0] |= hv_cpuid_map[i].eax;
		f[1] |= hv_cpuid_map[i].ebx;
		f[3] |= hv_cpuid_map[i].edx;
		hints[0] |= hv_cpuid_map[i].hints;
	}
	if (set & (XENHV_HV_TLBFLUSH | XENHV_HV_IPI))
		hints[0] |= HV_X64_EX_PROCESSOR_MASKS_RECOMMENDED;
	hints[1] = set & XENHV_HV_SPINLOCKS ? 0x1fff : 0xffffffff;
}

#define ABORT_IF(cond, fmt, n, ...)						\
	do {									\
		if (cond)							\
			__GUEST_UCALL(UCALL_ABORT, fmt, n, __VA_ARGS__);	\
	} while (0)

static void guest_hv_set(uint64_t set)
{
	uint32_t r[4], f[4], hints[2];
	uint64_t faults, st, cfg;
	unsigned int i;
	bool off;

	guest_catch(13, 2);
	hv_expected_cpuid(set, f, hints);
	guest_cpuid(HYPERV_CPUID_FEATURES, 0, r);
	ABORT_IF(r[0] != f[0] || r[1] != f[1] || r[2] != f[2] || r[3] != f[3],
		 "0x40000003 %lx %lx %lx", 3, (uint64_t)r[0], (uint64_t)r[1], (uint64_t)r[3]);
	guest_cpuid(HYPERV_CPUID_ENLIGHTMENT_INFO, 0, r);
	ABORT_IF(r[0] != hints[0] || r[1] != hints[1], "0x40000004 %lx %lx", 2,
		 (uint64_t)r[0], (uint64_t)r[1]);

	for (i = 0; i < ARRAY_SIZE(hv_msr_map); i++) {
		off = hv_msr_map[i].feature && !(set & hv_msr_map[i].feature);
		faults = guest_faults;
		guest_rdmsr(hv_msr_map[i].msr);
		ABORT_IF((guest_faults != faults) != off, "rdmsr 0x%lx: #GP %lu", 2,
			 (uint64_t)hv_msr_map[i].msr, guest_faults - faults);
	}
	/* A write of a withheld MSR #GPs too, and changes nothing. */
	if (!(set & XENHV_HV_CRASH)) {
		faults = guest_faults;
		guest_wrmsr(HV_X64_MSR_CRASH_P0, 1);
		ABORT_IF(guest_faults != faults + 1, "CRASH_P0 write: no #GP", 0, 0);
	}
	/* Direct-mode stimers need their own bit. */
	if (set & XENHV_HV_STIMER) {
		cfg = HG_STIMER_DIRECT | HG_STIMER_VECTOR(0x40);
		faults = guest_faults;
		guest_wrmsr(HV_X64_MSR_STIMER0_CONFIG, cfg);
		off = !(set & XENHV_HV_STIMER_DIRECT);
		ABORT_IF((guest_faults != faults) != off, "direct stimer: #GP %lu", 1,
			 guest_faults - faults);
		GUEST_ASSERT_EQ(guest_rdmsr(HV_X64_MSR_STIMER0_CONFIG), off ? 0 : cfg);
		guest_wrmsr(HV_X64_MSR_STIMER0_CONFIG, HG_STIMER_SINT(2));
		GUEST_ASSERT_EQ(guest_rdmsr(HV_X64_MSR_STIMER0_CONFIG), HG_STIMER_SINT(2));
	}

	hg_enable_hypercalls();
	for (i = 0; i < ARRAY_SIZE(hv_call_map); i++) {
		uint16_t code = hv_call_map[i].code;

		off = hv_call_map[i].feature && !(set & hv_call_map[i].feature);
		st = guest_hv_hcall(code == HVCALL_NOTIFY_LONG_SPIN_WAIT ? HG_FAST(code) : code,
				    HG_IN_GPA(0), HG_OUT_GPA(0)) & 0xffff;
		ABORT_IF((st == HV_STATUS_ACCESS_DENIED) != off, "call 0x%lx: status %lu", 2,
			 (uint64_t)code, st);
	}
	GUEST_DONE();
}

XTEST(hv_each_feature_off)
{
	uint64_t sets[16], counts[2] = {};
	struct xenhv_vm_stats st;
	unsigned int n = 0, i;

	sets[n++] = 0;				/* the default: every feature */
	for (i = 0; i < 14; i++)
		sets[n++] = hv_set_without(1ull << i);
	sets[n++] = XENHV_HV_RELAXED;		/* a minimal set */
	for (i = 0; i < n; i++) {
		struct vm *vm = vm_create(NULL);
		struct vcpu *vcpu = vm_add_vcpu(vm, guest_hv_set);
		int r = attach_hv(vm, sets[i]);

		TEST_ASSERT(!r, "attach with 0x%llx: %s", (unsigned long long)sets[i],
			    strerror(-r));
		vcpu_set_args(vcpu, 1, sets[i] ? sets[i] : (uint64_t)XENHV_HV_ALL);
		vcpu_run_to_done(vcpu);
		TEST_ASSERT_EQ(xenhv_stats(vm, &st), 0);
		counts[0] += st.ops[HVCALL_SEND_IPI].errors;
		counts[1] += st.ops[XENHV_OP_MSR_READ].errors;
		vm_destroy(vm);
	}
	/* The refusals are counted as errors of their call and of MSR reads. */
	TEST_ASSERT(counts[0] >= 1 && counts[1] >= 1, "refusals not counted");
}

/* The VMM's own accesses to a withheld MSR go to KVM, which takes restores of 0. */
XTEST(hv_withheld_msr_host_access)
{
	struct vm *vm = vm_create(NULL);
	struct vcpu *vcpu = vm_add_vcpu(vm, NULL);
	struct {
		struct kvm_msrs h;
		struct kvm_msr_entry e;
	} m = { .h.nmsrs = 1, .e.index = HV_X64_MSR_CRASH_P0, .e.data = 0 };

	TEST_ASSERT_EQ(attach_hv(vm, hv_set_without(XENHV_HV_CRASH)), 0);
	TEST_ASSERT_EQ(ioctl(vcpu->fd, KVM_SET_MSRS, &m), 1);
	vm_destroy(vm);
}

/* ---- Xen: each feature left out ------------------------------------------------ */

static void guest_xen_set(uint64_t set)
{
	struct xen_hvm_evtchn_upcall_vector u = { .vcpu = 0, .vector = XG_UPCALL_VEC };
	struct xen_feature_info fi = { .submap_idx = 0 };
	uint32_t r[4], want;
	int64_t ret;

	want = 1u << XENFEAT_auto_translated_physmap;
	if (set & XENHV_XEN_CALLBACK_VECTOR)
		want |= 1u << XENFEAT_hvm_callback_vector;
	if (set & XENHV_XEN_SAFE_PVCLOCK)
		want |= 1u << XENFEAT_hvm_safe_pvclock;
	GUEST_ASSERT_EQ(xg_call(__HYPERVISOR_xen_version, XENVER_get_features, (uint64_t)&fi, 0),
			0);
	GUEST_ASSERT_EQ(fi.submap, want);

	guest_cpuid(0x40000004, 0, r);
	GUEST_ASSERT_EQ(r[0] & XEN_HVM_CPUID_UPCALL_VECTOR,
			set & XENHV_XEN_UPCALL_VECTOR ? XEN_HVM_CPUID_UPCALL_VECTOR : 0);
	GUEST_ASSERT_EQ(r[0] & XEN_HVM_CPUID_VCPU_ID_PRESENT,
			set & XENHV_XEN_VCPU_ID ? XEN_HVM_CPUID_VCPU_ID_PRESENT : 0);
	GUEST_ASSERT_EQ(r[1], 0);		/* vCPU 0, or no id at all */

	ret = xg_call(__HYPERVISOR_hvm_op, HVMOP_set_evtchn_upcall_vector, (uint64_t)&u, 0);
	GUEST_ASSERT_EQ(ret, set & XENHV_XEN_UPCALL_VECTOR ? 0 : -38 /* ENOSYS */);
	GUEST_DONE();
}

XTEST(xen_each_feature_off)
{
	unsigned int i;

	for (i = 0; i <= 4; i++) {
		uint64_t set = i < 4 ? XENHV_XEN_ALL & ~(1ull << i) : 0;
		struct vm *vm = vm_create(&(struct vm_opts){ .irqchip = true });
		struct vcpu *vcpu = vm_add_vcpu(vm, guest_xen_set);

		TEST_ASSERT_EQ(attach_xen(vm, set), 0);
		vcpu_set_args(vcpu, 1, set ? set : (uint64_t)XENHV_XEN_ALL);
		vcpu_run_to_done(vcpu);
		vm_destroy(vm);
	}
}

int main(int argc, char **argv)
{
	return xtest_main(argc, argv);
}
