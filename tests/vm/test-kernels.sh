#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# The kernel matrix: the VM test bed (run-vm.sh, then check-vm.sh) on each
# kernel of a list, each with its own cache and run directory under
# .output/vm/k-SUITE/ (kernel fetched once, then reused offline).
#
#   VNO_KERNELS="bullseye bookworm bookworm-backports"   (the default)
#
# Each entry is a suite of Debian's archive, whose newest linux-image-amd64
# is booted (bullseye: 5.10, bookworm: 6.1, bookworm-backports: 6.12), or
# SUITE=PACKAGE for one kernel package by name. The same initramfs steps and
# the same checks run on every kernel; check-vm.sh knows what an older kernel
# cannot do (module BTF before 5.11) and expects the tool to say so.
#
# One line per kernel: "kernel 5.10.0-32-amd64: pass (58 checks)", or
# "… FAIL: what failed", or "kernel SUITE: SKIP: why it could not run"; then
# "N passed, N failed, N skipped". Each kernel's hooks go to
# .output/vm/kernels.jsonl, from which tests/vm/kernels-table.sh writes the
# README's table.
#
# Exit status: 0 none failed and one passed, 77 every kernel skipped, 1
# otherwise.
set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BASE=${VNO_VM_BASE:-$ROOT/.output/vm}
KERNELS=${VNO_KERNELS:-bullseye bookworm bookworm-backports}
SUMMARY=$BASE/kernels.jsonl
passed=0 failed=0 skipped=0

mkdir -p "$BASE"
: >"$SUMMARY.new"
t0=$SECONDS
for entry in $KERNELS; do
	suite=${entry%%=*}
	pkg=
	[[ $entry == *=* ]] && pkg=${entry#*=}
	dir=$BASE/k-$suite${pkg:+-$pkg}
	log=$dir.log
	mkdir -p "$dir"
	ts=$SECONDS
	# A suite the machine's own sources carry (bookworm here) comes from
	# them, with its updates: the kernel `make test-vm` boots.
	own=$suite
	grep -qsE "^(Suites:.*[[:space:]]$suite([[:space:]]|\$)|deb[[:space:]].*[[:space:]]$suite[[:space:]])" \
		/etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list && own=
	VNO_VM_DIR=$dir VNO_VM_SUITE=$own VNO_VM_KPKG=$pkg VNO_VM_RUN=$dir/run \
		"$HERE/test-vm.sh" >"$log" 2>&1
	rc=$?
	kver=$(cat "$dir/run/kernel-version" 2>/dev/null || echo "$entry")
	secs=$((SECONDS - ts))
	if ((rc == 77)); then
		skipped=$((skipped + 1))
		echo "kernel $entry: SKIP: $(grep -m1 '^SKIP: ' "$log" | sed 's/^SKIP: //')"
		continue
	fi
	checks=$(sed -n 's/^check-vm: \([0-9]*\) passed, \([0-9]*\) failed.*/\1 \2/p' "$log" | tail -n 1)
	read -r np nf <<<"${checks:-0 0}"
	if ((rc == 0)); then
		passed=$((passed + 1))
		echo "kernel $kver: pass ($np checks, ${secs}s)"
	else
		failed=$((failed + 1))
		what=$(grep -m3 '^  FAIL ' "$log" | sed 's/^  FAIL //' | cut -c1-200 | paste -sd';')
		[[ -n $what ]] || what=$(grep -E '^(run-vm|test-vm|fetch-kernel|build-initramfs): ' "$log" |
			tail -n 2 | cut -c1-200 | paste -sd';')
		echo "kernel $kver: FAIL: ${what:-see $log} ($nf of $((np + nf)) checks failed, ${secs}s)"
		sed 's/^/      /' "$log" | tail -n 40
	fi
	# What each hop used there, from the guest's doctor and record runs.
	if [[ -s $dir/run/console.log ]]; then
		awk '/^VNO-BEGIN doctor$/ { on = 1; next } /^VNO-END / { on = 0 } on && /^\{/' \
			"$dir/run/console.log" | head -n 1 |
			jq -c --arg s "$entry" --arg p "$(cat "$dir/run/kernel-package" 2>/dev/null)" \
				--arg r "$([[ $rc == 0 ]] && echo pass || echo fail)" \
				'{suite: $s, package: $p, result: $r, kernel, hops, drivers,
				  kinds: (.program_kinds | map_values(.ok))}' >>"$SUMMARY.new" 2>/dev/null
	fi
done
mv "$SUMMARY.new" "$SUMMARY"
echo "test-kernels: $((SECONDS - t0)) s for ${KERNELS// /, }"
echo "$passed passed, $failed failed, $skipped skipped"
((failed == 0 && passed > 0)) && exit 0
((failed == 0 && passed == 0)) && exit 77
exit 1
