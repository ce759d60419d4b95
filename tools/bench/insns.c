// SPDX-License-Identifier: GPL-2.0
/*
 * A plugin for QEMU's TCG: counts the instructions the guest executes in
 * kernel space (its higher half), and each time the guest runs the marker
 * page (xenhv-bench --insns) writes that count as a line of the file named
 * by its out= argument. Timing under an emulator moves by a few percent
 * from run to run; instructions executed per call do not, so make bench
 * prints them beside the rates.
 *
 * Built outside QEMU's tree (qemu-plugin.h); the version it declares is
 * QEMU_PLUGIN_API_VERSION, set by the build for the QEMU at hand.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "insns.h"
#include "qemu-plugin.h"

#define EXPORT	__attribute__((visibility("default")))

EXPORT int qemu_plugin_version = QEMU_PLUGIN_API_VERSION;

#define KERNEL_HALF	0xffff800000000000ull

/* Single-threaded TCG (scripts/run.sh): one vCPU runs at a time. */
static uint64_t kernel_insns;
static FILE *out;

static void tb_kernel(unsigned int vcpu, void *n)
{
	kernel_insns += (uintptr_t)n;
}

static void tb_marker(unsigned int vcpu, void *unused)
{
	fprintf(out, "%llu\n", (unsigned long long)kernel_insns);
	fflush(out);
}

static void tb_translated(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	uint64_t va = qemu_plugin_tb_vaddr(tb);

	if (va == XENHV_INSNS_MARKER)
		qemu_plugin_register_vcpu_tb_exec_cb(tb, tb_marker, QEMU_PLUGIN_CB_NO_REGS, NULL);
	else if (va >= KERNEL_HALF)
		qemu_plugin_register_vcpu_tb_exec_cb(tb, tb_kernel, QEMU_PLUGIN_CB_NO_REGS,
						     (void *)(uintptr_t)qemu_plugin_tb_n_insns(tb));
}

static void at_exit(qemu_plugin_id_t id, void *unused)
{
	fclose(out);
}

EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv)
{
	const char *path = NULL;
	int i;

	for (i = 0; i < argc; i++)
		if (!strncmp(argv[i], "out=", 4))
			path = argv[i] + 4;
	if (!path || !info->system_emulation)
		return -1;
	out = fopen(path, "w");
	if (!out)
		return -1;
	qemu_plugin_register_vcpu_tb_trans_cb(id, tb_translated);
	qemu_plugin_register_atexit_cb(id, at_exit, NULL);
	return 0;
}
