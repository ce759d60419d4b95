// SPDX-License-Identifier: GPL-2.0
/*
 * Attachment to KVM: redirection of KVM's exit handlers for hypercalls,
 * MSR accesses and CPUID, and a callback on VM destruction. This is the
 * only file that knows how the shim is attached to KVM; built into kvm.ko,
 * these entry points would be direct calls instead.
 *
 * A redirected function calls a trampoline of the shim's from its entry
 * (an ftrace direct call). The trampoline sends the call to the shim's
 * wrapper when it is for an attached VM: a VM that is not attached runs
 * KVM's function after one short check. The wrapper decides again (the VM
 * may be detached in between) and, for whatever the ABI does not take,
 * calls KVM's original, marked for the trampoline to let it through.
 *
 * The hooks of the hot path are registered only while at least one VM is
 * attached (xenhv_hooks_get() and xenhv_hooks_put()): a host without an
 * attached VM runs KVM's code untouched. Their filters are set at load, so
 * a kernel whose functions cannot be traced refuses the module then, not at
 * the first attach. Removal waits a second after the last detach and runs
 * in a work item: unregistering waits for an RCU-tasks grace period, and a
 * VMM that detaches and attaches again (reset) should not pay for that.
 * Only the teardown callback and, where the shim serves KVM's Xen uapi, the
 * ioctl hooks stay registered while the module is loaded.
 */
#include <linux/ftrace.h>
#include <linux/kprobes.h>
#include "compat/kvm.h"
#include <linux/module.h>
#include <linux/workqueue.h>

#include "xenhv.h"
#include "guest.h"

/*
 * A wrapper's call of the hooked KVM function @vcpu is in: marked for the
 * trampoline to let through (pass_begin()), and the mark cleared after it
 * too (pass_end()): with the hooks gone meanwhile (the VM detached), no
 * trampoline took it.
 */
static __always_inline void pass_begin(struct xenhv_vm *vm, struct kvm_vcpu *vcpu)
{
	set_bit(vcpu->vcpu_idx, vm->passing);
}

static __always_inline void pass_end(struct xenhv_vm *vm, struct kvm_vcpu *vcpu)
{
	clear_bit(vcpu->vcpu_idx, vm->passing);
}

#define PASS(vm, vcpu, call) ({						\
	struct xenhv_vm *__vm = (vm);					\
	struct kvm_vcpu *__vcpu = (vcpu);				\
	typeof(call) __r;						\
									\
	pass_begin(__vm, __vcpu);					\
	__r = (call);							\
	pass_end(__vm, __vcpu);						\
	__r;								\
})

/*
 * The trampoline of @wrap, whose function takes @vm_reg's argument as its
 * first after the original's. It is entered by the call at the function's
 * entry, before anything else ran: the return address into the function on
 * top of the stack, the function's own caller above it, its arguments in
 * their registers (at most two, kept around the question). To redirect,
 * the return address becomes the wrapper's entry: the wrapper then runs
 * with the same arguments and the VM's record, and returns to the caller.
 * Aligned as a function: ftrace takes a direct-call address with its low
 * bit set for one to jump to, not call (7.x).
 */
#define TRAMPOLINE(wrap, vm_reg)					\
	asm(".pushsection .text.xenhv_hot, \"ax\", @progbits\n"	\
	    ".balign 16\n"						\
	    ".type tramp_" #wrap ", @function\n"			\
	    "tramp_" #wrap ":\n\t"					\
	    ASM_ENDBR							\
	    "pushq %rbp\n\t"						\
	    "movq %rsp, %rbp\n\t"					\
	    CALL_DEPTH_ACCOUNT						\
	    "pushq %rdi\n\t"						\
	    "pushq %rsi\n\t"						\
	    "pushq %rdx\n\t"						\
	    "call xenhv_hook_vm\n\t"					\
	    "popq %rdx\n\t"						\
	    "popq %rsi\n\t"						\
	    "popq %rdi\n\t"						\
	    "testq %rax, %rax\n\t"					\
	    "jz 1f\n\t"						\
	    "movq %rax, " vm_reg "\n\t"				\
	    "leaq " #wrap "(%rip), %rax\n\t"				\
	    "movq %rax, 8(%rbp)\n"					\
	    "1:\tleave\n\t"						\
	    ASM_RET							\
	    ".size tramp_" #wrap ", .-tramp_" #wrap "\n"		\
	    ".popsection\n")

