// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* An offload_change (offchange.h): its JSON line, its terminal line, and
 * the capture note read back. */
#include <errno.h>
#include <string.h>
#include <json-c/json.h>
#include "json.h"
#include "json_writer.h"
#include "offchange.h"
#include "print.h"

void offload_change_json(FILE *out, const struct offload_change *oc)
{
	struct jw w;

	jw_init(&w, out);
	jw_object(&w);
	jw_kstr(&w, "type", "offload_change");
	jw_ku64(&w, "ts_ns", oc->ts_ns);
	jw_kstr(&w, "dev", oc->dev);
	jw_ku64(&w, "ifindex", oc->ifindex);
	jw_ku64(&w, "netns", oc->netns);
	if (oc->driver[0])
		jw_kstr(&w, "driver", oc->driver);
	else
		jw_knull(&w, "driver");
	if (oc->vm[0])
		jw_kstr(&w, "vm", oc->vm);
	else
		jw_knull(&w, "vm");
	jw_karray(&w, "changed");
	for (unsigned i = 0; i < oc->n && i < OFFLOAD_CHANGE_MAX; i++) {
		jw_object(&w);
		jw_kstr(&w, "feature", oc->c[i].name);
		jw_kbool(&w, "from", oc->c[i].from);
		jw_kbool(&w, "to", oc->c[i].to);
		jw_end(&w);
	}
	jw_end(&w);
	jw_end(&w);
}

void offload_change_print(FILE *out, const struct offload_change *oc)
{
	char dev[TERM_STR_LEN(VNO_IFNAMSIZ)], drv[TERM_STR_LEN(32)], vm[TERM_STR_LEN(64)];
	char name[TERM_STR_LEN(VNO_FEATURE_NAME_LEN)];
	fprintf(out, "OFFLOAD %s (%s%s%s) at %.6f s:", term_str(dev, sizeof(dev), oc->dev),
		oc->driver[0] ? term_str(drv, sizeof(drv), oc->driver) : "?",
		oc->vm[0] ? ", vm " : "", oc->vm[0] ? term_str(vm, sizeof(vm), oc->vm) : "", oc->ts_ns / 1e9);
	for (unsigned i = 0; i < oc->n && i < OFFLOAD_CHANGE_MAX; i++)
		fprintf(out, "%s %s %s -> %s", i ? "," : "",
			term_str(name, sizeof(name), oc->c[i].name), oc->c[i].from ? "on" : "off",
			oc->c[i].to ? "on" : "off");
	fputc('\n', out);
}

/* Ours are at most ~64 small objects; a crafted note gets no further. */
#define CHANGE_WEIGHT_MAX 4096

int offload_change_from_json(const char *json, size_t len, struct offload_change *oc)
{
	struct json_object *root = json_parse(json, len, CHANGE_WEIGHT_MAX, NULL), *v, *list;
	long long num;
	int ret = -EINVAL;

	memset(oc, 0, sizeof(*oc));
	if (!root)
		return -EINVAL;
	if (json_val_str(json_member(root, "dev"), oc->dev, sizeof(oc->dev)) || !oc->dev[0])
		goto out;
	if ((v = json_member(root, "driver")))
		json_val_str(v, oc->driver, sizeof(oc->driver));
	if ((v = json_member(root, "vm")))
		json_val_str(v, oc->vm, sizeof(oc->vm));
	if (!json_val_i64(json_member(root, "ts_ns"), &num) && num >= 0)
		oc->ts_ns = num;
	json_val_u32(json_member(root, "ifindex"), &oc->ifindex);
	json_val_u32(json_member(root, "netns"), &oc->netns);
	list = json_member(root, "changed");
	if (!list || !json_object_is_type(list, json_type_array))
		goto out;
	for (size_t i = 0; i < json_object_array_length(list) && oc->n < OFFLOAD_CHANGE_MAX; i++) {
		struct json_object *c = json_object_array_get_idx(list, i);
		struct vno_feature_change *fc = &oc->c[oc->n];

		if (json_val_str(json_member(c, "feature"), fc->name, sizeof(fc->name)) ||
		    !fc->name[0] || json_val_bool(json_member(c, "from"), &fc->from) ||
		    json_val_bool(json_member(c, "to"), &fc->to))
			continue;
		oc->n++;
	}
	ret = oc->n ? 0 : -EINVAL;
out:
	json_object_put(root);
	return ret;
}
