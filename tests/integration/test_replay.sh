#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# replay: a capture's guest frames written again into a tap.
#
#   roundtrip  record -w a planted burst (a baseline of TSO frames, then
#              tiny-gso_size USO frames) and a kmsg hang; replay the capture
#              into a fresh bed (another peer MAC: --rewrite-mac) while
#              recording again: at the uplink's xmit the sequence of (gso_size,
#              gso_segs, gso_type, ip_summed, csum_start, csum_offset, len)
#              is the original's, and report names the same top suspect;
#   window     two hangs: --window 1 replays the frames before the first
#              only, --window 2 those before the second;
#   pace       --rate 0.5 stretches the recorded spacing (never faster than
#              twice the recorded span); --loop 0 repeats until SIGINT,
#              which ends it with its counts and exit 0;
#   refused    a frame tun refuses (its recorded csum_start patched past
#              the frame) is counted with its errno, not written;
#   options    bad options: one sentence each, exit 2, before the capture
#              or a tap is touched;
#   corrupt    a capture with a broken block replays nothing: a sentence,
#              exit 1, no frame at the tap;
#   truncated  a capture cut short (its last 40 bytes gone): the same.
. "$(dirname "$0")/lib.sh"

tb_need_vno
tb_need_root

# The frames at the uplink's xmit that came from the guest, in time order,
# as the tuples the replay must give again (jq with --arg up NAME).
XMIT_SEQ='map(select(.type == "frame" and .hop == "xmit" and .dev == $up
	and (.saddr == "192.0.2.1" or .saddr == "2001:db8::1"))) | sort_by(.ts_ns)
	| map([.gso_size, .gso_segs, (.gso_type | sort), .ip_summed, .csum_start, .csum_offset, .len])'

# guest_xmit FILE: how many guest frames reached the uplink's xmit.
guest_xmit() { jq -s --arg up "$UP" "$XMIT_SEQ | length" "$1" 2>/dev/null || echo 0; }
_xmit_at_least() { (($(guest_xmit "$1") >= $2)); }

# A bed whose uplink has a name of this run's own ($UP): the kernel-log
# hang lines planted here must name a device no other bed watches.
bed()
{
	tb_up
	tb_rename_uplink rp
	UP=$TB_UP
}

# replay_bed: a fresh bed whose tap0 is a persistent tap on br0, as a lab
# makes one (ip tuntap), with no process holding it.
replay_bed()
{
	bed
	tb_guest_stop
	tb_wait_until "$TB_TIMEOUT" eval '! ip -n "$TB_H" link show tap0 >/dev/null 2>&1' ||
		tb_fatal "the guest's tap0 did not go away"
	ip -n "$TB_H" tuntap add dev tap0 mode tap vnet_hdr || tb_fatal "cannot create a persistent tap"
	ip -n "$TB_H" link set tap0 master br0 up || tb_fatal "cannot put tap0 on br0"
}

# record_burst REC CAP: the planted burst recorded with -w CAP, then a kmsg
# hang on the uplink; returns with the recorder stopped.
record_burst()
{
	local rec=$1 cap=$2 base=() burst=() i
	vno_record_start "$rec" -- -i tap0 -i "$UP" --json --stall-ms 0 -w "$cap"
	for i in $(seq 1 20); do base+=("tcp4-tso:segs=10:mss=1448:sport=$((45000 + i))"); done
	tb_plant "${base[@]}"
	for i in $(seq 1 8); do burst+=("udp4-uso:segs=20:mss=48:sport=$((45100 + i))"); done
	tb_plant "${burst[@]}"
	tb_wait_until "$TB_TIMEOUT" _xmit_at_least "$rec" 28 ||
		tb_fatal "the 28 planted frames did not reach $UP's xmit ($(guest_xmit "$rec"))"
	echo "<3>e1000e 0000:00:19.0 $UP: Detected Hardware Unit Hang:" >/dev/kmsg
	tb_wait_jq "$rec" "any(.type == \"hang\" and .dev == \"$UP\")" ||
		tb_fail "a hang on $UP was reported after the kmsg line"
	vno_record_stop INT
}

