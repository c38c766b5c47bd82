/*
 * early_init.c - lib/ukboot/early_init.c (0.18+): before the boot proper,
 * the early-init table runs with the boot info: the console registers,
 * the boot summary is printed, then the memory region list is coalesced
 * (an entry just before the latest, so its dbg lines follow the map).
 */
#define UK_LIBNAME "libukboot"
#include "console.h"
#include "memregion.h"
#include "setup.h"
#include "print.h"
#include "boot.h"

typedef int (*earlytab_func_t)(const struct multiboot_info *mi);

static int early_console(const struct multiboot_info *mi __unused)
{
	return uk_console_register_com1();
}

static int early_bootinfo(const struct multiboot_info *mi)
{
	ukplat_bootinfo_print(mi);
	return 0;
}

static int early_mrd_coalesce(const struct multiboot_info *mi __unused)
{
	ukplat_bootinfo_coalesce();
	return 0;
}

static const earlytab_func_t earlytab[] = {
	early_console, early_bootinfo, early_mrd_coalesce,
};

void uk_boot_early_init(const struct multiboot_info *mi)
{
	for (size_t i = 0; i < ARRAY_SIZE(earlytab); i++) {
		int rc = earlytab[i](mi);

		if (rc) {
			uk_pr_crit("Early init call @ %p failed with %d\n",
				   earlytab[i], rc);
			ukplat_crash();
		}
	}
}
