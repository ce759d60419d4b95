// SPDX-License-Identifier: GPL-2.0
/*
 * The control plane: /dev/xenhv_shim and its ioctls. Every argument is
 * checked here (flags, reserved fields, the VM fd) before vm.c sees it.
 */
#include <linux/file.h>
#include <linux/fs.h>
#include "compat/kvm.h"
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#include "xenhv.h"

#define XENHV_FEATURES	(XENHV_FEAT_CPUID_INTERCEPT | XENHV_FEAT_CPUID_ENTRIES | \
			 XENHV_FEAT_USER_EXIT | XENHV_FEAT_DETACH_LIVE | \
			 XENHV_FEAT_NO_USER_EXIT | XENHV_FEAT_XEN_PORTS | \
			 XENHV_FEAT_HV_CONNS | XENHV_FEAT_ENLIGHTENMENTS | \
			 XENHV_FEAT_HV_AUTO_EOI | XENHV_FEAT_HV_HOST_SINT | XENHV_FEAT_RESET)
#define XENHV_MAX_CPUID	256
#define XENHV_MAX_LIST	4096

static bool all_zero(const void *p, size_t len)
{
	return !memchr_inv(p, 0, len);
}

/*
 * Take a reference on the KVM VM behind @fd: -EBADF when @fd is not an open
 * file, -EINVAL when it is not a KVM VM. The caller must fput(*filep).
 */
static struct kvm *vm_from_fd(int fd, struct file **filep)
{
	struct file *file = fget(fd);

	if (!file)
		return ERR_PTR(-EBADF);
	if (!KVM_FN(file_is_kvm)(file)) {
		fput(file);
		return ERR_PTR(-EINVAL);
	}
	*filep = file;
	return file->private_data;
}

static long ioctl_version(void __user *argp)
{
	struct xenhv_version v;

	if (copy_from_user(&v, argp, sizeof(v)))
		return -EFAULT;
	if (v.flags || !all_zero(v.reserved, sizeof(v.reserved)))
		return -EINVAL;
	v.api_version = XENHV_API_VERSION;
	v.abis = BIT_ULL(XENHV_ABI_NATIVE) | BIT_ULL(XENHV_ABI_XEN) | BIT_ULL(XENHV_ABI_HYPERV);
	v.features = XENHV_FEATURES;
	v.xen_features = XENHV_XEN_ALL;
	v.hv_features = XENHV_HV_ALL;
	return copy_to_user(argp, &v, sizeof(v)) ? -EFAULT : 0;
}

static long ioctl_attach(void __user *argp)
{
	struct xenhv_attach at;
	struct file *file;
	struct kvm *kvm;
	long ret;

	if (copy_from_user(&at, argp, sizeof(at)))
		return -EFAULT;
	if ((at.flags & ~XENHV_ATTACH_FLAGS) || at.reserved0 || at.vm_id ||
	    !all_zero(at.reserved, sizeof(at.reserved)))
		return -EINVAL;
	kvm = vm_from_fd(at.vm_fd, &file);
	if (IS_ERR(kvm))
		return PTR_ERR(kvm);
	ret = xenhv_vm_attach(kvm, &at);
	fput(file);
	if (ret)
		return ret;
	/* The VM stays attached even if the caller never sees its id. */
	return copy_to_user(argp, &at, sizeof(at)) ? -EFAULT : 0;
}

/* XENHV_DETACH_VM and XENHV_RESET_VM: the same argument layout. */
static long ioctl_detach_reset(unsigned int cmd, void __user *argp)
{
	struct xenhv_detach d;
	struct file *file;
	struct kvm *kvm;
	long ret;

	BUILD_BUG_ON(sizeof(struct xenhv_reset) != sizeof(d) ||
		     offsetof(struct xenhv_reset, reserved) !=
		     offsetof(struct xenhv_detach, reserved));
	if (copy_from_user(&d, argp, sizeof(d)))
		return -EFAULT;
	if (d.flags || !all_zero(d.reserved, sizeof(d.reserved)))
		return -EINVAL;
	kvm = vm_from_fd(d.vm_fd, &file);
	if (IS_ERR(kvm))
		return PTR_ERR(kvm);
	ret = cmd == XENHV_RESET_VM ? xenhv_vm_reset(kvm) : xenhv_vm_detach(kvm);
	fput(file);
	return ret;
}

