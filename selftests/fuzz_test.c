// SPDX-License-Identifier: GPL-2.0
/*
 * Guest-input fuzzing, one test per ABI: VMs with two vCPUs whose guest
 * code issues seeded random hypercalls, synthetic-MSR reads and writes and
 * hypervisor CPUID leaves, with arguments biased towards what breaks
 * decoders (pointers into guest memory, page-crossing and misaligned ones,
 * memory past the end, huge counts and times, every vector), while a host
 * thread detaches, re-attaches and resets the VM, reads its counters and
 * drives the VMM's side (raised ports, posted messages). VMs are destroyed
 * with whatever the guest left armed and created anew until the budget
 * runs out.
 *
 * The host must survive with no WARN, oops or lockup (the runner fails the
 * run on any); the guest may hurt itself (a triple fault ends its VM).
 * XENHV_FUZZ_SECONDS sets the budget per ABI (default 10), XENHV_FUZZ_SEED
 * the seed (default: the time, printed). make fuzz runs it at length.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "xenhv.h"
#include "hv_guest.h"

#define OPS_PER_VM	3000
#define SCRATCH_SIZE	(16ul << 20)	/* the part of guest memory the guest may hand out */

static uint64_t fuzz_ops[VM_MAX_VCPUS];
static uint64_t fuzz_abi;		/* guest copy: XENHV_ABI_* */

/* xorshift64*, per vCPU. */
static inline uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

/* An argument: mostly addresses in guest scratch memory, some of them bad. */
static uint64_t arg(uint64_t *s)
{
	uint64_t r = rnd(s), base = VM_SCRATCH_GPA + (rnd(s) % SCRATCH_SIZE);

	switch (r % 12) {
	case 0: case 1: case 2:
		return base & ~7ull;			/* aligned */
	case 3:
		return (base | 0xfff) - (r >> 8) % 16;	/* at a page end: crossing */
	case 4:
		return base;				/* misaligned */
	case 5:
		return VM_DEFAULT_MEM + (r >> 8) % (1ull << 30);	/* not guest memory */
	case 6:
		return r >> 4;				/* anything */
	case 7:
		return ~0ull - (r >> 56);		/* huge */
	case 8:
		return (r >> 8) % 64;			/* small numbers */
	case 9:
		return (r >> 8) % 4096;			/* ports, counts */
	default:
		return (base & ~0xfffull) | ((r >> 8) & 1);	/* a page, enable bit */
	}
}

static void fuzz_irq(struct ex_regs *regs)
{
	guest_wrmsr(0x80b, 0);		/* EOI; AutoEOI vectors take a spurious one */
}

/* #GP from rdmsr/wrmsr (2 bytes), #UD from the hypercall instruction (3). */
static void fuzz_fault(struct ex_regs *regs)
{
	const uint8_t *ip = (const uint8_t *)regs->rip;

	if (ip[0] == 0x0f && (ip[1] == 0x30 || ip[1] == 0x32))
		regs->rip += 2;
	else if (ip[0] == 0x0f && ip[1] == 0x01 && (ip[2] == 0xd9 || ip[2] == 0xc1))
		regs->rip += 3;
	else
		__GUEST_UCALL(UCALL_ABORT, "vector %lu at %lx", 2, regs->vector, regs->rip);
}

static const uint16_t hv_codes[] = {
	HVCALL_NOTIFY_LONG_SPIN_WAIT, HVCALL_FLUSH_VIRTUAL_ADDRESS_SPACE,
	HVCALL_FLUSH_VIRTUAL_ADDRESS_LIST, HVCALL_FLUSH_VIRTUAL_ADDRESS_SPACE_EX,
	HVCALL_FLUSH_VIRTUAL_ADDRESS_LIST_EX, HVCALL_SEND_IPI, HVCALL_SEND_IPI_EX,
	HVCALL_SIGNAL_EVENT, HVCALL_POST_MESSAGE, 0x8001,
};

