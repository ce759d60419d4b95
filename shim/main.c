// SPDX-License-Identifier: GPL-2.0
/*
 * xenhv_shim: present the Xen or the Hyper-V enlightenment ABI to a KVM VM.
 *
 * This file is only the init/exit ladder and the module metadata.
 */
#include <linux/module.h>

#include "version.h"
#include "xenhv.h"
#include "compat/kvm.h"

static int __init xenhv_init(void)
{
	int ret;

	ret = xenhv_compat_init();
	if (ret)
		return ret;
	ret = xenhv_vm_init();
	if (ret)
		goto err_compat;
	ret = xenhv_hook_init();
	if (ret)
		goto err_vm;
	ret = xenhv_dev_init();
	if (ret)
		goto err_hook;
	pr_info("version %s loaded\n", XENHV_VERSION);
	return 0;

err_hook:
	xenhv_hook_exit();
err_vm:
	xenhv_vm_exit();
err_compat:
	xenhv_compat_exit();
	return ret;
}

/* No VM can be attached here: each attachment holds a module reference. */
static void __exit xenhv_exit(void)
{
	xenhv_dev_exit();
	xenhv_hook_exit();
	rcu_barrier();	/* RCU callbacks of destroyed VMs: records, connections */
	xenhv_vm_exit();
	xenhv_compat_exit();
	pr_info("unloaded\n");
}

module_init(xenhv_init);
module_exit(xenhv_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Xen and Hyper-V enlightenment ABIs for KVM guests, chosen per VM");
MODULE_VERSION(XENHV_VERSION);
MODULE_SOFTDEP("pre: kvm");
