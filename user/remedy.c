// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The remedy (see remedy.h): one table from each offload a suspect can
 * accuse to its name in every place it can be switched off — ethtool's
 * feature names (net/ethtool/common.c), QEMU's virtio-net properties
 * (host_*), libvirt's <driver><host …/>, FreeBSD's vtnet flags, NetKVM's
 * NDIS keywords and systemd.link keys — and the choice of host features
 * against the device's real list: a name the device lacks, cannot
 * switch, or has off already is said, not suggested.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "remedy.h"
#include "sbuf.h"
#include "vno.h"

struct offload_names {
	/* ethtool names on the host device, in order of preference; the
	 * first the device has on and can switch is suggested. */
	const char *host[3];
	const char *what;	/* for sentences */
	const char *qemu;	/* virtio-net-pci property, or NULL */
	const char *libvirt;	/* attribute of <host>, or NULL */
	const char *bsd;	/* vtnet flag, or NULL */
	const char *in_linux;	/* the guest's virtio_net feature */
	const char *win[2];	/* NetKVM (NDIS) keywords, and their "off" value */
	const char *win_off;
	const char *link;	/* systemd.link key, or NULL */
};

static const struct offload_names names[REM__MAX] = {
	[REM_TSO4] = { { "tx-tcp-segmentation" }, "TCPv4 segmentation", "host_tso4", "tso4",
		       "-tso4", "tx-tcp-segmentation", { "*LsoV2IPv4" }, "0",
		       "TCPSegmentationOffload" },
	[REM_TSO6] = { { "tx-tcp6-segmentation" }, "TCPv6 segmentation", "host_tso6", "tso6",
		       "-tso6", "tx-tcp6-segmentation", { "*LsoV2IPv6" }, "0",
		       "TCP6SegmentationOffload" },
	[REM_TSO_ECN] = { { "tx-tcp-ecn-segmentation" }, "TCP segmentation with ECN", "host_ecn",
			  "ecn", NULL, "tx-tcp-ecn-segmentation", { NULL }, NULL, NULL },
	[REM_TSO_FIXEDID] = { { "tx-tcp-mangleid-segmentation" },
			      "TCP segmentation with fixed IP IDs", NULL, NULL, NULL,
			      "tx-tcp-mangleid-segmentation", { NULL }, NULL, NULL },
	[REM_USO] = { { "tx-udp-segmentation" }, "UDP segmentation (USO)", "host_uso", NULL, NULL,
		      "tx-udp-segmentation", { "*UsoIPv4", "*UsoIPv6" }, "0", NULL },
	[REM_UFO] = { { "tx-udp-fragmentation" }, "UDP fragmentation (UFO)", "host_ufo", "ufo",
		      NULL, "tx-udp-fragmentation", { NULL }, NULL, NULL },
	[REM_GRE] = { { "tx-gre-segmentation", "tx-gre-csum-segmentation" }, "GRE segmentation",
		      NULL, NULL, NULL, NULL, { NULL }, NULL, NULL },
	[REM_UDP_TNL] = { { "tx-udp_tnl-segmentation", "tx-udp_tnl-csum-segmentation" },
			  "UDP tunnel (VXLAN/Geneve) segmentation", NULL, NULL, NULL, NULL,
			  { NULL }, NULL, NULL },
	[REM_IPXIP] = { { "tx-ipxip4-segmentation", "tx-ipxip6-segmentation" },
			"IP-in-IP segmentation", NULL, NULL, NULL, NULL, { NULL }, NULL, NULL },
	/* NDIS checksum keywords: 2 is "Rx enabled", i.e. TX off, RX kept. */
	[REM_CSUM4] = { { "tx-checksum-ipv4", "tx-checksum-ip-generic" }, "IPv4 TX checksum", "csum",
			"csum", "-txcsum", "tx-checksum-ip-generic",
			{ "*TCPChecksumOffloadIPv4", "*UDPChecksumOffloadIPv4" }, "2",
			"TransmitChecksumOffload" },
	[REM_CSUM6] = { { "tx-checksum-ipv6", "tx-checksum-ip-generic" }, "IPv6 TX checksum", "csum",
			"csum", "-txcsum6", "tx-checksum-ip-generic",
			{ "*TCPChecksumOffloadIPv6", "*UDPChecksumOffloadIPv6" }, "2",
			"TransmitChecksumOffload" },
};

const char *remedy_feature_name(int o)
{
	return o >= 0 && o < REM__MAX ? names[o].host[0] : NULL;
}