static const uint8_t xen_calls[] = {
	__HYPERVISOR_xen_version, __HYPERVISOR_memory_op, __HYPERVISOR_hvm_op,
	__HYPERVISOR_vcpu_op, __HYPERVISOR_event_channel_op, __HYPERVISOR_sched_op,
	__HYPERVISOR_set_timer_op,
};

static void hv_op(uint64_t *s)
{
	uint64_t r = rnd(s), control;

	control = hv_codes[r % ARRAY_SIZE(hv_codes)];
	if (!(r & 0x100))
		control = (r >> 16) & 0xffff;			/* any code */
	if (r & 0x200)
		control |= HV_HYPERCALL_FAST_BIT;
	if (r & 0x400)
		control |= (rnd(s) % 4) << HV_HYPERCALL_VARHEAD_OFFSET;
	if (r & 0x800)
		control |= (rnd(s) & 0xfff) << HV_HYPERCALL_REP_COMP_OFFSET;
	if (r & 0x1000)
		control |= (rnd(s) & 0xfff) << HV_HYPERCALL_REP_START_OFFSET;
	if (!(r & 0xe000))
		control |= rnd(s);				/* reserved bits too */
	guest_hv_hcall(control, arg(s), arg(s));
}

static void xen_op(uint64_t *s)
{
	uint64_t r = rnd(s), nr = xen_calls[r % ARRAY_SIZE(xen_calls)];

	if (!(r & 0x300))
		nr = (r >> 16) % 64;
	guest_xen_hcall(nr, (r & 0x400) ? arg(s) : (r >> 20) % 40, arg(s), arg(s), arg(s),
			arg(s), arg(s));
}

static void msr_op(uint64_t *s)
{
	uint64_t r = rnd(s);
	uint32_t msr = 0x40000000 + (r >> 8) % 0x200;

	if (r & 1)
		guest_wrmsr(msr, (r & 2) ? arg(s) : ((r >> 16) & 0xff) | (rnd(s) & 0x3f000));
	else
		guest_rdmsr(msr);
}

static void guest_fuzz(uint64_t vcpu, uint64_t seed)
{
	uint64_t s = seed * 0x9e3779b97f4a7c15ull + vcpu + 1, r;
	uint32_t regs[4];
	int i;

	guest_set_handler(6, fuzz_fault);
	guest_set_handler(13, fuzz_fault);
	for (i = 16; i < 256; i++)
		if (i != 6 && i != 13)
			guest_set_handler(i, fuzz_irq);
	hg_x2apic_enable();
	if (READ_ONCE(fuzz_abi) == XENHV_ABI_HYPERV)
		hg_enable_hypercalls();
	for (i = 0; i < OPS_PER_VM; i++) {
		r = rnd(&s);
		switch (r % 8) {
		case 0: case 1: case 2:
			if (READ_ONCE(fuzz_abi) == XENHV_ABI_HYPERV)
				hv_op(&s);
			else
				xen_op(&s);
			break;
		case 3: case 4: case 5:
			msr_op(&s);
			break;
		case 6:
			guest_cpuid(0x40000000 + (r >> 8) % 0x110, 0, regs);
			break;
		default:
			/* Let interrupts in for a moment. */
			__asm__ volatile("sti; nop; nop; nop; cli");
		}
		((volatile uint64_t *)fuzz_ops)[vcpu]++;
	}
	GUEST_DONE();
}

/* ---- host ------------------------------------------------------------------------- */

struct chaos {
	struct vm *vm;
	uint32_t abi;
	uint64_t seed;
	volatile int stop;
	unsigned long actions;
};

static int attach(struct vm *vm, uint32_t abi, uint64_t features)
{
	uint64_t cfg[8] = { 0 };

	/* Both configurations keep their feature mask at the same offset. */
	cfg[2] = features;
	return xenhv_attach(vm, abi, XENHV_ATTACH_CPUID | XENHV_ATTACH_NO_USER_EXIT, cfg,
			    sizeof(cfg));
}

