// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The pre-hang diagnosis: when a hang fires, the attributes of the frames
 * in the hung device's window (diag_window.c) are compared with its
 * baseline; a kind of frame that appeared (or became much more common)
 * just before the hang is a suspect, the top one is what to switch off
 * first (the remedy), and the verdict says it in one sentence.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "diag_internal.h"
#include "decode.h"
#include "ifaces.h"
#include "sbuf.h"
#include "vmhelper.h"
#include "diag_ring.h"

/* Below this many baseline frames there is nothing to compare against:
 * compare the older half of the window with the newer one instead. */
#define DIAG_MIN_BASELINE 32
/* Floor on the baseline share in the lift: a kind never seen before must
 * reach min_lift % of the window to count, not just appear once. */
#define DIAG_SMOOTHING 0.01
/* A suspect must also be unlikely under the baseline share (binomial
 * z-score), so a small window's noise does not produce suspects. */
#define DIAG_MIN_Z 3.0

static const char *const source_names[VNO_HANG__MAX] = {
	[VNO_HANG_WATCHDOG] = "watchdog", [VNO_HANG_KMSG] = "kmsg",
	[VNO_HANG_STALL] = "stall",	  [VNO_HANG_CARRIER] = "carrier",
	[VNO_HANG_MANUAL] = "manual",	  [VNO_HANG_DRIVER] = "driver",
};

static const char *const attr_names[DIAG_ATTR__MAX] = {
	[DIAG_ATTR_ANOMALY] = "anomaly", [DIAG_ATTR_GSO_TYPE] = "gso_type",
	[DIAG_ATTR_GSO_SIZE] = "gso_size", [DIAG_ATTR_CSUM] = "checksum",
	[DIAG_ATTR_INGRESS] = "ingress", [DIAG_ATTR_SIZE] = "frame_size",
};

const char *diag_source_name(int source)
{
	return source >= 0 && source < VNO_HANG__MAX ? source_names[source] : "?";
}

int diag_source_parse(const char *name)
{
	int i;

	for (i = 0; name && i < VNO_HANG__MAX; i++)
		if (!strcmp(source_names[i], name))
			return i;
	return -1;
}

const char *diag_attr_name(int attr)
{
	return attr >= 0 && attr < DIAG_ATTR__MAX ? attr_names[attr] : "?";
}

static bool eligible(__u64 key)
{
	__u64 val = KEY_VAL(key);

	/* Values that describe ordinary, offload-free frames cannot be what
	 * to switch off. */
	switch (KEY_ATTR(key)) {
	case DIAG_ATTR_ANOMALY:
		return true;
	case DIAG_ATTR_GSO_TYPE:
	case DIAG_ATTR_GSO_SIZE:
	case DIAG_ATTR_SIZE:
	case DIAG_ATTR_INGRESS:
		return val != 0;
	case DIAG_ATTR_CSUM:
		return val != VNO_CSUM_NONE;
	default:
		return false;
	}
}

static void value_str(__u64 key, const char *name, char *buf, size_t len)
{
	__u64 val = KEY_VAL(key);

	switch (KEY_ATTR(key)) {
	case DIAG_ATTR_ANOMALY:
		snprintf(buf, len, "%s", anomaly_name((unsigned)val));
		break;
	case DIAG_ATTR_GSO_TYPE:
		vno_gso_type_str((__u32)val, "|", buf, len);
		break;
	case DIAG_ATTR_GSO_SIZE:
		snprintf(buf, len, "%s", diag_bucket_name(DIAG_ATTR_GSO_SIZE, val));
		break;
	case DIAG_ATTR_CSUM:
		snprintf(buf, len, "%s", vno_csum_name((unsigned)val));
		break;
	case DIAG_ATTR_INGRESS:
		snprintf(buf, len, "%s", val && name && *name ? name : "none");
		break;
	case DIAG_ATTR_SIZE:
		snprintf(buf, len, "%s", diag_bucket_name(DIAG_ATTR_SIZE, val));
		break;
	default:
		snprintf(buf, len, "?");
	}
}

static bool frame_has(const struct diag_frame *df, __u64 key)
{
	__u64 keys[MAX_KEYS];
	int i, n = diag_frame_keys(df, keys);

	for (i = 0; i < n; i++)
		if (keys[i] == key)
			return true;
	return false;
}

