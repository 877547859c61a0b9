// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The live interface set (see live.h). On a KVM host the tool starts before
 * the guests and each guest's VMM makes a tap when it starts and the
 * kernel removes it when it stops, so the set is followed from rtnetlink
 * link messages: a new ifindex is described (driver, MTU, offloads, the
 * VM behind a tap) and, when chosen, put in the BPF side's watched table
 * with a free flight recorder slot and the TC programs; a deleted one is
 * taken out and its in-kernel series dropped, its slot freed. A run whose
 * -i names are all present at start keeps the loader's fixed table, where
 * an interface deleted and created again is followed by name (back).
 *
 * Only the main thread changes the set, under the lock; export's scrapes
 * read it under the same lock.
 */
#include <errno.h>
#include <fnmatch.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "grow.h"
#include "json.h"
#include "json_writer.h"
#include "live.h"
#include "log.h"
#include "run.h"
#include "triggers.h"

/* Names watched once, for "back" rather than "new"; bounded (16 B each). */
#define SEEN_MAX 65536
/* A removed interface's counters are dropped again this long after: a frame
 * sent before it went may complete, and count, a little later. */
#define PURGE_AGAIN_NS 2000000000ULL

struct purge {
	__u32 netns, ifindex;
	__u64 at;
};

struct live {
	char **pats;
	int npat;
	char **vms;
	int nvm;
	bool dynamic;		/* interfaces are added and removed; else by name */
	bool rcvbuf;		/* the link socket's buffer was raised */
	size_t all_cap, sel_cap;
	char (*seen)[VNO_IFNAMSIZ];
	size_t nseen, seen_cap;
	struct purge *purge;
	size_t npurge, purge_cap;
};

bool live_pattern_is_name(const char *pat)
{
	return !strpbrk(pat, "*?[");
}

static char **copy_strs(char *const *v, int n)
{
	char **c = calloc(n ? n : 1, sizeof(*c));

	if (c && n)
		memcpy(c, v, n * sizeof(*c));
	return c;
}

struct live *live__new(char *const *pats, int npat, char *const *vms, int nvm)
{
	struct live *lv = calloc(1, sizeof(*lv));

	if (!lv)
		return NULL;
	lv->pats = copy_strs(pats, npat);
	lv->vms = copy_strs(vms, nvm);
	lv->npat = npat;
	lv->nvm = nvm;
	if (!lv->pats || !lv->vms) {
		live__free(lv);
		return NULL;
	}
	return lv;
}

void live__free(struct live *lv)
{
	if (!lv)
		return;
	free(lv->pats);
	free(lv->vms);
	free(lv->seen);
	free(lv->purge);
	free(lv);
}

bool live_match(const struct live *lv, const char *name, const char *vm)
{
	if (!lv->npat && !lv->nvm)
		return true;
	for (int i = 0; i < lv->npat; i++)
		if (!fnmatch(lv->pats[i], name, 0))
			return true;
	for (int i = 0; vm && vm[0] && i < lv->nvm; i++)
		if (!fnmatch(lv->vms[i], vm, 0))
			return true;
	return false;
}

/* The runner's own lock (recursive), which also guards the pipeline. */
void live_lock(struct runner *r)
{
	if (r->lock_init)
		pthread_mutex_lock(&r->lock);
}

void live_unlock(struct runner *r)
{
	if (r->lock_init)
		pthread_mutex_unlock(&r->lock);
}

const char *live_vm(const struct runner *r, __u32 netns, __u32 ifindex)
{
	const struct vno_iface *it = ifaces_find(r->all, r->nall, netns, ifindex);

	return it && it->vm[0] ? it->vm : NULL;
}

/* "tap0: no such interface; interfaces here: lo, eth0" */
static void no_match(const struct runner *r, const char *what, const char *pat, char *buf,
		     size_t len)
{
	size_t off = snprintf(buf, len, "%s%s: %s", what, pat,
			      what[0] ? "no VM of that name has a tap here"
			      : live_pattern_is_name(pat) ? "no such interface"
							  : "no interface matches this pattern");

	if (what[0])
		return;
	off += snprintf(buf + off, off < len ? len - off : 0, "; interfaces here:");
	for (size_t i = 0; i < r->nall && off < len; i++)
		off += snprintf(buf + off, len - off, "%s %s", i ? "," : "", r->all[i].name);
}

