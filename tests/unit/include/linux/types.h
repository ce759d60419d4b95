/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace stand-in for the kernel's linux/types.h: the shim's pure decoders only. */
#ifndef XENHV_UNIT_LINUX_TYPES_H
#define XENHV_UNIT_LINUX_TYPES_H
#include_next <linux/types.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int8_t s8;
typedef int16_t s16;
typedef int32_t s32;
typedef int64_t s64;

#define __packed	__attribute__((__packed__))
#define __aligned(x)	__attribute__((__aligned__(x)))
#endif
