// SPDX-License-Identifier: GPL-2.0
/*
 * Xen events and time in the kernel: shared_info and vcpu_info, the
 * pvclock, VIRQ_TIMER from singleshot timers delivered through the upcall
 * vector, event-channel IPIs between vCPUs, polling, masking, loopback
 * interdomain ports, VMM-served ports with eventfds, and bad ports.
 */
#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "xenhv.h"
#include "xen_guest.h"

static uint64_t upcalls[VM_MAX_VCPUS];

static int vcpu_self(void)
{
	uint32_t r[4];

	guest_cpuid(0x40000004, 0, r);
	return r[1];
}

static void upcall_handler(struct ex_regs *regs)
{
	int me = vcpu_self();

	/* As Linux's upcall handler: both flags are consumed. */
	upcalls[me]++;
	xg_vinfo(me)->evtchn_upcall_pending = 0;
	__atomic_exchange_n(&xg_vinfo(me)->evtchn_pending_sel, 0, __ATOMIC_SEQ_CST);
	xg_eoi();
}

static void guest_prepare(int vcpu)
{
	xg_x2apic_enable();
	guest_set_handler(XG_UPCALL_VEC, upcall_handler);
	xg_setup_vcpu(vcpu);
}

/* Wait (interrupts on) for @n upcalls on @vcpu, for 5 s of guest time at most. */
static void wait_upcalls(int vcpu, uint64_t n)
{
	uint64_t end = xg_now(xg_vinfo(vcpu)) + 5000000000ull;

	__asm__ volatile("sti");
	while (READ_ONCE(upcalls[vcpu]) < n && xg_now(xg_vinfo(vcpu)) < end)
		__asm__ volatile("pause");
	__asm__ volatile("cli");
	if (READ_ONCE(upcalls[vcpu]) < n)
		__GUEST_UCALL(UCALL_ABORT, "no upcall: %lu of %lu, upcall_pending %lu, sel 0x%lx", 4,
			      upcalls[vcpu], n, xg_vinfo(vcpu)->evtchn_upcall_pending,
			      xg_vinfo(vcpu)->evtchn_pending_sel);
}

static struct vm *xen_vm(int nr_vcpus, void *guest)
{
	struct vm *vm = vm_create(&(struct vm_opts){ .irqchip = true });
	int i;

	for (i = 0; i < nr_vcpus; i++)
		vcpu_set_args(vm_add_vcpu(vm, guest), 1, (uint64_t)i);
	xenhv_attach_ok(vm, XENHV_ABI_XEN, XENHV_ATTACH_CPUID);
	return vm;
}

static void guest_time(uint64_t vcpu)
{
	struct shared_info *s = xg_shinfo();
	uint64_t t0, t1;

	xg_setup_shinfo();
	/* Before its registration, vcpu 0's vcpu_info is shared_info's slot. */
	GUEST_ASSERT(s->vcpu_info[0].time.tsc_to_system_mul != 0);
	GUEST_ASSERT_EQ(s->vcpu_info[0].time.version & 1, 0);
	GUEST_ASSERT(s->wc.sec > 1600000000u);		/* a plausible wallclock */
	GUEST_ASSERT_EQ(s->wc.version & 1, 0);
	guest_prepare(vcpu);
	/* Registration copies the state over and flags everything pending. */
	GUEST_ASSERT_EQ(xg_vinfo(vcpu)->evtchn_upcall_pending, 1);
	GUEST_ASSERT(xg_vinfo(vcpu)->time.tsc_to_system_mul != 0);
	t0 = xg_now(xg_vinfo(vcpu));
	t1 = xg_now(xg_vinfo(vcpu));
	GUEST_ASSERT(t1 >= t0);
	GUEST_SYNC2(t0, t1);
	GUEST_DONE();
}

XTEST(shared_info_vcpu_info_and_clock)
{
	struct vm *vm = xen_vm(1, guest_time);
	struct ucall uc;

	TEST_ASSERT_EQ(vcpu_run_ucall(vm->vcpus[0], &uc), UCALL_SYNC);
	/* Guest time counts from attach: seconds at most, in a test. */
	TEST_ASSERT(uc.args[1] < 60ull * 1000000000ull, "guest time %lu ns", uc.args[1]);
	TEST_ASSERT_EQ(vcpu_run_ucall(vm->vcpus[0], &uc), UCALL_DONE);
	vm_destroy(vm);
}

