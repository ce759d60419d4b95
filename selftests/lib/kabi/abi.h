/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The guest ABIs as the kernel defines them: the selftests include the
 * kernel's own Xen (include/xen/interface) and Hyper-V (asm/hyperv-tlfs.h)
 * headers from the fetched kernel tree, with the few kernel-internal types
 * and macros they rely on provided here.
 */
#ifndef XENHV_KABI_H
#define XENHV_KABI_H

#include <stdint.h>
#include <linux/types.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int8_t s8;
typedef int16_t s16;
typedef int32_t s32;
typedef int64_t s64;

#ifndef __packed
#define __packed __attribute__((packed))
#endif
#ifndef __aligned
#define __aligned(x) __attribute__((aligned(x)))
#endif
typedef uint64_t aligned_u64 __attribute__((aligned(8)));
#define CONFIG_X86_64 1

#include <asm/hyperv-tlfs.h>
#include <xen/interface/xen.h>
#include <xen/interface/version.h>
#include <xen/interface/sched.h>
#include <xen/interface/event_channel.h>
#include <xen/interface/vcpu.h>
#include <xen/interface/memory.h>
#include <xen/interface/hvm/hvm_op.h>
#include <xen/interface/hvm/params.h>
#include <xen/interface/features.h>
#include <asm/xen/cpuid.h>

#endif
