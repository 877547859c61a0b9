// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The HTML page of record --html and report --html (html_report.h): hang
 * timelines, suspects and remedies, per-device distributions and the
 * session, as one file with inline CSS and SVG and nothing to fetch.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "decode.h"
#include "html_report.h"
#include "json.h"

struct html_hang {
	struct vno_diagnosis dg;	/* frames NULL: see last/n_last */
	struct diag_frame *last;	/* the newest HTML_FRAMES frames of its window */
	size_t n_last;
	struct vno_frame *path;		/* their records at other hops */
	size_t n_path;
};

struct html_report {
	struct vno_frame *ring;		/* the last HTML_RING records, every hop */
	size_t ring_n, ring_head;
	struct html_hang *hangs;	/* HTML_HANGS_DRAWN drawn in full */
	size_t n_hangs;
	struct vno_diagnosis *listed;	/* the others up to HTML_HANGS_LISTED, frameless */
	size_t n_listed;
	__u64 hangs_more;		/* past HTML_HANGS_LISTED */
};

struct html_report *html_report__new(void)
{
	struct html_report *h = calloc(1, sizeof(*h));

	if (h)
		h->ring = calloc(HTML_RING, sizeof(*h->ring));
	if (h)
		h->hangs = calloc(HTML_HANGS_DRAWN, sizeof(*h->hangs));
	if (h)
		h->listed = calloc(HTML_HANGS_LISTED, sizeof(*h->listed));
	if (!h || !h->ring || !h->hangs || !h->listed) {
		html_report__free(h);
		errno = ENOMEM;
		return NULL;
	}
	return h;
}

void html_report__free(struct html_report *h)
{
	if (!h)
		return;
	for (size_t i = 0; i < h->n_hangs; i++) {
		free(h->hangs[i].last);
		free(h->hangs[i].path);
	}
	free(h->hangs);
	free(h->listed);
	free(h->ring);
	free(h);
}

void html_report__frame(struct html_report *h, const struct vno_event *ev)
{
	/* A hang record is no frame; a driver's completion round has no skb. */
	if (!h || ev->f.hop == VNO_HOP_HANG || ev->f.hop == VNO_HOP_DRV_DONE || !ev->f.pkt_id)
		return;
	h->ring[h->ring_head] = ev->f;
	h->ring_head = (h->ring_head + 1) % HTML_RING;
	if (h->ring_n < HTML_RING)
		h->ring_n++;
}

/* The reference time of a timeline: the hang when its clock is the
 * frames' (watchdog, stall, manual), else the last frame (a kmsg
 * timestamp is the printk clock) — as the terminal's table. */
static __u64 ref_ts(const struct vno_diagnosis *dg, const struct diag_frame *last, size_t n)
{
	__u64 t = n ? last[n - 1].ev.f.ts_ns : 0;

	return dg->hang.ts_ns > t ? dg->hang.ts_ns : t;
}

static int cmp_u64(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;

	return x < y ? -1 : x > y;
}

/* The records of the kept frames' packet ids at other hops, from the ring:
 * one pass, ids looked up in a sorted copy. */
