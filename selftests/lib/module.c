// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "module.h"
#include "xtest.h"

bool xenhv_module_loaded(void)
{
	return access("/sys/module/" XENHV_MODNAME, F_OK) == 0;
}

const char *xenhv_module_path(void)
{
	static char path[4096];
	const char *env = getenv("XENHV_MODULE");
	struct utsname u;
	char series[16];
	int maj, min;

	if (env)
		return env;
	/*
	 * The runner builds build/<series>/ for each target kernel: the
	 * series is major.minor (6.1, 6.12), or the major alone (7).
	 */
	uname(&u);
	if (sscanf(u.release, "%d.%d", &maj, &min) != 2)
		return NULL;
	snprintf(series, sizeof(series), "%d.%d", maj, min);
	snprintf(path, sizeof(path), "build/%s/" XENHV_MODNAME ".ko", series);
	if (!access(path, R_OK))
		return path;
	snprintf(path, sizeof(path), "build/%d/" XENHV_MODNAME ".ko", maj);
	return access(path, R_OK) ? NULL : path;
}

int xenhv_module_load(const char *params)
{
	const char *path = xenhv_module_path();
	int fd, r;

	if (!path)
		return -ENOENT;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = syscall(SYS_finit_module, fd, params ? params : "", 0);
	r = r ? -errno : 0;
	close(fd);
	return r;
}

int xenhv_module_unload(void)
{
	return syscall(SYS_delete_module, XENHV_MODNAME, O_NONBLOCK) ? -errno : 0;
}

void xenhv_require_module(void)
{
	if (!xenhv_module_loaded())
		SKIP(XENHV_MODNAME " is not loaded");
}

#define TRACEFS "/sys/kernel/tracing"

bool xenhv_fn_traced(const char *fn)
{
	size_t n = strlen(fn);
	char line[512];
	bool on = false;
	FILE *f;

	f = fopen(TRACEFS "/enabled_functions", "r");
	if (!f && !mount("nodev", TRACEFS, "tracefs", 0, NULL))
		f = fopen(TRACEFS "/enabled_functions", "r");
	TEST_ASSERT(f, "cannot read " TRACEFS "/enabled_functions");
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, fn, n) && line[n] == ' ')
			on = true;
	fclose(f);
	return on;
}

bool xenhv_fn_traced_after(const char *fn, bool want)
{
	int i;

	for (i = 0; i < 100 && xenhv_fn_traced(fn) != want; i++)
		usleep(100000);
	return xenhv_fn_traced(fn);
}
