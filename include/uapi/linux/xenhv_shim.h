/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * xenhv_shim control plane: /dev/xenhv_shim.
 *
 * A VMM (or the xenhv tool, from outside the VMM) attaches a KVM VM to one
 * guest ABI. Every structure has fixed-size fields, a flags field and
 * reserved fields that must be zero (-EINVAL otherwise); unknown ioctls fail
 * with -ENOTTY. Documentation/api.rst describes each ioctl in full.
 */
#ifndef _UAPI_LINUX_XENHV_SHIM_H
#define _UAPI_LINUX_XENHV_SHIM_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define XENHV_API_VERSION	1
#define XENHV_IOCTL_TYPE	0xB8

/* Guest ABIs. NATIVE is "not attached": stock KVM. */
#define XENHV_ABI_NATIVE	0
#define XENHV_ABI_XEN		1
#define XENHV_ABI_HYPERV	2

/* xenhv_version.features */
#define XENHV_FEAT_CPUID_INTERCEPT	(1ULL << 0)	/* XENHV_ATTACH_CPUID */
#define XENHV_FEAT_CPUID_ENTRIES	(1ULL << 1)	/* XENHV_GET_CPUID */
#define XENHV_FEAT_USER_EXIT		(1ULL << 2)	/* KVM_EXIT_XEN/HYPERV exits */
#define XENHV_FEAT_DETACH_LIVE		(1ULL << 3)	/* detach while vCPUs run */
#define XENHV_FEAT_NO_USER_EXIT		(1ULL << 4)	/* XENHV_ATTACH_NO_USER_EXIT */
#define XENHV_FEAT_XEN_PORTS		(1ULL << 5)	/* XENHV_XEN_BIND/RAISE_PORT */
#define XENHV_FEAT_HV_CONNS		(1ULL << 6)	/* XENHV_HV_BIND_CONN */
#define XENHV_FEAT_ENLIGHTENMENTS	(1ULL << 7)	/* xen/hv config .features */
#define XENHV_FEAT_HV_AUTO_EOI		(1ULL << 8)	/* SINTs with AutoEOI */
#define XENHV_FEAT_HV_HOST_SINT		(1ULL << 9)	/* XENHV_HV_BIND_SINT, _POST_MESSAGE */
#define XENHV_FEAT_RESET		(1ULL << 10)	/* XENHV_RESET_VM */

/**
 * struct xenhv_version - XENHV_GET_VERSION
 * @api_version: out: XENHV_API_VERSION of the loaded module.
 * @flags: in: must be 0.
 * @abis: out: bit (1 << XENHV_ABI_*) for each ABI this build supports.
 * @features: out: XENHV_FEAT_* bits.
 * @xen_features: out: the XENHV_XEN_* enlightenments this build knows.
 * @hv_features: out: the XENHV_HV_* enlightenments this build knows.
 * @reserved: must be 0.
 */
struct xenhv_version {
	__u32 api_version;
	__u32 flags;
	__u64 abis;
	__u64 features;
	__u64 xen_features;
	__u64 hv_features;
	__u64 reserved[3];
};

/*
 * Enlightenment sets: which features the guest sees, one bit each, in the
 * attach configuration's @features. 0 selects every feature this build
 * knows (XENHV_XEN_ALL, XENHV_HV_ALL); unknown bits are -EINVAL. A feature
 * left out behaves as on the real hypervisor without it: its CPUID bits
 * are clear, its MSRs #GP, its calls fail with the ABI's error.
 */
#define XENHV_XEN_CALLBACK_VECTOR	(1ULL << 0)	/* XENFEAT_hvm_callback_vector */
#define XENHV_XEN_SAFE_PVCLOCK		(1ULL << 1)	/* XENFEAT_hvm_safe_pvclock */
#define XENHV_XEN_UPCALL_VECTOR		(1ULL << 2)	/* HVMOP_set_evtchn_upcall_vector */
#define XENHV_XEN_VCPU_ID		(1ULL << 3)	/* CPUID leaf 4 vCPU id */
#define XENHV_XEN_ALL			((1ULL << 4) - 1)

