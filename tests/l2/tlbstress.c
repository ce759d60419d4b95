// SPDX-License-Identifier: GPL-2.0
/*
 * Run in the nested guest: one process with a thread on each of CPUs 0 and 1.
 * The thread on CPU 1 keeps the address space active there while the one on
 * CPU 0 maps, touches and unmaps memory, so every unmap needs a TLB flush on
 * the other CPU (flush_tlb_multi: an IPI, or the Hyper-V flush hypercall).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

static volatile int stop;

static int pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

static void *spin(void *arg)
{
	pin(1);
	while (!stop)
		;
	return arg;
}

int main(void)
{
	pthread_t t;
	int i, n = 0;

	if (pthread_create(&t, NULL, spin, NULL) || pin(0)) {
		printf("L2-TLBSTRESS: setup failed\n");
		return 1;
	}
	for (i = 0; i < 200; i++) {
		char *p = mmap(NULL, 4 * 4096, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED)
			break;
		memset(p, i, 4 * 4096);
		n += !munmap(p, 4 * 4096);
	}
	stop = 1;
	pthread_join(t, NULL);
	printf("L2-TLBSTRESS: %d unmaps with the mm live on two CPUs\n", n);
	return 0;
}
