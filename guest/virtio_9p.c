/*
 * virtio_9p.c - the virtio 9P transport driver: negotiate MOUNT_TAG,
 * read the tag from device config, set up request queue 0, DRIVER_OK.
 * Registers the "virtio" 9P transport when the driver initializes.
 */
#define UK_LIBNAME era_lib("libkvmvirtio9p", "libvirtio_9p")
#include "virtio.h"
#include "9pdev.h"
#include "boot.h"
#include "alloc.h"
#include "print.h"
#include "param.h"

#define VIRTIO_9P_F_MOUNT_TAG (1u << 0)
#define TAG_MAX 64

struct virtio_9p_device {
	struct virtio_9p_device *next;
	struct virtio_dev *vdev;
	struct virtqueue vq;
	char tag[TAG_MAX];
};

static struct virtio_9p_device *v9p_devs;

static int virtio_9p_connect(const char *tag, void **priv)
{
	for (struct virtio_9p_device *d = v9p_devs; d; d = d->next) {
		if (!strcmp(d->tag, tag)) {
			*priv = d;
			return 0;
		}
	}
	return -ENOENT;
}

static int virtio_9p_request(void *priv, const void *tx, u32 tx_len,
			     void *rx, u32 rx_cap, u32 *rx_len)
{
	struct virtio_9p_device *d = priv;
	int rc = virtqueue_enqueue(&d->vq, tx, tx_len, rx, rx_cap);

	if (rc)
		return rc;
	uk_pr_debug("notify queue %u\n", d->vq.index);
	virtqueue_kick(&d->vq);
	return virtqueue_wait_used(&d->vq, rx_len);
}

static struct uk_9pdev_trans v9p_trans = {
	.name = "virtio",
	.connect = virtio_9p_connect,
	.request = virtio_9p_request,
};

static int virtio_9p_add_dev(struct virtio_dev *vdev)
{
	struct virtio_9p_device *d = uk_palloc(0);
	u32 features = virtio_features_get(vdev) & VIRTIO_9P_F_MOUNT_TAG;
	u16 len;
	int rc;

	if (!d)
		return -ENOMEM;
	memset(d, 0, sizeof(*d));
	d->vdev = vdev;
	if (!features) {
		uk_pr_err("virtio-9p: Host system does not offer MOUNT_TAG feature\n");
		rc = -EINVAL;
		goto fail;
	}
	virtio_features_set(vdev, features);

	len = virtio_config_read16(vdev, 0);    /* struct { u16 tag_len; u8 tag[]; } */
	if (len >= TAG_MAX) {
		uk_pr_err("virtio-9p: Mount tag too long (%u)\n", len);
		rc = -EINVAL;
		goto fail;
	}
	for (u16 i = 0; i < len; i++)
		d->tag[i] = (char)virtio_config_read8(vdev, 2 + i);

	rc = virtqueue_setup(&d->vq, vdev, 0);
	if (rc) {
		uk_pr_err("virtio-9p: Failed to set up virtqueue: %d\n", rc);
		goto fail;
	}
	uk_pr_info("virtio-9p: Configured: features=0x%x tag=%s\n", features,
		   d->tag);

	virtio_status_set(vdev, virtio_status_get(vdev) | VIRTIO_STATUS_DRIVER_OK);
	d->next = v9p_devs;
	v9p_devs = d;
	uk_pr_info("virtio-9p: %s started\n", d->tag);
	return 0;

fail:
	uk_pfree(d, 0);
	return rc;
}

static int virtio_9p_drv_init(void)
{
	uk_9pdev_trans_register(&v9p_trans);
	return 0;
}

static struct virtio_driver v9p_drv = {
	.device_type = VIRTIO_ID_9P,
	.init = virtio_9p_drv_init,
	.add_dev = virtio_9p_add_dev,
};

static void virtio_9p_register(void)
{
	virtio_bus_register_driver(&v9p_drv);
}
UK_CTOR_PRIO(virtio_9p_register, 3);

bool virtio_9p_present(void)
{
	return v9p_devs != NULL;
}
