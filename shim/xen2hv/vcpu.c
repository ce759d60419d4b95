// SPDX-License-Identifier: GPL-2.0
/*
 * Xen per-vCPU operations: vcpu_info placement, runstate and time areas,
 * the pvclock in vcpu_info, singleshot/periodic timers and set_timer_op
 * (expiring as VIRQ_TIMER events), and the blocking scheduler operations.
 */
#include <linux/slab.h>
#include <xen/interface/sched.h>

#include "xen.h"

static void timer_expired(struct xenhv_timer *t);
static void periodic_expired(struct xenhv_timer *t);
static void poll_expired(struct xenhv_timer *t);

/*
 * xen_vcpu_get() of a vCPU without state yet. From @vcpu's own thread or
 * ioctl (its mutex held), or with x->ops_lock held for another vCPU.
 */
struct xen_vcpu *xen_vcpu_new(struct xen_vm *x, struct kvm_vcpu *vcpu)
{
	struct xen_vcpu *xv, *old;

	if (!vcpu || vcpu->vcpu_idx >= x->vcpus.nr)
		return NULL;
	xv = xen_vcpu_find(x, vcpu->vcpu_idx);
	if (xv)
		return xv;
	xv = kzalloc(sizeof(*xv), GFP_KERNEL_ACCOUNT);
	if (!xv)
		return NULL;
	xv->x = x;
	xv->idx = vcpu->vcpu_idx;
	xv->xen_id = vcpu->vcpu_idx;	/* KVM's default Xen vCPU id */
	xv->runstate.state = RUNSTATE_running;
	raw_spin_lock_init(&xv->rs_lock);
	xenhv_timer_init(&xv->timer, timer_expired);
	xenhv_timer_init(&xv->periodic, periodic_expired);
	xenhv_timer_init(&xv->poll_timer, poll_expired);
	old = xenhv_vcpu_table_set(&x->vcpus, vcpu->vcpu_idx, xv);
	if (old != xv)
		kfree(xv);
	return old;
}

/*
 * Where @idx's vcpu_info is now: registered page, else shared_info slot.
 * Under x->lock, or inside an RCU read section (xen_set_shared_info_page()).
 */
struct vcpu_info *__xenhv_hot xen_vcpu_info(struct xen_vm *x, u32 idx)
{
	struct xen_vcpu *xv = xen_vcpu_find(x, idx);
	struct shared_info *s = READ_ONCE(x->shinfo.va);

	if (xv && xv->vi_registered)
		return xv->vi_page.va + xv->vi_offset;
	if (s && idx < MAX_VIRT_CPUS)
		return &s->vcpu_info[idx];
	return NULL;
}

static void fill_time(struct xen_vm *x, struct kvm_vcpu *vcpu, struct pvclock_vcpu_time_info *t)
{
	struct xenhv_tsc_scale sc;

	/* The KVM uapi's VMM keeps the guest's time in kvmclock. */
	if (x->kvm_uapi)
		xenhv_kvmclock_scale(vcpu, &sc);
	else
		xenhv_clock_scale(&x->clock, vcpu, &sc);
	t->tsc_timestamp = sc.tsc_timestamp;
	t->system_time = sc.system_time;
	t->tsc_to_system_mul = sc.mul;
	t->tsc_shift = sc.shift;
	/*
	 * No PVCLOCK_TSC_STABLE_BIT, even from KVM's master clock: with it a
	 * Linux guest reads the secondary area from its vDSO, which nested
	 * guests on the emulated test machine did not survive.
	 */
	t->flags = 0;
}

/*
 * The pvclock in @vcpu's vcpu_info (and its secondary time area), with the
 * odd/even version protocol. From @vcpu's thread or the registration path.
 */
static void write_vcpu_info_time(struct xen_vm *x, struct kvm_vcpu *vcpu,
				 const struct pvclock_vcpu_time_info *t)
{
	struct xen_vcpu *xv = xen_vcpu_find(x, vcpu->vcpu_idx);
	struct vcpu_info *vi;
	unsigned long flags;

	raw_spin_lock_irqsave(&x->lock, flags);
	vi = xen_vcpu_info(x, vcpu->vcpu_idx);
	if (vi) {
		u32 v = READ_ONCE(vi->time.version);

		WRITE_ONCE(vi->time.version, (v + 1) | 1);
		smp_wmb();	/* odd version before the fields (pvclock protocol) */
		vi->time.tsc_timestamp = t->tsc_timestamp;
		vi->time.system_time = t->system_time;
		vi->time.tsc_to_system_mul = t->tsc_to_system_mul;
		vi->time.tsc_shift = t->tsc_shift;
		vi->time.flags = t->flags;
		smp_wmb();	/* the fields before the even version */
		WRITE_ONCE(vi->time.version, ((v + 1) | 1) + 1);
	}
	/* The uapi's pinned secondary area, the same way. */
	if (xv && xv->time_page.page) {
		struct pvclock_vcpu_time_info *ta = xv->time_page.va +
						    offset_in_page(xv->time_uapi_gpa);
		u32 v = READ_ONCE(ta->version);

		WRITE_ONCE(ta->version, (v + 1) | 1);
		smp_wmb();	/* odd version before the fields */
		ta->tsc_timestamp = t->tsc_timestamp;
		ta->system_time = t->system_time;
		ta->tsc_to_system_mul = t->tsc_to_system_mul;
		ta->tsc_shift = t->tsc_shift;
		ta->flags = t->flags;
		smp_wmb();	/* the fields before the even version */
		WRITE_ONCE(ta->version, ((v + 1) | 1) + 1);
	}
	raw_spin_unlock_irqrestore(&x->lock, flags);
}

