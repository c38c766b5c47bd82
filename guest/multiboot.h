/* multiboot.h - the parts of the multiboot v1 info structure the guest reads. */
#ifndef MULTIBOOT_H
#define MULTIBOOT_H

#include "uk.h"

#define MULTIBOOT_BOOTLOADER_MAGIC 0x2badb002

#define MULTIBOOT_INFO_MEMORY      (1u << 0)
#define MULTIBOOT_INFO_CMDLINE     (1u << 2)
#define MULTIBOOT_INFO_MODS        (1u << 3)
#define MULTIBOOT_INFO_MEM_MAP     (1u << 6)
#define MULTIBOOT_INFO_LOADER_NAME (1u << 9)

#define MULTIBOOT_MEMORY_AVAILABLE 1

struct multiboot_info {
	u32 flags;
	u32 mem_lower, mem_upper;       /* KiB */
	u32 boot_device;
	u32 cmdline;
	u32 mods_count, mods_addr;
	u32 syms[4];
	u32 mmap_length, mmap_addr;
	u32 drives_length, drives_addr;
	u32 config_table;
	u32 boot_loader_name;
} __packed;

struct multiboot_mmap_entry {
	u32 size;                       /* of the rest of the entry */
	u64 addr, len;
	u32 type;
} __packed;

struct multiboot_mod {
	u32 mod_start, mod_end, string, reserved;
} __packed;

#define mb_mmap_foreach(mi, e)                                              \
	for ((e) = (const struct multiboot_mmap_entry *)(mi)->mmap_addr;     \
	     (u32)(e) < (mi)->mmap_addr + (mi)->mmap_length;                 \
	     (e) = (const void *)((const u8 *)(e) + (e)->size + 4))

#endif /* MULTIBOOT_H */
