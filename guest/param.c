/*
 * param.c - kernel command line knobs. QEMU's multiboot loader passes
 * "<kernel path> <append>"; words before "--" may be uktrace.* knobs,
 * words after "--" become main()'s arguments. Parsing happens at entry
 * (the era picks the printk format); bad values are reported by a
 * constructor, where Unikraft's libparam reports its arguments.
 * uktrace.delay=PHASE:MS[,PHASE:MS...] (repeatable) makes a boot phase
 * busy-wait MS milliseconds longer; each phase calls knobs_delay() at
 * one point between its first log line and the next phase's. `banner`
 * waits silently right before the banner: init_table lasts that much
 * longer, and ends at a line without a stamp.
 * uktrace.fs_write=1 makes main try to change the share (see fswrite.c).
 * uktrace.serve=MS[:PORT] makes main a server after its greeting (see
 * serve.c): `Listening on port PORT` after MS ms, then console commands.
 * uktrace.calib_stall=MS makes the TSC calibration miss MS ms of the
 * i8254, as a vCPU descheduled that long would (see tscclock.c).
 * uktrace.level=info|debug prints what a kernel built for that level
 * prints (default debug: every line). An unknown uktrace.era= or
 * uktrace.level= value stops the boot with a line naming the values
 * known: these pick the console format, and a default one would pass
 * for a log of the release asked for.
 */
#define UK_LIBNAME "libuklibparam"
#include "param.h"
#include "print.h"
#include "boot.h"
#include "tscclock.h"

#define CMDLINE_MAX 1024
#define BAD_MAX 8

struct uk_knobs knobs = { .era = ERA_0_10, .fault = FAULT_NONE,
			  .level = KLVL_DEBUG };

static char cmdline_orig[CMDLINE_MAX];
static char cmdline_words[CMDLINE_MAX];
static struct {
	const char *prefix;     /* printed in front of word */
	const char *word;
	const char *why;
} bad[BAD_MAX];
static int bad_count;

static const struct {
	const char *name;
	enum uk_era era;
	const char *version;
} eras[] = {
	{ "0.4",  ERA_0_4,  "0.4.0~uktrace" },
	{ "0.5",  ERA_0_5,  "0.5.0~uktrace" },
	{ "0.10", ERA_0_10, "0.10.0~uktrace" },
	{ "0.17", ERA_0_17, "0.17.0~uktrace" },
	{ "0.18", ERA_0_18, "0.18.0~uktrace" },
	{ "0.19", ERA_0_19, "0.19.0~uktrace" },
	{ "0.20", ERA_0_20, "0.20.0~uktrace" },
	{ "0.21", ERA_0_21, "0.21.0~uktrace" },
};

static const struct {
	const char *name;
	int level;
} levels[] = {
	{ "info", KLVL_INFO }, { "debug", KLVL_DEBUG },
};

static const char *unknown_era, *unknown_level;

static const struct {
	const char *name;
	enum uk_fault fault;
} faults[] = {
	{ "crash", FAULT_CRASH },         { "assert", FAULT_ASSERT },
	{ "hang", FAULT_HANG },           { "garbage", FAULT_GARBAGE },
	{ "mountfail", FAULT_MOUNTFAIL }, { "weakmain", FAULT_WEAKMAIN },
};

/* uktrace.delay phase names: uktrace's names for these boot phases */
static const char *const delay_phases[DELAY_PHASES] = {
	[DELAY_CONSTRUCTORS] = "constructors", [DELAY_SUBSYSTEMS] = "subsystems",
	[DELAY_INIT_TABLE] = "init_table",     [DELAY_BUS_PROBE] = "bus_probe",
	[DELAY_MOUNT] = "mount",               [DELAY_BANNER] = "banner",
	[DELAY_MAIN] = "main",
};

#define DELAY_PREFIX "uktrace.delay="
#define SERVE_PREFIX "uktrace.serve="
#define CALIB_STALL_PREFIX "uktrace.calib_stall="

const char *era_version(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(eras); i++)
		if (eras[i].era == knobs.era)
			return eras[i].version;
	return "?";
}

static bool parse_u32(const char *s, u32 *out)
{
	u32 v = 0;

	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > 100000000u)
			return false;
		v = v * 10 + (u32)(*s - '0');
	}
	*out = v;
	return true;
}

static bool parse_fault(const char *v)
{
	for (size_t i = 0; i < ARRAY_SIZE(faults); i++) {
		if (!strcmp(v, faults[i].name)) {
			knobs.fault = faults[i].fault;
			return true;
		}
	}
	if (!strncmp(v, "flood=", 6) && parse_u32(v + 6, &knobs.flood_kib)) {
		knobs.fault = FAULT_FLOOD;
		return true;
	}
	return false;
}

