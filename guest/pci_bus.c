/*
 * pci_bus.c - the PCI bus handler (Unikraft's libkvmpci): enumerate every
 * slot and function of bus 0 through ports 0xcf8/0xcfc and hand matching
 * devices to their driver. Logs one line per device like pci_bus_x86.c.
 */
#define UK_LIBNAME era_lib("libkvmpci", "libukbus_pci")
#include "pci.h"
#include "bus.h"
#include "boot.h"
#include "print.h"
#include "param.h"
#include "io.h"

#define PCI_CONFIG_ADDR  0xcf8
#define PCI_CONFIG_DATA  0xcfc
#define PCI_ENABLE_BIT   0x80000000u
#define PCI_INVALID_ID   0xffff
#define PCI_MAX_DEVICES  32
#define PCI_MAX_FUNCS    8
#define HANG_AFTER_DEVS  2      /* uktrace.fault=hang: stop after this many lines */

static struct pci_driver *drivers;
static unsigned int devs_logged;
static struct pci_device devs[PCI_MAX_DEVICES * 2];
static unsigned int ndevs;

static u32 conf_addr(u8 bus, u8 dev, u8 func, u8 off)
{
	return PCI_ENABLE_BIT | (u32)bus << 16 | (u32)dev << 11 |
	       (u32)func << 8 | (off & 0xfc);
}

static u32 conf_read32(u8 bus, u8 dev, u8 func, u8 off)
{
	outl(PCI_CONFIG_ADDR, conf_addr(bus, dev, func, off));
	return inl(PCI_CONFIG_DATA);
}

u32 pci_conf_read32(const struct pci_device *d, u8 off)
{
	return conf_read32(d->bus, d->dev, d->func, off);
}

u8 pci_conf_read8(const struct pci_device *d, u8 off)
{
	return (u8)(conf_read32(d->bus, d->dev, d->func, off) >> (8 * (off & 3)));
}

void pci_conf_write16(const struct pci_device *d, u8 off, u16 val)
{
	outl(PCI_CONFIG_ADDR, conf_addr(d->bus, d->dev, d->func, off));
	outw(PCI_CONFIG_DATA + (off & 2), val);
}

void pci_register_driver(struct pci_driver *drv)
{
	drv->next = drivers;
	drivers = drv;
}

static struct pci_driver *find_driver(const struct pci_device *d)
{
	for (struct pci_driver *drv = drivers; drv; drv = drv->next)
		if (drv->vendor_id == d->vendor_id &&
		    d->device_id >= drv->device_lo &&
		    d->device_id <= drv->device_hi)
			return drv;
	return NULL;
}

static void hang_forever(void)
{
	__asm__ __volatile__("cli");
	for (;;)
		cpu_relax();
}

/* returns the header type, or -1 if there is no function here */
static int probe_function(u8 bus, u8 dev, u8 func)
{
	u32 id = conf_read32(bus, dev, func, 0x00);
	struct pci_device *d;

	if ((id & 0xffff) == PCI_INVALID_ID || ndevs == ARRAY_SIZE(devs))
		return -1;
	d = &devs[ndevs++];
	d->bus = bus;
	d->dev = dev;
	d->func = func;
	d->vendor_id = id & 0xffff;
	d->device_id = id >> 16;
	d->class_id = (conf_read32(bus, dev, func, 0x08) >> 24) << 8;
	d->subsys_id = conf_read32(bus, dev, func, 0x2c) >> 16;
	d->bar0 = conf_read32(bus, dev, func, PCI_BAR0);
	d->drv = find_driver(d);

	/* two printk calls, one line, as in Unikraft */
	uk_pr_info("PCI %02x:%02x.%02x (%04x %04x:%04x): ", bus, dev, func,
		   d->class_id, d->vendor_id, d->device_id);
	if (!d->drv) {
		uk_pr_info("<no driver>\n");
	} else {
		uk_pr_info("driver %p\n", d->drv);
		d->drv->add_dev(d);
	}
	if (knobs.fault == FAULT_HANG && ++devs_logged == HANG_AFTER_DEVS)
		hang_forever();
	return (conf_read32(bus, dev, func, 0x0c) >> 16) & 0xff;
}

static int pci_init(void)
{
	/* configuration mechanism #1 is there if CONFIG_ADDR reads back */
	outl(PCI_CONFIG_ADDR, PCI_ENABLE_BIT);
	if (inl(PCI_CONFIG_ADDR) != PCI_ENABLE_BIT)
		return -ENODEV;
	for (struct pci_driver *drv = drivers; drv; drv = drv->next)
		if (drv->init)
			drv->init();
	return 0;
}

static int pci_probe(void)
{
	uk_pr_debug("Probe PCI\n");
	for (u8 dev = 0; dev < PCI_MAX_DEVICES; dev++) {
		int hdr = probe_function(0, dev, 0);

		if (hdr < 0 || !(hdr & 0x80))   /* bit 7: multi-function */
			continue;
		for (u8 func = 1; func < PCI_MAX_FUNCS; func++)
			probe_function(0, dev, func);
	}
	return 0;
}

static struct uk_bus pci_bus = { .init = pci_init, .probe = pci_probe };

static void pci_bus_register(void)
{
	uk_bus_register(&pci_bus);
}
UK_CTOR_PRIO(pci_bus_register, 1);
