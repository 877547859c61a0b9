#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Slow and many clients cannot starve /metrics (all of them on the bed's
# loopback); each case on a bed and an exporter of its own, which exits 0
# on SIGTERM after:
#   deadline   a client that sends a header line every second is closed at
#              the request deadline, although it is never idle;
#   tricklers  500 trickling connections (reopened when closed) from five
#              addresses, more than the limit per address and, with `wrk
#              -c50` hammering /metrics from a sixth, more than the limit in
#              total: a scraper from its own address still gets 10 of 10
#              scrapes, each within 1 s; the trickling stops by itself; once
#              the load stops, the next scrape is served at once, and the
#              exporter's memory (VmRSS) is where it was: at most 4 MiB above
#              the warmed-up figure.
# Run one case alone: test_export_slow.sh CASE.
. "$(dirname "$0")/lib.sh"

tb_need_vno
tb_need_cmd wrk curl
TRICKLE=$TB_ROOT/.output/tools/trickle
[[ -x $TRICKLE ]] || skip "$TRICKLE is not built (make tools)"

# HTTP_DEADLINE_S in user/http.h.
DEADLINE=10
TRICKLERS=500
WRK_CONNS=50
RSS_SLACK_KB=$((4 * 1024))

rss_kb() { awk '$1 == "VmRSS:" { print $2 }' "/proc/$EXP_PID/status"; }
sockets() { find "/proc/$EXP_PID/fd" -lname 'socket:*' 2>/dev/null | wc -l; }

