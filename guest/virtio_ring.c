/*
 * virtio_ring.c - split virtqueues in the legacy layout (descriptor
 * table, avail ring, then the used ring on the next page boundary), in
 * page-aligned memory from the page allocator. One request at a time:
 * an out and an in descriptor, kick, then poll the used ring
 * (interrupts stay masked in this guest).
 */
#define UK_LIBNAME era_lib("libkvmvirtio", "libvirtio_ring")
#include "virtio.h"
#include "alloc.h"
#include "print.h"
#include "param.h"
#include "tscclock.h"
#include "io.h"

#define VQ_TIMEOUT_MS 5000

static u32 vring_size(u16 num)
{
	u32 avail_end = 16u * num + 2u * (3 + num);

	return ALIGN_UP(avail_end, PAGE_SIZE) + 2u * 3 + 8u * num;
}

int virtqueue_setup(struct virtqueue *vq, struct virtio_dev *vdev, u16 index)
{
	u16 num = virtio_queue_size(vdev, index);
	u32 size, order = 0;

	if (!num)
		return -ENOENT;
	size = vring_size(num);
	while ((PAGE_SIZE << order) < size)
		order++;
	vq->mem = uk_palloc(order);
	if (!vq->mem)
		return -ENOMEM;
	memset(vq->mem, 0, PAGE_SIZE << order);
	vq->mem_order = order;
	vq->vdev = vdev;
	vq->index = index;
	vq->num = num;
	vq->last_used = 0;
	vq->desc = vq->mem;
	vq->avail = (volatile u16 *)((u8 *)vq->mem + 16u * num);
	vq->used = (volatile u16 *)((u8 *)vq->mem +
		ALIGN_UP(16u * num + 2u * (3 + num), PAGE_SIZE));
	vq->avail[0] = VIRTQ_AVAIL_F_NO_INTERRUPT;      /* we poll */
	virtio_queue_activate(vdev, index, (uintptr_t)vq->mem);
	return 0;
}

int virtqueue_enqueue(struct virtqueue *vq, const void *out, u32 out_len,
		      void *in, u32 in_cap)
{
	u16 avail_idx = vq->avail[1];

	vq->desc[0] = (struct virtq_desc){ (uintptr_t)out, out_len,
					   VIRTQ_DESC_F_NEXT, 1 };
	vq->desc[1] = (struct virtq_desc){ (uintptr_t)in, in_cap,
					   VIRTQ_DESC_F_WRITE, 0 };
	vq->avail[2 + avail_idx % vq->num] = 0;         /* chain head */
	barrier();
	vq->avail[1] = avail_idx + 1;   /* publish after the ring entry */
	barrier();
	uk_pr_debug("Old head:%u, new head:%u, total_desc:%u\n", 0u, 2u, 2u);
	return 0;
}

void virtqueue_kick(struct virtqueue *vq)
{
	virtio_queue_notify(vq->vdev, vq->index);
}

int virtqueue_wait_used(struct virtqueue *vq, u32 *in_len)
{
	const volatile struct virtq_used_elem *elem;
	u32 start = ukplat_monotonic_ms();

	while (vq->used[1] == vq->last_used) {
		if (ukplat_monotonic_ms() - start > VQ_TIMEOUT_MS) {
			uk_pr_err("virtqueue %u: no reply from device\n",
				  vq->index);
			return -ETIMEDOUT;
		}
		cpu_relax();
	}
	barrier();
	elem = (const volatile struct virtq_used_elem *)
		((const volatile u8 *)vq->used + 4 +
		 8u * (vq->last_used % vq->num));
	*in_len = elem->len;
	vq->last_used++;
	return 0;
}
