// SPDX-License-Identifier: GPL-2.0
/*
 * Per-VM state: attach, detach, lookup, and teardown when KVM destroys the VM.
 *
 * Lifetime: a VM's record is created by its first attach and freed when KVM
 * destroys the VM (hook.c calls xenhv_vm_destroyed() from
 * kvm_arch_destroy_vm()). Detach only makes the VM native again: KVM may still
 * call back into the shim for that VM (a userspace exit completes through
 * vcpu->arch.complete_userspace_io), so the record, and the module reference
 * it holds, stay until the VM is gone. rmmod therefore fails with EBUSY
 * while any VM that was ever attached still exists.
 *
 * Lookup: the hooks find a VM's record by its struct kvm in a resizable
 * hash table (rhashtable), so the cost of a lookup stays the same however
 * many VMs are attached; the control plane walks the list of all records.
 *
 * Locking: xenhv_vms_mutex serialises attach/detach and the control-plane
 * readers; xenhv_vms_lock (a spinlock) guards the list, the table its own. Every walk of
 * the table is under RCU, the control plane's too: destruction (which cannot
 * take the mutex) unlinks and frees other VMs' records at any time. A
 * record found by its struct kvm stays valid after the RCU section while
 * the caller holds a reference on that VM: a vCPU of it running, or its VM
 * fd (the ioctls). One found by id (XENHV_STATS_BY_ID, XENHV_LIST_VMS) is
 * only read inside the RCU section.
 */
#include <linux/hash.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/rculist.h>
#include <linux/rhashtable.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/srcu.h>
#include <linux/task_work.h>

#include "xenhv.h"
#include "core/core.h"

/* A multiplicative hash of the pointer: cheaper than jhash, as spread. */
static u32 vm_hashfn(const void *key, u32 len, u32 seed)
{
	return hash_64((unsigned long)*(struct kvm * const *)key ^ seed, 32);
}

/* The key is a pointer: one compare, not memcmp() over its bytes. */
static int vm_cmpfn(struct rhashtable_compare_arg *arg, const void *obj)
{
	const struct xenhv_vm *vm = obj;

	return *(struct kvm * const *)arg->key != vm->kvm;
}

static const struct rhashtable_params vm_params = {
	.key_len = sizeof(struct kvm *),
	.hashfn = vm_hashfn,
	.obj_cmpfn = vm_cmpfn,
	.key_offset = offsetof(struct xenhv_vm, kvm),
	.head_offset = offsetof(struct xenhv_vm, node),
	.automatic_shrinking = true,
};

static struct rhashtable xenhv_vm_table;
static LIST_HEAD(xenhv_vms);
/* Calls inside an ABI (hooks): detach waits for them before tearing down. */
DEFINE_SRCU(xenhv_calls);
static DEFINE_SPINLOCK(xenhv_vms_lock);
static DEFINE_MUTEX(xenhv_vms_mutex);
static u64 xenhv_next_id = 1;

/*
 * The hooks' first look, in one page: slots by a hash of the struct kvm
 * pointer, each with the number of attached VMs that hash there and, while
 * that number is one, the VM and its record. A VM that is not attached
 * mostly stops at its slot's count or at the other VM there; an attached
 * VM alone in its slot finds its record there, without the table's lookup.
 * Only VMs that share a slot with another attached VM go on to the table.
 * The slots change under vm_slots_lock, inside the sequence count that
 * readers, which do not wait, check around their loads; a slot names a
 * VM only once its record is in the table, and stops before the record
 * can go (kvm_arch_destroy_vm()), so a record read from a slot naming the
 * reader's own VM, which the reader holds, is valid.
 */
#define VM_SLOT_BITS	7

struct vm_slot {
	u32 attached;
	struct kvm *kvm;		/* the one attached VM here, or NULL */
	struct xenhv_vm *vm;		/* its record */
};

