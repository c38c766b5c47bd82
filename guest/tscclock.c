/*
 * tscclock.c - calibrate the TSC against the i8254 PIT the way
 * Unikraft's plat/kvm/x86/tscclock.c does (channel 0 in rate-generator
 * mode at 100 Hz, poll its counter for a fixed delay, count TSC ticks),
 * but over 25 ms instead of 100 ms to keep TCG boots short. Time is
 * then measured from the TSC reading taken at kernel entry.
 * ukplat_delay_ms() busy-waits for uktrace.delay: on the TSC once it is
 * calibrated, before that by polling the i8254 as the calibration does.
 */
#define UK_LIBNAME "libkvmplat"
#include "tscclock.h"
#include "print.h"
#include "io.h"

#define TIMER_CNTR      0x40
#define TIMER_MODE      0x43
#define TIMER_SEL0      0x00
#define TIMER_LATCH     0x00
#define TIMER_RATEGEN   0x04
#define TIMER_ONESHOT   0x08
#define TIMER_16BIT     0x30
#define TIMER_HZ        1193182u
#define TIMER_RELOAD    (TIMER_HZ / 100)

#define CALIBRATE_US    25000u  /* measurement window */

static u64 tsc_boot;            /* TSC at entry: time 0 */
static u32 tsc_freq;            /* Hz, after shifting by tsc_shift */
static unsigned int tsc_shift;  /* keeps tsc_freq within 32 bits */

void tsc_mark_boot(void)
{
	tsc_boot = rdtsc();
}

bool tscclock_ready(void)
{
	return tsc_freq != 0;
}

static u32 i8254_gettick(void)
{
	u8 lo, hi;

	outb(TIMER_MODE, TIMER_SEL0 | TIMER_LATCH);
	lo = inb(TIMER_CNTR);
	hi = inb(TIMER_CNTR);
	return ((u32)hi << 8) | lo;
}

/* Busy-wait n microseconds by following the down-counting channel 0. */
static void i8254_delay(u32 us)
{
	u32 cur, last = i8254_gettick();
	s32 remaining = (s32)udiv64_32((u64)us * TIMER_HZ, 1000000u, NULL);

	while (remaining > 1) {
		cur = i8254_gettick();
		if (cur > last)         /* wrapped through the reload value */
			remaining -= TIMER_RELOAD - (cur - last);
		else
			remaining -= last - cur;
		last = cur;
	}
}

/* Channel 0 as a 100 Hz rate generator, the reload i8254_delay() expects */
static void i8254_rategen(void)
{
	outb(TIMER_MODE, TIMER_SEL0 | TIMER_RATEGEN | TIMER_16BIT);
	outb(TIMER_CNTR, TIMER_RELOAD & 0xff);
	outb(TIMER_CNTR, TIMER_RELOAD >> 8);
}

int tscclock_init(void)
{
	u64 t0, ticks;

	uk_pr_info("Calibrating TSC clock against i8254 timer\n");
	i8254_rategen();

	t0 = rdtsc();
	i8254_delay(CALIBRATE_US);
	ticks = (rdtsc() - t0) * (1000000u / CALIBRATE_US);

	/* keep the divisor in 32 bits even for TSCs above 4.29 GHz */
	for (tsc_shift = 0; (ticks >> tsc_shift) > 0xffffffffull; tsc_shift++)
		;
	tsc_freq = (u32)(ticks >> tsc_shift);
	if (!tsc_freq)
		tsc_freq = 1;
	uk_pr_info("Clock source: TSC, frequency estimate is %llu Hz\n", ticks);

	/* channel 0 to one-shot mode, as Unikraft leaves it */
	outb(TIMER_MODE, TIMER_SEL0 | TIMER_ONESHOT | TIMER_16BIT);
	return 0;
}

void ukplat_monotonic_split(u32 *sec, u32 *usec)
{
	u64 delta;
	u32 rem;

	if (!tsc_freq) {
		*sec = *usec = 0;
		return;
	}
	delta = (rdtsc() - tsc_boot) >> tsc_shift;
	*sec = (u32)udiv64_32(delta, tsc_freq, &rem);
	*usec = (u32)udiv64_32((u64)rem * 1000000u, tsc_freq, NULL);
}

u32 ukplat_monotonic_ms(void)
{
	u32 sec, usec;

	ukplat_monotonic_split(&sec, &usec);
	return sec * 1000u + usec / 1000u;
}

void ukplat_delay_ms(u32 ms)
{
	u64 t0 = rdtsc(), ticks;

	if (!tsc_freq) {
		/* not calibrated yet: the i8254, a second at a time */
		i8254_rategen();
		for (; ms > 1000u; ms -= 1000u)
			i8254_delay(1000000u);
		i8254_delay(ms * 1000u);
		return;
	}
	/* two 32-bit factors: the product cannot overflow 64 bits */
	ticks = udiv64_32((u64)ms * tsc_freq, 1000u, NULL) << tsc_shift;
	while (rdtsc() - t0 < ticks)
		cpu_relax();
}
