#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The demo agent shows every process's name (its top table counts system
# calls of all processes): a busy child named "\x1b]0;p\x07\r\x1b[Kok\xff"
# (raw bpf() calls on a map of its own) reaches the top of the table. The
# agent's text holds no ESC, BEL or CR byte and shows the name escaped;
# its JSON lines are strict UTF-8 and decode to the name (the invalid byte
# as \xff).
# usage: test_agent_escape.sh PATH/TO/safemap-agent RAW_WRITER
source "$(dirname "$0")/lib.sh"
agent=$1 writer=$2
t_require_root
command -v python3 >/dev/null || t_fail "python3 missing (Debian package python3)"

t_hash_map agent_escape 16
pin=$T_PIN

# run_with_writer OUT ARGS...: the agent, with the hostile writer busy
run_with_writer() {
	local out=$1 rc=0 ag w
	shift
	# the writer first: busy when the agent's program attaches, it takes one
	# of the kernel map's 64 entries before the machine's other processes
	"$writer" "$pin" hostile 100000000 >/dev/null &
	w=$!
	T_PIDS+=("$w")
	"$agent" "$@" >"$out" 2>"$out.err" &
	ag=$!
	T_PIDS+=("$ag")
	wait "$ag" || rc=$?
	kill -KILL "$w" 2>/dev/null || true
	wait "$w" 2>/dev/null || true
	[ "$rc" -eq 0 ] || { cat "$out" "$out.err" >&2; t_fail "the agent exited $rc"; }
	echo "$w"
}

# The top table shows the user-space map 'procs' (48 entries): on a busy
# machine (other builds and tests) it can be full of other processes for a
# whole run, so a run whose table never held the writer is tried again (up
# to 3 runs); every run's output is checked for control bytes.
no_control() {
	if LC_ALL=C grep -q $'[\x1b\x07\r]' "$1"; then
		t_fail "$2: an ESC, BEL or CR byte reached the output"
	fi
	python3 -c 'import sys; open(sys.argv[1], "rb").read().decode("utf-8", "strict")' "$1" ||
		t_fail "$2: not valid UTF-8"
}

for try in 1 2 3; do
	out=$T_TMP/agent.$try.txt
	w=$(run_with_writer "$out" --duration 3)
	no_control "$out" "agent text (run $try)"
	grep -E "^ +$w  " "$out" | grep -qF '\x1b]0;p\x07\x0d\x1b[Kok\xff' && break
	[ "$try" -lt 3 ] || { cat -v "$out" >&2; t_fail "agent text: the writer was in no top table of 3 runs"; }
done
t_ok "agent text: no ESC/BEL/CR byte; writer $w in the top table, escaped (run $try)"

for try in 1 2 3; do
	json=$T_TMP/agent.$try.jsonl
	w=$(run_with_writer "$json" --duration 3 --json)
	no_control "$json" "agent --json (run $try)"
	python3 - "$json" <<'PY' || t_fail "agent --json: a line is not strict UTF-8 JSON"
import json, sys
for n, raw in enumerate(open(sys.argv[1], "rb").read().splitlines(), 1):
    json.loads(raw.decode("utf-8", "strict"))
PY
	jq -se --argjson w "$w" '[.[] | select(.type == "tick") | .top[] | select(.pid == $w)] |
	  all(.comm == "\u001b]0;p\u0007\r\u001b[Kok\\xff")' "$json" >/dev/null ||
		{ cat "$json" >&2; t_fail "agent --json: the writer's name does not decode"; }
	jq -se --argjson w "$w" '[.[] | select(.type == "tick") | .top[] | select(.pid == $w)] |
	  length >= 1' "$json" >/dev/null && break
	[ "$try" -lt 3 ] || { cat "$json" >&2; t_fail "agent --json: the writer was in no top list of 3 runs"; }
done
t_ok "agent --json: strict UTF-8; writer $w's name decodes (invalid byte as \\\\xff; run $try)"
echo "1 passed, 0 failed"