static DEFINE_SPINLOCK(vm_slots_lock);
static struct {
	seqcount_spinlock_t seq;
	struct vm_slot slot[1 << VM_SLOT_BITS];
} vm_slots __aligned(PAGE_SIZE) = {
	.seq = SEQCNT_SPINLOCK_ZERO(vm_slots.seq, &vm_slots_lock),
};

static struct vm_slot *vm_slot(struct kvm *kvm)
{
	return &vm_slots.slot[hash_ptr(kvm, VM_SLOT_BITS)];
}

/* @vm's record is in the table; before its ABI is published. Any context. */
static void vm_slot_add(struct xenhv_vm *vm)
{
	struct vm_slot *s = vm_slot(vm->kvm);
	unsigned long flags;
	bool alone;

	spin_lock_irqsave(&vm_slots_lock, flags);
	write_seqcount_begin(&vm_slots.seq);
	alone = !s->attached++;
	WRITE_ONCE(s->kvm, alone ? vm->kvm : NULL);
	WRITE_ONCE(s->vm, alone ? vm : NULL);
	write_seqcount_end(&vm_slots.seq);
	spin_unlock_irqrestore(&vm_slots_lock, flags);
}

/* @vm is no longer attached. Any context. */
static void vm_slot_del(struct xenhv_vm *vm)
{
	struct vm_slot *s = vm_slot(vm->kvm);
	unsigned long flags;

	spin_lock_irqsave(&vm_slots_lock, flags);
	write_seqcount_begin(&vm_slots.seq);
	s->attached--;
	/* A VM left alone in its slot stays with the table's lookup. */
	WRITE_ONCE(s->kvm, NULL);
	WRITE_ONCE(s->vm, NULL);
	write_seqcount_end(&vm_slots.seq);
	spin_unlock_irqrestore(&vm_slots_lock, flags);
}

/* After @vm lost its ABI; any context. */
static void vm_attached_put(struct xenhv_vm *vm)
{
	vm_slot_del(vm);
	xenhv_hooks_put();
}

/* The record of @kvm; the caller holds a reference on @kvm (see above). */
static struct xenhv_vm *find_locked(struct kvm *kvm)
{
	struct xenhv_vm *vm;

	rcu_read_lock();
	vm = rhashtable_lookup(&xenhv_vm_table, &kvm, vm_params);
	rcu_read_unlock();
	return vm;
}

/*
 * The hot path's one lookup. Returns the VM's record and its ABI, or NULL
 * when the VM is not attached (KVM then handles everything as usual).
 */
struct xenhv_vm *xenhv_vm_lookup(struct kvm *kvm, const struct xenhv_abi **abi)
{
	struct xenhv_vm *vm;

	rcu_read_lock();
	vm = rhashtable_lookup(&xenhv_vm_table, &kvm, vm_params);
	*abi = vm ? xenhv_vm_abi(vm) : NULL;
	rcu_read_unlock();
	return *abi ? vm : NULL;
}

/* @kvm shares its slot with another attached VM, or the slot changed. */
static noinline struct xenhv_vm *vm_attached_slow(struct kvm *kvm)
{
	struct xenhv_vm *vm;

	rcu_read_lock();
	vm = rhashtable_lookup(&xenhv_vm_table, &kvm, vm_params);
	if (vm && !READ_ONCE(vm->abi))
		vm = NULL;
	rcu_read_unlock();
	return vm;
}

/*
 * A record named by its slot is returned while its ABI is being taken away
 * too: the hooks read the ABI again, in their section.
 */
static __always_inline struct xenhv_vm *vm_attached(struct kvm *kvm)
{
	const struct vm_slot *s = vm_slot(kvm);
	struct xenhv_vm *vm;
	struct kvm *only;
	unsigned int seq;
	u32 attached;

	seq = raw_read_seqcount(&vm_slots.seq);
	attached = READ_ONCE(s->attached);
	only = READ_ONCE(s->kvm);
	vm = READ_ONCE(s->vm);
	if (likely(!(seq & 1) && !read_seqcount_retry(&vm_slots.seq, seq))) {
		if (likely(only == kvm))
			return vm;
		if (!attached || only)
			return NULL;
	}
	return vm_attached_slow(kvm);
}

