/* SPDX-License-Identifier: BSD-2-Clause */
/* The escape helpers (safemap/escape.h), against a reference written here
 * independently: every byte value alone, every 2-byte string, every 3-byte
 * string with a lead byte >= 0xc0, 4-byte sequences around every boundary
 * (overlong, surrogates, > U+10FFFF, truncated), cuts at every buffer size,
 * fixed-size fields without a NUL, idempotence of the text escape; and the
 * library's own outputs (safemap_event_format, detail messages,
 * safemap_last_error, Prometheus labels) fed a hostile process name. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <safemap/escape.h>

#include "../testutil.h"

typedef size_t (*esc_fn)(char *, size_t, const char *, size_t);

/* The reference validator: RFC 3629 by code point ranges (a different
 * shape from the library's decoder: decode by masks, then reject what is
 * overlong, a surrogate or too big). Returns the length of the valid
 * sequence at s, 0 when invalid; *cp the code point. */
static size_t ref_seq(const unsigned char *s, size_t n, uint32_t *cp)
{
	static const uint32_t min_of_len[5] = { 0, 0, 0x80, 0x800, 0x10000 };
	size_t len, i;
	uint32_t v;

	if (s[0] < 0x80)
		len = 1, v = s[0];
	else if ((s[0] & 0xe0) == 0xc0)
		len = 2, v = s[0] & 0x1f;
	else if ((s[0] & 0xf0) == 0xe0)
		len = 3, v = s[0] & 0x0f;
	else if ((s[0] & 0xf8) == 0xf0)
		len = 4, v = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (s[i] & 0x3f);
	}
	if (v < min_of_len[len] || (v >= 0xd800 && v <= 0xdfff) || v > 0x10ffff)
		return 0;
	*cp = v;
	return len;
}

static bool valid_utf8(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t cp;
	size_t k;

	while (n) {
		k = ref_seq(p, n, &cp);
		if (!k)
			return false;
		p += k;
		n -= k;
	}
	return true;
}

/* The reference escapes: what the header promises, byte by byte. */
static bool ref_control(uint32_t cp)
{
	return cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f);
}

/* out + "prefix" + two hex digits; returns the length appended */
static size_t hex(char *out, const char *prefix, unsigned c)
{
	static const char d[] = "0123456789abcdef";
	size_t n = strlen(prefix);

	memcpy(out, prefix, n);
	out[n] = d[(c >> 4) & 15];
	out[n + 1] = d[c & 15];
	return n + 2;
}

static size_t ref_escape(int kind, const unsigned char *s, size_t n, char *out)
{
	size_t o = 0, k, i;
	uint32_t cp;

	while (n && *s) {
		size_t avail = strnlen((const char *)s, n);

		k = ref_seq(s, avail, &cp);
		if (!k) {
			o += hex(out + o, kind == 0 ? "\\x" : "\\\\x", s[0]);
			k = 1;
		} else if (kind == 0) { /* text */
			for (i = 0; i < k; i++)
				if (ref_control(cp))
					o += hex(out + o, "\\x", s[i]);
				else
					out[o++] = (char)s[i];
		} else if (kind == 1) { /* JSON */
			if (cp == '"' || cp == '\\')
				out[o++] = '\\', out[o++] = (char)cp;
			else if (ref_control(cp))
				o += hex(out + o, "\\u00", cp);
			else if (cp == 0x2028 || cp == 0x2029)
				o += hex(out + o, "\\u20", cp & 0xff);
			else
				memcpy(out + o, s, k), o += k;
		} else { /* Prometheus */
			if (cp == '"' || cp == '\\')
				out[o++] = '\\', out[o++] = (char)cp;
			else if (cp == '\n')
				out[o++] = '\\', out[o++] = 'n';
			else if (ref_control(cp))
				for (i = 0; i < k; i++)
					o += hex(out + o, "\\\\x", s[i]);
			else
				memcpy(out + o, s, k), o += k;
		}
		s += k;
		n -= k;
	}
	out[o] = '\0';
	return o;
}

static const esc_fn fns[3] = { safemap_escape_text, safemap_escape_json, safemap_escape_prom };
static const char *const kind_names[3] = { "text", "json", "prom" };

/* One input through one helper: the reference's bytes, valid UTF-8, no
 * control byte at all (every kind escapes them: text as \xNN). */
