// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * prom: the text exposition written from known aggregates, against golden
 * text (tests/fixtures/prom/, regenerate with VNO_UPDATE_FIXTURES=1 from the
 * repository root and read the diff), label escaping, histogram
 * invariants (cumulative, +Inf last and equal to _count), one line per
 * series, the netns label; and export's options.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>
#include "export.h"
#include "prom.h"

#define FIXTURES "tests/fixtures/prom/"

/* ---- helpers ----------------------------------------------------------------- */

static char *render(const struct prom_input *in)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cr_assert_not_null(f);
	cr_assert_eq(prom_write(f, in), 0);
	fclose(f);
	return buf;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = calloc(1, n + 1);
	cr_assert_eq(fread(buf, 1, n, f), (size_t)n);
	fclose(f);
	return buf;
}

/* Compare with the golden file, naming the first line that differs. */
static void golden(const char *name, const char *got)
{
	char path[256];
	char *want;
	size_t line = 1, i;

	snprintf(path, sizeof(path), FIXTURES "%s", name);
	if (getenv("VNO_UPDATE_FIXTURES")) {
		FILE *f = fopen(path, "w");

		cr_assert_not_null(f, "%s: cannot write", path);
		fputs(got, f);
		fclose(f);
	}
	want = slurp(path);
	cr_assert_not_null(want, "%s missing (run the unit tests from the repository root)",
			   path);
	for (i = 0; want[i] && want[i] == got[i]; i++)
		if (want[i] == '\n')
			line++;
	if (want[i] != got[i]) {
		const char *w = want + i, *g = got + i;

		while (w > want && w[-1] != '\n')
			w--;
		while (g > got && g[-1] != '\n')
			g--;
		cr_assert_fail("%s line %zu:\n  want: %.*s\n  got:  %.*s", path, line,
			       (int)strcspn(w, "\n"), w, (int)strcspn(g, "\n"), g);
	}
	free(want);
}

/* Series lines ("name{labels} value"), without comments. */
struct series {
	char **key;	/* name{labels} */
	char **val;
	size_t n;
};

static void series_parse(struct series *s, const char *text)
{
	char *copy = strdup(text), *save, *line;

	memset(s, 0, sizeof(*s));
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *sp;

		if (line[0] == '#')
			continue;
		sp = strrchr(line, ' ');
		cr_assert_not_null(sp, "no value in '%s'", line);
		s->key = realloc(s->key, (s->n + 1) * sizeof(*s->key));
		s->val = realloc(s->val, (s->n + 1) * sizeof(*s->val));
		s->key[s->n] = strndup(line, sp - line);
		s->val[s->n] = strdup(sp + 1);
		s->n++;
	}
	free(copy);
}

static void series_free(struct series *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->key[i]);
		free(s->val[i]);
	}
	free(s->key);
	free(s->val);
}

static const char *series_get(const struct series *s, const char *key)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->key[i], key))
			return s->val[i];
	return NULL;
}

static void assert_unique(const char *text)
{
	struct series s;

	series_parse(&s, text);
	for (size_t i = 0; i < s.n; i++)
		for (size_t j = i + 1; j < s.n; j++)
			cr_assert_str_neq(s.key[i], s.key[j], "series %s twice", s.key[i]);
	series_free(&s);
}

/*
 * Every histogram @name{@labels,le=...}: le strictly increasing and +Inf
 * last, counts cumulative, +Inf == _count. Returns the number of buckets.
 */
static size_t check_histogram(const char *text, const char *name, const char *labels)
{
	char prefix[512], key[512];
	struct series s;
	double last_le = -1;
	unsigned long long last = 0, inf = 0;
	size_t n = 0;
	bool have_inf = false;

	series_parse(&s, text);
	snprintf(prefix, sizeof(prefix), "%s_bucket{%s,le=\"", name, labels);
	for (size_t i = 0; i < s.n; i++) {
		const char *le;
		unsigned long long v = strtoull(s.val[i], NULL, 10);

		if (strncmp(s.key[i], prefix, strlen(prefix)))
			continue;
		cr_assert(!have_inf, "%s: a bucket after +Inf", s.key[i]);
		le = s.key[i] + strlen(prefix);
		if (!strncmp(le, "+Inf\"", 5)) {
			have_inf = true;
			inf = v;
		} else {
			double b = strtod(le, NULL);

			cr_assert_gt(b, last_le, "%s: le not increasing", s.key[i]);
			last_le = b;
		}
		cr_assert_geq(v, last, "%s: %llu after %llu, not cumulative", s.key[i], v, last);
		last = v;
		n++;
	}
	cr_assert(have_inf, "%s{%s}: no +Inf bucket", name, labels);
	snprintf(key, sizeof(key), "%s_count{%s}", name, labels);
	cr_assert_not_null(series_get(&s, key), "%s missing", key);
	cr_assert_eq(strtoull(series_get(&s, key), NULL, 10), inf, "%s != +Inf", key);
	series_free(&s);
	return n;
}

