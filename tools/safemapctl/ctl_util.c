/* SPDX-License-Identifier: BSD-2-Clause */
/* safemapctl: helpers shared by the maps, metrics and audit subcommands. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <safemap/escape.h>

#include "cmd.h"
#include "ctl_util.h"

volatile sig_atomic_t ctl_stop;

static void on_signal(int sig)
{
	(void)sig;
	ctl_stop = 1;
}

void ctl_catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

typedef size_t (*escape_fn)(char *buf, size_t len, const char *s, size_t n);

/* Write @p s escaped by @p fn on @p f (a heap buffer when it is long). */
static void put_escaped(FILE *f, escape_fn fn, const char *s, size_t n)
{
	char small[512], *big;
	size_t need = fn(small, sizeof(small), s, n);

	if (need < sizeof(small) || !(big = malloc(need + 1))) {
		fputs(small, f); /* whole, or cut at a whole unit when out of memory */
		return;
	}
	fn(big, need + 1, s, n);
	fwrite(big, 1, need, f);
	free(big);
}

void ctl_text(FILE *f, const char *s, size_t n)
{
	put_escaped(f, safemap_escape_text, s, n);
}

const char *ctl_esc(char *buf, size_t len, const char *s)
{
	safemap_escape_text(buf, len, s, SAFEMAP_ESCAPE_CSTR);
	return buf;
}

int ctl_error(const char *cmd, const char *fmt, ...)
{
	char msg[8192];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "safemapctl %s: ", cmd);
	ctl_text(stderr, msg, sizeof(msg)); /* names maps, paths, arguments */
	fputc('\n', stderr);
	return CTL_ERROR;
}

bool ctl_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return false;
	*out = v;
	return true;
}

bool ctl_parse_seconds(const char *s, double max, double *out)
{
	char *end;
	double v;

	if (!s || !*s)
		return false;
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || !isfinite(v) || v < 0 || v > max)
		return false;
	*out = v;
	return true;
}

void ctl_json_strn(FILE *f, const char *s, size_t n)
{
	fputc('"', f);
	put_escaped(f, safemap_escape_json, s, n);
	fputc('"', f);
}

void ctl_json_str(FILE *f, const char *s)
{
	ctl_json_strn(f, s, SAFEMAP_ESCAPE_CSTR);
}

/* Add one, from getopt's @p opt 'm' (--map ID) or 'p' (--pin PATH) and its
 * @p arg; false (with an error printed) when the list is full or the id is
 * not a number. */
static bool target_add(struct ctl_targets *ts, const char *cmd, int opt, const char *arg)
{
	const char *id = opt == 'm' ? arg : NULL, *pin = opt == 'm' ? NULL : arg;
	uint64_t v = 0;

	if (ts->n == sizeof(ts->t) / sizeof(ts->t[0])) {
		ctl_error(cmd, "too many maps (at most %zu)", sizeof(ts->t) / sizeof(ts->t[0]));
		return false;
	}
	if (id && !ctl_parse_u64(id, 1, UINT32_MAX, &v)) {
		ctl_error(cmd, "--map: not a map id: '%s'", id);
		return false;
	}
	ts->t[ts->n].id = (uint32_t)v;
	ts->t[ts->n].pin = pin;
	ts->n++;
	return true;
}

int ctl_getopt(const char *cmd, int argc, char **argv, const struct option *longopts,
	       struct ctl_targets *ts, const char *usage)
{
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) == 'm' || c == 'p')
		if (!target_add(ts, cmd, c, optarg))
			return CTL_OPT_ERROR;
	switch (c) {
	case -1:
		if (optind < argc) {
			ctl_error(cmd, "unexpected argument '%s' (try safemapctl %s --help)",
				  argv[optind], cmd);
			return CTL_OPT_ERROR;
		}
		return CTL_OPT_DONE;
	case 'h':
		fputs(usage, stdout);
		return CTL_OPT_HELP;
	case '?':
		ctl_error(cmd, "bad option '%s' (try safemapctl %s --help)", argv[optind - 1], cmd);
		return CTL_OPT_ERROR;
	default:
		return c;
	}
}

static int add(struct ctl_maps *ms, struct safemap_bpf *h)
{
	if (ms->n == ms->cap) {
		size_t cap = ms->cap ? 2 * ms->cap : 64;
		struct safemap_bpf **nh = realloc(ms->h, cap * sizeof(*nh));

		if (!nh)
			return -ENOMEM;
		ms->h = nh;
		ms->cap = cap;
	}
	ms->h[ms->n++] = h;
	return 0;
}

int ctl_check_privileges(const char *cmd)
{
	__u32 id = 0;

	if (bpf_map_get_next_id(0, &id) && errno != ENOENT) {
		int err = -errno;

		ctl_error(cmd, "cannot list BPF maps: %s%s", strerror(errno),
			  errno == EPERM ? " (needs root: CAP_SYS_ADMIN)" : "");
		return err;
	}
	return 0;
}