/*
 * Hypercalls go straight to the ABI's handler, without a wrapper: the
 * trampoline makes the handler the return address, with the VM's record
 * in the second argument register. As TRAMPOLINE() above, for
 * kvm_emulate_hypercall(vcpu), whose one argument is kept. First it reads
 * the per-CPU entry of the vCPU loaded here (vm.c, xenhv_vm_loaded): when
 * it names this vCPU, its record's ABI (vm->abi, offset 0) gives the
 * handler (abi->hypercall, offset 0), and nothing is called; a detach that
 * began (no ABI) goes on into KVM's function. Otherwise it asks
 * xenhv_hook_hcall() (vm.c), whose handler and record come back in RAX
 * and RDX.
 */
asm(".pushsection .text.xenhv_hot, \"ax\", @progbits\n"
	".balign 16\n"
	".type tramp_hook_hypercall, @function\n"
	"tramp_hook_hypercall:\n\t"
	ASM_ENDBR
	CALL_DEPTH_ACCOUNT
	"movq %gs:xenhv_vm_loaded(%rip), %rax\n\t"
	"cmpq %rdi, %rax\n\t"
	"jne 2f\n\t"
	"movq %gs:xenhv_vm_loaded+8(%rip), %rsi\n\t"
	"testq %rsi, %rsi\n\t"
	"jz 2f\n\t"
	"movq (%rsi), %rax\n\t"
	"testq %rax, %rax\n\t"
	"jz 1f\n\t"
	"movq (%rax), %rax\n\t"
	"movq %rax, (%rsp)\n"
	"1:\t" ASM_RET
	"2:\tpushq %rbp\n\t"
	"movq %rsp, %rbp\n\t"
	"pushq %rdi\n\t"
	"call xenhv_hook_hcall\n\t"
	"popq %rdi\n\t"
	"testq %rax, %rax\n\t"
	"jz 3f\n\t"
	"movq %rdx, %rsi\n\t"
	"movq %rax, 8(%rbp)\n"
	"3:\tleave\n\t"
	ASM_RET
	".size tramp_hook_hypercall, .-tramp_hook_hypercall\n"
	".popsection\n");

/*
 * The wrappers: the trampoline found @vm attached and passes it in the
 * argument register after the function's own. An attached VM's ABI is
 * entered inside xenhv_calls (see xenhv.h), and read again there: NULL
 * once detach began, and KVM's original then runs outside it.
 */
static int __xenhv_hot hook_get_msr(struct kvm_vcpu *vcpu, struct msr_data *msr,
				    struct xenhv_vm *vm)
{
	const struct xenhv_abi *abi;
	int idx, ret = XENHV_MSR_PASS;

	idx = xenhv_calls_enter();
	abi = xenhv_vm_abi(vm);
	if (abi)
		ret = abi->get_msr(vcpu, vm, msr);
	xenhv_calls_exit(idx);
	return ret != XENHV_MSR_PASS ? ret : PASS(vm, vcpu, KVM_FN(kvm_get_msr_common)(vcpu, msr));
}

TRAMPOLINE(hook_get_msr, "%rdx");

static int __xenhv_hot hook_set_msr(struct kvm_vcpu *vcpu, struct msr_data *msr,
				    struct xenhv_vm *vm)
{
	const struct xenhv_abi *abi;
	int idx, ret = XENHV_MSR_PASS;

	idx = xenhv_calls_enter();
	abi = xenhv_vm_abi(vm);
	if (abi)
		ret = abi->set_msr(vcpu, vm, msr);
	xenhv_calls_exit(idx);
	return ret != XENHV_MSR_PASS ? ret : PASS(vm, vcpu, KVM_FN(kvm_set_msr_common)(vcpu, msr));
}

TRAMPOLINE(hook_set_msr, "%rdx");

