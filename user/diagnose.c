// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The pre-hang diagnosis.
 *
 * Per device, a ring of the last N records handed to its driver (xmit, or
 * tc-egress where xmit is not hooked) plus drops seen on it; what falls
 * out of the ring is folded into a baseline of attribute counts. When a
 * hang fires, the attributes of the frames in the ring are compared with
 * the baseline: a kind of frame that appeared (or became much more common)
 * just before the hang is what to switch off first.
 *
 * The ingress of a frame is stitched by pkt_id (a hash of the skb
 * address): rx/tc-ingress records note where an skb entered, done and drop
 * records forget it (the address is free for reuse then), and a frame's
 * origin is looked up when it reaches a window. Slab reuse makes
 * addresses come back quickly, so an origin is only trusted when it is
 * recent and carries the same gso_size.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "diagnose.h"
#include "decode.h"
#include "json.h"
#include "print.h"

/* Below this many baseline frames there is nothing to compare against:
 * compare the older half of the window with the newer one instead. */
#define DIAG_MIN_BASELINE 32
/* Floor on the baseline share in the lift: a kind never seen before must
 * reach min_lift % of the window to count, not just appear once. */
#define DIAG_SMOOTHING 0.01
/* A suspect must also be unlikely under the baseline share (binomial
 * z-score), so a small window's noise does not produce suspects. */
#define DIAG_MIN_Z 3.0
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

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static unsigned bucket_of(const struct bucket *b, size_t n, __u32 v)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v >= b[i].lo && v <= b[i].hi)
			return (unsigned)i;
	return (unsigned)n - 1;
}

/* An attribute value as one 64-bit key: attr + 1 in the top byte (so no
 * key is 0, the empty slot), the value in the low 56 bits. */
#define KEY(attr, val) (((__u64)((attr) + 1) << 56) | ((__u64)(val) & ((1ull << 56) - 1)))
#define KEY_ATTR(key) ((int)((key) >> 56) - 1)
#define KEY_VAL(key) ((key) & ((1ull << 56) - 1))

/* Open-addressing counter table, fixed size: bounded memory whatever the
 * traffic; values beyond its fill limit are counted per attribute only. */
struct ckey {
	__u64 key;
	__u64 n;
	char name[VNO_IFNAMSIZ]; /* ingress device name */
};

struct ctab {
	struct ckey *e;
	unsigned mask, used;
	__u64 other[DIAG_ATTR__MAX];
};

static int ctab_init(struct ctab *t, unsigned slots)
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

static void ctab_fini(struct ctab *t)
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

static const struct ckey *ctab_find(const struct ctab *t, __u64 key)
{
	unsigned i = khash(key) & t->mask;

	for (;; i = (i + 1) & t->mask) {
		if (t->e[i].key == key)
			return &t->e[i];
		if (!t->e[i].key)
			return NULL;
	}
}

static void ctab_add(struct ctab *t, __u64 key, const char *name)
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

struct ddev {
	__u32 netns, ifindex;
	char name[VNO_IFNAMSIZ];
	bool seen_xmit, seen_done;
	struct diag_frame *ring;
	__u64 head;	/* records ever stored */
	__u64 *idx;	/* pkt_id -> seq + 1 of its xmit record, direct-mapped */
	unsigned idx_mask;
	struct ctab base;
	__u64 base_total;
};

