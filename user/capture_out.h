/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Where a capture writer's blocks go: one file at a time, opened safely
 * (never through a symlink, a FIFO or someone else's file), blocks batched
 * in a staging buffer, compressed with ISA-L's igzip for ".gz", written
 * whole and fdatasync'ed on flushes. Errors are sticky.
 */
#ifndef VNO_CAPTURE_OUT_H
#define VNO_CAPTURE_OUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <isa-l/igzip_lib.h>

/* Staged blocks and compressed output are each written in chunks of this. */
#define OUT_CAP (64u << 10)

/* How far a compressor call flushes. */
enum gz_flush { GZ_NONE, GZ_SYNC, GZ_FINISH };

struct cout {
	int fd;
	bool gz;
	struct isal_zstream zs;
	uint8_t *zlevel; /* the compressor's work area */
	uint8_t *stage; /* whole blocks waiting for write() or deflate, batched */
	size_t stage_len;
	uint8_t *out; /* gz: deflate output waiting for write() */
	size_t out_len;
	unsigned long long gz_unflushed; /* input since the last flush */
	unsigned long long file_bytes; /* handed to write() for this file */
	bool dirty; /* blocks since the last flush */
	int err; /* first I/O error; sticky */
};

/* Before anything else: fd -1 and the staging buffer. 0 or -ENOMEM. */
int cout_init(struct cout *c);
/* Create @path (0600, O_EXCL unless @force: see open_forced) and start a
 * file, compressed when @gz. 0 or -errno; c->fd stays -1 when the file
 * could not be opened. */
int cout_open(struct cout *c, const char *path, bool force, bool gz);
/* Start a plain file on @fd, already open (a pipe, a terminal's
 * redirection): the cout owns it from here on, even when this fails. */
int cout_open_fd(struct cout *c, int fd);
/*
 * Room for a block of up to @n bytes (at most OUT_CAP) at the end of the
 * staged ones, to be built in place and then taken with cout_commit(); NULL
 * with *@err set when earlier blocks could not be written out.
 */
uint8_t *cout_room(struct cout *c, size_t n, int *err);
void cout_commit(struct cout *c, size_t n);
/* One whole block into the file. 0 or -errno. */
int cout_write(struct cout *c, const void *p, size_t n);
/* Everything so far to the kernel (the compressor flushed as @zflush says)
 * and, with @sync, to the disk. 0 or -errno. */
int cout_flush(struct cout *c, enum gz_flush zflush, bool sync);
/* Bytes bound for the file and not written yet, as far as known. */
size_t cout_unwritten(const struct cout *c);
/* Record @err as the sticky error unless there is one; returns @err. */
int cout_fail(struct cout *c, int err);
/* Close the file: @err, or the error close() met. */
int cout_close(struct cout *c, int err);
void cout_free(struct cout *c);

/* The name asks for gzip: it ends in ".gz". */
bool capture_name_gz(const char *path);

/* With rotation, keep @count files (0 = all) once file @idx of @base is to
 * be started: the one @count before it is deleted. */
void cout_prune(const char *base, unsigned idx, unsigned count);

#endif
