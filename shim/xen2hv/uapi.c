// SPDX-License-Identifier: GPL-2.0
/*
 * KVM's own Xen uapi (KVM_CAP_XEN_HVM, KVM_XEN_HVM_CONFIG, the Xen VM and
 * vCPU attributes), served by the xen2hv engine on kernels built without
 * CONFIG_KVM_XEN, so that a VMM with Xen emulation of its own (QEMU 8 and
 * later: -accel kvm,xen-version=...) runs Xen guests there unmodified. The
 * VMM never opens /dev/xenhv_shim: KVM_XEN_HVM_CONFIG attaches the VM.
 *
 * This is a second front door to the same engine, in which the VMM owns
 * what Xen's toolstack owns: every hypercall goes to the VMM
 * (KVM_XEN_HVM_CONFIG_INTERCEPT_HCALL), which keeps ports and grant tables;
 * the kernel writes the hypercall page, keeps shared_info's wallclock and
 * each vcpu_info's pvclock in KVM's kvmclock (the VMM runs the guest's
 * timers against KVM_GET_CLOCK), and keeps what the VMM tells it for
 * GET_ATTR. The capability offered is the subset this serves. With
 * KVM_XEN_HVM_CONFIG_EVTCHN_SEND the kernel also delivers the VMM's events
 * (KVM_XEN_HVM_EVTCHN_SEND), serves guest sends on the ports the VMM
 * assigns it, XENVER_version, SCHEDOP_poll and yield and, once the VMM
 * named a vCPU's timer port, its singleshot timer, as KVM does. Runstate
 * areas are kept in kvmclock time (KVM_XEN_HVM_CONFIG_RUNSTATE);
 * KVM_IRQ_ROUTING_XEN_EVTCHN is not offered.
 *
 * The door is open by default; the module parameter xen_uapi=0 closes it,
 * and KVM then answers as it does without CONFIG_KVM_XEN.
 */
#include <linux/module.h>
#include <linux/uaccess.h>

#include "xen.h"

static bool xenhv_xen_uapi = true;
module_param_named(xen_uapi, xenhv_xen_uapi, bool, 0644);
MODULE_PARM_DESC(xen_uapi, "Serve KVM's Xen uapi on kernels without CONFIG_KVM_XEN (default: on)");

#define XEN_UAPI_CAPS	(KVM_XEN_HVM_CONFIG_HYPERCALL_MSR |	\
			 KVM_XEN_HVM_CONFIG_INTERCEPT_HCALL |	\
			 KVM_XEN_HVM_CONFIG_SHARED_INFO |	\
			 KVM_XEN_HVM_CONFIG_RUNSTATE |		\
			 KVM_XEN_HVM_CONFIG_EVTCHN_SEND)
#define XEN_UAPI_FLAGS	(KVM_XEN_HVM_CONFIG_INTERCEPT_HCALL |	\
			 KVM_XEN_HVM_CONFIG_EVTCHN_SEND)

/* KVM_CHECK_EXTENSION(KVM_CAP_XEN_HVM), where KVM answers 0. */
u32 xenhv_xen_uapi_caps(void)
{
	return READ_ONCE(xenhv_xen_uapi) ? XEN_UAPI_CAPS : 0;
}

/*
 * The VM's engine state when it is attached through this door, inside the
 * calls section the caller holds; NULL otherwise.
 */
static struct xen_vm *uapi_vm(struct kvm *kvm)
{
	const struct xenhv_abi *abi;
	struct xenhv_vm *vm = xenhv_vm_lookup(kvm, &abi);

	if (!vm || xenhv_vm_abi(vm) != &xenhv_xen_abi || !(vm->flags & XENHV_ATTACH_KVM_UAPI))
		return NULL;
	return to_xen(vm);
}

