#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# A capture made on the test bed: `record -w` while planting super-frames
# and a hang (once, by the first case that needs it), then
#   readers  tshark and capinfos (independent readers) agree with what
#            record reported;
#   report   `report` turns the file into the same summary and the same
#            diagnosis, without the kernel;
#   cut      a copy cut in the middle is reported as far as it goes, then said;
#   stream   record -w - piped to tshark and to tcpdump, read as it is made;
#   offload_change  a recording of its own on a veth (no guest): `ethtool -K
#            DEV gso off` while it runs is an offload_change line, a note in
#            the capture that tshark with our dissector selects, and a line of `report` (terminal
#            and --json); the same switch back, a second one;
#   writer_thread  record -w --writer-thread (the blocks built, compressed and
#            written on a thread of their own): the planted frames read back
#            from the file, by report and by tshark, as record reported them.
# Run one case alone: test_capture_bed.sh CASE.
. "$(dirname "$0")/lib.sh"

tb_need_vno
tb_need_cmd tshark capinfos
[[ -w /dev/kmsg ]] || skip "cannot write /dev/kmsg to plant a hang line"

REC=$TB_TMP/record.jsonl
CAP=$TB_TMP/bed.pcapng.gz

# make_capture: record it on a bed of the case's own, unless an earlier case
# of this run did.
make_capture()
{
	[[ -e $TB_TMP/capture.done ]] && return 0
	tb_up
	vno_record_start "$REC" -- -i tap0 -i up0 --json --stall-ms 0 -w "$CAP"
	frames=()
	for i in $(seq 1 12); do frames+=("tcp4-tso:segs=10:mss=1448:sport=$((46000 + i))"); done
	tb_plant "${frames[@]}" udp4-uso:segs=5:mss=1200:sport=46100 tcp6-tso:segs=4:mss=1428:sport=46101
	tb_wait_jq "$REC" '[.[] | select(.type == "frame" and .hop == "xmit" and .dev == "up0"
		and .sport > 46000)] | length == 14' || tb_fail "the planted frames reached up0's xmit"
	echo "<3>e1000e 0000:00:19.0 up0: Detected Hardware Unit Hang:" >/dev/kmsg
	tb_wait_jq "$REC" 'any(.type == "hang")' || tb_fail "the hang was reported"
	vno_record_stop INT
	assert_eq "$VNO_REC_RC" 0 "record -w exits 0"
	touch "$TB_TMP/capture.done"
}

case_readers()
{
	make_capture
	n=$(jq -s 'map(select(.type == "frame")) | length' "$REC")
	assert_eq "$(stat -c %a "$CAP")" 600 "the capture is mode 0600"
	tshark -r "$CAP" -Y frame.interface_id >"$TB_TMP/tshark.txt" 2>"$TB_TMP/tshark.err"
	assert_eq "$?" 0 "tshark -r reads the capture ($(head -c 200 "$TB_TMP/tshark.err"))"
	assert_eq "$(wc -l <"$TB_TMP/tshark.txt")" "$n" "tshark lists every frame record reported"
	pk=$(capinfos -c -M "$CAP" 2>/dev/null | awk -F: '/Number of packets/ { gsub(/ /, "", $2); print $2 }')
	assert_eq "$pk" "$n" "capinfos counts the same packets"
	tshark -r "$CAP" -Y frame.interface_id -T fields -e frame.comment >"$TB_TMP/comments.txt" 2>/dev/null
	assert_eq "$(grep -c 'gso_size=1448 gso_segs=10 gso_type=tcpv4|dodgy ip_summed=partial csum=partial@34+16 hop=xmit' \
		"$TB_TMP/comments.txt")" 12 "tshark shows the comment on each planted TSO frame at xmit"
}

