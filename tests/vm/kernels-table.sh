#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# The README's "Kernels it has run on" table, written from the last kernel
# matrix run (.output/vm/kernels.jsonl, by test-kernels.sh) and this host's
# own `doctor`, never typed by hand:
#
#   tests/vm/kernels-table.sh            print the table
#   tests/vm/kernels-table.sh --readme   replace it in README.md, between the
#                                        <!-- kernels:begin/end --> markers
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SUMMARY=${VNO_VM_BASE:-$ROOT/.output/vm}/kernels.jsonl
VNO_BIN=${VNO_BIN:-$ROOT/vnoffload-trace}

[[ -s $SUMMARY ]] || { echo "kernels-table: no $SUMMARY: run make test-kernels first" >&2; exit 1; }

rows=$(
	{
		cat "$SUMMARY"
		# The host: the integration tests ran here.
		if [[ -x $VNO_BIN ]] && d=$("$VNO_BIN" --json doctor 2>/dev/null); then
			jq -c '{suite: "this host", package: "", result: "pass (make test)", kernel, hops,
				drivers, kinds: (.program_kinds | map_values(.ok))}' <<<"$d"
		fi
	} | jq -r -s '
		# A hop: its hook kind (tp_btf, kprobe, tcx…), or "—" and the reason.
		def kind: if startswith("none") then "—" else (split("/")[0] | split(" ")[0]) end;
		def why: sub("^none: "; "");
		sort_by(.kernel | split(".") | map(tonumber? // 0))[]
		| . as $k
		| [ "\(.kernel)\(if .package != "" then " (`\(.package | split(" ")[0])`)" else "" end)",
		    .result,
		    ([.hops.xmit, .hops.rx, .hops.done] | map(kind) | unique | join(", ")),
		    (.hops["tc-egress"] | if startswith("none") then "— (\(why))" else . end),
		    ([.drivers[]? | select(.use == "fentry" or .use == "kprobe") | .use] | unique
			| if length == 0 then "—" else join(", ") end),
		    # One reason, the functions it holds for (names in the reason
		    # spelt as FUNC, so one sentence covers them all).
		    ([.drivers[]? | select(.use | startswith("none"))
			| {f: .function, r: (.function as $f | .use | why | gsub($f; "FUNC"))}]
			| group_by(.r) | map("\(map("`\(.f)`") | join(", ")): \(.[0].r)")
			| if length == 0 then "—" else join("; ") end)
		  ] | "| " + join(" | ") + " |"'
)
table=$(
	echo "| kernel | result | tracepoint hops | TC hops | driver hooks | driver functions left out, and why |"
	echo "|---|---|---|---|---|---|"
	echo "$rows"
)

if [[ ${1:-} != --readme ]]; then
	echo "$table"
	exit 0
fi
README=$ROOT/README.md
grep -q '^<!-- kernels:begin -->$' "$README" && grep -q '^<!-- kernels:end -->$' "$README" ||
	{ echo "kernels-table: README.md has no <!-- kernels:begin/end --> markers" >&2; exit 1; }
tmp=$(mktemp)
awk -v t="$table" '
	/^<!-- kernels:begin -->$/ { print; print t; skip = 1; next }
	/^<!-- kernels:end -->$/ { skip = 0 }
	!skip' "$README" >"$tmp"
cat "$tmp" >"$README"
rm -f "$tmp"
echo "kernels-table: README.md updated ($(wc -l <<<"$rows") kernels)"
