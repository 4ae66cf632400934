#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Deterministic per-key costs of single calls against batch calls at 1
# thread: callgrind with its cache simulator (the same caches as cg.sh: D1
# 48 KiB, LL 32 MiB), counting only inside bench_batch's timed loop (run(),
# no warm-up pass, so the prefill alone warms the simulated caches).
# Callgrind counts instructions and misses, not their latency, and ignores
# prefetch instructions: the batch's overlap of misses does not show here,
# its extra instructions and any extra misses do.
# usage: bench/cg_batch.sh BUILD_DIR [ENTRIES] [KEYS] [SIZES] [KIND]
#   defaults: 1000000 entries, 200000 keys, sizes "1 64", kind get (or put);
#   CG_ARGS: more bench_batch options (e.g. --stagger-alloc)
set -euo pipefail
b=$1 entries=${2:-1000000} keys=${3:-200000} sizes=${4:-1 64} kind=${5:-get}
for size in $sizes; do
	out=/tmp/cg_batch.$$.$size
	valgrind --tool=callgrind --cache-sim=yes --D1=49152,12,64 --LL=33554432,16,64 \
		--toggle-collect=run --callgrind-out-file=$out \
		"$b/bench/bench_batch" --entries "$entries" --ops "$keys" --reps 1 --threads 1 \
		--sizes "$size" --kind "$kind" --small no --warmup no ${CG_ARGS:-} >/dev/null 2>&1
	# event order of the totals line: Ir I1mr ILmr Dr D1mr DLmr Dw D1mw DLmw
	callgrind_annotate --show=Ir,D1mr,D1mw,DLmr,DLmw $out 2>/dev/null |
		awk -v n="$keys" -v s="$size" -v k="$kind" -v e="$entries" '/PROGRAM TOTALS/ && !done {
		gsub(",", ""); gsub(/\([^)]*\)/, "");
		printf "%-4s %8s entries  %-12s Ir/key %7.1f  D1miss/key %5.2f  LLmiss/key %5.2f\n",
			k, e, (s == 1 ? "single" : "batch " s), $1 / n, ($2 + $3) / n, ($4 + $5) / n
		done = 1 }'
	rm -f $out
done
