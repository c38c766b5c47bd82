/*
 * div64.c - 64-by-32 unsigned division. 32-bit gcc would call libgcc's
 * __udivdi3/__umoddi3 for u64 '/' and '%', and Debian's gcc without
 * gcc-multilib ships no 32-bit libgcc, so do it with two divl steps.
 */
#include "uk.h"

u64 udiv64_32(u64 n, u32 d, u32 *rem)
{
	u32 hi = (u32)(n >> 32), lo = (u32)n;
	u32 qhi = hi / d, r = hi % d, qlo;

	/* r < d, so (r:lo) / d fits in 32 bits and divl cannot overflow */
	__asm__("divl %4" : "=a"(qlo), "=d"(r) : "a"(lo), "d"(r), "rm"(d));
	if (rem)
		*rem = r;
	return ((u64)qhi << 32) | qlo;
}
