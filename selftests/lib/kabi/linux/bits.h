/* SPDX-License-Identifier: GPL-2.0 */
#ifndef XENHV_KABI_BITS_H
#define XENHV_KABI_BITS_H
#define BIT(n)		(1ul << (n))
#define BIT_ULL(n)	(1ull << (n))
#define GENMASK(h, l)	((~0ul << (l)) & (~0ul >> (63 - (h))))
#define GENMASK_ULL(h, l) ((~0ull << (l)) & (~0ull >> (63 - (h))))
#endif