/* ---- a known host --------------------------------------------------------------- */

static struct vno_stats st_rx, st_xmit, st_done, st_plain;

static const struct prom_hook hooks[] = {
	{ "rx", "tp_btf/netif_receive_skb" },
	{ "xmit", "tp_btf/net_dev_start_xmit" },
	{ "tc-egress", "none: no TCX or clsact here" },
};

static const struct prom_named hangs[] = {
	{ "watchdog", 0 }, { "kmsg", 1 }, { "stall", 2 }, { "manual", 0 },
};

static void fill_stats(void)
{
	memset(&st_rx, 0, sizeof(st_rx));
	memset(&st_xmit, 0, sizeof(st_xmit));
	memset(&st_done, 0, sizeof(st_done));
	memset(&st_plain, 0, sizeof(st_plain));

	/* tap0 rx: 3 TSO frames as a guest writes them, gso_segs not yet
	 * counted (0), gso_size 1448 (slot 11: [1024, 2048)). */
	st_rx.frames = 3;
	st_rx.bytes = 3 * 14546;
	st_rx.csum[VNO_CSUM_PARTIAL] = 3;
	st_rx.gso_size[vno_log2_slot(1448, VNO_SIZE_SLOTS)] = 3;
	st_rx.gso_segs[vno_log2_slot(0, VNO_SEGS_SLOTS)] = 3;

	/* up0 xmit: the same frames counted, 10 segments each (slot 4: [8, 16)),
	 * plus one of 64 segments (slot 7) and a 40000-segment one (slot 16,
	 * the last: only in +Inf). */
	st_xmit.frames = 5;
	st_xmit.bytes = 3 * 14546 + 65000 + 60000;
	st_xmit.segs = 30 + 64 + 40000;
	st_xmit.csum[VNO_CSUM_PARTIAL] = 4;
	st_xmit.csum[VNO_CSUM_UNNECESSARY] = 1;
	st_xmit.gso_size[vno_log2_slot(1448, VNO_SIZE_SLOTS)] = 4;
	st_xmit.gso_size[vno_log2_slot(1, VNO_SIZE_SLOTS)] = 1;
	st_xmit.gso_segs[vno_log2_slot(10, VNO_SEGS_SLOTS)] = 3;
	st_xmit.gso_segs[vno_log2_slot(64, VNO_SEGS_SLOTS)] = 1;
	st_xmit.gso_segs[vno_log2_slot(40000, VNO_SEGS_SLOTS)] = 1;

	/* up0 done: latencies 0.5 us (slot 0), 3 us, 3 us (slot 2), 150 us
	 * (slot 8) and 10 s (the last slot: only in +Inf). */
	st_done.frames = 5;
	st_done.bytes = st_xmit.bytes;
	st_done.csum[VNO_CSUM_PARTIAL] = 5;
	st_done.lat[vno_log2_slot(0, VNO_LOG2_SLOTS)] = 1;
	st_done.lat[vno_log2_slot(3, VNO_LOG2_SLOTS)] = 2;
	st_done.lat[vno_log2_slot(150, VNO_LOG2_SLOTS)] = 1;
	st_done.lat[vno_log2_slot(10000000, VNO_LOG2_SLOTS)] = 1;
	st_done.lat_sum_ns = 500 + 3000 + 3000 + 150000 + 10000000000ULL;
	st_done.lat_count = 5;

	/* up0 xmit, not GSO: ARP and such. No histograms. */
	st_plain.frames = 7;
	st_plain.bytes = 7 * 60;
	st_plain.csum[VNO_CSUM_NONE] = 7;
}

static const struct prom_queue queues[] = {
	{ "up0", 4026531840u, 1, 3, 40 },
	{ "up0", 4026531840u, 0, -2, 2 }, /* drifted below zero: 0; unseen summed: 42 */
};

static const struct prom_drop drops[] = {
	{ "up0", 4026531840u, "NO_SOCKET", 3 },
	{ "up0", 4026531840u, "OTHERHOST", 1 },
	{ "tap0", 4026531840u, "77", 2 }, /* a reason the kernel has no name for */
};

