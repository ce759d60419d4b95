// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/xenhv_shim: version, attach/detach rules, bad input from the ioctl
 * caller, the attachment's lifetime, statistics, listing and CPUID export.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "abi.h"
#include "module.h"
#include "xenhv.h"
#include "xen_guest.h"

static int dev_ioctl(unsigned long cmd, void *arg)
{
	int fd = xenhv_open(), r;

	r = ioctl(fd, cmd, arg) ? -errno : 0;
	close(fd);
	return r;
}

XTEST(device_node)
{
	struct stat st;

	xenhv_require_module();
	TEST_ASSERT(!stat("/dev/xenhv_shim", &st), "stat: %s", strerror(errno));
	TEST_ASSERT(S_ISCHR(st.st_mode), "not a character device");
	TEST_ASSERT_EQ(st.st_mode & 0777, 0660);
}

XTEST(version_and_capabilities)
{
	struct xenhv_version v = {};

	TEST_ASSERT_EQ(dev_ioctl(XENHV_GET_VERSION, &v), 0);
	TEST_ASSERT_EQ(v.api_version, XENHV_API_VERSION);
	TEST_ASSERT(v.abis & (1 << XENHV_ABI_XEN), "no Xen ABI");
	TEST_ASSERT(v.abis & (1 << XENHV_ABI_HYPERV), "no Hyper-V ABI");
	TEST_ASSERT(v.features & XENHV_FEAT_CPUID_INTERCEPT, "features 0x%llx", v.features);
	v = (struct xenhv_version){ .flags = 1 };
	TEST_ASSERT_EQ(dev_ioctl(XENHV_GET_VERSION, &v), -EINVAL);
	v = (struct xenhv_version){ .reserved[2] = 1 };
	TEST_ASSERT_EQ(dev_ioctl(XENHV_GET_VERSION, &v), -EINVAL);
	TEST_ASSERT_EQ(dev_ioctl(XENHV_GET_VERSION, (void *)8), -EFAULT);
}

XTEST(unknown_ioctls)
{
	int x = 0;

	TEST_ASSERT_EQ(dev_ioctl(_IO(XENHV_IOCTL_TYPE, 0x7f), &x), -ENOTTY);
	TEST_ASSERT_EQ(dev_ioctl(KVM_CREATE_VM, &x), -ENOTTY);
	TEST_ASSERT_EQ(dev_ioctl(_IOWR(XENHV_IOCTL_TYPE, 0x01, int), &x), -ENOTTY);
}

static int attach_raw(struct xenhv_attach *at)
{
	return dev_ioctl(XENHV_ATTACH_VM, at);
}

XTEST(attach_needs_a_vm_fd)
{
	struct vm *vm = vm_create(NULL);
	struct vcpu *vcpu = vm_add_vcpu(vm, NULL);
	struct xenhv_attach at = { .abi = XENHV_ABI_XEN };
	int null = open("/dev/null", O_RDONLY);

	at.vm_fd = -1;
	TEST_ASSERT_EQ(attach_raw(&at), -EBADF);
	at.vm_fd = 1000;
	TEST_ASSERT_EQ(attach_raw(&at), -EBADF);
	at.vm_fd = null;
	TEST_ASSERT_EQ(attach_raw(&at), -EINVAL);
	at.vm_fd = vm->kvm_fd;		/* /dev/kvm itself */
	TEST_ASSERT_EQ(attach_raw(&at), -EINVAL);
	at.vm_fd = vcpu->fd;		/* a vCPU, not the VM */
	TEST_ASSERT_EQ(attach_raw(&at), -EINVAL);
	close(null);
	vm_destroy(vm);
}

