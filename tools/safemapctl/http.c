/* SPDX-License-Identifier: BSD-2-Clause */
/* safemapctl: GET /metrics over HTTP with libmicrohttpd (one internal
 * polling thread, so responses are made one at a time), bound to a socket
 * we create (loopback by default), so the port can be 0. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "http.h"

#ifdef SAFEMAPCTL_HTTP
#include <microhttpd.h>

struct ctl_http {
	struct MHD_Daemon *d;
	int fd;
	const char *path, *content_type;
	ctl_http_render_fn fn;
	void *ctx;
};

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
	if (strcmp(method, "GET") && strcmp(method, "HEAD")) {
		if (*upload_size) { /* swallow a request body, then answer */
			*upload_size = 0;
			return MHD_YES;
		}
		if (!*con_cls) {
			*con_cls = h;
			return MHD_YES;
		}
		return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n", "GET, HEAD");
	}
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
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->path = path;
	h->content_type = content_type;
	h->fn = fn;
	h->ctx = ctx;
	h->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (h->fd < 0)
		goto fail;
	setsockopt(h->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(h->fd, (struct sockaddr *)&sin, sizeof(sin)) || listen(h->fd, 64) ||
	    getsockname(h->fd, (struct sockaddr *)&sin, &slen))
		goto fail;
	h->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO, 0, NULL, NULL,
				handle, h, MHD_OPTION_LISTEN_SOCKET, h->fd,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10,
				MHD_OPTION_CONNECTION_LIMIT, (unsigned)32, MHD_OPTION_END);
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
	if (h->fd >= 0)
		close(h->fd);
	free(h);
	return err;
}

void ctl_http_stop(struct ctl_http *h)
{
	if (!h)
		return;
	MHD_stop_daemon(h->d); /* closes the listen socket it was given too */
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

void ctl_http_stop(struct ctl_http *h)
{
	(void)h;
}

#endif
