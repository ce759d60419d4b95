// SPDX-License-Identifier: GPL-2.0
/*
 * The Xen decoders of shim/xen2hv/decode.c, compiled unchanged: sched_poll
 * in both guest widths, port lists, vcpu_info placement, the timer bounds
 * and set_timer_op's far-deadline rule.
 */
#include <string.h>

#include "xtest.h"
#include "xen2hv/decode.h"

#define MS	1000000ull

XTEST(poll_layouts)
{
	struct xen_poll_args a;
	u8 raw[24] = {};
	u64 v;
	u32 w;

	v = 0x1122334455667788ull;
	memcpy(raw, &v, 8);
	w = 3;
	memcpy(raw + 8, &w, 4);
	v = 5 * MS;
	memcpy(raw + 16, &v, 8);
	TEST_ASSERT_EQ(xen_poll_size(true), 24);
	TEST_ASSERT_EQ(xen_poll_decode(raw, true, &a), 0);
	TEST_ASSERT_EQ(a.ports, 0x1122334455667788ull);
	TEST_ASSERT_EQ(a.nr_ports, 3);
	TEST_ASSERT_EQ(a.timeout, 5 * MS);

	memset(raw, 0, sizeof(raw));
	w = 0xdeadbeef;
	memcpy(raw, &w, 4);
	w = 128;
	memcpy(raw + 4, &w, 4);
	v = 7;
	memcpy(raw + 8, &v, 8);
	TEST_ASSERT_EQ(xen_poll_size(false), 16);
	TEST_ASSERT_EQ(xen_poll_decode(raw, false, &a), 0);
	TEST_ASSERT_EQ(a.ports, 0xdeadbeef);
	TEST_ASSERT_EQ(a.nr_ports, 128);
	TEST_ASSERT_EQ(a.timeout, 7);
	w = 129;
	memcpy(raw + 4, &w, 4);
	TEST_ASSERT_EQ(xen_poll_decode(raw, false, &a), -XEN_EINVAL);
	w = ~0u;
	memcpy(raw + 4, &w, 4);
	TEST_ASSERT_EQ(xen_poll_decode(raw, false, &a), -XEN_EINVAL);
}

XTEST(poll_ports)
{
	u32 p[XEN_POLL_MAX_PORTS + 1];
	u32 i;

	for (i = 0; i <= XEN_POLL_MAX_PORTS; i++)
		p[i] = i + 1;
	TEST_ASSERT_EQ(xen_poll_ports_check(p, 0), 0);
	TEST_ASSERT_EQ(xen_poll_ports_check(p, XEN_POLL_MAX_PORTS), 0);
	TEST_ASSERT_EQ(xen_poll_ports_check(p, XEN_POLL_MAX_PORTS + 1), -XEN_EINVAL);
	p[5] = 0;
	TEST_ASSERT_EQ(xen_poll_ports_check(p, 10), -XEN_EINVAL);
	p[5] = XEN_NR_PORTS - 1;
	TEST_ASSERT_EQ(xen_poll_ports_check(p, 10), 0);
	p[5] = XEN_NR_PORTS;
	TEST_ASSERT_EQ(xen_poll_ports_check(p, 10), -XEN_EINVAL);
	p[5] = ~0u;
	TEST_ASSERT_EQ(xen_poll_ports_check(p, 10), -XEN_EINVAL);
}

XTEST(vcpu_info_placement)
{
	TEST_ASSERT_EQ(xen_vcpu_info_check(0x1234, 0, 0, 64), 0);
	TEST_ASSERT_EQ(xen_vcpu_info_check(0x1234, 4096 - 64, 0, 64), 0);
	TEST_ASSERT_EQ(xen_vcpu_info_check(0x1234, 4096 - 63, 0, 64), -XEN_EINVAL);
	TEST_ASSERT_EQ(xen_vcpu_info_check(0x1234, ~0u, 0, 64), -XEN_EINVAL);
	TEST_ASSERT_EQ(xen_vcpu_info_check(0x1234, 0, 1, 64), -XEN_EINVAL);
	TEST_ASSERT_EQ(xen_vcpu_info_check((1ull << 40) - 1, 0, 0, 64), 0);
	TEST_ASSERT_EQ(xen_vcpu_info_check(1ull << 40, 0, 0, 64), -XEN_EINVAL);
	TEST_ASSERT_EQ(xen_vcpu_info_check(~0ull, 0, 0, 64), -XEN_EINVAL);
	TEST_ASSERT_EQ(xen_vcpu_info_check(1, 0, 0, 4097), -XEN_EINVAL);
}

XTEST(timer_bounds)
{
	TEST_ASSERT_EQ(xen_periodic_check(MS - 1), -XEN_EINVAL);
	TEST_ASSERT_EQ(xen_periodic_check(MS), 0);
	TEST_ASSERT_EQ(xen_periodic_check(INT64_MAX), 0);
	TEST_ASSERT_EQ(xen_periodic_check((u64)INT64_MAX + 1), -XEN_EINVAL);
	TEST_ASSERT_EQ(xen_periodic_check(~0ull), -XEN_EINVAL);
	TEST_ASSERT_EQ(xen_periodic_check(0), -XEN_EINVAL);

	TEST_ASSERT_EQ(xen_singleshot_check(99, true, 100), -XEN_ETIME);
	TEST_ASSERT_EQ(xen_singleshot_check(100, true, 100), 0);
	TEST_ASSERT_EQ(xen_singleshot_check(99, false, 100), 0);
	TEST_ASSERT_EQ(xen_singleshot_check(~0ull, true, 100), 0);
}

XTEST(timer_op_far_deadlines)
{
	u64 now = 1000 * MS;

	TEST_ASSERT_EQ(xen_timer_op_deadline(now + 5, now), now + 5);
	TEST_ASSERT_EQ(xen_timer_op_deadline(now - 5, now), now - 5);
	TEST_ASSERT_EQ(xen_timer_op_deadline(now + (1ull << 50), now), now + (1ull << 50));
	TEST_ASSERT_EQ(xen_timer_op_deadline(now + (1ull << 50) + 1, now), now + 100 * MS);
	TEST_ASSERT_EQ(xen_timer_op_deadline(1ull << 63, now), now + 100 * MS);
	TEST_ASSERT_EQ(xen_timer_op_deadline(~0ull, now), now + 100 * MS);
}

XTEST(area_split)
{
	TEST_ASSERT_EQ(xen_area_first_len(0x1000, 48), 48);
	TEST_ASSERT_EQ(xen_area_first_len(0x1fd0, 48), 48);
	TEST_ASSERT_EQ(xen_area_first_len(0x1fd8, 48), 40);
	TEST_ASSERT_EQ(xen_area_first_len(0x1fff, 48), 1);
	TEST_ASSERT_EQ(xen_area_first_len(~0ull, 48), 1);
}

int main(int argc, char **argv)
{
	return xtest_main(argc, argv);
}
