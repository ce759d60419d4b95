// SPDX-License-Identifier: GPL-2.0
/*
 * hv2xen decoders (see decode.h): the processor sets. The checks of
 * every call are inline in decode.h. Pure: compiled unchanged by tests/unit.
 */
#include "decode.h"

static void bits_zero(unsigned long *bits, u32 nbits)
{
	u32 i;

	for (i = 0; i < (nbits + 63) / 64; i++)
		bits[i] = 0;
}

/* The part of a 64-VP bank starting at VP @first that has vCPUs. */
static u64 bank_clip(u64 bank, u32 first, u32 n)
{
	if (first >= n)
		return 0;
	if (n - first < 64)
		bank &= GENMASK_ULL(n - first - 1, 0);
	return bank;
}

void hv_vpmask_from_u64(u64 mask, u32 nr_vps, unsigned long *bits, u32 nbits)
{
	bits_zero(bits, nbits);
	if (nbits)
		bits[0] = bank_clip(mask, 0, nr_vps < nbits ? nr_vps : nbits);
}

void hv_vpmask_all(u32 nr_vps, unsigned long *bits, u32 nbits)
{
	u32 n = nr_vps < nbits ? nr_vps : nbits, i;

	bits_zero(bits, nbits);
	for (i = 0; i < n; i += 64)
		bits[i / 64] = bank_clip(~0ull, i, n);
}

u16 hv_vpset_check(const u64 *hdr, u16 banks, bool *all)
{
	*all = false;
	switch (hdr[0]) {
	case HV_GENERIC_SET_ALL:
		if (banks)
			return HV_STATUS_INVALID_HYPERCALL_INPUT;
		*all = true;
		return HV_STATUS_SUCCESS;
	case HV_GENERIC_SET_SPARSE_4K:
		break;
	default:
		return HV_STATUS_INVALID_PARAMETER;
	}
	/* So at most HV_VPSET_MAX_BANKS qwords follow. */
	if (hweight64(hdr[1]) != banks)
		return HV_STATUS_INVALID_HYPERCALL_INPUT;
	return HV_STATUS_SUCCESS;
}

void hv_vpset_decode(const u64 *hdr, const u64 *bank, u32 nr_vps, unsigned long *bits,
		     u32 nbits)
{
	u32 n = nr_vps < nbits ? nr_vps : nbits, i, k = 0;

	bits_zero(bits, nbits);
	for (i = 0; i < HV_VPSET_MAX_BANKS; i++) {
		if (!(hdr[1] & BIT_ULL(i)))
			continue;
		if (i * 64 < nbits)
			bits[i] = bank_clip(bank[k], i * 64, n);
		k++;
	}
}
