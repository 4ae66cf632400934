/* SPDX-License-Identifier: BSD-2-Clause */
/* Error codes, per-thread detail messages, the optional log callback.
 * Messages name maps, pin paths, BTF types, process names: outside strings,
 * so every message is text-escaped (safemap/escape.h) once it is formatted,
 * and safemap_last_error() and the log callback never see a control byte
 * or invalid UTF-8. */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>

#include <safemap/escape.h>

#include "internal.h"

#define DETAIL_MAX 512

static __thread char detail[DETAIL_MAX];
__thread bool safemap__has_detail;
static safemap_log_fn log_fn;

/* -err for errno and strerror: a callback may return any negative int, and
 * -INT_MIN does not exist (issue 13 item 6): it becomes INT_MAX. */
static int positive_errno(int err)
{
	return err == INT_MIN ? INT_MAX : -err;
}
static void *log_ctx;

void safemap_set_log(safemap_log_fn fn, void *ctx)
{
	__atomic_store_n(&log_ctx, ctx, __ATOMIC_RELAXED);
	__atomic_store_n(&log_fn, fn, __ATOMIC_RELEASE);
}

static void vlog(enum safemap_log_level level, const char *fmt, va_list ap)
{
	safemap_log_fn fn = __atomic_load_n(&log_fn, __ATOMIC_ACQUIRE);
	char raw[DETAIL_MAX], line[DETAIL_MAX];

	if (!fn)
		return;
	vsnprintf(raw, sizeof(raw), fmt, ap);
	safemap_escape_text(line, sizeof(line), raw, sizeof(raw));
	fn(level, line, __atomic_load_n(&log_ctx, __ATOMIC_RELAXED));
}

void safemap__log(enum safemap_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(level, fmt, ap);
	va_end(ap);
}

int safemap__errorf(int err, const char *fmt, ...)
{
	safemap_log_fn fn = __atomic_load_n(&log_fn, __ATOMIC_ACQUIRE);
	char raw[DETAIL_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	safemap_escape_text(detail, sizeof(detail), raw, sizeof(raw));
	safemap__has_detail = detail[0] != '\0';
	if (fn)
		fn(SAFEMAP_LOG_WARN, detail, __atomic_load_n(&log_ctx, __ATOMIC_RELAXED));
	errno = positive_errno(err);
	return err;
}

size_t safemap__detailf(char *buf, size_t len, const char *fmt, ...)
{
	char raw[DETAIL_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	return safemap_escape_text(buf, len, raw, sizeof(raw));
}

int safemap__error(int err)
{
	detail[0] = '\0';
	safemap__has_detail = false;
	errno = positive_errno(err);
	return err;
}

const char *safemap_last_error(void)
{
	return detail;
}

const char *safemap_strerror(int err)
{
	if (err < 0)
		err = positive_errno(err);
	switch (err) {
	case 0: return "success";
	case ENOENT: return "no such key";
	case EEXIST: return "key already exists";
	case E2BIG: return "map is full (capacity violation)";
	case EPERM: return "operation not permitted (frozen map or not allowed)";
	case EINVAL: return "invalid argument";
	case EDEADLK: return "write to a map from inside its own iteration on this thread";
	case ENOMEM: return "out of memory (map unchanged)";
	case EBADF: return "bad or closed map handle";
	case ENOSPC: return "buffer too small";
	case EOPNOTSUPP: return "operation not supported by this map or kernel";
	case EAGAIN: return "value differs from the expected one (compare-and-swap)";
	case EOVERFLOW: return "too many references to one entry";
	case EPROTO: return "BPF map does not match the expected spec";
	default: return strerror(err);
	}
}

const char *safemap_version(void)
{
#define SAFEMAP_STR2(x) #x
#define SAFEMAP_STR(x) SAFEMAP_STR2(x)
	return SAFEMAP_STR(SAFEMAP_VERSION_MAJOR) "." SAFEMAP_STR(SAFEMAP_VERSION_MINOR) "."
		SAFEMAP_STR(SAFEMAP_VERSION_PATCH);
}