int live_open(struct runner *r, const struct run_opts *o, bool waiting, bool *dynamic,
	      char *err, size_t errlen)
{
	struct live *lv = live__new(o->ifaces, o->n_ifaces, o->vms, o->n_vms);
	bool unmatched = false;
	char msg[512];

	r->live = lv;
	r->sel = calloc(r->nall ? r->nall : 1, sizeof(*r->sel));
	if (!lv || !r->sel) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (size_t i = 0; i < r->nall; i++)
		if (live_match(lv, r->all[i].name, r->all[i].vm))
			r->sel[r->nsel++] = r->all[i];
	/* A pattern matching nothing yet: its interface may come (a guest
	 * that has not started); said once. */
	for (int p = 0; p < o->n_ifaces + o->n_vms; p++) {
		bool vm = p >= o->n_ifaces, hit = false;
		const char *pat = vm ? o->vms[p - o->n_ifaces] : o->ifaces[p];

		for (size_t i = 0; i < r->nall && !hit; i++)
			hit = vm ? r->all[i].vm[0] && !fnmatch(pat, r->all[i].vm, 0)
				 : !fnmatch(pat, r->all[i].name, 0);
		if (hit)
			continue;
		unmatched = true;
		no_match(r, vm ? "--vm " : "", pat, msg, sizeof(msg));
		if (waiting)
			pr_warn("%s; waiting for it (a guest that starts makes its tap)\n", msg);
		else
			pr_warn("warning: %s; watching for it to appear\n", msg);
	}
	*dynamic = !o->n_ifaces || o->n_vms || unmatched;
	for (int p = 0; p < o->n_ifaces && !*dynamic; p++)
		*dynamic = !live_pattern_is_name(o->ifaces[p]);
	lv->dynamic = *dynamic;
	return 0;
}

/* Room for the link messages of many guests starting at once (each tap
 * makes three or four); root may go past net.core.rmem_max. */
#define LINK_RCVBUF (4 << 20)

int live_ready(struct runner *r, bool dynamic)
{
	r->by_name = r->live->npat > 0;
	r->live->all_cap = r->nall;
	r->live->sel_cap = r->nsel;
	r->gone = calloc(r->nsel ? r->nsel : 1, 1);
	return r->gone ? 0 : -ENOMEM;
}

void live_close(struct runner *r)
{
	live__free(r->live);
	r->live = NULL;
}

/* ---- events ------------------------------------------------------------------ */

/* Say an interface event: a sentence on stderr, and a JSON line on stdout
 * in --json mode, where a reader of the stream looks. */
static void iface_event(struct runner *r, const char *event, const struct vno_iface *it,
			__u32 old_ifindex)
{
	bool dyn = r->live->dynamic;

	if (r->pipe.o.json) {
		FILE *out = r->pipe.o.out ? r->pipe.o.out : stdout;
		struct jw w;

		jw_init(&w, out);
		jw_object(&w);
		jw_kstr(&w, "type", "iface");
		jw_kstr(&w, "event", event);
		jw_kstr(&w, "name", it->name);
		jw_ku64(&w, "netns", it->netns);
		jw_ku64(&w, "ifindex", it->ifindex);
		if (old_ifindex)
			jw_ku64(&w, "old_ifindex", old_ifindex);
		jw_kstr(&w, "driver", it->driver);
		if (it->vm[0])
			jw_kstr(&w, "vm", it->vm);
		else
			jw_knull(&w, "vm");
		jw_end(&w);
		fflush(out);
	}
	/* Every interface of a host coming and going is news only at -v
	 * when none was asked for by name. */
	if (!strcmp(event, "gone") && !dyn)
		pr_warn("%s: the interface is gone (ifindex %u); waiting for it to come back\n",
			it->name, it->ifindex);
	else if (!strcmp(event, "back") && !dyn)
		pr_warn("%s: the interface is back (ifindex %u, was %u); watching it again\n",
			it->name, it->ifindex, old_ifindex);
	else if (r->by_name || r->live->nvm)
		pr_warn("%s: %s (ifindex %u, %s%s%s)%s\n", it->name,
			!strcmp(event, "gone") ? "the interface is gone"
			: !strcmp(event, "back") ? "the interface is back" : "a new interface",
			it->ifindex, it->driver[0] ? it->driver : "?", it->vm[0] ? ", VM " : "",
			it->vm, strcmp(event, "gone") ? "; watching it" : "");
	else
		pr_info("%s: %s (ifindex %u)\n", it->name,
			!strcmp(event, "gone") ? "gone" : "a new interface", it->ifindex);
}

