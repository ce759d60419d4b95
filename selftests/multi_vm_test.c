// SPDX-License-Identifier: GPL-2.0
/*
 * One VM attached as Xen, one as Hyper-V and one unattached, running at the
 * same time in one process: each sees its own ABI, the third stock KVM.
 */
#include <errno.h>

#include "abi.h"
#include "xenhv.h"

#define CALLS	300
#define OS_ID	0x8100000000001234ull

static void guest_xen(void)
{
	int i;

	for (i = 0; i < CALLS; i++)
		GUEST_ASSERT_EQ(guest_hypercall(__HYPERVISOR_xen_version, XENVER_version, 0, 0),
				(4 << 16) | 16);
	GUEST_DONE();
}

static void guest_hv(void)
{
	int i;

	guest_wrmsr(HV_X64_MSR_GUEST_OS_ID, OS_ID);
	guest_wrmsr(HV_X64_MSR_HYPERCALL, VM_SCRATCH_GPA | HV_X64_MSR_HYPERCALL_ENABLE);
	for (i = 0; i < CALLS; i++)
		GUEST_ASSERT_EQ(guest_hv_hcall(HVCALL_NOTIFY_LONG_SPIN_WAIT |
					       HV_HYPERCALL_FAST_BIT, 0, 0), 0);
	GUEST_DONE();
}

static void guest_native(void)
{
	uint32_t r[4];
	int i;

	for (i = 0; i < CALLS; i++)
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
		vm_add_vcpu(vms[i], guests[i]);
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

int main(int argc, char **argv)
{
	return xtest_main(argc, argv);
}
