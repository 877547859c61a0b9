/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The path a guest's frames take on the host — its tap, the bridge the tap
 * is a port of, the bridge's uplink (and a bond's or VLAN's lower device
 * under it) — each device with the offloads that decide what happens to a
 * super-frame there, and the device where a super-frame of a given kind
 * first meets a NIC that will segment or checksum it in hardware (the
 * classic case: TSO super-frames from a guest reaching an e1000e with TSO
 * on). Pure: the interfaces and their features come from the caller.
 */
#ifndef VNO_OFFPATH_H
#define VNO_OFFPATH_H

#include <stdbool.h>
#include <stddef.h>
#include "ethfeatures.h"
#include "ifaces.h"

#define PATH_MAX_HOPS 8

/* The columns: the offloads that matter for a guest's super-frame. */
enum path_col {
	PC_TSO,		/* tx-tcp-segmentation */
	PC_TSO6,	/* tx-tcp6-segmentation */
	PC_USO,		/* tx-udp-segmentation */
	PC_GSO,		/* tx-generic-segmentation (software) */
	PC_CSUM,	/* tx-checksum-ip-generic, -ipv4 or -ipv6 */
	PC__MAX,
};

const char *path_col_name(int c);	/* "tso", "tso6", "uso", "gso", "csum" */

struct path_hop {
	char name[VNO_IFNAMSIZ];
	char driver[32];
	char role[8];			/* "tap", "bridge", "uplink", "lower" */
	signed char col[PC__MAX];	/* VNO_OFF_ON, _OFF or _UNKNOWN */
	bool hw;			/* a NIC: what it has on, its hardware does */
};

struct vno_path {
	unsigned n;
	struct path_hop hop[PATH_MAX_HOPS];
	int meet;			/* the hop the frames meet hardware offload at, -1 */
	bool meet_segments;		/* it segments them there (else checksums only) */
	char note[256];			/* one sentence on what meets what, or that nothing does */
};

/* The columns of a device from its whole feature list (ethtool -k). */
void path_cols_from_features(const struct vno_features *fs, signed char col[PC__MAX]);
/* ... or from the seven states ifaces.c keeps (a capture's interfaces). */
void path_cols_from_iface(const struct vno_iface *it, signed char col[PC__MAX]);

/* Is @driver a NIC's (not tun, veth, bridge, bond, vxlan, …)? */
bool path_driver_is_hw(const char *driver);

/* Fills @col for @it; the default (NULL) is path_cols_from_iface(). */
typedef void (*path_cols_fn)(const struct vno_iface *it, signed char col[PC__MAX], void *ctx);

/*
 * The path from @tap (a tap's name; NULL or "": every tap port of @dev's
 * bridge) through its bridge to @dev (the hung device; NULL or "": every
 * other port of the bridge), in @ifs. @kinds: REM_BIT()s (remedy.h) of the
 * frames in question, to mark where they meet hardware offload. 0, or
 * -ENOENT when there is no bridge between a tap and anything (@p->n 0).
 */
int path_build(struct vno_path *p, const struct vno_iface *ifs, size_t n, const char *tap,
	       const char *dev, unsigned kinds, path_cols_fn fn, void *ctx);

/* The table, indented by @indent: DEVICE ROLE DRIVER and the columns, the
 * meeting hop marked; then the note. Strings made safe for a terminal. */
void path_print(FILE *out, const struct vno_path *p, const char *indent);

struct jw;
/* {"hops":[{name,role,driver,hw,tso,…}],"meets":NAME|null,"segments":bool,"note":…} */
void path_json(struct jw *w, const struct vno_path *p);

#endif
