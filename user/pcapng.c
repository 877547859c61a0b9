// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The pcapng record codec and block buffer behind pcapng.h. */
#include <errno.h>
#include <stdlib.h>

#include "capture.h"
#include "pcapng.h"

/* ---- little-endian encoding of the record ---------------------------- */

struct rec_field {
	unsigned short off, size;
	bool bytes; /* an array: copied as is */
};

#define RF(m) { offsetof(struct vno_frame, m), sizeof(((struct vno_frame *)0)->m), false }
#define RB(m) { offsetof(struct vno_frame, m), sizeof(((struct vno_frame *)0)->m), true }

/* Every byte of struct vno_frame, in order (checked by the unit tests). */
static const struct rec_field rec_fields[] = {
	RF(ts_ns),	 RF(pkt_id),	RF(latency_ns),	 RF(netns),	  RF(ifindex),
	RF(len),	 RF(data_len),	RF(gso_type),	 RF(drop_reason), RF(tcp_seq),
	RF(gso_size),	 RF(gso_segs),	RF(csum_start),	 RF(csum_offset), RF(queue),
	RF(network_off), RF(transport_off), RF(l3_proto), RF(vlan_tci),	  RF(vlan_proto),
	RF(sport),	 RF(dport),	RF(hop),	 RF(ip_summed),	  RF(nr_frags),
	RF(l4_proto),	 RF(version),	RF(flags),	 RF(tcp_flags),	  RF(ip_ver),
	RF(cap_len),	 RF(mac_len),	RB(saddr),	 RB(daddr),	  RB(dev),
	RF(anomaly),	 RF(encap),	RF(inner_protocol), RF(origin_ifindex),
	RF(ring_size),	 RF(ring_free),	RF(ring_head),	 RF(ring_tail),
	RF(merged_len),	 RF(merged_gso_type), RF(merged_gso_size), RF(merged_segs),
	RF(inner_network_off), RF(inner_transport_off),
};
_Static_assert(offsetof(struct vno_frame, inner_transport_off) + 2 == sizeof(struct vno_frame),
	       "struct vno_frame grew a field: add it to rec_fields");
_Static_assert(offsetof(struct vno_frame, ring_size) == REC_LEN_V1, "version 1 is a prefix");
_Static_assert(offsetof(struct vno_frame, merged_len) == REC_LEN_V2, "version 2 is a prefix");

void rec_encode(const struct vno_frame *f, uint8_t *out)
{
	const uint8_t *src = (const uint8_t *)f;

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	/* The record is little-endian: on such a host it is the struct. */
	memcpy(out, src, REC_LEN);
#else
	for (size_t i = 0; i < sizeof(rec_fields) / sizeof(rec_fields[0]); i++) {
		const struct rec_field *rf = &rec_fields[i];
		uint64_t v = 0;
		uint32_t v32;
		uint16_t v16;

		if (rf->bytes) {
			memcpy(out + rf->off, src + rf->off, rf->size);
			continue;
		}
		switch (rf->size) {
		case 1: v = src[rf->off]; break;
		case 2: memcpy(&v16, src + rf->off, 2); v = v16; break;
		case 4: memcpy(&v32, src + rf->off, 4); v = v32; break;
		default: memcpy(&v, src + rf->off, 8); break;
		}
		for (unsigned b = 0; b < rf->size; b++)
			out[rf->off + b] = (uint8_t)(v >> (8 * b));
	}
#endif
}

void rec_decode(struct vno_frame *f, const uint8_t *in, size_t len)
{
	uint8_t *dst = (uint8_t *)f;

	for (size_t i = 0; i < sizeof(rec_fields) / sizeof(rec_fields[0]); i++) {
		const struct rec_field *rf = &rec_fields[i];
		uint64_t v = 0;
		uint32_t v32;
		uint16_t v16;

		if (rf->off + rf->size > len)
			break;
		if (rf->bytes) {
			memcpy(dst + rf->off, in + rf->off, rf->size);
			continue;
		}
		for (unsigned b = 0; b < rf->size; b++)
			v |= (uint64_t)in[rf->off + b] << (8 * b);
		switch (rf->size) {
		case 1: dst[rf->off] = (uint8_t)v; break;
		case 2: v16 = (uint16_t)v; memcpy(dst + rf->off, &v16, 2); break;
		case 4: v32 = (uint32_t)v; memcpy(dst + rf->off, &v32, 4); break;
		default: memcpy(dst + rf->off, &v, 8); break;
		}
	}
}

size_t rec_pack(const struct vno_frame *f, uint8_t *out)
{
	uint8_t *p = out + 8;
	uint64_t map = 0, w;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	const uint8_t *le = (const uint8_t *)f;
#else
	uint8_t le[REC_LEN];

	rec_encode(f, le);
#endif
	for (unsigned i = 0; i < REC_WORDS; i++) {
		memcpy(&w, le + 8 * i, 8);
		if (!w)
			continue;
		map |= 1ull << i;
		memcpy(p, &w, 8); /* the record's bytes as they are */
		p += 8;
	}
	set32(out, (uint32_t)map);
	set32(out + 4, (uint32_t)(map >> 32));
	return (size_t)(p - out);
}

int rec_unpack(struct vno_frame *f, const uint8_t *in, size_t len)
{
	uint8_t le[REC_LEN] = { 0 };
	uint64_t map;

	if (len < 8)
		return -1;
	map = (uint64_t)get32(in, false) | (uint64_t)get32(in + 4, false) << 32;
	if (map >> REC_WORDS || len != 8 + 8 * (size_t)__builtin_popcountll(map))
		return -1;
	in += 8;
	for (unsigned i = 0; i < REC_WORDS; i++) {
		if (!(map >> i & 1))
			continue;
		memcpy(le + 8 * i, in, 8);
		in += 8;
	}
	memset(f, 0, sizeof(*f));
	rec_decode(f, le, REC_LEN);
	return 0;
}

int pbuf_grow_slow(struct pbuf *b, size_t n)
{
	size_t cap;
	uint8_t *p;

	if (b->err)
		return b->err;
	/* Nothing we write may be larger than what readers accept. */
	if (n > CAPTURE_BLOCK_MAX || b->len + n > CAPTURE_BLOCK_MAX)
		return b->err = -E2BIG;
	cap = b->cap ? b->cap : 1024;
	while (cap < b->len + n)
		cap *= 2;
	p = realloc(b->p, cap);
	if (!p)
		return b->err = -ENOMEM;
	b->p = p;
	b->cap = cap;
	return 0;
}

