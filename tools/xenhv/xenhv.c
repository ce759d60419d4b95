// SPDX-License-Identifier: GPL-2.0
/*
 * xenhv: attach a running VMM's KVM VM to the Xen or Hyper-V ABI, detach
 * it, and show what /dev/xenhv_shim knows.
 *
 *   xenhv version
 *   xenhv attach --pid PID --abi xen|hyperv [--cpuid] [--no-user-exits] [--fd N]
 *                [--xen-version MAJOR.MINOR] [--xen-msr MSR] [--xen-cpuid-base BASE]
 *                [--xen-features LIST] [--hv LIST]
 *   xenhv run --abi xen|hyperv [attach options] [--timeout S] -- VMM [ARG...]
 *   xenhv detach --pid PID [--fd N]
 *   xenhv reset --pid PID [--fd N]   (the guest rebooted: its ABI state anew)
 *   xenhv status [--ops]
 *
 * The VM is found among the process's file descriptors ("anon_inode:kvm-vm")
 * and duplicated with pidfd_getfd(), which needs ptrace access to the process.
 * A VMM started paused (QEMU's -S) can so be given an ABI before it runs;
 * --no-user-exits is for VMMs that do not handle KVM_EXIT_XEN/HYPERV (the
 * calls they would get fail in the guest's ABI instead).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <signal.h>
#include <time.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/xenhv_shim.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const char *prog = "xenhv";

static void __attribute__((noreturn, format(printf, 1, 2))) die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static const char usage_text[] =
	"usage: xenhv version\n"
	"       xenhv attach --pid PID --abi xen|hyperv [--cpuid] [--no-user-exits] [--fd N]\n"
	"                    [--xen-version MAJOR.MINOR] [--xen-msr MSR] [--xen-cpuid-base BASE]\n"
	"                    [--xen-features LIST] [--hv LIST]\n"
	"       xenhv run --abi xen|hyperv [ATTACH OPTIONS] [--timeout SECONDS] -- VMM [ARG...]\n"
	"       xenhv detach --pid PID [--fd N]\n"
	"       xenhv reset --pid PID [--fd N]\n"
	"       xenhv status [--ops]\n"
	"       xenhv COMMAND --help\n";

static void usage(void)
{
	fputs(usage_text, stderr);
	exit(2);
}

/* COMMAND --help: what it does, on stdout. */
static void __attribute__((noreturn)) help(const char *cmd)
{
	static const struct {
		const char *cmd, *text;
	} h[] = {
		{ "version", "xenhv version\n"
		  "  The module's API version, ABIs and the features it offers.\n" },
		{ "attach", "xenhv attach --pid PID --abi xen|hyperv [OPTIONS]\n"
		  "  Give the KVM VM of process PID (a VMM, best started paused) an ABI.\n"
		  "  --fd N               the VM's fd, when the process has several\n"
		  "  --cpuid              the shim answers the ABI's CPUID leaves\n"
		  "  --no-user-exits      calls the kernel does not serve fail in the guest\n"
		  "                       instead of exiting to a VMM that cannot take them\n"
		  "  --xen-version M.N    the Xen version the guest sees\n"
		  "  --xen-msr MSR        the hypercall page MSR (default 0x40000000)\n"
		  "  --xen-cpuid-base B   the Xen CPUID leaves' base\n"
		  "  --xen-features LIST  callback-vector,safe-pvclock,upcall-vector,vcpu-id,all\n"
		  "  --hv LIST            relaxed,vpindex,runtime,crash,time,synic,stimer,\n"
		  "                       stimer-direct,tlbflush,ipi,frequencies,reset,\n"
		  "                       spinlocks,idle,all; -NAME leaves one out\n" },
		{ "run", "xenhv run --abi xen|hyperv [ATTACH OPTIONS] [--timeout S] -- VMM [ARG...]\n"
		  "  Start QEMU (VMM and its arguments) paused with a QMP socket of its own,\n"
		  "  attach its VM with the attach options once QEMU has built the machine,\n"
		  "  resume it (not if ARG has -S), pass SIGINT, SIGTERM, SIGHUP and SIGQUIT\n"
		  "  on, and exit with QEMU's status (128 + signal if it was killed).\n"
		  "  --timeout S          how long QEMU may take to build its VM (default 60)\n" },
		{ "detach", "xenhv detach --pid PID [--fd N]\n"
		  "  Return the VM of process PID to stock KVM.\n" },
		{ "reset", "xenhv reset --pid PID [--fd N]\n"
		  "  The guest was reset: start its ABI state anew.\n" },
		{ "status", "xenhv status [--ops]\n"
		  "  The attached VMs; with --ops, each one's calls by operation.\n" },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(h); i++) {
		if (!strcmp(cmd, h[i].cmd)) {
			fputs(h[i].text, stdout);
			exit(0);
		}
	}
	fputs(usage_text, stdout);
	exit(0);
}

