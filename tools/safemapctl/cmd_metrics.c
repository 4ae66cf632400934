/* SPDX-License-Identifier: BSD-2-Clause */
/* safemapctl metrics: the Prometheus text exposition of BPF maps (all on
 * the system, or those named) and, with --audit, of the audit probe
 * guarding them: printed once, served over HTTP (--listen), or written
 * atomically for node_exporter's textfile collector (--textfile).
 * Exit 0: done (or stopped by SIGINT/SIGTERM); 2: usage error, or the
 * metrics cannot be read, served or written. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <safemap/audit.h>
#include <safemap/bpf_metrics.h>
#include <safemap/escape.h>

#include "cmd.h"
#include "ctl_util.h"
#include "http.h"

static const char metrics_usage[] =
	"usage: safemapctl metrics [--map ID]... [--pin PATH]... [--audit] [--no-entries]\n"
	"                          [--listen [ADDR:]PORT | --textfile PATH [--interval S]] [--json]\n"
	"  The Prometheus text exposition (format 0.0.4) of BPF maps: all maps on the\n"
	"  system, or those named, looked up again for every scrape or write.\n"
	"  --map ID          only the map with this kernel id (repeatable)\n"
	"  --pin PATH        only the map pinned at PATH (repeatable)\n"
	"  --audit           guard the named maps with the audit probe (only safemapctl\n"
	"                    may write them), print its reports as they come, and export\n"
	"                    safemap_audit_*; needs --listen, or --textfile with --interval\n"
	"  --no-entries      do not count entries (no safemap_bpf_map_entries/fill_ratio)\n"
	"  --listen [ADDR:]PORT  serve GET /metrics on ADDR (default 127.0.0.1; port 0\n"
	"                    picks a free port, printed) until SIGINT/SIGTERM\n"
	"  --textfile PATH   write the exposition to PATH atomically (PATH.tmp.PID, fsync,\n"
	"                    rename), for node_exporter's textfile collector (name it *.prom)\n"
	"  --interval S      with --textfile: rewrite every S seconds until SIGINT/SIGTERM\n"
	"                    (default 0: write once and exit)\n"
	"  --json            once: the maps as JSON instead of the exposition; with\n"
	"                    --listen/--textfile: status lines and reports as JSON lines\n"
	"exit status: 0 done or stopped by a signal, 2 usage error or failure (needs root)\n";

struct metrics {
	struct ctl_targets ts;
	struct safemap_audit *audit;
	bool no_entries, json;
	size_t cap; /* buffer size that fitted last time */
};

/* The BPF maps' exposition, then the audit's, into buf (snprintf-like). */
static int render_into(struct metrics *m, struct ctl_maps *ms, char *buf, size_t cap)
{
	SAFEMAP_OPTS(safemap_bpf_metrics_opts, o, .no_entries = m->no_entries);
	int n, k;

	n = safemap_bpf_metrics_write_prometheus(ms->h, ms->n, &o, buf, cap);
	if (n < 0 || !m->audit)
		return n;
	k = safemap_audit_metrics_write_prometheus(m->audit, (size_t)n < cap ? buf + n : NULL,
						   (size_t)n < cap ? cap - (size_t)n : 0);
	if (k < 0)
		return k;
	return (size_t)n + (size_t)k > INT_MAX ? -EOVERFLOW : n + k;
}

/* The exposition, malloc'ed; NULL on failure (message on stderr). */
static char *render(void *ctx, size_t *len)
{
	struct metrics *m = ctx;
	struct ctl_maps ms;
	char *buf = NULL;
	int n;

	if (ctl_open_maps("metrics", &m->ts, &ms, false))
		return NULL;
	if (!m->cap)
		m->cap = 65536;
	for (;;) {
		char *nb = realloc(buf, m->cap);

		if (!nb) {
			free(buf);
			buf = NULL;
			break;
		}
		buf = nb;
		n = render_into(m, &ms, buf, m->cap);
		if (n < 0) {
			ctl_error("metrics", "%s", safemap_last_error());
			free(buf);
			buf = NULL;
			break;
		}
		if ((size_t)n < m->cap) {
			*len = (size_t)n;
			break;
		}
		m->cap = (size_t)n + 65536; /* entries may grow before the next call */
	}
	ctl_close_maps(&ms);
	return buf;
}

