// SPDX-License-Identifier: GPL-2.0
/*
 * xenhv-demo: three VMs, one attached as Xen, one as Hyper-V, one left
 * alone; each guest asks CPUID who its hypervisor is and makes its first
 * hypercall, and the demo prints what each guest saw.
 */
#include <stdio.h>
#include <string.h>

#include "abi.h"
#include "xenhv.h"

#define OS_ID 0x8100000000001234ull

struct seen {
	uint32_t sig[3];
	uint64_t result;
};

static struct seen seen;

static void guest_signature(void)
{
	uint32_t r[4];

	guest_cpuid(0x40000000, 0, r);
	guest_memcpy(seen.sig, &r[1], 12);
}

static void guest_xen(void)
{
	guest_signature();
	seen.result = guest_xen_hcall(__HYPERVISOR_xen_version, XENVER_version, 0, 0, 0, 0, 0);
	GUEST_DONE();
}

static void guest_hv(void)
{
	guest_signature();
	guest_wrmsr(HV_X64_MSR_GUEST_OS_ID, OS_ID);
	guest_wrmsr(HV_X64_MSR_HYPERCALL, VM_SCRATCH_GPA | HV_X64_MSR_HYPERCALL_ENABLE);
	seen.result = guest_hv_hcall_page((void *)VM_SCRATCH_GPA,
					  HVCALL_NOTIFY_LONG_SPIN_WAIT | HV_HYPERCALL_FAST_BIT,
					  0, 0);
	GUEST_DONE();
}

static void guest_native(void)
{
	guest_signature();
	seen.result = guest_hypercall(__HYPERVISOR_xen_version, XENVER_version, 0, 0);
	GUEST_DONE();
}

static void run(const char *what, void *guest, uint32_t abi, const char *call)
{
	struct vm *vm = vm_create(NULL);
	struct vcpu *vcpu = vm_add_vcpu(vm, guest);
	struct xenhv_vm_stats st;
	char sig[13] = "";

	if (abi)
		xenhv_attach_ok(vm, abi, XENHV_ATTACH_CPUID);
	vcpu_run_to_done(vcpu);
	sync_global_from_guest(vm, seen);
	memcpy(sig, seen.sig, 12);
	printf("%-10s guest sees \"%s\"; %s returned 0x%llx (%lld)", what, sig, call,
	       (unsigned long long)seen.result, (long long)seen.result);
	if (abi && !xenhv_stats(vm, &st))
		printf(", %llu call%s in kernel",
		       (unsigned long long)(st.ops[17].kernel + st.ops[8].kernel),
		       st.ops[17].kernel + st.ops[8].kernel == 1 ? "" : "s");
	printf("\n");
	vm_destroy(vm);
}

int main(void)
{
	run("Xen:", guest_xen, XENHV_ABI_XEN, "xen_version(XENVER_version)");
	run("Hyper-V:", guest_hv, XENHV_ABI_HYPERV, "HvCallNotifyLongSpinWait");
	run("native:", guest_native, 0, "hypercall 17");
	return 0;
}