top_suspect() { "$VNO_BIN" report --json "$1" | jq -c -s --arg up "$2" '[.[] | select(.type == "hang" and .dev == $up)][0].suspects[0] | [.attribute, .value]'; }

case_roundtrip()
{
	[[ -w /dev/kmsg ]] || skip "cannot write /dev/kmsg to plant a hang line"
	local rec1=$TB_TMP/rt1.jsonl cap1=$TB_TMP/rt1.pcapng rec2=$TB_TMP/rt2.jsonl
	local cap2=$TB_TMP/rt2.pcapng old_mac old_up n1 s1 s2
	bed
	record_burst "$rec1" "$cap1"
	old_mac=$TB_PEER_MAC
	old_up=$UP
	n1=$(guest_xmit "$rec1")

	# A fresh bed: new namespaces, a peer with another MAC address.
	TB_H=${TB_H}r TB_P=${TB_P}r
	replay_bed
	assert_ne "$TB_PEER_MAC" "$old_mac" "roundtrip: the fresh bed's peer has another MAC"
	vno_record_start "$rec2" -- -i tap0 -i "$UP" --json --stall-ms 0 -w "$cap2"
	ip netns exec "$TB_H" "$VNO_BIN" replay "$cap1" --tap tap0 --bridge br0 \
		--rewrite-mac "$old_mac=$TB_PEER_MAC" >"$TB_TMP/replay.out" 2>"$TB_TMP/replay.out.err"
	assert_eq "$?" 0 "roundtrip: replay exits 0"
	assert_eq "$(grep -c 'refused by tun: 0$' "$TB_TMP/replay.out")" 1 \
		"roundtrip: tun refused no frame"
	grep -q 'wrote 28 frames' "$TB_TMP/replay.out" && tb_pass "roundtrip: 28 frames written" ||
		tb_fail "roundtrip: 28 frames written: $(cat "$TB_TMP/replay.out")"
	grep -q 'payload is synthesized' "$TB_TMP/replay.out" &&
		tb_pass "roundtrip: replay says the payload is synthesized" ||
		tb_fail "roundtrip: replay says the payload is synthesized"
	tb_wait_until "$TB_TIMEOUT" _xmit_at_least "$rec2" "$n1" ||
		tb_fail "roundtrip: the replayed frames reached $UP's xmit ($(guest_xmit "$rec2") of $n1)"
	echo "<3>e1000e 0000:00:19.0 $UP: Detected Hardware Unit Hang:" >/dev/kmsg
	tb_wait_jq "$rec2" "any(.type == \"hang\" and .dev == \"$UP\")" ||
		tb_fail "roundtrip: a hang on $UP was reported in the second recording"
	vno_record_stop INT

	s1=$(jq -c -s --arg up "$old_up" "$XMIT_SEQ" "$rec1")
	s2=$(jq -c -s --arg up "$UP" "$XMIT_SEQ" "$rec2")
	assert_eq "$(jq length <<<"$s1")" 28 "roundtrip: 28 guest frames at the uplink's xmit in the original"
	if [[ $s1 == "$s2" ]]; then
		tb_pass "roundtrip: the uplink's xmit sequence of (gso_size, gso_segs, gso_type, ip_summed, csum_start, csum_offset, len) is the original's"
	else
		tb_fail "roundtrip: the uplink's xmit sequence differs"
		diff <(jq -c '.[]' <<<"$s1") <(jq -c '.[]' <<<"$s2") | head -n 20 | sed 's/^/#   /' >&2
	fi
	s1=$(top_suspect "$cap1" "$old_up")
	s2=$(top_suspect "$cap2" "$UP")
	[[ $s1 != null && -n $s1 ]] && tb_pass "roundtrip: the original capture names a top suspect ($s1)" ||
		tb_fail "roundtrip: the original capture names a top suspect"
	assert_eq "$s2" "$s1" "roundtrip: report on the replay's capture names the same top suspect"
}

