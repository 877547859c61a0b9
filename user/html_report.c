// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The HTML page of record --html and report --html (html_report.h): what a
 * sink keeps of the frames and hangs as they come, and the page put
 * together from the sections (html_timeline.c, html_sections.c) as one file
 * with inline CSS and SVG and nothing to fetch.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "decode.h"
#include "html_int.h"
#include "json.h"

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
	hi = diag_ref_ts(&hh->dg, hh->last, n);
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

/* What the driver said of its ring, and the frames that were on it. */
static void draw_ring(FILE *out, const struct vno_diagnosis *dg)
{
	char line[256];

	ring_report_sentence(&dg->hang.ring, line, sizeof(line));
	if (!line[0])
		return;
	fputs("<p class=\"ring\">", out);
	html_str(out, line);
	if (dg->drv_done_known)
		fprintf(out, "; the driver last cleaned its ring %.1f ms before the hang",
			(double)dg->drv_done_ago_ns / 1e6);
	fputs(".", out);
	if (dg->n_on_ring)
		fprintf(out, " The NIC stopped completing while %u frames (%u super-frames) "
			     "of the window were on its ring.", dg->n_on_ring, dg->on_ring_super);
	fputs("</p>\n", out);
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
	draw_ring(out, dg);
	if (hh->n_last)
		html_timeline(out, hh);
	else
		fputs("<p>No frame on this device before the hang: nothing to draw.</p>\n", out);
	html_suspects(out, dg);
	html_remedies(out, dg);
	html_frame_table(out, hh);
	fputs("</section>\n", out);
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
		html_dur(d, sizeof(d), (double)(a->last_ts - a->first_ts) / 1e9);
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
	html_devices(out, p->agg, p->sess);
	html_session(out, p->sess, p);
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
