// SPDX-License-Identifier: GPL-2.0
/*
 * xenhv-bench, second part: how the cost of a call moves with what exists
 * beside it (attached VMs, bound ports, connections) and with the work it
 * asks for (the vCPUs an IPI or a flush targets), and the memory the shim
 * holds per VM and per vCPU beside KVM's own state for the same ABIs.
 *
 * Each table prints nanoseconds per call, medians of ROUNDS runs, and the
 * same numbers as "plot:" lines that scripts/bench.sh draws.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <unistd.h>
#include <linux/btf.h>

#include "abi.h"
#include "bench.h"
#include "xenhv.h"
#include "xen_guest.h"

#define OS_ID		0x8100000000001234ull
#define IN_GPA		(VM_SCRATCH_GPA + 0x1000)
#define NR_TARGETS	16

/* The tables compare points of one curve: a quarter of the rows' calls. */
#define SCALE_CALLS	(iters >= 4000 ? iters / 4 : iters)

enum { T_IPI, T_FLUSH, P_SEND, P_POLL, P_POLL_ALL };

static void guest_version(uint64_t n)
{
	GUEST_SYNC(0);
	while (n--)
		guest_hypercall(__HYPERVISOR_xen_version, XENVER_version, 0, 0);
	GUEST_DONE();
}

/* An IPI or a flush of the vCPUs in @mask, as Linux sends them. */
static void guest_targets(uint64_t n, uint64_t what, uint64_t mask)
{
	uint64_t *in = (uint64_t *)IN_GPA, r;

	guest_wrmsr(HV_X64_MSR_GUEST_OS_ID, OS_ID);
	guest_wrmsr(HV_X64_MSR_HYPERCALL, VM_SCRATCH_GPA | HV_X64_MSR_HYPERCALL_ENABLE);
	in[0] = 0;
	in[1] = 0;
	in[2] = mask;
	GUEST_SYNC(0);
	while (n--) {
		if (what == T_IPI)
			r = guest_hv_hcall(HVCALL_SEND_IPI | HV_HYPERCALL_FAST_BIT, 0xf0, mask);
		else
			r = guest_hv_hcall(HVCALL_FLUSH_VIRTUAL_ADDRESS_SPACE, IN_GPA, 0);
		GUEST_ASSERT_EQ(r & 0xffff, HV_STATUS_SUCCESS);
	}
	GUEST_DONE();
}

/*
 * @nports IPI ports bound, the last one masked and pending; then send on it
 * or poll it (P_POLL_ALL: poll the last min(@nports, 128) ports, of which
 * only the last is pending).
 */
static void guest_ports(uint64_t n, uint64_t what, uint64_t nports)
{
	static uint32_t ports[128];
	struct evtchn_bind_ipi bi = { .vcpu = 0 };
	struct sched_poll p = { .nr_ports = 1 };
	struct evtchn_send send;
	uint64_t i, last = 0;

	xg_setup_shinfo();
	for (i = 0; i < nports; i++) {
		GUEST_ASSERT_EQ(xg_evtchn(EVTCHNOP_bind_ipi, &bi), 0);
		last = bi.port;
		ports[i % 128] = bi.port;
		xg_shinfo()->evtchn_mask[bi.port / 64] |= 1ull << (bi.port % 64);
	}
	send.port = last;
	GUEST_ASSERT_EQ(xg_evtchn(EVTCHNOP_send, &send), 0);	/* now pending */
	if (what == P_POLL_ALL) {
		p.nr_ports = nports < 128 ? nports : 128;
		/* The pending port last, so that every one is looked at. */
		ports[(nports - 1) % 128] = ports[p.nr_ports - 1];
		ports[p.nr_ports - 1] = last;
		set_xen_guest_handle(p.ports, ports);
	} else {
		set_xen_guest_handle(p.ports, &send.port);
	}
	GUEST_SYNC(0);
	while (n--) {
		if (what == P_SEND)
			GUEST_ASSERT_EQ(xg_evtchn(EVTCHNOP_send, &send), 0);
		else
			GUEST_ASSERT_EQ(xg_call(__HYPERVISOR_sched_op, SCHEDOP_poll,
						(uint64_t)&p, 0), 0);
	}
	GUEST_DONE();
}

