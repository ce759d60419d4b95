// SPDX-License-Identifier: GPL-2.0
/*
 * SINTs beyond the basics: AutoEOI (message-mode timers and SignalEvent on
 * two vCPUs, mixed with a plain SINT, no in-service bit left behind), and
 * the VMM's side: an eventfd bound to an event flag (XENHV_HV_BIND_SINT)
 * and messages posted into a SIM slot (XENHV_HV_POST_MESSAGE), with good
 * and bad input.
 */
#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "xenhv.h"
#include "hv_guest.h"

#define MS		10000ull	/* one millisecond in reference time units */
#define VEC_AEOI	0x60
#define VEC_EOI		0x58		/* lower priority: blocked by a stuck 0x60 */
#define CONN_AEOI(vp)	(10 + (vp))
#define CONN_EOI(vp)	(20 + (vp))

static struct vm *hv_vm(int nr_vcpus, void *guest)
{
	struct vm *vm = vm_create(&(struct vm_opts){ .irqchip = true });
	int i;

	for (i = 0; i < nr_vcpus; i++)
		vcpu_set_args(vm_add_vcpu(vm, guest), 1, (uint64_t)i);
	xenhv_attach_ok(vm, XENHV_ABI_HYPERV, XENHV_ATTACH_CPUID | XENHV_ATTACH_NO_USER_EXIT);
	return vm;
}

static int hv_ioctl(unsigned long cmd, void *arg)
{
	int dev = xenhv_open(), r;

	r = ioctl(dev, cmd, arg) ? -errno : 0;
	close(dev);
	return r;
}

static int bind_conn(struct vm *vm, uint32_t conn, uint32_t vp, uint8_t sint)
{
	struct xenhv_hv_conn b = {
		.vm_fd = vm->fd, .flags = XENHV_CONN_SYNIC, .conn_id = conn, .fd = -1,
		.vp_index = vp, .sint = sint,
	};

	return hv_ioctl(XENHV_HV_BIND_CONN, &b);
}

static bool in_service(uint8_t v)
{
	return guest_rdmsr(0x810 + v / 32) & (1u << (v % 32));
}

/* ---- AutoEOI ----------------------------------------------------------------- */

static volatile uint64_t ae_ready, ae_bad[VM_MAX_VCPUS];

/* An AutoEOI vector is no longer in service when it arrives; others are, and get an EOI. */
static void ae_handler(struct ex_regs *regs)
{
	uint32_t me = hg_apic_id() % VM_MAX_VCPUS;
	uint8_t v = regs->vector;

	hg_irqs[me][v]++;
	if (v == VEC_AEOI) {
		if (in_service(v))
			ae_bad[me]++;
	} else {
		if (!in_service(v))
			ae_bad[me]++;
		guest_wrmsr(0x80b, 0);
	}
}

static void guest_auto_eoi(uint64_t vp)
{
	struct hv_message *slot = hg_sim_slot(vp, 2);
	uint64_t other = 1 - vp;
	int i;

	hg_x2apic_enable();
	guest_set_handler(VEC_AEOI, ae_handler);
	guest_set_handler(VEC_EOI, ae_handler);
	hg_enable_hypercalls();
	hg_synic_enable(vp);
	guest_wrmsr(HV_X64_MSR_SINT2, VEC_AEOI | HV_SYNIC_SINT_AUTO_EOI);
	guest_wrmsr(HV_X64_MSR_SINT3, VEC_EOI);
	GUEST_ASSERT_EQ(guest_rdmsr(HV_X64_MSR_SINT2), VEC_AEOI | HV_SYNIC_SINT_AUTO_EOI);

	/* A message-mode timer on the AutoEOI SINT, twice: no EOI written. */
	for (i = 1; i <= 2; i++) {
		guest_wrmsr(HV_X64_MSR_STIMER1_CONFIG, HG_STIMER_ENABLE | HG_STIMER_SINT(2));
		guest_wrmsr(HV_X64_MSR_STIMER1_COUNT, hg_now() + 2 * MS);
		HG_WAIT_IRQ(VEC_AEOI, i, 3000 * MS);
		GUEST_ASSERT_EQ(slot->header.message_type, HVMSG_TIMER_EXPIRED);
		slot->header.message_type = HVMSG_NONE;
		__asm__ volatile("mfence" ::: "memory");
		guest_wrmsr(HV_X64_MSR_EOM, 0);
	}

	/* SignalEvent onto the other vCPU's AutoEOI SINT and its plain one. */
	__atomic_add_fetch(&ae_ready, 1, __ATOMIC_SEQ_CST);
	while (READ_ONCE(ae_ready) < 2)
		__asm__ volatile("pause");
	GUEST_ASSERT_EQ(guest_hv_hcall(HG_FAST(HVCALL_SIGNAL_EVENT), CONN_AEOI(other), 0), 0);
	GUEST_ASSERT_EQ(guest_hv_hcall(HG_FAST(HVCALL_SIGNAL_EVENT), CONN_EOI(other), 0), 0);
	HG_WAIT_IRQ(VEC_AEOI, 3, 3000 * MS);
	/* Lower than the AutoEOI vector: it arrives only if that one left service. */
	HG_WAIT_IRQ(VEC_EOI, 1, 3000 * MS);
	GUEST_ASSERT_EQ(hg_sief(vp, 2)[0] & 1, 1);
	GUEST_ASSERT_EQ(hg_sief(vp, 3)[0] & 1, 1);
	for (i = 0; i < 8; i++)
		GUEST_ASSERT_EQ(guest_rdmsr(0x810 + i), 0);
	GUEST_ASSERT_EQ(ae_bad[vp], 0);

	/* The SINT without AutoEOI again: its vector stays in service until the EOI. */
	guest_wrmsr(HV_X64_MSR_SINT2, VEC_AEOI);
	GUEST_ASSERT_EQ(guest_rdmsr(HV_X64_MSR_SINT2), VEC_AEOI);
	GUEST_DONE();
}

