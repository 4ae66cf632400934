/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * @file safemap/layout.h
 * @brief SAFEMAP_LAYOUT(): a table of a C struct's fields (name, offset,
 *        size) that the BPF map handles compare with the kernel's BTF.
 *
 * @code
 * struct stats { __u64 packets; __u64 bytes; };
 * spec.value_layout = SAFEMAP_LAYOUT(struct stats, packets, bytes);
 * @endcode
 *
 * A field may name a member of a nested struct with a dot
 * (@c SAFEMAP_LAYOUT(struct v, hdr.len, hdr.flags, data)); an array member is
 * one field whose size is the whole array. List every member: the check
 * reports kernel members that the layout does not name. Up to 32 fields.
 *
 * The macros make static constant tables (no allocation, valid for the
 * whole program). The library reads a layout only during the call it is
 * passed to and keeps no pointer to it. C (GNU C, like SAFEMAP_OPTS) only;
 * from C++ fill struct safemap_layout by hand.
 */
#ifndef SAFEMAP_LAYOUT_H
#define SAFEMAP_LAYOUT_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/** One field of a layout: its name (dotted for nested members), byte offset and size. */
struct safemap_layout_field {
	const char *name; /**< field name; "a.b" for member b of nested struct a */
	size_t offset;    /**< offsetof() in the type, in bytes */
	size_t size;      /**< sizeof the field, in bytes */
};

/** A struct's layout as this program was compiled. */
struct safemap_layout {
	const char *type_name;  /**< e.g. "struct stats" (the "struct " prefix is ignored) */
	size_t size;            /**< sizeof the type */
	size_t nfields;         /**< entries in @c fields; 0 = compare the size and name only */
	const struct safemap_layout_field *fields; /**< @c nfields fields, in any order */
};

/** @cond INTERNAL */
#define SAFEMAP__LAYOUT_FIELD(T, f) { #f, offsetof(T, f), sizeof(((T *)0)->f) },
#define SAFEMAP__NARG(...) SAFEMAP__NARG_(__VA_ARGS__, 32, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1)
#define SAFEMAP__NARG_(_1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11, _12, _13, _14, _15, _16, _17, _18, _19, _20, _21, _22, _23, _24, _25, _26, _27, _28, _29, _30, _31, _32, N, ...) N
#define SAFEMAP__CAT(a, b) SAFEMAP__CAT_(a, b)
#define SAFEMAP__CAT_(a, b) a##b
#define SAFEMAP__FOREACH(M, T, ...) \
	SAFEMAP__CAT(SAFEMAP__FE_, SAFEMAP__NARG(__VA_ARGS__))(M, T, __VA_ARGS__)
