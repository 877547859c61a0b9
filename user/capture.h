/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Capture files: pcapng, gzip-compressed when the name ends in ".gz", that
 * Wireshark and tshark open as they are, and that `report` reads back into
 * the exact records `record` saw. The layout is described at the top of
 * capture_write.c and in the README ("Capture file format").
 */
#ifndef VNO_CAPTURE_H
#define VNO_CAPTURE_H

#include <stdbool.h>
#include <sys/types.h>
#include <stddef.h>
#include "vno.h"
#include "session.h"

/* --snaplen default: Ethernet + IPv6 + TCP with options fits in 128. */
#define CAPTURE_SNAPLEN_DEFAULT 128
/*
 * IANA Private Enterprise Number in our custom blocks and options. 32473 is
 * the number RFC 5612 reserves for documentation and examples: nobody owns
 * it, so we collide with no vendor's data, and it says plainly that this is
 * not an assigned number. Because others may use it too, every custom block
 * and option we write starts with a 4-byte tag of ours ("VNOB", "VNOF") and
 * readers ignore data under this PEN without the tag. If the project gets
 * its own PEN, readers keep accepting 32473 for old files.
 */
#define CAPTURE_PEN 32473
/* Largest block the reader accepts: far above anything we write (< 64 KiB
 * except session metadata of thousands of interfaces), small enough that a
 * corrupt length cannot make us allocate much. */
#define CAPTURE_BLOCK_MAX (16u << 20)

struct capture_opts {
	unsigned snaplen;		/* frame bytes kept, 0 = metadata only (max VNO_SNAP_MAX) */
	unsigned snaplen_encap;		/* of an encapsulated frame, when larger */
	bool force;			/* overwrite existing files */
	/* Start a new file once one is larger than this many bytes on disk
	 * (0 = never). With gzip, igzip holds back up to one deflate block
	 * until the next flush, so a file can pass it by that much. */
	unsigned long long rotate_size;
	unsigned rotate_count;		/* with rotate_size: files kept, oldest deleted; 0 = all */
	/* A stream (record -w -): write plain pcapng to stream_fd, which the
	 * writer then owns, each block as it is made (a reader of the pipe
	 * sees every frame at once); the path only names it in messages. No
	 * rotation, no gzip, no fdatasync. */
	bool stream;
	int stream_fd;
	/* Build, compress and write frames on a thread of the writer's own
	 * (not with stream): capture_writer__frame() only copies the record
	 * into a bounded queue, waiting while it is full. Started at the first
	 * frame, so it runs with the credentials the caller has by then.
	 * Errors then come back from a later call (sticky as ever); notes,
	 * chown, path and close first wait for the queue to be written. */
	bool async;
};

struct capture_writer;

/*
 * Create @path (mode 0600; gzip when it ends in ".gz") and write the section
 * header and session metadata. NULL with errno set: EEXIST when the file
 * exists and !o->force, ELOOP when it is a symlink (never followed: we run as
 * root and often write into /tmp), ENOSPC, EACCES, ENOENT, … @o may be NULL
 * (snaplen CAPTURE_SNAPLEN_DEFAULT, no force, no rotation). @s may be NULL.
 */
struct capture_writer *capture_writer__new(const char *path, const struct vno_session *s,
					   const struct capture_opts *o);
/* One frame: 0 or -errno (ENOSPC, EFBIG, EIO, EEXIST for a rotation target,
 * E2BIG past 65536 interfaces per file). Errors are sticky: later calls
 * return the same error; what was written before stays readable. */
int capture_writer__frame(struct capture_writer *w, const struct vno_event *ev);
/* Something that is not a packet (a hang, lost-event counts, a drops
 * summary): @kind a short word ("hang"), @json_text its JSON (NULL = none),
 * @comment what Wireshark users should read (NULL = none). 0 or -errno. */
int capture_writer__note(struct capture_writer *w, const char *kind, const char *json_text,
			 const char *comment);
/* Call often with CLOCK_MONOTONIC ns: flushes (igzip SYNC_FLUSH, write,
 * fdatasync) when more than half a second passed since the last flush, so a
 * kill -9 or a power cut loses at most about a second. 0 or -errno. */
