// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The HTML page's sections other than the timeline (html_int.h): a hang's
 * suspects as bars and its remedies as blocks to copy, each device's
 * distributions, and the session that recorded the capture.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "decode.h"
#include "html_int.h"
#include "json.h"

/* ---- suspects and remedies -------------------------------------------------- */

static void bar(FILE *out, const char *cls, double share, const char *label)
{
	fprintf(out, "<div class=\"bar\"><span class=\"%s\" style=\"width:%.1f%%\"></span>"
		"<em>%s</em></div>", cls, share * 100, label);
}

void html_suspects(FILE *out, const struct vno_diagnosis *dg)
{
	char lab[96];

	if (!dg->n_suspects) {
		fputs("<p>No suspect: nothing was over-represented just before the hang.</p>\n", out);
		return;
	}
	fputs("<h4>Suspects (share of the frames just before the hang vs before that)</h4>\n"
	      "<table class=\"sus\">\n", out);
	for (int s = 0; s < dg->n_suspects; s++) {
		const struct diag_suspect *x = &dg->suspects[s];
		double w = x->window_total ? (double)x->window_count / x->window_total : 0;
		double b = x->baseline_total ? (double)x->baseline_count / x->baseline_total : 0;

		fprintf(out, "<tr><td class=\"sn\">%d. %s=<b>", s + 1, diag_attr_name(x->attr));
		html_str(out, x->value);
		fprintf(out, "</b><br><small>lift %.1f", x->lift);
		if (x->origin[0]) {
			fputs(", mostly from ", out);
			html_name(out, x->origin, VNO_IFNAMSIZ);
			if (dg->vm[0] && !strncmp(x->origin, dg->tap, VNO_IFNAMSIZ)) {
				fputs(" (VM ", out);
				html_str(out, dg->vm);
				fputs(")", out);
			}
		}
		fputs("</small></td><td class=\"bars\">", out);
		snprintf(lab, sizeof(lab), "%u of %u just before", x->window_count, x->window_total);
		bar(out, "win", w, lab);
		snprintf(lab, sizeof(lab), "%" PRIu64 " of %" PRIu64 " before", (uint64_t)x->baseline_count,
			 (uint64_t)x->baseline_total);
		bar(out, "base", b, lab);
		fputs("</td></tr>\n", out);
	}
	fputs("</table>\n", out);
}

static void place(FILE *out, const char *label, const char *text)
{
	if (!text[0])
		return;
	fprintf(out, "<div class=\"place\">%s</div><pre>", label);
	html_str(out, text);
	fputs("</pre>\n", out);
}

void html_remedies(FILE *out, const struct vno_diagnosis *dg)
{
	const struct remedy *r = &dg->rem;

	if (dg->remedy[0]) {
		fputs("<h4>Remedy</h4>\n<p class=\"remedy\">", out);
		html_str(out, dg->remedy);
		fputs("</p>\n", out);
	}
	if (dg->accused) {
		bool first = true;

		fputs("<p>To switch off", out);
		for (int o = 0; o < REM__MAX; o++) {
			if (!(dg->accused & REM_BIT(o)))
				continue;
			fprintf(out, "%s <code>%s</code>", first ? "" : ",", remedy_feature_name(o));
			first = false;
		}
		fputs(" (what the top suspect's frames ask of the device), paste one of:</p>\n", out);
		fputs("<div class=\"place\">on the host, ", out);
		html_name(out, dg->hang.dev[0] ? dg->hang.dev : "DEV", VNO_IFNAMSIZ);
		fputs("</div>", out);
		if (r->host[0]) {
			fputs("<pre>", out);
			html_str(out, r->host);
			fputs("</pre>\n", out);
		}
		if (r->host_note[0]) {
			fputs("<p class=\"note\">", out);
			html_str(out, r->host_note);
			fputs("</p>\n", out);
		}
		place(out, "at the VMM, QEMU", r->qemu);
		place(out, "at the VMM, libvirt", r->libvirt);
		place(out, "at the VMM, Proxmox", r->proxmox);
		if (dg->tap[0]) {
			fputs("<p class=\"note\">in the guest behind tap ", out);
			html_name(out, dg->tap, VNO_IFNAMSIZ);
			if (dg->vm[0]) {
				fputs(" (VM ", out);
				html_str(out, dg->vm);
				fputs(")", out);
			}
			fputs(":</p>\n", out);
		}
		place(out, "guest, Linux", r->guest_linux);
		place(out, "guest, FreeBSD / pfSense", r->guest_bsd);
		place(out, "guest, Windows", r->guest_windows);
		place(out, "make it last", r->persist);
	}
	if (dg->n_causes) {
		fputs("<p>No offload stands out; hangs on ", out);
		html_str(out, dg->driver);
		fputs(" also come from:</p><ul>\n", out);
		for (int c = 0; c < dg->n_causes; c++) {
			fputs("<li>", out);
			html_str(out, dg->causes[c]);
			fputs("</li>\n", out);
		}
		fputs("</ul>\n", out);
	}
}

