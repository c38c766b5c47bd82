/* app.h - application helpers. */
#ifndef APP_H
#define APP_H

#include "uk.h"

/* print at least kib KiB of debug printk lines, as fast as possible */
void app_flood(u32 kib);

/* uktrace.fs_write=1: overwrite hello.txt, remove victim.txt, log each outcome */
void app_fs_write(void);

/*
 * uktrace.serve: wait delay_ms, print `Listening on port N`, then take
 * console commands until `quit [CODE]`; returns CODE
 */
int app_serve(u32 delay_ms, u32 port);

#endif /* APP_H */
