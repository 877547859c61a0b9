// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* A hang into a capture file: the "hang" note and the --hang-dir writer. */
#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "hang_capture.h"
#include "json_writer.h"
#include "log.h"

int hang_capture_note(struct capture_writer *w, const struct vno_diagnosis *dg)
{
	char comment[512], *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int ret;

	if (!f)
		return -ENOMEM;
	diag_json(f, dg);
	if (fclose(f)) {
		free(buf);
		return -ENOMEM;
	}
	/* One line of JSON without its newline. */
	if (len && buf[len - 1] == '\n')
		buf[len - 1] = '\0';
	snprintf(comment, sizeof(comment), "hang on %s (%s): %s", dg->hang.dev,
		 diag_source_name(dg->hang.source), dg->verdict);
	ret = capture_writer__note(w, "hang", buf, comment);
	free(buf);
	return ret;
}

int hang_dir_check(const char *dir)
{
	struct stat sb;

	if (stat(dir, &sb))
		return -errno;
	if (!S_ISDIR(sb.st_mode))
		return -ENOTDIR;
	if (access(dir, W_OK | X_OK))
		return -errno;
	return 0;
}

/* Device names in file names: anything but [A-Za-z0-9._-] becomes '_'. */
static void file_safe(char *dst, size_t len, const char *s)
{
	size_t i;

	for (i = 0; s[i] && i + 1 < len; i++) {
		char c = s[i];

		dst[i] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
				 (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'
			 ? c
			 : '_';
	}
	dst[i] = '\0';
	if (!i || !strcmp(dst, ".") || !strcmp(dst, ".."))
		snprintf(dst, len, "dev");
}

/* A new file for @dg in the directory, its name in @path; NULL with errno. */
static struct capture_writer *open_new(const struct hang_dir *hd, const struct vno_diagnosis *dg,
				       char *path, size_t pathlen)
{
	struct capture_opts co = { .snaplen = 0 };
	struct capture_writer *w = NULL;
	char dev[IF_NAMESIZE + 8], stamp[32];
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%S", &tm);
	file_safe(dev, sizeof(dev), dg->hang.dev);
	/* Two hangs in the same millisecond (SIGUSR1 diagnoses every device
	 * at once, devices may share a sanitised name): number them. */
	for (int i = 0; i < 100 && !w; i++) {
		int n = snprintf(path, pathlen, "%s/hang-%s-%s.%03ldZ%s%.0d.pcapng.gz", hd->dir, dev,
				 stamp, ts.tv_nsec / 1000000, i ? "-" : "", i);

		if (n < 0 || (size_t)n >= pathlen) {
			errno = ENAMETOOLONG;
			return NULL;
		}
		w = capture_writer__new(path, hd->sess, &co);
		if (!w && errno != EEXIST)
			return NULL;
	}
	return w;
}

static void say(const struct hang_dir *hd, const struct vno_diagnosis *dg, const char *path)
{
	struct jw w;

	if (hd->json) {
		jw_init(&w, hd->out);
		jw_object(&w);
		jw_kstr(&w, "type", "hang_capture");
		jw_kstr(&w, "dev", dg->hang.dev);
		jw_kstr(&w, "source", diag_source_name(dg->hang.source));
		jw_ku64(&w, "frames", dg->n_frames);
		jw_kstr(&w, "path", path);
		jw_end(&w);
	} else {
		fprintf(hd->out, "hang capture: %s (%zu frames)\n", path, dg->n_frames);
	}
	fflush(hd->out);
}

void hang_dir_write(const struct hang_dir *hd, const struct vno_diagnosis *dg)
{
	struct capture_writer *w;
	char path[4096];
	int ret = 0;

	w = open_new(hd, dg, path, sizeof(path));
	if (!w) {
		pr_warn("warning: cannot write the capture of the hang on %s into %s: %s\n",
			dg->hang.dev, hd->dir, strerror(errno));
		return;
	}
	if (hd->drop_reasons)
		capture_writer__note(w, "drop_reasons", hd->drop_reasons,
				     "names of the recording kernel's skb drop reasons");
	/* In export mode from the flight recorder: metadata only. */
	for (size_t i = 0; i < dg->n_frames && !ret; i++)
		ret = capture_writer__frame(w, &dg->frames[i].ev);
	if (!ret)
		ret = hang_capture_note(w, dg);
	if (capture_writer__close(w) || ret) {
		pr_warn("warning: the capture of the hang on %s (%s) is incomplete: %s\n",
			dg->hang.dev, path, strerror(-(ret ? ret : EIO)));
		return;
	}
	say(hd, dg, path);
}
