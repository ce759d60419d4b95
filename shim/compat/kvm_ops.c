// SPDX-License-Identifier: GPL-2.0
/*
 * The guest's CPL and code-segment mode come from the vendor module's
 * get_cpl/get_cs_db_l_bits, which KVM only reaches through kvm_x86_ops, a
 * symbol kvm.ko does not export. It is located once at load through the
 * kprobes symbol resolver (register_kprobe() fills in the address before it
 * rejects a probe on data) and checked before use. kvm.ko cannot go away
 * while this module is loaded (it uses kvm.ko's exports); the table's
 * contents are read at each use, so reloading kvm_amd/kvm_intel is safe.
 */
#include <linux/kprobes.h>
#include <linux/kvm_host.h>

#include "kvm_ops.h"

static const struct kvm_x86_ops *kvm_ops;

static unsigned long lookup_symbol(const char *name)
{
	struct kprobe kp = { .symbol_name = name };
	unsigned long addr;
	int ret;

	ret = register_kprobe(&kp);
	addr = IS_ERR_OR_NULL(kp.addr) ? 0 : (unsigned long)kp.addr;
	if (!ret)
		unregister_kprobe(&kp);
	return addr;
}

const struct kvm_x86_ops *xenhv_kvm_ops(void)
{
	return kvm_ops;
}

int xenhv_compat_init(void)
{
	const struct kvm_x86_ops *ops;

	ops = (const struct kvm_x86_ops *)lookup_symbol("kvm_x86_ops");
	if (!ops) {
		pr_err("cannot locate kvm_x86_ops\n");
		return -ENOENT;
	}
	if (!ops->name || !ops->get_cpl || !ops->get_cs_db_l_bits) {
		pr_err("no KVM vendor module (kvm_amd or kvm_intel) is loaded\n");
		return -ENODEV;
	}
	kvm_ops = ops;
	return 0;
}
