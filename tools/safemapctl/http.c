/* SPDX-License-Identifier: BSD-2-Clause */
/* safemapctl: GET /metrics over HTTP with libmicrohttpd (one internal
 * polling thread, so responses are made one at a time), bound to a socket
 * we create (loopback by default), so the port can be 0. The server faces
 * whatever connects: see http.h for its limits, and the connection guard
 * below for how a flood of idle or slow connections is shed. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "http.h"

#ifdef SAFEMAPCTL_HTTP
#include <pthread.h>
#include <time.h>

#include <microhttpd.h>

struct conn_slot {
	struct MHD_Connection *c; /* NULL: free */
	int fd;
	double since;             /* accepted, or its last request answered */
	bool asked;               /* its request is in: MHD called handle() */
	bool shut;                /* shutdown() done: MHD closes it next */
};

struct ctl_http {
	struct MHD_Daemon *d;
	int fd;
	const char *path, *content_type;
	ctl_http_render_fn fn;
	void *ctx;

	/* the connection guard: MHD's thread (notifications) and ours (the
	 * sweep) under one lock; a slot is freed at MHD's "closed"
	 * notification, which comes before MHD closes the fd, so an fd in a
	 * slot is always still open */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool stopping, sweeper_started;
	pthread_t sweeper;
	size_t live;
	struct conn_slot slots[CTL_HTTP_MAX_CONNECTIONS];
	struct ctl_http_stats st;
};

static double mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void shut(struct conn_slot *s)
{
	shutdown(s->fd, SHUT_RDWR); /* MHD sees the end and closes it */
	s->shut = true;
}

/*
 * The connection that makes room above the soft limit (the caller's lock
 * held; @p s, the one just accepted, never). A flood's connections send
 * nothing, a scraper sends its request at once: so the oldest connection
 * that has sent nothing yet goes first, neither asked (its headers parsed,
 * being answered: handle() was called) nor with bytes waiting in its
 * socket (FIONREAD); then the oldest not asked; then the oldest. Once its
 * bytes have arrived, a request survives any number of idle connections
 * accepted after it, however long MHD takes to read it (each turn of MHD
 * accepts up to 11 connections before it reads the ready ones, so with
 * "the oldest unanswered" a request that became the oldest was shed
 * unread). Until then it is as idle as a flood's, the youngest of them
 * though: it outlasts about CTL_HTTP_SOFT_CONNECTIONS more accepts.
 * Bytes that MHD has read without a whole header block (a client that
 * trickles its request) do not count: tricklers are shed like idle ones.
 */
static struct conn_slot *victim(struct ctl_http *h, const struct conn_slot *s)
{
	struct conn_slot *idle = NULL, *unasked = NULL, *oldest = NULL;
	size_t i;
	int n;

	for (i = 0; i < CTL_HTTP_MAX_CONNECTIONS; i++) {
		struct conn_slot *o = &h->slots[i];

		if (!o->c || o->shut || o == s)
			continue;
		if (!oldest || o->since < oldest->since)
			oldest = o;
		if (o->asked)
			continue;
		if (!unasked || o->since < unasked->since)
			unasked = o;
		if ((!idle || o->since < idle->since) && !ioctl(o->fd, FIONREAD, &n) && !n)
			idle = o;
	}
	return idle ? idle : unasked ? unasked : oldest;
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
			  enum MHD_ConnectionNotificationCode toe)
{
	struct ctl_http *h = cls;
	const union MHD_ConnectionInfo *ci;
	struct conn_slot *s, *v;
	size_t i;

