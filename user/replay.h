/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * replay: a recorded frame back into the form its guest handed it to the
 * host — a virtio_net_hdr rebuilt from the record's offload metadata, then
 * the Ethernet frame: the captured bytes, the rest of the recorded length
 * synthesized, addresses rewritten and lengths and checksums mended where
 * a bridge would otherwise refuse it. Pure: no kernel, no tap (cmd_replay.c
 * writes the result); unit-tested in tests/unit/test_replay.c.
 */
#ifndef VNO_REPLAY_H
#define VNO_REPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/virtio_net.h>
#include "vno.h"

/* Largest frame a tap write takes: IPv4 tot_len is 16 bits, plus L2 and a
 * VLAN tag put back into the frame. */
#define REPLAY_FRAME_MAX (65535 + 14 + 4)
#define REPLAY_REWRITE_MAX 16

struct replay_rewrite {
	unsigned n_mac, n_ip;
	struct { unsigned char from[6], to[6]; } mac[REPLAY_REWRITE_MAX];
	struct { int ver; unsigned char from[16], to[16]; } ip[REPLAY_REWRITE_MAX];
};

/* "OLD=NEW" into @rw: 0, or -EINVAL / -E2BIG with a sentence in @err. */
int replay_rewrite_mac(struct replay_rewrite *rw, const char *arg, char *err, size_t errlen);
int replay_rewrite_ip(struct replay_rewrite *rw, const char *arg, char *err, size_t errlen);

/* What replay_build() did to a frame (REPLAY_* bits). */
#define REPLAY_SYNTH (1u << 0)	  /* payload bytes were synthesized (zeros) */
#define REPLAY_SHORT_HDR (1u << 1) /* the capture ends inside the headers */
#define REPLAY_IP_LEN (1u << 2)	  /* the IP length field was mended */
#define REPLAY_IP_CSUM (1u << 3)  /* the IPv4 header checksum was computed again */
#define REPLAY_L4_CSUM (1u << 4)  /* a full L4 checksum was computed over the synthesized payload */
#define REPLAY_REWROTE (1u << 5)  /* an address was rewritten */
#define REPLAY_VLAN (1u << 6)	  /* a VLAN tag held out of band was put back into the frame */

struct replay_out {
	struct virtio_net_hdr vh;
	unsigned char frame[REPLAY_FRAME_MAX];
	size_t len;		/* frame bytes */
	unsigned what;		/* REPLAY_* */
};

/* The virtio_net_hdr gso_type for an SKB_GSO_* mask (VIRTIO_NET_HDR_GSO_*,
 * with ECN), as virtio_net_hdr_from_skb() maps it. */
unsigned char replay_vnet_gso_type(__u32 gso_type, __u16 gso_size);

/* Build @out from the record @ev (ev->data holds f.cap_len bytes). 0, or
 * -EINVAL when the record cannot be a frame (length 0 or beyond
 * REPLAY_FRAME_MAX, no captured bytes). */
int replay_build(const struct vno_event *ev, const struct replay_rewrite *rw,
		 struct replay_out *out);

#endif
