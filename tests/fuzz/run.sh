#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Run each fuzz target for SECONDS on its seed corpus and print its
# executions; fails when a target finds a crash, a leak, a timeout or an
# allocation above the malloc limit (its input is kept as DIR/NAME-crash-…).
# Usage: run.sh DIR SECONDS TARGET...
set -u
dir=$1 secs=$2
shift 2
here=$(dirname "$0")
fail=0
for t in "$@"; do
	mkdir -p "$dir/work-$t"
	opts=(-max_total_time="$secs" -timeout=20 -malloc_limit_mb=64 -rss_limit_mb=2048
	      -print_final_stats=1 -artifact_prefix="$dir/$t-")
	[ -f "$here/$t.dict" ] && opts+=(-dict="$here/$t.dict")
	# report's inputs build captures of thousands of frames; a raw file
	# needs room to hold a few hundred records too.
	[ "$t" = report ] && opts+=(-max_len=65536)
	"$dir/fuzz_$t" "${opts[@]}" "$dir/work-$t" "$here/corpus-$t" >"$dir/$t.log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/$t.log")
	printf '  fuzz %-8s %10s executions in %s s%s\n' "$t" "${execs:-?}" "$secs" \
		"$([ $rc -ne 0 ] && echo ": FAILED (exit $rc, log $dir/$t.log)")"
	if [ $rc -ne 0 ]; then
		# The end of the log without libFuzzer's progress lines (whose
		# dictionary entries may hold any word): the error, its stack,
		# and where the input was written.
		grep -v -E '^#[0-9]+[[:space:]]|^[[:space:]]+NEW_FUNC' "$dir/$t.log" | tail -n 40
		fail=1
	fi
done
exit $fail
