// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The watched devices' offload features (offwatch.h). Each device is read
 * with the one feature reader (ethfeatures.c: ETHTOOL_GFEATURES and its
 * strings) when it joins and when ethtool netlink says it changed
 * (ethmon.c), never per scrape: a scrape reads what is kept. A change is
 * the difference between two reads, so a notification counted twice, or
 * one that changed nothing, says nothing.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ethmon.h"
#include "grow.h"
#include "log.h"
#include "offwatch.h"

struct offwatch *offwatch__new(bool notify)
{
	struct offwatch *ow = calloc(1, sizeof(*ow));

	if (!ow)
		return NULL;
	if (notify) {
		ow->mon = ethmon__open();
		if (!ow->mon)
			pr_info("ethtool netlink notifications cannot be had (%s): offload "
				"features are read again every second\n", strerror(errno));
	}
	return ow;
}

void offwatch__free(struct offwatch *ow)
{
	if (!ow)
		return;
	for (size_t i = 0; i < ow->n; i++)
		vno_features_free(&ow->d[i].fs);
	free(ow->d);
	ethmon__free(ow->mon);
	free(ow);
}

const char *offwatch_how(const struct offwatch *ow)
{
	return ow && ow->mon ? "ethtool netlink notifications" : "a read every second";
}

const struct offwatch_dev *offwatch_find(const struct offwatch *ow, __u32 netns, __u32 ifindex)
{
	for (size_t i = 0; ow && i < ow->n; i++)
		if (ow->d[i].ifindex == ifindex && ow->d[i].netns == netns)
			return &ow->d[i];
	return NULL;
}

static bool in_sel(const struct offwatch_dev *d, const struct vno_iface *sel,
		   const unsigned char *gone, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (sel[i].ifindex == d->ifindex && sel[i].netns == d->netns &&
		    !(gone && gone[i]) && !strcmp(sel[i].name, d->name))
			return true;
	return false;
}

void offwatch_sync(struct offwatch *ow, const struct vno_iface *sel, const unsigned char *gone,
		   size_t n)
{
	size_t k = 0;

	if (!ow)
		return;
	for (size_t i = 0; i < ow->n; i++) {
		if (in_sel(&ow->d[i], sel, gone, n))
			ow->d[k++] = ow->d[i];
		else
			vno_features_free(&ow->d[i].fs);
	}
	ow->n = k;
	for (size_t i = 0; i < n; i++) {
		struct offwatch_dev *d;
		void *p;

		if (!sel[i].ifindex || (gone && gone[i]) ||
		    offwatch_find(ow, sel[i].netns, sel[i].ifindex))
			continue;
		p = array_grow(ow->d, &ow->cap, ow->n + 1, sizeof(*ow->d));
		if (!p)
			return;
		ow->d = p;
		d = &ow->d[ow->n++];
		*d = (struct offwatch_dev){ .netns = sel[i].netns, .ifindex = sel[i].ifindex };
		snprintf(d->name, sizeof(d->name), "%s", sel[i].name);
		/* A device with no ethtool features (or gone meanwhile) keeps an
		 * empty list; its notifications read it again. */
		vno_features_read(d->name, &d->fs);
	}
}

static void mark(__u32 ifindex, void *ctx)
{
	struct offwatch *ow = ctx;

	for (size_t i = 0; i < ow->n; i++)
		if (ow->d[i].ifindex == ifindex)
			ow->d[i].dirty = true;
}

void offwatch_check(struct offwatch *ow, __u64 now,
		    void (*fn)(struct offload_change *oc, void *ctx), void *ctx)
{
	bool all;

	if (!ow)
		return;
	if (ow->mon) {
		/* Read also with no device kept: a queue left to fill would
		 * lose the first notification of a device watched later. */
		if (ethmon_read(ow->mon, mark, ow) == -ENOBUFS)
			ow->all_dirty = true;
		all = ow->all_dirty;
	} else {
		all = now >= ow->next_poll;
		if (all)
			ow->next_poll = now + OFFWATCH_POLL_NS;
	}
	ow->all_dirty = false;
	for (size_t i = 0; i < ow->n; i++) {
		struct offwatch_dev *d = &ow->d[i];
		struct vno_features now_fs;
		struct offload_change oc;

		if (!all && !d->dirty)
			continue;
		d->dirty = false;
		if (vno_features_read(d->name, &now_fs))
			continue; /* gone: its link message takes it out */
		oc = (struct offload_change){ .ts_ns = now, .netns = d->netns,
					      .ifindex = d->ifindex };
		oc.n = vno_features_diff(&d->fs, &now_fs, oc.c, OFFLOAD_CHANGE_MAX);
		if (oc.n > OFFLOAD_CHANGE_MAX)
			oc.n = OFFLOAD_CHANGE_MAX;
		vno_features_free(&d->fs);
		d->fs = now_fs;
		if (!oc.n || !fn)
			continue;
		snprintf(oc.dev, sizeof(oc.dev), "%s", d->name);
		fn(&oc, ctx);
	}
}
