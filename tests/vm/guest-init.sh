#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# /init of the VM test bed's initramfs (busybox sh). Sets the guest up, runs
# the guest-side steps and prints what happened to the serial console, then
# powers off. Everything the host checks is on lines that start with VNO-:
#
#   VNO-GUEST start uptime=S kernel=K
#   VNO-RESULT name=N ok=0|1 detail=TEXT      a guest-side step and its outcome
#   VNO-SKIP name=N reason=TEXT               a step not run, and why
#   VNO-TIME name=N s=S                       how long a step took (guest clock)
#   VNO-BEGIN doctor                          `vnoffload-trace --json doctor`
#   VNO-END doctor rc=N                       (JSON lines in between)
#   VNO-BEGIN record mode=M                   `vnoffload-trace record --json`
#   VNO-END record mode=M rc=N                (JSON lines in between)
#   VNO-BEGIN overlay / VNO-END overlay rc=N  `record --json` over Geneve and GRETAP
#   VNO-BEGIN overlay-planted                 what the stand-in guests planted
#   VNO-BEGIN dmesg / VNO-END dmesg           the guest kernel log's tail
#   VNO-DONE failed=N uptime=S
#
# Parameters come from the kernel command line (run-vm.sh sets them):
#   vno.modes=fentry,kprobe   --attach values, one record run each, when the
#                             tool has --attach; without it one run "tp"
#   vno.bytes=8M              TCP bytes sent per NIC per run (iperf3 -n)
#   vno.deadline=150          seconds before the guest gives up and powers off
#   vno.port0=5201 vno.port1=5202   the host-side iperf3 servers' ports
#
# Addresses (documentation ranges; the host side is the namespace run-vm.sh
# made): eth0 = virtio_net 192.0.2.1/24 -> 192.0.2.2,
#        eth1 = e1000e    198.51.100.1/24 -> 198.51.100.2.
# busybox ash has `local`, which POSIX sh lacks:
# shellcheck disable=SC3043
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root
umask 022

VNO=/usr/bin/vnoffload-trace
MODDIR=/lib/modules
GUEST0=192.0.2.1 HOST0=192.0.2.2
GUEST1=198.51.100.1 HOST1=198.51.100.2
FAILED=0

# ---- output ------------------------------------------------------------------

result()
{
	# result NAME OK DETAIL...
	local n=$1 ok=$2
	shift 2
	[ "$ok" = 1 ] || FAILED=$((FAILED + 1))
	echo "VNO-RESULT name=$n ok=$ok detail=$*"
}

skip() { local n=$1; shift; echo "VNO-SKIP name=$n reason=$*"; }

uptime_s() { cut -d' ' -f1 /proc/uptime; }

# Seconds between two uptime readings, to 0.01.
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

timing() { echo "VNO-TIME name=$1 s=$2"; }

param()
{
	# param NAME DEFAULT: vno.NAME=VALUE from the kernel command line
	local v
	v=$(tr ' ' '\n' </proc/cmdline | sed -n "s/^vno\.$1=//p" | tail -n 1)
	echo "${v:-$2}"
}

# Print FILE between markers; lines of a file that does not end in a newline
# are still closed.
dump()
{
	local f=$1
	shift
	echo "VNO-BEGIN $*"
	[ -f "$f" ] && cat "$f"
	[ -f "$f" ] && [ -n "$(tail -c 1 "$f")" ] && echo
	:
}

finish()
{
	echo "VNO-BEGIN dmesg"
	dmesg | tail -n 60
	echo "VNO-END dmesg"
	echo "VNO-DONE failed=$FAILED uptime=$(uptime_s)"
	sync
	poweroff -f
	# poweroff -f should not return; if it does, the kernel must not sit here.
	echo o >/proc/sysrq-trigger
	sleep 5
	exit 1
}

