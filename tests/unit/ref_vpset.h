/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A bit-by-bit reference for hv_vpset_decode(): VP i*64+j is in the set when
 * bank i is valid, bit j of its contents is set, and the VP exists.
 */
#ifndef XENHV_UNIT_REF_VPSET_H
#define XENHV_UNIT_REF_VPSET_H
#include <string.h>

static inline void ref_vpset(const u64 *hdr, const u64 *bank, u32 nr_vps, unsigned long *b,
			     u32 nbits)
{
	u32 i, j, k = 0;

	memset(b, 0, nbits / 8);
	for (i = 0; i < 64; i++) {
		if (!(hdr[1] >> i & 1))
			continue;
		for (j = 0; j < 64; j++) {
			u32 vp = i * 64 + j;

			if (bank[k] >> j & 1 && vp < nr_vps && vp < nbits)
				b[vp / 64] |= 1ul << (vp % 64);
		}
		k++;
	}
}
#endif
