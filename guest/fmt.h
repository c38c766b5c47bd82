/* fmt.h - minimal printf engine used by printk and the raw console printf. */
#ifndef FMT_H
#define FMT_H

#include "uk.h"

typedef void (*fmt_out_t)(char c, void *ctx);

/*
 * Supports %d %i %u %x %X %p %s %c %%, flags '-' '0', width and precision
 * (number or '*'), and length modifiers l, ll, z.
 */
int fmt_vprint(fmt_out_t out, void *ctx, const char *fmt, va_list ap);

int snprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif /* FMT_H */
