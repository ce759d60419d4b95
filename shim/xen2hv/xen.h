/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xen2hv internals: the per-VM and per-vCPU Xen state.
 *
 * Guest-visible event state (pending and mask bitmaps, pending_sel,
 * upcall_pending) lives in guest pages the shim keeps pinned and mapped
 * (shared_info, each vCPU's vcpu_info), updated with atomic bit operations
 * as Xen does, from any context: a vCPU's hypercall, a timer's hard
 * interrupt, the VMM's eventfd or ioctl. x->lock (a raw spinlock, taken
 * with interrupts off) orders those updates against (re)registration of the
 * pages and the port table.
 */
#ifndef XENHV_XEN2HV_XEN_H
#define XENHV_XEN2HV_XEN_H

#include <linux/eventfd.h>
#include <linux/poll.h>
#include <linux/wait.h>
#include <xen/interface/xen.h>
#include <xen/interface/event_channel.h>
#include <xen/interface/vcpu.h>

#include "xenhv.h"
#include "guest.h"
#include "core/core.h"
#include "decode.h"

/* The 2-level ABI's port count, as decode.h has it for 64-bit guests. */
static_assert(sizeof(xen_ulong_t) * 8 * sizeof(xen_ulong_t) * 8 == XEN_NR_PORTS);
#define XEN_POLL_ANY		U32_MAX

enum xen_port_type {
	XEN_PORT_FREE,
	XEN_PORT_UNBOUND,	/* alloc_unbound: waits for a remote end */
	XEN_PORT_LOOPBACK,	/* interdomain within the VM */
	XEN_PORT_VIRQ,
	XEN_PORT_IPI,
	/*
	 * KVM's uapi (uapi.c): a port whose guest sends the kernel serves,
	 * as the VMM assigned it with KVM_XEN_ATTR_TYPE_EVTCHN; the VMM owns
	 * every other port and its numbering.
	 */
	XEN_PORT_KVM_DELIVER,	/* raise port .remote on the vCPU with id .vcpu */
	XEN_PORT_KVM_EVENTFD,	/* signal .send */
};

struct xen_port {
	u8 type;
	u8 virq;
	u8 stat;		/* XEN_PORT_KVM_*: EVTCHNSTAT_ipi or _interdomain */
	u16 remote_dom;		/* XEN_PORT_UNBOUND */
	u32 vcpu;		/* vCPU notified; XEN_PORT_KVM_DELIVER: its KVM id */
	u32 remote;		/* XEN_PORT_LOOPBACK: the other port */
	struct xen_send *send;	/* guest sends signal the VMM */
};

/*
 * A send eventfd, freed after an RCU grace period: a sender signals it
 * after dropping the port lock, which the eventfd's own wakeups (a raise
 * binding of the same eventfd) take.
 */
struct xen_send {
	struct eventfd_ctx *efd;
	struct rcu_head rcu;
};

/*
 * The ports, in buckets of XEN_PORT_BUCKET made when a port in them is
 * first bound (ops_lock held, process context) and freed with the VM's
 * state: a port whose bucket does not exist is free. A guest that binds
 * a few ports pays for a bucket, not for the 4096 a 64-bit guest may have.
 */
#define XEN_PORT_BUCKET		64

/* The VMM raises a port by signalling an eventfd. */
struct xen_raise {
	struct list_head link;
	struct xen_vm *x;
	u32 port;
	struct eventfd_ctx *efd;
	wait_queue_entry_t wait;
	wait_queue_head_t *wqh;
	poll_table pt;
};