static int open_dev(void)
{
	int fd = open("/dev/xenhv_shim", O_RDWR | O_CLOEXEC);

	if (fd >= 0)
		return fd;
	if (errno == ENOENT)
		die("/dev/xenhv_shim does not exist: is the xenhv_shim module loaded?");
	if (errno == EACCES || errno == EPERM)
		die("/dev/xenhv_shim: permission denied (run as root or as a member of group kvm)");
	die("/dev/xenhv_shim: %s", strerror(errno));
}

static const char *abi_name(unsigned int abi)
{
	switch (abi) {
	case XENHV_ABI_NATIVE:
		return "native";
	case XENHV_ABI_XEN:
		return "xen";
	case XENHV_ABI_HYPERV:
		return "hyperv";
	}
	return "?";
}

/* The number of the process's only KVM VM fd (or check the given one). */
static int find_vm_fd(pid_t pid, int want)
{
	char path[64], link[PATH_MAX];
	struct dirent *d;
	int found = -1, n = 0;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	dir = opendir(path);
	if (!dir) {
		if (errno == ENOENT)
			die("no process %d", pid);
		die("cannot read %s: %s", path, strerror(errno));
	}
	while ((d = readdir(dir))) {
		char fdpath[PATH_MAX];
		ssize_t len;
		int fd;

		if (d->d_name[0] == '.')
			continue;
		fd = atoi(d->d_name);
		snprintf(fdpath, sizeof(fdpath), "%s/%s", path, d->d_name);
		len = readlink(fdpath, link, sizeof(link) - 1);
		if (len < 0)
			continue;
		link[len] = 0;
		if (strcmp(link, "anon_inode:kvm-vm"))
			continue;
		if (want >= 0 && fd != want)
			continue;
		found = fd;
		n++;
	}
	closedir(dir);
	if (!n) {
		if (want >= 0)
			die("fd %d of process %d is not a KVM VM", want, pid);
		die("process %d has no KVM VM file descriptor", pid);
	}
	if (n > 1)
		die("process %d has %d KVM VMs: choose one with --fd", pid, n);
	return found;
}

static int grab_vm_fd(pid_t pid, int want)
{
	int target = find_vm_fd(pid, want);
	int pidfd = syscall(SYS_pidfd_open, pid, 0), fd;

	if (pidfd < 0) {
		if (errno == ESRCH)
			die("no process %d", pid);
		die("pidfd_open(%d): %s", pid, strerror(errno));
	}
	fd = syscall(SYS_pidfd_getfd, pidfd, target, 0);
	if (fd < 0) {
		if (errno == EPERM)
			die("not allowed to take file descriptors of process %d (needs ptrace access: root, or the same user with kernel.yama.ptrace_scope=0)",
			    pid);
		die("pidfd_getfd(%d, %d): %s", pid, target, strerror(errno));
	}
	close(pidfd);
	return fd;
}

static unsigned long parse_num(const char *s, const char *what)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || !*s || *end)
		die("bad %s: %s", what, s);
	return v;
}

/* Enlightenments by name: QEMU's hv-* names without the prefix. */
struct feature_name {
	const char *name;
	unsigned long long bit;
};

