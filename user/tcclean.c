// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Leftovers of killed runs on TC (see tcclean.h). The filter dump goes
 * through libmnl: libbpf can query one filter by handle and priority but
 * cannot list what else is on a hook, which is what "our qdisc holds nothing
 * else" needs.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <libmnl/libmnl.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include "loader.h"
#include "log.h"
#include "procfd.h"
#include "tcclean.h"

/* Our programs' names as the kernel keeps them (BPF_OBJ_NAME_LEN). */
static bool prog_is_ours(__u32 id)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	int fd = bpf_prog_get_fd_by_id(id);
	bool ours;

	if (fd < 0)
		return false;
	ours = !bpf_obj_get_info_by_fd(fd, &info, &len) && !strncmp(info.name, "vno_tc_", 7);
	close(fd);
	return ours;
}

/* A line of a program or link descriptor's fdinfo that names @ctx's id. */
static bool names_prog(const char *line, void *ctx)
{
	unsigned v;

	return sscanf(line, "prog_id: %u", &v) == 1 && v == *(const __u32 *)ctx;
}

int tc_prog_holder(__u32 prog_id)
{
	/* Only program and link descriptors can hold it. */
	static const char *const links[] = { "anon_inode:bpf-prog", "anon_inode:bpf_link", NULL };

	return procfd_find("/proc", links, names_prog, &prog_id);
}

int tc_sweep_stale(const struct vno_iface *ifs, size_t n)
{
	int removed = 0;

	for (size_t i = 0; i < n; i++)
		for (int dir = 0; dir < 2; dir++) {
			LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifs[i].ifindex,
				    .attach_point = dir ? BPF_TC_EGRESS : BPF_TC_INGRESS);
			LIBBPF_OPTS(bpf_tc_opts, q, .handle = VNO_TC_HANDLE,
				    .priority = VNO_TC_PRIO);
			LIBBPF_OPTS(bpf_tc_opts, d, .handle = VNO_TC_HANDLE,
				    .priority = VNO_TC_PRIO);
			int holder;

			/* Most interfaces have no clsact at all: libbpf's own
			 * message for that is noise here. */
			if (bpf_tc_query(&hook, &q) || !q.prog_id || !prog_is_ours(q.prog_id))
				continue;
			holder = tc_prog_holder(q.prog_id);
			if (holder) {
				pr_info("%s: the TC %s filter of a running vnoffload-trace (pid %d) is left "
					"alone\n", ifs[i].name, dir ? "egress" : "ingress", holder);
				continue;
			}
			if (bpf_tc_detach(&hook, &d) == 0) {
				pr_info("%s: removed a TC %s filter left by a run that was killed\n",
					ifs[i].name, dir ? "egress" : "ingress");
				removed++;
			}
		}
	return removed;
}

struct dump_ctx {
	int filters;
};

static int on_filter(const struct nlmsghdr *nlh, void *data)
{
	struct dump_ctx *c = data;

	if (nlh->nlmsg_type == RTM_NEWTFILTER)
		c->filters++;
	return MNL_CB_OK;
}

/* Filters under one clsact parent; -errno on failure, -ENOENT with no clsact. */
static int dump_filters(struct mnl_socket *nl, __u32 ifindex, __u32 parent)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct dump_ctx c = { 0 };
	unsigned seq = time(NULL), portid = mnl_socket_get_portid(nl);
	struct tcmsg *t;
	int ret;

	nlh->nlmsg_type = RTM_GETTFILTER;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	t = mnl_nlmsg_put_extra_header(nlh, sizeof(*t));
	t->tcm_family = AF_UNSPEC;
	t->tcm_ifindex = ifindex;
	t->tcm_parent = parent;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	while ((ret = mnl_socket_recvfrom(nl, buf, sizeof(buf))) > 0) {
		ret = mnl_cb_run(buf, ret, seq, portid, on_filter, &c);
		if (ret <= 0)
			break;
	}
	if (ret < 0)
		return -errno;
	return c.filters;
}

int tc_clsact_filters(__u32 ifindex)
{
	struct mnl_socket *nl = mnl_socket_open(NETLINK_ROUTE);
	int in, eg;

	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		int e = -errno;

		mnl_socket_close(nl);
		return e;
	}
	in = dump_filters(nl, ifindex, TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS));
	eg = in < 0 ? in : dump_filters(nl, ifindex, TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_EGRESS));
	mnl_socket_close(nl);
	return eg < 0 ? eg : in + eg;
}

int tc_clsact_remove_if_empty(__u32 ifindex)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
		    .attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS);
	int n = tc_clsact_filters(ifindex), ret;

	if (n)
		return n < 0 ? n : 0;
	ret = bpf_tc_hook_destroy(&hook);
	return ret ? ret : 1;
}
