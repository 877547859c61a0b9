// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * vnoffload-trace report FILE: a capture file through the same pipeline as
 * record (anomaly rules, aggregator, diagnosis, printers), on any machine,
 * without root.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "diag_ring.h"
#include "capture.h"
#include "cmds.h"
#include "agg.h"
#include "decode.h"
#include "header.h"
#include "html_report.h"
#include "json.h"
#include "json_writer.h"
#include "pipeline.h"
#include "print.h"
#include "probe.h"
#include "report.h"
#include "session.h"

struct report_ctx {
	struct pipeline pipe;
	struct pipeline_opts po;
	struct vno_session sess;
	struct html_report *html;	/* --html, or NULL */
	const char *path;
	bool started, json;
	int err;
	unsigned max_hangs;
	unsigned long long hangs;	/* hang notes and watchdog records seen */
	long long lost, unmatched;
	double duration_s;
	char filter_desc[2400];	/* the recording's filter and report's own */
};

static int html_frame(const struct vno_event *ev, void *ctx)
{
	html_report__frame(((struct report_ctx *)ctx)->html, ev);
	return 0;
}

static void html_hang(const struct vno_diagnosis *dg, void *ctx)
{
	struct report_ctx *rc = ctx;

	if (html_report__hang(rc->html, dg))
		rc->err = -ENOMEM;
}

/* The pipeline starts once the session metadata (first in the file) is in:
 * the anomaly rules need its interfaces. */
static int start(struct report_ctx *rc)
{
	if (rc->started)
		return rc->err;
	rc->started = true;
	header_capture(rc->po.out, rc->json, rc->path, &rc->sess);
	/* A diagnosis states every filter its frames went through. */
	snprintf(rc->filter_desc, sizeof(rc->filter_desc), "%s%s%s",
		 rc->sess.filter[0] ? rc->sess.filter : "",
		 rc->sess.filter[0] && rc->po.filter ? " (recording), then " : "",
		 rc->po.filter ? vno_filter__str(rc->po.filter) : "");
	rc->po.filter_desc = rc->filter_desc;
	rc->err = pipeline_init(&rc->pipe, &rc->po, rc->sess.ifaces, rc->sess.n_ifaces);
	if (!rc->err && rc->html) {
		rc->pipe.on_frame = html_frame;
		rc->pipe.on_hang = html_hang;
		rc->pipe.ctx = rc;
	}
	return rc->err;
}

/* Past max_hangs a hang is counted, not diagnosed: a file of 20 000 hang
 * notes must not print 20 000 windows. */
static bool hang_untold(struct report_ctx *rc, int source)
{
	if (++rc->hangs <= rc->max_hangs)
		return false;
	if (source >= 0 && source < VNO_HANG__MAX)
		rc->pipe.agg->hangs[source]++;
	rc->pipe.agg->hangs_untold++;
	return true;
}

static int on_frame(const struct vno_event *ev, void *ctx)
{
	struct report_ctx *rc = ctx;
	struct vno_event copy = *ev;

	if (start(rc))
		return rc->err;
	if (ev->f.hop == VNO_HOP_HANG &&
	    hang_untold(rc, ev->f.flags & VNO_F_DRIVER ? VNO_HANG_DRIVER : VNO_HANG_WATCHDOG))
		return 0;
	pipeline_frame(&rc->pipe, &copy, false);
	return 0;
}

static int on_note(const char *kind, const char *json, void *ctx)
{
	struct report_ctx *rc = ctx;
	struct vno_hang h = { .queue = -1 };
	char src[32] = "";
	long long v;

	if (!strcmp(kind, "drop_reasons")) {
		/* A table that does not parse keeps the one in use. */
		drop_reasons_from_json(json);
		return 0;
	}
	/* "lost" notes come while recording (a killed recorder leaves no
	 * summary); the last one read holds the counts so far. */
	if (!strcmp(kind, "summary") || !strcmp(kind, "lost")) {
		json_get_i64(json, "lost_events", &rc->lost);
		/* The recorder's per-device release counts (summary only). */
		if (!strcmp(kind, "summary") && rc->pipe.agg)
			agg__release_from_json(rc->pipe.agg, json);
		json_get_i64(json, "unmatched_completions", &rc->unmatched);
		if (!json_get_i64(json, "duration_s", &v))
			rc->duration_s = v;
		return 0;
	}
	if (!strcmp(kind, "offload_change")) {
		struct offload_change oc;

		/* One that does not parse is left out, as an unknown note. */
		if (start(rc) || offload_change_from_json(json, strlen(json), &oc))
			return rc->err;
		pipeline_offload_change(&rc->pipe, &oc);
		return 0;
	}
	if (strcmp(kind, "hang"))
		return 0;
	if (start(rc))
		return rc->err;
	/* Diagnosed again from the frames before it, as record did. */
	json_get_str(json, "dev", h.dev, sizeof(h.dev));
	json_get_str(json, "detail", h.detail, sizeof(h.detail));
	json_get_str(json, "source", src, sizeof(src));
	h.source = diag_source_parse(src);
	if (h.source < 0)
		h.source = VNO_HANG_MANUAL;
	if (hang_untold(rc, h.source))
		return 0;
	if (!json_get_i64(json, "netns", &v))
		h.netns = v;
	if (!json_get_i64(json, "ifindex", &v))
		h.ifindex = v;
	if (!json_get_i64(json, "queue", &v))
		h.queue = v;
	if (!json_get_i64(json, "ts_ns", &v))
		h.ts_ns = v;
	/* Captures older than the ring object have none: left empty. */
	diag_ring_from_json(json, &h.ring);
	pipeline_hang(&rc->pipe, &h);
	return 0;
}

