/*
 * virtiofs.c - the VirtioFS filesystem: FUSE requests over the
 * virtio-fs request queue. Mounting = configure the device (vhost-user
 * starts), FUSE_INIT, and a FUSE_LOOKUP of the subdirectory if one was
 * asked for; reading a file = FUSE_LOOKUP, FUSE_OPEN, FUSE_READ until
 * EOF, FUSE_RELEASE. Unikraft 0.21 prints nothing here on success (the
 * handshake happens at the first open); this guest logs each request
 * and reply at debug level, as its 9P client does, so that uktrace sees
 * the FUSE handshake: FUSE_INIT ... until its reply.
 */
#define UK_LIBNAME "libvirtiofs"
#include "virtiofs.h"
#include "virtio.h"
#include "alloc.h"
#include "print.h"

enum {
	FUSE_LOOKUP = 1, FUSE_OPEN = 14, FUSE_READ = 15, FUSE_RELEASE = 18,
	FUSE_INIT = 26,
};

#define FUSE_KERNEL_VERSION 7
#define FUSE_KERNEL_MINOR   31          /* before the 7.36 extension of fuse_init_in */
#define FUSE_ROOT_ID        1
#define O_RDONLY            0
#define BUF_ORDER           4           /* 64 KiB for a request or a reply */
#define MAX_READ            (32u * 1024)

struct fuse_in_header {
	u32 len, opcode;
	u64 unique, nodeid;
	u32 uid, gid, pid;
	u16 total_extlen, padding;
} __packed;

struct fuse_out_header {
	u32 len;
	s32 error;
	u64 unique;
} __packed;

struct fuse_init_in {
	u32 major, minor, max_readahead, flags;
} __packed;

struct fuse_init_out {
	u32 major, minor, max_readahead, flags;
	u16 max_background, congestion_threshold;
	u32 max_write, time_gran;
	u16 max_pages, map_alignment;
	u32 flags2, unused[7];
} __packed;

struct fuse_entry_out {
	u64 nodeid, generation, entry_valid, attr_valid;
	u32 entry_valid_nsec, attr_valid_nsec;
	u64 ino, size;                  /* struct fuse_attr begins: what is read of it */
	u8 attr_rest[72];
} __packed;

struct fuse_open_in {
	u32 flags, open_flags;
} __packed;

struct fuse_open_out {
	u64 fh;
	u32 open_flags, padding;
} __packed;

struct fuse_read_in {
	u64 fh, offset;
	u32 size, read_flags;
	u64 lock_owner;
	u32 flags, padding;
} __packed;

struct fuse_release_in {
	u64 fh;
	u32 flags, release_flags;
	u64 lock_owner;
} __packed;

static struct virtio_fs_device *dev;
static u8 *req, *rep;
static u64 unique;
static u64 root_nodeid = FUSE_ROOT_ID;
static bool mounted;

static const char *strerror(int e)
{
	switch (e) {
	case 1:  return "Operation not permitted";
	case 2:  return "No such file or directory";
	case 5:  return "Input/output error";
	case 13: return "Permission denied";
	case 22: return "Invalid argument";
	case 30: return "Read-only file system";
	case 38: return "Function not implemented";
	default: return "Unknown error";
	}
}

/*
 * Send `opcode` for `nodeid` with `arg` (and a NUL-terminated `name`
 * after it, when given); on success the reply's payload is at
 * rep + sizeof(struct fuse_out_header), `*payload` bytes long.
 */
static int call(u32 opcode, u64 nodeid, const void *arg, u32 arg_len,
		const char *name, u32 reply_cap, u32 *payload)
{
	struct fuse_in_header *in = (struct fuse_in_header *)req;
	const struct fuse_out_header *out = (const struct fuse_out_header *)rep;
	u32 len = sizeof(*in) + arg_len, got;
	int rc;

	memset(in, 0, sizeof(*in));
	memcpy(req + sizeof(*in), arg, arg_len);
	if (name) {
		memcpy(req + len, name, strlen(name) + 1);
		len += strlen(name) + 1;
	}
	in->len = len;
	in->opcode = opcode;
	in->unique = ++unique;
	in->nodeid = nodeid;
	rc = virtio_fs_request(dev, req, len, rep,
			       sizeof(struct fuse_out_header) + reply_cap, &got);
	if (rc)
		return rc;
	if (got < sizeof(*out) || out->unique != unique)
		return -EIO;
	if (out->error) {
		uk_pr_debug("FUSE error %d (%s) for opcode %u\n", (int)out->error,
			    strerror(-out->error), opcode);
		return out->error;
	}
	*payload = MIN(got, out->len) - (u32)sizeof(*out);
	return 0;
}

