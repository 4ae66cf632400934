/* SPDX-License-Identifier: BSD-2-Clause */
/* A map that survives a restart: load the counters saved by the previous
 * run (if any), count N more events per key, save them again.
 *
 *   example_persist STATE_FILE [ROUNDS]
 *
 * Each run adds ROUNDS (default 1) to each of 1000 counters; the file is
 * replaced crash-consistently, so a kill at any moment leaves the previous
 * run's counts or this run's. Prints the counts it found and left; exits 1
 * if the loaded counters differ from each other (every run adds to all). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <safemap/safemap.h>

struct counter_key { uint32_t id; };
struct counter { uint64_t events; uint64_t runs; };

#define KEYS 1000

int main(int argc, char **argv)
{
	SAFEMAP_OPTS(safemap_type, type, .key_type = "struct counter_key",
		     .value_type = "struct counter");
	SAFEMAP_OPTS(safemap_opts, o, .name = "counters", .key_size = sizeof(struct counter_key),
		     .value_size = sizeof(struct counter), .type = &type);
	SAFEMAP_OPTS(safemap_save_opts, so, .compression = 1);
	struct safemap_snap *snap = NULL;
	struct safemap *m = NULL;
	struct counter c, first = { 0, 0 };
	uint64_t rounds = argc > 2 ? strtoull(argv[2], NULL, 10) : 1;
	uint32_t i;
	int err;

	if (argc < 2 || argc > 3 || !rounds) {
		fprintf(stderr, "usage: example_persist STATE_FILE [ROUNDS]\n");
		return 2;
	}
	if (safemap_create(&o, &m))
		return 1;
	err = safemap_load(m, argv[1], NULL); /* all or nothing */
	if (err && err != -ENOENT) {
		fprintf(stderr, "example_persist: %s\n", safemap_last_error());
		safemap_destroy(m);
		return 1;
	}
	printf("loaded %zu counters%s\n", safemap_count(m), err ? " (no state file yet)" : "");
	for (i = 0; i < KEYS; i++) {
		struct counter_key k = { i };

		safemap_get(m, &k, &c); /* zeroes when absent */
		if (i == 0)
			first = c;
		if (c.events != first.events || c.runs != first.runs) {
			fprintf(stderr, "example_persist: counter %u differs from counter 0\n", i);
			safemap_destroy(m);
			return 1;
		}
		c.events += rounds;
		c.runs += 1;
		safemap_put(m, &k, &c, SAFEMAP_ANY);
	}
	if (safemap_snapshot(m, &snap) || safemap_snapshot_save(snap, argv[1], &so)) {
		fprintf(stderr, "example_persist: %s\n", safemap_last_error());
		safemap_snapshot_free(snap);
		safemap_destroy(m);
		return 1;
	}
	{
		struct counter_key k = { 0 };

		safemap_get(m, &k, &c);
		printf("saved %zu counters to %s: counter 0 has %llu events over %llu runs\n",
		       safemap_snapshot_count(snap), argv[1], (unsigned long long)c.events,
		       (unsigned long long)c.runs);
	}
	safemap_snapshot_free(snap);
	safemap_destroy(m);
	return 0;
}