/* --html: the page, whatever happened; a problem reading the capture is
 * said at its top. */
static int write_html(struct report_ctx *rc, const struct report_opts *o, int code,
		      const struct capture_stats *st, char *err, size_t errlen)
{
	char source[600], e[1024], problem[2200];
	struct html_page pg = {
		.source = source, .sess = rc->started ? &rc->sess : NULL,
		.agg = rc->started ? rc->pipe.agg : NULL, .lost = rc->lost,
		.unmatched = rc->unmatched, .duration_s = rc->duration_s,
		.problem = code ? problem : NULL,
		.written_by = o->cmdline,
	};

	snprintf(source, sizeof(source), "capture %s (%llu records read)", rc->path, st->frames);
	snprintf(problem, sizeof(problem), "%s: %s",
		 code == 3 ? "This page covers only the part of the capture before the cut"
			   : "The capture could not be read", err);
	if (!html_report__write_file(rc->html, o->html, &pg, e, sizeof(e)))
		return 0;
	snprintf(err, errlen, "%s", e);
	return 1;
}

/* "N frames, none with offload metadata": a pcapng another tool wrote
 * (tshark, dumpcap). Its devices and lengths are still worth a look. */
static void foreign_summary(FILE *out, bool json, const struct capture_stats *st)
{
	char name[TERM_STR_LEN(32)];

	if (json) {
		struct jw w;

		jw_init(&w, out);
		jw_object(&w);
		jw_kstr(&w, "type", "foreign_capture");
		jw_ku64(&w, "frames", st->skipped);
		jw_karray(&w, "devices");
		for (unsigned i = 0; i < st->n_foreign; i++) {
			const struct capture_foreign *f = &st->foreign[i];

			jw_object(&w);
			jw_kstr(&w, "dev", f->name);
			jw_ku64(&w, "frames", f->frames);
			jw_ku64(&w, "bytes", f->bytes);
			jw_ku64(&w, "len_min", f->min_len);
			jw_ku64(&w, "len_max", f->max_len);
			jw_end(&w);
		}
		jw_end(&w);
		jw_ku64(&w, "frames_other_devices", st->foreign_other);
		jw_end(&w);
		return;
	}
	fprintf(out, "%llu frames, none with offload metadata: not a vnoffload-trace capture\n",
		st->skipped);
	fprintf(out, "%-15s %9s %12s %9s %9s\n", "DEVICE", "FRAMES", "BYTES", "LEN min", "LEN max");
	for (unsigned i = 0; i < st->n_foreign; i++) {
		const struct capture_foreign *f = &st->foreign[i];

		fprintf(out, "%-15s %9llu %12llu %9u %9u\n",
			f->name[0] ? term_str(name, sizeof(name), f->name) : "?", f->frames, f->bytes,
			f->min_len, f->max_len);
	}
	if (st->foreign_other)
		fprintf(out, "… %llu frames on further devices\n", st->foreign_other);
}