static void *payload_of(void)
{
	return rep + sizeof(struct fuse_out_header);
}

static int fuse_init(void)
{
	struct fuse_init_in arg = { FUSE_KERNEL_VERSION, FUSE_KERNEL_MINOR, 0, 0 };
	struct fuse_init_out *got = payload_of();
	u32 len;
	int rc;

	uk_pr_debug("FUSE_INIT major %u minor %u\n", arg.major, arg.minor);
	rc = call(FUSE_INIT, 0, &arg, sizeof(arg), NULL, sizeof(*got), &len);
	if (rc)
		return rc;
	if (len < 24 || got->major != FUSE_KERNEL_VERSION)
		return -EIO;    /* not a protocol we speak */
	uk_pr_debug("FUSE_INIT reply major %u minor %u max_write %u\n",
		    got->major, got->minor, got->max_write);
	return 0;
}

static int lookup(u64 parent, const char *name, u64 *nodeid, u64 *size)
{
	struct fuse_entry_out *entry = payload_of();
	u32 len;
	int rc;

	uk_pr_debug("FUSE_LOOKUP parent %llu name %s\n", parent, name);
	rc = call(FUSE_LOOKUP, parent, NULL, 0, name, sizeof(*entry), &len);
	if (rc)
		return rc;
	if (len < 56 || !entry->nodeid)
		return -2;      /* ENOENT: a negative entry */
	*nodeid = entry->nodeid;
	*size = entry->size;
	uk_pr_debug("FUSE_LOOKUP reply nodeid %llu size %llu\n", *nodeid, *size);
	return 0;
}

int uk_virtiofs_mount(const char *tag, const char *subdir)
{
	u64 size;
	int rc;

	dev = virtio_fs_lookup(tag);
	if (!dev)
		return -ENODEV;
	req = uk_palloc(BUF_ORDER);
	rep = uk_palloc(BUF_ORDER);
	if (!req || !rep)
		return -ENOMEM;
	rc = virtio_fs_configure(dev);
	if (rc) {
		uk_pr_err("Failed to configure virtio-fs device %s: %d\n", tag, rc);
		return rc;
	}
	rc = fuse_init();
	if (rc) {
		uk_pr_err("FUSE_INIT failed on %s: %d\n", tag, rc);
		return rc;
	}
	if (subdir && *subdir) {
		rc = lookup(FUSE_ROOT_ID, subdir, &root_nodeid, &size);
		if (rc)
			return rc;
	}
	mounted = true;
	return 0;
}

bool uk_virtiofs_mounted(void)
{
	return mounted;
}

s32 uk_virtiofs_read_file(const char *name, char *buf, u32 cap)
{
	struct fuse_open_in open_in = { O_RDONLY, 0 };
	struct fuse_read_in read_in;
	struct fuse_release_in release_in;
	u64 nodeid, size, fh;
	u32 total = 0, len;
	int rc;

	if (!mounted)
		return -ENODEV;
	rc = lookup(root_nodeid, name, &nodeid, &size);
	if (rc)
		return rc;
	uk_pr_debug("FUSE_OPEN nodeid %llu flags %u\n", nodeid, open_in.flags);
	rc = call(FUSE_OPEN, nodeid, &open_in, sizeof(open_in), NULL,
		  sizeof(struct fuse_open_out), &len);
	if (rc)
		return rc;
	fh = ((struct fuse_open_out *)payload_of())->fh;
	uk_pr_debug("FUSE_OPEN reply fh %llu\n", fh);
	do {
		memset(&read_in, 0, sizeof(read_in));
		read_in.fh = fh;
		read_in.offset = total;
		read_in.size = MIN(cap - total, MAX_READ);
		uk_pr_debug("FUSE_READ fh %llu offset %u size %u\n", fh, total,
			    read_in.size);
		rc = call(FUSE_READ, nodeid, &read_in, sizeof(read_in), NULL,
			  read_in.size, &len);
		if (rc)
			break;
		memcpy(buf + total, payload_of(), len);
		total += len;
		uk_pr_debug("FUSE_READ reply %u bytes\n", len);
	} while (len > 0 && total < cap);
	memset(&release_in, 0, sizeof(release_in));
	release_in.fh = fh;
	uk_pr_debug("FUSE_RELEASE fh %llu\n", fh);
	if (!call(FUSE_RELEASE, nodeid, &release_in, sizeof(release_in), NULL,
		  0, &len))
		uk_pr_debug("FUSE_RELEASE reply\n");
	return rc ? rc : (s32)total;
}
