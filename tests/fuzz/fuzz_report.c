// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer target for the whole of `report` (user/cmd_report.c,
 * report_run): a capture from anyone through the reader, the note parsers,
 * the pipeline, the aggregator, the diagnosis and the printers, in the
 * four output modes (summary and diagnoses, --frames, --json --frames,
 * --html; one per input, chosen by its length).
 *
 * What must hold, whatever the file: no crash or sanitizer report; memory
 * bounded (the malloc and RSS limits of `make fuzz-run`); output bounded;
 * no control byte, DEL, C1 control or byte that is not UTF-8 on the
 * terminal; JSON output one object per line with no raw control byte; the
 * HTML page the same, with no tag but those the writer makes and no URL
 * (the file's strings come out as text).
 *
 * The input is the file, except when its first byte is 0x03 (no pcapng or
 * gzip file starts so): then the rest is a small program that builds a
 * capture (tests/fuzz/craft.h), so that a few bytes can make thousands of
 * devices or hangs, the sizes where unbounded growth shows:
 *   op % 8 = 0  frame: hop, flags, ifindex (2), gso_size (2), name length, name
 *            1  repeat the last frame N (2 bytes, low 13 bits: up to 8191)
 *               times, each on a device of its own (ifindex and name
 *               counting up), or on the same device when bit 15 is set
 *            2  note "hang" with the next L (1 byte) bytes as its JSON
 *            3  repeat the last note N (1 byte) times
 *            4  note "drop_reasons", L bytes
 *            5  note "session", L bytes
 *            6  note "summary", L bytes
 *            7  a watchdog hang record on the last frame's device
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "craft.h"
#include "json.h"
#include "probe.h"
#include "report.h"

/* Past the summary's cap (AGG_MAX_ENTRIES pairs) and the hang cap below,
 * and no further: bigger inputs only make each run slower. */
#define MAX_FRAMES 6000
#define MAX_NOTES 200

static struct {
	unsigned long long bytes;
	bool json;
	bool at_line_start;
	unsigned char pend[4]; /* a UTF-8 character split between two writes */
	size_t npend;
} sink;

/* Every byte the report writes: counted and checked as it goes. The check
 * is the harness, not code under test: no coverage feedback from it. */
__attribute__((no_sanitize("coverage")))
static ssize_t sink_write(void *cookie, const char *buf, size_t n)
{
	const unsigned char *p = (const unsigned char *)buf;
	size_t i = 0, k;
	unsigned char tmp[8];

	sink.bytes += n;
	/* Bounded output: the caps (4096 device/hop pairs, 100 hangs) and
	 * the frames this target builds keep any report well below this. */
	if (sink.bytes > (1ull << 30))
		abort();
	while (i < n) {
		if (sink.npend) {
			/* Finish the character the last write cut. */
			memcpy(tmp, sink.pend, sink.npend);
			k = n - i < 4 ? n - i : 4;
			memcpy(tmp + sink.npend, p + i, k);
			if (!utf8_char_len(tmp, sink.npend + k))
				abort();
			i += utf8_char_len(tmp, sink.npend + k) - sink.npend;
			sink.npend = 0;
			continue;
		}
		if (p[i] < 0x20 && p[i] != '\n')
			abort(); /* a raw control byte reached the output */
		if (p[i] == 0x7F)
			abort();
		if (sink.json && sink.at_line_start && p[i] != '{')
			abort();
		sink.at_line_start = p[i] == '\n';
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		k = utf8_char_len(p + i, n - i);
		if (!k) {
			/* Maybe only cut by the write: keep it for the next. */
			if (n - i < 4 && (p[i] & 0xC0) == 0xC0) {
				memcpy(sink.pend, p + i, n - i);
				sink.npend = n - i;
				break;
			}
			abort();
		}
		if (utf8_is_c1(p + i, k))
			abort();
		i += k;
	}
	return (ssize_t)n;
}

static struct craft cr;

static void build(const uint8_t *d, size_t n)
{
	struct vno_frame f;
	size_t i = 1, l, frames = 0, notes = 0;
	char kind[16] = "", note[256] = "";

	cr.len = 0;
	cr_header(&cr);
	cr_frame_init(&f, "eno1", 2, 1000000);
	while (i < n) {
		uint8_t op = d[i++] % 8;
		unsigned rep;
		bool same;

		switch (op) {
		case 0:
			if (n - i < 7)
				return;
			f.hop = d[i] % VNO_HOP__MAX;
			f.flags = d[i + 1];
			f.ifindex = d[i + 2] | d[i + 3] << 8;
			f.gso_size = d[i + 4] | d[i + 5] << 8;
			l = d[i + 6] % (VNO_IFNAMSIZ + 1);
			i += 7;
			if (l > n - i)
				l = n - i;
			memset(f.dev, 0, sizeof(f.dev));
			memcpy(f.dev, d + i, l);
			i += l;
			f.ts_ns += 1000;
			f.pkt_id = f.ts_ns;
			if (frames++ < MAX_FRAMES)
				cr_frame(&cr, &f);
			break;
		case 1:
			if (n - i < 2)
				return;
			rep = d[i] | d[i + 1] << 8;
			i += 2;
			same = rep & 0x8000;
			rep &= 0x1FFF;
			for (unsigned r = 0; r < rep && frames < MAX_FRAMES; r++, frames++) {
				if (!same) {
					f.ifindex++;
					snprintf(f.dev, sizeof(f.dev), "d%u", f.ifindex);
				}
				f.ts_ns += 1000;
				f.pkt_id = f.ts_ns;
				cr_frame(&cr, &f);
			}
			break;
		case 3:
			if (n - i < 1)
				return;
			rep = d[i++];
			for (unsigned r = 0; r < rep && kind[0] && notes < MAX_NOTES; r++, notes++)
				cr_note(&cr, kind, note);
			break;
		case 7:
			f.hop = VNO_HOP_HANG;
			f.ts_ns += 1000;
			if (frames++ < MAX_FRAMES)
				cr_frame(&cr, &f);
			break;
		default:
			if (n - i < 1)
				return;
			l = d[i++];
			if (l > n - i)
				l = n - i;
			snprintf(kind, sizeof(kind), "%s",
				 op == 2 ? "hang" : op == 4 ? "drop_reasons" : op == 5 ? "session" : "summary");
			memcpy(note, d + i, l);
			note[l] = '\0';
			i += l;
			if (notes++ < MAX_NOTES)
				cr_custom(&cr, kind, d + i - l, l);
			break;
		}
	}
}

/* The page --html wrote: clean bytes (sink_write), and every tag one the
 * writer makes, with no URL but the SVG namespace's name. */
__attribute__((no_sanitize("coverage")))
static void check_page(int fd)
{
	static const char *const tags[] = {
		"!DOCTYPE", "html", "head", "meta", "title", "style", "body", "h1", "h2", "h3",
		"h4", "p", "section", "svg", "line", "text", "circle", "rect", "table", "tr", "td",
		"th", "details", "summary", "div", "span", "b", "br", "small", "em", "code", "pre",
		"ul", "li", "ol", "a", "figure", "figcaption",
	};
	static const char ns[] = "xmlns=\"http://www.w3.org/2000/svg\"";
	off_t len = lseek(fd, 0, SEEK_END);
	char *h, *p, *q, name[16];
	bool known;

	if (len < 0 || len > (1 << 24) || !(h = malloc((size_t)len + 1)))
		abort();
	if (pread(fd, h, (size_t)len, 0) != len)
		abort();
	h[len] = '\0';
	memset(&sink, 0, sizeof(sink));
	sink_write(NULL, h, (size_t)len);
	if (sink.npend || strlen(h) != (size_t)len)
		abort();
	for (p = strchr(h, '<'); p; p = strchr(p + 1, '<')) {
		if (!(q = strchr(p, '>')))
			abort();
		*q = '\0';
		name[0] = '\0';
		sscanf(p + 1 + (p[1] == '/'), "%15[!A-Za-z0-9]", name);
		known = false;
		for (size_t i = 0; i < sizeof(tags) / sizeof(tags[0]) && !known; i++)
			known = !strcmp(name, tags[i]);
		if (!known || strstr(p, " on") || strstr(p, "src="))
			abort();
		if ((q = strstr(p, "://")) &&
		    (q - p < 11 || strncmp(q - 11, ns, sizeof(ns) - 1) || strstr(q + 1, "://")))
			abort();
		p += strlen(p);
		*p = '>';
	}
	free(h);
}

static void run(int fd, bool json, bool frames, bool html)
{
	cookie_io_functions_t io = { .write = sink_write };
	/* A flight recorder of 128 frames, not 1024, and 16 hangs diagnosed,
	 * not 100: the same code, with less to set up and print per run. */
	struct report_opts o = { .json = json, .frames = frames, .window = 128, .max_hangs = 16 };
	static int page = -1;
	char page_path[64];
	char err[2048];
	FILE *out;
	int ret;

	memset(&sink, 0, sizeof(sink));
	sink.json = json;
	sink.at_line_start = true;
	if (html) {
		if (page < 0 && (page = memfd_create("fuzz_page", MFD_CLOEXEC)) < 0)
			abort();
		snprintf(page_path, sizeof(page_path), "/proc/self/fd/%d", page);
		o.html = page_path;
	}
	out = fopencookie(NULL, "w", io);
	if (!out || lseek(fd, 0, SEEK_SET))
		abort();
	ret = report_run("fuzz.pcapng", fd, &o, out, err, sizeof(err));
	fclose(out);
	if (sink.npend)
		abort();
	if (html)
		check_page(page);
	/* 0, 1 or 3; an error or a cut file comes with a sentence. */
	if (ret != 0 && ret != 1 && ret != 3)
		abort();
	if (ret && !err[0])
		abort();
	drop_reasons_free();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	const uint8_t *file = data;
	size_t len = size;

	if (fd < 0) {
		fd = memfd_create("fuzz_report", MFD_CLOEXEC);
		if (fd < 0)
			abort();
	}
	if (size && data[0] == 0x03) {
		build(data, size);
		file = cr.p;
		len = cr.len;
	}
	if (ftruncate(fd, 0) || pwrite(fd, file, len, 0) != (ssize_t)len)
		abort();
	/* One output mode per input, by its length: four times the runs a
	 * second, and a mutation that changes the length tries another. */
	/* size / 4 too: a pcapng file's length is a multiple of 4. */
	switch ((size + size / 4) % 4) {
	case 0: run(fd, false, false, false); break;
	case 1: run(fd, false, true, false); break;
	case 2: run(fd, true, true, false); break;
	default: run(fd, false, false, true); break;
	}
	return 0;
}
