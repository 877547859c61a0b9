// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The ready line of record and export, and report's header (header.h). */
#include <sys/utsname.h>
#include "decode.h"
#include "header.h"
#include "json_writer.h"
#include "print.h"
#include "vno.h"

static void json_hooks(struct jw *w, const char (*hooks)[VNO_HOOK_LEN])
{
	jw_kobject(w, "hooks");
	for (int h = 0; h < VNO_HOP__MAX; h++)
		jw_kstr(w, vno_hop_name(h), hooks[h]);
	jw_end(w);
}

/* One line per hop that has a hook ("" is none, in a capture). */
static void print_hooks(FILE *out, const char (*hooks)[VNO_HOOK_LEN])
{
	char t[TERM_STR_LEN(VNO_HOOK_LEN)];

	for (int h = 0; h < VNO_HOP__MAX; h++)
		if (hooks[h][0])
			fprintf(out, "  %-10s %s\n", vno_hop_name(h), term_str(t, sizeof(t), hooks[h]));
}

static void json_ready(FILE *out, const struct header_ready *h, const char *kernel,
		       const char *url)
{
	const struct header_serve *sv = h->serve;
	struct jw w;

	jw_init(&w, out);
	jw_object(&w);
	jw_kstr(&w, "type", "ready");
	jw_kstr(&w, "version", VNO_VERSION);
	jw_kstr(&w, "kernel", kernel);
	if (sv) {
		jw_kstr(&w, "listen", sv->listen);
		jw_kstr(&w, "metrics", url);
		jw_kbool(&w, "tls", sv->tls);
		jw_kbool(&w, "basic_auth", sv->basic_auth);
	}
	jw_ku64(&w, "netns", h->netns);
	if (!sv)
		jw_kbool(&w, "all_frames", h->all_frames);
	if (h->filter) {
		jw_kobject(&w, "filter");
		jw_kstr(&w, "expr", vno_filter__expr(h->filter)); /* NULL: null */
		jw_karray(&w, "match");
		for (size_t i = 0; i < vno_filter__n_match(h->filter); i++)
			jw_str(&w, vno_filter__match_str(h->filter, i));
		jw_end(&w);
		jw_kstr(&w, "evaluated", h->filter_where ? h->filter_where : "user");
		jw_end(&w);
	} else {
		jw_knull(&w, "filter");
	}
	json_hooks(&w, h->hooks);
	jw_karray(&w, "interfaces");
	for (size_t i = 0; i < h->n_ifaces; i++) {
		const struct vno_iface *it = &h->ifaces[i];

		jw_object(&w);
		jw_kstr(&w, "name", it->name);
		jw_ku64(&w, "ifindex", it->ifindex);
		jw_ku64(&w, "netns", it->netns);
		jw_kstr(&w, "driver", it->driver);
		jw_ku64(&w, "mtu", it->mtu);
		jw_end(&w);
	}
	jw_end(&w);
	if (sv)
		jw_kstr(&w, "hang_dir", sv->hang_dir);	/* NULL: null */
	jw_end(&w);
}

void header_ready(FILE *out, bool json, const struct header_ready *h)
{
	const struct header_serve *sv = h->serve;
	char url[160] = "";
	struct utsname u;

	uname(&u);
	if (sv)
		snprintf(url, sizeof(url), "%s://%s/metrics", sv->tls ? "https" : "http",
			 sv->listen);
	if (json) {
		json_ready(out, h, u.release, url);
		fflush(out);
		return;
	}
	fprintf(out, "vnoffload-trace %s on %s: ", VNO_VERSION, u.release);
	if (sv)
		fprintf(out, "serving %s%s, ", url, sv->basic_auth ? " (basic authentication)" : "");
	fprintf(out, "watching");
	for (size_t i = 0; i < h->n_ifaces; i++)
		fprintf(out, "%s %s", i ? "," : "", h->ifaces[i].name);
	fprintf(out, "%s (netns %u)\n", h->any_iface ? " and any new interface" : "", h->netns);
	print_hooks(out, h->hooks);
	if (!sv)
		fprintf(out, "%s frames%s%s%s%s%s; Ctrl-C to stop\n",
			h->all_frames ? "all" : "offload-carrying", h->filter ? " kept by " : "",
			h->filter ? vno_filter__str(h->filter) : "",
			h->filter ? " (evaluated in " : "",
			h->filter ? vno_filter_where_text(h->filter_where) : "", h->filter ? ")" : "");
	else if (h->filter)
		fprintf(out, "flight-recorder frames diagnosed: those kept by %s (evaluated in "
			"%s)\n", vno_filter__str(h->filter), vno_filter_where_text(h->filter_where));
	fflush(out);
}

void header_capture(FILE *out, bool json, const char *file, const struct vno_session *s)
{
	char t[TERM_STR_LEN(sizeof(s->cmdline))];
	struct jw w;

	if (json) {
		jw_init(&w, out);
		jw_object(&w);
		jw_kstr(&w, "type", "capture");
		jw_kstr(&w, "file", file);
		jw_kstr(&w, "kernel", s->kernel);
		jw_kstr(&w, "tool", s->tool);
		jw_kstr(&w, "cmdline", s->cmdline);
		jw_kstr(&w, "filter", s->filter[0] ? s->filter : NULL);
		json_hooks(&w, s->hooks);
		jw_ku64(&w, "interfaces", s->n_ifaces);
		jw_end(&w);
		return;
	}
	/* One call per string: term_str() writes into the one buffer. */
	fprintf(out, "capture %s\n", term_str(t, sizeof(t), file));
	fprintf(out, "  recorded by %s", s->tool[0] ? term_str(t, sizeof(t), s->tool) : "?");
	fprintf(out, " on kernel %s\n", s->kernel[0] ? term_str(t, sizeof(t), s->kernel) : "?");
	fprintf(out, "  command: %s\n", s->cmdline[0] ? term_str(t, sizeof(t), s->cmdline) : "?");
	if (s->filter[0])
		fprintf(out, "  recorded with the filter %s\n", term_str(t, sizeof(t), s->filter));
	print_hooks(out, s->hooks);
}