struct xen_vcpu {
	struct xen_vm *x;
	u32 idx;
	u32 xen_id;			/* uapi: the VMM's KVM_XEN_VCPU_ATTR_TYPE_VCPU_ID */
	u8 upcall_vector;
	bool vi_registered;
	struct xenhv_gpage vi_page;	/* registered vcpu_info page */
	u64 vi_gpa;			/* its GPA, as the KVM uapi set it */
	u32 vi_offset;
	/*
	 * The registered runstate area, in one guest page or straddling two
	 * (rs_len[0] bytes in the first). Its writers (the vCPU's own hooks
	 * and hypercalls, and registration from any vCPU) hold rs_lock.
	 */
	raw_spinlock_t rs_lock;
	bool rs_on;
	struct xenhv_gpage rs_page[2];
	u8 *rs_va[2];
	u32 rs_len0;
	u64 rs_gpa;			/* its GPA, for the uapi's RUNSTATE_ADDR */
	bool rs_preempted;		/* uapi: runnable since a preemption */
	gpa_t time_gpa;			/* secondary vcpu_time_info, 0: none */
	/* The KVM uapi's secondary time area: pinned, written with vcpu_info. */
	struct xenhv_gpage time_page;
	u64 time_uapi_gpa;
	struct vcpu_runstate_info runstate;
	u32 virq_port[NR_VIRQS];
	struct xenhv_clock_cache clock;	/* the VM clock's scale for this vCPU */
	/* Started and stopped by this vCPU only (xenhv_timer_start_own()). */
	struct xenhv_timer timer;	/* singleshot and set_timer_op */
	u64 timer_expires;		/* uapi: its deadline in guest ns, 0: off */
	struct xenhv_timer periodic;	/* any vCPU may set it */
	struct xenhv_timer poll_timer;	/* this vCPU's own */
	u32 poll_port;			/* 0: not polling; XEN_POLL_ANY */
};

struct xen_vm {
	struct xenhv_vm *vm;
	/*
	 * Attached through KVM's own Xen uapi (uapi.c): the VMM owns ports,
	 * grant tables and the rest of the toolstack's part, and keeps the
	 * guest's time in kvmclock.
	 */
	bool kvm_uapi;
	/*
	 * uapi with KVM_XEN_HVM_CONFIG_EVTCHN_SEND: the kernel delivers the
	 * VMM's events and serves the calls KVM keeps in the kernel then.
	 */
	bool evtchn_send;
	u8 long_mode;			/* uapi: the VMM's LONG_MODE attribute */
	u8 upcall_vector;		/* uapi: the VM-wide vector, 0: none */
	raw_spinlock_t lock;
	struct mutex ops_lock;		/* serialises port allocation and pages */
	struct xenhv_gpage shinfo;
	struct xenhv_clock clock;
	u64 params[32];			/* HVM params the shim keeps */
	struct xenhv_vcpu_table vcpus;	/* struct xen_vcpu */
	struct list_head raises;
	struct rcu_head rcu;
	struct xen_port *port_buckets[XEN_NR_PORTS / XEN_PORT_BUCKET];
};

static inline struct xen_vm *to_xen(struct xenhv_vm *vm)
{
	return vm->xen.x;
}

/* Existing state only: any context. */
static inline struct xen_vcpu *xen_vcpu_find(struct xen_vm *x, u32 idx)
{
	return xenhv_vcpu_table_find(&x->vcpus, idx);
}

struct xen_vcpu *xen_vcpu_new(struct xen_vm *x, struct kvm_vcpu *vcpu);

/* Per-vCPU state, created on first use from that vCPU's thread. */
static inline struct xen_vcpu *xen_vcpu_get(struct xen_vm *x, struct kvm_vcpu *vcpu)
{
	struct xen_vcpu *xv = vcpu ? xen_vcpu_find(x, vcpu->vcpu_idx) : NULL;

	return likely(xv) ? xv : xen_vcpu_new(x, vcpu);
}

struct vcpu_info *xen_vcpu_info(struct xen_vm *x, u32 idx);

