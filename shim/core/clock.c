// SPDX-License-Identifier: GPL-2.0
/*
 * The VM's clock and the TSC scale both ABIs publish.
 */
#include <linux/math64.h>
#include <linux/timekeeping.h>
#include <asm/tsc.h>

#include "core.h"

void xenhv_clock_init(struct xenhv_clock *c)
{
	unsigned long flags;

	local_irq_save(flags);
	c->ref_tsc = rdtsc_ordered();
	c->ref_ns = ktime_get_ns();
	c->wall_ns = ktime_get_real_ns();
	local_irq_restore(flags);
}

u64 xenhv_clock_now(const struct xenhv_clock *c)
{
	return ktime_get_ns() - c->ref_ns;
}

/*
 * mul and shift such that ns = (ticks << shift) * mul / 2^32 for a counter
 * of @hz: write NSEC_PER_SEC / hz as m * 2^shift with m in [1/2, 1), then
 * mul = m * 2^32.
 */
static void scale_compute(u64 hz, u32 *mul, s8 *shift)
{
	u64 num = NSEC_PER_SEC, den = hz;
	int s = 0;

	/* No TSC frequency (calibration failed): a clock that stands still. */
	if (!hz) {
		*mul = 0;
		*shift = 0;
		return;
	}

	while (num >= den) {
		den <<= 1;
		s++;
	}
	while (num * 2 < den) {
		num <<= 1;
		s--;
	}
	*mul = mul_u64_u64_div_u64(num, 1ull << 32, den);
	*shift = s;
}

/*
 * The timer and reference-counter calls need the scale of the vCPU's TSC
 * rate on every call, and every VM of a host normally runs at one rate: the
 * last one computed is kept, packed in one word (kHz in bits 63..40, the
 * shift in 39..32, mul in 31..0) so that readers need no lock. kHz of 0 or
 * beyond 24 bits is computed each time.
 */
#define SCALE_KHZ_SHIFT	40
static u64 scale_cache;

static void scale_for_khz(u64 khz, u32 *mul, s8 *shift)
{
	u64 c = READ_ONCE(scale_cache);

	if (khz && khz < (1ull << (64 - SCALE_KHZ_SHIFT)) && c >> SCALE_KHZ_SHIFT == khz) {
		*mul = (u32)c;
		*shift = (s8)(c >> 32);
		return;
	}
	scale_compute(khz * 1000, mul, shift);
	if (khz && khz < (1ull << (64 - SCALE_KHZ_SHIFT)))
		WRITE_ONCE(scale_cache, khz << SCALE_KHZ_SHIFT | (u64)(u8)*shift << 32 | *mul);
}

void xenhv_clock_scale(const struct xenhv_clock *c, struct kvm_vcpu *vcpu,
		       struct xenhv_tsc_scale *s)
{
	u64 khz = vcpu->arch.virtual_tsc_khz ? vcpu->arch.virtual_tsc_khz : tsc_khz;

	s->tsc_timestamp = KVM_FN(kvm_read_l1_tsc)(vcpu, c->ref_tsc);
	s->system_time = 0;
	scale_for_khz(khz, &s->mul, &s->shift);
}

/*
 * KVM's own kvmclock, the guest time KVM_GET_CLOCK reports, as a pvclock
 * scale of @vcpu's TSC: for VMs whose VMM keeps time in kvmclock (the KVM
 * Xen uapi, whose VMM runs the guest's timers against KVM_GET_CLOCK). With
 * KVM's master clock the reference pair is KVM's own (read under its
 * seqcount); without it, kvmclock counts from the host's raw boot-time
 * clock, read here beside the TSC.
 */
/* KVM's master-clock reference pair, read under its seqcount; false: none. */
static bool kvmclock_ref(struct kvm_arch *ka, u64 *host_tsc, u64 *ns)
{
	unsigned int seq;
	bool master;

	do {
		seq = read_seqcount_begin(&ka->pvclock_sc);
		master = ka->use_master_clock;
		*host_tsc = ka->master_cycle_now;
		*ns = ka->master_kernel_ns + ka->kvmclock_offset;
	} while (read_seqcount_retry(&ka->pvclock_sc, seq));
	return master;
}

/* kvmclock without the master clock: the raw boot-time clock and the offset. */
static u64 kvmclock_raw_ns(struct kvm_arch *ka)
{
	return ktime_get_raw_ns() + (ktime_get_boottime_ns() - ktime_get_ns()) +
	       READ_ONCE(ka->kvmclock_offset);
}

