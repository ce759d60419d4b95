// SPDX-License-Identifier: GPL-2.0
/*
 * KVM's own Xen uapi, as a VMM with Xen emulation uses it (QEMU's order:
 * KVM_CAP_XEN_HVM, KVM_XEN_HVM_CONFIG, the VM's and the vCPUs' attributes,
 * hypercalls as KVM_EXIT_XEN), with good and bad input. On a kernel without
 * CONFIG_KVM_XEN the shim serves it (xen_uapi=1); on one with it, KVM's
 * own code is the control, and every check here holds for both.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "module.h"
#include "vm.h"
#include "xen_guest.h"
#include "xenhv.h"

#define XEN_MSR		0x40000000
#define HCALL_GPA	(VM_SCRATCH_GPA + 0x30000)
#define TIME_GPA	(VM_SCRATCH_GPA + 0x40000)
#define RS_GPA		(VM_SCRATCH_GPA + 0x50040)
#define RS_STRADDLE	(VM_SCRATCH_GPA + 0x51ff0)	/* 16 bytes, then the next page */
#define OUTSIDE_GPA	(1ull << 40)			/* no memory there */
#define NEEDED		(KVM_XEN_HVM_CONFIG_HYPERCALL_MSR | \
			 KVM_XEN_HVM_CONFIG_INTERCEPT_HCALL | KVM_XEN_HVM_CONFIG_SHARED_INFO)
#define PARAM		"/sys/module/" XENHV_MODNAME "/parameters/xen_uapi"
#define NO_GPA		((uint64_t)-1)
#define CLOCK_AT	(1000ull * 1000000000ull)	/* kvmclock set to 1000 s */

static char param_was;

static void param_write(char c)
{
	FILE *f = fopen(PARAM, "w");

	if (f) {
		fputc(c, f);
		fclose(f);
	}
}

/* The shim's door open, where the shim serves the uapi; main() restores it. */
static void uapi_open(void)
{
	param_write('1');
}


static void require_uapi(void)
{
	int caps;

	uapi_open();
	caps = kvm_check_cap(KVM_CAP_XEN_HVM);
	if ((caps & NEEDED) != NEEDED)
		SKIP("neither KVM nor the shim serves KVM's Xen uapi here (caps %#x)", caps);
}

/* The VM's ABI in the shim; native when the shim never had it. */
static uint32_t vm_abi(struct vm *vm)
{
	struct xenhv_vm_stats *st = calloc(1, sizeof(*st));
	int dev = xenhv_open(), ret;
	uint32_t abi;

	TEST_ASSERT(st, "out of memory");
	st->vm_fd = vm->fd;
	ret = ioctl(dev, XENHV_GET_VM_STATS, st) ? -errno : 0;
	close(dev);
	TEST_ASSERT(!ret || ret == -ENOENT, "XENHV_GET_VM_STATS: %s", strerror(-ret));
	abi = ret ? XENHV_ABI_NATIVE : st->abi;
	free(st);
	return abi;
}

static int vm_attr(struct vm *vm, unsigned long cmd, struct kvm_xen_hvm_attr *a)
{
	return ioctl(vm->fd, cmd, a) ? -errno : 0;
}

static int vcpu_attr(struct vcpu *vcpu, unsigned long cmd, struct kvm_xen_vcpu_attr *a)
{
	return ioctl(vcpu->fd, cmd, a) ? -errno : 0;
}

static struct vm *uapi_vm(void *guest, struct vcpu **vcpu)
{
	struct kvm_xen_hvm_config cfg = {
		.flags = KVM_XEN_HVM_CONFIG_INTERCEPT_HCALL, .msr = XEN_MSR,
	};
	struct kvm_clock_data clk = { .clock = CLOCK_AT };
	struct vm *vm = vm_create(NULL);

	*vcpu = vm_add_vcpu(vm, guest);
	TEST_ASSERT(!ioctl(vm->fd, KVM_XEN_HVM_CONFIG, &cfg), "KVM_XEN_HVM_CONFIG: %s",
		    strerror(errno));
	/* kvmclock far from the VM's age: a clock of the shim's own would show. */
	TEST_ASSERT(!ioctl(vm->fd, KVM_SET_CLOCK, &clk), "KVM_SET_CLOCK: %s", strerror(errno));
	return vm;
}

XTEST(capability)
{
	require_uapi();
	TEST_ASSERT_EQ(kvm_check_cap(KVM_CAP_XEN_HVM) & NEEDED, NEEDED);
}

XTEST(config_rejects_bad_input)
{
	struct kvm_xen_hvm_config cfg = { .flags = 1u << 30, .msr = XEN_MSR };
	struct vm *vm;

	require_uapi();
	vm = vm_create(NULL);
	TEST_ASSERT_EQ(ioctl(vm->fd, KVM_XEN_HVM_CONFIG, &cfg) ? -errno : 0, -EINVAL);
	cfg.flags = KVM_XEN_HVM_CONFIG_INTERCEPT_HCALL;
	cfg.blob_size_64 = 1;
	TEST_ASSERT_EQ(ioctl(vm->fd, KVM_XEN_HVM_CONFIG, &cfg) ? -errno : 0, -EINVAL);
	cfg.blob_size_64 = 0;
	TEST_ASSERT_EQ(ioctl(vm->fd, KVM_XEN_HVM_CONFIG, &cfg), 0);
	/* Again, as QEMU does on a second init: still fine. */
	TEST_ASSERT_EQ(ioctl(vm->fd, KVM_XEN_HVM_CONFIG, &cfg), 0);
	/* Xen off: the VM is stock KVM again, and off twice is fine too. */
	cfg = (struct kvm_xen_hvm_config){};
	TEST_ASSERT_EQ(ioctl(vm->fd, KVM_XEN_HVM_CONFIG, &cfg) ? -errno : 0, 0);
	TEST_ASSERT_EQ(vm_abi(vm), XENHV_ABI_NATIVE);
	TEST_ASSERT_EQ(ioctl(vm->fd, KVM_XEN_HVM_CONFIG, &cfg) ? -errno : 0, 0);
	vm_destroy(vm);
}