static long uapi_config(struct kvm *kvm, void __user *argp)
{
	struct kvm_xen_hvm_config cfg;
	struct xenhv_attach at = {
		.abi = XENHV_ABI_XEN,
		.flags = XENHV_ATTACH_KVM_UAPI,
	};
	const struct xenhv_abi *abi;
	struct xenhv_vm *vm;
	struct xen_vm *x;
	int idx, ret;

	if (copy_from_user(&cfg, argp, sizeof(cfg)))
		return -EFAULT;
	/*
	 * Hypercall blobs (the page's contents from the VMM) are not served;
	 * the padding is ignored, as KVM does.
	 */
	if ((cfg.flags & ~XEN_UAPI_FLAGS) || cfg.blob_addr_32 ||
	    cfg.blob_addr_64 || cfg.blob_size_32 || cfg.blob_size_64)
		return -EINVAL;
	if (!cfg.msr && !cfg.flags) {
		/* Xen off again: back to stock KVM. */
		vm = xenhv_vm_lookup(kvm, &abi);
		if (!vm || !abi)
			return 0;
		/* Gone meanwhile: as good; attached by our own door: not ours. */
		ret = xenhv_vm_uapi_detach(kvm);
		return ret == -ENOENT ? 0 : ret == -EEXIST ? -EBUSY : ret;
	}
	/* The page MSR must be in the hypervisor range, as for XENHV_ATTACH_VM. */
	if (cfg.msr < 0x40000000 || cfg.msr > 0x4fffffff)
		return -EINVAL;
	/* Configured again: only the MSR and flags change, inside the calls section. */
	idx = xenhv_calls_enter();
	x = uapi_vm(kvm);
	if (x) {
		WRITE_ONCE(x->vm->xen.hypercall_msr, cfg.msr);
		WRITE_ONCE(x->evtchn_send, !!(cfg.flags & KVM_XEN_HVM_CONFIG_EVTCHN_SEND));
	}
	xenhv_calls_exit(idx);
	if (x)
		return 0;
	at.xen.hypercall_msr = cfg.msr;
	/* EEXIST: attached through /dev/xenhv_shim; EBUSY: raced another config. */
	ret = xenhv_vm_attach(kvm, &at);
	if (ret || !(cfg.flags & KVM_XEN_HVM_CONFIG_EVTCHN_SEND))
		return ret;
	idx = xenhv_calls_enter();
	x = uapi_vm(kvm);
	if (x)
		WRITE_ONCE(x->evtchn_send, true);
	xenhv_calls_exit(idx);
	return 0;
}

/*
 * Attribute types the uapi defines but this door does not serve (they need
 * capabilities it does not offer) are EOPNOTSUPP; unknown ones ENOENT, as
 * KVM answers both.
 */
static int uapi_vm_attr_unserved(u16 type)
{
#ifdef KVM_XEN_ATTR_TYPE_RUNSTATE_UPDATE_FLAG
	if (type == KVM_XEN_ATTR_TYPE_RUNSTATE_UPDATE_FLAG)
		return -EOPNOTSUPP;
#endif
#ifdef KVM_XEN_ATTR_TYPE_SHARED_INFO_HVA
	if (type == KVM_XEN_ATTR_TYPE_SHARED_INFO_HVA)
		return -EOPNOTSUPP;
#endif
	return -ENOENT;
}

static int uapi_vcpu_attr_unserved(u16 type)
{
#ifdef KVM_XEN_VCPU_ATTR_TYPE_VCPU_INFO_HVA
	if (type == KVM_XEN_VCPU_ATTR_TYPE_VCPU_INFO_HVA)
		return -EOPNOTSUPP;
#endif
	return -ENOENT;
}

/* @gp: shared_info's page, pinned by the caller (SHARED_INFO only); taken. */
static int uapi_set_vm_attr(struct kvm *kvm, struct xen_vm *x, const struct kvm_xen_hvm_attr *a,
			    struct xenhv_gpage *gp)
{
	switch (a->type) {
	case KVM_XEN_ATTR_TYPE_LONG_MODE:
		if (a->u.long_mode > 1)
			return -EINVAL;
		WRITE_ONCE(x->long_mode, a->u.long_mode);
		return 0;
	case KVM_XEN_ATTR_TYPE_SHARED_INFO:
		/* Without vCPU 0 nothing was pinned, nor can have been before. */
		if (!kvm_get_vcpu(kvm, 0))
			return 0;
		xen_set_shared_info_page(x, kvm_get_vcpu(kvm, 0), gp);
		return 0;
	case KVM_XEN_ATTR_TYPE_UPCALL_VECTOR:
		/* Injected through kvm_cpu_get_interrupt() (hook.c), where it is hooked. */
		if (!XENHV_EXTINT_HOOKED)
			return -EOPNOTSUPP;
		if (a->u.vector && a->u.vector < 0x10)
			return -EINVAL;
		WRITE_ONCE(x->upcall_vector, a->u.vector);
		return 0;
	case KVM_XEN_ATTR_TYPE_XEN_VERSION:
		WRITE_ONCE(x->vm->xen.version, a->u.xen_version);
		return 0;
	case KVM_XEN_ATTR_TYPE_EVTCHN:
		return xen_evtchn_kvm_assign(x, a);
	}
	return uapi_vm_attr_unserved(a->type);
}

