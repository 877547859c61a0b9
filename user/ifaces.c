// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Interfaces of the current network namespace, from one rtnetlink link dump
 * (names, ifindex, MTU, GSO/TSO limits, link kind) plus ethtool ioctls for
 * the driver and offload states.
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <linux/ethtool.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>
#include "ethfeatures.h"
#include "ifaces.h"
#include "vmhelper.h"

/* Newer than the uapi headers Debian 12 ships (6.2: commit 89527be8d8d6). */
#ifndef IFLA_TSO_MAX_SIZE
#define IFLA_TSO_MAX_SIZE 59
#define IFLA_TSO_MAX_SEGS 60
#endif

static const char *const ol_names[VNO_OL__MAX] = {
	[VNO_OL_SG] = "sg",	  [VNO_OL_TX_CSUM] = "tx-checksum",
	[VNO_OL_RX_CSUM] = "rx-checksum", [VNO_OL_TSO] = "tso",
	[VNO_OL_GSO] = "gso",	  [VNO_OL_GRO] = "gro",
	[VNO_OL_USO] = "uso",	  [VNO_OL_UDP_TNL] = "udp-tnl",
	[VNO_OL_UDP_TNL_CSUM] = "udp-tnl-csum",
};

const char *vno_offload_name(int ol)
{
	return ol >= 0 && ol < VNO_OL__MAX ? ol_names[ol] : "?";
}

__u32 ifaces_netns_self(void)
{
	struct stat st;

	if (stat("/proc/self/ns/net", &st))
		return 0;
	return (__u32)st.st_ino;
}

static int ethtool_value(int fd, const char *name, __u32 cmd)
{
	struct ethtool_value ev = { .cmd = cmd };
	struct ifreq ifr = {};

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	ifr.ifr_data = (void *)&ev;
	if (ioctl(fd, SIOCETHTOOL, &ifr))
		return VNO_OFF_UNKNOWN;
	return ev.data ? VNO_OFF_ON : VNO_OFF_OFF;
}

/* The offloads that have no legacy ethtool ioctl, by name from the
 * device's whole feature list (ethfeatures.c), read once. */
static void ethtool_features(struct vno_iface *it)
{
	static const struct {
		int ol;
		const char *name;
	} named[] = {
		{ VNO_OL_USO, "tx-udp-segmentation" },
		{ VNO_OL_UDP_TNL, "tx-udp_tnl-segmentation" },
		{ VNO_OL_UDP_TNL_CSUM, "tx-udp_tnl-csum-segmentation" },
	};
	struct vno_features fs;
	const struct vno_feature *f;
	bool ok = !vno_features_read(it->name, &fs);

	for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++)
		it->offload[named[i].ol] = ok && (f = vno_feature_find(&fs, named[i].name))
						   ? (f->active ? VNO_OFF_ON : VNO_OFF_OFF)
						   : VNO_OFF_UNKNOWN;
	vno_features_free(&fs);
}

static void ethtool_fill(int fd, struct vno_iface *it)
{
	struct ethtool_drvinfo di = { .cmd = ETHTOOL_GDRVINFO };
	struct ifreq ifr = {};

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", it->name);
	ifr.ifr_data = (void *)&di;
	if (!ioctl(fd, SIOCETHTOOL, &ifr) && di.driver[0])
		snprintf(it->driver, sizeof(it->driver), "%s", di.driver);
	it->offload[VNO_OL_SG] = ethtool_value(fd, it->name, ETHTOOL_GSG);
	it->offload[VNO_OL_TX_CSUM] = ethtool_value(fd, it->name, ETHTOOL_GTXCSUM);
	it->offload[VNO_OL_RX_CSUM] = ethtool_value(fd, it->name, ETHTOOL_GRXCSUM);
	it->offload[VNO_OL_TSO] = ethtool_value(fd, it->name, ETHTOOL_GTSO);
	it->offload[VNO_OL_GSO] = ethtool_value(fd, it->name, ETHTOOL_GGSO);
	it->offload[VNO_OL_GRO] = ethtool_value(fd, it->name, ETHTOOL_GGRO);
	ethtool_features(it);
}

