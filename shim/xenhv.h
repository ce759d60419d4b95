/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internal interfaces between the layers of the shim:
 * hook.c -> vm.c -> xen2hv/ or hv2xen/ -> core/, with guest.c for every
 * touch of guest state.
 */
#ifndef XENHV_H
#define XENHV_H

#include "compat/kvm.h"
#include "hot.h"
#include <linux/atomic.h>
#include <linux/rhashtable-types.h>
#include <linux/spinlock.h>
#include <linux/srcu.h>
#include <uapi/linux/xenhv_shim.h>

struct xenhv_vm;

/* What an ABI's MSR handler says: pass the access on to KVM, or done. */
#define XENHV_MSR_PASS	(-1)

/**
 * struct xenhv_abi - one guest ABI front end
 * @id: XENHV_ABI_*.
 * @name: for logs and the xenhv tool.
 * @attach: validate the uapi configuration and initialise the VM's state.
 * @hypercall: the guest executed vmcall/vmmcall; KVM's return convention
 *	(1: resume the guest, 0: exit to userspace, < 0: error).
 * @get_msr: 0 done, 1 fault (#GP for the guest), XENHV_MSR_PASS: not ours.
 * @set_msr: likewise.
 * @cpuid: fill @r (EAX..EDX) for a leaf in 0x40000000..0x4000ffff; @vcpu is
 *	NULL when the leaves are exported for KVM_SET_CPUID2.
 * @cpuid_range: the first and last leaf the ABI defines, for XENHV_GET_CPUID.
 * @halt: the guest executed HLT (may be NULL): raise what it is owed, as Xen
 *	checks pending events at each VM entry.
 * @sched: the vCPU's thread is scheduled in (@in) or out (may be NULL);
 *	preemption is off: nothing may sleep or take a lock that wakes tasks.
 * @auto_eoi: whether the LAPIC vector @vector, just acknowledged for
 *	delivery, is to be EOI'd at once (may be NULL); @vector < 0 asks
 *	whether any vector of the vCPU is. vCPU thread, before VM entry.
 * @detach: release everything (timers, VMM bindings, pinned pages, vCPU
 *	state): no call of the ABI runs for the VM any more; process context.
 * @destroy: free everything; called when KVM destroys the VM, in atomic context.
 * @mem_bytes: bytes of the ABI's state of @vm; under xenhv_vms_mutex, with
 *	the VM held by its caller.
 */
struct xenhv_abi {
	/* First: the hypercall trampoline reads it at offset 0 (hook.c). */
	int (*hypercall)(struct kvm_vcpu *vcpu, struct xenhv_vm *vm);
	u32 id;
	const char *name;
	int (*attach)(struct xenhv_vm *vm, const struct xenhv_attach *cfg);
	int (*get_msr)(struct kvm_vcpu *vcpu, struct xenhv_vm *vm, struct msr_data *msr);
	int (*set_msr)(struct kvm_vcpu *vcpu, struct xenhv_vm *vm, struct msr_data *msr);
	void (*cpuid)(struct xenhv_vm *vm, struct kvm_vcpu *vcpu, u32 leaf, u32 sub, u32 r[4]);
	void (*cpuid_range)(struct xenhv_vm *vm, u32 *first, u32 *last);
	void (*halt)(struct kvm_vcpu *vcpu, struct xenhv_vm *vm);
	void (*sched)(struct kvm_vcpu *vcpu, struct xenhv_vm *vm, bool in);
	bool (*auto_eoi)(struct kvm_vcpu *vcpu, struct xenhv_vm *vm, int vector);
	void (*detach)(struct xenhv_vm *vm);
	void (*destroy)(struct xenhv_vm *vm);
	u64 (*mem_bytes)(struct xenhv_vm *vm);
};

extern const struct xenhv_abi xenhv_xen_abi;
extern const struct xenhv_abi xenhv_hv_abi;

struct xen_vm;

struct xenhv_xen_state {
	struct xen_vm *x;		/* event, vCPU and time state */
	u32 version;
	u32 hypercall_msr;
	u32 cpuid_base;
	u64 features;			/* XENHV_XEN_* offered */
	u64 hypercall_msr_value;	/* last value written, for reads */
};

struct hv_vm;

