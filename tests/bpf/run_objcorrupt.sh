#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# run_objcorrupt.sh BUILD_DIR OBJCORRUPT SAFEMAPCTL: the corruption corpus
# over every BPF object the build made (tests, examples, the audit probe,
# the benchmark's): 36 byte-flipped copies per object and target (uniform,
# .BTF, .BTF.ext, section headers, .symtab), scaled by $SAFEMAP_TEST_SCALE,
# each run through `safemapctl check`. Fails if any crashed or hung.
set -eu
build=$1 objcorrupt=$2 safemapctl=$3
objs=$(find "$build" -name '*.bpf.o' -type f | sort)
[ -n "$objs" ] || { echo "no BPF objects under $build" >&2; exit 1; }
# under the sanitizers a report must end the run as a signal, not exit 1
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}abort_on_error=1"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}halt_on_error=1:abort_on_error=1"
per=$(awk -v s="${SAFEMAP_TEST_SCALE:-1}" 'BEGIN { n = int(36 * s); print n < 4 ? 4 : n }')
# shellcheck disable=SC2086 # one word per object
exec "$objcorrupt" --per "$per" --seed "${SAFEMAP_CORRUPT_SEED:-1}" $objs -- "$safemapctl" check
