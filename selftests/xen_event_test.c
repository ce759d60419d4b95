// SPDX-License-Identifier: GPL-2.0
/*
 * Xen events and time in the kernel: shared_info and vcpu_info, the
 * pvclock, VIRQ_TIMER from singleshot timers delivered through the upcall
 * vector, event-channel IPIs between vCPUs, polling, masking, loopback
 * interdomain ports, VMM-served ports with eventfds, and bad ports.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "xenhv.h"
#include "module.h"
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

	struct shared_info *s = xg_shinfo();
	uint64_t sel;

	/* As Linux's 2-level upcall: consume the flags, then the ports. */
	upcalls[me]++;
	xg_vinfo(me)->evtchn_upcall_pending = 0;
	sel = __atomic_exchange_n(&xg_vinfo(me)->evtchn_pending_sel, 0, __ATOMIC_SEQ_CST);
	while (sel) {
		int w = __builtin_ctzll(sel);

		sel &= sel - 1;
		__atomic_and_fetch(&s->evtchn_pending[w], s->evtchn_mask[w], __ATOMIC_SEQ_CST);
	}
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
	/* The handler consumed the port: its pending bit is clear again. */
	GUEST_ASSERT(!(s->evtchn_pending[bv.port / 64] & (1ull << (bv.port % 64))));

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

#define MSR_IA32_TSC	0x10	/* the x86 time-stamp counter */

static struct pvclock_vcpu_time_info sec_time __attribute__((aligned(64)));

/*
 * The guest moves its TSC far ahead (about 400 s at 2.5 GHz) and has its
 * pvclock published again by registering a secondary time area: the time
 * the kernel reads for a timer must follow the new TSC offset, or a timer
 * 100 ms ahead looks past to it and fires at once.
 */
static void guest_timer_after_tsc_write(uint64_t vcpu)
{
	struct vcpu_register_time_memory_area ta = { .addr.p = (uint64_t)&sec_time };
	struct evtchn_bind_virq bv = { .virq = VIRQ_TIMER, .vcpu = vcpu };
	struct vcpu_set_singleshot_timer t = {};
	uint64_t fired;

	xg_setup_shinfo();
	guest_prepare(vcpu);
	wait_upcalls(vcpu, 1);
	upcalls[vcpu] = 0;
	GUEST_ASSERT_EQ(xg_evtchn(EVTCHNOP_bind_virq, &bv), 0);
	t.timeout_abs_ns = xg_now(xg_vinfo(vcpu)) + 2000000;
	GUEST_ASSERT_EQ(xg_call(__HYPERVISOR_vcpu_op, VCPUOP_set_singleshot_timer, vcpu,
				(uint64_t)&t), 0);
	wait_upcalls(vcpu, 1);

	guest_wrmsr(MSR_IA32_TSC, guest_rdmsr(MSR_IA32_TSC) + (1ull << 40));
	GUEST_ASSERT_EQ(xg_call(__HYPERVISOR_vcpu_op, VCPUOP_register_vcpu_time_memory_area,
				vcpu, (uint64_t)&ta), 0);
	GUEST_ASSERT_EQ(sec_time.tsc_timestamp, xg_vinfo(vcpu)->time.tsc_timestamp);
	t.timeout_abs_ns = xg_now(xg_vinfo(vcpu)) + 100000000;
	GUEST_ASSERT_EQ(xg_call(__HYPERVISOR_vcpu_op, VCPUOP_set_singleshot_timer, vcpu,
				(uint64_t)&t), 0);
	wait_upcalls(vcpu, 2);
	fired = xg_now(xg_vinfo(vcpu));
	GUEST_ASSERT(fired >= t.timeout_abs_ns);
	GUEST_DONE();
}

