// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The aggregator (agg.h): per (netns, ifindex, hop) counters and
 * distributions for every summary. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include "agg.h"
#include "decode.h"
#include "json.h"
#include "json_writer.h"
#include "print.h"
#include "remedy.h"

struct agg *agg__new(void)
{
	struct agg *a = calloc(1, sizeof(*a));

	if (!a)
		errno = ENOMEM;
	return a;
}

void agg__free(struct agg *a)
{
	if (!a)
		return;
	free(a->e);
	free(a->idx);
	free(a->more);
	free(a);
}

void agg_hist_add(struct agg_hist *h, __u64 v)
{
	if (!h->count || v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
	h->count++;
	h->sum += v;
	h->slot[vno_hist_slot(v)]++;
}

__u64 agg_hist_quantile(const struct agg_hist *h, double q)
{
	__u64 want, seen = 0, lo, hi, v;

	if (!h->count)
		return 0;
	want = (__u64)(q * (double)h->count + 0.999999);
	if (want < 1)
		want = 1;
	for (__u32 s = 0; s < VNO_HIST_SLOTS; s++) {
		seen += h->slot[s];
		if (seen < want)
			continue;
		lo = vno_hist_slot_low(s);
		hi = s + 1 < VNO_HIST_SLOTS ? vno_hist_slot_low(s + 1) - 1 : h->max;
		v = lo + (hi - lo) / 2;
		/* The exact extremes beat a slot's midpoint. */
		if (v < h->min)
			v = h->min;
		if (v > h->max)
			v = h->max;
		return v;
	}
	return h->max;
}

static __u64 key_hash(const struct vno_frame *f)
{
	__u64 k = ((__u64)f->netns << 32 | f->ifindex) ^ ((__u64)f->hop << 56 | f->hop);

	/* splitmix64's finaliser: consecutive ifindexes spread out. */
	k ^= k >> 30;
	k *= 0xbf58476d1ce4e5b9ULL;
	k ^= k >> 27;
	k *= 0x94d049bb133111ebULL;
	k ^= k >> 31;
	return k ? k : 1;
}

static bool entry_is(const struct agg_entry *e, const struct vno_frame *f)
{
	return e->netns == f->netns && e->ifindex == f->ifindex && e->hop == f->hop;
}

/* Rebuild the index with room for twice as many entries. */
static int idx_grow(struct agg *a)
{
	unsigned slots = a->idx ? 2 * (a->idx_mask + 1) : 64, mask = slots - 1;
	__u32 *t = calloc(slots, sizeof(*t));

	if (!t)
		return -ENOMEM;
	for (size_t n = 0; n < a->n; n++) {
		struct vno_frame f = { .netns = a->e[n].netns, .ifindex = a->e[n].ifindex,
				       .hop = a->e[n].hop };
		unsigned i = (unsigned)key_hash(&f) & mask;

		while (t[i])
			i = (i + 1) & mask;
		t[i] = (__u32)n + 1;
	}
	free(a->idx);
	a->idx = t;
	a->idx_mask = mask;
	return 0;
}

/* A pair past AGG_MAX_ENTRIES: counted once, in a set of key hashes. */
static void count_more(struct agg *a, __u64 h)
{
	unsigned i;

	a->more_frames++;
	if (a->more_full)
		return;
	if (!a->more || a->n_more + 1 > (a->more_mask + 1) / 2) {
		unsigned slots = a->more ? 2 * (a->more_mask + 1) : 1024, mask = slots - 1;
		__u64 *t;

		if (slots > 2 * AGG_MAX_MORE || !(t = calloc(slots, sizeof(*t)))) {
			a->more_full = true;
			return;
		}
		for (unsigned j = 0; a->more && j <= a->more_mask; j++) {
			if (!a->more[j])
				continue;
			for (i = (unsigned)a->more[j] & mask; t[i]; i = (i + 1) & mask)
				;
			t[i] = a->more[j];
		}
		free(a->more);
		a->more = t;
		a->more_mask = mask;
	}
	for (i = (unsigned)h & a->more_mask; a->more[i]; i = (i + 1) & a->more_mask)
		if (a->more[i] == h)
			return;
	a->more[i] = h;
	a->n_more++;
}

/* The entry of the record's (netns, ifindex, hop): a hash lookup, since
 * this runs for every record. NULL past AGG_MAX_ENTRIES or out of memory. */
static struct agg_entry *agg_find(struct agg *a, const struct vno_frame *f, bool create)
{
	__u64 h = key_hash(f);
	struct agg_entry *e;
	unsigned i;

	if (a->idx) {
		for (i = (unsigned)h & a->idx_mask; a->idx[i]; i = (i + 1) & a->idx_mask) {
			e = &a->e[a->idx[i] - 1];
			if (entry_is(e, f))
				return e;
		}
	}
	if (!create)
		return NULL;
	if (a->n >= AGG_MAX_ENTRIES) {
		count_more(a, h);
		return NULL;
	}
	/* Keep the index at most half full so probes stay short. */
	if ((!a->idx || 2 * (a->n + 1) > a->idx_mask + 1) && idx_grow(a))
		return NULL;
	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 16;
		void *p = realloc(a->e, cap * sizeof(*a->e));

		if (!p)
			return NULL;
		a->e = p;
		a->cap = cap;
	}
	e = &a->e[a->n];
	memset(e, 0, sizeof(*e));
	e->netns = f->netns;
	e->ifindex = f->ifindex;
	e->hop = f->hop;
	snprintf(e->dev, sizeof(e->dev), "%.*s", VNO_IFNAMSIZ, f->dev);
	for (i = (unsigned)h & a->idx_mask; a->idx[i]; i = (i + 1) & a->idx_mask)
		;
	a->idx[i] = (__u32)++a->n;
	return e;
}

