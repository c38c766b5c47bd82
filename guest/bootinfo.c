/*
 * bootinfo.c - the boot summary that 0.12+ prints instead of "Entering
 * from KVM": version, loader, command line and the boot memory map
 * (multiboot map with the kernel image, command line and boot stack
 * carved out), in the format of plat/common/bootinfo.c. As in 0.17, the
 * list is built and coalesced (memory.c, dbg lines) before anything else
 * is printed; from 0.18 the early-init table coalesces it after the
 * print (early_init.c).
 */
#define UK_LIBNAME "libkvmplat"
#include "setup.h"
#include "multiboot.h"
#include "param.h"
#include "print.h"
#include "memregion.h"

static struct mrd mrds[MRD_MAX];
static int nmrds;

static void mrd_insert(int at, const struct mrd *m)
{
	if (nmrds == MRD_MAX)
		return;
	for (int i = nmrds; i > at; i--)
		mrds[i] = mrds[i - 1];
	mrds[at] = *m;
	nmrds++;
}

/* give [base, end) its own region (whole pages), cut out of a free region */
static void mrd_carve(u64 base, u64 end, enum mrd_type type, const char *rwx)
{
	base = ALIGN_DOWN(base, (u64)PAGE_SIZE);
	end = ALIGN_UP(end, (u64)PAGE_SIZE);
	for (int i = 0; i < nmrds; i++) {
		struct mrd *f = &mrds[i], tail;

		if (f->type != MRD_FREE || base < f->base || end > f->end)
			continue;
		tail = (struct mrd){ end, f->end, MRD_FREE, f->rwx };
		f->end = base;
		mrd_insert(i + 1, &(struct mrd){ base, end, type, rwx });
		if (tail.end > tail.base)
			mrd_insert(i + 2, &tail);
		if (f->end == f->base) {        /* nothing left in front */
			for (int j = i; j < nmrds - 1; j++)
				mrds[j] = mrds[j + 1];
			nmrds--;
		}
		return;
	}
}

void ukplat_bootinfo_print(const struct multiboot_info *mi)
{
	static const char *const tname[] = { "", "rsvd", "krnl", "cmdl", "stck" };
	extern char _text[], _end[];    /* linker.ld */
	const struct multiboot_mmap_entry *e;
	const char *loader = (mi->flags & MULTIBOOT_INFO_LOADER_NAME)
		? (const char *)mi->boot_loader_name : "unknown";

	if (mi->flags & MULTIBOOT_INFO_MEM_MAP) {
		mb_mmap_foreach(mi, e) {
			bool avail = e->type == MULTIBOOT_MEMORY_AVAILABLE;

			mrd_insert(nmrds, &(struct mrd){ e->addr, e->addr + e->len,
				   avail ? MRD_FREE : MRD_RSVD,
				   avail ? "rw-" : "r--" });
		}
	}
	mrd_carve((uintptr_t)_text, (uintptr_t)_end, MRD_KRNL, "rwx");
	if (mi->flags & MULTIBOOT_INFO_CMDLINE)
		mrd_carve(mi->cmdline, mi->cmdline + strlen((char *)mi->cmdline) + 1,
			  MRD_CMDL, "r--");
	mrd_carve(_libkvmplat_cfg.bstack_start, _libkvmplat_cfg.bstack_end,
		  MRD_STCK, "rw-");
	if (!era_at_least(ERA_0_18))
		ukplat_bootinfo_coalesce();

	uk_pr_info("Unikraft " UK_CODENAME " (%s)\n", era_version());
	uk_pr_info("Architecture: x86 (32-bit)\n");
	uk_pr_info("Boot loader : %s-%s\n", loader, "multiboot");
	uk_pr_info("Command line: %s\n", knobs.cmdline);

	uk_pr_info("Boot memory map:\n");
	for (int i = 0; i < nmrds; i++)
		uk_pr_info(" %012llx-%012llx %012llx %s %016llx %s %s\n",
			   mrds[i].base, mrds[i].end, mrds[i].end - mrds[i].base,
			   mrds[i].rwx, mrds[i].base, tname[mrds[i].type], "");
}

void ukplat_bootinfo_coalesce(void)
{
	ukplat_memregion_list_coalesce(mrds, &nmrds);
}
