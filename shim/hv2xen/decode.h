/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hv2xen decoders: the Hyper-V hypercall input value, the fixed input
 * blocks and the sparse processor sets, as pure functions of values the
 * caller read from the guest. No guest access, no locks, no allocation:
 * tests/unit compiles decode.c unchanged in userspace for unit tests and
 * libFuzzer. Each returns an HV_STATUS_* code where it can fail.
 */
#ifndef XENHV_HV2XEN_DECODE_H
#define XENHV_HV2XEN_DECODE_H

#include <linux/types.h>
#include <linux/bits.h>
#include <linux/bitops.h>
#include "compat/hyperv-tlfs.h"

/* A decoded hypercall input value; @reps is the rep count completed. */
struct hv_call {
	u64 control;
	u64 ingpa;
	u64 outgpa;
	u16 code;
	bool fast;
	u16 varhead;
	u16 rep_cnt;
	u16 rep_idx;
	u16 reps;
	bool longmode;
};

/* A sparse VP set has at most 64 banks of 64 VP indexes. */
#define HV_VPSET_MAX_BANKS	64
#define HV_VPSET_HDR_QWORDS	2	/* format, valid bank mask */

/* The fixed parts of the inputs (hyperv-tlfs.h layouts). */
#define HV_FLUSH_HDR		(2 * sizeof(u64))	/* address space, flags */
#define HV_VPSET_HDR		(HV_VPSET_HDR_QWORDS * sizeof(u64))
#define HV_IPI_HDR		sizeof(u64)		/* vector, reserved */

#define HV_FLUSH_FLAGS		(HV_FLUSH_ALL_PROCESSORS | \
				 HV_FLUSH_ALL_VIRTUAL_ADDRESS_SPACES | \
				 HV_FLUSH_NON_GLOBAL_MAPPINGS_ONLY)
#define HV_PAGE_BYTES		((u64)HV_HYP_PAGE_SIZE)

/* The checks of each call's input are inline: the hot path makes them. */
static inline void hv_call_decode(struct hv_call *c, u64 control, u64 ingpa, u64 outgpa,
				  bool longmode)
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

/* A call without rep count, rep start or variable header. */
static inline bool hv_call_simple(const struct hv_call *c)
{
	return !c->rep_cnt && !c->rep_idx && !c->varhead;
}

/* An input or output block: 8-byte aligned, within one page. */
static inline bool hv_block_ok(u64 gpa, u64 len)
{
	/* len is at most a few pages' worth: no wrap. */
	return !(gpa & 7) && len <= HV_PAGE_BYTES &&
	       (gpa & (HV_PAGE_BYTES - 1)) + len <= HV_PAGE_BYTES;
}

/*
 * The flush calls: the shape of the input value, then (for a memory input)
 * its length in *len; the flags word.
 */
static inline u16 hv_flush_check(const struct hv_call *c, bool *ex, u64 *len)
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

static inline u16 hv_flush_flags_check(u64 flags)
{
	return flags & ~(u64)HV_FLUSH_FLAGS ? HV_STATUS_INVALID_PARAMETER : HV_STATUS_SUCCESS;
}

/* The IPI calls: the shape, *len for a memory input; the vector word. */
static inline u16 hv_ipi_check(const struct hv_call *c, bool *ex, u64 *len)
{
	*ex = c->code == HVCALL_SEND_IPI_EX;
	if (c->rep_cnt || c->rep_idx || (!*ex && c->varhead) || (*ex && c->fast))
		return HV_STATUS_INVALID_HYPERCALL_INPUT;
	*len = *ex ? HV_IPI_HDR + HV_VPSET_HDR + (u64)c->varhead * sizeof(u64) :
		     2 * sizeof(u64);
	return HV_STATUS_SUCCESS;
}

static inline u16 hv_ipi_vector_check(u64 word)
{
	/* Vector in bits 31:0; target VTL and reserved bytes must be 0. */
	if ((word >> 32) || (u32)word < HV_SYNIC_FIRST_VALID_VECTOR || (u32)word > 255)
		return HV_STATUS_INVALID_PARAMETER;
	return HV_STATUS_SUCCESS;
}

/* SignalEvent: the shape; then the 8-byte input (connection id, flag). */
static inline u16 hv_signal_check(const struct hv_call *c)
{
	return c->rep_cnt || c->rep_idx || c->varhead ? HV_STATUS_INVALID_HYPERCALL_INPUT :
							  HV_STATUS_SUCCESS;
}

static inline u16 hv_signal_input(u64 word, u32 *conn_id, u16 *flag)
{
	/* struct hv_input_signal_event: connection id, flag number, rsvdz. */
	*conn_id = (u32)word;
	*flag = (u16)(word >> 32);
	return word >> 48 ? HV_STATUS_INVALID_PARAMETER : HV_STATUS_SUCCESS;
}

/*
 * Processor sets into @bits (@nbits wide, a multiple of 64, zeroed first).
 * VP indexes at or past @nr_vps are ignored, as KVM does.
 */
void hv_vpmask_from_u64(u64 mask, u32 nr_vps, unsigned long *bits, u32 nbits);
void hv_vpmask_all(u32 nr_vps, unsigned long *bits, u32 nbits);
/*
 * A struct hv_vpset: @hdr its format and valid-bank mask, declared by the
 * caller as @banks qwords of variable header. hv_vpset_check() says
 * whether the bank contents are to be read (*all false) and
 * hv_vpset_decode() turns @hdr and those @banks qwords into @bits.
 */
u16 hv_vpset_check(const u64 *hdr, u16 banks, bool *all);
void hv_vpset_decode(const u64 *hdr, const u64 *bank, u32 nr_vps, unsigned long *bits,
		     u32 nbits);

#endif
