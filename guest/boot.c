/*
 * boot.c - platform-independent boot in Unikraft's order (lib/ukboot):
 * constructors, memory allocator, IRQs, time, scheduler; then, on the
 * main thread's own stack: init table, banner, application constructors,
 * main(), and shutdown. Log lines follow the selected Unikraft era:
 * 0.18 renamed the entry uk_boot_entry; from 0.19 main runs as PID 1's
 * child (lib/ukboot/init.c) and the exit status follows the shell's
 * convention (the low 8 bits of main's return).
 */
#define UK_LIBNAME "libukboot"
#include "boot.h"
#include "setup.h"
#include "alloc.h"
#include "irq.h"
#include "sched.h"
#include "tscclock.h"
#include "banner.h"
#include "param.h"
#include "print.h"

#define MEMREGION_FLAGS 0x31    /* Unikraft: mapped, allocatable, ... */

struct uk_init_ctx {            /* 0.16+ passes one to init functions */
	int argc;
	char **argv;
};

typedef void (*app_ctor_t)(void);
extern app_ctor_t __preinit_array_start[], __preinit_array_end[];
extern app_ctor_t __init_array_start[], __init_array_end[];

int main(int argc, char *argv[]);
int __uk_weak_main(int argc, char *argv[]);

static struct uk_init_ctx ictx;

/* 0.19+ lib/ukboot/boot.c, the last line before the platform's */
static void terminates(int status, int target)
{
	uk_pr_debug("Unikraft terminates with exit status %d (target: %d)\n",
		    status, target);
}

static void run_inittab(void)
{
	uk_init_func_t *itr;
	int rc;

	uk_pr_info("Init Table @ %p - %p\n", uk_inittab_start, uk_inittab_end);
	/* uktrace.fault=assert: corrupt an entry; the loop's check catches it */
	if (knobs.fault == FAULT_ASSERT && uk_inittab_end - uk_inittab_start > 1)
		uk_inittab_start[1] = NULL;
	knobs_delay(DELAY_INIT_TABLE);  /* before the first init function */

	for (itr = uk_inittab_start; itr < uk_inittab_end; itr++) {
		UK_ASSERT(*itr);
		if (era_at_least(ERA_0_17))
			uk_pr_debug("Call init function: %p(%p)...\n", *itr, &ictx);
		else
			uk_pr_debug("Call init function: %p()...\n", *itr);
		rc = (*itr)();
		if (rc < 0) {
			uk_pr_err("Init function at %p returned error %d\n",
				  *itr, rc);
			if (era_at_least(ERA_0_17))
				uk_pr_info("Halting system (%d)\n", UKPLAT_CRASH);
			if (era_at_least(ERA_0_19))
				terminates(0, UKPLAT_CRASH);
			ukplat_terminate(GUEST_EXIT_FAILED);
		}
	}
}

static void call_main(int argc, char *argv[])
{
	int rc;

	uk_pr_info("Pre-init table at %p - %p\n", __preinit_array_start,
		   __preinit_array_end);
	for (app_ctor_t *f = __preinit_array_start; f < __preinit_array_end; f++)
		(*f)();
	uk_pr_info("Constructor table at %p - %p\n", __init_array_start,
		   __init_array_end);
	for (app_ctor_t *f = __init_array_start; f < __init_array_end; f++)
		(*f)();

	/* one line built from several printk calls, as Unikraft does */
	uk_pr_info("Calling main(%d, [", argc);
	for (int i = 0; i < argc; i++) {
		uk_pr_info("'%s'", argv[i]);
		if (i + 1 < argc)
			uk_pr_info(", ");
	}
	uk_pr_info("])\n");

	knobs_delay(DELAY_MAIN);        /* main takes that much longer */
	rc = (knobs.fault == FAULT_WEAKMAIN ? __uk_weak_main : main)(argc, argv);

	if (era_at_least(ERA_0_19)) {
		/* do_main() in the child, then do_init() as it reaps it */
		uk_pr_info("main returned %d\n", rc);
		uk_pr_info("All children terminated. Initiating shutdown...\n");
		uk_pr_info("Halting system (%d)\n", UKPLAT_HALT);
		terminates(rc & 0xff, UKPLAT_HALT);      /* WEXITSTATUS */
	} else if (era_at_least(ERA_0_17)) {
		uk_pr_info("main returned %d\n", rc);
		uk_pr_info("Halting system (%d)\n", UKPLAT_HALT);
	} else {
		uk_pr_info("main returned %d, halting system\n", rc);
	}
	ukplat_terminate(rc == 0 ? GUEST_EXIT_OK : GUEST_EXIT_FAILED);
}

static void main_thread_func(void *arg __unused)
{
	run_inittab();
	knobs_delay(DELAY_BANNER);      /* silent: the banner has no stamp */
	print_banner();
	call_main(ictx.argc, ictx.argv);
}

static void init_memory(void)
{
	uintptr_t start = _libkvmplat_cfg.heap_start;
	uintptr_t end = _libkvmplat_cfg.heap_end;

	uk_pr_info("Initialize memory allocator...\n");
	uk_pr_debug("Try memory region: %p - %p (flags: 0x%02x)...\n",
		    (void *)start, (void *)end, MEMREGION_FLAGS);
	if (uk_allocbbuddy_init(start, end - start) < 0) {
		uk_pr_crit("Failed to initialize memory allocator\n");
		ukplat_crash();
	}
}

/* inlined into each entry, so each name is its own function in the ELF */
static inline __attribute__((always_inline)) void boot_entry(int argc, char *argv[])
{
	struct uk_thread *main_thread;

	ictx.argc = argc;
	ictx.argv = argv;

	uk_pr_info("Unikraft constructor table at %p - %p\n",
		   uk_ctortab_start, uk_ctortab_end);
	for (uk_ctor_func_t *c = uk_ctortab_start; c < uk_ctortab_end; c++) {
		uk_pr_debug("Call constructor: %p())...\n", *c);
		(*c)();
	}

	init_memory();

	uk_pr_info(era_at_least(ERA_0_17) ? "Initialize the IRQ subsystem...\n"
					  : "Initialize IRQ subsystem...\n");
	if (ukplat_irq_init() < 0) {
		uk_pr_crit("Could not initialize the platform IRQ subsystem\n");
		ukplat_crash();
	}

	uk_pr_info("Initialize platform time...\n");
	tscclock_init();

	if (era_at_least(ERA_0_17))
		uk_pr_info("Initialize scheduling...\n");
	uk_schedcoop_init();
	main_thread = uk_thread_create("main", main_thread_func, NULL);
	if (!main_thread) {
		uk_pr_crit("Could not create main thread\n");
		ukplat_crash();
	}
	knobs_delay(DELAY_SUBSYSTEMS);  /* after calibration: on the TSC */
	uk_sched_start(main_thread);
}

void ukplat_entry(int argc, char *argv[])
{
	boot_entry(argc, argv);
	__builtin_unreachable();        /* it ends in uk_sched_start() */
}

void uk_boot_entry(int argc, char *argv[])
{
	boot_entry(argc, argv);
	__builtin_unreachable();        /* it ends in uk_sched_start() */
}
