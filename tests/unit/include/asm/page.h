/* SPDX-License-Identifier: GPL-2.0 */
#ifndef XENHV_UNIT_ASM_PAGE_H
#define XENHV_UNIT_ASM_PAGE_H
#define PAGE_SHIFT	12
#define PAGE_SIZE	(1UL << PAGE_SHIFT)
#endif