XTEST(vm_attributes)
{
	struct kvm_xen_hvm_attr a = { .type = KVM_XEN_ATTR_TYPE_LONG_MODE, .u.long_mode = 1 };
	struct vcpu *vcpu;
	struct vm *vm;
	struct shared_info *s;

	require_uapi();
	vm = uapi_vm(NULL, &vcpu);
	TEST_ASSERT_EQ(vm_attr(vm, KVM_XEN_HVM_SET_ATTR, &a), 0);
	memset(&a.u, 0, sizeof(a.u));
	TEST_ASSERT_EQ(vm_attr(vm, KVM_XEN_HVM_GET_ATTR, &a), 0);
	TEST_ASSERT_EQ(a.u.long_mode, 1);

	a.type = KVM_XEN_ATTR_TYPE_SHARED_INFO;
	a.u.shared_info.gfn = XG_SHINFO_GPA >> 12;
	TEST_ASSERT_EQ(vm_attr(vm, KVM_XEN_HVM_SET_ATTR, &a), 0);
	memset(&a.u, 0, sizeof(a.u));
	TEST_ASSERT_EQ(vm_attr(vm, KVM_XEN_HVM_GET_ATTR, &a), 0);
	TEST_ASSERT_EQ(a.u.shared_info.gfn, XG_SHINFO_GPA >> 12);
	/* The wallclock: real time at kvmclock 0, some 1000 s ago. */
	s = vm_gpa_to_hva(vm, XG_SHINFO_GPA, 4096);
	TEST_ASSERT(!(s->wc.version & 1) && s->wc.version, "wallclock version %u", s->wc.version);
	TEST_ASSERT((uint64_t)time(NULL) - s->wc.sec >= 990 &&
		    (uint64_t)time(NULL) - s->wc.sec <= 1010,
		    "wallclock %u s, now %lu s", s->wc.sec, (unsigned long)time(NULL));
	a.u.shared_info.gfn = NO_GPA;
	TEST_ASSERT_EQ(vm_attr(vm, KVM_XEN_HVM_SET_ATTR, &a), 0);
	TEST_ASSERT_EQ(vm_attr(vm, KVM_XEN_HVM_GET_ATTR, &a), 0);
	TEST_ASSERT_EQ(a.u.shared_info.gfn, NO_GPA);

	a.type = KVM_XEN_ATTR_TYPE_UPCALL_VECTOR;
	a.u.vector = XG_UPCALL_VEC;
	TEST_ASSERT_EQ(vm_attr(vm, KVM_XEN_HVM_SET_ATTR, &a), 0);
	a.u.vector = 0;
	TEST_ASSERT_EQ(vm_attr(vm, KVM_XEN_HVM_GET_ATTR, &a), 0);
	TEST_ASSERT_EQ(a.u.vector, XG_UPCALL_VEC);
	a.u.vector = 5;		/* an exception vector */
	TEST_ASSERT_EQ(vm_attr(vm, KVM_XEN_HVM_SET_ATTR, &a), -EINVAL);

	/* An unknown type, as KVM answers it. */
	a.type = 0x7777;
	TEST_ASSERT_EQ(vm_attr(vm, KVM_XEN_HVM_SET_ATTR, &a), -ENOENT);
	TEST_ASSERT_EQ(vm_attr(vm, KVM_XEN_HVM_GET_ATTR, &a), -ENOENT);
	/* An unreadable argument. */
	TEST_ASSERT_EQ(ioctl(vm->fd, KVM_XEN_HVM_SET_ATTR, (void *)8) ? -errno : 0, -EFAULT);
	vm_destroy(vm);
}

XTEST(vcpu_attributes)
{
	struct kvm_xen_vcpu_attr a = { .type = KVM_XEN_VCPU_ATTR_TYPE_VCPU_INFO };
	struct vcpu *vcpu;
	struct vm *vm;

	require_uapi();
	vm = uapi_vm(NULL, &vcpu);
	TEST_ASSERT_EQ(vcpu_attr(vcpu, KVM_XEN_VCPU_GET_ATTR, &a), 0);
	TEST_ASSERT_EQ(a.u.gpa, NO_GPA);
	a.u.gpa = XG_VINFO_GPA + 0x40;
	TEST_ASSERT_EQ(vcpu_attr(vcpu, KVM_XEN_VCPU_SET_ATTR, &a), 0);
	a.u.gpa = 0;
	TEST_ASSERT_EQ(vcpu_attr(vcpu, KVM_XEN_VCPU_GET_ATTR, &a), 0);
	TEST_ASSERT_EQ(a.u.gpa, XG_VINFO_GPA + 0x40);
	/* A vcpu_info across a page boundary. */
	a.u.gpa = XG_VINFO_GPA + 0xfc8;
	TEST_ASSERT_EQ(vcpu_attr(vcpu, KVM_XEN_VCPU_SET_ATTR, &a), -EINVAL);
	a.u.gpa = NO_GPA;
	TEST_ASSERT_EQ(vcpu_attr(vcpu, KVM_XEN_VCPU_SET_ATTR, &a), 0);
	TEST_ASSERT_EQ(vcpu_attr(vcpu, KVM_XEN_VCPU_GET_ATTR, &a), 0);
	TEST_ASSERT_EQ(a.u.gpa, NO_GPA);

	a.type = KVM_XEN_VCPU_ATTR_TYPE_VCPU_TIME_INFO;
	a.u.gpa = TIME_GPA;
	TEST_ASSERT_EQ(vcpu_attr(vcpu, KVM_XEN_VCPU_SET_ATTR, &a), 0);
	a.u.gpa = 0;
	TEST_ASSERT_EQ(vcpu_attr(vcpu, KVM_XEN_VCPU_GET_ATTR, &a), 0);
	TEST_ASSERT_EQ(a.u.gpa, TIME_GPA);
	a.u.gpa = TIME_GPA + 0xff0;
	TEST_ASSERT_EQ(vcpu_attr(vcpu, KVM_XEN_VCPU_SET_ATTR, &a), -EINVAL);

	a.type = 0x7777;
	TEST_ASSERT_EQ(vcpu_attr(vcpu, KVM_XEN_VCPU_SET_ATTR, &a), -ENOENT);
	/* Everything left set, for teardown. */
	a.type = KVM_XEN_VCPU_ATTR_TYPE_VCPU_INFO;
	a.u.gpa = XG_VINFO_GPA + 0x40;
	TEST_ASSERT_EQ(vcpu_attr(vcpu, KVM_XEN_VCPU_SET_ATTR, &a), 0);
	vm_destroy(vm);
}

/* Whether KVM's own Xen serves the uapi here (the shim's door closed shows it). */
static int kvm_serves_xen(void)
{
	int own;

	param_write('0');
	own = kvm_check_cap(KVM_CAP_XEN_HVM) != 0;
	uapi_open();
	return own;
}

static int rs_data(struct vcpu *vcpu, uint16_t type, uint64_t state, uint64_t run,
		   uint64_t runnable, uint64_t blocked, uint64_t offline, uint64_t entry)
{
	struct kvm_xen_vcpu_attr a = { .type = type };

	a.u.runstate.state = state;
	a.u.runstate.time_running = run;
	a.u.runstate.time_runnable = runnable;
	a.u.runstate.time_blocked = blocked;
	a.u.runstate.time_offline = offline;
	a.u.runstate.state_entry_time = entry;
	return vcpu_attr(vcpu, KVM_XEN_VCPU_SET_ATTR, &a);
}

static void rs_get(struct vcpu *vcpu, struct kvm_xen_vcpu_attr *a)
{
	memset(a, 0, sizeof(*a));
	a->type = KVM_XEN_VCPU_ATTR_TYPE_RUNSTATE_DATA;
	TEST_ASSERT_EQ(vcpu_attr(vcpu, KVM_XEN_VCPU_GET_ATTR, a), 0);
	TEST_ASSERT_EQ(a->u.runstate.state_entry_time,
		       a->u.runstate.time_running + a->u.runstate.time_runnable +
		       a->u.runstate.time_blocked + a->u.runstate.time_offline);
}

/*
 * Runstate areas (KVM_XEN_HVM_CONFIG_RUNSTATE): the address, in one page
 * or across two; the current state and the times set, read back, adjusted
 * and written into the guest's area, with KVM's checks (the times add up
 * to the entry time, which is not ahead of kvmclock).
 */
