// SPDX-License-Identifier: GPL-2.0
/*
 * Xen event channels, 2-level ABI: ports, their binding (VIRQ, IPI,
 * loopback interdomain, unbound ports served by the VMM) and delivery into
 * shared_info and vcpu_info, with the upcall as a LAPIC vector. FIFO event
 * channels are refused, so guests use 2-level.
 */
#include <linux/file.h>
#include <linux/poll.h>
#include <linux/slab.h>

#include "xen.h"

/* Every port of a bucket that does not exist. */
static const struct xen_port port_free = { .type = XEN_PORT_FREE };

/* @port's state, to read; any context. */
static const struct xen_port *port_get(struct xen_vm *x, u32 port)
{
	struct xen_port *b = READ_ONCE(x->port_buckets[port / XEN_PORT_BUCKET]);

	return b ? &b[port % XEN_PORT_BUCKET] : &port_free;
}

/* @port's state, to change; NULL when its bucket does not exist (free). */
static struct xen_port *port_mut(struct xen_vm *x, u32 port)
{
	struct xen_port *b = READ_ONCE(x->port_buckets[port / XEN_PORT_BUCKET]);

	return b ? &b[port % XEN_PORT_BUCKET] : NULL;
}

/* @port's state, its bucket made if need be. Under ops_lock. */
static struct xen_port *port_make(struct xen_vm *x, u32 port)
{
	struct xen_port **slot = &x->port_buckets[port / XEN_PORT_BUCKET];
	struct xen_port *b = *slot;

	if (!b) {
		b = kcalloc(XEN_PORT_BUCKET, sizeof(*b), GFP_KERNEL_ACCOUNT);
		if (!b)
			return NULL;
		/* The zeroed (free) ports before the pointer readers follow. */
		smp_store_release(slot, b);
	}
	return &b[port % XEN_PORT_BUCKET];
}

/* Bytes of the buckets that exist; while the state cannot be freed. */
size_t xen_evtchn_bytes(struct xen_vm *x)
{
	struct xen_port *b;
	size_t n = 0;
	u32 i;

	for (i = 0; i < ARRAY_SIZE(x->port_buckets); i++) {
		b = READ_ONCE(x->port_buckets[i]);
		if (b)
			n += ksize(b);
	}
	return n;
}

/* The buckets, once nothing can look at them any more. */
void xen_evtchn_free(struct xen_vm *x)
{
	u32 i;

	for (i = 0; i < ARRAY_SIZE(x->port_buckets); i++) {
		kfree(x->port_buckets[i]);
		x->port_buckets[i] = NULL;
	}
}

static bool port_valid(u32 port)
{
	return port && port < XEN_NR_PORTS;
}

/*
 * Whether @port is pending, without x->lock: the guest or the VMM may
 * replace shared_info at any time, and the old page stays pinned for an RCU
 * grace period after (xen_set_shared_info_page()), which this read of it
 * with preemption off is inside. A poller's second look is ordered against
 * deliver_locked()'s test_and_set_bit() by the barrier before it. Any
 * context; not once the VM's Xen state is freed (calls of the ABI only).
 */
bool __xenhv_hot xen_evtchn_pending(struct xen_vm *x, u32 port)
{
	struct shared_info *s;
	bool ret;

	if (!port_valid(port))
		return false;
	rcu_read_lock_sched();
	s = READ_ONCE(x->shinfo.va);
	ret = s && test_bit(port, (unsigned long *)s->evtchn_pending);
	rcu_read_unlock_sched();
	return ret;
}

/* A vCPU polling @port (or any port) is woken. Under x->lock. */
static void wake_pollers(struct xen_vm *x, u32 port)
{
	u32 i, n = min_t(u32, atomic_read(&x->vm->kvm->online_vcpus), x->vcpus.nr);

	for (i = 0; i < n; i++) {
		struct xen_vcpu *xv = xen_vcpu_find(x, i);
		u32 p;

		if (!xv)
			continue;
		p = READ_ONCE(xv->poll_port);
		if (p && (p == port || p == XEN_POLL_ANY))
			xenhv_core_unblock(kvm_get_vcpu(x->vm->kvm, i));
	}
}

/*
 * Mark @port's word in @idx's pending_sel and raise the upcall. Under
 * x->lock. Xen checks upcall_pending again at every VM entry, so an upcall
 * that found the LAPIC off (an AP not started yet) is not lost there; the
 * shim sees no VM entries, so it sends the vector for every newly pending
 * port instead. A spurious upcall costs the guest one scan of pending_sel.
 */
