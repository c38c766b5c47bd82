/*
 * traps.c - our own GDT (flat code/data) and an IDT whose vectors 0-31
 * point to real handlers. Every exception is fatal, reported the way
 * Unikraft's plat/kvm/x86/traps.c does ("Unhandled Trap %d (%s)...").
 */
#define UK_LIBNAME "libkvmplat"
#include "traps.h"
#include "print.h"
#include "param.h"
#include "boot.h"

struct idt_entry {
	u16 off_lo, sel;
	u8 zero, type;
	u16 off_hi;
} __packed;

struct desc_ptr {
	u16 limit;
	u32 base;
} __packed;

#define IDT_INTR_GATE32 0x8e    /* present, ring 0, 32-bit interrupt gate */

static const u64 gdt[] __align(8) = {
	0,
	0x00cf9a000000ffffull,  /* 0x08: code, base 0, 4 GiB, 32-bit */
	0x00cf92000000ffffull,  /* 0x10: data, base 0, 4 GiB */
};
#define IRQ_VECTORS 16          /* 0x20-0x2f: the remapped 8259 lines */
static struct idt_entry idt[32 + IRQ_VECTORS] __align(8);
extern const u32 trap_vectors[32];
extern char irq_ack[];

static const char *const trap_names[32] = {
	"divide error", "debug", "nmi", "int3", "overflow", "bounds",
	"invalid opcode", "device not available", "double fault",
	"coprocessor segment overrun", "invalid TSS", "segment not present",
	"stack segment", "general protection", "page fault", "reserved",
	"coprocessor", "alignment check", "machine check", "SIMD coprocessor",
	"virtualization", "control protection",
};

void traps_init(void)
{
	struct desc_ptr gp = { sizeof(gdt) - 1, (u32)gdt };
	struct desc_ptr ip = { sizeof(idt) - 1, (u32)idt };

	/* load our GDT and reload every segment register from it */
	__asm__ __volatile__(
		"lgdt %0\n\t"
		"ljmp %1, $1f\n"
		"1:\n\t"
		"movw %w2, %%ax\n\t"
		"movw %%ax, %%ds\n\t"
		"movw %%ax, %%es\n\t"
		"movw %%ax, %%fs\n\t"
		"movw %%ax, %%gs\n\t"
		"movw %%ax, %%ss\n\t"
		: : "m"(gp), "i"(GDT_CODE_SEL), "i"(GDT_DATA_SEL) : "eax", "memory");

	for (int v = 0; v < 32 + IRQ_VECTORS; v++) {
		u32 handler = v < 32 ? trap_vectors[v] : (u32)irq_ack;

		idt[v].off_lo = handler & 0xffff;
		idt[v].off_hi = handler >> 16;
		idt[v].sel = GDT_CODE_SEL;
		idt[v].zero = 0;
		idt[v].type = IDT_INTR_GATE32;
	}
	__asm__ __volatile__("lidt %0" : : "m"(ip));
}

void do_trap(struct __regs *regs)
{
	const char *name = trap_names[regs->vector & 31];

	uk_pr_crit("Unhandled Trap %u (%s), error code=0x%x\n",
		   regs->vector, name ? name : "reserved", regs->error_code);
	if (era_at_least(ERA_0_21)) {
		crash_screen(regs);
		ukplat_crash();
	}
	if (era_at_least(ERA_0_10))
		uk_pr_info("Regs address %p\n", regs);
	dump_regs(regs);
	uk_pr_crit("Crashing\n");
	ukplat_crash();
}
