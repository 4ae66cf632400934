#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# safemapctl metrics --listen against bad clients on loopback (issue 14,
# part 4): http_bad_clients.py drives the sockets (oversized request lines
# and headers, 1,000 concurrent connections, requests sent into a flood of
# new idle connections, a byte a second, other methods and paths) while
# checking a scrape every 100 ms; then SIGTERM stops the
# server cleanly and it reports what its connection guard did.
# usage: test_ctl_http.sh PATH/TO/safemapctl
source "$(dirname "$0")/lib.sh"
ctl=$1
t_require_root
command -v python3 >/dev/null || t_fail "python3 missing (Debian package python3)"

t_hash_map ctl_http 16
pin=$T_PIN
id=$(t_map_id "$pin")
out=$T_TMP/listen.out
"$ctl" metrics --listen 127.0.0.1:0 --pin "$pin" >"$out" 2>"$T_TMP/listen.err" &
srv=$!
T_PIDS+=("$srv")
t_wait_line "$out" "^serving http://127\.0\.0\.1:[0-9]+/metrics" 10
port=$(sed -nE 's|^serving http://127\.0\.0\.1:([0-9]+)/metrics.*|\1|p' "$out")
rc=0
timeout 120 python3 "$(dirname "$0")/http_bad_clients.py" "$srv" "$port" \
	"safemap_bpf_map_max_entries{map=\"ctl_http\",id=\"$id\"} 16" || rc=$?
[ "$rc" -eq 0 ] || { cat "$T_TMP/listen.err" >&2; t_fail "bad clients (exit $rc)"; }
kill -TERM "$srv"
rc=0; wait "$srv" || rc=$?
[ "$rc" -eq 0 ] || { cat "$T_TMP/listen.err" >&2; t_fail "metrics --listen exited $rc after SIGTERM"; }
t_expect "$T_TMP/listen.err" "^safemapctl metrics: http: [0-9]+ connections \(at most [0-9]+ open\), [1-9][0-9]* shut at the limit, [1-9][0-9]* at the 5 s deadline$" \
	"the guard shed connections at the limit and at the deadline"
cat "$T_TMP/listen.err"
echo "1 passed, 0 failed"
