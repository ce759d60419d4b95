// SPDX-License-Identifier: GPL-2.0
/*
 * A VM that is not attached to xenhv_shim sees stock KVM, whether or not the
 * module is loaded: KVM's own hypercall, Xen and Hyper-V behaviour.
 */
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "abi.h"
#include <linux/kvm_para.h>

#include "vm.h"

#define XEN_MSR 0x40000200

static void guest_unknown_hypercall(void)
{
	GUEST_ASSERT_EQ(guest_hypercall(0x1234, 1, 2, 3), (uint64_t)-KVM_ENOSYS);
	GUEST_DONE();
}

XTEST(unknown_hypercall_is_enosys)
{
	struct vm *vm = vm_create(NULL);
	struct vcpu *vcpu = vm_add_vcpu(vm, guest_unknown_hypercall);

	vcpu_run_to_done(vcpu);
	vm_destroy(vm);
}

static void guest_xen_version(void)
{
	GUEST_ASSERT_EQ(guest_hypercall(__HYPERVISOR_xen_version, 0x77, 0, 0), 0x42);
	GUEST_DONE();
}

XTEST(kvm_xen_exit_still_works)
{
	struct kvm_xen_hvm_config cfg = {
		.flags = KVM_XEN_HVM_CONFIG_INTERCEPT_HCALL, .msr = XEN_MSR,
	};
	struct vm *vm;
	struct vcpu *vcpu;
	struct ucall uc;
	int exits = 0;

	if (!(kvm_check_cap(KVM_CAP_XEN_HVM) & KVM_XEN_HVM_CONFIG_INTERCEPT_HCALL))
		SKIP("KVM has no Xen support (CONFIG_KVM_XEN)");
	vm = vm_create(NULL);
	TEST_ASSERT(!ioctl(vm->fd, KVM_XEN_HVM_CONFIG, &cfg), "KVM_XEN_HVM_CONFIG");
	vcpu = vm_add_vcpu(vm, guest_xen_version);
	for (;;) {
		vcpu_run(vcpu);
		if (vcpu->run->exit_reason == KVM_EXIT_XEN) {
			TEST_ASSERT_EQ(vcpu->run->xen.type, KVM_EXIT_XEN_HCALL);
			TEST_ASSERT_EQ(vcpu->run->xen.u.hcall.input, __HYPERVISOR_xen_version);
			TEST_ASSERT_EQ(vcpu->run->xen.u.hcall.params[0], 0x77);
			TEST_ASSERT_EQ(vcpu->run->xen.u.hcall.longmode, 1);
			vcpu->run->xen.u.hcall.result = 0x42;
			exits++;
			continue;
		}
		if (vcpu_get_ucall(vcpu, &uc) == UCALL_DONE)
			break;
		if (uc.cmd == UCALL_ABORT)
			report_guest_abort(vcpu, &uc);
		TEST_FAIL("unexpected exit %s", exit_reason_str(vcpu->run->exit_reason));
	}
	TEST_ASSERT_EQ(exits, 1);
	vm_destroy(vm);
}

#define HV_FAST(code)	((uint64_t)(code) | HV_HYPERCALL_FAST_BIT)

static uint64_t guest_hv_hypercall(uint64_t control, uint64_t in, uint64_t out)
{
	uint64_t status;

	__asm__ volatile("mov %[out], %%r8\n\tvmmcall"
			 : "=a"(status) : "c"(control), "d"(in), [out] "r"(out)
			 : "r8", "memory");
	return status;
}

static void guest_hv_spin_wait(void)
{
	GUEST_ASSERT_EQ(guest_hv_hypercall(HV_FAST(HVCALL_NOTIFY_LONG_SPIN_WAIT), 1, 0),
			HV_STATUS_SUCCESS);
	GUEST_ASSERT_EQ(guest_hv_hypercall(HV_FAST(0x7ff), 0, 0) & 0xffff,
			HV_STATUS_INVALID_HYPERCALL_CODE);
	GUEST_DONE();
}

XTEST(kvm_hyperv_spin_wait_still_works)
{
	struct vm *vm;
	struct vcpu *vcpu;

	if (!kvm_check_cap(KVM_CAP_HYPERV) || !kvm_check_cap(KVM_CAP_SYS_HYPERV_CPUID))
		SKIP("KVM has no Hyper-V emulation");
	vm = vm_create(NULL);
	vcpu = vm_add_vcpu(vm, guest_hv_spin_wait);
	vcpu_set_kvm_hyperv_cpuid(vcpu);
	vcpu_set_msr(vcpu, HV_X64_MSR_GUEST_OS_ID, 0x8100000000001234ull);
	vcpu_set_msr(vcpu, HV_X64_MSR_HYPERCALL, VM_SCRATCH_GPA | HV_X64_MSR_HYPERCALL_ENABLE);
	vcpu_run_to_done(vcpu);
	vm_destroy(vm);
}

int main(int argc, char **argv)
{
	return xtest_main(argc, argv);
}