/* The vcpu_info part alone: a pinned page, so any context. */
void xen_write_vcpu_info_time(struct xen_vm *x, struct kvm_vcpu *vcpu)
{
	struct pvclock_vcpu_time_info t = {};

	fill_time(x, vcpu, &t);
	write_vcpu_info_time(x, vcpu, &t);
}

void xen_write_time(struct xen_vm *x, struct kvm_vcpu *vcpu)
{
	struct xen_vcpu *xv = xen_vcpu_find(x, vcpu->vcpu_idx);
	struct pvclock_vcpu_time_info t = {};
	struct kvm_vcpu *cur;

	fill_time(x, vcpu, &t);
	write_vcpu_info_time(x, vcpu, &t);

	/* Guest memory proper: from a vCPU thread of this VM only. */
	cur = KVM_FN(kvm_get_running_vcpu)();
	if (xv && xv->time_gpa && cur && cur->kvm == vcpu->kvm) {
		t.version = 2;
		xenhv_gpa_write(cur, xv->time_gpa, &t, sizeof(t));
	}
}

/* shared_info's wallclock: real time at guest time 0. */
void xen_write_wallclock(struct xen_vm *x)
{
	struct shared_info *s = x->shinfo.va;
	u64 sec;
	u32 nsec, v;
	u32 *sec_hi;

	if (!s)
		return;
	sec = div_u64_rem(x->clock.wall_ns, NSEC_PER_SEC, &nsec);
	/* The 64-bit layout keeps the seconds' high half right after wc. */
	sec_hi = (u32 *)((u8 *)&s->wc + sizeof(s->wc));
	v = READ_ONCE(s->wc.version);
	WRITE_ONCE(s->wc.version, (v + 1) | 1);
	smp_wmb();	/* odd version before the fields */
	s->wc.sec = (u32)sec;
	s->wc.nsec = nsec;
	*sec_hi = sec >> 32;
	smp_wmb();	/* the fields before the even version */
	WRITE_ONCE(s->wc.version, ((v + 1) | 1) + 1);
}

/*
 * Runstate. Its writers are the vCPU's own hooks on kvm_arch_vcpu_load/put
 * (scheduled in and out, preemption off), its own hypercalls, and the
 * registration of the area, which any vCPU may do for another: all hold
 * xv->rs_lock. The area may straddle two guest pages, so the guest copy is
 * written bytewise: first the byte of state_entry_time that holds
 * XEN_RUNSTATE_UPDATE, with the flag set; then everything else; then that
 * byte without the flag. Linux's reader retries while the flag is set or
 * the entry time changed.
 */
#define RS_FLAG_BYTE	(offsetof(struct vcpu_runstate_info, state_entry_time) + 7)

/* Bytes [@off, @off + @len) of the area. Under rs_lock. */
static void rs_copy(struct xen_vcpu *xv, u32 off, const void *src, u32 len)
{
	u32 n;

	if (off < xv->rs_len0) {
		n = min(len, xv->rs_len0 - off);
		memcpy(xv->rs_va[0] + off, src, n);
		off += n;
		src += n;
		len -= n;
	}
	if (len)
		memcpy(xv->rs_va[1] + (off - xv->rs_len0), src, len);
}

static void write_runstate(struct xen_vcpu *xv)
{
	struct vcpu_runstate_info rs = xv->runstate;
	const u8 *b = (const u8 *)&rs;
	u8 flag;

	lockdep_assert_held(&xv->rs_lock);
	if (!xv->rs_on)
		return;
	BUILD_BUG_ON(!(XEN_RUNSTATE_UPDATE & BIT_ULL(63)));
	flag = b[RS_FLAG_BYTE] | 0x80;
	rs_copy(xv, RS_FLAG_BYTE, &flag, 1);
	smp_wmb();	/* the update flag before the fields */
	rs_copy(xv, 0, b, RS_FLAG_BYTE);
	rs_copy(xv, RS_FLAG_BYTE + 1, b + RS_FLAG_BYTE + 1, sizeof(rs) - RS_FLAG_BYTE - 1);
	smp_wmb();	/* the fields before the flag goes */
	rs_copy(xv, RS_FLAG_BYTE, b + RS_FLAG_BYTE, 1);
}

/*
 * Runstate times count in the guest's system time: the shim's clock, or
 * under KVM's uapi kvmclock, which the VMM's RUNSTATE_DATA is checked
 * against, as KVM does.
 */
static u64 runstate_now(struct xen_vm *x)
{
	return x->kvm_uapi ? xenhv_kvmclock_ns(x->vm->kvm) : xenhv_clock_now(&x->clock);
}

/*
 * Account the time since the last change to the current state. A clock
 * behind the entry time (the VMM set kvmclock back) accounts nothing, so
 * the times always add up to the entry time. Under rs_lock.
 */
static void runstate_set(struct xen_vm *x, struct xen_vcpu *xv, int state)
{
	u64 now = runstate_now(x), entry = xv->runstate.state_entry_time;
	u64 delta = now > entry ? now - entry : 0;

	xv->runstate.time[xv->runstate.state] += delta;
	xv->runstate.state = state;
	xv->runstate.state_entry_time = entry + delta;
}

static void runstate_update(struct xen_vm *x, struct xen_vcpu *xv, int state)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&xv->rs_lock, flags);
	runstate_set(x, xv, state);
	write_runstate(xv);
	raw_spin_unlock_irqrestore(&xv->rs_lock, flags);
}

