/*
 * virtio_pci_modern.c - virtio 1.0 over PCI, for the one device QEMU
 * offers modern-only: vhost-user-fs-pci (1af4:105a). Its registers are
 * in a memory BAR, found through the vendor capabilities (common,
 * notify, device configuration); this guest runs without paging, so
 * the BAR's physical address is used as is (SeaBIOS places it below
 * 4 GiB). The other virtio devices keep the legacy path.
 */
#define UK_LIBNAME era_lib("libkvmvirtio", "libvirtio_pci")
#include "virtio.h"
#include "pci.h"
#include "boot.h"
#include "alloc.h"
#include "print.h"
#include "param.h"
#include "io.h"

#define VIRTIO_PCI_VENDOR       0x1af4
#define VIRTIO_PCI_MODERN_FS    (0x1040 + VIRTIO_ID_FS)
#define PCI_CAP_ID_VNDR         0x09

/* struct virtio_pci_cap: cfg_type at +3, bar at +4, offset at +8 */
#define VIRTIO_PCI_CAP_COMMON_CFG 1
#define VIRTIO_PCI_CAP_NOTIFY_CFG 2
#define VIRTIO_PCI_CAP_DEVICE_CFG 4

/* struct virtio_pci_common_cfg */
#define COMMON_DFSELECT     0x00
#define COMMON_DF           0x04
#define COMMON_GFSELECT     0x08
#define COMMON_GF           0x0c
#define COMMON_STATUS       0x14
#define COMMON_Q_SELECT     0x16
#define COMMON_Q_SIZE       0x18
#define COMMON_Q_ENABLE     0x1c
#define COMMON_Q_NOFF       0x1e
#define COMMON_Q_DESCLO     0x20
#define COMMON_Q_DESCHI     0x24
#define COMMON_Q_AVAILLO    0x28
#define COMMON_Q_AVAILHI    0x2c
#define COMMON_Q_USEDLO     0x30
#define COMMON_Q_USEDHI     0x34

#define R8(v, o)  (*(volatile u8 *)((v)->common + (o)))
#define R16(v, o) (*(volatile u16 *)((v)->common + (o)))
#define R32(v, o) (*(volatile u32 *)((v)->common + (o)))

u8 virtio_modern_status_get(struct virtio_dev *v)
{
	return R8(v, COMMON_STATUS);
}

void virtio_modern_status_set(struct virtio_dev *v, u8 status)
{
	R8(v, COMMON_STATUS) = status;
}

void virtio_modern_reset(struct virtio_dev *v)
{
	R8(v, COMMON_STATUS) = 0;
	while (R8(v, COMMON_STATUS))    /* the reset is done when it reads 0 */
		cpu_relax();
}

u64 virtio_modern_features_get(struct virtio_dev *v)
{
	u64 features;

	R32(v, COMMON_DFSELECT) = 0;
	features = R32(v, COMMON_DF);
	R32(v, COMMON_DFSELECT) = 1;
	return features | (u64)R32(v, COMMON_DF) << 32;
}

void virtio_modern_features_set(struct virtio_dev *v, u64 features)
{
	R32(v, COMMON_GFSELECT) = 0;
	R32(v, COMMON_GF) = (u32)features;
	R32(v, COMMON_GFSELECT) = 1;
	R32(v, COMMON_GF) = (u32)(features >> 32);
}

u16 virtio_modern_queue_size(struct virtio_dev *v, u16 index)
{
	R16(v, COMMON_Q_SELECT) = index;
	return R16(v, COMMON_Q_SIZE);
}

/* The ring in the legacy layout (virtio_ring.c): the three parts' addresses from its base */
void virtio_modern_queue_activate(struct virtio_dev *v, u16 index, uintptr_t pa)
{
	u16 num;

	R16(v, COMMON_Q_SELECT) = index;
	num = R16(v, COMMON_Q_SIZE);
	R32(v, COMMON_Q_DESCLO) = pa;
	R32(v, COMMON_Q_DESCHI) = 0;
	R32(v, COMMON_Q_AVAILLO) = pa + 16u * num;
	R32(v, COMMON_Q_AVAILHI) = 0;
	R32(v, COMMON_Q_USEDLO) = pa + ALIGN_UP(16u * num + 2u * (3 + num), PAGE_SIZE);
	R32(v, COMMON_Q_USEDHI) = 0;
	R16(v, COMMON_Q_ENABLE) = 1;
}

