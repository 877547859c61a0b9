// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * vnoffload-trace export: the always-on mode. Hooks attached with no
 * per-frame records to user space; the in-kernel aggregates, queue states
 * and flight recorders are read when Prometheus scrapes /metrics. Hang
 * detection runs as in record: the diagnosis goes to stdout (the log under
 * systemd) and, with --hang-dir, a capture file.
 *
 * Threads: the main thread turns the runner (hang triggers, the pipeline);
 * http.c's threads answer requests, and one at a time renders a scrape,
 * reading BPF maps (syscalls: safe beside the main thread). The pipeline
 * (the flight recorders' frames, the anomaly and hang counts) is read
 * through runner_read(), under the runner's lock. The HTTP side (limits,
 * deadline, TLS, authentication) is http.c.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include "anomaly.h"
#include "capture.h"
#include "cmds.h"
#include "decode.h"
#include "hang_capture.h"
#include "header.h"
#include "http.h"
#include "json.h"
#include "log.h"
#include "probe.h"
#include "prom.h"
#include "run.h"
#include "session.h"
#include "webconfig.h"

/* Interface names remembered after their device is gone, so its counters
 * keep their label. */
#define NAME_CACHE_MAX 4096

static void usage(FILE *out)
{
	fprintf(out,
		"usage: vnoffload-trace export [--listen ADDR:PORT] [-i IFACE]... [--json]\n"
		"                              [--web.config.file FILE]\n"
		"                              [--hang-dir DIR] [--stall-ms MS]\n"
		"                              [--hang-pattern RE]... [--window N] [--tc-mode MODE]\n"
		"                              [--attach KIND] [-Z USER]\n"
		"Serve Prometheus metrics from in-kernel aggregates at http(s)://ADDR:PORT/metrics.\n"
		"      --listen ADDR:PORT  where to listen (default %s:%d; :PORT = every\n"
		"                          address, [V6ADDR]:PORT for IPv6, port 0 = any free)\n"
		"      --web.config.file FILE  TLS and basic authentication, in the Prometheus\n"
		"                          exporter toolkit's YAML (tls_server_config:\n"
		"                          cert_file/key_file, basic_auth_users: bcrypt)\n"
		"  -i, --interface IFACE   watch IFACE (name or glob, repeatable; default: every\n"
		"                          interface of this network namespace)\n"
		"      --json              ready line and hang diagnoses as JSON lines\n"
		"      --tc-mode MODE      add the TC hops: auto (tcx where the kernel has it),\n"
		"                          tcx or clsact; default off (they double the cost)\n"
		"      --attach KIND       driver hooks: auto, fentry, kprobe or tp\n"
		"  -Z, --user USER         once attached and listening, run on as USER with only\n"
		"                          CAP_BPF (and CAP_NET_ADMIN with the TC hops)\n"
		"hang triggers (each diagnosis is printed; see record --help):\n"
		"      --hang-dir DIR      also write each hang's frames and diagnosis to\n"
		"                          DIR/hang-DEV-TIME.pcapng.gz\n"
		"      --stall-ms MS       frames handed to a queue with no completion for MS\n"
		"                          (default 1000; 0 = off)\n"
		"      --hang-pattern RE   another kernel-log line that means a hang (POSIX ERE;\n"
		"                          group 1 = device, group 2 = queue); repeatable\n"
		"      --window N          frames kept per device before a hang (default 1024)\n"
		"  SIGUSR1 diagnoses every watched device now; SIGINT/SIGTERM stop.\n",
		PROM_DEFAULT_HOST, PROM_DEFAULT_PORT);
}

/* ---- options ---------------------------------------------------------------- */