/*
 * The vCPU's thread is scheduled in (running) or out: preempted while
 * runnable (runnable: steal time), or asleep (blocked: halted, polling,
 * or back in the VMM). Preemption is off.
 */
void xen_vcpu_sched(struct xen_vm *x, struct kvm_vcpu *vcpu, bool in)
{
	struct xen_vcpu *xv = xen_vcpu_find(x, vcpu->vcpu_idx);
	int state;

	/*
	 * kvmclock's reference moves when KVM updates its master clock (the
	 * VMM's KVM_SET_CLOCK among others): publish it again, in vcpu_info.
	 */
	if (in && x->kvm_uapi)
		xen_write_vcpu_info_time(x, vcpu);
	if (!xv || !READ_ONCE(xv->rs_on))
		return;
	if (x->kvm_uapi) {
		/*
		 * As KVM accounts it: an exit to the VMM is time the VMM
		 * spends for the vCPU, still running, and the VMM's own
		 * ioctls load the vCPU without running it; only a preemption
		 * of a running vCPU (runnable, until it is back) is seen
		 * here. Other states are the VMM's to set (RUNSTATE_CURRENT)
		 * and the kernel's polls'. Only the vCPU's thread, which
		 * holds its mutex, runs these and the VMM's ioctls.
		 */
		if (in && xv->rs_preempted) {
			xv->rs_preempted = false;
			runstate_update(x, xv, RUNSTATE_running);
		} else if (!in && READ_ONCE(vcpu->preempted) &&
			   READ_ONCE(xv->runstate.state) == RUNSTATE_running) {
			xv->rs_preempted = true;
			runstate_update(x, xv, RUNSTATE_runnable);
		}
		return;
	}
	if (in)
		state = RUNSTATE_running;
	else
		state = READ_ONCE(vcpu->preempted) ? RUNSTATE_runnable : RUNSTATE_blocked;
	runstate_update(x, xv, state);
}

/*
 * Install @page (pinned, taken; none: no area) as @xv's runstate area,
 * @len0 of its bytes in the first page from @va0, and write it. From a
 * hypercall (@running) the calling vCPU's state is running from now on;
 * from the VMM it stays. Under ops_lock.
 */
static void runstate_install(struct xen_vm *x, struct xen_vcpu *xv, struct xenhv_gpage page[2],
			     u8 *va0, u32 len0, u64 gpa, bool running)
{
	struct xenhv_gpage old[2];
	unsigned long flags;

	raw_spin_lock_irqsave(&xv->rs_lock, flags);
	memcpy(old, xv->rs_page, sizeof(old));
	memcpy(xv->rs_page, page, sizeof(old));
	memset(page, 0, sizeof(old));	/* taken: the caller must not unpin them */
	xv->rs_va[0] = va0;
	xv->rs_va[1] = xv->rs_page[1].va;
	xv->rs_len0 = len0;
	xv->rs_gpa = gpa;
	WRITE_ONCE(xv->rs_on, !!va0);
	runstate_set(x, xv, running ? RUNSTATE_running : xv->runstate.state);
	write_runstate(xv);
	raw_spin_unlock_irqrestore(&xv->rs_lock, flags);
	/* No writer uses the old pages once the lock changed hands. */
	xenhv_gpage_unpin(&old[0]);
	xenhv_gpage_unpin(&old[1]);
}

/*
 * Register (or with @gva 0, drop) the runstate area of @xv: one page, or
 * the two it straddles, each translated and pinned. Under ops_lock.
 */
static long register_runstate(struct kvm_vcpu *vcpu, struct xen_vm *x, struct xen_vcpu *xv,
			      u64 gva)
{
	const u32 size = sizeof(struct vcpu_runstate_info);
	struct xenhv_gpage page[2] = {};
	u32 len0 = size;
	gpa_t gpa[2];
	int i;

	if (gva) {
		len0 = xen_area_first_len(gva, size);
		gpa[0] = xenhv_gva_to_gpa(vcpu, gva);
		gpa[1] = len0 < size ? xenhv_gva_to_gpa(vcpu, gva + len0) : 0;
		for (i = 0; i < (len0 < size ? 2 : 1); i++) {
			if (gpa[i] == INVALID_GPA || xenhv_gpage_pin(vcpu, gpa[i], &page[i])) {
				xenhv_gpage_unpin(&page[0]);
				return -XEN_EFAULT;
			}
		}
	}
	runstate_install(x, xv, page, page[0].va ? page[0].va + offset_in_page(gva) : NULL,
			 len0, gva ? gpa[0] : KVM_XEN_INVALID_GPA, true);
	return 0;
}

/*
 * KVM's runstate attributes (uapi.c), with KVM's checks and errors. The
 * VMM's times must add up to the entry time, which may not be ahead of
 * kvmclock; everything is checked for overflow before it is used.
 */

/*
 * RUNSTATE_ADDR: @page holds the area at @gpa (KVM_XEN_INVALID_GPA: none),
 * the page after it too where it straddles, pinned by the caller; taken.
 */
int xen_kvm_set_runstate_addr(struct xen_vm *x, struct kvm_vcpu *vcpu, u64 gpa,
			      struct xenhv_gpage page[2])
{
	const u32 size = sizeof(struct vcpu_runstate_info);
	struct xen_vcpu *xv;