void agg__add_release(struct agg *a, __u32 netns, __u32 ifindex, __u64 unseen,
		      __u64 in_flight_end)
{
	struct vno_frame f = { .netns = netns, .ifindex = ifindex, .hop = VNO_HOP_XMIT };
	struct agg_entry *e = agg_find(a, &f, false);

	if (!e)
		return;
	e->release_known = true;
	e->unseen += unseen;
	e->in_flight_end += in_flight_end;
}

void agg__release_from_json(struct agg *a, const char *json)
{
	struct json_object *root = json_tokener_parse(json), *devs, *d, *v;

	if (!root)
		return;
	if (json_object_object_get_ex(root, "devices", &devs) &&
	    json_object_is_type(devs, json_type_array))
		for (size_t i = 0; i < json_object_array_length(devs); i++) {
			__u64 u, fl;

			d = json_object_array_get_idx(devs, i);
			if (!json_object_object_get_ex(d, "released_unseen", &v) ||
			    !json_object_is_type(v, json_type_int))
				continue;
			u = (__u64)json_object_get_int64(v);
			fl = json_object_object_get_ex(d, "in_flight_at_end", &v) &&
					     json_object_is_type(v, json_type_int)
				     ? (__u64)json_object_get_int64(v)
				     : 0;
			if (json_object_object_get_ex(d, "netns", &v)) {
				__u32 ns = (__u32)json_object_get_int64(v);

				if (json_object_object_get_ex(d, "ifindex", &v))
					agg__add_release(a, ns, (__u32)json_object_get_int64(v), u,
							 fl);
			}
		}
	json_object_put(root);
}