	pthread_mutex_lock(&h->lock);
	if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
		s = *socket_context;
		if (s && s->c == c) {
			s->c = NULL;
			h->live--;
		}
		*socket_context = NULL;
		pthread_mutex_unlock(&h->lock);
		return;
	}
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	for (i = 0, s = NULL; i < CTL_HTTP_MAX_CONNECTIONS && !s; i++)
		if (!h->slots[i].c)
			s = &h->slots[i];
	if (s && ci) { /* always: MHD admits at most CTL_HTTP_MAX_CONNECTIONS */
		s->c = c;
		s->fd = ci->connect_fd;
		s->since = mono_now();
		s->asked = false;
		s->shut = false;
		*socket_context = s;
		h->live++;
		h->st.accepted++;
	}
	if (h->live > h->st.peak)
		h->st.peak = h->live;
	/* above the soft limit: one connection makes room, an idle one
	 * first (a flood of idle connections cannot lock a scraper out) */
	if (h->live > CTL_HTTP_SOFT_CONNECTIONS && (v = victim(h, s))) {
		shut(v);
		h->st.evicted++;
	}
	pthread_mutex_unlock(&h->lock);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct ctl_http *h = cls;
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	struct conn_slot *s = ci ? ci->socket_context : NULL;

	(void)con_cls;
	(void)toe;
	pthread_mutex_lock(&h->lock);
	if (s && s->c == c) {
		s->since = mono_now(); /* the next request gets its own time */
		s->asked = false;
	}
	pthread_mutex_unlock(&h->lock);
}

/* Every 200 ms: shut connections whose request has not been answered
 * within CTL_HTTP_REQUEST_SECONDS of its start (however slowly its bytes
 * trickle in: MHD's own timeout counts idle time only). */
static void *sweep(void *arg)
{
	struct ctl_http *h = arg;
	struct timespec ts;
	size_t i;

	pthread_mutex_lock(&h->lock);
	while (!h->stopping) {
		double now = mono_now();

		for (i = 0; i < CTL_HTTP_MAX_CONNECTIONS; i++) {
			struct conn_slot *s = &h->slots[i];

			if (s->c && !s->shut && now - s->since > CTL_HTTP_REQUEST_SECONDS) {
				shut(s);
				h->st.timed_out++;
			}
		}
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_nsec += 200 * 1000 * 1000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&h->cond, &h->lock, &ts);
	}
	pthread_mutex_unlock(&h->lock);
	return NULL;
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *text,
			     const char *allow)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), (void *)text,
								 MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", "text/plain; charset=utf-8");
	if (allow)
		MHD_add_response_header(r, "Allow", allow);
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* The request of @p c is in (its headers parsed): not shed for idle ones. */
static void mark_asked(struct ctl_http *h, struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	struct conn_slot *s = ci ? ci->socket_context : NULL;

	pthread_mutex_lock(&h->lock);
	if (s && s->c == c)
		s->asked = true;
	pthread_mutex_unlock(&h->lock);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_size, void **con_cls)
{
	struct ctl_http *h = cls;
	struct MHD_Response *r;
	enum MHD_Result ret;
	size_t len = 0;
	char *body;

	(void)version;
	(void)upload;
	(void)upload_size;
	(void)con_cls;
	mark_asked(h, c);
	/* answered at the first call, before any body is read: a request body
	 * is never buffered (MHD closes the connection after the answer) */
	if (strcmp(method, "GET") && strcmp(method, "HEAD"))
		return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n", "GET, HEAD");
	if (strcmp(url, h->path))
		return reply(c, MHD_HTTP_NOT_FOUND, "not found: try /metrics\n", NULL);
	body = h->fn(h->ctx, &len);
	if (!body)
		return reply(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "could not read the metrics\n", NULL);
	r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", h->content_type);
	ret = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

int ctl_http_start(const char *addr, uint16_t port, const char *path, const char *content_type,
		   ctl_http_render_fn fn, void *ctx, struct ctl_http **out, uint16_t *bound_port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };
	socklen_t slen = sizeof(sin);
	struct ctl_http *h;
	int one = 1, err;

	if (inet_pton(AF_INET, addr, &sin.sin_addr) != 1) {
		fprintf(stderr, "safemapctl metrics: --listen: not an IPv4 address: '%s'\n", addr);
		return -EINVAL;
	}
	pthread_condattr_t ca;

	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->path = path;
	h->content_type = content_type;
	h->fn = fn;
	h->ctx = ctx;
	pthread_mutex_init(&h->lock, NULL);
	/* the sweep's deadlines are CLOCK_MONOTONIC: so must the condition's
	 * clock be (with the default, CLOCK_REALTIME, every deadline was long
	 * past and the sweep spun at 100% of a core) */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&h->cond, &ca);
	pthread_condattr_destroy(&ca);
	h->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (h->fd < 0)
		goto fail;
	setsockopt(h->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(h->fd, (struct sockaddr *)&sin, sizeof(sin)) || listen(h->fd, CTL_HTTP_BACKLOG) ||
	    getsockname(h->fd, (struct sockaddr *)&sin, &slen))
		goto fail;
	if ((err = pthread_create(&h->sweeper, NULL, sweep, h))) {
		errno = err;
		goto fail;
	}
	h->sweeper_started = true;
	h->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO, 0, NULL, NULL,
				handle, h, MHD_OPTION_LISTEN_SOCKET, h->fd,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)CTL_HTTP_REQUEST_SECONDS,
				MHD_OPTION_CONNECTION_LIMIT, (unsigned)CTL_HTTP_MAX_CONNECTIONS,
				MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CTL_HTTP_CONNECTION_MEMORY,
				MHD_OPTION_NOTIFY_CONNECTION, on_connection, h,
				MHD_OPTION_NOTIFY_COMPLETED, on_completed, h, MHD_OPTION_END);
	if (!h->d) {
		errno = errno ? errno : EIO;
		goto fail;
	}
	*bound_port = ntohs(sin.sin_port);
	*out = h;
	return 0;