XTEST(attach_rejects_bad_fields)
{
	struct vm *vm = vm_create(NULL);
	struct xenhv_attach good = { .vm_fd = vm->fd, .abi = XENHV_ABI_XEN }, at;

	at = good; at.abi = XENHV_ABI_NATIVE;
	TEST_ASSERT_EQ(attach_raw(&at), -EINVAL);
	at = good; at.abi = 3;
	TEST_ASSERT_EQ(attach_raw(&at), -EINVAL);
	at = good; at.abi = 0xffffffff;
	TEST_ASSERT_EQ(attach_raw(&at), -EINVAL);
	at = good; at.flags = 1u << 31;
	TEST_ASSERT_EQ(attach_raw(&at), -EINVAL);
	at = good; at.reserved0 = 1;
	TEST_ASSERT_EQ(attach_raw(&at), -EINVAL);
	at = good; at.reserved[3] = 1;
	TEST_ASSERT_EQ(attach_raw(&at), -EINVAL);
	at = good; at.vm_id = 5;
	TEST_ASSERT_EQ(attach_raw(&at), -EINVAL);
	at = good; at.xen.reserved[4] = 1;
	TEST_ASSERT_EQ(attach_raw(&at), -EINVAL);
	at = good; at.xen.cpuid_base = 0x40000200;
	TEST_ASSERT_EQ(attach_raw(&at), -EINVAL);
	at = good; at.xen.hypercall_msr = 0x1234;
	TEST_ASSERT_EQ(attach_raw(&at), -EINVAL);
	at = good; at.abi = XENHV_ABI_HYPERV; at.hv.reserved0 = 1;
	TEST_ASSERT_EQ(attach_raw(&at), -EINVAL);
	TEST_ASSERT_EQ(dev_ioctl(XENHV_ATTACH_VM, (void *)16), -EFAULT);
	/* None of that attached the VM. */
	at = good;
	TEST_ASSERT_EQ(attach_raw(&at), 0);
	TEST_ASSERT(at.vm_id != 0, "no vm_id");
	vm_destroy(vm);
}

XTEST(one_attachment_per_vm)
{
	struct vm *vm = vm_create(NULL);
	struct xenhv_vm_stats st;

	xenhv_attach_ok(vm, XENHV_ABI_XEN, 0);
	TEST_ASSERT_EQ(xenhv_attach(vm, XENHV_ABI_XEN, 0, NULL, 0), -EBUSY);
	TEST_ASSERT_EQ(xenhv_attach(vm, XENHV_ABI_HYPERV, 0, NULL, 0), -EBUSY);
	TEST_ASSERT_EQ(xenhv_detach(vm), 0);
	TEST_ASSERT_EQ(xenhv_detach(vm), -ENOENT);
	TEST_ASSERT_EQ(xenhv_stats(vm, &st), 0);
	TEST_ASSERT_EQ(st.abi, XENHV_ABI_NATIVE);
	xenhv_attach_ok(vm, XENHV_ABI_HYPERV, 0);
	TEST_ASSERT_EQ(xenhv_stats(vm, &st), 0);
	TEST_ASSERT_EQ(st.abi, XENHV_ABI_HYPERV);
	vm_destroy(vm);
}

XTEST(detach_of_unattached_vm)
{
	struct vm *vm = vm_create(NULL);
	struct xenhv_detach d = { .vm_fd = vm->fd, .flags = 1 };
	struct xenhv_vm_stats st;

	TEST_ASSERT_EQ(xenhv_detach(vm), -ENOENT);
	TEST_ASSERT_EQ(dev_ioctl(XENHV_DETACH_VM, &d), -EINVAL);
	d = (struct xenhv_detach){ .vm_fd = vm->fd, .reserved[2] = 1 };
	TEST_ASSERT_EQ(dev_ioctl(XENHV_DETACH_VM, &d), -EINVAL);
	TEST_ASSERT_EQ(xenhv_stats(vm, &st), -ENOENT);
	vm_destroy(vm);
}

static int list_has(uint64_t id, struct xenhv_vm_info *out)
{
	struct xenhv_vm_info info[64];
	struct xenhv_list l = { .nr = 64, .vms = (uint64_t)info };
	unsigned int i;

	TEST_ASSERT_EQ(dev_ioctl(XENHV_LIST_VMS, &l), 0);
	for (i = 0; i < l.nr && i < 64; i++)
		if (info[i].vm_id == id) {
			if (out)
				*out = info[i];
			return 1;
		}
	return 0;
}

