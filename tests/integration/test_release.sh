#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# What a release record says (issue #25): a done record describes the frame
# handed to the driver, whatever the skb became before its release, and the
# frames whose release no tracepoint shows are counted, not lost.
#
#   veth_iperf  iperf3 over a bare veth pair (vnta0 -> vntb0): the receiver's
#               GRO works on the sender's skbs, so done records would show
#               merged lengths. For every packet id, done's len/gso_* equal
#               its xmit's; per device, xmit records = done records +
#               released_unseen + in_flight_at_end (report on the capture
#               says the same counts); the ACK flow coming back
#               carries no GSO and checksum offload on all but the
#               kernel's replies outside the socket, and the summary's
#               shares are those of the records.
#   bridge_tap  the peer sends UDP through br0 to the stand-in guest, which
#               reads its tap: every done on tap0 is unchanged.
. "$(dirname "$0")/lib.sh"

case_veth_iperf()
{
	local A=vnta-$TB_SFX B=vntb-$TB_SFX REC=$TB_TMP/veth.jsonl S=$TB_TMP/veth-stats.json

	tb_need_cmd iperf3 ss
	tb_netns_add "$A"
	tb_netns_add "$B"
	ip -n "$A" link add vnta0 type veth peer name vntb0 netns "$B" ||
		tb_fatal "cannot create veth pair"
	ip -n "$A" link set vnta0 up
	ip -n "$B" link set vntb0 up
	ip -n "$A" addr add 198.51.100.1/24 dev vnta0
	ip -n "$B" addr add 198.51.100.2/24 dev vntb0
	# The bed's own ACK flow is on vntb0 (B's xmit): watch both ends.
	tb_bg "$B" "$TB_TMP/iperf-server.out" iperf3 -s -1 -B 198.51.100.2 -p 5201
	_listening() { ip netns exec "$B" ss -Hltn 'sport = :5201' | grep -q LISTEN; }
	tb_wait_until "$TB_TIMEOUT" _listening || tb_fatal "iperf3 server did not start"

	vno_record_start "$REC" "$A" -- -i vnta0 --all --json --buffer 64M -w "$TB_TMP/veth.pcapng"
	# Paced so the ring buffer keeps up on a busy machine.
	if ip netns exec "$A" iperf3 -c 198.51.100.2 -p 5201 -t 3 -b 1G -J \
		>"$TB_TMP/iperf.json" 2>"$TB_TMP/iperf.json.err"; then
		tb_pass "iperf3 over vnta0 ran for 3 s"
	else
		tb_fail "iperf3 client failed: $(head -c 300 "$TB_TMP/iperf.json.err")"
	fi
	vno_record_stop INT
	assert_eq "$VNO_REC_RC" 0 "record exits 0 on SIGINT"

	jq -n -c '
	reduce inputs as $f ({x: {}, xmit: 0, done: 0, differ: 0, orphan: 0, changed: 0,
			      bad: [], summary: null};
		if $f.type == "summary" then .summary = $f
		elif $f.type != "frame" or $f.dev != "vnta0" then .
		elif $f.hop == "xmit" then
			.xmit += 1
			| .x[$f.pkt_id] = [$f.len, $f.gso_size, $f.gso_segs, $f.gso_type_raw]
		elif $f.hop == "done" then
			.done += 1
			| (if $f.changed != null then .changed += 1 else . end)
			| if .x[$f.pkt_id] == null then .orphan += 1
			  elif .x[$f.pkt_id] != [$f.len, $f.gso_size, $f.gso_segs, $f.gso_type_raw] then
				.differ += 1 | .bad += [[.x[$f.pkt_id], $f]]
			  else . end
			| del(.x[$f.pkt_id])
		else . end) | del(.x) | .bad |= .[:3]' "$REC" >"$S" ||
		tb_fatal "record output is not JSON lines"

	assert_jq "$S" '.[0].summary.lost_events == 0' "no event lost (else the counts cannot add up)"
	assert_jq "$S" '.[0].xmit > 0 and .[0].done > 0' "xmit and done records on vnta0"
	TB_JQ_HINT="$(jq -c '.bad' "$S")" assert_jq "$S" '.[0].differ == 0' \
		"every done record's len, gso_size, gso_segs, gso_type equal its xmit record's"
	assert_jq "$S" '.[0].orphan == 0' "every done record has its xmit record"
	TB_JQ_HINT="$(jq -c '.summary.devices | map(select(.dev == "vnta0") | {hop, frames, released_unseen, in_flight_at_end})' "$S")" \
		assert_jq "$S" '.[0] as $s | ($s.summary.devices | map(select(.dev == "vnta0" and .hop == "xmit"))[0]) as $x
		| $x.frames == $s.xmit and ($x.released_unseen | type) == "number"
		and $s.done + $x.released_unseen + $x.in_flight_at_end == $s.xmit' \
		"xmit = done + released unseen + in flight at the end, on vnta0"
	assert_jq "$S" '.[0].summary.devices | map(select(.dev == "vnta0" and .hop == "done"))[0].gso_segs.max
		<= (map(select(.dev == "vnta0" and .hop == "xmit"))[0].gso_segs.max)' \
		"the done row's segments never exceed what xmit sent"
	tb_log "$(jq -r '. as $s | ($s.summary.devices | map(select(.dev == "vnta0" and .hop == "xmit"))[0]) as $x
		| "vnta0: \($s.xmit) xmit, \($s.done) done (\($s.changed) released changed), \($x.released_unseen) released unseen, \($x.in_flight_at_end) in flight at the end"' "$S")"

	# The capture keeps the counts: report reads them back.
	"$VNO_BIN" --json report "$TB_TMP/veth.pcapng" >"$TB_TMP/report.jsonl" 2>"$TB_TMP/report.err" ||
		tb_fail "report: $(head -c 300 "$TB_TMP/report.err")"
	jq -s -c 'map(select(.type == "summary"))[0].devices | map(select(.dev == "vnta0" and .hop == "xmit"))[0]
		| {released_unseen, in_flight_at_end}' "$TB_TMP/report.jsonl" >"$TB_TMP/report.rel"
	assert_eq "$(cat "$TB_TMP/report.rel")" \
		"$(jq -c '.summary.devices | map(select(.dev == "vnta0" and .hop == "xmit"))[0]
			| {released_unseen, in_flight_at_end}' "$S")" \
		"report on the capture: the same released-unseen and in-flight counts"
	"$VNO_BIN" report "$TB_TMP/veth.pcapng" 2>/dev/null | grep -q 'released: [0-9]* seen (done), [0-9]* unseen' ||
		tb_fail "report's table has no released line for vnta0"

	# The ACKs: vntb0 hands them to its driver; record there from B.
	REC=$TB_TMP/acks.jsonl
	tb_bg "$B" "$TB_TMP/iperf-server2.out" iperf3 -s -1 -B 198.51.100.2 -p 5202
	_listening2() { ip netns exec "$B" ss -Hltn 'sport = :5202' | grep -q LISTEN; }
	tb_wait_until "$TB_TIMEOUT" _listening2 || tb_fatal "second iperf3 server did not start"
	vno_record_start "$REC" "$B" -- -i vntb0 --all --json
	ip netns exec "$A" iperf3 -c 198.51.100.2 -p 5202 -t 1 -b 200M \
		>"$TB_TMP/iperf2.out" 2>&1 || tb_fail "second iperf3 client failed"
	vno_record_stop INT
	# Pure ACKs of the 5202 flow (no payload: len 66 with timestamps,
	# at most 100 with options); the shares are of the whole device row.
	jq -n -c '[inputs | select(.type == "frame" and .hop == "xmit" and .sport == 5202)]
		| {n: length, gso: map(select(.gso_size > 0)) | length,
		   partial: map(select(.ip_summed == "partial")) | length}' "$REC" >"$S.acks"
	tb_log "ACK flow on vntb0: $(cat "$S.acks")"
	assert_jq "$S.acks" '.[0].n > 0' "xmit records of the ACK flow on vntb0"
	# The socket's ACKs leave CHECKSUM_PARTIAL; an ACK the kernel sends
	# for a socket already gone (TIME_WAIT, tcp_v4_send_ack through
	# ip_send_unicast_reply) is checksummed in software, "none": at the
	# end of a flow, one or two of those.
	tb_log "ACK flow frames without checksum offload: $(jq -c 'select(.type == "frame" and .hop == "xmit"
		and .sport == 5202 and .ip_summed != "partial") | {len, ip_summed, tcp_flags}' "$REC" | head -3)"
	assert_jq "$S.acks" '.[0] | .gso == 0 and .n - .partial <= 2' \
		"the ACK flow: no GSO, checksum offload on all but at most 2 kernel replies"
	# The summary's row says what the records say, counted here apart.
	jq -n -c '[inputs | select(.type == "frame" and .hop == "xmit" and .dev == "vntb0")]
		| {n: length, partial: map(select(.ip_summed == "partial")) | length}' "$REC" >"$S.row"
	TB_JQ_HINT="$(jq -c 'select(.type == "summary") | .devices | map(select(.hop == "xmit") | {dev, frames, gso_share, csum_partial_frames, csum_share})' "$REC")" \
		assert_jq "$REC" 'map(select(.type == "summary"))[0].devices
		| map(select(.dev == "vntb0" and .hop == "xmit"))[0]
		| .gso_share == 0 and .frames == $r[0].n and .csum_partial_frames == $r[0].partial
		  and ((.csum_share - $r[0].partial / $r[0].n) | fabs) < 0.0001' \
		"the summary's vntb0 xmit row: GSO share 0, checksum-offload share = partial records / records ($(cat "$S.row"))" \
		--slurpfile r "$S.row"
}