static int suspect_cmp(const void *a, const void *b)
{
	const struct diag_suspect *x = a, *y = b;
	double eps = 1e-9 * (x->lift > y->lift ? x->lift : y->lift);

	if (x->lift > y->lift + eps)
		return -1;
	if (y->lift > x->lift + eps)
		return 1;
	if (x->attr != y->attr)
		return x->attr - y->attr;
	return (int)y->window_count - (int)x->window_count;
}

/*
 * The frames the suspects are computed on (indexes into dg->frames):
 * those handed to the driver, on the hung queue when it is known and the
 * window has some there.
 */
static size_t select_frames(const struct vno_diagnosis *dg, size_t *sel)
{
	size_t i, n = 0, on_q = 0;
	bool by_queue = false;

	if (dg->hang.queue >= 0) {
		for (i = 0; i < dg->n_frames; i++)
			if (dg->frames[i].counted && dg->frames[i].ev.f.queue == dg->hang.queue)
				on_q++;
		by_queue = on_q > 0;
	}
	for (i = 0; i < dg->n_frames; i++) {
		const struct diag_frame *df = &dg->frames[i];

		if (!df->counted)
			continue;
		if (by_queue && df->ev.f.queue != dg->hang.queue)
			continue;
		sel[n++] = i;
	}
	return n;
}

/* The tap more than half of the frames carrying @key came from, if any:
 * Boyer-Moore majority vote, then a count to confirm it. */
static void dominant_tap(const struct vno_diagnosis *dg, const size_t *sel, size_t n, __u64 key,
			 char *out)
{
	const struct diag_frame *cand = NULL;
	size_t i, votes = 0, total = 0, same = 0;

	out[0] = '\0';
	for (i = 0; i < n; i++) {
		const struct diag_frame *df = &dg->frames[sel[i]];

		if (!frame_has(df, key))
			continue;
		total++;
		if (!votes) {
			cand = df;
			votes = 1;
		} else if (df->origin_ifindex == cand->origin_ifindex &&
			   df->origin_netns == cand->origin_netns && !!df->origin[0] == !!cand->origin[0]) {
			votes++;
		} else {
			votes--;
		}
	}
	if (!cand || !cand->origin[0] || !cand->origin_tap)
		return;
	for (i = 0; i < n; i++) {
		const struct diag_frame *df = &dg->frames[sel[i]];

		if (df->origin[0] && df->origin_ifindex == cand->origin_ifindex &&
		    df->origin_netns == cand->origin_netns && frame_has(df, key))
			same++;
	}
	if (same * 2 > total)
		memcpy(out, cand->origin, VNO_IFNAMSIZ);
}

struct cand {
	struct diag_suspect s;
	__u64 key;
};

static int cand_cmp(const void *a, const void *b)
{
	return suspect_cmp(&((const struct cand *)a)->s, &((const struct cand *)b)->s);
}

static bool suspect_is_csum(const struct diag_suspect *s)
{
	if (s->attr == DIAG_ATTR_CSUM)
		return true;
	if (s->attr == DIAG_ATTR_ANOMALY) {
		const struct anomaly_rule *r = anomaly_rule((unsigned)anomaly_parse(s->value));

		return r && r->csum_related;
	}
	return false;
}

/*
 * The offloads the top suspect accuses: what the frames carrying it (of
 * those it was computed on) asked the device to do — their GSO type's
 * segmentation, or for a checksum suspect the TX checksum of their IP
 * version. An offload fewer than a quarter as many of those frames asked
 * for as the most asked-for one is left out: a stray frame of another
 * kind does not widen the remedy.
 */
static unsigned accuse(const struct vno_diagnosis *dg, const size_t *sel, size_t n, __u64 key,
		       const struct diag_suspect *s)
{
	unsigned count[REM__MAX] = { 0 }, max = 0, m = 0;
	bool v4 = false, v6 = false, csum = suspect_is_csum(s);
	size_t i;
	int o;

	for (i = 0; i < n; i++) {
		const struct vno_frame *f = &dg->frames[sel[i]].ev.f;
		unsigned a;

		if (!frame_has(&dg->frames[sel[i]], key))
			continue;
		v4 |= f->ip_ver == 4;
		v6 |= f->ip_ver == 6;
		if (csum)
			continue;
		a = remedy_accuse(f->gso_type, false, f->ip_ver);
		for (o = 0; o < REM__MAX; o++)
			if (a & REM_BIT(o) && ++count[o] > max)
				max = count[o];
	}
	if (csum)
		return remedy_accuse(0, true, v4 == v6 ? 0 : v4 ? 4 : 6);
	for (o = 0; o < REM__MAX; o++)
		if (count[o] && count[o] * 4 >= max)
			m |= REM_BIT(o);
	return m;
}

