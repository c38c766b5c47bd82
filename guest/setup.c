/*
 * setup.c - platform entry (plat/kvm/x86/setup.c): console, GDT/IDT,
 * command line, memory layout from the multiboot map, then move off the
 * small bootstrap stack onto a stack carved from the top of RAM, and
 * continue into the platform-independent boot (boot.c).
 */
#define UK_LIBNAME "libkvmplat"
#include "setup.h"
#include "multiboot.h"
#include "console.h"
#include "tscclock.h"
#include "traps.h"
#include "param.h"
#include "print.h"
#include "boot.h"

#define BOOT_STACK_SIZE 0x10000u
#define KERNEL_LOAD     0x100000u
#define MEM_LIMIT       0xfffff000u     /* 32-bit, no paging */

void _libkvmplat_entry(u32 magic, struct multiboot_info *mi);
void _libkvmplat_newstack(uintptr_t stack_top, void (*fn)(void *), void *arg)
	__noreturn;
extern char _end[];

struct kvmplat_config _libkvmplat_cfg;

/* end of the available RAM region the kernel was loaded into */
static uintptr_t mb_mem_top(const struct multiboot_info *mi)
{
	const struct multiboot_mmap_entry *e;

	if (!(mi->flags & MULTIBOOT_INFO_MEM_MAP))
		return (mi->flags & MULTIBOOT_INFO_MEMORY)
			? KERNEL_LOAD + mi->mem_upper * 1024u : 0;
	mb_mmap_foreach(mi, e) {
		u64 end = e->addr + e->len;

		if (e->type != MULTIBOOT_MEMORY_AVAILABLE ||
		    e->addr > KERNEL_LOAD || end <= KERNEL_LOAD)
			continue;
		return (uintptr_t)ALIGN_DOWN(MIN(end, (u64)MEM_LIMIT),
					     (u64)PAGE_SIZE);
	}
	return 0;
}

static uintptr_t max_end(uintptr_t cur, uintptr_t start, size_t len)
{
	return start >= KERNEL_LOAD && start + len > cur ? start + len : cur;
}

/*
 * QEMU puts the command line (and modules) right after the kernel image:
 * the heap must start after everything the loader left above 1 MiB.
 */
static uintptr_t mb_reserved_end(const struct multiboot_info *mi)
{
	uintptr_t end = (uintptr_t)_end;
	const struct multiboot_mod *mod;

	end = max_end(end, (uintptr_t)mi, sizeof(*mi));
	if (mi->flags & MULTIBOOT_INFO_CMDLINE)
		end = max_end(end, mi->cmdline, strlen((char *)mi->cmdline) + 1);
	if (mi->flags & MULTIBOOT_INFO_LOADER_NAME)
		end = max_end(end, mi->boot_loader_name,
			      strlen((char *)mi->boot_loader_name) + 1);
	if (mi->flags & MULTIBOOT_INFO_MEM_MAP)
		end = max_end(end, mi->mmap_addr, mi->mmap_length);
	if (mi->flags & MULTIBOOT_INFO_MODS) {
		end = max_end(end, mi->mods_addr, mi->mods_count * sizeof(*mod));
		mod = (const struct multiboot_mod *)mi->mods_addr;
		for (u32 i = 0; i < mi->mods_count; i++)
			end = max_end(end, mod[i].mod_start,
				      mod[i].mod_end - mod[i].mod_start);
	}
	return end;
}

static void mb_init_initrd(const struct multiboot_info *mi)
{
	const struct multiboot_mod *mod;

	if (!(mi->flags & MULTIBOOT_INFO_MODS) || !mi->mods_count) {
		uk_pr_debug("No initrd present\n");
		return;
	}
	mod = (const struct multiboot_mod *)mi->mods_addr;
	uk_pr_info("        initrd: %p\n", (void *)mod->mod_start);
}

static void _libkvmplat_entry2(void *arg __unused)
{
	if (era_at_least(ERA_0_18))
		uk_boot_entry(knobs.argc, knobs.argv);
	ukplat_entry(knobs.argc, knobs.argv);
}

void _libkvmplat_entry(u32 magic, struct multiboot_info *mi)
{
	struct kvmplat_config *cfg = &_libkvmplat_cfg;
	uintptr_t top;

	tsc_mark_boot();
	serial_init();
	traps_init();
	knobs_parse((mi->flags & MULTIBOOT_INFO_CMDLINE)
		    ? (const char *)mi->cmdline : "");

	if (magic != MULTIBOOT_BOOTLOADER_MAGIC) {
		uk_pr_crit("Invalid multiboot magic 0x%x\n", magic);
		ukplat_crash();
	}
	if (!era_at_least(ERA_0_17)) {
		uk_pr_info("Entering from KVM (x86)...\n");
		uk_pr_info("     multiboot: %p\n", mi);
	}

	top = mb_mem_top(mi);
	cfg->heap_start = ALIGN_UP(mb_reserved_end(mi), PAGE_SIZE);
	if (top < cfg->heap_start + 2 * BOOT_STACK_SIZE) {
		uk_pr_crit("Not enough memory for heap and stack\n");
		ukplat_crash();
	}
	cfg->bstack_end = top;
	cfg->bstack_start = top - BOOT_STACK_SIZE;
	cfg->heap_end = cfg->bstack_start;

	if (!era_at_least(ERA_0_17)) {
		mb_init_initrd(mi);
		uk_pr_info("    heap start: %p\n", (void *)cfg->heap_start);
		uk_pr_info("     stack top: %p\n", (void *)cfg->bstack_start);
	} else if (!era_at_least(ERA_0_18)) {
		ukplat_bootinfo_print(mi);
	} else {
		uk_boot_early_init(mi);
	}

	uk_pr_info("Switch from bootstrap stack to stack @%p\n",
		   (void *)cfg->bstack_end);
	_libkvmplat_newstack(cfg->bstack_end, _libkvmplat_entry2, NULL);
}