/* The pipeline and the diagnosis see the list as it is now. */
static void ifaces_changed(struct runner *r)
{
	r->set_gen++;
	r->pipe.ifaces = r->all;
	r->pipe.n_ifaces = r->nall;
	if (r->pipe.diag && diag__set_ifaces(r->pipe.diag, r->all, r->nall))
		pr_warn("warning: out of memory: the diagnosis does not know the interfaces "
			"that changed\n");
}

static bool seen(const struct live *lv, const char *name)
{
	for (size_t i = 0; i < lv->nseen; i++)
		if (!strncmp(lv->seen[i], name, VNO_IFNAMSIZ))
			return true;
	return false;
}

static void remember(struct live *lv, const char *name)
{
	void *p;

	if (seen(lv, name) || lv->nseen >= SEEN_MAX)
		return;
	p = array_grow(lv->seen, &lv->seen_cap, lv->nseen + 1, sizeof(*lv->seen));
	if (!p)
		return;
	lv->seen = p;
	snprintf(lv->seen[lv->nseen++], VNO_IFNAMSIZ, "%s", name);
}

static void purge_later(struct live *lv, __u32 netns, __u32 ifindex)
{
	void *p;

	p = array_grow(lv->purge, &lv->purge_cap, lv->npurge + 1, sizeof(*lv->purge));
	if (!p)
		return;
	lv->purge = p;
	lv->purge[lv->npurge++] = (struct purge){ netns, ifindex, mono_now_ns() + PURGE_AGAIN_NS };
}

/* ---- the dynamic set ------------------------------------------------------------ */

static void removed(struct runner *r, __u32 ifindex)
{
	struct live *lv = r->live;
	struct vno_iface was = {};
	bool watched = false;

	live_lock(r);
	for (size_t i = 0; i < r->nsel; i++) {
		if (r->sel[i].ifindex != ifindex)
			continue;
		was = r->sel[i];
		watched = true;
		/* A hole, reused by the next one: export keeps per-position state. */
		memset(&r->sel[i], 0, sizeof(r->sel[i]));
		r->gone[i] = 0;
		break;
	}
	if (watched) {
		int ret = loader_iface_remove(r->l, was.netns, ifindex);

		if (ret)
			pr_debug("%s: taking it out of the watched table: %s\n", was.name,
				 strerror(-ret));
		purge_later(lv, was.netns, ifindex);
		remember(lv, was.name);
	}
	for (size_t i = 0; i < r->nall; i++) {
		if (r->all[i].ifindex != ifindex)
			continue;
		memmove(&r->all[i], &r->all[i + 1], (r->nall - i - 1) * sizeof(*r->all));
		r->nall--;
		ifaces_changed(r);
		break;
	}
	live_unlock(r);
	if (watched)
		iface_event(r, "gone", &was, 0);
}

/* A tap's link message comes while its VMM's TUNSETIFF registers it, a
 * moment before the descriptor is attached (tun_attach) and shows the
 * tap: its holder is looked for again a few times, 2 ms apart. */
static void holder_wait(struct vno_iface *it)
{
	for (int i = 0; i < 5 && !it->vm_pid && !strcmp(it->driver, "tun"); i++) {
		usleep(2000);
		ifaces_learn_vm(it);
	}
}

