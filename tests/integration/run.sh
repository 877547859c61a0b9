#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Run every tests/integration/test_*.sh in its own process and print
# PASS/FAIL/SKIP per test, then "N passed, N failed, N skipped".
# Exit status is non-zero when any test failed.
#
#   tests/integration/run.sh [PATTERN...]   e.g. run.sh planted iperf
#   VNO_VERBOSE=1  show every test's output, not only that of failures
#   VNO_KEEP=1     keep each test's temporary directory
set -u

here=$(cd "$(dirname "$0")" && pwd)
passed=0 failed=0 skipped=0

if [[ $(id -u) != 0 ]]; then
	echo "integration tests need root: they create network namespaces, taps and load BPF programs" >&2
	echo "0 passed, 1 failed, 0 skipped"
	exit 1
fi

# The recorder needs bpffs and tracefs; a fresh container may have neither.
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf ||
	echo "warning: could not mount bpffs on /sys/fs/bpf" >&2
if [[ ! -e /sys/kernel/tracing/events ]]; then
	mount -t tracefs tracefs /sys/kernel/tracing ||
		echo "warning: could not mount tracefs on /sys/kernel/tracing" >&2
fi

tests=()
for t in "$here"/test_*.sh; do
	[[ -e $t ]] || continue
	if (($# > 0)); then
		name=$(basename "$t" .sh)
		want=
		for p in "$@"; do
			[[ $name == *"$p"* ]] && want=1
		done
		[[ -n $want ]] || continue
	fi
	tests+=("$t")
done

for t in "${tests[@]}"; do
	name=$(basename "$t" .sh)
	log=$(mktemp "${TMPDIR:-/tmp}/vno-$name.XXXXXX")
	start=$SECONDS
	bash "$t" >"$log" 2>&1
	rc=$?
	secs=$((SECONDS - start))
	case $rc in
	0)
		passed=$((passed + 1))
		printf 'PASS  %-24s (%ds)\n' "$name" "$secs"
		[[ -n ${VNO_VERBOSE:-} ]] && sed 's/^/      /' "$log"
		;;
	77)
		skipped=$((skipped + 1))
		reason=$(grep -m1 '^SKIP: ' "$log" | sed 's/^SKIP: //')
		printf 'SKIP  %-24s %s\n' "$name" "${reason:-(no reason given)}"
		[[ -n ${VNO_VERBOSE:-} ]] && sed 's/^/      /' "$log"
		;;
	*)
		failed=$((failed + 1))
		printf 'FAIL  %-24s (exit %d, %ds)\n' "$name" "$rc" "$secs"
		sed 's/^/      /' "$log"
		;;
	esac
	rm -f "$log"
done

echo "$passed passed, $failed failed, $skipped skipped"
((failed == 0))
