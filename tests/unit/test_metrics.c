/* SPDX-License-Identifier: BSD-2-Clause */
/* Metrics: after a known sequence of operations every counter equals what
 * was done (and refusals equal events); the Prometheus text parses (our own
 * strict parser of the 0.0.4 text format, and `promtool check metrics` when
 * it is installed: scripts/test installs it), carries the same numbers,
 * escapes label values, and keeps snprintf's contract. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "../testutil.h"

static long events[SAFEMAP_REASON_MAX];

static void count_event(const struct safemap_event *ev, void *ctx)
{
	(void)ctx;
	if (ev->result) /* refusals; the watermark warning is not one */
		events[ev->reason]++;
}

static struct safemap *make(const char *name, size_t max, bool hist)
{
	SAFEMAP_OPTS(safemap_opts, o, .name = name, .key_size = 8, .value_size = 8, .shards = 4,
		     .max_entries = max, .event_fn = count_event, .delete_latency = hist);
	struct safemap *m = NULL;

	ck_assert_int_eq(safemap_create(&o, &m), 0);
	return m;
}

static int put(struct safemap *m, uint64_t k, unsigned f)
{
	return safemap_put(m, &k, &k, f);
}

static int write_inside(const void *k, const void *v, void *ctx)
{
	(void)v;
	ck_assert_int_eq(safemap_delete(ctx, k), -EDEADLK);
	return 1;
}

/* The known sequence; returns nothing, the test states the expected counts. */
static void workload(struct safemap *m)
{
	struct safemap_snap *sn;
	uint64_t k, v;
	int i;

	for (k = 0; k < 10; k++)
		ck_assert_int_eq(put(m, k, SAFEMAP_NOEXIST), 0);
	for (k = 10; k < 13; k++)
		ck_assert_int_eq(put(m, k, SAFEMAP_ANY), -E2BIG);
	for (k = 0; k < 2; k++)
		ck_assert_int_eq(put(m, k, SAFEMAP_NOEXIST), -EEXIST);
	for (k = 0; k < 5; k++)
		ck_assert_int_eq(put(m, k, SAFEMAP_EXIST), 0);
	for (k = 0; k < 11; k++)
		ck_assert_int_eq(safemap_get(m, &k, &v), k < 10 ? 0 : -ENOENT);
	for (k = 100; k < 104; k++)
		ck_assert_int_eq(safemap_get(m, &k, &v), -ENOENT);
	for (k = 0; k < 3; k++)
		ck_assert_int_eq(safemap_delete(m, &k), 0);
	for (k = 0; k < 2; k++)
		ck_assert_int_eq(safemap_delete(m, &k), -ENOENT);
	ck_assert_int_eq(safemap_foreach(m, write_inside, m), 1);
	ck_assert_int_eq(safemap_foreach(m, write_inside, m), 1);
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(safemap_snapshot(m, &sn), 0);
		safemap_snapshot_free(sn);
	}
	ck_assert_int_eq(safemap_freeze(m), 0);
	for (k = 0; k < 4; k++)
		ck_assert_int_eq(put(m, k, SAFEMAP_ANY), -EPERM);
	k = 5;
	ck_assert_int_eq(safemap_delete(m, &k), -EPERM);
}

