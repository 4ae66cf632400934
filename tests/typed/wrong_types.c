/* SPDX-License-Identifier: BSD-2-Clause */
/* Compiled by tests/typed/compile.cmake, once per CASE: CASE 0 (the right
 * types) must compile; every other case passes a wrong key or value type
 * to a typed wrapper and must NOT compile. Also compiled as C++. */
#include <stdint.h>

#include <safemap/typed.h>

struct flow_key {
	uint32_t saddr, daddr;
};

struct flow_stats {
	uint64_t packets, bytes;
};

SAFEMAP_DEFINE_TYPED(flows, struct flow_key, struct flow_stats);
SAFEMAP_DEFINE_TYPED(counters, uint64_t, uint64_t);

static int cb(const struct flow_key *k, struct flow_stats *v, bool present, void *ctx)
{
	(void)k, (void)v, (void)present, (void)ctx;
	return SAFEMAP_UPDATE_NONE;
}

static int cb_wrong(const uint64_t *k, uint64_t *v, bool present, void *ctx)
{
	(void)k, (void)v, (void)present, (void)ctx;
	return SAFEMAP_UPDATE_NONE;
}

int use(struct flows *f, struct counters *c);
int use(struct flows *f, struct counters *c)
{
	struct flow_key k = { 1, 2 };
	struct flow_stats s = { 0, 0 };
	uint64_t n = 0;
	int r = 0;

	(void)n, (void)c, (void)cb_wrong;
#if CASE == 0
	r += flows_put(f, &k, &s, 0) + flows_get(f, &k, &s) + flows_update(f, &k, cb, 0, 0) +
	     flows_cas(f, &k, &s, &s) + flows_delete(f, &k) + counters_put(c, &n, &n, 0);
#elif CASE == 1
	r += flows_put(f, &n, &s, 0); /* wrong key type */
#elif CASE == 2
	r += flows_put(f, &k, &n, 0); /* wrong value type */
#elif CASE == 3
	r += flows_get(f, &k, &n); /* wrong output type */
#elif CASE == 4
	r += flows_delete(f, &s); /* a value where the key goes */
#elif CASE == 5
	r += flows_update(f, &k, cb_wrong, 0, 0); /* callback for other types */
#elif CASE == 6
	r += counters_put(f, &n, &n, 0); /* the view of another map type */
#elif CASE == 7
	r += flows_cas(f, &k, &n, &s); /* wrong expected type */
#endif
	(void)k, (void)s;
	return r;
}
