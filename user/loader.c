// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The loader: chooses a variant per hook from what this kernel allows, sets
 * the tunables, loads, attaches, and attaches the TC programs. The only file
 * besides probe.c and events.c that touches the kernel.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/random.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#define VNO_QUICK_IFS 16 /* bpf/vno.bpf.h */
#include "vno.h" /* before the skeleton: its .bss holds a struct vno_stats */
#include "vno.skel.h"
#include "loader.h"
#include "tcclean.h"
#include "log.h"
#include "probe.h"
#include "decode.h"

#define VNO_BPF_TCX_INGRESS 46
#define VNO_BPF_TCX_EGRESS 47
#define MAX_TRIES 4

/* Variants of one tracepoint hook, in order of preference. */
static const int variant_kind[3] = { PROBE_TP_BTF, PROBE_RAW_TP, PROBE_TRACEPOINT };

static const struct hook_def {
	const char *name, *category;
	int hop;
	const char *prog[3]; /* per variant_kind */
} hook_defs[] = {
	{ "netif_receive_skb", "net", VNO_HOP_RX, { "rx_btf", "rx_raw", "rx_tp" } },
	{ "net_dev_start_xmit", "net", VNO_HOP_XMIT, { "xmit_btf", "xmit_raw", "xmit_tp" } },
	{ "consume_skb", "skb", VNO_HOP_DONE, { "consume_btf", "consume_raw", "consume_tp" } },
	{ "kfree_skb", "skb", VNO_HOP_DROP, { "kfree_btf", "kfree_raw", "kfree_tp" } },
	{ "net_dev_xmit_timeout", "net", VNO_HOP_HANG, { "timeout_btf", "timeout_raw", "timeout_tp" } },
};
#define N_HOOKS (sizeof(hook_defs) / sizeof(hook_defs[0]))

/*
 * Driver internals (bpf/driver.bpf.c): per function, the fentry program(s)
 * and the kprobe program(s); a second name is the exit half (fexit,
 * kretprobe). A function this kernel lacks is skipped: free_old_xmit_skbs
 * became free_old_xmit in 6.10, and a module not loaded has none.
 * needs_types: the hook reads nothing but the driver's own structs, so
 * without the module's BTF (before 5.11) it has nothing to record; the
 * others then record the frame without the ring state (driver.bpf.c).
 */
static const struct drv_def {
	const char *func, *driver, *what;
	const char *fentry[2], *kprobe[2];
	bool needs_types;
} drv_defs[] = {
	{ "e1000_xmit_frame", "e1000e", "drv-xmit: the frame and the TX ring",
	  { "e1000_xmit_fentry" }, { "e1000_xmit_kprobe" } },
	{ "e1000_clean_tx_irq", "e1000e", "drv-done: completions and TX descriptor latency",
	  { "e1000_clean_fentry", "e1000_clean_fexit" },
	  { "e1000_clean_kprobe", "e1000_clean_kretprobe" }, true },
	{ "e1000_print_hw_hang", "e1000e", "hang: the driver's Detected Hardware Unit Hang",
	  { "e1000_hang_fentry" }, { "e1000_hang_kprobe" }, true },
	{ "start_xmit", "virtio_net", "drv-xmit: the frame and the send queue's free descriptors",
	  { "virtnet_xmit_fentry" }, { "virtnet_xmit_kprobe" } },
	{ "free_old_xmit_skbs", "virtio_net", "drv-done: TX completion (before 6.10)",
	  { "virtnet_free_old_fexit" }, { "virtnet_free_old_kprobe", "virtnet_free_old_kretprobe" }, true },
	{ "free_old_xmit", "virtio_net", "drv-done: TX completion (6.10+)",
	  { "virtnet_free_fexit" }, { "virtnet_free_kprobe", "virtnet_free_kretprobe" }, true },
	{ "virtnet_tx_timeout", "virtio_net", "hang: the driver's TX timeout",
	  { "virtnet_timeout_fentry" }, { "virtnet_timeout_kprobe" } },
	{ "tun_net_xmit", "tun", "drv-xmit: host to guest, the queue's ring occupancy",
	  { "tun_xmit_fentry" }, { "tun_xmit_kprobe" } },
	{ "tun_get_user", "tun", "guest: the virtio_net_hdr as written, and a refusal",
	  { "tun_get_user_fentry", "tun_get_user_fexit" },
	  { "tun_get_user_kprobe", "tun_get_user_kretprobe" }, true },
	{ "br_forward", "bridge", "br-fwd: the port the bridge hands a frame to",
	  { "br_forward_fentry" }, { "br_forward_kprobe" }, true },
	{ "br_dev_xmit", "bridge", "drv-xmit: frames the host sends into the bridge",
	  { "br_dev_xmit_fentry" }, { "br_dev_xmit_kprobe" } },
};
#define N_DRV (sizeof(drv_defs) / sizeof(drv_defs[0]))
enum { DRV_FENTRY = 0, DRV_KPROBE = 1 };

int attach_mode_parse(const char *s, enum attach_mode *m)
{
	if (!strcmp(s, "auto"))
		*m = ATTACH_AUTO;
	else if (!strcmp(s, "fentry"))
		*m = ATTACH_FENTRY;
	else if (!strcmp(s, "kprobe"))
		*m = ATTACH_KPROBE;
	else if (!strcmp(s, "tp"))
		*m = ATTACH_TP;
	else
		return -EINVAL;
	return 0;
}

/* Loaded as a module or built in: /sys/module/NAME exists either way. */
static bool module_loaded(const char *name)
{
	char path[96];

	snprintf(path, sizeof(path), "/sys/module/%s", name);
	return access(path, F_OK) == 0;
}

/* The kind for driver function @d (DRV_FENTRY/DRV_KPROBE), or -1 with why.
 * Only the kinds this kernel attaches are looked up: each lookup reads
 * module BTF or all of /proc/kallsyms. */
