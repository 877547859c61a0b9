// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Capture files: a pcapng writer and reader (draft-ietf-opsawg-pcapng-03,
 * "PCAP Next Generation Dump File Format"), gzip through zlib.
 *
 * What we write, all little-endian:
 *
 *   SHB   shb_hardware (uname -m), shb_os (kernel release), shb_userappl
 *         (tool and version), opt_comment (the command line)
 *   CB    kind "session": the session metadata as JSON
 *   IDB   one per (netns, ifindex, hop), written before its first frame:
 *         LINKTYPE_ETHERNET, SnapLen = --snaplen, if_name, if_description
 *         "driver=… hop=… netns=… ifindex=…", if_tsresol 9
 *   EPB   one per frame: wall-clock ns, the first --snaplen frame bytes,
 *         original length skb->len, epb_flags (direction), epb_packetid,
 *         epb_queue, opt_comment, custom option 2989 with the record
 *   CB    notes ("hang", "lost", …) wherever they happen
 *   CB    kind "end" when the file is closed properly
 *
 * Our custom data (Custom Block 0x00000BAD and custom option 2989, both
 * "copyable" so editors keep them) follows the PEN (in the section's byte
 * order, as pcapng says) and is little-endian whatever that order:
 *
 *   block  "VNOB" u16 layout(1) u16 kind_len u32 data_len kind data pad4,
 *          then options (opt_comment for people)
 *   option "VNOF" u16 record_version(VNO_RECORD_VERSION) u16 record_len(160;
 *          144 in version 1, which had no ring_* fields)
 *          struct vno_frame, field by field at its C offsets
 *
 * The record carries ts_ns in CLOCK_MONOTONIC; EPB timestamps add the
 * CLOCK_REALTIME - CLOCK_MONOTONIC offset taken at open, which is in the
 * session metadata too.
 *
 * A section is ours when its shb_userappl starts with "vnoffload-trace" or
 * it has a "session" block; one of ours without the "end" block was not
 * closed (kill -9, power cut, full disk) and reads as truncated.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include <isa-l/igzip_lib.h>
#include <zlib.h>

#include "capture.h"
#include "decode.h"
#include "sbuf.h"

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
#define REC_LEN 160
#define REC_LEN_V1 144 /* version 1: everything up to origin_ifindex */
#define KIND_MAX 64
#define COMMENT_MAX 4096 /* a note's comment; Wireshark shows one line */

#define OUT_CAP (64u << 10)
#define IDB_MAX 65536
#define IFACES_MAX 4096
#define FLUSH_NS 500000000ull
/* The writer compresses with ISA-L's igzip (the reader inflates with zlib:
 * gzip is gzip). At level 1 it compressed captures 9.2:1 at ~1.5 GB/s here,
 * where zlib's fastest level gave 9.6:1 at ~0.2 GB/s, and the ring-buffer
 * consumer must not fall behind at high frame rates. */
#define GZ_LEVEL 1
#define GZ_LEVEL_BUF ISAL_DEF_LVL1_DEFAULT

/* How far a compressor call flushes. */
enum gz_flush { GZ_NONE, GZ_SYNC, GZ_FINISH };

_Static_assert(sizeof(struct vno_frame) == REC_LEN, "vno_frame ABI");
/* A new record version needs a new entry in rec_fields and a reader for the
 * old one: make the compiler say so. */
_Static_assert(VNO_RECORD_VERSION == 2, "update the capture record layout");

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
	RF(anomaly),	 RB(reserved),	RF(origin_ifindex),
	RF(ring_size),	 RF(ring_free),	RF(ring_head),	 RF(ring_tail),
};
_Static_assert(offsetof(struct vno_frame, ring_tail) + 4 == sizeof(struct vno_frame),
	       "struct vno_frame grew a field: add it to rec_fields");
_Static_assert(offsetof(struct vno_frame, ring_size) == REC_LEN_V1, "version 1 is a prefix");

static void rec_encode(const struct vno_frame *f, uint8_t *out)
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

/* @in holds @len bytes: an older, shorter record leaves the fields it did
 * not have as they were (zero). */
static void rec_decode(struct vno_frame *f, const uint8_t *in, size_t len)
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

/* ---- a growable byte buffer for blocks and JSON ------------------------ */

struct buf {
	uint8_t *p;
	size_t len, cap;
	int err;
};

static int buf_grow_slow(struct buf *b, size_t n)
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

/* Room for @n more bytes; the common case (room already there, no error)
 * inline, as blocks are built a few bytes at a time. */
static inline int buf_grow(struct buf *b, size_t n)
{
	if (__builtin_expect(!b->err && b->len + n <= b->cap, 1))
		return 0;
	return buf_grow_slow(b, n);
}

static void put(struct buf *b, const void *d, size_t n)
{
	if (!n || buf_grow(b, n))
		return;
	memcpy(b->p + b->len, d, n);
	b->len += n;
}

static void put_zero(struct buf *b, size_t n)
{
	if (!n || buf_grow(b, n))
		return;
	memset(b->p + b->len, 0, n);
	b->len += n;
}

static void put_u16(struct buf *b, uint16_t v)
{
	uint8_t x[2] = { (uint8_t)v, (uint8_t)(v >> 8) };

	put(b, x, 2);
}

static void put_u32(struct buf *b, uint32_t v)
{
	uint8_t x[4];

	set32(x, v);
	put(b, x, 4);
}

static void put_u64(struct buf *b, uint64_t v)
{
	put_u32(b, (uint32_t)v);
	put_u32(b, (uint32_t)(v >> 32));
}

/* Blocks are built from offset 0 of their buffer, so this pads the block. */
static void put_pad4(struct buf *b)
{
	put_zero(b, -b->len & 3);
}

/* Block-building with a cursor into room reserved beforehand: each field
 * a store, not a call (write_epb builds the block of every record so). */
static uint8_t *cur_u32(uint8_t *p, uint32_t v)
{
	set32(p, v);
	return p + 4;
}

static uint8_t *cur_opt(uint8_t *p, uint16_t code, const void *d, size_t n)
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
static void put_opt(struct buf *b, uint16_t code, const void *d, size_t n)
{
	if (buf_grow(b, 4 + n + 3))
		return;
	b->len = (size_t)(cur_opt(b->p + b->len, code, d, n) - b->p);
}

static void put_opt_str(struct buf *b, uint16_t code, const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n)
		put_opt(b, code, s, n < 0xFFFF ? n : 0xFFFF);
}

static void blk_begin(struct buf *b, uint32_t type)
{
	b->len = 0;
	b->err = 0;
	put_u32(b, type);
	put_u32(b, 0); /* total length, set by blk_end */
}

static int blk_end(struct buf *b)
{
	put_u32(b, OPT_ENDOFOPT); /* opt_endofopt: code 0, length 0 */
	put_u32(b, (uint32_t)b->len + 4);
	if (b->err)
		return b->err;
	set32(b->p + 4, (uint32_t)b->len);
	return 0;
}

/* ---- JSON output --------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t len, i;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xC2 && s[0] <= 0xDF)
		len = 2, cp = s[0] & 0x1F;
	else if (s[0] >= 0xE0 && s[0] <= 0xEF)
		len = 3, cp = s[0] & 0x0F;
	else if (s[0] >= 0xF0 && s[0] <= 0xF4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3F);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
		return 0;
	return len;
}

/* A JSON string of at most max bytes of s. JSON must be UTF-8: a byte that
 * is not part of valid UTF-8 (a command line can hold anything) is written
 * as the Latin-1 character of the same value. */
