// SPDX-License-Identifier: GPL-2.0
/*
 * The Hyper-V hypercalls of Documentation/hv2xen.rst: the TLB flush calls
 * (good input, every error rule, and a real flush seen by another vCPU),
 * SendSyntheticClusterIpi and its Ex form, SignalEvent on connections bound
 * with XENHV_HV_BIND_CONN (eventfd and SynIC event flags) and unbound, the
 * binding ioctl's checks, HvExtCallQueryCapabilities, NotifyLongSpinWait
 * and unknown codes.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "xenhv.h"
#include "hv_guest.h"

#define MS		10000ull
#define ST_OK		HV_STATUS_SUCCESS
#define ST_INPUT	HV_STATUS_INVALID_HYPERCALL_INPUT
#define ST_ALIGN	HV_STATUS_INVALID_ALIGNMENT
#define ST_PARAM	HV_STATUS_INVALID_PARAMETER

static struct vm *hv_vm(int nr_vcpus, void *guest, bool irqchip, uint32_t flags)
{
	struct vm *vm = vm_create(&(struct vm_opts){ .irqchip = irqchip });
	int i;

	for (i = 0; i < nr_vcpus; i++)
		vcpu_set_args(vm_add_vcpu(vm, guest), 2, (uint64_t)i, vm->mem_size);
	xenhv_attach_ok(vm, XENHV_ABI_HYPERV, XENHV_ATTACH_CPUID | flags);
	return vm;
}



/* A hypercall whose whole RAX must be @expect. */
#define HCALL_EQ(control, in, out, expect)					\
	do {									\
		uint64_t __r = guest_hv_hcall(control, in, out);		\
		if (__r != (uint64_t)(expect))					\
			__GUEST_UCALL(UCALL_ABORT, "call 0x%lx (in 0x%lx): 0x%lx, want 0x%lx", \
				      4, (uint64_t)(control), (uint64_t)(in), __r,	\
				      (uint64_t)(expect));				\
	} while (0)

/* vCPU 0 tells the others to finish with this. */
static volatile uint64_t all_done;

static void other_vcpus_wait(void)
{
	while (!__atomic_load_n(&all_done, __ATOMIC_SEQ_CST))
		__asm__ volatile("pause");
	GUEST_DONE();
}

/* ---- flush: good and bad input ------------------------------------------------ */

static void fill(uint64_t *in, int n, ...)
{
	__builtin_va_list ap;
	int i;

	__builtin_va_start(ap, n);
	for (i = 0; i < n; i++)
		in[i] = __builtin_va_arg(ap, uint64_t);
	__builtin_va_end(ap);
}

