/*
 * memregion.h - the boot memory region list (plat/common/bootinfo.h's
 * ukplat_memregion_desc list, cut down): bootinfo.c fills and prints it,
 * memory.c coalesces it.
 */
#ifndef MEMREGION_H
#define MEMREGION_H

#include "uk.h"

#define MRD_MAX 16

enum mrd_type { MRD_FREE, MRD_RSVD, MRD_KRNL, MRD_CMDL, MRD_STCK };

struct mrd {
	u64 base, end;
	enum mrd_type type;
	const char *rwx;
};

/* merge neighbours of the same kind, printing each pair as 0.17 does */
void ukplat_memregion_list_coalesce(struct mrd *mrds, int *nmrds);

#endif
