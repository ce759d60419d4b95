// SPDX-License-Identifier: GPL-2.0
/*
 * ioctl fuzzer for /dev/xenhv_shim: several threads issue every ioctl of the
 * control device, and numbers that are none of them, with seeded random
 * fields, sizes and orders: file descriptors from a pool of VM fds (live,
 * being destroyed, closed), eventfds and unrelated files; reserved fields and
 * flags mostly but not always valid; user pointers into mapped memory, at
 * the edge of a guard page, unmapped or in the kernel's half. Meanwhile a
 * manager thread creates and destroys VMs (some with vCPUs, some attached)
 * and closes eventfds, so every ioctl races VM destruction.
 *
 * Every call must return 0 or one of the errors the API documents, an
 * unknown number -ENOTTY; afterwards no VM of this process is left in
 * XENHV_LIST_VMS and a freshly attached VM still works. The test guest's
 * kernel log check (and, on the debug kernel, KASAN, lockdep and kmemleak)
 * covers what the kernel would not tell us.
 *
 * XENHV_IOCTL_FUZZ_SECONDS sets the budget (default 10), XENHV_FUZZ_SEED
 * replays a run.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "vm.h"
#include "xenhv.h"
#include "xtest.h"

#define NR_THREADS	3
#define NR_SLOTS	6
#define PAGE		4096ul

struct pool {
	int dev;
	volatile int vm_fd[NR_SLOTS];	/* -1: none; may be closed under us */
	volatile int efd[NR_SLOTS];
	volatile bool stop;
	uint8_t *buf;			/* two pages, the second PROT_NONE */
	uint64_t seed;
};

struct worker {
	struct pool *p;
	pthread_t thread;
	uint64_t seed;
	uint64_t calls;
	uint64_t ok;
	int bad_errno;			/* first unexpected errno */
	unsigned long bad_cmd;
};

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static const unsigned long cmds[] = {
	XENHV_GET_VERSION, XENHV_ATTACH_VM, XENHV_DETACH_VM, XENHV_GET_VM_STATS,
	XENHV_LIST_VMS, XENHV_GET_CPUID, XENHV_RESET_VM, XENHV_XEN_BIND_PORT,
	XENHV_XEN_RAISE_PORT, XENHV_HV_BIND_CONN, XENHV_HV_BIND_SINT, XENHV_HV_POST_MESSAGE,
};

static bool known_cmd(unsigned long cmd)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cmds); i++)
		if (cmds[i] == cmd)
			return true;
	return false;
}

/* What the API documents for a bad request, a lost race or a full table. */
static bool allowed_errno(int e)
{
	switch (e) {
	case EINVAL: case ENOTTY: case EBADF: case EFAULT: case ENOENT: case EEXIST:
	case EBUSY: case ENXIO: case ENOSPC: case ENOMEM: case E2BIG: case EPERM:
	case EOPNOTSUPP: case ESRCH: case ENODEV:
		return true;
	}
	return false;
}

static int pick_fd(struct pool *p, uint64_t *s)
{
	uint64_t r = rnd(s);

	switch (r % 8) {
	case 0:
		return -1;
	case 1:
		return p->efd[(r >> 8) % NR_SLOTS];
	case 2:
		return p->dev;
	case 3:
		return (int)(r >> 16);
	default:
		return p->vm_fd[(r >> 8) % NR_SLOTS];
	}
}

/* A user pointer: into the buffer, at the guard page's edge, or nowhere. */
static uint64_t pick_ptr(struct pool *p, uint64_t *s, uint64_t len)
{
	uint64_t r = rnd(s);

	switch (r % 6) {
	case 0:
		return 0;
	case 1:
		return 0xffff888000000000ull + (r >> 8 & 0xfff000);
	case 2:
		return (uint64_t)(p->buf + PAGE - (len < PAGE ? len : PAGE) + (r >> 8) % 8);
	case 3:
		return (uint64_t)(p->buf + PAGE);	/* PROT_NONE */
	default:
		return (uint64_t)(p->buf + (r >> 8) % 512);
	}
}

