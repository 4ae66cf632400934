/* SPDX-License-Identifier: BSD-2-Clause */
/* References and finalizers: a table of open "connections" whose values own
 * a file descriptor. Sender threads look a connection up and write to its fd
 * through a reference; a reaper thread closes connections (delete) and
 * reopens them (replace) at the same time. The finalizer closes each fd
 * exactly once, and only after the last sender let go of it, so no write
 * ever hits a closed (or, worse, recycled) descriptor.
 * Build: cc refs.c $(pkg-config --cflags --libs safemap) -lpthread */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <safemap/safemap.h>

#define CONNS 8
#define SENDERS 3
#define ROUNDS 20000

struct conn {
	int fd;          /* owned by the map entry: closed by the finalizer */
	uint32_t generation;
	char peer[24];
};

static long opened, closed, write_errors, sends;

/* The finalizer: runs once per stored value, when it has left the map and
 * no reference to it is left. This is where the resource goes. */
static void close_conn(void *key, void *value, void *ctx)
{
	struct conn *c = value;

	close(c->fd);
	__atomic_fetch_add(&closed, 1, __ATOMIC_RELAXED);
}

static struct conn open_conn(uint32_t id, uint32_t generation)
{
	struct conn c = { .fd = open("/dev/null", O_WRONLY | O_CLOEXEC), .generation = generation };

	if (c.fd < 0) {
		perror("open /dev/null");
		exit(1);
	}
	snprintf(c.peer, sizeof(c.peer), "10.0.0.%u:%u", id, 4000 + generation % 1000);
	__atomic_fetch_add(&opened, 1, __ATOMIC_RELAXED);
	return c;
}

static void *sender(void *arg)
{
	struct safemap *conns = arg;
	uint32_t i, id;

	for (i = 0; i < ROUNDS; i++) {
		struct safemap_ref ref;
		const struct conn *c;
		char line[64];
		int n;

		id = i % CONNS;
		if (safemap_get_ref(conns, &id, &ref) != 0)
			continue; /* closed right now */
		c = safemap_ref_value(&ref);
		/* the reaper may delete or replace this connection meanwhile: the
		 * reference keeps this value, and its fd, open until ref_put */
		n = snprintf(line, sizeof(line), "hello %s gen %u\n", c->peer, c->generation);
		if (write(c->fd, line, (size_t)n) != n)
			__atomic_fetch_add(&write_errors, 1, __ATOMIC_RELAXED);
		__atomic_fetch_add(&sends, 1, __ATOMIC_RELAXED);
		safemap_ref_put(&ref);
	}
	return NULL;
}

static void *reaper(void *arg)
{
	struct safemap *conns = arg;
	uint32_t i, id;

	for (i = 0; i < ROUNDS; i++) {
		struct conn c;

		id = (i * 7) % CONNS;
		if (i % 3 == 0) {
			safemap_delete(conns, &id); /* close: finalized once unused */
			continue;
		}
		c = open_conn(id, i);
		/* reopen: replaces the value; the old one is finalized once unused */
		if (safemap_put(conns, &id, &c, SAFEMAP_ANY) != 0) {
			close(c.fd);
			__atomic_fetch_add(&closed, 1, __ATOMIC_RELAXED);
		}
	}
	return NULL;
}

int main(void)
{
	SAFEMAP_OPTS(safemap_type, type, .key_type = "uint32_t", .value_type = "struct conn",
		     .finalize = close_conn);
	SAFEMAP_OPTS(safemap_opts, o, .name = "conns", .key_size = sizeof(uint32_t),
		     .value_size = sizeof(struct conn), .type = &type);
	pthread_t t[SENDERS + 1];
	struct safemap *conns;
	uint32_t id;
	int i, err;

	err = safemap_create(&o, &conns);
	if (err) {
		fprintf(stderr, "safemap_create: %s (%s)\n", safemap_strerror(err), safemap_last_error());
		return 1;
	}
	for (id = 0; id < CONNS; id++) {
		struct conn c = open_conn(id, 0);

		safemap_put(conns, &id, &c, SAFEMAP_NOEXIST);
	}
	for (i = 0; i < SENDERS; i++)
		pthread_create(&t[i], NULL, sender, conns);
	pthread_create(&t[SENDERS], NULL, reaper, conns);
	for (i = 0; i <= SENDERS; i++)
		pthread_join(t[i], NULL);
	printf("conns: %ld sends through references, %ld write errors, %zu connections open\n",
	       sends, write_errors, safemap_count(conns));
	safemap_destroy(conns); /* finalizes (closes) the ones still open */
	printf("conns: %ld fds opened, %ld closed by the finalizer (each exactly once)\n", opened,
	       closed);
	err = opened == closed && write_errors == 0 ? 0 : 1;
	printf("%s\n", err ? "MISMATCH" : "every fd closed once, none while in use");
	return err;
}
