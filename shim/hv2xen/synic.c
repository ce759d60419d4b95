// SPDX-License-Identifier: GPL-2.0
/*
 * hv2xen: the synthetic interrupt controller, synthetic timers and guest
 * idle, with Xen's semantics underneath:
 *
 *  - a SINT is an upcall vector (HVMOP_set_evtchn_upcall_vector); the SIEF
 *    page's event flags are event-channel pending bits, raised with an
 *    atomic test-and-set and a vector only when newly set;
 *  - a synthetic timer is a VCPUOP singleshot or periodic timer on the VM
 *    clock; direct mode sends its vector, message mode writes
 *    HVMSG_TIMER_EXPIRED into the SIM page slot of its SINT with the
 *    pending/EOM protocol (a busy slot gets msg_pending, EOM retries);
 *  - a GUEST_IDLE read is SCHEDOP_block, woken by any interrupt for the
 *    vCPU even when the guest has interrupts masked.
 */
#include <linux/slab.h>

#include "hv.h"

/* A periodic timer's shortest period, 100 ns units: 100 us. */
#define HV_STIMER_MIN_PERIOD	1000
/*
 * The longest a GUEST_IDLE read sleeps. Its callers (Linux's PV spinlock
 * wait) check their condition again on return, so an early return costs a
 * retry, while an idle that only an interrupt can end turns any lost kick
 * into a hang of the guest.
 */
#define HV_IDLE_MAX_NS		NSEC_PER_MSEC

static void stimer_expired(struct xenhv_timer *t);
static void idle_timer_expired(struct xenhv_timer *t);

struct hv_vcpu *hv_vcpu_get(struct hv_vm *h, struct kvm_vcpu *vcpu)
{
	struct hv_vcpu *hvc;
	int i;

	if (!vcpu || vcpu->vcpu_idx >= h->nr_vcpus)
		return NULL;
	hvc = READ_ONCE(h->vcpus[vcpu->vcpu_idx]);
	if (hvc)
		return hvc;
	hvc = kzalloc(sizeof(*hvc), GFP_KERNEL_ACCOUNT);
	if (!hvc)
		return NULL;
	hvc->h = h;
	hvc->vcpu = vcpu;
	hvc->idx = vcpu->vcpu_idx;
	for (i = 0; i < HV_NR_SINTS; i++)
		hvc->sint[i] = HV_SYNIC_SINT_MASKED;
	for (i = 0; i < HV_NR_STIMERS; i++) {
		hvc->stimer[i].hvc = hvc;
		hvc->stimer[i].index = i;
		xenhv_timer_init(&hvc->stimer[i].timer, stimer_expired);
	}
	xenhv_timer_init(&hvc->idle_timer, idle_timer_expired);
	if (cmpxchg(&h->vcpus[vcpu->vcpu_idx], NULL, hvc)) {
		kfree(hvc);
		hvc = READ_ONCE(h->vcpus[vcpu->vcpu_idx]);
	}
	return hvc;
}

/* The vector a SINT raises, 0 when masked or polled. Under h->lock. */
static u8 sint_vector(struct hv_vcpu *hvc, u32 sint)
{
	u64 v = hvc->sint[sint];

	if (v & (HV_SYNIC_SINT_MASKED | HV_SINT_POLLING))
		return 0;
	return v & HV_SYNIC_SINT_VECTOR_MASK;
}

/* Deliver a vector the shim raised; it also ends a guest idle. Any context. */
static void hv_raise(struct hv_vcpu *hvc, u8 vector)
{
	if (!vector || !xenhv_guest_has_lapic(hvc->vcpu))
		return;
	xenhv_send_vector(hvc->vcpu, vector);
	hv_wake_idle(hvc->h, hvc->idx);
}

/*
 * Write a timer's HVMSG_TIMER_EXPIRED into its SINT's SIM slot. Returns the
 * vector to raise, 0 for none, or -EAGAIN when the message stays pending:
 * no SynIC or SIM page yet, or the slot is busy (then the slot's
 * msg_pending asks the guest for an EOM). Under h->lock.
 */