static void check_one(int kind, const unsigned char *in, size_t n)
{
	char got[512], want[512];
	size_t g = fns[kind](got, sizeof(got), (const char *)in, n);
	size_t w = ref_escape(kind, in, n, want);
	size_t i;

	if (g != w || memcmp(got, want, w + 1)) {
		char hexs[64] = "";

		for (i = 0; i < n && i < 16; i++)
			sprintf(hexs + 3 * i, "%02x ", in[i]);
		ck_abort_msg("%s escape of [%s]: got '%s' (%zu), want '%s' (%zu)", kind_names[kind],
			     hexs, got, g, want, w);
	}
	/* plain ifs: Check's asserts mark a point per call, too slow for 12M */
	if (!valid_utf8(got, g))
		ck_abort_msg("%s escape is not valid UTF-8: '%s'", kind_names[kind], got);
	for (i = 0; i < g; i++)
		if ((unsigned char)got[i] < 0x20 || got[i] == 0x7f)
			ck_abort_msg("%s escape holds control byte 0x%02x", kind_names[kind],
				     (unsigned char)got[i]);
}

START_TEST(every_byte_value)
{
	unsigned char in[2] = { 0, 0 };
	char out[16];
	int c, kind;

	for (c = 1; c < 256; c++) {
		in[0] = (unsigned char)c;
		for (kind = 0; kind < 3; kind++)
			check_one(kind, in, 1);
		/* spelled out, apart from the reference */
		safemap_escape_text(out, sizeof(out), (const char *)in, 1);
		if (c < 0x20 || c >= 0x7f) {
			char want[8];

			snprintf(want, sizeof(want), "\\x%02x", c);
			ck_assert_str_eq(out, want);
		} else {
			ck_assert_int_eq(out[0], c);
			ck_assert_int_eq(out[1], 0);
		}
		safemap_escape_json(out, sizeof(out), (const char *)in, 1);
		if (c < 0x20 || c == 0x7f) {
			char want[8];

			snprintf(want, sizeof(want), "\\u%04x", c);
			ck_assert_str_eq(out, want);
		} else if (c >= 0x80) {
			char want[8];

			snprintf(want, sizeof(want), "\\\\x%02x", c);
			ck_assert_str_eq(out, want);
		}
	}
	ck_assert_str_eq((safemap_escape_json(out, sizeof(out), "\"", 1), out), "\\\"");
	ck_assert_str_eq((safemap_escape_json(out, sizeof(out), "\\", 1), out), "\\\\");
	ck_assert_str_eq((safemap_escape_prom(out, sizeof(out), "\n", 1), out), "\\n");
	ck_assert_str_eq((safemap_escape_prom(out, sizeof(out), "\"", 1), out), "\\\"");
	ck_assert_str_eq((safemap_escape_prom(out, sizeof(out), "\\", 1), out), "\\\\");
	ck_assert_str_eq((safemap_escape_prom(out, sizeof(out), "\x1b", 1), out), "\\\\x1b");
	ck_assert_str_eq((safemap_escape_text(out, sizeof(out), "\\", 1), out), "\\");
}
END_TEST

START_TEST(every_two_byte_string)
{
	unsigned char in[2];
	int a, b, kind;

	for (a = 1; a < 256; a++)
		for (b = 1; b < 256; b++) {
			in[0] = (unsigned char)a;
			in[1] = (unsigned char)b;
			for (kind = 0; kind < 3; kind++)
				check_one(kind, in, 2);
		}
}
END_TEST

/* Every one in plain builds; under the sanitizers (SAFEMAP_TEST_SCALE < 1)
 * every third value of the last byte, plus its boundary values. */
START_TEST(every_three_byte_string_with_a_lead_byte)
{
	int step = tu_scale() < 1.0 ? 3 : 1;
	unsigned char in[3];
	int a, b, c, kind;

	for (a = 0xc0; a < 256; a++)
		for (b = 1; b < 256; b++)
			for (c = 1; c < 256; c++) {
				if (c % step && c != 0x7f && c != 0x80 && c != 0xbf && c != 0xc0)
					continue;
				in[0] = (unsigned char)a;
				in[1] = (unsigned char)b;
				in[2] = (unsigned char)c;
				for (kind = 0; kind < 3; kind++)
					check_one(kind, in, 3);
			}
}
END_TEST

START_TEST(four_byte_boundaries)
{
	static const unsigned char cont[] = { 0x01, 0x41, 0x7f, 0x80, 0x81, 0x8f, 0x90,
					      0x9f, 0xa0, 0xbf, 0xc0, 0xc2, 0xe0, 0xf0, 0xff };
	const size_t nc = sizeof(cont);
	unsigned char in[4];
	size_t i, j, k;
	int a, kind;

	for (a = 0xe0; a < 256; a++)
		for (i = 0; i < nc; i++)
			for (j = 0; j < nc; j++)
				for (k = 0; k < nc; k++) {
					in[0] = (unsigned char)a;
					in[1] = cont[i];
					in[2] = cont[j];
					in[3] = cont[k];
					for (kind = 0; kind < 3; kind++)
						check_one(kind, in, 4);
				}
}
END_TEST

