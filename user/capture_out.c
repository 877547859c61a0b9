// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The file side of a capture writer (capture_out.h): safe creation, the
 * staging buffer, igzip compression, whole-block writes cut back on a
 * failed write, fdatasync on flushes, and the names of rotated files.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capture.h"
#include "capture_out.h"

/* The writer compresses with ISA-L's igzip (the reader inflates with zlib:
 * gzip is gzip). At level 1 it compressed captures 9.2:1 at ~1.5 GB/s here,
 * where zlib's fastest level gave 9.6:1 at ~0.2 GB/s, and the ring-buffer
 * consumer must not fall behind at high frame rates. */
#define GZ_LEVEL 1
#define GZ_LEVEL_BUF ISAL_DEF_LVL1_DEFAULT

static int write_all(struct cout *c, const void *p, size_t n)
{
	const uint8_t *d = p;

	while (n) {
		ssize_t r = write(c->fd, d, n);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0)
			return -EIO;
		d += r;
		n -= (size_t)r;
		c->file_bytes += (unsigned long long)r;
	}
	return 0;
}

/*
 * Plain files only ever receive whole blocks, so after a kill -9 a file ends
 * on a block boundary (unless it came mid-way through a write that the
 * kernel split). When a write fails half-way (full
 * disk, file size limit) cut the file back to the last whole block, so that
 * tshark, not only our reader, opens what was written.
 */
static int write_blocks(struct cout *c, const void *p, size_t n)
{
	unsigned long long good = c->file_bytes;
	int err = write_all(c, p, n);

	if (err && !c->gz && c->file_bytes != good && !ftruncate(c->fd, (off_t)good))
		c->file_bytes = good;
	return err;
}

static int out_drain(struct cout *c)
{
	int err;

	if (!c->out_len)
		return 0;
	err = write_blocks(c, c->out, c->out_len);
	c->out_len = 0;
	return err;
}

int cout_fail(struct cout *c, int err)
{
	if (!c->err)
		c->err = err;
	return err;
}

static int deflate_run(struct cout *c, enum gz_flush flush)
{
	int err;
	bool full;

	c->zs.flush = flush == GZ_NONE ? NO_FLUSH : SYNC_FLUSH;
	c->zs.end_of_stream = flush == GZ_FINISH;
	for (;;) {
		c->zs.next_out = c->out + c->out_len;
		c->zs.avail_out = OUT_CAP - (unsigned)c->out_len;
		if (isal_deflate(&c->zs) != COMP_OK)
			return -EIO;
		c->out_len = OUT_CAP - c->zs.avail_out;
		full = c->zs.avail_out == 0;
		if (full && (err = out_drain(c)))
			return err;
		if (c->zs.avail_in)
			continue;
		if (flush == GZ_NONE ||
		    (flush == GZ_FINISH ? c->zs.internal_state.state == ZSTATE_END : !full))
			return 0;
	}
}

/* Whole blocks to where they go: the file, or the compressor. */
static int blocks_out(struct cout *c, const void *p, size_t n)
{
	if (!c->gz)
		return write_blocks(c, p, n);
	c->zs.next_in = (uint8_t *)p;
	c->zs.avail_in = (uint32_t)n;
	return deflate_run(c, GZ_NONE);
}

/* The batched blocks out. */
static int stage_drain(struct cout *c)
{
	int err;

	if (!c->stage_len)
		return 0;
	err = blocks_out(c, c->stage, c->stage_len);
	c->stage_len = 0;
	return err;
}

/*
 * Room for a block of up to @n bytes (at most OUT_CAP) at the end of the
 * staged ones, to be built in place and then taken with cout_commit(); NULL
 * with *@err set when earlier blocks could not be written out. A write() or
 * a deflate call per block of a few hundred bytes costs more in calls than in
 * work: blocks are batched.
 */
uint8_t *cout_room(struct cout *c, size_t n, int *err)
{
	*err = c->err;
	if (!*err && c->stage_len + n > OUT_CAP && (*err = stage_drain(c)))
		cout_fail(c, *err);
	return *err ? NULL : c->stage + c->stage_len;
}

void cout_commit(struct cout *c, size_t n)
{
	c->stage_len += n;
	c->gz_unflushed += n;
	c->dirty = true;
}

/* One whole block into the file. Errors are sticky. */
int cout_write(struct cout *c, const void *p, size_t n)
{
	uint8_t *dst;
	int err;

	if (n > OUT_CAP) {
		if (c->err)
			return c->err;
		if ((err = stage_drain(c)) || (err = blocks_out(c, p, n)))
			return cout_fail(c, err);
		c->gz_unflushed += n;
		c->dirty = true;
		return 0;
	}
	if (!(dst = cout_room(c, n, &err)))
		return err;
	memcpy(dst, p, n);
	cout_commit(c, n);
	return 0;
}

/* Bytes bound for the file and not written yet, as far as known: the staged
 * blocks, or for gz the compressed output (its input has no size yet). */
size_t cout_unwritten(const struct cout *c)
{
	return c->gz ? c->out_len : c->stage_len;
}

