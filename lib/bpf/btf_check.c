/* SPDX-License-Identifier: BSD-2-Clause */
/* BTF walks: the members of a struct as a layout names them, a layout
 * (SAFEMAP_LAYOUT) compared member by member with a BTF type, C names of
 * BTF types, and padding holes of a struct. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include <bpf/btf.h>

#include "bpf_internal.h"

#define MAX_DEPTH 16 /* nesting of structs/arrays we follow */

void safemap__diff_add(struct safemap__diff *d, const char *fmt, ...)
{
	va_list ap;
	int n;

	d->n++;
	if (d->used + 3 >= d->len)
		return;
	if (d->used) {
		memcpy(d->buf + d->used, "; ", 3);
		d->used += 2;
	}
	va_start(ap, fmt);
	n = vsnprintf(d->buf + d->used, d->len - d->used, fmt, ap);
	va_end(ap);
	if (n > 0)
		d->used += (size_t)n < d->len - d->used ? (size_t)n : d->len - d->used - 1;
}

const struct btf_type *safemap__btf_resolved(const struct btf *btf, uint32_t id)
{
	int rid = btf__resolve_type(btf, id);

	return rid < 0 ? NULL : btf__type_by_id(btf, (uint32_t)rid);
}

static const char *type_name(const struct btf *btf, uint32_t type_id, char *buf, size_t len,
			     int depth)
{
	const struct btf_type *t = btf__type_by_id(btf, type_id);
	const char *name, *kind = "";
	char elem[128];

	if (!len)
		return buf;
	if (!t || depth > MAX_DEPTH) {
		snprintf(buf, len, t ? "..." : "?");
		return buf;
	}
	name = btf__name_by_offset(btf, t->name_off);
	if (!name || !*name)
		name = "(anon)";
	switch (btf_kind(t)) {
	case BTF_KIND_STRUCT: kind = "struct "; break;
	case BTF_KIND_UNION: kind = "union "; break;
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64: kind = "enum "; break;
	case BTF_KIND_PTR:
		snprintf(buf, len, "%s *", type_name(btf, t->type, elem, sizeof(elem), depth + 1));
		return buf;
	case BTF_KIND_CONST:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_TYPE_TAG:
		return type_name(btf, t->type, buf, len, depth + 1);
	case BTF_KIND_ARRAY:
		snprintf(buf, len, "%s[%u]",
			 type_name(btf, btf_array(t)->type, elem, sizeof(elem), depth + 1),
			 btf_array(t)->nelems);
		return buf;
	default: break;
	}
	snprintf(buf, len, "%s%s", kind, name);
	return buf;
}

const char *safemap__btf_type_name(const struct btf *btf, uint32_t type_id, char *buf,
				   size_t len)
{
	return type_name(btf, type_id, buf, len, 0);
}

/* "struct foo" -> "foo"; other names unchanged. */
static const char *bare(const char *name)
{
	if (!strncmp(name, "struct ", 7))
		return name + 7;
	if (!strncmp(name, "union ", 6))
		return name + 6;
	return name;
}

/* Does @p want name type @p id or one of the typedefs on the way to it? */
static bool name_matches(const struct btf *btf, uint32_t id, const char *want)
{
	int depth;

	want = bare(want);
	for (depth = 0; depth < MAX_DEPTH; depth++) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		const char *n;

		if (!t)
			return false;
		n = btf__name_by_offset(btf, t->name_off);
		if (n && *n && !strcmp(n, want))
			return true;
		if (!btf_is_typedef(t) && !btf_is_mod(t))
			return false;
		id = t->type;
	}
	return false;
}

/* Find member @p path ("a", "hdr.len") of composite @p t: byte offset and
 * size. Members of anonymous structs/unions are found through them, as C
 * finds them. Bitfields have size 0. Returns 0 or -ENOENT. */
static int find_member(const struct btf *btf, const struct btf_type *t, const char *path,
		       size_t *off, size_t *size, int depth)
{
	const struct btf_member *m = btf_members(t);
	const char *dot = strchr(path, '.');
	size_t n = dot ? (size_t)(dot - path) : strlen(path);
	unsigned i;

	if (depth > MAX_DEPTH)
		return -ENOENT;
	for (i = 0; i < btf_vlen(t); i++, m++) {
		const char *name = btf__name_by_offset(btf, m->name_off);
		size_t moff = btf_member_bit_offset(t, i) / 8;
		const struct btf_type *mt = safemap__btf_resolved(btf, m->type);

		if ((!name || !*name) && mt && btf_is_composite(mt)) {
			if (!find_member(btf, mt, path, off, size, depth + 1)) {
				*off += moff;
				return 0;
			}
			continue;
		}
		if (!name || strlen(name) != n || strncmp(name, path, n))
			continue;
		if (!dot) {
			__s64 sz = btf__resolve_size(btf, m->type);

			*off = moff;
			*size = btf_member_bitfield_size(t, i) || sz < 0 ? 0 : (size_t)sz;
			return 0;
		}
		if (!mt || !btf_is_composite(mt) ||
		    find_member(btf, mt, dot + 1, off, size, depth + 1))
			return -ENOENT;
		*off += moff;
		return 0;
	}
	return -ENOENT;
}

