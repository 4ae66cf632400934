/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The audit probe in a few lines (run as root): guard a BPF map so that
 * only this process may write it, let a child process write it anyway, and
 * print the report with the same callback that prints the user-space map's
 * events -- one sink for both halves of the library.
 *
 *   build/.../examples/example_audit
 */
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include <bpf/bpf.h>

#include <safemap/safemap.h>

/* One sink for every event: user-space map refusals and audit reports. */
static void print_event(const struct safemap_event *ev, void *ctx)
{
	char line[512];

	(void)ctx;
	safemap_event_format(ev, line, sizeof(line));
	printf("event: %s\n", line);
}

int main(void)
{
	SAFEMAP_OPTS(safemap_opts, mo, .name = "sessions", .key_size = 8, .value_size = 8,
		     .max_entries = 1, .event_fn = print_event);
	SAFEMAP_OPTS(safemap_audit_opts, ao, .event_fn = print_event);
	struct safemap_audit *audit;
	struct safemap *m;
	uint64_t k = 1, v = 42;
	int fd, id, err;
	pid_t child;

	/* the user-space map: a second key in a map of one is refused (event) */
	if (safemap_create(&mo, &m))
		return 1;
	safemap_put(m, &k, &v, SAFEMAP_ANY);
	k = 2;
	safemap_put(m, &k, &v, SAFEMAP_ANY);
	safemap_destroy(m);

	/* the kernel side: a BPF map only this process may write */
	err = safemap_audit_open(&ao, &audit);
	if (err) {
		fprintf(stderr, "audit: %s (%s)\n", safemap_strerror(err), safemap_last_error());
		return 1;
	}
	printf("audit: %s\n", safemap_audit_mode(audit));
	fd = bpf_map_create(BPF_MAP_TYPE_HASH, "config", 8, 8, 64, NULL);
	id = fd < 0 ? fd : safemap_audit_guard_fd(audit, fd, NULL);
	if (id < 0) {
		fprintf(stderr, "guard: %s\n", safemap_last_error());
		return 1;
	}
	printf("guarding BPF map 'config' (id %d): only pid %d may write it\n", id, (int)getpid());

	k = 7;
	bpf_map_update_elem(fd, &k, &v, BPF_ANY); /* ours: allowed, no report */

	child = fork();
	if (child == 0) { /* another process writes: reported, with its result */
		prctl(PR_SET_NAME, "rogue-writer", 0, 0, 0);
		v = 666;
		bpf_map_update_elem(fd, &k, &v, BPF_ANY);
		k = 8;
		bpf_map_delete_elem(fd, &k); /* a missing key: reported as failed */
		_exit(0);
	}
	waitpid(child, NULL, 0);
	printf("child %d wrote the map; polling:\n", (int)child);
	while (safemap_audit_poll(audit, 200) > 0)
		;
	struct safemap_audit_stats st;
	safemap_audit_get_stats(audit, &st);
	printf("%llu reports, %llu lost\n", (unsigned long long)st.reports,
	       (unsigned long long)st.lost);
	safemap_audit_close(audit);
	close(fd);
	return 0;
}
