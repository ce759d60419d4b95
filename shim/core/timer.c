// SPDX-License-Identifier: GPL-2.0
/*
 * Guest timers (Xen's singleshot and periodic timers, Hyper-V's stimers):
 * hrtimers on the host's monotonic clock, expiring in hard interrupt
 * context, as KVM's own LAPIC timer does.
 */
#include "core.h"

static enum hrtimer_restart timer_fn(struct hrtimer *hrt)
{
	struct xenhv_timer *t = container_of(hrt, struct xenhv_timer, hrt);
	u64 period = READ_ONCE(t->period_ns);

	t->expired(t);
	if (!period)
		return HRTIMER_NORESTART;
	hrtimer_forward_now(hrt, ns_to_ktime(period));
	return HRTIMER_RESTART;
}

void xenhv_timer_init(struct xenhv_timer *t, void (*expired)(struct xenhv_timer *t))
{
	hrtimer_init(&t->hrt, CLOCK_MONOTONIC, HRTIMER_MODE_ABS_HARD);
	t->hrt.function = timer_fn;
	t->expired = expired;
	t->period_ns = 0;
}

void xenhv_timer_start(struct xenhv_timer *t, ktime_t deadline, u64 period_ns)
{
	hrtimer_cancel(&t->hrt);
	WRITE_ONCE(t->period_ns, period_ns);
	hrtimer_start(&t->hrt, deadline, HRTIMER_MODE_ABS_HARD);
}

/* Not from the timer's own expiry. */
void xenhv_timer_stop(struct xenhv_timer *t)
{
	hrtimer_cancel(&t->hrt);
	WRITE_ONCE(t->period_ns, 0);
}
