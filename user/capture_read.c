// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The capture reader: pcapng blocks from a plain or gzip file (zlib's
 * gzread tells them apart by content), our frame records and notes handed
 * to callbacks, and every way a file can be cut or corrupt said in one
 * sentence (capture.h, capture_read()).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "capture.h"
#include "capture_meta.h"
#include "pcapng.h"

/* Interfaces with a record beyond this many per section are still read,
 * their version 4 frames refused: the writer describes at most 65536. */
#define IFREC_MAX 65536

/* An interface record: what version 4 frames of the interface leave out. */
struct ifrec {
	uint64_t mono_to_real_ns;
	uint32_t netns, ifindex;
	char dev[VNO_IFNAMSIZ];
	bool set;
};

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
	/* The names of this section's first interfaces, for packets that
	 * carry no record of ours. */
	char idb_name[CAPTURE_FOREIGN_MAX][32];
	/* The interface records of this section, by interface id. */
	struct ifrec *ifr;
	size_t ifr_cap;
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

/* What a packet block says, gathered from its options before the frame
 * is rebuilt: they may come in any order. */
struct epb_ctx {
	const uint8_t *data;
	uint32_t caplen, ifid, queue;
	uint64_t ts, pkt_id;
	const uint8_t *rec; /* the record, after its header */
	unsigned ver, rlen;
	bool found;
};

static unsigned rec_len_of(unsigned ver)
{
	return ver == 1 ? REC_LEN_V1 : ver == 2 ? REC_LEN_V2 : REC_LEN;
}

static uint64_t get64(const uint8_t *p, bool be)
{
	return be ? (uint64_t)get32(p, true) << 32 | get32(p + 4, true)
		  : (uint64_t)get32(p + 4, false) << 32 | get32(p, false);
}

static int epb_opt(struct reader *r, uint16_t code, const uint8_t *v, uint16_t len, void *arg)
{
	struct epb_ctx *e = arg;
	unsigned ver, rlen;

	if (code == EPB_PACKETID && len == 8) {
		e->pkt_id = get64(v, r->be);
		return 0;
	}
	if (code == EPB_QUEUE && len == 4) {
		e->queue = get32(v, r->be);
		return 0;
	}
	if ((code != OPT_CUSTOM_BIN && code != OPT_CUSTOM_BIN_NOCOPY) || e->found || len < 8 ||
	    get32(v, r->be) != CAPTURE_PEN || memcmp(v + 4, REC_TAG, 4))
		return 0;
	if (len < 4 + REC_HDR_LEN)
		return corrupt(r, "a frame record is too short");
	ver = get16(v + 8, false);
	rlen = get16(v + 10, false);
	if (ver < 1 || ver > REC_VERSION)
		return fail(r, -EINVAL,
			    "frame record version %u at offset %llu is not one this vnoffload-trace reads (it reads versions 1 to %u): use a newer vnoffload-trace",
			    ver, r->start, REC_VERSION);
	if ((ver < 4 ? rlen != rec_len_of(ver) : rlen < 8 || rlen > REC_PACKED_MAX) ||
	    len < 4 + REC_HDR_LEN + rlen)
		return corrupt(r, "a frame record has the wrong length");
	e->found = true;
	e->ver = ver;
	e->rlen = rlen;
	e->rec = v + 4 + REC_HDR_LEN;
	return 0;
}

/* The frame of a packet block with our record, to the callback. */
static int epb_frame(struct reader *r, const struct epb_ctx *e)
{
	struct vno_event *ev = &r->ev;
	const struct ifrec *ir;
	unsigned cap = e->caplen;

	memset(ev, 0, sizeof(*ev));
	if (e->ver < 4) {
		rec_decode(&ev->f, e->rec, e->rlen);
		if (cap > ev->f.cap_len)
			cap = ev->f.cap_len;
	} else {
		if (rec_unpack(&ev->f, e->rec, e->rlen))
			return corrupt(r, "a frame record's word map does not match its length");
		ir = e->ifid < IFREC_MAX ? &r->ifr[e->ifid] : NULL;
		if (!ir || !ir->set)
			return corrupt(r, "a frame record's interface has no interface record");
		/* What the block and the interface record hold instead. */
		ev->f.ts_ns = e->ts - ir->mono_to_real_ns;
		ev->f.pkt_id = e->pkt_id;
		ev->f.queue = (__u16)e->queue;
		ev->f.netns = ir->netns;
		ev->f.ifindex = ir->ifindex;
		memcpy(ev->f.dev, ir->dev, sizeof(ev->f.dev));
	}
	/* Read back, it is a record of this version with the new fields zero. */
	ev->f.version = VNO_RECORD_VERSION;
	if (cap > VNO_SNAP_MAX)
		cap = VNO_SNAP_MAX;
	ev->f.cap_len = (__u16)cap;
	memcpy(ev->data, e->data, cap);
	r->st->frames++;
	return r->on_frame ? r->on_frame(ev, r->ctx) : 0;
}

struct idb_ctx {
	char *name;	   /* the first interfaces' names, else NULL */
	struct ifrec *ir;  /* its record, else NULL */
};

