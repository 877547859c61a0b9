// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The capture writer (capture.h): pcapng (draft-ietf-opsawg-pcapng-03,
 * "PCAP Next Generation Dump File Format") blocks for a session, its
 * interfaces, frames and notes, and the writer API around them, rotation
 * included. The file side (staging, igzip for ".gz", fdatasync) is in
 * capture_out.c; the reader, which inflates with zlib, in capture_read.c.
 *
 * What we write, all little-endian:
 *
 *   SHB   shb_hardware (uname -m), shb_os (kernel release), shb_userappl
 *         (tool and version), opt_comment (the command line)
 *   CB    kind "session": the session metadata as JSON
 *   IDB   one per (netns, ifindex, hop, device name), written before its
 *         first frame: LINKTYPE_ETHERNET, SnapLen = --snaplen, if_name,
 *         if_description "driver=… hop=… netns=… ifindex=…", if_tsresol 9,
 *         custom option 2989 with the interface record
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
 *   option "VNOF" u16 record_version(REC_VERSION, 4) u16 record_len
 *          (8 + 8 * words), then u64 word map: bit i set when 8-byte word
 *          i of struct vno_frame (little-endian, field by field at its C
 *          offsets) is not zero, then those words in order. Zeroed first
 *          as said elsewhere: ts_ns (the EPB's timestamp), pkt_id
 *          (epb_packetid), queue (epb_queue), cap_len (the EPB's captured
 *          length), netns, ifindex and dev (the interface record), version.
 *          Versions 1 to 3 held the struct as it was: 144 bytes in 1, which
 *          had no ring_* fields, 160 in 2, which had no merged_* fields,
 *          176 in 3.
 *   IDB option "VNOI" u16 layout(1) u16 len(32), then u64 mono_to_real_ns,
 *          u32 netns, u32 ifindex, char dev[16]: the interface record
 *
 * The record carries ts_ns in CLOCK_MONOTONIC; EPB timestamps add the
 * CLOCK_REALTIME - CLOCK_MONOTONIC offset taken at open, which is in the
 * session metadata and every interface record too, so a reader takes
 * ts_ns back from the EPB.
 *
 * A section is ours when its shb_userappl starts with "vnoffload-trace" or
 * it has a "session" block; one of ours without the "end" block was not
 * closed (kill -9, power cut, full disk) and reads as truncated.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "capture.h"
#include "capture_meta.h"
#include "capture_out.h"
#include "capq.h"
#include "decode.h"
#include "json_writer.h"
#include "pcapng.h"
#include "sbuf.h"

#define IDB_MAX 65536
#define FLUSH_NS 500000000ull
/* async: the queue (about 1700 frames of 300 bytes), the fill that wakes the
 * writer thread, and how often a tick is passed on to it. */
#define Q_CAP (512u << 10)
#define Q_WAKE (128u << 10)
#define TICK_NS 100000000ull

enum { QM_FRAME, QM_TICK, QM_SYNC, QM_STOP };

struct idb_ent {
	uint32_t netns, ifindex, id;
	uint8_t hop, used;
	char dev[VNO_IFNAMSIZ]; /* the frames' name: a renamed device gets an IDB anew */
};

/*
 * The packet comment's words after gso_size and gso_segs, " gso_type=tcpv4|dodgy
 * ip_summed=partial csum=partial@34+16 hop=xmit", for the keys seen last:
 * they repeat from frame to frame (gso_segs, the one that varies, is left
 * out), and building them was most of the comment's cost (callgrind on
 * pipeline_bench: about 700 of 1400 instructions a record, the gso_type
 * names' snprintf first). Direct-mapped on the fields they spell.
 */
#define CW_SLOTS 32
#define CW_MAX 256 /* longer than any: 10 + 159 (gso_type) + 11 + 12 + 25 + 5 + 12 */
struct comment_words {
	uint64_t k1, k2; /* k2 bit 63: the slot is filled */
	uint16_t len;
	char s[CW_MAX];
};

struct capture_writer {
	char *base; /* the path asked for: file 0 of a rotation */
	char *path; /* the file being written */
	struct capture_opts o;
	struct cout out;
	struct comment_words cwords[CW_SLOTS];
	unsigned file_idx;
	struct pbuf blk;
	struct pbuf meta; /* session JSON, written at the top of every file */
	char kernel[65], tool[64], machine[65], cmdline[1024];
	struct vno_iface *ifaces;
	size_t n_ifaces;
	struct idb_ent *idb; /* open addressing on (netns, ifindex, hop) */
	size_t idb_cap;
	uint32_t n_idb;
	long long mono_to_real_ns;
	unsigned long long frames, notes; /* in this file */
	unsigned long long last_flush_ns;
	/* o.async: the writer thread and its queue; the thread owns everything
	 * above while it runs, except between a sync() and the next frame. */
	struct capq *q;
	pthread_t thread;
	bool running;
	_Atomic int aerr; /* the thread's sticky error, for the caller */
	unsigned long long tick_sent_ns;
	pthread_mutex_t sync_lock;
	pthread_cond_t sync_cond;
	unsigned long long sync_req, sync_done;
};

static void thread_stop(struct capture_writer *w);

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
	struct pbuf *b = &w->blk;
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
	return err ? err : cout_write(&w->out, b->p, b->len);
}

