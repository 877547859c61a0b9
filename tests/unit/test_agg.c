// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * hist: the log-linear slot math every histogram shares (include/vno.h);
 * agg: quantiles on known distributions, per (netns, ifindex, hop) entries
 * and their counters, and the summary as JSON (read back by jq) and text.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>
#include "agg.h"
#include "decode.h"
#include "json.h"
#include "frames.h"

/* The last slot a __u64 can reach; its upper end is 2^64, which
 * vno_hist_slot_low(last + 1) cannot represent. */
static __u32 last_slot(void)
{
	return vno_hist_slot(~0ULL);
}

/* One past the largest value of @slot, exact. */
static unsigned __int128 slot_end(__u32 slot)
{
	if (slot == last_slot())
		return (unsigned __int128)1 << 64;
	return vno_hist_slot_low(slot + 1);
}

static void assert_in_slot(__u64 v)
{
	__u32 s = vno_hist_slot(v);

	cr_assert_lt(s, VNO_HIST_SLOTS, "v %llu: slot %u", (unsigned long long)v, s);
	cr_assert_leq(vno_hist_slot_low(s), v, "v %llu: slot %u starts at %llu",
		      (unsigned long long)v, s, (unsigned long long)vno_hist_slot_low(s));
	cr_assert(v < slot_end(s), "v %llu: slot %u ends at %llu", (unsigned long long)v, s,
		  (unsigned long long)vno_hist_slot_low(s + 1));
}

Test(hist, small_values_exact)
{
	for (__u64 v = 0; v < 8; v++) {
		cr_assert_eq(vno_hist_slot(v), v, "v %llu", (unsigned long long)v);
		cr_assert_eq(vno_hist_slot_low((__u32)v), v);
	}
}

Test(hist, slot_contains_value_0_to_100000)
{
	__u32 prev = 0;

	for (__u64 v = 0; v <= 100000; v++) {
		__u32 s = vno_hist_slot(v);

		assert_in_slot(v);
		cr_assert_geq(s, prev, "not monotonic at %llu", (unsigned long long)v);
		cr_assert_leq(s - prev, 1, "skipped a slot at %llu", (unsigned long long)v);
		prev = s;
	}
}

Test(hist, powers_of_two_to_2_63)
{
	__u32 prev = 0;

	for (unsigned k = 0; k < 64; k++) {
		__u64 p = 1ULL << k;

		assert_in_slot(p);
		assert_in_slot(p - 1);
		assert_in_slot(p + 1);
		assert_in_slot(p + p / 2);
		/* A power of two opens a slot. */
		cr_assert_eq(vno_hist_slot_low(vno_hist_slot(p)), p, "2^%u", k);
		cr_assert_geq(vno_hist_slot(p), prev, "2^%u", k);
		prev = vno_hist_slot(p);
	}
	assert_in_slot(~0ULL);
	assert_in_slot(~0ULL - 1);
	assert_in_slot(7ULL << 61);
	cr_assert_lt(last_slot(), VNO_HIST_SLOTS);
}

Test(hist, slots_partition_the_range)
{
	__u32 last = last_slot();

	for (__u32 s = 0; s <= last; s++) {
		__u64 lo = vno_hist_slot_low(s);
		unsigned __int128 end = slot_end(s);

		cr_assert(end > lo, "slot %u empty", s);
		cr_assert_eq(vno_hist_slot(lo), s, "slot %u low %llu", s, (unsigned long long)lo);
		cr_assert_eq(vno_hist_slot((__u64)(end - 1)), s, "slot %u high", s);
		/* 4 sub-slots per power of two: a slot is at most 25 % wide. */
		if (lo >= 4)
			cr_assert((end - lo) * 4 <= lo, "slot %u too wide", s);
	}
}

Test(hist, random_values_in_their_slot)
{
	__u64 x = 0x9E3779B97F4A7C15ULL;

	for (int i = 0; i < 200000; i++) {
		__u64 v;

		/* xorshift64, then a random magnitude */
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		v = x >> (x & 63);
		assert_in_slot(v);
		cr_assert_leq(vno_hist_slot(v), vno_hist_slot(v + (v < ~0ULL)));
	}
}

/* Every percentile of @sorted (ascending) from the histogram, against the
 * exact value of the same rank: within 25 %, exact below 4. */
