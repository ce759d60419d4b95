/* SPDX-License-Identifier: GPL-2.0 */
#ifndef XENHV_KABI_PAGE_H
#define XENHV_KABI_PAGE_H
#define PAGE_SHIFT	12
#define PAGE_SIZE	(1ul << PAGE_SHIFT)
#endif