/* The cases a reader checks by eye. */
START_TEST(named_cases)
{
	static const struct {
		const char *in, *text, *json;
	} cases[] = {
		{ "ok", "ok", "ok" },
		{ "\xc3\xa9t\xc3\xa9", "\xc3\xa9t\xc3\xa9", "\xc3\xa9t\xc3\xa9" },     /* été */
		{ "\xe2\x82\xac", "\xe2\x82\xac", "\xe2\x82\xac" },                     /* € */
		{ "\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf" },         /* U+10FFFF */
		{ "\xed\x9f\xbf", "\xed\x9f\xbf", "\xed\x9f\xbf" },                     /* U+D7FF */
		{ "\xee\x80\x80", "\xee\x80\x80", "\xee\x80\x80" },                     /* U+E000 */
		{ "\xc0\x80", "\\xc0\\x80", "\\\\xc0\\\\x80" },                         /* overlong NUL */
		{ "\xc1\xbf", "\\xc1\\xbf", "\\\\xc1\\\\xbf" },                         /* overlong DEL */
		{ "\xe0\x80\xaf", "\\xe0\\x80\\xaf", "\\\\xe0\\\\x80\\\\xaf" },         /* overlong / */
		{ "\xf0\x80\x80\xaf", "\\xf0\\x80\\x80\\xaf", "\\\\xf0\\\\x80\\\\x80\\\\xaf" },
		{ "\xed\xa0\x80", "\\xed\\xa0\\x80", "\\\\xed\\\\xa0\\\\x80" },         /* U+D800 */
		{ "\xed\xbf\xbf", "\\xed\\xbf\\xbf", "\\\\xed\\\\xbf\\\\xbf" },         /* U+DFFF */
		{ "\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80", "\\\\xf4\\\\x90\\\\x80\\\\x80" },
		{ "\xe2\x82", "\\xe2\\x82", "\\\\xe2\\\\x82" },                         /* truncated */
		{ "\xe2\x82" "A", "\\xe2\\x82" "A", "\\\\xe2\\\\x82" "A" },             /* cut short */
		{ "\xc2\x9b[2J", "\\xc2\\x9b[2J", "\\u009b[2J" },                       /* C1 CSI */
		{ "a\xe2\x80\xa8z", "a\xe2\x80\xa8z", "a\\u2028z" },                     /* LINE SEP */
		{ "\x1b]0;p\x07\r\x1b[Kok\xff", "\\x1b]0;p\\x07\\x0d\\x1b[Kok\\xff",
		  "\\u001b]0;p\\u0007\\u000d\\u001b[Kok\\\\xff" },                       /* the issue's */
	};
	char out[128];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		safemap_escape_text(out, sizeof(out), cases[i].in, SAFEMAP_ESCAPE_CSTR);
		ck_assert_msg(!strcmp(out, cases[i].text), "case %zu text: '%s'", i, out);
		safemap_escape_json(out, sizeof(out), cases[i].in, SAFEMAP_ESCAPE_CSTR);
		ck_assert_msg(!strcmp(out, cases[i].json), "case %zu json: '%s'", i, out);
	}
	safemap_escape_prom(out, sizeof(out), "\x1b]0;p\x07\r\x1b[Kok\xff\"\\\n",
			    SAFEMAP_ESCAPE_CSTR);
	ck_assert_str_eq(out, "\\\\x1b]0;p\\\\x07\\\\x0d\\\\x1b[Kok\\\\xff\\\"\\\\\\n");
	/* NULL reads as "" */
	ck_assert_uint_eq(safemap_escape_text(out, sizeof(out), NULL, 5), 0);
	ck_assert_str_eq(out, "");
}
END_TEST

/* A field of n bytes with no NUL (comm[16]) is read to n, never past. */
START_TEST(fixed_size_field_without_nul)
{
	char field[20], out[128];

	memset(field, 'A', sizeof(field));
	memcpy(field, "\x1b[2J", 4);
	field[16] = '\xff'; /* past the field: must not be read */
	ck_assert_uint_eq(safemap_escape_text(out, sizeof(out), field, 16), 4 + 3 + 12);
	ck_assert_str_eq(out, "\\x1b[2JAAAAAAAAAAAA");
	ck_assert_uint_eq(safemap_escape_json(out, sizeof(out), field, 4), 6 + 3);
	ck_assert_str_eq(out, "\\u001b[2J");
	/* a NUL inside n ends the string */
	ck_assert_uint_eq(safemap_escape_text(out, sizeof(out), "ab\0\x1b", 4), 2);
}
END_TEST

