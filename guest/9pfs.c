/*
 * 9pfs.c - the 9P filesystem (lib/9pfs): mounting = connect to the
 * tagged device, negotiate the version, attach (and walk into a
 * subdirectory if one was asked for); reading a file = walk, open,
 * read until EOF, clunk.
 */
#define UK_LIBNAME "lib9pfs"
#include "9pfs.h"
#include "9p.h"
#include "print.h"
#include "param.h"

#define MSIZE 65536             /* > 8192, or QEMU warns about performance */
#define O_RDONLY 0

static struct uk_9pdev dev;
static bool mounted;
static u32 root_fid;
static u32 next_fid;

int uk_9pfs_mount(const char *tag, const char *subdir)
{
	struct uk_9p_qid qid;
	int rc;

	rc = uk_9pdev_connect(&dev, "virtio", tag, MSIZE,
			      era_at_least(ERA_0_17));
	if (rc)
		return rc;
	rc = uk_9p_version(&dev);
	if (rc) {
		uk_pr_warn("Could not negotiate protocol %s\n",
			   dev.dotl ? "9P2000.L" : "9P2000.u");
		return rc;
	}
	rc = uk_9p_attach(&dev, 0, "root", "", 0, &qid);
	if (rc)
		return rc;
	root_fid = 0;
	next_fid = 1;
	if (subdir && *subdir) {
		rc = uk_9p_walk(&dev, 0, next_fid, subdir, &qid);
		if (rc) {
			uk_9p_clunk(&dev, 0);
			return rc;
		}
		root_fid = next_fid++;
	}
	mounted = true;
	return 0;
}

bool uk_9pfs_mounted(void)
{
	return mounted;
}

s32 uk_9pfs_read_file(const char *name, char *buf, u32 cap)
{
	struct uk_9p_qid qid;
	u32 fid = next_fid++, iounit, total = 0;
	s32 n;
	int rc;

	if (!mounted)
		return -ENODEV;
	rc = uk_9p_walk(&dev, root_fid, fid, name, &qid);
	if (rc)
		return rc;
	rc = uk_9p_open(&dev, fid, O_RDONLY, &iounit);
	if (rc)
		goto out;
	do {
		u32 count = cap - total;

		if (iounit)
			count = MIN(count, iounit);
		n = uk_9p_read(&dev, fid, total, count, buf + total);
		if (n < 0) {
			rc = n;
			goto out;
		}
		total += (u32)n;
	} while (n > 0 && total < cap);
out:
	uk_9p_clunk(&dev, fid);
	return rc ? rc : (s32)total;
}
