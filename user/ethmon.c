// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Which devices' offload features changed, from ethtool netlink's
 * "monitor" multicast group (ETHTOOL_MSG_FEATURES_NTF), through libmnl.
 *
 * Notifications rather than reading every device again now and then: the
 * kernel sends one on every NETDEV_FEAT_CHANGE (ethtool -K by ioctl or
 * netlink, a bridge recomputing its features when a port joins, a driver
 * changing its own), so a change is seen within one turn of the session
 * and an idle host costs nothing. A notification only says which device:
 * its features are then read with the one reader (ethfeatures.c) and
 * compared with what was kept (offwatch.c), so a notification counted
 * twice or one about a device not watched changes nothing. The family and
 * group ids are resolved by name (genetlink's controller); a kernel
 * without ethtool netlink (before 5.6) gets a read every second instead
 * (offwatch.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <libmnl/libmnl.h>
#include <linux/ethtool_netlink.h>
#include <linux/genetlink.h>
#include "ethmon.h"

struct ethmon {
	struct mnl_socket *nl;
	__u16 family;
};

struct resolved {
	__u16 family;
	__u32 group;
};

static int on_group(const struct nlattr *grp, void *data)
{
	struct resolved *res = data;
	const struct nlattr *a;
	const char *name = NULL;
	__u32 id = 0;

	mnl_attr_for_each_nested(a, grp) {
		if (mnl_attr_get_type(a) == CTRL_ATTR_MCAST_GRP_NAME &&
		    !mnl_attr_validate(a, MNL_TYPE_NUL_STRING))
			name = mnl_attr_get_str(a);
		else if (mnl_attr_get_type(a) == CTRL_ATTR_MCAST_GRP_ID &&
			 !mnl_attr_validate(a, MNL_TYPE_U32))
			id = mnl_attr_get_u32(a);
	}
	if (name && !strcmp(name, ETHTOOL_MCGRP_MONITOR_NAME))
		res->group = id;
	return MNL_CB_OK;
}

static int on_family(const struct nlmsghdr *nlh, void *data)
{
	struct resolved *res = data;
	const struct nlattr *a, *g;

	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		if (mnl_attr_get_type(a) == CTRL_ATTR_FAMILY_ID &&
		    !mnl_attr_validate(a, MNL_TYPE_U16))
			res->family = mnl_attr_get_u16(a);
		else if (mnl_attr_get_type(a) == CTRL_ATTR_MCAST_GROUPS)
			mnl_attr_for_each_nested(g, a)
				on_group(g, res);
	}
	return MNL_CB_OK;
}

/* CTRL_CMD_GETFAMILY "ethtool": its id and the "monitor" group's. */
static int resolve(struct mnl_socket *nl, struct resolved *res)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g;
	unsigned seq = time(NULL), portid = mnl_socket_get_portid(nl);
	int ret;

	nlh->nlmsg_type = GENL_ID_CTRL;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = CTRL_CMD_GETFAMILY;
	g->version = 1;
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, ETHTOOL_GENL_NAME);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	while ((ret = mnl_socket_recvfrom(nl, buf, sizeof(buf))) > 0) {
		ret = mnl_cb_run(buf, ret, seq, portid, on_family, res);
		if (ret <= MNL_CB_STOP)
			break;
	}
	if (ret < 0)
		return -errno; /* ENOENT: no such family */
	return res->family && res->group ? 0 : -ENOENT;
}

struct ethmon *ethmon__open(void)
{
	struct ethmon *em = calloc(1, sizeof(*em));
	struct resolved res = {};
	int err, fd;

	if (!em)
		return NULL;
	em->nl = mnl_socket_open(NETLINK_GENERIC);
	if (!em->nl || mnl_socket_bind(em->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		err = -errno;
		goto fail;
	}
	err = resolve(em->nl, &res);
	if (err)
		goto fail;
	if (mnl_socket_setsockopt(em->nl, NETLINK_ADD_MEMBERSHIP, &res.group,
				  sizeof(res.group)) < 0) {
		err = -errno;
		goto fail;
	}
	fd = mnl_socket_get_fd(em->nl);
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0) {
		err = -errno;
		goto fail;
	}
	em->family = res.family;
	return em;
fail:
	ethmon__free(em);
	errno = -err;
	return NULL;
}

void ethmon__free(struct ethmon *em)
{
	if (!em)
		return;
	if (em->nl)
		mnl_socket_close(em->nl);
	free(em);
}

struct ntf {
	struct ethmon *em;
	void (*fn)(__u32 ifindex, void *ctx);
	void *ctx;
};

static int on_ntf(const struct nlmsghdr *nlh, void *data)
{
	struct ntf *n = data;
	const struct genlmsghdr *g = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a, *h;

	if (nlh->nlmsg_type != n->em->family ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(*g) || g->cmd != ETHTOOL_MSG_FEATURES_NTF)
		return MNL_CB_OK;
	mnl_attr_for_each(a, nlh, sizeof(*g)) {
		if (mnl_attr_get_type(a) != ETHTOOL_A_FEATURES_HEADER)
			continue;
		mnl_attr_for_each_nested(h, a)
			if (mnl_attr_get_type(h) == ETHTOOL_A_HEADER_DEV_INDEX &&
			    !mnl_attr_validate(h, MNL_TYPE_U32))
				n->fn(mnl_attr_get_u32(h), n->ctx);
	}
	return MNL_CB_OK;
}

int ethmon_read(struct ethmon *em, void (*fn)(__u32 ifindex, void *ctx), void *ctx)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct ntf n = { em, fn, ctx };
	ssize_t len;

	if (!em)
		return -EINVAL;
	for (;;) {
		len = mnl_socket_recvfrom(em->nl, buf, sizeof(buf));
		if (len < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
		/* Multicast messages carry sequence 0 and the kernel's port. */
		if (mnl_cb_run(buf, len, 0, 0, on_ntf, &n) < 0 && errno != EINTR)
			continue; /* one bad message is not the end of the stream */
	}
}