# ---- base system ---------------------------------------------------------------

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /dev/pts /tmp /run /root
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
mount -t bpf bpf /sys/fs/bpf
mount -t tracefs tracefs /sys/kernel/tracing
mount -t debugfs debugfs /sys/kernel/debug
# Console: only emergencies from the kernel from here on, so its messages
# never split a JSON line of ours (the planted hang line is level 3).
dmesg -n 1
echo 0 >/proc/sys/kernel/printk_ratelimit 2>/dev/null
ip link set lo up

START=$(uptime_s)
echo "VNO-GUEST start uptime=$START kernel=$(uname -r)"

DEADLINE=$(param deadline 150)
MODES=$(param modes fentry,kprobe | tr ',' ' ')
BYTES=$(param bytes 8M)
PORT0=$(param port0 5201)
PORT1=$(param port1 5202)

# Whatever hangs, the guest still powers off before the host's timeout.
(
	sleep "$DEADLINE"
	echo "VNO-RESULT name=guest-deadline ok=0 detail=still running after ${DEADLINE}s; powering off"
	echo "VNO-DONE failed=deadline uptime=$(uptime_s)"
	poweroff -f
) &

# ---- modules -------------------------------------------------------------------

t0=$(uptime_s)
kver=$(uname -r)
loaded='' bad=''
while read -r m; do
	[ -n "$m" ] || continue
	if out=$(insmod "$MODDIR/$kver/$m" 2>&1); then
		loaded="$loaded ${m%.ko}"
	else
		bad="$bad ${m%.ko}($out)"
	fi
done <"$MODDIR/$kver/modules.order"
if [ -z "$bad" ]; then
	result modules 1 "loaded:$loaded"
else
	result modules 0 "failed:$bad; loaded:$loaded"
fi
timing modules "$(elapsed "$t0" "$(uptime_s)")"

# ---- NICs: found by driver, named eth0 (virtio_net) and eth1 (e1000e) ----------

