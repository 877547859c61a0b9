// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* A live session (run.h): options, attaching, and the turn that reads the
 * ring buffer, watches the hang triggers and feeds the pipeline. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include <cap-ng.h>
#include <linux/capability.h>
#include "decode.h"
#include "json.h"
#include "kmsg.h"
#include "live.h"
#include "loadmem.h"
#include "log.h"
#include "offwatch.h"
#include "privdrop.h"
#include "ringbuf.h"
#include "probe.h"
#include "run.h"
#include "tcclean.h"
#include "triggers.h"
#include "vmhelper.h"

__u64 mono_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/*
 * Export: no frames stream to user space, so each watched device's flight
 * recorder (in the kernel: the last frames handed to its driver) feeds the
 * pipeline instead, each frame once: slots are reused oldest first, and
 * the newest time taken per device tells the frames not yet seen. Taken
 * at every scrape (the anomaly metrics are the pipeline's counts) and
 * before a hang is diagnosed (its window).
 *
 * What a flight-recorder frame lacks next to a ring-buffer record: the
 * frame's bytes (cap_len 0 here), so no addresses, ports, TCP sequence or
 * flags, nor a VLAN tag carried in the header; and it holds the xmit hop
 * only, with no rx, tc or drop records and of the releases only those that
 * were drops or a tunnel's ICMP answer (so the pipeline explains them), so
 * a diagnosis has no origin device and no completions (frames in flight
 * are unknown).
 * Frames written between two looks beyond the window are overwritten
 * unseen. Called with the lock held; @ifindex 0 takes every device.
 */
static void take_flight(struct runner *rc, __u32 netns, __u32 ifindex)
{
	if (!rc->no_events || !rc->flight)
		return;
	/* The live set grows, and reuses the place of one that went. */
	if (rc->n_flight < rc->nsel) {
		void *p = realloc(rc->flight, rc->nsel * sizeof(*rc->flight));

		if (!p)
			return;
		rc->flight = p;
		memset(rc->flight + rc->n_flight, 0,
		       (rc->nsel - rc->n_flight) * sizeof(*rc->flight));
		rc->n_flight = rc->nsel;
	}
	for (size_t i = 0; i < rc->nsel; i++) {
		const struct vno_iface *it = &rc->sel[i];
		struct run_flight *fs = &rc->flight[i];
		struct vno_frame *fr;
		__u64 max;
		size_t n;

		if (ifindex && (it->netns != netns || it->ifindex != ifindex))
			continue;
		if (fs->netns != it->netns || fs->ifindex != it->ifindex)
			*fs = (struct run_flight){ .netns = it->netns, .ifindex = it->ifindex };
		max = fs->last_ts;
		if (!it->ifindex || loader_flight(rc->l, it->netns, it->ifindex, &fr, &n)) {
			fs->has_recorder = false;
			continue;
		}
		fs->has_recorder = true;
		for (size_t j = 0; j < n; j++) {
			struct vno_event ev;

			if (fr[j].ts_ns <= fs->last_ts || fr[j].hop == VNO_HOP_HANG)
				continue;
			if (fr[j].ts_ns > max)
				max = fr[j].ts_ns;
			ev.f = fr[j];
			ev.f.cap_len = 0;
			pipeline_frame(&rc->pipe, &ev, true);
		}
		fs->last_ts = max;
		free(fr);
	}
}

void runner_read(struct runner *rc, void (*fn)(const struct runner *r, void *ctx), void *ctx)
{
	pthread_mutex_lock(&rc->lock);
	take_flight(rc, 0, 0);
	fn(rc, ctx);
	pthread_mutex_unlock(&rc->lock);
}

static int hang(struct runner *rc, const struct vno_hang *h)
{
	int ret;

	pthread_mutex_lock(&rc->lock);
	take_flight(rc, h->netns, h->ifindex);
	ret = pipeline_hang(&rc->pipe, h);
	pthread_mutex_unlock(&rc->lock);
	return ret;
}

static int on_hang(const struct vno_hang *h, void *ctx)
{
	return hang(ctx, h);
}

static const struct vno_iface *sel_by_name(const struct runner *rc, const char *name)
{
	for (size_t i = 0; i < rc->nsel; i++)
		if (!strcmp(rc->sel[i].name, name))
			return &rc->sel[i];
	return NULL;
}

