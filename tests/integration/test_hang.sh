#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Hang triggers and the diagnosis, each case on a test bed of its own:
#   kmsg       an e1000e hang line naming up0 -> a diagnosis of up0 holding
#              the planted frames;
#   kmsg_other a line naming an interface that is not watched -> nothing;
#   suspects   a baseline of one kind, then a burst of another just before a
#              manual trigger -> the burst ranks first;
#   uniform    uniform traffic -> "nothing stands out";
#   anomaly    frames the kernel lets through that trip a rule are marked, a
#              clean one is not;
#   stall      traffic toward a guest that never reads its tap -> a stall on
#              tap0 within 2 x --stall-ms, and tun's drops by reason;
#   carrier    the uplink losing its carrier -> a diagnosis of the uplink;
#   ring_one   an e1000e register dump written to the kernel log as one record
#              -> the hang's ring object, field by field;
#   ring_records  the same dump as one record per line -> the same fields;
#   ring_half  a report cut after two lines -> a hang of its own within the
#              time bound, and the whole report after it is not held up;
#   ring_export  export's vnoffload_tx_ring_pending after the report;
#   ring_onring  a device whose queue holds frames it never sends (a tap
#              whose guest never reads, its queue cut to 40) and a report
#              of 8 descriptors pending -> on_ring names the newest 8 of
#              the frames still on it.
# Run one case alone: test_hang.sh CASE.
. "$(dirname "$0")/lib.sh"

tb_need_vno
[[ -w /dev/kmsg ]] || skip "cannot write /dev/kmsg to plant a hang line"

hangs() { jq -c -s "map(select(.type == \"hang\"))" "$1"; }

# ---- kmsg -------------------------------------------------------------------
case_kmsg()
{
	tb_up
	REC=$TB_TMP/kmsg.jsonl
	vno_record_start "$REC" -- -i tap0 -i up0 --json
	tb_plant tcp4-tso:segs=10:mss=1448:sport=42001 tcp4-tso:segs=10:mss=1448:sport=42002 \
		udp4-uso:segs=5:mss=1200:sport=42003
	# The frames must be read before the line is: wait for their xmit on up0.
	tb_wait_jq "$REC" '[.[] | select(.type == "frame" and .hop == "xmit" and .dev == "up0"
		and .sport >= 42001 and .sport <= 42003)] | length == 3' ||
		tb_fail "the planted frames reached up0's xmit"
	echo "<3>e1000e 0000:00:19.0 up0: Detected Hardware Unit Hang:" >/dev/kmsg
	tb_wait_jq "$REC" 'any(.type == "hang")' || tb_fail "a hang was reported after the kmsg line"
	vno_record_stop INT
	assert_jq "$REC" 'map(select(.type == "hang")) | length == 1 and .[0].dev == "up0"
		and .[0].source == "kmsg"' "kmsg: one hang, on up0, source kmsg"
	assert_jq "$REC" 'map(select(.type == "hang"))[0].frames_before
		| map(select(.hop == "xmit" and .sport >= 42001 and .sport <= 42003)) | length == 3' \
		"kmsg: the diagnosis holds the three planted frames"
	assert_jq "$REC" 'map(select(.type == "hang"))[0].frames_before
		| map(select(.sport == 42001))[0] | .origin == "tap0"' \
		"kmsg: a planted frame's origin is the guest's tap"
	assert_jq "$REC" 'map(select(.type == "hang"))[0].detail | test("Detected Hardware Unit Hang")' \
		"kmsg: the detail quotes the kernel line"
	assert_jq "$REC" '.[-1].type == "summary" and .[-1].hangs.kmsg == 1' "kmsg: counted in the summary"
	assert_jq "$REC" 'map(select(.type == "ready"))[0].hooks | (.["tc-egress"] | startswith("none")) and (.["tc-ingress"] | startswith("none"))
		and .xmit != null' "by default the TC hops are not attached"
	assert_jq "$REC" 'map(select(.type == "frame" and (.hop | startswith("tc-")))) | length == 0' \
		"by default no TC record"
}