static int collect_path(struct html_report *h, struct html_hang *hh)
{
	size_t n = hh->n_last, m = 0;
	__u64 *ids, lo, hi;

	if (!n || !h->ring_n)
		return 0;
	ids = malloc(n * sizeof(*ids));
	hh->path = malloc(h->ring_n * sizeof(*hh->path));
	if (!ids || !hh->path) {
		free(ids);
		free(hh->path);
		hh->path = NULL;
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		ids[i] = hh->last[i].ev.f.pkt_id;
	qsort(ids, n, sizeof(*ids), cmp_u64);
	/* Packet ids come back when skbs are reused: only records near the
	 * window count (a second before its first frame up to the hang). */
	lo = hh->last[0].ev.f.ts_ns;
	lo = lo > 1000000000ULL ? lo - 1000000000ULL : 0;
	hi = ref_ts(&hh->dg, hh->last, n);
	/* Newest first, up to HTML_PATH: a file whose frames all share one
	 * packet id must not draw the whole ring. */
	for (size_t k = h->ring_n; k-- > 0 && m < HTML_PATH;) {
		size_t at = (h->ring_head + HTML_RING - h->ring_n + k) % HTML_RING;
		const struct vno_frame *f = &h->ring[at];

		if (f->ts_ns < lo || f->ts_ns > hi ||
		    !bsearch(&f->pkt_id, ids, n, sizeof(*ids), cmp_u64))
			continue;
		hh->path[m++] = *f;
	}
	free(ids);
	/* Oldest first again, as they are drawn. */
	for (size_t i = 0; i < m / 2; i++) {
		struct vno_frame t = hh->path[i];

		hh->path[i] = hh->path[m - 1 - i];
		hh->path[m - 1 - i] = t;
	}
	hh->n_path = m;
	if (m < h->ring_n) {
		struct vno_frame *p = realloc(hh->path, (m ? m : 1) * sizeof(*p));

		if (p)
			hh->path = p;
	}
	return 0;
}

int html_report__hang(struct html_report *h, const struct vno_diagnosis *dg)
{
	struct html_hang *hh;
	size_t first;

	if (!h)
		return 0;
	if (h->n_hangs == HTML_HANGS_DRAWN) {
		if (h->n_listed == HTML_HANGS_LISTED) {
			h->hangs_more++;
			return 0;
		}
		h->listed[h->n_listed] = *dg;
		h->listed[h->n_listed++].frames = NULL;
		return 0;
	}
	hh = &h->hangs[h->n_hangs];
	memset(hh, 0, sizeof(*hh));
	hh->dg = *dg;
	hh->dg.frames = NULL;
	first = dg->n_frames > HTML_FRAMES ? dg->n_frames - HTML_FRAMES : 0;
	hh->n_last = dg->n_frames - first;
	if (hh->n_last) {
		hh->last = malloc(hh->n_last * sizeof(*hh->last));
		if (!hh->last)
			return -ENOMEM;
		memcpy(hh->last, dg->frames + first, hh->n_last * sizeof(*hh->last));
	}
	if (collect_path(h, hh)) {
		free(hh->last);
		return -ENOMEM;
	}
	h->n_hangs++;
	return 0;
}

/* ---- text ------------------------------------------------------------------ */

void html_str(FILE *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t n = strlen((const char *)p), k;

	while (*p) {
		const unsigned char *run = p;

		for (; *p >= 0x20 && *p < 0x7F && !strchr("&<>\"'", *p); p++)
			;
		fwrite(run, 1, (size_t)(p - run), out);
		n -= (size_t)(p - run);
		if (!*p)
			break;
		switch (*p) {
		case '&': fputs("&amp;", out); break;
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '"': fputs("&quot;", out); break;
		case '\'': fputs("&#39;", out); break;
		default:
			k = *p >= 0x80 ? utf8_char_len(p, n) : 0;
			if (k && !utf8_is_c1(p, k)) {
				fwrite(p, 1, k, out);
				p += k;
				n -= k;
				continue;
			}
			/* A control, DEL, a C1 control or a byte that is not
			 * UTF-8: seen, not obeyed. */
			if (!k)
				k = 1;
			for (size_t i = 0; i < k; i++)
				fprintf(out, "\\x%02x", p[i]);
			p += k;
			n -= k;
			continue;
		}
		p++;
		n--;
	}
}

/* A fixed-size name from a record (not NUL-terminated when full). */
static void html_name(FILE *out, const char *s, size_t len)
{
	char b[65];

	snprintf(b, sizeof(b), "%.*s", (int)(len < sizeof(b) ? len : sizeof(b) - 1), s);
	html_str(out, b);
}

static void fmt_dur(char *buf, size_t len, double s)
{
	if (s < 1e-3)
		snprintf(buf, len, "%.0f µs", s * 1e6);
	else if (s < 1)
		snprintf(buf, len, "%.3g ms", s * 1e3);
	else if (s < 1000)
		snprintf(buf, len, "%.3g s", s);
	else
		snprintf(buf, len, "%.0f s", s);
}

static void fmt_count(char *buf, size_t len, __u64 v)
{
	if (v >= 1048576 && !(v % 1048576))
		snprintf(buf, len, "%" PRIu64 "M", (uint64_t)(v / 1048576));
	else if (v >= 1024 && !(v % 1024))
		snprintf(buf, len, "%" PRIu64 "K", (uint64_t)(v / 1024));
	else
		snprintf(buf, len, "%" PRIu64, (uint64_t)v);
}

static void anomaly_list(FILE *out, __u64 m)
{
	bool first = true;

	for (; m; m &= m - 1) {
		fprintf(out, "%s%s", first ? "" : ", ", anomaly_name((unsigned)__builtin_ctzll(m)));
		first = false;
	}
}

/* ---- the hang timeline ------------------------------------------------------ */

/* Lanes follow the path: what the guest wrote, the tap's rx, the bridge,
 * the qdisc, the driver hand-off, the driver, the release. */
static int hop_rank(unsigned hop)
{
	static const int rank[VNO_HOP__MAX] = {
		[VNO_HOP_GUEST] = 0, [VNO_HOP_RX] = 1, [VNO_HOP_TC_INGRESS] = 2,
		[VNO_HOP_BR_FWD] = 3, [VNO_HOP_TC_EGRESS] = 4, [VNO_HOP_XMIT] = 5,
		[VNO_HOP_DRV_XMIT] = 6, [VNO_HOP_DONE] = 7, [VNO_HOP_DROP] = 8,
		[VNO_HOP_HANG] = 9, [VNO_HOP_DRV_DONE] = 9,
	};

	return hop < VNO_HOP__MAX ? rank[hop] : 10;
}

struct lane {
	__u32 netns, ifindex;
	__u8 hop;
	char dev[VNO_IFNAMSIZ + 1];
};

struct mark {
	const struct vno_frame *f;
	__u64 anomalies;
	bool open;	/* handed to the driver, never completed */
	int lane;
	int col;	/* column of the order zoom, -1: not in it */
};

struct timeline {
	struct lane lanes[HTML_LANES];
	int n_lanes;
	__u64 lanes_more;	/* records on lanes past HTML_LANES */
	__u32 types[8];		/* gso_type of each colour, in order met */
	int n_types;
	bool other_types;
};

static int lane_of(struct timeline *t, const struct vno_frame *f)
{
	int i;

	for (i = 0; i < t->n_lanes; i++)
		if (t->lanes[i].netns == f->netns && t->lanes[i].ifindex == f->ifindex &&
		    t->lanes[i].hop == f->hop)
			return i;
	if (t->n_lanes == HTML_LANES) {
		t->lanes_more++;
		return -1;
	}
	t->lanes[i] = (struct lane){ .netns = f->netns, .ifindex = f->ifindex, .hop = f->hop };
	snprintf(t->lanes[i].dev, sizeof(t->lanes[i].dev), "%.*s", VNO_IFNAMSIZ, f->dev);
	t->n_lanes++;
	return i;
}

static const char *const palette[8] = {
	"#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22",
};

static bool is_gso(const struct vno_frame *f)
{
	return f->gso_size || f->gso_type;
}

static const char *colour_of(struct timeline *t, const struct vno_frame *f)
{
	int i;

	if (!is_gso(f))
		return "#9a9a9a";
	for (i = 0; i < t->n_types; i++)
		if (t->types[i] == f->gso_type)
			return palette[i];
	if (t->n_types < 8) {
		t->types[t->n_types] = f->gso_type;
		return palette[t->n_types++];
	}
	t->other_types = true;
	return "#333";
}

static double mark_radius(const struct vno_frame *f)
{
	double r;

	if (!f->gso_size)
		return 2.5;
	r = 2.5 + log2((double)f->gso_size / 32.0);
	return r < 2.5 ? 2.5 : r > 9 ? 9 : r;
}

static int lane_cmp(const void *a, const void *b)
{
	const struct lane *x = a, *y = b;
	int c = hop_rank(x->hop) - hop_rank(y->hop);

	return c ? c : strcmp(x->dev, y->dev);
}

/* Geometry: time before the reference on a log scale, the hang at the
 * right edge. */
#define TL_W 980
#define TL_LEFT 170
#define TL_RIGHT 60
#define TL_TOP 34
#define TL_LANE 30
#define TL_TMIN 1e-5 /* 10 µs: closer than that draws at the edge */

static double tl_x(double t, double tmax)
{
	double lo = log10(TL_TMIN), hi = log10(tmax), v;

	if (t < TL_TMIN)
		t = TL_TMIN;
	if (t > tmax)
		t = tmax;
	v = (log10(t) - lo) / (hi - lo);
	return TL_LEFT + (1.0 - v) * (TL_W - TL_LEFT - TL_RIGHT);
}

static void mark_title(FILE *out, const struct mark *m, const struct lane *ln, double before)
{
	const struct vno_frame *f = m->f;
	char gso[64], csum[32], d[32];

	vno_gso_type_str(f->gso_type, "|", gso, sizeof(gso));
	vno_csum_str(f, csum, sizeof(csum));
	fmt_dur(d, sizeof(d), before);
	fputs("<title>", out);
	html_str(out, ln->dev);
	fprintf(out, " %s, %s before: len %u, gso %u×%u %s, %s", vno_hop_name(f->hop), d, f->len,
		f->gso_size, f->gso_segs, gso, csum);
	if (f->hop == VNO_HOP_DONE || f->hop == VNO_HOP_DROP) {
		fmt_dur(d, sizeof(d), (double)f->latency_ns / 1e9);
		fprintf(out, ", %s after xmit", d);
	}
	if (m->anomalies) {
		fputs("; ", out);
		anomaly_list(out, m->anomalies);
	}
	if (m->open)
		fputs("; never completed", out);
	fputs("</title>", out);
}

/* The lanes of one panel: lines and their names. */
static void lanes_svg(FILE *out, const struct timeline *t, int y0)
{
	for (int l = 0; l < t->n_lanes; l++) {
		int y = y0 + l * TL_LANE + TL_LANE / 2;

		fprintf(out, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" class=\"lane\"/>"
			"<text x=\"%d\" y=\"%d\" class=\"ll\">", TL_LEFT, y, TL_W - TL_RIGHT, y,
			TL_LEFT - 8, y + 4);
		html_str(out, t->lanes[l].dev);
		fprintf(out, " %s</text>\n", vno_hop_name(t->lanes[l].hop));
	}
}

static void mark_svg(FILE *out, struct timeline *t, const struct mark *m, int lane, double x,
		     int y0, double before, double rmax, bool title)
{
	const char *cls = m->anomalies ? (m->open ? "m an op" : "m an") : m->open ? "m op" : "m";
	double r = mark_radius(m->f);

	/* An outline needs room for the colour inside it. */
	if ((m->anomalies || m->open) && r < 4)
		r = 4;

	fprintf(out, "<circle class=\"%s\" cx=\"%.1f\" cy=\"%d\" r=\"%.1f\" fill=\"%s\"%s", cls, x,
		y0 + lane * TL_LANE + TL_LANE / 2, r < rmax ? r : rmax, colour_of(t, m->f),
		title ? ">" : "/>\n");
	if (!title)
		return;
	mark_title(out, m, &t->lanes[lane], before);
	fputs("</circle>\n", out);
}

/* Frames in the order zoom: one column per frame, its hops under it. */
#define TL_COLS 48

/*
 * Two panels, one per question. Above, time before the hang on a log
 * scale: the whole window, the last second spread out. Below, the newest
 * frames in their order, one column each with every hop it was seen at:
 * the frames of a burst microseconds apart, which no time axis separates,
 * and which of them never completed.
 */
static void draw_timeline(FILE *out, const struct html_hang *hh)
{
	const struct vno_diagnosis *dg = &hh->dg;
	struct timeline t = {};
	struct mark *marks;
	size_t n = 0, i, ncols = hh->n_last < TL_COLS ? hh->n_last : TL_COLS;
	size_t col0 = hh->n_last - ncols;
	__u64 ref = ref_ts(dg, hh->last, hh->n_last);
	double tmax = 1e-3, span, x, colw;
	int perm[HTML_LANES], h1, h2, y2;
	char lab[32];

	marks = calloc(hh->n_last + hh->n_path + 1, sizeof(*marks));
	if (!marks)
		return;
	for (i = 0; i < hh->n_last; i++) {
		const struct diag_frame *df = &hh->last[i];

		marks[n] = (struct mark){ .f = &df->ev.f, .anomalies = df->anomalies,
					  .open = df->ev.f.hop == VNO_HOP_XMIT &&
						  dg->completions_known && !df->completed,
					  .col = i >= col0 ? (int)(i - col0) : -1 };
		if ((marks[n].lane = lane_of(&t, &df->ev.f)) >= 0)
			n++;
	}
	for (i = 0; i < hh->n_path; i++) {
		const struct vno_frame *f = &hh->path[i];
		bool dup = false;
		double best = -1;
		int col = -1;

		size_t at = 0;

		/* The window's own records are drawn from the window; another
		 * hop belongs to the frame of its packet id nearest in time:
		 * under its column, outlined as it is. */
		for (size_t j = 0; j < hh->n_last && !dup; j++) {
			const struct vno_frame *w = &hh->last[j].ev.f;
			double d = fabs((double)w->ts_ns - (double)f->ts_ns);

			dup = w->ts_ns == f->ts_ns && w->hop == f->hop && w->ifindex == f->ifindex &&
			      w->pkt_id == f->pkt_id;
			if (w->pkt_id == f->pkt_id && (best < 0 || d < best)) {
				best = d;
				at = j;
			}
		}
		if (dup)
			continue;
		if (best >= 0 && at >= col0)
			col = (int)(at - col0);
		marks[n] = (struct mark){ .f = f, .col = col,
					  .anomalies = (f->anomaly && f->anomaly <= ANOMALY__MAX
								? 1ULL << (f->anomaly - 1) : 0) |
						       (best >= 0 ? hh->last[at].anomalies : 0) };
		if ((marks[n].lane = lane_of(&t, f)) >= 0)
			n++;
	}
	for (i = 0; i < n; i++) {
		span = ref >= marks[i].f->ts_ns ? (double)(ref - marks[i].f->ts_ns) / 1e9 : 0;
		while (span > tmax && tmax < 1e6)
			tmax *= 10;
	}
	/* Lanes in path order; perm[old] = new. */
	{
		struct lane sorted[HTML_LANES];

		memcpy(sorted, t.lanes, sizeof(sorted));
		qsort(sorted, (size_t)t.n_lanes, sizeof(sorted[0]), lane_cmp);
		for (int a = 0; a < t.n_lanes; a++)
			for (int b = 0; b < t.n_lanes; b++)
				if (!memcmp(&sorted[b], &t.lanes[a], sizeof(sorted[b])))
					perm[a] = b;
		memcpy(t.lanes, sorted, sizeof(sorted));
	}
	h1 = TL_TOP + (t.n_lanes ? t.n_lanes : 1) * TL_LANE + 36;
	y2 = h1 + 34;
	h2 = y2 + (t.n_lanes ? t.n_lanes : 1) * TL_LANE + 36;
	fprintf(out, "<svg class=\"tl\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
		"width=\"%d\" height=\"%d\" role=\"img\">\n", TL_W, h2, TL_W, h2);

	/* Panel 1: log time. */
	lanes_svg(out, &t, TL_TOP);
	for (double d = TL_TMIN; d <= tmax * 1.0001; d *= 10) {
		x = tl_x(d, tmax);
		fmt_dur(lab, sizeof(lab), d);
		fprintf(out, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" class=\"grid\"/>"
			"<text x=\"%.1f\" y=\"%d\" class=\"tick\">%s</text>\n", x, TL_TOP - 4, x,
			h1 - 30, x, h1 - 16, lab);
	}
	fprintf(out, "<text x=\"%d\" y=\"%d\" class=\"ax\">time before %s, log scale: the whole "
		"window</text>\n", TL_LEFT, h1 - 2,
		ref == dg->hang.ts_ns ? "the hang" : "the last frame");
	/* Oldest first, so the newest lie on top. */
	for (i = 0; i < n; i++) {
		const struct mark *m = &marks[i];
		double before = ref >= m->f->ts_ns ? (double)(ref - m->f->ts_ns) / 1e9 : 0;

		/* Overlapping marks: their fields are in the lower panel. */
		mark_svg(out, &t, m, perm[m->lane], tl_x(before, tmax), TL_TOP, before, 9, false);
	}
	x = tl_x(0, tmax);
	fprintf(out, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" class=\"hang\"><title>",
		x + 8, 14, x + 8, h1 - 30);
	html_str(out, dg->hang.detail);
	fprintf(out, "</title></line><text x=\"%.1f\" y=\"%d\" class=\"hl\">HANG (%s)</text>\n",
		x + 4, 12, diag_source_name(dg->hang.source));

	/* Panel 2: the newest frames in order. */
	colw = (double)(TL_W - TL_LEFT - TL_RIGHT) / (double)(ncols ? ncols : 1);
	fprintf(out, "<text x=\"%d\" y=\"%d\" class=\"ax\">the last %zu frames in order, one "
		"column each with its hops (ms before %s under some)</text>\n", TL_LEFT, y2 - 10,
		ncols, ref == dg->hang.ts_ns ? "the hang" : "the last frame");
	lanes_svg(out, &t, y2);
	for (size_t c = 0; c < ncols; c += (ncols + 7) / 8) {
		const struct vno_frame *f = &hh->last[col0 + c].ev.f;

		x = TL_LEFT + (c + 0.5) * colw;
		fprintf(out, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" class=\"grid\"/>"
			"<text x=\"%.1f\" y=\"%d\" class=\"tick\">%.3f</text>\n", x, y2, x,
			h2 - 30, x, h2 - 16,
			ref >= f->ts_ns ? (double)(ref - f->ts_ns) / 1e6 : 0.0);
	}
	for (i = 0; i < n; i++) {
		const struct mark *m = &marks[i];
		double before = ref >= m->f->ts_ns ? (double)(ref - m->f->ts_ns) / 1e9 : 0;

		if (m->col < 0)
			continue;
		mark_svg(out, &t, m, perm[m->lane], TL_LEFT + (m->col + 0.5) * colw, y2, before,
			 colw / 2 > 2.5 ? colw / 2 : 2.5, true);
	}
	x = TL_W - TL_RIGHT + 8;
	fprintf(out, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" class=\"hang\"/>\n", x, y2,
		x, h2 - 30);
	fputs("</svg>\n<p class=\"legend\">", out);
	for (int c = 0; c < t.n_types; c++) {
		char gso[64];

		vno_gso_type_str(t.types[c], "|", gso, sizeof(gso));
		fprintf(out, "<span class=\"sw\" style=\"background:%s\"></span>%s ", palette[c], gso);
	}
	if (t.other_types)
		fputs("<span class=\"sw\" style=\"background:#333\"></span>other types ", out);
	fputs("<span class=\"sw\" style=\"background:#9a9a9a\"></span>not GSO &nbsp; "
	      "mark size: gso_size (log scale, 32 to 2896 and above) &nbsp; "
	      "<span class=\"ring an\"></span>tripped an anomaly rule &nbsp; "
	      "<span class=\"ring op\"></span>never completed &nbsp; hover a mark of the lower panel for its fields", out);
	if (t.lanes_more)
		fprintf(out, " &nbsp; (%" PRIu64 " records on further lanes not drawn)",
			(uint64_t)t.lanes_more);
	fputs("</p>\n", out);
	free(marks);
}

static void frame_table(FILE *out, const struct html_hang *hh)
{
	const struct vno_diagnosis *dg = &hh->dg;
	size_t first = hh->n_last > HTML_TABLE_ROWS ? hh->n_last - HTML_TABLE_ROWS : 0;
	__u64 ref = ref_ts(dg, hh->last, hh->n_last);

	if (!hh->n_last)
		return;
	fprintf(out, "<details open><summary>the last %zu of the window's %zu frames</summary>\n"
		"<div class=\"wide\"><table class=\"frames\"><tr><th>ms before</th><th>device</th><th>hop</th><th>q</th>"
		"<th>len</th><th>gso_size</th><th>segs</th><th>gso_type</th><th>checksum</th>"
		"<th>origin</th><th>done</th><th>anomalies</th></tr>\n",
		hh->n_last - first, dg->n_frames);
	for (size_t i = first; i < hh->n_last; i++) {
		const struct diag_frame *df = &hh->last[i];
		const struct vno_frame *f = &df->ev.f;
		char gso[64], csum[32];
		const char *done = "-";

		vno_gso_type_str(f->gso_type, "|", gso, sizeof(gso));
		vno_csum_str(f, csum, sizeof(csum));
		if (f->hop == VNO_HOP_XMIT && dg->completions_known)
			done = df->completed ? "yes" : "<b>NO</b>";
		fprintf(out, "<tr%s><td>%.3f</td><td>", df->anomalies ? " class=\"an\"" : "",
			ref >= f->ts_ns ? (double)(ref - f->ts_ns) / 1e6 : 0.0);
		html_name(out, f->dev, VNO_IFNAMSIZ);
		fprintf(out, "</td><td>%s</td><td>%u</td><td>%u</td><td>%u</td><td>%u</td>"
			"<td>%s</td><td>%s</td><td>", vno_hop_name(f->hop), f->queue, f->len,
			f->gso_size, f->gso_segs, gso, csum);
		if (df->origin[0]) {
			html_name(out, df->origin, VNO_IFNAMSIZ);
			fprintf(out, " (%s)", vno_hop_name(df->origin_hop));
		} else
			fputs("-", out);
		fprintf(out, "</td><td>%s</td><td>", done);
		if (df->anomalies)
			anomaly_list(out, df->anomalies);
		else
			fputs("-", out);
		fputs("</td></tr>\n", out);
	}
	fputs("</table></div></details>\n", out);
}

/* ---- suspects and remedies -------------------------------------------------- */

static void bar(FILE *out, const char *cls, double share, const char *label)
{
	fprintf(out, "<div class=\"bar\"><span class=\"%s\" style=\"width:%.1f%%\"></span>"
		"<em>%s</em></div>", cls, share * 100, label);
}

static void suspects(FILE *out, const struct vno_diagnosis *dg)
{
	char lab[96];

	if (!dg->n_suspects) {
		fputs("<p>No suspect: nothing was over-represented just before the hang.</p>\n", out);
		return;
	}
	fputs("<h4>Suspects (share of the frames just before the hang vs before that)</h4>\n"
	      "<table class=\"sus\">\n", out);
	for (int s = 0; s < dg->n_suspects; s++) {
		const struct diag_suspect *x = &dg->suspects[s];
		double w = x->window_total ? (double)x->window_count / x->window_total : 0;
		double b = x->baseline_total ? (double)x->baseline_count / x->baseline_total : 0;

		fprintf(out, "<tr><td class=\"sn\">%d. %s=<b>", s + 1, diag_attr_name(x->attr));
		html_str(out, x->value);
		fprintf(out, "</b><br><small>lift %.1f", x->lift);
		if (x->origin[0]) {
			fputs(", mostly from ", out);
			html_name(out, x->origin, VNO_IFNAMSIZ);
			if (dg->vm[0] && !strncmp(x->origin, dg->tap, VNO_IFNAMSIZ)) {
				fputs(" (VM ", out);
				html_str(out, dg->vm);
				fputs(")", out);
			}
		}
		fputs("</small></td><td class=\"bars\">", out);
		snprintf(lab, sizeof(lab), "%u of %u just before", x->window_count, x->window_total);
		bar(out, "win", w, lab);
		snprintf(lab, sizeof(lab), "%" PRIu64 " of %" PRIu64 " before", (uint64_t)x->baseline_count,
			 (uint64_t)x->baseline_total);
		bar(out, "base", b, lab);
		fputs("</td></tr>\n", out);
	}
	fputs("</table>\n", out);
}

static void place(FILE *out, const char *label, const char *text)
{
	if (!text[0])
		return;
	fprintf(out, "<div class=\"place\">%s</div><pre>", label);
	html_str(out, text);
	fputs("</pre>\n", out);
}

static void remedies(FILE *out, const struct vno_diagnosis *dg)
{
	const struct remedy *r = &dg->rem;

	if (dg->remedy[0]) {
		fputs("<h4>Remedy</h4>\n<p class=\"remedy\">", out);
		html_str(out, dg->remedy);
		fputs("</p>\n", out);
	}
	if (dg->accused) {
		bool first = true;

		fputs("<p>To switch off", out);
		for (int o = 0; o < REM__MAX; o++) {
			if (!(dg->accused & REM_BIT(o)))
				continue;
			fprintf(out, "%s <code>%s</code>", first ? "" : ",", remedy_feature_name(o));
			first = false;
		}
		fputs(" (what the top suspect's frames ask of the device), paste one of:</p>\n", out);
		fputs("<div class=\"place\">on the host, ", out);
		html_name(out, dg->hang.dev[0] ? dg->hang.dev : "DEV", VNO_IFNAMSIZ);
		fputs("</div>", out);
		if (r->host[0]) {
			fputs("<pre>", out);
			html_str(out, r->host);
			fputs("</pre>\n", out);
		}
		if (r->host_note[0]) {
			fputs("<p class=\"note\">", out);
			html_str(out, r->host_note);
			fputs("</p>\n", out);
		}
		place(out, "at the VMM, QEMU", r->qemu);
		place(out, "at the VMM, libvirt", r->libvirt);
		place(out, "at the VMM, Proxmox", r->proxmox);
		if (dg->tap[0]) {
			fputs("<p class=\"note\">in the guest behind tap ", out);
			html_name(out, dg->tap, VNO_IFNAMSIZ);
			if (dg->vm[0]) {
				fputs(" (VM ", out);
				html_str(out, dg->vm);
				fputs(")", out);
			}
			fputs(":</p>\n", out);
		}
		place(out, "guest, Linux", r->guest_linux);
		place(out, "guest, FreeBSD / pfSense", r->guest_bsd);
		place(out, "guest, Windows", r->guest_windows);
		place(out, "make it last", r->persist);
	}
	if (dg->n_causes) {
		fputs("<p>No offload stands out; hangs on ", out);
		html_str(out, dg->driver);
		fputs(" also come from:</p><ul>\n", out);
		for (int c = 0; c < dg->n_causes; c++) {
			fputs("<li>", out);
			html_str(out, dg->causes[c]);
			fputs("</li>\n", out);
		}
		fputs("</ul>\n", out);
	}
}

static void hang_head(FILE *out, const struct vno_diagnosis *dg, size_t nr)
{
	fprintf(out, "<h3 id=\"hang%zu\">Hang %zu: ", nr, nr);
	html_name(out, dg->hang.dev[0] ? dg->hang.dev : "?", VNO_IFNAMSIZ);
	if (dg->driver[0]) {
		fputs(" (", out);
		html_str(out, dg->driver);
		fputs(")", out);
	}
	if (dg->hang.queue >= 0)
		fprintf(out, " queue %d", dg->hang.queue);
	fprintf(out, ", source %s", diag_source_name(dg->hang.source));
	if (dg->hang.ts_ns)
		fprintf(out, ", at %.6f s", (double)dg->hang.ts_ns / 1e9);
	fputs("</h3>\n", out);
	if (dg->hang.detail[0]) {
		fputs("<p class=\"kmsg\">", out);
		html_str(out, dg->hang.detail);
		fputs("</p>\n", out);
	}
}

static void draw_hang(FILE *out, const struct html_hang *hh, size_t nr)
{
	const struct vno_diagnosis *dg = &hh->dg;

	fputs("<section class=\"hang\">\n", out);
	hang_head(out, dg, nr);
	fputs("<p class=\"verdict\">", out);
	html_str(out, dg->verdict);
	fputs("</p>\n", out);
	fprintf(out, "<p>Window: %zu frames, %u super-frames", dg->n_frames, dg->super_frames);
	if (dg->completions_known)
		fprintf(out, ", %u never completed", dg->in_flight);
	fprintf(out, "; compared %u frames with %" PRIu64 " %s.", dg->window_total,
		(uint64_t)dg->baseline_total,
		dg->split_window ? "in the older half of the window" : "before them");
	if (dg->n_frames > hh->n_last)
		fprintf(out, " The newest %zu are drawn.", hh->n_last);
	fputs("</p>\n", out);
	if (hh->n_last)
		draw_timeline(out, hh);
	else
		fputs("<p>No frame on this device before the hang: nothing to draw.</p>\n", out);
	suspects(out, dg);
	remedies(out, dg);
	frame_table(out, hh);
	fputs("</section>\n", out);
}

/* ---- per device ------------------------------------------------------------- */

/* A histogram as bars, one per power of two (four of its slots). */
static void hist_svg(FILE *out, const char *title, const struct agg_hist *hs, bool ns)
{
	__u64 g[VNO_HIST_SLOTS / 4] = {}, top = 0;
	int lo = -1, hi = -1, n;
	const int W = 300, H = 110;
	char lab[32];

	for (int s = 0; s < VNO_HIST_SLOTS; s++)
		g[s / 4] += hs->slot[s];
	for (int i = 0; i < VNO_HIST_SLOTS / 4; i++) {
		if (!g[i])
			continue;
		if (lo < 0)
			lo = i;
		hi = i;
		if (g[i] > top)
			top = g[i];
	}
	fprintf(out, "<figure><figcaption>%s", title);
	if (!hs->count) {
		fputs(": none</figcaption></figure>\n", out);
		return;
	}
	if (ns) {
		char a[32], b[32];

		fmt_dur(a, sizeof(a), (double)agg_hist_quantile(hs, 0.5) / 1e9);
		fmt_dur(b, sizeof(b), (double)agg_hist_quantile(hs, 0.99) / 1e9);
		fprintf(out, " (p50 %s, p99 %s)", a, b);
	} else {
		fprintf(out, " (%" PRIu64 " to %" PRIu64 ")", (uint64_t)hs->min, (uint64_t)hs->max);
	}
	n = hi - lo + 1;
	fprintf(out, "</figcaption><svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
		"width=\"%d\" height=\"%d\" role=\"img\">", W, H, W, H);
	for (int i = lo; i <= hi; i++) {
		double bw = (double)(W - 10) / n, x;

		if (bw > 40)
			bw = 40;
		x = 5 + (i - lo) * bw;
		double bh = top ? (double)g[i] * (H - 34) / (double)top : 0;
		__u64 low = vno_hist_slot_low((__u32)i * 4);

		if (ns)
			fmt_dur(lab, sizeof(lab), (double)low / 1e9);
		else
			fmt_count(lab, sizeof(lab), low);
		fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" class=\"hb\">"
			"<title>from %s: %" PRIu64 "</title></rect>", x + 1, H - 20 - bh, bw - 2, bh,
			lab, (uint64_t)g[i]);
		if (g[i] && n <= 16)
			fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" class=\"tick\">%" PRIu64 "</text>",
				x + bw / 2, H - 23 - bh, (uint64_t)g[i]);
		if (n <= 12 || (i - lo) % ((n + 11) / 12) == 0)
			fprintf(out, "<text x=\"%.1f\" y=\"%d\" class=\"tick\">%s</text>", x + bw / 2,
				H - 6, lab);
	}
	fputs("</svg></figure>\n", out);
}