static void notify_vcpu(struct xen_vm *x, u32 idx, u32 port)
{
	struct vcpu_info *vi = xen_vcpu_info(x, idx);
	struct xen_vcpu *xv = xen_vcpu_find(x, idx);
	struct kvm_vcpu *vcpu = kvm_get_vcpu(x->vm->kvm, idx);

	if (!vi || !vcpu)
		return;
	set_bit(port / (sizeof(xen_ulong_t) * 8), (unsigned long *)&vi->evtchn_pending_sel);
	WRITE_ONCE(vi->evtchn_upcall_pending, 1);
	if (xv && xv->upcall_vector) {
		xenhv_send_vector(vcpu, xv->upcall_vector);
	} else if (x->kvm_uapi) {
		/* The VM-wide vector: injected at the next entry (hook.c). */
		kvm_make_request(KVM_REQ_EVENT, vcpu);
		xenhv_vcpu_kick(vcpu);
	}
	/* SCHEDOP_block waits for the upcall flag. */
	if (xv && READ_ONCE(xv->poll_port) == XEN_POLL_ANY)
		xenhv_core_unblock(vcpu);
}

/*
 * Re-assert the upcall when upcall_pending is already set (a new vcpu_info
 * or upcall vector), as Xen's hvm_assert_evtchn_irq(). Any context.
 */
bool __xenhv_hot xen_evtchn_kick_upcall(struct xen_vm *x, u32 idx)
{
	struct kvm_vcpu *vcpu = kvm_get_vcpu(x->vm->kvm, idx);
	struct xen_vcpu *xv = xen_vcpu_find(x, idx);
	struct vcpu_info *vi;
	unsigned long flags;
	bool kicked = false;

	raw_spin_lock_irqsave(&x->lock, flags);
	vi = xen_vcpu_info(x, idx);
	if (vi && vcpu && xv && xv->upcall_vector && READ_ONCE(vi->evtchn_upcall_pending)) {
		xenhv_send_vector(vcpu, xv->upcall_vector);
		kicked = true;
	}
	raw_spin_unlock_irqrestore(&x->lock, flags);
	return kicked;
}

/* @port pending, notifying vCPU @idx. Under x->lock. */
static void deliver_locked(struct xen_vm *x, u32 port, u32 idx)
{
	struct shared_info *s = x->shinfo.va;

	if (!s)
		return;		/* no shared_info yet: nothing can be pending */
	if (test_and_set_bit(port, (unsigned long *)s->evtchn_pending))
		return;
	if (!test_bit(port, (unsigned long *)s->evtchn_mask))
		notify_vcpu(x, idx, port);
	wake_pollers(x, port);
}

static void set_pending_locked(struct xen_vm *x, u32 port)
{
	deliver_locked(x, port, port_get(x, port)->vcpu);
}

/* @port pending for vCPU @idx, whatever the port table says. Any context. */
void xen_evtchn_deliver(struct xen_vm *x, u32 port, u32 idx)
{
	unsigned long flags;

	if (!port_valid(port))
		return;
	raw_spin_lock_irqsave(&x->lock, flags);
	deliver_locked(x, port, idx);
	raw_spin_unlock_irqrestore(&x->lock, flags);
}

/* Any context. */
void xen_evtchn_set_pending(struct xen_vm *x, u32 port)
{
	unsigned long flags;

	if (!port_valid(port))
		return;
	raw_spin_lock_irqsave(&x->lock, flags);
	set_pending_locked(x, port);
	raw_spin_unlock_irqrestore(&x->lock, flags);
}

/* A free port, set up under x->lock. Caller holds ops_lock. */
static int alloc_port(struct xen_vm *x, enum xen_port_type type, u32 vcpu)
{
	unsigned long flags;
	struct xen_port *p;
	u32 port;

	for (port = 1; port < XEN_NR_PORTS; port++) {
		if (port_get(x, port)->type != XEN_PORT_FREE)
			continue;
		p = port_make(x, port);
		if (!p)
			return -XEN_ENOMEM;
		raw_spin_lock_irqsave(&x->lock, flags);
		*p = (struct xen_port) { .type = type, .vcpu = vcpu };
		raw_spin_unlock_irqrestore(&x->lock, flags);
		return port;
	}
	return -XEN_ENOSPC;
}

static void send_free(struct rcu_head *rcu)
{
	struct xen_send *s = container_of(rcu, struct xen_send, rcu);

	eventfd_ctx_put(s->efd);
	kfree(s);
}