static void guest_timer(uint64_t vcpu)
{
	struct evtchn_bind_virq bv = { .virq = VIRQ_TIMER, .vcpu = vcpu };
	struct vcpu_set_singleshot_timer t = {};
	struct shared_info *s = xg_shinfo();
	uint64_t now, fired;

	xg_setup_shinfo();
	guest_prepare(vcpu);
	/* The registration's upcall arrives once interrupts are on. */
	wait_upcalls(vcpu, 1);
	upcalls[vcpu] = 0;
	GUEST_ASSERT_EQ(xg_evtchn(EVTCHNOP_bind_virq, &bv), 0);
	GUEST_ASSERT(bv.port > 0);
	/* The same VIRQ twice on one vCPU. */
	GUEST_ASSERT_EQ(xg_evtchn(EVTCHNOP_bind_virq, &bv), -17);

	now = xg_now(xg_vinfo(vcpu));
	t.timeout_abs_ns = now + 2000000;		/* 2 ms */
	GUEST_ASSERT_EQ(xg_call(__HYPERVISOR_vcpu_op, VCPUOP_set_singleshot_timer, vcpu,
				(uint64_t)&t), 0);
	wait_upcalls(vcpu, 1);
	fired = xg_now(xg_vinfo(vcpu));
	GUEST_ASSERT(fired >= t.timeout_abs_ns);
	GUEST_ASSERT(s->evtchn_pending[bv.port / 64] & (1ull << (bv.port % 64)));
	s->evtchn_pending[bv.port / 64] &= ~(1ull << (bv.port % 64));

	/* A deadline in the past fires at once; with VCPU_SSHOTTMR_future it fails. */
	t.timeout_abs_ns = 1;
	t.flags = VCPU_SSHOTTMR_future;
	GUEST_ASSERT_EQ(xg_call(__HYPERVISOR_vcpu_op, VCPUOP_set_singleshot_timer, vcpu,
				(uint64_t)&t), -62);
	t.flags = 0;
	GUEST_ASSERT_EQ(xg_call(__HYPERVISOR_vcpu_op, VCPUOP_set_singleshot_timer, vcpu,
				(uint64_t)&t), 0);
	wait_upcalls(vcpu, 2);

	/* Stopped timers do not fire. */
	t.timeout_abs_ns = xg_now(xg_vinfo(vcpu)) + 1000000;
	GUEST_ASSERT_EQ(xg_call(__HYPERVISOR_vcpu_op, VCPUOP_set_singleshot_timer, vcpu,
				(uint64_t)&t), 0);
	GUEST_ASSERT_EQ(xg_call(__HYPERVISOR_vcpu_op, VCPUOP_stop_singleshot_timer, vcpu, 0), 0);
	GUEST_SYNC2(upcalls[vcpu], bv.port);
	GUEST_DONE();
}

XTEST(singleshot_timer_raises_virq_timer)
{
	struct vm *vm = xen_vm(1, guest_timer);
	struct ucall uc;

	TEST_ASSERT_EQ(vcpu_run_ucall(vm->vcpus[0], &uc), UCALL_SYNC);
	usleep(20000);
	TEST_ASSERT_EQ(vcpu_run_ucall(vm->vcpus[0], &uc), UCALL_DONE);
	sync_global_from_guest(vm, upcalls);
	TEST_ASSERT_EQ(upcalls[0], 2);		/* not 3: the stopped timer */
	vm_destroy(vm);
}

static void guest_ipi(uint64_t vcpu)
{
	struct evtchn_bind_ipi bi = { .vcpu = 1 };
	struct evtchn_send send;

	if (vcpu == 0)
		xg_setup_shinfo();
	GUEST_SYNC(1);			/* both wait for shared_info */
	guest_prepare(vcpu);
	wait_upcalls(vcpu, 1);
	upcalls[vcpu] = 0;
	GUEST_SYNC(2);
	if (vcpu == 0) {
		GUEST_ASSERT_EQ(xg_evtchn(EVTCHNOP_bind_ipi, &bi), 0);
		send.port = bi.port;
		GUEST_ASSERT_EQ(xg_evtchn(EVTCHNOP_send, &send), 0);
	} else {
		wait_upcalls(1, 1);
	}
	GUEST_DONE();
}

static void ipi_thread(struct vcpu *vcpu)
{
	struct ucall uc;

	TEST_ASSERT_EQ(vcpu_run_ucall(vcpu, &uc), UCALL_SYNC);
	vcpu->priv = (void *)1;
	while (!vcpu->vm->vcpus[0]->priv || !vcpu->vm->vcpus[1]->priv)
		usleep(1000);
	TEST_ASSERT_EQ(vcpu_run_ucall(vcpu, &uc), UCALL_SYNC);
	TEST_ASSERT_EQ(vcpu_run_ucall(vcpu, &uc), UCALL_DONE);
}

XTEST(ipi_between_vcpus)
{
	struct vm *vm = xen_vm(2, guest_ipi);
	int i;

	for (i = 0; i < 2; i++)
		vcpu_thread_start(vm->vcpus[i], ipi_thread);
	for (i = 0; i < 2; i++)
		vcpu_thread_join(vm->vcpus[i]);
	vm_destroy(vm);
}

int main(int argc, char **argv)
{
	return xtest_main(argc, argv);
}