static void js_str(struct buf *b, const char *s, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strnlen(s, max), i = 0, l;
	char esc[8];

	put(b, "\"", 1);
	while (i < n) {
		unsigned char c = p[i];

		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			put(b, esc, 2);
			i++;
		} else if (c < 0x20 || c == 0x7F) {
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			put(b, esc, 6);
			i++;
		} else if ((l = utf8_len(p + i, n - i))) {
			put(b, p + i, l);
			i += l;
		} else {
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			put(b, esc, 6);
			i++;
		}
	}
	put(b, "\"", 1);
}

static void js_raw(struct buf *b, const char *s)
{
	put(b, s, strlen(s));
}

static void js_fmt(struct buf *b, const char *fmt, ...)
{
	char tmp[128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n > 0)
		put(b, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

static const char *ol_state(signed char v)
{
	return v == VNO_OFF_ON ? "on" : v == VNO_OFF_OFF ? "off" : "unknown";
}

/* ---- writer --------------------------------------------------------------- */

struct idb_ent {
	uint32_t netns, ifindex, id;
	uint8_t hop, used;
};

/* gso_type names of the last two values seen: a capture holds few. */
struct gso_names {
	struct {
		__u32 type;
		bool set;
		char s[160];
	} e[2];
	unsigned next;
};

struct capture_writer {
	char *base; /* the path asked for: file 0 of a rotation */
	char *path; /* the file being written */
	struct capture_opts o;
	int fd;
	bool gz;
	struct isal_zstream zs;
	uint8_t *zlevel; /* the compressor's work area, GZ_LEVEL_BUF bytes */
	uint8_t *stage; /* whole blocks waiting for write() or deflate, batched */
	size_t stage_len;
	uint8_t *out; /* gz: deflate output waiting for write() */
	size_t out_len;
	unsigned long long gz_unflushed; /* input since the last flush */
	struct gso_names gso_names;
	unsigned long long file_bytes; /* handed to write() for this file */
	unsigned file_idx;
	struct buf blk;
	struct buf meta; /* session JSON, written at the top of every file */
	char kernel[65], tool[64], machine[65], cmdline[1024];
	struct vno_iface *ifaces;
	size_t n_ifaces;
	struct idb_ent *idb; /* open addressing on (netns, ifindex, hop) */
	size_t idb_cap;
	uint32_t n_idb;
	long long mono_to_real_ns;
	unsigned long long frames, notes; /* in this file */
	unsigned long long last_flush_ns;
	bool dirty;
	int err; /* first I/O error; sticky */
};

static int write_all(struct capture_writer *w, const void *p, size_t n)
{
	const uint8_t *c = p;

	while (n) {
		ssize_t r = write(w->fd, c, n);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0)
			return -EIO;
		c += r;
		n -= (size_t)r;
		w->file_bytes += (unsigned long long)r;
	}
	return 0;
}

/*
 * Plain files only ever receive whole blocks, so after a kill -9 a file ends
 * on a block boundary (unless it came mid-way through a write that the
 * kernel split). When a write fails half-way (full
 * disk, file size limit) cut the file back to the last whole block, so that
 * tshark, not only our reader, opens what was written.
 */
static int write_blocks(struct capture_writer *w, const void *p, size_t n)
{
	unsigned long long good = w->file_bytes;
	int err = write_all(w, p, n);

	if (err && !w->gz && w->file_bytes != good && !ftruncate(w->fd, (off_t)good))
		w->file_bytes = good;
	return err;
}

static int out_drain(struct capture_writer *w)
{
	int err;

	if (!w->out_len)
		return 0;
	err = write_blocks(w, w->out, w->out_len);
	w->out_len = 0;
	return err;
}

static int fail_io(struct capture_writer *w, int err)
{
	if (!w->err)
		w->err = err;
	return err;
}

static int deflate_run(struct capture_writer *w, enum gz_flush flush)
{
	int err;
	bool full;

	w->zs.flush = flush == GZ_NONE ? NO_FLUSH : SYNC_FLUSH;
	w->zs.end_of_stream = flush == GZ_FINISH;
	for (;;) {
		w->zs.next_out = w->out + w->out_len;
		w->zs.avail_out = OUT_CAP - (unsigned)w->out_len;
		if (isal_deflate(&w->zs) != COMP_OK)
			return -EIO;
		w->out_len = OUT_CAP - w->zs.avail_out;
		full = w->zs.avail_out == 0;
		if (full && (err = out_drain(w)))
			return err;
		if (w->zs.avail_in)
			continue;
		if (flush == GZ_NONE ||
		    (flush == GZ_FINISH ? w->zs.internal_state.state == ZSTATE_END : !full))
			return 0;
	}
}

/* Whole blocks to where they go: the file, or the compressor. */
static int blocks_out(struct capture_writer *w, const void *p, size_t n)
{
	if (!w->gz)
		return write_blocks(w, p, n);
	w->zs.next_in = (uint8_t *)p;
	w->zs.avail_in = (uint32_t)n;
	return deflate_run(w, GZ_NONE);
}

/* The batched blocks out. */
static int stage_drain(struct capture_writer *w)
{
	int err;

	if (!w->stage_len)
		return 0;
	err = blocks_out(w, w->stage, w->stage_len);
	w->stage_len = 0;
	return err;
}

/*
 * Room for a block of up to @n bytes (at most OUT_CAP) at the end of the
 * staged ones, to be built in place and then taken with stage_commit(); NULL
 * with *@err set when earlier blocks could not be written out. A write() or
 * a deflate call per block of a few hundred bytes costs more in calls than in
 * work: blocks are batched.
 */
static uint8_t *stage_room(struct capture_writer *w, size_t n, int *err)
{
	*err = w->err;
	if (!*err && w->stage_len + n > OUT_CAP && (*err = stage_drain(w)))
		fail_io(w, *err);
	return *err ? NULL : w->stage + w->stage_len;
}

static void stage_commit(struct capture_writer *w, size_t n)
{
	w->stage_len += n;
	w->gz_unflushed += n;
	w->dirty = true;
}

/* One whole block into the file. Errors are sticky. */
static int sink_write(struct capture_writer *w, const void *p, size_t n)
{
	uint8_t *dst;
	int err;

	if (n > OUT_CAP) {
		if (w->err)
			return w->err;
		if ((err = stage_drain(w)) || (err = blocks_out(w, p, n)))
			return fail_io(w, err);
		w->gz_unflushed += n;
		w->dirty = true;
		return 0;
	}
	if (!(dst = stage_room(w, n, &err)))
		return err;
	memcpy(dst, p, n);
	stage_commit(w, n);
	return 0;
}

/* Bytes bound for the file and not written yet, as far as known: the staged
 * blocks, or for gz the compressed output (its input has no size yet). */
static size_t unwritten(const struct capture_writer *w)
{
	return w->gz ? w->out_len : w->stage_len;
}

/* Everything so far to the kernel and, with sync, to the disk. */
static int sink_flush(struct capture_writer *w, enum gz_flush zflush, bool sync)
{
	int err = 0;

	if (w->err)
		return w->err;
	err = stage_drain(w);
	if (!err && w->gz)
		err = deflate_run(w, zflush);
	w->gz_unflushed = 0;
	if (!err)
		err = out_drain(w);
	/* fdatasync fails with EINVAL on pipes and devices: nothing to sync. */
	if (!err && sync && fdatasync(w->fd) && errno != EINVAL && errno != EROFS &&
	    errno != ENOTSUP)
		err = -errno;
	if (err)
		return fail_io(w, err);
	w->dirty = false;
	return 0;
}

static void sanitize(char *dst, size_t len, const char *src, size_t srclen)
{
	size_t i, n = strnlen(src, srclen);

	if (n >= len)
		n = len - 1;
	for (i = 0; i < n; i++)
		dst[i] = src[i] > 0x20 && src[i] < 0x7F ? src[i] : '?';
	dst[n] = '\0';
}

static int write_shb(struct capture_writer *w)
{
	struct buf *b = &w->blk;
	char comment[1100];
	int err;

	blk_begin(b, PCAPNG_SHB);
	put_u32(b, PCAPNG_BOM);
	put_u16(b, 1); /* major */
	put_u16(b, 0); /* minor */
	put_u64(b, UINT64_MAX); /* section length: -1, not known while writing */
	put_opt_str(b, SHB_HARDWARE, w->machine);
	put_opt_str(b, SHB_OS, w->kernel);
	put_opt_str(b, SHB_USERAPPL, w->tool);
	if (w->cmdline[0]) {
		snprintf(comment, sizeof(comment), "command: %s", w->cmdline);
		put_opt_str(b, OPT_COMMENT, comment);
	}
	err = blk_end(b);
	return err ? err : sink_write(w, b->p, b->len);
}

/* A custom block with our header: kind, data (JSON) and a comment. */
static int write_custom(struct capture_writer *w, const char *kind, const char *data,
			size_t dlen, const char *comment)
{
	struct buf *b = &w->blk;
	size_t klen = strlen(kind), clen;
	int err;

	blk_begin(b, PCAPNG_CB);
	put_u32(b, CAPTURE_PEN);
	put(b, CB_TAG, 4);
	put_u16(b, CB_LAYOUT);
	put_u16(b, (uint16_t)klen);
	put_u32(b, (uint32_t)dlen);
	put(b, kind, klen);
	put(b, data, dlen);
	put_pad4(b);
	if (comment && *comment) {
		/* Cut long comments on a character boundary. */
		clen = strnlen(comment, COMMENT_MAX + 1);
		if (clen > COMMENT_MAX) {
			clen = COMMENT_MAX;
			while (clen && ((unsigned char)comment[clen] & 0xC0) == 0x80)
				clen--;
		}
		put_opt(b, OPT_COMMENT, comment, clen);
	}
	err = blk_end(b);
	return err ? err : sink_write(w, b->p, b->len);
}

static int write_session(struct capture_writer *w)
{
	char comment[256];

	snprintf(comment, sizeof(comment),
		 "vnoffload-trace session metadata (JSON): %zu interfaces, snaplen %u", w->n_ifaces,
		 w->o.snaplen);
	return write_custom(w, "session", (const char *)w->meta.p, w->meta.len, comment);
}

static void build_meta(struct capture_writer *w, const struct vno_session *s)
{
	struct buf *b = &w->meta;
	bool first = true;

	js_raw(b, "{\"tool\":");
	js_str(b, w->tool, sizeof(w->tool));
	js_raw(b, ",\"kernel\":");
	js_str(b, w->kernel, sizeof(w->kernel));
	js_raw(b, ",\"machine\":");
	js_str(b, w->machine, sizeof(w->machine));
	js_raw(b, ",\"cmdline\":");
	js_str(b, w->cmdline, sizeof(w->cmdline));
	js_fmt(b, ",\"snaplen\":%u,\"mono_to_real_ns\":%lld,\"hooks\":{", w->o.snaplen,
	       w->mono_to_real_ns);
	for (unsigned h = 0; s && h < VNO_HOP__MAX; h++) {
		if (!s->hooks[h][0])
			continue;
		js_fmt(b, "%s\"%s\":", first ? "" : ",", vno_hop_name(h));
		js_str(b, s->hooks[h], sizeof(s->hooks[h]));
		first = false;
	}
	js_raw(b, "},\"interfaces\":[");
	for (size_t i = 0; i < w->n_ifaces; i++) {
		const struct vno_iface *it = &w->ifaces[i];

		js_raw(b, i ? ",{\"name\":" : "{\"name\":");
		js_str(b, it->name, sizeof(it->name));
		js_fmt(b, ",\"netns\":%u,\"ifindex\":%u,\"driver\":", it->netns, it->ifindex);
		js_str(b, it->driver, sizeof(it->driver));
		js_fmt(b, ",\"mtu\":%u,\"up\":%s,\"gso_max_size\":%u,\"gso_max_segs\":%u", it->mtu,
		       it->up ? "true" : "false", it->gso_max_size, it->gso_max_segs);
		js_fmt(b, ",\"tso_max_size\":%u,\"tso_max_segs\":%u,\"offloads\":{",
		       it->tso_max_size, it->tso_max_segs);
		for (int ol = 0; ol < VNO_OL__MAX; ol++)
			js_fmt(b, "%s\"%s\":\"%s\"", ol ? "," : "", vno_offload_name(ol),
			       ol_state(it->offload[ol]));
		js_raw(b, "}}");
	}
	js_raw(b, "]}");
}

static const struct vno_iface *find_iface(const struct capture_writer *w, uint32_t netns,
					  uint32_t ifindex)
{
	for (size_t i = 0; i < w->n_ifaces; i++)
		if (w->ifaces[i].netns == netns && w->ifaces[i].ifindex == ifindex)
			return &w->ifaces[i];
	return NULL;
}

static int write_idb(struct capture_writer *w, const struct vno_frame *f)
{
	const struct vno_iface *it = find_iface(w, f->netns, f->ifindex);
	struct buf *b = &w->blk;
	char name[VNO_IFNAMSIZ + 1], driver[40], desc[160];
	uint8_t tsresol = 9; /* if_tsresol: 10^-9 s */
	int err;

	sanitize(name, sizeof(name), f->dev, sizeof(f->dev));
	if (!name[0] && it)
		sanitize(name, sizeof(name), it->name, sizeof(it->name));
	if (!name[0])
		snprintf(name, sizeof(name), "if%u", f->ifindex);
	if (it && it->driver[0])
		sanitize(driver, sizeof(driver), it->driver, sizeof(it->driver));
	else
		snprintf(driver, sizeof(driver), "unknown");
	snprintf(desc, sizeof(desc), "driver=%s hop=%s netns=%u ifindex=%u%s%.40s", driver,
		 vno_hop_name(f->hop), f->netns, f->ifindex, it && it->vm[0] ? " vm=" : "", it ? it->vm : "");

	blk_begin(b, PCAPNG_IDB);
	put_u16(b, LINKTYPE_ETHERNET);
	put_u16(b, 0);
	/* 0 means "no limit" in pcapng; with --snaplen 0 no EPB has any bytes,
	 * so it misleads nobody, and the metadata has the real value. */
	put_u32(b, w->o.snaplen);
	put_opt_str(b, IF_NAME, name);
	put_opt_str(b, IF_DESCRIPTION, desc);
	put_opt(b, IF_TSRESOL, &tsresol, 1);
	err = blk_end(b);
	return err ? err : sink_write(w, b->p, b->len);
}

static uint32_t idb_hash(uint32_t netns, uint32_t ifindex, uint8_t hop)
{
	uint64_t k = ((uint64_t)netns << 32 | ifindex) ^ ((uint64_t)hop << 59);

	k *= 0x9E3779B97F4A7C15ull;
	return (uint32_t)(k >> 32);
}

static struct idb_ent *idb_slot(struct idb_ent *t, size_t cap, uint32_t netns, uint32_t ifindex,
				uint8_t hop)
{
	size_t i = idb_hash(netns, ifindex, hop) & (cap - 1);

	while (t[i].used && !(t[i].netns == netns && t[i].ifindex == ifindex && t[i].hop == hop))
		i = (i + 1) & (cap - 1);
	return &t[i];
}

/* The interface id of the frame's (netns, ifindex, hop), writing its IDB
 * the first time. */
static int idb_get(struct capture_writer *w, const struct vno_frame *f, uint32_t *id)
{
	struct idb_ent *e, *t;
	size_t cap;
	int err;

	if (w->idb_cap) {
		e = idb_slot(w->idb, w->idb_cap, f->netns, f->ifindex, f->hop);
		if (e->used) {
			*id = e->id;
			return 0;
		}
	}
	if (w->n_idb >= IDB_MAX)
		return -E2BIG;
	if ((w->n_idb + 1) * 2 > w->idb_cap) {
		cap = w->idb_cap ? w->idb_cap * 2 : 64;
		t = calloc(cap, sizeof(*t));
		if (!t)
			return -ENOMEM;
		for (size_t i = 0; i < w->idb_cap; i++)
			if (w->idb[i].used)
				*idb_slot(t, cap, w->idb[i].netns, w->idb[i].ifindex, w->idb[i].hop) =
					w->idb[i];
		free(w->idb);
		w->idb = t;
		w->idb_cap = cap;
	}
	err = write_idb(w, f);
	if (err)
		return err;
	e = idb_slot(w->idb, w->idb_cap, f->netns, f->ifindex, f->hop);
	*e = (struct idb_ent){ .netns = f->netns, .ifindex = f->ifindex, .hop = f->hop,
			       .used = 1, .id = w->n_idb++ };
	*id = e->id;
	return 0;
}

static const char *gso_name(struct gso_names *c, __u32 type)
{
	for (unsigned i = 0; i < 2; i++)
		if (c->e[i].set && c->e[i].type == type)
			return c->e[i].s;
	c->next ^= 1;
	c->e[c->next].type = type;
	c->e[c->next].set = true;
	vno_gso_type_str(type, "|", c->e[c->next].s, sizeof(c->e[c->next].s));
	return c->e[c->next].s;
}

/* Returns its length. */
static size_t frame_comment(const struct vno_frame *f, struct gso_names *names, char *buf,
			    size_t len)
{
	struct sbuf b = { .p = buf, .cap = len };

	buf[0] = '\0';
	if (f->hop == VNO_HOP_HANG) {
		sb_str(&b, "hop=hang queue=");
		sb_u64(&b, f->queue);
		sb_str(&b, ": the kernel TX watchdog fired");
		return b.len;
	}
	sb_str(&b, "gso_size=");
	sb_u64(&b, f->gso_size);
	sb_str(&b, " gso_segs=");
	sb_u64(&b, f->gso_segs);
	sb_str(&b, " gso_type=");
	sb_str(&b, gso_name(names, f->gso_type));
	sb_str(&b, " ip_summed=");
	sb_str(&b, vno_csum_name(f->ip_summed));
	if (f->ip_summed == VNO_CSUM_PARTIAL) {
		sb_str(&b, " csum=");
		sb_u64(&b, f->csum_start);
		sb_str(&b, "+");
		sb_u64(&b, f->csum_offset);
	}
	sb_str(&b, " hop=");
	sb_str(&b, vno_hop_name(f->hop));
	if (f->latency_ns && (f->hop == VNO_HOP_XMIT || f->hop == VNO_HOP_DONE)) {
		sb_str(&b, " latency=");
		sb_u64(&b, f->latency_ns);
		sb_str(&b, "ns");
	}
	if (f->flags & VNO_F_RING) {
		sb_str(&b, " ring=");
		sb_u64(&b, f->ring_free);
		sb_str(&b, "/");
		sb_u64(&b, f->ring_size);
		sb_str(&b, " free head=");
		sb_u64(&b, f->ring_head);
		sb_str(&b, " tail=");
		sb_u64(&b, f->ring_tail);
	}
	if ((f->flags & VNO_F_FREED) || f->drop_reason) {
		sb_str(&b, f->hop == VNO_HOP_GUEST ? " refused_errno=" : " drop_reason=");
		sb_u64(&b, f->drop_reason);
	}
	return b.len;
}

static int write_epb(struct capture_writer *w, const struct vno_event *ev, uint32_t id)
{
	const struct vno_frame *f = &ev->f;
	uint8_t rec[REC_HDR_LEN + REC_LEN + 4], v[8], *p, *start;
	unsigned cap = f->cap_len;
	uint64_t ts = f->ts_ns + (uint64_t)w->mono_to_real_ns;
	uint32_t flags = 0;
	char comment[512];
	size_t clen, room;
	int err;

	if (cap > w->o.snaplen)
		cap = w->o.snaplen;
	if (cap > VNO_SNAP_MAX)
		cap = VNO_SNAP_MAX;
	clen = frame_comment(f, &w->gso_names, comment, sizeof(comment));
	/* header 28, data, options: flags 8, packet id 12, queue 8, comment,
	 * record, end 4, trailing length 4 */
	room = 28 + cap + 3 + 8 + 12 + 8 + (4 + clen + 3) + (4 + sizeof(rec)) + 8;
	/* Built where it is staged: no copy of every packet block. */
	if (!(start = p = stage_room(w, room, &err)))
		return err;
	p = cur_u32(p, PCAPNG_EPB);
	p = cur_u32(p, 0); /* total length, below */
	p = cur_u32(p, id);
	p = cur_u32(p, (uint32_t)(ts >> 32));
	p = cur_u32(p, (uint32_t)ts);
	p = cur_u32(p, cap);
	/* pcapng wants original >= captured; a record can't say otherwise
	 * unless it is broken, and then the record option keeps the truth. */
	p = cur_u32(p, f->len > cap ? f->len : cap);
	memcpy(p, ev->data, cap);
	memset(p + cap, 0, -cap & 3);
	p += cap + (-cap & 3);

	switch (f->hop) {
	case VNO_HOP_RX:
	case VNO_HOP_TC_INGRESS:
	case VNO_HOP_GUEST:
		flags = EPB_DIR_IN;
		break;
	case VNO_HOP_TC_EGRESS:
	case VNO_HOP_XMIT:
	case VNO_HOP_DONE:
	case VNO_HOP_DROP:
	case VNO_HOP_DRV_XMIT:
	case VNO_HOP_DRV_DONE:
	case VNO_HOP_BR_FWD:
		flags = EPB_DIR_OUT;
		break;
	default: /* a hang is no packet: direction not available */
		break;
	}
	set32(v, flags);
	p = cur_opt(p, EPB_FLAGS, v, 4);
	set32(v, (uint32_t)f->pkt_id);
	set32(v + 4, (uint32_t)(f->pkt_id >> 32));
	p = cur_opt(p, EPB_PACKETID, v, 8);
	set32(v, f->queue);
	p = cur_opt(p, EPB_QUEUE, v, 4);
	if (clen)
		p = cur_opt(p, OPT_COMMENT, comment, clen);

	set32(rec, CAPTURE_PEN);
	memcpy(rec + 4, REC_TAG, 4);
	rec[8] = VNO_RECORD_VERSION;
	rec[9] = 0;
	rec[10] = REC_LEN;
	rec[11] = 0;
	rec_encode(f, rec + 4 + REC_HDR_LEN);
	p = cur_opt(p, OPT_CUSTOM_BIN, rec, sizeof(rec));
	p = cur_u32(p, OPT_ENDOFOPT);
	p = cur_u32(p, (uint32_t)(p - start) + 4);
	set32(start + 4, (uint32_t)(p - start));
	stage_commit(w, (size_t)(p - start));
	return 0;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

int capture_rotated_name(const char *path, unsigned idx, char *buf, size_t len)
{
	const char *base, *dot, *ext;
	size_t n = strlen(path), stem;
	int r;

	if (!idx) {
		r = snprintf(buf, len, "%s", path);
		return r < 0 || (size_t)r >= len ? -ENAMETOOLONG : 0;
	}
	/* The number goes before the extension: "x.pcapng.gz" -> "x.1.pcapng.gz". */
	base = strrchr(path, '/');
	base = base ? base + 1 : path;
	stem = n;
	if (ends_with(path, ".gz") && (size_t)(path + n - base) > 3)
		stem = n - 3;
	dot = NULL;
	for (const char *p = base + 1; p < path + stem; p++)
		if (*p == '.')
			dot = p;
	if (dot)
		stem = (size_t)(dot - path);
	ext = path + stem;
	r = snprintf(buf, len, "%.*s.%u%s", (int)stem, path, idx, ext);
	return r < 0 || (size_t)r >= len ? -ENAMETOOLONG : 0;
}

/*
 * --force overwrites only a regular file of our own: never through a FIFO
 * (whose open would block until a reader came, and whose reader would get
 * the capture), a device or a socket, nor a file someone else pre-created
 * to read what we write into it. Opened without O_TRUNC and non-blocking,
 * checked, then truncated.
 */
static int open_forced(const char *path)
{
	struct stat st;
	int fd, fl;

	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY, 0600);
	if (fd < 0) {
		/* A FIFO with no reader refuses a non-blocking writer. */
		if (errno == ENXIO)
			errno = CAPTURE_E_NOT_REGULAR;
		return -errno;
	}
	if (fstat(fd, &st)) {
		fl = -errno;
		close(fd);
		return fl;
	}
	if (!S_ISREG(st.st_mode) || st.st_uid != geteuid()) {
		close(fd);
		return -(S_ISREG(st.st_mode) ? CAPTURE_E_NOT_OWNER : CAPTURE_E_NOT_REGULAR);
	}
	fl = fcntl(fd, F_GETFL);
	if (ftruncate(fd, 0) || fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK)) {
		fl = -errno;
		close(fd);
		return fl;
	}
	/* An overwritten file keeps its mode: ours are 0600. */
	if ((st.st_mode & 07777) != 0600)
		fchmod(fd, 0600);
	return fd;
}

