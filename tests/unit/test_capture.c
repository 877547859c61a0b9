// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Capture files: what is written reads back byte for byte, plain and gzip;
 * a file cut anywhere gives exactly the records before the cut; a corrupt or
 * foreign file gives a sentence, never a crash.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include "../fuzz/craft.h"
#include "capture.h"
#include "decode.h"
#include "pcapng.h"

static const struct {
	__u32 netns, ifindex;
	const char *name;
} devs[] = {
	{ 4026531840u, 2, "eno1" },
	{ 4026531840u, 5, "tap0" },
	{ 4026532200u, 2, "veth0" },
	{ 4026532200u, 7, "br0" },
};
#define NDEVS (sizeof(devs) / sizeof(devs[0]))

static uint64_t rng;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* A record with every byte random but those that name the device and the
 * hop, so each field's encoding is exercised. */
static void make_event(struct vno_event *ev, unsigned i)
{
	uint8_t *p = (uint8_t *)ev;

	for (size_t k = 0; k < sizeof(*ev); k++)
		p[k] = (uint8_t)rnd();
	ev->f.netns = devs[i % NDEVS].netns;
	ev->f.ifindex = devs[i % NDEVS].ifindex;
	memset(ev->f.dev, 0, sizeof(ev->f.dev));
	strcpy(ev->f.dev, devs[i % NDEVS].name);
	ev->f.hop = (__u8)((i / NDEVS) % VNO_HOP__MAX);
	ev->f.ip_summed = (__u8)(rnd() % VNO_CSUM__MAX);
	ev->f.cap_len = (__u16)(rnd() % (VNO_SNAP_MAX + 1));
	ev->f.version = VNO_RECORD_VERSION;
	ev->f.ts_ns = 5000000000ull + i * 1000ull;
}

/*
 * make_event() as it was with an older record version (version 1: a 144-byte
 * struct vno_frame, seven hops; version 2: 160 bytes, eleven hops), for the
 * older fixtures. Read back, such a record is one of the current version
 * whose newer fields are zero.
 */
#define V1_REC_LEN 144
#define V1_HOPS 7
#define V2_REC_LEN 160
#define V2_HOPS 11

static void make_event_old(struct vno_event *ev, unsigned i, unsigned version)
{
	unsigned rec_len = version == 1 ? V1_REC_LEN : V2_REC_LEN;
	uint8_t raw[V2_REC_LEN + VNO_SNAP_MAX];

	for (size_t k = 0; k < rec_len + VNO_SNAP_MAX; k++)
		raw[k] = (uint8_t)rnd();
	memset(ev, 0, sizeof(*ev));
	memcpy(&ev->f, raw, rec_len);
	memcpy(ev->data, raw + rec_len, VNO_SNAP_MAX);
	ev->f.netns = devs[i % NDEVS].netns;
	ev->f.ifindex = devs[i % NDEVS].ifindex;
	memset(ev->f.dev, 0, sizeof(ev->f.dev));
	strcpy(ev->f.dev, devs[i % NDEVS].name);
	ev->f.hop = (__u8)((i / NDEVS) % (version == 1 ? V1_HOPS : V2_HOPS));
	ev->f.ip_summed = (__u8)(rnd() % VNO_CSUM__MAX);
	ev->f.cap_len = (__u16)(rnd() % (VNO_SNAP_MAX + 1));
	ev->f.version = VNO_RECORD_VERSION;
	ev->f.ts_ns = 5000000000ull + i * 1000ull;
}

/* What the reader must give back for ev written with snaplen. */
static void expected(struct vno_event *out, const struct vno_event *ev, unsigned snaplen)
{
	unsigned cap = ev->f.cap_len < snaplen ? ev->f.cap_len : snaplen;

	*out = *ev;
	out->f.cap_len = (__u16)cap;
	memset(out->data + cap, 0, sizeof(out->data) - cap);
}

static struct vno_iface test_ifaces[NDEVS];

static void make_session(struct vno_session *s)
{
	memset(s, 0, sizeof(*s));
	strcpy(s->kernel, "6.18.44-test");
	strcpy(s->tool, "vnoffload-trace 0.1.0");
	strcpy(s->cmdline, "vnoffload-trace record -w \"x y\".pcapng --snaplen 64 \xc3\xa9 \x01");
	strcpy(s->hooks[VNO_HOP_XMIT], "tp_btf/net_dev_start_xmit");
	strcpy(s->hooks[VNO_HOP_TC_EGRESS], "tc/egress");
	for (size_t i = 0; i < NDEVS; i++) {
		struct vno_iface *it = &test_ifaces[i];

		memset(it, 0, sizeof(*it));
		strcpy(it->name, devs[i].name);
		it->netns = devs[i].netns;
		it->ifindex = devs[i].ifindex;
		it->mtu = 1500 + (__u32)i;
		it->gso_max_size = 65536;
		it->gso_max_segs = 65535;
		it->tso_max_size = 524280;
		it->tso_max_segs = 65535 - (__u32)i;
		it->up = i != 3;
		snprintf(it->driver, sizeof(it->driver), "%s", i == 0 ? "e1000e" : "tun");
		for (int ol = 0; ol < VNO_OL__MAX; ol++)
			it->offload[ol] = (signed char)((int)(i + ol) % 3 - 1);
	}
	s->ifaces = test_ifaces;
	s->n_ifaces = NDEVS;
}

struct coll {
	struct vno_event *ev;
	size_t n, cap;
	unsigned notes;
	char kind[8][32];
	char json[8][128];
	int stop_at; /* on_frame returns 1 at this frame; 0 = never */
};

static int on_frame(const struct vno_event *ev, void *arg)
{
	struct coll *c = arg;

	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 64;
		c->ev = realloc(c->ev, c->cap * sizeof(*c->ev));
		cr_assert_not_null(c->ev);
	}
	c->ev[c->n++] = *ev;
	if (c->stop_at && (int)c->n == c->stop_at)
		return 1;
	return 0;
}

static int on_note(const char *kind, const char *json, void *arg)
{
	struct coll *c = arg;

	if (c->notes < 8) {
		snprintf(c->kind[c->notes], sizeof(c->kind[0]), "%s", kind);
		snprintf(c->json[c->notes], sizeof(c->json[0]), "%s", json);
	}
	c->notes++;
	return 0;
}

static void coll_reset(struct coll *c)
{
	free(c->ev);
	memset(c, 0, sizeof(*c));
}

static char tmpdir[64];

static void tmp_setup(void)
{
	strcpy(tmpdir, "/tmp/vno-capture-XXXXXX");
	cr_assert_not_null(mkdtemp(tmpdir));
}