	mutex_lock(&x->ops_lock);
	xv = xen_vcpu_get(x, vcpu);
	if (!xv) {
		mutex_unlock(&x->ops_lock);
		return -ENOMEM;
	}
	if (gpa == KVM_XEN_INVALID_GPA)
		runstate_install(x, xv, page, NULL, size, gpa, false);
	else
		runstate_install(x, xv, page, page[0].va + offset_in_page(gpa),
				 xen_area_first_len(gpa, size), gpa, false);
	mutex_unlock(&x->ops_lock);
	return 0;
}

static bool runstate_sum(const struct kvm_xen_vcpu_attr *a, u64 *sum)
{
	return !check_add_overflow(a->u.runstate.time_running, a->u.runstate.time_runnable, sum) &&
	       !check_add_overflow(*sum, a->u.runstate.time_blocked, sum) &&
	       !check_add_overflow(*sum, a->u.runstate.time_offline, sum);
}

/* RUNSTATE_CURRENT, _DATA, _ADJUST. */
int xen_kvm_set_runstate(struct xen_vm *x, struct kvm_vcpu *vcpu, const struct kvm_xen_vcpu_attr *a)
{
	const u64 state = a->u.runstate.state;
	struct vcpu_runstate_info rs;
	unsigned long flags;
	struct xen_vcpu *xv;
	u64 sum, now;
	int i, ret = 0;

	if (state > RUNSTATE_offline &&
	    !(a->type == KVM_XEN_VCPU_ATTR_TYPE_RUNSTATE_ADJUST && state == (u64)-1))
		return -EINVAL;
	mutex_lock(&x->ops_lock);
	xv = xen_vcpu_get(x, vcpu);
	mutex_unlock(&x->ops_lock);
	if (!xv)
		return -ENOMEM;
	raw_spin_lock_irqsave(&xv->rs_lock, flags);
	now = runstate_now(x);
	rs = xv->runstate;
	switch (a->type) {
	case KVM_XEN_VCPU_ATTR_TYPE_RUNSTATE_CURRENT:
		runstate_set(x, xv, state);
		break;
	case KVM_XEN_VCPU_ATTR_TYPE_RUNSTATE_DATA:
		if (!runstate_sum(a, &sum) || sum != a->u.runstate.state_entry_time ||
		    sum > now) {
			ret = -EINVAL;
			break;
		}
		xv->runstate.state = state;
		xv->runstate.state_entry_time = sum;
		xv->runstate.time[RUNSTATE_running] = a->u.runstate.time_running;
		xv->runstate.time[RUNSTATE_runnable] = a->u.runstate.time_runnable;
		xv->runstate.time[RUNSTATE_blocked] = a->u.runstate.time_blocked;
		xv->runstate.time[RUNSTATE_offline] = a->u.runstate.time_offline;
		break;
	case KVM_XEN_VCPU_ATTR_TYPE_RUNSTATE_ADJUST:
		/*
		 * Deltas in two's complement (time moves between states), as
		 * KVM takes them; they must add up, the entry time may not
		 * pass kvmclock, and no time may go below zero.
		 */
		rs.state_entry_time += a->u.runstate.state_entry_time;
		rs.time[RUNSTATE_running] += a->u.runstate.time_running;
		rs.time[RUNSTATE_runnable] += a->u.runstate.time_runnable;
		rs.time[RUNSTATE_blocked] += a->u.runstate.time_blocked;
		rs.time[RUNSTATE_offline] += a->u.runstate.time_offline;
		if (a->u.runstate.time_running + a->u.runstate.time_runnable +
		    a->u.runstate.time_blocked + a->u.runstate.time_offline !=
		    a->u.runstate.state_entry_time || rs.state_entry_time > now) {
			ret = -EINVAL;
			break;
		}
		for (i = 0; i < ARRAY_SIZE(rs.time); i++) {
			if (rs.time[i] > rs.state_entry_time)
				ret = -EINVAL;
		}
		if (ret)
			break;
		if (state <= RUNSTATE_offline)
			rs.state = state;
		xv->runstate = rs;
		break;
	default:
		ret = -EINVAL;
	}
	if (!ret)
		write_runstate(xv);
	raw_spin_unlock_irqrestore(&xv->rs_lock, flags);
	return ret;
}

int xen_kvm_get_runstate(struct xen_vm *x, struct kvm_vcpu *vcpu, struct kvm_xen_vcpu_attr *a)
{
	struct xen_vcpu *xv = xen_vcpu_find(x, vcpu->vcpu_idx);
	struct vcpu_runstate_info rs = {};
	unsigned long flags;
	u64 gpa = KVM_XEN_INVALID_GPA;

	if (xv) {
		raw_spin_lock_irqsave(&xv->rs_lock, flags);
		rs = xv->runstate;
		if (xv->rs_on)
			gpa = xv->rs_gpa;
		raw_spin_unlock_irqrestore(&xv->rs_lock, flags);
	}
	switch (a->type) {
	case KVM_XEN_VCPU_ATTR_TYPE_RUNSTATE_ADDR:
		/* None is ENOENT here, unlike the other areas: KVM's answer. */
		a->u.gpa = gpa;
		return gpa == KVM_XEN_INVALID_GPA ? -ENOENT : 0;
	case KVM_XEN_VCPU_ATTR_TYPE_RUNSTATE_CURRENT:
		a->u.runstate.state = rs.state;
		return 0;
	case KVM_XEN_VCPU_ATTR_TYPE_RUNSTATE_DATA:
		a->u.runstate.state = rs.state;
		a->u.runstate.state_entry_time = rs.state_entry_time;
		a->u.runstate.time_running = rs.time[RUNSTATE_running];
		a->u.runstate.time_runnable = rs.time[RUNSTATE_runnable];
		a->u.runstate.time_blocked = rs.time[RUNSTATE_blocked];
		a->u.runstate.time_offline = rs.time[RUNSTATE_offline];
		return 0;
	}
	return -EINVAL;		/* ADJUST is write-only, as KVM has it */
}

