// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* vnoffload-trace: global options, then a command (unique prefixes accepted). */
#include <stdio.h>
#include <string.h>
#include "cmds.h"
#include "log.h"

static const struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
} cmds[] = {
	{ "record", do_record, "watch super-frames per hop; summary at the end" },
	{ "report", do_report, "summary and hang diagnosis from a capture file (no root)" },
	{ "replay", do_replay, "write a capture's guest frames into a tap as the guest handed them" },
	{ "confirm", do_confirm, "test a suspect: the same watch with one offload off, then back on" },
	{ "export", do_export, "serve Prometheus metrics from in-kernel aggregates; hangs logged" },
	{ "doctor", do_doctor, "what this kernel allows, the hooks each hop uses, interfaces" },
	{ "schema", do_schema, "the JSON Schema of every line --json prints" },
	{ "help", do_help, "this text" },
	{},
};

/* `help` alone: the commands; `help COMMAND`: that command's --help. */
int do_help(int argc, char **argv)
{
	if (argc > 1) {
		for (const struct cmd *c = cmds; c->name; c++)
			if (c->fn != do_help && !strcmp(c->name, argv[1])) {
				char *args[] = { (char *)c->name, "--help", NULL };

				return c->fn(2, args);
			}
		cmd_error("help: no command '%s'; see vnoffload-trace help", argv[1]);
		return 2;
	}
	printf("usage: vnoffload-trace [-v]... [--json] COMMAND [OPTIONS]\n"
	       "       vnoffload-trace --version | --help | help COMMAND\n\n"
	       "  -v, --verbose  more log (repeatable; libbpf's own from -vv)\n"
	       "      --json     JSON lines (errors as {\"error\": ...}) in every command\n"
	       "      --version  the version\n"
	       "  -h, --help     this text\n\ncommands:\n");
	for (const struct cmd *c = cmds; c->name; c++)
		printf("  %-8s %s\n", c->name, c->help);
	printf("\n'vnoffload-trace help COMMAND' (or COMMAND --help) shows a command's options;\n"
	       "man vnoffload-trace-COMMAND has examples.\n");
	return 0;
}

int main(int argc, char **argv)
{
	const struct cmd *hit = NULL;
	size_t off = 0;
	int i, n = 0;

	g_opts.argv0 = argv[0];
	for (i = 0; i < argc && off < sizeof(g_opts.cmdline); i++)
		off += snprintf(g_opts.cmdline + off, sizeof(g_opts.cmdline) - off, "%s%s",
				i ? " " : "", argv[i]);
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--json")) {
			g_opts.json = true;
		} else if (!strcmp(argv[i], "--version")) {
			printf("vnoffload-trace %s\n", VNO_VERSION);
			return 0;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			return do_help(0, NULL);
		} else if (argv[i][1] == 'v' && strspn(argv[i] + 1, "v") == strlen(argv[i] + 1)) {
			g_opts.verbose += strlen(argv[i] + 1);
		} else if (!strcmp(argv[i], "--verbose")) {
			g_opts.verbose++;
		} else {
			cmd_error("unknown global option %s; see vnoffload-trace help", argv[i]);
			return 2;
		}
	}
	vno_log_level = g_opts.verbose;
	vno_log_setup_libbpf();
	if (i >= argc) {
		do_help(0, NULL);
		return 2;
	}
	for (const struct cmd *c = cmds; c->name; c++) {
		if (!strcmp(c->name, argv[i])) {
			hit = c;
			n = 1;
			break;
		}
		if (!strncmp(c->name, argv[i], strlen(argv[i]))) {
			hit = c;
			n++;
		}
	}
	if (n != 1) {
		char names[256];
		size_t off = 0;

		names[0] = '\0';
		for (const struct cmd *c = cmds; c->name && off < sizeof(names); c++)
			off += snprintf(names + off, sizeof(names) - off, "%s%s", off ? ", " : "",
					c->name);
		cmd_error("%s command '%s'; commands: %s", n ? "ambiguous" : "unknown", argv[i],
			  names);
		return 2;
	}
	/* The global --json applies inside the command too. */
	if (g_opts.json && argc - i < 64) {
		char *args[66];
		int k = 0;

		for (int j = i; j < argc; j++)
			args[k++] = argv[j];
		args[k++] = "--json";
		args[k] = NULL;
		return hit->fn(k, args);
	}
	return hit->fn(argc - i, argv + i);
}