case_bridge_tap()
{
	local REC=$TB_TMP/tap.jsonl S=$TB_TMP/tap-stats.json

	tb_need_cmd python3
	tb_up
	vno_record_start "$REC" -- -i tap0 --all --json
	# UDP from the peer to the guest's address through br0 to tap0; the
	# stand-in guest reads (--drain) what its tap delivers.
	ip netns exec "$TB_P" python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(200):
    s.sendto(b"x" * 1200, ("'"$TB_GUEST4"'", 9))
' || tb_fail "sending UDP to the guest failed"
	_tap_done() { [[ $(grep -c '"hop":"done","dev":"tap0"' "$REC") -ge 1 ]]; }
	tb_wait_until "$TB_TIMEOUT" _tap_done || tb_fail "no done record on tap0"
	vno_record_stop INT
	assert_eq "$VNO_REC_RC" 0 "record exits 0 on SIGINT"
	jq -n -c '[inputs | select(.type == "frame" and .dev == "tap0" and .hop == "done")]
		| {n: length, changed: map(select(.changed != null)) | length}' "$REC" >"$S"
	tb_log "tap0: $(cat "$S")"
	assert_jq "$S" '.[0].n > 0' "done records on tap0 (the guest read its tap)"
	assert_jq "$S" '.[0].changed == 0' "no frame toward the guest was merged before its release"
}

tb_need_root
tb_need_vno
tb_run_cases "veth_iperf bridge_tap" "$@"