static int drv_choose(const struct drv_def *d, enum attach_mode mode, unsigned disabled,
		      char *why, size_t len)
{
	bool want_f = mode != ATTACH_KPROBE && mode != ATTACH_TP && !(disabled & 1);
	bool want_k = mode != ATTACH_FENTRY && mode != ATTACH_TP && !(disabled & 2);
	bool can_f = want_f && probe_kind(PROBE_FENTRY)->ok;
	bool can_k = want_k && probe_kind(PROBE_KPROBE)->ok;
	char mod[64];

	if (mode == ATTACH_TP) {
		snprintf(why, len, "none: --attach tp");
		return -1;
	}
	bool btf = (can_f || (can_k && d->needs_types)) && probe_func_btf(d->func, mod, sizeof(mod));

	if (can_f && btf)
		return DRV_FENTRY;
	if (can_k && (btf || !d->needs_types) && probe_func_kallsyms(d->func))
		return DRV_KPROBE;
	if (!btf && (can_f || can_k) && probe_func_kallsyms(d->func))
		snprintf(why, len, "none: module %s has no BTF here (module BTF came in 5.11): %s",
			 d->driver, can_k ? "its structures cannot be read"
					  : "fentry cannot attach to it");
	else if (disabled)
		snprintf(why, len, "none: attaching failed");
	else if ((can_f || can_k) && module_loaded(d->driver))
		snprintf(why, len, "none: %s is not in this kernel's %s (another release's name)",
			 d->func, d->driver);
	else if (can_f || can_k)
		snprintf(why, len, "none: %s is not in this kernel (module %s not loaded?)",
			 d->func, d->driver);
	else if (mode == ATTACH_FENTRY)
		snprintf(why, len, "none: fentry: %.80s", probe_kind(PROBE_FENTRY)->why);
	else if (mode == ATTACH_KPROBE)
		snprintf(why, len, "none: kprobe: %.80s", probe_kind(PROBE_KPROBE)->why);
	else
		snprintf(why, len, "none: neither fentry (%.60s) nor kprobe (%.60s) attaches here",
			 probe_kind(PROBE_FENTRY)->why, probe_kind(PROBE_KPROBE)->why);
	return -1;
}

static struct loader_drv drv_state[N_DRV];

int loader_drivers(const struct loader *l, enum attach_mode mode, const struct loader_drv **out)
{
	for (size_t i = 0; i < N_DRV; i++) {
		struct loader_drv *s = &drv_state[i];

		s->func = drv_defs[i].func;
		s->driver = drv_defs[i].driver;
		s->what = drv_defs[i].what;
		if (!l) {
			int k = drv_choose(&drv_defs[i], mode, 0, s->use, sizeof(s->use));

			if (k >= 0)
				snprintf(s->use, sizeof(s->use), "%s",
					 k == DRV_FENTRY ? "fentry" : "kprobe");
		}
	}
	*out = drv_state;
	return N_DRV;
}

struct tc_att {
	__u32 ifindex;
	bool ingress;
	int link_fd;	/* TCX; -1 for clsact */
	bool made_qdisc;	/* clsact: this run created the qdisc */
};

struct loader {
	struct vno_bpf *skel;
	struct bpf_link *links[N_HOOKS];
	struct bpf_link *drv_links[N_DRV][2];
	struct tc_att *tc;
	size_t n_tc;
	char hooks[VNO_HOP__MAX][VNO_HOOK_LEN];
	unsigned window;	/* flight recorder frames per slot */
	bool tc_clsact_fallback; /* TCX was chosen but refused */
	bool shinfo_probe_read;	/* cfg_shinfo_direct off: the release predates it, or
				 * the verifier refused it */
	/* The first interfaces: the flight recorder's slots (n_slots of
	 * them) and the programs' fixed table (n_fixed <= VNO_QUICK_IFS). */
	struct vno_dev_key first[VNO_FLIGHT_MAX_DEVS];
	unsigned n_slots;
	unsigned n_fixed;
	enum tc_mode tc_used;	/* how the TC programs went on: TC_OFF, TC_TCX, TC_CLSACT */
};

/* Interface @i's flight recorder slot + 1, 0 for none. */
static __u32 flight_slot(const struct loader *l, size_t i)
{
	return l->window && i < l->n_slots ? i + 1 : 0;
}

static const char *kind_prefix(int kind)
{
	return kind == PROBE_TRACEPOINT ? "tracepoint" : probe_kind_name(kind);
}

/* First variant of @h that this kernel loads and attaches, skipping the ones
 * in @disabled (bit per variant); -1 when none. */
static int choose_variant(const struct hook_def *h, unsigned disabled)
{
	for (int v = 0; v < 3; v++) {
		int kind = variant_kind[v];

		if (disabled & (1u << v) || !probe_kind(kind)->ok)
			continue;
		if (kind == PROBE_TP_BTF && !probe_btf_tracepoint(h->name))
			continue;
		if (kind == PROBE_TRACEPOINT && !probe_tracepoint_exists(h->category, h->name))
			continue;
		return v;
	}
	return -1;
}

static enum tc_mode choose_tc(enum tc_mode want, const char **why)
{
	if (want == TC_OFF) {
		*why = "none: --tc-mode off";
		return TC_OFF;
	}
	if (!probe_kind(PROBE_KERN_CTX)->ok) {
		*why = "none: TC programs need bpf_cast_to_kern_ctx (6.3+)";
		return TC_OFF;
	}
	if (!probe_kind(PROBE_TC)->ok) {
		*why = "none: sched_cls programs do not load here";
		return TC_OFF;
	}
	/* Whether TCX exists is in the kernel's BTF; attaching a probe link on
	 * lo to find out costs start-up time (attach_tc falls back anyway). */
	if (want == TC_AUTO)
		want = probe_btf_enum_value("bpf_attach_type", "BPF_TCX_INGRESS") ? TC_TCX
										   : TC_CLSACT;
	*why = want == TC_TCX ? "tcx" : "tc clsact";
	return want;
}

static void drv_describe(char hooks[VNO_HOP__MAX][VNO_HOOK_LEN], const int *drv,
			 const char *all_off);

void loader_plan(char hooks[VNO_HOP__MAX][VNO_HOOK_LEN], enum tc_mode mode)
{
	int drv[N_DRV];

	for (size_t i = 0; i < N_DRV; i++)
		drv[i] = drv_choose(&drv_defs[i], ATTACH_AUTO, 0, drv_state[i].use,
				    sizeof(drv_state[i].use));
	const char *tcwhy;

	for (int i = 0; i < VNO_HOP__MAX; i++)
		snprintf(hooks[i], VNO_HOOK_LEN, "none");
	for (size_t i = 0; i < N_HOOKS; i++) {
		const struct hook_def *h = &hook_defs[i];
		int v = choose_variant(h, 0);

		if (v < 0)
			snprintf(hooks[h->hop], VNO_HOOK_LEN, "none: no variant of %s attaches", h->name);
		else
			snprintf(hooks[h->hop], VNO_HOOK_LEN, "%s/%s", kind_prefix(variant_kind[v]), h->name);
	}
	/* done is matched at consume_skb and kfree_skb alike. */
	choose_tc(mode, &tcwhy);
	snprintf(hooks[VNO_HOP_TC_INGRESS], VNO_HOOK_LEN, "%s", tcwhy);
	snprintf(hooks[VNO_HOP_TC_EGRESS], VNO_HOOK_LEN, "%s", tcwhy);
	drv_describe(hooks, drv, NULL);
}