START_TEST(counts_equal_operations)
{
	struct safemap *m;
	struct safemap_metrics mt, small;
	int r;

	memset(events, 0, sizeof(events));
	m = make("counted", 10, false);
	workload(m);
	SAFEMAP_OPTS_INIT(&mt);
	ck_assert_int_eq(safemap_metrics_read(m, &mt), 0);
	ck_assert_uint_eq(mt.sz, sizeof(mt));
	ck_assert_uint_eq(mt.ops[SAFEMAP_OP_PUT], 10 + 3 + 2 + 5);
	ck_assert_uint_eq(mt.ops[SAFEMAP_OP_GET], 11 + 4);
	ck_assert_uint_eq(mt.ops[SAFEMAP_OP_DELETE], 3 + 2);
	ck_assert_uint_eq(mt.ops[SAFEMAP_OP_FREEZE], 1);
	ck_assert_uint_eq(mt.ops[SAFEMAP_OP_UPDATE], 0);
	ck_assert_uint_eq(mt.foreach_calls, 2);
	ck_assert_uint_eq(mt.snapshot_calls, 3);
	ck_assert_uint_eq(mt.refused[SAFEMAP_REASON_FULL], 3);
	ck_assert_uint_eq(mt.capacity_violations, 3);
	ck_assert_uint_eq(mt.refused[SAFEMAP_REASON_WRITE_IN_ITERATION], 2);
	ck_assert_uint_eq(mt.refused[SAFEMAP_REASON_FROZEN], 5);
	ck_assert_uint_eq(mt.delete_refused, 2 + 1); /* in iteration, frozen */
	for (r = 0; r < SAFEMAP_REASON_MAX; r++)
		ck_assert_int_eq((long)mt.refused[r], events[r]);
	ck_assert_uint_eq(mt.entries, 7);
	ck_assert_uint_eq(mt.entries, safemap_count(m));
	ck_assert_uint_eq(mt.max_entries, 10);
	ck_assert_uint_eq(mt.shards, 4);
	ck_assert_uint_eq(mt.frozen, 1);
	ck_assert_uint_eq(mt.has_delete_latency, 0);
	ck_assert_uint_eq(mt.lock_contended, 0); /* one thread */
	/* an older, shorter struct: only the fields it has are written */
	memset(&small, 0x5a, sizeof(small));
	small.sz = offsetof(struct safemap_metrics, refused);
	ck_assert_int_eq(safemap_metrics_read(m, &small), 0);
	ck_assert_uint_eq(small.ops[SAFEMAP_OP_PUT], 20);
	ck_assert_uint_eq(small.entries, 0x5a5a5a5a5a5a5a5aull);
	small.sz = 0;
	ck_assert_int_eq(safemap_metrics_read(m, &small), -EINVAL);
	ck_assert_int_eq(safemap_metrics_read(NULL, &mt), -EINVAL);
	ck_assert_int_eq(safemap_metrics_read(m, NULL), -EINVAL);
	safemap_destroy(m);
}
END_TEST

START_TEST(delete_latency_histogram)
{
	struct safemap *m = make("lat", 0, true);
	struct safemap_metrics mt;
	uint64_t k, sum = 0;
	int b;

	for (k = 0; k < 1000; k++)
		ck_assert_int_eq(put(m, k, SAFEMAP_ANY), 0);
	for (k = 0; k < 1500; k++) /* 1000 hits, 500 misses: all are deletes */
		safemap_delete(m, &k);
	SAFEMAP_OPTS_INIT(&mt);
	ck_assert_int_eq(safemap_metrics_read(m, &mt), 0);
	ck_assert_uint_eq(mt.has_delete_latency, 1);
	ck_assert_uint_eq(mt.delete_latency_count, 1500);
	for (b = 0; b < SAFEMAP_METRICS_LATENCY_BUCKETS; b++)
		sum += mt.delete_latency_bucket[b];
	ck_assert_uint_eq(sum, 1500);
	ck_assert_uint_gt(mt.delete_latency_sum_ns, 0);
	ck_assert_uint_eq(mt.delete_latency_bucket[0], 0); /* nothing takes 0 ns */
	safemap_destroy(m);
}
END_TEST

/* ---- a strict parser of the text format (the parts we emit) */
struct series {
	char key[256]; /* name{labels} as written */
	double value;
};

struct parsed {
	struct series s[512];
	int n;
	char families[32][64];
	char types[32][16];
	int nfam;
};

static bool name_char(char c, bool first)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
	       (!first && c >= '0' && c <= '9');
}

