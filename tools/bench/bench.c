// SPDX-License-Identifier: GPL-2.0
/*
 * xenhv-bench: hypercall rates measured side by side in one boot, printed
 * as calls/s and as ratios (rates on one machine drift by 5-10 % between
 * runs, ratios measured in one run much less). Each row runs ROUNDS times,
 * interleaved with the others (each beside the row it is compared with,
 * every other round in reverse), and the median is kept. A row's clock
 * starts once its guest has made its setup, and KVM's own rows run with
 * the shim's hooks unregistered.
 *
 *   shim-xen       xen_version in the shim's kernel path
 *   shim-hv        HvCallNotifyLongSpinWait in the shim's kernel path
 *   kvm-hv         the same call in KVM's own Hyper-V code (VM not attached)
 *   kvm-xen        xen_version through KVM's Xen uapi: KVM's own Xen code, or
 *                  where the kernel has none (6.1) the shim serving that
 *                  uapi; the output says which
 *   shim-user      a Xen call the shim sends to userspace (KVM_EXIT_XEN)
 *   native-loaded  an unknown hypercall on a VM that is not attached, no
 *                  VM attached (the shim's hooks are not registered then)
 *   native-beside  the same while another VM is attached (hooks registered)
 *   native-stock   the same with the module unloaded
 *   xen-yield      SCHEDOP_yield
 *   xen-send       EVTCHNOP_send on an IPI port (masked: no interrupt)
 *   xen-timer      VCPUOP_set_singleshot_timer (re-arming a far deadline)
 *   xen-poll       SCHEDOP_poll on a port already pending (no blocking)
 *   kvm-xen-*      the same four calls through KVM's Xen uapi (as kvm-xen),
 *                  the ports and timer set up through its attributes
 *   hv-flush       HvCallFlushVirtualAddressSpace, all processors (one vCPU)
 *   kvm-hv-flush   the same in KVM's own Hyper-V code
 *   hv-ipi         HvCallSendSyntheticClusterIpi (fast) to the caller itself
 *   kvm-hv-ipi     the same in KVM's own Hyper-V code
 *   hv-signal      HvCallSignalEvent (fast) on a connection bound to an eventfd
 *   kvm-hv-signal  the same with KVM's KVM_HYPERV_EVENTFD
 *   hv-user        HvCallSignalEvent on an unbound connection (KVM_EXIT_HYPERV)
 *   hv-timeref     a read of the TIME_REF_COUNT MSR (no TSC page)
 *   kvm-hv-timeref the same in KVM's own Hyper-V code
 */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <sys/eventfd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "abi.h"
#include "bench.h"
#include "insns.h"
#include "module.h"
#include "xenhv.h"
#include "xen_guest.h"

#define OS_ID	0x8100000000001234ull

uint64_t iters = 20000;

/*
 * --insns: calls per chunk. The guest stops (a SYNC) after every chunk of
 * calls, chunks of one and two units alternately; the marks at the stops
 * give each chunk's kernel instructions. What else the kernel ran during
 * a chunk (a tick, an interrupt, the other CPU) only adds to a count, so
 * the smallest of each size is the chunk's own, and their difference one
 * unit of calls without the stop's own cost (insns_table in
 * scripts/bench.sh). 0: no stops (the timed rows).
 */
uint64_t chunk;

struct guest_calls {
	uint64_t left, next, n;
	bool two;
};

static struct guest_calls guest_calls(uint64_t n)
{
	return (struct guest_calls){ .left = n, .next = chunk };
}

/* Whether another call is to be made; stops at the end of a chunk. */
static bool guest_call_next(struct guest_calls *c)
{
	if (!c->left)
		return false;
	if (chunk && c->n++ == c->next) {
		GUEST_SYNC(1);
		c->two = !c->two;
		c->next += c->two ? 2 * chunk : chunk;
	}
	c->left--;
	return true;
}

static void guest_xen_loop(uint64_t n, uint64_t nr)
{
	struct guest_calls c = guest_calls(n);

	GUEST_SYNC(0);
	while (guest_call_next(&c))
		guest_hypercall(nr, XENVER_version, 0, 0);
	GUEST_DONE();
}

