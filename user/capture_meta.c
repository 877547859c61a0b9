// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The session metadata block's JSON, written and read (capture_meta.h). */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture_meta.h"
#include "decode.h"
#include "json_writer.h"

/* ---- JSON output --------------------------------------------------------- */

static const char *ol_state(signed char v)
{
	return v == VNO_OFF_ON ? "on" : v == VNO_OFF_OFF ? "off" : "unknown";
}

/* A string of a fixed-size field, which may fill it without a NUL. */
static void jw_kfield(struct jw *w, const char *key, const char *field, size_t size)
{
	char s[VNO_HOOK_LEN + 1]; /* the longest field */

	snprintf(s, sizeof(s), "%.*s", (int)strnlen(field, size), field);
	jw_kstr(w, key, s);
}

void capture_meta_json(struct pbuf *b, const struct capture_meta *m)
{
	const struct vno_session *s = m->s;
	char *text = NULL;
	size_t len = 0;
	struct jw w;
	FILE *f;

	f = open_memstream(&text, &len);
	if (!f) {
		b->err = -ENOMEM;
		return;
	}
	jw_init_inline(&w, f);
	jw_object(&w);
	jw_kstr(&w, "tool", m->tool);
	jw_kstr(&w, "kernel", m->kernel);
	jw_kstr(&w, "machine", m->machine);
	jw_kstr(&w, "cmdline", m->cmdline);
	jw_ku64(&w, "snaplen", m->snaplen);
	jw_ki64(&w, "mono_to_real_ns", m->mono_to_real_ns);
	jw_kobject(&w, "hooks");
	for (unsigned h = 0; s && h < VNO_HOP__MAX; h++)
		if (s->hooks[h][0])
			jw_kfield(&w, vno_hop_name(h), s->hooks[h], sizeof(s->hooks[h]));
	jw_end(&w);
	jw_karray(&w, "interfaces");
	for (size_t i = 0; i < m->n_ifaces; i++) {
		const struct vno_iface *it = &m->ifaces[i];

		jw_object(&w);
		jw_kfield(&w, "name", it->name, sizeof(it->name));
		jw_ku64(&w, "netns", it->netns);
		jw_ku64(&w, "ifindex", it->ifindex);
		jw_kfield(&w, "driver", it->driver, sizeof(it->driver));
		jw_ku64(&w, "mtu", it->mtu);
		jw_kbool(&w, "up", it->up);
		jw_ku64(&w, "gso_max_size", it->gso_max_size);
		jw_ku64(&w, "gso_max_segs", it->gso_max_segs);
		jw_ku64(&w, "tso_max_size", it->tso_max_size);
		jw_ku64(&w, "tso_max_segs", it->tso_max_segs);
		jw_kobject(&w, "offloads");
		for (int ol = 0; ol < VNO_OL__MAX; ol++)
			jw_kstr(&w, vno_offload_name(ol), ol_state(it->offload[ol]));
		jw_end(&w);
		jw_end(&w);
	}
	jw_end(&w);
	jw_end(&w);
	if (ferror(f) | fclose(f))
		b->err = -ENOMEM;
	else
		put(b, text, len);
	free(text);
}

/* ---- JSON input: only what the session metadata needs --------------------- */

struct jp {
	const char *p, *end;
	int depth;
};

#define JP_DEPTH_MAX 32