static const struct feature_name hv_names[] = {
	{ "relaxed", XENHV_HV_RELAXED },
	{ "vpindex", XENHV_HV_VPINDEX },
	{ "runtime", XENHV_HV_RUNTIME },
	{ "crash", XENHV_HV_CRASH },
	{ "time", XENHV_HV_TIME },
	{ "synic", XENHV_HV_SYNIC },
	{ "stimer", XENHV_HV_STIMER },
	{ "stimer-direct", XENHV_HV_STIMER_DIRECT },
	{ "tlbflush", XENHV_HV_TLBFLUSH },
	{ "ipi", XENHV_HV_IPI },
	{ "frequencies", XENHV_HV_FREQUENCIES },
	{ "reset", XENHV_HV_RESET },
	{ "spinlocks", XENHV_HV_SPINLOCKS },
	{ "idle", XENHV_HV_IDLE },
	{ NULL, 0 },
};

static const struct feature_name xen_names[] = {
	{ "callback-vector", XENHV_XEN_CALLBACK_VECTOR },
	{ "safe-pvclock", XENHV_XEN_SAFE_PVCLOCK },
	{ "upcall-vector", XENHV_XEN_UPCALL_VECTOR },
	{ "vcpu-id", XENHV_XEN_VCPU_ID },
	{ NULL, 0 },
};

static void print_names(const char *what, unsigned long long set,
			const struct feature_name *names)
{
	const struct feature_name *f;

	printf("%s", what);
	for (f = names; f->name; f++)
		if (set & f->bit)
			printf(" %s", f->name);
	printf("\n");
}

static int cmd_version(void)
{
	struct xenhv_version v = {};
	int fd = open_dev();

	if (ioctl(fd, XENHV_GET_VERSION, &v))
		die("XENHV_GET_VERSION: %s", strerror(errno));
	printf("api %u, abis:%s%s, features 0x%llx\n", v.api_version,
	       v.abis & (1 << XENHV_ABI_XEN) ? " xen" : "",
	       v.abis & (1 << XENHV_ABI_HYPERV) ? " hyperv" : "",
	       (unsigned long long)v.features);
	print_names("xen-features:", v.xen_features, xen_names);
	print_names("hv:", v.hv_features, hv_names);
	return 0;
}

/*
 * A comma-separated list of names; "all" adds every feature, "-NAME"
 * removes one (so "all,-stimer-direct" is everything but direct timers).
 */
static unsigned long long parse_features(const char *list, const struct feature_name *names,
					 unsigned long long all, const char *opt)
{
	unsigned long long set = 0, bit;
	char *copy = strdup(list), *tok, *save = NULL;
	const struct feature_name *f;
	int neg;

	if (!copy)
		die("out of memory");
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		neg = tok[0] == '-';
		tok += neg;
		if (!strcmp(tok, "all")) {
			bit = all;
		} else {
			for (f = names; f->name && strcmp(f->name, tok); f++)
				;
			if (!f->name) {
				fprintf(stderr, "%s: %s: unknown feature '%s'; known:", prog, opt, tok);
				for (f = names; f->name; f++)
					fprintf(stderr, " %s", f->name);
				fputs(" all\n", stderr);
				exit(1);
			}
			bit = f->bit;
		}
		set = neg ? set & ~bit : set | bit;
	}
	free(copy);
	if (!set)
		die("%s: the list leaves no feature", opt);
	return set;
}

/* The ABI options attach and run share. */
struct abi_opts {
	struct xenhv_attach at;
	unsigned long long xen_features, hv_features;
};

#define ABI_OPTIONS \
	{ "abi", required_argument, NULL, 'a' }, \
	{ "cpuid", no_argument, NULL, 'c' }, \
	{ "no-user-exits", no_argument, NULL, 'n' }, \
	{ "xen-version", required_argument, NULL, 'V' }, \
	{ "xen-msr", required_argument, NULL, 'M' }, \
	{ "xen-cpuid-base", required_argument, NULL, 'B' }, \
	{ "xen-features", required_argument, NULL, 'X' }, \
	{ "hv", required_argument, NULL, 'H' }

