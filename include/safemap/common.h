/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * @file safemap/common.h
 * @brief The vocabulary every libsafemap header shares: exports, versions,
 *        extensible options, write flags and error reporting.
 *
 * Errors: every call that can fail returns 0 (or a non-negative result) on
 * success and a negative errno value on failure, and also sets errno to the
 * positive value (libbpf 1.0 style). The library never aborts and never
 * prints.
 */
#ifndef SAFEMAP_COMMON_H
#define SAFEMAP_COMMON_H

#include <stddef.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Major version of these headers: the shared library's SOVERSION (ABI). */
#define SAFEMAP_VERSION_MAJOR 0
/** Minor version of these headers: grows with new API. */
#define SAFEMAP_VERSION_MINOR 1
/** Patch version of these headers: fixes only. */
#define SAFEMAP_VERSION_PATCH 0
/** The headers' version as one number, MAJOR * 10000 + MINOR * 100 + PATCH
 *  (0.1.0 = 100), for preprocessor tests; safemap_version() is the library's at run time. */
#define SAFEMAP_VERSION_NUMBER \
	(SAFEMAP_VERSION_MAJOR * 10000 + SAFEMAP_VERSION_MINOR * 100 + SAFEMAP_VERSION_PATCH)

#ifndef SAFEMAP_API
#define SAFEMAP_API __attribute__((visibility("default")))
#endif

/**
 * Write flags, the same values and meaning as bpf_map_update_elem()'s
 * BPF_ANY / BPF_NOEXIST / BPF_EXIST, accepted by the user-space map and by
 * the BPF map handles alike.
 */
enum safemap_flags {
	SAFEMAP_ANY = 0,     /**< create the entry or replace its value */
	SAFEMAP_NOEXIST = 1, /**< create only: -EEXIST if the key is present */
	SAFEMAP_EXIST = 2,   /**< replace only: -ENOENT if the key is absent */
};

/**
 * @brief Declare and zero-fill an extensible options struct and set its
 *        @c sz field, then apply designated initializers:
 *        @code SAFEMAP_OPTS(safemap_opts, o, .key_size = 8, .value_size = 8); @endcode
 *
 * Every options struct of the library starts with @c size_t sz. The library
 * reads only the first @c sz bytes, treats fields past them as zero, and
 * refuses (-EINVAL) a struct whose bytes past the fields it knows are not
 * zero, so old binaries keep working with new headers and the other way round.
 * C only (it uses designated initializers); from C++ use SAFEMAP_OPTS_INIT().
 */
#define SAFEMAP_OPTS(TYPE, NAME, ...)                                  \
	struct TYPE NAME = ({                                          \
		memset(&NAME, 0, sizeof(struct TYPE));                 \
		(struct TYPE){ .sz = sizeof(struct TYPE), __VA_ARGS__ }; \
	})

/**
 * @brief Zero-fill an existing options struct and set its @c sz (C and C++):
 *        @code struct safemap_opts o; SAFEMAP_OPTS_INIT(&o); o.key_size = 8; @endcode
 */
#define SAFEMAP_OPTS_INIT(PTR) \
	(memset((PTR), 0, sizeof(*(PTR))), (PTR)->sz = sizeof(*(PTR)))

/**
 * @brief The text for a libsafemap error code (positive or negative errno).
 * @return a static string; never NULL. Thread-safe.
 */
SAFEMAP_API const char *safemap_strerror(int err);

/**
 * @brief The detail message for the last error the calling thread got from
 *        the library, e.g. "map 'flows': full (max_entries 1024)".
 * @return a thread-local string, valid until the thread's next failing call
 *         into the library; "" when there is none. Never NULL.
 */
SAFEMAP_API const char *safemap_last_error(void);

/** Log levels passed to the log callback. */
enum safemap_log_level {
	SAFEMAP_LOG_WARN = 0,
	SAFEMAP_LOG_INFO = 1,
	SAFEMAP_LOG_DEBUG = 2,
};

/** A log callback: receives one formatted line without a trailing newline. */
typedef void (*safemap_log_fn)(enum safemap_log_level level, const char *msg, void *ctx);

/**
 * @brief Install a process-wide log callback (NULL to remove it). The library
 *        prints nothing unless one is installed; every error detail message
 *        (see safemap_last_error()) is also passed to it at SAFEMAP_LOG_WARN.
 *
 * Concurrency: may be called at any time; a callback being replaced may still
 * be running on another thread when this returns. The callback runs on the
 * thread that failed, possibly with a map lock held: it must not call back
 * into the library.
 */
SAFEMAP_API void safemap_set_log(safemap_log_fn fn, void *ctx);

/** @brief The library's version as "MAJOR.MINOR.PATCH". Thread-safe. */
SAFEMAP_API const char *safemap_version(void);

#ifdef __cplusplus
}
#endif

#endif /* SAFEMAP_COMMON_H */
