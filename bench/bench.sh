#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# bench/bench.sh: what tracing costs. Run by `make bench` (root).
#
# Two paths, each in namespaces made here and removed on every exit:
#   veth    client netns --v0==v1--> server netns
#   bridge  client netns --eth0==gc0--> br0 --up0==pe0--> peer netns
#           (gc0, a veth port, stands in for a guest's tap: the bridge and
#           the uplink's driver hand-off are what is measured)
# Three workloads: iperf3 TCP (TSO/GSO super-frames, bit/s); a UDP flood of
# 64-byte payloads over many flows (bench/udpflood, packets/s delivered)
# from a client device with checksum offload off (`ethtool -K DEV tx off`),
# so its frames carry no offload metadata at all: what the hooks cost on
# frames there is nothing to record of; and the same flood with checksum
# offload on (udp-csum), every datagram CHECKSUM_PARTIAL and so recorded.
# Configurations, interleaved in every round (A B C … then B C … A) and
# reported as medians over rounds: untraced, export, record -q, record
# --json to a file, record -q -w x.pcapng.gz, and peers on the same
# tracepoint/interface: bpftrace map aggregate, bpftrace printf per event,
# tcpdump -s 128 -w. Then: the user-space pipeline alone (pipeline_bench),
# time to the ready line, peak RSS, BPF map memory, and (unless --no-profile)
# a perf profile and per-program BPF run time of record under load.
#
# Prints a table; every measurement goes to bench/results.json (or
# --results FILE). Exit status: 0 when the bench ran (targets missed or
# not), 1 when it could not run, 2 on bad usage. See bench/README.md.
set -u
set -o pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VNO=${VNO_BIN:-$ROOT/vnoffload-trace}
BOUT=$ROOT/.output/bench
PIPE_BENCH=$BOUT/pipeline_bench
UDPFLOOD=$BOUT/udpflood

ALL_CONFIGS="untraced export export-tc record-q record-all record-tc record-json record-w record-f-none record-f-all bpftrace-map bpftrace-print tcpdump"
ROUNDS=5
SECS=5
PATHS="veth bridge"
WORKLOADS="tcp udp udp-csum"
CONFIGS=$ALL_CONFIGS
READY_SAMPLES=9
# An untraced run further than this from the median of the earlier ones
# (of its path and workload) is marked and run again, at most twice: every
# configuration's ratio of that round divides by it.
OUTLIER=0.25
OUTLIER_REPEATS=2
PIPE_RECORDS=2000000
PIPE_REPEATS=3
PROFILE=1
PIN=1
SMOKE=0
KEEP=0
RESULTS=$ROOT/bench/results.json
UDP_FLOWS=64
UDP_SIZE=64
RECORD_ARGS=""
EXPORT_ARGS=""
# Seconds a tracer may take to print its ready line (bpftrace: ~1 s here).
READY_TIMEOUT=30

usage()
{
	cat <<EOF
usage: bench/bench.sh [options]          (root; make bench)
  --rounds N         interleaved rounds per configuration (default $ROUNDS)
  --secs S           seconds per workload run (default $SECS)
  --paths LIST       veth,bridge (default: both)
  --workloads LIST   tcp,udp,udp-csum (default: all three)
  --configs LIST     of: ${ALL_CONFIGS// /,}
                     (untraced is always added: ratios need it)
  --ready-samples N  starts timed to the ready line (default $READY_SAMPLES)
  --pipeline-records N  records per pipeline_bench run (default $PIPE_RECORDS; 0: not run)
  --no-profile       skip the perf / BPF run-time profile
  --no-pin           do not pin client and server to CPUs 0 and 1
  --outlier F        rerun an untraced run more than F (default $OUTLIER) away
                     from the median of the earlier ones, at most $OUTLIER_REPEATS times
  --record-args "…"  more options for every record configuration, e.g.
                     "--tc-mode off" or "--buffer 4M" (to try a change)
  --export-args "…"  the same for export
  --smoke            1 round of 2 s, veth only, every workload, untraced,
                     export, record -q, record -w (and bpftrace-map, tcpdump
                     where installed)
  --results FILE     where the JSON goes (default bench/results.json)
  --keep             keep the temporary directory
EOF
}

while (($#)); do
	case $1 in
	--rounds) ROUNDS=$2; shift ;;
	--secs) SECS=$2; shift ;;
	--paths) PATHS=${2//,/ }; shift ;;
	--workloads) WORKLOADS=${2//,/ }; shift ;;
	--configs) CONFIGS=${2//,/ }; shift ;;
	--ready-samples) READY_SAMPLES=$2; shift ;;
	--pipeline-records) PIPE_RECORDS=$2; shift ;;
	--no-profile) PROFILE=0 ;;
	--no-pin) PIN=0 ;;
	--outlier) OUTLIER=$2; shift ;;
	--record-args) RECORD_ARGS=$2; shift ;;
	--export-args) EXPORT_ARGS=$2; shift ;;
	--smoke)
		SMOKE=1 ROUNDS=1 SECS=2 PATHS=veth WORKLOADS="tcp udp udp-csum"
		CONFIGS="untraced export record-q record-w" READY_SAMPLES=3
		# The peers too where installed: their start-up differs.
		command -v bpftrace >/dev/null && CONFIGS+=" bpftrace-map"
		command -v tcpdump >/dev/null && CONFIGS+=" tcpdump"
		PIPE_RECORDS=200000 PIPE_REPEATS=1 PROFILE=0
		;;
	--results) RESULTS=$2; shift ;;
	--keep) KEEP=1 ;;
	-h | --help) usage; exit 0 ;;
	*) echo "bench.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
	esac
	shift
done

[[ $ROUNDS =~ ^[1-9][0-9]*$ && $SECS =~ ^[1-9][0-9]*$ && $READY_SAMPLES =~ ^[0-9]+$ ]] || {
	echo "bench.sh: --rounds, --secs and --ready-samples take whole numbers" >&2
	exit 2
}
[[ $OUTLIER =~ ^[0-9]+(\.[0-9]+)?$ ]] || {
	echo "bench.sh: --outlier takes a fraction such as 0.25" >&2
	exit 2
}
for c in $CONFIGS; do
	[[ " $ALL_CONFIGS " == *" $c "* ]] || { echo "bench.sh: unknown configuration $c" >&2; exit 2; }
done
for p in $PATHS; do
	[[ $p == veth || $p == bridge ]] || { echo "bench.sh: unknown path $p" >&2; exit 2; }
done
for w in $WORKLOADS; do
	[[ $w == tcp || $w == udp || $w == udp-csum ]] || { echo "bench.sh: unknown workload $w" >&2; exit 2; }
done
[[ " $CONFIGS " == *" untraced "* ]] || CONFIGS="untraced $CONFIGS"

log() { printf '# %s\n' "$*" >&2; }
die() { printf 'bench.sh: %s\n' "$*" >&2; exit 1; }

# ---- prerequisites ----------------------------------------------------------

[[ $(id -u) == 0 ]] || die "needs root (network namespaces, BPF); run: sudo make bench"
need=(ip jq iperf3 taskset awk ethtool)
[[ " $CONFIGS " == *" bpftrace-"* ]] && need+=(bpftrace)
[[ " $CONFIGS " == *" tcpdump "* ]] && need+=(tcpdump)
[[ " $CONFIGS " == *" export"* ]] && need+=(curl)
for c in "${need[@]}"; do
	command -v "$c" >/dev/null || die "'$c' is not installed (make deps)"
done
[[ -x $VNO ]] || die "$VNO is not built (make)"
if [[ ! -x $PIPE_BENCH || ! -x $UDPFLOOD ]]; then
	log "building the bench tools (make bench-tools)"
	make -C "$ROOT" -s bench-tools >&2 || die "make bench-tools failed"