static int attach_tc(struct loader *l, const struct loader_opts *o, enum tc_mode mode,
		     char *err, size_t errlen)
{
	int fds[2] = { bpf_program__fd(l->skel->progs.vno_tc_ingress),
		       bpf_program__fd(l->skel->progs.vno_tc_egress) };

	l->tc = calloc(o->n_ifaces * 2 + 1, sizeof(*l->tc));
	if (!l->tc)
		return -ENOMEM;
	for (size_t i = 0; i < o->n_ifaces; i++) {
		const struct vno_iface *it = &o->ifaces[i];

		for (int dir = 0; dir < 2; dir++) {
			struct tc_att *t = &l->tc[l->n_tc];
			int ret;

			t->ifindex = it->ifindex;
			t->ingress = dir == 0;
			t->link_fd = -1;
			if (mode == TC_TCX) {
				ret = bpf_link_create(fds[dir], it->ifindex,
						      dir ? VNO_BPF_TCX_EGRESS : VNO_BPF_TCX_INGRESS,
						      NULL);
				if (ret < 0 && o->tc_mode == TC_AUTO && !l->n_tc) {
					/* Chosen from BTF, refused at the first link. */
					pr_info("TCX links refused (%s): using clsact\n", strerror(errno));
					mode = TC_CLSACT;
					l->tc_clsact_fallback = true;
					dir--;
					continue;
				}
				if (ret < 0) {
					ret = -errno;
					goto fail;
				}
				t->link_fd = ret;
			} else {
				LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = it->ifindex,
					    .attach_point = dir ? BPF_TC_EGRESS : BPF_TC_INGRESS);
				LIBBPF_OPTS(bpf_tc_opts, to, .handle = VNO_TC_HANDLE,
					    .priority = VNO_TC_PRIO, .prog_fd = fds[dir]);

				ret = bpf_tc_hook_create(&hook);
				if (ret && ret != -EEXIST)
					goto fail;
				t->made_qdisc = !ret;
				ret = bpf_tc_attach(&hook, &to);
				if (ret)
					goto fail;
			}
			l->n_tc++;
			continue;
fail:
			snprintf(err, errlen, "%s: attaching the TC %s program failed: %s",
				 it->name, dir ? "egress" : "ingress", strerror(-ret));
			return ret;
		}
	}
	return 0;
}

static void detach_tc(struct loader *l)
{
	for (size_t i = 0; i < l->n_tc; i++) {
		struct tc_att *t = &l->tc[i];

		if (t->link_fd >= 0) {
			close(t->link_fd);
		} else {
			LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = t->ifindex,
				    .attach_point = t->ingress ? BPF_TC_INGRESS : BPF_TC_EGRESS);
			LIBBPF_OPTS(bpf_tc_opts, o, .handle = VNO_TC_HANDLE,
				    .priority = VNO_TC_PRIO);

			bpf_tc_detach(&hook, &o);
		}
	}
	/* A clsact qdisc this run created goes too, unless something else
	 * was put on it meanwhile: the interface is left as it was found. */
	for (size_t i = 0; i < l->n_tc; i++)
		if (l->tc[i].made_qdisc && tc_clsact_remove_if_empty(l->tc[i].ifindex) < 0)
			pr_debug("ifindex %u: the clsact qdisc could not be checked or removed\n",
				 l->tc[i].ifindex);
	free(l->tc);
	l->tc = NULL;
	l->n_tc = 0;
}

static void loader_unload(struct loader *l)
{
	detach_tc(l);
	for (size_t i = 0; i < N_DRV; i++)
		for (int j = 0; j < 2; j++) {
			bpf_link__destroy(l->drv_links[i][j]);
			l->drv_links[i][j] = NULL;
		}
	for (size_t i = 0; i < N_HOOKS; i++) {
		bpf_link__destroy(l->links[i]);
		l->links[i] = NULL;
	}
	vno_bpf__destroy(l->skel);
	l->skel = NULL;
}

/* One attempt with the given variant choice; on failure *bad is the hook whose
 * variant failed (or -1 when the failure is not a hook's). */
static const char *const *drv_progs(const struct drv_def *d, int kind)
{
	return kind == DRV_FENTRY ? d->fentry : d->kprobe;
}

