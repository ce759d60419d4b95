// SPDX-License-Identifier: GPL-2.0
/*
 * The Xen ABI's first calls: CPUID leaves, the hypercall page, xen_version
 * in the kernel, other calls as KVM_EXIT_XEN, both calling conventions,
 * calls from CPL 3, and bad input from the guest.
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include "abi.h"
#include "xenhv.h"

#define XEN_MSR		0x40000000
#define PAGE_GPA	VM_SCRATCH_GPA
#define VERSION_4_13	((4 << 16) | 13)

static struct vm *xen_vm(void *guest, struct vcpu **vcpu, uint32_t version)
{
	struct xenhv_xen_config cfg = { .version = version };
	struct vm *vm = vm_create(NULL);
	int r;

	*vcpu = vm_add_vcpu(vm, guest);
	r = xenhv_attach(vm, XENHV_ABI_XEN, XENHV_ATTACH_CPUID, &cfg, sizeof(cfg));
	TEST_ASSERT(!r, "attach: %s", strerror(-r));
	return vm;
}

static void guest_cpuid_leaves(void)
{
	uint32_t r[4];

	guest_cpuid(0x40000000, 0, r);
	GUEST_ASSERT_EQ(r[0], 0x40000004);
	GUEST_ASSERT_EQ(r[1], 0x566e6558);	/* "XenV" */
	GUEST_ASSERT_EQ(r[2], 0x65584d4d);	/* "MMXe" */
	GUEST_ASSERT_EQ(r[3], 0x4d4d566e);	/* "nVMM" */
	guest_cpuid(0x40000001, 0, r);
	GUEST_ASSERT_EQ(r[0], VERSION_4_13);
	guest_cpuid(0x40000002, 0, r);
	GUEST_ASSERT_EQ(r[0], 1);
	GUEST_ASSERT_EQ(r[1], XEN_MSR);
	/* Nothing else of the hypervisor range shows, KVM's leaves included. */
	guest_cpuid(0x40000100, 0, r);
	GUEST_ASSERT_EQ(r[0] | r[1] | r[2] | r[3], 0);
	guest_cpuid(0x4000ff00, 0, r);
	GUEST_ASSERT_EQ(r[0] | r[1] | r[2] | r[3], 0);
	/* Ordinary leaves are KVM's. */
	guest_cpuid(0, 0, r);
	GUEST_ASSERT(r[0] >= 1);
	GUEST_DONE();
}

XTEST(cpuid_leaves)
{
	struct vcpu *vcpu;
	struct vm *vm = xen_vm(guest_cpuid_leaves, &vcpu, VERSION_4_13);
	struct xenhv_vm_stats st;

	vcpu_run_to_done(vcpu);
	TEST_ASSERT_EQ(xenhv_stats(vm, &st), 0);
	TEST_ASSERT_EQ(st.ops[XENHV_OP_CPUID].kernel, 5);	/* leaf 0 is KVM's */
	vm_destroy(vm);
}

static void guest_cpuid_not_intercepted(void)
{
	uint32_t r[4];

	guest_cpuid(0x40000000, 0, r);
	GUEST_ASSERT_EQ(r[1], 0x4b4d564b);	/* "KVMK": KVM's own */
	GUEST_DONE();
}

XTEST(cpuid_only_with_the_flag)
{
	struct vm *vm = vm_create(NULL);
	struct vcpu *vcpu = vm_add_vcpu(vm, guest_cpuid_not_intercepted);

	xenhv_attach_ok(vm, XENHV_ABI_XEN, 0);
	vcpu_run_to_done(vcpu);
	vm_destroy(vm);
}

static void guest_cpuid_base(void)
{
	uint32_t r[4];

	guest_cpuid(0x40000000, 0, r);
	GUEST_ASSERT_EQ(r[0] | r[1], 0);
	guest_cpuid(0x40000100, 0, r);
	GUEST_ASSERT_EQ(r[0], 0x40000104);
	GUEST_ASSERT_EQ(r[1], 0x566e6558);
	guest_cpuid(0x40000102, 0, r);
	GUEST_ASSERT_EQ(r[1], 0x40000200);
	GUEST_DONE();
}

