#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# doctor's interface table in a namespace holding wide values (a 15-character
# name, a long driver name, TSO limits of 524280/65535): every row's columns
# start where the header's do.
. "$(dirname "$0")/lib.sh"

tb_need_root
tb_need_vno
tb_need_cmd ip
NS=vnod-$TB_SFX
tb_netns_add "$NS"
ip -n "$NS" link add averyverylongnm type veth peer name v1 || tb_fatal "cannot create veth"
ip -n "$NS" link add br-doctor0 type bridge 2>/dev/null || true
ip netns exec "$NS" "$VNO_BIN" doctor >"$TB_TMP/doctor.txt" 2>"$TB_TMP/doctor.err" ||
	tb_fatal "doctor: $(head -c 300 "$TB_TMP/doctor.err")"
sed -n '/^interfaces (netns/,$p' "$TB_TMP/doctor.txt" | tail -n +2 >"$TB_TMP/table"
rows=$(($(wc -l <"$TB_TMP/table") - 1))
((rows >= 3)) || tb_fatal "doctor's interface table has $rows rows: $(cat "$TB_TMP/table")"
grep -q '^  averyverylongnm ' "$TB_TMP/table" && tb_pass "the 15-character name is whole" ||
	tb_fail "the 15-character name is not in the table"

# Where each column starts: a non-blank after a blank, in the header line.
starts() { awk '{ s = ""; for (i = 2; i <= length($0); i++) if (substr($0, i, 1) != " " && substr($0, i - 1, 1) == " ") s = s " " i; print s }'; }
head_starts=$(head -n 1 "$TB_TMP/table" | starts)
bad=0
while IFS= read -r line; do
	[[ "$(starts <<<"$line")" == "$head_starts" ]] || { bad=$((bad + 1)); tb_log "misaligned: $line"; }
done < <(tail -n +2 "$TB_TMP/table")
assert_eq "$bad" 0 "all $rows rows start their columns where the header does ($(wc -w <<<"$head_starts") columns)"
grep -q ' $' "$TB_TMP/table" && tb_fail "a line of the table ends in blanks" ||
	tb_pass "no line of the table ends in blanks"

tb_finish
