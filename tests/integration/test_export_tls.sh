#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# export --web.config.file: TLS and basic authentication in the exporter
# toolkit's format, and what --listen beyond loopback says.
#   bad_files  a bad web configuration file: one sentence naming the file
#              and the field, exit 2, nothing attached;
#   any_plain  --listen :0 without it: one warning line on stderr (reachable
#              from other hosts, suggests --web.config.file);
#   tls        with it (self-signed certificate from openssl, bcrypt hash):
#              curl over TLS gets 200 with the right credentials, 401 with
#              WWW-Authenticate without or with wrong ones, nothing over plain
#              HTTP; guessing passwords runs into 429 while the known pair is
#              still served;
#   prometheus a real Prometheus scraping over TLS with basic authentication:
#              its target is up (up = 1), and the same target with a wrong
#              password is down with a 401.
# Each case starts the exporter it needs; the namespace, certificate and
# configuration are made once. Run one case alone: test_export_tls.sh CASE.
. "$(dirname "$0")/lib.sh"

tb_need_root
tb_need_vno
tb_need_cmd curl openssl jq
command -v prometheus >/dev/null ||
	skip "prometheus is not installed (Debian package prometheus; make deps)"
BCRYPT=$TB_ROOT/.output/tools/bcrypt-hash
[[ -x $BCRYPT ]] || skip "$BCRYPT is not built (make tools)"

# The exporter alone in a namespace of its own (its loopback only).
tb_netns_add "$TB_H"

D=$TB_TMP/tls
mkdir -p "$D"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$D/server.key" \
	-out "$D/server.crt" -days 1 -subj /CN=localhost \
	-addext subjectAltName=IP:127.0.0.1,DNS:localhost >"$D/openssl.log" 2>&1 ||
	tb_fatal "openssl could not make a certificate: $(tail -c 300 "$D/openssl.log")"
PASS=s3cret-$RANDOM
HASH=$("$BCRYPT" "$PASS" 10) || tb_fatal "bcrypt-hash failed"
cat >"$D/web.yml" <<EOF
# The exporter toolkit's web configuration.
tls_server_config:
  cert_file: server.crt
  key_file: server.key
basic_auth_users:
  prometheus: '$HASH'
EOF

# ---- bad files: refused before anything is attached -------------------------------------

bad()
{
	local name=$1 want=$2 out rc
	out=$(ip netns exec "$TB_H" "$VNO_BIN" export --listen 127.0.0.1:0 \
		--web.config.file "$D/$name" 2>&1 >/dev/null)
	rc=$?
	if ((rc == 2)) && [[ $out == *"$D/$name"* && $out == *"$want"* ]] &&
		(($(wc -l <<<"$out") == 1)); then
		tb_pass "$name: exit 2, '$out'"
	else
		tb_fail "$name: exit $rc, '$out' (want one line naming the file and '$want')"
	fi
}
case_bad_files()
{
	printf 'tls_server_config:\n  cert_file: server.crt\n  key_file: nokey.pem\n' >"$D/nokey.yml"
	bad nokey.yml tls_server_config.key_file
	printf 'basic_auth_users:\n  prometheus: plaintext\n' >"$D/plain.yml"
	bad plain.yml basic_auth_users.prometheus
	printf 'tls_server_config: [\n' >"$D/yaml.yml"
	bad yaml.yml "not valid YAML"
	printf 'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  client_ca_file: ca.crt\n' \
		>"$D/ca.yml"
	bad ca.yml tls_server_config.client_ca_file
	bad missing.yml "cannot read it"
}

# ---- every address, plain: one warning line ----------------------------------------------

case_any_plain()
{
	EXP=$TB_TMP/export-any.jsonl
	export_start "$EXP" --json --listen :0 --stall-ms 0
	warn=$(grep -c 'reachable from other hosts' "$EXP.err")
	if ((warn == 1)) && grep 'reachable from other hosts' "$EXP.err" | grep -q -- '--web.config.file'; then
		tb_pass "--listen :0: warned once: $(grep 'reachable' "$EXP.err")"
	else
		tb_fail "--listen :0: $warn warning lines: $(head -c 300 "$EXP.err")"
	fi
	export_stop TERM
	assert_eq "$EXP_RC" 0 "that exporter stops cleanly"
}

# ---- TLS and basic authentication --------------------------------------------------------