static const struct prom_anomaly anomalies[] = {
	{ "up0", 4026531840u, NULL, 12 },
	{ "up0", 4026531840u, "gso_size_tiny", 1 },
	{ "up0", 4026531840u, "gso_csum_offset", 0 },
};

/* Two causes of one rule on vxlan0 (one freed, one answered) are one
 * series. */
static const struct prom_anomaly explained[] = {
	{ "vxlan0", 4026531840u, "df_segment_over_path_mtu", 3 },
	{ "vxlan0", 4026531840u, "tunnel_segment_over_mtu", 1 },
	{ "vxlan0", 4026531840u, "df_segment_over_path_mtu", 2 },
};

/* Unsorted, a tap's with its VM: sorted by device, vm, then feature. */
static const struct prom_offload offloads[] = {
	{ "up0", 4026531840u, "tx-tcp-segmentation", true },
	{ "up0", 4026531840u, "rx-gro-hw", false },
	{ "tap0", 4026531840u, "tx-udp-segmentation", false, "web-01" },
};

/* up0's last ring report: 51 descriptors pending (the report of issue #23). */
static const struct prom_ring rings[] = { { "up0", 4026531840u, 51 } };

static struct prom_input known_input(struct prom_stat *rows)
{
	fill_stats();
	rows[0] = (struct prom_stat){ "up0", 4026531840u, VNO_HOP_XMIT, VNO_GK_TCPV4, &st_xmit };
	rows[1] = (struct prom_stat){ "tap0", 4026531840u, VNO_HOP_RX, VNO_GK_TCPV4, &st_rx };
	rows[2] = (struct prom_stat){ "up0", 4026531840u, VNO_HOP_DONE, VNO_GK_TCPV4, &st_done };
	rows[3] = (struct prom_stat){ "up0", 4026531840u, VNO_HOP_XMIT, VNO_GK_NONE, &st_plain };
	return (struct prom_input){
		.version = "0.1.0",
		.hooks = hooks,
		.n_hooks = 3,
		.stats = rows,
		.n_stats = 4,
		.queues = queues,
		.n_queues = 2,
		.drops = drops,
		.n_drops = 3,
		.anomalies = anomalies,
		.n_anomalies = 3,
		.explained = explained,
		.n_explained = 3,
		.offloads = offloads,
		.n_offloads = 3,
		.rings = rings,
		.n_rings = 1,
		.hangs = hangs,
		.n_hangs = 4,
		.events_lost = 0,
		.inflight_full = 5,
	};
}

/* ---- the formatter ---------------------------------------------------------------- */

Test(prom, golden_host)
{
	struct prom_stat rows[4];
	struct prom_input in = known_input(rows);
	char *text = render(&in);

	golden("host.prom", text);
	assert_unique(text);
	cr_assert_not_null(strstr(text, "# TYPE vnoffload_drops_explained_total counter\n"
					"vnoffload_drops_explained_total{device=\"vxlan0\","
					"cause=\"df_segment_over_path_mtu\"} 5\n"
					"vnoffload_drops_explained_total{device=\"vxlan0\","
					"cause=\"tunnel_segment_over_mtu\"} 1\n"), "%s", text);
	cr_assert_not_null(strstr(text, "# TYPE vnoffload_offload_enabled gauge\n"
					"vnoffload_offload_enabled{device=\"tap0\",vm=\"web-01\","
					"feature=\"tx-udp-segmentation\"} 0\n"
					"vnoffload_offload_enabled{device=\"up0\",feature=\"rx-gro-hw\"} 0\n"
					"vnoffload_offload_enabled{device=\"up0\","
					"feature=\"tx-tcp-segmentation\"} 1\n"));
	free(text);
}

Test(prom, golden_empty)
{
	struct prom_input in = { .version = "0.1.0" };
	char *text = render(&in);

	/* Every family is announced, no device series. */
	golden("empty.prom", text);
	cr_assert_not_null(strstr(text, "# TYPE vnoffload_frames_total counter\n"));
	cr_assert_null(strstr(text, "device="));
	free(text);
}

