/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest-side Hyper-V helpers for the selftests: the hypercall page, the
 * reference time, the x2APIC with a per-vCPU, per-vector interrupt count,
 * and the SynIC pages of each vCPU.
 */
#ifndef XENHV_HV_GUEST_H
#define XENHV_HV_GUEST_H

#include "abi.h"
#include "vm.h"

#define HG_OS_ID		0x8100000000001234ull
#define HG_HCALL_GPA		VM_SCRATCH_GPA
#define HG_IN_GPA(vcpu)		(VM_SCRATCH_GPA + 0x10000 + (vcpu) * 0x2000ul)
#define HG_OUT_GPA(vcpu)	(HG_IN_GPA(vcpu) + 0x1000)
#define HG_SIMP_GPA(vcpu)	(VM_SCRATCH_GPA + 0x30000 + (vcpu) * 0x1000ul)
#define HG_SIEFP_GPA(vcpu)	(VM_SCRATCH_GPA + 0x40000 + (vcpu) * 0x1000ul)
#define HG_ASSIST_GPA(vcpu)	(VM_SCRATCH_GPA + 0x50000 + (vcpu) * 0x1000ul)
#define HG_TSC_PAGE_GPA		(VM_SCRATCH_GPA + 0x60000)
#define HG_FAST(code)		((uint64_t)(code) | HV_HYPERCALL_FAST_BIT)
#define HG_REPS(n)		((uint64_t)(n) << HV_HYPERCALL_REP_COMP_OFFSET)
#define HG_REP_START(n)		((uint64_t)(n) << HV_HYPERCALL_REP_START_OFFSET)
#define HG_VARHEAD(n)		((uint64_t)(n) << HV_HYPERCALL_VARHEAD_OFFSET)

#define HG_STIMER_ENABLE	(1ull << 0)
#define HG_STIMER_PERIODIC	(1ull << 1)
#define HG_STIMER_AUTO_ENABLE	(1ull << 3)
#define HG_STIMER_VECTOR(v)	((uint64_t)(v) << 4)
#define HG_STIMER_DIRECT	(1ull << 12)
#define HG_STIMER_SINT(s)	((uint64_t)(s) << 16)

#ifndef HV_CRASH_CTL_CRASH_NOTIFY
#define HV_CRASH_CTL_CRASH_NOTIFY	(1ull << 63)
#endif

/* Counted by hg_irq_handler: interrupts per vCPU (x2APIC id) and vector. */
static volatile uint64_t hg_irqs[VM_MAX_VCPUS][256];
/* Reference time (100 ns) at the last interrupt of each vCPU and vector. */
static volatile uint64_t hg_irq_time[VM_MAX_VCPUS][256];

static inline uint64_t hg_rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi) : : "memory");
	return ((uint64_t)hi << 32) | lo;
}

static inline uint64_t hg_now(void)
{
	return guest_rdmsr(HV_X64_MSR_TIME_REF_COUNT);
}

static inline void hg_enable_hypercalls(void)
{
	guest_wrmsr(HV_X64_MSR_GUEST_OS_ID, HG_OS_ID);
	guest_wrmsr(HV_X64_MSR_HYPERCALL, HG_HCALL_GPA | HV_X64_MSR_HYPERCALL_ENABLE);
}

static inline uint32_t hg_apic_id(void)
{
	return (uint32_t)guest_rdmsr(0x802);
}

static inline void hg_x2apic_enable(void)
{
	guest_wrmsr(0x1b, guest_rdmsr(0x1b) | (1 << 11) | (1 << 10));
	guest_wrmsr(0x80f, 0x1ff);	/* SVR: APIC on, spurious vector 0xff */
}

static inline void hg_irq_handler(struct ex_regs *regs)
{
	uint32_t me = hg_apic_id() % VM_MAX_VCPUS;
	uint8_t v = regs->vector;

	hg_irq_time[me][v] = hg_now();
	hg_irqs[me][v]++;
	guest_wrmsr(0x80b, 0);		/* EOI */
}

/* The x2APIC on, hg_irq_handler for each vector in [first, last]. */
static inline void hg_irq_setup(int first, int last)
{
	int v;

	hg_x2apic_enable();
	for (v = first; v <= last; v++)
		guest_set_handler(v, hg_irq_handler);
}

/*
 * Wait with interrupts enabled until this vCPU has taken @n interrupts on
 * @vec, for @timeout (100 ns units) of reference time at most. Returns the
 * count reached.
 */
static inline uint64_t hg_wait_irqs(int vec, uint64_t n, uint64_t timeout)
{
	uint32_t me = hg_apic_id() % VM_MAX_VCPUS;
	uint64_t end = hg_now() + timeout;

	__asm__ volatile("sti");
	while (READ_ONCE(hg_irqs[me][vec]) < n && hg_now() < end)
		__asm__ volatile("pause");
	__asm__ volatile("cli");
	return READ_ONCE(hg_irqs[me][vec]);
}

/* Busy-wait @t (100 ns units) of reference time, interrupts as they are. */
static inline void hg_delay(uint64_t t)
{
	uint64_t end = hg_now() + t;

	while (hg_now() < end)
		__asm__ volatile("pause");
}

/* Run with interrupts on for @t (100 ns units): pending interrupts arrive. */
static inline void hg_delay_sti(uint64_t t)
{
	__asm__ volatile("sti");
	hg_delay(t);
	__asm__ volatile("cli");
}

#define HG_WAIT_IRQ(vec, n, timeout)						\
	do {									\
		uint64_t __got = hg_wait_irqs(vec, n, timeout);			\
		if (__got < (uint64_t)(n))					\
			__GUEST_UCALL(UCALL_ABORT, "vector 0x%lx: %lu of %lu interrupts", \
				      3, (uint64_t)(vec), __got, (uint64_t)(n)); \
	} while (0)

/* Reference time from the TSC page, as Linux reads it. */
static inline uint64_t hg_tsc_page_time(volatile struct ms_hyperv_tsc_page *p)
{
	uint32_t seq;
	uint64_t tsc, scale;
	int64_t offset;

	do {
		seq = p->tsc_sequence;
		__asm__ volatile("" ::: "memory");
		tsc = hg_rdtsc();
		scale = p->tsc_scale;
		offset = p->tsc_offset;
		__asm__ volatile("" ::: "memory");
	} while (p->tsc_sequence != seq);
	return (uint64_t)(((__uint128_t)tsc * scale) >> 64) + offset;
}

static inline struct hv_message *hg_sim_slot(int vcpu, int sint)
{
	return &((struct hv_message_page *)HG_SIMP_GPA(vcpu))->sint_message[sint];
}

static inline volatile uint8_t *hg_sief(int vcpu, int sint)
{
	return (volatile uint8_t *)(HG_SIEFP_GPA(vcpu) + sint * 256);
}

/* SynIC on with this vCPU's SIM and SIEF pages. */
static inline void hg_synic_enable(int vcpu)
{
	guest_wrmsr(HV_X64_MSR_SCONTROL, HV_SYNIC_CONTROL_ENABLE);
	guest_wrmsr(HV_X64_MSR_SIMP, HG_SIMP_GPA(vcpu) | HV_SYNIC_SIMP_ENABLE);
	guest_wrmsr(HV_X64_MSR_SIEFP, HG_SIEFP_GPA(vcpu) | HV_SYNIC_SIEFP_ENABLE);
}

#endif
