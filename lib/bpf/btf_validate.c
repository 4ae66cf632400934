/* SPDX-License-Identifier: BSD-2-Clause */
/* Validation of raw .BTF and .BTF.ext bytes, the way the kernel (and
 * libbpf since 1.3) validate them, so that Debian's libbpf 1.1 and our
 * own BTF walks only ever see BTF whose ids, names and chains are sound. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/btf.h>

#include "obj_validate.h"

#define INFO_MASK 0x9f00ffffu   /* kind_flag, kind (5 bits), vlen */
#define INT_MASK 0x0fff00ffu    /* encoding, offset, bits */
#define KIND_MAX BTF_KIND_ENUM64

static const char *const kind_names[KIND_MAX + 1] = {
	"unknown", "int", "ptr", "array", "struct", "union", "enum", "fwd", "typedef",
	"volatile", "const", "restrict", "func", "func_proto", "var", "datasec", "float",
	"decl_tag", "type_tag", "enum64",
};

static unsigned kind_of(const struct btf_type *t)
{
	return (t->info >> 24) & 0x1f;
}

static unsigned vlen_of(const struct btf_type *t)
{
	return t->info & 0xffff;
}

/* Bytes the type record at @p t takes, or 0 for an unknown kind. */
static size_t rec_size(const struct btf_type *t)
{
	size_t base = sizeof(*t), vlen = vlen_of(t);

	switch (kind_of(t)) {
	case BTF_KIND_FWD:
	case BTF_KIND_CONST:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_PTR:
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_FUNC:
	case BTF_KIND_FLOAT:
	case BTF_KIND_TYPE_TAG: return base;
	case BTF_KIND_INT: return base + sizeof(uint32_t);
	case BTF_KIND_ENUM: return base + vlen * sizeof(struct btf_enum);
	case BTF_KIND_ENUM64: return base + vlen * sizeof(struct btf_enum64);
	case BTF_KIND_ARRAY: return base + sizeof(struct btf_array);
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION: return base + vlen * sizeof(struct btf_member);
	case BTF_KIND_FUNC_PROTO: return base + vlen * sizeof(struct btf_param);
	case BTF_KIND_VAR: return base + sizeof(struct btf_var);
	case BTF_KIND_DATASEC: return base + vlen * sizeof(struct btf_var_secinfo);
	case BTF_KIND_DECL_TAG: return base + sizeof(struct btf_decl_tag);
	default: return 0;
	}
}

/* Kinds another type may name as its type (not VAR, DATASEC, FUNC, DECL_TAG). */
static bool is_data_kind(unsigned k)
{
	return k != BTF_KIND_VAR && k != BTF_KIND_DATASEC && k != BTF_KIND_FUNC &&
	       k != BTF_KIND_DECL_TAG && k != BTF_KIND_UNKN;
}

struct vctx {
	const struct safemap__btf_raw *b;
	const char *name;
};

static int bad(const struct vctx *v, uint32_t id, const char *fmt, ...) SAFEMAP_PRINTF(3, 4);

static int bad(const struct vctx *v, uint32_t id, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!id)
		return safemap__errorf(-EINVAL, "'%s': corrupt .BTF: %s", v->name, msg);
	return safemap__errorf(-EINVAL, "'%s': corrupt .BTF: type [%u] (%s): %s", v->name, id,
			       kind_names[kind_of(v->b->types[id])], msg);
}

static int check_name(const struct vctx *v, uint32_t id, uint32_t off, const char *what)
{
	if (off >= v->b->str_len)
		return bad(v, id, "%s name offset %u is outside the string section (%u bytes)", what,
			   off, v->b->str_len);
	return 0;
}

/* @p ref, named by type @p id as @p what, is a type id in range; void allowed if @p void_ok. */
static int check_ref(const struct vctx *v, uint32_t id, uint32_t ref, bool void_ok,
		     const char *what)
{
	if (ref > v->b->ntypes)
		return bad(v, id, "%s type id %u is out of range (%u types)", what, ref, v->b->ntypes);
	if (!ref) {
		if (!void_ok)
			return bad(v, id, "%s type is void", what);
		return 0;
	}
	if (!is_data_kind(kind_of(v->b->types[ref])))
		return bad(v, id, "%s type [%u] is a %s, not a data type", what, ref,
			   kind_names[kind_of(v->b->types[ref])]);
	return 0;
}

