/* mount.c - vfscore's mount(): pick the filesystem driver by name and mount it. */
#define UK_LIBNAME "libvfscore"
#include "vfs.h"
#include "9pfs.h"
#include "virtiofs.h"
#include "print.h"
#include "param.h"

int mount(const char *dev, const char *dir, const char *fstype,
	  const char *opts)
{
	if (!era_at_least(ERA_0_20))    /* vfscore's; posix-vfs says nothing */
		uk_pr_info("VFS: mounting %s at %s\n", fstype, dir);
	if (!strcmp(fstype, "virtiofs"))
		return uk_virtiofs_mount(dev, opts);
	if (strcmp(fstype, "9pfs"))
		return -ENODEV;
	return uk_9pfs_mount(dev, opts);
}
