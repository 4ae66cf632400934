/* SPDX-License-Identifier: BSD-2-Clause */
/* The map's events: an auditable map emits one OK event per successful
 * write and none for refused or no-op calls; the high watermark fires once
 * per upward crossing; every -E2BIG is an event; a type mismatch is refused
 * with an event. Counts of events equal counts of operations. Events are
 * emitted with no lock held (another thread can read the key meanwhile). */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "../testutil.h"

#define MAXEV 4096

struct rec {
	enum safemap_op op;
	enum safemap_reason reason;
	int result;
	uint64_t key;
	bool has_key;
	uint64_t count, limit;
};

struct log {
	int n;
	struct rec ev[MAXEV];
	int by_reason[SAFEMAP_REASON_MAX];
	struct safemap *m;     /* for the lock probe */
	bool probe;
	int probes_ok;
};

static void *probe_get(void *arg)
{
	struct log *l = arg;
	uint64_t k = l->ev[l->n - 1].key, v;

	safemap_get(l->m, &k, &v); /* blocks if the emitter holds the shard lock */
	return NULL;
}

static void sink(const struct safemap_event *ev, void *ctx)
{
	struct log *l = ctx;
	struct rec *r = &l->ev[l->n++];
	char line[512];

	ck_assert_int_lt(l->n, MAXEV);
	ck_assert_uint_eq(ev->sz, sizeof(*ev));
	ck_assert_int_eq(ev->source, SAFEMAP_SRC_MAP);
	ck_assert_str_eq(ev->map_name, "ev");
	ck_assert_ptr_nonnull(ev->detail);
	ck_assert_int_gt(safemap_event_format(ev, line, sizeof(line)), 0);
	r->op = ev->op;
	r->reason = ev->reason;
	r->result = ev->result;
	r->has_key = ev->key != NULL;
	if (ev->key) {
		ck_assert_uint_eq(ev->key_size, 8);
		memcpy(&r->key, ev->key, 8);
	}
	r->count = ev->count;
	r->limit = ev->limit;
	l->by_reason[ev->reason]++;
	if (l->probe && ev->key) {
		pthread_t t;
		struct timespec ts;

		pthread_create(&t, NULL, probe_get, l);
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 5;
		ck_assert_msg(pthread_timedjoin_np(t, NULL, &ts) == 0,
			      "event emitted with the shard lock held");
		l->probes_ok++;
	}
}

static struct safemap *ev_map(struct log *l, size_t max, size_t wm, unsigned flags)
{
	SAFEMAP_OPTS(safemap_opts, o, .name = "ev", .key_size = 8, .value_size = 8,
		     .shards = 4, .max_entries = max, .high_watermark = wm, .event_flags = flags,
		     .event_fn = sink, .event_ctx = l);
	struct safemap *m = NULL;

	memset(l, 0, sizeof(*l));
	ck_assert_int_eq(safemap_create(&o, &m), 0);
	l->m = m;
	return m;
}

static int set_cb(const void *key, void *value, bool present, void *ctx)
{
	int *act = ctx;

	*(uint64_t *)value += 1;
	return *act;
}

static int put(struct safemap *m, uint64_t k, unsigned flags)
{
	return safemap_put(m, &k, &k, flags);
}

static int del(struct safemap *m, uint64_t k)
{
	return safemap_delete(m, &k);
}

static struct log L;

