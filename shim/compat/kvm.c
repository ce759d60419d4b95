// SPDX-License-Identifier: GPL-2.0
/*
 * KVM internals resolved when the module loads (see kvm.h for the table).
 *
 * Functions. Each table entry the target does not export to us is taken
 * with __symbol_get(), which finds only exported symbols (whatever module
 * they are exported to) and takes a reference on the owning module, so
 * kvm.ko stays until the exit path puts every reference back. Calling
 * them through a pointer is safe under IBT: an exported function's address
 * is taken by the export table, so objtool keeps its ENDBR; that, the name
 * and the owner are checked below before the pointer is used. Entries the
 * target exports to every module are linked directly, as any module's.
 *
 * kvm_x86_ops. The guest's CPL and code-segment mode come from the vendor
 * module's get_cpl/get_cs_db_l_bits, which KVM only reaches through
 * kvm_x86_ops, a data symbol no kernel exports. It is located through the
 * kprobes symbol resolver (register_kprobe() fills in the address before
 * it rejects a probe on data) and checked before use. The table's contents
 * are read at each use, so reloading kvm_amd/kvm_intel is safe.
 */
#include <linux/kallsyms.h>
#include <linux/kprobes.h>
#include <linux/module.h>
#include <linux/uaccess.h>
#include <asm/ibt.h>

#include "kvm.h"

struct xenhv_kvm_funcs xenhv_kvm __ro_after_init;
#ifdef COMPAT_APICV_INHIBIT_IN_BTF
int xenhv_apicv_inhibit_hyperv __ro_after_init;

/* The inhibit bit of KVM's own Hyper-V AutoEOI, from kvm.ko's BTF. */
static int kvm_consts_get(void)
{
	s64 v;
	int ret;

	ret = xenhv_btf_enum_value("kvm", "kvm_apicv_inhibit", "APICV_INHIBIT_REASON_HYPERV", &v);
	if (ret) {
		pr_err("cannot read APICV_INHIBIT_REASON_HYPERV from kvm.ko's BTF (/sys/kernel/btf/kvm): %d\n",
		       ret);
		return -ENOENT;
	}
	if (v < 0 || v >= BITS_PER_LONG) {
		pr_err("APICV_INHIBIT_REASON_HYPERV is %lld, not an inhibit bit\n", v);
		return -EINVAL;
	}
	xenhv_apicv_inhibit_hyperv = v;
	return 0;
}
#else
static int kvm_consts_get(void)
{
	return 0;
}
#endif
const struct kvm_x86_ops *xenhv_kvm_x86_ops __ro_after_init;

/* Each table entry: its name, where it is, and its address when linked. */
struct kvm_func {
	const char *name;
	size_t offset;
	void *linked;
};

#define KVM_FUNC(fn) { #fn, offsetof(struct xenhv_kvm_funcs, fn), XENHV_KVM_LINK_##fn }

static const struct kvm_func kvm_funcs[] = {
	KVM_FUNC(file_is_kvm),
	KVM_FUNC(kvm_emulate_hypercall),
	KVM_FUNC(kvm_get_msr_common),
	KVM_FUNC(kvm_set_msr_common),
	KVM_FUNC(kvm_emulate_cpuid),
	KVM_FUNC(kvm_emulate_halt),
	KVM_FUNC(kvm_vcpu_halt),
	KVM_FUNC(kvm_vcpu_on_spin),
	KVM_FUNC(kvm_get_running_vcpu),
	KVM_FUNC(kvm_read_l1_tsc),
	KVM_FUNC(kvm_vcpu_read_guest),
	KVM_FUNC(kvm_vcpu_write_guest),
	KVM_FUNC(kvm_vcpu_gfn_to_hva),
	KVM_FUNC(kvm_read_guest_virt),
	KVM_FUNC(kvm_write_guest_virt_system),
	KVM_FUNC(kvm_mmu_gva_to_gpa_write),
	KVM_FUNC(kvm_queue_exception),
	KVM_FUNC(kvm_skip_emulated_instruction),
	KVM_FUNC(kvm_apic_send_ipi),
	KVM_FUNC(kvm_cpu_has_interrupt),
	KVM_FUNC(kvm_cpu_has_injectable_intr),
	KVM_FUNC(kvm_lapic_set_eoi),
	KVM_FUNC(kvm_flush_remote_tlbs),
	KVM_FUNC(kvm_set_or_clear_apicv_inhibit),
	KVM_FUNC(kvm_put_kvm_no_destroy),
#ifdef COMPAT_HAS_APIC_ACK_INTERRUPT
	KVM_FUNC(kvm_apic_ack_interrupt),
#else
	KVM_FUNC(kvm_cpu_get_interrupt),
	KVM_FUNC(kvm_lapic_find_highest_irr),
#endif
#ifdef COMPAT_HAS___KVM_VCPU_KICK
	KVM_FUNC(__kvm_vcpu_kick),
#else
	KVM_FUNC(kvm_vcpu_kick),
#endif
};

