/* 9pdev_trans.c - registry of 9P transports (lib/uk9p), looked up by name at mount. */
#define UK_LIBNAME "libuk9p"
#include "9pdev.h"
#include "print.h"

static struct uk_9pdev_trans *transports;

void uk_9pdev_trans_register(struct uk_9pdev_trans *t)
{
	t->next = transports;
	transports = t;
	uk_pr_info("Registered transport %s\n", t->name);
}

struct uk_9pdev_trans *uk_9pdev_trans_by_name(const char *name)
{
	for (struct uk_9pdev_trans *t = transports; t; t = t->next)
		if (!strcmp(t->name, name))
			return t;
	return NULL;
}