fail:
	err = -errno;
	fprintf(stderr, "safemapctl metrics: --listen %s:%u: %s\n", addr, port, strerror(errno));
	if (h->sweeper_started) {
		pthread_mutex_lock(&h->lock);
		h->stopping = true;
		pthread_cond_signal(&h->cond);
		pthread_mutex_unlock(&h->lock);
		pthread_join(h->sweeper, NULL);
	}
	if (h->fd >= 0)
		close(h->fd);
	pthread_cond_destroy(&h->cond);
	pthread_mutex_destroy(&h->lock);
	free(h);
	return err;
}

void ctl_http_get_stats(struct ctl_http *h, struct ctl_http_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (!h)
		return;
	pthread_mutex_lock(&h->lock);
	*st = h->st;
	st->live = h->live;
	pthread_mutex_unlock(&h->lock);
}

void ctl_http_stop(struct ctl_http *h)
{
	if (!h)
		return;
	MHD_stop_daemon(h->d); /* closes the listen socket it was given too */
	pthread_mutex_lock(&h->lock);
	h->stopping = true;
	pthread_cond_signal(&h->cond);
	pthread_mutex_unlock(&h->lock);
	pthread_join(h->sweeper, NULL);
	pthread_cond_destroy(&h->cond);
	pthread_mutex_destroy(&h->lock);
	free(h);
}

#else /* built without libmicrohttpd */

int ctl_http_start(const char *addr, uint16_t port, const char *path, const char *content_type,
		   ctl_http_render_fn fn, void *ctx, struct ctl_http **out, uint16_t *bound_port)
{
	(void)addr; (void)port; (void)path; (void)content_type; (void)fn; (void)ctx;
	(void)out; (void)bound_port;
	fprintf(stderr, "safemapctl metrics: --listen: this safemapctl was built without "
			"libmicrohttpd (install libmicrohttpd-dev and rebuild)\n");
	return -ENOTSUP;
}

void ctl_http_get_stats(struct ctl_http *h, struct ctl_http_stats *st)
{
	(void)h;
	memset(st, 0, sizeof(*st));
}

void ctl_http_stop(struct ctl_http *h)
{
	(void)h;
}

#endif
