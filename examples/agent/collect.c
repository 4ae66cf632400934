/* SPDX-License-Identifier: BSD-2-Clause */
/* The demo agent's aggregation: two threads walk the kernel map 'syscount'
 * each round and fold their half of the processes (by tgid parity) into
 * the user-space map 'procs' with atomic read-modify-writes; entries of
 * processes that exited are then removed from the kernel map so that new
 * processes find room. Also the per-tick table and the summary. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"

/* One aggregator thread's round: the kernel entries of its processes (tgid
 * parity), as the BPF batch lookup delivered them, then folded into 'procs'
 * in two batch calls. */
struct walk {
	struct agent *a;
	unsigned idx;
	unsigned n;
	uint32_t tgid[SYSCOUNT_MAX_ENTRIES];
	struct proc_stat stat[SYSCOUNT_MAX_ENTRIES];
};

/* Add the kernel entry's growth since the last round to @p t (zeroes when
 * the process is new). A kernel count below the last one means the entry
 * was removed and made again (the process's pid was reused): count it from
 * zero. */
static void fold(struct proc_total *t, const struct proc_stat *k)
{
	uint64_t delta = k->calls >= t->last_bpf ? k->calls - t->last_bpf : k->calls;

	t->calls += delta;
	t->last_bpf = k->calls;
	memcpy(t->comm, k->comm, sizeof(t->comm));
	t->comm[sizeof(t->comm) - 1] = '\0';
}

static int visit(const void *key, const void *value, void *ctx)
{
	struct walk *w = ctx;
	struct agent *a = w->a;
	uint32_t tgid;

	memcpy(&tgid, key, sizeof(tgid));
	if (tgid % 2 != w->idx || w->n == SYSCOUNT_MAX_ENTRIES)
		return 0;
	w->tgid[w->n] = tgid;
	memcpy(&w->stat[w->n++], value, sizeof(w->stat[0]));
	if (kill((pid_t)tgid, 0) && errno == ESRCH &&
	    a->ndead[w->idx] < sizeof(a->dead[0]) / sizeof(a->dead[0][0]))
		a->dead[w->idx][a->ndead[w->idx]++] = tgid;
	return 0;
}

/* The fold: one get_batch of the current totals, one put_batch of the new
 * ones. Each thread owns its processes (parity) and eviction runs between
 * rounds, so the two calls need no lock around them. A process that does
 * not fit (-E2BIG: 'procs' is full) is reported by the library as a
 * capacity event and stays untracked. */
static void fold_round(struct walk *w)
{
	struct proc_total t[SYSCOUNT_MAX_ENTRIES];
	int res[SYSCOUNT_MAX_ENTRIES], stored;
	unsigned i;
	double t0 = agent_now();

	safemap_get_batch(w->a->procs, w->tgid, t, w->n, res);
	for (i = 0; i < w->n; i++)
		fold(&t[i], &w->stat[i]);
	stored = safemap_put_batch(w->a->procs, w->tgid, t, w->n, SAFEMAP_ANY, res);
	if (stored > 0)
		w->a->thread_updates[w->idx] += (uint64_t)stored;
	w->a->fold_secs[w->idx] += agent_now() - t0;
	w->a->folded[w->idx] += w->n;
}

static void *collector(void *arg)
{
	static struct walk walks[2];
	struct walk *w;
	struct agent *a = arg;
	unsigned seen = 0;

	pthread_mutex_lock(&a->lock);
	w = &walks[a->done]; /* thread 0, then thread 1 */
	w->a = a;
	w->idx = a->done++;
	pthread_cond_broadcast(&a->cond);
	for (;;) {
		while (a->round == seen && !a->stop_threads)
			pthread_cond_wait(&a->cond, &a->lock);
		if (a->stop_threads)
			break;
		seen = a->round;
		pthread_mutex_unlock(&a->lock);

		a->ndead[w->idx] = 0;
		w->n = 0;
		safemap_bpf_foreach(a->map, 0, visit, w);
		fold_round(w);

		pthread_mutex_lock(&a->lock);
		a->done++;
		pthread_cond_broadcast(&a->cond);
	}
	pthread_mutex_unlock(&a->lock);
	return NULL;
}

