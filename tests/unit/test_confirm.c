// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * confirm without a kernel: its state files written and read back (and
 * refused when they do not read), a missing state directory, and which
 * frames need the feature under test.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <criterion/criterion.h>
#include "confirm_state.h"
#include "remedy.h"

Test(confirm, state_file_round_trip)
{
	char dir[] = "/tmp/vno-confirm-XXXXXX", path[4096], text[512];
	struct confirm_state st = { .netns = 1, .dev = "eno1",
				    .feature = "tx-udp-segmentation", .was = true, .pid = 4242 };
	struct confirm_state back;
	FILE *f;
	size_t n;

	cr_assert(mkdtemp(dir));
	cr_assert_eq(confirm_state_save(dir, &st, path, sizeof(path)), 0);
	cr_assert(strstr(path, "eno1"));
	f = fopen(path, "r");
	cr_assert(f);
	n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = '\0';
	fclose(f);
	cr_assert_eq(confirm_state_parse(text, &back), 0);
	cr_assert_eq(back.netns, st.netns);
	cr_assert_str_eq(back.dev, "eno1");
	cr_assert_str_eq(back.feature, "tx-udp-segmentation");
	cr_assert(back.was);
	cr_assert_eq(back.pid, 4242);
	/* Another namespace's file (inode 1 is none) is not touched by this one's restore. */
	cr_assert_eq(confirm_state_restore_all(dir, stderr), 0);
	cr_assert_eq(access(path, F_OK), 0, "the other namespace's state file is kept");
	unlink(path);
	rmdir(dir);
}

Test(confirm, state_files_that_do_not_read)
{
	struct confirm_state st;

	cr_assert_eq(confirm_state_parse("", &st), -EINVAL);
	cr_assert_eq(confirm_state_parse("netns=1\ndev=eno1\nfeature=tx-udp-segmentation\n"
					 "was=maybe\npid=5\n", &st), -EINVAL, "was neither on nor off");
	cr_assert_eq(confirm_state_parse("netns=1\ndev=eno1\nfeature=x\nwas=off\n", &st), -EINVAL,
		     "no pid");
	cr_assert_eq(confirm_state_parse("netns=1\ndev=eno1\nfeature=x\nwas=off\npid=7\n", &st), 0);
	cr_assert_not(st.was);
	/* No state directory yet: nothing to restore. */
	cr_assert_eq(confirm_state_restore_all("/nonexistent/vno-state", stderr), 0);
}

Test(confirm, frames_that_need_a_feature)
{
	unsigned uso = remedy_feature_offloads("tx-udp-segmentation");
	unsigned tso = remedy_feature_offloads("tx-tcp-segmentation");
	unsigned csum = remedy_feature_offloads("tx-checksum-ip-generic");

	cr_assert_neq(uso, 0);
	cr_assert_eq(remedy_feature_offloads("tx-generic-segmentation"), 0, "no suspect accuses it");
	/* A USO super-frame needs USO; once segmented (gso_size 0) it does not. */
	cr_assert(remedy_frame_needs(VNO_GSO_UDP_L4 | VNO_GSO_DODGY, 1200, true, 4) & uso);
	cr_assert_not(remedy_frame_needs(0, 0, true, 4) & uso);
	cr_assert_not(remedy_frame_needs(VNO_GSO_UDP_L4, 1200, true, 4) & tso);
	cr_assert(remedy_frame_needs(VNO_GSO_TCPV4, 1448, true, 4) & tso);
	/* The generic checksum covers both IP versions; a frame needs it when
	 * checksum-partial, super-frame or not. */
	cr_assert(remedy_frame_needs(0, 0, true, 6) & csum);
	cr_assert(remedy_frame_needs(0, 0, true, 4) & csum);
	cr_assert_not(remedy_frame_needs(0, 0, false, 4) & csum);
}
