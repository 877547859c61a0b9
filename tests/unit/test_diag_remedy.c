// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The diagnosis' remedy: the offload a planted burst accuses, by its exact name, nothing broader. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>
#include "diagnose.h"
#include "fake_ifaces.h"

#define NETNS FAKE_NETNS
#define NIC_IFX 2
#define TAP_IFX 10
#define BR_IFX 3

static struct vno_iface ifs[3];

static void setup(void)
{
	fake_iface(&ifs[0], "eno1", "e1000e", NIC_IFX);
	/* Proxmox's name for VM 101's first NIC. */
	fake_iface(&ifs[1], "tap101i0", "tun", TAP_IFX);
	/* Both ports of Proxmox's bridge. */
	fake_iface(&ifs[2], "vmbr0", "bridge", BR_IFX);
	ifs[0].master = ifs[1].master = BR_IFX;
}

TestSuite(diag_remedy, .init = setup);

struct kind {
	__u32 gso_type;
	__u16 gso_size, segs;
	__u8 ip_ver, ip_summed;
	__u16 l4_off, csum_start, csum_offset;
};

static const struct kind PLAIN = { 0, 0, 0, 4, VNO_CSUM_NONE, 34, 0, 0 };
static const struct kind TCP4 = { VNO_GSO_TCPV4 | VNO_GSO_DODGY, 1448, 20, 4, VNO_CSUM_PARTIAL,
				  34, 34, 16 };
static const struct kind TCP6 = { VNO_GSO_TCPV6 | VNO_GSO_DODGY, 1428, 20, 6, VNO_CSUM_PARTIAL,
				  54, 54, 16 };
static const struct kind ECN = { VNO_GSO_TCPV4 | VNO_GSO_TCP_ECN | VNO_GSO_DODGY, 1448, 20, 4,
				 VNO_CSUM_PARTIAL, 34, 34, 16 };
static const struct kind USO = { VNO_GSO_UDP_L4, 1200, 20, 4, VNO_CSUM_PARTIAL, 34, 34, 6 };
/* No GSO; a checksum to fill in past the linear part (csum_outside_linear). */
static const struct kind CSUM = { 0, 0, 0, 4, VNO_CSUM_PARTIAL, 34, 60, 16 };

static void feed(struct diag *d, __u64 *pkt, const struct kind *k, bool from_tap)
{
	struct vno_event ev;
	struct vno_frame *f = &ev.f;
	__u64 id = ++*pkt;

	memset(&ev, 0, sizeof(ev));
	f->version = VNO_RECORD_VERSION;
	f->netns = NETNS;
	f->pkt_id = id;
	f->gso_type = k->gso_type;
	f->gso_size = k->gso_size;
	f->gso_segs = k->segs;
	f->ip_ver = k->ip_ver;
	f->ip_summed = k->ip_summed;
	f->network_off = 14;
	f->transport_off = k->l4_off;
	f->mac_len = k->l4_off + 32;
	f->csum_start = k->csum_start;
	f->csum_offset = k->csum_offset;
	f->len = k->gso_size ? f->mac_len + (__u32)k->gso_size * k->segs : 1514;
	if (from_tap) {
		f->hop = VNO_HOP_RX;
		f->ifindex = TAP_IFX;
		strcpy(f->dev, "tap101i0");
		f->ts_ns = id * 10000;
		cr_assert_eq(diag__add(d, &ev), 0);
	}
	f->hop = VNO_HOP_XMIT;
	f->ifindex = NIC_IFX;
	strcpy(f->dev, "eno1");
	f->ts_ns = id * 10000 + 1000;
	cr_assert_eq(diag__add(d, &ev), 0);
}

/* 500 plain frames, then a burst of 64 of @k from the VM: diagnosed. */
static void diagnose_burst(const struct kind *k, const struct vno_features *fs,
			   struct vno_diagnosis *dg)
{
	struct diag_opts o = { .window = 64 };
	struct diag *d = diag__new(&o);
	struct vno_hang h;
	__u64 pkt = 0;