static int idb_opt(struct reader *r, uint16_t code, const uint8_t *v, uint16_t len, void *arg)
{
	struct idb_ctx *c = arg;
	size_t n = len < 31 ? len : 31;
	unsigned layout, rlen;

	if (code == IF_NAME && c->name) {
		memcpy(c->name, v, n);
		c->name[n] = '\0';
		c->name[strcspn(c->name, "\r\n")] = '\0';
		return 0;
	}
	if ((code != OPT_CUSTOM_BIN && code != OPT_CUSTOM_BIN_NOCOPY) || !c->ir || c->ir->set ||
	    len < 8 || get32(v, r->be) != CAPTURE_PEN || memcmp(v + 4, IFREC_TAG, 4))
		return 0;
	if (len < 4 + REC_HDR_LEN)
		return corrupt(r, "an interface record is too short");
	layout = get16(v + 8, false);
	rlen = get16(v + 10, false);
	if (layout != IFREC_LAYOUT)
		return fail(r, -EINVAL,
			    "interface record layout %u at offset %llu is not one this vnoffload-trace reads (it reads %u): use a newer vnoffload-trace",
			    layout, r->start, IFREC_LAYOUT);
	if (rlen < IFREC_LEN || len < 4 + REC_HDR_LEN + rlen)
		return corrupt(r, "an interface record has the wrong length");
	v += 4 + REC_HDR_LEN;
	c->ir->mono_to_real_ns = get64(v, false);
	c->ir->netns = get32(v + 8, false);
	c->ir->ifindex = get32(v + 12, false);
	memcpy(c->ir->dev, v + 16, VNO_IFNAMSIZ);
	c->ir->set = true;
	return 0;
}

static int do_idb(struct reader *r, const uint8_t *b, size_t len)
{
	struct idb_ctx c = { 0 };
	struct ifrec *p;
	size_t cap;
	int err;

	if (len < 20)
		return corrupt(r, "an interface description block is too short");
	if (r->n_idb < CAPTURE_FOREIGN_MAX) {
		c.name = r->idb_name[r->n_idb];
		c.name[0] = '\0';
	}
	if (r->n_idb < IFREC_MAX) {
		/* Grown as interfaces come: each one took a block of the file. */
		if (r->n_idb >= r->ifr_cap) {
			cap = r->ifr_cap ? r->ifr_cap * 2 : 16;
			p = realloc(r->ifr, cap * sizeof(*p));
			if (!p)
				return fail(r, -ENOMEM, "out of memory");
			r->ifr = p;
			r->ifr_cap = cap;
		}
		c.ir = &r->ifr[r->n_idb];
		memset(c.ir, 0, sizeof(*c.ir));
	}
	err = walk_opts(r, b, 16, len - 4, idb_opt, &c);
	r->n_idb++;
	return err;
}

/* A packet without our record: counted by its interface's name. */
static void count_foreign(struct reader *r, uint32_t ifid, uint32_t orig_len)
{
	struct capture_stats *st = r->st;
	const char *name = ifid < CAPTURE_FOREIGN_MAX ? r->idb_name[ifid] : "";
	struct capture_foreign *f = NULL;

	for (unsigned i = 0; i < st->n_foreign; i++)
		if (!strcmp(st->foreign[i].name, name))
			f = &st->foreign[i];
	if (!f && st->n_foreign < CAPTURE_FOREIGN_MAX) {
		f = &st->foreign[st->n_foreign++];
		snprintf(f->name, sizeof(f->name), "%s", name);
		f->min_len = UINT32_MAX;
	}
	if (!f) {
		st->foreign_other++;
		return;
	}
	f->frames++;
	f->bytes += orig_len;
	if (orig_len < f->min_len)
		f->min_len = orig_len;
	if (orig_len > f->max_len)
		f->max_len = orig_len;
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
	e.ifid = ifid;
	e.ts = (uint64_t)get32(b + 12, r->be) << 32 | get32(b + 16, r->be);
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
	if (e.found)
		return epb_frame(r, &e);
	r->st->skipped++;
	count_foreign(r, ifid, get32(b + 24, r->be));
	return 0;
}

static int do_custom(struct reader *r, uint8_t *b, size_t len)
{
	unsigned layout, klen;
	char kind[KIND_MAX + 1];
	uint32_t dlen;
	uint8_t *d = b + 12, *data, save;
	size_t avail, at;
	char why[128];
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
			ret = capture_meta_parse((const char *)data, dlen, r->s, r->st, &at, why,
						 sizeof(why));
			if (ret == -E2BIG)
				ret = fail(r, -EINVAL,
					   "the session metadata at offset %llu lists more than %d interfaces",
					   r->start, IFACES_MAX);
			else if (ret == -EFBIG)
				ret = fail(r, -EINVAL,
					   "the session metadata at offset %llu is too large: it holds more values than %d interfaces would",
					   r->start, IFACES_MAX);
			else if (ret == -EPROTO)
				ret = fail(r, -EINVAL,
					   "the session metadata at offset %llu is JSON but not a session's: %s",
					   r->start, why);
			else if (ret == -ENOMEM)
				ret = fail(r, -ENOMEM, "out of memory for the session metadata");
			else if (ret)
				ret = fail(r, -EINVAL,
					   "the session metadata at offset %llu is not valid JSON (at byte %zu)",
					   r->start, at);
			else
				r->st->have_session = true;
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
			err = do_idb(r, r->buf, len);
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
	free(r.ifr);
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