static int check_type(const struct vctx *v, uint32_t id)
{
	const struct btf_type *t = v->b->types[id];
	unsigned k = kind_of(t), n = vlen_of(t), i;
	int err;

	if ((err = check_name(v, id, t->name_off, "the")))
		return err;
	switch (k) {
	case BTF_KIND_INT: {
		uint32_t d = *(const uint32_t *)(t + 1);
		unsigned bits = d & 0xff, off = (d >> 16) & 0xff, enc = (d >> 24) & 0x0f;

		if (t->size != 1 && t->size != 2 && t->size != 4 && t->size != 8 && t->size != 16)
			return bad(v, id, "size %u", t->size);
		if ((d & ~INT_MASK) || bits > 128 || off + bits > t->size * 8 || (enc & (enc - 1)))
			return bad(v, id, "bad int encoding 0x%08x for %u bytes", d, t->size);
		return 0;
	}
	case BTF_KIND_FLOAT:
		if (t->size != 2 && t->size != 4 && t->size != 8 && t->size != 12 && t->size != 16)
			return bad(v, id, "size %u", t->size);
		return 0;
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64: {
		const uint32_t *e = (const uint32_t *)(t + 1);
		unsigned step = k == BTF_KIND_ENUM ? 2 : 3;

		if (t->size != 1 && t->size != 2 && t->size != 4 && t->size != 8)
			return bad(v, id, "size %u", t->size);
		for (i = 0; i < n; i++)
			if ((err = check_name(v, id, e[i * step], "an enumerator's")))
				return err;
		return 0;
	}
	case BTF_KIND_FWD:
		return 0;
	case BTF_KIND_PTR:
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_CONST:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_TYPE_TAG:
		return check_ref(v, id, t->type, true, "its");
	case BTF_KIND_ARRAY: {
		const struct btf_array *a = (const void *)(t + 1);

		if ((err = check_ref(v, id, a->type, false, "the element")))
			return err;
		return check_ref(v, id, a->index_type, false, "the index");
	}
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION: {
		const struct btf_member *m = (const void *)(t + 1);

		for (i = 0; i < n; i++, m++) {
			if ((err = check_name(v, id, m->name_off, "a member's")) ||
			    (err = check_ref(v, id, m->type, false, "a member's")))
				return err;
			if ((t->info >> 31) && (m->offset >> 24) > 128)
				return bad(v, id, "member #%u: bitfield of %u bits", i, m->offset >> 24);
		}
		return 0;
	}
	case BTF_KIND_FUNC:
		if (n > BTF_FUNC_EXTERN)
			return bad(v, id, "linkage %u", n);
		if (!t->type || t->type > v->b->ntypes ||
		    kind_of(v->b->types[t->type]) != BTF_KIND_FUNC_PROTO)
			return bad(v, id, "type id %u is not a func_proto", t->type);
		return 0;
	case BTF_KIND_FUNC_PROTO: {
		const struct btf_param *p = (const void *)(t + 1);

		if ((err = check_ref(v, id, t->type, true, "the return")))
			return err;
		for (i = 0; i < n; i++, p++)
			if ((err = check_name(v, id, p->name_off, "a parameter's")) ||
			    (err = check_ref(v, id, p->type, i + 1 == n, "a parameter's")))
				return err;
		return 0;
	}
	case BTF_KIND_VAR:
		if (((const struct btf_var *)(t + 1))->linkage > BTF_VAR_GLOBAL_EXTERN)
			return bad(v, id, "linkage %u", ((const struct btf_var *)(t + 1))->linkage);
		return check_ref(v, id, t->type, false, "its");
	case BTF_KIND_DATASEC: {
		const struct btf_var_secinfo *s = (const void *)(t + 1);

		for (i = 0; i < n; i++, s++) {
			unsigned sk;

			if (!s->type || s->type > v->b->ntypes)
				return bad(v, id, "entry #%u: type id %u is out of range (%u types)", i,
					   s->type, v->b->ntypes);
			sk = kind_of(v->b->types[s->type]);
			if (sk != BTF_KIND_VAR && sk != BTF_KIND_FUNC)
				return bad(v, id, "entry #%u: type [%u] is a %s, not a var", i, s->type,
					   kind_names[sk]);
			if ((uint64_t)s->offset + s->size > UINT32_MAX ||
			    (t->size && s->offset + s->size > t->size))
				return bad(v, id, "entry #%u: bytes %u+%u are outside the section (%u bytes)",
					   i, s->offset, s->size, t->size);
		}
		return 0;
	}
	case BTF_KIND_DECL_TAG: {
		int32_t idx = ((const struct btf_decl_tag *)(t + 1))->component_idx;
		const struct btf_type *to;
		unsigned tk, members;

		if (!t->type || t->type > v->b->ntypes)
			return bad(v, id, "type id %u is out of range (%u types)", t->type, v->b->ntypes);
		to = v->b->types[t->type];
		tk = kind_of(to);
		if (tk == BTF_KIND_DECL_TAG || tk == BTF_KIND_DATASEC)
			return bad(v, id, "tags a %s", kind_names[tk]);
		members = tk == BTF_KIND_STRUCT || tk == BTF_KIND_UNION ? vlen_of(to) : 0;
		if (tk == BTF_KIND_FUNC && to->type <= v->b->ntypes && to->type)
			members = vlen_of(v->b->types[to->type]);
		if (idx < -1 || (idx >= 0 && (unsigned)idx >= members))
			return bad(v, id, "component index %d of a %s with %u members", idx,
				   kind_names[tk], members);
		return 0;
	}
	}
	return bad(v, id, "unknown kind %u", k);
}

