#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Outside strings are data, never terminal control (issue 14, part 1). A
# real child names itself "\x1b]0;p\x07\r\x1b[Kok\xff" (terminal title, bell,
# carriage return, erase line, a byte that is not UTF-8) and writes a
# guarded map, pinned at a path holding such bytes too, through the raw
# bpf() syscall. safemapctl audit's text holds no ESC, BEL or CR byte and
# still shows the report, escaped; its JSON lines are strict UTF-8 (Python)
# and parse (jq) back to the writer's name; metrics --listen --audit the
# same, with a scrape promtool accepts; error messages that name the path
# are escaped too. Then BTF names: a BPF object whose key type and field
# names are patched to such bytes goes through safemapctl check, text and
# --json, with the same checks.
# usage: test_ctl_escape.sh SAFEMAPCTL RAW_WRITER ESCAPE_NAMES.bpf.o BTF_PATCH.py
source "$(dirname "$0")/lib.sh"
ctl=$1 writer=$2 obj=$3 patch=$4
t_require_root
command -v python3 >/dev/null || t_fail "python3 missing (Debian package python3)"

# no_control FILE WHAT: no ESC, BEL or CR byte, and strict UTF-8
no_control() {
	if LC_ALL=C grep -q $'[\x1b\x07\r]' "$1"; then
		LC_ALL=C grep -n $'[\x1b\x07\r]' "$1" | od -c | head -20 >&2
		t_fail "$2: an ESC, BEL or CR byte reached the output"
	fi
	python3 -c 'import sys; open(sys.argv[1], "rb").read().decode("utf-8", "strict")' "$1" ||
		t_fail "$2: not valid UTF-8"
	t_ok "$2: no ESC/BEL/CR byte, valid UTF-8"
}

# json_lines FILE WHAT: every line is strict UTF-8 and one JSON value
json_lines() {
	python3 - "$1" <<'PY' || t_fail "$2: a line is not strict UTF-8 JSON"
import json, sys
for n, raw in enumerate(open(sys.argv[1], "rb").read().splitlines(), 1):
    try:
        json.loads(raw.decode("utf-8", "strict"))
    except Exception as e:
        sys.exit(f"line {n}: {e}: {raw!r}")
PY
	jq -e . "$1" >/dev/null || t_fail "$2: jq cannot parse it"
	t_ok "$2: strict UTF-8 JSON lines, jq parses them"
}

hpin=/sys/fs/bpf/safemapctl_test_$$_esc_$'\x1b[2J\r\x07\xff'
T_PINS+=("$hpin")
bpftool map create "$hpin" type hash key 4 value 8 entries 16 name ctl_escape >/dev/null ||
	t_fail "bpftool map create at a path with control bytes"
id=$(t_map_id "$hpin")
shown_pin="/sys/fs/bpf/safemapctl_test_$$_esc_\\x1b[2J\\x0d\\x07\\xff" # as text shows it
shown_comm='comm=\x1b]0;p\x07\x0d\x1b[Kok\xff'

# 1. audit, text
out=$T_TMP/audit.txt
"$ctl" audit --pin "$hpin" >"$out" 2>&1 &
aud=$!
T_PIDS+=("$aud")
t_wait_line "$out" "^waiting for illegal writes" 15
"$writer" "$hpin" hostile 1 >"$T_TMP/w1.out" || t_fail "raw_writer exited $?"
wpid=$(awk '{print $2}' "$T_TMP/w1.out")
t_wait_line "$out" "reason=not_allowed .*pid=$wpid " 10
kill -INT "$aud"
rc=0; wait "$aud" || rc=$?
[ "$rc" -eq 1 ] || { cat -v "$out" >&2; t_fail "audit exited $rc, not 1"; }
no_control "$out" "audit text"
grep -qF "guarding map id $id pinned at $shown_pin; " "$out" ||
	{ cat -v "$out" >&2; t_fail "the guarding line does not show the escaped pin path"; }
