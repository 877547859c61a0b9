// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A diagnosis for people and for programs: diag_print() the terminal form
 * (the last frames, anomalies, suspects, remedy, verdict), diag_json()
 * one JSON line through the JSON writer.
 */
#include <inttypes.h>
#include <math.h>
#include <string.h>
#include "diag_ring.h"
#include "diagnose.h"
#include "decode.h"
#include "json.h"
#include "json_writer.h"
#include "print.h"

__u64 diag_ref_ts(const struct vno_diagnosis *dg, const struct diag_frame *frames, size_t n)
{
	__u64 last = n ? frames[n - 1].ev.f.ts_ns : 0;

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
	vno_csum_str(f, csum, sizeof(csum));
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

/* One place of the remedy, when it has something: "    label  text". */
static void place(FILE *out, const char *label, const char *text)
{
	char t[TERM_STR_LEN(512)];

	if (text[0])
		fprintf(out, "    %-18s %s\n", label, term_str(t, sizeof(t), text));
}

/* Every place the accused offloads can be switched off, as lines to
 * paste: the host, the VMM, the guest, then how to make it last. */
static void print_remedies(FILE *out, const struct vno_diagnosis *dg)
{
	const struct remedy *r = &dg->rem;
	char t[TERM_STR_LEN(VNO_IFNAMSIZ + 64)], label[64], who[VNO_IFNAMSIZ + 80] = "";
	bool first = true;

	if (!dg->accused)
		return;
	fputs("  to switch off", out);
	for (int o = 0; o < REM__MAX; o++) {
		if (!(dg->accused & REM_BIT(o)))
			continue;
		fprintf(out, "%s %s", first ? "" : ",", remedy_feature_name(o));
		first = false;
	}
	fputs(" (what the top suspect's frames ask of the device):\n", out);
	snprintf(label, sizeof(label), "host %.*s:", VNO_IFNAMSIZ - 1,
		 dg->hang.dev[0] ? dg->hang.dev : "DEV");
	place(out, term_str(t, sizeof(t), label), r->host);
	place(out, r->host[0] ? "" : term_str(t, sizeof(t), label), r->host_note);
	place(out, "VMM, QEMU:", r->qemu);
	place(out, "VMM, libvirt:", r->libvirt);
	place(out, "VMM, Proxmox:", r->proxmox);
	if (dg->tap[0]) {
		snprintf(who, sizeof(who), "guest behind %.*s%s%s%s", VNO_IFNAMSIZ - 1, dg->tap,
			 dg->vm[0] ? " (" : "", dg->vm, dg->vm[0] ? ")" : "");
		fprintf(out, "    %s:\n", term_str(t, sizeof(t), who));
	}
	place(out, "guest Linux:", r->guest_linux);
	place(out, "guest FreeBSD:", r->guest_bsd);
	place(out, "guest Windows:", r->guest_windows);
	place(out, "make it last:", r->persist);
}

/* The driver's report of its ring, and the frames that were on it. */
static void print_ring(FILE *out, const struct vno_diagnosis *dg)
{
	char line[256];
	size_t i, shown = 0, first;
	__u64 ref;

	ring_report_sentence(&dg->hang.ring, line, sizeof(line));
	if (!line[0])
		return;
	fprintf(out, "  %s", line);
	if (dg->drv_done_known)
		fprintf(out, "; the driver last cleaned its ring %.1f ms before the hang",
			(double)dg->drv_done_ago_ns / 1e6);
	fputc('\n', out);
	if (!dg->n_on_ring)
		return;
	fprintf(out, "  the NIC stopped completing while these %u frames (%u super-frames) "
		     "were on its ring%s:\n",
		dg->n_on_ring, dg->on_ring_super,
		dg->n_on_ring > DIAG_RING_TERM_FRAMES ? ", the newest" : "");
	for (first = dg->n_frames; first > 0 && shown < DIAG_RING_TERM_FRAMES; first--)
		if (dg->frames[first - 1].on_ring)
			shown++;
	ref = diag_ref_ts(dg, dg->frames, dg->n_frames);
	for (i = first; i < dg->n_frames; i++)
		if (dg->frames[i].on_ring)
			print_frame_row(out, dg, &dg->frames[i], ref);
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
	if (dg->filter && dg->filter[0]) {
		char ft[TERM_STR_LEN(204)];

		fprintf(out, "  frames chosen by %s\n", term_str(ft, 204, dg->filter));
	}
	fprintf(out, "  window: %zu frames, %u super-frames", dg->n_frames, dg->super_frames);
	if (dg->completions_known)
		fprintf(out, ", %u never completed", dg->in_flight);
	fprintf(out, "; compared %u frames with %" PRIu64 " %s\n", dg->window_total,
		(uint64_t)dg->baseline_total,
		dg->split_window ? "in the older half of the window" : "before them");
	print_ring(out, dg);

	if (dg->n_frames) {
		first = dg->n_frames > DIAG_TERM_FRAMES ? dg->n_frames - DIAG_TERM_FRAMES : 0;
		ref = diag_ref_ts(dg, dg->frames, dg->n_frames);
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
	/* Where the frames meet hardware, before what to switch off there. */
	if (dg->path.n) {
		fprintf(out, "  path (the guest's tap to the uplink, offloads that decide a "
			     "super-frame's fate):\n");
		path_print(out, &dg->path, "    ");
	}
	if (dg->remedy[0])
		fprintf(out, "  remedy: %s\n", term_str(t, sizeof(t), dg->remedy));
	print_remedies(out, dg);
	if (dg->n_causes) {
		fprintf(out, "  no offload stands out; hangs on %s also come from:\n",
			term_str(t, sizeof(t), dg->driver));
		for (s = 0; s < dg->n_causes; s++)
			fprintf(out, "    - %s\n", term_str(t, sizeof(t), dg->causes[s]));
	}
	fprintf(out, "  verdict: %s\n", term_str(t, sizeof(t), dg->verdict));
}

/* json_frame_fields() for jw_fields(). */
static void frame_fields(FILE *out, const void *ev)
{
	json_frame_fields(out, ev);
}

static void json_frame_obj(struct jw *w, const struct vno_diagnosis *dg,
			   const struct diag_frame *df)
{
	char origin[VNO_IFNAMSIZ + 1];
	__u64 m = df->anomalies;

	jw_object(w);
	jw_fields(w, frame_fields, &df->ev);
	jw_key(w, "origin");
	if (df->origin[0]) {
		snprintf(origin, sizeof(origin), "%.*s", VNO_IFNAMSIZ, df->origin);
		jw_str(w, origin);
		jw_kstr(w, "origin_hop", vno_hop_name(df->origin_hop));
		jw_kbool(w, "origin_tap", df->origin_tap);
	} else {
		jw_null(w);
		jw_knull(w, "origin_hop");
		jw_knull(w, "origin_tap");
	}
	jw_key(w, "completed");
	if (df->ev.f.hop == VNO_HOP_XMIT && dg->completions_known)
		jw_bool(w, df->completed);
	else
		jw_null(w);
	jw_karray(w, "anomalies");
	while (m) {
		jw_str(w, anomaly_name((unsigned)__builtin_ctzll(m)));
		m &= m - 1;
	}
	jw_end(w);
	jw_end(w);
}

/* JSON has no NaN or infinity; lifts are finite by construction, but a
 * number in the output must stay a number. */
static double json_num(double v)
{
	return isfinite(v) ? v : 0.0;
}

/* "remedies": each place's command (null where it has none), the tap and
 * VM they name, and the accused features by their ethtool names. */
static void json_remedies(struct jw *w, const struct vno_diagnosis *dg)
{
	const struct remedy *r = &dg->rem;

	jw_key(w, "remedies");
	if (!dg->accused) {
		jw_null(w);
		return;
	}
	jw_object(w);
	jw_kstr_or_null(w, "host", r->host);
	jw_kstr_or_null(w, "host_note", r->host_note);
	jw_kstr_or_null(w, "qemu", r->qemu);
	jw_kstr_or_null(w, "libvirt", r->libvirt);
	jw_kstr_or_null(w, "proxmox", r->proxmox);
	jw_kstr_or_null(w, "guest_linux", r->guest_linux);
	jw_kstr_or_null(w, "guest_bsd", r->guest_bsd);
	jw_kstr_or_null(w, "guest_windows", r->guest_windows);
	jw_kstr_or_null(w, "persist", r->persist);
	jw_kstr_or_null(w, "tap", dg->tap);
	jw_kstr_or_null(w, "vm", dg->vm_name);
	jw_karray(w, "accused");
	for (int o = 0; o < REM__MAX; o++)
		if (dg->accused & REM_BIT(o))
			jw_str(w, remedy_feature_name(o));
	jw_end(w);
	jw_end(w);
}

void diag_json(FILE *out, const struct vno_diagnosis *dg)
{
	char origin[VNO_IFNAMSIZ + 1];
	struct jw w;
	size_t i;
	int s;

	if (!out || !dg)
		return;
	jw_init(&w, out);
	jw_object(&w);
	jw_kstr(&w, "type", "hang");
	jw_kstr(&w, "dev", dg->hang.dev);
	jw_ku64(&w, "netns", dg->hang.netns);
	jw_ku64(&w, "ifindex", dg->hang.ifindex);
	jw_key(&w, "queue");
	if (dg->hang.queue >= 0)
		jw_i64(&w, dg->hang.queue);
	else
		jw_null(&w);
	jw_kstr(&w, "source", diag_source_name(dg->hang.source));
	jw_ku64(&w, "ts_ns", dg->hang.ts_ns);
	jw_kstr(&w, "detail", dg->hang.detail);
	jw_kstr_or_null(&w, "driver", dg->driver);
	diag_ring_json(&w, dg);
	jw_kstr_or_null(&w, "filter", dg->filter ? dg->filter : "");

	jw_kobject(&w, "window");
	jw_ku64(&w, "frames", dg->n_frames);
	jw_ku64(&w, "super_frames", dg->super_frames);
	jw_ku64(&w, "compared", dg->window_total);
	jw_ku64(&w, "baseline", dg->baseline_total);
	jw_kbool(&w, "split", dg->split_window);
	jw_key(&w, "in_flight");
	if (dg->completions_known)
		jw_u64(&w, dg->in_flight);
	else
		jw_null(&w);
	jw_end(&w);

	jw_karray(&w, "frames_before");
	for (i = 0; i < dg->n_frames; i++)
		json_frame_obj(&w, dg, &dg->frames[i]);
	jw_end(&w);
	diag_on_ring_json(&w, dg);

	jw_karray(&w, "anomalies");
	for (i = 0; i < ANOMALY__MAX; i++) {
		if (!dg->anomalies[i])
			continue;
		jw_object(&w);
		jw_kstr(&w, "rule", anomaly_name((unsigned)i));
		jw_ku64(&w, "id", i);
		jw_ku64(&w, "count", dg->anomalies[i]);
		jw_end(&w);
	}
	jw_end(&w);

	jw_karray(&w, "suspects");
	for (s = 0; s < dg->n_suspects; s++) {
		const struct diag_suspect *x = &dg->suspects[s];

		jw_object(&w);
		jw_kstr(&w, "attribute", diag_attr_name(x->attr));
		jw_kstr(&w, "value", x->value);
		jw_kdouble(&w, "lift", json_num(x->lift), 3);
		jw_ku64(&w, "window_count", x->window_count);
		jw_ku64(&w, "window_total", x->window_total);
		jw_ku64(&w, "baseline_count", x->baseline_count);
		jw_ku64(&w, "baseline_total", x->baseline_total);
		snprintf(origin, sizeof(origin), "%.*s", VNO_IFNAMSIZ, x->origin);
		jw_kstr_or_null(&w, "origin", origin);
		jw_end(&w);
	}
	jw_end(&w);
	jw_key(&w, "path");
	if (dg->path.n)
		path_json(&w, &dg->path);
	else
		jw_null(&w);
	jw_kstr_or_null(&w, "remedy", dg->remedy);
	json_remedies(&w, dg);
	jw_karray(&w, "other_causes");
	for (s = 0; s < dg->n_causes; s++)
		jw_str(&w, dg->causes[s]);
	jw_end(&w);
	jw_kstr(&w, "verdict", dg->verdict);
	jw_end(&w);
}
