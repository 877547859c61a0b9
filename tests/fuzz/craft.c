// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Crafted captures for `report`'s worst cases (README "Fuzzing"), and for
 * measuring them: report must stay within bounded memory, time and output
 * whatever a stranger's file holds.
 *
 *   craft devices N FILE   N frames, each on a device of its own name
 *   craft reasons N FILE   N malformed drop_reasons notes (a leak each, once)
 *   craft hangs N FILE     a full window of frames, then N hang notes on it
 *   craft ifaces N FILE    4096 interfaces in the session, N frames on none of them
 *   craft escapes FILE     terminal escapes and newlines in every string
 *
 * FILE is gzip-compressed when it ends in ".gz".
 */
#include <stdio.h>
#include <string.h>
#include <zlib.h>
#include "craft.h"

static void session(struct craft *c, const char *kernel, const char *cmdline, const char *iface,
		    const char *hook)
{
	char json[2048];

	snprintf(json, sizeof(json),
		 "{\"kernel\":\"%s\",\"tool\":\"vnoffload-trace 0.1.0\",\"cmdline\":\"%s\","
		 "\"hooks\":{\"xmit\":\"%s\"},\"interfaces\":[{\"name\":\"%s\",\"netns\":4026531840,"
		 "\"ifindex\":2,\"driver\":\"e1000e\",\"mtu\":1500,\"up\":true}]}",
		 kernel, cmdline, hook, iface);
	cr_note(c, "session", json);
}

static int save(const struct craft *c, const char *path)
{
	size_t n = strlen(path);
	gzFile gz;
	FILE *f;

	if (n > 3 && !strcmp(path + n - 3, ".gz")) {
		gz = gzopen(path, "wb6");
		if (!gz || gzwrite(gz, c->p, (unsigned)c->len) != (int)c->len || gzclose(gz) != Z_OK)
			goto fail;
		return 0;
	}
	f = fopen(path, "wb");
	if (!f || fwrite(c->p, 1, c->len, f) != c->len || fclose(f))
		goto fail;
	return 0;
fail:
	perror(path);
	return 1;
}

int main(int argc, char **argv)
{
	struct craft c = { 0 };
	struct vno_frame f;
	char buf[512];
	unsigned long n = argc == 4 ? strtoul(argv[2], NULL, 10) : 0;
	const char *mode = argc > 1 ? argv[1] : "", *path = argv[argc - 1];

	cr_header(&c);
	if (!strcmp(mode, "devices") && argc == 4) {
		session(&c, "6.18.44", "vnoffload-trace record", "eno1", "tp_btf/net_dev_start_xmit");
		for (unsigned long i = 0; i < n; i++) {
			snprintf(buf, sizeof(buf), "d%lu", i);
			cr_frame_init(&f, buf, (uint32_t)i + 1, 1000000 + i);
			cr_frame(&c, &f);
		}
	} else if (!strcmp(mode, "reasons") && argc == 4) {
		session(&c, "6.18.44", "vnoffload-trace record", "eno1", "tp_btf/net_dev_start_xmit");
		for (unsigned long i = 0; i < n; i++)
			/* A big table, then a number out of range: refused. */
			cr_note(&c, "drop_reasons", "{\"4000\":\"A\",\"1\":\"B\",\"5000\":\"C\"}");
	} else if (!strcmp(mode, "hangs") && argc == 4) {
		session(&c, "6.18.44", "vnoffload-trace record", "eno1", "tp_btf/net_dev_start_xmit");
		for (unsigned long i = 0; i < 1024; i++) {
			cr_frame_init(&f, "eno1", 2, 1000000 + i * 1000);
			f.gso_size = i % 4 ? 1448 : 48;
			cr_frame(&c, &f);
		}
		for (unsigned long i = 0; i < n; i++)
			cr_note(&c, "hang", "{\"dev\":\"eno1\",\"ifindex\":2,\"queue\":0,"
					    "\"source\":\"kmsg\",\"detail\":\"x\"}");
	} else if (!strcmp(mode, "ifaces") && argc == 4) {
		size_t cap = 4096 * 64 + 64, o;
		char *json = malloc(cap);

		if (!json)
			return 1;
		o = (size_t)snprintf(json, cap, "{\"kernel\":\"6.18\",\"interfaces\":[");
		for (unsigned i = 0; i < 4096; i++)
			o += (size_t)snprintf(json + o, cap - o, "%s{\"name\":\"i%u\",\"ifindex\":%u}",
					      i ? "," : "", i, i + 10);
		snprintf(json + o, cap - o, "]}");
		cr_note(&c, "session", json);
		free(json);
		for (unsigned long i = 0; i < n; i++) {
			cr_frame_init(&f, "x", 5000 + i % 7, 1000000 + i * 1000);
			f.hop = i % 2 ? VNO_HOP_RX : VNO_HOP_XMIT;
			f.origin_ifindex = 3;
			f.pkt_id = i / 2;
			cr_frame(&c, &f);
		}
	} else if (!strcmp(mode, "escapes") && argc == 3) {
		/* Raw ESC and newline bytes: the session JSON carries them as
		 * \u escapes, a note's raw bytes as they are. */
		session(&c, "6.18\\u001b[31mRED", "record\\n\\u001b]0;title\\u0007 -i x",
			"e\\u001b[2J", "tp\\u001b[1mhook");
		cr_escaped_frames(&c, "ev\x1b[7mil\n", "{\"2\":\"NOT\x1b[31mSPECIFIED\nforged line\"}",
				  "{\"dev\":\"ev\\u001b[7mil\\n\",\"ifindex\":7,\"queue\":0,"
				  "\"source\":\"kmsg\",\"detail\":\"NETDEV \\u001b[31mWATCHDOG\\nforged\"}");
	} else {
		fprintf(stderr, "usage: craft devices|reasons|hangs|ifaces N FILE | craft escapes FILE\n");
		return 2;
	}
	cr_note(&c, "end", "{}");
	n = save(&c, path);
	free(c.p);
	return (int)n;
}
