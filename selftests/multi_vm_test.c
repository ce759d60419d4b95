// SPDX-License-Identifier: GPL-2.0
/*
 * One VM attached as Xen, one as Hyper-V and one unattached, running at the
 * same time in one process: each sees its own ABI, the third stock KVM.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>

#include "abi.h"
#include "xenhv.h"

#define CALLS	300
#define OS_ID	0x8100000000001234ull

static void guest_xen(uint64_t n)
{
	uint64_t i;

	for (i = 0; i < n; i++)
		GUEST_ASSERT_EQ(guest_hypercall(__HYPERVISOR_xen_version, XENVER_version, 0, 0),
				(4 << 16) | 16);
	GUEST_DONE();
}

static void guest_hv(uint64_t n)
{
	uint64_t i;

	guest_wrmsr(HV_X64_MSR_GUEST_OS_ID, OS_ID);
	guest_wrmsr(HV_X64_MSR_HYPERCALL, VM_SCRATCH_GPA | HV_X64_MSR_HYPERCALL_ENABLE);
	for (i = 0; i < n; i++)
		GUEST_ASSERT_EQ(guest_hv_hcall(HVCALL_NOTIFY_LONG_SPIN_WAIT |
					       HV_HYPERCALL_FAST_BIT, 0, 0), 0);
	GUEST_DONE();
}

static void guest_native(uint64_t n)
{
	uint32_t r[4];
	uint64_t i;

	for (i = 0; i < n; i++)
		GUEST_ASSERT_EQ(guest_hypercall(__HYPERVISOR_xen_version, XENVER_version, 0, 0),
				(uint64_t)-1000);
	guest_cpuid(0x40000000, 0, r);
	GUEST_ASSERT_EQ(r[1], 0x4b4d564b);	/* "KVMK" */
	GUEST_DONE();
}

static void run_thread(struct vcpu *vcpu)
{
	vcpu_run_to_done(vcpu);
}

XTEST(xen_hyperv_and_native_side_by_side)
{
	void *guests[3] = { guest_xen, guest_hv, guest_native };
	struct vm *vms[3];
	struct xenhv_vm_stats st;
	int i;

	for (i = 0; i < 3; i++) {
		vms[i] = vm_create(NULL);
		vcpu_set_args(vm_add_vcpu(vms[i], guests[i]), 1, (uint64_t)CALLS);
	}
	xenhv_attach_ok(vms[0], XENHV_ABI_XEN, XENHV_ATTACH_CPUID);
	xenhv_attach_ok(vms[1], XENHV_ABI_HYPERV, XENHV_ATTACH_CPUID);
	for (i = 0; i < 3; i++)
		vcpu_thread_start(vms[i]->vcpus[0], run_thread);
	for (i = 0; i < 3; i++)
		vcpu_thread_join(vms[i]->vcpus[0]);

	TEST_ASSERT_EQ(xenhv_stats(vms[0], &st), 0);
	TEST_ASSERT_EQ(st.ops[__HYPERVISOR_xen_version].kernel, CALLS);
	TEST_ASSERT_EQ(xenhv_stats(vms[1], &st), 0);
	TEST_ASSERT_EQ(st.ops[HVCALL_NOTIFY_LONG_SPIN_WAIT].kernel, CALLS);
	TEST_ASSERT_EQ(xenhv_stats(vms[2], &st), -ENOENT);
	for (i = 0; i < 3; i++)
		vm_destroy(vms[i]);
}

#define SHARED_CALLS	3000

static void guest_one_call(uint64_t attached);

static void run_on_cpu0(struct vcpu *vcpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	TEST_ASSERT_EQ(sched_setaffinity(0, sizeof(set), &set), 0);
	vcpu_run_to_done(vcpu);
}

/*
 * The vCPUs of a Xen VM, a Hyper-V VM and an unattached one take turns on
 * one CPU, each loaded and put there again and again: the hooks' per-CPU
 * entry of the loaded vCPU must always name the caller's own VM (a stale
 * one would send a call to another VM's ABI, or to none).
 */
XTEST(vms_take_turns_on_one_cpu)
{
	void *guests[3] = { guest_xen, guest_hv, guest_native };
	struct vm *vms[3];
	struct xenhv_vm_stats st;
	int i;

	for (i = 0; i < 3; i++) {
		vms[i] = vm_create(NULL);
		vcpu_set_args(vm_add_vcpu(vms[i], guests[i]), 1, (uint64_t)SHARED_CALLS);
	}
	xenhv_attach_ok(vms[0], XENHV_ABI_XEN, 0);
	xenhv_attach_ok(vms[1], XENHV_ABI_HYPERV, 0);
	for (i = 0; i < 3; i++)
		vcpu_thread_start(vms[i]->vcpus[0], run_on_cpu0);
	for (i = 0; i < 3; i++)
		vcpu_thread_join(vms[i]->vcpus[0]);
	TEST_ASSERT_EQ(xenhv_stats(vms[0], &st), 0);
	TEST_ASSERT_EQ(st.ops[__HYPERVISOR_xen_version].kernel, SHARED_CALLS);
	TEST_ASSERT_EQ(xenhv_stats(vms[1], &st), 0);
	TEST_ASSERT_EQ(st.ops[HVCALL_NOTIFY_LONG_SPIN_WAIT].kernel, SHARED_CALLS);
	/* Detached while its vCPU's entry may still be noted: KVM's again. */
	TEST_ASSERT_EQ(xenhv_detach(vms[0]), 0);
	vcpu_set_args(vm_add_vcpu(vms[0], guest_one_call), 1, 0ull);
	run_on_cpu0(vms[0]->vcpus[1]);
	for (i = 0; i < 3; i++)
		vm_destroy(vms[i]);
}

