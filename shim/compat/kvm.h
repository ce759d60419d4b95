/* SPDX-License-Identifier: GPL-2.0 */
/*
 * KVM as the shim sees it: every KVM function it calls or hooks, in one
 * table, and the KVM internals no export reaches.
 *
 * Up to 6.x, kvm.ko exports these functions to every module. From 7.x, x86
 * KVM exports its internals to kvm-amd and kvm-intel only
 * (EXPORT_SYMBOL_FOR_KVM_INTERNAL), and several prototypes moved into
 * KVM's private headers, which are not installed. Kbuild reads the
 * target's Module.symvers and installed headers once (compat/Kbuild.include)
 * and defines, for each name listed below:
 *
 *   XENHV_KVM_CALL_<fn>      what KVM_FN(fn) calls: fn itself when the
 *                            target exports it to any module (a direct
 *                            call, linked as usual); else xenhv_kvm.fn,
 *                            resolved when the module loads (kvm.c), so
 *                            the object never refers to fn and modpost
 *                            never sees a symbol not exported to us.
 *   XENHV_KVM_LINK_<fn>      fn or NULL, the same decision for kvm.c.
 *   XENHV_KVM_DECLARED_<fn>  1: the installed headers declare it.
 *                            0: the prototype below is used; each is the
 *                            target source's own (arch/x86/kvm/ headers).
 */
#ifndef XENHV_COMPAT_KVM_H
#define XENHV_COMPAT_KVM_H

#include <linux/kvm_host.h>

/* Prototypes the installed headers lack, from arch/x86/kvm/{x86,lapic,irq}.h. */
struct x86_exception;
#if !XENHV_KVM_DECLARED_kvm_emulate_hypercall
int kvm_emulate_hypercall(struct kvm_vcpu *vcpu);
#endif
#if !XENHV_KVM_DECLARED_kvm_get_msr_common
int kvm_get_msr_common(struct kvm_vcpu *vcpu, struct msr_data *msr);
#endif
#if !XENHV_KVM_DECLARED_kvm_set_msr_common
int kvm_set_msr_common(struct kvm_vcpu *vcpu, struct msr_data *msr);
#endif
#if !XENHV_KVM_DECLARED_kvm_emulate_cpuid
int kvm_emulate_cpuid(struct kvm_vcpu *vcpu);
#endif
#if !XENHV_KVM_DECLARED_kvm_emulate_halt
int kvm_emulate_halt(struct kvm_vcpu *vcpu);
#endif
#if !XENHV_KVM_DECLARED_kvm_read_l1_tsc
u64 kvm_read_l1_tsc(struct kvm_vcpu *vcpu, u64 host_tsc);
#endif
#if !XENHV_KVM_DECLARED_kvm_read_guest_virt
int kvm_read_guest_virt(struct kvm_vcpu *vcpu, gva_t addr, void *val,
			unsigned int bytes, struct x86_exception *exception);
#endif
#if !XENHV_KVM_DECLARED_kvm_write_guest_virt_system
int kvm_write_guest_virt_system(struct kvm_vcpu *vcpu, gva_t addr, void *val,
				unsigned int bytes, struct x86_exception *exception);
#endif
#if !XENHV_KVM_DECLARED_kvm_mmu_gva_to_gpa_write
gpa_t kvm_mmu_gva_to_gpa_write(struct kvm_vcpu *vcpu, gva_t gva,
			       struct x86_exception *exception);
#endif
#if !XENHV_KVM_DECLARED_kvm_queue_exception
void kvm_queue_exception(struct kvm_vcpu *vcpu, unsigned int nr);
#endif
#if !XENHV_KVM_DECLARED_kvm_skip_emulated_instruction
int kvm_skip_emulated_instruction(struct kvm_vcpu *vcpu);
#endif
#if !XENHV_KVM_DECLARED_kvm_apic_send_ipi
struct kvm_lapic;
void kvm_apic_send_ipi(struct kvm_lapic *apic, u32 icr_low, u32 icr_high);
#endif
/*
 * 7.x moved enum kvm_apicv_inhibit into arch/x86/kvm/x86.h: its tag is
 * declared here for the prototype (an enum of small values, as KVM's), and
 * the one value the shim needs is read from kvm.ko's BTF at load (btf.c).
 */