/* ---- per device ------------------------------------------------------------- */

/* A histogram as bars, one per power of two (four of its slots). */
static void hist_svg(FILE *out, const char *title, const struct agg_hist *hs, bool ns)
{
	__u64 g[VNO_HIST_SLOTS / 4] = {}, top = 0;
	int lo = -1, hi = -1, n;
	const int W = 300, H = 110;
	char lab[32];

	for (int s = 0; s < VNO_HIST_SLOTS; s++)
		g[s / 4] += hs->slot[s];
	for (int i = 0; i < VNO_HIST_SLOTS / 4; i++) {
		if (!g[i])
			continue;
		if (lo < 0)
			lo = i;
		hi = i;
		if (g[i] > top)
			top = g[i];
	}
	fprintf(out, "<figure><figcaption>%s", title);
	if (!hs->count) {
		fputs(": none</figcaption></figure>\n", out);
		return;
	}
	if (ns) {
		char a[32], b[32];

		html_dur(a, sizeof(a), (double)agg_hist_quantile(hs, 0.5) / 1e9);
		html_dur(b, sizeof(b), (double)agg_hist_quantile(hs, 0.99) / 1e9);
		fprintf(out, " (p50 %s, p99 %s)", a, b);
	} else {
		fprintf(out, " (%" PRIu64 " to %" PRIu64 ")", (uint64_t)hs->min, (uint64_t)hs->max);
	}
	n = hi - lo + 1;
	fprintf(out, "</figcaption><svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
		"width=\"%d\" height=\"%d\" role=\"img\">", W, H, W, H);
	for (int i = lo; i <= hi; i++) {
		double bw = (double)(W - 10) / n, x;

		if (bw > 40)
			bw = 40;
		x = 5 + (i - lo) * bw;
		double bh = top ? (double)g[i] * (H - 34) / (double)top : 0;
		__u64 low = vno_hist_slot_low((__u32)i * 4);

		if (ns)
			html_dur(lab, sizeof(lab), (double)low / 1e9);
		else
			html_count(lab, sizeof(lab), low);
		fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" class=\"hb\">"
			"<title>from %s: %" PRIu64 "</title></rect>", x + 1, H - 20 - bh, bw - 2, bh,
			lab, (uint64_t)g[i]);
		if (g[i] && n <= 16)
			fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" class=\"tick\">%" PRIu64 "</text>",
				x + bw / 2, H - 23 - bh, (uint64_t)g[i]);
		if (n <= 12 || (i - lo) % ((n + 11) / 12) == 0)
			fprintf(out, "<text x=\"%.1f\" y=\"%d\" class=\"tick\">%s</text>", x + bw / 2,
				H - 6, lab);
	}
	fputs("</svg></figure>\n", out);
}

static const struct agg_entry *dev_entry(const struct agg *a, const struct agg_entry *d,
					 unsigned hop)
{
	for (size_t i = 0; i < a->n; i++)
		if (a->e[i].netns == d->netns && a->e[i].ifindex == d->ifindex && a->e[i].hop == hop)
			return &a->e[i];
	return NULL;
}

/* What became of the frames handed to the device, in agg_print's words:
 * done records, releases no tracepoint saw, those still out, and those a
 * receiver or a tunnel changed. */
static void release(FILE *out, const struct agg *a, const struct agg_entry *d)
{
	char s[256];

	for (size_t i = 0; i < a->n; i++) {
		const struct agg_entry *e = &a->e[i];

		if (e->netns != d->netns || e->ifindex != d->ifindex)
			continue;
		if (agg_released_str(a, e, s, sizeof(s)))
			fprintf(out, "<p class=\"rel\">released after %s: %s.</p>\n",
				vno_hop_name(e->hop), s);
		if (agg_changed_str(e, s, sizeof(s)))
			fprintf(out, "<p class=\"rel\">%s: %s.</p>\n", vno_hop_name(e->hop), s);
	}
}

