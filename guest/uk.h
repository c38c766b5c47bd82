/*
 * uk.h - common types, attributes and helpers for the uktrace test guest.
 * Freestanding: only gcc's own <stdint.h>/<stddef.h>/<stdarg.h>/<stdbool.h>.
 */
#ifndef UK_H
#define UK_H

#include <stdint.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdbool.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int32_t s32;
typedef int64_t s64;

#define __unused     __attribute__((unused))
#define __used       __attribute__((used))
#define __noreturn   __attribute__((noreturn))
#define __packed     __attribute__((packed))
#define __section(s) __attribute__((section(s)))
#define __align(a)   __attribute__((aligned(a)))

#define ARRAY_SIZE(a)   (sizeof(a) / sizeof((a)[0]))
#define ALIGN_UP(v, a)  (((v) + (a) - 1) & ~((a) - 1))
#define ALIGN_DOWN(v, a) ((v) & ~((a) - 1))
#define MIN(a, b)       ((a) < (b) ? (a) : (b))
#define STRINGIFY_(x)   #x
#define STRINGIFY(x)    STRINGIFY_(x)

#define PAGE_SIZE 4096u

/* errno values as Unikraft (Linux) uses them */
#define ENOENT     2
#define EIO        5
#define ENOMEM    12
#define ENODEV    19
#define EINVAL    22
#define ETIMEDOUT 110

/* compiler barrier; x86 is TSO so this is enough for the virtqueue */
#define barrier() __asm__ __volatile__("" ::: "memory")

/* string.c: gcc may emit calls to these even in freestanding code */
void *memcpy(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);

/* div64.c: 64-by-32 division (no libgcc __udivdi3 for -m32 here) */
u64 udiv64_32(u64 n, u32 d, u32 *rem);

#endif /* UK_H */
