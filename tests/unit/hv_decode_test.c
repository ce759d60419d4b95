// SPDX-License-Identifier: GPL-2.0
/*
 * The Hyper-V decoders of shim/hv2xen/decode.c, compiled unchanged: the
 * input value, the block checks of each call, and the processor sets, with
 * the VP-set decoder also checked against a bit-by-bit reference on random
 * sets.
 */
#include <stdlib.h>
#include <string.h>

#include "xtest.h"
#include "hv2xen/decode.h"
#include "ref_vpset.h"

#define NBITS_612	4096	/* KVM_MAX_VCPUS on 6.12 */
#define NBITS_61	1024	/* and on 6.1 */

static u64 control(u16 code, bool fast, u16 varhead, u16 rep_cnt, u16 rep_idx)
{
	return code | (fast ? HV_HYPERCALL_FAST_BIT : 0) |
	       ((u64)varhead << HV_HYPERCALL_VARHEAD_OFFSET) |
	       ((u64)rep_cnt << HV_HYPERCALL_REP_COMP_OFFSET) |
	       ((u64)rep_idx << HV_HYPERCALL_REP_START_OFFSET);
}

static struct hv_call call(u16 code, bool fast, u16 varhead, u16 rep_cnt, u16 rep_idx)
{
	struct hv_call c;

	hv_call_decode(&c, control(code, fast, varhead, rep_cnt, rep_idx), 0x1000, 0x2000, true);
	return c;
}

static bool bit(const unsigned long *b, u32 i)
{
	return b[i / 64] >> (i % 64) & 1;
}

static u32 weight(const unsigned long *b, u32 nbits)
{
	u32 i, w = 0;

	for (i = 0; i < nbits / 64; i++)
		w += __builtin_popcountll(b[i]);
	return w;
}

XTEST(control_fields)
{
	struct hv_call c;

	hv_call_decode(&c, control(0x13, true, 1023, 4095, 4095) | HV_HYPERCALL_RSVD_MASK,
		       1, 2, true);
	TEST_ASSERT_EQ(c.code, 0x13);
	TEST_ASSERT(c.fast, "fast bit");
	TEST_ASSERT_EQ(c.varhead, 1023);
	TEST_ASSERT_EQ(c.rep_cnt, 4095);
	TEST_ASSERT_EQ(c.rep_idx, 4095);
	TEST_ASSERT_EQ(c.reps, 0);
	TEST_ASSERT_EQ(c.ingpa, 1);
	TEST_ASSERT_EQ(c.outgpa, 2);
	TEST_ASSERT(!hv_call_simple(&c), "reps and varhead make it not simple");
	c = call(HVCALL_NOTIFY_LONG_SPIN_WAIT, false, 0, 0, 0);
	TEST_ASSERT(hv_call_simple(&c), "plain call");
	TEST_ASSERT(!c.fast, "no fast bit");
}

XTEST(block_bounds)
{
	TEST_ASSERT(hv_block_ok(0x1000, 4096), "a whole page");
	TEST_ASSERT(hv_block_ok(0x1ff8, 8), "last qword of a page");
	TEST_ASSERT(!hv_block_ok(0x1ff8, 16), "crosses into the next page");
	TEST_ASSERT(!hv_block_ok(0x1004, 8), "misaligned");
	TEST_ASSERT(!hv_block_ok(0x1000, 4097), "longer than a page");
	TEST_ASSERT(!hv_block_ok(0x1000, ~0ull), "a length that would wrap");
	TEST_ASSERT(!hv_block_ok(~7ull, 16), "the top of the address space");
	TEST_ASSERT(hv_block_ok(0, 0), "empty");
}