/* Fill @arg for @cmd: random bytes, then usually plausible fields. */
static size_t shape(struct pool *p, uint64_t *s, unsigned long cmd, uint64_t *arg)
{
	bool fix = rnd(s) % 4;
	size_t n = _IOC_SIZE(cmd), i;
	uint64_t r;

	for (i = 0; i < (n + 7) / 8; i++)
		arg[i] = rnd(s) % 3 ? 0 : rnd(s);
	if (!fix)
		return n;
	r = rnd(s);
	switch (cmd) {
	case XENHV_ATTACH_VM: {
		struct xenhv_attach *a = (void *)arg;

		a->vm_fd = pick_fd(p, s);
		a->abi = r % 4;
		a->flags &= XENHV_ATTACH_FLAGS | (r & 0x100 ? 4 : 0);
		a->reserved0 = 0;
		memset(a->reserved, 0, sizeof(a->reserved));
		if (r & 0x200)
			memset(a->config, 0, sizeof(a->config));
		if (r & 0x400)
			a->hv.features = rnd(s) & XENHV_HV_ALL;
		break;
	}
	case XENHV_LIST_VMS: {
		struct xenhv_list *l = (void *)arg;

		l->nr = r & 0x10 ? (r >> 8) % 8 : (uint32_t)(r >> 8);
		l->flags = 0;
		l->vms = pick_ptr(p, s, (uint64_t)l->nr * sizeof(struct xenhv_vm_info));
		memset(l->reserved, 0, sizeof(l->reserved));
		break;
	}
	case XENHV_GET_CPUID: {
		struct xenhv_cpuid *c = (void *)arg;

		c->vm_fd = pick_fd(p, s);
		c->flags = 0;
		c->nent = r & 0x10 ? (r >> 8) % 64 : (uint32_t)(r >> 8);
		c->reserved0 = 0;
		c->entries = pick_ptr(p, s, (uint64_t)c->nent * 40);
		memset(c->reserved, 0, sizeof(c->reserved));
		break;
	}
	case XENHV_XEN_BIND_PORT: {
		struct xenhv_xen_port *b = (void *)arg;

		b->vm_fd = pick_fd(p, s);
		b->flags &= XENHV_PORT_FLAGS;
		b->port = r & 0x10 ? (r >> 8) % 70 : (uint32_t)(r >> 8);
		b->send_fd = r & 0x20 ? -1 : pick_fd(p, s);
		b->raise_fd = r & 0x40 ? -1 : pick_fd(p, s);
		b->reserved0 = 0;
		memset(b->reserved, 0, sizeof(b->reserved));
		break;
	}
	case XENHV_XEN_RAISE_PORT: {
		struct xenhv_xen_raise *x = (void *)arg;

		x->vm_fd = pick_fd(p, s);
		x->port = r & 0x10 ? (r >> 8) % 70 : (uint32_t)(r >> 8);
		x->flags = 0;
		x->reserved0 = 0;
		memset(x->reserved, 0, sizeof(x->reserved));
		break;
	}
	case XENHV_HV_BIND_CONN: {
		struct xenhv_hv_conn *b = (void *)arg;

		b->vm_fd = pick_fd(p, s);
		b->flags = 1u << (r % 4);
		b->conn_id = r & 0x10 ? (r >> 8) % 8 : (uint32_t)(r >> 8);
		b->fd = r & 0x20 ? -1 : pick_fd(p, s);
		b->vp_index = (r >> 12) % 3;
		b->sint = (r >> 16) % 17;
		b->reserved0 = 0;
		b->flag = (r >> 24) % 2050;
		memset(b->reserved, 0, sizeof(b->reserved));
		break;
	}
	case XENHV_HV_BIND_SINT: {
		struct xenhv_hv_sint *b = (void *)arg;

		b->vm_fd = pick_fd(p, s);
		b->flags &= XENHV_SINT_FLAGS;
		b->vp_index = (r >> 12) % 3;
		b->fd = r & 0x20 ? -1 : pick_fd(p, s);
		b->sint = (r >> 16) % 17;
		b->reserved0 = 0;
		b->flag = (r >> 24) % 2050;
		b->reserved1 = 0;
		memset(b->reserved, 0, sizeof(b->reserved));
		break;
	}
	case XENHV_HV_POST_MESSAGE: {
		struct xenhv_hv_message *m = (void *)arg;

		m->vm_fd = pick_fd(p, s);
		m->flags = 0;
		m->vp_index = (r >> 12) % 3;
		m->sint = (r >> 16) % 17;
		memset(m->reserved0, 0, sizeof(m->reserved0));
		m->message_type = (r >> 24) % 4;
		m->payload_size = r & 0x10 ? (r >> 32) % 250 : (uint32_t)(r >> 32);
		memset(m->reserved, 0, sizeof(m->reserved));
		break;
	}
	default:
		/* GET_VERSION, DETACH, RESET, GET_VM_STATS: fd, flags, reserved. */
		if (cmd != XENHV_GET_VERSION) {
			((int32_t *)arg)[0] = pick_fd(p, s);
			((uint32_t *)arg)[1] &= r & 0x10 ? ~0u : XENHV_STATS_BY_ID;
			if (cmd != XENHV_GET_VM_STATS)
				memset(arg + 1, 0, n - 8);
		} else {
			memset(arg, 0, n);
		}
	}
	return n;
}

