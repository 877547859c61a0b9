// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include "anomaly.h"
#include "decode.h"
#include "json.h"

const char *(*vno_drop_reason_name)(unsigned reason);

void json_str(FILE *out, const char *s)
{
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"': fputs("\\\"", out); break;
		case '\\': fputs("\\\\", out); break;
		case '\n': fputs("\\n", out); break;
		case '\r': fputs("\\r", out); break;
		case '\t': fputs("\\t", out); break;
		default:
			if (*p < 0x20)
				fprintf(out, "\\u%04x", *p);
			else
				fputc(*p, out);
		}
	}
	fputc('"', out);
}

void json_frame_fields(FILE *out, const struct vno_event *ev)
{
	const struct vno_frame *f = &ev->f;
	char dev[VNO_IFNAMSIZ + 1], buf[64];
	const char *l4;
	bool first = true;

	snprintf(dev, sizeof(dev), "%.*s", VNO_IFNAMSIZ, f->dev);
	fprintf(out, "\"ts_ns\":%" PRIu64 ",\"hop\":\"%s\",\"dev\":", (uint64_t)f->ts_ns,
		vno_hop_name(f->hop));
	json_str(out, dev);
	fprintf(out, ",\"ifindex\":%u,\"netns\":%u,\"queue\":%u,\"len\":%u,\"data_len\":%u,"
		     "\"nr_frags\":%u,\"gso_size\":%u,\"gso_segs\":%u,\"gso_type\":[",
		f->ifindex, f->netns, f->queue, f->len, f->data_len, f->nr_frags, f->gso_size,
		f->gso_segs);
	for (unsigned b = 0; b < 32; b++) {
		const char *name = vno_gso_bit_name(b);

		if (!(f->gso_type & (1u << b)))
			continue;
		if (name)
			fprintf(out, "%s\"%s\"", first ? "" : ",", name);
		else
			fprintf(out, "%s\"bit%u\"", first ? "" : ",", b);
		first = false;
	}
	fprintf(out, "],\"gso_type_raw\":%u,\"ip_summed\":\"%s\",\"csum_start\":%u,"
		     "\"csum_offset\":%u,\"network_off\":%u,",
		f->gso_type, vno_csum_name(f->ip_summed), f->csum_start, f->csum_offset,
		f->network_off);
	if (f->transport_off == 0xFFFF)
		fputs("\"transport_off\":null,", out);
	else
		fprintf(out, "\"transport_off\":%u,", f->transport_off);
	if (f->ip_ver == 4)
		fputs("\"l3\":\"ipv4\",", out);
	else if (f->ip_ver == 6)
		fputs("\"l3\":\"ipv6\",", out);
	else if (f->l3_proto)
		fprintf(out, "\"l3\":\"0x%04x\",", f->l3_proto);
	else
		fputs("\"l3\":null,", out);
	l4 = vno_l4_name(f->l4_proto);
	if (l4)
		fprintf(out, "\"l4\":\"%s\",", l4);
	else if (f->l4_proto)
		fprintf(out, "\"l4\":\"%u\",", f->l4_proto);
	else
		fputs("\"l4\":null,", out);
	if (f->ip_ver) {
		vno_addr_str(f, true, buf, sizeof(buf));
		fprintf(out, "\"saddr\":\"%s\",", buf);
		vno_addr_str(f, false, buf, sizeof(buf));
		fprintf(out, "\"daddr\":\"%s\",\"sport\":%u,\"dport\":%u,", buf, f->sport, f->dport);
	} else {
		fputs("\"saddr\":null,\"daddr\":null,\"sport\":null,\"dport\":null,", out);
	}
	if (f->vlan_proto)
		fprintf(out, "\"vlan\":%u,", f->vlan_tci & 0xFFF);
	else
		fputs("\"vlan\":null,", out);
	if (f->l4_proto == 6 && f->ip_ver) {
		vno_tcp_flags_str(f->tcp_flags, buf, sizeof(buf));
		fprintf(out, "\"tcp_flags\":\"%s\",\"tcp_seq\":%u,", buf, f->tcp_seq);
	}
	fprintf(out, "\"pkt_id\":\"%016" PRIx64 "\",\"latency_ns\":%" PRIu64 ",",
		(uint64_t)f->pkt_id, (uint64_t)f->latency_ns);
	if (f->flags & VNO_F_FREED) {
		const char *r = vno_drop_reason_name ? vno_drop_reason_name(f->drop_reason) : NULL;

		fputs("\"drop_reason\":", out);
		if (r)
			json_str(out, r);
		else
			fprintf(out, "\"%u\"", f->drop_reason);
	} else {
		fputs("\"drop_reason\":null", out);
	}
	if (f->flags & VNO_F_RING) {
		fprintf(out, ",\"ring_size\":%u,\"ring_free\":%u,\"ring_used\":", f->ring_size,
			f->ring_free);
		/* tail - head, wrapping (vno.h); a full virtio ring has tail = size. */
		if (f->ring_size && f->ring_head < f->ring_size && f->ring_tail <= f->ring_size)
			fprintf(out, "%u", f->ring_tail >= f->ring_head
						   ? f->ring_tail - f->ring_head
						   : f->ring_size - f->ring_head + f->ring_tail);
		else
			fputs("null", out);
		fprintf(out, ",\"ring_head\":%u,\"ring_tail\":%u", f->ring_head, f->ring_tail);
	}
	if (f->hop == VNO_HOP_GUEST) {
		const char *e = f->drop_reason ? strerrorname_np(f->drop_reason) : NULL;

		fputs(",\"refused\":", out);
		if (!f->drop_reason)
			fputs("null", out);
		else if (e)
			fprintf(out, "\"%s\"", e);
		else
			fprintf(out, "\"%u\"", f->drop_reason);
	}
	/* The first rule the frame tripped; the summary counts every rule. */
	if ((f->flags & VNO_F_ANOMALY) && f->anomaly)
		fprintf(out, ",\"anomaly\":\"%s\"", anomaly_name(f->anomaly - 1));
}

void json_frame(FILE *out, const struct vno_event *ev)
{
	fputs("{\"type\":\"frame\",", out);
	json_frame_fields(out, ev);
	fputs("}\n", out);
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

int json_get_str(const char *json, const char *key, char *buf, size_t len)
{
	const char *v = json_find(json, key);
	size_t o = 0;

	if (!v || *v != '"' || !len)
		return -ENOENT;
	for (v++; *v && *v != '"'; v++) {
		char c = *v;

		if (c == '\\' && v[1]) {
			v++;
			c = *v == 'n' ? '\n' : *v == 't' ? '\t' : *v == 'r' ? '\r' : *v;
			if (*v == 'u') { /* \u00XX from json_str: keep it printable */
				c = '?';
				v += strnlen(v, 5) == 5 ? 4 : 0;
			}
		}
		if (o + 1 < len)
			buf[o++] = c;
	}
	buf[o] = '\0';
	return *v == '"' ? 0 : -EINVAL;
}