/* Parses @p text; fails the test on any malformed line. */
static void parse(const char *text, struct parsed *p)
{
	const char *line = text;
	char cur[64] = "";
	bool help_seen = false;

	memset(p, 0, sizeof(*p));
	while (*line) {
		const char *end = strchr(line, '\n'), *c;
		char name[64], key[256];
		size_t ln;
		int i;

		ck_assert_msg(end, "last line not terminated");
		ln = (size_t)(end - line);
		if (!strncmp(line, "# HELP ", 7)) {
			ck_assert(sscanf(line + 7, "%63s", name) == 1);
			for (i = 0; i < p->nfam; i++)
				ck_assert_msg(strcmp(p->families[i], name), "family %s twice", name);
			ck_assert_int_lt(p->nfam, 32);
			strcpy(p->families[p->nfam], name);
			strcpy(cur, name);
			help_seen = true;
		} else if (!strncmp(line, "# TYPE ", 7)) {
			char type[16];

			ck_assert(sscanf(line + 7, "%63s %15s", name, type) == 2);
			ck_assert_msg(help_seen && !strcmp(name, cur), "TYPE %s out of place", name);
			ck_assert(!strcmp(type, "counter") || !strcmp(type, "gauge") ||
				  !strcmp(type, "histogram"));
			strcpy(p->types[p->nfam++], type);
			help_seen = false;
		} else {
			const char *type = p->nfam ? p->types[p->nfam - 1] : "";
			char *vend;
			size_t nl;

			ck_assert_msg(line[0] != '#', "unknown comment line");
			for (c = line; c < end && name_char(*c, c == line); c++)
				;
			nl = (size_t)(c - line);
			ck_assert(nl > 0 && nl < sizeof(name));
			memcpy(name, line, nl);
			name[nl] = '\0';
			/* the sample belongs to the family just declared */
			if (!strcmp(type, "histogram")) {
				size_t fl = strlen(cur);

				ck_assert_msg(!strncmp(name, cur, fl) &&
						      (!strcmp(name + fl, "_bucket") || !strcmp(name + fl, "_sum") ||
						       !strcmp(name + fl, "_count")),
					      "sample %s outside its family %s", name, cur);
			} else {
				ck_assert_msg(!strcmp(name, cur), "sample %s outside its family %s", name, cur);
			}
			if (*c == '{') { /* label="value" pairs, escaped values */
				c++;
				while (*c != '}') {
					const char *ls = c;

					while (name_char(*c, c == ls))
						c++;
					ck_assert(c > ls && c[0] == '=' && c[1] == '"');
					for (c += 2; *c != '"'; c++) {
						ck_assert(c < end);
						if (*c == '\\') {
							c++;
							ck_assert(*c == '\\' || *c == '"' || *c == 'n');
						}
					}
					c++;
					if (*c == ',')
						c++;
					else
						ck_assert(*c == '}');
				}
				c++;
			}
			ck_assert(*c == ' ');
			ck_assert_uint_lt((size_t)(c - line), sizeof(key));
			memcpy(key, line, (size_t)(c - line));
			key[c - line] = '\0';
			ck_assert_int_lt(p->n, 512);
			for (i = 0; i < p->n; i++)
				ck_assert_msg(strcmp(p->s[i].key, key), "series %s twice", key);
			strcpy(p->s[p->n].key, key);
			p->s[p->n].value = strtod(c + 1, &vend);
			ck_assert_msg(vend == end, "bad value in: %.*s", (int)ln, line);
			p->n++;
		}
		line = end + 1;
	}
}

static double value_of(const struct parsed *p, const char *key)
{
	int i;

	for (i = 0; i < p->n; i++)
		if (!strcmp(p->s[i].key, key))
			return p->s[i].value;
	ck_abort_msg("series %s missing", key);
	return -1;
}

