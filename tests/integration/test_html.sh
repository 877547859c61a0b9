#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# The HTML page (report --html, record --html) as a person sees it: rendered
# by headless Chromium, its DOM read back (--dump-dom) and checked, its
# screenshot kept in $VNO_HTML_OUT (default .output/test-html/) so a layout
# that fails can be looked at.
#   page     a capture made on the bed with a planted suspect (a baseline of
#            TSO frames, then a burst of USO frames with a 48-byte gso_size)
#            and a kernel-log hang: one timeline SVG per hang, the suspect's
#            name, the remedy command, no URL to fetch in any src or href;
#            record --html wrote the same hang and suspect when it ended
#   nohang   a capture without a hang: the page says so and still has the
#            devices' pictures
#   cut      the capture cut in the middle: report --html exits 3 as report
#            does, and the page says where the capture was cut
#   badpath  record --html into a directory that does not exist: one
#            sentence and exit 1 before anything is attached
# Run one case alone: test_html.sh CASE.
. "$(dirname "$0")/lib.sh"

tb_need_vno
tb_need_cmd chromium jq python3
[[ -w /dev/kmsg ]] || skip "cannot write /dev/kmsg to plant a hang line"

HTML_OUT=${VNO_HTML_OUT:-$TB_ROOT/.output/test-html}
mkdir -p "$HTML_OUT" || tb_fatal "cannot make $HTML_OUT"
CAP=$TB_TMP/bed.pcapng.gz
REC=$TB_TMP/record.jsonl

# The capture with the planted suspect, made once per run by the first
# case that needs it.
make_capture()
{
	[[ -e $TB_TMP/capture.done ]] && return 0
	tb_up
	vno_record_start "$REC" -- -i tap0 -i up0 --json --stall-ms 0 -w "$CAP" \
		--html "$TB_TMP/record.html"
	local base=() burst=() i
	for i in $(seq 1 30); do base+=("tcp4-tso:segs=10:mss=1448:sport=$((47000 + i))"); done
	for i in $(seq 1 10); do burst+=("udp4-uso:segs=20:mss=48:sport=$((47100 + i))"); done
	tb_plant "${base[@]}"
	tb_plant "${burst[@]}"
	tb_wait_jq "$REC" '[.[] | select(.type == "frame" and .hop == "xmit" and .dev == "up0"
		and .sport > 47100)] | length == 10' || tb_fail "the burst reached up0's xmit"
	echo "<3>e1000e 0000:00:19.0 up0: Detected Hardware Unit Hang: <script>x</script>" >/dev/kmsg
	tb_wait_jq "$REC" 'any(.type == "hang")' || tb_fail "the hang was reported"
	vno_record_stop INT
	assert_eq "$VNO_REC_RC" 0 "record -w --html exits 0"
	touch "$TB_TMP/capture.done"
}

# render NAME PAGE: Chromium's DOM of PAGE into $TB_TMP/NAME.dom and its
# screenshot into $HTML_OUT/NAME.png (kept, with a copy of the page).
render()
{
	local name=$1 page=$2 prof=$TB_TMP/chromium-$1
	cp "$page" "$HTML_OUT/$name.html"
	timeout 60 chromium --headless --no-sandbox --disable-gpu --user-data-dir="$prof" \
		--dump-dom "file://$page" >"$TB_TMP/$name.dom" 2>"$TB_TMP/$name.chromium.err"
	assert_eq "$?" 0 "chromium renders the $name page ($(grep -v dbus "$TB_TMP/$name.chromium.err" | head -c 200))"
	timeout 60 chromium --headless --no-sandbox --disable-gpu --user-data-dir="$prof" \
		--hide-scrollbars --window-size=1200,2600 --screenshot="$HTML_OUT/$name.png" \
		"file://$page" >/dev/null 2>>"$TB_TMP/$name.chromium.err"
	[[ -s $HTML_OUT/$name.png ]] && tb_pass "screenshot kept: $HTML_OUT/$name.png" ||
		tb_fail "chromium wrote the screenshot $HTML_OUT/$name.png"
	tb_log "$name: page and screenshot in $HTML_OUT"
}

