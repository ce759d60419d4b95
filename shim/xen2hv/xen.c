// SPDX-License-Identifier: GPL-2.0
/*
 * xen2hv: the Xen HVM guest ABI. Decodes Xen hypercalls (64-bit: RAX, RDI,
 * RSI, RDX, R10, R8, R9; 32-bit: EAX, EBX, ECX, EDX, ESI, EDI, EBP), the
 * hypercall-page MSR and the Xen CPUID leaves, and maps each call onto a
 * core operation; xen_dispatch() below is the mapping table
 * (Documentation/xen2hv.rst describes it). Calls the shim does not carry
 * out go to the VMM as KVM_EXIT_XEN, in KVM's own layout.
 *
 * Structure layouts are the 64-bit ones; 32-bit callers get the 32-bit
 * register convention and, for the calls whose layout differs (sched_poll,
 * the area registrations, add_to_physmap), the 32-bit layout.
 */
#include "compat/kvm.h"
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <xen/interface/xen.h>
#include <asm/xen/cpuid.h>
#include <xen/interface/version.h>
#include <xen/interface/features.h>
#include <xen/interface/memory.h>
#include <xen/interface/hvm/hvm_op.h>
#include <xen/interface/hvm/params.h>
#include <xen/interface/sched.h>

#include "xen.h"

#define XEN_DEFAULT_VERSION	((4 << 16) | 16)
#define XEN_DEFAULT_MSR		0x40000000
#define XEN_CPUID_SIGNATURE	"XenVMMXenVMM"
#define XEN_CPUID_LEAVES	5	/* base + 0 .. base + 4 */
#define HVMOP_flush_tlbs	5	/* Xen's public hvm_op.h */
#define HVM_CALLBACK_TYPE_VECTOR 2	/* HVM_PARAM_CALLBACK_IRQ bits 63:56 */
#define XEN_MEMOP_CMD_MASK	0x3f	/* Xen's MEMOP_CMD_MASK: bits above are a cursor */

struct xen_call {
	u64 nr;
	u64 args[6];
	bool longmode;
	int cpl;
};

/* Statistics index: the hypercall number; Xen defines fewer than 64. */
static u32 xen_op(u64 nr)
{
	return nr < 64 ? nr : XENHV_OP_CALL_OTHER;
}

/*
 * Free the VM's Xen state. Every vCPU's timers stop before any vCPU's state
 * goes: a timer of one vCPU raises ports that notify others. No call of
 * the ABI runs (detach drained them; at destruction no vCPU runs) and the
 * VMM's eventfds are released.
 */
static void xen_free(struct xenhv_vm *vm)
{
	struct xen_vm *x = vm->xen.x;
	u32 i;

	for (i = 0; i < x->vcpus.nr; i++)
		if (xen_vcpu_find(x, i))
			xen_vcpu_teardown(xen_vcpu_find(x, i));
	for (i = 0; i < x->vcpus.nr; i++) {
		struct xen_vcpu *xv = xen_vcpu_find(x, i);

		if (!xv)
			continue;
		xenhv_gpage_unpin(&xv->vi_page);
		xenhv_gpage_unpin(&xv->rs_page[0]);
		xenhv_gpage_unpin(&xv->rs_page[1]);
		xenhv_gpage_unpin(&xv->time_page);
		kfree(xv);
	}
	xenhv_gpage_unpin(&x->shinfo);
	xenhv_vcpu_table_free(&x->vcpus);
	xen_evtchn_free(x);
	vm->xen.x = NULL;
	kvfree_rcu(x, rcu);
}