static long ioctl_stats(void __user *argp)
{
	struct xenhv_vm_stats *st;
	struct file *file = NULL;
	struct kvm *kvm = NULL;
	long ret;

	st = kvzalloc(sizeof(*st), GFP_KERNEL_ACCOUNT);
	if (!st)
		return -ENOMEM;
	ret = -EFAULT;
	if (copy_from_user(st, argp, offsetof(struct xenhv_vm_stats, ops)))
		goto out;
	ret = -EINVAL;
	if ((st->flags & ~XENHV_STATS_BY_ID) || st->abi || st->nr_ops || st->mem_bytes ||
	    !all_zero(st->reserved, sizeof(st->reserved)))
		goto out;
	if (!(st->flags & XENHV_STATS_BY_ID)) {
		if (st->vm_id)
			goto out;
		kvm = vm_from_fd(st->vm_fd, &file);
		if (IS_ERR(kvm)) {
			ret = PTR_ERR(kvm);
			goto out;
		}
	}
	ret = xenhv_vm_stats(kvm, st);
	if (file)
		fput(file);
	if (!ret && copy_to_user(argp, st, sizeof(*st)))
		ret = -EFAULT;
out:
	kvfree(st);
	return ret;
}

static long ioctl_list(void __user *argp)
{
	struct xenhv_vm_info *info = NULL;
	struct xenhv_list l;
	u32 cap, total;
	long ret;

	if (copy_from_user(&l, argp, sizeof(l)))
		return -EFAULT;
	if (l.flags || !all_zero(l.reserved, sizeof(l.reserved)))
		return -EINVAL;
	/* At most XENHV_MAX_LIST entries are written; nr still counts them all. */
	cap = min_t(u32, l.nr, XENHV_MAX_LIST);
	if (cap) {
		info = kvcalloc(cap, sizeof(*info), GFP_KERNEL_ACCOUNT);
		if (!info)
			return -ENOMEM;
	}
	total = cap;
	ret = xenhv_vm_list(info, &total);
	if (!ret && info &&
	    copy_to_user(u64_to_user_ptr(l.vms), info, min(cap, total) * sizeof(*info)))
		ret = -EFAULT;
	l.nr = total;
	if (!ret && copy_to_user(argp, &l, sizeof(l)))
		ret = -EFAULT;
	kvfree(info);
	return ret;
}

static long ioctl_cpuid(void __user *argp)
{
	struct kvm_cpuid_entry2 *e;
	struct xenhv_cpuid c;
	struct file *file;
	struct kvm *kvm;
	u32 n;
	long ret;

	if (copy_from_user(&c, argp, sizeof(c)))
		return -EFAULT;
	if (c.flags || c.reserved0 || !all_zero(c.reserved, sizeof(c.reserved)))
		return -EINVAL;
	n = min_t(u32, c.nent, XENHV_MAX_CPUID);
	e = kvcalloc(max_t(u32, n, 1), sizeof(*e), GFP_KERNEL_ACCOUNT);
	if (!e)
		return -ENOMEM;
	kvm = vm_from_fd(c.vm_fd, &file);
	if (IS_ERR(kvm)) {
		ret = PTR_ERR(kvm);
		goto out;
	}
	ret = xenhv_vm_cpuid(kvm, e, &n);
	fput(file);
	c.nent = n;
	if (!ret && copy_to_user(u64_to_user_ptr(c.entries), e, n * sizeof(*e)))
		ret = -EFAULT;
	if ((!ret || ret == -E2BIG) && copy_to_user(argp, &c, sizeof(c)))
		ret = -EFAULT;
out:
	kvfree(e);
	return ret;
}