/* Any context; senders may still hold @s for an RCU grace period. */
static void send_release(struct xen_send *s)
{
	if (s)
		call_rcu(&s->rcu, send_free);
}

static void free_port(struct xen_vm *x, u32 port)
{
	struct xen_port *p = port_mut(x, port);
	struct xen_send *send;
	unsigned long flags;

	if (!p)
		return;		/* free already */
	raw_spin_lock_irqsave(&x->lock, flags);
	send = p->send;
	if (p->type == XEN_PORT_LOOPBACK && port_valid(p->remote)) {
		struct xen_port *r = port_mut(x, p->remote);

		if (r && r->type == XEN_PORT_LOOPBACK && r->remote == port) {
			r->type = XEN_PORT_UNBOUND;
			r->remote_dom = DOMID_SELF;
			r->remote = 0;
		}
	}
	if (p->type == XEN_PORT_VIRQ) {
		struct xen_vcpu *xv = xen_vcpu_find(x, p->vcpu);

		if (xv && xv->virq_port[p->virq] == port)
			xv->virq_port[p->virq] = 0;
	}
	*p = (struct xen_port) { .type = XEN_PORT_FREE };
	raw_spin_unlock_irqrestore(&x->lock, flags);
	send_release(send);
}

static int vcpu_index_ok(struct xen_vm *x, u32 vcpu)
{
	return vcpu < atomic_read(&x->vm->kvm->online_vcpus);
}

static long op_alloc_unbound(struct kvm_vcpu *vcpu, struct xen_vm *x, u64 arg)
{
	struct evtchn_alloc_unbound a;
	int port;

	if (xenhv_gva_read(vcpu, arg, &a, sizeof(a)))
		return -XEN_EFAULT;
	if (a.dom != DOMID_SELF)
		return -XEN_ESRCH;
	port = alloc_port(x, XEN_PORT_UNBOUND, 0);
	if (port < 0)
		return port;
	port_mut(x, port)->remote_dom = a.remote_dom;
	a.port = port;
	if (xenhv_gva_write(vcpu, arg, &a, sizeof(a))) {
		free_port(x, port);
		return -XEN_EFAULT;
	}
	return 0;
}

/* Interdomain binding is only possible within the VM: a loopback pair. */
static long op_bind_interdomain(struct kvm_vcpu *vcpu, struct xen_vm *x, u64 arg)
{
	struct evtchn_bind_interdomain b;
	struct xen_port *r;
	unsigned long flags;
	int port;

	if (xenhv_gva_read(vcpu, arg, &b, sizeof(b)))
		return -XEN_EFAULT;
	if (b.remote_dom != DOMID_SELF)
		return -XEN_ESRCH;
	if (!port_valid(b.remote_port))
		return -XEN_EINVAL;
	r = port_mut(x, b.remote_port);
	if (!r || r->type != XEN_PORT_UNBOUND || r->remote_dom != DOMID_SELF)
		return -XEN_EINVAL;
	port = alloc_port(x, XEN_PORT_LOOPBACK, vcpu->vcpu_idx);
	if (port < 0)
		return port;
	raw_spin_lock_irqsave(&x->lock, flags);
	port_mut(x, port)->remote = b.remote_port;
	r->type = XEN_PORT_LOOPBACK;
	r->remote = port;
	raw_spin_unlock_irqrestore(&x->lock, flags);
	b.local_port = port;
	if (xenhv_gva_write(vcpu, arg, &b, sizeof(b))) {
		free_port(x, port);
		return -XEN_EFAULT;
	}
	return 0;
}

static long op_bind_virq(struct kvm_vcpu *vcpu, struct xen_vm *x, u64 arg)
{
	struct evtchn_bind_virq b;
	struct xen_vcpu *xv;
	int port;

	if (xenhv_gva_read(vcpu, arg, &b, sizeof(b)))
		return -XEN_EFAULT;
	if (b.virq >= NR_VIRQS)
		return -XEN_EINVAL;
	if (!vcpu_index_ok(x, b.vcpu))
		return -XEN_ENOENT;
	xv = xen_vcpu_get(x, kvm_get_vcpu(x->vm->kvm, b.vcpu));
	if (!xv)
		return -XEN_ENOENT;
	if (xv->virq_port[b.virq])
		return -XEN_EEXIST;
	port = alloc_port(x, XEN_PORT_VIRQ, b.vcpu);
	if (port < 0)
		return port;
	port_mut(x, port)->virq = b.virq;
	xv->virq_port[b.virq] = port;
	b.port = port;
	if (xenhv_gva_write(vcpu, arg, &b, sizeof(b))) {
		free_port(x, port);
		return -XEN_EFAULT;
	}
	return 0;
}