static void guest_signal(uint64_t n, uint64_t conn)
{
	uint64_t r;

	guest_wrmsr(HV_X64_MSR_GUEST_OS_ID, OS_ID);
	guest_wrmsr(HV_X64_MSR_HYPERCALL, VM_SCRATCH_GPA | HV_X64_MSR_HYPERCALL_ENABLE);
	GUEST_SYNC(0);
	while (n--) {
		r = guest_hv_hcall(HVCALL_SIGNAL_EVENT | HV_HYPERCALL_FAST_BIT, conn, 0);
		GUEST_ASSERT_EQ(r & 0xffff, HV_STATUS_SUCCESS);
	}
	GUEST_DONE();
}

/* Runs @vcpu's guest to @want; the next exit must be exactly that. */
static void run_to(struct vcpu *vcpu, uint64_t want)
{
	struct ucall uc;
	uint64_t got;

	vcpu_run(vcpu);
	got = vcpu_get_ucall(vcpu, &uc);
	if (got == UCALL_ABORT)
		report_guest_abort(vcpu, &uc);
	if (got != want)
		TEST_FAIL("unexpected exit %s", exit_reason_str(vcpu->run->exit_reason));
}

/* Set-up up to the guest's sync untimed, then its calls: ns per call. */
static double timed(struct vcpu *vcpu, uint64_t calls)
{
	double t0;

	run_to(vcpu, UCALL_SYNC);
	t0 = now();
	run_to(vcpu, UCALL_DONE);
	return (now() - t0) * 1e9 / calls;
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return v[n / 2];
}

static int dev_ioctl(unsigned long cmd, void *arg)
{
	int fd = xenhv_open(), ret;

	ret = ioctl(fd, cmd, arg);
	close(fd);
	return ret;
}

/*
 * VMs beside the measured one: bare VMs (no memory, no vCPU), attached or
 * not; the ones that are not are the baseline, what KVM itself pays for
 * that many VMs.
 */
struct pool {
	int *fd;
	int n;
};

static void pool_grow(struct pool *p, int kvm, int n, bool attach)
{
	struct xenhv_attach at;

	if (!n)
		return;
	p->fd = realloc(p->fd, n * sizeof(*p->fd));
	TEST_ASSERT(p->fd, "out of memory");
	for (; p->n < n; p->n++) {
		p->fd[p->n] = ioctl(kvm, KVM_CREATE_VM, 0);
		TEST_ASSERT(p->fd[p->n] >= 0, "KVM_CREATE_VM %d: %s", p->n, strerror(errno));
		if (!attach)
			continue;
		at = (struct xenhv_attach){ .vm_fd = p->fd[p->n], .abi = XENHV_ABI_HYPERV };
		TEST_ASSERT(!dev_ioctl(XENHV_ATTACH_VM, &at), "attaching VM %d: %s", p->n,
			    strerror(errno));
	}
}

static void pool_free(struct pool *p)
{
	while (p->n)
		close(p->fd[--p->n]);
	free(p->fd);
	p->fd = NULL;
}

/* xen_version on an attached VM, or an unknown call on one that is not. */
static double vms_point(bool attached)
{
	struct vm *vm = vm_create(NULL);
	struct vcpu *vcpu = vm_add_vcpu(vm, guest_version);
	double ns;

	vcpu_set_args(vcpu, 1, SCALE_CALLS);
	if (attached)
		xenhv_attach_ok(vm, XENHV_ABI_XEN, 0);
	ns = timed(vcpu, SCALE_CALLS);
	vm_destroy(vm);
	return ns;
}

/*
 * Cost against attached VMs: the measured VM's calls beside N - 1 attached
 * VMs, and beside N - 1 VMs that are not attached (what KVM pays for them);
 * the ratio of the two is the shim's share.
 */