static const struct agg_entry *dev_entry(const struct agg *a, const struct agg_entry *d,
					 unsigned hop)
{
	for (size_t i = 0; i < a->n; i++)
		if (a->e[i].netns == d->netns && a->e[i].ifindex == d->ifindex && a->e[i].hop == hop)
			return &a->e[i];
	return NULL;
}

static void device(FILE *out, const struct agg *a, const struct agg_entry *d,
		   const struct vno_session *sess)
{
	static const unsigned pref[] = { VNO_HOP_XMIT, VNO_HOP_DRV_XMIT, VNO_HOP_TC_EGRESS,
					 VNO_HOP_BR_FWD, VNO_HOP_RX, VNO_HOP_TC_INGRESS };
	const struct agg_entry *m = NULL, *lat = NULL;
	const struct vno_iface *it = sess ? ifaces_find(sess->ifaces, sess->n_ifaces, d->netns,
							 d->ifindex) : NULL;
	__u64 csum_total = 0, rules_any = 0, drops_any = 0;
	static const char *const csum_cls[VNO_CSUM__MAX] = { "c0", "c1", "c2", "c3" };

	for (size_t i = 0; i < sizeof(pref) / sizeof(pref[0]) && !m; i++)
		m = dev_entry(a, d, pref[i]);
	if (!m)
		m = d;
	lat = dev_entry(a, d, VNO_HOP_DONE);
	if (!lat || !lat->latency.count)
		lat = dev_entry(a, d, VNO_HOP_DRV_DONE);
	fputs("<section class=\"dev\"><h3>", out);
	html_str(out, d->dev);
	if (it) {
		fputs(" <small>(", out);
		html_str(out, it->driver);
		fprintf(out, ", mtu %u)</small>", it->mtu);
	}
	fputs("</h3>\n<p>frames per hop:", out);
	for (size_t i = 0; i < a->n; i++)
		if (a->e[i].netns == d->netns && a->e[i].ifindex == d->ifindex)
			fprintf(out, " %s %" PRIu64 ";", vno_hop_name(a->e[i].hop),
				(uint64_t)a->e[i].frames);
	fprintf(out, " the pictures are of hop %s.</p>\n<div class=\"figs\">\n", vno_hop_name(m->hop));
	hist_svg(out, "gso_size", &m->gso_size, false);
	hist_svg(out, "gso_segs", &m->gso_segs, false);
	if (lat)
		hist_svg(out, "TX completion latency", &lat->latency, true);
	else
		fputs("<figure><figcaption>TX completion latency: no completions</figcaption></figure>\n",
		      out);
	fputs("</div>\n", out);
	for (int c = 0; c < VNO_CSUM__MAX; c++)
		csum_total += m->csum[c];
	fputs("<div class=\"figs\"><figure><figcaption>ip_summed</figcaption>", out);
	if (csum_total) {
		fputs("<div class=\"stack\">", out);
		for (int c = 0; c < VNO_CSUM__MAX; c++)
			if (m->csum[c])
				fprintf(out, "<span class=\"%s\" style=\"width:%.1f%%\" title=\"%s %" PRIu64
					"\"></span>", csum_cls[c], 100.0 * m->csum[c] / csum_total,
					vno_csum_name(c), (uint64_t)m->csum[c]);
		fputs("</div><p>", out);
		for (int c = 0; c < VNO_CSUM__MAX; c++)
			if (m->csum[c])
				fprintf(out, "<span class=\"sw %s\"></span>%s %" PRIu64 " ", csum_cls[c],
					vno_csum_name(c), (uint64_t)m->csum[c]);
		fputs("</p>", out);
	} else {
		fputs("<p>none</p>", out);
	}
	fputs("</figure>\n<figure><figcaption>anomalies by rule</figcaption><table>", out);
	for (unsigned r = 0; r < ANOMALY__MAX; r++) {
		if (!m->rules[r])
			continue;
		rules_any++;
		fprintf(out, "<tr><td>%s</td><td>%" PRIu64 "</td></tr>", anomaly_name(r),
			(uint64_t)m->rules[r]);
	}
	fprintf(out, "%s</table></figure>\n<figure><figcaption>drops by reason</figcaption><table>",
		rules_any ? "" : "<tr><td>none</td></tr>");
	for (size_t i = 0; i < a->n; i++) {
		const struct agg_entry *e = &a->e[i];

		if (e->netns != d->netns || e->ifindex != d->ifindex)
			continue;
		for (int r = 0; r < AGG_MAX_REASONS && e->drops[r].count; r++) {
			const char *nm = vno_drop_reason_name ? vno_drop_reason_name(e->drops[r].reason)
							      : NULL;

			drops_any++;
			fprintf(out, "<tr><td>%s</td><td>", vno_hop_name(e->hop));
			if (nm)
				html_str(out, nm);
			else
				fprintf(out, "%u", e->drops[r].reason);
			fprintf(out, "</td><td>%" PRIu64 "</td></tr>", (uint64_t)e->drops[r].count);
		}
		if (e->drops_other) {
			drops_any++;
			fprintf(out, "<tr><td>%s</td><td>other reasons</td><td>%" PRIu64 "</td></tr>",
				vno_hop_name(e->hop), (uint64_t)e->drops_other);
		}
	}
	fprintf(out, "%s</table></figure></div>\n</section>\n", drops_any ? "" : "<tr><td>none</td></tr>");
}

