// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * opts: duration and size parsing (util.c) and record's options
 * (record_parse_args): accepted values, bounds, and one sentence for each
 * way a command line can be wrong.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>
#include "cmds.h"
#include "record.h"

Test(opts, duration_valid)
{
	static const struct { const char *s; unsigned long long ms; } ok[] = {
		{ "10", 10000 },  { "10s", 10000 },   { "500ms", 500 },	  { "2m", 120000 },
		{ "1h", 3600000 }, { "0", 0 },	      { "0s", 0 },	  { "1.5s", 1500 },
		{ "0.25", 250 },  { "90m", 5400000 }, { "1ms", 1 },	  { "86400", 86400000 },
	};
	unsigned long long ms;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		ms = 12345;
		cr_assert_eq(parse_duration_ms(ok[i].s, &ms), 0, "'%s' refused", ok[i].s);
		cr_assert_eq(ms, ok[i].ms, "'%s' -> %llu ms", ok[i].s, ms);
	}
}

Test(opts, duration_invalid)
{
	static const char *const bad[] = {
		"abc", "-1", "", "s", "ms", "10x", "10 s", "10sec", " 10", "+5", "10S",
		"10us", "1e999", "5m30s", "-0", ".5",
	};
	unsigned long long ms;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ms = 12345;
		cr_assert_eq(parse_duration_ms(bad[i], &ms), -EINVAL, "'%s' accepted as %llu ms",
			     bad[i], ms);
	}
	cr_assert_eq(parse_duration_ms(NULL, &ms), -EINVAL);
}

Test(opts, size_valid)
{
	static const struct { const char *s; unsigned long long b; } ok[] = {
		/* A bare number is MiB (cmds.h). */
		{ "16", 16ULL << 20 },	  { "16M", 16ULL << 20 },   { "16m", 16ULL << 20 },
		{ "16MiB", 16ULL << 20 }, { "16mb", 16ULL << 20 },  { "512K", 512ULL << 10 },
		{ "512k", 512ULL << 10 }, { "4KiB", 4096 },	    { "4096b", 4096 },
		{ "4096B", 4096 },	  { "1G", 1ULL << 30 },	    { "2gib", 2ULL << 30 },
		{ "1GB", 1ULL << 30 },	  { "0", 0 },		    { "0K", 0 },
	};
	unsigned long long b;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		b = 12345;
		cr_assert_eq(parse_size(ok[i].s, &b), 0, "'%s' refused", ok[i].s);
		cr_assert_eq(b, ok[i].b, "'%s' -> %llu", ok[i].s, b);
	}
}

Test(opts, size_invalid)
{
	static const char *const bad[] = {
		"", "abc", "-1", "16X", "1.5M", "16 M", "K", " 16", "+16", "16KK", "16Mi",
		"99999999999999999999",	 /* ERANGE */
		"17179869184G",		 /* 2^64 bytes: overflows */
		"4398046511104M",	 /* 2^62 bytes: over the sanity bound */
	};
	unsigned long long b;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		b = 12345;
		cr_assert_eq(parse_size(bad[i], &b), -EINVAL, "'%s' accepted as %llu", bad[i], b);
	}
	cr_assert_eq(parse_size(NULL, &b), -EINVAL);
}

/* A record command line, parsed; argv strings are copies (getopt permutes
 * argv, and ifaces point into it). */
struct parsed {
	struct record_opts o;
	int rc, argc;
	char *argv[32];
	char err[512];
};

static struct parsed P;

static int parse(const char *first, ...)
{
	va_list ap;
	const char *s;

	for (int i = 0; i < P.argc; i++)
		free(P.argv[i]);
	record_opts_free(&P.o);
	memset(&P, 0, sizeof(P));
	P.argv[P.argc++] = strdup("record");
	va_start(ap, first);
	for (s = first; s; s = va_arg(ap, const char *)) {
		cr_assert_lt(P.argc, 31);
		P.argv[P.argc++] = strdup(s);
	}
	va_end(ap);
	P.rc = record_parse_args(P.argc, P.argv, &P.o, P.err, sizeof(P.err));
	if (P.rc) {
		/* One sentence a person can act on. */
		cr_assert_eq(P.rc, -EINVAL, "rc %d", P.rc);
		cr_assert_gt(strlen(P.err), 10, "no error text");
		cr_assert_null(strchr(P.err, '\n'), "multi-line error: %s", P.err);
	}
	return P.rc;
}