case_window()
{
	[[ -w /dev/kmsg ]] || skip "cannot write /dev/kmsg to plant a hang line"
	local rec=$TB_TMP/w.jsonl cap=$TB_TMP/w.pcapng rec2 old_mac n w
	bed
	vno_record_start "$rec" -- -i tap0 -i "$UP" --json --stall-ms 0 -w "$cap"
	tb_plant tcp4-tso:segs=4:mss=1448:sport=46001 tcp4-tso:segs=4:mss=1448:sport=46002 \
		tcp4-tso:segs=4:mss=1448:sport=46003
	tb_wait_until "$TB_TIMEOUT" _xmit_at_least "$rec" 3 || tb_fatal "the first frames reached $UP"
	echo "<3>e1000e 0000:00:19.0 $UP: Detected Hardware Unit Hang:" >/dev/kmsg
	tb_wait_jq "$rec" '[.[] | select(.type == "hang")] | length == 1' || tb_fatal "the first hang"
	tb_plant udp4-uso:segs=4:mss=600:sport=46101 udp4-uso:segs=4:mss=600:sport=46102
	tb_wait_until "$TB_TIMEOUT" _xmit_at_least "$rec" 5 || tb_fatal "the next frames reached $UP"
	echo "<3>e1000e 0000:00:19.0 $UP: Reset adapter unexpectedly" >/dev/kmsg
	tb_wait_jq "$rec" '[.[] | select(.type == "hang")] | length == 2' || tb_fatal "the second hang"
	vno_record_stop INT
	old_mac=$TB_PEER_MAC

	TB_H=${TB_H}w TB_P=${TB_P}w
	replay_bed
	for w in 1 2; do
		rec2=$TB_TMP/w$w.jsonl
		vno_record_start "$rec2" -- -i "$UP" --json --stall-ms 0
		ip netns exec "$TB_H" "$VNO_BIN" replay "$cap" --tap tap0 --window "$w" --rate 0 \
			--rewrite-mac "$old_mac=$TB_PEER_MAC" >"$TB_TMP/w$w.out" 2>"$TB_TMP/w$w.out.err"
		assert_eq "$?" 0 "window $w: replay exits 0"
		n=$((w == 1 ? 3 : 5))
		tb_wait_until "$TB_TIMEOUT" _xmit_at_least "$rec2" "$n" || true
		vno_record_stop INT
		grep -q "wrote $n frames" "$TB_TMP/w$w.out" && tb_pass "window $w: $n frames written" ||
			tb_fail "window $w: $n frames written: $(cat "$TB_TMP/w$w.out" "$TB_TMP/w$w.out.err")"
		assert_jq "$rec2" "map(select(.type == \"frame\" and .hop == \"xmit\" and .saddr == \"192.0.2.1\")
			| .sport) | sort == ([46001, 46002, 46003] + (if $w == 2 then [46101, 46102] else [] end))" \
			"window $w: at $UP exactly the frames before hang $w"
	done
	ip netns exec "$TB_H" "$VNO_BIN" replay "$cap" --tap tap0 --window 3 >/dev/null 2>"$TB_TMP/w3.err"
	assert_eq "$?" 1 "window 3 of 2 hangs: exit 1"
	grep -q 'holds 2 hangs' "$TB_TMP/w3.err" && tb_pass "window 3: says the capture holds 2 hangs" ||
		tb_fail "window 3: says the capture holds 2 hangs: $(cat "$TB_TMP/w3.err")"
}