/*
 * The record of the vCPU loaded on each CPU, noted by the hooks of vCPU
 * load and put (hook.c) while the hot path's hooks are registered: the
 * trampolines' question for a vCPU of an attached VM is then two per-CPU
 * loads, without the slots. Only vCPUs their VM lists (vcpu_listed()), of
 * VMs found attached at load, have an entry.
 *
 * An entry is written by the load of a vCPU on its CPU (that vCPU and its
 * VM's record, or nothing), cleared by the put that follows it on that CPU,
 * by the hooks' removal (every CPU, xenhv_vm_loaded_clear(NULL)) and by a
 * VM's destruction (its record's, before the record is freed). Every load
 * the hooks see is followed by a put they see: hook.c registers put's hook
 * first and removes it last. A vCPU's exit handlers run only while it is
 * loaded on the CPU running them, and no other vCPU is loaded or put there
 * meanwhile, so the entry of a CPU running a vCPU's handler is that vCPU's
 * or empty, whenever it is read, even across preemption: a vCPU that moves
 * is loaded on its new CPU before it runs there. The vCPU's own record
 * stays while the vCPU runs. The hypercall trampoline relies on that
 * (KVM's hypercall function runs only on the vCPU's thread, in its run
 * loop); this lookup, which serves hooks that other callers reach too,
 * reads the entry with preemption off, where one naming the asker was
 * written by the asker's own load on this CPU. An entry that is not the
 * asker's sends it to the slots.
 */
DEFINE_PER_CPU(struct xenhv_vm_loaded, xenhv_vm_loaded);
static_assert(offsetof(struct xenhv_vm_loaded, vcpu) == 0);
static_assert(offsetof(struct xenhv_vm_loaded, vm) == 8);
static_assert(offsetof(struct xenhv_vm, abi) == 0);
static_assert(offsetof(struct xenhv_abi, hypercall) == 0);

/* @vcpu's record if @vcpu's entry is here; else NULL. */
static __always_inline struct xenhv_vm *vm_loaded_get(struct kvm_vcpu *vcpu)
{
	struct xenhv_vm *vm = NULL;

	preempt_disable_notrace();
	if (likely(__this_cpu_read(xenhv_vm_loaded.vcpu) == vcpu))
		vm = __this_cpu_read(xenhv_vm_loaded.vm);
	preempt_enable_notrace();
	return vm;
}

/*
 * @vcpu is one its VM lists. KVM loads and puts a vCPU while it creates it
 * (kvm_arch_vcpu_create() and the reset in it), before the vCPU has its
 * index and before the VM lists it: 6.x kernels show index 0 then, vCPU
 * 0's, 7.x kernels -1. Those calls are KVM's alone; an ABI that took them
 * would act on vCPU 0's state. Asked only where no entry names @vcpu, which
 * only a listed vCPU's load writes.
 */
static bool vcpu_listed(struct kvm_vcpu *vcpu)
{
	return kvm_get_vcpu(vcpu->kvm, vcpu->vcpu_idx) == vcpu;
}

/* A vCPU's record from the slots, if the VM lists the vCPU. */
static __always_inline struct xenhv_vm *vcpu_vm_slots(struct kvm_vcpu *vcpu)
{
	struct xenhv_vm *vm = vm_attached(vcpu->kvm);

	return vm && vcpu_listed(vcpu) ? vm : NULL;
}

/*
 * kvm_arch_vcpu_load(@vcpu), preemption off: note @vcpu's record here, and
 * return it if the VM has an ABI now.
 */