static void guest_flush_input(uint64_t vcpu, uint64_t mem_size)
{
	uint64_t *in = (uint64_t *)HG_IN_GPA(0), gin = (uint64_t)in;
	uint64_t *end = (uint64_t *)(gin + 0x1000);
	const uint64_t F = HVCALL_FLUSH_VIRTUAL_ADDRESS_SPACE, L = HVCALL_FLUSH_VIRTUAL_ADDRESS_LIST;
	const uint64_t FX = HVCALL_FLUSH_VIRTUAL_ADDRESS_SPACE_EX;
	const uint64_t LX = HVCALL_FLUSH_VIRTUAL_ADDRESS_LIST_EX;
	const uint64_t SP = HV_GENERIC_SET_SPARSE_4K, ALL = HV_GENERIC_SET_ALL;

	if (vcpu)
		other_vcpus_wait();
	hg_enable_hypercalls();

	/* Good input: a mask, ALL_PROCESSORS, the other flags. */
	fill(in, 3, 0ull, 0ull, 3ull);
	HCALL_EQ(F, gin, 0, ST_OK);
	fill(in, 3, 0ull, (uint64_t)HV_FLUSH_ALL_PROCESSORS, 0ull);
	HCALL_EQ(F, gin, 0, ST_OK);
	fill(in, 3, 0ull, (uint64_t)(HV_FLUSH_ALL_VIRTUAL_ADDRESS_SPACES |
				    HV_FLUSH_NON_GLOBAL_MAPPINGS_ONLY), 1ull);
	HCALL_EQ(F, gin, 0, ST_OK);
	/* List: every rep completes, also from a start index. */
	fill(in, 6, 0ull, 0ull, 2ull, 0x1000ull, 0x2000ull, 0x3000ull);
	HCALL_EQ(L | HG_REPS(3), gin, 0, HG_REPS(3));
	HCALL_EQ(L | HG_REPS(3) | HG_REP_START(1), gin, 0, HG_REPS(3));
	fill(in, 5, 0ull, (uint64_t)HV_FLUSH_ALL_PROCESSORS, 0ull, 0x1000ull, 0x2000ull);
	HCALL_EQ(L | HG_REPS(2), gin, 0, HG_REPS(2));
	/* Ex: sparse set (varhead = banks) and the set of all. */
	fill(in, 5, 0ull, 0ull, SP, 1ull, 3ull);
	HCALL_EQ(FX | HG_VARHEAD(1), gin, 0, ST_OK);
	fill(in, 4, 0ull, 0ull, ALL, 0ull);
	HCALL_EQ(FX, gin, 0, ST_OK);
	fill(in, 7, 0ull, 0ull, SP, 1ull, 2ull, 0x1000ull, 0x5000ull);
	HCALL_EQ(LX | HG_VARHEAD(1) | HG_REPS(2), gin, 0, HG_REPS(2));
	fill(in, 6, 0ull, 0ull, ALL, 0ull, 0x1000ull, 0x5000ull);
	HCALL_EQ(LX | HG_REPS(2), gin, 0, HG_REPS(2));

	/* The input value: fast, varhead, reps. */
	fill(in, 3, 0ull, 0ull, 3ull);
	HCALL_EQ(HG_FAST(F), 0, 3, ST_INPUT);
	HCALL_EQ(HG_FAST(L) | HG_REPS(1), 0, 3, ST_INPUT);
	HCALL_EQ(F | HG_REPS(1), gin, 0, ST_INPUT);
	HCALL_EQ(F | HG_VARHEAD(1), gin, 0, ST_INPUT);
	HCALL_EQ(L | HG_VARHEAD(1) | HG_REPS(1), gin, 0, ST_INPUT);
	HCALL_EQ(L | HG_REPS(3) | HG_REP_START(4), gin, 0, ST_INPUT);
	fill(in, 5, 0ull, 0ull, SP, 1ull, 3ull);
	HCALL_EQ(HG_FAST(FX) | HG_VARHEAD(1), gin, 0, ST_INPUT);
	HCALL_EQ(FX | HG_VARHEAD(2), gin, 0, ST_INPUT);
	HCALL_EQ(FX, gin, 0, ST_INPUT);
	HCALL_EQ(LX | HG_VARHEAD(2) | HG_REPS(1), gin, 0, ST_INPUT);
	fill(in, 4, 0ull, 0ull, ALL, 0ull);
	HCALL_EQ(FX | HG_VARHEAD(1), gin, 0, ST_INPUT);

	/* Alignment, page crossing, memory. */
	HCALL_EQ(F, gin + 4, 0, ST_ALIGN);
	fill(end - 2, 2, 0ull, 0ull);
	HCALL_EQ(F, (uint64_t)(end - 2), 0, ST_ALIGN);
	fill(end - 3, 3, 0ull, 0ull, 3ull);
	HCALL_EQ(F, (uint64_t)(end - 3), 0, ST_OK);
	HCALL_EQ(L | HG_REPS(1), (uint64_t)(end - 3), 0, ST_ALIGN);
	fill(end - 4, 4, 0ull, 0ull, SP, 1ull);
	HCALL_EQ(FX | HG_VARHEAD(1), (uint64_t)(end - 4), 0, ST_ALIGN);
	HCALL_EQ(F, mem_size, 0, ST_INPUT);
	HCALL_EQ(L | HG_REPS(1), mem_size, 0, ST_INPUT);
	HCALL_EQ(FX, mem_size, 0, ST_INPUT);

	/* Field values: flags, set formats, VPs without a vCPU. */
	fill(in, 3, 0ull, (uint64_t)HV_FLUSH_USE_EXTENDED_RANGE_FORMAT, 3ull);
	HCALL_EQ(F, gin, 0, ST_PARAM);
	fill(in, 3, 0ull, 1ull << 7, 3ull);
	HCALL_EQ(F, gin, 0, ST_PARAM);
	fill(in, 4, 0ull, 1ull << 7, ALL, 0ull);
	HCALL_EQ(FX, gin, 0, ST_PARAM);
	fill(in, 4, 0ull, 0ull, 2ull, 0ull);
	HCALL_EQ(FX, gin, 0, ST_PARAM);
	/* VP indexes with no vCPU are ignored, as KVM does. */
	fill(in, 3, 0ull, 0ull, 1ull << 2);
	HCALL_EQ(F, gin, 0, ST_OK);
	fill(in, 3, 0ull, 0ull, 1ull << 63);
	HCALL_EQ(F, gin, 0, ST_OK);
	fill(in, 5, 0ull, 0ull, SP, 1ull, 1ull << 5);
	HCALL_EQ(FX | HG_VARHEAD(1), gin, 0, ST_OK);
	fill(in, 5, 0ull, 0ull, SP, 2ull, 1ull);
	HCALL_EQ(FX | HG_VARHEAD(1), gin, 0, ST_OK);
	fill(in, 6, 0ull, 0ull, SP, 2ull, 1ull, 0x1000ull);
	HCALL_EQ(LX | HG_VARHEAD(1) | HG_REPS(1), gin, 0, HG_REPS(1));
	/* An empty mask without ALL_PROCESSORS flushes all (Windows Server 2012 relies on it). */
	fill(in, 3, 0ull, 0ull, 0ull);
	HCALL_EQ(F, gin, 0, ST_OK);
	__atomic_store_n(&all_done, 1, __ATOMIC_SEQ_CST);
	GUEST_DONE();
}

XTEST(flush_input_checks)
{
	struct vm *vm = hv_vm(2, guest_flush_input, false, 0);
	struct xenhv_vm_stats st;

	vm_run_all_to_done(vm);
	TEST_ASSERT_EQ(xenhv_stats(vm, &st), 0);
	TEST_ASSERT_EQ(st.ops[HVCALL_FLUSH_VIRTUAL_ADDRESS_SPACE].user, 0);
	TEST_ASSERT(st.ops[HVCALL_FLUSH_VIRTUAL_ADDRESS_SPACE].kernel >= 3, "kernel %llu",
		    st.ops[HVCALL_FLUSH_VIRTUAL_ADDRESS_SPACE].kernel);
	vm_destroy(vm);
}

/* ---- flush: another vCPU sees a changed PTE after the call ----------------------- */

#define FL_VA		0x40000000ul			/* PDPT entry 1, unused */
#define FL_PD_GPA	(VM_SCRATCH_GPA + 0x100000)
#define FL_PT_GPA	(VM_SCRATCH_GPA + 0x101000)
#define FL_PAGE_GPA(i)	(VM_SCRATCH_GPA + 0x102000 + (i) * 0x1000ul)
#define FL_VALUE(i)	(0xf1a5000000000000ull + (i))

static volatile uint64_t fl_ready, fl_stop, fl_reads, fl_seen;
#define FL_ROUNDS	6

static uint64_t fl_stale[FL_ROUNDS];

static void flush_reader(void)
{
	while (!fl_ready)
		__asm__ volatile("pause");
	while (!fl_stop) {
		fl_seen = *(volatile uint64_t *)FL_VA;
		__atomic_fetch_add(&fl_reads, 1, __ATOMIC_SEQ_CST);
	}
	GUEST_DONE();
}

static void wait_reads(uint64_t n)
{
	while (__atomic_load_n(&fl_reads, __ATOMIC_SEQ_CST) < n)
		__asm__ volatile("pause");
}

