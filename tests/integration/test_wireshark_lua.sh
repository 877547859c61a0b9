#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# contrib/wireshark/vnoffload.lua in tshark:
#   writer  a capture written by user/capture.c (a small writer compiled
#           here, no root): -Y 'vno.gso_size == N' selects exactly the frames
#           written with N; hop, device, packet id, queue, GSO, checksum and
#           latency fields agree with what was written; a done record's
#           merged_len/merged_segs (the skb grew after xmit); hang frames; the
#           session, hang and end blocks with their JSON as a tree
#   csum    both spellings of the checksum in a comment (csum=34+16 and
#           csum=partial@34+16) give the same fields; a comment not ours
#           gives none
#   bed     (root) frames planted into the test bed's tap and written by
#           `record -w`: vno.gso_size == 1000 selects exactly the frames of
#           the one flow planted with an MSS of 1000 (by port, then by
#           packet id), at every hop, and as many as `report --frames
#           --json` counts
. "$(dirname "$0")/lib.sh"

tb_need_cmd tshark editcap jq
LUA=$TB_ROOT/contrib/wireshark/vnoffload.lua

# tshark with the dissector; its Lua errors (which it prints, not exits
# on) are failures. Root warnings are noise.
ws()
{
	tshark -X "lua_script:$LUA" "$@" 2> >(grep -v 'Running as user' >"$TB_TMP/ws.err")
	local rc=$?
	wait
	if grep -q 'Lua' "$TB_TMP/ws.err" || (($(wc -c <"$TB_TMP/ws.err") > 0)); then
		tb_fail "tshark said: $(head -c 400 "$TB_TMP/ws.err")"
	fi
	return $rc
}

# The frame numbers FILTER selects, space-separated.
frames() { ws -r "$1" -Y "$2" -T fields -e frame.number | tr '\n' ' '; }

