// SPDX-License-Identifier: GPL-2.0
/*
 * The Hyper-V enlightenments of Documentation/hv2xen.rst other than the
 * hypercalls: the CPUID leaves, VP index, run time, the reference counter
 * and TSC page, the frequency, reset and crash MSRs, the VP assist page,
 * the SynIC (control, pages, SINTs), synthetic timers in direct and
 * message mode, guest idle, and teardown with armed timers.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "xenhv.h"
#include "hv_guest.h"

#define MS	10000ull	/* one millisecond in reference time units */

static struct vm *hv_vm(int nr_vcpus, void *guest, bool irqchip, uint32_t flags)
{
	struct vm *vm = vm_create(&(struct vm_opts){ .irqchip = irqchip });
	int i;

	for (i = 0; i < nr_vcpus; i++)
		vcpu_set_args(vm_add_vcpu(vm, guest), 2, (uint64_t)i, vm->mem_size);
	xenhv_attach_ok(vm, XENHV_ABI_HYPERV, XENHV_ATTACH_CPUID | flags);
	return vm;
}



/* Expect #GP from one wrmsr/rdmsr: the helpers' instruction is 2 bytes. */
#define GP_WRMSR(msr, val)							\
	do {									\
		uint64_t __f = guest_faults;					\
		guest_wrmsr(msr, val);						\
		if (guest_faults != __f + 1)					\
			__GUEST_UCALL(UCALL_ABORT, "wrmsr 0x%lx <- 0x%lx: no #GP", 2, \
				      (uint64_t)(msr), (uint64_t)(val));		\
	} while (0)
#define GP_RDMSR(msr)								\
	do {									\
		uint64_t __f = guest_faults;					\
		guest_rdmsr(msr);						\
		if (guest_faults != __f + 1)					\
			__GUEST_UCALL(UCALL_ABORT, "rdmsr 0x%lx: no #GP", 1,	\
				      (uint64_t)(msr));				\
	} while (0)

/* ---- CPUID ---------------------------------------------------------------- */

static void guest_cpuid_leaves(uint64_t vcpu, uint64_t mem_size, uint64_t max_vcpus)
{
	uint32_t r[4], leaf;

	guest_cpuid(HYPERV_CPUID_VENDOR_AND_MAX_FUNCTIONS, 0, r);
	GUEST_ASSERT_EQ(r[0], 0x4000000A);
	GUEST_ASSERT_EQ(r[1], 0x7263694d);	/* "Micr" */
	GUEST_ASSERT_EQ(r[2], 0x666f736f);	/* "osof" */
	GUEST_ASSERT_EQ(r[3], 0x76482074);	/* "t Hv" */
	guest_cpuid(HYPERV_CPUID_INTERFACE, 0, r);
	GUEST_ASSERT_EQ(r[0], 0x31237648);	/* "Hv#1" */
	GUEST_ASSERT_EQ(r[1] | r[2] | r[3], 0);
	guest_cpuid(HYPERV_CPUID_VERSION, 0, r);
	GUEST_ASSERT_EQ(r[0], 14393);		/* build */
	GUEST_ASSERT_EQ(r[1], 10 << 16);	/* 10.0 */
	guest_cpuid(HYPERV_CPUID_FEATURES, 0, r);
	GUEST_ASSERT_EQ(r[0], HV_MSR_VP_RUNTIME_AVAILABLE | HV_MSR_TIME_REF_COUNT_AVAILABLE |
			      HV_MSR_SYNIC_AVAILABLE | HV_MSR_SYNTIMER_AVAILABLE |
			      HV_MSR_HYPERCALL_AVAILABLE | HV_MSR_VP_INDEX_AVAILABLE |
			      HV_MSR_RESET_AVAILABLE | HV_MSR_REFERENCE_TSC_AVAILABLE |
			      HV_MSR_GUEST_IDLE_AVAILABLE | HV_ACCESS_FREQUENCY_MSRS);
	GUEST_ASSERT_EQ(r[1], HV_POST_MESSAGES | HV_SIGNAL_EVENTS | HV_ENABLE_EXTENDED_HYPERCALLS);
	GUEST_ASSERT_EQ(r[2], 0);
	GUEST_ASSERT_EQ(r[3], HV_X64_GUEST_IDLE_STATE_AVAILABLE |
			      HV_FEATURE_FREQUENCY_MSRS_AVAILABLE |
			      HV_FEATURE_GUEST_CRASH_MSR_AVAILABLE |
			      HV_STIMER_DIRECT_MODE_AVAILABLE);
	guest_cpuid(HYPERV_CPUID_ENLIGHTMENT_INFO, 0, r);
	GUEST_ASSERT_EQ(r[0], HV_X64_REMOTE_TLB_FLUSH_RECOMMENDED |
			      HV_X64_SYSTEM_RESET_RECOMMENDED |
			      HV_X64_RELAXED_TIMING_RECOMMENDED |
			      HV_DEPRECATING_AEOI_RECOMMENDED |
			      HV_X64_CLUSTER_IPI_RECOMMENDED |
			      HV_X64_EX_PROCESSOR_MASKS_RECOMMENDED);
	GUEST_ASSERT_EQ(r[1], 0x1fff);		/* spin retries */
	GUEST_ASSERT_EQ(r[2] | r[3], 0);
	guest_cpuid(HYPERV_CPUID_IMPLEMENT_LIMITS, 0, r);
	GUEST_ASSERT_EQ(r[0], max_vcpus);
	for (leaf = 0x40000006; leaf <= 0x4000000A; leaf++) {
		guest_cpuid(leaf, 0, r);
		if (r[0] | r[1] | r[2] | r[3])
			__GUEST_UCALL(UCALL_ABORT, "leaf 0x%lx not zero", 1, (uint64_t)leaf);
	}
	/* No Xen or KVM leaves at the second base. */
	guest_cpuid(0x40000100, 0, r);
	GUEST_ASSERT_EQ(r[0] | r[1] | r[2] | r[3], 0);
	GUEST_DONE();
}