static int find_suspects(const struct diag *d, const struct ddev *v, struct vno_diagnosis *dg)
{
	struct cand cand[64];
	size_t *sel, n, start = 0, i, ncand = 0;
	const struct ctab *base = &v->base;
	struct ctab win = { 0 }, half = { 0 };
	__u64 btotal = v->base_total, keys[MAX_KEYS];
	int err = -ENOMEM, k, nk;

	sel = malloc((dg->n_frames + 1) * sizeof(*sel));
	if (!sel)
		return -ENOMEM;
	n = select_frames(dg, sel);
	if (btotal < DIAG_MIN_BASELINE) {
		/* Too little before the window (a short reproduction): the
		 * older half of the window is the baseline. */
		if (n < 4 * d->o.min_support) {
			dg->window_total = (__u32)n;
			dg->baseline_total = btotal;
			err = 0;
			goto out;
		}
		start = n / 2;
		/* Distinct values: at most one gso_type and one ingress per
		 * frame, plus the small fixed sets of the other attributes. */
		if (ctab_init(&half, 4 * start + 64))
			goto out;
		for (i = 0; i < start; i++) {
			const struct diag_frame *df = &dg->frames[sel[i]];

			nk = diag_frame_keys(df, keys);
			for (k = 0; k < nk; k++)
				ctab_add(&half, keys[k], df->origin);
		}
		base = &half;
		btotal = start;
		dg->split_window = true;
	}
	dg->window_total = (__u32)(n - start);
	dg->baseline_total = btotal;
	dg->compared = n - start >= d->o.min_support;
	if (ctab_init(&win, 4 * (n - start) + 64))
		goto out;
	for (i = start; i < n; i++) {
		const struct diag_frame *df = &dg->frames[sel[i]];

		nk = diag_frame_keys(df, keys);
		for (k = 0; k < nk; k++)
			ctab_add(&win, keys[k], df->origin);
	}

	for (i = 0; i <= win.mask; i++) {
		const struct ckey *e = &win.e[i];
		const struct ckey *b;
		double ws, bs, p, lift, z, wt = (double)dg->window_total;
		__u64 bc;

		if (!e->key || !eligible(e->key) || e->n < d->o.min_support)
			continue;
		b = ctab_find(base, e->key);
		/* A value the full baseline table could not hold may hide
		 * among its "other": assume the worst for the suspect. */
		bc = b ? b->n : base->other[KEY_ATTR(e->key)];
		ws = (double)e->n / wt;
		bs = btotal ? (double)bc / (double)btotal : 0.0;
		p = bs > DIAG_SMOOTHING ? bs : DIAG_SMOOTHING;
		lift = ws / p;
		z = p < 1.0 ? ((double)e->n - wt * p) / sqrt(wt * p * (1.0 - p)) : 0.0;
		if (lift < d->o.min_lift || z < DIAG_MIN_Z)
			continue;
		if (ncand == ARRAY_SIZE(cand)) {
			/* Keep the best: replace the weakest if this beats it. */
			qsort(cand, ncand, sizeof(cand[0]), cand_cmp);
			if (lift <= cand[ncand - 1].s.lift)
				continue;
			ncand--;
		}
		memset(&cand[ncand], 0, sizeof(cand[0]));
		cand[ncand].key = e->key;
		cand[ncand].s.attr = KEY_ATTR(e->key);
		value_str(e->key, e->name, cand[ncand].s.value, sizeof(cand[ncand].s.value));
		cand[ncand].s.lift = lift;
		cand[ncand].s.window_count = (__u32)e->n;
		cand[ncand].s.window_total = dg->window_total;
		cand[ncand].s.baseline_count = bc;
		cand[ncand].s.baseline_total = btotal;
		ncand++;
	}
	qsort(cand, ncand, sizeof(cand[0]), cand_cmp);
	for (i = 0; i < ncand && i < DIAG_MAX_SUSPECTS; i++) {
		dg->suspects[i] = cand[i].s;
		dominant_tap(dg, sel + start, n - start, cand[i].key, dg->suspects[i].origin);
	}
	dg->n_suspects = (int)i;
	if (dg->n_suspects)
		dg->accused = accuse(dg, sel + start, n - start, cand[0].key, &dg->suspects[0]);
	err = 0;
out:
	ctab_fini(&win);
	ctab_fini(&half);
	free(sel);
	return err;
}