grep -E "^audit report map=ctl_escape id=$id op=put reason=not_allowed result=0 key=00000000 pid=$wpid " \
	"$out" | grep -qF "$shown_comm" || { cat -v "$out" >&2; t_fail "no escaped report line"; }
grep -F "$shown_comm" "$out" | grep -qF ": \\x1b]0;p\\x07\\x0d\\x1b[Kok\\xff (pid $wpid " ||
	{ cat -v "$out" >&2; t_fail "the report's detail does not show the escaped name"; }
t_expect "$out" "^stopped: 1 report, 0 lost$" "the report is counted"
t_ok "audit text: the report of pid $wpid is shown, its name escaped"

# 2. audit --json
json=$T_TMP/audit.jsonl
"$ctl" audit --pin "$hpin" --json >"$json" 2>"$T_TMP/audit.err" &
aud=$!
T_PIDS+=("$aud")
t_wait_line "$json" '"type":"guarding"' 15
"$writer" "$hpin" hostile 3 >"$T_TMP/w2.out" || t_fail "raw_writer exited $?"
wpid=$(awk '{print $2}' "$T_TMP/w2.out")
for ((i = 0; i < 200; i++)); do
	[ "$(grep -c '"reason":"not_allowed"' "$json")" -ge 3 ] && break
	sleep 0.05
done
kill -TERM "$aud"
rc=0; wait "$aud" || rc=$?
[ "$rc" -eq 1 ] || { cat "$json" >&2; t_fail "audit --json exited $rc, not 1"; }
no_control "$json" "audit --json"
json_lines "$json" "audit --json"
jq -se --argjson w "$wpid" --argjson id "$id" '
  (.[0].type == "guarding" and .[0].map_id == $id and
   (.[0].pin | endswith("_esc_\u001b[2J\r\u0007\\xff"))) and
  (map(select(.type == "event" and .pid == $w and .map_id == $id and
              .comm == "\u001b]0;p\u0007\r\u001b[Kok\\xff" and
              (.detail | startswith("\\x1b]0;p\\x07\\x0d\\x1b[Kok\\xff (pid"))))
     | length == 3) and
  (.[-1] == {"type": "stopped", "reports": 3, "lost": 0})' "$json" >/dev/null ||
	{ cat "$json" >&2; t_fail "audit --json: the events do not decode to the writer's name"; }
t_ok "audit --json: 3 events of pid $wpid decode to its name (invalid byte as \\\\xff)"

# 3. metrics --listen --audit: reports escaped, scrapes valid
out=$T_TMP/listen.out
"$ctl" metrics --listen 127.0.0.1:0 --pin "$hpin" --audit >"$out" 2>&1 &
srv=$!
T_PIDS+=("$srv")
t_wait_line "$out" "^serving http://127\.0\.0\.1:[0-9]+/metrics" 10
url=$(sed -nE 's|^serving (http://[^ ]+) .*|\1|p' "$out")
"$writer" "$hpin" hostile 2 >"$T_TMP/w3.out" || t_fail "raw_writer exited $?"
wpid=$(awk '{print $2}' "$T_TMP/w3.out")
for ((i = 0; i < 200; i++)); do
	[ "$(grep -c "reason=not_allowed .*pid=$wpid " "$out")" -ge 2 ] && break
	sleep 0.05
done
curl -fsS "$url" >"$T_TMP/scrape.prom" || t_fail "curl $url"
promtool check metrics <"$T_TMP/scrape.prom" || t_fail "promtool check metrics"
t_expect "$T_TMP/scrape.prom" "^safemap_audit_reports_total 2$" "both reports counted"
no_control "$T_TMP/scrape.prom" "the scrape"
kill -TERM "$srv"
rc=0; wait "$srv" || rc=$?
[ "$rc" -eq 0 ] || t_fail "metrics --listen exited $rc"
no_control "$out" "metrics --listen --audit text"
[ "$(grep -cF "$shown_comm" "$out")" -eq 2 ] || { cat -v "$out" >&2; t_fail "metrics: 2 escaped reports"; }

