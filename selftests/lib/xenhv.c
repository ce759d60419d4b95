// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "xenhv.h"

int xenhv_open(void)
{
	int fd = open("/dev/xenhv_shim", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		SKIP("/dev/xenhv_shim: %s", strerror(errno));
	return fd;
}

int xenhv_attach(struct vm *vm, uint32_t abi, uint32_t flags, const void *cfg, size_t len)
{
	struct xenhv_attach at = { .vm_fd = vm->fd, .abi = abi, .flags = flags };
	int fd = xenhv_open(), r;

	if (cfg)
		memcpy(at.config, cfg, len);
	r = ioctl(fd, XENHV_ATTACH_VM, &at) ? -errno : 0;
	close(fd);
	return r;
}

void xenhv_attach_ok(struct vm *vm, uint32_t abi, uint32_t flags)
{
	int r = xenhv_attach(vm, abi, flags, NULL, 0);

	TEST_ASSERT(!r, "XENHV_ATTACH_VM: %s", strerror(-r));
}

int xenhv_detach(struct vm *vm)
{
	struct xenhv_detach d = { .vm_fd = vm->fd };
	int fd = xenhv_open(), r;

	r = ioctl(fd, XENHV_DETACH_VM, &d) ? -errno : 0;
	close(fd);
	return r;
}

int xenhv_stats(struct vm *vm, struct xenhv_vm_stats *st)
{
	int fd = xenhv_open(), r;

	memset(st, 0, sizeof(*st));
	st->vm_fd = vm->fd;
	r = ioctl(fd, XENHV_GET_VM_STATS, st) ? -errno : 0;
	close(fd);
	return r;
}
