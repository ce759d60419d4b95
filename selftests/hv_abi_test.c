// SPDX-License-Identifier: GPL-2.0
/*
 * The Hyper-V ABI's first calls: GUEST_OS_ID and the hypercall page,
 * NotifyLongSpinWait in the kernel, PostMessage and SignalEvent as
 * KVM_EXIT_HYPERV, the input value's checks, both calling conventions, #UD
 * where Hyper-V gives it, and bad MSR input. The CPUID leaves are checked
 * in hv_synic_test.c.
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include "abi.h"
#include "xenhv.h"

#define PAGE_GPA	VM_SCRATCH_GPA
#define IN_GPA		(VM_SCRATCH_GPA + 0x1000)
#define OS_ID		0x8100000000001234ull
#define FAST(code)	((uint64_t)(code) | HV_HYPERCALL_FAST_BIT)

static struct vm *hv_vm(void *guest, struct vcpu **vcpu)
{
	struct vm *vm = vm_create(NULL);

	*vcpu = vm_add_vcpu(vm, guest);
	xenhv_attach_ok(vm, XENHV_ABI_HYPERV, XENHV_ATTACH_CPUID);
	return vm;
}

static void guest_enable_hypercalls(void)
{
	guest_wrmsr(HV_X64_MSR_GUEST_OS_ID, OS_ID);
	guest_wrmsr(HV_X64_MSR_HYPERCALL, PAGE_GPA | HV_X64_MSR_HYPERCALL_ENABLE);
}

static void guest_page(void)
{
	guest_catch(6, 3);
	/* No hypercall page yet: #UD. */
	guest_hv_hcall(FAST(HVCALL_NOTIFY_LONG_SPIN_WAIT), 0, 0);
	GUEST_ASSERT_EQ(guest_faults, 1);
	GUEST_ASSERT_EQ(guest_fault_vector, 6);
	/* Without a guest OS id the enable bit does not stick. */
	guest_wrmsr(HV_X64_MSR_HYPERCALL, PAGE_GPA | HV_X64_MSR_HYPERCALL_ENABLE);
	GUEST_ASSERT_EQ(guest_rdmsr(HV_X64_MSR_HYPERCALL), PAGE_GPA);
	guest_enable_hypercalls();
	GUEST_ASSERT_EQ(guest_rdmsr(HV_X64_MSR_GUEST_OS_ID), OS_ID);
	GUEST_ASSERT_EQ(guest_rdmsr(HV_X64_MSR_HYPERCALL), PAGE_GPA | HV_X64_MSR_HYPERCALL_ENABLE);
	GUEST_SYNC(1);
	GUEST_ASSERT_EQ(guest_hv_hcall_page((void *)PAGE_GPA, FAST(HVCALL_NOTIFY_LONG_SPIN_WAIT),
					    0, 0), HV_STATUS_SUCCESS);
	GUEST_ASSERT_EQ(guest_hv_hcall(FAST(HVCALL_NOTIFY_LONG_SPIN_WAIT), 0, 0),
			HV_STATUS_SUCCESS);
	/* Clearing the OS id disables hypercalls again. */
	guest_wrmsr(HV_X64_MSR_GUEST_OS_ID, 0);
	GUEST_ASSERT_EQ(guest_rdmsr(HV_X64_MSR_HYPERCALL), PAGE_GPA);
	guest_hv_hcall(FAST(HVCALL_NOTIFY_LONG_SPIN_WAIT), 0, 0);
	GUEST_ASSERT_EQ(guest_faults, 2);
	GUEST_DONE();
}

XTEST(hypercall_page_and_spin_wait)
{
	struct vcpu *vcpu;
	struct vm *vm = hv_vm(guest_page, &vcpu);
	uint8_t *p = vm_gpa_to_hva(vm, PAGE_GPA, 4);
	struct xenhv_vm_stats st;
	struct ucall uc;

	TEST_ASSERT_EQ(vcpu_run_ucall(vcpu, &uc), UCALL_SYNC);
	TEST_ASSERT(p[0] == 0x0f && p[1] == 0x01 && (p[2] == 0xc1 || p[2] == 0xd9),
		    "page does not start with vmcall/vmmcall");
	TEST_ASSERT_EQ(p[3], 0xc3);
	vcpu_run_to_done(vcpu);
	TEST_ASSERT_EQ(xenhv_stats(vm, &st), 0);
	TEST_ASSERT_EQ(st.ops[HVCALL_NOTIFY_LONG_SPIN_WAIT].kernel, 2);
	TEST_ASSERT_EQ(st.ops[XENHV_OP_GUEST_FAULT].errors, 2);
	vm_destroy(vm);
}

