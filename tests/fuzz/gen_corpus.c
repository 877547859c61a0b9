// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Seed corpora of the fuzz targets, one folder each under DIR:
 *   corpus-capture  small captures made by the real writer (plain, gzip,
 *                   snaplen 0, two sections, cut short) and inputs for the
 *                   two wrapped modes (0x01 session JSON, 0x02 EPB data,
 *                   with a record of version 1 and of the current one)
 *   corpus-report   those captures, a crafted one with escapes, and 0x03
 *                   programs that build thousands of devices and hangs
 *   corpus-notes    drop-reason tables, hang and summary notes, sessions
 *   corpus-kmsg     hang lines of each built-in kind, a --hang-pattern
 *   corpus-opts     record and export command lines, NUL-separated
 * The seeds named *-v3.* were made by the writer of record version 3 and are
 * kept as they are, so the reader of that version stays fuzzed too.
 * Usage: gen_corpus DIR
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "capture.h"
#include "craft.h"
#include "filter.h"

static const char *dir;

static void path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", dir, name);
}

static void frame(struct vno_event *ev, unsigned i)
{
	static const unsigned char hdr[] = {
		/* Ethernet, IPv4 192.0.2.1 -> 198.51.100.2, TCP 40000 -> 5201 */
		0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, 0x08, 0x00, 0x45, 0, 0x05, 0xdc,
		0, 1, 0x40, 0, 64, 6, 0, 0, 192, 0, 2, 1, 198, 51, 100, 2, 0x9c, 0x40,
		0x14, 0x51, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x18, 0xff, 0xff, 0, 0, 0, 0,
	};

	memset(ev, 0, sizeof(*ev));
	ev->f.ts_ns = 1000000000ull + i * 1000;
	ev->f.pkt_id = 0xabc0 + i / 2;
	ev->f.netns = 4026531840u;
	ev->f.ifindex = i % 2 ? 2 : 5;
	strcpy(ev->f.dev, i % 2 ? "eno1" : "tap0");
	ev->f.hop = (__u8)(i % VNO_HOP__MAX);
	ev->f.len = 14546;
	ev->f.gso_size = 1448;
	ev->f.gso_segs = 10;
	ev->f.gso_type = VNO_GSO_TCPV4 | VNO_GSO_DODGY;
	ev->f.ip_summed = VNO_CSUM_PARTIAL;
	ev->f.csum_start = 34;
	ev->f.csum_offset = 16;
	ev->f.version = VNO_RECORD_VERSION;
	ev->f.latency_ns = 1234;
	ev->f.cap_len = sizeof(hdr);
	memcpy(ev->data, hdr, sizeof(hdr));
}

static void capture(const char *name, unsigned n, unsigned snaplen, bool close_it)
{
	struct capture_opts o = { .snaplen = snaplen, .force = true };
	struct vno_iface ifs[2] = {
		{ .name = "eno1", .ifindex = 2, .netns = 4026531840u, .mtu = 1500,
		  .driver = "e1000e", .gso_max_size = 65536, .gso_max_segs = 65535, .up = 1 },
		{ .name = "tap0", .ifindex = 5, .netns = 4026531840u, .mtu = 1500, .driver = "tun" },
	};
	struct vno_session s = { .kernel = "6.18.44", .tool = "vnoffload-trace 0.1.0",
				 .cmdline = "vnoffload-trace record -w x.pcapng",
				 .ifaces = ifs, .n_ifaces = 2 };
	struct capture_writer *w;
	struct vno_event ev;
	char p[512];

	strcpy(s.hooks[VNO_HOP_XMIT], "tp_btf/net_dev_start_xmit");
	path(p, sizeof(p), name);
	w = capture_writer__new(p, &s, &o);
	if (!w) {
		fprintf(stderr, "%s: %s\n", p, strerror(errno));
		exit(1);
	}
	for (unsigned i = 0; i < n; i++) {
		frame(&ev, i);
		capture_writer__frame(w, &ev);
		if (i == 1)
			capture_writer__note(w, "hang", "{\"dev\":\"eno1\",\"queue\":0}", "hang");
	}
	if (close_it) {
		capture_writer__close(w);
		return;
	}
	capture_writer__tick(w, 0);
	capture_writer__tick(w, 2000000000ull);
	/* leave it as a kill -9 would */
	_exit(0);
}

static void put(const char *name, const void *d, size_t n)
{
	char p[512];
	FILE *f;

	path(p, sizeof(p), name);
	f = fopen(p, "wb");
	if (!f || fwrite(d, 1, n, f) != n || fclose(f)) {
		perror(p);
		exit(1);
	}
}

