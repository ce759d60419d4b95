// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness for the shim's pure decoders (shim/hv2xen/decode.c and
 * shim/xen2hv/decode.c, compiled unchanged). The input is read as a stream
 * of guest-controlled values; each decoder runs on them and its result is
 * checked against what the ABI allows, so that a wrong answer aborts as
 * surely as an out-of-bounds access does (ASan, UBSan).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv2xen/decode.h"
#include "xen2hv/decode.h"
#include "ref_vpset.h"

struct fuzz_input {
	const uint8_t *p;
	size_t n;
};

static u64 take(struct fuzz_input *in, unsigned int bytes)
{
	u64 v = 0;

	if (bytes > in->n)
		bytes = in->n;
	memcpy(&v, in->p, bytes);
	in->p += bytes;
	in->n -= bytes;
	return v;
}

#define CHECK(c)							\
	do {								\
		if (!(c)) {						\
			fprintf(stderr, "decode_fuzz: %s:%d: %s\n",	\
				__FILE__, __LINE__, #c);		\
			abort();					\
		}							\
	} while (0)

static void fuzz_hv(struct fuzz_input *in)
{
	u64 hdr[2], bank[HV_VPSET_MAX_BANKS] = {}, len;
	u32 nbits = take(in, 1) & 1 ? 1024 : 4096;
	u32 nr_vps = take(in, 2) % 4300, conn, i;
	unsigned long *got, *want;
	struct hv_call c;
	u16 st, flag, banks;
	bool ex, all;

	hv_call_decode(&c, take(in, 8), take(in, 8), take(in, 8), take(in, 1) & 1);
	CHECK(c.varhead < 1024 && c.rep_cnt < 4096 && c.rep_idx < 4096);
	if (hv_call_simple(&c))
		CHECK(!c.varhead && !c.rep_cnt && !c.rep_idx);
	if (!hv_flush_check(&c, &ex, &len)) {
		CHECK(!c.fast && c.rep_idx <= c.rep_cnt);
		CHECK(len >= 24 && len <= 32 + 1023 * 8 + 4095 * 8);
	}
	if (!hv_ipi_check(&c, &ex, &len))
		CHECK(!c.rep_cnt && !c.rep_idx && len >= 16);
	if (hv_block_ok(c.ingpa, len))
		CHECK(!(c.ingpa & 7) && (c.ingpa & 4095) + len <= 4096);
	st = hv_ipi_vector_check(c.outgpa);
	CHECK(st == HV_STATUS_SUCCESS ? c.outgpa >= 16 && c.outgpa <= 255 :
	      st == HV_STATUS_INVALID_PARAMETER);
	st = hv_signal_input(c.ingpa, &conn, &flag);
	CHECK(st == HV_STATUS_SUCCESS ? !(c.ingpa >> 48) : st == HV_STATUS_INVALID_PARAMETER);

	got = malloc(nbits / 8);
	want = malloc(nbits / 8);
	CHECK(got && want);
	hv_vpmask_from_u64(c.outgpa, nr_vps, got, nbits);
	for (i = 0; i < nbits; i++)
		CHECK(!(got[i / 64] >> (i % 64) & 1) ||
		      (i < nr_vps && i < 64 && (c.outgpa >> i & 1)));
	hv_vpmask_all(nr_vps, got, nbits);
	for (i = 0; i < nbits; i++)
		CHECK(!!(got[i / 64] >> (i % 64) & 1) == (i < nr_vps));

	hdr[0] = take(in, 1) % 4;
	hdr[1] = take(in, 8);
	banks = take(in, 2) % 1024;
	if (take(in, 1) & 1)
		banks = __builtin_popcountll(hdr[1]);
	st = hv_vpset_check(hdr, banks, &all);
	if (!st && !all) {
		CHECK(banks <= HV_VPSET_MAX_BANKS);
		for (i = 0; i < banks; i++)
			bank[i] = take(in, 8);
		hv_vpset_decode(hdr, bank, nr_vps, got, nbits);
		ref_vpset(hdr, bank, nr_vps, want, nbits);
		CHECK(!memcmp(got, want, nbits / 8));
	}
	CHECK(st || all == (hdr[0] == HV_GENERIC_SET_ALL));
	free(got);
	free(want);
}

static void fuzz_xen(struct fuzz_input *in)
{
	u32 ports[XEN_POLL_MAX_PORTS + 1], size, off, n, i;
	u64 t, now, gva, mfn;
	struct xen_poll_args a;
	u8 raw[24];
	bool lm = take(in, 1) & 1;
	int r;

	for (i = 0; i < sizeof(raw); i++)
		raw[i] = take(in, 1);
	r = xen_poll_decode(raw, lm, &a);
	CHECK(r == 0 ? a.nr_ports <= XEN_POLL_MAX_PORTS : r == -XEN_EINVAL);
	if (!lm)
		CHECK(a.ports <= UINT32_MAX);
	n = take(in, 1) % (XEN_POLL_MAX_PORTS + 2);
	for (i = 0; i < n; i++)
		ports[i] = take(in, 1) & 1 ? take(in, 2) : take(in, 4);
	r = xen_poll_ports_check(ports, n);
	if (!r)
		for (i = 0; i < n; i++)
			CHECK(ports[i] && ports[i] < XEN_NR_PORTS);

	mfn = take(in, 8);
	off = take(in, 4);
	size = take(in, 2);
	if (!xen_vcpu_info_check(mfn, off, take(in, 4), size))
		CHECK((u64)off + size <= 4096 && mfn < (1ull << 40));

	t = take(in, 8);
	CHECK(!xen_periodic_check(t) == (t >= 1000000 && t <= INT64_MAX));
	now = take(in, 8) & ((1ull << 62) - 1);
	t = take(in, 8);
	r = xen_singleshot_check(t, true, now);
	CHECK(r == 0 ? t >= now : r == -XEN_ETIME);
	if ((int64_t)t >= 0 && (t <= now || t - now <= (1ull << 50)))
		CHECK(xen_timer_op_deadline(t, now) == t);
	else
		CHECK(xen_timer_op_deadline(t, now) == now + 100000000ull);

	gva = take(in, 8);
	size = take(in, 2) + 1;
	n = xen_area_first_len(gva, size);
	CHECK(n >= 1 && n <= size && (gva & 4095) + n <= 4096);
	CHECK(n == size || (gva & 4095) + n == 4096);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in = { data, size };

	fuzz_hv(&in);
	fuzz_xen(&in);
	return 0;
}