static void devices(FILE *out, const struct agg *a, const struct vno_session *sess)
{
	size_t shown = 0, more = 0;

	fputs("<h2 id=\"devices\">Devices</h2>\n", out);
	if (!a || !a->n) {
		fputs("<p>No frames were read.</p>\n", out);
		return;
	}
	for (size_t i = 0; i < a->n; i++) {
		bool seen = false;

		/* One section per device: its first entry stands for it. */
		for (size_t j = 0; j < i && !seen; j++)
			seen = a->e[j].netns == a->e[i].netns && a->e[j].ifindex == a->e[i].ifindex;
		if (seen)
			continue;
		if (shown == HTML_DEVICES) {
			more++;
			continue;
		}
		device(out, a, &a->e[i], sess);
		shown++;
	}
	if (more || a->n_more)
		fprintf(out, "<p>%zu more devices not drawn, and %u device/hop pairs past the "
			"summary's cap (%" PRIu64 " frames): see the text report.</p>\n", more,
			a->n_more, (uint64_t)a->more_frames);
}

/* ---- session ---------------------------------------------------------------- */

static void session(FILE *out, const struct vno_session *s, const struct html_page *p)
{
	fputs("<h2 id=\"session\">Session</h2>\n<table class=\"kv\">", out);
	if (s) {
		fputs("<tr><th>kernel</th><td>", out);
		html_str(out, s->kernel);
		fputs("</td></tr><tr><th>recorded by</th><td>", out);
		html_str(out, s->tool);
		fputs("</td></tr><tr><th>command line</th><td><code>", out);
		html_str(out, s->cmdline);
		fputs("</code></td></tr>", out);
	}
	fputs("<tr><th>page written by</th><td>vnoffload-trace " VNO_VERSION, out);
	if (p->written_by) {
		fputs(": <code>", out);
		html_str(out, p->written_by);
		fputs("</code>", out);
	}
	fputs("</td></tr></table>\n", out);
	if (!s)
		return;
	fputs("<h3>Hooks</h3><table class=\"kv\">", out);
	for (int hop = 0; hop < VNO_HOP__MAX; hop++) {
		if (hop == VNO_HOP_HANG && !s->hooks[hop][0])
			continue;
		fprintf(out, "<tr><th>%s</th><td>", vno_hop_name(hop));
		html_str(out, s->hooks[hop][0] ? s->hooks[hop] : "none");
		fputs("</td></tr>", out);
	}
	fputs("</table>\n<h3>Interfaces</h3>\n<table class=\"ifs\"><tr><th>name</th><th>ifindex</th>"
	      "<th>netns</th><th>driver</th><th>mtu</th><th>up</th><th>gso max</th><th>tso max</th>",
	      out);
	for (int o = 0; o < VNO_OL__MAX; o++)
		fprintf(out, "<th>%s</th>", vno_offload_name(o));
	fputs("<th>VM</th></tr>\n", out);
	for (size_t i = 0; i < s->n_ifaces && i < HTML_IFACES; i++) {
		const struct vno_iface *it = &s->ifaces[i];

		fputs("<tr><td>", out);
		html_name(out, it->name, VNO_IFNAMSIZ);
		fprintf(out, "</td><td>%u</td><td>%u</td><td>", it->ifindex, it->netns);
		html_str(out, it->driver);
		fprintf(out, "</td><td>%u</td><td>%s</td><td>%u / %u</td><td>%u / %u</td>", it->mtu,
			it->up ? "yes" : "no", it->gso_max_size, it->gso_max_segs, it->tso_max_size,
			it->tso_max_segs);
		for (int o = 0; o < VNO_OL__MAX; o++)
			fprintf(out, "<td class=\"o%d\">%s</td>", it->offload[o] == VNO_OFF_ON ? 1 : 0,
				it->offload[o] == VNO_OFF_ON	? "on"
				: it->offload[o] == VNO_OFF_OFF ? "off"
								: "?");
		fputs("<td>", out);
		html_str(out, it->vm);
		fputs("</td></tr>\n", out);
	}
	fputs("</table>\n", out);
	if (s->n_ifaces > HTML_IFACES)
		fprintf(out, "<p>… %zu more interfaces.</p>\n", s->n_ifaces - HTML_IFACES);
}

