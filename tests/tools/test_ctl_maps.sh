#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# safemapctl maps: a map this test makes (hash, max_entries 16, 4 entries
# written by bpftool) is listed with its sizes, entry count and fill ratio,
# in JSON (parsed with jq) and in text; --warn exits 1 at or above the ratio.
# usage: test_ctl_maps.sh PATH/TO/safemapctl
source "$(dirname "$0")/lib.sh"
ctl=$1
t_require_root

t_hash_map ctl_maps 16
pin=$T_PIN
for k in 1 2 3 4; do t_put "$pin" "$k"; done
id=$(t_map_id "$pin")

"$ctl" maps --json >"$T_TMP/all.json" || t_fail "maps --json exited $?"
jq -e --argjson id "$id" '
  .count == (.maps | length) and
  (.maps[] | select(.id == $id) |
     .name == "ctl_maps" and .type == "hash" and .key_size == 4 and .value_size == 8 and
     .max_entries == 16 and .entries == 4 and .fill == 0.25)' "$T_TMP/all.json" >/dev/null ||
	{ cat "$T_TMP/all.json" >&2; t_fail "maps --json: map $id not listed with 4/16 entries"; }
t_ok "maps --json lists map $id: hash, key 4, value 8, 4 of 16 entries, fill 0.25"
jq -e '[.maps[] | select(.fill != null) | .fill] as $f | $f == ($f | sort | reverse)' \
	"$T_TMP/all.json" >/dev/null || t_fail "maps --json: not sorted by fill ratio"
t_ok "sorted by fill ratio"

"$ctl" maps --pin "$pin" >"$T_TMP/one.txt" || t_fail "maps --pin exited $?"
t_expect "$T_TMP/one.txt" "^ +$id +ctl_maps +hash +4 +8 +16 +4 +25\.0%$" "text row"
t_expect "$T_TMP/one.txt" "^1 map$" "text total"

rc=0; "$ctl" maps --pin "$pin" --warn 0.25 >/dev/null || rc=$?
[ "$rc" -eq 1 ] || t_fail "maps --warn 0.25 on a 25% full map exited $rc, not 1"
rc=0; "$ctl" maps --pin "$pin" --warn 0.5 >/dev/null || rc=$?
[ "$rc" -eq 0 ] || t_fail "maps --warn 0.5 on a 25% full map exited $rc, not 0"
t_ok "--warn exit status"
echo "1 passed, 0 failed"
