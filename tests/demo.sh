#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# make demo: vnoffload-trace on a built-in test bed, in under 20 seconds.
#
#   host netns:  guest ==tap0==> br0 ==up0 (veth uplink)==> peer netns (pe0)
#
# A stand-in guest (tests/tools/vno-guest, acting as the VMM) writes
# virtio_net_hdr + frame into tap0: TSO/USO super-frames, a checksum-partial
# frame, and one deliberately bad frame. `vnoffload-trace record` watches tap0
# and up0 and prints every frame at every hop; then a driver hang on up0 is
# simulated with an e1000e-style line in the kernel log. Then the overlay:
#
#   host netns:  guest ==tap0==> br0 ==vxlan0 (VNI 42)==> up0 ==> peer netns
#
# super-frames that fit the tunnel are followed onto the underlay (VNI, inner
# headers, the same packet id); those whose segments do not fit (gso_size
# 1448 through vxlan0's MTU of 1450) are flagged with the numbers, their drop
# explained, and the summary names the MTU to set. Everything made here is
# removed on exit, whatever happens.
set -u

if [[ $(id -u) != 0 ]]; then
	echo "make demo needs root: it creates network namespaces and a tap, and loads BPF programs" >&2
	exit 1
fi
. "$(dirname "$0")/integration/lib.sh"
TB_NAME=demo

# bpffs and tracefs, as run.sh does (a fresh container may lack them).
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf 2>/dev/null
[[ -e /sys/kernel/tracing/events ]] || mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null

say() { printf '\033[1mdemo:\033[0m %s\n' "$*"; }
[[ -t 1 ]] || say() { printf 'demo: %s\n' "$*"; }

[[ -x $VNO_BIN ]] || { echo "demo: $VNO_BIN is not built; run make" >&2; exit 1; }
[[ -x $VNO_GUEST ]] || { echo "demo: $VNO_GUEST is not built; run make tools" >&2; exit 1; }

say "building the bed: namespaces $TB_H (br0, tap0, up0) and $TB_P (pe0)"
tb_up

DURATION=7
OUT=$TB_TMP/record.txt
say "ip netns exec $TB_H vnoffload-trace record -i tap0 -i up0 -d $DURATION"
echo
tb_bg "$TB_H" "$OUT" "$VNO_BIN" record -i tap0 -i up0 -d "$DURATION"
REC=$TB_BG_PID
tail -n +1 -f --pid="$REC" "$OUT" &
TB_PIDS+=($!)
TAIL=$!
# The recorder's header ends with "Ctrl-C to stop" once everything is attached.
_attached() { grep -q 'Ctrl-C to stop' "$OUT" || ! kill -0 "$REC" 2>/dev/null; }
tb_wait_until "$TB_TIMEOUT" _attached
if ! kill -0 "$REC" 2>/dev/null; then
	wait "$REC"
	echo "demo: record exited early: $(cat "$OUT.err")" >&2
	exit 1
fi

# Frames, as a guest's virtio-net driver would hand them to its VMM: first
# a steady baseline of ordinary TSO super-frames...
baseline=()
for i in $(seq 1 24); do
	baseline+=("tcp4-tso:segs=10:mss=1448:sport=$((41000 + i))")
done
tb_plant "${baseline[@]}"
tb_plant tcp6-tso:segs=4:mss=1428:sport=41100 udp4-uso:segs=5:mss=1200:sport=41101 \
	tcp4-csum:sport=41102
# Refused at the tap itself (GSO_BY_FRAGS from a guest): tun says EINVAL.
tb_plant tcp4-tso:segs=10:mss=1448:gso_size=65535:sport=41103
# ...then, just before the hang, a burst of something else: USO super-frames
# with a 40-byte gso_size (many tiny segments per frame), which tun accepts.
burst=()
for i in $(seq 1 8); do
	burst+=("udp4-uso:segs=30:mss=40:sport=$((41200 + i))")
done
tb_plant "${burst[@]}"

# The hang: what e1000e writes when its TX ring stops moving.
echo "<3>e1000e 0000:00:19.0 up0: Detected Hardware Unit Hang" >/dev/kmsg 2>/dev/null ||
	say "(cannot write /dev/kmsg: no simulated hang)"

{ wait "$REC"; } 2>/dev/null
rc=$?
{ wait "$TAIL"; } 2>/dev/null
[[ -s $OUT.err ]] && sed 's/^/record: /' "$OUT.err" >&2

echo
say "what the guest planted (compare with the rx lines on tap0 above):"
jq -r '"  \(.spec | split(":")[0] | .[0:10])  sport \(.sport)  len \(.len)  gso \(.gso_size)x\(.gso_segs) \(.gso_type | join("|") | if . == "" then "-" else . end)  csum \(.ip_summed)@\(.csum_start)+\(.csum_offset)\(if .written then "" else "  REFUSED by tun: \(.error)" end)"' \
	"$TB_PLANTED"
((rc == 0)) || { say "record exited $rc; tearing the bed down"; exit "$rc"; }

# The overlay, in namespaces of its own.
echo
TB_H=vnoh-o$TB_SFX
TB_P=vnop-o$TB_SFX
say "the overlay: namespaces $TB_H (tap0, br0, vxlan0 VNI $TB_VNI, up0) and $TB_P (pe0, vxlan0)"
tb_overlay_up
OUT=$TB_TMP/overlay.txt
say "ip netns exec $TB_H vnoffload-trace record -i tap0 -i vxlan0 -i up0 -d 4"
echo
: >"$OUT" # before tail opens it
tb_bg "$TB_H" "$OUT" "$VNO_BIN" record -i tap0 -i vxlan0 -i up0 -d 4
REC=$TB_BG_PID
tail -n +1 -f --pid="$REC" "$OUT" &
TB_PIDS+=($!)
TAIL=$!
tb_wait_until "$TB_TIMEOUT" _attached
# A guest at MTU 1440 fits (gso_size 1398: 1438-byte segments); one at 1500
# does not (gso_size 1448: 1488 > vxlan0's 1450).
tb_plant tcp4-tso:segs=4:mss=1398:sport=42001 tcp4-tso:segs=4:mss=1448:sport=42002
{ wait "$REC"; } 2>/dev/null
rc=$?
{ wait "$TAIL"; } 2>/dev/null
[[ -s $OUT.err ]] && sed 's/^/record: /' "$OUT.err" >&2
say "record exited $rc; tearing the beds down"
exit "$rc"
