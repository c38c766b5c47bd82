/* bus.c - bus handler registry; the init-table entry initializes and probes them all. */
#define UK_LIBNAME "libukbus"
#include "bus.h"
#include "boot.h"
#include "print.h"
#include "param.h"

static struct uk_bus *buses;

void uk_bus_register(struct uk_bus *b)
{
	struct uk_bus **pp = &buses;

	uk_pr_debug("Register bus handler: %p\n", b);
	while (*pp)
		pp = &(*pp)->next;
	b->next = NULL;
	*pp = b;
}

static int uk_bus_init_all(void)
{
	struct uk_bus *b;

	uk_pr_info("Initialize bus handlers...\n");
	for (b = buses; b; b = b->next) {
		uk_pr_debug("Initialize bus handler %p...\n", b);
		if (b->init && b->init() < 0)
			uk_pr_err("Failed to initialize bus handler %p\n", b);
	}
	uk_pr_info("Probe buses...\n");
	for (b = buses; b; b = b->next) {
		uk_pr_debug("Probe bus %p...\n", b);
		if (b->probe)
			b->probe();
	}
	knobs_delay(DELAY_BUS_PROBE);
	return 0;
}
uk_initcall_prio(uk_bus_init_all, 1);