/* Everything so far to the kernel and, with sync, to the disk. */
int cout_flush(struct cout *c, enum gz_flush zflush, bool sync)
{
	int err = 0;

	if (c->err)
		return c->err;
	err = stage_drain(c);
	if (!err && c->gz)
		err = deflate_run(c, zflush);
	c->gz_unflushed = 0;
	if (!err)
		err = out_drain(c);
	/* fdatasync fails with EINVAL on pipes and devices: nothing to sync. */
	if (!err && sync && fdatasync(c->fd) && errno != EINVAL && errno != EROFS &&
	    errno != ENOTSUP)
		err = -errno;
	if (err)
		return cout_fail(c, err);
	c->dirty = false;
	return 0;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

bool capture_name_gz(const char *path)
{
	return ends_with(path, ".gz");
}

int capture_rotated_name(const char *path, unsigned idx, char *buf, size_t len)
{
	const char *base, *dot, *ext;
	size_t n = strlen(path), stem;
	int r;

	if (!idx) {
		r = snprintf(buf, len, "%s", path);
		return r < 0 || (size_t)r >= len ? -ENAMETOOLONG : 0;
	}
	/* The number goes before the extension: "x.pcapng.gz" -> "x.1.pcapng.gz". */
	base = strrchr(path, '/');
	base = base ? base + 1 : path;
	stem = n;
	if (ends_with(path, ".gz") && (size_t)(path + n - base) > 3)
		stem = n - 3;
	dot = NULL;
	for (const char *p = base + 1; p < path + stem; p++)
		if (*p == '.')
			dot = p;
	if (dot)
		stem = (size_t)(dot - path);
	ext = path + stem;
	r = snprintf(buf, len, "%.*s.%u%s", (int)stem, path, idx, ext);
	return r < 0 || (size_t)r >= len ? -ENAMETOOLONG : 0;
}

/*
 * --force overwrites only a regular file of our own: never through a FIFO
 * (whose open would block until a reader came, and whose reader would get
 * the capture), a device or a socket, nor a file someone else pre-created
 * to read what we write into it. Opened without O_TRUNC and non-blocking,
 * checked, then truncated.
 */
static int open_forced(const char *path)
{
	struct stat st;
	int fd, fl;

	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY, 0600);
	if (fd < 0) {
		/* A FIFO with no reader refuses a non-blocking writer. */
		if (errno == ENXIO)
			errno = CAPTURE_E_NOT_REGULAR;
		return -errno;
	}
	if (fstat(fd, &st)) {
		fl = -errno;
		close(fd);
		return fl;
	}
	if (!S_ISREG(st.st_mode) || st.st_uid != geteuid()) {
		close(fd);
		return -(S_ISREG(st.st_mode) ? CAPTURE_E_NOT_OWNER : CAPTURE_E_NOT_REGULAR);
	}
	fl = fcntl(fd, F_GETFL);
	if (ftruncate(fd, 0) || fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK)) {
		fl = -errno;
		close(fd);
		return fl;
	}
	/* An overwritten file keeps its mode: ours are 0600. */
	if ((st.st_mode & 07777) != 0600)
		fchmod(fd, 0600);
	return fd;
}


int cout_init(struct cout *c)
{
	c->fd = -1;
	c->stage = malloc(OUT_CAP);
	return c->stage ? 0 : -ENOMEM;
}

int cout_open(struct cout *c, const char *path, bool force, bool gz)
{
	if (force) {
		c->fd = open_forced(path);
		if (c->fd < 0) {
			int err = c->fd;

			c->fd = -1;
			return err;
		}
	} else {
		c->fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_EXCL, 0600);
		if (c->fd < 0)
			return -errno;
	}
	c->gz = gz;
	if (c->gz) {
		if (!c->zlevel && !(c->zlevel = malloc(GZ_LEVEL_BUF)))
			return -ENOMEM;
		if (!c->out && !(c->out = malloc(OUT_CAP)))
			return -ENOMEM;
		isal_deflate_init(&c->zs);
		c->zs.gzip_flag = IGZIP_GZIP; /* a gzip header and trailer around deflate */
		c->zs.level = GZ_LEVEL;
		c->zs.level_buf = c->zlevel;
		c->zs.level_buf_size = GZ_LEVEL_BUF;
	}
	c->file_bytes = 0;
	c->stage_len = 0;
	c->out_len = 0;
	return 0;
}

int cout_open_fd(struct cout *c, int fd)
{
	c->fd = fd;
	c->gz = false;
	c->file_bytes = 0;
	c->stage_len = 0;
	c->out_len = 0;
	return fd < 0 ? -EBADF : 0;
}

int cout_close(struct cout *c, int err)
{
	if (c->fd >= 0 && close(c->fd) && !err && errno != EINTR)
		err = cout_fail(c, -errno);
	c->fd = -1;
	return err;
}

void cout_free(struct cout *c)
{
	free(c->zlevel);
	if (c->fd >= 0)
		close(c->fd);
	free(c->out);
	free(c->stage);
}

void cout_prune(const char *base, unsigned idx, unsigned count)
{
	char name[4096];

	/* Keep count files: this one and count - 1 before it. */
	if (count && idx >= count && !capture_rotated_name(base, idx - count, name, sizeof(name)))
		unlink(name);
}

int capture_dir_writable(const char *path)
{
	char dir[4096];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	/* The effective ids: after -Z they are the user's. */
	return faccessat(AT_FDCWD, dir, W_OK | X_OK, AT_EACCESS);
}