static int module_refcnt(void)
{
	FILE *f = fopen("/sys/module/" XENHV_MODNAME "/refcnt", "r");
	int n = -1;

	if (f) {
		if (fscanf(f, "%d", &n) != 1)
			n = -1;
		fclose(f);
	}
	return n;
}

XTEST(attachment_lives_as_long_as_the_vm)
{
	struct vm *vm = vm_create(NULL);
	struct xenhv_attach at = { .abi = XENHV_ABI_XEN, .flags = XENHV_ATTACH_CPUID };
	struct xenhv_vm_stats st = { .flags = XENHV_STATS_BY_ID };
	struct xenhv_vm_info info;
	int refs = module_refcnt();

	/* Attach through a duplicate of the VM fd, then close it. */
	at.vm_fd = dup(vm->fd);
	TEST_ASSERT_EQ(attach_raw(&at), 0);
	close(at.vm_fd);
	TEST_ASSERT(list_has(at.vm_id, &info), "attached VM not listed");
	TEST_ASSERT_EQ(info.abi, XENHV_ABI_XEN);
	TEST_ASSERT_EQ(info.pid, getpid());
	TEST_ASSERT_EQ(info.flags, XENHV_ATTACH_CPUID);
	TEST_ASSERT_EQ(module_refcnt(), refs + 1);

	/* Detach keeps the record (and the module reference) until the VM goes. */
	TEST_ASSERT_EQ(xenhv_detach(vm), 0);
	TEST_ASSERT(list_has(at.vm_id, &info), "detached VM not listed");
	TEST_ASSERT_EQ(info.abi, XENHV_ABI_NATIVE);

	vm_destroy(vm);
	TEST_ASSERT(!list_has(at.vm_id, NULL), "destroyed VM still listed");
	st.vm_id = at.vm_id;
	TEST_ASSERT_EQ(dev_ioctl(XENHV_GET_VM_STATS, &st), -ENOENT);
	TEST_ASSERT_EQ(module_refcnt(), refs);
}

XTEST(rmmod_refused_while_a_vm_is_attached)
{
	struct vm *vm;

	xenhv_require_module();
	if (!xenhv_module_path())
		SKIP("no module file for this kernel (set XENHV_MODULE)");
	vm = vm_create(NULL);
	xenhv_attach_ok(vm, XENHV_ABI_HYPERV, 0);
	TEST_ASSERT(xenhv_module_unload() < 0, "module unloaded under an attached VM");
	TEST_ASSERT(xenhv_module_loaded(), "module gone");
	vm_destroy(vm);
	TEST_ASSERT_EQ(xenhv_module_unload(), 0);
	TEST_ASSERT_EQ(xenhv_module_load(NULL), 0);
}

XTEST(list_capacity)
{
	struct vm *a = vm_create(NULL), *b = vm_create(NULL);
	struct xenhv_vm_info info[1] = {};
	struct xenhv_list l = {};

	xenhv_attach_ok(a, XENHV_ABI_XEN, 0);
	xenhv_attach_ok(b, XENHV_ABI_HYPERV, 0);
	TEST_ASSERT_EQ(dev_ioctl(XENHV_LIST_VMS, &l), 0);
	TEST_ASSERT(l.nr >= 2, "nr %u", l.nr);
	l = (struct xenhv_list){ .nr = 1, .vms = (uint64_t)info };
	TEST_ASSERT_EQ(dev_ioctl(XENHV_LIST_VMS, &l), 0);
	TEST_ASSERT(l.nr >= 2 && info[0].vm_id, "nr %u id %llu", l.nr, info[0].vm_id);
	l = (struct xenhv_list){ .nr = 4, .vms = 8 };
	TEST_ASSERT_EQ(dev_ioctl(XENHV_LIST_VMS, &l), -EFAULT);
	l = (struct xenhv_list){ .flags = 2 };
	TEST_ASSERT_EQ(dev_ioctl(XENHV_LIST_VMS, &l), -EINVAL);
	vm_destroy(a);
	vm_destroy(b);
}