static void device(FILE *out, const struct agg *a, const struct agg_entry *d,
		   const struct vno_session *sess)
{
	static const unsigned pref[] = { VNO_HOP_XMIT, VNO_HOP_DRV_XMIT, VNO_HOP_TC_EGRESS,
					 VNO_HOP_BR_FWD, VNO_HOP_RX, VNO_HOP_TC_INGRESS };
	const struct agg_entry *m = NULL, *lat = NULL;
	const struct vno_iface *it = sess ? ifaces_find(sess->ifaces, sess->n_ifaces, d->netns,
							 d->ifindex) : NULL;
	__u64 csum_total = 0, rules_any = 0, drops_any = 0;
	static const char *const csum_cls[VNO_CSUM__MAX] = { "c0", "c1", "c2", "c3" };

	for (size_t i = 0; i < sizeof(pref) / sizeof(pref[0]) && !m; i++)
		m = dev_entry(a, d, pref[i]);
	if (!m)
		m = d;
	lat = dev_entry(a, d, VNO_HOP_DONE);
	if (!lat || !lat->latency.count)
		lat = dev_entry(a, d, VNO_HOP_DRV_DONE);
	fputs("<section class=\"dev\"><h3>", out);
	html_str(out, d->dev);
	if (it) {
		fputs(" <small>(", out);
		html_str(out, it->driver);
		fprintf(out, ", mtu %u)</small>", it->mtu);
	}
	fputs("</h3>\n<p>frames per hop:", out);
	for (size_t i = 0; i < a->n; i++)
		if (a->e[i].netns == d->netns && a->e[i].ifindex == d->ifindex)
			fprintf(out, " %s %" PRIu64 ";", vno_hop_name(a->e[i].hop),
				(uint64_t)a->e[i].frames);
	fprintf(out, " the pictures are of hop %s", vno_hop_name(m->hop));
	if (m->frames)
		fprintf(out, ", whose frames are %.1f %% GSO and %.1f %% checksum offload "
			     "(partial)", 100.0 * m->gso_frames / m->frames,
			100.0 * m->csum[VNO_CSUM_PARTIAL] / m->frames);
	fputs(".</p>\n", out);
	release(out, a, d);
	fputs("<div class=\"figs\">\n", out);
	hist_svg(out, "gso_size", &m->gso_size, false);
	hist_svg(out, "gso_segs", &m->gso_segs, false);
	if (lat)
		hist_svg(out, "TX completion latency", &lat->latency, true);
	else
		fputs("<figure><figcaption>TX completion latency: no completions</figcaption></figure>\n",
		      out);
	fputs("</div>\n", out);
	for (int c = 0; c < VNO_CSUM__MAX; c++)
		csum_total += m->csum[c];
	fputs("<div class=\"figs\"><figure><figcaption>ip_summed</figcaption>", out);
	if (csum_total) {
		fputs("<div class=\"stack\">", out);
		for (int c = 0; c < VNO_CSUM__MAX; c++)
			if (m->csum[c])
				fprintf(out, "<span class=\"%s\" style=\"width:%.1f%%\" title=\"%s %" PRIu64
					"\"></span>", csum_cls[c], 100.0 * m->csum[c] / csum_total,
					vno_csum_name(c), (uint64_t)m->csum[c]);
		fputs("</div><p>", out);
		for (int c = 0; c < VNO_CSUM__MAX; c++)
			if (m->csum[c])
				fprintf(out, "<span class=\"sw %s\"></span>%s %" PRIu64 " ", csum_cls[c],
					vno_csum_name(c), (uint64_t)m->csum[c]);
		fputs("</p>", out);
	} else {
		fputs("<p>none</p>", out);
	}
	fputs("</figure>\n<figure><figcaption>anomalies by rule</figcaption><table>", out);
	for (unsigned r = 0; r < ANOMALY__MAX; r++) {
		if (!m->rules[r])
			continue;
		rules_any++;
		fprintf(out, "<tr><td>%s</td><td>%" PRIu64 "</td></tr>", anomaly_name(r),
			(uint64_t)m->rules[r]);
	}
	fprintf(out, "%s</table></figure>\n<figure><figcaption>drops by reason</figcaption><table>",
		rules_any ? "" : "<tr><td>none</td></tr>");
	for (size_t i = 0; i < a->n; i++) {
		const struct agg_entry *e = &a->e[i];

		if (e->netns != d->netns || e->ifindex != d->ifindex)
			continue;
		for (int r = 0; r < AGG_MAX_REASONS && e->drops[r].count; r++) {
			const char *nm = vno_drop_reason_name ? vno_drop_reason_name(e->drops[r].reason)
							      : NULL;

			drops_any++;
			fprintf(out, "<tr><td>%s</td><td>", vno_hop_name(e->hop));
			if (nm)
				html_str(out, nm);
			else
				fprintf(out, "%u", e->drops[r].reason);
			fprintf(out, "</td><td>%" PRIu64 "</td></tr>", (uint64_t)e->drops[r].count);
		}
		if (e->drops_other) {
			drops_any++;
			fprintf(out, "<tr><td>%s</td><td>other reasons</td><td>%" PRIu64 "</td></tr>",
				vno_hop_name(e->hop), (uint64_t)e->drops_other);
		}
	}
	fprintf(out, "%s</table></figure></div>\n</section>\n", drops_any ? "" : "<tr><td>none</td></tr>");
}

