/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The JSON writer every producer of JSON uses (diagnoses, summaries, notes,
 * the ready line, doctor, iface events): commas, nesting and escaping in
 * one place, as bpftool's json_writer is for bpftool. One frame record is
 * the exception: it is written by json_frame_fields() on the hot path, and
 * joins a writer's object through jw_fields().
 *
 *	struct jw w;
 *
 *	jw_init(&w, stdout);
 *	jw_object(&w);
 *	jw_kstr(&w, "type", "hang");
 *	jw_ku64(&w, "frames", n);
 *	jw_end(&w);		// "}\n": a JSON line ends at depth 0
 */
#ifndef VNO_JSON_WRITER_H
#define VNO_JSON_WRITER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define JW_MAX_DEPTH 16

struct jw {
	FILE *out;
	unsigned depth;
	bool nl;			/* end a top-level value with "\n" */
	bool want_value;		/* a key was written: no comma next */
	bool first[JW_MAX_DEPTH];	/* nothing written yet at that depth */
	char close[JW_MAX_DEPTH];	/* '}' or ']' */
};

/* Values at depth 0 end in "\n" (JSON lines); jw_init_inline() writes a
 * value inside text the caller frames itself (no newline). */
void jw_init(struct jw *w, FILE *out);
void jw_init_inline(struct jw *w, FILE *out);

void jw_object(struct jw *w);
void jw_array(struct jw *w);
/* Close the innermost object or array. */
void jw_end(struct jw *w);

void jw_key(struct jw *w, const char *key);
/* Strings go through json_str(): NULL is written as null. */
void jw_str(struct jw *w, const char *s);
void jw_u64(struct jw *w, uint64_t v);
void jw_i64(struct jw *w, int64_t v);
/* With @decimals digits after the point; NaN and infinities as null. */
void jw_double(struct jw *w, double v, int decimals);
void jw_bool(struct jw *w, bool v);
void jw_null(struct jw *w);
/* A value @fn writes itself (already JSON) as the next value. */
void jw_value_fn(struct jw *w, void (*fn)(FILE *out, const void *arg), const void *arg);
/* Members @fn writes itself ("k":v,"k2":v2, no braces) into the open object. */
void jw_fields(struct jw *w, void (*fn)(FILE *out, const void *arg), const void *arg);

/* "key":value in one call. */
static inline void jw_kstr(struct jw *w, const char *k, const char *s) { jw_key(w, k); jw_str(w, s); }
static inline void jw_ku64(struct jw *w, const char *k, uint64_t v) { jw_key(w, k); jw_u64(w, v); }
static inline void jw_ki64(struct jw *w, const char *k, int64_t v) { jw_key(w, k); jw_i64(w, v); }
static inline void jw_kbool(struct jw *w, const char *k, bool v) { jw_key(w, k); jw_bool(w, v); }
static inline void jw_knull(struct jw *w, const char *k) { jw_key(w, k); jw_null(w); }
static inline void jw_kdouble(struct jw *w, const char *k, double v, int decimals)
{
	jw_key(w, k);
	jw_double(w, v, decimals);
}
/* A string member that is null when empty. */
static inline void jw_kstr_or_null(struct jw *w, const char *k, const char *s)
{
	jw_key(w, k);
	if (s[0])
		jw_str(w, s);
	else
		jw_null(w);
}
static inline void jw_kobject(struct jw *w, const char *k) { jw_key(w, k); jw_object(w); }
static inline void jw_karray(struct jw *w, const char *k) { jw_key(w, k); jw_array(w); }

#endif
