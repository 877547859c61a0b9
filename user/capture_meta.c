// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The session metadata block's JSON, written and read (capture_meta.h). */
#include <errno.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture_meta.h"
#include "decode.h"
#include "json.h"
#include "json_writer.h"

/* ---- JSON output --------------------------------------------------------- */

static const char *ol_state(signed char v)
{
	return v == VNO_OFF_ON ? "on" : v == VNO_OFF_OFF ? "off" : "unknown";
}

/* A string of a fixed-size field, which may fill it without a NUL. */
static void jw_kfield(struct jw *w, const char *key, const char *field, size_t size)
{
	char s[VNO_HOOK_LEN + 1]; /* the longest field */

	snprintf(s, sizeof(s), "%.*s", (int)strnlen(field, size), field);
	jw_kstr(w, key, s);
}

void capture_meta_json(struct pbuf *b, const struct capture_meta *m)
{
	const struct vno_session *s = m->s;
	char *text = NULL;
	size_t len = 0;
	struct jw w;
	FILE *f;

	f = open_memstream(&text, &len);
	if (!f) {
		b->err = -ENOMEM;
		return;
	}
	jw_init_inline(&w, f);
	jw_object(&w);
	jw_kstr(&w, "tool", m->tool);
	jw_kstr(&w, "kernel", m->kernel);
	jw_kstr(&w, "machine", m->machine);
	jw_kstr(&w, "cmdline", m->cmdline);
	if (s && s->filter[0])
		jw_kstr(&w, "filter", s->filter);
	jw_ku64(&w, "snaplen", m->snaplen);
	jw_ki64(&w, "mono_to_real_ns", m->mono_to_real_ns);
	jw_kobject(&w, "hooks");
	for (unsigned h = 0; s && h < VNO_HOP__MAX; h++)
		if (s->hooks[h][0])
			jw_kfield(&w, vno_hop_name(h), s->hooks[h], sizeof(s->hooks[h]));
	jw_end(&w);
	jw_karray(&w, "interfaces");
	for (size_t i = 0; i < m->n_ifaces; i++) {
		const struct vno_iface *it = &m->ifaces[i];

		jw_object(&w);
		jw_kfield(&w, "name", it->name, sizeof(it->name));
		jw_ku64(&w, "netns", it->netns);
		jw_ku64(&w, "ifindex", it->ifindex);
		jw_kfield(&w, "driver", it->driver, sizeof(it->driver));
		jw_ku64(&w, "mtu", it->mtu);
		jw_kbool(&w, "up", it->up);
		jw_ku64(&w, "gso_max_size", it->gso_max_size);
		jw_ku64(&w, "gso_max_segs", it->gso_max_segs);
		jw_ku64(&w, "tso_max_size", it->tso_max_size);
		jw_ku64(&w, "tso_max_segs", it->tso_max_segs);
		/* Its bridge or bond, and a VLAN's lower device: report
		 * shows the path a guest's frames take from them. */
		if (it->master)
			jw_ku64(&w, "master", it->master);
		if (it->link && it->link != it->ifindex)
			jw_ku64(&w, "link", it->link);
		jw_kobject(&w, "offloads");
		for (int ol = 0; ol < VNO_OL__MAX; ol++)
			jw_kstr(&w, vno_offload_name(ol), ol_state(it->offload[ol]));
		jw_end(&w);
		jw_end(&w);
	}
	jw_end(&w);
	jw_end(&w);
	if (ferror(f) | fclose(f))
		b->err = -ENOMEM;
	else
		put(b, text, len);
	free(text);
}

/* ---- JSON input ------------------------------------------------------------ */

/* Weight per interface allowed for: 4096 of them as written today (about
 * 50 each) read back with room to spare. */
#define META_WEIGHT_MAX ((size_t)IFACES_MAX * 128)

struct meta_err {
	char *why;
	size_t len;
};

static int bad(struct meta_err *e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(e->why, e->len, fmt, ap);
	va_end(ap);
	return -EPROTO;
}

/* A string member into @buf (NULL: checked only). */
static int meta_str(struct json_object *o, const char *key, char *buf, size_t len,
		    struct meta_err *e)
{
	struct json_object *v = json_member(o, key);
	char scratch[2];

	if (v && json_val_str(v, buf ? buf : scratch, buf ? len : sizeof(scratch)))
		return bad(e, "\"%s\" is not a string", key);
	return 0;
}

static int meta_iface(struct json_object *o, struct vno_iface *it, size_t i,
		      struct meta_err *e)
{
	static const struct {
		const char *key;
		size_t off;
	} nums[] = {
		{ "netns", offsetof(struct vno_iface, netns) },
		{ "ifindex", offsetof(struct vno_iface, ifindex) },
		{ "mtu", offsetof(struct vno_iface, mtu) },
		{ "gso_max_size", offsetof(struct vno_iface, gso_max_size) },
		{ "gso_max_segs", offsetof(struct vno_iface, gso_max_segs) },
		{ "tso_max_size", offsetof(struct vno_iface, tso_max_size) },
		{ "tso_max_segs", offsetof(struct vno_iface, tso_max_segs) },
		{ "master", offsetof(struct vno_iface, master) },
		{ "link", offsetof(struct vno_iface, link) },
	};
	struct json_object *v, *offl;
	char state[16];
	bool up;