int export_parse_listen(const char *s, char *host, size_t hostlen, unsigned *port)
{
	const char *colon, *h = s;
	size_t hl;
	char *end;
	unsigned long v;

	if (!s || !*s)
		return -EINVAL;
	if (*s == '[') {
		const char *rb = strchr(s, ']');

		if (!rb || rb[1] != ':' || rb == s + 1)
			return -EINVAL;
		h = s + 1;
		hl = rb - h;
		colon = rb + 1;
	} else {
		colon = strrchr(s, ':');
		/* IPv6 needs brackets: "::1:9100" is ambiguous. */
		if (!colon || memchr(s, ':', colon - s))
			return -EINVAL;
		hl = colon - s;
	}
	if (hl >= hostlen || !colon[1] || colon[1] < '0' || colon[1] > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(colon + 1, &end, 10);
	if (errno || *end || v > 65535)
		return -EINVAL;
	memcpy(host, h, hl);
	host[hl] = '\0';
	*port = v;
	return 0;
}

void export_opts_free(struct export_opts *o)
{
	run_opts_free(&o->run);
}

int export_parse_args(int argc, char **argv, struct export_opts *o, char *err, size_t errlen)
{
	static const struct option longopts[] = {
		RUN_LONGOPTS,
		{ "listen", required_argument, NULL, 'l' },
		{ "hang-dir", required_argument, NULL, 'D' },
		{ "web.config.file", required_argument, NULL, 'W' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	int c, r;

	memset(o, 0, sizeof(*o));
	run_opts_init(&o->run);
	o->run.no_events = true;
	snprintf(o->host, sizeof(o->host), "%s", PROM_DEFAULT_HOST);
	o->port = PROM_DEFAULT_PORT;
	optind = 0; /* 0, not 1: glibc then also drops a previous scan's state */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":" RUN_SHORTOPTS "h", longopts, NULL)) != -1) {
		r = run_opt(c, optarg, &o->run, err, errlen);
		if (r < 0)
			return r;
		if (r)
			continue;
		switch (c) {
		case 'l':
			if (export_parse_listen(optarg, o->host, sizeof(o->host), &o->port)) {
				snprintf(err, errlen, "--listen %s: use ADDR:PORT, [V6ADDR]:PORT or "
						      ":PORT (every address), port 0-65535", optarg);
				return -EINVAL;
			}
			o->listen = optarg;
			break;
		case 'D':
			if (!*optarg) {
				snprintf(err, errlen, "--hang-dir needs a directory");
				return -EINVAL;
			}
			o->hang_dir = optarg;
			break;
		case 'W':
			if (!*optarg) {
				snprintf(err, errlen, "--web.config.file needs a file");
				return -EINVAL;
			}
			o->web_config = optarg;
			break;
		case 'j':
			o->json = true;
			break;
		case 'h':
			o->help = true;
			return 0;
		default:
			return run_opt_bad(c, argv, "export", err, errlen);
		}
	}
	if (run_opt_end(argc, argv, err, errlen))
		return -EINVAL;
	return 0;
}

/* ---- state ------------------------------------------------------------------ */

struct name_entry {
	__u32 netns, ifindex;
	__u64 gen;		/* scrape that last resolved it */
	char name[IF_NAMESIZE];
};

struct exporter {
	struct runner r;
	struct http_server *http;
	struct webconfig wc;
	bool json;
	char hooks[VNO_HOP__MAX][VNO_HOOK_LEN];
	char listen[80];

	/* Main thread only: --hang-dir. */
	const char *hang_dir;
	struct hang_dir hd;
	struct vno_session sess;
	char *drop_reasons;

	/* Scrapes only (http.c renders one at a time). */
	__u64 gen;
	/* NAME_CACHE_MAX allocated at once: a scrape holds pointers to the
	 * names while it resolves more (pages are touched only when used). */
	struct name_entry *names;
	size_t n_names;
};

/* ---- hangs (main thread) ---------------------------------------------------- */

static void on_hang(const struct vno_diagnosis *dg, void *ctx)
{
	struct exporter *ex = ctx;

	if (ex->hang_dir)
		hang_dir_write(&ex->hd, dg);
}

/* ---- the scrape (an HTTP thread) ------------------------------------------------ */

/* The device's name now, or the last one it had, or "ifN". */
static const char *dev_name(struct exporter *ex, __u32 netns, __u32 ifindex)
{
	struct name_entry *e = NULL;
	char buf[IF_NAMESIZE];

	for (size_t i = 0; i < ex->n_names; i++) {
		if (ex->names[i].netns == netns && ex->names[i].ifindex == ifindex) {
			e = &ex->names[i];
			break;
		}
	}
	if (e && e->gen == ex->gen)
		return e->name;
	/* if_indextoname() asks the namespace we live in, the one watched. */
	if (netns == ex->r.netns && if_indextoname(ifindex, buf)) {
		if (!e && ex->n_names < NAME_CACHE_MAX) {
			e = &ex->names[ex->n_names++];
			e->netns = netns;
			e->ifindex = ifindex;
		}
		if (e) {
			snprintf(e->name, sizeof(e->name), "%s", buf);
			e->gen = ex->gen;
			return e->name;
		}
	}
	if (e)
		return e->name;
	for (size_t i = 0; i < ex->r.nall; i++)
		if (ex->r.all[i].netns == netns && ex->r.all[i].ifindex == ifindex)
			return ex->r.all[i].name;
	/* Rare (gone before its first scrape, cache full): a stable name. */
	if (ex->n_names < NAME_CACHE_MAX) {
		e = &ex->names[ex->n_names++];
		*e = (struct name_entry){ .netns = netns, .ifindex = ifindex };
		snprintf(e->name, sizeof(e->name), "if%u", ifindex);
		return e->name;
	}
	return "?";
}