case_report()
{
	make_capture
	REP=$TB_TMP/report.jsonl
	"$VNO_BIN" report --json "$CAP" >"$REP" 2>"$TB_TMP/report.err"
	assert_eq "$?" 0 "report reads the capture ($(head -c 200 "$TB_TMP/report.err"))"
	assert_jq "$REP" '.[0].type == "capture" and (.[0].hooks.xmit | test("net_dev_start_xmit"))' \
		"report: the capture's session (hooks) comes first"
	# The same frames through the same aggregator: the same counts per hop.
	jq -c -s '.[-1].devices | map({dev, hop, frames, bytes, gso_frames}) | sort_by(.dev, .hop)' \
		"$REC" >"$TB_TMP/sum-record.json"
	jq -c -s '.[-1].devices | map({dev, hop, frames, bytes, gso_frames}) | sort_by(.dev, .hop)' \
		"$REP" >"$TB_TMP/sum-report.json"
	assert_eq "$(cat "$TB_TMP/sum-report.json")" "$(cat "$TB_TMP/sum-record.json")" \
		"report: the same per-device, per-hop summary as record"
	assert_jq "$REP" '.[-1].type == "summary" and .[-1].lost_events == 0' "report: no events lost"
	# The hang is diagnosed again from the frames before it.
	jq -c -s 'map(select(.type == "hang"))[0] | {dev, source, n: (.frames_before | length),
		verdict}' "$REC" >"$TB_TMP/hang-record.json"
	jq -c -s 'map(select(.type == "hang"))[0] | {dev, source, n: (.frames_before | length),
		verdict}' "$REP" >"$TB_TMP/hang-report.json"
	assert_eq "$(cat "$TB_TMP/hang-report.json")" "$(cat "$TB_TMP/hang-record.json")" \
		"report: the same diagnosis as record"
	# The path from the bridge relations the capture keeps (master).
	assert_eq "$(jq -c -s 'map(select(.type == "hang"))[0].path | [.hops[] | .name + ":" + .role]' "$REP")" \
		'["tap0:tap","br0:bridge","up0:uplink"]' "report: the path tap0 -> br0 -> up0 from the capture"
	# The same capture through a pipe: report - reads stdin, gzip or not.
	"$VNO_BIN" report --json - <"$CAP" >"$TB_TMP/report-stdin.jsonl" 2>"$TB_TMP/report-stdin.err"
	assert_eq "$?" 0 "report - reads the capture from stdin ($(head -c 200 "$TB_TMP/report-stdin.err"))"
	assert_eq "$(tail -n +2 "$TB_TMP/report-stdin.jsonl" | md5sum)" "$(tail -n +2 "$REP" | md5sum)" \
		"report -: the same lines as report FILE after the header"
	gzip -dc "$CAP" | "$VNO_BIN" report --json - >"$TB_TMP/report-plain.jsonl" 2>/dev/null
	assert_eq "$(tail -n +2 "$TB_TMP/report-plain.jsonl" | md5sum)" "$(tail -n +2 "$REP" | md5sum)" \
		"report -: a plain (gunzipped) capture on stdin, the same lines"
}

# A copy cut in the middle: reported as far as it goes, then said.
case_cut()
{
	make_capture
	sz=$(stat -c %s "$CAP")
	head -c $((sz / 2)) "$CAP" >"$TB_TMP/cut.pcapng.gz"
	"$VNO_BIN" report "$TB_TMP/cut.pcapng.gz" >"$TB_TMP/cut.out" 2>"$TB_TMP/cut.err"
	rc=$?
	assert_eq "$rc" 3 "report of a cut file exits 3"
	assert_eq "$(wc -l <"$TB_TMP/cut.err")" 1 "one sentence on stderr ($(cat "$TB_TMP/cut.err"))"
	grep -q 'truncated: read [0-9]* records' "$TB_TMP/cut.err" ||
		tb_fail "the sentence says truncated and how many records were read"
	grep -q 'DEVICE' "$TB_TMP/cut.out" && tb_pass "the records before the cut are summarised" ||
		tb_fail "the records before the cut are summarised"
}

_stream_gone() { ! kill -0 "$1" 2>/dev/null; }
_stream_lines() { (($(wc -l <"$1") >= $2)); }