/* The Hyper-V bits carry QEMU's hv-* names; @deps: must be offered too. */
#define XENHV_HV_RELAXED	(1ULL << 0)	/* relaxed timing recommended */
#define XENHV_HV_VPINDEX	(1ULL << 1)	/* VP_INDEX */
#define XENHV_HV_RUNTIME	(1ULL << 2)	/* VP_RUNTIME */
#define XENHV_HV_CRASH		(1ULL << 3)	/* CRASH_P0..P4, CRASH_CTL */
#define XENHV_HV_TIME		(1ULL << 4)	/* TIME_REF_COUNT, REFERENCE_TSC */
#define XENHV_HV_SYNIC		(1ULL << 5)	/* SynIC, SignalEvent, PostMessage; deps VPINDEX */
#define XENHV_HV_STIMER		(1ULL << 6)	/* STIMERn; deps SYNIC, TIME */
#define XENHV_HV_STIMER_DIRECT	(1ULL << 7)	/* direct-mode stimers; deps STIMER */
#define XENHV_HV_TLBFLUSH	(1ULL << 8)	/* flush hypercalls; deps VPINDEX */
#define XENHV_HV_IPI		(1ULL << 9)	/* IPI hypercalls; deps VPINDEX */
#define XENHV_HV_FREQUENCIES	(1ULL << 10)	/* TSC_FREQUENCY, APIC_FREQUENCY */
#define XENHV_HV_RESET		(1ULL << 11)	/* RESET */
#define XENHV_HV_SPINLOCKS	(1ULL << 12)	/* HvCallNotifyLongSpinWait */
#define XENHV_HV_IDLE		(1ULL << 13)	/* GUEST_IDLE (no QEMU name) */
#define XENHV_HV_ALL		((1ULL << 14) - 1)

/* Xen configuration (xenhv_attach.xen). Zero fields take the defaults. */
struct xenhv_xen_config {
	__u32 version;		/* xen_version(XENVER_version): major << 16 | minor; 0: 4.16 */
	__u32 hypercall_msr;	/* MSR that writes the hypercall page; 0: 0x40000000 */
	__u32 cpuid_base;	/* 0x40000000 or 0x40000100; 0: 0x40000000 */
	__u32 reserved0;
	__u64 features;		/* XENHV_XEN_*; 0: XENHV_XEN_ALL */
	__u64 reserved[5];
};

/* Hyper-V configuration (xenhv_attach.hv). Zero fields take the defaults. */
struct xenhv_hv_config {
	__u32 vendor_id[3];	/* CPUID 0x40000000 EBX..EDX; 0: "Microsoft Hv" */
	__u32 reserved0;
	__u64 features;		/* XENHV_HV_*; 0: XENHV_HV_ALL */
	__u64 reserved[5];
};

/* xenhv_attach.flags */
#define XENHV_ATTACH_CPUID	(1U << 0)	/* answer guest CPUID 0x40000000..0x4000ffff */
#define XENHV_ATTACH_NO_USER_EXIT (1U << 1)	/* the VMM does not handle KVM_EXIT_XEN/HYPERV */
#define XENHV_ATTACH_FLAGS	(XENHV_ATTACH_CPUID | XENHV_ATTACH_NO_USER_EXIT)

/**
 * struct xenhv_attach - XENHV_ATTACH_VM
 * @vm_fd: a KVM VM file descriptor of the caller.
 * @abi: XENHV_ABI_XEN or XENHV_ABI_HYPERV.
 * @flags: XENHV_ATTACH_*.
 * @reserved0: must be 0.
 * @vm_id: out: the attachment's id, for XENHV_GET_VM_STATS and XENHV_LIST_VMS.
 * @xen: configuration when @abi is XENHV_ABI_XEN.
 * @hv: configuration when @abi is XENHV_ABI_HYPERV.
 * @config: the union's size; the member not selected by @abi must be 0.
 * @reserved: must be 0.
 */
struct xenhv_attach {
	__s32 vm_fd;
	__u32 abi;
	__u32 flags;
	__u32 reserved0;
	__u64 vm_id;
	union {
		struct xenhv_xen_config xen;
		struct xenhv_hv_config hv;
		__u64 config[8];
	};
	__u64 reserved[4];
};

/**
 * struct xenhv_detach - XENHV_DETACH_VM
 * @vm_fd: a KVM VM file descriptor of the caller.
 * @flags: must be 0.
 * @reserved: must be 0.
 */
struct xenhv_detach {
	__s32 vm_fd;
	__u32 flags;
	__u64 reserved[3];
};

