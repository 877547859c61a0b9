// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The diagnosis' memory: per device, a ring of the last N records handed
 * to its driver (xmit, or tc-egress where xmit is not hooked) plus drops
 * seen on it; what falls out of the ring is folded into a baseline of
 * attribute counts (the counter table below), which diagnose.c compares
 * the ring with when a hang fires.
 *
 * The ingress of a frame is stitched by pkt_id (a hash of the skb
 * address): rx/tc-ingress records note where an skb entered, done and drop
 * records forget it (the address is free for reuse then), and a frame's
 * origin is looked up when it reaches a window. Slab reuse makes
 * addresses come back quickly, so an origin is only trusted when it is
 * recent and carries the same gso_size.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "decode.h"
#include "diag_internal.h"

/* A second rx of the same skb this soon after the first (veth peer, bridge
 * passing it up) is the frame travelling on, not a new one. */
#define ORIGIN_HOLD_NS 1000000000ull
/* Distinct attribute values kept per device baseline. */
#define BASE_SLOTS 1024
/* The baseline is halved once it holds this many windows' worth of frames,
 * so it describes the recent past: a kind of traffic that has run for an
 * hour without trouble is not new just because the recording began a day
 * ago. */
#define BASE_DECAY_WINDOWS 64

/* gso_size buckets: 0, below drivers' TSO minimum, below the IPv4 default
 * MSS (536), IPv6 minimum MTU territory, the Ethernet MSS range (1448 with
 * timestamps, 1460 without, 1440/1428 over IPv6), jumbo, GSO_BY_FRAGS. */
static const struct bucket {
	__u32 lo, hi;
	const char *name;
} gso_buckets[] = {
	{ 0, 0, "0" },		    { 1, 63, "1-63" },		{ 64, 535, "64-535" },
	{ 536, 1199, "536-1199" },  { 1200, 1399, "1200-1399" }, { 1400, 1460, "1400-1460" },
	{ 1461, 1500, "1461-1500" }, { 1501, 8999, "1501-8999" }, { 9000, 65534, "9000-65534" },
	{ 65535, 65535, "65535" },
};

/* Frame length buckets: one wire frame, up to a jumbo frame, then the
 * super-frame sizes up to GSO_LEGACY_MAX_SIZE and BIG TCP beyond. */
static const struct bucket size_buckets[] = {
	{ 0, 1514, "0-1514" },		{ 1515, 9018, "1515-9018" },
	{ 9019, 16383, "9019-16383" },	{ 16384, 32767, "16384-32767" },
	{ 32768, 65535, "32768-65535" }, { 65536, 0xFFFFFFFF, "65536+" },
};

static unsigned bucket_of(const struct bucket *b, size_t n, __u32 v)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v >= b[i].lo && v <= b[i].hi)
			return (unsigned)i;
	return (unsigned)n - 1;
}

const char *diag_bucket_name(int attr, __u64 idx)
{
	if (attr == DIAG_ATTR_GSO_SIZE)
		return idx < ARRAY_SIZE(gso_buckets) ? gso_buckets[idx].name : "?";
	if (attr == DIAG_ATTR_SIZE)
		return idx < ARRAY_SIZE(size_buckets) ? size_buckets[idx].name : "?";
	return "?";
}

int ctab_init(struct ctab *t, unsigned slots)
{
	unsigned cap = 16;

	while (cap < slots)
		cap <<= 1;
	t->e = calloc(cap, sizeof(*t->e));
	if (!t->e)
		return -ENOMEM;
	t->mask = cap - 1;
	t->used = 0;
	memset(t->other, 0, sizeof(t->other));
	return 0;
}

void ctab_fini(struct ctab *t)
{
	free(t->e);
	t->e = NULL;
}

static unsigned khash(__u64 k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	k ^= k >> 33;
	return (unsigned)k;
}