static int try_load(struct loader *l, const struct loader_opts *o, const int *variant,
		    const int *drv, enum tc_mode tc, int *bad, char *err, size_t errlen)
{
	struct vno_bpf *skel;
	__u64 key = 0;
	int ret;

	*bad = -1;
	skel = vno_bpf__open();
	if (!skel) {
		snprintf(err, errlen, "opening the BPF object failed: %s", strerror(errno));
		return -errno;
	}
	l->skel = skel;
	if (getrandom(&key, sizeof(key), 0) != sizeof(key))
		key = (__u64)time(NULL) * 0x9e3779b97f4a7c15ULL;
	skel->rodata->cfg_netns = o->netns;
	skel->rodata->cfg_all_ifaces = o->all_ifaces;
	skel->rodata->cfg_all_frames = o->all_frames;
	skel->rodata->cfg_snaplen = o->snaplen < VNO_HDR_MIN ? VNO_HDR_MIN : o->snaplen;
	skel->rodata->cfg_id_key = key;
	/* Wake the reader once an eighth of the buffer is waiting. */
	skel->rodata->cfg_wakeup_bytes = o->rb_bytes / 8;
	bpf_map__set_max_entries(skel->maps.events, o->rb_bytes);
	skel->rodata->cfg_shinfo_direct = !l->shinfo_probe_read;
	skel->rodata->cfg_events = !o->no_events;
	/* With records, user space aggregates and keeps its own window from
	 * them: the in-kernel aggregates and flight recorder, which only
	 * export reads, would be work per frame that nothing reads. */
	skel->rodata->cfg_stats = o->no_events;
	l->window = 0;
	if (o->window && o->no_events) {
		l->window = 1;
		while (l->window < o->window && l->window < 65536)
			l->window <<= 1;
	}
	l->n_slots = o->n_ifaces < VNO_FLIGHT_MAX_DEVS ? o->n_ifaces : VNO_FLIGHT_MAX_DEVS;
	/* A live set takes every slot: interfaces that appear get the free ones. */
	if (o->live)
		l->n_slots = VNO_FLIGHT_MAX_DEVS;
	memset(l->first, 0, sizeof(l->first));
	for (size_t i = 0; i < l->n_slots && i < o->n_ifaces; i++)
		l->first[i] = (struct vno_dev_key){ .netns = o->ifaces[i].netns,
						    .ifindex = o->ifaces[i].ifindex };
	if (!l->n_slots)
		l->window = 0;
	skel->rodata->cfg_flight_window = l->window;
	bpf_map__set_max_entries(skel->maps.flight, l->window ? l->n_slots * l->window : 1);
	/* Few fixed interfaces: the programs match them from rodata (the same
	 * keys and slots as devs below) without a hash lookup. */
	if (!o->all_ifaces && !o->live && o->n_ifaces <= VNO_QUICK_IFS) {
		skel->rodata->cfg_n_ifindexes = o->n_ifaces;
		for (size_t i = 0; i < o->n_ifaces; i++) {
			skel->bss->cfg_ifindexes[i] = o->ifaces[i].ifindex;
			skel->rodata->cfg_if_netns[i] = o->ifaces[i].netns;
			skel->rodata->cfg_if_slot[i] = flight_slot(l, i);
		}
		l->n_fixed = o->n_ifaces;
	}
	/* With every interface fixed, the keyed maps hold only what the
	 * arrays cannot: queues past VNO_FIXED_QUEUES (a preallocated per-CPU
	 * hash of 4096 aggregates costs 4.7 MiB and 4 ms to create). Without
	 * in-kernel aggregates (record), the aggregate maps hold nothing. */
	if (l->n_fixed) {
		bpf_map__set_max_entries(skel->maps.queues_fixed, VNO_QUEUE_FIXED_IDX(l->n_fixed, 0));
		bpf_map__set_max_entries(skel->maps.queue_counts, VNO_QUEUE_FIXED_IDX(l->n_fixed, 0));
		bpf_map__set_max_entries(skel->maps.queues, 256);
	}
	if (l->n_fixed && o->no_events)
		bpf_map__set_max_entries(skel->maps.stats_fixed,
					 VNO_STATS_FIXED_IDX(l->n_fixed, 0, 0));
	if (l->n_fixed || !o->no_events)
		bpf_map__set_max_entries(skel->maps.stats, 1);
	if (!o->no_events)
		bpf_map__set_max_entries(skel->maps.drops, 1);

	for (size_t i = 0; i < N_HOOKS; i++) {
		struct bpf_program *p;

		if (variant[i] < 0)
			continue;
		p = bpf_object__find_program_by_name(skel->obj, hook_defs[i].prog[variant[i]]);
		if (p)
			bpf_program__set_autoload(p, true);
	}
	if (tc != TC_OFF) {
		bpf_program__set_autoload(skel->progs.vno_tc_ingress, true);
		bpf_program__set_autoload(skel->progs.vno_tc_egress, true);
	}
	for (size_t i = 0; i < N_DRV; i++) {
		const char *const *names;

		if (drv[i] < 0)
			continue;
		names = drv_progs(&drv_defs[i], drv[i]);
		for (int j = 0; j < 2 && names[j]; j++) {
			struct bpf_program *p = bpf_object__find_program_by_name(skel->obj, names[j]);

			if (p)
				bpf_program__set_autoload(p, true);
		}
	}
	ret = vno_bpf__load(skel);
	if (ret) {
		snprintf(err, errlen, "loading the BPF programs failed: %s%s", strerror(-ret),
			 ret == -EPERM ? " (needs root, or CAP_BPF with CAP_PERFMON and "
					 "CAP_NET_ADMIN)" : "");
		return ret;
	}
	for (size_t i = 0; i < o->n_ifaces; i++) {
		struct vno_dev_key k = { .netns = o->ifaces[i].netns,
					 .ifindex = o->ifaces[i].ifindex };
		struct vno_dev_val v = { .mtu = o->ifaces[i].mtu, .slot = flight_slot(l, i) };

		bpf_map__update_elem(skel->maps.devs, &k, sizeof(k), &v, sizeof(v), BPF_ANY);
	}
	for (size_t i = 0; i < N_HOOKS; i++) {
		struct bpf_program *p;

		if (variant[i] < 0)
			continue;
		p = bpf_object__find_program_by_name(skel->obj, hook_defs[i].prog[variant[i]]);
		l->links[i] = bpf_program__attach(p);
		if (!l->links[i]) {
			ret = -errno;
			*bad = i;
			snprintf(err, errlen, "attaching %s/%s failed: %s",
				 kind_prefix(variant_kind[variant[i]]), hook_defs[i].name,
				 strerror(-ret));
			return ret;
		}
	}
	for (size_t i = 0; i < N_DRV; i++) {
		const char *const *names;

		if (drv[i] < 0)
			continue;
		names = drv_progs(&drv_defs[i], drv[i]);
		for (int j = 0; j < 2 && names[j]; j++) {
			struct bpf_program *p = bpf_object__find_program_by_name(skel->obj, names[j]);

			l->drv_links[i][j] = p ? bpf_program__attach(p) : NULL;
			if (!l->drv_links[i][j]) {
				ret = p ? -errno : -ENOENT;
				*bad = N_HOOKS + i;
				snprintf(err, errlen, "attaching %s to %s failed: %s",
					 drv[i] == DRV_FENTRY ? "fentry" : "kprobe", drv_defs[i].func,
					 strerror(-ret));
				return ret;
			}
		}
	}
	if (tc != TC_OFF) {
		ret = attach_tc(l, o, tc, err, errlen);
		if (ret)
			return ret;
	}
	return 0;
}

/* The driver hops' hook strings ("fentry: e1000_xmit_frame start_xmit")
 * and each function's state for loader_drivers(). */