struct xenhv_hv_state {
	struct hv_vm *h;		/* SynIC, timers, clock, connections */
	u32 vendor[3];
	u64 features;			/* XENHV_HV_* offered */
	spinlock_t lock;		/* MSR writes */
	u64 guest_os_id;
	u64 hypercall;			/* HV_X64_MSR_HYPERCALL value */
};

enum xenhv_stat { XENHV_STAT_KERNEL, XENHV_STAT_USER, XENHV_STAT_ERROR, XENHV_NR_STATS };

/**
 * struct xenhv_vm - the shim's state for one KVM VM
 * @node: in the table of VMs, keyed by @kvm.
 * @link: in the list of all VMs, for the control plane.
 * @rcu: for freeing after lockless lookups.
 * @kvm: the VM; the record lives until KVM destroys it.
 * @id: attachment id reported to userspace.
 * @pid: process that created the VM.
 * @flags: XENHV_ATTACH_* of the current attachment.
 * @cfg: the attachment's request, for XENHV_RESET_VM.
 * @abi: the ABI in force; NULL once detached (the VM is native again).
 * @xen: Xen state (valid while @abi is the Xen ABI).
 * @hv: Hyper-V state (valid while @abi is the Hyper-V ABI).
 * @stats: per-operation counters.
 */
/*
 * Attached by KVM_XEN_HVM_CONFIG through KVM's own Xen uapi (xen2hv/uapi.c),
 * never by XENHV_ATTACH_VM, which takes only XENHV_ATTACH_FLAGS.
 */
#define XENHV_ATTACH_KVM_UAPI	BIT(31)
static_assert(!(XENHV_ATTACH_KVM_UAPI & XENHV_ATTACH_FLAGS));

struct xenhv_vm {
	/* First: the hypercall trampoline reads it at offset 0 (hook.c). */
	const struct xenhv_abi *abi;
	struct rhash_head node;
	struct list_head link;
	struct rcu_head rcu;
	struct kvm *kvm;
	u64 id;
	pid_t pid;
	u32 flags;
	struct xenhv_attach cfg;
	/*
	 * Even while an ABI is attached, odd from the start of a detach or
	 * reset until the next attachment is published: see
	 * xenhv_core_block(). 64 bits: it never wraps.
	 */
	u64 gen;
	/* vCPUs whose next hooked call is a wrapper's call of KVM's original. */
	DECLARE_BITMAP(passing, KVM_MAX_VCPUS);
	struct xenhv_xen_state xen;
	struct xenhv_hv_state hv;
	atomic64_t stats[XENHV_NR_OPS][XENHV_NR_STATS];
};

/* vm.c */
struct xenhv_vm *xenhv_vm_lookup(struct kvm *kvm, const struct xenhv_abi **abi);
/*
 * A hook that found an attached VM enters its ABI inside an SRCU read
 * section and reads the ABI again there with xenhv_vm_abi(): NULL once
 * detach began. Detach waits for every call that entered before it cleared
 * the ABI. The section is the vCPU's kvm->srcu for hypercalls, which KVM
 * runs inside it (a call that blocks leaves it, see xenhv_core_block()),
 * and xenhv_calls for every other hook.
 */
extern struct srcu_struct xenhv_calls;

static inline int xenhv_calls_enter(void)
	__acquires(&xenhv_calls)
{
	return srcu_read_lock(&xenhv_calls);
}

static inline void xenhv_calls_exit(int idx)
	__releases(&xenhv_calls)
{
	srcu_read_unlock(&xenhv_calls, idx);
}

static inline const struct xenhv_abi *xenhv_vm_abi(struct xenhv_vm *vm)
{
	/* Pairs with the release in xenhv_vm_attach(): the ABI state is set. */
	return smp_load_acquire(&vm->abi);
}

void xenhv_vm_destroyed(struct kvm *kvm);
/*
 * The vCPU loaded on each CPU and its VM's record, while that VM was
 * attached at the load (vm.c). The hypercall trampoline reads the fields
 * at these offsets (hook.c).
 */
struct xenhv_vm_loaded {
	struct kvm_vcpu *vcpu;
	struct xenhv_vm *vm;
};

