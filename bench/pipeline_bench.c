// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * pipeline_bench: the user-space half of `record` alone, fed synthetic
 * ring-buffer samples, single-threaded, in records per CPU-second.
 *
 * Each sample is what the BPF side submits (struct vno_frame followed by
 * cap_len frame bytes): Ethernet + IPv4 + TCP (timestamps option) + payload
 * headers of iperf3-like TSO super-frames, with GSO metadata, following
 * one super-frame along the bridge path the way record sees it on the bed:
 * rx on the guest port gc0, tc-egress and xmit on the uplink up0, then its
 * completion (done, no frame bytes, as bpf/completion.bpf.c sends it).
 *
 * Every sample goes the way run.c's on_sample() sends it: vno_event_from_raw
 * -> pipeline_frame(raw) (decode, anomaly rules, aggregator, flight
 * recorder/diagnosis) -> the sink of the mode:
 *
 *   agg         no sink (record -q)
 *   pcapng.gz   capture_writer__frame to a .pcapng.gz in a temp dir (record -q -w)
 *   pcapng      the same uncompressed
 *   json        a JSON line per record to /dev/null (record --json)
 *
 *   pipeline_bench [-n RECORDS] [-r REPEATS] [-d DIR] [-m MODE]... [--writer-thread] [--json]
 *
 * The capture writer runs as record runs it, on the reader's thread
 * (--sync-writer, the default); --writer-thread: on a thread of its own
 * behind the library's queue (capture_opts.async). Records per CPU-second
 * count the CPU of the whole process, both threads; the reader's thread
 * alone is reported beside it (reader_ns_per_record), which is what the
 * ring buffer's consumer spends.
 *
 * Prints a table, or with --json one object per mode (JSON lines) for
 * bench/bench.sh. Links the project's user/ objects, as the unit tests do.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/stat.h>
#include "capture.h"
#include "decode.h"
#include "ifaces.h"
#include "pipeline.h"
#include "session.h"

#define POOL 4096	/* distinct samples, cycled: more than the L1, like a real ring */
#define FLOWS 16
#define MSS 1448
#define SNAPLEN 128	/* record's default --snaplen */
#define NETNS 4026532000u
#define IF_GC0 3
#define IF_UP0 4

/* A sample as the ring buffer holds it. */
struct sample {
	struct vno_frame f;
	__u8 data[SNAPLEN];
};

enum mode { M_AGG, M_GZ, M_PCAPNG, M_JSON, M__MAX };
static const char *const mode_names[M__MAX] = { "agg", "pcapng.gz", "pcapng", "json" };
static const char *const mode_notes[M__MAX] = {
	"decode -> anomaly -> agg -> flight recorder (record -q)",
	"... -> capture_writer__frame .pcapng.gz (record -q -w x.pcapng.gz)",
	"... -> capture_writer__frame .pcapng, no gzip",
	"... -> json_frame to /dev/null (record --json)",
};

static __u64 mono_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static __u16 csum16(const void *p, size_t n)
{
	const __u8 *b = p;
	__u32 s = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		s += (b[i] << 8) | b[i + 1];
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return htons(~s & 0xffff);
}

/*
 * Ethernet II, IPv4 (RFC 791, checksum right: bridge netfilter would check
 * it), TCP (RFC 9293) with the timestamps option (RFC 7323) as Linux sends
 * it, then payload up to the snap length. Returns the bytes written.
 */
