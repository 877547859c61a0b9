// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * vnoffload-trace export: the always-on mode. Hooks attached with no
 * per-frame records to user space; the in-kernel aggregates, queue states
 * and flight recorders are read when Prometheus scrapes /metrics. Hang
 * detection runs as in record: the diagnosis goes to stdout (the log under
 * systemd) and, with --hang-dir, a capture file.
 *
 * Here: its options and the command. Threads: the main thread turns the
 * runner (hang triggers, the pipeline); http.c's threads answer requests,
 * and one at a time renders a scrape (export_scrape.c), which reads the
 * pipeline through runner_read(), under the runner's lock. The HTTP side
 * (limits, deadline, TLS, authentication) is http.c.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cmds.h"
#include "export.h"
#include "header.h"
#include "http.h"
#include "log.h"
#include "probe.h"
#include "prom.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: vnoffload-trace export [--listen ADDR:PORT] [-i IFACE]... [--vm NAME]...\n"
		"                              [--json]\n"
		"                              [--web.config.file FILE]\n"
		"                              [--hang-dir DIR] [--stall-ms MS]\n"
		"                              [--hang-pattern RE]... [--window N] [--tc-mode MODE]\n"
		"                              [--attach KIND] [-Z USER] [-f EXPR] [-m PRED]...\n"
		"Serve Prometheus metrics from in-kernel aggregates at http(s)://ADDR:PORT/metrics.\n"
		"      --listen ADDR:PORT  where to listen (default %s:%d; :PORT = every\n"
		"                          address, [V6ADDR]:PORT for IPv6, port 0 = any free)\n"
		"      --web.config.file FILE  TLS and basic authentication, in the Prometheus\n"
		"                          exporter toolkit's YAML (tls_server_config:\n"
		"                          cert_file/key_file, basic_auth_users: bcrypt)\n"
		"  -i, --interface IFACE   watch IFACE (name or glob, repeatable; default: every\n"
		"                          interface of this network namespace), also once it\n"
		"                          appears later: none at start is fine (guests to come)\n"
		"      --vm NAME           watch the taps of the VM NAME (glob, repeatable), across\n"
		"                          its restarts\n"
		"      --json              ready line and hang diagnoses as JSON lines\n"
		"  -f, --filter EXPR       diagnose and count anomalies only on flight-recorder\n"
		"                          frames that match the pcap-filter(7) EXPR; the\n"
		"                          per-device series count every frame (see record)\n"
		"  -m, --match PRED        ... whose offload metadata hold PRED (repeatable)\n"
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
		{ "filter", required_argument, NULL, 'f' },
		{ "match", required_argument, NULL, 'm' },
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
	while ((c = getopt_long(argc, argv, ":" RUN_SHORTOPTS "hf:m:", longopts, NULL)) != -1) {
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
		case 'f':
		case 'm':
			if (vno_filter_opt(c, optarg, &o->filter_expr, o->match, &o->n_match, err,
					   errlen) < 0)
				return -EINVAL;
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

/* ---- hangs (main thread) ---------------------------------------------------- */

static void on_hang(const struct vno_diagnosis *dg, void *ctx)
{
	struct exporter *ex = ctx;

	if (ex->hang_dir)
		hang_dir_write(&ex->hd, dg);
	if (dg->hang.ring.parser[0] && dg->hang.ring.pending >= 0) {
		size_t i;

		for (i = 0; i < ex->n_rings; i++)
			if (ex->rings[i].netns == dg->hang.netns &&
			    !strncmp(ex->rings[i].dev, dg->hang.dev, sizeof(ex->rings[i].dev)))
				break;
		if (i == ex->n_rings) {
			/* Full: the oldest entry gives its place. */
			if (ex->n_rings == sizeof(ex->rings) / sizeof(ex->rings[0]))
				i = 0;
			else
				ex->n_rings++;
		}
		snprintf(ex->rings[i].dev, sizeof(ex->rings[i].dev), "%s", dg->hang.dev);
		ex->rings[i].netns = dg->hang.netns;
		ex->rings[i].pending = dg->hang.ring.pending;
	}
}

/* ---- the command -------------------------------------------------------------- */

static void print_ready(struct exporter *ex, bool any_iface)
{
	struct header_serve sv = { .listen = ex->listen, .tls = webconfig_tls(&ex->wc),
				   .basic_auth = webconfig_auth(&ex->wc), .hang_dir = ex->hang_dir };
	struct header_ready h = { .netns = ex->r.netns, .ifaces = ex->r.sel,
				  .n_ifaces = ex->r.nsel, .any_iface = any_iface,
				  .hooks = (const char(*)[VNO_HOOK_LEN])ex->hooks, .serve = &sv,
				  .filter = ex->filter };

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
	if (o.filter_expr || o.n_match) {
		/* Compiled before anything is attached: a bad one is exit 2. */
		ex.filter = vno_filter__new(o.filter_expr, o.match, o.n_match, err, sizeof(err));
		if (!ex.filter) {
			cmd_error("%s", err);
			ret = 2;
			goto out;
		}
	}
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
	po.filter = ex.filter;
	po.filter_desc = ex.filter ? vno_filter__str(ex.filter) : NULL;
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
		snprintf(ex.sess.filter, sizeof(ex.sess.filter), "%s", vno_filter__str(ex.filter));
		ex.drop_reasons = probe_drop_reasons_json();
		ex.hd = (struct hang_dir){ .dir = ex.hang_dir, .sess = &ex.sess,
					   .drop_reasons = ex.drop_reasons, .out = stdout,
					   .json = ex.json };
	}
	ex.r.pipe.on_hang = on_hang;
	ex.r.pipe.ctx = &ex;
	ex.r.pipe.o.t0_ns = mono_now_ns();

	run_signals();

	ex.http = http_start(fd, &ex.wc, export_scrape, &ex, err, sizeof(err));
	fd = -1; /* the server's now, even on failure */
	if (!ex.http) {
		cmd_error("%s on %s", err, ex.listen);
		goto out;
	}
	print_ready(&ex, o.run.n_ifaces == 0 && o.run.n_vms == 0);

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
	vno_filter__free(ex.filter);
	export_opts_free(&o);
	memset(&ex, 0, sizeof(ex));
	return ret;
}
