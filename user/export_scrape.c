// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * export's scrape, on an HTTP thread: the in-kernel aggregates, queue
 * states, drops and counters read from the BPF maps (syscalls: safe beside
 * the main thread), and from the pipeline, under the runner's lock, the
 * flight recorders' anomaly counts and the hang counts; then the text
 * exposition (prom.c). Device names are resolved here and remembered.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "anomaly.h"
#include "decode.h"
#include "export.h"
#include "json.h"
#include "live.h"
#include "offwatch.h"
#include "prom.h"

/* The device's name now, or the last one it had, or "ifN". */
static const char *dev_name(struct exporter *ex, __u32 netns, __u32 ifindex)
{
	struct name_entry *e = NULL;
	char buf[IF_NAMESIZE];

	for (size_t i = 0; i < ex->n_names; i++) {
		if (ex->names[i].netns == netns && ex->names[i].ifindex == ifindex) {
			e = &ex->names[i];
			break;
		}
	}
	if (e && e->gen == ex->gen)
		return e->name;
	/* if_indextoname() asks the namespace we live in, the one watched. */
	if (netns == ex->r.netns && if_indextoname(ifindex, buf)) {
		if (!e && ex->n_names < NAME_CACHE_MAX) {
			e = &ex->names[ex->n_names++];
			e->netns = netns;
			e->ifindex = ifindex;
		}
		if (e) {
			snprintf(e->name, sizeof(e->name), "%s", buf);
			e->gen = ex->gen;
			return e->name;
		}
	}
	if (e)
		return e->name;
	for (size_t i = 0; i < ex->r.nall; i++)
		if (ex->r.all[i].netns == netns && ex->r.all[i].ifindex == ifindex)
			return ex->r.all[i].name;
	/* Rare (gone before its first scrape, cache full): a stable name. */
	if (ex->n_names < NAME_CACHE_MAX) {
		e = &ex->names[ex->n_names++];
		*e = (struct name_entry){ .netns = netns, .ifindex = ifindex };
		snprintf(e->name, sizeof(e->name), "if%u", ifindex);
		return e->name;
	}
	return "?";
}

/* What a scrape takes from the pipeline (under the runner's lock). */
struct scrape_pipe {
	struct exporter *ex;
	struct prom_anomaly *pa;	/* per device: checked, then each rule */
	size_t na;
	struct prom_anomaly *pe;	/* drops explained: per device and cause */
	size_t ne;
	struct prom_named hangs[VNO_HANG__MAX];
	struct prom_ring rings[64];
	size_t n_rings;
};

#define ANOMALY_ROWS (ANOMALY__MAX + 1)

static struct prom_anomaly *anomaly_rows(struct scrape_pipe *sp, const char *dev, __u32 netns)
{
	for (size_t k = 0; k < sp->na; k += ANOMALY_ROWS)
		if (sp->pa[k].netns == netns && !strcmp(sp->pa[k].dev, dev))
			return &sp->pa[k];
	return NULL;
}

/*
 * The anomaly counts are the pipeline's: its aggregate holds every frame
 * the flight recorders gave it (export streams nothing else), per device
 * and hop, with the frames per rule tripped. Each watched device with a
 * flight recorder has its rows, zero or not; an aggregate row of its old
 * ifindex (deleted, created again) counts under its name, so the counters
 * stay monotonic.
 */
