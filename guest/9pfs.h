/* 9pfs.h - the one mounted 9P filesystem. */
#ifndef UK_9PFS_H
#define UK_9PFS_H

#include "uk.h"

int uk_9pfs_mount(const char *tag, const char *subdir);
bool uk_9pfs_mounted(void);
/* read up to cap bytes of a file in the mounted root; returns length */
s32 uk_9pfs_read_file(const char *name, char *buf, u32 cap);
/* replace a file's content with len bytes of data; returns bytes written */
s32 uk_9pfs_write_file(const char *name, const char *data, u32 len);
/* remove a file from the mounted root */
int uk_9pfs_remove(const char *name);

#endif /* UK_9PFS_H */