static void guest_hv_loop(uint64_t n)
{
	struct guest_calls c = guest_calls(n);

	guest_wrmsr(HV_X64_MSR_GUEST_OS_ID, OS_ID);
	guest_wrmsr(HV_X64_MSR_HYPERCALL, VM_SCRATCH_GPA | HV_X64_MSR_HYPERCALL_ENABLE);
	GUEST_SYNC(0);
	while (guest_call_next(&c))
		guest_hv_hcall(HVCALL_NOTIFY_LONG_SPIN_WAIT | HV_HYPERCALL_FAST_BIT, 0, 0);
	GUEST_DONE();
}

enum mode {
	SHIM_XEN, SHIM_HV, KVM_HV, KVM_XEN, SHIM_USER, NATIVE_LOADED, NATIVE_BESIDE,
	XEN_YIELD, XEN_SEND, XEN_TIMER, XEN_POLL,
	HV_FLUSH, KVM_HV_FLUSH, HV_IPI, KVM_HV_IPI, HV_SIGNAL, KVM_HV_SIGNAL, HV_USER,
	KVM_XEN_YIELD, KVM_XEN_SEND, KVM_XEN_TIMER, KVM_XEN_POLL, HV_TIMEREF, KVM_HV_TIMEREF,
	NATIVE_STOCK, NR_MODES
};

static const char * const names[NR_MODES] = {
	"shim-xen", "shim-hv", "kvm-hv", "kvm-xen", "shim-user", "native-loaded", "native-beside",
	"xen-yield", "xen-send", "xen-timer", "xen-poll",
	"hv-flush", "kvm-hv-flush", "hv-ipi", "kvm-hv-ipi", "hv-signal", "kvm-hv-signal",
	"hv-user", "kvm-xen-yield", "kvm-xen-send", "kvm-xen-timer", "kvm-xen-poll",
	"hv-timeref", "kvm-hv-timeref", "native-stock",
};

#define KX_PORT		5	/* IPI-like port bound through KVM's attributes */
#define KX_TIMER_PORT	6

/* The Xen hot-path calls against KVM's own Xen code (set up by the host). */
static void guest_kvm_xen_hot(uint64_t n, uint64_t what)
{
	struct guest_calls c = guest_calls(n);
	struct evtchn_send send = { .port = KX_PORT };
	struct vcpu_set_singleshot_timer t = { .timeout_abs_ns = 1ull << 60 };
	struct sched_poll p = { .nr_ports = 1 };
	uint32_t port = KX_PORT;
	int64_t r = 0;

	xg_shinfo()->evtchn_mask[0] |= 1ull << KX_PORT;
	GUEST_ASSERT_EQ(xg_evtchn(EVTCHNOP_send, &send), 0);	/* now pending */
	set_xen_guest_handle(p.ports, &port);
	GUEST_SYNC(0);
	while (guest_call_next(&c)) {
		switch (what) {
		case KVM_XEN_YIELD:
			r = xg_call(__HYPERVISOR_sched_op, SCHEDOP_yield, 0, 0);
			break;
		case KVM_XEN_SEND:
			r = xg_evtchn(EVTCHNOP_send, &send);
			break;
		case KVM_XEN_TIMER:
			r = xg_call(__HYPERVISOR_vcpu_op, VCPUOP_set_singleshot_timer, 0,
				    (uint64_t)&t);
			break;
		case KVM_XEN_POLL:
			r = xg_call(__HYPERVISOR_sched_op, SCHEDOP_poll, (uint64_t)&p, 0);
			break;
		}
		GUEST_ASSERT_EQ(r, 0);
	}
	GUEST_DONE();
}

#define HV_CONN		1
#define HV_IN_GPA	(VM_SCRATCH_GPA + 0x1000)

