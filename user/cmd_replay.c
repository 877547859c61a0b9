// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * vnoffload-trace replay CAPTURE --tap NAME: a capture's guest frames
 * written again into a tap, as their guest handed them to the host, so a
 * driver's maintainer can reproduce a reporter's hang without the
 * reporter's guest.
 *
 * Which records: those of the rx hop on a tun device (the guest's tap).
 * They exist on every kernel, carry the offload metadata the guest's
 * virtio_net_hdr set (gso_size, gso_type, the checksum request) and the
 * frame's first bytes. The guest hop (tun_get_user, driver hooks only)
 * describes the same frames and is not used: it would count each twice.
 *
 * The capture is read whole before the tap is touched: a corrupt or
 * truncated file replays nothing.
 */
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#include "capture.h"
#include "cmds.h"
#include "decode.h"
#include "grow.h"
#include "json.h"
#include "json_writer.h"
#include "print.h"
#include "replay.h"
#include "run.h"
#include "session.h"
#include "tap.h"

/* Frames held for one replay: each keeps its record and captured bytes
 * (at most ~430 B), so about 450 MB at this bound. */
#define REPLAY_FRAMES_MAX (1u << 20)
/* A hang note holds the diagnosis' window: up to 65536 frames of ~45
 * members (the bound json.c puts on notes). */
#define HANG_NOTE_WEIGHT (1u << 22)

/* What replay says as it goes: stdout, or stderr when --json keeps stdout
 * for its one JSON line. */
static FILE *say;

struct replay_opts {
	const char *capture, *tap, *bridge, *from;
	unsigned hang;		/* --window N; 0 = all */
	double rate;		/* spacing divided by this; 0 = no pauses */
	unsigned long loops;	/* 0 = until interrupted */
	struct replay_rewrite rw;
};

struct held {
	struct vno_frame f;
	unsigned char *data;	/* f.cap_len bytes */
};

struct replay_set {
	const struct replay_opts *o;
	struct vno_session sess;
	struct held *v;
	size_t n, cap;
	int err;
	unsigned long long tap_rx;	/* frames at a tap's rx hop in the file */
	unsigned hangs;			/* hang notes seen */
	/* the chosen hang: its device, time and window's packet ids */
	char hang_dev[VNO_IFNAMSIZ + 1];
	unsigned long long hang_ts;
	unsigned long long *ids;
	size_t n_ids;
	unsigned snaplen;
};

/* A guest's tap: the rx hop of a tun device, or of the device --from names. */
static bool from_guest(const struct replay_set *rs, const struct vno_frame *f)
{
	const struct vno_iface *it;

	if (f->hop != VNO_HOP_RX)
		return false;
	if (rs->o->from)
		return !strncmp(f->dev, rs->o->from, VNO_IFNAMSIZ);
	it = ifaces_find(rs->sess.ifaces, rs->sess.n_ifaces, f->netns, f->ifindex);
	return it && !strcmp(it->driver, "tun");
}

static int on_frame(const struct vno_event *ev, void *ctx)
{
	struct replay_set *rs = ctx;
	struct held *h;
	void *p;

	if (!from_guest(rs, &ev->f))
		return 0;
	rs->tap_rx++;
	if (rs->n >= REPLAY_FRAMES_MAX)
		return -E2BIG;
	p = array_grow(rs->v, &rs->cap, rs->n + 1, sizeof(*rs->v));
	if (!p)
		return -ENOMEM;
	rs->v = p;
	h = &rs->v[rs->n];
	h->f = ev->f;
	if (h->f.cap_len > VNO_SNAP_MAX)
		h->f.cap_len = VNO_SNAP_MAX;
	h->data = malloc(h->f.cap_len ? h->f.cap_len : 1);
	if (!h->data)
		return -ENOMEM;
	memcpy(h->data, ev->data, h->f.cap_len);
	rs->n++;
	return 0;
}

/* The window of the chosen hang note: the packet ids of its frames. */
static int read_hang(struct replay_set *rs, const char *json)
{
	struct json_object *root = json_parse(json, strlen(json), HANG_NOTE_WEIGHT, NULL), *fb, *v;
	long long ts;
	size_t i, n;
	int ret = -EPROTO;

	if (!root)
		return -EPROTO;
	fb = json_member(root, "frames_before");
	if (!fb || !json_object_is_type(fb, json_type_array))
		goto out;
	if (json_val_str(json_member(root, "dev"), rs->hang_dev, sizeof(rs->hang_dev)) ||
	    json_val_i64(json_member(root, "ts_ns"), &ts) || ts < 0)
		goto out;
	rs->hang_ts = (unsigned long long)ts;
	n = json_object_array_length(fb);
	rs->ids = calloc(n ? n : 1, sizeof(*rs->ids));
	if (!rs->ids) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		char id[24], *end;

		v = json_member(json_object_array_get_idx(fb, i), "pkt_id");
		if (json_val_str(v, id, sizeof(id)))
			continue;
		rs->ids[rs->n_ids] = strtoull(id, &end, 16);
		if (!*end && end != id)
			rs->n_ids++;
	}
	ret = 0;
out:
	json_object_put(root);
	return ret;
}