Test(prom, histograms_consistent)
{
	struct prom_stat rows[4];
	struct prom_input in = known_input(rows);
	char *text = render(&in);
	struct series s;

	/* Every finite slot has its bucket; the last slot only feeds +Inf. */
	cr_assert_eq(check_histogram(text, "vnoffload_gso_segs",
				     "device=\"up0\",hop=\"xmit\",gso=\"tcpv4\""),
		     VNO_SEGS_SLOTS);
	cr_assert_eq(check_histogram(text, "vnoffload_gso_segs",
				     "device=\"tap0\",hop=\"rx\",gso=\"tcpv4\""),
		     VNO_SEGS_SLOTS);
	cr_assert_eq(check_histogram(text, "vnoffload_gso_size_bytes",
				     "device=\"up0\",hop=\"xmit\",gso=\"tcpv4\""),
		     VNO_SIZE_SLOTS);
	cr_assert_eq(check_histogram(text, "vnoffload_tx_completion_latency_seconds",
				     "device=\"up0\",gso=\"tcpv4\""),
		     VNO_LOG2_SLOTS);

	series_parse(&s, text);
#define GET(k) series_get(&s, k)
	/* gso_segs: 10 -> le 15; 64 -> le 127; 40000 only in +Inf. */
	cr_assert_str_eq(GET("vnoffload_gso_segs_bucket{device=\"up0\",hop=\"xmit\",gso=\"tcpv4\","
			     "le=\"7\"}"), "0");
	cr_assert_str_eq(GET("vnoffload_gso_segs_bucket{device=\"up0\",hop=\"xmit\",gso=\"tcpv4\","
			     "le=\"15\"}"), "3");
	cr_assert_str_eq(GET("vnoffload_gso_segs_bucket{device=\"up0\",hop=\"xmit\",gso=\"tcpv4\","
			     "le=\"127\"}"), "4");
	cr_assert_str_eq(GET("vnoffload_gso_segs_bucket{device=\"up0\",hop=\"xmit\",gso=\"tcpv4\","
			     "le=\"32767\"}"), "4");
	cr_assert_str_eq(GET("vnoffload_gso_segs_bucket{device=\"up0\",hop=\"xmit\",gso=\"tcpv4\","
			     "le=\"+Inf\"}"), "5");
	cr_assert_str_eq(GET("vnoffload_gso_segs_sum{device=\"up0\",hop=\"xmit\",gso=\"tcpv4\"}"),
			 "40094");
	/* A guest's frame before the kernel counted it: gso_segs 0. */
	cr_assert_str_eq(GET("vnoffload_gso_segs_bucket{device=\"tap0\",hop=\"rx\",gso=\"tcpv4\","
			     "le=\"0\"}"), "3");
	/* gso_size 1448 -> le 2047, 1 -> le 1; no _sum without the BPF side's. */
	cr_assert_str_eq(GET("vnoffload_gso_size_bytes_bucket{device=\"up0\",hop=\"xmit\","
			     "gso=\"tcpv4\",le=\"1\"}"), "1");
	cr_assert_str_eq(GET("vnoffload_gso_size_bytes_bucket{device=\"up0\",hop=\"xmit\","
			     "gso=\"tcpv4\",le=\"1023\"}"), "1");
	cr_assert_str_eq(GET("vnoffload_gso_size_bytes_bucket{device=\"up0\",hop=\"xmit\","
			     "gso=\"tcpv4\",le=\"2047\"}"), "5");
	cr_assert_null(GET("vnoffload_gso_size_bytes_sum{device=\"up0\",hop=\"xmit\",gso=\"tcpv4\"}"));
	/* Latency in seconds: < 1 us, < 4 us, < 256 us, then only +Inf. */
	cr_assert_str_eq(GET("vnoffload_tx_completion_latency_seconds_bucket{device=\"up0\","
			     "gso=\"tcpv4\",le=\"0.000001\"}"), "1");
	cr_assert_str_eq(GET("vnoffload_tx_completion_latency_seconds_bucket{device=\"up0\","
			     "gso=\"tcpv4\",le=\"0.000004\"}"), "3");
	cr_assert_str_eq(GET("vnoffload_tx_completion_latency_seconds_bucket{device=\"up0\","
			     "gso=\"tcpv4\",le=\"0.000128\"}"), "3");
	cr_assert_str_eq(GET("vnoffload_tx_completion_latency_seconds_bucket{device=\"up0\","
			     "gso=\"tcpv4\",le=\"0.000256\"}"), "4");
	cr_assert_str_eq(GET("vnoffload_tx_completion_latency_seconds_bucket{device=\"up0\","
			     "gso=\"tcpv4\",le=\"4.194304\"}"), "4");
	cr_assert_str_eq(GET("vnoffload_tx_completion_latency_seconds_bucket{device=\"up0\","
			     "gso=\"tcpv4\",le=\"+Inf\"}"), "5");
	cr_assert_str_eq(GET("vnoffload_tx_completion_latency_seconds_sum{device=\"up0\","
			     "gso=\"tcpv4\"}"), "10.0001565");
	/* No histograms for frames that are not GSO, none of latency before done. */
	cr_assert_null(strstr(text, "vnoffload_gso_segs_count{device=\"up0\",hop=\"xmit\","
			       "gso=\"none\"}"));
	cr_assert_null(strstr(text, "latency_seconds_count{device=\"tap0\""));
	/* In flight clamped at 0; unnamed drop reasons as numbers. */
	cr_assert_str_eq(GET("vnoffload_frames_in_flight{device=\"up0\",queue=\"0\"}"), "0");
	cr_assert_str_eq(GET("vnoffload_frames_in_flight{device=\"up0\",queue=\"1\"}"), "3");
	cr_assert_str_eq(GET("vnoffload_drops_total{device=\"tap0\",reason=\"77\"}"), "2");
#undef GET
	series_free(&s);
	free(text);
}