/* The Hyper-V hot-path calls, as Linux makes them. */
static void guest_hv_hot(uint64_t n, uint64_t what)
{
	struct guest_calls c = guest_calls(n);
	uint64_t *in = (uint64_t *)HV_IN_GPA;
	uint64_t r = 0;

	guest_wrmsr(HV_X64_MSR_GUEST_OS_ID, OS_ID);
	guest_wrmsr(HV_X64_MSR_HYPERCALL, VM_SCRATCH_GPA | HV_X64_MSR_HYPERCALL_ENABLE);
	in[0] = 0;
	in[1] = HV_FLUSH_ALL_PROCESSORS;
	in[2] = 0;
	GUEST_SYNC(0);
	while (guest_call_next(&c)) {
		switch (what) {
		case HV_FLUSH:
		case KVM_HV_FLUSH:
			r = guest_hv_hcall(HVCALL_FLUSH_VIRTUAL_ADDRESS_SPACE, HV_IN_GPA, 0);
			break;
		case HV_IPI:
		case KVM_HV_IPI:
			r = guest_hv_hcall(HVCALL_SEND_IPI | HV_HYPERCALL_FAST_BIT, 0xf0, 1);
			break;
		case HV_TIMEREF:
		case KVM_HV_TIMEREF:
			/* 100 ns units since the VM's start: more than 0 (no error). */
			r = guest_rdmsr(HV_X64_MSR_TIME_REF_COUNT) ? HV_STATUS_SUCCESS : 1;
			break;
		default:
			r = guest_hv_hcall(HVCALL_SIGNAL_EVENT | HV_HYPERCALL_FAST_BIT, HV_CONN, 0);
		}
		GUEST_ASSERT_EQ(r & 0xffff, HV_STATUS_SUCCESS);
	}
	GUEST_DONE();
}

/* Returns the eventfd, for the caller to close once the VM is gone. */
static int hv_bind_eventfd(struct vm *vm, bool kvm)
{
	int efd = eventfd(0, EFD_CLOEXEC), dev = -1, ret;
	struct xenhv_hv_conn c = {
		.vm_fd = vm->fd, .flags = XENHV_CONN_EVENTFD, .conn_id = HV_CONN, .fd = efd,
	};
	struct kvm_hyperv_eventfd e = { .conn_id = HV_CONN, .fd = efd };

	if (efd < 0)
		TEST_FAIL("eventfd: %s", strerror(errno));
	if (kvm) {
		ret = ioctl(vm->fd, KVM_HYPERV_EVENTFD, &e);
	} else {
		/* An open control device holds the module: close it again. */
		dev = xenhv_open();
		ret = ioctl(dev, XENHV_HV_BIND_CONN, &c);
		close(dev);
	}
	if (ret)
		TEST_FAIL("binding connection %d: %s", HV_CONN, strerror(errno));
	return efd;
}

/* The Xen hot-path calls, after the setup a Linux guest makes. */
static void guest_xen_hot(uint64_t n, uint64_t what)
{
	struct guest_calls c = guest_calls(n);
	struct evtchn_bind_ipi bi = { .vcpu = 0 };
	struct evtchn_send send;
	struct vcpu_set_singleshot_timer t = { .timeout_abs_ns = 1ull << 60 };
	struct sched_poll p = { .nr_ports = 1 };
	uint32_t port;

	xg_setup_shinfo();
	GUEST_ASSERT_EQ(xg_evtchn(EVTCHNOP_bind_ipi, &bi), 0);
	port = bi.port;
	xg_shinfo()->evtchn_mask[port / 64] |= 1ull << (port % 64);
	send.port = port;
	GUEST_ASSERT_EQ(xg_evtchn(EVTCHNOP_send, &send), 0);	/* now pending */
	set_xen_guest_handle(p.ports, &port);
	GUEST_SYNC(0);
	while (guest_call_next(&c)) {
		switch (what) {
		case XEN_YIELD:
			xg_call(__HYPERVISOR_sched_op, SCHEDOP_yield, 0, 0);
			break;
		case XEN_SEND:
			xg_evtchn(EVTCHNOP_send, &send);
			break;
		case XEN_TIMER:
			xg_call(__HYPERVISOR_vcpu_op, VCPUOP_set_singleshot_timer, 0, (uint64_t)&t);
			break;
		case XEN_POLL:
			xg_call(__HYPERVISOR_sched_op, SCHEDOP_poll, (uint64_t)&p, 0);
			break;
		}
	}
	GUEST_DONE();
}