static int on_note(const char *kind, const char *json, void *ctx)
{
	struct replay_set *rs = ctx;

	if (strcmp(kind, "hang"))
		return 0;
	if (++rs->hangs != rs->o->hang)
		return 0;
	if (!json || read_hang(rs, json)) {
		rs->err = -EPROTO;
		return 0;
	}
	return 0;
}

static void set_free(struct replay_set *rs)
{
	for (size_t i = 0; i < rs->n; i++)
		free(rs->v[i].data);
	free(rs->v);
	free(rs->ids);
	session_free(&rs->sess);
}

static int cmp_u64(const void *a, const void *b)
{
	unsigned long long x = *(const unsigned long long *)a, y = *(const unsigned long long *)b;

	return x < y ? -1 : x > y;
}

/* Time order (the ring buffer interleaves CPUs), the file's order on a tie. */
static int cmp_held(const void *a, const void *b)
{
	const struct held *x = a, *y = b;

	if (x->f.ts_ns != y->f.ts_ns)
		return x->f.ts_ns < y->f.ts_ns ? -1 : 1;
	return x < y ? -1 : x > y;
}

static bool in_window(const struct replay_set *rs, const struct held *h)
{
	unsigned long long id = h->f.pkt_id;

	return h->f.ts_ns <= rs->hang_ts &&
	       bsearch(&id, rs->ids, rs->n_ids, sizeof(*rs->ids), cmp_u64);
}

/* Keep the chosen hang's frames only. */
static void keep_window(struct replay_set *rs)
{
	size_t i, k = 0;

	qsort(rs->ids, rs->n_ids, sizeof(*rs->ids), cmp_u64);
	for (i = 0; i < rs->n; i++) {
		if (in_window(rs, &rs->v[i]))
			rs->v[k++] = rs->v[i];
		else
			free(rs->v[i].data);
	}
	rs->n = k;
}