# A line naming an interface that is not watched fires nothing.
case_kmsg_other()
{
	tb_up
	REC=$TB_TMP/kmsg-other.jsonl
	vno_record_start "$REC" -- -i tap0 -i up0 --json
	echo "<3>e1000e 0000:00:1f.6 eno9: Detected Hardware Unit Hang:" >/dev/kmsg
	tb_plant tcp4-tso:segs=2:mss=1448:sport=42004
	tb_wait_jq "$REC" 'any(.type == "frame" and .sport == 42004 and .hop == "xmit")' || true
	vno_record_stop INT
	assert_jq "$REC" 'map(select(.type == "hang")) | length == 0' "kmsg: a line about another NIC is ignored"
}

# ---- suspects ---------------------------------------------------------------
case_suspects()
{
	tb_up
	REC=$TB_TMP/suspects.jsonl
	vno_record_start "$REC" -- -i tap0 -i up0 --json --stall-ms 0
	base=()
	for i in $(seq 1 30); do base+=("tcp4-tso:segs=10:mss=1448:sport=$((43000 + i))"); done
	tb_plant "${base[@]}"
	burst=()
	for i in $(seq 1 10); do burst+=("udp4-uso:segs=20:mss=48:sport=$((43100 + i))"); done
	tb_plant "${burst[@]}"
	tb_wait_jq "$REC" '[.[] | select(.type == "frame" and .hop == "xmit" and .dev == "up0"
		and .sport > 43100)] | length == 10' || tb_fail "the burst reached up0's xmit"
	kill -USR1 "$VNO_REC_PID"
	tb_wait_jq "$REC" '[.[] | select(.type == "hang")] | length >= 2' ||
		tb_fail "SIGUSR1 diagnosed the watched devices"
	vno_record_stop INT
	UP0='map(select(.type == "hang" and .dev == "up0"))[0]'
	assert_jq "$REC" "$UP0 | .source == \"manual\"" "suspects: SIGUSR1 is a manual trigger"
	assert_jq "$REC" "$UP0 | .suspects[0] as \$s | (\$s.value | test(\"udp_l4|gso_size_tiny|^1-63\$\"))
		and \$s.window_count >= 10 and \$s.lift >= 2" \
		"suspects: the burst's kind ranks first" --argjson dummy 0
	assert_jq "$REC" "$UP0 | .suspects | all(.value | test(\"tcpv4\") | not)" \
		"suspects: the baseline's kind is not a suspect"
	assert_jq "$REC" "$UP0 | .remedy | test(\"ethtool -K\")" "suspects: a remedy is named"
	assert_jq "$REC" "$UP0 | .anomalies | any(.rule == \"gso_size_tiny\" and .count == 10)" \
		"suspects: the burst's tiny gso_size is counted as an anomaly"
	assert_jq "$REC" "$UP0 | .path | ([.hops[] | \"\\(.name):\\(.role)\"] == [\"tap0:tap\", \"br0:bridge\", \"up0:uplink\"])
		and .meets == null and (.note | test(\"no NIC on this path\"))" \
		"suspects: the path tap0 -> br0 -> up0, no NIC on it"
}

case_uniform()
{
	tb_up
	REC=$TB_TMP/uniform.jsonl
	vno_record_start "$REC" -- -i up0 --json --stall-ms 0 --trigger-after 2
	base=()
	for i in $(seq 1 40); do base+=("tcp4-tso:segs=10:mss=1448:sport=$((44000 + i))"); done
	tb_plant "${base[@]}"
	tb_wait_jq "$REC" 'any(.type == "hang")' 6 || tb_fail "--trigger-after fired"
	vno_record_stop INT
	assert_jq "$REC" 'map(select(.type == "hang"))[0] | (.suspects | length) == 0
		and (.verdict | test("nothing stands out"))' "uniform traffic: nothing stands out"
}

# ---- anomaly rules on frames the kernel lets through ---------------------------
case_anomaly()
{
	tb_up
	REC=$TB_TMP/anomaly.jsonl
	# With the TC hops: the frame with its checksum in the IP header is seen at
	# up0's qdisc, before validate_xmit_skb() turns it away from the driver.
	vno_record_start "$REC" -- -i tap0 -i up0 --json --stall-ms 0 --tc-mode auto
	tb_plant tcp4-tso:segs=10:mss=1448:csum_start=20:sport=45001 \
		tcp4-tso:segs=4:mss=40:sport=45002 tcp4-tso:segs=2:mss=9000:sport=45004 \
		tcp6-tso:segs=4:mss=1428:gso_type=1:sport=45005 tcp4-tso:segs=10:mss=1448:sport=45003
	tb_wait_jq "$REC" 'any(.type == "frame" and .sport == 45003 and .hop == "xmit")' ||
		tb_fail "the clean frame reached up0's xmit"
	vno_record_stop INT
	assert_jq "$REC" 'map(select(.type == "frame" and .sport == 45001 and .hop == "tc-egress"))
		| length == 1 and all(has("anomaly"))' "anomaly: csum_start in the IP header is marked"
	assert_jq "$REC" 'map(select(.type == "frame" and .sport == 45002 and .hop == "xmit"))
		| length == 1 and all(has("anomaly"))' "anomaly: a 40-byte gso_size is marked"
	assert_jq "$REC" 'map(select(.type == "frame" and .sport == 45004 and .dev == "tap0" and .hop == "rx"))
		| length == 1 and all(has("anomaly"))' \
		"anomaly: gso_size 9000 from a guest on a 1500-byte MTU is marked"
	assert_jq "$REC" '.[-1].devices | any(.dev == "tap0" and .hop == "rx"
		and .anomaly_rules.gso_size_over_mtu == 1 and .anomaly_rules.gso_type_l3l4_mismatch == 1)' \
		"anomaly: jumbo segments and tcpv4 on IPv6 counted at the tap's rx"
	assert_jq "$REC" 'map(select(.type == "frame" and .sport == 45003)) | length > 0
		and all(has("anomaly") | not)' "anomaly: the clean frame is not marked"
	assert_jq "$REC" '.[-1].devices | any(.dev == "up0" and .hop == "tc-egress"
		and .anomaly_rules.csum_start_not_transport == 1)' "anomaly: counted per device and rule"
}