/* The next type in a chain of typedefs, modifiers, pointers, arrays and
 * vars, or 0 where the chain ends. */
static uint32_t chain_next(const struct btf_type *t)
{
	switch (kind_of(t)) {
	case BTF_KIND_PTR:
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_CONST:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_TYPE_TAG:
	case BTF_KIND_VAR: return t->type;
	case BTF_KIND_ARRAY: return ((const struct btf_array *)(t + 1))->type;
	default: return 0;
	}
}

/* Every chain ends (each node has one successor: a cycle is found by
 * walking from each unvisited node and meeting a node of the same walk). */
static int check_cycles(const struct vctx *v)
{
	uint32_t *walk = calloc((size_t)v->b->ntypes + 1, sizeof(*walk)), id;

	if (!walk)
		return safemap__errorf(-ENOMEM, "'%s': out of memory", v->name);
	for (id = 1; id <= v->b->ntypes; id++) {
		uint32_t cur = id;

		while (cur && !walk[cur]) {
			walk[cur] = id;
			cur = chain_next(v->b->types[cur]);
		}
		if (cur && walk[cur] == id) {
			free(walk);
			return bad(v, cur, "a chain of typedefs, modifiers, pointers or arrays leads back to it");
		}
	}
	free(walk);
	return 0;
}

void safemap__btf_raw_free(struct safemap__btf_raw *b)
{
	free(b->types);
	memset(b, 0, sizeof(*b));
}

int safemap__btf_validate(const void *data, size_t size, const char *name,
			  struct safemap__btf_raw *out)
{
	const struct btf_header *h = data;
	const unsigned char *base = data, *types, *p, *end;
	struct vctx v = { out, name };
	size_t cap = 0;
	uint32_t id;
	int err;

	memset(out, 0, sizeof(*out));
	if (size < sizeof(*h))
		return bad(&v, 0, "%zu bytes, shorter than its header", size);
	if (h->magic == 0x9feb)
		return bad(&v, 0, "byte order other than the host's");
	if (h->magic != BTF_MAGIC || h->version != BTF_VERSION || h->flags)
		return bad(&v, 0, "magic 0x%04x version %u flags 0x%x", h->magic, h->version, h->flags);
	if (h->hdr_len < sizeof(*h) || h->hdr_len > size)
		return bad(&v, 0, "header length %u", h->hdr_len);
	for (p = base + sizeof(*h); p < base + h->hdr_len; p++)
		if (*p)
			return bad(&v, 0, "unknown non-zero header bytes");
	if (h->type_off % 4 || h->type_len % 4 ||
	    (uint64_t)h->type_off + h->type_len > h->str_off ||
	    (uint64_t)h->hdr_len + h->str_off + h->str_len > size)
		return bad(&v, 0, "types at %u+%u and strings at %u+%u do not fit in %zu bytes",
			   h->type_off, h->type_len, h->str_off, h->str_len, size - h->hdr_len);
	out->strs = (const char *)base + h->hdr_len + h->str_off;
	out->str_len = h->str_len;
	if (!h->str_len || h->str_len - 1 > BTF_MAX_NAME_OFFSET || out->strs[0] ||
	    out->strs[h->str_len - 1])
		return bad(&v, 0, "the string section (%u bytes) does not start and end with NUL",
			   h->str_len);
	types = base + h->hdr_len + h->type_off;
	end = types + h->type_len;
	for (p = types; p < end;) {
		const struct btf_type *t = (const void *)p;
		size_t n;

		if ((size_t)(end - p) < sizeof(*t)) {
			err = bad(&v, 0, "truncated type record at byte %zu", (size_t)(p - types));
			goto fail;
		}
		n = rec_size(t);
		if (!n || kind_of(t) > KIND_MAX || (t->info & ~INFO_MASK)) {
			err = bad(&v, 0, "type [%u]: bad kind/info 0x%08x", out->ntypes + 1, t->info);
			goto fail;
		}
		if (n > (size_t)(end - p)) {
			err = bad(&v, 0, "type [%u] (%s, %u entries) runs past the type section",
				  out->ntypes + 1, kind_names[kind_of(t)], vlen_of(t));
			goto fail;
		}
		if (out->ntypes + 2 > cap) {
			size_t ncap = cap ? 2 * cap : 256;
			const struct btf_type **nt;

			if (ncap > BTF_MAX_TYPE + 1) {
				err = bad(&v, 0, "more than %u types", BTF_MAX_TYPE);
				goto fail;
			}
			nt = realloc(out->types, ncap * sizeof(*nt));
			if (!nt) {
				err = safemap__errorf(-ENOMEM, "'%s': out of memory", name);
				goto fail;
			}
			out->types = nt;
			out->types[0] = NULL;
			cap = ncap;
		}
		out->types[++out->ntypes] = t;
		p += n;
	}
	for (id = 1; id <= out->ntypes; id++)
		if ((err = check_type(&v, id)))
			goto fail;
	if ((err = check_cycles(&v)))
		goto fail;
	return 0;
fail:
	safemap__btf_raw_free(out);
	return err;
}

