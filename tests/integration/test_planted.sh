#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Plant an exact list of super-frames from the stand-in guest and check that
# `record --json` reports each one at the tap's rx hop with the planted
# metadata, and the same skb (pkt_id) at the uplink's tc-egress (--tc-mode
# auto), xmit and done.
#
# Kernel facts this relies on (6.18, checked with bpftrace on this bed):
# - virtio_net_hdr_to_skb() marks guest GSO frames DODGY and leaves gso_segs
#   0; the kernel fills it in on the way to the driver, so the exact segment
#   count is only guaranteed at xmit (rx and tc-egress may show 0).
# - The peer answers TCP to a closed port with RST and frees the frame with
#   NO_SOCKET; a USO frame to a UDP socket is segmented and the original skb
#   consume_skb()'d (done without a reason); a VLAN-tagged frame with no VLAN
#   device in the peer is dropped (OTHERHOST).
. "$(dirname "$0")/lib.sh"

tb_need_vno
tb_up

REC=$TB_TMP/record.jsonl
vno_record_start "$REC" -- -i tap0 -i up0 --json --tc-mode auto

# One source port per frame, so each is found again without ambiguity.
tb_plant \
	tcp4-tso:segs=10:mss=1448:sport=41001 \
	tcp6-tso:segs=4:mss=1428:sport=41002 \
	udp4-uso:segs=5:mss=1200:sport=41003 \
	tcp4-csum:sport=41004 \
	tcp4-tso:segs=10:mss=1448:vlan=100:sport=41005 \
	tcp4-plain:sport=41006

assert_eq "$(jq -s 'map(select(.written)) | length' "$TB_PLANTED")" 6 \
	"the guest wrote all 6 frames into the tap"

# Completions happen in the peer's softirq after the write returned: wait for
# the five done records (bounded), then stop.
tb_wait_jq "$REC" '[.[] | select(.type == "frame" and .hop == "done" and .dev == "up0")]
	| length >= 5' 5 ||
	tb_log "no 5 done records on up0 in the output yet (not flushed per line?); stopping anyway"
vno_record_stop INT
assert_eq "$VNO_REC_RC" 0 "record exits 0 on SIGINT"

