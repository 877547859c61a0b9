#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Capture files open in the real tools: files written by user/capture_write.c
# (plain and gzip, snaplen 0/64/128, several devices and every hop, notes,
# rotation, a writer killed with SIGKILL) are read by tshark, which exits 0,
# lists every frame with its comment, packet id, queue and direction, and by
# capinfos, which agrees on the packet count. Needs neither root nor the test
# bed: the files come from a small writer (tests/tools/capture-sample.c).
#   snap0, snap64, snap128  plain and gzip files at that snaplen;
#   rotation                every rotated file a complete capture;
#   killed                  a writer killed with SIGKILL after a flush;
#   foreign                 a pcapng tshark wrote: report says it is not one
#                           of ours and sums up its packets by interface.
# Run one case alone: test_capture_tshark.sh CASE.
. "$(dirname "$0")/lib.sh"

tb_need_cmd tshark capinfos

# tshark warns about running as root on stderr; keep only real errors.
ts() { tshark "$@" 2> >(grep -v 'Running as user' >&2); }

# The writer: tests/tools/capture-sample.c, built by `make tools`.
SAMPLE=$TB_ROOT/.output/tools/capture-sample
[[ -x $SAMPLE ]] || skip "$SAMPLE is not built (make tools)"

# check FILE FRAMES SNAPLEN: tshark and capinfos agree with what was written
check()
{
	local f=$1 n=$2 snap=$3 name
	name=$(basename "$f")
	ts -r "$f" >"$TB_TMP/list" 2>"$TB_TMP/err"
	assert_eq "$?" 0 "$name: tshark -r exit status"
	[[ -s $TB_TMP/err ]] && tb_fail "$name: tshark said: $(head -c 300 "$TB_TMP/err")"
	# custom blocks (metadata, notes) are records too in tshark 4.0: count
	# the lines that are packets, i.e. on an interface
	ts -r "$f" -T fields -e frame.interface_id -e frame.comment -e frame.packet_id \
		-e frame.interface_queue -e frame.packet_flags_direction -e frame.cap_len \
		>"$TB_TMP/fields"
	assert_eq "$(awk -F'\t' '$1 != ""' "$TB_TMP/fields" | wc -l)" "$n" "$name: packets listed"
	# every hop but hang carries the GSO line; hang frames (hop 6 for
	# i / 4 % 7 == 6) their own
	local i hangs=0 gso
	for ((i = 0; i < n; i++)); do
		((i / 4 % 7 == 6)) && hangs=$((hangs + 1))
	done
	gso='gso_size=1448 gso_segs=10 gso_type=tcpv4|dodgy ip_summed=partial csum=partial@34+16 hop='
	assert_eq "$(grep -cF "$gso" "$TB_TMP/fields")" "$((n - hangs))" "$name: GSO comments"
	assert_eq "$(grep -c $'\thop=hang queue=' "$TB_TMP/fields")" "$hangs" "$name: hang comments"
	assert_eq "$(awk -F'\t' '$1 != "" && $2 == ""' "$TB_TMP/fields" | wc -l)" 0 "$name: a packet without comment"
	assert_eq "$(awk -F'\t' '$1 != "" && $6 != '"$snap"'' "$TB_TMP/fields" | wc -l)" 0 \
		"$name: every packet has $snap bytes"
	# the first xmit frame: packet id, queue, direction outbound
	assert_eq "$(awk -F'\t' '$2 ~ /hop=xmit/ { print $3, $4, $5; exit }' "$TB_TMP/fields")" \
		"4099 0 0x00000002" "$name: xmit packet id, queue, direction"
	assert_eq "$(awk -F'\t' '$2 ~ /hop=rx/ { print $5; exit }' "$TB_TMP/fields")" \
		"0x00000001" "$name: rx direction"
	ts -r "$f" -V >"$TB_TMP/verbose"
	assert_eq "$(grep -c '^Packet comments' "$TB_TMP/verbose")" "$n" "$name: tshark -V shows each comment"
	grep -q 'Interface description: driver=e1000e hop=xmit netns=4026531840 ifindex=2' "$TB_TMP/verbose" ||
		tb_fail "$name: no interface description in tshark -V"
	assert_eq "$(capinfos -c -M "$f" 2>/dev/null | awk -F': *' '/Number of packets/ { print $2 }')" \
		"$n" "$name: capinfos packet count"
	capinfos "$f" >"$TB_TMP/capinfos" 2>/dev/null
	grep -q 'Capture oper-sys: *6.18.44' "$TB_TMP/capinfos" ||
		tb_fail "$name: capinfos shows no shb_os"
}