uint32_t safemap__btf_raw_find_datasec(const struct safemap__btf_raw *b, const char *sec_name)
{
	uint32_t id;

	for (id = 1; id <= b->ntypes; id++)
		if (kind_of(b->types[id]) == BTF_KIND_DATASEC &&
		    !strcmp(b->strs + b->types[id]->name_off, sec_name))
			return id;
	return 0;
}

/* @p id with typedefs and modifiers skipped (chains end: checked above). */
static uint32_t skip_mods(const struct safemap__btf_raw *b, uint32_t id)
{
	while (id) {
		unsigned k = kind_of(b->types[id]);

		if (k != BTF_KIND_TYPEDEF && k != BTF_KIND_VOLATILE && k != BTF_KIND_CONST &&
		    k != BTF_KIND_RESTRICT && k != BTF_KIND_TYPE_TAG)
			break;
		id = b->types[id]->type;
	}
	return id;
}

int safemap__btf_maps_validate(const struct safemap__btf_raw *b, uint32_t id, uint64_t sec_size,
			       const char *name)
{
	const struct btf_type *ds = b->types[id];
	const struct btf_var_secinfo *s = (const void *)(ds + 1);
	unsigned i, j;

	for (i = 0; i < vlen_of(ds); i++, s++) {
		const struct btf_type *var = b->types[s->type];
		const char *vname = b->strs + var->name_off;
		uint32_t def = skip_mods(b, var->type);
		const struct btf_member *m;

		if (kind_of(var) != BTF_KIND_VAR || !*vname)
			return safemap__errorf(-EINVAL, "'%s': corrupt .BTF: .maps entry #%u is not a named variable",
					       name, i);
		if ((uint64_t)s->offset + s->size > sec_size)
			return safemap__errorf(-EINVAL,
					       "'%s': corrupt .BTF: map '%s' at bytes %u+%u is outside the .maps section (%llu bytes)",
					       name, vname, s->offset, s->size,
					       (unsigned long long)sec_size);
		if (!def || kind_of(b->types[def]) != BTF_KIND_STRUCT)
			return safemap__errorf(-EINVAL,
					       "'%s': corrupt .BTF: map '%s' is not defined by a struct",
					       name, vname);
		m = (const void *)(b->types[def] + 1);
		for (j = 0; j < vlen_of(b->types[def]); j++, m++)
			if (!b->strs[m->name_off])
				return safemap__errorf(-EINVAL,
						       "'%s': corrupt .BTF: map '%s': definition member #%u has no name",
						       name, vname, j);
	}
	return 0;
}

/* ---- .BTF.ext ---- */

struct ext_header { /* libbpf's struct btf_ext_header (not public) */
	uint16_t magic;
	uint8_t version, flags;
	uint32_t hdr_len;
	uint32_t func_info_off, func_info_len, line_info_off, line_info_len;
	uint32_t core_relo_off, core_relo_len; /* if hdr_len covers them */
};

enum ext_kind { EXT_FUNC, EXT_LINE, EXT_CORE };
static const char *const ext_names[] = { "func_info", "line_info", "core_relo" };
static const uint32_t ext_min[] = { 8, 16, 16 }; /* bpf_func_info, bpf_line_info, bpf_core_relo */

