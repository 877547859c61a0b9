/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* A device's offload features, all of them, as `ethtool -k` lists them. */
#ifndef VNO_ETHFEATURES_H
#define VNO_ETHFEATURES_H

#include <stdbool.h>
#include <linux/types.h>

#define VNO_FEATURE_NAME_LEN 32	/* ETH_GSTRING_LEN */

struct vno_feature {
	char name[VNO_FEATURE_NAME_LEN]; /* "tx-tcp-segmentation", … */
	bool active;			 /* on now */
	bool changeable;		 /* not "[fixed]": ethtool -K can switch it */
	unsigned index;			 /* its place in the kernel's feature table */
};

struct vno_features {
	unsigned n;
	struct vno_feature *f;
};

/*
 * Read every feature of @ifname in the current network namespace
 * (ETHTOOL_GSSET_INFO, GSTRINGS and GFEATURES). 0, or a negative errno:
 * -ENODEV, -EOPNOTSUPP, -ENOMEM. vno_features_free() in either case.
 */
int vno_features_read(const char *ifname, struct vno_features *out);
void vno_features_free(struct vno_features *fs);
/*
 * Ask for @f (read by vno_features_read() from @ifname) on or off, as
 * `ethtool -K` does, and read it back. 0 when it is now as asked; -EAGAIN
 * when the kernel took the wish but the device kept its state (a feature
 * that depends on another); -errno (EPERM, EOPNOTSUPP, ENODEV) otherwise.
 */
int vno_feature_set(const char *ifname, const struct vno_feature *f, bool on);
/* The feature named @name, or NULL when the kernel has no such name. */
const struct vno_feature *vno_feature_find(const struct vno_features *fs, const char *name);

/* One feature switched on or off. */
struct vno_feature_change {
	char name[VNO_FEATURE_NAME_LEN];
	bool from, to;
};

/*
 * The features whose state differs from @old to @now, by name, in @now's
 * order (a name in one list only is no change: the kernel's table is the
 * same for both). At most @max go into @out; returns how many differ.
 */
unsigned vno_features_diff(const struct vno_features *old, const struct vno_features *now,
			   struct vno_feature_change *out, unsigned max);

#endif
