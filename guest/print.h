/*
 * print.h - Unikraft-style printk. Each .c file defines UK_LIBNAME before
 * including this; the source name and line are the real ones of the call.
 */
#ifndef PRINT_H
#define PRINT_H

#include "uk.h"

#define KLVL_DEBUG 0
#define KLVL_INFO  1
#define KLVL_WARN  2
#define KLVL_ERR   3
#define KLVL_CRIT  4
#define KLVL_NONE  5    /* 0.21 lib/ukprint: always printed, no level header */
#define KLVL_RAW   0x100 /* 0.21 lib/ukprint flag: no prefix at all */
#define KLVL_MASK  0xff

void _uk_printk(int lvl, const char *libname, const char *srcname,
		unsigned int srcline, const char *fmt, ...)
	__attribute__((format(printf, 5, 6), noinline));

/* Raw console output without prefix (banner, application output). */
void uk_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void uk_puts_raw(const char *s, size_t len);

#define uk_printk(lvl, fmt, ...) \
	_uk_printk(lvl, UK_LIBNAME, __FILE_NAME__, __LINE__, fmt, ##__VA_ARGS__)
#define uk_pr_debug(fmt, ...) uk_printk(KLVL_DEBUG, fmt, ##__VA_ARGS__)
#define uk_pr_info(fmt, ...)  uk_printk(KLVL_INFO, fmt, ##__VA_ARGS__)
#define uk_pr_warn(fmt, ...)  uk_printk(KLVL_WARN, fmt, ##__VA_ARGS__)
#define uk_pr_err(fmt, ...)   uk_printk(KLVL_ERR, fmt, ##__VA_ARGS__)
#define uk_pr_crit(fmt, ...)  uk_printk(KLVL_CRIT, fmt, ##__VA_ARGS__)
/* 0.21 lib/ukprint's level without a header, printed at every level */
#define uk_pr_nolvl(fmt, ...) uk_printk(KLVL_NONE, fmt, ##__VA_ARGS__)
/* 0.21 lib/ukdebug crashdump.h: CRIT, no library (UKLIBID_NONE), no source */
#define crash_printk(fmt, ...) \
	_uk_printk(KLVL_CRIT, NULL, NULL, 0, fmt, ##__VA_ARGS__)

#endif /* PRINT_H */
