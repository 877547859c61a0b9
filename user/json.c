// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include "anomaly.h"
#include "decode.h"
#include "json.h"
#include "sbuf.h"

const char *(*vno_drop_reason_name)(unsigned reason);

size_t utf8_char_len(const unsigned char *p, size_t n)
{
	unsigned c = p[0], k, min, cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		k = 2, min = 0x80, cp = c & 0x1F;
	else if (c >= 0xE0 && c <= 0xEF)
		k = 3, min = 0x800, cp = c & 0x0F;
	else if (c >= 0xF0 && c <= 0xF4)
		k = 4, min = 0x10000, cp = c & 0x07;
	else
		return 0; /* a continuation byte, C0/C1 (overlong) or F5+ */
	if (n < k)
		return 0;
	for (unsigned i = 1; i < k; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3F);
	}
	/* Overlong forms, UTF-16 surrogates and beyond U+10FFFF (RFC 3629 3). */
	if (cp < min || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
		return 0;
	return k;
}

bool utf8_is_c1(const unsigned char *p, size_t k)
{
	/* U+0080..U+009F: 8-bit controls (0x9B is CSI to some terminals). */
	return k == 2 && p[0] == 0xC2 && p[1] <= 0x9F;
}

/* @n bytes of @s escaped for a JSON string (at most six bytes each).
 * Controls, DEL and the C1 controls become \u00XX escapes, so no line
 * holds a raw control byte; bytes that are not UTF-8 (a JSON text must
 * be) become the text \xNN, as on the terminal. */
static void sb_json_body(struct sbuf *b, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n, *run;
	size_t k;

	while (p < end) {
		/* The plain bytes in one go. */
		for (run = p; p < end && *p >= 0x20 && *p < 0x7F && *p != '"' && *p != '\\'; p++)
			;
		sb_mem(b, (const char *)run, (size_t)(p - run));
		if (p == end)
			break;
		if (*p >= 0x80) {
			k = utf8_char_len(p, (size_t)(end - p));
			if (!k) {
				sb_str(b, "\\\\x");
				sb_hex(b, *p, 2);
				p++;
			} else if (utf8_is_c1(p, k)) {
				sb_str(b, "\\u00");
				sb_hex(b, p[1], 2);
				p += k;
			} else {
				sb_mem(b, (const char *)p, k);
				p += k;
			}
			continue;
		}
		switch (*p) {
		case '"': sb_str(b, "\\\""); break;
		case '\\': sb_str(b, "\\\\"); break;
		case '\n': sb_str(b, "\\n"); break;
		case '\r': sb_str(b, "\\r"); break;
		case '\t': sb_str(b, "\\t"); break;
		default:
			sb_str(b, "\\u");
			sb_hex(b, *p, 4);
		}
		p++;
	}
}

/* @s as a JSON string literal, quotes included. */
static void sb_json_str(struct sbuf *b, const char *s)
{
	sb_chr(b, '"');
	sb_json_body(b, s, strlen(s));
	sb_chr(b, '"');
}

void json_str(FILE *out, const char *s)
{
	char chunk[64 * 6 + 1];
	size_t n = strlen(s), i, k;

	fputc('"', out);
	for (i = 0; i < n; i += k) {
		struct sbuf b = SBUF_INIT(chunk);

		k = n - i < 64 ? n - i : 64;
		/* Never split a UTF-8 character between two chunks: its
		 * halves would each read as invalid. */
		while (k < n - i && k > 60 && ((unsigned char)s[i + k] & 0xC0) == 0x80)
			k--;
		sb_json_body(&b, s + i, k);
		fwrite(b.p, 1, b.len, out);
	}
	fputc('"', out);
}

/* The frame's source or destination address as vno_addr_str() writes it;
 * IPv4 without inet_ntop, whose sprintf showed in profiles. */
static void sb_addr(struct sbuf *b, const struct vno_frame *f, bool src)
{
	const __u8 *a = src ? f->saddr : f->daddr;
	char buf[64];

	if (f->ip_ver == 4) {
		for (int i = 0; i < 4; i++) {
			if (i)
				sb_chr(b, '.');
			sb_u64(b, a[i]);
		}
		return;
	}
	vno_addr_str(f, src, buf, sizeof(buf));
	sb_str(b, buf);
}

/* A name of ours, quoted: it needs no escaping. */
static inline void sb_qstr(struct sbuf *b, const char *s)
{
	sb_chr(b, '"');
	sb_str(b, s);
	sb_chr(b, '"');
}

/* A number as a string. */
static inline void sb_qu64(struct sbuf *b, uint64_t v)
{
	sb_chr(b, '"');
	sb_u64(b, v);
	sb_chr(b, '"');
}

/* "key": and a number. */
static inline void sb_kv(struct sbuf *b, const char *key, uint64_t v)
{
	sb_str(b, key);
	sb_u64(b, v);
}

