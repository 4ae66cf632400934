#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The demo agent keeps its user-space map 'procs' across a restart with
# --state FILE: the first run starts empty and saves what it counted; the
# second run restores exactly that many processes; a corrupted state file
# is refused (moved aside, never half-loaded) and the agent starts empty.
# usage: test_agent_state.sh PATH/TO/safemap-agent PATH/TO/safemapctl
source "$(dirname "$0")/lib.sh"
agent=$1
ctl=$2
t_require_root
state=$T_TMP/procs.snap

run() { # run N: the agent for 2 s with --state, JSON lines in $T_TMP/runN.jsonl
	"$agent" --duration 2 --json --state "$state" >"$T_TMP/run$1.jsonl" 2>"$T_TMP/run$1.err" ||
		{ cat "$T_TMP/run$1.err" >&2; t_fail "run $1 exited $?"; }
}
msg() { jq -r "select(.type == \"state\") | .message" "$T_TMP/run$1.jsonl"; }

run 1
msg 1 | grep -q "^no state file $state yet" || { msg 1 >&2; t_fail "run 1: did not start empty"; }
saved=$(msg 1 | sed -nE "s/^saved ([0-9]+) processes of 'procs' to .*/\1/p")
[ -n "$saved" ] && [ "$saved" -gt 0 ] || { msg 1 >&2; t_fail "run 1: nothing saved"; }
t_ok "run 1 started empty and saved $saved processes"
"$ctl" snapshot inspect "$state" --json | jq -e --argjson n "$saved" \
	'.valid and .entries == $n and .key_type == "pid_t" and .value_type == "struct proc_total"' \
	>/dev/null || t_fail "the state file is not a valid snapshot of $saved entries"
t_ok "state file valid: $saved entries, types pid_t -> struct proc_total"

run 2
msg 2 | grep -q "^restored $saved processes into 'procs' from $state$" ||
	{ msg 2 >&2; t_fail "run 2: did not restore $saved processes"; }
t_ok "run 2 restored $saved processes"

size=$(stat -c %s "$state")
printf '\x5a' | dd of="$state" bs=1 seek=$((size / 2)) conv=notrunc status=none
run 3
msg 3 | grep -q "^state file refused (moved to $state.refused), 'procs' starts empty: .*CRC" ||
	{ msg 3 >&2; t_fail "run 3: corrupt state not refused"; }
[ -f "$state.refused" ] || t_fail "run 3: the refused file was not kept aside"
t_ok "run 3 refused the corrupted file and kept it aside"