/*
 * Xen system time as the guest reads it: the shim's clock, or under KVM's
 * uapi kvmclock, which the VMM keeps the guest's time in. @xv is @vcpu's
 * own, and this runs on @vcpu's thread (xenhv_clock_cache).
 */
u64 __xenhv_hot xen_guest_now(struct xen_vm *x, struct xen_vcpu *xv, struct kvm_vcpu *vcpu)
{
	struct xenhv_tsc_scale sc;

	if (!x->kvm_uapi)
		return xenhv_clock_guest_now_cached(&x->clock, vcpu, &xv->clock);
	xenhv_kvmclock_scale(vcpu, &sc);
	return xenhv_scale_now(vcpu, &sc);
}

static void timer_expired(struct xenhv_timer *t)
{
	struct xen_vcpu *xv = container_of(t, struct xen_vcpu, timer);
	u32 port = READ_ONCE(xv->virq_port[VIRQ_TIMER]);

	if (!xv->x->kvm_uapi) {
		xen_evtchn_set_pending(xv->x, port);
		return;
	}
	/* KVM's uapi: the VMM's timer port, on this vCPU. */
	WRITE_ONCE(xv->timer_expires, 0);
	xen_evtchn_deliver(xv->x, port, xv->idx);
}

static void periodic_expired(struct xenhv_timer *t)
{
	struct xen_vcpu *xv = container_of(t, struct xen_vcpu, periodic);

	xen_evtchn_set_pending(xv->x, READ_ONCE(xv->virq_port[VIRQ_TIMER]));
}

static void poll_expired(struct xenhv_timer *t)
{
	struct xen_vcpu *xv = container_of(t, struct xen_vcpu, poll_timer);

	xenhv_core_unblock(kvm_get_vcpu(xv->x->vm->kvm, xv->idx));
}

/*
 * VCPUOP_register_vcpu_info: once per vCPU, in one page. Xen marks every
 * event pending in the new place so that nothing raised before is lost.
 */
static long register_vcpu_info(struct kvm_vcpu *vcpu, struct kvm_vcpu *target,
			       struct xen_vm *x, struct xen_vcpu *xv, u64 arg)
{
	struct vcpu_register_vcpu_info r;
	struct xenhv_gpage gp = {};
	struct vcpu_info *vi, *old;
	unsigned long flags;

	if (xenhv_gva_read(vcpu, arg, &r, sizeof(r)))
		return -XEN_EFAULT;
	if (xen_vcpu_info_check(r.mfn, r.offset, r.rsvd, sizeof(struct vcpu_info)))
		return -XEN_EINVAL;
	if (xv->vi_registered)
		return -XEN_EINVAL;
	if (xenhv_gpage_pin(vcpu, r.mfn << PAGE_SHIFT, &gp))
		return -XEN_EINVAL;
	raw_spin_lock_irqsave(&x->lock, flags);
	vi = gp.va + r.offset;
	old = xen_vcpu_info(x, xv->idx);
	if (old)
		memcpy(vi, old, sizeof(*vi));
	else
		memset(vi, 0, sizeof(*vi));
	vi->evtchn_upcall_pending = 1;
	vi->evtchn_pending_sel = ~(xen_ulong_t)0;
	xv->vi_page = gp;
	xv->vi_offset = r.offset;
	xv->vi_registered = true;
	raw_spin_unlock_irqrestore(&x->lock, flags);
	xen_write_time(x, target);
	xen_evtchn_kick_upcall(x, xv->idx);
	return 0;
}

/*
 * The KVM Xen uapi's VCPU_INFO (@time false) and VCPU_TIME_INFO attributes:
 * the VMM places @target's vcpu_info or secondary time area at @gpa, in
 * the page @gp the caller pinned (empty with KVM_XEN_INVALID_GPA: removed).
 * Unlike the hypercalls they may move, and the contents are the VMM's
 * business; the time area is written with vcpu_info's time from then on.
 * Takes @gp; under ops_lock.
 */
static int set_uapi_page(struct xen_vm *x, struct kvm_vcpu *target, u64 gpa,
			 struct xenhv_gpage *gp, bool time)
{
	struct xen_vcpu *xv = xen_vcpu_get(x, target);
	struct xenhv_gpage old, *slot;
	unsigned long flags;

	if (!xv) {
		xenhv_gpage_unpin(gp);
		return -ENOMEM;
	}
	slot = time ? &xv->time_page : &xv->vi_page;
	raw_spin_lock_irqsave(&x->lock, flags);
	old = *slot;
	*slot = *gp;
	if (time) {
		xv->time_uapi_gpa = gpa;
	} else {
		xv->vi_offset = offset_in_page(gpa);
		xv->vi_registered = gp->page;
		xv->vi_gpa = gpa;
	}
	*gp = (struct xenhv_gpage){};	/* taken: the caller must not unpin it */
	raw_spin_unlock_irqrestore(&x->lock, flags);
	xenhv_gpage_unpin(&old);
	if (slot->page)
		xen_write_time(x, target);
	return 0;
}

int xen_vcpu_set_info_page(struct xen_vm *x, struct kvm_vcpu *target, u64 gpa,
			   struct xenhv_gpage *gp)
{
	return set_uapi_page(x, target, gpa, gp, false);
}

