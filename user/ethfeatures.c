// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Every offload feature of a device, by ethtool's names: what the remedy
 * checks a suggestion against (a name the device cannot switch is never
 * suggested), and the one switch `confirm` flips. The SIOCETHTOOL ioctl, as
 * `ethtool -k`/`-K` used before netlink: it answers on every kernel this tool
 * runs on (ethtool netlink needs 5.6), and the kernel tells ethtool
 * netlink's monitor group of a change made through it all the same (ethmon.c
 * hears it), so reading and switching stay in this one place.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include "ethfeatures.h"

_Static_assert(VNO_FEATURE_NAME_LEN == ETH_GSTRING_LEN, "feature names are ethtool strings");

/* More than the kernel has ever defined (NETDEV_FEATURE_COUNT is 64 at most
 * while features are a u64); a device answering more is not believed. */
#define FEATURES_MAX 256

static int ethtool(int fd, const char *ifname, void *data)
{
	struct ifreq ifr = {};

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_data = data;
	/* ETHTOOL_SFEATURES answers flags (ETHTOOL_F_WISH, …) as a positive value. */
	return ioctl(fd, SIOCETHTOOL, &ifr) < 0 ? -errno : 0;
}

int vno_features_read(const char *ifname, struct vno_features *out)
{
	struct {
		struct ethtool_sset_info hdr;
		__u32 len;
	} sset = { .hdr = { .cmd = ETHTOOL_GSSET_INFO, .sset_mask = 1ULL << ETH_SS_FEATURES } };
	struct ethtool_gstrings *strs = NULL;
	struct ethtool_gfeatures *feats = NULL;
	__u32 n, words, i;
	int fd, err;

	out->n = 0;
	out->f = NULL;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	err = ethtool(fd, ifname, &sset);
	if (err)
		goto out;
	n = sset.hdr.sset_mask ? sset.len : 0;
	if (n == 0 || n > FEATURES_MAX) {
		err = -EOPNOTSUPP;
		goto out;
	}
	words = (n + 31) / 32;
	strs = calloc(1, sizeof(*strs) + n * ETH_GSTRING_LEN);
	feats = calloc(1, sizeof(*feats) + words * sizeof(feats->features[0]));
	out->f = calloc(n, sizeof(*out->f));
	if (!strs || !feats || !out->f) {
		err = -ENOMEM;
		goto out;
	}
	strs->cmd = ETHTOOL_GSTRINGS;
	strs->string_set = ETH_SS_FEATURES;
	strs->len = n;
	feats->cmd = ETHTOOL_GFEATURES;
	feats->size = words;
	err = ethtool(fd, ifname, strs);
	if (!err)
		err = ethtool(fd, ifname, feats);
	if (err)
		goto out;
	for (i = 0; i < n; i++) {
		struct vno_feature *f = &out->f[out->n];
		__u32 bit = 1u << (i % 32);

		memcpy(f->name, strs->data + i * ETH_GSTRING_LEN, ETH_GSTRING_LEN);
		f->name[ETH_GSTRING_LEN - 1] = '\0';
		if (!f->name[0])
			continue; /* a hole in the kernel's table */
		f->index = i;
		f->active = feats->features[i / 32].active & bit;
		/* "available" is the device's hw_features; never_changed marks
		 * what no one may switch (NETIF_F_NEVER_CHANGE). */
		f->changeable = (feats->features[i / 32].available & bit) &&
				!(feats->features[i / 32].never_changed & bit);
		out->n++;
	}
out:
	free(strs);
	free(feats);
	close(fd);
	if (err) {
		free(out->f);
		out->f = NULL;
		out->n = 0;
	}
	return err;
}

int vno_feature_set(const char *ifname, const struct vno_feature *f, bool on)
{
	struct ethtool_sfeatures *sf;
	struct vno_features now;
	const struct vno_feature *g;
	__u32 words = f->index / 32 + 1, bit = 1u << (f->index % 32);
	int fd, err;

	sf = calloc(1, sizeof(*sf) + words * sizeof(sf->features[0]));
	if (!sf)
		return -ENOMEM;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err = -errno;
		free(sf);
		return err;
	}
	sf->cmd = ETHTOOL_SFEATURES;
	sf->size = words;
	sf->features[f->index / 32].valid = bit;
	sf->features[f->index / 32].requested = on ? bit : 0;
	/* A positive answer (ETHTOOL_F_WISH, …) says not all was applied:
	 * the state read back decides. */
	err = ethtool(fd, ifname, sf);
	close(fd);
	free(sf);
	if (err < 0)
		return err;
	err = vno_features_read(ifname, &now);
	if (!err) {
		g = vno_feature_find(&now, f->name);
		err = g && g->active == on ? 0 : -EAGAIN;
	}
	vno_features_free(&now);
	return err;
}

void vno_features_free(struct vno_features *fs)
{
	free(fs->f);
	fs->f = NULL;
	fs->n = 0;
}

const struct vno_feature *vno_feature_find(const struct vno_features *fs, const char *name)
{
	for (unsigned i = 0; fs && i < fs->n; i++)
		if (!strcmp(fs->f[i].name, name))
			return &fs->f[i];
	return NULL;
}

unsigned vno_features_diff(const struct vno_features *old, const struct vno_features *now,
			   struct vno_feature_change *out, unsigned max)
{
	unsigned n = 0;

	for (unsigned i = 0; now && i < now->n; i++) {
		const struct vno_feature *f = &now->f[i], *o;

		/* Both lists come from one kernel table: same place, mostly. */
		o = old && i < old->n && !strcmp(old->f[i].name, f->name) ? &old->f[i]
									 : vno_feature_find(old, f->name);
		if (!o || o->active == f->active)
			continue;
		if (n < max) {
			memcpy(out[n].name, f->name, sizeof(out[n].name));
			out[n].from = o->active;
			out[n].to = f->active;
		}
		n++;
	}
	return n;
}