static int file_start(struct capture_writer *w)
{
	int err;

	if (w->o.force) {
		w->fd = open_forced(w->path);
		if (w->fd < 0) {
			err = w->fd;
			w->fd = -1;
			return err;
		}
	} else {
		w->fd = open(w->path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_EXCL, 0600);
		if (w->fd < 0)
			return -errno;
	}
	w->gz = ends_with(w->base, ".gz");
	if (w->gz) {
		if (!w->zlevel && !(w->zlevel = malloc(GZ_LEVEL_BUF)))
			return -ENOMEM;
		if (!w->out && !(w->out = malloc(OUT_CAP)))
			return -ENOMEM;
		isal_deflate_init(&w->zs);
		w->zs.gzip_flag = IGZIP_GZIP; /* a gzip header and trailer around deflate */
		w->zs.level = GZ_LEVEL;
		w->zs.level_buf = w->zlevel;
		w->zs.level_buf_size = GZ_LEVEL_BUF;
	}
	w->file_bytes = 0;
	w->stage_len = 0;
	w->out_len = 0;
	w->n_idb = 0;
	if (w->idb)
		memset(w->idb, 0, w->idb_cap * sizeof(*w->idb));
	w->frames = w->notes = 0;
	err = write_shb(w);
	if (!err)
		err = write_session(w);
	/* A file that is valid from its first second on. */
	if (!err)
		err = sink_flush(w, GZ_SYNC, false);
	return err;
}

