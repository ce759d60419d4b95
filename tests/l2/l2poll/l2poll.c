// SPDX-License-Identifier: GPL-2.0
/*
 * Loaded in the nested Xen guest of tests/l2/xen-uapi.sh: one SCHEDOP_poll
 * of the xenstore port, the call Linux's PV spinlocks make while they wait
 * (xen_poll_irq_timeout()), which KVM's Xen uapi keeps in the kernel. Its
 * deadline is 1 ns of Xen system time, long past: Xen (and the shim) take
 * the deadline as absolute and return at once, KVM's own Xen takes it as
 * relative and waits a tick; both answer 0 (anything else is a BUG() in
 * xen_poll_irq_timeout()). Reports the time taken, then refuses to load,
 * so nothing stays behind.
 */
#include <linux/module.h>
#include <linux/ktime.h>
#include <xen/events.h>
#include <xen/xenbus.h>

static int __init l2poll_init(void)
{
	int irq = irq_from_evtchn(xen_store_evtchn);
	u64 t0, dt;

	if (irq < 0) {
		pr_info("L2-POLL: no xenstore interrupt\n");
		return -ENODEV;
	}
	t0 = ktime_get_ns();
	xen_poll_irq_timeout(irq, 1);
	dt = ktime_get_ns() - t0;
	pr_info("L2-POLL: port %u polled, %llu us\n", xen_store_evtchn, dt / NSEC_PER_USEC);
	return -EAGAIN;
}
module_init(l2poll_init);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("A Xen guest's SCHEDOP_poll, for the nested uapi test");
