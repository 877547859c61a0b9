#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# No TC attachment of ours outlives record, each case on a test bed of its own:
#   kill9_tcx, kill9_clsact, kill9_clsact_tcx
#            start record, kill -9, start it again, stop it with SIGINT, and
#            nothing of ours may remain on up0 — for --tc-mode tcx, --tc-mode
#            clsact, and a clsact run killed then followed by a tcx run (the
#            stale clsact filters must still be removed);
#   orphans_record_clsact, orphans_record_tcx, orphans_record_off,
#   orphans_export_clsact
#            record or export killed in a TC mode, followed by a default run
#            (no -i, no --tc-mode): no filter, TCX link or BPF program of ours
#            is left anywhere (programs with our names that no process holds);
#   live     a filter of a running vnoffload-trace is not touched by another run;
#   qdisc    the clsact qdisc a run created goes with it, one holding another
#            tool's filter stays.
# Run one case alone: test_tc_cleanup.sh CASE.
#
# Independent readers: `tc filter show` and `bpftool net show` for clsact
# filters; `vno-guest --tcx-show` (BPF_PROG_QUERY) for TCX links, which
# bpftool 7.1 and iproute2 6.1 cannot list.
. "$(dirname "$0")/lib.sh"

tb_need_vno
tb_need_cmd tc bpftool

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

# Our program names as the kernel keeps them (BPF_OBJ_NAME_LEN - 1 bytes).
OUR_PROGS=$(bpftool btf dump file "$TB_ROOT/.output/vno.bpf.o" |
	sed -n "s/^\[[0-9]*\] FUNC '\([^']*\)'.*/\1/p" | cut -c1-15 | sort -u | jq -R . | jq -sc .)

# Ids of loaded programs with one of our names that no process holds open
# (a link's or a program's descriptor names it in fdinfo): what a killed
# run would leave behind. Other runs' live programs do not count.
orphans()
{
	local id
	for id in $(bpftool prog show -j | jq -r --argjson n "$OUR_PROGS" \
		'.[] | select(.name as $x | $n | index($x)) | .id'); do
		grep -qs "^prog_id:[[:space:]]*$id\$" /proc/[0-9]*/fdinfo/* || echo "$id"
	done
}
no_orphans() { [[ -z $(orphans) ]]; }

# killed_then_default CMD MODE: CMD (record or export) with --tc-mode MODE on
# up0, kill -9, then a default record run; nothing of ours may be left.
killed_then_default()
{
	local cmd=$1 mode=$2 out=$TB_TMP/$1-$2.jsonl
	tb_log "--- $cmd --tc-mode $mode killed, then a default record run"
	if [[ $cmd == export ]]; then
		export_start "$out" -i up0 --json --tc-mode "$mode" --listen 127.0.0.1:0
		export_stop KILL
	else
		vno_record_start "$out" -- -i up0 --json --tc-mode "$mode"
		vno_record_stop KILL
	fi
	if [[ $mode == clsact ]]; then
		# The check below can fail: here it sees what the killed run left.
		assert_eq "$(orphans | wc -l)" 2 "$cmd $mode killed: its two TC programs are held by nobody"
	fi
	vno_record_start "$out.default" -- --json
	vno_record_stop INT
	assert_eq "$VNO_REC_RC" 0 "$cmd $mode killed: the default run exits 0"
	nothing_left "$cmd $mode killed, then a default run"
	if tb_wait_until "$TB_TIMEOUT" no_orphans; then
		tb_pass "$cmd $mode killed, then a default run: no program of ours held by nobody"
	else
		tb_fail "$cmd $mode killed, then a default run: orphaned programs $(orphans | tr '\n' ' ')"
	fi
}

clsact_qdiscs() { ip netns exec "$TB_H" tc qdisc show dev up0 | grep -c clsact; }

case_kill9_tcx() { tb_up; scenario tcx tcx; }
case_kill9_clsact() { tb_up; scenario clsact clsact; }
case_kill9_clsact_tcx() { tb_up; scenario clsact tcx; }

case_orphans_record_clsact() { tb_up; killed_then_default record clsact; }
case_orphans_record_tcx() { tb_up; killed_then_default record tcx; }
case_orphans_record_off() { tb_up; killed_then_default record off; }
case_orphans_export_clsact() { tb_up; killed_then_default export clsact; }

# A live run's filters are not stale: a second run leaves them alone.
case_live()
{
	tb_up
	tb_log "--- a running clsact recorder and a second, default run"
	vno_record_start "$TB_TMP/live.jsonl" -- -i up0 --json --tc-mode clsact
	LIVE_PID=$VNO_REC_PID
	tb_bg "$TB_H" "$TB_TMP/second.jsonl" "$VNO_BIN" -v record --json -d 1
	wait "$TB_BG_PID"
	assert_eq "$?" 0 "the second run exits 0"
	attached clsact "the first run's filters after a second run"
	if grep -q "running vnoffload-trace (pid $LIVE_PID) is left alone" "$TB_TMP/second.jsonl.err"; then
		tb_pass "the second run says it left the live run's filters alone"
	else
		tb_fail "the second run's stderr: $(head -c 300 "$TB_TMP/second.jsonl.err")"
	fi
	VNO_REC_PID=$LIVE_PID
	vno_record_stop INT
	nothing_left "after the live run's clean exit"
}

# The clsact qdisc: the one a run made goes with it; one holding another
# tool's filter stays, with that filter.
case_qdisc()
{
	tb_up
	ip netns exec "$TB_H" tc qdisc del dev up0 clsact 2>/dev/null
	assert_eq "$(clsact_qdiscs)" 0 "no clsact qdisc on up0 to begin with"
	vno_record_start "$TB_TMP/q1.jsonl" -- -i up0 --json --tc-mode clsact
	assert_eq "$(clsact_qdiscs)" 1 "a clsact run made the qdisc"
	vno_record_stop INT
	assert_eq "$(clsact_qdiscs)" 0 "and removed it at its end"

	vno_record_start "$TB_TMP/q2.jsonl" -- -i up0 --json --tc-mode clsact
	ip netns exec "$TB_H" "$VNO_GUEST" --tc-foreign up0 >/dev/null 2>&1 ||
		tb_fail "could not put another tool's filter on up0"
	vno_record_stop INT
	assert_eq "$(clsact_qdiscs)" 1 "a qdisc that got another tool's filter meanwhile stays"
	assert_eq "$(ip netns exec "$TB_H" tc filter show dev up0 egress | grep -c 'other:')" 1 \
		"with that filter"
	nothing_left "and nothing of ours"

	# Whether our clsact qdisc stays is not ours to decide (others may use it);
	# say what was left, for the record.
	tb_log "qdiscs on up0 at the end: $(ip netns exec "$TB_H" tc qdisc show dev up0 | tr '\n' ';')"
}

tb_run_cases "kill9_tcx kill9_clsact kill9_clsact_tcx orphans_record_clsact orphans_record_tcx
	orphans_record_off orphans_export_clsact live qdisc" "$@"
