// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Everything downstream of the ring buffer (pipeline.h): decode, anomaly
 * rules, aggregate, diagnose, sinks. */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include "anomaly.h"
#include "decode.h"
#include "ifaces.h"
#include "json.h"
#include "pipeline.h"
#include "print.h"

int pipeline_init(struct pipeline *p, const struct pipeline_opts *o, const struct vno_iface *ifs,
		  size_t n_ifs)
{
	struct diag_opts dopts = { .window = o->window };

	memset(p, 0, sizeof(*p));
	p->o = *o;
	p->ifaces = ifs;
	p->n_ifaces = n_ifs;
	p->agg = agg__new();
	p->diag = diag__new(&dopts);
	if (!p->agg || !p->diag || (n_ifs && diag__set_ifaces(p->diag, ifs, n_ifs))) {
		pipeline_fini(p);
		return -ENOMEM;
	}
	return 0;
}

void pipeline_fini(struct pipeline *p)
{
	agg__free(p->agg);
	diag__free(p->diag);
	p->agg = NULL;
	p->diag = NULL;
}

int pipeline_hang(struct pipeline *p, const struct vno_hang *h)
{
	struct vno_diagnosis dg;
	int ret;

	ret = diag__hang(p->diag, h, &dg);
	if (ret)
		return ret;
	dg.filter = p->o.filter_desc;
	if (h->source >= 0 && h->source < VNO_HANG__MAX)
		p->agg->hangs[h->source]++;
	if (p->o.json)
		diag_json(p->o.out, &dg);
	else
		diag_print(p->o.out, &dg);
	fflush(p->o.out);
	if (p->on_hang)
		p->on_hang(&dg, p->ctx);
	diagnosis_free(&dg);
	return 0;
}

static struct pipe_underlay *underlay_of(struct pipeline *p, __u32 netns, bool add)
{
	unsigned i;

	for (i = 0; i < p->n_under; i++)
		if (p->under[i].netns == netns)
			return &p->under[i];
	if (!add)
		return NULL;
	i = p->n_under < PIPE_UNDERLAYS ? p->n_under++ : netns % PIPE_UNDERLAYS;
	p->under[i].netns = netns;
	return &p->under[i];
}

/*
 * Frames through a tunnel: which device it sends on (an encapsulated frame
 * at xmit), the numbers of a frame flagged for segments that will not fit
 * (into @detail), and when such a frame is then freed at the tunnel device,
 * the drop explained (into @cause, and counted in the summary).
 */
static void tunnel_note(struct pipeline *p, const struct vno_event *ev, const struct vno_iface *dev,
			__u64 mask, char *detail, size_t dlen, char *cause, size_t clen)
{
	const struct vno_frame *f = &ev->f;
	struct anomaly_tunnel_fit fit;
	struct pipe_underlay *u;
	char name[VNO_IFNAMSIZ + 1];

	/* Per record: a copy, not snprintf. */
	memcpy(name, f->dev, VNO_IFNAMSIZ);
	name[VNO_IFNAMSIZ] = '\0';
	if (f->hop == VNO_HOP_XMIT && (f->encap & VNO_E_SKB) && (u = underlay_of(p, f->netns, true)))
		memcpy(u->dev, name, sizeof(u->dev));
	if ((mask & ((1ULL << ANOMALY_TUNNEL_SEGMENT_OVER_MTU) |
		     (1ULL << ANOMALY_DF_SEGMENT_OVER_PATH_MTU))) &&
	    anomaly_tunnel_fit(f, dev, &fit)) {
		anomaly_tunnel_fit_str(&fit, name, detail, dlen);
		if (!fit.encapsulated && f->pkt_id) {
			struct pipe_pending *pd = &p->pend[p->pend_next++ % PIPE_PENDING];
			const struct vno_iface *o =
				f->origin_ifindex ? ifaces_find(p->ifaces, p->n_ifaces, f->netns,
								f->origin_ifindex)
						  : NULL;

			memset(pd, 0, sizeof(*pd));
			pd->pkt_id = f->pkt_id;
			pd->netns = f->netns;
			pd->ifindex = f->ifindex;
			pd->c.rule = fit.refused_ip ? ANOMALY_DF_SEGMENT_OVER_PATH_MTU
						    : ANOMALY_TUNNEL_SEGMENT_OVER_MTU;
			pd->c.fit = fit;
			if (o) {
				snprintf(pd->c.origin, sizeof(pd->c.origin), "%.*s", VNO_IFNAMSIZ,
					 o->name);
				snprintf(pd->c.vm, sizeof(pd->c.vm), "%s", o->vm);
			}
		}
	}
	/* Released at the tunnel device: freed, or consumed as something
	 * else (the ICMP answer it was rebuilt into). */
	if ((f->hop != VNO_HOP_DONE && f->hop != VNO_HOP_DROP) ||
	    !(f->flags & (VNO_F_FREED | VNO_F_CHANGED)))
		return;
	for (unsigned i = 0; i < PIPE_PENDING; i++) {
		struct pipe_pending *pd = &p->pend[i];

		if (!pd->pkt_id || pd->pkt_id != f->pkt_id || pd->ifindex != f->ifindex ||
		    pd->netns != f->netns)
			continue;
		pd->c.freed = f->flags & VNO_F_FREED;
		pd->c.reason = pd->c.freed ? f->drop_reason : 0;
		if ((u = underlay_of(p, f->netns, false)))
			memcpy(pd->c.underlay, u->dev, sizeof(pd->c.underlay));
		agg__add_cause(p->agg, ev, &pd->c);
		agg_cause_str(&pd->c, name, cause, clen);
		pd->pkt_id = 0;
		return;
	}
}

