#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# What contrib/ ships for Prometheus and Grafana stays true:
#   rules      the alerting rules pass `promtool check rules` and their unit
#              tests (`promtool test rules`: each alert fires when it should,
#              not otherwise);
#   dashboard  every query of the Grafana dashboard is valid PromQL (checked
#              as a recording rule, with the dashboard's variables filled in);
#   names      every vnoffload_* metric the rules and the dashboard name is
#              one that a running exporter serves: `export` in the test bed,
#              frames planted that make every family appear (super-frames, a
#              tiny-gso_size anomaly, drops, a manual hang), then one scrape.
# Run one case alone: test_contrib.sh CASE.
. "$(dirname "$0")/lib.sh"

tb_need_vno
tb_need_cmd promtool jq curl
RULES=$TB_ROOT/contrib/prometheus/vnoffload-trace.rules.yml
DASH=$TB_ROOT/contrib/grafana/vnoffload-trace.json

case_rules()
{
	if out=$(promtool check rules "$RULES" 2>&1); then
		tb_pass "promtool check rules: $(grep -o '[0-9]* rules found' <<<"$out")"
	else
		tb_fail "promtool check rules: $(tail -c 400 <<<"$out")"
	fi
	if out=$(cd "$(dirname "$RULES")" && promtool test rules vnoffload-trace.rules.test.yml 2>&1); then
		tb_pass "promtool test rules: every alert fires when it should and only then"
	else
		tb_fail "promtool test rules: $(tail -c 600 <<<"$out")"
	fi
}

# The dashboard's queries as recording rules: promtool parses each one.
case_dashboard()
{
	if ! jq -e '.panels | length > 0 and all(.targets | length > 0)' "$DASH" >/dev/null; then
		tb_fail "$DASH: panels without queries, or not JSON"
	fi
	{
		echo "groups: [{name: dashboard, rules: ["
		jq -r '[.panels[].targets[].expr] | to_entries[]
			| "{record: \"dashboard:q\(.key)\", expr: \(.value | gsub("\\$__rate_interval"; "5m")
				| gsub("\\$(instance|device)"; ".*") | tojson)},"' "$DASH"
		echo "]}]"
	} >"$TB_TMP/dashboard.rules.yml"
	n_q=$(jq '[.panels[].targets[]] | length' "$DASH")
	if out=$(promtool check rules "$TB_TMP/dashboard.rules.yml" 2>&1); then
		tb_pass "the dashboard's $n_q queries are valid PromQL"
	else
		tb_fail "the dashboard's queries: $(tail -c 600 <<<"$out")"
	fi
}

# ---- the names against a real exporter ------------------------------------------

scraped()
{
	nscurl -o "$TB_TMP/scrape" "$EXP_URL/metrics" &&
		grep -q '^vnoffload_drops_total{' "$TB_TMP/scrape" &&
		grep -q '^vnoffload_anomalies_total{device="up0",rule="gso_size_tiny"} [1-9]' "$TB_TMP/scrape"
}
# The vnoffload_* names a file uses (histograms as their base name).
named()
{
	grep -o 'vnoffload_[a-z_]*' "$@" | sed 's/^[^:]*://' |
		sed -E 's/_(bucket|sum|count)$//' | sort -u
}

case_names()
{
	tb_up
	EXP=$TB_TMP/export.jsonl
	export_start "$EXP" -i tap0 -i up0 --json --stall-ms 0 --listen 127.0.0.1:0
	tb_plant tcp4-tso:segs=4:mss=1448:sport=47001 udp4-uso:segs=20:mss=48:sport=47002 \
		tcp4-csum:sport=47003
	kill -USR1 "$EXP_PID"
	tb_wait_until "$TB_TIMEOUT" _tb_jq_true "$EXP" 'map(select(.type == "hang")) | length >= 2' ||
		tb_fail "SIGUSR1: a diagnosis per device"
	tb_wait_until "$TB_TIMEOUT" scraped || tb_fail "a scrape with drops and anomalies"
	export_stop TERM

	# Families the exporter served (histograms as their base name).
	served=$(sed -n 's/^# TYPE \(vnoffload_[a-z_]*\) .*/\1/p' "$TB_TMP/scrape" | sort -u)
	tb_log "served: $(tr '\n' ' ' <<<"$served")"
	for f in "$RULES" "$DASH"; do
		missing=$(comm -23 <(named "$f") <(echo "$served"))
		used=$(named "$f" | wc -l)
		if [[ -z $missing ]]; then
			tb_pass "$(basename "$f"): its $used metric names are all served"
		else
			tb_fail "$(basename "$f") names metrics the exporter does not serve: $(tr '\n' ' ' <<<"$missing")"
		fi
	done
}

tb_run_cases "rules dashboard names" "$@"
