// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The path a guest's frames take on the host, with the offloads that
 * decide what happens to a super-frame at each device (offpath.h). A
 * guest's super-frame stays whole through its tap, the bridge and veth
 * pairs (software devices pass GSO frames on); where it leaves through a
 * NIC, validate_xmit_skb() segments it in software unless the NIC has the
 * segmentation its gso_type needs (netif_skb_features / net_gso_ok), in
 * which case the NIC's hardware cuts it — and, either way, a NIC with TX
 * checksumming on computes the checksums. That device is what is marked.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "json_writer.h"
#include "offpath.h"
#include "print.h"
#include "remedy.h"

static const char *const col_names[PC__MAX] = {
	[PC_TSO] = "tso", [PC_TSO6] = "tso6", [PC_USO] = "uso", [PC_GSO] = "gso",
	[PC_CSUM] = "csum",
};

/* The kernel's name of each column's feature (the checksum has three). */
static const char *const col_features[PC__MAX] = {
	[PC_TSO] = "tx-tcp-segmentation", [PC_TSO6] = "tx-tcp6-segmentation",
	[PC_USO] = "tx-udp-segmentation", [PC_GSO] = "tx-generic-segmentation",
	[PC_CSUM] = "tx-checksum-ip-generic",
};

const char *path_col_name(int c)
{
	return c >= 0 && c < PC__MAX ? col_names[c] : "?";
}

void path_cols_from_features(const struct vno_features *fs, signed char col[PC__MAX])
{
	static const char *const csum[] = { "tx-checksum-ip-generic", "tx-checksum-ipv4",
					    "tx-checksum-ipv6" };

	for (int c = 0; c < PC__MAX; c++) {
		const struct vno_feature *f = vno_feature_find(fs, col_features[c]);

		col[c] = f ? (f->active ? VNO_OFF_ON : VNO_OFF_OFF) : VNO_OFF_UNKNOWN;
	}
	/* Any of the three: a NIC checksums what its kind allows. */
	for (size_t i = 0; i < sizeof(csum) / sizeof(csum[0]); i++) {
		const struct vno_feature *f = vno_feature_find(fs, csum[i]);

		if (f && f->active)
			col[PC_CSUM] = VNO_OFF_ON;
		else if (f && col[PC_CSUM] == VNO_OFF_UNKNOWN)
			col[PC_CSUM] = VNO_OFF_OFF;
	}
}

void path_cols_from_iface(const struct vno_iface *it, signed char col[PC__MAX])
{
	/* ethtool's "tso" is TCP segmentation of both IP versions. */
	col[PC_TSO] = it->offload[VNO_OL_TSO];
	col[PC_TSO6] = it->offload[VNO_OL_TSO];
	col[PC_USO] = it->offload[VNO_OL_USO];
	col[PC_GSO] = it->offload[VNO_OL_GSO];
	col[PC_CSUM] = it->offload[VNO_OL_TX_CSUM];
}

bool path_driver_is_hw(const char *driver)
{
	/* Link kinds and the drivers ethtool -i names for software devices:
	 * they pass a GSO frame on whole (or segment it in software). */
	static const char *const soft[] = {
		"tun", "veth", "bridge", "bond", "team", "vxlan", "geneve", "macvlan", "macvtap",
		"ipvlan", "ipvtap", "openvswitch", "dummy", "ifb", "vrf", "gre", "gretap",
		"ip6gre", "ip6gretap", "ipip", "sit", "ip6tnl", "wireguard", "vlan",
		"802.1Q VLAN Support", "hsr", "nlmon", "netkit", "bareudp", "erspan", "xfrm",
	};

	if (!driver || !driver[0])
		return false;
	for (size_t i = 0; i < sizeof(soft) / sizeof(soft[0]); i++)
		if (!strcmp(driver, soft[i]))
			return false;
	return true;
}

static const struct vno_iface *by_name(const struct vno_iface *ifs, size_t n, const char *name)
{
	for (size_t i = 0; name && name[0] && i < n; i++)
		if (!strncmp(ifs[i].name, name, VNO_IFNAMSIZ))
			return &ifs[i];
	return NULL;
}

static const struct vno_iface *by_index(const struct vno_iface *ifs, size_t n, __u32 netns,
					__u32 ifindex)
{
	for (size_t i = 0; ifindex && i < n; i++)
		if (ifs[i].ifindex == ifindex && ifs[i].netns == netns)
			return &ifs[i];
	return NULL;
}

static bool is_bridge(const struct vno_iface *it)
{
	return it && !strcmp(it->driver, "bridge");
}

static bool is_tap(const struct vno_iface *it)
{
	return it && !strcmp(it->driver, "tun");
}

