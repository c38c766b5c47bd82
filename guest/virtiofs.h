/* virtiofs.h - the one mounted VirtioFS filesystem (FUSE over virtio-fs). */
#ifndef UK_VIRTIOFS_H
#define UK_VIRTIOFS_H

#include "uk.h"

int uk_virtiofs_mount(const char *tag, const char *subdir);
bool uk_virtiofs_mounted(void);
/* read up to cap bytes of a file in the mounted root; returns length */
s32 uk_virtiofs_read_file(const char *name, char *buf, u32 cap);

#endif /* UK_VIRTIOFS_H */