XTEST_TIMEOUT(auto_eoi_timers_and_events_2_vcpus, 90)
{
	struct vm *vm = hv_vm(2, guest_auto_eoi);
	int vp;

	for (vp = 0; vp < 2; vp++) {
		TEST_ASSERT_EQ(bind_conn(vm, CONN_AEOI(vp), vp, 2), 0);
		TEST_ASSERT_EQ(bind_conn(vm, CONN_EOI(vp), vp, 3), 0);
	}
	vm_run_all_to_done(vm);
	vm_destroy(vm);
}

/* A plain SINT's vector after an AutoEOI one on the same vCPU, through EOIs. */
static void guest_auto_eoi_mixed(uint64_t vp)
{
	int i;

	hg_x2apic_enable();
	guest_set_handler(VEC_AEOI, ae_handler);
	guest_set_handler(VEC_EOI, ae_handler);
	hg_synic_enable(0);
	guest_wrmsr(HV_X64_MSR_SINT2, VEC_AEOI | HV_SYNIC_SINT_AUTO_EOI);
	guest_wrmsr(HV_X64_MSR_SINT3, VEC_EOI);
	/* Direct-mode timers on both vectors, one after the other, many times. */
	for (i = 1; i <= 5; i++) {
		guest_wrmsr(HV_X64_MSR_STIMER0_CONFIG, HG_STIMER_ENABLE | HG_STIMER_DIRECT |
						       HG_STIMER_VECTOR(VEC_EOI));
		guest_wrmsr(HV_X64_MSR_STIMER0_COUNT, 1);
		guest_wrmsr(HV_X64_MSR_STIMER1_CONFIG, HG_STIMER_ENABLE | HG_STIMER_SINT(2));
		guest_wrmsr(HV_X64_MSR_STIMER1_COUNT, 1);
		HG_WAIT_IRQ(VEC_AEOI, i, 3000 * MS);
		HG_WAIT_IRQ(VEC_EOI, i, 3000 * MS);
		hg_sim_slot(0, 2)->header.message_type = HVMSG_NONE;
		__asm__ volatile("mfence" ::: "memory");
		guest_wrmsr(HV_X64_MSR_EOM, 0);
	}
	for (i = 0; i < 8; i++)
		GUEST_ASSERT_EQ(guest_rdmsr(0x810 + i), 0);
	GUEST_ASSERT_EQ(ae_bad[0], 0);
	GUEST_DONE();
}

XTEST_TIMEOUT(auto_eoi_mixed_with_plain_sint, 60)
{
	struct vm *vm = hv_vm(1, guest_auto_eoi_mixed);

	vcpu_run_to_done(vm->vcpus[0]);
	vm_destroy(vm);
}

/* ---- the VMM raises event flags: XENHV_HV_BIND_SINT --------------------------- */

#define VEC_HOST	0x50
#define HOST_FLAG	37