static long op_bind_ipi(struct kvm_vcpu *vcpu, struct xen_vm *x, u64 arg)
{
	struct evtchn_bind_ipi b;
	int port;

	if (xenhv_gva_read(vcpu, arg, &b, sizeof(b)))
		return -XEN_EFAULT;
	if (!vcpu_index_ok(x, b.vcpu))
		return -XEN_ENOENT;
	port = alloc_port(x, XEN_PORT_IPI, b.vcpu);
	if (port < 0)
		return port;
	b.port = port;
	if (xenhv_gva_write(vcpu, arg, &b, sizeof(b))) {
		free_port(x, port);
		return -XEN_EFAULT;
	}
	return 0;
}

/* The vCPU index of KVM vCPU id @vcpu_id, or U32_MAX. Any context. */
static u32 kvm_id_to_idx(struct xen_vm *x, u32 vcpu_id)
{
	struct kvm_vcpu *vcpu = kvm_get_vcpu_by_id(x->vm->kvm, vcpu_id);

	return vcpu ? vcpu->vcpu_idx : U32_MAX;
}

/*
 * A send on valid @port. Returns 0, a -XEN_E* error, or 1 when the VMM
 * must see the send: an unbound port with a remote domain and no eventfd
 * bound, and under KVM's uapi every port the VMM did not assign to the
 * kernel or whose event has nowhere to go yet, as KVM has it.
 */
static long __xenhv_hot send_port(struct xen_vm *x, u32 port)
{
	struct xen_send *send = NULL;
	const struct xen_port *p;
	unsigned long flags;
	long ret = 0;
	u32 idx;

	rcu_read_lock();
	raw_spin_lock_irqsave(&x->lock, flags);
	p = port_get(x, port);
	switch (p->type) {
	case XEN_PORT_IPI:
		set_pending_locked(x, port);
		break;
	case XEN_PORT_LOOPBACK:
		set_pending_locked(x, p->remote);
		break;
	case XEN_PORT_UNBOUND:
		send = p->send;
		if (!send && p->remote_dom != DOMID_SELF)
			ret = 1;
		/* Xen drops sends on a port nobody has bound yet. */
		break;
	case XEN_PORT_KVM_EVENTFD:
		send = p->send;
		break;
	case XEN_PORT_KVM_DELIVER:
		idx = kvm_id_to_idx(x, p->vcpu);
		if (idx != U32_MAX && x->shinfo.va && xen_vcpu_info(x, idx))
			deliver_locked(x, p->remote, idx);
		else
			ret = 1;
		break;
	case XEN_PORT_VIRQ:
	default:
		ret = x->kvm_uapi ? 1 : -XEN_EINVAL;
	}
	raw_spin_unlock_irqrestore(&x->lock, flags);
	/* Outside the port lock: the eventfd's wakeups may raise a port. */
	if (send)
		xenhv_eventfd_signal(send->efd);
	rcu_read_unlock();
	return ret;
}

static long op_send(struct kvm_vcpu *vcpu, struct xen_vm *x, u64 arg)
{
	struct evtchn_send s;

	if (xenhv_gva_read(vcpu, arg, &s, sizeof(s)))
		return -XEN_EFAULT;
	if (!port_valid(s.port))
		return -XEN_EINVAL;
	return send_port(x, s.port);
}

static long op_close(struct kvm_vcpu *vcpu, struct xen_vm *x, u64 arg)
{
	struct evtchn_close c;

	if (xenhv_gva_read(vcpu, arg, &c, sizeof(c)))
		return -XEN_EFAULT;
	if (!port_valid(c.port) || port_get(x, c.port)->type == XEN_PORT_FREE)
		return -XEN_EINVAL;
	free_port(x, c.port);
	return 0;
}