XTEST(cpuid_leaves)
{
	struct vm *vm = hv_vm(1, guest_cpuid_leaves, false, 0);
	struct {
		struct kvm_cpuid2 h;
		struct kvm_cpuid_entry2 e[64];
	} c = { .h.nent = 64 };
	struct xenhv_cpuid req = { .vm_fd = vm->fd, .nent = 64, .entries = (uint64_t)c.e };
	int max = ioctl(vm->fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
	int dev = xenhv_open();
	unsigned int i;
	bool seen = false;

	TEST_ASSERT(max > 0, "KVM_CAP_MAX_VCPUS");
	vcpu_set_args(vm->vcpus[0], 3, 0ull, vm->mem_size, (uint64_t)max);
	vcpu_run_to_done(vm->vcpus[0]);
	/* The VMM's copy of the leaves says the same. */
	TEST_ASSERT(!ioctl(dev, XENHV_GET_CPUID, &req), "XENHV_GET_CPUID: %s", strerror(errno));
	for (i = 0; i < req.nent; i++) {
		if (c.e[i].function != HYPERV_CPUID_FEATURES)
			continue;
		seen = true;
		TEST_ASSERT_EQ(c.e[i].eax & HV_MSR_SYNTIMER_AVAILABLE, HV_MSR_SYNTIMER_AVAILABLE);
		TEST_ASSERT_EQ(c.e[i].edx & HV_STIMER_DIRECT_MODE_AVAILABLE,
			       HV_STIMER_DIRECT_MODE_AVAILABLE);
	}
	TEST_ASSERT(seen, "no leaf 0x40000003 in XENHV_GET_CPUID");
	close(dev);
	vm_destroy(vm);
}

static void guest_vendor(void)
{
	uint32_t r[4];

	guest_cpuid(HYPERV_CPUID_VENDOR_AND_MAX_FUNCTIONS, 0, r);
	GUEST_ASSERT_EQ(r[0], 0x4000000A);
	GUEST_ASSERT_EQ(r[1], 0x31323334);
	GUEST_ASSERT_EQ(r[2], 0x35363738);
	GUEST_ASSERT_EQ(r[3], 0x39303132);
	guest_cpuid(HYPERV_CPUID_INTERFACE, 0, r);
	GUEST_ASSERT_EQ(r[0], 0x31237648);
	GUEST_DONE();
}

XTEST(cpuid_vendor_configurable)
{
	struct vm *vm = vm_create(NULL);
	struct xenhv_hv_config cfg = { .vendor_id = { 0x31323334, 0x35363738, 0x39303132 } };

	vm_add_vcpu(vm, guest_vendor);
	TEST_ASSERT_EQ(xenhv_attach(vm, XENHV_ABI_HYPERV, XENHV_ATTACH_CPUID, &cfg, sizeof(cfg)), 0);
	vcpu_run_to_done(vm->vcpus[0]);
	vm_destroy(vm);
}

/* ---- VP index, run time, reference counter --------------------------------- */

static volatile uint64_t vp_turn;

static void guest_vp_index(uint64_t vcpu)
{
	guest_catch(13, 2);
	GUEST_ASSERT_EQ(guest_rdmsr(HV_X64_MSR_VP_INDEX), vcpu);
	/* guest_faults is shared: one vCPU at a time counts its #GPs. */
	while (__atomic_load_n(&vp_turn, __ATOMIC_ACQUIRE) != vcpu)
		__asm__ volatile("pause");
	GP_WRMSR(HV_X64_MSR_VP_INDEX, vcpu);
	GP_WRMSR(HV_X64_MSR_VP_INDEX, 5);
	__atomic_store_n(&vp_turn, vcpu + 1, __ATOMIC_RELEASE);
	GUEST_ASSERT_EQ(guest_rdmsr(HV_X64_MSR_VP_INDEX), vcpu);
	GUEST_DONE();
}

XTEST(vp_index_per_vcpu_read_only)
{
	struct vm *vm = hv_vm(3, guest_vp_index, false, 0);
	int i;

	vm_run_all_to_done(vm);
	for (i = 0; i < 3; i++)
		TEST_ASSERT_EQ(vcpu_get_msr(vm->vcpus[i], HV_X64_MSR_VP_INDEX), i);
	vm_destroy(vm);
}

static void guest_counters(void)
{
	uint64_t r0, r1, t0, t1;

	guest_catch(13, 2);
	t0 = hg_now();
	GUEST_SYNC(t0);			/* the host sleeps 50 ms */
	t1 = hg_now();
	GUEST_SYNC2(t0, t1);
	/* Run time grows while the vCPU runs, by no more than the time passed. */
	r0 = guest_rdmsr(HV_X64_MSR_VP_RUNTIME);
	t0 = hg_now();
	hg_delay(20 * MS);
	t1 = hg_now();
	r1 = guest_rdmsr(HV_X64_MSR_VP_RUNTIME);
	GUEST_ASSERT(r1 > r0);
	if (r1 - r0 > t1 - t0 + 20 * MS)
		__GUEST_UCALL(UCALL_ABORT, "run time +%lu in %lu", 2, r1 - r0, t1 - t0);
	GP_WRMSR(HV_X64_MSR_VP_RUNTIME, 0);
	GP_WRMSR(HV_X64_MSR_TIME_REF_COUNT, 0);
	GP_WRMSR(HV_X64_MSR_TIME_REF_COUNT, t1);
	GUEST_ASSERT(hg_now() >= t1);
	GUEST_DONE();
}

XTEST(vp_runtime_and_time_ref_count)
{
	struct vm *vm = hv_vm(1, guest_counters, false, 0);
	struct timespec a, b;
	struct ucall uc;
	uint64_t host;

	TEST_ASSERT_EQ(vcpu_run_ucall(vm->vcpus[0], &uc), UCALL_SYNC);
	/* Counted from attach: well under a minute in a test. */
	TEST_ASSERT(uc.args[0] < 600000000ull, "TIME_REF_COUNT %lu at start", uc.args[0]);
	clock_gettime(CLOCK_MONOTONIC, &a);
	usleep(50000);
	TEST_ASSERT_EQ(vcpu_run_ucall(vm->vcpus[0], &uc), UCALL_SYNC);
	clock_gettime(CLOCK_MONOTONIC, &b);
	host = (b.tv_sec - a.tv_sec) * 10000000ull + (b.tv_nsec - a.tv_nsec) / 100;
	/* 100 ns units: at least the host's sleep, not ten times more. */
	TEST_ASSERT(uc.args[1] - uc.args[0] >= 45 * MS && uc.args[1] - uc.args[0] <= 10 * host,
		    "guest +%lu, host +%lu (100 ns)", uc.args[1] - uc.args[0], host);
	vcpu_run_to_done(vm->vcpus[0]);
	vm_destroy(vm);
}

#define MSR_IA32_TSC	0x10	/* the x86 time-stamp counter */

/*
 * The guest moves its TSC far ahead (2^40 cycles, minutes): the reference
 * counter goes on from where it was, as the TSC page's formula has it once
 * the page is written again, and does not jump with the TSC.
 */
static void guest_ref_count_tsc_write(void)
{
	uint64_t r0, r1;

	r0 = guest_rdmsr(HV_X64_MSR_TIME_REF_COUNT);
	r1 = guest_rdmsr(HV_X64_MSR_TIME_REF_COUNT);
	GUEST_ASSERT(r1 >= r0);
	guest_wrmsr(MSR_IA32_TSC, guest_rdmsr(MSR_IA32_TSC) + (1ull << 40));
	r1 = guest_rdmsr(HV_X64_MSR_TIME_REF_COUNT);
	if (r1 - r0 > 10000 * MS)
		__GUEST_UCALL(UCALL_ABORT, "TIME_REF_COUNT %lu then %lu across a TSC write", 2,
			      r0, r1);
	GUEST_DONE();
}

XTEST(time_ref_count_across_tsc_write)
{
	struct vm *vm = hv_vm(1, guest_ref_count_tsc_write, false, 0);

	vcpu_run_to_done(vm->vcpus[0]);
	vm_destroy(vm);
}

/* ---- TSC page, frequencies ---------------------------------------------------- */

static uint64_t tsc_latest;
static volatile uint64_t tsc_ready;

static void guest_tsc_page(uint64_t vcpu, uint64_t mem_size)
{
	volatile struct ms_hyperv_tsc_page *p = (void *)HG_TSC_PAGE_GPA;
	uint64_t freq, apic, t0, m, t1, prev;
	__uint128_t hz;
	int i;

	guest_catch(13, 2);
	if (vcpu == 0) {
		guest_memset((void *)p, 0xaa, 4096);
		GP_WRMSR(HV_X64_MSR_REFERENCE_TSC, HG_TSC_PAGE_GPA | 1 | (1 << 3));
		GP_WRMSR(HV_X64_MSR_REFERENCE_TSC, HG_TSC_PAGE_GPA | 1 | (1 << 11));
		GP_WRMSR(HV_X64_MSR_REFERENCE_TSC, mem_size | 1);
		GP_WRMSR(HV_X64_MSR_REFERENCE_TSC, 0xfffffffff000ull | 1);
		GUEST_ASSERT_EQ(guest_rdmsr(HV_X64_MSR_REFERENCE_TSC) & 1, 0);
		guest_wrmsr(HV_X64_MSR_REFERENCE_TSC, HG_TSC_PAGE_GPA | 1);
		GUEST_ASSERT_EQ(guest_rdmsr(HV_X64_MSR_REFERENCE_TSC), HG_TSC_PAGE_GPA | 1);
		GUEST_ASSERT(p->tsc_sequence != 0 && p->tsc_sequence != 0xffffffff);
		GUEST_ASSERT(p->tsc_scale != 0);
		/* The scale converts the advertised TSC rate to 10 MHz (within 1%). */
		freq = guest_rdmsr(HV_X64_MSR_TSC_FREQUENCY);
		GUEST_ASSERT(freq != 0);
		hz = ((__uint128_t)freq * p->tsc_scale) >> 64;
		if (hz < 9900000 || hz > 10100000)
			__GUEST_UCALL(UCALL_ABORT, "scale 0x%lx at %lu Hz gives %lu Hz", 3,
				      p->tsc_scale, freq, (uint64_t)hz);
		apic = guest_rdmsr(HV_X64_MSR_APIC_FREQUENCY);
		GUEST_ASSERT_EQ(apic, 1000000000ull);	/* KVM's 1 ns bus cycle */
		GP_WRMSR(HV_X64_MSR_TSC_FREQUENCY, freq);
		GP_WRMSR(HV_X64_MSR_APIC_FREQUENCY, apic);
		__atomic_store_n(&tsc_ready, 1, __ATOMIC_SEQ_CST);
	}
	while (!__atomic_load_n(&tsc_ready, __ATOMIC_SEQ_CST))
		__asm__ volatile("pause");
	/* Page and MSR agree on each vCPU and time never goes back across them. */
	for (i = 0; i < 2000; i++) {
		prev = __atomic_load_n(&tsc_latest, __ATOMIC_SEQ_CST);
		t0 = hg_tsc_page_time(p);
		m = hg_now();
		t1 = hg_tsc_page_time(p);
		if (!(prev <= t0 && t0 <= m && m <= t1))
			__GUEST_UCALL(UCALL_ABORT, "iteration %lu: latest %lu page %lu msr %lu page %lu",
				      5, (uint64_t)i, prev, t0, m, t1);
		prev = __atomic_load_n(&tsc_latest, __ATOMIC_SEQ_CST);
		while (prev < t1 && !__atomic_compare_exchange_n(&tsc_latest, &prev, t1, false,
								 __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
			;
	}
	GUEST_SYNC(t1);
	GUEST_DONE();
}

XTEST(reference_tsc_page_matches_time_ref_count)
{
	struct vm *vm = hv_vm(2, guest_tsc_page, false, 0);

	vm_run_all_to_done(vm);
	sync_global_from_guest(vm, tsc_latest);
	TEST_ASSERT(tsc_latest > 0 && tsc_latest < 600000000ull, "time %lu", tsc_latest);
	vm_destroy(vm);
}

/* ---- reset, crash ---------------------------------------------------------------- */

static void guest_reset(void)
{
	GUEST_ASSERT_EQ(guest_rdmsr(HV_X64_MSR_RESET), 0);
	guest_wrmsr(HV_X64_MSR_RESET, 0);	/* bit 0 clear: nothing */
	GUEST_SYNC(1);
	guest_wrmsr(HV_X64_MSR_RESET, 1);
	GUEST_FAIL("reset returned");
}

XTEST(reset_msr_exits_system_event)
{
	struct vm *vm = hv_vm(1, guest_reset, false, 0);
	struct kvm_run *run = vm->vcpus[0]->run;
	struct ucall uc;

	TEST_ASSERT_EQ(vcpu_run_ucall(vm->vcpus[0], &uc), UCALL_SYNC);
	vcpu_run(vm->vcpus[0]);
	TEST_ASSERT(run->exit_reason == KVM_EXIT_SYSTEM_EVENT, "exit %s",
		    exit_reason_str(run->exit_reason));
	TEST_ASSERT_EQ(run->system_event.type, KVM_SYSTEM_EVENT_RESET);
	vm_destroy(vm);
}

static void guest_crash(void)
{
	int i;

	for (i = 0; i < 5; i++)
		guest_wrmsr(HV_X64_MSR_CRASH_P0 + i, 0x1111111100000000ull + i);
	for (i = 0; i < 5; i++)
		GUEST_ASSERT_EQ(guest_rdmsr(HV_X64_MSR_CRASH_P0 + i), 0x1111111100000000ull + i);
	GUEST_ASSERT_EQ(guest_rdmsr(HV_X64_MSR_CRASH_CTL), HV_CRASH_CTL_CRASH_NOTIFY);
	GUEST_SYNC(1);
	guest_wrmsr(HV_X64_MSR_CRASH_CTL, HV_CRASH_CTL_CRASH_NOTIFY);
	GUEST_FAIL("crash notification returned");
}

XTEST(crash_msrs_exit_system_event)
{
	struct vm *vm = hv_vm(1, guest_crash, false, 0);
	struct kvm_run *run = vm->vcpus[0]->run;
	struct ucall uc;
	int i;

	TEST_ASSERT_EQ(vcpu_run_ucall(vm->vcpus[0], &uc), UCALL_SYNC);
	vcpu_run(vm->vcpus[0]);
	TEST_ASSERT(run->exit_reason == KVM_EXIT_SYSTEM_EVENT, "exit %s",
		    exit_reason_str(run->exit_reason));
	TEST_ASSERT_EQ(run->system_event.type, KVM_SYSTEM_EVENT_CRASH);
	for (i = 0; i < 5; i++)
		TEST_ASSERT_EQ(vcpu_get_msr(vm->vcpus[0], HV_X64_MSR_CRASH_P0 + i),
			       0x1111111100000000ull + i);
	vm_destroy(vm);
}

/* ---- pages ---------------------------------------------------------------------- */

static bool page_is_zero(uint64_t gpa)
{
	const volatile uint64_t *p = (void *)gpa;
	int i;

	for (i = 0; i < 512; i++)
		if (p[i])
			return false;
	return true;
}

/* A page MSR: reserved bits and unbacked pages #GP, the page zeroed on enable. */
static void check_page_msr(uint32_t msr, uint64_t gpa, uint64_t mem_size)
{
	guest_memset((void *)gpa, 0x5a, 4096);
	GP_WRMSR(msr, gpa | 1 | (1 << 1));
	GP_WRMSR(msr, gpa | 1 | (1 << 11));
	GP_WRMSR(msr, mem_size | 1);
	GP_WRMSR(msr, (1ull << 51) | 1);
	GUEST_ASSERT_EQ(*(volatile uint64_t *)gpa, 0x5a5a5a5a5a5a5a5aull);
	guest_wrmsr(msr, gpa | 1);
	GUEST_ASSERT_EQ(guest_rdmsr(msr), gpa | 1);
	if (!page_is_zero(gpa))
		__GUEST_UCALL(UCALL_ABORT, "MSR 0x%lx: page not zeroed on enable", 1, (uint64_t)msr);
}

static void guest_vp_assist(uint64_t vcpu, uint64_t mem_size)
{
	guest_catch(13, 2);
	check_page_msr(HV_X64_MSR_VP_ASSIST_PAGE, HG_ASSIST_GPA(0), mem_size);
	guest_wrmsr(HV_X64_MSR_VP_ASSIST_PAGE, 0);
	GUEST_ASSERT_EQ(guest_rdmsr(HV_X64_MSR_VP_ASSIST_PAGE), 0);
	GUEST_DONE();
}

XTEST(vp_assist_page)
{
	struct vm *vm = hv_vm(1, guest_vp_assist, false, 0);

	vcpu_run_to_done(vm->vcpus[0]);
	vm_destroy(vm);
}

static void guest_synic_msrs(uint64_t vcpu, uint64_t mem_size)
{
	int i;

	guest_catch(13, 2);
	GUEST_ASSERT_EQ(guest_rdmsr(HV_X64_MSR_SVERSION), 1);
	GUEST_ASSERT_EQ(guest_rdmsr(HV_X64_MSR_SCONTROL) & 1, 0);
	GP_WRMSR(HV_X64_MSR_SCONTROL, 2);
	GP_WRMSR(HV_X64_MSR_SCONTROL, 1 | (1ull << 40));
	guest_wrmsr(HV_X64_MSR_SCONTROL, 1);
	GUEST_ASSERT_EQ(guest_rdmsr(HV_X64_MSR_SCONTROL), 1);
	check_page_msr(HV_X64_MSR_SIMP, HG_SIMP_GPA(0), mem_size);
	check_page_msr(HV_X64_MSR_SIEFP, HG_SIEFP_GPA(0), mem_size);
	for (i = 0; i < 16; i++)
		GUEST_ASSERT_EQ(guest_rdmsr(HV_X64_MSR_SINT0 + i), HV_SYNIC_SINT_MASKED);
	/* Vector below 16 unmasked, other bits: #GP. */
	GP_WRMSR(HV_X64_MSR_SINT2, 5);
	GP_WRMSR(HV_X64_MSR_SINT2, 15);
	GP_WRMSR(HV_X64_MSR_SINT2, 5 | HV_SYNIC_SINT_AUTO_EOI);
	GP_WRMSR(HV_X64_MSR_SINT2, 0x30 | (1 << 8));
	GP_WRMSR(HV_X64_MSR_SINT2, 0x30 | (1 << 19));
	GP_WRMSR(HV_X64_MSR_SINT2, 0x30 | (1ull << 63));
	GUEST_ASSERT_EQ(guest_rdmsr(HV_X64_MSR_SINT2), HV_SYNIC_SINT_MASKED);
	/* Masked, a low vector is fine; polling is a valid bit. */
	guest_wrmsr(HV_X64_MSR_SINT2, HV_SYNIC_SINT_MASKED | 5);
	GUEST_ASSERT_EQ(guest_rdmsr(HV_X64_MSR_SINT2), HV_SYNIC_SINT_MASKED | 5);
	guest_wrmsr(HV_X64_MSR_SINT3, 0x30 | (1 << 18));
	GUEST_ASSERT_EQ(guest_rdmsr(HV_X64_MSR_SINT3), 0x30 | (1 << 18));
	guest_wrmsr(HV_X64_MSR_SINT15, 0xff);
	GUEST_ASSERT_EQ(guest_rdmsr(HV_X64_MSR_SINT15), 0xff);
	/* AutoEOI is a valid bit (its delivery: hv_sint_test). */
	guest_wrmsr(HV_X64_MSR_SINT4, 0x30 | HV_SYNIC_SINT_AUTO_EOI);
	GUEST_ASSERT_EQ(guest_rdmsr(HV_X64_MSR_SINT4), 0x30 | HV_SYNIC_SINT_AUTO_EOI);
	guest_wrmsr(HV_X64_MSR_EOM, 0);
	/* Disable: the MSRs keep their address. */
	guest_wrmsr(HV_X64_MSR_SIMP, HG_SIMP_GPA(0));
	GUEST_ASSERT_EQ(guest_rdmsr(HV_X64_MSR_SIMP), HG_SIMP_GPA(0));
	guest_wrmsr(HV_X64_MSR_SCONTROL, 0);
	GUEST_ASSERT_EQ(guest_rdmsr(HV_X64_MSR_SCONTROL), 0);
	GUEST_DONE();
}

XTEST(synic_msrs_pages_and_sints)
{
	struct vm *vm = hv_vm(1, guest_synic_msrs, true, 0);

	vcpu_run_to_done(vm->vcpus[0]);
	vm_destroy(vm);
}

/* ---- synthetic timers, direct mode ------------------------------------------------ */

#define VEC_DIRECT	0x40
#define VEC_SINT	0x50

static void guest_stimer_direct(void)
{
	uint64_t cfg = HG_STIMER_ENABLE | HG_STIMER_DIRECT | HG_STIMER_VECTOR(VEC_DIRECT);
	uint64_t count, n;

	guest_catch(13, 2);
	hg_irq_setup(VEC_DIRECT, VEC_DIRECT + 1);
	/* Bad configurations. */
	GP_WRMSR(HV_X64_MSR_STIMER0_CONFIG, HG_STIMER_ENABLE | HG_STIMER_DIRECT |
					    HG_STIMER_VECTOR(15));
	/* Nor through auto-enable, which starts it when the count is written. */
	GP_WRMSR(HV_X64_MSR_STIMER0_CONFIG, HG_STIMER_AUTO_ENABLE | HG_STIMER_DIRECT |
					    HG_STIMER_VECTOR(15));
	GP_WRMSR(HV_X64_MSR_STIMER0_CONFIG, cfg | (1ull << 13));
	GP_WRMSR(HV_X64_MSR_STIMER0_CONFIG, cfg | (1ull << 20));
	GP_WRMSR(HV_X64_MSR_STIMER0_CONFIG, cfg | (1ull << 63));
	GUEST_ASSERT_EQ(guest_rdmsr(HV_X64_MSR_STIMER0_CONFIG), 0);

	/* One-shot, 5 ms ahead: fires once, not early, and clears enable. */
	guest_wrmsr(HV_X64_MSR_STIMER0_CONFIG, cfg);
	count = hg_now() + 5 * MS;
	guest_wrmsr(HV_X64_MSR_STIMER0_COUNT, count);
	GUEST_ASSERT_EQ(guest_rdmsr(HV_X64_MSR_STIMER0_COUNT), count);
	HG_WAIT_IRQ(VEC_DIRECT, 1, 3000 * MS);
	if (hg_irq_time[0][VEC_DIRECT] < count)
		__GUEST_UCALL(UCALL_ABORT, "fired at %lu, due %lu", 2,
			      hg_irq_time[0][VEC_DIRECT], count);
	GUEST_ASSERT_EQ(guest_rdmsr(HV_X64_MSR_STIMER0_CONFIG), cfg & ~HG_STIMER_ENABLE);
	hg_delay_sti(10 * MS);
	GUEST_ASSERT_EQ(hg_irqs[0][VEC_DIRECT], 1);

	/* A time in the past fires at once (timer 3, another vector). */
	cfg = HG_STIMER_ENABLE | HG_STIMER_DIRECT | HG_STIMER_VECTOR(VEC_DIRECT + 1);
	guest_wrmsr(HV_X64_MSR_STIMER3_CONFIG, cfg);
	guest_wrmsr(HV_X64_MSR_STIMER3_COUNT, 1);
	HG_WAIT_IRQ(VEC_DIRECT + 1, 1, 1000 * MS);
	GUEST_ASSERT_EQ(guest_rdmsr(HV_X64_MSR_STIMER3_CONFIG) & HG_STIMER_ENABLE, 0);

	/*
	 * A stopped one-shot timer does not fire. (The count goes first: the
	 * old one is in the past and would fire at once on enable.)
	 */
	cfg = HG_STIMER_ENABLE | HG_STIMER_DIRECT | HG_STIMER_VECTOR(VEC_DIRECT);
	guest_wrmsr(HV_X64_MSR_STIMER0_COUNT, 0);
	guest_wrmsr(HV_X64_MSR_STIMER0_CONFIG, cfg);
	hg_delay_sti(10 * MS);
	GUEST_ASSERT_EQ(hg_irqs[0][VEC_DIRECT], 1);
	guest_wrmsr(HV_X64_MSR_STIMER0_COUNT, hg_now() + 20 * MS);
	guest_wrmsr(HV_X64_MSR_STIMER0_COUNT, 0);
	hg_delay_sti(40 * MS);
	GUEST_ASSERT_EQ(hg_irqs[0][VEC_DIRECT], 1);

	/* Auto-enable: writing the count starts a disabled timer (lazy is valid). */
	cfg = HG_STIMER_AUTO_ENABLE | (1ull << 2) | HG_STIMER_DIRECT | HG_STIMER_VECTOR(VEC_DIRECT);
	guest_wrmsr(HV_X64_MSR_STIMER2_CONFIG, cfg);
	guest_wrmsr(HV_X64_MSR_STIMER2_COUNT, hg_now() + 2 * MS);
	HG_WAIT_IRQ(VEC_DIRECT, 2, 3000 * MS);

	/* Periodic, 2 ms: ticks on time until its count is written 0. */
	cfg = HG_STIMER_ENABLE | HG_STIMER_PERIODIC | HG_STIMER_DIRECT |
	      HG_STIMER_VECTOR(VEC_DIRECT);
	hg_irqs[0][VEC_DIRECT] = 0;
	guest_wrmsr(HV_X64_MSR_STIMER1_CONFIG, cfg);
	count = hg_now();
	guest_wrmsr(HV_X64_MSR_STIMER1_COUNT, 2 * MS);
	HG_WAIT_IRQ(VEC_DIRECT, 3, 3000 * MS);
	if (hg_irq_time[0][VEC_DIRECT] < count + 3 * 2 * MS)
		__GUEST_UCALL(UCALL_ABORT, "third tick at +%lu", 1,
			      hg_irq_time[0][VEC_DIRECT] - count);
	GUEST_ASSERT(guest_rdmsr(HV_X64_MSR_STIMER1_CONFIG) & HG_STIMER_ENABLE);
	guest_wrmsr(HV_X64_MSR_STIMER1_COUNT, 0);
	hg_delay_sti(1 * MS);		/* one tick may have been pending */
	n = hg_irqs[0][VEC_DIRECT];
	hg_delay_sti(20 * MS);
	GUEST_ASSERT_EQ(hg_irqs[0][VEC_DIRECT], n);
	GUEST_DONE();
}

/*
 * Counts whose period in nanoseconds does not fit 64 bits: the timer never
 * expires (before, 100 * count wrapped to a few nanoseconds, an interrupt
 * storm in hard interrupt context).
 */
static void guest_stimer_huge(void)
{
	uint64_t cfg = HG_STIMER_ENABLE | HG_STIMER_PERIODIC | HG_STIMER_DIRECT |
		       HG_STIMER_VECTOR(VEC_DIRECT);

	hg_irq_setup(VEC_DIRECT, VEC_DIRECT);
	guest_wrmsr(HV_X64_MSR_STIMER0_CONFIG, cfg);
	guest_wrmsr(HV_X64_MSR_STIMER0_COUNT, 0x028f5c28f5c28f5dull);	/* * 100 = 2^64 + 4 */
	guest_wrmsr(HV_X64_MSR_STIMER1_CONFIG, cfg);
	guest_wrmsr(HV_X64_MSR_STIMER1_COUNT, ~0ull);
	/* One-shot at the end of time. */
	guest_wrmsr(HV_X64_MSR_STIMER2_CONFIG, cfg & ~HG_STIMER_PERIODIC);
	guest_wrmsr(HV_X64_MSR_STIMER2_COUNT, ~0ull);
	hg_delay_sti(20 * MS);
	GUEST_ASSERT_EQ(hg_irqs[0][VEC_DIRECT], 0);
	GUEST_DONE();
}

XTEST_TIMEOUT(stimer_huge_counts_never_expire, 30)
{
	struct vm *vm = hv_vm(1, guest_stimer_huge, true, 0);

	vcpu_run_to_done(vm->vcpus[0]);
	vm_destroy(vm);
}

/* XENHV_RESET_VM: every Hyper-V register back to its power-on value. */
static void guest_reset_vm(void)
{
	uint64_t cfg = HG_STIMER_ENABLE | HG_STIMER_PERIODIC | HG_STIMER_DIRECT |
		       HG_STIMER_VECTOR(VEC_DIRECT);

	hg_irq_setup(VEC_DIRECT, VEC_DIRECT);
	hg_enable_hypercalls();
	hg_synic_enable(0);
	guest_wrmsr(HV_X64_MSR_SINT2, VEC_DIRECT);
	guest_wrmsr(HV_X64_MSR_STIMER0_CONFIG, cfg);
	guest_wrmsr(HV_X64_MSR_STIMER0_COUNT, 10 * MS);
	HG_WAIT_IRQ(VEC_DIRECT, 1, 3000 * MS);
	GUEST_SYNC(1);			/* reset */
	GUEST_ASSERT_EQ(guest_rdmsr(HV_X64_MSR_GUEST_OS_ID), 0);
	GUEST_ASSERT_EQ(guest_rdmsr(HV_X64_MSR_HYPERCALL), 0);
	GUEST_ASSERT_EQ(guest_rdmsr(HV_X64_MSR_SCONTROL), 0);
	GUEST_ASSERT_EQ(guest_rdmsr(HV_X64_MSR_SIMP), 0);
	GUEST_ASSERT_EQ(guest_rdmsr(HV_X64_MSR_SINT2), HV_SYNIC_SINT_MASKED);
	GUEST_ASSERT_EQ(guest_rdmsr(HV_X64_MSR_STIMER0_CONFIG), 0);
	/*
	 * An expiry from before the reset may still sit in the LAPIC, which
	 * the VMM resets, not the shim: let it in, then count.
	 */
	hg_delay_sti(2 * MS);
	hg_irqs[0][VEC_DIRECT] = 0;
	hg_delay_sti(30 * MS);
	GUEST_ASSERT_EQ(hg_irqs[0][VEC_DIRECT], 0);
	GUEST_DONE();
}

XTEST_TIMEOUT(reset_vm_to_power_on, 60)
{
	struct vm *vm = hv_vm(1, guest_reset_vm, true, 0);
	struct xenhv_reset r = { .vm_fd = vm->fd };
	int dev = xenhv_open();
	struct ucall uc;

	TEST_ASSERT_EQ(vcpu_run_ucall(vm->vcpus[0], &uc), UCALL_SYNC);
	TEST_ASSERT(!ioctl(dev, XENHV_RESET_VM, &r), "reset: %s", strerror(errno));
	vcpu_run_to_done(vm->vcpus[0]);
	close(dev);
	vm_destroy(vm);
}

XTEST_TIMEOUT(stimer_direct_mode, 60)
{
	struct vm *vm = hv_vm(1, guest_stimer_direct, true, 0);

	vcpu_run_to_done(vm->vcpus[0]);
	vm_destroy(vm);
}

/* ---- synthetic timers, message mode ------------------------------------------------- */

static void check_timer_msg(struct hv_message *m, uint32_t timer, uint64_t due)
{
	struct hv_timer_message_payload *pl = (void *)m->u.payload;
	uint64_t now = hg_now();

	GUEST_ASSERT_EQ(m->header.message_type, HVMSG_TIMER_EXPIRED);
	GUEST_ASSERT_EQ(m->header.payload_size, sizeof(*pl));
	GUEST_ASSERT_EQ(pl->timer_index, timer);
	if (!(due <= pl->expiration_time && pl->expiration_time <= pl->delivery_time &&
	      pl->delivery_time <= now))
		__GUEST_UCALL(UCALL_ABORT, "timer %lu: due %lu expired %lu delivered %lu now %lu",
			      5, (uint64_t)timer, due, pl->expiration_time, pl->delivery_time, now);
}

static void guest_stimer_message(void)
{
	struct hv_message *slot = hg_sim_slot(0, 2);
	uint64_t cfg = HG_STIMER_ENABLE | HG_STIMER_SINT(2);
	uint64_t due1, due2;

	guest_catch(13, 2);
	hg_irq_setup(VEC_SINT, VEC_SINT + 2);
	hg_synic_enable(0);
	guest_wrmsr(HV_X64_MSR_SINT2, VEC_SINT);
	guest_wrmsr(HV_X64_MSR_SINT0, VEC_SINT + 2);

	/* Timer 1 on SINT 2: the message lands in slot 2, the SINT fires. */
	guest_wrmsr(HV_X64_MSR_STIMER1_CONFIG, cfg);
	due1 = hg_now() + 3 * MS;
	guest_wrmsr(HV_X64_MSR_STIMER1_COUNT, due1);
	HG_WAIT_IRQ(VEC_SINT, 1, 3000 * MS);
	check_timer_msg(slot, 1, due1);
	GUEST_ASSERT_EQ(slot->header.message_flags.msg_pending, 0);
	GUEST_ASSERT_EQ(guest_rdmsr(HV_X64_MSR_STIMER1_CONFIG), cfg & ~HG_STIMER_ENABLE);

	/* Timer 2 while the slot is still busy: msg_pending, no message yet. */
	guest_wrmsr(HV_X64_MSR_STIMER2_CONFIG, cfg);
	due2 = hg_now() + 1 * MS;
	guest_wrmsr(HV_X64_MSR_STIMER2_COUNT, due2);
	hg_delay_sti(20 * MS);
	GUEST_ASSERT_EQ(slot->header.message_flags.msg_pending, 1);
	GUEST_ASSERT_EQ(((struct hv_timer_message_payload *)slot->u.payload)->timer_index, 1);
	GUEST_ASSERT_EQ(hg_irqs[0][VEC_SINT], 1);
	/* Consumed and EOM: timer 2's message arrives. */
	slot->header.message_type = HVMSG_NONE;
	__asm__ volatile("mfence" ::: "memory");
	guest_wrmsr(HV_X64_MSR_EOM, 0);
	HG_WAIT_IRQ(VEC_SINT, 2, 3000 * MS);
	check_timer_msg(slot, 2, due2);
	GUEST_ASSERT_EQ(slot->header.message_flags.msg_pending, 0);
	GUEST_ASSERT_EQ(guest_rdmsr(HV_X64_MSR_STIMER2_CONFIG), cfg & ~HG_STIMER_ENABLE);

	/* Message mode with SINT 0 does not start. */
	slot->header.message_type = HVMSG_NONE;
	guest_wrmsr(HV_X64_MSR_EOM, 0);
	guest_wrmsr(HV_X64_MSR_STIMER3_CONFIG, HG_STIMER_ENABLE | HG_STIMER_SINT(0));
	guest_wrmsr(HV_X64_MSR_STIMER3_COUNT, hg_now() + 1 * MS);
	hg_delay_sti(20 * MS);
	GUEST_ASSERT_EQ(hg_irqs[0][VEC_SINT + 2], 0);
	GUEST_ASSERT_EQ(hg_sim_slot(0, 0)->header.message_type, HVMSG_NONE);
	GUEST_ASSERT_EQ(hg_irqs[0][VEC_SINT], 2);
	GUEST_DONE();
}

XTEST_TIMEOUT(stimer_message_mode, 60)
{
	struct vm *vm = hv_vm(1, guest_stimer_message, true, 0);

	vcpu_run_to_done(vm->vcpus[0]);
	vm_destroy(vm);
}

static void guest_stimer_no_simp(void)
{
	struct hv_message *slot = hg_sim_slot(0, 3);
	uint64_t cfg = HG_STIMER_ENABLE | HG_STIMER_SINT(3);
	uint64_t due;

	hg_irq_setup(VEC_SINT, VEC_SINT);
	guest_memset((void *)HG_SIMP_GPA(0), 0, 4096);
	/* SynIC on, no SIM page: the expiry waits. */
	guest_wrmsr(HV_X64_MSR_SCONTROL, HV_SYNIC_CONTROL_ENABLE);
	guest_wrmsr(HV_X64_MSR_SINT3, VEC_SINT);
	guest_wrmsr(HV_X64_MSR_STIMER0_CONFIG, cfg);
	due = hg_now() + 1 * MS;
	guest_wrmsr(HV_X64_MSR_STIMER0_COUNT, due);
	hg_delay_sti(20 * MS);
	GUEST_ASSERT_EQ(hg_irqs[0][VEC_SINT], 0);
	GUEST_ASSERT_EQ(slot->header.message_type, HVMSG_NONE);
	/* The page comes; EOM retries. */
	guest_wrmsr(HV_X64_MSR_SIMP, HG_SIMP_GPA(0) | HV_SYNIC_SIMP_ENABLE);
	guest_wrmsr(HV_X64_MSR_EOM, 0);
	HG_WAIT_IRQ(VEC_SINT, 1, 3000 * MS);
	check_timer_msg(slot, 0, due);

	/* SynIC off altogether: the same, once it is back on. */
	slot->header.message_type = HVMSG_NONE;
	guest_wrmsr(HV_X64_MSR_SCONTROL, 0);
	guest_wrmsr(HV_X64_MSR_STIMER0_COUNT, 0);	/* not the old, past count */
	guest_wrmsr(HV_X64_MSR_STIMER0_CONFIG, cfg);
	due = hg_now() + 1 * MS;
	guest_wrmsr(HV_X64_MSR_STIMER0_COUNT, due);
	hg_delay_sti(20 * MS);
	GUEST_ASSERT_EQ(hg_irqs[0][VEC_SINT], 1);
	GUEST_ASSERT_EQ(slot->header.message_type, HVMSG_NONE);
	guest_wrmsr(HV_X64_MSR_SCONTROL, HV_SYNIC_CONTROL_ENABLE);
	guest_wrmsr(HV_X64_MSR_EOM, 0);
	HG_WAIT_IRQ(VEC_SINT, 2, 3000 * MS);
	check_timer_msg(slot, 0, due);
	GUEST_DONE();
}

XTEST_TIMEOUT(stimer_message_waits_for_synic, 60)
{
	struct vm *vm = hv_vm(1, guest_stimer_no_simp, true, 0);

	vcpu_run_to_done(vm->vcpus[0]);
	vm_destroy(vm);
}

/*
 * A one-shot timer re-armed while its last expiry waits for a busy slot:
 * the new expiry is not lost (the old one may still be delivered first).
 */
static void guest_stimer_rearm(void)
{
	struct hv_message *slot = hg_sim_slot(0, 2);
	struct hv_timer_message_payload *pl = (void *)slot->u.payload;
	uint64_t cfg = HG_STIMER_ENABLE | HG_STIMER_SINT(2);
	uint64_t due1, due2;

	hg_irq_setup(VEC_SINT, VEC_SINT);
	hg_synic_enable(0);
	guest_wrmsr(HV_X64_MSR_SINT2, VEC_SINT);
	slot->header.message_type = 1;		/* busy with something else */
	guest_wrmsr(HV_X64_MSR_STIMER0_CONFIG, cfg);
	due1 = hg_now() + 1 * MS;
	guest_wrmsr(HV_X64_MSR_STIMER0_COUNT, due1);
	hg_delay_sti(10 * MS);
	GUEST_ASSERT_EQ(slot->header.message_flags.msg_pending, 1);
	due2 = hg_now() + 5 * MS;
	guest_wrmsr(HV_X64_MSR_STIMER0_COUNT, due2);
	slot->header.message_type = HVMSG_NONE;
	guest_wrmsr(HV_X64_MSR_EOM, 0);
	HG_WAIT_IRQ(VEC_SINT, 1, 1000 * MS);
	GUEST_ASSERT_EQ(slot->header.message_type, HVMSG_TIMER_EXPIRED);
	if (pl->expiration_time < due2) {
		/* The old expiry first; the new one must follow. */
		slot->header.message_type = HVMSG_NONE;
		guest_wrmsr(HV_X64_MSR_EOM, 0);
		HG_WAIT_IRQ(VEC_SINT, 2, 1000 * MS);
	}
	check_timer_msg(slot, 0, due2);
	GUEST_DONE();
}

XTEST_TIMEOUT(stimer_rearm_while_message_pending, 30)
{
	struct vm *vm = hv_vm(1, guest_stimer_rearm, true, 0);

	vcpu_run_to_done(vm->vcpus[0]);
	vm_destroy(vm);
}

/* ---- host-initiated accesses restore values only -------------------------------------- */

static void guest_after_restore(void)
{
	/* The restored pages were not touched. */
	GUEST_ASSERT_EQ(*(volatile uint64_t *)HG_SIMP_GPA(0), 0x5a5a5a5a5a5a5a5aull);
	GUEST_ASSERT_EQ(*(volatile uint64_t *)HG_SIEFP_GPA(0), 0x5a5a5a5a5a5a5a5aull);
	GUEST_ASSERT_EQ(*(volatile uint64_t *)HG_ASSIST_GPA(0), 0x5a5a5a5a5a5a5a5aull);
	GUEST_ASSERT_EQ(*(volatile uint64_t *)HG_TSC_PAGE_GPA, 0x5a5a5a5a5a5a5a5aull);
	GUEST_ASSERT_EQ(guest_rdmsr(HV_X64_MSR_SIMP), HG_SIMP_GPA(0) | 1);
	GUEST_ASSERT_EQ(guest_rdmsr(HV_X64_MSR_CRASH_P3), 0x33);
	GUEST_DONE();
}

static int set_msr(struct vcpu *vcpu, uint32_t index, uint64_t value)
{
	struct {
		struct kvm_msrs h;
		struct kvm_msr_entry e;
	} m = { .h.nmsrs = 1, .e.index = index, .e.data = value };

	return ioctl(vcpu->fd, KVM_SET_MSRS, &m);
}

XTEST(host_initiated_restore)
{
	struct vm *vm = hv_vm(1, guest_after_restore, true, 0);
	struct vcpu *vcpu = vm->vcpus[0];
	uint64_t gpa[] = { HG_SIMP_GPA(0), HG_SIEFP_GPA(0), HG_ASSIST_GPA(0), HG_TSC_PAGE_GPA };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(gpa); i++)
		memset(vm_gpa_to_hva(vm, gpa[i], 4096), 0x5a, 4096);
	/* Checked as a guest write is: reserved bits, unbacked pages, read-only. */
	TEST_ASSERT_EQ(set_msr(vcpu, HV_X64_MSR_SIMP, HG_SIMP_GPA(0) | 1 | (1 << 4)), 0);
	TEST_ASSERT_EQ(set_msr(vcpu, HV_X64_MSR_SIEFP, vm->mem_size | 1), 0);
	TEST_ASSERT_EQ(set_msr(vcpu, HV_X64_MSR_SCONTROL, 2), 0);
	TEST_ASSERT_EQ(set_msr(vcpu, HV_X64_MSR_SINT0, (1ull << 19) | 0x30), 0);
	TEST_ASSERT_EQ(set_msr(vcpu, HV_X64_MSR_STIMER0_CONFIG, 1ull << 20), 0);
	/* Restored without side effects: no page filled, no exit. */
	vcpu_set_msr(vcpu, HV_X64_MSR_SCONTROL, 1);
	vcpu_set_msr(vcpu, HV_X64_MSR_SIMP, HG_SIMP_GPA(0) | 1);
	vcpu_set_msr(vcpu, HV_X64_MSR_SIEFP, HG_SIEFP_GPA(0) | 1);
	vcpu_set_msr(vcpu, HV_X64_MSR_VP_ASSIST_PAGE, HG_ASSIST_GPA(0) | 1);
	vcpu_set_msr(vcpu, HV_X64_MSR_REFERENCE_TSC, HG_TSC_PAGE_GPA | 1);
	vcpu_set_msr(vcpu, HV_X64_MSR_SINT1, 0x31);
	vcpu_set_msr(vcpu, HV_X64_MSR_CRASH_P3, 0x33);
	vcpu_set_msr(vcpu, HV_X64_MSR_RESET, 0);
	vcpu_set_msr(vcpu, HV_X64_MSR_CRASH_CTL, HV_CRASH_CTL_CRASH_NOTIFY);
	TEST_ASSERT_EQ(vcpu_get_msr(vcpu, HV_X64_MSR_SIMP), HG_SIMP_GPA(0) | 1);
	TEST_ASSERT_EQ(vcpu_get_msr(vcpu, HV_X64_MSR_SIEFP), HG_SIEFP_GPA(0) | 1);
	TEST_ASSERT_EQ(vcpu_get_msr(vcpu, HV_X64_MSR_VP_ASSIST_PAGE), HG_ASSIST_GPA(0) | 1);
	TEST_ASSERT_EQ(vcpu_get_msr(vcpu, HV_X64_MSR_REFERENCE_TSC), HG_TSC_PAGE_GPA | 1);
	TEST_ASSERT_EQ(vcpu_get_msr(vcpu, HV_X64_MSR_SINT1), 0x31);
	TEST_ASSERT_EQ(vcpu_get_msr(vcpu, HV_X64_MSR_SINT0), HV_SYNIC_SINT_MASKED);
	TEST_ASSERT_EQ(vcpu_get_msr(vcpu, HV_X64_MSR_SCONTROL), 1);
	for (i = 0; i < ARRAY_SIZE(gpa); i++)
		TEST_ASSERT_EQ(*(uint64_t *)vm_gpa_to_hva(vm, gpa[i], 8), 0x5a5a5a5a5a5a5a5aull);
	vcpu_run_to_done(vcpu);
	vm_destroy(vm);
}

/* ---- guest idle ------------------------------------------------------------------------ */

#define VEC_IPI	0x60

static volatile uint64_t idle_state;	/* 1: vCPU 1 about to idle, 2: IPI sent */

/*
 * GUEST_IDLE with interrupts masked: each read sleeps (1 ms at most) while
 * nothing is pending, and returns at once while an interrupt is pending.
 * Returns the number of reads made until @idle_state became 2.
 */
static uint64_t idle_until_ipi(void)
{
	uint64_t n = 0, t0, sleeping;
	int i;

	t0 = hg_now();
	for (i = 0; i < 10; i++)
		GUEST_ASSERT_EQ(guest_rdmsr(HV_X64_MSR_GUEST_IDLE), 0);
	sleeping = hg_now() - t0;
	/* Ten reads with nothing pending sleep: not a spin. */
	if (sleeping < 5 * MS)
		__GUEST_UCALL(UCALL_ABORT, "10 idle reads took %lu (100 ns)", 1, sleeping);
	__atomic_store_n(&idle_state, 1, __ATOMIC_SEQ_CST);
	while (__atomic_load_n(&idle_state, __ATOMIC_SEQ_CST) != 2) {
		GUEST_ASSERT_EQ(guest_rdmsr(HV_X64_MSR_GUEST_IDLE), 0);
		n++;
	}
	/*
	 * The sender sets idle_state once its IPI is sent, so it is pending
	 * (masked) now: a hundred reads return at once. Reads that slept
	 * would take ten times the ten sleeping reads above, 100 ms of it
	 * sleep; on a slow kernel (the debug kernel) each read's exit also
	 * costs, so the bound is that, less half the sleep.
	 */
	t0 = hg_now();
	for (i = 0; i < 100; i++)
		GUEST_ASSERT_EQ(guest_rdmsr(HV_X64_MSR_GUEST_IDLE), 0);
	if (hg_now() - t0 + 50 * MS >= 10 * sleeping)
		__GUEST_UCALL(UCALL_ABORT, "100 idle reads with an IPI pending took %lu, 10 sleeping %lu",
			      2, hg_now() - t0, sleeping);
	return n;
}

static void guest_idle(uint64_t vcpu)
{
	struct hv_send_ipi *in = (void *)HG_IN_GPA(0);
	uint64_t n;

	hg_irq_setup(VEC_IPI, VEC_IPI);
	if (vcpu == 1) {
		guest_catch(13, 2);
		GP_WRMSR(HV_X64_MSR_GUEST_IDLE, 0);
		n = idle_until_ipi();
		/* About 30 ms of 1 ms sleeps, not thousands of spins. */
		if (n > 200)
			__GUEST_UCALL(UCALL_ABORT, "%lu idle reads in 30 ms", 1, n);
		GUEST_ASSERT_EQ(hg_irqs[1][VEC_IPI], 0);
		HG_WAIT_IRQ(VEC_IPI, 1, 1000 * MS);
	} else {
		hg_enable_hypercalls();
		while (__atomic_load_n(&idle_state, __ATOMIC_SEQ_CST) != 1)
			__asm__ volatile("pause");
		hg_delay(30 * MS);	/* vCPU 1 is in guest idle by now */
		in->vector = VEC_IPI;
		in->reserved = 0;
		in->cpu_mask = 1 << 1;
		GUEST_ASSERT_EQ(guest_hv_hcall(HVCALL_SEND_IPI, (uint64_t)in, 0), 0);
		__atomic_store_n(&idle_state, 2, __ATOMIC_SEQ_CST);
	}
	GUEST_DONE();
}

XTEST_TIMEOUT(guest_idle_until_ipi, 60)
{
	struct vm *vm = hv_vm(2, guest_idle, true, 0);

	vm_run_all_to_done(vm);
	vm_destroy(vm);
}

/* The same, with an x2APIC IPI (not through the shim). */
static void guest_idle_lapic(uint64_t vcpu)
{
	hg_irq_setup(VEC_IPI, VEC_IPI);
	if (vcpu == 1) {
		idle_until_ipi();
		HG_WAIT_IRQ(VEC_IPI, 1, 1000 * MS);
	} else {
		while (__atomic_load_n(&idle_state, __ATOMIC_SEQ_CST) != 1)
			__asm__ volatile("pause");
		hg_delay(30 * MS);
		guest_wrmsr(0x830, (1ull << 32) | VEC_IPI);	/* ICR: fixed, to APIC 1 */
		__atomic_store_n(&idle_state, 2, __ATOMIC_SEQ_CST);
	}
	GUEST_DONE();
}

XTEST_TIMEOUT(guest_idle_with_lapic_ipi, 60)
{
	struct vm *vm = hv_vm(2, guest_idle_lapic, true, 0);

	vm_run_all_to_done(vm);
	vm_destroy(vm);
}

static void guest_idle_forever(void)
{
	guest_catch(13, 2);
	__atomic_store_n(&idle_state, 1, __ATOMIC_SEQ_CST);
	guest_rdmsr(HV_X64_MSR_GUEST_IDLE);
	GUEST_DONE();
}

static void idle_thread(struct vcpu *vcpu)
{
	struct ucall uc;

	TEST_ASSERT_EQ(vcpu_run_ucall(vcpu, &uc), UCALL_DONE);
}

XTEST_TIMEOUT(guest_idle_woken_by_detach, 30)
{
	struct vm *vm = hv_vm(1, guest_idle_forever, true, 0);
	uint64_t *state = vm_gpa_to_hva(vm, (uint64_t)&idle_state, 8);

	vcpu_thread_start(vm->vcpus[0], idle_thread);
	while (!__atomic_load_n(state, __ATOMIC_SEQ_CST))
		usleep(1000);
	usleep(50000);
	TEST_ASSERT_EQ(xenhv_detach(vm), 0);
	vcpu_thread_join(vm->vcpus[0]);
	vm_destroy(vm);
}

static void sigusr1(int sig)
{
}

static void guest_idle_signal(void)
{
	__atomic_store_n(&idle_state, 1, __ATOMIC_SEQ_CST);
	GUEST_ASSERT_EQ(guest_rdmsr(HV_X64_MSR_GUEST_IDLE), 0);
	GUEST_DONE();
}

XTEST_TIMEOUT(guest_idle_woken_by_signal, 30)
{
	struct vm *vm = hv_vm(1, guest_idle_signal, true, 0);
	uint64_t *state = vm_gpa_to_hva(vm, (uint64_t)&idle_state, 8);
	struct sigaction sa = { .sa_handler = sigusr1 };
	struct vcpu *vcpu = vm->vcpus[0];

	sigaction(SIGUSR1, &sa, NULL);
	vcpu_thread_start(vcpu, idle_thread);
	while (!__atomic_load_n(state, __ATOMIC_SEQ_CST))
		usleep(1000);
	usleep(50000);
	/* Interrupted: the read completes (0) and KVM_RUN returns -EINTR or goes on. */
	pthread_kill(vcpu->thread, SIGUSR1);
	vcpu_thread_join(vcpu);
	vm_destroy(vm);
}

/* ---- teardown ------------------------------------------------------------------------------ */

static void guest_armed(uint64_t vcpu)
{
	hg_irq_setup(VEC_DIRECT, VEC_DIRECT);
	hg_irq_setup(VEC_SINT, VEC_SINT);
	hg_synic_enable(vcpu);
	guest_wrmsr(HV_X64_MSR_SINT1, VEC_SINT);
	guest_wrmsr(HV_X64_MSR_STIMER0_CONFIG, HG_STIMER_ENABLE | HG_STIMER_PERIODIC |
					       HG_STIMER_DIRECT | HG_STIMER_VECTOR(VEC_DIRECT));
	guest_wrmsr(HV_X64_MSR_STIMER0_COUNT, 1 * MS);
	guest_wrmsr(HV_X64_MSR_STIMER1_CONFIG, HG_STIMER_ENABLE | HG_STIMER_PERIODIC |
					       HG_STIMER_SINT(1));
	guest_wrmsr(HV_X64_MSR_STIMER1_COUNT, 1 * MS);
	HG_WAIT_IRQ(VEC_DIRECT, 3, 3000 * MS);
	HG_WAIT_IRQ(VEC_SINT, 1, 3000 * MS);
	/* Leave the message unconsumed: the next expiries stay pending. */
	GUEST_DONE();
}

XTEST_TIMEOUT(teardown_with_armed_timers, 60)
{
	struct vm *vm = hv_vm(2, guest_armed, true, 0);

	vm_run_all_to_done(vm);
	usleep(10000);
	vm_destroy(vm);
	/* And detach first, then destroy. */
	vm = hv_vm(2, guest_armed, true, 0);
	vm_run_all_to_done(vm);
	TEST_ASSERT_EQ(xenhv_detach(vm), 0);
	usleep(10000);
	vm_destroy(vm);
}

static void guest_detached(void)
{
	uint64_t hz, n, end;

	hg_irq_setup(VEC_DIRECT, VEC_DIRECT);
	hz = guest_rdmsr(HV_X64_MSR_TSC_FREQUENCY);
	guest_wrmsr(HV_X64_MSR_STIMER0_CONFIG, HG_STIMER_ENABLE | HG_STIMER_PERIODIC |
					       HG_STIMER_DIRECT | HG_STIMER_VECTOR(VEC_DIRECT));
	guest_wrmsr(HV_X64_MSR_STIMER0_COUNT, 1 * MS);
	HG_WAIT_IRQ(VEC_DIRECT, 2, 3000 * MS);
	GUEST_SYNC(0);			/* the host detaches */
	guest_catch(13, 2);		/* the handler's TIME_REF_COUNT read is KVM's now */
	__asm__ volatile("sti; nop; nop; cli");	/* a tick may have been pending */
	n = hg_irqs[0][VEC_DIRECT];
	/* 30 ms by the TSC alone: the MSRs are KVM's now. */
	end = hg_rdtsc() + hz / 1000 * 30;
	__asm__ volatile("sti");
	while (hg_rdtsc() < end)
		__asm__ volatile("pause");
	__asm__ volatile("cli");
	GUEST_SYNC2(n, hg_irqs[0][VEC_DIRECT]);
	GUEST_DONE();
}

XTEST_TIMEOUT(detach_stops_timers, 30)
{
	struct vm *vm = hv_vm(1, guest_detached, true, 0);
	struct ucall uc;

	TEST_ASSERT_EQ(vcpu_run_ucall(vm->vcpus[0], &uc), UCALL_SYNC);
	TEST_ASSERT_EQ(xenhv_detach(vm), 0);
	usleep(10000);
	TEST_ASSERT_EQ(vcpu_run_ucall(vm->vcpus[0], &uc), UCALL_SYNC);
	TEST_ASSERT_EQ(uc.args[1], uc.args[0]);
	vcpu_run_to_done(vm->vcpus[0]);
	vm_destroy(vm);
}

int main(int argc, char **argv)
{
	return xtest_main(argc, argv);
}
