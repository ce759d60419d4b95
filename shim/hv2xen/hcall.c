// SPDX-License-Identifier: GPL-2.0
/*
 * hv2xen: the hypercalls that take processor sets, and SignalEvent.
 *
 *  - FlushVirtualAddressSpace/List (and Ex): Xen's HVMOP_flush_tlbs, for
 *    the selected vCPUs instead of all: each flushes its whole guest TLB
 *    before the call returns;
 *  - SendSyntheticClusterIpi (and Ex): an event-channel IPI per target,
 *    delivered as the vector itself;
 *  - SignalEvent: EVTCHNOP_send on a port the VMM bound (XENHV_HV_BIND_CONN):
 *    an eventfd, or an event flag of a vCPU's SIEF page.
 *
 * Every length, count and index comes from the guest and is checked before
 * use; see Documentation/hv2xen.rst for which error each check gives.
 */
#include <linux/bitmap.h>
#include <linux/file.h>
#include <linux/slab.h>

#include "hv.h"

struct hv_vpmask {
	DECLARE_BITMAP(bits, KVM_MAX_VCPUS);
};

/*
 * A struct hv_vpset at @gpa whose bank_contents are the call's variable
 * header (@banks qwords). The caller checked that the block is in one page.
 * The banks are read into the calling vCPU's buffer.
 */
static u16 vpmask_from_set(struct kvm_vcpu *vcpu, struct hv_vm *h, u64 gpa, u16 banks,
			   struct hv_vpmask *m)
{
	struct hv_vcpu *hvc = hv_vcpu_get(h, vcpu);
	u64 hdr[HV_VPSET_HDR_QWORDS];
	bool all;
	u16 status;

	if (!hvc || xenhv_gpa_read(vcpu, gpa, hdr, sizeof(hdr)))
		return HV_STATUS_INVALID_HYPERCALL_INPUT;
	status = hv_vpset_check(hdr, banks, &all);
	if (status)
		return status;
	if (all) {
		hv_vpmask_all(hv_nr_vps(h), m->bits, KVM_MAX_VCPUS);
		return HV_STATUS_SUCCESS;
	}
	/* hv_vpset_check() bounded banks by HV_VPSET_MAX_BANKS. */
	if (banks && xenhv_gpa_read(vcpu, gpa + sizeof(hdr), hvc->vpset_bank,
				    banks * sizeof(u64)))
		return HV_STATUS_INVALID_HYPERCALL_INPUT;
	hv_vpset_decode(hdr, hvc->vpset_bank, hv_nr_vps(h), m->bits, KVM_MAX_VCPUS);
	return HV_STATUS_SUCCESS;
}

static void hv_nop(void *info)
{
}

/*
 * Flush the guest TLB of every vCPU in @bits (NULL: every vCPU, which are
 * VPs 0 .. hv_nr_vps() - 1) before returning: each gets
 * KVM_REQ_TLB_FLUSH_GUEST, and a vCPU that is not outside guest mode (in
 * it, exiting it, or reading shadow page tables, any of which can reach
 * guest mode again before it sees the request) is sent an IPI the caller
 * waits for, as KVM_REQUEST_WAIT does for KVM's own.
 */
static void hv_flush_vcpus(struct kvm_vcpu *self, const unsigned long *bits, u32 nbits)
{
	struct kvm_vcpu *v;
	unsigned long i;
	int cpu;

	kvm_for_each_vcpu(i, v, self->kvm) {
		if (bits && (i >= nbits || !test_bit(i, bits)))
			continue;
		kvm_make_request(KVM_REQ_TLB_FLUSH_GUEST, v);
		if (v == self)
			continue;
		cpu = READ_ONCE(v->cpu);
		if (kvm_vcpu_exiting_guest_mode(v) != OUTSIDE_GUEST_MODE && cpu >= 0 &&
		    cpu_online(cpu))
			smp_call_function_single(cpu, hv_nop, NULL, 1);
	}
}

/*
 * The Ex flush: a VP set, read into a mask of every vCPU and checked even
 * when all VPs are named. Off the stack of the 64-VP call: the decoder
 * writes all of the mask, which is not zeroed on entry too.
 */
static noinline u16 flush_set(struct kvm_vcpu *vcpu, struct hv_vm *h, struct hv_call *c,
			      bool all)
{
	struct hv_vpmask m __uninitialized;
	u16 status;

	status = vpmask_from_set(vcpu, h, c->ingpa + HV_FLUSH_HDR, c->varhead, &m);
	if (status)
		return status;
	hv_flush_vcpus(vcpu, all ? NULL : m.bits, KVM_MAX_VCPUS);
	return HV_STATUS_SUCCESS;
}

