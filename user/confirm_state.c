// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* confirm's state files (confirm_state.h): one small "key=value" text per
 * switched feature, written to a temporary name, synced, renamed. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "confirm_state.h"
#include "ifaces.h"

#define STATE_PREFIX "confirm-"
#define STATE_SUFFIX ".state"

static void state_name(const struct confirm_state *st, char *buf, size_t len)
{
	snprintf(buf, len, STATE_PREFIX "%lu-%s" STATE_SUFFIX, st->netns, st->dev);
}

int confirm_state_save(const char *dir, const struct confirm_state *st, char *path, size_t len)
{
	char name[128], tmp[PATH_MAX], text[256];
	int fd, n, err = 0;

	if (mkdir(dir, 0700) && errno != EEXIST)
		return -errno;
	state_name(st, name, sizeof(name));
	if ((size_t)snprintf(path, len, "%s/%s", dir, name) >= len ||
	    (size_t)snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, name) >= sizeof(tmp))
		return -ENAMETOOLONG;
	n = snprintf(text, sizeof(text), "netns=%lu\ndev=%s\nfeature=%s\nwas=%s\npid=%ld\n",
		     st->netns, st->dev, st->feature, st->was ? "on" : "off", (long)st->pid);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	if (write(fd, text, (size_t)n) != n || fsync(fd))
		err = errno ? -errno : -EIO;
	if (close(fd) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}

int confirm_state_parse(const char *text, struct confirm_state *st)
{
	char was[8] = "";
	long pid = 0;
	int got = 0;

	memset(st, 0, sizeof(*st));
	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		got += sscanf(l, "netns=%lu", &st->netns) == 1;
		got += sscanf(l, "dev=%15[^\n]", st->dev) == 1;
		got += sscanf(l, "feature=%31[^\n]", st->feature) == 1;
		got += sscanf(l, "was=%7[^\n]", was) == 1;
		got += sscanf(l, "pid=%ld", &pid) == 1;
	}
	if (got != 5 || (strcmp(was, "on") && strcmp(was, "off")) || pid <= 0)
		return -EINVAL;
	st->was = !strcmp(was, "on");
	st->pid = (pid_t)pid;
	return 0;
}

/* Is the run that wrote @st still at work (another confirm, not us)? */
static bool run_alive(const struct confirm_state *st)
{
	char a[64], b[PATH_MAX], c[PATH_MAX];
	ssize_t n, m;

	if (st->pid == getpid() || kill(st->pid, 0))
		return false;
	/* A pid reused by another program is not a confirm run. */
	snprintf(a, sizeof(a), "/proc/%ld/exe", (long)st->pid);
	n = readlink(a, b, sizeof(b) - 1);
	m = readlink("/proc/self/exe", c, sizeof(c) - 1);
	return n > 0 && m > 0 && n == m && !memcmp(b, c, (size_t)n);
}

/* One state file: 0 restored or nothing to do, 1 left as it is. */
static int restore_one(const char *dir, const char *name, unsigned long self, FILE *log)
{
	struct confirm_state st;
	struct vno_features fs;
	const struct vno_feature *f;
	char path[PATH_MAX], text[512];
	ssize_t n;
	int fd, err;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return 1;
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	text[n > 0 ? n : 0] = '\0';
	if (confirm_state_parse(text, &st)) {
		fprintf(log, "confirm: %s does not read as a confirm state file: left as it is\n",
			path);
		return 1;
	}
	if (st.netns != self || run_alive(&st))
		return 0;
	err = vno_features_read(st.dev, &fs);
	if (err == -ENODEV) {
		fprintf(log, "confirm: %s is gone: nothing to restore (%s removed)\n", st.dev, path);
		unlink(path);
		return 0;
	}
	f = err ? NULL : vno_feature_find(&fs, st.feature);
	err = !f ? (err ? err : -ENOENT) : f->active == st.was ? 0 : vno_feature_set(st.dev, f, st.was);
	vno_features_free(&fs);
	if (err) {
		fprintf(log, "confirm: cannot restore %s %s on %s, left by a run (pid %ld) that did "
			"not end: %s; %s kept\n", st.feature, st.was ? "on" : "off", st.dev,
			(long)st.pid, strerror(-err), path);
		return 1;
	}
	fprintf(log, "confirm: %s on %s restored to %s, left by a run (pid %ld) that did not end\n",
		st.feature, st.dev, st.was ? "on" : "off", (long)st.pid);
	unlink(path);
	return 0;
}

int confirm_state_restore_all(const char *dir, FILE *log)
{
	unsigned long self = ifaces_netns_self();
	struct dirent *de;
	DIR *d = opendir(dir);
	int left = 0;

	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);

		if (strncmp(de->d_name, STATE_PREFIX, strlen(STATE_PREFIX)) ||
		    l < strlen(STATE_SUFFIX) ||
		    strcmp(de->d_name + l - strlen(STATE_SUFFIX), STATE_SUFFIX))
			continue;
		left += restore_one(dir, de->d_name, self, log);
	}
	closedir(d);
	return left;
}
