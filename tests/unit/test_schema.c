// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The built-in JSON Schema against the C code: every enumeration in it is
 * the table the code prints from (hops, gso bits, checksum states, anomaly
 * rules, hang sources, suspect attributes, program kinds, offloads,
 * transport names), and every member the frame, summary and hang writers
 * print is a member the schema describes, with every required one printed.
 * The suite's test_schema.sh validates real output with python3-jsonschema.
 */
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include <criterion/criterion.h>
#include "agg.h"
#include "anomaly.h"
#include "cmds.h"
#include "decode.h"
#include "diagnose.h"
#include "ring_report.h"
#include "ifaces.h"
#include "json.h"
#include "probe.h"
#include "frames.h"

static struct json_object *S;

static void setup(void)
{
	size_t len;
	const char *text = schema_text(&len);

	cr_assert_eq(strlen(text), len, "the schema holds a NUL byte");
	S = json_tokener_parse(text);
	cr_assert_not_null(S, "the built-in schema is not JSON");
}

static void teardown(void)
{
	json_object_put(S);
}

TestSuite(schema, .init = setup, .fini = teardown);

static struct json_object *get(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	cr_assert(json_object_object_get_ex(o, key, &v), "no \"%s\" in %s", key,
		  json_object_to_json_string(o));
	return v;
}

static struct json_object *def(const char *name)
{
	return get(get(S, "$defs"), name);
}

/* $defs/@name's enum is exactly @n names, in the C table's order. */
static void assert_enum(const char *name, const char *(*fn)(unsigned), unsigned n)
{
	struct json_object *e = get(def(name), "enum");

	cr_assert_eq(json_object_array_length(e), n, "%s: %zu names in the schema, %u in C", name,
		     json_object_array_length(e), n);
	for (unsigned i = 0; i < n; i++)
		cr_assert_str_eq(json_object_get_string(json_object_array_get_idx(e, i)), fn(i),
				 "%s[%u]", name, i);
}

static const char *hop(unsigned i) { return vno_hop_name(i); }
static const char *csum(unsigned i) { return vno_csum_name(i); }
static const char *rule(unsigned i) { return anomaly_name(i); }
static const char *source(unsigned i) { return diag_source_name((int)i); }
static const char *attr(unsigned i) { return diag_attr_name((int)i); }
static const char *kind(unsigned i) { return probe_kind_name((int)i); }
static const char *offload(unsigned i) { return vno_offload_name((int)i); }

/* The i-th named gso bit, the i-th named transport: tables with holes. */
static const char *gso_named(unsigned i)
{
	for (unsigned b = 0; b < 32; b++)
		if (vno_gso_bit_name(b) && !i--)
			return vno_gso_bit_name(b);
	return "(none)";
}

static unsigned gso_named_count(void)
{
	unsigned n = 0;

	for (unsigned b = 0; b < 32; b++)
		n += vno_gso_bit_name(b) != NULL;
	return n;
}

static const char *l4_named(unsigned i)
{
	for (unsigned p = 0; p < 256; p++)
		if (vno_l4_name(p) && !i--)
			return vno_l4_name(p);
	return "(none)";
}

static unsigned l4_named_count(void)
{
	unsigned n = 0;

	for (unsigned p = 0; p < 256; p++)
		n += vno_l4_name(p) != NULL;
	return n;
}

Test(schema, draft_2020_12)
{
	cr_assert_str_eq(json_object_get_string(get(S, "$schema")),
			 "https://json-schema.org/draft/2020-12/schema");
}

Test(schema, enumerations_are_the_c_tables)
{
	assert_enum("hop", hop, VNO_HOP__MAX);
	assert_enum("ip_summed", csum, VNO_CSUM__MAX);
	assert_enum("anomaly_rule", rule, ANOMALY__MAX);
	assert_enum("hang_source", source, VNO_HANG__MAX);
	assert_enum("suspect_attribute", attr, DIAG_ATTR__MAX);
	assert_enum("program_kind", kind, PROBE__MAX);
	assert_enum("offload", offload, VNO_OL__MAX);
	assert_enum("gso_bit_name", gso_named, gso_named_count());
	assert_enum("l4_name", l4_named, l4_named_count());
}

