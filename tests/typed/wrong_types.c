/* SPDX-License-Identifier: BSD-2-Clause */
/* Compiled by tests/typed/compile.cmake, once per CASE: CASE 0 (the right
 * types) must compile without a warning; every other case passes a wrong
 * key, value, callback or view type to a typed wrapper and must NOT compile,
 * in C with the compilers' default flags (gcc and clang) and in C++. */
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

static int each(const struct flow_key *k, const struct flow_stats *v, void *ctx)
{
	(void)k, (void)v, (void)ctx;
	return 0;
}

static int each_wrong(const uint64_t *k, const uint64_t *v, void *ctx)
{
	(void)k, (void)v, (void)ctx;
	return 0;
}

int use(struct flows *f, struct counters *c, struct safemap *m);
int use(struct flows *f, struct counters *c, struct safemap *m)
{
	struct flow_key k = { 1, 2 };
	const struct flow_key *ck = &k;
	struct flow_stats s = { 0, 0 };
	uint64_t n = 0;
	void *vp = &k;
	struct flows *f2 = 0;
	struct counters *c2 = 0;
	struct safemap_ref ref;
	int r = 0;

	(void)n, (void)c, (void)cb_wrong, (void)each_wrong, (void)vp, (void)ck, (void)f2;
	(void)c2, (void)ref, (void)m, (void)each;
#if CASE == 0
	r += flows_put(f, &k, &s, 0) + flows_get(f, &k, &s) + flows_update(f, &k, cb, 0, 0) +
	     flows_cas(f, &k, &s, &s) + flows_delete(f, &k) + counters_put(c, &n, &n, 0);
	/* const where const is expected, NULL, and in C void *: accepted
	 * (documented) */
#ifndef __cplusplus
	r += flows_put(f, vp, vp, 0);
#endif
	r += flows_put(f, ck, &s, 0) + flows_update(f, &k, NULL, 0, 0) +
	     flows_get_ref(f, ck, &ref) + flows_foreach(f, each, 0) + flows_foreach(f, NULL, 0) +
	     flows_attach(m, &f2) + flows_create(NULL, &f2) + flows_attach(m, NULL);
	flows_destroy(f2);
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
#elif CASE == 8
	r += flows_attach(m, &c2); /* a view of another type out */
#elif CASE == 9
	r += flows_foreach(f, each_wrong, 0); /* foreach callback for other types */
#elif CASE == 10
	r += flows_get_ref(f, &n, &ref); /* wrong key type */
#elif CASE == 11
	r += flows_create(NULL, &c2); /* create into a view of another type */
#elif CASE == 12
	r += (int)flows_count(c); /* count of the view of another map type */
#endif
	(void)k, (void)s;
	return r;
}
