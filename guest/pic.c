/*
 * pic.c - the IRQ subsystem of a polled guest: remap the two 8259 PICs
 * away from the CPU exception vectors (to 0x20-0x2f) and mask every
 * line. Nothing here takes interrupts until uktrace.serve unmasks the
 * UART's line (irq_unmask); this keeps a stray IRQ from ever looking
 * like an exception.
 */
#define UK_LIBNAME "libkvmplat"
#include "io.h"
#include "irq.h"

#define PIC1_CMD  0x20
#define PIC1_DATA 0x21
#define PIC2_CMD  0xa0
#define PIC2_DATA 0xa1

#define ICW1_INIT_ICW4 0x11
#define ICW4_8086      0x01

int ukplat_irq_init(void)
{
	outb(PIC1_CMD, ICW1_INIT_ICW4);
	outb(PIC2_CMD, ICW1_INIT_ICW4);
	outb(PIC1_DATA, 0x20);          /* master vectors 0x20-0x27 */
	outb(PIC2_DATA, 0x28);          /* slave vectors 0x28-0x2f */
	outb(PIC1_DATA, 0x04);          /* slave on IRQ2 */
	outb(PIC2_DATA, 0x02);          /* slave cascade identity */
	outb(PIC1_DATA, ICW4_8086);
	outb(PIC2_DATA, ICW4_8086);
	outb(PIC1_DATA, 0xff);          /* mask all */
	outb(PIC2_DATA, 0xff);
	return (inb(PIC1_DATA) == 0xff && inb(PIC2_DATA) == 0xff) ? 0 : -EIO;
}

void irq_unmask(int irq)
{
	u16 port = irq < 8 ? PIC1_DATA : PIC2_DATA;

	if (irq >= 8)
		outb(PIC1_DATA, inb(PIC1_DATA) & (u8)~(1u << 2));   /* the cascade */
	outb(port, inb(port) & (u8)~(1u << (irq & 7)));
}