/* Every line type has its definition, and the top level dispatches to it. */
Test(schema, every_type_has_a_definition)
{
	struct json_object *types = get(get(get(get(S, "then"), "properties"), "type"), "enum");
	struct json_object *all = get(get(S, "then"), "allOf");

	cr_assert_eq(json_object_array_length(types), json_object_array_length(all));
	for (size_t i = 0; i < json_object_array_length(types); i++) {
		const char *t = json_object_get_string(json_object_array_get_idx(types, i));
		struct json_object *branch = json_object_array_get_idx(all, i);
		char ref[64];

		def(t);
		snprintf(ref, sizeof(ref), "#/$defs/%s", t);
		cr_assert_str_eq(json_object_get_string(get(get(get(get(branch, "if"), "properties"),
								    "type"), "const")), t);
		cr_assert_str_eq(json_object_get_string(get(get(branch, "then"), "$ref")), ref);
	}
}

/* The checksum spelling vno_csum_str() writes matches the schema's pattern
 * (ECMA-262 there; this one needs nothing POSIX ERE lacks). */
Test(schema, csum_pattern_matches_vno_csum_str)
{
	const char *pat = json_object_get_string(get(def("csum"), "pattern"));
	struct vno_frame f = {};
	char buf[32];
	regex_t re;

	cr_assert_eq(regcomp(&re, pat, REG_EXTENDED | REG_NOSUB), 0, "%s", pat);
	for (unsigned c = 0; c < VNO_CSUM__MAX; c++) {
		f.ip_summed = c;
		f.csum_start = c == VNO_CSUM_PARTIAL ? 34 : 0;
		f.csum_offset = c == VNO_CSUM_PARTIAL ? 16 : 0;
		vno_csum_str(&f, buf, sizeof(buf));
		cr_assert_eq(regexec(&re, buf, 0, NULL, 0), 0, "\"%s\" does not match %s", buf, pat);
	}
	cr_assert_neq(regexec(&re, "partial@34", 0, NULL, 0), 0);
	regfree(&re);
}

/* Each member of @obj is in @d's properties, and each of its required
 * members is in @obj. */
static void assert_described(struct json_object *obj, struct json_object *d, const char *what)
{
	struct json_object *props = get(d, "properties"), *req = get(d, "required");

	cr_assert(json_object_is_type(obj, json_type_object), "%s: not an object", what);
	json_object_object_foreach(obj, key, val) {
		(void)val;
		cr_assert(json_object_object_get_ex(props, key, NULL),
			  "%s prints \"%s\", which the schema does not describe", what, key);
	}
	for (size_t i = 0; i < json_object_array_length(req); i++) {
		const char *k = json_object_get_string(json_object_array_get_idx(req, i));

		cr_assert(json_object_object_get_ex(obj, k, NULL),
			  "%s: the schema requires \"%s\", which is not printed", what, k);
	}
}

static struct json_object *render(void (*fn)(FILE *, const void *), const void *arg)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct json_object *o;

	cr_assert_not_null(f);
	fn(f, arg);
	fclose(f);
	o = json_tokener_parse(buf);
	cr_assert_not_null(o, "not JSON: %s", buf);
	free(buf);
	return o;
}

/* A frame that prints every optional member: TCP, ring state, freed with
 * a reason, a guest's refusal, an anomaly. */
static void full_frame(struct vno_event *ev, __u8 hop)
{
	fr_init(ev);
	ev->f.hop = hop;
	memcpy(ev->f.dev, "tap0", 5);
	ev->f.ifindex = 5;
	ev->f.netns = 4026531840u;
	ev->f.len = 14534;
	ev->f.gso_size = 1448;
	ev->f.gso_segs = 10;
	ev->f.gso_type = VNO_GSO_TCPV4 | VNO_GSO_DODGY | (1u << 25);
	ev->f.ip_summed = VNO_CSUM_PARTIAL;
	ev->f.csum_start = 34;
	ev->f.csum_offset = 16;
	ev->f.network_off = 14;
	ev->f.transport_off = 34;
	ev->f.ip_ver = 4;
	ev->f.l3_proto = FR_ETH_IP;
	ev->f.l4_proto = 6;
	ev->f.vlan_proto = FR_ETH_8021Q;
	ev->f.vlan_tci = 7;
	ev->f.pkt_id = 0xf191b5023e8b2b9dull;
	ev->f.flags = VNO_F_RING | VNO_F_FREED | VNO_F_ANOMALY;
	ev->f.drop_reason = 22;
	ev->f.ring_size = 256;
	ev->f.ring_tail = 3;
	ev->f.anomaly = 1;
}

static void frame_fn(FILE *f, const void *ev)
{
	json_frame(f, ev);
}