static int print_json(struct metrics *m)
{
	struct ctl_maps ms;
	size_t i, entries;

	if (ctl_open_maps("metrics", &m->ts, &ms, false))
		return CTL_ERROR;
	printf("{\"maps\":[");
	for (i = 0; i < ms.n; i++) {
		bool counted = !m->no_entries && safemap_bpf_count(ms.h[i], &entries) == 0;

		if (i)
			putchar(',');
		ctl_json_map(stdout, ms.h[i], counted, counted ? entries : 0);
	}
	printf("],\"count\":%zu}\n", ms.n);
	ctl_close_maps(&ms);
	return CTL_OK;
}

static int write_textfile(struct metrics *m, const char *path)
{
	size_t len = 0;
	char tmp[4200];
	char *buf = render(m, &len);
	FILE *f;

	if (!buf)
		return -EIO;
	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid());
	f = fopen(tmp, "w");
	if (!f || fwrite(buf, 1, len, f) != len || fflush(f) || fsync(fileno(f))) {
		int err = -errno;

		ctl_error("metrics", "writing %s: %s", tmp, strerror(-err));
		if (f)
			fclose(f);
		unlink(tmp);
		free(buf);
		return err ? err : -EIO;
	}
	fclose(f);
	free(buf);
	if (rename(tmp, path)) {
		int err = -errno;

		ctl_error("metrics", "renaming %s to %s: %s", tmp, path, strerror(-err));
		unlink(tmp);
		return err;
	}
	return 0;
}

