// SPDX-License-Identifier: GPL-2.0
/*
 * xen2hv decoders (see decode.h). Pure: compiled unchanged by tests/unit.
 */
#include <linux/limits.h>
#include <linux/string.h>

#include "decode.h"

#define NSEC_MSEC		1000000ull

int xen_poll_ports_check(const u32 *ports, u32 n)
{
	u32 i;

	if (n > XEN_POLL_MAX_PORTS)
		return -XEN_EINVAL;
	for (i = 0; i < n; i++)
		if (xen_poll_port_check(ports[i]))
			return -XEN_EINVAL;
	return 0;
}

int xen_vcpu_info_check(u64 mfn, u32 offset, u32 rsvd, u32 size)
{
	/* Frames past the 52-bit physical address space do not exist. */
	if (size > XEN_PAGE_BYTES || offset > XEN_PAGE_BYTES - size || rsvd || mfn >> (52 - 12))
		return -XEN_EINVAL;
	return 0;
}

int xen_periodic_check(u64 period_ns)
{
	if (period_ns < NSEC_MSEC || period_ns > (u64)S64_MAX)
		return -XEN_EINVAL;
	return 0;
}

u64 xen_timer_op_deadline(u64 timeout, u64 now)
{
	if ((s64)timeout < 0 || (timeout > now && timeout - now > (1ull << 50)))
		return now + 100 * NSEC_MSEC;
	return timeout;
}

u32 xen_area_first_len(u64 gva, u32 size)
{
	u32 room = XEN_PAGE_BYTES - (u32)(gva & (XEN_PAGE_BYTES - 1));

	return size < room ? size : room;
}
