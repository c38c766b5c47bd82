/*
 * rootfs.c - the init function that mounts the root filesystem: the 9P
 * share with mount tag fs0, or the VirtioFS share with tag fs0 when the
 * guest has a virtio-fs device and no 9P one. Without either nothing is
 * configured to mount and it returns silently, as Unikraft does.
 * uktrace.fault=mountfail makes the mount really fail: it asks for a
 * root directory that the share does not have (RERROR from the server),
 * or, without a 9P device, for a tag nobody exports.
 * uktrace.delay=mount:MS waits after the mount, before the banner; with
 * nothing to mount there is no mount phase to stretch, so it only warns.
 * 0.20+ mounts from lib/posix-vfs-fstab's built-in table (fstab.c): every
 * line of it is dbg, and a failed mount prints nothing of its own (the
 * init error says it).
 */
#define UK_LIBNAME "libvfscore"
#include "vfs.h"
#include "virtio.h"
#include "boot.h"
#include "print.h"
#include "param.h"

#define ROOTDEV "fs0"
#define ROOTFS  "9pfs"
#define MISSING_ROOT "uktrace-no-such-dir"

#define FSTAB_ENTRIES 1       /* fs0:/:9pfs */
/* lines of lib/posix-vfs-fstab, printed as its fstab.c prints them */
#define fstab_debug(fmt, ...) \
	_uk_printk(KLVL_DEBUG, "libposix_vfs_fstab", "fstab.c", __LINE__, \
		   fmt, ##__VA_ARGS__)

static int fstab_mount(const char *fstype, bool fail)
{
	int rc;

	fstab_debug("Mounting from built-in fstab (%u entries)...\n",
		    FSTAB_ENTRIES);
	rc = mount(ROOTDEV, "/", fstype, fail ? MISSING_ROOT : "");
	knobs_delay(DELAY_MOUNT);
	if (rc)
		return rc;
	fstab_debug("Successfully mounted %d volumes\n", FSTAB_ENTRIES);
	fstab_debug("Mounted %d entries total\n", FSTAB_ENTRIES);
	return 0;
}

static int vfscore_rootfs(void)
{
	bool fail = knobs.fault == FAULT_MOUNTFAIL;
	const char *fstype = ROOTFS;
	int rc;

	if (!virtio_9p_present() && virtio_fs_present())
		fstype = "virtiofs";
	else if (!virtio_9p_present() && !fail) {
		if (knobs.delay_ms[DELAY_MOUNT])
			uk_pr_warn("uktrace.delay=mount:%u ignored: no 9P device to mount\n",
				   knobs.delay_ms[DELAY_MOUNT]);
		return 0;
	}
	/* 0.14+ automount no longer announces 9pfs root mounts */
	if (!era_at_least(ERA_0_17))
		uk_pr_info("Mount %s to /...\n", fstype);
	if (era_at_least(ERA_0_20))
		return fstab_mount(fstype, fail);
	rc = mount(ROOTDEV, "/", fstype, fail ? MISSING_ROOT : "");
	knobs_delay(DELAY_MOUNT);
	if (rc) {
		if (era_at_least(ERA_0_10))     /* 0.4/0.5: "Failed to mount /" */
			uk_pr_crit("Failed to mount %s (%s) at /: %d\n",
				   ROOTDEV, fstype, rc);
		else
			uk_pr_crit("Failed to mount /: %d\n", rc);
		return -1;
	}
	return 0;
}
uk_initcall_prio(vfscore_rootfs, 5);
