// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* vnoffload-trace record: attach, report every super-frame per hop, summarise. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/utsname.h>
#include <bpf/libbpf.h>
#include "cmds.h"
#include "decode.h"
#include "hang_capture.h"
#include "html_report.h"
#include "header.h"
#include "json_writer.h"
#include "json.h"
#include "loader.h"
#include "kmaps.h"
#include "agg.h"
#include "log.h"
#include "filter.h"
#include "pipeline.h"
#include "probe.h"
#include "record.h"
#include "run.h"
#include "capture.h"
#include "session.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: vnoffload-trace record [-i IFACE]... [--vm NAME]... [-d DURATION] [--json]\n"
		"                              [--all] [-q] [-w FILE [--force]\n"
		"                                [--rotate-size SIZE [--rotate-count N]]\n"
		"                                [--writer-thread]]\n"
		"                              [--snaplen N] [--buffer SIZE] [--tc-mode MODE]\n"
		"                              [--attach KIND] [-Z USER] [--stall-ms MS]\n"
		"                              [--hang-pattern RE]... [--trigger-after D]\n"
		"                              [--window N] [--html FILE] [-f EXPR] [-m PRED]...\n"
		"  -i, --interface IFACE  watch IFACE (name or glob, repeatable; default: every\n"
		"                         interface of this network namespace), also once it\n"
		"                         appears later\n"
		"      --vm NAME          watch the taps of the VM NAME (glob, repeatable), across\n"
		"                         its restarts\n"
		"  -d, --duration D       stop after D (10, 10s, 500ms, 2m); default: Ctrl-C\n"
		"      --json             JSON lines: ready, frame…, summary\n"
		"  -a, --all              every skb, not only frames carrying offload metadata\n"
		"      --snaplen N        frame bytes to keep per record (0-%d, default 128;\n"
		"                         192 of an encapsulated frame unless given)\n"
		"      --buffer SIZE      ring buffers' size in all (default 8M), split among one\n"
		"                         per CPU, up to four\n"
		"      --tc-mode MODE     add the TC hops (the qdisc's view: its wait, the frame\n"
		"                         before software GSO): auto (tcx where the kernel has\n"
		"                         it), tcx or clsact; default off (they double the cost)\n"
		"      --attach KIND      driver hooks: auto (fentry, else kprobe), fentry, kprobe,\n"
		"                         or tp (tracepoints and TC only)\n"
		"  -q, --quiet            no per-frame lines, only hangs and the summary\n"
		"  -w, --write FILE       also write a capture file (pcapng; gzip when FILE ends\n"
		"                         in .gz) for a bug report; read it with `report`.\n"
		"                         -w - streams plain pcapng to standard output, each\n"
		"                         block as it is made (| tshark -r -), and what record\n"
		"                         prints goes to standard error\n"
		"      --force            overwrite FILE\n"
		"      --rotate-size SIZE past SIZE (e.g. 100M) go on in a new file, numbered\n"
		"                         before the extension: x.pcapng.gz, x.1.pcapng.gz,\n"
		"                         x.2.pcapng.gz…; each file is complete\n"
		"      --rotate-count N   keep at most N files, removing the oldest\n"
		"      --writer-thread    build, compress and write FILE's blocks on a thread\n"
		"                         of their own behind a bounded queue, not on the ring\n"
		"                         buffer's reader (more CPU in all, less on the reader)\n"
		"      --html FILE        when the recording ends, write a self-contained page\n"
		"                         (each hang's timeline, suspects, remedies, per-device\n"
		"                         pictures, the session) into FILE, as report --html\n"
		"  -f, --filter EXPR      keep only frames that match the pcap-filter(7)\n"
		"                         expression EXPR (\"host 192.0.2.5 and tcp port 873\")\n"
		"  -m, --match PRED       keep only frames whose offload metadata hold PRED\n"
		"                         (\"gso_size < 64\", \"gso_type has udp_l4\", \"anomaly\");\n"
		"                         repeatable, all must hold. A frame kept at one hop is\n"
		"                         kept at its later hops\n"
		"  -Z, --user USER        once attached and FILE is open, run on as USER with\n"
		"                         only CAP_BPF (and CAP_NET_ADMIN with the TC hops)\n"
		"hang triggers (each diagnosis names the frames before the hang):\n"
		"      --stall-ms MS      frames handed to a queue with no completion for MS\n"
		"                         (default 1000; 0 = off)\n"
		"      --hang-pattern RE  another kernel-log line that means a hang (POSIX ERE;\n"
		"                         group 1 = device, group 2 = queue); repeatable\n"
		"      --trigger-after D  diagnose as if a hang happened after D\n"
		"      --window N         frames kept per device before a hang (default 1024)\n"
		"  SIGUSR1 diagnoses every watched device now.\n",
		VNO_SNAP_MAX);
}

