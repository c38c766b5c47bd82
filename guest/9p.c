/*
 * 9p.c - 9P client requests as lib/uk9p/9p.c: serialize a T-message into
 * the device's tx buffer, send it over the transport, parse the reply.
 * 9P2000.u for the 0.4-0.10 eras (as Unikraft then), 9P2000.L for 0.17.
 * Every request and reply is logged at debug level like Unikraft does.
 */
#define UK_LIBNAME "libuk9p"
#include "9p.h"
#include "alloc.h"
#include "print.h"

enum {
	P9_RLERROR = 7, P9_TLOPEN = 12, P9_TVERSION = 100, P9_TATTACH = 104,
	P9_RERROR = 107, P9_TWALK = 110, P9_TOPEN = 112, P9_TREAD = 116,
	P9_TWRITE = 118, P9_TCLUNK = 120, P9_TREMOVE = 122,
};

#define P9_HDR 7                /* size[4] type[1] tag[2] */
#define BUF_ORDER_TX 0

/* ---- serialization (little endian, as the protocol) ---- */

static void put(struct uk_9pdev *d, u64 v, int n)
{
	for (int i = 0; i < n; i++, v >>= 8)
		if (d->tx_len < d->tx_cap)
			d->tx[d->tx_len++] = (u8)v;
}

static void put_str(struct uk_9pdev *d, const char *s)
{
	u16 len = (u16)strlen(s);

	put(d, len, 2);
	for (u16 i = 0; i < len; i++)
		put(d, (u8)s[i], 1);
}

static void begin(struct uk_9pdev *d, u8 type, u16 tag)
{
	d->tx_len = 0;
	put(d, 0, 4);           /* size, filled in by send() */
	put(d, type, 1);
	put(d, tag, 2);
}

static u64 get(struct uk_9pdev *d, int n)
{
	u64 v = 0;

	for (int i = 0; i < n; i++)
		if (d->rx_pos < d->rx_len)
			v |= (u64)d->rx[d->rx_pos++] << (8 * i);
	return v;
}

/* returns a pointer into rx; the string is not NUL-terminated */
static const char *get_str(struct uk_9pdev *d, u16 *len)
{
	const char *s;

	*len = (u16)get(d, 2);
	if (*len > d->rx_len - d->rx_pos)
		*len = (u16)(d->rx_len - d->rx_pos);
	s = (const char *)d->rx + d->rx_pos;
	d->rx_pos += *len;
	return s;
}

static void get_qid(struct uk_9pdev *d, struct uk_9p_qid *q)
{
	q->type = (u8)get(d, 1);
	q->version = (u32)get(d, 4);
	q->path = get(d, 8);
}

static const char *strerror(u32 e)
{
	switch (e) {
	case 1:  return "Operation not permitted";
	case 2:  return "No such file or directory";
	case 5:  return "Input/output error";
	case 13: return "Permission denied";
	case 20: return "Not a directory";
	case 21: return "Is a directory";
	case 22: return "Invalid argument";
	case 30: return "Read-only file system";
	case 95: return "Operation not supported";
	default: return "Unknown error";
	}
}

/* send the pending T-message; on success rx_pos points past the R header */
static int send(struct uk_9pdev *d)
{
	u8 ttype = d->tx[4], rtype;
	u32 size;
	int rc;

	for (int i = 0; i < 4; i++)
		d->tx[i] = (u8)(d->tx_len >> (8 * i));
	rc = d->trans->request(d->priv, d->tx, d->tx_len, d->rx, d->rx_cap,
			       &d->rx_len);
	if (rc)
		return rc;
	d->rx_pos = 0;
	size = (u32)get(d, 4);
	rtype = (u8)get(d, 1);
	(void)get(d, 2);        /* tag: one request in flight */
	if (d->rx_len < P9_HDR || size > d->rx_len)
		return -EIO;
	d->rx_len = size;

	if (rtype == P9_RERROR) {               /* 9P2000.u: ename[s] errno[4] */
		u16 len;
		const char *ename = get_str(d, &len);
		u32 err = (u32)get(d, 4);

		uk_pr_debug("RERROR %.*s %d\n", len, ename, (int)err);
		return (err == 0 || err >= 512) ? -EIO : -(int)err;
	}
	if (rtype == P9_RLERROR) {              /* 9P2000.L: ecode[4] */
		u32 err = (u32)get(d, 4);

		uk_pr_debug("RERROR %s %d\n", strerror(err), (int)err);
		return (err == 0 || err >= 512) ? -EIO : -(int)err;
	}
	return rtype == ttype + 1 ? 0 : -EIO;
}

int uk_9pdev_connect(struct uk_9pdev *d, const char *trans, const char *tag,
		     u32 msize, bool dotl)
{
	unsigned int rx_order = 0;
	int rc;

	memset(d, 0, sizeof(*d));
	d->trans = uk_9pdev_trans_by_name(trans);
	if (!d->trans)
		return -ENODEV;
	rc = d->trans->connect(tag, &d->priv);
	if (rc)
		return rc;
	while ((PAGE_SIZE << rx_order) < msize)
		rx_order++;
	d->tx = uk_palloc(BUF_ORDER_TX);
	d->rx = uk_palloc(rx_order);
	if (!d->tx || !d->rx)
		return -ENOMEM;
	d->tx_cap = PAGE_SIZE << BUF_ORDER_TX;
	d->rx_cap = PAGE_SIZE << rx_order;
	d->msize = msize;
	d->dotl = dotl;
	return 0;
}

