# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# shellcheck shell=bash
#
# Test bed for the vnoffload-trace integration tests. Source it, then:
#
#   tb_up [GUEST_ARGS]     host netns $TB_H: bridge br0, guest tap tap0 (owned
#                          by vno-guest, our stand-in VMM), uplink veth up0;
#                          peer netns $TB_P: pe0 with 192.0.2.2/24,
#                          198.51.100.2/24, 2001:db8::2/64 and a UDP/TCP sink
#                          (UDP $TB_UDP_PORT, TCP $TB_TCP_PORT)
#   tb_plant SPEC...       write frames into the tap, wait until written; the
#                          planted JSON lines are appended to $TB_PLANTED
#   tb_add_ns_port NS PORT ADDR   one more namespace behind br0 (veth PORT)
#   tb_rename_uplink PREFIX  up0 renamed to a name of this run's own ($TB_UP),
#                          for planted kernel-log lines no other bed reacts to
#   vno_record_start OUT ARGS...   vnoffload-trace record ARGS in $TB_H,
#                          returns once its {"type":"ready"} line is out
#   vno_record_stop        SIGINT, wait (bounded) for the summary
#   export_start OUT ARGS... / export_stop [SIG]   the same for export; then
#                          nscurl / code talk HTTP to it inside $TB_H
#   assert_eq / assert_jq / tb_fail / skip / tb_finish
#   tb_run_cases "DEFAULT CASES" "$@"   run case_NAME functions, each alone
#                          in a subshell with its own PASS/FAIL/SKIP line
#
# Every namespace, process and file made here is removed on exit, failure or
# signal. Names carry a per-run suffix so parallel or aborted runs never
# collide; interfaces live inside the namespaces, so their names can be fixed.
#
# Exit status of a test: 0 passed, 77 skipped, anything else failed.

set -u
set -o pipefail

TB_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
VNO_BIN=${VNO_BIN:-$TB_ROOT/vnoffload-trace}
VNO_GUEST=${VNO_GUEST:-$TB_ROOT/.output/tools/vno-guest}
# Seconds any single wait may take before the test fails instead of hanging.
TB_TIMEOUT=${TB_TIMEOUT:-15}

TB_SFX=$(printf '%x%02x' $$ $((RANDOM % 256)))
TB_H=vnoh-$TB_SFX	# host: bridge, tap, uplink
TB_P=vnop-$TB_SFX	# peer: the far end of the uplink
TB_NETNS=()		# every namespace we made, for cleanup
TB_PIDS=()		# every background process we started
TB_TMP=$(mktemp -d "${TMPDIR:-/tmp}/vno-it.XXXXXX")
TB_PLANTED=$TB_TMP/planted.jsonl
TB_GUEST_FD=
TB_GUEST_PID=
TB_SYNCS=0
TB_NAME=$(basename "${0%.sh}")

# Guest and peer addressing (documentation ranges only).
TB_GUEST_MAC=02:00:5e:00:53:01
TB_GUEST4=192.0.2.1
TB_PEER4=192.0.2.2
TB_GUEST6=2001:db8::1
TB_PEER6=2001:db8::2
TB_PEER4B=198.51.100.2	# for traffic from other namespaces behind the bridge
TB_PEER_MAC=
TB_UPLINK=up0		# the bridge's way out (the overlay bed's is its vxlan port)
TB_UDP_PORT=5001	# the peer consumes UDP here
TB_TCP_PORT=5002	# and accepts TCP here

TB_PASSED=0
TB_FAILED=0

# ---- reporting -------------------------------------------------------------

tb_log() { printf '# %s\n' "$*" >&2; }

tb_pass()
{
	TB_PASSED=$((TB_PASSED + 1))
	printf '  ok   %s\n' "$*" >&2
}

# Record a failed check and carry on: one run shows every broken field.
tb_fail()
{
	TB_FAILED=$((TB_FAILED + 1))
	printf '  FAIL %s\n' "$*" >&2
}

# A failure after which the test cannot go on.
tb_fatal()
{
	tb_fail "$*"
	exit 1
}

# Skip the whole test, or within a case only that case, saying why (run.sh
# shows the reason). Never silent.
skip()
{
	printf 'SKIP: %s\n' "$*" >&2
	[[ -z ${TB_CASE:-} ]] || printf '%s\n' "$*" >"$TB_TMP/case-$TB_CASE.skip"
	exit 77
}

