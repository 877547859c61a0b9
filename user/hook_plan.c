// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Which program each hook uses on this kernel: the hook and driver tables,
 * the first variant of each that the probes say attaches here, and how the
 * choice is said per hop (loader_plan for doctor, the hook strings a run
 * records). Reads the kernel's BTF, tracefs and kallsyms through probe.c;
 * loads nothing itself.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "hook_plan.h"
#include "probe.h"
#include "decode.h"

/* Variants of one tracepoint hook, in order of preference. */
const int hook_variant_kind[3] = { PROBE_TP_BTF, PROBE_RAW_TP, PROBE_TRACEPOINT };

/* done: consume_skb; a frame in flight that kfree_skb frees is a done too
 * (completion.bpf.c). */
const struct hook_def hook_defs[N_HOOKS] = {
	{ "netif_receive_skb", "net", VNO_HOP_RX, { "rx_btf", "rx_raw", "rx_tp" } },
	{ "net_dev_start_xmit", "net", VNO_HOP_XMIT, { "xmit_btf", "xmit_raw", "xmit_tp" } },
	{ "consume_skb", "skb", VNO_HOP_DONE, { "consume_btf", "consume_raw", "consume_tp" } },
	{ "kfree_skb", "skb", VNO_HOP_DROP, { "kfree_btf", "kfree_raw", "kfree_tp" } },
	{ "net_dev_xmit_timeout", "net", VNO_HOP_HANG, { "timeout_btf", "timeout_raw", "timeout_tp" } },
};

/*
 * Driver internals (bpf/driver.bpf.c). A function this kernel lacks is
 * skipped: free_old_xmit_skbs became free_old_xmit in 6.10, and a module
 * not loaded has none. needs_types: the hook reads nothing but the
 * driver's own structs, so without the module's BTF (before 5.11) it has
 * nothing to record; the others then record the frame without the ring
 * state (driver.bpf.c).
 */
const struct drv_def drv_defs[N_DRV] = {
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
_Static_assert(sizeof(hook_defs) / sizeof(hook_defs[0]) == N_HOOKS, "N_HOOKS");
_Static_assert(sizeof(drv_defs) / sizeof(drv_defs[0]) == N_DRV, "N_DRV");

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

/* What each driver function uses, or why none: loader_drivers() reports it. */
static struct loader_drv drv_state[N_DRV];

int drv_plan(size_t i, enum attach_mode mode, unsigned disabled)
{
	return drv_choose(&drv_defs[i], mode, disabled, drv_state[i].use, sizeof(drv_state[i].use));
}

int loader_drivers(const struct loader *l, enum attach_mode mode, const struct loader_drv **out)
{
	for (size_t i = 0; i < N_DRV; i++) {
		struct loader_drv *s = &drv_state[i];

		s->func = drv_defs[i].func;
		s->driver = drv_defs[i].driver;
		s->what = drv_defs[i].what;
		if (!l) {
			int k = drv_plan(i, mode, 0);

			if (k >= 0)
				snprintf(s->use, sizeof(s->use), "%s",
					 k == DRV_FENTRY ? "fentry" : "kprobe");
		}
	}
	*out = drv_state;
	return N_DRV;
}

const char *const *drv_progs(const struct drv_def *d, int kind)
{
	return kind == DRV_FENTRY ? d->fentry : d->kprobe;
}

const char *hook_kind_prefix(int kind)
{
	return kind == PROBE_TRACEPOINT ? "tracepoint" : probe_kind_name(kind);
}

int hook_choose(const struct hook_def *h, unsigned disabled)
{
	for (int v = 0; v < 3; v++) {
		int kind = hook_variant_kind[v];

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

void hook_use(char out[VNO_HOOK_LEN], const struct hook_def *h, int v)
{
	if (v < 0)
		snprintf(out, VNO_HOOK_LEN, "none: no variant of %s attaches", h->name);
	else
		snprintf(out, VNO_HOOK_LEN, "%s/%s", hook_kind_prefix(hook_variant_kind[v]), h->name);
}

enum tc_mode tc_choose(enum tc_mode want, const char **why)
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
	 * lo to find out costs start-up time (TC attaching falls back anyway). */
	if (want == TC_AUTO)
		want = probe_btf_enum_value("bpf_attach_type", "BPF_TCX_INGRESS") ? TC_TCX
										   : TC_CLSACT;
	*why = want == TC_TCX ? "tcx" : "tc clsact";
	return want;
}

void loader_plan(char hooks[VNO_HOP__MAX][VNO_HOOK_LEN], enum tc_mode mode)
{
	int drv[N_DRV];
	const char *tcwhy;

	for (size_t i = 0; i < N_DRV; i++)
		drv[i] = drv_plan(i, ATTACH_AUTO, 0);
	for (int i = 0; i < VNO_HOP__MAX; i++)
		snprintf(hooks[i], VNO_HOOK_LEN, "none");
	for (size_t i = 0; i < N_HOOKS; i++)
		hook_use(hooks[hook_defs[i].hop], &hook_defs[i], hook_choose(&hook_defs[i], 0));
	tc_choose(mode, &tcwhy);
	snprintf(hooks[VNO_HOP_TC_INGRESS], VNO_HOOK_LEN, "%s", tcwhy);
	snprintf(hooks[VNO_HOP_TC_EGRESS], VNO_HOOK_LEN, "%s", tcwhy);
	drv_describe(hooks, drv, NULL);
}

void drv_describe(char hooks[VNO_HOP__MAX][VNO_HOOK_LEN], const int *drv, const char *all_off)
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