static void tmp_teardown(void)
{
	char p[512];
	struct dirent *d;
	DIR *dir = opendir(tmpdir);

	while (dir && (d = readdir(dir))) {
		if (d->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", tmpdir, d->d_name);
		unlink(p);
	}
	if (dir)
		closedir(dir);
	rmdir(tmpdir);
}

static void tpath(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", tmpdir, name);
}

/* The writers of the tests below on a thread of their own (record's way). */
static bool async_writer;

/* Write n events (seeded) and two notes; returns the events written. */
static struct vno_event *write_capture(const char *path, unsigned n, unsigned snaplen,
				       uint64_t seed)
{
	struct capture_opts o = { .snaplen = snaplen, .async = async_writer };
	struct vno_event *evs = calloc(n ? n : 1, sizeof(*evs));
	struct vno_session s;
	struct capture_writer *w;

	make_session(&s);
	w = capture_writer__new(path, &s, &o);
	cr_assert_not_null(w, "capture_writer__new(%s): %s", path, strerror(errno));
	rng = seed;
	for (unsigned i = 0; i < n; i++) {
		make_event(&evs[i], i);
		cr_assert_eq(capture_writer__frame(w, &evs[i]), 0);
		if (i == n / 2)
			cr_assert_eq(capture_writer__note(w, "hang", "{\"dev\":\"eno1\",\"queue\":0}",
							  "e1000e: Detected Hardware Unit Hang"),
				     0);
	}
	cr_assert_eq(capture_writer__note(w, "lost", "{\"ringbuf\":3}", NULL), 0);
	cr_assert_eq(capture_writer__close(w), 0);
	return evs;
}

static void check_prefix(const struct coll *c, const struct vno_event *evs, size_t n,
			 unsigned snaplen)
{
	struct vno_event want;

	cr_assert_geq(c->n, n, "read %zu frames, want %zu", c->n, n);
	for (size_t i = 0; i < n; i++) {
		expected(&want, &evs[i], snaplen);
		cr_assert(!memcmp(&want, &c->ev[i], sizeof(want)), "frame %zu differs", i);
	}
}

static void check_frames(const struct coll *c, const struct vno_event *evs, size_t n,
			 unsigned snaplen)
{
	cr_assert_eq(c->n, n, "read %zu frames, want %zu", c->n, n);
	check_prefix(c, evs, n, snaplen);
}

/* The session as written, the offloads from @n_ol on unknown: a file
 * written before the tool knew them does not name them. */
static void check_session_ol(const struct vno_session *r, unsigned snaplen,
			     const struct capture_stats *st, int n_ol)
{
	struct vno_session s;

	make_session(&s);
	for (size_t i = 0; i < s.n_ifaces; i++)
		for (int ol = n_ol; ol < VNO_OL__MAX; ol++)
			((struct vno_iface *)s.ifaces)[i].offload[ol] = VNO_OFF_UNKNOWN;
	cr_assert(st->have_session);
	cr_assert_str_eq(r->kernel, s.kernel);
	cr_assert_str_eq(r->tool, s.tool);
	cr_assert_str_eq(r->cmdline, s.cmdline);
	for (int h = 0; h < VNO_HOP__MAX; h++)
		cr_assert_str_eq(r->hooks[h], s.hooks[h]);
	cr_assert_eq(r->n_ifaces, s.n_ifaces);
	cr_assert(!memcmp(r->ifaces, s.ifaces, s.n_ifaces * sizeof(*s.ifaces)),
		  "interfaces differ");
	cr_assert_eq(st->snaplen, snaplen);
	cr_assert_neq(st->mono_to_real_ns, 0);
}

static void check_session(const struct vno_session *r, unsigned snaplen,
			  const struct capture_stats *st)
{
	check_session_ol(r, snaplen, st, VNO_OL__MAX);
}

/* Walk a plain pcapng: offsets where blocks end and their types. */
struct walk {
	size_t n;
	size_t end[4096];
	uint32_t type[4096];
};

static void walk_blocks(const uint8_t *p, size_t len, struct walk *w)
{
	size_t off = 0;

	w->n = 0;
	while (off + 8 <= len && w->n < 4096) {
		uint32_t t, l;

		memcpy(&t, p + off, 4);
		memcpy(&l, p + off + 4, 4);
		cr_assert(l >= 12 && off + l <= len);
		off += l;
		w->type[w->n] = t;
		w->end[w->n++] = off;
	}
	cr_assert_eq(off, len);
}

static uint8_t *slurp(const char *path, size_t *len)
{
	struct stat st;
	uint8_t *p;
	int fd = open(path, O_RDONLY);

	cr_assert(fd >= 0);
	cr_assert_eq(fstat(fd, &st), 0);
	p = malloc((size_t)st.st_size + 1);
	cr_assert_eq(read(fd, p, (size_t)st.st_size), st.st_size);
	close(fd);
	*len = (size_t)st.st_size;
	return p;
}

static int read_mem(const void *p, size_t len, struct vno_session *s, struct coll *c,
		    struct capture_stats *st)
{
	int fd = memfd_create("capture", MFD_CLOEXEC), ret;

	cr_assert(fd >= 0);
	cr_assert_eq(write(fd, p, len), (ssize_t)len);
	lseek(fd, 0, SEEK_SET);
	ret = capture_read_fd(fd, s, on_frame, on_note, c, st);
	close(fd);
	return ret;
}

static void roundtrip_n(const char *name, unsigned snaplen, unsigned n)
{
	struct capture_stats st;
	struct vno_session r = { 0 };
	struct coll c = { 0 };
	struct vno_event *evs;
	char path[256];
	int ret;

	tpath(path, sizeof(path), name);
	evs = write_capture(path, n, snaplen, 0x1234 + snaplen);
	ret = capture_read(path, &r, on_frame, on_note, &c, &st);
	cr_assert_eq(ret, 0, "%s", st.error);
	cr_assert(!st.truncated, "%s", st.error);
	cr_assert_eq(st.frames, n);
	cr_assert_eq(st.notes, 2);
	cr_assert_eq(st.sections, 1);
	cr_assert_eq(st.skipped, 0);
	cr_assert_eq(st.compressed, strstr(name, ".gz") != NULL);
	check_frames(&c, evs, n, snaplen);
	check_session(&r, snaplen, &st);
	cr_assert_str_eq(c.kind[0], "hang");
	cr_assert_str_eq(c.json[0], "{\"dev\":\"eno1\",\"queue\":0}");
	cr_assert_str_eq(c.kind[1], "lost");
	free(r.ifaces);
	coll_reset(&c);
	unlink(path);
	free(evs);
}

static void roundtrip(const char *name, unsigned snaplen)
{
	roundtrip_n(name, snaplen, 300);
}

TestSuite(capture, .init = tmp_setup, .fini = tmp_teardown);

/* A file name (plain or gzip, by its suffix) and a snaplen. Criterion
 * copies parameters into each test's own process: arrays, not pointers. */
struct file_snap {
	char name[32];
	unsigned snaplen;
};

ParameterizedTestParameters(capture, roundtrip_files)
{
	static struct file_snap cases[] = {
		{ "rt.pcapng", 0 },	   { "rt.pcapng", 64 },	      { "rt.pcapng", 128 },
		{ "rt.pcapng", VNO_SNAP_MAX }, { "rt.pcapng.gz", 0 },   { "rt.pcapng.gz", 64 },
		{ "rt.pcapng.gz", 128 },   { "rt.pcapng.gz", VNO_SNAP_MAX },
	};

	return cr_make_param_array(struct file_snap, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct file_snap *c, capture, roundtrip_files)
{
	roundtrip(c->name, c->snaplen);
}

/* The writer thread: more frames than its queue holds (the caller then
 * waits for room), a note in the middle, every frame in order, both kinds
 * of file. */
Test(capture, roundtrip_writer_thread)
{
	async_writer = true;
	roundtrip_n("rta.pcapng.gz", VNO_SNAP_MAX, 6000);
	roundtrip_n("rta.pcapng", 64, 6000);
	roundtrip_n("rta0.pcapng.gz", 0, 3);
}

/* The layout promise (version 4): "VNOF" 4 length, a map of the non-zero
 * 8-byte words of struct vno_frame, little-endian, then those words, with
 * what the packet block and the interface record say zeroed first. On a
 * little-endian machine a word is the struct's bytes as they are in memory. */
Test(capture, record_is_word_map)
{
	struct vno_event *evs;
	char path[256];
	size_t len;
	uint8_t *p;

	if (__BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__)
		cr_skip_test("big-endian host");
	tpath(path, sizeof(path), "le.pcapng");
	evs = write_capture(path, 16, 64, 99);
	p = slurp(path, &len);
	for (int i = 0; i < 16; i++) {
		struct vno_frame z = evs[i].f;
		uint8_t want[8 + 8 + sizeof(z)] = "VNOF\x04\x00", *q = want + 16;
		const uint8_t *src = (const uint8_t *)&z;
		uint64_t map = 0, word;

		z.ts_ns = z.pkt_id = 0;
		z.netns = z.ifindex = 0;
		z.queue = z.cap_len = 0;
		z.version = 0;
		memset(z.dev, 0, sizeof(z.dev));
		for (unsigned k = 0; k < sizeof(z) / 8; k++) {
			memcpy(&word, src + 8 * k, 8);
			if (word) {
				map |= 1ull << k;
				memcpy(q, &word, 8);
				q += 8;
			}
		}
		/* Random records: most words are not zero, those zeroed are. */
		cr_assert_eq(map & 0xF, 0x4, "record %d: ts, pkt_id, netns/ifindex left out", i);
		cr_assert_eq(map >> 15 & 3, 0, "record %d: dev left out", i);
		want[6] = (uint8_t)(q - want - 8);
		memcpy(want + 8, &map, 8);
		cr_assert_not_null(memmem(p, len, want, (size_t)(q - want)), "record %d", i);
	}
	free(p);
	free(evs);
}

/* A device renamed while recorded (the same netns, ifindex and hop): its
 * frames keep their names, each under an interface of its own. */
Test(capture, renamed_device_gets_its_own_interface)
{
	static const char *const names[] = { "eth0", "wan0", "eth0" };
	struct capture_stats st;
	struct vno_event ev[3];
	struct walk *wk = calloc(1, sizeof(*wk));
	struct coll c = { 0 };
	struct capture_writer *w;
	unsigned idbs = 0;
	char path[256];
	size_t len;
	uint8_t *p;

	tpath(path, sizeof(path), "rename.pcapng");
	w = capture_writer__new(path, NULL, NULL);
	cr_assert_not_null(w);
	rng = 5;
	for (int i = 0; i < 3; i++) {
		make_event(&ev[i], 0);
		ev[i].f.cap_len = 20;
		memset(ev[i].f.dev, 0, sizeof(ev[i].f.dev));
		strcpy(ev[i].f.dev, names[i]);
		cr_assert_eq(capture_writer__frame(w, &ev[i]), 0);
	}
	cr_assert_eq(capture_writer__close(w), 0);
	cr_assert_eq(capture_read(path, NULL, on_frame, NULL, &c, &st), 0, "%s", st.error);
	check_frames(&c, ev, 3, CAPTURE_SNAPLEN_DEFAULT);
	p = slurp(path, &len);
	walk_blocks(p, len, wk);
	for (size_t i = 0; i < wk->n; i++)
		idbs += wk->type[i] == 1;
	cr_assert_eq(idbs, 2);
	coll_reset(&c);
	free(p);
	free(wk);
}

/* An encapsulated frame keeps its larger snap, the others the snap
 * length; a given --snaplen (both equal) cuts both alike. */
Test(capture, encap_snaplen)
{
	static const unsigned enc[] = { 192, 128 };
	struct capture_stats st;
	struct vno_session s, r;
	struct vno_event ev[2];
	char path[256];

	make_session(&s);
	for (int k = 0; k < 2; k++) {
		struct capture_opts o = { .snaplen = 128, .snaplen_encap = enc[k] };
		struct capture_writer *w;
		struct coll c = { 0 };

		tpath(path, sizeof(path), "encap.pcapng");
		w = capture_writer__new(path, &s, &o);
		cr_assert_not_null(w);
		for (int i = 0; i < 2; i++) {
			make_event(&ev[i], (unsigned)i);
			ev[i].f.cap_len = 200;
			ev[i].f.encap = i ? VNO_E_SKB : 0;
			cr_assert_eq(capture_writer__frame(w, &ev[i]), 0);
		}
		cr_assert_eq(capture_writer__close(w), 0);
		memset(&r, 0, sizeof(r));
		cr_assert_eq(capture_read(path, &r, on_frame, on_note, &c, &st), 0, "%s", st.error);
		cr_assert_eq(c.n, 2);
		cr_assert_eq(c.ev[0].f.cap_len, 128, "a plain frame: the snap length");
		cr_assert_eq(c.ev[1].f.cap_len, enc[k], "an encapsulated one: %u", enc[k]);
		cr_assert(!memcmp(c.ev[1].data, ev[1].data, enc[k]));
		free(r.ifaces);
		coll_reset(&c);
		unlink(path);
	}
}

/* One IDB per (netns, ifindex, hop), before its first packet. */
Test(capture, one_idb_per_device_and_hop)
{
	struct vno_event *evs;
	struct walk *w = calloc(1, sizeof(*w));
	char path[256];
	unsigned idbs = 0, epbs = 0, cbs = 0;
	size_t len;
	uint8_t *p;

	tpath(path, sizeof(path), "idb.pcapng");
	evs = write_capture(path, 200, 128, 7);
	p = slurp(path, &len);
	walk_blocks(p, len, w);
	for (size_t i = 0; i < w->n; i++) {
		idbs += w->type[i] == 1;
		epbs += w->type[i] == 6;
		cbs += w->type[i] == 0xBAD;
	}
	cr_assert_eq(w->type[0], 0x0A0D0D0A);
	cr_assert_eq(idbs, NDEVS * VNO_HOP__MAX);
	cr_assert_eq(epbs, 200);
	cr_assert_eq(cbs, 4); /* session, hang, lost, end */
	cr_assert_eq(w->type[w->n - 1], 0xBAD);
	free(p);
	free(w);
	free(evs);
}

/* A plain file cut at every byte: exactly the frames whose blocks are whole
 * before the cut, flagged as truncated, never an error. */
Test(capture, truncated_plain_everywhere)
{
	struct walk *w = calloc(1, sizeof(*w));
	struct capture_stats st;
	struct coll c = { 0 };
	struct vno_event *evs;
	char path[256];
	size_t len;
	uint8_t *p;

	tpath(path, sizeof(path), "cut.pcapng");
	evs = write_capture(path, 24, 64, 42);
	p = slurp(path, &len);
	walk_blocks(p, len, w);
	for (size_t cut = 0; cut <= len; cut++) {
		size_t frames = 0, notes = 0, good = 0;
		struct vno_session r = { 0 };
		int ret;

		for (size_t b = 0; b < w->n && w->end[b] <= cut; b++) {
			good = w->end[b];
			frames += w->type[b] == 6;
			notes += w->type[b] == 0xBAD;
		}
		coll_reset(&c);
		ret = read_mem(p, cut, &r, &c, &st);
		cr_assert_eq(ret, 0, "cut %zu: %d %s", cut, ret, st.error);
		cr_assert_eq(st.truncated, cut != len, "cut %zu: %s", cut, st.error);
		cr_assert_eq(st.frames, frames, "cut %zu", cut);
		cr_assert_eq(st.stop_offset, good, "cut %zu: stop %llu", cut, st.stop_offset);
		/* session + hang + lost + end: the first is no note, nor the last */
		cr_assert_eq(st.notes, notes > 1 ? (notes > 3 ? 2 : notes - 1) : 0, "cut %zu", cut);
		check_frames(&c, evs, frames, 64);
		cr_assert_eq(st.error[0] != '\0', cut != len, "cut %zu: %s", cut, st.error);
		free(r.ifaces);
	}
	coll_reset(&c);
	free(p);
	free(w);
	free(evs);
}

/* A gzip file cut at every byte: a prefix of the frames, flagged; all of
 * them once the cut is past the point where the writer last flushed. */
Test(capture, truncated_gzip_everywhere)
{
	struct capture_opts o = { .snaplen = 64 };
	struct capture_stats st;
	struct coll c = { 0 };
	struct vno_session s;
	struct capture_writer *w;
	struct vno_event evs[40];
	size_t flushed_at[40], flushed_frames[40], nflush = 0, len, last = 0;
	struct stat sb;
	char path[256];
	uint8_t *p;

	tpath(path, sizeof(path), "cut.pcapng.gz");
	make_session(&s);
	w = capture_writer__new(path, &s, &o);
	cr_assert_not_null(w);
	cr_assert_eq(capture_writer__tick(w, 0), 0); /* idle: the clock starts */
	rng = 77;
	for (unsigned i = 0; i < 40; i++) {
		make_event(&evs[i], i);
		cr_assert_eq(capture_writer__frame(w, &evs[i]), 0);
		if (i % 8 == 7) {
			/* a tick a second later: must flush */
			cr_assert_eq(capture_writer__tick(w, (i + 1) * 1000000000ull), 0);
			cr_assert_eq(stat(path, &sb), 0);
			flushed_at[nflush] = (size_t)sb.st_size;
			flushed_frames[nflush++] = i + 1;
		}
	}
	cr_assert_eq(capture_writer__close(w), 0);
	p = slurp(path, &len);
	for (size_t cut = 0; cut <= len; cut++) {
		struct vno_session r = { 0 };
		size_t want = 0;
		int ret;

		for (size_t k = 0; k < nflush; k++)
			if (flushed_at[k] <= cut)
				want = flushed_frames[k];
		coll_reset(&c);
		ret = read_mem(p, cut, &r, &c, &st);
		cr_assert_eq(ret, 0, "cut %zu: %d %s", cut, ret, st.error);
		cr_assert_eq(st.truncated, cut != len, "cut %zu: %s", cut, st.error);
		cr_assert(st.frames >= want, "cut %zu: %llu frames, flushed %zu", cut, st.frames,
			  want);
		cr_assert(st.frames >= last, "cut %zu: fewer frames than a shorter cut", cut);
		last = st.frames;
		check_frames(&c, evs, st.frames, 64);
		free(r.ifaces);
	}
	cr_assert_eq(last, 40);
	coll_reset(&c);
	free(p);
}

/* kill -9: what was flushed before is read back, and the file says it was
 * not closed. */
static void killed_writer(const char *name)
{
	struct capture_opts o = { .snaplen = 128 };
	struct capture_stats st;
	struct coll c = { 0 };
	struct vno_event evs[30];
	struct vno_session s, r = { 0 };
	char path[256];
	int status;
	pid_t pid;

	tpath(path, sizeof(path), name);
	rng = 5;
	for (unsigned i = 0; i < 30; i++)
		make_event(&evs[i], i);
	pid = fork();
	cr_assert(pid >= 0);
	if (!pid) {
		struct capture_writer *w;

		make_session(&s);
		w = capture_writer__new(path, &s, &o);
		if (!w)
			_exit(1);
		capture_writer__tick(w, 1000000000ull); /* idle: the clock starts */
		for (unsigned i = 0; i < 20; i++)
			capture_writer__frame(w, &evs[i]);
		capture_writer__tick(w, 10000000000ull);
		for (unsigned i = 20; i < 30; i++)
			capture_writer__frame(w, &evs[i]);
		raise(SIGKILL);
		_exit(2);
	}
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	cr_assert_eq(capture_read(path, &r, on_frame, on_note, &c, &st), 0, "%s", st.error);
	cr_assert(st.truncated);
	cr_assert_eq(st.frames, 20);
	check_frames(&c, evs, 20, 128);
	check_session(&r, 128, &st);
	cr_assert(strstr(st.error, "not closed") || strstr(st.error, "cut short"), "%s", st.error);
	free(r.ifaces);
	coll_reset(&c);
}

struct file_name {
	char name[32];
};

ParameterizedTestParameters(capture, killed)
{
	static struct file_name names[] = { { "k.pcapng" }, { "k.pcapng.gz" } };

	return cr_make_param_array(struct file_name, names, sizeof(names) / sizeof(names[0]));
}

ParameterizedTest(struct file_name *f, capture, killed)
{
	killed_writer(f->name);
}

/* tick flushes only once half a second has passed. */
Test(capture, tick_flushes_every_half_second)
{
	struct capture_stats st;
	struct capture_writer *w;
	struct vno_event ev;
	struct stat a, b;
	char path[256];

	tpath(path, sizeof(path), "tick.pcapng");
	w = capture_writer__new(path, NULL, NULL);
	cr_assert_not_null(w);
	cr_assert_eq(capture_writer__tick(w, 1000000000ull), 0); /* idle: nothing to do */
	cr_assert_eq(stat(path, &a), 0);
	rng = 1;
	make_event(&ev, 0);
	cr_assert_eq(capture_writer__frame(w, &ev), 0);
	cr_assert_eq(capture_writer__tick(w, 1100000000ull), 0);
	cr_assert_eq(stat(path, &b), 0);
	cr_assert_eq(a.st_size, b.st_size, "flushed after 0.1 s");
	cr_assert_eq(capture_writer__tick(w, 1500000000ull), 0);
	cr_assert_eq(stat(path, &b), 0);
	cr_assert_gt(b.st_size, a.st_size, "not flushed after 0.5 s");
	cr_assert_eq(capture_read(path, NULL, NULL, NULL, NULL, &st), 0);
	cr_assert_eq(st.frames, 1);
	cr_assert(st.truncated); /* not closed yet */
	cr_assert_eq(capture_writer__close(w), 0);
	cr_assert_eq(capture_read(path, NULL, NULL, NULL, NULL, &st), 0);
	cr_assert(!st.truncated);
}

/* Bytes waiting in a pipe, read out now without blocking. */
static size_t pipe_take(int fd, uint8_t *buf, size_t cap)
{
	size_t n = 0;
	ssize_t r;

	while (n < cap && (r = read(fd, buf + n, cap - n)) > 0)
		n += (size_t)r;
	return n;
}

/* record -w -: every block is in the pipe when the call that made it
 * returns (no tick needed), the stream reads back whole, a path of "-" is
 * never created, and a reader that went away is EPIPE, not a signal. */
Test(capture, stream_writes_each_block)
{
	struct capture_opts o = { .snaplen = 64, .stream = true, .rotate_size = 1000 };
	struct capture_stats st;
	struct capture_writer *w;
	struct coll c = { 0 };
	struct vno_event evs[3];
	struct vno_session s;
	struct walk wk;
	static uint8_t buf[1 << 16];
	size_t len = 0, got;
	int fds[2], rfd;

	cr_assert_eq(pipe2(fds, O_NONBLOCK | O_CLOEXEC), 0);
	o.stream_fd = fds[1];
	make_session(&s);
	w = capture_writer__new("-", &s, &o);
	cr_assert_not_null(w, "%s", strerror(errno));
	len += pipe_take(fds[0], buf + len, sizeof(buf) - len);
	cr_assert_gt(len, 0, "the section header and session are out at once");
	rng = 7;
	for (int i = 0; i < 3; i++) {
		make_event(&evs[i], (unsigned)i);
		cr_assert_eq(capture_writer__frame(w, &evs[i]), 0);
		got = pipe_take(fds[0], buf + len, sizeof(buf) - len);
		cr_assert_gt(got, 0, "frame %d is in the pipe before any tick", i);
		len += got;
		walk_blocks(buf, len, &wk); /* whole blocks only */
	}
	cr_assert_eq(capture_writer__note(w, "hang", "{\"dev\":\"eno1\"}", NULL), 0);
	cr_assert_gt(got = pipe_take(fds[0], buf + len, sizeof(buf) - len), 0, "the note too");
	len += got;
	cr_assert_eq(capture_writer__close(w), 0);
	len += pipe_take(fds[0], buf + len, sizeof(buf) - len);
	cr_assert_eq(fcntl(fds[1], F_GETFD), -1, "the writer closed the descriptor it owned");
	cr_assert_eq(access("-", F_OK), -1, "no file named -");
	walk_blocks(buf, len, &wk);
	cr_assert_eq(read_mem(buf, len, NULL, &c, &st), 0, "%s", st.error);
	cr_assert(!st.truncated);
	cr_assert(!st.compressed);
	check_frames(&c, evs, 3, 64);
	coll_reset(&c);
	close(fds[0]);

	/* The reader goes away: the next block is EPIPE (SIGPIPE ignored, as
	 * record does), sticky. */
	cr_assert_eq(pipe2(fds, O_CLOEXEC), 0);
	signal(SIGPIPE, SIG_IGN);
	o.stream_fd = fds[1];
	w = capture_writer__new("-", &s, &o);
	cr_assert_not_null(w);
	rfd = fds[0];
	close(rfd);
	cr_assert_eq(capture_writer__frame(w, &evs[0]), -EPIPE);
	cr_assert_eq(capture_writer__frame(w, &evs[1]), -EPIPE);
	capture_writer__close(w);
	signal(SIGPIPE, SIG_DFL);
}

Test(capture, refuses_to_overwrite)
{
	struct capture_opts o = { .snaplen = 64 }, of = { .snaplen = 64, .force = true };
	struct capture_writer *w;
	char path[256], link[256];
	struct stat sb;
	int fd;

	tpath(path, sizeof(path), "exists.pcapng");
	fd = open(path, O_CREAT | O_WRONLY, 0644);
	cr_assert(fd >= 0);
	cr_assert_eq(write(fd, "keep", 4), 4);
	close(fd);
	chmod(path, 0644);
	errno = 0;
	cr_assert_null(capture_writer__new(path, NULL, &o));
	cr_assert_eq(errno, EEXIST);
	cr_assert_eq(stat(path, &sb), 0);
	cr_assert_eq(sb.st_size, 4, "the existing file was touched");

	w = capture_writer__new(path, NULL, &of);
	cr_assert_not_null(w, "%s", strerror(errno));
	cr_assert_eq(capture_writer__close(w), 0);
	cr_assert_eq(stat(path, &sb), 0);
	cr_assert_eq(sb.st_mode & 07777, 0600, "mode %o", sb.st_mode & 07777);
	cr_assert_gt(sb.st_size, 4);

	/* Symlinks are never followed, even with --force. */
	tpath(link, sizeof(link), "link.pcapng");
	cr_assert_eq(symlink(path, link), 0);
	errno = 0;
	cr_assert_null(capture_writer__new(link, NULL, &o));
	cr_assert_eq(errno, EEXIST);
	errno = 0;
	cr_assert_null(capture_writer__new(link, NULL, &of));
	cr_assert_eq(errno, ELOOP);
}

Test(capture, new_file_mode_0600)
{
	struct capture_writer *w;
	char path[256];
	struct stat sb;
	mode_t old = umask(0);

	tpath(path, sizeof(path), "mode.pcapng.gz");
	w = capture_writer__new(path, NULL, NULL);
	umask(old);
	cr_assert_not_null(w);
	cr_assert_eq(stat(path, &sb), 0);
	cr_assert_eq(sb.st_mode & 07777, 0600);
	cr_assert_eq(capture_writer__close(w), 0);
}

Test(capture, unwritable_paths)
{
	struct capture_opts of = { .force = true };
	char path[256];

	tpath(path, sizeof(path), "no/such/dir.pcapng");
	errno = 0;
	cr_assert_null(capture_writer__new(path, NULL, NULL));
	cr_assert_eq(errno, ENOENT);
	/* --force writes only through a regular file of our own. */
	errno = 0;
	cr_assert_null(capture_writer__new("/dev/full", NULL, &of));
	cr_assert_eq(errno, CAPTURE_E_NOT_REGULAR);
	errno = 0;
	cr_assert_null(capture_writer__new("", NULL, NULL));
	cr_assert_eq(errno, EINVAL);
}

/* A disk that fills up mid-capture (here a file size limit): the error
 * comes back, sticks, and what was written stays readable up to a block. */
static void disk_full(const char *name)
{
	struct capture_stats st;
	struct coll c = { 0 };
	struct vno_event evs[400];
	char path[256];
	int status, fds[2];
	unsigned ok = 0;
	pid_t pid;

	tpath(path, sizeof(path), name);
	rng = 11;
	for (unsigned i = 0; i < 400; i++)
		make_event(&evs[i], i);
	cr_assert_eq(pipe(fds), 0);
	pid = fork();
	cr_assert(pid >= 0);
	if (!pid) {
		struct rlimit rl = { 20000, 20000 };
		struct capture_opts o = { .snaplen = VNO_SNAP_MAX, .async = async_writer };
		struct capture_writer *w;
		unsigned i;
		int err = 0;

		signal(SIGXFSZ, SIG_IGN);
		setrlimit(RLIMIT_FSIZE, &rl);
		w = capture_writer__new(path, NULL, &o);
		if (!w)
			_exit(1);
		capture_writer__tick(w, 0);
		for (i = 0; i < 400 && !err; i++) {
			err = capture_writer__frame(w, &evs[i]);
			if (!err)
				err = capture_writer__tick(w, i * 100000000ull);
		}
		/* With the writer thread the error comes later: at the latest
		 * when a note waits for what was queued before it. */
		if (!err)
			err = capture_writer__note(w, "lost", NULL, NULL);
		if (err != -EFBIG || capture_writer__frame(w, &evs[0]) != -EFBIG)
			_exit(3);
		if (capture_writer__close(w) != -EFBIG)
			_exit(4);
		if (write(fds[1], &i, sizeof(i)) != sizeof(i))
			_exit(5);
		_exit(0);
	}
	close(fds[1]);
	cr_assert_eq(read(fds[0], &ok, sizeof(ok)), sizeof(ok));
	close(fds[0]);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child: %d", status);
	cr_assert_eq(capture_read(path, NULL, on_frame, on_note, &c, &st), 0, "%s", st.error);
	cr_assert(st.truncated);
	cr_assert(st.frames > 0 && st.frames <= ok, "%llu of %u", st.frames, ok);
	check_frames(&c, evs, st.frames, VNO_SNAP_MAX);
	coll_reset(&c);
}

Test(capture, disk_full_plain)
{
	struct capture_stats st;
	char path[256];
	struct stat sb;

	disk_full("full.pcapng");
	/* Plain files are cut back to a whole block: tshark reads them too. */
	tpath(path, sizeof(path), "full.pcapng");
	cr_assert_eq(stat(path, &sb), 0);
	cr_assert_eq(capture_read(path, NULL, NULL, NULL, NULL, &st), 0);
	cr_assert_eq(st.stop_offset, (unsigned long long)sb.st_size);
	cr_assert(strstr(st.error, "not closed"), "%s", st.error);
}

Test(capture, disk_full_gzip)
{
	disk_full("full.pcapng.gz");
}

Test(capture, disk_full_writer_thread)
{
	async_writer = true;
	disk_full("fulla.pcapng.gz");
	disk_full("fulla.pcapng");
}

Test(capture, rotated_names)
{
	static const char *const cases[][2] = {
		{ "x.pcapng.gz", "x.3.pcapng.gz" }, { "x.pcapng", "x.3.pcapng" },
		{ "/a.b/x", "/a.b/x.3" },	      { "x.gz", "x.3.gz" },
		{ "dir/x.cap.gz", "dir/x.3.cap.gz" }, { ".pcapng", ".pcapng.3" },
	};
	char buf[64];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cr_assert_eq(capture_rotated_name(cases[i][0], 3, buf, sizeof(buf)), 0);
		cr_assert_str_eq(buf, cases[i][1]);
		cr_assert_eq(capture_rotated_name(cases[i][0], 0, buf, sizeof(buf)), 0);
		cr_assert_str_eq(buf, cases[i][0]);
	}
	cr_assert_eq(capture_rotated_name("x.pcapng", 12345, buf, 8), -ENAMETOOLONG);
}

static void rotation(const char *name, unsigned long long size, unsigned count)
{
	struct capture_opts o = { .snaplen = 128, .rotate_size = size, .rotate_count = count,
				  .async = async_writer };
	struct vno_event evs[600];
	struct capture_writer *w;
	struct vno_session s;
	char base[256], fn[300];
	unsigned last = 0, next;
	struct stat sb;
	int nfiles = 0;

	make_session(&s);
	tpath(base, sizeof(base), name);
	w = capture_writer__new(base, &s, &o);
	cr_assert_not_null(w);
	rng = 3;
	for (unsigned i = 0; i < 600; i++) {
		make_event(&evs[i], i);
		cr_assert_eq(capture_writer__frame(w, &evs[i]), 0);
	}
	/* the file being written is the newest */
	cr_assert_eq(sscanf(capture_writer__path(w) + strlen(tmpdir), "/%*[^.].%u.", &last), 1,
		     "%s", capture_writer__path(w));
	cr_assert_eq(capture_writer__close(w), 0);
	cr_assert_gt(last, count, "only %u rotations", last);

	next = 0;
	for (unsigned idx = 0; idx <= last + 1; idx++) {
		struct capture_stats st;
		struct vno_session r = { 0 };
		struct coll c = { 0 };

		cr_assert_eq(capture_rotated_name(base, idx, fn, sizeof(fn)), 0);
		if (idx + count <= last || idx > last) {
			cr_assert_neq(stat(fn, &sb), 0, "%s should be gone", fn);
			continue;
		}
		nfiles++;
		cr_assert_eq(capture_read(fn, &r, on_frame, on_note, &c, &st), 0, "%s", st.error);
		cr_assert(!st.truncated, "%s: %s", fn, st.error);
		cr_assert_gt(c.n, 0);
		check_session(&r, 128, &st);
		/* consecutive frames, from where the previous file stopped */
		if (!next)
			next = (unsigned)(c.ev[0].f.ts_ns - 5000000000ull) / 1000;
		for (size_t k = 0; k < c.n; k++) {
			struct vno_event want;

			expected(&want, &evs[next + k], 128);
			cr_assert(!memcmp(&want, &c.ev[k], sizeof(want)), "%s frame %zu", fn, k);
		}
		next += (unsigned)c.n;
		if (!strstr(name, ".gz")) {
			cr_assert_eq(stat(fn, &sb), 0);
			/* over the size by less than the last frame and the end marker */
			cr_assert_lt((unsigned long long)sb.st_size, size + 1024, "%s", fn);
		}
		free(r.ifaces);
		coll_reset(&c);
	}
	cr_assert_eq(nfiles, (int)count);
	cr_assert_eq(next, 600);
}

Test(capture, rotation_plain)
{
	rotation("rot.pcapng", 16384, 3);
}

Test(capture, rotation_gzip)
{
	char fn[300];

	rotation("rot.pcapng.gz", 4096, 4);
	tpath(fn, sizeof(fn), "rot.pcapng.gz");
	cr_assert(strstr(fn, ".pcapng.gz"));
}

/* Rotation done by the writer thread; the path asked for meanwhile is the
 * file being written once what was queued is. */
Test(capture, rotation_writer_thread)
{
	async_writer = true;
	rotation("rota.pcapng.gz", 4096, 4);
	rotation("rota.pcapng", 16384, 3);
}

/* An earlier rotated capture is not overwritten at the first rotation. */
Test(capture, rotation_refuses_leftovers)
{
	struct capture_opts o = { .rotate_size = 4096, .rotate_count = 3 };
	char base[256], one[300];
	int fd;

	tpath(base, sizeof(base), "left.pcapng");
	capture_rotated_name(base, 1, one, sizeof(one));
	fd = open(one, O_CREAT | O_WRONLY, 0600);
	cr_assert(fd >= 0);
	close(fd);
	errno = 0;
	cr_assert_null(capture_writer__new(base, NULL, &o));
	cr_assert_eq(errno, EEXIST);
	cr_assert_neq(access(base, F_OK), 0);
}

Test(capture, note_kinds)
{
	struct capture_writer *w;
	struct capture_stats st;
	struct coll c = { 0 };
	char path[256], big[100];

	tpath(path, sizeof(path), "notes.pcapng");
	w = capture_writer__new(path, NULL, NULL);
	cr_assert_not_null(w);
	memset(big, 'k', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	cr_assert_eq(capture_writer__note(w, "session", "{}", NULL), -EINVAL);
	cr_assert_eq(capture_writer__note(w, "end", "{}", NULL), -EINVAL);
	cr_assert_eq(capture_writer__note(w, "", "{}", NULL), -EINVAL);
	cr_assert_eq(capture_writer__note(w, "two words", "{}", NULL), -EINVAL);
	cr_assert_eq(capture_writer__note(w, big, "{}", NULL), -EINVAL);
	cr_assert_eq(capture_writer__note(w, "drops", NULL, "no JSON, a comment"), 0);
	cr_assert_eq(capture_writer__note(w, "hang", "{\"q\":1}", NULL), 0);
	cr_assert_eq(capture_writer__close(w), 0);
	cr_assert_eq(capture_read(path, NULL, on_frame, on_note, &c, &st), 0);
	cr_assert_eq(st.notes, 2);
	cr_assert_str_eq(c.kind[0], "drops");
	cr_assert_str_eq(c.json[0], "");
	cr_assert_str_eq(c.kind[1], "hang");
	cr_assert_str_eq(c.json[1], "{\"q\":1}");
	coll_reset(&c);
}

Test(capture, callback_stops_reading)
{
	struct capture_stats st;
	struct coll c = { .stop_at = 3 };
	struct vno_event *evs;
	char path[256];

	tpath(path, sizeof(path), "stop.pcapng.gz");
	evs = write_capture(path, 10, 64, 8);
	cr_assert_eq(capture_read(path, NULL, on_frame, on_note, &c, &st), 1);
	cr_assert_eq(c.n, 3);
	cr_assert_eq(st.frames, 3);
	cr_assert_gt(st.stop_offset, 0);
	cr_assert_eq(st.error[0], '\0');
	coll_reset(&c);
	free(evs);
}

Test(capture, two_sections)
{
	struct capture_stats st;
	struct coll c = { 0 };
	struct vno_session r = { 0 };
	struct vno_event *a, *b;
	char pa[256], pb[256];
	uint8_t *x, *y, *xy;
	size_t lx, ly;

	tpath(pa, sizeof(pa), "a.pcapng");
	tpath(pb, sizeof(pb), "b.pcapng");
	a = write_capture(pa, 10, 64, 1);
	b = write_capture(pb, 7, 64, 2);
	x = slurp(pa, &lx);
	y = slurp(pb, &ly);
	xy = malloc(lx + ly);
	memcpy(xy, x, lx);
	memcpy(xy + lx, y, ly);
	cr_assert_eq(read_mem(xy, lx + ly, &r, &c, &st), 0, "%s", st.error);
	cr_assert_eq(st.sections, 2);
	cr_assert_eq(st.frames, 17);
	cr_assert(!st.truncated);
	check_prefix(&c, a, 10, 64);
	for (int i = 0; i < 7; i++) {
		struct vno_event want;

		expected(&want, &b[i], 64);
		cr_assert(!memcmp(&want, &c.ev[10 + i], sizeof(want)));
	}
	check_session(&r, 64, &st);
	free(r.ifaces);
	coll_reset(&c);
	free(x);
	free(y);
	free(xy);
	free(a);
	free(b);
}

/* ---- hand-made files: other byte orders, other tools, damage ------------ */

struct mk {
	uint8_t p[4096];
	size_t len, blk;
	bool be;
};

static void mk_u8(struct mk *m, uint8_t v)
{
	m->p[m->len++] = v;
}

static void mk_u16(struct mk *m, uint16_t v)
{
	mk_u8(m, (uint8_t)(m->be ? v >> 8 : v));
	mk_u8(m, (uint8_t)(m->be ? v : v >> 8));
}

static void mk_u32(struct mk *m, uint32_t v)
{
	if (m->be) {
		mk_u16(m, (uint16_t)(v >> 16));
		mk_u16(m, (uint16_t)v);
	} else {
		mk_u16(m, (uint16_t)v);
		mk_u16(m, (uint16_t)(v >> 16));
	}
}

static void mk_bytes(struct mk *m, const void *d, size_t n)
{
	memcpy(m->p + m->len, d, n);
	m->len += n;
	while (m->len % 4)
		m->p[m->len++] = 0;
}

static void mk_begin(struct mk *m, uint32_t type)
{
	m->blk = m->len;
	mk_u32(m, type);
	mk_u32(m, 0);
}

static void mk_end(struct mk *m)
{
	uint32_t total = (uint32_t)(m->len - m->blk + 4);
	size_t save = m->len;

	mk_u32(m, total);
	m->len = m->blk + 4;
	mk_u32(m, total);
	m->len = save + 4;
}

static void mk_shb(struct mk *m)
{
	mk_begin(m, 0x0A0D0D0A);
	mk_u32(m, 0x1A2B3C4D);
	mk_u16(m, 1);
	mk_u16(m, 0);
	mk_u32(m, 0xFFFFFFFF);
	mk_u32(m, 0xFFFFFFFF);
	mk_end(m);
}

static void mk_idb(struct mk *m)
{
	mk_begin(m, 1);
	mk_u16(m, 1);
	mk_u16(m, 0);
	mk_u32(m, 0);
	mk_end(m);
}

/* An EPB with our record option; version lets tests write a future one. */
static void mk_epb(struct mk *m, uint32_t ifid, const struct vno_event *ev, uint16_t version)
{
	uint8_t rec[4 + 8 + sizeof(struct vno_frame)];

	mk_begin(m, 6);
	mk_u32(m, ifid);
	mk_u32(m, 0);
	mk_u32(m, 0);
	mk_u32(m, ev->f.cap_len);
	mk_u32(m, ev->f.len);
	mk_bytes(m, ev->data, ev->f.cap_len);
	/* The PEN in the section's byte order, the record little-endian. */
	if (m->be) {
		rec[0] = 0, rec[1] = 0, rec[2] = 0x7E, rec[3] = 0xD9;
	} else {
		rec[0] = 0xD9, rec[1] = 0x7E, rec[2] = 0, rec[3] = 0;
	}
	memcpy(rec + 4, "VNOF", 4);
	rec[8] = (uint8_t)version, rec[9] = (uint8_t)(version >> 8);
	rec[10] = sizeof(struct vno_frame), rec[11] = 0;
	memcpy(rec + 12, &ev->f, sizeof(ev->f)); /* host is little-endian */
	mk_u16(m, 2989);
	mk_u16(m, sizeof(rec));
	mk_bytes(m, rec, sizeof(rec));
	mk_u32(m, 0);
	mk_end(m);
}

static void mk_pen(struct mk *m, uint8_t *p)
{
	if (m->be)
		p[0] = 0, p[1] = 0, p[2] = 0x7E, p[3] = 0xD9;
	else
		p[0] = 0xD9, p[1] = 0x7E, p[2] = 0, p[3] = 0;
}

/* An IDB with the interface record of version 4 (@layout 1) for @f. */
static void mk_idb4(struct mk *m, const struct vno_frame *f, uint64_t m2r, uint16_t layout)
{
	uint8_t rec[4 + 8 + 32];

	mk_pen(m, rec);
	memcpy(rec + 4, "VNOI", 4);
	rec[8] = (uint8_t)layout, rec[9] = 0, rec[10] = 32, rec[11] = 0;
	memcpy(rec + 12, &m2r, 8); /* host is little-endian */
	memcpy(rec + 20, &f->netns, 4);
	memcpy(rec + 24, &f->ifindex, 4);
	memcpy(rec + 28, f->dev, 16);
	mk_begin(m, 1);
	mk_u16(m, 1);
	mk_u16(m, 0);
	mk_u32(m, 0);
	mk_u16(m, 2989);
	mk_u16(m, sizeof(rec));
	mk_bytes(m, rec, sizeof(rec));
	mk_u32(m, 0);
	mk_end(m);
}

/* An EPB with a version 4 record, as the writer leaves its fields out,
 * the record option first when @rec_first (any order is pcapng). */
static void mk_epb4(struct mk *m, uint32_t ifid, const struct vno_event *ev, uint64_t m2r,
		    bool rec_first)
{
	uint8_t rec[4 + 8 + REC_PACKED_MAX];
	struct vno_frame z = ev->f;
	uint64_t ts = ev->f.ts_ns + m2r;
	size_t n;

	z.ts_ns = z.pkt_id = 0;
	z.netns = z.ifindex = 0;
	z.queue = z.cap_len = 0;
	z.version = 0;
	memset(z.dev, 0, sizeof(z.dev));
	mk_pen(m, rec);
	memcpy(rec + 4, "VNOF", 4);
	n = rec_pack(&z, rec + 12);
	rec[8] = 4, rec[9] = 0, rec[10] = (uint8_t)n, rec[11] = 0;
	mk_begin(m, 6);
	mk_u32(m, ifid);
	mk_u32(m, (uint32_t)(ts >> 32));
	mk_u32(m, (uint32_t)ts);
	mk_u32(m, ev->f.cap_len);
	mk_u32(m, ev->f.len);
	mk_bytes(m, ev->data, ev->f.cap_len);
	for (int k = 0; k < 2; k++) {
		if (k == !rec_first) {
			mk_u16(m, 2989);
			mk_u16(m, (uint16_t)(12 + n));
			mk_bytes(m, rec, 12 + n);
			continue;
		}
		mk_u16(m, 5); /* epb_packetid, in the section's byte order */
		mk_u16(m, 8);
		mk_u32(m, m->be ? (uint32_t)(ev->f.pkt_id >> 32) : (uint32_t)ev->f.pkt_id);
		mk_u32(m, m->be ? (uint32_t)ev->f.pkt_id : (uint32_t)(ev->f.pkt_id >> 32));
		mk_u16(m, 6); /* epb_queue */
		mk_u16(m, 4);
		mk_u32(m, ev->f.queue);
	}
	mk_u32(m, 0);
	mk_end(m);
}

/* Version 4 in both byte orders, its options in either order: the same
 * record back, ts_ns from the block's timestamp less the interface's
 * offset, the identity from the interface record. */
Test(capture, version4_hand_made)
{
	const uint64_t m2r = 1765000000000000000ull;
	struct capture_stats st;
	struct vno_event ev[2];

	if (__BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__)
		cr_skip_test("big-endian host");
	for (int be = 0; be < 2; be++) {
		struct mk *m = calloc(1, sizeof(*m));
		struct coll c = { 0 };

		rng = 33 + (uint64_t)be;
		m->be = be;
		mk_shb(m);
		for (int i = 0; i < 2; i++) {
			make_event(&ev[i], (unsigned)i);
			ev[i].f.cap_len = (__u16)(30 + i);
			mk_idb4(m, &ev[i].f, m2r, 1);
		}
		mk_epb4(m, 0, &ev[0], m2r, false);
		mk_epb4(m, 1, &ev[1], m2r, true);
		cr_assert_eq(read_mem(m->p, m->len, NULL, &c, &st), 0, "%s", st.error);
		cr_assert_eq(st.frames, 2);
		check_frames(&c, ev, 2, VNO_SNAP_MAX);
		coll_reset(&c);
		free(m);
	}
}

/* What a version 4 record needs and what it may not say. */
Test(capture, version4_damage)
{
	static const char *const why[] = {
		"has no interface record", "word map does not match", "word map does not match",
		"interface record layout 2", "interface record has the wrong length",
	};
	struct capture_stats st;
	struct vno_event ev;

	if (__BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__)
		cr_skip_test("big-endian host");
	for (int k = 0; k < 5; k++) {
		struct mk *m = calloc(1, sizeof(*m));
		size_t at;

		rng = 44;
		make_event(&ev, 0);
		ev.f.cap_len = 8;
		mk_shb(m);
		if (k == 0)
			mk_idb(m); /* no interface record */
		else
			mk_idb4(m, &ev.f, 0, k == 3 ? 2 : 1);
		if (k == 4)
			m->p[m->len - 42] = 31; /* the interface record's length */
		at = m->len;
		mk_epb4(m, 0, &ev, 0, true);
		/* The option after the packet bytes: its map is at 28 + 8 + 4 + 12. */
		if (k == 1)
			m->p[at + 28 + 8 + 4 + 12 + 3] |= 0x40; /* word 30: past the struct */
		if (k == 2)
			m->p[at + 28 + 8 + 4 + 12] ^= 0x10; /* one word more or less */
		cr_assert_eq(read_mem(m->p, m->len, NULL, &(struct coll){ 0 }, &st), -EINVAL,
			     "case %d", k);
		cr_assert(strstr(st.error, why[k]), "case %d: %s", k, st.error);
		free(m);
	}
}

Test(capture, big_endian_section)
{
	struct mk *m = calloc(1, sizeof(*m));
	struct capture_stats st;
	struct coll c = { 0 };
	struct vno_event ev;

	if (__BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__)
		cr_skip_test("big-endian host");
	rng = 21;
	make_event(&ev, 3);
	ev.f.cap_len = 60;
	m->be = true;
	mk_shb(m);
	mk_idb(m);
	mk_epb(m, 0, &ev, VNO_RECORD_VERSION);
	cr_assert_eq(read_mem(m->p, m->len, NULL, &c, &st), 0, "%s", st.error);
	cr_assert_eq(st.frames, 1);
	cr_assert(!st.truncated);
	check_frames(&c, &ev, 1, 60);
	coll_reset(&c);
	free(m);
}

Test(capture, foreign_pcapng_packets_are_skipped)
{
	struct mk *m = calloc(1, sizeof(*m));
	struct capture_stats st;
	uint8_t pkt[60] = { 0 };

	mk_shb(m);
	mk_idb(m);
	mk_begin(m, 6);
	mk_u32(m, 0);
	mk_u32(m, 0);
	mk_u32(m, 0);
	mk_u32(m, sizeof(pkt));
	mk_u32(m, sizeof(pkt));
	mk_bytes(m, pkt, sizeof(pkt));
	mk_end(m);
	mk_begin(m, 0x12345678); /* a block type nobody knows */
	mk_u32(m, 42);
	mk_end(m);
	cr_assert_eq(read_mem(m->p, m->len, NULL, &(struct coll){ 0 }, &st), 0, "%s", st.error);
	cr_assert_eq(st.frames, 0);
	cr_assert_eq(st.skipped, 1);
	cr_assert_eq(st.blocks, 4);
	cr_assert(!st.truncated);
	cr_assert(!st.have_session);
	/* Summed by interface from the packet block (no if_name here). */
	cr_assert_eq(st.n_foreign, 1);
	cr_assert_str_eq(st.foreign[0].name, "");
	cr_assert_eq(st.foreign[0].frames, 1);
	cr_assert_eq(st.foreign[0].bytes, sizeof(pkt));
	cr_assert_eq(st.foreign[0].min_len, sizeof(pkt));
	cr_assert_eq(st.foreign[0].max_len, sizeof(pkt));
	free(m);
}

Test(capture, newer_record_version_is_refused)
{
	struct mk *m = calloc(1, sizeof(*m));
	struct capture_stats st;
	struct vno_event ev;

	rng = 2;
	make_event(&ev, 0);
	ev.f.cap_len = 0;
	mk_shb(m);
	mk_idb(m);
	mk_epb(m, 0, &ev, REC_VERSION + 1);
	cr_assert_eq(read_mem(m->p, m->len, NULL, &(struct coll){ 0 }, &st), -EINVAL);
	cr_assert(strstr(st.error, "version 5 at offset"), "%s", st.error);
	cr_assert(strstr(st.error, "versions 1 to 4"), "%s", st.error);
	free(m);
}

Test(capture, packet_without_interface_is_corrupt)
{
	struct mk *m = calloc(1, sizeof(*m));
	struct capture_stats st;
	struct vno_event ev;

	rng = 2;
	make_event(&ev, 0);
	ev.f.cap_len = 10;
	mk_shb(m);
	mk_epb(m, 0, &ev, 1);
	cr_assert_eq(read_mem(m->p, m->len, NULL, &(struct coll){ 0 }, &st), -EINVAL);
	cr_assert(strstr(st.error, "interface"), "%s", st.error);
	free(m);
}

static void expect_einval(const void *p, size_t len, const char *words)
{
	struct capture_stats st;
	struct coll c = { 0 };
	int ret = read_mem(p, len, NULL, &c, &st);

	cr_assert_eq(ret, -EINVAL, "%d: %s", ret, st.error);
	cr_assert(strstr(st.error, words), "\"%s\" lacks \"%s\"", st.error, words);
	coll_reset(&c);
}

Test(capture, corrupt_or_foreign_headers)
{
	static const uint8_t pcap[24] = { 0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0 };
	static const uint8_t text[] = "this is a text file, not a capture\n";
	struct mk *m = calloc(1, sizeof(*m));
	uint8_t gz[128];
	uLongf gzlen = sizeof(gz);
	char path[256];
	size_t len;
	uint8_t *p;

	expect_einval(text, sizeof(text) - 1, "not a pcapng file");
	expect_einval(pcap, sizeof(pcap), "classic pcap");
	expect_einval("ab", 2, "not a pcapng file");

	/* gzip-compressed text: still foreign, and says it was compressed */
	{
		z_stream z = { 0 };

		deflateInit2(&z, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY);
		z.next_in = (Bytef *)text;
		z.avail_in = sizeof(text) - 1;
		z.next_out = gz;
		z.avail_out = sizeof(gz);
		cr_assert_eq(deflate(&z, Z_FINISH), Z_STREAM_END);
		gzlen = sizeof(gz) - z.avail_out;
		deflateEnd(&z);
		expect_einval(gz, gzlen, "gzip");
	}

	/* a section header without its byte-order magic */
	mk_shb(m);
	m->p[8] = 0x55;
	expect_einval(m->p, m->len, "byte-order magic");

	/* a version we do not know */
	m->len = 0;
	mk_shb(m);
	m->p[12] = 2;
	expect_einval(m->p, m->len, "version 2.0");

	/* a block claiming 1 GiB */
	m->len = 0;
	mk_shb(m);
	mk_idb(m);
	m->p[28 + 4 + 3] = 0x40;
	expect_einval(m->p, m->len, "MiB limit");

	/* a block claiming the 16 MiB maximum in a short file: cut, not corrupt */
	m->len = 0;
	mk_shb(m);
	mk_idb(m);
	m->p[28 + 4] = 0, m->p[28 + 5] = 0, m->p[28 + 6] = 0, m->p[28 + 7] = 1;
	{
		struct capture_stats st;

		cr_assert_eq(read_mem(m->p, m->len, NULL, &(struct coll){ 0 }, &st), 0);
		cr_assert(st.truncated);
		cr_assert_eq(st.stop_offset, 28);
	}

	/* fuzz_capture crash-879b7ff0: a 12-byte section header, the first
	 * block, read before any buffer existed */
	expect_einval("\x0a\x0d\x0d\x0a\x0c\x00\x00\x00\x4d\x3c\x2b\x1a", 12, "differ");
	/* and the same after a block was read: the header must not be stale */
	m->len = 0;
	mk_shb(m);
	memcpy(m->p + m->len, "\x0a\x0d\x0d\x0a\x0c\x00\x00\x00\x4d\x3c\x2b\x1a", 12);
	m->len += 12;
	expect_einval(m->p, m->len, "differ");

	/* lengths not a multiple of 4, below the minimum */
	m->len = 0;
	mk_shb(m);
	mk_idb(m);
	m->p[28 + 4] = 21;
	expect_einval(m->p, m->len, "impossible");
	m->p[28 + 4] = 8;
	expect_einval(m->p, m->len, "impossible");

	/* the two length fields of a block differ */
	m->len = 0;
	mk_shb(m);
	mk_idb(m);
	m->p[m->len - 4] = 24;
	expect_einval(m->p, m->len, "differ");

	/* a real capture with its session metadata damaged: lengths stay right */
	tpath(path, sizeof(path), "meta.pcapng");
	free(write_capture(path, 3, 64, 1));
	p = slurp(path, &len);
	{
		uint8_t *j = memmem(p, len, "\"interfaces\":[", 14);

		cr_assert_not_null(j);
		j[13] = '{';
		expect_einval(p, len, "not valid JSON");
	}
	free(p);
	free(m);
}

/* @json as the session metadata of a small capture, read back. */
static int read_session(const char *json, size_t n, struct vno_session *r,
			struct capture_stats *st)
{
	struct craft c = { 0 };
	struct coll coll = { 0 };
	int ret;

	cr_header(&c);
	cr_custom(&c, "session", json, n);
	cr_note(&c, "end", "{}");
	ret = read_mem(c.p, c.len, r, &coll, st);
	coll_reset(&coll);
	free(c.p);
	return ret;
}

static void session_refused(const char *json, size_t n, const char *words)
{
	struct vno_session r = { 0 };
	struct capture_stats st;

	cr_assert_eq(read_session(json, n, &r, &st), -EINVAL, "%.80s: %s", json, st.error);
	cr_assert(strstr(st.error, words), "\"%s\" lacks \"%s\"", st.error, words);
	free(r.ifaces);
}

/* Nesting, counts and sizes of a hostile session block stay bounded, and
 * each refusal says why. */
Test(capture, session_metadata_limits)
{
	size_t cap = 8u << 20, n;
	char *j = malloc(cap);
	struct vno_session r = { 0 };
	struct capture_stats st;

	/* 32 nested containers around a value are fine, 33 are not */
	for (unsigned depth = 32; depth <= 33; depth++) {
		n = (size_t)sprintf(j, "{\"x\":");
		for (unsigned i = 1; i < depth; i++)
			j[n++] = '[';
		j[n++] = '1';
		for (unsigned i = 1; i < depth; i++)
			j[n++] = ']';
		n += (size_t)sprintf(j + n, "}");
		if (depth == 32) {
			cr_assert_eq(read_session(j, n, &r, &st), 0, "%s", st.error);
			cr_assert(st.have_session);
		} else {
			session_refused(j, n, "not valid JSON (at byte");
		}
	}
	/* 4096 interfaces, and one more */
	for (unsigned count = 4096; count <= 4097; count++) {
		n = (size_t)sprintf(j, "{\"interfaces\":[");
		for (unsigned i = 0; i < count; i++)
			n += (size_t)sprintf(j + n, "%s{\"name\":\"d%u\",\"mtu\":%u}", i ? "," : "",
					     i, i);
		n += (size_t)sprintf(j + n, "]}");
		if (count == 4096) {
			cr_assert_eq(read_session(j, n, &r, &st), 0, "%s", st.error);
			cr_assert_eq(r.n_ifaces, 4096);
			cr_assert_str_eq(r.ifaces[4095].name, "d4095");
			cr_assert_eq(r.ifaces[4095].mtu, 4095);
			free(r.ifaces);
			r.ifaces = NULL;
		} else {
			session_refused(j, n, "lists more than 4096 interfaces");
		}
	}
	/* 4096 interfaces as the writer writes them, every field long */
	{
		struct vno_session ws = { 0 };
		struct capture_writer *w;
		char path[256];

		ws.ifaces = calloc(4096, sizeof(*ws.ifaces));
		ws.n_ifaces = 4096;
		for (unsigned i = 0; i < 4096; i++) {
			struct vno_iface *it = &ws.ifaces[i];

			snprintf(it->name, sizeof(it->name), "\\\\\\\\\\\\\\%u", i % 10);
			memset(it->driver, '"', sizeof(it->driver) - 1);
			it->netns = it->ifindex = it->mtu = it->gso_max_size = UINT32_MAX;
			it->gso_max_segs = it->tso_max_size = it->tso_max_segs = UINT32_MAX;
		}
		tpath(path, sizeof(path), "ifaces4096.pcapng");
		w = capture_writer__new(path, &ws, NULL);
		cr_assert_not_null(w);
		cr_assert_eq(capture_writer__close(w), 0);
		cr_assert_eq(capture_read(path, &r, NULL, NULL, NULL, &st), 0, "%s", st.error);
		cr_assert_eq(r.n_ifaces, 4096);
		cr_assert_eq(memcmp(r.ifaces, ws.ifaces, 4096 * sizeof(*ws.ifaces)), 0);
		free(r.ifaces);
		r.ifaces = NULL;
		free(ws.ifaces);
	}
	/* millions of values, refused before they are built */
	n = (size_t)sprintf(j, "{\"x\":[");
	while (n < cap - 16)
		n += (size_t)sprintf(j + n, "{},");
	n += (size_t)sprintf(j + n, "1]}");
	session_refused(j, n, "too large");
	free(j);

	session_refused("{\"a\":1} x", 9, "not valid JSON (at byte");
	session_refused("{\"a\":\0}", 7, "not valid JSON (at byte 5)");
	session_refused("[]", 2, "not a session's: it is not an object");
	session_refused("{\"interfaces\":{}}", 17, "\"interfaces\" is not an array");
	session_refused("{\"interfaces\":[{\"mtu\":-1}]}", 27,
			"\"mtu\" of interface 0 is not a number from 0 to 4294967295");
	session_refused("{\"interfaces\":[{\"up\":1}]}", 25, "\"up\" of interface 0");
	session_refused("{\"kernel\":5}", 12, "\"kernel\" is not a string");
	session_refused("{\"hooks\":{\"xmit\":[]}}", 21, "hook \"xmit\" is not a string");

	/* strings: a NUL shows, a long one is cut between characters */
	memset(&r, 0, sizeof(r));
	cr_assert_eq(read_session("{\"kernel\":\"a\\u0000b\"}", 21, &r, &st), 0, "%s", st.error);
	cr_assert_str_eq(r.kernel, "a?b");
	j = malloc(4096);
	n = (size_t)sprintf(j, "{\"interfaces\":[{\"name\":\"");
	for (unsigned i = 0; i < 20; i++)
		n += (size_t)sprintf(j + n, "\xc3\xa9");
	n += (size_t)sprintf(j + n, "\"}]}");
	cr_assert_eq(read_session(j, n, &r, &st), 0, "%s", st.error);
	cr_assert_eq(strlen(r.ifaces[0].name), VNO_IFNAMSIZ - 2, "%s", r.ifaces[0].name);
	free(r.ifaces);
	free(j);
}

/* Every way of damaging one byte of a small capture: no crash, and either
 * a clean result or -EINVAL with a sentence. (The fuzzer goes further.) */
Test(capture, single_byte_damage)
{
	struct capture_stats st;
	char path[256];
	size_t len;
	uint8_t *p;

	tpath(path, sizeof(path), "dmg.pcapng");
	free(write_capture(path, 4, 32, 3));
	p = slurp(path, &len);
	for (size_t i = 0; i < len; i++) {
		static const uint8_t vals[] = { 0x00, 0xFF, 0x80, 0x01 };

		for (size_t v = 0; v < sizeof(vals); v++) {
			uint8_t save = p[i];
			struct vno_session r = { 0 };
			struct coll c = { 0 };
			int ret;

			p[i] = vals[v];
			ret = read_mem(p, len, &r, &c, &st);
			cr_assert(ret == 0 || (ret == -EINVAL && st.error[0]), "offset %zu: %d", i,
				  ret);
			p[i] = save;
			free(r.ifaces);
			coll_reset(&c);
		}
	}
	free(p);
}

Test(capture, empty_and_missing_files)
{
	struct capture_stats st;
	char path[256];
	int fd;

	tpath(path, sizeof(path), "empty.pcapng");
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	close(fd);
	cr_assert_eq(capture_read(path, NULL, NULL, NULL, NULL, &st), 0);
	cr_assert(st.truncated);
	cr_assert_eq(st.frames, 0);
	tpath(path, sizeof(path), "missing.pcapng");
	cr_assert_eq(capture_read(path, NULL, NULL, NULL, NULL, &st), -ENOENT);
	cr_assert_neq(st.error[0], '\0');
	cr_assert_eq(capture_read(tmpdir, NULL, NULL, NULL, NULL, &st), -EISDIR);
}

/* The comment Wireshark shows under each packet. */
Test(capture, packet_comment)
{
	struct capture_opts o = { .snaplen = 64 };
	struct capture_writer *w;
	struct vno_event ev = { 0 };
	char path[256];
	size_t len;
	uint8_t *p;
	static const char want[] = "gso_size=1448 gso_segs=10 gso_type=tcpv4|dodgy "
				   "ip_summed=partial csum=partial@34+16 hop=xmit latency=2500ns";

	tpath(path, sizeof(path), "comment.pcapng");
	w = capture_writer__new(path, NULL, &o);
	cr_assert_not_null(w);
	ev.f.hop = VNO_HOP_XMIT;
	ev.f.gso_size = 1448;
	ev.f.gso_segs = 10;
	ev.f.gso_type = VNO_GSO_TCPV4 | VNO_GSO_DODGY;
	ev.f.ip_summed = VNO_CSUM_PARTIAL;
	ev.f.csum_start = 34;
	ev.f.csum_offset = 16;
	ev.f.latency_ns = 2500;
	ev.f.len = 14546;
	strcpy(ev.f.dev, "eno1");
	cr_assert_eq(capture_writer__frame(w, &ev), 0);
	ev.f.hop = VNO_HOP_DONE;
	ev.f.flags = VNO_F_FREED;
	ev.f.drop_reason = 2;
	cr_assert_eq(capture_writer__frame(w, &ev), 0);
	cr_assert_eq(capture_writer__close(w), 0);
	p = slurp(path, &len);
	cr_assert_not_null(memmem(p, len, want, sizeof(want) - 1));
	cr_assert_not_null(memmem(p, len, "hop=done latency=2500ns drop_reason=2", 37));
	free(p);
}

/* How often @needle stands in @p. */
static unsigned count_in(const uint8_t *p, size_t len, const char *needle)
{
	size_t n = strlen(needle);
	unsigned c = 0;
	const uint8_t *q = p;

	while ((q = memmem(q, len - (size_t)(q - p), needle, n))) {
		c++;
		q += n;
	}
	return c;
}

/* How many comments in @p are @needle: it is followed by no more words. */
static unsigned count_comment(const uint8_t *p, size_t len, const char *needle)
{
	size_t n = strlen(needle);
	unsigned c = 0;
	const uint8_t *q = p;

	while ((q = memmem(q, len - (size_t)(q - p), needle, n))) {
		q += n;
		c += q < p + len && *q != ' ';
	}
	return c;
}

/* The comment's start comes from a small cache of the last ones built:
 * frames of many keys, colliding in it and coming back, each get theirs.
 * Frames of TCP bytes skip the tunnel decoding, others do not. */
Test(capture, packet_comment_prefixes)
{
	static const __u8 vxlan[] = {
		/* IPv4 UDP to 4789, VXLAN VNI 42, inner Ethernet, IPv4, TCP */
		2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00,
		0x45, 0, 0, 130, 0, 0, 0x40, 0, 64, 17, 0, 0, 192, 0, 2, 1, 192, 0, 2, 2,
		0xc0, 0x00, 0x12, 0xb5, 0, 110, 0, 0,
		0x08, 0, 0, 0, 0, 0, 42, 0,
		2, 0, 0, 0, 0, 4, 2, 0, 0, 0, 0, 3, 0x08, 0x00,
		0x45, 0, 0, 80, 0, 0, 0x40, 0, 64, 6, 0, 0, 198, 51, 100, 1, 198, 51, 100, 2,
		0x9c, 0x40, 0x13, 0x8a, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x10, 0xff, 0xff, 0, 0, 0, 0,
	};
	static const __u8 tcp4[] = {
		2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00,
		0x45, 0, 0, 40, 0, 0, 0x40, 0, 64, 6, 0, 0, 192, 0, 2, 1, 192, 0, 2, 2,
		0x9c, 0x40, 0x13, 0x8a, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x10, 0xff, 0xff, 0, 0, 0, 0,
	};
	struct capture_opts o = { .snaplen = 128 };
	struct capture_writer *w;
	struct vno_event ev = { 0 };
	unsigned count[7][11][2][2] = { 0 };
	char path[256], want[256];
	size_t len;
	uint8_t *p;

	tpath(path, sizeof(path), "prefixes.pcapng");
	w = capture_writer__new(path, NULL, &o);
	cr_assert_not_null(w);
	strcpy(ev.f.dev, "eno1");
	ev.f.gso_type = VNO_GSO_TCPV4;
	rng = 77;
	for (int i = 0; i < 3000; i++) {
		unsigned a = (unsigned)(rnd() % 7), b = (unsigned)(rnd() % 11);
		unsigned c = (unsigned)(rnd() % 2), d = (unsigned)(rnd() % 2);

		ev.f.gso_size = (__u16)(1400 + a);
		ev.f.gso_segs = (__u16)b;
		ev.f.hop = c ? VNO_HOP_XMIT : VNO_HOP_RX;
		ev.f.ip_summed = d ? VNO_CSUM_PARTIAL : VNO_CSUM_NONE;
		ev.f.csum_start = (__u16)(d ? 34 + a : 0);
		ev.f.csum_offset = (__u16)(d ? 16 : 0);
		cr_assert_eq(capture_writer__frame(w, &ev), 0);
		count[a][b][c][d]++;
	}
	ev.f.gso_size = 1448;
	ev.f.gso_segs = 2;
	ev.f.hop = VNO_HOP_XMIT;
	ev.f.ip_summed = VNO_CSUM_NONE;
	ev.f.csum_start = ev.f.csum_offset = 0;
	ev.f.cap_len = sizeof(vxlan);
	memcpy(ev.data, vxlan, sizeof(vxlan));
	cr_assert_eq(capture_writer__frame(w, &ev), 0);
	ev.f.cap_len = sizeof(tcp4);
	memcpy(ev.data, tcp4, sizeof(tcp4));
	cr_assert_eq(capture_writer__frame(w, &ev), 0);
	cr_assert_eq(capture_writer__close(w), 0);
	p = slurp(path, &len);
	for (unsigned a = 0; a < 7; a++)
		for (unsigned b = 0; b < 11; b++)
			for (unsigned c = 0; c < 2; c++)
				for (unsigned d = 0; d < 2; d++) {
					if (d)
						snprintf(want, sizeof(want),
							 "gso_size=%u gso_segs=%u gso_type=tcpv4 ip_summed=partial csum=partial@%u+16 hop=%s",
							 1400 + a, b, 34 + a, c ? "xmit" : "rx");
					else
						snprintf(want, sizeof(want),
							 "gso_size=%u gso_segs=%u gso_type=tcpv4 ip_summed=none hop=%s",
							 1400 + a, b, c ? "xmit" : "rx");
					cr_assert_eq(count_comment(p, len, want), count[a][b][c][d], "%s", want);
				}
	cr_assert_eq(count_comment(p, len, "hop=xmit encap=vxlan vni=42 inner=tcp/198.51.100.1:40000>198.51.100.2:5002"), 1);
	cr_assert_eq(count_comment(p, len, "gso_size=1448 gso_segs=2 gso_type=tcpv4 ip_summed=none hop=xmit"), 1);
	free(p);
}

/* Comments of frames whose gso_type changes from one to the next (the
 * writer keeps the words it built last: hits, and misses), of a driver hop
 * with its ring, and of a watchdog hang. */
Test(capture, packet_comment_kinds)
{
	static const __u32 types[] = { VNO_GSO_TCPV4, 0, VNO_GSO_TCPV4, 0, VNO_GSO_TCPV6,
				       VNO_GSO_TCPV6, 0, VNO_GSO_UDP_L4 | (1u << 12), 0,
				       VNO_GSO_TCPV4 };
	static const struct {
		const char *s;
		unsigned n;
	} want[] = { { "gso_type=tcpv4 ip_summed=none hop=xmit", 3 },
		     { "gso_type=none ip_summed=none hop=xmit", 4 },
		     { "gso_type=tcpv6 ip_summed=none hop=xmit", 2 },
		     { "gso_type=partial|udp_l4 ip_summed=none hop=xmit", 1 } };
	struct capture_writer *w;
	struct vno_event ev = { 0 };
	char path[256];
	size_t len, i;
	uint8_t *p;

	tpath(path, sizeof(path), "kinds.pcapng");
	w = capture_writer__new(path, NULL, NULL);
	cr_assert_not_null(w);
	strcpy(ev.f.dev, "eno1");
	ev.f.hop = VNO_HOP_XMIT;
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		ev.f.gso_type = types[i];
		cr_assert_eq(capture_writer__frame(w, &ev), 0);
	}
	ev.f.gso_type = 0;
	ev.f.hop = VNO_HOP_DRV_DONE;
	ev.f.flags = VNO_F_RING;
	ev.f.ring_size = 256;
	ev.f.ring_free = 3;
	ev.f.ring_head = 17;
	ev.f.ring_tail = 20;
	ev.f.latency_ns = 4000000000ULL;
	cr_assert_eq(capture_writer__frame(w, &ev), 0);
	memset(&ev.f, 0, sizeof(ev.f));
	strcpy(ev.f.dev, "eno1");
	ev.f.hop = VNO_HOP_HANG;
	ev.f.queue = 3;
	cr_assert_eq(capture_writer__frame(w, &ev), 0);
	cr_assert_eq(capture_writer__close(w), 0);
	p = slurp(path, &len);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		cr_assert_eq(count_in(p, len, want[i].s), want[i].n, "%s", want[i].s);
	cr_assert_not_null(memmem(p, len, "hop=drv-done ring=3/256 free head=17 tail=20", 44));
	cr_assert_null(memmem(p, len, "latency=4000000000ns", 20), "latency only at xmit and done");
	cr_assert_not_null(memmem(p, len, "hop=hang queue=3: the kernel TX watchdog fired", 46));
	free(p);
}

/*
 * Files written by an earlier vnoffload-trace must stay readable. Each
 * fixture was written by this test (VNO_UPDATE_FIXTURES=1 with no file
 * there, from the repository root) when its record version was current,
 * and is read back against the same generated records (make_event_old for
 * the older versions). Never regenerate one for a format change: add new ones next
 * to them.
 */
static void golden(const char *fixture, unsigned version)
{
	struct capture_stats st;
	struct vno_session r = { 0 };
	struct coll c = { 0 };
	struct vno_event *evs;
	int ret;

	if (version == REC_VERSION && getenv("VNO_UPDATE_FIXTURES") &&
	    access(fixture, F_OK))
		free(write_capture(fixture, 24, 128, 0x601d));
	rng = 0x601d;
	evs = calloc(24, sizeof(*evs));
	for (unsigned i = 0; i < 24; i++) {
		if (version < 3)
			make_event_old(&evs[i], i, version);
		else
			make_event(&evs[i], i);
	}
	ret = capture_read(fixture, &r, on_frame, on_note, &c, &st);
	cr_assert_eq(ret, 0, "%s: %s (run the unit tests from the repository root)", fixture,
		     st.error);
	cr_assert(!st.truncated, "%s", st.error);
	check_frames(&c, evs, 24, 128);
	/* The fixtures before version 4 predate the UDP tunnel offloads. */
	check_session_ol(&r, 128, &st, version < 4 ? VNO_OL_UDP_TNL : VNO_OL__MAX);
	cr_assert_eq(st.notes, 2);
	free(r.ifaces);
	coll_reset(&c);
	free(evs);
}

struct fixture {
	char path[64];
	unsigned version;
};

ParameterizedTestParameters(capture, reads_older_versions)
{
	static struct fixture cases[] = {
		{ "tests/fixtures/capture-v1.pcapng", 1 },
		{ "tests/fixtures/capture-v1.pcapng.gz", 1 },
		{ "tests/fixtures/capture-v2.pcapng", 2 },
		{ "tests/fixtures/capture-v2.pcapng.gz", 2 },
		{ "tests/fixtures/capture-v3.pcapng", 3 },
		{ "tests/fixtures/capture-v3.pcapng.gz", 3 },
		{ "tests/fixtures/capture-v4.pcapng", 4 },
		{ "tests/fixtures/capture-v4.pcapng.gz", 4 },
	};

	return cr_make_param_array(struct fixture, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct fixture *c, capture, reads_older_versions)
{
	golden(c->path, c->version);
}
