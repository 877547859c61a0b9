/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A tap opened the way a VMM opens its guest's NIC (QEMU's tap_open(),
 * libvirt handing QEMU the descriptor): /dev/net/tun with
 * IFF_TAP|IFF_NO_PI|IFF_VNET_HDR, the virtio_net_hdr size, the offloads the
 * guest negotiated (TUNSETOFFLOAD), optionally a bridge port, up.
 */
#ifndef VNO_TAP_H
#define VNO_TAP_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/if_tun.h>

/* Added in Linux 6.2 (commit 399e0827642f "tun: support UDP segmentation
 * offload"); Debian's 6.1 uapi headers lack them. */
#ifndef TUN_F_USO4
#define TUN_F_USO4 0x20
#endif
#ifndef TUN_F_USO6
#define TUN_F_USO6 0x40
#endif

struct tap_opts {
	const char *name;	/* created, or an existing persistent tap taken over */
	const char *bridge;	/* made a port of it unless it is one already; NULL none */
	unsigned offloads;	/* TUN_F_* */
	unsigned wait_ms;	/* for the bridge port to forward */
	int vnet_hdr_len;	/* 10 or 12; 0: sizeof(struct virtio_net_hdr) */
	bool blocking;		/* reads wait (a guest's RX thread) */
};

/*
 * The tap's descriptor (O_NONBLOCK unless @o->blocking: what the host sends
 * the guest is read by the caller), or -errno with a sentence in @err. *@offloads_set gets
 * what TUNSETOFFLOAD took: without the USO bits on kernels before 6.2.
 */
int tap_open_vmm(const struct tap_opts *o, unsigned *offloads_set, char *err, size_t errlen);
/* "csum,tso4,uso4" for a TUN_F_* mask into @buf. */
const char *tap_offloads_str(unsigned off, char *buf, size_t len);

#endif