/* A command number that is none of ours, or ours with a wrong size or direction. */
static unsigned long other_cmd(uint64_t *s)
{
	uint64_t r = rnd(s);

	switch (r % 3) {
	case 0:
		return _IOC(r >> 8 & 3, XENHV_IOCTL_TYPE, r >> 16 & 0xff, r >> 24 & 0x3fff);
	case 1:
		return cmds[(r >> 8) % ARRAY_SIZE(cmds)] ^ (1ul << (16 + (r >> 16) % 14));
	default:
		return (unsigned long)(r >> 8);
	}
}

static void *worker(void *arg)
{
	struct worker *w = arg;
	struct pool *p = w->p;
	uint64_t s = w->seed, buf[(16384 + 7) / 8];	/* the largest _IOC_SIZE */
	unsigned long cmd;
	int ret;

	while (!p->stop) {
		if (rnd(&s) % 8) {
			cmd = cmds[rnd(&s) % ARRAY_SIZE(cmds)];
			shape(p, &s, cmd, buf);
		} else {
			cmd = other_cmd(&s);
			memset(buf, 0, sizeof(buf));
		}
		/*
		 * Now and then the argument ends at the guard page, or its
		 * last byte is on it.
		 */
		if (rnd(&s) % 16 == 0 && _IOC_SIZE(cmd) && _IOC_SIZE(cmd) <= PAGE) {
			size_t off = rnd(&s) % 2;
			uint8_t *edge = p->buf + PAGE - _IOC_SIZE(cmd) + off;

			memcpy(edge, buf, _IOC_SIZE(cmd) - off);
			ret = ioctl(p->dev, cmd, edge);
		} else {
			ret = ioctl(p->dev, cmd, buf);
		}
		w->calls++;
		if (!ret) {
			w->ok++;
		} else if (!allowed_errno(errno) || (!known_cmd(cmd) && errno != ENOTTY)) {
			if (!w->bad_errno) {
				w->bad_errno = errno;
				w->bad_cmd = cmd;
			}
		}
	}
	return NULL;
}

static struct vm *new_vm(struct pool *p, uint64_t r)
{
	struct vm_opts o = { .irqchip = r & 1 };
	struct vm *vm = vm_create(&o);
	int i;

	for (i = 0; i < (int)(r >> 1 & 3); i++)
		vm_add_vcpu(vm, NULL);
	if (r & 8)
		xenhv_attach(vm, r & 16 ? XENHV_ABI_XEN : XENHV_ABI_HYPERV,
			     XENHV_ATTACH_CPUID, NULL, 0);
	return vm;
}

static int list_own(int dev, pid_t pid)
{
	struct xenhv_vm_info info[256];
	struct xenhv_list l = { .nr = 256, .vms = (uint64_t)info };
	uint32_t i;
	int n = 0;

	TEST_ASSERT(!ioctl(dev, XENHV_LIST_VMS, &l), "LIST_VMS: %s", strerror(errno));
	for (i = 0; i < l.nr && i < 256; i++)
		n += info[i].pid == pid;
	return n;
}

