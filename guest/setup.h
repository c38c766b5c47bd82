/* setup.h - platform memory layout decided at entry (plat/kvm/x86/setup.c). */
#ifndef SETUP_H
#define SETUP_H

#include "uk.h"

struct kvmplat_config {
	uintptr_t heap_start, heap_end;
	uintptr_t bstack_start, bstack_end;     /* the stack boot runs on */
};

extern struct kvmplat_config _libkvmplat_cfg;

struct multiboot_info;
/* bootinfo.c: the 0.12+ boot summary (0.17 era) */
void ukplat_bootinfo_print(const struct multiboot_info *mi);
void ukplat_bootinfo_coalesce(void);     /* 0.18+: after the print */
void uk_boot_early_init(const struct multiboot_info *mi);        /* 0.18+ */

#endif /* SETUP_H */
