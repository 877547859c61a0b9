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
 * reading BPF maps (syscalls: safe beside the main thread). What only the
 * main thread writes, the hang counts, reaches the scrape through a copy
 * taken under a mutex in the pipeline's on_hang callback. The HTTP side
 * (limits, deadline, TLS, authentication) is http.c.
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
#include "http.h"
#include "json.h"
#include "live.h"
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
		"usage: vnoffload-trace export [--listen ADDR:PORT] [-i IFACE]... [--vm NAME]...\n"
		"                              [--json]\n"
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
		"                          interface of this network namespace), also once it\n"
		"                          appears later: none at start is fine (guests to come)\n"
		"      --vm NAME           watch the taps of the VM NAME (glob, repeatable), across\n"
		"                          its restarts\n"
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

/* Per watched device: what the scrapes have checked of its flight recorder. */
struct flight_state {
	__u32 netns, ifindex;	/* whose: a watched interface's place is reused */
	bool has_recorder;
	__u64 last_ts;
	__u64 checked;
	__u64 rules[ANOMALY__MAX];
};

struct exporter {
	struct runner r;
	struct http_server *http;
	struct webconfig wc;
	bool json;
	char hooks[VNO_HOP__MAX][VNO_HOOK_LEN];
	char listen[80];

	/* Written by the main thread (on_hang), read by scrapes. */
	pthread_mutex_t lock;
	__u64 hangs[VNO_HANG__MAX];

	/* Main thread only: --hang-dir. */
	const char *hang_dir;
	struct vno_session sess;
	char *drop_reasons;

	/* Scrapes only (http.c renders one at a time). */
	__u64 gen;
	struct name_entry *names;
	size_t n_names;
	struct flight_state *flight;	/* one per r.sel */
	size_t n_flight;
};

/* ---- hangs (main thread) ---------------------------------------------------- */

/* Device names in file names: anything but [A-Za-z0-9._-] becomes '_'. */
static void file_safe(char *dst, size_t len, const char *s)
{
	size_t i;

	for (i = 0; s[i] && i + 1 < len; i++) {
		char c = s[i];

		dst[i] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
				 (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'
			 ? c
			 : '_';
	}
	dst[i] = '\0';
	if (!i || !strcmp(dst, ".") || !strcmp(dst, ".."))
		snprintf(dst, len, "dev");
}

static int hang_note(struct capture_writer *w, const struct vno_diagnosis *dg)
{
	char comment[512], *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int ret;

	if (!f)
		return -ENOMEM;
	diag_json(f, dg);
	fclose(f);
	if (len && buf[len - 1] == '\n')
		buf[len - 1] = '\0';
	snprintf(comment, sizeof(comment), "hang on %s (%s): %s", dg->hang.dev,
		 diag_source_name(dg->hang.source), dg->verdict);
	ret = capture_writer__note(w, "hang", buf, comment);
	free(buf);
	return ret;
}

/* DIR/hang-DEV-YYYYmmddTHHMMSS.mmmZ.pcapng.gz: the frames of the window (from
 * the flight recorder: metadata only) and the diagnosis as a note. */
static void hang_capture(struct exporter *ex, const struct vno_diagnosis *dg)
{
	struct capture_opts co = { .snaplen = 0 };
	struct capture_writer *w = NULL;
	char path[4096], dev[IF_NAMESIZE + 8], stamp[32];
	struct timespec ts;
	struct tm tm;
	int ret = 0;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%S", &tm);
	file_safe(dev, sizeof(dev), dg->hang.dev);
	/* Two hangs in the same millisecond (SIGUSR1 diagnoses every device
	 * at once, devices may share a sanitised name): number them. */
	for (int i = 0; i < 100 && !w; i++) {
		int n = snprintf(path, sizeof(path), "%s/hang-%s-%s.%03ldZ%s%.0d.pcapng.gz",
				 ex->hang_dir, dev, stamp, ts.tv_nsec / 1000000, i ? "-" : "", i);

		if (n < 0 || (size_t)n >= sizeof(path)) {
			errno = ENAMETOOLONG;
			break;
		}
		w = capture_writer__new(path, &ex->sess, &co);
		if (!w && errno != EEXIST)
			break;
	}
	if (!w) {
		pr_warn("warning: cannot write the capture of the hang on %s into %s: %s\n",
			dg->hang.dev, ex->hang_dir, strerror(errno));
		return;
	}
	if (ex->drop_reasons)
		capture_writer__note(w, "drop_reasons", ex->drop_reasons,
				     "names of the recording kernel's skb drop reasons");
	for (size_t i = 0; i < dg->n_frames && !ret; i++)
		ret = capture_writer__frame(w, &dg->frames[i].ev);
	if (!ret)
		ret = hang_note(w, dg);
	if (capture_writer__close(w) || ret) {
		pr_warn("warning: the capture of the hang on %s (%s) is incomplete: %s\n",
			dg->hang.dev, path, strerror(-(ret ? ret : EIO)));
		return;
	}
	if (ex->json) {
		printf("{\"type\":\"hang_capture\",\"dev\":");
		json_str(stdout, dg->hang.dev);
		printf(",\"source\":\"%s\",\"frames\":%zu,\"path\":",
		       diag_source_name(dg->hang.source), dg->n_frames);
		json_str(stdout, path);
		printf("}\n");
	} else {
		printf("hang capture: %s (%zu frames)\n", path, dg->n_frames);
	}
	fflush(stdout);
}

static void on_hang(const struct vno_diagnosis *dg, void *ctx)
{
	struct exporter *ex = ctx;

	/* pipeline_hang() counted it just before calling us. */
	pthread_mutex_lock(&ex->lock);
	memcpy(ex->hangs, ex->r.pipe.agg->hangs, sizeof(ex->hangs));
	pthread_mutex_unlock(&ex->lock);
	if (ex->hang_dir)
		hang_capture(ex, dg);
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
			void *p = realloc(ex->names, (ex->n_names + 1) * sizeof(*ex->names));

			if (p) {
				ex->names = p;
				e = &ex->names[ex->n_names++];
				e->netns = netns;
				e->ifindex = ifindex;
			}
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
		void *p = realloc(ex->names, (ex->n_names + 1) * sizeof(*ex->names));

		if (p) {
			ex->names = p;
			e = &ex->names[ex->n_names++];
			*e = (struct name_entry){ .netns = netns, .ifindex = ifindex };
			snprintf(e->name, sizeof(e->name), "if%u", ifindex);
			return e->name;
		}
	}
	return "?";
}