static void guest_host_sint(uint64_t vp)
{
	volatile uint8_t *sief = hg_sief(0, 2);

	hg_irq_setup(VEC_HOST, VEC_HOST);
	GUEST_SYNC(1);			/* signalled with no SynIC: dropped */
	hg_synic_enable(0);
	GUEST_ASSERT_EQ(sief[HOST_FLAG / 8], 0);
	guest_wrmsr(HV_X64_MSR_SINT2, HV_SYNIC_SINT_MASKED | VEC_HOST);
	GUEST_SYNC(2);			/* masked: the flag, no interrupt */
	GUEST_ASSERT_EQ(sief[HOST_FLAG / 8], 1 << (HOST_FLAG % 8));
	hg_delay_sti(5 * MS);
	GUEST_ASSERT_EQ(hg_irqs[0][VEC_HOST], 0);
	sief[HOST_FLAG / 8] = 0;
	guest_wrmsr(HV_X64_MSR_SINT2, VEC_HOST);
	GUEST_SYNC(3);			/* the flag and the interrupt */
	HG_WAIT_IRQ(VEC_HOST, 1, 3000 * MS);
	GUEST_ASSERT_EQ(sief[HOST_FLAG / 8], 1 << (HOST_FLAG % 8));
	GUEST_SYNC(4);			/* a flag still set raises nothing */
	hg_delay_sti(5 * MS);
	GUEST_ASSERT_EQ(hg_irqs[0][VEC_HOST], 1);
	sief[HOST_FLAG / 8] = 0;
	GUEST_SYNC(5);			/* unbound: nothing */
	hg_delay_sti(5 * MS);
	GUEST_ASSERT_EQ(hg_irqs[0][VEC_HOST], 1);
	GUEST_ASSERT_EQ(sief[HOST_FLAG / 8], 0);
	GUEST_DONE();
}

static int bind_sint(struct vm *vm, uint32_t flags, uint32_t vp, int fd, uint8_t sint,
		     uint16_t flag)
{
	struct xenhv_hv_sint b = {
		.vm_fd = vm->fd, .flags = flags, .vp_index = vp, .fd = fd, .sint = sint,
		.flag = flag,
	};

	return hv_ioctl(XENHV_HV_BIND_SINT, &b);
}

static void efd_signal(int efd)
{
	uint64_t one = 1;

	TEST_ASSERT_EQ(write(efd, &one, 8), 8);
}

XTEST_TIMEOUT(host_raised_sint_eventfd, 60)
{
	struct vm *vm = hv_vm(1, guest_host_sint);
	struct vcpu *vcpu = vm->vcpus[0];
	int efd = eventfd(0, EFD_NONBLOCK), efd2 = eventfd(0, EFD_NONBLOCK);
	struct xenhv_hv_sint bad;
	struct ucall uc;
	uint64_t v;

	/* Bad input. */
	TEST_ASSERT_EQ(bind_sint(vm, 0, 1, efd, 2, HOST_FLAG), -EINVAL);	/* no vCPU 1 */
	TEST_ASSERT_EQ(bind_sint(vm, 0, 0, efd, 16, HOST_FLAG), -EINVAL);
	TEST_ASSERT_EQ(bind_sint(vm, 0, 0, efd, 2, 2048), -EINVAL);
	TEST_ASSERT_EQ(bind_sint(vm, 2, 0, efd, 2, HOST_FLAG), -EINVAL);
	TEST_ASSERT_EQ(bind_sint(vm, 0, 0, vm->fd, 2, HOST_FLAG), -EINVAL);	/* no eventfd */
	TEST_ASSERT_EQ(bind_sint(vm, 0, 0, 1000, 2, HOST_FLAG), -EBADF);
	TEST_ASSERT_EQ(bind_sint(vm, XENHV_SINT_UNBIND, 0, -1, 2, HOST_FLAG), -ENOENT);
	TEST_ASSERT_EQ(bind_sint(vm, XENHV_SINT_UNBIND, 0, efd, 2, HOST_FLAG), -EINVAL);
	bad = (struct xenhv_hv_sint){ .vm_fd = vm->fd, .fd = efd, .sint = 2, .reserved1 = 1 };
	TEST_ASSERT_EQ(hv_ioctl(XENHV_HV_BIND_SINT, &bad), -EINVAL);
	bad = (struct xenhv_hv_sint){ .vm_fd = vm->fd, .fd = efd, .sint = 2, .reserved[1] = 1 };
	TEST_ASSERT_EQ(hv_ioctl(XENHV_HV_BIND_SINT, &bad), -EINVAL);

	TEST_ASSERT_EQ(bind_sint(vm, 0, 0, efd, 2, HOST_FLAG), 0);
	TEST_ASSERT_EQ(bind_sint(vm, 0, 0, efd2, 2, HOST_FLAG), -EEXIST);
	/* Another flag, bound while signalled: the pending count is consumed. */
	efd_signal(efd2);
	TEST_ASSERT_EQ(bind_sint(vm, 0, 0, efd2, 3, 0), 0);
	TEST_ASSERT(read(efd2, &v, 8) < 0 && errno == EAGAIN, "count not consumed");

	TEST_ASSERT_EQ(vcpu_run_ucall(vcpu, &uc), UCALL_SYNC);
	efd_signal(efd);
	TEST_ASSERT_EQ(vcpu_run_ucall(vcpu, &uc), UCALL_SYNC);
	efd_signal(efd);
	TEST_ASSERT_EQ(vcpu_run_ucall(vcpu, &uc), UCALL_SYNC);
	efd_signal(efd);
	TEST_ASSERT_EQ(vcpu_run_ucall(vcpu, &uc), UCALL_SYNC);
	efd_signal(efd);
	TEST_ASSERT(read(efd, &v, 8) < 0 && errno == EAGAIN, "count not consumed");
	TEST_ASSERT_EQ(vcpu_run_ucall(vcpu, &uc), UCALL_SYNC);
	TEST_ASSERT_EQ(bind_sint(vm, XENHV_SINT_UNBIND, 0, -1, 2, HOST_FLAG), 0);
	efd_signal(efd);
	TEST_ASSERT_EQ(read(efd, &v, 8), 8);		/* nobody consumed it */
	vcpu_run_to_done(vcpu);
	/* Destroyed with a binding left (efd2): released with the VM. */
	vm_destroy(vm);
	efd_signal(efd2);
	close(efd);
	close(efd2);
}