static void guest_input_checks(void)
{
	guest_enable_hypercalls();
	GUEST_ASSERT_EQ(guest_hv_hcall(FAST(0x7ff), 0, 0), HV_STATUS_INVALID_HYPERCALL_CODE);
	GUEST_ASSERT_EQ(guest_hv_hcall(0xffff, 0, 0), HV_STATUS_INVALID_HYPERCALL_CODE);
	/* Reserved bits of the input value, each range. */
	GUEST_ASSERT_EQ(guest_hv_hcall(FAST(HVCALL_NOTIFY_LONG_SPIN_WAIT) | (1ull << 27), 0, 0),
			HV_STATUS_INVALID_HYPERCALL_INPUT);
	GUEST_ASSERT_EQ(guest_hv_hcall(FAST(HVCALL_NOTIFY_LONG_SPIN_WAIT) | (1ull << 44), 0, 0),
			HV_STATUS_INVALID_HYPERCALL_INPUT);
	GUEST_ASSERT_EQ(guest_hv_hcall(FAST(HVCALL_NOTIFY_LONG_SPIN_WAIT) | (1ull << 63), 0, 0),
			HV_STATUS_INVALID_HYPERCALL_INPUT);
	/* A simple call with a rep count or start index. */
	GUEST_ASSERT_EQ(guest_hv_hcall(FAST(HVCALL_NOTIFY_LONG_SPIN_WAIT) | (1ull << 32), 0, 0),
			HV_STATUS_INVALID_HYPERCALL_INPUT);
	GUEST_ASSERT_EQ(guest_hv_hcall(FAST(HVCALL_NOTIFY_LONG_SPIN_WAIT) | (1ull << 48), 0, 0),
			HV_STATUS_INVALID_HYPERCALL_INPUT);
	/* PostMessage: slow only, 8-byte aligned, within one page. */
	GUEST_ASSERT_EQ(guest_hv_hcall(FAST(HVCALL_POST_MESSAGE), IN_GPA, 0),
			HV_STATUS_INVALID_HYPERCALL_INPUT);
	GUEST_ASSERT_EQ(guest_hv_hcall(HVCALL_POST_MESSAGE, IN_GPA + 4, 0),
			HV_STATUS_INVALID_ALIGNMENT);
	GUEST_ASSERT_EQ(guest_hv_hcall(HVCALL_POST_MESSAGE, IN_GPA + 0xf08, 0),
			HV_STATUS_INVALID_ALIGNMENT);
	GUEST_ASSERT_EQ(guest_hv_hcall(HVCALL_SIGNAL_EVENT, IN_GPA + 1, 0),
			HV_STATUS_INVALID_ALIGNMENT);
	GUEST_DONE();
}

XTEST(input_value_checks)
{
	struct vcpu *vcpu;
	struct vm *vm = hv_vm(guest_input_checks, &vcpu);
	struct xenhv_vm_stats st;

	vcpu_run_to_done(vcpu);		/* no userspace exit may happen */
	TEST_ASSERT_EQ(xenhv_stats(vm, &st), 0);
	TEST_ASSERT_EQ(st.ops[HVCALL_NOTIFY_LONG_SPIN_WAIT].errors, 5);
	TEST_ASSERT_EQ(st.ops[HVCALL_POST_MESSAGE].errors, 3);
	TEST_ASSERT_EQ(st.ops[HVCALL_POST_MESSAGE].user, 0);
	vm_destroy(vm);
}

static void guest_post_message(void)
{
	guest_enable_hypercalls();
	GUEST_ASSERT_EQ(guest_hv_hcall(HVCALL_POST_MESSAGE, IN_GPA, 0x5000), 0);
	GUEST_ASSERT_EQ(guest_hv_hcall(FAST(HVCALL_SIGNAL_EVENT), 0x77, 0), 0x13);
	GUEST_DONE();
}