/* The frame's fields into @b, without the surrounding braces. */
static void sb_frame_fields(struct sbuf *b, const struct vno_event *ev)
{
	const struct vno_frame *f = &ev->f;
	char dev[VNO_IFNAMSIZ + 1], buf[64];
	const char *l4;
	bool first = true;

	memcpy(dev, f->dev, VNO_IFNAMSIZ);
	dev[VNO_IFNAMSIZ] = '\0';
	sb_kv(b, "\"ts_ns\":", f->ts_ns);
	sb_str(b, ",\"hop\":");
	sb_qstr(b, vno_hop_name(f->hop));
	sb_str(b, ",\"dev\":");
	sb_json_str(b, dev);
	sb_kv(b, ",\"ifindex\":", f->ifindex);
	sb_kv(b, ",\"netns\":", f->netns);
	sb_kv(b, ",\"queue\":", f->queue);
	sb_kv(b, ",\"len\":", f->len);
	sb_kv(b, ",\"data_len\":", f->data_len);
	sb_kv(b, ",\"nr_frags\":", f->nr_frags);
	sb_kv(b, ",\"gso_size\":", f->gso_size);
	sb_kv(b, ",\"gso_segs\":", f->gso_segs);
	sb_str(b, ",\"gso_type\":[");
	for (unsigned bit = 0; bit < 32; bit++) {
		const char *name = vno_gso_bit_name(bit);

		if (!(f->gso_type & (1u << bit)))
			continue;
		sb_str(b, first ? "\"" : ",\"");
		if (name)
			sb_str(b, name);
		else
			sb_kv(b, "bit", bit);
		sb_chr(b, '"');
		first = false;
	}
	sb_kv(b, "],\"gso_type_raw\":", f->gso_type);
	sb_str(b, ",\"ip_summed\":");
	sb_qstr(b, vno_csum_name(f->ip_summed));
	sb_kv(b, ",\"csum_start\":", f->csum_start);
	sb_kv(b, ",\"csum_offset\":", f->csum_offset);
	sb_kv(b, ",\"network_off\":", f->network_off);
	sb_str(b, ",\"transport_off\":");
	if (f->transport_off == 0xFFFF)
		sb_str(b, "null");
	else
		sb_u64(b, f->transport_off);
	if (f->ip_ver == 4) {
		sb_str(b, ",\"l3\":\"ipv4\"");
	} else if (f->ip_ver == 6) {
		sb_str(b, ",\"l3\":\"ipv6\"");
	} else if (f->l3_proto) {
		sb_str(b, ",\"l3\":\"0x");
		sb_hex(b, f->l3_proto, 4);
		sb_chr(b, '"');
	} else {
		sb_str(b, ",\"l3\":null");
	}
	l4 = vno_l4_name(f->l4_proto);
	sb_str(b, ",\"l4\":");
	if (l4)
		sb_qstr(b, l4);
	else if (f->l4_proto)
		sb_qu64(b, f->l4_proto);
	else
		sb_str(b, "null");
	if (f->ip_ver) {
		sb_str(b, ",\"saddr\":\"");
		sb_addr(b, f, true);
		sb_str(b, "\",\"daddr\":\"");
		sb_addr(b, f, false);
		sb_kv(b, "\",\"sport\":", f->sport);
		sb_kv(b, ",\"dport\":", f->dport);
	} else {
		sb_str(b, ",\"saddr\":null,\"daddr\":null,\"sport\":null,\"dport\":null");
	}
	sb_str(b, ",\"vlan\":");
	if (f->vlan_proto)
		sb_u64(b, f->vlan_tci & 0xFFF);
	else
		sb_str(b, "null");
	if (f->l4_proto == 6 && f->ip_ver) {
		vno_tcp_flags_str(f->tcp_flags, buf, sizeof(buf));
		sb_str(b, ",\"tcp_flags\":");
		sb_qstr(b, buf);
		sb_kv(b, ",\"tcp_seq\":", f->tcp_seq);
	}
	sb_str(b, ",\"pkt_id\":\"");
	sb_hex(b, f->pkt_id, 16);
	sb_kv(b, "\",\"latency_ns\":", f->latency_ns);
	sb_str(b, ",\"drop_reason\":");
	if (f->flags & VNO_F_FREED) {
		const char *r = vno_drop_reason_name ? vno_drop_reason_name(f->drop_reason) : NULL;

		if (r)
			sb_json_str(b, r);
		else
			sb_qu64(b, f->drop_reason);
	} else {
		sb_str(b, "null");
	}
	if (f->flags & VNO_F_RING) {
		sb_kv(b, ",\"ring_size\":", f->ring_size);
		sb_kv(b, ",\"ring_free\":", f->ring_free);
		sb_str(b, ",\"ring_used\":");
		/* tail - head, wrapping (vno.h); a full virtio ring has tail = size. */
		if (f->ring_size && f->ring_head < f->ring_size && f->ring_tail <= f->ring_size)
			sb_u64(b, f->ring_tail >= f->ring_head
					  ? f->ring_tail - f->ring_head
					  : f->ring_size - f->ring_head + f->ring_tail);
		else
			sb_str(b, "null");
		sb_kv(b, ",\"ring_head\":", f->ring_head);
		sb_kv(b, ",\"ring_tail\":", f->ring_tail);
	}
	if (f->hop == VNO_HOP_GUEST) {
		const char *e = f->drop_reason ? strerrorname_np(f->drop_reason) : NULL;

		sb_str(b, ",\"refused\":");
		if (!f->drop_reason)
			sb_str(b, "null");
		else if (e)
			sb_qstr(b, e);
		else
			sb_qu64(b, f->drop_reason);
	}
	/* The first rule the frame tripped; the summary counts every rule. */
	if ((f->flags & VNO_F_ANOMALY) && f->anomaly) {
		sb_str(b, ",\"anomaly\":");
		sb_qstr(b, anomaly_name(f->anomaly - 1));
	}
}

