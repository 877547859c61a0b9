/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Interfaces of the current network namespace: drivers, offloads, selection. */
#ifndef VNO_IFACES_H
#define VNO_IFACES_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "vno.h"

/* Offload feature states: VNO_OFF_UNKNOWN when ethtool could not tell. */
enum { VNO_OFF_UNKNOWN = -1, VNO_OFF_OFF = 0, VNO_OFF_ON = 1 };

enum vno_offload {
	VNO_OL_SG,
	VNO_OL_TX_CSUM,
	VNO_OL_RX_CSUM,
	VNO_OL_TSO,
	VNO_OL_GSO,
	VNO_OL_GRO,
	VNO_OL_USO,
	VNO_OL_UDP_TNL,	     /* tx-udp_tnl-segmentation: VXLAN/Geneve GSO in hardware */
	VNO_OL_UDP_TNL_CSUM, /* tx-udp_tnl-csum-segmentation: the same with outer checksums */
	VNO_OL__MAX,
};

struct vno_iface {
	char name[VNO_IFNAMSIZ];
	__u32 ifindex;
	__u32 netns;	     /* inode of the namespace it lives in */
	__u32 mtu;
	__u32 gso_max_size;  /* 0 when unknown */
	__u32 gso_max_segs;
	__u32 tso_max_size;
	__u32 tso_max_segs;
	int up;
	__u32 master;	     /* ifindex of its bridge or bond (IFLA_MASTER), 0 none */
	__u32 link;	     /* a VLAN's or macvlan's lower device (IFLA_LINK), else 0
			      * or its own ifindex */
	char driver[32];     /* ethtool driver name, or the link kind */
	signed char offload[VNO_OL__MAX];
	char vm[64];	     /* the VM behind a tun/tap device as its VMM names it
			      * (vmname.c: Proxmox, libvirt, QEMU -name); "" unknown */
	int vm_pid;	     /* the process holding that tap, 0 when none */
};

const char *vno_offload_name(int ol); /* "sg", "tx-checksum", … as ethtool -k */

/* Fill *out (malloc'd) with every interface of the current netns, each tap
 * with the VM behind it. 0 or -errno. */
int ifaces_list(struct vno_iface **out, size_t *n);

/* One interface by ifindex, as ifaces_list() describes it (VM included).
 * 0, -ENODEV when it is gone, or -errno. */
int ifaces_get(__u32 ifindex, struct vno_iface *out);

/* Name the VM behind a tun/tap device (its holder's VMM); the others and
 * taps no process holds are left with vm "". True when @it is a tap. */
bool ifaces_learn_vm(struct vno_iface *it);

/*
 * Choose interfaces by name or glob. With no patterns, all of them. On a
 * pattern that matches nothing, returns -ENODEV and writes a sentence naming
 * the pattern and the interfaces there are into err.
 */
int ifaces_select(const struct vno_iface *all, size_t n, char *const *patterns, int npat,
		  struct vno_iface **sel, size_t *nsel, char *err, size_t errlen);

const struct vno_iface *ifaces_find(const struct vno_iface *ifs, size_t n, __u32 netns,
				    __u32 ifindex);

/* Inode of the current network namespace, or 0. */
__u32 ifaces_netns_self(void);

#endif
