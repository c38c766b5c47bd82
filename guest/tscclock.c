/*
 * tscclock.c - calibrate the TSC against the i8254 PIT the way
 * Unikraft's plat/kvm/x86/tscclock.c does (channel 0 in rate-generator
 * mode at 100 Hz, poll its counter for a fixed delay, count TSC ticks),
 * but over 25 ms instead of 100 ms to keep TCG boots short. Time is
 * then measured from the TSC reading taken at kernel entry.
 * ukplat_delay_ms() busy-waits for uktrace.delay: on the TSC once it is
 * calibrated, before that by polling the i8254 as the calibration does.
 * uktrace.calib_stall=MS (off by default: the calibration stays Unikraft's)
 * stops polling for MS ms a quarter into the calibration window, the way a
 * vCPU descheduled by the host misses the counter's wraps: the PIT time is
 * undercounted, the frequency overestimated, and the guest clock runs slow
 * by about (25 + MS - MS mod 10) / 25, deterministically, for uktrace's tests.
 */
#define UK_LIBNAME "libkvmplat"
#include "tscclock.h"
#include "print.h"
#include "io.h"
#include "param.h"

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

/*
 * i8254_delay() with a gap: a quarter into the window it stops following
 * the counter for stall_ms (timed by a correct i8254_delay of its own),
 * then goes on from its stale reading, which sees at most one period
 * pass: the wraps in between are lost, as a descheduled vCPU loses them.
 */
static void i8254_delay_stalled(u32 us, u32 stall_ms)
{
	u32 cur, last = i8254_gettick();
	s32 remaining = (s32)udiv64_32((u64)us * TIMER_HZ, 1000000u, NULL);
	s32 stall_at = remaining - remaining / 4;
	bool stalled = false;

	while (remaining > 1) {
		if (!stalled && remaining <= stall_at) {
			i8254_delay(stall_ms * 1000u);
			stalled = true;
		}
		cur = i8254_gettick();
		if (cur > last)
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
	if (knobs.calib_stall_ms)
		i8254_delay_stalled(CALIBRATE_US, knobs.calib_stall_ms);
	else
		i8254_delay(CALIBRATE_US);
	ticks = (rdtsc() - t0) * (1000000u / CALIBRATE_US);

	/* keep the divisor in 32 bits even for TSCs above 4.29 GHz */
	for (tsc_shift = 0; (ticks >> tsc_shift) > 0xffffffffull; tsc_shift++)
		;
	tsc_freq = (u32)(ticks >> tsc_shift);
	if (!tsc_freq)
		tsc_freq = 1;
	uk_pr_info("Clock source: TSC, frequency estimate is %llu Hz\n", ticks);
	if (knobs.calib_stall_ms)
		uk_pr_debug("uktrace.calib_stall: missed %u ms of the i8254 while calibrating\n",
			    knobs.calib_stall_ms);

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