XTEST(cpuid_base_and_msr_configurable)
{
	struct xenhv_xen_config cfg = { .cpuid_base = 0x40000100, .hypercall_msr = 0x40000200 };
	struct vm *vm = vm_create(NULL);
	struct vcpu *vcpu = vm_add_vcpu(vm, guest_cpuid_base);

	TEST_ASSERT_EQ(xenhv_attach(vm, XENHV_ABI_XEN, XENHV_ATTACH_CPUID, &cfg, sizeof(cfg)), 0);
	vcpu_run_to_done(vcpu);
	vm_destroy(vm);
}

static void guest_page(void)
{
	uint8_t *page = (uint8_t *)PAGE_GPA;

	guest_wrmsr(XEN_MSR, PAGE_GPA);
	GUEST_ASSERT_EQ(guest_rdmsr(XEN_MSR), PAGE_GPA);
	GUEST_SYNC(1);		/* the host checks the page */
	GUEST_ASSERT_EQ(guest_xen_hcall_page(page + __HYPERVISOR_xen_version * 32,
					     XENVER_version, 0, 0), VERSION_4_13);
	GUEST_DONE();
}

XTEST(hypercall_page)
{
	struct vcpu *vcpu;
	struct vm *vm = xen_vm(guest_page, &vcpu, VERSION_4_13);
	uint8_t *p = vm_gpa_to_hva(vm, PAGE_GPA, 4096);
	struct ucall uc;
	int i;

	TEST_ASSERT_EQ(vcpu_run_ucall(vcpu, &uc), UCALL_SYNC);
	for (i = 0; i < 128; i++) {
		uint8_t *s = p + i * 32;
		uint32_t nr;

		if (i == __HYPERVISOR_iret) {
			TEST_ASSERT(s[0] == 0x0f && s[1] == 0x0b, "iret stub is not ud2");
			continue;
		}
		memcpy(&nr, s + 1, 4);
		TEST_ASSERT(s[0] == 0xb8 && nr == (uint32_t)i, "stub %d: mov", i);
		TEST_ASSERT(s[5] == 0x0f && s[6] == 0x01 && (s[7] == 0xc1 || s[7] == 0xd9),
			    "stub %d: not vmcall/vmmcall", i);
		TEST_ASSERT(s[8] == 0xc3, "stub %d: no ret", i);
	}
	vcpu_run_to_done(vcpu);
	vm_destroy(vm);
}

static void guest_version_direct(void)
{
	GUEST_ASSERT_EQ(guest_xen_hcall(__HYPERVISOR_xen_version, XENVER_version, 0, 0, 0, 0, 0),
			(4 << 16) | 16);
	GUEST_DONE();
}

XTEST(xen_version_default_in_kernel)
{
	struct vcpu *vcpu;
	struct vm *vm = xen_vm(guest_version_direct, &vcpu, 0);
	struct xenhv_vm_stats st;

	vcpu_run_to_done(vcpu);
	TEST_ASSERT_EQ(xenhv_stats(vm, &st), 0);
	TEST_ASSERT_EQ(st.ops[__HYPERVISOR_xen_version].kernel, 1);
	TEST_ASSERT_EQ(st.ops[__HYPERVISOR_xen_version].user, 0);
	vm_destroy(vm);
}

static void guest_user_exit(void)
{
	GUEST_ASSERT_EQ(guest_xen_hcall(__HYPERVISOR_console_io, 11, 12, 13, 14, 15, 16),
			0x1234);
	/* A number no Xen has, with garbage arguments. */
	GUEST_ASSERT_EQ(guest_xen_hcall(~0ull, ~0ull, 1ull << 63, 0, ~0ull, 7, 8),
			(uint64_t)-38);
	/* A call of the kernel's hot table that it leaves to the VMM. */
	GUEST_ASSERT_EQ(guest_xen_hcall(__HYPERVISOR_event_channel_op, 99, 21, 22, 23, 24, 25),
			0x55);
	GUEST_DONE();
}

static void expect_xen_exit(struct vcpu *vcpu, uint64_t nr, int longmode, const uint64_t *p,
			    uint64_t result)
{
	struct kvm_run *run = vcpu->run;
	int i;

	vcpu_run(vcpu);
	TEST_ASSERT(run->exit_reason == KVM_EXIT_XEN, "exit %s",
		    exit_reason_str(run->exit_reason));
	TEST_ASSERT_EQ(run->xen.type, KVM_EXIT_XEN_HCALL);
	TEST_ASSERT_EQ(run->xen.u.hcall.input, nr);
	TEST_ASSERT_EQ(run->xen.u.hcall.longmode, longmode);
	TEST_ASSERT_EQ(run->xen.u.hcall.cpl, 0);
	for (i = 0; i < 6; i++)
		TEST_ASSERT_EQ(run->xen.u.hcall.params[i], p[i]);
	TEST_ASSERT_EQ(run->xen.u.hcall.result, (uint64_t)-38);
	run->xen.u.hcall.result = result;
}