static void assert_quantiles(const char *name, const __u64 *sorted, size_t n)
{
	struct agg_hist h;

	memset(&h, 0, sizeof(h));
	for (size_t i = 0; i < n; i++)
		agg_hist_add(&h, sorted[n - 1 - i]); /* order must not matter */
	cr_assert_eq(h.count, n);
	cr_assert_eq(h.min, sorted[0], "%s min", name);
	cr_assert_eq(h.max, sorted[n - 1], "%s max", name);
	for (int pc = 1; pc <= 100; pc++) {
		double q = pc / 100.0;
		size_t rank = (size_t)ceil(q * n - 1e-9);
		__u64 want, got = agg_hist_quantile(&h, q);
		double err;

		if (rank < 1)
			rank = 1;
		if (rank > n)
			rank = n;
		want = sorted[rank - 1];
		cr_assert_geq(got, h.min, "%s p%d", name, pc);
		cr_assert_leq(got, h.max, "%s p%d", name, pc);
		if (want < 4) {
			cr_assert_eq(got, want, "%s p%d: %llu vs %llu", name, pc,
				     (unsigned long long)got, (unsigned long long)want);
			continue;
		}
		err = ((double)got - (double)want) / (double)want;
		cr_assert(err <= 0.25 && err >= -0.25, "%s p%d: %llu, true %llu (%+.1f%%)", name, pc,
			  (unsigned long long)got, (unsigned long long)want, err * 100);
	}
}

static int cmp_u64(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;

	return x < y ? -1 : x > y;
}

Test(agg, quantiles_uniform_1_to_1000)
{
	__u64 v[1000];
	struct agg_hist h;

	for (int i = 0; i < 1000; i++)
		v[i] = i + 1;
	assert_quantiles("1..1000", v, 1000);

	memset(&h, 0, sizeof(h));
	for (int i = 0; i < 1000; i++)
		agg_hist_add(&h, v[i]);
	cr_assert_eq(h.sum, 500500);
	cr_assert_eq(agg_hist_quantile(&h, 0), 1, "p0 is the minimum");
	cr_assert_geq(agg_hist_quantile(&h, 0.5), 375);
	cr_assert_leq(agg_hist_quantile(&h, 0.5), 625);
	cr_assert_geq(agg_hist_quantile(&h, 0.99), 742);
}

Test(agg, quantiles_latency_microseconds)
{
	static __u64 v[10000];

	/* 1 us .. 10 ms in ns */
	for (int i = 0; i < 10000; i++)
		v[i] = (i + 1) * 1000ULL;
	assert_quantiles("1us..10ms", v, 10000);
}

Test(agg, quantiles_skewed_and_constant)
{
	static __u64 v[1000];

	/* 90 % at 100, 10 % at 100000: p50 near 100, p95 near 100000. */
	for (int i = 0; i < 1000; i++)
		v[i] = i < 900 ? 100 : 100000;
	assert_quantiles("bimodal", v, 1000);

	/* Every super-frame the same gso_size: exact. */
	struct agg_hist h;

	memset(&h, 0, sizeof(h));
	for (int i = 0; i < 50; i++)
		agg_hist_add(&h, 1448);
	cr_assert_eq(agg_hist_quantile(&h, 0.01), 1448);
	cr_assert_eq(agg_hist_quantile(&h, 0.5), 1448);
	cr_assert_eq(agg_hist_quantile(&h, 1.0), 1448);

	/* Geometric spread over 40 powers of two, shuffled by sorting. */
	for (int i = 0; i < 1000; i++)
		v[i] = (1ULL << (i % 40)) + (__u64)i * 7;
	qsort(v, 1000, sizeof(v[0]), cmp_u64);
	assert_quantiles("geometric", v, 1000);
}

Test(agg, quantiles_edges)
{
	struct agg_hist h;
	__u64 got;

	memset(&h, 0, sizeof(h));
	cr_assert_eq(agg_hist_quantile(&h, 0.5), 0, "empty");
	agg_hist_add(&h, 0);
	cr_assert_eq(agg_hist_quantile(&h, 0.5), 0);
	cr_assert_eq(h.min, 0);

	/* The top slots, where the slot end does not fit in 64 bits. */
	memset(&h, 0, sizeof(h));
	agg_hist_add(&h, 1ULL << 63);
	agg_hist_add(&h, ~0ULL);
	cr_assert_eq(h.min, 1ULL << 63);
	cr_assert_eq(h.max, ~0ULL);
	got = agg_hist_quantile(&h, 0.5);
	cr_assert_geq(got, 1ULL << 63);
	cr_assert_leq(got, (1ULL << 63) + (1ULL << 61));
	got = agg_hist_quantile(&h, 1.0);
	cr_assert_geq(got, 7ULL << 61, "p100 %llu", (unsigned long long)got);
}

/* Aggregator. */

static struct vno_event ev_at(__u8 hop, __u32 netns, __u32 ifindex, const char *dev, __u32 len)
{
	struct vno_event ev = fr_meta(hop, netns, ifindex, dev);