/* The held hang, with what its report said of the ring. */
static void release_held(struct runner *rc)
{
	struct vno_hang h;

	if (!rc->holding)
		return;
	h = rc->held;
	ring_asm_take(&rc->ring, ring_kernel_hz(), &h.ring);
	if (h.queue < 0)
		h.queue = h.ring.queue;
	rc->holding = false;
	hang(rc, &h);
}

static int on_kmsg_line(const char *line, void *ctx)
{
	struct runner *rc = ctx;
	const char *names[256];
	struct kmsg_hit hit;
	struct vno_hang h = { .queue = -1, .source = VNO_HANG_KMSG, .netns = rc->netns };
	const struct vno_iface *it;
	char text[RING_ASM_TEXT];
	__u64 now_ms = mono_now_ns() / 1000000;
	int n = 0, whole;

	if (kmsg_text(line, text, sizeof(text)) != 1)
		return 0;
	/* The next line of a report being held. Records of anything else
	 * may come in between; a new hang line closes it (below). */
	if (rc->holding) {
		int more = ring_asm_more(&rc->ring, text, now_ms);

		if (more >= 0) {
			if (more == 1)
				release_held(rc);
			return 0;
		}
	}
	for (size_t i = 0; i < rc->nsel && n < 256; i++)
		if (rc->sel[i].ifindex)
			names[n++] = rc->sel[i].name;
	if (kmsg_match(line, names, n, &hit) != 1)
		return 0;
	/* A half report never holds up the next hang. */
	release_held(rc);
	it = sel_by_name(rc, hit.dev);
	h.ts_ns = mono_now_ns();
	h.queue = hit.queue;
	h.ifindex = it ? it->ifindex : 0;
	snprintf(h.dev, sizeof(h.dev), "%s", hit.dev);
	snprintf(h.detail, sizeof(h.detail), "%s: %.200s", hit.pattern, hit.msg);
	ring_report_init(&h.ring);
	whole = ring_asm_start(&rc->ring, text, now_ms);
	if (whole == 0) {
		rc->held = h;
		rc->holding = true;
		return 0;
	}
	if (whole == 1) {
		ring_asm_take(&rc->ring, ring_kernel_hz(), &h.ring);
		if (h.queue < 0)
			h.queue = h.ring.queue;
	}
	hang(rc, &h);
	return 0;
}

static bool stall_fired(struct runner *rc, const struct loader_queue *q)
{
	for (unsigned i = 0; i < rc->n_fired; i++)
		if (!memcmp(&rc->fired[i].k, &q->key, sizeof(q->key)))
			return rc->fired[i].first_pending_ns == q->st.first_pending_ns;
	return false;
}

static void stall_remember(struct runner *rc, const struct loader_queue *q)
{
	unsigned i;

	for (i = 0; i < rc->n_fired; i++)
		if (!memcmp(&rc->fired[i].k, &q->key, sizeof(q->key)))
			break;
	if (i == rc->n_fired) {
		if (rc->n_fired == sizeof(rc->fired) / sizeof(rc->fired[0]))
			i = 0;
		else
			rc->n_fired++;
	}
	rc->fired[i].k = q->key;
	rc->fired[i].first_pending_ns = q->st.first_pending_ns;
}

/* Completion stalls, from the queue state the BPF side keeps. */
static void check_stalls(struct runner *rc)
{
	struct loader_queue *qs;
	size_t n;
	__u64 now = mono_now_ns();

	if (!rc->stall_ms || loader_queues(rc->l, &qs, &n))
		return;
	for (size_t i = 0; i < n; i++) {
		struct loader_queue *q = &qs[i];
		const struct vno_iface *it = ifaces_find(rc->sel, rc->nsel, q->key.netns,
							 q->key.ifindex);
		struct vno_hang h = { .ts_ns = now, .netns = q->key.netns,
				      .ifindex = q->key.ifindex, .queue = q->key.queue,
				      .source = VNO_HANG_STALL };

		if (!stall_applies(it) || !stall_check(&q->st, now, rc->stall_ms * 1000000ULL) ||
		    stall_fired(rc, q))
			continue;
		stall_remember(rc, q);
		snprintf(h.dev, sizeof(h.dev), "%s", it ? it->name : "?");
		snprintf(h.detail, sizeof(h.detail),
			 "%llu frames handed to queue %u since its last completion; the first "
			 "%.0f ms ago; about %lld in flight; %llu released as drops after xmit",
			 (unsigned long long)q->st.pending, q->key.queue,
			 (now - q->st.first_pending_ns) / 1e6, (long long)q->inflight,
			 (unsigned long long)q->st.freed);
		hang(rc, &h);
	}
	free(qs);
}

