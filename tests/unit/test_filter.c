// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * filter: the -m grammar (every field and operator, and one sentence with
 * a column for each way a predicate can be wrong), -f through libpcap over
 * crafted frames (an out-of-band VLAN tag included), and hop keeping by
 * pkt_id.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <criterion/criterion.h>
#include "anomaly.h"
#include "decode.h"
#include "filter.h"
#include "frames.h"

static struct vno_event tcp_frame(const char *src, const char *dst, __u16 sport, __u16 dport)
{
	struct vno_event ev;

	fr_init(&ev);
	fr_eth(&ev, 0x0800);
	fr_ipv4(&ev, src, dst, 6);
	fr_tcp(&ev, sport, dport, 1, FR_TCP_ACK);
	ev.f.hop = VNO_HOP_XMIT;
	ev.f.len = ev.f.cap_len;
	vno_decode(&ev);
	return ev;
}

static bool pred(const char *s, const struct vno_event *ev, const struct vno_iface *dev,
		 unsigned long long anom)
{
	struct vno_match m;
	char err[256];

	cr_assert_eq(vno_match_parse(s, &m, err, sizeof(err)), 0, "'%s' refused: %s", s, err);
	return vno_match_eval(&m, ev, dev, anom);
}

Test(filter, match_fields)
{
	struct vno_event ev = fr_meta(VNO_HOP_XMIT, 1, 2, "tap3");
	struct vno_iface dev = { .name = "tap3", .vm = "guest-a" };

	ev.f.gso_size = 60;
	ev.f.gso_segs = 45;
	ev.f.gso_type = (1u << 17) | (1u << 1); /* udp_l4|dodgy */
	ev.f.ip_summed = VNO_CSUM_PARTIAL;
	ev.f.csum_start = 34;
	ev.f.csum_offset = 6;
	ev.f.len = 2000;
	ev.f.queue = 3;

	cr_expect(pred("gso_size < 64", &ev, &dev, 0));
	cr_expect(!pred("gso_size >= 64", &ev, &dev, 0));
	cr_expect(pred("gso_size<=60", &ev, &dev, 0));
	cr_expect(pred("segs > 44", &ev, &dev, 0));
	cr_expect(!pred("gso_segs > 45", &ev, &dev, 0));
	cr_expect(pred("gso_type has udp_l4", &ev, &dev, 0));
	cr_expect(pred("gso_type has udp_l4|dodgy", &ev, &dev, 0));
	cr_expect(!pred("gso_type has udp_l4|tcpv4", &ev, &dev, 0));
	cr_expect(pred("gso_type == dodgy|udp_l4", &ev, &dev, 0));
	cr_expect(!pred("gso_type == udp_l4", &ev, &dev, 0));
	cr_expect(pred("gso_type != none", &ev, &dev, 0));
	cr_expect(pred("ip_summed == partial", &ev, &dev, 0));
	cr_expect(pred("ip_summed in (none, partial)", &ev, &dev, 0));
	cr_expect(!pred("ip_summed != partial", &ev, &dev, 0));
	cr_expect(pred("csum_start == 34", &ev, &dev, 0));
	cr_expect(pred("csum_offset == 0x6", &ev, &dev, 0));
	cr_expect(pred("len > 1500", &ev, &dev, 0));
	cr_expect(pred("queue in 1,3,5", &ev, &dev, 0));
	cr_expect(!pred("queue in (0,1)", &ev, &dev, 0));
	cr_expect(pred("hop == xmit", &ev, &dev, 0));
	cr_expect(pred("hop in (done, xmit)", &ev, &dev, 0));
	cr_expect(!pred("hop == rx", &ev, &dev, 0));
	cr_expect(pred("dev == tap*", &ev, &dev, 0));
	cr_expect(!pred("dev == eno1", &ev, &dev, 0));
	cr_expect(pred("dev != eno1", &ev, &dev, 0));
	cr_expect(pred("vm == guest-a", &ev, &dev, 0));
	cr_expect(!pred("vm == guest-a", &ev, NULL, 0), "an unknown VM matches no name");
	cr_expect(pred("vm != guest-a", &ev, NULL, 0));
	cr_expect(!pred("anomaly", &ev, &dev, 0));
	cr_expect(pred("anomaly", &ev, &dev, 1ull << 2));
	cr_expect(pred("anomaly == none", &ev, &dev, 0));
	cr_expect(pred("anomaly != none", &ev, &dev, 1));
	cr_expect(pred("anomaly has gso_type_without_size", &ev, &dev,
		       1ull << anomaly_parse("gso_type_without_size")));
}

