/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * @file safemap/bpf.h
 * @brief BTF-checked handles on kernel BPF maps: open against a spec,
 *        reference-counted fds, checked operations, per-CPU and batch helpers,
 *        and a static checker for BPF object files.
 *
 * A handle (struct safemap_bpf) owns one file descriptor of its own (opened
 * from a pin, a map id, or dup'ed from a caller's fd or a libbpf map). The fd
 * is closed exactly once, when the last reference is dropped with
 * safemap_bpf_put(), so no operation through a handle can reach another map
 * that got a recycled fd number.
 *
 * Concurrency contract: every operation below may be called from any number
 * of threads at once on one handle, provided each caller holds a reference
 * (the one from open, or one from safemap_bpf_get()) for the duration of the
 * call. Operations take no library lock: each is one or a few bpf()
 * syscalls, atomic per element as the kernel makes them. get/put are atomic.
 *
 * Built with SAFEMAP_WITH_BPF (the default); this header includes no libbpf
 * header, so programs that do not use libbpf themselves need not have it.
 *
 * Flags and errors are those of the user-space map (safemap/map.h):
 * SAFEMAP_ANY / SAFEMAP_NOEXIST / SAFEMAP_EXIST, negative errno results,
 * -E2BIG for a full map reported as a capacity violation (event + counter),
 * details in safemap_last_error().
 */
#ifndef SAFEMAP_BPF_H
#define SAFEMAP_BPF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <safemap/common.h>
#include <safemap/event.h>
#include <safemap/layout.h>