XTEST(runstate_attributes)
{
	struct kvm_xen_hvm_attr lm = { .type = KVM_XEN_ATTR_TYPE_LONG_MODE, .u.long_mode = 1 };
	struct kvm_xen_vcpu_attr a = { .type = KVM_XEN_VCPU_ATTR_TYPE_RUNSTATE_ADDR };
	const uint16_t DATA = KVM_XEN_VCPU_ATTR_TYPE_RUNSTATE_DATA;
	const uint16_t ADJ = KVM_XEN_VCPU_ATTR_TYPE_RUNSTATE_ADJUST;
	struct vcpu_runstate_info *rs;
	struct kvm_clock_data clk;
	struct vcpu *vcpu;
	struct vm *vm;
	int own;

	require_uapi();
	if (!(kvm_check_cap(KVM_CAP_XEN_HVM) & KVM_XEN_HVM_CONFIG_RUNSTATE))
		SKIP("KVM_XEN_HVM_CONFIG_RUNSTATE not offered");
	own = kvm_serves_xen();
	vm = uapi_vm(NULL, &vcpu);
	/* The 64-bit layout, which the shim keeps and KVM uses in long mode. */
	TEST_ASSERT_EQ(vm_attr(vm, KVM_XEN_HVM_SET_ATTR, &lm), 0);

	/* No area reads as ENOENT (KVM's answer, unlike the other areas'). */
	TEST_ASSERT_EQ(vcpu_attr(vcpu, KVM_XEN_VCPU_GET_ATTR, &a), -ENOENT);
	a.u.gpa = RS_GPA;
	TEST_ASSERT_EQ(vcpu_attr(vcpu, KVM_XEN_VCPU_SET_ATTR, &a), 0);
	a.u.gpa = 0;
	TEST_ASSERT_EQ(vcpu_attr(vcpu, KVM_XEN_VCPU_GET_ATTR, &a), 0);
	TEST_ASSERT_EQ(a.u.gpa, RS_GPA);
	/* Refused, which drops the area set before. */
	a.u.gpa = OUTSIDE_GPA;
	TEST_ASSERT_EQ(vcpu_attr(vcpu, KVM_XEN_VCPU_SET_ATTR, &a), -EFAULT);
	TEST_ASSERT_EQ(vcpu_attr(vcpu, KVM_XEN_VCPU_GET_ATTR, &a), -ENOENT);
	a.u.gpa = VM_DEFAULT_MEM - 0x10;	/* its second page past the VM's memory */
	TEST_ASSERT_EQ(vcpu_attr(vcpu, KVM_XEN_VCPU_SET_ATTR, &a), -EFAULT);
	/* Across a page boundary, as Linux's per-CPU area may lie. */
	a.u.gpa = RS_STRADDLE;
	TEST_ASSERT_EQ(vcpu_attr(vcpu, KVM_XEN_VCPU_SET_ATTR, &a), 0);
	TEST_ASSERT_EQ(vcpu_attr(vcpu, KVM_XEN_VCPU_GET_ATTR, &a), 0);
	TEST_ASSERT_EQ(a.u.gpa, RS_STRADDLE);

	/* Times that do not add up, a state past offline, an entry ahead of kvmclock. */
	TEST_ASSERT_EQ(rs_data(vcpu, DATA, RUNSTATE_running, 100, 200, 300, 400, 999), -EINVAL);
	TEST_ASSERT_EQ(rs_data(vcpu, DATA, RUNSTATE_offline + 1, 100, 200, 300, 400, 1000),
		       -EINVAL);
	TEST_ASSERT(!ioctl(vm->fd, KVM_GET_CLOCK, &clk), "KVM_GET_CLOCK");
	TEST_ASSERT_EQ(rs_data(vcpu, DATA, RUNSTATE_running, clk.clock + 3600000000000ull, 0, 0,
			       0, clk.clock + 3600000000000ull), -EINVAL);
	if (!own)	/* KVM adds the times modulo 2^64; the shim refuses the wrap */
		TEST_ASSERT_EQ(rs_data(vcpu, DATA, RUNSTATE_running, ~0ull, 2, 0, 0, 1), -EINVAL);

	/* Set and read back unchanged. */
	TEST_ASSERT_EQ(rs_data(vcpu, DATA, RUNSTATE_runnable, 100, 200, 300, 400, 1000), 0);
	rs_get(vcpu, &a);
	TEST_ASSERT_EQ(a.u.runstate.state, RUNSTATE_runnable);
	TEST_ASSERT_EQ(a.u.runstate.time_running, 100);
	TEST_ASSERT_EQ(a.u.runstate.time_runnable, 200);
	TEST_ASSERT_EQ(a.u.runstate.time_blocked, 300);
	TEST_ASSERT_EQ(a.u.runstate.time_offline, 400);
	TEST_ASSERT_EQ(a.u.runstate.state_entry_time, 1000);
	rs = vm_gpa_to_hva(vm, RS_STRADDLE, sizeof(*rs));

	/*
	 * The current state: the time since the entry goes to the old state,
	 * and the guest's area (across the two pages) shows it all.
	 */
	a.type = KVM_XEN_VCPU_ATTR_TYPE_RUNSTATE_CURRENT;
	a.u.runstate.state = RUNSTATE_offline + 1;
	TEST_ASSERT_EQ(vcpu_attr(vcpu, KVM_XEN_VCPU_SET_ATTR, &a), -EINVAL);
	a.u.runstate.state = RUNSTATE_blocked;
	TEST_ASSERT_EQ(vcpu_attr(vcpu, KVM_XEN_VCPU_SET_ATTR, &a), 0);
	a.u.runstate.state = 0;
	TEST_ASSERT_EQ(vcpu_attr(vcpu, KVM_XEN_VCPU_GET_ATTR, &a), 0);
	TEST_ASSERT_EQ(a.u.runstate.state, RUNSTATE_blocked);
	rs_get(vcpu, &a);
	TEST_ASSERT_EQ(a.u.runstate.state, RUNSTATE_blocked);
	TEST_ASSERT(a.u.runstate.state_entry_time >= CLOCK_AT &&
		    a.u.runstate.time_runnable >= CLOCK_AT - 1000,
		    "entry %llu, runnable %llu: the time in kvmclock (from %llu) not accounted",
		    a.u.runstate.state_entry_time, a.u.runstate.time_runnable, CLOCK_AT);
	TEST_ASSERT_EQ(a.u.runstate.time_running, 100);
	TEST_ASSERT_EQ(rs->state, RUNSTATE_blocked);
	TEST_ASSERT_EQ(rs->state_entry_time, a.u.runstate.state_entry_time);
	TEST_ASSERT_EQ(rs->time[RUNSTATE_running], 100);
	TEST_ASSERT_EQ(rs->time[RUNSTATE_runnable], a.u.runstate.time_runnable);
	TEST_ASSERT_EQ(rs->time[RUNSTATE_offline], 400);

	/* Adjustments: write-only; they add up; time moves between states. */
	a.type = ADJ;
	TEST_ASSERT_EQ(vcpu_attr(vcpu, KVM_XEN_VCPU_GET_ATTR, &a), -EINVAL);
	TEST_ASSERT_EQ(rs_data(vcpu, ADJ, (uint64_t)-1, -50ull, 0, 0, 50, 1), -EINVAL);
	TEST_ASSERT_EQ(rs_data(vcpu, ADJ, RUNSTATE_offline + 1, 0, 0, 0, 0, 0), -EINVAL);
	TEST_ASSERT_EQ(rs_data(vcpu, ADJ, (uint64_t)-1, 3600000000000ull, 0, 0, 0,
			       3600000000000ull), -EINVAL);	/* entry ahead of kvmclock */
	if (!own)	/* running below zero: KVM wraps it, the shim refuses */
		TEST_ASSERT_EQ(rs_data(vcpu, ADJ, (uint64_t)-1, -200ull, 0, 0, 0, -200ull),
			       -EINVAL);
	TEST_ASSERT_EQ(rs_data(vcpu, ADJ, (uint64_t)-1, -50ull, 0, 0, 50, 0), 0);
	rs_get(vcpu, &a);
	TEST_ASSERT_EQ(a.u.runstate.state, RUNSTATE_blocked);
	TEST_ASSERT_EQ(a.u.runstate.time_running, 50);
	TEST_ASSERT_EQ(a.u.runstate.time_offline, 450);
	TEST_ASSERT_EQ(rs->time[RUNSTATE_offline], 450);
	TEST_ASSERT_EQ(rs_data(vcpu, ADJ, RUNSTATE_running, 0, 0, 0, 0, 0), 0);
	rs_get(vcpu, &a);
	TEST_ASSERT_EQ(a.u.runstate.state, RUNSTATE_running);

	/* Dropped: read back as none, and the guest's page is left alone. */
	a.type = KVM_XEN_VCPU_ATTR_TYPE_RUNSTATE_ADDR;
	a.u.gpa = NO_GPA;
	TEST_ASSERT_EQ(vcpu_attr(vcpu, KVM_XEN_VCPU_SET_ATTR, &a), 0);
	TEST_ASSERT_EQ(vcpu_attr(vcpu, KVM_XEN_VCPU_GET_ATTR, &a), -ENOENT);
	memset(rs, 0x5a, sizeof(*rs));
	a.type = KVM_XEN_VCPU_ATTR_TYPE_RUNSTATE_CURRENT;
	a.u.runstate.state = RUNSTATE_blocked;
	TEST_ASSERT_EQ(vcpu_attr(vcpu, KVM_XEN_VCPU_SET_ATTR, &a), 0);
	TEST_ASSERT_EQ(rs->state, 0x5a5a5a5a);
	a.type = KVM_XEN_VCPU_ATTR_TYPE_RUNSTATE_ADDR;
	/* Set again for teardown. */
	a.u.gpa = RS_GPA;
	TEST_ASSERT_EQ(vcpu_attr(vcpu, KVM_XEN_VCPU_SET_ATTR, &a), 0);
	vm_destroy(vm);
}