#define assert_ok(...)                                                                  \
	cr_assert_eq(parse(__VA_ARGS__, NULL), 0, "refused: %s", P.err)
/* Refused, and the message names @what. */
#define assert_bad(what, ...)                                                           \
	do {                                                                            \
		cr_assert_eq(parse(__VA_ARGS__, NULL), -EINVAL, "accepted");            \
		cr_assert(strstr(P.err, (what)), "error does not name '%s': %s", (what), \
			  P.err);                                                       \
	} while (0)

Test(opts, record_defaults)
{
	cr_assert_eq(parse(NULL), 0);
	cr_assert_eq(P.o.run.n_ifaces, 0);
	cr_assert_eq(P.o.duration_ms, 0);
	cr_assert_eq(P.o.run.snaplen, 128);
	cr_assert_eq(P.o.run.rb_bytes, 8ULL << 20);
	cr_assert_eq(P.o.run.tc_mode, TC_OFF);
	cr_assert_not(P.o.json || P.o.run.all_frames || P.o.quiet || P.o.help);
}

Test(opts, record_interfaces_repeat)
{
	assert_ok("-i", "eth0", "--interface", "tap*", "-i", "br0", "--interface=veth1", "-ieno1");
	cr_assert_eq(P.o.run.n_ifaces, 5);
	cr_assert_str_eq(P.o.run.ifaces[0], "eth0");
	cr_assert_str_eq(P.o.run.ifaces[1], "tap*");
	cr_assert_str_eq(P.o.run.ifaces[2], "br0");
	cr_assert_str_eq(P.o.run.ifaces[3], "veth1");
	cr_assert_str_eq(P.o.run.ifaces[4], "eno1");
	/* The same interface twice is the caller's business, not an error. */
	assert_ok("-i", "eth0", "-i", "eth0");
	cr_assert_eq(P.o.run.n_ifaces, 2);
}

Test(opts, record_duration)
{
	assert_ok("-d", "10");
	cr_assert_eq(P.o.duration_ms, 10000);
	assert_ok("-d", "10s");
	cr_assert_eq(P.o.duration_ms, 10000);
	assert_ok("--duration", "500ms");
	cr_assert_eq(P.o.duration_ms, 500);
	assert_ok("--duration=2m");
	cr_assert_eq(P.o.duration_ms, 120000);
	assert_ok("-d1h");
	cr_assert_eq(P.o.duration_ms, 3600000);
	/* 0 would mean "forever" internally: say so rather than run forever. */
	assert_bad("0", "-d", "0");
	assert_bad("abc", "-d", "abc");
	assert_bad("-1", "-d", "-1");
	assert_bad("-d", "-d", "");
	assert_bad("10x", "--duration", "10x");
	/* Rounds to 0 ms. */
	assert_bad("0.0001", "-d", "0.0001");
}

Test(opts, record_snaplen)
{
	assert_ok("--snaplen", "0");
	cr_assert_eq(P.o.run.snaplen, 0);
	assert_ok("--snaplen", "256");
	cr_assert_eq(P.o.run.snaplen, VNO_SNAP_MAX);
	assert_ok("--snaplen=96");
	cr_assert_eq(P.o.run.snaplen, 96);
	assert_ok("-s", "64");
	cr_assert_eq(P.o.run.snaplen, 64);
	assert_bad("257", "--snaplen", "257");
	assert_bad("-1", "--snaplen", "-1");
	assert_bad("abc", "--snaplen", "abc");
	assert_bad("12abc", "--snaplen", "12abc");
	assert_bad("99999999999999999999", "--snaplen", "99999999999999999999");
	assert_bad("18446744073709551615", "--snaplen", "18446744073709551615");
}

