/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The pcapng format as vnoffload-trace writes and reads it
 * (draft-ietf-opsawg-pcapng-03): block types, option codes, our custom
 * block and record headers, byte-order helpers, a block under construction
 * and the little-endian encoding of struct vno_frame. The layout of a
 * capture is described at the top of capture_write.c.
 */
#ifndef VNO_PCAPNG_H
#define VNO_PCAPNG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "vno.h"

/* Block types and option codes: pcapng draft sections 4, 3.5 and 4.x. */
#define PCAPNG_SHB 0x0A0D0D0Au
#define PCAPNG_IDB 0x00000001u
#define PCAPNG_PB 0x00000002u /* obsolete Packet Block */
#define PCAPNG_SPB 0x00000003u
#define PCAPNG_EPB 0x00000006u
#define PCAPNG_CB 0x00000BADu	     /* Custom Block, may be copied */
#define PCAPNG_CB_NOCOPY 0x40000BADu /* Custom Block, must not be copied */
#define PCAPNG_BOM 0x1A2B3C4Du

#define OPT_ENDOFOPT 0
#define OPT_COMMENT 1
#define OPT_CUSTOM_BIN 2989	    /* binary, may be copied */
#define OPT_CUSTOM_BIN_NOCOPY 19373 /* binary, must not be copied */
#define SHB_HARDWARE 2
#define SHB_OS 3
#define SHB_USERAPPL 4
#define IF_NAME 2
#define IF_DESCRIPTION 3
#define IF_TSRESOL 9
#define EPB_FLAGS 2
#define EPB_PACKETID 5
#define EPB_QUEUE 6
#define EPB_DIR_IN 1u  /* epb_flags bits 0-1 */
#define EPB_DIR_OUT 2u

#define LINKTYPE_ETHERNET 1 /* tcpdump.org link-layer header types */

#define CB_TAG "VNOB"
#define REC_TAG "VNOF"
#define CB_LAYOUT 1
#define CB_HDR_LEN 12	 /* tag, layout, kind_len, data_len */
#define REC_HDR_LEN 8	 /* tag, version, length */
#define REC_LEN 176
#define REC_LEN_V1 144 /* version 1: everything up to origin_ifindex */
#define REC_LEN_V2 160 /* version 2: up to ring_tail */
/*
 * The record version of the capture file, apart from the ring buffer's
 * VNO_RECORD_VERSION (struct vno_frame itself). 1 to 3 hold the struct as
 * it was then; 4 holds the current struct packed: a map of its non-zero
 * 8-byte words, then those words, without what the packet block and the
 * interface's record already say (rec_pack).
 */
#define REC_VERSION 4
#define REC_WORDS (REC_LEN / 8)		 /* 8-byte words of struct vno_frame */
#define REC_PACKED_MAX (8 + REC_LEN)	 /* the word map and every word */
/* The interface record (custom option 2989 in each IDB, version 4 on):
 * "VNOI" u16 layout u16 length, then u64 mono_to_real_ns, u32 netns,
 * u32 ifindex, char dev[16], little-endian. */
#define IFREC_TAG "VNOI"
#define IFREC_LAYOUT 1
#define IFREC_LEN 32
#define KIND_MAX 64
#define COMMENT_MAX 4096 /* a note's comment; Wireshark shows one line */


_Static_assert(sizeof(struct vno_frame) == REC_LEN, "vno_frame ABI");
_Static_assert(REC_LEN % 8 == 0 && REC_WORDS <= 64, "the word map holds every word");
/* A new record version needs a new entry in rec_fields (pcapng.c) and a
 * reader for the old one: make the compiler say so. */
_Static_assert(VNO_RECORD_VERSION == 3, "update the capture record layout");

/* struct vno_frame as the REC_LEN little-endian bytes of the record. */
void rec_encode(const struct vno_frame *f, uint8_t *out);
/* @in holds @len bytes: an older, shorter record leaves the fields it did
 * not have as they were (zero). */
void rec_decode(struct vno_frame *f, const uint8_t *in, size_t len);
/* Version 4: @f as a u64 map (bit i: word i of the little-endian record is
 * not zero) and then those words in order, into @out (REC_PACKED_MAX
 * bytes). Returns the bytes written: 8 + 8 * the words kept. The caller
 * zeroes first what is said elsewhere (write_epb). */
