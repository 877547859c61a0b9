// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* JSON text: the one string escaper, the frame line, and reading through
 * json-c with limits (json.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <json-c/json.h>
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

/* An address of @ver (4 or 6) as inet_ntop writes it. */
static void sb_ip(struct sbuf *b, __u8 ver, const __u8 *a)
{
	char buf[INET6_ADDRSTRLEN];

	inet_ntop(ver == 6 ? AF_INET6 : AF_INET, a, buf, sizeof(buf));
	sb_chr(b, '"');
	sb_str(b, buf);
	sb_chr(b, '"');
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

static inline void sb_u16_or_null(struct sbuf *b, const char *key, __u16 v)
{
	sb_str(b, key);
	if (v)
		sb_u64(b, v);
	else
		sb_str(b, "null");
}

/* ,"encap":{…}: the tunnel around the frame and the frame inside it
 * (vno_encap_decode); nothing when it is not encapsulated. */
static void sb_encap(struct sbuf *b, const struct vno_event *ev)
{
	const struct vno_frame *f = &ev->f;
	struct vno_encap e;
	const char *l4;
	char flags[16];
	int cs;

	if (!vno_encap_decode(ev, &e))
		return;
	sb_str(b, ",\"encap\":{\"type\":");
	sb_qstr(b, vno_encap_name(e.type));
	sb_str(b, e.type == VNO_ENC_GRE || e.type == VNO_ENC_GRETAP ? ",\"key\":" : ",\"vni\":");
	if (e.has_key)
		sb_u64(b, e.key);
	else
		sb_str(b, "null");
	sb_str(b, ",\"skb_encapsulation\":");
	sb_str(b, f->encap & VNO_E_SKB ? "true" : "false");
	sb_str(b, ",\"saddr\":");
	if (f->ip_ver)
		sb_ip(b, f->ip_ver, f->saddr);
	else
		sb_str(b, "null");
	sb_str(b, ",\"daddr\":");
	if (f->ip_ver)
		sb_ip(b, f->ip_ver, f->daddr);
	else
		sb_str(b, "null");
	sb_u16_or_null(b, ",\"sport\":", f->ip_ver && f->l4_proto == 17 ? f->sport : 0);
	sb_u16_or_null(b, ",\"dport\":", f->ip_ver && f->l4_proto == 17 ? f->dport : 0);
	sb_str(b, ",\"inner\":{");
	sb_u16_or_null(b, "\"offset\":", e.inner_off);
	sb_u16_or_null(b, ",\"network_off\":", e.inner_network_off);
	sb_u16_or_null(b, ",\"transport_off\":", e.inner_transport_off);
	sb_str(b, ",\"l3\":");
	if (e.in.ip_ver)
		sb_str(b, e.in.ip_ver == 6 ? "\"ipv6\"" : "\"ipv4\"");
	else
		sb_str(b, "null");
	l4 = vno_l4_name(e.in.l4_proto);
	sb_str(b, ",\"l4\":");
	if (l4)
		sb_qstr(b, l4);
	else if (e.in.l4_proto)
		sb_qu64(b, e.in.l4_proto);
	else
		sb_str(b, "null");
	sb_str(b, ",\"saddr\":");
	if (e.in.ip_ver)
		sb_ip(b, e.in.ip_ver, e.in.saddr);
	else
		sb_str(b, "null");
	sb_str(b, ",\"daddr\":");
	if (e.in.ip_ver)
		sb_ip(b, e.in.ip_ver, e.in.daddr);
	else
		sb_str(b, "null");
	sb_u16_or_null(b, ",\"sport\":", e.in.ip_ver ? e.in.sport : 0);
	sb_u16_or_null(b, ",\"dport\":", e.in.ip_ver ? e.in.dport : 0);
	sb_str(b, ",\"tcp_flags\":");
	if (e.in.ip_ver && e.in.l4_proto == 6 && e.inner_transport_off && !e.trunc) {
		vno_tcp_flags_str(e.in.tcp_flags, flags, sizeof(flags));
		sb_qstr(b, flags);
		sb_kv(b, ",\"tcp_seq\":", e.in.tcp_seq);
	} else {
		sb_str(b, "null,\"tcp_seq\":null");
	}
	cs = vno_encap_csum_start(f, &e);
	sb_str(b, ",\"csum_start\":");
	if (cs >= 0) {
		sb_u64(b, (unsigned)cs);
		sb_kv(b, ",\"csum_offset\":", f->csum_offset);
	} else {
		sb_str(b, "null,\"csum_offset\":null");
	}
	sb_str(b, ",\"truncated\":");
	sb_str(b, e.trunc ? "true}}" : "false}}");
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
	/* A release after xmit: len and gso_* above are what was handed to
	 * the driver; "changed" is what the skb had become by its release
	 * (a receiver's GRO merging later skbs into it), null when the same. */
	if (f->hop == VNO_HOP_DONE) {
		sb_str(b, ",\"changed\":");
		if (f->flags & VNO_F_CHANGED) {
			sb_kv(b, "{\"len\":", f->merged_len);
			sb_kv(b, ",\"gso_size\":", f->merged_gso_size);
			sb_kv(b, ",\"gso_segs\":", f->merged_segs);
			sb_kv(b, ",\"gso_type_raw\":", f->merged_gso_type);
			sb_chr(b, '}');
		} else {
			sb_str(b, "null");
		}
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
	sb_encap(b, ev);
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

/* ---- reading: json-c behind limits ------------------------------------------ */

/* What json-c would build from @len bytes of text, counted before it
 * builds anything: values (at most one per comma, plus the first value
 * of each container and the top one), weighed after what json-c 0.16
 * allocates for each: a number or string about 64 bytes, an array three
 * times that, an object (its 16-slot hash table) sixteen times. */
static size_t json_weight(const char *p, size_t len)
{
	size_t n = 1;
	bool in_str = false;

	for (size_t i = 0; i < len; i++) {
		char c = p[i];

		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = false;
		} else if (c == '"') {
			in_str = true;
		} else if (c == ',') {
			n++;
		} else if (c == '[') {
			n += JSON_ARRAY_WEIGHT;
		} else if (c == '{') {
			n += JSON_OBJECT_WEIGHT;
		}
	}
	return n;
}

struct json_object *json_parse(const char *text, size_t len, size_t max_weight, size_t *at)
{
	struct json_tokener *tok;
	struct json_object *o;
	const char *nul;
	size_t end;

	if (at)
		*at = 0;
	/* A NUL ends the text for json-c; inside ours it is an error. */
	if ((nul = memchr(text, '\0', len))) {
		if (at)
			*at = (size_t)(nul - text);
		errno = EINVAL;
		return NULL;
	}
	if (len > INT32_MAX - 1 || json_weight(text, len) > max_weight) {
		errno = E2BIG;
		return NULL;
	}
	/* json-c counts the value inside the deepest container as a level. */
	tok = json_tokener_new_ex(JSON_DEPTH_MAX + 1);
	if (!tok) {
		errno = ENOMEM;
		return NULL;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	/* The terminating NUL too: it ends a number at the end of the text. */
	o = json_tokener_parse_ex(tok, text, (int)len + 1);
	end = json_tokener_get_parse_end(tok);
	if (o && json_tokener_get_error(tok) != json_tokener_success) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	if (!o) {
		if (at)
			*at = end < len ? end : len;
		errno = EINVAL;
	}
	return o;
}

struct json_object *json_member(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	if (!json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, key, &v))
		return NULL;
	return v;
}

int json_val_str(struct json_object *v, char *buf, size_t len)
{
	const char *s;
	size_t n;

	if (!json_object_is_type(v, json_type_string) || !len)
		return -EINVAL;
	s = json_object_get_string(v);
	n = (size_t)json_object_get_string_len(v);
	/* Cut at the first character that does not fit, not in it. */
	if (n >= len) {
		n = len - 1;
		while (n && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
	}
	memcpy(buf, s, n);
	buf[n] = '\0';
	/* A NUL (\u0000) would end the string early: keep it visible. */
	for (size_t i = 0; i < n; i++)
		if (!buf[i])
			buf[i] = '?';
	return 0;
}

int json_val_i64(struct json_object *v, long long *out)
{
	double d;

	if (json_object_is_type(v, json_type_int)) {
		*out = json_object_get_int64(v);
		return 0;
	}
	if (!json_object_is_type(v, json_type_double))
		return -EINVAL;
	/* A fraction is dropped; what no long long holds is refused. */
	d = json_object_get_double(v);
	if (!(d > -9223372036854775808.0 && d < 9223372036854775808.0))
		return -EINVAL;
	*out = (long long)d;
	return 0;
}

int json_val_u32(struct json_object *v, uint32_t *out)
{
	long long x;

	if (json_val_i64(v, &x) || x < 0 || x > UINT32_MAX)
		return -EINVAL;
	*out = (uint32_t)x;
	return 0;
}

int json_val_bool(struct json_object *v, bool *out)
{
	if (!json_object_is_type(v, json_type_boolean))
		return -EINVAL;
	*out = json_object_get_boolean(v);
	return 0;
}

/* A note is an object of a few members, but a hang note carries the
 * diagnosis' whole window in "frames_before": up to 65536 frames (--window)
 * of about 45 members each. 1 << 22 holds that; json-c then takes at most a
 * few hundred MB for a crafted note, which report reads once per member. */
#define NOTE_WEIGHT_MAX (1u << 22)

/* The member @key of the note @json: parsed whole each time, as notes are
 * few and small. */
static int note_member(const char *json, const char *key, struct json_object **root,
		       struct json_object **v)
{
	*root = json_parse(json, strlen(json), NOTE_WEIGHT_MAX, NULL);
	if (!*root)
		return errno == ENOMEM ? -ENOMEM : -EINVAL;
	*v = json_member(*root, key);
	return *v ? 0 : -ENOENT;
}

int json_get_i64(const char *json, const char *key, long long *out)
{
	struct json_object *root, *v;
	int ret = note_member(json, key, &root, &v);

	if (!ret)
		ret = json_val_i64(v, out);
	json_object_put(root);
	return ret;
}

int json_get_str(const char *json, const char *key, char *buf, size_t len)
{
	struct json_object *root, *v;
	int ret = note_member(json, key, &root, &v);

	if (!ret)
		ret = json_val_str(v, buf, len);
	json_object_put(root);
	return ret;
}