int agg__add(struct agg *a, const struct vno_event *ev)
{
	const struct vno_frame *f = &ev->f;
	struct agg_entry *e = agg_find(a, f, true);

	if (!e && a->n < AGG_MAX_ENTRIES)
		return -ENOMEM;
	if (!a->records || f->ts_ns < a->first_ts)
		a->first_ts = f->ts_ns;
	if (f->ts_ns > a->last_ts)
		a->last_ts = f->ts_ns;
	a->records++;
	/* Past AGG_MAX_ENTRIES the record counts in the totals only. */
	if (!e)
		return 0;
	e->frames++;
	e->bytes += f->len;
	/* GSO share: gso_size set, nothing else (a gso_type alone, or a
	 * partial checksum, is no super-frame); the checksum share apart. */
	if (f->gso_size) {
		e->gso_frames++;
		e->segs_total += f->gso_segs;
		agg_hist_add(&e->gso_size, f->gso_size);
		agg_hist_add(&e->gso_segs, f->gso_segs);
	}
	if (f->ip_summed < VNO_CSUM__MAX)
		e->csum[f->ip_summed]++;
	if (f->flags & VNO_F_CHANGED)
		e->changed++;
	if (f->flags & VNO_F_ANOMALY)
		e->anomalies++;
	if (f->hop == VNO_HOP_DONE || f->hop == VNO_HOP_DROP ||
	    (f->hop == VNO_HOP_XMIT && (f->flags & VNO_F_QUEUE_WAIT)) ||
	    (f->hop == VNO_HOP_DRV_DONE && f->latency_ns))
		agg_hist_add(&e->latency, f->latency_ns);
	if (f->flags & VNO_F_FREED) {
		int i;

		for (i = 0; i < AGG_MAX_REASONS && e->drops[i].count; i++)
			if (e->drops[i].reason == f->drop_reason)
				break;
		if (i == AGG_MAX_REASONS) {
			e->drops_other++;
		} else {
			e->drops[i].reason = f->drop_reason;
			e->drops[i].count++;
		}
	}
	return 0;
}

void agg__add_cause(struct agg *a, const struct vno_event *ev, const struct agg_cause *c)
{
	struct agg_entry *e = agg_find(a, &ev->f, false);
	int i;

	if (!e)
		return;
	for (i = 0; i < AGG_MAX_CAUSES && e->causes[i].count; i++)
		if (e->causes[i].freed == c->freed && e->causes[i].reason == c->reason &&
		    e->causes[i].rule == c->rule)
			break;
	if (i == AGG_MAX_CAUSES)
		return; /* still counted by reason in drops[] */
	if (!e->causes[i].count || c->fit.segment > e->causes[i].fit.segment) {
		e->causes[i] = *c;
		e->causes[i].count = 0;
	}
	if (!e->causes[i].underlay[0] && c->underlay[0])
		memcpy(e->causes[i].underlay, c->underlay, sizeof(c->underlay));
	e->causes[i].count++;
}

size_t agg_released_str(const struct agg *a, const struct agg_entry *e, char *buf, size_t len)
{
	struct vno_frame df = { .netns = e->netns, .ifindex = e->ifindex, .hop = VNO_HOP_DONE };
	const struct agg_entry *d;
	int n;

	if (len)
		buf[0] = '\0';
	if (!e->release_known)
		return 0;
	d = agg_find((struct agg *)a, &df, false);
	n = snprintf(buf, len, "%" PRIu64 " seen (done), %" PRIu64 " unseen (absorbed or freed "
		     "without a tracepoint), %" PRIu64 " in flight at the end; latency over the "
		     "seen only", (uint64_t)(d ? d->frames : 0), (uint64_t)e->unseen,
		     (uint64_t)e->in_flight_end);
	return n < 0 ? 0 : (size_t)n;
}

size_t agg_changed_str(const struct agg_entry *e, char *buf, size_t len)
{
	int n;

	if (len)
		buf[0] = '\0';
	if (!e->changed)
		return 0;
	n = snprintf(buf, len, "%" PRIu64 " released changed since xmit (a receiver's GRO "
		     "merged later skbs into them, or a tunnel took its headers off or rebuilt "
		     "them; len, GSO_SIZE, SEGS above: as sent)", (uint64_t)e->changed);
	return n < 0 ? 0 : (size_t)n;
}