size_t rec_pack(const struct vno_frame *f, uint8_t *out);
/* The reverse, from @len bytes: 0, or -1 when the map names a word past
 * the struct or more or fewer words than @len holds. @f is all zero but
 * for the words the map names. */
int rec_unpack(struct vno_frame *f, const uint8_t *in, size_t len);

static inline uint16_t get16(const uint8_t *p, bool be)
{
	return be ? (uint16_t)(p[0] << 8 | p[1]) : (uint16_t)(p[1] << 8 | p[0]);
}

static inline uint32_t get32(const uint8_t *p, bool be)
{
	return be ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]
		  : (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

static inline void set32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* ---- a block under construction ------------------------------------------ */

/* A growable byte buffer: blocks are built in one from offset 0, and the
 * first error (E2BIG past CAPTURE_BLOCK_MAX, ENOMEM) sticks until the next
 * blk_begin(). */
struct pbuf {
	uint8_t *p;
	size_t len, cap;
	int err;
};

int pbuf_grow_slow(struct pbuf *b, size_t n);

/* Room for @n more bytes; the common case (room already there, no error)
 * inline, as blocks are built a few bytes at a time. */
static inline int pbuf_grow(struct pbuf *b, size_t n)
{
	if (__builtin_expect(!b->err && b->len + n <= b->cap, 1))
		return 0;
	return pbuf_grow_slow(b, n);
}

static inline void put(struct pbuf *b, const void *d, size_t n)
{
	if (!n || pbuf_grow(b, n))
		return;
	memcpy(b->p + b->len, d, n);
	b->len += n;
}

static inline void put_zero(struct pbuf *b, size_t n)
{
	if (!n || pbuf_grow(b, n))
		return;
	memset(b->p + b->len, 0, n);
	b->len += n;
}

static inline void put_u16(struct pbuf *b, uint16_t v)
{
	uint8_t x[2] = { (uint8_t)v, (uint8_t)(v >> 8) };

	put(b, x, 2);
}

static inline void put_u32(struct pbuf *b, uint32_t v)
{
	uint8_t x[4];

	set32(x, v);
	put(b, x, 4);
}

static inline void put_u64(struct pbuf *b, uint64_t v)
{
	put_u32(b, (uint32_t)v);
	put_u32(b, (uint32_t)(v >> 32));
}

/* Blocks are built from offset 0 of their buffer, so this pads the block. */
static inline void put_pad4(struct pbuf *b)
{
	put_zero(b, -b->len & 3);
}

/* Block-building with a cursor into room reserved beforehand: each field
 * a store, not a call (write_epb builds the block of every record so). */
static inline uint8_t *cur_u32(uint8_t *p, uint32_t v)
{
	set32(p, v);
	return p + 4;
}

static inline uint8_t *cur_opt(uint8_t *p, uint16_t code, const void *d, size_t n)
{
	size_t pad = -n & 3;

	p[0] = (uint8_t)code;
	p[1] = (uint8_t)(code >> 8);
	p[2] = (uint8_t)n;
	p[3] = (uint8_t)(n >> 8);
	memcpy(p + 4, d, n);
	memset(p + 4 + n, 0, pad);
	return p + 4 + n + pad;
}

/* An option, padded to 4 bytes (options start aligned). */
static inline void put_opt(struct pbuf *b, uint16_t code, const void *d, size_t n)
{
	if (pbuf_grow(b, 4 + n + 3))
		return;
	b->len = (size_t)(cur_opt(b->p + b->len, code, d, n) - b->p);
}

static inline void put_opt_str(struct pbuf *b, uint16_t code, const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n)
		put_opt(b, code, s, n < 0xFFFF ? n : 0xFFFF);
}

static inline void blk_begin(struct pbuf *b, uint32_t type)
{
	b->len = 0;
	b->err = 0;
	put_u32(b, type);
	put_u32(b, 0); /* total length, set by blk_end */
}

/* The end of options and the two lengths: 0 or the buffer's error. */
static inline int blk_end(struct pbuf *b)
{
	put_u32(b, OPT_ENDOFOPT); /* opt_endofopt: code 0, length 0 */
	put_u32(b, (uint32_t)b->len + 4);
	if (b->err)
		return b->err;
	set32(b->p + 4, (uint32_t)b->len);
	return 0;
}

#endif
