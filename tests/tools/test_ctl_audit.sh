#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# safemapctl audit: a child process (bpftool) writes to the guarded map and
# is reported with its pid, in text and in JSON lines; SIGINT ends it
# cleanly with the lost count (exit 1: reports); a policy that allows the
# writer's user reports nothing (exit 0).
# usage: test_ctl_audit.sh PATH/TO/safemapctl
source "$(dirname "$0")/lib.sh"
ctl=$1
t_require_root

t_hash_map ctl_audit 16
pin=$T_PIN
id=$(t_map_id "$pin")

out=$T_TMP/audit.txt
"$ctl" audit --pin "$pin" >"$out" 2>&1 &
aud=$!
T_PIDS+=("$aud")
t_wait_line "$out" "^waiting for illegal writes" 15
t_put_bg "$pin" 7
writer=$!
wait "$writer"
t_wait_line "$out" "reason=not_allowed" 10
kill -INT "$aud"
rc=0; wait "$aud" || rc=$?
[ "$rc" -eq 1 ] || { cat "$out" >&2; t_fail "audit exited $rc after SIGINT with a report, not 1"; }
t_expect "$out" "^guarding map id $id pinned at $pin; " "guarding line"
t_expect "$out" "^audit report map=ctl_audit id=$id op=put reason=not_allowed result=0 key=07000000 pid=$writer .*comm=bpftool" \
	"report names the writer's pid"
t_expect "$out" "^stopped: 1 report, 0 lost$" "clean stop with the lost count"

json=$T_TMP/audit.jsonl
"$ctl" audit --map "$id" --json >"$json" 2>&1 &
aud=$!
T_PIDS+=("$aud")
t_wait_line "$json" '"type":"guarding"' 15
bpftool map delete pinned "$pin" key 7 0 0 0 &
writer=$!
wait "$writer"
t_wait_line "$json" '"reason":"not_allowed"' 10
kill -TERM "$aud"
rc=0; wait "$aud" || rc=$?
[ "$rc" -eq 1 ] || t_fail "audit --json exited $rc, not 1"
jq -se --argjson w "$writer" --argjson id "$id" '
  (.[0].type == "guarding" and .[0].map_id == $id) and
  (map(select(.type == "event" and .reason == "not_allowed" and .op == "delete" and .pid == $w))
     | length == 1) and
  (.[-1] == {"type": "stopped", "reports": 1, "lost": 0})' "$json" >/dev/null ||
	{ cat "$json" >&2; t_fail "audit --json lines"; }
t_ok "JSON lines: guarding, the delete by pid $writer, stopped"

rc=0
"$ctl" audit --pin "$pin" --allow-uid "$(id -u)" --duration 2 >"$T_TMP/allowed.txt" 2>&1 &
aud=$!
t_wait_line "$T_TMP/allowed.txt" "^waiting for illegal writes" 15
t_put "$pin" 8
wait "$aud" || rc=$?
[ "$rc" -eq 0 ] || { cat "$T_TMP/allowed.txt" >&2; t_fail "allowed writer: exit $rc, not 0"; }
t_expect "$T_TMP/allowed.txt" "^stopped: 0 reports, 0 lost$" "an allowed writer is not reported"
echo "1 passed, 0 failed"