static int uapi_get_vm_attr(struct xen_vm *x, struct kvm_xen_hvm_attr *a)
{
	switch (a->type) {
	case KVM_XEN_ATTR_TYPE_LONG_MODE:
		a->u.long_mode = READ_ONCE(x->long_mode);
		return 0;
	case KVM_XEN_ATTR_TYPE_SHARED_INFO:
		mutex_lock(&x->ops_lock);
		a->u.shared_info.gfn = x->shinfo.page ? gpa_to_gfn(x->shinfo.gpa) :
				       KVM_XEN_INVALID_GFN;
		mutex_unlock(&x->ops_lock);
		return 0;
	case KVM_XEN_ATTR_TYPE_UPCALL_VECTOR:
		a->u.vector = READ_ONCE(x->upcall_vector);
		return 0;
	case KVM_XEN_ATTR_TYPE_XEN_VERSION:
		a->u.xen_version = READ_ONCE(x->vm->xen.version);
		return 0;
	case KVM_XEN_ATTR_TYPE_EVTCHN:
		return -ENOENT;		/* write-only, as KVM has it */
	}
	return uapi_vm_attr_unserved(a->type);
}

/*
 * The guest page an attribute names, pinned before the calls section is
 * entered: pinning may wait on the VMM's own memory (a FUSE file, a
 * userfaultfd), and nothing may hold up other VMs' detach, which waits for
 * that section. KVM's memslots are read under kvm->srcu, as KVM's own
 * ioctls do. 0, or -EFAULT for an address outside the VM's memory, as
 * KVM's gfn caches answer.
 */
static int uapi_pin(struct kvm_vcpu *vcpu, u64 gpa, struct xenhv_gpage *gp)
{
	int idx, ret;

	if (gpa == KVM_XEN_INVALID_GPA)
		return 0;
	if (!vcpu || gpa >> 52)
		return -EINVAL;
	idx = srcu_read_lock(&vcpu->kvm->srcu);
	ret = xenhv_gpage_pin(vcpu, gpa, gp);
	srcu_read_unlock(&vcpu->kvm->srcu, idx);
	return ret ? -EFAULT : 0;
}

static long uapi_vm_attr(struct kvm *kvm, void __user *argp, bool set)
{
	struct xenhv_gpage gp = {};
	struct kvm_xen_hvm_attr a;
	struct xen_vm *x;
	long ret;
	int idx;

	if (copy_from_user(&a, argp, sizeof(a)))
		return -EFAULT;
	if (set && a.type == KVM_XEN_ATTR_TYPE_SHARED_INFO) {
		u64 gfn = a.u.shared_info.gfn;

		/* Pinning reads the VM's memory map through vCPU 0. */
		ret = uapi_pin(kvm_get_vcpu(kvm, 0), gfn == KVM_XEN_INVALID_GFN ?
			       KVM_XEN_INVALID_GPA : gfn << PAGE_SHIFT, &gp);
		if (ret)
			return ret;
	}
	idx = xenhv_calls_enter();
	x = uapi_vm(kvm);
	if (!x)
		ret = -EINVAL;	/* KVM_XEN_HVM_CONFIG first, as KVM wants */
	else if (set)
		ret = uapi_set_vm_attr(kvm, x, &a, &gp);
	else
		ret = uapi_get_vm_attr(x, &a);
	xenhv_calls_exit(idx);
	xenhv_gpage_unpin(&gp);		/* not taken: the VM is not ours */
	if (!ret && !set && copy_to_user(argp, &a, sizeof(a)))
		ret = -EFAULT;
	return ret;
}