# ---- stall -------------------------------------------------------------------
# A guest that never reads its tap: what reaches tap0 piles up in tun's ring.
case_stall()
{
	tb_up --hold
	REC=$TB_TMP/stall.jsonl
	vno_record_start "$REC" -- -i tap0 -i up0 --json --stall-ms 500
	ip netns exec "$TB_P" bash -c "for i in \$(seq 1 1500); do echo x >/dev/udp/$TB_GUEST4/9; done" ||
		tb_fail "the peer sent UDP toward the guest"
	tb_wait_jq "$REC" 'any(.type == "hang" and .source == "stall")' 5 ||
		tb_fail "a stall was reported"
	vno_record_stop INT
	STALL='map(select(.type == "hang" and .source == "stall"))[0]'
	assert_jq "$REC" "$STALL | .dev == \"tap0\"" "stall: on the guest's tap"
	assert_jq "$REC" "$STALL | .detail | test(\"[0-9]+ frames handed to queue\")" \
		"stall: the detail gives the queue depth"
	assert_jq "$REC" "($STALL.ts_ns) - ([.[] | select(.type == \"frame\" and .dev == \"tap0\"
		and .hop == \"xmit\")] | map(.ts_ns) | min) <= 1000000000" \
		"stall: reported within 2 x --stall-ms of the first frame left unread"
	assert_jq "$REC" 'map(select(.type == "hang" and .source == "stall" and .dev == "up0")) | length == 0' \
		"stall: not on the veth uplink, whose frames are released elsewhere"
	assert_jq "$REC" '.[-1].devices | any(.dev == "tap0" and .hop == "done"
		and (.drops | keys | any(test("RING|FULL|QUEUE"))))' \
		"stall: tun's drops are counted by reason once its ring is full"
}