	cr_assert_not_null(d);
	cr_assert_eq(diag__set_ifaces(d, ifs, 3), 0);
	if (fs)
		cr_assert_eq(diag__set_features(d, "eno1", fs), 0);
	for (int i = 0; i < 500; i++)
		feed(d, &pkt, &PLAIN, false);
	for (int i = 0; i < 64; i++)
		feed(d, &pkt, k, true);
	memset(&h, 0, sizeof(h));
	strcpy(h.dev, "eno1");
	h.queue = -1;
	h.source = VNO_HANG_KMSG;
	cr_assert_eq(diag__hang(d, &h, dg), 0);
	diag__free(d);
}

/* Every feature the kinds below accuse, plus the broad ones that must
 * never be suggested in their place. */
static const struct vno_feature all_f[] = {
	{ "tx-tcp-segmentation", true, true },	   { "tx-tcp6-segmentation", true, true },
	{ "tx-tcp-ecn-segmentation", true, true }, { "tx-udp-segmentation", true, true },
	{ "tx-checksum-ipv4", true, true },	   { "tx-checksum-ipv6", true, true },
	{ "tx-checksum-ip-generic", true, true },  { "generic-segmentation-offload", true, true },
	{ "tx-gso-partial", true, true },
};

#define N_ALL (sizeof(all_f) / sizeof(all_f[0]))

struct row {
	const char *name;
	const struct kind *k;
	unsigned accused;
	const char *feature;	/* what the host command switches off */
	const char *alt;	/* another name the device may carry it under, or NULL */
	const char *guest_linux;
};

static const struct row rows[] = {
	{ "TCPv4", &TCP4, REM_BIT(REM_TSO4), "tx-tcp-segmentation", NULL,
	  "ethtool -K eth0 tx-tcp-segmentation off" },
	{ "TCPv6", &TCP6, REM_BIT(REM_TSO6), "tx-tcp6-segmentation", NULL,
	  "ethtool -K eth0 tx-tcp6-segmentation off" },
	{ "ECN", &ECN, REM_BIT(REM_TSO_ECN), "tx-tcp-ecn-segmentation", NULL,
	  "ethtool -K eth0 tx-tcp-ecn-segmentation off" },
	{ "USO", &USO, REM_BIT(REM_USO), "tx-udp-segmentation", NULL,
	  "ethtool -K eth0 tx-udp-segmentation off" },
	{ "checksum", &CSUM, REM_BIT(REM_CSUM4), "tx-checksum-ipv4", "tx-checksum-ip-generic",
	  "ethtool -K eth0 tx-checksum-ip-generic off" },
};

/* Nothing broader than the accused feature in a host command. */
static void assert_narrow(const char *host, const struct row *w)
{
	static const char *const broad[] = { " tso ", " gso ", " tx ", "generic-segmentation",
					     "tx-gso-partial", " sg " };

	for (size_t i = 0; i < sizeof(broad) / sizeof(broad[0]); i++)
		cr_assert_null(strstr(host, broad[i]), "%s: %s", w->name, host);
}