static void drv_describe(char hooks[VNO_HOP__MAX][VNO_HOOK_LEN], const int *drv,
			 const char *all_off)
{
	static const int hops[] = { VNO_HOP_DRV_XMIT, VNO_HOP_DRV_DONE, VNO_HOP_BR_FWD,
				    VNO_HOP_GUEST };

	for (size_t i = 0; i < N_DRV; i++) {
		if (all_off)
			snprintf(drv_state[i].use, sizeof(drv_state[i].use), "%s", all_off);
		else if (drv[i] >= 0)
			snprintf(drv_state[i].use, sizeof(drv_state[i].use), "%s",
				 drv[i] == DRV_FENTRY ? "fentry" : "kprobe");
	}
	for (size_t h = 0; h < sizeof(hops) / sizeof(hops[0]); h++) {
		char *s = hooks[hops[h]];
		size_t off = 0;

		s[0] = '\0';
		for (size_t i = 0; i < N_DRV; i++) {
			const char *hop = drv_defs[i].what;
			const char *name = vno_hop_name(hops[h]);

			if (all_off || drv[i] < 0 || strncmp(hop, name, strlen(name)) ||
			    hop[strlen(name)] != ':')
				continue;
			off += snprintf(s + off, VNO_HOOK_LEN - off, "%s%s/%s", off ? " " : "",
					drv[i] == DRV_FENTRY ? "fentry" : "kprobe", drv_defs[i].func);
			if (off >= VNO_HOOK_LEN)
				break;
		}
		/* None attached: say why, from the hop's first function. */
		for (size_t i = 0; !s[0] && i < N_DRV; i++) {
			const char *name = vno_hop_name(hops[h]);

			if (!strncmp(drv_defs[i].what, name, strlen(name)))
				snprintf(s, VNO_HOOK_LEN, "%s", drv_state[i].use);
		}
	}
}

struct loader *loader__open(const struct loader_opts *o, char *err, size_t errlen)
{
	struct loader *l = calloc(1, sizeof(*l));
	unsigned disabled[N_HOOKS] = {}, drv_disabled[N_DRV] = {};
	int variant[N_HOOKS], drv[N_DRV], bad, ret = -EINVAL;
	char drv_why[96] = "";
	bool drv_off = false;
	const char *tcwhy;
	enum tc_mode tc;

	if (!l) {
		errno = ENOMEM;
		return NULL;
	}
	if (!probe_have_btf()) {
		snprintf(err, errlen, "this kernel exposes no BTF (/sys/kernel/btf/vmlinux): "
				      "vnoffload-trace needs a kernel built with CONFIG_DEBUG_INFO_BTF");
		free(l);
		errno = ENOTSUP;
		return NULL;
	}
	if (!probe_kind(PROBE_RINGBUF)->ok) {
		snprintf(err, errlen, "%s", probe_kind(PROBE_RINGBUF)->why);
		free(l);
		errno = ENOTSUP;
		return NULL;
	}
	tc = choose_tc(o->tc_mode, &tcwhy);
	/* Loads through skb->head (6.17: pointers to scalars became untrusted
	 * read-only memory) are tried where the release says they may work;
	 * a refusal falls back below either way. */
	l->shinfo_probe_read = !probe_kernel_at_least(6, 17);
	for (int attempt = 0; attempt < MAX_TRIES + 1 + 2 * (int)N_DRV; attempt++) {
		bool any_drv = false;

		for (size_t i = 0; i < N_HOOKS; i++)
			variant[i] = choose_variant(&hook_defs[i], disabled[i]);
		for (size_t i = 0; i < N_DRV; i++) {
			drv[i] = drv_choose(&drv_defs[i], o->attach, drv_off ? 3 : drv_disabled[i],
					    drv_state[i].use, sizeof(drv_state[i].use));
			any_drv |= drv[i] >= 0;
		}
		ret = try_load(l, o, variant, drv, tc, &bad, err, errlen);
		if (!ret)
			break;
		loader_unload(l);
		if (!l->shinfo_probe_read) {
			/* A kernel that does not allow loads through
			 * skb->head refuses cfg_shinfo_direct: the same
			 * again without. */
			pr_info("%s; trying again with probe reads of skb_shared_info\n", err);
			l->shinfo_probe_read = true;
			continue;
		}
		if (bad >= (int)N_HOOKS) {
			pr_info("%s; trying the next kind\n", err);
			drv_disabled[bad - N_HOOKS] |= 1u << drv[bad - N_HOOKS];
			continue;
		}
		if (bad < 0 && any_drv && !drv_off) {
			/* A driver program the verifier refused: go on without them. */
			pr_warn("warning: %s with the driver hooks; going on without them\n", err);
			snprintf(drv_why, sizeof(drv_why), "none: loading failed: %.60s", err);
			drv_off = true;
			continue;
		}
		if (bad < 0)
			break;
		pr_info("%s; trying the next variant\n", err);
		disabled[bad] |= 1u << variant[bad];
	}
	if (ret) {
		free(l);
		errno = -ret;
		return NULL;
	}
	l->tc_used = tc == TC_OFF ? TC_OFF : l->tc_clsact_fallback ? TC_CLSACT : tc;
	for (int h = 0; h < VNO_HOP__MAX; h++)
		snprintf(l->hooks[h], sizeof(l->hooks[h]), "none");
	for (size_t i = 0; i < N_HOOKS; i++) {
		int hop = hook_defs[i].hop;

		if (variant[i] < 0)
			snprintf(l->hooks[hop], sizeof(l->hooks[hop]),
				 "none: no variant of %s attaches", hook_defs[i].name);
		else
			snprintf(l->hooks[hop], sizeof(l->hooks[hop]), "%s/%s",
				 kind_prefix(variant_kind[variant[i]]), hook_defs[i].name);
		if (variant[i] > 0)
			pr_warn("%s: using %s (tp_btf is not available here)\n",
				vno_hop_name(hop), l->hooks[hop]);
		pr_info("hop %s: %s\n", vno_hop_name(hop), l->hooks[hop]);
	}
	if (l->tc_clsact_fallback)
		tcwhy = "tc clsact (TCX refused)";
	snprintf(l->hooks[VNO_HOP_TC_INGRESS], VNO_HOOK_LEN, "%s", tcwhy);
	snprintf(l->hooks[VNO_HOP_TC_EGRESS], VNO_HOOK_LEN, "%s", tcwhy);
	drv_describe(l->hooks, drv, drv_off ? drv_why : NULL);
	return l;
}

void loader__close(struct loader *l)
{
	if (!l)
		return;
	loader_unload(l);
	free(l);
}

