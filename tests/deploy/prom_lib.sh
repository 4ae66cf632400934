#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Shared by the tests that run Debian's Prometheus programs for real:
# starting a server on a free loopback port (port 0, the port read back from
# its log) and querying its HTTP API. Source after tests/tools/lib.sh.

# t_start_listener NAME LOGFILE CMD...: start CMD in the background (its pid
# in T_PIDS and T_LAST_PID), wait for its log's `Listening on`
# address=127.0.0.1:PORT line; the port in T_PORT.
t_start_listener() {
	local name=$1 log=$2 i
	shift 2
	: >"$log" # exists before the child opens it: the loop below reads it at once
	"$@" >"$log" 2>&1 &
	T_LAST_PID=$!
	T_PIDS+=("$T_LAST_PID")
	for ((i = 0; i < 300; i++)); do
		T_PORT=$(sed -nE 's/.*msg="Listening on" address=127\.0\.0\.1:([0-9]+).*/\1/p' "$log" | head -n 1 || true)
		[ -n "$T_PORT" ] && return 0
		kill -0 "$T_LAST_PID" 2>/dev/null || { cat "$log" >&2; t_fail "$name exited at start"; }
		sleep 0.1
	done
	cat "$log" >&2
	t_fail "$name did not listen within 30 s"
}

# t_stop PID: SIGTERM, then wait (bounded) for the process to end.
t_stop() {
	local i
	kill -TERM "$1" 2>/dev/null || return 0
	for ((i = 0; i < 100; i++)); do
		kill -0 "$1" 2>/dev/null || { wait "$1" 2>/dev/null || true; return 0; }
		sleep 0.1
	done
	kill -KILL "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

# t_prom_query URL PROMQL: the query's result vector (JSON) on stdout.
t_prom_query() {
	curl -fsS --max-time 5 "$1/api/v1/query" --data-urlencode "query=$2" | jq -c '.data.result'
}