/* Room for the longest frame line: every gso_type bit named (32 names of
 * at most 24 bytes), a device name all escapes, two IPv6 addresses, a
 * drop reason name; the rest is under 700 bytes. */
#define FRAME_LINE_MAX 4096

void json_frame_fields(FILE *out, const struct vno_event *ev)
{
	char line[FRAME_LINE_MAX];
	struct sbuf b = SBUF_INIT(line);

	sb_frame_fields(&b, ev);
	fwrite(b.p, 1, b.len, out);
}

void json_frame(FILE *out, const struct vno_event *ev)
{
	char line[FRAME_LINE_MAX];
	struct sbuf b = SBUF_INIT(line);

	/* One call per line, not one per field. */
	sb_str(&b, "{\"type\":\"frame\",");
	sb_frame_fields(&b, ev);
	sb_str(&b, "}\n");
	fwrite(b.p, 1, b.len, out);
}

void json_error(FILE *out, const char *msg)
{
	fputs("{\"error\":", out);
	json_str(out, msg);
	fputs("}\n", out);
}

/* Where the value of the first "key": starts, or NULL. Enough for our own
 * flat lines, whose top-level keys come before any nested object. */
static const char *json_find(const char *json, const char *key)
{
	size_t kl = strlen(key);

	for (const char *p = json; (p = strchr(p, '"')); p++) {
		if (!strncmp(p + 1, key, kl) && p[kl + 1] == '"' && p[kl + 2] == ':')
			return p + kl + 3;
	}
	return NULL;
}

int json_get_i64(const char *json, const char *key, long long *out)
{
	const char *v = json_find(json, key);
	char *end;

	if (!v)
		return -ENOENT;
	if (!strncmp(v, "null", 4))
		return -ENOENT;
	errno = 0;
	*out = strtoll(v, &end, 10);
	return end == v || errno ? -EINVAL : 0;
}

static int hexdig(char c)
{
	return c >= '0' && c <= '9' ? c - '0'
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10
				      : -1;
}

int json_get_str(const char *json, const char *key, char *buf, size_t len)
{
	const char *v = json_find(json, key);
	size_t o = 0;
	bool full = false;

	if (!v || *v != '"' || !len)
		return -ENOENT;
	for (v++; *v && *v != '"'; v++) {
		char u[4];
		unsigned cp = 0, k = 1;
		int i, d;

		u[0] = *v;
		if (*v == '\\' && v[1]) {
			v++;
			u[0] = *v == 'n' ? '\n' : *v == 't' ? '\t' : *v == 'r' ? '\r' : *v;
			if (*v == 'u') {
				/* The character itself, as UTF-8: whoever prints it
				 * escapes it for its sink (term_str, json_str). */
				for (i = 1; i <= 4 && (d = hexdig(v[i])) >= 0; i++)
					cp = cp << 4 | (unsigned)d;
				if (i <= 4)
					return -EINVAL;
				v += 4;
				if (cp >= 0xD800 && cp <= 0xDFFF)
					cp = '?'; /* a lone or paired surrogate: not kept */
				if (cp < 0x80) {
					u[0] = (char)cp;
				} else if (cp < 0x800) {
					u[0] = (char)(0xC0 | cp >> 6);
					u[1] = (char)(0x80 | (cp & 0x3F));
					k = 2;
				} else {
					u[0] = (char)(0xE0 | cp >> 12);
					u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
					u[2] = (char)(0x80 | (cp & 0x3F));
					k = 3;
				}
			}
		}
		/* A NUL would end the string early: keep it visible instead. */
		if (k == 1 && !u[0])
			u[0] = '?';
		/* Cut at the first character that does not fit, not in it. */
		if (o + k >= len)
			full = true;
		if (!full) {
			memcpy(buf + o, u, k);
			o += k;
		}
	}
	buf[o] = '\0';
	return *v == '"' ? 0 : -EINVAL;
}
