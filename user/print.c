// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* One frame as a line: on a terminal, or as JSON with the VM it came from. */
#include <inttypes.h>
#include <stdbool.h>
#include <string.h>
#include "decode.h"
#include "ifaces.h"
#include "json.h"
#include "print.h"

/* Bytes of the character at @p (1 for a byte that starts none) and
 * whether it must be escaped. */
static size_t term_char(const unsigned char *p, size_t n, bool *esc)
{
	size_t k = utf8_char_len(p, n);

	*esc = !k || *p < 0x20 || *p == 0x7F || utf8_is_c1(p, k);
	return k ? k : 1;
}

const char *term_str(char *buf, size_t len, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s, *end;
	size_t o = 0, n = strlen(s), k, need, i, total = 0;
	bool esc, cut;

	if (!len)
		return buf;
	end = p + n;
	for (const unsigned char *q = p; q < end; q += k) {
		k = term_char(q, (size_t)(end - q), &esc);
		total += esc ? 4 * k : k;
	}
	/* Cut short: keep room for the "…" (3 bytes) that says so. */
	cut = total >= len;
	for (; p < end; p += k) {
		k = term_char(p, (size_t)(end - p), &esc);
		need = esc ? 4 * k : k;
		if (cut && o + need + 3 >= len) {
			if (o + 3 < len) {
				memcpy(buf + o, "\xe2\x80\xa6", 3);
				o += 3;
			}
			break;
		}
		for (i = 0; i < k; i++) {
			if (esc) {
				buf[o++] = '\\';
				buf[o++] = 'x';
				buf[o++] = hex[p[i] >> 4];
				buf[o++] = hex[p[i] & 15];
			} else {
				buf[o++] = (char)p[i];
			}
		}
	}
	buf[o] = '\0';
	return buf;
}

void print_frame(FILE *out, const struct vno_event *ev, __u64 t0_ns)
{
	const struct vno_frame *f = &ev->f;
	char gso[128], sa[64], da[64], fl[16], name[VNO_IFNAMSIZ + 1], csum[32];
	char dev[TERM_STR_LEN(VNO_IFNAMSIZ)], rs[TERM_STR_LEN(64)], enc[160];
	struct vno_encap e;
	__u64 t = f->ts_ns >= t0_ns ? f->ts_ns - t0_ns : 0;

	vno_gso_type_str(f->gso_type, "|", gso, sizeof(gso));
	memcpy(name, f->dev, VNO_IFNAMSIZ);
	name[VNO_IFNAMSIZ] = '\0';
	fprintf(out, "%4" PRIu64 ".%06" PRIu64 " %-12s %-10s q%-2u len=%-6u", (uint64_t)(t / 1000000000),
		(uint64_t)(t % 1000000000 / 1000), term_str(dev, sizeof(dev), name),
		vno_hop_name(f->hop), f->queue, f->len);
	if (f->gso_size || f->gso_type)
		fprintf(out, " gso=%ux%u %s", f->gso_size, f->gso_segs, gso);
	vno_csum_str(f, csum, sizeof(csum));
	fprintf(out, " csum=%s", csum);
	if (f->ip_ver) {
		vno_addr_str(f, true, sa, sizeof(sa));
		vno_addr_str(f, false, da, sizeof(da));
		if (f->sport || f->dport)
			fprintf(out, f->ip_ver == 6 ? " [%s]:%u > [%s]:%u" : " %s:%u > %s:%u", sa,
				f->sport, da, f->dport);
		else
			fprintf(out, " %s > %s", sa, da);
		if (vno_l4_name(f->l4_proto))
			fprintf(out, " %s", vno_l4_name(f->l4_proto));
		if (f->l4_proto == 6) {
			vno_tcp_flags_str(f->tcp_flags, fl, sizeof(fl));
			fprintf(out, " [%s] seq %u", fl, f->tcp_seq);
		}
	}
	if (f->vlan_proto)
		fprintf(out, " vlan %u", f->vlan_tci & 0xFFF);
	if (vno_encap_decode(ev, &e) && vno_encap_str(&e, enc, sizeof(enc)))
		fprintf(out, " %s", enc);
	if (f->hop == VNO_HOP_DONE || f->hop == VNO_HOP_DROP || (f->flags & VNO_F_QUEUE_WAIT))
		fprintf(out, " %s=%.1fus", f->hop == VNO_HOP_XMIT ? "qwait" : "lat",
			f->latency_ns / 1e3);
	if (f->flags & VNO_F_FREED) {
		const char *r = vno_drop_reason_name ? vno_drop_reason_name(f->drop_reason) : NULL;

		if (r)
			fprintf(out, " freed:%s", term_str(rs, sizeof(rs), r));
		else
			fprintf(out, " freed:%u", f->drop_reason);
	}
	if (f->flags & VNO_F_CHANGED)
		fprintf(out, " became len=%u gso=%ux%u", f->merged_len, f->merged_gso_size,
			f->merged_segs);
	if (f->flags & VNO_F_RING)
		fprintf(out, " ring %u/%u free head %u tail %u", f->ring_free, f->ring_size,
			f->ring_head, f->ring_tail);
	if (f->hop == VNO_HOP_GUEST && f->drop_reason)
		fprintf(out, " REFUSED:%s", strerrorname_np(f->drop_reason) ?: "?");
	if (f->flags & VNO_F_ANOMALY)
		fputs(" ANOMALY", out);
	fprintf(out, " id=%08" PRIx64 "\n", (uint64_t)(f->pkt_id >> 32));
}

void json_frame_from(FILE *out, const struct vno_event *ev, const struct frame_extra *x)
{
	char name[VNO_IFNAMSIZ + 1];

	fputs("{\"type\":\"frame\",", out);
	json_frame_fields(out, ev);
	if (x->vm && x->vm[0]) {
		fputs(",\"vm\":", out);
		json_str(out, x->vm);
	}
	if (x->origin) {
		/* Where the frame entered the host, across encapsulation: the
		 * BPF side keeps it with the skb from its rx hop on. */
		snprintf(name, sizeof(name), "%.*s", VNO_IFNAMSIZ, x->origin->name);
		fputs(",\"origin\":", out);
		json_str(out, name);
		fputs(",\"origin_vm\":", out);
		if (x->origin->vm[0])
			json_str(out, x->origin->vm);
		else
			fputs("null", out);
	}
	if (x->detail && x->detail[0]) {
		fputs(",\"anomaly_detail\":", out);
		json_str(out, x->detail);
	}
	if (x->cause && x->cause[0]) {
		fputs(",\"drop_cause\":", out);
		json_str(out, x->cause);
	}
	fputs("}\n", out);
}