/* The slot for @key, a new one if there is room, else NULL. */
static struct ckey *ctab_get(struct ctab *t, __u64 key)
{
	unsigned i = khash(key) & t->mask;

	for (;;) {
		struct ckey *e = &t->e[i];

		if (e->key == key)
			return e;
		if (!e->key) {
			/* Keep a quarter free so probes stay short. */
			if (t->used + 1 > (t->mask + 1) / 4 * 3)
				return NULL;
			e->key = key;
			t->used++;
			return e;
		}
		i = (i + 1) & t->mask;
	}
}

const struct ckey *ctab_find(const struct ctab *t, __u64 key)
{
	unsigned i = khash(key) & t->mask;

	for (;; i = (i + 1) & t->mask) {
		if (t->e[i].key == key)
			return &t->e[i];
		if (!t->e[i].key)
			return NULL;
	}
}

void ctab_add(struct ctab *t, __u64 key, const char *name)
{
	struct ckey *e = ctab_get(t, key);

	if (!e) {
		t->other[KEY_ATTR(key)]++;
		return;
	}
	if (!e->n && name)
		snprintf(e->name, sizeof(e->name), "%s", name);
	e->n++;
}

struct origin {
	__u64 pkt_id;
	__u64 ts_ns;
	__u32 netns, ifindex;
	__u16 gso_size;
	__u8 hop, tap, valid;
	char name[VNO_IFNAMSIZ];
};

struct diag *diag__new(const struct diag_opts *opts)
{
	struct diag *d;
	unsigned slots = 1;

	d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	if (opts)
		d->o = *opts;
	if (!d->o.window)
		d->o.window = DIAG_WINDOW_DEFAULT;
	if (!d->o.max_devs)
		d->o.max_devs = 64;
	if (!d->o.origin_slots)
		d->o.origin_slots = 16384;
	if (!d->o.origin_ttl_ns)
		d->o.origin_ttl_ns = 10000000000ull;
	if (d->o.min_lift <= 0)
		d->o.min_lift = 2.0;
	if (!d->o.min_support)
		d->o.min_support = 3;
	if (d->o.window > (1u << 24) || d->o.origin_slots > (1u << 26) || d->o.max_devs > 4096) {
		free(d);
		errno = EINVAL;
		return NULL;
	}
	while (slots < d->o.origin_slots)
		slots <<= 1;
	d->org = calloc(slots, sizeof(*d->org));
	d->devs = calloc(d->o.max_devs, sizeof(*d->devs));
	if (!d->org || !d->devs) {
		diag__free(d);
		errno = ENOMEM;
		return NULL;
	}
	d->org_mask = slots - 1;
	return d;
}

void diag__free(struct diag *d)
{
	unsigned i;

	if (!d)
		return;
	for (i = 0; d->devs && i < d->n_devs; i++) {
		free(d->devs[i].ring);
		free(d->devs[i].idx);
		ctab_fini(&d->devs[i].base);
	}
	free(d->devs);
	vno_features_free(&d->feat);
	free(d->org);
	free(d->ifs);
	free(d->if_head);
	free(d->if_next);
	free(d);
}

static unsigned if_slot(const struct diag *d, __u32 ifindex)
{
	return (unsigned)(ifindex * 2654435761u) & d->if_mask;
}

int diag__set_ifaces(struct diag *d, const struct vno_iface *ifs, size_t n)
{
	struct vno_iface *copy = NULL;
	__u32 *head = NULL, *next = NULL;
	unsigned slots = 16;

	if (!d || (n && !ifs) || n > UINT32_MAX / 4)
		return -EINVAL;
	while (slots < 2 * n)
		slots <<= 1;
	head = calloc(slots, sizeof(*head));
	next = calloc(n ? n : 1, sizeof(*next));
	if (n)
		copy = malloc(n * sizeof(*copy));
	if (!head || !next || (n && !copy)) {
		free(head);
		free(next);
		free(copy);
		return -ENOMEM;
	}
	if (n)
		memcpy(copy, ifs, n * sizeof(*copy));
	free(d->ifs);
	free(d->if_head);
	free(d->if_next);
	d->ifs = copy;
	d->n_ifs = n;
	d->if_head = head;
	d->if_next = next;
	d->if_mask = slots - 1;
	/* Pushed front from the last: each chain keeps table order. */
	for (size_t i = n; i-- > 0;) {
		unsigned h = if_slot(d, copy[i].ifindex);

		next[i] = head[h];
		head[h] = (__u32)i + 1;
	}
	return 0;
}