fi
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf 2>/dev/null
[[ -e /sys/kernel/tracing/events ]] || mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
HAVE_PERF=0
if ((PROFILE)) && command -v perf >/dev/null && perf stat -e task-clock true >/dev/null 2>&1; then
	HAVE_PERF=1
fi

# ---- state and cleanup ----------------------------------------------------------

SFX=$(printf '%x%02x' $$ $((RANDOM % 256)))
NS_A=vnob-a-$SFX	# veth client
NS_B=vnob-b-$SFX	# veth server
NS_C=vnob-c-$SFX	# bridge client ("guest")
NS_H=vnob-h-$SFX	# bridge host: br0, gc0, up0
NS_P=vnob-p-$SFX	# bridge peer (server)
MADE_NS=()
PIDS=()
TMP=$(mktemp -d "${TMPDIR:-/tmp}/vno-bench.XXXXXX")
RUNS=$TMP/runs.jsonl
: >"$RUNS"
BPF_STATS_OLD=
T_START=$SECONDS
# A copy: others may rebuild the tree's binary while the bench runs, and
# every run must measure the same one.
cp "$VNO" "$TMP/vnoffload-trace" || die "cannot copy $VNO"
VNO_SHA=$(sha256sum "$VNO" | cut -c1-16)
VNO=$TMP/vnoffload-trace
CLK_TCK=$(getconf CLK_TCK)

