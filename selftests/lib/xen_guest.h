/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest-side Xen helpers for the selftests: the calls a Linux PVHVM guest
 * makes to set up events and time, and an x2APIC for the upcall vector.
 */
#ifndef XENHV_XEN_GUEST_H
#define XENHV_XEN_GUEST_H

#include "abi.h"
#include "guest.h"

#define XG_SHINFO_GPA	(VM_SCRATCH_GPA + 0x10000)
#define XG_VINFO_GPA	(VM_SCRATCH_GPA + 0x20000)	/* one page per vCPU */
#define XG_UPCALL_VEC	0xf3

static inline struct shared_info *xg_shinfo(void)
{
	return (struct shared_info *)XG_SHINFO_GPA;
}

static inline struct vcpu_info *xg_vinfo(int vcpu)
{
	return (struct vcpu_info *)(XG_VINFO_GPA + vcpu * 0x1000 + 0x40);
}

static inline int64_t xg_call(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2)
{
	return (int64_t)guest_xen_hcall(nr, a0, a1, a2, 0, 0, 0);
}

static inline void xg_x2apic_enable(void)
{
	guest_wrmsr(0x1b, guest_rdmsr(0x1b) | (1 << 11) | (1 << 10));
	guest_wrmsr(0x80f, 0x1ff);	/* SVR: APIC on, spurious vector 0xff */
}

static inline void xg_eoi(void)
{
	guest_wrmsr(0x80b, 0);
}

/* Guest system time from a vcpu_info's pvclock. */
static inline uint64_t xg_now(struct vcpu_info *vi)
{
	struct pvclock_vcpu_time_info *t = &vi->time;
	uint32_t lo, hi, v;
	uint64_t tsc, delta, ns;

	do {
		v = t->version;
		__asm__ volatile("" ::: "memory");
		__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
		tsc = ((uint64_t)hi << 32) | lo;
		delta = tsc - t->tsc_timestamp;
		if (t->tsc_shift >= 0)
			delta <<= t->tsc_shift;
		else
			delta >>= -t->tsc_shift;
		ns = t->system_time + (uint64_t)(((__uint128_t)delta * t->tsc_to_system_mul) >> 32);
		__asm__ volatile("" ::: "memory");
	} while ((v & 1) || v != t->version);
	return ns;
}

/* shared_info, this vCPU's vcpu_info and upcall vector. */
static inline void xg_setup_vcpu(int vcpu)
{
	struct vcpu_register_vcpu_info vi = {
		.mfn = (XG_VINFO_GPA >> 12) + vcpu, .offset = 0x40,
	};
	struct xen_hvm_evtchn_upcall_vector uv = { .vcpu = vcpu, .vector = XG_UPCALL_VEC };

	GUEST_ASSERT_EQ(xg_call(__HYPERVISOR_vcpu_op, VCPUOP_register_vcpu_info, vcpu,
				(uint64_t)&vi), 0);
	GUEST_ASSERT_EQ(xg_call(__HYPERVISOR_hvm_op, HVMOP_set_evtchn_upcall_vector,
				(uint64_t)&uv, 0), 0);
}

static inline void xg_setup_shinfo(void)
{
	struct xen_add_to_physmap xatp = {
		.domid = DOMID_SELF, .space = XENMAPSPACE_shared_info, .gpfn = XG_SHINFO_GPA >> 12,
	};

	GUEST_ASSERT_EQ(xg_call(__HYPERVISOR_memory_op, XENMEM_add_to_physmap,
				(uint64_t)&xatp, 0), 0);
}

static inline int64_t xg_evtchn(int cmd, void *arg)
{
	return xg_call(__HYPERVISOR_event_channel_op, cmd, (uint64_t)arg, 0);
}

#endif