static void add(struct vno_path *p, const struct vno_iface *it, const char *role,
		path_cols_fn fn, void *ctx)
{
	struct path_hop *h;

	if (p->n >= PATH_MAX_HOPS)
		return;
	for (unsigned i = 0; i < p->n; i++)
		if (!strncmp(p->hop[i].name, it->name, VNO_IFNAMSIZ))
			return;
	h = &p->hop[p->n++];
	memset(h, 0, sizeof(*h));
	snprintf(h->name, sizeof(h->name), "%.*s", VNO_IFNAMSIZ - 1, it->name);
	snprintf(h->driver, sizeof(h->driver), "%s", it->driver);
	snprintf(h->role, sizeof(h->role), "%s", role);
	h->hw = path_driver_is_hw(it->driver);
	memset(h->col, VNO_OFF_UNKNOWN, sizeof(h->col));
	if (fn)
		fn(it, h->col, ctx);
	else
		path_cols_from_iface(it, h->col);
}

/* An uplink and what carries its frames further down: a bond's slaves, a
 * VLAN's (or macvlan's) lower device. */
static void add_uplink(struct vno_path *p, const struct vno_iface *ifs, size_t n,
		       const struct vno_iface *up, path_cols_fn fn, void *ctx)
{
	const struct vno_iface *low;

	add(p, up, "uplink", fn, ctx);
	/* Full: no more scans (a capture may list thousands of ports). */
	for (size_t i = 0; i < n && p->n < PATH_MAX_HOPS; i++)
		if (ifs[i].master == up->ifindex && ifs[i].netns == up->netns)
			add(p, &ifs[i], "lower", fn, ctx);
	/* IFLA_LINK means that only for these: a veth's is its peer. */
	if ((!strcmp(up->driver, "802.1Q VLAN Support") || !strcmp(up->driver, "vlan") ||
	     !strcmp(up->driver, "macvlan") || !strcmp(up->driver, "ipvlan")) &&
	    up->link != up->ifindex && (low = by_index(ifs, n, up->netns, up->link)))
		add(p, low, "lower", fn, ctx);
}

/* The segmentation column a kind of frame needs, or -1. */
static int seg_col(int rem)
{
	switch (rem) {
	case REM_TSO4: case REM_TSO_ECN: case REM_TSO_FIXEDID: return PC_TSO;
	case REM_TSO6: return PC_TSO6;
	case REM_USO: return PC_USO;
	default: return -1;
	}
}

static const char *kind_words(unsigned kinds)
{
	bool tcp4 = kinds & (REM_BIT(REM_TSO4) | REM_BIT(REM_TSO_ECN) | REM_BIT(REM_TSO_FIXEDID)),
	     tcp6 = kinds & REM_BIT(REM_TSO6), udp = kinds & REM_BIT(REM_USO);

	if (tcp4 + tcp6 + udp > 1)
		return "super-frames";
	return tcp4 ? "TCPv4 super-frames (TSO)" : tcp6 ? "TCPv6 super-frames (TSO6)"
		: udp ? "UDP super-frames (USO)" : "checksum-offloaded frames";
}

/* Where the frames meet hardware offload, and the sentence. */
static void find_meet(struct vno_path *p, const char *from, unsigned kinds)
{
	const char *what = kind_words(kinds), *src = from && from[0] ? from : "the guests";
	int first_hw = -1;

	for (unsigned i = 0; i < p->n && p->meet < 0; i++) {
		const struct path_hop *h = &p->hop[i];
		int seg = -1;

		if (!h->hw || !strcmp(h->role, "tap"))
			continue;
		if (first_hw < 0)
			first_hw = (int)i;
		for (int o = 0; o < REM__MAX && seg < 0; o++)
			if (kinds & REM_BIT(o) && seg_col(o) >= 0 && h->col[seg_col(o)] == VNO_OFF_ON)
				seg = seg_col(o);
		if (seg >= 0) {
			p->meet = (int)i;
			p->meet_segments = true;
			snprintf(p->note, sizeof(p->note),
				 "%s from %s reach %s (%s), which segments them in hardware (%s on)",
				 what, src, h->name, h->driver, col_features[seg]);
		} else if (kinds && h->col[PC_CSUM] == VNO_OFF_ON) {
			p->meet = (int)i;
			snprintf(p->note, sizeof(p->note),
				 "%s from %s are segmented in software before %s (%s), which "
				 "checksums them in hardware (TX checksumming on)",
				 what, src, h->name, h->driver);
		}
	}
	if (p->meet >= 0)
		return;
	if (!kinds)
		snprintf(p->note, sizeof(p->note), "no super-frames to follow along the path");
	else if (first_hw >= 0)
		snprintf(p->note, sizeof(p->note),
			 "%s (%s) has these offloads off: the kernel segments and checksums "
			 "%s in software before it", p->hop[first_hw].name,
			 p->hop[first_hw].driver, what);
	else
		snprintf(p->note, sizeof(p->note),
			 "no NIC on this path (software devices only): %s stay whole or are "
			 "segmented in software", what);
}