static bool cpuid_faulting(struct kvm_vcpu *vcpu)
{
	return (vcpu->arch.msr_misc_features_enables &
		MSR_MISC_FEATURES_ENABLES_CPUID_FAULT) && xenhv_guest_cpl(vcpu);
}

/*
 * Guest CPUID of the hypervisor range, for VMs attached with
 * XENHV_ATTACH_CPUID: the whole 0x40000000..0x4000ffff range belongs to the
 * ABI, so KVM's own signature cannot show through at another base. CPUID
 * faulting stays KVM's business.
 */
static int hook_cpuid(struct kvm_vcpu *vcpu, struct xenhv_vm *vm)
{
	const struct xenhv_abi *abi;
	u32 leaf, r[4];
	int idx;

	if (!(vm->flags & XENHV_ATTACH_CPUID))
		goto native;
	leaf = xenhv_reg(vcpu, VCPU_REGS_RAX);
	if ((leaf & 0xffff0000) != 0x40000000 || cpuid_faulting(vcpu))
		goto native;
	idx = xenhv_calls_enter();
	abi = xenhv_vm_abi(vm);
	if (abi) {
		abi->cpuid(vm, vcpu, leaf, xenhv_reg(vcpu, VCPU_REGS_RCX), r);
		xenhv_count(vm, XENHV_OP_CPUID, XENHV_STAT_KERNEL);
	}
	xenhv_calls_exit(idx);
	if (!abi)
		goto native;
	xenhv_set_reg(vcpu, VCPU_REGS_RAX, r[0]);
	xenhv_set_reg(vcpu, VCPU_REGS_RBX, r[1]);
	xenhv_set_reg(vcpu, VCPU_REGS_RCX, r[2]);
	xenhv_set_reg(vcpu, VCPU_REGS_RDX, r[3]);
	return xenhv_skip_insn(vcpu);
native:
	return PASS(vm, vcpu, KVM_FN(kvm_emulate_cpuid)(vcpu));
}

TRAMPOLINE(hook_cpuid, "%rsi");

static int hook_halt(struct kvm_vcpu *vcpu, struct xenhv_vm *vm)
{
	const struct xenhv_abi *abi;
	int idx;

	idx = xenhv_calls_enter();
	abi = xenhv_vm_abi(vm);
	if (abi && abi->halt)
		abi->halt(vcpu, vm);
	xenhv_calls_exit(idx);
	return PASS(vm, vcpu, KVM_FN(kvm_emulate_halt)(vcpu));
}

TRAMPOLINE(hook_halt, "%rsi");

/*
 * SINTs with AutoEOI: the vector leaves the in-service register as it is
 * delivered, so the guest never writes the EOI for it. KVM's LAPIC does this
 * for its own Hyper-V only; the shim EOIs right after the ack, before the
 * vector is injected, which leaves the same LAPIC state. The vCPU's thread
 * runs this before VM entry; APIC virtualisation is inhibited while such a
 * SINT exists (hv2xen), so every vector passes through here.
 */
/* Whether @vector (< 0: any) of @vcpu is EOI'd on delivery. */
static bool hook_auto_eoi(struct kvm_vcpu *vcpu, struct xenhv_vm *vm, int vector)
{
	const struct xenhv_abi *abi;
	bool ret = false;
	int idx;

	/* The ABIs are static: only Hyper-V has AutoEOI, a Xen VM stops here. */
	abi = xenhv_vm_abi(vm);
	if (!abi || !abi->auto_eoi)
		return false;
	idx = xenhv_calls_enter();
	abi = xenhv_vm_abi(vm);
	if (abi && abi->auto_eoi)
		ret = abi->auto_eoi(vcpu, vm, vector);
	xenhv_calls_exit(idx);
	return ret;
}

#ifdef COMPAT_HAS_APIC_ACK_INTERRUPT
static void hook_apic_ack(struct kvm_vcpu *vcpu, int vector, struct xenhv_vm *vm)
{
	pass_begin(vm, vcpu);
	KVM_FN(kvm_apic_ack_interrupt)(vcpu, vector);
	pass_end(vm, vcpu);
	if (hook_auto_eoi(vcpu, vm, vector))
		KVM_FN(kvm_lapic_set_eoi)(vcpu);
}

