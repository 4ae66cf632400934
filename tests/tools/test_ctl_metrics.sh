#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# safemapctl metrics: printed once, served on a loopback port (scraped with
# curl, validated with promtool check metrics, audit counters moving when a
# child writes the guarded map), and written for the textfile collector
# (every read sees a whole file, the file is replaced by rename, no
# temporary file is left).
# usage: test_ctl_metrics.sh PATH/TO/safemapctl
source "$(dirname "$0")/lib.sh"
ctl=$1
t_require_root
command -v promtool >/dev/null || t_fail "promtool missing (Debian package prometheus)"

t_hash_map ctl_metrics 16
pin=$T_PIN
for k in 1 2 3 4; do t_put "$pin" "$k"; done
id=$(t_map_id "$pin")
series="map=\"ctl_metrics\",id=\"$id\""

# once, on stdout
"$ctl" metrics --pin "$pin" >"$T_TMP/once.prom" || t_fail "metrics exited $?"
promtool check metrics <"$T_TMP/once.prom" || t_fail "promtool check metrics (once)"
t_expect "$T_TMP/once.prom" "^safemap_bpf_map_entries\{$series\} 4$" "entries"
t_expect "$T_TMP/once.prom" "^safemap_bpf_map_max_entries\{$series\} 16$" "max_entries"
t_expect "$T_TMP/once.prom" "^safemap_bpf_map_fill_ratio\{$series\} 0.25$" "fill ratio"
t_expect "$T_TMP/once.prom" "^safemap_bpf_map_capacity_violations_total\{$series\} 0$" "capacity counter"
t_expect "$T_TMP/once.prom" "^# TYPE safemap_bpf_map_capacity_violations_total counter$" "counter type"
"$ctl" metrics --json >"$T_TMP/once.json" || t_fail "metrics --json exited $?"
jq -e --argjson id "$id" '.maps[] | select(.id == $id) | .entries == 4' "$T_TMP/once.json" \
	>/dev/null || t_fail "metrics --json"
t_ok "metrics --json"

# --listen on a free loopback port, with the audit probe guarding the map
out=$T_TMP/listen.out
"$ctl" metrics --listen 127.0.0.1:0 --pin "$pin" --audit >"$out" 2>&1 &
srv=$!
T_PIDS+=("$srv")
t_wait_line "$out" "^serving http://127\.0\.0\.1:[0-9]+/metrics" 10
url=$(sed -nE 's|^serving (http://[^ ]+) .*|\1|p' "$out")
# an idle exporter sleeps: over 2 s it may use a little CPU, not a core
# (its connection sweep once spun on a condition variable of the wrong clock)
cpu0=$(awk '{print $14 + $15}' /proc/"$srv"/stat)
sleep 2
cpu1=$(awk '{print $14 + $15}' /proc/"$srv"/stat)
hz=$(getconf CLK_TCK)
[ $((cpu1 - cpu0)) -lt $((hz / 2)) ] || t_fail "idle metrics --listen used $((cpu1 - cpu0)) of $((2 * hz)) ticks in 2 s"
t_ok "idle exporter does not spin"
curl -fsS "$url" >"$T_TMP/scrape1.prom" || t_fail "curl $url"
promtool check metrics <"$T_TMP/scrape1.prom" || t_fail "promtool check metrics (scrape)"
t_expect "$T_TMP/scrape1.prom" "^safemap_bpf_map_entries\{$series\} 4$" "scraped entries"
t_expect "$T_TMP/scrape1.prom" "^safemap_audit_reports_total 0$" "audit reports 0"
t_expect "$T_TMP/scrape1.prom" "^safemap_audit_guarded_maps 1$" "one guarded map"
t_expect "$T_TMP/scrape1.prom" "^# TYPE safemap_audit_lost_total counter$" "audit lost counter"
t_put_bg "$pin" 5 # a child of this shell, not allowed to write
writer=$!
wait "$writer"
t_wait_line "$out" "reason=not_allowed .*pid=$writer " 10
curl -fsS "$url" >"$T_TMP/scrape2.prom" || t_fail "curl $url (2)"
promtool check metrics <"$T_TMP/scrape2.prom" || t_fail "promtool check metrics (scrape 2)"
t_expect "$T_TMP/scrape2.prom" "^safemap_audit_reports_total 1$" "audit report counted"
t_expect "$T_TMP/scrape2.prom" "^safemap_bpf_map_entries\{$series\} 5$" "entries follow the map"
code=$(curl -s -o /dev/null -w '%{http_code}' "${url%/metrics}/other")
[ "$code" = 404 ] || t_fail "GET /other: $code, not 404"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST --data x "$url")
[ "$code" = 405 ] || t_fail "POST /metrics: $code, not 405"
t_ok "404 and 405"
kill -TERM "$srv"
rc=0; wait "$srv" || rc=$?
[ "$rc" -eq 0 ] || t_fail "metrics --listen exited $rc after SIGTERM"
t_expect "$out" "^stopped: 1 audit reports, 0 lost$" "clean stop with the lost count"

# --textfile: atomic replacement
prom=$T_TMP/tf/safemap.prom
mkdir -p "$T_TMP/tf"
"$ctl" metrics --textfile "$prom" --pin "$pin" >/dev/null || t_fail "--textfile once"
promtool check metrics <"$prom" || t_fail "promtool check metrics (textfile once)"
rm -f "$prom"
"$ctl" metrics --textfile "$prom" --interval 0.05 --pin "$pin" >"$T_TMP/tf.out" 2>&1 &
wr=$!
T_PIDS+=("$wr")
t_wait_line "$T_TMP/tf.out" "^writing " 10
for ((i = 0; i < 100; i++)); do [ -e "$prom" ] && break; sleep 0.05; done
declare -A inodes=()
for ((i = 0; i < 60; i++)); do
	cat "$prom" >"$T_TMP/read.prom" # one open: the file as it was then
	inodes[$(stat -c %i "$prom")]=1
	last=$(tail -n 1 "$T_TMP/read.prom")
	[[ $last =~ ^safemap_bpf_map_errors_total\{.*\}\ [0-9]+$ ]] ||
		t_fail "read $i saw a partial file (last line '$last')"
	sleep 0.02
done
[ "${#inodes[@]}" -ge 2 ] || t_fail "the textfile was not replaced by rename (one inode)"
promtool check metrics <"$T_TMP/read.prom" || t_fail "promtool check metrics (textfile)"
t_ok "60 reads saw whole files, ${#inodes[@]} inodes (rename)"
kill -TERM "$wr"
rc=0; wait "$wr" || rc=$?
[ "$rc" -eq 0 ] || t_fail "metrics --textfile exited $rc after SIGTERM"
ls "$T_TMP/tf" | grep -q tmp && t_fail "temporary file left: $(ls "$T_TMP/tf")"
t_ok "no temporary file left"
echo "1 passed, 0 failed"