const struct vno_iface *diag_find_iface(const struct diag *d, __u32 netns, __u32 ifindex,
					const char *name)
{
	size_t i;

	if (ifindex && d->if_head) {
		for (__u32 k = d->if_head[if_slot(d, ifindex)]; k; k = d->if_next[k - 1]) {
			const struct vno_iface *f = &d->ifs[k - 1];

			if (f->ifindex == ifindex && !(netns && f->netns && f->netns != netns))
				return f;
		}
		return NULL;
	}
	for (i = 0; i < d->n_ifs; i++) {
		const struct vno_iface *f = &d->ifs[i];

		if (netns && f->netns && f->netns != netns)
			continue;
		if (ifindex ? f->ifindex == ifindex : (name && !strncmp(f->name, name, VNO_IFNAMSIZ)))
			return f;
	}
	return NULL;
}

/* Tap-like by driver when the interface is known, by the names VMMs give
 * taps otherwise (QEMU/Proxmox tapN/tapNiM, libvirt vnetN). */
static bool is_tap(const struct diag *d, __u32 netns, __u32 ifindex, const char *name)
{
	const struct vno_iface *f = diag_find_iface(d, netns, ifindex, name);

	if (f && f->driver[0])
		return anomaly_dev_is_tap(f);
	return !strncmp(name, "tap", 3) || !strncmp(name, "vnet", 4) || !strncmp(name, "macvtap", 7);
}

static struct ddev *get_dev(struct diag *d, const struct vno_frame *f, bool create)
{
	struct ddev *v;
	unsigned i, slots = 1;

	if (d->last < d->n_devs && d->devs[d->last].ifindex == f->ifindex &&
	    d->devs[d->last].netns == f->netns)
		return &d->devs[d->last];
	for (i = 0; i < d->n_devs; i++) {
		if (d->devs[i].ifindex == f->ifindex && d->devs[i].netns == f->netns) {
			d->last = i;
			return &d->devs[i];
		}
	}
	if (!create)
		return NULL;
	if (d->n_devs >= d->o.max_devs) {
		d->devs_full++;
		return NULL;
	}
	v = &d->devs[d->n_devs];
	memset(v, 0, sizeof(*v));
	while (slots < 2 * d->o.window)
		slots <<= 1;
	v->ring = calloc(d->o.window, sizeof(*v->ring));
	v->idx = calloc(slots, sizeof(*v->idx));
	if (!v->ring || !v->idx || ctab_init(&v->base, BASE_SLOTS)) {
		free(v->ring);
		free(v->idx);
		memset(v, 0, sizeof(*v));
		return NULL;
	}
	v->idx_mask = slots - 1;
	v->netns = f->netns;
	v->ifindex = f->ifindex;
	snprintf(v->name, sizeof(v->name), "%.*s", VNO_IFNAMSIZ - 1, f->dev);
	d->last = d->n_devs++;
	return v;
}

/* An interface name into @dst (VNO_IFNAMSIZ bytes), always terminated:
 * per record, where snprintf would cost more than the rest of the copy. */