Test(prom, gso_size_sum_when_known)
{
	struct prom_stat rows[4];
	struct prom_input in = known_input(rows);
	char *text;

	rows[0].gso_size_sum = 4 * 1448 + 1;
	in.have_gso_size_sum = true;
	text = render(&in);
	cr_assert_not_null(strstr(text, "vnoffload_gso_size_bytes_sum{device=\"up0\",hop=\"xmit\","
					"gso=\"tcpv4\"} 5793\n"));
	cr_assert_null(strstr(text, "no _sum"));
	check_histogram(text, "vnoffload_gso_size_bytes", "device=\"up0\",hop=\"xmit\",gso=\"tcpv4\"");
	free(text);
}

/* The last slot has no finite bound: a histogram full of huge values still
 * has every finite bucket at 0 and +Inf == _count. */
Test(prom, histogram_overflow_only)
{
	struct vno_stats st = {};
	struct prom_stat row = { "eno1", 1, VNO_HOP_DONE, VNO_GK_TCPV6, &st };
	struct prom_input in = { .version = "x", .stats = &row, .n_stats = 1 };
	char *text;

	st.frames = st.lat_count = 2;
	st.lat[VNO_LOG2_SLOTS - 1] = 2;
	st.lat_sum_ns = 20000000000ULL;
	text = render(&in);
	check_histogram(text, "vnoffload_tx_completion_latency_seconds",
			"device=\"eno1\",gso=\"tcpv6\"");
	cr_assert_not_null(strstr(text, "le=\"4.194304\"} 0\n"));
	cr_assert_not_null(strstr(text, "le=\"+Inf\"} 2\n"));
	cr_assert_not_null(strstr(text, "_sum{device=\"eno1\",gso=\"tcpv6\"} 20\n"));
	free(text);
}

static char *label_value(const char *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	prom_label_value(f, s);
	fclose(f);
	return buf;
}

