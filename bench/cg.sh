#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Deterministic per-operation costs of libsafemap at 1 thread: callgrind with
# its cache simulator (D1 48 KiB, LL 32 MiB, like one Zen core and its L3),
# counting only inside bench_maps' worker threads (the timed ops, not the
# prefill; the bench loop itself adds about 20 Ir per op). One map, one
# process (--isolate no: a forked child's profile would be overwritten by
# its parent's, written to the same file at its exit).
# usage: bench/cg.sh BUILD_DIR WORKLOAD [OPS]   (prints Ir, D1 misses, LL misses per op)
# CG_MAP=name picks another map, CG_PRESIZE=yes creates it sized for the key space.
set -euo pipefail
b=$1 w=$2 ops=${3:-200000}
out=/tmp/cg.$$
valgrind --tool=callgrind --cache-sim=yes --D1=49152,12,64 --LL=33554432,16,64 \
	--toggle-collect=worker_main --callgrind-out-file=$out \
	"$b/bench/bench_maps" --maps "${CG_MAP:-libsafemap}" --threads 1 --reps 1 --ops "$ops" \
	--workloads "$w" --presize "${CG_PRESIZE:-no}" --memory no --isolate no >/dev/null 2>&1
callgrind_annotate $out 2>/dev/null | awk -v n="$ops" -v w="$w" -v b="$b" '/PROGRAM TOTALS/ {
	gsub(",", "");
	printf "%-22s %-18s Ir/op %7.1f  D1miss/op %5.2f  LLmiss/op %5.2f\n", b, w, $1 / n, ($9 + $11) / n, ($15 + $17) / n
	exit }'
rm -f $out