static void parse_linkinfo(struct rtattr *li, int len, struct vno_iface *it)
{
	for (struct rtattr *a = li; RTA_OK(a, len); a = RTA_NEXT(a, len))
		if (a->rta_type == IFLA_INFO_KIND && !it->driver[0])
			snprintf(it->driver, sizeof(it->driver), "%.*s", (int)RTA_PAYLOAD(a),
				 (char *)RTA_DATA(a));
}

static void parse_link(struct nlmsghdr *h, struct vno_iface *it)
{
	struct ifinfomsg *ifi = NLMSG_DATA(h);
	int len = IFLA_PAYLOAD(h);
	bool link_elsewhere = false;

	memset(it, 0, sizeof(*it));
	memset(it->offload, VNO_OFF_UNKNOWN, sizeof(it->offload));
	it->ifindex = ifi->ifi_index;
	it->up = !!(ifi->ifi_flags & IFF_UP);
	for (struct rtattr *a = IFLA_RTA(ifi); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		__u32 v = RTA_PAYLOAD(a) >= 4 ? *(__u32 *)RTA_DATA(a) : 0;

		switch (a->rta_type) {
		case IFLA_IFNAME:
			snprintf(it->name, sizeof(it->name), "%s", (char *)RTA_DATA(a));
			break;
		case IFLA_MTU: it->mtu = v; break;
		case IFLA_MASTER: it->master = v; break;
		case IFLA_LINK: it->link = v; break;
		case IFLA_LINK_NETNSID: link_elsewhere = true; break;
		case IFLA_GSO_MAX_SIZE: it->gso_max_size = v; break;
		case IFLA_GSO_MAX_SEGS: it->gso_max_segs = v; break;
		case IFLA_TSO_MAX_SIZE: it->tso_max_size = v; break;
		case IFLA_TSO_MAX_SEGS: it->tso_max_segs = v; break;
		case IFLA_LINKINFO:
			parse_linkinfo(RTA_DATA(a), RTA_PAYLOAD(a), it);
			break;
		}
	}
	/* An ifindex of another namespace (a veth's peer there) names
	 * nothing here. */
	if (link_elsewhere)
		it->link = 0;
}

static int iface_cmp(const void *a, const void *b)
{
	const struct vno_iface *x = a, *y = b;

	return (int)x->ifindex - (int)y->ifindex;
}

int ifaces_list(struct vno_iface **out, size_t *n)
{
	struct {
		struct nlmsghdr nh;
		struct ifinfomsg ifi;
	} req = {
		.nh = { .nlmsg_len = sizeof(req), .nlmsg_type = RTM_GETLINK,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP, .nlmsg_seq = 1 },
		.ifi = { .ifi_family = AF_UNSPEC },
	};
	struct vno_iface *v = NULL;
	size_t cnt = 0, cap = 0;
	char *buf = NULL;
	int nl, efd, err = 0;
	__u32 netns = ifaces_netns_self();
	bool done = false;

	*out = NULL;
	*n = 0;
	nl = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (nl < 0)
		return -errno;
	efd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	buf = malloc(32768);
	if (!buf) {
		err = -ENOMEM;
		goto out;
	}
	if (send(nl, &req, sizeof(req), 0) < 0) {
		err = -errno;
		goto out;
	}
	while (!done) {
		ssize_t len = recv(nl, buf, 32768, 0);

		if (len < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			goto out;
		}
		for (struct nlmsghdr *h = (void *)buf; NLMSG_OK(h, (size_t)len);
		     h = NLMSG_NEXT(h, len)) {
			if (h->nlmsg_type == NLMSG_DONE) {
				done = true;
				break;
			}
			if (h->nlmsg_type == NLMSG_ERROR) {
				err = -EIO;
				goto out;
			}
			if (h->nlmsg_type != RTM_NEWLINK)
				continue;
			if (cnt == cap) {
				void *p = realloc(v, (cap = cap ? cap * 2 : 32) * sizeof(*v));

				if (!p) {
					err = -ENOMEM;
					goto out;
				}
				v = p;
			}
			parse_link(h, &v[cnt]);
			v[cnt].netns = netns;
			cnt++;
		}
	}
	for (size_t i = 0; efd >= 0 && i < cnt; i++)
		ethtool_fill(efd, &v[i]);
	for (size_t i = 0; i < cnt; i++)
		ifaces_learn_vm(&v[i]);
	qsort(v, cnt, sizeof(*v), iface_cmp);
	*out = v;
	*n = cnt;
	v = NULL;
out:
	free(v);
	free(buf);
	if (efd >= 0)
		close(efd);
	close(nl);
	return err;
}