static void table_vms(void)
{
	static const int points[] = { 1, 10, 100, 1000 };
	enum { NP = ARRAY_SIZE(points) };
	struct rlimit rl = { 4096, 4096 };
	double v[4][NP], r[4][ROUNDS];
	int kvm = kvm_open(), p, i, j;
	struct pool on = {}, off = {};

	setrlimit(RLIMIT_NOFILE, &rl);
	for (p = 0; p < NP; p++) {
		pool_grow(&on, kvm, points[p] - 1, true);
		for (i = 0; i < ROUNDS; i++) {
			r[0][i] = vms_point(true);
			r[1][i] = vms_point(false);
		}
		/* Two pools of 999 VMs at once are more than the test machine has. */
		pool_free(&on);
		pool_grow(&off, kvm, points[p] - 1, false);
		for (i = 0; i < ROUNDS; i++) {
			r[2][i] = vms_point(true);
			r[3][i] = vms_point(false);
		}
		pool_free(&off);
		for (j = 0; j < 4; j++)
			v[j][p] = median(r[j], ROUNDS);
	}
	close(kvm);
	printf("cost against attached VMs (ns per call): a VM's xen_version beside N - 1\n"
	       "attached VMs, and a call KVM does not know from a VM that is not attached;\n"
	       "the baseline is the same beside N - 1 VMs that are not attached:\n");
	printf("  %-30s", "VMs");
	for (p = 0; p < NP; p++)
		printf(" %8d", points[p]);
	printf("\n  %-30s", "xen_version, attached VM");
	for (p = 0; p < NP; p++)
		printf(" %8.0f", v[0][p]);
	printf("\n  %-30s", "  baseline / this");
	for (p = 0; p < NP; p++)
		printf(" %8.2f", v[2][p] / v[0][p]);
	printf("\n  %-30s", "unknown call, unattached VM");
	for (p = 0; p < NP; p++)
		printf(" %8.0f", v[1][p]);
	printf("\n  %-30s", "  baseline / this");
	for (p = 0; p < NP; p++)
		printf(" %8.2f", v[3][p] / v[1][p]);
	printf("\n");
	for (p = 0; p < NP; p++)
		printf("plot:vms:%d %.1f %.1f %.1f %.1f\n", points[p], v[0][p], v[1][p], v[2][p],
		       v[3][p]);
}

static double targets_point(int what, int k, bool kvm_own)
{
	struct vm *vm = vm_create(&(struct vm_opts){ .irqchip = true });
	struct vcpu *vcpu = vm_add_vcpu(vm, guest_targets);
	double ns;
	int i;

	for (i = 1; i < NR_TARGETS; i++)
		vm_add_vcpu(vm, guest_targets);
	vcpu_set_args(vcpu, 3, SCALE_CALLS, (uint64_t)what, (k == 64 ? ~0ull : (1ull << k) - 1));
	if (kvm_own)
		for (i = 0; i < NR_TARGETS; i++)
			vcpu_set_kvm_hyperv_cpuid(vm->vcpus[i]);
	else
		xenhv_attach_ok(vm, XENHV_ABI_HYPERV, 0);
	ns = timed(vcpu, SCALE_CALLS);
	vm_destroy(vm);
	return ns;
}

static void table_targets(void)
{
	static const int points[] = { 1, 2, 4, 8, 16 };
	static const char * const what[] = { "IPI", "flush" };
	enum { NP = ARRAY_SIZE(points) };
	double s[2][NP], k[2][NP], r[2][ROUNDS];
	int w, p, i;

	for (w = 0; w < 2; w++)
		for (p = 0; p < NP; p++) {
			for (i = 0; i < ROUNDS; i++) {
				r[0][i] = targets_point(w, points[p], false);
				r[1][i] = targets_point(w, points[p], true);
			}
			s[w][p] = median(r[0], ROUNDS);
			k[w][p] = median(r[1], ROUNDS);
		}
	printf("cost against the vCPUs an IPI or a flush targets (ns per call):\n");
	printf("  %-24s", "target vCPUs");
	for (p = 0; p < NP; p++)
		printf(" %8d", points[p]);
	for (w = 0; w < 2; w++) {
		printf("\n  %-24s", what[w]);
		for (p = 0; p < NP; p++)
			printf(" %8.0f", s[w][p]);
		printf("\n  %-24s", "  KVM's own");
		for (p = 0; p < NP; p++)
			printf(" %8.0f", k[w][p]);
		printf("\n  %-24s", "  KVM's own / shim");
		for (p = 0; p < NP; p++)
			printf(" %8.2f", k[w][p] / s[w][p]);
	}
	printf("\n");
	for (p = 0; p < NP; p++)
		printf("plot:targets:%d %.1f %.1f %.1f %.1f\n", points[p], s[0][p], k[0][p],
		       s[1][p], k[1][p]);
}

static double ports_point(int what, int nports)
{
	struct vm *vm = vm_create(NULL);
	struct vcpu *vcpu = vm_add_vcpu(vm, guest_ports);
	double ns;

	vcpu_set_args(vcpu, 3, SCALE_CALLS, (uint64_t)what, (uint64_t)nports);
	xenhv_attach_ok(vm, XENHV_ABI_XEN, 0);
	ns = timed(vcpu, SCALE_CALLS);
	vm_destroy(vm);
	return ns;
}