struct xenhv_vm *notrace xenhv_vcpu_load(struct kvm_vcpu *vcpu)
{
	struct xenhv_vm *vm = vcpu_vm_slots(vcpu);
	struct kvm_vcpu *noted = vm ? vcpu : NULL;

	__this_cpu_write(xenhv_vm_loaded.vm, vm);
	__this_cpu_write(xenhv_vm_loaded.vcpu, noted);
	return vm && READ_ONCE(vm->abi) ? vm : NULL;
}

/* kvm_arch_vcpu_put(@vcpu), preemption off: as xenhv_vcpu_load(). */
struct xenhv_vm *notrace xenhv_vcpu_put(struct kvm_vcpu *vcpu)
{
	struct xenhv_vm *vm = NULL;

	if (__this_cpu_read(xenhv_vm_loaded.vcpu) == vcpu)
		vm = __this_cpu_read(xenhv_vm_loaded.vm);
	else
		vm = vcpu_vm_slots(vcpu);
	__this_cpu_write(xenhv_vm_loaded.vcpu, NULL);
	__this_cpu_write(xenhv_vm_loaded.vm, NULL);
	return vm && READ_ONCE(vm->abi) ? vm : NULL;
}

/* Clears the entries naming @vm (all: NULL). The hooks of load/put are gone. */
void xenhv_vm_loaded_clear(struct xenhv_vm *vm)
{
	struct xenhv_vm_loaded *l;
	int cpu;

	for_each_possible_cpu(cpu) {
		l = per_cpu_ptr(&xenhv_vm_loaded, cpu);
		if (!vm || READ_ONCE(l->vm) == vm) {
			WRITE_ONCE(l->vcpu, NULL);
			WRITE_ONCE(l->vm, NULL);
		}
	}
}

/* The hooks' question for @vcpu: its entry, else the slots. */
static __always_inline struct xenhv_vm *vcpu_vm(struct kvm_vcpu *vcpu)
{
	return vm_loaded_get(vcpu) ?: vcpu_vm_slots(vcpu);
}

/*
 * The trampolines' question (hook.c): the VM's record if @vcpu's call goes
 * to the wrapper. A call of KVM's original that a wrapper marked (pass_begin()) goes
 * on into KVM's function, once. The mark is per vCPU, not read from the
 * return address, which a tracer of the same function may have replaced
 * (the function graph tracer, kretprobes); the vCPU's own thread is the
 * only one that runs its hooked calls.
 */
struct xenhv_vm *__xenhv_hot notrace xenhv_hook_vm(struct kvm_vcpu *vcpu)
{
	unsigned int idx = vcpu->vcpu_idx;
	struct xenhv_vm *vm;

	/*
	 * A vCPU that KVM is still creating has no index yet (7.x: -1; 6.x: 0,
	 * which vcpu_vm() tells from vCPU 0's): its calls (vcpu_load/put, MSR
	 * defaults) are KVM's, and no wrapper runs for it, so it never carries
	 * a mark either.
	 */
	if (unlikely(idx >= KVM_MAX_VCPUS))
		return NULL;
	vm = vcpu_vm(vcpu);
	if (vm && unlikely(test_bit(idx, vm->passing))) {
		clear_bit(idx, vm->passing);
		return NULL;
	}
	return vm;
}

/*
 * The hypercall trampoline's question: the ABI's handler of @vcpu's call,
 * if it has one, and the VM's record. KVM runs its exit handlers inside the
 * vCPU's kvm->srcu, which detach waits for (xenhv.h): the ABI read here
 * stays until the handler returns. A VM whose detach began goes on into
 * KVM's function. No wrapper calls KVM's hypercall function, so no mark
 * (xenhv_hook_vm()) can be pending here: a mark lives only across a wrapper's
 * call of another hooked function, on the vCPU's own thread.
 */
