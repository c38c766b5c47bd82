/*
 * trace.c - register dump in the layout of Unikraft's x86_64 trace.c.
 * The guest is 32-bit: the real registers are printed zero-extended and
 * R08-R15 (which do not exist here) as zeros. 0.21 prints the crash
 * screen of lib/ukdebug (crash.c, arch/x86_64/dumpsup.c) instead.
 */
#define UK_LIBNAME "libkvmplat"
#include "traps.h"
#include "print.h"
#include "param.h"

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

void crash_screen(struct __regs *regs)
{
	u32 esp = (u32)&regs->eflags + sizeof(regs->eflags);
	u16 ss;

	__asm__ __volatile__("movw %%ss, %0" : "=r"(ss));
	crash_printk("Unikraft Crash - " UK_CODENAME " (%s)\n", era_version());
	crash_printk("Thread \"%s\"@%p\n", "main", (void *)regs);
	crash_printk("    _      \n");
	crash_printk("  cx xo    \n");
	crash_printk("  (|O|)/V  \n");
	crash_printk("           \n");
	crash_printk("Registers:\n");
	crash_printk(" rip: %04x:%016x\n", regs->cs & 0xffff, regs->eip);
	crash_printk(" rsp: %04x:%016x eflags: %08x orig_rax: %016x\n",
		     ss, esp, regs->eflags, regs->error_code);
	crash_printk(" rax: %016x rbx: %016x rcx:%016x\n",
		     regs->eax, regs->ebx, regs->ecx);
	crash_printk(" rdx: %016x rsi: %016x rdi:%016x\n",
		     regs->edx, regs->esi, regs->edi);
	crash_printk(" rbp: %016x r08: %016x r09:%016x\n", regs->ebp, 0u, 0u);
	crash_printk(" r10: %016x r11: %016x r12:%016x\n", 0u, 0u, 0u);
	crash_printk(" r13: %016x r14: %016x r15:%016x\n", 0u, 0u, 0u);
}