# record -w - into a pipe: tshark, reading the pipe, has the planted frames
# while record still runs (each block is written as it is made); the JSON
# lines go to stderr; a reader that goes away stops record cleanly; tcpdump
# reads a whole stream and counts every frame record reported.
case_stream()
{
	tb_need_cmd tcpdump
	tb_up
	local fifo=$TB_TMP/stream.fifo ts rec n
	mkfifo "$fifo" "$fifo.2" || tb_fatal "mkfifo"
	tshark -l -r - -T fields -e frame.comment \
		-Y 'frame.comment contains "gso_size=1448 gso_segs=10 " and frame.comment contains "hop=xmit"' \
		<"$fifo" >"$TB_TMP/stream.tshark" 2>"$TB_TMP/stream.tshark.err" &
	ts=$!
	TB_PIDS+=("$ts")
	tb_bg "$TB_H" "$fifo" "$VNO_BIN" record -i tap0 -i up0 --json --stall-ms 0 -w -
	rec=$TB_BG_PID
	_tb_wait_ready "record -w - (ready line on stderr)" "$rec" "$fifo.err"
	tb_plant tcp4-tso:segs=10:mss=1448:sport=46201 tcp4-tso:segs=10:mss=1448:sport=46202 \
		tcp4-tso:segs=10:mss=1448:sport=46203 tcp4-tso:segs=10:mss=1448:sport=46204
	tb_wait_until "$TB_TIMEOUT" _stream_lines "$TB_TMP/stream.tshark" 4 ||
		tb_fail "tshark read 4 planted frames from the pipe ($(head -c 200 "$TB_TMP/stream.tshark.err"))"
	kill -0 "$rec" 2>/dev/null && tb_pass "tshark had them while record still ran: blocks are not held back" ||
		tb_fail "record still ran when tshark had the frames (exited early: $(tail -c 300 "$fifo.err"))"
	assert_eq "$(grep -c 'hop=xmit' "$TB_TMP/stream.tshark")" 4 "tshark shows the 4 planted frames' comments"
	# Nobody reads the pipe now: the next block stops record, exit 0.
	tb_kill "$ts"
	tb_plant tcp4-tso:segs=10:mss=1448:sport=46205
	tb_wait_until "$TB_TIMEOUT" _stream_gone "$rec" || tb_fail "record stopped once its reader left"
	wait "$rec"
	assert_eq "$?" 0 "record -w - exits 0 when its reader went away"
	grep -q 'reader of standard output closed it' "$fifo.err" ||
		tb_fail "record says its reader went away: $(grep -v '^{' "$fifo.err" | head -c 300)"
	assert_eq "$(grep '^{' "$fifo.err" | tail -n 1 | jq -r .type)" summary \
		"the summary still comes, on stderr"

	# A whole stream through tcpdump: every frame record, then a clean end.
	tcpdump -n -r - <"$fifo.2" >"$TB_TMP/stream.tcpdump" 2>"$TB_TMP/stream.tcpdump.err" &
	ts=$!
	TB_PIDS+=("$ts")
	tb_bg "$TB_H" "$fifo.2" "$VNO_BIN" record -i tap0 -i up0 --json --stall-ms 0 -w -
	rec=$TB_BG_PID
	_tb_wait_ready "record -w - (tcpdump)" "$rec" "$fifo.2.err"
	tb_plant tcp4-tso:segs=10:mss=1448:sport=46211 udp4-uso:segs=5:mss=1200:sport=46212
	tb_wait_jq "$fifo.2.err" '[.[] | select(.type == "frame" and .hop == "xmit" and .dev == "up0"
		and .sport > 46210)] | length == 2' || tb_fail "the planted frames reached up0's xmit"
	kill -INT "$rec"
	wait "$rec"
	assert_eq "$?" 0 "record -w - exits 0 on Ctrl-C"
	wait "$ts"
	assert_eq "$?" 0 "tcpdump -r - reads the stream to its end ($(head -c 200 "$TB_TMP/stream.tcpdump.err"))"
	n=$(jq -s 'map(select(.type == "frame")) | length' "$fifo.2.err")
	assert_eq "$(wc -l <"$TB_TMP/stream.tcpdump")" "$n" "tcpdump lists every frame record reported"
	assert_ne "$n" 0 "frames were reported"
}