static void put_str(const char *name, const char *s)
{
	put(name, s, strlen(s));
}

/* A NUL-separated argument list from a literal with embedded \0s. */
#define put_args(name, lit) put(name, lit, sizeof(lit) - 1)

/* fuzz_cbpf: pcap_compile's output for a few expressions (length byte,
 * instructions) and a TCP frame to port 873, once plain and once tagged. */
static void cbpf_seeds(void)
{
	static const char *const exprs[] = { "tcp port 873", "vlan 10 and udp", "ip[2:2] > 100",
					     "tcp[tcpflags] & tcp-syn != 0", "ip6 or len > 1000" };
	static const uint8_t tcp[] = {
		0, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0x08, 0x00,
		0x45, 0, 0, 40, 0, 1, 0x40, 0, 64, 6, 0, 0, 192, 0, 2, 1, 192, 0, 2, 5,
		0xa0, 0x29, 0x03, 0x69, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0 };
	char err[256], name[64];
	uint8_t buf[1 + 64 * 8 + sizeof(tcp) + 4];

	for (size_t e = 0; e < sizeof(exprs) / sizeof(exprs[0]); e++) {
		struct vno_filter *f = vno_filter__new(exprs[e], NULL, 0, err, sizeof(err));
		const struct cbpf_insn *c;
		size_t n, o;

		if (!f || !(c = vno_filter__cbpf(f, &n)) || n > 64) {
			fprintf(stderr, "%s: %s\n", exprs[e], f ? "too long" : err);
			exit(1);
		}
		buf[0] = (uint8_t)(n - 1);
		memcpy(buf + 1, c, n * 8);
		o = 1 + n * 8;
		memcpy(buf + o, tcp, sizeof(tcp));
		snprintf(name, sizeof(name), "corpus-cbpf/seed%zu", 2 * e);
		put(name, buf, o + sizeof(tcp));
		/* The same frame with an 802.1Q tag 10 after the addresses. */
		memcpy(buf + o + 12, "\x81\x00\x00\x0a", 4);
		memcpy(buf + o + 16, tcp + 12, sizeof(tcp) - 12);
		snprintf(name, sizeof(name), "corpus-cbpf/seed%zu", 2 * e + 1);
		put(name, buf, o + sizeof(tcp) + 4);
		vno_filter__free(f);
	}
}

static void report_seeds(void)
{
	static const uint8_t devices[] = {
		0x03, 0, 3, 0, 2, 0, 0xa8, 5, 4, 'e', 'n', 'o', '1', /* xmit on eno1 */
		1, 0x00, 0x11,	/* 4352 more, each on a device of its own */
	};
	/* (Literals are split where a hex escape would swallow a letter.) */
	static const char hangs[] =
		"\x03" "\x00\x03\x00\x02\x00\x30\x00\x04" "eno1"	/* gso 48 on eno1 */
		"\x01\x00\x84"					/* 1024 more there */
		"\x02\x2a" "{\"dev\":\"eno1\",\"ifindex\":2,\"queue\":0,\"source\":\"kmsg\"}"
		"\x03\xff\x07";					/* 255 more, a watchdog */
	static const char notes[] =
		"\x03" "\x04\x13" "{\"2\":\"NOT\x1b[31mSPEC\"}"
		"\x00\x05\x01\x02\x00\x00\x00\x06" "ev\x1b[1m"
		"\x06\x2a" "{\"lost_events\":12,\"duration_s\":3,\"x\":null}"
		"\x05\x1c" "{\"kernel\":\"6\\u001b[2J\",\"x\":1}";
	struct craft c = { 0 };

	put("corpus-report/devices.bin", devices, sizeof(devices));
	put("corpus-report/hangs.bin", hangs, sizeof(hangs) - 1);
	put("corpus-report/notes.bin", notes, sizeof(notes) - 1);
	/* A file with a control byte in every string report prints. */
	cr_header(&c);
	cr_note(&c, "session", "{\"kernel\":\"6.18\\u001b[31m\",\"tool\":\"t\\n\","
			      "\"cmdline\":\"r\\u009b2J\",\"hooks\":{\"xmit\":\"h\\u0007\"}}");
	cr_escaped_frames(&c, "ev\x1b[7m\xff\n", "{\"2\":\"NOT\x1b[31mSPECIFIED\nforged\"}",
			  "{\"dev\":\"ev\\u001b[7m\",\"ifindex\":7,\"detail\":\"a\\nb\\u001b\"}");
	cr_note(&c, "end", "{}");
	put("corpus-report/escapes.pcapng", c.p, c.len);
	free(c.p);
}