# ---- carrier -----------------------------------------------------------------
# The peer's end going down takes up0's carrier with it (veth); the bed is
# the case's own, so the peer's flushed neighbour entries harm no other.
case_carrier()
{
	tb_up
	REC=$TB_TMP/carrier.jsonl
	vno_record_start "$REC" -- -i tap0 -i up0 --json --stall-ms 0
	tb_plant tcp4-tso:segs=10:mss=1448:sport=45101
	tb_wait_jq "$REC" 'any(.type == "frame" and .sport == 45101 and .hop == "xmit")' ||
		tb_fail "the frame reached up0's xmit"
	ip -n "$TB_P" link set pe0 down
	tb_wait_jq "$REC" 'any(.type == "hang" and .source == "carrier")' ||
		tb_fail "a carrier loss was reported"
	vno_record_stop INT
	ip -n "$TB_P" link set pe0 up
	assert_jq "$REC" 'map(select(.type == "hang" and .source == "carrier")) | length == 1
		and .[0].dev == "up0" and (.[0].frames_before | any(.sport == 45101))' \
		"carrier: up0's carrier loss diagnosed with the frame before it"
	assert_jq "$REC" 'map(select(.type == "hang" and .dev == "tap0")) | length == 0' \
		"carrier: nothing on the tap, whose carrier stayed"
}

# ---- the driver's report of its ring ------------------------------------------
# The uplink is renamed to a name of this case's own: other beds on this
# machine watch an up0 of their own, and a planted report must name a device
# only this recorder watches.
_ring_rename()
{
	tb_up
	tb_rename_uplink rg
	RDEV=$TB_UP
}

_ring_bed()
{
	_ring_rename
	REC=$TB_TMP/$TB_CASE.jsonl
	vno_record_start "$REC" -- -i tap0 -i "$RDEV" --json --stall-ms 0
	tb_plant tcp4-tso:segs=10:mss=1448:sport=46001 tcp4-tso:segs=10:mss=1448:sport=46002
	tb_wait_jq "$REC" "[.[] | select(.type == \"frame\" and .hop == \"xmit\" and .dev == \"$RDEV\"
		and (.sport == 46001 or .sport == 46002))] | length == 2" ||
		tb_fail "the planted frames reached $RDEV's xmit"
}

# The report of issue #23 (e1000e, 82579LM), naming $RDEV: 15 lines.
_ring_lines()
{
	printf '%s\n' "e1000e 0000:00:19.0 $RDEV: Detected Hardware Unit Hang:" \
		'  TDH                  <5d>' '  TDT                  <90>' \
		'  next_to_use          <90>' '  next_to_clean        <5c>' \
		'buffer_info[next_to_clean]:' '  time_stamp           <10014eaa6>' \
		'  next_to_watch        <5d>' '  jiffies              <10014f100>' \
		'  next_to_watch.status <0>' 'MAC Status             <80083>' \
		'PHY Status             <796d>' 'PHY 1000BASE-T Status  <3800>' \
		'PHY Extended Status    <3000>' 'PCI Status             <10>'
}

# CONFIG_HZ as record reads it, or "" (then waited_ms must be null).
_ring_hz()
{
	local c=/boot/config-$(uname -r)
	if [[ -r /proc/config.gz ]]; then
		zcat /proc/config.gz | sed -n 's/^CONFIG_HZ=//p'
	elif [[ -r $c ]]; then
		sed -n 's/^CONFIG_HZ=//p' "$c"
	fi
}

_ring_assert_whole()
{
	local hz want_ms=null H
	hz=$(_ring_hz)
	[[ -n $hz ]] && want_ms=$((1626 * 1000 / hz))
	tb_log "CONFIG_HZ: ${hz:-unknown}"
	H="map(select(.type == \"hang\" and .dev == \"$RDEV\"))"
	assert_jq "$REC" "$H | length == 1" "$TB_CASE: one hang on $RDEV"
	assert_jq "$REC" "$H[0].ring | .parser == \"e1000e\" and .driver == \"e1000e\" and .head == 93
		and .tail == 144 and .next_to_use == 144 and .next_to_clean == 92 and .pending == 51
		and .time_stamp == 4296338086 and .jiffies == 4296339712 and .waited_jiffies == 1626
		and .status == 0 and .written_back == false and .mac_status == 524419
		and .phy_status == 31085 and .pci_status == 16 and .lines == 15" \
		"$TB_CASE: the ring object, field by field"
	assert_jq "$REC" "$H[0].ring.waited_ms == $want_ms" "$TB_CASE: waited_ms with HZ ${hz:-unknown}"
	# veth releases each frame as it is sent: none is left on its ring.
	assert_jq "$REC" "$H[0] | (.window.in_flight == 0) and (.on_ring == [])" \
		"$TB_CASE: no frame on a veth's ring"
	assert_jq "$REC" "$H[0].detail | test(\"Detected Hardware Unit Hang\")" \
		"$TB_CASE: the detail quotes the first line"
}

