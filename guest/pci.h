/* pci.h - PCI devices and drivers (configuration mechanism #1, bus 0). */
#ifndef PCI_H
#define PCI_H

#include "uk.h"

struct pci_device {
	u8 bus, dev, func;
	u16 vendor_id, device_id;
	u16 class_id;           /* base class << 8, as Unikraft prints it */
	u16 subsys_id;
	u32 bar0;
	struct pci_driver *drv;
};

struct pci_driver {
	struct pci_driver *next;
	u16 vendor_id, device_lo, device_hi;    /* match range */
	int (*init)(void);                      /* at bus init */
	int (*add_dev)(struct pci_device *dev); /* at probe, per device */
};

void pci_register_driver(struct pci_driver *drv);
u32 pci_conf_read32(const struct pci_device *d, u8 off);
void pci_conf_write16(const struct pci_device *d, u8 off, u16 val);
u8 pci_conf_read8(const struct pci_device *d, u8 off);

#define PCI_COMMAND      0x04
#define PCI_CMD_IO       0x0001
#define PCI_CMD_MEM      0x0002
#define PCI_CMD_MASTER   0x0004
#define PCI_BAR0         0x10
#define PCI_STATUS_CAP_LIST 0x0010  /* in the status word, config 0x06 */
#define PCI_CAP_PTR      0x34

#endif /* PCI_H */