static int stimer_post(struct hv_vcpu *hvc, struct hv_stimer *st)
{
	u32 sint = HV_STIMER_SINT(st->config);
	struct hv_timer_message_payload *p;
	struct hv_message *msg;

	if (!(hvc->scontrol & HV_SYNIC_CONTROL_ENABLE) || !hvc->sim.va)
		return -EAGAIN;
	msg = &((struct hv_message_page *)hvc->sim.va)->sint_message[sint];
	if (READ_ONCE(msg->header.message_type) != HVMSG_NONE) {
		WRITE_ONCE(msg->header.message_flags.asu8, msg->header.message_flags.asu8 | 1);
		/* The guest may have emptied the slot before it saw the flag. */
		smp_mb();
		if (READ_ONCE(msg->header.message_type) != HVMSG_NONE)
			return -EAGAIN;
	}
	p = (struct hv_timer_message_payload *)msg->u.payload;
	p->timer_index = st->index;
	p->reserved = 0;
	p->expiration_time = st->exp_time;
	p->delivery_time = hv_ref_now(hvc->h);
	msg->header.payload_size = sizeof(*p);
	msg->header.message_flags.asu8 = 0;
	msg->header.sender = 0;
	/* The guest reads the type first: publish it last. */
	smp_wmb();
	WRITE_ONCE(msg->header.message_type, HVMSG_TIMER_EXPIRED);
	st->msg_pending = false;
	if (!(st->config & HV_STIMER_PERIODIC))
		st->config &= ~HV_STIMER_ENABLE;
	return sint_vector(hvc, sint);
}

/* Retry every pending timer message (EOM, SIM page or SynIC enabled). */
static void stimers_retry(struct hv_vcpu *hvc)
{
	struct hv_vm *h = hvc->h;
	u8 vectors[HV_NR_STIMERS] = {};
	unsigned long flags;
	int i, v;

	raw_spin_lock_irqsave(&h->lock, flags);
	for (i = 0; i < HV_NR_STIMERS; i++) {
		if (!hvc->stimer[i].msg_pending)
			continue;
		v = stimer_post(hvc, &hvc->stimer[i]);
		if (v > 0)
			vectors[i] = v;
	}
	raw_spin_unlock_irqrestore(&h->lock, flags);
	for (i = 0; i < HV_NR_STIMERS; i++)
		hv_raise(hvc, vectors[i]);
}

/* Hard interrupt context. */
static void stimer_expired(struct xenhv_timer *t)
{
	struct hv_stimer *st = container_of(t, struct hv_stimer, timer);
	struct hv_vcpu *hvc = st->hvc;
	struct hv_vm *h = hvc->h;
	unsigned long flags;
	int vector = 0;

	raw_spin_lock_irqsave(&h->lock, flags);
	if (!(st->config & HV_STIMER_ENABLE))
		goto out;
	if (st->config & HV_STIMER_DIRECT) {
		vector = HV_STIMER_VECTOR(st->config);
		if (!(st->config & HV_STIMER_PERIODIC))
			st->config &= ~HV_STIMER_ENABLE;
	} else if (!st->msg_pending) {
		/* A periodic expiry while the last one waits is merged into it. */
		st->exp_time = st->config & HV_STIMER_PERIODIC ? hv_ref_now(h) : st->count;
		st->msg_pending = true;
		vector = stimer_post(hvc, st);
	}
out:
	raw_spin_unlock_irqrestore(&h->lock, flags);
	if (vector > 0)
		hv_raise(hvc, vector);
}