TRAMPOLINE(hook_apic_ack, "%rdx");

#define HOOK_ACK	REDIRECT(kvm_apic_ack_interrupt, hook_apic_ack)
#else
/*
 * kvm_cpu_get_interrupt() serves the PIC first, then the LAPIC: a vector is
 * the LAPIC's when it was the highest one the LAPIC had pending.
 */
static int hook_get_interrupt(struct kvm_vcpu *vcpu, struct xenhv_vm *vm)
{
	int irr, vector;

	vector = xenhv_xen_uapi_pending(vcpu, true);
	if (vector)
		return vector;	/* an external interrupt: no LAPIC state */
	if (!hook_auto_eoi(vcpu, vm, -1)) {
		vector = PASS(vm, vcpu, KVM_FN(kvm_cpu_get_interrupt)(vcpu));
		/*
		 * Nothing, though an injectable interrupt was reported: another
		 * vCPU cleared upcall_pending in between. Deliver the upcall
		 * anyway (a spurious one costs the guest a scan); KVM must not
		 * be left with nothing to inject.
		 */
		if (vector < 0)
			vector = xenhv_xen_uapi_pending(vcpu, false) ?: vector;
		return vector;
	}
	irr = KVM_FN(kvm_lapic_find_highest_irr)(vcpu);
	vector = PASS(vm, vcpu, KVM_FN(kvm_cpu_get_interrupt)(vcpu));
	if (vector >= 0 && vector == irr && hook_auto_eoi(vcpu, vm, vector))
		KVM_FN(kvm_lapic_set_eoi)(vcpu);
	return vector;
}

TRAMPOLINE(hook_get_interrupt, "%rsi");

#define HOOK_ACK	REDIRECT(kvm_cpu_get_interrupt, hook_get_interrupt)

#ifndef CONFIG_KVM_XEN
/*
 * KVM's Xen uapi's VM-wide upcall vector (xen2hv/uapi.c) is an external
 * interrupt while upcall_pending is set, as KVM's own Xen has it: pending
 * for injection and for wakeup, delivered by hook_get_interrupt() above,
 * and looked for at each KVM_RUN and halt.
 */
static int hook_has_injectable_intr(struct kvm_vcpu *vcpu, struct xenhv_vm *vm)
{
	return xenhv_xen_uapi_pending(vcpu, true) ? 1 :
	       PASS(vm, vcpu, KVM_FN(kvm_cpu_has_injectable_intr)(vcpu));
}

TRAMPOLINE(hook_has_injectable_intr, "%rsi");

static int hook_has_interrupt(struct kvm_vcpu *vcpu, struct xenhv_vm *vm)
{
	return xenhv_xen_uapi_pending(vcpu, true) ? 1 :
	       PASS(vm, vcpu, KVM_FN(kvm_cpu_has_interrupt)(vcpu));
}

TRAMPOLINE(hook_has_interrupt, "%rsi");
#endif
#endif

struct xenhv_hook {
	const char *name;
	void * const *target;	/* KVM function's table entry; NULL: by name */
	void *wrapper;		/* ioctl_cb(): where the ioctls it serves go */
	void (*tramp)(void);	/* a redirect: the trampoline, see TRAMPOLINE() */
	bool (*serves)(unsigned int ioctl);	/* ioctl_cb(): which go to wrapper */
	bool always;		/* registered while the module is loaded */
	struct ftrace_ops ops;
	bool filtered;
	bool active;
};

/* kvm_arch_destroy_vm(struct kvm *kvm): the VM's vCPUs exist, none runs. */
static void notrace destroy_cb(unsigned long ip, unsigned long parent_ip,
			       struct ftrace_ops *ops, struct ftrace_regs *fregs)
{
	struct pt_regs *regs = ftrace_get_regs(fregs);

	if (regs)
		xenhv_vm_destroyed((struct kvm *)regs->di);
}