# dom_facts NAME: what the DOM holds, as one JSON object: timeline SVGs,
# every src/href value, the text of <pre> blocks, the whole text, script
# elements.
dom_facts()
{
	python3 - "$TB_TMP/$1.dom" >"$TB_TMP/$1.facts.json" <<'EOF'
import html.parser, json, sys
class P(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.f = {"timelines": 0, "svgs": 0, "urls": [], "pre": [], "scripts": 0, "text": ""}
        self.in_pre = False
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "svg":
            self.f["svgs"] += 1
            if "tl" in (a.get("class") or "").split():
                self.f["timelines"] += 1
        if tag == "script":
            self.f["scripts"] += 1
        if tag == "pre":
            self.in_pre = True
            self.f["pre"].append("")
        for k, v in attrs:
            if k in ("src", "href", "xlink:href", "srcset", "action", "data"):
                self.f["urls"].append(v or "")
    def handle_endtag(self, tag):
        if tag == "pre":
            self.in_pre = False
    def handle_data(self, d):
        self.f["text"] += d
        if self.in_pre:
            self.f["pre"][-1] += d
p = P()
p.feed(open(sys.argv[1], encoding="utf-8").read())
print(json.dumps(p.f))
EOF
	assert_eq "$?" 0 "the $1 DOM parses"
}

facts() { jq -r "$2" "$TB_TMP/$1.facts.json"; }

case_page()
{
	make_capture
	"$VNO_BIN" report --json "$CAP" >"$TB_TMP/report.jsonl" 2>/dev/null
	"$VNO_BIN" report --html "$TB_TMP/report.html" "$CAP" >/dev/null 2>"$TB_TMP/report.err"
	assert_eq "$?" 0 "report --html exits 0 ($(head -c 200 "$TB_TMP/report.err"))"
	local size hangs suspect host
	size=$(stat -c %s "$TB_TMP/report.html")
	((size > 0 && size <= 1048576)) && tb_pass "the page is $size bytes (<= 1 MiB)" ||
		tb_fail "the page is $size bytes, not within 1 MiB"
	hangs=$(jq -s 'map(select(.type == "hang")) | length' "$TB_TMP/report.jsonl")
	suspect=$(jq -r -s 'map(select(.type == "hang" and .dev == "up0"))[0].suspects[0].value // ""' \
		"$TB_TMP/report.jsonl")
	host=$(jq -r -s 'map(select(.type == "hang" and .dev == "up0"))[0].remedies.host // ""' \
		"$TB_TMP/report.jsonl")
	assert_ne "$hangs" 0 "report --json diagnosed the hang"
	[[ $suspect =~ udp_l4|gso_size_tiny|^1-63$ ]] && tb_pass "the planted burst is the top suspect ($suspect)" ||
		tb_fail "the planted burst is the top suspect (got '$suspect')"
	assert_ne "$host" "" "a host remedy command is named"

	render report "$TB_TMP/report.html"
	dom_facts report
	assert_eq "$(facts report .timelines)" "$hangs" "one timeline SVG per hang"
	assert_eq "$(facts report '.urls | map(select(startswith("#") | not)) | length')" 0 \
		"no src/href but in-page anchors ($(facts report '.urls | join(" ")' | head -c 200))"
	assert_eq "$(facts report .scripts)" 0 "no script element, not even from the kernel log's text"
	assert_eq "$(jq --arg s "$suspect" '.text | contains($s)' "$TB_TMP/report.facts.json")" true \
		"the page names the suspect $suspect"
	assert_eq "$(jq --arg s "$host" '.pre | index($s) != null' "$TB_TMP/report.facts.json")" true \
		"the host remedy is a <pre> block of its own: $host"
	assert_eq "$(facts report '.text | contains("tap0")')" true "the suspect's origin, tap0, is named"
	assert_eq "$(facts report '.text | contains("Detected Hardware Unit Hang: <script>x</script>")')" true \
		"the kernel log line is shown as text, escaped"
	assert_eq "$(facts report '.text | (contains("Session") and contains("net_dev_start_xmit"))')" true \
		"the session: hooks used"
	assert_eq "$(facts report '.text | (contains("gso_size") and contains("ip_summed") and contains("drops by reason"))')" \
		true "the per-device pictures"

	# What became of up0's frames, as the summary counts them.
	local sum rel
	sum=$(jq -c -s 'map(select(.type == "summary"))[-1].devices' "$TB_TMP/report.jsonl")
	rel=$(jq -r '(map(select(.dev == "up0" and .hop == "xmit"))[0]) as $x
		| (map(select(.dev == "up0" and .hop == "done"))[0].frames // 0) as $d
		| if $x.released_unseen == null then "" else
		"released after xmit: \($d) seen (done), \($x.released_unseen) unseen (absorbed or freed without a tracepoint), \($x.in_flight_at_end) in flight at the end" end' <<<"$sum")
	assert_ne "$rel" "" "the summary knows what became of up0's frames"
	assert_eq "$(jq --arg s "$rel" '.text | contains($s)' "$TB_TMP/report.facts.json")" true \
		"the page says the same: $rel"
	assert_eq "$(facts report '.text | test("hop xmit, whose frames are [0-9.]+ % GSO and [0-9.]+ % checksum offload")')" \
		true "the page gives each device's GSO and checksum-offload shares"

	# record --html wrote its page when the recording ended.
	[[ -s $TB_TMP/record.html ]] && tb_pass "record --html wrote the page" ||
		{ tb_fail "record --html wrote the page"; return; }
	render record "$TB_TMP/record.html"
	dom_facts record
	assert_eq "$(facts record .timelines)" \
		"$(jq -s 'map(select(.type == "hang")) | length' "$REC")" "record's page: one timeline per hang"
	assert_eq "$(jq --arg s "$suspect" '.text | contains($s)' "$TB_TMP/record.facts.json")" true \
		"record's page names the suspect $suspect"
}

case_nohang()
{
	tb_up
	local cap=$TB_TMP/nohang.pcapng.gz rec=$TB_TMP/nohang.jsonl
	vno_record_start "$rec" -- -i tap0 -i up0 --json --stall-ms 0 -w "$cap"
	tb_plant tcp4-tso:segs=10:mss=1448:sport=47201 udp4-uso:segs=5:mss=1200:sport=47202
	tb_wait_jq "$rec" '[.[] | select(.type == "frame" and .hop == "xmit" and .dev == "up0"
		and .sport > 47200)] | length == 2' || tb_fail "the planted frames reached up0's xmit"
	vno_record_stop INT
	"$VNO_BIN" report --html "$TB_TMP/nohang.html" "$cap" >/dev/null 2>"$TB_TMP/nohang.err"
	assert_eq "$?" 0 "report --html of a capture without a hang exits 0"
	render nohang "$TB_TMP/nohang.html"
	dom_facts nohang
	assert_eq "$(facts nohang .timelines)" 0 "no timeline"
	assert_eq "$(facts nohang '.text | contains("No hang in this capture")')" true "the page says there was no hang"
	(($(facts nohang .svgs) >= 2)) && tb_pass "the devices' pictures are there ($(facts nohang .svgs) SVGs)" ||
		tb_fail "the devices' pictures are there"
}

case_cut()
{
	make_capture
	local sz
	sz=$(stat -c %s "$CAP")
	head -c $((sz / 2)) "$CAP" >"$TB_TMP/cut.pcapng.gz"
	"$VNO_BIN" report "$TB_TMP/cut.pcapng.gz" >/dev/null 2>"$TB_TMP/cut-text.err"
	local want=$?
	"$VNO_BIN" report --html "$TB_TMP/cut.html" "$TB_TMP/cut.pcapng.gz" >/dev/null 2>"$TB_TMP/cut.err"
	assert_eq "$?" "$want" "report --html of a cut capture exits as report does ($want)"
	assert_eq "$want" 3 "that is 3, cut short"
	render cut "$TB_TMP/cut.html"
	dom_facts cut
	assert_eq "$(facts cut '.text | test("truncated: read [0-9]+ records, stopped at offset [0-9]+")')" true \
		"the page says where the capture was cut"
}

case_badpath()
{
	local bad=$TB_TMP/no-such-dir/x.html
	timeout 30 "$VNO_BIN" record -i lo -d 2 --html "$bad" >"$TB_TMP/badpath.out" 2>"$TB_TMP/badpath.err"
	assert_eq "$?" 1 "record --html into a missing directory exits 1"
	assert_eq "$(cat "$TB_TMP/badpath.err")" \
		"vnoffload-trace: cannot write $bad: No such file or directory" "one sentence says why"
	assert_eq "$(grep -c 'watching' "$TB_TMP/badpath.out")" 0 "it never got ready (no 'watching' line)"
}

tb_run_cases "page nohang cut badpath" "$@"