# 4. maps and error messages that name the path
"$ctl" maps --pin "$hpin" >"$T_TMP/maps.txt" || t_fail "maps --pin exited $?"
no_control "$T_TMP/maps.txt" "maps"
t_expect "$T_TMP/maps.txt" "^ +$id +ctl_escape +hash " "maps lists the map"
rc=0
"$ctl" maps --pin "${hpin}_gone" >"$T_TMP/gone.txt" 2>&1 || rc=$?
[ "$rc" -eq 2 ] || t_fail "maps --pin (missing): exit $rc, not 2"
no_control "$T_TMP/gone.txt" "the error message naming the path"
grep -qF "_esc_\\x1b[2J\\x0d\\x07\\xff_gone" "$T_TMP/gone.txt" ||
	{ cat -v "$T_TMP/gone.txt" >&2; t_fail "the error does not name the escaped path"; }
rc=0
"$ctl" maps --map $'\x1b[2J' >"$T_TMP/badopt.txt" 2>&1 || rc=$?
[ "$rc" -eq 2 ] || t_fail "a bad option: exit $rc, not 2"
no_control "$T_TMP/badopt.txt" "a usage error quoting an argument"

# 5. BTF names: safemapctl check, text and --json
bad=$T_TMP/escape_names_patched.bpf.o
python3 "$patch" "$obj" "$bad" \
	PLACEHOLDER_TYPE_NAME_0123456789=1b5d303b70070d1b5b4b6f6bff \
	PLACEHOLDER_FIELD_NAME_012345678=c0afeda080c29be2808e ||
	t_fail "patching the BTF names"
rc=0
"$ctl" check "$bad" >"$T_TMP/check.txt" 2>&1 || rc=$?
[ "$rc" -eq 1 ] || { cat -v "$T_TMP/check.txt" >&2; t_fail "check: exit $rc, not 1 (a padding finding)"; }
no_control "$T_TMP/check.txt" "check text"
grep -E '^  escmap +hash +key +8 ' "$T_TMP/check.txt" |
	grep -qF 'struct \x1b]0;p\x07\x0d\x1b[Kok\xffxxxx' ||
	{ cat -v "$T_TMP/check.txt" >&2; t_fail "check text: the key type is not shown escaped"; }
grep -E '^  finding key_padding: ' "$T_TMP/check.txt" | grep -qF '\x1b]0;p\x07\x0d\x1b[Kok\xff' ||
	{ cat -v "$T_TMP/check.txt" >&2; t_fail "check text: the finding does not name the escaped type"; }
t_ok "check text: the patched key type is shown escaped, with its finding"
rc=0
"$ctl" check --json "$bad" >"$T_TMP/check.json" 2>"$T_TMP/check.err" || rc=$?
[ "$rc" -eq 1 ] || { cat "$T_TMP/check.json" "$T_TMP/check.err" >&2; t_fail "check --json: exit $rc"; }
no_control "$T_TMP/check.json" "check --json"
json_lines "$T_TMP/check.json" "check --json"
jq -e '.objects[0].maps[0].name == "escmap" and
       (.objects[0].maps[0].key_type | startswith("struct \u001b]0;p\u0007\r\u001b[Kok\\xffxxxx")) and
       (.objects[0].findings | length >= 1) and
       (.objects[0].findings[0].message | contains("\\x1b]0;p\\x07\\x0d\\x1b[Kok\\xff"))' \
	"$T_TMP/check.json" >/dev/null ||
	{ cat "$T_TMP/check.json" >&2; t_fail "check --json: the key type does not decode"; }
t_ok "check --json: the key type decodes to the patched bytes (invalid ones as \\\\xNN)"
echo "1 passed, 0 failed"
