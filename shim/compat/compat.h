/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel differences, in one place. Kbuild probes the target's headers and
 * passes COMPAT_* flags; everything below turns them into one API, so the rest
 * of the shim is written against the newest kernel's interfaces only.
 */
#ifndef XENHV_COMPAT_H
#define XENHV_COMPAT_H

#include <linux/ftrace.h>

#ifdef COMPAT_NEED_FTRACE_REGS_SET_IP
/* 6.1: redirecting needs the full pt_regs that SAVE_REGS callers get. */
#define ftrace_regs_set_instruction_pointer(fregs, _ip) \
	(ftrace_get_regs(fregs)->ip = (_ip))
#define XENHV_FTRACE_REDIRECT_FLAGS \
	(FTRACE_OPS_FL_SAVE_REGS | FTRACE_OPS_FL_IPMODIFY | FTRACE_OPS_FL_RECURSION)
#else
#define XENHV_FTRACE_REDIRECT_FLAGS \
	(FTRACE_OPS_FL_IPMODIFY | FTRACE_OPS_FL_RECURSION)
#endif

#ifdef COMPAT_NEED_ASM_UNALIGNED
#include <asm/unaligned.h>
#else
#include <linux/unaligned.h>
#endif

/*
 * KVM functions exported by kvm.ko but declared only in its private headers
 * (arch/x86/kvm/lapic.h); modversions refuses to load on a mismatch.
 */
struct kvm_lapic;
struct kvm_vcpu;
struct x86_exception;
void kvm_apic_send_ipi(struct kvm_lapic *apic, u32 icr_low, u32 icr_high);
int kvm_read_guest_virt(struct kvm_vcpu *vcpu, unsigned long addr, void *val,
			unsigned int bytes, struct x86_exception *exception);
int kvm_write_guest_virt_system(struct kvm_vcpu *vcpu, unsigned long addr, void *val,
				unsigned int bytes, struct x86_exception *exception);
/* arch/x86/kvm/irq.h */
int kvm_cpu_has_interrupt(struct kvm_vcpu *vcpu);
/* arch/x86/kvm/lapic.h: EOI the highest in-service vector, as a guest write would. */
void kvm_lapic_set_eoi(struct kvm_vcpu *vcpu);
int kvm_lapic_find_highest_irr(struct kvm_vcpu *vcpu);
#ifdef COMPAT_HAS_APIC_ACK_INTERRUPT
/* The LAPIC moves @vector from IRR to ISR for delivery (arch/x86/kvm/lapic.h). */
void kvm_apic_ack_interrupt(struct kvm_vcpu *vcpu, int vector);
#endif

/* The emulated APIC bus: a per-VM setting from 6.11, 1 GHz before. */
#ifdef COMPAT_HAS_APIC_BUS_CYCLE_NS
#define xenhv_apic_bus_cycle_ns(kvm)	((kvm)->arch.apic_bus_cycle_ns)
#else
#define xenhv_apic_bus_cycle_ns(kvm)	((void)(kvm), 1ull)
#endif

#include <linux/eventfd.h>
#ifdef COMPAT_EVENTFD_SIGNAL_HAS_COUNT
#define xenhv_eventfd_signal(ctx) eventfd_signal(ctx, 1)
#else
#define xenhv_eventfd_signal(ctx) eventfd_signal(ctx)
#endif

#endif /* XENHV_COMPAT_H */
