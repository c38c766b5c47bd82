/*
 * print.c - the printk line prefix, per Unikraft era (lib/ukdebug/print.c):
 *   0.4 : [    0.000000] Info: [libkvmplat] setup.c @ 268  : msg
 *   0.5 : [    0.000000] Info: [libkvmplat] <setup.c @  268> msg
 *   0.10: [    0.000000] Info: {r:0x10b8fe,f:0x1bcfd8} [libkvmplat] <setup.c @  468> msg
 *   0.17: as 0.5 (caller info is an opt-in Kconfig since 0.10; only the
 *         0.10 era shows it, 0.17 shows the default)
 * Like Unikraft, the prefix is printed lazily at the first character of
 * each new line, so a message without '\n' continues the current line,
 * and a level change in the middle of a line forces a newline first.
 */
#include "print.h"
#include "fmt.h"
#include "console.h"
#include "param.h"
#include "tscclock.h"

struct pk_ctx {
	int lvl;
	const char *libname, *srcname;
	unsigned int srcline;
	void *ra, *fa;
};

static const char *const lvl_str[] = {
	[KLVL_DEBUG] = "dbg:  ", [KLVL_INFO] = "Info: ", [KLVL_WARN] = "Warn: ",
	[KLVL_ERR] = "ERR:  ",   [KLVL_CRIT] = "CRIT: ",
};

static bool pk_newline = true;
static int pk_lvl = -1;

static void raw_out(char c, void *ctx __unused)
{
	serial_putc(c);
}

static void raw_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void raw_printf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fmt_vprint(raw_out, NULL, fmt, ap);
	va_end(ap);
}

static void print_prefix(const struct pk_ctx *pc)
{
	u32 sec, usec;

	ukplat_monotonic_split(&sec, &usec);
	raw_printf("[%5u.%06u] %s", sec, usec, lvl_str[pc->lvl]);
	if (knobs.era == ERA_0_10)
		raw_printf("{r:%p,f:%p} ", pc->ra, pc->fa);
	raw_printf("[%s] ", pc->libname);
	if (era_at_least(ERA_0_5))
		raw_printf("<%s @ %4u> ", pc->srcname, pc->srcline);
	else
		raw_printf("%s @ %-5u: ", pc->srcname, pc->srcline);
}

static void pk_out(char c, void *ctx)
{
	if (pk_newline) {
		print_prefix(ctx);
		pk_newline = false;
	}
	serial_putc(c);
	if (c == '\n')
		pk_newline = true;
}

void _uk_printk(int lvl, const char *libname, const char *srcname,
		unsigned int srcline, const char *fmt, ...)
{
	/* caller info (0.10+): return address into the caller, our frame */
	struct pk_ctx pc = { lvl, libname, srcname, srcline,
			     __builtin_return_address(0),
			     __builtin_frame_address(0) };
	va_list ap;

	if (!pk_newline && lvl != pk_lvl) {
		serial_putc('\n');
		pk_newline = true;
	}
	pk_lvl = lvl;
	va_start(ap, fmt);
	fmt_vprint(pk_out, &pc, fmt, ap);
	va_end(ap);
}

void uk_printf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fmt_vprint(raw_out, NULL, fmt, ap);
	va_end(ap);
}

void uk_puts_raw(const char *s, size_t len)
{
	while (len--)
		serial_putc(*s++);
}