static unsigned build_frame(__u8 *d, unsigned flow, __u32 seq, unsigned segs)
{
	static const __u8 dmac[6] = { 0x02, 0x00, 0x5e, 0x00, 0x53, 0x02 };
	static const __u8 smac[6] = { 0x02, 0x00, 0x5e, 0x00, 0x53, 0x01 };
	unsigned tot = 20 + 32 + segs * MSS, i;
	__u8 *ip = d + 14, *tcp = ip + 20;
	__u16 v;
	__u32 v32;

	if (tot > 65535)
		tot = 65535;
	memcpy(d, dmac, 6);
	memcpy(d + 6, smac, 6);
	d[12] = 0x08;
	d[13] = 0x00;
	memset(ip, 0, 20);
	ip[0] = 0x45;
	v = htons(tot);
	memcpy(ip + 2, &v, 2);
	v = htons(flow * 1000 + (seq & 0x3ff));
	memcpy(ip + 4, &v, 2);
	ip[6] = 0x40; /* DF */
	ip[8] = 64;
	ip[9] = 6;
	ip[12] = 198; ip[13] = 51; ip[14] = 100; ip[15] = 3;  /* 198.51.100.3 */
	ip[16] = 198; ip[17] = 51; ip[18] = 100; ip[19] = 2;  /* 198.51.100.2 */
	v = csum16(ip, 20);
	memcpy(ip + 10, &v, 2);
	memset(tcp, 0, 32);
	v = htons(40000 + flow);
	memcpy(tcp, &v, 2);
	v = htons(5201);
	memcpy(tcp + 2, &v, 2);
	v32 = htonl(seq);
	memcpy(tcp + 4, &v32, 4);
	v32 = htonl(0x10000000u + flow);
	memcpy(tcp + 8, &v32, 4);
	tcp[12] = 8 << 4;	/* 32-byte header */
	tcp[13] = 0x18;		/* PSH ACK */
	v = htons(502);
	memcpy(tcp + 14, &v, 2);
	tcp[20] = 1; tcp[21] = 1; tcp[22] = 8; tcp[23] = 10; /* NOP NOP TS */
	v32 = htonl(seq >> 4);
	memcpy(tcp + 24, &v32, 4);
	memcpy(tcp + 28, &v32, 4);
	for (i = 14 + 20 + 32; i < SNAPLEN; i++)
		d[i] = (__u8)(i * 7 + flow);
	return SNAPLEN;
}

static void fill_sample(struct sample *s, unsigned i, __u64 ts)
{
	static const unsigned hop_of[4] = { VNO_HOP_RX, VNO_HOP_TC_EGRESS, VNO_HOP_XMIT,
					    VNO_HOP_DONE };
	unsigned frame = i / 4, hop = hop_of[i % 4], flow = frame % FLOWS;
	/* iperf3 on veth: mostly 43-45 segments, now and then a short one. */
	unsigned segs = frame % 7 == 6 ? 1 + frame % 13 : 43 + frame % 3;
	struct vno_frame *f = &s->f;

	memset(s, 0, sizeof(*s));
	f->ts_ns = ts;
	f->pkt_id = 0x9e3779b97f4a7c15ULL * (frame + 1);
	f->netns = NETNS;
	f->ifindex = hop == VNO_HOP_RX ? IF_GC0 : IF_UP0;
	snprintf(f->dev, sizeof(f->dev), "%s", hop == VNO_HOP_RX ? "gc0" : "up0");
	f->len = 14 + 20 + 32 + segs * MSS;
	f->data_len = f->len - SNAPLEN;
	f->gso_type = VNO_GSO_TCPV4 | (hop == VNO_HOP_RX ? VNO_GSO_DODGY : 0);
	f->gso_size = MSS;
	f->gso_segs = segs;
	f->queue = 0;
	f->hop = hop;
	f->ip_summed = VNO_CSUM_PARTIAL;
	f->nr_frags = segs > 1 ? 17 : 1;
	f->version = VNO_RECORD_VERSION;
	f->l3_proto = 0x0800;
	f->network_off = 14;
	f->transport_off = 34;
	f->csum_start = 34;
	f->csum_offset = 16;
	f->mac_len = SNAPLEN;
	f->origin_ifindex = hop == VNO_HOP_RX ? IF_GC0 : (hop == VNO_HOP_DONE ? 0 : IF_GC0);
	if (hop == VNO_HOP_XMIT) {
		f->latency_ns = 900 + frame % 500; /* qdisc wait since tc-egress */
		f->flags |= VNO_F_QUEUE_WAIT;
	}
	if (hop == VNO_HOP_DONE) {
		/* As completion.bpf.c sends it: metadata only. */
		f->latency_ns = 20000 + (frame % 64) * 1000;
		f->network_off = f->transport_off = 0;
		f->csum_start = f->csum_offset = 0;
		f->mac_len = 0;
		return;
	}
	f->cap_len = build_frame(s->data, flow, 1000000u + frame * MSS * 45, segs);
}

static int gz_frame(const struct vno_event *ev, void *ctx)
{
	return capture_writer__frame(ctx, ev);
}

static bool sync_writer = true;

struct result {
	double cpu_s, reader_cpu_s, wall_s, rps;
	long long file_bytes;
	int err;
};

