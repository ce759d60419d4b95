// SPDX-License-Identifier: GPL-2.0
/*
 * Guest timers (Xen's singleshot and periodic timers, Hyper-V's stimers):
 * hrtimers on the host's monotonic clock, expiring in hard interrupt
 * context, as KVM's own LAPIC timer does.
 *
 * Every guest time value reaches the hrtimer through here, bounded: a
 * relative time saturates at KTIME_MAX (never fires) instead of wrapping
 * into the past, and a period is at least XENHV_TIMER_MIN_PERIOD_NS, so no
 * guest number turns into an expiry storm in hard interrupt context.
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
	hrtimer_setup(&t->hrt, timer_fn, CLOCK_MONOTONIC, HRTIMER_MODE_ABS_HARD);
	t->expired = expired;
	t->period_ns = 0;
	raw_spin_lock_init(&t->lock);
}

ktime_t __xenhv_hot xenhv_deadline_in(u64 ns)
{
	ktime_t now = ktime_get();

	if (ns > (u64)(KTIME_MAX - now))
		return KTIME_MAX;
	return ktime_add_ns(now, ns);
}

/*
 * Start or restart: two vCPUs may program the same timer at once (Xen lets
 * any vCPU set another's), so the cancel, which waits for a running
 * expiry, and the start are one step under t->lock; an expiry never runs
 * while the timer is started anew.
 */
void __xenhv_hot xenhv_timer_start(struct xenhv_timer *t, ktime_t deadline, u64 period_ns)
{
	unsigned long flags;

	if (period_ns)
		period_ns = clamp_t(u64, period_ns, XENHV_TIMER_MIN_PERIOD_NS, KTIME_MAX);
	raw_spin_lock_irqsave(&t->lock, flags);
	hrtimer_cancel(&t->hrt);
	WRITE_ONCE(t->period_ns, period_ns);
	hrtimer_start(&t->hrt, deadline, HRTIMER_MODE_ABS_HARD);
	raw_spin_unlock_irqrestore(&t->lock, flags);
}

/*
 * A one-shot start of a timer that one thread at a time starts and stops:
 * a vCPU's own timer, from its run loop or its ioctls (under the vCPU's
 * mutex), and its teardown once no call of the ABI runs. The lock orders
 * nothing then: the cancel still waits for an expiry that is running.
 */
void __xenhv_hot xenhv_timer_start_own(struct xenhv_timer *t, ktime_t deadline)
{
	hrtimer_cancel(&t->hrt);
	WRITE_ONCE(t->period_ns, 0);
	hrtimer_start(&t->hrt, deadline, HRTIMER_MODE_ABS_HARD);
}

/* Not from the timer's own expiry. */
void __xenhv_hot xenhv_timer_stop(struct xenhv_timer *t)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&t->lock, flags);
	hrtimer_cancel(&t->hrt);
	WRITE_ONCE(t->period_ns, 0);
	raw_spin_unlock_irqrestore(&t->lock, flags);
}