static void ifname_copy(char *dst, const char *src)
{
	size_t n = strnlen(src, VNO_IFNAMSIZ - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

void diag__set_read_features(struct diag *d, bool on)
{
	if (d)
		d->o.read_features = on;
}

int diag__set_features(struct diag *d, const char *ifname, const struct vno_features *fs)
{
	struct vno_feature *copy = NULL;

	if (!d || !ifname || !fs || (fs->n && !fs->f))
		return -EINVAL;
	if (fs->n) {
		copy = calloc(fs->n, sizeof(*copy));
		if (!copy)
			return -ENOMEM;
		memcpy(copy, fs->f, fs->n * sizeof(*copy));
	}
	vno_features_free(&d->feat);
	d->feat.f = copy;
	d->feat.n = fs->n;
	ifname_copy(d->feat_dev, ifname);
	return 0;
}

static void origin_note(struct diag *d, const struct vno_frame *f)
{
	struct origin *o = &d->org[f->pkt_id & d->org_mask];
	char name[VNO_IFNAMSIZ];
	bool tap;

	d->org_used = true;
	ifname_copy(name, f->dev);
	tap = is_tap(d, f->netns, f->ifindex, name);
	if (o->valid && o->pkt_id == f->pkt_id && f->ts_ns >= o->ts_ns &&
	    f->ts_ns - o->ts_ns < ORIGIN_HOLD_NS && o->gso_size == f->gso_size) {
		/* rx then tc-ingress of one frame: keep the first hop. */
		if (o->netns == f->netns && o->ifindex == f->ifindex)
			return;
		/* Travelling on (veth peer, bridge up); a tap always
		 * allocates a new skb, so an rx there is a new frame. */
		if (!tap)
			return;
	}
	o->pkt_id = f->pkt_id;
	o->ts_ns = f->ts_ns;
	o->netns = f->netns;
	o->ifindex = f->ifindex;
	o->gso_size = f->gso_size;
	o->hop = f->hop;
	o->tap = tap;
	o->valid = 1;
	memcpy(o->name, name, sizeof(o->name));
}

static void origin_forget(struct diag *d, const struct vno_frame *f)
{
	struct origin *o = &d->org[f->pkt_id & d->org_mask];

	if (d->org_used && o->valid && o->pkt_id == f->pkt_id)
		o->valid = 0;
}

static void origin_lookup(const struct diag *d, struct diag_frame *df)
{
	const struct vno_frame *f = &df->ev.f;
	const struct origin *o = &d->org[f->pkt_id & d->org_mask];
	const struct vno_iface *ifc;

	if (d->org_used && o->pkt_id == f->pkt_id) {
		/* Seen here, or seen freed (valid cleared): that beats the
		 * BPF side's note, which survives the skb in an LRU map. */
		if (!o->valid || f->ts_ns < o->ts_ns || f->ts_ns - o->ts_ns > d->o.origin_ttl_ns ||
		    o->gso_size != f->gso_size)
			return;
		memcpy(df->origin, o->name, sizeof(df->origin));
		df->origin_netns = o->netns;
		df->origin_ifindex = o->ifindex;
		df->origin_hop = o->hop;
		df->origin_tap = o->tap;
		return;
	}
	/* No rx record of ours (not delivered, or a flight-recorder
	 * snapshot): take the ingress the BPF side noted at rx. */
	if (!f->origin_ifindex || f->origin_ifindex == f->ifindex)
		return;
	ifc = diag_find_iface(d, f->netns, f->origin_ifindex, NULL);
	if (ifc)
		ifname_copy(df->origin, ifc->name);
	else
		snprintf(df->origin, sizeof(df->origin), "if%u", f->origin_ifindex);
	df->origin_netns = f->netns;
	df->origin_ifindex = f->origin_ifindex;
	df->origin_hop = VNO_HOP_RX;
	df->origin_tap = is_tap(d, f->netns, f->origin_ifindex, df->origin);
}

int diag_frame_keys(const struct diag_frame *df, __u64 *keys)
{
	const struct vno_frame *f = &df->ev.f;
	__u64 ingress = 0, m = df->anomalies;
	int n = 0;

	if (df->origin[0])
		ingress = ((__u64)df->origin_netns << 24) | (df->origin_ifindex & 0xFFFFFF);
	keys[n++] = KEY(DIAG_ATTR_GSO_TYPE, f->gso_type);
	keys[n++] = KEY(DIAG_ATTR_GSO_SIZE, bucket_of(gso_buckets, ARRAY_SIZE(gso_buckets),
						      f->gso_size));
	keys[n++] = KEY(DIAG_ATTR_CSUM, f->ip_summed);
	keys[n++] = KEY(DIAG_ATTR_INGRESS, ingress);
	keys[n++] = KEY(DIAG_ATTR_SIZE, bucket_of(size_buckets, ARRAY_SIZE(size_buckets), f->len));
	while (m) {
		keys[n++] = KEY(DIAG_ATTR_ANOMALY, __builtin_ctzll(m));
		m &= m - 1;
	}
	return n;
}

/* Halve every baseline count, dropping the values that reach 0 (rebuilt,
 * since open addressing cannot delete in place). */
static void base_decay(struct ddev *v)
{
	struct ctab old = v->base, t;
	unsigned i;
	int a;

	if (ctab_init(&t, BASE_SLOTS))
		return; /* keep counting undecayed rather than lose the baseline */
	for (i = 0; i <= old.mask; i++) {
		struct ckey *e;

		if (!old.e[i].key || old.e[i].n < 2)
			continue;
		e = ctab_get(&t, old.e[i].key);
		if (!e)
			continue;
		*e = old.e[i];
		e->n /= 2;
	}
	for (a = 0; a < DIAG_ATTR__MAX; a++)
		t.other[a] = old.other[a] / 2;
	ctab_fini(&old);
	v->base = t;
	v->base_total /= 2;
}

static void base_add(const struct diag *d, struct ddev *v, const struct diag_frame *df)
{
	__u64 keys[MAX_KEYS];
	int i, n = diag_frame_keys(df, keys);

	if (v->base_total >= (__u64)BASE_DECAY_WINDOWS * d->o.window)
		base_decay(v);

	for (i = 0; i < n; i++)
		ctab_add(&v->base, keys[i], KEY_ATTR(keys[i]) == DIAG_ATTR_INGRESS ? df->origin : NULL);
	v->base_total++;
}

/* @mask: the anomaly rules the caller already checked @ev against, or NULL. */
static void window_add(struct diag *d, struct ddev *v, const struct vno_event *ev,
		       const __u64 *mask, bool counted)
{
	struct diag_frame *df = &v->ring[v->head % d->o.window];
	const struct vno_iface *dev;
	__u64 m;

	if (v->head >= d->o.window && df->counted)
		base_add(d, v, df);
	/* Only what the record carries: this runs for every frame. */
	memcpy(&df->ev, ev, vno_event_len(ev));
	memset(&df->anomalies, 0, sizeof(*df) - offsetof(struct diag_frame, anomalies));
	if (mask) {
		m = *mask;
	} else {
		dev = diag_find_iface(d, ev->f.netns, ev->f.ifindex, NULL);
		/* Mark the copy too, so the snapshot (JSON, capture) carries it. */
		anomaly_mark(&df->ev.f, dev, &m);
	}
	df->anomalies = m;
	df->counted = counted;
	origin_lookup(d, df);
	if (ev->f.hop == VNO_HOP_XMIT)
		v->idx[ev->f.pkt_id & v->idx_mask] = v->head + 1;
	v->head++;
	/* The next record of this device reads the slot it will replace (to
	 * fold it into the baseline) before anything else: fetch its first
	 * and last lines now, while the rest of this record's work runs,
	 * instead of waiting for them then (the window is ~0.5 MiB). */
	df = &v->ring[v->head % d->o.window];
	__builtin_prefetch(df, 1);
	__builtin_prefetch(&df->counted, 1);
}

/* How far back a done record looks for its frame when the direct-mapped
 * index lost it to a later pkt_id: completions usually trail xmit closely. */
#define DONE_SCAN 64

static void mark_done(struct diag *d, const struct vno_frame *f)
{
	struct ddev *v = get_dev(d, f, false);
	struct diag_frame *df;
	__u64 s, i;

	if (!v)
		return;
	v->seen_done = true;
	s = v->idx[f->pkt_id & v->idx_mask];
	if (s && s <= v->head && v->head - (s - 1) <= d->o.window) {
		df = &v->ring[(s - 1) % d->o.window];
		if (df->ev.f.pkt_id == f->pkt_id && df->ev.f.hop == VNO_HOP_XMIT) {
			df->completed = 1;
			return;
		}
	}
	for (i = 0; i < DONE_SCAN && i < v->head && i < d->o.window; i++) {
		df = &v->ring[(v->head - 1 - i) % d->o.window];
		if (df->ev.f.pkt_id == f->pkt_id && df->ev.f.hop == VNO_HOP_XMIT) {
			df->completed = 1;
			return;
		}
	}
}

void diag__prefetch(const struct diag *d, const struct vno_frame *f)
{
	if (d) /* org: made with d, in diag__new */
		__builtin_prefetch(&d->org[f->pkt_id & d->org_mask], 1);
}

int diag__add(struct diag *d, const struct vno_event *ev)
{
	return diag__add_checked(d, ev, NULL);
}

int diag__add_checked(struct diag *d, const struct vno_event *ev, const __u64 *mask)
{
	const struct vno_frame *f;
	struct ddev *v;

	if (!d || !ev)
		return -EINVAL;
	f = &ev->f;
	switch (f->hop) {
	case VNO_HOP_RX:
	case VNO_HOP_TC_INGRESS:
		origin_note(d, f);
		break;
	case VNO_HOP_DONE:
		mark_done(d, f);
		origin_forget(d, f);
		break;
	case VNO_HOP_DROP:
		v = get_dev(d, f, true);
		if (v)
			window_add(d, v, ev, mask, false);
		origin_forget(d, f);
		break;
	case VNO_HOP_TC_EGRESS:
		/* The same frame reaches xmit next: count it once, there,
		 * unless xmit is not hooked on this device. */
		v = get_dev(d, f, true);
		if (v && !v->seen_xmit)
			window_add(d, v, ev, mask, true);
		break;
	case VNO_HOP_XMIT:
		v = get_dev(d, f, true);
		if (v) {
			v->seen_xmit = true;
			window_add(d, v, ev, mask, true);
		}
		break;
	case VNO_HOP_DRV_DONE:
		/* No frame: when the driver last cleaned its ring, and how long
		 * its oldest descriptor had waited then. */
		v = get_dev(d, f, true);
		if (v) {
			v->seen_drv_done = true;
			v->drv_done_ts = f->ts_ns;
			v->drv_done_latency_ns = f->latency_ns;
		}
		break;
	default:
		/* Not a frame (hang records): the caller calls diag__hang. */
		break;
	}
	return 0;
}

struct ddev *diag_find_dev(struct diag *d, const struct vno_hang *h)
{
	struct ddev *best = NULL;
	__u64 best_ts = 0;
	unsigned i;

	for (i = 0; i < d->n_devs; i++) {
		struct ddev *v = &d->devs[i];
		__u64 ts;

		if (h->netns && v->netns != h->netns)
			continue;
		if (h->ifindex ? v->ifindex != h->ifindex
			       : strncmp(v->name, h->dev, VNO_IFNAMSIZ))
			continue;
		/* Several namespaces may hold the name: the busiest lately. */
		ts = v->head ? v->ring[(v->head - 1) % d->o.window].ev.f.ts_ns : 0;
		if (!best || ts > best_ts) {
			best = v;
			best_ts = ts;
		}
	}
	return best;
}