	ev.f.len = len;
	return ev;
}

static struct agg_entry *entry(struct agg *a, __u32 netns, __u32 ifindex, __u8 hop)
{
	for (size_t i = 0; i < a->n; i++)
		if (a->e[i].netns == netns && a->e[i].ifindex == ifindex && a->e[i].hop == hop)
			return &a->e[i];
	return NULL;
}

static void add(struct agg *a, const struct vno_event *ev)
{
	cr_assert_eq(agg__add(a, ev), 0);
}

static char *summary_json(const struct agg *a, __u64 lost, __u64 unmatched, double dur)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cr_assert_not_null(f);
	agg_json(f, a, lost, unmatched, dur);
	fclose(f);
	cr_assert_gt(len, 0);
	cr_assert_eq(strchr(buf, '\n'), buf + len - 1, "one line: %s", buf);
	return buf;
}

static char *summary_text(const struct agg *a, __u64 lost, __u64 unmatched)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cr_assert_not_null(f);
	agg_print(f, a, lost, unmatched);
	fclose(f);
	return buf;
}

#define NS_A 4026531840u
#define NS_B 4026532512u

Test(agg, same_ifindex_in_two_netns)
{
	struct agg *a = agg__new();
	struct vno_event ev;
	char *j;

	cr_assert_not_null(a);
	/* ifindex 2 is "eth0" in both namespaces: two interfaces. */
	for (int i = 0; i < 3; i++) {
		ev = ev_at(VNO_HOP_XMIT, NS_A, 2, "eth0", 1000);
		add(a, &ev);
	}
	ev = ev_at(VNO_HOP_XMIT, NS_B, 2, "eth0", 500);
	add(a, &ev);
	ev = ev_at(VNO_HOP_DONE, NS_A, 2, "eth0", 1000);
	add(a, &ev);
	ev = ev_at(VNO_HOP_XMIT, NS_A, 3, "eth1", 64);
	add(a, &ev);

	cr_assert_eq(a->n, 4);
	cr_assert_eq(a->records, 6);
	cr_assert_eq(entry(a, NS_A, 2, VNO_HOP_XMIT)->frames, 3);
	cr_assert_eq(entry(a, NS_A, 2, VNO_HOP_XMIT)->bytes, 3000);
	cr_assert_eq(entry(a, NS_B, 2, VNO_HOP_XMIT)->frames, 1);
	cr_assert_eq(entry(a, NS_B, 2, VNO_HOP_XMIT)->bytes, 500);
	cr_assert_eq(entry(a, NS_A, 2, VNO_HOP_DONE)->frames, 1);
	cr_assert_eq(entry(a, NS_A, 3, VNO_HOP_XMIT)->frames, 1);
	cr_assert_null(entry(a, NS_B, 3, VNO_HOP_XMIT));

	j = summary_json(a, 0, 0, 1.0);
	cr_assert_jq(j, "[.devices[] | select(.dev == \"eth0\" and .hop == \"xmit\")] | length == 2");
	cr_assert_jq(j, ".devices[] | select(.netns == 4026531840 and .ifindex == 2 and "
			".hop == \"xmit\") | .frames == 3 and .bytes == 3000");
	cr_assert_jq(j, ".devices[] | select(.netns == 4026532512 and .ifindex == 2) | "
			".frames == 1 and .bytes == 500 and .dev == \"eth0\"");
	cr_assert_jq(j, ".devices | length == 4");
	/* Sorted by device, then namespace. */
	cr_assert_jq(j, ".devices | map([.dev, .netns]) | . == sort");
	free(j);
	agg__free(a);
}

/* Received ACKs: no gso_size, checksum partial. The GSO share says 0 %,
 * the checksum-offload share 100 %, in the table and the JSON. */
Test(agg, gso_and_csum_shares_apart)
{
	struct agg *a = agg__new();
	struct vno_event ev;
	char *j, *t;
	size_t tl;
	FILE *f;

	for (int i = 0; i < 4; i++) {
		ev = ev_at(VNO_HOP_XMIT, NS_A, 5, "veth1", 66);
		ev.f.ip_summed = VNO_CSUM_PARTIAL;
		ev.f.gso_segs = 1;
		add(a, &ev);
	}
	j = summary_json(a, 0, 0, 1.0);
	cr_assert_jq(j, ".devices[0] | .gso_frames == 0 and .gso_share == 0 and "
			".csum_partial_frames == 4 and .csum_share == 1");
	free(j);
	f = open_memstream(&t, &tl);
	agg_print(f, a, 0, 0);
	fclose(f);
	cr_assert(strstr(t, "GSO% CSUM%"), "%s", t);
	cr_assert(strstr(t, "  0.0 100.0 "), "%s", t);
	free(t);
	agg__free(a);
}