XTEST(other_calls_exit_to_userspace)
{
	static const uint64_t p1[6] = { 11, 12, 13, 14, 15, 16 };
	static const uint64_t p2[6] = { ~0ull, 1ull << 63, 0, ~0ull, 7, 8 };
	static const uint64_t p3[6] = { 99, 21, 22, 23, 24, 25 };
	struct vcpu *vcpu;
	struct vm *vm = xen_vm(guest_user_exit, &vcpu, 0);
	struct xenhv_vm_stats st;

	expect_xen_exit(vcpu, __HYPERVISOR_console_io, 1, p1, 0x1234);
	expect_xen_exit(vcpu, ~0ull, 1, p2, -38);
	expect_xen_exit(vcpu, __HYPERVISOR_event_channel_op, 1, p3, 0x55);
	vcpu_run_to_done(vcpu);
	TEST_ASSERT_EQ(xenhv_stats(vm, &st), 0);
	TEST_ASSERT_EQ(st.ops[__HYPERVISOR_console_io].user, 1);
	TEST_ASSERT_EQ(st.ops[XENHV_OP_CALL_OTHER].user, 1);
	TEST_ASSERT_EQ(st.ops[__HYPERVISOR_event_channel_op].user, 1);
	TEST_ASSERT_EQ(st.ops[__HYPERVISOR_event_channel_op].kernel, 0);
	vm_destroy(vm);
}

static void guest_compat(void)
{
	struct guest_regs32 r = { .eax = __HYPERVISOR_xen_version, .ebx = XENVER_version,
				  .ecx = 0xc, .edx = 0xd, .esi = 0x5, .edi = 0x7, .ebp = 0xb };

	guest_hypercall32(&r);
	GUEST_ASSERT_EQ(r.eax, VERSION_4_13);
	GUEST_ASSERT_EQ(r.ebx, XENVER_version);
	GUEST_ASSERT_EQ(r.ebp, 0xb);
	r = (struct guest_regs32){ .eax = __HYPERVISOR_console_io, .ebx = 1, .ecx = 2,
				   .edx = 3, .esi = 4, .edi = 5, .ebp = 6 };
	guest_hypercall32(&r);
	GUEST_ASSERT_EQ(r.eax, 0xfffffff0);
	GUEST_DONE();
}

XTEST(compat_mode_calling_convention)
{
	static const uint64_t p[6] = { 1, 2, 3, 4, 5, 6 };
	struct vcpu *vcpu;
	struct vm *vm = xen_vm(guest_compat, &vcpu, VERSION_4_13);

	expect_xen_exit(vcpu, __HYPERVISOR_console_io, 0, p, -16);
	vcpu_run_to_done(vcpu);
	vm_destroy(vm);
}

static uint64_t user_call(uint64_t nr)
{
	return guest_xen_hcall(nr, XENVER_version, 0, 0, 0, 0, 0);
}

static void guest_cpl3(void)
{
	GUEST_ASSERT_EQ(guest_run_user(user_call, __HYPERVISOR_xen_version), (uint64_t)-1);
	GUEST_ASSERT_EQ(guest_run_user(user_call, __HYPERVISOR_console_io), (uint64_t)-1);
	GUEST_ASSERT_EQ(user_call(__HYPERVISOR_xen_version), (4 << 16) | 16);
	GUEST_DONE();
}

XTEST(cpl3_gets_eperm)
{
	struct vcpu *vcpu;
	struct vm *vm = xen_vm(guest_cpl3, &vcpu, 0);
	struct xenhv_vm_stats st;

	vcpu_run_to_done(vcpu);
	TEST_ASSERT_EQ(xenhv_stats(vm, &st), 0);
	TEST_ASSERT_EQ(st.ops[__HYPERVISOR_xen_version].errors, 1);
	TEST_ASSERT_EQ(st.ops[__HYPERVISOR_console_io].user, 0);
	vm_destroy(vm);
}

