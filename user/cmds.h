/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Subcommands: each returns the process exit code. */
#ifndef VNO_CMDS_H
#define VNO_CMDS_H

#include <stdbool.h>
#include <stddef.h>

struct global_opts {
	bool json;
	int verbose;
	const char *argv0;
	char cmdline[1024];
};

extern struct global_opts g_opts;

int do_record(int argc, char **argv);
int do_doctor(int argc, char **argv);
int do_export(int argc, char **argv);
int do_report(int argc, char **argv);
int do_schema(int argc, char **argv);
int do_replay(int argc, char **argv);
int do_confirm(int argc, char **argv);
int do_help(int argc, char **argv);

/* doc/vnoffload-trace.schema.json as built in (NUL-terminated); its length
 * without the NUL into *len. */
const char *schema_text(size_t *len);

/* One clear sentence on stderr (or {"error":…} on stdout with --json). */
void cmd_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* "10", "10s", "500ms", "2m", "1h" -> milliseconds; -EINVAL otherwise. */
int parse_duration_ms(const char *s, unsigned long long *ms);
/* "16", "16M", "512K" (bytes; bare numbers are MiB) -> bytes; -EINVAL otherwise. */
int parse_size(const char *s, unsigned long long *bytes);

/* Root, or CAP_BPF/CAP_SYS_ADMIN in the effective set. */
bool have_bpf_privileges(void);

#endif