/* A bare KVM VM (no memory, no vCPU) attached as Hyper-V; returns its fd. */
static int bare_vm_attached(int kvm)
{
	struct xenhv_attach at = { .abi = XENHV_ABI_HYPERV };
	int fd = ioctl(kvm, KVM_CREATE_VM, 0);

	TEST_ASSERT(fd >= 0, "KVM_CREATE_VM: %s", strerror(errno));
	at.vm_fd = fd;
	TEST_ASSERT_EQ(dev_ioctl(XENHV_ATTACH_VM, &at), 0);
	return fd;
}

/*
 * More VMs than one XENHV_LIST_VMS writes (4096): the count is right and
 * only what fits is written, however large the caller's buffer.
 */
XTEST_TIMEOUT(list_more_vms_than_written, 300)
{
	enum { N = 4100 };
	struct rlimit rl = { N + 64, N + 64 };
	struct xenhv_vm_info *info = calloc(N + 100, sizeof(*info));
	struct xenhv_list l = { .nr = N + 100, .vms = (uint64_t)info };
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC), *fds = calloc(N, sizeof(int));
	int i;

	TEST_ASSERT(info && fds && kvm >= 0, "setup");
	TEST_ASSERT(!setrlimit(RLIMIT_NOFILE, &rl), "RLIMIT_NOFILE: %s", strerror(errno));
	/*
	 * Under kmemleak and KASAN (the debug kernel), creating and destroying
	 * 4100 VMs takes longer than the budget, more so the more there are;
	 * the other kernels run this check.
	 */
	if (!access("/sys/kernel/debug/kmemleak", F_OK))
		SKIP("4100 VMs take longer than the budget under kmemleak");
	for (i = 0; i < N; i++)
		fds[i] = bare_vm_attached(kvm);
	memset(info, 0x5a, (N + 100) * sizeof(*info));
	TEST_ASSERT_EQ(dev_ioctl(XENHV_LIST_VMS, &l), 0);
	TEST_ASSERT(l.nr >= N, "nr %u", l.nr);
	for (i = 0; i < 4096; i++)
		TEST_ASSERT(info[i].vm_id && info[i].abi == XENHV_ABI_HYPERV, "entry %d", i);
	/* Past what one call writes, the buffer is untouched. */
	TEST_ASSERT_EQ(info[4096].vm_id, 0x5a5a5a5a5a5a5a5aull);
	for (i = 0; i < N; i++)
		close(fds[i]);
	close(kvm);
	free(fds);
	free(info);
}

/*
 * VMs destroyed while the control plane walks the table (list, stats by
 * id): the walks must not touch a record that destruction freed (a sanitizer
 * kernel reports it; here the calls must keep returning sane answers).
 */
static volatile int race_stop;

static void *race_creator(void *arg)
{
	int kvm = *(int *)arg;

	while (!race_stop)
		close(bare_vm_attached(kvm));
	return NULL;
}

XTEST_TIMEOUT(list_and_stats_race_vm_destruction, 60)
{
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC), dev = xenhv_open();
	struct xenhv_vm_info info[64];
	struct xenhv_vm_stats *st = calloc(1, sizeof(*st));
	struct timespec t0, t;
	pthread_t thr[2];
	unsigned long calls = 0;
	unsigned int i;

	TEST_ASSERT(kvm >= 0 && st, "setup");
	race_stop = 0;
	for (i = 0; i < 2; i++)
		pthread_create(&thr[i], NULL, race_creator, &kvm);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		struct xenhv_list l = { .nr = 64, .vms = (uint64_t)info };

		TEST_ASSERT(!ioctl(dev, XENHV_LIST_VMS, &l), "list: %s", strerror(errno));
		for (i = 0; i < l.nr && i < 64; i++) {
			memset(st, 0, sizeof(*st));
			st->flags = XENHV_STATS_BY_ID;
			st->vm_id = info[i].vm_id;
			if (ioctl(dev, XENHV_GET_VM_STATS, st))
				TEST_ASSERT(errno == ENOENT, "stats: %s", strerror(errno));
			else
				TEST_ASSERT_EQ(st->vm_id, info[i].vm_id);
			calls++;
		}
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while (t.tv_sec - t0.tv_sec < 3);
	race_stop = 1;
	for (i = 0; i < 2; i++)
		pthread_join(thr[i], NULL);
	xtest_log("%lu stats calls against destruction", calls);
	close(dev);
	close(kvm);
	free(st);
}