/* What a scrape takes from the pipeline (under the runner's lock). */
struct scrape_pipe {
	struct exporter *ex;
	struct prom_anomaly *pa;	/* per device: checked, then each rule */
	size_t na;
	struct prom_named hangs[VNO_HANG__MAX];
};

#define ANOMALY_ROWS (ANOMALY__MAX + 1)

static struct prom_anomaly *anomaly_rows(struct scrape_pipe *sp, const char *dev, __u32 netns)
{
	for (size_t k = 0; k < sp->na; k += ANOMALY_ROWS)
		if (sp->pa[k].netns == netns && !strcmp(sp->pa[k].dev, dev))
			return &sp->pa[k];
	return NULL;
}

/*
 * The anomaly counts are the pipeline's: its aggregate holds every frame
 * the flight recorders gave it (export streams nothing else), per device
 * and hop, with the frames per rule tripped. Each watched device with a
 * flight recorder has its rows, zero or not; an aggregate row of its old
 * ifindex (deleted, created again) counts under its name, so the counters
 * stay monotonic.
 */
static void scrape_pipeline(const struct runner *r, void *ctx)
{
	struct scrape_pipe *sp = ctx;
	const struct agg *a = r->pipe.agg;
	struct prom_anomaly *rows;

	for (size_t i = 0; i < r->nsel; i++) {
		const struct vno_iface *it = &r->sel[i];
		const char *dev;

		if (!r->flight[i].has_recorder)
			continue;
		dev = dev_name(sp->ex, it->netns, it->ifindex);
		if (anomaly_rows(sp, dev, it->netns))
			continue;
		sp->pa[sp->na++] = (struct prom_anomaly){ .dev = dev, .netns = it->netns };
		for (unsigned b = 0; b < ANOMALY__MAX; b++)
			sp->pa[sp->na++] = (struct prom_anomaly){ .dev = dev, .netns = it->netns,
								  .rule = anomaly_name(b) };
	}
	for (size_t e = 0; e < a->n; e++) {
		const struct agg_entry *ae = &a->e[e];

		rows = anomaly_rows(sp, dev_name(sp->ex, ae->netns, ae->ifindex), ae->netns);
		if (!rows)
			continue;
		rows[0].count += ae->frames;
		for (unsigned b = 0; b < ANOMALY__MAX; b++)
			rows[1 + b].count += ae->rules[b];
	}
	for (int s = 0; s < VNO_HANG__MAX; s++)
		sp->hangs[s] = (struct prom_named){ diag_source_name(s), a->hangs[s] };
}