/* A custom block with our header: kind, data (JSON) and a comment. */
static int write_custom(struct capture_writer *w, const char *kind, const char *data,
			size_t dlen, const char *comment)
{
	struct pbuf *b = &w->blk;
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
	return err ? err : cout_write(&w->out, b->p, b->len);
}

static int write_session(struct capture_writer *w)
{
	char comment[256];

	snprintf(comment, sizeof(comment),
		 "vnoffload-trace session metadata (JSON): %zu interfaces, snaplen %u", w->n_ifaces,
		 w->o.snaplen);
	return write_custom(w, "session", (const char *)w->meta.p, w->meta.len, comment);
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
	struct pbuf *b = &w->blk;
	char name[VNO_IFNAMSIZ + 1], driver[40], vm[41] = "", desc[200];
	uint8_t tsresol = 9; /* if_tsresol: 10^-9 s */
	uint8_t rec[4 + REC_HDR_LEN + IFREC_LEN];
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
	if (it && it->vm[0])
		sanitize(vm, sizeof(vm), it->vm, sizeof(it->vm));
	snprintf(desc, sizeof(desc), "driver=%s hop=%s netns=%u ifindex=%u%s%s", driver,
		 vno_hop_name(f->hop), f->netns, f->ifindex, vm[0] ? " vm=" : "", vm);

	blk_begin(b, PCAPNG_IDB);
	put_u16(b, LINKTYPE_ETHERNET);
	put_u16(b, 0);
	/* 0 means "no limit" in pcapng; with --snaplen 0 no EPB has any bytes,
	 * so it misleads nobody, and the metadata has the real value. The
	 * larger snap of encapsulated frames bounds what the EPBs hold. */
	put_u32(b, w->o.snaplen_encap > w->o.snaplen ? w->o.snaplen_encap : w->o.snaplen);
	put_opt_str(b, IF_NAME, name);
	put_opt_str(b, IF_DESCRIPTION, desc);
	put_opt(b, IF_TSRESOL, &tsresol, 1);
	/* What every frame of this interface would repeat (version 4). */
	set32(rec, CAPTURE_PEN);
	memcpy(rec + 4, IFREC_TAG, 4);
	rec[8] = IFREC_LAYOUT, rec[9] = 0;
	rec[10] = IFREC_LEN, rec[11] = 0;
	set32(rec + 12, (uint32_t)w->mono_to_real_ns);
	set32(rec + 16, (uint32_t)((uint64_t)w->mono_to_real_ns >> 32));
	set32(rec + 20, f->netns);
	set32(rec + 24, f->ifindex);
	memcpy(rec + 28, f->dev, VNO_IFNAMSIZ);
	put_opt(b, OPT_CUSTOM_BIN, rec, sizeof(rec));
	err = blk_end(b);
	return err ? err : cout_write(&w->out, b->p, b->len);
}