/* Check the frames each flight recorder got since the last scrape. */
static void check_flight(struct exporter *ex)
{
	if (ex->n_flight < ex->r.nsel) {
		void *p = realloc(ex->flight, ex->r.nsel * sizeof(*ex->flight));

		if (!p)
			return;
		ex->flight = p;
		memset(ex->flight + ex->n_flight, 0,
		       (ex->r.nsel - ex->n_flight) * sizeof(*ex->flight));
		ex->n_flight = ex->r.nsel;
	}
	for (size_t i = 0; i < ex->r.nsel; i++) {
		const struct vno_iface *it = &ex->r.sel[i];
		struct flight_state *fs = &ex->flight[i];
		struct vno_frame *fr;
		size_t n;
		__u64 max;

		if (fs->netns != it->netns || fs->ifindex != it->ifindex)
			*fs = (struct flight_state){ .netns = it->netns, .ifindex = it->ifindex };
		max = fs->last_ts;
		if (!it->ifindex || loader_flight(ex->r.l, it->netns, it->ifindex, &fr, &n)) {
			fs->has_recorder = false;
			continue;
		}
		fs->has_recorder = true;
		for (size_t j = 0; j < n; j++) {
			__u64 mask = 0;

			/* Slots are reused oldest first; the time tells the new ones. */
			if (fr[j].ts_ns <= fs->last_ts)
				continue;
			if (fr[j].ts_ns > max)
				max = fr[j].ts_ns;
			fs->checked++;
			if (!anomaly_check(&fr[j], it, &mask))
				continue;
			for (unsigned b = 0; b < ANOMALY__MAX; b++)
				if (mask & (1ULL << b))
					fs->rules[b]++;
		}
		fs->last_ts = max;
		free(fr);
	}
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
	struct prom_anomaly *pa = NULL;
	struct prom_hook hooks[VNO_HOP__MAX];
	struct prom_named hangs[VNO_HANG__MAX];
	char (*reasons)[16] = NULL;
	size_t nst = 0, nq = 0, nd = 0, na = 0;
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
	pa = calloc(ex->r.nsel * (ANOMALY__MAX + 1) + 1, sizeof(*pa));
	check_flight(ex);
	if (!ps || !pq || !pd || !reasons || !pa)
		goto out;
	for (size_t i = 0; i < nst; i++)
		ps[i] = (struct prom_stat){
			.dev = dev_name(ex, st[i].key.netns, st[i].key.ifindex),
			.vm = live_vm(&ex->r, st[i].key.netns, st[i].key.ifindex),
			.netns = st[i].key.netns,
			.hop = st[i].key.hop,
			.gso_kind = st[i].key.gso_kind,
			.st = &st[i].st,
			.gso_size_sum = st[i].st.gso_size_sum,
		};
	for (size_t i = 0; i < nq; i++)
		pq[i] = (struct prom_queue){
			.dev = dev_name(ex, qs[i].key.netns, qs[i].key.ifindex),
			.vm = live_vm(&ex->r, qs[i].key.netns, qs[i].key.ifindex),
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
			.vm = live_vm(&ex->r, dr[i].key.netns, dr[i].key.ifindex),
			.netns = dr[i].key.netns,
			.reason = r,
			.count = dr[i].count,
		};
	}
	for (size_t i = 0; i < ex->r.nsel && i < ex->n_flight; i++) {
		const struct flight_state *fs = &ex->flight[i];
		const struct vno_iface *it = &ex->r.sel[i];
		const char *dev = dev_name(ex, it->netns, it->ifindex);

		const char *vm = live_vm(&ex->r, it->netns, it->ifindex);

		if (!fs->has_recorder)
			continue;
		pa[na++] = (struct prom_anomaly){ .dev = dev, .vm = vm, .netns = it->netns,
						  .count = fs->checked };
		for (unsigned b = 0; b < ANOMALY__MAX; b++)
			pa[na++] = (struct prom_anomaly){ .dev = dev, .vm = vm, .netns = it->netns,
							  .rule = anomaly_name(b),
							  .count = fs->rules[b] };
	}
	for (int h = 0; h < VNO_HOP__MAX; h++)
		hooks[h] = (struct prom_hook){ vno_hop_name(h), ex->hooks[h] };
	pthread_mutex_lock(&ex->lock);
	for (int s = 0; s < VNO_HANG__MAX; s++)
		hangs[s] = (struct prom_named){ diag_source_name(s), ex->hangs[s] };
	pthread_mutex_unlock(&ex->lock);

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
		.anomalies = pa,
		.n_anomalies = na,
		.hangs = hangs,
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
	free(pa);
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
	struct exporter *ex = ctx;
	char *buf;

	/* The interface set changes as guests come and go (live.c). */
	live_lock(&ex->r);
	buf = scrape(ex, len);
	live_unlock(&ex->r);
	return buf;
}