/* By hand: every watched device is diagnosed. */
void runner_trigger(struct runner *rc, const char *why)
{
	for (size_t i = 0; i < rc->nsel; i++) {
		if (!rc->sel[i].ifindex)
			continue;
		struct vno_hang h = { .ts_ns = mono_now_ns(), .netns = rc->sel[i].netns,
				      .ifindex = rc->sel[i].ifindex, .queue = -1,
				      .source = VNO_HANG_MANUAL };

		snprintf(h.dev, sizeof(h.dev), "%s", rc->sel[i].name);
		snprintf(h.detail, sizeof(h.detail), "%s", why);
		hang(rc, &h);
	}
}

static int on_sample(void *ctx, const void *data, size_t len, const void *next)
{
	struct runner *rc = ctx;
	struct vno_event ev;

	/* The next record's lookups start now, and are done by the time it
	 * is worked on. */
	if (next)
		pipeline_prefetch(&rc->pipe, next);
	if (vno_event_from_raw(&ev, data, len))
		return 0;
	rc->events++;
	if (ev.f.hop == VNO_HOP_HANG) {
		/* The pipeline turns it into a hang; in export mode its window
		 * comes from the flight recorder. */
		take_flight(rc, ev.f.netns, ev.f.ifindex);
	}
	pipeline_frame(&rc->pipe, &ev, true);
	return 0;
}

volatile sig_atomic_t run_stop, run_usr1;

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		run_usr1 = 1;
	else
		run_stop = 1;
}

void run_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

void run_opts_init(struct run_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->snaplen = 128;
	o->snaplen_encap = VNO_SNAP_ENCAP;
	/* 8 MiB loses nothing at iperf3 rates here, and the ring buffer is
	 * mapped twice, so it counts double in RSS. */
	o->rb_bytes = 8 << 20;
	/* The tracepoint hops only, unless asked: the TC hops see the same
	 * frames again at the qdisc, and with them a frame costs about twice
	 * (make bench, veth: export 0.95 of untraced iperf3 with them, 1.00
	 * without; record -q on the UDP flood 0.80 against 0.87). */
	o->tc_mode = TC_OFF;
	o->attach = ATTACH_AUTO;
	o->stall_ms = 1000;
	o->window = 1024;
}

void run_opts_free(struct run_opts *o)
{
	free(o->ifaces);
	free(o->vms);
	free(o->hang_patterns);
	o->ifaces = o->vms = o->hang_patterns = NULL;
	o->n_ifaces = o->n_vms = o->n_hang_patterns = 0;
}

static int push(char ***v, int *n, char *s)
{
	char **p = realloc(*v, (*n + 1) * sizeof(*p));

	if (!p)
		return -ENOMEM;
	*v = p;
	p[(*n)++] = s;
	return 0;
}

/* A whole decimal number in [lo, hi]. */
static int parse_uint(const char *s, unsigned long long lo, unsigned long long hi,
		      unsigned long long *v)
{
	char *end;

	if (!*s || *s == '-')
		return -EINVAL;
	errno = 0;
	*v = strtoull(s, &end, 10);
	return errno || *end || *v < lo || *v > hi ? -EINVAL : 0;
}

int run_opt(int c, char *arg, struct run_opts *o, char *err, size_t errlen)
{
	unsigned long long v;

	switch (c) {
	case 'i':
		return push(&o->ifaces, &o->n_ifaces, arg) ?: 1;
	case 'Z':
		/* Looked up now: a typo fails before anything is attached. */
		if (privdrop_lookup(arg, &o->uid, &o->gid, err, errlen))
			return -EINVAL;
		o->user = arg;
		return 1;
	case RUN_OPT_PATTERN:
		return push(&o->hang_patterns, &o->n_hang_patterns, arg) ?: 1;
	case RUN_OPT_VM:
		return push(&o->vms, &o->n_vms, arg) ?: 1;
	case RUN_OPT_TC_MODE:
		if (!strcmp(arg, "tcx"))
			o->tc_mode = TC_TCX;
		else if (!strcmp(arg, "clsact"))
			o->tc_mode = TC_CLSACT;
		else if (!strcmp(arg, "off"))
			o->tc_mode = TC_OFF;
		else if (!strcmp(arg, "auto"))
			o->tc_mode = TC_AUTO;
		else
			goto bad_tc;
		return 1;
	case RUN_OPT_ATTACH:
		if (attach_mode_parse(arg, &o->attach)) {
			snprintf(err, errlen, "--attach %s: use auto, fentry, kprobe or tp", arg);
			return -EINVAL;
		}
		return 1;
	case RUN_OPT_STALL:
		if (parse_uint(arg, 0, 3600000, &v)) {
			snprintf(err, errlen, "--stall-ms %s: must be milliseconds from 0 (off) "
					      "to 3600000", arg);
			return -EINVAL;
		}
		o->stall_ms = v;
		return 1;
	case RUN_OPT_WINDOW:
		if (parse_uint(arg, 1, 65536, &v)) {
			snprintf(err, errlen, "--window %s: must be a number of frames from 1 "
					      "to 65536", arg);
			return -EINVAL;
		}
		o->window = v;
		return 1;
	default:
		return 0;
	}
bad_tc:
	snprintf(err, errlen, "--tc-mode %s: use tcx, clsact, off or auto", arg);
	return -EINVAL;
}