static uint32_t idb_hash(uint32_t netns, uint32_t ifindex, uint8_t hop)
{
	uint64_t k = ((uint64_t)netns << 32 | ifindex) ^ ((uint64_t)hop << 59);

	k *= 0x9E3779B97F4A7C15ull;
	return (uint32_t)(k >> 32);
}

static struct idb_ent *idb_slot(struct idb_ent *t, size_t cap, uint32_t netns, uint32_t ifindex,
				uint8_t hop, const char *dev)
{
	size_t i = idb_hash(netns, ifindex, hop) & (cap - 1);

	while (t[i].used && !(t[i].netns == netns && t[i].ifindex == ifindex && t[i].hop == hop &&
			      !memcmp(t[i].dev, dev, VNO_IFNAMSIZ)))
		i = (i + 1) & (cap - 1);
	return &t[i];
}

/* The interface id of the frame's (netns, ifindex, hop, dev), writing its
 * IDB the first time: its interface record then holds what the frames'
 * records leave out. */
static int idb_get(struct capture_writer *w, const struct vno_frame *f, uint32_t *id)
{
	struct idb_ent *e, *t;
	size_t cap;
	int err;

	if (w->idb_cap) {
		e = idb_slot(w->idb, w->idb_cap, f->netns, f->ifindex, f->hop, f->dev);
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
				*idb_slot(t, cap, w->idb[i].netns, w->idb[i].ifindex, w->idb[i].hop,
					  w->idb[i].dev) = w->idb[i];
		free(w->idb);
		w->idb = t;
		w->idb_cap = cap;
	}
	err = write_idb(w, f);
	if (err)
		return err;
	e = idb_slot(w->idb, w->idb_cap, f->netns, f->ifindex, f->hop, f->dev);
	*e = (struct idb_ent){ .netns = f->netns, .ifindex = f->ifindex, .hop = f->hop,
			       .used = 1, .id = w->n_idb++ };
	memcpy(e->dev, f->dev, VNO_IFNAMSIZ);
	*id = e->id;
	return 0;
}

static const struct comment_words *comment_words(struct comment_words *t,
						   const struct vno_frame *f)
{
	uint64_t k1 = (uint64_t)f->gso_type | (uint64_t)f->csum_start << 32 |
		      (uint64_t)f->csum_offset << 48;
	uint64_t k2 = (uint64_t)f->ip_summed | (uint64_t)f->hop << 8 | 1ull << 63;
	struct comment_words *e = &t[((k1 ^ k2) * 0x9E3779B97F4A7C15ull) >> 59];
	struct sbuf b = SBUF_INIT(e->s);
	char csum[32], names[160];

	_Static_assert(CW_SLOTS == 32, "the hash takes 5 bits");
	if (e->k1 == k1 && e->k2 == k2)
		return e;
	sb_str(&b, " gso_type=");
	vno_gso_type_str(f->gso_type, "|", names, sizeof(names));
	sb_str(&b, names);
	sb_str(&b, " ip_summed=");
	sb_str(&b, vno_csum_name(f->ip_summed));
	/* Spelt as everywhere else (vno_csum_str: partial@34+16), so one
	 * grep finds a checksum state in the live lines and in Wireshark. */
	if (f->ip_summed == VNO_CSUM_PARTIAL) {
		vno_csum_str(f, csum, sizeof(csum));
		sb_str(&b, " csum=");
		sb_str(&b, csum);
	}
	sb_str(&b, " hop=");
	sb_str(&b, vno_hop_name(f->hop));
	e->k1 = k1;
	e->k2 = k2;
	e->len = (uint16_t)b.len;
	return e;
}

/* A frame bytes say is TCP over IPv4 or IPv6 right after the MAC header:
 * no tunnel (UDP or GRE) vno_encap_decode could find, and most frames. */