int report_run(const char *path, int fd, const struct report_opts *o, FILE *out, char *err,
	       size_t errlen)
{
	struct report_ctx rc = {
		.po = { .out = out, .quiet = !o->frames, .json = o->json, .window = o->window,
			.filter = o->filter },
		.path = path, .json = o->json,
		.max_hangs = o->max_hangs ? o->max_hangs : REPORT_HANGS_MAX,
	};
	struct capture_stats st = {};
	int ret, code = 0;

	err[0] = '\0';
	if (o->html && !(rc.html = html_report__new())) {
		snprintf(err, errlen, "%s: %s", o->html, strerror(errno));
		return 1;
	}
	if (fd >= 0)
		ret = capture_read_fd(fd, &rc.sess, on_frame, on_note, &rc, &st);
	else
		ret = capture_read(path, &rc.sess, on_frame, on_note, &rc, &st);
	if (ret && !rc.started) {
		if (ret == -ENOENT || ret == -EACCES || ret == -EISDIR)
			snprintf(err, errlen, "cannot read %s: %s", path, strerror(-ret));
		else
			snprintf(err, errlen, "%s: %s", path, st.error[0] ? st.error : strerror(-ret));
		code = 1;
		goto html;
	}
	if (!st.frames && st.skipped && !st.have_session && !ret) {
		/* Another tool's capture: what the packet blocks alone say. */
		foreign_summary(out, o->json, &st);
		goto html;
	}
	if (!start(&rc))
		pipeline_summary(&rc.pipe, rc.lost, rc.unmatched, rc.duration_s);
	if (rc.err) {
		snprintf(err, errlen, "%s: %s", path, strerror(-rc.err));
		code = 1;
	} else if (ret) {
		snprintf(err, errlen, "%s: %s (after %llu records)", path,
			 st.error[0] ? st.error : strerror(-ret), st.frames);
		code = 1;
	} else if (st.truncated) {
		snprintf(err, errlen, "%s is truncated: read %llu records, stopped at offset %llu "
			 "(%s); the report covers those", path, st.frames, st.stop_offset,
			 st.error[0] ? st.error : "cut short");
		code = 3;
	}
html:
	/* A page that cannot be written outweighs a cut capture. */
	if (rc.html && write_html(&rc, o, code, &st, err, errlen))
		code = 1;
	if (rc.started)
		pipeline_fini(&rc.pipe);
	html_report__free(rc.html);
	session_free(&rc.sess);
	return code;
}

int do_report(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "frames", no_argument, NULL, 'F' },
		{ "filter", required_argument, NULL, 'f' },
		{ "match", required_argument, NULL, 'm' },
		{ "window", required_argument, NULL, 'W' },
		{ "html", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	struct report_opts o = { .json = g_opts.json, .cmdline = g_opts.cmdline };
	const char *expr = NULL, *match[VNO_MATCH_MAX];
	char *end, err[2048], t[TERM_STR_LEN(512)];
	size_t n_match = 0;
	int c, ret;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":f:m:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			o.json = g_opts.json = true;
			break;
		case 'F':
			o.frames = true;
			break;
		case 'f':
		case 'm':
			if (vno_filter_opt(c, optarg, &expr, match, &n_match, err, sizeof(err)) < 0) {
				cmd_error("%s", err);
				return 2;
			}
			break;
		case 'W':
			o.window = strtoul(optarg, &end, 10);
			if (*end || !o.window || o.window > 65536) {
				cmd_error("--window %s: must be a number of frames from 1 to 65536",
					  optarg);
				return 2;
			}
			break;
		case 'H':
			if (!optarg[0]) {
				cmd_error("--html needs a file name");
				return 2;
			}
			o.html = optarg;
			break;
		case 'h':
			printf("usage: vnoffload-trace report FILE [--json] [--frames] [--window N] "
			       "[--html OUT.html]\n"
			       "                              [-f EXPR] [-m PRED]...\n"
			       "  the summary and every hang's diagnosis from a capture file (the\n"
			       "  first %d hangs in full, the others counted); --frames also prints\n"
			       "  every frame. FILE - reads the capture (gzip or not) from stdin.\n"
			       "  --html OUT.html also writes a self-contained page: each hang's\n"
			       "  timeline, suspects and remedies, per-device pictures, the session\n"
			       "  -f, --filter EXPR  keep only the frames record -f EXPR keeps\n"
			       "  -m, --match PRED   keep only the frames record -m PRED keeps (repeatable)\n",
			       REPORT_HANGS_MAX);
			return 0;
		case ':':
			cmd_error("%s needs an argument", argv[optind - 1]);
			return 2;
		default:
			cmd_error("unknown option %s; see vnoffload-trace report --help",
				  term_str(t, sizeof(t), argv[optind - 1]));
			return 2;
		}
	}
	if (optind != argc - 1) {
		cmd_error("report takes one capture file: vnoffload-trace report FILE");
		return 2;
	}
	if ((expr || n_match) &&
	    !(o.filter = vno_filter__new(expr, match, n_match, err, sizeof(err)))) {
		cmd_error("%s", term_str(t, sizeof(t), err));
		return 2;
	}
	/* "-": standard input, as `… | vnoffload-trace report -`. */
	if (!strcmp(argv[optind], "-"))
		ret = report_run("stdin", STDIN_FILENO, &o, stdout, err, sizeof(err));
	else
		ret = report_run(argv[optind], -1, &o, stdout, err, sizeof(err));
	if (err[0])
		cmd_error("%s", term_str(t, sizeof(t), err));
	vno_filter__free(o.filter);
	return ret;
}