void virtio_modern_queue_notify(struct virtio_dev *v, u16 index)
{
	u16 off;

	R16(v, COMMON_Q_SELECT) = index;
	off = R16(v, COMMON_Q_NOFF);
	*(volatile u16 *)(v->notify + (u32)off * v->notify_mult) = index;
}

/* The physical address of BAR `bar` plus `offset`; NULL when it lies above 4 GiB */
static volatile u8 *bar_address(struct pci_device *pdev, u8 bar, u32 offset)
{
	u32 lo = pci_conf_read32(pdev, PCI_BAR0 + 4 * bar);

	if (lo & 1)                     /* an I/O BAR: not where modern registers live */
		return NULL;
	if (((lo >> 1) & 3) == 2 && pci_conf_read32(pdev, PCI_BAR0 + 4 * (bar + 1)))
		return NULL;            /* 64-bit BAR placed above 4 GiB */
	return (volatile u8 *)(uintptr_t)((lo & ~0xfu) + offset);
}

/* Walk the capability list for the common, notify and device configuration areas */
static int find_areas(struct virtio_dev *v)
{
	struct pci_device *pdev = v->pdev;
	u8 pos;

	if (!((pci_conf_read32(pdev, PCI_COMMAND) >> 16) & PCI_STATUS_CAP_LIST))
		return -ENODEV;
	for (pos = pci_conf_read8(pdev, PCI_CAP_PTR) & ~3u; pos;
	     pos = pci_conf_read8(pdev, pos + 1) & ~3u) {
		u8 type = pci_conf_read8(pdev, pos + 3);
		volatile u8 *area;

		if (pci_conf_read8(pdev, pos) != PCI_CAP_ID_VNDR)
			continue;
		area = bar_address(pdev, pci_conf_read8(pdev, pos + 4),
				   pci_conf_read32(pdev, pos + 8));
		if (type == VIRTIO_PCI_CAP_COMMON_CFG && !v->common)
			v->common = area;
		else if (type == VIRTIO_PCI_CAP_NOTIFY_CFG && !v->notify) {
			v->notify = area;
			v->notify_mult = pci_conf_read32(pdev, pos + 16);
		} else if (type == VIRTIO_PCI_CAP_DEVICE_CFG && !v->devcfg)
			v->devcfg = area;
	}
	return v->common && v->notify && v->devcfg ? 0 : -ENODEV;
}

static int virtio_pci_modern_add_dev(struct pci_device *pdev)
{
	struct virtio_dev *vdev = uk_palloc(0);
	int rc;

	if (!vdev)
		return -ENOMEM;
	memset(vdev, 0, sizeof(*vdev));
	vdev->pdev = pdev;
	vdev->modern = true;
	vdev->device_type = pdev->device_id - 0x1040;

	/* registers in memory, and the device DMAs into our rings */
	pci_conf_write16(pdev, PCI_COMMAND,
			 (pci_conf_read32(pdev, PCI_COMMAND) & 0xffff) |
			 PCI_CMD_MEM | PCI_CMD_MASTER);
	rc = find_areas(vdev);
	if (rc) {
		uk_pr_err("Virtio device %04x: no usable modern configuration\n",
			  pdev->device_id);
		uk_pfree(vdev, 0);
		return rc;
	}
	uk_pr_info("Added virtio-pci device %04x\n", pdev->device_id);
	return virtio_bus_register_device(vdev);
}

/* registered by virtio_pci.c's constructor: one library, one constructor */
struct pci_driver virtio_pci_modern_drv = {
	.vendor_id = VIRTIO_PCI_VENDOR,
	.device_lo = VIRTIO_PCI_MODERN_FS,
	.device_hi = VIRTIO_PCI_MODERN_FS,
	.add_dev = virtio_pci_modern_add_dev,   /* drivers start with the legacy one's init */
};