struct xenhv_hcall_target __xenhv_hot notrace xenhv_hook_hcall(struct kvm_vcpu *vcpu)
{
	struct xenhv_vm *vm = vcpu_vm(vcpu);
	const struct xenhv_abi *abi = vm ? xenhv_vm_abi(vm) : NULL;

	RCU_LOCKDEP_WARN(!srcu_read_lock_held(&vcpu->kvm->srcu),
			 "hypercall outside the vCPU's kvm->srcu");
	return (struct xenhv_hcall_target){ abi ? abi->hypercall : NULL, vm };
}

/* Called from kvm_arch_destroy_vm(), in atomic context: nothing may sleep. */
void xenhv_vm_destroyed(struct kvm *kvm)
{
	struct xenhv_vm *vm;
	unsigned long flags;

	vm = find_locked(kvm);
	if (!vm)
		return;
	rhashtable_remove_fast(&xenhv_vm_table, &vm->node, vm_params);
	spin_lock_irqsave(&xenhv_vms_lock, flags);
	list_del_rcu(&vm->link);
	spin_unlock_irqrestore(&xenhv_vms_lock, flags);
	/* An attached VM ends here without a detach. */
	if (vm->abi)
		vm_attached_put(vm);
	/* No lookup finds @vm now: no load notes it again. */
	xenhv_vm_loaded_clear(vm);
	xenhv_xen_abi.destroy(vm);
	xenhv_hv_abi.destroy(vm);
	kfree_rcu(vm, rcu);
	module_put(THIS_MODULE);
}

static const struct xenhv_abi *abi_by_id(u32 id)
{
	switch (id) {
	case XENHV_ABI_XEN:
		return &xenhv_xen_abi;
	case XENHV_ABI_HYPERV:
		return &xenhv_hv_abi;
	}
	return NULL;
}

/*
 * KVM's own Xen or Hyper-V emulation, switched on by the VMM, would compete
 * with the shim for the same hypercalls, MSRs and CPUID leaves.
 */
static bool kvm_has_own_enlightenments(struct kvm *kvm)
{
	const struct kvm_xen_hvm_config *xen = xenhv_kvm_xen_hvm_config(kvm);
	struct kvm_vcpu *vcpu;
	unsigned long i;

	if (xen && (xen->msr || xen->flags))
		return true;
	kvm_for_each_vcpu(i, vcpu, kvm)
		if (vcpu->arch.hyperv_enabled)
			return true;
	return false;
}

/*
 * Publish @abi for @vm after its state, which the hooks read only once they
 * see vm->abi; vm->gen is even again first (see xenhv_core_block()).
 */
static void vm_publish(struct xenhv_vm *vm, const struct xenhv_abi *abi)
{
	if (vm->gen & 1)
		WRITE_ONCE(vm->gen, vm->gen + 1);
	/* Pairs with the acquire in xenhv_vm_abi(): state and count first. */
	smp_store_release(&vm->abi, abi);
}