static long op_status(struct kvm_vcpu *vcpu, struct xen_vm *x, u64 arg)
{
	struct evtchn_status st;
	const struct xen_port *p;

	if (xenhv_gva_read(vcpu, arg, &st, sizeof(st)))
		return -XEN_EFAULT;
	if (st.dom != DOMID_SELF)
		return -XEN_ESRCH;
	if (!port_valid(st.port))
		return -XEN_EINVAL;
	p = port_get(x, st.port);
	memset(&st.u, 0, sizeof(st.u));
	st.vcpu = p->vcpu;
	switch (p->type) {
	case XEN_PORT_FREE:
		st.status = EVTCHNSTAT_closed;
		break;
	case XEN_PORT_UNBOUND:
		st.status = EVTCHNSTAT_unbound;
		st.u.unbound.dom = p->remote_dom;
		break;
	case XEN_PORT_LOOPBACK:
		st.status = EVTCHNSTAT_interdomain;
		st.u.interdomain.dom = DOMID_SELF;
		st.u.interdomain.port = p->remote;
		break;
	case XEN_PORT_VIRQ:
		st.status = EVTCHNSTAT_virq;
		st.u.virq = p->virq;
		break;
	case XEN_PORT_IPI:
		st.status = EVTCHNSTAT_ipi;
		break;
	}
	return xenhv_gva_write(vcpu, arg, &st, sizeof(st)) ? -XEN_EFAULT : 0;
}

/* A pending, now unmasked port reaches its vCPU, as in Xen's evtchn_unmask. */
static long op_unmask(struct kvm_vcpu *vcpu, struct xen_vm *x, u64 arg)
{
	struct evtchn_unmask u;
	struct shared_info *s;
	unsigned long flags;

	if (xenhv_gva_read(vcpu, arg, &u, sizeof(u)))
		return -XEN_EFAULT;
	if (!port_valid(u.port))
		return -XEN_EINVAL;
	raw_spin_lock_irqsave(&x->lock, flags);
	s = x->shinfo.va;
	if (s && test_and_clear_bit(u.port, (unsigned long *)s->evtchn_mask) &&
	    test_bit(u.port, (unsigned long *)s->evtchn_pending))
		notify_vcpu(x, port_get(x, u.port)->vcpu, u.port);
	raw_spin_unlock_irqrestore(&x->lock, flags);
	return 0;
}

/* Only ports without a fixed vCPU (not VIRQ timer/IPI) may move. */
static long op_bind_vcpu(struct kvm_vcpu *vcpu, struct xen_vm *x, u64 arg)
{
	struct evtchn_bind_vcpu b;
	struct xen_port *p;
	unsigned long flags;

	if (xenhv_gva_read(vcpu, arg, &b, sizeof(b)))
		return -XEN_EFAULT;
	p = port_valid(b.port) ? port_mut(x, b.port) : NULL;
	if (!p || p->type == XEN_PORT_FREE)
		return -XEN_EINVAL;
	if (!vcpu_index_ok(x, b.vcpu))
		return -XEN_ENOENT;
	if (p->type == XEN_PORT_IPI || (p->type == XEN_PORT_VIRQ && p->virq == VIRQ_TIMER))
		return -XEN_EINVAL;
	raw_spin_lock_irqsave(&x->lock, flags);
	p->vcpu = b.vcpu;
	raw_spin_unlock_irqrestore(&x->lock, flags);
	return 0;
}

static long op_reset(struct kvm_vcpu *vcpu, struct xen_vm *x, u64 arg)
{
	struct evtchn_reset r;
	u32 port;

	if (xenhv_gva_read(vcpu, arg, &r, sizeof(r)))
		return -XEN_EFAULT;
	if (r.dom != DOMID_SELF)
		return -XEN_ESRCH;
	for (port = 1; port < XEN_NR_PORTS; port++)
		if (port_get(x, port)->type != XEN_PORT_FREE)
			free_port(x, port);
	return 0;
}

/* *handled false: the VMM must see the call. */
long __xenhv_hot xen_evtchn_op(struct kvm_vcpu *vcpu, struct xen_vm *x, u64 cmd, u64 arg,
			       bool *handled)
{
	long ret;

	/*
	 * The hot one takes no ops_lock: send_port() reads the port under
	 * x->lock, where every writer changes it, and its eventfd under RCU.
	 */
	if (cmd == EVTCHNOP_send) {
		ret = op_send(vcpu, x, arg);
		if (ret == 1) {
			*handled = false;
			ret = 0;
		}
		return ret;
	}
	mutex_lock(&x->ops_lock);
	switch (cmd) {
	case EVTCHNOP_alloc_unbound:
		ret = op_alloc_unbound(vcpu, x, arg);
		break;
	case EVTCHNOP_bind_interdomain:
		ret = op_bind_interdomain(vcpu, x, arg);
		break;
	case EVTCHNOP_bind_virq:
		ret = op_bind_virq(vcpu, x, arg);
		break;
	case EVTCHNOP_bind_ipi:
		ret = op_bind_ipi(vcpu, x, arg);
		break;
	case EVTCHNOP_close:
		ret = op_close(vcpu, x, arg);
		break;
	case EVTCHNOP_status:
		ret = op_status(vcpu, x, arg);
		break;
	case EVTCHNOP_unmask:
		ret = op_unmask(vcpu, x, arg);
		break;
	case EVTCHNOP_bind_vcpu:
		ret = op_bind_vcpu(vcpu, x, arg);
		break;
	case EVTCHNOP_reset:
		ret = op_reset(vcpu, x, arg);
		break;
	case EVTCHNOP_init_control:
	case EVTCHNOP_expand_array:
	case EVTCHNOP_set_priority:
		/* No FIFO ABI: guests fall back to 2-level. */
		ret = -XEN_ENOSYS;
		break;
	default:
		*handled = false;
		ret = 0;
	}
	mutex_unlock(&x->ops_lock);
	return ret;
}

