/*
 * print.c - the printk line prefix, per Unikraft era (lib/ukdebug/print.c):
 *   0.4 : [    0.000000] Info: [libkvmplat] setup.c @ 268  : msg
 *   0.5 : [    0.000000] Info: [libkvmplat] <setup.c @  268> msg
 *   0.10: [    0.000000] Info: {r:0x10b8fe,f:0x1bcfd8} [libkvmplat] <setup.c @  468> msg
 *   0.17: as 0.5 (caller info is an opt-in Kconfig since 0.10; only the
 *         0.10 era shows it, 0.17 shows the default)
 *   0.18-0.20: as 0.17; lib/ukconsole ends every line with \r\n
 *   0.21: lib/ukprint (lib/ukprint/console.c): as 0.18, plus a level
 *         that prints no level header (KLVL_NONE: timestamp, library and
 *         source only) and a raw flag that prints no prefix at all
 * uktrace.level=info drops the dbg lines, as a kernel built for Info
 * level does.
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
	[KLVL_NONE] = "",
};

static bool pk_newline = true;
static int pk_lvl = -1;

/* 0.18+ lib/ukconsole turns every \n into \r\n on the way out */
static void con_putc(char c)
{
	if (c == '\n' && era_at_least(ERA_0_18))
		serial_putc('\r');
	serial_putc(c);
}

static void raw_out(char c, void *ctx __unused)
{
	con_putc(c);
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
	raw_printf("[%5u.%06u] %s", sec, usec, lvl_str[pc->lvl & KLVL_MASK]);
	if (knobs.era == ERA_0_10)
		raw_printf("{r:%p,f:%p} ", pc->ra, pc->fa);
	if (pc->libname)
		raw_printf("[%s] ", pc->libname);
	if (!pc->srcname)
		return;         /* 0.21 crash screen: no library, no source */
	if (era_at_least(ERA_0_5))
		raw_printf("<%s @ %4u> ", pc->srcname, pc->srcline);
	else
		raw_printf("%s @ %-5u: ", pc->srcname, pc->srcline);
}

static void pk_out(char c, void *ctx)
{
	const struct pk_ctx *pc = ctx;

	if (pk_newline) {
		if (!(pc->lvl & KLVL_RAW))
			print_prefix(pc);
		pk_newline = false;
	}
	con_putc(c);
	if (c == '\n')
		pk_newline = true;
}

static void vprintk(struct pk_ctx *pc, const char *fmt, va_list ap)
{
	int lvl = pc->lvl;

	if ((lvl & KLVL_MASK) < knobs.level)
		return;         /* not built in at this level */
	/* a level change mid-line forces a newline (the raw flag is no level) */
	if (!pk_newline && (lvl & KLVL_MASK) != pk_lvl) {
		con_putc('\n');
		pk_newline = true;
	}
	pk_lvl = lvl & KLVL_MASK;
	fmt_vprint(pk_out, pc, fmt, ap);
}

void _uk_printk(int lvl, const char *libname, const char *srcname,
		unsigned int srcline, const char *fmt, ...)
{
	/* caller info (0.10+): return address into the caller, our frame */
	struct pk_ctx pc = { lvl, libname, srcname, srcline,
			     __builtin_return_address(0),
			     __builtin_frame_address(0) };
	va_list ap;

	va_start(ap, fmt);
	vprintk(&pc, fmt, ap);
	va_end(ap);
}

/* 0.21: through lib/ukprint with the raw flag (same bytes, and a printk
 * left mid-line gets its newline first) */
void uk_printf(const char *fmt, ...)
{
	struct pk_ctx pc = { KLVL_NONE | KLVL_RAW, NULL, NULL, 0, NULL, NULL };
	va_list ap;

	va_start(ap, fmt);
	if (era_at_least(ERA_0_21))
		vprintk(&pc, fmt, ap);
	else
		fmt_vprint(raw_out, NULL, fmt, ap);
	va_end(ap);
}

void uk_puts_raw(const char *s, size_t len)
{
	while (len--)
		con_putc(*s++);
}