# One write with newlines is one kernel-log record (dd: one write(2); the
# shell's printf may write a long string in two). It ends with a newline:
# a record without one stays open for a continuation and reaches readers
# only when something else is logged.
case_ring_one()
{
	_ring_bed
	printf '<3>%s\n' "$(_ring_lines)" |
		dd of=/dev/kmsg bs=8192 count=1 iflag=fullblock status=none ||
		tb_fatal "cannot write /dev/kmsg"
	tb_wait_jq "$REC" "any(.type == \"hang\" and .dev == \"$RDEV\")" ||
		tb_fail "a hang was reported after the report"
	vno_record_stop INT
	_ring_assert_whole
	# The kmsg trigger flattens the record it matched: the register lines
	# in its detail show the report was one record.
	assert_jq "$REC" "map(select(.type == \"hang\"))[0].detail | test(\"Unit Hang: +TDH +<5d> +TDT\")" \
		"ring_one: the report was one record"
}

# One write per line: one record each.
case_ring_records()
{
	local l
	_ring_bed
	while IFS= read -r l; do
		printf '<3>%s\n' "$l" >/dev/kmsg || tb_fatal "cannot write /dev/kmsg"
	done < <(_ring_lines)
	tb_wait_jq "$REC" "any(.type == \"hang\" and .dev == \"$RDEV\")" ||
		tb_fail "a hang was reported after the report"
	vno_record_stop INT
	_ring_assert_whole
	assert_jq "$REC" "map(select(.type == \"hang\"))[0].detail | test(\"TDH\") | not" \
		"ring_records: the first record held the first line alone"
}

# A report cut after two lines is a hang of its own once its time is up,
# and the whole report written next is read whole.
case_ring_half()
{
	local H
	_ring_bed
	printf '<3>%s\n' "e1000e 0000:00:19.0 $RDEV: Detected Hardware Unit Hang:" >/dev/kmsg
	printf '<3>%s\n' '  TDH                  <5d>' >/dev/kmsg
	tb_wait_jq "$REC" "any(.type == \"hang\" and .dev == \"$RDEV\")" ||
		tb_fail "the cut report was reported once its time was up"
	printf '<3>%s\n' "$(_ring_lines)" |
		dd of=/dev/kmsg bs=8192 count=1 iflag=fullblock status=none
	tb_wait_jq "$REC" "[.[] | select(.type == \"hang\" and .dev == \"$RDEV\")] | length == 2" ||
		tb_fail "the whole report after it was reported"
	vno_record_stop INT
	H="map(select(.type == \"hang\" and .dev == \"$RDEV\"))"
	assert_jq "$REC" "$H[0].ring | .head == 93 and .tail == null and .pending == null and .lines == 2" \
		"ring_half: the cut report holds what it said"
	assert_jq "$REC" "$H[1].ring | .pending == 51 and .waited_jiffies == 1626 and .lines == 15" \
		"ring_half: the next report is whole"
}

# export: the pending descriptors of the last report as a gauge.
_ring_gauge() { nscurl -o "$TB_TMP/m" "$EXP_URL/metrics" && grep -q "^vnoffload_tx_ring_pending{device=\"$RDEV\"} 51\$" "$TB_TMP/m"; }
case_ring_export()
{
	_ring_rename
	export_start "$TB_TMP/exp.out" -i tap0 -i "$RDEV" --json --stall-ms 0 --listen 127.0.0.1:0
	nscurl -o "$TB_TMP/m0" "$EXP_URL/metrics" || tb_fail "the first scrape"
	assert_eq "$(grep -c '^vnoffload_tx_ring_pending{' "$TB_TMP/m0")" 0 "ring_export: no series before a report"
	printf '<3>%s\n' "$(_ring_lines)" |
		dd of=/dev/kmsg bs=8192 count=1 iflag=fullblock status=none
	if tb_wait_until "$TB_TIMEOUT" _ring_gauge; then
		tb_pass "ring_export: the gauge gives the report's 51 pending descriptors"
	else
		tb_fail "ring_export: vnoffload_tx_ring_pending{device=\"$RDEV\"} 51 after the report"
	fi
	export_stop
}