u16 __xenhv_hot hv_call_flush(struct kvm_vcpu *vcpu, struct hv_vm *h, struct hv_call *c)
{
	unsigned long bits;
	u64 hdr[3], len;
	bool ex, all;
	u16 status;

	status = hv_flush_check(c, &ex, &len);
	if (status)
		return status;
	if (!hv_block_ok(c->ingpa, len))
		return HV_STATUS_INVALID_ALIGNMENT;
	if (xenhv_gpa_read(vcpu, c->ingpa, hdr, ex ? HV_FLUSH_HDR : sizeof(hdr)))
		return HV_STATUS_INVALID_HYPERCALL_INPUT;
	status = hv_flush_flags_check(hdr[1]);
	if (status)
		return status;
	/*
	 * A non-Ex flush with an empty mask flushes all: Windows Server 2012
	 * sends it without HV_FLUSH_ALL_PROCESSORS and relies on it, as KVM
	 * knows.
	 */
	all = (hdr[1] & HV_FLUSH_ALL_PROCESSORS) || (!ex && !hdr[2]);
	if (ex) {
		status = flush_set(vcpu, h, c, all);
		if (status)
			return status;
	} else if (all) {
		hv_flush_vcpus(vcpu, NULL, 0);
	} else {
		/* VPs 0 to 63: their mask as it is. */
		hv_vpmask_from_u64(hdr[2], hv_nr_vps(h), &bits, BITS_PER_LONG);
		hv_flush_vcpus(vcpu, &bits, BITS_PER_LONG);
	}
	/* The address list only narrows the flush: every target flushes all. */
	c->reps = c->rep_cnt;
	return HV_STATUS_SUCCESS;
}

/*
 * HvCallSendSyntheticClusterIpiEx: a VP set, read into a mask of every
 * vCPU, kept off the stack of the 64-VP call.
 */
static noinline u16 send_ipi_set(struct kvm_vcpu *vcpu, struct hv_vm *h, struct hv_call *c,
				 u8 vector)
{
	struct hv_vpmask m __uninitialized;	/* the decoders write all of it */
	struct kvm_vcpu *v;
	unsigned long i;
	u16 status;

	status = vpmask_from_set(vcpu, h, c->ingpa + HV_IPI_HDR, c->varhead, &m);
	if (status)
		return status;
	kvm_for_each_vcpu(i, v, vcpu->kvm) {
		if (i >= KVM_MAX_VCPUS || !test_bit(i, m.bits))
			continue;
		xenhv_send_vector(v, vector);
		hv_wake_idle(h, i);
	}
	return HV_STATUS_SUCCESS;
}

u16 __xenhv_hot hv_call_send_ipi(struct kvm_vcpu *vcpu, struct hv_vm *h, struct hv_call *c)
{
	unsigned long i, mask;
	struct kvm_vcpu *v;
	u64 hdr[2], len;
	u16 status;
	bool ex;

	status = hv_ipi_check(c, &ex, &len);
	if (status)
		return status;
	if (c->fast) {
		hdr[0] = c->ingpa;
		hdr[1] = c->outgpa;
	} else {
		if (!hv_block_ok(c->ingpa, len))
			return HV_STATUS_INVALID_ALIGNMENT;
		if (xenhv_gpa_read(vcpu, c->ingpa, hdr, ex ? HV_IPI_HDR : sizeof(hdr)))
			return HV_STATUS_INVALID_HYPERCALL_INPUT;
	}
	status = hv_ipi_vector_check(hdr[0]);
	if (status)
		return status;
	if (!xenhv_guest_has_lapic(vcpu))
		return HV_STATUS_INVALID_PARAMETER;
	if (ex)
		return send_ipi_set(vcpu, h, c, hdr[0]);
	/* VPs 0 to 63: their mask as it is, no set of KVM_MAX_VCPUS to build. */
	mask = hdr[1];
	for_each_set_bit(i, &mask, min_t(u32, hv_nr_vps(h), 64)) {
		v = xenhv_vcpu_peer(vcpu, i);
		if (!v)
			continue;
		xenhv_send_vector(v, hdr[0]);
		hv_wake_idle(h, i);
	}
	return HV_STATUS_SUCCESS;
}

/*
 * xa_load() inside the caller's RCU section, without a section of its own:
 * the bindings are freed after a grace period (hv_conn_free()).
 */
static __always_inline struct hv_conn *hv_conn_find(struct hv_vm *h, u32 id)
{
	XA_STATE(xas, &h->conns, id);
	struct hv_conn *conn;

	do {
		conn = xas_load(&xas);
		if (xa_is_zero(conn))
			conn = NULL;
	} while (xas_retry(&xas, conn));
	return conn;
}

