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

XMIT='map(select(.type == "frame" and .hop == "xmit" and .dev == "up0"
	and .saddr == "198.51.100.3" and .dport == 5201))'
assert_jq "$REC" "$XMIT | map(select(.gso_segs > 1)) | length > 0" \
	"frames with gso_segs > 1 at xmit on up0"
assert_jq "$REC" "$XMIT | map(select(.gso_segs > 1)) | all(
	(.gso_type | index(\"tcpv4\")) != null and .ip_summed == \"partial\"
	and .gso_size > 0 and .gso_size <= 1448 and .len > 1514)" \
	"every such frame: tcpv4, checksum partial, gso_size <= MSS, longer than one MTU"
assert_jq "$REC" 'map(select(.type == "frame" and .hop == "rx" and .dev == "gc0"
	and .saddr == "198.51.100.3" and .gso_size > 0)) | length > 0' \
	"the client's super-frames enter the host at rx on gc0"
assert_jq "$REC" '.[-1].type == "summary" and (.[-1].lost_events | type) == "number"' \
	"summary reports lost events"
assert_jq "$REC" '.[-1].devices | any(.dev == "up0" and .hop == "xmit" and .gso_frames > 0
	and .gso_segs.max > 1)' "summary: up0 xmit has GSO frames with more than one segment"

tb_log "$(jq -s -r "$XMIT"' as $x | "xmit on up0: \($x | length) frames, \($x | map(select(.gso_segs > 1)) | length) with gso_segs > 1, max \($x | map(.gso_segs) | max) segments"' "$REC")"
tb_log "$(jq -s -r '.[-1] | "lost events: \(.lost_events)"' "$REC")"
tb_log "$(jq -s -r '[.[] | select(.type == "frame" and .dev == "up0")] |
	"done on up0: \(map(select(.hop == "done")) | length) of \(map(select(.hop == "xmit")) | length) xmits (TCP receive paths that coalesce skbs free them without a tracepoint)"' "$REC")"

tb_finish
