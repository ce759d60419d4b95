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
	(FTRACE_OPS_FL_SAVE_REGS | FTRACE_OPS_FL_IPMODIFY)
#else
#define XENHV_FTRACE_REDIRECT_FLAGS	FTRACE_OPS_FL_IPMODIFY
#endif

/* Argument @n of a traced function, from an ops with the flags above. */
#ifdef COMPAT_NEED_FTRACE_REGS_SET_IP
#define xenhv_ftrace_arg(fregs, n) \
	regs_get_kernel_argument(ftrace_get_regs(fregs), n)
#else
#define xenhv_ftrace_arg(fregs, n)	ftrace_regs_get_argument(fregs, n)
#endif

/*
 * Direct calls from a traced function's entry to a trampoline of the
 * shim's (hook.c), for the functions of an ftrace_ops. The filters stay
 * with the ops when it is unregistered, for the next registration.
 */
#ifndef CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS
#error "xenhv_shim needs CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS"
#endif
#ifdef COMPAT_FTRACE_DIRECT_MULTI
#define xenhv_register_direct(ops, addr)	register_ftrace_direct_multi(ops, addr)
#define xenhv_unregister_direct(ops, addr)	unregister_ftrace_direct_multi(ops, addr)
#else
#define xenhv_register_direct(ops, addr)	register_ftrace_direct(ops, addr)
#define xenhv_unregister_direct(ops, addr)	unregister_ftrace_direct(ops, addr, false)
#endif

/* 6.2: call depth tracking, which a trampoline's frame accounts for. */
#include <asm/nospec-branch.h>
#ifndef CALL_DEPTH_ACCOUNT
#define CALL_DEPTH_ACCOUNT ""
#endif

#ifdef COMPAT_NEED_ASM_UNALIGNED
#include <asm/unaligned.h>
#else
#include <linux/unaligned.h>
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

#include <linux/hrtimer.h>
#ifdef COMPAT_NEED_HRTIMER_SETUP
/* 6.13: hrtimer_setup() sets the callback with the rest; before, by hand. */
static inline void hrtimer_setup(struct hrtimer *timer,
				 enum hrtimer_restart (*function)(struct hrtimer *),
				 clockid_t clock_id, enum hrtimer_mode mode)
{
	hrtimer_init(timer, clock_id, mode);
	timer->function = function;
}
#endif

#endif /* XENHV_COMPAT_H */