/* 1: @opt was an ABI option, taken into @o. */
static int abi_option(int opt, const char *arg, struct abi_opts *o)
{
	int maj, min;

	switch (opt) {
	case 'c':
		o->at.flags |= XENHV_ATTACH_CPUID;
		return 1;
	case 'n':
		o->at.flags |= XENHV_ATTACH_NO_USER_EXIT;
		return 1;
	case 'a':
		if (!strcmp(arg, "xen"))
			o->at.abi = XENHV_ABI_XEN;
		else if (!strcmp(arg, "hyperv"))
			o->at.abi = XENHV_ABI_HYPERV;
		else
			die("unknown ABI '%s' (xen or hyperv)", arg);
		return 1;
	case 'V':
		if (sscanf(arg, "%d.%d", &maj, &min) != 2 || maj < 0 || maj > 0xffff ||
		    min < 0 || min > 0xffff)
			die("bad Xen version '%s' (MAJOR.MINOR)", arg);
		o->at.xen.version = (maj << 16) | min;
		return 1;
	case 'M':
		o->at.xen.hypercall_msr = parse_num(arg, "MSR");
		return 1;
	case 'B':
		o->at.xen.cpuid_base = parse_num(arg, "CPUID base");
		return 1;
	case 'X':
		o->xen_features = parse_features(arg, xen_names, XENHV_XEN_ALL, "--xen-features");
		return 1;
	case 'H':
		o->hv_features = parse_features(arg, hv_names, XENHV_HV_ALL, "--hv");
		return 1;
	}
	return 0;
}

/* The options' consistency, once all are read. */
static void abi_check(struct abi_opts *o)
{
	struct xenhv_attach *at = &o->at;

	if (at->abi != XENHV_ABI_XEN && (at->xen.version || at->xen.hypercall_msr ||
					 at->xen.cpuid_base || o->xen_features))
		die("--xen-* options need --abi xen");
	if (o->hv_features && at->abi != XENHV_ABI_HYPERV)
		die("--hv needs --abi hyperv");
	if (at->abi == XENHV_ABI_XEN)
		at->xen.features = o->xen_features;
	else
		at->hv.features = o->hv_features;
}

static void attach_vm(int dev, int vmfd, struct abi_opts *o, pid_t pid)
{
	o->at.vm_fd = vmfd;
	if (ioctl(dev, XENHV_ATTACH_VM, &o->at)) {
		if (errno == EBUSY)
			die("the VM of process %d is already attached", pid);
		if (errno == EEXIST)
			die("the VM of process %d uses KVM's own Xen or Hyper-V emulation", pid);
		if (errno == EINVAL && o->hv_features)
			die("attach: the module refused the --hv set (each of synic, tlbflush "
			    "and ipi needs vpindex; stimer needs synic and time; "
			    "stimer-direct needs stimer)");
		die("attach: %s", strerror(errno));
	}
	printf("attached VM of process %d as %s (id %llu)\n", pid, abi_name(o->at.abi),
	       (unsigned long long)o->at.vm_id);
	fflush(stdout);
}

static int cmd_attach_detach(int argc, char **argv, int attach)
{
	static const struct option opts[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "fd", required_argument, NULL, 'f' },
		ABI_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	struct abi_opts o = {};
	pid_t pid = 0;
	int opt, want = -1, dev, vmfd;

	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (opt == 'p')
			pid = parse_num(optarg, "pid");
		else if (opt == 'f')
			want = parse_num(optarg, "fd");
		else if (opt == 'h')
			help(argv[0]);
		else if (!abi_option(opt, optarg, &o) || attach != 1)
			usage();
	}
	/* attach: 1; detach: 0; reset: 2 (those take no ABI). */
	if (!pid || optind != argc || (attach == 1) != !!o.at.abi)
		usage();
	abi_check(&o);
	dev = open_dev();
	vmfd = grab_vm_fd(pid, want);
	if (attach == 1) {
		attach_vm(dev, vmfd, &o, pid);
	} else {
		/* struct xenhv_reset has struct xenhv_detach's layout. */
		struct xenhv_detach d = { .vm_fd = vmfd };
		const char *what = attach == 2 ? "reset" : "detach";

		if (ioctl(dev, attach == 2 ? XENHV_RESET_VM : XENHV_DETACH_VM, &d)) {
			if (errno == ENOENT)
				die("the VM of process %d is not attached", pid);
			die("%s: %s", what, strerror(errno));
		}
		printf("%s VM of process %d\n", attach == 2 ? "reset the ABI state of the" :
		       "detached", pid);
	}
	return 0;
}