Test(prom, label_escaping)
{
	static const struct { const char *in, *want; } cases[] = {
		{ "eno1", "eno1" },
		{ "a\\b", "a\\\\b" },
		{ "a\"b", "a\\\"b" },
		{ "a\nb", "a\\nb" },
		{ "\\\"\n", "\\\\\\\"\\n" },
		/* Tabs and other bytes pass as they are. */
		{ "a\tb{c}=,d", "a\tb{c}=,d" },
		/* UTF-8 passes; what is not UTF-8 becomes U+FFFD. */
		{ "br-\xc3\xa9t\xc3\xa9", "br-\xc3\xa9t\xc3\xa9" },
		{ "x\xff" "y", "x\xef\xbf\xbdy" },
		{ "\xc3", "\xef\xbf\xbd" },		/* cut sequence */
		{ "\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd" }, /* overlong '/' */
		{ "\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" }, /* surrogate */
		{ "\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80" },
		{ "", "" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = label_value(cases[i].in);

		cr_assert_str_eq(got, cases[i].want, "case %zu", i);
		free(got);
	}
}

/* Escaping in the output itself: every place a name from outside goes. */
Test(prom, golden_escaped_labels)
{
	static struct vno_stats st;
	static const char dev[] = "we\"ird\\dev\n\xff";
	struct prom_stat row = { dev, 1, VNO_HOP_XMIT, VNO_GK_NONE, &st };
	struct prom_queue q = { dev, 1, 0, 1 };
	struct prom_drop d = { dev, 1, "REASON\"X", 1 };
	struct prom_anomaly a[] = { { dev, 1, NULL, 2 }, { dev, 1, "rule\\1", 1 } };
	struct prom_hook h = { "xmit", "none: \"quoted\"\nreason" };
	struct prom_named hg = { "kmsg", 1 };
	struct prom_input in = {
		.version = "1.0\"-rc\\1",
		.hooks = &h, .n_hooks = 1,
		.stats = &row, .n_stats = 1,
		.queues = &q, .n_queues = 1,
		.drops = &d, .n_drops = 1,
		.anomalies = a, .n_anomalies = 2,
		.hangs = &hg, .n_hangs = 1,
	};
	char *text;

	st.frames = 1;
	text = render(&in);
	golden("escaped.prom", text);
	cr_assert_not_null(strstr(text, "vnoffload_frames_total{device=\"we\\\"ird\\\\dev\\n"
					"\xef\xbf\xbd\",hop=\"xmit\",gso=\"none\"} 1\n"));
	/* A raw line feed in a value would start a line of its own. */
	for (const char *p = text; *p; p += strcspn(p, "\n") + 1)
		cr_assert(*p == '#' || !strncmp(p, "vnoffload_", 10), "stray line: %.*s",
			  (int)strcspn(p, "\n"), p);
	free(text);
}

/* A device deleted and created again under its name has a new ifindex:
 * its rows are summed into one series, which then never goes down. */
Test(prom, equal_labels_summed)
{
	static struct vno_stats a, b;
	struct prom_stat rows[] = {
		{ "tap0", 7, VNO_HOP_RX, VNO_GK_TCPV4, &a },
		{ "tap0", 7, VNO_HOP_RX, VNO_GK_TCPV4, &b },
	};
	struct prom_queue q[] = { { "tap0", 7, 0, 2 }, { "tap0", 7, 0, -5 }, { "tap0", 7, 0, 1 } };
	struct prom_drop d[] = { { "tap0", 7, "NO_SOCKET", 2 }, { "tap0", 7, "NO_SOCKET", 3 } };
	struct prom_named h[] = { { "stall", 1 }, { "stall", 2 } };
	struct prom_hook hk[] = { { "rx", "x" }, { "rx", "x" } };
	struct prom_input in = { .version = "v", .stats = rows, .n_stats = 2, .queues = q,
				 .n_queues = 3, .drops = d, .n_drops = 2, .hangs = h, .n_hangs = 2,
				 .hooks = hk, .n_hooks = 2 };
	char *text;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	a.frames = 2;
	a.gso_size[11] = 2;
	a.gso_segs[4] = 2;
	a.segs = 20;
	b.frames = 3;
	b.gso_size[11] = 3;
	b.gso_segs[4] = 3;
	b.segs = 30;
	text = render(&in);
	assert_unique(text);
	cr_assert_not_null(strstr(text, "vnoffload_frames_total{device=\"tap0\",hop=\"rx\","
					"gso=\"tcpv4\"} 5\n"));
	cr_assert_not_null(strstr(text, "vnoffload_gso_segs_sum{device=\"tap0\",hop=\"rx\","
					"gso=\"tcpv4\"} 50\n"));
	cr_assert_not_null(strstr(text, "vnoffload_frames_in_flight{device=\"tap0\",queue=\"0\"} 3\n"));
	cr_assert_not_null(strstr(text, "vnoffload_drops_total{device=\"tap0\",reason=\"NO_SOCKET\"} 5\n"));
	cr_assert_not_null(strstr(text, "vnoffload_hangs_total{source=\"stall\"} 3\n"));
	check_histogram(text, "vnoffload_gso_segs", "device=\"tap0\",hop=\"rx\",gso=\"tcpv4\"");
	free(text);
}

Test(prom, netns_label)
{
	static struct vno_stats st;
	struct prom_stat rows[] = {
		{ "eth0", 100, VNO_HOP_XMIT, VNO_GK_NONE, &st },
		{ "eth0", 200, VNO_HOP_XMIT, VNO_GK_NONE, &st },
	};
	struct prom_input in = { .version = "v", .stats = rows, .n_stats = 1 };
	char *text;

	st.frames = 1;
	/* One namespace: no netns label. */
	text = render(&in);
	cr_assert_not_null(strstr(text, "vnoffload_frames_total{device=\"eth0\",hop=\"xmit\","
					"gso=\"none\"} 1\n"));
	free(text);
	/* Asked for. */
	in.netns_label = true;
	text = render(&in);
	cr_assert_not_null(strstr(text, "vnoffload_frames_total{device=\"eth0\",netns=\"100\","
					"hop=\"xmit\",gso=\"none\"} 1\n"));
	free(text);
	/* Two namespaces, equal names: never merged, told apart by netns. */
	in.netns_label = false;
	in.n_stats = 2;
	text = render(&in);
	cr_assert_not_null(strstr(text, "{device=\"eth0\",netns=\"100\",hop=\"xmit\",gso=\"none\"} 1\n"));
	cr_assert_not_null(strstr(text, "{device=\"eth0\",netns=\"200\",hop=\"xmit\",gso=\"none\"} 1\n"));
	assert_unique(text);
	free(text);
}

/* The VM behind a tap: a vm label on its series only, never vm="" (to
 * Prometheus an empty value is no label), and two VMs' equal device names
 * (a tap re-made by the next VM) are two series. */
Test(prom, vm_label)
{
	static struct vno_stats st;
	struct prom_stat rows[] = {
		{ .dev = "tap101i0", .netns = 1, .hop = VNO_HOP_RX, .gso_kind = VNO_GK_TCPV4,
		  .st = &st, .vm = "web-01" },
		{ .dev = "tap101i0", .netns = 1, .hop = VNO_HOP_RX, .gso_kind = VNO_GK_TCPV4,
		  .st = &st, .vm = "web-02" },
		{ .dev = "eno1", .netns = 1, .hop = VNO_HOP_XMIT, .gso_kind = VNO_GK_TCPV4,
		  .st = &st, .vm = "" },
	};
	struct prom_queue q[] = { { .dev = "tap101i0", .netns = 1, .queue = 0, .inflight = 2,
				    .vm = "web \"1\"" } };
	struct prom_input in = { .version = "v", .stats = rows, .n_stats = 3, .queues = q,
				 .n_queues = 1 };
	char *text;

	st.frames = 4;
	text = render(&in);
	assert_unique(text);
	cr_assert_not_null(strstr(text, "vnoffload_frames_total{device=\"tap101i0\",vm=\"web-01\","
					"hop=\"rx\",gso=\"tcpv4\"} 4\n"));
	cr_assert_not_null(strstr(text, "vnoffload_frames_total{device=\"tap101i0\",vm=\"web-02\","
					"hop=\"rx\",gso=\"tcpv4\"} 4\n"));
	cr_assert_not_null(strstr(text, "vnoffload_frames_total{device=\"eno1\",hop=\"xmit\","
					"gso=\"tcpv4\"} 4\n"));
	cr_assert_null(strstr(text, "vm=\"\""));
	cr_assert_not_null(strstr(text, "vnoffload_frames_in_flight{device=\"tap101i0\","
					"vm=\"web \\\"1\\\"\",queue=\"0\"} 2\n"));
	free(text);
}

Test(prom, gso_kind_names)
{
	cr_assert_str_eq(prom_gso_kind_name(VNO_GK_NONE), "none");
	cr_assert_str_eq(prom_gso_kind_name(VNO_GK_TCPV4), "tcpv4");
	cr_assert_str_eq(prom_gso_kind_name(VNO_GK_TCPV6), "tcpv6");
	cr_assert_str_eq(prom_gso_kind_name(VNO_GK_UDP_L4), "udp_l4");
	cr_assert_str_eq(prom_gso_kind_name(VNO_GK_OTHER), "other");
	cr_assert_str_eq(prom_gso_kind_name(VNO_GK__MAX), "?");
}

/* A write error is reported, not swallowed. */
Test(prom, write_error)
{
	struct prom_input in = { .version = "v" };
	FILE *f = fopen("/dev/full", "w");

	if (!f)
		cr_skip_test("no /dev/full");
	setvbuf(f, NULL, _IONBF, 0);
	cr_assert_eq(prom_write(f, &in), -EIO);
	fclose(f);
}

/* ---- export's options --------------------------------------------------------------- */

Test(prom, listen_valid)
{
	static const struct { const char *s, *host; unsigned port; } ok[] = {
		{ "127.0.0.1:9100", "127.0.0.1", 9100 },
		{ ":9100", "", 9100 },
		{ "[::1]:80", "::1", 80 },
		{ "[2001:db8::1]:65535", "2001:db8::1", 65535 },
		{ "localhost:0", "localhost", 0 },
		{ "0.0.0.0:1", "0.0.0.0", 1 },
	};
	char host[64];
	unsigned port;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		cr_assert_eq(export_parse_listen(ok[i].s, host, sizeof(host), &port), 0, "'%s'",
			     ok[i].s);
		cr_assert_str_eq(host, ok[i].host, "'%s'", ok[i].s);
		cr_assert_eq(port, ok[i].port, "'%s'", ok[i].s);
	}
}

