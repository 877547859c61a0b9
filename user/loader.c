// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The loader: open -> configure -> load -> attach, with the variant of each
 * hook hook_plan.c chose, again with the next variant when one fails, and
 * the undoing of it. Besides the loader (this file, loader_tc.c, kmaps.c),
 * only probe.c (feature probes), run.c (the ring buffer) and tcclean.c
 * (leftover TC programs) touch the kernel's BPF side.
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
#include "loader_int.h"
#include "log.h"
#include "probe.h"
#include "decode.h"

#define MAX_TRIES 4

/* Interface @i's flight recorder slot + 1, 0 for none. */
static __u32 flight_slot(const struct loader *l, size_t i)
{
	return l->window && i < l->n_slots ? i + 1 : 0;
}

static void loader_unload(struct loader *l)
{
	tc_links_detach(&l->tc);
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

/* ---- one attempt: open, configure, size the maps, load, attach ---------- */

static int open_skel(struct loader *l, char *err, size_t errlen)
{
	l->skel = vno_bpf__open();
	if (!l->skel) {
		snprintf(err, errlen, "opening the BPF object failed: %s", strerror(errno));
		return -errno;
	}
	return 0;
}

/* Ring buffer @i (< VNO_RINGS) of the skeleton. */
static struct bpf_map *ring_map(const struct loader *l, unsigned i)
{
	struct bpf_map *m[VNO_RINGS] = { l->skel->maps.events0, l->skel->maps.events1,
					 l->skel->maps.events2, l->skel->maps.events3 };

	return m[i];
}

/* One ring buffer per CPU, up to VNO_RINGS, sharing --buffer (each a
 * power of two of at least a page, as the kernel wants); the rings not in
 * use keep the one page they are declared with. */
static void plan_rings(struct loader *l, const struct loader_opts *o)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE), each;
	int ncpu = libbpf_num_possible_cpus();

	l->n_rings = ncpu > 1 ? (ncpu < VNO_RINGS ? (unsigned)ncpu : VNO_RINGS) : 1;
	each = o->rb_bytes / l->n_rings;
	while (each & (each - 1))
		each &= each - 1;
	if (each < page)
		each = page;
	for (unsigned i = 0; i < l->n_rings; i++)
		bpf_map__set_max_entries(ring_map(l, i), (__u32)each);
	l->skel->rodata->cfg_rings = l->n_rings;
	/* Wake the reader once an eighth of a ring is waiting. */
	l->skel->rodata->cfg_wakeup_bytes = each / 8;
}

/* The rings in use into the map the programs find them in: before the
 * programs are attached, so no record is lost for want of one. */
static int fill_rings(struct loader *l, char *err, size_t errlen)
{
	int fd = bpf_map__fd(l->skel->maps.rings), fds[VNO_RINGS];
	unsigned n = (unsigned)loader_events_map_fds(l, fds);

	for (__u32 i = 0; i < n; i++) {
		if (bpf_map_update_elem(fd, &i, &fds[i], BPF_ANY)) {
			int ret = -errno;

			snprintf(err, errlen, "setting up the ring buffers failed: %s", strerror(-ret));
			return ret;
		}
	}
	return 0;
}

/* The tunables (rodata) every program reads. */
static void configure(struct loader *l, const struct loader_opts *o)
{
	struct vno_bpf *skel = l->skel;
	__u64 key = 0;

	if (getrandom(&key, sizeof(key), 0) != sizeof(key))
		key = (__u64)time(NULL) * 0x9e3779b97f4a7c15ULL;
	skel->rodata->cfg_netns = o->netns;
	skel->rodata->cfg_all_ifaces = o->all_ifaces;
	skel->rodata->cfg_all_frames = o->all_frames;
	skel->rodata->cfg_snaplen = o->snaplen < VNO_HDR_MIN ? VNO_HDR_MIN : o->snaplen;
	skel->rodata->cfg_snaplen_encap = o->snaplen_encap > VNO_SNAP_MAX ? VNO_SNAP_MAX
									  : o->snaplen_encap;
	skel->rodata->cfg_id_key = key;
	plan_rings(l, o);
	skel->rodata->cfg_shinfo_direct = !l->shinfo_probe_read;
	skel->rodata->cfg_events = !o->no_events;
	/* With records, user space aggregates and keeps its own window from
	 * them: the in-kernel aggregates and flight recorder, which only
	 * export reads, would be work per frame that nothing reads. */
	skel->rodata->cfg_stats = o->no_events;
}

/* The flight recorder: a window (a power of two) per slot, a slot for
 * each of the first VNO_FLIGHT_MAX_DEVS interfaces, with export only. */
static void plan_flight(struct loader *l, const struct loader_opts *o)
{
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
	l->skel->rodata->cfg_flight_window = l->window;
	bpf_map__set_max_entries(l->skel->maps.flight, l->window ? l->n_slots * l->window : 1);
}

/* Few fixed interfaces: the programs match them from rodata (the same keys
 * and slots as devs, fill_devs) without a hash lookup. */