/* kvm_arch_vcpu_load/put(vcpu, ...): the vCPU's thread is scheduled in/out. */
static void notrace sched_cb(struct ftrace_regs *fregs, bool in)
{
	struct pt_regs *regs = ftrace_get_regs(fregs);
	const struct xenhv_abi *abi;
	struct kvm_vcpu *vcpu;
	struct xenhv_vm *vm;
	int idx;

	if (!regs)
		return;
	vcpu = (struct kvm_vcpu *)regs->di;
	vm = in ? xenhv_vcpu_load(vcpu) : xenhv_vcpu_put(vcpu);
	abi = vm ? xenhv_vm_abi(vm) : NULL;
	if (!abi || !abi->sched)
		return;
	idx = xenhv_calls_enter();
	abi = xenhv_vm_abi(vm);
	if (abi)
		abi->sched(vcpu, vm, in);
	xenhv_calls_exit(idx);
}

/*
 * kvm_arch_vcpu_ioctl_set_mpstate(vcpu, ...): the VMM sets a vCPU's MP
 * state. QEMU does so for every vCPU exactly when it resets the machine
 * (and when it loads a migration stream), so vCPU 0's is taken as a system
 * reset: xenhv_vm_reset_on_return() resets the ABI's state before that
 * thread returns to userspace, so before vCPU 0 runs again.
 */
static void notrace mpstate_cb(unsigned long ip, unsigned long parent_ip,
			       struct ftrace_ops *ops, struct ftrace_regs *fregs)
{
	struct pt_regs *regs = ftrace_get_regs(fregs);
	struct kvm_vcpu *vcpu;

	if (!regs)
		return;
	vcpu = (struct kvm_vcpu *)regs->di;
	if (vcpu->vcpu_idx == 0)
		xenhv_vm_reset_on_return(vcpu->kvm);
}

/* kvm_arch_vcpu_ioctl_run(vcpu): an upcall owed makes the entry inject it. */
static void notrace __maybe_unused run_cb(unsigned long ip, unsigned long parent_ip,
					  struct ftrace_ops *ops, struct ftrace_regs *fregs)
{
	struct pt_regs *regs = ftrace_get_regs(fregs);
	struct kvm_vcpu *vcpu;

	if (!regs)
		return;
	vcpu = (struct kvm_vcpu *)regs->di;
	if (xenhv_xen_uapi_pending(vcpu, true))
		kvm_make_request(KVM_REQ_EVENT, vcpu);
}

static void notrace load_cb(unsigned long ip, unsigned long parent_ip,
			    struct ftrace_ops *ops, struct ftrace_regs *fregs)
{
	sched_cb(fregs, true);
}

static void notrace put_cb(unsigned long ip, unsigned long parent_ip,
			   struct ftrace_ops *ops, struct ftrace_regs *fregs)
{
	sched_cb(fregs, false);
}

#ifndef CONFIG_KVM_XEN
/*
 * KVM's Xen uapi on a kernel without CONFIG_KVM_XEN (xen2hv/uapi.c): KVM's
 * kvm_arch_vm_ioctl() and kvm_arch_vcpu_ioctl() answer -ENOTTY for the Xen
 * ioctls there, so the callback sends exactly those to the shim, whose
 * wrapper takes the original's place; every other ioctl is KVM's alone.
 * The wrappers may sleep, so they hold the module while they run.
 */
static void notrace ioctl_cb(unsigned long ip, unsigned long parent_ip,
			     struct ftrace_ops *ops, struct ftrace_regs *fregs)
{
	struct xenhv_hook *h = container_of(ops, struct xenhv_hook, ops);

	if (h->serves((unsigned int)xenhv_ftrace_arg(fregs, 1)))
		ftrace_regs_set_instruction_pointer(fregs, (unsigned long)h->wrapper);
}

static long hook_xen_vm_ioctl(struct file *filp, unsigned int ioctl, unsigned long arg)
{
	long ret;

	if (!try_module_get(THIS_MODULE))
		return -ENOTTY;
	ret = xenhv_xen_uapi_vm(filp->private_data, ioctl, arg);
	module_put(THIS_MODULE);
	return ret;
}

