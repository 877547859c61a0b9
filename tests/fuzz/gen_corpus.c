// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Seed corpus for fuzz_capture: small captures made by the real writer
 * (plain, gzip, snaplen 0, two sections, cut short) and inputs for the two
 * wrapped modes (0x01 session JSON, 0x02 EPB data and options).
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

int main(int argc, char **argv)
{
	static const char json[] =
		"\x01{\"tool\":\"vnoffload-trace 0.1.0\",\"kernel\":\"6.18.44\",\"cmdline\":"
		"\"a \\\"b\\\" \\u00e9\\ud83d\\ude00\",\"snaplen\":128,\"mono_to_real_ns\":-12,"
		"\"hooks\":{\"xmit\":\"tp_btf/net_dev_start_xmit\",\"bogus\":1},\"interfaces\":"
		"[{\"name\":\"eno1\",\"netns\":4026531840,\"ifindex\":2,\"driver\":\"e1000e\","
		"\"mtu\":1500,\"up\":true,\"gso_max_size\":65536,\"gso_max_segs\":65535,"
		"\"tso_max_size\":1e3,\"offloads\":{\"sg\":\"on\",\"tso\":\"off\",\"x\":[null,false]}}]}";
	unsigned char epb[2 + 8 + 12 + 12 + 160];
	size_t la, lb, o = 0;
	void *a, *b;
	pid_t pid;

	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	dir = argv[1];
	mkdir(dir, 0755);
	capture("plain.pcapng", 4, 64, true);
	capture("gzip.pcapng.gz", 4, 64, true);
	capture("meta-only.pcapng", 3, 0, true);
	pid = fork();
	if (!pid)
		capture("killed.pcapng.gz", 3, 32, false);
	waitpid(pid, NULL, 0);

	a = slurp("plain.pcapng", &la);
	b = slurp("meta-only.pcapng", &lb);
	put("cut.pcapng", a, la - 37);
	{
		char *ab = malloc(la + lb);

		memcpy(ab, a, la);
		memcpy(ab + la, b, lb);
		put("two-sections.pcapng", ab, la + lb);
		free(ab);
	}
	put("session.json", json, sizeof(json) - 1);

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
	put("epb.bin", epb, o);
	free(a);
	free(b);
	return 0;
}
