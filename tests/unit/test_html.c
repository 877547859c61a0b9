// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The HTML page (user/html_report.c) of captures from anyone: every string
 * a capture holds comes out as text, never as markup (no tag, attribute or
 * entity of the file's making), with control bytes shown; the page fetches
 * nothing; it stays small for a large capture. The captures are made by
 * hand (tests/fuzz/craft.h), the way a stranger's file could be.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <criterion/criterion.h>
#include "../fuzz/craft.h"
#include "html_report.h"
#include "json.h"
#include "probe.h"
#include "report.h"

static char *esc(const char *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cr_assert_not_null(f);
	html_str(f, s);
	fclose(f);
	return buf;
}

Test(html, str_escapes_markup_and_controls)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "up0", "up0" },
		{ "<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;" },
		{ "\" onmouseover='x'", "&quot; onmouseover=&#39;x&#39;" },
		{ "a&amp;b", "a&amp;amp;b" },
		{ "ev\x1b[7m\n", "ev\\x1b[7m\\x0a" },
		{ "del\x7f", "del\\x7f" },
		{ "c1\xc2\x9b", "c1\\xc2\\x9b" },
		{ "bad\xff\xfe", "bad\\xff\\xfe" },
		{ "cut\xe2\x82", "cut\\xe2\\x82" },
		{ "é ≥ 🙂", "é ≥ 🙂" },
		{ "", "" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *o = esc(cases[i].in);

		cr_assert_str_eq(o, cases[i].out, "case %zu", i);
		free(o);
	}
}

/* Hostile bytes and markup in every string the page shows: the session's
 * kernel, tool, command line, hook and interface (name, driver), a device
 * name, a drop reason, the hang's device and kernel log text. */
static void hostile(struct craft *c)
{
	struct vno_frame f;

	memset(c, 0, sizeof(*c));
	cr_header(c);
	cr_note(c, "session",
		"{\"kernel\":\"6.18<img src=x onerror=alert(1)>\",\"tool\":\"vt</title><script>\","
		"\"cmdline\":\"record -i '<b>x</b>' \\u001b]0;t\\u0007\","
		"\"hooks\":{\"xmit\":\"tp\\\"><a href=http://evil.example/>\"},"
		"\"interfaces\":[{\"name\":\"ev<svg onload=x>\",\"ifindex\":7,"
		"\"netns\":4026531840,\"driver\":\"<iframe src=//x>\",\"mtu\":1500}]}");
	cr_note(c, "drop_reasons", "{\"2\":\"NOT<style>*{}</style>\"}");
	for (int i = 0; i < 40; i++) {
		cr_frame_init(&f, "ev<svg onload=x>", 7, 1000000 + i * 1000);
		if (i == 3) {
			f.hop = VNO_HOP_DROP;
			f.flags = VNO_F_FREED;
			f.drop_reason = 2;
		}
		if (i >= 30)
			f.gso_size = 40;
		cr_frame(c, &f);
	}
	cr_note(c, "hang", "{\"dev\":\"ev<svg onload=x>\",\"ifindex\":7,\"queue\":0,"
			   "\"source\":\"kmsg\",\"detail\":\"NETDEV </p><script>alert(1)</script>"
			   "\\u001b[31m<link rel=stylesheet href=http://evil.example/x.css>\"}");
	cr_note(c, "end", "{}");
}

/* The page of @c (malloc'd) and report's exit code. */
static char *page(const struct craft *c, int *code)
{
	char path[] = "/tmp/vno-html-XXXXXX", err[2048], *buf;
	struct report_opts o = { .html = path, .cmdline = "report --html <x>" };
	FILE *devnull = fopen("/dev/null", "w");
	int fd = memfd_create("test_html", MFD_CLOEXEC), pfd = mkstemp(path), ret;
	struct stat st;

	cr_assert_not_null(devnull);
	cr_assert_geq(fd, 0);
	cr_assert_geq(pfd, 0);
	cr_assert_eq(write(fd, c->p, c->len), (ssize_t)c->len);
	lseek(fd, 0, SEEK_SET);
	ret = report_run("planted.pcapng", fd, &o, devnull, err, sizeof(err));
	fclose(devnull);
	close(fd);
	drop_reasons_free();
	if (code)
		*code = ret;
	else
		cr_assert_eq(ret, 0, "report: %d %s", ret, err);
	cr_assert_eq(fstat(pfd, &st), 0);
	buf = malloc((size_t)st.st_size + 1);
	cr_assert_not_null(buf);
	cr_assert_eq(pread(pfd, buf, (size_t)st.st_size, 0), st.st_size);
	buf[st.st_size] = '\0';
	close(pfd);
	unlink(path);
	return buf;
}

