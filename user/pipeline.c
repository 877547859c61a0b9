// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <string.h>
#include "decode.h"
#include "json.h"
#include "pipeline.h"
#include "print.h"

int pipeline_init(struct pipeline *p, const struct pipeline_opts *o, const struct vno_session *s)
{
	memset(p, 0, sizeof(*p));
	p->o = *o;
	p->session = s;
	p->agg = agg__new();
	return p->agg ? 0 : -ENOMEM;
}

void pipeline_fini(struct pipeline *p)
{
	agg__free(p->agg);
	p->agg = NULL;
}

int pipeline_frame(struct pipeline *p, struct vno_event *ev, bool raw)
{
	if (raw)
		vno_decode(ev);
	if (!p->frames++)
		p->first_ts = ev->f.ts_ns;
	p->last_ts = ev->f.ts_ns;
	if (!p->o.t0_ns)
		p->o.t0_ns = ev->f.ts_ns;
	agg__add(p->agg, ev);
	if (p->o.quiet)
		return 0;
	if (p->o.json)
		json_frame(p->o.out, ev);
	else
		print_frame(p->o.out, ev, p->o.t0_ns);
	return 0;
}

void pipeline_summary(struct pipeline *p, __u64 lost, __u64 unmatched, double duration_s)
{
	if (p->o.json)
		agg_json(p->o.out, p->agg, lost, unmatched, duration_s);
	else
		agg_print(p->o.out, p->agg, lost, unmatched);
	fflush(p->o.out);
}