static double conns_point(int nconns)
{
	struct vm *vm = vm_create(NULL);
	struct vcpu *vcpu = vm_add_vcpu(vm, guest_signal);
	int efd = eventfd(0, EFD_CLOEXEC), c;
	struct xenhv_hv_conn b = {
		.vm_fd = vm->fd, .flags = XENHV_CONN_EVENTFD, .fd = efd,
	};
	double ns;

	TEST_ASSERT(efd >= 0, "eventfd: %s", strerror(errno));
	xenhv_attach_ok(vm, XENHV_ABI_HYPERV, 0);
	for (c = 1; c <= nconns; c++) {
		b.conn_id = c;
		TEST_ASSERT_EQ(dev_ioctl(XENHV_HV_BIND_CONN, &b), 0);
	}
	vcpu_set_args(vcpu, 2, SCALE_CALLS, (uint64_t)nconns);
	ns = timed(vcpu, SCALE_CALLS);
	vm_destroy(vm);
	close(efd);
	return ns;
}

static void table_ports(void)
{
	static const int points[] = { 1, 16, 256, 4095 };
	static const char * const what[] = {
		"send, last port", "poll, last port", "poll, up to 128 ports", "SignalEvent",
	};
	enum { NP = ARRAY_SIZE(points) };
	double v[4][NP], r[ROUNDS];
	int w, p, i;

	for (w = 0; w < 4; w++)
		for (p = 0; p < NP; p++) {
			for (i = 0; i < ROUNDS; i++)
				r[i] = w < 3 ? ports_point(P_SEND + w, points[p]) :
					       conns_point(points[p]);
			v[w][p] = median(r, ROUNDS);
		}
	printf("cost against bound Xen ports and Hyper-V connections (ns per call):\n");
	printf("  %-24s", "bound ports/connections");
	for (p = 0; p < NP; p++)
		printf(" %8d", points[p]);
	for (w = 0; w < 4; w++) {
		printf("\n  %-24s", what[w]);
		for (p = 0; p < NP; p++)
			printf(" %8.0f", v[w][p]);
		if (w == 2)
			continue;	/* asks for more work as ports grow */
		printf("\n  %-24s", "  against the first");
		for (p = 0; p < NP; p++)
			printf(" %8.2f", v[w][0] / v[w][p]);
	}
	printf("\n");
	for (p = 0; p < NP; p++)
		printf("plot:ports:%d %.1f %.1f %.1f %.1f\n", points[p], v[0][p], v[1][p],
		       v[2][p], v[3][p]);
}

/* A call that gives the calling vCPU its per-vCPU state in either ABI. */
static void guest_touch(uint64_t abi, uint64_t me)
{
	struct vcpu_set_singleshot_timer t = { .timeout_abs_ns = 1ull << 60 };

	if (abi == XENHV_ABI_XEN) {
		GUEST_ASSERT_EQ(xg_call(__HYPERVISOR_vcpu_op, VCPUOP_set_singleshot_timer, me,
					(uint64_t)&t), 0);
	} else {
		guest_wrmsr(HV_X64_MSR_GUEST_OS_ID, OS_ID);
		guest_wrmsr(HV_X64_MSR_SCONTROL, 1);
	}
	GUEST_DONE();
}

static uint64_t state_bytes(uint32_t abi, int nr_vcpus)
{
	struct vm *vm = vm_create(NULL);
	struct xenhv_vm_stats *st = calloc(1, sizeof(*st));
	uint64_t bytes;
	int i;

	TEST_ASSERT(st, "out of memory");
	for (i = 0; i < nr_vcpus; i++)
		vcpu_set_args(vm_add_vcpu(vm, guest_touch), 2, (uint64_t)abi, (uint64_t)i);
	xenhv_attach_ok(vm, abi, 0);
	for (i = 0; i < nr_vcpus; i++)
		vcpu_run_to_done(vm->vcpus[i]);
	st->vm_fd = vm->fd;
	TEST_ASSERT_EQ(dev_ioctl(XENHV_GET_VM_STATS, st), 0);
	bytes = st->mem_bytes;
	free(st);
	vm_destroy(vm);
	return bytes;
}

/*
 * The size of struct @name from the running kernel's BTF: kvm.ko's, whose
 * strings continue vmlinux's, then vmlinux's. 0: not found.
 */
static void *slurp(const char *path, size_t *len)
{
	size_t cap = 1 << 20, n = 0;
	char *buf = malloc(cap);
	FILE *f = fopen(path, "r");
	size_t r;

	if (!f || !buf) {
		if (f)
			fclose(f);
		free(buf);
		return NULL;
	}
	while ((r = fread(buf + n, 1, cap - n, f)) > 0) {
		n += r;
		if (n == cap) {
			char *nb = realloc(buf, cap *= 2);

			if (!nb)
				break;
			buf = nb;
		}
	}
	fclose(f);
	*len = n;
	return buf;
}

