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

int main(int argc, char **argv)
{
	return xtest_main(argc, argv);
}
