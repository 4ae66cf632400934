#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# expect_run.sh RC [REGEX...] -- COMMAND [ARGS...]: run COMMAND, pass if it
# exits with RC and its output (stdout and stderr) matches every REGEX
# (grep -E). Used by the ctest tests of safemapctl.
rc_want=$1
shift
n=0
while [ "$#" -gt 0 ] && [ "$1" != "--" ]; do
	n=$((n + 1))
	eval "re_$n=\$1"
	shift
done
[ "$1" = "--" ] || { echo "expect_run.sh: missing --" >&2; exit 2; }
shift
out=$("$@" 2>&1)
rc=$?
printf '%s\n' "$out"
if [ "$rc" -ne "$rc_want" ]; then
	echo "FAIL: exit status $rc, expected $rc_want" >&2
	exit 1
fi
i=1
while [ "$i" -le "$n" ]; do
	eval "re=\$re_$i"
	if ! printf '%s\n' "$out" | grep -Eq -- "$re"; then
		echo "FAIL: output does not match: $re" >&2
		exit 1
	fi
	i=$((i + 1))
done
echo "PASS: exit status $rc and $n pattern(s) matched"
