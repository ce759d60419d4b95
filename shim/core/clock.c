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
static void scale_for(u64 hz, u32 *mul, s8 *shift)
{
	u64 num = NSEC_PER_SEC, den = hz;
	int s = 0;

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

void xenhv_clock_scale(const struct xenhv_clock *c, struct kvm_vcpu *vcpu,
		       struct xenhv_tsc_scale *s)
{
	u64 khz = vcpu->arch.virtual_tsc_khz ? vcpu->arch.virtual_tsc_khz : tsc_khz;

	s->tsc_timestamp = KVM_FN(kvm_read_l1_tsc)(vcpu, c->ref_tsc);
	s->system_time = 0;
	scale_for(khz * 1000, &s->mul, &s->shift);
}

/*
 * Guest time now, as the guest computes it from its TSC with the published
 * scale (pvclock_scale_delta()).
 */
u64 xenhv_clock_guest_now(const struct xenhv_clock *c, struct kvm_vcpu *vcpu)
{
	struct xenhv_tsc_scale s;
	u64 tsc, delta;

	xenhv_clock_scale(c, vcpu, &s);
	tsc = KVM_FN(kvm_read_l1_tsc)(vcpu, rdtsc());
	/*
	 * Modular, as pvclock is: the VMM may reset the guest TSC after attach
	 * (QEMU writes 0 when it starts the vCPUs), which puts the attach
	 * instant at a "negative" guest TSC.
	 */
	delta = max_t(s64, tsc - s.tsc_timestamp, 0);
	if (s.shift < 0)
		delta >>= -s.shift;
	else
		delta <<= s.shift;
	return s.system_time + mul_u64_u32_shr(delta, s.mul, 32);
}

/*
 * The host deadline of a guest-time deadline, taken relative to the guest's
 * own clock now, @now_g from xenhv_clock_guest_now() (as KVM does for its
 * Xen and Hyper-V timers): the guest's TSC-based time and the host's clock
 * drift apart by the TSC calibration error, and an absolute conversion would
 * fire ever earlier (a timer storm) or later as the guest runs.
 */
ktime_t xenhv_clock_guest_deadline(u64 now_g, u64 guest_ns)
{
	ktime_t now = ktime_get();

	if (guest_ns <= now_g)
		return now;
	if (guest_ns - now_g > (u64)(KTIME_MAX - now))
		return KTIME_MAX;
	return ktime_add_ns(now, guest_ns - now_g);
}
