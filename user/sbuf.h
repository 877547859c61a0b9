/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A bounded string appender for text built once per record (the capture's
 * packet comment, a JSON frame line): printf's format parsing and, for a
 * FILE, one locked call per field showed up first in profiles of both.
 * Appending past the end truncates; the text is always terminated.
 */
#ifndef VNO_SBUF_H
#define VNO_SBUF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct sbuf {
	char *p;
	size_t len, cap; /* len < cap: always terminated */
};

/* Append printf-style to the string in @buf (@len bytes), never past its
 * end: for sentences built once, not per record (util.c). */
void str_addf(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#define SBUF_INIT(buf) { .p = (buf), .len = 0, .cap = sizeof(buf) }

static inline void sb_mem(struct sbuf *b, const char *s, size_t n)
{
	if (n > b->cap - 1 - b->len)
		n = b->cap - 1 - b->len;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

/* Inline so that the length of a literal is known when compiled. */
static inline void sb_str(struct sbuf *b, const char *s)
{
	sb_mem(b, s, strlen(s));
}

static inline void sb_chr(struct sbuf *b, char c)
{
	sb_mem(b, &c, 1);
}

/* @v in decimal. */
static inline void sb_u64(struct sbuf *b, uint64_t v)
{
	char d[20];
	int i = (int)sizeof(d);

	do {
		d[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	sb_mem(b, d + i, sizeof(d) - (size_t)i);
}

/* @v in lowercase hex, zero-padded to @width digits (at most 16). */
static inline void sb_hex(struct sbuf *b, uint64_t v, int width)
{
	static const char x[] = "0123456789abcdef";
	char d[16];
	int i = (int)sizeof(d);

	do {
		d[--i] = x[v & 15];
		v >>= 4;
	} while (v && i > 0);
	while (i > (int)sizeof(d) - width)
		d[--i] = '0';
	sb_mem(b, d + i, sizeof(d) - (size_t)i);
}

#endif