int ctl_open_maps(const char *cmd, const struct ctl_targets *ts, struct ctl_maps *out, bool quiet)
{
	struct safemap_bpf *h;
	__u32 id = 0;
	size_t i;
	int err;

	memset(out, 0, sizeof(*out));
	for (i = 0; ts && i < ts->n; i++) {
		err = ts->t[i].pin ? safemap_bpf_open_pinned(ts->t[i].pin, NULL, &h)
				   : safemap_bpf_open_id(ts->t[i].id, NULL, &h);
		if (!err && (err = add(out, h)))
			safemap_bpf_put(h);
		if (err) {
			if (!quiet)
				ctl_error(cmd, "%s", safemap_last_error());
			ctl_close_maps(out);
			return err;
		}
	}
	if (ts && ts->n)
		return 0;
	for (;;) {
		if (bpf_map_get_next_id(id, &id)) {
			if (errno == ENOENT)
				return 0;
			err = -errno;
			if (!quiet)
				ctl_error(cmd, "cannot list BPF maps: %s%s", strerror(errno),
					  errno == EPERM ? " (needs root: CAP_SYS_ADMIN)" : "");
			ctl_close_maps(out);
			return err;
		}
		err = safemap_bpf_open_id(id, NULL, &h);
		if (err == -ENOENT)
			continue; /* gone since it was listed */
		if (err) {
			if (!quiet)
				ctl_error(cmd, "skipping map id %u: %s", id, safemap_last_error());
			continue;
		}
		if ((err = add(out, h))) {
			safemap_bpf_put(h);
			ctl_close_maps(out);
			return err;
		}
	}
}

void ctl_close_maps(struct ctl_maps *ms)
{
	size_t i;

	for (i = 0; i < ms->n; i++)
		safemap_bpf_put(ms->h[i]);
	free(ms->h);
	memset(ms, 0, sizeof(*ms));
}

const char *ctl_map_type(uint32_t type, char *buf, size_t len)
{
	const char *s = libbpf_bpf_map_type_str((enum bpf_map_type)type);

	if (s)
		return s;
	snprintf(buf, len, "type_%u", type);
	return buf;
}

void ctl_fill_read(struct safemap_bpf *h, struct ctl_fill *f)
{
	const char *s = libbpf_bpf_map_type_str((enum bpf_map_type)safemap_bpf_type(h));

	f->id = safemap_bpf_id(h);
	f->max_entries = safemap_bpf_max_entries(h);
	f->counted = safemap_bpf_count(h, &f->entries) == 0;
	f->array = s && strstr(s, "array") && !strstr(s, "of_maps") &&
		   strcmp(s, "perf_event_array");
	f->fill = f->counted && f->max_entries ? (double)f->entries / f->max_entries : 0.0;
}

int ctl_by_fill(const void *x, const void *y)
{
	const struct ctl_fill *a = x, *b = y;

	if (a->counted != b->counted)
		return a->counted ? -1 : 1;
	if (a->fill != b->fill)
		return a->fill > b->fill ? -1 : 1;
	if (a->array != b->array)
		return a->array ? 1 : -1;
	return a->id < b->id ? -1 : a->id > b->id;
}

void ctl_json_map(FILE *f, const struct safemap_bpf *h, bool counted, size_t entries)
{
	uint32_t max = safemap_bpf_max_entries(h);
	char tb[32];

	fprintf(f, "{\"id\":%u,\"name\":", safemap_bpf_id(h));
	ctl_json_str(f, safemap_bpf_name(h));
	fprintf(f, ",\"type\":");
	ctl_json_str(f, ctl_map_type(safemap_bpf_type(h), tb, sizeof(tb)));
	fprintf(f, ",\"key_size\":%u,\"value_size\":%u,\"max_entries\":%u,\"map_flags\":%u,",
		safemap_bpf_key_size(h), safemap_bpf_value_size(h), max, safemap_bpf_map_flags(h));
	if (counted)
		fprintf(f, "\"entries\":%zu,\"fill\":%.6g}", entries,
			max ? (double)entries / (double)max : 0.0);
	else
		fprintf(f, "\"entries\":null,\"fill\":null}");
}

void ctl_print_event(const struct safemap_event *ev, bool json)
{
	char line[2048];

	if (!json) { /* the format escapes the names (safemap_event_format) */
		safemap_event_format(ev, line, sizeof(line));
		printf("%s\n", line);
		fflush(stdout);
		return;
	}
	printf("{\"type\":\"event\",\"source\":\"%s\",\"op\":\"%s\",\"reason\":\"%s\",\"result\":%d,"
	       "\"map\":",
	       safemap_event_source_name(ev->source), safemap_op_name(ev->op),
	       safemap_reason_name(ev->reason), ev->result);
	ctl_json_str(stdout, ev->map_name);
	printf(",\"map_id\":%u,\"pid\":%d,\"tid\":%d,\"uid\":%u,\"comm\":", ev->map_id, (int)ev->pid,
	       (int)ev->tid, (unsigned)ev->uid);
	ctl_json_strn(stdout, ev->comm, sizeof(ev->comm));
	if (ev->sz > offsetof(struct safemap_event, cgroup) && ev->source == SAFEMAP_SRC_AUDIT &&
	    ev->reason == SAFEMAP_REASON_NOT_ALLOWED) {
		printf(",\"cgroup_id\":%llu,\"cgroup\":", (unsigned long long)ev->cgroup_id);
		ctl_json_str(stdout, ev->cgroup ? ev->cgroup : "");
	}
	printf(",\"count\":%llu,\"timestamp_ns\":%llu,\"detail\":", (unsigned long long)ev->count,
	       (unsigned long long)ev->timestamp_ns);
	ctl_json_str(stdout, ev->detail);
	printf("}\n");
	fflush(stdout);
}