/* Close the current file: end marker and gzip trailer unless an error
 * already broke it. */
static int file_end(struct capture_writer *w)
{
	char json[96];
	int n, err = w->err;

	if (!err) {
		n = snprintf(json, sizeof(json), "{\"frames\":%llu,\"notes\":%llu}", w->frames,
			     w->notes);
		err = write_custom(w, "end", json, (size_t)n, "end of capture");
		if (err)
			fail_io(w, err);
		else
			err = sink_flush(w, GZ_FINISH, true);
	}
	if (w->fd >= 0 && close(w->fd) && !err && errno != EINTR)
		err = fail_io(w, -errno);
	w->fd = -1;
	return err;
}

static int rotate(struct capture_writer *w)
{
	char name[4096];
	unsigned idx = w->file_idx + 1;
	int err;

	err = file_end(w);
	if (err)
		return err;
	/* Keep rotate_count files: this one and rotate_count - 1 before it. */
	if (w->o.rotate_count && idx >= w->o.rotate_count &&
	    !capture_rotated_name(w->base, idx - w->o.rotate_count, name, sizeof(name)))
		unlink(name);
	err = capture_rotated_name(w->base, idx, name, sizeof(name));
	if (!err) {
		free(w->path);
		w->path = strdup(name);
		if (!w->path)
			err = -ENOMEM;
	}
	if (!err) {
		w->file_idx = idx;
		err = file_start(w);
	}
	return err ? fail_io(w, err) : 0;
}

