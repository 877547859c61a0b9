// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The HTML page's text (html_int.h): the escaper every string taken from a
 * capture goes through (a capture is untrusted input), and the small
 * formatters the sections share.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "decode.h"
#include "html_int.h"
#include "json.h"

/* ---- text ------------------------------------------------------------------ */

void html_str(FILE *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t n = strlen((const char *)p), k;

	while (*p) {
		const unsigned char *run = p;

		for (; *p >= 0x20 && *p < 0x7F && !strchr("&<>\"'", *p); p++)
			;
		fwrite(run, 1, (size_t)(p - run), out);
		n -= (size_t)(p - run);
		if (!*p)
			break;
		switch (*p) {
		case '&': fputs("&amp;", out); break;
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '"': fputs("&quot;", out); break;
		case '\'': fputs("&#39;", out); break;
		default:
			k = *p >= 0x80 ? utf8_char_len(p, n) : 0;
			if (k && !utf8_is_c1(p, k)) {
				fwrite(p, 1, k, out);
				p += k;
				n -= k;
				continue;
			}
			/* A control, DEL, a C1 control or a byte that is not
			 * UTF-8: seen, not obeyed. */
			if (!k)
				k = 1;
			for (size_t i = 0; i < k; i++)
				fprintf(out, "\\x%02x", p[i]);
			p += k;
			n -= k;
			continue;
		}
		p++;
		n--;
	}
}

/* A fixed-size name from a record (not NUL-terminated when full). */
void html_name(FILE *out, const char *s, size_t len)
{
	char b[65];

	snprintf(b, sizeof(b), "%.*s", (int)(len < sizeof(b) ? len : sizeof(b) - 1), s);
	html_str(out, b);
}

void html_dur(char *buf, size_t len, double s)
{
	if (s < 1e-3)
		snprintf(buf, len, "%.0f µs", s * 1e6);
	else if (s < 1)
		snprintf(buf, len, "%.3g ms", s * 1e3);
	else if (s < 1000)
		snprintf(buf, len, "%.3g s", s);
	else
		snprintf(buf, len, "%.0f s", s);
}

void html_count(char *buf, size_t len, __u64 v)
{
	if (v >= 1048576 && !(v % 1048576))
		snprintf(buf, len, "%" PRIu64 "M", (uint64_t)(v / 1048576));
	else if (v >= 1024 && !(v % 1024))
		snprintf(buf, len, "%" PRIu64 "K", (uint64_t)(v / 1024));
	else
		snprintf(buf, len, "%" PRIu64, (uint64_t)v);
}

void html_anomalies(FILE *out, __u64 m)
{
	bool first = true;

	for (; m; m &= m - 1) {
		fprintf(out, "%s%s", first ? "" : ", ", anomaly_name((unsigned)__builtin_ctzll(m)));
		first = false;
	}
}