/* ---- the page --------------------------------------------------------------- */

static const char css[] =
	"body{font:14px/1.4 system-ui,sans-serif;margin:1em 2em;color:#222;max-width:1100px}"
	"h1{font-size:1.5em}h2{border-bottom:1px solid #ccc;margin-top:2em}"
	"section.hang{border:1px solid #ddd;border-radius:6px;padding:0 1em 1em;margin:1em 0}"
	".problem{background:#fde2e1;border:1px solid #d33;padding:.6em 1em;border-radius:4px}"
	".nohang{background:#e6f4e6;border:1px solid #4a4;padding:.6em 1em;border-radius:4px}"
	".kmsg{font-family:monospace;background:#f6f6f6;padding:.3em .6em;border-left:3px solid #d00}"
	".verdict{font-weight:bold}"
	"pre{background:#f3f3f8;border:1px solid #ccd;padding:.5em .8em;white-space:pre-wrap;"
	"word-break:break-all;user-select:all;margin:.2em 0 .6em}"
	".place{font-size:.9em;color:#555;margin-top:.4em}.note{color:#555;font-size:.9em}"
	"svg{display:block;max-width:100%;height:auto}svg text{font:11px sans-serif;fill:#333}"
	"svg .ll{text-anchor:end;font-size:12px}svg .ax{font-size:12px;fill:#444}svg .tick{text-anchor:middle;fill:#666}"
	"svg .lane{stroke:#ddd}svg .grid{stroke:#eee}svg .hang{stroke:#d00;stroke-width:2}"
	"svg .hl{fill:#d00;text-anchor:end;font-weight:bold}"
	"svg .m{fill-opacity:.8;stroke:none}svg .an{stroke:#d00;stroke-width:1.5}"
	"svg .op{stroke:#000;stroke-width:1.5;stroke-dasharray:2 1.5}"
	"svg .an.op{stroke:#d00}svg .hb{fill:#5b8bd0}"
	".legend{font-size:.85em;color:#444}.sw{display:inline-block;width:.9em;height:.9em;"
	"border-radius:50%;margin:0 .25em 0 .6em;vertical-align:middle}"
	".ring{display:inline-block;width:.8em;height:.8em;border-radius:50%;margin:0 .25em 0 .6em;"
	"vertical-align:middle;border:2px solid #d00}.ring.op{border:2px dashed #000}"
	"table{border-collapse:collapse;font-size:.9em}td,th{padding:.15em .5em;text-align:left}"
	".wide{overflow-x:auto}table.frames td:nth-child(8){word-break:break-all}"
	"table.frames td,table.ifs td{border-top:1px solid #eee}table.frames tr.an{background:#fff0f0}"
	"table.frames td:nth-child(n+4):nth-child(-n+7){text-align:right}"
	".sus td{vertical-align:top;padding:.3em .5em}.sn{width:40%}"
	".bar{position:relative;background:#f0f0f0;height:1.1em;margin:.15em 0;width:100%}"
	".bar span{position:absolute;left:0;top:0;bottom:0}.bar .win{background:#d9534f}"
	".bar .base{background:#999}.bar em{position:relative;font-size:.8em;padding-left:.4em;"
	"font-style:normal}"
	".figs{display:flex;flex-wrap:wrap;gap:1em}figure{margin:.3em 0}figcaption{font-size:.9em;"
	"font-weight:bold}.stack{display:flex;width:300px;height:1.2em;background:#eee}"
	".stack span{display:block;height:100%}"
	".c0{background:#aaa}.c1{background:#5cb85c}.c2{background:#f0ad4e}.c3{background:#5b8bd0}"
	".sw.c0,.sw.c1,.sw.c2,.sw.c3{border-radius:2px}"
	"td.o1{color:#262}td.o0{color:#a33}";

