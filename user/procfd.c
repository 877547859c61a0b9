// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The process that holds a descriptor, found through /proc/PID/fd and
 * /proc/PID/fdinfo: which process keeps one of our TC programs (tcclean)
 * and which VMM keeps a guest's tap (vmname, "iff:" in a tun fd's
 * fdinfo). The link is read first: it is the cheap test that skips
 * almost every descriptor without opening anything.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "procfd.h"

static bool fd_matches(int pdir, const char *fd, const char *const *links,
		       bool (*match)(const char *, void *), void *ctx)
{
	char path[sizeof("fdinfo/") + 256], link[64], line[256];
	bool found = false, wanted = false;
	ssize_t l;
	FILE *f;
	int ffd;

	snprintf(path, sizeof(path), "fd/%s", fd);
	l = readlinkat(pdir, path, link, sizeof(link) - 1);
	if (l < 0)
		return false;
	link[l] = '\0';
	for (size_t i = 0; links[i] && !wanted; i++)
		wanted = !strcmp(link, links[i]);
	if (!wanted)
		return false;
	snprintf(path, sizeof(path), "fdinfo/%s", fd);
	ffd = openat(pdir, path, O_RDONLY | O_CLOEXEC);
	if (ffd < 0 || !(f = fdopen(ffd, "r"))) {
		if (ffd >= 0)
			close(ffd);
		return false;
	}
	while (!found && fgets(line, sizeof(line), f))
		found = match(line, ctx);
	fclose(f);
	return found;
}

int procfd_find(const char *proc, const char *const *links,
		bool (*match)(const char *fdinfo_line, void *ctx), void *ctx)
{
	int self = getpid(), holder = 0;
	struct dirent *de;
	DIR *pd = opendir(proc);

	if (!pd)
		return 0;
	while (!holder && (de = readdir(pd))) {
		int pid = atoi(de->d_name), pdir, dfd;
		struct dirent *fe;
		DIR *fds;

		if (pid <= 0 || pid == self)
			continue;
		pdir = openat(dirfd(pd), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (pdir < 0)
			continue;
		dfd = openat(pdir, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		fds = dfd >= 0 ? fdopendir(dfd) : NULL;
		if (!fds) {
			if (dfd >= 0)
				close(dfd);
			close(pdir);
			continue;
		}
		while ((fe = readdir(fds)))
			if (fe->d_name[0] != '.' && fd_matches(pdir, fe->d_name, links, match, ctx)) {
				holder = pid;
				break;
			}
		closedir(fds);
		close(pdir);
	}
	closedir(pd);
	return holder;
}
