#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# What scripts/demo and scripts/test share: installing what is missing from
# Debian's packages, and configuring + building one build directory.
set -euo pipefail

SAFEMAP_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export SAFEMAP_ROOT

# Packages every build needs; the tests add clang for the sanitizer builds.
# The benchmark's peers (bench/adapter_*) are built in every normal build, so
# they are part of the build deps. uthash is only a peer (and bench_maps'
# reference model) now: the library has its own table (lib/map/table.h).
SAFEMAP_BENCH_DEPS=(uthash-dev libglib2.0-dev liburcu-dev libtbb-dev libcuckoo-dev libabsl-dev)
SAFEMAP_BUILD_DEPS=(cmake make gcc g++ pkg-config check libsubunit-dev
                    libbpf-dev libelf-dev zlib1g-dev clang llvm bpftool
                    "${SAFEMAP_BENCH_DEPS[@]}")
SAFEMAP_TEST_DEPS=(clang libclang-rt-14-dev)
# safemapctl metrics --listen serves HTTP with libmicrohttpd; its tests and
# the agent's use curl, jq and promtool (in Debian's prometheus package; in
# containers without an init system its service is not started).
SAFEMAP_BUILD_DEPS+=(libmicrohttpd-dev)
SAFEMAP_TEST_DEPS+=(curl jq prometheus)
# pahole (dwarves) cross-checks the object checker's bitfield hole.
SAFEMAP_TEST_DEPS+=(dwarves)
# the pre-commit hook's test runs the pre-commit framework (and git)
SAFEMAP_TEST_DEPS+=(pre-commit git)
# issue 14's tests drive sockets, check strict UTF-8 and run the soak with
# Python's standard library
SAFEMAP_TEST_DEPS+=(python3)
# What operators run beside it, tested for real (tests/deploy, docs/):
# node_exporter's textfile collector, systemd-analyze (the unit), tmux
# (safemapctl top in a terminal), doxygen + scdoc + mandoc (reference and
# man page), lintian + dpkg-dev + file (cpack -G DEB's dpkg-shlibdeps).
SAFEMAP_TEST_DEPS+=(prometheus-node-exporter systemd tmux doxygen mandoc lintian dpkg-dev file)
# safemapctl(1) is built from docs/safemapctl.1.scd with every build
SAFEMAP_BUILD_DEPS+=(scdoc)

log() { printf '==> %s\n' "$*" >&2; }

# install_missing PKG...: apt-get install only the packages not installed yet.
install_missing() {
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	log "installing: ${missing[*]}"
	local sudo=()
	[ "$(id -u)" -eq 0 ] || sudo=(sudo)
	"${sudo[@]}" apt-get update -qq
	DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends \
		"${missing[@]}" >/dev/null
}

# build DIR [CMAKE ARGS...]: configure (once) and build into $SAFEMAP_ROOT/DIR.
build() {
	local dir=$SAFEMAP_ROOT/$1
	shift
	cmake -S "$SAFEMAP_ROOT" -B "$dir" "$@" >/dev/null
	cmake --build "$dir" -j"$(nproc)" >/dev/null
}
