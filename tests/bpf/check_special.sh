#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# check_special.sh fifo SAFEMAPCTL: `check` on a named pipe (made here,
# named by pid) answers at once that it is not a regular file (no hang:
# `timeout` would exit 124).
# check_special.sh json SAFEMAPCTL OBJ...: `check --json OBJ...` prints
# one document jq parses (also when an object fails); exits as check did.
mode=$1 ctl=$2
shift 2
case $mode in
fifo)
	f=/tmp/safemap-check-fifo-$$
	mkfifo "$f" || exit 3
	timeout 10 "$ctl" check "$f"
	rc=$?
	rm -f "$f"
	exit $rc ;;
json)
	out=$("$ctl" check --json "$@")
	rc=$?
	printf '%s\n' "$out"
	printf '%s\n' "$out" | jq -e . >/dev/null || { echo "not valid JSON" >&2; exit 9; }
	exit $rc ;;
esac
exit 3
