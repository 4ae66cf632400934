/* SPDX-License-Identifier: BSD-2-Clause */
/* Sequential differential test: thousands of random operation sequences run
 * against the map and against a trivially correct reference (an array
 * indexed by key id); every result and the final contents must be equal. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "../testutil.h"

#define KEYS 48
#define MAX_VALUE 40

struct ref {
	bool present[KEYS];
	unsigned char value[KEYS][MAX_VALUE];
	size_t count;
};

struct cfg {
	size_t key_size, value_size, max_entries;
	unsigned shards;
};

static void make_key(const struct cfg *c, unsigned id, unsigned char *key)
{
	size_t i;

	/* ids differ in the first bytes; the rest is a fixed pattern, so keys
	 * of any size are distinct and deterministic */
	for (i = 0; i < c->key_size; i++)
		key[i] = i < 2 ? (unsigned char)(id >> (8 * i)) : (unsigned char)(i * 7);
}

static void make_value(const struct cfg *c, uint64_t *rng, unsigned char *v)
{
	size_t i;

	for (i = 0; i < c->value_size; i++)
		v[i] = (unsigned char)tu_next(rng);
}

static int ref_put(struct ref *r, const struct cfg *c, unsigned id, const unsigned char *v,
		   unsigned flags)
{
	if (r->present[id]) {
		if (flags == SAFEMAP_NOEXIST)
			return -EEXIST;
	} else {
		if (flags == SAFEMAP_EXIST)
			return -ENOENT;
		if (c->max_entries && r->count >= c->max_entries)
			return -E2BIG;
		r->present[id] = true;
		r->count++;
	}
	memcpy(r->value[id], v, c->value_size);
	return 0;
}

static void check_contents(struct safemap *m, const struct ref *r, const struct cfg *c)
{
	unsigned char key[64], v[MAX_VALUE];
	unsigned id;

	ck_assert_uint_eq(safemap_count(m), r->count);
	for (id = 0; id < KEYS; id++) {
		make_key(c, id, key);
		int err = safemap_get(m, key, v);

		ck_assert_int_eq(err, r->present[id] ? 0 : -ENOENT);
		if (r->present[id])
			ck_assert_int_eq(memcmp(v, r->value[id], c->value_size), 0);
	}
}

static void run_sequence(uint64_t seed, int ops)
{
	static const size_t key_sizes[] = { 2, 4, 8, 12, 16, 33 };
	static const size_t value_sizes[] = { 1, 8, 13, 40 };
	static const unsigned shard_counts[] = { 1, 2, 4, 64, 0 };
	uint64_t rng = seed;
	struct cfg c = {
		.key_size = key_sizes[tu_next(&rng) % 6],
		.value_size = value_sizes[tu_next(&rng) % 4],
		.shards = shard_counts[tu_next(&rng) % 5],
		.max_entries = tu_next(&rng) % 3 ? 0 : 1 + tu_next(&rng) % (KEYS / 2),
	};
	struct safemap *m = tu_map(c.key_size, c.value_size, c.shards, c.max_entries);
	struct ref r;
	unsigned char key[64], v[MAX_VALUE], got[MAX_VALUE];
	int i;

	memset(&r, 0, sizeof(r));
	for (i = 0; i < ops; i++) {
		unsigned id = (unsigned)(tu_next(&rng) % KEYS);
		unsigned op = (unsigned)(tu_next(&rng) % 10);
		int want, err;

		make_key(&c, id, key);
		if (op < 5) { /* put with a random flag */
			unsigned flags = (unsigned)(tu_next(&rng) % 3);

			make_value(&c, &rng, v);
			want = ref_put(&r, &c, id, v, flags);
			err = safemap_put(m, key, v, flags);
		} else if (op < 8) { /* get */
			want = r.present[id] ? 0 : -ENOENT;
			err = safemap_get(m, key, got);
			if (!err)
				ck_assert_int_eq(memcmp(got, r.value[id], c.value_size), 0);
			else
				ck_assert_int_eq(memcmp(got, (unsigned char[MAX_VALUE]){ 0 },
							c.value_size), 0);
		} else { /* delete */
			want = r.present[id] ? 0 : -ENOENT;
			if (r.present[id]) {
				r.present[id] = false;
				r.count--;
			}
			err = safemap_delete(m, key);
		}
		ck_assert_msg(err == want, "seed %llu op %d (kind %u key %u): got %d want %d",
			      (unsigned long long)seed, i, op, id, err, want);
		if (i % 97 == 0)
			ck_assert_uint_eq(safemap_count(m), r.count);
	}
	check_contents(m, &r, &c);
	safemap_destroy(m);
}

START_TEST(random_sequences)
{
	int n = (int)(3000 * tu_scale()), i;

	for (i = 0; i < n; i++)
		run_sequence(0x5afe0000u + (uint64_t)i, 400);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("differential");
	TCase *tc = tcase_create("sequential");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, random_sequences);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
