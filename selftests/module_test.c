// SPDX-License-Identifier: GPL-2.0
/*
 * xenhv_shim loads and unloads cleanly, also while VMs exist and run.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "module.h"
#include "vm.h"
#include "xenhv.h"

static void guest_loop(void)
{
	for (;;) {
		GUEST_ASSERT_EQ(guest_hypercall(0x1234, 0, 0, 0), (uint64_t)-1000);
		GUEST_SYNC(0);
	}
}

XTEST(module_is_loaded)
{
	char buf[64] = "";
	FILE *f;

	xenhv_require_module();
	f = fopen("/sys/module/" XENHV_MODNAME "/refcnt", "r");
	TEST_ASSERT(f && fgets(buf, sizeof(buf), f), "read refcnt");
	fclose(f);
	TEST_ASSERT_EQ(atoi(buf), 0);
	f = fopen("/sys/module/" XENHV_MODNAME "/version", "r");
	TEST_ASSERT(f && fgets(buf, sizeof(buf), f), "read version");
	fclose(f);
	TEST_ASSERT(strlen(buf) > 1, "empty version");
}

XTEST(unload_and_reload_with_running_vm)
{
	struct vm *vm;
	struct vcpu *vcpu;
	struct ucall uc;
	int i, j;

	xenhv_require_module();
	if (!xenhv_module_path())
		SKIP("no module file for this kernel (set XENHV_MODULE)");
	vm = vm_create(NULL);
	vcpu = vm_add_vcpu(vm, guest_loop);
	for (i = 0; i < 3; i++) {
		for (j = 0; j < 10; j++)
			TEST_ASSERT_EQ(vcpu_run_ucall(vcpu, &uc), UCALL_SYNC);
		TEST_ASSERT_EQ(xenhv_module_unload(), 0);
		TEST_ASSERT(!xenhv_module_loaded(), "still loaded after unload");
		for (j = 0; j < 10; j++)
			TEST_ASSERT_EQ(vcpu_run_ucall(vcpu, &uc), UCALL_SYNC);
		TEST_ASSERT_EQ(xenhv_module_load(NULL), 0);
		TEST_ASSERT(xenhv_module_loaded(), "not loaded after load");
	}
	vm_destroy(vm);
}

#define HOT	"kvm_emulate_hypercall"

/*
 * KVM's exit handlers carry the shim's hooks only while a VM is attached:
 * a host without one runs KVM's code untouched.
 */
XTEST(hooks_only_while_attached)
{
	struct vm *a, *b;

	xenhv_require_module();
	TEST_ASSERT(!xenhv_fn_traced_after(HOT, false), "hooked with no VM attached");
	TEST_ASSERT(xenhv_fn_traced("kvm_arch_destroy_vm"), "teardown callback missing");
	a = vm_create(NULL);
	b = vm_create(NULL);
	TEST_ASSERT(!xenhv_fn_traced(HOT), "hooked for a VM that is not attached");
	xenhv_attach_ok(a, XENHV_ABI_XEN, 0);
	TEST_ASSERT(xenhv_fn_traced(HOT), "not hooked with a VM attached");
	xenhv_attach_ok(b, XENHV_ABI_HYPERV, 0);
	TEST_ASSERT_EQ(xenhv_detach(a), 0);
	usleep(2500000);
	TEST_ASSERT(xenhv_fn_traced(HOT), "unhooked while a VM is still attached");
	TEST_ASSERT_EQ(xenhv_detach(b), 0);
	TEST_ASSERT(!xenhv_fn_traced_after(HOT, false), "still hooked after the last detach");
	/* A VM destroyed while attached releases the hooks as well. */
	xenhv_attach_ok(a, XENHV_ABI_XEN, 0);
	TEST_ASSERT(xenhv_fn_traced(HOT), "not hooked after attaching again");
	vm_destroy(a);
	TEST_ASSERT(!xenhv_fn_traced_after(HOT, false), "still hooked after the VM was destroyed");
	vm_destroy(b);
}

static void tracefs_write(const char *file, const char *val)
{
	char path[128];
	FILE *f;

	xenhv_fn_traced("kvm_arch_destroy_vm");	/* mounts tracefs if need be */
	snprintf(path, sizeof(path), "/sys/kernel/tracing/%s", file);
	f = fopen(path, "w");
	TEST_ASSERT(f, "open %s", path);
	TEST_ASSERT(fputs(val, f) >= 0 && !fclose(f), "write %s to %s", val, path);
}

#define CPUIDS	200

/* CPUID leaf 0, which the ABI leaves to KVM: KVM's answer, RIP after it. */
static void guest_cpuid_loop(void)
{
	uint32_t r[4], first[4];
	int i;

	guest_cpuid(0, 0, first);
	for (i = 0; i < CPUIDS; i++) {
		guest_cpuid(0, 0, r);
		GUEST_ASSERT_EQ(r[1], first[1]);
	}
	GUEST_DONE();
}

/*
 * A tracer on a hooked function, here the function graph tracer, which
 * replaces the return address of the function's caller: an attached VM's
 * call that the ABI leaves to KVM still runs KVM's function once, so the
 * guest resumes right after its instruction.
 */
XTEST(hooked_function_traced_too)
{
	struct xenhv_vm_stats st;
	struct vm *vm;

	xenhv_require_module();
	vm = vm_create(NULL);
	vm_add_vcpu(vm, guest_cpuid_loop);
	xenhv_attach_ok(vm, XENHV_ABI_XEN, XENHV_ATTACH_CPUID);
	tracefs_write("set_ftrace_filter", "kvm_emulate_cpuid");
	tracefs_write("current_tracer", "function_graph");
	tracefs_write("tracing_on", "1");
	vcpu_run_to_done(vm->vcpus[0]);
	tracefs_write("current_tracer", "nop");
	tracefs_write("set_ftrace_filter", "");
	TEST_ASSERT_EQ(xenhv_stats(vm, &st), 0);
	TEST_ASSERT_EQ(st.ops[XENHV_OP_CPUID].kernel, 0);
	vm_destroy(vm);
}

int main(int argc, char **argv)
{
	return xtest_main(argc, argv);
}