static bool plain_tcp(const struct vno_event *ev)
{
	const __u8 *d = ev->data;
	unsigned n = ev->f.cap_len;

	if (n >= 24 && d[12] == 0x08 && d[13] == 0x00)
		return d[23] == 6;
	if (n >= 21 && d[12] == 0x86 && d[13] == 0xDD)
		return d[20] == 6;
	return false;
}

/* Returns its length. */
static size_t frame_comment(const struct vno_event *ev, struct comment_words *cw, char *buf,
			    size_t len)
{
	const struct vno_frame *f = &ev->f;
	const struct comment_words *p;
	struct sbuf b = { .p = buf, .cap = len };
	struct vno_encap e;
	char enc[160];
	int cs;

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
	p = comment_words(cw, f);
	sb_mem(&b, p->s, p->len);
	/* "encap=vxlan vni=42 inner=tcp/192.0.2.1:40000>192.0.2.2:5002
	 * inner_csum=34+16": what the tunnel carries, the checksum from the
	 * inner frame's start as its sender wrote it. */
	if (((f->encap & VNO_E_SKB) || !plain_tcp(ev)) && vno_encap_decode(ev, &e) &&
	    vno_encap_str(&e, enc, sizeof(enc))) {
		sb_chr(&b, ' ');
		sb_str(&b, enc);
		if ((cs = vno_encap_csum_start(f, &e)) >= 0) {
			sb_str(&b, " inner_csum=");
			sb_u64(&b, (unsigned)cs);
			sb_chr(&b, '+');
			sb_u64(&b, f->csum_offset);
		}
	}
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
	if (f->flags & VNO_F_CHANGED) {
		sb_str(&b, " merged_len=");
		sb_u64(&b, f->merged_len);
		sb_str(&b, " merged_segs=");
		sb_u64(&b, f->merged_segs);
	}
	if ((f->flags & VNO_F_FREED) || f->drop_reason) {
		sb_str(&b, f->hop == VNO_HOP_GUEST ? " refused_errno=" : " drop_reason=");
		sb_u64(&b, f->drop_reason);
	}
	return b.len;
}

/* Frame bytes kept of @f: the encapsulated frame's larger snap, if any. */
static unsigned capture_snaplen(const struct capture_opts *o, const struct vno_frame *f)
{
	return (f->encap & VNO_E_SKB) && o->snaplen_encap > o->snaplen ? o->snaplen_encap
									: o->snaplen;
}

static int write_epb(struct capture_writer *w, const struct vno_event *ev, uint32_t id)
{
	const struct vno_frame *f = &ev->f;
	uint8_t rec[4 + REC_HDR_LEN + REC_PACKED_MAX], v[8], *p, *start;
	struct vno_frame z;
	unsigned cap = f->cap_len;
	uint64_t ts = f->ts_ns + (uint64_t)w->mono_to_real_ns;
	uint32_t flags = 0;
	char comment[512];
	size_t clen, room, rlen;
	int err;

	if (cap > capture_snaplen(&w->o, f))
		cap = capture_snaplen(&w->o, f);
	if (cap > VNO_SNAP_MAX)
		cap = VNO_SNAP_MAX;
	clen = frame_comment(ev, w->cwords, comment, sizeof(comment));
	/* Version 4: what the block and the interface record say is zero
	 * here, and a zero word costs one bit. */
	z = *f;
	z.ts_ns = 0;
	z.pkt_id = 0;
	z.queue = 0;
	z.cap_len = 0;
	z.version = 0;
	z.netns = 0;
	z.ifindex = 0;
	memset(z.dev, 0, sizeof(z.dev));
	set32(rec, CAPTURE_PEN);
	memcpy(rec + 4, REC_TAG, 4);
	rlen = rec_pack(&z, rec + 4 + REC_HDR_LEN);
	rec[8] = REC_VERSION;
	rec[9] = 0;
	rec[10] = (uint8_t)rlen;
	rec[11] = (uint8_t)(rlen >> 8);
	/* header 28, data, options: flags 8, packet id 12, queue 8, comment,
	 * record, end 4, trailing length 4 */
	room = 28 + cap + 3 + 8 + 12 + 8 + (4 + clen + 3) + (4 + 4 + REC_HDR_LEN + rlen) + 8;
	/* Built where it is staged: no copy of every packet block. */
	if (!(start = p = cout_room(&w->out, room, &err)))
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

	p = cur_opt(p, OPT_CUSTOM_BIN, rec, 4 + REC_HDR_LEN + rlen);
	p = cur_u32(p, OPT_ENDOFOPT);
	p = cur_u32(p, (uint32_t)(p - start) + 4);
	set32(start + 4, (uint32_t)(p - start));
	cout_commit(&w->out, (size_t)(p - start));
	return 0;
}

