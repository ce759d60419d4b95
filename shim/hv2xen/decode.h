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

void hv_call_decode(struct hv_call *c, u64 control, u64 ingpa, u64 outgpa, bool longmode);
/* A call without rep count, rep start or variable header. */
bool hv_call_simple(const struct hv_call *c);
/* An input or output block: 8-byte aligned, within one page. */
bool hv_block_ok(u64 gpa, u64 len);

/*
 * The flush calls: the shape of the input value, then (for a memory input)
 * its length in *len; the flags word.
 */
u16 hv_flush_check(const struct hv_call *c, bool *ex, u64 *len);
u16 hv_flush_flags_check(u64 flags);
/* The IPI calls: the shape, *len for a memory input; the vector word. */
u16 hv_ipi_check(const struct hv_call *c, bool *ex, u64 *len);
u16 hv_ipi_vector_check(u64 word);
/* SignalEvent: the shape; then the 8-byte input (connection id, flag). */
u16 hv_signal_check(const struct hv_call *c);
u16 hv_signal_input(u64 word, u32 *conn_id, u16 *flag);

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