nic_by_driver()
{
	for d in /sys/class/net/*; do
		[ -e "$d/device/driver" ] || continue
		[ "$(basename "$(readlink "$d/device/driver")")" = "$1" ] || continue
		basename "$d"
		return 0
	done
	return 1
}

# The NICs appear once their driver probed them; udev is not here to wait on.
i=0
while [ $i -lt 100 ]; do
	v=$(nic_by_driver virtio_net) && e=$(nic_by_driver e1000e) && break
	sleep 0.1
	i=$((i + 1))
done
if [ -z "$v" ] || [ -z "$e" ]; then
	result nics 0 "virtio_net=${v:-none} e1000e=${e:-none}: $(ls /sys/class/net | tr '\n' ' ')"
	finish
fi
# Rename through temporary names: the kernel may have named them the other
# way round.
ip link set dev "$v" name vnotmp0
ip link set dev "$e" name vnotmp1
ip link set dev vnotmp0 name eth0
ip link set dev vnotmp1 name eth1
E1_PCI=$(basename "$(readlink /sys/class/net/eth1/device)")
result nics 1 "eth0=virtio_net(was $v) eth1=e1000e(was $e, $E1_PCI)"

# IPv6 off: nothing but our TCP (and ARP) leaves the guest.
sysctl -qw net.ipv6.conf.all.disable_ipv6=1 2>/dev/null
sysctl -qw net.ipv6.conf.default.disable_ipv6=1 2>/dev/null
ip addr add "$GUEST0/24" dev eth0
ip addr add "$GUEST1/24" dev eth1
ip link set eth0 up
ip link set eth1 up

t0=$(uptime_s)
for n in eth0 eth1; do
	i=0
	while [ "$(cat /sys/class/net/$n/carrier 2>/dev/null)" != 1 ] && [ $i -lt 150 ]; do
		sleep 0.1
		i=$((i + 1))
	done
done
timing carrier "$(elapsed "$t0" "$(uptime_s)")"

for pair in "eth0 $HOST0" "eth1 $HOST1"; do
	set -- $pair
	if ping -c 1 -W 3 -I "$1" "$2" >/tmp/ping.out 2>&1 ||
		ping -c 2 -W 3 -I "$1" "$2" >/tmp/ping.out 2>&1; then
		result "link-$1" 1 "$2 answers: $(grep -o 'time=[0-9.]* ms' /tmp/ping.out | head -n 1)"
	else
		result "link-$1" 0 "$2 does not answer: $(tail -n 2 /tmp/ping.out | tr '\n' ' ')"
	fi
done

# TSO must be on, or no super-frames leave the guest.
for n in eth0 eth1; do
	if command -v ethtool >/dev/null; then
		st=$(ethtool -k "$n" | sed -n 's/^tcp-segmentation-offload: //p')
		case $st in
		on*) result "tso-$n" 1 "tcp-segmentation-offload: $st" ;;
		*)
			ethtool -K "$n" tso on 2>/dev/null
			st2=$(ethtool -k "$n" | sed -n 's/^tcp-segmentation-offload: //p')
			case $st2 in
			on*) result "tso-$n" 1 "was $st, switched on" ;;
			*) result "tso-$n" 0 "tcp-segmentation-offload: $st2" ;;
			esac
			;;
		esac
	else
		skip "tso-$n" "no ethtool in the initramfs; the host reads doctor's offloads instead"
	fi
done

# ---- doctor --------------------------------------------------------------------

t0=$(uptime_s)
$VNO --json doctor >/tmp/doctor.json 2>/tmp/doctor.err
rc=$?
dump /tmp/doctor.json doctor
echo "VNO-END doctor rc=$rc"
[ -s /tmp/doctor.err ] && sed 's/^/doctor stderr: /' /tmp/doctor.err
if [ $rc = 0 ]; then
	result doctor 1 "exit 0"
else
	result doctor 0 "exit $rc: $(head -c 300 /tmp/doctor.err)"
fi
timing doctor "$(elapsed "$t0" "$(uptime_s)")"

# ---- record runs -----------------------------------------------------------------

# wait_for FILE PATTERN SECONDS [PID]: until grep finds PATTERN in FILE; gives
# up early when PID has exited.
wait_for()
{
	local f=$1 pat=$2 secs=$3 pid=${4:-} i=0
	while [ $i -lt $((secs * 10)) ]; do
		grep -q "$pat" "$f" 2>/dev/null && return 0
		if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
			grep -q "$pat" "$f" 2>/dev/null
			return
		fi
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# stop_wait PID SIGNAL TENTHS: signal PID, wait up to TENTHS/10 s for it to
# end (then SIGKILL); returns its exit status.
stop_wait()
{
	local pid=$1 i=0
	kill -"$2" "$pid" 2>/dev/null
	while kill -0 "$pid" 2>/dev/null && [ $i -lt "$3" ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid"
}

# send NIC SERVER PORT LOG: a real TCP stream (iperf3 -n BYTES from the NIC's
# address), so the guest's TCP builds TSO super-frames and its driver hands
# them to the NIC whole.
send()
{
	iperf3 -c "$2" -p "$3" -B "$(ip -4 -o addr show dev "$1" | awk '{ sub("/.*", "", $4); print $4 }')" \
		-n "$BYTES" -f m --connect-timeout 5000 >"$4" 2>&1
}

# record_run MODE: one `record` session with traffic on both NICs and a
# hang line planted in the kernel log while it runs.
record_run()
{
	local mode=$1 out=/tmp/rec-$1.jsonl err=/tmp/rec-$1.err pid rc i t0 t1 t2 s0 s1 r0 r1 x rate args
	# The TC hops too: where the kernel has what they need (6.3+) they
	# attach, elsewhere the ready line says which feature is missing.
	set -- --json record -i eth0 -i eth1 -d 90 --tc-mode auto
	[ "$mode" != tp ] && set -- "$@" --attach "$mode"
	args="$*"
	echo "VNO-GUEST record mode=$mode: $VNO $*"
	t0=$(uptime_s)
	$VNO "$@" >"$out" 2>"$err" &
	pid=$!
	if ! wait_for "$out" '"type":"ready"' 60 "$pid"; then
		kill -KILL "$pid" 2>/dev/null
		wait "$pid"
		rc=$?
		dump "$out" record mode="$mode"
		echo "VNO-END record mode=$mode rc=$rc"
		result "record-$mode" 0 "no ready line (exit $rc): $(head -c 400 "$err" | tr '\n' ' ')"
		# Once more with libbpf's log, so the console alone explains it.
		$VNO -vv "$@" -d 1 >"$err.v" 2>&1
		echo "VNO-BEGIN record-log mode=$mode"
		grep -v '^libbpf: .*\(CO-RE relocating\|prog .*: relo #\)' "$err.v" | tail -n 80
		echo "VNO-END record-log mode=$mode"
		return
	fi
	t1=$(uptime_s)
	timing "record-$mode-load" "$(elapsed "$t0" "$t1")"

	send eth0 "$HOST0" "$PORT0" /tmp/send0.out &
	s0=$!
	send eth1 "$HOST1" "$PORT1" /tmp/send1.out &
	s1=$!
	wait $s0
	r0=$?
	wait $s1
	r1=$?
	t2=$(uptime_s)
	timing "traffic-$mode" "$(elapsed "$t1" "$t2")"
	for x in "0 $r0" "1 $r1"; do
		set -- $x
		rate=$(grep -E 'receiver|sender' /tmp/send$1.out | tail -n 1 |
			awk '{ for (i = 1; i < NF; i++) if ($(i + 1) == "Mbits/sec") print $i " Mbit/s" }')
		if [ "$2" = 0 ]; then
			result "traffic-$mode-eth$1" 1 "$BYTES sent, ${rate:-rate unknown}"
		else
			result "traffic-$mode-eth$1" 0 "exit $2: $(tail -n 3 /tmp/send$1.out | tr '\n' ' ')"
		fi
	done

	# Then the planted burst: super-frames of an odd MSS (88 bytes, the
	# smallest Linux allows, so gso_size 76) out of eth1 just before its
	# hang line; the diagnosis must rank their gso_size first.
	iperf3 -c "$HOST1" -p "$PORT1" -B "$GUEST1" -M 88 -n 256K --connect-timeout 5000 \
		>/tmp/burst.out 2>&1
	r1=$?
	if [ $r1 = 0 ]; then
		result "burst-$mode" 1 "256K with MSS 88 out of eth1"
	else
		result "burst-$mode" 0 "exit $r1: $(tail -n 2 /tmp/burst.out | tr '\n' ' ')"
	fi

	# The frames must be read before the line is (the diagnosis names the
	# frames before the hang). The ring buffer is one queue in the order
	# the frames were sent: a last few super-frames of another odd MSS
	# (100, gso_size 88, in the same gso_size bucket as the burst's) mark
	# its end, and once one of them is printed the burst has been read.
	iperf3 -c "$HOST1" -p "$PORT1" -B "$GUEST1" -M 100 -n 16K --connect-timeout 5000 \
		>/tmp/marker.out 2>&1
	if ! wait_for "$out" '"hop":"xmit","dev":"eth1".*"gso_size":88,' 30 "$pid"; then
		result "burst-read-$mode" 0 "no frame of the end marker (MSS 100) printed within 30 s"
	fi
	echo "<3>e1000e $E1_PCI eth1: Detected Hardware Unit Hang:" >/dev/kmsg
	if wait_for "$out" '"type":"hang"' 15 "$pid"; then
		result "hang-line-$mode" 1 "a hang record followed the planted kmsg line"
	else
		result "hang-line-$mode" 0 "no hang record within 15 s of the planted kmsg line"
	fi

	stop_wait "$pid" INT 300
	rc=$?
	dump "$out" record mode="$mode"
	echo "VNO-END record mode=$mode rc=$rc"
	[ -s "$err" ] && head -n 20 "$err" | sed "s/^/record-$mode stderr: /"
	# A hook that this kernel refused to load: the -vv log says why (the
	# verifier's or libbpf's own words), so the console alone explains it.
	if grep -q 'none: loading failed' "$out"; then
		# shellcheck disable=SC2086 # words without spaces, split on purpose
		$VNO -vv $args -d 1 >"$err.v" 2>&1
		echo "VNO-BEGIN record-log mode=$mode"
		grep -v '^libbpf: .*\(CO-RE relocating\|prog .*: relo #\)' "$err.v" | tail -n 80
		echo "VNO-END record-log mode=$mode"
	fi
	if [ $rc = 0 ] && grep -q '"type":"summary"' "$out"; then
		result "record-$mode" 1 "$(grep -c '"type":"frame"' "$out") frame records, summary written"
	else
		result "record-$mode" 0 "exit $rc, summary $(grep -c '"type":"summary"' "$out")"
	fi
	timing "record-$mode" "$(elapsed "$t0" "$(uptime_s)")"
}

if $VNO record --help 2>&1 | grep -q -- '--attach'; then
	for m in $MODES; do
		record_run "$m"
	done
else
	for m in $MODES; do
		skip "attach-$m" "vnoffload-trace record has no --attach option yet (driver hooks not built); recording with the tracepoint hops only"
	done
	record_run tp
fi

# ---- export ----------------------------------------------------------------------

# `export` serving /metrics on this kernel: the frames iperf3 sends out of
# both NICs counted per device, then a clean exit on SIGTERM.
export_run()
{
	local out=/tmp/export.jsonl err=/tmp/export.err pid rc i m t0
	t0=$(uptime_s)
	$VNO --json export -i eth0 -i eth1 --listen 127.0.0.1:9750 >"$out" 2>"$err" &
	pid=$!
	if ! wait_for "$out" '"type":"ready"' 60 "$pid"; then
		kill -KILL "$pid" 2>/dev/null
		result export 0 "no ready line: $(head -c 300 "$err" | tr '\n' ' ')"
		return
	fi
	send eth0 "$HOST0" "$PORT0" /tmp/esend0.out
	send eth1 "$HOST1" "$PORT1" /tmp/esend1.out
	# busybox nc, not wget: the static busybox's wget crashes in this
	# guest (its name lookup, even for an address).
	printf 'GET /metrics HTTP/1.0\r\n\r\n' | nc -w 10 127.0.0.1 9750 >/tmp/metrics.txt 2>/tmp/wget.err
	echo "VNO-BEGIN metrics"
	grep -E '^vnoffload_(frames_total|build_info|hook_info|events_lost_total)' /tmp/metrics.txt
	echo "VNO-END metrics"
	stop_wait "$pid" TERM 150
	rc=$?
	m=""
	for n in eth0 eth1; do
		grep -q "^vnoffload_frames_total{device=\"$n\",hop=\"xmit\",gso=\"tcpv4\"} [1-9]" \
			/tmp/metrics.txt || m="$m $n"
	done
	if [ -z "$m" ] && [ $rc = 0 ]; then
		result export 1 "/metrics counts tcpv4 super-frames at xmit on eth0 and eth1; exit 0 on SIGTERM"
	else
		result export 0 "exit $rc; no tcpv4 xmit series for:${m:- (none missing)}; $(head -c 200 /tmp/wget.err)"
	fi
	timing export "$(elapsed "$t0" "$(uptime_s)")"
}
export_run

# ---- overlay: Geneve and GRETAP ---------------------------------------------------

# The tunnels the development kernel lacks, as test_overlay builds VXLAN:
# in namespace oh, the stand-in guest's tap0 on br0 with gnv0 (Geneve VNI
# 42) and tap1 on br1 with gt0 (GRETAP key 7), both over the veth up0 to
# namespace op (pe0 answers ARP for the tunnels' remote end; nothing there
# needs to take the frames). Each tap gets two TCPv4 super-frames of
# gso_size 1398, which fit both tunnels (MTU 1450 and 1458); `record` on the
# taps and up0 must see them at up0 encapsulated, with the key, the inner
# addresses and ports the guest wrote and the pkt_id they had on the tap
# (check-vm.sh). iproute2's ip (IP_FULL) makes the devices: busybox's
# cannot.
IP_FULL=/usr/sbin/ip-full
OV_GMAC=02:00:5e:00:53:01 OV_PMAC=02:00:5e:00:53:02
# ov_guest N SRC DST SEQ: the stand-in guest on tapN in brN, two super-frames
# from SRC:4000N to DST:500(2+N) at SEQ and SEQ + 100000 once /tmp/ov-go
# exists; in the background.
ov_guest()
{
	$IP_FULL netns exec oh vno-guest --tap "tap$1" --bridge "br$1" --src-mac "$OV_GMAC" \
		--dst-mac "$OV_PMAC" --src-ip "$2" --dst-ip "$3" --sport "4000$1" --dport "500$((2 + $1))" \
		--ready-file "/tmp/ov-g$1.ready" --go-file /tmp/ov-go --hold \
		"tcp4-tso:segs=4:mss=1398:seq=$4" "tcp4-tso:segs=4:mss=1398:seq=$(($4 + 100000))" \
		>"/tmp/ov-g$1.out" 2>"/tmp/ov-g$1.err" &
}

overlay_run()
{
	local out=/tmp/overlay.jsonl err=/tmp/overlay.err pid rc t0 g0 g1 m i
	t0=$(uptime_s)
	if [ ! -x "$IP_FULL" ] || [ ! -x /usr/bin/vno-guest ]; then
		skip overlay "no iproute2 ip or vno-guest in the initramfs (build-initramfs.sh)"
		return
	fi
	for m in geneve ip_gre veth; do
		if ! grep -q "^$m " /proc/modules && [ ! -d "/sys/module/$m" ]; then
			result overlay 0 "module $m is not loaded: $(ls "$MODDIR/$(uname -r)" | tr '\n' ' ')"
			return
		fi
	done
	mkdir -p /run/netns
	if ! { $IP_FULL netns add oh && $IP_FULL netns add op &&
		$IP_FULL -n oh link add up0 type veth peer name pe0 netns op &&
		$IP_FULL -n oh addr add 198.51.100.1/24 dev up0 && $IP_FULL -n oh link set up0 up &&
		$IP_FULL -n op addr add 198.51.100.2/24 dev pe0 && $IP_FULL -n op link set pe0 up &&
		$IP_FULL -n oh link set lo up && $IP_FULL -n op link set lo up &&
		$IP_FULL -n oh link add br0 type bridge stp_state 0 forward_delay 0 &&
		$IP_FULL -n oh link add br1 type bridge stp_state 0 forward_delay 0 &&
		$IP_FULL -n oh link add gnv0 type geneve id 42 remote 198.51.100.2 &&
		$IP_FULL -n oh link add gt0 type gretap local 198.51.100.1 remote 198.51.100.2 key 7 &&
		$IP_FULL -n oh link set gnv0 master br0 && $IP_FULL -n oh link set gt0 master br1 &&
		$IP_FULL -n oh link set gnv0 up && $IP_FULL -n oh link set gt0 up &&
		$IP_FULL -n oh link set br0 up && $IP_FULL -n oh link set br1 up; } >/tmp/ov-ip.err 2>&1; then
		result overlay 0 "the bed: $(tail -n 3 /tmp/ov-ip.err | tr '\n' ' ')"
		return
	fi
	echo "VNO-GUEST overlay: $($IP_FULL -n oh -br link | tr '\n' ';')"
	rm -f /tmp/ov-go /tmp/ov-g0.ready /tmp/ov-g1.ready
	ov_guest 0 192.0.2.1 192.0.2.2 1000000
	g0=$!
	ov_guest 1 192.0.2.11 192.0.2.12 2000000
	g1=$!
	i=0
	while { [ ! -e /tmp/ov-g0.ready ] || [ ! -e /tmp/ov-g1.ready ]; } && [ $i -lt 200 ] &&
		kill -0 "$g0" 2>/dev/null && kill -0 "$g1" 2>/dev/null; do
		sleep 0.1
		i=$((i + 1))
	done
	if [ ! -e /tmp/ov-g0.ready ] || [ ! -e /tmp/ov-g1.ready ]; then
		result overlay 0 "the stand-in guests made no taps: $(cat /tmp/ov-g0.err /tmp/ov-g1.err | head -c 300 | tr '\n' ' ')"
		stop_wait "$g0" TERM 30
		stop_wait "$g1" TERM 30
		return
	fi
	$IP_FULL netns exec oh $VNO --json record -i tap0 -i tap1 -i up0 -d 60 >"$out" 2>"$err" &
	pid=$!
	if ! wait_for "$out" '"type":"ready"' 60 "$pid"; then
		result overlay 0 "record on the overlay never got ready: $(head -c 300 "$err" | tr '\n' ' ')"
	else
		# The bridge ports forward at once (no STP, no forward delay).
		sleep 1
		touch /tmp/ov-go
		wait_for "$out" '"encap":{"type":"geneve"' 20 "$pid"
		wait_for "$out" '"encap":{"type":"gretap"' 20 "$pid"
		sleep 1
	fi
	stop_wait "$pid" INT 300
	rc=$?
	stop_wait "$g0" TERM 30
	stop_wait "$g1" TERM 30
	dump "$out" overlay
	echo "VNO-END overlay rc=$rc"
	cat /tmp/ov-g0.out /tmp/ov-g1.out | grep '"type":"planted"' >/tmp/ov-planted.jsonl
	dump /tmp/ov-planted.jsonl overlay-planted
	echo "VNO-END overlay-planted"
	[ -s "$err" ] && head -n 10 "$err" | sed 's/^/overlay stderr: /'
	if [ $rc = 0 ]; then
		result overlay 1 "record exit 0; $(grep -c '"encap":{"type":"geneve"' "$out") geneve, $(grep -c '"encap":{"type":"gretap"' "$out") gretap frames"
	else
		result overlay 0 "record exit $rc"
	fi
	$IP_FULL netns del oh
	$IP_FULL netns del op
	timing overlay "$(elapsed "$t0" "$(uptime_s)")"
}
overlay_run

# Nothing of ours stays attached once the tool has exited: no BPF program at
# all in this guest (nothing else here loads any), no TC filter. The kernel
# frees a program once its last link is gone, a moment after the exit.
if command -v bpftool >/dev/null; then
	mount -t bpf bpf /sys/fs/bpf 2>/dev/null
	i=0
	while [ $i -lt 50 ]; do
		progs=$(bpftool prog show 2>/dev/null | grep -c '^[0-9]*: ')
		[ "$progs" = 0 ] && break
		sleep 0.1
		i=$((i + 1))
	done
	filters=$(bpftool net show 2>/dev/null | grep -c 'vno_')
	if [ "$progs" = 0 ] && [ "$filters" = 0 ]; then
		result nothing-left 1 "no BPF program and no TC filter after the tool exited"
	else
		result nothing-left 0 "$progs BPF programs, $filters TC filters of ours left: $(bpftool prog show 2>/dev/null | grep '^[0-9]*: ' | head -n 5 | tr '\n' ' ')"
	fi
else
	skip nothing-left "no bpftool in the initramfs"
fi

timing guest-total "$(elapsed "$START" "$(uptime_s)")"
finish