/* Cut at every buffer size: the same returned length, a NUL-terminated
 * prefix of the whole output ending at a unit boundary, valid UTF-8. */
START_TEST(cut_at_every_size)
{
	static const char in[] = "a\x1b\xc3\xa9\xff\xe2\x82\xac\"\\\n\xed\xa0\x80z\xf0\x9f\x98\x80";
	char full[256], out[256];
	size_t need, len, got, plen;
	int kind;

	for (kind = 0; kind < 3; kind++) {
		need = fns[kind](full, sizeof(full), in, SAFEMAP_ESCAPE_CSTR);
		ck_assert_uint_lt(need, sizeof(full));
		ck_assert_uint_eq(need, strlen(full));
		ck_assert_uint_eq(fns[kind](NULL, 0, in, SAFEMAP_ESCAPE_CSTR), need);
		for (len = 1; len <= need + 1; len++) {
			memset(out, 'Z', sizeof(out));
			got = fns[kind](out, len, in, SAFEMAP_ESCAPE_CSTR);
			ck_assert_uint_eq(got, need);
			plen = strlen(out);
			ck_assert_uint_lt(plen, len);
			ck_assert_int_eq(memcmp(out, full, plen), 0);
			ck_assert_msg(valid_utf8(out, plen), "%s cut at %zu: invalid UTF-8",
				      kind_names[kind], len);
			/* a unit boundary: what follows in the whole output starts a unit,
			 * so the prefix never ends inside "\x1b", "\u001b" or é */
			if (plen < need) {
				char tail[256];

				/* the prefix is exactly the escape of some prefix of the input */
				{
					size_t m, ok = 0;

					for (m = 0; m <= sizeof(in) - 1 && !ok; m++) {
						fns[kind](tail, sizeof(tail), in, m);
						ok = !strcmp(tail, out);
					}
					ck_assert_msg(ok, "%s cut at %zu: '%s' is not the escape of an input prefix",
						      kind_names[kind], len, out);
				}
			} else {
				ck_assert_str_eq(out, full);
			}
			ck_assert_int_eq(out[len], 'Z'); /* nothing written past len */
		}
	}
}
END_TEST

START_TEST(text_escape_is_idempotent)
{
	uint64_t seed = 42;
	unsigned char in[24];
	char once[256], twice[256];
	int r;
	size_t i;

	for (r = 0; r < 200000; r++) {
		uint64_t x = tu_next(&seed);

		for (i = 0; i < sizeof(in); i++) {
			if (i % 8 == 0)
				x = tu_next(&seed);
			in[i] = (unsigned char)(x >> (8 * (i % 8)));
			if (!in[i])
				in[i] = 1;
		}
		safemap_escape_text(once, sizeof(once), (const char *)in, sizeof(in));
		safemap_escape_text(twice, sizeof(twice), once, SAFEMAP_ESCAPE_CSTR);
		if (strcmp(once, twice) || !valid_utf8(once, strlen(once)))
			ck_abort_msg("text escape not idempotent: '%s' then '%s'", once, twice);
	}
}
END_TEST

/* The library's own outputs, given the process name. */
static const char hostile[] = "\x1b]0;p\x07\r\x1b[Kok\xff";

static void assert_clean(const char *what, const char *s)
{
	size_t i;

	ck_assert_msg(valid_utf8(s, strlen(s)), "%s: not valid UTF-8: %s", what, s);
	for (i = 0; s[i]; i++)
		ck_assert_msg((unsigned char)s[i] >= 0x20 && s[i] != 0x7f,
			      "%s holds control byte 0x%02x: %s", what, (unsigned char)s[i], s);
}

START_TEST(event_format_escapes_outside_strings)
{
	struct safemap_event ev;
	char line[1024];
	uint32_t key = 7;

	memset(&ev, 0, sizeof(ev));
	ev.sz = sizeof(ev);
	ev.source = SAFEMAP_SRC_AUDIT;
	ev.op = SAFEMAP_OP_PUT;
	ev.reason = SAFEMAP_REASON_NOT_ALLOWED;
	ev.map_name = hostile;
	ev.map_id = 12;
	ev.key = &key;
	ev.key_size = sizeof(key);
	ev.pid = 99;
	memcpy(ev.comm, hostile, sizeof(hostile) - 1); /* 15 bytes: fits comm[16] */
	ev.detail = hostile;
	safemap_event_format(&ev, line, sizeof(line));
	assert_clean("safemap_event_format", line);
	ck_assert_ptr_nonnull(strstr(line, "comm=\\x1b]0;p\\x07\\x0d\\x1b[Kok\\xff"));
	ck_assert_ptr_nonnull(strstr(line, "map=\\x1b]0;p"));
	ck_assert_ptr_nonnull(strstr(line, "audit report"));
	ck_assert_ptr_nonnull(strstr(line, "pid=99"));
	/* all 16 comm bytes used, no NUL: still read to 16 only */
	memset(ev.comm, '\x9b', sizeof(ev.comm));
	ev.map_name = "m";
	ev.detail = "";
	safemap_event_format(&ev, line, sizeof(line));
	assert_clean("safemap_event_format (full comm)", line);
}
END_TEST

