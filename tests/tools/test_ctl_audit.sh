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
# the writer's cgroup: named in the report; --allow-cgroup allows it and below
mnt=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/self/mounts)
[ -n "$mnt" ] || t_fail "no cgroup2 mount in /proc/self/mounts (the cgroup cases need cgroup v2)"
cg=$mnt/safemap-ctl-audit-$$
trap 't_cleanup; rmdir "$cg/nested" "$cg" 2>/dev/null || true' EXIT
mkdir -p "$cg/nested" || t_fail "mkdir $cg/nested"
# in_cgroup DIR PIN KEY: bpftool writes KEY from inside cgroup DIR (background)
in_cgroup() {
	sh -c 'echo 0 >"$1/cgroup.procs" && exec bpftool map update pinned "$2" key "$3" 0 0 0 \
		value 1 0 0 0 0 0 0 0 >/dev/null' sh "$@" &
}
out=$T_TMP/audit-cg.txt
json=$T_TMP/audit-cg.jsonl
"$ctl" audit --pin "$pin" >"$out" 2>&1 &
aud=$!
T_PIDS+=("$aud")
"$ctl" audit --pin "$pin" --json >"$json" 2>&1 &
aud2=$!
T_PIDS+=("$aud2")
t_wait_line "$out" "^waiting for illegal writes" 15
t_wait_line "$json" '"type":"guarding"' 15
in_cgroup "$cg" "$pin" 9
writer=$!
wait "$writer" || t_fail "writer in $cg failed"
t_wait_line "$out" "reason=not_allowed" 10
t_wait_line "$json" '"reason":"not_allowed"' 10
kill -INT "$aud" "$aud2"
wait "$aud" || true
wait "$aud2" || true
t_expect "$out" "^audit report map=ctl_audit id=$id op=put .*pid=$writer .*comm=bpftool cgroup=/safemap-ctl-audit-$$: " \
	"the report names the writer's cgroup"
jq -se --argjson w "$writer" --arg cg "/safemap-ctl-audit-$$" '
  map(select(.type == "event" and .pid == $w and .cgroup == $cg and .cgroup_id > 0)) | length == 1' \
	"$json" >/dev/null || { cat "$json" >&2; t_fail "audit --json: the report's cgroup"; }
t_ok "text and JSON name the writer's cgroup"

rc=0
"$ctl" audit --pin "$pin" --allow-cgroup "/safemap-ctl-audit-$$" --duration 3 >"$T_TMP/cg-allowed.txt" 2>&1 &
aud=$!
t_wait_line "$T_TMP/cg-allowed.txt" "^waiting for illegal writes" 15
in_cgroup "$cg" "$pin" 10
w1=$!
in_cgroup "$cg/nested" "$pin" 11
w2=$!
wait "$w1" && wait "$w2" || t_fail "writers in $cg failed"
wait "$aud" || rc=$?
[ "$rc" -eq 0 ] || { cat "$T_TMP/cg-allowed.txt" >&2; t_fail "--allow-cgroup: exit $rc, not 0"; }
t_expect "$T_TMP/cg-allowed.txt" "^stopped: 0 reports, 0 lost$" "writers in an allowed cgroup and below it are not reported"
"$ctl" audit --pin "$pin" --allow-cgroup /no-such-cgroup-$$ --duration 1 >/dev/null 2>"$T_TMP/cg-bad.txt" &&
	t_fail "--allow-cgroup of a missing cgroup succeeded"
t_expect "$T_TMP/cg-bad.txt" "--allow-cgroup: .*no-such-cgroup" "a missing cgroup is a usage error"
echo "1 passed, 0 failed"
