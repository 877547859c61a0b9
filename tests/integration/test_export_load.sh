#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# /metrics under load, from the bed's loopback, while a guest sends; each
# case on a bed and an exporter of its own, which exits 0 on SIGTERM after:
#   wrk        wrk, 20 s, 8 connections: no socket error, no non-2xx answer;
#              the exporter's memory (VmRSS) stays flat: at most 8 MiB above
#              what it was after warming up;
#   idle       more idle connections from one address than its limit per
#              address: it holds no more than the limit, and serves /metrics
#              at once (the oldest idle connection makes room for the newcomer);
#   malformed  malformed requests get a 4xx or a closed connection, and
#              /metrics is served after each.
# Run one case alone: test_export_load.sh CASE.
. "$(dirname "$0")/lib.sh"

tb_need_vno
tb_need_cmd wrk curl

LOAD_SECONDS=${VNO_LOAD_SECONDS:-20}
RSS_SLACK_KB=$((8 * 1024))
# HTTP_MAX_CONNS_PER_ADDR in user/http.h.
MAX_CONNS=64


rss_kb() { awk '$1 == "VmRSS:" { print $2 }' "/proc/$EXP_PID/status"; }
sockets() { find "/proc/$EXP_PID/fd" -lname 'socket:*' 2>/dev/null | wc -l; }

# ---- start, with traffic ----------------------------------------------------------

# load_start: the bed, the exporter, a second guest sending; warmed up.
load_start()
{
	tb_up
	EXP=$TB_TMP/export.jsonl
	export_start "$EXP" -i tap0 -i up0 --json --listen 127.0.0.1:0 --stall-ms 0

	rm -f "$TB_TMP/guest1.ready"
	tb_bg "$TB_H" "$TB_TMP/guest1.out" "$VNO_GUEST" --tap tap1 --bridge br0 \
		--src-mac 02:00:5e:00:53:09 --dst-mac "$TB_PEER_MAC" --src-ip 192.0.2.9 \
		--dst-ip "$TB_PEER4" --dport "$TB_UDP_PORT" --ready-file "$TB_TMP/guest1.ready" \
		--drain --quiet --count 0 --interval-us 5000 \
		tcp4-tso:segs=4:mss=1448 udp4-uso:segs=3:mss=1200 tcp4-csum
	GUEST1=$TB_BG_PID
	tb_wait_until "$TB_TIMEOUT" test -e "$TB_TMP/guest1.ready" ||
		tb_fatal "second guest did not start: $(cat "$TB_TMP/guest1.out.err")"

	# Warm up: the first scrapes size the name cache, stdio and malloc arenas.
	for i in $(seq 1 50); do code "$EXP_URL/metrics" >/dev/null; done
	rss0=$(rss_kb)
	sock0=$(sockets)
	tb_log "after warm-up: VmRSS ${rss0} kB, $sock0 sockets"
}

# load_stop: the guest stopped, the exporter exits 0 on SIGTERM.
load_stop()
{
	tb_kill "$GUEST1" TERM
	kill -TERM "$EXP_PID"
	for ((i = 0; i < TB_TIMEOUT * 20; i++)); do
		kill -0 "$EXP_PID" 2>/dev/null || break
		sleep 0.05
	done
	wait "$EXP_PID"
	assert_eq "$?" 0 "SIGTERM after the load: exit 0"
}

# ---- wrk ------------------------------------------------------------------------------