Test(diag_remedy, each_kind_accuses_exactly_its_feature)
{
	struct vno_features all = { N_ALL, (struct vno_feature *)all_f };
	char want[128];

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *w = &rows[i];
		struct vno_diagnosis dg;

		/* Not checked against a device (report of a capture). */
		diagnose_burst(w->k, NULL, &dg);
		cr_assert_geq(dg.n_suspects, 1, "%s", w->name);
		cr_assert_eq(dg.accused, w->accused, "%s: accused %#x (top suspect %s=%s)", w->name,
			     dg.accused, diag_attr_name(dg.suspects[0].attr), dg.suspects[0].value);
		snprintf(want, sizeof(want), "ethtool -K eno1 %s off", w->feature);
		cr_assert_str_eq(dg.rem.host, want, "%s", w->name);
		assert_narrow(dg.rem.host, w);
		cr_assert_not_null(strstr(dg.rem.host_note, "not checked against eno1"), "%s: %s",
				   w->name, dg.rem.host_note);
		cr_assert_str_eq(dg.rem.guest_linux, w->guest_linux, "%s", w->name);
		cr_assert_str_eq(dg.tap, "tap101i0", "%s", w->name);
		/* Offline the VM is only what its tap's name says. */
		cr_assert_str_eq(dg.vm, "", "%s", w->name);
		cr_assert_not_null(strstr(dg.rem.proxmox, "/etc/pve/qemu-server/101.conf"), "%s: %s",
				   w->name, dg.rem.proxmox);
		cr_assert_not_null(strstr(dg.remedy, want), "%s: %s", w->name, dg.remedy);
		cr_assert_not_null(strstr(dg.remedy, "in the guest behind tap101i0"), "%s",
				   dg.remedy);
		cr_assert_eq(dg.n_causes, 0, "%s: an offload is accused", w->name);
		diagnosis_free(&dg);

		/* Checked against a device that has them all. */
		diagnose_burst(w->k, &all, &dg);
		cr_assert_str_eq(dg.rem.host, want, "%s", w->name);
		cr_assert_str_eq(dg.rem.host_note, "", "%s: %s", w->name, dg.rem.host_note);
		diagnosis_free(&dg);
	}
}

/* The device's list without the accused feature (@fixed: with it [fixed]). */
static struct vno_features without(const struct row *w, struct vno_feature *buf, bool fixed)
{
	struct vno_features fs = { 0, buf };

	for (size_t i = 0; i < N_ALL; i++) {
		bool hit = !strcmp(all_f[i].name, w->feature) || (w->alt && !strcmp(all_f[i].name, w->alt));

		if (hit && !fixed)
			continue;
		buf[fs.n] = all_f[i];
		if (hit)
			buf[fs.n].changeable = false;
		fs.n++;
	}
	return fs;
}

Test(diag_remedy, absent_or_fixed_feature_is_not_suggested)
{
	struct vno_feature buf[N_ALL];

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *w = &rows[i];
		struct vno_features fs;
		struct vno_diagnosis dg;
		char why[96];

		fs = without(w, buf, false);
		diagnose_burst(w->k, &fs, &dg);
		cr_assert_eq(dg.accused, w->accused, "%s", w->name);
		cr_assert_str_eq(dg.rem.host, "", "%s: %s", w->name, dg.rem.host);
		snprintf(why, sizeof(why), "eno1 has no %s feature", w->feature);
		cr_assert_not_null(strstr(dg.rem.host_note, why), "%s: %s", w->name,
				   dg.rem.host_note);
		cr_assert_not_null(strstr(dg.remedy, "nothing to switch on the host"), "%s",
				   dg.remedy);
		/* The guest and the VMM can still do it. */
		cr_assert_str_eq(dg.rem.guest_linux, w->guest_linux, "%s", w->name);
		diagnosis_free(&dg);

		fs = without(w, buf, true);
		diagnose_burst(w->k, &fs, &dg);
		cr_assert_str_eq(dg.rem.host, "", "%s: %s", w->name, dg.rem.host);
		snprintf(why, sizeof(why), "%s is fixed on eno1", w->feature);
		cr_assert_not_null(strstr(dg.rem.host_note, why), "%s: %s", w->name,
				   dg.rem.host_note);
		diagnosis_free(&dg);
	}
}

static char *render(void (*fn)(FILE *, const struct vno_diagnosis *),
		    const struct vno_diagnosis *dg)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cr_assert_not_null(f);
	fn(f, dg);
	fclose(f);
	return buf;
}