static void guest_flush_real(uint64_t vcpu)
{
	uint64_t *pdpt = (uint64_t *)VM_PDPT_GPA, *pd = (uint64_t *)FL_PD_GPA;
	uint64_t *pt = (uint64_t *)FL_PT_GPA, *in = (uint64_t *)HG_IN_GPA(0);
	uint64_t r, round;

	if (vcpu)
		flush_reader();
	hg_enable_hypercalls();
	guest_memset(pd, 0, 4096);
	guest_memset(pt, 0, 4096);
	*(volatile uint64_t *)FL_PAGE_GPA(0) = FL_VALUE(0);
	*(volatile uint64_t *)FL_PAGE_GPA(1) = FL_VALUE(1);
	pt[0] = FL_PAGE_GPA(0) | 3;
	pd[0] = FL_PT_GPA | 3;
	pdpt[1] = FL_PD_GPA | 3;
	__atomic_store_n(&fl_ready, 1, __ATOMIC_SEQ_CST);

	for (round = 0; round < FL_ROUNDS; round++) {
		uint64_t next = (round + 1) & 1;

		/* vCPU 1 reads the old page through its TLB for a while. */
		wait_reads(__atomic_load_n(&fl_reads, __ATOMIC_SEQ_CST) + 200);
		GUEST_ASSERT_EQ(fl_seen, FL_VALUE(round & 1));
		/* Retarget the PTE without telling vCPU 1... */
		*(volatile uint64_t *)&pt[0] = FL_PAGE_GPA(next) | 3;
		r = __atomic_load_n(&fl_reads, __ATOMIC_SEQ_CST);
		wait_reads(r + 200);
		fl_stale[round] = fl_seen == FL_VALUE(round & 1);
		/* ...then flush it by each form of the call. */
		switch (round) {
		case 0:
			fill(in, 3, 0ull, 0ull, 2ull);
			HCALL_EQ(HVCALL_FLUSH_VIRTUAL_ADDRESS_SPACE, (uint64_t)in, 0, ST_OK);
			break;
		case 1:
			fill(in, 4, 0ull, 0ull, 2ull, FL_VA);
			HCALL_EQ(HVCALL_FLUSH_VIRTUAL_ADDRESS_LIST | HG_REPS(1), (uint64_t)in, 0,
				 HG_REPS(1));
			break;
		case 2:
			fill(in, 5, 0ull, 0ull, (uint64_t)HV_GENERIC_SET_SPARSE_4K, 1ull, 2ull);
			HCALL_EQ(HVCALL_FLUSH_VIRTUAL_ADDRESS_SPACE_EX | HG_VARHEAD(1),
				 (uint64_t)in, 0, ST_OK);
			break;
		case 3:
			fill(in, 5, 0ull, 0ull, (uint64_t)HV_GENERIC_SET_ALL, 0ull, FL_VA);
			HCALL_EQ(HVCALL_FLUSH_VIRTUAL_ADDRESS_LIST_EX | HG_REPS(1),
				 (uint64_t)in, 0, HG_REPS(1));
			break;
		case 4:
			/* All processors, named by the flag of the non-Ex call. */
			fill(in, 3, 0ull, (uint64_t)HV_FLUSH_ALL_PROCESSORS, 0ull);
			HCALL_EQ(HVCALL_FLUSH_VIRTUAL_ADDRESS_SPACE, (uint64_t)in, 0, ST_OK);
			break;
		case 5:
			/* All processors, by an empty mask and no flag. */
			fill(in, 3, 0ull, 0ull, 0ull);
			HCALL_EQ(HVCALL_FLUSH_VIRTUAL_ADDRESS_SPACE, (uint64_t)in, 0, ST_OK);
			break;
		}
		/* A read that starts after the call returned sees the new page. */
		r = __atomic_load_n(&fl_reads, __ATOMIC_SEQ_CST);
		wait_reads(r + 2);
		if (fl_seen != FL_VALUE(next))
			__GUEST_UCALL(UCALL_ABORT, "round %lu: vCPU 1 still reads 0x%lx", 2,
				      round, fl_seen);
	}
	__atomic_store_n(&fl_stop, 1, __ATOMIC_SEQ_CST);
	GUEST_DONE();
}

XTEST_TIMEOUT(flush_reaches_other_vcpu, 60)
{
	struct vm *vm = hv_vm(2, guest_flush_real, false, 0);
	int i;

	vm_run_all_to_done(vm);
	sync_global_from_guest(vm, fl_stale);
	for (i = 0; i < FL_ROUNDS; i++)
		xtest_log("round %d: vCPU 1 read the stale page before the flush: %s", i,
			  fl_stale[i] ? "yes" : "no");
	vm_destroy(vm);
}

/* ---- SendSyntheticClusterIpi --------------------------------------------------------- */

#define VEC0	0x50