size_t agg_cause_str(const struct agg_cause *c, const char *dev, char *buf, size_t len)
{
	struct anomaly_tunnel_fit fit;
	size_t n;
	int k;

	k = snprintf(buf, len, "%s at %s: ", c->freed ? "dropped" : "refused", dev);
	if (k < 0 || (size_t)k >= len)
		return len ? strlen(buf) : 0;
	n = (size_t)k;
	/* A frame the rule expected to be answered but that was freed: the
	 * answer was not made (iptunnel_pmtud_build_icmp failed); say DF
	 * without it. */
	fit = c->fit;
	if (c->freed)
		fit.refused_ip = 0;
	n += anomaly_tunnel_fit_str(&fit, dev, buf + n, len - n);
	/* skb_tunnel_check_pmtu() with reply set (a bridged frame):
	 * iptunnel_pmtud_check_icmp() rebuilds the skb in place as the
	 * answer and vxlan_encap_bypass() hands it back through the bridge
	 * (already said by the rule's sentence when it expected it). */
	if (!c->freed && !c->fit.refused_ip && n < len)
		k = snprintf(buf + n, len - n, "; the kernel answered the sender with an ICMP "
					       "\"too big\" (MTU %u) in its place",
			     c->fit.mtu);
	else if (c->freed && c->fit.refused_ip && n < len)
		k = snprintf(buf + n, len - n, "; %s: not fragmented",
			     c->fit.refused_ip == 6 ? "IPv6" : "DF set");
	else
		k = 0;
	return k > 0 && n + (size_t)k < len ? n + (size_t)k : strlen(buf);
}

/* The remedy of a cause, for both outputs. */
static void cause_remedy(const struct agg_cause *c, const char *dev, struct remedy_mtu *r)
{
	struct remedy_mtu_in in = {
		.segment = c->fit.segment, .fits = c->fit.mtu, .overhead = c->fit.overhead,
		.tunnel_dev = dev, .underlay = c->underlay, .vm = c->vm,
	};

	remedy_mtu_make(&in, r);
}

void agg__add_anomalies(struct agg *a, const struct vno_event *ev, __u64 mask)
{
	struct agg_entry *e;

	if (!mask || !(e = agg_find(a, &ev->f, false)))
		return;
	for (unsigned r = 0; r < ANOMALY__MAX; r++)
		if (mask & (1ULL << r))
			e->rules[r]++;
}

static int entry_cmp(const void *x, const void *y)
{
	const struct agg_entry *a = *(const struct agg_entry *const *)x;
	const struct agg_entry *b = *(const struct agg_entry *const *)y;
	int c = strcmp(a->dev, b->dev);

	if (c)
		return c;
	if (a->netns != b->netns)
		return a->netns < b->netns ? -1 : 1;
	return (int)a->hop - (int)b->hop;
}

/* The entries by device name, namespace and hop (pointers: an entry is
 * kilobytes of histograms). */
static const struct agg_entry **sorted(const struct agg *a)
{
	const struct agg_entry **s = malloc((a->n ? a->n : 1) * sizeof(*s));

	if (!s)
		return NULL;
	for (size_t i = 0; i < a->n; i++)
		s[i] = &a->e[i];
	qsort(s, a->n, sizeof(*s), entry_cmp);
	return s;
}

static const char *reason_str(__u32 r, char *buf, size_t len)
{
	const char *n = vno_drop_reason_name ? vno_drop_reason_name(r) : NULL;

	if (n)
		return n;
	snprintf(buf, len, "%u", r);
	return buf;
}

static void fmt_ns(char *buf, size_t len, __u64 ns)
{
	if (ns < 10000)
		snprintf(buf, len, "%" PRIu64 "ns", (uint64_t)ns);
	else if (ns < 10000000)
		snprintf(buf, len, "%.1fus", ns / 1e3);
	else if (ns < 10000000000ULL)
		snprintf(buf, len, "%.1fms", ns / 1e6);
	else
		snprintf(buf, len, "%.1fs", ns / 1e9);
}