/* Every tag in @html is one the writer makes; no attribute names an event
 * handler; nothing points outside the page; no raw control byte, DEL, C1
 * control or byte that is not UTF-8. */
static void assert_safe(const char *html)
{
	static const char *const tags[] = {
		"!DOCTYPE", "html", "head", "meta", "title", "style", "body", "h1", "h2", "h3", "h4",
		"p", "section", "svg", "line", "text", "circle", "rect", "table", "tr", "td", "th",
		"details", "summary", "div", "span", "b", "br", "small", "em", "code", "pre", "ul",
		"li", "ol", "a", "figure", "figcaption",
	};
	const unsigned char *u = (const unsigned char *)html;
	const char *p, *q;
	size_t k;

	for (p = strchr(html, '<'); p; p = strchr(p + 1, '<')) {
		char name[16] = "", tag[4096];
		bool known = false;

		q = strchr(p, '>');
		cr_assert_not_null(q, "an unclosed tag at: %.60s", p);
		snprintf(tag, sizeof(tag), "%.*s", (int)(q - p + 1), p);
		sscanf(tag + 1 + (tag[1] == '/'), "%15[!A-Za-z0-9]", name);
		for (size_t i = 0; i < sizeof(tags) / sizeof(tags[0]) && !known; i++)
			known = !strcmp(name, tags[i]);
		cr_assert(known, "a tag of the file's making: %s", tag);
		cr_assert_null(strstr(tag, " on"), "an event handler: %s", tag);
		cr_assert_null(strstr(tag, "src="), "a src: %s", tag);
		if ((q = strstr(tag, "href=")))
			cr_assert_eq(q[6], '#', "a link outside the page: %s", tag);
		/* The one URL: the SVG namespace, a name, never fetched. */
		if ((q = strstr(tag, "://")))
			cr_assert(q - tag >= 11 && !strncmp(q - 11, "xmlns=\"http://www.w3.org/2000/svg\"", 34) &&
					  !strstr(q + 1, "://"), "a URL: %s", tag);
	}
	for (; *u; u += k) {
		k = utf8_char_len(u, strlen((const char *)u));
		cr_assert_neq(k, 0, "not UTF-8 at: %.40s", (const char *)u);
		cr_assert(!(*u < 0x20 && *u != '\n'), "control byte %#x at: %.40s", *u,
			  (const char *)u);
		cr_assert_neq(*u, 0x7F, "DEL at: %.40s", (const char *)u);
		cr_assert(!utf8_is_c1(u, k), "C1 control at: %.40s", (const char *)u);
	}
}

Test(html, hostile_strings_come_out_as_text)
{
	struct craft c;
	char *h;

	hostile(&c);
	h = page(&c, NULL);
	assert_safe(h);
	cr_assert_not_null(strstr(h, "6.18&lt;img src=x onerror=alert(1)&gt;"), "kernel");
	cr_assert_not_null(strstr(h, "vt&lt;/title&gt;&lt;script&gt;"), "tool");
	cr_assert_not_null(strstr(h, "record -i &#39;&lt;b&gt;x&lt;/b&gt;&#39; \\x1b]0;t\\x07"),
			   "command line");
	cr_assert_not_null(strstr(h, "tp&quot;&gt;&lt;a href=http://evil.example/&gt;"), "hook");
	cr_assert_not_null(strstr(h, "ev&lt;svg onload=x&gt;"), "device");
	cr_assert_not_null(strstr(h, "&lt;iframe src=//x&gt;"), "driver");
	cr_assert_not_null(strstr(h, "NOT&lt;style&gt;*{}&lt;/style&gt;"), "drop reason");
	cr_assert_not_null(strstr(h, "NETDEV &lt;/p&gt;&lt;script&gt;alert(1)&lt;/script&gt;\\x1b[31m"
				     "&lt;link rel=stylesheet href=http://evil.example/x.css&gt;"),
			   "kernel log text");
	cr_assert_not_null(strstr(h, "report --html &lt;x&gt;"), "the command that wrote it");
	/* The hang is drawn: one timeline. */
	cr_assert_not_null(strstr(h, "<svg class=\"tl\""));
	cr_assert_null(strstr(strstr(h, "<svg class=\"tl\"") + 1, "<svg class=\"tl\""));
	free(h);
	free(c.p);
}

