/*
 * virtio_pci.c - legacy (0.9.5) virtio over PCI: a PCI driver for every
 * 1af4:1000-103f device, talking to the device through its I/O BAR 0.
 * QEMU exposes this BAR on transitional devices (disable-legacy=off).
 * A device QEMU offers modern-only (virtio-fs) is set up by
 * virtio_pci_modern.c; every accessor here then hands over to it.
 */
#define UK_LIBNAME era_lib("libkvmvirtio", "libvirtio_pci")
#include "virtio.h"
#include "pci.h"
#include "boot.h"
#include "alloc.h"
#include "print.h"
#include "param.h"
#include "io.h"

/* legacy register layout; device config starts at 0x14 while MSI-X is off */
#define VIRTIO_PCI_HOST_FEATURES  0x00
#define VIRTIO_PCI_GUEST_FEATURES 0x04
#define VIRTIO_PCI_QUEUE_PFN      0x08
#define VIRTIO_PCI_QUEUE_NUM      0x0c
#define VIRTIO_PCI_QUEUE_SEL      0x0e
#define VIRTIO_PCI_QUEUE_NOTIFY   0x10
#define VIRTIO_PCI_STATUS         0x12
#define VIRTIO_PCI_ISR            0x13
#define VIRTIO_PCI_CONFIG         0x14

#define VIRTIO_PCI_VENDOR         0x1af4
#define VIRTIO_PCI_QUEUE_ADDR_SHIFT 12

u8 virtio_status_get(struct virtio_dev *v)
{
	if (v->modern)
		return virtio_modern_status_get(v);
	return inb(v->iobase + VIRTIO_PCI_STATUS);
}

void virtio_status_set(struct virtio_dev *v, u8 status)
{
	if (v->modern)
		return virtio_modern_status_set(v, status);
	outb(v->iobase + VIRTIO_PCI_STATUS, status);
}

void virtio_reset(struct virtio_dev *v)
{
	if (v->modern)
		return virtio_modern_reset(v);
	outb(v->iobase + VIRTIO_PCI_STATUS, 0);
	(void)inb(v->iobase + VIRTIO_PCI_ISR);  /* clear pending ISR */
}

u32 virtio_features_get(struct virtio_dev *v)
{
	if (v->modern)
		return (u32)virtio_modern_features_get(v);
	return inl(v->iobase + VIRTIO_PCI_HOST_FEATURES);
}

void virtio_features_set(struct virtio_dev *v, u32 features)
{
	if (v->modern)
		return virtio_modern_features_set(v, features | VIRTIO_F_VERSION_1);
	outl(v->iobase + VIRTIO_PCI_GUEST_FEATURES, features);
}

u8 virtio_config_read8(struct virtio_dev *v, u16 off)
{
	if (v->modern)
		return v->devcfg[off];
	return inb(v->iobase + VIRTIO_PCI_CONFIG + off);
}

u16 virtio_config_read16(struct virtio_dev *v, u16 off)
{
	if (v->modern)
		return *(volatile u16 *)(v->devcfg + off);
	return inw(v->iobase + VIRTIO_PCI_CONFIG + off);
}

u32 virtio_config_read32(struct virtio_dev *v, u16 off)
{
	if (v->modern)
		return *(volatile u32 *)(v->devcfg + off);
	return inl(v->iobase + VIRTIO_PCI_CONFIG + off);
}

u16 virtio_queue_size(struct virtio_dev *v, u16 index)
{
	if (v->modern)
		return virtio_modern_queue_size(v, index);
	outw(v->iobase + VIRTIO_PCI_QUEUE_SEL, index);
	return inw(v->iobase + VIRTIO_PCI_QUEUE_NUM);
}

void virtio_queue_activate(struct virtio_dev *v, u16 index, uintptr_t pa)
{
	if (v->modern)
		return virtio_modern_queue_activate(v, index, pa);
	outw(v->iobase + VIRTIO_PCI_QUEUE_SEL, index);
	outl(v->iobase + VIRTIO_PCI_QUEUE_PFN, pa >> VIRTIO_PCI_QUEUE_ADDR_SHIFT);
}

void virtio_queue_notify(struct virtio_dev *v, u16 index)
{
	if (v->modern)
		return virtio_modern_queue_notify(v, index);
	outw(v->iobase + VIRTIO_PCI_QUEUE_NOTIFY, index);
}

static int virtio_pci_add_dev(struct pci_device *pdev)
{
	struct virtio_dev *vdev;

	if (!(pdev->bar0 & 1)) {        /* no legacy I/O BAR: modern-only */
		uk_pr_err("Virtio device %04x has no legacy I/O BAR\n",
			  pdev->device_id);
		return -ENODEV;
	}
	vdev = uk_palloc(0);
	if (!vdev)
		return -ENOMEM;
	memset(vdev, 0, sizeof(*vdev));
	vdev->pdev = pdev;
	vdev->iobase = pdev->bar0 & ~3u;
	vdev->device_type = pdev->subsys_id;

	/* the device DMAs into our rings: it needs bus mastering */
	pci_conf_write16(pdev, PCI_COMMAND,
			 (pci_conf_read32(pdev, PCI_COMMAND) & 0xffff) |
			 PCI_CMD_IO | PCI_CMD_MASTER);

	uk_pr_info("Added virtio-pci device %04x\n", pdev->device_id);
	if (era_at_least(ERA_0_10))
		uk_pr_info("Added virtio-pci subsystem_device_id %04x\n",
			   pdev->subsys_id);
	return virtio_bus_register_device(vdev);
}

static struct pci_driver virtio_pci_drv = {
	.vendor_id = VIRTIO_PCI_VENDOR,
	.device_lo = 0x1000,
	.device_hi = 0x103f,
	.init = virtio_bus_init_drivers,
	.add_dev = virtio_pci_add_dev,
};

static void virtio_pci_register(void)
{
	pci_register_driver(&virtio_pci_drv);
	pci_register_driver(&virtio_pci_modern_drv);
}
UK_CTOR_PRIO(virtio_pci_register, 2);
