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
#include <linux/file.h>
#include <linux/poll.h>
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
	struct hv_vcpu *hvc, *old;
	int i;

	if (!vcpu || vcpu->vcpu_idx >= h->vcpus.nr)
		return NULL;
	hvc = hv_vcpu_find(h, vcpu->vcpu_idx);
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
	old = xenhv_vcpu_table_set(&h->vcpus, vcpu->vcpu_idx, hvc);
	if (old != hvc)
		kfree(hvc);
	return old;
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
 * Write a message into @sint's SIM slot. Returns the vector to raise, 0 for
 * none, or -EAGAIN when the message must wait: no SynIC or SIM page yet, or
 * the slot is busy (then the slot's msg_pending asks the guest for an EOM).
 * Under h->lock.
 */
static int sim_post(struct hv_vcpu *hvc, u32 sint, u32 type, const void *payload, u32 size)
{
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
	memcpy(msg->u.payload, payload, size);
	msg->header.payload_size = size;
	msg->header.message_flags.asu8 = 0;
	msg->header.sender = 0;
	/* The guest reads the type first: publish it last. */
	smp_wmb();
	WRITE_ONCE(msg->header.message_type, type);
	return sint_vector(hvc, sint);
}

/*
 * A timer's HVMSG_TIMER_EXPIRED, as sim_post(). Under h->lock.
 *
 * Times are the guest's reference time, the one TIME_REF_COUNT and the TSC
 * page give it (TSC-based), not the host clock, which drifts from it. The
 * host timer fires when the guest's time reached the expiry up to that
 * drift over the armed interval, so delivery is never reported before
 * expiry.
 */
static int stimer_post(struct hv_vcpu *hvc, struct hv_stimer *st)
{
	struct hv_timer_message_payload p = {
		.timer_index = st->index,
		.expiration_time = st->exp_time,
		.delivery_time = max(hv_ref_time(hvc->h, hvc->vcpu), st->exp_time),
	};
	int ret;

	ret = sim_post(hvc, HV_STIMER_SINT(st->config), HVMSG_TIMER_EXPIRED, &p, sizeof(p));
	if (ret < 0)
		return ret;
	st->msg_pending = false;
	if (!(st->config & HV_STIMER_PERIODIC))
		st->config &= ~HV_STIMER_ENABLE;
	return ret;
}

/* A message of the VMM waiting for its slot, as sim_post(). Under h->lock. */
static int host_msg_post(struct hv_vcpu *hvc, u32 sint)
{
	struct hv_message *m = hvc->host_msg[sint];
	int ret;

	ret = sim_post(hvc, sint, m->header.message_type, m->u.payload,
		       m->header.payload_size);
	if (ret >= 0)
		hvc->host_msg[sint] = NULL;
	return ret;
}

/*
 * Retry every waiting message (EOM, SIM page or SynIC enabled): the VMM's
 * first, then the timers'. Messages that were written are freed after the
 * lock is dropped.
 */
static void synic_retry(struct hv_vcpu *hvc)
{
	struct hv_message *done[HV_NR_SINTS] = {};
	u8 vectors[HV_NR_SINTS + HV_NR_STIMERS] = {};
	struct hv_vm *h = hvc->h;
	unsigned long flags;
	int i, v;

	raw_spin_lock_irqsave(&h->lock, flags);
	for (i = 0; i < HV_NR_SINTS; i++) {
		if (!hvc->host_msg[i])
			continue;
		done[i] = hvc->host_msg[i];
		v = host_msg_post(hvc, i);
		if (v < 0)
			done[i] = NULL;
		else
			vectors[i] = v;
	}
	for (i = 0; i < HV_NR_STIMERS; i++) {
		if (!hvc->stimer[i].msg_pending)
			continue;
		v = stimer_post(hvc, &hvc->stimer[i]);
		if (v > 0)
			vectors[HV_NR_SINTS + i] = v;
	}
	raw_spin_unlock_irqrestore(&h->lock, flags);
	for (i = 0; i < HV_NR_SINTS; i++)
		kfree(done[i]);
	for (i = 0; i < ARRAY_SIZE(vectors); i++)
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
		st->exp_time = st->config & HV_STIMER_PERIODIC ? hv_ref_time(h, hvc->vcpu) :
			       st->count;
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
		/* 100 ns units; a count past U64_MAX / 100 ns never expires. */
		count = max_t(u64, count, HV_STIMER_MIN_PERIOD);
		period = count > U64_MAX / 100 ? U64_MAX : count * 100;
		deadline = xenhv_deadline_in(period);
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
	/* Direct mode is refused to a guest not offered it, as KVM does. */
	if ((data & HV_STIMER_DIRECT) && !host && !hv_offers(h->vm, XENHV_HV_STIMER_DIRECT))
		return 1;
	/* A timer that can start (now or by auto-enable) needs a valid vector. */
	if ((data & (HV_STIMER_ENABLE | HV_STIMER_AUTO_ENABLE)) && (data & HV_STIMER_DIRECT) &&
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

/*
 * The AutoEOI vectors of a vCPU follow its SINTs. While any vCPU of the VM
 * has one, APIC virtualisation is inhibited (as KVM does for its own
 * SynIC), so that every delivery passes through the LAPIC's ack, where the
 * shim EOIs the vector (hook.c). Process context, under ops_lock.
 */
static void auto_eoi_account(struct hv_vcpu *hvc)
{
	struct hv_vm *h = hvc->h;
	bool has = !bitmap_empty(hvc->auto_eoi, 256);

	lockdep_assert_held(&h->ops_lock);
	if (has == hvc->has_auto_eoi)
		return;
	hvc->has_auto_eoi = has;
	if (has ? h->auto_eoi_vcpus++ == 0 : --h->auto_eoi_vcpus == 0)
		KVM_FN(kvm_set_or_clear_apicv_inhibit)(h->vm->kvm, XENHV_APICV_INHIBIT_HYPERV, has);
}

static void sint_write(struct hv_vcpu *hvc, u32 sint, u64 data)
{
	struct hv_vm *h = hvc->h;
	unsigned long flags;
	u32 i;

	mutex_lock(&h->ops_lock);
	raw_spin_lock_irqsave(&h->lock, flags);
	hvc->sint[sint] = data;
	bitmap_zero(hvc->auto_eoi, 256);
	for (i = 0; i < HV_NR_SINTS; i++) {
		u64 v = hvc->sint[i];

		if ((v & HV_SYNIC_SINT_AUTO_EOI) && !(v & HV_SYNIC_SINT_MASKED))
			__set_bit(v & HV_SYNIC_SINT_VECTOR_MASK, hvc->auto_eoi);
	}
	raw_spin_unlock_irqrestore(&h->lock, flags);
	auto_eoi_account(hvc);
	mutex_unlock(&h->ops_lock);
}

/* Whether @vector (< 0: any vector) of @vcpu is EOI'd on delivery. */
bool hv_auto_eoi(struct hv_vm *h, struct kvm_vcpu *vcpu, int vector)
{
	struct hv_vcpu *hvc = hv_vcpu_find(h, vcpu->vcpu_idx);

	if (!hvc)
		return false;
	if (vector < 0)
		return READ_ONCE(hvc->has_auto_eoi);
	return vector < 256 && test_bit(vector, hvc->auto_eoi);
}

/*
 * Lift the inhibit when the ABI goes away; a VM being destroyed (no
 * @may_sleep) needs nothing lifted.
 */
void hv_auto_eoi_release(struct hv_vm *h, bool may_sleep)
{
	if (h->auto_eoi_vcpus && may_sleep)
		KVM_FN(kvm_set_or_clear_apicv_inhibit)(h->vm->kvm, XENHV_APICV_INHIBIT_HYPERV,
						       false);
	h->auto_eoi_vcpus = 0;
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
		synic_retry(hvc);
		break;
	case HV_X64_MSR_SVERSION:
		return 1;
	case HV_X64_MSR_SIEFP:
		ret = synic_set_page(vcpu, hvc, &hvc->siefp, &hvc->sief, data, host);
		break;
	case HV_X64_MSR_SIMP:
		ret = synic_set_page(vcpu, hvc, &hvc->simp, &hvc->sim, data, host);
		if (!ret)
			synic_retry(hvc);
		break;
	case HV_X64_MSR_EOM:
		synic_retry(hvc);
		break;
	case HV_X64_MSR_SINT0 ... HV_X64_MSR_SINT15:
		sint = msr - HV_X64_MSR_SINT0;
		if (data & ~HV_SINT_VALID_BITS)
			return 1;
		if (!(data & HV_SYNIC_SINT_MASKED) && !host &&
		    (data & HV_SYNIC_SINT_VECTOR_MASK) < HV_SYNIC_FIRST_VALID_VECTOR)
			return 1;
		sint_write(hvc, sint, data);
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
int __xenhv_hot hv_synic_signal(struct hv_vm *h, u32 vp, u32 sint, u32 flag)
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

/* ---- the VMM's side: HvPostMessage and raised event flags ---- */

/*
 * XENHV_HV_POST_MESSAGE. The message goes into the slot at once, or waits
 * for the guest's EOM in hvc->host_msg (one per slot). Process context.
 */
int hv_post_message(struct hv_vm *h, struct xenhv_hv_message *m)
{
	struct hv_message *msg;
	struct hv_vcpu *hvc;
	unsigned long flags;
	int ret = 0, v = 0;

	if (m->flags || memchr_inv(m->reserved0, 0, sizeof(m->reserved0)) ||
	    memchr_inv(m->reserved, 0, sizeof(m->reserved)) || m->sint >= HV_NR_SINTS ||
	    m->message_type == HVMSG_NONE || m->payload_size > HV_MESSAGE_PAYLOAD_BYTE_COUNT ||
	    m->vp_index >= hv_nr_vps(h))
		return -EINVAL;
	BUILD_BUG_ON(sizeof(m->payload) != HV_MESSAGE_PAYLOAD_BYTE_COUNT);
	msg = kzalloc(sizeof(*msg), GFP_KERNEL_ACCOUNT);
	if (!msg)
		return -ENOMEM;
	msg->header.message_type = m->message_type;
	msg->header.payload_size = m->payload_size;
	memcpy(msg->u.payload, m->payload, m->payload_size);

	hvc = hv_vcpu_find(h, m->vp_index);
	if (!hvc) {
		kfree(msg);
		return -ENXIO;
	}
	raw_spin_lock_irqsave(&h->lock, flags);
	if (!(hvc->scontrol & HV_SYNIC_CONTROL_ENABLE) || !hvc->sim.va ||
	    (hvc->sint[m->sint] & HV_SYNIC_SINT_MASKED)) {
		ret = -ENXIO;
	} else if (hvc->host_msg[m->sint]) {
		ret = -EBUSY;
	} else {
		hvc->host_msg[m->sint] = msg;
		v = host_msg_post(hvc, m->sint);
		if (v < 0) {
			m->flags = XENHV_MSG_QUEUED;
			msg = NULL;		/* waits for the EOM */
		}
	}
	raw_spin_unlock_irqrestore(&h->lock, flags);
	kfree(msg);
	if (!ret && v > 0)
		hv_raise(hvc, v);
	return ret;
}

/* An eventfd of the VMM bound to an event flag of a vCPU's SINT. */
struct hv_sint_bind {
	struct list_head link;
	struct hv_vm *h;
	u32 vp;
	u8 sint;
	u16 flag;
	struct eventfd_ctx *efd;
	wait_queue_entry_t wait;
	wait_queue_head_t *wqh;
	poll_table pt;
};

/* The eventfd was signalled: called with its wait queue lock held. */
static int sint_wakeup(wait_queue_entry_t *wait, unsigned int mode, int sync, void *key)
{
	struct hv_sint_bind *b = container_of(wait, struct hv_sint_bind, wait);
	u64 cnt;

	if (key_to_poll(key) & EPOLLIN) {
		eventfd_ctx_do_read(b->efd, &cnt);
		hv_synic_signal(b->h, b->vp, b->sint, b->flag);
	}
	return 0;
}

static void sint_ptable(struct file *file, wait_queue_head_t *wqh, poll_table *pt)
{
	struct hv_sint_bind *b = container_of(pt, struct hv_sint_bind, pt);

	b->wqh = wqh;
	add_wait_queue(wqh, &b->wait);
}

/* After this no wakeup runs for @b. Any context. */
static void sint_free(struct hv_sint_bind *b)
{
	u64 cnt;

	eventfd_ctx_remove_wait_queue(b->efd, &b->wait, &cnt);
	eventfd_ctx_put(b->efd);
	kfree(b);
}

static struct hv_sint_bind *sint_find(struct hv_vm *h, const struct xenhv_hv_sint *k)
{
	struct hv_sint_bind *b;

	list_for_each_entry(b, &h->sints, link)
		if (b->vp == k->vp_index && b->sint == k->sint && b->flag == k->flag)
			return b;
	return NULL;
}

/* XENHV_HV_BIND_SINT. Process context. */
int hv_bind_sint(struct hv_vm *h, const struct xenhv_hv_sint *k)
{
	struct hv_sint_bind *b;
	unsigned long flags;
	struct file *file;
	__poll_t events;
	int ret = 0;

	if (k->flags & ~XENHV_SINT_FLAGS || k->reserved0 || k->reserved1 ||
	    memchr_inv(k->reserved, 0, sizeof(k->reserved)) || k->sint >= HV_NR_SINTS ||
	    k->flag >= HV_EVENT_FLAGS_COUNT || k->vp_index >= hv_nr_vps(h))
		return -EINVAL;
	if (k->flags & XENHV_SINT_UNBIND) {
		if (k->fd != -1)
			return -EINVAL;
		mutex_lock(&h->ops_lock);
		b = sint_find(h, k);
		if (b)
			list_del(&b->link);
		mutex_unlock(&h->ops_lock);
		if (!b)
			return -ENOENT;
		sint_free(b);
		return 0;
	}
	b = kzalloc(sizeof(*b), GFP_KERNEL_ACCOUNT);
	if (!b)
		return -ENOMEM;
	file = fget(k->fd);
	if (!file) {
		kfree(b);
		return -EBADF;
	}
	b->efd = eventfd_ctx_fileget(file);
	if (IS_ERR(b->efd)) {
		ret = PTR_ERR(b->efd);
		goto out_file;
	}
	b->h = h;
	b->vp = k->vp_index;
	b->sint = k->sint;
	b->flag = k->flag;
	init_waitqueue_func_entry(&b->wait, sint_wakeup);
	init_poll_funcptr(&b->pt, sint_ptable);
	mutex_lock(&h->ops_lock);
	if (sint_find(h, k)) {
		mutex_unlock(&h->ops_lock);
		eventfd_ctx_put(b->efd);
		ret = -EEXIST;
		goto out_file;
	}
	list_add_tail(&b->link, &h->sints);
	events = vfs_poll(file, &b->pt);
	/* A signal from before the binding: consume it as a wakeup would. */
	if ((events & EPOLLIN) && b->wqh) {
		spin_lock_irqsave(&b->wqh->lock, flags);
		sint_wakeup(&b->wait, 0, 0, poll_to_key(EPOLLIN));
		spin_unlock_irqrestore(&b->wqh->lock, flags);
	}
	mutex_unlock(&h->ops_lock);
	fput(file);
	return 0;
out_file:
	fput(file);
	kfree(b);
	return ret;
}

/* Drop every binding (detach: under ops_lock; destruction: nothing runs). */
void hv_sints_teardown(struct hv_vm *h)
{
	struct hv_sint_bind *b, *tmp;

	list_for_each_entry_safe(b, tmp, &h->sints, link) {
		list_del(&b->link);
		sint_free(b);
	}
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
	if (!KVM_FN(kvm_cpu_has_interrupt)(vcpu) && !signal_pending(current)) {
		xenhv_timer_start(&hvc->idle_timer, xenhv_deadline_in(HV_IDLE_MAX_NS), 0);
		if (!xenhv_core_block(vcpu, &h->vm->gen))
			return 0;	/* detached: its teardown stops the timer */
		xenhv_timer_stop(&hvc->idle_timer);
	}
	WRITE_ONCE(hvc->idle, false);
	return 0;
}

void __xenhv_hot hv_wake_idle(struct hv_vm *h, u32 idx)
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
	struct hv_message *msgs[HV_NR_SINTS];
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
	bitmap_zero(hvc->auto_eoi, 256);
	hvc->has_auto_eoi = false;
	memcpy(msgs, hvc->host_msg, sizeof(msgs));
	memset(hvc->host_msg, 0, sizeof(hvc->host_msg));
	sim = hvc->sim;
	sief = hvc->sief;
	hvc->sim = (struct xenhv_gpage){};
	hvc->sief = (struct xenhv_gpage){};
	hvc->simp = 0;
	hvc->siefp = 0;
	hvc->scontrol = 0;
	hvc->vp_assist = 0;
	raw_spin_unlock_irqrestore(&h->lock, flags);
	for (i = 0; i < HV_NR_SINTS; i++)
		kfree(msgs[i]);
	xenhv_gpage_unpin(&sim);
	xenhv_gpage_unpin(&sief);
}

void hv_vcpu_free(struct hv_vcpu *hvc)
{
	xenhv_timer_stop(&hvc->idle_timer);
	kfree(hvc);
}