static void **kvm_func_slot(const struct kvm_func *f)
{
	/* Every member of the table has an entry above, and no more. */
	BUILD_BUG_ON(sizeof(xenhv_kvm) != ARRAY_SIZE(kvm_funcs) * sizeof(void *));
	return (void **)((char *)&xenhv_kvm + f->offset);
}

/* Whether @addr starts with ENDBR64, the mark an indirect call needs. */
static bool kvm_func_has_endbr(void *addr)
{
#ifdef CONFIG_X86_KERNEL_IBT
	u32 insn;

	if (copy_from_kernel_nofault(&insn, addr, sizeof(insn)))
		return false;
	return insn == gen_endbr();
#else
	return true;
#endif
}

/* @addr must be the start of @name in kvm.ko: "name+0x0/0x... [kvm]". */
static bool kvm_func_is(void *addr, const char *name)
{
	char sym[KSYM_SYMBOL_LEN];
	size_t n = strlen(name);

	sprint_symbol(sym, (unsigned long)addr);
	return !strncmp(sym, name, n) && !strncmp(sym + n, "+0x0/", 5) &&
	       strstr(sym, " [kvm]");
}

static void kvm_funcs_put(void)
{
	const struct kvm_func *f;

	for (f = kvm_funcs; f < kvm_funcs + ARRAY_SIZE(kvm_funcs); f++) {
		if (!f->linked && *kvm_func_slot(f))
			__symbol_put(f->name);
	}
}

static int kvm_funcs_get(void)
{
	const struct kvm_func *f;
	void *addr;

	for (f = kvm_funcs; f < kvm_funcs + ARRAY_SIZE(kvm_funcs); f++) {
		*kvm_func_slot(f) = f->linked;
		if (f->linked)
			continue;
		addr = __symbol_get(f->name);
		if (!addr) {
			pr_err("KVM does not export %s to any module: this kernel's KVM is not supported\n",
			       f->name);
			goto err;
		}
		*kvm_func_slot(f) = addr;
		if (!kvm_func_is(addr, f->name)) {
			pr_err("%s resolves to %pS, not to kvm.ko's %s\n", f->name, addr, f->name);
			goto err;
		}
		if (!kvm_func_has_endbr(addr)) {
			pr_err("%s has no ENDBR: it cannot be called through a pointer\n", f->name);
			goto err;
		}
	}
	return 0;
err:
	kvm_funcs_put();
	return -ENOENT;
}

#ifdef COMPAT_KVM_OPS_HARDWARE_ENABLE
#define KVM_OPS_VENDOR_HOOK	hardware_enable
#else
#define KVM_OPS_VENDOR_HOOK	enable_virtualization_cpu
#endif

static unsigned long lookup_symbol(const char *name)
{
	struct kprobe kp = { .symbol_name = name };
	unsigned long addr;
	int ret;

	ret = register_kprobe(&kp);
	addr = IS_ERR_OR_NULL(kp.addr) ? 0 : (unsigned long)kp.addr;
	if (!ret)
		unregister_kprobe(&kp);
	return addr;
}

int xenhv_compat_init(void)
{
	const struct kvm_x86_ops *ops;
	int ret;

	ops = (const struct kvm_x86_ops *)lookup_symbol("kvm_x86_ops");
	if (!ops) {
		pr_err("cannot locate kvm_x86_ops\n");
		return -ENOENT;
	}
	/*
	 * KVM leaves the rest of the table as the last vendor module set it
	 * when that module goes, and clears only its enable hook.
	 */
	if (!READ_ONCE(ops->KVM_OPS_VENDOR_HOOK) || !ops->get_cpl || !ops->get_cs_db_l_bits) {
		pr_err("no KVM vendor module (kvm_amd or kvm_intel) is loaded\n");
		return -ENODEV;
	}
	ret = kvm_consts_get();
	if (ret)
		return ret;
	ret = kvm_funcs_get();
	if (ret)
		return ret;
	xenhv_kvm_x86_ops = ops;
	return 0;
}

void xenhv_compat_exit(void)
{
	kvm_funcs_put();
}