Test(html, no_hang_says_so_and_draws_the_devices)
{
	struct craft c = { 0 };
	struct vno_frame f;
	char *h;

	cr_header(&c);
	for (int i = 0; i < 20; i++) {
		cr_frame_init(&f, "up0", 3, 1000000 + i * 1000);
		cr_frame(&c, &f);
	}
	cr_note(&c, "end", "{}");
	h = page(&c, NULL);
	assert_safe(h);
	cr_assert_not_null(strstr(h, "No hang in this capture"));
	cr_assert_null(strstr(h, "<svg class=\"tl\""));
	cr_assert_not_null(strstr(h, "<figcaption>gso_size (1448 to 1448)</figcaption><svg"), "%s", h);
	free(h);
	free(c.p);
}

Test(html, cut_capture_says_where)
{
	struct craft c;
	int code;
	char *h;

	hostile(&c);
	c.len -= 30; /* into the last block */
	h = page(&c, &code);
	cr_assert_eq(code, 3);
	assert_safe(h);
	cr_assert_not_null(strstr(h, "<p class=\"problem\">This page covers only the part of the "
				     "capture before the cut: planted.pcapng is truncated: read"), "%s", h);
	cr_assert_not_null(strstr(h, "stopped at offset"));
	free(h);
	free(c.p);
}

/* 100 000 frames on four devices at three hops, with 40 hangs: the page
 * summarises and stays within 1 MiB. */
Test(html, large_capture_small_page, .timeout = 60)
{
	static const char *const devs[] = { "tap0", "tap1", "up0", "up1" };
	struct craft c = { 0 };
	struct vno_frame f;
	char note[128], *h;
	size_t len;

	cr_header(&c);
	for (unsigned i = 0; i < 100000; i++) {
		unsigned d = (i / 3) % 2;
		__u64 ts = 1000000000ULL + (__u64)i * 20000;

		if (i % 3 == 0) {
			cr_frame_init(&f, devs[d], d + 1, ts);
			f.hop = VNO_HOP_RX;
		} else {
			cr_frame_init(&f, devs[2 + d], d + 3, ts);
			f.hop = i % 3 == 1 ? VNO_HOP_XMIT : VNO_HOP_DONE;
			f.latency_ns = i % 3 == 2 ? 20000 + i % 977 : 0;
		}
		f.pkt_id = i / 3 + 1;
		if ((i / 3) % 50 == 0)
			f.gso_size = 40;
		cr_frame(&c, &f);
		if (i % 2500 == 2499) {
			snprintf(note, sizeof(note), "{\"dev\":\"up%u\",\"ifindex\":%u,\"source\":\"kmsg\","
						     "\"detail\":\"Detected Hardware Unit Hang\"}", d, d + 3);
			cr_note(&c, "hang", note);
		}
	}
	cr_note(&c, "end", "{}");
	h = page(&c, NULL);
	len = strlen(h);
	cr_log_info("page of 100 000 frames and 40 hangs: %zu bytes", len);
	cr_assert_leq(len, 1048576, "%zu bytes", len);
	cr_assert_not_null(strstr(h, "Later hangs"));
	assert_safe(h);
	free(h);
	free(c.p);
}

/* Every record with the same packet id (a crafted file): each hang draws
 * a bounded number of them, not the whole ring. */
Test(html, one_packet_id_everywhere_stays_small, .timeout = 60)
{
	struct craft c = { 0 };
	struct vno_frame f;
	char *h;
	size_t len;

	cr_header(&c);
	for (unsigned i = 0; i < 40000; i++) {
		char dev[VNO_IFNAMSIZ] = "";

		snprintf(dev, sizeof(dev), "%s", i % 2 ? "up0" : "tap0");
		cr_frame_init(&f, dev, i % 2 ? 3 : 1, 1000000000ULL + i * 1000ULL);
		f.hop = i % 2 ? VNO_HOP_XMIT : VNO_HOP_RX;
		f.pkt_id = 1;
		cr_frame(&c, &f);
		if (i % 5000 == 4999)
			cr_note(&c, "hang", "{\"dev\":\"up0\",\"ifindex\":3,\"source\":\"kmsg\"}");
	}
	cr_note(&c, "end", "{}");
	h = page(&c, NULL);
	len = strlen(h);
	cr_log_info("page of 40 000 frames of one packet id and 8 hangs: %zu bytes", len);
	cr_assert_leq(len, 1048576, "%zu bytes", len);
	assert_safe(h);
	free(h);
	free(c.p);
}