/* ---- the VMM posts messages: XENHV_HV_POST_MESSAGE ----------------------------- */

#define MSG_TYPE	0x1234

static int post(struct vm *vm, uint32_t vp, uint8_t sint, uint32_t tag, uint32_t *flags)
{
	struct xenhv_hv_message m = {
		.vm_fd = vm->fd, .vp_index = vp, .sint = sint, .message_type = MSG_TYPE,
		.payload_size = 16,
	};
	int r;

	memcpy(m.payload, &tag, sizeof(tag));
	memset(m.payload + 4, 0xab, 12);
	r = hv_ioctl(XENHV_HV_POST_MESSAGE, &m);
	if (flags)
		*flags = m.flags;
	return r;
}

static void check_msg(struct hv_message *slot, uint32_t tag, int pending)
{
	GUEST_ASSERT_EQ(slot->header.message_type, MSG_TYPE);
	GUEST_ASSERT_EQ(slot->header.payload_size, 16);
	GUEST_ASSERT_EQ((uint32_t)slot->u.payload[0], tag);
	GUEST_ASSERT_EQ(slot->u.payload[1], 0xababababababababull);
	GUEST_ASSERT_EQ(slot->header.message_flags.msg_pending, pending);
}

static void guest_post(uint64_t vp)
{
	struct hv_message *slot = hg_sim_slot(0, 2);

	hg_irq_setup(VEC_HOST, VEC_HOST);
	GUEST_SYNC(1);			/* no SynIC: refused */
	hg_synic_enable(0);
	guest_wrmsr(HV_X64_MSR_SINT2, HV_SYNIC_SINT_MASKED | VEC_HOST);
	GUEST_SYNC(2);			/* masked: refused */
	guest_wrmsr(HV_X64_MSR_SINT2, VEC_HOST);
	GUEST_SYNC(3);			/* A in the slot, B waiting */
	HG_WAIT_IRQ(VEC_HOST, 1, 3000 * MS);
	check_msg(slot, 0xa, 1);
	slot->header.message_type = HVMSG_NONE;
	__asm__ volatile("mfence" ::: "memory");
	guest_wrmsr(HV_X64_MSR_EOM, 0);
	HG_WAIT_IRQ(VEC_HOST, 2, 3000 * MS);
	check_msg(slot, 0xb, 0);
	slot->header.message_type = HVMSG_NONE;
	__asm__ volatile("mfence" ::: "memory");
	guest_wrmsr(HV_X64_MSR_EOM, 0);
	hg_delay_sti(5 * MS);
	GUEST_ASSERT_EQ(hg_irqs[0][VEC_HOST], 2);
	GUEST_DONE();
}