static void writer_free(struct capture_writer *w)
{
	free(w->zlevel);
	if (w->fd >= 0)
		close(w->fd);
	free(w->base);
	free(w->path);
	free(w->out);
	free(w->stage);
	free(w->blk.p);
	free(w->meta.p);
	free(w->ifaces);
	free(w->idb);
	free(w);
}

struct capture_writer *capture_writer__new(const char *path, const struct vno_session *s,
					   const struct capture_opts *o)
{
	struct timespec m1, r, m2;
	struct capture_writer *w;
	struct utsname u;
	struct stat st;
	char name[4096];
	int err = -ENOMEM;

	if (!path || !*path) {
		errno = EINVAL;
		return NULL;
	}
	w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->fd = -1;
	if (o)
		w->o = *o;
	else
		w->o.snaplen = CAPTURE_SNAPLEN_DEFAULT;
	if (w->o.snaplen > VNO_SNAP_MAX)
		w->o.snaplen = VNO_SNAP_MAX;
	w->base = strdup(path);
	w->path = strdup(path);
	w->stage = malloc(OUT_CAP);
	if (!w->base || !w->path || !w->stage)
		goto fail;

	/* Bracket the wall clock with two monotonic reads: the offset is then
	 * good to a fraction of a microsecond. */
	clock_gettime(CLOCK_MONOTONIC, &m1);
	clock_gettime(CLOCK_REALTIME, &r);
	clock_gettime(CLOCK_MONOTONIC, &m2);
	w->mono_to_real_ns = (long long)r.tv_sec * 1000000000LL + r.tv_nsec -
			     ((long long)m1.tv_sec * 1000000000LL + m1.tv_nsec +
			      ((long long)(m2.tv_sec - m1.tv_sec) * 1000000000LL +
			       (m2.tv_nsec - m1.tv_nsec)) / 2);
	w->last_flush_ns = (unsigned long long)m2.tv_sec * 1000000000ULL + (unsigned long long)m2.tv_nsec;

	if (s) {
		snprintf(w->kernel, sizeof(w->kernel), "%.*s", (int)sizeof(s->kernel), s->kernel);
		snprintf(w->tool, sizeof(w->tool), "%.*s", (int)sizeof(s->tool), s->tool);
		snprintf(w->cmdline, sizeof(w->cmdline), "%.*s", (int)sizeof(s->cmdline),
			 s->cmdline);
		if (s->n_ifaces) {
			w->ifaces = calloc(s->n_ifaces, sizeof(*w->ifaces));
			if (!w->ifaces)
				goto fail;
			memcpy(w->ifaces, s->ifaces, s->n_ifaces * sizeof(*w->ifaces));
			w->n_ifaces = s->n_ifaces;
		}
	}
	if (!w->tool[0])
#ifdef VNO_VERSION
		snprintf(w->tool, sizeof(w->tool), "vnoffload-trace %s", VNO_VERSION);
#else
		snprintf(w->tool, sizeof(w->tool), "vnoffload-trace");
#endif
	if (!uname(&u)) {
		snprintf(w->machine, sizeof(w->machine), "%s", u.machine);
		if (!w->kernel[0])
			snprintf(w->kernel, sizeof(w->kernel), "%s", u.release);
	}
	build_meta(w, s);
	if (w->meta.err) {
		err = w->meta.err;
		goto fail;
	}

	/* A leftover of an earlier rotated capture would be overwritten at the
	 * first rotation: refuse now, not an hour into the recording. */
	if (!w->o.force && w->o.rotate_size && !capture_rotated_name(path, 1, name, sizeof(name)) &&
	    !lstat(name, &st)) {
		err = -EEXIST;
		goto fail;
	}
	err = file_start(w);
	if (err) {
		/* A file with no complete header is of no use and would make the
		 * retry fail with EEXIST. Devices (/dev/full) stay, of course. */
		if (w->fd >= 0 && !fstat(w->fd, &st) && S_ISREG(st.st_mode))
			unlink(w->path);
		goto fail;
	}
	return w;
fail:
	writer_free(w);
	errno = -err;
	return NULL;
}