/*
 * xenhv run: start the VMM (QEMU) paused with a QMP socket of our own,
 * attach its VM once QEMU has built the machine, resume it, pass signals on
 * and end with the VMM's status.
 */
static pid_t vmm_pid;

static void forward_signal(int sig)
{
	if (vmm_pid > 0)
		kill(vmm_pid, sig);
}

/* Whatever ends this process early also ends the VMM it started. */
static void kill_vmm(void)
{
	if (vmm_pid > 0) {
		kill(vmm_pid, SIGTERM);
		waitpid(vmm_pid, NULL, 0);
	}
}

struct qmp {
	int fd;
	char buf[65536];
	size_t len;
};

/* The next reply line from QMP (events skipped); 0, or -1 on EOF or timeout. */
static int qmp_reply(struct qmp *q, char *line, size_t max)
{
	for (;;) {
		char *nl = memchr(q->buf, '\n', q->len);
		struct pollfd p = { .fd = q->fd, .events = POLLIN };
		ssize_t n;

		if (nl) {
			size_t l = nl - q->buf + 1;

			snprintf(line, max, "%.*s", (int)(l - 1), q->buf);
			memmove(q->buf, q->buf + l, q->len - l);
			q->len -= l;
			if (strstr(line, "\"event\""))
				continue;
			return 0;
		}
		if (q->len == sizeof(q->buf) - 1)
			q->len = 0;	/* a line too long to be a reply of ours */
		if (poll(&p, 1, 10000) <= 0)
			return -1;
		n = read(q->fd, q->buf + q->len, sizeof(q->buf) - 1 - q->len);
		if (n <= 0)
			return -1;
		q->len += n;
	}
}

/* Run a QMP command; 0 when it returned, else -1 (@line: QEMU's answer). */
static int qmp_cmd(struct qmp *q, const char *cmd, char *line, size_t max)
{
	char req[128];
	int n = snprintf(req, sizeof(req), "{\"execute\":\"%s\"}\n", cmd);

	if (write(q->fd, req, n) != n || qmp_reply(q, line, max))
		return -1;
	return strstr(line, "\"return\"") ? 0 : -1;
}