case_writer()
{
	tb_need_cmd "${CC:-cc}"
	cat >"$TB_TMP/w.c" <<'EOF'
#include <stdio.h>
#include <string.h>
#include "capture.h"

/* w FILE: 12 frames, 4 hops x 3 devices; GSO size 1448 on i % 3 == 0 */
int main(int argc, char **argv)
{
	static const char *const names[] = { "eno1", "tap0", "br0" };
	static const unsigned char hops[] = { VNO_HOP_RX, VNO_HOP_XMIT, VNO_HOP_DONE, VNO_HOP_HANG };
	struct capture_opts o = { .snaplen = 128, .force = true };
	struct vno_iface ifs[3] = { { .driver = "e1000e" }, { .driver = "tun" }, { .driver = "bridge" } };
	struct vno_session s = { .kernel = "6.18.44", .tool = "vnoffload-trace 0.1.0",
				 .cmdline = "vnoffload-trace record -w w", .ifaces = ifs, .n_ifaces = 3 };
	struct capture_writer *w;

	for (int i = 0; i < 3; i++) {
		strcpy(ifs[i].name, names[i]);
		ifs[i].ifindex = (unsigned)i + 2;
		ifs[i].netns = 4026531840u;
		ifs[i].mtu = 1500;
	}
	w = capture_writer__new(argv[1], &s, &o);
	if (!w)
		return 1;
	for (unsigned i = 0; i < 12; i++) {
		struct vno_event ev = { 0 };

		ev.f.ts_ns = 1000000000ull + i * 1000ull;
		ev.f.pkt_id = 0x2000 + i;
		ev.f.netns = 4026531840u;
		ev.f.ifindex = i % 3 + 2;
		strcpy(ev.f.dev, names[i % 3]);
		ev.f.hop = hops[i / 3];
		ev.f.queue = (unsigned short)(i % 2 + 1);
		ev.f.len = 14546;
		ev.f.gso_size = i % 3 == 0 ? 1448 : 9000 + i;
		ev.f.gso_segs = (unsigned short)(i + 1);
		ev.f.gso_type = VNO_GSO_TCPV4 | VNO_GSO_DODGY;
		ev.f.ip_summed = i % 2 ? VNO_CSUM_NONE : VNO_CSUM_PARTIAL;
		ev.f.csum_start = 34;
		ev.f.csum_offset = 16;
		ev.f.latency_ns = 5000 + i;
		ev.f.version = VNO_RECORD_VERSION;
		ev.f.cap_len = 60;
		if (i == 7) { /* a done whose skb a receiver's GRO grew */
			ev.f.flags |= VNO_F_CHANGED;
			ev.f.merged_len = 340346;
			ev.f.merged_segs = 145;
		}
		if (capture_writer__frame(w, &ev))
			return 2;
		if (i == 10 && capture_writer__note(w, "hang", "{\"dev\":\"br0\",\"queue\":1}",
						    "br0: TX hang"))
			return 3;
	}
	return capture_writer__close(w) ? 4 : 0;
}
EOF
	# The capture code as `make` built it: its objects in an archive, so the
	# linker takes the ones the writer needs, however user/ splits them.
	local objs=() o
	# Only objects of sources there are: an object left from a file since
	# split or removed would shadow its successor in the archive.
	for o in "$TB_ROOT"/.output/user/*.o; do
		local src=$TB_ROOT/user/$(basename "$o" .o).c
		[[ $o == */main.o || ! -e $src ]] || objs+=("$o")
	done
	((${#objs[@]})) || skip "$TB_ROOT/.output/user is not built (make)"
	rm -f "$TB_TMP/libvno.a"
	ar rcs "$TB_TMP/libvno.a" "${objs[@]}" || tb_fatal "ar failed"
	# The libraries as the Makefile links the tool with them: whichever
	# objects the writer pulls in, their libraries are there.
	local libs
	libs=$(make -s --no-print-directory -C "$TB_ROOT" print-ldlibs) || tb_fatal "make print-ldlibs failed"
	# shellcheck disable=SC2086 # the linker's words, split on purpose
	"${CC:-cc}" -std=gnu11 -D_GNU_SOURCE -I"$TB_ROOT/include" -I"$TB_ROOT/user" \
		-I"$TB_ROOT/.output" "$TB_TMP/w.c" "$TB_TMP/libvno.a" $libs \
		-o "$TB_TMP/w" || tb_fatal "cannot build the writer"
	local f=$TB_TMP/w.pcapng
	"$TB_TMP/w" "$f" || tb_fatal "the writer failed"
	# Records: 1 session block, frames 0-10 as 2-12, the hang note 13, frame
	# 11 as 14, the end block 15. Hang frames (i 9-11) carry no GSO line.
	assert_eq "$(frames "$f" 'vno.gso_size == 1448')" "2 5 8 " "vno.gso_size == 1448: the frames written with it"
	assert_eq "$(frames "$f" 'vno.gso_size')" "2 3 4 5 6 7 8 9 10 " "vno.gso_size: every frame but the hangs"
	assert_eq "$(frames "$f" 'vno.hang == 1')" "11 12 14 " "vno.hang: the hang frames"
	assert_eq "$(frames "$f" 'vno.hop == "xmit" && vno.dev == "tap0"')" "6 " "vno.hop and vno.dev"
	assert_eq "$(frames "$f" 'vno.csum == "partial@34+16" && vno.csum_start == 34 && vno.csum_offset == 16')" \
		"2 4 6 8 10 " "vno.csum: partial@34+16 on the partial frames"
	assert_eq "$(frames "$f" 'vno.csum == "none" && !vno.csum_start')" "3 5 7 9 " "vno.csum: none"
	assert_eq "$(frames "$f" 'vno.latency_ns == 5004')" "6 " "vno.latency_ns (xmit)"
	assert_eq "$(frames "$f" 'vno.latency_ns')" "5 6 7 8 9 10 " "vno.latency_ns only at xmit and done"
	ws -r "$f" -Y 'frame.number == 6' -T fields -E separator=' ' -e vno.hop -e vno.dev -e vno.driver \
		-e vno.ifindex -e vno.netns -e vno.pkt_id -e vno.queue -e vno.gso_size -e vno.gso_segs \
		-e vno.gso_type -e vno.ip_summed >"$TB_TMP/f6"
	assert_eq "$(cat "$TB_TMP/f6")" "xmit tap0 tun 3 4026531840 8196 1 9004 5 tcpv4|dodgy partial" \
		"frame 6: every field"
	assert_eq "$(frames "$f" 'vno.merged_len == 340346 && vno.merged_segs == 145 && vno.gso_segs == 8')" "9 " \
		"vno.merged_len, vno.merged_segs: the done whose skb grew, gso_segs as sent"
	assert_eq "$(frames "$f" 'vno.merged_len')" "9 " "vno.merged_len only there"
	assert_eq "$(frames "$f" 'vno.block.kind')" "1 13 15 " "vno.block.kind: session, hang note, end"
	assert_eq "$(ws -r "$f" -Y 'vno.block.kind' -T fields -e vno.block.kind | tr '\n' ' ')" \
		"session hang end " "the blocks' kinds"
	assert_eq "$(frames "$f" 'vno.block.kind == "session" && json.member_with_value == "driver:tun"')" "1 " \
		"the session block's JSON as a tree"
	assert_eq "$(frames "$f" 'vno.block.kind == "hang" && json.member_with_value == "queue:1"')" "13 " \
		"the hang note's JSON as a tree"
	assert_eq "$(frames "$f" 'vno && !vno.hop && !vno.block.kind')" "" "every record of ours has a hop or a kind"
	assert_eq "$(frames "$f" '_ws.lua.error')" "" "no Lua error in any record"
}

case_csum()
{
	local f=$TB_TMP/c.pcapng
	# Three Ethernet frames (text2pcap's hex dump input), comments added.
	printf '0000  02 00 5e 00 53 02 02 00 5e 00 53 01 08 00 45 00\n%.0s' 1 2 3 4 >"$TB_TMP/c.txt"
	text2pcap -q -n "$TB_TMP/c.txt" "$TB_TMP/c0.pcapng" 2>/dev/null ||
		tb_fatal "text2pcap failed"
	editcap -a '1:gso_size=9000 gso_segs=6 gso_type=tcpv6 ip_summed=partial csum=54+16 hop=xmit latency=77ns' \
		-a '2:gso_size=9000 gso_segs=6 gso_type=tcpv6 csum=partial@54+16 hop=xmit latency=77ns' \
		-a '3:gso_size=9000 gso_segs=6 gso_type=tcpv6 csum=none hop=rx' \
		-a '4:gso_size=9000 is a film' "$TB_TMP/c0.pcapng" "$f" || tb_fatal "editcap failed"
	ws -r "$f" -T fields -E separator=' ' -e frame.number -e vno.csum -e vno.ip_summed -e vno.csum_start \
		-e vno.csum_offset -e vno.latency_ns -e vno.hop >"$TB_TMP/c.fields"
	assert_eq "$(sed -n 1p "$TB_TMP/c.fields")" "1 partial@54+16 partial 54 16 77 xmit" "csum=54+16"
	assert_eq "$(sed -n 2p "$TB_TMP/c.fields")" "2 partial@54+16 partial 54 16 77 xmit" "csum=partial@54+16"
	assert_eq "$(sed -n 3p "$TB_TMP/c.fields")" "3 none none    rx" "csum=none"
	assert_eq "$(frames "$f" 'vno')" "1 2 3 " "a comment not of ours gives no vno fields"
	assert_eq "$(frames "$f" '_ws.lua.error')" "" "no Lua error in any record"
}

case_bed()
{
	tb_need_vno
	tb_up
	local f=$TB_TMP/bed.pcapng
	vno_record_start "$TB_TMP/rec.jsonl" -- -i tap0 -i up0 --json -w "$f"
	tb_plant tcp4-tso:segs=10:mss=1448:sport=41001 tcp4-tso:segs=4:mss=1000:sport=41002 \
		tcp4-plain:sport=41003
	tb_wait_jq "$TB_TMP/rec.jsonl" '[.[] | select(.type == "frame" and .hop == "done" and .dev == "up0")]
		| length >= 2' 5 || tb_log "no 2 done records on up0 yet; stopping anyway"
	vno_record_stop INT
	assert_eq "$VNO_REC_RC" 0 "record -w exits 0 on SIGINT"
	local sel ids flow
	sel=$(frames "$f" 'vno.gso_size == 1000')
	[[ -n $sel ]] || tb_fail "vno.gso_size == 1000 selects no frame"
	# The flow's frames: its skb found by its port where the headers were
	# kept, then that skb at every hop (done keeps no bytes) by packet id.
	ids=$(ws -r "$f" -Y 'tcp.srcport == 41002' -T fields -e vno.pkt_id | sort -u | tr '\n' ' ')
	assert_eq "$(wc -w <<<"$ids")" 1 "the flow planted with MSS 1000 is one skb"
	flow=$(frames "$f" "vno.pkt_id in {${ids% }}")
	assert_eq "$sel" "$flow" "vno.gso_size == 1000 selects exactly the frames of the flow planted with it"
	assert_eq "$(ws -r "$f" -Y 'vno.gso_size == 1000' -T fields -e vno.hop | sort -u | tr '\n' ' ')" \
		"done rx xmit " "at every hop recorded"
	"$VNO_BIN" report "$f" --frames --json >"$TB_TMP/report.jsonl" 2>"$TB_TMP/report.err" ||
		tb_fail "report $f: $(head -c 300 "$TB_TMP/report.err")"
	assert_eq "$(wc -w <<<"$sel")" \
		"$(jq -s '[.[] | select(.type == "frame" and .gso_size == 1000)] | length' "$TB_TMP/report.jsonl")" \
		"as many as report counts"
	assert_eq "$(ws -r "$f" -Y 'vno.gso_size == 1000 && vno.hop == "xmit"' -T fields -e vno.pkt_id |
		sort -u | wc -l)" 1 "one packet id at xmit: one skb"
	assert_eq "$(frames "$f" '_ws.lua.error')" "" "no Lua error in any record"
}

tb_run_cases "writer csum bed" "$@"