# tls_start: the exporter on every address with TLS and basic
# authentication; its URL in $URL.
tls_start()
{
	EXP=$TB_TMP/export.jsonl
	export_start "$EXP" --json --listen :0 --stall-ms 0 --web.config.file "$D/web.yml"
	PORT=$(jq -r 'select(.type == "ready") | .listen' "$EXP")
	PORT=${PORT##*:}
	URL=https://127.0.0.1:$PORT
}

tls_stop()
{
	export_stop TERM
	assert_eq "$EXP_RC" 0 "SIGTERM: exit 0"
}

tcurl() { nscurl --cacert "$D/server.crt" "$@"; }
status() { tcurl -o /dev/null -w '%{http_code}' "$@" 2>/dev/null; }

case_tls()
{
	tls_start
	assert_jq "$EXP" 'map(select(.type == "ready"))[0] | .tls and .basic_auth
		and (.metrics | startswith("https://"))' "ready line: https, TLS and basic authentication on"
	if grep 'reachable from other hosts' "$EXP.err" | grep -q 'TLS and basic authentication on'; then
		tb_pass "--listen :0 with TLS and authentication: said so ($(grep reachable "$EXP.err"))"
	else
		tb_fail "--listen :0 with TLS and authentication: $(head -c 300 "$EXP.err")"
	fi

	assert_eq "$(status -u "prometheus:$PASS" "$URL/metrics")" 200 "TLS, right credentials: 200"
	tcurl -u "prometheus:$PASS" -o "$TB_TMP/tls.prom" "$URL/metrics"
	assert_eq "$(grep -c '^vnoffload_build_info' "$TB_TMP/tls.prom")" 1 "  and the metrics"
	assert_eq "$(status "$URL/metrics")" 401 "TLS, no credentials: 401"
	hdr=$(tcurl -D - -o /dev/null "$URL/metrics" 2>/dev/null | tr -d '\r' | grep -i '^www-authenticate:')
	assert_eq "$hdr" 'WWW-Authenticate: Basic realm="vnoffload-trace"' "  with WWW-Authenticate: Basic"
	assert_eq "$(status -u "prometheus:wrong" "$URL/metrics")" 401 "TLS, wrong password: 401"
	assert_eq "$(status -u "nobody:$PASS" "$URL/metrics")" 401 "TLS, unknown user: 401"
	assert_eq "$(status -u "prometheus:$PASS" "$URL/")" 200 "TLS, right credentials: / is 200"
	assert_eq "$(status "$URL/")" 401 "TLS, no credentials: / is 401 too"
	plain=$(nscurl -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/metrics" 2>/dev/null)
	assert_eq "$plain" 000 "plain HTTP on the TLS port: no answer"

	# Guessing: checks run one at a time, never queued, within a budget;
	# otherwise 429 without a check. Twelve guesses at once: however fast the
	# machine, they cannot all be checked. The pair verified before is served
	# from the cache meanwhile.
	gp=()
	for i in $(seq 1 12); do
		status -u "prometheus:guess$i" "$URL/metrics" >"$TB_TMP/guess.$i" &
		gp+=("$!")
	done
	wait "${gp[@]}"
	codes=()
	for i in $(seq 1 12); do codes+=("$(cat "$TB_TMP/guess.$i")"); done
	tb_log "12 wrong passwords at once: ${codes[*]}"
	if [[ " ${codes[*]} " == *" 429 "* ]] && [[ " ${codes[*]} " == *" 401 "* ]] &&
		[[ " ${codes[*]} " != *" 200 "* ]]; then
		tb_pass "guessing passwords: 401, then 429 past the budget"
	else
		tb_fail "guessing passwords: ${codes[*]}"
	fi
	assert_eq "$(status -u "prometheus:$PASS" "$URL/metrics")" 200 "  meanwhile the right credentials: 200"
	tls_stop
}

# ---- a real Prometheus over TLS with basic authentication --------------------------------

case_prometheus()
{
	tls_start
	# The known pair checked once, as a scraper's first request would be: the
	# wrong-password job's checks then use up the budget, not its scrapes.
	status -u "prometheus:$PASS" "$URL/metrics" >/dev/null
	prom_start "  - job_name: vno-tls
    scheme: https
    tls_config:
      ca_file: $D/server.crt
    basic_auth:
      username: prometheus
      password: '$PASS'
    static_configs:
      - targets: ['127.0.0.1:$PORT']
  - job_name: vno-wrong-password
    scheme: https
    tls_config:
      ca_file: $D/server.crt
    basic_auth:
      username: prometheus
      password: 'not-it'
    static_configs:
      - targets: ['127.0.0.1:$PORT']"
	health() { jq -r --arg j "$1" '.data.activeTargets[] | select(.labels.job == $j) | .health' \
		"$TB_TMP/targets.json"; }
	_both_scraped() { targets && [[ $(health vno-tls) == up && $(health vno-wrong-password) == down ]]; }
	tb_wait_until 20 _both_scraped || tb_log "targets: $(jq -c '.data.activeTargets[] |
		{job: .labels.job, health, lastError}' "$TB_TMP/targets.json" 2>/dev/null)"
	assert_jq "$TB_TMP/targets.json" '.[0].data.activeTargets[] | select(.labels.job == "vno-tls")
		| .health == "up" and .lastError == "" and (.scrapeUrl | startswith("https://"))' \
		"prometheus over TLS with basic authentication: target up, no scrape error"
	assert_jq "$TB_TMP/targets.json" '.[0].data.activeTargets[] | select(.labels.job == "vno-wrong-password")
		| .health == "down" and (.lastError | test("401"))' \
		"prometheus with a wrong password: target down, 401"
	promq()
	{
		nscurl -G --data-urlencode "query=$1" "$PROM/api/v1/query" 2>/dev/null |
			jq -r 'if .status == "success" then (.data.result[0].value[1] // "none") else "error" end'
	}
	assert_eq "$(promq 'up{job="vno-tls"}')" 1 "PromQL up{job=\"vno-tls\"} = 1"
	assert_eq "$(promq 'vnoffload_build_info{job="vno-tls"}')" 1 "PromQL: the metrics came over TLS"

	tb_kill "$PROM_PID" TERM
	tls_stop
}

tb_run_cases "bad_files any_plain tls prometheus" "$@"
