/* SPDX-License-Identifier: BSD-2-Clause */
/* safemapctl: a tiny HTTP endpoint (GET /metrics) on libmicrohttpd. */
#ifndef SAFEMAPCTL_HTTP_H
#define SAFEMAPCTL_HTTP_H

#include <stddef.h>
#include <stdint.h>

/* Make the body of one response: a malloc'ed buffer of *len bytes (freed
 * by the server), or NULL on failure (the server answers 500). Called on
 * the server's thread, one call at a time. */
typedef char *(*ctl_http_render_fn)(void *ctx, size_t *len);

struct ctl_http;

/*
 * Limits against bad clients (issue 14). The request line and headers of a
 * request must fit in CTL_HTTP_CONNECTION_MEMORY bytes (more: a 4xx answer
 * from MHD and the connection closed, so memory is bounded by
 * CTL_HTTP_MAX_CONNECTIONS x this). At most CTL_HTTP_MAX_CONNECTIONS
 * connections are open (MHD closes the others at once: no fd exhaustion);
 * above CTL_HTTP_SOFT_CONNECTIONS, each new connection shuts another: the
 * oldest that has sent nothing yet (its request not in, no bytes waiting in
 * its socket), so a scrape that sent its request gets through a flood of
 * idle connections however many arrive before MHD reads it (else the
 * oldest whose request is not in, else the oldest). A request must arrive
 * whole and be answered within CTL_HTTP_REQUEST_SECONDS of the
 * connection's start or its previous answer, however slowly its bytes
 * trickle in (MHD's timeout, the same seconds, counts only idle time).
 * Other methods than GET and HEAD get 405 before any body is read, other
 * paths 404.
 */
#define CTL_HTTP_MAX_CONNECTIONS 128
#define CTL_HTTP_BACKLOG 1024 /* the kernel's queue of connections not yet accepted */
#define CTL_HTTP_SOFT_CONNECTIONS 64
#define CTL_HTTP_REQUEST_SECONDS 5
#define CTL_HTTP_CONNECTION_MEMORY (16 * 1024)

/* What the connection guard did so far. */
struct ctl_http_stats {
	uint64_t accepted;  /* connections admitted */
	uint64_t evicted;   /* shut above the soft limit (oldest idle first) */
	uint64_t timed_out; /* shut at the request deadline */
	size_t live, peak;  /* open connections now, and at most */
};

/* Serve GET (and HEAD) of @p path on @p addr:@p port (IPv4 dotted quad;
 * port 0 picks a free one, returned in *bound_port). Other paths get 404,
 * other methods 405. Returns 0, or a negative errno with a message on
 * stderr; -ENOTSUP when built without libmicrohttpd. */
int ctl_http_start(const char *addr, uint16_t port, const char *path, const char *content_type,
		   ctl_http_render_fn fn, void *ctx, struct ctl_http **out, uint16_t *bound_port);
/* The guard's counters (zero when built without libmicrohttpd). */
void ctl_http_get_stats(struct ctl_http *h, struct ctl_http_stats *st);
void ctl_http_stop(struct ctl_http *h);

#endif