/* (Re)start a timer after its config or count changed. vCPU thread. */
static void stimer_start(struct hv_stimer *st)
{
	struct hv_vm *h = st->hvc->h;
	unsigned long flags;
	u64 config, count;
	ktime_t deadline;
	u64 period = 0;

	raw_spin_lock_irqsave(&h->lock, flags);
	/* A message-mode timer on SINT 0 is disabled (TLFS). */
	if (!(st->config & HV_STIMER_DIRECT) && !HV_STIMER_SINT(st->config))
		st->config &= ~HV_STIMER_ENABLE;
	if (!(st->config & HV_STIMER_ENABLE))
		st->msg_pending = false;
	config = st->config;
	count = st->count;
	raw_spin_unlock_irqrestore(&h->lock, flags);

	if (!(config & HV_STIMER_ENABLE) || !count)
		return;
	if (config & HV_STIMER_PERIODIC) {
		period = max_t(u64, count, HV_STIMER_MIN_PERIOD) * 100;
		deadline = ktime_add_ns(ktime_get(), period);
	} else {
		u64 now_g = xenhv_clock_guest_now(&h->clock, st->hvc->vcpu);

		/* A count in the past expires at once; far future: never. */
		deadline = count > U64_MAX / 100 ? KTIME_MAX :
			   xenhv_clock_guest_deadline(now_g, count * 100);
	}
	xenhv_timer_start(&st->timer, deadline, period);
}

static int stimer_set_config(struct hv_stimer *st, u64 data, bool host)
{
	struct hv_vm *h = st->hvc->h;
	unsigned long flags;

	if (data & ~HV_STIMER_VALID_BITS)
		return 1;
	if ((data & HV_STIMER_ENABLE) && (data & HV_STIMER_DIRECT) &&
	    HV_STIMER_VECTOR(data) < HV_SYNIC_FIRST_VALID_VECTOR && !host)
		return 1;
	xenhv_timer_stop(&st->timer);
	raw_spin_lock_irqsave(&h->lock, flags);
	st->config = data;
	/* A new programming replaces an expiry still waiting for its slot. */
	st->msg_pending = false;
	raw_spin_unlock_irqrestore(&h->lock, flags);
	stimer_start(st);
	return 0;
}

static int stimer_set_count(struct hv_stimer *st, u64 data, bool host)
{
	struct hv_vm *h = st->hvc->h;
	unsigned long flags;

	xenhv_timer_stop(&st->timer);
	raw_spin_lock_irqsave(&h->lock, flags);
	st->count = data;
	st->msg_pending = false;
	if (!host) {
		if (!data)
			st->config &= ~HV_STIMER_ENABLE;
		else if (st->config & HV_STIMER_AUTO_ENABLE)
			st->config |= HV_STIMER_ENABLE;
	}
	raw_spin_unlock_irqrestore(&h->lock, flags);
	stimer_start(st);
	return 0;
}

/*
 * SIMP and SIEFP: pin the page a guest enables so timers and other vCPUs
 * can write it from any context; a guest write also zeroes it.
 */
static int synic_set_page(struct kvm_vcpu *vcpu, struct hv_vcpu *hvc, u64 *reg,
			  struct xenhv_gpage *gp, u64 data, bool host)
{
	struct hv_vm *h = hvc->h;
	struct xenhv_gpage new = {}, old;
	unsigned long flags;

	if (data & HV_PAGE_MSR_RSVD)
		return 1;
	if (data & 1) {
		if (xenhv_gpage_pin(vcpu, data & PAGE_MASK, &new))
			return 1;
		if (!host)
			memset(new.va, 0, PAGE_SIZE);
	}
	raw_spin_lock_irqsave(&h->lock, flags);
	old = *gp;
	*gp = new;
	*reg = data;
	raw_spin_unlock_irqrestore(&h->lock, flags);
	xenhv_gpage_unpin(&old);
	return 0;
}

bool hv_synic_msr(u32 msr)
{
	return (msr >= HV_X64_MSR_SCONTROL && msr <= HV_X64_MSR_EOM) ||
	       (msr >= HV_X64_MSR_SINT0 && msr <= HV_X64_MSR_SINT15) ||
	       (msr >= HV_X64_MSR_STIMER0_CONFIG && msr <= HV_X64_MSR_STIMER3_COUNT);
}

