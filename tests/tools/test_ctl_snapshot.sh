#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Snapshot files from the outside: example_persist keeps its counters
# across runs in a state file; safemapctl snapshot inspect reads that file
# (text and JSON), calls a corrupted copy corrupt (exit 1) and a missing or
# non-regular file unreadable (exit 2). Needs no privileges.
# usage: test_ctl_snapshot.sh PATH/TO/safemapctl PATH/TO/example_persist
source "$(dirname "$0")/lib.sh"
ctl=$1
ex=$2
state=$T_TMP/counters.snap

"$ex" "$state" 3 >"$T_TMP/run1" || t_fail "first run exited $?"
t_expect "$T_TMP/run1" '^loaded 0 counters \(no state file yet\)' "first run starts empty"
"$ex" "$state" 2 >"$T_TMP/run2" || t_fail "second run exited $?"
t_expect "$T_TMP/run2" '^loaded 1000 counters$' "second run loads the first run's state"
t_expect "$T_TMP/run2" 'counter 0 has 5 events over 2 runs' "counts carried across the restart"

"$ctl" snapshot inspect "$state" >"$T_TMP/text" || t_fail "inspect of a valid file exited $?"
t_expect "$T_TMP/text" '^valid: +yes' "inspect: valid"
t_expect "$T_TMP/text" '^entries: 1000 in 1 block' "inspect: count and blocks"
t_expect "$T_TMP/text" '"struct counter_key"' "inspect: key type name"
"$ctl" snapshot inspect "$state" --json >"$T_TMP/json" || t_fail "inspect --json exited $?"
jq -e '.valid == true and .entries == 1000 and .key_size == 4 and .value_size == 16
       and .compressed == true and .value_type == "struct counter"' "$T_TMP/json" >/dev/null ||
	{ cat "$T_TMP/json" >&2; t_fail "inspect --json: fields"; }
t_ok "inspect --json: fields"

size=$(stat -c %s "$state")
for off in 0 20 $((size / 2)) $((size - 3)); do
	cp "$state" "$T_TMP/bad.snap"
	printf '\xa5' | dd of="$T_TMP/bad.snap" bs=1 seek="$off" conv=notrunc status=none
	rc=0
	"$ctl" snapshot inspect "$T_TMP/bad.snap" --json >"$T_TMP/badjson" || rc=$?
	[ "$rc" -eq 1 ] || t_fail "byte $off corrupted: exit $rc, not 1"
	jq -e '.valid == false and (.error | test("offset"))' "$T_TMP/badjson" >/dev/null ||
		t_fail "byte $off corrupted: JSON does not say where"
	# and the example refuses to start from it, leaving the file as it was
	rc=0
	"$ex" "$T_TMP/bad.snap" >/dev/null 2>"$T_TMP/err" || rc=$?
	[ "$rc" -eq 1 ] || t_fail "example on a corrupt file: exit $rc"
	grep -q 'CRC\|magic\|offset' "$T_TMP/err" || t_fail "example on a corrupt file: no reason"
done
t_ok "corrupted copies: exit 1, offset named, refused by the loader"
truncate -s $((size - 1)) "$T_TMP/bad.snap"
rc=0
"$ctl" snapshot inspect "$T_TMP/bad.snap" >/dev/null || rc=$?
[ "$rc" -eq 1 ] || t_fail "truncated file: exit $rc, not 1"
t_ok "truncated: exit 1"

for f in "$T_TMP/missing.snap" "$T_TMP"; do
	rc=0
	"$ctl" snapshot inspect "$f" >"$T_TMP/out" 2>"$T_TMP/err" || rc=$?
	[ "$rc" -eq 2 ] || t_fail "inspect $f: exit $rc, not 2"
	[ "$(wc -l <"$T_TMP/err")" -eq 1 ] || t_fail "inspect $f: not one error line"
done
t_ok "missing file and directory: exit 2, one line"
rc=0
"$ctl" snapshot bogus >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 2 ] || t_fail "snapshot bogus: exit $rc"
"$ctl" snapshot --help | grep -q '^exit status: ' || t_fail "snapshot --help"
t_ok "usage"
