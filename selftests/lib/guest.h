/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest side of the selftest VMs: the ucall channel, exception reporting and
 * the hypercall instructions. Guest code runs at CPL 0 in 64-bit mode, with
 * SSE enabled and no libc: use the helpers here only.
 */
#ifndef XENHV_GUEST_H
#define XENHV_GUEST_H

#include <stdint.h>

#define UCALL_PORT	0x1000

#define READ_ONCE(x)	(*(const volatile typeof(x) *)&(x))

enum {
	UCALL_NONE,
	UCALL_SYNC,
	UCALL_DONE,
	UCALL_ABORT,
	UCALL_PRINT,
};

struct ucall {
	uint64_t cmd;
	uint64_t args[6];
	const char *file;	/* same address in host and guest */
	uint64_t line;
	const char *fmt;
};

void ucall(uint64_t cmd, const char *file, uint64_t line, const char *fmt,
	   int nargs, ...);

#define __GUEST_UCALL(cmd, fmt, n, ...) \
	ucall(cmd, __FILE__, __LINE__, fmt, n, ##__VA_ARGS__)
#define GUEST_SYNC(stage)		__GUEST_UCALL(UCALL_SYNC, NULL, 1, (uint64_t)(stage))
#define GUEST_SYNC2(a, b)		__GUEST_UCALL(UCALL_SYNC, NULL, 2, (uint64_t)(a), (uint64_t)(b))
#define GUEST_DONE()			__GUEST_UCALL(UCALL_DONE, NULL, 0)
#define GUEST_FAIL(fmt, ...)		__GUEST_UCALL(UCALL_ABORT, fmt, 0)
#define GUEST_ASSERT(cond)						\
	do {								\
		if (!(cond))						\
			__GUEST_UCALL(UCALL_ABORT, "GUEST_ASSERT(" #cond ")", 0); \
	} while (0)
#define GUEST_ASSERT_EQ(a, b)						\
	do {								\
		uint64_t __a = (uint64_t)(a), __b = (uint64_t)(b);	\
		if (__a != __b)						\
			__GUEST_UCALL(UCALL_ABORT, "GUEST_ASSERT_EQ(" #a ", " #b \
				      "): 0x%lx != 0x%lx", 2, __a, __b); \
	} while (0)

/* Exceptions: a handler returns to the faulting context (after fixing it). */
struct ex_regs {
	uint64_t rax, rcx, rdx, rbx, rbp, rsi, rdi;
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t vector, error_code;
	uint64_t rip, cs, rflags, rsp, ss;
};

typedef void (*guest_ex_handler_t)(struct ex_regs *regs);
void guest_set_handler(int vector, guest_ex_handler_t handler);

static inline uint64_t guest_rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr) : "memory");
	return ((uint64_t)hi << 32) | lo;
}

static inline void guest_wrmsr(uint32_t msr, uint64_t val)
{
	__asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)val),
			 "d"((uint32_t)(val >> 32)) : "memory");
}

static inline void guest_cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
			 : "a"(leaf), "c"(sub));
}

static inline int guest_is_amd(void)
{
	uint32_t r[4];

	guest_cpuid(0, 0, r);
	return r[1] == 0x68747541;	/* "Auth"enticAMD */
}

/* KVM and Xen hypercall: nr in RAX, args RDI, RSI, RDX, R10, R8 (64-bit). */
static inline uint64_t guest_hypercall(uint64_t nr, uint64_t a0, uint64_t a1,
				       uint64_t a2)
{
	uint64_t ret;

	/* KVM turns either instruction into the host's own on first use. */
	__asm__ volatile("vmmcall"
			 : "=a"(ret) : "a"(nr), "D"(a0), "S"(a1), "d"(a2)
			 : "memory");
	return ret;
}

void *guest_memset(void *s, int c, uint64_t n);
void *guest_memcpy(void *d, const void *s, uint64_t n);

/* GDT selectors set up by the VM builder (lib/vm.c). */
#define GUEST_KERNEL_CS		0x08
#define GUEST_KERNEL_DS		0x10
#define GUEST_USER_CS32		0x18
#define GUEST_USER_DS		0x20
#define GUEST_USER_CS		0x28
#define GUEST_KERNEL_CS32	0x30

/* Registers of a call made in 32-bit compatibility mode. */
struct guest_regs32 {
	uint32_t eax, ebx, ecx, edx, esi, edi, ebp;
};

/* Execute vmmcall at CPL 0 in 32-bit compatibility mode, with *r in and out. */
void guest_hypercall32(struct guest_regs32 *r);

/*
 * Run fn(arg) at CPL 3 (64-bit) and return its result. Exceptions raised
 * there go to the handlers as usual (their frame has cs & 3 == 3). One vCPU
 * at a time.
 */
uint64_t guest_run_user(uint64_t (*fn)(uint64_t), uint64_t arg);

/* Internal: the assembly halves of the above and of the exception stubs. */
uint64_t guest_run_user_asm(uint64_t (*fn)(uint64_t), uint64_t arg, uint64_t user_rsp);
extern char guest_user_return[];
extern char guest_ex_stubs[];

/* Xen hypercall, 64-bit convention: nr in RAX, args RDI RSI RDX R10 R8 R9. */
static inline uint64_t guest_xen_hcall(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2,
				       uint64_t a3, uint64_t a4, uint64_t a5)
{
	register uint64_t r10 __asm__("r10") = a3;
	register uint64_t r8 __asm__("r8") = a4;
	register uint64_t r9 __asm__("r9") = a5;
	uint64_t ret;

	__asm__ volatile("vmmcall"
			 : "=a"(ret), "+D"(a0), "+S"(a1), "+d"(a2), "+r"(r10), "+r"(r8), "+r"(r9)
			 : "a"(nr) : "rcx", "r11", "memory");
	return ret;
}

/* Hyper-V hypercall, 64-bit convention: RCX control, RDX input, R8 output. */
static inline uint64_t guest_hv_hcall(uint64_t control, uint64_t in, uint64_t out)
{
	register uint64_t r8 __asm__("r8") = out;
	uint64_t status;

	__asm__ volatile("vmmcall"
			 : "=a"(status), "+c"(control), "+d"(in), "+r"(r8)
			 : : "memory");
	return status;
}

/* Call through a hypercall page entry (Hyper-V convention registers). */
static inline uint64_t guest_hv_hcall_page(void *entry, uint64_t control, uint64_t in,
					   uint64_t out)
{
	register uint64_t r8 __asm__("r8") = out;
	uint64_t status;

	__asm__ volatile("call *%[e]"
			 : "=a"(status), "+c"(control), "+d"(in), "+r"(r8)
			 : [e] "r"(entry) : "memory");
	return status;
}

/* Call a Xen hypercall page stub: args in RDI, RSI, RDX. */
static inline uint64_t guest_xen_hcall_page(void *entry, uint64_t a0, uint64_t a1, uint64_t a2)
{
	uint64_t ret;

	__asm__ volatile("call *%[e]"
			 : "=a"(ret), "+D"(a0), "+S"(a1), "+d"(a2)
			 : [e] "r"(entry) : "rcx", "r8", "r9", "r10", "r11", "memory");
	return ret;
}

/*
 * Catch an expected exception: the handler counts it, records the vector
 * and resumes after the faulting instruction of @insn_len bytes.
 */
extern volatile uint64_t guest_faults;
extern volatile uint64_t guest_fault_vector;
void guest_catch(int vector, int insn_len);

#endif