static bool parse_era(const char *v)
{
	for (size_t i = 0; i < ARRAY_SIZE(eras); i++) {
		if (!strcmp(v, eras[i].name)) {
			knobs.era = eras[i].era;
			return true;
		}
	}
	unknown_era = v;
	knobs.era_unknown = true;
	return true;    /* refused whole by knobs_refuse_unknown() */
}

static bool parse_level(const char *v)
{
	for (size_t i = 0; i < ARRAY_SIZE(levels); i++) {
		if (!strcmp(v, levels[i].name)) {
			knobs.level = levels[i].level;
			return true;
		}
	}
	unknown_level = v;
	knobs.level_unknown = true;
	return true;
}

static void add_bad(const char *prefix, const char *word, const char *why)
{
	if (bad_count < BAD_MAX) {
		bad[bad_count].prefix = prefix;
		bad[bad_count].word = word;
		bad[bad_count].why = why;
		bad_count++;
	}
}

/* One PHASE:MS entry; returns why it is unusable, or NULL once applied. */
static const char *parse_delay_entry(const char *e)
{
	const char *colon;
	size_t len;
	u32 ms;
	int p;

	for (colon = e; *colon && *colon != ':'; colon++)
		;
	if (!*colon)
		return "expected PHASE:MS";
	len = (size_t)(colon - e);
	for (p = 0; p < DELAY_PHASES; p++)
		if (strlen(delay_phases[p]) == len &&
		    !strncmp(e, delay_phases[p], len))
			break;
	if (p == DELAY_PHASES)
		return "unknown phase, expected constructors, subsystems, "
		       "init_table, bus_probe, mount, banner or main";
	if (!parse_u32(colon + 1, &ms) || ms > DELAY_MAX_MS)
		return "MS must be a number of milliseconds, 0-"
		       STRINGIFY(DELAY_MAX_MS);
	if (knobs.delay_ms[p] + ms > DELAY_MAX_MS)
		return "more than " STRINGIFY(DELAY_MAX_MS)
		       " ms in total for this phase";
	knobs.delay_ms[p] += ms;        /* repeats add up */
	return NULL;
}

/* Comma-separated entries; each bad one is reported on its own. */
static void parse_delay(char *v)
{
	const char *why;
	bool more = true;
	char *e, *end;

	for (e = v; more; e = end + 1) {
		for (end = e; *end && *end != ','; end++)
			;
		more = *end == ',';
		*end = '\0';
		why = parse_delay_entry(e);
		if (why)
			add_bad(DELAY_PREFIX, e, why);
	}
}

/* MS or MS:PORT; returns why it is unusable, or NULL once applied. */
static const char *parse_serve(char *v)
{
	const char *why = NULL;
	char *colon;
	bool has_port;
	u32 ms = 0, port = SERVE_PORT_DEFAULT;

	for (colon = v; *colon && *colon != ':'; colon++)
		;
	has_port = *colon == ':';
	if (has_port) {
		*colon = '\0';         /* put back below: the word is reported whole */
		if (!parse_u32(colon + 1, &port) || port < 1 || port > 65535)
			why = "PORT must be a number, 1-65535";
	}
	if (!why && (!parse_u32(v, &ms) || ms > DELAY_MAX_MS))
		why = "MS must be a number of milliseconds, 0-"
		      STRINGIFY(DELAY_MAX_MS);
	if (has_port)
		*colon = ':';
	if (why)
		return why;
	knobs.serve = true;
	knobs.serve_delay_ms = ms;
	knobs.serve_port = port;
	return NULL;
}

static void parse_word(char *w)
{
	bool ok = true;

	if (!strncmp(w, "uktrace.era=", 12))
		ok = parse_era(w + 12);
	else if (!strncmp(w, "uktrace.level=", 14))
		ok = parse_level(w + 14);
	else if (!strncmp(w, "uktrace.fault=", 14))
		ok = parse_fault(w + 14);
	else if (!strncmp(w, DELAY_PREFIX, strlen(DELAY_PREFIX)))
		parse_delay(w + strlen(DELAY_PREFIX));
	else if (!strncmp(w, SERVE_PREFIX, strlen(SERVE_PREFIX))) {
		const char *why = parse_serve(w + strlen(SERVE_PREFIX));

		if (why)
			add_bad(SERVE_PREFIX, w + strlen(SERVE_PREFIX), why);
	} else if (!strncmp(w, CALIB_STALL_PREFIX, strlen(CALIB_STALL_PREFIX))) {
		u32 ms;

		if (parse_u32(w + strlen(CALIB_STALL_PREFIX), &ms) && ms <= CALIB_STALL_MAX_MS)
			knobs.calib_stall_ms = ms;
		else
			add_bad(CALIB_STALL_PREFIX, w + strlen(CALIB_STALL_PREFIX), "not 0-10000 ms, ignored");
	} else if (!strcmp(w, "uktrace.fs_write=1") || !strcmp(w, "uktrace.fs_write=0"))
		knobs.fs_write = w[17] == '1';
	else if (!strncmp(w, "uktrace.", 8))
		ok = false;
	/* anything else (the kernel path, foreign parameters) is not ours */
	if (!ok)
		add_bad("", w, "using defaults");
}

