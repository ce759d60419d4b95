// SPDX-License-Identifier: GPL-2.0
/*
 * xenhv_shim: present the Xen or the Hyper-V enlightenment ABI to a KVM VM.
 *
 * This file is only the init/exit ladder and the module metadata.
 */
#include <linux/module.h>

#include "version.h"

static int __init xenhv_init(void)
{
	pr_info("version %s loaded\n", XENHV_VERSION);
	return 0;
}

static void __exit xenhv_exit(void)
{
	pr_info("unloaded\n");
}

module_init(xenhv_init);
module_exit(xenhv_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Xen and Hyper-V enlightenment ABIs for KVM guests, chosen per VM");
MODULE_VERSION(XENHV_VERSION);
MODULE_SOFTDEP("pre: kvm");
