/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * confirm's promise to put a feature back: before it switches one off it
 * writes what the feature was to a state file, removes the file once the
 * feature is restored, and every confirm run first restores what a killed
 * run left behind.
 */
#ifndef VNO_CONFIRM_STATE_H
#define VNO_CONFIRM_STATE_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>
#include "ethfeatures.h"
#include "vno.h"

#define CONFIRM_STATE_DIR "/run/vnoffload-trace"

struct confirm_state {
	unsigned long netns;		/* inode of the device's network namespace */
	char dev[VNO_IFNAMSIZ];
	char feature[VNO_FEATURE_NAME_LEN];
	bool was;			/* on before the run */
	pid_t pid;			/* the run that switched it */
};

/* Write @st to @dir (made 0700 if missing) as its own file, synced; its
 * path into @path. 0 or -errno. */
int confirm_state_save(const char *dir, const struct confirm_state *st, char *path, size_t len);
/* Parse a state file's text. 0 or -EINVAL. */
int confirm_state_parse(const char *text, struct confirm_state *st);
/*
 * Put back what the state files in @dir say, for devices of this network
 * namespace whose run is gone, each said on @log; a file whose device is
 * gone is removed. Returns how many could not be restored (0: all well),
 * or -errno when @dir cannot be read (a missing @dir is no state: 0).
 */
int confirm_state_restore_all(const char *dir, FILE *log);

#endif