assert_eq()
{
	local actual=$1 expected=$2 msg=${3:-}
	if [[ "$actual" == "$expected" ]]; then
		tb_pass "$msg"
	else
		tb_fail "$msg: got '$actual', want '$expected'"
	fi
}

assert_ne()
{
	local actual=$1 unexpected=$2 msg=${3:-}
	if [[ "$actual" != "$unexpected" ]]; then
		tb_pass "$msg"
	else
		tb_fail "$msg: got '$actual'"
	fi
}

# assert_jq FILE FILTER MESSAGE [jq args...]: FILE is JSON lines, read as one
# array (jq -s); passes when FILTER yields true.
assert_jq()
{
	local file=$1 filter=$2 msg=$3
	shift 3
	if [[ "$(jq -s "$@" "$filter" "$file" 2>"$TB_TMP/jq.err")" == true ]]; then
		tb_pass "$msg"
	else
		tb_fail "$msg${TB_JQ_HINT:+ ($TB_JQ_HINT)}"
		if [[ -s $TB_TMP/jq.err ]]; then
			sed 's/^/       jq: /' "$TB_TMP/jq.err" >&2
		fi
		return 1
	fi
}

# Print the summary line of this test and exit with its status.
tb_finish()
{
	printf '%s: %d checks passed, %d failed\n' "$TB_NAME" "$TB_PASSED" "$TB_FAILED" >&2
	((TB_FAILED == 0 && TB_PASSED > 0)) && exit 0
	((TB_PASSED == 0 && TB_FAILED == 0)) && printf '%s: no checks ran\n' "$TB_NAME" >&2
	exit 1
}

# ---- waiting ---------------------------------------------------------------

# tb_wait_until TIMEOUT CMD...: poll CMD every 50 ms until it succeeds.
tb_wait_until()
{
	local timeout=$1
	shift
	local deadline=$((SECONDS + timeout + 1))
	while ! "$@"; do
		if ((SECONDS >= deadline)); then
			return 1
		fi
		sleep 0.05
	done
	return 0
}

_tb_jq_true() { [[ -s $1 ]] && [[ "$(jq -s "$2" "$1" 2>/dev/null)" == true ]]; }

# tb_wait_jq FILE FILTER [TIMEOUT]: until FILTER over the slurped JSON lines
# of FILE is true.
tb_wait_jq() { tb_wait_until "${3:-$TB_TIMEOUT}" _tb_jq_true "$1" "$2"; }

# ---- prerequisites ---------------------------------------------------------

tb_need_root()
{
	[[ $(id -u) == 0 ]] || skip "needs root (network namespaces, tap, BPF)"
}

tb_need_cmd()
{
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null || skip "'$c' is not installed (make deps)"
	done
}

tb_need_guest()
{
	[[ -x $VNO_GUEST ]] || skip "$VNO_GUEST is not built (make tools)"
}

tb_need_vno()
{
	[[ -x $VNO_BIN ]] || skip "$VNO_BIN is not built (make)"
}

# ---- namespaces ------------------------------------------------------------

tb_netns_add()
{
	ip netns add "$1" || tb_fatal "cannot create netns $1"
	TB_NETNS+=("$1")
	ip -n "$1" link set lo up
	# Nothing here should answer the outside world, but be explicit.
	ip netns exec "$1" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
		net.ipv6.conf.default.accept_dad=0 2>/dev/null || true
}

# tb_bg NETNS OUT CMD...: run CMD in NETNS in the background, stdout to OUT,
# stderr to OUT.err; the pid is in $TB_BG_PID and is killed on cleanup.
tb_bg()
{
	local ns=$1 out=$2 f
	shift 2
	# Emptied here, before the fork: the child's own `>` runs when it is
	# scheduled, and until then a waiter would read what an earlier run
	# left in the same file (a stale ready line). A FIFO is left alone:
	# opening one to write waits for its reader.
	for f in "$out" "$out.err"; do
		[[ -p $f ]] || : >"$f"
	done
	ip netns exec "$ns" "$@" >"$out" 2>"$out.err" &
	TB_BG_PID=$!
	TB_PIDS+=("$TB_BG_PID")
}