/*
 * --insns: the marker page, run right before and right after each row's
 * calls; QEMU's plugin (insns.c) notes its kernel instruction count then.
 */
static void (*insns_marker)(void);
static int insns_marks;

static void insns_mark(void)
{
	if (insns_marker) {
		insns_marker();
		insns_marks++;
	}
}

static void insns_setup(void)
{
	unsigned char *p = mmap((void *)XENHV_INSNS_MARKER, 4096,
				PROT_READ | PROT_WRITE | PROT_EXEC,
				MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);

	if (p != (void *)XENHV_INSNS_MARKER)
		TEST_FAIL("mapping the marker page: %s", strerror(errno));
	p[0] = 0xc3;	/* ret */
	insns_marker = (void (*)(void))p;
}

double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/*
 * Whether the shim holds @vm: on a kernel without KVM's own Xen the shim
 * serves KVM's Xen uapi, and the kvm-xen rows measure that door of it.
 */
static bool kvm_xen_by_shim;

static bool shim_attached(struct vm *vm)
{
	struct xenhv_vm_stats *st = calloc(1, sizeof(*st));
	int dev = xenhv_open();
	bool ret;

	if (!st)
		TEST_FAIL("out of memory");
	st->vm_fd = vm->fd;
	ret = !ioctl(dev, XENHV_GET_VM_STATS, st) && st->abi == XENHV_ABI_XEN;
	close(dev);
	free(st);
	return ret;
}

static int kvm_xen_setup(struct vm *vm)
{
	struct kvm_xen_hvm_config cfg = {
		.flags = KVM_XEN_HVM_CONFIG_INTERCEPT_HCALL | KVM_XEN_HVM_CONFIG_EVTCHN_SEND,
		.msr = 0x40000200,
	};
	struct kvm_xen_hvm_attr a = {
		.type = KVM_XEN_ATTR_TYPE_XEN_VERSION, .u.xen_version = (4 << 16) | 16,
	};

	if (!(kvm_check_cap(KVM_CAP_XEN_HVM) & KVM_XEN_HVM_CONFIG_EVTCHN_SEND))
		return -1;
	if (ioctl(vm->fd, KVM_XEN_HVM_CONFIG, &cfg) || ioctl(vm->fd, KVM_XEN_HVM_SET_ATTR, &a))
		TEST_FAIL("KVM Xen setup");
	kvm_xen_by_shim = shim_attached(vm);
	return 0;
}

/* shared_info, vcpu_info, an event port and the timer, as a VMM sets them. */
static int kvm_xen_hot_setup(struct vm *vm, struct vcpu *vcpu)
{
	struct kvm_xen_hvm_attr a = { .type = KVM_XEN_ATTR_TYPE_SHARED_INFO };
	struct kvm_xen_vcpu_attr v = { .type = KVM_XEN_VCPU_ATTR_TYPE_VCPU_INFO };

	if (kvm_xen_setup(vm))
		return -1;
	a.u.shared_info.gfn = XG_SHINFO_GPA >> 12;
	if (ioctl(vm->fd, KVM_XEN_HVM_SET_ATTR, &a))
		TEST_FAIL("KVM_XEN_ATTR_TYPE_SHARED_INFO: %s", strerror(errno));
	v.u.gpa = XG_VINFO_GPA;
	if (ioctl(vcpu->fd, KVM_XEN_VCPU_SET_ATTR, &v))
		TEST_FAIL("KVM_XEN_VCPU_ATTR_TYPE_VCPU_INFO: %s", strerror(errno));
	v = (struct kvm_xen_vcpu_attr){ .type = KVM_XEN_VCPU_ATTR_TYPE_VCPU_ID };
	if (ioctl(vcpu->fd, KVM_XEN_VCPU_SET_ATTR, &v))
		TEST_FAIL("KVM_XEN_VCPU_ATTR_TYPE_VCPU_ID: %s", strerror(errno));
	v = (struct kvm_xen_vcpu_attr){ .type = KVM_XEN_VCPU_ATTR_TYPE_TIMER };
	v.u.timer.port = KX_TIMER_PORT;
	v.u.timer.priority = KVM_IRQ_ROUTING_XEN_EVTCHN_PRIO_2LEVEL;
	if (ioctl(vcpu->fd, KVM_XEN_VCPU_SET_ATTR, &v))
		TEST_FAIL("KVM_XEN_VCPU_ATTR_TYPE_TIMER: %s", strerror(errno));
	a = (struct kvm_xen_hvm_attr){ .type = KVM_XEN_ATTR_TYPE_EVTCHN };
	a.u.evtchn.send_port = KX_PORT;
	a.u.evtchn.type = EVTCHNSTAT_ipi;
	a.u.evtchn.deliver.port.port = KX_PORT;
	a.u.evtchn.deliver.port.vcpu = 0;
	a.u.evtchn.deliver.port.priority = KVM_IRQ_ROUTING_XEN_EVTCHN_PRIO_2LEVEL;
	if (ioctl(vm->fd, KVM_XEN_HVM_SET_ATTR, &a))
		TEST_FAIL("KVM_XEN_ATTR_TYPE_EVTCHN: %s", strerror(errno));
	return 0;
}

