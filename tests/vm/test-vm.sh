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
VM_DIR=${VNO_VM_DIR:-$HERE/../../.output/vm}
t0=$SECONDS

# The run and its checks under one lock: a second run waiting for it would
# otherwise replace the logs between the two.
mkdir -p "$VM_DIR"
exec {lock_fd}>"$VM_DIR/.lock"
if ! flock -n "$lock_fd"; then
	echo "test-vm: another test bed run holds $VM_DIR/.lock: waiting for it" >&2
	flock -w 600 "$lock_fd" || { echo "test-vm: $VM_DIR/.lock still held after 600 s" >&2; exit 1; }
fi
export VNO_VM_LOCK_HELD=1

"$HERE/run-vm.sh"
rc=$?
((rc == 77)) && exit 77
"$HERE/check-vm.sh" "${VNO_VM_RUN:-$VM_DIR/run}"
crc=$?
echo "test-vm: $((SECONDS - t0)) s in all (fetch, initramfs, boot, guest steps, checks)"
((rc == 0 && crc == 0))
