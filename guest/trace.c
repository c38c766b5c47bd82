/*
 * trace.c - register dump in the layout of Unikraft's x86_64 trace.c.
 * The guest is 32-bit: the real registers are printed zero-extended and
 * R08-R15 (which do not exist here) as zeros.
 */
#define UK_LIBNAME "libkvmplat"
#include "traps.h"
#include "print.h"

void dump_regs(struct __regs *regs)
{
	/* no privilege change: the CPU pushed no ESP/SS, ESP was just above */
	u32 esp = (u32)&regs->eflags + sizeof(regs->eflags);
	u16 ss;

	__asm__ __volatile__("movw %%ss, %0" : "=r"(ss));
	uk_pr_crit("RIP: %016x CS: %04x\n", regs->eip, regs->cs & 0xffff);
	uk_pr_crit("RSP: %016x SS: %04x EFLAGS: %08x\n", esp, ss, regs->eflags);
	uk_pr_crit("RAX: %016x RBX: %016x RCX: %016x\n",
		   regs->eax, regs->ebx, regs->ecx);
	uk_pr_crit("RDX: %016x RSI: %016x RDI: %016x\n",
		   regs->edx, regs->esi, regs->edi);
	uk_pr_crit("RBP: %016x R08: %016x R09: %016x\n", regs->ebp, 0u, 0u);
	uk_pr_crit("R10: %016x R11: %016x R12: %016x\n", 0u, 0u, 0u);
	uk_pr_crit("R13: %016x R14: %016x R15: %016x\n", 0u, 0u, 0u);
}
