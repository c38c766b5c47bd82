/* 9p.h - 9P2000.u / 9P2000.L client requests (lib/uk9p). */
#ifndef UK_9P_H
#define UK_9P_H

#include "9pdev.h"

#define UK_9P_NOFID   0xffffffffu
#define UK_9P_NOTAG   0xffff

struct uk_9p_qid {
	u8 type;
	u32 version;
	u64 path;
};

/* connect to the device with mount tag `tag` over transport `trans` */
int uk_9pdev_connect(struct uk_9pdev *dev, const char *trans,
		     const char *tag, u32 msize, bool dotl);

int uk_9p_version(struct uk_9pdev *dev);
int uk_9p_attach(struct uk_9pdev *dev, u32 fid, const char *uname,
		 const char *aname, u32 n_uname, struct uk_9p_qid *qid);
int uk_9p_walk(struct uk_9pdev *dev, u32 fid, u32 newfid, const char *name,
	       struct uk_9p_qid *qid);
int uk_9p_open(struct uk_9pdev *dev, u32 fid, u32 mode, u32 *iounit);
s32 uk_9p_read(struct uk_9pdev *dev, u32 fid, u64 offset, u32 count,
	       char *buf);
int uk_9p_clunk(struct uk_9pdev *dev, u32 fid);
s32 uk_9p_write(struct uk_9pdev *dev, u32 fid, u64 offset, u32 count,
		const char *buf);
int uk_9p_remove(struct uk_9pdev *dev, u32 fid);

#endif /* UK_9P_H */
