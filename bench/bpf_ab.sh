#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# bench/bpf_ab.sh: what a change to the BPF programs costs or saves, per
# program run, with both builds attached at once. Root.
#
#   bench/bpf_ab.sh [--pairs N] [--secs S] [--mode record|export]
#                   [--args "ARGS"] BIN_A BIN_B
#
# This machine's speed drifts by a third between runs minutes apart, so
# builds measured one after the other (bench.sh's rounds) cannot tell apart
# a few tens of ns a hop. Here two instances, one of each build, watch the
# same veth device (namespaces made here and removed on every exit) under
# one iperf3 TCP run, and kernel.bpf_stats_enabled counts each program's
# runs and run time: both see the same frames on the same machine at the
# same moment. The program attached first runs first on every frame and
# pays the cache misses of reading the skb (~50-150 ns a run here), so each
# pair runs twice, A first and then B first. For each program that gives
#   d1 = A(first) - B(second),  d2 = B(first) - A(second)
#   effect = (d1 - d2) / 2 = what B costs less than A, the order's share
#   cancelled,
# printed per pair and as the median over pairs. bpf_stats itself adds
# ~40 ns a run, the same to both. Exit status: 0 when it ran, 1 when it
# could not, 2 on bad usage.
set -u
set -o pipefail

PAIRS=3
SECS=4
MODE=record
ARGS=""
NS_C=vno-ab-c
NS_S=vno-ab-s
PORT=5231

usage()
{
	sed -n '6,8p' "${BASH_SOURCE[0]}" | sed 's/^# *//' >&2
	exit 2
}
die() { printf 'bpf_ab.sh: %s\n' "$*" >&2; exit 1; }

while (($#)); do
	case $1 in
	--pairs) PAIRS=${2:-}; shift ;;
	--secs) SECS=${2:-}; shift ;;
	--mode) MODE=${2:-}; shift ;;
	--args) ARGS=${2:-}; shift ;;
	-h | --help) usage ;;
	-*) printf 'bpf_ab.sh: unknown option %s\n' "$1" >&2; usage ;;
	*) break ;;
	esac
	shift
