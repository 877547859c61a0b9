// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* What a recording was made with (session.h): kernel, tool, command line,
 * hooks, interfaces at start. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include "session.h"

void session_free(struct vno_session *s)
{
	if (!s)
		return;
	free(s->ifaces);
	s->ifaces = NULL;
	s->n_ifaces = 0;
}

int session_fill(struct vno_session *s, const char *cmdline, const char hooks[][VNO_HOOK_LEN],
		 const struct vno_iface *ifs, size_t n)
{
	struct utsname u;

	memset(s, 0, sizeof(*s));
	if (uname(&u) == 0)
		snprintf(s->kernel, sizeof(s->kernel), "%s", u.release);
	snprintf(s->tool, sizeof(s->tool), "vnoffload-trace %s", VNO_VERSION);
	snprintf(s->cmdline, sizeof(s->cmdline), "%s", cmdline ? cmdline : "");
	for (int h = 0; hooks && h < VNO_HOP__MAX; h++)
		snprintf(s->hooks[h], sizeof(s->hooks[h]), "%s", hooks[h]);
	if (n) {
		s->ifaces = calloc(n, sizeof(*s->ifaces));
		if (!s->ifaces)
			return -1;
		memcpy(s->ifaces, ifs, n * sizeof(*ifs));
		s->n_ifaces = n;
	}
	return 0;
}