static void added(struct runner *r, const struct vno_iface *fresh)
{
	struct live *lv = r->live;
	struct vno_iface t = *fresh, *it = &t;
	bool take;
	size_t pos = r->nsel;
	void *p;
	int ret = 0;

	holder_wait(it);
	take = live_match(lv, it->name, it->vm);
	live_lock(r);
	p = array_grow(r->all, &lv->all_cap, r->nall + 1, sizeof(*r->all));
	if (!p)
		goto nomem;
	r->all = p;
	r->all[r->nall++] = *it;
	ifaces_changed(r);
	if (take) {
		for (size_t i = 0; i < r->nsel; i++)
			if (!r->sel[i].ifindex) {
				pos = i;
				break;
			}
		if (pos == r->nsel) {
			size_t cap = lv->sel_cap;
			unsigned char *g;

			p = array_grow(r->sel, &cap, r->nsel + 1, sizeof(*r->sel));
			if (!p)
				goto nomem;
			r->sel = p;
			g = realloc(r->gone, cap);
			if (!g)
				goto nomem;
			r->gone = g;
			lv->sel_cap = cap;
			r->nsel++;
		}
		r->sel[pos] = *it;
		r->gone[pos] = 0;
		ret = loader_iface_add(r->l, it);
	}
	live_unlock(r);
	if (!take)
		return;
	iface_event(r, seen(lv, it->name) ? "back" : "new", it, 0);
	if (ret)
		pr_warn("warning: %s: watching it failed in part: %s\n", it->name, strerror(-ret));
	return;
nomem:
	live_unlock(r);
	pr_warn("warning: %s: out of memory; the interface is not watched\n", it->name);
}

/* ---- the fixed set: names followed across deletion ------------------------------ */

/* An interface named with -i came back: the new ifindex (and what else
 * changed) in the old one's place everywhere. The lists are updated in
 * place, not replaced: export's HTTP thread reads them while it serves. */
static void iface_back(struct runner *r, size_t i, __u32 new_ifindex)
{
	struct vno_iface *it = &r->sel[i], fresh;
	__u32 old = it->ifindex;
	int ret;

	if (ifaces_get(new_ifindex, &fresh) || strcmp(fresh.name, it->name)) {
		fresh = *it;
		fresh.ifindex = new_ifindex;
	}
	/* Its carrier is learnt from its own link messages, which come from
	 * its creation on: the link coming up is not a carrier loss. */
	fresh.up = 0;
	live_lock(r);
	for (size_t j = 0; j < r->nall; j++)
		if (r->all[j].ifindex == old && !strcmp(r->all[j].name, it->name))
			r->all[j] = fresh;
	*it = fresh;
	ifaces_changed(r);
	ret = loader_iface_moved(r->l, it->netns, old, it->ifindex);
	r->gone[i] = 0;
	live_unlock(r);
	iface_event(r, "back", it, old);
	if (ret)
		pr_warn("warning: %s: watching its new ifindex failed in part: %s\n", it->name,
			strerror(-ret));
}

static void fixed_link(struct runner *r, const struct carrier_link *ev)
{
	if (!r->by_name || !r->gone)
		return;
	for (size_t i = 0; i < r->nsel; i++) {
		if (ev->gone && !r->gone[i] && r->sel[i].ifindex == ev->ifindex) {
			r->gone[i] = 1;
			r->set_gen++;
			iface_event(r, "gone", &r->sel[i], 0);
			return;
		}
		if (!ev->gone && r->gone[i] && ev->name[0] && !strcmp(r->sel[i].name, ev->name)) {
			iface_back(r, i, ev->ifindex);
			return;
		}
	}
}

/* ---- link messages ----------------------------------------------------------------- */

