/* SPDX-License-Identifier: BSD-2-Clause */
/* Walks, snapshots, freeze and metrics: a worker thread counts flows while
 * the main thread reports a consistent snapshot, then freezes the map and
 * prints its Prometheus text. Build: cc walk_and_metrics.c $(pkg-config
 * --cflags --libs safemap) */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <safemap/safemap.h>

struct flow { uint32_t src, dst; };
struct stats { uint64_t packets, bytes; };

static int sum_bytes(const void *key, const void *value, void *ctx)
{
	const struct stats *st = value;

	(void)key;
	*(uint64_t *)ctx += st->bytes;
	return 0;
}

static int try_write_inside(const void *key, const void *value, void *ctx)
{
	struct safemap *m = ctx;
	int err = safemap_delete(m, key); /* would deadlock: refused at once */

	(void)value;
	printf("delete from inside foreach: %d (%s)\n", err, safemap_strerror(err));
	return 1; /* stop the walk */
}

static void *worker(void *arg)
{
	struct safemap *m = arg;
	uint32_t i;

	for (i = 0; i < 100000; i++) {
		struct flow k = { i % 500, 80 };
		struct stats st = { 0 };

		safemap_get(m, &k, &st); /* -ENOENT zero-fills st */
		st.packets++;
		st.bytes += 1500;
		if (safemap_put(m, &k, &st, SAFEMAP_ANY) == -EPERM)
			break; /* frozen */
	}
	return NULL;
}

int main(void)
{
	SAFEMAP_OPTS(safemap_opts, o, .name = "flows", .key_size = sizeof(struct flow),
		     .value_size = sizeof(struct stats), .max_entries = 1024,
		     .delete_latency = true);
	struct safemap *m;
	struct safemap_snap *snap;
	uint64_t bytes = 0;
	pthread_t t;
	char text[8192];
	int n;

	if (safemap_create(&o, &m))
		return 1;
	pthread_create(&t, NULL, worker, m);
	while (safemap_count(m) < 100)
		sched_yield();
	/* while the worker writes: one instant across all shards, read without locks afterwards */
	if (safemap_snapshot(m, &snap) == 0) {
		safemap_snapshot_foreach(snap, sum_bytes, &bytes);
		printf("snapshot: %zu flows, %llu bytes\n", safemap_snapshot_count(snap),
		       (unsigned long long)bytes);
		safemap_snapshot_free(snap);
	}
	pthread_join(t, NULL);
	safemap_foreach(m, try_write_inside, m);
	safemap_freeze(m);
	printf("after freeze: put -> %d, frozen=%d\n",
	       safemap_put(m, &(struct flow){ 1, 1 }, &(struct stats){ 0 }, SAFEMAP_ANY),
	       safemap_is_frozen(m));
	n = safemap_metrics_write_prometheus(&m, 1, text, sizeof(text));
	if (n >= 0 && (size_t)n < sizeof(text))
		fputs(text, stdout);
	safemap_destroy(m);
	return 0;
}
