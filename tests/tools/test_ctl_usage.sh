#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# safemapctl maps/metrics/audit: bad arguments give exactly one line on
# stderr, nothing on stdout, and exit status 2; --help prints the usage on
# stdout with the exit statuses and exits 0. Needs no privileges.
# usage: test_ctl_usage.sh PATH/TO/safemapctl
source "$(dirname "$0")/lib.sh"
ctl=$1
n=0

bad() { # bad ARGS...: one error line, exit 2
	local rc=0
	"$ctl" "$@" >"$T_TMP/out" 2>"$T_TMP/err" || rc=$?
	[ "$rc" -eq 2 ] || t_fail "safemapctl $*: exit $rc, not 2"
	[ ! -s "$T_TMP/out" ] || t_fail "safemapctl $*: wrote to stdout"
	[ "$(wc -l <"$T_TMP/err")" -eq 1 ] || { cat "$T_TMP/err" >&2; t_fail "safemapctl $*: not one line on stderr"; }
	grep -q "^safemapctl $1: " "$T_TMP/err" || t_fail "safemapctl $*: error not prefixed"
	n=$((n + 1))
}

for cmd in maps metrics audit; do
	"$ctl" "$cmd" --help >"$T_TMP/help" || t_fail "$cmd --help exited $?"
	grep -q "^usage: safemapctl $cmd" "$T_TMP/help" || t_fail "$cmd --help: no usage"
	grep -q "^exit status: " "$T_TMP/help" || t_fail "$cmd --help: no exit statuses"
	bad "$cmd" --bogus
	bad "$cmd" --map
	bad "$cmd" --map 12x
	bad "$cmd" --map 0
	bad "$cmd" stray
done
bad maps --warn 1.5
bad maps --warn abc
bad metrics --listen nowhere
bad metrics --listen 127.0.0.1:70000
bad metrics --listen 1234 --textfile "$T_TMP/x.prom"
bad metrics --interval 5
bad metrics --textfile "$T_TMP/x.prom" --interval -1
bad metrics --audit --listen 0
bad metrics --audit --map 1
bad metrics --textfile ""
bad audit
bad audit --map 1 --hook kprobe
bad audit --map 1 --allow-pid -3
bad audit --map 1 --allow-pid 1 --allow-pid 2 --allow-pid 3 --allow-pid 4 --allow-pid 5 \
	--allow-pid 6 --allow-pid 7 --allow-pid 8 --allow-pid 9
bad audit --map 1 --duration 0
t_ok "$n bad argument lists refused with one line and exit 2"
"$ctl" --help | grep -q "^exit status: " || t_fail "safemapctl --help: no exit statuses"
echo "1 passed, 0 failed"
