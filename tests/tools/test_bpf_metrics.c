/* SPDX-License-Identifier: BSD-2-Clause */
/* safemap_bpf_metrics_write_prometheus() on real kernel maps: the snprintf
 * contract, every argument error, entries / fill ratio / capacity counter
 * values that follow the map, label escaping, no_entries, and the audit
 * families. Label bpf (root). */
#include <stdio.h>
#include <string.h>

#include <safemap/audit.h>
#include <safemap/bpf_metrics.h>

#include "../bpf/bpftest.h"

static struct safemap_bpf *open_named(int fd, const char *name)
{
	SAFEMAP_OPTS(safemap_bpf_opts, o, .name = name);
	struct safemap_bpf *h = NULL;
	int err = safemap_bpf_open_fd(fd, &o, &h);

	ck_assert_msg(err == 0, "safemap_bpf_open_fd: %d %s", err, safemap_last_error());
	return h;
}

/* Does @p text hold the line @p fmt...? */
static bool has_line(const char *text, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool has_line(const char *text, const char *fmt, ...)
{
	char want[512];
	const char *p;
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(want, sizeof(want), fmt, ap);
	va_end(ap);
	n = strlen(want);
	for (p = text; (p = strstr(p, want)); p++)
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return true;
	return false;
}

START_TEST(test_values_follow_the_map)
{
	int fd = bt_map(BPF_MAP_TYPE_HASH, "mt_values", 4, 8, 8, 0);
	struct safemap_bpf *h = open_named(fd, "flows");
	struct safemap_bpf *maps[1] = { h };
	uint32_t id = safemap_bpf_id(h), k;
	uint64_t v = 1;
	static char buf[16384];
	int n;

	for (k = 0; k < 6; k++)
		ck_assert_int_eq(safemap_bpf_update(h, &k, &v, SAFEMAP_ANY), 0);
	n = safemap_bpf_metrics_write_prometheus(maps, 1, NULL, buf, sizeof(buf));
	ck_assert_int_gt(n, 0);
	ck_assert_uint_eq(strlen(buf), (size_t)n);
	ck_assert(has_line(buf, "# TYPE safemap_bpf_map_entries gauge"));
	ck_assert(has_line(buf, "safemap_bpf_map_entries{map=\"flows\",id=\"%u\"} 6", id));
	ck_assert(has_line(buf, "safemap_bpf_map_max_entries{map=\"flows\",id=\"%u\"} 8", id));
	ck_assert(has_line(buf, "safemap_bpf_map_fill_ratio{map=\"flows\",id=\"%u\"} 0.75", id));
	ck_assert(has_line(buf, "safemap_bpf_map_info{map=\"flows\",id=\"%u\",type=\"hash\","
				"key_size_bytes=\"4\",value_size_bytes=\"8\"} 1", id));
	ck_assert(has_line(buf, "# TYPE safemap_bpf_map_capacity_violations_total counter"));
	ck_assert(has_line(buf, "safemap_bpf_map_capacity_violations_total{map=\"flows\",id=\"%u\"} 0",
			   id));
	ck_assert_ptr_null(strstr(buf, "safemap_audit_"));

	/* fill it, then one insert too many: a capacity violation */
	for (k = 6; k < 8; k++)
		ck_assert_int_eq(safemap_bpf_update(h, &k, &v, SAFEMAP_ANY), 0);
	k = 100;
	ck_assert_int_eq(safemap_bpf_update(h, &k, &v, SAFEMAP_NOEXIST), -E2BIG);
	n = safemap_bpf_metrics_write_prometheus(maps, 1, NULL, buf, sizeof(buf));
	ck_assert_int_gt(n, 0);
	ck_assert(has_line(buf, "safemap_bpf_map_entries{map=\"flows\",id=\"%u\"} 8", id));
	ck_assert(has_line(buf, "safemap_bpf_map_fill_ratio{map=\"flows\",id=\"%u\"} 1", id));
	ck_assert(has_line(buf, "safemap_bpf_map_capacity_violations_total{map=\"flows\",id=\"%u\"} 1",
			   id));
	safemap_bpf_put(h);
	close(fd);
}
END_TEST

START_TEST(test_snprintf_contract)
{
	int fd = bt_map(BPF_MAP_TYPE_HASH, "mt_snp", 4, 8, 8, 0);
	struct safemap_bpf *h = open_named(fd, NULL);
	struct safemap_bpf *maps[1] = { h };
	static char full[16384], small[64];
	int n, m;

	n = safemap_bpf_metrics_write_prometheus(maps, 1, NULL, NULL, 0);
	ck_assert_int_gt(n, 100);
	m = safemap_bpf_metrics_write_prometheus(maps, 1, NULL, full, sizeof(full));
	ck_assert_int_eq(m, n);
	ck_assert_uint_eq(strlen(full), (size_t)n);
	memset(small, 'x', sizeof(small));
	m = safemap_bpf_metrics_write_prometheus(maps, 1, NULL, small, sizeof(small));
	ck_assert_int_eq(m, n); /* the length of the whole text */
	ck_assert_uint_eq(strlen(small), sizeof(small) - 1);
	ck_assert(!strncmp(small, full, sizeof(small) - 1));
	/* nothing to write: the empty text */
	small[0] = 'x';
	ck_assert_int_eq(safemap_bpf_metrics_write_prometheus(NULL, 0, NULL, small, sizeof(small)), 0);
	ck_assert_str_eq(small, "");
	safemap_bpf_put(h);
	close(fd);
}
END_TEST

START_TEST(test_bad_arguments)
{
	int fd = bt_map(BPF_MAP_TYPE_HASH, "mt_bad", 4, 8, 8, 0);
	struct safemap_bpf *h = open_named(fd, NULL), *h2 = open_named(fd, "again");
	struct safemap_bpf *twice[2] = { h, h2 }, *null1[1] = { NULL }, *one[1] = { h };
	struct {
		struct safemap_bpf_metrics_opts o;
		char tail[8];
	} big;
	char buf[256];

	ck_assert_int_eq(safemap_bpf_metrics_write_prometheus(NULL, 1, NULL, buf, sizeof(buf)),
			 -EINVAL);
	ck_assert_int_eq(safemap_bpf_metrics_write_prometheus(null1, 1, NULL, buf, sizeof(buf)),
			 -EINVAL);
	ck_assert_int_eq(safemap_bpf_metrics_write_prometheus(twice, 2, NULL, buf, sizeof(buf)),
			 -EINVAL);
	ck_assert_ptr_nonnull(strstr(safemap_last_error(), "given twice"));
	ck_assert_int_eq(safemap_bpf_metrics_write_prometheus(one, 1, NULL, NULL, 10), -EINVAL);
	memset(&big, 0, sizeof(big));
	big.o.sz = sizeof(big);
	big.tail[3] = 1; /* an unknown non-zero option */
	ck_assert_int_eq(safemap_bpf_metrics_write_prometheus(one, 1, &big.o, buf, sizeof(buf)),
			 -EINVAL);
	safemap_bpf_put(h);
	safemap_bpf_put(h2);
	close(fd);
}
END_TEST

START_TEST(test_escaping_and_no_entries)
{
	int fd = bt_map(BPF_MAP_TYPE_HASH, "mt_esc", 4, 8, 8, 0);
	struct safemap_bpf *h = open_named(fd, "a\"b\\c\nd");
	struct safemap_bpf *maps[1] = { h };
	SAFEMAP_OPTS(safemap_bpf_metrics_opts, o, .no_entries = true);
	static char buf[16384];

	ck_assert_int_gt(safemap_bpf_metrics_write_prometheus(maps, 1, &o, buf, sizeof(buf)), 0);
	ck_assert(has_line(buf, "safemap_bpf_map_max_entries{map=\"a\\\"b\\\\c\\nd\",id=\"%u\"} 8",
			   safemap_bpf_id(h)));
	ck_assert_ptr_null(strstr(buf, "safemap_bpf_map_entries"));
	ck_assert_ptr_null(strstr(buf, "safemap_bpf_map_fill_ratio"));
	safemap_bpf_put(h);
	close(fd);
}
END_TEST

START_TEST(test_audit_families)
{
	int fd = bt_map(BPF_MAP_TYPE_HASH, "mt_audit", 4, 8, 8, 0);
	struct safemap_bpf *h = open_named(fd, NULL);
	struct safemap_bpf *maps[1] = { h };
	struct safemap_audit *a = NULL;
	static char buf[16384];
	char small[40];
	int err, n;

	err = safemap_audit_open(NULL, &a);
	ck_assert_msg(err == 0, "safemap_audit_open: %d %s", err, safemap_last_error());
	ck_assert_int_gt(safemap_audit_guard_handle(a, h, NULL), 0);
	/* the map handles' writer knows nothing of the probe */
	ck_assert_int_gt(safemap_bpf_metrics_write_prometheus(maps, 1, NULL, buf, sizeof(buf)), 0);
	ck_assert_ptr_null(strstr(buf, "safemap_audit_"));
	/* the audit's own writer, with snprintf's contract */
	ck_assert_int_eq(safemap_audit_metrics_write_prometheus(NULL, buf, sizeof(buf)), -EINVAL);
	ck_assert_int_eq(safemap_audit_metrics_write_prometheus(a, NULL, 10), -EINVAL);
	n = safemap_audit_metrics_write_prometheus(a, NULL, 0);
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(safemap_audit_metrics_write_prometheus(a, small, sizeof(small)), n);
	ck_assert_uint_eq(strlen(small), sizeof(small) - 1);
	ck_assert_int_eq(safemap_audit_metrics_write_prometheus(a, buf, sizeof(buf)), n);
	ck_assert_uint_eq(strlen(buf), (size_t)n);
	ck_assert(has_line(buf, "# TYPE safemap_audit_reports_total counter"));
	ck_assert(has_line(buf, "safemap_audit_reports_total 0"));
	ck_assert(has_line(buf, "# TYPE safemap_audit_lost_total counter"));
	ck_assert(has_line(buf, "safemap_audit_lost_total 0"));
	ck_assert(has_line(buf, "safemap_audit_guarded_maps 1"));
	safemap_audit_close(a);
	safemap_bpf_put(h);
	close(fd);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("bpf_metrics");
	TCase *tc = tcase_create("prometheus");

	bt_require_bpf("test_bpf_metrics");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_values_follow_the_map);
	tcase_add_test(tc, test_snprintf_contract);
	tcase_add_test(tc, test_bad_arguments);
	tcase_add_test(tc, test_escaping_and_no_entries);
	tcase_add_test(tc, test_audit_families);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