static char logged[1024];
static void on_log(enum safemap_log_level level, const char *msg, void *ctx)
{
	(void)level;
	(void)ctx;
	snprintf(logged, sizeof(logged), "%s", msg);
}

static char event_detail[1024];
static void on_event(const struct safemap_event *ev, void *ctx)
{
	char line[1024];

	(void)ctx;
	snprintf(event_detail, sizeof(event_detail), "%s", ev->detail);
	safemap_event_format(ev, line, sizeof(line));
	assert_clean("event line", line);
}

START_TEST(details_and_labels_escape_a_map_name)
{
	SAFEMAP_OPTS(safemap_opts, o, .name = hostile, .key_size = 4, .value_size = 4,
		     .max_entries = 1, .event_fn = on_event);
	struct safemap *m;
	uint32_t k = 1, v = 2;
	char prom[16384];
	int n;

	safemap_set_log(on_log, NULL);
	ck_assert_int_eq(safemap_create(&o, &m), 0);
	ck_assert_int_eq(safemap_put(m, &k, &v, SAFEMAP_ANY), 0);
	k = 2;
	ck_assert_int_eq(safemap_put(m, &k, &v, SAFEMAP_ANY), -E2BIG);
	assert_clean("safemap_last_error", safemap_last_error());
	ck_assert_ptr_nonnull(strstr(safemap_last_error(), "\\x1b]0;p\\x07\\x0d\\x1b[Kok\\xff"));
	assert_clean("the event's detail", event_detail);
	ck_assert_ptr_nonnull(strstr(event_detail, "\\x1b]0;p"));
	assert_clean("the log line", logged);
	n = safemap_metrics_write_prometheus(&m, 1, prom, sizeof(prom));
	ck_assert_int_gt(n, 0);
	ck_assert_int_lt(n, (int)sizeof(prom));
	ck_assert(valid_utf8(prom, (size_t)n));
	{
		size_t i;

		for (i = 0; i < (size_t)n; i++)
			ck_assert_msg(prom[i] == '\n' || ((unsigned char)prom[i] >= 0x20 && prom[i] != 0x7f),
				      "Prometheus text holds control byte 0x%02x", (unsigned char)prom[i]);
	}
	ck_assert_ptr_nonnull(strstr(prom, "map=\"\\\\x1b]0;p\\\\x07\\\\x0d\\\\x1b[Kok\\\\xff\""));
	/* and Prometheus's own parser accepts it (promtool, where installed:
	 * scripts/lib.sh installs it for the tests) */
	if (system("command -v promtool >/dev/null 2>&1") == 0) {
		char path[64], cmd[160];
		FILE *f;

		snprintf(path, sizeof(path), "/tmp/test_escape_%d.prom", (int)getpid());
		f = fopen(path, "w");
		ck_assert_ptr_nonnull(f);
		ck_assert_uint_eq(fwrite(prom, 1, (size_t)n, f), (size_t)n);
		fclose(f);
		snprintf(cmd, sizeof(cmd), "promtool check metrics < %s", path);
		n = system(cmd);
		unlink(path);
		ck_assert_msg(n == 0, "promtool check metrics refused the exposition");
	}
	safemap_set_log(NULL, NULL);
	safemap_destroy(m);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("escape");
	TCase *tc = tcase_create("escape");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, every_byte_value);
	tcase_add_test(tc, every_two_byte_string);
	tcase_add_test(tc, every_three_byte_string_with_a_lead_byte);
	tcase_add_test(tc, four_byte_boundaries);
	tcase_add_test(tc, named_cases);
	tcase_add_test(tc, fixed_size_field_without_nul);
	tcase_add_test(tc, cut_at_every_size);
	tcase_add_test(tc, text_escape_is_idempotent);
	tcase_add_test(tc, event_format_escapes_outside_strings);
	tcase_add_test(tc, details_and_labels_escape_a_map_name);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