Test(opts, record_snaplen_empty)
{
	/* An empty value is not 0. */
	assert_bad("snaplen", "--snaplen", "");
	assert_bad("snaplen", "--snaplen=");
}

Test(opts, record_buffer)
{
	assert_ok("--buffer", "4K");
	cr_assert_eq(P.o.run.rb_bytes, 4096);
	assert_ok("--buffer", "4096b");
	cr_assert_eq(P.o.run.rb_bytes, 4096);
	assert_ok("--buffer", "1G");
	cr_assert_eq(P.o.run.rb_bytes, 1ULL << 30);
	assert_ok("--buffer", "64");
	cr_assert_eq(P.o.run.rb_bytes, 64ULL << 20);
	assert_ok("--buffer=1024K");
	cr_assert_eq(P.o.run.rb_bytes, 1ULL << 20);
	assert_bad("2K", "--buffer", "2K");
	assert_bad("4095b", "--buffer", "4095b");
	assert_bad("2G", "--buffer", "2G");
	assert_bad("3M", "--buffer", "3M");
	assert_bad("0", "--buffer", "0");
	assert_bad("abc", "--buffer", "abc");
	assert_bad("--buffer", "--buffer", "");
}

Test(opts, record_tc_mode)
{
	assert_ok("--tc-mode", "tcx");
	cr_assert_eq(P.o.run.tc_mode, TC_TCX);
	assert_ok("--tc-mode", "clsact");
	cr_assert_eq(P.o.run.tc_mode, TC_CLSACT);
	assert_ok("--tc-mode=off");
	cr_assert_eq(P.o.run.tc_mode, TC_OFF);
	assert_ok("--tc-mode", "off", "--tc-mode", "auto");
	cr_assert_eq(P.o.run.tc_mode, TC_AUTO);
	assert_bad("TCX", "--tc-mode", "TCX");
	assert_bad("bogus", "--tc-mode", "bogus");
	assert_bad("tc-mode", "--tc-mode", "");
	assert_bad("tcx ", "--tc-mode", "tcx ");
}

Test(opts, record_flags)
{
	assert_ok("--json", "-a", "-q");
	cr_assert(P.o.json && P.o.run.all_frames && P.o.quiet);
	cr_assert_not(P.o.help);
	assert_ok("--all", "--quiet");
	cr_assert(P.o.run.all_frames && P.o.quiet);
	cr_assert_not(P.o.json);
	assert_ok("-aq");
	cr_assert(P.o.run.all_frames && P.o.quiet);
	assert_ok("-h");
	cr_assert(P.o.help);
	assert_ok("-q", "--help");
	cr_assert(P.o.help);
	/* Unique prefixes of long options are accepted. */
	assert_ok("--snap", "64", "--tc", "off", "--js");
	cr_assert_eq(P.o.run.snaplen, 64);
	cr_assert_eq(P.o.run.tc_mode, TC_OFF);
	cr_assert(P.o.json);
}

/* The writer thread only for a capture file; off by default. */
Test(opts, record_writer_thread)
{
	assert_ok("-w", "x.pcapng.gz");
	cr_assert_not(P.o.writer_thread);
	assert_ok("-w", "x.pcapng.gz", "--writer-thread");
	cr_assert(P.o.writer_thread);
	assert_ok("--writer-thread", "-w", "x.pcapng", "--rotate-size", "1M");
	cr_assert(P.o.writer_thread);
	assert_bad("--writer-thread needs -w FILE", "--writer-thread");
	assert_bad("--writer-thread needs -w FILE", "--writer-thread", "-q", "-d", "1");
	assert_bad("-w - writes each block as it is made", "-w", "-", "--writer-thread");
	/* --write stays itself: an exact name is no prefix. */
	assert_ok("--write", "x.pcapng");
	cr_assert_str_eq(P.o.write_path, "x.pcapng");
	cr_assert_not(P.o.writer_thread);
	assert_bad("--wri", "--wri", "x.pcapng");
}