cleanup()
{
	local rc=$? pid ns
	trap - EXIT INT TERM
	for pid in "${PIDS[@]}"; do
		kill -0 "$pid" 2>/dev/null || continue
		kill -TERM "$pid" 2>/dev/null
	done
	for pid in "${PIDS[@]}"; do
		for _ in 1 2 3 4 5 6 7 8 9 10; do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	[[ -n $BPF_STATS_OLD ]] && sysctl -qw kernel.bpf_stats_enabled="$BPF_STATS_OLD"
	for ns in "${MADE_NS[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
	if ((KEEP)); then
		log "kept $TMP"
	else
		rm -rf "$TMP"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# bg NETNS OUT ERR CMD...: start CMD in NETNS ("-": where we are); pid in
# $BG_PID, killed on exit.
bg()
{
	local ns=$1 out=$2 err=$3
	shift 3
	if [[ $ns == - ]]; then
		"$@" >"$out" 2>"$err" &
	else
		ip netns exec "$ns" "$@" >"$out" 2>"$err" &
	fi
	BG_PID=$!
	PIDS+=("$BG_PID")
}

# stop PID [SIGNAL] [TIMEOUT_S]: signal, wait (bounded), then KILL; rc in $STOP_RC.
stop()
{
	local pid=$1 sig=${2:-INT} t=${3:-20} i
	STOP_RC=
	if kill -0 "$pid" 2>/dev/null; then
		kill -"$sig" "$pid" 2>/dev/null
		for ((i = 0; i < t * 20; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.05
		done
		kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null
	# shellcheck disable=SC2034 # for callers that care
	STOP_RC=$?
}

wait_until()
{
	local timeout=$1 deadline
	shift
	deadline=$((SECONDS + timeout))
	until "$@"; do
		((SECONDS >= deadline)) && return 1
		sleep 0.02
	done
}

pin() { ((PIN)) && echo "taskset -c $1"; }

# ---- namespaces ----------------------------------------------------------------

ns_add()
{
	ip netns add "$1" || die "cannot create netns $1"
	MADE_NS+=("$1")
	ip -n "$1" link set lo up
}

setup_veth()
{
	ns_add "$NS_A"
	ns_add "$NS_B"
	ip -n "$NS_A" link add v0 type veth peer name v1 netns "$NS_B" || die "cannot create veth"
	ip -n "$NS_A" addr add 192.0.2.1/24 dev v0
	ip -n "$NS_B" addr add 192.0.2.2/24 dev v1
	ip -n "$NS_A" link set v0 up
	ip -n "$NS_B" link set v1 up
}

_port_forwarding()
{
	[[ "$(bridge -n "$NS_H" -j link show dev "$1" 2>/dev/null |
		jq -r '.[0].state == "forwarding"')" == true ]]
}

setup_bridge()
{
	ns_add "$NS_C"
	ns_add "$NS_H"
	ns_add "$NS_P"
	ip -n "$NS_H" link add br0 type bridge stp_state 0 forward_delay 0 || die "cannot create bridge"
	ip -n "$NS_H" link set br0 up
	ip -n "$NS_H" link add gc0 type veth peer name eth0 netns "$NS_C" || die "cannot create veth"
	ip -n "$NS_H" link add up0 type veth peer name pe0 netns "$NS_P" || die "cannot create veth"
	ip -n "$NS_H" link set gc0 master br0
	ip -n "$NS_H" link set up0 master br0
	ip -n "$NS_H" link set gc0 up
	ip -n "$NS_H" link set up0 up
	ip -n "$NS_C" addr add 198.51.100.3/24 dev eth0
	ip -n "$NS_P" addr add 198.51.100.2/24 dev pe0
	ip -n "$NS_C" link set eth0 up
	ip -n "$NS_P" link set pe0 up
	wait_until 15 _port_forwarding gc0 || die "gc0 never reached the forwarding state"
	wait_until 15 _port_forwarding up0 || die "up0 never reached the forwarding state"
}

# Per path: where the client and server run, where the tracers run and
# which interfaces they watch (record/export: every hop on the path in that
# namespace; tcpdump: the interface the client's frames leave on).
path_vars()
{
	case $1 in
	veth)
		CLI_NS=$NS_A SRV_NS=$NS_B TR_NS=$NS_A SRV_IP=192.0.2.2 CLI_DEV=v0
		TR_IFACES=(v0) DUMP_IF=v0
		;;
	bridge)
		CLI_NS=$NS_C SRV_NS=$NS_P TR_NS=$NS_H SRV_IP=198.51.100.2 CLI_DEV=eth0
		TR_IFACES=(gc0 up0) DUMP_IF=up0
		;;
	esac
	IPERF_PORT=5201
	UDP_PORT=9000
}

# client_offload WORKLOAD: the client device's checksum offload (and with
# it TSO/GSO) off for the plain flood, on for the others. Before the tracer
# starts, so no run sees the switch as an offload change.
client_offload()
{
	local state=on
	[[ $1 == udp ]] && state=off
	ip netns exec "$CLI_NS" ethtool -K "$CLI_DEV" tx "$state" >/dev/null 2>&1 ||
		die "ethtool -K $CLI_DEV tx $state failed in $CLI_NS"
}

_listening() { ip netns exec "$SRV_NS" ss -Hltn "sport = :$IPERF_PORT" | grep -q LISTEN; }

start_servers()
{
	local p
	for p in $PATHS; do
		path_vars "$p"
		# shellcheck disable=SC2046
		bg "$SRV_NS" "$TMP/iperf3-$p.out" "$TMP/iperf3-$p.err" $(pin 1) \
			iperf3 -s -B "$SRV_IP" -p "$IPERF_PORT"
		wait_until 10 _listening || die "iperf3 server on $p did not start: $(cat "$TMP/iperf3-$p.err")"
		# One warm-up so ARP/ND, TCP metrics and page cache are settled.
		# shellcheck disable=SC2046
		ip netns exec "$CLI_NS" $(pin 0) iperf3 -c "$SRV_IP" -p "$IPERF_PORT" -t 1 \
			>/dev/null 2>&1 || die "iperf3 warm-up on $p failed"
	done
}

# ---- measurements of a process ----------------------------------------------------

# CPU ticks (user + system) of PID, all its threads; fields 14/15 of stat,
# after the comm. With a second argument TID, of that thread alone.
proc_ticks()
{
	local s f=/proc/$1/stat
	[[ -n ${2:-} ]] && f=/proc/$1/task/$2/stat
	s=$(cat "$f" 2>/dev/null) || { echo 0; return; }
	s=${s##*) }
	awk '{ print $12 + $13 }' <<<"$s"
}

# Busy and total jiffies of all CPUs (/proc/stat "cpu" line).
sys_ticks()
{
	awk '/^cpu / { t = 0; for (i = 2; i <= NF; i++) t += $i; print t - $5 - $6, t; exit }' /proc/stat
}

# "VmHWM VmRSS RssAnon RssFile RssShmem" of PID in KiB.
proc_mem()
{
	awk '/^(VmHWM|VmRSS|RssAnon|RssFile|RssShmem):/ { v[$1] = $2 }
	     END { printf "%d %d %d %d %d\n", v["VmHWM:"], v["VmRSS:"], v["RssAnon:"],
		   v["RssFile:"], v["RssShmem:"] }' "/proc/$1/status" 2>/dev/null || echo "0 0 0 0 0"
}

# BPF maps and programs PID holds: "map_ids memlock_total prog_count".
proc_bpf()
{
	local fd ids="" mem=0 progs=0 info id ml
	for fd in /proc/"$1"/fdinfo/*; do
		info=$(cat "$fd" 2>/dev/null) || continue
		if [[ $info == *map_id:* ]]; then
			id=$(awk '/^map_id:/ { print $2 }' <<<"$info")
			ml=$(awk '/^memlock:/ { print $2 }' <<<"$info")
			[[ " $ids " == *" $id "* ]] && continue
			ids+=" $id"
			mem=$((mem + ${ml:-0}))
		elif [[ $info == *prog_id:* ]]; then
			progs=$((progs + 1))
		fi
	done
	echo "${ids# }" "$mem" "$progs"
}

# Per BPF program PID holds, as JSON lines: name, run count, run time.
# Needs kernel.bpf_stats_enabled=1 while the load ran.
proc_prog_stats()
{
	local fd info id
	declare -A seen=()
	for fd in /proc/"$1"/fdinfo/*; do
		info=$(cat "$fd" 2>/dev/null) || continue
		[[ $info == *prog_id:* ]] || continue
		id=$(awk '/^prog_id:/ { print $2 }' <<<"$info")
		[[ -n ${seen[$id]:-} ]] && continue
		seen[$id]=1
		bpftool prog show id "$id" -j 2>/dev/null |
			jq -c '{id, name, type, run_cnt: (.run_cnt // 0), run_time_ns: (.run_time_ns // 0)}'
	done
}

# ---- tracers ----------------------------------------------------------------------

BT_MAP='tracepoint:net:net_dev_start_xmit { @[str(args->name)] = count(); }'
BT_PRINT='tracepoint:net:net_dev_start_xmit { printf("%s %u %u %u %u\n", str(args->name), args->len, args->gso_size, args->gso_segs, args->ip_summed); }'

_tr_ready()
{
	case $TR_CFG in
	export* | record-*) grep -q '"type":"ready"' "$TR_OUT" 2>/dev/null ;;
	bpftrace-*) grep -q '^Attaching' "$TR_OUT" 2>/dev/null ;;
	tcpdump) grep -q 'listening on' "$TR_ERR" 2>/dev/null ;;
	esac
}

_tr_ready_or_dead() { _tr_ready || ! kill -0 "$TR_PID" 2>/dev/null; }

# start_tracer CONFIG RUNDIR: start it in $TR_NS; 0 once it is ready.
start_tracer()
{
	local cfg=$1 dir=$2 ifargs=() i cmd=() rargs=() eargs=()
	read -r -a rargs <<<"$RECORD_ARGS"
	read -r -a eargs <<<"$EXPORT_ARGS"
	TR_CFG=$cfg TR_PID="" TR_OUT=$dir/tracer.out TR_ERR=$dir/tracer.err TR_FILE=""
	for i in "${TR_IFACES[@]}"; do
		ifargs+=(-i "$i")
	done
	case $cfg in
	untraced) return 0 ;;
	export) cmd=("$VNO" export --json --listen 127.0.0.1:0 "${eargs[@]}" "${ifargs[@]}") ;;
	# The same with the TC hops, which export leaves out by default.
	export-tc)
		cmd=("$VNO" export --json --listen 127.0.0.1:0 --tc-mode auto "${eargs[@]}" "${ifargs[@]}")
		;;
	# -q with --json: stdout carries only the ready and summary lines, so
	# the sink is /dev/null in all but name and the summary is readable.
	record-q) cmd=("$VNO" record --json -q "${rargs[@]}" "${ifargs[@]}") ;;
	# Every frame, offload metadata or not: what --all costs.
	record-all) cmd=("$VNO" record --json -q --all "${rargs[@]}" "${ifargs[@]}") ;;
	# The same with the TC hops, which record also leaves out by default.
	record-tc) cmd=("$VNO" record --json -q --tc-mode auto "${rargs[@]}" "${ifargs[@]}") ;;
	record-json) cmd=("$VNO" record --json "${rargs[@]}" "${ifargs[@]}") ;;
	# -f with a filter no frame matches (an ethertype nobody uses) and one
	# every frame matches: what choosing frames costs beside record-q/export.
	record-f-none) cmd=("$VNO" record --json -q -f 'ether proto 0x0101' "${rargs[@]}" "${ifargs[@]}") ;;
	record-f-all) cmd=("$VNO" record --json -q -f 'len >= 0' "${rargs[@]}" "${ifargs[@]}") ;;
	record-w)
		TR_FILE=$dir/x.pcapng.gz
		cmd=("$VNO" record --json -q -w "$TR_FILE" "${rargs[@]}" "${ifargs[@]}")
		;;
	bpftrace-map) cmd=(bpftrace -e "$BT_MAP") ;;
	bpftrace-print) cmd=(bpftrace -e "$BT_PRINT") ;;
	tcpdump)
		TR_FILE=$dir/x.pcap
		cmd=(tcpdump -n -i "$DUMP_IF" -s 128 -w "$TR_FILE")
		;;
	esac
	# bpftrace finds tracepoints in tracefs, which `ip netns exec` hides
	# (it mounts a fresh /sys); the tracepoint is global anyway.
	if [[ $cfg == bpftrace-* ]]; then
		bg - "$TR_OUT" "$TR_ERR" "${cmd[@]}"
	else
		bg "$TR_NS" "$TR_OUT" "$TR_ERR" "${cmd[@]}"
	fi
	TR_PID=$BG_PID
	if ! wait_until "$READY_TIMEOUT" _tr_ready_or_dead || ! _tr_ready; then
		stop "$TR_PID" KILL 1
		TR_PID=
		return 1
	fi
	# bpftrace says "Attaching" before it attaches; give it a moment.
	[[ $cfg == bpftrace-* ]] && sleep 0.5
	return 0
}

# Lost events after the tracer ended, or "null" where the tool has no such count.
tracer_lost()
{
	local n
	case $TR_CFG in
	record-*)
		n=$(grep '"type":"summary"' "$TR_OUT" | tail -n 1 | jq -r '.lost_events // empty' 2>/dev/null)
		echo "${n:-null}"
		;;
	bpftrace-print)
		n=$(cat "$TR_OUT" "$TR_ERR" | grep -oE 'Lost [0-9]+ events' | awk '{ s += $2 } END { print s + 0 }')
		echo "$n"
		;;
	tcpdump)
		n=$(grep -oE '^[0-9]+ packets? dropped by kernel' "$TR_ERR" | awk '{ print $1 }')
		echo "${n:-null}"
		;;
	*) echo null ;;
	esac
}

# ---- workloads ------------------------------------------------------------------

# run_workload WL DIR: sets WL_JSON (throughput and details) or returns 1.
run_workload()
{
	local wl=$1 dir=$2 rpid
	WL_JSON=
	case $wl in
	tcp)
		# shellcheck disable=SC2046
		if ! ip netns exec "$CLI_NS" $(pin 0) iperf3 -c "$SRV_IP" -p "$IPERF_PORT" -t "$SECS" -J \
			>"$dir/iperf3.json" 2>"$dir/iperf3.err"; then
			WL_ERR="iperf3: $(jq -r '.error // empty' "$dir/iperf3.json" 2>/dev/null) $(head -c 200 "$dir/iperf3.err")"
			return 1
		fi
		WL_JSON=$(jq -c '{throughput: .end.sum_received.bits_per_second, unit: "bit/s",
			sent_bps: .end.sum_sent.bits_per_second, retransmits: .end.sum_sent.retransmits,
			client_cpu_pct: .end.cpu_utilization_percent.host_total,
			server_cpu_pct: .end.cpu_utilization_percent.remote_total}' "$dir/iperf3.json") || {
			WL_ERR="iperf3 wrote no result"
			return 1
		}
		;;
	udp | udp-csum)
		rm -f "$dir/recv.ready"
		# shellcheck disable=SC2046
		bg "$SRV_NS" "$dir/recv.json" "$dir/recv.err" $(pin 1) "$UDPFLOOD" recv \
			--bind "$SRV_IP" --port "$UDP_PORT" --ready-file "$dir/recv.ready"
		rpid=$BG_PID
		if ! wait_until 10 test -e "$dir/recv.ready"; then
			WL_ERR="udpflood recv did not start: $(head -c 200 "$dir/recv.err")"
			stop "$rpid" KILL 1
			return 1
		fi
		# shellcheck disable=SC2046
		if ! ip netns exec "$CLI_NS" $(pin 0) "$UDPFLOOD" send --dst "$SRV_IP" --port "$UDP_PORT" \
			--flows "$UDP_FLOWS" --size "$UDP_SIZE" --secs "$SECS" \
			>"$dir/send.json" 2>"$dir/send.err"; then
			WL_ERR="udpflood send: $(head -c 200 "$dir/send.err")"
			stop "$rpid" INT 5
			return 1
		fi
		# Datagrams still queued reach the receiver within milliseconds.
		sleep 0.2
		stop "$rpid" INT 5
		WL_JSON=$(jq -c -s '(.[0]) as $s | (.[1]) as $r |
			{throughput: ($r.received / $s.secs), unit: "pkt/s", sent_pps: $s.pps,
			 delivered_share: (if $s.sent > 0 then $r.received / $s.sent else null end),
			 send_errors: $s.errors}' "$dir/send.json" "$dir/recv.json") || {
			WL_ERR="udpflood wrote no result"
			return 1
		}
		;;
	esac
}

# ---- one run ----------------------------------------------------------------------

# run_one ROUND PATH WORKLOAD CONFIG: one measurement, one line in $RUNS.
run_one()
{
	local round=$1 path=$2 wl=$3 cfg=$4 dir ok=true err="" lost=null
	local c0=0 c1=0 m0=0 m1=0 s0 s1 mem="0 0 0 0 0" bpf="" extra="{}" url scrape
	dir=$TMP/run-$round-$path-$wl-$cfg
	mkdir -p "$dir"
	path_vars "$path"
	# Noise from outside, for reading the runs: other users' programs on
	# the same hooks (before ours load) and the load average.
	local foreign load1
	foreign=$(foreign_progs)
	load1=$(cut -d' ' -f1 /proc/loadavg)
	WL_ERR="" WL_JSON=""
	client_offload "$wl"
	if ! start_tracer "$cfg" "$dir"; then
		ok=false
		err="$cfg did not get ready: $(head -c 300 "$TR_ERR" | tr '\n' ' ')"
	else
		# The process (record -w has a writer thread) and its main
		# thread, the ring buffer's reader, alone.
		[[ -n $TR_PID ]] && c0=$(proc_ticks "$TR_PID") && m0=$(proc_ticks "$TR_PID" "$TR_PID")
		s0=$(sys_ticks)
		if ! run_workload "$wl" "$dir"; then
			ok=false
			err=$WL_ERR
		fi
		s1=$(sys_ticks)
		if [[ -n $TR_PID ]]; then
			if ! kill -0 "$TR_PID" 2>/dev/null; then
				ok=false
				err="$cfg exited during the run: $(head -c 300 "$TR_ERR" | tr '\n' ' ')"
			fi
			c1=$(proc_ticks "$TR_PID")
			m1=$(proc_ticks "$TR_PID" "$TR_PID")
			mem=$(proc_mem "$TR_PID")
			[[ $cfg == export* || $cfg == record-* ]] && bpf=$(proc_bpf "$TR_PID")
			if [[ $cfg == export* ]]; then
				# One scrape, as Prometheus would: proves the aggregates
				# counted this run's frames.
				url=$(grep -m1 '"type":"ready"' "$TR_OUT" | jq -r .metrics)
				scrape=$(ip netns exec "$TR_NS" curl -s -m 5 "$url" |
					awk '/^vnoffload_frames_total\{.*hop="xmit"/ { s += $NF } END { print s + 0 }')
				extra=$(jq -nc --argjson f "${scrape:-0}" '{scrape_xmit_frames: $f}')
			fi
			# The first round's map list, by name, for the memory table.
			if [[ -n $bpf && $round == 1 && ! -e $TMP/maps-$cfg.json ]]; then
				local ids
				read -r -a ids <<<"${bpf% * *}"
				bpftool map show -j 2>/dev/null | jq -c --arg ids "${ids[*]}" '
					($ids | split(" ") | map(tonumber)) as $want
					| [.[] | select(.id as $i | $want | index($i))
					   | {id, name, type, max_entries, bytes_memlock}]' >"$TMP/maps-$cfg.json"
			fi
			stop "$TR_PID" INT 30
			lost=$(tracer_lost)
			if [[ $cfg == record-* ]]; then
				extra=$(grep '"type":"summary"' "$TR_OUT" | tail -n 1 |
					jq -c '{records, duration_s}' 2>/dev/null || echo '{}')
			fi
			if [[ -n $TR_FILE && -e $TR_FILE ]]; then
				extra=$(jq -c --argjson b "$(stat -c %s "$TR_FILE")" '. + {file_bytes: $b}' <<<"$extra")
			fi
			if [[ $cfg == record-json ]]; then
				extra=$(jq -c --argjson b "$(stat -c %s "$TR_OUT")" '. + {json_bytes: $b}' <<<"$extra")
			fi
		fi
	fi
	local busy total tb tt mems
	read -r busy total <<<"${s1:-0 0}"
	read -r tb tt <<<"${s0:-0 0}"
	read -r -a mems <<<"$mem"
	local bpf_mem=null bpf_progs=null
	if [[ -n $bpf ]]; then
		bpf_mem=$(awk '{ print $(NF - 1) }' <<<"$bpf")
		bpf_progs=$(awk '{ print $NF }' <<<"$bpf")
	fi
	jq -nc --argjson round "$round" --arg path "$path" --arg workload "$wl" --arg config "$cfg" \
		--argjson ok "$ok" --arg error "$err" --argjson wl "${WL_JSON:-{\}}" \
		--argjson lost "$lost" --argjson secs "$SECS" \
		--argjson cpu_ticks "$((c1 - c0))" --argjson main_ticks "$((m1 - m0))" \
		--argjson hz "$CLK_TCK" \
		--argjson busy "$((busy - tb))" --argjson total "$((total - tt))" \
		--argjson hwm "${mems[0]}" --argjson rss "${mems[1]}" --argjson anon "${mems[2]}" \
		--argjson file "${mems[3]}" --argjson shmem "${mems[4]}" \
		--argjson bpf_mem "$bpf_mem" --argjson bpf_progs "$bpf_progs" --argjson extra "$extra" \
		--argjson foreign "$foreign" --argjson load1 "$load1" '
		{round: $round, path: $path, workload: $workload, config: $config, ok: $ok,
		 error: (if $error == "" then null else $error end)}
		+ $wl
		+ {lost_events: $lost,
		   tracer_cpu_pct: (if $config == "untraced" then null
				    else ($cpu_ticks / $hz / $secs * 100 | . * 10 | round / 10) end),
		   system_busy_pct: (if $total > 0 then ($busy / $total * 100 | . * 10 | round / 10) else null end),
		   # The reader'"'"'s own CPU per record in the live run, to set beside
		   # pipeline_bench'"'"'s warm-cache figure (records are counted over the
		   # tracer'"'"'s life, which carries traffic only during the workload).
		   tracer_ns_per_record: (if ($extra.records // 0) > 0
					  then ($cpu_ticks / $hz * 1e9 / $extra.records | round) else null end),
		   # The same for the reader'"'"'s thread alone (record -w writes the
		   # capture on another; tracer_ns_per_record counts both).
		   reader_thread_ns_per_record: (if ($extra.records // 0) > 0
					  then ($main_ticks / $hz * 1e9 / $extra.records | round) else null end),
		   rss_kib: (if $config == "untraced" then null
			     else {hwm: $hwm, rss: $rss, anon: $anon, file: $file, shmem: $shmem} end),
		   bpf_memlock_bytes: $bpf_mem, bpf_progs: $bpf_progs,
		   foreign_bpf_progs: $foreign, loadavg1: $load1}
		+ {extra: $extra}' >>"$RUNS"
	# Keep nothing big between runs: captures and JSON streams reach GBs.
	rm -rf "$dir"
	if [[ $ok == true ]]; then
		log "$(printf 'round %d %-6s %-8s %-14s %s' "$round" "$path" "$wl" "$cfg" \
			"$(tail -n 1 "$RUNS" | jq -r '"\(.throughput / (if .unit == "bit/s" then 1e9 else 1e3 end) * 100 | round / 100) \(if .unit == "bit/s" then "Gbit/s" else "kpkt/s" end)  lost \(.lost_events // "-")  cpu \(.tracer_cpu_pct // "-")%"')")"
	else
		log "round $round $path $wl $cfg: FAILED: $err"
	fi
}

# ---- time to ready ----------------------------------------------------------------

# ready_ms NETNS CMD...: milliseconds from fork to the first line on stdout.
ready_ms()
{
	local ns=$1 t0 t1 line pid
	shift
	t0=${EPOCHREALTIME/./}
	coproc RDY { exec ip netns exec "$ns" "$@" 2>>"$TMP/ready.err"; }
	pid=$RDY_PID
	PIDS+=("$pid")
	if IFS= read -r -t 20 line <&"${RDY[0]}" && [[ $line == *'"ready"'* ]]; then
		t1=${EPOCHREALTIME/./}
		echo $(((t1 - t0) / 1000)).$((((t1 - t0) % 1000) / 100))
	else
		echo null
	fi
	kill -INT "$pid" 2>/dev/null
	# Drain what it prints at the end so it never blocks on a full pipe.
	cat <&"${RDY[0]}" >/dev/null 2>&1
	wait "$pid" 2>/dev/null
}

measure_ready()
{
	local i rec=() exp=() base=() rargs=() eargs=()
	read -r -a rargs <<<"$RECORD_ARGS"
	read -r -a eargs <<<"$EXPORT_ARGS"
	path_vars "${PATHS%% *}"
	log "time to the ready line: $READY_SAMPLES starts each of record and export (-i ${TR_IFACES[*]})"
	for ((i = 0; i < READY_SAMPLES; i++)); do
		rec+=("$(ready_ms "$TR_NS" "$VNO" record --json -q "${rargs[@]}" "${TR_IFACES[@]/#/-i}")")
		exp+=("$(ready_ms "$TR_NS" "$VNO" export --json --listen 127.0.0.1:0 "${eargs[@]}" \
			"${TR_IFACES[@]/#/-i}")")
		# The same measured around a process that prints at once: what
		# fork, exec and entering the namespace cost by themselves.
		base+=("$(ready_ms "$TR_NS" echo '"ready"')")
	done
	jq -nc --arg r "${rec[*]}" --arg e "${exp[*]}" --arg b "${base[*]}" '
		def nums: split(" ") | map(select(. != "null") | tonumber);
		def med: sort | if length == 0 then null elif length % 2 == 1 then .[length / 2 | floor]
			 else (.[length / 2 - 1] + .[length / 2]) / 2 end;
		def stat: {samples: ., median: med, min: min, max: max};
		{record: ($r | nums | stat), export: ($e | nums | stat),
		 exec_baseline: ($b | nums | stat),
		 note: "ms from fork of `ip netns exec` to the first line on stdout; --json -q"}' \
		>"$TMP/ready.json"
	log "$(jq -r '"ready: record median \(.record.median) ms, export \(.export.median) ms (exec alone \(.exec_baseline.median) ms)"' "$TMP/ready.json")"
}

# ---- the user-space pipeline ----------------------------------------------------

measure_pipeline()
{
	log "pipeline_bench: $PIPE_RECORDS synthetic records x $PIPE_REPEATS per mode, one core"
	if ! "$PIPE_BENCH" --json -n "$PIPE_RECORDS" -r "$PIPE_REPEATS" -d "$TMP" \
		>"$TMP/pipeline.jsonl" 2>"$TMP/pipeline.err"; then
		log "pipeline_bench failed: $(cat "$TMP/pipeline.err")"
	fi
	jq -s -c '.' "$TMP/pipeline.jsonl" >"$TMP/pipeline.json" 2>/dev/null || echo '[]' >"$TMP/pipeline.json"
	log "$(jq -r 'map("\(.mode) \(.records_per_cpu_s / 1e6 * 100 | round / 100) M/s") | join(", ")' "$TMP/pipeline.json")"
}

# ---- profile --------------------------------------------------------------------

# profile_one PATH WORKLOAD CONFIG: perf over the whole machine during a run,
# and each BPF program's run count and time (kernel.bpf_stats_enabled, only
# for this run: it costs a little on every program of every user).
profile_one()
{
	local path=$1 wl=$2 cfg=$3 dir name
	name=$path-$wl-$cfg
	dir=$TMP/prof-$name
	mkdir -p "$dir"
	path_vars "$path"
	client_offload "$wl"
	start_tracer "$cfg" "$dir" || { log "profile $name: $cfg did not start"; return; }
	if [[ -n $TR_PID ]]; then
		BPF_STATS_OLD=$(sysctl -n kernel.bpf_stats_enabled 2>/dev/null)
		sysctl -qw kernel.bpf_stats_enabled=1
	fi
	if ((HAVE_PERF)); then
		perf record -a -g -F 999 -o "$dir/perf.data" -- sleep "$SECS" >/dev/null 2>"$dir/perf.err" &
		local perf_pid=$!
	fi
	run_workload "$wl" "$dir" || log "profile $name: workload failed: $WL_ERR"
	((HAVE_PERF)) && wait "$perf_pid"
	if [[ -n $TR_PID ]]; then
		proc_prog_stats "$TR_PID" | jq -s -c --argjson secs "$SECS" '
			map(. + {avg_ns: (if .run_cnt > 0 then (.run_time_ns / .run_cnt | round) else null end),
				 cpu_pct: (.run_time_ns / 1e9 / $secs * 100 | . * 100 | round / 100)})
			| sort_by(-.run_time_ns)' >"$dir/progs.json"
		sysctl -qw kernel.bpf_stats_enabled="$BPF_STATS_OLD"
		BPF_STATS_OLD=
		stop "$TR_PID" INT 30
	fi
	[[ -s $dir/progs.json ]] || echo '[]' >"$dir/progs.json"
	local top='[]' comms='[]'
	if ((HAVE_PERF)) && [[ -s $dir/perf.data ]]; then
		perf report -i "$dir/perf.data" --stdio --no-children --sort sym --percent-limit 0.5 \
			-g none 2>/dev/null >"$BOUT/perf-$name.txt"
		perf report -i "$dir/perf.data" --stdio --no-children --sort comm -g none 2>/dev/null \
			>"$BOUT/perf-$name-comm.txt"
		top=$(awk '/^ +[0-9.]+%/ { p = $1; sub("%", "", p); $1 = ""; $2 = ""; sub(/^ +/, "");
				printf "{\"pct\":%s,\"sym\":\"%s\"}\n", p, $0 }' "$BOUT/perf-$name.txt" |
			head -n 25 | jq -s -c '.')
		comms=$(awk '/^ +[0-9.]+%/ { p = $1; sub("%", "", p);
				printf "{\"pct\":%s,\"comm\":\"%s\"}\n", p, $2 }' "$BOUT/perf-$name-comm.txt" |
			head -n 10 | jq -s -c '.')
	fi
	jq -nc --arg name "$name" --slurpfile progs "$dir/progs.json" --argjson top "${top:-[]}" \
		--argjson comms "${comms:-[]}" --argjson wl "${WL_JSON:-null}" \
		--arg report "${BOUT#"$ROOT"/}/perf-$name.txt" \
		'{name: $name, workload_result: $wl, bpf_progs: $progs[0], perf_top: $top,
		  perf_by_comm: $comms, perf_report: (if ($top | length) > 0 then $report else null end)}' \
		>>"$TMP/profile.jsonl"
	log "profile $name: BPF $(jq -r 'map("\(.name) \(.avg_ns)ns x\(.run_cnt)") | join(", ")' "$dir/progs.json")"
	rm -rf "$dir"
}

# ---- results ----------------------------------------------------------------------

write_results()
{
	local git_rev git_dirty
	git_rev=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
	git_dirty=$(git -C "$ROOT" status --porcelain --untracked-files=no 2>/dev/null | grep -q . && echo true || echo false)
	[[ -s $TMP/profile.jsonl ]] || : >"$TMP/profile.jsonl"
	[[ -s $TMP/ready.json ]] || echo null >"$TMP/ready.json"
	[[ -s $TMP/pipeline.json ]] || echo '[]' >"$TMP/pipeline.json"
	local maps='{}' f
	for f in "$TMP"/maps-*.json; do
		[[ -s $f ]] || continue
		local c=${f##*/maps-}
		maps=$(jq -c --arg c "${c%.json}" --slurpfile m "$f" '. + {($c): $m[0]}' <<<"$maps")
	done
	mkdir -p "$(dirname "$RESULTS")"
	jq -s \
		--slurpfile ready "$TMP/ready.json" \
		--slurpfile pipeline "$TMP/pipeline.json" \
		--slurpfile profile <(jq -s -c '.' "$TMP/profile.jsonl") \
		--argjson maps "$maps" \
		--arg date "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
		--argjson duration "$((SECONDS - T_START))" \
		--argjson nproc "$(nproc)" \
		--arg cpu "$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)" \
		--arg kernel "$(uname -r)" \
		--argjson mem "$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)" \
		--arg load_start "$LOAD_START" --arg load_end "$(cut -d' ' -f1-3 /proc/loadavg)" \
		--argjson foreign "$FOREIGN_PROGS" \
		--arg version "$("$VNO" --version 2>/dev/null | head -n 1)" \
		--arg rev "$git_rev" --argjson dirty "$git_dirty" --arg sha "$VNO_SHA" \
		--argjson rounds "$ROUNDS" --argjson secs "$SECS" --arg paths "$PATHS" \
		--argjson outlier "$OUTLIER" --argjson outlier_repeats "$OUTLIER_REPEATS" \
		--arg workloads "$WORKLOADS" --arg configs "$CONFIGS" --argjson pin "$PIN" \
		--argjson smoke "$SMOKE" --argjson flows "$UDP_FLOWS" --argjson size "$UDP_SIZE" \
		--arg record_args "$RECORD_ARGS" --arg export_args "$EXPORT_ARGS" \
		-f /dev/stdin "$RUNS" >"$RESULTS.tmp" <<'JQ'
def med: map(select(. != null)) | sort
	| if length == 0 then null elif length % 2 == 1 then .[length / 2 | floor]
	  else (.[length / 2 - 1] + .[length / 2]) / 2 end;
def r3: if . == null then null else . * 1000 | round / 1000 end;
def r1: if . == null then null else . * 10 | round / 10 end;
. as $runs
| ($runs | map(select(.config == "untraced" and .ok and (.superseded | not)))) as $base
| [ $runs | group_by([.path, .workload, .config])[]
    | (map(select(.superseded | not))) as $g | (map(select(.superseded)) | length) as $sup
    | $g[0] as $h
    | ($g | map(select(.ok))) as $ok
    | ($ok | map(. as $r | ($base | map(select(.path == $r.path and .workload == $r.workload
					     and .round == $r.round))[0].throughput) as $b
		  | if $b and $b > 0 then $r.throughput / $b else null end)) as $ratios
    | ($base | map(select(.path == $h.path and .workload == $h.workload)) | map(.throughput) | med) as $bmed
    | {path: $h.path, workload: $h.workload, config: $h.config, unit: $h.unit,
       runs: ($g | length), ok: ($ok | length), superseded_outliers: $sup,
       spread: (($ok | map(.throughput) | min) as $lo | ($ok | map(.throughput) | max) as $hi
		| ($ok | map(.throughput) | med) as $m
		| if $m and $m > 0 then (($hi - $lo) / $m | r3) else null end),
       errors: ($g | map(select(.ok | not) | .error) | unique),
       median: ($ok | map(.throughput) | med),
       ratio: ($ratios | med | r3),
       ratio_min: ($ratios | map(select(. != null)) | min | r3),
       ratio_max: ($ratios | map(select(. != null)) | max | r3),
       ratio_of_medians: (if $bmed and $bmed > 0 then (($ok | map(.throughput) | med) / $bmed | r3) else null end),
       lost_events: (if ($ok | map(.lost_events) | all(. == null)) then null
		     else ($ok | map(.lost_events // 0) | add) end),
       tracer_cpu_pct: ($ok | map(.tracer_cpu_pct) | med | r1),
       system_busy_pct: ($ok | map(.system_busy_pct) | med | r1),
       loadavg1: ($g | map(.loadavg1) | med),
       foreign_bpf_progs: ($g | map(.foreign_bpf_progs) | max),
       rss_hwm_kib: ($ok | map(.rss_kib.hwm // null) | max),
       bpf_memlock_bytes: ($ok | map(.bpf_memlock_bytes) | max),
       records: ($ok | map(.extra.records // null) | med),
       tracer_ns_per_record: ($ok | map(.tracer_ns_per_record // null) | med),
       reader_thread_ns_per_record: ($ok | map(.reader_thread_ns_per_record // null) | med),
       file_bytes: ($ok | map(.extra.file_bytes // .extra.json_bytes // null) | med)} ] as $summary
| ($pipeline[0]) as $pl
| ($ready[0]) as $rd
| def s($p; $w; $c): $summary | map(select(.path == $p and .workload == $w and .config == $c))[0];
  def ge($name; $v; $t; $unit; $note):
	{name: $name, op: ">=", threshold: $t, value: $v, unit: $unit,
	 pass: (if $v == null then null else $v >= $t end),
	 miss_by: (if $v == null or $v >= $t then null else ($t - $v) end),
	 miss_pct: (if $v == null or $v >= $t then null else (($t - $v) / $t * 100 | r1) end),
	 note: $note};
  def le($name; $v; $t; $unit; $note):
	{name: $name, op: "<=", threshold: $t, value: $v, unit: $unit,
	 pass: (if $v == null then null else $v <= $t end),
	 miss_by: (if $v == null or $v <= $t then null else ($v - $t) end),
	 miss_pct: (if $v == null or $v <= $t then null else (($v - $t) / $t * 100 | r1) end),
	 note: $note};
  def lt($name; $v; $t; $unit; $note):
	{name: $name, op: "<", threshold: $t, value: $v, unit: $unit,
	 pass: (if $v == null then null else $v < $t end),
	 miss_by: (if $v == null or $v < $t then null else ($v - $t) end),
	 miss_pct: (if $v == null or $v < $t then null else (($v - $t) / $t * 100 | r1) end),
	 note: $note};
  ($paths | split(" ")) as $P
| [ ($P[] as $p | (s($p; "tcp"; "record-w") | select(.) | ge("record -w, iperf3 TCP, \($p): throughput ratio"; .ratio; 0.98; "ratio"; "median of per-round ratios against untraced"))),
    ($P[] as $p | (s($p; "tcp"; "record-w") | select(.)) as $rw | (s($p; "tcp"; "tcpdump") | select(.)) as $td
      | ge("record -w vs tcpdump -s 128 -w, iperf3 TCP, \($p): throughput ratio"; $rw.ratio; $td.ratio;
	   "ratio"; "at least tcpdump's (\($td.ratio))")),
    ($P[] as $p | (s($p; "tcp"; "record-q") | select(.) | ge("record -q, iperf3 TCP, \($p): throughput ratio"; .ratio; 0.97; "ratio"; "median of per-round ratios against untraced"))),
    ($P[] as $p | (s($p; "tcp"; "export") | select(.) | ge("export, iperf3 TCP, \($p): throughput ratio"; .ratio; 0.99; "ratio"; "median of per-round ratios against untraced"))),
    ($P[] as $p | (s($p; "udp"; "record-q") | select(.) | ge("record, 64-byte UDP flood without offload metadata, \($p): throughput ratio"; .ratio; 0.90; "ratio"; "record -q; delivered packets/s"))),
    ($P[] as $p | (s($p; "udp"; "export") | select(.) | ge("export, 64-byte UDP flood without offload metadata, \($p): throughput ratio"; .ratio; 0.90; "ratio"; "delivered packets/s"))),
    ($P[] as $p | (s($p; "udp"; "tcpdump") | select(.)) as $td | ("export", "record-q") as $c
      | (s($p; "udp"; $c) | select(.)) as $x
      | ge("\($c) vs tcpdump -s 128 -w, 64-byte UDP flood without offload metadata, \($p): throughput ratio"; $x.ratio; $td.ratio;
	   "ratio"; "at least tcpdump's (\($td.ratio))")),
    ( [$summary[] | select(.config == "record-w" and .tracer_ns_per_record != null)] | select(length > 0)
      | max_by(.tracer_ns_per_record)
      | le("record -w: the reader's CPU per record under load"; .tracer_ns_per_record; 200; "ns";
	   "largest median over paths and workloads: \(.path)/\(.workload)")),
    ($P[] as $p | (s($p; "udp-csum"; "record-f-none") | select(.)) as $fn | (s($p; "udp-csum"; "export") | select(.)) as $ex
      | ge("record -q -f (matches nothing) vs export, 64-byte UDP flood with checksum offload, \($p): throughput ratio"; $fn.ratio; $ex.ratio;
	   "ratio"; "must cost no more than export; export: \($ex.ratio)")),
    ($P[] as $p | (s($p; "udp-csum"; "record-f-all") | select(.)) as $fa | (s($p; "udp-csum"; "record-q") | select(.)) as $rq
      | ge("record -q -f (matches all) vs record -q, 64-byte UDP flood with checksum offload, \($p): throughput ratio"; $fa.ratio; ($rq.ratio * 0.95 * 1000 | round / 1000);
	   "ratio"; "at most 5 % below record -q (\($rq.ratio))")),
    ( [$summary[] | select(.workload == "tcp" and (.config | startswith("record-")))] as $rt
      | select($rt | length > 0)
      | ($rt | map(.lost_events // 0) | add) as $v
      | {name: "no lost events at the iperf3 rate, default buffers", op: "==", threshold: 0, value: $v,
	 unit: "events", pass: ($v == 0), miss_by: (if $v == 0 then null else $v end), miss_pct: null,
	 note: ($rt | map("\(.path)/\(.config): \(.lost_events)") | join(", "))}),
    ( ($pl // []) | map(select(.mode == "pcapng.gz"))[0] | select(.)
      | ge("pipeline decode -> aggregator -> pcapng.gz, per CPU-second (both threads)"; .records_per_cpu_s; 4000000; "records/s";
	   "pipeline_bench; without the writer (agg): \(($pl | map(select(.mode == "agg"))[0].records_per_cpu_s) // "n/a") records/s")),
    ( $rd | select(. != null) | .record.median | select(. != null)
      | lt("record: start to ready line"; .; 100; "ms"; "median of \($rd.record.samples | length) starts, \($rd.exec_baseline.median) ms of which is fork+exec+setns")),
    ( [$summary[] | select(.config | startswith("record-")) | {c: "\(.path)/\(.workload)/\(.config)", v: .rss_hwm_kib}]
      | select(length > 0) | max_by(.v)
      | lt("record: peak RSS (VmHWM)"; (.v / 1024 | r1); 32; "MiB"; "largest over record runs: \(.c)"))
  ] as $targets
| {schema: 1, date: $date, duration_s: $duration, smoke: ($smoke == 1),
   machine: {nproc: $nproc, cpu_model: $cpu, kernel: $kernel, mem_total_kib: $mem,
	     loadavg_start: $load_start, loadavg_end: $load_end,
	     foreign_bpf_progs_at_start: $foreign},
   tool: {version: $version, git: $rev, dirty: $dirty, binary_sha256: $sha},
   settings: {rounds: $rounds, secs_per_run: $secs, paths: ($paths | split(" ")),
	      outlier_fraction: $outlier, outlier_repeats: $outlier_repeats,
	      workloads: ($workloads | split(" ")), configs: ($configs | split(" ")),
	      pinned: ($pin == 1), pinning: (if $pin == 1 then "client on CPU 0, server on CPU 1, tracers unpinned" else "none" end),
	      udp_flows: $flows, udp_payload_bytes: $size,
	      record_args: $record_args, export_args: $export_args,
	      bpftrace_map: "tracepoint:net:net_dev_start_xmit { @[str(args->name)] = count(); }",
	      bpftrace_print: "tracepoint:net:net_dev_start_xmit { printf(\"%s %u %u %u %u\\n\", str(args->name), args->len, args->gso_size, args->gso_segs, args->ip_summed); }",
	      tcpdump: "tcpdump -n -i IFACE -s 128 -w FILE"},
   summary: $summary, targets: $targets, ready_ms: $rd, pipeline: ($pl // []),
   bpf_maps: $maps, profile: $profile[0], runs: $runs}
JQ
	mv "$RESULTS.tmp" "$RESULTS"
}

fmt_thr()
{
	# value unit -> "12.34 Gbit/s" / "812.3 kpkt/s"
	awk -v v="$1" -v u="$2" 'BEGIN {
		if (v == "null" || v == "") { print "-"; exit }
		if (u == "bit/s") printf "%.2f Gbit/s", v / 1e9; else printf "%.1f kpkt/s", v / 1e3 }'
}

print_table()
{
	local line
	printf '\n%-6s %-8s %-15s %14s %7s %-11s %8s %6s  %s\n' PATH WL CONFIG MEDIAN RATIO MIN-MAX LOST CPU% NOTES
	jq -r '.summary as $s
		| (.settings.configs) as $order
		| $s | sort_by(.path, .workload, (.config as $c | $order | index($c)))[]
		| [.path, .workload, .config, (.median // "null"), (.unit // "-"), (.ratio // "-"),
		   (if .ratio_min then "\(.ratio_min)-\(.ratio_max)" else "-" end),
		   (.lost_events // "-"), (.tracer_cpu_pct // "-"),
		   ([ (if .ok < .runs then "\(.runs - .ok)/\(.runs) failed: \(.errors[0] // "" | .[0:60])" else empty end),
		      (if (.superseded_outliers // 0) > 0 then "\(.superseded_outliers) outlier run(s) repeated" else empty end),
		      (if .spread != null then "spread \(.spread * 100 | round)%" else empty end),
		      (if .rss_hwm_kib then "rss \(.rss_hwm_kib / 1024 | . * 10 | round / 10) MiB" else empty end),
		      (if .bpf_memlock_bytes then "maps \(.bpf_memlock_bytes / 1048576 | . * 10 | round / 10) MiB" else empty end),
		      (if .records then "\(.records) rec" else empty end),
		      (if .tracer_ns_per_record then "reader \(.tracer_ns_per_record) ns/rec" else empty end),
		      (if .tracer_ns_per_record and .reader_thread_ns_per_record
			     and .reader_thread_ns_per_record != .tracer_ns_per_record
		       then "its main thread \(.reader_thread_ns_per_record)" else empty end)]
		     | join(", "))] | @tsv' "$RESULTS" |
		while IFS=$'\t' read -r p w c m u r mm lost cpu notes; do
			printf '%-6s %-8s %-15s %14s %7s %-11s %8s %6s  %s\n' "$p" "$w" "$c" \
				"$(fmt_thr "$m" "$u")" "$r" "$mm" "$lost" "$cpu" "$notes"
		done
	printf '\n'
	jq -r '.pipeline[] | "pipeline  \(.mode | . + " " * (10 - length)) \(.records_per_cpu_s / 1e6 * 100 | round / 100) M records/s per CPU-second (\(.ns_per_record) ns/record\(if .writer_thread then ", of which the reader thread \(.reader_ns_per_record)" else "" end))"' "$RESULTS"
	jq -r '.ready_ms | select(. != null) | "ready     record \(.record.median) ms, export \(.export.median) ms (median; fork+exec+setns alone \(.exec_baseline.median) ms)"' "$RESULTS"
	jq -r '.bpf_maps | to_entries[] | "bpf maps  \(.key): \(.value | map(.bytes_memlock) | add / 1048576 | . * 10 | round / 10) MiB memlock in \(.value | length) maps; largest: \(.value | sort_by(-.bytes_memlock)[0:3] | map("\(.name) \(.bytes_memlock / 1048576 | . * 10 | round / 10) MiB") | join(", "))"' "$RESULTS"
	printf '\ntargets:\n'
	jq -r '.targets[] | "  \(if .pass == true then "MET " elif .pass == false then "MISS" else "n/a " end)  \(.name): \(.value) \(.unit) (target \(.op) \(.threshold))\(if .pass == false then "; off by \(.miss_by | . * 1000 | round / 1000) \(.unit)\(if .miss_pct then " (\(.miss_pct)%)" else "" end)" else "" end)"' "$RESULTS"
	jq -r '.profile[]? | "\nprofile \(.name): BPF programs (avg ns x runs, % of one CPU):",
		(.bpf_progs[] | "  \(.name) \(.avg_ns) ns x \(.run_cnt) = \(.cpu_pct)%"),
		"  perf top: \(.perf_top[0:8] | map("\(.sym) \(.pct)%") | join(", "))"' "$RESULTS"
	printf '\nresults: %s (%s s, load average at start %s, end %s)\n' "$RESULTS" \
		"$(jq -r .duration_s "$RESULTS")" "$(jq -r .machine.loadavg_start "$RESULTS")" \
		"$(jq -r .machine.loadavg_end "$RESULTS")"
}

# ---- baseline outliers -------------------------------------------------------------

# baseline_outlier PATH WORKLOAD: is the last untraced run of PATH/WORKLOAD
# (the newest line of $RUNS) more than $OUTLIER away from the median of the
# earlier ones kept (needs two of them)? A failed run is no outlier: it is
# reported as failed.
baseline_outlier()
{
	jq -s -e --arg p "$1" --arg w "$2" --argjson f "$OUTLIER" '
		def med: sort | if length % 2 == 1 then .[length / 2 | floor]
			else (.[length / 2 - 1] + .[length / 2]) / 2 end;
		(.[-1]) as $last
		| [.[:-1][] | select(.config == "untraced" and .path == $p and .workload == $w
			and .ok and (.superseded | not)) | .throughput] as $earlier
		| $last.config == "untraced" and $last.ok and ($earlier | length) >= 2
		  and ($earlier | med) as $m | $m > 0
		  and (($last.throughput - $m) / $m | if . < 0 then -. else . end) > $f' \
		"$RUNS" >/dev/null 2>&1
}

# Mark the newest run as superseded (kept in runs[], left out of medians
# and ratios), with the median it was compared with.
supersede_last()
{
	local tmp=$RUNS.tmp
	head -n -1 "$RUNS" >"$tmp"
	tail -n 1 "$RUNS" | jq -c '. + {superseded: true}' >>"$tmp"
	mv "$tmp" "$RUNS"
}

# ---- main -------------------------------------------------------------------------

# Tracing and TC programs loaded now (other users' run on our packets too).
foreign_progs()
{
	local n
	n=$(bpftool prog show -j 2>/dev/null | jq '[.[] | select(.type == "tracing" or .type == "tracepoint"
		or .type == "raw_tracepoint" or .type == "sched_cls")] | length' 2>/dev/null)
	echo "${n:-null}"
}

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
FOREIGN_PROGS=$(foreign_progs)
((FOREIGN_PROGS > 0)) 2>/dev/null && log "note: $FOREIGN_PROGS tracing/TC BPF programs of other users are loaded; they add noise"
log "machine: $(nproc) CPUs, $(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo), kernel $(uname -r), load $LOAD_START"
log "plan: rounds $ROUNDS x ${SECS}s; paths: $PATHS; workloads: $WORKLOADS; configs: $CONFIGS"

for p in $PATHS; do
	"setup_$p"
done
start_servers

if ((PIPE_RECORDS > 0)); then
	measure_pipeline
else
	log "pipeline_bench: not run (--pipeline-records 0)"
fi
((READY_SAMPLES > 0)) && measure_ready

read -r -a cfgs <<<"$CONFIGS"
n=${#cfgs[@]}
for ((round = 1; round <= ROUNDS; round++)); do
	for p in $PATHS; do
		for w in $WORKLOADS; do
			# Rotate the order every round: no configuration always
			# runs first, or right after the same neighbour.
			for ((k = 0; k < n; k++)); do
				c=${cfgs[$(((k + round - 1) % n))]}
				run_one "$round" "$p" "$w" "$c"
				sleep 0.3
				tries=0
				while [[ $c == untraced ]] && ((tries < OUTLIER_REPEATS)) &&
					baseline_outlier "$p" "$w"; do
					supersede_last
					tries=$((tries + 1))
					log "round $round $p $w untraced: far from the median of the earlier untraced runs: run again ($tries/$OUTLIER_REPEATS)"
					run_one "$round" "$p" "$w" "$c"
					sleep 0.3
				done
			done
		done
	done
done

if ((PROFILE)); then
	p=${PATHS##* }
	for w in $WORKLOADS; do
		for c in untraced export record-q record-w; do
			[[ " $CONFIGS " == *" $c "* ]] && profile_one "$p" "$w" "$c"
		done
	done
fi

write_results || die "could not write $RESULTS"
print_table
