/* SPDX-License-Identifier: GPL-2.0 */
/* Host-side helpers for /dev/xenhv_shim. */
#ifndef XENHV_SELFTEST_XENHV_H
#define XENHV_SELFTEST_XENHV_H

#include <linux/xenhv_shim.h>

#include "vm.h"

/* Open the control device; skips the test when the module is not loaded. */
int xenhv_open(void);
/* XENHV_ATTACH_VM; returns 0 or -errno. @cfg may be NULL. */
int xenhv_attach(struct vm *vm, uint32_t abi, uint32_t flags, const void *cfg, size_t len);
void xenhv_attach_ok(struct vm *vm, uint32_t abi, uint32_t flags);
int xenhv_detach(struct vm *vm);
/* XENHV_GET_VM_STATS by VM fd; returns 0 or -errno. */
int xenhv_stats(struct vm *vm, struct xenhv_vm_stats *st);

#endif