#ifdef COMPAT_APICV_INHIBIT_IN_BTF
enum kvm_apicv_inhibit { XENHV_APICV_INHIBIT_FROM_BTF };
extern int xenhv_apicv_inhibit_hyperv;
#define XENHV_APICV_INHIBIT_HYPERV \
	((enum kvm_apicv_inhibit)xenhv_apicv_inhibit_hyperv)
#else
#define XENHV_APICV_INHIBIT_HYPERV	APICV_INHIBIT_REASON_HYPERV
#endif
#if !XENHV_KVM_DECLARED_kvm_set_or_clear_apicv_inhibit
void kvm_set_or_clear_apicv_inhibit(struct kvm *kvm, enum kvm_apicv_inhibit reason, bool set);
#endif
#if !XENHV_KVM_DECLARED_kvm_cpu_has_interrupt
int kvm_cpu_has_interrupt(struct kvm_vcpu *vcpu);
#endif
#if !XENHV_KVM_DECLARED_kvm_cpu_has_injectable_intr
int kvm_cpu_has_injectable_intr(struct kvm_vcpu *vcpu);
#endif
/* EOI the highest in-service vector, as a guest write would. */
#if !XENHV_KVM_DECLARED_kvm_lapic_set_eoi
void kvm_lapic_set_eoi(struct kvm_vcpu *vcpu);
#endif
#if !XENHV_KVM_DECLARED_kvm_lapic_find_highest_irr
int kvm_lapic_find_highest_irr(struct kvm_vcpu *vcpu);
#endif
/* The LAPIC moves @vector from IRR to ISR for delivery. */
#if defined(COMPAT_HAS_APIC_ACK_INTERRUPT) && !XENHV_KVM_DECLARED_kvm_apic_ack_interrupt
void kvm_apic_ack_interrupt(struct kvm_vcpu *vcpu, int vector);
#endif

/*
 * The table. Kbuild takes the names from its "typeof(&fn) fn;" lines, so
 * every entry stays on a line of its own in that form.
 */
struct xenhv_kvm_funcs {
	typeof(&file_is_kvm) file_is_kvm;
	typeof(&kvm_emulate_hypercall) kvm_emulate_hypercall;
	typeof(&kvm_get_msr_common) kvm_get_msr_common;
	typeof(&kvm_set_msr_common) kvm_set_msr_common;
	typeof(&kvm_emulate_cpuid) kvm_emulate_cpuid;
	typeof(&kvm_emulate_halt) kvm_emulate_halt;
	typeof(&kvm_vcpu_halt) kvm_vcpu_halt;
	typeof(&kvm_vcpu_on_spin) kvm_vcpu_on_spin;
	typeof(&kvm_get_running_vcpu) kvm_get_running_vcpu;
	typeof(&kvm_read_l1_tsc) kvm_read_l1_tsc;
	typeof(&kvm_vcpu_read_guest) kvm_vcpu_read_guest;
	typeof(&kvm_vcpu_write_guest) kvm_vcpu_write_guest;
	typeof(&kvm_vcpu_gfn_to_hva) kvm_vcpu_gfn_to_hva;
	typeof(&kvm_read_guest_virt) kvm_read_guest_virt;
	typeof(&kvm_write_guest_virt_system) kvm_write_guest_virt_system;
	typeof(&kvm_mmu_gva_to_gpa_write) kvm_mmu_gva_to_gpa_write;
	typeof(&kvm_queue_exception) kvm_queue_exception;
	typeof(&kvm_skip_emulated_instruction) kvm_skip_emulated_instruction;
	typeof(&kvm_apic_send_ipi) kvm_apic_send_ipi;
	typeof(&kvm_cpu_has_interrupt) kvm_cpu_has_interrupt;
	typeof(&kvm_cpu_has_injectable_intr) kvm_cpu_has_injectable_intr;
	typeof(&kvm_lapic_set_eoi) kvm_lapic_set_eoi;
	typeof(&kvm_flush_remote_tlbs) kvm_flush_remote_tlbs;
	typeof(&kvm_set_or_clear_apicv_inhibit) kvm_set_or_clear_apicv_inhibit;
	typeof(&kvm_put_kvm_no_destroy) kvm_put_kvm_no_destroy;
	/*
	 * The LAPIC's ack of a delivered vector: kvm_apic_ack_interrupt()
	 * from 6.11; before, kvm_cpu_get_interrupt() (hook.c).
	 */
#ifdef COMPAT_HAS_APIC_ACK_INTERRUPT
	typeof(&kvm_apic_ack_interrupt) kvm_apic_ack_interrupt;
#else
	typeof(&kvm_cpu_get_interrupt) kvm_cpu_get_interrupt;
	typeof(&kvm_lapic_find_highest_irr) kvm_lapic_find_highest_irr;
#endif
	/* kvm_vcpu_kick() became an inline wrapper of __kvm_vcpu_kick() in 7.x. */
#ifdef COMPAT_HAS___KVM_VCPU_KICK
	typeof(&__kvm_vcpu_kick) __kvm_vcpu_kick;
#else
	typeof(&kvm_vcpu_kick) kvm_vcpu_kick;
#endif
};

