// SPDX-License-Identifier: GPL-2.0
/*
 * Host side of the selftest VM builder.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vm.h"

#define X86_CR0_PE	(1ul << 0)
#define X86_CR0_MP	(1ul << 1)
#define X86_CR0_ET	(1ul << 4)
#define X86_CR0_NE	(1ul << 5)
#define X86_CR0_WP	(1ul << 16)
#define X86_CR0_AM	(1ul << 18)
#define X86_CR0_PG	(1ul << 31)
#define X86_CR4_PAE	(1ul << 5)
#define X86_CR4_OSFXSR	(1ul << 9)
#define X86_CR4_OSXMMEXCPT (1ul << 10)
#define EFER_SCE	(1ul << 0)
#define EFER_LME	(1ul << 8)
#define EFER_LMA	(1ul << 10)
#define EFER_NX		(1ul << 11)

#define PTE_P		(1ul << 0)
#define PTE_RW		(1ul << 1)
#define PTE_US		(1ul << 2)
#define PTE_PS		(1ul << 7)

/* GDT layout, shared with guest code that changes privilege or mode. */
#define GDT_KERNEL_CS	0x08
#define GDT_KERNEL_DS	0x10
#define GDT_USER_CS32	0x18
#define GDT_USER_DS	0x20
#define GDT_USER_CS	0x28
#define GDT_KERNEL_CS32	0x30
#define GDT_TSS		0x38

#define die(fmt, ...) TEST_FAIL(fmt " (errno %d: %s)", ##__VA_ARGS__, errno, strerror(errno))

int kvm_open(void)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		SKIP("/dev/kvm: %s", strerror(errno));
	if (ioctl(fd, KVM_GET_API_VERSION, 0) != KVM_API_VERSION)
		TEST_FAIL("KVM API version mismatch");
	return fd;
}

int kvm_check_cap(long cap)
{
	int fd = kvm_open(), r;

	r = ioctl(fd, KVM_CHECK_EXTENSION, cap);
	close(fd);
	return r < 0 ? 0 : r;
}

void *vm_gpa_to_hva(struct vm *vm, uint64_t gpa, uint64_t len)
{
	TEST_ASSERT(gpa < vm->mem_size && len <= vm->mem_size - gpa,
		    "GPA 0x%lx+0x%lx outside guest memory", gpa, len);
	return vm->mem + gpa;
}

void vm_sync_global_to_guest(struct vm *vm, void *addr, size_t len)
{
	memcpy(vm_gpa_to_hva(vm, (uint64_t)addr, len), addr, len);
}

void vm_sync_global_from_guest(struct vm *vm, void *addr, size_t len)
{
	memcpy(addr, vm_gpa_to_hva(vm, (uint64_t)addr, len), len);
}

/* Copy the PT_LOAD segments of this very program to their link addresses. */
static void vm_load_self(struct vm *vm)
{
	int fd = open("/proc/self/exe", O_RDONLY);
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	int i;

	if (fd < 0 || pread(fd, &eh, sizeof(eh), 0) != sizeof(eh))
		die("read /proc/self/exe");
	TEST_ASSERT(eh.e_type == ET_EXEC, "test binaries must be linked -static -no-pie");
	for (i = 0; i < eh.e_phnum; i++) {
		if (pread(fd, &ph, sizeof(ph), eh.e_phoff + i * eh.e_phentsize) != sizeof(ph))
			die("read program header");
		if (ph.p_type != PT_LOAD)
			continue;
		TEST_ASSERT(ph.p_vaddr + ph.p_memsz < VM_SCRATCH_GPA,
			    "segment at 0x%lx too large", (unsigned long)ph.p_vaddr);
		if (pread(fd, vm->mem + ph.p_vaddr, ph.p_filesz, ph.p_offset) != (ssize_t)ph.p_filesz)
			die("read segment");
		memset(vm->mem + ph.p_vaddr + ph.p_filesz, 0, ph.p_memsz - ph.p_filesz);
	}
	close(fd);
}

