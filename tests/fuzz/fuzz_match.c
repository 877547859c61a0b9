// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer target for the -m grammar (user/filter.c, vno_match_parse):
 * a command-line argument is whatever a person typed. A refusal must be
 * one terminated sentence naming a column inside the input; an accepted
 * predicate must hold a known field and operator, at most VNO_MATCH_VALS
 * terminated values, and evaluate on a frame without a fault.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "filter.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vno_event ev = { 0 };
	struct vno_iface dev = { .name = "tap0", .vm = "guest1" };
	struct vno_match m;
	char *s, err[512], *col;
	long c;

	s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	err[0] = '\0';
	if (vno_match_parse(s, &m, err, sizeof(err))) {
		/* The last one: the input is quoted before it and may hold the words. */
		for (col = strstr(err, " at column "); col && strstr(col + 1, " at column ");)
			col = strstr(col + 1, " at column ");
		if (strnlen(err, sizeof(err)) == sizeof(err) || !col)
			abort();
		c = strtol(col + 11, NULL, 10);
		if (c < 1 || (size_t)c > strlen(s) + 1)
			abort();
	} else {
		if (m.field > VNO_MF_ANOMALY || m.op > VNO_MO_ANY || m.n > VNO_MATCH_VALS)
			abort();
		for (unsigned i = 0; i < m.n; i++)
			if (strnlen(m.str[i], sizeof(m.str[i])) == sizeof(m.str[i]))
				abort();
		ev.f.gso_size = size;
		ev.f.hop = VNO_HOP_XMIT;
		memcpy(ev.f.dev, "tap0", 4);
		vno_match_eval(&m, &ev, &dev, size);
		vno_match_eval(&m, &ev, NULL, 0);
	}
	free(s);
	return 0;
}
