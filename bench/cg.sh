#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Deterministic per-operation costs of libsafemap at 1 thread: callgrind with
# its cache simulator (D1 48 KiB, LL 32 MiB, like one Zen core and its L3),
# counting only inside the libsafemap adapter calls of bench_maps (the timed
# ops; the prefill is counted too, so read-heavy/exchange include 1M inserts
# unless --ops is large: the script subtracts a run with --ops 1).
# usage: bench/cg.sh BUILD_DIR WORKLOAD [OPS]   (prints Ir, D1 misses, LL misses per op)
set -euo pipefail
b=$1 w=$2 ops=${3:-200000}
run() { # run OPS -> "Ir D1m LLm"
	local out=/tmp/cg.$$.$1
	valgrind --tool=callgrind --cache-sim=yes --D1=49152,12,64 --LL=33554432,16,64 \
		--toggle-collect='sm_*' --callgrind-out-file=$out \
		"$b/bench/bench_maps" --maps libsafemap --threads 1 --reps 1 --ops "$1" \
		--workloads "$w" >/dev/null 2>&1
	callgrind_annotate $out 2>/dev/null | awk '/PROGRAM TOTALS/ { gsub(",", ""); print $1, $9 + $11, $15 + $17; exit }'
	rm -f $out
}
read -r i1 d1 l1 < <(run 1)
read -r i2 d2 l2 < <(run "$ops")
awk -v n="$ops" -v i1="$i1" -v i2="$i2" -v d1="$d1" -v d2="$d2" -v l1="$l1" -v l2="$l2" -v w="$w" -v b="$b" \
	'BEGIN { printf "%-22s %-18s Ir/op %7.1f  D1miss/op %5.2f  LLmiss/op %5.2f\n", b, w, (i2-i1)/n, (d2-d1)/n, (l2-l1)/n }'