const char *loader_hook(const struct loader *l, int hop)
{
	return hop >= 0 && hop < VNO_HOP__MAX ? l->hooks[hop] : "none";
}

/* The TC programs on one more direction of @ifindex, the way the others
 * went (TCX links, or clsact filters). 0 or -errno. */
static int tc_attach_more(struct loader *l, __u32 ifindex, bool ingress, bool tcx)
{
	int fd = bpf_program__fd(ingress ? l->skel->progs.vno_tc_ingress
					 : l->skel->progs.vno_tc_egress);
	struct tc_att *t;
	void *p = realloc(l->tc, (l->n_tc + 1) * sizeof(*l->tc));
	int ret;

	if (!p)
		return -ENOMEM;
	l->tc = p;
	t = &l->tc[l->n_tc];
	t->ifindex = ifindex;
	t->ingress = ingress;
	t->link_fd = -1;
	if (tcx) {
		ret = bpf_link_create(fd, ifindex, ingress ? VNO_BPF_TCX_INGRESS : VNO_BPF_TCX_EGRESS,
				      NULL);
		if (ret < 0)
			return -errno;
		t->link_fd = ret;
	} else {
		LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
			    .attach_point = ingress ? BPF_TC_INGRESS : BPF_TC_EGRESS);
		LIBBPF_OPTS(bpf_tc_opts, to, .handle = VNO_TC_HANDLE, .priority = VNO_TC_PRIO,
			    .prog_fd = fd);

		ret = bpf_tc_hook_create(&hook);
		if (ret && ret != -EEXIST)
			return ret;
		ret = bpf_tc_attach(&hook, &to);
		if (ret)
			return ret;
	}
	l->n_tc++;
	return 0;
}

int loader_iface_moved(struct loader *l, __u32 netns, __u32 old_ifindex, __u32 new_ifindex)
{
	struct vno_dev_key k = { .netns = netns, .ifindex = old_ifindex };
	struct vno_dev_val v;
	bool tc = false, tcx = false;
	int ret = 0;

	if (!l || !l->skel)
		return -EINVAL;
	for (unsigned i = 0; i < l->n_fixed; i++)
		if (l->skel->bss->cfg_ifindexes[i] == old_ifindex &&
		    l->skel->rodata->cfg_if_netns[i] == netns)
			l->skel->bss->cfg_ifindexes[i] = new_ifindex;
	for (unsigned i = 0; i < l->n_slots; i++)
		if (l->first[i].netns == netns && l->first[i].ifindex == old_ifindex)
			l->first[i].ifindex = new_ifindex;
	if (!bpf_map__lookup_elem(l->skel->maps.devs, &k, sizeof(k), &v, sizeof(v), 0)) {
		bpf_map__delete_elem(l->skel->maps.devs, &k, sizeof(k), 0);
		k.ifindex = new_ifindex;
		if (bpf_map__update_elem(l->skel->maps.devs, &k, sizeof(k), &v, sizeof(v), BPF_ANY))
			ret = -errno;
	}
	/* The old device took its TCX links and clsact filters with it: the
	 * entries are dropped (closing a dead link is harmless) and the
	 * programs go on the new one the same way. */
	for (size_t i = 0; i < l->n_tc;) {
		struct tc_att *t = &l->tc[i];

		if (t->ifindex != old_ifindex) {
			i++;
			continue;
		}
		tc = true;
		tcx |= t->link_fd >= 0;
		if (t->link_fd >= 0)
			close(t->link_fd);
		l->tc[i] = l->tc[--l->n_tc];
	}
	if (tc) {
		int r = tc_attach_more(l, new_ifindex, true, tcx);

		if (!r)
			r = tc_attach_more(l, new_ifindex, false, tcx);
		if (r && !ret)
			ret = r;
	}
	return ret;
}

int loader_events_map_fd(const struct loader *l)
{
	return bpf_map__fd(l->skel->maps.events);
}

int loader_counters(const struct loader *l, __u64 out[VNO_CNT__MAX])
{
	int ncpu = libbpf_num_possible_cpus();
	__u64 *vals;

	memset(out, 0, sizeof(__u64) * VNO_CNT__MAX);
	if (ncpu <= 0)
		return -EINVAL;
	vals = calloc(ncpu, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	for (__u32 k = 0; k < VNO_CNT__MAX; k++) {
		if (bpf_map__lookup_elem(l->skel->maps.counters, &k, sizeof(k), vals,
					 sizeof(*vals) * ncpu, 0))
			continue;
		for (int c = 0; c < ncpu; c++)
			out[k] += vals[c];
	}
	free(vals);
	return 0;
}

struct grow {
	void *v;
	size_t n, cap, size;
};

static void *grow_next(struct grow *g)
{
	if (g->n == g->cap) {
		size_t cap = g->cap ? g->cap * 2 : 32;
		void *p = realloc(g->v, cap * g->size);

		if (!p)
			return NULL;
		g->v = p;
		g->cap = cap;
	}
	return (char *)g->v + g->n++ * g->size;
}

/* Sum a per-CPU value of @words u64s over CPUs into @dst. */
static void sum_percpu(__u64 *dst, const __u64 *vals, int ncpu, size_t words)
{
	memset(dst, 0, words * sizeof(*dst));
	for (int c = 0; c < ncpu; c++)
		for (size_t w = 0; w < words; w++)
			dst[w] += vals[c * words + w];
}

int loader_queues(const struct loader *l, struct loader_queue **out, size_t *n)
{
	struct grow g = { .size = sizeof(**out) };
	struct vno_queue_key k, next, *prev = NULL;
	int fd = bpf_map__fd(l->skel->maps.queues), cfd, ncpu = libbpf_num_possible_cpus();
	struct vno_queue_count *cnt = NULL;
	struct loader_queue *q;

	*out = NULL;
	*n = 0;
	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		if (!(q = grow_next(&g)))
			goto nomem;
		if (bpf_map_lookup_elem(fd, &next, &q->st) == 0)
			q->key = next;
		else
			g.n--;
		k = next;
		prev = &k;
	}
	/* The fixed interfaces' first queues, by position: those used, with
	 * their counters summed over CPUs. */
	fd = bpf_map__fd(l->skel->maps.queues_fixed);
	cfd = bpf_map__fd(l->skel->maps.queue_counts);
	if (l->n_fixed && (ncpu <= 0 || !(cnt = calloc(ncpu, sizeof(*cnt)))))
		goto nomem;
	for (unsigned i = 0; i < l->n_fixed; i++)
		for (unsigned qi = 0; qi < VNO_FIXED_QUEUES; qi++) {
			__u32 idx = VNO_QUEUE_FIXED_IDX(i, qi);
			struct vno_queue_count c;
			struct vno_queue_stat st;

			/* The counters first: most queues are unused, and
			 * their state need not be read. */
			if (bpf_map_lookup_elem(cfd, &idx, cnt))
				continue;
			sum_percpu((__u64 *)&c, (const __u64 *)cnt, ncpu, sizeof(c) / 8);
			if ((!c.xmit && !c.done && !c.freed) || bpf_map_lookup_elem(fd, &idx, &st))
				continue;
			if (!(q = grow_next(&g)))
				goto nomem;
			q->key = (struct vno_queue_key){ .netns = l->first[i].netns,
							 .ifindex = l->first[i].ifindex, .queue = qi };
			st.xmit = c.xmit;
			st.done = c.done;
			st.freed = c.freed;
			q->st = st;
		}
	free(cnt);
	for (size_t i = 0; i < g.n; i++) {
		struct loader_queue *lq = &((struct loader_queue *)g.v)[i];

		lq->inflight = (__s64)(lq->st.xmit - lq->st.done - lq->st.freed);
	}
	*out = g.v;
	*n = g.n;
	return 0;
nomem:
	free(cnt);
	free(g.v);
	return -ENOMEM;
}