static int file_start(struct capture_writer *w)
{
	int err;

	if (w->o.stream) {
		err = cout_open_fd(&w->out, w->o.stream_fd);
		w->o.stream_fd = -1;
	} else {
		err = cout_open(&w->out, w->path, w->o.force, capture_name_gz(w->base));
	}
	if (err)
		return err;
	w->n_idb = 0;
	if (w->idb)
		memset(w->idb, 0, w->idb_cap * sizeof(*w->idb));
	w->frames = w->notes = 0;
	err = write_shb(w);
	if (!err)
		err = write_session(w);
	/* A file that is valid from its first second on. */
	if (!err)
		err = cout_flush(&w->out, GZ_SYNC, false);
	return err;
}

/* Close the current file: end marker and gzip trailer unless an error
 * already broke it. */
static int file_end(struct capture_writer *w)
{
	char json[96];
	int err = w->out.err;
	struct jw j;
	FILE *f;

	if (!err) {
		f = fmemopen(json, sizeof(json), "w");
		if (!f)
			return cout_close(&w->out, cout_fail(&w->out, -ENOMEM));
		jw_init_inline(&j, f);
		jw_object(&j);
		jw_ku64(&j, "frames", w->frames);
		jw_ku64(&j, "notes", w->notes);
		jw_end(&j);
		fclose(f);
		err = write_custom(w, "end", json, strlen(json), "end of capture");
		if (err)
			cout_fail(&w->out, err);
		else
			err = cout_flush(&w->out, GZ_FINISH, true);
	}
	return cout_close(&w->out, err);
}

static int rotate(struct capture_writer *w)
{
	char name[4096];
	unsigned idx = w->file_idx + 1;
	int err;

	err = file_end(w);
	if (err)
		return err;
	cout_prune(w->base, idx, w->o.rotate_count);
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
	return err ? cout_fail(&w->out, err) : 0;
}

static void writer_free(struct capture_writer *w)
{
	thread_stop(w);
	pthread_cond_destroy(&w->sync_cond);
	pthread_mutex_destroy(&w->sync_lock);
	if (w->o.stream && w->o.stream_fd >= 0)
		close(w->o.stream_fd);
	cout_free(&w->out);
	free(w->base);
	free(w->path);
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
	if (!w) {
		if (o && o->stream && o->stream_fd >= 0)
			close(o->stream_fd);
		return NULL;
	}
	if (o)
		w->o = *o;
	else
		w->o.snaplen = CAPTURE_SNAPLEN_DEFAULT;
	if (w->o.stream) {
		w->o.rotate_size = 0;
		w->o.rotate_count = 0;
		w->o.async = false; /* each block as it is made */
	}
	pthread_mutex_init(&w->sync_lock, NULL);
	pthread_cond_init(&w->sync_cond, NULL);
	if (w->o.snaplen > VNO_SNAP_MAX)
		w->o.snaplen = VNO_SNAP_MAX;
	if (w->o.snaplen_encap > VNO_SNAP_MAX)
		w->o.snaplen_encap = VNO_SNAP_MAX;
	w->base = strdup(path);
	w->path = strdup(path);
	/* First: from here on writer_free() may run. */
	if (cout_init(&w->out) || !w->base || !w->path)
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
	capture_meta_json(&w->meta, &(struct capture_meta){
		.tool = w->tool, .kernel = w->kernel, .machine = w->machine,
		.cmdline = w->cmdline, .snaplen = w->o.snaplen,
		.mono_to_real_ns = w->mono_to_real_ns, .s = s,
		.ifaces = w->ifaces, .n_ifaces = w->n_ifaces });
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
		if (!w->o.stream && w->out.fd >= 0 && !fstat(w->out.fd, &st) &&
		    S_ISREG(st.st_mode))
			unlink(w->path);
		goto fail;
	}
	return w;