	memset(it, 0, sizeof(*it));
	memset(it->offload, VNO_OFF_UNKNOWN, sizeof(it->offload));
	if (!json_object_is_type(o, json_type_object))
		return bad(e, "interface %zu is not an object", i);
	if (meta_str(o, "name", it->name, sizeof(it->name), e) ||
	    meta_str(o, "driver", it->driver, sizeof(it->driver), e))
		return -EPROTO;
	for (size_t k = 0; k < sizeof(nums) / sizeof(nums[0]); k++) {
		v = json_member(o, nums[k].key);
		if (v && json_val_u32(v, (uint32_t *)((char *)it + nums[k].off)))
			return bad(e, "\"%s\" of interface %zu is not a number from 0 to %u",
				   nums[k].key, i, UINT32_MAX);
	}
	if ((v = json_member(o, "up"))) {
		if (json_val_bool(v, &up))
			return bad(e, "\"up\" of interface %zu is not true or false", i);
		it->up = up;
	}
	if (!(offl = json_member(o, "offloads")))
		return 0;
	if (!json_object_is_type(offl, json_type_object))
		return bad(e, "\"offloads\" of interface %zu is not an object", i);
	for (int ol = 0; ol < VNO_OL__MAX; ol++) {
		if (!(v = json_member(offl, vno_offload_name(ol))))
			continue;
		if (json_val_str(v, state, sizeof(state)))
			return bad(e, "offload \"%s\" of interface %zu is not a string",
				   vno_offload_name(ol), i);
		it->offload[ol] = !strcmp(state, "on")    ? VNO_OFF_ON
				  : !strcmp(state, "off") ? VNO_OFF_OFF
							  : VNO_OFF_UNKNOWN;
	}
	return 0;
}

static int meta_read(struct json_object *root, struct vno_session *s, struct capture_stats *st,
		     struct vno_iface **ifs, size_t *n, struct meta_err *e)
{
	struct json_object *v, *hooks, *list;
	long long x;
	int hop;

	if (!json_object_is_type(root, json_type_object))
		return bad(e, "it is not an object");
	if (meta_str(root, "kernel", s ? s->kernel : NULL, sizeof(s->kernel), e) ||
	    meta_str(root, "tool", s ? s->tool : NULL, sizeof(s->tool), e) ||
	    meta_str(root, "cmdline", s ? s->cmdline : NULL, sizeof(s->cmdline), e) ||
	    meta_str(root, "filter", s ? s->filter : NULL, sizeof(s->filter), e))
		return -EPROTO;
	if ((v = json_member(root, "snaplen"))) {
		if (json_val_i64(v, &x))
			return bad(e, "\"snaplen\" is not a number");
		st->snaplen = x < 0 || x > UINT32_MAX ? 0 : (unsigned)x;
	}
	if ((v = json_member(root, "mono_to_real_ns"))) {
		if (json_val_i64(v, &x))
			return bad(e, "\"mono_to_real_ns\" is not a number");
		st->mono_to_real_ns = x;
	}
	if ((hooks = json_member(root, "hooks"))) {
		if (!json_object_is_type(hooks, json_type_object))
			return bad(e, "\"hooks\" is not an object");
		json_object_object_foreach(hooks, key, hv) {
			hop = vno_hop_parse(key);
			if (hop < 0 || !s)
				continue;
			if (json_val_str(hv, s->hooks[hop], sizeof(s->hooks[hop])))
				return bad(e, "hook \"%s\" is not a string", vno_hop_name(hop));
		}
	}
	if (!(list = json_member(root, "interfaces")))
		return 0;
	if (!json_object_is_type(list, json_type_array))
		return bad(e, "\"interfaces\" is not an array");
	*n = json_object_array_length(list);
	if (*n > IFACES_MAX)
		return -E2BIG;
	if (*n && !(*ifs = calloc(*n, sizeof(**ifs))))
		return -ENOMEM;
	for (size_t i = 0; i < *n; i++)
		if (meta_iface(json_object_array_get_idx(list, i), &(*ifs)[i], i, e))
			return -EPROTO;
	return 0;
}

int capture_meta_parse(const char *data, size_t len, struct vno_session *s,
		       struct capture_stats *st, size_t *at, char *why, size_t why_len)
{
	struct meta_err e = { .why = why, .len = why_len };
	struct vno_iface *ifs = NULL;
	struct json_object *root;
	size_t n = 0;
	int ret;

	root = json_parse(data, len, META_WEIGHT_MAX, at);
	if (!root)
		return errno == E2BIG ? -EFBIG : errno == ENOMEM ? -ENOMEM : -EINVAL;
	ret = meta_read(root, s, st, &ifs, &n, &e);
	json_object_put(root);
	if (ret) {
		free(ifs);
		return ret;
	}
	if (s) {
		free(s->ifaces);
		s->ifaces = ifs;
		s->n_ifaces = n;
	} else {
		free(ifs);
	}
	return 0;
}