void pipeline_prefetch(const struct pipeline *p, const struct vno_frame *f)
{
	diag__prefetch(p->diag, f);
}

int pipeline_frame(struct pipeline *p, struct vno_event *ev, bool raw)
{
	char detail[256], cause[320]; /* strings: not zero-filled per record */
	const struct vno_iface *dev;
	__u64 mask = 0;

	detail[0] = cause[0] = '\0';

	if (raw)
		vno_decode(ev);
	if (ev->f.hop == VNO_HOP_HANG) {
		struct vno_hang h = { .ts_ns = ev->f.ts_ns, .netns = ev->f.netns,
				      .ifindex = ev->f.ifindex,
				      .queue = ev->f.queue == 0xFFFF ? -1 : ev->f.queue,
				      .source = VNO_HANG_WATCHDOG };

		snprintf(h.dev, sizeof(h.dev), "%.*s", VNO_IFNAMSIZ, ev->f.dev);
		if (ev->f.flags & VNO_F_DRIVER) {
			h.source = VNO_HANG_DRIVER;
			snprintf(h.detail, sizeof(h.detail), "the driver's own hang report on %s", h.dev);
			if (ev->f.flags & VNO_F_RING)
				snprintf(h.detail + strlen(h.detail), sizeof(h.detail) - strlen(h.detail),
					 "; TX ring: %u of %u descriptors free, next_to_clean %u, "
					 "next_to_use %u", ev->f.ring_free, ev->f.ring_size,
					 ev->f.ring_head, ev->f.ring_tail);
		} else {
			snprintf(h.detail, sizeof(h.detail),
				 "the kernel TX watchdog: transmit queue %u of %s timed out",
				 ev->f.queue, h.dev);
		}
		if (p->on_frame)
			p->on_frame(ev, p->ctx);
		return pipeline_hang(p, &h);
	}
	p->frames++;
	if (!p->o.t0_ns)
		p->o.t0_ns = ev->f.ts_ns;
	dev = ifaces_find(p->ifaces, p->n_ifaces, ev->f.netns, ev->f.ifindex);
	/* A capture read back keeps its marks; unmarked records are checked, and
	 * so are marks naming no rule of ours (a newer or a crafted file), which
	 * would otherwise be printed as the rule "?". */
	if (!(ev->f.flags & VNO_F_ANOMALY) || ev->f.anomaly > ANOMALY__MAX)
		anomaly_mark(&ev->f, dev, &mask);
	else
		anomaly_check(&ev->f, dev, &mask);
	/* Left out before anything counts it: the summary, the flight recorder
	 * and the capture file all see the same frames. */
	if (p->o.filter && !vno_filter__keep(p->o.filter, ev, dev, mask)) {
		p->frames--;
		p->filtered++;
		return 0;
	}
	agg__add(p->agg, ev);
	agg__add_anomalies(p->agg, ev, mask);
	tunnel_note(p, ev, dev, mask, detail, sizeof(detail), cause, sizeof(cause));
	diag__add_checked(p->diag, ev, &mask);
	if (p->on_frame)
		p->on_frame(ev, p->ctx);
	if (p->o.quiet)
		return 0;
	if (p->o.json) {
		struct frame_extra x = {
			.vm = dev && dev->vm[0] && ev->f.hop == VNO_HOP_RX ? dev->vm : NULL,
			.detail = detail, .cause = cause,
		};

		if (ev->f.origin_ifindex && ev->f.origin_ifindex != ev->f.ifindex)
			x.origin = ifaces_find(p->ifaces, p->n_ifaces, ev->f.netns,
					       ev->f.origin_ifindex);
		if (x.vm || x.origin || detail[0] || cause[0])
			json_frame_from(p->o.out, ev, &x);
		else
			json_frame(p->o.out, ev);
	} else {
		print_frame(p->o.out, ev, p->o.t0_ns);
		if (detail[0] || cause[0]) {
			char t[TERM_STR_LEN(320)];

			fprintf(p->o.out, "      %s\n", term_str(t, sizeof(t), cause[0] ? cause : detail));
		}
	}
	return 0;
}

void pipeline_offload_change(struct pipeline *p, const struct offload_change *oc)
{
	if (p->o.json)
		offload_change_json(p->o.out, oc);
	else
		offload_change_print(p->o.out, oc);
	fflush(p->o.out);
	if (p->on_offload)
		p->on_offload(oc, p->ctx);
}

void pipeline_summary(struct pipeline *p, __u64 lost, __u64 unmatched, double duration_s)
{
	p->agg->filtered = p->o.filter != NULL;
	p->agg->left_out_user = p->filtered;
	if (p->o.json)
		agg_json(p->o.out, p->agg, lost, unmatched, duration_s);
	else
		agg_print(p->o.out, p->agg, lost, unmatched);
	fflush(p->o.out);
}
