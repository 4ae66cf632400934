#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The soak (issue 14, part 5; ctest label soak): safemapctl metrics
# --listen --audit for $SAFEMAP_SOAK_SECONDS (default 120; the CI length)
# under illegal writes, map churn and scrapes; soak.py samples RSS, fds and
# BPF objects and checks that reports + lost == writes.
# usage: test_soak.sh SAFEMAPCTL RAW_WRITER [SECONDS]
source "$(dirname "$0")/lib.sh"
ctl=$1 writer=$2 seconds=${3:-${SAFEMAP_SOAK_SECONDS:-120}}
t_require_root
command -v python3 >/dev/null || t_fail "python3 missing (Debian package python3)"

prefix=/sys/fs/bpf/safemapctl_test_$$_soak
T_PINS+=("${prefix}_guard" "${prefix}_churn" "${prefix}_churn_new")
python3 "$(dirname "$0")/soak.py" "$ctl" "$writer" "$prefix" "$seconds" ||
	t_fail "soak of $seconds s (exit $?)"
echo "1 passed, 0 failed"