static void vm_setup_paging(struct vm *vm)
{
	uint64_t *pml4 = (uint64_t *)(vm->mem + VM_PML4_GPA);
	uint64_t *pdpt = (uint64_t *)(vm->mem + VM_PDPT_GPA);
	uint64_t *pd = (uint64_t *)(vm->mem + VM_PD_GPA);
	int i;

	/* 1 GiB identity map in 2 MiB pages, user-accessible for CPL 3 tests. */
	pml4[0] = VM_PDPT_GPA | PTE_P | PTE_RW | PTE_US;
	pdpt[0] = VM_PD_GPA | PTE_P | PTE_RW | PTE_US;
	for (i = 0; i < 512; i++)
		pd[i] = ((uint64_t)i << 21) | PTE_P | PTE_RW | PTE_US | PTE_PS;
}

static void vm_setup_idt(struct vm *vm)
{
	uint64_t *idt = (uint64_t *)(vm->mem + VM_IDT_GPA);
	int v;

	for (v = 0; v < 256; v++) {
		uint64_t h = (uint64_t)guest_ex_stubs + v * 16;
		/* Present 64-bit interrupt gate, DPL 3 so CPL 3 can "int" too. */
		idt[2 * v] = (h & 0xffff) | ((uint64_t)GDT_KERNEL_CS << 16) |
			     (0xeeull << 40) | ((h >> 16) & 0xffff) << 48;
		idt[2 * v + 1] = h >> 32;
	}
}

struct vm *vm_create(const struct vm_opts *opts)
{
	struct kvm_userspace_memory_region region = {};
	struct vm *vm = calloc(1, sizeof(*vm));

	TEST_ASSERT(vm, "out of memory");
	vm->kvm_fd = kvm_open();
	vm->fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->fd < 0)
		die("KVM_CREATE_VM");
	vm->mem_size = opts && opts->mem_size ? opts->mem_size : VM_DEFAULT_MEM;
	vm->mem = mmap(NULL, vm->mem_size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (vm->mem == MAP_FAILED)
		die("mmap guest memory");
	region.memory_size = vm->mem_size;
	region.userspace_addr = (uint64_t)vm->mem;
	if (ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &region))
		die("KVM_SET_USER_MEMORY_REGION");
	if (opts && opts->irqchip && ioctl(vm->fd, KVM_CREATE_IRQCHIP, 0))
		die("KVM_CREATE_IRQCHIP");
	vm->run_size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	vm_load_self(vm);
	vm_setup_paging(vm);
	vm_setup_idt(vm);
	return vm;
}

void vm_destroy(struct vm *vm)
{
	int i;

	for (i = 0; i < vm->nr_vcpus; i++) {
		munmap(vm->vcpus[i]->run, vm->run_size);
		close(vm->vcpus[i]->fd);
		free(vm->vcpus[i]);
	}
	close(vm->fd);
	close(vm->kvm_fd);
	munmap(vm->mem, vm->mem_size);
	free(vm);
}

struct kvm_cpuid2 *kvm_supported_cpuid(void)
{
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + 256 * sizeof(c->entries[0]));
	int fd = kvm_open();

	c->nent = 256;
	if (ioctl(fd, KVM_GET_SUPPORTED_CPUID, c))
		die("KVM_GET_SUPPORTED_CPUID");
	close(fd);
	return c;
}

void vcpu_set_cpuid(struct vcpu *vcpu, const struct kvm_cpuid2 *cpuid)
{
	if (ioctl(vcpu->fd, KVM_SET_CPUID2, cpuid))
		die("KVM_SET_CPUID2");
}

/* KVM's own Hyper-V emulation: its Hyper-V leaves instead of its PV leaves. */
void vcpu_set_kvm_hyperv_cpuid(struct vcpu *vcpu)
{
	struct kvm_cpuid2 *base = kvm_supported_cpuid(), *hv, *all;
	unsigned int i;
	int kvm = kvm_open();

	hv = calloc(1, sizeof(*hv) + 64 * sizeof(hv->entries[0]));
	all = calloc(1, sizeof(*all) + 320 * sizeof(all->entries[0]));
	hv->nent = 64;
	if (ioctl(kvm, KVM_GET_SUPPORTED_HV_CPUID, hv))
		die("KVM_GET_SUPPORTED_HV_CPUID");
	for (i = 0; i < base->nent; i++)
		if ((base->entries[i].function & 0xffff0000) != 0x40000000)
			all->entries[all->nent++] = base->entries[i];
	for (i = 0; i < hv->nent; i++)
		all->entries[all->nent++] = hv->entries[i];
	vcpu_set_cpuid(vcpu, all);
	free(base);
	free(hv);
	free(all);
	close(kvm);
}

