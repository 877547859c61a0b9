/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* JSON lines: string escaping and the one encoding of a frame record. */
#ifndef VNO_JSON_H
#define VNO_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include "vno.h"

/* A JSON string literal, quotes included: every string that comes from a
 * capture or the kernel goes through here (controls, DEL and C1 controls
 * as \u00XX, bytes that are not UTF-8 as the text \xNN). */
void json_str(FILE *out, const char *s);
/* Bytes of the well-formed UTF-8 character at @p (@n bytes left), 0 when
 * @p starts none (RFC 3629: no overlong forms, surrogates or > U+10FFFF). */
size_t utf8_char_len(const unsigned char *p, size_t n);
/* That character (@k bytes) is a C1 control, U+0080..U+009F. */
bool utf8_is_c1(const unsigned char *p, size_t k);
/* The fields of one frame, without the surrounding braces. */
void json_frame_fields(FILE *out, const struct vno_event *ev);
/* {"type":"frame",…}\n */
void json_frame(FILE *out, const struct vno_event *ev);
/* {"error":"…"}\n */
void json_error(FILE *out, const char *msg);

/* The first "key" of one of our own JSON lines (top-level keys come first).
 * 0, -ENOENT (absent or null) or -EINVAL. */
int json_get_i64(const char *json, const char *key, long long *out);
int json_get_str(const char *json, const char *key, char *buf, size_t len);

/* Name of a drop reason of the running kernel (from its BTF), or NULL.
 * Set by the loader; captures carry numbers, names are resolved where read. */
extern const char *(*vno_drop_reason_name)(unsigned reason);

#endif
