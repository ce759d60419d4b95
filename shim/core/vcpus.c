// SPDX-License-Identifier: GPL-2.0
/*
 * The per-vCPU table both ABIs keep their vCPU state in (core.h).
 */
#include <linux/slab.h>

#include "core.h"

void xenhv_vcpu_table_init(struct xenhv_vcpu_table *t, struct kvm *kvm)
{
	memset(t, 0, sizeof(*t));
	t->nr = min_t(u32, kvm->max_vcpus, KVM_MAX_VCPUS);
}

/*
 * Install @p at @idx unless an entry is there already: returns the entry
 * that is there now (@p, or the one another thread installed first; the
 * caller frees its own then), or NULL when @idx is out of range or a block
 * cannot be allocated. Process context.
 */
void *xenhv_vcpu_table_set(struct xenhv_vcpu_table *t, u32 idx, void *p)
{
	void **b, **nb, *old;

	if (idx >= t->nr)
		return NULL;
	b = READ_ONCE(t->blocks[idx / XENHV_VCPU_BLOCK]);
	if (!b) {
		nb = kcalloc(XENHV_VCPU_BLOCK, sizeof(*nb), GFP_KERNEL_ACCOUNT);
		if (!nb)
			return NULL;
		/* The zeroed block before its pointer: cmpxchg orders both. */
		b = cmpxchg(&t->blocks[idx / XENHV_VCPU_BLOCK], NULL, nb);
		if (b)
			kfree(nb);
		else
			b = nb;
	}
	old = cmpxchg(&b[idx % XENHV_VCPU_BLOCK], NULL, p);
	return old ?: p;
}

/* The entries are the caller's to free first. */
void xenhv_vcpu_table_free(struct xenhv_vcpu_table *t)
{
	u32 i;

	for (i = 0; i < ARRAY_SIZE(t->blocks); i++) {
		kfree(t->blocks[i]);
		t->blocks[i] = NULL;
	}
	t->nr = 0;
}

/*
 * Bytes of the blocks and of the entries (kmalloc'ed state), the table
 * itself being in its owner; while the entries cannot be freed.
 */
size_t xenhv_vcpu_table_bytes(struct xenhv_vcpu_table *t)
{
	size_t n = 0;
	void **b;
	u32 i, j;

	for (i = 0; i < ARRAY_SIZE(t->blocks); i++) {
		b = READ_ONCE(t->blocks[i]);
		if (!b)
			continue;
		n += ksize(b);
		for (j = 0; j < XENHV_VCPU_BLOCK; j++)
			if (READ_ONCE(b[j]))
				n += ksize(READ_ONCE(b[j]));
	}
	return n;
}