Test(schema, frame_members_are_described)
{
	struct vno_event ev;
	struct json_object *o;

	for (__u8 h = 0; h < VNO_HOP__MAX; h++) {
		full_frame(&ev, h);
		o = render(frame_fn, &ev);
		cr_assert_str_eq(json_object_get_string(get(o, "type")), "frame");
		json_object_object_del(o, "type");
		assert_described(o, def("frame_fields"), "a frame");
		json_object_put(o);
	}
}

struct sum_arg {
	const struct agg *a;
};

static void summary_fn(FILE *f, const void *p)
{
	agg_json(f, ((const struct sum_arg *)p)->a, 1, 2, 3.5);
}

Test(schema, summary_members_are_described)
{
	struct agg *a = agg__new();
	struct vno_event ev;
	struct sum_arg arg = { a };
	struct json_object *o, *devs, *ddef;

	cr_assert_not_null(a);
	full_frame(&ev, VNO_HOP_XMIT);
	ev.f.flags = 0;
	cr_assert_eq(agg__add(a, &ev), 0);
	o = render(summary_fn, &arg);
	assert_described(o, def("summary"), "the summary");
	devs = get(o, "devices");
	cr_assert_eq(json_object_array_length(devs), 1);
	ddef = get(get(get(def("summary"), "properties"), "devices"), "items");
	assert_described(json_object_array_get_idx(devs, 0), ddef, "a summary device");
	assert_described(get(o, "devices_more"),
			 get(get(def("summary"), "properties"), "devices_more"), "devices_more");
	json_object_put(o);
	agg__free(a);
}

static void hang_fn(FILE *f, const void *dg)
{
	diag_json(f, dg);
}

Test(schema, hang_members_are_described)
{
	struct diag_frame df = {};
	struct vno_diagnosis dg = {};
	struct json_object *o, *props = get(def("hang"), "properties"), *fb, *hf;

	full_frame(&df.ev, VNO_HOP_XMIT);
	df.anomalies = 1;
	memcpy(df.origin, "tap0", 5);
	dg.hang.source = VNO_HANG_KMSG;
	dg.hang.queue = 0;
	memcpy(dg.hang.dev, "eno1", 5);
	strcpy(dg.driver, "e1000e");
	dg.frames = &df;
	dg.n_frames = 1;
	dg.completions_known = true;
	dg.anomalies[0] = 1;
	dg.n_suspects = 1;
	dg.suspects[0].attr = DIAG_ATTR_GSO_TYPE;
	strcpy(dg.suspects[0].value, "tcpv4|dodgy");
	dg.suspects[0].lift = 50;
	strcpy(dg.remedy, "ethtool -K eno1 tso off gso off");
	strcpy(dg.verdict, "top suspect: gso_type tcpv4|dodgy");
	cr_assert_eq(ring_report_parse("e1000e 0000:00:19.0 eno1: Detected Hardware Unit Hang:\n"
				       "  TDH <5d>\n  TDT <90>\n  next_to_use <90>\n"
				       "  next_to_clean <5c>\n  time_stamp <10014eaa6>\n"
				       "  jiffies <10014f100>\n  next_to_watch.status <0>\n"
				       "MAC Status <80083>\nPCI Status <10>", 250, &dg.hang.ring), 1);
	dg.drv_done_known = true;
	dg.drv_done_ago_ns = 6500000000ULL;
	df.on_ring = 1;
	o = render(hang_fn, &dg);
	assert_described(o, def("hang"), "a hang");
	assert_described(get(o, "ring"),
			 json_object_array_get_idx(get(get(props, "ring"), "anyOf"), 0),
			 "a hang's ring");
	cr_assert_eq(json_object_array_length(get(o, "on_ring")), 1);
	assert_described(get(o, "window"), get(props, "window"), "a hang's window");
	assert_described(json_object_array_get_idx(get(o, "anomalies"), 0),
			 get(get(props, "anomalies"), "items"), "a hang's anomaly");
	assert_described(json_object_array_get_idx(get(o, "suspects"), 0),
			 get(get(props, "suspects"), "items"), "a suspect");
	/* frames_before: the frame's members and the diagnosis' own. */
	fb = json_object_array_get_idx(get(o, "frames_before"), 0);
	hf = json_object_array_get_idx(get(def("hang_frame"), "allOf"), 1);
	json_object_object_foreach(get(hf, "properties"), k, v) {
		(void)v;
		cr_assert(json_object_object_get_ex(fb, k, NULL), "frames_before lacks \"%s\"", k);
		json_object_object_del(fb, k);
	}
	assert_described(fb, def("frame_fields"), "a frame before a hang");
	json_object_put(o);
}