/* The guest's view: the hypercall page, a call to the VMM, its pvclock. */
static void guest_uapi(void)
{
	uint8_t *page = (uint8_t *)HCALL_GPA;
	uint64_t now;

	guest_wrmsr(XEN_MSR, HCALL_GPA);
	GUEST_ASSERT_EQ(page[0], 0xb8);			/* mov $0, %eax */
	GUEST_ASSERT_EQ(page[32 * __HYPERVISOR_xen_version], 0xb8);
	GUEST_ASSERT_EQ(guest_xen_hcall_page(page + 32 * __HYPERVISOR_xen_version, 0x77, 1, 2),
			0x42);
	now = xg_now(xg_vinfo(0));
	GUEST_SYNC(now);
	GUEST_DONE();
}

XTEST(hypercalls_go_to_the_vmm_and_time_is_kvmclock)
{
	struct kvm_xen_vcpu_attr va = {
		.type = KVM_XEN_VCPU_ATTR_TYPE_VCPU_INFO, .u.gpa = XG_VINFO_GPA + 0x40,
	};
	struct kvm_xen_hvm_attr a = { .type = KVM_XEN_ATTR_TYPE_LONG_MODE, .u.long_mode = 1 };
	struct kvm_clock_data before, after;
	struct vcpu *vcpu;
	struct ucall uc;
	struct vm *vm;
	int exits = 0;

	require_uapi();
	vm = uapi_vm(guest_uapi, &vcpu);
	TEST_ASSERT_EQ(vm_attr(vm, KVM_XEN_HVM_SET_ATTR, &a), 0);
	TEST_ASSERT_EQ(vcpu_attr(vcpu, KVM_XEN_VCPU_SET_ATTR, &va), 0);
	TEST_ASSERT(!ioctl(vm->fd, KVM_GET_CLOCK, &before), "KVM_GET_CLOCK");
	for (;;) {
		vcpu_run(vcpu);
		if (vcpu->run->exit_reason == KVM_EXIT_XEN) {
			TEST_ASSERT_EQ(vcpu->run->xen.type, KVM_EXIT_XEN_HCALL);
			TEST_ASSERT_EQ(vcpu->run->xen.u.hcall.input, __HYPERVISOR_xen_version);
			TEST_ASSERT_EQ(vcpu->run->xen.u.hcall.params[0], 0x77);
			TEST_ASSERT_EQ(vcpu->run->xen.u.hcall.params[1], 1);
			TEST_ASSERT_EQ(vcpu->run->xen.u.hcall.params[2], 2);
			TEST_ASSERT_EQ(vcpu->run->xen.u.hcall.longmode, 1);
			vcpu->run->xen.u.hcall.result = 0x42;
			exits++;
			continue;
		}
		if (vcpu_get_ucall(vcpu, &uc) == UCALL_SYNC)
			break;
		if (uc.cmd == UCALL_ABORT)
			report_guest_abort(vcpu, &uc);
		TEST_FAIL("unexpected exit %s", exit_reason_str(vcpu->run->exit_reason));
	}
	TEST_ASSERT(!ioctl(vm->fd, KVM_GET_CLOCK, &after), "KVM_GET_CLOCK");
	TEST_ASSERT_EQ(exits, 1);
	/* The guest's Xen time is kvmclock, which started at 1000 s. */
	TEST_ASSERT(uc.args[0] + 1000000 >= before.clock && uc.args[0] <= after.clock + 1000000,
		    "guest time %lu ns, kvmclock %llu..%llu ns", uc.args[0], before.clock,
		    after.clock);
	TEST_ASSERT_EQ(vcpu_run_ucall(vcpu, &uc), UCALL_DONE);
	vm_destroy(vm);
}

/*
 * Save and restore, as a VMM migrates a Xen guest: every attribute of a
 * running guest's VM and vCPU read with GET_ATTR, its memory and kvmclock
 * copied, and all of it set on a fresh VM, where the guest goes on with
 * what it set up before: the hypercall page, its vcpu_info's pvclock (in
 * kvmclock, which moved with it) and shared_info's wallclock.
 */
static void guest_before_move(void)
{
	uint8_t *page = (uint8_t *)HCALL_GPA;

	guest_wrmsr(XEN_MSR, HCALL_GPA);
	GUEST_ASSERT_EQ(guest_xen_hcall_page(page + 32 * __HYPERVISOR_xen_version, 1, 0, 0),
			0x42);
	GUEST_SYNC(xg_now(xg_vinfo(0)));
	GUEST_DONE();
}

static void guest_after_move(void)
{
	uint8_t *page = (uint8_t *)HCALL_GPA;

	/* The page written before the move, not written again. */
	GUEST_ASSERT_EQ(guest_xen_hcall_page(page + 32 * __HYPERVISOR_xen_version, 2, 0, 0),
			0x43);
	GUEST_SYNC2(xg_now(xg_vinfo(0)), xg_shinfo()->wc.sec);
	GUEST_DONE();
}

static void run_with_vmm(struct vcpu *vcpu, struct ucall *uc, uint64_t result)
{
	for (;;) {
		vcpu_run(vcpu);
		if (vcpu->run->exit_reason == KVM_EXIT_XEN) {
			vcpu->run->xen.u.hcall.result = result;
			continue;
		}
		if (vcpu_get_ucall(vcpu, uc) == UCALL_SYNC)
			return;
		if (uc->cmd == UCALL_ABORT)
			report_guest_abort(vcpu, uc);
		TEST_FAIL("unexpected exit %s", exit_reason_str(vcpu->run->exit_reason));
	}
}

