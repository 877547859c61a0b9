// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* A driver's TX ring report in the diagnosis (diag_ring.h). */
#include <errno.h>
#include <string.h>
#include <json-c/json.h>
#include "diag_ring.h"
#include "json.h"

void diag_ring(struct vno_diagnosis *dg)
{
	const struct ring_report *r = &dg->hang.ring;
	long long left;
	size_t i;

	dg->n_on_ring = dg->on_ring_super = 0;
	if (!r->parser[0] || r->pending <= 0 || !dg->completions_known)
		return;
	left = r->pending;
	for (i = dg->n_frames; i-- > 0 && left > 0;) {
		struct diag_frame *df = &dg->frames[i];

		if (df->ev.f.hop != VNO_HOP_XMIT || df->completed)
			continue;
		if (dg->hang.ifindex && df->ev.f.ifindex != dg->hang.ifindex)
			continue;
		df->on_ring = 1;
		dg->n_on_ring++;
		if (df->ev.f.gso_size)
			dg->on_ring_super++;
		left--;
	}
}

/* One member: the number, or null for -1 (the report does not say). */
static void num(struct jw *w, const char *key, long long v)
{
	jw_key(w, key);
	if (v >= 0)
		jw_i64(w, v);
	else
		jw_null(w);
}

void diag_ring_json(struct jw *w, const struct vno_diagnosis *dg)
{
	const struct ring_report *r = &dg->hang.ring;

	jw_key(w, "ring");
	if (!r->parser[0]) {
		jw_null(w);
		return;
	}
	jw_object(w);
	jw_kstr(w, "parser", r->parser);
	jw_key(w, "driver");
	if (r->driver[0])
		jw_str(w, r->driver);
	else
		jw_null(w);
	num(w, "queue", r->queue);
	num(w, "head", r->head);
	num(w, "tail", r->tail);
	num(w, "next_to_use", r->next_to_use);
	num(w, "next_to_clean", r->next_to_clean);
	num(w, "pending", r->pending);
	num(w, "ring_size", r->ring_size);
	num(w, "time_stamp", r->time_stamp);
	num(w, "jiffies", r->jiffies);
	num(w, "waited_jiffies", r->waited_jiffies);
	num(w, "waited_ms", r->waited_ms);
	num(w, "status", r->status);
	jw_key(w, "written_back");
	if (r->written_back >= 0)
		jw_bool(w, r->written_back);
	else
		jw_null(w);
	num(w, "mac_status", r->mac_status);
	num(w, "phy_status", r->phy_status);
	num(w, "pci_status", r->pci_status);
	num(w, "timeout_ms", r->timeout_ms);
	num(w, "lines", r->lines);
	jw_key(w, "drv_done_ago_ms");
	if (dg->drv_done_known)
		jw_double(w, (double)dg->drv_done_ago_ns / 1e6, 3);
	else
		jw_null(w);
	jw_end(w);
}

void diag_on_ring_json(struct jw *w, const struct vno_diagnosis *dg)
{
	jw_karray(w, "on_ring");
	for (size_t i = 0; i < dg->n_frames; i++)
		if (dg->frames[i].on_ring)
			jw_u64(w, i);
	jw_end(w);
}

static long long get_num(struct json_object *o, const char *key)
{
	long long v;

	if (json_val_i64(json_member(o, key), &v) || v < 0)
		return -1;
	return v;
}

int diag_ring_from_json(const char *json, struct ring_report *r)
{
	struct json_object *root, *o, *v;
	bool b;

	ring_report_init(r);
	if (!json)
		return -EINVAL;
	root = json_parse(json, strlen(json), 1u << 22, NULL);
	if (!root)
		return -EINVAL;
	o = json_member(root, "ring");
	if (!o || json_val_str(json_member(o, "parser"), r->parser, sizeof(r->parser))) {
		r->parser[0] = '\0';
		json_object_put(root);
		return 0;
	}
	json_val_str(json_member(o, "driver"), r->driver, sizeof(r->driver));
	v = json_member(o, "queue");
	if (v) {
		long long q = get_num(o, "queue");

		r->queue = q >= 0 && q <= 0xFFFF ? (int)q : -1;
	}
	r->head = get_num(o, "head");
	r->tail = get_num(o, "tail");
	r->next_to_use = get_num(o, "next_to_use");
	r->next_to_clean = get_num(o, "next_to_clean");
	r->pending = get_num(o, "pending");
	r->ring_size = get_num(o, "ring_size");
	r->time_stamp = get_num(o, "time_stamp");
	r->jiffies = get_num(o, "jiffies");
	r->waited_jiffies = get_num(o, "waited_jiffies");
	r->waited_ms = get_num(o, "waited_ms");
	r->status = get_num(o, "status");
	if (!json_val_bool(json_member(o, "written_back"), &b))
		r->written_back = b;
	r->mac_status = get_num(o, "mac_status");
	r->phy_status = get_num(o, "phy_status");
	r->pci_status = get_num(o, "pci_status");
	r->timeout_ms = get_num(o, "timeout_ms");
	r->lines = (int)(get_num(o, "lines") > 0 && get_num(o, "lines") < 1000 ? get_num(o, "lines") : 0);
	json_object_put(root);
	return 0;
}
