/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * @file safemap/typed.h
 * @brief Compile-time typed wrappers over the one exported map core.
 *
 * @code
 * SAFEMAP_DEFINE_TYPED(flows, struct flow_key, struct flow_stats);
 *
 * struct flows *f;
 * SAFEMAP_OPTS(safemap_opts, o, .name = "flows", .max_entries = 65536);
 * flows_create(&o, &f);                 // key/value sizes and type names filled in
 * flows_put(f, &key, &stats, SAFEMAP_ANY);   // &key must be a struct flow_key *
 * flows_get(f, &key, &stats);
 * flows_destroy(f);
 * @endcode
 *
 * SAFEMAP_DEFINE_TYPED(prefix, K, V) declares an opaque handle type
 * `struct prefix` (a typed view of a struct safemap) and `static inline`
 * wrappers that take `K` and `V` pointers, so a wrong key, value, callback or
 * view type is a compile error, with any compiler flags: in C++ (plain
 * pointer parameters) and in C (each typed pointer parameter is a GNU
 * transparent union of the one right pointer type, so an argument of any
 * other pointer type is an error, where an ordinary parameter gets only a
 * warning before GCC 14 and Clang 16). Accepted as in any pointer
 * parameter: the right type with or without const where const is expected,
 * NULL / 0, and in C `void *` (which defeats the check: the caller chose to).
 * Passing a `const K *` where a writable `V *` is expected stays a warning
 * (-Wdiscarded-qualifiers) in GCC. GCC's -Wpedantic notes each conversion to
 * a transparent union (ISO C has none): define SAFEMAP_TYPED_PLAIN_POINTERS
 * before including this header to get plain pointer parameters (wrong types
 * are then warnings only, as in ISO C).
 *
 * | wrapper | core call |
 * |---|---|
 * | prefix_create(opts, &t) | safemap_create_typed() with sizeof(K), sizeof(V), "K", "V" |
 * | prefix_attach(m, &t) | a typed view of an existing map, checked by safemap_check_type(): -EINVAL and a TYPE_MISMATCH event if it was created for other types |
 * | prefix_map(t) | the struct safemap * behind the view (count, name, events...) |
 * | prefix_destroy, _put, _get, _delete, _get_ref, _ref_key, _ref_value, _update, _cas, _clear, _count | the safemap_* call of the same name |
 * | prefix_foreach(t, fn, ctx) | safemap_foreach() (typed callback) |
 *
 * The type names are the spellings of K and V as written in the macro call
 * (`#K`): spell them the same way wherever one map is shared (`uint64_t` and
 * `std::uint64_t` are different names). A map created untyped (plain
 * safemap_create()) is checked by sizes only.
 *
 * The type check happens once, when a view is made (create or attach), so
 * the wrappers cost nothing per call: each is the core call itself. A
 * `struct prefix *` obtained any other way (a cast) is unchecked. Every
 * wrapper has the concurrency contract of its core call (safemap/map.h).
 */
#ifndef SAFEMAP_TYPED_H
#define SAFEMAP_TYPED_H

#include <stdbool.h>

#include <safemap/map.h>

/* The type of a typed pointer parameter named @p name holding a @p T: in C a
 * transparent union (an argument of another pointer type is an error), in
 * C++ (or with SAFEMAP_TYPED_PLAIN_POINTERS) @p T itself. SAFEMAP_TYPED_P_
 * gives the pointer back. */
#if defined(__cplusplus) || defined(SAFEMAP_TYPED_PLAIN_POINTERS)
#define SAFEMAP_TYPED_ARG_(name, T) typedef T name
#define SAFEMAP_TYPED_P_(x) (x)
#else
#define SAFEMAP_TYPED_ARG_(name, T) \
	typedef union { T p_; } __attribute__((transparent_union)) name
#define SAFEMAP_TYPED_P_(x) ((x).p_)
#endif

/** @brief Define the typed view `struct prefix` and its wrappers for key
 *         type @p K and value type @p V. Use at file scope, followed by a
 *         semicolon, once per prefix and translation unit. */