XTEST(state_moves_to_a_fresh_vm)
{
	static const uint16_t vm_types[] = {
		KVM_XEN_ATTR_TYPE_LONG_MODE, KVM_XEN_ATTR_TYPE_SHARED_INFO,
		KVM_XEN_ATTR_TYPE_UPCALL_VECTOR,
	};
	static const uint16_t vcpu_types[] = {
		KVM_XEN_VCPU_ATTR_TYPE_VCPU_INFO, KVM_XEN_VCPU_ATTR_TYPE_VCPU_TIME_INFO,
		KVM_XEN_VCPU_ATTR_TYPE_VCPU_ID, KVM_XEN_VCPU_ATTR_TYPE_UPCALL_VECTOR,
		KVM_XEN_VCPU_ATTR_TYPE_TIMER, KVM_XEN_VCPU_ATTR_TYPE_RUNSTATE_ADDR,
		KVM_XEN_VCPU_ATTR_TYPE_RUNSTATE_DATA,
	};
	struct kvm_xen_vcpu_attr back;
	struct kvm_xen_hvm_attr va[ARRAY_SIZE(vm_types)];
	struct kvm_xen_vcpu_attr ca[ARRAY_SIZE(vcpu_types)];
	struct kvm_clock_data clk, now;
	struct vcpu *a_vcpu, *b_vcpu;
	struct vm *a, *b;
	struct ucall uc;
	uint64_t t_a, wc;
	time_t saved, restored;
	unsigned int i;

	require_uapi();
	a = uapi_vm(guest_before_move, &a_vcpu);
	va[0] = (struct kvm_xen_hvm_attr){ .type = vm_types[0], .u.long_mode = 1 };
	va[1] = (struct kvm_xen_hvm_attr){ .type = vm_types[1],
					   .u.shared_info.gfn = XG_SHINFO_GPA >> 12 };
	va[2] = (struct kvm_xen_hvm_attr){ .type = vm_types[2], .u.vector = XG_UPCALL_VEC };
	for (i = 0; i < ARRAY_SIZE(va); i++)
		TEST_ASSERT_EQ(vm_attr(a, KVM_XEN_HVM_SET_ATTR, &va[i]), 0);
	ca[0] = (struct kvm_xen_vcpu_attr){ .type = vcpu_types[0], .u.gpa = XG_VINFO_GPA + 0x40 };
	ca[1] = (struct kvm_xen_vcpu_attr){ .type = vcpu_types[1], .u.gpa = TIME_GPA };
	ca[2] = (struct kvm_xen_vcpu_attr){ .type = vcpu_types[2], .u.vcpu_id = 0 };
	ca[3] = (struct kvm_xen_vcpu_attr){ .type = vcpu_types[3], .u.vector = 0 };
	/* A timer an hour ahead in guest time, on the VMM's port 13. */
	TEST_ASSERT(!ioctl(a->fd, KVM_GET_CLOCK, &clk), "KVM_GET_CLOCK");
	ca[4] = (struct kvm_xen_vcpu_attr){ .type = vcpu_types[4] };
	ca[4].u.timer.port = 13;
	ca[4].u.timer.priority = KVM_IRQ_ROUTING_XEN_EVTCHN_PRIO_2LEVEL;
	ca[4].u.timer.expires_ns = clk.clock + 3600ull * 1000000000ull;
	ca[5] = (struct kvm_xen_vcpu_attr){ .type = vcpu_types[5], .u.gpa = RS_STRADDLE };
	/* Times of a guest that was offline for a while. */
	ca[6] = (struct kvm_xen_vcpu_attr){ .type = vcpu_types[6] };
	ca[6].u.runstate.state = RUNSTATE_running;
	ca[6].u.runstate.time_running = 5000;
	ca[6].u.runstate.time_offline = 7000;
	ca[6].u.runstate.state_entry_time = 12000;
	for (i = 0; i < ARRAY_SIZE(ca); i++)
		TEST_ASSERT_EQ(vcpu_attr(a_vcpu, KVM_XEN_VCPU_SET_ATTR, &ca[i]), 0);
	run_with_vmm(a_vcpu, &uc, 0x42);
	t_a = uc.args[0];
	TEST_ASSERT_EQ(vcpu_run_ucall(a_vcpu, &uc), UCALL_DONE);

	/* Save. */
	memset(va, 0, sizeof(va));
	memset(ca, 0, sizeof(ca));
	for (i = 0; i < ARRAY_SIZE(va); i++) {
		va[i].type = vm_types[i];
		TEST_ASSERT_EQ(vm_attr(a, KVM_XEN_HVM_GET_ATTR, &va[i]), 0);
	}
	for (i = 0; i < ARRAY_SIZE(ca); i++) {
		ca[i].type = vcpu_types[i];
		TEST_ASSERT_EQ(vcpu_attr(a_vcpu, KVM_XEN_VCPU_GET_ATTR, &ca[i]), 0);
	}
	TEST_ASSERT(!ioctl(a->fd, KVM_GET_CLOCK, &clk), "KVM_GET_CLOCK");
	saved = time(NULL);
	wc = ((struct shared_info *)vm_gpa_to_hva(a, XG_SHINFO_GPA, 4096))->wc.sec;

	/* Restore into a fresh VM, the memory first, then KVM's and Xen's state. */
	b = uapi_vm(guest_after_move, &b_vcpu);
	memcpy(vm_gpa_to_hva(b, VM_SCRATCH_GPA, VM_SCRATCH_SIZE),
	       vm_gpa_to_hva(a, VM_SCRATCH_GPA, VM_SCRATCH_SIZE), VM_SCRATCH_SIZE);
	clk.flags = 0;
	restored = time(NULL);
	TEST_ASSERT(!ioctl(b->fd, KVM_SET_CLOCK, &clk), "KVM_SET_CLOCK: %s", strerror(errno));
	for (i = 0; i < ARRAY_SIZE(va); i++)
		TEST_ASSERT_EQ(vm_attr(b, KVM_XEN_HVM_SET_ATTR, &va[i]), 0);
	for (i = 0; i < ARRAY_SIZE(ca); i++)
		TEST_ASSERT_EQ(vcpu_attr(b_vcpu, KVM_XEN_VCPU_SET_ATTR, &ca[i]), 0);
	TEST_ASSERT_EQ(va[1].u.shared_info.gfn, XG_SHINFO_GPA >> 12);
	TEST_ASSERT_EQ(ca[0].u.gpa, XG_VINFO_GPA + 0x40);
	TEST_ASSERT_EQ(ca[4].u.timer.port, 13);
	TEST_ASSERT_EQ(ca[5].u.gpa, RS_STRADDLE);
	TEST_ASSERT(ca[6].u.runstate.time_offline == 7000 &&
		    ca[6].u.runstate.state_entry_time >= 12000,
		    "runstate offline %llu, entry %llu", ca[6].u.runstate.time_offline,
		    ca[6].u.runstate.state_entry_time);
	TEST_ASSERT(ca[4].u.timer.expires_ns > clk.clock, "timer deadline %llu, clock %llu",
		    ca[4].u.timer.expires_ns, clk.clock);
	/* What the fresh VM's vCPU reads back is what was saved. */
	for (i = 0; i < ARRAY_SIZE(ca); i++) {
		memset(&back, 0, sizeof(back));
		back.type = vcpu_types[i];
		TEST_ASSERT_EQ(vcpu_attr(b_vcpu, KVM_XEN_VCPU_GET_ATTR, &back), 0);
		TEST_ASSERT(!memcmp(&back, &ca[i], sizeof(back)), "vCPU attribute %u changed",
			    vcpu_types[i]);
	}
	vm_destroy(a);

	run_with_vmm(b_vcpu, &uc, 0x43);
	TEST_ASSERT(!ioctl(b->fd, KVM_GET_CLOCK, &now), "KVM_GET_CLOCK");
	/* Guest time went on from where it was, in the restored kvmclock. */
	TEST_ASSERT(uc.args[0] >= t_a && uc.args[0] <= now.clock + 1000000,
		    "guest time %lu ns after the move, %lu before, kvmclock %llu", uc.args[0],
		    t_a, now.clock);
	/*
	 * The wallclock agrees with the clock it came with: kvmclock stood
	 * still between save and restore, so its epoch moved by that time.
	 */
	TEST_ASSERT(uc.args[1] + 1 >= wc && uc.args[1] <= wc + (restored - saved) + 1,
		    "wallclock %lu s after the move, %lu before, %ld s between",
		    uc.args[1], wc, (long)(restored - saved));
	TEST_ASSERT_EQ(vcpu_run_ucall(b_vcpu, &uc), UCALL_DONE);
	vm_destroy(b);
}