int xen_vcpu_set_time_page(struct xen_vm *x, struct kvm_vcpu *target, u64 gpa,
			   struct xenhv_gpage *gp)
{
	return set_uapi_page(x, target, gpa, gp, true);
}

/* Areas named by a guest virtual address: translated once, at registration. */
static long register_area(struct kvm_vcpu *vcpu, u64 arg, bool longmode, u32 size, gpa_t *gpa)
{
	u64 gva = 0;

	if (xenhv_gva_read(vcpu, arg, &gva, longmode ? 8 : 4))
		return -XEN_EFAULT;
	if (!gva) {
		*gpa = 0;
		return 0;
	}
	/* One page: a guest area that straddles two is refused. */
	if ((gva & ~PAGE_MASK) + size > PAGE_SIZE)
		return -XEN_EINVAL;
	*gpa = xenhv_gva_to_gpa(vcpu, gva);
	if (*gpa == INVALID_GPA) {
		*gpa = 0;
		return -XEN_EFAULT;
	}
	return 0;
}

long __xenhv_hot xen_vcpu_op(struct kvm_vcpu *vcpu, struct xen_vm *x, bool longmode, u64 cmd,
			     u64 id, u64 arg, bool *handled)
{
	struct kvm_vcpu *target;
	struct xen_vcpu *xv;
	long ret;

	if (id >= atomic_read(&vcpu->kvm->online_vcpus))
		return -XEN_ENOENT;
	target = xenhv_vcpu_peer(vcpu, id);
	if (cmd == VCPUOP_is_up)
		return 1;
	/* As on Xen, a vCPU's singleshot timer is its own business. */
	if (target != vcpu && (cmd == VCPUOP_set_singleshot_timer ||
			       cmd == VCPUOP_stop_singleshot_timer))
		return -XEN_EINVAL;
	/*
	 * A vCPU sets up another one before bringing it online: that one's
	 * state is made under ops_lock. Existing state is found without it.
	 */
	xv = target ? xen_vcpu_find(x, target->vcpu_idx) : NULL;
	if (!xv) {
		mutex_lock(&x->ops_lock);
		xv = xen_vcpu_get(x, target);
		mutex_unlock(&x->ops_lock);
	}
	if (!xv)
		return -XEN_ENOENT;

	switch (cmd) {
	case VCPUOP_register_vcpu_info:
		mutex_lock(&x->ops_lock);
		ret = register_vcpu_info(vcpu, target, x, xv, arg);
		mutex_unlock(&x->ops_lock);
		return ret;
	case VCPUOP_register_runstate_memory_area:
	{
		u64 gva = 0;

		/* Linux's per-CPU area may straddle two pages, as KVM's Xen allows. */
		if (xenhv_gva_read(vcpu, arg, &gva, longmode ? 8 : 4))
			return -XEN_EFAULT;
		mutex_lock(&x->ops_lock);
		ret = register_runstate(vcpu, x, xv, gva);
		mutex_unlock(&x->ops_lock);
		return ret;
	}
	case VCPUOP_register_vcpu_time_memory_area:
		ret = register_area(vcpu, arg, longmode, sizeof(struct pvclock_vcpu_time_info),
				    &xv->time_gpa);
		if (!ret)
			xen_write_time(x, target);
		return ret;
	case VCPUOP_get_runstate_info:
		if (target == vcpu)
			runstate_update(x, xv, RUNSTATE_running);
		return xenhv_gva_write(vcpu, arg, &xv->runstate, sizeof(xv->runstate)) ?
		       -XEN_EFAULT : 0;
	case VCPUOP_set_singleshot_timer: {
		/* All of it read, as Xen does: 12 bytes for a 32-bit guest. */
		struct vcpu_set_singleshot_timer t __uninitialized;
		u64 now = xen_guest_now(x, xv, vcpu);

		if (xenhv_gva_read(vcpu, arg, &t, longmode ? sizeof(t) : 12))
			return -XEN_EFAULT;
		ret = xen_singleshot_check(t.timeout_abs_ns, t.flags & VCPU_SSHOTTMR_future, now);
		if (ret)
			return ret;
		/* A deadline already past fires at once, as on Xen. */
		xenhv_timer_start_own(&xv->timer,
				      xenhv_clock_guest_deadline(now, t.timeout_abs_ns));
		return 0;
	}
	case VCPUOP_stop_singleshot_timer:
		xenhv_timer_stop(&xv->timer);
		return 0;
	case VCPUOP_set_periodic_timer: {
		struct vcpu_set_periodic_timer p;

		if (xenhv_gva_read(vcpu, arg, &p, sizeof(p)))
			return -XEN_EFAULT;
		ret = xen_periodic_check(p.period_ns);
		if (ret)
			return ret;
		xenhv_timer_start(&xv->periodic, xenhv_deadline_in(p.period_ns), p.period_ns);
		return 0;
	}
	case VCPUOP_stop_periodic_timer:
		xenhv_timer_stop(&xv->periodic);
		return 0;
	case VCPUOP_get_physid:
		/* Physical CPU ids are for the hardware domain only. */
		return -XEN_EINVAL;
	}
	*handled = false;	/* initialise, up, down, ...: the VMM */
	return 0;
}

/*
 * set_timer_op: 0 stops the timer. Xen's workaround for old Linux: a
 * deadline that is negative or more than 2^50 ns (about 13 days) ahead is
 * taken as 100 ms from now.
 */
