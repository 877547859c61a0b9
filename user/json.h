/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* JSON lines: string escaping and the one encoding of a frame record. */
#ifndef VNO_JSON_H
#define VNO_JSON_H

#include <stddef.h>
#include <stdio.h>
#include "vno.h"

/* A JSON string literal, quotes included. */
void json_str(FILE *out, const char *s);
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