/*
 * In-kernel event channels (KVM_XEN_HVM_CONFIG_EVTCHN_SEND), as QEMU uses
 * them: the VMM raises ports with KVM_XEN_HVM_EVTCHN_SEND, assigns the
 * kernel an IPI port and an eventfd port, names the vCPU's timer port; the
 * guest's XENVER_version, sends on those ports, singleshot timer and poll
 * stay in the kernel, and a send on any other port reaches the VMM.
 */
#define EV_VERSION	0x4000a
#define EV_IPI		7
#define EV_EFD		9
#define EV_VMM		11
#define EV_TIMER	13
#define HC(nr, a0, a1, a2) \
	guest_xen_hcall_page((uint8_t *)HCALL_GPA + 32 * (nr), (a0), (a1), (a2))

static int ev_pending(volatile struct shared_info *s, unsigned int port)
{
	return !!(s->evtchn_pending[port / 64] & (1ull << (port % 64)));
}

static void guest_evtchn(void)
{
	volatile struct shared_info *s = (void *)XG_SHINFO_GPA;
	struct vcpu_set_singleshot_timer t = {};
	struct sched_poll poll = {};
	struct evtchn_send send;
	uint32_t port = EV_TIMER;
	uint64_t deadline;

	guest_wrmsr(XEN_MSR, HCALL_GPA);
	GUEST_SYNC(HC(__HYPERVISOR_xen_version, XENVER_version, 0, 0));
	send.port = EV_IPI;
	GUEST_ASSERT_EQ(HC(__HYPERVISOR_event_channel_op, EVTCHNOP_send, (uint64_t)&send, 0), 0);
	send.port = EV_EFD;
	GUEST_ASSERT_EQ(HC(__HYPERVISOR_event_channel_op, EVTCHNOP_send, (uint64_t)&send, 0), 0);
	send.port = EV_VMM;
	GUEST_ASSERT_EQ(HC(__HYPERVISOR_event_channel_op, EVTCHNOP_send, (uint64_t)&send, 0),
			0x55);
	/* The timer on the VMM's port, and a poll until it raised that port. */
	deadline = xg_now(xg_vinfo(0)) + 2000000;
	t.timeout_abs_ns = deadline;
	GUEST_ASSERT_EQ(HC(__HYPERVISOR_vcpu_op, VCPUOP_set_singleshot_timer, 0, (uint64_t)&t), 0);
	/* Another vCPU's timer is refused, as Xen and KVM refuse it. */
	GUEST_ASSERT_EQ(HC(__HYPERVISOR_vcpu_op, VCPUOP_set_singleshot_timer, 1, (uint64_t)&t),
			-EINVAL);
	poll.ports = &port;
	poll.nr_ports = 1;
	while (!ev_pending(s, EV_TIMER))
		GUEST_ASSERT_EQ(HC(__HYPERVISOR_sched_op, SCHEDOP_poll, (uint64_t)&poll, 0), 0);
	GUEST_SYNC(xg_now(xg_vinfo(0)) >= deadline);
	GUEST_DONE();
}

static int hvm_evtchn_send(struct vm *vm, uint32_t port, uint32_t vcpu, uint32_t prio)
{
	struct kvm_irq_routing_xen_evtchn e = { .port = port, .vcpu = vcpu, .priority = prio };

	return ioctl(vm->fd, KVM_XEN_HVM_EVTCHN_SEND, &e) ? -errno : 0;
}

static int assign(struct vm *vm, uint32_t flags, uint32_t port, uint32_t type, uint32_t to,
		  int fd)
{
	struct kvm_xen_hvm_attr a = { .type = KVM_XEN_ATTR_TYPE_EVTCHN };

	a.u.evtchn.send_port = port;
	a.u.evtchn.type = type;
	a.u.evtchn.flags = flags;
	if (fd >= 0) {
		a.u.evtchn.deliver.eventfd.fd = fd;
	} else {
		a.u.evtchn.deliver.port.port = to;
		a.u.evtchn.deliver.port.vcpu = 0;
		a.u.evtchn.deliver.port.priority = KVM_IRQ_ROUTING_XEN_EVTCHN_PRIO_2LEVEL;
	}
	return vm_attr(vm, KVM_XEN_HVM_SET_ATTR, &a);
}