void html_devices(FILE *out, const struct agg *a, const struct vno_session *sess)
{
	size_t shown = 0, more = 0;

	fputs("<h2 id=\"devices\">Devices</h2>\n", out);
	if (!a || !a->n) {
		fputs("<p>No frames were read.</p>\n", out);
		return;
	}
	for (size_t i = 0; i < a->n; i++) {
		bool seen = false;

		/* One section per device: its first entry stands for it. */
		for (size_t j = 0; j < i && !seen; j++)
			seen = a->e[j].netns == a->e[i].netns && a->e[j].ifindex == a->e[i].ifindex;
		if (seen)
			continue;
		if (shown == HTML_DEVICES) {
			more++;
			continue;
		}
		device(out, a, &a->e[i], sess);
		shown++;
	}
	if (more || a->n_more)
		fprintf(out, "<p>%zu more devices not drawn, and %u device/hop pairs past the "
			"summary's cap (%" PRIu64 " frames): see the text report.</p>\n", more,
			a->n_more, (uint64_t)a->more_frames);
}

/* ---- session ---------------------------------------------------------------- */

void html_session(FILE *out, const struct vno_session *s, const struct html_page *p)
{
	fputs("<h2 id=\"session\">Session</h2>\n<table class=\"kv\">", out);
	if (s) {
		fputs("<tr><th>kernel</th><td>", out);
		html_str(out, s->kernel);
		fputs("</td></tr><tr><th>recorded by</th><td>", out);
		html_str(out, s->tool);
		fputs("</td></tr><tr><th>command line</th><td><code>", out);
		html_str(out, s->cmdline);
		fputs("</code></td></tr>", out);
	}
	fputs("<tr><th>page written by</th><td>vnoffload-trace " VNO_VERSION, out);
	if (p->written_by) {
		fputs(": <code>", out);
		html_str(out, p->written_by);
		fputs("</code>", out);
	}
	fputs("</td></tr></table>\n", out);
	if (!s)
		return;
	fputs("<h3>Hooks</h3><table class=\"kv\">", out);
	for (int hop = 0; hop < VNO_HOP__MAX; hop++) {
		if (hop == VNO_HOP_HANG && !s->hooks[hop][0])
			continue;
		fprintf(out, "<tr><th>%s</th><td>", vno_hop_name(hop));
		html_str(out, s->hooks[hop][0] ? s->hooks[hop] : "none");
		fputs("</td></tr>", out);
	}
	fputs("</table>\n<h3>Interfaces</h3>\n<table class=\"ifs\"><tr><th>name</th><th>ifindex</th>"
	      "<th>netns</th><th>driver</th><th>mtu</th><th>up</th><th>gso max</th><th>tso max</th>",
	      out);
	for (int o = 0; o < VNO_OL__MAX; o++)
		fprintf(out, "<th>%s</th>", vno_offload_name(o));
	fputs("<th>VM</th></tr>\n", out);
	for (size_t i = 0; i < s->n_ifaces && i < HTML_IFACES; i++) {
		const struct vno_iface *it = &s->ifaces[i];

		fputs("<tr><td>", out);
		html_name(out, it->name, VNO_IFNAMSIZ);
		fprintf(out, "</td><td>%u</td><td>%u</td><td>", it->ifindex, it->netns);
		html_str(out, it->driver);
		fprintf(out, "</td><td>%u</td><td>%s</td><td>%u / %u</td><td>%u / %u</td>", it->mtu,
			it->up ? "yes" : "no", it->gso_max_size, it->gso_max_segs, it->tso_max_size,
			it->tso_max_segs);
		for (int o = 0; o < VNO_OL__MAX; o++)
			fprintf(out, "<td class=\"o%d\">%s</td>", it->offload[o] == VNO_OFF_ON ? 1 : 0,
				it->offload[o] == VNO_OFF_ON	? "on"
				: it->offload[o] == VNO_OFF_OFF ? "off"
								: "?");
		fputs("<td>", out);
		html_str(out, it->vm);
		fputs("</td></tr>\n", out);
	}
	fputs("</table>\n", out);
	if (s->n_ifaces > HTML_IFACES)
		fprintf(out, "<p>… %zu more interfaces.</p>\n", s->n_ifaces - HTML_IFACES);
}