static void guest_ipi(uint64_t vcpu)
{
	uint64_t *in = (uint64_t *)HG_IN_GPA(0), gin = (uint64_t)in;
	const uint64_t I = HVCALL_SEND_IPI, IX = HVCALL_SEND_IPI_EX;
	const uint64_t SP = HV_GENERIC_SET_SPARSE_4K, ALL = HV_GENERIC_SET_ALL;
	int v;

	hg_irq_setup(VEC0, VEC0 + 3);
	if (vcpu == 1) {
		__atomic_store_n(&all_done, 1, __ATOMIC_SEQ_CST);
		__asm__ volatile("sti");
		while (__atomic_load_n(&all_done, __ATOMIC_SEQ_CST) != 2)
			__asm__ volatile("pause");
		hg_delay_sti(10 * MS);
		GUEST_ASSERT_EQ(hg_irqs[1][VEC0], 1);
		GUEST_ASSERT_EQ(hg_irqs[1][VEC0 + 1], 0);
		GUEST_ASSERT_EQ(hg_irqs[1][VEC0 + 2], 1);
		GUEST_ASSERT_EQ(hg_irqs[1][VEC0 + 3], 1);
		GUEST_DONE();
	}
	hg_enable_hypercalls();
	while (__atomic_load_n(&all_done, __ATOMIC_SEQ_CST) != 1)
		__asm__ volatile("pause");

	/* Fast to vCPU 1, slow to self, Ex sparse and all to both. */
	HCALL_EQ(HG_FAST(I), VEC0, 2, ST_OK);
	fill(in, 2, (uint64_t)VEC0 + 1, 1ull);
	HCALL_EQ(I, gin, 0, ST_OK);
	HG_WAIT_IRQ(VEC0 + 1, 1, 1000 * MS);
	fill(in, 4, (uint64_t)VEC0 + 2, SP, 1ull, 3ull);
	HCALL_EQ(IX | HG_VARHEAD(1), gin, 0, ST_OK);
	fill(in, 3, (uint64_t)VEC0 + 3, ALL, 0ull);
	HCALL_EQ(IX, gin, 0, ST_OK);
	HG_WAIT_IRQ(VEC0 + 2, 1, 1000 * MS);
	HG_WAIT_IRQ(VEC0 + 3, 1, 1000 * MS);

	/* Vectors, reserved fields and target VTL, VPs without a vCPU. */
	HCALL_EQ(HG_FAST(I), 15, 2, ST_PARAM);
	HCALL_EQ(HG_FAST(I), 0, 2, ST_PARAM);
	HCALL_EQ(HG_FAST(I), 256 + VEC0, 2, ST_PARAM);
	HCALL_EQ(HG_FAST(I), VEC0 | (1ull << 32), 2, ST_PARAM);	/* target VTL 1 */
	HCALL_EQ(HG_FAST(I), VEC0 | (1ull << 48), 2, ST_PARAM);
	/* VP indexes with no vCPU are ignored, as KVM does: no IPI. */
	HCALL_EQ(HG_FAST(I), VEC0, 1ull << 4, ST_OK);
	HCALL_EQ(HG_FAST(I), VEC0, 1ull << 63, ST_OK);
	fill(in, 2, (uint64_t)VEC0 | (1ull << 40), 2ull);
	HCALL_EQ(I, gin, 0, ST_PARAM);
	fill(in, 2, 15ull, 2ull);
	HCALL_EQ(I, gin, 0, ST_PARAM);
	fill(in, 4, 15ull, SP, 1ull, 2ull);
	HCALL_EQ(IX | HG_VARHEAD(1), gin, 0, ST_PARAM);
	fill(in, 4, (uint64_t)VEC0 | (1ull << 32), SP, 1ull, 2ull);
	HCALL_EQ(IX | HG_VARHEAD(1), gin, 0, ST_PARAM);
	fill(in, 4, (uint64_t)VEC0, SP, 1ull, 1ull << 9);
	HCALL_EQ(IX | HG_VARHEAD(1), gin, 0, ST_OK);
	fill(in, 4, (uint64_t)VEC0, SP, 2ull, 1ull);
	HCALL_EQ(IX | HG_VARHEAD(1), gin, 0, ST_OK);
	fill(in, 3, (uint64_t)VEC0, 2ull, 0ull);
	HCALL_EQ(IX, gin, 0, ST_PARAM);
	/* The input value: Ex fast, varhead mismatch, reps; alignment; memory. */
	fill(in, 4, (uint64_t)VEC0, SP, 1ull, 2ull);
	HCALL_EQ(HG_FAST(IX) | HG_VARHEAD(1), gin, 0, ST_INPUT);
	HCALL_EQ(HG_FAST(IX), VEC0, SP, ST_INPUT);
	HCALL_EQ(IX | HG_VARHEAD(2), gin, 0, ST_INPUT);
	HCALL_EQ(IX, gin, 0, ST_INPUT);
	HCALL_EQ(HG_FAST(I) | HG_REPS(1), VEC0, 2, ST_INPUT);
	HCALL_EQ(HG_FAST(I) | HG_VARHEAD(1), VEC0, 2, ST_INPUT);
	HCALL_EQ(I, gin + 4, 0, ST_ALIGN);
	HCALL_EQ(I, gin + 0x1000 - 8, 0, ST_ALIGN);
	HCALL_EQ(I, 0xfffff000ull << 12, 0, ST_INPUT);

	__atomic_store_n(&all_done, 2, __ATOMIC_SEQ_CST);
	hg_delay_sti(10 * MS);
	GUEST_ASSERT_EQ(hg_irqs[0][VEC0], 0);
	for (v = 1; v <= 3; v++)
		GUEST_ASSERT_EQ(hg_irqs[0][VEC0 + v], 1);
	GUEST_DONE();
}

XTEST_TIMEOUT(send_ipi_and_ex, 60)
{
	struct vm *vm = hv_vm(2, guest_ipi, true, 0);
	struct xenhv_vm_stats st;

	vm_run_all_to_done(vm);
	TEST_ASSERT_EQ(xenhv_stats(vm, &st), 0);
	TEST_ASSERT_EQ(st.ops[HVCALL_SEND_IPI].kernel + st.ops[HVCALL_SEND_IPI].errors, 16);
	TEST_ASSERT_EQ(st.ops[HVCALL_SEND_IPI].user + st.ops[HVCALL_SEND_IPI_EX].user, 0);
	vm_destroy(vm);
}

/*
 * xAPIC mode, vCPU ids 255 and 256: their APIC IDs are 0xff (broadcast) and
 * 0 (vCPU 0's). A vector for VP 1 or VP 2 must reach that vCPU alone.
 * The LAPICs stay in xAPIC mode (software-enabled by the host), so the
 * handler tells the vCPUs apart by their stacks and sends no EOI: one
 * interrupt per vector and vCPU is all it counts.
 */
#define XA_VEC_A	0x60
#define XA_VEC_B	0x61
#define XA_SPINS	20000000ul

static volatile uint64_t xa_irqs[3][2];
static volatile uint64_t xa_mem, xa_ready, xa_done;

static void xa_handler(struct ex_regs *regs)
{
	uint64_t idx = (xa_mem - regs->rsp) / (2 * VM_STACK_SIZE);

	if (idx < 3)
		xa_irqs[idx][regs->vector - XA_VEC_A]++;
}

static void guest_ipi_xapic(uint64_t vcpu, uint64_t mem)
{
	unsigned long i;

	xa_mem = mem;
	guest_set_handler(XA_VEC_A, xa_handler);
	guest_set_handler(XA_VEC_B, xa_handler);
	if (vcpu) {
		__atomic_add_fetch(&xa_ready, 1, __ATOMIC_SEQ_CST);
		__asm__ volatile("sti");
		while (!__atomic_load_n(&xa_done, __ATOMIC_SEQ_CST))
			__asm__ volatile("pause");
		__asm__ volatile("cli");
		GUEST_DONE();
	}
	hg_enable_hypercalls();
	while (__atomic_load_n(&xa_ready, __ATOMIC_SEQ_CST) != 2)
		__asm__ volatile("pause");
	HCALL_EQ(HG_FAST(HVCALL_SEND_IPI), XA_VEC_A, 1ull << 1, ST_OK);
	HCALL_EQ(HG_FAST(HVCALL_SEND_IPI), XA_VEC_B, 1ull << 2, ST_OK);
	/* Take anything sent here by mistake, and wait for the targets. */
	__asm__ volatile("sti");
	for (i = 0; i < XA_SPINS && !(xa_irqs[1][0] && xa_irqs[2][1]); i++)
		__asm__ volatile("pause");
	for (i = 0; i < XA_SPINS / 20; i++)
		__asm__ volatile("pause");
	__asm__ volatile("cli");
	__atomic_store_n(&xa_done, 1, __ATOMIC_SEQ_CST);
	GUEST_DONE();
}

