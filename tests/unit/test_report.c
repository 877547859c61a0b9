// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * report on files from anyone (user/cmd_report.c, report_run): strings from
 * a capture reach the terminal escaped (term_str) and JSON well-formed
 * (json_str), whatever field they sit in; the summary and the hangs stay
 * bounded with what was left out counted; refused notes leak nothing (the
 * sanitizer build, make test-san, checks that part). The captures are made
 * by hand (tests/fuzz/craft.h), the way a stranger's file could be.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <criterion/criterion.h>
#include "../fuzz/craft.h"
#include "frames.h"
#include "agg.h"
#include "json.h"
#include "print.h"
#include "probe.h"
#include "report.h"

/* jq: the first output line of @type (jq -e judges by the last input, so
 * all are read as one array). */
#define LINE(type) "[., inputs] | map(select(.type == \"" type "\"))[0] | "

/* Run report over @c in one output mode; the output (malloc'd) and the
 * exit code. */
static char *report_mem(const struct craft *c, bool json, bool frames, int *code)
{
	struct report_opts o = { .json = json, .frames = frames };
	char *buf = NULL, err[2048];
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	int fd = memfd_create("test_report", MFD_CLOEXEC), ret;

	cr_assert_not_null(out);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, c->p, c->len), (ssize_t)c->len);
	lseek(fd, 0, SEEK_SET);
	ret = report_run("planted.pcapng", fd, &o, out, err, sizeof(err));
	fclose(out);
	close(fd);
	drop_reasons_free();
	if (code)
		*code = ret;
	else
		cr_assert_eq(ret, 0, "report: %d %s", ret, err);
	return buf;
}

/* A control byte, DEL, ESC sequence or newline in every string report
 * prints: the session's kernel, tool, command line and hook, a device name
 * (with a byte that is not UTF-8), a drop-reason name, and a hang note's
 * device and detail. */
static void planted(struct craft *c)
{
	struct vno_frame f;

	memset(c, 0, sizeof(*c));
	cr_header(c);
	cr_note(c, "session",
		"{\"kernel\":\"6.18\\u001b[31mRED\",\"tool\":\"vt\\r\\nforged tool\","
		"\"cmdline\":\"record\\n\\u001b]0;title\\u0007 -i x\\u007f\\u009b2J\","
		"\"hooks\":{\"xmit\":\"tp\\u001b[1mhook\"}}");
	cr_note(c, "drop_reasons", "{\"2\":\"NOT\x1b[31mSPECIFIED\nforged line\"}");
	cr_frame_init(&f, "ev\x1b[7m\xff\n", 7, 1000000);
	f.hop = VNO_HOP_DROP;
	f.flags = VNO_F_FREED;
	f.drop_reason = 2;
	cr_frame(c, &f);
	cr_frame_init(&f, "ev\x1b[7m\xff\n", 7, 1001000);
	cr_frame(c, &f);
	cr_note(c, "hang", "{\"dev\":\"ev\\u001b[7m\\n\",\"ifindex\":7,\"queue\":0,"
			   "\"source\":\"kmsg\",\"detail\":\"NETDEV \\u001b[31mWATCHDOG\\nforged\"}");
	cr_note(c, "end", "{}");
}

/* No raw control byte but newlines, no DEL, no C1 control, nothing that
 * is not UTF-8, and no line a capture could have started. */
static void assert_clean(const char *out)
{
	const unsigned char *p = (const unsigned char *)out;
	size_t k;

	for (; *p; p += k) {
		k = utf8_char_len(p, strlen((const char *)p));
		cr_assert_neq(k, 0, "not UTF-8 at: %.40s", (const char *)p);
		cr_assert(!(*p < 0x20 && *p != '\n'), "control byte %#x at: %.40s", *p,
			  (const char *)p);
		cr_assert_neq(*p, 0x7F, "DEL at: %.40s", (const char *)p);
		cr_assert(!utf8_is_c1(p, k), "C1 control at: %.40s", (const char *)p);
	}
	cr_assert_null(strstr(out, "\nforged"), "a forged line:\n%s", out);
}