static void *chaos_thread(void *p)
{
	struct chaos *c = p;
	struct xenhv_vm_stats *st = calloc(1, sizeof(*st));
	uint64_t s = c->seed ^ 0x5555, r;
	int dev = xenhv_open(), efd = eventfd(0, EFD_NONBLOCK);

	while (!c->stop) {
		r = rnd(&s);
		switch (r % 8) {
		case 0:
			xenhv_detach(c->vm);
			attach(c->vm, c->abi, (r & 0x100) ? 0 : rnd(&s) &
			       (c->abi == XENHV_ABI_XEN ? XENHV_XEN_ALL : XENHV_HV_ALL));
			break;
		case 1: {
			struct xenhv_reset rs = { .vm_fd = c->vm->fd };

			ioctl(dev, XENHV_RESET_VM, &rs);
			break;
		}
		case 2:
			memset(st, 0, sizeof(*st));
			st->vm_fd = c->vm->fd;
			ioctl(dev, XENHV_GET_VM_STATS, st);
			break;
		case 3:
			if (c->abi == XENHV_ABI_XEN) {
				struct xenhv_xen_raise x = { .vm_fd = c->vm->fd, .port = 1 + r % 64 };

				ioctl(dev, XENHV_XEN_RAISE_PORT, &x);
			} else {
				struct xenhv_hv_message m = {
					.vm_fd = c->vm->fd, .vp_index = r & 1, .sint = (r >> 8) % 16,
					.message_type = 1 + (r >> 12) % 4, .payload_size = 16,
				};

				ioctl(dev, XENHV_HV_POST_MESSAGE, &m);
			}
			break;
		case 4:
			if (c->abi == XENHV_ABI_XEN) {
				struct xenhv_xen_port b = {
					.vm_fd = c->vm->fd, .port = 1 + r % 64, .send_fd = -1,
					.flags = XENHV_PORT_RAISE_EVENTFD, .raise_fd = efd,
				};

				if (r & 0x100)
					b.flags |= XENHV_PORT_UNBIND, b.raise_fd = -1;
				ioctl(dev, XENHV_XEN_BIND_PORT, &b);
			} else {
				struct xenhv_hv_sint b = {
					.vm_fd = c->vm->fd, .vp_index = r & 1, .fd = efd,
					.sint = (r >> 8) % 16, .flag = (r >> 12) % 2048,
				};

				if (r & 0x100)
					b.flags = XENHV_SINT_UNBIND, b.fd = -1;
				ioctl(dev, XENHV_HV_BIND_SINT, &b);
			}
			break;
		case 5: {
			uint64_t one = 1;

			if (write(efd, &one, 8) != 8)
				break;
			break;
		}
		default:
			usleep(200 + r % 2000);
		}
		c->actions++;
	}
	close(efd);
	close(dev);
	free(st);
	return NULL;
}

/*
 * Run a vCPU until the guest is done, dies, or its time is up (a guest that
 * wrecked its own memory may loop forever): then the main thread sets
 * immediate_exit and signals the thread out of KVM_RUN.
 */
static volatile int vm_time_up;

static void fuzz_vcpu(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	struct ucall uc;

	while (!vm_time_up) {
		if (ioctl(vcpu->fd, KVM_RUN, 0)) {
			TEST_ASSERT(errno == EINTR, "KVM_RUN: %s", strerror(errno));
			continue;
		}
		switch (vcpu_get_ucall(vcpu, &uc)) {
		case UCALL_DONE:
			return;
		case UCALL_ABORT:
			report_guest_abort(vcpu, &uc);
		case UCALL_NONE:
			break;
		default:
			continue;
		}
		switch (run->exit_reason) {
		case KVM_EXIT_SYSTEM_EVENT:	/* Hyper-V reset and crash MSRs */
		case KVM_EXIT_HYPERV:		/* while detached: KVM's own */
		case KVM_EXIT_XEN:
		case KVM_EXIT_IO:
		case KVM_EXIT_MMIO:
		case KVM_EXIT_HLT:
		case KVM_EXIT_INTR:
			continue;
		case KVM_EXIT_SHUTDOWN:		/* the guest hurt itself */
		case KVM_EXIT_INTERNAL_ERROR:
		case KVM_EXIT_FAIL_ENTRY:
			return;
		default:
			TEST_ASSERT(0, "exit %s", exit_reason_str(run->exit_reason));
		}
	}
}

