/* flood.c - uktrace.fault=flood=N: N KiB of debug lines at full speed. */
#define UK_LIBNAME "appflood"
#include "app.h"
#include "console.h"
#include "print.h"

void app_flood(u32 kib)
{
	u32 start, now, hash, line = 0;

	serial_integrity(&start, &hash);
	do {
		uk_pr_debug("flood line %u: the quick brown fox jumps over the lazy dog\n",
			    line++);
		serial_integrity(&now, &hash);
	} while (now - start < kib * 1024u);
}
