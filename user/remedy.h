/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The remedy: commands a person can paste that switch off exactly the
 * offload the evidence accuses, in the three places it can be done — the
 * host device that carries the frames, the VMM (no access to the guest
 * needed), and the guest — and how to make it last across reboots.
 */
#ifndef VNO_REMEDY_H
#define VNO_REMEDY_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "ethfeatures.h"

/* What a suspect can accuse: one offload each. */
enum remedy_offload {
	REM_TSO4,	/* TCPv4 segmentation */
	REM_TSO6,	/* TCPv6 segmentation */
	REM_TSO_ECN,	/* TCP segmentation with CWR/ECE (SKB_GSO_TCP_ECN) */
	REM_TSO_FIXEDID,/* TCP segmentation with fixed IP IDs (mangleid) */
	REM_USO,	/* UDP segmentation (SKB_GSO_UDP_L4) */
	REM_UFO,	/* UDP fragmentation offload (SKB_GSO_UDP, old guests) */
	REM_GRE,	/* GRE tunnel segmentation */
	REM_UDP_TNL,	/* VXLAN/Geneve (UDP tunnel) segmentation */
	REM_IPXIP,	/* IPIP/SIT tunnel segmentation */
	REM_CSUM4,	/* TX checksum, IPv4 */
	REM_CSUM6,	/* TX checksum, IPv6 */
	REM__MAX,
};

#define REM_BIT(o) (1u << (o))

/* ethtool's feature name for @o ("tx-tcp-segmentation", …). */
const char *remedy_feature_name(int o);

/*
 * The offloads a suspect accuses: the segmentation its frames' GSO type
 * asks for, or with @csum (a checksum suspect) the TX checksum of the
 * frames' IP version (@ip_ver 4, 6 or 0 for both).
 */
unsigned remedy_accuse(__u32 gso_type, bool csum, int ip_ver);
/* What a frame asks of the device that sends it: its GSO type's
 * segmentation and, when checksum-partial, its IP version's TX checksum. */
unsigned remedy_frame_needs(__u32 gso_type, __u16 gso_size, bool csum_partial, int ip_ver);
/* The offloads ethtool's feature @name switches (REM_BIT()s; 0 when it is
 * none of those a suspect can accuse). */
unsigned remedy_feature_offloads(const char *name);

struct remedy_in {
	unsigned accused;			/* REM_BIT()s */
	const char *host_dev;			/* carries the frames (hung device) */
	const struct vno_features *host_feat;	/* its features; NULL: not known */
	const char *tap;			/* the guest's tap, or NULL */
	const char *vm;				/* the VM's name, or NULL */
	int proxmox_vmid;			/* from tapVMIDiN, or -1 */
};

/* Each a command or snippet to paste; "" when that place has nothing to
 * switch for these offloads, with why in the matching *_note. */
struct remedy {
	char host[256];		/* ethtool -K DEV feature off … */
	char host_note[256];	/* names refused and why (fixed, absent, already off) */
	char qemu[160];		/* -device virtio-net-pci,…,host_tso4=off */
	char libvirt[200];	/* <driver><host tso4='off'/></driver> */
	char proxmox[256];	/* where that goes for a Proxmox VM */
	char guest_linux[160];	/* ethtool -K eth0 … off */
	char guest_bsd[128];	/* ifconfig vtnet0 -tso4 … */
	char guest_windows[512];/* NetKVM advanced properties */
	char persist[512];	/* host side across reboots: .link file / ifupdown */
};

/* Fill @r for @in. Returns the number of accused offloads the host command
 * switches off (0: nothing to switch there, see host_note). */
int remedy_make(const struct remedy_in *in, struct remedy *r);

/*
 * Segments that do not fit a tunnel (anomaly rule tunnel_segment_over_mtu):
 * no offload to switch, an MTU to set. Either the guest's, so its segments
 * fit what the tunnel leaves (through the VMM, no access to the guest
 * needed: virtio-net's host_mtu, libvirt's <mtu/>; or in the guest), or the
 * underlay's, so the tunnel leaves room for the guest's.
 */
struct remedy_mtu_in {
	__u32 segment;	    /* the longest segment seen (gso_size + headers, L3) */
	__u32 fits;	    /* what a segment must fit: the tunnel device's MTU */
	__u32 overhead;	    /* the tunnel's headers */
	const char *tunnel_dev;	/* vxlan0 */
	const char *underlay;	/* the device the tunnel sends on, or NULL/"" */
	const char *vm;		/* the guest's VM, or NULL/"" */
};

struct remedy_mtu {
	__u32 guest_mtu;	/* = fits */
	__u32 underlay_mtu;	/* room for a guest at MTU max(segment, 1500) */
	__u32 underlay_mtu_min;	/* room for the segments seen, no more */
	__u32 tunnel_mtu;	/* the tunnel device's MTU to go with it */
	char qemu[96];		/* -device virtio-net-pci,…,host_mtu=1450 */
	char libvirt[96];	/* <mtu size='1450'/> in the VM's <interface> */
	char guest_linux[96];	/* ip link set dev eth0 mtu 1450 */
	char underlay[160];	/* ip link set dev up0 mtu 1550; ip link set dev vxlan0 mtu 1500 */
};

void remedy_mtu_make(const struct remedy_mtu_in *in, struct remedy_mtu *r);

#endif
