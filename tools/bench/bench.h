/* SPDX-License-Identifier: GPL-2.0 */
#ifndef XENHV_BENCH_H
#define XENHV_BENCH_H

#include <stdint.h>

#define ROUNDS	5

extern uint64_t iters;		/* calls per timed run */
double now(void);		/* seconds, CLOCK_MONOTONIC */
int cmp_double(const void *a, const void *b);
void bench_scaling(void);	/* scale.c */

#endif