int run_opt_bad(int c, char **argv, const char *cmd, char *err, size_t errlen)
{
	if (c == ':')
		snprintf(err, errlen, "%s needs an argument", argv[optind - 1]);
	else if (optopt)
		snprintf(err, errlen, "unknown option -%c; see vnoffload-trace %s --help", optopt,
			 cmd);
	else
		snprintf(err, errlen, "unknown option %s; see vnoffload-trace %s --help",
			 argv[optind - 1], cmd);
	return -EINVAL;
}

int run_opt_end(int argc, char **argv, char *err, size_t errlen)
{
	if (optind >= argc)
		return 0;
	snprintf(err, errlen, "unexpected argument '%s'; interfaces go after -i", argv[optind]);
	return -EINVAL;
}

/* The hops every session needs; the TC ones when asked for, the driver
 * hooks never (they depend on modules and kernel features, and `doctor`
 * says why each is absent). */
static bool hop_expected(int hop, enum tc_mode tc)
{
	switch (hop) {
	case VNO_HOP_RX: case VNO_HOP_XMIT: case VNO_HOP_DONE: case VNO_HOP_DROP:
	case VNO_HOP_HANG:
		return true;
	case VNO_HOP_TC_INGRESS: case VNO_HOP_TC_EGRESS:
		return tc != TC_OFF;
	default:
		return false;
	}
}

/* " CAP_X, CAP_Y" for each capability this process lacks of those a
 * session loads and attaches with; "" when it has them all. */
static void missing_caps(char *buf, size_t len)
{
	static const struct { int cap; const char *name; } caps[] = {
		{ CAP_BPF, "CAP_BPF" }, { CAP_PERFMON, "CAP_PERFMON" },
		{ CAP_NET_ADMIN, "CAP_NET_ADMIN" }, { CAP_SYS_ADMIN, "CAP_SYS_ADMIN" },
	};
	size_t off = 0;

	buf[0] = '\0';
	capng_get_caps_process();
	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]) && off < len; i++)
		if (!capng_have_capability(CAPNG_EFFECTIVE, caps[i].cap))
			off += snprintf(buf + off, len - off, "%s%s", off ? ", " : "",
					caps[i].name);
}

/*
 * Nothing attached is an error, not an empty recording: with CAP_BPF alone
 * every program loads but no tracing one attaches. A hop that could not
 * attach while others did is said on stderr.
 */
static int check_hooks(struct runner *r, const struct run_opts *o, char *err, size_t errlen)
{
	char miss[128];
	int attached = 0;

	for (int h = 0; h < VNO_HOP__MAX; h++)
		if (strncmp(loader_hook(r->l, h), "none", 4))
			attached++;
	missing_caps(miss, sizeof(miss));
	if (!attached) {
		snprintf(err, errlen, "nothing could be attached (every hop is \"none\"): tracing "
				      "programs need CAP_BPF and CAP_PERFMON, TC programs "
				      "CAP_NET_ADMIN (CAP_SYS_ADMIN before 5.8); missing here: %s; "
				      "run it as root",
			 miss[0] ? miss : "none of them, so see `vnoffload-trace doctor`");
		return -EPERM;
	}
	for (int h = 0; h < VNO_HOP__MAX; h++) {
		const char *hk = loader_hook(r->l, h);

		if (hop_expected(h, o->tc_mode) && !strncmp(hk, "none", 4))
			pr_warn("warning: the %s hop is not attached (%s)%s%s\n", vno_hop_name(h),
				hk, miss[0] ? "; missing: " : "", miss);
	}
	return 0;
}