XTEST(flush_shapes)
{
	struct hv_call c;
	bool ex;
	u64 len;

	c = call(HVCALL_FLUSH_VIRTUAL_ADDRESS_SPACE, false, 0, 0, 0);
	TEST_ASSERT_EQ(hv_flush_check(&c, &ex, &len), HV_STATUS_SUCCESS);
	TEST_ASSERT(!ex, "not Ex");
	TEST_ASSERT_EQ(len, 24);
	c = call(HVCALL_FLUSH_VIRTUAL_ADDRESS_SPACE, true, 0, 0, 0);
	TEST_ASSERT_EQ(hv_flush_check(&c, &ex, &len), HV_STATUS_INVALID_HYPERCALL_INPUT);
	c = call(HVCALL_FLUSH_VIRTUAL_ADDRESS_SPACE, false, 1, 0, 0);
	TEST_ASSERT_EQ(hv_flush_check(&c, &ex, &len), HV_STATUS_INVALID_HYPERCALL_INPUT);
	c = call(HVCALL_FLUSH_VIRTUAL_ADDRESS_SPACE, false, 0, 1, 0);
	TEST_ASSERT_EQ(hv_flush_check(&c, &ex, &len), HV_STATUS_INVALID_HYPERCALL_INPUT);
	c = call(HVCALL_FLUSH_VIRTUAL_ADDRESS_LIST, false, 0, 3, 4);
	TEST_ASSERT_EQ(hv_flush_check(&c, &ex, &len), HV_STATUS_INVALID_HYPERCALL_INPUT);
	c = call(HVCALL_FLUSH_VIRTUAL_ADDRESS_LIST, false, 0, 4095, 0);
	TEST_ASSERT_EQ(hv_flush_check(&c, &ex, &len), HV_STATUS_SUCCESS);
	TEST_ASSERT_EQ(len, 24 + 4095 * 8);
	TEST_ASSERT(!hv_block_ok(0x1000, len), "a list longer than the page is refused");
	c = call(HVCALL_FLUSH_VIRTUAL_ADDRESS_LIST_EX, false, 1023, 4095, 0);
	TEST_ASSERT_EQ(hv_flush_check(&c, &ex, &len), HV_STATUS_SUCCESS);
	TEST_ASSERT(ex, "Ex");
	TEST_ASSERT_EQ(len, 16 + 16 + 1023 * 8 + 4095 * 8);
	c = call(HVCALL_FLUSH_VIRTUAL_ADDRESS_SPACE_EX, false, 2, 0, 0);
	TEST_ASSERT_EQ(hv_flush_check(&c, &ex, &len), HV_STATUS_SUCCESS);
	TEST_ASSERT_EQ(len, 16 + 16 + 16);
	TEST_ASSERT_EQ(hv_flush_flags_check(HV_FLUSH_ALL_PROCESSORS |
					    HV_FLUSH_ALL_VIRTUAL_ADDRESS_SPACES |
					    HV_FLUSH_NON_GLOBAL_MAPPINGS_ONLY), 0);
	TEST_ASSERT_EQ(hv_flush_flags_check(BIT_ULL(3)), HV_STATUS_INVALID_PARAMETER);
	TEST_ASSERT_EQ(hv_flush_flags_check(BIT_ULL(63)), HV_STATUS_INVALID_PARAMETER);
}

XTEST(ipi_and_signal_shapes)
{
	struct hv_call c;
	u32 conn;
	u16 flag;
	bool ex;
	u64 len;

	c = call(HVCALL_SEND_IPI, true, 0, 0, 0);
	TEST_ASSERT_EQ(hv_ipi_check(&c, &ex, &len), HV_STATUS_SUCCESS);
	c = call(HVCALL_SEND_IPI, false, 0, 0, 0);
	TEST_ASSERT_EQ(hv_ipi_check(&c, &ex, &len), HV_STATUS_SUCCESS);
	TEST_ASSERT_EQ(len, 16);
	c = call(HVCALL_SEND_IPI, false, 1, 0, 0);
	TEST_ASSERT_EQ(hv_ipi_check(&c, &ex, &len), HV_STATUS_INVALID_HYPERCALL_INPUT);
	c = call(HVCALL_SEND_IPI_EX, true, 1, 0, 0);
	TEST_ASSERT_EQ(hv_ipi_check(&c, &ex, &len), HV_STATUS_INVALID_HYPERCALL_INPUT);
	c = call(HVCALL_SEND_IPI_EX, false, 64, 0, 0);
	TEST_ASSERT_EQ(hv_ipi_check(&c, &ex, &len), HV_STATUS_SUCCESS);
	TEST_ASSERT_EQ(len, 8 + 16 + 64 * 8);
	c = call(HVCALL_SEND_IPI_EX, false, 0, 1, 0);
	TEST_ASSERT_EQ(hv_ipi_check(&c, &ex, &len), HV_STATUS_INVALID_HYPERCALL_INPUT);

	TEST_ASSERT_EQ(hv_ipi_vector_check(15), HV_STATUS_INVALID_PARAMETER);
	TEST_ASSERT_EQ(hv_ipi_vector_check(16), HV_STATUS_SUCCESS);
	TEST_ASSERT_EQ(hv_ipi_vector_check(255), HV_STATUS_SUCCESS);
	TEST_ASSERT_EQ(hv_ipi_vector_check(256), HV_STATUS_INVALID_PARAMETER);
	TEST_ASSERT_EQ(hv_ipi_vector_check(0x100000030ull), HV_STATUS_INVALID_PARAMETER);

	c = call(HVCALL_SIGNAL_EVENT, true, 0, 0, 0);
	TEST_ASSERT_EQ(hv_signal_check(&c), HV_STATUS_SUCCESS);
	c = call(HVCALL_SIGNAL_EVENT, true, 0, 0, 1);
	TEST_ASSERT_EQ(hv_signal_check(&c), HV_STATUS_INVALID_HYPERCALL_INPUT);
	TEST_ASSERT_EQ(hv_signal_input(0x0000000500000abcull, &conn, &flag), HV_STATUS_SUCCESS);
	TEST_ASSERT_EQ(conn, 0xabc);
	TEST_ASSERT_EQ(flag, 5);
	TEST_ASSERT_EQ(hv_signal_input(0x0000000100000001ull | BIT_ULL(48), &conn, &flag),
		       HV_STATUS_INVALID_PARAMETER);
}

