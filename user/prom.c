// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Text exposition format 0.0.4 from plain structs. Every device series has
 * node_exporter's `device` label; counters end in _total; units are base
 * units (bytes, seconds). Rows are sorted and rows with equal labels summed,
 * so the output is deterministic and no series appears twice (Prometheus
 * drops a scrape's duplicate samples; promtool 2.42 does not notice them).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "decode.h"
#include "prom.h"

static const char *const gk_names[VNO_GK__MAX] = {
	[VNO_GK_NONE] = "none",	    [VNO_GK_TCPV4] = "tcpv4", [VNO_GK_TCPV6] = "tcpv6",
	[VNO_GK_UDP_L4] = "udp_l4", [VNO_GK_OTHER] = "other",
};

const char *prom_gso_kind_name(unsigned kind)
{
	return kind < VNO_GK__MAX ? gk_names[kind] : "?";
}

/* ---- label values ---------------------------------------------------------- */

/* Length of the well-formed UTF-8 sequence at @s (RFC 3629: no overlongs,
 * no surrogates, nothing past U+10FFFF), or 0. */
static int utf8_len(const unsigned char *s)
{
	unsigned c = s[0];
	int n, i;
	unsigned cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		n = 2, cp = c & 0x1F;
	else if (c >= 0xE0 && c <= 0xEF)
		n = 3, cp = c & 0x0F;
	else if (c >= 0xF0 && c <= 0xF4)
		n = 4, cp = c & 0x07;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3F);
	}
	if ((n == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
		return 0;
	return n;
}

/* One input character's form in a label value: \\, \" and \n escaped, a
 * byte that does not start well-formed UTF-8 replaced with U+FFFD. Returns
 * the input bytes it stands for. */
static int escape_one(const unsigned char *p, const char **rep, size_t *len)
{
	int n = utf8_len(p);

	switch (*p) {
	case '\\': *rep = "\\\\"; *len = 2; return 1;
	case '"': *rep = "\\\""; *len = 2; return 1;
	case '\n': *rep = "\\n"; *len = 2; return 1;
	}
	if (!n) {
		*rep = "\xEF\xBF\xBD";
		*len = 3;
		return 1;
	}
	*rep = (const char *)p;
	*len = n;
	return n;
}

void prom_label_value(FILE *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	const char *rep;
	size_t len;

	while (*p) {
		p += escape_one(p, &rep, &len);
		fwrite(rep, 1, len, out);
	}
}

/*
 * A label set being built: name="value" pairs, comma-separated. Values are
 * cut at LABEL_VALUE_MAX input bytes (ours are device names, hook names,
 * drop reasons, VM names: far shorter), so at most 6 labels (device, vm,
 * netns, hop, gso, state) of at most 3 output bytes per input byte always
 * fit.
 */
#define LABEL_VALUE_MAX 128

struct lbuf {
	char s[6 * (3 * LABEL_VALUE_MAX + 24) + 1];
	size_t n;
};

static void lb_put(struct lbuf *b, const char *p, size_t len)
{
	if (b->n + len >= sizeof(b->s))
		len = sizeof(b->s) - 1 - b->n; /* not reached with <= 6 labels */
	memcpy(b->s + b->n, p, len);
	b->n += len;
	b->s[b->n] = '\0';
}

static void lb_label(struct lbuf *b, const char *name, const char *value)
{
	const unsigned char *p = (const unsigned char *)(value ? value : ""), *start = p;
	const char *rep;
	size_t len;

	if (b->n)
		lb_put(b, ",", 1);
	lb_put(b, name, strlen(name));
	lb_put(b, "=\"", 2);
	/* A cut inside a UTF-8 sequence leaves a U+FFFD: still valid. */
	while (*p && p - start < LABEL_VALUE_MAX) {
		p += escape_one(p, &rep, &len);
		lb_put(b, rep, len);
	}
	lb_put(b, "\"", 1);
}

static void lb_label_u(struct lbuf *b, const char *name, unsigned long long v)
{
	char num[24];

	snprintf(num, sizeof(num), "%llu", v);
	lb_label(b, name, num);
}

/* ---- numbers ---------------------------------------------------------------- */

/* @v / 10^@digits as an exact decimal, without trailing zeros: the same
 * text for the same value on every scrape (le is compared as a string). */
static void fmt_fixed(char *buf, size_t len, unsigned long long v, int digits)
{
	unsigned long long div = 1;
	size_t n;

	for (int i = 0; i < digits; i++)
		div *= 10;
	n = snprintf(buf, len, "%llu.%0*llu", v / div, digits, v % div);
	while (n > 0 && buf[n - 1] == '0')
		buf[--n] = '\0';
	if (n > 0 && buf[n - 1] == '.')
		buf[--n] = '\0';
}

/* ---- families ----------------------------------------------------------------- */

static void family(FILE *out, const char *name, const char *type, const char *help)
{
	/* HELP escapes backslash and line feed; ours have neither. */
	fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void sample(FILE *out, const char *name, const struct lbuf *lb, unsigned long long v)
{
	if (lb && lb->n)
		fprintf(out, "%s{%s} %llu\n", name, lb->s, v);
	else
		fprintf(out, "%s %llu\n", name, v);
}

/*
 * A histogram from log2 slots: slot i holds [2^(i-1), 2^i), slot 0 holds 0,
 * the last slot everything above (vno.h). @le(i) is the upper bound of
 * slot i; the last slot only feeds +Inf. _count is the sum of the slots,
 * so it equals +Inf even when a slot and the BPF side's own count are read
 * a moment apart.
 */
static void histogram(FILE *out, const char *name, const struct lbuf *lb, const __u64 *slots,
		      unsigned n, void (*le)(char *, size_t, unsigned), const char *sum)
{
	unsigned long long cum = 0;
	char bound[32];

	for (unsigned i = 0; i + 1 < n; i++) {
		cum += slots[i];
		le(bound, sizeof(bound), i);
		fprintf(out, "%s_bucket{%s%sle=\"%s\"} %llu\n", name, lb->s, lb->n ? "," : "",
			bound, cum);
	}
	cum += slots[n - 1];
	fprintf(out, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name, lb->s, lb->n ? "," : "", cum);
	if (sum)
		fprintf(out, "%s_sum{%s} %s\n", name, lb->s, sum);
	fprintf(out, "%s_count{%s} %llu\n", name, lb->s, cum);
}

/* Integer values: slot i holds up to 2^i - 1. */
static void le_int(char *buf, size_t len, unsigned i)
{
	snprintf(buf, len, "%llu", (1ULL << i) - 1);
}

/* Microsecond slots as seconds: slot i holds less than 2^i us. */
static void le_us(char *buf, size_t len, unsigned i)
{
	fmt_fixed(buf, len, 1ULL << i, 6);
}

static __u64 slots_sum(const __u64 *s, unsigned n)
{
	__u64 t = 0;

	for (unsigned i = 0; i < n; i++)
		t += s[i];
	return t;
}

/* ---- sorting and merging -------------------------------------------------------- */

static const char *nz(const char *s)
{
	return s ? s : "";
}

struct dev_key {
	const char *dev;
	__u32 netns;
	const char *vm;
};

static int dev_cmp(const struct dev_key *a, const struct dev_key *b, bool by_netns)
{
	int c = strcmp(nz(a->dev), nz(b->dev));

	if (!c)
		c = strcmp(nz(a->vm), nz(b->vm));
	if (c || !by_netns)
		return c;
	return a->netns < b->netns ? -1 : a->netns > b->netns;
}

/* The vm label only where a VM is known: to Prometheus an empty label
 * value is no label, so vm="" would change no series, only add bytes. */
static void lb_dev(struct lbuf *b, const struct dev_key *k, bool by_netns)
{
	lb_label(b, "device", nz(k->dev));
	if (k->vm && k->vm[0])
		lb_label(b, "vm", k->vm);
	if (by_netns)
		lb_label_u(b, "netns", k->netns);
}

struct mstat {
	struct dev_key k;
	unsigned hop, gk;
	struct vno_stats st;
	__u64 size_sum;
};

static int mstat_cmp(const void *pa, const void *pb, void *arg)
{
	const struct mstat *a = pa, *b = pb;
	int c = dev_cmp(&a->k, &b->k, *(bool *)arg);

	if (c)
		return c;
	if (a->hop != b->hop)
		return a->hop < b->hop ? -1 : 1;
	return a->gk < b->gk ? -1 : a->gk > b->gk;
}

static void stats_add(struct vno_stats *dst, const struct vno_stats *src)
{
	__u64 *d = (__u64 *)dst;
	const __u64 *s = (const __u64 *)src;

	_Static_assert(sizeof(struct vno_stats) % sizeof(__u64) == 0, "vno_stats is u64s");
	for (size_t i = 0; i < sizeof(*dst) / sizeof(__u64); i++)
		d[i] += s[i];
}

struct mrow {
	struct dev_key k;
	const char *what;	/* reason, rule, … */
	unsigned long long num;	/* queue */
	long long val;
};

static int mrow_cmp(const void *pa, const void *pb, void *arg)
{
	const struct mrow *a = pa, *b = pb;
	int c = dev_cmp(&a->k, &b->k, *(bool *)arg);

	if (c)
		return c;
	c = strcmp(nz(a->what), nz(b->what));
	if (c)
		return c;
	return a->num < b->num ? -1 : a->num > b->num;
}

/* Sort @n rows and sum those with equal keys; returns the rows left. */
static size_t mrow_merge(struct mrow *r, size_t n, bool by_netns)
{
	size_t out = 0;

	qsort_r(r, n, sizeof(*r), mrow_cmp, &by_netns);
	for (size_t i = 0; i < n; i++) {
		if (out && !mrow_cmp(&r[out - 1], &r[i], &by_netns))
			r[out - 1].val += r[i].val;
		else
			r[out++] = r[i];
	}
	return out;
}

/* ---- the exposition ----------------------------------------------------------- */

static bool many_netns(const struct prom_input *in)
{
	bool have = false;
	__u32 ns = 0;

#define SEEN(x)                                     \
	do {                                        \
		if (have && (x) != ns)              \
			return true;                \
		ns = (x);                           \
		have = true;                        \
	} while (0)
	for (size_t i = 0; i < in->n_stats; i++)
		SEEN(in->stats[i].netns);
	for (size_t i = 0; i < in->n_queues; i++)
		SEEN(in->queues[i].netns);
	for (size_t i = 0; i < in->n_drops; i++)
		SEEN(in->drops[i].netns);
	for (size_t i = 0; i < in->n_anomalies; i++)
		SEEN(in->anomalies[i].netns);
	for (size_t i = 0; i < in->n_explained; i++)
		SEEN(in->explained[i].netns);
	for (size_t i = 0; i < in->n_offloads; i++)
		SEEN(in->offloads[i].netns);
#undef SEEN
	return false;
}

static void write_info(FILE *out, const struct prom_input *in)
{
	struct lbuf lb = {};

	family(out, "vnoffload_build_info", "gauge",
	       "vnoffload-trace build information; always 1.");
	lb_label(&lb, "version", nz(in->version));
	sample(out, "vnoffload_build_info", &lb, 1);

	family(out, "vnoffload_hook_info", "gauge",
	       "Kernel hook observing each hop (\"none: why\" when the hop is not observed); "
	       "always 1.");
	for (size_t i = 0; i < in->n_hooks; i++) {
		bool dup = false;

		for (size_t j = 0; j < i && !dup; j++)
			dup = !strcmp(nz(in->hooks[j].hop), nz(in->hooks[i].hop)) &&
			      !strcmp(nz(in->hooks[j].hook), nz(in->hooks[i].hook));
		if (dup)
			continue;
		lb = (struct lbuf){};
		lb_label(&lb, "hop", nz(in->hooks[i].hop));
		lb_label(&lb, "hook", nz(in->hooks[i].hook));
		sample(out, "vnoffload_hook_info", &lb, 1);
	}
}

static void lb_stat(struct lbuf *lb, const struct mstat *m, bool by_netns, bool hop)
{
	*lb = (struct lbuf){};
	lb_dev(lb, &m->k, by_netns);
	if (hop)
		lb_label(lb, "hop", vno_hop_name(m->hop));
	lb_label(lb, "gso", prom_gso_kind_name(m->gk));
}

static void write_stats(FILE *out, const struct prom_input *in, const struct mstat *m, size_t n,
			bool by_netns)
{
	struct lbuf lb;
	char sum[48];

	family(out, "vnoffload_frames_total", "counter",
	       "Frames (skbs) seen on a device at a hop, by GSO kind. At done only the "
	       "offload-carrying frames followed from xmit.");
	for (size_t i = 0; i < n; i++) {
		lb_stat(&lb, &m[i], by_netns, true);
		sample(out, "vnoffload_frames_total", &lb, m[i].st.frames);
	}
	family(out, "vnoffload_bytes_total", "counter",
	       "Bytes (skb->len) of the frames in vnoffload_frames_total.");
	for (size_t i = 0; i < n; i++) {
		lb_stat(&lb, &m[i], by_netns, true);
		sample(out, "vnoffload_bytes_total", &lb, m[i].st.bytes);
	}
	family(out, "vnoffload_ip_summed_frames_total", "counter",
	       "Frames by checksum state (skb->ip_summed: none, unnecessary, complete, "
	       "partial).");
	for (size_t i = 0; i < n; i++) {
		for (unsigned c = 0; c < VNO_CSUM__MAX; c++) {
			lb_stat(&lb, &m[i], by_netns, true);
			lb_label(&lb, "state", vno_csum_name(c));
			sample(out, "vnoffload_ip_summed_frames_total", &lb, m[i].st.csum[c]);
		}
	}
	family(out, "vnoffload_gso_segs", "histogram",
	       "gso_segs of GSO frames (segments the frame is cut into; 0 while the kernel "
	       "has not counted a guest's frame yet), log2 buckets.");
	for (size_t i = 0; i < n; i++) {
		if (m[i].gk == VNO_GK_NONE || !slots_sum(m[i].st.gso_segs, VNO_SEGS_SLOTS))
			continue;
		lb_stat(&lb, &m[i], by_netns, true);
		snprintf(sum, sizeof(sum), "%llu", (unsigned long long)m[i].st.segs);
		histogram(out, "vnoffload_gso_segs", &lb, m[i].st.gso_segs, VNO_SEGS_SLOTS, le_int,
			  sum);
	}
	family(out, "vnoffload_gso_size_bytes", "histogram",
	       in->have_gso_size_sum
		       ? "gso_size (segment payload, the MSS) of GSO frames in bytes, log2 buckets."
		       : "gso_size (segment payload, the MSS) of GSO frames in bytes, log2 buckets; "
			 "no _sum: the in-kernel aggregate keeps none.");
	for (size_t i = 0; i < n; i++) {
		if (m[i].gk == VNO_GK_NONE || !slots_sum(m[i].st.gso_size, VNO_SIZE_SLOTS))
			continue;
		lb_stat(&lb, &m[i], by_netns, true);
		snprintf(sum, sizeof(sum), "%llu", (unsigned long long)m[i].size_sum);
		histogram(out, "vnoffload_gso_size_bytes", &lb, m[i].st.gso_size, VNO_SIZE_SLOTS,
			  le_int, in->have_gso_size_sum ? sum : NULL);
	}
	family(out, "vnoffload_tx_completion_latency_seconds", "histogram",
	       "Time from the hand-off to the driver (xmit) to the release of the frame "
	       "(consume_skb or kfree_skb), offload-carrying frames, log2 buckets.");
	for (size_t i = 0; i < n; i++) {
		if (m[i].hop != VNO_HOP_DONE)
			continue;
		lb_stat(&lb, &m[i], by_netns, false);
		fmt_fixed(sum, sizeof(sum), m[i].st.lat_sum_ns, 9);
		histogram(out, "vnoffload_tx_completion_latency_seconds", &lb, m[i].st.lat,
			  VNO_LOG2_SLOTS, le_us, sum);
	}
}

static int write_rows(FILE *out, const struct prom_input *in, bool by_netns)
{
	size_t n = in->n_queues, nq, nd, na;
	struct mrow *r;
	struct lbuf lb;

	if (in->n_drops > n)
		n = in->n_drops;
	if (in->n_anomalies > n)
		n = in->n_anomalies;
	if (in->n_offloads > n)
		n = in->n_offloads;
	if (in->n_explained > n)
		n = in->n_explained;
	r = calloc(n ? n : 1, sizeof(*r));
	if (!r)
		return -ENOMEM;

	family(out, "vnoffload_frames_in_flight", "gauge",
	       "Offload-carrying frames handed to the driver on a TX queue and not released "
	       "yet (frames freed without a tracepoint leave it when a new skb takes their "
	       "state: vnoffload_released_unseen_total).");
	for (size_t i = 0; i < in->n_queues; i++) {
		const struct prom_queue *q = &in->queues[i];

		r[i] = (struct mrow){ .k = { q->dev, q->netns, q->vm }, .num = q->queue,
				      .val = q->inflight > 0 ? q->inflight : 0 };
	}
	nq = mrow_merge(r, in->n_queues, by_netns);
	for (size_t i = 0; i < nq; i++) {
		lb = (struct lbuf){};
		lb_dev(&lb, &r[i].k, by_netns);
		lb_label_u(&lb, "queue", r[i].num);
		sample(out, "vnoffload_frames_in_flight", &lb, r[i].val);
	}

	family(out, "vnoffload_released_unseen_total", "counter",
	       "Frames handed to the driver on a device whose release no tracepoint showed: "
	       "their state was taken by a new skb at the same address (freed untraced, e.g. "
	       "absorbed by a veth or loopback receiver's GRO) or displaced from a full table. "
	       "xmit = done + drops after xmit + released unseen + in flight.");
	for (size_t i = 0; i < in->n_queues; i++) {
		const struct prom_queue *q = &in->queues[i];

		r[i] = (struct mrow){ .k = { q->dev, q->netns, q->vm }, .val = (long long)q->unseen };
	}
	nq = mrow_merge(r, in->n_queues, by_netns);
	for (size_t i = 0; i < nq; i++) {
		lb = (struct lbuf){};
		lb_dev(&lb, &r[i].k, by_netns);
		sample(out, "vnoffload_released_unseen_total", &lb, (unsigned long long)r[i].val);
	}

	family(out, "vnoffload_drops_total", "counter",
	       "Frames freed with a drop reason (kfree_skb) after xmit on a device, or "
	       "dropped on a watched device; reason as the running kernel names it.");
	for (size_t i = 0; i < in->n_drops; i++) {
		const struct prom_drop *d = &in->drops[i];

		r[i] = (struct mrow){ .k = { d->dev, d->netns, d->vm }, .what = nz(d->reason),
				      .val = (long long)d->count };
	}
	nd = mrow_merge(r, in->n_drops, by_netns);
	for (size_t i = 0; i < nd; i++) {
		lb = (struct lbuf){};
		lb_dev(&lb, &r[i].k, by_netns);
		lb_label(&lb, "reason", r[i].what);
		sample(out, "vnoffload_drops_total", &lb, (unsigned long long)r[i].val);
	}

	/* Rows without a rule are the frames checked; "" sorts them first. */
	for (size_t i = 0; i < in->n_anomalies; i++) {
		const struct prom_anomaly *a = &in->anomalies[i];

		r[i] = (struct mrow){ .k = { a->dev, a->netns, a->vm }, .what = nz(a->rule),
				      .val = (long long)a->count };
	}
	na = mrow_merge(r, in->n_anomalies, by_netns);
	family(out, "vnoffload_anomaly_checked_frames_total", "counter",
	       "Frames of the device's in-kernel flight recorder (the last frames handed to "
	       "the driver) checked against the anomaly rules, at scrape time.");
	for (size_t i = 0; i < na; i++) {
		if (r[i].what[0])
			continue;
		lb = (struct lbuf){};
		lb_dev(&lb, &r[i].k, by_netns);
		sample(out, "vnoffload_anomaly_checked_frames_total", &lb,
		       (unsigned long long)r[i].val);
	}
	family(out, "vnoffload_anomalies_total", "counter",
	       "Frames tripping an anomaly rule, counted over the flight recorder's frames "
	       "checked at scrape time (vnoffload_anomaly_checked_frames_total), not over "
	       "every frame.");
	for (size_t i = 0; i < na; i++) {
		if (!r[i].what[0])
			continue;
		lb = (struct lbuf){};
		lb_dev(&lb, &r[i].k, by_netns);
		lb_label(&lb, "rule", r[i].what);
		sample(out, "vnoffload_anomalies_total", &lb, (unsigned long long)r[i].val);
	}

	family(out, "vnoffload_drops_explained_total", "counter",
	       "Frames released at a device (freed, or turned into an ICMP answer) that an "
	       "anomaly rule flagged there first, by that rule: the cause the numbers show. "
	       "Over the flight recorder's frames, like vnoffload_anomalies_total.");
	for (size_t i = 0; i < in->n_explained; i++) {
		const struct prom_anomaly *a = &in->explained[i];

		r[i] = (struct mrow){ .k = { a->dev, a->netns, a->vm }, .what = nz(a->rule),
				      .val = (long long)a->count };
	}
	na = mrow_merge(r, in->n_explained, by_netns);
	for (size_t i = 0; i < na; i++) {
		lb = (struct lbuf){};
		lb_dev(&lb, &r[i].k, by_netns);
		lb_label(&lb, "cause", r[i].what);
		sample(out, "vnoffload_drops_explained_total", &lb, (unsigned long long)r[i].val);
	}

	family(out, "vnoffload_offload_enabled", "gauge",
	       "An offload feature of a watched device as ethtool -k names it: 1 on, 0 off; "
	       "every feature the device has, read when it appears and when ethtool says it "
	       "changed.");
	for (size_t i = 0; i < in->n_offloads; i++) {
		const struct prom_offload *o = &in->offloads[i];

		r[i] = (struct mrow){ .k = { o->dev, o->netns, o->vm }, .what = nz(o->feature),
				      .val = o->on };
	}
	na = mrow_merge(r, in->n_offloads, by_netns);
	for (size_t i = 0; i < na; i++) {
		lb = (struct lbuf){};
		lb_dev(&lb, &r[i].k, by_netns);
		lb_label(&lb, "feature", r[i].what);
		/* One device per name at a time: a sum above 1 is not reached. */
		sample(out, "vnoffload_offload_enabled", &lb, r[i].val > 0);
	}
	free(r);
	return 0;
}

static void write_rings(FILE *out, const struct prom_input *in, bool by_netns)
{
	struct lbuf lb;

	family(out, "vnoffload_tx_ring_pending", "gauge",
	       "TX descriptors posted and not done that the driver's own hang report gave "
	       "(tail - head), at the device's last such hang.");
	for (size_t i = 0; i < in->n_rings; i++) {
		struct dev_key k = { in->rings[i].dev, in->rings[i].netns, NULL };

		lb = (struct lbuf){};
		lb_dev(&lb, &k, by_netns);
		sample(out, "vnoffload_tx_ring_pending", &lb, (unsigned long long)in->rings[i].pending);
	}
}

static void write_counters(FILE *out, const struct prom_input *in)
{
	struct lbuf lb;

	family(out, "vnoffload_hangs_total", "counter",
	       "TX hangs diagnosed, by what triggered the diagnosis.");
	for (size_t i = 0; i < in->n_hangs; i++) {
		unsigned long long v = 0;
		bool dup = false;

		for (size_t j = 0; j < i && !dup; j++)
			dup = !strcmp(nz(in->hangs[j].name), nz(in->hangs[i].name));
		if (dup)
			continue;
		for (size_t j = i; j < in->n_hangs; j++)
			if (!strcmp(nz(in->hangs[j].name), nz(in->hangs[i].name)))
				v += in->hangs[j].count;
		lb = (struct lbuf){};
		lb_label(&lb, "source", nz(in->hangs[i].name));
		sample(out, "vnoffload_hangs_total", &lb, v);
	}
	family(out, "vnoffload_events_lost_total", "counter",
	       "Records the BPF side could not hand to user space (ring buffer full).");
	sample(out, "vnoffload_events_lost_total", NULL, in->events_lost);
	family(out, "vnoffload_inflight_table_full_total", "counter",
	       "Frames handed to a driver that could not be followed to their release "
	       "(their state displaced by other skbs in the per-skb table).");
	sample(out, "vnoffload_inflight_table_full_total", NULL, in->inflight_full);
}

int prom_write(FILE *out, const struct prom_input *in)
{
	bool by_netns = in->netns_label || many_netns(in);
	struct mstat *m = NULL;
	size_t n = 0;
	int ret;

	if (in->n_stats) {
		m = calloc(in->n_stats, sizeof(*m));
		if (!m)
			return -ENOMEM;
	}
	for (size_t i = 0; i < in->n_stats; i++) {
		const struct prom_stat *s = &in->stats[i];

		m[i].k = (struct dev_key){ s->dev, s->netns, s->vm };
		m[i].hop = s->hop;
		m[i].gk = s->gso_kind;
		if (s->st)
			m[i].st = *s->st;
		m[i].size_sum = s->gso_size_sum;
	}
	if (in->n_stats)
		qsort_r(m, in->n_stats, sizeof(*m), mstat_cmp, &by_netns);
	for (size_t i = 0; i < in->n_stats; i++) {
		if (n && !mstat_cmp(&m[n - 1], &m[i], &by_netns)) {
			stats_add(&m[n - 1].st, &m[i].st);
			m[n - 1].size_sum += m[i].size_sum;
		} else {
			m[n++] = m[i];
		}
	}

	write_info(out, in);
	write_stats(out, in, m, n, by_netns);
	free(m);
	ret = write_rows(out, in, by_netns);
	if (ret)
		return ret;
	write_rings(out, in, by_netns);
	write_counters(out, in);
	if (fflush(out) || ferror(out))
		return -EIO;
	return 0;
}