int path_build(struct vno_path *p, const struct vno_iface *ifs, size_t n, const char *tap,
	       const char *dev, unsigned kinds, path_cols_fn fn, void *ctx)
{
	const struct vno_iface *t = by_name(ifs, n, tap), *d = by_name(ifs, n, dev), *br = NULL;

	memset(p, 0, sizeof(*p));
	p->meet = -1;
	/* A hang on a tap itself (a guest that stopped reading) is the frames
	 * toward the guest: the path is still the tap's. */
	if (is_tap(d)) {
		if (!t)
			t = d;
		d = NULL;
	}
	if (t && t->master)
		br = by_index(ifs, n, t->netns, t->master);
	else if (is_bridge(d))
		br = d;
	else if (d && d->master)
		br = by_index(ifs, n, d->netns, d->master);
	if (!is_bridge(br))
		return -ENOENT;
	if (t && t->master == br->ifindex) {
		add(p, t, "tap", fn, ctx);
	} else {
		/* Every guest on the bridge, as many as leave room. */
		for (size_t i = 0; i < n && p->n < 3; i++)
			if (is_tap(&ifs[i]) && ifs[i].master == br->ifindex &&
			    ifs[i].netns == br->netns)
				add(p, &ifs[i], "tap", fn, ctx);
	}
	add(p, br, "bridge", fn, ctx);
	if (d && d != br) {
		add_uplink(p, ifs, n, d, fn, ctx);
	} else {
		for (size_t i = 0; i < n && p->n < PATH_MAX_HOPS; i++)
			if (ifs[i].master == br->ifindex && ifs[i].netns == br->netns &&
			    !is_tap(&ifs[i]))
				add_uplink(p, ifs, n, &ifs[i], fn, ctx);
	}
	find_meet(p, t ? t->name : NULL, kinds);
	return 0;
}

static const char *state(signed char s)
{
	return s == VNO_OFF_ON ? "on" : s == VNO_OFF_OFF ? "off" : "?";
}

void path_print(FILE *out, const struct vno_path *p, const char *indent)
{
	char name[TERM_STR_LEN(VNO_IFNAMSIZ)], drv[TERM_STR_LEN(32)], note[TERM_STR_LEN(256)];
	int wn = 6, wd = 6;

	for (unsigned i = 0; i < p->n; i++) {
		int a = (int)strlen(term_str(name, sizeof(name), p->hop[i].name)),
		    b = (int)strlen(term_str(drv, sizeof(drv), p->hop[i].driver));

		wn = a > wn ? a : wn;
		wd = b > wd ? b : wd;
	}
	static const char *const head[PC__MAX] = { "TSO", "TSO6", "USO", "GSO", "CSUM" };

	fprintf(out, "%s%-*s %-6s %-*s", indent, wn, "DEVICE", "ROLE", wd, "DRIVER");
	for (int c = 0; c < PC__MAX; c++)
		fprintf(out, c + 1 < PC__MAX ? " %-4s" : " %s", head[c]);
	fputc('\n', out);
	for (unsigned i = 0; i < p->n; i++) {
		const struct path_hop *h = &p->hop[i];

		fprintf(out, "%s%-*s %-6s %-*s", indent, wn, term_str(name, sizeof(name), h->name),
			h->role, wd, term_str(drv, sizeof(drv), h->driver[0] ? h->driver : "-"));
		for (int c = 0; c < PC__MAX; c++)
			fprintf(out, c + 1 < PC__MAX ? " %-4s" : " %s", state(h->col[c]));
		if ((int)i == p->meet)
			fprintf(out, "  <- %s in hardware here",
				p->meet_segments ? "segmented" : "checksummed");
		fputc('\n', out);
	}
	fprintf(out, "%s%s\n", indent, term_str(note, sizeof(note), p->note));
}

void path_json(struct jw *w, const struct vno_path *p)
{
	jw_object(w);
	jw_karray(w, "hops");
	for (unsigned i = 0; i < p->n; i++) {
		const struct path_hop *h = &p->hop[i];

		jw_object(w);
		jw_kstr(w, "name", h->name);
		jw_kstr(w, "role", h->role);
		jw_kstr(w, "driver", h->driver);
		jw_kbool(w, "hw", h->hw);
		jw_kobject(w, "offloads");
		for (int c = 0; c < PC__MAX; c++)
			jw_kstr(w, path_col_name(c), state(h->col[c]));
		jw_end(w);
		jw_end(w);
	}
	jw_end(w);
	if (p->meet >= 0)
		jw_kstr(w, "meets", p->hop[p->meet].name);
	else
		jw_knull(w, "meets");
	jw_kbool(w, "segments", p->meet >= 0 && p->meet_segments);
	jw_kstr(w, "note", p->note);
	jw_end(w);
}