static void guest_bad_msr(uint64_t mem_size)
{
	guest_catch(13, 2);			/* wrmsr is 2 bytes */
	guest_wrmsr(XEN_MSR, PAGE_GPA | 1);	/* page index 1: none */
	GUEST_ASSERT_EQ(guest_faults, 1);
	guest_wrmsr(XEN_MSR, PAGE_GPA | 0xfff);
	GUEST_ASSERT_EQ(guest_faults, 2);
	guest_wrmsr(XEN_MSR, mem_size);		/* not backed by a memslot */
	GUEST_ASSERT_EQ(guest_faults, 3);
	guest_wrmsr(XEN_MSR, 0xfffffffffffff000ull);
	GUEST_ASSERT_EQ(guest_faults, 4);
	GUEST_ASSERT_EQ(guest_fault_vector, 13);
	GUEST_ASSERT_EQ(guest_rdmsr(XEN_MSR), 0);	/* nothing stuck */
	guest_wrmsr(XEN_MSR, PAGE_GPA);
	GUEST_ASSERT_EQ(guest_faults, 4);
	GUEST_DONE();
}

XTEST(bad_msr_writes_fault)
{
	struct vcpu *vcpu;
	struct vm *vm = xen_vm(guest_bad_msr, &vcpu, 0);
	struct xenhv_vm_stats st;

	vcpu_set_args(vcpu, 1, vm->mem_size);
	vcpu_run_to_done(vcpu);
	TEST_ASSERT_EQ(xenhv_stats(vm, &st), 0);
	TEST_ASSERT_EQ(st.ops[XENHV_OP_MSR_WRITE].errors, 4);
	TEST_ASSERT_EQ(st.ops[XENHV_OP_MSR_WRITE].kernel, 1);
	vm_destroy(vm);
}

/*
 * A 64-bit guest's singleshot timer is read whole, as Xen reads it: 16
 * bytes, padding too, so one whose padding is past guest memory faults.
 */
static void guest_singleshot_read(uint64_t mem_size)
{
	struct vcpu_set_singleshot_timer *t;

	t = (struct vcpu_set_singleshot_timer *)(mem_size - 12);
	GUEST_ASSERT_EQ(guest_hypercall(__HYPERVISOR_vcpu_op, VCPUOP_set_singleshot_timer, 0,
					(uint64_t)t), (uint64_t)-14);
	t = (struct vcpu_set_singleshot_timer *)(mem_size - 16);
	t->timeout_abs_ns = 1ull << 60;
	t->flags = 0;
	GUEST_ASSERT_EQ(guest_hypercall(__HYPERVISOR_vcpu_op, VCPUOP_set_singleshot_timer, 0,
					(uint64_t)t), 0);
	GUEST_ASSERT_EQ(guest_hypercall(__HYPERVISOR_vcpu_op, VCPUOP_stop_singleshot_timer, 0, 0),
			0);
	GUEST_DONE();
}

XTEST(singleshot_timer_is_read_whole)
{
	struct vcpu *vcpu;
	struct vm *vm = xen_vm(guest_singleshot_read, &vcpu, 0);

	vcpu_set_args(vcpu, 1, vm->mem_size);
	vcpu_run_to_done(vcpu);
	vm_destroy(vm);
}

XTEST(host_initiated_msr_access)
{
	struct vcpu *vcpu;
	struct vm *vm = xen_vm(NULL, &vcpu, 0);
	struct {
		struct kvm_msrs h;
		struct kvm_msr_entry e;
	} m = { .h.nmsrs = 1, .e.index = XEN_MSR, .e.data = PAGE_GPA | 3 };

	/* A restore records the value; the page is guest memory, restored with it. */
	vcpu_set_msr(vcpu, XEN_MSR, 1ull << 40);
	TEST_ASSERT_EQ(vcpu_get_msr(vcpu, XEN_MSR), 1ull << 40);
	TEST_ASSERT_EQ(ioctl(vcpu->fd, KVM_SET_MSRS, &m), 0);	/* index bits: refused */
	TEST_ASSERT_EQ(vcpu_get_msr(vcpu, XEN_MSR), 1ull << 40);
	vm_destroy(vm);
}

int main(int argc, char **argv)
{
	return xtest_main(argc, argv);
}
