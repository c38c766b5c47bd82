/*
 * shutdown.c - plat/kvm/shutdown.c: "Unikraft halted", then the
 * integrity line for the host, then power off. isa-debug-exit (port 0xf4)
 * makes QEMU exit with status (code << 1) | 1; without that device the
 * write does nothing and we fall back to ACPI S5 on the pc machine's
 * PIIX4 PM block (0x604, set up by SeaBIOS), then halt.
 */
#define UK_LIBNAME "libkvmplat"
#include "boot.h"
#include "console.h"
#include "print.h"
#include "io.h"

#define ISA_DEBUG_EXIT_PORT 0xf4
#define ACPI_PM1A_CNT       0x604
#define ACPI_SLP_EN_S5      0x2000

/* Covers every byte written before the line's first byte. */
static void print_integrity(void)
{
	u32 bytes, crc;

	if (!serial_at_line_start())
		serial_putc('\n');
	serial_integrity(&bytes, &crc);
	uk_printf("uktrace-integrity: bytes=%u crc32=%08x\n", bytes, crc);
}

void ukplat_terminate(int guest_code)
{
	uk_pr_info("Unikraft halted\n");
	print_integrity();

	outb(ISA_DEBUG_EXIT_PORT, (u8)guest_code);
	outw(ACPI_PM1A_CNT, ACPI_SLP_EN_S5);
	for (;;)
		__asm__ __volatile__("cli; hlt");
}

void ukplat_crash(void)
{
	ukplat_terminate(GUEST_EXIT_CRASH);
}