void knobs_parse(const char *cmdline)
{
	bool app = false;
	char *p;
	size_t i;

	for (i = 0; cmdline && cmdline[i] && i + 1 < CMDLINE_MAX; i++)
		cmdline_orig[i] = cmdline_words[i] = cmdline[i];
	knobs.cmdline = cmdline_orig;
	knobs.argv[0] = "uktrace-guest";
	knobs.argc = 1;

	for (p = cmdline_words; *p;) {
		char *w;

		while (*p == ' ')
			p++;
		if (!*p)
			break;
		for (w = p; *p && *p != ' '; p++)
			;
		if (*p)
			*p++ = '\0';
		if (app) {
			if (knobs.argc < APP_ARGS_MAX)
				knobs.argv[knobs.argc++] = w;
		} else if (!strcmp(w, "--")) {
			app = true;
		} else {
			parse_word(w);
		}
	}
	knobs.argv[knobs.argc] = NULL;
}

void knobs_delay(enum uk_delay_phase phase)
{
	u32 ms = knobs.delay_ms[phase];

	if (!ms)
		return;
	if (phase == DELAY_BANNER) {
		/*
		 * Work nothing logs, right before the banner (an init
		 * function's): said first, so the wait ends at the banner,
		 * a line without a stamp.
		 */
		uk_pr_debug("uktrace.delay: waiting %u ms before the banner\n",
			    ms);
		ukplat_delay_ms(ms);
		return;
	}
	ukplat_delay_ms(ms);
	/*
	 * Logged after the wait: its timestamp is the phase's last one. The
	 * banner, which follows mount, has none, so a comparison tool ends
	 * the mount phase on the guest clock at this line.
	 */
	if (era_at_least(ERA_0_21))     /* a knob's own line: at every level */
		uk_pr_nolvl("uktrace.delay: waited %u ms in %s\n", ms,
			    delay_phases[phase]);
	else
		uk_pr_debug("uktrace.delay: waited %u ms in %s\n", ms,
			    delay_phases[phase]);
}

/*
 * A knob that picks the console format had a value we do not know: say
 * which values are known and stop.
 */
static void knobs_refuse_unknown(void)
{
	if (knobs.era_unknown) {
		uk_pr_err("Unknown value '%s' for uktrace.era: known values are ",
			  unknown_era);
		for (size_t i = 0; i < ARRAY_SIZE(eras); i++)
			uk_pr_err("%s%s", i ? ", " : "", eras[i].name);
		uk_pr_err("\n");
	}
	if (knobs.level_unknown) {
		uk_pr_err("Unknown value '%s' for uktrace.level: known values are ",
			  unknown_level);
		for (size_t i = 0; i < ARRAY_SIZE(levels); i++)
			uk_pr_err("%s%s", i ? ", " : "", levels[i].name);
		uk_pr_err("\n");
	}
	if (knobs.era_unknown || knobs.level_unknown) {
		/* what Unikraft's libparam says of an argument it cannot take */
		uk_pr_crit("Failed to parse the kernel argument\n");
		ukplat_terminate(GUEST_EXIT_FAILED);
	}
}

/*
 * Constructor: refuse a knob that picks the console format with a value we
 * do not know; report what else could not be used, then carry on with
 * defaults.
 * The first constructor, so uktrace.delay=constructors:MS waits here.
 */
static void uk_libparam_report(void)
{
	knobs_refuse_unknown();
	for (int i = 0; i < bad_count; i++)
		uk_pr_warn("Ignoring invalid kernel parameter '%s%s' (%s)\n",
			   bad[i].prefix, bad[i].word, bad[i].why);
	knobs_delay(DELAY_CONSTRUCTORS);
}
UK_CTOR_PRIO(uk_libparam_report, 0);