int agent_collect_start(struct agent *a)
{
	int i, err;

	for (i = 0; i < 2; i++) {
		err = pthread_create(&a->thr[i], NULL, collector, a);
		if (err)
			return -err;
	}
	pthread_mutex_lock(&a->lock);
	while (a->done < 2)
		pthread_cond_wait(&a->cond, &a->lock);
	pthread_mutex_unlock(&a->lock);
	return 0;
}

/* One round: both threads walk the kernel map; then the main thread
 * removes the entries of exited processes (their counts are folded). */
void agent_collect_round(struct agent *a)
{
	unsigned i, t;

	pthread_mutex_lock(&a->lock);
	a->done = 0;
	a->round++;
	pthread_cond_broadcast(&a->cond);
	while (a->done < 2)
		pthread_cond_wait(&a->cond, &a->lock);
	pthread_mutex_unlock(&a->lock);
	for (t = 0; t < 2; t++)
		for (i = 0; i < a->ndead[t]; i++)
			safemap_bpf_delete(a->map, &a->dead[t][i]);
	a->kernel_refused = a->skel_refused ? *a->skel_refused : 0;
}

void agent_collect_stop(struct agent *a)
{
	int i;

	pthread_mutex_lock(&a->lock);
	a->stop_threads = true;
	pthread_cond_broadcast(&a->cond);
	pthread_mutex_unlock(&a->lock);
	for (i = 0; i < 2; i++)
		pthread_join(a->thr[i], NULL);
}

/* ---- keeping room in 'procs' ---- */

struct exited {
	uint32_t tgid[AGENT_PROCS_MAX + 8];
	uint64_t calls;
	size_t n;
};

static int find_exited(const void *key, const void *value, void *ctx)
{
	const struct proc_total *t = value;
	struct exited *x = ctx;
	uint32_t tgid;

	memcpy(&tgid, key, sizeof(tgid));
	if (x->n < sizeof(x->tgid) / sizeof(x->tgid[0]) && kill((pid_t)tgid, 0) && errno == ESRCH) {
		x->tgid[x->n++] = tgid;
		x->calls += t->calls;
	}
	return 0;
}

/* Once 'procs' reaches its watermark, remove the processes that exited
 * (their calls stay in the totals): a write from inside safemap_foreach()
 * would be refused (-EDEADLK), so collect first, then delete. */
void agent_evict_exited(struct agent *a)
{
	struct exited x = { .n = 0 };
	size_t i, removed = 0;

	if (safemap_count(a->procs) < AGENT_PROCS_MAX * 9 / 10)
		return;
	safemap_foreach(a->procs, find_exited, &x);
	for (i = 0; i < x.n; i++)
		removed += safemap_delete(a->procs, &x.tgid[i]) == 0;
	if (!removed)
		return;
	a->gone_procs += removed;
	a->gone_calls += x.calls;
	agent_say(a, "evict", "'procs' at its watermark: removed %zu exited processes (%llu calls "
		  "kept in the totals), %zu entries left", removed, (unsigned long long)x.calls,
		  safemap_count(a->procs));
}

/* ---- the table ---- */

struct row {
	uint32_t tgid;
	uint64_t calls;
	char comm[16];
};

struct rows {
	struct row r[AGENT_PROCS_MAX + 8];
	size_t n;
	uint64_t total;
};

static int gather(const void *key, const void *value, void *ctx)
{
	struct rows *rs = ctx;
	const struct proc_total *t = value;

	rs->total += t->calls;
	if (rs->n < sizeof(rs->r) / sizeof(rs->r[0])) {
		struct row *r = &rs->r[rs->n++];

		memcpy(&r->tgid, key, sizeof(r->tgid));
		r->calls = t->calls;
		memcpy(r->comm, t->comm, sizeof(r->comm));
	}
	return 0;
}