/* A path no host has: offline, a tap's VM is only what its name says
 * (Proxmox's tapVMIDiN), no file of this machine is read. */
static const struct vm_roots nowhere = {
	.proc = "/nonexistent/vnoffload-trace",
	.libvirt = "/nonexistent/vnoffload-trace",
	.pve = "/nonexistent/vnoffload-trace",
};

/* The VM behind dg->tap into dg->vm; its Proxmox VMID, or -1. */
static int name_vm(const struct diag *d, struct vno_diagnosis *dg)
{
	struct vm_ident id;
	char num[16];

	if (d->o.read_features ? vm_ident_lookup(dg->tap, &id, NULL)
			       : vm_ident_of_tap(dg->tap, &nowhere, &id))
		return -1;
	snprintf(num, sizeof(num), "%d", id.vmid);
	/* A bare VMID is not a name: the Proxmox line says it already. */
	if (strcmp(id.source, "proxmox") || strcmp(id.name, num)) {
		vm_ident_str(&id, dg->vm, sizeof(dg->vm));
		/* A process's own name is no VM's name (every plain QEMU
		 * is qemu-system-x86): only what a VMM names its guest. */
		if (strcmp(id.source, "process"))
			snprintf(dg->vm_name, sizeof(dg->vm_name), "%s", id.name);
	}
	return id.vmid;
}

/* The hung device's features to check the host command against: those
 * given for it, else read live when it is on this host and in this
 * namespace. NULL when neither, with why in @why. */
static const struct vno_features *host_features(const struct diag *d,
						const struct vno_diagnosis *dg,
						struct vno_features *live, char *why, size_t len)
{
	const char *dev = dg->hang.dev;
	__u32 self;
	int err;

	if (!dev[0])
		return NULL;
	if (d->feat_dev[0] && !strncmp(d->feat_dev, dev, VNO_IFNAMSIZ))
		return &d->feat;
	if (!d->o.read_features)
		return NULL;
	self = ifaces_netns_self();
	if (dg->hang.netns && self && dg->hang.netns != self) {
		snprintf(why, len, "not checked against %s: it is in another network namespace",
			 dev);
		return NULL;
	}
	err = vno_features_read(dev, live);
	if (err) {
		snprintf(why, len, "not checked against %s: its features could not be read (%s)",
			 dev, strerror(-err));
		return NULL;
	}
	return live;
}

/* The switches for what the top suspect accuses (remedy.c), and the one
 * line that sums them up: the host first, or the guest first when the
 * suspect is the guest's tap itself. */
static void make_remedy(const struct diag *d, struct vno_diagnosis *dg)
{
	const struct diag_suspect *s = &dg->suspects[0];
	struct remedy_in in = { .proxmox_vmid = -1 };
	struct vno_features live = { 0 };
	char why[160] = "", host[320] = "", guest[360] = "";
	const struct remedy *r = &dg->rem;

	if (!dg->n_suspects || !dg->accused)
		return;
	in.accused = dg->accused;
	in.host_dev = dg->hang.dev;
	in.host_feat = host_features(d, dg, &live, why, sizeof(why));
	if (s->origin[0]) {
		snprintf(dg->tap, sizeof(dg->tap), "%.*s", VNO_IFNAMSIZ - 1, s->origin);
		in.tap = dg->tap;
		in.proxmox_vmid = name_vm(d, dg);
		in.vm = dg->vm[0] ? dg->vm : NULL;
	}
	remedy_make(&in, &dg->rem);
	vno_features_free(&live);
	/* remedy.c says "not checked" without the reason; this knows it. */
	if (why[0] && !in.host_feat)
		snprintf(dg->rem.host_note, sizeof(dg->rem.host_note), "%s", why);

	if (r->host[0])
		snprintf(host, sizeof(host), "on the host: `%s`", r->host);
	else
		snprintf(host, sizeof(host), "nothing to switch on the host (%s)", r->host_note);
	if (dg->tap[0] && (r->guest_linux[0] || r->guest_bsd[0])) {
		str_addf(guest, sizeof(guest), "in the guest behind %s", dg->tap);
		if (dg->vm[0])
			str_addf(guest, sizeof(guest), " (%s)", dg->vm);
		if (r->guest_linux[0])
			str_addf(guest, sizeof(guest), ": Linux `%s`", r->guest_linux);
		if (r->guest_bsd[0])
			str_addf(guest, sizeof(guest), "%s FreeBSD `%s`", r->guest_linux[0] ? "," : ":",
			    r->guest_bsd);
	}
	if (!guest[0])
		snprintf(dg->remedy, sizeof(dg->remedy), "%s", host);
	else if (s->attr == DIAG_ATTR_INGRESS || !r->host[0])
		snprintf(dg->remedy, sizeof(dg->remedy), "%s; or %s", guest, host);
	else
		snprintf(dg->remedy, sizeof(dg->remedy), "%s; or %s", host, guest);
}

