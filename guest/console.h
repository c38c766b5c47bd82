/* console.h - COM1 serial console; every guest byte goes through serial_putc. */
#ifndef CONSOLE_H
#define CONSOLE_H

#include "uk.h"

void serial_init(void);
void serial_putc(char c);
/* true when the last byte written was '\n' (or nothing was written yet) */
bool serial_at_line_start(void);
/*
 * Input (uktrace.serve): the receive interrupt on, IRQ 4 unmasked; then
 * serial_getc() halts the CPU until a byte comes and returns it
 */
void serial_rx_enable(void);
char serial_getc(void);
/* byte count and FNV-1a 32 hash of everything written so far */
void serial_integrity(u32 *bytes, u32 *crc32);

/* ukconsole.c: 0.18+ prints the serial console's registration */
int uk_console_register_com1(void);

#endif /* CONSOLE_H */
