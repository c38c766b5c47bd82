/*
 * boot.h - Unikraft's boot tables and the boot entry points.
 * Constructors (.uk_ctortab*) and init functions (.uk_inittab*) are real
 * function pointers collected by the linker script, sorted by priority.
 */
#ifndef BOOT_H
#define BOOT_H

#include "uk.h"

typedef void (*uk_ctor_func_t)(void);
typedef int (*uk_init_func_t)(void);

#define UK_CTOR_PRIO(fn, prio)                                           \
	static uk_ctor_func_t __used __section(".uk_ctortab" #prio)      \
	__uk_ctortab_##fn = (fn)

/* not const: uktrace.fault=assert corrupts one entry at run time */
#define uk_initcall_prio(fn, prio)                                       \
	static uk_init_func_t __used __section(".uk_inittab" #prio)      \
	__uk_inittab_##fn = (fn)

extern uk_ctor_func_t uk_ctortab_start[], uk_ctortab_end[];
extern uk_init_func_t uk_inittab_start[], uk_inittab_end[];

/* boot.c: platform-independent boot, entered on the new stack */
void ukplat_entry(int argc, char *argv[]) __noreturn;
void uk_boot_entry(int argc, char *argv[]) __noreturn;  /* 0.18+ name */

/* Unikraft's shutdown requests (enum ukplat_gstate) */
#define UKPLAT_HALT  0
#define UKPLAT_CRASH 2

/* Guest status written to isa-debug-exit; QEMU exits with (code << 1) | 1 */
#define GUEST_EXIT_OK     0
#define GUEST_EXIT_FAILED 1
#define GUEST_EXIT_CRASH  2

/* shutdown.c: "Unikraft halted", integrity line, power off */
void ukplat_terminate(int guest_code) __noreturn;
void ukplat_crash(void) __noreturn;

/* Assertion as lib/ukdebug: CRIT "Assertion failure: <expr>" then crash */
#define UK_ASSERT(x)                                                     \
	do {                                                             \
		if (__builtin_expect(!(x), 0)) {                         \
			uk_pr_crit("Assertion failure: %s\n", #x);       \
			ukplat_crash();                                  \
		}                                                        \
	} while (0)

#endif /* BOOT_H */