static uint32_t btf_size_in(const uint8_t *b, size_t len, const uint8_t *base, size_t blen,
			    const char *name)
{
	const struct btf_header *h = (const void *)b, *bh = (const void *)base;
	uint32_t base_str = base ? bh->str_len : 0, off = 0;
	const char *str;

	if (len < sizeof(*h) || h->magic != BTF_MAGIC ||
	    (size_t)h->hdr_len + h->str_off + h->str_len > len ||
	    (size_t)h->hdr_len + h->type_off + h->type_len > len)
		return 0;
	str = (const char *)b + h->hdr_len + h->str_off;
	while (off + sizeof(struct btf_type) <= h->type_len) {
		const struct btf_type *t = (const void *)(b + h->hdr_len + h->type_off + off);
		uint32_t kind = BTF_INFO_KIND(t->info), vlen = BTF_INFO_VLEN(t->info);
		const char *nm = NULL;
		static const uint8_t per[] = {
			[BTF_KIND_ARRAY] = 0, [BTF_KIND_STRUCT] = 12, [BTF_KIND_UNION] = 12,
			[BTF_KIND_ENUM] = 8, [BTF_KIND_FUNC_PROTO] = 8, [BTF_KIND_DATASEC] = 12,
			[19] = 12,	/* BTF_KIND_ENUM64 */
		};

		if (t->name_off >= base_str && t->name_off - base_str < h->str_len)
			nm = str + t->name_off - base_str;
		else if (base && t->name_off < base_str)
			nm = (const char *)base + bh->hdr_len + bh->str_off + t->name_off;
		if (kind == BTF_KIND_STRUCT && nm && !strcmp(nm, name))
			return t->size;
		off += sizeof(*t);
		if (kind == BTF_KIND_INT || kind == BTF_KIND_VAR || kind == 17 /* DECL_TAG */)
			off += 4;
		else if (kind == BTF_KIND_ARRAY)
			off += sizeof(struct btf_array);
		else if (kind < sizeof(per))
			off += per[kind] * vlen;
	}
	(void)blen;
	return 0;
}

static uint32_t kvm_struct_size(const char *name)
{
	size_t vlen = 0, klen = 0;
	uint8_t *v = slurp("/sys/kernel/btf/vmlinux", &vlen);
	uint8_t *k = slurp("/sys/kernel/btf/kvm", &klen);
	uint32_t size = 0;

	if (v && k)
		size = btf_size_in(k, klen, v, vlen, name);
	if (v && !size)
		size = btf_size_in(v, vlen, NULL, 0, name);
	free(v);
	free(k);
	return size;
}

static void table_memory(void)
{
	static const struct { uint32_t abi; const char *name, *kvm_vm, *kvm_vcpu; } abis[] = {
		{ XENHV_ABI_XEN, "Xen", "kvm_xen", "kvm_vcpu_xen" },
		{ XENHV_ABI_HYPERV, "Hyper-V", "kvm_hv", "kvm_vcpu_hv" },
	};
	int a;

	printf("memory (bytes; the shim's with XENHV_GET_VM_STATS, KVM's from its BTF):\n");
	printf("  %-10s %12s %12s %16s %16s\n", "ABI", "shim per VM", "per vCPU",
	       "KVM's per VM", "KVM's per vCPU");
	for (a = 0; a < 2; a++) {
		uint64_t one = state_bytes(abis[a].abi, 1), eight = state_bytes(abis[a].abi, 8);
		uint64_t vcpu = (eight - one) / 7;

		printf("  %-10s %12lu %12lu %9u %-6s %9u %s\n", abis[a].name, one - vcpu, vcpu,
		       kvm_struct_size(abis[a].kvm_vm), "", kvm_struct_size(abis[a].kvm_vcpu),
		       abis[a].kvm_vcpu);
	}
	printf("  (KVM's: struct kvm_xen and kvm_hv are in every VM, struct kvm_vcpu_xen in\n"
	       "   every vCPU where CONFIG_KVM_XEN is set; kvm_vcpu_hv is allocated per vCPU\n"
	       "   once Hyper-V is used. 0: not in this kernel's BTF.)\n");
}

void bench_scaling(void)
{
	table_vms();
	table_targets();
	table_ports();
	table_memory();
}
