/* SPDX-License-Identifier: GPL-2.0 */
#ifndef XENHV_HOT_H
#define XENHV_HOT_H

#include <linux/compiler.h>

/*
 * The hot path (the hooks' trampolines and wrappers, the VM lookup, each
 * ABI's hypercall entry and its common calls) in a text section of its
 * own: kept together, a call touches a page or two of the module's text
 * rather than a page of each file it passes through. (7.x's module linker
 * script merges .text.* sections into .text: there it keeps no order.)
 */
#define __xenhv_hot	__section(".text.xenhv_hot")

#endif /* XENHV_HOT_H */