Test(filter, match_errors)
{
	static const struct { const char *s, *want; } bad[] = {
		{ "", "a field name is missing at column 1" },
		{ "gso_sizes < 3", "unknown field" },
		{ "gso_size", "an operator is missing at column 9" },
		{ "gso_size =< 3", "not an operator" },
		{ "gso_size < ", "a value is missing at column 12" },
		{ "gso_size < x", "not a number" },
		{ "gso_size < 99999999999", "not a number" },
		{ "gso_size has 3", "`has` is for the flag sets" },
		{ "hop < xmit", "compare numbers" },
		{ "hop == nowhere", "not a hop name" },
		{ "ip_summed == half", "not a checksum state" },
		{ "gso_type has udp_l5", "not a gso_type bit name at column 14" },
		{ "gso_type has udp_l4|", "a gso_type bit name is missing after |" },
		{ "queue in (1, 2", "`)` is missing" },
		{ "queue in (1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17)", "more than 16" },
		{ "gso_size < 3 4", "unexpected text at column 14" },
		{ "anomaly has nosuchrule", "not an anomaly rule name" },
		{ "anomaly == gso_type_without_size", "compares with none" },
	};
	struct vno_match m;
	char err[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		cr_expect_eq(vno_match_parse(bad[i].s, &m, err, sizeof(err)), -EINVAL,
			     "'%s' accepted", bad[i].s);
		cr_expect(strstr(err, "-m '") == err, "'%s': %s", bad[i].s, err);
		/* the wanted words, allowing the list of names between */
		{
			char want[128], *at;

			snprintf(want, sizeof(want), "%s", bad[i].want);
			at = strstr(want, " at column ");
			if (at) {
				cr_expect(strstr(err, at), "'%s': %s (want %s)", bad[i].s, err,
					  bad[i].want);
				*at = '\0';
			}
			cr_expect(strstr(err, want), "'%s': %s (want %s)", bad[i].s, err,
				  bad[i].want);
		}
	}
}

Test(filter, pcap)
{
	struct vno_event a = tcp_frame("192.0.2.5", "192.0.2.9", 40000, 873);
	struct vno_event b = tcp_frame("192.0.2.6", "192.0.2.9", 40001, 5201);
	const char *expr = "host 192.0.2.5 and tcp port 873";
	char err[512];
	struct vno_filter *f = vno_filter__new(expr, NULL, 0, err, sizeof(err));

	cr_assert(f, "%s", err);
	cr_expect(vno_filter__pcap_match(f, &a));
	cr_expect(!vno_filter__pcap_match(f, &b));
	cr_expect_str_eq(vno_filter__str(f), "-f 'host 192.0.2.5 and tcp port 873'");
	vno_filter__free(f);

	/* The tag the skb carries out of band is matched as tcpdump does. */
	f = vno_filter__new("vlan 10 and tcp port 873", NULL, 0, err, sizeof(err));
	cr_assert(f, "%s", err);
	cr_expect(!vno_filter__pcap_match(f, &a));
	a.f.flags |= VNO_F_VLAN_HW;
	a.f.vlan_proto = 0x8100;
	a.f.vlan_tci = 10;
	cr_expect(vno_filter__pcap_match(f, &a));
	a.f.vlan_tci = 11;
	cr_expect(!vno_filter__pcap_match(f, &a));
	vno_filter__free(f);

	errno = 0;
	cr_expect_null(vno_filter__new("tcp prot 873", NULL, 0, err, sizeof(err)));
	cr_expect_eq(errno, EINVAL);
	cr_expect(strstr(err, "-f 'tcp prot 873': ") == err, "%s", err);
	cr_expect(strstr(err, "syntax error"), "libpcap's own words: %s", err);
}

Test(filter, keeps_hops)
{
	const char *m[] = { "gso_size < 100" };
	struct vno_event ev = tcp_frame("192.0.2.5", "192.0.2.9", 40000, 873);
	struct vno_event done = fr_meta(VNO_HOP_DONE, 1, 2, "eth0");
	struct vno_event other = fr_meta(VNO_HOP_DONE, 1, 2, "eth0");
	char err[256];
	struct vno_filter *f = vno_filter__new("tcp port 873", m, 1, err, sizeof(err));

	cr_assert(f, "%s", err);
	cr_expect_str_eq(vno_filter__str(f), "-f 'tcp port 873' -m 'gso_size < 100'");
	ev.f.pkt_id = 77;
	ev.f.gso_size = 64;
	done.f.pkt_id = 77;
	done.f.gso_size = 500; /* would not match on its own, and carries no bytes */
	other.f.pkt_id = 78;
	cr_expect(!vno_filter__keep(f, &done, NULL, 0), "no earlier hop kept it");
	cr_expect(vno_filter__keep(f, &ev, NULL, 0));
	cr_expect(vno_filter__keep(f, &done, NULL, 0), "its xmit was kept");
	cr_expect(!vno_filter__keep(f, &done, NULL, 0), "done is its last hop");
	cr_expect(!vno_filter__keep(f, &other, NULL, 0));
	/* An id kept at xmit, its skb then entering a device again as another
	 * frame: judged afresh. */
	cr_expect(vno_filter__keep(f, &ev, NULL, 0));
	ev.f.hop = VNO_HOP_RX;
	ev.f.gso_size = 1000;
	cr_expect(!vno_filter__keep(f, &ev, NULL, 0));
	ev.f.hop = VNO_HOP_HANG;
	cr_expect(vno_filter__keep(f, &ev, NULL, 0), "a hang is always kept");
	vno_filter__free(f);

	cr_expect_null(vno_filter__new(NULL, (const char *[]){ "len >" }, 1, err, sizeof(err)));
	cr_expect(strstr(err, "a value is missing"), "%s", err);
}