Test(agg, gso_share_and_distributions)
{
	struct agg *a = agg__new();
	struct agg_entry *e;
	struct vno_event ev;
	char *j;

	/* 3 super-frames and one plain frame. */
	static const __u16 size[] = { 1448, 1448, 8948 }, segs[] = { 10, 44, 7 };

	for (int i = 0; i < 3; i++) {
		ev = ev_at(VNO_HOP_XMIT, NS_A, 5, "tap0", 60000);
		ev.f.gso_size = size[i];
		ev.f.gso_segs = segs[i];
		ev.f.gso_type = VNO_GSO_TCPV4;
		add(a, &ev);
	}
	ev = ev_at(VNO_HOP_XMIT, NS_A, 5, "tap0", 1514);
	add(a, &ev);
	e = entry(a, NS_A, 5, VNO_HOP_XMIT);
	cr_assert_not_null(e);
	cr_assert_eq(e->frames, 4);
	cr_assert_eq(e->bytes, 3 * 60000 + 1514);
	cr_assert_eq(e->gso_frames, 3);
	cr_assert_eq(e->segs_total, 61);
	cr_assert_eq(e->gso_size.count, 3);
	cr_assert_eq(e->gso_size.min, 1448);
	cr_assert_eq(e->gso_size.max, 8948);
	cr_assert_eq(agg_hist_quantile(&e->gso_size, 0.5), 1448);
	cr_assert_eq(e->gso_segs.min, 7);
	cr_assert_eq(e->gso_segs.max, 44);
	cr_assert_eq(e->latency.count, 0, "xmit without queue wait has no latency");

	/* A gso_type without gso_size is no super-frame: the GSO share
	 * counts gso_size alone (the anomaly rules see the odd gso_type). */
	ev = ev_at(VNO_HOP_XMIT, NS_A, 5, "tap0", 1514);
	ev.f.gso_type = VNO_GSO_UDP_L4;
	add(a, &ev);
	cr_assert_eq(e->gso_frames, 3);
	cr_assert_eq(e->gso_size.min, 1448);

	j = summary_json(a, 0, 0, 2.5);
	cr_assert_jq(j, ".devices[0] | .frames == 5 and .gso_frames == 3 and .gso_share == 0.6");
	cr_assert_jq(j, ".devices[0].gso_size | .count == 3 and .min == 1448 and .max == 8948 and "
			".p50 >= 1280 and .p50 < 1536");
	cr_assert_jq(j, ".devices[0].gso_segs | .count == 3 and .max == 44");
	cr_assert_jq(j, ".devices[0].latency_ns | .count == 0 and .p50 == 0");
	cr_assert_jq(j, ".duration_s == 2.5 and .records == 5");
	free(j);
	agg__free(a);
}

Test(agg, latency_only_where_measured)
{
	struct agg *a = agg__new();
	struct vno_event ev;
	char *j;

	for (__u64 v = 1; v <= 1000; v++) {
		ev = ev_at(VNO_HOP_DONE, NS_A, 2, "eth0", 100);
		ev.f.latency_ns = v;
		add(a, &ev);
	}
	ev = ev_at(VNO_HOP_DROP, NS_A, 2, "eth0", 100);
	ev.f.latency_ns = 5;
	add(a, &ev);
	ev = ev_at(VNO_HOP_XMIT, NS_A, 2, "eth0", 100);
	ev.f.latency_ns = 777;
	add(a, &ev);
	ev.f.flags = VNO_F_QUEUE_WAIT;
	ev.f.latency_ns = 888;
	add(a, &ev);
	ev = ev_at(VNO_HOP_TC_EGRESS, NS_A, 2, "eth0", 100);
	ev.f.latency_ns = 999;
	add(a, &ev);

	cr_assert_eq(entry(a, NS_A, 2, VNO_HOP_DONE)->latency.count, 1000);
	cr_assert_eq(entry(a, NS_A, 2, VNO_HOP_DONE)->latency.min, 1);
	cr_assert_eq(entry(a, NS_A, 2, VNO_HOP_DONE)->latency.max, 1000);
	cr_assert_eq(entry(a, NS_A, 2, VNO_HOP_DROP)->latency.count, 1);
	cr_assert_eq(entry(a, NS_A, 2, VNO_HOP_XMIT)->latency.count, 1, "queue wait only");
	cr_assert_eq(entry(a, NS_A, 2, VNO_HOP_XMIT)->latency.max, 888);
	cr_assert_eq(entry(a, NS_A, 2, VNO_HOP_TC_EGRESS)->latency.count, 0);

	j = summary_json(a, 0, 0, 1);
	cr_assert_jq(j, ".devices[] | select(.hop == \"done\") | .latency_ns | "
			".count == 1000 and .min == 1 and .max == 1000 and "
			".p50 >= 375 and .p50 <= 625 and .p99 >= 742 and .p99 <= 1000");
	free(j);
	agg__free(a);
}