__u64 loader_oldest_inflight(const struct loader *l, const struct vno_queue_key *q)
{
	enum { BATCH = 4096 };
	int fd = bpf_map__fd(l->skel->maps.ids);
	__u32 *keys = malloc(BATCH * sizeof(*keys)), in_batch, out_batch;
	struct vno_skb_state *v = malloc(BATCH * sizeof(*v));
	__u64 oldest = 0;
	bool first = true, last = false;

	while (keys && v && !last) {
		__u32 n = BATCH;
		int ret = bpf_map_lookup_batch(fd, first ? NULL : &in_batch, &out_batch, keys, v,
					       &n, NULL);

		if (ret && errno != ENOENT)
			break;
		last = ret != 0;
		for (__u32 i = 0; i < n; i++)
			if (v[i].addr && v[i].xmit_ts && v[i].xmit_netns == q->netns &&
			    v[i].xmit_if == q->ifindex && v[i].queue == q->queue &&
			    (!oldest || v[i].xmit_ts < oldest))
				oldest = v[i].xmit_ts;
		in_batch = out_batch;
		first = false;
	}
	free(keys);
	free(v);
	return oldest;
}

int loader_flight(const struct loader *l, __u32 netns, __u32 ifindex, struct vno_frame **out,
		  size_t *n)
{
	int fd = bpf_map__fd(l->skel->maps.flight), hfd = bpf_map__fd(l->skel->maps.flight_head);
	struct vno_frame *v;
	__u64 head = 0;
	__u32 slot, cnt = 0;

	*out = NULL;
	*n = 0;
	for (slot = 0; slot < l->n_slots; slot++)
		if (l->first[slot].netns == netns && l->first[slot].ifindex == ifindex)
			break;
	if (!l->window || slot == l->n_slots)
		return -ENOENT;
	if (bpf_map_lookup_elem(hfd, &slot, &head))
		return -errno;
	v = calloc(l->window, sizeof(*v));
	if (!v)
		return -ENOMEM;
	/* Oldest first: from head - window (or 0) up to head. */
	for (__u64 i = head > l->window ? head - l->window : 0; i < head; i++) {
		__u32 idx = slot * l->window + (__u32)(i & (l->window - 1));

		if (bpf_map_lookup_elem(fd, &idx, &v[cnt]) == 0 && v[cnt].version)
			cnt++;
	}
	*out = v;
	*n = cnt;
	return 0;
}

/*
 * Every entry of per-CPU hash @fd: @fn gets its key and the values of all
 * CPUs (@vsize bytes each) to fold. 0, or -ENOMEM.
 */
static int percpu_each(int fd, size_t ksize, size_t vsize,
		       int (*fn)(const void *key, const __u64 *vals, int ncpu, void *ctx), void *ctx)
{
	int ncpu = libbpf_num_possible_cpus(), ret = 0;
	__u8 key[64], next[64];
	bool first = true;
	__u64 *vals;

	if (ncpu <= 0 || ksize > sizeof(key))
		return -EINVAL;
	vals = calloc(ncpu, vsize);
	if (!vals)
		return -ENOMEM;
	while (!ret && bpf_map_get_next_key(fd, first ? NULL : key, next) == 0) {
		first = false;
		memcpy(key, next, ksize);
		if (bpf_map_lookup_elem(fd, key, vals) == 0)
			ret = fn(key, vals, ncpu, ctx);
	}
	free(vals);
	return ret;
}

static int add_stat(const void *key, const __u64 *vals, int ncpu, void *ctx)
{
	struct loader_stat *s = grow_next(ctx);

	if (!s)
		return -ENOMEM;
	memcpy(&s->key, key, sizeof(s->key));
	sum_percpu((__u64 *)&s->st, vals, ncpu, sizeof(s->st) / 8);
	return 0;
}

static int add_drop(const void *key, const __u64 *vals, int ncpu, void *ctx)
{
	struct loader_drop *d = grow_next(ctx);

	if (!d)
		return -ENOMEM;
	memcpy(&d->key, key, sizeof(d->key));
	sum_percpu(&d->count, vals, ncpu, 1);
	return 0;
}