void record_opts_free(struct record_opts *o)
{
	run_opts_free(&o->run);
}

int record_parse_args(int argc, char **argv, struct record_opts *o, char *err, size_t errlen)
{
	static const struct option longopts[] = {
		RUN_LONGOPTS,
		{ "duration", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "all", no_argument, NULL, 'a' },
		{ "snaplen", required_argument, NULL, 's' },
		{ "buffer", required_argument, NULL, 'b' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "trigger-after", required_argument, NULL, 'T' },
		{ "write", required_argument, NULL, 'w' },
		{ "force", no_argument, NULL, 'F' },
		{ "rotate-size", required_argument, NULL, 'R' },
		{ "rotate-count", required_argument, NULL, 'C' },
		{ "writer-thread", no_argument, NULL, 'W' },
		{ "html", required_argument, NULL, 'H' },
		{ "filter", required_argument, NULL, 'f' },
		{ "match", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	unsigned long long v;
	char *end;
	int c;

	memset(o, 0, sizeof(*o));
	run_opts_init(&o->run);
	optind = 0; /* 0, not 1: glibc then also drops a previous scan's state */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":" RUN_SHORTOPTS "d:as:qhw:f:m:", longopts, NULL)) != -1) {
		int r = run_opt(c, optarg, &o->run, err, errlen);

		if (r < 0)
			return r;
		if (r)
			continue;
		switch (c) {
		case 'd':
			if (parse_duration_ms(optarg, &o->duration_ms) || !o->duration_ms) {
				snprintf(err, errlen, "-d %s: not a duration; use seconds like 10 or 10s, "
						      "or 500ms, 2m", optarg);
				return -EINVAL;
			}
			break;
		case 'j': o->json = true; break;
		case 'a': o->run.all_frames = true; break;
		case 'q': o->quiet = true; break;
		case 's':
			errno = 0;
			v = strtoull(optarg, &end, 10);
			if (errno || *end || !optarg[0] || optarg[0] == '-' || v > VNO_SNAP_MAX) {
				snprintf(err, errlen, "--snaplen %s: must be a number from 0 to %d",
					 optarg, VNO_SNAP_MAX);
				return -EINVAL;
			}
			o->run.snaplen = v;
			/* Given: the same for every frame. */
			o->run.snaplen_encap = v;
			break;
		case 'b':
			if (parse_size(optarg, &v) || v < 4096 || v > (1ULL << 30) || (v & (v - 1))) {
				snprintf(err, errlen, "--buffer %s: must be a power of two from 4K to 1G",
					 optarg);
				return -EINVAL;
			}
			o->run.rb_bytes = v;
			break;
		case 'T':
			if (parse_duration_ms(optarg, &o->trigger_after_ms)) {
				snprintf(err, errlen, "--trigger-after %s: not a duration; use 5, 5s "
						      "or 500ms", optarg);
				return -EINVAL;
			}
			break;
		case 'w':
			if (!optarg[0]) {
				snprintf(err, errlen, "-w needs a file name");
				return -EINVAL;
			}
			o->write_path = optarg;
			break;
		case 'H':
			if (!optarg[0]) {
				snprintf(err, errlen, "--html needs a file name");
				return -EINVAL;
			}
			o->html_path = optarg;
			break;
		case 'F':
			o->force = true;
			break;
		case 'W':
			o->writer_thread = true;
			break;
		case 'f':
		case 'm':
			if (vno_filter_opt(c, optarg, &o->filter_expr, o->match, &o->n_match, err,
					   errlen) < 0)
				return -EINVAL;
			break;
		case 'R':
			if (parse_size(optarg, &o->rotate_size) || !o->rotate_size) {
				snprintf(err, errlen, "--rotate-size %s: not a size; use 100M, 1G or 512K",
					 optarg);
				return -EINVAL;
			}
			break;
		case 'C':
			errno = 0;
			v = strtoull(optarg, &end, 10);
			if (errno || *end || optarg[0] == '-' || !optarg[0] || !v || v > 100000) {
				snprintf(err, errlen, "--rotate-count %s: must be a number of files from 1",
					 optarg);
				return -EINVAL;
			}
			o->rotate_count = v;
			break;
		case 'h':
			o->help = true;
			return 0;
		default:
			return run_opt_bad(c, argv, "record", err, errlen);
		}
	}
	if (run_opt_end(argc, argv, err, errlen))
		return -EINVAL;
	if ((o->rotate_size || o->rotate_count) && !o->write_path) {
		snprintf(err, errlen, "--rotate-size and --rotate-count need -w FILE");
		return -EINVAL;
	}
	if (o->rotate_size && !strcmp(o->write_path, "-")) {
		snprintf(err, errlen, "--rotate-size cannot split standard output (-w -); "
				      "write to a file to rotate");
		return -EINVAL;
	}
	if (o->rotate_count && !o->rotate_size) {
		snprintf(err, errlen, "--rotate-count needs --rotate-size");
		return -EINVAL;
	}
	if (o->writer_thread && (!o->write_path || !strcmp(o->write_path, "-"))) {
		snprintf(err, errlen, "--writer-thread needs -w FILE (a file: -w - writes each "
				      "block as it is made)");
		return -EINVAL;
	}
	return 0;
}