XTEST_TIMEOUT(ioctl_fuzz, 3600)
{
	const char *e = getenv("XENHV_IOCTL_FUZZ_SECONDS");
	const char *sd = getenv("XENHV_FUZZ_SEED");
	uint64_t secs = e ? strtoull(e, NULL, 0) : 10;
	uint64_t seed = sd ? strtoull(sd, NULL, 0) : (uint64_t)time(NULL);
	struct worker w[NR_THREADS] = {};
	struct vm *vms[NR_SLOTS] = {};
	uint64_t s = seed | 1, vms_made = 0, calls = 0, ok = 0;
	struct pool p = { .seed = seed };
	time_t end;
	int i;

	p.dev = xenhv_open();
	p.buf = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	TEST_ASSERT(p.buf != MAP_FAILED, "mmap");
	TEST_ASSERT(!mprotect(p.buf + PAGE, PAGE, PROT_NONE), "mprotect");
	for (i = 0; i < NR_SLOTS; i++) {
		vms[i] = new_vm(&p, rnd(&s));
		p.vm_fd[i] = vms[i]->fd;
		p.efd[i] = eventfd(0, EFD_NONBLOCK);
	}
	xtest_log("seed %llu, %llu s, %d threads", (unsigned long long)seed,
		  (unsigned long long)secs, NR_THREADS);
	for (i = 0; i < NR_THREADS; i++) {
		w[i].p = &p;
		w[i].seed = seed * (i + 2) | 1;
		TEST_ASSERT(!pthread_create(&w[i].thread, NULL, worker, &w[i]), "thread");
	}
	end = time(NULL) + secs;
	while (time(NULL) < end) {
		uint64_t r = rnd(&s);
		int k = (r >> 8) % NR_SLOTS;

		usleep(r % 20000);
		if (r & 0x10000) {
			p.vm_fd[k] = -1;
			vm_destroy(vms[k]);
			vms[k] = new_vm(&p, rnd(&s));
			p.vm_fd[k] = vms[k]->fd;
			vms_made++;
		} else {
			int old = p.efd[k];

			p.efd[k] = eventfd(0, EFD_NONBLOCK);
			close(old);
		}
	}
	p.stop = true;
	for (i = 0; i < NR_THREADS; i++) {
		pthread_join(w[i].thread, NULL);
		calls += w[i].calls;
		ok += w[i].ok;
		if (w[i].bad_errno)
			TEST_FAIL("ioctl 0x%lx failed with %s, which the API does not give",
				  w[i].bad_cmd, strerror(w[i].bad_errno));
	}
	for (i = 0; i < NR_SLOTS; i++) {
		vm_destroy(vms[i]);
		close(p.efd[i]);
	}
	xtest_log("%llu ioctls (%llu/s, %llu succeeded), %llu VMs made and destroyed",
		  (unsigned long long)calls, (unsigned long long)(calls / (secs ? secs : 1)),
		  (unsigned long long)ok, (unsigned long long)vms_made);
	TEST_ASSERT(calls > 0 && ok > 0, "the fuzzer made calls and some succeeded");

	/* Nothing of ours is left, and the device still serves a new VM. */
	TEST_ASSERT_EQ(list_own(p.dev, getpid()), 0);
	{
		struct vm *vm = new_vm(&p, 2);
		struct xenhv_vm_stats st = {};

		xenhv_attach_ok(vm, XENHV_ABI_XEN, XENHV_ATTACH_CPUID);
		TEST_ASSERT_EQ(xenhv_stats(vm, &st), 0);
		TEST_ASSERT_EQ(st.abi, XENHV_ABI_XEN);
		TEST_ASSERT_EQ(list_own(p.dev, getpid()), 1);
		vm_destroy(vm);
		TEST_ASSERT_EQ(list_own(p.dev, getpid()), 0);
	}
	munmap(p.buf, 2 * PAGE);
	close(p.dev);
}

int main(int argc, char **argv)
{
	return xtest_main(argc, argv);
}
