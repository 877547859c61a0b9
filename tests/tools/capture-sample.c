// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * capture-sample: a capture file written by user/capture.c from made-up
 * frames (four devices, every hop, a hang note halfway), for
 * tests/integration/test_capture_tshark.sh to open in tshark and capinfos.
 *
 *   capture-sample FILE SNAPLEN FRAMES [ROTATE_SIZE ROTATE_COUNT | kill]
 *
 * "kill" ends it with SIGKILL after a last flush, as a killed recorder.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "capture.h"

int main(int argc, char **argv)
{
	static const char *const names[] = { "eno1", "tap0", "br0", "veth0" };
	struct capture_opts o = { .force = true };
	struct vno_iface ifs[4] = { { .driver = "e1000e" }, { .driver = "tun" },
				    { .driver = "bridge" }, { .driver = "veth" } };
	struct vno_session s = { .kernel = "6.18.44", .tool = "vnoffload-trace 0.1.0",
				 .cmdline = "vnoffload-trace record -w sample", .ifaces = ifs,
				 .n_ifaces = 4 };
	bool kill_it = argc > 4 && !strcmp(argv[4], "kill");
	unsigned n;
	struct capture_writer *w;

	if (argc < 4) {
		fprintf(stderr, "usage: %s FILE SNAPLEN FRAMES [ROTATE_SIZE ROTATE_COUNT | kill]\n",
			argv[0]);
		return 1;
	}
	o.snaplen = (unsigned)atoi(argv[2]);
	n = (unsigned)atoi(argv[3]);
	if (argc > 5) {
		o.rotate_size = strtoull(argv[4], NULL, 0);
		o.rotate_count = (unsigned)atoi(argv[5]);
	}
	for (int i = 0; i < 4; i++) {
		strcpy(ifs[i].name, names[i]);
		ifs[i].ifindex = (unsigned)i + 2;
		ifs[i].netns = 4026531840u;
		ifs[i].mtu = 1500;
	}
	strcpy(s.hooks[VNO_HOP_XMIT], "tp_btf/net_dev_start_xmit");
	w = capture_writer__new(argv[1], &s, &o);
	if (!w) {
		fprintf(stderr, "%s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	capture_writer__tick(w, 0);
	for (unsigned i = 0; i < n; i++) {
		/* Ethernet + IPv4 192.0.2.1 -> 192.0.2.2 + TCP 40000 -> 5201 */
		static const unsigned char hdr[54] = {
			0x02, 0, 0x5e, 0, 0x53, 2, 0x02, 0, 0x5e, 0, 0x53, 1, 0x08, 0x00,
			0x45, 0, 0x05, 0xdc, 0, 1, 0x40, 0, 64, 6, 0, 0, 192, 0, 2, 1, 192, 0, 2, 2,
			0x9c, 0x40, 0x14, 0x51, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x10, 0xff, 0xff,
		};
		struct vno_event ev = { 0 };

		ev.f.ts_ns = 1000000000ull + i * 1000ull;
		ev.f.pkt_id = 0x1000 + i / 4;
		ev.f.netns = 4026531840u;
		ev.f.ifindex = i % 4 + 2;
		strcpy(ev.f.dev, names[i % 4]);
		ev.f.hop = (unsigned char)((i / 4) % 7); /* rx … hang: the hops of every kernel */
		ev.f.queue = (unsigned short)(i % 3);
		ev.f.len = 14546;
		ev.f.gso_size = 1448;
		ev.f.gso_segs = 10;
		ev.f.gso_type = VNO_GSO_TCPV4 | VNO_GSO_DODGY;
		ev.f.ip_summed = VNO_CSUM_PARTIAL;
		ev.f.csum_start = 34;
		ev.f.csum_offset = 16;
		ev.f.latency_ns = 2000 + i;
		ev.f.version = VNO_RECORD_VERSION;
		ev.f.cap_len = 200;
		memcpy(ev.data, hdr, sizeof(hdr));
		for (unsigned k = sizeof(hdr); k < 200; k++)
			ev.data[k] = (unsigned char)k;
		if (capture_writer__frame(w, &ev))
			return 2;
		/* a frame every 100 ms: the writer flushes every 5 */
		if (capture_writer__tick(w, i * 100000000ull))
			return 2;
		if (i == n / 2 && capture_writer__note(w, "hang", "{\"dev\":\"eno1\"}",
						       "e1000e eno1: Detected Hardware Unit Hang"))
			return 3;
	}
	if (kill_it) {
		capture_writer__tick(w, n * 100000000ull + 500000000ull);
		raise(SIGKILL);
	}
	return capture_writer__close(w) ? 4 : 0;
}