static int xen_attach(struct xenhv_vm *vm, const struct xenhv_attach *at)
{
	const struct xenhv_xen_config *c = &at->xen;
	u32 base = c->cpuid_base ? c->cpuid_base : 0x40000000;
	u32 msr = c->hypercall_msr ? c->hypercall_msr : XEN_DEFAULT_MSR;
	struct xen_vm *x = vm->xen.x;

	if (c->reserved0 || memchr_inv(c->reserved, 0, sizeof(c->reserved)) ||
	    (c->features & ~XENHV_XEN_ALL))
		return -EINVAL;
	if (base != 0x40000000 && base != 0x40000100)
		return -EINVAL;
	/* The page MSR must be in the hypervisor-reserved MSR range. */
	if (msr < 0x40000000 || msr > 0x4fffffff)
		return -EINVAL;
	if (!x) {
		x = kzalloc(sizeof(*x), GFP_KERNEL_ACCOUNT);
		if (!x)
			return -ENOMEM;
		xenhv_vcpu_table_init(&x->vcpus, vm->kvm);
		x->vm = vm;
		raw_spin_lock_init(&x->lock);
		mutex_init(&x->ops_lock);
		INIT_LIST_HEAD(&x->raises);
		xenhv_clock_init(&x->clock);
	}
	x->kvm_uapi = at->flags & XENHV_ATTACH_KVM_UAPI;
	vm->xen = (struct xenhv_xen_state) {
		.x = x,
		/* KVM's uapi answers XENVER_version only once the VMM set it. */
		.version = c->version ? c->version :
			   x->kvm_uapi ? 0 : XEN_DEFAULT_VERSION,
		.hypercall_msr = msr,
		.cpuid_base = base,
		.features = c->features ? c->features : XENHV_XEN_ALL,
	};
	return 0;
}

/*
 * Detached: no call of the ABI runs any more (vm.c drained them); release
 * everything, so that the VM is stock KVM again and a later attachment
 * starts from the power-on state.
 */
static void xen_detach(struct xenhv_vm *vm)
{
	struct xen_vm *x = vm->xen.x;

	if (!x)
		return;
	mutex_lock(&x->ops_lock);
	xen_evtchn_teardown(x);
	mutex_unlock(&x->ops_lock);
	xen_free(vm);
}

static u64 xen_mem_bytes(struct xenhv_vm *vm)
{
	struct xen_vm *x = vm->xen.x;

	return x ? ksize(x) + xenhv_vcpu_table_bytes(&x->vcpus) + xen_evtchn_bytes(x) : 0;
}

/* KVM destroys the VM: atomic context, no vCPU runs. */
static void xen_destroy(struct xenhv_vm *vm)
{
	struct xen_vm *x = vm->xen.x;

	if (!x)
		return;
	xen_evtchn_teardown(x);
	xen_free(vm);
}

static void xen_cpuid_range(struct xenhv_vm *vm, u32 *first, u32 *last)
{
	*first = vm->xen.cpuid_base;
	*last = vm->xen.cpuid_base + XEN_CPUID_LEAVES - 1;
}

static void xen_cpuid(struct xenhv_vm *vm, struct kvm_vcpu *vcpu, u32 leaf, u32 sub, u32 r[4])
{
	u32 base = vm->xen.cpuid_base;

	memset(r, 0, 4 * sizeof(u32));
	if (leaf < base || leaf >= base + XEN_CPUID_LEAVES)
		return;
	switch (leaf - base) {
	case 0:
		r[0] = base + XEN_CPUID_LEAVES - 1;
		memcpy(&r[1], XEN_CPUID_SIGNATURE, 12);
		break;
	case 1:
		r[0] = vm->xen.version;
		break;
	case 2:
		r[0] = 1;			/* hypercall pages */
		r[1] = vm->xen.hypercall_msr;
		break;
	case 4:
		/* Per-vCPU upcall vectors need the in-kernel LAPIC. */
		if ((vm->xen.features & XENHV_XEN_UPCALL_VECTOR) &&
		    (!vcpu || xenhv_guest_has_lapic(vcpu)))
			r[0] |= XEN_HVM_CPUID_UPCALL_VECTOR;
		if (vcpu && (vm->xen.features & XENHV_XEN_VCPU_ID)) {
			r[0] |= XEN_HVM_CPUID_VCPU_ID_PRESENT;
			r[1] = vcpu->vcpu_idx;
		}
		break;
	}
	/* base + 3 (TSC mode): zero, the default mode. */
}

/*
 * The hypercall page: 32 stubs of 32 bytes, "mov $nr, %eax; vmcall; ret",
 * and a ud2 for __HYPERVISOR_iret, which HVM guests must not use.
 */
