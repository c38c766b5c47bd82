/* console.h - COM1 serial console; every guest byte goes through serial_putc. */
#ifndef CONSOLE_H
#define CONSOLE_H

#include "uk.h"

void serial_init(void);
void serial_putc(char c);
/* true when the last byte written was '\n' (or nothing was written yet) */
bool serial_at_line_start(void);
/* byte count and FNV-1a 32 hash of everything written so far */
void serial_integrity(u32 *bytes, u32 *crc32);

#endif /* CONSOLE_H */