static long hook_xen_vcpu_ioctl(struct file *filp, unsigned int ioctl, unsigned long arg)
{
	long ret;

	if (!try_module_get(THIS_MODULE))
		return -ENOTTY;
	ret = xenhv_xen_uapi_vcpu(filp->private_data, ioctl, arg);
	module_put(THIS_MODULE);
	return ret;
}

#define IOCTL(fn, wrap, filter) {					\
	.name = #fn, .wrapper = wrap, .serves = filter, .always = true,	\
	.ops = { .func = ioctl_cb, .flags = XENHV_FTRACE_REDIRECT_FLAGS }, \
}
#endif

/* KVM_CHECK_EXTENSION(KVM_CAP_XEN_HVM): KVM's answer there is 0. */
static int check_extension_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	*(long *)ri->data = regs_get_kernel_argument(regs, 1);
	return 0;
}

static int check_extension_ret(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	if (*(long *)ri->data == KVM_CAP_XEN_HVM && !regs_return_value(regs))
		regs_set_return_value(regs, xenhv_xen_uapi_caps());
	return 0;
}

static struct kretprobe check_extension_probe = {
	.kp.symbol_name = "kvm_vm_ioctl_check_extension",
	.entry_handler = check_extension_entry,
	.handler = check_extension_ret,
	.data_size = sizeof(long),
	.maxactive = 256,	/* a missed return would answer 0 */
};

static bool check_extension_probed;

#define CALLBACK(fn, cb) {						\
	.name = #fn,							\
	.ops = { .func = cb, .flags = FTRACE_OPS_FL_SAVE_REGS | FTRACE_OPS_FL_RECURSION }, \
}

/* @fn goes to @wrap through tramp_@wrap (TRAMPOLINE()). */
#define REDIRECT(fn, wrap) {						\
	.name = #fn, .target = (void * const *)&xenhv_kvm.fn, .wrapper = wrap, \
	.tramp = tramp_##wrap,						\
}

static struct xenhv_hook hooks[] = {
	/* First: teardown must be in place before anything can attach. */
	{
		.name = "kvm_arch_destroy_vm",
		.always = true,
		.ops = {
			.func = destroy_cb,
			.flags = FTRACE_OPS_FL_SAVE_REGS | FTRACE_OPS_FL_RECURSION,
		},
	},
	/*
	 * Registered in this order and removed in the reverse one, so every
	 * load these hooks see is followed by a put they see: no entry of
	 * xenhv_vcpu_load() stays after its vCPU was put (vm.c).
	 */
	CALLBACK(kvm_arch_vcpu_put, put_cb),
	CALLBACK(kvm_arch_vcpu_load, load_cb),
	{
		.name = "kvm_emulate_hypercall",
		.target = (void * const *)&xenhv_kvm.kvm_emulate_hypercall,
		.tramp = tramp_hook_hypercall,
	},
	REDIRECT(kvm_get_msr_common, hook_get_msr),
	REDIRECT(kvm_set_msr_common, hook_set_msr),
	REDIRECT(kvm_emulate_cpuid, hook_cpuid),
	REDIRECT(kvm_emulate_halt, hook_halt),
	HOOK_ACK,
	CALLBACK(kvm_arch_vcpu_ioctl_set_mpstate, mpstate_cb),
#ifndef CONFIG_KVM_XEN
	IOCTL(kvm_arch_vm_ioctl, hook_xen_vm_ioctl, xenhv_xen_uapi_vm_ioctl),
	IOCTL(kvm_arch_vcpu_ioctl, hook_xen_vcpu_ioctl, xenhv_xen_uapi_vcpu_ioctl),
#ifdef XENHV_HOOKS_GET_INTERRUPT
	REDIRECT(kvm_cpu_has_injectable_intr, hook_has_injectable_intr),
	REDIRECT(kvm_cpu_has_interrupt, hook_has_interrupt),
	CALLBACK(kvm_arch_vcpu_ioctl_run, run_cb),
#endif
#endif
};

static void hook_unregister(struct xenhv_hook *h)
{
	if (!h->active)
		return;
	if (h->tramp)
		xenhv_unregister_direct(&h->ops, (unsigned long)h->tramp);
	else
		unregister_ftrace_function(&h->ops);
	h->active = false;
}