static int xen_write_hypercall_page(struct kvm_vcpu *vcpu, gpa_t gpa)
{
	u8 *page, insn[3];
	int i, ret;

	page = kzalloc(PAGE_SIZE, GFP_KERNEL_ACCOUNT);
	if (!page)
		return -ENOMEM;
	xenhv_hypercall_insn(insn);
	for (i = 0; i < PAGE_SIZE / 32; i++) {
		u8 *p = page + i * 32;

		p[0] = 0xb8;			/* mov $i, %eax */
		put_unaligned_le32(i, p + 1);
		memcpy(p + 5, insn, 3);
		p[8] = 0xc3;			/* ret */
	}
	page[__HYPERVISOR_iret * 32] = 0x0f;	/* ud2 */
	page[__HYPERVISOR_iret * 32 + 1] = 0x0b;
	ret = xenhv_gpa_write(vcpu, gpa, page, PAGE_SIZE);
	kfree(page);
	return ret;
}

static int xen_get_msr(struct kvm_vcpu *vcpu, struct xenhv_vm *vm, struct msr_data *msr)
{
	if (msr->index != vm->xen.hypercall_msr)
		return XENHV_MSR_PASS;
	xenhv_count(vm, XENHV_OP_MSR_READ, XENHV_STAT_KERNEL);
	msr->data = READ_ONCE(vm->xen.hypercall_msr_value);
	return 0;
}

/*
 * Guest writes: bits 63:12 are the page's GPA, bits 11:0 the page index
 * (only page 0 exists). An index other than 0 or an unbacked GPA is a #GP,
 * as on Xen. Host-initiated writes (state restore) only record the value:
 * the page itself travels with guest memory.
 */
static int xen_set_msr(struct kvm_vcpu *vcpu, struct xenhv_vm *vm, struct msr_data *msr)
{
	if (msr->index != vm->xen.hypercall_msr)
		return XENHV_MSR_PASS;
	if (msr->data & ~PAGE_MASK)
		goto fault;
	if (!msr->host_initiated && xen_write_hypercall_page(vcpu, msr->data & PAGE_MASK))
		goto fault;
	/* KVM's uapi latches the guest's mode here, as KVM's own Xen does. */
	if (!msr->host_initiated && vm->xen.x->kvm_uapi)
		WRITE_ONCE(vm->xen.x->long_mode, xenhv_guest_64bit(vcpu));
	WRITE_ONCE(vm->xen.hypercall_msr_value, msr->data);
	xenhv_count(vm, XENHV_OP_MSR_WRITE, XENHV_STAT_KERNEL);
	return 0;
fault:
	xenhv_count(vm, XENHV_OP_MSR_WRITE, XENHV_STAT_ERROR);
	return 1;
}

/* Argument @i (0..5) of @vcpu's call, from Xen's registers for its mode. */
static __always_inline u64 xen_arg(struct kvm_vcpu *vcpu, bool longmode, unsigned int i)
{
	static const u8 regs64[] = {
		VCPU_REGS_RDI, VCPU_REGS_RSI, VCPU_REGS_RDX,
		VCPU_REGS_R10, VCPU_REGS_R8, VCPU_REGS_R9,
	};
	static const u8 regs32[] = {
		VCPU_REGS_RBX, VCPU_REGS_RCX, VCPU_REGS_RDX,
		VCPU_REGS_RSI, VCPU_REGS_RDI, VCPU_REGS_RBP,
	};

	return longmode ? xenhv_reg(vcpu, regs64[i]) : (u32)xenhv_reg(vcpu, regs32[i]);
}

static __always_inline u64 xen_nr(struct kvm_vcpu *vcpu, bool longmode)
{
	u64 nr = xenhv_reg(vcpu, VCPU_REGS_RAX);

	return longmode ? nr : (u32)nr;
}

static void xen_decode(struct kvm_vcpu *vcpu, struct xen_call *c, bool longmode)
{
	unsigned int i;

	c->longmode = longmode;
	c->cpl = xenhv_guest_cpl(vcpu);
	c->nr = xen_nr(vcpu, longmode);
	for (i = 0; i < ARRAY_SIZE(c->args); i++)
		c->args[i] = xen_arg(vcpu, longmode, i);
}

static __always_inline int xen_complete(struct kvm_vcpu *vcpu, bool longmode, u64 result)
{
	xenhv_set_reg(vcpu, VCPU_REGS_RAX, longmode ? result : (u32)result);
	return xenhv_skip_insn(vcpu);
}

