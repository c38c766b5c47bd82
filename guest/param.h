/*
 * param.h - knobs from the kernel command line (uktrace.era=,
 * uktrace.fault=, uktrace.delay=, uktrace.fs_write=, uktrace.serve=,
 * uktrace.calib_stall=, uktrace.level=, -- args).
 */
#ifndef PARAM_H
#define PARAM_H

#include "uk.h"

/* Unikraft releases whose console format the guest reproduces, oldest first */
enum uk_era {
	ERA_0_4, ERA_0_5, ERA_0_10, ERA_0_17,
	ERA_0_18, ERA_0_19, ERA_0_20, ERA_0_21,
};

enum uk_fault {
	FAULT_NONE, FAULT_CRASH, FAULT_ASSERT, FAULT_HANG, FAULT_GARBAGE,
	FAULT_FLOOD, FAULT_MOUNTFAIL, FAULT_WEAKMAIN,
};

/* Boot phases uktrace.delay=PHASE:MS can stretch, in boot order */
enum uk_delay_phase {
	DELAY_CONSTRUCTORS, DELAY_SUBSYSTEMS, DELAY_INIT_TABLE,
	DELAY_BUS_PROBE, DELAY_MOUNT, DELAY_BANNER, DELAY_MAIN, DELAY_PHASES
};

#define DELAY_MAX_MS 60000      /* per phase, repeats added up */
#define CALIB_STALL_MAX_MS 10000

#define APP_ARGS_MAX 16
#define SERVE_PORT_DEFAULT 8080

struct uk_knobs {
	enum uk_era era;
	bool era_unknown;               /* uktrace.era=X with an X we do not know */
	int level;                      /* uktrace.level=: lowest KLVL_* printed */
	bool level_unknown;
	enum uk_fault fault;
	u32 flood_kib;
	u32 delay_ms[DELAY_PHASES];     /* uktrace.delay=PHASE:MS */
	bool fs_write;                  /* uktrace.fs_write=1: main writes to the share */
	bool serve;                     /* uktrace.serve=MS[:PORT]: main acts as a server */
	u32 serve_delay_ms;             /* before `Listening on port N` */
	u32 serve_port;
	u32 calib_stall_ms;             /* uktrace.calib_stall=MS: see tscclock.c */
	int argc;                       /* argv[0] is "uktrace-guest" */
	char *argv[APP_ARGS_MAX + 1];
	const char *cmdline;            /* untouched copy, as the loader passed it */
};

extern struct uk_knobs knobs;

/* Parse before the first printk (the era selects the line format). */
void knobs_parse(const char *cmdline);

/*
 * uktrace.delay: busy-wait the milliseconds asked for this phase (if any)
 * on the calibrated TSC, or on the i8254 before calibration.
 */
void knobs_delay(enum uk_delay_phase phase);

static inline bool era_at_least(enum uk_era e)
{
	return knobs.era >= e;
}

/* Library names were renamed in 0.16 (libkvmpci -> libukbus_pci, ...). */
static inline const char *era_lib(const char *old, const char *renamed)
{
	return era_at_least(ERA_0_17) ? renamed : old;
}

const char *era_version(void);  /* "0.10.0~uktrace" */

#define UK_CODENAME "Testguest"

#endif /* PARAM_H */
