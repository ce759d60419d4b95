/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hv2xen internals: the per-VM and per-vCPU Hyper-V state.
 *
 * Per-vCPU SynIC state (SIM and SIEF pages, SINTs, synthetic timers) is
 * touched from the vCPU's MSR accesses, from timer expiry (hard interrupt
 * context) and from other vCPUs' SignalEvent calls. hv->lock (a raw
 * spinlock, taken with interrupts off) orders those against each other;
 * the pages are pinned (guest.h) so they can be written from any context.
 */
#ifndef XENHV_HV2XEN_HV_H
#define XENHV_HV2XEN_HV_H

#include <linux/eventfd.h>
#include <linux/xarray.h>
#include "compat/hyperv-tlfs.h"

#include "xenhv.h"
#include "guest.h"
#include "core/core.h"
#include "decode.h"

/* Not in every kernel's hyperv-tlfs.h. */
#ifndef HV_EXT_CALL_QUERY_CAPABILITIES
#define HV_EXT_CALL_QUERY_CAPABILITIES	0x8001
#endif
#ifndef HV_CRASH_CTL_CRASH_NOTIFY
#define HV_CRASH_CTL_CRASH_NOTIFY	BIT_ULL(63)
#endif

#define HV_NR_STIMERS		HV_SYNIC_STIMER_COUNT
#define HV_NR_SINTS		HV_SYNIC_SINT_COUNT
#define HV_NR_CRASH_PARAMS	5

/* Bits of the SINT registers, of the page MSRs and of stimer configs. */
#define HV_SINT_POLLING		BIT_ULL(18)
#define HV_SINT_VALID_BITS	(HV_SYNIC_SINT_VECTOR_MASK | HV_SYNIC_SINT_MASKED | \
				 HV_SYNIC_SINT_AUTO_EOI | HV_SINT_POLLING)
#define HV_PAGE_MSR_RSVD	GENMASK_ULL(11, 1)
#define HV_STIMER_ENABLE	BIT_ULL(0)
#define HV_STIMER_PERIODIC	BIT_ULL(1)
#define HV_STIMER_LAZY		BIT_ULL(2)
#define HV_STIMER_AUTO_ENABLE	BIT_ULL(3)
#define HV_STIMER_VECTOR(c)	(((c) >> 4) & 0xff)
#define HV_STIMER_DIRECT	BIT_ULL(12)
#define HV_STIMER_SINT(c)	(((c) >> 16) & 0xf)
#define HV_STIMER_VALID_BITS	(GENMASK_ULL(12, 0) | GENMASK_ULL(19, 16))

struct hv_vcpu;

struct hv_stimer {
	struct hv_vcpu *hvc;
	u32 index;
	u64 config;
	u64 count;
	u64 exp_time;		/* reference time of the expiry being delivered */
	bool msg_pending;	/* expired, message not yet in the SIM slot */
	struct xenhv_timer timer;
};

struct hv_vcpu {
	struct hv_vm *h;
	struct kvm_vcpu *vcpu;
	u32 idx;
	u64 scontrol;
	u64 simp;
	u64 siefp;
	u64 sint[HV_NR_SINTS];
	/* Vectors of unmasked AutoEOI SINTs; read locklessly at delivery. */
	DECLARE_BITMAP(auto_eoi, 256);
	bool has_auto_eoi;		/* under hv_vm.ops_lock */
	u64 vp_assist;
	struct xenhv_gpage sim;		/* pinned while SIMP is enabled */
	struct xenhv_gpage sief;	/* pinned while SIEFP is enabled */
	struct hv_stimer stimer[HV_NR_STIMERS];
	/* The VMM's messages waiting for a busy SIM slot; under h->lock. */
	struct hv_message *host_msg[HV_NR_SINTS];
	bool idle;			/* in a GUEST_IDLE read */
	/* The sparse VP set banks of this vCPU's hypercall being decoded. */
	u64 vpset_bank[HV_VPSET_MAX_BANKS];
	struct xenhv_timer idle_timer;
	/*
	 * TIME_REF_COUNT reads: the TSC page's scale and offset for this vCPU,
	 * kept while its key and the partition's clock (@ref_clock, the
	 * clock's reference TSC) stay the same. The vCPU's own thread only.
	 */
	struct xenhv_clock_key ref_key;
	u64 ref_clock;
	u64 ref_scale;
	s64 ref_offset;
};