long __xenhv_hot xen_set_timer_op(struct kvm_vcpu *vcpu, struct xen_vm *x, u64 timeout)
{
	struct xen_vcpu *xv = xen_vcpu_get(x, vcpu);
	u64 now;

	if (!xv)
		return -XEN_ENOENT;
	if (!timeout) {
		xenhv_timer_stop(&xv->timer);
		return 0;
	}
	now = xen_guest_now(x, xv, vcpu);
	xenhv_timer_start_own(&xv->timer,
			      xenhv_clock_guest_deadline(now, xen_timer_op_deadline(timeout, now)));
	return 0;
}

static bool any_pending(struct xen_vm *x, const u32 *ports, u32 n)
{
	u32 i;

	for (i = 0; i < n; i++)
		if (xen_evtchn_pending(x, ports[i]))
			return true;
	return false;
}

/*
 * SCHEDOP_poll: block until one of @ports (n of them, bounded by the
 * decoder) is pending, or the timeout. Inline in its two callers, the
 * one-port call and the list.
 */
static __always_inline long poll_ports(struct kvm_vcpu *vcpu, struct xen_vm *x,
				       struct xen_vcpu *xv, const u32 *ports, u32 n,
				       u64 timeout)
{
	u64 now = 0;
	int ret;

	ret = n == 1 ? xen_poll_port_check(ports[0]) : xen_poll_ports_check(ports, n);
	if (ret)
		return ret;
	if (any_pending(x, ports, n))
		return 0;
	if (timeout) {
		now = xen_guest_now(x, xv, vcpu);
		if (timeout <= now)
			return 0;
	}

	WRITE_ONCE(xv->poll_port, n == 1 ? ports[0] : XEN_POLL_ANY);
	smp_mb();	/* poll_port before the second look at the ports */
	if (!any_pending(x, ports, n)) {
		if (timeout)
			xenhv_timer_start_own(&xv->poll_timer,
					      xenhv_clock_guest_deadline(now, timeout));
		runstate_update(x, xv, RUNSTATE_blocked);
		if (!xenhv_core_block(vcpu, &x->vm->gen))
			return 0;	/* detached: its state is gone */
		runstate_update(x, xv, RUNSTATE_running);
		if (timeout)
			xenhv_timer_stop(&xv->poll_timer);
	}
	WRITE_ONCE(xv->poll_port, 0);
	return 0;
}

/* A list of ports: read onto the stack, away from the one-port path. */
static noinline long poll_list(struct kvm_vcpu *vcpu, struct xen_vm *x, struct xen_vcpu *xv,
			       const struct xen_poll_args *a)
{
	u32 ports[XEN_POLL_MAX_PORTS] __uninitialized;	/* nr_ports of them read */

	if (xenhv_gva_read(vcpu, a->ports, ports, a->nr_ports * sizeof(u32)))
		return -XEN_EFAULT;
	return poll_ports(vcpu, x, xv, ports, a->nr_ports, a->timeout);
}

/*
 * SCHEDOP_poll's arguments; nr_ports is at most XEN_POLL_MAX_PORTS once
 * decoded. Inline in xen_sched_op(), which only blocking calls reach.
 */
static __always_inline long sched_poll(struct kvm_vcpu *vcpu, struct xen_vm *x,
				       struct xen_vcpu *xv, bool longmode, u64 arg)
{
	struct xen_poll_args a __uninitialized;	/* all of it decoded */
	u32 port = 0;
	u8 raw[24] __uninitialized;	/* what the guest gave, or nothing read */
	int ret;

	if (xenhv_gva_read(vcpu, arg, raw, xen_poll_size(longmode)))
		return -XEN_EFAULT;
	ret = xen_poll_decode(raw, longmode, &a);
	if (ret)
		return ret;
	if (a.nr_ports > 1)
		return poll_list(vcpu, x, xv, &a);
	if (a.nr_ports && xenhv_gva_read(vcpu, a.ports, &port, sizeof(port)))
		return -XEN_EFAULT;
	return poll_ports(vcpu, x, xv, &port, a.nr_ports, a.timeout);
}

/* SCHEDOP_block: wait for an upcall (events were enabled by the guest). */
static long sched_block(struct kvm_vcpu *vcpu, struct xen_vm *x, struct xen_vcpu *xv)
{
	struct vcpu_info *vi;
	bool pending;

	WRITE_ONCE(xv->poll_port, XEN_POLL_ANY);
	smp_mb();	/* poll_port before the look at upcall_pending */
	/* Without x->lock: shared_info's slot, as xen_evtchn_pending() reads it. */
	rcu_read_lock_sched();
	vi = xen_vcpu_info(x, xv->idx);
	pending = vi && READ_ONCE(vi->evtchn_upcall_pending);
	rcu_read_unlock_sched();
	if (!pending) {
		runstate_update(x, xv, RUNSTATE_blocked);
		if (!xenhv_core_block(vcpu, &x->vm->gen))
			return 0;	/* detached: its state is gone */
		runstate_update(x, xv, RUNSTATE_running);
	}
	WRITE_ONCE(xv->poll_port, 0);
	return 0;
}

long __xenhv_hot xen_sched_op(struct kvm_vcpu *vcpu, struct xen_vm *x, bool longmode, u64 cmd,
			      u64 arg, bool *handled)
{
	struct xen_vcpu *xv;

	/* Yield: xen_dispatch() took it. */
	xv = xen_vcpu_get(x, vcpu);
	if (!xv)
		return -XEN_ENOENT;
	switch (cmd) {
	case SCHEDOP_block:
		return sched_block(vcpu, x, xv);
	case SCHEDOP_poll:
		return sched_poll(vcpu, x, xv, longmode, arg);
	}
	/* shutdown, remote_shutdown, watchdog, ...: the VMM's business. */
	*handled = false;
	return 0;
}