static void seg(struct kvm_segment *s, uint16_t sel, int type, int l, int db, int dpl)
{
	memset(s, 0, sizeof(*s));
	s->selector = sel;
	s->limit = 0xffffffff;
	s->type = type;
	s->present = 1;
	s->dpl = dpl;
	s->db = db;
	s->s = 1;
	s->l = l;
	s->g = 1;
}

static uint64_t gdt_desc(uint32_t base, uint8_t access, uint8_t flags)
{
	return 0xffffull | ((uint64_t)(base & 0xffffff) << 16) | ((uint64_t)access << 40) |
	       (0xfull << 48) | ((uint64_t)flags << 52) | ((uint64_t)(base >> 24) << 56);
}

static void vcpu_setup_sregs(struct vcpu *vcpu)
{
	uint64_t gdt_gpa = VM_GDT_GPA(vcpu->id), tss_gpa = gdt_gpa + 0x800;
	uint64_t *gdt = vm_gpa_to_hva(vcpu->vm, gdt_gpa, 0x1000);
	uint32_t *tss = (uint32_t *)(gdt + 0x100);
	uint64_t rsp0 = vcpu->vm->mem_size - vcpu->id * 2 * VM_STACK_SIZE;
	struct kvm_sregs s;

	gdt[GDT_KERNEL_CS / 8] = gdt_desc(0, 0x9b, 0xa);	/* L, G */
	gdt[GDT_KERNEL_DS / 8] = gdt_desc(0, 0x93, 0xc);	/* D, G */
	gdt[GDT_USER_CS32 / 8] = gdt_desc(0, 0xfb, 0xc);
	gdt[GDT_USER_DS / 8] = gdt_desc(0, 0xf3, 0xc);
	gdt[GDT_USER_CS / 8] = gdt_desc(0, 0xfb, 0xa);
	gdt[GDT_KERNEL_CS32 / 8] = gdt_desc(0, 0x9b, 0xc);
	gdt[GDT_TSS / 8] = (0x67ull) | ((tss_gpa & 0xffffff) << 16) | (0x89ull << 40) |
			   ((tss_gpa >> 24) & 0xff) << 56;
	gdt[GDT_TSS / 8 + 1] = tss_gpa >> 32;
	tss[1] = (uint32_t)rsp0;			/* RSP0 */
	tss[2] = (uint32_t)(rsp0 >> 32);

	if (ioctl(vcpu->fd, KVM_GET_SREGS, &s))
		die("KVM_GET_SREGS");
	s.cr0 = X86_CR0_PE | X86_CR0_MP | X86_CR0_ET | X86_CR0_NE | X86_CR0_WP |
		X86_CR0_AM | X86_CR0_PG;
	s.cr3 = VM_PML4_GPA;
	s.cr4 = X86_CR4_PAE | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT;
	s.efer = EFER_LME | EFER_LMA | EFER_SCE | EFER_NX;
	seg(&s.cs, GDT_KERNEL_CS, 11, 1, 0, 0);
	seg(&s.ds, GDT_KERNEL_DS, 3, 0, 1, 0);
	s.es = s.fs = s.gs = s.ss = s.ds;
	s.gdt.base = gdt_gpa;
	s.gdt.limit = 0x7ff;
	s.idt.base = VM_IDT_GPA;
	s.idt.limit = 256 * 16 - 1;
	memset(&s.tr, 0, sizeof(s.tr));
	s.tr.selector = GDT_TSS;
	s.tr.base = tss_gpa;
	s.tr.limit = 0x67;
	s.tr.type = 11;		/* busy 64-bit TSS */
	s.tr.present = 1;
	if (ioctl(vcpu->fd, KVM_SET_SREGS, &s))
		die("KVM_SET_SREGS");
}

