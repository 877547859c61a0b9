#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# record -f / -m in the netns bed: two flows from the stand-in guest through
# the bridge to the uplink, one of them on TCP port 873.
#   flow    -f 'tcp port 873' keeps exactly that flow's frames, at rx, xmit
#           and done; report -f on a capture of everything, made at the same
#           time, keeps the same frames (hop and pkt_id)
#   match   -m 'gso_size < 100' keeps exactly the planted tiny frames
#   both    -f and -m together: their intersection
#   bad     a malformed -f is exit 2 with libpcap's words and a column, no
#           ready line and nothing attached (no clsact left on up0)
#   inbpf   the BPF programs leave the other flow out: the summary's
#           left_out.bpf counts at least every record an unfiltered recorder
#           beside it made of that flow, none is left out after decoding,
#           and the records are exactly the frame lines; -m 'dev == up0'
#           keeps only up0's frames, tap0's left out in BPF; -m on anomaly
#           makes it bpf+user
#   fallback a -f too long for the programs' block: said on stderr, the
#           ready line says user, the same frames kept, all left out after
#           decoding
#   snap    a filter that reads no frame byte (len >= 0) runs in the BPF
#           programs too, and the bytes a record keeps are those it would
#           keep without a filter: two captures made side by side, one with
#           the filter (on up0 alone, so it judges each frame at up0's
#           xmit), hold the same bytes for every record, a frame whose VLAN
#           tag the skb holds out of band there included (the filter sees the
#           tag put back, the record keeps the frame as the skb has it)
# Each planted frame has its own source port; the checks read the output
# with jq. A done record carries no frame bytes: it belongs to a flow by the
# pkt_id of that flow's xmit.
. "$(dirname "$0")/lib.sh"

tb_need_vno

JQ_LIB='
def frames: map(select(.type == "frame"));
def last: .hop == "done" or .hop == "drop";
def ports($p): frames | map(select(.sport == $p or .dport == $p));
def ids($p): ports($p) | map(.pkt_id) | unique;
# The frames of the flow from source port $s: its own, and the done/drop of its skbs.
def flow($s): ids($s) as $ids | frames
	| map(select(.sport == $s or .dport == $s or (last and (.pkt_id as $i | $ids | index($i)))));
def hops($s): flow($s) | map(select(.dev == "tap0" or .dev == "up0") | .hop) | unique;
'

# wait_done OUT SPORT...: each planted source port reached done on up0.
wait_done()
{
	local out=$1 s
	shift
	for s in "$@"; do
		tb_wait_jq "$out" "$JQ_LIB flow($s) | any(.hop == \"done\" and .dev == \"up0\")" ||
			tb_fail "the frame from port $s reached done on up0 (record $out)"
	done
}

# has_all_hops OUT SPORT: kept at rx on tap0, xmit and done on up0.
has_all_hops()
{
	assert_jq "$1" "$JQ_LIB hops($2) as \$h | [\"rx\", \"xmit\", \"done\"] | all(. as \$x | \$h | index(\$x))" \
		"$1: the frame from port $2 at rx, xmit and done"
}

none_of()
{
	assert_jq "$1" "$JQ_LIB ports($2) | length == 0" "$1: nothing of the flow from port $2"
}