/* The hooks go a second after the last attached VM. */
static void wait_unhooked(void)
{
	if (xenhv_fn_traced_after("kvm_emulate_hypercall", false))
		TEST_FAIL("the shim's hooks stay registered with no VM attached");
}

/*
 * KVM's own rows run with the shim's hooks gone, as on a host without an
 * attached VM: a row of the shim's before leaves them registered for a
 * second, and their removal would land in the row.
 */
static bool kvm_own(enum mode m)
{
	switch (m) {
	case KVM_HV:
	case KVM_XEN:
	case KVM_HV_FLUSH:
	case KVM_HV_IPI:
	case KVM_HV_SIGNAL:
	case KVM_HV_TIMEREF:
	case KVM_XEN_YIELD:
	case KVM_XEN_SEND:
	case KVM_XEN_TIMER:
	case KVM_XEN_POLL:
	case NATIVE_LOADED:
		return true;
	default:
		return false;
	}
}

/* One timed run; returns calls per second, or 0 if the mode is unavailable. */
static double run_mode(enum mode m)
{
	struct vm *vm = vm_create(&(struct vm_opts){ .irqchip = true });
	struct vm *beside = NULL;
	struct vcpu *vcpu;
	uint64_t exits = 0;
	struct ucall uc;
	int efd = -1, cmd;
	double t0, t;

	switch (m) {
	case XEN_YIELD:
	case XEN_SEND:
	case XEN_TIMER:
	case XEN_POLL:
		vcpu = vm_add_vcpu(vm, guest_xen_hot);
		vcpu_set_args(vcpu, 2, iters, (uint64_t)m);
		xenhv_attach_ok(vm, XENHV_ABI_XEN, 0);
		break;
	case KVM_XEN_YIELD:
	case KVM_XEN_SEND:
	case KVM_XEN_TIMER:
	case KVM_XEN_POLL:
		vcpu = vm_add_vcpu(vm, guest_kvm_xen_hot);
		vcpu_set_args(vcpu, 2, iters, (uint64_t)m);
		if (kvm_xen_hot_setup(vm, vcpu)) {
			vm_destroy(vm);
			return 0;
		}
		break;
	case HV_FLUSH:
	case HV_IPI:
	case HV_SIGNAL:
	case HV_USER:
	case HV_TIMEREF:
		vcpu = vm_add_vcpu(vm, guest_hv_hot);
		vcpu_set_args(vcpu, 2, iters, (uint64_t)m);
		xenhv_attach_ok(vm, XENHV_ABI_HYPERV, 0);
		if (m == HV_SIGNAL)
			efd = hv_bind_eventfd(vm, false);
		break;
	case KVM_HV_FLUSH:
	case KVM_HV_IPI:
	case KVM_HV_SIGNAL:
	case KVM_HV_TIMEREF:
		vcpu = vm_add_vcpu(vm, guest_hv_hot);
		vcpu_set_args(vcpu, 2, iters, (uint64_t)m);
		vcpu_set_kvm_hyperv_cpuid(vcpu);
		if (m == KVM_HV_SIGNAL)
			efd = hv_bind_eventfd(vm, true);
		break;
	case SHIM_HV:
	case KVM_HV:
		vcpu = vm_add_vcpu(vm, guest_hv_loop);
		vcpu_set_args(vcpu, 1, iters);
		if (m == SHIM_HV)
			xenhv_attach_ok(vm, XENHV_ABI_HYPERV, 0);
		else
			vcpu_set_kvm_hyperv_cpuid(vcpu);
		break;
	default:
		vcpu = vm_add_vcpu(vm, guest_xen_loop);
		vcpu_set_args(vcpu, 2, iters, m == SHIM_USER ? (uint64_t)__HYPERVISOR_console_io :
			      (uint64_t)__HYPERVISOR_xen_version);
		if (m == SHIM_XEN || m == SHIM_USER)
			xenhv_attach_ok(vm, XENHV_ABI_XEN, 0);
		if (m == KVM_XEN && kvm_xen_setup(vm)) {
			vm_destroy(vm);
			return 0;
		}
		if (m == NATIVE_BESIDE) {
			beside = vm_create(NULL);
			xenhv_attach_ok(beside, XENHV_ABI_XEN, 0);
		}
	}
	/*
	 * The clock starts when the guest has made its setup (the SYNC): the
	 * calls a guest of the shim's Xen makes to register its shared pages
	 * and ports are the VMM's ioctls for KVM's own Xen, made before.
	 */
	sync_global_to_guest(vm, chunk);
	t0 = 0;
	for (;;) {
		vcpu_run(vcpu);
		if (vcpu->run->exit_reason == KVM_EXIT_XEN) {
			vcpu->run->xen.u.hcall.result = 0;
			exits++;
			continue;
		}
		if (vcpu->run->exit_reason == KVM_EXIT_HYPERV) {
			vcpu->run->hyperv.u.hcall.result = HV_STATUS_SUCCESS;
			exits++;
			continue;
		}
		cmd = vcpu_get_ucall(vcpu, &uc);
		if (cmd == UCALL_SYNC && !t0) {
			exits = 0;
			insns_mark();
			t0 = now();
			continue;
		}
		if (cmd == UCALL_SYNC && uc.args[0] == 1) {
			insns_mark();
			continue;
		}
		if (cmd == UCALL_DONE && t0)
			break;
		if (cmd == UCALL_ABORT)
			report_guest_abort(vcpu, &uc);
		TEST_FAIL("%s: unexpected exit %s", names[m], exit_reason_str(vcpu->run->exit_reason));
	}
	t = now() - t0;
	insns_mark();
	if (m >= KVM_XEN_YIELD && m <= KVM_XEN_POLL && exits) {
		/* This KVM sends the call to userspace: no in-kernel path to compare. */
		vm_destroy(vm);
		return 0;
	}
	if ((m == SHIM_USER || m == HV_USER) ? exits != iters : exits != 0)
		TEST_FAIL("%s: %lu userspace exits for %lu calls", names[m], exits, iters);
	vm_destroy(vm);
	if (beside)
		vm_destroy(beside);
	if (efd >= 0)
		close(efd);
	return iters / t;
}

