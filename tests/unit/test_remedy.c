// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The remedy: the accused offload, by its exact name, in every place. */
#include <stdio.h>
#include <string.h>
#include <criterion/criterion.h>
#include "remedy.h"
#include "vno.h"

/* An e1000e-like device: hardware TSO/TSO6 and the generic checksum,
 * no USO, ECN segmentation fixed off-able, UDP tunnel fixed. */
static struct vno_feature e1000e_f[] = {
	{ "tx-tcp-segmentation", true, true },	   { "tx-tcp6-segmentation", true, true },
	{ "tx-tcp-ecn-segmentation", false, true },{ "tx-udp-segmentation", false, false },
	{ "tx-checksum-ip-generic", true, true },  { "tx-checksum-ipv4", false, false },
	{ "tx-checksum-ipv6", false, false },	   { "tx-udp_tnl-segmentation", true, false },
};
static const struct vno_features e1000e = { sizeof(e1000e_f) / sizeof(e1000e_f[0]), e1000e_f };

struct row {
	__u32 gso_type;
	bool csum;
	int ip_ver;
	const char *host;	/* expected command, "" for none */
	const char *note;	/* a part of host_note, or NULL */
	const char *qemu;	/* a part of the QEMU option, or NULL for none */
	const char *bsd, *linux_, *win;
};

static const struct row rows[] = {
	{ VNO_GSO_TCPV4, false, 4, "ethtool -K up0 tx-tcp-segmentation off", NULL, "host_tso4=off",
	  "ifconfig vtnet0 -tso4", "ethtool -K eth0 tx-tcp-segmentation off", "*LsoV2IPv4" },
	{ VNO_GSO_TCPV6, false, 6, "ethtool -K up0 tx-tcp6-segmentation off", NULL, "host_tso6=off",
	  "ifconfig vtnet0 -tso6", "ethtool -K eth0 tx-tcp6-segmentation off", "*LsoV2IPv6" },
	/* ECN is off on the device already: nothing to switch there, and said. */
	{ VNO_GSO_TCPV4 | VNO_GSO_TCP_ECN, false, 4, "", "tx-tcp-ecn-segmentation is already off",
	  "host_ecn=off", "", "ethtool -K eth0 tx-tcp-ecn-segmentation off", "" },
	/* The device cannot do USO: never suggested. */
	{ VNO_GSO_UDP_L4, false, 4, "", "tx-udp-segmentation", "host_uso=off", "",
	  "ethtool -K eth0 tx-udp-segmentation off", "*UsoIPv4" },
	{ 0, true, 4, "ethtool -K up0 tx-checksum-ip-generic off", NULL, "csum=off",
	  "ifconfig vtnet0 -txcsum", "ethtool -K eth0 tx-checksum-ip-generic off",
	  "*TCPChecksumOffloadIPv4' -RegistryValue 2" },
	{ 0, true, 6, "ethtool -K up0 tx-checksum-ip-generic off", NULL, "csum=off",
	  "ifconfig vtnet0 -txcsum6", "ethtool -K eth0 tx-checksum-ip-generic off",
	  "*UDPChecksumOffloadIPv6" },
	/* A fixed feature is named as such. */
	{ (1u << 10) | VNO_GSO_TCPV4, false, 4, "", "tx-udp_tnl-segmentation is fixed", NULL, "",
	  "", "" },
};

Test(remedy, exact_names_checked_against_the_device)
{
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *w = &rows[i];
		struct remedy_in in = { .host_dev = "up0", .host_feat = &e1000e, .vm = "web-01",
					.proxmox_vmid = -1 };
		struct remedy r;
		int n;

		in.accused = remedy_accuse(w->gso_type, w->csum, w->ip_ver);
		cr_assert_neq(in.accused, 0, "row %zu accuses nothing", i);
		n = remedy_make(&in, &r);
		cr_assert_str_eq(r.host, w->host, "row %zu: host '%s'", i, r.host);
		cr_assert_eq(n > 0, *w->host != 0, "row %zu", i);
		if (w->note)
			cr_assert_not_null(strstr(r.host_note, w->note), "row %zu: note '%s'", i,
					   r.host_note);
		if (w->qemu)
			cr_assert_not_null(strstr(r.qemu, w->qemu), "row %zu: qemu '%s'", i, r.qemu);
		else
			cr_assert_str_empty(r.qemu, "row %zu: qemu '%s'", i, r.qemu);
		cr_assert_str_eq(r.guest_bsd, w->bsd, "row %zu: bsd '%s'", i, r.guest_bsd);
		cr_assert_str_eq(r.guest_linux, w->linux_, "row %zu: linux '%s'", i, r.guest_linux);
		if (*w->win)
			cr_assert_not_null(strstr(r.guest_windows, w->win), "row %zu: windows '%s'", i,
					   r.guest_windows);
		else
			cr_assert_str_empty(r.guest_windows, "row %zu", i);
		/* Every feature the host command names is one the device has. */
		for (char *p = strstr(r.host, " tx-"); p; p = strstr(p + 1, " tx-")) {
			char name[32];

			cr_assert_eq(sscanf(p + 1, "%31s", name), 1);
			cr_assert_not_null(vno_feature_find(&e1000e, name), "row %zu: %s", i, name);
		}
	}
}

