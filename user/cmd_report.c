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
#include "capture.h"
#include "cmds.h"
#include "decode.h"
#include "json.h"
#include "pipeline.h"
#include "probe.h"
#include "session.h"

struct report_ctx {
	struct pipeline pipe;
	struct pipeline_opts po;
	struct vno_session sess;
	bool started, json;
	int err;
	long long lost, unmatched;
	double duration_s;
};

static void print_header(struct report_ctx *rc, const char *path)
{
	const struct vno_session *s = &rc->sess;

	if (rc->json) {
		printf("{\"type\":\"capture\",\"file\":");
		json_str(stdout, path);
		printf(",\"kernel\":");
		json_str(stdout, s->kernel);
		printf(",\"tool\":");
		json_str(stdout, s->tool);
		printf(",\"cmdline\":");
		json_str(stdout, s->cmdline);
		printf(",\"hooks\":{");
		for (int h = 0; h < VNO_HOP__MAX; h++) {
			printf("%s\"%s\":", h ? "," : "", vno_hop_name(h));
			json_str(stdout, s->hooks[h]);
		}
		printf("},\"interfaces\":%zu}\n", s->n_ifaces);
		return;
	}
	printf("capture %s\n  recorded by %s on kernel %s\n  command: %s\n", path,
	       s->tool[0] ? s->tool : "?", s->kernel[0] ? s->kernel : "?",
	       s->cmdline[0] ? s->cmdline : "?");
	for (int h = 0; h < VNO_HOP__MAX; h++)
		if (s->hooks[h][0])
			printf("  %-10s %s\n", vno_hop_name(h), s->hooks[h]);
}

/* The pipeline starts once the session metadata (first in the file) is in:
 * the anomaly rules need its interfaces. */
static int start(struct report_ctx *rc, const char *path)
{
	if (rc->started)
		return rc->err;
	rc->started = true;
	print_header(rc, path);
	rc->err = pipeline_init(&rc->pipe, &rc->po, rc->sess.ifaces, rc->sess.n_ifaces);
	return rc->err;
}

static const char *g_path;

static int on_frame(const struct vno_event *ev, void *ctx)
{
	struct report_ctx *rc = ctx;
	struct vno_event copy = *ev;

	if (start(rc, g_path))
		return rc->err;
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
		drop_reasons_from_json(json);
		return 0;
	}
	/* "lost" notes come while recording (a killed recorder leaves no
	 * summary); the last one read holds the counts so far. */
	if (!strcmp(kind, "summary") || !strcmp(kind, "lost")) {
		json_get_i64(json, "lost_events", &rc->lost);
		json_get_i64(json, "unmatched_completions", &rc->unmatched);
		if (!json_get_i64(json, "duration_s", &v))
			rc->duration_s = v;
		return 0;
	}
	if (strcmp(kind, "hang"))
		return 0;
	if (start(rc, g_path))
		return rc->err;
	/* Diagnosed again from the frames before it, as record did. */
	json_get_str(json, "dev", h.dev, sizeof(h.dev));
	json_get_str(json, "detail", h.detail, sizeof(h.detail));
	json_get_str(json, "source", src, sizeof(src));
	h.source = diag_source_parse(src);
	if (h.source < 0)
		h.source = VNO_HANG_MANUAL;
	if (!json_get_i64(json, "netns", &v))
		h.netns = v;
	if (!json_get_i64(json, "ifindex", &v))
		h.ifindex = v;
	if (!json_get_i64(json, "queue", &v))
		h.queue = v;
	if (!json_get_i64(json, "ts_ns", &v))
		h.ts_ns = v;
	pipeline_hang(&rc->pipe, &h);
	return 0;
}

int do_report(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "frames", no_argument, NULL, 'f' },
		{ "window", required_argument, NULL, 'W' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	struct report_ctx rc = { .po = { .out = stdout, .quiet = true } };
	struct capture_stats st = {};
	const char *path;
	char *end;
	int c, ret;

	rc.json = g_opts.json;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":fh", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			rc.json = g_opts.json = true;
			break;
		case 'f':
			rc.po.quiet = false;
			break;
		case 'W':
			rc.po.window = strtoul(optarg, &end, 10);
			if (*end || !rc.po.window || rc.po.window > 65536) {
				cmd_error("--window %s: must be a number of frames from 1 to 65536",
					  optarg);
				return 2;
			}
			break;
		case 'h':
			printf("usage: vnoffload-trace report FILE [--json] [--frames] [--window N]\n"
			       "  the summary and every hang's diagnosis from a capture file;\n"
			       "  --frames also prints every frame\n");
			return 0;
		case ':':
			cmd_error("%s needs an argument", argv[optind - 1]);
			return 2;
		default:
			cmd_error("unknown option %s; see vnoffload-trace report --help",
				  argv[optind - 1]);
			return 2;
		}
	}
	if (optind != argc - 1) {
		cmd_error("report takes one capture file: vnoffload-trace report FILE");
		return 2;
	}
	path = g_path = argv[optind];
	rc.po.json = rc.json;
	ret = capture_read(path, &rc.sess, on_frame, on_note, &rc, &st);
	if (ret && !rc.started) {
		if (ret == -ENOENT || ret == -EACCES || ret == -EISDIR)
			cmd_error("cannot read %s: %s", path, strerror(-ret));
		else
			cmd_error("%s: %s", path, st.error[0] ? st.error : strerror(-ret));
		session_free(&rc.sess);
		return 1;
	}
	if (!start(&rc, path))
		pipeline_summary(&rc.pipe, rc.lost, rc.unmatched, rc.duration_s);
	pipeline_fini(&rc.pipe);
	session_free(&rc.sess);
	if (rc.err) {
		cmd_error("%s: %s", path, strerror(-rc.err));
		return 1;
	}
	if (ret) {
		cmd_error("%s: %s (after %llu records)", path,
			  st.error[0] ? st.error : strerror(-ret), st.frames);
		return 1;
	}
	if (st.truncated) {
		cmd_error("%s is truncated: read %llu records, stopped at offset %llu (%s); the "
			  "report covers those", path, st.frames, st.stop_offset,
			  st.error[0] ? st.error : "cut short");
		return 3;
	}
	return 0;
}