static void overview(FILE *out, const struct html_report *h, const struct html_page *p)
{
	const struct agg *a = p->agg;
	__u64 hangs = 0;
	char d[32];

	if (a)
		for (int s = 0; s < VNO_HANG__MAX; s++)
			hangs += a->hangs[s];
	if (p->problem) {
		fputs("<p class=\"problem\">", out);
		html_str(out, p->problem);
		fputs("</p>\n", out);
	}
	fputs("<p>", out);
	html_str(out, p->source);
	if (a && a->records) {
		fmt_dur(d, sizeof(d), (double)(a->last_ts - a->first_ts) / 1e9);
		fprintf(out, ": %" PRIu64 " records over %s", (uint64_t)a->records, d);
	}
	if (p->lost)
		fprintf(out, "; <b>%" PRIu64 " events lost</b> (ring buffer full)", (uint64_t)p->lost);
	fputs(".</p>\n", out);
	if (!hangs && !h->n_hangs) {
		fprintf(out, "<p class=\"nohang\">No hang in %s: no TX watchdog, driver report, "
			"kernel log line, stall, carrier loss or manual trigger was recorded. The "
			"devices' pictures are below.</p>\n",
			p->problem ? "the part of the capture that was read" : "this capture");
		return;
	}
	fprintf(out, "<p>%" PRIu64 " hang%s:", (uint64_t)hangs, hangs == 1 ? "" : "s");
	for (int s = 0; a && s < VNO_HANG__MAX; s++)
		if (a->hangs[s])
			fprintf(out, " %s %" PRIu64 ";", diag_source_name(s), (uint64_t)a->hangs[s]);
	fputs("</p>\n<ol>", out);
	for (size_t i = 0; i < h->n_hangs; i++) {
		fprintf(out, "<li><a href=\"#hang%zu\">", i + 1);
		html_name(out, h->hangs[i].dg.hang.dev, VNO_IFNAMSIZ);
		fprintf(out, " (%s)</a>: ", diag_source_name(h->hangs[i].dg.hang.source));
		html_str(out, h->hangs[i].dg.verdict);
		fputs("</li>\n", out);
	}
	fputs("</ol>\n", out);
}

