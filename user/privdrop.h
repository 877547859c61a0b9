/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * -Z USER: once everything is attached and every file is open, run on as
 * USER with only the capabilities a live session still uses (libcap-ng).
 */
#ifndef VNO_PRIVDROP_H
#define VNO_PRIVDROP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Look USER up (a name, or a number): 0 with its uid/gid, or -ENOENT with
 * one sentence in err. */
int privdrop_lookup(const char *user, uid_t *uid, gid_t *gid, char *err, size_t errlen);

/*
 * Become @uid/@gid with USER's supplementary groups, keeping CAP_BPF (and
 * CAP_NET_ADMIN with @tc) in the permitted and effective sets, nothing
 * inheritable or ambient, and an empty bounding set beyond them. 0, or
 * -errno with one sentence in err.
 */
int privdrop_to(const char *user, uid_t uid, gid_t gid, bool tc, char *err, size_t errlen);

#endif