/* ---- the command -------------------------------------------------------------- */

static void print_ready(struct exporter *ex, bool any_iface)
{
	const struct runner *r = &ex->r;
	const char *scheme = webconfig_tls(&ex->wc) ? "https" : "http";
	struct utsname u;

	uname(&u);
	if (ex->json) {
		printf("{\"type\":\"ready\",\"version\":\"%s\",\"kernel\":", VNO_VERSION);
		json_str(stdout, u.release);
		printf(",\"listen\":");
		json_str(stdout, ex->listen);
		printf(",\"metrics\":\"%s://%s/metrics\",\"tls\":%s,\"basic_auth\":%s,"
		       "\"netns\":%u,\"hooks\":{", scheme, ex->listen,
		       webconfig_tls(&ex->wc) ? "true" : "false",
		       webconfig_auth(&ex->wc) ? "true" : "false", r->netns);
		for (int h = 0; h < VNO_HOP__MAX; h++) {
			printf("%s\"%s\":", h ? "," : "", vno_hop_name(h));
			json_str(stdout, ex->hooks[h]);
		}
		printf("},\"interfaces\":[");
		for (size_t i = 0; i < r->nsel; i++) {
			printf("%s{\"name\":", i ? "," : "");
			json_str(stdout, r->sel[i].name);
			printf(",\"ifindex\":%u,\"driver\":", r->sel[i].ifindex);
			json_str(stdout, r->sel[i].driver);
			printf("}");
		}
		printf("],\"hang_dir\":");
		if (ex->hang_dir)
			json_str(stdout, ex->hang_dir);
		else
			printf("null");
		printf("}\n");
	} else {
		printf("vnoffload-trace %s on %s: serving %s://%s/metrics%s, watching", VNO_VERSION,
		       u.release, scheme, ex->listen,
		       webconfig_auth(&ex->wc) ? " (basic authentication)" : "");
		for (size_t i = 0; i < r->nsel; i++)
			printf("%s %s", i ? "," : "", r->sel[i].name);
		printf("%s (netns %u)\n", any_iface ? " and any new interface" : "", r->netns);
		for (int h = 0; h < VNO_HOP__MAX; h++)
			printf("  %-10s %s\n", vno_hop_name(h), ex->hooks[h]);
	}
	fflush(stdout);
}

static int check_hang_dir(const char *dir)
{
	struct stat sb;

	if (stat(dir, &sb))
		return -errno;
	if (!S_ISDIR(sb.st_mode))
		return -ENOTDIR;
	if (access(dir, W_OK | X_OK))
		return -errno;
	return 0;
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
	pthread_mutex_init(&ex.lock, NULL);
	ex.json = o.json;
	ret = 1;
	if (o.hang_dir) {
		int e = check_hang_dir(o.hang_dir);

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
	ex.n_flight = ex.r.nsel;
	ex.flight = calloc(ex.r.nsel + 1, sizeof(*ex.flight));
	if (!ex.flight) {
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
	free(ex.flight);
	pthread_mutex_destroy(&ex.lock);
	webconfig_free(&ex.wc);
	export_opts_free(&o);
	memset(&ex, 0, sizeof(ex));
	return ret;
}