Test(report, terminal_escapes_every_field)
{
	struct craft c;
	char *out;

	planted(&c);
	for (int frames = 0; frames < 2; frames++) {
		out = report_mem(&c, false, frames, NULL);
		assert_clean(out);
		cr_assert_not_null(strstr(out, "kernel 6.18\\x1b[31mRED\n"), "%s", out);
		cr_assert_not_null(strstr(out, "vt\\x0d\\x0aforged tool"), "%s", out);
		cr_assert_not_null(strstr(out, "command: record\\x0a\\x1b]0;title\\x07 -i "
					       "x\\x7f\\xc2\\x9b2J\n"), "%s", out);
		cr_assert_not_null(strstr(out, "tp\\x1b[1mhook\n"), "%s", out);
		cr_assert_not_null(strstr(out, "ev\\x1b[7m\\xff\\x0a"), "%s", out);
		cr_assert_not_null(strstr(out, "reason NOT\\x1b[31mSPECIFIED\\x0aforged line\n"),
				   "%s", out);
		cr_assert_not_null(strstr(out, "HANG ev\\x1b[7m\\x0a"), "%s", out);
		cr_assert_not_null(strstr(out, "NETDEV \\x1b[31mWATCHDOG\\x0aforged\n"), "%s", out);
		if (frames)
			cr_assert_not_null(strstr(out, "freed:NOT\\x1b[31mSPECIFIED\\x0aforged"),
					   "%s", out);
		free(out);
	}
	free(c.p);
}

Test(report, json_escapes_every_field)
{
	struct craft c;
	char *out;

	planted(&c);
	out = report_mem(&c, true, true, NULL);
	assert_clean(out);
	/* jq reads every line and gets the planted strings back. */
	cr_assert_jq(out, LINE("capture") ".kernel == \"6.18\\u001b[31mRED\" and "
			  ".cmdline == \"record\\n\\u001b]0;title\\u0007 -i x\\u007f\\u009b2J\" and "
			  ".tool == \"vt\\r\\nforged tool\" and .hooks.xmit == \"tp\\u001b[1mhook\"");
	cr_assert_jq(out, "[., inputs] | map(select(.type == \"frame\" and .hop == \"drop\"))[0] | "
			  ".dev == \"ev\\u001b[7m\\\\xff\\n\" and "
			  ".drop_reason == \"NOT\\u001b[31mSPECIFIED\\nforged line\"");
	cr_assert_jq(out, LINE("hang") ".dev == \"ev\\u001b[7m\\n\" and "
			  ".detail == \"NETDEV \\u001b[31mWATCHDOG\\nforged\"");
	cr_assert_jq(out, LINE("summary") ".devices[0].dev == \"ev\\u001b[7m\\\\xff\\n\"");
	free(out);
	free(c.p);
}

Test(report, term_str)
{
	char b[64];

	cr_assert_str_eq(term_str(b, sizeof(b), "eno1"), "eno1");
	cr_assert_str_eq(term_str(b, sizeof(b), ""), "");
	cr_assert_str_eq(term_str(b, sizeof(b), "a\x1b[2Jb\r\n\t"), "a\\x1b[2Jb\\x0d\\x0a\\x09");
	cr_assert_str_eq(term_str(b, sizeof(b), "\x7f\x01"), "\\x7f\\x01");
	/* UTF-8 stays; a C1 control, a stray byte, an overlong '/', a
	 * surrogate and a cut character do not. */
	cr_assert_str_eq(term_str(b, sizeof(b), "caf\xc3\xa9 \xf0\x9f\x98\x80"),
			 "caf\xc3\xa9 \xf0\x9f\x98\x80");
	cr_assert_str_eq(term_str(b, sizeof(b), "\xc2\x9b" "1m"), "\\xc2\\x9b" "1m");
	cr_assert_str_eq(term_str(b, sizeof(b), "\xff\xc0\xaf"), "\\xff\\xc0\\xaf");
	cr_assert_str_eq(term_str(b, sizeof(b), "\xed\xa0\x80"), "\\xed\\xa0\\x80");
	cr_assert_str_eq(term_str(b, sizeof(b), "x\xe2\x82"), "x\\xe2\\x82");
	/* Too long: cut at a whole character or escape, marked. */
	cr_assert_str_eq(term_str(b, 10, "abcdefghijkl"), "abcdef\xe2\x80\xa6");
	cr_assert_str_eq(term_str(b, 10, "abcdefghi"), "abcdefghi");
	cr_assert_str_eq(term_str(b, 10, "ab\x1b\x1b\x1b"), "ab\\x1b\xe2\x80\xa6");
	cr_assert_str_eq(term_str(b, 12, "ab\x1b" "cdefgh"), "ab\\x1b" "cd\xe2\x80\xa6");
	cr_assert_str_eq(term_str(b, 12, "ab\x1b" "cdefg"), "ab\\x1b" "cdefg");
	cr_assert_str_eq(term_str(b, 1, "abc"), "");
}