static void scrape_pipeline(const struct runner *r, void *ctx)
{
	struct scrape_pipe *sp = ctx;
	const struct agg *a = r->pipe.agg;
	struct prom_anomaly *rows;

	sp->pe = calloc(a->n * AGG_MAX_CAUSES + 1, sizeof(*sp->pe));
	/* on_hang writes them with this lock held. */
	memcpy(sp->rings, sp->ex->rings, sizeof(sp->rings));
	sp->n_rings = sp->ex->n_rings;
	for (size_t i = 0; i < r->nsel; i++) {
		const struct vno_iface *it = &r->sel[i];
		const char *dev, *vm;

		/* A place the live set emptied (ifindex 0), or filled again
		 * since the pipeline last looked. */
		if (!it->ifindex || i >= r->n_flight || r->flight[i].ifindex != it->ifindex ||
		    !r->flight[i].has_recorder)
			continue;
		dev = dev_name(sp->ex, it->netns, it->ifindex);
		vm = live_vm(r, it->netns, it->ifindex);
		if (anomaly_rows(sp, dev, it->netns))
			continue;
		sp->pa[sp->na++] = (struct prom_anomaly){ .dev = dev, .vm = vm, .netns = it->netns };
		for (unsigned b = 0; b < ANOMALY__MAX; b++)
			sp->pa[sp->na++] = (struct prom_anomaly){ .dev = dev, .vm = vm,
								  .netns = it->netns,
								  .rule = anomaly_name(b) };
	}
	for (size_t e = 0; e < a->n; e++) {
		const struct agg_entry *ae = &a->e[e];

		rows = anomaly_rows(sp, dev_name(sp->ex, ae->netns, ae->ifindex), ae->netns);
		if (!rows)
			continue;
		/* Checked: the xmits, not the releases kept beside them. */
		if (ae->hop != VNO_HOP_DONE)
			rows[0].count += ae->frames;
		for (unsigned b = 0; b < ANOMALY__MAX; b++)
			rows[1 + b].count += ae->rules[b];
		/* The flight recorder keeps a device's drops and refusals
		 * beside its xmits, so the pipeline pairs them as record
		 * does (agg_cause); causes of one rule are summed by the
		 * writer. */
		for (int c = 0; c < AGG_MAX_CAUSES && ae->causes[c].count && sp->pe; c++)
			sp->pe[sp->ne++] = (struct prom_anomaly){
				.dev = rows[0].dev, .vm = rows[0].vm, .netns = ae->netns,
				.rule = anomaly_name(ae->causes[c].rule), .count = ae->causes[c].count };
	}
	for (int s = 0; s < VNO_HANG__MAX; s++)
		sp->hangs[s] = (struct prom_named){ diag_source_name(s), a->hangs[s] };
}

