/* thread.c - thread control blocks: struct + TLS page, and a stack. */
#define UK_LIBNAME "libuksched"
#include "sched.h"
#include "alloc.h"
#include "print.h"

#define THREAD_STACK_ORDER 4    /* THREAD_STACK_SIZE */

struct uk_thread *uk_thread_create(const char *name, void (*entry)(void *),
				   void *arg)
{
	struct uk_thread *t = uk_palloc(0);
	void *stack = uk_palloc(THREAD_STACK_ORDER);

	if (!t || !stack) {
		uk_pr_crit("Failed to allocate thread stack\n");
		if (t)
			uk_pfree(t, 0);
		return NULL;
	}
	memset(t, 0, PAGE_SIZE);
	t->name = name;
	t->stack = stack;
	t->tls = (u8 *)t + 256;         /* rest of the TCB page */
	t->entry = entry;
	t->arg = arg;
	uk_pr_info("Thread \"%s\": pointer: %p, stack: %p, tls: %p\n",
		   name, t, t->stack, t->tls);
	return t;
}
