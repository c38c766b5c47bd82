/*
 * schedcoop.c - the cooperative scheduler. With a single thread there is
 * nothing to schedule; starting it means really moving onto its stack.
 */
#define UK_LIBNAME "libukschedcoop"
#include "sched.h"
#include "print.h"
#include "param.h"

void _libkvmplat_newstack(uintptr_t stack_top, void (*fn)(void *), void *arg)
	__noreturn;

static struct uk_thread *current;

int uk_schedcoop_init(void)
{
	if (!era_at_least(ERA_0_17))
		uk_pr_info("Initializing cooperative scheduler\n");
	current = NULL;
	return 0;
}

void uk_sched_start(struct uk_thread *t)
{
	current = t;
	_libkvmplat_newstack((uintptr_t)t->stack + THREAD_STACK_SIZE,
			     t->entry, t->arg);
}