/* A SignalEvent connection: an eventfd or a SIEF event flag of a vCPU. */
struct hv_conn {
	struct eventfd_ctx *efd;	/* NULL: SynIC flag */
	u32 vp;
	u8 sint;
	u16 flag;
	struct rcu_head rcu;
};

struct hv_vm {
	struct xenhv_vm *vm;
	raw_spinlock_t lock;		/* SynIC state of every vCPU */
	struct mutex ops_lock;		/* page (re)registration, bindings */
	struct xenhv_clock clock;
	u64 tsc_page;			/* HV_X64_MSR_REFERENCE_TSC value */
	u32 tsc_seq;
	u64 crash[HV_NR_CRASH_PARAMS];
	struct xenhv_vcpu_table vcpus;	/* struct hv_vcpu */
	struct xarray conns;		/* conn id -> struct hv_conn */
	u32 auto_eoi_vcpus;		/* vCPUs with an AutoEOI SINT; ops_lock */
	struct list_head sints;		/* struct hv_sint_bind; ops_lock */
	struct rcu_head rcu;
};

static inline struct hv_vm *to_hv(struct xenhv_vm *vm)
{
	return vm->hv.h;
}

/* Whether the VM's enlightenment set offers all of @f (XENHV_HV_*). */
static inline bool hv_offers(const struct xenhv_vm *vm, u64 f)
{
	return (vm->hv.features & f) == f;
}

/* VP indexes 0 .. hv_nr_vps() - 1 exist. */
static inline u32 hv_nr_vps(struct hv_vm *h)
{
	return min_t(u32, atomic_read(&h->vm->kvm->online_vcpus), KVM_MAX_VCPUS);
}

/* Per-vCPU state, created on first use. */
struct hv_vcpu *hv_vcpu_get(struct hv_vm *h, struct kvm_vcpu *vcpu);
static inline struct hv_vcpu *hv_vcpu_find(struct hv_vm *h, u32 idx)
{
	return xenhv_vcpu_table_find(&h->vcpus, idx);
}

/* Reference time (100 ns since attach) as the guest computes it from its TSC. */
void hv_tsc_scale(struct hv_vm *h, struct kvm_vcpu *vcpu, u64 *scale, s64 *offset);
u64 hv_ref_time(struct hv_vm *h, struct kvm_vcpu *vcpu);
u64 hv_ref_time_own(struct hv_vm *h, struct hv_vcpu *hvc);

/* synic.c */
int hv_synic_get_msr(struct kvm_vcpu *vcpu, struct hv_vm *h, u32 msr, u64 *data, bool host);
int hv_synic_set_msr(struct kvm_vcpu *vcpu, struct hv_vm *h, u32 msr, u64 data, bool host);
bool hv_synic_msr(u32 msr);
int hv_guest_idle(struct kvm_vcpu *vcpu, struct hv_vm *h);
void hv_wake_idle(struct hv_vm *h, u32 idx);
int hv_synic_signal(struct hv_vm *h, u32 vp, u32 sint, u32 flag);
int hv_post_message(struct hv_vm *h, struct xenhv_hv_message *m);
int hv_bind_sint(struct hv_vm *h, const struct xenhv_hv_sint *b);
void hv_sints_teardown(struct hv_vm *h);
void hv_vcpu_teardown(struct hv_vcpu *hvc);
bool hv_auto_eoi(struct hv_vm *h, struct kvm_vcpu *vcpu, int vector);
void hv_auto_eoi_release(struct hv_vm *h, bool may_sleep);
void hv_vcpu_free(struct hv_vcpu *hvc);

/* hcall.c: each returns an HV_STATUS_* code. */
u16 hv_call_flush(struct kvm_vcpu *vcpu, struct hv_vm *h, struct hv_call *c);
u16 hv_call_send_ipi(struct kvm_vcpu *vcpu, struct hv_vm *h, struct hv_call *c);
/* Sets *to_user when no binding serves the connection id. */
u16 hv_call_signal_event(struct kvm_vcpu *vcpu, struct hv_vm *h, struct hv_call *c,
			 bool *to_user);
u16 hv_call_ext_query(struct kvm_vcpu *vcpu, struct hv_call *c);
int hv_bind_conn(struct hv_vm *h, const struct xenhv_hv_conn *b);
void hv_conns_teardown(struct hv_vm *h);

#endif