/* KVM calls this when KVM_RUN resumes after a KVM_EXIT_XEN. */
static int xen_complete_userspace(struct kvm_vcpu *vcpu)
{
	struct kvm_xen_exit *x = &vcpu->run->xen;

	return xen_complete(vcpu, x->u.hcall.longmode, x->u.hcall.result);
}

static int xen_exit_to_user(struct kvm_vcpu *vcpu, const struct xen_call *c)
{
	struct kvm_run *run = vcpu->run;
	int i;

	run->exit_reason = KVM_EXIT_XEN;
	run->xen.type = KVM_EXIT_XEN_HCALL;
	run->xen.u.hcall.longmode = c->longmode;
	run->xen.u.hcall.cpl = c->cpl;
	run->xen.u.hcall.input = c->nr;
	for (i = 0; i < 6; i++)
		run->xen.u.hcall.params[i] = c->args[i];
	run->xen.u.hcall.result = -XEN_ENOSYS;
	vcpu->arch.complete_userspace_io = xen_complete_userspace;
	return 0;
}

static int copy_out(struct kvm_vcpu *vcpu, u64 gva, const void *data, unsigned int len)
{
	return xenhv_gva_write(vcpu, gva, data, len) ? -XEN_EFAULT : 0;
}

/* The features the shim implements for an HVM guest, as the VM's set offers them. */
static u32 xen_features(struct xenhv_vm *vm)
{
	u32 f = BIT(XENFEAT_auto_translated_physmap);

	if (vm->xen.features & XENHV_XEN_CALLBACK_VECTOR)
		f |= BIT(XENFEAT_hvm_callback_vector);
	if (vm->xen.features & XENHV_XEN_SAFE_PVCLOCK)
		f |= BIT(XENFEAT_hvm_safe_pvclock);
	return f;
}

static long __xenhv_hot xen_version(struct kvm_vcpu *vcpu, struct xenhv_vm *vm,
				    const struct xen_call *c)
{
	u64 arg = c->args[1];

	switch (c->args[0]) {
	case XENVER_version:
		return vm->xen.version;
	case XENVER_extraversion: {
		struct xen_extraversion e = { .extraversion = ".0-xenhv" };

		return copy_out(vcpu, arg, &e, sizeof(e));
	}
	case XENVER_compile_info: {
		struct xen_compile_info i = {
			.compiler = "xenhv_shim", .compile_by = "xenhv",
			.compile_domain = "kvm", .compile_date = "",
		};

		return copy_out(vcpu, arg, &i, sizeof(i));
	}
	case XENVER_capabilities: {
		static const char caps[] = "hvm-3.0-x86_64 hvm-3.0-x86_32 hvm-3.0-x86_32p";

		return copy_out(vcpu, arg, caps, sizeof(caps));
	}
	case XENVER_changeset: {
		struct xen_changeset_info ch = { .info = "xenhv_shim" };

		return copy_out(vcpu, arg, &ch, sizeof(ch));
	}
	case XENVER_platform_parameters: {
		/* HVM guests have no hypervisor hole in their address space. */
		u64 virt_start = 0;

		return copy_out(vcpu, arg, &virt_start, c->longmode ? 8 : 4);
	}
	case XENVER_get_features: {
		struct xen_feature_info fi;

		if (xenhv_gva_read(vcpu, arg, &fi, sizeof(fi)))
			return -XEN_EFAULT;
		fi.submap = fi.submap_idx == 0 ? xen_features(vm) : 0;
		return copy_out(vcpu, arg, &fi, sizeof(fi));
	}
	case XENVER_pagesize:
		return PAGE_SIZE;
	case XENVER_guest_handle: {
		u8 handle[16] = {};

		return copy_out(vcpu, arg, handle, sizeof(handle));
	}
	}
	return -XEN_ENOSYS;
}

/* shared_info at a guest frame: pinned, its wallclock and time written. */
/*
 * Place shared_info at @gfn (KVM_XEN_INVALID_GFN: nowhere, from the KVM
 * uapi only) and write the wallclock and every vCPU's time there. 0 or
 * -EINVAL.
 */
int xen_set_shared_info(struct xen_vm *x, struct kvm_vcpu *vcpu, u64 gfn)
{
	struct xenhv_gpage gp = {};

	if (gfn != KVM_XEN_INVALID_GFN &&
	    (gfn >> (52 - PAGE_SHIFT) || xenhv_gpage_pin(vcpu, gfn << PAGE_SHIFT, &gp)))
		return -EINVAL;
	xen_set_shared_info_page(x, vcpu, &gp);
	return 0;
}