unsigned remedy_accuse(__u32 gso_type, bool csum, int ip_ver)
{
	unsigned m = 0;

	if (csum) {
		if (ip_ver != 6)
			m |= REM_BIT(REM_CSUM4);
		if (ip_ver != 4)
			m |= REM_BIT(REM_CSUM6);
		return m;
	}
	/* A tunnel's segmentation is what the device does for such a frame:
	 * the inner TCP bits come with it and are not accused apart. */
	if (gso_type & ((1u << 6) | (1u << 7)))
		return REM_BIT(REM_GRE);
	if (gso_type & ((1u << 10) | (1u << 11)))
		return REM_BIT(REM_UDP_TNL);
	if (gso_type & ((1u << 8) | (1u << 9)))
		return REM_BIT(REM_IPXIP);
	if (gso_type & VNO_GSO_UDP_L4)
		return REM_BIT(REM_USO);
	if (gso_type & VNO_GSO_UDP)
		return REM_BIT(REM_UFO);
	/* ECN and fixed-ID TCP frames have a feature of their own: switching
	 * it off leaves plain TSO alone. */
	if (gso_type & VNO_GSO_TCP_ECN)
		return REM_BIT(REM_TSO_ECN);
	if (gso_type & ((1u << 30) | (1u << 3)))
		return REM_BIT(REM_TSO_FIXEDID);
	if (gso_type & VNO_GSO_TCPV4)
		m |= REM_BIT(REM_TSO4);
	if (gso_type & VNO_GSO_TCPV6)
		m |= REM_BIT(REM_TSO6);
	return m;
}

unsigned remedy_frame_needs(__u32 gso_type, __u16 gso_size, bool csum_partial, int ip_ver)
{
	unsigned m = gso_size ? remedy_accuse(gso_type, false, ip_ver) : 0;

	if (csum_partial)
		m |= remedy_accuse(0, true, ip_ver);
	return m;
}

unsigned remedy_feature_offloads(const char *name)
{
	unsigned m = 0;

	for (int o = 0; o < REM__MAX; o++)
		for (size_t i = 0; i < sizeof(names[o].host) / sizeof(names[o].host[0]); i++)
			if (names[o].host[i] && !strcmp(names[o].host[i], name))
				m |= REM_BIT(o);
	return m;
}

static bool listed(const char *const *v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] && !strcmp(v[i], s))
			return true;
	return false;
}

/* The host command; returns how many features it switches off. */
static int host(const struct remedy_in *in, struct remedy *r)
{
	const char *dev = in->host_dev && *in->host_dev ? in->host_dev : "DEV";
	const char *picked[REM__MAX * 2];
	size_t n = 0;

	for (int o = 0; o < REM__MAX; o++) {
		const struct offload_names *on = &names[o];
		const char *pick = NULL;
		bool present = false;

		if (!(in->accused & REM_BIT(o)))
			continue;
		if (!in->host_feat) {
			pick = on->host[0];
		} else {
			for (int k = 0; k < 3 && on->host[k] && !pick; k++) {
				const struct vno_feature *f = vno_feature_find(in->host_feat, on->host[k]);

				if (!f)
					continue;
				present = true;
				if (f->active && f->changeable)
					pick = on->host[k];
				else if (f->active)
					str_addf(r->host_note, sizeof(r->host_note),
					    "%s%s is fixed on %s", *r->host_note ? "; " : "",
					    on->host[k], dev);
			}
			if (!pick && !present)
				str_addf(r->host_note, sizeof(r->host_note), "%s%s has no %s feature",
				    *r->host_note ? "; " : "", dev, on->host[0]);
			else if (!pick && !strstr(r->host_note, on->host[0]))
				str_addf(r->host_note, sizeof(r->host_note), "%s%s is already off on %s",
				    *r->host_note ? "; " : "", on->host[0], dev);
		}
		if (pick && !listed(picked, n, pick))
			picked[n++] = pick;
	}
	if (!n)
		return 0;
	snprintf(r->host, sizeof(r->host), "ethtool -K %s", dev);
	for (size_t i = 0; i < n; i++)
		str_addf(r->host, sizeof(r->host), " %s off", picked[i]);
	if (!in->host_feat)
		str_addf(r->host_note, sizeof(r->host_note), "%snot checked against %s's features",
		    *r->host_note ? "; " : "", dev);
	return (int)n;
}

static void persist(const struct remedy_in *in, struct remedy *r)
{
	const char *dev = in->host_dev && *in->host_dev ? in->host_dev : "DEV";
	const char *keys[REM__MAX];
	size_t nk = 0;
	bool all_keys = true;

	if (!*r->host)
		return;
	for (int o = 0; o < REM__MAX; o++) {
		if (!(in->accused & REM_BIT(o)))
			continue;
		if (!names[o].link)
			all_keys = false;
		else if (!listed(keys, nk, names[o].link))
			keys[nk++] = names[o].link;
	}
	str_addf(r->persist, sizeof(r->persist), "ifupdown (Debian, Proxmox): `post-up /usr/sbin/%s`",
	    r->host);
	str_addf(r->persist, sizeof(r->persist), " under `iface %s` in /etc/network/interfaces", dev);
	if (all_keys && nk) {
		str_addf(r->persist, sizeof(r->persist),
		    "; systemd: a .link file with [Match] MACAddress=(%s's address) and [Link]", dev);
		for (size_t i = 0; i < nk; i++)
			str_addf(r->persist, sizeof(r->persist), " %s=false", keys[i]);
	}
}