int hv_synic_get_msr(struct kvm_vcpu *vcpu, struct hv_vm *h, u32 msr, u64 *data, bool host)
{
	struct hv_vcpu *hvc = hv_vcpu_get(h, vcpu);
	struct hv_stimer *st;

	if (!hvc)
		return 1;
	switch (msr) {
	case HV_X64_MSR_SCONTROL:
		*data = hvc->scontrol;
		break;
	case HV_X64_MSR_SVERSION:
		*data = HV_SYNIC_VERSION_1;
		break;
	case HV_X64_MSR_SIEFP:
		*data = hvc->siefp;
		break;
	case HV_X64_MSR_SIMP:
		*data = hvc->simp;
		break;
	case HV_X64_MSR_EOM:
		*data = 0;
		break;
	case HV_X64_MSR_SINT0 ... HV_X64_MSR_SINT15:
		*data = hvc->sint[msr - HV_X64_MSR_SINT0];
		break;
	default:
		st = &hvc->stimer[(msr - HV_X64_MSR_STIMER0_CONFIG) / 2];
		*data = (msr - HV_X64_MSR_STIMER0_CONFIG) & 1 ? st->count : READ_ONCE(st->config);
	}
	return 0;
}

int hv_synic_set_msr(struct kvm_vcpu *vcpu, struct hv_vm *h, u32 msr, u64 data, bool host)
{
	struct hv_vcpu *hvc = hv_vcpu_get(h, vcpu);
	unsigned long flags;
	struct hv_stimer *st;
	int ret = 0;
	u32 sint;

	if (!hvc)
		return 1;
	switch (msr) {
	case HV_X64_MSR_SCONTROL:
		if (data & ~HV_SYNIC_CONTROL_ENABLE)
			return 1;
		raw_spin_lock_irqsave(&h->lock, flags);
		hvc->scontrol = data;
		raw_spin_unlock_irqrestore(&h->lock, flags);
		stimers_retry(hvc);
		break;
	case HV_X64_MSR_SVERSION:
		return 1;
	case HV_X64_MSR_SIEFP:
		ret = synic_set_page(vcpu, hvc, &hvc->siefp, &hvc->sief, data, host);
		break;
	case HV_X64_MSR_SIMP:
		ret = synic_set_page(vcpu, hvc, &hvc->simp, &hvc->sim, data, host);
		if (!ret)
			stimers_retry(hvc);
		break;
	case HV_X64_MSR_EOM:
		stimers_retry(hvc);
		break;
	case HV_X64_MSR_SINT0 ... HV_X64_MSR_SINT15:
		sint = msr - HV_X64_MSR_SINT0;
		/* Auto-EOI is not offered (HV_DEPRECATING_AEOI_RECOMMENDED). */
		if (data & ~HV_SINT_VALID_BITS)
			return 1;
		if (!(data & HV_SYNIC_SINT_MASKED) && !host &&
		    (data & HV_SYNIC_SINT_VECTOR_MASK) < HV_SYNIC_FIRST_VALID_VECTOR)
			return 1;
		raw_spin_lock_irqsave(&h->lock, flags);
		hvc->sint[sint] = data;
		raw_spin_unlock_irqrestore(&h->lock, flags);
		break;
	default:
		st = &hvc->stimer[(msr - HV_X64_MSR_STIMER0_CONFIG) / 2];
		if ((msr - HV_X64_MSR_STIMER0_CONFIG) & 1)
			ret = stimer_set_count(st, data, host);
		else
			ret = stimer_set_config(st, data, host);
	}
	return ret;
}

/*
 * SignalEvent onto a SIEF event flag: set it, and raise the SINT if it was
 * clear. A vCPU without SynIC or SIEF page drops the event (Hyper-V does).
 */