# jq helpers; $p is one planted frame as vno-guest printed it.
JQ_LIB='
def frames: map(select(.type == "frame"));
# tcpdump writes ACK as ".", others as "A": compare the set of flags.
def flagset: (. // "") | gsub("\\."; "A") | split("") | sort;
def gso_want($p): ($p.gso_type + (if ($p.gso_type | length) > 0 then ["dodgy"] else [] end)) | sort;
# Offsets and length seen after the bridge: a VLAN tag in the frame moves
# into skb->vlan_tci on receive, so it is 4 bytes shorter from then on.
def vlan_shift($p): if $p.vlan != null then 4 else 0 end;
def rx($p): frames | map(select(.hop == "rx" and .dev == "tap0" and .sport == $p.sport
	and .dport == $p.dport and .l4 == $p.l4));
def at($hop; $p; $id): frames | map(select(.hop == $hop and .dev == "up0" and .pkt_id == $id
	and .sport == $p.sport and .dport == $p.dport));
def meta_ok($p; $cs):
	.gso_size == $p.gso_size and (.gso_type | sort) == gso_want($p)
	and .ip_summed == $p.ip_summed and .csum_start == $cs and .csum_offset == $p.csum_offset
	and .vlan == $p.vlan and .l3 == $p.l3 and .l4 == $p.l4
	and .saddr == $p.saddr and .daddr == $p.daddr;
'

# A failed check prints what was found, so the log explains it.
show()
{
	jq -c -s "$JQ_LIB $1" --argjson p "$p" "$REC" 2>/dev/null | head -c 1500 | sed 's/^/       /' >&2
	echo >&2
}

check()
{
	local filter=$1 msg=$2 shown=${3:-}
	assert_jq "$REC" "$JQ_LIB $filter" "$spec: $msg" --argjson p "$p" ||
		{ [[ -n $shown ]] && show "$shown"; }
}

while read -r p; do
	spec=$(jq -r .spec <<<"$p")
	[[ $(jq -r .kind <<<"$p") == *-plain ]] && continue

	check 'rx($p) | length == 1' "one frame at rx on tap0" 'rx($p)'
	id=$(jq -r -s "$JQ_LIB"' rx($p)[0].pkt_id // ""' --argjson p "$p" "$REC")
	[[ -n $id ]] || continue

	check 'rx($p)[0] | meta_ok($p; $p.csum_start) and .len == $p.len' \
		"rx: gso_size/gso_type/ip_summed/csum/vlan/addresses/len as planted" 'rx($p)[0]'
	check 'rx($p)[0] | .gso_segs == $p.gso_segs or .gso_segs == 0' \
		"rx: gso_segs is the planted count or 0 (DODGY, not yet counted)" 'rx($p)[0]'
	if [[ $(jq -r .l4 <<<"$p") == tcp ]]; then
		check 'rx($p)[0] | .tcp_seq == $p.tcp_seq and (.tcp_flags | flagset) == ($p.tcp_flags | flagset)' \
			"rx: tcp_seq and tcp_flags as planted" 'rx($p)[0] | {tcp_seq, tcp_flags}'
	fi

	for hop in tc-egress xmit; do
		check "at(\"$hop\"; \$p; \"$id\") | length == 1" \
			"$hop on up0 with the rx pkt_id" "frames | map(select(.hop == \"$hop\" and .dev == \"up0\"))"
		check "at(\"$hop\"; \$p; \"$id\")[0] | meta_ok(\$p; \$p.csum_start - vlan_shift(\$p))
			and .len == \$p.len - vlan_shift(\$p)" \
			"$hop: metadata as planted (VLAN tag now in skb->vlan_tci)" "at(\"$hop\"; \$p; \"$id\")[0]"
	done
	check "at(\"tc-egress\"; \$p; \"$id\")[0] | .gso_segs == \$p.gso_segs or .gso_segs == 0" \
		"tc-egress: gso_segs is the planted count or 0"
	check "at(\"xmit\"; \$p; \"$id\")[0] | .gso_segs == \$p.gso_segs" \
		"xmit: gso_segs exactly $(jq .gso_segs <<<"$p")" "at(\"xmit\"; \$p; \"$id\")[0] | .gso_segs"

	# done: same skb, after its xmit (skb addresses, hence pkt_ids, are reused).
	DONE="(at(\"xmit\"; \$p; \"$id\")[0].ts_ns) as \$t | frames | map(select(.hop == \"done\"
		and .dev == \"up0\" and .pkt_id == \"$id\" and .ts_ns >= \$t)) | .[0]"
	check "$DONE | . != null and .latency_ns > 0" "done on up0 with the same pkt_id and a latency" \
		"frames | map(select(.hop == \"done\"))"
	case $(jq -r '.l4 + (if .vlan != null then "-vlan" else "" end)' <<<"$p") in
	tcp) want='.drop_reason == "NO_SOCKET"' why="freed by the peer with NO_SOCKET (closed port)" ;;
	udp) want='.drop_reason == null' why="consumed by the peer's UDP socket (no drop reason)" ;;
	*-vlan) want='(.drop_reason | type) == "string"' why="dropped by the peer (no VLAN device) with a named reason" ;;
	esac
	check "$DONE | $want" "done: $why" "$DONE | {drop_reason, latency_ns}"
done < <(jq -c . "$TB_PLANTED")

# Exactly the planted frames, nothing more, nothing less.
assert_jq "$REC" 'map(select(.type == "frame" and .hop == "rx" and .dev == "tap0")) | length == 5' \
	"exactly 5 frames at rx on tap0 (the plain frame carries no offload metadata)"
assert_jq "$REC" 'map(select(.type == "frame" and .sport == 41006)) | length == 0' \
	"the plain, fully checksummed frame is not reported without --all"
assert_jq "$REC" 'map(select(.type == "frame" and .hop == "xmit" and .dev == "up0"
	and (.saddr == "192.0.2.1" or .saddr == "2001:db8::1"))) | length == 5' \
	"exactly 5 guest frames at xmit on up0"
assert_jq "$REC" 'map(select(.type == "frame")) | all(.pkt_id | test("^[0-9a-f]{16}$"))' \
	"every pkt_id is 16 hex digits"

# The first and last lines.
assert_jq "$REC" '.[0].type == "ready"' "first line is the ready line"
assert_jq "$REC" '.[-1].type == "summary" and .[-1].lost_events == 0' \
	"last line is the summary, no events lost"
assert_jq "$REC" '.[-1].devices | any(.dev == "tap0" and .hop == "rx" and .frames == 5)' \
	"summary: tap0 rx 5 frames"
assert_jq "$REC" '.[-1].devices | any(.dev == "up0" and .hop == "xmit" and .frames >= 5)' \
	"summary: up0 xmit at least 5 frames"

tb_finish
