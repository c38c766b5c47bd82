/*
 * fmt.c - a small vprintf: enough for Unikraft's printk formats
 * ("[%5u.%06u] ", "<%s @ %4u> ", "%016lx", "%39s", "%.*s", "%llu", ...).
 * 64-bit numbers go through udiv64_32 (no libgcc).
 */
#include "fmt.h"

struct spec {
	bool left, zero;
	int width, prec;
};

static int emit_padded(fmt_out_t out, void *ctx, const char *s, int len,
		       const struct spec *sp)
{
	int pad = sp->width > len ? sp->width - len : 0, n = 0;
	char padc = (sp->zero && !sp->left) ? '0' : ' ';

	if (!sp->left)
		for (; pad > 0; pad--, n++)
			out(padc, ctx);
	for (int i = 0; i < len; i++, n++)
		out(s[i], ctx);
	for (; pad > 0; pad--, n++)
		out(' ', ctx);
	return n;
}

static int emit_num(fmt_out_t out, void *ctx, u64 v, bool neg, u32 base,
		    bool upper, const char *prefix, const struct spec *sp)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24], buf[32];
	int len = 0, n = 0;
	u32 r;

	do {
		v = udiv64_32(v, base, &r);
		tmp[len++] = digits[r];
	} while (v);
	if (neg)
		buf[n++] = '-';
	while (*prefix)
		buf[n++] = *prefix++;
	/* zero padding goes between sign/prefix and digits */
	if (sp->zero && !sp->left)
		while (n + len < sp->width)
			buf[n++] = '0';
	while (len)
		buf[n++] = tmp[--len];
	return emit_padded(out, ctx, buf, n, &(struct spec){ sp->left, false,
							     sp->width, -1 });
}

int fmt_vprint(fmt_out_t out, void *ctx, const char *fmt, va_list ap)
{
	int n = 0;

	for (; *fmt; fmt++) {
		struct spec sp = { false, false, 0, -1 };
		int lng = 0;

		if (*fmt != '%') {
			out(*fmt, ctx);
			n++;
			continue;
		}
		for (fmt++; *fmt == '-' || *fmt == '0'; fmt++) {
			if (*fmt == '-')
				sp.left = true;
			else
				sp.zero = true;
		}
		if (*fmt == '*') {
			sp.width = va_arg(ap, int);
			fmt++;
		}
		for (; *fmt >= '0' && *fmt <= '9'; fmt++)
			sp.width = sp.width * 10 + (*fmt - '0');
		if (*fmt == '.') {
			sp.prec = 0;
			if (*++fmt == '*') {
				sp.prec = va_arg(ap, int);
				fmt++;
			}
			for (; *fmt >= '0' && *fmt <= '9'; fmt++)
				sp.prec = sp.prec * 10 + (*fmt - '0');
		}
		for (; *fmt == 'l' || *fmt == 'z'; fmt++)
			lng += (*fmt == 'l') ? 1 : 0;

		switch (*fmt) {
		case 'd':
		case 'i': {
			s64 v = lng >= 2 ? va_arg(ap, s64) : va_arg(ap, s32);

			n += emit_num(out, ctx, v < 0 ? -(u64)v : (u64)v,
				      v < 0, 10, false, "", &sp);
			break;
		}
		case 'u':
		case 'x':
		case 'X': {
			u64 v = lng >= 2 ? va_arg(ap, u64) : va_arg(ap, u32);

			n += emit_num(out, ctx, v, false, *fmt == 'u' ? 10 : 16,
				      *fmt == 'X', "", &sp);
			break;
		}
		case 'p':
			n += emit_num(out, ctx, (uintptr_t)va_arg(ap, void *),
				      false, 16, false, "0x", &sp);
			break;
		case 's': {
			const char *s = va_arg(ap, const char *);
			int len = 0;

			if (!s)
				s = "(null)";
			while (s[len] && (sp.prec < 0 || len < sp.prec))
				len++;
			n += emit_padded(out, ctx, s, len, &sp);
			break;
		}
		case 'c': {
			char c = (char)va_arg(ap, int);

			n += emit_padded(out, ctx, &c, 1, &sp);
			break;
		}
		case '%':
			out('%', ctx);
			n++;
			break;
		case '\0':
			return n;
		default:
			/* unknown conversion: print it verbatim, like libc does */
			out('%', ctx);
			out(*fmt, ctx);
			n += 2;
			break;
		}
	}
	return n;
}

struct sbuf {
	char *buf;
	size_t size, len;
};

static void sbuf_out(char c, void *ctx)
{
	struct sbuf *sb = ctx;

	if (sb->len + 1 < sb->size)
		sb->buf[sb->len] = c;
	sb->len++;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
	struct sbuf sb = { buf, size, 0 };
	va_list ap;

	va_start(ap, fmt);
	fmt_vprint(sbuf_out, &sb, fmt, ap);
	va_end(ap);
	if (size)
		buf[sb.len < size ? sb.len : size - 1] = '\0';
	return (int)sb.len;
}