Test(prom, listen_invalid)
{
	static const char *const bad[] = {
		"", "9100", "127.0.0.1", "127.0.0.1:", ":", ":65536", ":-1", ":+5", ":9100x",
		"::1:9100", "[::1]", "[::1]9100", "[]:9100", "[::1:9100", "host:99999999999",
	};
	char host[64];
	unsigned port;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(export_parse_listen(bad[i], host, sizeof(host), &port), -EINVAL,
			     "'%s' accepted", bad[i]);
	cr_assert_eq(export_parse_listen(NULL, host, sizeof(host), &port), -EINVAL);
	/* A host longer than the buffer is refused, not cut. */
	cr_assert_eq(export_parse_listen("averyveryverylonghostname:1", host, 8, &port), -EINVAL);
}

static int parse(struct export_opts *o, char *err, size_t errlen, ...)
{
	char *argv[32];
	int argc = 0;
	va_list ap;

	argv[argc++] = "export";
	va_start(ap, errlen);
	for (char *a; (a = va_arg(ap, char *));)
		argv[argc++] = a;
	va_end(ap);
	argv[argc] = NULL;
	err[0] = '\0';
	return export_parse_args(argc, argv, o, err, errlen);
}

Test(prom, export_defaults)
{
	struct export_opts o;
	char err[256];

	cr_assert_eq(parse(&o, err, sizeof(err), NULL), 0, "%s", err);
	cr_assert_str_eq(o.host, PROM_DEFAULT_HOST);
	cr_assert_eq(o.port, PROM_DEFAULT_PORT);
	cr_assert_eq(o.run.stall_ms, 1000);
	cr_assert_eq(o.run.window, 1024);
	/* Always on: the tracepoint hops only unless TC is asked for. */
	cr_assert_eq(o.run.tc_mode, TC_OFF);
	cr_assert_null(o.hang_dir);
	cr_assert_eq(o.run.n_ifaces, 0);
	cr_assert(!o.json && !o.help);
	export_opts_free(&o);
}