XTEST(stats_reject_bad_fields)
{
	struct vm *vm = vm_create(NULL);
	struct xenhv_vm_stats st = { .vm_fd = vm->fd, .flags = 2 };

	xenhv_attach_ok(vm, XENHV_ABI_XEN, 0);
	TEST_ASSERT_EQ(dev_ioctl(XENHV_GET_VM_STATS, &st), -EINVAL);
	st = (struct xenhv_vm_stats){ .vm_fd = vm->fd, .reserved[1] = 1 };
	TEST_ASSERT_EQ(dev_ioctl(XENHV_GET_VM_STATS, &st), -EINVAL);
	st = (struct xenhv_vm_stats){ .vm_fd = vm->fd, .vm_id = 3 };
	TEST_ASSERT_EQ(dev_ioctl(XENHV_GET_VM_STATS, &st), -EINVAL);
	st = (struct xenhv_vm_stats){ .vm_fd = vm->fd, .mem_bytes = 1 };
	TEST_ASSERT_EQ(dev_ioctl(XENHV_GET_VM_STATS, &st), -EINVAL);
	st = (struct xenhv_vm_stats){ .vm_fd = -1 };
	TEST_ASSERT_EQ(dev_ioctl(XENHV_GET_VM_STATS, &st), -EBADF);
	st = (struct xenhv_vm_stats){ .flags = XENHV_STATS_BY_ID, .vm_id = ~0ull };
	TEST_ASSERT_EQ(dev_ioctl(XENHV_GET_VM_STATS, &st), -ENOENT);
	st = (struct xenhv_vm_stats){ .vm_fd = vm->fd };
	TEST_ASSERT_EQ(dev_ioctl(XENHV_GET_VM_STATS, &st), 0);
	TEST_ASSERT_EQ(st.nr_ops, XENHV_NR_OPS);
	TEST_ASSERT_EQ(st.abi, XENHV_ABI_XEN);
	vm_destroy(vm);
}

XTEST(cpuid_export)
{
	struct vm *vm = vm_create(NULL), *other = vm_create(NULL);
	struct kvm_cpuid_entry2 e[16];
	struct xenhv_cpuid c = { .vm_fd = vm->fd, .nent = 1, .entries = (uint64_t)e };

	xenhv_attach_ok(vm, XENHV_ABI_XEN, 0);
	TEST_ASSERT_EQ(dev_ioctl(XENHV_GET_CPUID, &c), -E2BIG);
	TEST_ASSERT_EQ(c.nent, 5);
	c.nent = 16;
	TEST_ASSERT_EQ(dev_ioctl(XENHV_GET_CPUID, &c), 0);
	TEST_ASSERT_EQ(c.nent, 5);
	TEST_ASSERT_EQ(e[0].function, 0x40000000);
	TEST_ASSERT(!memcmp(&e[0].ebx, "XenVMMXenVMM", 12), "signature");
	TEST_ASSERT_EQ(e[1].eax, (4 << 16) | 16);
	c.flags = 1;
	TEST_ASSERT_EQ(dev_ioctl(XENHV_GET_CPUID, &c), -EINVAL);
	c = (struct xenhv_cpuid){ .vm_fd = other->fd, .nent = 16, .entries = (uint64_t)e };
	TEST_ASSERT_EQ(dev_ioctl(XENHV_GET_CPUID, &c), -ENOENT);
	xenhv_attach_ok(other, XENHV_ABI_HYPERV, 0);
	TEST_ASSERT_EQ(dev_ioctl(XENHV_GET_CPUID, &c), 0);
	TEST_ASSERT_EQ(c.nent, 11);	/* 0x40000000..0x4000000A */
	TEST_ASSERT(!memcmp(&e[0].ebx, "Microsoft Hv", 12), "signature");
	c.entries = 8;
	TEST_ASSERT_EQ(dev_ioctl(XENHV_GET_CPUID, &c), -EFAULT);
	vm_destroy(vm);
	vm_destroy(other);
}

