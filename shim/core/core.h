/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ABI-neutral operations on KVM primitives. Both front ends map their
 * calls onto these.
 */
#ifndef XENHV_CORE_H
#define XENHV_CORE_H

#include <linux/hrtimer.h>
#include <asm/tsc.h>
#include "compat/kvm.h"
#include "hot.h"

/*
 * Give up the physical CPU, preferably to a vCPU of the same VM: Xen's
 * SCHEDOP_yield and Hyper-V's HvCallNotifyLongSpinWait both mean "this
 * vCPU spins on a lock held by another vCPU", so a preempted sibling is
 * boosted, as KVM does on PAUSE exits.
 */
static inline void xenhv_core_yield(struct kvm_vcpu *vcpu)
{
	KVM_FN(kvm_vcpu_on_spin)(vcpu, true);
}

/*
 * Block the calling vCPU (in its hypercall) until xenhv_core_unblock(), an
 * interrupt for it, or a signal for its thread. Spurious returns happen.
 * False when the VM's detach or reset began before or meanwhile (@gen, its
 * vm->gen, odd or moved): the caller's ABI state may be gone, and it
 * returns without touching it.
 */
bool xenhv_core_block(struct kvm_vcpu *vcpu, const u64 *gen);
/* Any context. */
void xenhv_core_unblock(struct kvm_vcpu *vcpu);

/*
 * An ABI's per-vCPU state, by KVM's vCPU index: a two-level table whose
 * blocks of XENHV_VCPU_BLOCK pointers are allocated as vCPUs of their range
 * first use the ABI, so that a VM pays for the vCPUs it has rather than for
 * KVM_MAX_VCPUS. Blocks and entries, once set, stay until the table is
 * freed (detach or VM destruction, when no call of the ABI runs), so that
 * lookups take no lock: any context.
 */
#define XENHV_VCPU_BLOCK	64

struct xenhv_vcpu_table {
	u32 nr;		/* indexes below this may have state */
	void **blocks[DIV_ROUND_UP(KVM_MAX_VCPUS, XENHV_VCPU_BLOCK)];
};

static inline void *xenhv_vcpu_table_find(struct xenhv_vcpu_table *t, u32 idx)
{
	void **b;

	if (idx >= t->nr)
		return NULL;
	b = READ_ONCE(t->blocks[idx / XENHV_VCPU_BLOCK]);
	return b ? READ_ONCE(b[idx % XENHV_VCPU_BLOCK]) : NULL;
}

void xenhv_vcpu_table_init(struct xenhv_vcpu_table *t, struct kvm *kvm);
void *xenhv_vcpu_table_set(struct xenhv_vcpu_table *t, u32 idx, void *p);
void xenhv_vcpu_table_free(struct xenhv_vcpu_table *t);
size_t xenhv_vcpu_table_bytes(struct xenhv_vcpu_table *t);

/*
 * The VM's clock: guest "system time" counts nanoseconds from attach. One
 * reference instant (host TSC, host monotonic and real time) serves every
 * vCPU, so the time each vCPU computes from its TSC agrees across vCPUs;
 * the same scale feeds Xen's pvclock and Hyper-V's reference TSC page.
 */
struct xenhv_clock {
	u64 ref_ns;		/* host CLOCK_MONOTONIC at guest time 0 */
	u64 ref_tsc;		/* host TSC at the same instant */
	u64 wall_ns;		/* CLOCK_REALTIME at guest time 0 */
};

struct xenhv_tsc_scale {
	u64 tsc_timestamp;	/* guest TSC at guest time @system_time */
	u64 system_time;
	u32 mul;		/* ns = ((tsc - tsc_timestamp) << shift) * mul >> 32 */
	s8 shift;
};

void xenhv_clock_init(struct xenhv_clock *c);
u64 xenhv_clock_now(const struct xenhv_clock *c);
/* Host CLOCK_MONOTONIC deadline of a guest time. */
void xenhv_clock_scale(const struct xenhv_clock *c, struct kvm_vcpu *vcpu,
		       struct xenhv_tsc_scale *s);