Test(report, summary_caps_devices_and_counts_the_rest)
{
	struct agg *a = agg__new();
	struct vno_event ev = { 0 };
	char *buf = NULL;
	size_t len = 0;
	FILE *out;

	cr_assert_not_null(a);
	for (unsigned i = 0; i < AGG_MAX_ENTRIES + 904; i++) {
		cr_frame_init(&ev.f, "d", i + 1, 1000 + i);
		snprintf(ev.f.dev, sizeof(ev.f.dev), "d%u", i);
		cr_assert_eq(agg__add(a, &ev), 0);
		/* A second record of a pair beyond the cap counts once. */
		if (i >= AGG_MAX_ENTRIES)
			cr_assert_eq(agg__add(a, &ev), 0);
	}
	cr_assert_eq(a->n, AGG_MAX_ENTRIES);
	cr_assert_eq(a->n_more, 904);
	cr_assert_eq(a->more_frames, 2 * 904);
	cr_assert_eq(a->records, AGG_MAX_ENTRIES + 2 * 904);
	/* Pairs kept are still found: their counts grow. */
	cr_frame_init(&ev.f, "d0", 1, 5);
	agg__add(a, &ev);
	cr_assert_eq(a->e[0].frames, 2);

	out = open_memstream(&buf, &len);
	agg_print(out, a, 0, 0);
	fclose(out);
	cr_assert_not_null(strstr(buf, "… 904 more device/hop pairs, 1808 frames"), "%.300s",
			   buf + len - 300);
	free(buf);
	buf = NULL;
	out = open_memstream(&buf, &len);
	agg_json(out, a, 0, 0, 1.0);
	fclose(out);
	cr_assert_jq(buf, ".devices | length == 4096");
	cr_assert_jq(buf, ".devices_more == {\"pairs\": 904, \"at_least\": false, \"frames\": 1808}");
	free(buf);
	agg__free(a);
}

Test(report, hangs_beyond_the_cap_are_counted_not_printed)
{
	struct craft c = { 0 };
	struct vno_frame f;
	char *out, *p;
	int n = 0;

	cr_header(&c);
	for (int i = 0; i < 64; i++) {
		cr_frame_init(&f, "eno1", 2, 1000000 + i * 1000);
		cr_frame(&c, &f);
	}
	for (int i = 0; i < REPORT_HANGS_MAX + 50; i++)
		cr_note(&c, "hang", "{\"dev\":\"eno1\",\"ifindex\":2,\"source\":\"kmsg\"}");
	/* A watchdog record past the cap too. */
	cr_frame_init(&f, "eno1", 2, 9000000);
	f.hop = VNO_HOP_HANG;
	cr_frame(&c, &f);
	cr_note(&c, "end", "{}");

	out = report_mem(&c, true, false, NULL);
	for (p = out; (p = strstr(p, "{\"type\":\"hang\"")); p++)
		n++;
	cr_assert_eq(n, REPORT_HANGS_MAX);
	cr_assert_jq(out, LINE("summary") ".hangs.kmsg == 150 and "
			  ".hangs.watchdog == 1 and .hangs_not_diagnosed == 51");
	free(out);
	out = report_mem(&c, false, false, NULL);
	cr_assert_not_null(strstr(out, "hangs (kmsg): 150\n"));
	cr_assert_not_null(strstr(out, "… 51 more hangs counted but not diagnosed\n"));
	free(out);
	free(c.p);
}