void agg_print(FILE *out, const struct agg *a, __u64 lost, __u64 unmatched)
{
	const struct agg_entry **s = sorted(a);
	char b1[16], b2[16], b3[16], rb[32], dev[TERM_STR_LEN(VNO_IFNAMSIZ)];
	char rs[TERM_STR_LEN(64)], rel[256];

	if (!s)
		return;
	fprintf(out, "\n%-15s %-10s %9s %12s %5s %5s %-17s %-13s %-21s %s\n", "DEVICE", "HOP",
		"FRAMES", "BYTES", "GSO%", "CSUM%", "GSO_SIZE p50/max", "SEGS p50/max",
		"LATENCY p50/p99/max", "CSUM n/u/c/p");
	for (size_t i = 0; i < a->n; i++) {
		const struct agg_entry *e = s[i];
		char gs[24] = "-", sg[24] = "-", lat[56] = "-";

		if (e->gso_frames) {
			snprintf(gs, sizeof(gs), "%" PRIu64 "/%" PRIu64,
				 (uint64_t)agg_hist_quantile(&e->gso_size, 0.5),
				 (uint64_t)e->gso_size.max);
			snprintf(sg, sizeof(sg), "%" PRIu64 "/%" PRIu64,
				 (uint64_t)agg_hist_quantile(&e->gso_segs, 0.5),
				 (uint64_t)e->gso_segs.max);
		}
		if (e->latency.count) {
			fmt_ns(b1, sizeof(b1), agg_hist_quantile(&e->latency, 0.5));
			fmt_ns(b2, sizeof(b2), agg_hist_quantile(&e->latency, 0.99));
			fmt_ns(b3, sizeof(b3), e->latency.max);
			snprintf(lat, sizeof(lat), "%s/%s/%s", b1, b2, b3);
		}
		fprintf(out, "%-15s %-10s %9" PRIu64 " %12" PRIu64 " %5.1f %5.1f %-17s %-13s %-21s %"
			PRIu64 "/%" PRIu64 "/%" PRIu64 "/%" PRIu64 "\n",
			term_str(dev, sizeof(dev), e->dev), vno_hop_name(e->hop), (uint64_t)e->frames,
			(uint64_t)e->bytes,
			e->frames ? 100.0 * e->gso_frames / e->frames : 0.0,
			e->frames ? 100.0 * e->csum[VNO_CSUM_PARTIAL] / e->frames : 0.0, gs, sg, lat,
			(uint64_t)e->csum[0], (uint64_t)e->csum[1], (uint64_t)e->csum[2],
			(uint64_t)e->csum[3]);
		for (int r = 0; r < AGG_MAX_REASONS && e->drops[r].count; r++)
			fprintf(out, "%-15s %-10s   freed %" PRIu64 "x reason %s\n", "", "",
				(uint64_t)e->drops[r].count,
				term_str(rs, sizeof(rs), reason_str(e->drops[r].reason, rb, sizeof(rb))));
		if (e->drops_other)
			fprintf(out, "%-15s %-10s   freed %" PRIu64 "x reason other\n", "", "",
				(uint64_t)e->drops_other);
		for (int c = 0; c < AGG_MAX_CAUSES && e->causes[c].count; c++) {
			const struct agg_cause *k = &e->causes[c];
			char why[256], o[TERM_STR_LEN(VNO_IFNAMSIZ)], vm[TERM_STR_LEN(64)];
			struct remedy_mtu rm;

			agg_cause_str(k, e->dev, why, sizeof(why));
			cause_remedy(k, e->dev, &rm);
			fprintf(out, "%-15s %-10s   %" PRIu64 "x %s\n", "", "", (uint64_t)k->count,
				term_str(rs, sizeof(rs), why));
			if (k->origin[0])
				fprintf(out, "%-15s %-10s     from %s%s%s\n", "", "",
					term_str(o, sizeof(o), k->origin), k->vm[0] ? ", VM " : "",
					term_str(vm, sizeof(vm), k->vm));
			fprintf(out, "%-15s %-10s     remedy: give the guest MTU %u (QEMU %s; libvirt "
				     "%s in its <interface>; in a Linux guest: %s),\n", "", "",
				rm.guest_mtu, rm.qemu, rm.libvirt, rm.guest_linux);
			fprintf(out, "%-15s %-10s     or raise the underlay to %u (%u at least for "
				     "these segments): %s\n", "", "", rm.underlay_mtu,
				rm.underlay_mtu_min, term_str(rs, sizeof(rs), rm.underlay));
		}
		if (agg_released_str(a, e, rel, sizeof(rel)))
			fprintf(out, "%-15s %-10s   released: %s\n", "", "", rel);
		if (agg_changed_str(e, rel, sizeof(rel)))
			fprintf(out, "%-15s %-10s   %s\n", "", "", rel);
		for (unsigned r = 0; r < ANOMALY__MAX; r++)
			if (e->rules[r])
				fprintf(out, "%-15s %-10s   anomaly %s: %" PRIu64 " frames\n", "", "",
					anomaly_name(r), (uint64_t)e->rules[r]);
	}
	if (a->more_frames)
		fprintf(out, "… %s%u more device/hop pairs, %" PRIu64 " frames (only the first %u "
			     "are summed up one by one)\n", a->more_full ? "over " : "", a->n_more,
			(uint64_t)a->more_frames, AGG_MAX_ENTRIES);
	if (!a->n)
		fprintf(out, "(no frames recorded)\n");
	for (int h = 0; h < VNO_HANG__MAX; h++)
		if (a->hangs[h])
			fprintf(out, "hangs (%s): %" PRIu64 "\n", diag_source_name(h),
				(uint64_t)a->hangs[h]);
	if (a->hangs_untold)
		fprintf(out, "… %" PRIu64 " more hangs counted but not diagnosed\n",
			(uint64_t)a->hangs_untold);
	fprintf(out, "events lost (ring buffer full): %" PRIu64 "\n", (uint64_t)lost);
	if (a->filtered)
		fprintf(out, "left out by the filter: %" PRIu64 " in the BPF programs, %" PRIu64
			" after decoding\n", (uint64_t)a->left_out_bpf, (uint64_t)a->left_out_user);
	if (unmatched)
		fprintf(out, "completions not tracked (state displaced): %" PRIu64 "\n",
			(uint64_t)unmatched);
	free(s);
}

