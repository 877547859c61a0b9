#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# record never fails in silence:
#   disk_full      the capture's disk fills under load: record stops at once
#                  with "writing FILE: No space left on device", exit 1, and
#                  the file stays readable;
#   nothing        with CAP_BPF alone nothing attaches: an error naming the
#                  missing capabilities, not "(no frames recorded)" and exit 0;
#   lost_killed    events lost in the ring buffer are in the capture while
#                  recording: a recorder killed with SIGKILL leaves a file
#                  whose report counts them;
#   carrier_300    carrier loss is seen on an interface whose ifindex is
#                  past 256;
#   gone_back      an interface watched with -i that is deleted is said once
#                  (stderr and a JSON line) and, created again under the same
#                  name, is recorded again (its new ifindex watched), with and
#                  without the TC hops.
# Run one case alone: test_record_nosilent.sh CASE.
. "$(dirname "$0")/lib.sh"

tb_need_root
tb_need_vno
tb_need_cmd ip jq iperf3

A=vnoa-$TB_SFX	# the recorder's namespace: v0 (192.0.2.1)
B=vnob-$TB_SFX	# the far end: v1 (192.0.2.2), iperf3 server
tb_netns_add "$A"
tb_netns_add "$B"

# veth_up: (re)create v0 <-> v1 with their addresses.
veth_up()
{
	ip -n "$A" link add v0 type veth peer name v1 netns "$B" || tb_fatal "cannot create veth"
	ip -n "$A" addr add 192.0.2.1/24 dev v0
	ip -n "$B" addr add 192.0.2.2/24 dev v1
	ip -n "$A" link set v0 up
	ip -n "$B" link set v1 up
}
veth_up
tb_bg "$B" "$TB_TMP/iperf-server.out" iperf3 -s -B 192.0.2.2
tb_wait_until "$TB_TIMEOUT" ip netns exec "$B" bash -c 'exec 3<>/dev/tcp/192.0.2.2/5201' 2>/dev/null ||
	tb_fatal "iperf3 server did not start"

# load SECONDS: iperf3 from A to B in the background ($LOAD_PID).
load()
{
	tb_bg "$A" "$TB_TMP/iperf-client.out" iperf3 -c 192.0.2.2 -t "$1"
	LOAD_PID=$TB_BG_PID
}

_dead() { ! kill -0 "$1" 2>/dev/null; }

case_disk_full()
{
	local mnt=$TB_TMP/small f rc lines t0
	mkdir -p "$mnt"
	mount -t tmpfs -o size=512k vno-small "$mnt" || skip "cannot mount a tmpfs"
	f=$mnt/x.pcapng
	load 60
	vno_record_start "$TB_TMP/full.out" "$A" -- --json -q --all -i v0 --snaplen 256 -w "$f"
	t0=$SECONDS
	# The disk fills under the load; record must stop by itself.
	if tb_wait_until $((TB_TIMEOUT * 2)) _dead "$VNO_REC_PID"; then
		tb_pass "record stopped by itself once the disk was full ($((SECONDS - t0)) s)"
	else
		tb_fail "record still runs on a full disk"
	fi
	vno_record_stop INT
	rc=$VNO_REC_RC
	tb_kill "$LOAD_PID"
	assert_eq "$rc" 1 "record's exit status on a full disk"
	lines=$(grep -c . "$TB_TMP/full.out.err")
	assert_eq "$(grep -cF "writing $f: No space left on device" "$TB_TMP/full.out.err")" 1 \
		"one sentence: writing FILE: No space left on device"
	assert_eq "$lines" 1 "nothing else on stderr"
	"$VNO_BIN" report --json "$f" >"$TB_TMP/full.report" 2>"$TB_TMP/full.report.err"
	rc=$?
	if ((rc == 0 || rc == 3)); then
		tb_pass "report reads what was written (exit $rc)"
	else
		tb_fail "report on the full-disk capture: exit $rc: $(head -c 300 "$TB_TMP/full.report.err")"
	fi
	assert_jq "$TB_TMP/full.report" 'map(select(.type == "summary")) | .[0].records > 0' \
		"the file holds frames"
	umount "$mnt"
}

case_nothing()
{
	local err=$TB_TMP/nothing.err rc
	tb_need_cmd setpriv
	timeout 20 ip netns exec "$A" setpriv --reuid=65534 --regid=65534 --clear-groups \
		--inh-caps=-all,+bpf --ambient-caps=-all,+bpf --bounding-set=-all,+bpf \
		"$VNO_BIN" record -i v0 -d 2 >"$TB_TMP/nothing.out" 2>"$err"
	rc=$?
	if ((rc != 0 && rc < 124)); then
		tb_pass "CAP_BPF alone: exit $rc"
	else
		tb_fail "CAP_BPF alone: exit $rc, want an error"
	fi
	if grep -q 'nothing could be attached' "$err" && grep -q CAP_PERFMON "$err" &&
		! grep -q CAP_BPF, "$err"; then
		tb_pass "the error names the missing CAP_PERFMON (and not CAP_BPF, which it has)"
	else
		tb_fail "the error does not name what is missing: $(head -c 400 "$err")"
	fi
	assert_eq "$(grep -c 'no frames recorded' "$TB_TMP/nothing.out")" 0 \
		"no empty summary as if all went well"
}

