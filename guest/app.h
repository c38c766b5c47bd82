/* app.h - application helpers. */
#ifndef APP_H
#define APP_H

#include "uk.h"

/* print at least kib KiB of debug printk lines, as fast as possible */
void app_flood(u32 kib);

#endif /* APP_H */
