/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small VM builder for the selftests: a VM with one identity-mapped memory
 * slot, 64-bit long-mode vCPUs (each may run on its own thread), the test
 * binary itself loaded into guest memory at its link addresses so that guest
 * code is ordinary C in the test file, and a guest-to-host channel (ucall)
 * for sync, assert, print and done.
 */
#ifndef XENHV_VM_H
#define XENHV_VM_H

#include <linux/kvm.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "guest.h"
#include "xtest.h"

#define VM_MAX_VCPUS		16
#define VM_DEFAULT_MEM		(64ul << 20)

/* Guest physical layout (identity mapped, first 1 GiB). */
#define VM_PML4_GPA		0x1000ul
#define VM_PDPT_GPA		0x2000ul
#define VM_PD_GPA		0x3000ul
#define VM_IDT_GPA		0x10000ul
#define VM_GDT_GPA(i)		(0x20000ul + (i) * 0x1000ul)
#define VM_SCRATCH_GPA		0x2000000ul	/* 32 MiB: free for tests */
#define VM_SCRATCH_SIZE		0x1000000ul	/* 16 MiB */
#define VM_STACK_SIZE		0x10000ul

struct vm;

struct vcpu {
	struct vm *vm;
	int id;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	void (*thread_fn)(struct vcpu *vcpu);
	void *priv;
};

struct vm {
	int kvm_fd;
	int fd;
	uint8_t *mem;
	uint64_t mem_size;
	int nr_vcpus;
	int run_size;
	struct vcpu *vcpus[VM_MAX_VCPUS];
};

struct vm_opts {
	uint64_t mem_size;	/* 0: VM_DEFAULT_MEM */
	bool irqchip;		/* in-kernel LAPIC/IOAPIC (KVM_CREATE_IRQCHIP) */
};

int kvm_open(void);		/* skips the test without /dev/kvm */
int kvm_check_cap(long cap);
struct vm *vm_create(const struct vm_opts *opts);
void vm_destroy(struct vm *vm);
struct vcpu *vm_add_vcpu(struct vm *vm, void *guest_fn);
/*
 * The same with KVM vCPU id @kvm_id (KVM_CREATE_VCPU); the vCPU's index,
 * stack and descriptor tables are still those of the next vCPU.
 */
struct vcpu *vm_add_vcpu_id(struct vm *vm, void *guest_fn, int kvm_id);
void *vm_gpa_to_hva(struct vm *vm, uint64_t gpa, uint64_t len);
void vm_sync_global_to_guest(struct vm *vm, void *addr, size_t len);
void vm_sync_global_from_guest(struct vm *vm, void *addr, size_t len);
#define sync_global_to_guest(vm, var) \
	vm_sync_global_to_guest(vm, &(var), sizeof(var))
#define sync_global_from_guest(vm, var) \
	vm_sync_global_from_guest(vm, &(var), sizeof(var))

void vcpu_set_args(struct vcpu *vcpu, int n, ...);
void vcpu_run(struct vcpu *vcpu);
void vcpu_get_regs(struct vcpu *vcpu, struct kvm_regs *regs);
void vcpu_set_regs(struct vcpu *vcpu, struct kvm_regs *regs);
void vcpu_set_cpuid(struct vcpu *vcpu, const struct kvm_cpuid2 *cpuid);
struct kvm_cpuid2 *kvm_supported_cpuid(void);
void vcpu_set_kvm_hyperv_cpuid(struct vcpu *vcpu);
void vcpu_set_msr(struct vcpu *vcpu, uint32_t index, uint64_t value);
uint64_t vcpu_get_msr(struct vcpu *vcpu, uint32_t index);

/*
 * The exit is a ucall: fill *uc and return its command, else return
 * UCALL_NONE and leave the exit in vcpu->run for the caller.
 */
uint64_t vcpu_get_ucall(struct vcpu *vcpu, struct ucall *uc);
/* Run until the next ucall; any other exit fails the test. */
uint64_t vcpu_run_ucall(struct vcpu *vcpu, struct ucall *uc);
/* Run to UCALL_DONE; SYNCs are ignored, aborts fail the test. */
void vcpu_run_to_done(struct vcpu *vcpu);
void report_guest_abort(struct vcpu *vcpu, const struct ucall *uc)
	__attribute__((noreturn));

void vcpu_thread_start(struct vcpu *vcpu, void (*fn)(struct vcpu *vcpu));
void vcpu_thread_join(struct vcpu *vcpu);
/* Run every vCPU on its own thread to UCALL_DONE. */
void vm_run_all_to_done(struct vm *vm);

const char *exit_reason_str(uint32_t reason);

#endif