/* The same with the page pinned by the caller (none: @gp empty); takes it. */
void xen_set_shared_info_page(struct xen_vm *x, struct kvm_vcpu *vcpu, struct xenhv_gpage *gp)
{
	struct xenhv_tsc_scale sc;
	struct xenhv_gpage old;
	unsigned long flags;
	unsigned long i;

	mutex_lock(&x->ops_lock);
	/* The uapi's wallclock is real time at kvmclock 0, as KVM's own. */
	if (x->kvm_uapi) {
		xenhv_kvmclock_scale(vcpu, &sc);
		x->clock.wall_ns = ktime_get_real_ns() - xenhv_scale_now(vcpu, &sc);
	}
	raw_spin_lock_irqsave(&x->lock, flags);
	old = x->shinfo;
	x->shinfo.page = gp->page;
	x->shinfo.gpa = gp->gpa;
	WRITE_ONCE(x->shinfo.va, gp->va);
	*gp = (struct xenhv_gpage){};	/* taken: the caller must not unpin it */
	raw_spin_unlock_irqrestore(&x->lock, flags);
	/* Readers without x->lock (polls, blocks) may still read the old page. */
	if (old.page)
		synchronize_rcu();
	xenhv_gpage_unpin(&old);
	xen_write_wallclock(x);
	mutex_unlock(&x->ops_lock);
	for (i = 0; i < MAX_VIRT_CPUS; i++) {
		struct kvm_vcpu *v = kvm_get_vcpu(vcpu->kvm, i);

		if (v)
			xen_write_time(x, v);
	}
}

static long map_shared_info(struct kvm_vcpu *vcpu, struct xen_vm *x, u64 gpfn)
{
	return xen_set_shared_info(x, vcpu, gpfn) ? -XEN_EINVAL : 0;
}

static long add_to_physmap(struct kvm_vcpu *vcpu, struct xen_vm *x, bool longmode, u64 arg,
			   bool *handled)
{
	u64 idx, gpfn;
	u16 domid;
	u32 space;
	u8 raw[24];

	if (xenhv_gva_read(vcpu, arg, raw, longmode ? 24 : 16))
		return -XEN_EFAULT;
	domid = get_unaligned((u16 *)raw);
	space = get_unaligned((u32 *)(raw + 4));
	if (longmode) {
		idx = get_unaligned((u64 *)(raw + 8));
		gpfn = get_unaligned((u64 *)(raw + 16));
	} else {
		idx = get_unaligned((u32 *)(raw + 8));
		gpfn = get_unaligned((u32 *)(raw + 12));
	}
	if (space != XENMAPSPACE_shared_info) {
		*handled = false;	/* grant tables and guest frames: the VMM */
		return 0;
	}
	if (domid != DOMID_SELF)
		return -XEN_ESRCH;
	if (idx)
		return -XEN_EINVAL;
	return map_shared_info(vcpu, x, gpfn);
}

static long memory_op(struct kvm_vcpu *vcpu, struct xen_vm *x, const struct xen_call *c,
		      bool *handled)
{
	switch (c->args[0] & XEN_MEMOP_CMD_MASK) {
	case XENMEM_add_to_physmap:
		return add_to_physmap(vcpu, x, c->longmode, c->args[1], handled);
	}
	*handled = false;
	return 0;
}

static bool hvm_param_vmm_owned(u32 index)
{
	return index == HVM_PARAM_STORE_PFN || index == HVM_PARAM_STORE_EVTCHN ||
	       index == HVM_PARAM_CONSOLE_PFN || index == HVM_PARAM_CONSOLE_EVTCHN;
}

