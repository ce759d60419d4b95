/* SPDX-License-Identifier: GPL-2.0 */
#ifndef XENHV_UNIT_LINUX_LIMITS_H
#define XENHV_UNIT_LINUX_LIMITS_H
#include <stdint.h>
#define S64_MAX		INT64_MAX
#define U32_MAX		UINT32_MAX
#define U64_MAX		UINT64_MAX
#endif