# slow_start: the bed and the exporter, warmed up.
slow_start()
{
	EXP=$TB_TMP/export.jsonl
	tb_up
	export_start "$EXP" -i tap0 -i up0 --json --listen 127.0.0.1:0 --stall-ms 0
	HP=${EXP_URL#http://}
	if grep -q 'reachable from other hosts' "$EXP.err"; then
		tb_fail "127.0.0.1: warned as reachable from other hosts"
	else
		tb_pass "127.0.0.1: no warning about other hosts"
	fi

	# Warm up: the first scrapes size the name cache, stdio and malloc arenas.
	for i in $(seq 1 50); do code "$EXP_URL/metrics" >/dev/null; done
	rss0=$(rss_kb)
	sock0=$(sockets)
	tb_log "after warm-up: VmRSS ${rss0} kB, $sock0 sockets"
}

slow_stop()
{
	export_stop TERM
	assert_eq "$EXP_RC" 0 "SIGTERM after the load: exit 0"
}

# ---- the deadline is for the whole request, not idle time -------------------------

case_deadline()
{
	slow_start
	T=$TB_TMP/deadline.json
	t0=$SECONDS
	ip netns exec "$TB_H" "$TRICKLE" --connect "$HP" --count 3 --interval-ms 1000 \
		--duration $((DEADLINE + 6)) >"$T" 2>"$T.err" || tb_fail "trickle: $(cat "$T.err")"
	tb_log "trickle, 3 connections, a line a second: $(cat "$T")"
	assert_jq "$T" '.[0] | .closed_by_peer == 3 and .open_at_end == 0' \
		"3 clients sending a header line every second: all 3 closed by the exporter"
	assert_jq "$T" ".[0].header_lines >= 3 * ($DEADLINE - 2)" \
		"  after sending for about ${DEADLINE} s (never idle long enough for an idle timeout)"
	slow_stop
}

# ---- 500 tricklers and wrk -c50 ------------------------------------------------------

# Addresses on the namespace's loopback: the tricklers 127.0.0.2-6, wrk
# 127.0.0.1 (its default), the scraper 127.0.0.10.
case_tricklers()
{
	slow_start
	LOAD=15
	SCRAPER=${VNO_SCRAPER_ADDR:-127.0.0.10}	# VNO_SCRAPER_ADDR=127.0.0.2: among the tricklers
	TPIDS=()
	for a in 2 3 4 5 6; do
		tb_bg "$TB_H" "$TB_TMP/trickle$a.json" "$TRICKLE" --connect "$HP" --source "127.0.0.$a" \
			--count $((TRICKLERS / 5)) --interval-ms 2000 --duration "$LOAD" --reconnect \
			--ready-file "$TB_TMP/trickle$a.ready"
		TPIDS+=("$TB_BG_PID")
	done
	_trickling() { local a; for a in 2 3 4 5 6; do [[ -e $TB_TMP/trickle$a.ready ]] || return 1; done; }
	tb_wait_until "$TB_TIMEOUT" _trickling ||
		tb_fatal "the tricklers did not connect: $(cat "$TB_TMP"/trickle*.json.err)"
	tb_bg "$TB_H" "$TB_TMP/wrk.txt" wrk -t 2 -c "$WRK_CONNS" -d "$((LOAD - 3))s" --timeout 5s \
		"$EXP_URL/metrics"
	WRK_PID=$TB_BG_PID
	_loaded() { (($(sockets) >= sock0 + WRK_CONNS)); }
	tb_wait_until "$TB_TIMEOUT" _loaded || tb_fail "the exporter never held $WRK_CONNS connections"
	tb_log "under load: $(($(sockets) - sock0)) connections held"
	_tricklers_alive() { local p; for p in "${TPIDS[@]}"; do kill -0 "$p" 2>/dev/null && return 0; done; return 1; }

	# Sample the RSS while loaded, to report the peak.
	(
		peak=0
		while _tricklers_alive; do
			r=$(rss_kb)
			((r > peak)) && peak=$r && echo "$peak" >"$TB_TMP/rss.peak"
			sleep 0.5
		done
	) &
	TB_PIDS+=("$!")

	served=0 max=0
	for i in $(seq 1 10); do
		read -r c t < <(nscurl --interface "$SCRAPER" -o "$TB_TMP/scrape.$i" \
			-w '%{http_code} %{time_total}\n' "$EXP_URL/metrics" 2>/dev/null || echo "000 5")
		if [[ $c == 200 ]] && awk -v t="$t" 'BEGIN { exit !(t <= 1.0) }' &&
			grep -q '^vnoffload_build_info' "$TB_TMP/scrape.$i"; then
			served=$((served + 1))
		else
			tb_log "scrape $i: HTTP $c in $t s"
		fi
		max=$(awk -v a="$max" -v b="$t" 'BEGIN { print (b > a ? b : a) }')
		sleep 0.2
	done
	_tricklers_alive || tb_fail "the tricklers ended before the scrapes did"
	assert_eq "$served/10" "10/10" \
		"$TRICKLERS trickling connections + wrk -c$WRK_CONNS: scrapes served within 1 s (slowest ${max} s)"

	# The load stops by itself: wrk after its duration, the tricklers after theirs.
	_stopped() { ! _tricklers_alive && ! kill -0 "$WRK_PID" 2>/dev/null; }
	tb_wait_until $((LOAD + TB_TIMEOUT)) _stopped || tb_fail "the load did not stop by itself"
	wait "${TPIDS[@]}" 2>/dev/null
	cat "$TB_TMP"/trickle?.json >"$TB_TMP/trickle.all"
	tb_log "tricklers: $(jq -sc '{opened: map(.opened) | add, closed_by_peer: map(.closed_by_peer) | add,
		header_lines: map(.header_lines) | add, max_open: map(.max_open) | add}' "$TB_TMP/trickle.all")"
	tb_log "wrk: $(grep -E 'requests in|Socket errors|Non-2xx' "$TB_TMP/wrk.txt" | tr '\n' ' ')"
	assert_jq "$TB_TMP/trickle.all" 'length == 5 and (map(.opened) | add) >= 500
		and (map(.closed_by_peer) | add) > 0' \
		"the exporter closed trickling connections to make room (the 5 tricklers ended by themselves)"

	read -r c t < <(nscurl --interface "$SCRAPER" -o /dev/null -w '%{http_code} %{time_total}\n' \
		"$EXP_URL/metrics" 2>/dev/null || echo "000 5")
	if [[ $c == 200 ]] && awk -v t="$t" 'BEGIN { exit !(t <= 1.0) }'; then
		tb_pass "after the load: /metrics served at once ($t s)"
	else
		tb_fail "after the load: HTTP $c in $t s"
	fi

	# Memory: once the connections are gone (the exporter then hands freed heap
	# back within a quarter second).
	_drained() { (($(sockets) <= sock0 + 2)); }
	tb_wait_until "$TB_TIMEOUT" _drained || tb_fail "connections left: $(($(sockets) - sock0))"
	_flat() { (($(rss_kb) <= rss0 + RSS_SLACK_KB / 2)); }
	tb_wait_until 3 _flat
	rss1=$(rss_kb)
	peak=$(cat "$TB_TMP/rss.peak" 2>/dev/null || echo "$rss1")
	if ((rss1 <= rss0 + RSS_SLACK_KB)); then
		tb_pass "memory flat: VmRSS ${rss0} -> ${rss1} kB (peak ${peak} kB, limit +${RSS_SLACK_KB} kB)"
	else
		tb_fail "memory grew: VmRSS ${rss0} -> ${rss1} kB (peak ${peak} kB, limit +${RSS_SLACK_KB} kB)"
	fi

	slow_stop
}

tb_run_cases "deadline tricklers" "$@"