/* Every feature of every watched device whose features are kept. */
static int offload_rows(struct exporter *ex, struct prom_offload **out, size_t *n)
{
	const struct offwatch *ow = ex->r.ow;
	size_t total = 0, k = 0;

	*out = NULL;
	*n = 0;
	for (size_t i = 0; ow && i < ow->n; i++)
		total += ow->d[i].fs.n;
	if (!total)
		return 0;
	*out = calloc(total, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	for (size_t i = 0; i < ow->n; i++) {
		const struct offwatch_dev *d = &ow->d[i];
		const char *dev = dev_name(ex, d->netns, d->ifindex);
		const char *vm = live_vm(&ex->r, d->netns, d->ifindex);

		for (unsigned f = 0; f < d->fs.n; f++)
			(*out)[k++] = (struct prom_offload){ .dev = dev, .netns = d->netns,
							     .feature = d->fs.f[f].name,
							     .on = d->fs.f[f].active, .vm = vm };
	}
	*n = k;
	return 0;
}

/* One exposition, with the interface set held still (live.c changes it as
 * guests come and go; the lock is the runner's, taken again inside). */
static char *scrape(struct exporter *ex, size_t *len);

char *export_scrape(void *ctx, size_t *len)
{
	struct exporter *ex = ctx;
	char *buf;

	live_lock(&ex->r);
	buf = scrape(ex, len);
	live_unlock(&ex->r);
	return buf;
}

static char *scrape(struct exporter *ex, size_t *len)
{
	struct loader_stat *st = NULL;
	struct loader_queue *qs = NULL;
	struct loader_drop *dr = NULL;
	struct prom_stat *ps = NULL;
	struct prom_queue *pq = NULL;
	struct prom_drop *pd = NULL;
	struct prom_offload *po = NULL;
	size_t npo = 0;
	struct scrape_pipe sp = { .ex = ex };
	struct prom_hook hooks[VNO_HOP__MAX];
	char (*reasons)[16] = NULL;
	size_t nst = 0, nq = 0, nd = 0;
	__u64 cnt[VNO_CNT__MAX];
	char *buf = NULL;
	FILE *f = NULL;
	int ret;

	ex->gen++;
	if ((ret = loader_stats(ex->r.l, &st, &nst)) || (ret = loader_queues(ex->r.l, &qs, &nq)) ||
	    (ret = loader_drops(ex->r.l, &dr, &nd)) || (ret = loader_counters(ex->r.l, cnt)))
		goto out;
	ret = -ENOMEM;
	ps = calloc(nst + 1, sizeof(*ps));
	pq = calloc(nq + 1, sizeof(*pq));
	pd = calloc(nd + 1, sizeof(*pd));
	reasons = calloc(nd + 1, sizeof(*reasons));
	sp.pa = calloc(ex->r.nsel * ANOMALY_ROWS + 1, sizeof(*sp.pa));
	if (!ps || !pq || !pd || !reasons || !sp.pa)
		goto out;
	for (size_t i = 0; i < nst; i++)
		ps[i] = (struct prom_stat){
			.dev = dev_name(ex, st[i].key.netns, st[i].key.ifindex),
			.vm = live_vm(&ex->r, st[i].key.netns, st[i].key.ifindex),
			.netns = st[i].key.netns,
			.hop = st[i].key.hop,
			.gso_kind = st[i].key.gso_kind,
			.st = &st[i].st,
			.gso_size_sum = st[i].st.gso_size_sum,
		};
	for (size_t i = 0; i < nq; i++)
		pq[i] = (struct prom_queue){
			.dev = dev_name(ex, qs[i].key.netns, qs[i].key.ifindex),
			.vm = live_vm(&ex->r, qs[i].key.netns, qs[i].key.ifindex),
			.netns = qs[i].key.netns,
			.queue = qs[i].key.queue,
			.inflight = qs[i].inflight,
			.unseen = qs[i].st.unseen,
		};
	for (size_t i = 0; i < nd; i++) {
		const char *r = vno_drop_reason_name ? vno_drop_reason_name(dr[i].key.reason) : NULL;

		if (!r) {
			snprintf(reasons[i], sizeof(reasons[i]), "%u", dr[i].key.reason);
			r = reasons[i];
		}
		pd[i] = (struct prom_drop){
			.dev = dev_name(ex, dr[i].key.netns, dr[i].key.ifindex),
			.vm = live_vm(&ex->r, dr[i].key.netns, dr[i].key.ifindex),
			.netns = dr[i].key.netns,
			.reason = r,
			.count = dr[i].count,
		};
	}
	runner_read(&ex->r, scrape_pipeline, &sp);
	/* Kept by the main thread (offwatch.c), read under the set's lock
	 * held here: no ethtool query per scrape. */
	ret = offload_rows(ex, &po, &npo);
	if (ret)
		goto out;
	ret = -ENOMEM;
	for (int h = 0; h < VNO_HOP__MAX; h++)
		hooks[h] = (struct prom_hook){ vno_hop_name(h), ex->hooks[h] };

	struct prom_input in = {
		.version = VNO_VERSION,
		.hooks = hooks,
		.n_hooks = VNO_HOP__MAX,
		.stats = ps,
		.n_stats = nst,
		.queues = pq,
		.n_queues = nq,
		.drops = pd,
		.n_drops = nd,
		.anomalies = sp.pa,
		.n_anomalies = sp.na,
		.explained = sp.pe,
		.n_explained = sp.ne,
		.offloads = po,
		.n_offloads = npo,
		.rings = sp.rings,
		.n_rings = sp.n_rings,
		.hangs = sp.hangs,
		.n_hangs = VNO_HANG__MAX,
		.have_gso_size_sum = true,
		.events_lost = cnt[VNO_CNT_RB_LOST],
		.inflight_full = cnt[VNO_CNT_INFLIGHT_FULL],
	};
	f = open_memstream(&buf, len);
	if (!f)
		goto out;
	ret = prom_write(f, &in);
out:
	if (f && fclose(f) && !ret)
		ret = -EIO;
	free(st);
	free(qs);
	free(dr);
	free(ps);
	free(pq);
	free(pd);
	free(reasons);
	free(sp.pa);
	free(sp.pe);
	free(po);
	if (ret) {
		free(buf);
		errno = -ret;
		return NULL;
	}
	return buf;
}