static void other_seeds(void)
{
	put_str("corpus-notes/reasons.json", "{\"0\":\"NOT_SPECIFIED\",\"2\":\"NO_SOCKET\",\"77\":\"X\"}");
	put_str("corpus-notes/reasons-bad.json", "{\"4000\":\"A\",\"1\":\"B\",\"5000\":\"C\"}");
	put_str("corpus-notes/hang.json", "{\"dev\":\"eno1\",\"netns\":4026531840,\"ifindex\":2,"
		"\"queue\":0,\"source\":\"kmsg\",\"ts_ns\":123,\"detail\":\"e1000e \\u001b x\\n\"}");
	put_str("corpus-notes/summary.json", "{\"lost_events\":10748,\"unmatched_completions\":3,"
		"\"duration_s\":12.5}");
	put_str("corpus-notes/session.json", "{\"tool\":\"vnoffload-trace 0.1.0\",\"kernel\":\"6.18\","
		"\"cmdline\":\"a \\\"b\\\" \\u00e9\",\"hooks\":{\"xmit\":\"tp_btf/x\"},"
		"\"interfaces\":[{\"name\":\"eno1\",\"ifindex\":2,\"driver\":\"e1000e\",\"up\":true,"
		"\"offloads\":{\"tso\":\"on\"}}]}");
	put_str("corpus-kmsg/e1000e.txt", "\x02" "3,1182,512345678,-;e1000e 0000:00:19.0 eno1: "
		"Detected Hardware Unit Hang:\\x0a  TDH <5c>\n SUBSYSTEM=pci\n");
	put_str("corpus-kmsg/watchdog.txt", "\x02" "4,1201,520000000,-;NETDEV WATCHDOG: eno1 "
		"(e1000e): transmit queue 0 timed out\n2,1300,530000000,-;e1000e 0000:00:19.0 eno1: "
		"NETDEV WATCHDOG: CPU: 3: transmit queue 1 timed out 5000 ms\n");
	put_str("corpus-kmsg/virtio.txt", "\x02" "3,9,1,-;virtio_net virtio0 eth0: TX timeout on "
		"queue: 3, sq: output.3\n3,10,2,-;ixgbe 0000:01:00.0 tap0: Detected Tx Unit Hang  "
		"Tx Queue <2>\n");
	put_str("corpus-kmsg/pattern.txt", "\x01" "mynic ([a-z0-9]+) stuck q([0-9]+)\n"
		"6,1,2,-;mynic vnet12 stuck q7\n");
	put_args("corpus-opts/record.args", "-i\0eno1\0-i\0tap*\0--window\0" "1024\0-d\0" "10s\0-w\0"
		 "x.pcapng.gz\0--rotate-size\0" "100M\0--rotate-count\0" "3\0--stall-ms\0" "500\0"
		 "--hang-pattern\0a(b)\0--tc-mode\0clsact\0--attach\0tp\0-b\0" "16M");
	put_args("corpus-opts/export.args", "--listen\0[::1]:9100\0--hang-dir\0/tmp/h\0--json\0"
		 "--trigger-after\0" "1.5m\0--snaplen\0" "128");
	put_args("corpus-opts/values.args", "0.25\0" "512KiB\0" "127.0.0.1:0\0:9100\0" "1e999\0"
		 "18446744073709551616\0");
}

static void *slurp(const char *name, size_t *n)
{
	char p[512];
	struct stat st;
	void *b;
	int fd;

	path(p, sizeof(p), name);
	fd = open(p, O_RDONLY);
	if (fd < 0 || fstat(fd, &st) || !(b = malloc((size_t)st.st_size)) ||
	    read(fd, b, (size_t)st.st_size) != st.st_size) {
		perror(p);
		exit(1);
	}
	close(fd);
	*n = (size_t)st.st_size;
	return b;
}

/* A record of version 4 (README, "Capture files"): the map of the 8-byte
 * words of the record that are not zero, then those words; the fuzzer
 * and this run little-endian. Returns its length. */
static size_t pack_v4(const struct vno_frame *f, unsigned char *out)
{
	static const unsigned char zero[8];
	const unsigned char *w = (const unsigned char *)f;
	unsigned long long map = 0;
	size_t o = 8;

	for (unsigned i = 0; i < sizeof(*f) / 8; i++) {
		if (!memcmp(w + 8 * i, zero, 8))
			continue;
		map |= 1ull << i;
		memcpy(out + o, w + 8 * i, 8);
		o += 8;
	}
	memcpy(out, &map, 8);
	return o;
}