Test(opts, record_unknown_option)
{
	assert_bad("--bogus", "--bogus");
	assert_bad("--bogus", "-i", "eth0", "--bogus", "-q");
	assert_bad("-x", "-x");
	assert_bad("-x", "-q", "-x");
	/* -j is a long-only option's value, not a short option. */
	assert_bad("-j", "-j");
}

Test(opts, record_unknown_option_in_a_group)
{
	/* The message must name the culprit, not the argument before it. */
	assert_bad("x", "-i", "eth0", "-xq");
	cr_assert_null(strstr(P.err, "eth0"), "%s", P.err);
}

Test(opts, record_missing_argument)
{
	assert_bad("-d", "-d");
	assert_bad("needs an argument", "-q", "-d");
	assert_bad("--duration", "--duration");
	assert_bad("-i", "-i");
	assert_bad("--interface", "-i", "eth0", "--interface");
	assert_bad("--snaplen", "--snaplen");
	assert_bad("--buffer", "--buffer");
	assert_bad("--tc-mode", "--tc-mode");
}

Test(opts, record_stray_argument)
{
	assert_bad("'eth0'", "eth0");
	cr_assert(strstr(P.err, "-i"), "should point at -i: %s", P.err);
	assert_bad("'eth0'", "-q", "eth0");
	/* GNU getopt moves operands to the end: still caught. */
	assert_bad("'eth0'", "eth0", "-q", "-d", "5");
	assert_bad("'eth1'", "-i", "eth0", "eth1");
	assert_bad("'-q'", "--", "-q");
}

Test(opts, record_parse_twice)
{
	/* record_parse_args is a library function: a second call must not see
	 * what the first left in getopt's state. "-hq" stops at -h with "q"
	 * still pending. */
	assert_ok("-hq");
	cr_assert(P.o.help);
	assert_ok("-d", "5");
	cr_assert_not(P.o.quiet, "-q of the previous command line leaked in");
	cr_assert_eq(P.o.duration_ms, 5000);

	cr_assert_eq(parse("-xa", NULL), -EINVAL);
	assert_ok("-i", "eth0");
	cr_assert_not(P.o.run.all_frames, "-a of the previous command line leaked in");
	cr_assert_eq(P.o.run.n_ifaces, 1);
}

Test(opts, record_error_fits_small_buffer)
{
	char *argv[] = { "record", "--tc-mode", "a-very-long-and-wrong-mode-name", NULL };
	struct record_opts o;
	char err[16];

	memset(err, 'Z', sizeof(err));
	cr_assert_eq(record_parse_args(3, argv, &o, err, 8), -EINVAL);
	cr_assert_eq(strlen(err), 7);
	cr_assert_eq(err[8], 'Z');
	record_opts_free(&o);
}

Test(opts, record_filter)
{
	assert_ok("-f", "tcp port 873", "-m", "gso_size < 64", "--match=anomaly", "--match", "segs > 44");
	cr_assert_str_eq(P.o.filter_expr, "tcp port 873");
	cr_assert_eq(P.o.n_match, 3);
	cr_assert_str_eq(P.o.match[0], "gso_size < 64");
	cr_assert_str_eq(P.o.match[1], "anomaly");
	cr_assert_str_eq(P.o.match[2], "segs > 44");
	assert_ok("--filter", "udp");
	cr_assert_str_eq(P.o.filter_expr, "udp");
	cr_assert_eq(P.o.n_match, 0, "-m of the previous command line leaked in");
	assert_bad("-f is given once", "-f", "tcp", "-f", "udp");
	assert_bad("at most 16", "-mlen>1", "-mlen>1", "-mlen>1", "-mlen>1", "-mlen>1", "-mlen>1",
		   "-mlen>1", "-mlen>1", "-mlen>1", "-mlen>1", "-mlen>1", "-mlen>1", "-mlen>1", "-mlen>1",
		   "-mlen>1", "-mlen>1", "-mlen>1");
}