long xenhv_vm_attach(struct kvm *kvm, struct xenhv_attach *at)
{
	const struct xenhv_abi *abi = abi_by_id(at->abi);
	struct xenhv_vm *vm, *new = NULL;
	unsigned long flags;
	int ret;

	if (!abi)
		return -EINVAL;
	if (kvm_has_own_enlightenments(kvm)) {
		pr_info_ratelimited("VM of pid %d uses KVM's own Xen or Hyper-V emulation; not attaching\n",
				    kvm->userspace_pid);
		return -EEXIST;
	}

	mutex_lock(&xenhv_vms_mutex);
	vm = find_locked(kvm);
	if (vm && vm->abi) {
		/* A VM on KVM's Xen uapi belongs to its VMM's Xen emulation. */
		ret = (vm->flags & XENHV_ATTACH_KVM_UAPI) &&
		      !(at->flags & XENHV_ATTACH_KVM_UAPI) ? -EEXIST : -EBUSY;
		goto out;
	}
	if (!vm) {
		new = kzalloc(sizeof(*new), GFP_KERNEL_ACCOUNT);
		if (!new) {
			ret = -ENOMEM;
			goto out;
		}
		new->kvm = kvm;
		new->pid = kvm->userspace_pid;
		spin_lock_init(&new->hv.lock);
		vm = new;
	}
	/* The hooks are in place before the ABI can be published. */
	ret = xenhv_hooks_get();
	if (ret)
		goto out;
	/* The ABI's state is only read while vm->abi points at that ABI. */
	ret = abi->attach(vm, at);
	if (ret)
		goto out_hooks;
	vm->flags = at->flags;
	vm->cfg = *at;
	if (new) {
		ret = rhashtable_insert_fast(&xenhv_vm_table, &new->node, vm_params);
		if (ret) {
			abi->detach(new);
			goto out_hooks;
		}
		__module_get(THIS_MODULE);
		new->id = xenhv_next_id++;
		spin_lock_irqsave(&xenhv_vms_lock, flags);
		list_add_tail_rcu(&new->link, &xenhv_vms);
		spin_unlock_irqrestore(&xenhv_vms_lock, flags);
		new = NULL;
	}
	vm_slot_add(vm);
	vm_publish(vm, abi);
	at->vm_id = vm->id;
	ret = 0;
	goto out;
out_hooks:
	xenhv_hooks_put();
out:
	mutex_unlock(&xenhv_vms_mutex);
	kfree(new);
	return ret;
}

/*
 * Take the ABI away from @vm: no new call enters it, and the ones inside
 * finish (a vCPU that blocks in one, in poll, block or guest idle, has a
 * pending unblock and returns at once). Then nothing of the ABI runs for
 * the VM but what its detach stops. Calls are inside xenhv_calls or, for
 * hypercalls, the vCPU's kvm->srcu (xenhv.h); a hypercall that blocks
 * finds vm->gen odd, or comes back in a new kvm->srcu section and finds
 * it moved (xenhv_core_block()). Under xenhv_vms_mutex, which no caller of an ABI
 * takes: the VM's vCPUs run while this waits.
 */
static const struct xenhv_abi *vm_quiesce(struct xenhv_vm *vm)
{
	const struct xenhv_abi *abi = vm->abi;
	struct kvm_vcpu *vcpu;
	unsigned long i;

	WRITE_ONCE(vm->abi, NULL);
	WRITE_ONCE(vm->gen, vm->gen + 1);	/* odd: see xenhv_core_block() */
	kvm_for_each_vcpu(i, vcpu, vm->kvm)
		xenhv_core_unblock(vcpu);
	synchronize_srcu(&xenhv_calls);
	synchronize_srcu(&vm->kvm->srcu);
	return abi;
}

/*
 * Detach, or with @reattach (XENHV_RESET_VM) start the same attachment
 * again from its power-on state; if that state cannot be allocated, the
 * VM stays detached.
 */
#define XENHV_DOOR_ANY	U32_MAX

static long vm_detach(struct kvm *kvm, bool reattach, u32 door)
{
	const struct xenhv_abi *abi;
	struct xenhv_vm *vm;
	long ret = -ENOENT;

	mutex_lock(&xenhv_vms_mutex);
	vm = find_locked(kvm);
	/* Only the door a VM came in by (KVM's Xen uapi or ours) takes it out. */
	if (vm && vm->abi && door != XENHV_DOOR_ANY &&
	    (vm->flags & XENHV_ATTACH_KVM_UAPI) != door)
		ret = -EEXIST;
	else if (vm && vm->abi) {
		abi = vm_quiesce(vm);
		if (abi->detach)
			abi->detach(vm);
		ret = reattach ? abi->attach(vm, &vm->cfg) : 0;
		if (reattach && !ret)
			vm_publish(vm, abi);
		else
			vm_attached_put(vm);
	}
	mutex_unlock(&xenhv_vms_mutex);
	return ret;
}