#ifdef __cplusplus
extern "C" {
#endif

struct bpf_map; /* libbpf's; include <bpf/libbpf.h> to make one */

/** A reference-counted handle on one BPF map. Opened by safemap_bpf_open_*(),
 *  released by safemap_bpf_put(). */
struct safemap_bpf;

/**
 * What a program expects of a map; checked at open. Zero fields are not
 * checked. Declare with SAFEMAP_OPTS(safemap_bpf_spec, s, ...).
 */
struct safemap_bpf_spec {
	size_t sz; /**< sizeof(struct safemap_bpf_spec), set by SAFEMAP_OPTS() (extensible: see common.h) */
	uint32_t map_type;        /**< enum bpf_map_type; 0 (UNSPEC) = any */
	uint32_t key_size;        /**< bytes; 0 = any */
	uint32_t value_size;      /**< bytes per value (per CPU for per-CPU maps); 0 = any */
	uint32_t max_entries;     /**< minimum max_entries; 0 = any */
	bool max_entries_exact;   /**< require max_entries == @c max_entries */
	uint32_t map_flags;       /**< required values of the bits in @c map_flags_mask */
	uint32_t map_flags_mask;  /**< which BPF_F_* bits to compare; 0 = none */
	const struct safemap_layout *key_layout;   /**< NULL = no layout check */
	const struct safemap_layout *value_layout; /**< NULL = no layout check */
	bool require_btf;         /**< a map without BTF fails a layout check */
};

/** Called once, when the last reference to a handle is dropped, before its
 *  fd is closed. It may use the handle (operations, accessors) but must not
 *  take new references. */
typedef void (*safemap_bpf_fini_fn)(struct safemap_bpf *h, void *ctx);

/** Options for the safemap_bpf_open_*() calls; SAFEMAP_OPTS(safemap_bpf_opts, o, ...). */
struct safemap_bpf_opts {
	size_t sz; /**< sizeof(struct safemap_bpf_opts), set by SAFEMAP_OPTS() (extensible: see common.h) */
	const struct safemap_bpf_spec *spec; /**< NULL = no checks; read during open only */
	const char *name;         /**< name for events and errors; NULL = the kernel's map name */
	safemap_event_fn event_fn;  /**< sink for this handle's events (also open mismatches) */
	void *event_ctx;            /**< passed to @c event_fn */
	safemap_bpf_fini_fn fini;   /**< NULL = none */
	void *fini_ctx;             /**< passed to @c fini */
	bool no_batch;              /**< batch calls use single-element syscalls only
	                                 (what they fall back to on kernels without batch ops) */
};

/**
 * @brief Open the map pinned at @p path (bpffs), check it against
 *        @c opts->spec, and return a handle holding one reference.
 * @param opts NULL for defaults.
 * @param out receives the handle; release it with safemap_bpf_put().
 * @return 0; -EINVAL (NULL argument, bad opts, the pin is not a map);
 *         -ENOENT (no pin); -EPERM/-EACCES; -EPROTO (the map does not match
 *         the spec: the detail message names the difference, e.g. "map
 *         'stats' value: size 1528 in the kernel, 1512 here; field 'extra' at
 *         offset 1512 (16 bytes) in the kernel, not here"; an event with
 *         reason SAFEMAP_REASON_SPEC_MISMATCH is delivered to opts->event_fn).
 *
 * Concurrency: thread-safe; loads the map's BTF from the kernel when a
 * layout is to be checked.
 */
SAFEMAP_API int safemap_bpf_open_pinned(const char *path, const struct safemap_bpf_opts *opts,
					struct safemap_bpf **out);

/** @brief As safemap_bpf_open_pinned(), for the map with kernel id @p id
 *         (needs CAP_SYS_ADMIN). Release with safemap_bpf_put(). */
SAFEMAP_API int safemap_bpf_open_id(uint32_t id, const struct safemap_bpf_opts *opts,
				    struct safemap_bpf **out);

/** @brief As safemap_bpf_open_pinned(), for a map fd: the handle owns a dup
 *         of @p fd, so the caller keeps (and eventually closes) theirs.
 *         Release with safemap_bpf_put(). -EINVAL if @p fd is not a BPF map. */
SAFEMAP_API int safemap_bpf_open_fd(int fd, const struct safemap_bpf_opts *opts,
				    struct safemap_bpf **out);

/** @brief As safemap_bpf_open_fd(), for a loaded libbpf map (its fd is
 *         dup'ed; the bpf_object may be closed while the handle lives).
 *         -EINVAL if the map is not created yet. Release with safemap_bpf_put(). */
SAFEMAP_API int safemap_bpf_open_map(const struct bpf_map *map, const struct safemap_bpf_opts *opts,
				     struct safemap_bpf **out);

/**
 * @brief Take one more reference on @p h. @return @p h (NULL for NULL).
 *
 * Concurrency: atomic; the caller must already hold a reference.
 */
SAFEMAP_API struct safemap_bpf *safemap_bpf_get(struct safemap_bpf *h);

/**
 * @brief Drop one reference; the last one runs the finalizer, closes the fd
 *        and frees the handle. Accepts NULL.
 *
 * Concurrency: atomic; other threads holding their own references keep
 * using the handle (and its fd) safely.
 */
SAFEMAP_API void safemap_bpf_put(struct safemap_bpf *h);

/**
 * @brief Check an open handle against another spec (same rules and errors
 *        as at open). Thread-safe; delivers no event.
 */
SAFEMAP_API int safemap_bpf_check(const struct safemap_bpf *h, const struct safemap_bpf_spec *spec);

/* Accessors: constant for the handle's lifetime, thread-safe. */
/** @brief The handle's fd: valid while you hold a reference; never close it. */
SAFEMAP_API int safemap_bpf_fd(const struct safemap_bpf *h);
/** @brief The name used in events: opts->name or the kernel's map name. */
SAFEMAP_API const char *safemap_bpf_name(const struct safemap_bpf *h);
/** @brief The kernel's id of the map. */
SAFEMAP_API uint32_t safemap_bpf_id(const struct safemap_bpf *h);
/** @brief enum bpf_map_type of the map. */
SAFEMAP_API uint32_t safemap_bpf_type(const struct safemap_bpf *h);
/** @brief The kernel's key_size of the map, in bytes. */
SAFEMAP_API uint32_t safemap_bpf_key_size(const struct safemap_bpf *h);
/** @brief The kernel's value_size (for per-CPU maps: one CPU's value). */
SAFEMAP_API uint32_t safemap_bpf_value_size(const struct safemap_bpf *h);
/** @brief The kernel's max_entries of the map (its capacity bound). */
SAFEMAP_API uint32_t safemap_bpf_max_entries(const struct safemap_bpf *h);
/** @brief The map's creation flags (BPF_F_NO_PREALLOC, BPF_F_RDONLY_PROG, ...). */
SAFEMAP_API uint32_t safemap_bpf_map_flags(const struct safemap_bpf *h);
/** @brief Whether values are per CPU (per-CPU hash, LRU hash, array, cgroup storage). */
SAFEMAP_API bool safemap_bpf_is_percpu(const struct safemap_bpf *h);
/** @brief Bytes of one value buffer for this map: value_size, or
 *         safemap_bpf_percpu_size() for per-CPU maps. */
SAFEMAP_API size_t safemap_bpf_value_buf_size(const struct safemap_bpf *h);

/** Counters of one handle (refusals only; the hot path counts nothing else). */
struct safemap_bpf_stats {
	uint64_t capacity_violations; /**< updates refused with -E2BIG */
	uint64_t bad_size;            /**< calls refused for a too-small buffer */
	uint64_t errors;              /**< other failures except -ENOENT/-EEXIST */
};

/** @brief Copy the handle's counters. Thread-safe (relaxed atomic reads). */
SAFEMAP_API void safemap_bpf_get_stats(const struct safemap_bpf *h, struct safemap_bpf_stats *out);

/* ---- checked operations (not per-CPU maps: see below) ---- */

/**
 * @brief Copy the value of @p key into @p value (value_size bytes).
 * @return 0; -ENOENT (absent: @p value zero-filled); -EINVAL (NULL argument,
 *         per-CPU map: use safemap_bpf_percpu_lookup()); other kernel errors
 *         with a detail message naming the map.
 */
SAFEMAP_API int safemap_bpf_lookup(struct safemap_bpf *h, const void *key, void *value);

/**
 * @brief Insert or replace, with bpf_map_update_elem() semantics.
 * @param flags SAFEMAP_ANY, SAFEMAP_NOEXIST or SAFEMAP_EXIST (BPF_F_LOCK may
 *        be or'ed in for maps with a spin lock).
 * @return 0; -EEXIST; -ENOENT; -E2BIG (the map is full, or an array index is
 *         past max_entries: a capacity violation, counted and delivered as an
 *         event with reason SAFEMAP_REASON_FULL; the detail message names the
 *         map and its max_entries); -EINVAL (NULL argument, bad flags,
 *         per-CPU map); other kernel errors.
 */
SAFEMAP_API int safemap_bpf_update(struct safemap_bpf *h, const void *key, const void *value,
				   unsigned flags);

/** @brief Delete @p key. @return 0; -ENOENT; -EINVAL (arrays cannot delete). */
SAFEMAP_API int safemap_bpf_delete(struct safemap_bpf *h, const void *key);

/** @brief Copy the value of @p key into @p value (value_size bytes) and
 *         delete it, atomically.
 *  @return 0; -ENOENT (value zero-filled); -EINVAL (NULL argument, per-CPU
 *          map); -EOPNOTSUPP (the map type has no lookup-and-delete, e.g. arrays). */
SAFEMAP_API int safemap_bpf_lookup_and_delete(struct safemap_bpf *h, const void *key, void *value);

/**
 * @brief Iterate keys: the key after @p key (NULL = the first) into @p next.
 * @return 0; -ENOENT at the end. Concurrent deletes may restart a hash map's
 *         walk (kernel behaviour); use safemap_bpf_foreach() for a walk that
 *         visits each key once.
 */
SAFEMAP_API int safemap_bpf_next_key(struct safemap_bpf *h, const void *key, void *next);

/* ---- per-CPU maps ---- */

/** @brief Number of possible CPUs (not online ones), cached. @return > 0 or -errno. */
SAFEMAP_API int safemap_bpf_possible_cpus(void);

/** @brief Bytes per CPU in a per-CPU value buffer: round_up(value_size, 8). */
SAFEMAP_API size_t safemap_bpf_percpu_stride(const struct safemap_bpf *h);

/** @brief Bytes of a whole per-CPU value buffer: stride * possible CPUs. */
SAFEMAP_API size_t safemap_bpf_percpu_size(const struct safemap_bpf *h);

/** @brief Pointer to CPU @p cpu's value inside per-CPU buffer @p buf. */
SAFEMAP_API void *safemap_bpf_percpu_ptr(const struct safemap_bpf *h, void *buf, unsigned cpu);

/**
 * @brief Look up a per-CPU value into @p buf of @p buf_size bytes.
 * @return 0; -ENOENT (buf zero-filled); -ENOSPC (buf_size below
 *         safemap_bpf_percpu_size(): refused before the syscall, counted,
 *         event SAFEMAP_REASON_BAD_SIZE); -EINVAL (not a per-CPU map).
 */
SAFEMAP_API int safemap_bpf_percpu_lookup(struct safemap_bpf *h, const void *key, void *buf,
					  size_t buf_size);

/** @brief Update a per-CPU value from @p buf (one value per possible CPU).
 *  Errors as safemap_bpf_update() plus -ENOSPC as safemap_bpf_percpu_lookup(). */
SAFEMAP_API int safemap_bpf_percpu_update(struct safemap_bpf *h, const void *key, const void *buf,
					  size_t buf_size, unsigned flags);

/**
 * @brief Sum a per-CPU value as an array of value_size / 8 uint64_t counters
 *        into @p out (value_size bytes). value_size must be a multiple of 8.
 * @return 0; -EINVAL; -ENOSPC (buf_size too small).
 */
SAFEMAP_API int safemap_bpf_percpu_sum_u64(const struct safemap_bpf *h, const void *buf,
					   size_t buf_size, uint64_t *out);

/** Callback for safemap_bpf_percpu_reduce(): one CPU's value. */
typedef void (*safemap_bpf_percpu_fn)(unsigned cpu, const void *value, void *ctx);

/** @brief Call @p fn for each possible CPU's value in @p buf. @return 0; -EINVAL; -ENOSPC. */
SAFEMAP_API int safemap_bpf_percpu_reduce(const struct safemap_bpf *h, const void *buf,
					  size_t buf_size, safemap_bpf_percpu_fn fn, void *ctx);

/* ---- batch operations and counting ---- */

/**
 * @brief Update @c *count entries: @p keys (key_size each) and @p values
 *        (safemap_bpf_value_buf_size() each), with one flag for all.
 *        Uses BPF_MAP_UPDATE_BATCH with SAFEMAP_ANY (the kernel's batch takes
 *        no NOEXIST/EXIST: those go element by element, as does everything
 *        where the kernel or map type lacks batch operations or
 *        opts->no_batch is set). If the kernel answers -EFAULT (its count
 *        cannot be trusted) the batch is redone element by element.
 * @param count in: entries; out: entries applied before an error (all on 0).
 * @return 0, or the error of the first entry that failed (as
 *         safemap_bpf_update(), including the -E2BIG capacity event).
 */
SAFEMAP_API int safemap_bpf_batch_update(struct safemap_bpf *h, const void *keys,
					 const void *values, uint32_t *count, unsigned flags);

/** @brief Delete @c *count keys (BPF_MAP_DELETE_BATCH, else one by one;
 *         after a kernel -EFAULT the batch is redone one by one, an absent
 *         key then counting as deleted).
 *  @param count in: keys; out: keys deleted before an error.
 *  @return 0, or the first error (-ENOENT for an absent key; -EINVAL for
 *          arrays, whose elements cannot be deleted). */
SAFEMAP_API int safemap_bpf_batch_delete(struct safemap_bpf *h, const void *keys, uint32_t *count);

/** Callback for safemap_bpf_foreach(): return 0 to go on, non-zero to stop
 *  (safemap_bpf_foreach() then returns that value). */
typedef int (*safemap_bpf_foreach_fn)(const void *key, const void *value, void *ctx);

/**
 * @brief Visit every entry with BPF_MAP_LOOKUP_BATCH, @p batch entries per
 *        syscall (0 = 256); the buffers grow when a hash bucket holds more
 *        than @p batch entries (the kernel's -ENOSPC), and a final -ENOENT
 *        with entries is handled. Falls back to next_key + lookup where batch
 *        lookup is missing. Without concurrent writers, each key is visited
 *        exactly once. @p value is safemap_bpf_value_buf_size() bytes.
 * @return 0, the callback's non-zero value, or a negative errno.
 *
 * Concurrency: the callback runs on the calling thread with no lock held;
 * it may operate on the map (writes may or may not be seen by the walk).
 */
SAFEMAP_API int safemap_bpf_foreach(struct safemap_bpf *h, uint32_t batch,
				    safemap_bpf_foreach_fn fn, void *ctx);

/** @brief As safemap_bpf_foreach(), deleting each batch after it is visited
 *         (BPF_MAP_LOOKUP_AND_DELETE_BATCH, else lookup + delete per key).
 *         Returns 0 or a negative errno; the callback's result is ignored. */
SAFEMAP_API int safemap_bpf_drain(struct safemap_bpf *h, uint32_t batch,
				  safemap_bpf_foreach_fn fn, void *ctx);

/**
 * @brief Count the entries (batch lookup, falling back to iteration), so a
 *        caller can watch the fill ratio against safemap_bpf_max_entries().
 *        For arrays the count is max_entries. O(entries) syscalls/batches.
 * @return 0 and *out set, or a negative errno.
 */
SAFEMAP_API int safemap_bpf_count(struct safemap_bpf *h, size_t *out);

/* ---- static checker for BPF object files ---- */

/** Kinds of finding of the static checker. */
enum safemap_objcheck_kind {
	SAFEMAP_FIND_KEY_PADDING = 1, /**< key struct has a padding hole (offset, len) */
	SAFEMAP_FIND_MAX_ENTRIES,     /**< max_entries below the policy minimum */
	SAFEMAP_FIND_KEY_SIZE,        /**< key size differs from the policy */
	SAFEMAP_FIND_VALUE_SIZE,      /**< value size differs from the policy */
	SAFEMAP_FIND_MAP_TYPE,        /**< map type differs from the policy */
	SAFEMAP_FIND_MISSING_MAP,     /**< a map the policy names is not in the object */
	SAFEMAP_FIND_NOT_CHECKED,     /**< a hashed key whose padding could not be checked
					   (no BTF type, no size, over 1 MiB, too complex): the
					   message says why; offset/len: the whole key */
	/* issue 17: the fix before load, the check against pinned maps */
	SAFEMAP_FIND_FIXED,           /**< opts.fix raised max_entries to the policy's
	                                   minimum (expected: the new bound, actual: the old) */
	SAFEMAP_FIND_PIN_REUSE,       /**< the map pinned by this name differs in type, key or
	                                   value size, max_entries, flags or map_extra (or is
	                                   not a map): libbpf cannot reuse it (expected: the
	                                   pinned map's value, actual: the object's) */
	SAFEMAP_FIND_PIN_LAYOUT,      /**< the pinned map's key or value layout (its BTF)
	                                   differs from the object's; the message names the field */
};

/**
 * @brief Name of a finding kind as safemapctl check prints it, e.g.
 *        "key_padding" (the policy file's word for it where it has one).
 * @return a static string, never NULL; "unknown" for a value not in the enum.
 *
 * Concurrency: thread-safe, reads nothing shared.
 */
SAFEMAP_API const char *safemap_objcheck_kind_name(enum safemap_objcheck_kind k);

/** One finding. */
struct safemap_objcheck_finding {
	enum safemap_objcheck_kind kind; /**< what is wrong */
	const char *map;      /**< map name */
	uint32_t offset;      /**< first byte of a padding hole in the key, else 0 */
	uint32_t len;         /**< bytes of a padding hole in the key, else 0 */
	uint64_t expected;    /**< the policy's value (sizes, max_entries, map type), else 0 */
	uint64_t actual;      /**< the object's value, else 0 */
	const char *message;  /**< one line, outside names in it text-escaped (safemap/escape.h), e.g. "map 'flows' key 'struct flow': padding hole at bytes 6..7 (2 bytes)" */
	uint32_t bit_offset;  /**< key_padding: the hole's first bit (a bitfield's unused
			           bits; offset/len are the bytes holding them);
			           otherwise offset * 8 */
	uint32_t bits;        /**< key_padding: the hole's length in bits; otherwise len * 8 */
};

/** One map of the object. */
struct safemap_objcheck_map {
	const char *name;        /**< the map's name in the object */
	uint32_t map_type;       /**< enum bpf_map_type */
	const char *type_name;   /**< "hash", "array", ... */
	uint32_t key_size;       /**< bytes */
	uint32_t value_size;     /**< bytes (one CPU's for per-CPU maps) */
	uint32_t max_entries;    /**< as declared in the object */
	uint32_t map_flags;      /**< BPF_F_* creation flags */
	const char *key_type;    /**< BTF type name ("struct flow_key", "__u32"), "" without BTF */
	const char *value_type;  /**< BTF type name of the value, "" without BTF */
	const char *inner_of;    /**< the inner map of a map of maps (named "OUTER.inner", from
				      __array(values, ...)): OUTER's name; "" otherwise */
	bool max_entries_at_load; /**< max_entries is 0 and libbpf sets it when it creates the
				       map (perf_event_array: one per possible CPU); policy
				       minimums do not apply */
};

/** One map of the object compared with a pinned map (opts.pins_dir / pins_own). */
struct safemap_objcheck_pin {
	const char *map;   /**< the object's map */
	const char *path;  /**< where its pinned map was looked for */
	uint32_t id;       /**< the pinned map's id; 0: nothing pinned there (libbpf would
	                        create a new map) */
	bool btf;          /**< both sides have BTF: the key/value layouts were compared */
	size_t nfindings;  /**< pin_reuse and pin_layout findings about this map */
};

/** The checker's report; free with safemap_objcheck_free(). */
struct safemap_objcheck {
	const char *path;  /**< the file, or the object's name (safemap_objcheck_object()) */
	size_t nmaps;            /**< entries in @c maps */
	const struct safemap_objcheck_map *maps; /**< the object's maps, in its order */
	size_t nfindings;        /**< entries in @c findings (0: a clean object) */
	const struct safemap_objcheck_finding *findings; /**< what the checker found */
	size_t npins;      /**< maps compared with pinned maps (opts.pins_dir / pins_own) */
	const struct safemap_objcheck_pin *pins; /**< @c npins comparisons with pinned maps */
};

/** A policy built in code (or loaded from a file): the rules of the policy
 *  file format, one per map. Made by safemap_objcheck_policy_new() or
 *  safemap_objcheck_policy_load(), freed by safemap_objcheck_policy_free(). */
struct safemap_objcheck_policy;

/** One rule of a policy; SAFEMAP_OPTS(safemap_objcheck_rule, r, .map = "flows", ...).
 *  Zero fields demand nothing. */
struct safemap_objcheck_rule {
	size_t sz; /**< sizeof(struct safemap_objcheck_rule), set by SAFEMAP_OPTS() (extensible: see common.h) */
	const char *map;          /**< selector as in the policy file: the map's name, a glob
				       ("*", "pid_*"), either after "MAPTYPE:" */
	uint32_t map_type;        /**< enum bpf_map_type; 0 = any */
	uint32_t key_size;        /**< exact bytes; 0 = any */
	uint32_t value_size;      /**< exact bytes; 0 = any */
	uint32_t min_max_entries; /**< max_entries must be at least this; 0 = no minimum */
	bool key_padding_ok;      /**< padding holes in this map's key are not findings */
	bool optional;            /**< no missing_map finding when the object lacks the map */
};

/** @brief An empty policy. @return 0 or -ENOMEM. Free with safemap_objcheck_policy_free(). */
SAFEMAP_API int safemap_objcheck_policy_new(struct safemap_objcheck_policy **out);

/** @brief Parse a policy file (format in README.md). @return 0; -ENOENT,
 *         -EACCES; -EINVAL (the detail message names the line); -ENOMEM.
 *         Free with safemap_objcheck_policy_free(). */
SAFEMAP_API int safemap_objcheck_policy_load(const char *path,
					     struct safemap_objcheck_policy **out);

/** @brief Append @p rule (copied; the name too) to @p p. In messages a rule
 *         added here is "line N" for the policy's N-th rule.
 *  @return 0; -EINVAL (NULL, no or too long a name, bad sz); -ENOMEM. */
SAFEMAP_API int safemap_objcheck_policy_add(struct safemap_objcheck_policy *p,
					    const struct safemap_objcheck_rule *rule);

/** @brief Free a policy. Accepts NULL. */
SAFEMAP_API void safemap_objcheck_policy_free(struct safemap_objcheck_policy *p);

/** Options for safemap_objcheck_file() and safemap_objcheck_object();
 *  SAFEMAP_OPTS(safemap_objcheck_opts, o, ...). */
struct safemap_objcheck_opts {
	size_t sz; /**< sizeof(struct safemap_objcheck_opts), set by SAFEMAP_OPTS() (extensible: see common.h) */
	const char *policy_path; /**< policy file (format in README.md); NULL = none */
	/** a policy built in code, read during the call only (not with policy_path) */
	const struct safemap_objcheck_policy *policy;
	/** raise each max_entries below the policy's minimum with
	 *  bpf_map__set_max_entries() (safemap_objcheck_object() on an object not
	 *  loaded yet): a 'fixed' finding instead of a 'max_entries' one */
	bool fix;
	/** compare each map with the map pinned at PINS_DIR/NAME (needs root):
	 *  what libbpf's reuse checks (type, key/value size, max_entries, flags,
	 *  map_extra) and the key/value layouts field by field from both BTFs */
	const char *pins_dir;
	/** the same for each map with a pin path of its own (__uint(pinning,
	 *  LIBBPF_PIN_BY_NAME), at the object's pin_root_path), at that path */
	bool pins_own;
};

/**
 * @brief Open a BPF object file *without loading it* (no privileges) and
 *        report each map it defines (libbpf's internal .data/.rodata/.bss/
 *        .kconfig maps left out; the inner map of a map of maps listed after
 *        its outer map) and every finding: padding holes in keys (to the
 *        bit, for bitfields), hashed keys that could not be checked (and
 *        why), max_entries below the policy, sizes or types other than the
 *        policy's, maps the policy names that the object lacks.
 * @param out receives the report; free it with safemap_objcheck_free().
 *        With @c opts->pins_dir (or pins_own) each map is also compared
 *        with the map pinned by its name (pin_reuse, pin_layout findings,
 *        the report's pins; needs the privileges to open pins).
 * @return 0 (findings are in the report, not errors); -ENOENT, -EINVAL (not
 *         a regular file, not a BPF object, a corrupt one, bad policy line:
 *         the detail message names the line; opts->fix, which needs
 *         safemap_objcheck_object()), -ENODATA (no BTF: compile with clang
 *         -g), -EFBIG (over 1 GiB); -ENOENT/-ENOTDIR (pins_dir),
 *         -EPERM/-EACCES (a pin cannot be opened); -ENOMEM.
 *
 * Concurrency: thread-safe, shares nothing (libbpf may print warnings
 * through its own print callback, see libbpf_set_print()).
 */
SAFEMAP_API int safemap_objcheck_file(const char *path, const struct safemap_objcheck_opts *opts,
				      struct safemap_objcheck **out);

/**
 * @brief The same check over an object image in memory (@p size bytes at
 *        @p data, e.g. read from a network or an archive), reported under
 *        @p name (NULL: "(memory)"). The image is validated before libbpf
 *        parses it (ELF, symbols, relocations, .BTF, .BTF.ext, .maps), so a
 *        corrupt image is refused with -EINVAL and a message naming the
 *        problem, never a crash.
 * @return as safemap_objcheck_file(); -ENODATA: the object has no BTF.
 *
 * Concurrency: as safemap_objcheck_file(); @p data is only read, and only
 * during the call.
 */
SAFEMAP_API int safemap_objcheck_mem(const void *data, size_t size, const char *name,
				     const struct safemap_objcheck_opts *opts,
				     struct safemap_objcheck **out);
struct bpf_object; /* libbpf's */

/**
 * @brief The same checks as safemap_objcheck_file() on an object that is
 *        opened but not loaded yet (a skeleton's @c obj after __open()), so
 *        that a program can refuse to load (or fix) maps that break its
 *        policy. With @c opts->fix, each max_entries below the policy's
 *        minimum is raised with bpf_map__set_max_entries() and reported as a
 *        SAFEMAP_FIND_FIXED finding: the maps of @p obj change (libbpf's map
 *        iterator hands out writable maps of a const object).
 * @param out receives the report (path: the object's name); free it with
 *        safemap_objcheck_free().
 * @return 0 (findings are in the report); -EINVAL (NULL argument, bad opts,
 *         both policy_path and policy); -EBUSY (fix on a loaded object);
 *         errors of the policy file; -EPERM, -ENOENT... of pins_dir; -ENOMEM.
 *
 * Concurrency: no other thread may use @p obj during the call (libbpf
 * objects are not thread-safe); @c opts->policy may be shared by concurrent
 * calls (it is copied).
 */
SAFEMAP_API int safemap_objcheck_object(const struct bpf_object *obj,
					const struct safemap_objcheck_opts *opts,
					struct safemap_objcheck **out);

/** @brief Free a report. Accepts NULL. */
SAFEMAP_API void safemap_objcheck_free(struct safemap_objcheck *r);

#ifdef __cplusplus
}
#endif

#endif /* SAFEMAP_BPF_H */