/* The fixed interfaces' aggregates, by position, as keyed ones. */
static int add_fixed_stats(const struct loader *l, struct grow *g)
{
	int fd = bpf_map__fd(l->skel->maps.stats_fixed), ncpu = libbpf_num_possible_cpus();
	struct vno_stats *vals;
	int ret = 0;

	if (!l->n_fixed)
		return 0;
	if (ncpu <= 0)
		return -EINVAL;
	vals = calloc(ncpu, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	for (unsigned i = 0; i < l->n_fixed && !ret; i++)
		for (unsigned hop = 0; hop < VNO_HOP__MAX && !ret; hop++)
			for (unsigned gk = 0; gk < VNO_GK__MAX && !ret; gk++) {
				__u32 k = VNO_STATS_FIXED_IDX(i, hop, gk);
				struct vno_stats_key key = { .netns = l->first[i].netns,
							     .ifindex = l->first[i].ifindex,
							     .hop = hop, .gso_kind = gk };
				struct loader_stat *s;

				if (bpf_map_lookup_elem(fd, &k, vals))
					continue;
				s = grow_next(g);
				if (!s) {
					ret = -ENOMEM;
					break;
				}
				s->key = key;
				sum_percpu((__u64 *)&s->st, (__u64 *)vals, ncpu, sizeof(s->st) / 8);
				/* Only what was seen, as the hash map holds. */
				if (!s->st.frames && !s->st.lat_count)
					g->n--;
			}
	free(vals);
	return ret;
}

int loader_stats(const struct loader *l, struct loader_stat **out, size_t *n)
{
	struct grow g = { .size = sizeof(**out) };
	int ret = percpu_each(bpf_map__fd(l->skel->maps.stats), sizeof(struct vno_stats_key),
			      sizeof(struct vno_stats), add_stat, &g);

	if (!ret)
		ret = add_fixed_stats(l, &g);

	if (ret) {
		free(g.v);
		g.v = NULL;
		g.n = 0;
	}
	*out = g.v;
	*n = g.n;
	return ret;
}

int loader_drops(const struct loader *l, struct loader_drop **out, size_t *n)
{
	struct grow g = { .size = sizeof(**out) };
	int ret = percpu_each(bpf_map__fd(l->skel->maps.drops), sizeof(struct vno_drop_key),
			      sizeof(__u64), add_drop, &g);

	if (ret) {
		free(g.v);
		g.v = NULL;
		g.n = 0;
	}
	*out = g.v;
	*n = g.n;
	return ret;
}

/* ---- the watched set at run time (live.c) ------------------------------- */

int loader_iface_add(struct loader *l, const struct vno_iface *it)
{
	struct vno_dev_key k = { .netns = it->netns, .ifindex = it->ifindex };
	struct vno_dev_val v = { .mtu = it->mtu };
	int ret = 0;

	if (!l || !l->skel || !it->ifindex)
		return -EINVAL;
	if (l->n_fixed)
		return -EBUSY;
	for (unsigned s = 0; l->window && s < l->n_slots; s++) {
		__u64 head = 0;

		if (l->first[s].ifindex)
			continue;
		/* The ring starts over: nothing of the slot's last device is
		 * read as this one's. */
		if (bpf_map_update_elem(bpf_map__fd(l->skel->maps.flight_head), &s, &head, BPF_ANY))
			break;
		l->first[s] = k;
		v.slot = s + 1;
		break;
	}
	if (bpf_map__update_elem(l->skel->maps.devs, &k, sizeof(k), &v, sizeof(v), BPF_ANY)) {
		ret = -errno;
		if (v.slot)
			l->first[v.slot - 1] = (struct vno_dev_key){};
		return ret;
	}
	if (l->tc_used != TC_OFF) {
		bool tcx = l->tc_used == TC_TCX;

		for (int dir = 0; dir < 2 && !ret; dir++) {
			ret = tc_attach_more(l, it->ifindex, dir == 0, tcx);
			if (!ret)
				l->tc[l->n_tc - 1].made_qdisc = false;
		}
	}
	return ret;
}

/* Delete every key of per-CPU or plain hash @fd whose first two u32s are
 * (@netns, @ifindex). Keys are collected first: deleting while walking
 * would restart the walk. */
static void purge_keys(int fd, size_t ksize, __u32 netns, __u32 ifindex)
{
	struct grow g = { .size = ksize };
	__u8 key[64], next[64];
	bool first = true;

	if (ksize > sizeof(key))
		return;
	while (bpf_map_get_next_key(fd, first ? NULL : key, next) == 0) {
		__u32 id[2];
		void *p;

		first = false;
		memcpy(key, next, ksize);
		memcpy(id, key, sizeof(id));
		if (id[0] != netns || id[1] != ifindex)
			continue;
		p = grow_next(&g);
		if (!p)
			break;
		memcpy(p, key, ksize);
	}
	for (size_t i = 0; i < g.n; i++)
		bpf_map_delete_elem(fd, (char *)g.v + i * ksize);
	free(g.v);
}

void loader_iface_purge(struct loader *l, __u32 netns, __u32 ifindex)
{
	if (!l || !l->skel)
		return;
	purge_keys(bpf_map__fd(l->skel->maps.stats), sizeof(struct vno_stats_key), netns, ifindex);
	purge_keys(bpf_map__fd(l->skel->maps.queues), sizeof(struct vno_queue_key), netns, ifindex);
	purge_keys(bpf_map__fd(l->skel->maps.drops), sizeof(struct vno_drop_key), netns, ifindex);
}

int loader_iface_remove(struct loader *l, __u32 netns, __u32 ifindex)
{
	struct vno_dev_key k = { .netns = netns, .ifindex = ifindex };

	if (!l || !l->skel || !ifindex)
		return -EINVAL;
	if (l->n_fixed)
		return -EBUSY;
	bpf_map__delete_elem(l->skel->maps.devs, &k, sizeof(k), 0);
	for (unsigned s = 0; s < l->n_slots; s++)
		if (l->first[s].netns == netns && l->first[s].ifindex == ifindex)
			l->first[s] = (struct vno_dev_key){};
	/* A deleted device took its TCX links and clsact filters with it
	 * (closing a dead link is harmless); one still there that is no
	 * longer chosen has them taken off. */
	for (size_t i = 0; i < l->n_tc;) {
		struct tc_att *t = &l->tc[i];

		if (t->ifindex != ifindex) {
			i++;
			continue;
		}
		if (t->link_fd >= 0) {
			close(t->link_fd);
		} else {
			LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = t->ifindex,
				    .attach_point = t->ingress ? BPF_TC_INGRESS : BPF_TC_EGRESS);
			LIBBPF_OPTS(bpf_tc_opts, o, .handle = VNO_TC_HANDLE, .priority = VNO_TC_PRIO);

			bpf_tc_detach(&hook, &o);
		}
		l->tc[i] = l->tc[--l->n_tc];
	}
	loader_iface_purge(l, netns, ifindex);
	return 0;
}

void loader_slots(const struct loader *l, unsigned *used, unsigned *total)
{
	*used = 0;
	*total = l && l->window ? l->n_slots : 0;
	for (unsigned s = 0; s < *total; s++)
		*used += !!l->first[s].ifindex;
}