static void on_event(const struct safemap_event *ev, void *ctx)
{
	ctl_print_event(ev, ((struct metrics *)ctx)->json);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Sleep up to @p seconds, delivering audit reports; returns at a signal. */
static void wait_for(struct metrics *m, double seconds)
{
	int ms = seconds > 0.2 ? 200 : (int)ceil(seconds * 1000);

	if (m->audit)
		safemap_audit_poll(m->audit, ms);
	else
		poll(NULL, 0, ms);
}

static int parse_listen(const char *arg, char *addr, size_t addr_len, uint16_t *port)
{
	const char *colon = strrchr(arg, ':');
	const char *p = colon ? colon + 1 : arg;
	uint64_t v;

	if (!ctl_parse_u64(p, 0, 65535, &v))
		return -1;
	*port = (uint16_t)v;
	if (!colon || colon == arg)
		snprintf(addr, addr_len, "127.0.0.1");
	else if ((size_t)(colon - arg) < addr_len)
		snprintf(addr, addr_len, "%.*s", (int)(colon - arg), arg);
	else
		return -1;
	return 0;
}

static int guard(struct metrics *m)
{
	SAFEMAP_OPTS(safemap_audit_opts, ao, .event_fn = on_event, .event_ctx = m);
	size_t i;
	int err;

	err = safemap_audit_open(&ao, &m->audit);
	if (err)
		return ctl_error("metrics", "--audit: %s", safemap_last_error());
	for (i = 0; i < m->ts.n; i++) {
		err = m->ts.t[i].pin ? safemap_audit_guard_pinned(m->audit, m->ts.t[i].pin, NULL)
				     : safemap_audit_guard(m->audit, m->ts.t[i].id, NULL);
		if (err < 0)
			return ctl_error("metrics", "--audit: %s", safemap_last_error());
	}
	return CTL_OK;
}

int cmd_metrics(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "map", required_argument, NULL, 'm' },
		{ "pin", required_argument, NULL, 'p' },
		{ "audit", no_argument, NULL, 'a' },
		{ "no-entries", no_argument, NULL, 'n' },
		{ "listen", required_argument, NULL, 'l' },
		{ "textfile", required_argument, NULL, 't' },
		{ "interval", required_argument, NULL, 'i' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct metrics m;
	const char *listen = NULL, *textfile = NULL;
	bool audit = false, interval_set = false;
	struct ctl_http *http = NULL;
	double interval = 0, next;
	char addr[64];
	uint16_t port = 0, bound = 0;
	int c, rc = CTL_OK;

	optind = 1;
	while ((c = ctl_getopt("metrics", argc, argv, longopts, &m.ts, metrics_usage)) > 0) {
		switch (c) {
		case 'a': audit = true; break;
		case 'n': m.no_entries = true; break;
		case 'l': listen = optarg; break;
		case 't': textfile = optarg; break;
		case 'i':
			if (!ctl_parse_seconds(optarg, 86400, &interval))
				return ctl_error("metrics", "--interval: not a number of seconds: '%s'",
						 optarg);
			interval_set = true;
			break;
		case 'j': m.json = true; break;
		}
	}
	if (c < 0)
		return c == CTL_OPT_HELP ? CTL_OK : CTL_ERROR;
	if (listen && textfile)
		return ctl_error("metrics", "--listen and --textfile: choose one");
	if (interval_set && !textfile)
		return ctl_error("metrics", "--interval goes with --textfile");
	if (textfile && !*textfile)
		return ctl_error("metrics", "--textfile: empty path");
	if (listen && parse_listen(listen, addr, sizeof(addr), &port))
		return ctl_error("metrics", "--listen: not [ADDR:]PORT: '%s'", listen);
	if (audit && !m.ts.n)
		return ctl_error("metrics", "--audit needs the maps to guard (--map/--pin)");
	if (audit && !listen && !(textfile && interval > 0))
		return ctl_error("metrics", "--audit needs --listen, or --textfile with --interval");
	if (ctl_check_privileges("metrics"))
		return CTL_ERROR;

	if (!listen && !textfile) { /* once, on stdout */
		size_t len;
		char *buf;

		if (m.json)
			return print_json(&m);
		buf = render(&m, &len);
		if (!buf)
			return CTL_ERROR;
		fwrite(buf, 1, len, stdout);
		free(buf);
		return CTL_OK;
	}
	if (textfile && interval == 0)
		return write_textfile(&m, textfile) ? CTL_ERROR : CTL_OK;

	setvbuf(stdout, NULL, _IOLBF, 0);
	ctl_catch_signals();
	if (audit && guard(&m)) {
		safemap_audit_close(m.audit);
		return CTL_ERROR;
	}
	if (listen) {
		if (ctl_http_start(addr, port, "/metrics", "text/plain; version=0.0.4; charset=utf-8",
				   render, &m, &http, &bound)) {
			safemap_audit_close(m.audit);
			return CTL_ERROR;
		}
		if (m.json)
			printf("{\"type\":\"listening\",\"url\":\"http://%s:%u/metrics\",\"port\":%u}\n",
			       addr, bound, bound);
		else
			printf("serving http://%s:%u/metrics (Ctrl-C stops)\n", addr, bound);
	} else {
		if (m.json) {
			printf("{\"type\":\"writing\",\"path\":");
			ctl_json_str(stdout, textfile);
			printf(",\"interval\":%g}\n", interval);
		} else {
			printf("writing ");
			ctl_text(stdout, textfile, SAFEMAP_ESCAPE_CSTR);
			printf(" every %g s (Ctrl-C stops)\n", interval);
		}
	}
	next = now_s();
	while (!ctl_stop) {
		if (textfile && now_s() >= next) {
			if (write_textfile(&m, textfile))
				rc = CTL_ERROR; /* reported; try again next time */
			next += interval;
			if (next < now_s())
				next = now_s() + interval;
		}
		wait_for(&m, textfile ? next - now_s() : 1.0);
	}
	if (http) {
		struct ctl_http_stats hs;

		ctl_http_get_stats(http, &hs);
		fprintf(stderr, "safemapctl metrics: http: %llu connections (at most %zu open), "
			"%llu shut at the limit, %llu at the %d s deadline\n",
			(unsigned long long)hs.accepted, hs.peak, (unsigned long long)hs.evicted,
			(unsigned long long)hs.timed_out, CTL_HTTP_REQUEST_SECONDS);
	}
	ctl_http_stop(http);
	if (m.audit) {
		struct safemap_audit_stats st;

		safemap_audit_poll(m.audit, 0);
		safemap_audit_get_stats(m.audit, &st);
		if (m.json)
			printf("{\"type\":\"stopped\",\"reports\":%llu,\"lost\":%llu}\n",
			       (unsigned long long)st.reports, (unsigned long long)st.lost);
		else
			printf("stopped: %llu audit reports, %llu lost\n",
			       (unsigned long long)st.reports, (unsigned long long)st.lost);
		safemap_audit_close(m.audit);
	} else if (m.json) {
		printf("{\"type\":\"stopped\"}\n");
	} else {
		printf("stopped\n");
	}
	return rc;
}
