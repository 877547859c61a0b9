/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Hand-made pcapng in memory, for the fuzz targets and the crafted files
 * that reach report's worst cases: blocks laid out the way capture_read.c reads
 * them (little-endian section, our custom blocks and record option), with
 * nothing of the writer's own checks in the way. The writer would refuse
 * some of these files (65536 interfaces per file); an attacker's would not.
 */
#ifndef VNO_FUZZ_CRAFT_H
#define VNO_FUZZ_CRAFT_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "capture.h"

struct craft {
	uint8_t *p;
	size_t len, cap;
};

static inline void cr_bytes(struct craft *c, const void *d, size_t n)
{
	if (c->len + n + 4 > c->cap) {
		c->cap = (c->len + n + 4) * 2;
		c->p = realloc(c->p, c->cap);
		if (!c->p)
			abort();
	}
	memcpy(c->p + c->len, d, n);
	c->len += n;
}

static inline void cr_u32(struct craft *c, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };

	cr_bytes(c, b, 4);
}

static inline void cr_u16(struct craft *c, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)v, (uint8_t)(v >> 8) };

	cr_bytes(c, b, 2);
}

static inline void cr_pad(struct craft *c)
{
	static const uint8_t z[4];

	cr_bytes(c, z, -c->len & 3);
}

static inline size_t cr_begin(struct craft *c, uint32_t type)
{
	size_t start = c->len;

	cr_u32(c, type);
	cr_u32(c, 0);
	return start;
}

static inline void cr_end(struct craft *c, size_t start)
{
	uint32_t total = (uint32_t)(c->len - start + 4);

	cr_u32(c, total);
	/* Little-endian section: the length as the bytes cr_u32 writes. */
	for (int i = 0; i < 4; i++)
		c->p[start + 4 + i] = (uint8_t)(total >> (8 * i));
}

/* Section header saying it is ours, and one Ethernet interface. */
static inline void cr_header(struct craft *c)
{
	size_t b = cr_begin(c, 0x0A0D0D0A);

	cr_u32(c, 0x1A2B3C4D);
	cr_u16(c, 1);
	cr_u16(c, 0);
	cr_u32(c, 0xFFFFFFFF);
	cr_u32(c, 0xFFFFFFFF);
	cr_u16(c, 4); /* shb_userappl */
	cr_u16(c, 15);
	cr_bytes(c, "vnoffload-trace", 15);
	cr_pad(c);
	cr_u32(c, 0);
	cr_end(c, b);
	b = cr_begin(c, 1); /* IDB: Ethernet, no options */
	cr_u16(c, 1);
	cr_u16(c, 0);
	cr_u32(c, 0);
	cr_end(c, b);
}

/* A custom block "VNOB" of @kind with @n bytes of data (a note, "session",
 * "end"). */
static inline void cr_custom(struct craft *c, const char *kind, const void *d, size_t n)
{
	size_t b = cr_begin(c, 0x00000BAD), k = strlen(kind);

	cr_u32(c, CAPTURE_PEN);
	cr_bytes(c, "VNOB", 4);
	cr_u16(c, 1);
	cr_u16(c, (uint16_t)k);
	cr_u32(c, (uint32_t)n);
	cr_bytes(c, kind, k);
	cr_bytes(c, d, n);
	cr_pad(c);
	cr_end(c, b);
}

static inline void cr_note(struct craft *c, const char *kind, const char *json)
{
	cr_custom(c, kind, json, strlen(json));
}

/* One frame record (on a little-endian host the record is the struct), no
 * packet bytes, on interface 0. */
static inline void cr_frame(struct craft *c, const struct vno_frame *f)
{
	size_t b = cr_begin(c, 6);

	cr_u32(c, 0);
	cr_u32(c, (uint32_t)(f->ts_ns >> 32));
	cr_u32(c, (uint32_t)f->ts_ns);
	cr_u32(c, 0);
	cr_u32(c, 0);
	cr_u16(c, 2989); /* opt_custom_bin */
	cr_u16(c, 4 + 8 + sizeof(*f));
	cr_u32(c, CAPTURE_PEN);
	cr_bytes(c, "VNOF", 4);
	cr_u16(c, VNO_RECORD_VERSION);
	cr_u16(c, sizeof(*f));
	cr_bytes(c, f, sizeof(*f));
	cr_pad(c);
	cr_u32(c, 0); /* opt_endofopt */
	cr_end(c, b);
}

/* A plausible super-frame handed to the driver of @dev. */
static inline void cr_frame_init(struct vno_frame *f, const char *dev, uint32_t ifindex,
				 uint64_t ts_ns)
{
	memset(f, 0, sizeof(*f));
	f->version = VNO_RECORD_VERSION;
	f->ts_ns = ts_ns;
	f->netns = 4026531840u;
	f->ifindex = ifindex;
	memcpy(f->dev, dev, strnlen(dev, sizeof(f->dev)));
	f->hop = VNO_HOP_XMIT;
	f->len = 14546;
	f->gso_size = 1448;
	f->gso_segs = 10;
	f->gso_type = VNO_GSO_TCPV4;
	f->ip_summed = VNO_CSUM_PARTIAL;
	f->pkt_id = ts_ns * 2654435761u;
}

/* A drop-reason table, a dropped and a sent frame on @dev (ifindex 7) and a
 * hang note: the strings report prints, with whatever bytes the caller put
 * in them (the escaping tests and seeds). */
static inline void cr_escaped_frames(struct craft *c, const char *dev, const char *reasons_json,
				     const char *hang_json)
{
	struct vno_frame f;

	cr_note(c, "drop_reasons", reasons_json);
	cr_frame_init(&f, dev, 7, 1000000);
	f.hop = VNO_HOP_DROP;
	f.flags = VNO_F_FREED;
	f.drop_reason = 2;
	cr_frame(c, &f);
	cr_frame_init(&f, dev, 7, 1001000);
	cr_frame(c, &f);
	cr_note(c, "hang", hang_json);
}

#endif