static int hook_register(struct xenhv_hook *h)
{
	int ret;

	if (h->tramp)
		ret = xenhv_register_direct(&h->ops, (unsigned long)h->tramp);
	else
		ret = register_ftrace_function(&h->ops);

	if (ret) {
		pr_err("cannot hook %s: %d\n", h->name, ret);
		return ret;
	}
	h->active = true;
	return 0;
}

static int hook_filter(struct xenhv_hook *h)
{
	int ret;

	if (h->target)
		ret = ftrace_set_filter_ip(&h->ops, (unsigned long)*h->target, 0, 0);
	else
		ret = ftrace_set_filter(&h->ops, (unsigned char *)h->name,
					strlen(h->name), 0);
	if (ret) {
		pr_err("cannot trace %s: %d\n", h->name, ret);
		return ret;
	}
	h->filtered = true;
	return 0;
}

/*
 * The hooks of the hot path, counted by attached VMs. hot_mutex orders
 * registration and removal; the count itself is atomic, since the last
 * VM may go in atomic context (kvm_arch_destroy_vm()).
 */
static DEFINE_MUTEX(hot_mutex);
static atomic_t hot_users = ATOMIC_INIT(0);
static bool hot_registered;

static void hot_unregister(void)
{
	int i;

	for (i = ARRAY_SIZE(hooks) - 1; i >= 0; i--)
		if (!hooks[i].always)
			hook_unregister(&hooks[i]);
	/* The puts from now on are unseen: no entry of a loaded vCPU stays. */
	xenhv_vm_loaded_clear(NULL);
	hot_registered = false;
}

static void hot_remove_fn(struct work_struct *work)
{
	mutex_lock(&hot_mutex);
	if (hot_registered && !atomic_read(&hot_users))
		hot_unregister();
	mutex_unlock(&hot_mutex);
}

static DECLARE_DELAYED_WORK(hot_remove_work, hot_remove_fn);

/* Before a VM is attached; process context. */
int xenhv_hooks_get(void)
{
	int i, ret = 0;

	mutex_lock(&hot_mutex);
	for (i = 0; !hot_registered && i < ARRAY_SIZE(hooks); i++) {
		if (hooks[i].always)
			continue;
		ret = hook_register(&hooks[i]);
		if (ret) {
			hot_unregister();
			goto out;
		}
	}
	hot_registered = true;
	atomic_inc(&hot_users);
out:
	mutex_unlock(&hot_mutex);
	return ret;
}

/* After a VM stopped being attached; any context. */
void xenhv_hooks_put(void)
{
	if (atomic_dec_and_test(&hot_users))
		mod_delayed_work(system_long_wq, &hot_remove_work, HZ);
}

int xenhv_hook_init(void)
{
	int i, ret;

	for (i = 0; i < ARRAY_SIZE(hooks); i++) {
		ret = hook_filter(&hooks[i]);
		if (!ret && hooks[i].always)
			ret = hook_register(&hooks[i]);
		if (ret)
			goto err;
	}
	/* Where KVM has Xen of its own, its uapi is its own business. */
	if (!IS_ENABLED(CONFIG_KVM_XEN)) {
		ret = register_kretprobe(&check_extension_probe);
		if (ret) {
			pr_err("cannot probe kvm_vm_ioctl_check_extension: %d\n", ret);
			goto err;
		}
		check_extension_probed = true;
	}
	return 0;
err:
	xenhv_hook_exit();
	return ret;
}

/*
 * No VM is attached (each attachment holds the module). Unregistering
 * waits for callbacks in flight; wrappers are not reentered.
 */
void xenhv_hook_exit(void)
{
	int i;

	if (check_extension_probed) {
		unregister_kretprobe(&check_extension_probe);
		check_extension_probed = false;
	}
	cancel_delayed_work_sync(&hot_remove_work);
	for (i = ARRAY_SIZE(hooks) - 1; i >= 0; i--) {
		hook_unregister(&hooks[i]);
		if (hooks[i].filtered)
			ftrace_free_filter(&hooks[i].ops);
		hooks[i].filtered = false;
	}
	hot_registered = false;
}