case_flow()
{
	local rec=$TB_TMP/flow.jsonl all=$TB_TMP/all.jsonl cap=$TB_TMP/all.pcapng pid_f
	tb_up
	# Everything, into a capture, while the filtered recorder runs beside it.
	vno_record_start "$all" -- -i tap0 -i up0 --json -w "$cap"
	pid_all=$VNO_REC_PID
	vno_record_start "$rec" -- -i tap0 -i up0 --json -f 'tcp port 873'
	pid_f=$VNO_REC_PID
	assert_jq "$rec" '.[0].type == "ready" and .[0].filter.expr == "tcp port 873"
		and .[0].filter.match == [] and .[0].filter.evaluated == "bpf"' \
		"the ready line states the filter and where it runs"
	tb_plant tcp4-tso:segs=8:mss=1448:sport=43001:dport=873 tcp4-tso:segs=8:mss=1448:sport=43002 \
		udp4-uso:segs=4:mss=1200:sport=43003:dport=873
	wait_done "$rec" 43001
	wait_done "$all" 43001 43002
	vno_record_stop INT
	assert_eq "$VNO_REC_RC" 0 "record -f exits 0"
	VNO_REC_PID=$pid_all
	vno_record_stop INT
	has_all_hops "$rec" 43001
	none_of "$rec" 43002
	none_of "$rec" 43003
	assert_jq "$rec" "$JQ_LIB frames | map(select(last | not)) | length > 0
		and all(.l4 == \"tcp\" and (.sport == 873 or .dport == 873))" \
		"every frame kept where it was judged is TCP to or from port 873"
	assert_jq "$rec" "$JQ_LIB (frames | map(select(last | not) | .pkt_id)) as \$ids
		| frames | map(select(last)) | all(.pkt_id as \$i | \$ids | index(\$i))" \
		"every done/drop kept is of a frame kept before"
	# The unfiltered recorder saw the others: the filter, not the bed, left them out.
	has_all_hops "$all" 43002
	"$VNO_BIN" report --json --frames -f 'tcp port 873' "$cap" >"$TB_TMP/rep.jsonl" \
		2>"$TB_TMP/rep.err" || tb_fail "report -f: $(head -c 300 "$TB_TMP/rep.err")"
	# pkt_ids are per recorder: the frames are compared by what they carry.
	key="$JQ_LIB flow(43001) | map([.hop, .dev, .len, .gso_size, .gso_segs]) | sort"
	assert_eq "$(jq -c -s "$key" "$TB_TMP/rep.jsonl")" "$(jq -c -s "$key" "$rec")" \
		"report -f on the capture keeps the same frames of the flow as record -f live"
	assert_jq "$TB_TMP/rep.jsonl" "$JQ_LIB frames | map(select(last | not))
		| length > 0 and all(.sport == 873 or .dport == 873)" \
		"report -f keeps nothing else"
}

case_match()
{
	local rec=$TB_TMP/match.jsonl
	tb_up
	vno_record_start "$rec" -- -i tap0 -i up0 --json -m 'gso_size < 100'
	tb_plant udp4-uso:segs=20:mss=48:sport=43011 tcp4-tso:segs=4:mss=64:sport=43012 \
		tcp4-tso:segs=8:mss=1448:sport=43013 udp4-uso:segs=4:mss=1200:sport=43014
	wait_done "$rec" 43011 43012
	vno_record_stop INT
	has_all_hops "$rec" 43011
	has_all_hops "$rec" 43012
	none_of "$rec" 43013
	none_of "$rec" 43014
	assert_jq "$rec" "$JQ_LIB frames | map(select(.hop != \"done\" and .hop != \"drop\"))
		| all(.gso_size < 100)" "every frame kept, where it was judged, has gso_size < 100"
}

case_both()
{
	local rec=$TB_TMP/both.jsonl cap=$TB_TMP/both.pcapng
	local want="-f 'tcp port 873' -m 'gso_size < 100' -m 'gso_type has tcpv4'"
	tb_up
	vno_record_start "$rec" -- -i tap0 -i up0 --json -w "$cap" -f 'tcp port 873' \
		-m 'gso_size < 100' -m 'gso_type has tcpv4'
	tb_plant tcp4-tso:segs=10:mss=48:sport=43021:dport=873 tcp4-tso:segs=8:mss=1448:sport=43022:dport=873 \
		udp4-uso:segs=20:mss=48:sport=43023:dport=873 tcp4-tso:segs=10:mss=48:sport=43024
	wait_done "$rec" 43021
	if [[ -w /dev/kmsg ]]; then
		echo "<3>e1000e 0000:00:19.0 up0: Detected Hardware Unit Hang:" >/dev/kmsg
		tb_wait_jq "$rec" 'any(.type == "hang" and .dev == "up0")' || tb_fail "a hang after the kmsg line"
		assert_jq "$rec" 'map(select(.type == "hang")) | .[0].filter == $w' \
			"the diagnosis states the filter it was made under" --arg w "$want"
	else
		tb_log "cannot write /dev/kmsg: the diagnosis's filter is not checked"
	fi
	vno_record_stop INT
	has_all_hops "$rec" 43021
	none_of "$rec" 43022
	none_of "$rec" 43023
	none_of "$rec" 43024
	assert_jq "$rec" '.[0].filter == {"expr": "tcp port 873", "match": ["gso_size < 100",
		"gso_type has tcpv4"], "evaluated": "bpf"}' "the ready line states both, as given"
	"$VNO_BIN" report --json --frames "$cap" >"$TB_TMP/both-rep.jsonl" 2>"$TB_TMP/both-rep.err" ||
		tb_fail "report: $(head -c 300 "$TB_TMP/both-rep.err")"
	assert_jq "$TB_TMP/both-rep.jsonl" '.[0].type == "capture" and .[0].filter == $w' \
		"the capture's session block states the filter" --arg w "$want"
	assert_eq "$(jq -c -s "$JQ_LIB flow(43021) | map([.hop, .dev, .len]) | sort" "$TB_TMP/both-rep.jsonl")" \
		"$(jq -c -s "$JQ_LIB flow(43021) | map([.hop, .dev, .len]) | sort" "$rec")" \
		"the capture holds the frames record kept"
	assert_jq "$TB_TMP/both-rep.jsonl" "$JQ_LIB frames | map(select(last | not)) | all(.sport == 873 or .dport == 873)" \
		"and nothing else"
}