Test(agg, csum_states)
{
	struct agg *a = agg__new();
	struct agg_entry *e;
	struct vno_event ev;
	static const __u8 states[] = { 0, 3, 3, 3, 1, 2, 2, 9, 255 };
	char *j;

	for (size_t i = 0; i < sizeof(states); i++) {
		ev = ev_at(VNO_HOP_TC_EGRESS, NS_A, 4, "veth0", 100);
		ev.f.ip_summed = states[i];
		add(a, &ev);
	}
	e = entry(a, NS_A, 4, VNO_HOP_TC_EGRESS);
	cr_assert_eq(e->frames, 9, "out-of-range ip_summed still counts as a frame");
	cr_assert_eq(e->csum[VNO_CSUM_NONE], 1);
	cr_assert_eq(e->csum[VNO_CSUM_UNNECESSARY], 1);
	cr_assert_eq(e->csum[VNO_CSUM_COMPLETE], 2);
	cr_assert_eq(e->csum[VNO_CSUM_PARTIAL], 3);
	j = summary_json(a, 0, 0, 1);
	cr_assert_jq(j, ".devices[0].ip_summed == {\"none\":1,\"unnecessary\":1,\"complete\":2,"
			"\"partial\":3}");
	free(j);
	agg__free(a);
}

static const char *fake_reason(unsigned r)
{
	switch (r) {
	case 2: return "NOT_SPECIFIED";
	case 16: return "QDISC_\"DROP\"";
	default: return NULL;
	}
}

Test(agg, drop_reasons_counted)
{
	struct agg *a = agg__new();
	struct agg_entry *e;
	struct vno_event ev;
	static const __u32 reasons[] = { 2, 16, 2, 77, 2, 0 };
	char *j, *t;

	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++) {
		ev = ev_at(VNO_HOP_DROP, NS_A, 2, "eth0", 100);
		ev.f.flags = VNO_F_FREED;
		ev.f.drop_reason = reasons[i];
		add(a, &ev);
	}
	/* Consumed, not freed: a leftover drop_reason is not a drop. */
	ev = ev_at(VNO_HOP_DONE, NS_A, 2, "eth0", 100);
	ev.f.drop_reason = 2;
	add(a, &ev);

	e = entry(a, NS_A, 2, VNO_HOP_DROP);
	cr_assert_eq(e->drops[0].reason, 2);
	cr_assert_eq(e->drops[0].count, 3);
	cr_assert_eq(e->drops[1].reason, 16);
	cr_assert_eq(e->drops[1].count, 1);
	cr_assert_eq(e->drops[2].reason, 77);
	cr_assert_eq(e->drops[3].reason, 0, "reason 0 is a reason too");
	cr_assert_eq(e->drops[3].count, 1);
	cr_assert_eq(e->drops[4].count, 0);
	cr_assert_eq(e->drops_other, 0);
	cr_assert_eq(entry(a, NS_A, 2, VNO_HOP_DONE)->drops[0].count, 0);

	j = summary_json(a, 0, 0, 1);
	cr_assert_jq(j, ".devices[] | select(.hop == \"drop\") | .drops == "
			"{\"2\":3,\"16\":1,\"77\":1,\"0\":1}");
	cr_assert_jq(j, ".devices[] | select(.hop == \"done\") | .drops == {}");
	free(j);

	/* Names from the running kernel, escaped. */
	vno_drop_reason_name = fake_reason;
	j = summary_json(a, 0, 0, 1);
	t = summary_text(a, 0, 0);
	vno_drop_reason_name = NULL;
	cr_assert_jq(j, ".devices[] | select(.hop == \"drop\") | .drops == "
			"{\"NOT_SPECIFIED\":3,\"QDISC_\\\"DROP\\\"\":1,\"77\":1,\"0\":1}");
	cr_assert(strstr(t, "freed 3x reason NOT_SPECIFIED"), "%s", t);
	cr_assert(strstr(t, "freed 1x reason 77"), "%s", t);
	free(j);
	free(t);
	agg__free(a);
}