_report_lost() { "$VNO_BIN" report --json "$1" 2>/dev/null | jq -s 'map(select(.type == "summary"))[0].lost_events // 0'; }
_lost_noted() { (($(_report_lost "$1") > 0)); }

case_lost_killed()
{
	local f=$TB_TMP/lost.pcapng lost
	load 60
	# A 4 KiB ring buffer cannot keep up with every skb of iperf3.
	vno_record_start "$TB_TMP/lost.out" "$A" -- --json -q --all -i v0 --buffer 4K -w "$f"
	if tb_wait_until $((TB_TIMEOUT * 2)) _lost_noted "$f"; then
		tb_pass "lost events are in the capture while recording"
	else
		tb_fail "no lost-event note in the capture while recording"
	fi
	vno_record_stop KILL
	tb_kill "$LOAD_PID"
	lost=$(_report_lost "$f")
	tb_log "report of the SIGKILLed capture: events lost: $lost"
	if ((lost > 0)); then
		tb_pass "report of the killed recorder's file counts $lost lost events"
	else
		tb_fail "report of the killed recorder's file counts no lost events"
	fi
	"$VNO_BIN" report "$f" >"$TB_TMP/lost.report" 2>/dev/null
	if grep -q "events lost (ring buffer full): $lost" "$TB_TMP/lost.report"; then
		tb_pass "report's summary line says them"
	else
		tb_fail "report's summary line does not say $lost events lost"
	fi
}

case_carrier_300()
{
	# A veth loses its carrier when its peer goes down.
	ip -n "$A" link add v300 index 300 type veth peer name p300 netns "$B" ||
		skip "cannot create a veth with ifindex 300"
	ip -n "$B" link set p300 up
	ip -n "$A" link set v300 up
	tb_wait_until "$TB_TIMEOUT" bash -c "ip -n $A link show v300 | grep -q LOWER_UP" ||
		tb_fatal "v300 never got its carrier"
	vno_record_start "$TB_TMP/carrier.out" "$A" -- --json -i v300
	ip -n "$B" link set p300 down
	if tb_wait_jq "$TB_TMP/carrier.out" \
		'any(.[]; .type == "hang" and .source == "carrier" and .dev == "v300" and .ifindex == 300)'; then
		tb_pass "carrier loss seen on ifindex 300"
	else
		tb_fail "no carrier hang for v300 (ifindex 300)"
	fi
	vno_record_stop INT
	assert_eq "$VNO_REC_RC" 0 "record's exit status"
	ip -n "$A" link del v300
}

# _frames_on OUT IFINDEX HOP: a frame on v0 with that ifindex at that hop
# (lines read one by one: the last may still be half written).
_frames_on() { jq -Rne --argjson i "$2" --arg hop "$3" '[inputs | fromjson? | select(.type == "frame" and .dev == "v0" and .ifindex == $i and .hop == $hop)] | length > 0' "$1" >/dev/null 2>&1; }

# poke: a few UDP datagrams out of v0 (with --all, every skb is recorded).
poke()
{
	ip netns exec "$A" bash -c 'for i in 1 2 3; do echo x >/dev/udp/192.0.2.2/9; sleep 0.1; done' 2>/dev/null
}

# gone_back [RECORD ARGS...]
gone_back()
{
	local out=$TB_TMP/gb$#.out old new hop=xmit
	[[ " $* " == *" --tc-mode "* ]] && hop=tc-egress
	old=$(ip -n "$A" -j link show v0 | jq '.[0].ifindex')
	vno_record_start "$out" "$A" -- --json --all -i v0 "$@"
	poke
	tb_wait_until "$TB_TIMEOUT" _frames_on "$out" "$old" "$hop" &&
		tb_pass "$*: $hop frames on v0 (ifindex $old)" ||
		tb_fail "$*: no $hop frames on v0 before it went"
	ip -n "$A" link del v0
	tb_wait_jq "$out" 'any(.[]; .type == "iface" and .event == "gone" and .name == "v0")' &&
		tb_pass "$*: v0 gone: a JSON line" || tb_fail "$*: no gone line for v0"
	tb_wait_until "$TB_TIMEOUT" grep -q 'v0: the interface is gone' "$out.err"
	assert_eq "$(grep -c 'v0: the interface is gone' "$out.err")" 1 "$*: said once on stderr"
	veth_up
	new=$(ip -n "$A" -j link show v0 | jq '.[0].ifindex')
	tb_wait_jq "$out" "any(.[]; .type == \"iface\" and .event == \"back\" and .ifindex == $new)" &&
		tb_pass "$*: v0 back with ifindex $new (was $old)" || tb_fail "$*: no back line for v0"
	poke
	if tb_wait_until "$TB_TIMEOUT" _frames_on "$out" "$new" "$hop"; then
		tb_pass "$*: $hop frames on the new v0 (ifindex $new)"
	else
		tb_fail "$*: no $hop frames on v0 once it came back"
	fi
	vno_record_stop INT
	assert_eq "$VNO_REC_RC" 0 "$*: record's exit status"
	assert_jq "$out" 'map(select(.type == "hang")) | length == 0' \
		"$*: no carrier hang from the interface coming back"
}

case_gone_back()
{
	gone_back
	gone_back --tc-mode auto
}

tb_run_cases "disk_full nothing lost_killed carrier_300 gone_back" "$@"