tb_kill()
{
	local pid=$1 sig=${2:-TERM} i
	kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
	kill -"$sig" "$pid" 2>/dev/null
	for ((i = 0; i < 100; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 0
}

tb_cleanup()
{
	local rc=$? pid ns
	trap - EXIT INT TERM
	if [[ -n $TB_GUEST_FD ]]; then
		exec {TB_GUEST_FD}>&- 2>/dev/null
		TB_GUEST_FD=
	fi
	for pid in "${TB_PIDS[@]}"; do
		tb_kill "$pid" TERM
	done
	for ns in "${TB_NETNS[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
	# Cases show their own logs when they fail (tb_run_cases).
	if ((rc != 0 && rc != 77)) && [[ -d $TB_TMP ]] && [[ -z ${VNO_KEEP:-} ]] &&
		[[ -z ${_TB_CASES_DONE:-} ]]; then
		_tb_dump_logs
	fi
	if [[ -n ${VNO_KEEP:-} ]]; then
		printf '# kept %s\n' "$TB_TMP" >&2
	else
		rm -rf "$TB_TMP"
	fi
	exit "$rc"
}

# On failure, show what the processes said, so the CI log alone explains it;
# _tb_dump_logs MARK: only the logs written since the file MARK was.
_tb_dump_logs()
{
	local f mark=${1:-}
	for f in "$TB_TMP"/*.err; do
		[[ -s $f ]] || continue
		[[ -z $mark || $f -nt $mark ]] || continue
		printf '# --- %s\n' "${f#"$TB_TMP"/}" >&2
		tail -n 20 "$f" | sed 's/^/# /' >&2
	done
}

trap tb_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- the bed ---------------------------------------------------------------

# Offloads the uplink must keep on, or super-frames are split before xmit.
_tb_uplink_offloads()
{
	local ns=$1 dev=$2 feat state bad=
	for feat in tcp-segmentation-offload generic-segmentation-offload \
		tx-checksumming scatter-gather tx-udp-segmentation; do
		state=$(ip netns exec "$ns" ethtool -k "$dev" 2>/dev/null |
			awk -v f="$feat:" '$1 == f { print $2 }')
		if [[ $state != on ]]; then
			ip netns exec "$ns" ethtool -K "$dev" "$(_tb_ethtool_short "$feat")" on \
				2>/dev/null
			state=$(ip netns exec "$ns" ethtool -k "$dev" 2>/dev/null |
				awk -v f="$feat:" '$1 == f { print $2 }')
		fi
		[[ $state == on ]] || bad+=" $feat"
	done
	[[ -z $bad ]] || tb_fatal "$dev: cannot enable:$bad"
}

_tb_ethtool_short()
{
	case $1 in
	tcp-segmentation-offload) echo tso ;;
	generic-segmentation-offload) echo gso ;;
	tx-checksumming) echo tx ;;
	scatter-gather) echo sg ;;
	tx-udp-segmentation) echo tx-udp-segmentation ;;
	esac
}

# tb_bed_base: the host and peer namespaces, br0 up in the host, and the
# veth up0 (host) - pe0 (peer), neither of them set up further.
tb_bed_base()
{
	tb_need_root
	tb_need_cmd ip ethtool jq
	tb_need_guest

	tb_netns_add "$TB_H"
	tb_netns_add "$TB_P"

	ip -n "$TB_H" link add br0 type bridge stp_state 0 forward_delay 0 ||
		tb_fatal "cannot create bridge"
	ip -n "$TB_H" link set br0 up
	ip -n "$TB_H" link add up0 type veth peer name pe0 netns "$TB_P" ||
		tb_fatal "cannot create veth pair"
}

# The overlay bed (tb_overlay_up): VXLAN $TB_VNI between the host and the
# peer over up0 - pe0, addressed in 198.51.100.0/24.
TB_VNI=42
TB_UNDER_H=198.51.100.1
TB_UNDER_P=198.51.100.2

# tb_overlay_up [GUEST_ARGS...]: the guest's tap0 on br0, bridged to vxlan0
# (VNI $TB_VNI) whose underlay is the veth up0; the peer's own vxlan0 holds
# $TB_PEER4. The kernel gives both vxlan devices the MTU 1450 (1500 less
# VXLAN over IPv4); the guest's frames go to the peer's vxlan0. With
# TB_UNDER6=1 the underlay is IPv6 (2001:db8:1::1 and ::2, $TB_UNDER_H and
# $TB_UNDER_P then), the MTU 1430, and the peer's vxlan0 holds $TB_PEER6 too.
tb_overlay_up()
{
	local plen=24 dad=()
	if [[ ${TB_UNDER6:-0} == 1 ]]; then
		TB_UNDER_H=2001:db8:1::1 TB_UNDER_P=2001:db8:1::2 plen=64 dad=(nodad)
	fi
	tb_bed_base
	ip -n "$TB_H" addr add "$TB_UNDER_H/$plen" dev up0 "${dad[@]}"
	ip -n "$TB_H" link set up0 up
	ip -n "$TB_P" addr add "$TB_UNDER_P/$plen" dev pe0 "${dad[@]}"
	ip -n "$TB_P" link set pe0 up
	ip -n "$TB_H" link add vxlan0 type vxlan id "$TB_VNI" local "$TB_UNDER_H" \
		remote "$TB_UNDER_P" dstport 4789 dev up0 || skip "this kernel cannot make a vxlan device"
	ip -n "$TB_H" link set vxlan0 master br0
	ip -n "$TB_H" link set vxlan0 up
	ip -n "$TB_P" link add vxlan0 type vxlan id "$TB_VNI" local "$TB_UNDER_P" \
		remote "$TB_UNDER_H" dstport 4789 dev pe0 || tb_fatal "cannot create the peer's vxlan0"
	ip -n "$TB_P" addr add "$TB_PEER4/24" dev vxlan0
	ip -n "$TB_P" addr add "$TB_PEER6/64" dev vxlan0 nodad
	ip -n "$TB_P" link set vxlan0 up
	TB_PEER_MAC=$(ip -n "$TB_P" -j link show vxlan0 | jq -r '.[0].address')
	ip -n "$TB_P" neigh replace "$TB_GUEST4" lladdr "$TB_GUEST_MAC" dev vxlan0 nud permanent
	ip -n "$TB_P" neigh replace "$TB_GUEST6" lladdr "$TB_GUEST_MAC" dev vxlan0 nud permanent
	TB_UPLINK=vxlan0 tb_guest_start "$@"
}

# tb_up [GUEST_ARGS...]: build the bed and start the guest (vno-guest --stdin,
# fed through a FIFO, so frames are planted when the test says so).
tb_up()
{
	tb_bed_base
	ip -n "$TB_H" link set up0 master br0
	ip -n "$TB_H" link set up0 up
	_tb_uplink_offloads "$TB_H" up0

	ip -n "$TB_P" link set pe0 up
	ip -n "$TB_P" addr add "$TB_PEER4/24" dev pe0
	ip -n "$TB_P" addr add "$TB_PEER4B/24" dev pe0
	ip -n "$TB_P" addr add "$TB_PEER6/64" dev pe0 nodad
	TB_PEER_MAC=$(ip -n "$TB_P" -j link show pe0 | jq -r '.[0].address')
	# The guest never answers ARP/ND: the peer's replies (RST, ICMP) must
	# still find it, so tell the peer where it is.
	ip -n "$TB_P" neigh replace "$TB_GUEST4" lladdr "$TB_GUEST_MAC" dev pe0 nud permanent
	ip -n "$TB_P" neigh replace "$TB_GUEST6" lladdr "$TB_GUEST_MAC" dev pe0 nud permanent

	# The peer consumes UDP (USO super-frames are then segmented and the
	# original skb consumed, not dropped) and accepts TCP connections.
	# (A bed of an earlier case may have left its ready file.)
	rm -f "$TB_TMP/sink.ready"
	tb_bg "$TB_P" "$TB_TMP/sink.out" "$VNO_GUEST" --sink --udp "$TB_UDP_PORT" \
		--tcp "$TB_TCP_PORT" --ready-file "$TB_TMP/sink.ready"
	tb_wait_until "$TB_TIMEOUT" test -e "$TB_TMP/sink.ready" ||
		tb_fatal "peer sink did not start: $(cat "$TB_TMP/sink.out.err")"

	tb_guest_start "$@"
}

# tb_rename_uplink PREFIX: the bed's up0 renamed to PREFIX and four hex
# digits, up and forwarding again; the name in $TB_UP. Other beds on this
# machine watch an up0 of their own: a kernel-log line planted for a test
# must name a device only that test watches.
tb_rename_uplink()
{
	TB_UP=$1$(printf '%04x' "$RANDOM")
	ip -n "$TB_H" link set up0 down
	ip -n "$TB_H" link set up0 name "$TB_UP" || tb_fatal "cannot rename up0 to $TB_UP"
	ip -n "$TB_H" link set "$TB_UP" up
	tb_wait_until "$TB_TIMEOUT" _tb_port_forwarding "$TB_UP" ||
		tb_fatal "$TB_UP never reached the forwarding state"
}

# tb_guest_start [GUEST_ARGS...]: (re)start the guest on tap0. The guest
# reads and drops what the host sends it (--drain), like a live guest; set
# TB_GUEST_DRAIN=0 or pass --hold for one that never reads (a stalled guest).
tb_guest_start()
{
	local fifo=$TB_TMP/guest.fifo drain=(--drain)
	[[ ${TB_GUEST_DRAIN:-1} == 0 || " $* " == *" --hold "* ]] && drain=()
	tb_guest_stop
	rm -f "$fifo" "$TB_TMP/guest.ready"
	mkfifo "$fifo"
	ip netns exec "$TB_H" "$VNO_GUEST" --tap tap0 --bridge br0 \
		--src-mac "$TB_GUEST_MAC" --dst-mac "$TB_PEER_MAC" \
		--src-ip "$TB_GUEST4" --dst-ip "$TB_PEER4" --src6 "$TB_GUEST6" --dst6 "$TB_PEER6" \
		--dport "$TB_UDP_PORT" --ready-file "$TB_TMP/guest.ready" --stdin "${drain[@]}" "$@" \
		<"$fifo" >"$TB_TMP/guest.out" 2>"$TB_TMP/guest.out.err" &
	TB_GUEST_PID=$!
	TB_PIDS+=("$TB_GUEST_PID")
	exec {TB_GUEST_FD}>"$fifo"
	TB_SYNCS=0
	tb_wait_until "$TB_TIMEOUT" test -e "$TB_TMP/guest.ready" ||
		tb_fatal "guest did not create its tap: $(cat "$TB_TMP/guest.out.err")"
	# The bridge port must forward before anything is planted.
	tb_wait_until "$TB_TIMEOUT" _tb_port_forwarding tap0 ||
		tb_fatal "tap0 never reached the forwarding state"
	tb_wait_until "$TB_TIMEOUT" _tb_port_forwarding "$TB_UPLINK" ||
		tb_fatal "$TB_UPLINK never reached the forwarding state"
}

# A tap's operstate stays UNKNOWN (tun never sets it): look at the carrier
# and the bridge port state instead.
_tb_port_forwarding()
{
	[[ "$(bridge -n "$TB_H" -j link show dev "$1" 2>/dev/null |
		jq -r '(.[0].flags | index("LOWER_UP") != null) and .[0].state == "forwarding"')" == true ]]
}

tb_guest_stop()
{
	if [[ -n $TB_GUEST_FD ]]; then
		exec {TB_GUEST_FD}>&-
		TB_GUEST_FD=
	fi
	if [[ -n $TB_GUEST_PID ]]; then
		tb_kill "$TB_GUEST_PID" TERM
		TB_GUEST_PID=
	fi
}

_tb_sync_count()
{
	local n
	n=$(grep -c '"type":"sync"' "$TB_TMP/guest.out" 2>/dev/null)
	((n >= TB_SYNCS))
}

# tb_plant SPEC...: write the frames into the tap and return once the guest
# has written them (each planted frame is appended to $TB_PLANTED).
tb_plant()
{
	[[ -n $TB_GUEST_FD ]] || tb_fatal "tb_plant: no guest running"
	local before
	before=$(grep -c '"type":"planted"' "$TB_TMP/guest.out" 2>/dev/null)
	TB_SYNCS=$((TB_SYNCS + 1))
	printf '%s sync\n' "$*" >&"$TB_GUEST_FD"
	tb_wait_until "$TB_TIMEOUT" _tb_sync_count ||
		tb_fatal "guest did not plant '$*': $(cat "$TB_TMP/guest.out.err")"
	grep '"type":"planted"' "$TB_TMP/guest.out" | tail -n "+$((before + 1))" >>"$TB_PLANTED"
}

# tb_add_ns_port NETNS PORT ADDR/PREFIX: another namespace behind the bridge
# (a guest-like veth port $PORT on br0), e.g. for an iperf3 client.
tb_add_ns_port()
{
	local ns=$1 port=$2 addr=$3
	tb_netns_add "$ns"
	ip -n "$TB_H" link add "$port" type veth peer name eth0 netns "$ns" ||
		tb_fatal "cannot create veth $port"
	ip -n "$TB_H" link set "$port" master br0
	ip -n "$TB_H" link set "$port" up
	ip -n "$ns" link set eth0 up
	ip -n "$ns" addr add "$addr" dev eth0
	tb_wait_until "$TB_TIMEOUT" _tb_port_forwarding "$port" ||
		tb_fatal "$port never reached the forwarding state"
}

# ---- vnoffload-trace -------------------------------------------------------

VNO_REC_PID=
VNO_REC_OUT=

_tb_has_ready() { grep -q '"type" *: *"ready"' "$1" 2>/dev/null; }

# vno_record_start OUT [NETNS=$TB_H] -- ARGS...: start `record ARGS` and
# return once it printed its ready line. Fails the test if it exits first.
vno_record_start()
{
	local out=$1 ns=$TB_H
	shift
	if [[ ${1:-} != -- ]]; then
		ns=$1
		shift
	fi
	[[ ${1:-} == -- ]] && shift
	tb_bg "$ns" "$out" "$VNO_BIN" record "$@"
	VNO_REC_PID=$TB_BG_PID
	VNO_REC_OUT=$out
	_tb_wait_ready "record $*" "$VNO_REC_PID" "$out"
}

# _tb_wait_ready WHAT PID OUT: return once OUT holds a ready line; fail the
# test if WHAT (process PID, started by tb_bg) prints none within
# $TB_TIMEOUT or exits first, saying how it exited. OUT may be the .err of
# a process whose ready line goes to stderr (record -w -).
_tb_wait_ready()
{
	local what=$1 pid=$2 out=$3
	tb_wait_until "$TB_TIMEOUT" _tb_ready_or_dead "$out" "$pid" ||
		tb_fatal "$what printed no ready line within ${TB_TIMEOUT}s"
	_tb_has_ready "$out" && return 0
	# Not ready, so dead: tb_bg emptied OUT before the fork, and it only
	# grows, so no line can have come and gone.
	wait "$pid"
	tb_fatal "$what exited ($(_tb_status $?)) before ready: $(head -c 400 "$out.err" 2>/dev/null)$(head -c 400 "$out")"
}

# _tb_status RC: a wait status as words: "status 2", "signal 11 (SIGSEGV)".
_tb_status()
{
	if (($1 > 128 && $1 < 160)); then
		printf 'signal %d (SIG%s)' $(($1 - 128)) "$(kill -l $(($1 - 128)) 2>/dev/null)"
	else
		printf 'status %d' "$1"
	fi
}

_tb_ready_or_dead() { _tb_has_ready "$1" || ! kill -0 "$2" 2>/dev/null; }

# vno_record_stop [SIGNAL=INT]: stop the recorder, wait for it (bounded),
# set VNO_REC_RC.
vno_record_stop()
{
	local sig=${1:-INT} i stuck=
	VNO_REC_RC=
	[[ -n $VNO_REC_PID ]] || return 0
	# stderr off meanwhile: bash's "Killed" job notices are noise here.
	{
		kill -"$sig" "$VNO_REC_PID"
		for ((i = 0; i < TB_TIMEOUT * 20; i++)); do
			kill -0 "$VNO_REC_PID" || break
			sleep 0.05
		done
		if kill -0 "$VNO_REC_PID"; then
			stuck=1
			kill -KILL "$VNO_REC_PID"
		fi
		wait "$VNO_REC_PID"
		VNO_REC_RC=$?
	} 2>/dev/null
	[[ -z $stuck ]] || tb_fail "record did not exit within ${TB_TIMEOUT}s of SIG$sig"
	VNO_REC_PID=
}

# vno_record_wait: wait for a recorder started with -d to end by itself.
vno_record_wait()
{
	local i
	VNO_REC_RC=
	[[ -n $VNO_REC_PID ]] || return 0
	for ((i = 0; i < (TB_TIMEOUT + 10) * 20; i++)); do
		kill -0 "$VNO_REC_PID" 2>/dev/null || break
		sleep 0.05
	done
	if kill -0 "$VNO_REC_PID" 2>/dev/null; then
		tb_fail "record -d did not end by itself"
		kill -KILL "$VNO_REC_PID" 2>/dev/null
	fi
	wait "$VNO_REC_PID"
	VNO_REC_RC=$?
	VNO_REC_PID=
}

# ---- vnoffload-trace export ------------------------------------------------

EXP_PID=
EXP_URL=

# export_start OUT ARGS...: `export ARGS` in $TB_H; returns once its ready
# line is out, with its address in $EXP_URL.
export_start()
{
	local out=$1
	shift
	tb_bg "$TB_H" "$out" "$VNO_BIN" export "$@"
	EXP_PID=$TB_BG_PID
	_tb_wait_ready "export $*" "$EXP_PID" "$out"
	EXP_URL=http://$(jq -r 'select(.type == "ready") | .listen' "$out")
}

# export_stop [SIGNAL=TERM]: stop it (bounded wait), status in $EXP_RC.
export_stop()
{
	local i
	EXP_RC=
	[[ -n $EXP_PID ]] || return 0
	{
		kill -"${1:-TERM}" "$EXP_PID"
		for ((i = 0; i < TB_TIMEOUT * 20; i++)); do
			kill -0 "$EXP_PID" || break
			sleep 0.05
		done
		if kill -0 "$EXP_PID"; then
			tb_fail "export did not exit within ${TB_TIMEOUT}s of SIG${1:-TERM}"
			kill -KILL "$EXP_PID"
		fi
		wait "$EXP_PID"
		EXP_RC=$?
	} 2>/dev/null
	EXP_PID=
}

# prom_start SCRAPE_CONFIGS: a real Prometheus server in $TB_H on
# 127.0.0.1:9090 (any port will do inside the bed's own namespace) with a 1 s
# scrape and evaluation interval and the given scrape_configs entries (YAML,
# indented two spaces); returns once it is ready. Sets PROM (its URL) and
# PROM_PID; `targets` then puts /api/v1/targets into $TB_TMP/targets.json.
prom_start()
{
	PROM=http://127.0.0.1:9090
	mkdir -p "$TB_TMP/tsdb"
	printf 'global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\nscrape_configs:\n%s\n' \
		"$1" >"$TB_TMP/prometheus.yml"
	tb_bg "$TB_H" "$TB_TMP/prometheus.out" prometheus --config.file="$TB_TMP/prometheus.yml" \
		--storage.tsdb.path="$TB_TMP/tsdb" --web.listen-address=127.0.0.1:9090 --log.level=warn
	PROM_PID=$TB_BG_PID
	tb_wait_until 30 _prom_ready ||
		tb_fatal "prometheus not ready within 30 s: $(tail -c 400 "$TB_TMP/prometheus.out.err")"
}
_prom_ready() { [[ $(nscurl -o /dev/null -w '%{http_code}' "$PROM/-/ready" 2>/dev/null) == 200 ]]; }
targets() { nscurl "$PROM/api/v1/targets" >"$TB_TMP/targets.json" 2>/dev/null; }

# ---- cases -----------------------------------------------------------------
#
# A test made of cases defines case_NAME functions and ends with
# `tb_run_cases "DEFAULT CASES" "$@"`. Each case runs in a subshell of its
# own, so a tb_fatal, skip or unexpected exit ends that case only; what the
# case made (namespaces, background processes, the guest it started) is
# removed when it ends, whatever ended it, and what the test made before
# the cases stays for the next. Each prints one line,
#   PASS  test_x:NAME (3s)   FAIL  test_x:NAME (exit 1, 3s)   SKIP  test_x:NAME reason
# which run.sh counts. `bash test_x.sh NAME...` or `run.sh x:NAME,NAME` runs
# chosen cases.

# tb_run_cases "DEFAULT CASES" [CASE...]: run case_NAME for each name given
# (or else for each default), then sum up like tb_finish: exit 0 when no
# case failed and one passed, 77 when every case skipped, 1 otherwise.
tb_run_cases()
{
	local defaults=$1 c rc secs start passed=0 failed=0 skipped=0 counts
	shift
	# shellcheck disable=SC2086 # the defaults are words, split on purpose
	(($# > 0)) || set -- $defaults
	for c in "$@"; do
		if ! declare -F "case_$c" >/dev/null; then
			printf '  FAIL no case "%s"; the cases: %s\n' "$c" "$(_tb_case_names)" >&2
			printf 'FAIL  %s:%s (no such case)\n' "$TB_NAME" "$c" >&2
			TB_FAILED=$((TB_FAILED + 1))
			failed=$((failed + 1))
			continue
		fi
		tb_log "case $c"
		start=$SECONDS
		(_tb_case "$c")
		rc=$?
		secs=$((SECONDS - start))
		counts=(0 0)
		[[ -s $TB_TMP/case-$c.counts ]] && read -r -a counts <"$TB_TMP/case-$c.counts"
		TB_PASSED=$((TB_PASSED + counts[0]))
		TB_FAILED=$((TB_FAILED + counts[1]))
		case $rc in
		0)
			passed=$((passed + 1))
			printf 'PASS  %s:%s (%ds)\n' "$TB_NAME" "$c" "$secs" >&2
			;;
		77)
			skipped=$((skipped + 1))
			printf 'SKIP  %s:%s %s\n' "$TB_NAME" "$c" \
				"$(cat "$TB_TMP/case-$c.skip" 2>/dev/null || echo '(no reason given)')" >&2
			;;
		*)
			failed=$((failed + 1))
			printf 'FAIL  %s:%s (exit %d, %ds)\n' "$TB_NAME" "$c" "$rc" "$secs" >&2
			;;
		esac
	done
	_TB_CASES_DONE=1
	printf '%s: %d checks passed, %d failed; cases: %d passed, %d failed, %d skipped\n' \
		"$TB_NAME" "$TB_PASSED" "$TB_FAILED" "$passed" "$failed" "$skipped" >&2
	((failed == 0 && passed > 0)) && exit 0
	if ((failed == 0 && skipped > 0)); then
		printf 'SKIP: every case skipped (%d)\n' "$skipped" >&2
		exit 77
	fi
	exit 1
}

_tb_case_names() { declare -F | sed -n 's/^declare -f case_//p' | tr '\n' ' '; }

# In the case's subshell: its own counts, its own cleanup.
_tb_case()
{
	TB_CASE=$1
	TB_PASSED=0
	TB_FAILED=0
	_TB_CASE_PIDS=${#TB_PIDS[@]}
	_TB_CASE_NETNS=${#TB_NETNS[@]}
	_TB_CASE_GUEST=$TB_GUEST_PID
	touch "$TB_TMP/case-$TB_CASE.mark"
	trap _tb_case_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	"case_$TB_CASE"
	exit 0
}

# The case's status: 77 skipped; failed on a non-zero exit, a failed check
# or no check at all; else passed. Then undo what the case made.
_tb_case_cleanup()
{
	local rc=$? i
	trap - EXIT INT TERM
	if ((rc == 0 && TB_FAILED > 0)); then
		rc=1
	elif ((rc == 0 && TB_PASSED == 0)); then
		printf '%s:%s: no checks ran\n' "$TB_NAME" "$TB_CASE" >&2
		rc=1
	fi
	printf '%d %d\n' "$TB_PASSED" "$TB_FAILED" >"$TB_TMP/case-$TB_CASE.counts"
	# A guest started in the case is the case's: its FIFO goes with it.
	if [[ -n $TB_GUEST_PID && $TB_GUEST_PID != "$_TB_CASE_GUEST" && -n $TB_GUEST_FD ]]; then
		exec {TB_GUEST_FD}>&- 2>/dev/null
	fi
	for ((i = _TB_CASE_PIDS; i < ${#TB_PIDS[@]}; i++)); do
		tb_kill "${TB_PIDS[i]}" TERM
	done
	for ((i = _TB_CASE_NETNS; i < ${#TB_NETNS[@]}; i++)); do
		ip netns del "${TB_NETNS[i]}" 2>/dev/null
	done
	if ((rc != 0 && rc != 77)) && [[ -z ${VNO_KEEP:-} ]]; then
		_tb_dump_logs "$TB_TMP/case-$TB_CASE.mark"
	fi
	exit "$rc"
}

# curl inside the bed's host namespace (the exporter listens there).
nscurl() { ip netns exec "$TB_H" curl -sS --max-time 5 "$@"; }
# The HTTP status of a request.
code() { nscurl -o /dev/null -w '%{http_code}' "$@" 2>/dev/null; }
