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
/* 6.1: only SAVE_REGS callers get full pt_regs; they are what we register. */
#define ftrace_regs_set_instruction_pointer(fregs, _ip) \
	(ftrace_get_regs(fregs)->ip = (_ip))
#endif

#endif /* XENHV_COMPAT_H */
