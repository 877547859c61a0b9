// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "agg.h"
#include "decode.h"
#include "json.h"

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

static struct agg_entry *agg_find(struct agg *a, const struct vno_frame *f)
{
	struct agg_entry *e;

	for (size_t i = 0; i < a->n; i++) {
		e = &a->e[i];
		if (e->netns == f->netns && e->ifindex == f->ifindex && e->hop == f->hop)
			return e;
	}
	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 16;
		void *p = realloc(a->e, cap * sizeof(*a->e));

		if (!p)
			return NULL;
		a->e = p;
		a->cap = cap;
	}
	e = &a->e[a->n++];
	memset(e, 0, sizeof(*e));
	e->netns = f->netns;
	e->ifindex = f->ifindex;
	e->hop = f->hop;
	snprintf(e->dev, sizeof(e->dev), "%.*s", VNO_IFNAMSIZ, f->dev);
	return e;
}

int agg__add(struct agg *a, const struct vno_event *ev)
{
	const struct vno_frame *f = &ev->f;
	struct agg_entry *e = agg_find(a, f);

	if (!e)
		return -ENOMEM;
	if (!a->records || f->ts_ns < a->first_ts)
		a->first_ts = f->ts_ns;
	if (f->ts_ns > a->last_ts)
		a->last_ts = f->ts_ns;
	a->records++;
	e->frames++;
	e->bytes += f->len;
	if (f->gso_size || f->gso_type) {
		e->gso_frames++;
		e->segs_total += f->gso_segs;
		agg_hist_add(&e->gso_size, f->gso_size);
		agg_hist_add(&e->gso_segs, f->gso_segs);
	}
	if (f->ip_summed < VNO_CSUM__MAX)
		e->csum[f->ip_summed]++;
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

void agg__add_anomalies(struct agg *a, const struct vno_event *ev, __u64 mask)
{
	struct agg_entry *e;

	if (!mask || !(e = agg_find(a, &ev->f)))
		return;
	for (unsigned r = 0; r < ANOMALY__MAX; r++)
		if (mask & (1ULL << r))
			e->rules[r]++;
}

static int entry_cmp(const void *x, const void *y)
{
	const struct agg_entry *a = x, *b = y;
	int c = strcmp(a->dev, b->dev);

	if (c)
		return c;
	if (a->netns != b->netns)
		return a->netns < b->netns ? -1 : 1;
	return (int)a->hop - (int)b->hop;
}

static struct agg_entry *sorted(const struct agg *a)
{
	struct agg_entry *s = malloc((a->n ? a->n : 1) * sizeof(*s));

	if (!s)
		return NULL;
	if (a->n) /* a->e is NULL before the first record: memcpy(NULL, 0) is UB */
		memcpy(s, a->e, a->n * sizeof(*s));
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
	struct agg_entry *s = sorted(a);
	char b1[16], b2[16], b3[16], rb[32];

	if (!s)
		return;
	fprintf(out, "\n%-15s %-10s %9s %12s %5s %-17s %-13s %-21s %s\n", "DEVICE", "HOP",
		"FRAMES", "BYTES", "GSO%", "GSO_SIZE p50/max", "SEGS p50/max",
		"LATENCY p50/p99/max", "CSUM n/u/c/p");
	for (size_t i = 0; i < a->n; i++) {
		struct agg_entry *e = &s[i];
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
		fprintf(out, "%-15s %-10s %9" PRIu64 " %12" PRIu64 " %5.1f %-17s %-13s %-21s %"
			PRIu64 "/%" PRIu64 "/%" PRIu64 "/%" PRIu64 "\n",
			e->dev, vno_hop_name(e->hop), (uint64_t)e->frames, (uint64_t)e->bytes,
			e->frames ? 100.0 * e->gso_frames / e->frames : 0.0, gs, sg, lat,
			(uint64_t)e->csum[0], (uint64_t)e->csum[1], (uint64_t)e->csum[2],
			(uint64_t)e->csum[3]);
		for (int r = 0; r < AGG_MAX_REASONS && e->drops[r].count; r++)
			fprintf(out, "%-15s %-10s   freed %" PRIu64 "x reason %s\n", "", "",
				(uint64_t)e->drops[r].count,
				reason_str(e->drops[r].reason, rb, sizeof(rb)));
		if (e->drops_other)
			fprintf(out, "%-15s %-10s   freed %" PRIu64 "x reason other\n", "", "",
				(uint64_t)e->drops_other);
		for (unsigned r = 0; r < ANOMALY__MAX; r++)
			if (e->rules[r])
				fprintf(out, "%-15s %-10s   anomaly %s: %" PRIu64 " frames\n", "", "",
					anomaly_name(r), (uint64_t)e->rules[r]);
	}
	if (!a->n)
		fprintf(out, "(no frames recorded)\n");
	for (int h = 0; h < VNO_HANG__MAX; h++)
		if (a->hangs[h])
			fprintf(out, "hangs (%s): %" PRIu64 "\n", diag_source_name(h),
				(uint64_t)a->hangs[h]);
	fprintf(out, "events lost (ring buffer full): %" PRIu64 "\n", (uint64_t)lost);
	if (unmatched)
		fprintf(out, "completions not tracked (state displaced): %" PRIu64 "\n",
			(uint64_t)unmatched);
	free(s);
}

static void json_hist(FILE *out, const char *name, const struct agg_hist *h)
{
	fprintf(out, ",\"%s\":{\"count\":%" PRIu64 ",\"min\":%" PRIu64 ",\"p50\":%" PRIu64
		     ",\"p99\":%" PRIu64 ",\"max\":%" PRIu64 "}",
		name, (uint64_t)h->count, (uint64_t)h->min, (uint64_t)agg_hist_quantile(h, 0.5),
		(uint64_t)agg_hist_quantile(h, 0.99), (uint64_t)h->max);
}

void agg_json(FILE *out, const struct agg *a, __u64 lost, __u64 unmatched, double duration_s)
{
	struct agg_entry *s = sorted(a);
	char rb[32];

	if (!s)
		return;
	fprintf(out, "{\"type\":\"summary\",\"duration_s\":%.3f,\"records\":%" PRIu64
		     ",\"lost_events\":%" PRIu64 ",\"unmatched_completions\":%" PRIu64
		     ",\"devices\":[",
		duration_s, (uint64_t)a->records, (uint64_t)lost, (uint64_t)unmatched);
	for (size_t i = 0; i < a->n; i++) {
		struct agg_entry *e = &s[i];

		fprintf(out, "%s{\"dev\":", i ? "," : "");
		json_str(out, e->dev);
		fprintf(out, ",\"netns\":%u,\"ifindex\":%u,\"hop\":\"%s\",\"frames\":%" PRIu64
			     ",\"bytes\":%" PRIu64 ",\"gso_frames\":%" PRIu64 ",\"gso_share\":%.4f"
			     ",\"anomalies\":%" PRIu64,
			e->netns, e->ifindex, vno_hop_name(e->hop), (uint64_t)e->frames,
			(uint64_t)e->bytes, (uint64_t)e->gso_frames,
			e->frames ? (double)e->gso_frames / e->frames : 0.0, (uint64_t)e->anomalies);
		json_hist(out, "gso_size", &e->gso_size);
		json_hist(out, "gso_segs", &e->gso_segs);
		json_hist(out, "latency_ns", &e->latency);
		fputs(",\"ip_summed\":{", out);
		for (int c = 0; c < VNO_CSUM__MAX; c++)
			fprintf(out, "%s\"%s\":%" PRIu64, c ? "," : "", vno_csum_name(c),
				(uint64_t)e->csum[c]);
		fputs("},\"anomaly_rules\":{", out);
		for (unsigned r = 0, k = 0; r < ANOMALY__MAX; r++)
			if (e->rules[r])
				fprintf(out, "%s\"%s\":%" PRIu64, k++ ? "," : "", anomaly_name(r),
					(uint64_t)e->rules[r]);
		fputs("},\"drops\":{", out);
		for (int r = 0; r < AGG_MAX_REASONS && e->drops[r].count; r++) {
			fprintf(out, "%s", r ? "," : "");
			json_str(out, reason_str(e->drops[r].reason, rb, sizeof(rb)));
			fprintf(out, ":%" PRIu64, (uint64_t)e->drops[r].count);
		}
		if (e->drops_other)
			fprintf(out, "%s\"other\":%" PRIu64, e->drops[0].count ? "," : "",
				(uint64_t)e->drops_other);
		fputs("}}", out);
	}
	fputs("],\"hangs\":{", out);
	for (int h = 0; h < VNO_HANG__MAX; h++)
		fprintf(out, "%s\"%s\":%" PRIu64, h ? "," : "", diag_source_name(h),
			(uint64_t)a->hangs[h]);
	fputs("}}\n", out);
	free(s);
}