int runner_open(struct runner *r, const struct run_opts *o, const struct pipeline_opts *po,
		char *err, size_t errlen)
{
	pthread_mutexattr_t ma;
	int ret, fds[VNO_RINGS];
	bool dynamic;

	memset(r, 0, sizeof(*r));
	/* Recursive: live.c changes the interface set under it and calls
	 * what takes it again. */
	pthread_mutexattr_init(&ma);
	pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&r->lock, &ma);
	pthread_mutexattr_destroy(&ma);
	r->lock_init = true;
	r->stall_ms = o->stall_ms;
	r->no_events = o->no_events;
	for (int i = 0; i < o->n_hang_patterns; i++) {
		char e[256];

		if (kmsg_add_pattern(o->hang_patterns[i], e, sizeof(e))) {
			snprintf(err, errlen, "--hang-pattern %s: %s", o->hang_patterns[i], e);
			return -EINVAL;
		}
	}
	/* -Z USER: the VMs behind taps that come later are still named,
	 * by a helper forked now, before anything else is open. */
	if (o->user && (ret = vmhelper_start()))
		pr_warn("warning: -Z %s: no helper to name the VMs of taps that appear later "
			"(%s)\n", o->user, strerror(-ret));
	r->netns = ifaces_netns_self();
	ret = ifaces_list(&r->all, &r->nall);
	if (ret) {
		snprintf(err, errlen, "listing the interfaces of this network namespace failed: %s",
			 strerror(-ret));
		return ret;
	}
	ret = live_open(r, o, o->no_events, &dynamic, err, errlen);
	if (ret)
		return ret;
	/* Whatever this run's mode and interfaces: what killed runs left on
	 * any interface here goes first. */
	probe_quiet(true);
	tc_sweep_stale(r->all, r->nall);
	probe_quiet(false);
	loadmem_begin();
	probe_load_drop_reasons();

	struct loader_opts lo = {
		.netns = r->netns,
		.all_ifaces = o->n_ifaces == 0 && o->n_vms == 0,
		.all_frames = o->all_frames,
		.snaplen = o->snaplen,
		.snaplen_encap = o->snaplen_encap,
		.rb_bytes = o->rb_bytes,
		.tc_mode = o->tc_mode,
		.attach = o->attach,
		.ifaces = r->sel,
		.n_ifaces = r->nsel,
		.window = o->window,
		.no_events = o->no_events,
		.live = dynamic,
		.filter = po->filter,
	};
	r->l = loader__open(&lo, err, errlen);
	ret = r->l ? 0 : -errno;
	loadmem_end();
	if (ret)
		return ret;
	ret = check_hooks(r, o, err, errlen);
	if (ret)
		return ret;
	r->user = o->user;
	r->uid = o->uid;
	r->gid = o->gid;
	r->tc = o->tc_mode != TC_OFF;
	if (o->no_events) {
		r->flight = calloc(r->nsel ? r->nsel : 1, sizeof(*r->flight));
		r->n_flight = r->flight ? r->nsel : 0;
	}
	if (live_ready(r, dynamic) || (o->no_events && !r->flight)) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	/* Subscribed before -Z drops privileges; reads need none. */
	r->ow = offwatch__new(true);
	if (!r->ow) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	offwatch_sync(r->ow, r->sel, r->gone, r->nsel);
	pr_debug("offload changes: noticed by %s\n", offwatch_how(r->ow));
	r->rb = vno_ring__new(fds, (size_t)loader_events_map_fds(r->l, fds), on_sample, r);
	if (!r->rb) {
		ret = -errno;
		snprintf(err, errlen, "opening the ring buffers failed: %s", strerror(errno));
		return ret;
	}
	ret = pipeline_init(&r->pipe, po, r->all, r->nall);
	if (ret) {
		snprintf(err, errlen, "out of memory");
		return ret;
	}
	diag__set_read_features(r->pipe.diag, true); /* live: the hung devices are here */
	r->kw = kmsg_watch__open();
	if (!r->kw)
		pr_warn("warning: the kernel log (/dev/kmsg) cannot be read (%s): hang messages "
			"will not trigger a diagnosis\n", strerror(errno));
	r->cw = carrier_watch__open();
	if (!r->cw)
		pr_warn("warning: link changes cannot be watched (%s)\n", strerror(errno));
	return 0;
}

/* A kernel-log read error is counted and said once (the next ones are
 * in the summary): the hang trigger it feeds is then deaf. */