/* Read the capture and choose the frames. 0, or 1 with a sentence said. */
static int load(struct replay_set *rs)
{
	const struct replay_opts *o = rs->o;
	struct capture_stats st = {};
	char t[TERM_STR_LEN(300)];
	int ret;

	ret = capture_read(o->capture, &rs->sess, on_frame, on_note, rs, &st);
	rs->snaplen = st.snaplen;
	if (ret == -E2BIG) {
		cmd_error("%s: more than %u frames from a guest's tap; choose a hang's frames with "
			  "--window N", o->capture, REPLAY_FRAMES_MAX);
		return 1;
	}
	if (ret) {
		cmd_error("%s: %s; nothing replayed", o->capture,
			  st.error[0] ? term_str(t, sizeof(t), st.error) : strerror(-ret));
		return 1;
	}
	if (st.truncated) {
		cmd_error("%s is truncated (%s, after %llu records): nothing replayed, as a "
			  "reproducer cut short may leave out the frames that matter",
			  o->capture, st.error[0] ? term_str(t, sizeof(t), st.error) : "cut short",
			  st.frames);
		return 1;
	}
	if (!st.have_session) {
		cmd_error("%s: no vnoffload-trace session in it (not a capture of record -w); "
			  "nothing replayed", o->capture);
		return 1;
	}
	if (o->hang && rs->hangs < o->hang) {
		cmd_error("%s: --window %u, but the capture holds %u hang%s", o->capture, o->hang,
			  rs->hangs, rs->hangs == 1 ? "" : "s");
		return 1;
	}
	if (rs->err) {
		cmd_error("%s: hang %u's diagnosis does not read (no frames_before, dev or ts_ns); "
			  "nothing replayed", o->capture, o->hang);
		return 1;
	}
	if (!rs->n) {
		cmd_error("%s: no frame entered from a guest's tap (the rx hop of a tun device%s%s): "
			  "record with -i naming the tap, or name the device with --from", o->capture,
			  o->from ? ", here " : "", o->from ? term_str(t, sizeof(t), o->from) : "");
		return 1;
	}
	qsort(rs->v, rs->n, sizeof(*rs->v), cmp_held);
	if (o->hang) {
		keep_window(rs);
		if (!rs->n) {
			cmd_error("%s: none of the frames before hang %u (on %s) came from a guest's "
				  "tap in the capture; nothing to replay", o->capture, o->hang,
				  term_str(t, sizeof(t), rs->hang_dev));
			return 1;
		}
	}
	return 0;
}

/* The offloads the chosen frames need from the tap. */
static unsigned needed_offloads(const struct replay_set *rs)
{
	unsigned off = 0;

	for (size_t i = 0; i < rs->n; i++) {
		const struct vno_frame *f = &rs->v[i].f;

		if (f->ip_summed == VNO_CSUM_PARTIAL)
			off |= TUN_F_CSUM;
		if (!f->gso_size)
			continue;
		off |= TUN_F_CSUM;
		if (f->gso_type & VNO_GSO_TCPV4)
			off |= TUN_F_TSO4;
		if (f->gso_type & VNO_GSO_TCPV6)
			off |= TUN_F_TSO6;
		if (f->gso_type & VNO_GSO_TCP_ECN)
			off |= TUN_F_TSO_ECN;
		if (f->gso_type & VNO_GSO_UDP)
			off |= TUN_F_UFO;
		if (f->gso_type & VNO_GSO_UDP_L4)
			off |= f->ip_ver == 6 ? TUN_F_USO6 : TUN_F_USO4;
	}
	return off;
}

/* Refusals by errno: up to EHWPOISON (133, the last Linux defines); 0
 * holds any other. */
#define ERRNO_SLOTS 134

struct tally {
	unsigned long long written, bytes, refused, synth, short_hdr, ip_len, ip_csum, l4_csum,
		rewrote, vlan, bad;
	unsigned long long err[ERRNO_SLOTS];
};

static void count_what(struct tally *t, unsigned what)
{
	t->synth += !!(what & REPLAY_SYNTH);
	t->short_hdr += !!(what & REPLAY_SHORT_HDR);
	t->ip_len += !!(what & REPLAY_IP_LEN);
	t->ip_csum += !!(what & REPLAY_IP_CSUM);
	t->l4_csum += !!(what & REPLAY_L4_CSUM);
	t->rewrote += !!(what & REPLAY_REWROTE);
	t->vlan += !!(what & REPLAY_VLAN);
}

/* What the host sends the guest (replies, neighbour discovery) is read and
 * dropped, so the tap's queue never stalls — a stalled queue is a hang of
 * its own to a recorder watching the tap. */
static void drain(int fd)
{
	static unsigned char buf[65536 + 64];

	while (read(fd, buf, sizeof(buf)) > 0)
		;
}

/* Until @deadline (CLOCK_MONOTONIC ns), draining the tap meanwhile. */
static void wait_until(int fd, unsigned long long deadline)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	struct timespec left;
	unsigned long long n;

	for (;;) {
		n = mono_now_ns();
		if (n >= deadline || run_stop)
			return;
		left.tv_sec = (time_t)((deadline - n) / 1000000000ull);
		left.tv_nsec = (long)((deadline - n) % 1000000000ull);
		if (ppoll(&p, 1, &left, NULL) > 0)
			drain(fd);
	}
}