long xenhv_vm_detach(struct kvm *kvm)
{
	return vm_detach(kvm, false, 0);
}

long xenhv_vm_reset(struct kvm *kvm)
{
	return vm_detach(kvm, true, 0);
}

long xenhv_vm_uapi_detach(struct kvm *kvm)
{
	return vm_detach(kvm, false, XENHV_ATTACH_KVM_UAPI);
}

/* A reset noticed in atomic context, carried out in the VMM's thread. */
struct vm_reset_work {
	struct callback_head cb;
	struct kvm *kvm;
};

static void vm_reset_work_fn(struct callback_head *cb)
{
	struct vm_reset_work *w = container_of(cb, struct vm_reset_work, cb);

	vm_detach(w->kvm, true, XENHV_DOOR_ANY);
	kvm_put_kvm(w->kvm);
	kfree(w);
}

/*
 * The VMM reset an attached VM's machine (hook.c): reset the ABI when the
 * current thread returns to userspace, which it does before the vCPU whose
 * state it set can run again. Atomic context; a reference on the VM keeps
 * it until then.
 */
void xenhv_vm_reset_on_return(struct kvm *kvm)
{
	const struct xenhv_abi *abi;
	struct xenhv_vm *vm = xenhv_vm_lookup(kvm, &abi);
	struct vm_reset_work *w;

	/*
	 * A VM on KVM's Xen uapi is reset by its VMM through the attributes,
	 * as KVM's own Xen state is.
	 */
	if (!vm || (vm->flags & XENHV_ATTACH_KVM_UAPI) || (current->flags & PF_KTHREAD))
		return;
	w = kmalloc(sizeof(*w), GFP_ATOMIC);
	if (!w)
		return;
	w->kvm = kvm;
	kvm_get_kvm(kvm);
	init_task_work(&w->cb, vm_reset_work_fn);
	if (task_work_add(current, &w->cb, TWA_RESUME)) {
		KVM_FN(kvm_put_kvm_no_destroy)(kvm);
		kfree(w);
	}
}

/*
 * XENHV_XEN_BIND_PORT and XENHV_XEN_RAISE_PORT: VMs attached as Xen only,
 * and not through KVM's uapi, whose VMM numbers the ports (EEXIST, as for
 * the other ioctls such a VM is refused).
 */
long xenhv_vm_xen_port(struct kvm *kvm, const struct xenhv_xen_port *bind, u32 raise)
{
	struct xenhv_vm *vm;
	long ret = -ENOENT;

	mutex_lock(&xenhv_vms_mutex);
	vm = find_locked(kvm);
	if (vm && (vm->flags & XENHV_ATTACH_KVM_UAPI))
		ret = -EEXIST;
	else if (vm && vm->abi == &xenhv_xen_abi)
		ret = bind ? xenhv_xen_bind_port(vm, bind) : xenhv_xen_raise_port(vm, raise);
	mutex_unlock(&xenhv_vms_mutex);
	return ret;
}

/* XENHV_HV_BIND_CONN: VMs attached as Hyper-V only. */
long xenhv_vm_hv_ioctl(struct kvm *kvm, unsigned int cmd, void *arg)
{
	struct xenhv_vm *vm;
	long ret = -ENOENT;

	mutex_lock(&xenhv_vms_mutex);
	vm = find_locked(kvm);
	if (vm && vm->abi == &xenhv_hv_abi)
		ret = xenhv_hv_ioctl(vm, cmd, arg);
	mutex_unlock(&xenhv_vms_mutex);
	return ret;
}

/* Under rcu_read_lock(): the record may be freed after the section. */
static struct xenhv_vm *find_by_id(u64 id)
{
	struct xenhv_vm *vm;

	list_for_each_entry_rcu(vm, &xenhv_vms, link)
		if (vm->id == id)
			return vm;
	return NULL;
}

