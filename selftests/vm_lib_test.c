// SPDX-License-Identifier: GPL-2.0
/*
 * The VM builder itself: long mode, ucalls, guest asserts, exceptions,
 * globals shared with the guest, several vCPUs on their own threads.
 */
#include <string.h>

#include "vm.h"

static void guest_stages(void)
{
	int i;

	for (i = 1; i <= 3; i++)
		GUEST_SYNC2(i, i * 100);
	GUEST_DONE();
}

XTEST(sync_and_done)
{
	struct vm *vm = vm_create(NULL);
	struct vcpu *vcpu = vm_add_vcpu(vm, guest_stages);
	struct ucall uc;
	int stage = 0;

	while (vcpu_run_ucall(vcpu, &uc) == UCALL_SYNC) {
		stage++;
		TEST_ASSERT_EQ(uc.args[0], stage);
		TEST_ASSERT_EQ(uc.args[1], stage * 100);
	}
	TEST_ASSERT_EQ(uc.cmd, UCALL_DONE);
	TEST_ASSERT_EQ(stage, 3);
	vm_destroy(vm);
}

static void guest_bad_assert(void)
{
	GUEST_ASSERT_EQ(1, 2);
	GUEST_DONE();
}

XTEST(guest_assert_reaches_host)
{
	struct vm *vm = vm_create(NULL);
	struct vcpu *vcpu = vm_add_vcpu(vm, guest_bad_assert);
	struct ucall uc;

	vcpu_run(vcpu);
	TEST_ASSERT_EQ(vcpu_get_ucall(vcpu, &uc), UCALL_ABORT);
	TEST_ASSERT_EQ(uc.args[0], 1);
	TEST_ASSERT_EQ(uc.args[1], 2);
	TEST_ASSERT(strstr(uc.file, "vm_lib_test.c"), "file %s", uc.file);
	vm_destroy(vm);
}

static volatile int ud_seen;

static void ud_handler(struct ex_regs *regs)
{
	ud_seen++;
	regs->rip += 2;		/* ud2 */
}

static void guest_exception_code(void)
{
	guest_set_handler(6, ud_handler);
	__asm__ volatile("ud2");
	__asm__ volatile("ud2");
	GUEST_ASSERT_EQ(ud_seen, 2);
	GUEST_SYNC(1);
	__asm__ volatile("int3");	/* no handler: reported as an abort */
	GUEST_DONE();
}

XTEST(guest_exceptions)
{
	struct vm *vm = vm_create(NULL);
	struct vcpu *vcpu = vm_add_vcpu(vm, guest_exception_code);
	struct ucall uc;

	TEST_ASSERT_EQ(vcpu_run_ucall(vcpu, &uc), UCALL_SYNC);
	vcpu_run(vcpu);
	TEST_ASSERT_EQ(vcpu_get_ucall(vcpu, &uc), UCALL_ABORT);
	TEST_ASSERT_EQ(uc.args[0], 3);	/* #BP */
	vm_destroy(vm);
}

static uint64_t shared_value;

static void guest_global(void)
{
	GUEST_ASSERT_EQ(shared_value, 0x1234567890abcdefull);
	shared_value = 42;
	GUEST_DONE();
}

XTEST(globals_to_and_from_guest)
{
	struct vm *vm = vm_create(NULL);
	struct vcpu *vcpu = vm_add_vcpu(vm, guest_global);

	shared_value = 0x1234567890abcdefull;
	sync_global_to_guest(vm, shared_value);
	vcpu_run_to_done(vcpu);
	sync_global_from_guest(vm, shared_value);
	TEST_ASSERT_EQ(shared_value, 42);
	vm_destroy(vm);
}

#define NR_SYNCS 200

static void guest_counter(uint64_t id)
{
	uint64_t i;

	for (i = 0; i < NR_SYNCS; i++)
		GUEST_SYNC2(id, i);
	GUEST_DONE();
}

static void counter_thread(struct vcpu *vcpu)
{
	struct ucall uc;
	uint64_t n = 0;

	while (vcpu_run_ucall(vcpu, &uc) == UCALL_SYNC) {
		TEST_ASSERT_EQ(uc.args[0], vcpu->id);
		TEST_ASSERT_EQ(uc.args[1], n);
		n++;
	}
	TEST_ASSERT_EQ(n, NR_SYNCS);
	vcpu->priv = (void *)n;
}

XTEST(vcpus_on_threads)
{
	struct vm *vm = vm_create(&(struct vm_opts){ .irqchip = true });
	int i;

	for (i = 0; i < 4; i++) {
		struct vcpu *v = vm_add_vcpu(vm, guest_counter);

		vcpu_set_args(v, 1, (uint64_t)i);
	}
	for (i = 0; i < 4; i++)
		vcpu_thread_start(vm->vcpus[i], counter_thread);
	for (i = 0; i < 4; i++) {
		vcpu_thread_join(vm->vcpus[i]);
		TEST_ASSERT_EQ((uint64_t)vm->vcpus[i]->priv, NR_SYNCS);
	}
	vm_destroy(vm);
}

int main(int argc, char **argv)
{
	return xtest_main(argc, argv);
}
