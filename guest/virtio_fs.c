/*
 * virtio_fs.c - the virtio-fs driver (drivers/virtio/fs in Unikraft
 * 0.21): at discovery, negotiate VIRTIO_F_VERSION_1 only and read the
 * tag; at mount (virtio_fs_configure), set up the high-priority queue 0
 * and the request queue 1, then DRIVER_OK, which makes QEMU start the
 * vhost-user backend (virtiofsd). Its lines are Unikraft's: debug
 * only, nothing at Info on success.
 */
#define UK_LIBNAME "libvirtio_fs"
#include "virtio.h"
#include "alloc.h"
#include "boot.h"
#include "print.h"

#define TAG_LEN 36                      /* struct virtio_fs_config: tag[36], num_request_queues */
#define CONFIG_NUM_REQUEST_QUEUES 36
#define QUEUE_HIPRIO  0
#define QUEUE_REQUEST 1

struct virtio_fs_device {
	struct virtio_fs_device *next;
	struct virtio_dev *vdev;
	char tag[TAG_LEN + 1];
	struct virtqueue vq_prio, vq_req;
	bool configured;
};

static struct virtio_fs_device *vfs_devs;

static int virtio_fs_add_dev(struct virtio_dev *vdev)
{
	struct virtio_fs_device *d;
	u64 features = virtio_modern_features_get(vdev);

	uk_pr_debug("Dev %p supports features %llx\n", vdev, features);
	if (!(features & VIRTIO_F_VERSION_1))
		return -EINVAL;
	uk_pr_debug("Dev %p requesting features %llx\n", vdev, VIRTIO_F_VERSION_1);
	virtio_modern_features_set(vdev, VIRTIO_F_VERSION_1);
	virtio_status_set(vdev, VIRTIO_STATUS_ACK | VIRTIO_STATUS_DRIVER |
			  VIRTIO_STATUS_FEATURES_OK);
	if (!(virtio_status_get(vdev) & VIRTIO_STATUS_FEATURES_OK))
		return -EINVAL;

	d = uk_palloc(0);
	if (!d)
		return -ENOMEM;
	memset(d, 0, sizeof(*d));
	d->vdev = vdev;
	for (int i = 0; i < TAG_LEN; i++)
		d->tag[i] = (char)virtio_config_read8(vdev, (u16)i);
	d->next = vfs_devs;
	vfs_devs = d;
	uk_pr_debug("Dev %p discovered with tag \"%.36s\"\n", vdev, d->tag);
	return 0;
}

int virtio_fs_configure(struct virtio_fs_device *d)
{
	u32 queues = virtio_config_read32(d->vdev, CONFIG_NUM_REQUEST_QUEUES);
	int rc;

	if (d->configured)
		return 0;
	if (queues < 1)
		return -EINVAL;
	if (queues > 1)
		uk_pr_info("Multiqueue device driven through a single queue\n");
	rc = virtqueue_setup(&d->vq_req, d->vdev, QUEUE_REQUEST);
	if (!rc)
		rc = virtqueue_setup(&d->vq_prio, d->vdev, QUEUE_HIPRIO);
	uk_pr_debug("Dev %p found %d virtqueues\n", d, rc ? 0 : 2);
	if (rc)
		return rc;
	virtio_status_set(d->vdev, virtio_status_get(d->vdev) |
			  VIRTIO_STATUS_DRIVER_OK);
	d->configured = true;
	return 0;
}

/* One FUSE request on the request queue: the request out, the reply in, polled */
int virtio_fs_request(struct virtio_fs_device *d, const void *req, u32 req_len,
		      void *reply, u32 reply_cap, u32 *reply_len)
{
	int rc = virtqueue_enqueue(&d->vq_req, req, req_len, reply, reply_cap);

	if (rc)
		return rc;
	virtqueue_kick(&d->vq_req);
	return virtqueue_wait_used(&d->vq_req, reply_len);
}

struct virtio_fs_device *virtio_fs_lookup(const char *tag)
{
	for (struct virtio_fs_device *d = vfs_devs; d; d = d->next)
		if (!strncmp(tag, d->tag, TAG_LEN))
			return d;
	return NULL;
}

bool virtio_fs_present(void)
{
	return vfs_devs != NULL;
}

static struct virtio_driver vfs_drv = {
	.device_type = VIRTIO_ID_FS,
	.add_dev = virtio_fs_add_dev,
};

static void virtio_fs_register(void)
{
	virtio_bus_register_driver(&vfs_drv);
}
UK_CTOR_PRIO(virtio_fs_register, 3);