struct vcpu *vm_add_vcpu(struct vm *vm, void *guest_fn)
{
	return vm_add_vcpu_id(vm, guest_fn, vm->nr_vcpus);
}

struct vcpu *vm_add_vcpu_id(struct vm *vm, void *guest_fn, int kvm_id)
{
	struct vcpu *vcpu = calloc(1, sizeof(*vcpu));
	struct kvm_cpuid2 *cpuid;
	struct kvm_regs regs = {};

	TEST_ASSERT(vm->nr_vcpus < VM_MAX_VCPUS, "too many vCPUs");
	vcpu->vm = vm;
	vcpu->id = vm->nr_vcpus;
	vcpu->fd = ioctl(vm->fd, KVM_CREATE_VCPU, kvm_id);
	if (vcpu->fd < 0)
		die("KVM_CREATE_VCPU");
	vcpu->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu->fd, 0);
	if (vcpu->run == MAP_FAILED)
		die("mmap kvm_run");
	vm->vcpus[vm->nr_vcpus++] = vcpu;

	cpuid = kvm_supported_cpuid();
	vcpu_set_cpuid(vcpu, cpuid);
	free(cpuid);
	vcpu_setup_sregs(vcpu);
	/* Kernel stack below the per-vCPU RSP0 area; 16-byte aligned - 8 as after a call. */
	regs.rsp = vm->mem_size - vcpu->id * 2 * VM_STACK_SIZE - VM_STACK_SIZE - 8;
	regs.rip = (uint64_t)guest_fn;
	regs.rflags = 2;
	vcpu_set_regs(vcpu, &regs);
	/* With an in-kernel LAPIC the APs would wait for INIT/SIPI. */
	if (ioctl(vcpu->fd, KVM_SET_MP_STATE, &(struct kvm_mp_state){ KVM_MP_STATE_RUNNABLE }))
		die("KVM_SET_MP_STATE");
	return vcpu;
}

void vcpu_get_regs(struct vcpu *vcpu, struct kvm_regs *regs)
{
	if (ioctl(vcpu->fd, KVM_GET_REGS, regs))
		die("KVM_GET_REGS");
}

void vcpu_set_regs(struct vcpu *vcpu, struct kvm_regs *regs)
{
	if (ioctl(vcpu->fd, KVM_SET_REGS, regs))
		die("KVM_SET_REGS");
}

/* Arguments of the guest entry function, in the SysV order. */
void vcpu_set_args(struct vcpu *vcpu, int n, ...)
{
	struct kvm_regs regs;
	va_list ap;
	__u64 *slot[] = { &regs.rdi, &regs.rsi, &regs.rdx, &regs.rcx, &regs.r8, &regs.r9 };
	int i;

	TEST_ASSERT(n <= 6, "at most 6 guest arguments");
	vcpu_get_regs(vcpu, &regs);
	va_start(ap, n);
	for (i = 0; i < n; i++)
		*slot[i] = va_arg(ap, uint64_t);
	va_end(ap);
	vcpu_set_regs(vcpu, &regs);
}

void vcpu_set_msr(struct vcpu *vcpu, uint32_t index, uint64_t value)
{
	struct {
		struct kvm_msrs h;
		struct kvm_msr_entry e;
	} m = { .h.nmsrs = 1, .e.index = index, .e.data = value };
	int r = ioctl(vcpu->fd, KVM_SET_MSRS, &m);

	TEST_ASSERT(r == 1, "KVM_SET_MSRS(0x%x, 0x%lx) = %d", index, value, r);
}

uint64_t vcpu_get_msr(struct vcpu *vcpu, uint32_t index)
{
	struct {
		struct kvm_msrs h;
		struct kvm_msr_entry e;
	} m = { .h.nmsrs = 1, .e.index = index };
	int r = ioctl(vcpu->fd, KVM_GET_MSRS, &m);

	TEST_ASSERT(r == 1, "KVM_GET_MSRS(0x%x) = %d", index, r);
	return m.e.data;
}

void vcpu_run(struct vcpu *vcpu)
{
	int r;

	do {
		r = ioctl(vcpu->fd, KVM_RUN, 0);
	} while (r < 0 && errno == EINTR);
	if (r < 0)
		die("KVM_RUN");
}