static void jp_ws(struct jp *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

static bool jp_eat(struct jp *j, char c)
{
	jp_ws(j);
	if (j->p < j->end && *j->p == c) {
		j->p++;
		return true;
	}
	return false;
}

static int jp_hex4(struct jp *j, uint32_t *v)
{
	*v = 0;
	if (j->end - j->p < 4)
		return -EINVAL;
	for (int i = 0; i < 4; i++) {
		char c = *j->p++;

		*v <<= 4;
		if (c >= '0' && c <= '9')
			*v |= (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			*v |= (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			*v |= (uint32_t)(c - 'A' + 10);
		else
			return -EINVAL;
	}
	return 0;
}

/* A string into out (NUL-terminated, cut to n - 1 bytes); out may be NULL. */
static int jp_string(struct jp *j, char *out, size_t n)
{
	size_t o = 0;
	uint8_t u[4];
	uint32_t cp, lo;
	int k;

#define EMIT(c)                                      \
	do {                                         \
		if (out && o + 1 < n)                \
			out[o++] = (char)(c);        \
	} while (0)
	if (out && n)
		out[0] = '\0';
	if (!jp_eat(j, '"'))
		return -EINVAL;
	while (j->p < j->end) {
		unsigned char c = (unsigned char)*j->p++;

		if (c == '"') {
			if (out && n)
				out[o] = '\0';
			return 0;
		}
		if (c < 0x20)
			return -EINVAL;
		if (c != '\\') {
			EMIT(c);
			continue;
		}
		if (j->p >= j->end)
			return -EINVAL;
		c = (unsigned char)*j->p++;
		switch (c) {
		case '"': case '\\': case '/': EMIT(c); break;
		case 'b': EMIT('\b'); break;
		case 'f': EMIT('\f'); break;
		case 'n': EMIT('\n'); break;
		case 'r': EMIT('\r'); break;
		case 't': EMIT('\t'); break;
		case 'u':
			if (jp_hex4(j, &cp))
				return -EINVAL;
			if (cp >= 0xD800 && cp <= 0xDBFF && j->end - j->p >= 6 && j->p[0] == '\\' &&
			    j->p[1] == 'u') {
				j->p += 2;
				if (jp_hex4(j, &lo))
					return -EINVAL;
				if (lo >= 0xDC00 && lo <= 0xDFFF)
					cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
				else
					cp = 0xFFFD;
			} else if (cp >= 0xD800 && cp <= 0xDFFF) {
				cp = 0xFFFD;
			}
			if (cp < 0x80) {
				u[0] = (uint8_t)cp, k = 1;
			} else if (cp < 0x800) {
				u[0] = (uint8_t)(0xC0 | cp >> 6), u[1] = (uint8_t)(0x80 | (cp & 0x3F)), k = 2;
			} else if (cp < 0x10000) {
				u[0] = (uint8_t)(0xE0 | cp >> 12), u[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
				u[2] = (uint8_t)(0x80 | (cp & 0x3F)), k = 3;
			} else {
				u[0] = (uint8_t)(0xF0 | cp >> 18), u[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
				u[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F)), u[3] = (uint8_t)(0x80 | (cp & 0x3F));
				k = 4;
			}
			for (int i = 0; i < k; i++)
				EMIT(u[i]);
			break;
		default:
			return -EINVAL;
		}
	}
#undef EMIT
	return -EINVAL;
}

/* An integer; a fraction or exponent is accepted and dropped. */
static int jp_int(struct jp *j, long long *v)
{
	unsigned long long acc = 0, lim;
	bool neg, digits = false;

	jp_ws(j);
	neg = j->p < j->end && *j->p == '-';
	if (neg)
		j->p++;
	lim = neg ? (unsigned long long)LLONG_MAX + 1 : (unsigned long long)LLONG_MAX;
	while (j->p < j->end && *j->p >= '0' && *j->p <= '9') {
		unsigned d = (unsigned)(*j->p++ - '0');

		if (acc > (lim - d) / 10)
			return -EINVAL;
		acc = acc * 10 + d;
		digits = true;
	}
	if (!digits)
		return -EINVAL;
	if (j->p < j->end && *j->p == '.') {
		j->p++;
		while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
			j->p++;
	}
	if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
		j->p++;
		if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
			j->p++;
		while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
			j->p++;
	}
	*v = neg ? (long long)(0 - acc) : (long long)acc;
	return 0;
}

static int jp_u32(struct jp *j, __u32 *v)
{
	long long x;

	if (jp_int(j, &x) || x < 0 || x > UINT32_MAX)
		return -EINVAL;
	*v = (__u32)x;
	return 0;
}

static bool jp_lit(struct jp *j, const char *lit)
{
	size_t n = strlen(lit);

	jp_ws(j);
	if ((size_t)(j->end - j->p) >= n && !memcmp(j->p, lit, n)) {
		j->p += n;
		return true;
	}
	return false;
}

static int jp_skip(struct jp *j);

typedef int (*jp_member_fn)(struct jp *j, const char *key, void *arg);

/* Each member of an object to fn, which must consume the value. */
static int jp_object(struct jp *j, jp_member_fn fn, void *arg)
{
	char key[64];
	int err;

	if (!jp_eat(j, '{') || ++j->depth > JP_DEPTH_MAX)
		return -EINVAL;
	if (!jp_eat(j, '}')) {
		for (;;) {
			if (jp_string(j, key, sizeof(key)) || !jp_eat(j, ':'))
				return -EINVAL;
			err = fn(j, key, arg);
			if (err)
				return err;
			if (jp_eat(j, ','))
				continue;
			if (jp_eat(j, '}'))
				break;
			return -EINVAL;
		}
	}
	j->depth--;
	return 0;
}

static int skip_member(struct jp *j, const char *key, void *arg)
{
	return jp_skip(j);
}

static int jp_skip(struct jp *j)
{
	long long v;

	jp_ws(j);
	if (j->p >= j->end)
		return -EINVAL;
	switch (*j->p) {
	case '"':
		return jp_string(j, NULL, 0);
	case '{':
		return jp_object(j, skip_member, NULL);
	case '[':
		j->p++;
		if (++j->depth > JP_DEPTH_MAX)
			return -EINVAL;
		if (!jp_eat(j, ']')) {
			for (;;) {
				if (jp_skip(j))
					return -EINVAL;
				if (jp_eat(j, ','))
					continue;
				if (jp_eat(j, ']'))
					break;
				return -EINVAL;
			}
		}
		j->depth--;
		return 0;
	case 't':
		return jp_lit(j, "true") ? 0 : -EINVAL;
	case 'f':
		return jp_lit(j, "false") ? 0 : -EINVAL;
	case 'n':
		return jp_lit(j, "null") ? 0 : -EINVAL;
	default:
		/* Numbers too long for 64 bits are still numbers to skip. */
		if (*j->p == '-' || (*j->p >= '0' && *j->p <= '9')) {
			const char *start = j->p;

			if (!jp_int(j, &v))
				return 0;
			j->p = start + (*start == '-');
			while (j->p < j->end && ((*j->p >= '0' && *j->p <= '9') || *j->p == '.' ||
						 *j->p == 'e' || *j->p == 'E' || *j->p == '+' ||
						 *j->p == '-'))
				j->p++;
			return 0;
		}
		return -EINVAL;
	}
}

struct meta_ctx {
	struct vno_session *s; /* NULL: validate only */
	struct capture_stats *st;
	struct vno_iface *ifs;
	size_t n, cap;
	struct vno_iface *cur;
};

static int hook_member(struct jp *j, const char *key, void *arg)
{
	struct meta_ctx *m = arg;
	int hop = vno_hop_parse(key);

	if (hop < 0 || !m->s)
		return jp_skip(j);
	return jp_string(j, m->s->hooks[hop], sizeof(m->s->hooks[hop]));
}

static int offload_member(struct jp *j, const char *key, void *arg)
{
	struct vno_iface *it = arg;
	char v[16];

	for (int ol = 0; ol < VNO_OL__MAX; ol++) {
		if (strcmp(key, vno_offload_name(ol)))
			continue;
		if (jp_string(j, v, sizeof(v)))
			return -EINVAL;
		it->offload[ol] = !strcmp(v, "on")    ? VNO_OFF_ON
				  : !strcmp(v, "off") ? VNO_OFF_OFF
						      : VNO_OFF_UNKNOWN;
		return 0;
	}
	return jp_skip(j);
}

static int iface_member(struct jp *j, const char *key, void *arg)
{
	struct vno_iface *it = arg;

	if (!strcmp(key, "name"))
		return jp_string(j, it->name, sizeof(it->name));
	if (!strcmp(key, "driver"))
		return jp_string(j, it->driver, sizeof(it->driver));
	if (!strcmp(key, "netns"))
		return jp_u32(j, &it->netns);
	if (!strcmp(key, "ifindex"))
		return jp_u32(j, &it->ifindex);
	if (!strcmp(key, "mtu"))
		return jp_u32(j, &it->mtu);
	if (!strcmp(key, "gso_max_size"))
		return jp_u32(j, &it->gso_max_size);
	if (!strcmp(key, "gso_max_segs"))
		return jp_u32(j, &it->gso_max_segs);
	if (!strcmp(key, "tso_max_size"))
		return jp_u32(j, &it->tso_max_size);
	if (!strcmp(key, "tso_max_segs"))
		return jp_u32(j, &it->tso_max_segs);
	if (!strcmp(key, "up")) {
		if (jp_lit(j, "true"))
			it->up = 1;
		else if (jp_lit(j, "false"))
			it->up = 0;
		else
			return -EINVAL;
		return 0;
	}
	if (!strcmp(key, "offloads"))
		return jp_object(j, offload_member, it);
	return jp_skip(j);
}

static int parse_ifaces(struct jp *j, struct meta_ctx *m)
{
	struct vno_iface *t;

	if (!jp_eat(j, '[') || ++j->depth > JP_DEPTH_MAX)
		return -EINVAL;
	if (jp_eat(j, ']'))
		goto out;
	for (;;) {
		if (m->n == m->cap) {
			/* Bounded: the count is checked before we grow. */
			if (m->n >= IFACES_MAX)
				return -E2BIG;
			m->cap = m->cap ? m->cap * 2 : 8;
			t = realloc(m->ifs, m->cap * sizeof(*t));
			if (!t)
				return -ENOMEM;
			m->ifs = t;
		}
		t = &m->ifs[m->n];
		memset(t, 0, sizeof(*t));
		memset(t->offload, VNO_OFF_UNKNOWN, sizeof(t->offload));
		if (jp_object(j, iface_member, t))
			return -EINVAL;
		m->n++;
		if (jp_eat(j, ','))
			continue;
		if (jp_eat(j, ']'))
			break;
		return -EINVAL;
	}
out:
	j->depth--;
	return 0;
}

static int meta_member(struct jp *j, const char *key, void *arg)
{
	struct meta_ctx *m = arg;
	struct vno_session *s = m->s;
	long long v;

	if (!strcmp(key, "kernel"))
		return jp_string(j, s ? s->kernel : NULL, sizeof(s->kernel));
	if (!strcmp(key, "tool"))
		return jp_string(j, s ? s->tool : NULL, sizeof(s->tool));
	if (!strcmp(key, "cmdline"))
		return jp_string(j, s ? s->cmdline : NULL, sizeof(s->cmdline));
	if (!strcmp(key, "hooks"))
		return jp_object(j, hook_member, m);
	if (!strcmp(key, "interfaces"))
		return parse_ifaces(j, m);
	if (!strcmp(key, "snaplen")) {
		if (jp_int(j, &v))
			return -EINVAL;
		m->st->snaplen = v < 0 || v > UINT32_MAX ? 0 : (unsigned)v;
		return 0;
	}
	if (!strcmp(key, "mono_to_real_ns")) {
		if (jp_int(j, &v))
			return -EINVAL;
		m->st->mono_to_real_ns = v;
		return 0;
	}
	return jp_skip(j);
}

int capture_meta_parse(const char *data, size_t len, struct vno_session *s,
		       struct capture_stats *st, size_t *at)
{
	struct meta_ctx m = { .st = st, .s = s };
	struct jp j = { .p = data, .end = data + len };
	int ret;

	ret = jp_object(&j, meta_member, &m);
	jp_ws(&j);
	if (!ret && j.p != j.end)
		ret = -EINVAL;
	*at = (size_t)(j.p - data);
	if (ret == -E2BIG || ret) {
		free(m.ifs);
		return ret == -E2BIG ? ret : -EINVAL;
	}
	if (s) {
		free(s->ifaces);
		s->ifaces = m.ifs;
		s->n_ifaces = m.n;
	} else {
		free(m.ifs);
	}
	return 0;
}