XTEST(refuses_vm_with_kvm_xen)
{
	struct kvm_xen_hvm_config cfg = {
		.flags = KVM_XEN_HVM_CONFIG_INTERCEPT_HCALL, .msr = 0x40000200,
	};
	struct vm *vm;

	if (!(kvm_check_cap(KVM_CAP_XEN_HVM) & KVM_XEN_HVM_CONFIG_INTERCEPT_HCALL))
		SKIP("KVM has no Xen support (CONFIG_KVM_XEN)");
	vm = vm_create(NULL);
	TEST_ASSERT(!ioctl(vm->fd, KVM_XEN_HVM_CONFIG, &cfg), "KVM_XEN_HVM_CONFIG");
	TEST_ASSERT_EQ(xenhv_attach(vm, XENHV_ABI_XEN, 0, NULL, 0), -EEXIST);
	TEST_ASSERT_EQ(xenhv_attach(vm, XENHV_ABI_HYPERV, 0, NULL, 0), -EEXIST);
	vm_destroy(vm);
}

XTEST(refuses_vm_with_kvm_hyperv)
{
	struct kvm_cpuid2 *c;
	struct vcpu *vcpu;
	struct vm *vm;
	unsigned int i;

	if (!kvm_check_cap(KVM_CAP_HYPERV))
		SKIP("KVM has no Hyper-V emulation");
	vm = vm_create(NULL);
	vcpu = vm_add_vcpu(vm, NULL);
	c = kvm_supported_cpuid();
	/* The Hyper-V interface signature switches KVM's own emulation on. */
	for (i = 0; i < c->nent; i++)
		if (c->entries[i].function == HYPERV_CPUID_INTERFACE)
			break;
	if (i == c->nent)
		c->nent++;
	c->entries[i] = (struct kvm_cpuid_entry2){ .function = HYPERV_CPUID_INTERFACE,
						   .eax = 0x31237648 };
	vcpu_set_cpuid(vcpu, c);
	free(c);
	TEST_ASSERT_EQ(xenhv_attach(vm, XENHV_ABI_HYPERV, 0, NULL, 0), -EEXIST);
	TEST_ASSERT_EQ(xenhv_attach(vm, XENHV_ABI_XEN, 0, NULL, 0), -EEXIST);
	vm_destroy(vm);
}

static void guest_version_until_native(void)
{
	uint64_t r, n = 0;

	/* Attached: xen_version; after the host detaches: stock KVM's ENOSYS. */
	while ((r = guest_hypercall(__HYPERVISOR_xen_version, XENVER_version, 0, 0)) ==
	       ((4 << 16) | 16))
		n++;
	GUEST_ASSERT_EQ(r, (uint64_t)-1000);
	GUEST_SYNC(n);
	GUEST_DONE();
}

static void detach_thread(struct vcpu *vcpu)
{
	struct ucall uc;

	TEST_ASSERT_EQ(vcpu_run_ucall(vcpu, &uc), UCALL_SYNC);
	vcpu->priv = (void *)uc.args[0];
	TEST_ASSERT_EQ(vcpu_run_ucall(vcpu, &uc), UCALL_DONE);
}

XTEST(detach_while_vcpu_runs)
{
	struct vm *vm = vm_create(NULL);
	struct vcpu *vcpu = vm_add_vcpu(vm, guest_version_until_native);
	struct xenhv_vm_stats st;

	xenhv_attach_ok(vm, XENHV_ABI_XEN, 0);
	vcpu_thread_start(vcpu, detach_thread);
	do {
		usleep(1000);
		TEST_ASSERT_EQ(xenhv_stats(vm, &st), 0);
	} while (st.ops[__HYPERVISOR_xen_version].kernel < 20);
	TEST_ASSERT_EQ(xenhv_detach(vm), 0);
	vcpu_thread_join(vcpu);
	TEST_ASSERT((uint64_t)vcpu->priv >= 20, "guest made %lu calls", (uint64_t)vcpu->priv);
	vm_destroy(vm);
}