/* KVM's kvmclock (KVM_GET_CLOCK's time) as a scale of @vcpu's TSC. */
void xenhv_kvmclock_scale(struct kvm_vcpu *vcpu, struct xenhv_tsc_scale *s);
u64 xenhv_kvmclock_ns(struct kvm *kvm);
u64 xenhv_scale_now(struct kvm_vcpu *vcpu, const struct xenhv_tsc_scale *s);
/* Guest time from the vCPU's TSC, and guest-time deadlines relative to it. */
u64 xenhv_clock_guest_now(const struct xenhv_clock *c, struct kvm_vcpu *vcpu);

/*
 * What a vCPU's scale of a VM clock comes from: its TSC offset, ratio and
 * rate. A scale kept with its key serves while the key stays the same, and
 * guest time then costs one read of the guest TSC. A zeroed key (kHz 0)
 * never matches. Only the vCPU's own thread (its run loop, or its ioctls
 * under the vCPU's mutex) uses a vCPU's kept scales.
 */
struct xenhv_clock_key {
	u64 tsc_offset;		/* the vCPU's l1_tsc_offset ... */
	u64 tsc_ratio;		/* ... and l1_tsc_scaling_ratio ... */
	u32 khz;		/* ... and TSC kHz, when it was filled */
};

/* True, with @k updated, when @vcpu's key is no longer @k. */
static __always_inline bool xenhv_clock_key_update(struct xenhv_clock_key *k,
						   struct kvm_vcpu *vcpu)
{
	u32 khz = vcpu->arch.virtual_tsc_khz ? vcpu->arch.virtual_tsc_khz : tsc_khz;

	if (likely(k->khz == khz && khz && k->tsc_offset == vcpu->arch.l1_tsc_offset &&
		   k->tsc_ratio == vcpu->arch.l1_tsc_scaling_ratio))
		return false;
	k->tsc_offset = vcpu->arch.l1_tsc_offset;
	k->tsc_ratio = vcpu->arch.l1_tsc_scaling_ratio;
	k->khz = khz;
	return true;
}

/* A vCPU's scale of the VM clock, for guest time in ns. */
struct xenhv_clock_cache {
	struct xenhv_clock_key key;
	u32 mul;
	s8 shift;
	u64 tsc_zero;		/* guest TSC at guest time 0 */
};

u64 xenhv_clock_guest_now_cached(const struct xenhv_clock *c, struct kvm_vcpu *vcpu,
				 struct xenhv_clock_cache *cc);
ktime_t xenhv_clock_guest_deadline(u64 now_g, u64 guest_ns);

/*
 * One-shot or periodic timers whose expiry runs in hard interrupt context.
 * Periods are raised to XENHV_TIMER_MIN_PERIOD_NS at least; deadlines come
 * from xenhv_deadline_in() or xenhv_clock_guest_deadline(), which saturate.
 */
#define XENHV_TIMER_MIN_PERIOD_NS	(100 * NSEC_PER_USEC)

struct xenhv_timer {
	struct hrtimer hrt;
	u64 period_ns;
	void (*expired)(struct xenhv_timer *t);
	raw_spinlock_t lock;	/* start and stop against each other */
};

void xenhv_timer_init(struct xenhv_timer *t, void (*expired)(struct xenhv_timer *t));
/* Host monotonic time @ns from now; KTIME_MAX (never) when it would overflow. */
ktime_t xenhv_deadline_in(u64 ns);
void xenhv_timer_start(struct xenhv_timer *t, ktime_t deadline, u64 period_ns);
/* One-shot, for a timer only its owner's thread starts and stops. */
void xenhv_timer_start_own(struct xenhv_timer *t, ktime_t deadline);
void xenhv_timer_stop(struct xenhv_timer *t);

#endif
