// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Hang triggers besides the ring buffer (triggers.h): completion stalls and
 * carrier flaps (rtnetlink). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include "triggers.h"

/* linux/if.h has it but clashes with net/if.h (RFC 2863 lower layer up). */
#ifndef IFF_LOWER_UP
#define IFF_LOWER_UP (1 << 16)
#endif

bool stall_check(const struct vno_queue_stat *st, __u64 now, __u64 stall_ns)
{
	if (st->pending < STALL_MIN_PENDING || !st->first_pending_ns)
		return false;
	if (st->last_done_ns && st->first_pending_ns <= st->last_done_ns)
		return false;
	return now > st->first_pending_ns && now - st->first_pending_ns > stall_ns;
}

bool stall_applies(const struct vno_iface *dev)
{
	static const char *const pass_on[] = {
		"veth", "bridge", "bond", "team", "vxlan", "geneve", "gre", "gretap",
		"ipip", "sit", "ip6tnl", "macvlan", "ipvlan", "openvswitch", "vrf",
		"netkit", "dummy", "ifb", "wireguard",
	};

	if (!dev)
		return false;
	if (!strcmp(dev->name, "lo"))
		return false;
	for (size_t i = 0; i < sizeof(pass_on) / sizeof(pass_on[0]); i++)
		if (!strcmp(dev->driver, pass_on[i]))
			return false;
	return true;
}

/* Carrier state per ifindex, for every watched interface whatever its
 * ifindex: a host with many guests passes 256 quickly, and ifindexes only
 * grow. A short list, searched linearly: as long as the watched set. */
struct carrier_state {
	__u32 ifindex;
	unsigned char state;	/* 0 unknown, 1 up, 2 down */
};

struct carrier_watch {
	int fd;
	struct carrier_state *st;
	size_t n, cap;
};

struct carrier_watch *carrier_watch__open(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = RTMGRP_LINK };
	struct carrier_watch *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (w->fd < 0 || bind(w->fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int e = errno;

		if (w->fd >= 0)
			close(w->fd);
		free(w);
		errno = e;
		return NULL;
	}
	return w;
}

int carrier_watch__fd(const struct carrier_watch *w)
{
	return w ? w->fd : -1;
}

static __u64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* The state slot of @ifindex, created unknown; NULL when out of memory. */
static unsigned char *carrier_slot(struct carrier_watch *w, __u32 ifindex)
{
	for (size_t i = 0; i < w->n; i++)
		if (w->st[i].ifindex == ifindex)
			return &w->st[i].state;
	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 16;
		void *p = realloc(w->st, cap * sizeof(*w->st));

		if (!p)
			return NULL;
		w->st = p;
		w->cap = cap;
	}
	w->st[w->n] = (struct carrier_state){ .ifindex = ifindex };
	return &w->st[w->n++].state;
}

static void carrier_forget(struct carrier_watch *w, __u32 ifindex)
{
	for (size_t i = 0; i < w->n; i++)
		if (w->st[i].ifindex == ifindex) {
			w->st[i] = w->st[--w->n];
			return;
		}
}

static void link_name(struct nlmsghdr *nh, char *name, size_t len)
{
	struct ifinfomsg *ifi = NLMSG_DATA(nh);
	int alen = IFLA_PAYLOAD(nh);

	name[0] = '\0';
	for (struct rtattr *a = IFLA_RTA(ifi); RTA_OK(a, alen); a = RTA_NEXT(a, alen))
		if (a->rta_type == IFLA_IFNAME) {
			snprintf(name, len, "%.*s", (int)RTA_PAYLOAD(a), (char *)RTA_DATA(a));
			return;
		}
}

int carrier_watch__read(struct carrier_watch *w, const struct vno_iface *ifs, size_t n,
			int (*fn)(const struct vno_hang *h, void *ctx),
			int (*link_fn)(const struct carrier_link *ev, void *ctx), void *ctx)
{
	char buf[16384];
	ssize_t len;

	if (!w)
		return 0;
	while ((len = recv(w->fd, buf, sizeof(buf), 0)) > 0) {
		for (struct nlmsghdr *nh = (void *)buf; NLMSG_OK(nh, (size_t)len);
		     nh = NLMSG_NEXT(nh, len)) {
			struct ifinfomsg *ifi;
			unsigned char now_state, *st;
			const struct vno_iface *it = NULL;

			if (nh->nlmsg_type != RTM_NEWLINK && nh->nlmsg_type != RTM_DELLINK)
				continue;
			if (nh->nlmsg_len < NLMSG_LENGTH(sizeof(*ifi)))
				continue;
			ifi = NLMSG_DATA(nh);
			if (ifi->ifi_index <= 0)
				continue;
			if (link_fn) {
				struct carrier_link ev = { .gone = nh->nlmsg_type == RTM_DELLINK,
							   .ifindex = (__u32)ifi->ifi_index,
							   .flags = ifi->ifi_flags };

				link_name(nh, ev.name, sizeof(ev.name));
				link_fn(&ev, ctx);
			}
			if (nh->nlmsg_type == RTM_DELLINK) {
				carrier_forget(w, (__u32)ifi->ifi_index);
				continue;
			}
			for (size_t i = 0; i < n && !it; i++)
				if ((int)ifs[i].ifindex == ifi->ifi_index)
					it = &ifs[i];
			if (!it || !(st = carrier_slot(w, (__u32)ifi->ifi_index)))
				continue;
			/* Only an interface that is up can lose its carrier. */
			now_state = !(ifi->ifi_flags & IFF_UP) ? 0
				    : ifi->ifi_flags & IFF_LOWER_UP ? 1 : 2;
			/* Before its first message, trust the state at start. */
			if (!*st && it->up)
				*st = 1;
			if (now_state == 2 && *st == 1) {
				struct vno_hang h = { .ts_ns = mono_ns(), .netns = it->netns,
						      .ifindex = it->ifindex, .queue = -1,
						      .source = VNO_HANG_CARRIER };

				snprintf(h.dev, sizeof(h.dev), "%s", it->name);
				snprintf(h.detail, sizeof(h.detail),
					 "%s lost its carrier (link down while administratively up)",
					 it->name);
				fn(&h, ctx);
			}
			*st = now_state;
		}
	}
	return len < 0 && errno != EAGAIN ? -errno : 0;
}

void carrier_watch__free(struct carrier_watch *w)
{
	if (!w)
		return;
	close(w->fd);
	free(w->st);
	free(w);
}