Test(agg, drops_beyond_the_reason_table_are_reported)
{
	struct agg *a = agg__new();
	struct agg_entry *e;
	struct vno_event ev;
	char *j;

	/* More distinct reasons than AGG_MAX_REASONS: the rest go to
	 * drops_other, and the summary must still add up. */
	for (__u32 r = 0; r < AGG_MAX_REASONS + 3; r++) {
		ev = ev_at(VNO_HOP_DROP, NS_A, 2, "eth0", 100);
		ev.f.flags = VNO_F_FREED;
		ev.f.drop_reason = 100 + r;
		add(a, &ev);
	}
	e = entry(a, NS_A, 2, VNO_HOP_DROP);
	cr_assert_eq(e->drops_other, 3);
	cr_assert_eq(e->drops[AGG_MAX_REASONS - 1].reason, 100 + AGG_MAX_REASONS - 1);
	j = summary_json(a, 0, 0, 1);
	cr_assert_jq(j, ".devices[0].frames == 19");
	cr_assert_jq(j, "[.devices[0].drops[]] | add == 19");
	free(j);
	agg__free(a);
}

Test(agg, anomalies_records_and_timestamps)
{
	struct agg *a = agg__new();
	struct vno_event ev;
	static const __u64 ts[] = { 5000, 1000, 9000, 3000 };

	for (int i = 0; i < 4; i++) {
		ev = ev_at(VNO_HOP_XMIT, NS_A, 2, "eth0", 100);
		ev.f.ts_ns = ts[i];
		if (i % 2)
			ev.f.flags = VNO_F_ANOMALY;
		add(a, &ev);
	}
	cr_assert_eq(a->records, 4);
	cr_assert_eq(a->first_ts, 1000);
	cr_assert_eq(a->last_ts, 9000);
	cr_assert_eq(entry(a, NS_A, 2, VNO_HOP_XMIT)->anomalies, 2);
	agg__free(a);
}

Test(agg, many_interfaces_grow_the_table)
{
	struct agg *a = agg__new();
	struct vno_event ev;
	char name[16];

	for (int round = 0; round < 2; round++)
		for (__u32 i = 1; i <= 200; i++) {
			snprintf(name, sizeof(name), "veth%u", i);
			ev = ev_at(i % VNO_HOP__MAX, NS_A + (i % 3), i, name, i);
			add(a, &ev);
		}
	cr_assert_eq(a->n, 200);
	cr_assert_eq(a->records, 400);
	for (__u32 i = 1; i <= 200; i++) {
		struct agg_entry *e = entry(a, NS_A + (i % 3), i, i % VNO_HOP__MAX);

		cr_assert_not_null(e, "ifindex %u lost", i);
		cr_assert_eq(e->frames, 2);
		cr_assert_eq(e->bytes, 2 * i);
		snprintf(name, sizeof(name), "veth%u", i);
		cr_assert_str_eq(e->dev, name);
	}
	agg__free(a);
	agg__free(NULL);
}

Test(agg, full_length_dev_name)
{
	struct agg *a = agg__new();
	struct vno_event ev = ev_at(VNO_HOP_XMIT, NS_A, 2, "0123456789abcdef", 1);
	char *j;

	/* IFNAMSIZ bytes and no terminator in the record. */
	add(a, &ev);
	cr_assert_str_eq(a->e[0].dev, "0123456789abcdef");
	j = summary_json(a, 0, 0, 1);
	cr_assert_jq(j, ".devices[0].dev == \"0123456789abcdef\"");
	free(j);
	agg__free(a);
}

Test(agg, json_top_level_and_empty)
{
	struct agg *a = agg__new();
	struct vno_event ev;
	char *j;

	j = summary_json(a, 0, 0, 0);
	cr_assert_jq(j, ".type == \"summary\" and .records == 0 and .devices == []");
	free(j);

	ev = ev_at(VNO_HOP_XMIT, NS_A, 2, "eth0", 100);
	add(a, &ev);
	j = summary_json(a, 12, 34, 10.25);
	cr_assert_jq(j, ".lost_events == 12 and .unmatched_completions == 34 and "
			".duration_s == 10.25 and .records == 1");
	cr_assert_jq(j, ".devices[0] | .hop == \"xmit\" and .anomalies == 0 and .gso_share == 0");
	free(j);
	agg__free(a);
}