case_bad()
{
	local out=$TB_TMP/bad.out rc
	tb_up
	ip netns exec "$TB_H" "$VNO_BIN" record -i up0 --tc-mode clsact -f 'tcp prot 873' \
		>"$out" 2>"$out.err"
	rc=$?
	assert_eq "$rc" 2 "a malformed -f exits 2"
	assert_eq "$(grep -c . "$out")" 0 "nothing on standard output (no ready line)"
	assert_jq <(jq -R -s '{e: .}' "$out.err") '.[0].e | test("-f .tcp prot 873.: .*syntax error at column 5")
		and (split("\n") | map(select(. != "")) | length == 1)' \
		"one sentence with libpcap's error and the column"
	assert_eq "$(tc -n "$TB_H" qdisc show dev up0 | grep -c clsact)" 0 "no clsact attached to up0"
	ip netns exec "$TB_H" "$VNO_BIN" record -i up0 -m 'gso_size <> 3' >"$out" 2>"$out.err"
	assert_eq "$?" 2 "a malformed -m exits 2"
	assert_jq <(jq -R -s '{e: .}' "$out.err") '.[0].e | test("at column 11")' "-m names the column"
}

case_inbpf()
{
	local rec=$TB_TMP/inbpf.jsonl all=$TB_TMP/inbpf-all.jsonl dev=$TB_TMP/inbpf-dev.jsonl
	local pid_all pid_dev
	tb_up
	vno_record_start "$all" -- -i tap0 -i up0 --json
	pid_all=$VNO_REC_PID
	vno_record_start "$dev" -- -i tap0 -i up0 --json -m 'dev == up0'
	pid_dev=$VNO_REC_PID
	assert_jq "$dev" '.[0].filter.evaluated == "bpf"' "-m on an exact dev name runs in the BPF programs"
	vno_record_start "$rec" -- -i tap0 -i up0 --json -f 'tcp port 873' -m 'gso_size >= 1000'
	assert_jq "$rec" '.[0].filter.evaluated == "bpf"' "-f and -m on gso_size run in the BPF programs"
	tb_plant tcp4-tso:segs=6:mss=1448:sport=43031:dport=873 tcp4-tso:segs=6:mss=1448:sport=43032 \
		tcp4-tso:segs=6:mss=1448:sport=43033 tcp4-tso:segs=6:mss=1448:sport=43034:dport=873
	wait_done "$rec" 43031 43034
	wait_done "$all" 43032 43033
	wait_done "$dev" 43031 43032
	vno_record_stop INT
	VNO_REC_PID=$pid_all
	vno_record_stop INT
	VNO_REC_PID=$pid_dev
	vno_record_stop INT
	assert_jq "$dev" 'map(select(.type == "frame")) | length > 0 and all(.dev == "up0")' \
		"-m 'dev == up0': only up0's frames"
	assert_jq "$dev" 'map(select(.type == "summary")) | .[0].left_out | .bpf >= 4 and .user == 0' \
		"tap0's were left out in the BPF programs"
	has_all_hops "$rec" 43031
	none_of "$rec" 43032
	none_of "$rec" 43033
	others=$(jq -s "$JQ_LIB flow(43032) + flow(43033) | length" "$all")
	assert_jq "$rec" 'map(select(.type == "summary")) | .[0].left_out.bpf >= $n and $n >= 6' \
		"the BPF programs left out every record of the other flows ($others)" --argjson n "$others"
	assert_jq "$rec" 'map(select(.type == "summary")) | .[0].left_out.user == 0' \
		"nothing left out after decoding: the programs judged every hop"
	assert_jq "$rec" '(map(select(.type == "frame")) | length) as $f
		| map(select(.type == "summary")) | .[0].records == $f' \
		"the records that reached user space are the frames printed"
	# A predicate only user space can test: the rest still runs in BPF.
	vno_record_start "$rec.2" -- -i up0 --json -f 'tcp port 873' -m 'anomaly == none'
	assert_jq "$rec.2" '.[0].filter.evaluated == "bpf+user"' "-m on anomaly makes it bpf+user"
	vno_record_stop INT
}