uint64_t vcpu_get_ucall(struct vcpu *vcpu, struct ucall *uc)
{
	struct kvm_run *run = vcpu->run;
	struct kvm_regs regs;

	if (run->exit_reason != KVM_EXIT_IO || run->io.port != UCALL_PORT ||
	    run->io.direction != KVM_EXIT_IO_OUT)
		return UCALL_NONE;
	vcpu_get_regs(vcpu, &regs);
	memcpy(uc, vm_gpa_to_hva(vcpu->vm, regs.rdi, sizeof(*uc)), sizeof(*uc));
	return uc->cmd;
}

const char *exit_reason_str(uint32_t r)
{
	static const char * const names[] = {
		[KVM_EXIT_UNKNOWN] = "UNKNOWN", [KVM_EXIT_EXCEPTION] = "EXCEPTION",
		[KVM_EXIT_IO] = "IO", [KVM_EXIT_HYPERCALL] = "HYPERCALL",
		[KVM_EXIT_DEBUG] = "DEBUG", [KVM_EXIT_HLT] = "HLT", [KVM_EXIT_MMIO] = "MMIO",
		[KVM_EXIT_SHUTDOWN] = "SHUTDOWN", [KVM_EXIT_FAIL_ENTRY] = "FAIL_ENTRY",
		[KVM_EXIT_INTERNAL_ERROR] = "INTERNAL_ERROR", [KVM_EXIT_SYSTEM_EVENT] = "SYSTEM_EVENT",
		[KVM_EXIT_HYPERV] = "HYPERV", [KVM_EXIT_XEN] = "XEN",
	};

	return r < ARRAY_SIZE(names) && names[r] ? names[r] : "?";
}

void report_guest_abort(struct vcpu *vcpu, const struct ucall *uc)
{
	char msg[256];

	snprintf(msg, sizeof(msg), uc->fmt ? uc->fmt : "guest abort",
		 uc->args[0], uc->args[1], uc->args[2], uc->args[3], uc->args[4]);
	TEST_FAIL("vCPU %d: %s:%lu: %s", vcpu->id, uc->file, uc->line, msg);
}

uint64_t vcpu_run_ucall(struct vcpu *vcpu, struct ucall *uc)
{
	uint64_t cmd;

	vcpu_run(vcpu);
	cmd = vcpu_get_ucall(vcpu, uc);
	if (cmd == UCALL_NONE) {
		struct kvm_regs regs;

		vcpu_get_regs(vcpu, &regs);
		TEST_FAIL("vCPU %d: unexpected exit %s (%u) at rip 0x%llx",
			  vcpu->id, exit_reason_str(vcpu->run->exit_reason),
			  vcpu->run->exit_reason, regs.rip);
	}
	if (cmd == UCALL_ABORT)
		report_guest_abort(vcpu, uc);
	return cmd;
}

void vcpu_run_to_done(struct vcpu *vcpu)
{
	struct ucall uc;

	while (vcpu_run_ucall(vcpu, &uc) != UCALL_DONE)
		;
}

static void *vcpu_thread_main(void *arg)
{
	struct vcpu *vcpu = arg;

	vcpu->thread_fn(vcpu);
	return NULL;
}

void vcpu_thread_start(struct vcpu *vcpu, void (*fn)(struct vcpu *vcpu))
{
	vcpu->thread_fn = fn;
	errno = pthread_create(&vcpu->thread, NULL, vcpu_thread_main, vcpu);
	if (errno)
		die("pthread_create");
}

void vcpu_thread_join(struct vcpu *vcpu)
{
	pthread_join(vcpu->thread, NULL);
}

static void run_to_done_thread(struct vcpu *vcpu)
{
	vcpu_run_to_done(vcpu);
}

void vm_run_all_to_done(struct vm *vm)
{
	int i;

	for (i = 0; i < vm->nr_vcpus; i++)
		vcpu_thread_start(vm->vcpus[i], run_to_done_thread);
	for (i = 0; i < vm->nr_vcpus; i++)
		vcpu_thread_join(vm->vcpus[i]);
}