int capture_writer__frame(struct capture_writer *w, const struct vno_event *ev)
{
	uint32_t id;
	int err;

	if (!w || !ev)
		return -EINVAL;
	if (w->err)
		return w->err;
	/* tcpdump -C: rotate once the file is larger than asked, before the
	 * next packet, and never leave a file without one. A compressor
	 * holds its input a while before output shows: past a quarter of the
	 * size in input, it is flushed, so the file overshoots by little. */
	if (w->o.rotate_size && w->gz && w->gz_unflushed > w->o.rotate_size / 4 &&
	    (err = sink_flush(w, GZ_SYNC, false)))
		return err;
	if (w->o.rotate_size && w->frames &&
	    w->file_bytes + unwritten(w) > w->o.rotate_size) {
		err = rotate(w);
		if (err)
			return err;
	}
	err = idb_get(w, &ev->f, &id);
	if (!err)
		err = write_epb(w, ev, id);
	if (!err)
		w->frames++;
	return err;
}

int capture_writer__note(struct capture_writer *w, const char *kind, const char *json_text,
			 const char *comment)
{
	size_t klen;
	int err;

	if (!w || !kind)
		return -EINVAL;
	klen = strlen(kind);
	/* "session" and "end" are the file's own. */
	if (!klen || klen > KIND_MAX || !strcmp(kind, "session") || !strcmp(kind, "end"))
		return -EINVAL;
	for (size_t i = 0; i < klen; i++)
		if (kind[i] <= 0x20 || kind[i] >= 0x7F)
			return -EINVAL;
	if (w->err)
		return w->err;
	err = write_custom(w, kind, json_text ? json_text : "", json_text ? strlen(json_text) : 0,
			   comment);
	if (!err)
		w->notes++;
	return err;
}

int capture_writer__tick(struct capture_writer *w, unsigned long long now_ns)
{
	if (!w)
		return -EINVAL;
	if (w->err)
		return w->err;
	if (!w->dirty) {
		/* Idle: start counting from now, so the next data waits at most
		 * FLUSH_NS past the tick after it. */
		w->last_flush_ns = now_ns;
		return 0;
	}
	if (now_ns >= w->last_flush_ns && now_ns - w->last_flush_ns < FLUSH_NS)
		return 0;
	w->last_flush_ns = now_ns;
	return sink_flush(w, GZ_SYNC, true);
}

int capture_writer__close(struct capture_writer *w)
{
	int err;

	if (!w)
		return 0;
	err = w->err;
	if (w->fd >= 0) {
		int e = file_end(w);

		if (!err)
			err = e;
	}
	writer_free(w);
	return err;
}

const char *capture_writer__path(const struct capture_writer *w)
{
	return w ? w->path : NULL;
}

int capture_writer__chown(struct capture_writer *w, uid_t uid, gid_t gid)
{
	if (!w || w->fd < 0) {
		errno = EINVAL;
		return -1;
	}
	return fchown(w->fd, uid, gid);
}

int capture_dir_writable(const char *path)
{
	char dir[4096];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	/* The effective ids: after -Z they are the user's. */
	return faccessat(AT_FDCWD, dir, W_OK | X_OK, AT_EACCESS);
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

/* ---- reader ---------------------------------------------------------------- */

struct reader {
	gzFile gz;
	struct capture_stats *st;
	struct vno_session *s;
	capture_frame_fn on_frame;
	capture_note_fn on_note;
	void *ctx;
	unsigned long long off;	  /* pcapng bytes consumed */
	unsigned long long start; /* of the block being read */
	uint8_t *buf;
	size_t cap;
	bool be;		  /* this section is big-endian */
	bool in_section;
	bool ours, ended;	  /* this section has our session / end marker */
	bool gz_cut;		  /* the gzip stream stopped without its trailer */
	unsigned long long n_idb; /* interfaces described in this section */
	struct vno_event ev;
};

static int fail(struct reader *r, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->st->error, sizeof(r->st->error), fmt, ap);
	va_end(ap);
	r->st->stop_offset = r->start;
	return err;
}

static int corrupt(struct reader *r, const char *what)
{
	return fail(r, -EINVAL, "the file is corrupt: %s (block at offset %llu, after %llu frames)",
		    what, r->start, r->st->frames);
}

/* Up to n bytes: the count (short only at the end of the data) or -errno. */
static long rd_bytes(struct reader *r, void *dst, size_t n)
{
	size_t got = 0;
	const char *msg;
	int k, zerr, e;

	while (got < n) {
		errno = 0;
		k = gzread(r->gz, (uint8_t *)dst + got, (unsigned)(n - got));
		e = errno;
		if (k > 0) {
			got += (size_t)k;
			continue;
		}
		msg = gzerror(r->gz, &zerr);
		if (k == 0) {
			/* zlib reports a stream cut short as Z_BUF_ERROR. */
			if (zerr == Z_BUF_ERROR)
				r->gz_cut = true;
			break;
		}
		r->off += got;
		if (zerr == Z_ERRNO) {
			e = e ? e : EIO;
			return fail(r, -e, "read error after %llu bytes: %s", r->off, strerror(e));
		}
		return fail(r, -EINVAL,
			    "the gzip data is corrupt (%s) after %llu bytes of pcapng and %llu frames",
			    msg ? msg : "zlib error", r->off, r->st->frames);
	}
	r->off += got;
	return (long)got;
}

static int cut(struct reader *r, const char *where)
{
	r->st->truncated = true;
	r->st->stop_offset = r->start;
	snprintf(r->st->error, sizeof(r->st->error),
		 "the file was cut short: it ends %s at offset %llu; read %llu frames before it",
		 where, r->start, r->st->frames);
	return 0;
}

static int at_end(struct reader *r)
{
	struct capture_stats *st = r->st;

	st->stop_offset = r->off;
	if (!r->in_section) {
		st->truncated = true;
		snprintf(st->error, sizeof(st->error), "the file is empty");
	} else if (r->gz_cut) {
		st->truncated = true;
		snprintf(st->error, sizeof(st->error),
			 "the file was cut short: the gzip stream ends abruptly after %llu bytes of pcapng; read %llu frames",
			 r->off, st->frames);
	} else if (r->ours && !r->ended) {
		st->truncated = true;
		snprintf(st->error, sizeof(st->error),
			 "the recording was not closed (killed, power cut or disk full): no end marker after %llu bytes; read %llu frames",
			 r->off, st->frames);
	}
	return 0;
}

