// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The TC programs on the chosen interfaces: TCX links (6.6+) or clsact
 * filters under our handle and priority (VNO_TC_HANDLE, VNO_TC_PRIO), moved
 * when an interface comes back, and taken off again.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "loader_tc.h"
#include "tcclean.h"
#include "log.h"

/* enum bpf_attach_type's BPF_TCX_INGRESS/EGRESS (6.6), which the uapi
 * headers of libbpf 1.1 builds may lack. */
#define VNO_BPF_TCX_INGRESS 46
#define VNO_BPF_TCX_EGRESS 47

int tc_links_attach(struct tc_links *t, int fd_in, int fd_eg, const struct vno_iface *ifs,
		    size_t n, enum tc_mode mode, enum tc_mode asked, char *err, size_t errlen)
{
	int fds[2] = { fd_in, fd_eg };

	t->v = calloc(n * 2 + 1, sizeof(*t->v));
	if (!t->v)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const struct vno_iface *it = &ifs[i];

		for (int dir = 0; dir < 2; dir++) {
			struct tc_att *a = &t->v[t->n];
			int ret;

			a->ifindex = it->ifindex;
			a->ingress = dir == 0;
			a->link_fd = -1;
			if (mode == TC_TCX) {
				ret = bpf_link_create(fds[dir], it->ifindex,
						      dir ? VNO_BPF_TCX_EGRESS : VNO_BPF_TCX_INGRESS,
						      NULL);
				if (ret < 0 && asked == TC_AUTO && !t->n) {
					/* Chosen from BTF, refused at the first link. */
					pr_info("TCX links refused (%s): using clsact\n", strerror(errno));
					mode = TC_CLSACT;
					t->clsact_fallback = true;
					dir--;
					continue;
				}
				if (ret < 0) {
					ret = -errno;
					goto fail;
				}
				a->link_fd = ret;
			} else {
				LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = it->ifindex,
					    .attach_point = dir ? BPF_TC_EGRESS : BPF_TC_INGRESS);
				LIBBPF_OPTS(bpf_tc_opts, to, .handle = VNO_TC_HANDLE,
					    .priority = VNO_TC_PRIO, .prog_fd = fds[dir]);

				ret = bpf_tc_hook_create(&hook);
				if (ret && ret != -EEXIST)
					goto fail;
				a->made_qdisc = !ret;
				ret = bpf_tc_attach(&hook, &to);
				if (ret)
					goto fail;
			}
			t->n++;
			continue;
fail:
			snprintf(err, errlen, "%s: attaching the TC %s program failed: %s",
				 it->name, dir ? "egress" : "ingress", strerror(-ret));
			return ret;
		}
	}
	return 0;
}

void tc_links_detach(struct tc_links *t)
{
	for (size_t i = 0; i < t->n; i++) {
		struct tc_att *a = &t->v[i];

		if (a->link_fd >= 0) {
			close(a->link_fd);
		} else {
			LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = a->ifindex,
				    .attach_point = a->ingress ? BPF_TC_INGRESS : BPF_TC_EGRESS);
			LIBBPF_OPTS(bpf_tc_opts, o, .handle = VNO_TC_HANDLE,
				    .priority = VNO_TC_PRIO);

			bpf_tc_detach(&hook, &o);
		}
	}
	/* A clsact qdisc this run created goes too, unless something else
	 * was put on it meanwhile: the interface is left as it was found. */
	for (size_t i = 0; i < t->n; i++)
		if (t->v[i].made_qdisc && tc_clsact_remove_if_empty(t->v[i].ifindex) < 0)
			pr_debug("ifindex %u: the clsact qdisc could not be checked or removed\n",
				 t->v[i].ifindex);
	free(t->v);
	t->v = NULL;
	t->n = 0;
}

/* Program @fd on one more direction of @ifindex, the way the others went
 * (TCX links, or clsact filters). 0 or -errno. */
static int tc_attach_one(struct tc_links *t, int fd, __u32 ifindex, bool ingress, bool tcx)
{
	struct tc_att *a;
	void *p = realloc(t->v, (t->n + 1) * sizeof(*t->v));
	int ret;

	if (!p)
		return -ENOMEM;
	t->v = p;
	a = &t->v[t->n];
	a->ifindex = ifindex;
	a->ingress = ingress;
	a->link_fd = -1;
	a->made_qdisc = false;
	if (tcx) {
		ret = bpf_link_create(fd, ifindex, ingress ? VNO_BPF_TCX_INGRESS : VNO_BPF_TCX_EGRESS,
				      NULL);
		if (ret < 0)
			return -errno;
		a->link_fd = ret;
	} else {
		LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
			    .attach_point = ingress ? BPF_TC_INGRESS : BPF_TC_EGRESS);
		LIBBPF_OPTS(bpf_tc_opts, to, .handle = VNO_TC_HANDLE, .priority = VNO_TC_PRIO,
			    .prog_fd = fd);

		ret = bpf_tc_hook_create(&hook);
		if (ret && ret != -EEXIST)
			return ret;
		ret = bpf_tc_attach(&hook, &to);
		if (ret)
			return ret;
	}
	t->n++;
	return 0;
}

int tc_links_moved(struct tc_links *t, int fd_in, int fd_eg, __u32 old_ifindex,
		   __u32 new_ifindex)
{
	bool tc = false, tcx = false;
	int ret;

	/* The old device took its TCX links and clsact filters with it: the
	 * entries are dropped (closing a dead link is harmless) and the
	 * programs go on the new one the same way. */
	for (size_t i = 0; i < t->n;) {
		struct tc_att *a = &t->v[i];

		if (a->ifindex != old_ifindex) {
			i++;
			continue;
		}
		tc = true;
		tcx |= a->link_fd >= 0;
		if (a->link_fd >= 0)
			close(a->link_fd);
		t->v[i] = t->v[--t->n];
	}
	if (!tc)
		return 0;
	ret = tc_attach_one(t, fd_in, new_ifindex, true, tcx);
	if (!ret)
		ret = tc_attach_one(t, fd_eg, new_ifindex, false, tcx);
	return ret;
}

int tc_links_add(struct tc_links *t, int fd_in, int fd_eg, __u32 ifindex, bool tcx)
{
	int ret = tc_attach_one(t, fd_in, ifindex, true, tcx);

	if (!ret)
		ret = tc_attach_one(t, fd_eg, ifindex, false, tcx);
	return ret;
}

void tc_links_remove(struct tc_links *t, __u32 ifindex)
{
	for (size_t i = 0; i < t->n;) {
		struct tc_att *a = &t->v[i];

		if (a->ifindex != ifindex) {
			i++;
			continue;
		}
		if (a->link_fd >= 0) {
			close(a->link_fd);
		} else {
			LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = a->ifindex,
				    .attach_point = a->ingress ? BPF_TC_INGRESS : BPF_TC_EGRESS);
			LIBBPF_OPTS(bpf_tc_opts, o, .handle = VNO_TC_HANDLE, .priority = VNO_TC_PRIO);

			bpf_tc_detach(&hook, &o);
		}
		t->v[i] = t->v[--t->n];
	}
}
