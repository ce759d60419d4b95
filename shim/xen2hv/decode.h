/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xen2hv decoders: the argument structures of the Xen calls the shim
 * serves, checked as pure functions of the bytes and values the caller read
 * from the guest. No guest access, no locks, no allocation: tests/unit
 * compiles decode.c unchanged in userspace for unit tests and libFuzzer.
 * Each check returns 0 or a Xen error (-XEN_E*).
 */
#ifndef XENHV_XEN2HV_DECODE_H
#define XENHV_XEN2HV_DECODE_H

#include <linux/string.h>
#include <linux/types.h>

/* Xen's error numbers (xen/include/public/errno.h); results are -XEN_E*. */
#define XEN_EPERM		1
#define XEN_ENOENT		2
#define XEN_ESRCH		3
#define XEN_ENOMEM		12
#define XEN_EFAULT		14
#define XEN_EBUSY		16
#define XEN_EEXIST		17
#define XEN_EINVAL		22
#define XEN_ENOSPC		28
#define XEN_ENOSYS		38
#define XEN_ETIME		62

/* The 2-level event channel ABI of a 64-bit guest: 64 words of 64 ports. */
#define XEN_NR_PORTS		(64 * 64)
#define XEN_POLL_MAX_PORTS	128
#define XEN_PAGE_BYTES		4096u

/* struct sched_poll in either guest width. */
struct xen_poll_args {
	u64 ports;		/* guest address of nr_ports evtchn_port_t */
	u32 nr_ports;
	u64 timeout;		/* absolute guest time; 0: none */
};

/* The bytes of struct sched_poll a guest of that width passes. */
static inline u32 xen_poll_size(bool longmode)
{
	return longmode ? 24 : 16;
}

/* Inline: SCHEDOP_poll is on the hot path. */
static inline int xen_poll_decode(const u8 *raw, bool longmode, struct xen_poll_args *a)
{
	u32 h32;

	if (longmode) {
		memcpy(&a->ports, raw, 8);
		memcpy(&a->nr_ports, raw + 8, 4);
		memcpy(&a->timeout, raw + 16, 8);
	} else {
		memcpy(&h32, raw, 4);
		a->ports = h32;
		memcpy(&a->nr_ports, raw + 4, 4);
		memcpy(&a->timeout, raw + 8, 8);
	}
	return a->nr_ports > XEN_POLL_MAX_PORTS ? -XEN_EINVAL : 0;
}

/* A port a poll may name: in the 2-level ABI's range; port 0 is never bound. */
static inline int xen_poll_port_check(u32 port)
{
	return port && port < XEN_NR_PORTS ? 0 : -XEN_EINVAL;
}

int xen_poll_ports_check(const u32 *ports, u32 n);
/* VCPUOP_register_vcpu_info: the offset of a @size-byte vcpu_info. */
int xen_vcpu_info_check(u64 mfn, u32 offset, u32 rsvd, u32 size);
/* VCPUOP_set_periodic_timer: Xen's bounds, 1 ms up to STIME_DELTA_MAX. */
int xen_periodic_check(u64 period_ns);
/*
 * VCPUOP_set_singleshot_timer at guest time @now; @future: the caller's
 * VCPU_SSHOTTMR_future flag. Inline: on the hot path.
 */
static inline int xen_singleshot_check(u64 timeout_abs_ns, bool future, u64 now)
{
	if (future && timeout_abs_ns < now)
		return -XEN_ETIME;
	return 0;
}

/*
 * set_timer_op: the deadline Xen programs for @timeout (not 0) at guest
 * time @now; a deadline negative or more than 2^50 ns ahead is 100 ms away.
 */
u64 xen_timer_op_deadline(u64 timeout, u64 now);
/* The part of a @size-byte area at @gva in its first page. */
u32 xen_area_first_len(u64 gva, u32 size);

#endif