Test(report, refused_drop_reason_tables_keep_the_one_in_use)
{
	static const char *const bad[] = {
		"{\"4000\":\"A\",\"1\":\"B\",\"5000\":\"C\"}", /* out of range after a big one */
		"{\"1\":\"B\",\"2\":3}", "{\"1\":\"B\",\"x\":\"y\"}", "{\"1\":\"unterminated}",
		"{\"\":\"empty\"}", "[\"B\"]", "{\"1\":\"B\",}", "{\"+1\":\"B\"}",
	};

	cr_assert_eq(drop_reasons_from_json("{\"2\":\"NO_SOCKET\",\"0\":\"NOT_SPECIFIED\"}"), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(drop_reasons_from_json(bad[i]), -EINVAL, "%s", bad[i]);
		cr_assert_str_eq(vno_drop_reason_name(2), "NO_SOCKET");
		cr_assert_null(vno_drop_reason_name(1));
	}
	/* Names are cut to 63 bytes. */
	cr_assert_eq(drop_reasons_from_json("{\"1\":\"" "0123456789012345678901234567890123456789"
					    "0123456789012345678901234567890123456789\"}"), 0);
	cr_assert_eq(strlen(vno_drop_reason_name(1)), 63);
	drop_reasons_free();
	cr_assert_null(vno_drop_reason_name);
}

Test(report, note_strings_decode_escapes)
{
	char b[32];

	cr_assert_eq(json_get_str("{\"d\":\"a\\u001bb\\u00e9\\u20ac\\u0000\"}", "d", b, sizeof(b)), 0);
	cr_assert_str_eq(b, "a\x1b" "b\xc3\xa9\xe2\x82\xac?");
	cr_assert_eq(json_get_str("{\"d\":\"a\\u12\"}", "d", b, sizeof(b)), -EINVAL);
	/* A lone surrogate is U+FFFD, the replacement character. */
	cr_assert_eq(json_get_str("{\"d\":\"\\ud83d\"}", "d", b, sizeof(b)), 0);
	cr_assert_str_eq(b, "\xef\xbf\xbd");
	/* Cut to the buffer, never in the middle of a character. */
	cr_assert_eq(json_get_str("{\"d\":\"\\u00e9\\u00e9\"}", "d", b, 4), 0);
	cr_assert_str_eq(b, "\xc3\xa9");
}

Test(report, hang_past_the_flight_recorder_cap_says_so)
{
	struct craft c = { 0 };
	struct vno_frame f;
	char name[16], *out;

	cr_header(&c);
	/* One frame on each of 100 devices: the diagnosis keeps a flight
	 * recorder for the first 64 only. */
	for (unsigned i = 0; i < 100; i++) {
		snprintf(name, sizeof(name), "d%u", i);
		cr_frame_init(&f, name, i + 1, 1000000 + i * 1000);
		cr_frame(&c, &f);
	}
	cr_note(&c, "hang", "{\"dev\":\"d99\",\"ifindex\":100,\"source\":\"kmsg\"}");
	cr_note(&c, "hang", "{\"dev\":\"d3\",\"ifindex\":4,\"source\":\"kmsg\"}");
	cr_note(&c, "end", "{}");
	out = report_mem(&c, false, false, NULL);
	cr_assert_not_null(strstr(out, "verdict: no flight recorder for d99: frames were seen on "
				       "more than 64 devices and only the first 64 keep one\n"),
			   "%s", out);
	cr_assert_not_null(strstr(out, "HANG d3, source kmsg\n"), "%s", out);
	cr_assert_not_null(strstr(out, "window: 1 frames"), "%s", out);
	free(out);
	free(c.p);
}

/* A hang note carries the whole window: its top-level members still read
 * with a window of 4096 frames of 45 members each. */
Test(report, hang_note_with_a_full_window)
{
	size_t cap = 4096 * 45 * 12 + 256, o = 0;
	char *j = malloc(cap), dev[16];
	long long v = 0;

	cr_assert_not_null(j);
	o += (size_t)snprintf(j + o, cap - o, "{\"type\":\"hang\",\"dev\":\"up0\",\"ifindex\":7,"
					      "\"frames_before\":[");
	for (int f = 0; f < 4096; f++) {
		j[o++] = f ? ',' : '{';
		if (f)
			j[o++] = '{';
		for (int m = 0; m < 45; m++)
			o += (size_t)snprintf(j + o, cap - o, "%s\"m%d\":%d", m ? "," : "", m, f);
		j[o++] = '}';
	}
	snprintf(j + o, cap - o, "]}");
	cr_assert_eq(json_get_str(j, "dev", dev, sizeof(dev)), 0);
	cr_assert_str_eq(dev, "up0");
	cr_assert_eq(json_get_i64(j, "ifindex", &v), 0);
	cr_assert_eq(v, 7);
	free(j);
}