XTEST_TIMEOUT(send_ipi_xapic_vcpu_ids_past_254, 60)
{
	struct vm *vm = vm_create(&(struct vm_opts){ .irqchip = true });
	static const int ids[3] = { 0, 255, 256 };
	struct kvm_lapic_state la;
	int i;

	for (i = 0; i < 3; i++) {
		struct vcpu *v = vm_add_vcpu_id(vm, guest_ipi_xapic, ids[i]);

		vcpu_set_args(v, 2, (uint64_t)i, vm->mem_size);
		TEST_ASSERT(!ioctl(v->fd, KVM_GET_LAPIC, &la), "KVM_GET_LAPIC");
		*(uint32_t *)&la.regs[0xf0] = 0x1ff;	/* SVR: enabled, spurious 0xff */
		TEST_ASSERT(!ioctl(v->fd, KVM_SET_LAPIC, &la), "KVM_SET_LAPIC");
	}
	xenhv_attach_ok(vm, XENHV_ABI_HYPERV, XENHV_ATTACH_CPUID);
	vm_run_all_to_done(vm);
	vm_sync_global_from_guest(vm, (void *)xa_irqs, sizeof(xa_irqs));
	for (i = 0; i < 3; i++)
		xtest_log("vCPU %d (id %d): vector A %llu, vector B %llu", i, ids[i],
			  (unsigned long long)xa_irqs[i][0], (unsigned long long)xa_irqs[i][1]);
	TEST_ASSERT_EQ(xa_irqs[0][0] + xa_irqs[0][1], 0);
	TEST_ASSERT_EQ(xa_irqs[1][0], 1);
	TEST_ASSERT_EQ(xa_irqs[1][1], 0);
	TEST_ASSERT_EQ(xa_irqs[2][0], 0);
	TEST_ASSERT_EQ(xa_irqs[2][1], 1);
	vm_destroy(vm);
}

static void guest_ipi_no_lapic(void)
{
	hg_enable_hypercalls();
	HCALL_EQ(HG_FAST(HVCALL_SEND_IPI), VEC0, 1, ST_PARAM);
	GUEST_DONE();
}

XTEST(send_ipi_needs_in_kernel_lapic)
{
	struct vm *vm = hv_vm(1, guest_ipi_no_lapic, false, 0);

	vcpu_run_to_done(vm->vcpus[0]);
	vm_destroy(vm);
}

/* ---- SignalEvent ------------------------------------------------------------------------ */

#define CONN_EFD	5
#define CONN_FLAG	7
#define CONN_TOP	8

static int bind_conn(struct vm *vm, uint32_t flags, uint32_t conn, int fd, uint32_t vp,
		     uint8_t sint, uint16_t flag)
{
	struct xenhv_hv_conn b = {
		.vm_fd = vm->fd, .flags = flags, .conn_id = conn, .fd = fd,
		.vp_index = vp, .sint = sint, .flag = flag,
	};
	int dev = xenhv_open(), r;

	r = ioctl(dev, XENHV_HV_BIND_CONN, &b) ? -errno : 0;
	close(dev);
	return r;
}

static void guest_signal_eventfd(void)
{
	uint32_t *in = (uint32_t *)HG_IN_GPA(0);

	hg_enable_hypercalls();
	HCALL_EQ(HG_FAST(HVCALL_SIGNAL_EVENT), CONN_EFD, 0, ST_OK);
	GUEST_SYNC(1);
	in[0] = CONN_EFD;
	in[1] = 0;
	HCALL_EQ(HVCALL_SIGNAL_EVENT, (uint64_t)in, 0, ST_OK);
	GUEST_SYNC(2);
	/* A flag number on an eventfd binding, reserved bits: nothing signalled. */
	HCALL_EQ(HG_FAST(HVCALL_SIGNAL_EVENT), CONN_EFD | (1ull << 32), 0, ST_PARAM);
	in[1] = 1;
	HCALL_EQ(HVCALL_SIGNAL_EVENT, (uint64_t)in, 0, ST_PARAM);
	in[1] = 1 << 16;
	HCALL_EQ(HVCALL_SIGNAL_EVENT, (uint64_t)in, 0, ST_PARAM);
	HCALL_EQ(HVCALL_SIGNAL_EVENT, (uint64_t)in + 4, 0, ST_ALIGN);
	HCALL_EQ(HVCALL_SIGNAL_EVENT, 0xfffff000ull << 12, 0, ST_INPUT);
	HCALL_EQ(HG_FAST(HVCALL_SIGNAL_EVENT) | HG_REPS(1), CONN_EFD, 0, ST_INPUT);
	HCALL_EQ(HG_FAST(HVCALL_SIGNAL_EVENT) | HG_VARHEAD(1), CONN_EFD, 0, ST_INPUT);
	GUEST_SYNC(3);
	/* Unbound now: the VMM gets it. */
	GUEST_ASSERT_EQ(guest_hv_hcall(HG_FAST(HVCALL_SIGNAL_EVENT), CONN_EFD, 0), 0x1234);
	GUEST_DONE();
}