#define SAFEMAP__FE_1(M, T, x) M(T, x)
#define SAFEMAP__FE_2(M, T, x, ...) M(T, x) SAFEMAP__FE_1(M, T, __VA_ARGS__)
#define SAFEMAP__FE_3(M, T, x, ...) M(T, x) SAFEMAP__FE_2(M, T, __VA_ARGS__)
#define SAFEMAP__FE_4(M, T, x, ...) M(T, x) SAFEMAP__FE_3(M, T, __VA_ARGS__)
#define SAFEMAP__FE_5(M, T, x, ...) M(T, x) SAFEMAP__FE_4(M, T, __VA_ARGS__)
#define SAFEMAP__FE_6(M, T, x, ...) M(T, x) SAFEMAP__FE_5(M, T, __VA_ARGS__)
#define SAFEMAP__FE_7(M, T, x, ...) M(T, x) SAFEMAP__FE_6(M, T, __VA_ARGS__)
#define SAFEMAP__FE_8(M, T, x, ...) M(T, x) SAFEMAP__FE_7(M, T, __VA_ARGS__)
#define SAFEMAP__FE_9(M, T, x, ...) M(T, x) SAFEMAP__FE_8(M, T, __VA_ARGS__)
#define SAFEMAP__FE_10(M, T, x, ...) M(T, x) SAFEMAP__FE_9(M, T, __VA_ARGS__)
#define SAFEMAP__FE_11(M, T, x, ...) M(T, x) SAFEMAP__FE_10(M, T, __VA_ARGS__)
#define SAFEMAP__FE_12(M, T, x, ...) M(T, x) SAFEMAP__FE_11(M, T, __VA_ARGS__)
#define SAFEMAP__FE_13(M, T, x, ...) M(T, x) SAFEMAP__FE_12(M, T, __VA_ARGS__)
#define SAFEMAP__FE_14(M, T, x, ...) M(T, x) SAFEMAP__FE_13(M, T, __VA_ARGS__)
#define SAFEMAP__FE_15(M, T, x, ...) M(T, x) SAFEMAP__FE_14(M, T, __VA_ARGS__)
#define SAFEMAP__FE_16(M, T, x, ...) M(T, x) SAFEMAP__FE_15(M, T, __VA_ARGS__)
#define SAFEMAP__FE_17(M, T, x, ...) M(T, x) SAFEMAP__FE_16(M, T, __VA_ARGS__)
#define SAFEMAP__FE_18(M, T, x, ...) M(T, x) SAFEMAP__FE_17(M, T, __VA_ARGS__)
#define SAFEMAP__FE_19(M, T, x, ...) M(T, x) SAFEMAP__FE_18(M, T, __VA_ARGS__)
#define SAFEMAP__FE_20(M, T, x, ...) M(T, x) SAFEMAP__FE_19(M, T, __VA_ARGS__)
#define SAFEMAP__FE_21(M, T, x, ...) M(T, x) SAFEMAP__FE_20(M, T, __VA_ARGS__)
#define SAFEMAP__FE_22(M, T, x, ...) M(T, x) SAFEMAP__FE_21(M, T, __VA_ARGS__)
#define SAFEMAP__FE_23(M, T, x, ...) M(T, x) SAFEMAP__FE_22(M, T, __VA_ARGS__)
#define SAFEMAP__FE_24(M, T, x, ...) M(T, x) SAFEMAP__FE_23(M, T, __VA_ARGS__)
#define SAFEMAP__FE_25(M, T, x, ...) M(T, x) SAFEMAP__FE_24(M, T, __VA_ARGS__)
#define SAFEMAP__FE_26(M, T, x, ...) M(T, x) SAFEMAP__FE_25(M, T, __VA_ARGS__)
#define SAFEMAP__FE_27(M, T, x, ...) M(T, x) SAFEMAP__FE_26(M, T, __VA_ARGS__)
#define SAFEMAP__FE_28(M, T, x, ...) M(T, x) SAFEMAP__FE_27(M, T, __VA_ARGS__)
#define SAFEMAP__FE_29(M, T, x, ...) M(T, x) SAFEMAP__FE_28(M, T, __VA_ARGS__)
#define SAFEMAP__FE_30(M, T, x, ...) M(T, x) SAFEMAP__FE_29(M, T, __VA_ARGS__)
#define SAFEMAP__FE_31(M, T, x, ...) M(T, x) SAFEMAP__FE_30(M, T, __VA_ARGS__)
#define SAFEMAP__FE_32(M, T, x, ...) M(T, x) SAFEMAP__FE_31(M, T, __VA_ARGS__)
/** @endcond */

/**
 * @brief Define a constant struct safemap_layout called @p name (static
 *        storage, at file or block scope) for type @p T with the listed
 *        fields: SAFEMAP_DEFINE_LAYOUT(flow_layout, struct flow, saddr, daddr);
 *        then pass &flow_layout.
 */
#define SAFEMAP_DEFINE_LAYOUT(name, T, ...)                                          \
	static const struct safemap_layout_field name##__fields[] = {                \
		SAFEMAP__FOREACH(SAFEMAP__LAYOUT_FIELD, T, __VA_ARGS__) };            \
	static const struct safemap_layout name = {                                  \
		#T, sizeof(T), sizeof(name##__fields) / sizeof(name##__fields[0]),   \
		name##__fields }

/**
 * @brief A pointer to a constant struct safemap_layout (static storage, so
 *        it stays valid anywhere, including inside SAFEMAP_OPTS(...)) for
 *        type @p T with the listed fields: SAFEMAP_LAYOUT(struct k, f1, f2, ...).
 *        Inside functions only (a GNU statement expression, as SAFEMAP_OPTS);
 *        at file scope use SAFEMAP_DEFINE_LAYOUT().
 */
#define SAFEMAP_LAYOUT(T, ...) \
	({ SAFEMAP_DEFINE_LAYOUT(safemap__layout, T, __VA_ARGS__); &safemap__layout; })

/** @brief A layout that states only the type's name and size (scalars, opaque keys). */
#define SAFEMAP_LAYOUT_SCALAR(T)                                                        \
	({                                                                              \
		static const struct safemap_layout safemap__layout = { #T, sizeof(T), 0, \
								       NULL };          \
		&safemap__layout;                                                       \
	})

#ifdef __cplusplus
}
#endif

#endif /* SAFEMAP_LAYOUT_H */