/* The exposition, malloc'd; NULL with errno on failure. */
static char *scrape(struct exporter *ex, size_t *len)
{
	struct loader_stat *st = NULL;
	struct loader_queue *qs = NULL;
	struct loader_drop *dr = NULL;
	struct prom_stat *ps = NULL;
	struct prom_queue *pq = NULL;
	struct prom_drop *pd = NULL;
	struct scrape_pipe sp = { .ex = ex };
	struct prom_hook hooks[VNO_HOP__MAX];
	char (*reasons)[16] = NULL;
	size_t nst = 0, nq = 0, nd = 0;
	__u64 cnt[VNO_CNT__MAX];
	char *buf = NULL;
	FILE *f = NULL;
	int ret;

	ex->gen++;
	if ((ret = loader_stats(ex->r.l, &st, &nst)) || (ret = loader_queues(ex->r.l, &qs, &nq)) ||
	    (ret = loader_drops(ex->r.l, &dr, &nd)) || (ret = loader_counters(ex->r.l, cnt)))
		goto out;
	ret = -ENOMEM;
	ps = calloc(nst + 1, sizeof(*ps));
	pq = calloc(nq + 1, sizeof(*pq));
	pd = calloc(nd + 1, sizeof(*pd));
	reasons = calloc(nd + 1, sizeof(*reasons));
	sp.pa = calloc(ex->r.nsel * ANOMALY_ROWS + 1, sizeof(*sp.pa));
	if (!ps || !pq || !pd || !reasons || !sp.pa)
		goto out;
	for (size_t i = 0; i < nst; i++)
		ps[i] = (struct prom_stat){
			.dev = dev_name(ex, st[i].key.netns, st[i].key.ifindex),
			.netns = st[i].key.netns,
			.hop = st[i].key.hop,
			.gso_kind = st[i].key.gso_kind,
			.st = &st[i].st,
			.gso_size_sum = st[i].st.gso_size_sum,
		};
	for (size_t i = 0; i < nq; i++)
		pq[i] = (struct prom_queue){
			.dev = dev_name(ex, qs[i].key.netns, qs[i].key.ifindex),
			.netns = qs[i].key.netns,
			.queue = qs[i].key.queue,
			.inflight = qs[i].inflight,
		};
	for (size_t i = 0; i < nd; i++) {
		const char *r = vno_drop_reason_name ? vno_drop_reason_name(dr[i].key.reason) : NULL;

		if (!r) {
			snprintf(reasons[i], sizeof(reasons[i]), "%u", dr[i].key.reason);
			r = reasons[i];
		}
		pd[i] = (struct prom_drop){
			.dev = dev_name(ex, dr[i].key.netns, dr[i].key.ifindex),
			.netns = dr[i].key.netns,
			.reason = r,
			.count = dr[i].count,
		};
	}
	runner_read(&ex->r, scrape_pipeline, &sp);
	for (int h = 0; h < VNO_HOP__MAX; h++)
		hooks[h] = (struct prom_hook){ vno_hop_name(h), ex->hooks[h] };

	struct prom_input in = {
		.version = VNO_VERSION,
		.hooks = hooks,
		.n_hooks = VNO_HOP__MAX,
		.stats = ps,
		.n_stats = nst,
		.queues = pq,
		.n_queues = nq,
		.drops = pd,
		.n_drops = nd,
		.anomalies = sp.pa,
		.n_anomalies = sp.na,
		.hangs = sp.hangs,
		.n_hangs = VNO_HANG__MAX,
		.have_gso_size_sum = true,
		.events_lost = cnt[VNO_CNT_RB_LOST],
		.inflight_full = cnt[VNO_CNT_INFLIGHT_FULL],
	};
	f = open_memstream(&buf, len);
	if (!f)
		goto out;
	ret = prom_write(f, &in);
out:
	if (f && fclose(f) && !ret)
		ret = -EIO;
	free(st);
	free(qs);
	free(dr);
	free(ps);
	free(pq);
	free(pd);
	free(reasons);
	free(sp.pa);
	if (ret) {
		free(buf);
		errno = -ret;
		return NULL;
	}
	return buf;
}

/* http.c renders /metrics through this, one render at a time. */
static char *render(void *ctx, size_t *len)
{
	return scrape(ctx, len);
}

/* ---- the command -------------------------------------------------------------- */

static void print_ready(struct exporter *ex, bool any_iface)
{
	struct header_serve sv = { .listen = ex->listen, .tls = webconfig_tls(&ex->wc),
				   .basic_auth = webconfig_auth(&ex->wc), .hang_dir = ex->hang_dir };
	struct header_ready h = { .netns = ex->r.netns, .ifaces = ex->r.sel,
				  .n_ifaces = ex->r.nsel, .any_iface = any_iface,
				  .hooks = (const char(*)[VNO_HOOK_LEN])ex->hooks, .serve = &sv };

	header_ready(stdout, ex->json, &h);
}