XTEST(in_kernel_event_channels)
{
	const uint32_t prio = KVM_IRQ_ROUTING_XEN_EVTCHN_PRIO_2LEVEL;
	struct kvm_xen_hvm_config cfg = {
		.flags = KVM_XEN_HVM_CONFIG_INTERCEPT_HCALL | KVM_XEN_HVM_CONFIG_EVTCHN_SEND,
		.msr = XEN_MSR,
	};
	struct kvm_xen_hvm_attr a = { .type = KVM_XEN_ATTR_TYPE_LONG_MODE, .u.long_mode = 1 };
	struct kvm_xen_vcpu_attr va = {
		.type = KVM_XEN_VCPU_ATTR_TYPE_VCPU_INFO, .u.gpa = XG_VINFO_GPA + 0x40,
	};
	struct vcpu_info *vi;
	struct shared_info *s;
	struct vcpu *vcpu;
	struct ucall uc;
	struct vm *vm;
	uint64_t n;
	int efd, exits = 0;

	require_uapi();
	if (!(kvm_check_cap(KVM_CAP_XEN_HVM) & KVM_XEN_HVM_CONFIG_EVTCHN_SEND))
		SKIP("no in-kernel event channels here");
	vm = uapi_vm(guest_evtchn, &vcpu);
	TEST_ASSERT(!ioctl(vm->fd, KVM_XEN_HVM_CONFIG, &cfg), "KVM_XEN_HVM_CONFIG: %s",
		    strerror(errno));
	TEST_ASSERT_EQ(vm_attr(vm, KVM_XEN_HVM_SET_ATTR, &a), 0);
	a.type = KVM_XEN_ATTR_TYPE_SHARED_INFO;
	a.u.shared_info.gfn = XG_SHINFO_GPA >> 12;
	TEST_ASSERT_EQ(vm_attr(vm, KVM_XEN_HVM_SET_ATTR, &a), 0);
	a.type = KVM_XEN_ATTR_TYPE_XEN_VERSION;
	a.u.xen_version = EV_VERSION;
	TEST_ASSERT_EQ(vm_attr(vm, KVM_XEN_HVM_SET_ATTR, &a), 0);
	TEST_ASSERT_EQ(vcpu_attr(vcpu, KVM_XEN_VCPU_SET_ATTR, &va), 0);
	s = vm_gpa_to_hva(vm, XG_SHINFO_GPA, 4096);
	vi = vm_gpa_to_hva(vm, XG_VINFO_GPA + 0x40, sizeof(*vi));

	/* The vCPU's attributes: its Xen id, timer port and upcall vector. */
	va.type = KVM_XEN_VCPU_ATTR_TYPE_VCPU_ID;
	va.u.vcpu_id = 1u << 30;
	TEST_ASSERT_EQ(vcpu_attr(vcpu, KVM_XEN_VCPU_SET_ATTR, &va), -EINVAL);
	va.u.vcpu_id = 0;
	TEST_ASSERT_EQ(vcpu_attr(vcpu, KVM_XEN_VCPU_SET_ATTR, &va), 0);
	va.u.vcpu_id = 5;
	TEST_ASSERT_EQ(vcpu_attr(vcpu, KVM_XEN_VCPU_GET_ATTR, &va), 0);
	TEST_ASSERT_EQ(va.u.vcpu_id, 0);
	va.type = KVM_XEN_VCPU_ATTR_TYPE_UPCALL_VECTOR;
	va.u.vector = 5;
	TEST_ASSERT_EQ(vcpu_attr(vcpu, KVM_XEN_VCPU_SET_ATTR, &va), -EINVAL);
	va.u.vector = 0x30;
	TEST_ASSERT_EQ(vcpu_attr(vcpu, KVM_XEN_VCPU_SET_ATTR, &va), 0);
	va.u.vector = 0;
	TEST_ASSERT_EQ(vcpu_attr(vcpu, KVM_XEN_VCPU_GET_ATTR, &va), 0);
	TEST_ASSERT_EQ(va.u.vector, 0x30);
	va.u.vector = 0;	/* the guest takes no interrupts */
	TEST_ASSERT_EQ(vcpu_attr(vcpu, KVM_XEN_VCPU_SET_ATTR, &va), 0);
	va.type = KVM_XEN_VCPU_ATTR_TYPE_TIMER;
	va.u.timer.port = EV_TIMER;
	va.u.timer.priority = 0;
	TEST_ASSERT_EQ(vcpu_attr(vcpu, KVM_XEN_VCPU_SET_ATTR, &va), -EINVAL);
	va.u.timer.priority = prio;
	va.u.timer.expires_ns = 0;
	TEST_ASSERT_EQ(vcpu_attr(vcpu, KVM_XEN_VCPU_SET_ATTR, &va), 0);
	memset(&va.u, 0, sizeof(va.u));
	TEST_ASSERT_EQ(vcpu_attr(vcpu, KVM_XEN_VCPU_GET_ATTR, &va), 0);
	TEST_ASSERT_EQ(va.u.timer.port, EV_TIMER);
	TEST_ASSERT_EQ(va.u.timer.priority, prio);

	/* The VMM raises ports: 3 plainly, 4 masked, and bad requests. */
	TEST_ASSERT_EQ(hvm_evtchn_send(vm, 3, 0, prio), 0);
	TEST_ASSERT(ev_pending(s, 3) && (vi->evtchn_pending_sel & 1) &&
		    vi->evtchn_upcall_pending, "port 3 not delivered: sel %#lx, upcall %u",
		    (unsigned long)vi->evtchn_pending_sel, vi->evtchn_upcall_pending);
	s->evtchn_mask[0] |= 1ull << 4;
	vi->evtchn_pending_sel = 0;
	vi->evtchn_upcall_pending = 0;
	TEST_ASSERT_EQ(hvm_evtchn_send(vm, 4, 0, prio), 0);
	TEST_ASSERT(ev_pending(s, 4) && !vi->evtchn_pending_sel && !vi->evtchn_upcall_pending,
		    "masked port 4 notified the vCPU");
	TEST_ASSERT_EQ(hvm_evtchn_send(vm, 0, 0, prio), -EINVAL);
	TEST_ASSERT_EQ(hvm_evtchn_send(vm, 4096, 0, prio), -EINVAL);
	TEST_ASSERT_EQ(hvm_evtchn_send(vm, 3, 0, 0), -EINVAL);
	TEST_ASSERT_EQ(hvm_evtchn_send(vm, 3, 77, prio), -EINVAL);

	/* Ports assigned to the kernel, with KVM's answers to bad ones. */
	efd = eventfd(0, EFD_NONBLOCK);
	TEST_ASSERT(efd >= 0, "eventfd");
	TEST_ASSERT_EQ(assign(vm, 0, EV_IPI, EVTCHNSTAT_ipi, EV_IPI, -1), 0);
	TEST_ASSERT_EQ(assign(vm, 0, EV_IPI, EVTCHNSTAT_ipi, EV_IPI, -1), -EEXIST);
	TEST_ASSERT_EQ(assign(vm, 0, 8, EVTCHNSTAT_ipi, 9, -1), -EINVAL);
	TEST_ASSERT_EQ(assign(vm, 0, 8, EVTCHNSTAT_virq, 8, -1), -EINVAL);
	TEST_ASSERT_EQ(assign(vm, 0, 0, EVTCHNSTAT_ipi, 0, -1), -EINVAL);
	TEST_ASSERT_EQ(assign(vm, 0, 5000, EVTCHNSTAT_ipi, 5000, -1), -EINVAL);
	TEST_ASSERT_EQ(assign(vm, 0, EV_EFD, EVTCHNSTAT_interdomain, 0, efd), 0);
	TEST_ASSERT_EQ(assign(vm, KVM_XEN_EVTCHN_UPDATE, EV_EFD, EVTCHNSTAT_interdomain, 0, efd),
		       -EINVAL);
	TEST_ASSERT_EQ(assign(vm, KVM_XEN_EVTCHN_UPDATE, EV_IPI, EVTCHNSTAT_ipi, EV_IPI, -1), 0);
	TEST_ASSERT_EQ(assign(vm, KVM_XEN_EVTCHN_DEASSIGN, 12, EVTCHNSTAT_ipi, 12, -1), -ENOENT);
	TEST_ASSERT_EQ(assign(vm, 1u << 7, 12, EVTCHNSTAT_ipi, 12, -1), -EINVAL);
	TEST_ASSERT_EQ(assign(vm, 0, 12, EVTCHNSTAT_ipi, 12, -1), 0);
	TEST_ASSERT_EQ(assign(vm, KVM_XEN_EVTCHN_DEASSIGN, 12, EVTCHNSTAT_ipi, 12, -1), 0);

	for (;;) {
		vcpu_run(vcpu);
		if (vcpu->run->exit_reason == KVM_EXIT_XEN) {
			/* Only the send on the VMM's port comes here. */
			TEST_ASSERT_EQ(vcpu->run->xen.u.hcall.input, __HYPERVISOR_event_channel_op);
			TEST_ASSERT_EQ(vcpu->run->xen.u.hcall.params[0], EVTCHNOP_send);
			vcpu->run->xen.u.hcall.result = 0x55;
			exits++;
			continue;
		}
		switch (vcpu_get_ucall(vcpu, &uc)) {
		case UCALL_SYNC:
			if (uc.args[0] == EV_VERSION) {
				TEST_ASSERT_EQ(exits, 0);
				continue;
			}
			TEST_ASSERT_EQ(uc.args[0], 1);	/* the timer fired on time */
			continue;
		case UCALL_DONE:
			break;
		case UCALL_ABORT:
			report_guest_abort(vcpu, &uc);
			break;
		default:
			TEST_FAIL("unexpected exit %s", exit_reason_str(vcpu->run->exit_reason));
		}
		break;
	}
	TEST_ASSERT_EQ(exits, 1);
	TEST_ASSERT(ev_pending(s, EV_IPI), "the IPI port is not pending");
	TEST_ASSERT(ev_pending(s, EV_TIMER), "the timer port is not pending");
	TEST_ASSERT_EQ(read(efd, &n, sizeof(n)), (ssize_t)sizeof(n));
	TEST_ASSERT_EQ(n, 1);
	/*
	 * Where the shim serves the uapi, its own port ioctls are refused for
	 * this VM: its VMM numbers the ports.
	 */
	param_write('0');
	if (!kvm_check_cap(KVM_CAP_XEN_HVM)) {
		struct xenhv_xen_raise r = { .vm_fd = vm->fd, .port = EV_IPI };
		int dev = xenhv_open();

		TEST_ASSERT_EQ(ioctl(dev, XENHV_XEN_RAISE_PORT, &r) ? -errno : 0, -EEXIST);
		close(dev);
	}
	uapi_open();
	/* All of the VMM's assignments go at once; the eventfd stays the VMM's. */
	TEST_ASSERT_EQ(assign(vm, KVM_XEN_EVTCHN_RESET, 0, 0, 0, -1), 0);
	TEST_ASSERT_EQ(assign(vm, KVM_XEN_EVTCHN_DEASSIGN, EV_IPI, EVTCHNSTAT_ipi, EV_IPI, -1),
		       -ENOENT);
	vm_destroy(vm);
	close(efd);
}