XTEST(signal_event_to_eventfd)
{
	struct vm *vm = hv_vm(1, guest_signal_eventfd, false, 0);
	struct kvm_run *run = vm->vcpus[0]->run;
	int efd = eventfd(0, EFD_NONBLOCK);
	struct xenhv_version ver = {};
	struct ucall uc;
	uint64_t v = 0;
	int dev = xenhv_open();

	TEST_ASSERT(!ioctl(dev, XENHV_GET_VERSION, &ver), "XENHV_GET_VERSION");
	TEST_ASSERT(ver.features & XENHV_FEAT_HV_CONNS, "features 0x%llx",
		    (unsigned long long)ver.features);
	close(dev);
	TEST_ASSERT_EQ(bind_conn(vm, XENHV_CONN_EVENTFD, CONN_EFD, efd, 0, 0, 0), 0);
	TEST_ASSERT_EQ(vcpu_run_ucall(vm->vcpus[0], &uc), UCALL_SYNC);
	TEST_ASSERT_EQ(read(efd, &v, 8), 8);
	TEST_ASSERT_EQ(v, 1);
	TEST_ASSERT_EQ(vcpu_run_ucall(vm->vcpus[0], &uc), UCALL_SYNC);
	TEST_ASSERT_EQ(read(efd, &v, 8), 8);
	TEST_ASSERT_EQ(v, 1);
	TEST_ASSERT_EQ(vcpu_run_ucall(vm->vcpus[0], &uc), UCALL_SYNC);
	TEST_ASSERT(read(efd, &v, 8) < 0 && errno == EAGAIN, "signalled on a bad call");
	TEST_ASSERT_EQ(bind_conn(vm, XENHV_CONN_UNBIND, CONN_EFD, -1, 0, 0, 0), 0);
	vcpu_run(vm->vcpus[0]);
	TEST_ASSERT(run->exit_reason == KVM_EXIT_HYPERV, "exit %s",
		    exit_reason_str(run->exit_reason));
	TEST_ASSERT_EQ(run->hyperv.type, KVM_EXIT_HYPERV_HCALL);
	TEST_ASSERT_EQ(run->hyperv.u.hcall.input, HG_FAST(HVCALL_SIGNAL_EVENT));
	TEST_ASSERT_EQ(run->hyperv.u.hcall.params[0], CONN_EFD);
	run->hyperv.u.hcall.result = 0x1234;
	vcpu_run_to_done(vm->vcpus[0]);
	TEST_ASSERT(read(efd, &v, 8) < 0 && errno == EAGAIN, "signalled after unbind");
	close(efd);
	vm_destroy(vm);
}

static void guest_signal_unbound(void)
{
	uint32_t *in = (uint32_t *)HG_IN_GPA(0);

	hg_enable_hypercalls();
	HCALL_EQ(HG_FAST(HVCALL_SIGNAL_EVENT), 0x99, 0, HV_STATUS_INVALID_CONNECTION_ID);
	in[0] = 0x99;
	in[1] = 0;
	HCALL_EQ(HVCALL_SIGNAL_EVENT, (uint64_t)in, 0, HV_STATUS_INVALID_CONNECTION_ID);
	HCALL_EQ(HVCALL_POST_MESSAGE, (uint64_t)in, 0, HV_STATUS_INVALID_CONNECTION_ID);
	GUEST_DONE();
}

XTEST(signal_event_unbound_without_user_exit)
{
	struct vm *vm = hv_vm(1, guest_signal_unbound, false, XENHV_ATTACH_NO_USER_EXIT);

	vcpu_run_to_done(vm->vcpus[0]);
	vm_destroy(vm);
}

#define VEC_SINT	0x58

static volatile uint64_t se_state;

static void guest_signal_synic(uint64_t vcpu)
{
	volatile uint8_t *f = hg_sief(1, 3);
	uint32_t *in = (uint32_t *)HG_IN_GPA(0);
	int i;

	if (vcpu == 1) {
		hg_irq_setup(VEC_SINT, VEC_SINT);
		hg_synic_enable(1);
		guest_wrmsr(HV_X64_MSR_SINT3, VEC_SINT);
		__atomic_store_n(&se_state, 1, __ATOMIC_SEQ_CST);
		/* Flag 100 + 5 raises the SINT once, with only that bit set. */
		HG_WAIT_IRQ(VEC_SINT, 1, 2000 * MS);
		for (i = 0; i < 4096; i++) {
			uint8_t want = i == 3 * 256 + 105 / 8 ? 1 << (105 % 8) : 0;

			if (((volatile uint8_t *)HG_SIEFP_GPA(1))[i] != want)
				__GUEST_UCALL(UCALL_ABORT, "SIEF byte %lu: 0x%lx", 2, (uint64_t)i,
					      (uint64_t)((volatile uint8_t *)HG_SIEFP_GPA(1))[i]);
		}
		__atomic_store_n(&se_state, 2, __ATOMIC_SEQ_CST);
		/* The same flag again: already set, no new interrupt. */
		while (__atomic_load_n(&se_state, __ATOMIC_SEQ_CST) != 3)
			__asm__ volatile("pause");
		hg_delay_sti(10 * MS);
		GUEST_ASSERT_EQ(hg_irqs[1][VEC_SINT], 1);
		/* Once consumed, it raises again; so does a new flag. */
		f[105 / 8] = 0;
		__atomic_store_n(&se_state, 4, __ATOMIC_SEQ_CST);
		HG_WAIT_IRQ(VEC_SINT, 2, 2000 * MS);
		GUEST_ASSERT_EQ(f[105 / 8], 1 << (105 % 8));
		__atomic_store_n(&se_state, 5, __ATOMIC_SEQ_CST);
		HG_WAIT_IRQ(VEC_SINT, 3, 2000 * MS);
		GUEST_ASSERT_EQ(f[255], 0x80);		/* flag 2047 from conn 8 */
		__atomic_store_n(&se_state, 6, __ATOMIC_SEQ_CST);
		HG_WAIT_IRQ(VEC_SINT, 4, 2000 * MS);
		GUEST_ASSERT_EQ(f[106 / 8], (1 << (105 % 8)) | (1 << (106 % 8)));
		hg_delay_sti(10 * MS);
		GUEST_ASSERT_EQ(hg_irqs[1][VEC_SINT], 4);
		GUEST_DONE();
	}
	hg_enable_hypercalls();
	while (__atomic_load_n(&se_state, __ATOMIC_SEQ_CST) != 1)
		__asm__ volatile("pause");
	HCALL_EQ(HG_FAST(HVCALL_SIGNAL_EVENT), CONN_FLAG | (5ull << 32), 0, ST_OK);
	while (__atomic_load_n(&se_state, __ATOMIC_SEQ_CST) != 2)
		__asm__ volatile("pause");
	HCALL_EQ(HG_FAST(HVCALL_SIGNAL_EVENT), CONN_FLAG | (5ull << 32), 0, ST_OK);
	__atomic_store_n(&se_state, 3, __ATOMIC_SEQ_CST);
	while (__atomic_load_n(&se_state, __ATOMIC_SEQ_CST) != 4)
		__asm__ volatile("pause");
	HCALL_EQ(HG_FAST(HVCALL_SIGNAL_EVENT), CONN_FLAG | (5ull << 32), 0, ST_OK);
	while (__atomic_load_n(&se_state, __ATOMIC_SEQ_CST) != 5)
		__asm__ volatile("pause");
	/* Flag 2000 + 48 is past the page; 2000 + 47 is the last flag. */
	in[0] = CONN_TOP;
	in[1] = 48;
	HCALL_EQ(HVCALL_SIGNAL_EVENT, (uint64_t)in, 0, ST_PARAM);
	in[1] = 47;
	HCALL_EQ(HVCALL_SIGNAL_EVENT, (uint64_t)in, 0, ST_OK);
	while (__atomic_load_n(&se_state, __ATOMIC_SEQ_CST) != 6)
		__asm__ volatile("pause");
	/* A new flag while another is still set raises the SINT too. */
	in[0] = CONN_FLAG;
	in[1] = 6;
	HCALL_EQ(HVCALL_SIGNAL_EVENT, (uint64_t)in, 0, ST_OK);
	GUEST_DONE();
}