/*
 * The order of a round: each row beside the one it is compared with, and
 * every other round backwards, so that a drift of the machine's speed over
 * a round weighs on both rows of a ratio alike. native-stock runs after the
 * round, with the module unloaded.
 */
static const enum mode order[] = {
	SHIM_XEN, KVM_XEN, SHIM_HV, KVM_HV, XEN_YIELD, KVM_XEN_YIELD, XEN_SEND, KVM_XEN_SEND,
	XEN_TIMER, KVM_XEN_TIMER, XEN_POLL, KVM_XEN_POLL, HV_FLUSH, KVM_HV_FLUSH, HV_IPI,
	KVM_HV_IPI, HV_SIGNAL, KVM_HV_SIGNAL, HV_TIMEREF, KVM_HV_TIMEREF, SHIM_USER, HV_USER,
	NATIVE_BESIDE, NATIVE_LOADED,
};

#define NR_ORDER	((int)ARRAY_SIZE(order))
static_assert(ARRAY_SIZE(order) + 1 == NR_MODES, "every row but native-stock in the order");

/*
 * --insns: row @m, printed as @name's. A row that did not run (0 calls/s)
 * leaves all its marks or none.
 */
static void insns_row(enum mode m, enum mode name)
{
	int first = insns_marks, want = 2, got;
	uint64_t n, next = chunk;
	bool two = false;
	double rate;

	for (n = 0; n < iters; n++) {
		if (n == next) {
			want++;
			two = !two;
			next += two ? 2 * chunk : chunk;
		}
	}
	rate = run_mode(m);
	got = insns_marks - first;
	if (got != want && (rate || got))
		TEST_FAIL("%s: %d marks, not %d", names[m], got, want);
	if (rate)
		printf("insns-chunks %s %lu %d %d\n", names[name], chunk, first, want);
}