int xen_evtchn_raise(struct xen_vm *x, u32 port)
{
	if (!port_valid(port))
		return -EINVAL;
	xen_evtchn_set_pending(x, port);
	return 0;
}

/* The VMM signalled a raise eventfd: called with its wait queue lock held. */
static int raise_wakeup(wait_queue_entry_t *wait, unsigned int mode, int sync, void *key)
{
	struct xen_raise *r = container_of(wait, struct xen_raise, wait);
	__poll_t flags = key_to_poll(key);
	u64 cnt;

	if (flags & EPOLLIN) {
		eventfd_ctx_do_read(r->efd, &cnt);
		xen_evtchn_set_pending(r->x, r->port);
	}
	return 0;
}

static void raise_ptable(struct file *file, wait_queue_head_t *wqh, poll_table *pt)
{
	struct xen_raise *r = container_of(pt, struct xen_raise, pt);

	r->wqh = wqh;
	add_wait_queue(wqh, &r->wait);
}

static void raise_free(struct xen_raise *r)
{
	u64 cnt;

	eventfd_ctx_remove_wait_queue(r->efd, &r->wait, &cnt);
	eventfd_ctx_put(r->efd);
	kfree(r);
}

static int raise_bind(struct xen_vm *x, u32 port, int fd)
{
	struct xen_raise *r;
	unsigned long flags;
	struct file *file;
	__poll_t events;
	int ret;

	r = kzalloc(sizeof(*r), GFP_KERNEL_ACCOUNT);
	if (!r)
		return -ENOMEM;
	file = fget(fd);
	if (!file) {
		ret = -EBADF;
		goto err;
	}
	r->efd = eventfd_ctx_fileget(file);
	if (IS_ERR(r->efd)) {
		ret = PTR_ERR(r->efd);
		fput(file);
		goto err;
	}
	r->x = x;
	r->port = port;
	init_waitqueue_func_entry(&r->wait, raise_wakeup);
	init_poll_funcptr(&r->pt, raise_ptable);
	list_add_tail(&r->link, &x->raises);
	events = vfs_poll(file, &r->pt);
	fput(file);
	/* A signal from before the binding: taken as a wakeup takes it, locked. */
	if ((events & EPOLLIN) && r->wqh) {
		spin_lock_irqsave(&r->wqh->lock, flags);
		raise_wakeup(&r->wait, 0, 0, poll_to_key(EPOLLIN));
		spin_unlock_irqrestore(&r->wqh->lock, flags);
	}
	return 0;
err:
	kfree(r);
	return ret;
}

static void raise_unbind(struct xen_vm *x, u32 port)
{
	struct xen_raise *r, *tmp;

	list_for_each_entry_safe(r, tmp, &x->raises, link) {
		if (r->port != port)
			continue;
		list_del(&r->link);
		raise_free(r);
	}
}