START_TEST(auditable_map_one_event_per_write)
{
	struct safemap *m = ev_map(&L, 0, 0, SAFEMAP_EVENTS_WRITES);
	uint64_t k, exp, des;
	int writes = 0, act, i;

	L.probe = true;
	/* successful writes */
	writes += put(m, 1, SAFEMAP_NOEXIST) == 0;       /* insert */
	writes += put(m, 1, SAFEMAP_ANY) == 0;           /* replace */
	writes += put(m, 2, SAFEMAP_ANY) == 0;
	writes += del(m, 2) == 0;
	act = SAFEMAP_UPDATE_STORE;
	k = 3;
	writes += safemap_update(m, &k, set_cb, &act, 0) == 0; /* creates */
	writes += safemap_update(m, &k, set_cb, &act, 0) == 0; /* changes */
	exp = 1;
	des = 10;
	k = 1;
	writes += safemap_cas(m, &k, &exp, &des) == 0;
	ck_assert_int_eq(writes, 7);
	ck_assert_int_eq(L.n, 7);
	/* refused or no-op calls: no OK event */
	ck_assert_int_eq(put(m, 1, SAFEMAP_NOEXIST), -EEXIST);
	ck_assert_int_eq(put(m, 9, SAFEMAP_EXIST), -ENOENT);
	ck_assert_int_eq(del(m, 9), -ENOENT);
	act = SAFEMAP_UPDATE_NONE;
	ck_assert_int_eq(safemap_update(m, &k, set_cb, &act, 0), 0);
	act = SAFEMAP_UPDATE_DELETE;
	k = 9;
	ck_assert_int_eq(safemap_update(m, &k, set_cb, &act, 0), 0); /* absent: nothing */
	act = -EPERM;
	ck_assert_int_eq(safemap_update(m, &k, set_cb, &act, 0), -EPERM);
	exp = 12345;
	k = 1;
	ck_assert_int_eq(safemap_cas(m, &k, &exp, &des), -EAGAIN);
	ck_assert_int_eq(L.n, 7);
	/* delete through update, then clear: one event each */
	act = SAFEMAP_UPDATE_DELETE;
	k = 3;
	ck_assert_int_eq(safemap_update(m, &k, set_cb, &act, 0), 0);
	ck_assert_int_eq(safemap_clear(m), 0);
	ck_assert_int_eq(L.n, 9);
	ck_assert_int_eq(L.by_reason[SAFEMAP_REASON_OK], 9);
	{
		static const enum safemap_op ops[] = { SAFEMAP_OP_PUT, SAFEMAP_OP_PUT,
			SAFEMAP_OP_PUT, SAFEMAP_OP_DELETE, SAFEMAP_OP_UPDATE, SAFEMAP_OP_UPDATE,
			SAFEMAP_OP_CAS, SAFEMAP_OP_UPDATE, SAFEMAP_OP_CLEAR };
		static const uint64_t keys[] = { 1, 1, 2, 2, 3, 3, 1, 3, 0 };

		for (i = 0; i < 9; i++) {
			ck_assert_int_eq(L.ev[i].op, ops[i]);
			ck_assert_int_eq(L.ev[i].result, 0);
			ck_assert_int_eq(L.ev[i].has_key, i < 8);
			if (i < 8)
				ck_assert_uint_eq(L.ev[i].key, keys[i]);
		}
		ck_assert_uint_eq(L.ev[8].count, 1); /* clear removed 1 entry */
	}
	ck_assert_int_eq(L.probes_ok, 8);
	safemap_destroy(m);
}
END_TEST

START_TEST(plain_map_no_write_events)
{
	struct safemap *m = ev_map(&L, 0, 0, 0);
	uint64_t k;

	for (k = 0; k < 100; k++)
		ck_assert_int_eq(put(m, k, 0), 0);
	for (k = 0; k < 100; k += 2)
		ck_assert_int_eq(del(m, k), 0);
	ck_assert_int_eq(safemap_clear(m), 0);
	ck_assert_int_eq(L.n, 0);
	safemap_destroy(m);
}
END_TEST

START_TEST(watermark_and_full_events)
{
	struct safemap *m = ev_map(&L, 10, 0, 0); /* watermark 9 = 90% of 10 */
	int full = 0, act = SAFEMAP_UPDATE_STORE;
	uint64_t k;

	L.probe = true;
	for (k = 0; k < 8; k++)
		ck_assert_int_eq(put(m, k, 0), 0);
	ck_assert_int_eq(L.n, 0);
	ck_assert_int_eq(put(m, 8, 0), 0); /* 9 entries: crossing 1 */
	ck_assert_int_eq(L.n, 1);
	ck_assert_int_eq(L.ev[0].reason, SAFEMAP_REASON_WATERMARK);
	ck_assert_int_eq(L.ev[0].op, SAFEMAP_OP_PUT);
	ck_assert_int_eq(L.ev[0].result, 0);
	ck_assert_uint_eq(L.ev[0].count, 9);
	ck_assert_uint_eq(L.ev[0].limit, 10);
	ck_assert_uint_eq(L.ev[0].key, 8);
	ck_assert_int_eq(put(m, 9, 0), 0); /* 10: above, no new crossing */
	for (k = 10; k < 15; k++)
		full += put(m, k, SAFEMAP_NOEXIST) == -E2BIG;
	k = 20;
	full += safemap_update(m, &k, set_cb, &act, 0) == -E2BIG;
	ck_assert_int_eq(full, 6);
	ck_assert_int_eq(L.by_reason[SAFEMAP_REASON_FULL], full);
	ck_assert_int_eq(L.by_reason[SAFEMAP_REASON_WATERMARK], 1);
	/* down to 8 and up again: crossing 2 (through update this time) */
	ck_assert_int_eq(del(m, 0), 0);
	ck_assert_int_eq(del(m, 1), 0);
	ck_assert_int_eq(del(m, 2), 0); /* 7 */
	ck_assert_int_eq(put(m, 0, 0), 0); /* 8 */
	ck_assert_int_eq(L.by_reason[SAFEMAP_REASON_WATERMARK], 1);
	k = 1;
	ck_assert_int_eq(safemap_update(m, &k, set_cb, &act, 0), 0); /* 9 */
	ck_assert_int_eq(L.by_reason[SAFEMAP_REASON_WATERMARK], 2);
	ck_assert_int_eq(L.ev[L.n - 1].op, SAFEMAP_OP_UPDATE);
	/* 9 -> 8 -> 9 is a crossing as well; 9 -> 10 -> 9 is not */
	ck_assert_int_eq(put(m, 2, 0), 0); /* 10 */
	ck_assert_int_eq(del(m, 2), 0);    /* 9 */
	ck_assert_int_eq(put(m, 2, 0), 0); /* 10 */
	ck_assert_int_eq(L.by_reason[SAFEMAP_REASON_WATERMARK], 2);
	ck_assert_int_eq(del(m, 2), 0);    /* 9 */
	ck_assert_int_eq(del(m, 3), 0);    /* 8 */
	ck_assert_int_eq(put(m, 3, 0), 0); /* 9: crossing 3 */
	ck_assert_int_eq(L.by_reason[SAFEMAP_REASON_WATERMARK], 3);
	/* clear, refill: crossing 4 */
	ck_assert_int_eq(safemap_clear(m), 0);
	for (k = 100; k < 110; k++)
		ck_assert_int_eq(put(m, k, 0), 0);
	ck_assert_int_eq(L.by_reason[SAFEMAP_REASON_WATERMARK], 4);
	ck_assert_int_eq(put(m, 1000, 0), -E2BIG);
	ck_assert_int_eq(L.by_reason[SAFEMAP_REASON_FULL], full + 1);
	ck_assert_int_eq(L.n, 4 + full + 1);
	ck_assert_int_eq(L.probes_ok, L.n);
	safemap_destroy(m);
}
END_TEST