int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	double r[NR_MODES][ROUNDS], med[NR_MODES];
	int m, i, j, have_module = xenhv_module_loaded();

	bool scale = true;

	if (argc > 1 && !strcmp(argv[1], "--no-scaling")) {
		scale = false;
		argc--;
		argv++;
	}
	/* --only MODE [ITERS]: that row alone, once (for profiling). */
	if (argc > 2 && !strcmp(argv[1], "--only")) {
		for (m = 0; m < NR_MODES && strcmp(names[m], argv[2]); m++)
			;
		if (m >= NR_MODES || m == NATIVE_STOCK) {
			fprintf(stderr, "xenhv-bench: no row %s\n", argv[2]);
			return 2;
		}
		if (argc > 3)
			iters = strtoull(argv[3], NULL, 0);
		printf("%s %.0f calls/s\n", names[m], run_mode(m));
		return 0;
	}
	/*
	 * --insns [ITERS [CHUNK]]: each row once, its calls in chunks, for make
	 * bench's instruction counts; a line per row that ran names it, its
	 * chunk, its first mark and its number of marks.
	 */
	if (argc > 1 && !strcmp(argv[1], "--insns")) {
		if (argc > 2)
			iters = strtoull(argv[2], NULL, 0);
		chunk = argc > 3 ? strtoull(argv[3], NULL, 0) : 5;
		if (!chunk || iters < 12 * chunk) {
			fprintf(stderr, "xenhv-bench: --insns needs a chunk and 12 chunks of calls\n");
			return 2;
		}
		if (!have_module) {
			fprintf(stderr, "xenhv-bench: the module must be loaded\n");
			return 1;
		}
		insns_setup();
		for (j = 0; j < NR_ORDER; j++) {
			m = order[j];
			if (kvm_own(m))
				wait_unhooked();
			insns_row(m, m);
		}
		/* native-stock: the same call as native-loaded, module unloaded. */
		if (xenhv_module_unload() == 0) {
			insns_row(NATIVE_LOADED, NATIVE_STOCK);
			if (xenhv_module_load(NULL))
				TEST_FAIL("reloading the module failed");
		}
		return 0;
	}
	if (argc > 1)
		iters = strtoull(argv[1], NULL, 0);
	if (!have_module) {
		fprintf(stderr, "xenhv-bench: the module must be loaded\n");
		return 1;
	}
	for (i = 0; i < ROUNDS; i++) {
		for (j = 0; j < NR_ORDER; j++) {
			m = order[i % 2 ? NR_ORDER - 1 - j : j];
			if (kvm_own(m))
				wait_unhooked();
			r[m][i] = run_mode(m);
		}
		/*
		 * The hook's cost: the same run with the module unloaded. Loading
		 * and unloading patch kernel text, which under TCG throws away
		 * translated code: an untimed run first lets it settle.
		 */
		if (xenhv_module_unload() == 0) {
			run_mode(NATIVE_LOADED);
			r[NATIVE_STOCK][i] = run_mode(NATIVE_LOADED);
			if (xenhv_module_load(NULL))
				TEST_FAIL("reloading the module failed");
			run_mode(NATIVE_LOADED);
		} else {
			r[NATIVE_STOCK][i] = 0;
		}
	}
	printf("calls/s, median of %d interleaved rounds of %lu calls:\n", ROUNDS, iters);
	for (m = 0; m < NR_MODES; m++) {
		qsort(r[m], ROUNDS, sizeof(double), cmp_double);
		med[m] = r[m][ROUNDS / 2];
		if (med[m])
			printf("  %-14s %9.0f  (min %.0f, max %.0f)\n", names[m], med[m], r[m][0],
			       r[m][ROUNDS - 1]);
		else
			printf("  %-14s %9s\n", names[m], "n/a");
	}
	printf("ratios:\n");