struct diag {
	struct diag_opts o;
	struct vno_iface *ifs;
	size_t n_ifs;
	/* ifindex -> the interfaces with it, in table order (index + 1, 0
	 * ends): looked up per ingress record, and a capture may list
	 * thousands of interfaces. */
	__u32 *if_head, *if_next;
	unsigned if_mask;
	struct ddev *devs;
	unsigned n_devs;
	unsigned last;	/* index of the last device looked up */
	struct origin *org;
	unsigned org_mask;
	/* An origin was ever noted: until then (no rx or tc-ingress record,
	 * as when only the device frames leave on is watched) the table,
	 * ~0.8 MiB read at random, is not touched. */
	bool org_used;
	__u64 devs_full;	/* records for devices past max_devs */
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

/* The first interface in table order that matches, as a scan would find. */
static const struct vno_iface *find_iface(const struct diag *d, __u32 netns, __u32 ifindex,
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
	const struct vno_iface *f = find_iface(d, netns, ifindex, name);

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
	ifc = find_iface(d, f->netns, f->origin_ifindex, NULL);
	if (ifc)
		ifname_copy(df->origin, ifc->name);
	else
		snprintf(df->origin, sizeof(df->origin), "if%u", f->origin_ifindex);
	df->origin_netns = f->netns;
	df->origin_ifindex = f->origin_ifindex;
	df->origin_hop = VNO_HOP_RX;
	df->origin_tap = is_tap(d, f->netns, f->origin_ifindex, df->origin);
}

/* The attribute keys of one frame; @keys holds DIAG_ATTR__MAX + ANOMALY__MAX. */
static int frame_keys(const struct diag_frame *df, __u64 *keys)
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

#define MAX_KEYS (DIAG_ATTR__MAX + ANOMALY__MAX)

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
	int i, n = frame_keys(df, keys);

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
		dev = find_iface(d, ev->f.netns, ev->f.ifindex, NULL);
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
	default:
		/* Not a frame (hang records): the caller calls diag__hang. */
		break;
	}
	return 0;
}

static struct ddev *find_hang_dev(struct diag *d, const struct vno_hang *h)
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
		snprintf(buf, len, "%s",
			 val < ARRAY_SIZE(gso_buckets) ? gso_buckets[val].name : "?");
		break;
	case DIAG_ATTR_CSUM:
		snprintf(buf, len, "%s", vno_csum_name((unsigned)val));
		break;
	case DIAG_ATTR_INGRESS:
		snprintf(buf, len, "%s", val && name && *name ? name : "none");
		break;
	case DIAG_ATTR_SIZE:
		snprintf(buf, len, "%s",
			 val < ARRAY_SIZE(size_buckets) ? size_buckets[val].name : "?");
		break;
	default:
		snprintf(buf, len, "?");
	}
}

