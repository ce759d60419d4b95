/* SPDX-License-Identifier: GPL-2.0 */
#ifndef XENHV_UNIT_LINUX_BITOPS_H
#define XENHV_UNIT_LINUX_BITOPS_H
#include <linux/bits.h>
#define hweight64(x)	((unsigned int)__builtin_popcountll(x))
#endif
