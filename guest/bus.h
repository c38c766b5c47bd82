/* bus.h - bus handlers (lib/ukbus): registered by constructors, probed by an init function. */
#ifndef BUS_H
#define BUS_H

#include "uk.h"

struct uk_bus {
	struct uk_bus *next;
	int (*init)(void);
	int (*probe)(void);
};

void uk_bus_register(struct uk_bus *b);

#endif /* BUS_H */
