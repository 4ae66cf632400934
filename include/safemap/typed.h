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
 * wrappers that take `K` and `V` pointers, so a wrong key or value type is
 * a compile-time diagnostic (an error in C++, and in C with
 * -Werror=incompatible-pointer-types, the default of GCC 14 and Clang 16):
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

/** @brief Define the typed view `struct prefix` and its wrappers for key
 *         type @p K and value type @p V. Use at file scope, followed by a
 *         semicolon, once per prefix and translation unit. */
#define SAFEMAP_DEFINE_TYPED(prefix, K, V)                                                    \
	struct prefix;                                                                        \
	typedef int (*prefix##_update_fn)(const K *key, V *value, bool present, void *ctx);  \
	struct prefix##_update_ctx_ {                                                          \
		prefix##_update_fn fn;                                                         \
		void *ctx;                                                                     \
	};                                                                                     \
	static inline __attribute__((unused)) struct safemap *prefix##_map(struct prefix *t)   \
	{                                                                                      \
		return (struct safemap *)t;                                                    \
	}                                                                                      \
	static inline __attribute__((unused)) int prefix##_create(                             \
		const struct safemap_opts *opts, struct prefix **out)                          \
	{                                                                                      \
		struct safemap *m_ = NULL;                                                     \
		int err_ = safemap_create_typed(opts, sizeof(K), sizeof(V), #K, #V, &m_);      \
		if (out)                                                                       \
			*out = (struct prefix *)m_;                                            \
		return err_;                                                                   \
	}                                                                                      \
	static inline __attribute__((unused)) int prefix##_attach(struct safemap *m,           \
								  struct prefix **out)         \
	{                                                                                      \
		int err_ = safemap_check_type(m, sizeof(K), sizeof(V), #K, #V);                \
		if (out)                                                                       \
			*out = err_ ? (struct prefix *)0 : (struct prefix *)m;                 \
		return err_;                                                                   \
	}                                                                                      \
	static inline __attribute__((unused)) void prefix##_destroy(struct prefix *t)          \
	{                                                                                      \
		safemap_destroy(prefix##_map(t));                                              \
	}                                                                                      \
	static inline __attribute__((unused)) int prefix##_put(struct prefix *t, const K *key, \
							       const V *value, unsigned flags) \
	{                                                                                      \
		return safemap_put(prefix##_map(t), key, value, flags);                        \
	}                                                                                      \
	static inline __attribute__((unused)) int prefix##_get(struct prefix *t, const K *key, \
							       V *value_out)                   \
	{                                                                                      \
		return safemap_get(prefix##_map(t), key, value_out);                           \
	}                                                                                      \
	static inline __attribute__((unused)) int prefix##_delete(struct prefix *t,            \
								  const K *key)                \
	{                                                                                      \
		return safemap_delete(prefix##_map(t), key);                                   \
	}                                                                                      \
	static inline __attribute__((unused)) int prefix##_get_ref(                            \
		struct prefix *t, const K *key, struct safemap_ref *ref)                       \
	{                                                                                      \
		return safemap_get_ref(prefix##_map(t), key, ref);                             \
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
		struct prefix *t, const K *key, prefix##_update_fn fn, void *ctx,              \
		unsigned flags)                                                                \
	{                                                                                      \
		struct prefix##_update_ctx_ u_ = { fn, ctx };                                  \
		if (!fn)                                                                       \
			return safemap_update(prefix##_map(t), key, 0, 0, flags);              \
		return safemap_update(prefix##_map(t), key, prefix##_update_tramp_, &u_,       \
				      flags);                                                  \
	}                                                                                      \
	static inline __attribute__((unused)) int prefix##_cas(                                \
		struct prefix *t, const K *key, V *expected, const V *desired)                 \
	{                                                                                      \
		return safemap_cas(prefix##_map(t), key, expected, desired);                   \
	}                                                                                      \
	static inline __attribute__((unused)) int prefix##_clear(struct prefix *t)             \
	{                                                                                      \
		return safemap_clear(prefix##_map(t));                                         \
	}                                                                                      \
	static inline __attribute__((unused)) size_t prefix##_count(struct prefix *t)          \
	{                                                                                      \
		return safemap_count(prefix##_map(t));                                         \
	}                                                                                      \
	SAFEMAP_DEFINE_TYPED_FOREACH_(prefix, K, V)                                           \
	SAFEMAP_DEFINE_TYPED_BATCH_(prefix, K, V)                                             \
	struct prefix##_semicolon_

/* prefix_foreach: safemap_foreach() with typed key and value. */
#define SAFEMAP_DEFINE_TYPED_FOREACH_(prefix, K, V)                                           \
	typedef int (*prefix##_foreach_fn)(const K *key, const V *value, void *ctx);         \
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
		struct prefix *t, prefix##_foreach_fn fn, void *ctx)                           \
	{                                                                                      \
		struct prefix##_foreach_ctx_ f_ = { fn, ctx };                                 \
		if (!fn)                                                                       \
			return safemap_foreach(prefix##_map(t), 0, 0);                         \
		return safemap_foreach(prefix##_map(t), prefix##_foreach_tramp_, &f_);         \
	}

/* prefix_get_batch / put_batch / delete_batch: arrays of K and V. */
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
