// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * vnoffload-trace confirm --dev DEV --feature FEATURE: a suspect tested by
 * switching it off. The same watch (record's session: run.c, the pipeline,
 * every hang trigger) runs twice, as the host is and then with exactly
 * that feature off on DEV, each half with the same --trigger load; the
 * hangs and stalls on DEV and the share of frames at DEV's xmit that need
 * the feature are compared, and a plain verdict said.
 *
 * The feature is always put back: at the end, on an error, on SIGINT,
 * SIGTERM or SIGHUP; and before it is switched off its state is written to
 * a state file (confirm_state.c), which the next confirm run restores first
 * if this one was killed.
 */
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "cmds.h"
#include "confirm_state.h"
#include "ethfeatures.h"
#include "ifaces.h"
#include "json.h"
#include "json_writer.h"
#include "print.h"
#include "remedy.h"
#include "run.h"

#define CONFIRM_DURATION_MS 10000

enum { OPT_DEV = 0x200, OPT_FEATURE, OPT_DURATION, OPT_TRIGGER, OPT_YES, OPT_STATE_DIR };

struct confirm_opts {
	struct run_opts run;
	const char *dev, *feature, *trigger, *state_dir;
	unsigned long long duration_ms;
	bool yes, json;
};

struct half {
	bool feature_on;
	double seconds;
	unsigned long long hangs, stalls, frames, super_frames, accused;
	int trigger_status;	/* the trigger's exit status, -1 none or killed */
};

struct confirm {
	const struct confirm_opts *o;
	__u32 netns, ifindex;
	unsigned offloads;	/* remedy_feature_offloads() of the feature */
	struct half h[2];
	int cur;		/* the half being watched, -1 between them */
};

static void count_frame_in(struct confirm *c, const struct vno_frame *f)
{
	struct half *h;

	if (c->cur < 0 || f->hop != VNO_HOP_XMIT || f->ifindex != c->ifindex ||
	    (f->netns && f->netns != c->netns))
		return;
	h = &c->h[c->cur];
	h->frames++;
	h->super_frames += f->gso_size != 0;
	/* A feature no suspect accuses (tx-generic-segmentation, …): every
	 * super-frame needs it. */
	if (c->offloads ? remedy_frame_needs(f->gso_type, f->gso_size,
					      f->ip_summed == VNO_CSUM_PARTIAL, f->ip_ver) &
				  c->offloads
			: f->gso_size != 0)
		h->accused++;
}

static int on_frame(const struct vno_event *ev, void *ctx)
{
	count_frame_in(ctx, &ev->f);
	return 0;
}

static void on_hang(const struct vno_diagnosis *dg, void *ctx)
{
	struct confirm *c = ctx;

	if (c->cur < 0 || strncmp(dg->hang.dev, c->o->dev, VNO_IFNAMSIZ))
		return;
	c->h[c->cur].hangs++;
	c->h[c->cur].stalls += dg->hang.source == VNO_HANG_STALL;
}

/* The --trigger load: sh -c CMD in a process group of its own (its
 * children go with it), its output on our stderr. */
