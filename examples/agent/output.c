/* SPDX-License-Identifier: BSD-2-Clause */
/* The demo agent's event sink (one for the user-space map, the BPF map
 * handle and the audit probe) and its output: plain text or JSON lines. */
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <safemap/escape.h>

#include "agent.h"

/* Process names, map names and messages are outside strings: every one is
 * printed through libsafemap's escape helpers (safemap/escape.h). */
void json_str(FILE *f, const char *s)
{
	char buf[4096];

	safemap_escape_json(buf, sizeof(buf), s, SAFEMAP_ESCAPE_CSTR); /* cut at a whole unit */
	fprintf(f, "\"%s\"", buf);
}

const char *text_str(char *buf, size_t len, const char *s)
{
	safemap_escape_text(buf, len, s, SAFEMAP_ESCAPE_CSTR);
	return buf;
}

/* Events of one kind (source, op, reason, map, process) are grouped per
 * tick: the first is kept whole, the others counted in its repeat. */
static bool same_kind(const struct agent_event *r, const struct safemap_event *ev)
{
	return r->ev.source == ev->source && r->ev.op == ev->op && r->ev.reason == ev->reason &&
	       r->ev.pid == ev->pid && !strncmp(r->map_name, ev->map_name, sizeof(r->map_name) - 1);
}

/* Called on whichever thread caused the event: the aggregator threads (the
 * user-space map), the main thread (the BPF handle, the audit poll). */
void agent_sink(const struct safemap_event *ev, void *ctx)
{
	struct agent *a = ctx;
	struct agent_event *r = NULL;
	unsigned i;

	pthread_mutex_lock(&a->lock);
	if ((unsigned)ev->source < 4 && (unsigned)ev->reason < SAFEMAP_REASON_MAX)
		a->totals[ev->source][ev->reason]++;
	if (ev->source == SAFEMAP_SRC_AUDIT && ev->reason == SAFEMAP_REASON_NOT_ALLOWED &&
	    a->intruder && ev->pid == a->intruder)
		a->intruder_reported = true;
	if (ev->reason == SAFEMAP_REASON_SPEC_MISMATCH)
		a->mismatch_refused = true;
	for (i = 0; i < a->nlog; i++)
		if (same_kind(&a->log[i], ev)) {
			a->log[i].repeat++;
			goto out;
		}
	if (a->nlog == AGENT_MAX_LOG) {
		a->log_dropped++;
		goto out;
	}
	r = &a->log[a->nlog++];
	r->ev = *ev;
	if (ev->sz < sizeof(r->ev)) /* an older library filled less */
		memset((char *)&r->ev + ev->sz, 0, sizeof(r->ev) - ev->sz);
	snprintf(r->map_name, sizeof(r->map_name), "%s", ev->map_name);
	snprintf(r->detail, sizeof(r->detail), "%s", ev->detail);
	snprintf(r->cgroup, sizeof(r->cgroup), "%s",
		 ev->sz > offsetof(struct safemap_event, cgroup) && ev->cgroup ? ev->cgroup : "");
	r->ev.cgroup = r->cgroup;
	r->key32 = 0;
	if (ev->key && ev->key_size == sizeof(uint32_t))
		memcpy(&r->key32, ev->key, sizeof(uint32_t));
	r->ev.map_name = r->map_name;
	r->ev.detail = r->detail;
	r->ev.key = ev->key && ev->key_size == sizeof(uint32_t) ? &r->key32 : NULL;
	r->ev.key_size = r->ev.key ? sizeof(uint32_t) : 0;
	r->repeat = 0;
out:
	pthread_mutex_unlock(&a->lock);
}

void agent_say(struct agent *a, const char *kind, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (a->json) {
		printf("{\"type\":");
		json_str(stdout, kind);
		printf(",\"t\":%.3f,\"message\":", agent_now() - a->t0);
		json_str(stdout, msg);
		printf("}\n");
	} else {
		char esc[4 * sizeof(msg)];

		printf("  %-8s %s\n", kind, text_str(esc, sizeof(esc), msg));
	}
	fflush(stdout);
}

/* A short label for the text output. */
static const char *label(const struct safemap_event *ev)
{
	switch (ev->reason) {
	case SAFEMAP_REASON_NOT_ALLOWED: return "ILLEGAL WRITE";
	case SAFEMAP_REASON_FULL: return "capacity";
	case SAFEMAP_REASON_WATERMARK: return "watermark";
	case SAFEMAP_REASON_SPEC_MISMATCH: return "refused open";
	case SAFEMAP_REASON_LOST: return "LOST REPORTS";
	default: return safemap_reason_name(ev->reason);
	}
}

/* Print and forget this tick's events. */
void agent_flush_events(struct agent *a)
{
	char line[1024], comm[sizeof(((struct safemap_event *)0)->comm) + 1] = "";
	unsigned i;

	pthread_mutex_lock(&a->lock);
	for (i = 0; i < a->nlog; i++) {
		const struct agent_event *r = &a->log[i];
		const struct safemap_event *ev = &r->ev;

		if (!a->json) {
			safemap_event_format(ev, line, sizeof(line));
			printf("  event    [%s] %s", label(ev), line);
			if (r->repeat)
				printf(" (and %u more like it)", r->repeat);
			putchar('\n');
			continue;
		}
		printf("{\"type\":\"event\",\"t\":%.3f,\"source\":\"%s\",\"op\":\"%s\","
		       "\"reason\":\"%s\",\"result\":%d,\"map\":",
		       agent_now() - a->t0, safemap_event_source_name(ev->source),
		       safemap_op_name(ev->op), safemap_reason_name(ev->reason), ev->result);
		json_str(stdout, ev->map_name);
		printf(",\"map_id\":%u,\"pid\":%d,\"uid\":%u,\"comm\":", ev->map_id, (int)ev->pid,
		       (unsigned)ev->uid);
		memcpy(comm, ev->comm, sizeof(ev->comm));
		json_str(stdout, comm);
		if (ev->key)
			printf(",\"key\":%u", r->key32);
		if (ev->source == SAFEMAP_SRC_AUDIT && ev->reason == SAFEMAP_REASON_NOT_ALLOWED) {
			printf(",\"cgroup_id\":%llu,\"cgroup\":", (unsigned long long)ev->cgroup_id);
			json_str(stdout, r->cgroup);
		}
		printf(",\"count\":%llu,\"limit\":%llu,\"repeat\":%u,\"detail\":",
		       (unsigned long long)ev->count, (unsigned long long)ev->limit, r->repeat);
		json_str(stdout, ev->detail);
		printf("}\n");
	}
	if (a->log_dropped && !a->json)
		printf("  event    (%llu more events not shown)\n", (unsigned long long)a->log_dropped);
	a->nlog = 0;
	a->log_dropped = 0;
	pthread_mutex_unlock(&a->lock);
	fflush(stdout);
}
