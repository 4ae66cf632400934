#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# run_bpf_program.sh PROGRAM [ARGS...]: run a program that exits 77 when the
# kernel refuses BPF (an example, a benchmark); with SAFEMAP_REQUIRE_BPF=1
# that refusal is a failure, as for the Check-based BPF tests.
"$@"
rc=$?
if [ "$rc" -eq 77 ] && [ "${SAFEMAP_REQUIRE_BPF:-0}" = 1 ]; then
	echo "FAIL: $1: the kernel refused BPF and SAFEMAP_REQUIRE_BPF=1" >&2
	exit 1
fi
exit "$rc"