case_pace()
{
	local rec=$TB_TMP/p.jsonl cap=$TB_TMP/p.pcapng rec2=$TB_TMP/p2.jsonl old_mac span secs pid n
	bed
	vno_record_start "$rec" -- -i tap0 -i "$UP" --json --stall-ms 0 -w "$cap"
	tb_plant tcp4-tso:segs=2:mss=1448:sport=49001
	sleep 0.5
	tb_plant tcp4-tso:segs=2:mss=1448:sport=49002
	tb_wait_until "$TB_TIMEOUT" _xmit_at_least "$rec" 2 || tb_fatal "the frames reached $UP"
	vno_record_stop INT
	old_mac=$TB_PEER_MAC
	# The span the recorder saw between the two frames at tap0's rx.
	span=$(jq -s '[.[] | select(.type == "frame" and .hop == "rx" and .dev == "tap0")]
		| (.[1].ts_ns - .[0].ts_ns) / 1e9' "$rec")

	TB_H=${TB_H}p TB_P=${TB_P}p
	replay_bed
	ip netns exec "$TB_H" "$VNO_BIN" replay "$cap" --tap tap0 --rate 0.5 \
		--rewrite-mac "$old_mac=$TB_PEER_MAC" >"$TB_TMP/p.out" 2>&1
	assert_eq "$?" 0 "pace: --rate 0.5 exits 0"
	secs=$(sed -n 's/.* into tap0 in \([0-9.]*\) s.*/\1/p' "$TB_TMP/p.out")
	awk -v s="${secs:-0}" -v w="$span" 'BEGIN { exit !(s >= 2 * w * 0.98) }' &&
		tb_pass "pace: --rate 0.5 took ${secs} s for a recorded span of ${span} s (at least twice)" ||
		tb_fail "pace: --rate 0.5 took ${secs:-?} s for a recorded span of ${span} s: $(cat "$TB_TMP/p.out")"

	vno_record_start "$rec2" -- -i "$UP" --json --stall-ms 0
	# At the recorded pace: back to back (--rate 0) it would flood the recorder.
	ip netns exec "$TB_H" "$VNO_BIN" replay "$cap" --tap tap0 --loop 0 \
		--rewrite-mac "$old_mac=$TB_PEER_MAC" >"$TB_TMP/l.out" 2>&1 &
	pid=$!
	TB_PIDS+=("$pid")
	tb_wait_until "$TB_TIMEOUT" _xmit_at_least "$rec2" 6 ||
		tb_fail "pace: --loop 0 wrote the frames again and again ($(guest_xmit "$rec2") at $UP)"
	kill -INT "$pid"
	wait "$pid"
	assert_eq "$?" 0 "pace: --loop 0 ends on SIGINT with exit 0"
	vno_record_stop INT
	n=$(sed -n 's/.*wrote \([0-9]*\) frames.*/\1/p' "$TB_TMP/l.out")
	((${n:-0} >= 6)) && grep -q 'stopped by a signal' "$TB_TMP/l.out" &&
		tb_pass "pace: --loop 0 said its $n frames and that a signal stopped it" ||
		tb_fail "pace: --loop 0's counts after SIGINT: $(cat "$TB_TMP/l.out")"
}

# bad_capture NAME FILE WORDS: replaying FILE writes nothing, exits 1 and
# says WORDS (an ERE) and "nothing replayed".
bad_capture()
{
	local name=$1 file=$2 words=$3 rec=$TB_TMP/$1.jsonl rc
	replay_bed
	vno_record_start "$rec" -- -i tap0 -i "$UP" --json --stall-ms 0
	ip netns exec "$TB_H" "$VNO_BIN" replay "$file" --tap tap0 --bridge br0 --rate 0 \
		>"$TB_TMP/$name.out" 2>"$TB_TMP/$name.err"
	rc=$?
	# A frame written would be at tap0's rx at once: planting one after it
	# and seeing it arrive proves the recorder was looking.
	ip netns exec "$TB_H" "$VNO_BIN" replay "$TB_TMP/good.pcapng" --tap tap0 --rate 0 \
		--rewrite-mac "$GOOD_MAC=$TB_PEER_MAC" >"$TB_TMP/$name.good" 2>&1 ||
		tb_fail "$name: the good capture replays after it: $(cat "$TB_TMP/$name.good")"
	tb_wait_jq "$rec" 'any(.type == "frame" and .hop == "rx" and .dev == "tap0" and .sport == 47001)' ||
		tb_fail "$name: the good capture's frame reached tap0's rx"
	vno_record_stop INT
	assert_eq "$rc" 1 "$name: exit 1"
	[[ $(wc -l <"$TB_TMP/$name.err") == 1 ]] && grep -qE "$words" "$TB_TMP/$name.err" &&
		grep -q 'nothing replayed' "$TB_TMP/$name.err" &&
		tb_pass "$name: one sentence: $(cat "$TB_TMP/$name.err")" ||
		tb_fail "$name: one sentence naming the problem and 'nothing replayed': $(cat "$TB_TMP/$name.err")"
	[[ ! -s $TB_TMP/$name.out ]] && tb_pass "$name: nothing on stdout" ||
		tb_fail "$name: nothing on stdout: $(cat "$TB_TMP/$name.out")"
	assert_jq "$rec" 'map(select(.type == "frame" and .hop == "rx" and .dev == "tap0")) | map(.sport) == [47001]' \
		"$name: only the good capture's frame entered from tap0"
}

# A small good capture (one frame) from the bed, and its peer's MAC.
good_capture()
{
	local rec=$TB_TMP/good.jsonl
	rm -f "$TB_TMP/good.pcapng" "$rec"
	bed
	vno_record_start "$rec" -- -i tap0 -i "$UP" --json --stall-ms 0 -w "$TB_TMP/good.pcapng"
	tb_plant tcp4-tso:segs=3:mss=1448:sport=47001
	tb_wait_until "$TB_TIMEOUT" _xmit_at_least "$rec" 1 || tb_fatal "the frame reached $UP"
	vno_record_stop INT
	GOOD_MAC=$TB_PEER_MAC
	TB_H=${TB_H}b TB_P=${TB_P}b
}

case_corrupt()
{
	local size
	good_capture
	cp "$TB_TMP/good.pcapng" "$TB_TMP/corrupt.pcapng"
	# The section header's byte-order magic (offset 8) broken.
	printf '\x00\x11\x22\x33' | dd of="$TB_TMP/corrupt.pcapng" bs=1 seek=8 conv=notrunc status=none
	bad_capture corrupt "$TB_TMP/corrupt.pcapng" 'corrupt|magic|byte.order|not a pcapng'
	size=$(stat -c %s "$TB_TMP/good.pcapng")
	# A block's length in the middle of the file made absurd.
	cp "$TB_TMP/good.pcapng" "$TB_TMP/corrupt2.pcapng"
	TB_H=${TB_H}2 TB_P=${TB_P}2
	printf '\xff\xff\xff\x7f' | dd of="$TB_TMP/corrupt2.pcapng" bs=1 conv=notrunc status=none \
		seek="$(first_epb_len_offset "$TB_TMP/corrupt2.pcapng")"
	bad_capture corrupt2 "$TB_TMP/corrupt2.pcapng" 'block|length|corrupt'
}

case_refused()
{
	local n
	good_capture
	# The record option (README, "Capture files"): "VNOF", u16 version (4),
	# u16 length, u64 map of struct vno_frame's non-zero 8-byte words, then
	# those words: csum_start at 56 (word 7), hop at 76 (word 9). An rx
	# frame with bytes has network_off in word 7, so the word is there.
	n=$(python3 - "$TB_TMP/good.pcapng" "$TB_TMP/refused.pcapng" <<'EOF'
import struct, sys
d = bytearray(open(sys.argv[1], 'rb').read())
n, i = 0, d.find(b'VNOF')
while i >= 0:
    ver, = struct.unpack_from('<H', d, i + 4)
    assert ver == 4, 'record version %d' % ver
    m, = struct.unpack_from('<Q', d, i + 8)
    at = {w: i + 16 + 8 * bin(m & ((1 << w) - 1)).count('1') for w in range(22) if m >> w & 1}
    hop = d[at[9] + 4] if 9 in at else 0
    if hop == 0:
        assert 7 in at, 'an rx record without word 7'
        struct.pack_into('<H', d, at[7], 65000)
        n += 1
    i = d.find(b'VNOF', i + 4)
open(sys.argv[2], 'wb').write(d)
print(n)
EOF
)
	assert_eq "$n" 1 "refused: one rx record patched"
	replay_bed
	ip netns exec "$TB_H" "$VNO_BIN" replay "$TB_TMP/refused.pcapng" --tap tap0 --bridge br0 \
		--rate 0 --rewrite-mac "$GOOD_MAC=$TB_PEER_MAC" >"$TB_TMP/refused.out" 2>&1
	assert_eq "$?" 0 "refused: replay exits 0 (a refused frame is counted, not an error)"
	grep -q 'wrote 0 frames .*refused by tun: 1 (EINVAL: 1)' "$TB_TMP/refused.out" &&
		tb_pass "refused: counted with its errno: $(grep -o 'refused by tun.*' "$TB_TMP/refused.out")" ||
		tb_fail "refused: counted with its errno: $(cat "$TB_TMP/refused.out")"
	# The same as the one JSON line, against the schema.
	ip netns exec "$TB_H" "$VNO_BIN" --json replay "$TB_TMP/refused.pcapng" --tap tap0 --rate 0 \
		--rewrite-mac "$GOOD_MAC=$TB_PEER_MAC" >"$TB_TMP/refused.jsonl" 2>"$TB_TMP/refused.jsonl.err"
	assert_jq "$TB_TMP/refused.jsonl" 'length == 1 and .[0].type == "replay" and .[0].written == 0
		and .[0].refused == 1 and .[0].refused_by_errno == {"EINVAL": 1} and .[0].frames == 1
		and .[0].mended.rewritten == 1 and .[0].stopped == false' \
		"refused: --json: one replay line with the count by errno"
	"$VNO_BIN" schema >"$TB_TMP/schema.json"
	/usr/bin/python3 "$TB_ROOT/tests/tools/schema_check.py" --strict --expect replay \
		"$TB_TMP/schema.json" "$TB_TMP/refused.jsonl" >"$TB_TMP/schema.out" 2>&1 &&
		tb_pass "refused: the replay line is valid against the schema" ||
		tb_fail "refused: the replay line against the schema: $(head -c 600 "$TB_TMP/schema.out")"
}

case_options()
{
	local args want
	while IFS='|' read -r args want; do
		# shellcheck disable=SC2086 # the arguments are words, split on purpose
		"$VNO_BIN" replay $args >"$TB_TMP/o.out" 2>"$TB_TMP/o.err"
		assert_eq "$?" 2 "options: replay $args: exit 2"
		[[ $(wc -l <"$TB_TMP/o.err") == 1 ]] && grep -q -- "$want" "$TB_TMP/o.err" && [[ ! -s $TB_TMP/o.out ]] &&
			tb_pass "options: replay $args: $(cat "$TB_TMP/o.err")" ||
			tb_fail "options: replay $args: one sentence saying '$want': $(cat "$TB_TMP/o.err" "$TB_TMP/o.out")"
	done <<'EOF'
/nonexistent.pcapng|needs --tap
/nonexistent.pcapng --tap t0 --rate -1|--rate -1
/nonexistent.pcapng --tap t0 --rate fast|--rate fast
/nonexistent.pcapng --tap t0 --window 0|--window 0
/nonexistent.pcapng --tap t0 --loop x|--loop x
/nonexistent.pcapng --tap t0 --rewrite-mac 02:00:00:00:00:01|OLD=NEW
/nonexistent.pcapng --tap t0 --rewrite-ip 192.0.2.1=2001:db8::1|one family
/nonexistent.pcapng --tap t0 --bogus|unknown option --bogus
--tap t0|one capture file
EOF
	"$VNO_BIN" replay /nonexistent.pcapng --tap t0 >/dev/null 2>"$TB_TMP/o.err"
	assert_eq "$?" 1 "options: a capture that does not exist: exit 1"
	grep -q 'nothing replayed' "$TB_TMP/o.err" && tb_pass "options: $(cat "$TB_TMP/o.err")" ||
		tb_fail "options: a capture that does not exist: $(cat "$TB_TMP/o.err")"
}

# The offset of the first enhanced packet block's length field.
first_epb_len_offset()
{
	python3 - "$1" <<'EOF'
import struct, sys
d = open(sys.argv[1], 'rb').read()
off = 0
while off + 12 <= len(d):
    t, n = struct.unpack_from('<II', d, off)
    if t == 6:
        print(off + 4)
        break
    off += n
EOF
}

case_truncated()
{
	local size
	good_capture
	size=$(stat -c %s "$TB_TMP/good.pcapng")
	head -c $((size - 40)) "$TB_TMP/good.pcapng" >"$TB_TMP/cut.pcapng"
	bad_capture truncated "$TB_TMP/cut.pcapng" 'truncated'
}

tb_run_cases "roundtrip window pace refused options corrupt truncated" "$@"