/* The capture file, fed by the pipeline. A write error ends the recording
 * at once, said in one sentence: what was written before it stays
 * readable. */
struct capture_sink {
	struct capture_writer *w;
	bool stream;		/* -w -: standard output */
	bool reader_gone;	/* -w -: the pipe's reader closed it, a normal end */
	int err;
	__u64 lost_noted;	/* the lost-event count in the last "lost" note */
	__u64 next_note_ns;
};

static void cap_failed(struct capture_sink *cs, int err)
{
	if (cs->err)
		return;
	cs->err = err;
	run_stop = 1;
	if (cs->stream && err == -EPIPE) {
		/* `record -w - | tshark -c 100 -r -`: the reader had what it
		 * wanted. Nothing more can reach it; the rest is said as usual. */
		cs->reader_gone = true;
		pr_warn("the reader of standard output closed it: recording stopped\n");
		return;
	}
	cmd_error("writing %s: %s", cs->stream ? "standard output" : capture_writer__path(cs->w),
		  strerror(-err));
}

static int cap_frame(const struct vno_event *ev, void *ctx)
{
	struct capture_sink *cs = ctx;
	int r;

	if (!cs->w || cs->err || ev->f.hop == VNO_HOP_HANG)
		return 0;
	r = capture_writer__frame(cs->w, ev);
	if (r)
		cap_failed(cs, r);
	return 0;
}

static void cap_note_stream(struct capture_sink *cs, const char *kind, const char *comment,
			    void (*fn)(FILE *, const void *), const void *arg)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int r;

	if (!cs->w || cs->err)
		return;
	f = open_memstream(&buf, &len);
	if (!f)
		return;
	fn(f, arg);
	fclose(f);
	/* One line of JSON without its newline. */
	if (len && buf[len - 1] == '\n')
		buf[len - 1] = '\0';
	r = capture_writer__note(cs->w, kind, buf, comment);
	if (r)
		cap_failed(cs, r);
	free(buf);
}

static void cap_hang(const struct vno_diagnosis *dg, void *ctx)
{
	struct capture_sink *cs = ctx;
	int r;

	if (!cs->w || cs->err)
		return;
	r = hang_capture_note(cs->w, dg);
	if (r)
		cap_failed(cs, r);
}

static void offload_json_fn(FILE *f, const void *p)
{
	offload_change_json(f, p);
}

/* An offload change into the capture: the note holds its JSON line. */
static void cap_offload(const struct offload_change *oc, struct capture_sink *cs)
{
	char comment[160];

	snprintf(comment, sizeof(comment), "offload change on %s: %s %s -> %s%s", oc->dev,
		 oc->c[0].name, oc->c[0].from ? "on" : "off", oc->c[0].to ? "on" : "off",
		 oc->n > 1 ? ", …" : "");
	cap_note_stream(cs, "offload_change", comment, offload_json_fn, oc);
}

