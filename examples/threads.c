/* SPDX-License-Identifier: BSD-2-Clause */
/* Several threads count "flows" into one libsafemap map, with a capacity
 * bound, and report what they did: the map a long-running agent would share
 * between its collector threads. Build: cc threads.c $(pkg-config --cflags --libs safemap) */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <safemap/safemap.h>

#define THREADS 4
#define FLOWS_PER_THREAD 20000
#define MAX_FLOWS 45000

struct flow_key {
	uint32_t saddr, daddr;
	uint16_t sport, dport;
	uint32_t proto;
};

struct flow_stats {
	uint64_t packets, bytes;
};

struct worker {
	struct safemap *flows;
	int id;
	long inserted, updated, refused;
};

static long full_events;

static void on_event(const struct safemap_event *ev, void *ctx)
{
	char line[256];

	if (ev->reason == SAFEMAP_REASON_WATERMARK) { /* 90% of max_entries reached */
		safemap_event_format(ev, line, sizeof(line));
		printf("  watermark: %s\n", line);
		return;
	}
	/* print only the first refusal; count the rest */
	if (__atomic_fetch_add(&full_events, 1, __ATOMIC_RELAXED) == 0) {
		safemap_event_format(ev, line, sizeof(line));
		printf("  first event: %s\n", line);
	}
}

static int add_packet(const void *key, void *value, bool present, void *ctx)
{
	struct flow_stats *s = value;

	s->packets++;
	s->bytes += 1500;
	return SAFEMAP_UPDATE_STORE;
}

static void *collector(void *arg)
{
	struct worker *w = arg;
	int i;

	for (i = 0; i < FLOWS_PER_THREAD; i++) {
		/* half the flows are shared by all threads, half are the thread's own */
		uint32_t flow = i % 2 ? (uint32_t)i : (uint32_t)(w->id << 20 | i);
		struct flow_key k = { .saddr = 0x0a000001, .daddr = flow, .sport = 4242,
				      .dport = 443, .proto = 6 };
		struct flow_stats s = { 1, 1500 };
		int err = safemap_put(w->flows, &k, &s, SAFEMAP_NOEXIST);

		if (!err) {
			w->inserted++;
		} else if (err == -EEXIST) {
			/* present: add to it atomically, under the shard lock */
			if (safemap_update(w->flows, &k, add_packet, NULL, SAFEMAP_EXIST) == 0)
				w->updated++;
		} else if (err == -E2BIG) {
			w->refused++;
		} else {
			fprintf(stderr, "put: %s\n", safemap_strerror(err));
			exit(1);
		}
	}
	return NULL;
}

int main(void)
{
	SAFEMAP_OPTS(safemap_opts, o, .name = "flows", .key_size = sizeof(struct flow_key),
		     .value_size = sizeof(struct flow_stats), .max_entries = MAX_FLOWS,
		     .event_fn = on_event);
	struct worker w[THREADS];
	pthread_t t[THREADS];
	struct safemap *flows;
	long inserted = 0, updated = 0, refused = 0;
	int i, err;

	printf("libsafemap %s: %d threads share map 'flows' (max_entries %d)\n",
	       safemap_version(), THREADS, MAX_FLOWS);
	err = safemap_create(&o, &flows);
	if (err) {
		fprintf(stderr, "safemap_create: %s (%s)\n", safemap_strerror(err),
			safemap_last_error());
		return 1;
	}
	for (i = 0; i < THREADS; i++) {
		w[i] = (struct worker){ .flows = flows, .id = i + 1 };
		pthread_create(&t[i], NULL, collector, &w[i]);
	}
	for (i = 0; i < THREADS; i++) {
		pthread_join(t[i], NULL);
		printf("  thread %d: %ld new flows, %ld updates, %ld refused (map full)\n",
		       w[i].id, w[i].inserted, w[i].updated, w[i].refused);
		inserted += w[i].inserted;
		updated += w[i].updated;
		refused += w[i].refused;
	}
	printf("map 'flows': %zu entries in %u shards; %ld inserts, %ld updates, %ld refused, %ld capacity events\n",
	       safemap_count(flows), safemap_shard_count(flows), inserted, updated, refused,
	       full_events);
	err = (size_t)inserted == safemap_count(flows) && refused == full_events ? 0 : 1;
	printf("%s\n", err ? "MISMATCH: count != inserts" : "count == inserts: nothing lost");
	safemap_destroy(flows);
	return err;
}