Test(prom, export_options)
{
	struct export_opts o;
	char err[256];

	cr_assert_eq(parse(&o, err, sizeof(err), "--listen", ":9999", "-i", "tap0", "-i", "up*",
			   "--hang-dir", "/var/lib/x", "--stall-ms", "0", "--window", "64",
			   "--hang-pattern", "a", "--hang-pattern", "b", "--json", "--tc-mode",
			   "clsact", NULL),
		     0, "%s", err);
	cr_assert_str_eq(o.host, "");
	cr_assert_eq(o.port, 9999);
	cr_assert_str_eq(o.listen, ":9999");
	cr_assert_eq(o.run.n_ifaces, 2);
	cr_assert_str_eq(o.run.ifaces[1], "up*");
	cr_assert_str_eq(o.hang_dir, "/var/lib/x");
	cr_assert_eq(o.run.stall_ms, 0);
	cr_assert_eq(o.run.window, 64);
	cr_assert_eq(o.run.n_hang_patterns, 2);
	cr_assert_str_eq(o.run.hang_patterns[1], "b");
	cr_assert(o.json);
	cr_assert_eq(o.run.tc_mode, TC_CLSACT);
	export_opts_free(&o);
	cr_assert_eq(parse(&o, err, sizeof(err), "--tc-mode", "auto", NULL), 0, "%s", err);
	cr_assert_eq(o.run.tc_mode, TC_AUTO);
	export_opts_free(&o);
}

Test(prom, export_bad_options)
{
	static const struct { const char *a, *b, *msg; } bad[] = {
		{ "--listen", "9100", "--listen 9100: use ADDR:PORT" },
		{ "--listen", "::1:80", "[V6ADDR]:PORT" },
		{ "--stall-ms", "-1", "--stall-ms -1: must be milliseconds" },
		{ "--stall-ms", "3600001", "--stall-ms 3600001" },
		{ "--window", "0", "--window 0: must be a number of frames" },
		{ "--window", "65537", "--window 65537" },
		{ "--tc-mode", "xdp", "--tc-mode xdp: use tcx, clsact, off or auto" },
		{ "--hang-dir", "", "--hang-dir needs a directory" },
		{ "--bogus", NULL, "unknown option --bogus" },
		{ "--listen", NULL, "--listen needs an argument" },
		{ "tap0", NULL, "unexpected argument 'tap0'" },
	};
	struct export_opts o;
	char err[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(parse(&o, err, sizeof(err), bad[i].a, bad[i].b, NULL), -EINVAL,
			     "%s %s accepted", bad[i].a, bad[i].b ? bad[i].b : "");
		cr_assert_not_null(strstr(err, bad[i].msg), "%s: '%s'", bad[i].a, err);
		export_opts_free(&o);
	}
	cr_assert_eq(parse(&o, err, sizeof(err), "-h", NULL), 0);
	cr_assert(o.help);
	export_opts_free(&o);
}
