// SPDX-License-Identifier: GPL-2.0
/*
 * hv2xen decoders (see decode.h). Pure: compiled unchanged by tests/unit.
 */
#include "decode.h"

#define HV_FLUSH_FLAGS		(HV_FLUSH_ALL_PROCESSORS | \
				 HV_FLUSH_ALL_VIRTUAL_ADDRESS_SPACES | \
				 HV_FLUSH_NON_GLOBAL_MAPPINGS_ONLY)
#define HV_PAGE_BYTES		((u64)HV_HYP_PAGE_SIZE)

void hv_call_decode(struct hv_call *c, u64 control, u64 ingpa, u64 outgpa, bool longmode)
{
	c->control = control;
	c->ingpa = ingpa;
	c->outgpa = outgpa;
	c->longmode = longmode;
	c->code = control & 0xffff;
	c->fast = control & HV_HYPERCALL_FAST_BIT;
	c->varhead = (control & HV_HYPERCALL_VARHEAD_MASK) >> HV_HYPERCALL_VARHEAD_OFFSET;
	c->rep_cnt = (control & HV_HYPERCALL_REP_COMP_MASK) >> HV_HYPERCALL_REP_COMP_OFFSET;
	c->rep_idx = (control & HV_HYPERCALL_REP_START_MASK) >> HV_HYPERCALL_REP_START_OFFSET;
	c->reps = 0;
}

bool hv_call_simple(const struct hv_call *c)
{
	return !c->rep_cnt && !c->rep_idx && !c->varhead;
}

bool hv_block_ok(u64 gpa, u64 len)
{
	/* len is at most a few pages' worth: no wrap. */
	return !(gpa & 7) && len <= HV_PAGE_BYTES &&
	       (gpa & (HV_PAGE_BYTES - 1)) + len <= HV_PAGE_BYTES;
}

u16 hv_flush_check(const struct hv_call *c, bool *ex, u64 *len)
{
	bool list = c->code == HVCALL_FLUSH_VIRTUAL_ADDRESS_LIST ||
		    c->code == HVCALL_FLUSH_VIRTUAL_ADDRESS_LIST_EX;

	*ex = c->code == HVCALL_FLUSH_VIRTUAL_ADDRESS_SPACE_EX ||
	      c->code == HVCALL_FLUSH_VIRTUAL_ADDRESS_LIST_EX;
	if (c->fast || (!*ex && c->varhead) || (!list && (c->rep_cnt || c->rep_idx)) ||
	    c->rep_idx > c->rep_cnt)
		return HV_STATUS_INVALID_HYPERCALL_INPUT;
	/* varhead and rep_cnt are 10 and 12 bits wide: no overflow. */
	*len = HV_FLUSH_HDR + (*ex ? HV_VPSET_HDR + (u64)c->varhead * sizeof(u64) : sizeof(u64)) +
	       (u64)c->rep_cnt * sizeof(u64);
	return HV_STATUS_SUCCESS;
}

u16 hv_flush_flags_check(u64 flags)
{
	return flags & ~(u64)HV_FLUSH_FLAGS ? HV_STATUS_INVALID_PARAMETER : HV_STATUS_SUCCESS;
}

u16 hv_ipi_check(const struct hv_call *c, bool *ex, u64 *len)
{
	*ex = c->code == HVCALL_SEND_IPI_EX;
	if (c->rep_cnt || c->rep_idx || (!*ex && c->varhead) || (*ex && c->fast))
		return HV_STATUS_INVALID_HYPERCALL_INPUT;
	*len = *ex ? HV_IPI_HDR + HV_VPSET_HDR + (u64)c->varhead * sizeof(u64) :
		     2 * sizeof(u64);
	return HV_STATUS_SUCCESS;
}

u16 hv_ipi_vector_check(u64 word)
{
	/* Vector in bits 31:0; target VTL and reserved bytes must be 0. */
	if ((word >> 32) || (u32)word < HV_SYNIC_FIRST_VALID_VECTOR || (u32)word > 255)
		return HV_STATUS_INVALID_PARAMETER;
	return HV_STATUS_SUCCESS;
}

u16 hv_signal_check(const struct hv_call *c)
{
	return c->rep_cnt || c->rep_idx || c->varhead ? HV_STATUS_INVALID_HYPERCALL_INPUT :
							  HV_STATUS_SUCCESS;
}

u16 hv_signal_input(u64 word, u32 *conn_id, u16 *flag)
{
	/* struct hv_input_signal_event: connection id, flag number, rsvdz. */
	*conn_id = (u32)word;
	*flag = (u16)(word >> 32);
	return word >> 48 ? HV_STATUS_INVALID_PARAMETER : HV_STATUS_SUCCESS;
}

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
