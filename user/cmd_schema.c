// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* vnoffload-trace schema: the JSON Schema of every --json line, as built in. */
#include <getopt.h>
#include <stdio.h>
#include "cmds.h"

/*
 * doc/vnoffload-trace.schema.json, embedded as it is (the Makefile makes this
 * object depend on it; the path is relative to the top of the tree, where make
 * runs the compiler). One file is both the document and what the binary
 * prints, so the two cannot drift apart.
 */
__asm__(".section .rodata\n"
	".global vno_schema_json\n"
	".type vno_schema_json, @object\n"
	"vno_schema_json:\n"
	".incbin \"doc/vnoffload-trace.schema.json\"\n"
	".global vno_schema_json_end\n"
	"vno_schema_json_end:\n"
	".byte 0\n"
	".previous\n");

extern const char vno_schema_json[], vno_schema_json_end[];

const char *schema_text(size_t *len)
{
	if (len)
		*len = (size_t)(vno_schema_json_end - vno_schema_json);
	return vno_schema_json;
}

static void usage(FILE *out)
{
	fprintf(out, "usage: vnoffload-trace schema [--json]\n"
		     "  the JSON Schema (draft 2020-12) of every line --json prints: ready,\n"
		     "  frame, hang, summary, iface, kmsg, hang_capture, capture, doctor,\n"
		     "  confirm, replay and\n"
		     "  {\"error\": ...}; --json changes nothing (it is JSON already)\n");
}

int do_schema(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	size_t len;
	const char *s = schema_text(&len);
	int c;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (c == 'j') {
			g_opts.json = true;
		} else if (c == 'h') {
			usage(stdout);
			return 0;
		} else {
			cmd_error("unknown option %s; usage: vnoffload-trace schema [--json]",
				  argv[optind - 1]);
			return 2;
		}
	}
	if (optind < argc) {
		cmd_error("schema takes no arguments; usage: vnoffload-trace schema [--json]");
		return 2;
	}
	if (fwrite(s, 1, len, stdout) != len || fflush(stdout)) {
		cmd_error("writing the schema: %m");
		return 1;
	}
	return 0;
}