# snaplen SNAP: plain and gzip files written with that snaplen
snaplen()
{
	local snap=$1 ext f
	for ext in pcapng pcapng.gz; do
		f=$TB_TMP/s$snap.$ext
		"$SAMPLE" "$f" "$snap" 70 || tb_fatal "sample writer failed on $f"
		check "$f" 70 "$snap"
	done
}
case_snap0() { snaplen 0; }
case_snap64() { snaplen 64; }
case_snap128() { snaplen 128; }

# rotation: every file a complete capture; together every frame
case_rotation()
{
	"$SAMPLE" "$TB_TMP/rot.pcapng.gz" 128 400 2048 3 || tb_fatal "rotated sample failed"
	total=0
	for f in "$TB_TMP"/rot*.pcapng.gz; do
		ts -r "$f" >/dev/null
		assert_eq "$?" 0 "$(basename "$f"): tshark -r exit status"
		c=$(capinfos -c -M "$f" 2>/dev/null | awk -F': *' '/Number of packets/ { print $2 }')
		total=$((total + c))
	done
	assert_eq "$(ls "$TB_TMP"/rot*.pcapng.gz | wc -l)" 3 "rotation keeps 3 files"
	[[ -e $TB_TMP/rot.pcapng.gz ]] && tb_fail "the oldest rotated file was not removed"
	((total > 0 && total < 400)) || tb_fail "rotated files hold $total packets"
}

# killed with SIGKILL after a flush: a plain file still ends on a block
# boundary, so tshark reads it cleanly; a gzip file lacks its trailer, and
# tshark lists the frames and then says it was cut short (exit 2)
# (in a shell of their own, whose "Killed" notice goes nowhere)
case_killed()
{
	bash -c '"$@"; :' _ "$SAMPLE" "$TB_TMP/k.pcapng" 64 40 kill 2>/dev/null
	bash -c '"$@"; :' _ "$SAMPLE" "$TB_TMP/k.pcapng.gz" 64 40 kill 2>/dev/null
	ts -r "$TB_TMP/k.pcapng" >/dev/null
	assert_eq "$?" 0 "killed plain: tshark -r exit status"
	assert_eq "$(capinfos -c -M "$TB_TMP/k.pcapng" 2>/dev/null | awk -F': *' '/Number of packets/ { print $2 }')" \
		40 "killed plain: capinfos packet count"
	assert_eq "$(ts -r "$TB_TMP/k.pcapng.gz" -T fields -e frame.interface_id 2>/dev/null | awk '$1 != ""' | wc -l)" \
		40 "killed gzip: tshark lists every flushed frame"
}

# Three Ethernet/IPv4/UDP frames (documentation addresses) as a text2pcap
# hex dump, made a pcapng by tshark: no record of ours in it.
case_foreign()
{
	local f=$TB_TMP/foreign.pcapng out=$TB_TMP/foreign.out
	tb_need_cmd text2pcap python3
	[[ -x $VNO_BIN ]] || skip "$VNO_BIN is not built (make)"
	python3 - "$TB_TMP/dump.txt" <<'PY'
import struct, sys
def frame(n):
    udp = struct.pack('!HHHH', 40000, 9, 8 + n, 0) + b'x' * n
    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(udp), 1, 0, 64, 17, 0,
                     bytes([192, 0, 2, 1]), bytes([192, 0, 2, 2])) + udp
    return bytes.fromhex('020000005302' '020000005301' '0800') + ip
with open(sys.argv[1], 'w') as f:
    for n in (18, 100, 1400):
        b = frame(n)
        for off in range(0, len(b), 16):
            f.write('%06x %s\n' % (off, ' '.join('%02x' % c for c in b[off:off + 16])))
PY
	text2pcap -q "$TB_TMP/dump.txt" "$TB_TMP/in.pcap" || tb_fatal "text2pcap failed"
	ts -r "$TB_TMP/in.pcap" -F pcapng -w "$f" || tb_fatal "tshark could not write $f"
	"$VNO_BIN" report "$f" >"$out" 2>&1
	assert_eq "$?" 0 "report on a tshark capture exits 0"
	assert_eq "$(head -n 1 "$out")" \
		"3 frames, none with offload metadata: not a vnoffload-trace capture" \
		"report says it is another tool's capture"
	grep -q 'no frames recorded' "$out" && tb_fail "report still says (no frames recorded)"
	"$VNO_BIN" --json report "$f" >"$out.json" 2>&1
	assert_jq "$out.json" '.[0] | .type == "foreign_capture" and .frames == 3
		and .devices[0].frames == 3 and .devices[0].len_min == 60 and .devices[0].len_max == 1442
		and .devices[0].bytes == 1644' \
		"report --json: the packets by interface, lengths from the packet blocks"
}

tb_run_cases "snap0 snap64 snap128 rotation killed foreign" "$@"