fail:
	writer_free(w);
	errno = -err;
	return NULL;
}

static int frame_now(struct capture_writer *w, const struct vno_event *ev);
static int tick_now(struct capture_writer *w, unsigned long long now_ns);

/* The writer thread: the queue's messages in order, until told to stop. */
static void *writer_thread(void *arg)
{
	struct capture_writer *w = arg;
	unsigned long long now;
	uint32_t kind;
	size_t n;
	void *m;
	int err;

	for (;;) {
		m = capq_next(w->q, &kind, &n);
		err = 0;
		switch (kind) {
		case QM_FRAME:
			err = frame_now(w, m);
			break;
		case QM_TICK:
			memcpy(&now, m, sizeof(now));
			err = tick_now(w, now);
			break;
		case QM_SYNC:
			pthread_mutex_lock(&w->sync_lock);
			w->sync_done++;
			pthread_cond_broadcast(&w->sync_cond);
			pthread_mutex_unlock(&w->sync_lock);
			break;
		case QM_STOP:
			capq_release(w->q);
			return NULL;
		}
		if (err && !atomic_load(&w->aerr))
			atomic_store(&w->aerr, err);
		capq_release(w->q);
	}
}

/* Signals stay with the caller's thread: it is the one they should wake. */
static int thread_start(struct capture_writer *w)
{
	sigset_t all, old;
	int err;

	w->q = capq__new(Q_CAP, Q_WAKE);
	if (!w->q)
		return -errno;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = -pthread_create(&w->thread, NULL, writer_thread, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err) {
		capq__free(w->q);
		w->q = NULL;
		return err;
	}
	w->running = true;
	return 0;
}

/* Wait until the thread has written everything queued before: the writer
 * is then the caller's until the next frame. */
static void sync_thread(struct capture_writer *w)
{
	unsigned long long ticket;

	if (!w->running)
		return;
	ticket = ++w->sync_req;
	capq_reserve(w->q, 0);
	capq_publish(w->q, QM_SYNC, true);
	pthread_mutex_lock(&w->sync_lock);
	while (w->sync_done < ticket)
		pthread_cond_wait(&w->sync_cond, &w->sync_lock);
	pthread_mutex_unlock(&w->sync_lock);
}

static void thread_stop(struct capture_writer *w)
{
	if (!w->running)
		return;
	capq_reserve(w->q, 0);
	capq_publish(w->q, QM_STOP, true);
	pthread_join(w->thread, NULL);
	w->running = false;
	capq__free(w->q);
	w->q = NULL;
}

int capture_writer__frame(struct capture_writer *w, const struct vno_event *ev)
{
	size_t n;
	void *m;
	int err;

	if (!w || !ev)
		return -EINVAL;
	if (!w->o.async)
		return frame_now(w, ev);
	/* While the thread runs, its error is read only through aerr. */
	if (w->running && (err = atomic_load_explicit(&w->aerr, memory_order_relaxed)))
		return err;
	if (!w->running && ((err = w->out.err) || (err = thread_start(w))))
		return cout_fail(&w->out, err);
	/* The record and the frame bytes it holds. */
	n = vno_event_len(ev);
	m = capq_reserve(w->q, n);
	memcpy(m, ev, n);
	capq_publish(w->q, QM_FRAME, false);
	return 0;
}