static void write_one(int fd, const struct held *h, const struct replay_opts *o, struct tally *t)
{
	static struct replay_out out;
	struct vno_event ev;
	struct iovec iov[2];
	ssize_t n;

	memset(&ev, 0, sizeof(ev.f));
	ev.f = h->f;
	memcpy(ev.data, h->data, h->f.cap_len);
	if (replay_build(&ev, &o->rw, &out)) {
		t->bad++;
		return;
	}
	count_what(t, out.what);
	iov[0] = (struct iovec){ &out.vh, sizeof(out.vh) };
	iov[1] = (struct iovec){ out.frame, out.len };
	n = writev(fd, iov, 2);
	if (n < 0) {
		int e = errno;

		t->refused++;
		t->err[e > 0 && e < ERRNO_SLOTS ? e : 0]++;
		return;
	}
	t->written++;
	t->bytes += out.len;
}

static void json_tally(const struct replay_set *rs, const struct tally *t, double secs,
		       unsigned long loops)
{
	struct jw w;

	jw_init(&w, stdout);
	jw_object(&w);
	jw_kstr(&w, "type", "replay");
	jw_kstr(&w, "capture", rs->o->capture);
	jw_kstr(&w, "tap", rs->o->tap);
	jw_key(&w, "hang");
	if (rs->o->hang)
		jw_u64(&w, rs->o->hang);
	else
		jw_null(&w);
	jw_ku64(&w, "frames", rs->n);
	jw_ku64(&w, "snaplen", rs->snaplen);
	jw_ku64(&w, "passes", loops);
	jw_kdouble(&w, "seconds", secs, 3);
	jw_ku64(&w, "written", t->written);
	jw_ku64(&w, "bytes", t->bytes);
	jw_ku64(&w, "refused", t->refused);
	jw_kobject(&w, "refused_by_errno");
	for (int e = 0; e < ERRNO_SLOTS; e++)
		if (t->err[e])
			jw_ku64(&w, e ? strerrorname_np(e) : "?", t->err[e]);
	jw_end(&w);
	jw_ku64(&w, "not_frames", t->bad);
	jw_kobject(&w, "mended");
	jw_ku64(&w, "ip_len", t->ip_len);
	jw_ku64(&w, "ipv4_csum", t->ip_csum);
	jw_ku64(&w, "l4_csum", t->l4_csum);
	jw_ku64(&w, "rewritten", t->rewrote);
	jw_ku64(&w, "vlan", t->vlan);
	jw_ku64(&w, "short_headers", t->short_hdr);
	jw_end(&w);
	jw_kbool(&w, "stopped", run_stop);
	jw_end(&w);
}

static void say_tally(const struct replay_set *rs, const struct tally *t, double secs,
		      unsigned long loops)
{
	const struct replay_opts *o = rs->o;
	int e;

	fprintf(say, "replay: wrote %llu frame%s (%llu bytes) into %s in %.2f s", t->written,
	       t->written == 1 ? "" : "s", t->bytes, o->tap, secs);
	if (loops != 1)
		fprintf(say, ", %lu pass%s", loops, loops == 1 ? "" : "es");
	fprintf(say, "; refused by tun: %llu", t->refused);
	for (e = 0; e < ERRNO_SLOTS; e++)
		if (t->err[e])
			fprintf(say, " (%s: %llu)", e ? strerrorname_np(e) : "?", t->err[e]);
	fprintf(say, "\n");
	if (t->bad)
		fprintf(say, "replay: %llu records could not be frames (no length or no header bytes): "
		       "skipped\n", t->bad);
	if (t->ip_len || t->ip_csum || t->l4_csum || t->rewrote || t->vlan || t->short_hdr)
		fprintf(say, "replay: mended: IP length %llu, IPv4 header checksum %llu, full L4 checksum "
		       "over the synthesized payload %llu; addresses rewritten %llu; VLAN tag put "
		       "back %llu; capture ends inside the headers %llu\n", t->ip_len, t->ip_csum,
		       t->l4_csum, t->rewrote, t->vlan, t->short_hdr);
}

