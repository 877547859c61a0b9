// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer target for option parsing, called directly (nothing exits):
 * durations and sizes (util.c), --listen (export_parse_listen), the
 * options record and export share (run_opt), and whole command lines of
 * record and export (record_parse_args, export_parse_args). The input is
 * split at NUL bytes into arguments. Accepted values must be in range;
 * refused ones must come with a sentence.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmds.h"
#include "export.h"
#include "prom.h"
#include "record.h"
#include "run.h"

#define MAX_ARGS 32

static void one(char *s)
{
	static const int codes[] = { 'i', RUN_OPT_TC_MODE, RUN_OPT_ATTACH, RUN_OPT_STALL,
				     RUN_OPT_WINDOW, RUN_OPT_PATTERN, 'x' };
	unsigned long long v;
	struct run_opts ro;
	char host[64], err[512];
	unsigned port;
	int r;

	if (!parse_duration_ms(s, &v) && v > 1000000000000000ull)
		abort();
	if (!parse_size(s, &v) && v > (~0ull >> 2))
		abort();
	host[0] = 'X';
	if (!export_parse_listen(s, host, sizeof(host), &port) &&
	    (port > 65535 || strnlen(host, sizeof(host)) == sizeof(host)))
		abort();
	run_opts_init(&ro);
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		err[0] = '\0';
		r = run_opt(codes[i], s, &ro, err, sizeof(err));
		if (r < 0 && !err[0] && r != -ENOMEM)
			abort();
	}
	if (ro.window > 65536 || ro.stall_ms > 3600000)
		abort();
	run_opts_free(&ro);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1), *argv[MAX_ARGS + 2], err[512];
	struct record_opts ro;
	struct export_opts eo;
	int argc = 1;
	size_t i = 0;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	while (i <= size && argc <= MAX_ARGS) {
		argv[argc++] = buf + i;
		i += strlen(buf + i) + 1;
	}
	argv[argc] = NULL;
	for (int a = 1; a < argc; a++)
		one(argv[a]);

	argv[0] = (char *)"record";
	err[0] = '\0';
	if (record_parse_args(argc, argv, &ro, err, sizeof(err)) && !err[0])
		abort();
	record_opts_free(&ro);
	argv[0] = (char *)"export";
	err[0] = '\0';
	if (export_parse_args(argc, argv, &eo, err, sizeof(err)) && !err[0])
		abort();
	if (eo.port > 65535)
		abort();
	export_opts_free(&eo);
	free(buf);
	return 0;
}