/**
 * struct xenhv_reset - XENHV_RESET_VM: the guest was reset (system reset,
 *	reboot); release what it set up through the ABI, as a detach and a
 *	new attachment with the same configuration would, keeping the
 *	attachment (id, flags, configuration, counters).
 * @vm_fd: an attached KVM VM file descriptor.
 * @flags: must be 0.
 * @reserved: must be 0.
 */
struct xenhv_reset {
	__s32 vm_fd;
	__u32 flags;
	__u64 reserved[3];
};

/*
 * Per-operation counters. The index of an operation depends on the ABI:
 *   Xen:     the hypercall number (0..63);
 *   Hyper-V: the call code for codes 0..0xbf, 0xc0 + (code - 0x8000) for
 *            extended calls 0x8000..0x802f;
 *   both:    the XENHV_OP_* indexes below.
 */
#define XENHV_OP_VMM_EVENT	0xf9	/* Xen: KVM_XEN_HVM_EVTCHN_SEND from the VMM */
#define XENHV_OP_HALT_KICK	0xfa	/* Xen: pending upcall raised again at HLT */
#define XENHV_OP_CALL_OTHER	0xfb	/* a call number outside the table */
#define XENHV_OP_MSR_READ	0xfc
#define XENHV_OP_MSR_WRITE	0xfd
#define XENHV_OP_CPUID		0xfe
#define XENHV_OP_GUEST_FAULT	0xff	/* #UD/#GP given to the guest */
#define XENHV_NR_OPS		256

struct xenhv_op_stats {
	__u64 kernel;	/* completed in the kernel */
	__u64 user;	/* sent to userspace (KVM_EXIT_XEN / KVM_EXIT_HYPERV) */
	__u64 errors;	/* completed with an error for the guest */
};

/* xenhv_vm_stats.flags */
#define XENHV_STATS_BY_ID	(1U << 0)	/* select the VM by @vm_id, not @vm_fd */

/**
 * struct xenhv_vm_stats - XENHV_GET_VM_STATS
 * @vm_fd: in: a KVM VM file descriptor (without XENHV_STATS_BY_ID).
 * @flags: in: XENHV_STATS_*.
 * @vm_id: in (XENHV_STATS_BY_ID) or out: the attachment's id.
 * @abi: out: current ABI (XENHV_ABI_NATIVE once detached).
 * @nr_ops: out: XENHV_NR_OPS.
 * @mem_bytes: out: bytes of kernel memory the shim holds for the VM's ABI
 *	(its record, the ABI's VM state and the state of each vCPU that has
 *	used the ABI); 0 when detached or selected by @vm_id.
 * @reserved: must be 0.
 * @ops: out: counters, indexed as described above.
 */
struct xenhv_vm_stats {
	__s32 vm_fd;
	__u32 flags;
	__u64 vm_id;
	__u32 abi;
	__u32 nr_ops;
	__u64 mem_bytes;
	__u64 reserved[3];
	struct xenhv_op_stats ops[XENHV_NR_OPS];
};

/**
 * struct xenhv_vm_info - one entry of XENHV_LIST_VMS
 * @vm_id: the attachment's id.
 * @abi: current ABI (XENHV_ABI_NATIVE once detached).
 * @pid: the process that created the VM.
 * @flags: XENHV_ATTACH_* flags of the attachment.
 * @reserved0: 0.
 * @calls: all operations handled for this VM.
 */
struct xenhv_vm_info {
	__u64 vm_id;
	__u32 abi;
	__s32 pid;
	__u32 flags;
	__u32 reserved0;
	__u64 calls;
};

/**
 * struct xenhv_list - XENHV_LIST_VMS
 * @nr: in: capacity of @vms; out: number of VMs with an attachment (may be
 *	larger than the capacity, then only that many entries are written).
 * @flags: must be 0.
 * @vms: user pointer to an array of struct xenhv_vm_info.
 * @reserved: must be 0.
 */
struct xenhv_list {
	__u32 nr;
	__u32 flags;
	__u64 vms;
	__u64 reserved[2];
};

/**
 * struct xenhv_cpuid - XENHV_GET_CPUID
 * @vm_fd: an attached KVM VM file descriptor.
 * @flags: must be 0.
 * @nent: in: capacity of @entries; out: entries written (-E2BIG if too few).
 * @reserved0: must be 0.
 * @entries: user pointer to struct kvm_cpuid_entry2[@nent], the hypervisor
 *	leaves of the VM's ABI, to merge into KVM_SET_CPUID2 (replacing every
 *	leaf in 0x40000000..0x4000ffff).
 * @reserved: must be 0.
 */