/* The pipeline has one set of callbacks: the capture and the page share
 * it. */
struct record_sinks {
	struct capture_sink *cs;
	struct html_report *html;	/* --html, or NULL */
	bool html_nomem;		/* a hang could not be kept for the page */
};

static int sinks_frame(const struct vno_event *ev, void *ctx)
{
	struct record_sinks *s = ctx;

	html_report__frame(s->html, ev);
	return cap_frame(ev, s->cs);
}

static void sinks_hang(const struct vno_diagnosis *dg, void *ctx)
{
	struct record_sinks *s = ctx;

	if (html_report__hang(s->html, dg))
		s->html_nomem = true;
	cap_hang(dg, s->cs);
}

static void sinks_offload(const struct offload_change *oc, void *ctx)
{
	struct record_sinks *s = ctx;

	cap_offload(oc, s->cs);
}

struct summary_arg {
	const struct agg *a;
	__u64 lost, unmatched;
	double dur;
};

static void summary_json_fn(FILE *f, const void *p)
{
	const struct summary_arg *s = p;

	agg_json(f, s->a, s->lost, s->unmatched, s->dur);
}

/* At most this often the counters are read for a "lost" note. */
#define LOST_NOTE_NS 500000000ULL

/*
 * Lost events go into the capture as they happen, not only in the summary
 * at the end: a "lost" note each time a count grew, at most once per flush
 * period, so the file of a recorder killed with SIGKILL still counts them
 * (report takes the last one). Kernel-log lines lost and read errors ride
 * along.
 */
static void note_lost(struct capture_sink *cs, struct runner *r, __u64 start, __u64 now)
{
	__u64 cnt[VNO_CNT__MAX], lost, klost;
	char json[256], comment[128];
	int e;

	if (!cs->w || cs->err || now < cs->next_note_ns)
		return;
	cs->next_note_ns = now + LOST_NOTE_NS;
	if (loader_counters(r->l, cnt))
		return;
	klost = runner_kmsg_lost(r);
	lost = cnt[VNO_CNT_RB_LOST] + klost + r->kmsg_errors;
	if (lost == cs->lost_noted)
		return;
	cs->lost_noted = lost;
	snprintf(json, sizeof(json),
		 "{\"lost_events\":%llu,\"unmatched_completions\":%llu,\"duration_s\":%.3f,"
		 "\"kmsg_lost\":%llu,\"kmsg_read_errors\":%llu}",
		 (unsigned long long)cnt[VNO_CNT_RB_LOST],
		 (unsigned long long)cnt[VNO_CNT_INFLIGHT_FULL], (now - start) / 1e9,
		 (unsigned long long)klost, (unsigned long long)r->kmsg_errors);
	snprintf(comment, sizeof(comment), "lost so far: %llu events (ring buffer full), %llu "
		 "kernel-log lines", (unsigned long long)cnt[VNO_CNT_RB_LOST],
		 (unsigned long long)klost);
	e = capture_writer__note(cs->w, "lost", json, comment);
	if (e)
		cap_failed(cs, e);
}

/* The kernel log's own losses, when there were any: the hang trigger it
 * feeds missed lines. */
/* What the BPF side knows of the frames handed over whose release no
 * record showed: per device, in the summary (and the capture's copy). */
static void add_release_counts(struct runner *r)
{
	struct loader_queue *qs = NULL;
	size_t n = 0;

	if (loader_queues(r->l, &qs, &n))
		return;
	for (size_t i = 0; i < n; i++)
		agg__add_release(r->pipe.agg, qs[i].key.netns, qs[i].key.ifindex, qs[i].st.unseen,
				 qs[i].inflight > 0 ? (__u64)qs[i].inflight : 0);
	free(qs);
}

