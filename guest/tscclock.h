/* tscclock.h - TSC clock calibrated against the i8254 PIT. */
#ifndef TSCCLOCK_H
#define TSCCLOCK_H

#include "uk.h"

void tsc_mark_boot(void);               /* first thing at entry */
int tscclock_init(void);                /* calibrate; logs like Unikraft */
bool tscclock_ready(void);
/* seconds.microseconds since boot; 0.000000 until calibrated */
void ukplat_monotonic_split(u32 *sec, u32 *usec);
/* milliseconds since boot (0 until calibrated) */
u32 ukplat_monotonic_ms(void);
/* busy-wait ms milliseconds: TSC once calibrated, i8254 before */
void ukplat_delay_ms(u32 ms);

#endif /* TSCCLOCK_H */