/* Stop the vCPU's timers; any context but the timers' own expiry. */
void xen_vcpu_teardown(struct xen_vcpu *xv)
{
	xenhv_timer_stop(&xv->timer);
	xenhv_timer_stop(&xv->periodic);
	xenhv_timer_stop(&xv->poll_timer);
}

/*
 * KVM's uapi with KVM_XEN_HVM_CONFIG_EVTCHN_SEND: the singleshot timer and
 * polling stay in the kernel, as KVM keeps them, once the VMM named the
 * vCPU's timer port (KVM_XEN_VCPU_ATTR_TYPE_TIMER); everything else, and
 * all of it before that, is the VMM's.
 */
static void kvm_timer_start(struct xen_vcpu *xv, u64 now, u64 expires)
{
	/*
	 * The old expiry, if it is running, must not clear the new deadline:
	 * stop it (waiting for its callback) before recording that.
	 */
	xenhv_timer_stop(&xv->timer);
	WRITE_ONCE(xv->timer_expires, expires);
	xenhv_timer_start_own(&xv->timer, xenhv_clock_guest_deadline(now, expires));
}

static void kvm_timer_stop(struct xen_vcpu *xv)
{
	xenhv_timer_stop(&xv->timer);
	WRITE_ONCE(xv->timer_expires, 0);
}

static struct xen_vcpu *kvm_timer_vcpu(struct xen_vm *x, struct kvm_vcpu *vcpu)
{
	struct xen_vcpu *xv = xen_vcpu_find(x, vcpu->vcpu_idx);

	return xv && READ_ONCE(xv->virq_port[VIRQ_TIMER]) ? xv : NULL;
}

long __xenhv_hot xen_kvm_vcpu_op(struct kvm_vcpu *vcpu, struct xen_vm *x, u64 cmd, u64 id, u64 arg,
				 bool *handled)
{
	struct vcpu_set_singleshot_timer t;
	struct xen_vcpu *xv = kvm_timer_vcpu(x, vcpu);
	u64 now;
	long ret;

	if (!xv || (cmd != VCPUOP_set_singleshot_timer && cmd != VCPUOP_stop_singleshot_timer)) {
		*handled = false;
		return 0;
	}
	/* The guest names vCPUs by the VMM's ids; a timer is its own vCPU's. */
	if (id != READ_ONCE(xv->xen_id))
		return -XEN_EINVAL;
	if (cmd == VCPUOP_stop_singleshot_timer) {
		kvm_timer_stop(xv);
		return 0;
	}
	if (xenhv_gva_read(vcpu, arg, &t, 12))
		return -XEN_EFAULT;
	now = xen_guest_now(x, xv, vcpu);
	ret = xen_singleshot_check(t.timeout_abs_ns, t.flags & VCPU_SSHOTTMR_future, now);
	if (ret)
		return ret;
	kvm_timer_start(xv, now, t.timeout_abs_ns);
	return 0;
}

long __xenhv_hot xen_kvm_set_timer_op(struct kvm_vcpu *vcpu, struct xen_vm *x, u64 timeout,
				      bool *handled)
{
	struct xen_vcpu *xv = kvm_timer_vcpu(x, vcpu);
	u64 now;

	if (!xv) {
		*handled = false;
		return 0;
	}
	if (!timeout) {
		kvm_timer_stop(xv);
		return 0;
	}
	now = xen_guest_now(x, xv, vcpu);
	kvm_timer_start(xv, now, xen_timer_op_deadline(timeout, now));
	return 0;
}

/* SCHEDOP_poll and SCHEDOP_yield; the rest (shutdown, ...) is the VMM's. */
long __xenhv_hot xen_kvm_sched_op(struct kvm_vcpu *vcpu, struct xen_vm *x, bool longmode, u64 cmd,
				  u64 arg, bool *handled)
{
	struct xen_vcpu *xv;

	switch (cmd) {
	case SCHEDOP_yield:
		xenhv_core_yield(vcpu);
		return 0;
	case SCHEDOP_poll:
		xv = xen_vcpu_get(x, vcpu);
		if (!xv)
			return -XEN_ENOENT;
		return sched_poll(vcpu, x, xv, longmode, arg);
	}
	*handled = false;
	return 0;
}

/*
 * KVM_XEN_VCPU_ATTR_TYPE_TIMER: the vCPU's timer port (0: the VMM runs the
 * timer) and a deadline in guest ns to arm it with (0: none), as a VMM
 * restores it. From the VMM's vCPU ioctl.
 */
int xen_kvm_set_timer(struct xen_vm *x, struct kvm_vcpu *vcpu, u32 port, u64 expires)
{
	struct xen_vcpu *xv;

	/* Any port, as KVM takes it; delivery ignores one out of range. */
	xv = xen_vcpu_get(x, vcpu);
	if (!xv)
		return -ENOMEM;
	kvm_timer_stop(xv);
	WRITE_ONCE(xv->virq_port[VIRQ_TIMER], port);
	if (port && expires)
		kvm_timer_start(xv, xen_guest_now(x, xv, vcpu), expires);
	return 0;
}

void xen_kvm_get_timer(struct xen_vm *x, struct kvm_vcpu *vcpu, u32 *port, u64 *expires)
{
	struct xen_vcpu *xv = xen_vcpu_find(x, vcpu->vcpu_idx);

	*port = xv ? READ_ONCE(xv->virq_port[VIRQ_TIMER]) : 0;
	*expires = xv ? READ_ONCE(xv->timer_expires) : 0;
}