static long hvm_param(struct kvm_vcpu *vcpu, struct xen_vm *x, bool set, u64 arg,
		      bool no_user, bool *handled)
{
	struct xen_hvm_param p;

	if (xenhv_gva_read(vcpu, arg, &p, sizeof(p)))
		return -XEN_EFAULT;
	if (p.domid != DOMID_SELF)
		return -XEN_ESRCH;
	if (p.index >= HVM_NR_PARAMS || p.index >= ARRAY_SIZE(x->params))
		return -XEN_EINVAL;
	if (hvm_param_vmm_owned(p.index) && !no_user) {
		*handled = false;	/* xenstore and console belong to the VMM */
		return 0;
	}
	if (set) {
		/*
		 * A global vector callback is injected by Xen without LAPIC
		 * state, which a LAPIC cannot emulate: guests use per-vCPU
		 * upcall vectors (HVMOP_set_evtchn_upcall_vector) instead.
		 */
		if (p.index == HVM_PARAM_CALLBACK_IRQ &&
		    (p.value >> 56) == HVM_CALLBACK_TYPE_VECTOR)
			return -XEN_EINVAL;
		WRITE_ONCE(x->params[p.index], p.value);
		return 0;
	}
	p.value = READ_ONCE(x->params[p.index]);
	return copy_out(vcpu, arg, &p, sizeof(p));
}

static long set_upcall_vector(struct kvm_vcpu *vcpu, struct xen_vm *x, u64 arg)
{
	struct xen_hvm_evtchn_upcall_vector u;
	struct xen_vcpu *xv;
	struct kvm_vcpu *target;

	if (xenhv_gva_read(vcpu, arg, &u, sizeof(u)))
		return -XEN_EFAULT;
	if (u.vector < 0x10)
		return -XEN_EINVAL;
	if (u.vcpu >= atomic_read(&vcpu->kvm->online_vcpus))
		return -XEN_ENOENT;
	target = kvm_get_vcpu(vcpu->kvm, u.vcpu);
	if (!xenhv_guest_has_lapic(target))
		return -XEN_EINVAL;
	mutex_lock(&x->ops_lock);
	xv = xen_vcpu_get(x, target);
	if (xv)
		WRITE_ONCE(xv->upcall_vector, u.vector);
	mutex_unlock(&x->ops_lock);
	if (!xv)
		return -XEN_ENOENT;
	xen_evtchn_kick_upcall(x, u.vcpu);
	return 0;
}

static long hvm_op(struct kvm_vcpu *vcpu, struct xenhv_vm *vm, struct xen_vm *x,
		   const struct xen_call *c, bool *handled)
{
	bool no_user = vm->flags & XENHV_ATTACH_NO_USER_EXIT;

	switch (c->args[0]) {
	case HVMOP_set_param:
	case HVMOP_get_param:
		return hvm_param(vcpu, x, c->args[0] == HVMOP_set_param, c->args[1], no_user,
				 handled);
	case HVMOP_set_evtchn_upcall_vector:
		/* A Xen without per-vCPU vectors does not know the call. */
		if (!(vm->xen.features & XENHV_XEN_UPCALL_VECTOR))
			return -XEN_ENOSYS;
		return set_upcall_vector(vcpu, x, c->args[1]);
	case HVMOP_flush_tlbs:
		/* Every vCPU's TLB, as Hyper-V's all-processors flush. */
		if (c->args[1])
			return -XEN_EINVAL;
		KVM_FN(kvm_flush_remote_tlbs)(vcpu->kvm);
		return 0;
	case HVMOP_pagetable_dying: {
		struct xen_hvm_pagetable_dying d;

		/* A hint for shadow paging; with hardware paging there is nothing to do. */
		if (xenhv_gva_read(vcpu, c->args[1], &d, sizeof(d)))
			return -XEN_EFAULT;
		return d.domid == DOMID_SELF ? 0 : -XEN_ESRCH;
	}
	}
	*handled = false;
	return 0;
}

/*
 * The mapping table: each Xen call onto its core operation. Returns the
 * guest's result; *handled false sends the call to the VMM. The calls a
 * guest makes all the time are mapped first, in xen_hot_dispatch(),
 * from the registers; this one has the whole call decoded.
 */
static long xen_dispatch(struct kvm_vcpu *vcpu, struct xenhv_vm *vm, const struct xen_call *c,
			 bool *handled)
{
	struct xen_vm *x = vm->xen.x;

	switch (c->nr) {
	case __HYPERVISOR_xen_version:
		return xen_version(vcpu, vm, c);
	case __HYPERVISOR_memory_op:
		return memory_op(vcpu, x, c, handled);
	case __HYPERVISOR_hvm_op:
		return hvm_op(vcpu, vm, x, c, handled);
	}
	*handled = false;
	return 0;
}