/* @gp: the page named (and the next where it straddles), pinned by the caller; taken. */
static int uapi_set_vcpu_attr(struct kvm_vcpu *vcpu, struct xen_vm *x,
			      const struct kvm_xen_vcpu_attr *a, struct xenhv_gpage gp[2])
{
	struct xen_vcpu *xv;
	int ret;

	switch (a->type) {
	case KVM_XEN_VCPU_ATTR_TYPE_VCPU_INFO:
		mutex_lock(&x->ops_lock);
		ret = xen_vcpu_set_info_page(x, vcpu, a->u.gpa, gp);
		mutex_unlock(&x->ops_lock);
		return ret;
	case KVM_XEN_VCPU_ATTR_TYPE_VCPU_TIME_INFO:
		mutex_lock(&x->ops_lock);
		ret = xen_vcpu_set_time_page(x, vcpu, a->u.gpa, gp);
		mutex_unlock(&x->ops_lock);
		return ret;
	case KVM_XEN_VCPU_ATTR_TYPE_VCPU_ID:
		if (a->u.vcpu_id >= KVM_MAX_VCPUS)
			return -EINVAL;
		xv = xen_vcpu_get(x, vcpu);
		if (!xv)
			return -ENOMEM;
		WRITE_ONCE(xv->xen_id, a->u.vcpu_id);
		return 0;
	case KVM_XEN_VCPU_ATTR_TYPE_TIMER:
		if (a->u.timer.port &&
		    a->u.timer.priority != KVM_IRQ_ROUTING_XEN_EVTCHN_PRIO_2LEVEL)
			return -EINVAL;
		return xen_kvm_set_timer(x, vcpu, a->u.timer.port, a->u.timer.expires_ns);
	case KVM_XEN_VCPU_ATTR_TYPE_UPCALL_VECTOR:
		/* A LAPIC vector, as HVMOP_set_evtchn_upcall_vector sets it. */
		if (a->u.vector && a->u.vector < 0x10)
			return -EINVAL;
		xv = xen_vcpu_get(x, vcpu);
		if (!xv)
			return -ENOMEM;
		WRITE_ONCE(xv->upcall_vector, a->u.vector);
		xen_evtchn_kick_upcall(x, vcpu->vcpu_idx);
		return 0;
	case KVM_XEN_VCPU_ATTR_TYPE_RUNSTATE_ADDR:
		return xen_kvm_set_runstate_addr(x, vcpu, a->u.gpa, gp);
	case KVM_XEN_VCPU_ATTR_TYPE_RUNSTATE_CURRENT:
	case KVM_XEN_VCPU_ATTR_TYPE_RUNSTATE_DATA:
	case KVM_XEN_VCPU_ATTR_TYPE_RUNSTATE_ADJUST:
		return xen_kvm_set_runstate(x, vcpu, a);
	}
	return uapi_vcpu_attr_unserved(a->type);
}

static int uapi_get_vcpu_attr(struct kvm_vcpu *vcpu, struct xen_vm *x,
			      struct kvm_xen_vcpu_attr *a)
{
	struct xen_vcpu *xv = xen_vcpu_find(x, vcpu->vcpu_idx);

