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

/* Serve GET (and HEAD) of @p path on @p addr:@p port (IPv4 dotted quad;
 * port 0 picks a free one, returned in *bound_port). Other paths get 404,
 * other methods 405. Returns 0, or a negative errno with a message on
 * stderr; -ENOTSUP when built without libmicrohttpd. */
int ctl_http_start(const char *addr, uint16_t port, const char *path, const char *content_type,
		   ctl_http_render_fn fn, void *ctx, struct ctl_http **out, uint16_t *bound_port);
void ctl_http_stop(struct ctl_http *h);

#endif