static int ext_bad(const char *name, enum ext_kind k, const char *fmt, ...) SAFEMAP_PRINTF(3, 4);

static int ext_bad(const char *name, enum ext_kind k, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return safemap__errorf(-EINVAL, "'%s': corrupt .BTF.ext: %s: %s", name, ext_names[k], msg);
}

static int check_ext_records(const unsigned char *p, uint32_t len, enum ext_kind k,
			     const struct safemap__btf_raw *b, const char *name)
{
	uint32_t rec, left, n, i;

	if (!len)
		return 0;
	if (len < 4)
		return ext_bad(name, k, "no record size");
	memcpy(&rec, p, 4);
	if (rec < ext_min[k] || rec % 4 || rec > 1024)
		return ext_bad(name, k, "record size %u", rec);
	p += 4;
	left = len - 4;
	if (!left)
		return ext_bad(name, k, "no records");
	while (left) {
		uint32_t hdr[2]; /* sec_name_off, num_info */

		if (left < sizeof(hdr))
			return ext_bad(name, k, "truncated section header");
		memcpy(hdr, p, sizeof(hdr));
		if (hdr[0] >= b->str_len)
			return ext_bad(name, k, "section name offset %u outside the strings", hdr[0]);
		n = hdr[1];
		if (!n || (uint64_t)n * rec > left - sizeof(hdr))
			return ext_bad(name, k, "section '%s': %u records of %u bytes in %u bytes",
				       b->strs + hdr[0], n, rec, left - (uint32_t)sizeof(hdr));
		p += sizeof(hdr);
		left -= sizeof(hdr);
		for (i = 0; i < n; i++, p += rec, left -= rec) {
			uint32_t r[4];

			memcpy(r, p, k == EXT_FUNC ? 8 : 16);
			if (r[0] % 8)
				return ext_bad(name, k, "record #%u: instruction offset %u", i, r[0]);
			if (k == EXT_FUNC && (!r[1] || r[1] > b->ntypes ||
					      kind_of(b->types[r[1]]) != BTF_KIND_FUNC))
				return ext_bad(name, k, "record #%u: type id %u is not a func", i, r[1]);
			if (k == EXT_LINE && (r[1] >= b->str_len || r[2] >= b->str_len))
				return ext_bad(name, k, "record #%u: string offsets %u, %u outside the strings",
					       i, r[1], r[2]);
			if (k == EXT_CORE && (!r[1] || r[1] > b->ntypes || r[2] >= b->str_len))
				return ext_bad(name, k, "record #%u: type id %u, access string offset %u",
					       i, r[1], r[2]);
		}
	}
	return 0;
}

int safemap__btf_ext_validate(const void *data, size_t size, const char *name,
			      const struct safemap__btf_raw *b)
{
	struct ext_header h = { 0 };
	const unsigned char *base = data;
	uint32_t off[3], len[3];
	int k, err;

	if (size < 8)
		return safemap__errorf(-EINVAL, "'%s': corrupt .BTF.ext: %zu bytes", name, size);
	memcpy(&h, data, size < sizeof(h) ? size : sizeof(h));
	if (h.magic != BTF_MAGIC || h.version != BTF_VERSION || h.flags)
		return safemap__errorf(-EINVAL, "'%s': corrupt .BTF.ext: magic 0x%04x version %u flags 0x%x",
				       name, h.magic, h.version, h.flags);
	if (h.hdr_len < 24 || h.hdr_len > size || h.hdr_len % 4)
		return safemap__errorf(-EINVAL, "'%s': corrupt .BTF.ext: header length %u of %zu bytes",
				       name, h.hdr_len, size);
	if (h.hdr_len < sizeof(h))
		h.core_relo_off = h.core_relo_len = 0;
	off[0] = h.func_info_off, len[0] = h.func_info_len;
	off[1] = h.line_info_off, len[1] = h.line_info_len;
	off[2] = h.core_relo_off, len[2] = h.core_relo_len;
	for (k = 0; k < 3; k++) {
		if (!len[k])
			continue;
		if (off[k] % 4 || (uint64_t)h.hdr_len + off[k] + len[k] > size)
			return ext_bad(name, (enum ext_kind)k, "bytes %u+%u outside the section (%zu bytes)",
				       off[k], len[k], size - h.hdr_len);
		err = check_ext_records(base + h.hdr_len + off[k], len[k], (enum ext_kind)k, b, name);
		if (err)
			return err;
	}
	return 0;
}