static void json_hist(struct jw *w, const char *name, const struct agg_hist *h)
{
	jw_kobject(w, name);
	jw_ku64(w, "count", h->count);
	jw_ku64(w, "min", h->min);
	jw_ku64(w, "p50", agg_hist_quantile(h, 0.5));
	jw_ku64(w, "p99", agg_hist_quantile(h, 0.99));
	jw_ku64(w, "max", h->max);
	jw_end(w);
}

/* "drop_causes": the drops the numbers explain, with their remedy. */
static void json_causes(struct jw *w, const struct agg_entry *e)
{
	char rb[32], why[256];

	jw_karray(w, "drop_causes");
	for (int c = 0; c < AGG_MAX_CAUSES && e->causes[c].count; c++) {
		const struct agg_cause *k = &e->causes[c];
		struct remedy_mtu rm;

		agg_cause_str(k, e->dev, why, sizeof(why));
		cause_remedy(k, e->dev, &rm);
		jw_object(w);
		jw_key(w, "reason");
		if (k->freed)
			jw_str(w, reason_str(k->reason, rb, sizeof(rb)));
		else
			jw_null(w);
		jw_kstr(w, "fate", k->freed ? "dropped" : "answered_icmp_too_big");
		jw_kstr(w, "rule", anomaly_name(k->rule));
		jw_ku64(w, "frames", k->count);
		jw_kstr(w, "cause", why);
		jw_ku64(w, "segment", k->fit.segment);
		jw_ku64(w, "gso_size", k->fit.gso_size);
		jw_ku64(w, "headers", k->fit.headers);
		jw_ku64(w, "mtu", k->fit.mtu);
		jw_ku64(w, "overhead", k->fit.overhead);
		jw_kstr(w, "tunnel", k->fit.tunnel);
		jw_kstr_or_null(w, "origin", k->origin);
		jw_kstr_or_null(w, "vm", k->vm);
		jw_kstr_or_null(w, "underlay", k->underlay);
		jw_kobject(w, "remedy");
		jw_ku64(w, "guest_mtu", rm.guest_mtu);
		jw_kstr(w, "qemu", rm.qemu);
		jw_kstr(w, "libvirt", rm.libvirt);
		jw_kstr(w, "guest_linux", rm.guest_linux);
		jw_ku64(w, "underlay_mtu", rm.underlay_mtu);
		jw_ku64(w, "underlay_mtu_min", rm.underlay_mtu_min);
		jw_ku64(w, "tunnel_mtu", rm.tunnel_mtu);
		jw_kstr(w, "underlay", rm.underlay);
		jw_end(w);
		jw_end(w);
	}
	jw_end(w);
}