/* evtchn.c */
long xen_evtchn_op(struct kvm_vcpu *vcpu, struct xen_vm *x, u64 cmd, u64 arg, bool *handled);
void xen_evtchn_set_pending(struct xen_vm *x, u32 port);
bool xen_evtchn_pending(struct xen_vm *x, u32 port);
bool xen_evtchn_kick_upcall(struct xen_vm *x, u32 idx);
int xen_evtchn_bind_eventfd(struct xen_vm *x, const struct xenhv_xen_port *p);
int xen_evtchn_raise(struct xen_vm *x, u32 port);
void xen_evtchn_teardown(struct xen_vm *x);
void xen_evtchn_free(struct xen_vm *x);
size_t xen_evtchn_bytes(struct xen_vm *x);
void xen_evtchn_deliver(struct xen_vm *x, u32 port, u32 idx);
int xen_evtchn_kvm_send(struct xen_vm *x, u32 vcpu_id, u32 port);
int xen_evtchn_kvm_assign(struct xen_vm *x, const struct kvm_xen_hvm_attr *a);
long xen_evtchn_kvm_guest_send(struct kvm_vcpu *vcpu, struct xen_vm *x, u64 arg,
			       bool *handled);
u32 xen_kvm_max_port(struct xen_vm *x);

/* vcpu.c */
long xen_vcpu_op(struct kvm_vcpu *vcpu, struct xen_vm *x, bool longmode, u64 cmd, u64 id,
		 u64 arg, bool *handled);
long xen_set_timer_op(struct kvm_vcpu *vcpu, struct xen_vm *x, u64 timeout);
long xen_sched_op(struct kvm_vcpu *vcpu, struct xen_vm *x, bool longmode, u64 cmd,
		  u64 arg, bool *handled);
void xen_write_time(struct xen_vm *x, struct kvm_vcpu *vcpu);
void xen_write_vcpu_info_time(struct xen_vm *x, struct kvm_vcpu *vcpu);
int xen_vcpu_set_info_page(struct xen_vm *x, struct kvm_vcpu *target, u64 gpa,
			   struct xenhv_gpage *gp);
int xen_vcpu_set_time_page(struct xen_vm *x, struct kvm_vcpu *target, u64 gpa,
			   struct xenhv_gpage *gp);
int xen_set_shared_info(struct xen_vm *x, struct kvm_vcpu *vcpu, u64 gfn);
void xen_set_shared_info_page(struct xen_vm *x, struct kvm_vcpu *vcpu, struct xenhv_gpage *gp);
void xen_write_wallclock(struct xen_vm *x);
void xen_vcpu_teardown(struct xen_vcpu *xv);
void xen_vcpu_sched(struct xen_vm *x, struct kvm_vcpu *vcpu, bool in);
u64 xen_guest_now(struct xen_vm *x, struct xen_vcpu *xv, struct kvm_vcpu *vcpu);
long xen_kvm_vcpu_op(struct kvm_vcpu *vcpu, struct xen_vm *x, u64 cmd, u64 id, u64 arg,
		     bool *handled);
long xen_kvm_set_timer_op(struct kvm_vcpu *vcpu, struct xen_vm *x, u64 timeout,
			  bool *handled);
long xen_kvm_sched_op(struct kvm_vcpu *vcpu, struct xen_vm *x, bool longmode, u64 cmd,
		      u64 arg, bool *handled);
int xen_kvm_set_timer(struct xen_vm *x, struct kvm_vcpu *vcpu, u32 port, u64 expires);
int xen_kvm_set_runstate_addr(struct xen_vm *x, struct kvm_vcpu *vcpu, u64 gpa,
			      struct xenhv_gpage page[2]);
int xen_kvm_set_runstate(struct xen_vm *x, struct kvm_vcpu *vcpu,
			 const struct kvm_xen_vcpu_attr *a);
int xen_kvm_get_runstate(struct xen_vm *x, struct kvm_vcpu *vcpu, struct kvm_xen_vcpu_attr *a);
void xen_kvm_get_timer(struct xen_vm *x, struct kvm_vcpu *vcpu, u32 *port, u64 *expires);

#endif
