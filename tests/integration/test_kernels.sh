#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# The driver-level hooks can only be proven in a guest with real virtio_net
# and e1000e (this host has no kprobes and refuses fentry), and CO-RE only on
# the kernels it ran on: boot each kernel of VNO_KERNELS (Debian's 5.10,
# 6.1 and 6.12 by default) under qemu (TCG) and check the guest's and the
# host's records (tests/vm/test-kernels.sh, `make test-kernels`). Skipped,
# with the reason, only when qemu cannot run at all or no kernel package
# can be had; one kernel that cannot be fetched is a SKIP line of its own.
out=$("$(dirname "$0")/../vm/test-kernels.sh" 2>&1)
rc=$?
echo "$out"
if ((rc == 77)); then
	echo "SKIP: no kernel of the matrix could run: $(grep -m1 ': SKIP: ' <<<"$out")" >&2
fi
exit "$rc"
