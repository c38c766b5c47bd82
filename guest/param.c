/*
 * param.c - kernel command line knobs. QEMU's multiboot loader passes
 * "<kernel path> <append>"; words before "--" may be uktrace.* knobs,
 * words after "--" become main()'s arguments. Parsing happens at entry
 * (the era picks the printk format); bad values are reported by a
 * constructor, where Unikraft's libparam reports its arguments.
 */
#define UK_LIBNAME "libuklibparam"
#include "param.h"
#include "print.h"
#include "boot.h"

#define CMDLINE_MAX 1024
#define BAD_MAX 8

struct uk_knobs knobs = { .era = ERA_0_10, .fault = FAULT_NONE };

static char cmdline_orig[CMDLINE_MAX];
static char cmdline_words[CMDLINE_MAX];
static const char *bad_words[BAD_MAX];
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
};

static const struct {
	const char *name;
	enum uk_fault fault;
} faults[] = {
	{ "crash", FAULT_CRASH },         { "assert", FAULT_ASSERT },
	{ "hang", FAULT_HANG },           { "garbage", FAULT_GARBAGE },
	{ "mountfail", FAULT_MOUNTFAIL }, { "weakmain", FAULT_WEAKMAIN },
};

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
	return false;
}

static void parse_word(const char *w)
{
	bool ok = true;

	if (!strncmp(w, "uktrace.era=", 12))
		ok = parse_era(w + 12);
	else if (!strncmp(w, "uktrace.fault=", 14))
		ok = parse_fault(w + 14);
	else if (!strncmp(w, "uktrace.", 8))
		ok = false;
	/* anything else (the kernel path, foreign parameters) is not ours */
	if (!ok && bad_count < BAD_MAX)
		bad_words[bad_count++] = w;
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

/* Constructor: report what could not be used, then carry on with defaults. */
static void uk_libparam_report(void)
{
	for (int i = 0; i < bad_count; i++)
		uk_pr_warn("Ignoring invalid kernel parameter '%s' (using defaults)\n",
			   bad_words[i]);
}
UK_CTOR_PRIO(uk_libparam_report, 0);
