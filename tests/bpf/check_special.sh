#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# check_special.sh fifo SAFEMAPCTL: `check` on a named pipe (made here,
# named by pid) answers at once that it is not a regular file (no hang:
# `timeout` would exit 124).
# check_special.sh oneline SAFEMAPCTL OBJ: `check OBJ` on an object libbpf
# refuses prints one line of error (libbpf's reason in it, no doubled
# "libbpf: libbpf:"), and libbpf's own lines only with --verbose.
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
oneline)
	err=$("$ctl" check "$1" 2>&1 >/dev/null)
	rc=$?
	printf '%s\n' "$err"
	[ "$(printf '%s\n' "$err" | wc -l)" -eq 1 ] || { echo "not one line" >&2; exit 9; }
	case $err in *"libbpf: libbpf:"*) echo "doubled prefix" >&2; exit 9 ;; esac
	verbose=$("$ctl" check --verbose "$1" 2>&1 >/dev/null | grep -c '^libbpf: ')
	[ "$verbose" -ge 1 ] || { echo "--verbose shows no libbpf line" >&2; exit 9; }
	exit $rc ;;
json)
	out=$("$ctl" check --json "$@")
	rc=$?
	printf '%s\n' "$out"
	printf '%s\n' "$out" | jq -e . >/dev/null || { echo "not valid JSON" >&2; exit 9; }
	exit $rc ;;
esac
exit 3