XTEST_TIMEOUT(signal_event_to_synic_flag, 60)
{
	struct vm *vm = hv_vm(2, guest_signal_synic, true, 0);

	TEST_ASSERT_EQ(bind_conn(vm, XENHV_CONN_SYNIC, CONN_FLAG, -1, 1, 3, 100), 0);
	TEST_ASSERT_EQ(bind_conn(vm, XENHV_CONN_SYNIC, CONN_TOP, -1, 1, 3, 2000), 0);
	vm_run_all_to_done(vm);
	vm_destroy(vm);
}

/* A flag for a vCPU whose SynIC or SIEF page is off is dropped. */
static void guest_signal_dropped(void)
{
	volatile uint64_t *f = (volatile uint64_t *)hg_sief(0, 2);

	hg_enable_hypercalls();
	hg_irq_setup(VEC_SINT, VEC_SINT);
	guest_memset((void *)HG_SIEFP_GPA(0), 0, 4096);
	/* SynIC on, SIEF page off. */
	guest_wrmsr(HV_X64_MSR_SCONTROL, HV_SYNIC_CONTROL_ENABLE);
	guest_wrmsr(HV_X64_MSR_SINT2, VEC_SINT);
	HCALL_EQ(HG_FAST(HVCALL_SIGNAL_EVENT), CONN_FLAG, 0, ST_OK);
	hg_delay_sti(10 * MS);
	GUEST_ASSERT_EQ(hg_irqs[0][VEC_SINT], 0);
	GUEST_ASSERT_EQ(*f, 0);
	/* SIEF page on, SynIC off. */
	guest_wrmsr(HV_X64_MSR_SIEFP, HG_SIEFP_GPA(0) | HV_SYNIC_SIEFP_ENABLE);
	guest_wrmsr(HV_X64_MSR_SCONTROL, 0);
	HCALL_EQ(HG_FAST(HVCALL_SIGNAL_EVENT), CONN_FLAG, 0, ST_OK);
	hg_delay_sti(10 * MS);
	GUEST_ASSERT_EQ(hg_irqs[0][VEC_SINT], 0);
	GUEST_ASSERT_EQ(*f, 0);
	/* Both on: delivered. */
	guest_wrmsr(HV_X64_MSR_SCONTROL, HV_SYNIC_CONTROL_ENABLE);
	HCALL_EQ(HG_FAST(HVCALL_SIGNAL_EVENT), CONN_FLAG, 0, ST_OK);
	HG_WAIT_IRQ(VEC_SINT, 1, 1000 * MS);
	GUEST_ASSERT_EQ(*f, 1ull << 9);
	GUEST_DONE();
}

XTEST(signal_event_dropped_without_synic)
{
	struct vm *vm = hv_vm(1, guest_signal_dropped, true, 0);

	TEST_ASSERT_EQ(bind_conn(vm, XENHV_CONN_SYNIC, CONN_FLAG, -1, 0, 2, 9), 0);
	vcpu_run_to_done(vm->vcpus[0]);
	vm_destroy(vm);
}