Test(remedy, tso_does_not_switch_off_uso_and_back)
{
	cr_assert_eq(remedy_accuse(VNO_GSO_UDP_L4, false, 4), REM_BIT(REM_USO));
	cr_assert_eq(remedy_accuse(VNO_GSO_TCPV4 | VNO_GSO_DODGY, false, 4), REM_BIT(REM_TSO4));
	cr_assert_eq(remedy_accuse(0, false, 4), 0);
	cr_assert_eq(remedy_accuse(0, true, 0), REM_BIT(REM_CSUM4) | REM_BIT(REM_CSUM6));
}

Test(remedy, vmm_and_persistence)
{
	struct remedy_in in = { .accused = REM_BIT(REM_TSO4), .host_dev = "eno1", .vm = "web-01",
				.proxmox_vmid = 101 };
	struct remedy r;

	/* Features unknown (a capture read elsewhere): the canonical name, said. */
	cr_assert_eq(remedy_make(&in, &r), 1);
	cr_assert_str_eq(r.host, "ethtool -K eno1 tx-tcp-segmentation off");
	cr_assert_not_null(strstr(r.host_note, "not checked"));
	cr_assert_not_null(strstr(r.libvirt, "<driver><host tso4='off'/></driver>"), "%s", r.libvirt);
	cr_assert_not_null(strstr(r.libvirt, "web-01"));
	cr_assert_not_null(strstr(r.proxmox, "args: -global virtio-net-pci.host_tso4=off"), "%s",
			   r.proxmox);
	cr_assert_not_null(strstr(r.proxmox, "/etc/pve/qemu-server/101.conf"));
	cr_assert_not_null(strstr(r.persist, "post-up /usr/sbin/ethtool -K eno1 tx-tcp-segmentation off"));
	cr_assert_not_null(strstr(r.persist, "TCPSegmentationOffload=false"), "%s", r.persist);

	/* USO: libvirt has no attribute; no .link key either. */
	in.accused = REM_BIT(REM_USO);
	remedy_make(&in, &r);
	cr_assert_not_null(strstr(r.libvirt, "qemu:commandline"), "%s", r.libvirt);
	cr_assert_null(strstr(r.persist, ".link"), "%s", r.persist);
}

/* Segments that do not fit a tunnel: the MTU to give the guest, or the
 * underlay's to raise. */
Test(remedy, mtu_for_a_tunnel)
{
	struct remedy_mtu r;
	struct remedy_mtu_in in = { .segment = 1488, .fits = 1450, .overhead = 50,
				    .tunnel_dev = "vxlan0", .underlay = "up0" };

	remedy_mtu_make(&in, &r);
	cr_assert_eq(r.guest_mtu, 1450);
	cr_assert_eq(r.underlay_mtu_min, 1538);
	cr_assert_eq(r.underlay_mtu, 1550, "room for a guest at the usual 1500");
	cr_assert_eq(r.tunnel_mtu, 1500);
	cr_assert_str_eq(r.qemu, "-device virtio-net-pci,…,host_mtu=1450");
	cr_assert_str_eq(r.libvirt, "<mtu size='1450'/>");
	cr_assert_str_eq(r.guest_linux, "ip link set dev eth0 mtu 1450");
	cr_assert_str_eq(r.underlay, "ip link set dev up0 mtu 1550; ip link set dev vxlan0 mtu 1500");
	/* A jumbo guest (segments of 8960) over an unknown underlay. */
	in.segment = 8960;
	in.fits = 8950;
	in.underlay = NULL;
	remedy_mtu_make(&in, &r);
	cr_assert_eq(r.underlay_mtu, 9010);
	cr_assert_eq(r.underlay_mtu_min, 9010);
	cr_assert_str_eq(r.underlay, "ip link set dev UNDERLAY mtu 9010; ip link set dev vxlan0 mtu 8960");
}