static void fixed_table(struct loader *l, const struct loader_opts *o)
{
	struct vno_bpf *skel = l->skel;

	if (o->all_ifaces || o->live || o->n_ifaces > VNO_QUICK_IFS)
		return;
	skel->rodata->cfg_n_ifindexes = o->n_ifaces;
	for (size_t i = 0; i < o->n_ifaces; i++) {
		skel->bss->cfg_ifindexes[i] = o->ifaces[i].ifindex;
		skel->rodata->cfg_if_netns[i] = o->ifaces[i].netns;
		skel->rodata->cfg_if_slot[i] = flight_slot(l, i);
	}
	l->n_fixed = o->n_ifaces;
}

/* With every interface fixed, the keyed maps hold only what the arrays
 * cannot: queues past VNO_FIXED_QUEUES (a preallocated per-CPU hash of 4096
 * aggregates costs 4.7 MiB and 4 ms to create). Without in-kernel
 * aggregates (record), the aggregate maps hold nothing. */
static void size_maps(struct loader *l, const struct loader_opts *o)
{
	struct vno_bpf *skel = l->skel;

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
}

/* A driver's own maps take their size only when its hooks load: e1000e's
 * descriptor times, a preallocated LRU hash of 16384 entries, take ~4 ms
 * to create, at every start, on hosts without e1000e too. */
static void size_driver_maps(struct loader *l, const int *drv)
{
	for (size_t i = 0; i < N_DRV; i++)
		if (drv[i] >= 0 && !strcmp(drv_defs[i].driver, "e1000e"))
			return;
	bpf_map__set_max_entries(l->skel->maps.e1000_desc_ts, 1);
}

/* Autoload the chosen variant of each hook, the TC programs and the chosen
 * kind of each driver function; every program is "?" (not autoloaded). */
static void choose_progs(struct loader *l, const int *variant, const int *drv, enum tc_mode tc)
{
	struct vno_bpf *skel = l->skel;

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
}

static int load(struct loader *l, char *err, size_t errlen)
{
	int ret;

	/* libbpf parses the kernel's BTF again to load: the probes' copy
	 * goes first, so that parse reuses its memory (loadmem.c). */
	probe_btf_release();
	ret = vno_bpf__load(l->skel);

	if (ret)
		snprintf(err, errlen, "loading the BPF programs failed: %s%s", strerror(-ret),
			 ret == -EPERM ? " (needs root, or CAP_BPF with CAP_PERFMON and "
					 "CAP_NET_ADMIN)" : "");
	return ret;
}

/* The chosen interfaces into devs, with their flight recorder slots. */
static void fill_devs(struct loader *l, const struct loader_opts *o)
{
	for (size_t i = 0; i < o->n_ifaces; i++) {
		struct vno_dev_key k = { .netns = o->ifaces[i].netns,
					 .ifindex = o->ifaces[i].ifindex };
		struct vno_dev_val v = { .mtu = o->ifaces[i].mtu, .slot = flight_slot(l, i) };

		bpf_map__update_elem(l->skel->maps.devs, &k, sizeof(k), &v, sizeof(v), BPF_ANY);
	}
}

/* On failure *bad is the hook whose variant failed. */
static int attach_hooks(struct loader *l, const int *variant, int *bad, char *err,
			size_t errlen)
{
	for (size_t i = 0; i < N_HOOKS; i++) {
		struct bpf_program *p;
		int ret;

		if (variant[i] < 0)
			continue;
		p = bpf_object__find_program_by_name(l->skel->obj, hook_defs[i].prog[variant[i]]);
		l->links[i] = bpf_program__attach(p);
		if (!l->links[i]) {
			ret = -errno;
			*bad = i;
			snprintf(err, errlen, "attaching %s/%s failed: %s",
				 hook_kind_prefix(hook_variant_kind[variant[i]]), hook_defs[i].name,
				 strerror(-ret));
			return ret;
		}
	}
	return 0;
}

