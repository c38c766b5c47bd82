/* virtio.h - virtio devices over the legacy PCI transport, drivers and virtqueues. */
#ifndef VIRTIO_H
#define VIRTIO_H

#include "uk.h"

struct pci_device;

#define VIRTIO_STATUS_ACK        0x01
#define VIRTIO_STATUS_DRIVER     0x02
#define VIRTIO_STATUS_DRIVER_OK  0x04
#define VIRTIO_STATUS_FEATURES_OK 0x08

#define VIRTIO_ID_9P 9
#define VIRTIO_ID_FS 26

struct virtq_desc {
	u64 addr;
	u32 len;
	u16 flags;
	u16 next;
} __packed;

#define VIRTQ_DESC_F_NEXT   1
#define VIRTQ_DESC_F_WRITE  2
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1

struct virtq_used_elem {
	u32 id, len;
} __packed;

struct virtqueue {
	struct virtio_dev *vdev;
	u16 index, num;
	u16 last_used;
	struct virtq_desc *desc;
	volatile u16 *avail;            /* flags, idx, ring[num] */
	volatile u16 *used;             /* flags, idx, then elems */
	void *mem;                      /* page-aligned ring memory */
	unsigned int mem_order;
};

struct virtio_dev {
	struct pci_device *pdev;
	u16 iobase;                     /* legacy I/O BAR */
	u16 device_type;                /* subsystem id = virtio device id */
	struct virtio_driver *drv;
	/* virtio 1.0 (modern) transport: registers in memory BARs, see virtio_pci_modern.c */
	bool modern;
	volatile u8 *common;            /* common configuration */
	volatile u8 *notify;            /* notification area */
	u32 notify_mult;                /* notify_off_multiplier */
	volatile u8 *devcfg;            /* device-specific configuration */
};

struct virtio_driver {
	struct virtio_driver *next;
	u16 device_type;
	int (*init)(void);
	int (*add_dev)(struct virtio_dev *vdev);
};

/* virtio_pci.c: legacy register access */
u8 virtio_status_get(struct virtio_dev *v);
void virtio_status_set(struct virtio_dev *v, u8 status);
void virtio_reset(struct virtio_dev *v);
u32 virtio_features_get(struct virtio_dev *v);
void virtio_features_set(struct virtio_dev *v, u32 features);
u8 virtio_config_read8(struct virtio_dev *v, u16 off);
u16 virtio_config_read16(struct virtio_dev *v, u16 off);
u32 virtio_config_read32(struct virtio_dev *v, u16 off);
u16 virtio_queue_size(struct virtio_dev *v, u16 index);
void virtio_queue_activate(struct virtio_dev *v, u16 index, uintptr_t pa);
void virtio_queue_notify(struct virtio_dev *v, u16 index);

/* virtio_bus.c */
void virtio_bus_register_driver(struct virtio_driver *drv);
int virtio_bus_init_drivers(void);
int virtio_bus_register_device(struct virtio_dev *vdev);

/* virtio_ring.c */
int virtqueue_setup(struct virtqueue *vq, struct virtio_dev *vdev, u16 index);
/* one request = out buffer + in buffer; then kick; then poll for the reply */
int virtqueue_enqueue(struct virtqueue *vq, const void *out, u32 out_len,
		      void *in, u32 in_cap);
void virtqueue_kick(struct virtqueue *vq);
int virtqueue_wait_used(struct virtqueue *vq, u32 *in_len);

/* virtio_pci_modern.c: the same operations on a modern device */
extern struct pci_driver virtio_pci_modern_drv;
u8 virtio_modern_status_get(struct virtio_dev *v);
void virtio_modern_status_set(struct virtio_dev *v, u8 status);
void virtio_modern_reset(struct virtio_dev *v);
u64 virtio_modern_features_get(struct virtio_dev *v);
void virtio_modern_features_set(struct virtio_dev *v, u64 features);
u16 virtio_modern_queue_size(struct virtio_dev *v, u16 index);
void virtio_modern_queue_activate(struct virtio_dev *v, u16 index, uintptr_t pa);
void virtio_modern_queue_notify(struct virtio_dev *v, u16 index);

#define VIRTIO_F_VERSION_1 (1ull << 32)

/* virtio_9p.c: is there a 9P device to mount? */
bool virtio_9p_present(void);

/* virtio_fs.c: the virtio-fs devices, found by tag; one FUSE request at a time */
struct virtio_fs_device;
bool virtio_fs_present(void);
struct virtio_fs_device *virtio_fs_lookup(const char *tag);
int virtio_fs_configure(struct virtio_fs_device *d);
int virtio_fs_request(struct virtio_fs_device *d, const void *req, u32 req_len,
		      void *reply, u32 reply_cap, u32 *reply_len);

#endif /* VIRTIO_H */