static bool frame_has(const struct diag_frame *df, __u64 key)
{
	__u64 keys[MAX_KEYS];
	int i, n = frame_keys(df, keys);

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

			nk = frame_keys(df, keys);
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

		nk = frame_keys(df, keys);
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
	err = 0;
out:
	ctab_fini(&win);
	ctab_fini(&half);
	free(sel);
	return err;
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

static void make_remedy(struct vno_diagnosis *dg)
{
	const struct diag_suspect *s = &dg->suspects[0];
	const char *dev = dg->hang.dev[0] ? dg->hang.dev : "DEV";
	bool csum = suspect_is_csum(s);
	size_t o;

	if (!dg->n_suspects)
		return;
	if (s->attr == DIAG_ATTR_INGRESS && s->origin[0]) {
		snprintf(dg->remedy, sizeof(dg->remedy),
			 "in the guest behind %s: FreeBSD/pfSense `ifconfig vtnet0 -rxcsum -txcsum "
			 "-tso -lro`, Linux `ethtool -K eth0 tso off gso off`; or give that guest "
			 "another NIC model; or on the host `ethtool -K %s tso off gso off`",
			 s->value, dev);
		return;
	}
	o = (size_t)snprintf(dg->remedy, sizeof(dg->remedy), "on the host: `ethtool -K %s %s`", dev,
			     csum ? "tx off" : "tso off gso off");
	if (s->origin[0] && o < sizeof(dg->remedy))
		snprintf(dg->remedy + o, sizeof(dg->remedy) - o,
			 "; or in the guest behind %s: FreeBSD/pfSense `ifconfig vtnet0 -rxcsum "
			 "-txcsum -tso -lro`, Linux `ethtool -K eth0 %s`; or give that guest another "
			 "NIC model",
			 s->origin, csum ? "tx off" : "tso off gso off");
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
	v = find_hang_dev(d, h);
	if (v && !out->hang.dev[0])
		memcpy(out->hang.dev, v->name, VNO_IFNAMSIZ);
	if (v && !out->hang.ifindex) {
		out->hang.ifindex = v->ifindex;
		out->hang.netns = v->netns;
	}
	ifc = find_iface(d, out->hang.netns, out->hang.ifindex, out->hang.dev);
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
	make_remedy(out);
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

/* Times in the table are before the hang when its clock matches the
 * frames' (watchdog, stall, manual), else before the last frame (a kmsg
 * timestamp is the printk clock, not CLOCK_MONOTONIC). */
static __u64 ref_ts(const struct vno_diagnosis *dg)
{
	__u64 last = dg->n_frames ? dg->frames[dg->n_frames - 1].ev.f.ts_ns : 0;

	return dg->hang.ts_ns > last ? dg->hang.ts_ns : last;
}

static void anomaly_list(char *buf, size_t len, __u64 m)
{
	size_t o = 0;

	buf[0] = '\0';
	if (!m) {
		snprintf(buf, len, "-");
		return;
	}
	while (m && o < len) {
		o += (size_t)snprintf(buf + o, len - o, "%s%s", o ? "," : "",
				      anomaly_name((unsigned)__builtin_ctzll(m)));
		m &= m - 1;
	}
}

static void print_frame_row(FILE *out, const struct vno_diagnosis *dg,
			    const struct diag_frame *df, __u64 ref)
{
	const struct vno_frame *f = &df->ev.f;
	char gso[64], csum[32], origin[TERM_STR_LEN(VNO_IFNAMSIZ) + 16], anom[256];
	char name[TERM_STR_LEN(VNO_IFNAMSIZ)], raw[VNO_IFNAMSIZ];
	const char *done = "-";

	vno_gso_type_str(f->gso_type, "|", gso, sizeof(gso));
	if (f->ip_summed == VNO_CSUM_PARTIAL)
		snprintf(csum, sizeof(csum), "partial %u+%u", f->csum_start, f->csum_offset);
	else
		snprintf(csum, sizeof(csum), "%s", vno_csum_name(f->ip_summed));
	if (df->origin[0]) {
		snprintf(raw, sizeof(raw), "%.*s", VNO_IFNAMSIZ - 1, df->origin);
		snprintf(origin, sizeof(origin), "%s(%s)", term_str(name, sizeof(name), raw),
			 vno_hop_name(df->origin_hop));
	} else
		snprintf(origin, sizeof(origin), "-");
	if (f->hop == VNO_HOP_XMIT && dg->completions_known)
		done = df->completed ? "yes" : "NO";
	anomaly_list(anom, sizeof(anom), df->anomalies);
	fprintf(out, "  %10.3f %-9s %3u %6u %5u %4u %-18s %-14s %-20s %-4s %s\n",
		ref >= f->ts_ns ? (double)(ref - f->ts_ns) / 1e6 : 0.0, vno_hop_name(f->hop),
		f->queue, f->len, f->gso_size, f->gso_segs, gso, csum, origin, done, anom);
}

void diag_print(FILE *out, const struct vno_diagnosis *dg)
{
	/* Every string here may come from a capture: through term_str(). */
	char dev[TERM_STR_LEN(VNO_IFNAMSIZ)], t[TERM_STR_LEN(sizeof(dg->remedy))];
	char raw[VNO_IFNAMSIZ];
	size_t i, first;
	__u64 ref;
	bool any = false;
	int s;

	if (!out || !dg)
		return;
	snprintf(raw, sizeof(raw), "%.*s", VNO_IFNAMSIZ - 1, dg->hang.dev);
	fprintf(out, "HANG %s", raw[0] ? term_str(dev, sizeof(dev), raw) : "?");
	if (dg->driver[0])
		fprintf(out, " (%s)", term_str(t, sizeof(t), dg->driver));
	if (dg->hang.queue >= 0)
		fprintf(out, " queue %d", dg->hang.queue);
	fprintf(out, ", source %s", diag_source_name(dg->hang.source));
	if (dg->hang.ts_ns)
		fprintf(out, ", at %.6f s", (double)dg->hang.ts_ns / 1e9);
	fputc('\n', out);
	/* At most about 200 columns; term_str marks a cut with "…". */
	if (dg->hang.detail[0])
		fprintf(out, "  %s\n", term_str(t, 204, dg->hang.detail));
	fprintf(out, "  window: %zu frames, %u super-frames", dg->n_frames, dg->super_frames);
	if (dg->completions_known)
		fprintf(out, ", %u never completed", dg->in_flight);
	fprintf(out, "; compared %u frames with %" PRIu64 " %s\n", dg->window_total,
		(uint64_t)dg->baseline_total,
		dg->split_window ? "in the older half of the window" : "before them");

	if (dg->n_frames) {
		first = dg->n_frames > DIAG_TERM_FRAMES ? dg->n_frames - DIAG_TERM_FRAMES : 0;
		ref = ref_ts(dg);
		fprintf(out, "  last %zu frames (ms before %s):\n", dg->n_frames - first,
			dg->hang.ts_ns >= dg->frames[dg->n_frames - 1].ev.f.ts_ns ? "the hang"
										  : "the last");
		fprintf(out, "  %10s %-9s %3s %6s %5s %4s %-18s %-14s %-20s %-4s %s\n", "ms", "hop",
			"q", "len", "gso", "segs", "gso_type", "checksum", "origin", "done",
			"anomalies");
		for (i = first; i < dg->n_frames; i++)
			print_frame_row(out, dg, &dg->frames[i], ref);
	}

	fputs("  anomalies:", out);
	for (i = 0; i < ANOMALY__MAX; i++) {
		if (!dg->anomalies[i])
			continue;
		fprintf(out, "%s %s %u", any ? "," : "", anomaly_name((unsigned)i), dg->anomalies[i]);
		any = true;
	}
	fputs(any ? "\n" : " none\n", out);

	if (dg->n_suspects) {
		fputs("  suspects (share just before the hang vs before that):\n", out);
		for (s = 0; s < dg->n_suspects; s++) {
			const struct diag_suspect *x = &dg->suspects[s];

			fprintf(out, "    %d. %s=%s  lift %.1f  %u/%u vs %" PRIu64 "/%" PRIu64, s + 1,
				diag_attr_name(x->attr), term_str(t, sizeof(t), x->value), x->lift,
				x->window_count,
				x->window_total, (uint64_t)x->baseline_count,
				(uint64_t)x->baseline_total);
			if (x->origin[0]) {
				snprintf(raw, sizeof(raw), "%.*s", VNO_IFNAMSIZ - 1, x->origin);
				fprintf(out, "  mostly from %s", term_str(dev, sizeof(dev), raw));
			}
			fputc('\n', out);
		}
	}
	if (dg->remedy[0])
		fprintf(out, "  remedy: %s\n", term_str(t, sizeof(t), dg->remedy));
	fprintf(out, "  verdict: %s\n", term_str(t, sizeof(t), dg->verdict));
}

static void json_frame_obj(FILE *out, const struct vno_diagnosis *dg, const struct diag_frame *df)
{
	char origin[VNO_IFNAMSIZ + 1];
	__u64 m = df->anomalies;
	bool first = true;

	fputc('{', out);
	json_frame_fields(out, &df->ev);
	fputs(",\"origin\":", out);
	if (df->origin[0]) {
		snprintf(origin, sizeof(origin), "%.*s", VNO_IFNAMSIZ, df->origin);
		json_str(out, origin);
		fprintf(out, ",\"origin_hop\":\"%s\",\"origin_tap\":%s", vno_hop_name(df->origin_hop),
			df->origin_tap ? "true" : "false");
	} else {
		fputs("null,\"origin_hop\":null,\"origin_tap\":null", out);
	}
	fputs(",\"completed\":", out);
	if (df->ev.f.hop == VNO_HOP_XMIT && dg->completions_known)
		fputs(df->completed ? "true" : "false", out);
	else
		fputs("null", out);
	fputs(",\"anomalies\":[", out);
	while (m) {
		fprintf(out, "%s\"%s\"", first ? "" : ",", anomaly_name((unsigned)__builtin_ctzll(m)));
		first = false;
		m &= m - 1;
	}
	fputs("]}", out);
}

/* JSON has no NaN or infinity; lifts are finite by construction, but a
 * number in the output must stay a number. */
static double json_num(double v)
{
	return isfinite(v) ? v : 0.0;
}

void diag_json(FILE *out, const struct vno_diagnosis *dg)
{
	size_t i;
	bool first = true;
	int s;

	if (!out || !dg)
		return;
	fputs("{\"type\":\"hang\",\"dev\":", out);
	json_str(out, dg->hang.dev);
	fprintf(out, ",\"netns\":%u,\"ifindex\":%u,\"queue\":", dg->hang.netns, dg->hang.ifindex);
	if (dg->hang.queue >= 0)
		fprintf(out, "%d", dg->hang.queue);
	else
		fputs("null", out);
	fprintf(out, ",\"source\":\"%s\",\"ts_ns\":%" PRIu64 ",\"detail\":",
		diag_source_name(dg->hang.source), (uint64_t)dg->hang.ts_ns);
	json_str(out, dg->hang.detail);
	fputs(",\"driver\":", out);
	if (dg->driver[0])
		json_str(out, dg->driver);
	else
		fputs("null", out);
	fprintf(out, ",\"window\":{\"frames\":%zu,\"super_frames\":%u,\"compared\":%u,"
		     "\"baseline\":%" PRIu64 ",\"split\":%s,\"in_flight\":",
		dg->n_frames, dg->super_frames, dg->window_total, (uint64_t)dg->baseline_total,
		dg->split_window ? "true" : "false");
	if (dg->completions_known)
		fprintf(out, "%u}", dg->in_flight);
	else
		fputs("null}", out);

	fputs(",\"frames_before\":[", out);
	for (i = 0; i < dg->n_frames; i++) {
		if (i)
			fputc(',', out);
		json_frame_obj(out, dg, &dg->frames[i]);
	}
	fputs("],\"anomalies\":[", out);
	for (i = 0; i < ANOMALY__MAX; i++) {
		if (!dg->anomalies[i])
			continue;
		fprintf(out, "%s{\"rule\":\"%s\",\"id\":%zu,\"count\":%u}", first ? "" : ",",
			anomaly_name((unsigned)i), i, dg->anomalies[i]);
		first = false;
	}
	fputs("],\"suspects\":[", out);
	for (s = 0; s < dg->n_suspects; s++) {
		const struct diag_suspect *x = &dg->suspects[s];
		char origin[VNO_IFNAMSIZ + 1];

		fprintf(out, "%s{\"attribute\":\"%s\",\"value\":", s ? "," : "",
			diag_attr_name(x->attr));
		json_str(out, x->value);
		fprintf(out, ",\"lift\":%.3f,\"window_count\":%u,\"window_total\":%u,"
			     "\"baseline_count\":%" PRIu64 ",\"baseline_total\":%" PRIu64 ",\"origin\":",
			json_num(x->lift), x->window_count, x->window_total,
			(uint64_t)x->baseline_count, (uint64_t)x->baseline_total);
		if (x->origin[0]) {
			snprintf(origin, sizeof(origin), "%.*s", VNO_IFNAMSIZ, x->origin);
			json_str(out, origin);
		} else {
			fputs("null", out);
		}
		fputc('}', out);
	}
	fputs("],\"remedy\":", out);
	if (dg->remedy[0])
		json_str(out, dg->remedy);
	else
		fputs("null", out);
	fputs(",\"verdict\":", out);
	json_str(out, dg->verdict);
	fputs("}\n", out);
}
