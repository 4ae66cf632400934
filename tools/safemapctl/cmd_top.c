/* SPDX-License-Identifier: BSD-2-Clause */
/* safemapctl top: a live view of BPF maps, fullest first, with a fill bar,
 * entries/max_entries and, with --audit (guarding the maps named), the
 * writes the policy does not allow and those refused with E2BIG per second
 * (the probe sees every other process's writes and their results), and the
 * lost reports. Redrawn in place every --interval seconds on a terminal
 * (q or Ctrl-C quits and restores it); plain frames otherwise; --once
 * prints one frame. Exit 0: quit; 2: usage error or failure (needs root). */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <safemap/audit.h>

#include "cmd.h"
#include "ctl_util.h"
#include "top.h"

static const char top_usage[] =
	"usage: safemapctl top [--map ID]... [--pin PATH]... [--type TYPE] [--audit]\n"
	"                      [--interval S] [--once]\n"
	"  A live view of BPF maps (all, or those named), fullest first: a fill bar,\n"
	"  entries/max_entries, and with --audit the writes refused with E2BIG and the\n"
	"  illegal writes per second. q or Ctrl-C quits. Not a terminal: plain frames.\n"
	"  --map ID        only the map with this kernel id (repeatable)\n"
	"  --pin PATH      only the map pinned at PATH (repeatable)\n"
	"  --type TYPE     only maps of this type (hash, array, lru_hash, ...)\n"
	"  --audit         guard the named maps with the audit probe (only safemapctl may\n"
	"                  write them): E2BIG/s and illegal writes/s of every other\n"
	"                  writer, lost reports/s\n"
	"  --interval S    refresh every S seconds (default 1)\n"
	"  --once          print one frame (taken one interval after the first sample)\n"
	"exit status: 0 quit (q, Ctrl-C, SIGTERM) or --once done, 2 usage error or failure\n"
	"             (needs root)\n";

/* per map id: what the audit reported (totals) and the rates at the last sample */
struct tally {
	uint32_t id;
	uint64_t illegal, e2big, prev_illegal, prev_e2big;
	double illegal_rate, e2big_rate;
};

struct top {
	struct ctl_targets ts;
	const char *type;
	double interval;
	struct safemap_audit *audit;
	struct tally *t;
	size_t nt, capt;
	uint64_t prev_reports, prev_lost;
	double prev_time;
	bool sampled;
	struct top_frame f;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct tally *tally(struct top *tp, uint32_t id)
{
	size_t i;