static long ioctl_xen_bind_port(void __user *argp)
{
	struct xenhv_xen_port b;
	struct file *file;
	struct kvm *kvm;
	long ret;

	if (copy_from_user(&b, argp, sizeof(b)))
		return -EFAULT;
	if ((b.flags & ~XENHV_PORT_FLAGS) || b.reserved0 ||
	    !all_zero(b.reserved, sizeof(b.reserved)) ||
	    !(b.flags & (XENHV_PORT_SEND_EVENTFD | XENHV_PORT_RAISE_EVENTFD)))
		return -EINVAL;
	kvm = vm_from_fd(b.vm_fd, &file);
	if (IS_ERR(kvm))
		return PTR_ERR(kvm);
	ret = xenhv_vm_xen_port(kvm, &b, 0);
	fput(file);
	return ret;
}

static long ioctl_xen_raise_port(void __user *argp)
{
	struct xenhv_xen_raise r;
	struct file *file;
	struct kvm *kvm;
	long ret;

	if (copy_from_user(&r, argp, sizeof(r)))
		return -EFAULT;
	if (r.flags || r.reserved0 || !all_zero(r.reserved, sizeof(r.reserved)))
		return -EINVAL;
	kvm = vm_from_fd(r.vm_fd, &file);
	if (IS_ERR(kvm))
		return PTR_ERR(kvm);
	ret = xenhv_vm_xen_port(kvm, NULL, r.port);
	fput(file);
	return ret;
}

/*
 * The Hyper-V VMM ioctls: each argument starts with the VM fd; hv2xen
 * checks the rest. _IOWR ones are copied back.
 */
static long ioctl_hv(unsigned int cmd, void __user *argp)
{
	union {
		struct xenhv_hv_conn conn;
		struct xenhv_hv_sint sint;
		struct xenhv_hv_message msg;
	} u;
	size_t len = _IOC_SIZE(cmd);
	struct file *file;
	struct kvm *kvm;
	long ret;

	BUILD_BUG_ON(offsetof(struct xenhv_hv_conn, vm_fd) ||
		     offsetof(struct xenhv_hv_sint, vm_fd) ||
		     offsetof(struct xenhv_hv_message, vm_fd));
	if (WARN_ON_ONCE(len > sizeof(u)))
		return -ENOTTY;
	if (copy_from_user(&u, argp, len))
		return -EFAULT;
	kvm = vm_from_fd(u.conn.vm_fd, &file);
	if (IS_ERR(kvm))
		return PTR_ERR(kvm);
	ret = xenhv_vm_hv_ioctl(kvm, cmd, &u);
	fput(file);
	if (!ret && (_IOC_DIR(cmd) & _IOC_READ) && copy_to_user(argp, &u, len))
		ret = -EFAULT;
	return ret;
}

static long xenhv_ioctl(struct file *f, unsigned int cmd, unsigned long arg)
{
	void __user *argp = (void __user *)arg;

	switch (cmd) {
	case XENHV_GET_VERSION:
		return ioctl_version(argp);
	case XENHV_ATTACH_VM:
		return ioctl_attach(argp);
	case XENHV_DETACH_VM:
	case XENHV_RESET_VM:
		return ioctl_detach_reset(cmd, argp);
	case XENHV_GET_VM_STATS:
		return ioctl_stats(argp);
	case XENHV_LIST_VMS:
		return ioctl_list(argp);
	case XENHV_GET_CPUID:
		return ioctl_cpuid(argp);
	case XENHV_XEN_BIND_PORT:
		return ioctl_xen_bind_port(argp);
	case XENHV_HV_BIND_CONN:
	case XENHV_HV_BIND_SINT:
	case XENHV_HV_POST_MESSAGE:
		return ioctl_hv(cmd, argp);
	case XENHV_XEN_RAISE_PORT:
		return ioctl_xen_raise_port(argp);
	}
	return -ENOTTY;
}

static const struct file_operations xenhv_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = xenhv_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice xenhv_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "xenhv_shim",
	.fops = &xenhv_fops,
	.mode = 0660,
};

int xenhv_dev_init(void)
{
	return misc_register(&xenhv_misc);
}

void xenhv_dev_exit(void)
{
	misc_deregister(&xenhv_misc);
}