void agg_json(FILE *out, const struct agg *a, __u64 lost, __u64 unmatched, double duration_s)
{
	const struct agg_entry **s = sorted(a);
	char rb[32];
	struct jw w;

	if (!s)
		return;
	jw_init(&w, out);
	jw_object(&w);
	jw_kstr(&w, "type", "summary");
	jw_kdouble(&w, "duration_s", duration_s, 3);
	jw_ku64(&w, "records", a->records);
	jw_ku64(&w, "lost_events", lost);
	jw_ku64(&w, "unmatched_completions", unmatched);
	if (a->filtered) {
		jw_kobject(&w, "left_out");
		jw_ku64(&w, "bpf", a->left_out_bpf);
		jw_ku64(&w, "user", a->left_out_user);
		jw_end(&w);
	} else {
		jw_knull(&w, "left_out");
	}
	jw_karray(&w, "devices");
	for (size_t i = 0; i < a->n; i++) {
		const struct agg_entry *e = s[i];

		jw_object(&w);
		jw_kstr(&w, "dev", e->dev);
		jw_ku64(&w, "netns", e->netns);
		jw_ku64(&w, "ifindex", e->ifindex);
		jw_kstr(&w, "hop", vno_hop_name(e->hop));
		jw_ku64(&w, "frames", e->frames);
		jw_ku64(&w, "bytes", e->bytes);
		jw_ku64(&w, "gso_frames", e->gso_frames);
		jw_kdouble(&w, "gso_share", e->frames ? (double)e->gso_frames / e->frames : 0.0, 4);
		jw_ku64(&w, "csum_partial_frames", e->csum[VNO_CSUM_PARTIAL]);
		jw_kdouble(&w, "csum_share",
			   e->frames ? (double)e->csum[VNO_CSUM_PARTIAL] / e->frames : 0.0, 4);
		jw_ku64(&w, "anomalies", e->anomalies);
		jw_ku64(&w, "changed", e->changed);
		jw_key(&w, "released_unseen");
		if (e->release_known)
			jw_u64(&w, e->unseen);
		else
			jw_null(&w);
		jw_key(&w, "in_flight_at_end");
		if (e->release_known)
			jw_u64(&w, e->in_flight_end);
		else
			jw_null(&w);
		json_hist(&w, "gso_size", &e->gso_size);
		json_hist(&w, "gso_segs", &e->gso_segs);
		json_hist(&w, "latency_ns", &e->latency);
		jw_kobject(&w, "ip_summed");
		for (int c = 0; c < VNO_CSUM__MAX; c++)
			jw_ku64(&w, vno_csum_name(c), e->csum[c]);
		jw_end(&w);
		jw_kobject(&w, "anomaly_rules");
		for (unsigned r = 0; r < ANOMALY__MAX; r++)
			if (e->rules[r])
				jw_ku64(&w, anomaly_name(r), e->rules[r]);
		jw_end(&w);
		jw_kobject(&w, "drops");
		for (int r = 0; r < AGG_MAX_REASONS && e->drops[r].count; r++)
			jw_ku64(&w, reason_str(e->drops[r].reason, rb, sizeof(rb)), e->drops[r].count);
		if (e->drops_other)
			jw_ku64(&w, "other", e->drops_other);
		jw_end(&w);
		json_causes(&w, e);
		jw_end(&w);
	}
	jw_end(&w);
	/* What the cap left out: counted, never silently dropped. */
	jw_kobject(&w, "devices_more");
	jw_ku64(&w, "pairs", a->n_more);
	jw_kbool(&w, "at_least", a->more_full);
	jw_ku64(&w, "frames", a->more_frames);
	jw_end(&w);
	jw_kobject(&w, "hangs");
	for (int h = 0; h < VNO_HANG__MAX; h++)
		jw_ku64(&w, diag_source_name(h), a->hangs[h]);
	jw_end(&w);
	jw_ku64(&w, "hangs_not_diagnosed", a->hangs_untold);
	jw_end(&w);
	free(s);
}