struct xenhv_cpuid {
	__s32 vm_fd;
	__u32 flags;
	__u32 nent;
	__u32 reserved0;
	__u64 entries;
	__u64 reserved[2];
};

/* xenhv_xen_port.flags */
#define XENHV_PORT_SEND_EVENTFD	(1U << 0)	/* guest sends on @port signal @send_fd */
#define XENHV_PORT_RAISE_EVENTFD (1U << 1)	/* signalling @raise_fd raises @port */
#define XENHV_PORT_UNBIND	(1U << 2)	/* remove the bindings the other flags name */
#define XENHV_PORT_FLAGS	(XENHV_PORT_SEND_EVENTFD | XENHV_PORT_RAISE_EVENTFD | \
				 XENHV_PORT_UNBIND)

/**
 * struct xenhv_xen_port - XENHV_XEN_BIND_PORT
 * @vm_fd: a KVM VM attached with XENHV_ABI_XEN.
 * @flags: XENHV_PORT_*; at least one of SEND_EVENTFD and RAISE_EVENTFD.
 * @port: a guest event channel port (1 .. 4095), usually one the guest
 *	allocated with EVTCHNOP_alloc_unbound for a backend in the VMM.
 * @send_fd: an eventfd (SEND_EVENTFD without UNBIND), else -1.
 * @raise_fd: an eventfd (RAISE_EVENTFD without UNBIND), else -1.
 * @reserved0: must be 0.
 * @reserved: must be 0.
 */
struct xenhv_xen_port {
	__s32 vm_fd;
	__u32 flags;
	__u32 port;
	__s32 send_fd;
	__s32 raise_fd;
	__u32 reserved0;
	__u64 reserved[3];
};

/**
 * struct xenhv_xen_raise - XENHV_XEN_RAISE_PORT
 * @vm_fd: a KVM VM attached with XENHV_ABI_XEN.
 * @port: the port to set pending (1 .. 4095).
 * @flags: must be 0.
 * @reserved0: must be 0.
 * @reserved: must be 0.
 */
struct xenhv_xen_raise {
	__s32 vm_fd;
	__u32 port;
	__u32 flags;
	__u32 reserved0;
	__u64 reserved[2];
};

/* xenhv_hv_conn.flags */
#define XENHV_CONN_EVENTFD	(1U << 0)	/* SignalEvent on @conn_id signals @fd */
#define XENHV_CONN_SYNIC	(1U << 1)	/* ... sets a SIEF event flag of @vp_index */
#define XENHV_CONN_UNBIND	(1U << 2)	/* remove @conn_id's binding (alone) */
#define XENHV_CONN_FLAGS	(XENHV_CONN_EVENTFD | XENHV_CONN_SYNIC | XENHV_CONN_UNBIND)
#define XENHV_CONN_ID_MAX	0xffffff

/**
 * struct xenhv_hv_conn - XENHV_HV_BIND_CONN
 * @vm_fd: a KVM VM attached with XENHV_ABI_HYPERV.
 * @flags: exactly one of XENHV_CONN_EVENTFD, XENHV_CONN_SYNIC, XENHV_CONN_UNBIND.
 * @conn_id: the connection id the guest passes to HvCallSignalEvent
 *	(0 .. XENHV_CONN_ID_MAX). Binding a bound id fails with -EEXIST,
 *	unbinding an unbound one with -ENOENT.
 * @fd: an eventfd (XENHV_CONN_EVENTFD), else -1.
 * @vp_index: XENHV_CONN_SYNIC: the target vCPU's VP index, else 0.
 * @sint: XENHV_CONN_SYNIC: the SINT (0 .. 15) whose event flags are set.
 * @reserved0: must be 0.
 * @flag: XENHV_CONN_SYNIC: the base event flag (0 .. 2047); the guest's
 *	flag number is added to it.
 * @reserved: must be 0.
 */
struct xenhv_hv_conn {
	__s32 vm_fd;
	__u32 flags;
	__u32 conn_id;
	__s32 fd;
	__u32 vp_index;
	__u8 sint;
	__u8 reserved0;
	__u16 flag;
	__u64 reserved[3];
};

/* xenhv_hv_sint.flags */
#define XENHV_SINT_UNBIND	(1U << 0)	/* remove the binding of (vp, sint, flag) */
#define XENHV_SINT_FLAGS	XENHV_SINT_UNBIND