int capture_writer__tick(struct capture_writer *w, unsigned long long now_ns);
/* Write the end-of-capture marker, finish the gzip stream, close. NULL-safe.
 * 0 or the first error the writer met. */
int capture_writer__close(struct capture_writer *w);
/* Name of the file being written (changes on rotation). */
const char *capture_writer__path(struct capture_writer *w);
/* Give the current file to @uid/@gid (-Z with rotation: the user then owns
 * every file of the set). 0, or -1 with errno. */
int capture_writer__chown(struct capture_writer *w, uid_t uid, gid_t gid);
/* Can this process create files where @path goes? 0, or -1 with errno. */
int capture_dir_writable(const char *path);

/* capture_writer__new() errno with --force: the path is not a regular file
 * (a FIFO, a device, a socket), or it belongs to another user. Nothing is
 * written through either. */
#define CAPTURE_E_NOT_REGULAR ENOTSUP
#define CAPTURE_E_NOT_OWNER EPERM
/* Name of file number @idx of a rotated capture: 0 is @path itself, then
 * "x.1.pcapng.gz", "x.2.pcapng.gz" … (the number goes before the extension
 * so the names still open in Wireshark). 0 or -ENAMETOOLONG. */
int capture_rotated_name(const char *path, unsigned idx, char *buf, size_t len);

/* Packets without a vnoffload-trace record (a capture another tool wrote),
 * summed per interface name from the packet blocks alone. */
#define CAPTURE_FOREIGN_MAX 16
struct capture_foreign {
	char name[32];			/* if_name, "" when the file gave none */
	unsigned long long frames, bytes; /* bytes: original lengths */
	unsigned min_len, max_len;
};

struct capture_stats {
	unsigned long long blocks;	/* complete blocks read, of every type */
	unsigned long long frames;	/* frames handed to on_frame */
	unsigned long long notes;	/* notes handed to on_note */
	bool truncated;			/* the file was cut: see below */
	unsigned long long stop_offset; /* pcapng (uncompressed) offset where reading stopped */
	char error[256];		/* why it failed or where it was cut; "" otherwise */
	unsigned long long sections;	/* section headers */
	unsigned long long skipped;	/* packets without a vnoffload-trace record */
	bool compressed;		/* the file was gzip */
	bool have_session;		/* session metadata was found */
	long long mono_to_real_ns;	/* CLOCK_REALTIME - CLOCK_MONOTONIC when written */
	unsigned snaplen;		/* --snaplen of the recording */
	/* The skipped enhanced packets by interface: the first
	 * CAPTURE_FOREIGN_MAX names, then counted in foreign_other. */
	struct capture_foreign foreign[CAPTURE_FOREIGN_MAX];
	unsigned n_foreign;
	unsigned long long foreign_other;
};

typedef int (*capture_frame_fn)(const struct vno_event *ev, void *ctx);
typedef int (*capture_note_fn)(const char *kind, const char *json, void *ctx);

/*
 * Read a capture, plain or gzip (told apart by content, not by name). Calls
 * @on_frame for every frame record (ev->f exactly as recorded except cap_len,
 * which is the number of frame bytes present in ev->data; the rest of data is
 * zero) and @on_note for every note. Fills @s (zero it first; its ifaces
 * array is freed and replaced) from the first section's metadata. Any of
 * @s, @on_frame, @on_note may be NULL; @st may not.
 *
 * Returns 0 when the file was read to its end. The file was cut (a kill -9,
 * a full disk, a partial download) when it ends inside a block, inside the
 * gzip stream, or without the end marker close() writes: then 0 too, with
 * st->truncated, the counts of what was read and st->stop_offset. -EINVAL
 * for a corrupt or foreign file, -errno on an I/O error, both with a
 * sentence in st->error; a non-zero value returned by a callback stops the
 * reading and is returned as is.
 */
int capture_read(const char *path, struct vno_session *s, capture_frame_fn on_frame,
		 capture_note_fn on_note, void *ctx, struct capture_stats *st);
/* The same from an open descriptor (a pipe works); @fd is not closed. */
int capture_read_fd(int fd, struct vno_session *s, capture_frame_fn on_frame,
		    capture_note_fn on_note, void *ctx, struct capture_stats *st);

#endif
