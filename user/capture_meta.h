/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The session metadata of a capture: the JSON of its "session" block,
 * written at the top of every file and read back into a struct vno_session.
 */
#ifndef VNO_CAPTURE_META_H
#define VNO_CAPTURE_META_H

#include <stddef.h>
#include "capture.h"
#include "pcapng.h"

/* Most interfaces a session block may list. */
#define IFACES_MAX 4096

struct capture_meta {
	const char *tool, *kernel, *machine, *cmdline;
	unsigned snaplen;
	long long mono_to_real_ns;
	const struct vno_session *s; /* its hooks; may be NULL */
	const struct vno_iface *ifaces;
	size_t n_ifaces;
};

/* The session block's JSON into @b (its error says if it failed). */
void capture_meta_json(struct pbuf *b, const struct capture_meta *m);

/*
 * Read the session JSON (@len bytes at @data, NUL-terminated) into @s (may
 * be NULL: checked only; its ifaces are replaced) and st->snaplen,
 * st->mono_to_real_ns. 0; -EINVAL when it is not JSON, *@at the byte where
 * it went wrong; -EPROTO when it is JSON but not a session, @why saying
 * how; -E2BIG past IFACES_MAX interfaces; -EFBIG when it holds more values
 * than that many interfaces could (checked before it is parsed); -ENOMEM.
 */
int capture_meta_parse(const char *data, size_t len, struct vno_session *s,
		       struct capture_stats *st, size_t *at, char *why, size_t why_len);

#endif