case_fallback()
{
	local rec=$TB_TMP/fallback.jsonl expr='tcp port 873' i
	# About 2000 classic instructions: more than the programs' block holds.
	for ((i = 1; i <= 400; i++)); do
		expr+=" or tcp port $((2000 + i))"
	done
	tb_up
	vno_record_start "$rec" -- -i tap0 -i up0 --json -f "$expr"
	assert_jq "$rec" '.[0].filter.evaluated == "user"' "the ready line says user"
	assert_jq <(jq -R -s '{e: .}' "$rec.err") '.[0].e | test("do not fit in the BPF programs. block of [0-9]+: evaluated in user space")' \
		"stderr says why"
	tb_plant tcp4-tso:segs=6:mss=1448:sport=43041:dport=873 tcp4-tso:segs=6:mss=1448:sport=43042
	wait_done "$rec" 43041
	vno_record_stop INT
	assert_eq "$VNO_REC_RC" 0 "record exits 0"
	has_all_hops "$rec" 43041
	none_of "$rec" 43042
	assert_jq "$rec" 'map(select(.type == "summary")) | .[0].left_out | .bpf == 0 and .user >= 3' \
		"left out after decoding, none in the BPF programs"
}

# snap_bytes FILE: one line per record with frame bytes: interface, hop,
# the bytes in hex (packet ids are each recorder's own).
snap_bytes()
{
	tshark -r "$1" -T json -x 2>/dev/null | jq -r '.[]._source.layers | select(.frame_raw != null)
		| .frame["frame.interface_id_tree"] as $ift | select($ift != null and .frame["frame.packet_id"] != null)
		| [$ift["frame.interface_name"], ($ift["frame.interface_description"] | capture("hop=(?<h>[a-z-]+)").h),
		   (.frame_raw | if type == "array" then .[0] else . end)] | @tsv' |
		sort
}

case_snap()
{
	local all=$TB_TMP/snap-all.jsonl flt=$TB_TMP/snap-f.jsonl pid_all
	tb_need_cmd tshark
	tb_up
	vno_record_start "$all" -- -i tap0 -i up0 --json -w "$TB_TMP/snap-all.pcapng"
	pid_all=$VNO_REC_PID
	# up0 alone: its xmit is where the filter first sees each frame.
	vno_record_start "$flt" -- -i up0 --json -f 'len >= 0' -w "$TB_TMP/snap-f.pcapng"
	assert_jq "$flt" '.[0].filter.evaluated == "bpf"' "a filter on the length alone runs in the BPF programs"
	tb_plant tcp4-tso:segs=4:mss=1448:sport=43051 tcp4-tso:segs=4:mss=1448:vlan=100:sport=43052
	wait_done "$all" 43051
	tb_wait_jq "$flt" "$JQ_LIB flow(43051) | any(.hop == \"done\" and .dev == \"up0\")" ||
		tb_fail "the frame from port 43051 reached done on up0 (record $flt)"
	for f in "$flt" "$all"; do
		tb_wait_jq "$f" "$JQ_LIB ports(43052) | any(.hop == \"xmit\" and .dev == \"up0\")" ||
			tb_fail "the tagged frame reached xmit on up0 (record $f)"
	done
	vno_record_stop INT
	VNO_REC_PID=$pid_all
	vno_record_stop INT
	snap_bytes "$TB_TMP/snap-all.pcapng" >"$TB_TMP/snap-all.txt"
	snap_bytes "$TB_TMP/snap-f.pcapng" >"$TB_TMP/snap-f.txt"
	# Source port 43052 is a82c after the addresses of 192.0.2.0/24.
	assert_eq "$(awk -F'\t' '$1 == "up0" && $2 == "xmit" && $3 ~ /0202a82c/ { print substr($3, 25, 4) }' \
		"$TB_TMP/snap-f.txt")" 0800 \
		"the tagged frame's record at up0, judged with its tag put back, keeps the bytes without it (IPv4 after the MAC addresses)"
	assert_jq "$flt" "$JQ_LIB ports(43052) | map(select(.hop == \"xmit\" and .dev == \"up0\"))[0].vlan == 100" \
		"and its VLAN tag in the record's fields"
	[[ $(wc -l <"$TB_TMP/snap-f.txt") -ge 2 ]] || tb_fail "records with bytes in the filtered capture (xmit of both frames): $(wc -l <"$TB_TMP/snap-f.txt")"
	# Every record of the filtered capture is in the other with the same bytes.
	local missing
	missing=$(comm -23 "$TB_TMP/snap-f.txt" "$TB_TMP/snap-all.txt" | head -3)
	assert_eq "$missing" "" "every record's bytes the same with the filter as without"
}

tb_run_cases "flow match both bad inbpf fallback snap" "$@"