#define RATIO(a, b, what)						\
	do {								\
		if (med[a] && med[b])					\
			printf("  %-44s %.2f\n", what, med[a] / med[b]); \
	} while (0)
	RATIO(SHIM_HV, KVM_HV, "shim-hv / kvm-hv (same call, KVM's own code)");
	RATIO(SHIM_XEN, KVM_XEN, "shim-xen / kvm-xen (same call, KVM's own code)");
	RATIO(SHIM_XEN, KVM_HV, "shim-xen / kvm-hv (in-kernel call vs KVM's)");
	RATIO(SHIM_XEN, SHIM_USER, "shim-xen / shim-user (kernel vs userspace exit)");
	RATIO(NATIVE_LOADED, NATIVE_STOCK, "native-loaded / native-stock (no VM attached)");
	RATIO(NATIVE_BESIDE, NATIVE_STOCK, "native-beside / native-stock (VMs attached)");
	RATIO(XEN_YIELD, SHIM_USER, "xen-yield / shim-user");
	RATIO(XEN_SEND, SHIM_USER, "xen-send / shim-user");
	RATIO(XEN_TIMER, SHIM_USER, "xen-timer / shim-user");
	RATIO(XEN_POLL, SHIM_USER, "xen-poll / shim-user");
	RATIO(XEN_SEND, KVM_HV, "xen-send / kvm-hv (KVM's own in-kernel call)");
	RATIO(XEN_YIELD, KVM_XEN_YIELD, "xen-yield / kvm-xen-yield");
	RATIO(XEN_SEND, KVM_XEN_SEND, "xen-send / kvm-xen-send");
	RATIO(XEN_TIMER, KVM_XEN_TIMER, "xen-timer / kvm-xen-timer");
	RATIO(XEN_POLL, KVM_XEN_POLL, "xen-poll / kvm-xen-poll");
	RATIO(HV_FLUSH, KVM_HV_FLUSH, "hv-flush / kvm-hv-flush");
	RATIO(HV_IPI, KVM_HV_IPI, "hv-ipi / kvm-hv-ipi");
	RATIO(HV_SIGNAL, KVM_HV_SIGNAL, "hv-signal / kvm-hv-signal");
	RATIO(HV_TIMEREF, KVM_HV_TIMEREF, "hv-timeref / kvm-hv-timeref");
	RATIO(SHIM_HV, HV_USER, "shim-hv (spin wait) / hv-user");
	RATIO(HV_FLUSH, HV_USER, "hv-flush / hv-user");
	RATIO(HV_IPI, HV_USER, "hv-ipi / hv-user");
	RATIO(HV_SIGNAL, HV_USER, "hv-signal / hv-user (kernel vs userspace exit)");
	if (med[KVM_XEN])
		printf("kvm-xen rows: %s\n", kvm_xen_by_shim ?
		       "this kernel has no Xen of its own; they are the shim through KVM's Xen uapi" :
		       "KVM's own Xen");
	fflush(stdout);
	if (scale)
		bench_scaling();
	return 0;
}