/*
 * The calls of the hot path, mapped from the registers without decoding
 * the rest: the one at every resume (XENVER_version), a spinning lock's
 * yield, event channels, timers, polls. *handled false: not one of them,
 * or the VMM's.
 */
static __always_inline long xen_hot_dispatch(struct kvm_vcpu *vcpu, struct xenhv_vm *vm,
					     bool longmode, u64 nr, bool *handled)
{
	struct xen_vm *x = vm->xen.x;
	u64 a0 = xen_arg(vcpu, longmode, 0);

	switch (nr) {
	case __HYPERVISOR_xen_version:
		if (a0 == XENVER_version)
			return vm->xen.version;
		break;
	case __HYPERVISOR_vcpu_op:
		return xen_vcpu_op(vcpu, x, longmode, a0, xen_arg(vcpu, longmode, 1),
				   xen_arg(vcpu, longmode, 2), handled);
	case __HYPERVISOR_event_channel_op:
		return xen_evtchn_op(vcpu, x, a0, xen_arg(vcpu, longmode, 1), handled);
	case __HYPERVISOR_sched_op:
		/* A spinning lock's yield needs none of the vCPU's state. */
		if (a0 == SCHEDOP_yield) {
			xenhv_core_yield(vcpu);
			return 0;
		}
		return xen_sched_op(vcpu, x, longmode, a0, xen_arg(vcpu, longmode, 1), handled);
	case __HYPERVISOR_set_timer_op:
		return xen_set_timer_op(vcpu, x, longmode ? a0 :
					a0 | xen_arg(vcpu, longmode, 1) << 32);
	}
	*handled = false;
	return 0;
}

/*
 * The mapping table of KVM's uapi with KVM_XEN_HVM_CONFIG_EVTCHN_SEND: the
 * calls KVM keeps in the kernel then (uapi.c); *handled false sends the
 * rest, and these where KVM would, to the VMM.
 */
static long xen_kvm_dispatch(struct kvm_vcpu *vcpu, struct xenhv_vm *vm, const struct xen_call *c,
			     bool *handled)
{
	struct xen_vm *x = vm->xen.x;
	u32 version;

	switch (c->nr) {
	case __HYPERVISOR_xen_version:
		version = READ_ONCE(vm->xen.version);
		if (c->args[0] == XENVER_version && version)
			return version;
		break;
	case __HYPERVISOR_event_channel_op:
		if (c->args[0] == EVTCHNOP_send)
			return xen_evtchn_kvm_guest_send(vcpu, x, c->args[1], handled);
		break;
	case __HYPERVISOR_sched_op:
		return xen_kvm_sched_op(vcpu, x, c->longmode, c->args[0], c->args[1], handled);
	case __HYPERVISOR_vcpu_op:
		return xen_kvm_vcpu_op(vcpu, x, c->args[0], c->args[1], c->args[2], handled);
	case __HYPERVISOR_set_timer_op:
		return xen_kvm_set_timer_op(vcpu, x, c->longmode ? c->args[0] :
					    c->args[0] | c->args[1] << 32, handled);
	}
	*handled = false;
	return 0;
}

/*
 * Every call but the hot path's kernel-mode ones: decoded whole, for the
 * rest of the mapping table, KVM's uapi, the VMM, or Xen's refusal. A call
 * xen_hot_dispatch() mapped and left to the VMM has no row in
 * xen_dispatch(), which leaves it to the VMM again.
 */