int do_export(int argc, char **argv)
{
	static struct exporter ex; /* big (the runner): not on the stack */
	struct export_opts o;
	struct pipeline_opts po = { .out = stdout, .quiet = true };
	char err[1024] = "";
	bool loopback = true;
	int ret, fd = -1;

	ret = export_parse_args(argc, argv, &o, err, sizeof(err));
	if (o.json)
		g_opts.json = true;
	if (ret) {
		cmd_error("%s", err);
		export_opts_free(&o);
		return 2;
	}
	if (o.help) {
		usage(stdout);
		export_opts_free(&o);
		return 0;
	}
	memset(&ex, 0, sizeof(ex));
	ex.json = o.json;
	ret = 1;
	if (o.hang_dir) {
		int e = hang_dir_check(o.hang_dir);

		if (e) {
			cmd_error("--hang-dir %s: %s; give an existing directory root can write to",
				  o.hang_dir, strerror(-e));
			ret = 2;
			goto out;
		}
		ex.hang_dir = o.hang_dir;
	}
	/* Read before anything is attached (and before any privilege drop:
	 * the key may be root's alone). */
	if (o.web_config) {
		int e = webconfig_load(o.web_config, &ex.wc, err, sizeof(err));

		if (e) {
			cmd_error("%s", err);
			ret = 2;
			goto out;
		}
	}
	if (!have_bpf_privileges()) {
		cmd_error("export needs root (or CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN): "
			  "run it with sudo or as the systemd unit in contrib/");
		goto out;
	}
	/* Bound before anything is attached: a port in use costs nothing. */
	fd = http_listen(o.host, o.port, ex.listen, sizeof(ex.listen), &loopback, err, sizeof(err));
	if (fd < 0) {
		cmd_error("%s", err);
		goto out;
	}
	/* Said once, where an operator sees it (the journal under systemd). */
	if (!loopback) {
		const char *miss = webconfig_tls(&ex.wc)
			? (webconfig_auth(&ex.wc) ? NULL : "without authentication")
			: (webconfig_auth(&ex.wc) ? "in clear text (passwords too)"
						  : "in clear text and without authentication");

		if (miss)
			fprintf(stderr, "warning: %s is reachable from other hosts, %s; "
				"--web.config.file FILE adds TLS and basic authentication\n",
				ex.listen, miss);
		else
			fprintf(stderr, "note: %s is reachable from other hosts (TLS and basic "
				"authentication on)\n", ex.listen);
	}
	/* The ring buffer still carries the watchdog's hang records. */
	o.run.rb_bytes = 256 << 10;
	po.json = o.json;
	po.window = o.run.window;
	if (runner_open(&ex.r, &o.run, &po, err, sizeof(err))) {
		cmd_error("%s", err);
		goto out;
	}
	for (int h = 0; h < VNO_HOP__MAX; h++)
		snprintf(ex.hooks[h], sizeof(ex.hooks[h]), "%s", loader_hook(ex.r.l, h));
	ex.names = calloc(NAME_CACHE_MAX, sizeof(*ex.names));
	if (!ex.names) {
		cmd_error("out of memory");
		goto out;
	}
	if (ex.hang_dir) {
		if (session_fill(&ex.sess, g_opts.cmdline, (const char(*)[VNO_HOOK_LEN])ex.hooks, ex.r.all,
				 ex.r.nall)) {
			cmd_error("out of memory");
			goto out;
		}
		ex.drop_reasons = probe_drop_reasons_json();
		ex.hd = (struct hang_dir){ .dir = ex.hang_dir, .sess = &ex.sess,
					   .drop_reasons = ex.drop_reasons, .out = stdout,
					   .json = ex.json };
	}
	ex.r.pipe.on_hang = on_hang;
	ex.r.pipe.ctx = &ex;
	ex.r.pipe.o.t0_ns = mono_now_ns();

	run_signals();

	ex.http = http_start(fd, &ex.wc, render, &ex, err, sizeof(err));
	fd = -1; /* the server's now, even on failure */
	if (!ex.http) {
		cmd_error("%s on %s", err, ex.listen);
		goto out;
	}
	print_ready(&ex, o.run.n_ifaces == 0);

	while (!run_stop) {
		int e = runner_poll(&ex.r, 200);

		if (e) {
			cmd_error("reading the ring buffer failed: %s", strerror(-e));
			goto out;
		}
		if (run_usr1) {
			run_usr1 = 0;
			runner_trigger(&ex.r, "SIGUSR1");
		}
		fflush(stdout);
	}
	ret = 0;
out:
	/* The HTTP thread reads the maps: it stops before they go. */
	http_stop(ex.http);
	if (fd >= 0)
		close(fd);
	runner_close(&ex.r);
	session_free(&ex.sess);
	free(ex.drop_reasons);
	free(ex.names);
	webconfig_free(&ex.wc);
	export_opts_free(&o);
	memset(&ex, 0, sizeof(ex));
	return ret;
}