static int foreign(struct reader *r, const uint8_t *h, size_t n)
{
	static const uint8_t pcap_magic[][4] = {
		{ 0xd4, 0xc3, 0xb2, 0xa1 }, { 0xa1, 0xb2, 0xc3, 0xd4 },
		{ 0x4d, 0x3c, 0xb2, 0xa1 }, { 0xa1, 0xb2, 0x3c, 0x4d },
	};
	bool gz = !gzdirect(r->gz);

	/* One byte of a gzip header is zlib's "not gzip": still a cut file. */
	if (!gz && n == 1 && h[0] == 0x1f)
		return cut(r, "inside the gzip header");
	for (size_t i = 0; n >= 4 && i < sizeof(pcap_magic) / sizeof(pcap_magic[0]); i++)
		if (!memcmp(h, pcap_magic[i], 4))
			return fail(r, -EINVAL,
				    "this is a classic pcap file (tcpdump -w), not pcapng: vnoffload-trace reads the pcapng captures it writes");
	if (n < 4)
		return fail(r, -EINVAL, "not a pcapng file: it is only %zu bytes long%s", n,
			    gz ? " after decompression" : "");
	return fail(r, -EINVAL,
		    "not a pcapng file: it starts with %02x %02x %02x %02x%s, not a section header block",
		    h[0], h[1], h[2], h[3], gz ? " after gzip decompression" : "");
}

typedef int (*opt_fn)(struct reader *r, uint16_t code, const uint8_t *v, uint16_t len,
		      void *arg);

/* Options in b[off, end); stops at opt_endofopt or the end of the block. */
static int walk_opts(struct reader *r, const uint8_t *b, size_t off, size_t end, opt_fn fn,
		     void *arg)
{
	while (end >= off + 4) {
		uint16_t code = get16(b + off, r->be), len = get16(b + off + 2, r->be);
		size_t step = ((size_t)len + 3) & ~(size_t)3;
		int err;

		off += 4;
		if (code == OPT_ENDOFOPT)
			break;
		if (len > end - off)
			return corrupt(r, "an option runs past the end of its block");
		err = fn(r, code, b + off, len, arg);
		if (err)
			return err;
		off += step < end - off ? step : end - off;
	}
	return 0;
}

static void copy_str(char *dst, size_t size, const uint8_t *v, size_t len)
{
	if (len >= size)
		len = size - 1;
	memcpy(dst, v, len);
	dst[len] = '\0';
}

static int shb_opt(struct reader *r, uint16_t code, const uint8_t *v, uint16_t len, void *arg)
{
	struct vno_session *s = r->s;

	/* Ours even before the session block: a file cut right after its
	 * section header must still read as cut. */
	if (code == SHB_USERAPPL && len >= 15 && !memcmp(v, "vnoffload-trace", 15))
		r->ours = true;
	/* The session metadata, when there is some, says the same and more. */
	if (!s || r->st->have_session)
		return 0;
	if (code == SHB_OS)
		copy_str(s->kernel, sizeof(s->kernel), v, len);
	else if (code == SHB_USERAPPL)
		copy_str(s->tool, sizeof(s->tool), v, len);
	return 0;
}

static int do_shb(struct reader *r, const uint8_t *b, size_t len)
{
	uint16_t major, minor;

	if (len < 28)
		return corrupt(r, "a section header block is too short");
	major = get16(b + 12, r->be);
	minor = get16(b + 14, r->be);
	if (major != 1)
		return fail(r, -EINVAL,
			    "pcapng version %u.%u at offset %llu is not supported (only 1.x)", major,
			    minor, r->start);
	r->in_section = true;
	r->ours = r->ended = false;
	r->n_idb = 0;
	r->st->sections++;
	return walk_opts(r, b, 24, len - 4, shb_opt, NULL);
}

struct epb_ctx {
	const uint8_t *data;
	uint32_t caplen;
	bool found;
};

static int epb_opt(struct reader *r, uint16_t code, const uint8_t *v, uint16_t len, void *arg)
{
	struct epb_ctx *e = arg;
	struct vno_event *ev = &r->ev;
	unsigned ver, rlen, cap;
	int ret;

	if ((code != OPT_CUSTOM_BIN && code != OPT_CUSTOM_BIN_NOCOPY) || e->found || len < 8 ||
	    get32(v, r->be) != CAPTURE_PEN || memcmp(v + 4, REC_TAG, 4))
		return 0;
	if (len < 4 + REC_HDR_LEN)
		return corrupt(r, "a frame record is too short");
	ver = get16(v + 8, false);
	rlen = get16(v + 10, false);
	if (ver != VNO_RECORD_VERSION && ver != 1)
		return fail(r, -EINVAL,
			    "frame record version %u at offset %llu is not one this vnoffload-trace reads (it reads versions 1 to %u): use a newer vnoffload-trace",
			    ver, r->start, VNO_RECORD_VERSION);
	if (rlen != (ver == 1 ? REC_LEN_V1 : REC_LEN) || len < 4 + REC_HDR_LEN + rlen)
		return corrupt(r, "a frame record has the wrong length");
	e->found = true;
	memset(ev, 0, sizeof(*ev));
	rec_decode(&ev->f, v + 4 + REC_HDR_LEN, rlen);
	/* Read back, it is a record of this version with the new fields zero. */
	ev->f.version = VNO_RECORD_VERSION;
	cap = ev->f.cap_len;
	if (cap > e->caplen)
		cap = e->caplen;
	if (cap > VNO_SNAP_MAX)
		cap = VNO_SNAP_MAX;
	ev->f.cap_len = (__u16)cap;
	memcpy(ev->data, e->data, cap);
	r->st->frames++;
	if (r->on_frame) {
		ret = r->on_frame(ev, r->ctx);
		if (ret)
			return ret;
	}
	return 0;
}

static int do_epb(struct reader *r, const uint8_t *b, size_t len)
{
	struct epb_ctx e = { 0 };
	uint32_t ifid;
	size_t padded;
	int err;

	if (len < 32)
		return corrupt(r, "an enhanced packet block is too short");
	ifid = get32(b + 8, r->be);
	e.caplen = get32(b + 20, r->be);
	e.data = b + 28;
	if (ifid >= r->n_idb)
		return corrupt(r, "a packet refers to an interface that was not described");
	padded = ((size_t)e.caplen + 3) & ~(size_t)3;
	if (padded > len - 32)
		return corrupt(r, "a packet is longer than its block");
	err = walk_opts(r, b, 28 + padded, len - 4, epb_opt, &e);
	if (err)
		return err;
	if (!e.found)
		r->st->skipped++;
	return 0;
}