static noinline int xen_hypercall_rest(struct kvm_vcpu *vcpu, struct xenhv_vm *vm, bool longmode)
{
	struct xen_call c __uninitialized;	/* all of it decoded */
	bool handled = true;
	long ret;

	xen_decode(vcpu, &c, longmode);
	/*
	 * Through the KVM uapi, every call is the VMM's
	 * (KVM_XEN_HVM_CONFIG_INTERCEPT_HCALL), as KVM's own Xen does, but
	 * for the ones KVM keeps when the VMM asked for in-kernel event
	 * channels, from guest kernel mode.
	 */
	if (vm->xen.x->kvm_uapi) {
		if (!READ_ONCE(vm->xen.x->evtchn_send) || c.cpl > 0)
			handled = false;
		else
			ret = xen_kvm_dispatch(vcpu, vm, &c, &handled);
		if (!handled) {
			xenhv_count(vm, xen_op(c.nr), XENHV_STAT_USER);
			return xen_exit_to_user(vcpu, &c);
		}
		goto done;
	}
	if (c.cpl > 0) {
		/* Xen refuses hypercalls from guest user mode. */
		ret = -XEN_EPERM;
		goto done;
	}
	ret = xen_dispatch(vcpu, vm, &c, &handled);
	if (!handled) {
		if (!(vm->flags & XENHV_ATTACH_NO_USER_EXIT)) {
			xenhv_count(vm, xen_op(c.nr), XENHV_STAT_USER);
			return xen_exit_to_user(vcpu, &c);
		}
		ret = -XEN_ENOSYS;	/* no VMM behind it: as a Xen without the call */
	}
done:
	xenhv_count(vm, xen_op(c.nr), ret < 0 ? XENHV_STAT_ERROR : XENHV_STAT_KERNEL);
	return xen_complete(vcpu, c.longmode, ret);
}

/*
 * The Xen hypercall handler. Without a stack protector: it holds no
 * buffer, only the scalars KVM's callbacks and the hot table fill in (the
 * handlers that copy guest data keep theirs), and the canary was a tenth
 * of its instructions.
 */
static int __xenhv_hot __no_stack_protector xenhv_xen_hypercall(struct kvm_vcpu *vcpu,
								struct xenhv_vm *vm)
{
	bool longmode = xenhv_guest_64bit(vcpu);
	bool handled = true;
	long ret;
	u64 nr;

	if (unlikely(vm->xen.x->kvm_uapi) || unlikely(xenhv_guest_cpl(vcpu)))
		return xen_hypercall_rest(vcpu, vm, longmode);
	nr = xen_nr(vcpu, longmode);
	ret = xen_hot_dispatch(vcpu, vm, longmode, nr, &handled);
	if (unlikely(!handled))
		return xen_hypercall_rest(vcpu, vm, longmode);
	xenhv_count(vm, xen_op(nr), ret < 0 ? XENHV_STAT_ERROR : XENHV_STAT_KERNEL);
	return xen_complete(vcpu, longmode, ret);
}

int xenhv_xen_bind_port(struct xenhv_vm *vm, const struct xenhv_xen_port *p)
{
	return xen_evtchn_bind_eventfd(vm->xen.x, p);
}

int xenhv_xen_raise_port(struct xenhv_vm *vm, u32 port)
{
	return xen_evtchn_raise(vm->xen.x, port);
}

/*
 * Xen delivers pending events at every VM entry; the shim has no hook
 * there, so it raises them when the vCPU is about to sleep: a vCPU halting
 * with upcall_pending set is owed an upcall (the vector is sent again; if it
 * is still in the LAPIC's IRR this is a no-op).
 */
static void xen_halt(struct kvm_vcpu *vcpu, struct xenhv_vm *vm)
{
	struct xen_vm *x = to_xen(vm);

	/* KVM's uapi: the VM-wide vector is injected at the next entry. */
	if (x && x->kvm_uapi) {
		if (xenhv_xen_uapi_pending(vcpu, true)) {
			kvm_make_request(KVM_REQ_EVENT, vcpu);
			xenhv_count(vm, XENHV_OP_HALT_KICK, XENHV_STAT_KERNEL);
		}
		return;
	}
	if (x && xen_evtchn_kick_upcall(x, vcpu->vcpu_idx))
		xenhv_count(vm, XENHV_OP_HALT_KICK, XENHV_STAT_KERNEL);
}

static void xen_sched(struct kvm_vcpu *vcpu, struct xenhv_vm *vm, bool in)
{
	struct xen_vm *x = to_xen(vm);

	if (x)
		xen_vcpu_sched(x, vcpu, in);
}

const struct xenhv_abi xenhv_xen_abi = {
	.id = XENHV_ABI_XEN,
	.name = "xen",
	.attach = xen_attach,
	.hypercall = xenhv_xen_hypercall,
	.get_msr = xen_get_msr,
	.set_msr = xen_set_msr,
	.cpuid = xen_cpuid,
	.cpuid_range = xen_cpuid_range,
	.halt = xen_halt,
	.sched = xen_sched,
	.detach = xen_detach,
	.destroy = xen_destroy,
	.mem_bytes = xen_mem_bytes,
};