int html_report__write(struct html_report *h, FILE *out, const struct html_page *p)
{
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
	      /* Nothing may be fetched, whatever a capture holds. */
	      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
	      "style-src 'unsafe-inline'\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width\">\n<title>vnoffload-trace: ", out);
	html_str(out, p->source);
	fprintf(out, "</title>\n<style>%s</style></head><body>\n<h1>vnoffload-trace report</h1>\n",
		css);
	overview(out, h, p);
	if (h->n_hangs)
		fputs("<h2>Hangs</h2>\n", out);
	for (size_t i = 0; i < h->n_hangs; i++)
		draw_hang(out, &h->hangs[i], i + 1);
	if (h->n_listed || h->hangs_more) {
		fprintf(out, "<h3>Later hangs</h3>\n<p>Drawn above: the first %d. Then:</p><ol start=\"%d\">\n",
			HTML_HANGS_DRAWN, HTML_HANGS_DRAWN + 1);
		for (size_t i = 0; i < h->n_listed; i++) {
			fputs("<li>", out);
			html_name(out, h->listed[i].hang.dev, VNO_IFNAMSIZ);
			fprintf(out, " (%s): ", diag_source_name(h->listed[i].hang.source));
			html_str(out, h->listed[i].verdict);
			fputs("</li>\n", out);
		}
		fputs("</ol>\n", out);
		if (h->hangs_more)
			fprintf(out, "<p>… and %" PRIu64 " more.</p>\n", (uint64_t)h->hangs_more);
	}
	if (p->agg && p->agg->hangs_untold)
		fprintf(out, "<p>%" PRIu64 " more hangs counted but not diagnosed.</p>\n",
			(uint64_t)p->agg->hangs_untold);
	devices(out, p->agg, p->sess);
	session(out, p->sess, p);
	fputs("</body></html>\n", out);
	fflush(out);
	return ferror(out) ? -EIO : 0;
}

int html_report__write_file(struct html_report *h, const char *path, const struct html_page *p,
			    char *err, size_t errlen)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644), ret;
	FILE *f;

	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		ret = -errno;
		if (fd >= 0)
			close(fd);
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(-ret));
		return ret;
	}
	ret = html_report__write(h, f, p);
	if (fclose(f) && !ret)
		ret = -errno;
	if (ret)
		snprintf(err, errlen, "writing %s: %s", path, strerror(-ret));
	return ret;
}