static void read_kmsg(struct runner *r)
{
	int ret = kmsg_watch__read(r->kw, on_kmsg_line, r);

	if (ret >= 0)
		return;
	if (!r->kmsg_errors++)
		pr_warn("warning: reading the kernel log (/dev/kmsg) failed: %s; counted in the "
			"summary\n", strerror(-ret));
	r->kmsg_last_err = -ret;
}

__u64 runner_kmsg_lost(const struct runner *r)
{
	return kmsg_watch__lost(r->kw);
}

int runner_drop_privileges(struct runner *r, char *err, size_t errlen)
{
	int ret;

	if (!r->user || r->dropped)
		return 0;
	ret = privdrop_to(r->user, r->uid, r->gid, r->tc, err, errlen);
	if (!ret)
		r->dropped = true;
	return ret;
}

static void on_offload_change(struct offload_change *oc, void *ctx)
{
	struct runner *r = ctx;
	const struct vno_iface *it = ifaces_find(r->all, r->nall, oc->netns, oc->ifindex);

	if (it) {
		snprintf(oc->driver, sizeof(oc->driver), "%s", it->driver);
		snprintf(oc->vm, sizeof(oc->vm), "%s", it->vm);
	}
	pipeline_offload_change(&r->pipe, oc);
}

/* The offload features follow the set, and changes go to the pipeline;
 * under the lock, which export's scrapes read them with. */
static void offload_turn(struct runner *r, __u64 now)
{
	pthread_mutex_lock(&r->lock);
	if (r->ow_gen != r->set_gen) {
		offwatch_sync(r->ow, r->sel, r->gone, r->nsel);
		r->ow_gen = r->set_gen;
	}
	offwatch_check(r->ow, now, on_offload_change, r);
	pthread_mutex_unlock(&r->lock);
}

int runner_poll(struct runner *r, int timeout_ms)
{
	struct epoll_event ev;
	__u64 now;
	int ret;

	if (r->user && !r->dropped) {
		char err[256];

		ret = runner_drop_privileges(r, err, sizeof(err));
		if (ret) {
			pr_warn("%s\n", err);
			return ret;
		}
	}
	/* Waited for without the lock (a scrape may run meanwhile), read
	 * with it. The BPF side wakes it once per batch (vno_wake_crossed),
	 * so a quiet trickle never wakes the wait: collect it on every turn. */
	if (epoll_wait(vno_ring__epoll_fd(r->rb), &ev, 1, timeout_ms) < 0 && errno != EINTR)
		return -errno;
	/* Interfaces that appeared are known before their first frames. */
	if (r->cw)
		live_tick(r, carrier_watch__read(r->cw, r->sel, r->nsel, on_hang, live_on_link,
						 r) == -ENOBUFS);
	pthread_mutex_lock(&r->lock);
	ret = vno_ring__consume(r->rb);
	pthread_mutex_unlock(&r->lock);
	if (ret < 0 && ret != -EINTR)
		return ret;
	/* Frames first, so a hang's diagnosis sees what came before it. */
	if (r->kw)
		read_kmsg(r);
	if (r->holding && ring_asm_expired(&r->ring, mono_now_ns() / 1000000))
		release_held(r);
	if (r->cw)
		live_tick(r, carrier_watch__read(r->cw, r->sel, r->nsel, on_hang, live_on_link,
						 r) == -ENOBUFS);
	now = mono_now_ns();
	offload_turn(r, now);
	if (now >= r->next_stall) {
		check_stalls(r);
		r->next_stall = now + 250000000ULL;
	}
	return 0;
}

void runner_drain(struct runner *r)
{
	pthread_mutex_lock(&r->lock);
	vno_ring__consume(r->rb);
	pthread_mutex_unlock(&r->lock);
	if (r->kw)
		read_kmsg(r);
	/* A report cut by the end of the session is still a hang. */
	release_held(r);
}

void runner_close(struct runner *r)
{
	vmhelper_stop();
	kmsg_watch__free(r->kw);
	carrier_watch__free(r->cw);
	offwatch__free(r->ow);
	kmsg_patterns_free();
	vno_ring__free(r->rb);
	loader__close(r->l);
	pipeline_fini(&r->pipe);
	free(r->all);
	free(r->sel);
	free(r->gone);
	free(r->flight);
	live_close(r);
	if (r->lock_init)
		pthread_mutex_destroy(&r->lock);
	memset(r, 0, sizeof(*r));
}