long xenhv_vm_stats(struct kvm *kvm, struct xenhv_vm_stats *st)
{
	const struct xenhv_abi *abi;
	struct xenhv_vm *vm;
	int i;

	mutex_lock(&xenhv_vms_mutex);
	rcu_read_lock();
	vm = kvm ? find_locked(kvm) : find_by_id(st->vm_id);
	if (vm) {
		abi = READ_ONCE(vm->abi);
		st->vm_id = vm->id;
		st->abi = abi ? abi->id : XENHV_ABI_NATIVE;
		st->nr_ops = XENHV_NR_OPS;
		/* The ABI's state can be walked only while the VM is held. */
		if (kvm && abi)
			st->mem_bytes = ksize(vm) + abi->mem_bytes(vm);
		for (i = 0; i < XENHV_NR_OPS; i++) {
			st->ops[i].kernel = atomic64_read(&vm->stats[i][XENHV_STAT_KERNEL]);
			st->ops[i].user = atomic64_read(&vm->stats[i][XENHV_STAT_USER]);
			st->ops[i].errors = atomic64_read(&vm->stats[i][XENHV_STAT_ERROR]);
		}
	}
	rcu_read_unlock();
	mutex_unlock(&xenhv_vms_mutex);
	return vm ? 0 : -ENOENT;
}

long xenhv_vm_list(struct xenhv_vm_info *info, u32 *nr)
{
	struct xenhv_vm *vm;
	u32 n = 0;
	int i, j;

	mutex_lock(&xenhv_vms_mutex);
	rcu_read_lock();
	list_for_each_entry_rcu(vm, &xenhv_vms, link) {
		if (n < *nr) {
			const struct xenhv_abi *abi = READ_ONCE(vm->abi);
			u64 calls = 0;

			for (i = 0; i < XENHV_NR_OPS; i++)
				for (j = XENHV_STAT_KERNEL; j <= XENHV_STAT_USER; j++)
					calls += atomic64_read(&vm->stats[i][j]);
			info[n] = (struct xenhv_vm_info) {
				.vm_id = vm->id,
				.abi = abi ? abi->id : XENHV_ABI_NATIVE,
				.pid = vm->pid,
				.flags = vm->flags,
				.calls = calls,
			};
		}
		n++;
	}
	rcu_read_unlock();
	mutex_unlock(&xenhv_vms_mutex);
	*nr = n;
	return 0;
}

/* The ABI's hypervisor leaves, in the layout of KVM_SET_CPUID2. */
long xenhv_vm_cpuid(struct kvm *kvm, struct kvm_cpuid_entry2 *e, u32 *nent)
{
	const struct xenhv_abi *abi;
	struct xenhv_vm *vm;
	u32 first, last, leaf, r[4];
	long ret = 0;

	mutex_lock(&xenhv_vms_mutex);
	vm = find_locked(kvm);
	abi = vm ? vm->abi : NULL;
	if (!abi) {
		ret = -ENOENT;
		goto out;
	}
	abi->cpuid_range(vm, &first, &last);
	if (last - first + 1 > *nent) {
		*nent = last - first + 1;
		ret = -E2BIG;
		goto out;
	}
	for (leaf = first; leaf <= last; leaf++, e++) {
		abi->cpuid(vm, NULL, leaf, 0, r);
		*e = (struct kvm_cpuid_entry2) {
			.function = leaf,
			.eax = r[0], .ebx = r[1], .ecx = r[2], .edx = r[3],
		};
	}
	*nent = last - first + 1;
out:
	mutex_unlock(&xenhv_vms_mutex);
	return ret;
}

int xenhv_vm_init(void)
{
	return rhashtable_init(&xenhv_vm_table, &vm_params);
}

/* Every record is gone: each holds a module reference. */
void xenhv_vm_exit(void)
{
	rhashtable_destroy(&xenhv_vm_table);
}