int main(int argc, char **argv)
{
	return xtest_main(argc, argv);
}

/* A vCPU's Xen state (its timer), then @nports IPI ports. */
static void guest_mem(uint64_t nports)
{
	struct vcpu_set_singleshot_timer t = { .timeout_abs_ns = 1ull << 60 };
	struct evtchn_bind_ipi bi = { .vcpu = 0 };
	uint64_t i;

	GUEST_SYNC(0);
	GUEST_ASSERT_EQ(xg_call(__HYPERVISOR_vcpu_op, VCPUOP_set_singleshot_timer, 0,
				(uint64_t)&t), 0);
	GUEST_SYNC(1);
	for (i = 0; i < nports; i++)
		GUEST_ASSERT_EQ(xg_evtchn(EVTCHNOP_bind_ipi, &bi), 0);
	GUEST_DONE();
}

static uint64_t mem_bytes(struct vm *vm, uint64_t *id)
{
	struct xenhv_vm_stats st = { .vm_fd = vm->fd };

	TEST_ASSERT_EQ(dev_ioctl(XENHV_GET_VM_STATS, &st), 0);
	if (id)
		*id = st.vm_id;
	return st.mem_bytes;
}

/*
 * The shim's memory for a VM: small once attached (the vCPU table and the
 * ports grow as they are used, not by KVM_MAX_VCPUS or the 4096 ports a
 * guest may have), more for a vCPU that used the ABI and for a second
 * bucket of ports, none once detached.
 */
XTEST(stats_memory)
{
	struct vm *vm = vm_create(NULL);
	struct vcpu *vcpu = vm_add_vcpu(vm, guest_mem);
	struct xenhv_vm_stats st;
	uint64_t attached, vcpu_used, ports, id;
	struct ucall uc;

	vcpu_set_args(vcpu, 1, 64);
	xenhv_attach_ok(vm, XENHV_ABI_XEN, 0);
	TEST_ASSERT_EQ(vcpu_run_ucall(vcpu, &uc), UCALL_SYNC);
	attached = mem_bytes(vm, &id);
	TEST_ASSERT(attached > 0 && attached < 16384, "%lu bytes for an attached VM",
		    (unsigned long)attached);
	TEST_ASSERT_EQ(vcpu_run_ucall(vcpu, &uc), UCALL_SYNC);
	vcpu_used = mem_bytes(vm, NULL);
	TEST_ASSERT(vcpu_used > attached, "a vCPU's state not counted: %lu then %lu",
		    (unsigned long)attached, (unsigned long)vcpu_used);
	vcpu_run_to_done(vcpu);
	ports = mem_bytes(vm, NULL);
	/* Ports 1 to 64: two buckets of 64. */
	TEST_ASSERT(ports > vcpu_used && ports < vcpu_used + 16384,
		    "64 ports: %lu bytes, before %lu", (unsigned long)ports,
		    (unsigned long)vcpu_used);
	st = (struct xenhv_vm_stats){ .flags = XENHV_STATS_BY_ID, .vm_id = id };
	TEST_ASSERT_EQ(dev_ioctl(XENHV_GET_VM_STATS, &st), 0);
	TEST_ASSERT_EQ(st.mem_bytes, 0);
	TEST_ASSERT_EQ(xenhv_detach(vm), 0);
	TEST_ASSERT_EQ(mem_bytes(vm, NULL), 0);
	xenhv_attach_ok(vm, XENHV_ABI_HYPERV, 0);
	attached = mem_bytes(vm, NULL);
	TEST_ASSERT(attached > 0 && attached < 16384, "%lu bytes for a Hyper-V VM",
		    (unsigned long)attached);
	vm_destroy(vm);
}