static void fill_ifaces(struct vno_iface *ifs)
{
	memset(ifs, 0, 2 * sizeof(*ifs));
	for (int i = 0; i < 2; i++) {
		snprintf(ifs[i].name, sizeof(ifs[i].name), "%s", i ? "up0" : "gc0");
		ifs[i].ifindex = i ? IF_UP0 : IF_GC0;
		ifs[i].netns = NETNS;
		ifs[i].mtu = 1500;
		ifs[i].gso_max_size = ifs[i].tso_max_size = 65536;
		ifs[i].gso_max_segs = ifs[i].tso_max_segs = 65535;
		ifs[i].up = 1;
		snprintf(ifs[i].driver, sizeof(ifs[i].driver), "veth");
		for (int o = 0; o < VNO_OL__MAX; o++)
			ifs[i].offload[o] = VNO_OFF_ON;
	}
}

static struct result run_mode(enum mode m, struct sample *pool, unsigned long long n,
			      const char *dir)
{
	struct vno_iface ifs[2];
	struct pipeline p;
	struct pipeline_opts po = { .quiet = m != M_JSON, .json = m == M_JSON };
	struct capture_writer *w = NULL;
	struct vno_session sess = {};
	struct result r = {};
	struct vno_event ev;
	char path[4096] = "";
	FILE *devnull = fopen("/dev/null", "w");
	__u64 c0, t0, w0, ts = 1000000000ULL;
	struct stat st;

	if (!devnull) {
		r.err = -errno;
		return r;
	}
	/* A full buffer, as for a redirected stdout. */
	setvbuf(devnull, NULL, _IOFBF, 1 << 16);
	po.out = devnull;
	fill_ifaces(ifs);
	if (pipeline_init(&p, &po, ifs, 2)) {
		r.err = -ENOMEM;
		fclose(devnull);
		return r;
	}
	if (m == M_GZ || m == M_PCAPNG) {
		struct capture_opts co = { .snaplen = SNAPLEN, .force = true,
					   .async = !sync_writer };

		snprintf(path, sizeof(path), "%s/pipeline-bench.pcapng%s", dir,
			 m == M_GZ ? ".gz" : "");
		if (session_fill(&sess, "pipeline_bench", NULL, ifs, 2)) {
			r.err = -ENOMEM;
			goto out;
		}
		w = capture_writer__new(path, &sess, &co);
		if (!w) {
			r.err = -errno;
			goto out;
		}
		p.on_frame = gz_frame;
		p.ctx = w;
	}
	c0 = mono_ns(CLOCK_PROCESS_CPUTIME_ID);
	t0 = mono_ns(CLOCK_THREAD_CPUTIME_ID);
	w0 = mono_ns(CLOCK_MONOTONIC);
	for (unsigned long long i = 0; i < n; i++) {
		struct sample *s = &pool[i % POOL];

		/* Time moves on, ids stay per frame: the next lap of the pool
		 * is new frames, as in a live stream. */
		ts += 1100;
		s->f.ts_ns = ts;
		if (i % POOL == 0 && i)
			for (unsigned k = 0; k < POOL; k++)
				pool[k].f.pkt_id += 0x632be59bd9b4e019ULL;
		if (vno_event_from_raw(&ev, s, sizeof(s->f) + s->f.cap_len)) {
			r.err = -EINVAL;
			goto out;
		}
		pipeline_frame(&p, &ev, true);
		/* record ticks the writer once per ring-buffer turn. */
		if (w && (i & 4095) == 4095)
			capture_writer__tick(w, mono_ns(CLOCK_MONOTONIC));
	}
	/* The reader's thread until its last record is handed over; closing
	 * (waiting for the writer thread to finish) is not the reader's work. */
	r.reader_cpu_s = (mono_ns(CLOCK_THREAD_CPUTIME_ID) - t0) / 1e9;
	if (w) {
		r.err = capture_writer__close(w);
		w = NULL;
	}
	fflush(devnull);
	r.cpu_s = (mono_ns(CLOCK_PROCESS_CPUTIME_ID) - c0) / 1e9;
	r.wall_s = (mono_ns(CLOCK_MONOTONIC) - w0) / 1e9;
	r.rps = r.cpu_s > 0 ? n / r.cpu_s : 0;
	if (path[0] && !stat(path, &st))
		r.file_bytes = st.st_size;
out:
	capture_writer__close(w);
	if (path[0])
		unlink(path);
	session_free(&sess);
	pipeline_fini(&p);
	fclose(devnull);
	return r;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void usage(FILE *out)
{
	fprintf(out, "usage: pipeline_bench [-n RECORDS] [-r REPEATS] [-d DIR] [-m MODE]... "
		     "[--writer-thread] [--json]\n"
		     "  modes: agg, pcapng.gz, pcapng, json (default: all)\n"
		     "  --sync-writer: the capture written on the reader's thread, as record does (the default)\n"
		     "  --writer-thread: on a writer thread behind a queue\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "records", required_argument, NULL, 'n' },
		{ "repeats", required_argument, NULL, 'r' },
		{ "dir", required_argument, NULL, 'd' },
		{ "mode", required_argument, NULL, 'm' },
		{ "json", no_argument, NULL, 'j' },
		{ "sync-writer", no_argument, NULL, 'S' },
		{ "writer-thread", no_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	unsigned long long n = 2000000;
	unsigned repeats = 3, want = 0;
	bool json = false;
	char tmpl[] = "/tmp/vno-pipeline-bench.XXXXXX", *dir = NULL, *own = NULL;
	struct sample *pool;
	int c, ret = 0;

	while ((c = getopt_long(argc, argv, "n:r:d:m:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'n': n = strtoull(optarg, NULL, 10); break;
		case 'r': repeats = strtoul(optarg, NULL, 10); break;
		case 'd': dir = optarg; break;
		case 'm': {
			int k;

			for (k = 0; k < M__MAX && strcmp(optarg, mode_names[k]); k++)
				;
			if (k == M__MAX) {
				fprintf(stderr, "pipeline_bench: unknown mode %s\n", optarg);
				usage(stderr);
				return 2;
			}
			want |= 1u << k;
			break;
		}
		case 'j': json = true; break;
		case 'S': sync_writer = true; break;
		case 'T': sync_writer = false; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!n || !repeats || repeats > 99) {
		usage(stderr);
		return 2;
	}
	if (!want)
		want = (1u << M__MAX) - 1;
	if (!dir) {
		own = mkdtemp(tmpl);
		if (!own) {
			perror("pipeline_bench: mkdtemp");
			return 1;
		}
		dir = own;
	}
	pool = calloc(POOL, sizeof(*pool));
	if (!pool)
		return 1;
	for (unsigned i = 0; i < POOL; i++)
		fill_sample(&pool[i], i, 0);

	if (!json)
		printf("%-10s %12s %10s %10s %9s %11s  %s\n", "MODE", "RECORDS/S", "NS/RECORD",
		       "READER_NS", "CPU_S", "FILE_B/REC", "PATH");
	for (int m = 0; m < M__MAX; m++) {
		double rps[100], rdr[100], cpu = 0, wall = 0;
		long long fb = 0;

		if (!(want & (1u << m)))
			continue;
		for (unsigned k = 0; k < repeats; k++) {
			struct result r = run_mode(m, pool, n, dir);

			if (r.err) {
				fprintf(stderr, "pipeline_bench: %s: %s\n", mode_names[m],
					strerror(-r.err));
				ret = 1;
				goto out;
			}
			rps[k] = r.rps;
			rdr[k] = r.reader_cpu_s * 1e9 / n;
			cpu += r.cpu_s;
			wall += r.wall_s;
			fb = r.file_bytes;
		}
		qsort(rps, repeats, sizeof(rps[0]), cmp_double);
		qsort(rdr, repeats, sizeof(rdr[0]), cmp_double);
		if (json) {
			printf("{\"mode\":\"%s\",\"records\":%llu,\"repeats\":%u,"
			       "\"records_per_cpu_s\":%.0f,\"min\":%.0f,\"max\":%.0f,"
			       "\"ns_per_record\":%.1f,\"reader_ns_per_record\":%.1f,"
			       "\"writer_thread\":%s,"
			       "\"cpu_s_total\":%.3f,\"wall_s_total\":%.3f,"
			       "\"file_bytes\":%lld,\"file_bytes_per_record\":%.1f,\"path\":\"%s\"}\n",
			       mode_names[m], n, repeats, rps[repeats / 2], rps[0], rps[repeats - 1],
			       1e9 / rps[repeats / 2], rdr[repeats / 2],
			       (m == M_GZ || m == M_PCAPNG) && !sync_writer ? "true" : "false", cpu,
			       wall, fb, (double)fb / n, mode_notes[m]);
		} else {
			printf("%-10s %12.0f %10.1f %10.1f %9.3f %11.1f  %s\n", mode_names[m],
			       rps[repeats / 2], 1e9 / rps[repeats / 2], rdr[repeats / 2], cpu / repeats,
			       (double)fb / n, mode_notes[m]);
		}
		fflush(stdout);
	}
out:
	free(pool);
	if (own)
		rmdir(own);
	return ret;
}
