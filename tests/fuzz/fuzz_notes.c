// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer target for the parsers of a capture's notes: the drop-reason
 * table (probe.c, drop_reasons_from_json), the flat-JSON field readers the
 * hang and summary notes go through (json.c, json_get_*), the
 * offload_change note (offchange.c), and the session
 * metadata (capture_meta.c) in a capture built around the input. Each must
 * refuse what it cannot read without leaking, and what it accepts must be
 * sound: names and fields terminated, numbers in range.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "craft.h"
#include "json.h"
#include "offchange.h"
#include "probe.h"

static const char *const keys[] = {
	"dev", "detail", "source", "netns", "ifindex", "queue", "ts_ns",
	"lost_events", "unmatched_completions", "duration_s", "x",
};

static void fields(const char *s)
{
	char buf[256], one[1];
	long long v;

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		json_get_i64(s, keys[i], &v);
		buf[0] = 'X';
		if (json_get_str(s, keys[i], buf, sizeof(buf)) != -ENOENT &&
		    strnlen(buf, sizeof(buf)) == sizeof(buf))
			abort();
		json_get_str(s, keys[i], one, sizeof(one));
	}
}

static void reasons(const char *s)
{
	const char *n;

	if (drop_reasons_from_json(s) == 0) {
		/* The table in use: every name terminated and short. */
		for (unsigned r = 0; r < 4096; r++)
			if ((n = vno_drop_reason_name(r)) && strlen(n) > 63)
				abort();
		if (vno_drop_reason_name(4096))
			abort();
	}
	drop_reasons_free();
}

static void offload_change(const char *s, size_t n)
{
	struct offload_change oc;

	if (offload_change_from_json(s, n, &oc))
		return;
	/* Accepted: a device, its changes counted within the array, every
	 * name terminated. */
	if (!oc.dev[0] || !oc.n || oc.n > OFFLOAD_CHANGE_MAX ||
	    strnlen(oc.dev, sizeof(oc.dev)) == sizeof(oc.dev) ||
	    strnlen(oc.driver, sizeof(oc.driver)) == sizeof(oc.driver) ||
	    strnlen(oc.vm, sizeof(oc.vm)) == sizeof(oc.vm))
		abort();
	for (unsigned i = 0; i < oc.n; i++)
		if (!oc.c[i].name[0] || strnlen(oc.c[i].name, sizeof(oc.c[i].name)) ==
						sizeof(oc.c[i].name))
			abort();
}

static void session(const uint8_t *d, size_t n)
{
	static int fd = -1;
	static struct craft c;
	struct vno_session s = { 0 };
	struct capture_stats st;

	if (fd < 0 && (fd = memfd_create("fuzz_notes", MFD_CLOEXEC)) < 0)
		abort();
	c.len = 0;
	cr_header(&c);
	cr_custom(&c, "session", d, n);
	cr_note(&c, "end", "{}");
	if (ftruncate(fd, 0) || pwrite(fd, c.p, c.len, 0) != (ssize_t)c.len)
		abort();
	lseek(fd, 0, SEEK_SET);
	capture_read_fd(fd, &s, NULL, NULL, NULL, &st);
	if (strnlen(s.kernel, sizeof(s.kernel)) == sizeof(s.kernel) ||
	    strnlen(s.tool, sizeof(s.tool)) == sizeof(s.tool) ||
	    strnlen(s.cmdline, sizeof(s.cmdline)) == sizeof(s.cmdline))
		abort();
	for (int h = 0; h < VNO_HOP__MAX; h++)
		if (strnlen(s.hooks[h], VNO_HOOK_LEN) == VNO_HOOK_LEN)
			abort();
	for (size_t i = 0; i < s.n_ifaces; i++)
		if (strnlen(s.ifaces[i].name, sizeof(s.ifaces[i].name)) == sizeof(s.ifaces[i].name) ||
		    strnlen(s.ifaces[i].driver, sizeof(s.ifaces[i].driver)) ==
			    sizeof(s.ifaces[i].driver))
			abort();
	session_free(&s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	reasons(s);
	fields(s);
	if (!memchr(data, 0, size))
		offload_change(s, size);
	session(data, size);
	free(s);
	return 0;
}