static void promtool_check(const char *text)
{
	FILE *f;
	int st;

	if (system("command -v promtool >/dev/null 2>&1") != 0) {
		fprintf(stderr, "promtool not installed: checked with the built-in parser only\n");
		return;
	}
	f = popen("promtool check metrics", "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	st = pclose(f);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "promtool check metrics failed");
}

START_TEST(prometheus_text_parses_and_matches)
{
	struct safemap *maps[2], *weird;
	struct safemap_metrics mt;
	struct parsed *p = malloc(sizeof(*p));
	char *buf, small[40];
	int len, len2, b;
	uint64_t k;
	double prev = 0;
	char key[256];

	maps[0] = make("counted", 10, false);
	maps[1] = weird = make("we\"ird\\name\nx", 0, true);
	workload(maps[0]);
	for (k = 0; k < 50; k++) {
		put(maps[1], k, SAFEMAP_ANY);
		safemap_delete(maps[1], &k);
	}
	len = safemap_metrics_write_prometheus(maps, 2, NULL, 0);
	ck_assert_int_gt(len, 0);
	buf = malloc((size_t)len + 1);
	len2 = safemap_metrics_write_prometheus(maps, 2, buf, (size_t)len + 1);
	ck_assert_int_eq(len2, len);
	ck_assert_uint_eq(strlen(buf), (size_t)len);
	/* snprintf's contract when cut */
	ck_assert_int_eq(safemap_metrics_write_prometheus(maps, 2, small, sizeof(small)), len);
	ck_assert_uint_eq(strlen(small), sizeof(small) - 1);
	ck_assert(!strncmp(small, buf, sizeof(small) - 1));

	parse(buf, p);
	SAFEMAP_OPTS_INIT(&mt);
	safemap_metrics_read(maps[0], &mt);
	ck_assert_double_eq(value_of(p, "safemap_ops_total{map=\"counted\",op=\"put\"}"),
			    (double)mt.ops[SAFEMAP_OP_PUT]);
	ck_assert_double_eq(value_of(p, "safemap_ops_total{map=\"counted\",op=\"get\"}"), 15);
	ck_assert_double_eq(value_of(p, "safemap_ops_total{map=\"counted\",op=\"delete\"}"), 5);
	ck_assert_double_eq(value_of(p, "safemap_ops_total{map=\"counted\",op=\"foreach\"}"), 2);
	ck_assert_double_eq(value_of(p, "safemap_ops_total{map=\"counted\",op=\"snapshot\"}"), 3);
	ck_assert_double_eq(value_of(p, "safemap_refused_total{map=\"counted\",reason=\"full\"}"), 3);
	ck_assert_double_eq(value_of(p, "safemap_refused_total{map=\"counted\",reason=\"frozen\"}"), 5);
	ck_assert_double_eq(value_of(p, "safemap_delete_refused_total{map=\"counted\"}"), 3);
	ck_assert_double_eq(
		value_of(p, "safemap_refused_total{map=\"counted\",reason=\"write_in_iteration\"}"), 2);
	ck_assert_double_eq(value_of(p, "safemap_entries{map=\"counted\"}"), 7);
	ck_assert_double_eq(value_of(p, "safemap_max_entries{map=\"counted\"}"), 10);
	ck_assert_double_eq(value_of(p, "safemap_capacity_violations_total{map=\"counted\"}"), 3);
	ck_assert_double_eq(value_of(p, "safemap_frozen{map=\"counted\"}"), 1);
	ck_assert_double_eq(value_of(p, "safemap_lock_contended_total{map=\"counted\"}"), 0);
	/* the escaped name; its histogram: cumulative, +Inf = count = 50 */
	ck_assert_double_eq(value_of(p, "safemap_entries{map=\"we\\\"ird\\\\name\\nx\"}"), 0);
	for (b = 0; b < SAFEMAP_METRICS_LATENCY_BUCKETS - 1; b++) {
		double v;

		snprintf(key, sizeof(key),
			 "safemap_delete_latency_seconds_bucket{map=\"we\\\"ird\\\\name\\nx\",le=\"%.10g\"}",
			 (double)(1ull << b) / 1e9);
		v = value_of(p, key);
		ck_assert(v >= prev);
		prev = v;
	}
	ck_assert_double_eq(value_of(p, "safemap_delete_latency_seconds_bucket{map=\"we\\\"ird\\\\name\\nx\",le=\"+Inf\"}"), 50);
	ck_assert_double_eq(value_of(p, "safemap_delete_latency_seconds_count{map=\"we\\\"ird\\\\name\\nx\"}"), 50);
	ck_assert(value_of(p, "safemap_delete_latency_seconds_sum{map=\"we\\\"ird\\\\name\\nx\"}") > 0);
	ck_assert(prev <= 50);
	promtool_check(buf);

	/* errors */
	ck_assert_int_eq(safemap_metrics_write_prometheus(NULL, 1, buf, 10), -EINVAL);
	ck_assert_int_eq(safemap_metrics_write_prometheus(maps, 2, NULL, 10), -EINVAL);
	maps[1] = maps[0];
	ck_assert_int_eq(safemap_metrics_write_prometheus(maps, 2, buf, (size_t)len), -EINVAL);
	ck_assert_ptr_nonnull(strstr(safemap_last_error(), "two maps"));
	/* no map at all: still valid text */
	len = safemap_metrics_write_prometheus(maps, 0, buf, (size_t)len2 + 1);
	ck_assert_int_gt(len, 0);
	parse(buf, p);
	ck_assert_int_eq(p->n, 0);
	safemap_destroy(maps[0]);
	safemap_destroy(weird);
	free(buf);
	free(p);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("metrics");
	TCase *tc = tcase_create("metrics");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, counts_equal_operations);
	tcase_add_test(tc, delete_latency_histogram);
	tcase_add_test(tc, prometheus_text_parses_and_matches);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
