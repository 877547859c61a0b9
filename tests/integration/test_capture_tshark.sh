#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Capture files open in the real tools: files written by user/capture_write.c
# (plain and gzip, snaplen 0/64/128, several devices and every hop, notes,
# rotation, a writer killed with SIGKILL) are read by tshark, which exits 0,
# lists every frame with its comment, packet id, queue and direction, and by
# capinfos, which agrees on the packet count. Needs neither root nor the test
# bed: the files come from a small writer compiled here.
. "$(dirname "$0")/lib.sh"

tb_need_cmd tshark capinfos "${CC:-cc}"

# tshark warns about running as root on stderr; keep only real errors.
ts() { tshark "$@" 2> >(grep -v 'Running as user' >&2); }

cat >"$TB_TMP/sample.c" <<'EOF'
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "capture.h"

/* sample FILE SNAPLEN FRAMES [ROTATE_SIZE ROTATE_COUNT | kill] */
int main(int argc, char **argv)
{
	static const char *const names[] = { "eno1", "tap0", "br0", "veth0" };
	struct capture_opts o = { .snaplen = (unsigned)atoi(argv[2]), .force = true };
	struct vno_iface ifs[4] = { { .driver = "e1000e" }, { .driver = "tun" },
				    { .driver = "bridge" }, { .driver = "veth" } };
	struct vno_session s = { .kernel = "6.18.44", .tool = "vnoffload-trace 0.1.0",
				 .cmdline = "vnoffload-trace record -w sample", .ifaces = ifs,
				 .n_ifaces = 4 };
	unsigned n = (unsigned)atoi(argv[3]);
	bool kill_it = argc > 4 && !strcmp(argv[4], "kill");
	struct capture_writer *w;

	if (argc > 5) {
		o.rotate_size = strtoull(argv[4], NULL, 0);
		o.rotate_count = (unsigned)atoi(argv[5]);
	}
	for (int i = 0; i < 4; i++) {
		strcpy(ifs[i].name, names[i]);
		ifs[i].ifindex = (unsigned)i + 2;
		ifs[i].netns = 4026531840u;
		ifs[i].mtu = 1500;
	}
	strcpy(s.hooks[VNO_HOP_XMIT], "tp_btf/net_dev_start_xmit");
	w = capture_writer__new(argv[1], &s, &o);
	if (!w) {
		fprintf(stderr, "%s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	capture_writer__tick(w, 0);
	for (unsigned i = 0; i < n; i++) {
		/* Ethernet + IPv4 192.0.2.1 -> 192.0.2.2 + TCP 40000 -> 5201 */
		static const unsigned char hdr[54] = {
			0x02, 0, 0x5e, 0, 0x53, 2, 0x02, 0, 0x5e, 0, 0x53, 1, 0x08, 0x00,
			0x45, 0, 0x05, 0xdc, 0, 1, 0x40, 0, 64, 6, 0, 0, 192, 0, 2, 1, 192, 0, 2, 2,
			0x9c, 0x40, 0x14, 0x51, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x10, 0xff, 0xff,
		};
		struct vno_event ev = { 0 };

		ev.f.ts_ns = 1000000000ull + i * 1000ull;
		ev.f.pkt_id = 0x1000 + i / 4;
		ev.f.netns = 4026531840u;
		ev.f.ifindex = i % 4 + 2;
		strcpy(ev.f.dev, names[i % 4]);
		ev.f.hop = (unsigned char)((i / 4) % 7); /* rx … hang: the hops of every kernel */
		ev.f.queue = (unsigned short)(i % 3);
		ev.f.len = 14546;
		ev.f.gso_size = 1448;
		ev.f.gso_segs = 10;
		ev.f.gso_type = VNO_GSO_TCPV4 | VNO_GSO_DODGY;
		ev.f.ip_summed = VNO_CSUM_PARTIAL;
		ev.f.csum_start = 34;
		ev.f.csum_offset = 16;
		ev.f.latency_ns = 2000 + i;
		ev.f.version = VNO_RECORD_VERSION;
		ev.f.cap_len = 200;
		memcpy(ev.data, hdr, sizeof(hdr));
		for (unsigned k = sizeof(hdr); k < 200; k++)
			ev.data[k] = (unsigned char)k;
		if (capture_writer__frame(w, &ev))
			return 2;
		/* a frame every 100 ms: the writer flushes every 5 */
		if (capture_writer__tick(w, i * 100000000ull))
			return 2;
		if (i == n / 2 && capture_writer__note(w, "hang", "{\"dev\":\"eno1\"}",
						       "e1000e eno1: Detected Hardware Unit Hang"))
			return 3;
	}
	if (kill_it) {
		capture_writer__tick(w, n * 100000000ull + 500000000ull);
		raise(SIGKILL);
	}
	return capture_writer__close(w) ? 4 : 0;
}
EOF
"${CC:-cc}" -std=gnu11 -D_GNU_SOURCE -I"$TB_ROOT/include" -I"$TB_ROOT/user" "$TB_TMP/sample.c" \
	"$TB_ROOT"/user/{capture_write,capture_out,capture_read,capture_meta,pcapng,decode,ifaces}.c \
	"$TB_ROOT"/user/{json,json_writer,anomaly}.c -lz -lisal -ljson-c \
	-o "$TB_TMP/sample" || tb_fatal "cannot build the sample writer"

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

for snap in 0 64 128; do
	for ext in pcapng pcapng.gz; do
		f=$TB_TMP/s$snap.$ext
		"$TB_TMP/sample" "$f" "$snap" 70 || tb_fatal "sample writer failed on $f"
		check "$f" 70 "$snap"
	done
done

# rotation: every file a complete capture; together every frame
"$TB_TMP/sample" "$TB_TMP/rot.pcapng.gz" 128 400 2048 3 || tb_fatal "rotated sample failed"
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

# killed with SIGKILL after a flush: a plain file still ends on a block
# boundary, so tshark reads it cleanly; a gzip file lacks its trailer, and
# tshark lists the frames and then says it was cut short (exit 2)
# (in a shell of their own, whose "Killed" notice goes nowhere)
bash -c '"$@"; :' _ "$TB_TMP/sample" "$TB_TMP/k.pcapng" 64 40 kill 2>/dev/null
bash -c '"$@"; :' _ "$TB_TMP/sample" "$TB_TMP/k.pcapng.gz" 64 40 kill 2>/dev/null
ts -r "$TB_TMP/k.pcapng" >/dev/null
assert_eq "$?" 0 "killed plain: tshark -r exit status"
assert_eq "$(capinfos -c -M "$TB_TMP/k.pcapng" 2>/dev/null | awk -F': *' '/Number of packets/ { print $2 }')" \
	40 "killed plain: capinfos packet count"
assert_eq "$(ts -r "$TB_TMP/k.pcapng.gz" -T fields -e frame.interface_id 2>/dev/null | awk '$1 != ""' | wc -l)" \
	40 "killed gzip: tshark lists every flushed frame"

tb_finish