case_wrk()
{
	load_start
	WRK=$TB_TMP/wrk.txt
	# Sample the RSS while wrk runs, to report the peak as well.
	(
		peak=0
		while kill -0 "$EXP_PID" 2>/dev/null && [[ ! -e $TB_TMP/wrk.done ]]; do
			r=$(rss_kb)
			((r > peak)) && peak=$r && echo "$peak" >"$TB_TMP/rss.peak"
			sleep 0.5
		done
	) &
	SAMPLER=$!
	TB_PIDS+=("$SAMPLER")
	ip netns exec "$TB_H" wrk -t 2 -c 8 -d "${LOAD_SECONDS}s" --timeout 5s --latency \
		"$EXP_URL/metrics" >"$WRK" 2>&1 || tb_fail "wrk failed: $(tail -c 300 "$WRK")"
	touch "$TB_TMP/wrk.done"
	wait "$SAMPLER" 2>/dev/null
	sed 's/^/# wrk: /' "$WRK" >&2

	reqs=$(awk '/requests in/ { print $1 }' "$WRK")
	rps=$(awk '/^Requests\/sec:/ { print $2 }' "$WRK")
	non2xx=$(awk '/Non-2xx or 3xx responses:/ { print $NF }' "$WRK")
	sockerr=$(grep -o 'Socket errors:.*' "$WRK")
	if [[ $reqs =~ ^[0-9]+$ ]] && ((reqs > 0)); then
		tb_pass "wrk: $reqs requests in ${LOAD_SECONDS} s, $rps requests/s"
	else
		tb_fail "wrk made no requests: $(tail -c 300 "$WRK")"
	fi
	assert_eq "${non2xx:-0}" 0 "wrk: no non-2xx answer"
	assert_eq "${sockerr:-none}" none "wrk: no socket error (connect, read, write, timeout)"

	rss1=$(rss_kb)
	peak=$(cat "$TB_TMP/rss.peak" 2>/dev/null || echo "$rss1")
	tb_log "VmRSS: ${rss0} kB before, ${peak} kB peak, ${rss1} kB after"
	if ((rss1 <= rss0 + RSS_SLACK_KB)); then
		tb_pass "memory flat: VmRSS ${rss0} -> ${rss1} kB (peak ${peak} kB, limit +${RSS_SLACK_KB} kB)"
	else
		tb_fail "memory grew: VmRSS ${rss0} -> ${rss1} kB (limit +${RSS_SLACK_KB} kB)"
	fi
	assert_eq "$(code "$EXP_URL/metrics")" 200 "after the load: /metrics served"
	# The exporter's counters kept counting under load.
	nscurl "$EXP_URL/metrics" >"$TB_TMP/after.prom"
	if command -v promtool >/dev/null; then
		if promtool check metrics <"$TB_TMP/after.prom" >/dev/null 2>&1; then
			tb_pass "after the load: promtool check metrics passes"
		else
			tb_fail "after the load: promtool check metrics fails"
		fi
	fi
	load_stop
}

# ---- more idle connections than the limit per address ------------------------------

case_idle()
{
	load_start
	HP=${EXP_URL#http://}
	# Each holds an open connection that never sends a byte.
	idle=()
	for i in $(seq 1 $((MAX_CONNS + 8))); do
		# shellcheck disable=SC2016 # expanded by the inner bash
		ip netns exec "$TB_H" bash -c 'exec 3<>"/dev/tcp/${1%:*}/${1##*:}" && sleep 30' _ "$HP" \
			2>/dev/null &
		idle+=("$!")
		TB_PIDS+=("$!")
	done
	sleep 1
	held=$(($(sockets) - sock0))
	if ((held <= MAX_CONNS)); then
		tb_pass "$((MAX_CONNS + 8)) idle connections: the exporter holds $held (limit $MAX_CONNS)"
	else
		tb_fail "$((MAX_CONNS + 8)) idle connections: the exporter holds $held sockets, limit $MAX_CONNS"
	fi
	for i in 1 2 3; do
		assert_eq "$(code "$EXP_URL/metrics")" 200 "with the idle connections open, scrape $i served"
	done
	for p in "${idle[@]}"; do kill "$p" 2>/dev/null; done
	wait "${idle[@]}" 2>/dev/null
	load_stop
}

# ---- malformed requests ------------------------------------------------------------

# raw BYTES: send them, print the status line the exporter answers (or "").
raw()
{
	# shellcheck disable=SC2016 # expanded by the inner bash
	ip netns exec "$TB_H" bash -c 'exec 3<>"/dev/tcp/${1%:*}/${1##*:}" || exit 1
		printf "%b" "$2" >&3; timeout 5 head -n 1 <&3 | tr -d "\r"
		[[ ${PIPESTATUS[0]} != 124 ]] || echo "no answer within 5 s"' _ "$HP" "$1"
}
case_malformed()
{
	load_start
	HP=${EXP_URL#http://}
	big=$(head -c 65536 /dev/zero | tr '\0' a)
	for req in 'garbage\r\n\r\n' '\x16\x03\x01\x02\r\n\r\n' \
		"GET /metrics HTTP/1.1\\r\\nHost: x\\r\\nX-Big: $big\\r\\n\\r\\n" \
		"GET /$big HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n" 'POST /metrics HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello'; do
		status=$(raw "$req")
		what=$(printf '%.30s' "$req")
		if [[ -z $status || $status =~ ^HTTP/1\.[01]\ 4[0-9][0-9] ]]; then
			tb_pass "malformed '$what': ${status:-connection closed}"
		else
			tb_fail "malformed '$what': answered '$status'"
		fi
		assert_eq "$(code "$EXP_URL/metrics")" 200 "  and /metrics still served"
	done
	load_stop
}

tb_run_cases "wrk idle malformed" "$@"