static int frame_now(struct capture_writer *w, const struct vno_event *ev)
{
	uint32_t id;
	int err;

	if (w->out.err)
		return w->out.err;
	/* tcpdump -C: rotate once the file is larger than asked, before the
	 * next packet, and never leave a file without one. A compressor
	 * holds its input a while before output shows: past a quarter of the
	 * size in input, it is flushed, so the file overshoots by little. */
	if (w->o.rotate_size && w->out.gz && w->out.gz_unflushed > w->o.rotate_size / 4 &&
	    (err = cout_flush(&w->out, GZ_SYNC, false)))
		return err;
	if (w->o.rotate_size && w->frames &&
	    w->out.file_bytes + cout_unwritten(&w->out) > w->o.rotate_size) {
		err = rotate(w);
		if (err)
			return err;
	}
	err = idb_get(w, &ev->f, &id);
	if (!err)
		err = write_epb(w, ev, id);
	if (!err)
		w->frames++;
	if (!err && w->o.stream)
		err = cout_flush(&w->out, GZ_NONE, false);
	return err;
}

int capture_writer__note(struct capture_writer *w, const char *kind, const char *json_text,
			 const char *comment)
{
	size_t klen;
	int err;

	if (!w || !kind)
		return -EINVAL;
	/* Rare (a hang, lost counts, the summary): in order after the frames
	 * queued before, written by the caller. */
	sync_thread(w);
	klen = strlen(kind);
	/* "session" and "end" are the file's own. */
	if (!klen || klen > KIND_MAX || !strcmp(kind, "session") || !strcmp(kind, "end"))
		return -EINVAL;
	for (size_t i = 0; i < klen; i++)
		if (kind[i] <= 0x20 || kind[i] >= 0x7F)
			return -EINVAL;
	if (w->out.err)
		return w->out.err;
	err = write_custom(w, kind, json_text ? json_text : "", json_text ? strlen(json_text) : 0,
			   comment);
	if (!err)
		w->notes++;
	if (!err && w->o.stream)
		err = cout_flush(&w->out, GZ_NONE, false);
	return err;
}

int capture_writer__tick(struct capture_writer *w, unsigned long long now_ns)
{
	int err;

	if (!w)
		return -EINVAL;
	if (!w->running)
		return tick_now(w, now_ns);
	if ((err = atomic_load(&w->aerr)))
		return err;
	/* The thread keeps the half-second rule; it hears the time often
	 * enough for it, and is woken to write what little waits. */
	if (now_ns >= w->tick_sent_ns && now_ns - w->tick_sent_ns < TICK_NS)
		return 0;
	w->tick_sent_ns = now_ns;
	memcpy(capq_reserve(w->q, sizeof(now_ns)), &now_ns, sizeof(now_ns));
	capq_publish(w->q, QM_TICK, true);
	return 0;
}

static int tick_now(struct capture_writer *w, unsigned long long now_ns)
{
	if (w->out.err)
		return w->out.err;
	if (!w->out.dirty) {
		/* Idle: start counting from now, so the next data waits at most
		 * FLUSH_NS past the tick after it. */
		w->last_flush_ns = now_ns;
		return 0;
	}
	if (now_ns >= w->last_flush_ns && now_ns - w->last_flush_ns < FLUSH_NS)
		return 0;
	w->last_flush_ns = now_ns;
	return cout_flush(&w->out, GZ_SYNC, true);
}

int capture_writer__close(struct capture_writer *w)
{
	int err;

	if (!w)
		return 0;
	thread_stop(w);
	err = w->out.err;
	if (w->out.fd >= 0) {
		int e = file_end(w);

		if (!err)
			err = e;
	}
	writer_free(w);
	return err;
}

const char *capture_writer__path(struct capture_writer *w)
{
	if (!w)
		return NULL;
	sync_thread(w); /* a rotation changes it */
	return w->path;
}

int capture_writer__chown(struct capture_writer *w, uid_t uid, gid_t gid)
{
	if (w)
		sync_thread(w);
	if (!w || w->out.fd < 0) {
		errno = EINVAL;
		return -1;
	}
	return fchown(w->out.fd, uid, gid);
}

