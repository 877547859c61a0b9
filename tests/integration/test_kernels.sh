#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# The driver-level hooks can only be proven in a guest with real virtio_net
# and e1000e (this host has no kprobes and refuses fentry): boot Debian's 6.1
# kernel under qemu (TCG) and check the guest's and the host's records.
# tests/vm/test-vm.sh does the work (see tests/vm/run-vm.sh); this runs it
# as part of `make test`. Skipped, with the reason, only when qemu cannot run
# at all or the kernel package cannot be had.
exec "$(dirname "$0")/../vm/test-vm.sh"
