/* SPDX-License-Identifier: BSD-2-Clause */
/* Internal helpers shared by every part of the library: options, errors,
 * events. Names are safemap__* (hidden, never exported). */
#ifndef SAFEMAP_LIB_COMMON_INTERNAL_H
#define SAFEMAP_LIB_COMMON_INTERNAL_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <safemap/common.h>
#include <safemap/event.h>

#define SAFEMAP_HIDDEN __attribute__((visibility("hidden")))
#define SAFEMAP_LIKELY(x) __builtin_expect(!!(x), 1)
#define SAFEMAP_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define SAFEMAP_PRINTF(a, b) __attribute__((format(printf, a, b)))

/*
 * Copy a user's extensible options struct into a zeroed struct of the size
 * this library knows (@p dst, @p dst_size). The user's struct starts with
 * size_t sz: fields past it are left zero; bytes past @p dst_size must be zero.
 * Returns 0, or -EINVAL with a detail message naming @p what.
 */
SAFEMAP_HIDDEN int safemap__opts_copy(void *dst, size_t dst_size, const void *src,
				      const char *what);


/* Record @p err (negative errno) with a formatted detail message for
 * safemap_last_error(), set errno, pass the message to the log callback.
 * Returns @p err so callers can `return safemap__errorf(-EINVAL, ...)`. */
SAFEMAP_HIDDEN int safemap__errorf(int err, const char *fmt, ...) SAFEMAP_PRINTF(2, 3);

/* snprintf into @p buf, then text-escape the result (safemap/escape.h):
 * for event details built from outside strings (process and map names).
 * At most 511 bytes are formatted. Returns the escaped length. */
SAFEMAP_HIDDEN size_t safemap__detailf(char *buf, size_t len, const char *fmt, ...)
	SAFEMAP_PRINTF(3, 4);

/* The cheap form for expected results (-ENOENT, -EEXIST) on hot paths: sets
 * errno and clears the detail message, formats nothing. */
SAFEMAP_HIDDEN int safemap__error(int err);

/* True while this thread's detail message is not empty (error.c keeps it):
 * initial-exec, so the hot path reads it without a call. */
SAFEMAP_HIDDEN extern __thread bool safemap__has_detail __attribute__((tls_model("initial-exec")));

/* safemap__error() inlined for the hottest results (a get's -ENOENT): a
 * thread whose detail is already empty only sets errno. */
static inline int safemap__error_quick(int err)
{
	if (SAFEMAP_UNLIKELY(safemap__has_detail))
		return safemap__error(err);
	errno = -err;
	return err;
}

/* Log a message if a log callback is installed. */
SAFEMAP_HIDDEN void safemap__log(enum safemap_log_level level, const char *fmt, ...)
	SAFEMAP_PRINTF(2, 3);

/* Fill the fields every event has: sz, source, op, reason, result, pid, tid,
 * uid, timestamp; map_name "" and detail "" until the caller sets them. */
SAFEMAP_HIDDEN void safemap__event_init(struct safemap_event *ev, enum safemap_event_source src,
					enum safemap_op op, enum safemap_reason reason,
					int result);

#endif /* SAFEMAP_LIB_COMMON_INTERNAL_H */
