// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Small helpers the commands share: the error sentence, durations, sizes,
 * privilege checks. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cmds.h"
#include "json.h"
#include "sbuf.h"

struct global_opts g_opts;

void cmd_error(const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (g_opts.json) {
		json_error(stdout, msg);
		fflush(stdout);
	}
	fprintf(stderr, "vnoffload-trace: %s\n", msg);
}

int parse_duration_ms(const char *s, unsigned long long *ms)
{
	char *end;
	double v;

	if (!s || !*s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno || v < 0)
		return -EINVAL;
	if (!*end || !strcmp(end, "s"))
		v *= 1000;
	else if (!strcmp(end, "ms"))
		;
	else if (!strcmp(end, "m"))
		v *= 60000;
	else if (!strcmp(end, "h"))
		v *= 3600000;
	else
		return -EINVAL;
	if (v > 1e15)
		return -EINVAL;
	*ms = (unsigned long long)v;
	return 0;
}

int parse_size(const char *s, unsigned long long *bytes)
{
	unsigned long long v, mul = 1ULL << 20;
	char *end;

	if (!s || !*s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -EINVAL;
	if (!strcasecmp(end, "k") || !strcasecmp(end, "kib") || !strcasecmp(end, "kb"))
		mul = 1ULL << 10;
	else if (!strcasecmp(end, "g") || !strcasecmp(end, "gib") || !strcasecmp(end, "gb"))
		mul = 1ULL << 30;
	else if (!strcasecmp(end, "b"))
		mul = 1;
	else if (*end && strcasecmp(end, "m") && strcasecmp(end, "mib") && strcasecmp(end, "mb"))
		return -EINVAL;
	if (v > (~0ULL >> 2) / mul)
		return -EINVAL;
	*bytes = v * mul;
	return 0;
}

bool have_bpf_privileges(void)
{
	unsigned long long eff = 0;
	char line[256];
	FILE *f;

	if (geteuid() == 0)
		return true;
	f = fopen("/proc/self/status", "r");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &eff) == 1)
			break;
	fclose(f);
	/* CAP_SYS_ADMIN (21) or CAP_BPF (39). */
	return eff & (1ULL << 21 | 1ULL << 39);
}

void str_addf(char *buf, size_t len, const char *fmt, ...)
{
	size_t o = strnlen(buf, len);
	va_list ap;

	if (o + 1 >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + o, len - o, fmt, ap);
	va_end(ap);
}