int xen_evtchn_bind_eventfd(struct xen_vm *x, const struct xenhv_xen_port *b)
{
	struct xen_send *send = NULL, *old;
	unsigned long flags;
	struct xen_port *p;
	int ret = 0;

	if (!port_valid(b->port))
		return -EINVAL;
	mutex_lock(&x->ops_lock);
	p = port_mut(x, b->port);
	if (b->flags & XENHV_PORT_UNBIND) {
		if (b->flags & XENHV_PORT_RAISE_EVENTFD)
			raise_unbind(x, b->port);
		if ((b->flags & XENHV_PORT_SEND_EVENTFD) && p) {
			raw_spin_lock_irqsave(&x->lock, flags);
			old = p->send;
			p->send = NULL;
			raw_spin_unlock_irqrestore(&x->lock, flags);
			send_release(old);
		}
		goto out;
	}
	if (b->flags & XENHV_PORT_SEND_EVENTFD) {
		if (!p || p->type != XEN_PORT_UNBOUND) {
			ret = -EINVAL;	/* only ports the VMM serves */
			goto out;
		}
		send = kzalloc(sizeof(*send), GFP_KERNEL_ACCOUNT);
		if (!send) {
			ret = -ENOMEM;
			goto out;
		}
		send->efd = eventfd_ctx_fdget(b->send_fd);
		if (IS_ERR(send->efd)) {
			ret = PTR_ERR(send->efd);
			kfree(send);
			goto out;
		}
	}
	if (b->flags & XENHV_PORT_RAISE_EVENTFD) {
		ret = raise_bind(x, b->port, b->raise_fd);
		if (ret) {
			if (send) {
				eventfd_ctx_put(send->efd);
				kfree(send);
			}
			goto out;
		}
	}
	if (send) {
		raw_spin_lock_irqsave(&x->lock, flags);
		old = p->send;
		p->send = send;
		raw_spin_unlock_irqrestore(&x->lock, flags);
		send_release(old);
	}
out:
	mutex_unlock(&x->ops_lock);
	return ret;
}

/*
 * KVM's uapi with KVM_XEN_HVM_CONFIG_EVTCHN_SEND (uapi.c). The VMM numbers
 * the ports; the kernel raises the ones it is told to and serves guest
 * sends on the ones assigned to it. Ports are 2-level and limited as KVM
 * limits them: 4096 for a 64-bit guest, 1024 for a 32-bit one.
 */
u32 xen_kvm_max_port(struct xen_vm *x)
{
	return READ_ONCE(x->long_mode) ? XEN_NR_PORTS : XEN_NR_PORTS / 4;
}

/*
 * KVM_XEN_HVM_EVTCHN_SEND: raise @port on the vCPU whose KVM id is
 * @vcpu_id. As KVM: that vCPU needs a vcpu_info and the VM shared_info;
 * a port already pending or masked is not an error. Any context.
 */
int xen_evtchn_kvm_send(struct xen_vm *x, u32 vcpu_id, u32 port)
{
	unsigned long flags;
	u32 idx;
	int ret = 0;

	if (!port || port >= xen_kvm_max_port(x))
		return -EINVAL;
	idx = kvm_id_to_idx(x, vcpu_id);
	if (idx == U32_MAX)
		return -EINVAL;
	raw_spin_lock_irqsave(&x->lock, flags);
	if (!x->shinfo.va || !xen_vcpu_info(x, idx))
		ret = -EINVAL;
	else
		deliver_locked(x, port, idx);
	raw_spin_unlock_irqrestore(&x->lock, flags);
	return ret;
}

/* KVM_XEN_EVTCHN_UPDATE: a new target vCPU for a port delivery. Under ops_lock. */
static int kvm_update(struct xen_vm *x, const struct kvm_xen_hvm_attr *a)
{
	struct xen_port *p = port_mut(x, a->u.evtchn.send_port);
	unsigned long flags;

	if (!p || (p->type != XEN_PORT_KVM_DELIVER && p->type != XEN_PORT_KVM_EVENTFD))
		return -ENOENT;
	/* Only the vCPU and priority of a port delivery may change. */
	if (p->stat != a->u.evtchn.type || p->type != XEN_PORT_KVM_DELIVER ||
	    p->remote != a->u.evtchn.deliver.port.port ||
	    a->u.evtchn.deliver.port.priority != KVM_IRQ_ROUTING_XEN_EVTCHN_PRIO_2LEVEL)
		return -EINVAL;
	raw_spin_lock_irqsave(&x->lock, flags);
	p->vcpu = a->u.evtchn.deliver.port.vcpu;
	raw_spin_unlock_irqrestore(&x->lock, flags);
	return 0;
}

/* Drop the uapi's assignment of @port. Under ops_lock. */
static int kvm_deassign(struct xen_vm *x, u32 port)
{
	const struct xen_port *p = port_get(x, port);

	if (p->type != XEN_PORT_KVM_DELIVER && p->type != XEN_PORT_KVM_EVENTFD)
		return -ENOENT;
	free_port(x, port);
	return 0;
}