/*
 * Causes of TX hangs that no offload explains, per NIC family, named when
 * no offload stands out before a hang, each with how to check it (%1$s:
 * the device). e1000e: Intel's 82574/82579/I217-I219 errata and the
 * kernel's long run of "Detected Hardware Unit Hang" reports tie hangs to
 * the PCIe link's power states (ASPM L0s/L1) and to Energy-Efficient
 * Ethernet on some PHYs.
 */
static const struct nic_cause {
	const char *driver;
	const char *text;
} nic_causes[] = {
	{ "e1000e", "PCIe ASPM (the link's power states): `lspci -vvv -s $(ethtool -i %1$s | "
		    "sed -n 's/^bus-info: //p') | grep LnkCtl:` says `ASPM L0s L1 Enabled` or "
		    "`ASPM L1 Enabled`; boot with pcie_aspm=off to rule it out" },
	{ "e1000e", "Energy-Efficient Ethernet: `ethtool --show-eee %1$s` says `EEE status: "
		    "enabled - active`; `ethtool --set-eee %1$s eee off` to rule it out" },
};

static void name_causes(struct vno_diagnosis *dg)
{
	const char *dev = dg->hang.dev[0] ? dg->hang.dev : "DEV";

	if (dg->accused || !dg->driver[0])
		return;
	for (size_t i = 0; i < ARRAY_SIZE(nic_causes) && dg->n_causes < DIAG_MAX_CAUSES; i++)
		if (!strcmp(nic_causes[i].driver, dg->driver))
			snprintf(dg->causes[dg->n_causes++], sizeof(dg->causes[0]),
				 nic_causes[i].text, dev);
}

/* What the window's frames ask of a device: the top suspect's accusation,
 * else the segmentation of every super-frame's kind and the checksum of
 * checksum-partial frames. */
static unsigned window_kinds(const struct vno_diagnosis *dg)
{
	unsigned k = 0;

	if (dg->accused)
		return dg->accused;
	for (size_t i = 0; i < dg->n_frames; i++) {
		const struct vno_frame *f = &dg->frames[i].ev.f;

		if (f->gso_size)
			k |= remedy_accuse(f->gso_type, false, f->ip_ver);
		else if (f->ip_summed == VNO_CSUM_PARTIAL)
			k |= remedy_accuse(0, true, f->ip_ver);
	}
	return k;
}

/* A path device's columns: given features (diag__set_features), else read
 * live on this host, else the states the interface list keeps. */
static void path_cols(const struct vno_iface *it, signed char col[PC__MAX], void *ctx)
{
	const struct diag *d = ctx;
	struct vno_features fs;

	if (d->feat_dev[0] && !strncmp(d->feat_dev, it->name, VNO_IFNAMSIZ)) {
		path_cols_from_features(&d->feat, col);
		return;
	}
	if (d->o.read_features && it->netns == ifaces_netns_self() &&
	    !vno_features_read(it->name, &fs)) {
		path_cols_from_features(&fs, col);
		vno_features_free(&fs);
		return;
	}
	path_cols_from_iface(it, col);
}

static void make_path(const struct diag *d, struct vno_diagnosis *dg)
{
	path_build(&dg->path, d->ifs, d->n_ifs, dg->tap, dg->hang.dev, window_kinds(dg), path_cols,
		   (void *)d);
}