done
(($# == 2)) || usage
A=$1 B=$2
[[ $PAIRS =~ ^[1-9][0-9]*$ && $SECS =~ ^[1-9][0-9]*$ ]] ||
	{ echo "bpf_ab.sh: --pairs and --secs take whole numbers above 0" >&2; exit 2; }
[[ $MODE == record || $MODE == export ]] || { echo "bpf_ab.sh: --mode is record or export" >&2; exit 2; }
((EUID == 0)) || die "needs root (BPF, namespaces)"
for t in iperf3 bpftool jq; do
	command -v "$t" >/dev/null || die "$t is not installed (make deps)"
done
for b in "$A" "$B"; do
	[[ -x $b ]] || die "$b: not an executable"
done

TMP=$(mktemp -d /tmp/vno-bpf-ab.XXXXXX) || die "cannot make a temporary directory"
STATS_WAS=$(sysctl -n kernel.bpf_stats_enabled 2>/dev/null) || die "kernel.bpf_stats_enabled is not there"
PIDS=()
MADE_NS=()
cleanup()
{
	trap - EXIT INT TERM
	for p in "${PIDS[@]}"; do kill -INT "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	for ns in "${MADE_NS[@]}"; do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null
		ip netns del "$ns" 2>/dev/null
	done
	sysctl -qw kernel.bpf_stats_enabled="$STATS_WAS" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

for ns in "$NS_C" "$NS_S"; do
	ip netns add "$ns" || die "cannot create the namespace $ns (left by another run? ip netns del $ns)"
	MADE_NS+=("$ns")
done
ip -n "$NS_C" link set lo up && ip -n "$NS_S" link set lo up &&
	ip -n "$NS_C" link add v0 type veth peer name v1 netns "$NS_S" &&
	ip -n "$NS_C" addr add 192.0.2.1/24 dev v0 && ip -n "$NS_S" addr add 192.0.2.2/24 dev v1 &&
	ip -n "$NS_C" link set v0 up && ip -n "$NS_S" link set v1 up || die "cannot make the veth pair"
sysctl -qw kernel.bpf_stats_enabled=1 || die "cannot enable kernel.bpf_stats_enabled"
ip netns exec "$NS_S" iperf3 -s -D -p "$PORT" -A 1 || die "iperf3 server did not start"

# start BIN OUT: the tracer in the client namespace, returned once ready.
start()
{
	local bin=$1 out=$2 i
	# shellcheck disable=SC2086 # ARGS are words for the tracer
	if [[ $MODE == record ]]; then
		ip netns exec "$NS_C" "$bin" record --json -q $ARGS -i v0 >"$out" 2>&1 &
	else
		ip netns exec "$NS_C" "$bin" export --json --listen 127.0.0.1:0 $ARGS -i v0 >"$out" 2>&1 &
	fi
	PIDS+=($!)
	for ((i = 0; i < 200; i++)); do
		grep -q '"type" *: *"ready"' "$out" && return 0
		kill -0 "$!" 2>/dev/null || die "$bin exited before ready: $(head -c 300 "$out")"
		sleep 0.05
	done
	die "$bin printed no ready line in 10 s"
}

# Program ids with their name, one per line: "ID NAME".
progs() { bpftool prog show --json | jq -r '.[] | "\(.id) \(.name)"' | sort; }

# run FIRST SECOND TAG: both attached, FIRST first; per program of each,
# "TAG first|second NAME NS_PER_RUN RUNS" into $TMP/runs.
run()
{
	local first=$1 second=$2 tag=$3 p0 p1 p2 who pid
	p0=$(progs)
	start "$first" "$TMP/first.out"
	p1=$(progs)
	start "$second" "$TMP/second.out"
	p2=$(progs)
	comm -13 <(echo "$p0") <(echo "$p1") >"$TMP/ids.first"
	comm -13 <(echo "$p1") <(echo "$p2") >"$TMP/ids.second"
	bpftool prog show --json >"$TMP/s0.json"
	ip netns exec "$NS_C" iperf3 -c 192.0.2.2 -p "$PORT" -t "$SECS" -A 0 -J >"$TMP/iperf.json" ||
		die "iperf3 failed: $(jq -r '.error // empty' "$TMP/iperf.json" 2>/dev/null)"
	bpftool prog show --json >"$TMP/s1.json"
	for pid in "${PIDS[@]}"; do kill -INT "$pid" 2>/dev/null; done
	for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null; done
	PIDS=()
	for who in first second; do
		while read -r id name; do
			jq -r --argjson id "$id" --arg who "$who" --arg tag "$tag" --arg name "$name" \
				--slurpfile a "$TMP/s0.json" '
				.[] | select(.id == $id) | . as $p
				| ([$a[0][] | select(.id == $id)][0] // {}) as $o
				| (($p.run_cnt // 0) - ($o.run_cnt // 0)) as $n
				| select($n > 0)
				| "\($tag) \($who) \($name) \((($p.run_time_ns // 0) - ($o.run_time_ns // 0)) / $n) \($n)"' \
				"$TMP/s1.json"
		done <"$TMP/ids.$who"
	done >>"$TMP/runs"
	printf '%s\n' "$(jq '.end.sum_received.bits_per_second / 1e9' "$TMP/iperf.json")" >>"$TMP/gbps"
}

echo "# bpf_ab: A=$A B=$B mode=$MODE args='$ARGS' pairs=$PAIRS secs=$SECS" \
	"kernel $(uname -r), $(nproc) CPUs, load $(cut -d' ' -f1 /proc/loadavg)"
: >"$TMP/runs"
for ((k = 1; k <= PAIRS; k++)); do
	run "$A" "$B" "a$k"
	run "$B" "$A" "b$k"
done

# Per program: d1 from run a (A first), d2 from run b (B first).
printf '%-14s %8s %8s %8s   %s\n' program "A ns" "B ns" "A-B ns" "A-B per pair"
awk '
	{ v[$1 " " $2 " " $3] = $4; names[$3] = 1; if (substr($1, 2) + 0 > n) n = substr($1, 2) + 0 }
	function median(a, m,   i, j, t) {
		for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
		return m % 2 ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
	}
	END {
		for (p in names) {
			m = 0; line = ""
			for (k = 1; k <= n; k++) {
				af = v["a" k " first " p]; bs = v["a" k " second " p]
				bf = v["b" k " first " p]; as = v["b" k " second " p]
				if (af == "" || bs == "" || bf == "" || as == "") continue
				m++
				e[m] = ((af - bs) - (bf - as)) / 2
				ta[m] = (af + as) / 2; tb[m] = (bf + bs) / 2
				line = line sprintf(" %.0f", e[m])
			}
			if (!m) continue
			printf "%-14s %8.0f %8.0f %8.0f  %s\n", p, median(ta, m), median(tb, m), median(e, m), line
		}
	}' "$TMP/runs" | sort
printf 'iperf3 Gbit/s per run: %s\n' "$(tr '\n' ' ' <"$TMP/gbps")"
