// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The HTML page's picture of a hang (html_int.h): the frames before it,
 * one lane per device and hop along their path, in log time and in order,
 * as SVG, and the table of their fields below it.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "decode.h"
#include "html_int.h"
#include "json.h"

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
	html_dur(d, sizeof(d), before);
	fputs("<title>", out);
	html_str(out, ln->dev);
	fprintf(out, " %s, %s before: len %u, gso %u×%u %s, %s", vno_hop_name(f->hop), d, f->len,
		f->gso_size, f->gso_segs, gso, csum);
	if (f->hop == VNO_HOP_DONE || f->hop == VNO_HOP_DROP) {
		html_dur(d, sizeof(d), (double)f->latency_ns / 1e9);
		fprintf(out, ", %s after xmit", d);
	}
	if (m->anomalies) {
		fputs("; ", out);
		html_anomalies(out, m->anomalies);
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
void html_timeline(FILE *out, const struct html_hang *hh)
{
	const struct vno_diagnosis *dg = &hh->dg;
	struct timeline t = {};
	struct mark *marks;
	size_t n = 0, i, ncols = hh->n_last < TL_COLS ? hh->n_last : TL_COLS;
	size_t col0 = hh->n_last - ncols;
	__u64 ref = diag_ref_ts(dg, hh->last, hh->n_last);
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
		html_dur(lab, sizeof(lab), d);
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

void html_frame_table(FILE *out, const struct html_hang *hh)
{
	const struct vno_diagnosis *dg = &hh->dg;
	size_t first = hh->n_last > HTML_TABLE_ROWS ? hh->n_last - HTML_TABLE_ROWS : 0;
	__u64 ref = diag_ref_ts(dg, hh->last, hh->n_last);

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
			html_anomalies(out, df->anomalies);
		else
			fputs("-", out);
		fputs("</td></tr>\n", out);
	}
	fputs("</table></div></details>\n", out);
}
