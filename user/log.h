/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* pr_warn / pr_info / pr_debug with a level raised by each -v. */
#ifndef VNO_LOG_H
#define VNO_LOG_H

#include <stdarg.h>

enum { LOG_WARN = 0, LOG_INFO = 1, LOG_DEBUG = 2 };

extern int vno_log_level;

void vno_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* libbpf's own messages, demoted one level below ours. */
void vno_log_setup_libbpf(void);

#define pr_warn(...) vno_log(LOG_WARN, __VA_ARGS__)
#define pr_info(...) vno_log(LOG_INFO, __VA_ARGS__)
#define pr_debug(...) vno_log(LOG_DEBUG, __VA_ARGS__)

#endif