	switch (a->type) {
	case KVM_XEN_VCPU_ATTR_TYPE_VCPU_INFO:
		mutex_lock(&x->ops_lock);
		a->u.gpa = xv && xv->vi_registered ? xv->vi_gpa : KVM_XEN_INVALID_GPA;
		mutex_unlock(&x->ops_lock);
		return 0;
	case KVM_XEN_VCPU_ATTR_TYPE_VCPU_TIME_INFO:
		mutex_lock(&x->ops_lock);
		a->u.gpa = xv && xv->time_page.page ? xv->time_uapi_gpa : KVM_XEN_INVALID_GPA;
		mutex_unlock(&x->ops_lock);
		return 0;
	case KVM_XEN_VCPU_ATTR_TYPE_VCPU_ID:
		a->u.vcpu_id = xv ? READ_ONCE(xv->xen_id) : vcpu->vcpu_idx;
		return 0;
	case KVM_XEN_VCPU_ATTR_TYPE_TIMER: {
		u32 port;
		u64 expires;

		xen_kvm_get_timer(x, vcpu, &port, &expires);
		a->u.timer.port = port;
		a->u.timer.priority = KVM_IRQ_ROUTING_XEN_EVTCHN_PRIO_2LEVEL;
		a->u.timer.expires_ns = expires;
		return 0;
	}
	case KVM_XEN_VCPU_ATTR_TYPE_UPCALL_VECTOR:
		a->u.vector = xv ? READ_ONCE(xv->upcall_vector) : 0;
		return 0;
	case KVM_XEN_VCPU_ATTR_TYPE_RUNSTATE_ADDR:
	case KVM_XEN_VCPU_ATTR_TYPE_RUNSTATE_CURRENT:
	case KVM_XEN_VCPU_ATTR_TYPE_RUNSTATE_DATA:
	case KVM_XEN_VCPU_ATTR_TYPE_RUNSTATE_ADJUST:
		return xen_kvm_get_runstate(x, vcpu, a);
	}
	return uapi_vcpu_attr_unserved(a->type);
}

static long uapi_vcpu_attr(struct kvm_vcpu *vcpu, void __user *argp, bool set)
{
	struct xenhv_gpage gp[2] = {};
	struct kvm_xen_vcpu_attr a;
	bool straddle = false;
	struct xen_vm *x;
	size_t size = 0;
	long ret, refused = 0;
	int idx;

	if (copy_from_user(&a, argp, sizeof(a)))
		return -EFAULT;
	if (set && a.type == KVM_XEN_VCPU_ATTR_TYPE_VCPU_INFO) {
		size = sizeof(struct vcpu_info);
	} else if (set && a.type == KVM_XEN_VCPU_ATTR_TYPE_VCPU_TIME_INFO) {
		size = sizeof(struct pvclock_vcpu_time_info);
	} else if (set && a.type == KVM_XEN_VCPU_ATTR_TYPE_RUNSTATE_ADDR) {
		/* It may straddle two pages, as KVM allows: GPA-contiguous. */
		size = sizeof(struct vcpu_runstate_info);
		straddle = true;
	}
	if (size && a.u.gpa != KVM_XEN_INVALID_GPA) {
		/* Other structures stay in one page, as KVM requires. */
		if (offset_in_page(a.u.gpa) + size > PAGE_SIZE) {
			if (!straddle || a.u.gpa >> 52)
				return -EINVAL;
			ret = uapi_pin(vcpu, PAGE_ALIGN(a.u.gpa), &gp[1]);
		} else {
			ret = 0;
		}
		if (!ret)
			ret = uapi_pin(vcpu, a.u.gpa, &gp[0]);
		if (ret) {
			xenhv_gpage_unpin(&gp[1]);
			if (!straddle)
				return ret;
			/* A runstate area refused drops the old one, as in KVM. */
			refused = ret;
			a.u.gpa = KVM_XEN_INVALID_GPA;
		}
	}
	idx = xenhv_calls_enter();
	x = uapi_vm(vcpu->kvm);
	if (!x)
		ret = -EINVAL;
	else if (set)
		ret = uapi_set_vcpu_attr(vcpu, x, &a, gp);
	else
		ret = uapi_get_vcpu_attr(vcpu, x, &a);
	xenhv_calls_exit(idx);
	/* Not taken: the VM is not ours, or the attribute failed. */
	xenhv_gpage_unpin(&gp[0]);
	xenhv_gpage_unpin(&gp[1]);
	if (!ret)
		ret = refused;
	if (!ret && !set && copy_to_user(argp, &a, sizeof(a)))
		ret = -EFAULT;
	return ret;
}

/*
 * The VM-wide upcall vector @vcpu is owed now (@pending), or is set at all
 * (!@pending); else 0. KVM's own Xen injects
 * it at every VM entry while the vCPU's vcpu_info has evtchn_upcall_pending
 * set, as an external interrupt with no LAPIC state (the guest writes no
 * EOI for it); hook.c does the same through KVM's external-interrupt path.
 * Any context.
 */