XTEST(bind_conn_checks)
{
	struct vm *vm = hv_vm(2, NULL, false, 0);
	struct vm *xvm = vm_create(NULL);
	int efd = eventfd(0, 0), p[2], dev = xenhv_open();
	struct xenhv_hv_conn b;

	TEST_ASSERT(!pipe(p), "pipe");
	vm_add_vcpu(xvm, NULL);
	xenhv_attach_ok(xvm, XENHV_ABI_XEN, XENHV_ATTACH_CPUID);
#define BAD(errno_, fd_, ...)							\
	do {									\
		b = (struct xenhv_hv_conn){ .vm_fd = vm->fd, .fd = fd_, __VA_ARGS__ }; \
		TEST_ASSERT(ioctl(dev, XENHV_HV_BIND_CONN, &b) && errno == errno_, \
			    "%s: errno %d", #__VA_ARGS__, errno);		\
	} while (0)
	BAD(EINVAL, -1, .flags = 0);
	BAD(EINVAL, efd, .flags = 1 << 3);
	BAD(EINVAL, efd, .flags = XENHV_CONN_EVENTFD | XENHV_CONN_SYNIC);
	BAD(EINVAL, efd, .flags = XENHV_CONN_EVENTFD | XENHV_CONN_UNBIND);
	BAD(EINVAL, efd, .flags = XENHV_CONN_EVENTFD, .conn_id = XENHV_CONN_ID_MAX + 1);
	BAD(EINVAL, -1, .flags = XENHV_CONN_SYNIC, .conn_id = XENHV_CONN_ID_MAX + 1);
	BAD(EINVAL, -1, .flags = XENHV_CONN_SYNIC, .conn_id = 1, .sint = 16);
	BAD(EINVAL, -1, .flags = XENHV_CONN_SYNIC, .conn_id = 1, .flag = 2048);
	BAD(EINVAL, -1, .flags = XENHV_CONN_SYNIC, .conn_id = 1, .vp_index = 2);
	BAD(EINVAL, -1, .flags = XENHV_CONN_SYNIC, .conn_id = 1, .reserved0 = 1);
	BAD(EINVAL, -1, .flags = XENHV_CONN_SYNIC, .conn_id = 1, .reserved[2] = 1);
	BAD(EINVAL, efd, .flags = XENHV_CONN_EVENTFD, .conn_id = 1, .reserved[0] = 1);
	BAD(EINVAL, p[0], .flags = XENHV_CONN_EVENTFD, .conn_id = 1);
	BAD(EINVAL, efd, .flags = XENHV_CONN_SYNIC, .conn_id = 1);
	b = (struct xenhv_hv_conn){ .vm_fd = vm->fd, .flags = XENHV_CONN_EVENTFD, .conn_id = 1,
				    .fd = -1 };
	TEST_ASSERT(ioctl(dev, XENHV_HV_BIND_CONN, &b) && (errno == EBADF || errno == EINVAL),
		    "fd -1: errno %d", errno);
	BAD(EINVAL, efd, .flags = XENHV_CONN_EVENTFD, .conn_id = 1, .vp_index = 1);
	BAD(ENOENT, -1, .flags = XENHV_CONN_UNBIND, .conn_id = 1);
	/* None of the above bound anything: these work once, then conflict. */
	b = (struct xenhv_hv_conn){ .vm_fd = vm->fd, .flags = XENHV_CONN_EVENTFD, .conn_id = 1,
				    .fd = efd };
	TEST_ASSERT(!ioctl(dev, XENHV_HV_BIND_CONN, &b), "bind: %s", strerror(errno));
	b.conn_id = XENHV_CONN_ID_MAX;
	TEST_ASSERT(!ioctl(dev, XENHV_HV_BIND_CONN, &b), "bind max: %s", strerror(errno));
	b = (struct xenhv_hv_conn){ .vm_fd = vm->fd, .flags = XENHV_CONN_SYNIC, .conn_id = 0,
				    .fd = -1, .vp_index = 1, .sint = 15, .flag = 2047 };
	TEST_ASSERT(!ioctl(dev, XENHV_HV_BIND_CONN, &b), "bind synic: %s", strerror(errno));
	BAD(EEXIST, -1, .flags = XENHV_CONN_SYNIC, .conn_id = 1);
	BAD(EEXIST, efd, .flags = XENHV_CONN_EVENTFD, .conn_id = 0);
	b = (struct xenhv_hv_conn){ .vm_fd = vm->fd, .flags = XENHV_CONN_UNBIND, .conn_id = 1,
				    .fd = -1 };
	TEST_ASSERT(!ioctl(dev, XENHV_HV_BIND_CONN, &b), "unbind: %s", strerror(errno));
	BAD(ENOENT, -1, .flags = XENHV_CONN_UNBIND, .conn_id = 1);
	b.conn_id = 0;
	TEST_ASSERT(!ioctl(dev, XENHV_HV_BIND_CONN, &b), "unbind 0: %s", strerror(errno));
	/* A Xen VM has no connections. */
	b = (struct xenhv_hv_conn){ .vm_fd = xvm->fd, .flags = XENHV_CONN_EVENTFD, .conn_id = 1,
				    .fd = efd };
	TEST_ASSERT(ioctl(dev, XENHV_HV_BIND_CONN, &b) && errno == ENOENT, "Xen VM: %d", errno);
	/* Destroyed with a binding left: the eventfd is released. */
	vm_destroy(vm);
	vm_destroy(xvm);
	close(efd);
	close(p[0]);
	close(p[1]);
	close(dev);
}

/* ---- extended calls, spin wait, unknown codes ---------------------------------------- */

static void guest_misc_calls(uint64_t vcpu, uint64_t mem_size)
{
	volatile uint64_t *out = (uint64_t *)HG_OUT_GPA(0);

	hg_enable_hypercalls();
	*out = ~0ull;
	HCALL_EQ(HV_EXT_CALL_QUERY_CAPABILITIES, 0, (uint64_t)out, ST_OK);
	GUEST_ASSERT_EQ(*out, 0);
	*out = ~0ull;
	HCALL_EQ(HG_FAST(HV_EXT_CALL_QUERY_CAPABILITIES), 0, (uint64_t)out, ST_INPUT);
	GUEST_ASSERT_EQ(*out, ~0ull);
	HCALL_EQ(HV_EXT_CALL_QUERY_CAPABILITIES, 0, mem_size, HV_STATUS_OPERATION_DENIED);
	HCALL_EQ(HG_FAST(HVCALL_NOTIFY_LONG_SPIN_WAIT), 0, 0, ST_OK);
	HCALL_EQ(HG_FAST(HVCALL_NOTIFY_LONG_SPIN_WAIT), 0x1fff, 0, ST_OK);
	HCALL_EQ(0x0001, 0, 0, HV_STATUS_INVALID_HYPERCALL_CODE);
	HCALL_EQ(HVCALL_GET_PARTITION_ID, 0, (uint64_t)out, HV_STATUS_INVALID_HYPERCALL_CODE);
	HCALL_EQ(HG_FAST(0x1234), 0, 0, HV_STATUS_INVALID_HYPERCALL_CODE);
	HCALL_EQ(HV_EXT_CALL_MEMORY_HEAT_HINT, 0, 0, HV_STATUS_INVALID_HYPERCALL_CODE);
	HCALL_EQ(0x8000, 0, 0, HV_STATUS_INVALID_HYPERCALL_CODE);
	GUEST_DONE();
}

XTEST(ext_query_capabilities_spin_wait_unknown)
{
	struct vm *vm = hv_vm(1, guest_misc_calls, false, 0);
	struct xenhv_vm_stats st;

	vcpu_run_to_done(vm->vcpus[0]);
	TEST_ASSERT_EQ(xenhv_stats(vm, &st), 0);
	TEST_ASSERT_EQ(st.ops[0xc0 + 1].kernel + st.ops[0xc0 + 1].errors, 3);
	TEST_ASSERT_EQ(st.ops[HVCALL_NOTIFY_LONG_SPIN_WAIT].kernel, 2);
	vm_destroy(vm);
}

int main(int argc, char **argv)
{
	return xtest_main(argc, argv);
}