static pid_t trigger_start(const char *cmd)
{
	pid_t pid = fork();

	if (pid == 0) {
		setpgid(0, 0);
		dup2(STDERR_FILENO, STDOUT_FILENO);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	if (pid > 0)
		setpgid(pid, pid);
	return pid;
}

static int trigger_reap(pid_t pid, bool wait_it)
{
	int st;

	if (pid <= 0)
		return -1;
	if (waitpid(pid, &st, wait_it ? 0 : WNOHANG) != pid) {
		kill(-pid, SIGTERM);
		waitpid(pid, &st, 0);
		return -1;
	}
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* One half: the trigger started, the watch polled until the time is up. */
static int watch_half(struct runner *r, struct confirm *c, int idx, FILE *say)
{
	const struct confirm_opts *o = c->o;
	__u64 start = mono_now_ns(), deadline = start + o->duration_ms * 1000000ULL;
	pid_t trig = -1;
	int e = 0, st;

	c->cur = idx;
	fprintf(say, "confirm: half %d of 2: %s %s on %s, %.1f s%s%s\n", idx + 1, o->feature,
		c->h[idx].feature_on ? "on (as the host is)" : "off", o->dev,
		o->duration_ms / 1000.0, o->trigger ? ", trigger: " : "", o->trigger ? o->trigger : "");
	fflush(say);
	if (o->trigger && (trig = trigger_start(o->trigger)) < 0)
		fprintf(say, "confirm: cannot start the trigger: %s\n", strerror(errno));
	while (!run_stop && mono_now_ns() < deadline) {
		e = runner_poll(r, 100);
		if (e)
			break;
		if (run_usr1) {
			run_usr1 = 0;
			runner_trigger(r, "SIGUSR1");
		}
		fflush(stdout);
	}
	runner_drain(r);
	c->h[idx].seconds = (mono_now_ns() - start) / 1e9;
	c->h[idx].trigger_status = st = trigger_reap(trig, false);
	if (o->trigger && st > 0)
		fprintf(say, "confirm: the trigger exited %d in half %d\n", st, idx + 1);
	c->cur = -1;
	return e;
}

static void half_line(FILE *out, const struct confirm *c, int i)
{
	const struct half *h = &c->h[i];

	fprintf(out, "  half %d, %s %-3s: %llu hang%s (%llu stall%s) in %.1f s; %llu frames at %s's "
		"xmit, %llu super-frames, %llu needing %s (%.1f %%)\n", i + 1, c->o->feature,
		h->feature_on ? "on" : "off", h->hangs, h->hangs == 1 ? "" : "s", h->stalls,
		h->stalls == 1 ? "" : "s", h->seconds, h->frames, c->o->dev, h->super_frames,
		h->accused, c->o->feature, h->frames ? 100.0 * h->accused / h->frames : 0.0);
}

/* The plain sentence. */
static void verdict(const struct confirm *c, char *buf, size_t len)
{
	const struct half *on = &c->h[0], *off = &c->h[1];
	const char *f = c->o->feature, *d = c->o->dev;

	if (!on->hangs && !off->hangs)
		snprintf(buf, len, "no hang or stall on %s in either half: nothing confirmed; make "
			 "the trigger reproduce the hang first", d);
	else if (on->hangs && !off->hangs)
		snprintf(buf, len, "with %s off: 0 hangs in %.0f s, %llu frames needing it reached %s; "
			 "before: %llu hang%s, %llu such frames: switching %s off on %s stopped the "
			 "hangs (ethtool -K %s %s off)", f, off->seconds, off->accused, d, on->hangs,
			 on->hangs == 1 ? "" : "s", on->accused, f, d, d, f);
	else if (!on->hangs)
		snprintf(buf, len, "hangs on %s only with %s off (%llu): it is not the cause", d, f,
			 off->hangs);
	else
		snprintf(buf, len, "with %s off the hangs went on (%llu before, %llu after): it is "
			 "not the cause, or not the only one", f, on->hangs, off->hangs);
}

static void say_json(const struct confirm *c, bool restored, const char *v)
{
	struct jw w;

	jw_init(&w, stdout);
	jw_object(&w);
	jw_kstr(&w, "type", "confirm");
	jw_kstr(&w, "dev", c->o->dev);
	jw_ku64(&w, "netns", c->netns);
	jw_ku64(&w, "ifindex", c->ifindex);
	jw_kstr(&w, "feature", c->o->feature);
	jw_karray(&w, "halves");
	for (int i = 0; i < 2; i++) {
		const struct half *h = &c->h[i];

		jw_object(&w);
		jw_kbool(&w, "feature_on", h->feature_on);
		jw_kdouble(&w, "seconds", h->seconds, 3);
		jw_ku64(&w, "hangs", h->hangs);
		jw_ku64(&w, "stalls", h->stalls);
		jw_ku64(&w, "frames", h->frames);
		jw_ku64(&w, "super_frames", h->super_frames);
		jw_ku64(&w, "accused", h->accused);
		jw_end(&w);
	}
	jw_end(&w);
	jw_kbool(&w, "restored", restored);
	jw_kstr(&w, "verdict", v);
	jw_end(&w);
}

/* Everything before a feature is touched: 0, or the exit code. */
static int preflight(const struct confirm_opts *o, struct vno_features *fs,
		     const struct vno_feature **f)
{
	char t[TERM_STR_LEN(64)], line[16];
	int e, left;

	if (!have_bpf_privileges() || geteuid()) {
		cmd_error("confirm needs root: it watches like record and switches %s on %s",
			  o->feature, o->dev);
		return 1;
	}
	left = confirm_state_restore_all(o->state_dir, stderr);
	if (left < 0) {
		cmd_error("cannot read the state directory %s: %s", o->state_dir, strerror(-left));
		return 1;
	}
	if (left) {
		cmd_error("%d feature%s a killed confirm run switched could not be restored (above): "
			  "restore %s first", left, left == 1 ? "" : "s", left == 1 ? "it" : "them");
		return 1;
	}
	e = vno_features_read(o->dev, fs);
	if (e) {
		cmd_error("%s: %s", term_str(t, sizeof(t), o->dev),
			  e == -ENODEV ? "no such interface; try `vnoffload-trace doctor` to list them"
				       : strerror(-e));
		return 1;
	}
	*f = vno_feature_find(fs, o->feature);
	if (!*f) {
		cmd_error("%s has no feature %s (`ethtool -k %s` lists them): nothing to confirm",
			  o->dev, term_str(t, sizeof(t), o->feature), o->dev);
		return 1;
	}
	if (!(*f)->changeable) {
		cmd_error("%s: %s is fixed: it cannot be switched off", o->dev, o->feature);
		return 1;
	}
	if (!(*f)->active) {
		cmd_error("%s: %s is off already: nothing to compare", o->dev, o->feature);
		return 1;
	}
	if (o->yes)
		return 0;
	if (!isatty(STDIN_FILENO)) {
		cmd_error("confirm switches %s off on %s for %.1f s: add --yes (standard input is "
			  "not a terminal to ask)", o->feature, o->dev, o->duration_ms / 1000.0);
		return 2;
	}
	fprintf(stderr, "Switch %s off on %s for %.1f s (then back on)? [y/N] ", o->feature, o->dev,
		o->duration_ms / 1000.0);
	if (!fgets(line, sizeof(line), stdin) || (line[0] != 'y' && line[0] != 'Y')) {
		cmd_error("nothing switched");
		return 1;
	}
	return 0;
}

/* Put @f back on and drop the state file. 0, or 1 with the sentence said
 * and the file kept for the next run. */
static int restore(const struct confirm_opts *o, const struct vno_feature *f, const char *path)
{
	int e = vno_feature_set(o->dev, f, true);

	if (e) {
		cmd_error("could not switch %s back on on %s: %s; `ethtool -K %s %s on` does it, "
			  "and the next confirm run tries again (%s)", o->feature, o->dev,
			  strerror(-e), o->dev, o->feature, path);
		return 1;
	}
	unlink(path);
	return 0;
}

static int confirm_run(const struct confirm_opts *o)
{
	struct pipeline_opts po = { .out = stdout, .json = o->json, .quiet = true,
				    .window = o->run.window };
	struct confirm c = { .o = o, .cur = -1 };
	struct confirm_state st = { 0 };
	struct vno_features fs = { 0 };
	const struct vno_feature *f = NULL;
	struct runner r = { 0 };
	FILE *say = o->json ? stderr : stdout;
	char err[512], path[4096] = "", v[640];
	bool switched = false, restored = false;
	int ret, e;

	ret = preflight(o, &fs, &f);
	if (ret)
		goto out;
	ret = 1;
	c.netns = ifaces_netns_self();
	c.ifindex = if_nametoindex(o->dev);
	c.offloads = remedy_feature_offloads(o->feature);
	c.h[0].feature_on = true;
	if (runner_open(&r, &o->run, &po, err, sizeof(err))) {
		cmd_error("%s", err);
		goto out;
	}
	r.pipe.on_frame = on_frame;
	r.pipe.on_hang = on_hang;
	r.pipe.ctx = &c;
	run_signals();

	if (watch_half(&r, &c, 0, say) || run_stop)
		goto stopped;

	st.netns = c.netns;
	snprintf(st.dev, sizeof(st.dev), "%s", o->dev);
	snprintf(st.feature, sizeof(st.feature), "%s", o->feature);
	st.was = true;
	st.pid = getpid();
	e = confirm_state_save(o->state_dir, &st, path, sizeof(path));
	if (e) {
		cmd_error("cannot write the state file in %s: %s; nothing switched", o->state_dir,
			  strerror(-e));
		goto out;
	}
	switched = true;
	e = vno_feature_set(o->dev, f, false);
	if (e) {
		cmd_error("cannot switch %s off on %s: %s", o->feature, o->dev,
			  e == -EAGAIN ? "the device kept it on" : strerror(-e));
		goto out;
	}
	if (watch_half(&r, &c, 1, say) || run_stop)
		goto stopped;

	switched = false;
	if (restore(o, f, path))
		goto out;
	restored = true;
	verdict(&c, v, sizeof(v));
	if (o->json) {
		say_json(&c, restored, v);
	} else {
		printf("confirm: %s on %s\n", o->feature, o->dev);
		half_line(stdout, &c, 0);
		half_line(stdout, &c, 1);
		printf("  %s restored on %s\nverdict: %s\n", o->feature, o->dev, v);
	}
	ret = 0;
	goto out;
stopped:
	cmd_error("%s in half %d: nothing concluded", run_stop ? "interrupted" :
		  "reading the ring buffer failed", switched ? 2 : 1);
out:
	/* On every way out after the switch: back as it was. */
	if (switched && restore(o, f, path))
		ret = 1;
	else if (switched)
		fprintf(stderr, "confirm: %s restored on %s\n", o->feature, o->dev);
	runner_close(&r);
	vno_features_free(&fs);
	return ret;
}

static void usage(void)
{
	printf("usage: vnoffload-trace confirm --dev DEV --feature FEATURE [--duration D] [--trigger CMD]\n"
	       "                               [--yes] [--state-dir DIR] [-i IFACE]... [--stall-ms MS]\n"
	       "                               [--hang-pattern RE]... [--window N] [--json]\n"
	       "  watch twice, as the host is and with FEATURE off on DEV, and compare the\n"
	       "  hangs and the frames that need FEATURE; FEATURE is put back afterwards.\n"
	       "  --dev DEV            the device whose feature is tested (the hung NIC)\n"
	       "  --feature FEATURE    ethtool's name (tx-udp-segmentation, tx-tcp-segmentation, …)\n"
	       "  --duration D         each half's length (default 10s; 500ms, 2m, …)\n"
	       "  --trigger CMD        run `sh -c CMD` at the start of each half (the load)\n"
	       "  --yes                do not ask (needed when stdin is not a terminal)\n"
	       "  --state-dir DIR      where the state to restore is kept (default "
	       CONFIRM_STATE_DIR ")\n"
	       "  -i, --interface IFACE  watch these and DEV (default: every interface), as record -i\n"
	       "  --stall-ms MS        the stall trigger, as record (default 1000, 0 off)\n"
	       "  --hang-pattern RE    a kernel-log line that is a hang, as record (repeatable)\n"
	       "  --window N           flight recorder frames per device, as record\n"
	       "  --json               one {\"type\":\"confirm\"} line at the end, hangs as record\n"
	       "  -h, --help           this text\n");
}

int do_confirm(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "dev", required_argument, NULL, OPT_DEV },
		{ "feature", required_argument, NULL, OPT_FEATURE },
		{ "duration", required_argument, NULL, OPT_DURATION },
		{ "trigger", required_argument, NULL, OPT_TRIGGER },
		{ "yes", no_argument, NULL, OPT_YES },
		{ "state-dir", required_argument, NULL, OPT_STATE_DIR },
		{ "interface", required_argument, NULL, 'i' },
		{ "stall-ms", required_argument, NULL, RUN_OPT_STALL },
		{ "hang-pattern", required_argument, NULL, RUN_OPT_PATTERN },
		{ "window", required_argument, NULL, RUN_OPT_WINDOW },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	struct confirm_opts o = { .duration_ms = CONFIRM_DURATION_MS, .state_dir = CONFIRM_STATE_DIR,
				  .json = g_opts.json };
	char err[512], t[TERM_STR_LEN(256)];
	bool named = false;
	int c, ret = 2;

	run_opts_init(&o.run);
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":i:h", longopts, NULL)) != -1) {
		int k;

		switch (c) {
		case OPT_DEV:
			o.dev = optarg;
			continue;
		case OPT_FEATURE:
			o.feature = optarg;
			continue;
		case OPT_DURATION:
			if (parse_duration_ms(optarg, &o.duration_ms) || !o.duration_ms) {
				cmd_error("--duration %s: a time such as 10, 10s, 500ms or 2m",
					  term_str(t, sizeof(t), optarg));
				goto out;
			}
			continue;
		case OPT_TRIGGER:
			o.trigger = optarg;
			continue;
		case OPT_YES:
			o.yes = true;
			continue;
		case OPT_STATE_DIR:
			o.state_dir = optarg;
			continue;
		case 'j':
			o.json = g_opts.json = true;
			continue;
		case 'h':
			usage();
			ret = 0;
			goto out;
		case ':':
		case '?':
			run_opt_bad(c, argv, "confirm", err, sizeof(err));
			cmd_error("%s", term_str(t, sizeof(t), err));
			goto out;
		}
		k = run_opt(c, optarg, &o.run, err, sizeof(err));
		if (k <= 0) {
			cmd_error("%s", term_str(t, sizeof(t), err));
			goto out;
		}
	}
	if (run_opt_end(argc, argv, err, sizeof(err))) {
		cmd_error("%s", term_str(t, sizeof(t), err));
		goto out;
	}
	if (!o.dev || !o.feature) {
		cmd_error("confirm needs --dev DEV and --feature FEATURE (ethtool's name, as the "
			  "remedy gives it)");
		goto out;
	}
	/* -i without DEV would never see the frames it compares. */
	for (int i = 0; i < o.run.n_ifaces; i++)
		if (!strcmp(o.run.ifaces[i], o.dev))
			named = true;
	if (o.run.n_ifaces && !named && run_opt('i', (char *)o.dev, &o.run, err, sizeof(err)) <= 0) {
		cmd_error("out of memory");
		goto out;
	}
	ret = confirm_run(&o);
out:
	run_opts_free(&o.run);
	return ret;
}