Test(agg, text_summary)
{
	struct agg *a = agg__new();
	struct vno_event ev;
	char *t;

	t = summary_text(a, 0, 0);
	cr_assert(strstr(t, "(no frames recorded)"), "%s", t);
	cr_assert(strstr(t, "events lost (ring buffer full): 0"), "%s", t);
	cr_assert_null(strstr(t, "completions not tracked"), "%s", t);
	free(t);

	ev = ev_at(VNO_HOP_XMIT, NS_A, 3, "zz0", 100);
	add(a, &ev);
	ev = ev_at(VNO_HOP_XMIT, NS_A, 2, "aa0", 100);
	ev.f.gso_size = 1448;
	ev.f.gso_segs = 2;
	ev.f.gso_type = VNO_GSO_TCPV4;
	ev.f.ip_summed = VNO_CSUM_PARTIAL;
	add(a, &ev);
	t = summary_text(a, 7, 3);
	cr_assert_null(strstr(t, "(no frames recorded)"), "%s", t);
	cr_assert(strstr(t, "aa0") && strstr(t, "zz0") && strstr(t, "aa0") < strstr(t, "zz0"),
		  "sorted by device:\n%s", t);
	cr_assert(strstr(t, "1448/1448"), "%s", t);
	cr_assert(strstr(t, "0/0/0/1"), "%s", t);
	cr_assert(strstr(t, "events lost (ring buffer full): 7"), "%s", t);
	cr_assert(strstr(t, "completions not tracked (state displaced): 3"), "%s", t);
	free(t);
	agg__free(a);
}

/* Done records that changed after xmit are counted; the release counts of
 * the BPF side reach the xmit row, survive the summary's JSON (a capture's
 * "summary" note) and are unknown (null) where no one said them. */
Test(agg, release_counts)
{
	struct agg *a = agg__new(), *b = agg__new();
	struct vno_event ev;
	char *j, *j2, *t;
	size_t tl;
	FILE *f;

	for (int i = 0; i < 5; i++) {
		ev = ev_at(VNO_HOP_XMIT, NS_A, 3, "vnta0", 31922);
		ev.f.gso_size = 1448;
		ev.f.gso_segs = 22;
		add(a, &ev);
		add(b, &ev);
	}
	for (int i = 0; i < 3; i++) {
		ev = ev_at(VNO_HOP_DONE, NS_A, 3, "vnta0", 31922);
		ev.f.gso_size = 1448;
		ev.f.gso_segs = 22;
		if (i == 0) {
			ev.f.flags |= VNO_F_CHANGED;
			ev.f.merged_len = 340346;
			ev.f.merged_segs = 145;
		}
		add(a, &ev);
		add(b, &ev);
	}
	j = summary_json(a, 0, 0, 1.0);
	cr_assert_jq(j, ".devices | map(select(.hop == \"xmit\"))[0] | "
			".released_unseen == null and .in_flight_at_end == null");
	free(j);
	agg__add_release(a, NS_A, 3, 1, 0);
	agg__add_release(a, NS_A, 3, 0, 1); /* a second queue adds up */
	agg__add_release(a, NS_A, 99, 7, 7); /* no xmit row: nothing */
	j = summary_json(a, 0, 0, 1.0);
	cr_assert_jq(j, ".devices | map(select(.hop == \"xmit\"))[0] | "
			".released_unseen == 1 and .in_flight_at_end == 1");
	cr_assert_jq(j, ".devices | map(select(.hop == \"done\"))[0] | "
			".changed == 1 and .released_unseen == null and .gso_segs.max == 22");
	cr_assert_jq(j, ".devices | length == 2");
	f = open_memstream(&t, &tl);
	agg_print(f, a, 0, 0);
	fclose(f);
	cr_assert(strstr(t, "released: 3 seen (done), 1 unseen"), "%s", t);
	cr_assert(strstr(t, "1 in flight at the end"), "%s", t);
	cr_assert(strstr(t, "1 released changed since xmit (a receiver's GRO merged"), "%s", t);
	free(t);
	agg__release_from_json(b, j);
	agg__release_from_json(b, "{\"devices\":[{\"netns\":1}], not json");
	j2 = summary_json(b, 0, 0, 1.0);
	cr_assert_jq(j2, ".devices | map(select(.hop == \"xmit\"))[0] | "
			 ".released_unseen == 1 and .in_flight_at_end == 1");
	free(j2);
	free(j);
	agg__free(a);
	agg__free(b);
}

/* A DF cause says the answer once, in the rule's words; one freed after
 * all says DF without claiming an answer. */
