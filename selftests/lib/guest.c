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