DECLARE_PER_CPU(struct xenhv_vm_loaded, xenhv_vm_loaded);
struct xenhv_vm *xenhv_vcpu_load(struct kvm_vcpu *vcpu);
struct xenhv_vm *xenhv_vcpu_put(struct kvm_vcpu *vcpu);
void xenhv_vm_loaded_clear(struct xenhv_vm *vm);
int xenhv_vm_init(void);
void xenhv_vm_exit(void);
long xenhv_vm_attach(struct kvm *kvm, struct xenhv_attach *at);
long xenhv_vm_detach(struct kvm *kvm);
long xenhv_vm_uapi_detach(struct kvm *kvm);
long xenhv_vm_reset(struct kvm *kvm);
void xenhv_vm_reset_on_return(struct kvm *kvm);
long xenhv_vm_stats(struct kvm *kvm, struct xenhv_vm_stats *st);
long xenhv_vm_list(struct xenhv_vm_info *info, u32 *nr);
long xenhv_vm_cpuid(struct kvm *kvm, struct kvm_cpuid_entry2 *e, u32 *nent);
long xenhv_vm_xen_port(struct kvm *kvm, const struct xenhv_xen_port *bind, u32 raise);

/* xen2hv/xen.c: the VMM's side of event channel ports. */
int xenhv_xen_bind_port(struct xenhv_vm *vm, const struct xenhv_xen_port *p);
int xenhv_xen_raise_port(struct xenhv_vm *vm, u32 port);
/* XENHV_HV_BIND_CONN, XENHV_HV_BIND_SINT, XENHV_HV_POST_MESSAGE */
long xenhv_vm_hv_ioctl(struct kvm *kvm, unsigned int cmd, void *arg);

/* hv2xen/hv.c: the VMM's side of SignalEvent connections and SINTs. */
int xenhv_hv_ioctl(struct xenhv_vm *vm, unsigned int cmd, void *arg);

/* @op is an index of struct xenhv_vm_stats.ops (the front end maps it). */
static inline void xenhv_count(struct xenhv_vm *vm, u32 op, enum xenhv_stat what)
{
	atomic64_inc(&vm->stats[op % XENHV_NR_OPS][what]);
}

/* hook.c: the trampolines, defined in asm there (TRAMPOLINE()). */
void tramp_hook_hypercall(void);
void tramp_hook_get_msr(void);
void tramp_hook_set_msr(void);
void tramp_hook_cpuid(void);
void tramp_hook_halt(void);
void tramp_hook_apic_ack(void);
void tramp_hook_get_interrupt(void);
void tramp_hook_has_injectable_intr(void);
void tramp_hook_has_interrupt(void);
struct xenhv_vm *xenhv_hook_vm(struct kvm_vcpu *vcpu);

/* What tramp_hook_hypercall() is given: a handler to run, or NULL. */
struct xenhv_hcall_target {
	int (*handler)(struct kvm_vcpu *vcpu, struct xenhv_vm *vm);
	struct xenhv_vm *vm;
};

struct xenhv_hcall_target xenhv_hook_hcall(struct kvm_vcpu *vcpu);

/* xen2hv/uapi.c: KVM's own Xen uapi, on kernels without CONFIG_KVM_XEN. */
u32 xenhv_xen_uapi_caps(void);
bool xenhv_xen_uapi_vm_ioctl(unsigned int ioctl);
bool xenhv_xen_uapi_vcpu_ioctl(unsigned int ioctl);
long xenhv_xen_uapi_vm(struct kvm *kvm, unsigned int ioctl, unsigned long arg);
long xenhv_xen_uapi_vcpu(struct kvm_vcpu *vcpu, unsigned int ioctl, unsigned long arg);
int xenhv_xen_uapi_pending(struct kvm_vcpu *vcpu, bool pending);
/*
 * Kernels whose LAPIC ack is hooked in kvm_cpu_get_interrupt() (hook.c),
 * which can then deliver an external interrupt of the shim's.
 */
#ifdef COMPAT_HAS_APIC_ACK_INTERRUPT
#define XENHV_EXTINT_HOOKED	false
#else
#define XENHV_EXTINT_HOOKED	true
#define XENHV_HOOKS_GET_INTERRUPT
#endif

int xenhv_hook_init(void);
void xenhv_hook_exit(void);
int xenhv_hooks_get(void);
void xenhv_hooks_put(void);

/* dev.c */
int xenhv_dev_init(void);
void xenhv_dev_exit(void);

#endif