int xenhv_xen_uapi_pending(struct kvm_vcpu *vcpu, bool pending)
{
	struct vcpu_info *vi;
	unsigned long flags;
	struct xen_vm *x;
	int idx, ret = 0;
	u8 vector;

	/* KVM's own Xen needs the in-kernel LAPIC for this, too. */
	if (!xenhv_guest_has_lapic(vcpu))
		return 0;
	idx = xenhv_calls_enter();
	x = uapi_vm(vcpu->kvm);
	vector = x ? READ_ONCE(x->upcall_vector) : 0;
	if (vector && !pending) {
		ret = vector;
	} else if (vector) {
		raw_spin_lock_irqsave(&x->lock, flags);
		vi = xen_vcpu_info(x, vcpu->vcpu_idx);
		if (vi && READ_ONCE(vi->evtchn_upcall_pending))
			ret = vector;
		raw_spin_unlock_irqrestore(&x->lock, flags);
	}
	xenhv_calls_exit(idx);
	return ret;
}

/* KVM_XEN_HVM_EVTCHN_SEND: the VMM raises a port, 2-level only, as KVM. */
static long uapi_evtchn_send(struct kvm *kvm, void __user *argp)
{
	struct kvm_irq_routing_xen_evtchn e;
	struct xen_vm *x;
	long ret;
	int idx;

	if (copy_from_user(&e, argp, sizeof(e)))
		return -EFAULT;
	if (e.priority != KVM_IRQ_ROUTING_XEN_EVTCHN_PRIO_2LEVEL)
		return -EINVAL;
	idx = xenhv_calls_enter();
	x = uapi_vm(kvm);
	/* As KVM: served whether or not the VMM configured EVTCHN_SEND. */
	ret = x ? xen_evtchn_kvm_send(x, e.vcpu, e.port) : -EINVAL;
	if (x)
		xenhv_count(x->vm, XENHV_OP_VMM_EVENT, ret ? XENHV_STAT_ERROR : XENHV_STAT_KERNEL);
	xenhv_calls_exit(idx);
	return ret;
}

/* Whether @ioctl of a VM or vCPU fd is served here (hook.c asks first). */
bool xenhv_xen_uapi_vm_ioctl(unsigned int ioctl)
{
	return READ_ONCE(xenhv_xen_uapi) &&
	       (ioctl == KVM_XEN_HVM_CONFIG || ioctl == KVM_XEN_HVM_SET_ATTR ||
		ioctl == KVM_XEN_HVM_GET_ATTR || ioctl == KVM_XEN_HVM_EVTCHN_SEND);
}

bool xenhv_xen_uapi_vcpu_ioctl(unsigned int ioctl)
{
	return READ_ONCE(xenhv_xen_uapi) &&
	       (ioctl == KVM_XEN_VCPU_SET_ATTR || ioctl == KVM_XEN_VCPU_GET_ATTR);
}

/* kvm_arch_vm_ioctl()'s place for the ioctls above; @kvm is the fd's VM. */
long xenhv_xen_uapi_vm(struct kvm *kvm, unsigned int ioctl, unsigned long arg)
{
	void __user *argp = (void __user *)arg;

	switch (ioctl) {
	case KVM_XEN_HVM_CONFIG:
		return uapi_config(kvm, argp);
	case KVM_XEN_HVM_SET_ATTR:
		return uapi_vm_attr(kvm, argp, true);
	case KVM_XEN_HVM_GET_ATTR:
		return uapi_vm_attr(kvm, argp, false);
	case KVM_XEN_HVM_EVTCHN_SEND:
		return uapi_evtchn_send(kvm, argp);
	}
	return -ENOTTY;
}

/* kvm_arch_vcpu_ioctl()'s place; KVM holds @vcpu's mutex. */
long xenhv_xen_uapi_vcpu(struct kvm_vcpu *vcpu, unsigned int ioctl, unsigned long arg)
{
	void __user *argp = (void __user *)arg;

	switch (ioctl) {
	case KVM_XEN_VCPU_SET_ATTR:
		return uapi_vcpu_attr(vcpu, argp, true);
	case KVM_XEN_VCPU_GET_ATTR:
		return uapi_vcpu_attr(vcpu, argp, false);
	}
	return -ENOTTY;
}