/**
 * struct xenhv_hv_sint - XENHV_HV_BIND_SINT
 * @vm_fd: a KVM VM attached with XENHV_ABI_HYPERV.
 * @flags: 0 binds @fd; XENHV_SINT_UNBIND removes the binding.
 * @vp_index: the target vCPU's VP index.
 * @fd: an eventfd (bind), else -1. Each signal sets event flag @flag of
 *	@sint in the vCPU's SIEF page and, when the flag was clear, raises
 *	the SINT. Binding a bound (@vp_index, @sint, @flag) fails with
 *	-EEXIST, unbinding an unbound one with -ENOENT.
 * @sint: the SINT (0 .. 15).
 * @reserved0: must be 0.
 * @flag: the SIEF event flag (0 .. 2047).
 * @reserved: must be 0.
 */
struct xenhv_hv_sint {
	__s32 vm_fd;
	__u32 flags;
	__u32 vp_index;
	__s32 fd;
	__u8 sint;
	__u8 reserved0;
	__u16 flag;
	__u32 reserved1;
	__u64 reserved[2];
};

/* xenhv_hv_message.flags, out */
#define XENHV_MSG_QUEUED	(1U << 0)	/* the slot was busy: sent at the guest's EOM */
#define XENHV_MSG_PAYLOAD_MAX	240		/* HV_MESSAGE_PAYLOAD_BYTE_COUNT */

/**
 * struct xenhv_hv_message - XENHV_HV_POST_MESSAGE: the host side of
 *	HvPostMessage, a message into a SINT's slot of a vCPU's SIM page.
 * @vm_fd: a KVM VM attached with XENHV_ABI_HYPERV.
 * @flags: in: must be 0; out: XENHV_MSG_QUEUED when the slot was busy: the
 *	message waits (msg_pending asks the guest for an EOM) and is written
 *	at the guest's EOM. A second message for a slot whose message waits
 *	fails with -EBUSY. The SynIC and SIM page disabled or the SINT masked:
 *	-ENXIO.
 * @vp_index: the target vCPU's VP index.
 * @sint: the SINT (0 .. 15).
 * @reserved0: must be 0.
 * @message_type: the hv_message_type, not HVMSG_NONE (0).
 * @payload_size: bytes of @payload (0 .. XENHV_MSG_PAYLOAD_MAX).
 * @reserved: must be 0.
 * @payload: the message payload.
 */
struct xenhv_hv_message {
	__s32 vm_fd;
	__u32 flags;
	__u32 vp_index;
	__u8 sint;
	__u8 reserved0[3];
	__u32 message_type;
	__u32 payload_size;
	__u64 reserved[2];
	__u8 payload[XENHV_MSG_PAYLOAD_MAX];
};

#define XENHV_GET_VERSION	_IOWR(XENHV_IOCTL_TYPE, 0x00, struct xenhv_version)
#define XENHV_ATTACH_VM		_IOWR(XENHV_IOCTL_TYPE, 0x01, struct xenhv_attach)
#define XENHV_DETACH_VM		_IOW(XENHV_IOCTL_TYPE, 0x02, struct xenhv_detach)
#define XENHV_GET_VM_STATS	_IOWR(XENHV_IOCTL_TYPE, 0x03, struct xenhv_vm_stats)
#define XENHV_LIST_VMS		_IOWR(XENHV_IOCTL_TYPE, 0x04, struct xenhv_list)
#define XENHV_GET_CPUID		_IOWR(XENHV_IOCTL_TYPE, 0x05, struct xenhv_cpuid)
#define XENHV_RESET_VM		_IOW(XENHV_IOCTL_TYPE, 0x06, struct xenhv_reset)
#define XENHV_XEN_BIND_PORT	_IOW(XENHV_IOCTL_TYPE, 0x10, struct xenhv_xen_port)
#define XENHV_XEN_RAISE_PORT	_IOW(XENHV_IOCTL_TYPE, 0x11, struct xenhv_xen_raise)
#define XENHV_HV_BIND_CONN	_IOW(XENHV_IOCTL_TYPE, 0x20, struct xenhv_hv_conn)
#define XENHV_HV_BIND_SINT	_IOW(XENHV_IOCTL_TYPE, 0x21, struct xenhv_hv_sint)
#define XENHV_HV_POST_MESSAGE	_IOWR(XENHV_IOCTL_TYPE, 0x22, struct xenhv_hv_message)

#endif /* _UAPI_LINUX_XENHV_SHIM_H */
