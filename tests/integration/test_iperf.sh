#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Real TCP through the bridge: an iperf3 client in a namespace behind br0
# (a guest-like veth port, gc0) sends to a server in the peer namespace, so
# the kernel's own TSO super-frames cross tap-side port -> br0 -> up0. The
# recorder must see frames with gso_segs > 1 handed to up0's driver.
. "$(dirname "$0")/lib.sh"

tb_need_vno
tb_need_cmd iperf3 ss
tb_up

TB_C=vnoc-$TB_SFX
tb_add_ns_port "$TB_C" gc0 198.51.100.3/24

tb_bg "$TB_P" "$TB_TMP/iperf-server.out" iperf3 -s -1 -B "$TB_PEER4B" -p 5201
_listening() { ip netns exec "$TB_P" ss -Hltn 'sport = :5201' | grep -q LISTEN; }
tb_wait_until "$TB_TIMEOUT" _listening || tb_fatal "iperf3 server did not start"

REC=$TB_TMP/record.jsonl
vno_record_start "$REC" -- -i up0 -i gc0 --json

# Paced to 2 Gbit/s: plenty of super-frames, a JSON file of a few MB.
if ip netns exec "$TB_C" iperf3 -c "$TB_PEER4B" -p 5201 -t 3 -b 2G -J \
	>"$TB_TMP/iperf.json" 2>"$TB_TMP/iperf.json.err"; then
	tb_pass "iperf3 ran for 3 s: $(jq -r '.end.sum_received.bits_per_second / 1e9 * 100 | round / 100' \
		"$TB_TMP/iperf.json") Gbit/s received"
else
	tb_fail "iperf3 client failed: $(head -c 300 "$TB_TMP/iperf.json.err")"
fi
vno_record_stop INT
assert_eq "$VNO_REC_RC" 0 "record exits 0 on SIGINT"

# One streaming pass over what may be tens of MB of JSON lines.
STATS=$TB_TMP/stats.json
jq -n -c '
def mine: .saddr == "198.51.100.3" and .dport == 5201;
reduce inputs as $f ({xmit: 0, gso: 0, odd: [], max_segs: 0, gc0_rx_gso: 0, done: 0, summary: null};
	if $f.type == "summary" then .summary = $f
	elif $f.type != "frame" then .
	elif $f.hop == "xmit" and $f.dev == "up0" and ($f | mine) then
		.xmit += 1
		| if $f.gso_segs > 1 then
			.gso += 1 | .max_segs = ([.max_segs, $f.gso_segs] | max)
			| if ($f.gso_type | index("tcpv4")) != null and $f.ip_summed == "partial"
				and $f.gso_size > 0 and $f.gso_size <= 1448 and $f.len > 1514
			  then . else .odd += [$f | {len, gso_size, gso_segs, gso_type, ip_summed}] end
		  else . end
	elif $f.hop == "rx" and $f.dev == "gc0" and ($f | mine) and $f.gso_size > 0 then .gc0_rx_gso += 1
	elif $f.hop == "done" and $f.dev == "up0" then .done += 1
	else . end)' "$REC" >"$STATS" || tb_fatal "record output is not JSON lines"

assert_jq "$STATS" '.[0].gso > 0' "frames with gso_segs > 1 at xmit on up0"
TB_JQ_HINT="$(jq -c '.odd[:3]' "$STATS")" assert_jq "$STATS" '.[0].odd == []' \
	"every such frame: tcpv4, checksum partial, gso_size <= MSS, longer than one MTU"
assert_jq "$STATS" '.[0].gc0_rx_gso > 0' "the client's super-frames enter the host at rx on gc0"
assert_jq "$STATS" '.[0].summary.type == "summary" and (.[0].summary.lost_events | type) == "number"' \
	"a summary line reports lost events"
assert_jq "$STATS" '.[0].summary.devices | any(.dev == "up0" and .hop == "xmit" and .gso_frames > 0
	and .gso_segs.max > 1)' "summary: up0 xmit has GSO frames with more than one segment"
# Skbs the peer frees untraced leave in-flight state behind; an skb at the
# same address later takes that state's place and counts as nothing lost.
assert_jq "$STATS" '.[0].summary.unmatched_completions == 0' \
	"no in-flight frame lost track of (unmatched_completions 0)"

tb_log "$(jq -r '"xmit on up0: \(.xmit) frames, \(.gso) with gso_segs > 1, max \(.max_segs) segments; lost events: \(.summary.lost_events)"' "$STATS")"
tb_log "$(jq -r '"done on up0: \(.done) of \(.xmit) xmits (the peer frees most TCP skbs on paths without a consume_skb/kfree_skb tracepoint)"' "$STATS")"

tb_finish