int main(int argc, char **argv)
{
	static const char json[] =
		"\x01{\"tool\":\"vnoffload-trace 0.1.0\",\"kernel\":\"6.18.44\",\"cmdline\":"
		"\"a \\\"b\\\" \\u00e9\\ud83d\\ude00\",\"snaplen\":128,\"mono_to_real_ns\":-12,"
		"\"hooks\":{\"xmit\":\"tp_btf/net_dev_start_xmit\",\"bogus\":1},\"interfaces\":"
		"[{\"name\":\"eno1\",\"netns\":4026531840,\"ifindex\":2,\"driver\":\"e1000e\","
		"\"mtu\":1500,\"up\":true,\"gso_max_size\":65536,\"gso_max_segs\":65535,"
		"\"tso_max_size\":1e3,\"offloads\":{\"sg\":\"on\",\"tso\":\"off\",\"x\":[null,false]}}]}";
	unsigned char epb[2 + 8 + 8 + 12 + 16 + sizeof(struct vno_frame)];
	unsigned char epb4[2 + 8 + 8 + 12 + 8 + 16 + 8 + sizeof(struct vno_frame)];
	size_t la, lb, o = 0, n;
	void *a, *b;
	char p[512];
	pid_t pid;

	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	dir = argv[1];
	mkdir(dir, 0755);
	for (const char *const *d = (const char *const[]){ "corpus-capture", "corpus-report",
			"corpus-notes", "corpus-kmsg", "corpus-opts", "corpus-cbpf", NULL }; *d; d++) {
		path(p, sizeof(p), *d);
		mkdir(p, 0755);
	}
	report_seeds();
	other_seeds();
	cbpf_seeds();
	capture("corpus-capture/plain.pcapng", 4, 64, true);
	capture("corpus-capture/gzip.pcapng.gz", 4, 64, true);
	capture("corpus-capture/meta-only.pcapng", 3, 0, true);
	pid = fork();
	if (!pid)
		capture("corpus-capture/killed.pcapng.gz", 3, 32, false);
	waitpid(pid, NULL, 0);

	a = slurp("corpus-capture/plain.pcapng", &la);
	b = slurp("corpus-capture/meta-only.pcapng", &lb);
	put("corpus-capture/cut.pcapng", a, la - 37);
	{
		char *ab = malloc(la + lb);

		memcpy(ab, a, la);
		memcpy(ab + la, b, lb);
		put("corpus-capture/two-sections.pcapng", ab, la + lb);
		free(ab);
	}
	put("corpus-capture/session.json", json, sizeof(json) - 1);

	/* 0x02: 8 bytes of packet, epb_flags, epb_packetid, a record option */
	epb[o++] = 0x02;
	epb[o++] = 8;
	memcpy(epb + o, "\x02\0\0\0\0\x02\x02\0", 8), o += 8;
	memcpy(epb + o, "\x02\0\x04\0\x02\0\0\0", 8), o += 8;
	memcpy(epb + o, "\x05\0\x08\0\x01\0\0\0\0\0\0\0", 12), o += 12;
	memcpy(epb + o, "\xad\x0b\x9c\0\xd9\x7e\0\0VNOF\x01\0\x90\0", 16), o += 16;
	{
		struct vno_event ev;

		frame(&ev, 3);
		ev.f.cap_len = 8;
		memcpy(epb + o, &ev.f, sizeof(ev.f));
		o += sizeof(ev.f);
	}
	put("corpus-capture/epb.bin", epb, o);

	/* The same with the current record (the wrapped IDB has eno1's
	 * interface record): epb_queue too, the words that are not zero. */
	o = 0;
	memcpy(epb4, epb, 2 + 8 + 8 + 12), o += 2 + 8 + 8 + 12;
	memcpy(epb4 + o, "\x06\0\x04\0\x01\0\0\0", 8), o += 8;
	{
		struct vno_event ev;

		frame(&ev, 3);
		ev.f.ts_ns = ev.f.pkt_id = 0;
		ev.f.netns = ev.f.ifindex = 0;
		ev.f.queue = ev.f.cap_len = ev.f.version = 0;
		memset(ev.f.dev, 0, sizeof(ev.f.dev));
		n = pack_v4(&ev.f, epb4 + o + 16);
	}
	epb4[o] = 0xad, epb4[o + 1] = 0x0b, epb4[o + 2] = (unsigned char)(12 + n), epb4[o + 3] = 0;
	memcpy(epb4 + o + 4, "\xd9\x7e\0\0VNOF\x04\0", 10);
	epb4[o + 14] = (unsigned char)n, epb4[o + 15] = 0;
	o += 16 + n;
	put("corpus-capture/epb-v4.bin", epb4, o);
	put("corpus-report/plain.pcapng", a, la);
	put("corpus-report/meta-only.pcapng", b, lb);
	free(a);
	free(b);
	return 0;
}