XTEST(masks_clip_to_vcpus)
{
	unsigned long b[NBITS_612 / 64];
	u32 n;

	memset(b, 0xa5, sizeof(b));
	hv_vpmask_from_u64(~0ull, 3, b, NBITS_612);
	TEST_ASSERT_EQ(b[0], 7);
	TEST_ASSERT_EQ(weight(b, NBITS_612), 3);
	hv_vpmask_from_u64(~0ull, 0, b, NBITS_612);
	TEST_ASSERT_EQ(weight(b, NBITS_612), 0);
	hv_vpmask_from_u64(1ull << 63, 200, b, NBITS_612);
	TEST_ASSERT_EQ(b[0], 1ull << 63);
	for (n = 0; n <= NBITS_612 + 70; n += 1 + n / 3) {
		memset(b, 0xa5, sizeof(b));
		hv_vpmask_all(n, b, NBITS_612);
		TEST_ASSERT_EQ(weight(b, NBITS_612), n < NBITS_612 ? n : NBITS_612);
		if (n && n <= NBITS_612)
			TEST_ASSERT(bit(b, n - 1), "last vCPU %u in the set", n - 1);
	}
}

XTEST(vpset_formats)
{
	u64 hdr[2];
	bool all;

	hdr[0] = HV_GENERIC_SET_ALL;
	hdr[1] = 0;
	TEST_ASSERT_EQ(hv_vpset_check(hdr, 0, &all), HV_STATUS_SUCCESS);
	TEST_ASSERT(all, "all");
	TEST_ASSERT_EQ(hv_vpset_check(hdr, 1, &all), HV_STATUS_INVALID_HYPERCALL_INPUT);
	hdr[0] = 2;
	TEST_ASSERT_EQ(hv_vpset_check(hdr, 0, &all), HV_STATUS_INVALID_PARAMETER);
	hdr[0] = HV_GENERIC_SET_SPARSE_4K;
	hdr[1] = 0x8000000000000011ull;
	TEST_ASSERT_EQ(hv_vpset_check(hdr, 3, &all), HV_STATUS_SUCCESS);
	TEST_ASSERT(!all, "sparse");
	TEST_ASSERT_EQ(hv_vpset_check(hdr, 2, &all), HV_STATUS_INVALID_HYPERCALL_INPUT);
	TEST_ASSERT_EQ(hv_vpset_check(hdr, 1023, &all), HV_STATUS_INVALID_HYPERCALL_INPUT);
	hdr[1] = ~0ull;
	TEST_ASSERT_EQ(hv_vpset_check(hdr, 64, &all), HV_STATUS_SUCCESS);
}

/* A 6.1-sized mask: banks past it are dropped, never written. */
XTEST(vpset_narrow_mask)
{
	u64 hdr[2] = { HV_GENERIC_SET_SPARSE_4K, BIT_ULL(0) | BIT_ULL(15) | BIT_ULL(16) |
			BIT_ULL(63) };
	u64 bank[4] = { 1, 2, 4, 8 };
	unsigned long *b = malloc(NBITS_61 / 8);	/* exact size: ASan sees overruns */

	TEST_ASSERT(b, "malloc");
	hv_vpset_decode(hdr, bank, NBITS_612, b, NBITS_61);
	TEST_ASSERT_EQ(b[0], 1);
	TEST_ASSERT_EQ(b[15], 2);
	TEST_ASSERT_EQ(weight(b, NBITS_61), 2);
	hv_vpset_decode(hdr, bank, 15 * 64 + 1, b, NBITS_61);
	TEST_ASSERT_EQ(b[15], 0);	/* VP 961 is past the last vCPU */
	free(b);
}

XTEST(vpset_matches_reference)
{
	static unsigned long got[NBITS_612 / 64], want[NBITS_612 / 64];
	u64 hdr[2], bank[64];
	unsigned int seed = 12345;
	int iter, i;

	for (iter = 0; iter < 20000; iter++) {
		u32 nbits = iter & 1 ? NBITS_61 : NBITS_612;
		u32 nr_vps = rand_r(&seed) % (NBITS_612 + 100);
		bool all;

		hdr[0] = HV_GENERIC_SET_SPARSE_4K;
		hdr[1] = ((u64)rand_r(&seed) << 33) ^ ((u64)rand_r(&seed) << 11) ^ rand_r(&seed);
		for (i = 0; i < 64; i++)
			bank[i] = ((u64)rand_r(&seed) << 33) ^ ((u64)rand_r(&seed) << 2);
		TEST_ASSERT_EQ(hv_vpset_check(hdr, __builtin_popcountll(hdr[1]), &all), 0);
		hv_vpset_decode(hdr, bank, nr_vps, got, nbits);
		ref_vpset(hdr, bank, nr_vps, want, nbits);
		if (memcmp(got, want, nbits / 8))
			TEST_FAIL("set %d (banks 0x%llx, %u VPs, %u bits) differs", iter,
				  (unsigned long long)hdr[1], nr_vps, nbits);
	}
}

int main(int argc, char **argv)
{
	return xtest_main(argc, argv);
}