static void print_kmsg_losses(const struct record_opts *o, const struct runner *r)
{
	__u64 klost = runner_kmsg_lost(r);

	if (!klost && !r->kmsg_errors)
		return;
	if (o->json) {
		struct jw w;

		jw_init(&w, stdout);
		jw_object(&w);
		jw_kstr(&w, "type", "kmsg");
		jw_ku64(&w, "lines_lost", klost);
		jw_ku64(&w, "read_errors", r->kmsg_errors);
		if (r->kmsg_last_err)
			jw_kstr(&w, "last_error", strerror(r->kmsg_last_err));
		else
			jw_knull(&w, "last_error");
		jw_end(&w);
	} else
		printf("kernel log: %llu lines lost (overwritten before they were read), %llu "
		       "read errors%s%s\n", (unsigned long long)klost,
		       (unsigned long long)r->kmsg_errors, r->kmsg_last_err ? "; last: " : "",
		       r->kmsg_last_err ? strerror(r->kmsg_last_err) : "");
}

/* Does a driver hop (whose records the BPF stage does not filter) run? */
static bool driver_hops_attached(const struct loader *l)
{
	static const int hops[] = { VNO_HOP_DRV_XMIT, VNO_HOP_DRV_DONE, VNO_HOP_BR_FWD,
				    VNO_HOP_GUEST };

	for (size_t i = 0; i < sizeof(hops) / sizeof(hops[0]); i++)
		if (strncmp(loader_hook(l, hops[i]), "none", 4))
			return true;
	return false;
}

static void print_ready(const struct record_opts *o, const struct runner *r,
			const struct vno_filter *filter)
{
	char hooks[VNO_HOP__MAX][VNO_HOOK_LEN];
	struct header_ready h = { .netns = r->netns, .ifaces = r->sel, .n_ifaces = r->nsel,
				  .any_iface = !o->run.n_ifaces && !o->run.n_vms,
				  .hooks = (const char(*)[VNO_HOOK_LEN])hooks,
				  .all_frames = o->run.all_frames,
				  .filter = filter,
				  .filter_where = loader_filter_where(r->l) };

	for (int i = 0; i < VNO_HOP__MAX; i++)
		snprintf(hooks[i], sizeof(hooks[i]), "%s", loader_hook(r->l, i));
	header_ready(stdout, o->json, &h);
}