static void expect_hv_exit(struct vcpu *vcpu, uint64_t input, uint64_t in, uint64_t out,
			   uint64_t result)
{
	struct kvm_run *run = vcpu->run;

	vcpu_run(vcpu);
	TEST_ASSERT(run->exit_reason == KVM_EXIT_HYPERV, "exit %s",
		    exit_reason_str(run->exit_reason));
	TEST_ASSERT_EQ(run->hyperv.type, KVM_EXIT_HYPERV_HCALL);
	TEST_ASSERT_EQ(run->hyperv.u.hcall.input, input);
	TEST_ASSERT_EQ(run->hyperv.u.hcall.params[0], in);
	TEST_ASSERT_EQ(run->hyperv.u.hcall.params[1], out);
	run->hyperv.u.hcall.result = result;
}

XTEST(post_message_and_signal_event_exit)
{
	struct vcpu *vcpu;
	struct vm *vm = hv_vm(guest_post_message, &vcpu);
	struct xenhv_vm_stats st;

	expect_hv_exit(vcpu, HVCALL_POST_MESSAGE, IN_GPA, 0x5000, HV_STATUS_SUCCESS);
	expect_hv_exit(vcpu, FAST(HVCALL_SIGNAL_EVENT), 0x77, 0, 0x13);
	vcpu_run_to_done(vcpu);
	TEST_ASSERT_EQ(xenhv_stats(vm, &st), 0);
	TEST_ASSERT_EQ(st.ops[HVCALL_POST_MESSAGE].user, 1);
	TEST_ASSERT_EQ(st.ops[HVCALL_SIGNAL_EVENT].user, 1);
	vm_destroy(vm);
}

static void guest_compat(void)
{
	struct guest_regs32 r = { .eax = FAST(HVCALL_NOTIFY_LONG_SPIN_WAIT), .edx = 0,
				  .ebx = 0xdead, .ecx = 0xbeef };

	guest_enable_hypercalls();
	guest_hypercall32(&r);
	GUEST_ASSERT_EQ(r.eax, HV_STATUS_SUCCESS);
	GUEST_ASSERT_EQ(r.edx, 0);
	GUEST_ASSERT_EQ(r.ebx, 0xdead);
	/* Reserved bit 63 travels in EDX. */
	r = (struct guest_regs32){ .eax = FAST(HVCALL_NOTIFY_LONG_SPIN_WAIT), .edx = 1u << 31 };
	guest_hypercall32(&r);
	GUEST_ASSERT_EQ(r.eax, HV_STATUS_INVALID_HYPERCALL_INPUT);
	/* Input GPA in EBX:ECX, output GPA in EDI:ESI; the VMM's result in EDX:EAX. */
	r = (struct guest_regs32){ .eax = HVCALL_POST_MESSAGE, .ebx = 0, .ecx = IN_GPA,
				   .edi = 1, .esi = 0x2000 };
	guest_hypercall32(&r);
	GUEST_ASSERT_EQ(r.eax, 0x5);
	GUEST_ASSERT_EQ(r.edx, 0x1);
	GUEST_DONE();
}

XTEST(compat_mode_calling_convention)
{
	struct vcpu *vcpu;
	struct vm *vm = hv_vm(guest_compat, &vcpu);

	expect_hv_exit(vcpu, HVCALL_POST_MESSAGE, IN_GPA, (1ull << 32) | 0x2000,
		       (1ull << 32) | 5);
	vcpu_run_to_done(vcpu);
	vm_destroy(vm);
}

static uint64_t user_call(uint64_t control)
{
	return guest_hv_hcall(control, 0, 0);
}

static void guest_cpl3(void)
{
	guest_enable_hypercalls();
	guest_catch(6, 3);
	guest_run_user(user_call, FAST(HVCALL_NOTIFY_LONG_SPIN_WAIT));
	GUEST_ASSERT_EQ(guest_faults, 1);
	GUEST_ASSERT_EQ(guest_fault_vector, 6);
	guest_run_user(user_call, HVCALL_POST_MESSAGE);
	GUEST_ASSERT_EQ(guest_faults, 2);
	GUEST_DONE();
}

