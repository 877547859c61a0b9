/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* JSON lines: string escaping and the one encoding of a frame record. */
#ifndef VNO_JSON_H
#define VNO_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
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

/*
 * Reading JSON: json-c, the one parser (session blocks, notes, drop-reason
 * tables), behind limits fit for a capture from anyone.
 *
 * json_parse(): @len bytes of @text, which holds no NUL and is followed by
 * one, as one JSON value with at most JSON_DEPTH_MAX nested containers and
 * a weight (values, an array counting JSON_ARRAY_WEIGHT, an object
 * JSON_OBJECT_WEIGHT; a unit is about 64 bytes of json-c's) of at most
 * @max_weight, checked before json-c allocates anything. The tree, to be
 * released with json_object_put(), or NULL with errno EINVAL (not JSON;
 * *@at, if not NULL, is the byte where it went wrong), E2BIG or ENOMEM.
 */
#define JSON_DEPTH_MAX 32
#define JSON_ARRAY_WEIGHT 3
#define JSON_OBJECT_WEIGHT 16
struct json_object;
struct json_object *json_parse(const char *text, size_t len, size_t max_weight, size_t *at);
/* Member @key of object @o; NULL when it is absent or null, or @o is no
 * object. */
struct json_object *json_member(struct json_object *o, const char *key);
/* Typed reads of a value: 0, or -EINVAL when it is of another type or out
 * of range. A string is cut to @len - 1 bytes on a character boundary and
 * a NUL in it shows as '?'; a number's fraction is dropped. */
int json_val_str(struct json_object *v, char *buf, size_t len);
int json_val_i64(struct json_object *v, long long *out);
int json_val_u32(struct json_object *v, uint32_t *out);
int json_val_bool(struct json_object *v, bool *out);

/* Member @key of a note (one of our own JSON objects, @json): 0, -ENOENT
 * (absent or null) or -EINVAL (not JSON, or another type). */
int json_get_i64(const char *json, const char *key, long long *out);
int json_get_str(const char *json, const char *key, char *buf, size_t len);

/* Name of a drop reason of the running kernel (from its BTF), or NULL.
 * Set by the loader; captures carry numbers, names are resolved where read. */
extern const char *(*vno_drop_reason_name)(unsigned reason);

#endif