static int run(struct replay_set *rs)
{
	const struct replay_opts *o = rs->o;
	struct tap_opts to = { .name = o->tap, .bridge = o->bridge, .wait_ms = 30000 };
	struct tally t = {};
	unsigned long loops = 0;
	unsigned long long start, base, pass_gap = 0;
	char err[512], offs[96], te[TERM_STR_LEN(512)];
	unsigned set;
	int fd;

	to.offloads = needed_offloads(rs);
	fd = tap_open_vmm(&to, &set, err, sizeof(err));
	if (fd < 0) {
		cmd_error("%s; nothing replayed", term_str(te, sizeof(te), err));
		return 1;
	}
	if (o->bridge)
		fprintf(say, "replay: %s: a port of %s, offloads %s\n", o->tap, o->bridge,
			tap_offloads_str(set, offs, sizeof(offs)));
	else
		fprintf(say, "replay: %s: offloads %s\n", o->tap, tap_offloads_str(set, offs, sizeof(offs)));
	if (set != to.offloads)
		fprintf(say, "replay: %s: this kernel refused offloads %s: frames that need them will be "
		       "refused\n", o->tap, tap_offloads_str(to.offloads & ~set, offs, sizeof(offs)));
	fflush(say);

	/* Passes follow each other at the mean recorded spacing (a single
	 * frame: 1 ms), so --loop 0 at a rate is a steady load, not a flood. */
	if (o->rate > 0) {
		unsigned long long span = rs->v[rs->n - 1].f.ts_ns - rs->v[0].f.ts_ns;

		pass_gap = (unsigned long long)((rs->n > 1 ? span / (rs->n - 1) : 1000000ull) / o->rate);
	}
	start = mono_now_ns();
	while (!run_stop && (!o->loops || loops < o->loops)) {
		if (loops)
			wait_until(fd, mono_now_ns() + pass_gap);
		base = mono_now_ns();
		for (size_t i = 0; i < rs->n && !run_stop; i++) {
			if (i && o->rate > 0) {
				double gap = (double)(rs->v[i].f.ts_ns - rs->v[0].f.ts_ns) / o->rate;

				if (rs->v[i].f.ts_ns > rs->v[0].f.ts_ns)
					wait_until(fd, base + (unsigned long long)gap);
			}
			write_one(fd, &rs->v[i], o, &t);
			if (!(i % 64))
				drain(fd);
		}
		loops++;
	}
	drain(fd);
	if (g_opts.json)
		json_tally(rs, &t, (double)(mono_now_ns() - start) / 1e9, loops);
	else
		say_tally(rs, &t, (double)(mono_now_ns() - start) / 1e9, loops);
	if (run_stop)
		fprintf(say, "replay: stopped by a signal\n");
	close(fd);
	return 0;
}

static int parse_hang(const char *s, unsigned *hang)
{
	char *end;
	unsigned long v;

	if (!strcmp(s, "all")) {
		*hang = 0;
		return 0;
	}
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || end == s || !v || v > 100000)
		return -EINVAL;
	*hang = (unsigned)v;
	return 0;
}

static void usage(void)
{
	printf("usage: vnoffload-trace replay CAPTURE --tap NAME [--bridge BR] [--from DEV]\n"
	       "                              [--window HANG|all] [--rate R] [--loop N]\n"
	       "                              [--rewrite-mac OLD=NEW]... [--rewrite-ip OLD=NEW]... [--json]\n"
	       "  write a capture's frames from a guest's tap into tap NAME as a VMM does\n"
	       "  (virtio_net_hdr from the recorded offload metadata, the captured headers,\n"
	       "  the payload synthesized to the recorded length), at the recorded spacing.\n"
	       "  --tap NAME           the tap to open (created, or a persistent one taken over)\n"
	       "  --bridge BR          make the tap a port of bridge BR first\n"
	       "  --from DEV           the frames of DEV's rx hop (default: every tun device's)\n"
	       "  --window HANG|all    only the frames diagnosis number HANG (1, 2, …) held\n"
	       "                       before its hang; all (default) every frame\n"
	       "  --rate R             R times the recorded speed (default 1); 0: no pauses\n"
	       "  --loop N             replay N times (default 1); 0 until interrupted\n"
	       "  --rewrite-mac OLD=NEW  a MAC address (repeatable)\n"
	       "  --rewrite-ip OLD=NEW   an IPv4 or IPv6 address, checksums kept (repeatable)\n"
	       "  --json               one {\"type\":\"replay\"} line at the end (the rest on stderr)\n"
	       "  -h, --help           this text\n");
}