static void guest_multi_vcpu_xen(uint64_t id)
{
	int i;

	for (i = 0; i < CALLS; i++)
		GUEST_ASSERT_EQ(guest_hypercall(__HYPERVISOR_xen_version, XENVER_version, 0, 0),
				(4 << 16) | 16);
	GUEST_DONE();
}

XTEST(vcpus_of_one_vm_call_concurrently)
{
	struct vm *vm = vm_create(&(struct vm_opts){ .irqchip = true });
	struct xenhv_vm_stats st;
	int i;

	for (i = 0; i < 4; i++)
		vcpu_set_args(vm_add_vcpu(vm, guest_multi_vcpu_xen), 1, (uint64_t)i);
	xenhv_attach_ok(vm, XENHV_ABI_XEN, 0);
	for (i = 0; i < 4; i++)
		vcpu_thread_start(vm->vcpus[i], run_thread);
	for (i = 0; i < 4; i++)
		vcpu_thread_join(vm->vcpus[i]);
	TEST_ASSERT_EQ(xenhv_stats(vm, &st), 0);
	TEST_ASSERT_EQ(st.ops[__HYPERVISOR_xen_version].kernel, 4 * CALLS);
	vm_destroy(vm);
}

/* One Xen call: the shim's answer when @attached, else stock KVM's. */
static void guest_one_call(uint64_t attached)
{
	GUEST_ASSERT_EQ(guest_hypercall(__HYPERVISOR_xen_version, XENVER_version, 0, 0),
			attached ? (4 << 16) | 16 : (uint64_t)-1000);
	GUEST_DONE();
}

/* Whether the VM is attached in this round: set by the host before it. */
static uint64_t round_attached;

/* One Xen call a round, as guest_one_call(); the round ends at the SYNC. */
static void guest_call_rounds(void)
{
	for (;;) {
		GUEST_ASSERT_EQ(guest_hypercall(__HYPERVISOR_xen_version, XENVER_version, 0, 0),
				round_attached ? (4 << 16) | 16 : (uint64_t)-1000);
		GUEST_SYNC(0);
	}
}

/* A round: each VM's vCPU makes one call, which must reach its own VM's ABI. */
static void one_call_each(struct vm **vms, const bool *attached, int n)
{
	struct ucall uc;
	int i;

	for (i = 0; i < n; i++) {
		round_attached = attached[i];
		sync_global_to_guest(vms[i], round_attached);
		TEST_ASSERT_EQ(vcpu_run_ucall(vms[i]->vcpus[0], &uc), UCALL_SYNC);
	}
}

/*
 * More VMs than the slots the shim's hooks look at first (128), so that
 * VMs share slots: one attached VM alone in its slot, several sharing one,
 * a VM not attached beside attached ones, and slots that empty and fill
 * again as VMs are detached and attached. Every call still reaches the
 * caller's own VM's ABI, or stock KVM. Each VM's one vCPU makes a call a
 * round, across its VM's detach and attach.
 */
XTEST_TIMEOUT(vms_sharing_lookup_slots, 300)
{
	enum { N = 160 };
	struct vm *vms[N];
	bool attached[N];
	int i;

	for (i = 0; i < N; i++) {
		vms[i] = vm_create(NULL);
		vm_add_vcpu(vms[i], guest_call_rounds);
		attached[i] = i % 3;
		if (attached[i])
			xenhv_attach_ok(vms[i], XENHV_ABI_XEN, 0);
	}
	one_call_each(vms, attached, N);
	for (i = 1; i < N; i += 3) {
		TEST_ASSERT_EQ(xenhv_detach(vms[i]), 0);
		attached[i] = false;
	}
	one_call_each(vms, attached, N);
	for (i = 0; i < N; i++) {
		if (i % 3 == 2) {
			TEST_ASSERT_EQ(xenhv_detach(vms[i]), 0);
			attached[i] = false;
		} else {
			xenhv_attach_ok(vms[i], XENHV_ABI_XEN, 0);
			attached[i] = true;
		}
	}
	one_call_each(vms, attached, N);
	/* Destroyed while attached: their slots go with them. */
	for (i = 0; i < N; i += 2)
		vm_destroy(vms[i]);
	for (i = 1; i < N; i += 2) {
		vms[i / 2] = vms[i];
		attached[i / 2] = attached[i];
	}
	one_call_each(vms, attached, N / 2);
	for (i = 0; i < N / 2; i++)
		vm_destroy(vms[i]);
}

int main(int argc, char **argv)
{
	return xtest_main(argc, argv);
}