static int qmp_connect(struct qmp *q, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char line[4096];

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	q->len = 0;
	q->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (q->fd < 0)
		return -1;
	if (connect(q->fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    qmp_reply(q, line, sizeof(line)) || !strstr(line, "\"QMP\"") ||
	    qmp_cmd(q, "qmp_capabilities", line, sizeof(line))) {
		close(q->fd);
		q->fd = -1;
		return -1;
	}
	return 0;
}

/* The VMM's end as this command's: its exit code, or 128 + its signal. */
static int vmm_status(int st)
{
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return 1;
}

static int cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "timeout", required_argument, NULL, 't' },
		ABI_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	char dir[] = "/tmp/xenhv-run.XXXXXX", sock[64], qmparg[128];
	char line[4096], **vargv;
	struct sigaction sa = { .sa_handler = forward_signal };
	struct qmp q = { .fd = -1 };
	struct abi_opts o = {};
	unsigned long timeout = 60;
	int opt, dev, vmfd, st, i, n, paused = 0, ready = 0;
	time_t end;

	while ((opt = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		if (opt == 't')
			timeout = parse_num(optarg, "timeout");
		else if (opt == 'h')
			help(argv[0]);
		else if (!abi_option(opt, optarg, &o))
			usage();
	}
	if (!o.at.abi || optind >= argc)
		usage();
	abi_check(&o);
	/* Before anything starts: the module must be there. */
	dev = open_dev();
	if (!mkdtemp(dir))
		die("mkdtemp: %s", strerror(errno));
	snprintf(sock, sizeof(sock), "%s/qmp", dir);
	snprintf(qmparg, sizeof(qmparg), "unix:%s,server=on,wait=off", sock);

	/* The VMM's command line, then -S and our QMP socket. */
	n = argc - optind;
	vargv = calloc(n + 4, sizeof(*vargv));
	if (!vargv)
		die("out of memory");
	for (i = 0; i < n; i++) {
		vargv[i] = argv[optind + i];
		if (!strcmp(vargv[i], "-S"))
			paused = 1;
	}
	vargv[n++] = "-S";
	vargv[n++] = "-qmp";
	vargv[n++] = qmparg;

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGQUIT, &sa, NULL);
	vmm_pid = fork();
	if (vmm_pid < 0)
		die("fork: %s", strerror(errno));
	if (!vmm_pid) {
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		signal(SIGQUIT, SIG_DFL);
		execvp(vargv[0], vargv);
		fprintf(stderr, "%s: cannot run %s: %s\n", prog, vargv[0], strerror(errno));
		_exit(127);
	}
	atexit(kill_vmm);

	/* QMP answers once QEMU has built the machine and its vCPUs, paused. */
	end = time(NULL) + timeout;
	while (!ready) {
		pid_t w = waitpid(vmm_pid, &st, WNOHANG);

		if (w == vmm_pid) {
			vmm_pid = 0;
			rmdir(dir);
			fprintf(stderr, "%s: %s ended (%s %d) before its VM was ready\n", prog,
				vargv[0], WIFEXITED(st) ? "exit status" : "signal",
				WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
			return vmm_status(st);
		}
		if (time(NULL) >= end) {
			unlink(sock);
			rmdir(dir);
			die("%s did not offer its VM within %lu s (--timeout)", vargv[0], timeout);
		}
		if (q.fd < 0 && qmp_connect(&q, sock)) {
			usleep(100000);
			continue;
		}
		if (qmp_cmd(&q, "query-status", line, sizeof(line)) ||
		    !strstr(line, "\"prelaunch\"")) {
			usleep(100000);
			continue;
		}
		ready = 1;
	}
	unlink(sock);
	rmdir(dir);
	vmfd = grab_vm_fd(vmm_pid, -1);
	attach_vm(dev, vmfd, &o, vmm_pid);
	close(vmfd);
	close(dev);
	if (!paused && qmp_cmd(&q, "cont", line, sizeof(line)))
		die("QMP cont: %s", line);
	close(q.fd);

	/* Signals reach the VMM; its end is ours. */
	while (waitpid(vmm_pid, &st, 0) < 0) {
		if (errno != EINTR)
			die("waitpid: %s", strerror(errno));
	}
	vmm_pid = 0;
	return vmm_status(st);
}

