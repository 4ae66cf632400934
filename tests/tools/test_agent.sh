#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The demo agent runs for a few seconds, for real: its output must show the
# audit report of the forked child's illegal write (with the child's pid),
# at least one capacity event, and the refused open of the mismatched
# pinned map; the same in JSON lines; and no pin left behind.
# usage: test_agent.sh PATH/TO/safemap-agent
source "$(dirname "$0")/lib.sh"
agent=$1
t_require_root

out=$T_TMP/agent.txt
rc=0
"$agent" --duration 4 >"$out" 2>&1 &
pids=$!
wait "$pids" || rc=$?
[ "$rc" -eq 0 ] || { cat "$out" >&2; t_fail "the agent exited $rc"; }
child=$(sed -nE "s/.*child pid ([0-9]+) \('intruder'\).*/\1/p" "$out" | head -1)
[ -n "$child" ] || t_fail "no intruder child announced"
t_expect "$out" "\[ILLEGAL WRITE\] audit report map=syscount id=[0-9]+ op=put reason=not_allowed .* pid=$child .*comm=intruder cgroup=/" \
	"illegal write by child $child reported"
t_expect "$out" "\[capacity\] (bpf_map|map) refused map=(syscount|procs) .*reason=full result=-7" \
	"capacity event"
t_expect "$out" "\[watermark\] map event map=procs .*reason=watermark" "watermark event"
t_expect "$out" "refused +open of mismatched pinned map refused .*field 'calls' at offset 16 in the kernel, 0 here" \
	"mismatched pinned map refused, naming the field"
t_expect "$out" "objcheck +'syscount_bpf' checked before load \(safemap_objcheck_object, policy: syscount hash, key 4, value 24, max_entries >= 64; fix on\): 1 map, 0 findings$" \
	"the skeleton's object checked before load"
t_expect "$out" "^\[ 1s\] kernel map 'syscount' [0-9]+/64 \([0-9]+% full\)" "tick line with the fill ratio"
t_expect "$out" "^ +pid +process +calls +share$" "top table"
t_expect "$out" "^  illegal write by child $child: reported by the audit probe$" "summary"

json=$T_TMP/agent.jsonl
prom=$T_TMP/agent.prom
"$agent" --duration 3 --json --metrics "$prom" >"$json" 2>"$T_TMP/agent.err" &
pids="$pids $!"
wait "$!" || t_fail "the agent --json exited $?"
jq -e . "$json" >/dev/null || t_fail "--json output is not JSON lines"
jq -se '
  (map(select(.type == "summary")) | length == 1) and
  (.[-1].type == "summary") and
  (.[-1].illegal_write_reported == true) and (.[-1].mismatch_refused == true) and
  (.[-1].capacity_events.bpf_map + .[-1].capacity_events.map > 0) and
  (.[-1].illegal_write_pid as $c |
     map(select(.type == "event" and .source == "audit" and .reason == "not_allowed"
                and .pid == $c and .comm == "intruder" and .cgroup_id > 0
                and (.cgroup | startswith("/")))) | length >= 1) and
  (map(select(.type == "tick")) | length >= 2) and
  (map(select(.type == "tick"))[0].top | length >= 1)' "$json" >/dev/null ||
	{ cat "$json" >&2; t_fail "JSON lines: summary, audit event or ticks missing"; }
t_ok "JSON lines"

promtool check metrics <"$prom" || t_fail "promtool check metrics on the agent's --metrics file"
t_expect "$prom" '^safemap_bpf_map_max_entries\{map="syscount",id="[0-9]+"\} 64$' "--metrics: the kernel map"
t_expect "$prom" '^safemap_audit_reports_total [1-9]' "--metrics: the audit report counted"
t_expect "$prom" '^safemap_bpf_map_capacity_violations_total\{map="syscount",id="[0-9]+"\} [1-9]' \
	"--metrics: capacity violations counted"
ls "$T_TMP" | grep -q 'agent.prom.tmp' && t_fail "--metrics left its temporary file"

# only this test's agents' pins (named by their pid): other agents may run
# on the machine at the same time (ctest -j, other checkouts)
for p in $pids; do
	ls /sys/fs/bpf/safemap_agent_"$p"_* >/dev/null 2>&1 && t_fail "agent $p left a pin in /sys/fs/bpf"
done
t_ok "no pin left behind"
echo "1 passed, 0 failed"
