#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Shared by the shell tests of the demo agent and safemapctl (label bpf):
# the root gate, assertions, bpffs maps made with bpftool, cleanup.
set -euo pipefail

T_NAME=$(basename "$0" .sh)
T_TMP=$(mktemp -d "/tmp/${T_NAME}.XXXXXX")
T_PINS=()
T_PIDS=()

t_cleanup() {
	local p
	for p in "${T_PIDS[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
	for p in "${T_PINS[@]}"; do rm -f "$p"; done
	rm -rf "$T_TMP"
}
trap t_cleanup EXIT

t_fail() {
	echo "FAIL: $T_NAME: $*" >&2
	exit 1
}

t_ok() { echo "ok: $*"; }

# Skip (exit 77) unless root, or fail when SAFEMAP_REQUIRE_BPF=1 (CI).
t_require_root() {
	[ "$(id -u)" -eq 0 ] && return 0
	if [ "${SAFEMAP_REQUIRE_BPF:-}" = 1 ]; then
		t_fail "needs root and SAFEMAP_REQUIRE_BPF=1"
	fi
	echo "SKIP: $T_NAME: needs root (SAFEMAP_REQUIRE_BPF=1 turns this into a failure)" >&2
	exit 77
}

# t_expect FILE REGEX WHAT: FILE has a line matching the extended REGEX.
t_expect() {
	grep -Eq -- "$2" "$1" || { echo "--- $1:" >&2; cat "$1" >&2; t_fail "$3: no line matches /$2/"; }
	t_ok "$3"
}

# t_hash_map NAME MAX: a hash map (key 4, value 8 bytes) pinned under
# /sys/fs/bpf, unpinned at exit; its path in T_PIN. (Not in a $(...): the
# cleanup list must be this shell's.)
t_hash_map() {
	T_PIN=/sys/fs/bpf/safemapctl_test_$$_$1
	T_PINS+=("$T_PIN")
	bpftool map create "$T_PIN" type hash key 4 value 8 entries "$2" name "$1" >/dev/null ||
		t_fail "bpftool map create $1"
}

# t_put PIN KEY: insert KEY (a small integer) with value 1, from bpftool.
t_put() {
	local k=$2
	bpftool map update pinned "$1" key $((k & 255)) $(((k >> 8) & 255)) 0 0 \
		value 1 0 0 0 0 0 0 0 >/dev/null || t_fail "bpftool map update $1 key $k"
}

# t_put_bg PIN KEY: as t_put, as a background process of the caller's
# shell: $! is then bpftool's own pid (the writer the audit names).
t_put_bg() {
	local k=$2
	bpftool map update pinned "$1" key $((k & 255)) $(((k >> 8) & 255)) 0 0 \
		value 1 0 0 0 0 0 0 0 >/dev/null &
}

# t_map_id PIN: the kernel id of the pinned map.
t_map_id() {
	bpftool -j map show pinned "$1" | jq -r .id
}

# t_wait_line FILE REGEX SECONDS: wait for a line in a growing file.
t_wait_line() {
	local i
	for ((i = 0; i < $3 * 20; i++)); do
		grep -Eq -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	echo "--- $1:" >&2
	cat "$1" >&2 || true
	t_fail "waited $3 s for /$2/"
}
