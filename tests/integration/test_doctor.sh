#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# doctor's interface table in a namespace holding wide values (a 15-character
# name, a long driver name, TSO limits of 524280/65535): every row's columns
# start where the header's do; and the path a guest's frames take, for a
# bed of tap -> bridge -> veth: the three devices in that order with their
# offloads, no NIC among them (text and --json).
. "$(dirname "$0")/lib.sh"

tb_need_root
tb_need_vno
tb_need_cmd ip
NS=vnod-$TB_SFX
tb_netns_add "$NS"
ip -n "$NS" link add averyverylongnm type veth peer name v1 || tb_fatal "cannot create veth"
ip -n "$NS" link add br-doctor0 type bridge 2>/dev/null || true
# The path bed: a tap (as a VMM leaves it) and a veth uplink on brd0.
ip -n "$NS" link add brd0 type bridge || tb_fatal "cannot create bridge brd0"
ip -n "$NS" tuntap add dev dtap0 mode tap || tb_fatal "cannot create tap dtap0"
ip -n "$NS" link add dup0 type veth peer name dup1 || tb_fatal "cannot create veth dup0"
ip -n "$NS" link set dtap0 master brd0 && ip -n "$NS" link set dup0 master brd0 ||
	tb_fatal "cannot enslave dtap0 and dup0 to brd0"
ip netns exec "$NS" "$VNO_BIN" doctor >"$TB_TMP/doctor.txt" 2>"$TB_TMP/doctor.err" ||
	tb_fatal "doctor: $(head -c 300 "$TB_TMP/doctor.err")"
sed -n '/^interfaces (netns/,/^$/p' "$TB_TMP/doctor.txt" | tail -n +2 | grep -v '^$' >"$TB_TMP/table"
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

# The path: after its heading, a header row, then tap, bridge, uplink.
sed -n '/^paths from the guests/,$p' "$TB_TMP/doctor.txt" >"$TB_TMP/paths"
tb_log "$(cat "$TB_TMP/paths")"
assert_eq "$(awk 'NR >= 3 && NR <= 5 { print $1, $2, $3 }' "$TB_TMP/paths" | paste -sd,)" \
	"dtap0 tap tun,brd0 bridge bridge,dup0 uplink veth" \
	"doctor prints the path dtap0 (tap) -> brd0 (bridge) -> dup0 (uplink)"
assert_eq "$(awk 'NR == 2 { print $4, $5, $6, $7, $8 }' "$TB_TMP/paths")" "TSO TSO6 USO GSO CSUM" \
	"the path's columns: TSO TSO6 USO GSO CSUM"
want=$(ip netns exec "$NS" ethtool -k dup0 | awk '$1 == "tx-tcp-segmentation:" { print $2 }')
assert_eq "$(awk '$1 == "dup0" { print $4 }' "$TB_TMP/paths")" "$want" \
	"dup0's TSO on the path is what ethtool -k says ($want)"
grep -q '^  no NIC on this path' "$TB_TMP/paths" && tb_pass "no NIC on the path, said so" ||
	tb_fail "the path's note: $(tail -n 1 "$TB_TMP/paths")"
ip netns exec "$NS" "$VNO_BIN" doctor --json >"$TB_TMP/doctor.json" 2>/dev/null
assert_jq "$TB_TMP/doctor.json" '.[0].paths | length == 1 and (.[0] | ([.hops[] | "\(.name):\(.role)"] ==
	["dtap0:tap", "brd0:bridge", "dup0:uplink"]) and .meets == null and (.hops | all(.hw == false)))' \
	"doctor --json: one path, dtap0 -> brd0 -> dup0, no hardware on it"

tb_finish