static int by_calls(const void *x, const void *y)
{
	const struct row *a = x, *b = y;

	return a->calls < b->calls ? 1 : a->calls > b->calls ? -1 : (int)a->tgid - (int)b->tgid;
}

static void read_rows(struct agent *a, struct rows *rs)
{
	memset(rs, 0, sizeof(*rs));
	rs->total = a->gone_calls; /* shares are of every call counted */
	safemap_foreach(a->procs, gather, rs);
	qsort(rs->r, rs->n, sizeof(rs->r[0]), by_calls);
}

void agent_print_tick(struct agent *a, unsigned tick)
{
	struct rows rs;
	size_t entries = 0, i, top = 5;
	char esc[4 * 16 + 1];
	double fill;

	safemap_bpf_count(a->map, &entries);
	fill = (double)entries / SYSCOUNT_MAX_ENTRIES;
	read_rows(a, &rs);
	if (a->json) {
		printf("{\"type\":\"tick\",\"t\":%.3f,\"tick\":%u,\"bpf_map\":{\"name\":\"syscount\","
		       "\"id\":%u,\"entries\":%zu,\"max_entries\":%u,\"fill\":%.4f,"
		       "\"kernel_refused\":%llu},\"procs\":{\"entries\":%zu,\"max_entries\":%u},"
		       "\"calls\":%llu,\"top\":[",
		       agent_now() - a->t0, tick, a->map_id, entries, SYSCOUNT_MAX_ENTRIES, fill,
		       (unsigned long long)a->kernel_refused, safemap_count(a->procs),
		       AGENT_PROCS_MAX, (unsigned long long)rs.total);
		for (i = 0; i < rs.n && i < top; i++) {
			printf("%s{\"pid\":%u,\"comm\":", i ? "," : "", rs.r[i].tgid);
			json_str(stdout, rs.r[i].comm);
			printf(",\"calls\":%llu,\"share\":%.4f}", (unsigned long long)rs.r[i].calls,
			       rs.total ? (double)rs.r[i].calls / (double)rs.total : 0.0);
		}
		printf("]}\n");
	} else {
		printf("[%2us] kernel map 'syscount' %zu/%u (%.0f%% full), %llu inserts refused "
		       "in the kernel | user map 'procs' %zu/%u | %llu calls\n",
		       tick, entries, SYSCOUNT_MAX_ENTRIES, 100.0 * fill,
		       (unsigned long long)a->kernel_refused, safemap_count(a->procs),
		       AGENT_PROCS_MAX, (unsigned long long)rs.total);
		printf("      %7s  %-16s %10s  %6s\n", "pid", "process", "calls", "share");
		for (i = 0; i < rs.n && i < top; i++)
			printf("      %7u  %-16s %10llu  %5.1f%%\n", rs.r[i].tgid,
			       text_str(esc, sizeof(esc), rs.r[i].comm),
			       (unsigned long long)rs.r[i].calls,
			       rs.total ? 100.0 * (double)rs.r[i].calls / (double)rs.total : 0.0);
	}
	fflush(stdout);
}