Test(agg, drop_cause_df)
{
	struct agg_cause c = { .freed = false, .rule = ANOMALY_DF_SEGMENT_OVER_PATH_MTU,
			       .fit = { .segment = 1488, .gso_size = 1448, .headers = 40,
					.mtu = 1450, .overhead = 50, .refused_ip = 4 } };
	const char *nums = "segments of 1488 B (gso_size 1448 + 40 B of headers) > MTU 1450 of "
			   "vxlan0 (VXLAN over IPv4 adds 50 B: they need 1538 on the underlay)";
	char s[512], want[512];

	strcpy(c.fit.tunnel, "VXLAN over IPv4");
	agg_cause_str(&c, "vxlan0", s, sizeof(s));
	snprintf(want, sizeof(want), "refused at vxlan0: %s; DF set: answered with ICMP "
				     "\"fragmentation needed\" (MTU 1450), not fragmented", nums);
	cr_assert_str_eq(s, want);
	c.freed = true;
	agg_cause_str(&c, "vxlan0", s, sizeof(s));
	snprintf(want, sizeof(want), "dropped at vxlan0: %s; DF set: not fragmented", nums);
	cr_assert_str_eq(s, want);
	c.fit.refused_ip = 6;
	agg_cause_str(&c, "vxlan0", s, sizeof(s));
	snprintf(want, sizeof(want), "dropped at vxlan0: %s; IPv6: not fragmented", nums);
	cr_assert_str_eq(s, want);
}

/* Drops the numbers explain: counted by (fate, reason, rule) on the done
 * row, the longest segment kept, the remedy beside them. */
Test(agg, drop_causes_with_remedy)
{
	struct agg *a = agg__new();
	struct vno_event ev = fr_meta(VNO_HOP_DONE, NS_A, 4, "vxlan0");
	struct agg_cause c = { .freed = false, .rule = ANOMALY_TUNNEL_SEGMENT_OVER_MTU,
			       .fit = { .segment = 1488,
					.gso_size = 1448, .headers = 40, .mtu = 1450,
					.overhead = 50 } };
	char *j, *t, s[512];

	cr_assert_not_null(a);
	strcpy(c.fit.tunnel, "VXLAN over IPv4");
	strcpy(c.origin, "tap0");
	strcpy(c.vm, "web-01");
	ev.f.flags = VNO_F_CHANGED;
	for (int i = 0; i < 3; i++) {
		cr_assert_eq(agg__add(a, &ev), 0);
		if (i == 2)
			strcpy(c.underlay, "up0");
		agg__add_cause(a, &ev, &c);
	}
	/* Freed ones are another row of causes, by their reason. */
	ev.f.flags = VNO_F_FREED;
	ev.f.drop_reason = 2;
	c.freed = true;
	c.reason = 2;
	c.fit.segment = 1500;
	c.fit.gso_size = 1460;
	cr_assert_eq(agg__add(a, &ev), 0);
	agg__add_cause(a, &ev, &c);
	agg_cause_str(&a->e[0].causes[0], "vxlan0", s, sizeof(s));
	cr_assert_str_eq(s, "refused at vxlan0: segments of 1488 B (gso_size 1448 + 40 B of headers) "
			    "> MTU 1450 of vxlan0 (VXLAN over IPv4 adds 50 B: they need 1538 on the "
			    "underlay); the kernel answered the sender with an ICMP \"too big\" (MTU "
			    "1450) in its place");
	j = summary_json(a, 0, 0, 1.0);
	cr_assert_jq(j, ".devices[0].drop_causes | length == 2 and .[0].frames == 3 and "
			".[0].fate == \"answered_icmp_too_big\" and .[0].reason == null and "
			".[0].origin == \"tap0\" and .[0].vm == \"web-01\" and .[0].underlay == \"up0\" and "
			".[0].remedy.guest_mtu == 1450 and .[0].remedy.underlay_mtu == 1550 and "
			".[0].remedy.underlay_mtu_min == 1538 and .[0].remedy.tunnel_mtu == 1500 and "
			".[0].remedy.libvirt == \"<mtu size=\\u00271450\\u0027/>\" and "
			".[0].remedy.underlay == \"ip link set dev up0 mtu 1550; ip link set dev vxlan0 mtu 1500\" and "
			".[1].frames == 1 and .[1].fate == \"dropped\" and .[1].reason != null and "
			".[1].segment == 1500 and (.[1].cause | startswith(\"dropped at vxlan0: segments of 1500 B\")) and "
			".[1].underlay == \"up0\" and .[1].remedy.underlay_mtu == 1550");
	t = summary_text(a, 0, 0);
	cr_assert_not_null(strstr(t, "3x refused at vxlan0: segments of 1488 B"), "%s", t);
	cr_assert_not_null(strstr(t, "from tap0, VM web-01"), "%s", t);
	cr_assert_not_null(strstr(t, "remedy: give the guest MTU 1450 (QEMU -device "
				     "virtio-net-pci,…,host_mtu=1450;"), "%s", t);
	free(j);
	free(t);
	agg__free(a);
}