#define SAFEMAP_DEFINE_TYPED(prefix, K, V)                                                    \
	struct prefix;                                                                        \
	typedef int (*prefix##_update_fn)(const K *key, V *value, bool present, void *ctx);  \
	SAFEMAP_TYPED_ARG_(prefix##_h_, struct prefix *);                                     \
	SAFEMAP_TYPED_ARG_(prefix##_hout_, struct prefix **);                                 \
	SAFEMAP_TYPED_ARG_(prefix##_k_, const K *);                                           \
	SAFEMAP_TYPED_ARG_(prefix##_cv_, const V *);                                          \
	SAFEMAP_TYPED_ARG_(prefix##_v_, V *);                                                 \
	SAFEMAP_TYPED_ARG_(prefix##_ufn_, prefix##_update_fn);                                \
	struct prefix##_update_ctx_ {                                                          \
		prefix##_update_fn fn;                                                         \
		void *ctx;                                                                     \
	};                                                                                     \
	static inline __attribute__((unused)) struct safemap *prefix##_map(prefix##_h_ t)      \
	{                                                                                      \
		return (struct safemap *)SAFEMAP_TYPED_P_(t);                                  \
	}                                                                                      \
	static inline __attribute__((unused)) int prefix##_create(                             \
		const struct safemap_opts *opts, prefix##_hout_ out)                           \
	{                                                                                      \
		struct safemap *m_ = NULL;                                                     \
		int err_ = safemap_create_typed(opts, sizeof(K), sizeof(V), #K, #V, &m_);      \
		if (SAFEMAP_TYPED_P_(out))                                                     \
			*SAFEMAP_TYPED_P_(out) = (struct prefix *)m_;                          \
		return err_;                                                                   \
	}                                                                                      \
	static inline __attribute__((unused)) int prefix##_attach(struct safemap *m,           \
								  prefix##_hout_ out)          \
	{                                                                                      \
		int err_ = safemap_check_type(m, sizeof(K), sizeof(V), #K, #V);                \
		if (SAFEMAP_TYPED_P_(out))                                                     \
			*SAFEMAP_TYPED_P_(out) = err_ ? (struct prefix *)0 : (struct prefix *)m; \
		return err_;                                                                   \
	}                                                                                      \
	static inline __attribute__((unused)) void prefix##_destroy(prefix##_h_ t)             \
	{                                                                                      \
		safemap_destroy(prefix##_map(t));                                              \
	}                                                                                      \
	static inline __attribute__((unused)) int prefix##_put(prefix##_h_ t, prefix##_k_ key, \
							       prefix##_cv_ value,             \
							       unsigned flags)                 \
	{                                                                                      \
		return safemap_put(prefix##_map(t), SAFEMAP_TYPED_P_(key),                     \
				   SAFEMAP_TYPED_P_(value), flags);                            \
	}                                                                                      \
	static inline __attribute__((unused)) int prefix##_get(prefix##_h_ t, prefix##_k_ key, \
							       prefix##_v_ value_out)          \
	{                                                                                      \
		return safemap_get(prefix##_map(t), SAFEMAP_TYPED_P_(key),                     \
				   SAFEMAP_TYPED_P_(value_out));                               \
	}                                                                                      \
	static inline __attribute__((unused)) int prefix##_delete(prefix##_h_ t,               \
								  prefix##_k_ key)             \
	{                                                                                      \
		return safemap_delete(prefix##_map(t), SAFEMAP_TYPED_P_(key));                 \
	}                                                                                      \
	static inline __attribute__((unused)) int prefix##_get_ref(                            \
		prefix##_h_ t, prefix##_k_ key, struct safemap_ref *ref)                       \
	{                                                                                      \
		return safemap_get_ref(prefix##_map(t), SAFEMAP_TYPED_P_(key), ref);           \
	}                                                                                      \
	static inline __attribute__((unused)) const K *prefix##_ref_key(                       \
		const struct safemap_ref *ref)                                                 \
	{                                                                                      \
		return (const K *)safemap_ref_key(ref);                                        \
	}                                                                                      \
	static inline __attribute__((unused)) const V *prefix##_ref_value(                     \
		const struct safemap_ref *ref)                                                 \
	{                                                                                      \
		return (const V *)safemap_ref_value(ref);                                      \
	}                                                                                      \
	static inline __attribute__((unused)) int prefix##_update_tramp_(                      \
		const void *key, void *value, bool present, void *ctx)                         \
	{                                                                                      \
		struct prefix##_update_ctx_ *u_ = (struct prefix##_update_ctx_ *)ctx;          \
		return u_->fn((const K *)key, (V *)value, present, u_->ctx);                   \
	}                                                                                      \
	static inline __attribute__((unused)) int prefix##_update(                             \
		prefix##_h_ t, prefix##_k_ key, prefix##_ufn_ fn, void *ctx, unsigned flags)   \
	{                                                                                      \
		struct prefix##_update_ctx_ u_ = { SAFEMAP_TYPED_P_(fn), ctx };                \
		if (!u_.fn)                                                                    \
			return safemap_update(prefix##_map(t), SAFEMAP_TYPED_P_(key), 0, 0,    \
					      flags);                                          \
		return safemap_update(prefix##_map(t), SAFEMAP_TYPED_P_(key),                  \
				      prefix##_update_tramp_, &u_, flags);                     \
	}                                                                                      \
	static inline __attribute__((unused)) int prefix##_cas(                                \
		prefix##_h_ t, prefix##_k_ key, prefix##_v_ expected, prefix##_cv_ desired)    \
	{                                                                                      \
		return safemap_cas(prefix##_map(t), SAFEMAP_TYPED_P_(key),                     \
				   SAFEMAP_TYPED_P_(expected), SAFEMAP_TYPED_P_(desired));     \
	}                                                                                      \
	static inline __attribute__((unused)) int prefix##_clear(prefix##_h_ t)                \
	{                                                                                      \
		return safemap_clear(prefix##_map(t));                                         \
	}                                                                                      \
	static inline __attribute__((unused)) size_t prefix##_count(prefix##_h_ t)             \
	{                                                                                      \
		return safemap_count(prefix##_map(t));                                         \
	}                                                                                      \
	SAFEMAP_DEFINE_TYPED_FOREACH_(prefix, K, V)                                           \
	SAFEMAP_DEFINE_TYPED_BATCH_(prefix, K, V)                                             \
	struct prefix##_semicolon_

/** @brief Part of SAFEMAP_DEFINE_TYPED() (not to be used alone): generates
 *  prefix_foreach(), safemap_foreach() with typed key and value. */
#define SAFEMAP_DEFINE_TYPED_FOREACH_(prefix, K, V)                                           \
	typedef int (*prefix##_foreach_fn)(const K *key, const V *value, void *ctx);         \
	SAFEMAP_TYPED_ARG_(prefix##_ffn_, prefix##_foreach_fn);                               \
	struct prefix##_foreach_ctx_ {                                                         \
		prefix##_foreach_fn fn;                                                        \
		void *ctx;                                                                     \
	};                                                                                     \
	static inline __attribute__((unused)) int prefix##_foreach_tramp_(                     \
		const void *key, const void *value, void *ctx)                                 \
	{                                                                                      \
		struct prefix##_foreach_ctx_ *f_ = (struct prefix##_foreach_ctx_ *)ctx;        \
		return f_->fn((const K *)key, (const V *)value, f_->ctx);                      \
	}                                                                                      \
	static inline __attribute__((unused)) int prefix##_foreach(                            \
		prefix##_h_ t, prefix##_ffn_ fn, void *ctx)                                    \
	{                                                                                      \
		struct prefix##_foreach_ctx_ f_ = { SAFEMAP_TYPED_P_(fn), ctx };               \
		if (!f_.fn)                                                                    \
			return safemap_foreach(prefix##_map(t), 0, 0);                         \
		return safemap_foreach(prefix##_map(t), prefix##_foreach_tramp_, &f_);         \
	}

/** @brief Part of SAFEMAP_DEFINE_TYPED() (not to be used alone): generates
 *  prefix_get_batch(), prefix_put_batch() and prefix_delete_batch() over
 *  arrays of K and V. */
#define SAFEMAP_DEFINE_TYPED_BATCH_(prefix, K, V)                                              \
	static inline __attribute__((unused)) int prefix##_get_batch(                          \
		struct prefix *t, const K *keys_, V *values_, size_t n_, int *results_)        \
	{                                                                                      \
		return safemap_get_batch(prefix##_map(t), keys_, values_, n_, results_);       \
	}                                                                                      \
	static inline __attribute__((unused)) int prefix##_put_batch(                          \
		struct prefix *t, const K *keys_, const V *values_, size_t n_, unsigned flags_, \
		int *results_)                                                                 \
	{                                                                                      \
		return safemap_put_batch(prefix##_map(t), keys_, values_, n_, flags_, results_); \
	}                                                                                      \
	static inline __attribute__((unused)) int prefix##_delete_batch(                       \
		struct prefix *t, const K *keys_, size_t n_, int *results_)                    \
	{                                                                                      \
		return safemap_delete_batch(prefix##_map(t), keys_, n_, results_);             \
	}

#endif /* SAFEMAP_TYPED_H */