/* Is @p name a field of @p l, or (prefix) the start of one ("hdr" of "hdr.len")? */
static bool layout_has(const struct safemap_layout *l, const char *name, bool prefix)
{
	size_t i, n = strlen(name);

	for (i = 0; i < l->nfields; i++) {
		const char *f = l->fields[i].name;

		if (!prefix && !strcmp(f, name))
			return true;
		if (prefix && !strncmp(f, name, n) && f[n] == '.')
			return true;
	}
	return false;
}

static void walk_members(const struct btf *btf, const struct btf_type *t, const char *prefix,
			 size_t base, safemap__member_fn fn, void *ctx, int depth)
{
	const struct btf_member *m = btf_members(t);
	unsigned i;

	if (depth > MAX_DEPTH)
		return;
	for (i = 0; i < btf_vlen(t); i++, m++) {
		const char *name = btf__name_by_offset(btf, m->name_off);
		const struct btf_type *mt = safemap__btf_resolved(btf, m->type);
		size_t off = base + btf_member_bit_offset(t, i) / 8;
		char full[256];

		if (btf_member_bitfield_size(t, i))
			continue;
		if ((!name || !*name) && mt && btf_is_composite(mt)) {
			walk_members(btf, mt, prefix, off, fn, ctx, depth + 1);
			continue;
		}
		if (!name)
			continue;
		if (snprintf(full, sizeof(full), "%s%s%s", prefix, *prefix ? "." : "", name) < 0)
			continue;
		if (fn(full, *name != '\0', off, m->type, mt, ctx) && mt && btf_is_composite(mt))
			walk_members(btf, mt, full, off, fn, ctx, depth + 1);
	}
}

void safemap__btf_members(const struct btf *btf, const struct btf_type *t, safemap__member_fn fn,
			  void *ctx)
{
	walk_members(btf, t, "", 0, fn, ctx, 0);
}

struct covered_ctx {
	const struct btf *btf;
	const struct safemap_layout *l;
	const char *what;
	struct safemap__diff *d;
};

/* A kernel member the layout does not name is reported; one the layout
 * names members of is looked into. */
static bool check_covered(const char *name, bool named, size_t off, uint32_t type_id,
			  const struct btf_type *mt, void *ctx)
{
	struct covered_ctx *c = ctx;

	(void)named;
	if (layout_has(c->l, name, false))
		return false;
	if (layout_has(c->l, name, true) && mt && btf_is_composite(mt))
		return true;
	safemap__diff_add(c->d, "%s: field '%s' at offset %zu (%lld bytes) in the kernel, not here",
			  c->what, name, off, (long long)btf__resolve_size(c->btf, type_id));
	return false;
}

int safemap__btf_compare(const struct btf *btf, uint32_t type_id, const struct safemap_layout *l,
			 const char *what, bool check_size, struct safemap__diff *d)
{
	const struct btf_type *t = safemap__btf_resolved(btf, type_id);
	int before = d->n;
	char tname[128];
	__s64 ksize;
	size_t i;

	if (!t) {
		safemap__diff_add(d, "%s: BTF type %u not found", what, type_id);
		return d->n - before;
	}
	safemap__btf_type_name(btf, type_id, tname, sizeof(tname));
	ksize = btf__resolve_size(btf, type_id);
	if (check_size && ksize >= 0 && (size_t)ksize != l->size)
		safemap__diff_add(d, "%s: size %lld in the kernel, %zu here", what, (long long)ksize,
				  l->size);
	if (btf_is_composite(t) && l->type_name && !name_matches(btf, type_id, l->type_name))
		safemap__diff_add(d, "%s: type '%s' in the kernel, '%s' here", what, tname,
				  l->type_name);
	if (!l->nfields)
		return d->n - before;
	if (!btf_is_composite(t)) {
		safemap__diff_add(d, "%s: '%s' in the kernel is not a struct, '%s' here lists fields",
				  what, tname, l->type_name ? l->type_name : "?");
		return d->n - before;
	}
	for (i = 0; i < l->nfields; i++) {
		const struct safemap_layout_field *f = &l->fields[i];
		size_t off = 0, size = 0;

		if (!f->name)
			continue;
		if (find_member(btf, t, f->name, &off, &size, 0))
			safemap__diff_add(d, "%s: field '%s' at offset %zu (%zu bytes) here, not in the kernel",
					  what, f->name, f->offset, f->size);
		else if (off != f->offset)
			safemap__diff_add(d, "%s: field '%s' at offset %zu in the kernel, %zu here",
					  what, f->name, off, f->offset);
		else if (size != f->size)
			safemap__diff_add(d, "%s: field '%s' has %zu bytes in the kernel, %zu here",
					  what, f->name, size, f->size);
	}
	/* the kernel members the layout does not name (bitfields cannot be
	 * named in C layouts: offsetof) */
	safemap__btf_members(btf, t, check_covered,
			     &(struct covered_ctx){ btf, l, what, d });
	return d->n - before;
}