int hv_synic_signal(struct hv_vm *h, u32 vp, u32 sint, u32 flag)
{
	struct hv_vcpu *hvc = hv_vcpu_find(h, vp);
	unsigned long flags;
	u8 vector = 0;

	if (!hvc)
		return 0;
	raw_spin_lock_irqsave(&h->lock, flags);
	if ((hvc->scontrol & HV_SYNIC_CONTROL_ENABLE) && hvc->sief.va) {
		unsigned long *bits = hvc->sief.va + sint * (HV_EVENT_FLAGS_COUNT / 8);

		if (!test_and_set_bit(flag, bits))
			vector = sint_vector(hvc, sint);
	}
	raw_spin_unlock_irqrestore(&h->lock, flags);
	hv_raise(hvc, vector);
	return 0;
}

static void idle_timer_expired(struct xenhv_timer *t)
{
	struct hv_vcpu *hvc = container_of(t, struct hv_vcpu, idle_timer);

	xenhv_core_unblock(hvc->vcpu);
}

/*
 * A GUEST_IDLE read: block until an interrupt is pending for the vCPU, even
 * one the guest masks, for HV_IDLE_MAX_NS at most. KVM's halt wakes for
 * deliverable interrupts only, so the shim wakes the vCPU itself for what it
 * sends (IPIs, SINTs, timers); anything else is seen at the latest when the
 * sleep ends.
 */
int hv_guest_idle(struct kvm_vcpu *vcpu, struct hv_vm *h)
{
	struct hv_vcpu *hvc = hv_vcpu_get(h, vcpu);

	if (!hvc)
		return 1;
	WRITE_ONCE(hvc->idle, true);
	/* Pairs with hv_wake_idle(): an interrupt sent now either shows or wakes. */
	smp_mb();
	if (!kvm_cpu_has_interrupt(vcpu) && !signal_pending(current)) {
		xenhv_timer_start(&hvc->idle_timer,
				  ktime_add_ns(ktime_get(), HV_IDLE_MAX_NS), 0);
		xenhv_core_block(vcpu);
		xenhv_timer_stop(&hvc->idle_timer);
	}
	WRITE_ONCE(hvc->idle, false);
	return 0;
}

void hv_wake_idle(struct hv_vm *h, u32 idx)
{
	struct hv_vcpu *hvc = hv_vcpu_find(h, idx);

	/* Order the interrupt just sent before the look at idle (hv_guest_idle()). */
	smp_mb();
	if (hvc && READ_ONCE(hvc->idle))
		xenhv_core_unblock(hvc->vcpu);
}

/*
 * Stop the timers, release the pages and reset the registers, so that a
 * later attachment starts from the power-on state. Process or atomic
 * context; the vCPU is not in a hypercall or MSR access of this ABI.
 */
void hv_vcpu_teardown(struct hv_vcpu *hvc)
{
	struct hv_vm *h = hvc->h;
	struct xenhv_gpage sim, sief;
	unsigned long flags;
	int i;

	for (i = 0; i < HV_NR_STIMERS; i++)
		xenhv_timer_stop(&hvc->stimer[i].timer);
	raw_spin_lock_irqsave(&h->lock, flags);
	for (i = 0; i < HV_NR_STIMERS; i++) {
		hvc->stimer[i].config = 0;
		hvc->stimer[i].count = 0;
		hvc->stimer[i].msg_pending = false;
	}
	for (i = 0; i < HV_NR_SINTS; i++)
		hvc->sint[i] = HV_SYNIC_SINT_MASKED;
	sim = hvc->sim;
	sief = hvc->sief;
	hvc->sim = (struct xenhv_gpage){};
	hvc->sief = (struct xenhv_gpage){};
	hvc->simp = 0;
	hvc->siefp = 0;
	hvc->scontrol = 0;
	hvc->vp_assist = 0;
	raw_spin_unlock_irqrestore(&h->lock, flags);
	xenhv_gpage_unpin(&sim);
	xenhv_gpage_unpin(&sief);
}

void hv_vcpu_free(struct hv_vcpu *hvc)
{
	xenhv_timer_stop(&hvc->idle_timer);
	kfree(hvc);
}