u16 __xenhv_hot hv_call_signal_event(struct kvm_vcpu *vcpu, struct hv_vm *h, struct hv_call *c,
				     bool *to_user)
{
	struct hv_conn *conn;
	u16 status, in_flag;
	u32 vp = 0, sint = 0, flag = 0, conn_id;
	u64 word;

	status = hv_signal_check(c);
	if (status)
		return status;
	if (c->fast) {
		word = c->ingpa;
	} else {
		if (!hv_block_ok(c->ingpa, sizeof(word)))
			return HV_STATUS_INVALID_ALIGNMENT;
		if (xenhv_gpa_read(vcpu, c->ingpa, &word, sizeof(word)))
			return HV_STATUS_INVALID_HYPERCALL_INPUT;
	}
	status = hv_signal_input(word, &conn_id, &in_flag);
	if (status)
		return status;
	rcu_read_lock();
	conn = hv_conn_find(h, conn_id);
	if (!conn) {
		*to_user = true;
	} else if (conn->efd) {
		if (in_flag)
			status = HV_STATUS_INVALID_PARAMETER;
		else
			xenhv_eventfd_signal(conn->efd);
	} else if (conn->flag + in_flag >= HV_EVENT_FLAGS_COUNT) {
		status = HV_STATUS_INVALID_PARAMETER;
	} else {
		vp = conn->vp;
		sint = conn->sint;
		flag = conn->flag + in_flag;
		status = U16_MAX;
	}
	rcu_read_unlock();
	if (status == U16_MAX) {
		hv_synic_signal(h, vp, sint, flag);
		status = HV_STATUS_SUCCESS;
	}
	return status;
}

/* HvExtCallQueryCapabilities: no further extended calls. */
u16 hv_call_ext_query(struct kvm_vcpu *vcpu, struct hv_call *c)
{
	u64 caps = 0;

	if (c->fast || !hv_call_simple(c))
		return HV_STATUS_INVALID_HYPERCALL_INPUT;
	if (!hv_block_ok(c->outgpa, sizeof(caps)))
		return HV_STATUS_INVALID_ALIGNMENT;
	if (xenhv_gpa_write(vcpu, c->outgpa, &caps, sizeof(caps)))
		return HV_STATUS_OPERATION_DENIED;
	return HV_STATUS_SUCCESS;
}

static void hv_conn_free(struct rcu_head *rcu)
{
	struct hv_conn *conn = container_of(rcu, struct hv_conn, rcu);

	if (conn->efd)
		eventfd_ctx_put(conn->efd);
	kfree(conn);
}

/* XENHV_HV_BIND_CONN. Process context; the caller holds no shim lock. */
int hv_bind_conn(struct hv_vm *h, const struct xenhv_hv_conn *b)
{
	u32 mode = b->flags & XENHV_CONN_FLAGS;
	struct hv_conn *conn, *old;
	int ret;

	if (b->flags & ~XENHV_CONN_FLAGS || hweight32(mode) != 1 || b->reserved0 ||
	    memchr_inv(b->reserved, 0, sizeof(b->reserved)) || b->conn_id > XENHV_CONN_ID_MAX)
		return -EINVAL;
	if (mode == XENHV_CONN_UNBIND) {
		if (b->fd != -1 || b->vp_index || b->sint || b->flag)
			return -EINVAL;
		mutex_lock(&h->ops_lock);
		old = xa_erase(&h->conns, b->conn_id);
		mutex_unlock(&h->ops_lock);
		if (!old)
			return -ENOENT;
		call_rcu(&old->rcu, hv_conn_free);
		return 0;
	}
	conn = kzalloc(sizeof(*conn), GFP_KERNEL_ACCOUNT);
	if (!conn)
		return -ENOMEM;
	if (mode == XENHV_CONN_EVENTFD) {
		if (b->vp_index || b->sint || b->flag) {
			ret = -EINVAL;
			goto err;
		}
		conn->efd = eventfd_ctx_fdget(b->fd);
		if (IS_ERR(conn->efd)) {
			ret = PTR_ERR(conn->efd);
			conn->efd = NULL;
			goto err;
		}
	} else {
		if (b->fd != -1 || b->sint >= HV_NR_SINTS || b->flag >= HV_EVENT_FLAGS_COUNT ||
		    b->vp_index >= hv_nr_vps(h)) {
			ret = -EINVAL;
			goto err;
		}
		conn->vp = b->vp_index;
		conn->sint = b->sint;
		conn->flag = b->flag;
	}
	mutex_lock(&h->ops_lock);
	ret = xa_insert(&h->conns, b->conn_id, conn, GFP_KERNEL_ACCOUNT);
	mutex_unlock(&h->ops_lock);
	if (ret == -EBUSY)
		ret = -EEXIST;
	if (!ret)
		return 0;
err:
	hv_conn_free(&conn->rcu);
	return ret;
}

/* Release every binding. Any context. */
void hv_conns_teardown(struct hv_vm *h)
{
	struct hv_conn *conn;
	unsigned long id;

	xa_for_each(&h->conns, id, conn) {
		xa_erase(&h->conns, id);
		call_rcu(&conn->rcu, hv_conn_free);
	}
}
