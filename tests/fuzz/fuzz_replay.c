// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer target for replay's frame rebuild (user/replay_frame.c): a
 * capture comes from anyone, so each record it holds — any field, any
 * captured bytes — must give a frame within bounds or be refused. Input:
 * struct vno_frame, then up to VNO_SNAP_MAX frame bytes; the first byte
 * past those picks the rewrites. A built frame must be as long as the
 * record says (plus a VLAN tag put back), its synthesized tail zero but
 * where a checksum or length field lies, its header's gso_size set only
 * with a GSO type.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "replay.h"

static struct replay_out out;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct replay_rewrite rw = {};
	struct vno_event ev;
	char err[256];
	size_t n;
	int ret;

	if (size < sizeof(ev.f))
		return 0;
	memset(&ev, 0, sizeof(ev));
	memcpy(&ev.f, data, sizeof(ev.f));
	n = size - sizeof(ev.f);
	if (n > VNO_SNAP_MAX)
		n = VNO_SNAP_MAX;
	memcpy(ev.data, data + sizeof(ev.f), n);
	/* The record may claim more captured bytes than the input holds:
	 * the reader leaves those zero, and so does this. */
	if (size > sizeof(ev.f) + VNO_SNAP_MAX && (data[sizeof(ev.f) + VNO_SNAP_MAX] & 1)) {
		replay_rewrite_mac(&rw, "02:00:00:00:00:01=02:00:5e:00:53:99", err, sizeof(err));
		replay_rewrite_ip(&rw, "192.0.2.1=198.51.100.7", err, sizeof(err));
		replay_rewrite_ip(&rw, "2001:db8::1=2001:db8::5", err, sizeof(err));
	}
	ret = replay_build(&ev, &rw, &out);
	if (ret) {
		if (ret != -EINVAL)
			abort();
		return 0;
	}
	if (out.len > REPLAY_FRAME_MAX ||
	    out.len != ev.f.len + ((ev.f.flags & VNO_F_VLAN_HW) ? 4 : 0))
		abort();
	if (out.vh.gso_size && out.vh.gso_type == VIRTIO_NET_HDR_GSO_NONE)
		abort();
	/* Past the captured bytes and the first 256 (headers), only zeros:
	 * a checksum field lies within the headers. */
	for (size_t i = VNO_SNAP_MAX + 64; i < out.len; i++)
		if (out.frame[i])
			abort();
	return 0;
}
