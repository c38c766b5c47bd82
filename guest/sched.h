/* sched.h - a cooperative scheduler with exactly one thread: "main". */
#ifndef SCHED_H
#define SCHED_H

#include "uk.h"

#define THREAD_STACK_SIZE (PAGE_SIZE << 4) /* 64 KiB */

struct uk_thread {
	const char *name;
	void *stack;            /* lowest address of the stack */
	void *tls;
	void (*entry)(void *);
	void *arg;
};

int uk_schedcoop_init(void);
struct uk_thread *uk_thread_create(const char *name, void (*entry)(void *),
				   void *arg);
/* switch to the thread's own stack and run it there; never returns */
void uk_sched_start(struct uk_thread *t) __noreturn;

#endif /* SCHED_H */