/* A tap whose VMM had not opened it yet when it appeared: named now. */
static void learn_vm_late(struct runner *r, struct vno_iface *known)
{
	struct vno_iface t = *known;

	if (known->vm[0] || !ifaces_learn_vm(&t) || !t.vm[0])
		return;
	live_lock(r);
	snprintf(known->vm, sizeof(known->vm), "%s", t.vm);
	known->vm_pid = t.vm_pid;
	for (size_t i = 0; i < r->nsel; i++)
		if (r->sel[i].ifindex == known->ifindex) {
			snprintf(r->sel[i].vm, sizeof(r->sel[i].vm), "%s", t.vm);
			r->sel[i].vm_pid = t.vm_pid;
		}
	ifaces_changed(r);
	live_unlock(r);
	/* --vm: the VM is what chooses it. */
	if (r->live->nvm && !ifaces_find(r->sel, r->nsel, known->netns, known->ifindex) &&
	    live_match(r->live, t.name, t.vm)) {
		__u32 ifindex = known->ifindex;

		removed(r, ifindex);
		added(r, &t);
	}
}

int live_on_link(const struct carrier_link *ev, void *ctx)
{
	struct runner *r = ctx;
	struct vno_iface *known, fresh;

	if (!r->live)
		return 0;
	if (!r->live->dynamic) {
		fixed_link(r, ev);
		return 0;
	}
	if (ev->gone) {
		removed(r, ev->ifindex);
		return 0;
	}
	known = (struct vno_iface *)ifaces_find(r->all, r->nall, r->netns, ev->ifindex);
	if (known && ev->name[0] && strcmp(known->name, ev->name)) {
		/* Renamed: said as gone under the old name, new under the new
		 * one (the -i patterns may choose differently). */
		removed(r, ev->ifindex);
		known = NULL;
	}
	if (known) {
		learn_vm_late(r, known);
		return 0;
	}
	if (ifaces_get(ev->ifindex, &fresh))
		return 0; /* gone again already: its DELLINK follows */
	added(r, &fresh);
	return 0;
}

/* Link messages were lost (the socket's buffer overflowed): the list is
 * compared with the kernel's. */
static void resync(struct runner *r)
{
	struct vno_iface *now = NULL;
	size_t n = 0;

	if (ifaces_list(&now, &n))
		return;
	for (size_t i = r->nall; i-- > 0;) {
		const struct vno_iface *k = ifaces_find(now, n, r->netns, r->all[i].ifindex);

		if (!k || strcmp(k->name, r->all[i].name))
			removed(r, r->all[i].ifindex);
	}
	for (size_t i = 0; i < n; i++)
		if (!ifaces_find(r->all, r->nall, r->netns, now[i].ifindex))
			added(r, &now[i]);
	free(now);
}

void live_tick(struct runner *r, bool lost)
{
	struct live *lv = r->live;
	__u64 now;
	size_t k = 0;

	if (!lv || !lv->dynamic)
		return;
	if (!lv->rcvbuf) {
		int fd = carrier_watch__fd(r->cw), sz = LINK_RCVBUF;

		lv->rcvbuf = true;
		if (fd >= 0 && setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)))
			setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	}
	if (lost) {
		int fd = carrier_watch__fd(r->cw);
		char buf[16384];

		/* Emptied first: the kernel reports only the first message it
		 * drops while the queue stays full (NETLINK_S_CONGESTED is
		 * cleared when it empties), so one dropped during the listing
		 * would go unsaid. What was queued is older than the listing. */
		pr_info("link messages were lost: listing the interfaces again\n");
		while (fd >= 0 && recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
			;
		resync(r);
	}
	if (!lv->npurge)
		return;
	now = mono_now_ns();
	for (size_t i = 0; i < lv->npurge; i++) {
		if (lv->purge[i].at > now) {
			lv->purge[k++] = lv->purge[i];
			continue;
		}
		/* Unless the ifindex is watched again meanwhile. */
		if (!ifaces_find(r->sel, r->nsel, lv->purge[i].netns, lv->purge[i].ifindex)) {
			live_lock(r);
			loader_iface_purge(r->l, lv->purge[i].netns, lv->purge[i].ifindex);
			live_unlock(r);
		}
	}
	lv->npurge = k;
}
