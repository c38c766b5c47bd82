/*
 * memory.c - coalescing the boot memory region list, as 0.17's
 * plat/common/memory.c does before the bootinfo lines are printed: each
 * pair of neighbours is printed with its priorities (free < kernel
 * resources < reserved), then contiguous regions of the same kind and
 * permissions are merged. At dbg level these are a real 0.17 kernel's
 * first console lines, before `Unikraft <Codename> (<version>)`.
 */
#define UK_LIBNAME "libkvmplat"
#include "memregion.h"
#include "print.h"

static int mrd_prio(const struct mrd *m)
{
	switch (m->type) {
	case MRD_FREE: return 0;
	case MRD_RSVD: return 2;
	default:       return 1;
	}
}

static void mrd_print(const struct mrd *m)
{
	static const char *const tname[] = { "", "rsvd", "krnl", "cmdl", "stck" };

	uk_pr_debug(" %012llx-%012llx %012llx %s %016llx %s\n", m->base,
		    m->end, m->end - m->base, m->rwx, m->base, tname[m->type]);
}

void ukplat_memregion_list_coalesce(struct mrd *mrds, int *nmrds)
{
	int i = 0;

	uk_pr_debug("Coalescing memory region list.\n");
	while (i + 1 < *nmrds) {
		struct mrd *ml = &mrds[i], *mr = &mrds[i + 1];

		uk_pr_debug("Currently coalescing the following memory regions:\n");
		mrd_print(ml);
		mrd_print(mr);
		uk_pr_debug("Priority of left memory region: %d\n", mrd_prio(ml));
		uk_pr_debug("Priority of right memory region: %d\n", mrd_prio(mr));
		if (ml->end == mr->base && ml->type == mr->type && !strcmp(ml->rwx, mr->rwx)) {
			uk_pr_debug("Merging two contiguous mrd's.\n");
			ml->end = mr->end;
			for (int j = i + 1; j < *nmrds - 1; j++)
				mrds[j] = mrds[j + 1];
			(*nmrds)--;
		} else {
			uk_pr_debug("No adjustment for these mrd's.\n");
			i++;
		}
	}
}