case_offload_change()
{
	local ns=vnoc$$ out=$TB_TMP/oc.jsonl cap=$TB_TMP/oc.pcapng.gz want
	tb_netns_add "$ns"
	ip -n "$ns" link add ocv0 type veth peer name ocv1 || tb_fatal "cannot create veth ocv0"
	ip -n "$ns" link set ocv0 up
	[[ $(ip netns exec "$ns" ethtool -k ocv0 | awk '$1 == "generic-segmentation-offload:" { print $2 }') == on ]] ||
		ip netns exec "$ns" ethtool -K ocv0 gso on
	vno_record_start "$out" "$ns" -- -i ocv0 --json -w "$cap"
	ip netns exec "$ns" ethtool -K ocv0 gso off || tb_fatal "ethtool -K ocv0 gso off failed"
	want='any(.[]; .type == "offload_change" and .dev == "ocv0" and .driver == "veth" and .vm == null
		and .changed == [{"feature": "tx-generic-segmentation", "from": true, "to": false}])'
	tb_wait_jq "$out" "$want" && tb_pass "record --json: gso off on ocv0 is an offload_change line" ||
		tb_fail "no offload_change line for ocv0: $(grep offload_change "$out" | head -2)"
	ip netns exec "$ns" ethtool -K ocv0 gso on
	tb_wait_jq "$out" '[.[] | select(.type == "offload_change" and .dev == "ocv0")] | length == 2' &&
		tb_pass "gso on again: a second line" || tb_fail "no second offload_change line"
	vno_record_stop INT
	assert_eq "$VNO_REC_RC" 0 "record exits 0"
	assert_eq "$(tshark -X "lua_script:$TB_ROOT/contrib/wireshark/vnoffload.lua" -r "$cap" \
		-Y 'vno.block.kind == "offload_change"' 2>/dev/null | wc -l)" 2 \
		"tshark with the dissector: vno.block.kind == \"offload_change\" selects the two notes"
	"$VNO_BIN" report --json "$cap" >"$TB_TMP/oc-report.jsonl" 2>"$TB_TMP/oc-report.err"
	assert_eq "$?" 0 "report --json reads it ($(head -c 200 "$TB_TMP/oc-report.err"))"
	assert_eq "$(jq -c 'select(.type == "offload_change") | del(.ts_ns)' "$TB_TMP/oc-report.jsonl")" \
		"$(jq -c 'select(.type == "offload_change") | del(.ts_ns)' "$out")" \
		"report --json: the same two offload_change lines as record"
	"$VNO_BIN" report "$cap" >"$TB_TMP/oc-report.txt" 2>&1
	grep -q '^OFFLOAD ocv0 (veth) at [0-9.]* s: tx-generic-segmentation on -> off$' "$TB_TMP/oc-report.txt" &&
		tb_pass "report: OFFLOAD ocv0 (veth) … tx-generic-segmentation on -> off" ||
		tb_fail "report's terminal output: $(grep -i offload "$TB_TMP/oc-report.txt" | head -2)"
}

case_writer_thread()
{
	local rec=$TB_TMP/wt.jsonl cap=$TB_TMP/wt.pcapng.gz rep=$TB_TMP/wt-report.jsonl i frames=()
	local planted='select(.type == "frame" and .hop == "xmit" and .dev == "up0"
		and .sport > 46300 and .sport <= 46312)'
	tb_up
	vno_record_start "$rec" -- -i tap0 -i up0 --json --stall-ms 0 -w "$cap" --writer-thread
	for i in $(seq 1 12); do frames+=("tcp4-tso:segs=10:mss=1448:sport=$((46300 + i))"); done
	tb_plant "${frames[@]}"
	tb_wait_jq "$rec" "[.[] | $planted] | length == 12" || tb_fail "the 12 planted frames reached up0's xmit"
	vno_record_stop INT
	assert_eq "$VNO_REC_RC" 0 "record -w --writer-thread exits 0"
	"$VNO_BIN" report --frames --json "$cap" >"$rep" 2>"$TB_TMP/wt-report.err"
	assert_eq "$?" 0 "report reads the capture, not cut ($(head -c 200 "$TB_TMP/wt-report.err"))"
	# Each planted frame as record reported it, every field but the time.
	jq -c -s "[.[] | $planted | del(.ts_ns)] | sort_by(.sport)" "$rec" >"$TB_TMP/wt-want.json"
	jq -c -s "[.[] | $planted | del(.ts_ns)] | sort_by(.sport)" "$rep" >"$TB_TMP/wt-got.json"
	assert_eq "$(jq length "$TB_TMP/wt-got.json")" 12 "report: the 12 planted frames at up0's xmit"
	assert_eq "$(cat "$TB_TMP/wt-got.json")" "$(cat "$TB_TMP/wt-want.json")" \
		"report: the planted frames field for field as record reported them"
	assert_jq "$rep" "[.[] | $planted | select(.gso_size == 1448 and .gso_segs == 10
		and .ip_summed == \"partial\")] | length == 12" "report: their GSO and checksum metadata"
	# The same totals as record's summary.
	assert_eq "$(jq -c -s '.[-1].devices | map({dev, hop, frames, bytes}) | sort_by(.dev, .hop)' "$rep")" \
		"$(jq -c -s '.[-1].devices | map({dev, hop, frames, bytes}) | sort_by(.dev, .hop)' "$rec")" \
		"report: the same per-device, per-hop summary as record"
	tshark -r "$cap" -Y 'frame.interface_id and tcp.srcport > 46300 and tcp.srcport <= 46312' \
		-T fields -e frame.comment >"$TB_TMP/wt-tshark.txt" 2>"$TB_TMP/wt-tshark.err"
	assert_eq "$(grep -c 'gso_size=1448 gso_segs=10 gso_type=tcpv4|dodgy ip_summed=partial csum=partial@34+16 hop=xmit' \
		"$TB_TMP/wt-tshark.txt")" 12 "tshark: the comment on each planted frame at xmit"
}

tb_run_cases "readers report cut stream offload_change writer_thread" "$@"