	for (i = 0; i < tp->nt; i++)
		if (tp->t[i].id == id)
			return &tp->t[i];
	if (tp->nt == tp->capt) {
		size_t cap = tp->capt ? 2 * tp->capt : 16;
		struct tally *nt = realloc(tp->t, cap * sizeof(*nt));

		if (!nt)
			return NULL;
		tp->t = nt;
		tp->capt = cap;
	}
	memset(&tp->t[tp->nt], 0, sizeof(tp->t[0]));
	tp->t[tp->nt].id = id;
	return &tp->t[tp->nt++];
}

static void on_event(const struct safemap_event *ev, void *ctx)
{
	struct tally *t;

	if (ev->reason != SAFEMAP_REASON_NOT_ALLOWED)
		return; /* lost reports: from the audit's counters */
	t = tally(ctx, ev->map_id);
	if (!t)
		return;
	t->illegal++;
	if (ev->result == -E2BIG)
		t->e2big++;
}

/* Take a sample: the maps now, the audit's counts since the last sample. */
static void sample(struct top *tp)
{
	double t = now_s(), dt = tp->sampled ? t - tp->prev_time : 0;
	struct ctl_maps ms;
	size_t i, n = 0;
	time_t wall = time(NULL);
	struct tm tm;
	char tb[32];

	if (tp->audit)
		safemap_audit_poll(tp->audit, 0);
	for (i = 0; i < tp->nt; i++) {
		struct tally *y = &tp->t[i];

		y->illegal_rate = dt > 0 ? (double)(y->illegal - y->prev_illegal) / dt : 0;
		y->e2big_rate = dt > 0 ? (double)(y->e2big - y->prev_e2big) / dt : 0;
		y->prev_illegal = y->illegal;
		y->prev_e2big = y->e2big;
	}
	if (tp->audit) {
		struct safemap_audit_stats st;

		safemap_audit_get_stats(tp->audit, &st);
		tp->f.guarded = st.guarded;
		tp->f.reports = st.reports;
		tp->f.lost = st.lost;
		tp->f.illegal_rate = dt > 0 ? (double)(st.reports - tp->prev_reports) / dt : 0;
		tp->f.lost_rate = dt > 0 ? (double)(st.lost - tp->prev_lost) / dt : 0;
		tp->prev_reports = st.reports;
		tp->prev_lost = st.lost;
	}
	tp->prev_time = t;
	tp->sampled = true;
	localtime_r(&wall, &tm);
	strftime(tp->f.clock, sizeof(tp->f.clock), "%H:%M:%S", &tm);

	tp->f.error[0] = '\0';
	if (ctl_open_maps("top", &tp->ts, &ms, true)) {
		top_escape(safemap_last_error(), tp->f.error, sizeof(tp->f.error));
		tp->f.n = 0;
		return;
	}
	free(tp->f.rows);
	tp->f.rows = calloc(ms.n ? ms.n : 1, sizeof(*tp->f.rows));
	if (!tp->f.rows) {
		snprintf(tp->f.error, sizeof(tp->f.error), "out of memory");
		tp->f.n = 0;
		ctl_close_maps(&ms);
		return;
	}
	for (i = 0; i < ms.n; i++) {
		struct top_row *r = &tp->f.rows[n];
		const struct safemap_bpf *h = ms.h[i];
		const char *type = ctl_map_type(safemap_bpf_type(h), tb, sizeof(tb));
		size_t j;

		if (tp->type && strcmp(tp->type, type))
			continue;
		ctl_fill_read(ms.h[i], &r->f);
		r->f.fill = r->f.fill > 1 ? 1 : r->f.fill;
		top_escape(safemap_bpf_name(h), r->name, sizeof(r->name));
		top_escape(type, r->type, sizeof(r->type));
		for (j = 0; tp->audit && j < tp->ts.n; j++)
			r->audited |= tp->ts.t[j].id == r->f.id; /* guard() set the ids of pins */
		if (r->audited) {
			struct tally *y = tally(tp, r->f.id);

			r->illegal_rate = y ? y->illegal_rate : 0;
			r->e2big_rate = y ? y->e2big_rate : 0;
		}
		n++;
	}
	tp->f.n = n;
	ctl_close_maps(&ms);
	top_sort(&tp->f);
}

static void draw(struct top *tp, bool tty)
{
	int cols = 0, rows = 0;

	if (tty) {
		top_term_size(&cols, &rows);
		fputs("\033[H", stdout);
		top_render(stdout, &tp->f, cols, rows - 1, true);
		fputs("\033[J", stdout);
	} else {
		if (isatty(STDOUT_FILENO))
			top_term_size(&cols, &rows); /* --once on a terminal: cut, not wrapped */
		top_render(stdout, &tp->f, cols, 0, false);
	}
	fflush(stdout);
}

/* Wait until @p until (monotonic seconds), delivering audit reports; returns
 * early with true when a key, a resize or a signal needs attention. */
static bool wait_until(struct top *tp, double until, bool keys)
{
	for (;;) {
		double left = until - now_s();
		struct pollfd p[2];
		int n = 0, ms;

		if (ctl_stop)
			return true;
		if (left <= 0)
			return false;
		ms = left > 0.2 ? 200 : (int)(left * 1000) + 1;
		if (keys)
			p[n++] = (struct pollfd){ .fd = STDIN_FILENO, .events = POLLIN };
		if (tp->audit)
			p[n++] = (struct pollfd){ .fd = safemap_audit_fd(tp->audit), .events = POLLIN };
		poll(p, (nfds_t)n, ms);
		if (tp->audit)
			safemap_audit_poll(tp->audit, 0);
		if (keys && (p[0].revents & POLLIN))
			return true;
		if (top_term_resized())
			return true;
	}
}

static int guard(struct top *tp)
{
	SAFEMAP_OPTS(safemap_audit_opts, ao, .event_fn = on_event, .event_ctx = tp);
	size_t i;
	int err;

	err = safemap_audit_open(&ao, &tp->audit);
	if (err)
		return ctl_error("top", "--audit: %s", safemap_last_error());
	for (i = 0; i < tp->ts.n; i++) {
		err = tp->ts.t[i].pin ? safemap_audit_guard_pinned(tp->audit, tp->ts.t[i].pin, NULL)
				      : safemap_audit_guard(tp->audit, tp->ts.t[i].id, NULL);
		if (err < 0)
			return ctl_error("top", "--audit: %s", safemap_last_error());
		if (tp->ts.t[i].pin) /* from now on by id: the view matches rows by id */
			tp->ts.t[i].id = (uint32_t)err;
	}
	return CTL_OK;
}

int cmd_top(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "map", required_argument, NULL, 'm' },
		{ "pin", required_argument, NULL, 'p' },
		{ "type", required_argument, NULL, 't' },
		{ "audit", no_argument, NULL, 'a' },
		{ "interval", required_argument, NULL, 'i' },
		{ "once", no_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct top tp;
	struct ctl_maps ms;
	bool audit = false, once = false, tty, keys;
	double next;
	int c, rc = CTL_OK;

	tp.interval = 1;
	optind = 1;
	while ((c = ctl_getopt("top", argc, argv, longopts, &tp.ts, top_usage)) > 0) {
		switch (c) {
		case 't': tp.type = optarg; break;
		case 'a': audit = true; break;
		case 'i':
			if (!ctl_parse_seconds(optarg, 3600, &tp.interval) || tp.interval < 0.05)
				return ctl_error("top", "--interval: not a number of seconds from 0.05 "
						 "to 3600: '%s'", optarg);
			break;
		case 'o': once = true; break;
		}
	}
	if (c < 0)
		return c == CTL_OPT_HELP ? CTL_OK : CTL_ERROR;
	if (audit && !tp.ts.n)
		return ctl_error("top", "--audit needs the maps to guard (--map/--pin)");
	if (ctl_check_privileges("top"))
		return CTL_ERROR;
	tp.f.interval = tp.interval;
	tp.f.audit = audit;
	ctl_catch_signals();
	if (audit && guard(&tp)) {
		safemap_audit_close(tp.audit);
		return CTL_ERROR;
	}
	if (ctl_open_maps("top", &tp.ts, &ms, false)) { /* a named map cannot be opened */
		safemap_audit_close(tp.audit);
		return CTL_ERROR;
	}
	ctl_close_maps(&ms);
	sample(&tp);
	if (once) {
		wait_until(&tp, now_s() + tp.interval, false);
		sample(&tp);
		draw(&tp, false);
		goto out;
	}
	tty = top_term_enter();
	keys = tty && isatty(STDIN_FILENO);
	draw(&tp, tty);
	next = now_s() + tp.interval;
	while (!ctl_stop) {
		if (!wait_until(&tp, next, keys)) {
			sample(&tp);
			if (!tty)
				putchar('\n'); /* plain frames, one blank line apart */
			draw(&tp, tty);
			next += tp.interval;
			if (next < now_s())
				next = now_s() + tp.interval;
			continue;
		}
		for (c = top_term_key(); c >= 0; c = top_term_key())
			if (c == 'q' || c == 'Q')
				goto out;
		if (tty)
			draw(&tp, tty); /* resized: the same sample, cut to the new size */
	}
out:
	top_term_leave();
	safemap_audit_close(tp.audit);
	free(tp.f.rows);
	free(tp.t);
	return rc;
}