int do_record(int argc, char **argv)
{
	struct record_opts o;
	struct runner r = {};
	struct capture_sink cs = {};
	struct record_sinks sinks = { .cs = &cs };
	FILE *html_fp = NULL;
	struct vno_session sess = {};
	struct pipeline_opts po = { .out = stdout };
	struct vno_filter *filter = NULL;
	__u64 cnt[VNO_CNT__MAX], start, deadline = 0, trigger_at = 0;
	char err[1024] = "";
	int ret = 1, cap_fd = -1;

	ret = record_parse_args(argc, argv, &o, err, sizeof(err));
	if (o.json)
		g_opts.json = true;
	if (ret) {
		cmd_error("%s", err);
		record_opts_free(&o);
		return 2;
	}
	ret = 1;
	if (o.help) {
		usage(stdout);
		record_opts_free(&o);
		return 0;
	}
	if (o.filter_expr || o.n_match) {
		/* Compiled before anything is attached: a bad one is exit 2. */
		filter = vno_filter__new(o.filter_expr, o.match, o.n_match, err, sizeof(err));
		if (!filter) {
			cmd_error("%s", err);
			record_opts_free(&o);
			return 2;
		}
	}
	if (o.write_path && !strcmp(o.write_path, "-")) {
		/* The capture gets standard output to itself: its descriptor
		 * moves to the writer, and fd 1 becomes standard error, where
		 * the ready line, frames, diagnoses and summary then go. */
		if (isatty(STDOUT_FILENO)) {
			cmd_error("-w - writes a binary capture to standard output, which is a "
				  "terminal: pipe it (| tshark -r -) or redirect it (> FILE)");
			goto out;
		}
		fflush(stdout);
		cap_fd = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
		if (cap_fd < 0 || dup2(STDERR_FILENO, STDOUT_FILENO) < 0) {
			cmd_error("-w -: standard output cannot be taken over: %s",
				  strerror(errno));
			goto out;
		}
		/* A reader that goes away is an EPIPE to handle, not a death. */
		signal(SIGPIPE, SIG_IGN);
		cs.stream = true;
	}
	if (!have_bpf_privileges()) {
		cmd_error("record needs root (or CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN): "
			  "run it with sudo");
		goto out;
	}
	if (o.html_path) {
		/* Opened now, as who started the recording (-Z drops that), and
		 * so a path that cannot be written is said before anything is
		 * attached. */
		int hfd = open(o.html_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

		html_fp = hfd >= 0 ? fdopen(hfd, "w") : NULL;
		if (hfd >= 0 && !html_fp)
			close(hfd);
		sinks.html = html_fp ? html_report__new() : NULL;
		if (!sinks.html) {
			cmd_error("cannot write %s: %s", o.html_path, strerror(errno));
			goto out;
		}
	}
	po.json = o.json;
	po.quiet = o.quiet;
	po.window = o.run.window;
	po.filter = filter;
	po.filter_desc = filter ? vno_filter__str(filter) : NULL;
	if (runner_open(&r, &o.run, &po, err, sizeof(err))) {
		cmd_error("%s", err);
		goto out;
	}
	if (o.write_path || o.html_path) {
		char hooks[VNO_HOP__MAX][VNO_HOOK_LEN];

		for (int h = 0; h < VNO_HOP__MAX; h++)
			snprintf(hooks[h], sizeof(hooks[h]), "%s", loader_hook(r.l, h));
		if (session_fill(&sess, g_opts.cmdline, hooks, r.all, r.nall)) {
			cmd_error("out of memory");
			goto out;
		}
		snprintf(sess.filter, sizeof(sess.filter), "%s", vno_filter__str(filter));
		r.pipe.on_frame = sinks_frame;
		r.pipe.on_hang = sinks_hang;
		r.pipe.on_offload = sinks_offload;
		r.pipe.ctx = &sinks;
	}
	if (o.write_path) {
		struct capture_opts co = { .snaplen = o.run.snaplen,
					   .snaplen_encap = o.run.snaplen_encap, .force = o.force,
					   .rotate_size = o.rotate_size,
					   .rotate_count = o.rotate_count,
					   .stream = cs.stream, .stream_fd = cap_fd,
					   /* On the reader's thread unless asked: the
					    * writer thread (.async) cost 2-2.5 times the
					    * CPU in all in pipeline_bench on a quiet
					    * machine (bench/README.md), though less of
					    * it on the ring buffer's reader. */
					   .async = o.writer_thread };
		char *reasons;

		cs.w = capture_writer__new(o.write_path, &sess, &co);
		cap_fd = -1; /* the writer's now, whether it was made or not */
		if (!cs.w) {
			if (errno == EEXIST)
				cmd_error("%s exists; add --force to overwrite it", o.write_path);
			else if (errno == CAPTURE_E_NOT_REGULAR)
				cmd_error("%s is not a regular file; --force overwrites only a "
					  "regular file of your own", o.write_path);
			else if (errno == CAPTURE_E_NOT_OWNER)
				cmd_error("%s belongs to another user; --force overwrites only a "
					  "file of your own: remove it first", o.write_path);
			else if (cs.stream && errno == EPIPE)
				cmd_error("-w -: standard output was closed before the capture's "
					  "header could be written");
			else
				cmd_error("cannot write %s: %s", o.write_path, strerror(errno));
			goto out;
		}
		reasons = probe_drop_reasons_json();
		if (reasons)
			capture_writer__note(cs.w, "drop_reasons", reasons,
					     "names of the recording kernel's skb drop reasons");
		free(reasons);
	}
	if (o.run.user) {
		/* New files of a rotation are created as the user: it owns the
		 * whole set (a sticky directory lets only the owner remove the
		 * oldest), and must be able to create them. */
		if (cs.w && o.rotate_size && capture_writer__chown(cs.w, o.run.uid, o.run.gid)) {
			cmd_error("-Z %s: giving %s to that user failed: %s", o.run.user,
				  o.write_path, strerror(errno));
			goto out;
		}
		if (runner_drop_privileges(&r, err, sizeof(err))) {
			cmd_error("%s", err);
			goto out;
		}
		if (cs.w && o.rotate_size && capture_dir_writable(o.write_path)) {
			cmd_error("-Z %s: that user cannot create files in the directory of %s, "
				  "which --rotate-size needs", o.run.user, o.write_path);
			goto out;
		}
	}
	run_signals();

	start = mono_now_ns();
	r.pipe.o.t0_ns = start;
	if (o.duration_ms)
		deadline = start + o.duration_ms * 1000000ULL;
	if (o.trigger_after_ms)
		trigger_at = start + o.trigger_after_ms * 1000000ULL;
	vno_filter__judged_in_bpf(filter, !strcmp(loader_filter_where(r.l), "bpf"),
				  driver_hops_attached(r.l));
	print_ready(&o, &r, filter);

	while (!run_stop) {
		__u64 now;
		int e = runner_poll(&r, 100);

		if (e) {
			cmd_error("reading the ring buffer failed: %s", strerror(-e));
			break;
		}
		now = mono_now_ns();
		if (run_usr1) {
			run_usr1 = 0;
			runner_trigger(&r, "SIGUSR1");
		}
		if (trigger_at && now >= trigger_at) {
			trigger_at = 0;
			runner_trigger(&r, "--trigger-after");
		}
		if (cs.w && !cs.err) {
			int e2;

			note_lost(&cs, &r, start, now);
			e2 = cs.err ? 0 : capture_writer__tick(cs.w, now);
			if (e2)
				cap_failed(&cs, e2);
		}
		/* Readers of a pipe or file see each batch as it comes. */
		fflush(stdout);
		if (deadline && now >= deadline)
			break;
	}
	/* What the kernel already queued is still reported. */
	runner_drain(&r);
	loader_counters(r.l, cnt);
	add_release_counts(&r);
	r.pipe.agg->left_out_bpf = cnt[VNO_CNT_FILTERED];
	pipeline_summary(&r.pipe, cnt[VNO_CNT_RB_LOST], cnt[VNO_CNT_INFLIGHT_FULL],
			 (mono_now_ns() - start) / 1e9);
	if (cs.w) {
		struct summary_arg sarg = { r.pipe.agg, cnt[VNO_CNT_RB_LOST],
					    cnt[VNO_CNT_INFLIGHT_FULL], (mono_now_ns() - start) / 1e9 };
		char comment[128];

		snprintf(comment, sizeof(comment),
			 "summary: %llu events lost (ring buffer full)",
			 (unsigned long long)sarg.lost);
		cap_note_stream(&cs, "summary", comment, summary_json_fn, &sarg);
		if (!cs.err) {
			char path[4096];
			int e;

			/* The name is the writer's (a rotation's last file). */
			snprintf(path, sizeof(path), "%s", capture_writer__path(cs.w));
			e = capture_writer__close(cs.w);
			cs.w = NULL;
			if (e && cs.stream) {
				cap_failed(&cs, e);
			} else if (e) {
				cs.err = e;
				cmd_error("writing %s: %s", path, strerror(-e));
			}
		} else {
			capture_writer__close(cs.w);
		}
		cs.w = NULL;
	}
	print_kmsg_losses(&o, &r);
	if (html_fp) {
		struct html_page pg = { .source = "recording", .sess = &sess, .agg = r.pipe.agg,
					.lost = cnt[VNO_CNT_RB_LOST],
					.unmatched = cnt[VNO_CNT_INFLIGHT_FULL],
					.duration_s = (mono_now_ns() - start) / 1e9,
					.problem = sinks.html_nomem ? "out of memory: some hangs are "
								      "missing from this page" : NULL,
					.written_by = g_opts.cmdline };
		int e = html_report__write(sinks.html, html_fp, &pg);

		if (fclose(html_fp) && !e)
			e = -errno;
		html_fp = NULL;
		if (e) {
			cmd_error("writing %s: %s", o.html_path, strerror(-e));
			goto out;
		}
	}
	if (cs.err && !cs.reader_gone)
		goto out;
	if (cnt[VNO_CNT_RB_LOST] && !o.json)
		pr_warn("warning: %llu events were lost because the ring buffer was full; "
			"try --buffer 64M\n", (unsigned long long)cnt[VNO_CNT_RB_LOST]);
	ret = 0;
out:
	if (cap_fd >= 0)
		close(cap_fd);
	if (html_fp)
		fclose(html_fp);
	html_report__free(sinks.html);
	capture_writer__close(cs.w);
	session_free(&sess);
	runner_close(&r);
	vno_filter__free(filter);
	record_opts_free(&o);
	return ret;
}
