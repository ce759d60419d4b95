/* SPDX-License-Identifier: GPL-2.0 */
#ifndef XENHV_BENCH_INSNS_H
#define XENHV_BENCH_INSNS_H

/*
 * The page xenhv-bench --insns runs (a lone return) around each row, for
 * the instruction-counting plugin of make bench (insns.c) to note its
 * count: a user address nothing else maps.
 */
#define XENHV_INSNS_MARKER	0x7e5700000000ull

#endif /* XENHV_BENCH_INSNS_H */