static const char *op_name(unsigned int abi, unsigned int op, char *buf, size_t len)
{
	static const char * const xen[64] = {
		[1] = "mmu_update", [6] = "fpu_taskswitch", [7] = "sched_op_compat",
		[12] = "memory_op", [13] = "multicall", [15] = "set_timer_op",
		[17] = "xen_version", [18] = "console_io", [20] = "grant_table_op",
		[24] = "vcpu_op", [29] = "sched_op", [32] = "event_channel_op",
		[33] = "physdev_op", [34] = "hvm_op",
	};
	static const char * const hv[] = {
		[0x02] = "FlushVirtualAddressSpace", [0x03] = "FlushVirtualAddressList",
		[0x08] = "NotifyLongSpinWait", [0x0b] = "SendSyntheticClusterIpi",
		[0x13] = "FlushVirtualAddressSpaceEx", [0x14] = "FlushVirtualAddressListEx",
		[0x15] = "SendSyntheticClusterIpiEx", [0x5c] = "PostMessage",
		[0x5d] = "SignalEvent", [0xc1] = "ExtCallQueryCapabilities",
	};

	switch (op) {
	case XENHV_OP_VMM_EVENT:
		return "(event from the VMM)";
	case XENHV_OP_HALT_KICK:
		return "(upcall raised at HLT)";
	case XENHV_OP_CALL_OTHER:
		return "(other call)";
	case XENHV_OP_MSR_READ:
		return "(MSR read)";
	case XENHV_OP_MSR_WRITE:
		return "(MSR write)";
	case XENHV_OP_CPUID:
		return "(CPUID)";
	case XENHV_OP_GUEST_FAULT:
		return "(guest fault)";
	}
	if (abi == XENHV_ABI_XEN && op < 64 && xen[op])
		return xen[op];
	if (abi == XENHV_ABI_HYPERV && op < ARRAY_SIZE(hv) && hv[op])
		return hv[op];
	snprintf(buf, len, abi == XENHV_ABI_HYPERV && op >= 0xc0 ? "call 0x%x" : "call %u",
		 abi == XENHV_ABI_HYPERV && op >= 0xc0 ? op - 0xc0 + 0x8000 : op);
	return buf;
}

static int cmd_status(int argc, char **argv)
{
	struct xenhv_vm_info info[256];
	struct xenhv_list l = { .nr = 256, .vms = (unsigned long)info };
	int dev = open_dev(), ops = argc > 1 && !strcmp(argv[1], "--ops");
	unsigned int i, j;

	if (argc > 1 && !ops)
		usage();
	if (ioctl(dev, XENHV_LIST_VMS, &l))
		die("XENHV_LIST_VMS: %s", strerror(errno));
	if (!l.nr) {
		printf("no VM attached\n");
		return 0;
	}
	printf("%-6s %-8s %-8s %-6s %s\n", "ID", "ABI", "PID", "CPUID", "CALLS");
	for (i = 0; i < l.nr && i < 256; i++) {
		struct xenhv_vm_stats st = { .flags = XENHV_STATS_BY_ID, .vm_id = info[i].vm_id };
		char buf[32];

		printf("%-6llu %-8s %-8d %-6s %llu\n", (unsigned long long)info[i].vm_id,
		       abi_name(info[i].abi), info[i].pid,
		       info[i].flags & XENHV_ATTACH_CPUID ? "yes" : "no",
		       (unsigned long long)info[i].calls);
		if (!ops || ioctl(dev, XENHV_GET_VM_STATS, &st))
			continue;
		for (j = 0; j < st.nr_ops && j < XENHV_NR_OPS; j++) {
			const struct xenhv_op_stats *o = &st.ops[j];

			if (o->kernel || o->user || o->errors)
				printf("       %-28s kernel %llu user %llu errors %llu\n",
				       op_name(st.abi ? st.abi : info[i].abi, j, buf, sizeof(buf)),
				       (unsigned long long)o->kernel, (unsigned long long)o->user,
				       (unsigned long long)o->errors);
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		usage();
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help"))
		help(argc > 2 ? argv[2] : "");
	if (argc > 2 && (!strcmp(argv[2], "--help") || !strcmp(argv[2], "-h")))
		help(argv[1]);
	if (!strcmp(argv[1], "version"))
		return cmd_version();
	if (!strcmp(argv[1], "attach"))
		return cmd_attach_detach(argc - 1, argv + 1, 1);
	if (!strcmp(argv[1], "detach"))
		return cmd_attach_detach(argc - 1, argv + 1, 0);
	if (!strcmp(argv[1], "reset"))
		return cmd_attach_detach(argc - 1, argv + 1, 2);
	if (!strcmp(argv[1], "status"))
		return cmd_status(argc - 1, argv + 1);
	if (!strcmp(argv[1], "run"))
		return cmd_run(argc - 1, argv + 1);
	usage();
}