bool ifaces_learn_vm(struct vno_iface *it)
{
	struct vm_ident id;
	unsigned holder_ns;

	/* ethtool -i says "tun" for tun and tap devices alike. */
	if (strcmp(it->driver, "tun"))
		return false;
	/* A VM's name only: the comm of a process holding a tap (every plain
	 * QEMU is "qemu-system-x86") tells no VM from another. */
	if (vm_ident_lookup(it->name, &id, &holder_ns))
		return true;
	/* Tap names repeat across network namespaces, and the holder is
	 * found by name: one living in another namespace holds another tap. */
	if (id.pid && holder_ns && holder_ns != it->netns && it->netns)
		return true;
	if (strcmp(id.source, "process"))
		snprintf(it->vm, sizeof(it->vm), "%s", id.name);
	it->vm_pid = id.pid;
	return true;
}

int ifaces_get(__u32 ifindex, struct vno_iface *out)
{
	struct {
		struct nlmsghdr nh;
		struct ifinfomsg ifi;
	} req = {
		.nh = { .nlmsg_len = sizeof(req), .nlmsg_type = RTM_GETLINK,
			.nlmsg_flags = NLM_F_REQUEST, .nlmsg_seq = 1 },
		.ifi = { .ifi_family = AF_UNSPEC, .ifi_index = (int)ifindex },
	};
	char *buf = malloc(32768);
	int nl, efd, err = -EIO;
	ssize_t len;

	if (!buf)
		return -ENOMEM;
	nl = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (nl < 0) {
		err = -errno;
		free(buf);
		return err;
	}
	if (send(nl, &req, sizeof(req), 0) < 0) {
		err = -errno;
		goto out;
	}
	do
		len = recv(nl, buf, 32768, 0);
	while (len < 0 && errno == EINTR);
	if (len < 0) {
		err = -errno;
		goto out;
	}
	for (struct nlmsghdr *h = (void *)buf; NLMSG_OK(h, (size_t)len); h = NLMSG_NEXT(h, len)) {
		if (h->nlmsg_type == NLMSG_ERROR) {
			struct nlmsgerr *e = NLMSG_DATA(h);

			err = e->error == -ENODEV || !e->error ? -ENODEV : e->error;
			break;
		}
		if (h->nlmsg_type != RTM_NEWLINK)
			continue;
		parse_link(h, out);
		out->netns = ifaces_netns_self();
		efd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (efd >= 0) {
			ethtool_fill(efd, out);
			close(efd);
		}
		ifaces_learn_vm(out);
		err = 0;
		break;
	}
out:
	close(nl);
	free(buf);
	return err;
}

int ifaces_select(const struct vno_iface *all, size_t n, char *const *patterns, int npat,
		  struct vno_iface **sel, size_t *nsel, char *err, size_t errlen)
{
	struct vno_iface *v = calloc(n ? n : 1, sizeof(*v));
	size_t cnt = 0, off;

	*sel = NULL;
	*nsel = 0;
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		bool take = npat == 0;

		for (int p = 0; p < npat && !take; p++)
			take = fnmatch(patterns[p], all[i].name, 0) == 0;
		if (take)
			v[cnt++] = all[i];
	}
	for (int p = 0; p < npat; p++) {
		bool hit = false;

		for (size_t i = 0; i < n && !hit; i++)
			hit = fnmatch(patterns[p], all[i].name, 0) == 0;
		if (hit)
			continue;
		off = snprintf(err, errlen, "%s: %s; interfaces here:", patterns[p],
			       strpbrk(patterns[p], "*?[") ? "no interface matches this pattern"
							   : "no such interface");
		for (size_t i = 0; i < n && off < errlen; i++)
			off += snprintf(err + off, errlen - off, "%s %s", i ? "," : "",
					all[i].name);
		free(v);
		return -ENODEV;
	}
	*sel = v;
	*nsel = cnt;
	return 0;
}

const struct vno_iface *ifaces_find(const struct vno_iface *ifs, size_t n, __u32 netns,
				    __u32 ifindex)
{
	for (size_t i = 0; i < n; i++)
		if (ifs[i].ifindex == ifindex && (!netns || !ifs[i].netns || ifs[i].netns == netns))
			return &ifs[i];
	return NULL;
}