XTEST(singleshot_timer_follows_tsc_write)
{
	struct vm *vm = xen_vm(1, guest_timer_after_tsc_write);
	struct ucall uc;

	TEST_ASSERT_EQ(vcpu_run_ucall(vm->vcpus[0], &uc), UCALL_DONE);
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

/*
 * Both vCPUs of a two-vCPU test meet at each of their @n syncs (vCPU 0
 * lingers @delay_us after the last, so vCPU 1 blocks first), then run to
 * the end.
 */
static void barrier_thread(struct vcpu *vcpu, int n, unsigned int delay_us)
{
	struct vcpu **v = vcpu->vm->vcpus;
	struct ucall uc;
	long i;

	for (i = 1; i <= n; i++) {
		TEST_ASSERT_EQ(vcpu_run_ucall(vcpu, &uc), UCALL_SYNC);
		__atomic_store_n((long *)&vcpu->priv, i, __ATOMIC_SEQ_CST);
		while (__atomic_load_n((long *)&v[0]->priv, __ATOMIC_SEQ_CST) < i ||
		       __atomic_load_n((long *)&v[1]->priv, __ATOMIC_SEQ_CST) < i)
			usleep(1000);
		if (vcpu->id == 0 && i == n)
			usleep(delay_us);
	}
	TEST_ASSERT_EQ(vcpu_run_ucall(vcpu, &uc), UCALL_DONE);
}

static void ipi_thread(struct vcpu *vcpu)
{
	barrier_thread(vcpu, 2, 0);
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

static void guest_bad_input(uint64_t vcpu)
{
	struct evtchn_send send = { .port = 0 };
	struct evtchn_bind_ipi bi = { .vcpu = 0 };
	struct evtchn_bind_virq bv = { .virq = 99, .vcpu = 0 };
	struct evtchn_close cl = { .port = 99 };
	struct evtchn_status st = { .dom = DOMID_SELF, .port = 77 };
	struct evtchn_unmask um;
	struct shared_info *s = xg_shinfo();

	/* Before shared_info exists, ports work but nothing is delivered. */
	GUEST_ASSERT_EQ(xg_evtchn(EVTCHNOP_bind_ipi, &bi), 0);
	send.port = bi.port;
	GUEST_ASSERT_EQ(xg_evtchn(EVTCHNOP_send, &send), 0);
	xg_setup_shinfo();
	guest_prepare(vcpu);
	wait_upcalls(vcpu, 1);

	send.port = 0;
	GUEST_ASSERT_EQ(xg_evtchn(EVTCHNOP_send, &send), -22);
	send.port = 4096;
	GUEST_ASSERT_EQ(xg_evtchn(EVTCHNOP_send, &send), -22);
	send.port = 0xffffffff;
	GUEST_ASSERT_EQ(xg_evtchn(EVTCHNOP_send, &send), -22);
	GUEST_ASSERT_EQ(xg_evtchn(EVTCHNOP_close, &cl), -22);
	GUEST_ASSERT_EQ(xg_evtchn(EVTCHNOP_bind_virq, &bv), -22);
	bv = (struct evtchn_bind_virq){ .virq = VIRQ_TIMER, .vcpu = 7 };
	GUEST_ASSERT_EQ(xg_evtchn(EVTCHNOP_bind_virq, &bv), -2);
	bi.vcpu = 100;
	GUEST_ASSERT_EQ(xg_evtchn(EVTCHNOP_bind_ipi, &bi), -2);
	GUEST_ASSERT_EQ(xg_evtchn(EVTCHNOP_status, &st), 0);
	GUEST_ASSERT_EQ(st.status, EVTCHNSTAT_closed);
	/* Arguments at unmapped guest addresses. */
	GUEST_ASSERT_EQ(xg_evtchn(EVTCHNOP_send, (void *)0x7ffffffff000ull), -14);
	GUEST_ASSERT_EQ(xg_evtchn(EVTCHNOP_bind_ipi, (void *)0xfffffffffffff000ull), -14);
	/* FIFO event channels are not offered. */
	GUEST_ASSERT_EQ(xg_evtchn(EVTCHNOP_init_control, &st), -38);

	/* A masked port is pending without an upcall, until it is unmasked. */
	bi.vcpu = vcpu;
	GUEST_ASSERT_EQ(xg_evtchn(EVTCHNOP_bind_ipi, &bi), 0);
	s->evtchn_mask[bi.port / 64] |= 1ull << (bi.port % 64);
	upcalls[vcpu] = 0;
	send.port = bi.port;
	GUEST_ASSERT_EQ(xg_evtchn(EVTCHNOP_send, &send), 0);
	GUEST_ASSERT(s->evtchn_pending[bi.port / 64] & (1ull << (bi.port % 64)));
	__asm__ volatile("sti; nop; nop; nop; cli");
	GUEST_ASSERT_EQ(upcalls[vcpu], 0);
	um.port = bi.port;
	GUEST_ASSERT_EQ(xg_evtchn(EVTCHNOP_unmask, &um), 0);
	wait_upcalls(vcpu, 1);
	/* Sending on a VIRQ port is refused. */
	bv = (struct evtchn_bind_virq){ .virq = VIRQ_DEBUG, .vcpu = 0 };
	GUEST_ASSERT_EQ(xg_evtchn(EVTCHNOP_bind_virq, &bv), 0);
	send.port = bv.port;
	GUEST_ASSERT_EQ(xg_evtchn(EVTCHNOP_send, &send), -22);
	GUEST_DONE();
}

XTEST(bad_ports_masking_and_early_calls)
{
	struct vm *vm = xen_vm(1, guest_bad_input);

	vcpu_run_to_done(vm->vcpus[0]);
	vm_destroy(vm);
}

static void guest_loopback(uint64_t vcpu)
{
	struct evtchn_alloc_unbound au = { .dom = DOMID_SELF, .remote_dom = DOMID_SELF };
	struct evtchn_bind_interdomain bi = { .remote_dom = DOMID_SELF };
	struct evtchn_status st = { .dom = DOMID_SELF };
	struct evtchn_send send;
	struct evtchn_close cl;
	struct shared_info *s = xg_shinfo();

	xg_setup_shinfo();
	GUEST_ASSERT_EQ(xg_evtchn(EVTCHNOP_alloc_unbound, &au), 0);
	bi.remote_port = au.port;
	GUEST_ASSERT_EQ(xg_evtchn(EVTCHNOP_bind_interdomain, &bi), 0);
	/* The other end is taken now. */
	GUEST_ASSERT_EQ(xg_evtchn(EVTCHNOP_bind_interdomain, &bi), -22);
	send.port = bi.local_port;
	GUEST_ASSERT_EQ(xg_evtchn(EVTCHNOP_send, &send), 0);
	GUEST_ASSERT(s->evtchn_pending[au.port / 64] & (1ull << (au.port % 64)));
	GUEST_ASSERT(!(s->evtchn_pending[bi.local_port / 64] & (1ull << (bi.local_port % 64))));
	send.port = au.port;
	GUEST_ASSERT_EQ(xg_evtchn(EVTCHNOP_send, &send), 0);
	GUEST_ASSERT(s->evtchn_pending[bi.local_port / 64] & (1ull << (bi.local_port % 64)));
	st.port = au.port;
	GUEST_ASSERT_EQ(xg_evtchn(EVTCHNOP_status, &st), 0);
	GUEST_ASSERT_EQ(st.status, EVTCHNSTAT_interdomain);
	GUEST_ASSERT_EQ(st.u.interdomain.port, bi.local_port);
	/* Closing one end leaves the other unbound. */
	cl.port = bi.local_port;
	GUEST_ASSERT_EQ(xg_evtchn(EVTCHNOP_close, &cl), 0);
	GUEST_ASSERT_EQ(xg_evtchn(EVTCHNOP_status, &st), 0);
	GUEST_ASSERT_EQ(st.status, EVTCHNSTAT_unbound);
	GUEST_DONE();
}

XTEST(loopback_interdomain_ports)
{
	struct vm *vm = xen_vm(1, guest_loopback);

	vcpu_run_to_done(vm->vcpus[0]);
	vm_destroy(vm);
}

static uint32_t poll_port_nr;

static void guest_poll(uint64_t vcpu)
{
	struct sched_poll p = { .nr_ports = 1 };
	struct evtchn_bind_ipi bi = { .vcpu = 1 };
	struct shared_info *s = xg_shinfo();
	uint64_t t0, t1;

	if (vcpu == 0) {
		xg_setup_shinfo();
		GUEST_ASSERT_EQ(xg_evtchn(EVTCHNOP_bind_ipi, &bi), 0);
		poll_port_nr = bi.port;
		s->evtchn_mask[bi.port / 64] |= 1ull << (bi.port % 64);
	}
	GUEST_SYNC(1);
	if (vcpu == 1) {
		uint32_t port = READ_ONCE(poll_port_nr);

		set_xen_guest_handle(p.ports, &port);
		/* A timeout: absolute guest time, 5 ms ahead. */
		t0 = xg_now(&s->vcpu_info[1]);
		p.timeout = t0 + 5000000;
		GUEST_ASSERT_EQ(xg_call(__HYPERVISOR_sched_op, SCHEDOP_poll, (uint64_t)&p, 0), 0);
		t1 = xg_now(&s->vcpu_info[1]);
		GUEST_ASSERT(t1 >= p.timeout);
		/* Without a timeout: until vCPU 0 sends on the (masked) port. */
		p.timeout = 0;
		GUEST_SYNC(2);
		GUEST_ASSERT_EQ(xg_call(__HYPERVISOR_sched_op, SCHEDOP_poll, (uint64_t)&p, 0), 0);
		GUEST_ASSERT(s->evtchn_pending[port / 64] & (1ull << (port % 64)));
		/* Too many ports, a bad port. */
		p.nr_ports = 129;
		GUEST_ASSERT_EQ(xg_call(__HYPERVISOR_sched_op, SCHEDOP_poll, (uint64_t)&p, 0), -22);
		port = 0;
		p.nr_ports = 1;
		GUEST_ASSERT_EQ(xg_call(__HYPERVISOR_sched_op, SCHEDOP_poll, (uint64_t)&p, 0), -22);
	} else {
		struct evtchn_send send = { .port = poll_port_nr };

		GUEST_SYNC(2);
		GUEST_ASSERT_EQ(xg_evtchn(EVTCHNOP_send, &send), 0);
	}
	GUEST_DONE();
}

static void poll_thread(struct vcpu *vcpu)
{
	barrier_thread(vcpu, 2, 50000);
}

XTEST(poll_blocks_until_event_or_timeout)
{
	struct vm *vm = xen_vm(2, guest_poll);
	int i;

	for (i = 0; i < 2; i++)
		vcpu_thread_start(vm->vcpus[i], poll_thread);
	for (i = 0; i < 2; i++)
		vcpu_thread_join(vm->vcpus[i]);
	vm_destroy(vm);
}

static void guest_vmm_port(uint64_t vcpu)
{
	struct evtchn_alloc_unbound au = { .dom = DOMID_SELF, .remote_dom = 0 };
	struct evtchn_send send;

	xg_setup_shinfo();
	guest_prepare(vcpu);
	wait_upcalls(vcpu, 1);
	GUEST_ASSERT_EQ(xg_evtchn(EVTCHNOP_alloc_unbound, &au), 0);
	GUEST_SYNC(au.port);		/* the VMM binds its eventfds */
	send.port = au.port;
	GUEST_ASSERT_EQ(xg_evtchn(EVTCHNOP_send, &send), 0);
	GUEST_SYNC(0);			/* the VMM raises the port */
	wait_upcalls(vcpu, 2);
	GUEST_DONE();
}

XTEST(vmm_served_port_with_eventfds)
{
	struct vm *vm = xen_vm(1, guest_vmm_port);
	int dev = xenhv_open(), sfd = eventfd(0, 0), rfd = eventfd(0, 0);
	struct xenhv_xen_port b = { .vm_fd = vm->fd, .send_fd = -1, .raise_fd = -1 };
	struct ucall uc;
	uint64_t v = 0;

	TEST_ASSERT_EQ(vcpu_run_ucall(vm->vcpus[0], &uc), UCALL_SYNC);
	b.port = uc.args[0];
	/* Bad requests first. */
	TEST_ASSERT(ioctl(dev, XENHV_XEN_BIND_PORT, &b) && errno == EINVAL, "no flags");
	b.flags = XENHV_PORT_SEND_EVENTFD;
	b.send_fd = 0;	/* not an eventfd */
	TEST_ASSERT(ioctl(dev, XENHV_XEN_BIND_PORT, &b) && errno == EINVAL, "stdin bound");
	b.port = 5000;
	b.send_fd = sfd;
	TEST_ASSERT(ioctl(dev, XENHV_XEN_BIND_PORT, &b) && errno == EINVAL, "port 5000");
	b.port = uc.args[0];
	b.flags = XENHV_PORT_SEND_EVENTFD | XENHV_PORT_RAISE_EVENTFD;
	b.raise_fd = rfd;
	TEST_ASSERT(!ioctl(dev, XENHV_XEN_BIND_PORT, &b), "bind: %s", strerror(errno));
	/* The guest's send signals the eventfd, with no userspace exit. */
	TEST_ASSERT_EQ(vcpu_run_ucall(vm->vcpus[0], &uc), UCALL_SYNC);
	TEST_ASSERT_EQ(read(sfd, &v, 8), 8);
	TEST_ASSERT_EQ(v, 1);
	v = 1;
	TEST_ASSERT_EQ(write(rfd, &v, 8), 8);
	vcpu_run_to_done(vm->vcpus[0]);
	close(sfd);
	close(rfd);
	close(dev);
	vm_destroy(vm);
}

/*
 * One eventfd as port A's send fd and port B's raise fd (a VMM looping a
 * backend back, or two VMs wired to each other): the guest's send on A
 * raises B. The send must not signal under the port lock that the raise
 * takes from the eventfd's wakeup.
 */
static void guest_send_raises(uint64_t vcpu)
{
	struct evtchn_alloc_unbound a = { .dom = DOMID_SELF, .remote_dom = 0 };
	struct evtchn_alloc_unbound b = { .dom = DOMID_SELF, .remote_dom = 0 };
	struct evtchn_send send;

	xg_setup_shinfo();
	guest_prepare(vcpu);
	wait_upcalls(vcpu, 1);
	GUEST_ASSERT_EQ(xg_evtchn(EVTCHNOP_alloc_unbound, &a), 0);
	GUEST_ASSERT_EQ(xg_evtchn(EVTCHNOP_alloc_unbound, &b), 0);
	GUEST_SYNC(a.port | (uint64_t)b.port << 32);
	send.port = a.port;
	GUEST_ASSERT_EQ(xg_evtchn(EVTCHNOP_send, &send), 0);
	wait_upcalls(vcpu, 2);
	GUEST_DONE();
}

XTEST_TIMEOUT(send_eventfd_that_raises_another_port, 60)
{
	struct vm *vm = xen_vm(1, guest_send_raises);
	int dev = xenhv_open(), efd = eventfd(0, 0);
	struct xenhv_xen_port b = { .vm_fd = vm->fd, .send_fd = -1, .raise_fd = -1 };
	struct ucall uc;

	TEST_ASSERT_EQ(vcpu_run_ucall(vm->vcpus[0], &uc), UCALL_SYNC);
	b.port = (uint32_t)uc.args[0];
	b.flags = XENHV_PORT_SEND_EVENTFD;
	b.send_fd = efd;
	TEST_ASSERT(!ioctl(dev, XENHV_XEN_BIND_PORT, &b), "bind send: %s", strerror(errno));
	b.port = uc.args[0] >> 32;
	b.flags = XENHV_PORT_RAISE_EVENTFD;
	b.send_fd = -1;
	b.raise_fd = efd;
	TEST_ASSERT(!ioctl(dev, XENHV_XEN_BIND_PORT, &b), "bind raise: %s", strerror(errno));
	vcpu_run_to_done(vm->vcpus[0]);
	close(efd);
	close(dev);
	vm_destroy(vm);
}

/*
 * Periodic timers at Xen's bounds: a period of STIME_DELTA_MAX is taken
 * and never expires (it must not wrap into the past and re-expire in hard
 * interrupt context forever); one more is refused.
 */
static void guest_huge_period(uint64_t vcpu)
{
	struct evtchn_bind_virq bv = { .virq = VIRQ_TIMER, .vcpu = vcpu };
	struct vcpu_set_periodic_timer pt = { .period_ns = ~0ull >> 1 };
	uint64_t end;

	xg_setup_shinfo();
	guest_prepare(vcpu);
	wait_upcalls(vcpu, 1);
	GUEST_ASSERT_EQ(xg_evtchn(EVTCHNOP_bind_virq, &bv), 0);
	GUEST_ASSERT_EQ(xg_call(__HYPERVISOR_vcpu_op, VCPUOP_set_periodic_timer, vcpu,
				(uint64_t)&pt), 0);
	end = xg_now(xg_vinfo(vcpu)) + 20000000ull;
	__asm__ volatile("sti");
	while (xg_now(xg_vinfo(vcpu)) < end)
		__asm__ volatile("pause");
	__asm__ volatile("cli");
	GUEST_ASSERT_EQ(upcalls[vcpu], 1);
	pt.period_ns = 1ull << 63;
	GUEST_ASSERT_EQ(xg_call(__HYPERVISOR_vcpu_op, VCPUOP_set_periodic_timer, vcpu,
				(uint64_t)&pt), -22);
	pt.period_ns = ~0ull;
	GUEST_ASSERT_EQ(xg_call(__HYPERVISOR_vcpu_op, VCPUOP_set_periodic_timer, vcpu,
				(uint64_t)&pt), -22);
	GUEST_DONE();
}

XTEST_TIMEOUT(periodic_timer_bounds, 60)
{
	struct vm *vm = xen_vm(1, guest_huge_period);

	vcpu_run_to_done(vm->vcpus[0]);
	vm_destroy(vm);
}

/*
 * Detach releases what the guest registered: after a detach and a new
 * attachment the guest registers shared_info and vcpu_info again, as a
 * rebooted guest would, and no timer of the old attachment fires.
 */
static void guest_reattached(uint64_t vcpu)
{
	struct evtchn_bind_virq bv = { .virq = VIRQ_TIMER, .vcpu = vcpu };
	struct vcpu_set_periodic_timer pt = { .period_ns = 1000000 };
	uint64_t n, end;

	xg_setup_shinfo();
	guest_prepare(vcpu);
	GUEST_ASSERT_EQ(xg_evtchn(EVTCHNOP_bind_virq, &bv), 0);
	GUEST_ASSERT_EQ(xg_call(__HYPERVISOR_vcpu_op, VCPUOP_set_periodic_timer, vcpu,
				(uint64_t)&pt), 0);
	wait_upcalls(vcpu, 3);
	GUEST_SYNC(1);			/* detached and attached again */
	xg_setup_shinfo();
	xg_setup_vcpu(vcpu);
	/* A registration marks everything pending (as Xen does): one upcall. */
	end = xg_now(xg_vinfo(vcpu)) + 5000000ull;
	__asm__ volatile("sti");
	while (xg_now(xg_vinfo(vcpu)) < end)
		__asm__ volatile("pause");
	n = READ_ONCE(upcalls[vcpu]);
	end = xg_now(xg_vinfo(vcpu)) + 20000000ull;
	while (xg_now(xg_vinfo(vcpu)) < end)
		__asm__ volatile("pause");
	__asm__ volatile("cli");
	GUEST_ASSERT_EQ(READ_ONCE(upcalls[vcpu]), n);
	/* The port numbering starts anew: VIRQ_TIMER binds again. */
	GUEST_ASSERT_EQ(xg_evtchn(EVTCHNOP_bind_virq, &bv), 0);
	GUEST_DONE();
}

XTEST_TIMEOUT(detach_releases_registrations, 60)
{
	struct vm *vm = xen_vm(1, guest_reattached);
	struct ucall uc;

	TEST_ASSERT_EQ(vcpu_run_ucall(vm->vcpus[0], &uc), UCALL_SYNC);
	TEST_ASSERT_EQ(xenhv_detach(vm), 0);
	xenhv_attach_ok(vm, XENHV_ABI_XEN, XENHV_ATTACH_CPUID);
	vcpu_run_to_done(vm->vcpus[0]);
	vm_destroy(vm);
}

/*
 * QEMU's system reset, as the shim detects it: the VMM sets vCPU 0's MP
 * state (QEMU writes every vCPU's only when it resets the machine). The ABI
 * is reset before that thread's next KVM_RUN.
 */
XTEST_TIMEOUT(vmm_reset_of_vcpu0_releases_registrations, 60)
{
	struct vm *vm = xen_vm(1, guest_reattached);
	struct kvm_mp_state mp = { KVM_MP_STATE_RUNNABLE };
	struct ucall uc;

	TEST_ASSERT_EQ(vcpu_run_ucall(vm->vcpus[0], &uc), UCALL_SYNC);
	TEST_ASSERT(!ioctl(vm->vcpus[0]->fd, KVM_SET_MP_STATE, &mp), "KVM_SET_MP_STATE");
	vcpu_run_to_done(vm->vcpus[0]);
	vm_destroy(vm);
}

/* XENHV_RESET_VM: the same release, the attachment (id, counters) kept. */
XTEST_TIMEOUT(reset_vm_releases_registrations, 60)
{
	struct vm *vm = xen_vm(1, guest_reattached);
	struct xenhv_reset r = { .vm_fd = vm->fd };
	struct xenhv_vm_stats before, after;
	int dev = xenhv_open();
	struct ucall uc;

	TEST_ASSERT_EQ(vcpu_run_ucall(vm->vcpus[0], &uc), UCALL_SYNC);
	TEST_ASSERT_EQ(xenhv_stats(vm, &before), 0);
	r.flags = 1;
	TEST_ASSERT(ioctl(dev, XENHV_RESET_VM, &r) && errno == EINVAL, "flags");
	r.flags = 0;
	r.reserved[2] = 1;
	TEST_ASSERT(ioctl(dev, XENHV_RESET_VM, &r) && errno == EINVAL, "reserved");
	r.reserved[2] = 0;
	TEST_ASSERT(!ioctl(dev, XENHV_RESET_VM, &r), "reset: %s", strerror(errno));
	TEST_ASSERT_EQ(xenhv_stats(vm, &after), 0);
	TEST_ASSERT_EQ(after.vm_id, before.vm_id);
	TEST_ASSERT_EQ(after.abi, XENHV_ABI_XEN);
	TEST_ASSERT(after.ops[__HYPERVISOR_vcpu_op].kernel >= before.ops[__HYPERVISOR_vcpu_op].kernel,
		    "counters lost");
	vcpu_run_to_done(vm->vcpus[0]);
	TEST_ASSERT_EQ(xenhv_detach(vm), 0);
	TEST_ASSERT(ioctl(dev, XENHV_RESET_VM, &r) && errno == ENOENT, "reset of a detached VM");
	close(dev);
	vm_destroy(vm);
}

/*
 * A vCPU blocked in a hypercall when its VM is reset or detached returns
 * from it at once, and touches nothing of the attachment it blocked in: a
 * SCHEDOP_poll on a masked port, 10 s long, ended by a reset, then a
 * SCHEDOP_block without a vcpu_info, ended by the detach (stock KVM
 * answers after it). Spurious returns go round.
 */
static uint64_t blocked_state, reset_done;

static void guest_blocked_at_detach(uint64_t vcpu)
{
	struct sched_poll p = { .nr_ports = 1 };
	struct evtchn_bind_ipi bi = { .vcpu = 0 };
	struct shared_info *s = xg_shinfo();
	int64_t r;
	uint32_t port;

	xg_setup_shinfo();
	GUEST_ASSERT_EQ(xg_evtchn(EVTCHNOP_bind_ipi, &bi), 0);
	port = bi.port;
	s->evtchn_mask[port / 64] |= 1ull << (port % 64);
	set_xen_guest_handle(p.ports, &port);
	__atomic_store_n(&blocked_state, 1, __ATOMIC_SEQ_CST);
	/*
	 * After the reset the port and the time info are stale: the timeout
	 * ends it. A call made while the reset is under way finds no ABI, as
	 * after a detach: stock KVM's -KVM_ENOSYS.
	 */
	while (!__atomic_load_n(&reset_done, __ATOMIC_SEQ_CST)) {
		p.timeout = xg_now(&s->vcpu_info[0]) + 10000000000ull;
		r = xg_call(__HYPERVISOR_sched_op, SCHEDOP_poll, (uint64_t)&p, 0);
		GUEST_ASSERT(r == 0 || r == -1000);
		GUEST_ASSERT(__atomic_load_n(&reset_done, __ATOMIC_SEQ_CST) ||
			     xg_now(&s->vcpu_info[0]) < p.timeout);
	}
	__atomic_store_n(&blocked_state, 2, __ATOMIC_SEQ_CST);
	while ((r = xg_call(__HYPERVISOR_sched_op, SCHEDOP_block, 0, 0)) == 0)
		;
	GUEST_ASSERT_EQ(r, -1000);
	GUEST_DONE();
}

static void done_thread(struct vcpu *vcpu)
{
	vcpu_run_to_done(vcpu);
}

static void wait_blocked(struct vm *vm, uint64_t state)
{
	uint64_t *st = vm_gpa_to_hva(vm, (uint64_t)&blocked_state, 8);

	while (__atomic_load_n(st, __ATOMIC_SEQ_CST) < state)
		usleep(1000);
	usleep(50000);		/* into the hypercall, and blocked */
}

XTEST_TIMEOUT(blocked_calls_end_at_reset_and_detach, 60)
{
	struct vm *vm = xen_vm(1, guest_blocked_at_detach);
	struct xenhv_reset r = { .vm_fd = vm->fd };
	int dev = xenhv_open();

	vcpu_thread_start(vm->vcpus[0], done_thread);
	wait_blocked(vm, 1);
	TEST_ASSERT(!ioctl(dev, XENHV_RESET_VM, &r), "reset: %s", strerror(errno));
	__atomic_store_n((uint64_t *)vm_gpa_to_hva(vm, (uint64_t)&reset_done, 8), 1,
			 __ATOMIC_SEQ_CST);
	wait_blocked(vm, 2);
	TEST_ASSERT_EQ(xenhv_detach(vm), 0);
	vcpu_thread_join(vm->vcpus[0]);
	close(dev);
	vm_destroy(vm);
}

/*
 * A detach that begins while a vCPU is inside SCHEDOP_poll, before it
 * blocks: the port list is on a guest page the host has not populated, so
 * the poll waits in KVM's read of it (a userfaultfd fault) while the detach
 * starts and waits for the call. Once the page comes, the poll must return
 * at once, without sleeping, and the detach finish; the guest then meets
 * stock KVM.
 */
#define UFFD_GPA	(48ul << 20)

static void guest_poll_during_detach(uint64_t vcpu)
{
	struct sched_poll p = { .nr_ports = 2 };
	struct evtchn_bind_ipi bi = { .vcpu = 0 };
	struct shared_info *s = xg_shinfo();
	uint32_t port[2];
	int i;

	xg_setup_shinfo();
	for (i = 0; i < 2; i++) {
		GUEST_ASSERT_EQ(xg_evtchn(EVTCHNOP_bind_ipi, &bi), 0);
		port[i] = bi.port;
		s->evtchn_mask[port[i] / 64] |= 1ull << (port[i] % 64);
	}
	GUEST_SYNC(port[0] | (uint64_t)port[1] << 32);
	set_xen_guest_handle(p.ports, (uint32_t *)UFFD_GPA);
	GUEST_ASSERT_EQ(xg_call(__HYPERVISOR_sched_op, SCHEDOP_poll, (uint64_t)&p, 0), 0);
	GUEST_ASSERT_EQ(xg_call(__HYPERVISOR_xen_version, XENVER_version, 0, 0), -1000);
	GUEST_DONE();
}

static void *detach_fn(void *arg)
{
	return (void *)(long)xenhv_detach(arg);
}

XTEST_TIMEOUT(detach_while_poll_reads_its_ports, 60)
{
	struct vm *vm = xen_vm(1, guest_poll_during_detach);
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = {};
	struct uffdio_copy copy = {};
	struct uffd_msg msg;
	struct pollfd pfd;
	uint32_t *page;
	struct ucall uc;
	pthread_t t;
	void *ret;
	int uffd;

	TEST_ASSERT_EQ(vcpu_run_ucall(vm->vcpus[0], &uc), UCALL_SYNC);
	/* The sysctl exists where the kernel has userfaultfd. */
	if (access("/proc/sys/vm/unprivileged_userfaultfd", F_OK))
		SKIP("a kernel without userfaultfd");
	uffd = syscall(__NR_userfaultfd, O_CLOEXEC);
	TEST_ASSERT(uffd >= 0, "userfaultfd: %s", strerror(errno));
	TEST_ASSERT(!ioctl(uffd, UFFDIO_API, &api), "UFFDIO_API: %s", strerror(errno));
	reg.range.start = (uint64_t)vm_gpa_to_hva(vm, UFFD_GPA, 4096);
	reg.range.len = 4096;
	reg.mode = UFFDIO_REGISTER_MODE_MISSING;
	TEST_ASSERT(!ioctl(uffd, UFFDIO_REGISTER, &reg), "UFFDIO_REGISTER: %s", strerror(errno));
	vcpu_thread_start(vm->vcpus[0], done_thread);

	/* The poll is reading its ports: start the detach, which waits for it. */
	pfd = (struct pollfd){ .fd = uffd, .events = POLLIN };
	TEST_ASSERT_EQ(poll(&pfd, 1, 20000), 1);
	TEST_ASSERT_EQ(read(uffd, &msg, sizeof(msg)), (ssize_t)sizeof(msg));
	TEST_ASSERT_EQ(msg.event, UFFD_EVENT_PAGEFAULT);
	TEST_ASSERT_EQ(pthread_create(&t, NULL, detach_fn, vm), 0);
	usleep(100000);
	TEST_ASSERT_EQ(pthread_tryjoin_np(t, &ret), EBUSY);

	page = aligned_alloc(4096, 4096);
	memset(page, 0, 4096);
	page[0] = (uint32_t)uc.args[0];
	page[1] = uc.args[0] >> 32;
	copy.dst = reg.range.start;
	copy.src = (uint64_t)page;
	copy.len = 4096;
	TEST_ASSERT(!ioctl(uffd, UFFDIO_COPY, &copy), "UFFDIO_COPY: %s", strerror(errno));
	TEST_ASSERT_EQ(pthread_join(t, &ret), 0);
	TEST_ASSERT_EQ((long)ret, 0);
	vcpu_thread_join(vm->vcpus[0]);
	free(page);
	close(uffd);
	vm_destroy(vm);
}

/*
 * Both vCPUs program vCPU 0's periodic timer over and over while it fires:
 * a start must never meet the timer's own expiry half-way (a WARN in the
 * hrtimer code, a fatal one under the test kernel's panic_on_warn).
 */
static void guest_periodic_race(uint64_t vcpu)
{
	struct vcpu_set_periodic_timer pt = { .period_ns = 1000000 };
	uint64_t end;
	int i;

	xg_setup_shinfo();
	guest_prepare(vcpu);
	for (i = 0; i < 300; i++) {
		GUEST_ASSERT_EQ(xg_call(__HYPERVISOR_vcpu_op, VCPUOP_set_periodic_timer, 0,
					(uint64_t)&pt), 0);
		end = xg_now(xg_vinfo(vcpu)) + 1000000ull + (i % 7) * 100000ull;
		while (xg_now(xg_vinfo(vcpu)) < end)
			__asm__ volatile("pause");
		if (i % 5 == 4)
			GUEST_ASSERT_EQ(xg_call(__HYPERVISOR_vcpu_op, VCPUOP_stop_periodic_timer,
						0, 0), 0);
	}
	GUEST_ASSERT_EQ(xg_call(__HYPERVISOR_vcpu_op, VCPUOP_stop_periodic_timer, 0, 0), 0);
	GUEST_DONE();
}

XTEST_TIMEOUT(periodic_timer_set_from_two_vcpus, 120)
{
	struct vm *vm = xen_vm(2, guest_periodic_race);

	vm_run_all_to_done(vm);
	vm_destroy(vm);
}

static void guest_armed(uint64_t vcpu)
{
	struct evtchn_bind_virq bv = { .virq = VIRQ_TIMER, .vcpu = vcpu };
	struct vcpu_set_periodic_timer pt = { .period_ns = 1000000 };
	struct vcpu_set_singleshot_timer st = { .timeout_abs_ns = ~0ull >> 2 };

	xg_setup_shinfo();
	guest_prepare(vcpu);
	GUEST_ASSERT_EQ(xg_evtchn(EVTCHNOP_bind_virq, &bv), 0);
	pt.period_ns = 1000;		/* under 1 ms: refused */
	GUEST_ASSERT_EQ(xg_call(__HYPERVISOR_vcpu_op, VCPUOP_set_periodic_timer, vcpu,
				(uint64_t)&pt), -22);
	pt.period_ns = 1000000;
	GUEST_ASSERT_EQ(xg_call(__HYPERVISOR_vcpu_op, VCPUOP_set_periodic_timer, vcpu,
				(uint64_t)&pt), 0);
	GUEST_ASSERT_EQ(xg_call(__HYPERVISOR_vcpu_op, VCPUOP_set_singleshot_timer, vcpu,
				(uint64_t)&st), 0);
	wait_upcalls(vcpu, 3);		/* the periodic timer ticks */
	GUEST_DONE();
}

XTEST(teardown_with_armed_timers_and_eventfds)
{
	struct vm *vm = xen_vm(1, guest_armed);
	int dev = xenhv_open(), rfd = eventfd(0, 0);
	struct xenhv_xen_port b = {
		.vm_fd = vm->fd, .flags = XENHV_PORT_RAISE_EVENTFD, .port = 1,
		.send_fd = -1, .raise_fd = rfd,
	};

	TEST_ASSERT(!ioctl(dev, XENHV_XEN_BIND_PORT, &b), "bind: %s", strerror(errno));
	vcpu_run_to_done(vm->vcpus[0]);
	/* Periodic and far-future timers armed, an eventfd bound: destroy. */
	vm_destroy(vm);
	close(rfd);
	close(dev);
}

static void guest_misc(uint64_t vcpu)
{
	struct xen_feature_info fi = { .submap_idx = 0 };
	struct xen_extraversion ev;
	struct xen_hvm_param hp = { .domid = DOMID_SELF, .index = HVM_PARAM_CALLBACK_IRQ };
	struct xen_hvm_pagetable_dying pd = { .domid = DOMID_SELF, .gpa = ~0ull };
	struct vcpu_register_runstate_memory_area ra;
	struct vcpu_runstate_info *rs = (struct vcpu_runstate_info *)(VM_SCRATCH_GPA + 0x30000);
	volatile struct vcpu_runstate_info *rs2;
	struct evtchn_bind_virq bv = { .virq = VIRQ_TIMER, .vcpu = 0 };
	struct evtchn_alloc_unbound *au = (void *)(VM_SCRATCH_GPA + 0x40ffc);
	uint64_t now;

	/* xen_version's queries. */
	GUEST_ASSERT_EQ(xg_call(__HYPERVISOR_xen_version, XENVER_get_features, (uint64_t)&fi, 0), 0);
	GUEST_ASSERT(fi.submap & (1u << XENFEAT_hvm_safe_pvclock));
	GUEST_ASSERT(fi.submap & (1u << XENFEAT_hvm_callback_vector));
	fi.submap_idx = 1;
	GUEST_ASSERT_EQ(xg_call(__HYPERVISOR_xen_version, XENVER_get_features, (uint64_t)&fi, 0), 0);
	GUEST_ASSERT_EQ(fi.submap, 0);
	GUEST_ASSERT_EQ(xg_call(__HYPERVISOR_xen_version, XENVER_extraversion, (uint64_t)&ev, 0), 0);
	GUEST_ASSERT_EQ(ev.extraversion[0], '.');
	GUEST_ASSERT_EQ(xg_call(__HYPERVISOR_xen_version, XENVER_pagesize, 0, 0), 4096);
	GUEST_ASSERT_EQ(xg_call(__HYPERVISOR_xen_version, XENVER_get_features,
				0x7ffffffff000ull, 0), -14);
	GUEST_ASSERT_EQ(xg_call(__HYPERVISOR_xen_version, 0x7777, 0, 0), -38);

	/* HVM params: kept, checked, the global vector callback refused. */
	hp.value = 1;
	GUEST_ASSERT_EQ(xg_call(__HYPERVISOR_hvm_op, HVMOP_set_param, (uint64_t)&hp, 0), 0);
	hp.value = 0;
	GUEST_ASSERT_EQ(xg_call(__HYPERVISOR_hvm_op, HVMOP_get_param, (uint64_t)&hp, 0), 0);
	GUEST_ASSERT_EQ(hp.value, 1);
	hp.value = (2ull << 56) | 0xf3;
	GUEST_ASSERT_EQ(xg_call(__HYPERVISOR_hvm_op, HVMOP_set_param, (uint64_t)&hp, 0), -22);
	hp.index = 999;
	GUEST_ASSERT_EQ(xg_call(__HYPERVISOR_hvm_op, HVMOP_get_param, (uint64_t)&hp, 0), -22);
	hp.index = 0;
	hp.domid = 5;
	GUEST_ASSERT_EQ(xg_call(__HYPERVISOR_hvm_op, HVMOP_get_param, (uint64_t)&hp, 0), -3);
	GUEST_ASSERT_EQ(xg_call(__HYPERVISOR_hvm_op, 5 /* flush_tlbs */, 0, 0), 0);
	GUEST_ASSERT_EQ(xg_call(__HYPERVISOR_hvm_op, 5, 8, 0), -22);
	GUEST_ASSERT_EQ(xg_call(__HYPERVISOR_hvm_op, HVMOP_pagetable_dying, (uint64_t)&pd, 0), 0);

	/* A runstate area, filled at registration. */
	xg_setup_shinfo();
	ra.addr.v = (void *)rs;
	GUEST_ASSERT_EQ(xg_call(__HYPERVISOR_vcpu_op, VCPUOP_register_runstate_memory_area, 0,
				(uint64_t)&ra), 0);
	GUEST_ASSERT_EQ(rs->state, RUNSTATE_running);
	GUEST_ASSERT(rs->state_entry_time > 0);
	/*
	 * One that straddles two pages, state_entry_time across the boundary:
	 * taken, as by Xen and KVM (Linux's per-CPU area can land there).
	 */
	ra.addr.v = (void *)(VM_SCRATCH_GPA + 0x30ff4);
	GUEST_ASSERT_EQ(xg_call(__HYPERVISOR_vcpu_op, VCPUOP_register_runstate_memory_area, 0,
				(uint64_t)&ra), 0);
	rs2 = ra.addr.v;
	GUEST_ASSERT_EQ(rs2->state, RUNSTATE_running);
	GUEST_ASSERT(rs2->state_entry_time >= rs->state_entry_time);
	GUEST_ASSERT_EQ(rs2->state_entry_time & XEN_RUNSTATE_UPDATE, 0);
	GUEST_ASSERT(rs2->time[RUNSTATE_running] > 0);
	ra.addr.v = (void *)0x7ffffffff000ull;		/* not mapped */
	GUEST_ASSERT_EQ(xg_call(__HYPERVISOR_vcpu_op, VCPUOP_register_runstate_memory_area, 0,
				(uint64_t)&ra), -14);
	GUEST_ASSERT_EQ(xg_call(__HYPERVISOR_vcpu_op, VCPUOP_is_up, 0, 0), 1);
	GUEST_ASSERT_EQ(xg_call(__HYPERVISOR_vcpu_op, VCPUOP_is_up, 9, 0), -2);

	/* An argument structure that straddles a page boundary is fine. */
	au->dom = DOMID_SELF;
	au->remote_dom = DOMID_SELF;
	GUEST_ASSERT_EQ(xg_evtchn(EVTCHNOP_alloc_unbound, au), 0);
	GUEST_ASSERT(au->port > 0);

	/* set_timer_op fires VIRQ_TIMER too; 0 stops it. */
	guest_prepare(vcpu);
	wait_upcalls(vcpu, 1);
	GUEST_ASSERT_EQ(xg_evtchn(EVTCHNOP_bind_virq, &bv), 0);
	upcalls[vcpu] = 0;
	now = xg_now(xg_vinfo(vcpu));
	GUEST_ASSERT_EQ(xg_call(__HYPERVISOR_set_timer_op, now + 1000000, 0, 0), 0);
	wait_upcalls(vcpu, 1);
	GUEST_ASSERT_EQ(xg_call(__HYPERVISOR_set_timer_op, now + 1000000000, 0, 0), 0);
	GUEST_ASSERT_EQ(xg_call(__HYPERVISOR_set_timer_op, 0, 0, 0), 0);
	GUEST_DONE();
}

XTEST(version_params_runstate_and_timer_op)
{
	struct vm *vm = xen_vm(1, guest_misc);

	vcpu_run_to_done(vm->vcpus[0]);
	vm_destroy(vm);
}

/* A consistent copy of a runstate area, read as Linux does. */
static void rs_read(struct vcpu_runstate_info *rs, struct vcpu_runstate_info *out)
{
	uint64_t e;

	do {
		e = READ_ONCE(rs->state_entry_time);
		__asm__ volatile("" ::: "memory");
		guest_memcpy(out, rs, sizeof(*out));
		__asm__ volatile("" ::: "memory");
	} while (e != READ_ONCE(rs->state_entry_time) || (e & XEN_RUNSTATE_UPDATE));
}

#define MS	1000000ull

static void guest_runstate(uint64_t vcpu)
{
	struct vcpu_runstate_info *rs = (struct vcpu_runstate_info *)(VM_SCRATCH_GPA + 0x30000);
	struct evtchn_bind_virq bv = { .virq = VIRQ_TIMER, .vcpu = vcpu };
	struct vcpu_register_runstate_memory_area ra = { .addr.v = (void *)rs };
	struct vcpu_set_singleshot_timer t = {};
	struct vcpu_runstate_info a, b;
	uint64_t now, sum;
	int i;

	xg_setup_shinfo();
	guest_prepare(vcpu);
	wait_upcalls(vcpu, 1);
	upcalls[vcpu] = 0;
	GUEST_ASSERT_EQ(xg_evtchn(EVTCHNOP_bind_virq, &bv), 0);
	GUEST_ASSERT_EQ(xg_call(__HYPERVISOR_vcpu_op, VCPUOP_register_runstate_memory_area,
				vcpu, (uint64_t)&ra), 0);

	/* Halted until a timer 50 ms away: that time is blocked, not running. */
	rs_read(rs, &a);
	t.timeout_abs_ns = xg_now(xg_vinfo(vcpu)) + 50 * MS;
	GUEST_ASSERT_EQ(xg_call(__HYPERVISOR_vcpu_op, VCPUOP_set_singleshot_timer, vcpu,
				(uint64_t)&t), 0);
	while (!READ_ONCE(upcalls[vcpu]))
		__asm__ volatile("sti; hlt; cli");
	rs_read(rs, &b);
	GUEST_ASSERT_EQ(b.state, RUNSTATE_running);
	if (b.time[RUNSTATE_blocked] - a.time[RUNSTATE_blocked] < 25 * MS)
		__GUEST_UCALL(UCALL_ABORT, "blocked %lu ns in a 50 ms halt", 1,
			      b.time[RUNSTATE_blocked] - a.time[RUNSTATE_blocked]);

	/* The host now runs a busy thread on this vCPU's CPU: runnable time. */
	GUEST_SYNC(1);
	rs_read(rs, &a);
	now = xg_now(xg_vinfo(vcpu));
	while (xg_now(xg_vinfo(vcpu)) < now + 200 * MS)
		__asm__ volatile("pause");
	rs_read(rs, &b);
	if (b.time[RUNSTATE_runnable] - a.time[RUNSTATE_runnable] < 10 * MS)
		__GUEST_UCALL(UCALL_ABORT, "runnable %lu ns in 200 ms sharing a CPU", 1,
			      b.time[RUNSTATE_runnable] - a.time[RUNSTATE_runnable]);

	/* The times add up to the guest time (since the vCPU's state began). */
	now = xg_now(xg_vinfo(vcpu));
	for (sum = 0, i = 0; i < 4; i++)
		sum += b.time[i];
	sum += now - b.state_entry_time;
	GUEST_ASSERT(sum <= now + MS && sum + 50 * MS >= now);
	GUEST_DONE();
}

static volatile int hog_stop;

static void *hog(void *arg)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	sched_setaffinity(0, sizeof(set), &set);
	while (!hog_stop)
		;
	return arg;
}

XTEST(runstate_blocked_and_runnable_time)
{
	struct vm *vm = xen_vm(1, guest_runstate);
	cpu_set_t set, old;
	struct ucall uc;
	pthread_t t;

	TEST_ASSERT_EQ(vcpu_run_ucall(vm->vcpus[0], &uc), UCALL_SYNC);
	sched_getaffinity(0, sizeof(old), &old);
	CPU_ZERO(&set);
	CPU_SET(0, &set);
	TEST_ASSERT_EQ(sched_setaffinity(0, sizeof(set), &set), 0);
	hog_stop = 0;
	TEST_ASSERT_EQ(pthread_create(&t, NULL, hog, NULL), 0);
	uc.cmd = vcpu_run_ucall(vm->vcpus[0], &uc);
	hog_stop = 1;
	pthread_join(t, NULL);
	sched_setaffinity(0, sizeof(old), &old);
	if (uc.cmd == UCALL_ABORT)
		report_guest_abort(vm->vcpus[0], &uc);
	TEST_ASSERT_EQ(uc.cmd, UCALL_DONE);
	vm_destroy(vm);
}

#define RS_GPA	(VM_SCRATCH_GPA + 0x30000)

static void guest_runstate_then_wait(uint64_t vcpu)
{
	struct vcpu_register_runstate_memory_area ra = { .addr.p = RS_GPA };

	if (vcpu == 0) {
		xg_setup_shinfo();
		guest_prepare(vcpu);
		GUEST_ASSERT_EQ(xg_call(__HYPERVISOR_vcpu_op,
					VCPUOP_register_runstate_memory_area, vcpu,
					(uint64_t)&ra), 0);
	}
	GUEST_SYNC(1);
	GUEST_DONE();
}

/*
 * KVM loads and puts a vCPU while it creates it, before the vCPU has its
 * index (6.x kernels show index 0 then): those are not vCPU 0's, and must
 * leave vCPU 0's runstate area as it was.
 */
XTEST(vcpu_creation_leaves_other_vcpus_state)
{
	struct vm *vm = xen_vm(1, guest_runstate_then_wait);
	struct vcpu_runstate_info *rs, before;
	struct ucall uc;

	TEST_ASSERT_EQ(vcpu_run_ucall(vm->vcpus[0], &uc), UCALL_SYNC);
	rs = vm_gpa_to_hva(vm, RS_GPA, sizeof(*rs));
	rs_read(rs, &before);
	TEST_ASSERT_EQ(before.state, RUNSTATE_blocked);
	usleep(20000);
	vcpu_set_args(vm_add_vcpu(vm, guest_runstate_then_wait), 1, 1ull);
	TEST_ASSERT(!memcmp(rs, &before, sizeof(before)),
		    "vCPU 0's runstate changed: state %d entry %llu -> state %d entry %llu",
		    before.state, (unsigned long long)before.state_entry_time, rs->state,
		    (unsigned long long)rs->state_entry_time);
	vcpu_run_to_done(vm->vcpus[1]);
	TEST_ASSERT_EQ(vcpu_run_ucall(vm->vcpus[0], &uc), UCALL_DONE);
	vm_destroy(vm);
}

#define SHINFO_B_GPA	(VM_SCRATCH_GPA + 0x40000)

static int poll_ready, moves_done;

/*
 * vCPU 1 moves shared_info between two pages, both with the port pending,
 * while vCPU 0 polls it: every poll sees it pending at once, and no page
 * of either place is read once it is gone (the debug kernel's checks).
 */
static void guest_poll_while_moving(uint64_t vcpu)
{
	struct xen_add_to_physmap xatp = { .domid = DOMID_SELF, .space = XENMAPSPACE_shared_info };
	struct shared_info *b = (struct shared_info *)SHINFO_B_GPA;
	struct evtchn_bind_ipi bi = { .vcpu = 0 };
	struct sched_poll p = { .nr_ports = 1 };
	struct evtchn_send send;
	uint32_t port;
	int i;

	if (vcpu == 1) {
		while (!READ_ONCE(poll_ready))
			__asm__ volatile("pause");
		for (i = 0; i < 40; i++) {
			xatp.gpfn = (i % 2 ? XG_SHINFO_GPA : SHINFO_B_GPA) >> 12;
			GUEST_ASSERT_EQ(xg_call(__HYPERVISOR_memory_op, XENMEM_add_to_physmap,
						(uint64_t)&xatp, 0), 0);
		}
		__atomic_store_n(&moves_done, 1, __ATOMIC_SEQ_CST);
		GUEST_DONE();
	}
	xg_setup_shinfo();
	guest_prepare(vcpu);
	GUEST_ASSERT_EQ(xg_evtchn(EVTCHNOP_bind_ipi, &bi), 0);
	port = bi.port;
	xg_shinfo()->evtchn_mask[port / 64] |= 1ull << (port % 64);
	send.port = port;
	GUEST_ASSERT_EQ(xg_evtchn(EVTCHNOP_send, &send), 0);
	b->evtchn_pending[port / 64] |= 1ull << (port % 64);
	set_xen_guest_handle(p.ports, &port);
	__atomic_store_n(&poll_ready, 1, __ATOMIC_SEQ_CST);
	for (i = 0; !READ_ONCE(moves_done) || i < 100; i++) {
		p.timeout = xg_now(xg_vinfo(vcpu)) + 1000000000ull;
		GUEST_ASSERT_EQ(xg_call(__HYPERVISOR_sched_op, SCHEDOP_poll, (uint64_t)&p, 0), 0);
		GUEST_ASSERT(xg_now(xg_vinfo(vcpu)) < p.timeout);
	}
	GUEST_DONE();
}

XTEST_TIMEOUT(poll_while_shared_info_moves, 120)
{
	struct vm *vm = xen_vm(2, guest_poll_while_moving);

	vm_run_all_to_done(vm);
	vm_destroy(vm);
}

int main(int argc, char **argv)
{
	return xtest_main(argc, argv);
}
