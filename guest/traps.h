/* traps.h - GDT/IDT setup and the exception frame. */
#ifndef TRAPS_H
#define TRAPS_H

#include "uk.h"

/* Frame built by cpu_vectors.S: pushal, vector, error code, CPU frame. */
struct __regs {
	u32 edi, esi, ebp, esp_pusha, ebx, edx, ecx, eax;
	u32 vector, error_code;
	u32 eip, cs, eflags;    /* same privilege level: no ESP/SS pushed */
};

#define GDT_CODE_SEL 0x08
#define GDT_DATA_SEL 0x10

void traps_init(void);
void do_trap(struct __regs *regs);
void dump_regs(struct __regs *regs);    /* trace.c */
void crash_screen(struct __regs *regs); /* trace.c, 0.21 */

#endif /* TRAPS_H */
