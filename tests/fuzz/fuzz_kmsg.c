// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer target for kernel-log lines (user/kmsg.c, kmsg_match): every
 * /dev/kmsg record is matched against the hang patterns, and a record is
 * whatever a driver printed. When the first byte is odd, the first line
 * is also added as a --hang-pattern (kmsg_add_pattern) before matching.
 * A hit must be sound: fields terminated, queue -1 or above, level -1..7,
 * a device that is watched when watching is asked for.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kmsg.h"

static const char *const watched[] = { "eno1", "tap0", "eth0", "vnet12" };

static void check(const struct kmsg_hit *h, bool watching)
{
	bool ok = false;

	if (strnlen(h->dev, sizeof(h->dev)) == sizeof(h->dev) ||
	    strnlen(h->pattern, sizeof(h->pattern)) == sizeof(h->pattern) ||
	    strnlen(h->msg, sizeof(h->msg)) == sizeof(h->msg) || h->queue < -1 || h->level < -1 ||
	    h->level > 7)
		abort();
	if (!watching)
		return;
	for (size_t i = 0; i < sizeof(watched) / sizeof(watched[0]); i++)
		ok |= !strcmp(h->dev, watched[i]);
	if (!ok)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s, *line, *next, err[256];
	struct kmsg_hit hit;
	bool pattern = size && (data[0] & 1);

	if (!size)
		return 0;
	s = malloc(size);
	if (!s)
		return 0;
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	line = s;
	if (pattern) {
		next = strchr(s, '\n');
		if (next)
			*next++ = '\0';
		/* Back-references make glibc's matcher exponential: a user's
		 * own pattern may be slow on their own machine, which is not
		 * what this target looks for. */
		if (strlen(s) <= 64 && !strchr(s, '\\'))
			kmsg_add_pattern(s, err, sizeof(err));
		line = next;
	}
	for (; line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (kmsg_match(line, NULL, 0, &hit) == 1)
			check(&hit, false);
		if (kmsg_match(line, watched, 4, &hit) == 1)
			check(&hit, true);
	}
	if (pattern)
		kmsg_patterns_free();
	free(s);
	return 0;
}
