// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* pr_warn / pr_info / pr_debug with a level raised by each -v, and libbpf's
 * messages one level below (log.h). */
#include <stdio.h>
#include <bpf/libbpf.h>
#include "log.h"

int vno_log_level = LOG_WARN;

void vno_log(int level, const char *fmt, ...)
{
	va_list ap;

	if (level > vno_log_level)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

static int libbpf_print(enum libbpf_print_level l, const char *fmt, va_list ap)
{
	/* libbpf warnings show at -v, its info at -vv, its debug at -vvv. */
	int level = l == LIBBPF_WARN ? LOG_INFO : l == LIBBPF_INFO ? LOG_DEBUG : LOG_DEBUG + 1;

	if (level > vno_log_level)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

void vno_log_setup_libbpf(void)
{
	libbpf_set_print(libbpf_print);
}
