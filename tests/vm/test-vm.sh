#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# The VM test: boot the test bed (run-vm.sh), then check what it said
# (check-vm.sh). `make test-vm` runs this; tests/integration/test_vm.sh runs
# it within `make test`.
#
# Exit status: 0 passed, 77 the VM cannot run here (a "SKIP: ..." line says
# why), 1 failed. The console and the host's record stay in .output/vm/run/
# for a look afterwards; `tests/vm/check-vm.sh` re-checks them without a boot.
set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
t0=$SECONDS

"$HERE/run-vm.sh"
rc=$?
((rc == 77)) && exit 77
"$HERE/check-vm.sh"
crc=$?
echo "test-vm: $((SECONDS - t0)) s in all (fetch, initramfs, boot, guest steps, checks)"
((rc == 0 && crc == 0))