void agent_print_summary(struct agent *a)
{
	struct safemap_audit_stats as = { 0 };
	struct safemap_bpf_stats bs = { 0 };
	uint64_t (*t)[SAFEMAP_REASON_MAX] = a->totals;
	char esc[4 * 16 + 1];
	struct rows rs;
	size_t i;

	uint64_t folded = a->folded[0] + a->folded[1];
	double fold_ns = folded ? (a->fold_secs[0] + a->fold_secs[1]) * 1e9 / (double)folded : 0;

	read_rows(a, &rs);
	safemap_audit_get_stats(a->audit, &as);
	safemap_bpf_get_stats(a->map, &bs);
	if (a->json) {
		printf("{\"type\":\"summary\",\"t\":%.3f,\"calls\":%llu,\"processes_tracked\":%zu,"
		       "\"processes_evicted\":%llu,"
		       "\"audit_reports\":%llu,\"audit_lost\":%llu,\"illegal_write_pid\":%d,"
		       "\"illegal_write_reported\":%s,\"mismatch_refused\":%s,"
		       "\"capacity_events\":{\"bpf_map\":%llu,\"map\":%llu},"
		       "\"watermark_events\":%llu,\"kernel_refused\":%llu,"
		       "\"bpf_capacity_violations\":%llu,\"updates_by_thread\":[%llu,%llu],"
		       "\"fold_entries\":%llu,\"fold_ns_per_entry\":%.1f,\"top\":[",
		       agent_now() - a->t0, (unsigned long long)rs.total, rs.n,
		       (unsigned long long)a->gone_procs, (unsigned long long)as.reports, (unsigned long long)as.lost, (int)a->intruder,
		       a->intruder_reported ? "true" : "false", a->mismatch_refused ? "true" : "false",
		       (unsigned long long)t[SAFEMAP_SRC_BPF_MAP][SAFEMAP_REASON_FULL],
		       (unsigned long long)t[SAFEMAP_SRC_MAP][SAFEMAP_REASON_FULL],
		       (unsigned long long)(t[SAFEMAP_SRC_MAP][SAFEMAP_REASON_WATERMARK] +
					    t[SAFEMAP_SRC_BPF_MAP][SAFEMAP_REASON_WATERMARK]),
		       (unsigned long long)a->kernel_refused,
		       (unsigned long long)bs.capacity_violations,
		       (unsigned long long)a->thread_updates[0],
		       (unsigned long long)a->thread_updates[1], (unsigned long long)folded,
		       fold_ns);
		for (i = 0; i < rs.n && i < 3; i++) {
			printf("%s{\"pid\":%u,\"comm\":", i ? "," : "", rs.r[i].tgid);
			json_str(stdout, rs.r[i].comm);
			printf(",\"calls\":%llu}", (unsigned long long)rs.r[i].calls);
		}
		printf("]}\n");
		fflush(stdout);
		return;
	}
	printf("summary: %.1f s, %llu system calls counted from %llu processes (%zu in 'procs' "
	       "now, %llu exited and evicted; updates by aggregator thread: %llu + %llu)\n",
	       agent_now() - a->t0, (unsigned long long)rs.total,
	       (unsigned long long)(rs.n + a->gone_procs), rs.n, (unsigned long long)a->gone_procs,
	       (unsigned long long)a->thread_updates[0], (unsigned long long)a->thread_updates[1]);
	for (i = 0; i < rs.n && i < 3; i++)
		printf("  top %zu   %s (pid %u): %llu calls\n", i + 1,
		       text_str(esc, sizeof(esc), rs.r[i].comm), rs.r[i].tgid,
		       (unsigned long long)rs.r[i].calls);
	printf("  fold: %llu kernel entries folded into 'procs' (batch get + batch put), %.0f ns each\n",
	       (unsigned long long)folded, fold_ns);
	printf("  illegal write by child %d: %s\n", (int)a->intruder,
	       a->intruder_reported ? "reported by the audit probe" : "NOT reported");
	printf("  audit: %llu report%s, %llu lost\n", (unsigned long long)as.reports,
	       as.reports == 1 ? "" : "s", (unsigned long long)as.lost);
	printf("  capacity: %llu refused inserts into kernel map 'syscount' from user space "
	       "(events), %llu refused in the kernel (BPF program), %llu refused in user map "
	       "'procs' (events), %llu watermark event%s\n",
	       (unsigned long long)t[SAFEMAP_SRC_BPF_MAP][SAFEMAP_REASON_FULL],
	       (unsigned long long)a->kernel_refused,
	       (unsigned long long)t[SAFEMAP_SRC_MAP][SAFEMAP_REASON_FULL],
	       (unsigned long long)t[SAFEMAP_SRC_MAP][SAFEMAP_REASON_WATERMARK],
	       t[SAFEMAP_SRC_MAP][SAFEMAP_REASON_WATERMARK] == 1 ? "" : "s");
	printf("  'procs' kept room by evicting %llu exited processes\n",
	       (unsigned long long)a->gone_procs);
	printf("  mismatched pinned map: %s\n", a->mismatch_refused ? "refused at open" : "NOT refused");
	fflush(stdout);
}