/* On failure *bad is N_HOOKS + the driver function that failed. */
static int attach_drivers(struct loader *l, const int *drv, int *bad, char *err, size_t errlen)
{
	for (size_t i = 0; i < N_DRV; i++) {
		const char *const *names;

		if (drv[i] < 0)
			continue;
		names = drv_progs(&drv_defs[i], drv[i]);
		for (int j = 0; j < 2 && names[j]; j++) {
			struct bpf_program *p = bpf_object__find_program_by_name(l->skel->obj, names[j]);
			int ret;

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
	return 0;
}

/* One attempt with the given variant choice; on failure *bad is the hook
 * (or N_HOOKS + the driver function) whose variant failed, or -1 when the
 * failure is not a hook's. What was done stays for loader_unload(). */
static int try_load(struct loader *l, const struct loader_opts *o, const int *variant,
		    const int *drv, enum tc_mode tc, int *bad, char *err, size_t errlen)
{
	int ret;

	*bad = -1;
	ret = open_skel(l, err, errlen);
	if (ret)
		return ret;
	configure(l, o);
	configure_filter(l, o);
	plan_flight(l, o);
	fixed_table(l, o);
	size_maps(l, o);
	size_driver_maps(l, drv);
	choose_progs(l, variant, drv, tc);
	ret = load(l, err, errlen);
	if (ret)
		return ret;
	fill_devs(l, o);
	ret = fill_rings(l, err, errlen);
	if (ret)
		return ret;
	ret = attach_hooks(l, variant, bad, err, errlen);
	if (!ret)
		ret = attach_drivers(l, drv, bad, err, errlen);
	if (!ret && tc != TC_OFF)
		ret = tc_links_attach(&l->tc, bpf_program__fd(l->skel->progs.vno_tc_ingress),
				      bpf_program__fd(l->skel->progs.vno_tc_egress), o->ifaces,
				      o->n_ifaces, tc, o->tc_mode, err, errlen);
	return ret;
}

/* ---- open: attempts until one loads and attaches ------------------------ */

/* What every run needs of the kernel. 0, or -ENOTSUP with a sentence. */
static int kernel_usable(char *err, size_t errlen)
{
	if (!probe_have_btf()) {
		snprintf(err, errlen, "this kernel exposes no BTF (/sys/kernel/btf/vmlinux): "
				      "vnoffload-trace needs a kernel built with CONFIG_DEBUG_INFO_BTF");
		return -ENOTSUP;
	}
	if (!probe_kind(PROBE_RINGBUF)->ok) {
		snprintf(err, errlen, "%s", probe_kind(PROBE_RINGBUF)->why);
		return -ENOTSUP;
	}
	return 0;
}

/* The hook strings of the run that loaded: per hop what it uses, said at -v. */
static void describe(struct loader *l, const int *variant, const int *drv, const char *tcwhy,
		     const char *drv_why)
{
	for (int h = 0; h < VNO_HOP__MAX; h++)
		snprintf(l->hooks[h], sizeof(l->hooks[h]), "none");
	for (size_t i = 0; i < N_HOOKS; i++) {
		int hop = hook_defs[i].hop;

		hook_use(l->hooks[hop], &hook_defs[i], variant[i]);
		if (variant[i] > 0)
			pr_warn("%s: using %s (tp_btf is not available here)\n",
				vno_hop_name(hop), l->hooks[hop]);
		pr_info("hop %s: %s\n", vno_hop_name(hop), l->hooks[hop]);
	}
	if (l->tc.clsact_fallback)
		tcwhy = "tc clsact (TCX refused)";
	snprintf(l->hooks[VNO_HOP_TC_INGRESS], VNO_HOOK_LEN, "%s", tcwhy);
	snprintf(l->hooks[VNO_HOP_TC_EGRESS], VNO_HOOK_LEN, "%s", tcwhy);
	drv_describe(l->hooks, drv, drv_why);
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
	ret = kernel_usable(err, errlen);
	if (ret) {
		free(l);
		errno = -ret;
		return NULL;
	}
	tc = tc_choose(o->tc_mode, &tcwhy);
	/* Loads through skb->head (6.17: pointers to scalars became untrusted
	 * read-only memory) are tried where the release says they may work;
	 * a refusal falls back below either way. */
	l->shinfo_probe_read = !probe_kernel_at_least(6, 17);
	for (int attempt = 0; attempt < MAX_TRIES + 2 + 2 * (int)N_DRV; attempt++) {
		bool any_drv = false;

		for (size_t i = 0; i < N_HOOKS; i++)
			variant[i] = hook_choose(&hook_defs[i], disabled[i]);
		for (size_t i = 0; i < N_DRV; i++) {
			drv[i] = drv_plan(i, o->attach, drv_off ? 3 : drv_disabled[i]);
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
		if (bad < 0 && l->filter_in_bpf) {
			/* The verifier refused the filter's stage: the same
			 * again, the filter after decoding. */
			pr_warn("warning: %s with the filter in the BPF programs; evaluating it "
				"in user space\n", err);
			l->filter_off = true;
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
	l->tc_used = tc == TC_OFF ? TC_OFF : l->tc.clsact_fallback ? TC_CLSACT : tc;
	describe(l, variant, drv, tcwhy, drv_off ? drv_why : NULL);
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

int loader_events_map_fds(const struct loader *l, int *fds)
{
	for (unsigned i = 0; i < l->n_rings; i++)
		fds[i] = bpf_map__fd(ring_map(l, i));
	return (int)l->n_rings;
}

int loader_iface_moved(struct loader *l, __u32 netns, __u32 old_ifindex, __u32 new_ifindex)
{
	struct vno_dev_key k = { .netns = netns, .ifindex = old_ifindex };
	struct vno_dev_val v;
	int ret = 0, r;

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
	r = tc_links_moved(&l->tc, bpf_program__fd(l->skel->progs.vno_tc_ingress),
			   bpf_program__fd(l->skel->progs.vno_tc_egress), old_ifindex, new_ifindex);
	if (r && !ret)
		ret = r;
	return ret;
}