static int do_custom(struct reader *r, uint8_t *b, size_t len)
{
	struct meta_ctx m = { .st = r->st };
	unsigned layout, klen;
	char kind[KIND_MAX + 1];
	uint32_t dlen;
	uint8_t *d = b + 12, *data, save;
	size_t avail;
	struct jp j;
	int ret;

	if (len < 16)
		return corrupt(r, "a custom block is too short");
	avail = len - 16;
	if (get32(b + 8, r->be) != CAPTURE_PEN || avail < CB_HDR_LEN || memcmp(d, CB_TAG, 4))
		return 0; /* someone else's */
	layout = get16(d + 4, false);
	klen = get16(d + 6, false);
	dlen = get32(d + 8, false);
	if (layout != CB_LAYOUT)
		return fail(r, -EINVAL,
			    "metadata block layout %u at offset %llu is not one this vnoffload-trace reads (it reads %u): use a newer vnoffload-trace",
			    layout, r->start, CB_LAYOUT);
	if (!klen || klen > KIND_MAX || (size_t)klen + dlen > avail - CB_HDR_LEN)
		return corrupt(r, "a metadata block has impossible lengths");
	memcpy(kind, d + CB_HDR_LEN, klen);
	kind[klen] = '\0';
	data = d + CB_HDR_LEN + klen;
	/* NUL-terminate in place: the block's trailing length follows the data,
	 * so this byte is inside the buffer. */
	save = data[dlen];
	data[dlen] = '\0';
	if (!strcmp(kind, "session")) {
		r->ours = true;
		ret = 0;
		if (!r->st->have_session) {
			m.s = r->s;
			j = (struct jp){ .p = (const char *)data, .end = (const char *)data + dlen };
			ret = jp_object(&j, meta_member, &m);
			jp_ws(&j);
			if (!ret && j.p != j.end)
				ret = -EINVAL;
			if (ret == -E2BIG)
				ret = fail(r, -EINVAL,
					   "the session metadata at offset %llu lists more than %d interfaces",
					   r->start, IFACES_MAX);
			else if (ret)
				ret = fail(r, -EINVAL,
					   "the session metadata at offset %llu is not valid JSON (at byte %td)",
					   r->start, j.p - (const char *)data);
			if (!ret) {
				r->st->have_session = true;
				if (r->s) {
					free(r->s->ifaces);
					r->s->ifaces = m.ifs;
					r->s->n_ifaces = m.n;
					m.ifs = NULL;
				}
			}
			free(m.ifs);
		}
	} else if (!strcmp(kind, "end")) {
		r->ended = true;
		ret = 0;
	} else {
		r->st->notes++;
		ret = r->on_note ? r->on_note(kind, (const char *)data, r->ctx) : 0;
	}
	data[dlen] = save;
	return ret;
}

static int read_blocks(struct reader *r)
{
	uint8_t h[12];
	uint32_t type, len, bom;
	size_t hlen;
	long n;
	int err;

	for (;;) {
		r->start = r->off;
		n = rd_bytes(r, h, 8);
		if (n < 0)
			return (int)n;
		if (n == 0)
			return at_end(r);
		if (n < 8) {
			if (!r->in_section && memcmp(h, "\x0a\x0d\x0d\x0a", n < 4 ? (size_t)n : 4))
				return foreign(r, h, (size_t)n);
			return cut(r, "inside a block header");
		}
		/* The section header's type reads the same in both byte orders. */
		type = get32(h, r->be);
		if (type == PCAPNG_SHB) {
			n = rd_bytes(r, h + 8, 4);
			if (n < 0)
				return (int)n;
			if (n < 4)
				return cut(r, "inside a section header");
			bom = get32(h + 8, false);
			if (bom == PCAPNG_BOM)
				r->be = false;
			else if (bom == __builtin_bswap32(PCAPNG_BOM))
				r->be = true;
			else if (!r->in_section)
				return fail(r, -EINVAL,
					    "not a pcapng file: the section header has no byte-order magic");
			else
				return corrupt(r, "a section header has no byte-order magic");
			hlen = 12;
		} else if (!r->in_section) {
			return foreign(r, h, 8);
		} else {
			hlen = 8;
		}
		len = get32(h + 4, r->be);
		if (len < 12 || len % 4 || len < hlen)
			return corrupt(r, "a block length is impossible");
		if (len > CAPTURE_BLOCK_MAX)
			return fail(r, -EINVAL,
				    "the file is corrupt: a block at offset %llu claims %u bytes, above the %u MiB limit",
				    r->start, len, CAPTURE_BLOCK_MAX >> 20);
		/* Grow with the data that actually arrives, not with what the
		 * length claims: a 20-byte file cannot make us allocate 16 MiB. */
		if (!r->cap) {
			r->buf = malloc(64u << 10);
			if (!r->buf)
				return fail(r, -ENOMEM, "out of memory");
			r->cap = 64u << 10;
		}
		memcpy(r->buf, h, hlen);
		for (size_t pos = hlen, upto; pos < len; pos += (size_t)n) {
			if (pos == r->cap) {
				size_t cap = r->cap * 2 < len ? r->cap * 2 : len;
				uint8_t *p = realloc(r->buf, cap);

				if (!p)
					return fail(r, -ENOMEM, "out of memory for a %u-byte block",
						    len);
				r->buf = p;
				r->cap = cap;
			}
			upto = len < r->cap ? len : r->cap;
			n = rd_bytes(r, r->buf + pos, upto - pos);
			if (n < 0)
				return (int)n;
			if ((size_t)n < upto - pos)
				return cut(r, "inside a block");
		}
		if (get32(r->buf + len - 4, r->be) != len)
			return corrupt(r, "a block's two length fields differ");
		r->st->blocks++;
		switch (type) {
		case PCAPNG_SHB:
			err = do_shb(r, r->buf, len);
			break;
		case PCAPNG_IDB:
			if (len < 20)
				return corrupt(r, "an interface description block is too short");
			r->n_idb++;
			err = 0;
			break;
		case PCAPNG_EPB:
			err = do_epb(r, r->buf, len);
			break;
		case PCAPNG_SPB:
		case PCAPNG_PB:
			r->st->skipped++;
			err = 0;
			break;
		case PCAPNG_CB:
		case PCAPNG_CB_NOCOPY:
			err = do_custom(r, r->buf, len);
			break;
		default:
			err = 0; /* pcapng: skip the blocks you don't know */
			break;
		}
		if (err) {
			/* A callback said stop: it stopped after this block. */
			if (!r->st->error[0])
				r->st->stop_offset = r->off;
			return err;
		}
	}
}

int capture_read_fd(int fd, struct vno_session *s, capture_frame_fn on_frame,
		    capture_note_fn on_note, void *ctx, struct capture_stats *st)
{
	struct reader r = { .st = st, .s = s, .on_frame = on_frame, .on_note = on_note, .ctx = ctx };
	int dfd, ret;

	memset(st, 0, sizeof(*st));
	/* gzclose() closes the descriptor it was given; the caller keeps fd. */
	dfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (dfd < 0) {
		ret = -errno;
		snprintf(st->error, sizeof(st->error), "cannot read it: %s", strerror(-ret));
		return ret;
	}
	/* zlib reads a file that does not start with the gzip magic as it is:
	 * that is how plain and compressed captures are told apart. */
	r.gz = gzdopen(dfd, "rb");
	if (!r.gz) {
		close(dfd);
		snprintf(st->error, sizeof(st->error), "out of memory");
		return -ENOMEM;
	}
	gzbuffer(r.gz, 128 << 10);
	ret = read_blocks(&r);
	st->compressed = !gzdirect(r.gz);
	gzclose_r(r.gz);
	free(r.buf);
	return ret;
}

int capture_read(const char *path, struct vno_session *s, capture_frame_fn on_frame,
		 capture_note_fn on_note, void *ctx, struct capture_stats *st)
{
	struct stat sb;
	int fd, ret;

	memset(st, 0, sizeof(*st));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		snprintf(st->error, sizeof(st->error), "cannot open it: %s", strerror(-ret));
		return ret;
	}
	if (!fstat(fd, &sb) && S_ISDIR(sb.st_mode)) {
		close(fd);
		snprintf(st->error, sizeof(st->error), "it is a directory, not a capture file");
		return -EISDIR;
	}
	ret = capture_read_fd(fd, s, on_frame, on_note, ctx, st);
	close(fd);
	return ret;
}