XTEST(cpl3_gets_ud)
{
	struct vcpu *vcpu;
	struct vm *vm = hv_vm(guest_cpl3, &vcpu);

	vcpu_run_to_done(vcpu);		/* PostMessage must not reach the VMM */
	vm_destroy(vm);
}

static void guest_bad_msrs(uint64_t mem_size)
{
	guest_wrmsr(HV_X64_MSR_GUEST_OS_ID, OS_ID);
	guest_catch(13, 2);
	/* Reserved bits 11:2. */
	guest_wrmsr(HV_X64_MSR_HYPERCALL, PAGE_GPA | HV_X64_MSR_HYPERCALL_ENABLE | (1 << 4));
	GUEST_ASSERT_EQ(guest_faults, 1);
	/* A page outside guest memory. */
	guest_wrmsr(HV_X64_MSR_HYPERCALL, mem_size | HV_X64_MSR_HYPERCALL_ENABLE);
	GUEST_ASSERT_EQ(guest_faults, 2);
	guest_wrmsr(HV_X64_MSR_HYPERCALL, 0xfffffffffffff000ull | HV_X64_MSR_HYPERCALL_ENABLE);
	GUEST_ASSERT_EQ(guest_faults, 3);
	GUEST_ASSERT_EQ(guest_rdmsr(HV_X64_MSR_HYPERCALL), 0);
	/* Synthetic MSRs the shim does not implement (no APIC access MSRs). */
	guest_rdmsr(HV_X64_MSR_EOI);
	GUEST_ASSERT_EQ(guest_faults, 4);
	guest_wrmsr(0x400001ff, 1);
	GUEST_ASSERT_EQ(guest_faults, 5);
	/* Locked: later writes are ignored. */
	guest_wrmsr(HV_X64_MSR_HYPERCALL, PAGE_GPA | HV_X64_MSR_HYPERCALL_ENABLE | 2);
	guest_wrmsr(HV_X64_MSR_HYPERCALL, 0);
	GUEST_ASSERT_EQ(guest_rdmsr(HV_X64_MSR_HYPERCALL), PAGE_GPA | 3);
	GUEST_ASSERT_EQ(guest_faults, 5);
	GUEST_DONE();
}

XTEST(bad_msr_input_faults)
{
	struct vcpu *vcpu;
	struct vm *vm = hv_vm(guest_bad_msrs, &vcpu);

	vcpu_set_args(vcpu, 1, vm->mem_size);
	vcpu_run_to_done(vcpu);
	vm_destroy(vm);
}

XTEST(host_initiated_msr_access)
{
	struct vcpu *vcpu;
	struct vm *vm = hv_vm(NULL, &vcpu);
	struct {
		struct kvm_msrs h;
		struct kvm_msr_entry e;
	} m = { .h.nmsrs = 1, .e.index = HV_X64_MSR_HYPERCALL, .e.data = (1 << 5) };

	/* Restore order does not matter, and the page is not rewritten. */
	vcpu_set_msr(vcpu, HV_X64_MSR_HYPERCALL, (1ull << 40) | HV_X64_MSR_HYPERCALL_ENABLE);
	vcpu_set_msr(vcpu, HV_X64_MSR_GUEST_OS_ID, OS_ID);
	TEST_ASSERT_EQ(vcpu_get_msr(vcpu, HV_X64_MSR_HYPERCALL),
		       (1ull << 40) | HV_X64_MSR_HYPERCALL_ENABLE);
	TEST_ASSERT_EQ(vcpu_get_msr(vcpu, HV_X64_MSR_GUEST_OS_ID), OS_ID);
	TEST_ASSERT_EQ(ioctl(vcpu->fd, KVM_SET_MSRS, &m), 0);	/* reserved bit */
	m.e.index = HV_X64_MSR_EOI;
	TEST_ASSERT_EQ(ioctl(vcpu->fd, KVM_GET_MSRS, &m), 0);
	m.e.index = 0x400001ff;
	TEST_ASSERT_EQ(ioctl(vcpu->fd, KVM_GET_MSRS, &m), 0);
	vm_destroy(vm);
}

int main(int argc, char **argv)
{
	return xtest_main(argc, argv);
}