/* What the BPF programs are given of -m: every field but vm and anomaly,
 * dev only with exact names (packed 16 bytes each), the rest left to user
 * space (all false). */
Test(filter, bpf_preds)
{
	const char *preds[] = { "gso_size < 100", "hop in (xmit, done)", "dev in (up0, tap0)",
				"gso_type has tcpv4|dodgy" };
	const char *user[] = { "dev == tap*", "vm == guest1", "anomaly" };
	struct vno_bpf_pred out[VNO_BPF_PREDS];
	struct vno_filter *f;
	char err[256];
	bool all;

	f = vno_filter__new(NULL, preds, 4, err, sizeof(err));
	cr_assert_not_null(f, "%s", err);
	cr_assert_eq(vno_filter__bpf_preds(f, out, &all), 4);
	cr_assert(all);
	cr_assert_eq(out[0].field, VNO_MF_GSO_SIZE);
	cr_assert_eq(out[0].op, VNO_MO_LT);
	cr_assert_eq(out[0].v[0], 100);
	cr_assert_eq(out[1].n, 2);
	cr_assert_eq(out[1].v[0], VNO_HOP_XMIT);
	cr_assert_eq(out[1].v[1], VNO_HOP_DONE);
	cr_assert_eq(out[2].field, VNO_MF_DEV);
	cr_assert_eq(out[2].n, 2);
	cr_assert_str_eq((const char *)&out[2].v[0], "up0");
	cr_assert_str_eq((const char *)&out[2].v[4], "tap0");
	cr_assert_eq(out[2].v[5], 0, "NUL-padded to 16 bytes");
	cr_assert_eq(out[3].op, VNO_MO_HAS);
	cr_assert_eq(out[3].v[0], VNO_GSO_TCPV4 | VNO_GSO_DODGY);
	vno_filter__free(f);
	for (size_t i = 0; i < 3; i++) {
		f = vno_filter__new(NULL, &user[i], 1, err, sizeof(err));
		cr_assert_not_null(f, "%s", err);
		cr_assert_eq(vno_filter__bpf_preds(f, out, &all), 0, "%s", user[i]);
		cr_assert(!all, "%s stays in user space", user[i]);
		vno_filter__free(f);
	}
}

/* Judged in BPF: the hops the programs filter come kept; a driver hop is
 * kept when its frame was kept before it, judged here otherwise. */
Test(filter, judged_in_bpf)
{
	const char *m[] = { "gso_size < 100" };
	struct vno_event xmit = fr_meta(VNO_HOP_XMIT, 1, 2, "eth0");
	struct vno_event drv = fr_meta(VNO_HOP_DRV_XMIT, 1, 2, "eth0");
	char err[256];
	struct vno_filter *f = vno_filter__new(NULL, m, 1, err, sizeof(err));

	cr_assert(f, "%s", err);
	vno_filter__judged_in_bpf(f, true, true);
	xmit.f.pkt_id = 5;
	xmit.f.gso_size = 1448; /* the programs sent it: they know better */
	drv.f.pkt_id = 5;
	drv.f.gso_size = 1448;
	cr_expect(vno_filter__keep(f, &xmit, NULL, 0), "a record the programs passed is kept");
	cr_expect(vno_filter__keep(f, &drv, NULL, 0), "so is its driver hop");
	drv.f.pkt_id = 6;
	cr_expect(!vno_filter__keep(f, &drv, NULL, 0), "a driver hop of another frame is judged");
	drv.f.gso_size = 64;
	cr_expect(vno_filter__keep(f, &drv, NULL, 0));
	vno_filter__judged_in_bpf(f, false, true);
	cr_expect(vno_filter__keep(f, &xmit, NULL, 0), "id 5 is remembered as kept");
	xmit.f.pkt_id = 7;
	cr_expect(!vno_filter__keep(f, &xmit, NULL, 0), "without the programs, judged here");
	vno_filter__free(f);
}
