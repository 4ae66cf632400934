/* SPDX-License-Identifier: BSD-2-Clause */
/* The typed layer and the map's events: a flow table declared with
 * SAFEMAP_DEFINE_TYPED (a wrong key or value type does not compile), made
 * auditable (one event per write), with a capacity bound that reports the
 * high-watermark crossing and every refused insert, and a view for the
 * wrong types refused at run time.
 * Build: cc typed.c $(pkg-config --cflags --libs safemap) */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>

#include <safemap/safemap.h>

struct flow_key {
	uint32_t saddr, daddr;
	uint16_t sport, dport;
	uint32_t proto;
};

struct flow_stats {
	uint64_t packets, bytes;
};

/* flows_create, flows_put, flows_get, flows_update, flows_cas, ... */
SAFEMAP_DEFINE_TYPED(flows, struct flow_key, struct flow_stats);
/* a view for other types, to show the run-time check */
SAFEMAP_DEFINE_TYPED(counters, uint64_t, uint64_t);

static long events[SAFEMAP_REASON_MAX];

static void on_event(const struct safemap_event *ev, void *ctx)
{
	char line[320];

	/* print all but the routine per-write audit records */
	if (ev->reason != SAFEMAP_REASON_OK || events[SAFEMAP_REASON_OK] < 2) {
		safemap_event_format(ev, line, sizeof(line));
		printf("  event: %s\n", line);
	}
	events[ev->reason]++;
}

/* one packet of @p ctx bytes: create the flow or add to it, atomically */
static int count_packet(const struct flow_key *k, struct flow_stats *s, bool present, void *ctx)
{
	s->packets++;
	s->bytes += *(const uint64_t *)ctx;
	return SAFEMAP_UPDATE_STORE;
}

int main(void)
{
	SAFEMAP_OPTS(safemap_opts, o, .name = "flows", .max_entries = 10,
		     .event_fn = on_event, .event_flags = SAFEMAP_EVENTS_WRITES);
	struct flow_stats st;
	struct counters *wrong;
	struct flows *f;
	long writes = 0, refused = 0;
	uint64_t bytes = 1500;
	uint32_t i;
	int err;

	err = flows_create(&o, &f); /* key/value sizes and type names filled in */
	if (err) {
		fprintf(stderr, "flows_create: %s (%s)\n", safemap_strerror(err), safemap_last_error());
		return 1;
	}
	printf("map 'flows': struct flow_key -> struct flow_stats, max_entries 10, auditable\n");
	for (i = 0; i < 12; i++) {
		struct flow_key k = { 0x0a000001, 0x0a000100 + i, 40000, 443, 6 };

		/* flows_update(f, &i, ...) would not compile: &i is not a struct flow_key * */
		err = flows_update(f, &k, count_packet, &bytes, SAFEMAP_ANY);
		if (!err)
			writes++;
		else if (err == -E2BIG)
			refused++;
		else
			fprintf(stderr, "update: %s\n", safemap_strerror(err));
	}
	struct flow_key k0 = { 0x0a000001, 0x0a000100, 40000, 443, 6 };
	flows_get(f, &k0, &st);
	printf("flow 0: %llu packets, %llu bytes; %zu flows\n", (unsigned long long)st.packets,
	       (unsigned long long)st.bytes, flows_count(f));

	/* someone hands us the generic map and thinks it counts uint64_t */
	err = counters_attach(flows_map(f), &wrong);
	printf("counters_attach on 'flows': %s\n  detail: %s\n", safemap_strerror(err),
	       safemap_last_error());

	printf("events: %ld ok (writes %ld), %ld watermark, %ld full (refused %ld), %ld type mismatch\n",
	       events[SAFEMAP_REASON_OK], writes, events[SAFEMAP_REASON_WATERMARK],
	       events[SAFEMAP_REASON_FULL], refused, events[SAFEMAP_REASON_TYPE_MISMATCH]);
	err = events[SAFEMAP_REASON_OK] == writes && events[SAFEMAP_REASON_FULL] == refused &&
	      events[SAFEMAP_REASON_WATERMARK] == 1 && events[SAFEMAP_REASON_TYPE_MISMATCH] == 1 &&
	      err == -EINVAL ? 0 : 1;
	printf("%s\n", err ? "MISMATCH" : "one event per write, per refusal, per crossing");
	flows_destroy(f);
	return err;
}