/* Every entry is set before any hook is installed and never changes. */
extern struct xenhv_kvm_funcs xenhv_kvm;

#define KVM_FN(fn)	XENHV_KVM_CALL_##fn

static inline void xenhv_vcpu_kick(struct kvm_vcpu *vcpu)
{
#ifdef COMPAT_HAS___KVM_VCPU_KICK
	KVM_FN(__kvm_vcpu_kick)(vcpu, false);
#else
	KVM_FN(kvm_vcpu_kick)(vcpu);
#endif
}

/*
 * The Xen attributes' "no address": named in the uapi from 6.4; before, the
 * same all-ones value was KVM's GPA_INVALID.
 */
#ifndef KVM_XEN_INVALID_GFN
#define KVM_XEN_INVALID_GFN	((__u64)-1)
#endif
#ifndef KVM_XEN_INVALID_GPA
#define KVM_XEN_INVALID_GPA	((__u64)-1)
#endif

/* The KVM member that turns KVM's own Xen emulation on, if it has one. */
#if defined(COMPAT_XEN_HVM_CONFIG_IN_ARCH)
#define xenhv_kvm_xen_hvm_config(kvm)	(&(kvm)->arch.xen_hvm_config)
#elif defined(CONFIG_KVM_XEN)
#define xenhv_kvm_xen_hvm_config(kvm)	(&(kvm)->arch.xen.hvm_config)
#else
#define xenhv_kvm_xen_hvm_config(kvm)	((void)(kvm), (struct kvm_xen_hvm_config *)NULL)
#endif

/* Mark a register written, as kvm_register_mark_dirty() does. */
static inline void xenhv_mark_reg_dirty(struct kvm_vcpu *vcpu, int reg)
{
#ifdef COMPAT_REGS_AVAIL_BITMAP
	__set_bit(reg, vcpu->arch.regs_avail);
	__set_bit(reg, vcpu->arch.regs_dirty);
#else
	vcpu->arch.regs_avail |= BIT(reg);
	vcpu->arch.regs_dirty |= BIT(reg);
#endif
}

/* The value of enumerator @name of enum @type in @module's BTF, or < 0. */
int xenhv_btf_enum_value(const char *module, const char *type, const char *name, s64 *val);

/* Resolve the table and kvm_x86_ops: 0, or the module must not load. */
int xenhv_compat_init(void);
void xenhv_compat_exit(void);

/* kvm.ko's vendor operations table (kvm_x86_ops), current vendor's values. */
extern const struct kvm_x86_ops *xenhv_kvm_x86_ops;

static inline const struct kvm_x86_ops *xenhv_kvm_ops(void)
{
	return xenhv_kvm_x86_ops;
}

#endif
