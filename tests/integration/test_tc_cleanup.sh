#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# No TC attachment of ours outlives record: start it, kill -9, start it
# again, stop it with SIGINT, and nothing of ours may remain on up0 — for
# --tc-mode tcx, --tc-mode clsact, and a clsact run killed then followed by a
# tcx run (the stale clsact filters must still be removed).
#
# Independent readers: `tc filter show` and `bpftool net show` for clsact
# filters; `vno-guest --tcx-show` (BPF_PROG_QUERY) for TCX links, which
# bpftool 7.1 and iproute2 6.1 cannot list.
. "$(dirname "$0")/lib.sh"

tb_need_vno
tb_need_cmd tc bpftool
tb_up

# Lines naming one of our clsact filters (prog name vno_*, or our handle).
clsact_ours()
{
	{
		ip netns exec "$TB_H" tc filter show dev up0 ingress
		ip netns exec "$TB_H" tc filter show dev up0 egress
	} 2>/dev/null | grep -cE 'vno|handle 0x766e'
}

bpftool_ours()
{
	ip netns exec "$TB_H" bpftool net show dev up0 2>/dev/null | grep -c 'vno'
}

# Our programs on up0 through TCX, "ingress egress" counts.
tcx_ours()
{
	ip netns exec "$TB_H" "$VNO_GUEST" --tcx-show up0 |
		jq -r '[(.ingress, .egress) | if type == "array" then map(select(.name // "" | startswith("vno"))) | length else -1 end] | "\(.[0]) \(.[1])"'
}

attached()
{
	local mode=$1 what=$2
	case $mode in
	tcx) assert_eq "$(tcx_ours)" "1 1" "$what: one TCX program of ours on up0 ingress and egress" ;;
	clsact) assert_eq "$(clsact_ours)" 2 "$what: one clsact filter of ours on up0 ingress and egress" ;;
	esac
}

nothing_left()
{
	local what=$1
	assert_eq "$(clsact_ours)" 0 "$what: no clsact filter of ours (tc filter show)"
	assert_eq "$(bpftool_ours)" 0 "$what: no program of ours (bpftool net show)"
	assert_eq "$(tcx_ours)" "0 0" "$what: no TCX program of ours"
}

# scenario KILLED_MODE RESTART_MODE
scenario()
{
	local killed=$1 restart=$2 rec=$TB_TMP/record-$1-$2.jsonl
	tb_log "--- killed with --tc-mode $killed, restarted with --tc-mode $restart"
	nothing_left "before ($killed)"

	vno_record_start "$rec" -- -i up0 --json --tc-mode "$killed"
	assert_jq "$rec" '.[0].hooks["tc-egress"] | test($m)' \
		"ready line: tc-egress uses $killed" --arg m "$killed"
	attached "$killed" "while running"
	vno_record_stop KILL

	local left_clsact left_tcx
	left_clsact=$(clsact_ours)
	left_tcx=$(tcx_ours)
	tb_log "after kill -9: $left_clsact clsact filter(s), TCX ingress/egress: $left_tcx"
	if [[ $killed == tcx ]]; then
		# A TCX link dies with the last file descriptor: the kernel detaches it.
		assert_eq "$left_tcx" "0 0" "after kill -9: the kernel detached the TCX links"
	fi

	vno_record_start "$rec.2" -- -i up0 --json --tc-mode "$restart"
	attached "$restart" "restarted"
	if [[ $restart != clsact ]]; then
		assert_eq "$(clsact_ours)" 0 "restarted with $restart: stale clsact filters removed at start"
	fi
	vno_record_stop INT
	assert_eq "$VNO_REC_RC" 0 "record exits 0 on SIGINT"
	nothing_left "after the clean exit"
}

scenario tcx tcx
scenario clsact clsact
scenario clsact tcx

# Whether our clsact qdisc stays is not ours to decide (others may use it);
# say what was left, for the record.
tb_log "qdiscs on up0 at the end: $(ip netns exec "$TB_H" tc qdisc show dev up0 | tr '\n' ';')"

tb_finish