static void no_op(int sig)
{
}

static uint64_t env_u64(const char *name, uint64_t def)
{
	const char *v = getenv(name);

	return v && *v ? strtoull(v, NULL, 0) : def;
}

static void fuzz_abi_for(uint32_t abi)
{
	uint64_t seconds = env_u64("XENHV_FUZZ_SECONDS", 10);
	uint64_t seed = env_u64("XENHV_FUZZ_SEED", (uint64_t)time(NULL));
	struct xenhv_vm_stats *st = calloc(1, sizeof(*st));
	unsigned long vms = 0, actions = 0;
	uint64_t ops = 0, shim = 0;
	struct timespec t0, t;
	double secs;

	xtest_log("seed %llu, %llu s", (unsigned long long)seed, (unsigned long long)seconds);
	signal(SIGUSR1, no_op);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		struct vm *vm = vm_create(&(struct vm_opts){ .irqchip = true });
		struct chaos c = { .vm = vm, .abi = abi, .seed = seed + vms };
		struct timespec d;
		int i, joined;
		pthread_t thr;

		for (i = 0; i < 2; i++)
			vcpu_set_args(vm_add_vcpu(vm, guest_fuzz), 2, (uint64_t)i, seed + vms);
		fuzz_abi = abi;
		memset(fuzz_ops, 0, sizeof(fuzz_ops));
		sync_global_to_guest(vm, fuzz_abi);
		sync_global_to_guest(vm, fuzz_ops);
		TEST_ASSERT_EQ(attach(vm, abi, 0), 0);
		vm_time_up = 0;
		pthread_create(&thr, NULL, chaos_thread, &c);
		for (i = 0; i < 2; i++)
			vcpu_thread_start(vm->vcpus[i], fuzz_vcpu);
		/* Five seconds at most per VM. */
		clock_gettime(CLOCK_MONOTONIC, &d);
		joined = 0;
		for (;;) {
			clock_gettime(CLOCK_MONOTONIC, &t);
			for (i = 0; i < 2; i++)
				if (!(joined & (1 << i)) &&
				    !pthread_tryjoin_np(vm->vcpus[i]->thread, NULL))
					joined |= 1 << i;
			if (joined == 3)
				break;
			if (t.tv_sec - d.tv_sec >= 5 && !vm_time_up) {
				vm_time_up = 1;
				for (i = 0; i < 2; i++) {
					vm->vcpus[i]->run->immediate_exit = 1;
					if (!(joined & (1 << i)))
						pthread_kill(vm->vcpus[i]->thread, SIGUSR1);
				}
			}
			usleep(10000);
		}
		c.stop = 1;
		pthread_join(thr, NULL);
		sync_global_from_guest(vm, fuzz_ops);
		ops += fuzz_ops[0] + fuzz_ops[1];
		/* What the shim handled (the counters of the last attachment). */
		if (!xenhv_stats(vm, st))
			for (i = 0; i < XENHV_NR_OPS; i++)
				shim += st->ops[i].kernel + st->ops[i].user + st->ops[i].errors;
		actions += c.actions;
		vm_destroy(vm);		/* with whatever is armed */
		vms++;
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while ((uint64_t)(t.tv_sec - t0.tv_sec) < seconds);
	secs = (t.tv_sec - t0.tv_sec) + (t.tv_nsec - t0.tv_nsec) / 1e9;
	xtest_log("%lu VMs, %llu guest operations (%.0f/s), %llu counted by the shim, %lu host actions",
		  vms, (unsigned long long)ops, ops / secs, (unsigned long long)shim, actions);
	TEST_ASSERT(shim > 0, "no guest operation reached the shim");
	free(st);
}

XTEST_TIMEOUT(fuzz_xen_guest, 3600)
{
	fuzz_abi_for(XENHV_ABI_XEN);
}

XTEST_TIMEOUT(fuzz_hyperv_guest, 3600)
{
	fuzz_abi_for(XENHV_ABI_HYPERV);
}

int main(int argc, char **argv)
{
	return xtest_main(argc, argv);
}