# A tap whose guest never reads keeps the frames handed to it, as a hung
# NIC keeps its descriptors: the report's pending count picks the newest of
# them. Its queue is cut to 40 and 60 frames sent, so that the last are
# dropped (done, with a reason) and completions are known; a few slots may
# hold frames queued before the recorder started (the bridge's multicast).
# Renamed like the uplink above.
case_ring_onring()
{
	local H
	tb_up --hold
	RDEV=rt$(printf '%04x' "$RANDOM")
	ip -n "$TB_H" link set tap0 down
	ip -n "$TB_H" link set tap0 name "$RDEV" || tb_fatal "cannot rename tap0 to $RDEV"
	ip -n "$TB_H" link set "$RDEV" txqueuelen 40 up
	tb_wait_until "$TB_TIMEOUT" _tb_port_forwarding "$RDEV" ||
		tb_fatal "$RDEV never reached the forwarding state"
	REC=$TB_TMP/onring.jsonl
	vno_record_start "$REC" -- -i "$RDEV" -i up0 --json --stall-ms 0
	ip netns exec "$TB_P" bash -c "for i in \$(seq 1 60); do echo x >/dev/udp/$TB_GUEST4/9; done" ||
		tb_fail "the peer sent UDP toward the guest"
	# Wait for the queue to fill: the frames on it and drops after them.
	tb_wait_jq "$REC" "([.[] | select(.type == \"frame\" and .dev == \"$RDEV\" and .hop == \"xmit\")] | length >= 50)
		and any(.type == \"frame\" and .dev == \"$RDEV\" and .hop == \"done\")" ||
		tb_fail "the frames reached $RDEV and its full queue dropped some"
	printf '<3>%s\n' "e1000e 0000:00:19.0 $RDEV: Detected Hardware Unit Hang:" \
		'  TDH                  <10>' '  TDT                  <18>' \
		'  next_to_use          <18>' '  next_to_clean        <10>' \
		'buffer_info[next_to_clean]:' '  time_stamp           <10014eaa6>' \
		'  next_to_watch        <11>' '  jiffies              <10014f100>' \
		'  next_to_watch.status <0>' 'MAC Status             <80083>' \
		'PHY Status             <796d>' 'PHY 1000BASE-T Status  <3800>' \
		'PHY Extended Status    <3000>' 'PCI Status             <10>' |
		dd of=/dev/kmsg bs=8192 count=1 iflag=fullblock status=none ||
		tb_fatal "cannot write /dev/kmsg"
	tb_wait_jq "$REC" "any(.type == \"hang\" and .dev == \"$RDEV\")" ||
		tb_fail "a hang was reported after the report"
	vno_record_stop INT
	H="map(select(.type == \"hang\" and .dev == \"$RDEV\"))[0]"
	assert_jq "$REC" "$H | .ring.pending == 8 and .window.in_flight >= 8" \
		"ring_onring: 8 pending, at least as many frames in flight"
	assert_jq "$REC" "$H | .on_ring | length == 8" "ring_onring: on_ring names 8 frames"
	assert_jq "$REC" "$H | [.on_ring[] as \$i | .frames_before[\$i]]
		| all(.dev == \"$RDEV\" and .hop == \"xmit\" and .completed == false)" \
		"ring_onring: each is a frame handed to $RDEV and never done"
	assert_jq "$REC" "$H | (.on_ring | min) as \$lo | [.frames_before | to_entries[]
		| select(.key > \$lo and .value.dev == \"$RDEV\" and .value.hop == \"xmit\"
			and .value.completed == false) | .key] == .on_ring[1:]" \
		"ring_onring: they are the newest of the frames left on it"
}

tb_run_cases "kmsg kmsg_other suspects uniform anomaly stall carrier ring_one ring_records ring_half ring_export ring_onring" "$@"