/*
 * A hostile VMM: random attributes, good and bad, on the VM and its vCPUs
 * from two threads while the main thread destroys and recreates the VM.
 * Every call must return 0 or an error KVM's uapi has; the kernel log check
 * of the runner catches anything worse.
 */
struct racer {
	volatile int vm_fd, vcpu_fd;	/* read racily: a closed fd is EBADF */
	volatile int stop;
	int kvm_own;			/* KVM's own Xen serves the uapi */
	uint64_t seed;
	unsigned long calls, bad;
	int bad_errno;
};

static uint64_t rnd64(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static uint64_t rnd_gpa(uint64_t r)
{
	switch (r % 4) {
	case 0:
		return NO_GPA;
	case 1:
		return XG_VINFO_GPA + (r >> 8) % 0x1000;	/* any offset */
	case 2:
		return (r >> 8) << 12;				/* anywhere */
	default:
		return VM_SCRATCH_GPA + ((r >> 8) % 64) * 0x40;
	}
}

static void *race_attrs(void *arg)
{
	struct racer *rc = arg;
	uint64_t s = rc->seed;

	while (!rc->stop) {
		uint64_t r = rnd64(&s);
		int ret, fd;

		if ((r & 15) == 15 && !rc->kvm_own) {
			/* The VMM raising a random port on a random vCPU. */
			struct kvm_irq_routing_xen_evtchn e = {
				.port = (r >> 8) % 5000, .vcpu = (r >> 24) % 3,
				.priority = r & 16 ? KVM_IRQ_ROUTING_XEN_EVTCHN_PRIO_2LEVEL : 0,
			};

			fd = rc->vm_fd;
			ret = ioctl(fd, KVM_XEN_HVM_EVTCHN_SEND, &e);
		} else if (r & 1) {
			struct kvm_xen_hvm_attr a = { .type = (r >> 1) % 8 };

			a.u.shared_info.gfn = r & 2 ? rnd_gpa(r >> 8) >> 12 : rnd_gpa(r >> 8);
			if (a.type == KVM_XEN_ATTR_TYPE_EVTCHN) {
				/* Ports in and out of range, IPI and interdomain, any flag. */
				a.u.evtchn.send_port = (r >> 8) % 5000;
				a.u.evtchn.type = (r >> 24) % 6;
				a.u.evtchn.flags = (r >> 28) % 5;
				a.u.evtchn.deliver.port.port = r & 8 ? a.u.evtchn.send_port :
							       (r >> 32) % 5000;
				a.u.evtchn.deliver.port.vcpu = (r >> 44) % 3;
				a.u.evtchn.deliver.port.priority =
					KVM_IRQ_ROUTING_XEN_EVTCHN_PRIO_2LEVEL;
			}
			fd = rc->vm_fd;
			ret = ioctl(fd, r & 4 ? KVM_XEN_HVM_GET_ATTR : KVM_XEN_HVM_SET_ATTR, &a);
		} else {
			struct kvm_xen_vcpu_attr a = { .type = (r >> 1) % 10 };

			a.u.gpa = rnd_gpa(r >> 8);
			if (a.type == KVM_XEN_VCPU_ATTR_TYPE_TIMER && !rc->kvm_own) {
				/* Armed at any deadline, on any port. */
				a.u.timer.port = (r >> 8) % 5000;
				a.u.timer.priority = KVM_IRQ_ROUTING_XEN_EVTCHN_PRIO_2LEVEL;
				a.u.timer.expires_ns = rnd64(&s) >> (r % 64);
			}
			fd = rc->vcpu_fd;
			ret = ioctl(fd, r & 4 ? KVM_XEN_VCPU_GET_ATTR : KVM_XEN_VCPU_SET_ATTR, &a);
		}
		rc->calls++;
		if (ret && errno != EINVAL && errno != EOPNOTSUPP && errno != EFAULT &&
		    errno != ENOENT && errno != EBADF && errno != ENOTTY && errno != ENXIO &&
		    errno != EEXIST) {
			rc->bad++;
			rc->bad_errno = errno;
		}
	}
	return NULL;
}

XTEST(attributes_race_vm_destruction)
{
	struct racer rc = { .seed = 0x9e3779b97f4a7c15ull };
	struct vcpu *vcpu;
	struct vm *vm, *old;
	pthread_t t[2];
	time_t end;
	int i, vms = 0;

	require_uapi();
	/*
	 * Armed timers and raised ports only against the shim: KVM's own Xen
	 * (7.3) WARNs in __kvm_gpc_refresh() when a TIMER read delivers an
	 * expired timer into a shared_info set to a bad address, which
	 * panic_on_warn turns into a crash of the test machine.
	 */
	param_write('0');
	rc.kvm_own = kvm_check_cap(KVM_CAP_XEN_HVM) != 0;
	uapi_open();
	vm = uapi_vm(NULL, &vcpu);
	rc.vm_fd = vm->fd;
	rc.vcpu_fd = vcpu->fd;
	for (i = 0; i < 2; i++)
		TEST_ASSERT(!pthread_create(&t[i], NULL, race_attrs, &rc), "pthread_create");
	end = time(NULL) + 3;
	while (time(NULL) < end) {
		usleep(20000);
		old = vm;
		vm = uapi_vm(NULL, &vcpu);
		rc.vm_fd = vm->fd;
		rc.vcpu_fd = vcpu->fd;
		vm_destroy(old);
		vms++;
	}
	rc.stop = 1;
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	vm_destroy(vm);
	printf("# %lu attribute calls against %d VM destructions%s\n", rc.calls, vms,
	       rc.kvm_own ? " (KVM's own Xen: no timers armed, no ports raised)" : "");
	TEST_ASSERT(rc.calls > 0, "no calls made");
	TEST_ASSERT(!rc.bad, "%lu calls failed with errno %d", rc.bad, rc.bad_errno);
}

int main(int argc, char **argv)
{
	FILE *f = fopen(PARAM, "r");
	int ret;

	if (f) {
		if (fscanf(f, " %c", &param_was) != 1)
			param_was = 0;
		fclose(f);
	}
	ret = xtest_main(argc, argv);
	if (param_was)
		param_write(param_was);
	return ret;
}