static int kvm_assign(struct xen_vm *x, const struct kvm_xen_hvm_attr *a)
{
	u32 port = a->u.evtchn.send_port, to = a->u.evtchn.deliver.port.port;
	struct xen_port np = { .stat = a->u.evtchn.type };
	struct xen_send *send = NULL;
	unsigned long flags;
	struct xen_port *p;

	switch (a->u.evtchn.type) {
	case EVTCHNSTAT_ipi:
		/* An IPI raises the port it is sent on. */
		if (to != port)
			return -EINVAL;
		break;
	case EVTCHNSTAT_interdomain:
		if (to && to >= xen_kvm_max_port(x))
			return -EINVAL;
		break;
	default:
		return -EINVAL;
	}
	if (port_get(x, port)->type != XEN_PORT_FREE)
		return -EEXIST;
	if (to) {
		if (a->u.evtchn.deliver.port.priority != KVM_IRQ_ROUTING_XEN_EVTCHN_PRIO_2LEVEL)
			return -EINVAL;
		np.type = XEN_PORT_KVM_DELIVER;
		np.remote = to;
		np.vcpu = a->u.evtchn.deliver.port.vcpu;
	} else {
		send = kzalloc(sizeof(*send), GFP_KERNEL_ACCOUNT);
		if (!send)
			return -ENOMEM;
		send->efd = eventfd_ctx_fdget(a->u.evtchn.deliver.eventfd.fd);
		if (IS_ERR(send->efd)) {
			int ret = PTR_ERR(send->efd);

			kfree(send);
			return ret;
		}
		np.type = XEN_PORT_KVM_EVENTFD;
		np.send = send;
	}
	p = port_make(x, port);
	if (!p) {
		if (send) {
			eventfd_ctx_put(send->efd);
			kfree(send);
		}
		return -ENOMEM;
	}
	raw_spin_lock_irqsave(&x->lock, flags);
	*p = np;
	raw_spin_unlock_irqrestore(&x->lock, flags);
	return 0;
}

/* KVM_XEN_ATTR_TYPE_EVTCHN, with KVM's answers. */
int xen_evtchn_kvm_assign(struct xen_vm *x, const struct kvm_xen_hvm_attr *a)
{
	u32 port = a->u.evtchn.send_port;
	int ret;

	mutex_lock(&x->ops_lock);
	if (a->u.evtchn.flags == KVM_XEN_EVTCHN_RESET) {
		for (port = 1; port < XEN_NR_PORTS; port++)
			kvm_deassign(x, port);
		ret = 0;
	} else if (!port || port >= xen_kvm_max_port(x)) {
		ret = -EINVAL;
	} else if (a->u.evtchn.flags == KVM_XEN_EVTCHN_DEASSIGN) {
		ret = kvm_deassign(x, port);
	} else if (a->u.evtchn.flags == KVM_XEN_EVTCHN_UPDATE) {
		ret = kvm_update(x, a);
	} else if (a->u.evtchn.flags) {
		ret = -EINVAL;
	} else {
		ret = kvm_assign(x, a);
	}
	mutex_unlock(&x->ops_lock);
	return ret;
}

/*
 * The guest's EVTCHNOP_send under KVM's uapi: served here on a port the
 * VMM assigned, else (*handled false) the VMM's, as KVM does, also when
 * the target vCPU is gone or the event has nowhere to go yet.
 */
long __xenhv_hot xen_evtchn_kvm_guest_send(struct kvm_vcpu *vcpu, struct xen_vm *x, u64 arg,
					   bool *handled)
{
	struct evtchn_send s;
	long ret;

	if (xenhv_gva_read(vcpu, arg, &s, sizeof(s)))
		return -XEN_EFAULT;
	ret = port_valid(s.port) ? send_port(x, s.port) : 1;
	if (ret == 1) {
		*handled = false;
		ret = 0;
	}
	return ret;
}

/*
 * Drop the VMM's eventfds. At detach the caller holds ops_lock; when KVM
 * destroys the VM nothing else can run on @x (atomic context: nothing here
 * sleeps).
 */
void xen_evtchn_teardown(struct xen_vm *x)
{
	struct xen_raise *r, *tmp;
	struct xen_send *send;
	unsigned long flags;
	struct xen_port *p;
	u32 port;

	list_for_each_entry_safe(r, tmp, &x->raises, link) {
		list_del(&r->link);
		raise_free(r);
	}
	for (port = 1; port < XEN_NR_PORTS; port++) {
		p = port_mut(x, port);
		if (!p)
			continue;
		raw_spin_lock_irqsave(&x->lock, flags);
		send = p->send;
		p->send = NULL;
		raw_spin_unlock_irqrestore(&x->lock, flags);
		send_release(send);
	}
}
