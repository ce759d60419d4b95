// SPDX-License-Identifier: GPL-2.0
/*
 * Guest-side runtime: ucall, the exception entry stubs and dispatch.
 * Everything here runs inside the test VM.
 */
#include <stdarg.h>

#include "guest.h"

void *guest_memset(void *s, int c, uint64_t n)
{
	volatile uint8_t *p = s;

	while (n--)
		*p++ = (uint8_t)c;
	return s;
}

void *guest_memcpy(void *d, const void *s, uint64_t n)
{
	volatile uint8_t *dp = d;
	const volatile uint8_t *sp = s;

	while (n--)
		*dp++ = *sp++;
	return d;
}

void ucall(uint64_t cmd, const char *file, uint64_t line, const char *fmt,
	   int nargs, ...)
{
	struct ucall uc = { .cmd = cmd, .file = file, .line = line, .fmt = fmt };
	va_list ap;
	int i;

	va_start(ap, nargs);
	for (i = 0; i < nargs && i < 6; i++)
		uc.args[i] = va_arg(ap, uint64_t);
	va_end(ap);
	/* The host finds the struct through RDI (identity mapped). */
	__asm__ volatile("out %%eax, %%dx"
			 : : "a"(0), "d"(UCALL_PORT), "D"(&uc) : "memory");
}

guest_ex_handler_t guest_ex_handlers[256];

void guest_set_handler(int vector, guest_ex_handler_t handler)
{
	guest_ex_handlers[vector] = handler;
}

void guest_ex_dispatch(struct ex_regs *regs);
void guest_ex_dispatch(struct ex_regs *regs)
{
	guest_ex_handler_t h = guest_ex_handlers[regs->vector & 0xff];

	if (h) {
		h(regs);
		return;
	}
	for (;;)
		ucall(UCALL_ABORT, __FILE__, __LINE__,
		      "unexpected exception %lu (error code 0x%lx) at rip 0x%lx",
		      3, regs->vector, regs->error_code, regs->rip);
}

/*
 * IDT entry stubs: vectors with a CPU error code push only the vector,
 * the others push a zero first, so every frame looks like struct ex_regs.
 */
__asm__(
"	.text\n"
"	.globl guest_ex_common\n"
"guest_ex_common:\n"
"	push %r15; push %r14; push %r13; push %r12; push %r11; push %r10\n"
"	push %r9; push %r8; push %rdi; push %rsi; push %rbp; push %rbx\n"
"	push %rdx; push %rcx; push %rax\n"
"	mov %rsp, %rdi\n"
"	mov %rsp, %rbx\n"
"	and $-16, %rsp\n"
"	call guest_ex_dispatch\n"
"	mov %rbx, %rsp\n"
"	pop %rax; pop %rcx; pop %rdx; pop %rbx; pop %rbp; pop %rsi; pop %rdi\n"
"	pop %r8; pop %r9; pop %r10; pop %r11; pop %r12; pop %r13; pop %r14; pop %r15\n"
"	add $16, %rsp\n"
"	iretq\n"
"	.globl guest_ex_stubs\n"
"	.align 16\n"
"guest_ex_stubs:\n"
"	vector = 0\n"
"	.rept 256\n"
"	.align 16\n"
"	.if vector == 8 || (vector >= 10 && vector <= 14) || vector == 17 || vector == 21 || vector == 29 || vector == 30\n"
"	.byte 0x90, 0x90\n"
"	.else\n"
"	pushq $0\n"
"	.endif\n"
"	pushq $vector\n"
"	jmp guest_ex_common\n"
"	vector = vector + 1\n"
"	.endr\n"
);

/*
 * 32-bit calls: load the registers, far-return into the 32-bit code
 * segment, vmmcall, far-jump back to 64-bit mode and store the registers.
 * The stack and this code are below 4 GiB, so both modes can use them.
 */
__asm__(
"	.text\n"
"	.globl guest_hypercall32\n"
"guest_hypercall32:\n"
"	push %rbx; push %rbp; push %r12; push %r13; push %r14; push %r15\n"
"	push %rdi\n"
"	mov 4(%rdi), %ebx; mov 8(%rdi), %ecx; mov 12(%rdi), %edx\n"
"	mov 16(%rdi), %esi; mov 24(%rdi), %ebp; mov (%rdi), %eax\n"
"	mov 20(%rdi), %edi\n"
"	pushq $0x30\n"
"	pushq $1f\n"
"	lretq\n"
"	.code32\n"
"1:	vmmcall\n"
"	ljmp $0x08, $2f\n"
"	.code64\n"
"2:	xchg (%rsp), %rdi\n"		/* rdi = struct, saved slot = edi */
"	mov %eax, (%rdi); mov %ebx, 4(%rdi); mov %ecx, 8(%rdi); mov %edx, 12(%rdi)\n"
"	mov %esi, 16(%rdi); mov %ebp, 24(%rdi)\n"
"	pop %rax; mov %eax, 20(%rdi)\n"
"	pop %r15; pop %r14; pop %r13; pop %r12; pop %rbp; pop %rbx\n"
"	ret\n"
);

/* CPL 3: iretq to a trampoline that calls fn and comes back with int $0x81. */
uint64_t guest_user_kernel_rsp;
static uint8_t guest_user_stack[8192] __attribute__((aligned(16)));

__asm__(
"	.text\n"
"	.globl guest_run_user_asm\n"
"guest_run_user_asm:\n"
"	push %rbx; push %rbp; push %r12; push %r13; push %r14; push %r15\n"
"	mov %rsp, guest_user_kernel_rsp(%rip)\n"
"	pushq $0x23\n"			/* SS: user data | RPL 3 */
"	pushq %rdx\n"			/* RSP */
"	pushq $0x2\n"			/* RFLAGS */
"	pushq $0x2b\n"			/* CS: user code | RPL 3 */
"	lea guest_user_trampoline(%rip), %rax\n"
"	pushq %rax\n"
"	iretq\n"
"guest_user_trampoline:\n"
"	mov %rdi, %rax\n"
"	mov %rsi, %rdi\n"
"	call *%rax\n"
"	int $0x81\n"
"	.globl guest_user_return\n"
"guest_user_return:\n"
"	pop %r15; pop %r14; pop %r13; pop %r12; pop %rbp; pop %rbx\n"
"	ret\n"
);

static void user_done_handler(struct ex_regs *regs)
{
	/* Back to CPL 0 with the result in RAX, on the saved kernel stack. */
	regs->rip = (uint64_t)guest_user_return;
	regs->cs = GUEST_KERNEL_CS;
	regs->ss = GUEST_KERNEL_DS;
	regs->rsp = guest_user_kernel_rsp;
	regs->rflags = 2;
}

uint64_t guest_run_user(uint64_t (*fn)(uint64_t), uint64_t arg)
{
	guest_set_handler(0x81, user_done_handler);
	return guest_run_user_asm(fn, arg, (uint64_t)(guest_user_stack + sizeof(guest_user_stack) - 8));
}

volatile uint64_t guest_faults;
volatile uint64_t guest_fault_vector;
static int guest_fault_skip;

static void skip_handler(struct ex_regs *regs)
{
	guest_faults++;
	guest_fault_vector = regs->vector;
	regs->rip += guest_fault_skip;
}

void guest_catch(int vector, int insn_len)
{
	guest_fault_skip = insn_len;
	guest_set_handler(vector, skip_handler);
}