Test(diag_remedy, printed_as_lines_to_paste_and_in_json)
{
	struct vno_diagnosis dg;
	char *text, *json, *p;

	diagnose_burst(&USO, NULL, &dg);
	text = render(diag_print, &dg);
	cr_assert_not_null(strstr(text, "  to switch off tx-udp-segmentation ("), "%s", text);
	cr_assert_not_null(strstr(text, "host eno1:         ethtool -K eno1 tx-udp-segmentation off\n"),
			   "%s", text);
	cr_assert_not_null(strstr(text, "VMM, QEMU:"));
	cr_assert_not_null(strstr(text, "host_uso=off"));
	cr_assert_not_null(strstr(text, "VMM, Proxmox:"));
	cr_assert_not_null(strstr(text, "    guest behind tap101i0:\n"), "%s", text);
	cr_assert_not_null(strstr(text, "guest Linux:       ethtool -K eth0 tx-udp-segmentation off"));
	cr_assert_not_null(strstr(text, "guest Windows:"));
	/* Making it last comes last, before the verdict. */
	p = strstr(text, "    make it last:");
	cr_assert_not_null(p, "%s", text);
	p = strchr(p, '\n');
	cr_assert_not_null(p);
	cr_assert_eq(strncmp(p + 1, "  verdict:", 10), 0, "%s", p + 1);
	free(text);

	json = render(diag_json, &dg);
	cr_assert_not_null(strstr(json, ",\"remedies\":{\"host\":\"ethtool -K eno1 tx-udp-segmentation off\","
				       "\"host_note\":\"not checked against eno1"), "%s", json);
	cr_assert_not_null(strstr(json, "\"guest_linux\":\"ethtool -K eth0 tx-udp-segmentation off\""));
	cr_assert_not_null(strstr(json, "\"guest_bsd\":null"), "%s", strstr(json, "\"remedies\""));
	cr_assert_not_null(strstr(json, "\"tap\":\"tap101i0\",\"vm\":null,"
				       "\"accused\":[\"tx-udp-segmentation\"]},\"other_causes\":[]"),
			   "%s", strstr(json, "\"remedies\""));
	cr_assert_not_null(strstr(json, "\"remedy\":\"on the host: `ethtool -K eno1 tx-udp-segmentation off`"));
	free(json);
	diagnosis_free(&dg);
}

Test(diag_remedy, no_offload_names_the_nic_family_causes)
{
	struct diag_opts o = { .window = 64 };
	struct diag *d = diag__new(&o);
	struct vno_hang h;
	struct vno_diagnosis dg;
	__u64 pkt = 0;
	char *text;

	cr_assert_not_null(d);
	cr_assert_eq(diag__set_ifaces(d, ifs, 2), 0);
	for (int i = 0; i < 600; i++)
		feed(d, &pkt, i % 2 ? &TCP4 : &PLAIN, false);
	memset(&h, 0, sizeof(h));
	strcpy(h.dev, "eno1");
	h.queue = -1;
	h.source = VNO_HANG_DRIVER;
	cr_assert_eq(diag__hang(d, &h, &dg), 0);
	cr_assert_eq(dg.n_suspects, 0);
	cr_assert_eq(dg.accused, 0);
	cr_assert_str_eq(dg.remedy, "");
	cr_assert_eq(dg.n_causes, 2);
	cr_assert_not_null(strstr(dg.causes[0], "PCIe ASPM"), "%s", dg.causes[0]);
	cr_assert_not_null(strstr(dg.causes[0], "lspci -vvv -s $(ethtool -i eno1 "), "%s",
			   dg.causes[0]);
	cr_assert_not_null(strstr(dg.causes[0], "LnkCtl"));
	cr_assert_not_null(strstr(dg.causes[1], "ethtool --show-eee eno1"), "%s", dg.causes[1]);
	text = render(diag_print, &dg);
	cr_assert_not_null(strstr(text, "no offload stands out; hangs on e1000e also come from:\n"
					"    - PCIe ASPM"), "%s", text);
	cr_assert_null(strstr(text, "to switch off"));
	free(text);
	diagnosis_free(&dg);

	/* A driver without known causes: nothing said. */
	strcpy(ifs[0].driver, "igc");
	cr_assert_eq(diag__set_ifaces(d, ifs, 2), 0);
	cr_assert_eq(diag__hang(d, &h, &dg), 0);
	cr_assert_eq(dg.n_causes, 0);
	diagnosis_free(&dg);
	diag__free(d);
}

