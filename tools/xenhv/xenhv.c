// SPDX-License-Identifier: GPL-2.0
/*
 * xenhv: attach a running VMM's KVM VM to the Xen or Hyper-V ABI, detach
 * it, and show what /dev/xenhv_shim knows.
 *
 *   xenhv version
 *   xenhv attach --pid PID --abi xen|hyperv [--cpuid] [--no-user-exits] [--fd N]
 *                [--xen-version MAJOR.MINOR] [--xen-msr MSR] [--xen-cpuid-base BASE]
 *                [--xen-features LIST] [--hv LIST]
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
#include <sys/ioctl.h>
#include <sys/syscall.h>
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

static void usage(void)
{
	fprintf(stderr,
		"usage: xenhv version\n"
		"       xenhv attach --pid PID --abi xen|hyperv [--cpuid] [--no-user-exits] [--fd N]\n"
		"                    [--xen-version MAJOR.MINOR] [--xen-msr MSR] [--xen-cpuid-base BASE]\n"
		"                    [--xen-features LIST] [--hv LIST]\n"
		"       xenhv detach --pid PID [--fd N]\n"
		"       xenhv reset --pid PID [--fd N]\n"
		"       xenhv status [--ops]\n");
	exit(2);
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

static int cmd_attach_detach(int argc, char **argv, int attach)
{
	static const struct option opts[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "abi", required_argument, NULL, 'a' },
		{ "fd", required_argument, NULL, 'f' },
		{ "cpuid", no_argument, NULL, 'c' },
		{ "no-user-exits", no_argument, NULL, 'n' },
		{ "xen-version", required_argument, NULL, 'V' },
		{ "xen-msr", required_argument, NULL, 'M' },
		{ "xen-cpuid-base", required_argument, NULL, 'B' },
		{ "xen-features", required_argument, NULL, 'X' },
		{ "hv", required_argument, NULL, 'H' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long long xen_features = 0, hv_features = 0;
	struct xenhv_attach at = {};
	pid_t pid = 0;
	int opt, want = -1, dev, vmfd, maj, min;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'p':
			pid = parse_num(optarg, "pid");
			break;
		case 'f':
			want = parse_num(optarg, "fd");
			break;
		case 'c':
			at.flags |= XENHV_ATTACH_CPUID;
			break;
		case 'n':
			at.flags |= XENHV_ATTACH_NO_USER_EXIT;
			break;
		case 'a':
			if (!strcmp(optarg, "xen"))
				at.abi = XENHV_ABI_XEN;
			else if (!strcmp(optarg, "hyperv"))
				at.abi = XENHV_ABI_HYPERV;
			else
				die("unknown ABI '%s' (xen or hyperv)", optarg);
			break;
		case 'V':
			if (sscanf(optarg, "%d.%d", &maj, &min) != 2 || maj < 0 || maj > 0xffff ||
			    min < 0 || min > 0xffff)
				die("bad Xen version '%s' (MAJOR.MINOR)", optarg);
			at.xen.version = (maj << 16) | min;
			break;
		case 'M':
			at.xen.hypercall_msr = parse_num(optarg, "MSR");
			break;
		case 'B':
			at.xen.cpuid_base = parse_num(optarg, "CPUID base");
			break;
		case 'X':
			xen_features = parse_features(optarg, xen_names, XENHV_XEN_ALL,
						      "--xen-features");
			break;
		case 'H':
			hv_features = parse_features(optarg, hv_names, XENHV_HV_ALL, "--hv");
			break;
		default:
			usage();
		}
	}
	/* attach: 1; detach: 0; reset: 2 (those take no ABI). */
	if (!pid || optind != argc || (attach == 1) != !!at.abi)
		usage();
	if (at.abi != XENHV_ABI_XEN && (at.xen.version || at.xen.hypercall_msr ||
					at.xen.cpuid_base || xen_features))
		die("--xen-* options need --abi xen");
	if (hv_features && at.abi != XENHV_ABI_HYPERV)
		die("--hv needs --abi hyperv");
	if (at.abi == XENHV_ABI_XEN)
		at.xen.features = xen_features;
	else
		at.hv.features = hv_features;
	dev = open_dev();
	vmfd = grab_vm_fd(pid, want);
	if (attach == 1) {
		at.vm_fd = vmfd;
		if (ioctl(dev, XENHV_ATTACH_VM, &at)) {
			if (errno == EBUSY)
				die("the VM of process %d is already attached", pid);
			if (errno == EEXIST)
				die("the VM of process %d uses KVM's own Xen or Hyper-V emulation", pid);
			if (errno == EINVAL && hv_features)
				die("attach: the module refused the --hv set (each of synic, tlbflush "
				    "and ipi needs vpindex; stimer needs synic and time; "
				    "stimer-direct needs stimer)");
			die("attach: %s", strerror(errno));
		}
		printf("attached VM of process %d as %s (id %llu)\n", pid, abi_name(at.abi),
		       (unsigned long long)at.vm_id);
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
	usage();
}