static void make_verdict(const struct diag *d, struct vno_diagnosis *dg, __u32 n_anom,
			 bool tracked)
{
	const struct diag_suspect *s = &dg->suspects[0];
	const char *dev = dg->hang.dev[0] ? dg->hang.dev : "the device";

	if (!tracked && d->devs_full) {
		/* Not "idle": past the cap its frames were never kept. */
		snprintf(dg->verdict, sizeof(dg->verdict),
			 "no flight recorder for %s: frames were seen on more than %u devices and "
			 "only the first %u keep one", dev, d->o.max_devs, d->o.max_devs);
	} else if (!dg->n_frames) {
		snprintf(dg->verdict, sizeof(dg->verdict),
			 "no frames were recorded on %s before the hang (not watched, or idle): "
			 "nothing to diagnose", dev);
	} else if (!dg->super_frames && !n_anom) {
		snprintf(dg->verdict, sizeof(dg->verdict),
			 "no super-frames before the hang: offloads are unlikely to be the cause");
	} else if (dg->n_suspects) {
		snprintf(dg->verdict, sizeof(dg->verdict),
			 "top suspect: %s=%s (lift %.1f: %u of %u frames before the hang, %" PRIu64
			 " of %" PRIu64 " %s)",
			 diag_attr_name(s->attr), s->value, s->lift, s->window_count, s->window_total,
			 (uint64_t)s->baseline_count, (uint64_t)s->baseline_total,
			 dg->split_window ? "in the older half of the window" : "before them");
	} else if (!dg->compared) {
		snprintf(dg->verdict, sizeof(dg->verdict),
			 "only %u frames before the hang: too few to single out a suspect%s",
			 dg->window_total, n_anom ? " (see the anomalies)" : "");
	} else {
		snprintf(dg->verdict, sizeof(dg->verdict),
			 "nothing stands out: the frames before the hang look like the traffic "
			 "before them%s",
			 n_anom ? " (anomalies were there all along)" : "");
	}
}

int diag__hang(struct diag *d, const struct vno_hang *h, struct vno_diagnosis *out)
{
	const struct vno_iface *ifc;
	struct ddev *v;
	__u32 n_anom = 0;
	size_t i, n;
	int err;

	if (!d || !h || !out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	out->hang = *h;
	out->hang.dev[VNO_IFNAMSIZ - 1] = '\0';
	out->hang.detail[sizeof(out->hang.detail) - 1] = '\0';
	v = diag_find_dev(d, h);
	if (v && !out->hang.dev[0])
		memcpy(out->hang.dev, v->name, VNO_IFNAMSIZ);
	if (v && !out->hang.ifindex) {
		out->hang.ifindex = v->ifindex;
		out->hang.netns = v->netns;
	}
	ifc = diag_find_iface(d, out->hang.netns, out->hang.ifindex, out->hang.dev);
	if (ifc)
		snprintf(out->driver, sizeof(out->driver), "%s", ifc->driver);

	if (v && v->head) {
		n = v->head < d->o.window ? (size_t)v->head : d->o.window;
		out->frames = malloc(n * sizeof(*out->frames));
		if (!out->frames)
			return -ENOMEM;
		for (i = 0; i < n; i++)
			out->frames[i] = v->ring[(v->head - n + i) % d->o.window];
		out->n_frames = n;
		out->completions_known = v->seen_done;
	}
	for (i = 0; i < out->n_frames; i++) {
		const struct diag_frame *df = &out->frames[i];
		__u64 m = df->anomalies;

		if (df->ev.f.gso_size)
			out->super_frames++;
		if (m)
			n_anom++;
		while (m) {
			out->anomalies[__builtin_ctzll(m)]++;
			m &= m - 1;
		}
		if (out->completions_known && df->ev.f.hop == VNO_HOP_XMIT && !df->completed)
			out->in_flight++;
	}
	if (v && v->seen_drv_done && out->hang.ts_ns >= v->drv_done_ts) {
		out->drv_done_known = true;
		out->drv_done_ago_ns = out->hang.ts_ns - v->drv_done_ts;
		out->drv_done_latency_ns = v->drv_done_latency_ns;
	}
	diag_ring(out);
	/* With neither super-frames nor anything odd there is no offload
	 * to blame, whatever the statistics would say. */
	if (v && out->n_frames && (out->super_frames || n_anom)) {
		err = find_suspects(d, v, out);
		if (err) {
			diagnosis_free(out);
			return err;
		}
	} else if (v) {
		out->baseline_total = v->base_total;
	}
	make_remedy(d, out);
	make_path(d, out);
	name_causes(out);
	make_verdict(d, out, n_anom, v != NULL);
	return 0;
}

void diagnosis_free(struct vno_diagnosis *dg)
{
	if (!dg)
		return;
	free(dg->frames);
	dg->frames = NULL;
	dg->n_frames = 0;
}