static void vmm(const struct remedy_in *in, struct remedy *r)
{
	char props[128] = "", global[160] = "", attrs[128] = "";
	bool csum = in->accused & (REM_BIT(REM_CSUM4) | REM_BIT(REM_CSUM6));
	const char *done[REM__MAX];
	size_t nd = 0;

	for (int o = 0; o < REM__MAX; o++) {
		const struct offload_names *on = &names[o];

		if (!(in->accused & REM_BIT(o)) || !on->qemu || listed(done, nd, on->qemu))
			continue;
		done[nd++] = on->qemu;
		str_addf(props, sizeof(props), ",%s=off", on->qemu);
		str_addf(global, sizeof(global), "%s-global virtio-net-pci.%s=off", *global ? " " : "",
		    on->qemu);
		if (on->libvirt)
			str_addf(attrs, sizeof(attrs), " %s='off'", on->libvirt);
	}
	if (!*props)
		return;
	snprintf(r->qemu, sizeof(r->qemu), "-device virtio-net-pci,…%s%s", props,
		 csum ? " (csum=off also takes every host_tso*/host_uso with it)" : "");
	if (*attrs)
		snprintf(r->libvirt, sizeof(r->libvirt),
			 "<driver><host%s/></driver> in the <interface> of %s (virsh edit)", attrs,
			 in->vm && *in->vm ? in->vm : "the domain");
	if (in->accused & REM_BIT(REM_USO))
		str_addf(r->libvirt, sizeof(r->libvirt),
		    "%slibvirt's <host> has no USO attribute: pass %s through <qemu:commandline>",
		    *r->libvirt ? "; " : "", global);
	if (in->proxmox_vmid >= 0)
		snprintf(r->proxmox, sizeof(r->proxmox),
			 "Proxmox: add `args: %s` to /etc/pve/qemu-server/%d.conf (every virtio NIC "
			 "of VM %d; from its next start)",
			 global, in->proxmox_vmid, in->proxmox_vmid);
	else
		snprintf(r->proxmox, sizeof(r->proxmox),
			 "Proxmox: add `args: %s` to /etc/pve/qemu-server/VMID.conf (every virtio "
			 "NIC of that VM; from its next start)",
			 global);
}

static void guest(const struct remedy_in *in, struct remedy *r)
{
	const char *done[REM__MAX * 2];
	size_t nd = 0;

	for (int o = 0; o < REM__MAX; o++) {
		const struct offload_names *on = &names[o];

		if (!(in->accused & REM_BIT(o)))
			continue;
		if (on->in_linux && !listed(done, nd, on->in_linux)) {
			if (!*r->guest_linux)
				snprintf(r->guest_linux, sizeof(r->guest_linux), "ethtool -K eth0");
			str_addf(r->guest_linux, sizeof(r->guest_linux), " %s off", on->in_linux);
			done[nd++] = on->in_linux;
		}
		if (on->bsd && !listed(done, nd, on->bsd)) {
			if (!*r->guest_bsd)
				snprintf(r->guest_bsd, sizeof(r->guest_bsd), "ifconfig vtnet0");
			str_addf(r->guest_bsd, sizeof(r->guest_bsd), " %s", on->bsd);
			done[nd++] = on->bsd;
		}
		for (int k = 0; k < 2 && on->win[k]; k++)
			str_addf(r->guest_windows, sizeof(r->guest_windows),
			    "%sSet-NetAdapterAdvancedProperty -Name Ethernet -RegistryKeyword '%s' "
			    "-RegistryValue %s",
			    *r->guest_windows ? "; " : "", on->win[k], on->win_off);
	}
}

int remedy_make(const struct remedy_in *in, struct remedy *r)
{
	int n;

	memset(r, 0, sizeof(*r));
	if (!in->accused)
		return 0;
	n = host(in, r);
	persist(in, r);
	vmm(in, r);
	guest(in, r);
	return n;
}

void remedy_mtu_make(const struct remedy_mtu_in *in, struct remedy_mtu *r)
{
	const char *under = in->underlay && *in->underlay ? in->underlay : "UNDERLAY";
	/* A guest at the usual 1500 sends segments up to 1500 (TCP with no
	 * options); one whose segments are longer has a larger MTU still. */
	__u32 guest_now = in->segment > 1500 ? in->segment : 1500;

	memset(r, 0, sizeof(*r));
	r->guest_mtu = in->fits;
	r->underlay_mtu_min = in->segment + in->overhead;
	r->underlay_mtu = guest_now + in->overhead;
	r->tunnel_mtu = guest_now;
	/* virtio 1.1 5.1.3 VIRTIO_NET_F_MTU: QEMU's host_mtu offers it and
	 * the guest's virtio_net takes it as its MTU (commit 14de9d114a82). */
	snprintf(r->qemu, sizeof(r->qemu), "-device virtio-net-pci,…,host_mtu=%u", in->fits);
	snprintf(r->libvirt, sizeof(r->libvirt), "<mtu size='%u'/>", in->fits);
	snprintf(r->guest_linux, sizeof(r->guest_linux), "ip link set dev eth0 mtu %u", in->fits);
	snprintf(r->underlay, sizeof(r->underlay), "ip link set dev %s mtu %u; ip link set dev %s mtu %u",
		 under, r->underlay_mtu, in->tunnel_dev, r->tunnel_mtu);
}
