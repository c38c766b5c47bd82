/* vfs.h - the tiny VFS: one mount, at /. */
#ifndef VFS_H
#define VFS_H

#include "uk.h"

/* opts: subdirectory of the export to use as root ("" for the export root) */
int mount(const char *dev, const char *dir, const char *fstype,
	  const char *opts);

#endif /* VFS_H */