START_TEST(watermark_configured)
{
	struct safemap *m = ev_map(&L, 100, 3, 0);
	uint64_t k;

	for (k = 0; k < 100; k++)
		ck_assert_int_eq(put(m, k, 0), 0);
	ck_assert_int_eq(L.n, 1);
	ck_assert_uint_eq(L.ev[0].count, 3);
	ck_assert_uint_eq(L.ev[0].key, 2);
	safemap_destroy(m);
	m = ev_map(&L, 100, 101, 0); /* above max_entries: never */
	for (k = 0; k < 101; k++)
		put(m, k, 0);
	ck_assert_int_eq(L.n, 1);
	ck_assert_int_eq(L.ev[0].reason, SAFEMAP_REASON_FULL);
	safemap_destroy(m);
	m = ev_map(&L, 1024, 0, 0); /* default: ceil(0.9 * 1024) = 922 */
	for (k = 0; k < 922; k++)
		ck_assert_int_eq(put(m, k, 0), 0);
	ck_assert_int_eq(L.n, 1);
	ck_assert_uint_eq(L.ev[0].count, 922);
	ck_assert_uint_eq(L.ev[0].key, 921);
	safemap_destroy(m);
}
END_TEST

START_TEST(type_mismatch_events)
{
	SAFEMAP_OPTS(safemap_type, t, .key_type = "uint64_t", .value_type = "struct stats");
	SAFEMAP_OPTS(safemap_opts, o, .name = "ev", .key_size = 8, .value_size = 16, .type = &t,
		     .event_fn = sink, .event_ctx = &L);
	struct safemap *m = NULL, *u = NULL;
	int refused = 0;

	memset(&L, 0, sizeof(L));
	ck_assert_int_eq(safemap_create(&o, &m), 0);
	ck_assert_int_eq(safemap_check_type(m, 8, 16, "uint64_t", "struct stats"), 0);
	ck_assert_int_eq(safemap_check_type(m, 8, 16, NULL, NULL), 0); /* sizes only */
	refused += safemap_check_type(m, 8, 8, "uint64_t", "struct stats") == -EINVAL;
	ck_assert_ptr_nonnull(strstr(safemap_last_error(), "struct stats (16 bytes)"));
	refused += safemap_check_type(m, 4, 16, "uint64_t", "struct stats") == -EINVAL;
	refused += safemap_check_type(m, 8, 16, "int64_t", "struct stats") == -EINVAL;
	refused += safemap_check_type(m, 8, 16, "uint64_t", "struct other") == -EINVAL;
	ck_assert_ptr_nonnull(strstr(safemap_last_error(), "not uint64_t (8 bytes) -> struct other (16 bytes)"));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(refused, 4);
	ck_assert_int_eq(L.by_reason[SAFEMAP_REASON_TYPE_MISMATCH], refused);
	ck_assert_int_eq(L.n, refused);
	ck_assert_int_eq(L.ev[0].op, SAFEMAP_OP_OPEN);
	ck_assert_int_eq(L.ev[0].result, -EINVAL);
	/* an untyped map checks sizes only */
	o.type = NULL;
	ck_assert_int_eq(safemap_create(&o, &u), 0);
	ck_assert_int_eq(safemap_check_type(u, 8, 16, "anything", "at all"), 0);
	ck_assert_int_eq(safemap_check_type(u, 8, 17, "anything", "at all"), -EINVAL);
	ck_assert_int_eq(L.n, refused + 1);
	ck_assert_int_eq(safemap_check_type(NULL, 8, 16, NULL, NULL), -EINVAL);
	safemap_destroy(u);
	safemap_destroy(m);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("events");
	TCase *tc = tcase_create("events");

	tcase_add_test(tc, auditable_map_one_event_per_write);
	tcase_add_test(tc, plain_map_no_write_events);
	tcase_add_test(tc, watermark_and_full_events);
	tcase_add_test(tc, watermark_configured);
	tcase_add_test(tc, type_mismatch_events);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
