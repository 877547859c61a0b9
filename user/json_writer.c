// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The JSON writer (see json_writer.h): separators and nesting, so no
 * producer writes a comma or a brace by hand. Strings are escaped by
 * json_str() (json.c), the one escaper. Written here rather than taken
 * from json-c: producers stream into a FILE (stdout, a capture comment
 * through open_memstream, an HTTP body) without building a tree first.
 */
#include <inttypes.h>
#include <math.h>
#include "json.h"
#include "json_writer.h"

static void init(struct jw *w, FILE *out, bool nl)
{
	*w = (struct jw){ .out = out, .nl = nl };
	w->first[0] = true;
}

void jw_init(struct jw *w, FILE *out)
{
	init(w, out, true);
}

void jw_init_inline(struct jw *w, FILE *out)
{
	init(w, out, false);
}

/* Before any value or key: the comma that separates it from the last. */
static void sep(struct jw *w)
{
	if (w->want_value) {
		w->want_value = false;
		return;
	}
	if (!w->first[w->depth])
		fputc(',', w->out);
	w->first[w->depth] = false;
}

/* After a value: a top-level value of a JSON-lines writer ends its line. */
static void done(struct jw *w)
{
	if (w->depth == 0 && w->nl)
		fputc('\n', w->out);
	if (w->depth == 0)
		w->first[0] = true;
}

static void open(struct jw *w, char o, char c)
{
	sep(w);
	fputc(o, w->out);
	if (w->depth + 1 < JW_MAX_DEPTH) {
		w->depth++;
		w->first[w->depth] = true;
		w->close[w->depth] = c;
	}
}

void jw_object(struct jw *w)
{
	open(w, '{', '}');
}

void jw_array(struct jw *w)
{
	open(w, '[', ']');
}

void jw_end(struct jw *w)
{
	if (!w->depth)
		return;
	w->want_value = false;
	fputc(w->close[w->depth--], w->out);
	done(w);
}

void jw_key(struct jw *w, const char *key)
{
	sep(w);
	json_str(w->out, key);
	fputc(':', w->out);
	w->want_value = true;
}

void jw_str(struct jw *w, const char *s)
{
	sep(w);
	if (s)
		json_str(w->out, s);
	else
		fputs("null", w->out);
	done(w);
}

void jw_u64(struct jw *w, uint64_t v)
{
	sep(w);
	fprintf(w->out, "%" PRIu64, v);
	done(w);
}

void jw_i64(struct jw *w, int64_t v)
{
	sep(w);
	fprintf(w->out, "%" PRId64, v);
	done(w);
}

void jw_double(struct jw *w, double v, int decimals)
{
	sep(w);
	if (isfinite(v))
		fprintf(w->out, "%.*f", decimals, v);
	else
		fputs("null", w->out);
	done(w);
}

void jw_bool(struct jw *w, bool v)
{
	sep(w);
	fputs(v ? "true" : "false", w->out);
	done(w);
}

void jw_null(struct jw *w)
{
	sep(w);
	fputs("null", w->out);
	done(w);
}

void jw_value_fn(struct jw *w, void (*fn)(FILE *out, const void *arg), const void *arg)
{
	sep(w);
	fn(w->out, arg);
	done(w);
}

void jw_fields(struct jw *w, void (*fn)(FILE *out, const void *arg), const void *arg)
{
	sep(w);
	fn(w->out, arg);
}