int do_replay(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "tap", required_argument, NULL, 't' },
		{ "bridge", required_argument, NULL, 'b' },
		{ "from", required_argument, NULL, 'F' },
		{ "window", required_argument, NULL, 'W' },
		{ "rate", required_argument, NULL, 'r' },
		{ "loop", required_argument, NULL, 'l' },
		{ "rewrite-mac", required_argument, NULL, 'M' },
		{ "rewrite-ip", required_argument, NULL, 'I' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	struct replay_opts o = { .rate = 1, .loops = 1 };
	struct replay_set rs = { .o = &o };
	char err[256], t[TERM_STR_LEN(256)], *end;
	int c, ret;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case 't':
			o.tap = optarg;
			break;
		case 'b':
			o.bridge = optarg;
			break;
		case 'F':
			o.from = optarg;
			break;
		case 'W':
			if (parse_hang(optarg, &o.hang)) {
				cmd_error("--window %s: a hang's number (1 is the first in the capture) "
					  "or all", term_str(t, sizeof(t), optarg));
				return 2;
			}
			break;
		case 'r':
			errno = 0;
			o.rate = strtod(optarg, &end);
			if (errno || *end || end == optarg || !isfinite(o.rate) || o.rate < 0 ||
			    o.rate > 1e6) {
				cmd_error("--rate %s: a factor from 0 (no pauses) to 1000000",
					  term_str(t, sizeof(t), optarg));
				return 2;
			}
			break;
		case 'l':
			errno = 0;
			o.loops = strtoul(optarg, &end, 10);
			if (errno || *end || end == optarg || optarg[0] == '-') {
				cmd_error("--loop %s: a number of passes (0: until interrupted)",
					  term_str(t, sizeof(t), optarg));
				return 2;
			}
			break;
		case 'M':
		case 'I':
			if ((c == 'M' ? replay_rewrite_mac : replay_rewrite_ip)(&o.rw, optarg, err,
										sizeof(err))) {
				cmd_error("%s", term_str(t, sizeof(t), err));
				return 2;
			}
			break;
		case 'j':
			g_opts.json = true;
			break;
		case 'h':
			usage();
			return 0;
		case ':':
			cmd_error("%s needs an argument", argv[optind - 1]);
			return 2;
		default:
			cmd_error("unknown option %s; see vnoffload-trace replay --help",
				  term_str(t, sizeof(t), argv[optind - 1]));
			return 2;
		}
	}
	if (optind != argc - 1) {
		cmd_error("replay takes one capture file: vnoffload-trace replay CAPTURE --tap NAME");
		return 2;
	}
	o.capture = argv[optind];
	say = g_opts.json ? stderr : stdout;
	if (!o.tap) {
		cmd_error("replay needs --tap NAME: the tap to write the frames into");
		return 2;
	}
	if (load(&rs)) {
		set_free(&rs);
		return 1;
	}
	fprintf(say, "replay: %s: %zu frame%s from a guest's tap (rx hop)", o.capture, rs.n,
	       rs.n == 1 ? "" : "s");
	if (o.hang)
		fprintf(say, ", those before hang %u (on %s)", o.hang, term_str(t, sizeof(t), rs.hang_dev));
	fprintf(say, "\nreplay: the capture kept the first %u bytes of each frame: the payload is "
	       "synthesized (zeros) to the recorded length\n", rs.snaplen);
	run_signals();
	ret = run(&rs);
	set_free(&rs);
	return ret;
}