int uk_9p_version(struct uk_9pdev *d)
{
	const char *want = d->dotl ? "9P2000.L" : "9P2000.u";
	const char *got;
	u32 msize;
	u16 len;
	int rc;

	uk_pr_debug("TVERSION msize %u version %s\n", d->msize, want);
	begin(d, P9_TVERSION, UK_9P_NOTAG);
	put(d, d->msize, 4);
	put_str(d, want);
	rc = send(d);
	if (rc)
		return rc;
	msize = (u32)get(d, 4);
	got = get_str(d, &len);
	uk_pr_debug("RVERSION msize %u version %.*s\n", msize, len, got);
	if (len != strlen(want) || memcmp(got, want, len))
		return -EIO;    /* server does not speak our dialect */
	if (msize < d->msize)
		d->msize = msize;
	return 0;
}

int uk_9p_attach(struct uk_9pdev *d, u32 fid, const char *uname,
		 const char *aname, u32 n_uname, struct uk_9p_qid *qid)
{
	int rc;

	uk_pr_debug("TATTACH fid %u afid %u uname %s aname %s n_uname %u\n",
		    fid, UK_9P_NOFID, uname, aname, n_uname);
	begin(d, P9_TATTACH, 0);
	put(d, fid, 4);
	put(d, UK_9P_NOFID, 4);
	put_str(d, uname);
	put_str(d, aname);
	put(d, n_uname, 4);
	rc = send(d);
	if (rc)
		return rc;
	get_qid(d, qid);
	uk_pr_debug("RATTACH qid type %u version %u path %llu\n", qid->type,
		    qid->version, qid->path);
	return 0;
}

int uk_9p_walk(struct uk_9pdev *d, u32 fid, u32 newfid, const char *name,
	       struct uk_9p_qid *qid)
{
	u16 nwqid;
	int rc;

	uk_pr_debug("TWALK fid %u newfid %u nwname %d name %s\n", fid, newfid,
		    1, name);
	begin(d, P9_TWALK, 0);
	put(d, fid, 4);
	put(d, newfid, 4);
	put(d, 1, 2);
	put_str(d, name);
	rc = send(d);
	if (rc)
		return rc;
	nwqid = (u16)get(d, 2);
	uk_pr_debug("RWALK nwqid %u\n", nwqid);
	if (nwqid != 1)
		return -ENOENT;
	get_qid(d, qid);
	return 0;
}

int uk_9p_open(struct uk_9pdev *d, u32 fid, u32 mode, u32 *iounit)
{
	struct uk_9p_qid qid;
	int rc;

	if (d->dotl) {
		uk_pr_debug("TLOPEN fid %u flags %u\n", fid, mode);
		begin(d, P9_TLOPEN, 0);
		put(d, fid, 4);
		put(d, mode, 4);
	} else {
		uk_pr_debug("TOPEN fid %u mode %u\n", fid, mode);
		begin(d, P9_TOPEN, 0);
		put(d, fid, 4);
		put(d, mode, 1);
	}
	rc = send(d);
	if (rc)
		return rc;
	get_qid(d, &qid);
	*iounit = (u32)get(d, 4);
	uk_pr_debug("%s qid type %u version %u path %llu iounit %u\n",
		    d->dotl ? "RLOPEN" : "ROPEN", qid.type, qid.version,
		    qid.path, *iounit);
	return 0;
}

s32 uk_9p_read(struct uk_9pdev *d, u32 fid, u64 offset, u32 count, char *buf)
{
	u32 got;
	int rc;

	count = MIN(count, d->msize - 11);      /* 11 = Rread header */
	count = MIN(count, d->rx_cap - 11);
	uk_pr_debug("TREAD fid %u offset %llu count %u\n", fid, offset, count);
	begin(d, P9_TREAD, 0);
	put(d, fid, 4);
	put(d, offset, 8);
	put(d, count, 4);
	rc = send(d);
	if (rc)
		return rc;
	got = (u32)get(d, 4);
	if (got > count || got > d->rx_len - d->rx_pos)
		return -EIO;
	memcpy(buf, d->rx + d->rx_pos, got);
	uk_pr_debug("RREAD count %u\n", got);
	return (s32)got;
}

int uk_9p_clunk(struct uk_9pdev *d, u32 fid)
{
	int rc;

	uk_pr_debug("TCLUNK fid %u\n", fid);
	begin(d, P9_TCLUNK, 0);
	put(d, fid, 4);
	rc = send(d);
	if (rc)
		return rc;
	uk_pr_debug("RCLUNK\n");
	return 0;
}

s32 uk_9p_write(struct uk_9pdev *d, u32 fid, u64 offset, u32 count,
		const char *buf)
{
	u32 done;
	int rc;

	count = MIN(count, d->msize - 23);      /* 23 = Twrite header */
	count = MIN(count, d->tx_cap - 23);
	uk_pr_debug("TWRITE fid %u offset %llu count %u\n", fid, offset, count);
	begin(d, P9_TWRITE, 0);
	put(d, fid, 4);
	put(d, offset, 8);
	put(d, count, 4);
	for (u32 i = 0; i < count; i++)
		put(d, (u8)buf[i], 1);
	rc = send(d);
	if (rc)
		return rc;
	done = (u32)get(d, 4);
	uk_pr_debug("RWRITE count %u\n", done);
	return done > count ? -EIO : (s32)done;
}

/* Tremove exists in both dialects; the server clunks the fid even when it refuses */
int uk_9p_remove(struct uk_9pdev *d, u32 fid)
{
	int rc;

	uk_pr_debug("TREMOVE fid %u\n", fid);
	begin(d, P9_TREMOVE, 0);
	put(d, fid, 4);
	rc = send(d);
	if (rc)
		return rc;
	uk_pr_debug("RREMOVE\n");
	return 0;
}