/* The path view: the VM's tap, Proxmox's bridge, the e1000e uplink; the
 * burst's USO super-frames meet the NIC's hardware segmentation there. */
Test(diag_remedy, path_marks_where_the_burst_meets_hardware)
{
	struct vno_features all = { N_ALL, (struct vno_feature *)all_f };
	struct vno_diagnosis dg;
	char *text = NULL, *json = NULL;
	size_t len = 0;
	FILE *f;

	diagnose_burst(&USO, &all, &dg);
	cr_assert_eq(dg.path.n, 3);
	cr_assert_str_eq(dg.path.hop[0].name, "tap101i0");
	cr_assert_str_eq(dg.path.hop[0].role, "tap");
	cr_assert_str_eq(dg.path.hop[1].name, "vmbr0");
	cr_assert_str_eq(dg.path.hop[2].name, "eno1");
	cr_assert_str_eq(dg.path.hop[2].role, "uplink");
	cr_assert(dg.path.hop[2].hw && !dg.path.hop[0].hw && !dg.path.hop[1].hw);
	cr_assert_eq(dg.path.meet, 2);
	cr_assert(dg.path.meet_segments);
	cr_assert_str_eq(dg.path.note, "UDP super-frames (USO) from tap101i0 reach eno1 (e1000e), "
				       "which segments them in hardware (tx-udp-segmentation on)");
	f = open_memstream(&text, &len);
	diag_print(f, &dg);
	fclose(f);
	cr_assert_not_null(strstr(text, "  path (the guest's tap to the uplink"), "%s", text);
	cr_assert_not_null(strstr(text, "    eno1     uplink e1000e on   on   on   ?    on  "
					"<- segmented in hardware here\n"), "%s", text);
	/* The path comes before the remedy that switches it off. */
	cr_assert(strstr(text, "  path (") < strstr(text, "  remedy:"));
	free(text);
	f = open_memstream(&json, &len);
	diag_json(f, &dg);
	fclose(f);
	cr_assert_not_null(strstr(json, "\"path\":{\"hops\":[{\"name\":\"tap101i0\",\"role\":\"tap\","
					"\"driver\":\"tun\",\"hw\":false,"), "%s", json);
	cr_assert_not_null(strstr(json, "\"meets\":\"eno1\",\"segments\":true,\"note\":\"UDP super-frames"),
			   "%s", json);
	free(json);
	diagnosis_free(&dg);
}

/* The NIC without USO: the kernel segments the burst in software, and the
 * NIC checksums the segments; without TX checksumming either, nothing on
 * the path does it in hardware. */
Test(diag_remedy, path_without_the_nic_offload)
{
	struct vno_feature buf[N_ALL];
	struct vno_features fs = { 0, buf };
	struct vno_diagnosis dg;

	for (size_t i = 0; i < N_ALL; i++) {
		buf[fs.n] = all_f[i];
		if (!strcmp(buf[fs.n].name, "tx-udp-segmentation"))
			buf[fs.n].active = false;
		fs.n++;
	}
	diagnose_burst(&USO, &fs, &dg);
	cr_assert_eq(dg.path.meet, 2);
	cr_assert(!dg.path.meet_segments);
	cr_assert_not_null(strstr(dg.path.note, "are segmented in software before eno1 (e1000e), "
						"which checksums them in hardware"), "%s", dg.path.note);
	diagnosis_free(&dg);
	for (size_t i = 0; i < fs.n; i++)
		if (!strncmp(buf[i].name, "tx-checksum", 11))
			buf[i].active = false;
	diagnose_burst(&USO, &fs, &dg);
	cr_assert_eq(dg.path.meet, -1);
	cr_assert_str_eq(dg.path.note, "eno1 (e1000e) has these offloads off: the kernel segments "
				       "and checksums UDP super-frames (USO) in software before it");
	diagnosis_free(&dg);
}
