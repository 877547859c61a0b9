#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# report over every file given, in its four output modes (summary and
# diagnoses, --frames, --json --frames, --html), under a sanitizer build: any
# sanitizer report, crash or unexpected exit code fails. Crafted worst
# cases (tests/fuzz/craft.c) are made first into WORK and read too.
# Usage: report-all.sh VNOFFLOAD-TRACE CRAFT WORK DIR|FILE...
set -u
bin=$1 craft=$2 work=$3
shift 3
mkdir -p "$work"
"$craft" devices 20000 "$work/devices.pcapng.gz" &&
	"$craft" reasons 2000 "$work/reasons.pcapng.gz" &&
	"$craft" hangs 300 "$work/hangs.pcapng.gz" &&
	"$craft" ifaces 20000 "$work/ifaces.pcapng.gz" &&
	"$craft" escapes "$work/escapes.pcapng" || { echo "report-all: craft failed"; exit 1; }

runs=0 fails=0
err=$(mktemp) out=$(mktemp) page=$(mktemp)
trap 'rm -f "$err" "$out" "$page"' EXIT
while IFS= read -r -d '' f; do
	for mode in "" "--frames" "--json --frames" "--html $page"; do
		# shellcheck disable=SC2086 # the mode is words
		"$bin" report $mode "$f" >"$out" 2>"$err"
		rc=$?
		runs=$((runs + 1))
		# 0 read, 1 refused with a sentence, 3 cut short: anything else
		# (99 is the sanitizers' exit code here) or a report is a failure.
		if { [ $rc -ne 0 ] && [ $rc -ne 1 ] && [ $rc -ne 3 ]; } ||
			grep -qE "Sanitizer|runtime error:" "$err"; then
			echo "FAIL: report $mode $f: exit $rc"
			head -40 "$err"
			fails=$((fails + 1))
		fi
		# Nothing from a capture reaches the terminal raw.
		if [ -z "$mode" ] && LC_ALL=C grep -q $'\x1b' "$out"; then
			echo "FAIL: report $f printed an escape character"
			fails=$((fails + 1))
		fi
		if [ "${mode%% *}" = --html ] && LC_ALL=C grep -q $'\x1b' "$page"; then
			echo "FAIL: report --html $f wrote an escape character"
			fails=$((fails + 1))
		fi
	done
done < <(find "$work" "$@" -type f -print0 | sort -z)
echo "report-all: $runs runs, $fails failed"
[ $fails -eq 0 ]
