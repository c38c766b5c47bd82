/* virtio_bus.c - virtio driver registry; brings a new device to DRIVER state and hands it over. */
#define UK_LIBNAME era_lib("libkvmvirtio", "libvirtio_bus")
#include "virtio.h"
#include "print.h"
#include "param.h"

static struct virtio_driver *drivers;

void virtio_bus_register_driver(struct virtio_driver *drv)
{
	drv->next = drivers;
	drivers = drv;
}

int virtio_bus_init_drivers(void)
{
	for (struct virtio_driver *drv = drivers; drv; drv = drv->next)
		if (drv->init)
			drv->init();
	return 0;
}

int virtio_bus_register_device(struct virtio_dev *vdev)
{
	struct virtio_driver *drv;

	/* virtio spec 3.1.1: reset, then ACKNOWLEDGE and DRIVER */
	virtio_reset(vdev);
	virtio_status_set(vdev, VIRTIO_STATUS_ACK);
	virtio_status_set(vdev, VIRTIO_STATUS_ACK | VIRTIO_STATUS_DRIVER);
	uk_pr_info("Virtio device %p initialized\n", vdev);

	for (drv = drivers; drv; drv = drv->next)
		if (drv->device_type == vdev->device_type)
			break;
	if (!drv) {
		uk_pr_warn("No driver for virtio device type %u\n",
			   vdev->device_type);
		return -ENODEV;
	}
	vdev->drv = drv;
	return drv->add_dev(vdev);
}
