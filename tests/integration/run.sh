#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Run every tests/integration/test_*.sh in its own process and print
# PASS/FAIL/SKIP per test and, under it, per case (tests made of cases, see
# tb_run_cases in lib.sh), then
#   scripts: N passed, N failed, N skipped; cases: N passed, N failed, N skipped
#   N passed, N failed, N skipped            (the scripts, the closing line)
# A script that is not made of cases counts as one case. Exit status is
# non-zero when any test failed.
#
#   tests/integration/run.sh [PATTERN[:CASE,CASE...]...]
#       run.sh planted iperf          the tests whose name holds a pattern
#       run.sh export:listen          case "listen" of test_export.sh (with
#       run.sh test_hang.sh:kmsg,stall  cases, an exact name wins over a
#                                     substring)
#   VNO_VERBOSE=1  show every test's output, not only that of failures
#   VNO_KEEP=1     keep each test's temporary directory
set -u

here=$(cd "$(dirname "$0")" && pwd)
passed=0 failed=0 skipped=0
c_passed=0 c_failed=0 c_skipped=0

if [[ $(id -u) != 0 ]]; then
	echo "integration tests need root: they create network namespaces, taps and load BPF programs" >&2
	echo "scripts: 0 passed, 1 failed, 0 skipped; cases: 0 passed, 0 failed, 0 skipped"
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

# matches NAME PATTERN HAS_CASES: whether test NAME is meant by PATTERN. A
# pattern with cases names one script when one is named exactly.
matches()
{
	local name=$1 pat=${2%.sh} with_cases=$3
	[[ $name == "$pat" || $name == "test_$pat" ]] && return 0
	if [[ -n $with_cases ]] && [[ -e $here/$pat.sh || -e $here/test_$pat.sh ]]; then
		return 1
	fi
	[[ $name == *"$pat"* ]]
}

tests=()
declare -A cases=()	# test path -> cases chosen ("" = its defaults)
for t in "$here"/test_*.sh; do
	[[ -e $t ]] || continue
	name=$(basename "$t" .sh)
	if (($# == 0)); then
		tests+=("$t")
		cases[$t]=
		continue
	fi
	want='' all=''
	for arg in "$@"; do
		pat=${arg%%:*} chosen=''
		[[ $arg == *:* ]] && chosen=${arg#*:}
		matches "$name" "$pat" "$chosen" || continue
		want=1
		if [[ -z $chosen ]]; then
			all=1
		else
			cases[$t]+=" ${chosen//,/ }"
		fi
	done
	[[ -n $want ]] || continue
	[[ -n $all ]] && cases[$t]=
	tests+=("$t")
done

# The cases' own lines in a test's log: PASS|FAIL|SKIP  NAME:CASE ...
case_lines() { grep -E "^(PASS|FAIL|SKIP)  $2:[A-Za-z0-9_]+( |\$)" "$1"; }

for t in "${tests[@]}"; do
	name=$(basename "$t" .sh)
	log=$(mktemp "${TMPDIR:-/tmp}/vno-$name.XXXXXX")
	start=$SECONDS
	chosen=()
	read -r -a chosen <<<"${cases[$t]}"
	if ((${#chosen[@]} > 0)) && ! grep -q '^tb_run_cases ' "$t"; then
		echo "$name is not made of cases: cannot run ${chosen[*]} alone" >"$log"
		rc=1
	else
		bash "$t" "${chosen[@]}" >"$log" 2>&1
		rc=$?
	fi
	secs=$((SECONDS - start))
	case $rc in
	0)
		passed=$((passed + 1))
		printf 'PASS  %-24s (%ds)\n' "$name" "$secs"
		;;
	77)
		skipped=$((skipped + 1))
		reason=$(grep -m1 '^SKIP: ' "$log" | sed 's/^SKIP: //')
		printf 'SKIP  %-24s %s\n' "$name" "${reason:-(no reason given)}"
		;;
	*)
		failed=$((failed + 1))
		printf 'FAIL  %-24s (exit %d, %ds)\n' "$name" "$rc" "$secs"
		;;
	esac
	if case_lines "$log" "$name" >/dev/null; then
		case_lines "$log" "$name" | sed "s/^\(....\)  $name:/      \1  /"
		c_passed=$((c_passed + $(case_lines "$log" "$name" | grep -c '^PASS')))
		c_failed=$((c_failed + $(case_lines "$log" "$name" | grep -c '^FAIL')))
		c_skipped=$((c_skipped + $(case_lines "$log" "$name" | grep -c '^SKIP')))
		# A failure outside every case (before them, or a bad case name).
		if ((rc != 0 && rc != 77)) && ! case_lines "$log" "$name" | grep -q '^FAIL'; then
			c_failed=$((c_failed + 1))
		fi
	else
		case $rc in
		0) c_passed=$((c_passed + 1)) ;;
		77) c_skipped=$((c_skipped + 1)) ;;
		*) c_failed=$((c_failed + 1)) ;;
		esac
	fi
	if ((rc != 0 && rc != 77)) || [[ -n ${VNO_VERBOSE:-} ]]; then
		sed 's/^/      /' "$log"
	fi
	rm -f "$log"
done

echo "scripts: $passed passed, $failed failed, $skipped skipped;" \
	"cases: $c_passed passed, $c_failed failed, $c_skipped skipped"
echo "$passed passed, $failed failed, $skipped skipped"
((failed == 0))