void __xenhv_hot xenhv_kvmclock_scale(struct kvm_vcpu *vcpu, struct xenhv_tsc_scale *s)
{
	struct kvm_arch *ka = &vcpu->kvm->arch;
	u64 khz = vcpu->arch.virtual_tsc_khz ? vcpu->arch.virtual_tsc_khz : tsc_khz;
	unsigned long flags;
	u64 host_tsc, ns;

	if (!kvmclock_ref(ka, &host_tsc, &ns)) {
		local_irq_save(flags);
		host_tsc = rdtsc_ordered();
		ns = kvmclock_raw_ns(ka);
		local_irq_restore(flags);
	}
	s->tsc_timestamp = KVM_FN(kvm_read_l1_tsc)(vcpu, host_tsc);
	s->system_time = ns;
	scale_for_khz(khz, &s->mul, &s->shift);
}

/*
 * KVM's kvmclock of @kvm now, as KVM_GET_CLOCK reads it: with the master
 * clock, its reference plus the host TSC since, at the host's TSC rate;
 * without it, the host's raw boot-time clock plus the VM's offset, as
 * xenhv_kvmclock_scale() has it. Any context.
 */
u64 xenhv_kvmclock_ns(struct kvm *kvm)
{
	struct kvm_arch *ka = &kvm->arch;
	u64 host_tsc, ns;

	if (!kvmclock_ref(ka, &host_tsc, &ns) || !tsc_khz)
		return kvmclock_raw_ns(ka);
	return ns + mul_u64_u32_div(max_t(s64, rdtsc_ordered() - host_tsc, 0), NSEC_PER_MSEC,
				    tsc_khz);
}

/*
 * Guest time now, as the guest computes it from its TSC with the published
 * scale (pvclock_scale_delta()).
 */
u64 __xenhv_hot xenhv_clock_guest_now(const struct xenhv_clock *c, struct kvm_vcpu *vcpu)
{
	struct xenhv_tsc_scale s;

	xenhv_clock_scale(c, vcpu, &s);
	return xenhv_scale_now(vcpu, &s);
}

/* ns since guest TSC @since, read now, at a scale of @mul and @shift. */
static u64 __xenhv_hot scale_since(struct kvm_vcpu *vcpu, u64 since, u32 mul, s8 shift)
{
	u64 tsc, delta;

	tsc = KVM_FN(kvm_read_l1_tsc)(vcpu, rdtsc());
	/*
	 * Modular, as pvclock is: the VMM may reset the guest TSC after attach
	 * (QEMU writes 0 when it starts the vCPUs), which puts the attach
	 * instant at a "negative" guest TSC.
	 */
	delta = max_t(s64, tsc - since, 0);
	if (shift < 0)
		delta >>= -shift;
	else
		delta <<= shift;
	return mul_u64_u32_shr(delta, mul, 32);
}

/* The time a published scale gives for @vcpu's TSC now. */
u64 __xenhv_hot xenhv_scale_now(struct kvm_vcpu *vcpu, const struct xenhv_tsc_scale *sc)
{
	return sc->system_time + scale_since(vcpu, sc->tsc_timestamp, sc->mul, sc->shift);
}

/*
 * xenhv_clock_guest_now() with @cc: the guest TSC of guest time 0 and the
 * scale are what xenhv_clock_scale() gives for the same TSC offset, ratio
 * and rate, so the time is the same as the uncached one. A change of those
 * between the check and the read is one the uncached reads could straddle
 * as well; it is seen at the next call.
 */
u64 __xenhv_hot xenhv_clock_guest_now_cached(const struct xenhv_clock *c, struct kvm_vcpu *vcpu,
					     struct xenhv_clock_cache *cc)
{
	if (unlikely(xenhv_clock_key_update(&cc->key, vcpu))) {
		struct xenhv_tsc_scale s;

		xenhv_clock_scale(c, vcpu, &s);
		cc->tsc_zero = s.tsc_timestamp;
		cc->mul = s.mul;
		cc->shift = s.shift;
	}
	return scale_since(vcpu, cc->tsc_zero, cc->mul, cc->shift);
}

/*
 * The host deadline of a guest-time deadline, taken relative to the guest's
 * own clock now, @now_g from xenhv_clock_guest_now() (as KVM does for its
 * Xen and Hyper-V timers): the guest's TSC-based time and the host's clock
 * drift apart by the TSC calibration error, and an absolute conversion would
 * fire ever earlier (a timer storm) or later as the guest runs.
 */
ktime_t __xenhv_hot xenhv_clock_guest_deadline(u64 now_g, u64 guest_ns)
{
	ktime_t now = ktime_get();

	if (guest_ns <= now_g)
		return now;
	if (guest_ns - now_g > (u64)(KTIME_MAX - now))
		return KTIME_MAX;
	return ktime_add_ns(now, guest_ns - now_g);
}
