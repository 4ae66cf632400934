/* SPDX-License-Identifier: BSD-2-Clause */
/* The workloads: conc-map-bench's three mixes, each over a large table that
 * misses cache (1M keys of a 2M key space) and a small one that fits
 * (10k of 20k). Keys are uniform indices scrambled by splitmix64 (a
 * bijection, so distinct indices are distinct keys). */
#include <errno.h>
#include <stdlib.h>

#include "bench_maps.h"

#define LARGE 2000000
#define SMALL 20000

/*                                       get ins  del  upd   key space  prefill */
const struct bench_workload bench_workloads[BENCH_NWORKLOADS] = {
	{ "read-heavy", { 98, 1, 1, 0 }, LARGE, LARGE / 2 },
	{ "exchange", { 10, 40, 40, 10 }, LARGE, LARGE / 2 },
	{ "rapid-grow", { 5, 80, 5, 10 }, LARGE, 0 },
	{ "read-heavy-small", { 98, 1, 1, 0 }, SMALL, SMALL / 2 },
	{ "exchange-small", { 10, 40, 40, 10 }, SMALL, SMALL / 2 },
	{ "rapid-grow-small", { 5, 80, 5, 10 }, SMALL, 0 },
};

static uint64_t splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

uint64_t bench_key(uint64_t index)
{
	uint64_t s = index;

	return splitmix64(&s);
}

int bench_stream_make(struct bench_stream *s, const struct bench_workload *w, size_t n,
		      uint64_t seed)
{
	uint8_t kind_of[100];
	size_t i, p = 0;
	int k;

	*s = (struct bench_stream){ .n = n };
	s->key = malloc(n * sizeof(*s->key));
	s->op = malloc(n);
	if (!s->key || !s->op) {
		bench_stream_free(s);
		return -ENOMEM;
	}
	for (k = 0; k < OP_COUNT; k++)
		for (i = 0; i < w->percent[k] && p < 100; i++)
			kind_of[p++] = (uint8_t)k;
	while (p < 100)
		kind_of[p++] = OP_GET;
	seed = seed * 0x9e3779b97f4a7c15ull + 1;
	for (i = 0; i < n; i++) {
		uint64_t r = splitmix64(&seed);
		uint64_t index = (uint64_t)(((unsigned __int128)r * w->key_space) >> 64);

		s->key[i] = bench_key(index);
		s->op[i] = kind_of[splitmix64(&seed) % 100];
		s->of_kind[s->op[i]]++;
	}
	return 0;
}

void bench_stream_free(struct bench_stream *s)
{
	free(s->key);
	free(s->op);
	s->key = NULL;
	s->op = NULL;
}
