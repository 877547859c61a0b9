#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Interfaces are (netns, ifindex): two namespaces each get an interface named
# v0 with the same ifindex; record watches v0 in one of them while both send.
# Only the watched namespace's frames may be reported.
. "$(dirname "$0")/lib.sh"

tb_need_root
tb_need_vno
tb_need_cmd ip jq

A=vnoa-$TB_SFX	# watched
B=vnob-$TB_SFX	# same ifindex, not watched
for ns in "$A" "$B" "$A-p" "$B-p"; do
	tb_netns_add "$ns"
done

# Fresh namespaces number their interfaces from 1 (lo), so the first veth
# made in each gets the same ifindex.
ip -n "$A" link add v0 type veth peer name p0 netns "$A-p" || tb_fatal "veth in $A"
ip -n "$B" link add v0 type veth peer name p0 netns "$B-p" || tb_fatal "veth in $B"
idx_a=$(ip -n "$A" -j link show v0 | jq '.[0].ifindex')
idx_b=$(ip -n "$B" -j link show v0 | jq '.[0].ifindex')
[[ $idx_a == "$idx_b" ]] || tb_fatal "v0 has ifindex $idx_a in $A but $idx_b in $B: the test needs them equal"
tb_pass "v0 has ifindex $idx_a in both namespaces"
ino_a=$(stat -L -c %i "/run/netns/$A")
ino_b=$(stat -L -c %i "/run/netns/$B")

ip -n "$A" addr add 192.0.2.1/24 dev v0
ip -n "$A-p" addr add 192.0.2.2/24 dev p0
ip -n "$B" addr add 198.51.100.1/24 dev v0
ip -n "$B-p" addr add 198.51.100.2/24 dev p0
for ns in "$A" "$A-p" "$B" "$B-p"; do
	ip -n "$ns" link set dev "$([[ $ns == *-p ]] && echo p0 || echo v0)" up
done

REC=$TB_TMP/record.jsonl
vno_record_start "$REC" "$A" -- -i v0 --json --all

# UDP from the stack: checksum partial on veth. B sends more, first.
send()
{
	local ns=$1 dst=$2 n=$3
	ip netns exec "$ns" bash -c "for ((i = 0; i < $n; i++)); do
		printf 'vnoffload-trace %d' \$i >/dev/udp/$dst/9; done" 2>/dev/null
}
tx_b0=$(ip -n "$B" -s -j link show v0 | jq '.[0].stats64.tx.packets')
send "$B" 198.51.100.2 20
send "$A" 192.0.2.2 5
tx_b=$(( $(ip -n "$B" -s -j link show v0 | jq '.[0].stats64.tx.packets') - tx_b0 ))
if ((tx_b >= 20)); then
	tb_pass "the other namespace's v0 sent $tx_b packets meanwhile"
else
	tb_fail "the other namespace's v0 sent only $tx_b packets: the test proves nothing"
fi
tb_wait_jq "$REC" 'map(select(.type == "frame" and .daddr == "192.0.2.2" and .dport == 9)) | length >= 5' 3 ||
	tb_log "the watched namespace's frames are not in the output yet; stopping anyway"
vno_record_stop INT
assert_eq "$VNO_REC_RC" 0 "record exits 0 on SIGINT"

assert_jq "$REC" '.[0].type == "ready" and (.[0].interfaces | length == 1)
	and .[0].interfaces[0].ifindex == ($i | tonumber) and .[0].interfaces[0].netns == ($n | tonumber)' \
	"ready line lists one interface: v0 at ($ino_a, $idx_a)" --arg i "$idx_a" --arg n "$ino_a"
assert_jq "$REC" 'map(select(.type == "frame" and .hop == "xmit" and .saddr == "192.0.2.1"
	and .daddr == "192.0.2.2" and .dport == 9)) | length >= 5' \
	"the watched namespace's 5 datagrams are reported at xmit on v0"
assert_jq "$REC" 'map(select(.type == "frame" and ((.saddr // "") + (.daddr // "") | test("198\\.51\\.100\\."))))
	| length == 0' "none of the other namespace's frames (198.51.100.0/24) are reported"
assert_jq "$REC" 'map(select(.type == "frame")) | length > 0 and
	all(.netns == ($n | tonumber) and .ifindex == ($i | tonumber) and .dev == "v0")' \
	"every frame is from netns $ino_a, ifindex $idx_a (never $ino_b)" --arg n "$ino_a" --arg i "$idx_a"

tb_finish
