/*
 * 9pfs.c - the 9P filesystem (lib/9pfs): mounting = connect to the
 * tagged device, negotiate the version, attach (and walk into a
 * subdirectory if one was asked for); reading a file = walk, open,
 * read until EOF, clunk; writing = walk, open write-only with truncate,
 * write, clunk; removing = walk, remove.
 */
#define UK_LIBNAME "lib9pfs"
#include "9pfs.h"
#include "9p.h"
#include "print.h"
#include "param.h"

#define MSIZE 65536             /* > 8192, or QEMU warns about performance */
#define O_RDONLY 0
#define P9_OWRITE_TRUNC 0x11    /* 9P2000.u Topen: OWRITE | OTRUNC */
#define L_OWRONLY_TRUNC 0x201   /* 9P2000.L Tlopen: Linux O_WRONLY | O_TRUNC */

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

/* A new fid for `name` in the share's root: what reading, writing and removing begin with */
static int walk_to(const char *name, u32 *fid)
{
	struct uk_9p_qid qid;

	if (!mounted)
		return -ENODEV;
	*fid = next_fid++;
	return uk_9p_walk(&dev, root_fid, *fid, name, &qid);
}

s32 uk_9pfs_read_file(const char *name, char *buf, u32 cap)
{
	u32 fid, iounit, total = 0;
	s32 n;
	int rc;

	rc = walk_to(name, &fid);
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

s32 uk_9pfs_write_file(const char *name, const char *data, u32 len)
{
	u32 fid, iounit;
	s32 n;
	int rc;

	rc = walk_to(name, &fid);
	if (rc)
		return rc;
	rc = uk_9p_open(&dev, fid,
			dev.dotl ? L_OWRONLY_TRUNC : P9_OWRITE_TRUNC, &iounit);
	n = rc ? rc : uk_9p_write(&dev, fid, 0, len, data);
	uk_9p_clunk(&dev, fid);
	return n;
}

int uk_9pfs_remove(const char *name)
{
	u32 fid;
	int rc;

	rc = walk_to(name, &fid);
	if (rc)
		return rc;
	rc = uk_9p_remove(&dev, fid);
	/*
	 * The protocol clunks the fid even when the remove fails, but QEMU
	 * refuses every write request on a readonly=on export before looking
	 * at it, so the fid is still open there: clunk it (elsewhere this
	 * gets an error, which does not matter).
	 */
	if (rc)
		uk_9p_clunk(&dev, fid);
	return rc;
}