XTEST_TIMEOUT(host_post_message, 60)
{
	struct vm *vm = hv_vm(1, guest_post);
	struct vcpu *vcpu = vm->vcpus[0];
	struct xenhv_hv_message m;
	struct ucall uc;
	uint32_t flags;

	/* Bad input. */
	TEST_ASSERT_EQ(post(vm, 1, 2, 0, NULL), -EINVAL);
	TEST_ASSERT_EQ(post(vm, 0, 16, 0, NULL), -EINVAL);
	m = (struct xenhv_hv_message){ .vm_fd = vm->fd, .sint = 2, .message_type = 0 };
	TEST_ASSERT_EQ(hv_ioctl(XENHV_HV_POST_MESSAGE, &m), -EINVAL);
	m = (struct xenhv_hv_message){ .vm_fd = vm->fd, .sint = 2, .message_type = 1,
				       .payload_size = 241 };
	TEST_ASSERT_EQ(hv_ioctl(XENHV_HV_POST_MESSAGE, &m), -EINVAL);
	m = (struct xenhv_hv_message){ .vm_fd = vm->fd, .sint = 2, .message_type = 1,
				       .flags = XENHV_MSG_QUEUED };
	TEST_ASSERT_EQ(hv_ioctl(XENHV_HV_POST_MESSAGE, &m), -EINVAL);
	m = (struct xenhv_hv_message){ .vm_fd = vm->fd, .sint = 2, .message_type = 1,
				       .reserved0[2] = 1 };
	TEST_ASSERT_EQ(hv_ioctl(XENHV_HV_POST_MESSAGE, &m), -EINVAL);
	m = (struct xenhv_hv_message){ .vm_fd = vm->fd, .sint = 2, .message_type = 1,
				       .reserved[1] = 1 };
	TEST_ASSERT_EQ(hv_ioctl(XENHV_HV_POST_MESSAGE, &m), -EINVAL);

	TEST_ASSERT_EQ(vcpu_run_ucall(vcpu, &uc), UCALL_SYNC);
	TEST_ASSERT_EQ(post(vm, 0, 2, 0xa, NULL), -ENXIO);
	TEST_ASSERT_EQ(vcpu_run_ucall(vcpu, &uc), UCALL_SYNC);
	TEST_ASSERT_EQ(post(vm, 0, 2, 0xa, NULL), -ENXIO);
	TEST_ASSERT_EQ(vcpu_run_ucall(vcpu, &uc), UCALL_SYNC);
	TEST_ASSERT_EQ(post(vm, 0, 2, 0xa, &flags), 0);
	TEST_ASSERT_EQ(flags, 0);
	TEST_ASSERT_EQ(post(vm, 0, 2, 0xb, &flags), 0);
	TEST_ASSERT_EQ(flags, XENHV_MSG_QUEUED);
	TEST_ASSERT_EQ(post(vm, 0, 2, 0xc, NULL), -EBUSY);
	vcpu_run_to_done(vcpu);
	/* Destroyed with a message waiting: freed with the VM. */
	TEST_ASSERT_EQ(post(vm, 0, 2, 0xd, &flags), 0);
	TEST_ASSERT_EQ(post(vm, 0, 2, 0xe, &flags), 0);
	TEST_ASSERT_EQ(flags, XENHV_MSG_QUEUED);
	vm_destroy(vm);
}

/* Both ioctls want a VM attached with the Hyper-V ABI. */
XTEST(host_sint_ioctls_need_hyperv)
{
	struct vm *vm = vm_create(NULL);
	int efd = eventfd(0, 0);

	vm_add_vcpu(vm, NULL);
	TEST_ASSERT_EQ(bind_sint(vm, 0, 0, efd, 2, 0), -ENOENT);
	TEST_ASSERT_EQ(post(vm, 0, 2, 0, NULL), -ENOENT);
	xenhv_attach_ok(vm, XENHV_ABI_XEN, 0);
	TEST_ASSERT_EQ(bind_sint(vm, 0, 0, efd, 2, 0), -ENOENT);
	TEST_ASSERT_EQ(post(vm, 0, 2, 0, NULL), -ENOENT);
	vm_destroy(vm);
	close(efd);
}

int main(int argc, char **argv)
{
	return xtest_main(argc, argv);
}