/* ---- padding holes ---- */

/* Which bits of the key hold data, and how much walking is left: a
 * corrupt or hostile BTF (members overlapping, arrays of arrays) could
 * otherwise make the walk take hours on a 1 MiB key. */
struct cover_ctx {
	uint8_t *bits;   /* bit i of the key: bits[i / 8] & (1 << i % 8) */
	uint64_t nbits;
	uint64_t budget; /* steps left: types visited + bytes marked */
};

#define HOLES_MAX_SIZE (1u << 20)  /* keys larger than this are not walked */
#define HOLES_BUDGET (1u << 24)

static void mark(struct cover_ctx *c, uint64_t from, uint64_t to)
{
	uint64_t cost;

	if (to > c->nbits)
		to = c->nbits;
	if (from >= to)
		return;
	cost = (to - from) / 8 + 1;
	c->budget = c->budget > cost ? c->budget - cost : 0;
	for (; from < to && from % 8; from++)
		c->bits[from / 8] |= (uint8_t)(1u << (from % 8));
	if (to - from >= 8) {
		memset(c->bits + from / 8, 0xff, (to - from) / 8);
		from += (to - from) / 8 * 8;
	}
	for (; from < to; from++)
		c->bits[from / 8] |= (uint8_t)(1u << (from % 8));
}

/* Mark the bits of type @p id at bit @p base that hold data. Returns 0,
 * -EINVAL (a type without a size: void, a forward declaration, nesting
 * deeper than MAX_DEPTH) or -E2BIG (the walk's budget spent). */
static int cover(const struct btf *btf, uint32_t id, uint64_t base, struct cover_ctx *c,
		 int depth)
{
	const struct btf_type *t = safemap__btf_resolved(btf, id);
	__s64 size = btf__resolve_size(btf, id);
	unsigned i;

	if (!t || size < 0 || depth > MAX_DEPTH)
		return -EINVAL;
	if (!c->budget--)
		return -E2BIG;
	if (base >= c->nbits)
		return 0;
	if (btf_is_composite(t)) {
		const struct btf_member *m = btf_members(t);

		for (i = 0; i < btf_vlen(t); i++, m++) {
			uint64_t bit = base + btf_member_bit_offset(t, i);
			unsigned bits = btf_member_bitfield_size(t, i);
			int err;

			if (bits) {
				mark(c, bit, bit + bits);
				continue;
			}
			err = cover(btf, m->type, bit, c, depth + 1);
			if (err)
				return err;
		}
		return 0;
	}
	if (btf_is_array(t)) {
		const struct btf_array *a = btf_array(t);
		__s64 esize = btf__resolve_size(btf, a->type);
		const struct btf_type *et = safemap__btf_resolved(btf, a->type);
		uint32_t j;

		if (esize < 0 || !et)
			return -EINVAL;
		if (esize == 0)
			return 0;
		if (!btf_is_composite(et) && !btf_is_array(et)) {
			mark(c, base, base + (uint64_t)size * 8);
			return 0;
		}
		for (j = 0; j < a->nelems && base + (uint64_t)j * esize * 8 < c->nbits; j++) {
			int err = cover(btf, a->type, base + (uint64_t)j * esize * 8, c, depth + 1);

			if (err)
				return err;
		}
		return 0;
	}
	mark(c, base, base + (uint64_t)size * 8);
	return 0;
}

int safemap__btf_holes(const struct btf *btf, uint32_t type_id, safemap__hole_fn fn, void *ctx)
{
	__s64 size = btf__resolve_size(btf, type_id);
	struct cover_ctx c;
	uint64_t i, start;
	int err, holes = 0;

	if (size < 0)
		return -EINVAL;
	if (size > HOLES_MAX_SIZE)
		return -E2BIG;
	if (size == 0)
		return 0;
	c.nbits = (uint64_t)size * 8;
	c.budget = HOLES_BUDGET;
	c.bits = calloc(1, (size_t)size);
	if (!c.bits)
		return -ENOMEM;
	err = cover(btf, type_id, 0, &c, 0);
	if (err) {
		free(c.bits);
		return err == -E2BIG ? -ELOOP : err;
	}
	for (i = 0; i < c.nbits;) {
		if (c.bits[i / 8] == 0xff && i % 8 == 0) {
			i += 8;
			continue;
		}
		if (c.bits[i / 8] & (1u << (i % 8))) {
			i++;
			continue;
		}
		for (start = i; i < c.nbits && !(c.bits[i / 8] & (1u << (i % 8))); i++)
			;
		holes++;
		if (fn)
			fn((uint32_t)start, (uint32_t)(i - start), ctx);
	}
	free(c.bits);
	return holes;
}
