/* SPDX-License-Identifier: BSD-2-Clause */
/* Before deploy: the maps of a new object against the maps an older version
 * left pinned. libbpf reuses a pinned map only if type, key/value size,
 * max_entries, flags and map_extra are equal (map_is_reuse_compat()); it
 * never looks at the layout. Here both are compared: the reuse facts, and
 * the key/value layouts field by field, the object's BTF against the pinned
 * map's BTF in the kernel (the open-time spec check's comparison, with a
 * layout made from the object's BTF). */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "objcheck_internal.h"

/* A layout built from a BTF type: its leaf members with dotted names. */
struct flat {
	const struct btf *btf;
	struct safemap_layout_field *f;
	size_t n, cap;
	int err;
};

static void flat_add(struct flat *fl, const char *name, size_t off, size_t size)
{
	char *copy;

	if (fl->err)
		return;
	if (fl->n == fl->cap) {
		size_t cap = fl->cap ? 2 * fl->cap : 16;
		void *p = realloc(fl->f, cap * sizeof(*fl->f));

		if (!p) {
			fl->err = -ENOMEM;
			return;
		}
		fl->f = p;
		fl->cap = cap;
	}
	copy = strdup(name);
	if (!copy) {
		fl->err = -ENOMEM;
		return;
	}
	fl->f[fl->n++] = (struct safemap_layout_field){ copy, off, size };
}

/* The members of a composite at their offsets, nested structs by their
 * members ("hdr.len"), arrays and scalars whole (safemap__btf_members()). */
static bool flatten(const char *name, bool named, size_t off, uint32_t type_id,
		    const struct btf_type *mt, void *ctx)
{
	struct flat *fl = ctx;
	__s64 sz;

	if (!named)
		return false;
	if (mt && btf_is_composite(mt) && btf_vlen(mt))
		return true;
	sz = btf__resolve_size(fl->btf, type_id);
	flat_add(fl, name, off, sz < 0 ? 0 : (size_t)sz);
	return false;
}

static void flat_free(struct flat *fl)
{
	size_t i;

	for (i = 0; i < fl->n; i++)
		free((char *)fl->f[i].name);
	free(fl->f);
}

struct pinctx {
	struct safemap_objcheck *r;
	struct safemap_objcheck_pin *pins;
	size_t npins, cap;
	const char *map, *path;
	uint32_t id;
	size_t nfound; /* findings about the current map */
};

/* @p type_names: the values as type names (map types), else numbers (hex: flags). */
static void reuse_finding(struct pinctx *c, const char *what, uint64_t pinned, uint64_t here,
			  bool hex, bool type_names)
{
	char a[32], b[32];

	if (type_names) {
		const char *x = libbpf_bpf_map_type_str((enum bpf_map_type)pinned);
		const char *y = libbpf_bpf_map_type_str((enum bpf_map_type)here);

		snprintf(a, sizeof(a), "%s", x ? x : "?");
		snprintf(b, sizeof(b), "%s", y ? y : "?");
	} else {
		snprintf(a, sizeof(a), hex ? "0x%llx" : "%llu", (unsigned long long)pinned);
		snprintf(b, sizeof(b), hex ? "0x%llx" : "%llu", (unsigned long long)here);
	}
	safemap__objcheck_finding(c->r, SAFEMAP_FIND_PIN_REUSE, c->map, pinned, here,
				  "map '%s' against the map pinned at %s (id %u): %s %s in the kernel, %s here: libbpf cannot reuse it (load fails)",
				  c->map, c->path, c->id, what, a, b);
	c->nfound++;
}

/* One side (key or value): the object's type @p oid in @p obtf against the
 * pinned map's type @p kid in @p kbtf, one finding per difference. */
static int compare_side(struct pinctx *c, const struct btf *obtf, uint32_t oid,
			const struct btf *kbtf, uint32_t kid, const char *what, bool check_size)
{
	const struct btf_type *t = safemap__btf_resolved(obtf, oid);
	struct flat fl = { .btf = obtf };
	char tname[128], buf[4096], *piece, *save = NULL;
	struct safemap__diff d = { .buf = buf, .len = sizeof(buf) };
	struct safemap_layout l;
	__s64 size = btf__resolve_size(obtf, oid);
	int shown = 0;

	if (!t || size < 0)
		return 0;
	if (btf_is_composite(t))
		safemap__btf_members(obtf, t, flatten, &fl);
	if (fl.err) {
		flat_free(&fl);
		return safemap__errorf(-ENOMEM, "out of memory");
	}
	l = (struct safemap_layout){ safemap__btf_type_name(obtf, oid, tname, sizeof(tname)),
				     (size_t)size, fl.n, fl.f };
	buf[0] = '\0';
	safemap__btf_compare(kbtf, kid, &l, what, check_size, &d);
	flat_free(&fl);
	for (piece = strtok_r(buf, ";", &save); piece; piece = strtok_r(NULL, ";", &save)) {
		while (*piece == ' ')
			piece++;
		safemap__objcheck_finding(c->r, SAFEMAP_FIND_PIN_LAYOUT, c->map, 0, 0,
					  "map '%s' against the map pinned at %s (id %u): %s",
					  c->map, c->path, c->id, piece);
		shown++;
		c->nfound++;
	}
	if (d.n > shown) {
		safemap__objcheck_finding(c->r, SAFEMAP_FIND_PIN_LAYOUT, c->map, 0, 0,
					  "map '%s' against the map pinned at %s (id %u): %s: %d more differences",
					  c->map, c->path, c->id, what, d.n - shown);
		c->nfound++;
	}
	return 0;
}

/* Compare map @p map of the object with the map pinned at c->path. */
static int compare_pinned(struct pinctx *c, const struct bpf_object *obj,
			  const struct bpf_map *map, struct safemap_objcheck_pin *pin)
{
	struct bpf_map_info info;
	__u32 len = sizeof(info);
	struct safemap_bpf *h = NULL;
	const struct btf *obtf = bpf_object__btf(obj);
	uint32_t okid = bpf_map__btf_key_type_id(map), ovid = bpf_map__btf_value_type_id(map);
	struct btf *kbtf;
	int err;

	err = safemap_bpf_open_pinned(c->path, NULL, &h);
	if (err == -ENOENT)
		return 0; /* nothing pinned: libbpf would create the map */
	if (err == -EINVAL) { /* a program, a link, a directory: nothing to reuse */
		safemap__objcheck_finding(c->r, SAFEMAP_FIND_PIN_REUSE, c->map, 0, 0,
					  "map '%s': %s: libbpf cannot reuse it",
					  c->map, safemap_last_error());
		c->nfound++;
		return 0;
	}
	if (err)
		return safemap__errorf(err, "map '%s': the pinned map at %s cannot be opened: %s%s",
				       c->map, c->path, strerror(-err),
				       err == -EPERM || err == -EACCES ? " (checking pins needs root)" : "");
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(safemap_bpf_fd(h), &info, &len)) {
		err = -errno;
		safemap_bpf_put(h);
		return safemap__errorf(err, "pinned map %s: cannot read its info: %s", c->path,
				       strerror(-err));
	}
	safemap_bpf_put(h);
	c->id = pin->id = info.id;
	if (info.type != bpf_map__type(map))
		reuse_finding(c, "type", info.type, bpf_map__type(map), false, true);
	if (info.key_size != bpf_map__key_size(map))
		reuse_finding(c, "key size", info.key_size, bpf_map__key_size(map), false, false);
	if (info.value_size != bpf_map__value_size(map))
		reuse_finding(c, "value size", info.value_size, bpf_map__value_size(map), false,
			      false);
	if (info.max_entries != bpf_map__max_entries(map))
		reuse_finding(c, "max_entries", info.max_entries, bpf_map__max_entries(map), false,
			      false);
	if (info.map_flags != bpf_map__map_flags(map))
		reuse_finding(c, "map_flags", info.map_flags, bpf_map__map_flags(map), true, false);
	if (info.map_extra != bpf_map__map_extra(map))
		reuse_finding(c, "map_extra", info.map_extra, bpf_map__map_extra(map), true, false);
	if (!info.btf_id || !obtf || (!okid && !ovid))
		return 0; /* no BTF on one side: the sizes are all there is */
	kbtf = btf__load_from_kernel_by_id(info.btf_id);
	if (!kbtf) {
		err = -errno;
		return safemap__errorf(err, "pinned map %s: cannot load its BTF (id %u): %s",
				       c->path, info.btf_id, strerror(-err));
	}
	pin->btf = true;
	err = 0;
	/* a size already reported as a reuse finding is not reported twice */
	if (okid && info.btf_key_type_id)
		err = compare_side(c, obtf, okid, kbtf, info.btf_key_type_id, "key",
				   info.key_size == bpf_map__key_size(map));
	if (!err && ovid && info.btf_value_type_id)
		err = compare_side(c, obtf, ovid, kbtf, info.btf_value_type_id, "value",
				   info.value_size == bpf_map__value_size(map));
	btf__free(kbtf);
	return err;
}

int safemap__pincheck(struct safemap_objcheck *r, const struct bpf_object *obj,
		      const struct safemap_objcheck_opts *o)
{
	struct pinctx c = { .r = r };
	struct bpf_map *map;
	struct stat st;
	int err = 0;

	if (o->pins_dir) {
		if (stat(o->pins_dir, &st))
			return safemap__errorf(-errno, "pins directory '%s': %s", o->pins_dir,
					       strerror(errno));
		if (!S_ISDIR(st.st_mode))
			return safemap__errorf(-ENOTDIR, "pins directory '%s': not a directory",
					       o->pins_dir);
	}
	bpf_object__for_each_map(map, obj) {
		struct safemap_objcheck_pin *pin;
		char path[4096];

		if (bpf_map__is_internal(map))
			continue;
		if (o->pins_dir)
			snprintf(path, sizeof(path), "%s/%s", o->pins_dir, bpf_map__name(map));
		else if (bpf_map__pin_path(map))
			snprintf(path, sizeof(path), "%s", bpf_map__pin_path(map));
		else
			continue;
		if (c.npins == c.cap) {
			size_t cap = c.cap ? 2 * c.cap : 8;
			void *p = realloc(c.pins, cap * sizeof(*c.pins));

			if (!p) {
				err = safemap__errorf(-ENOMEM, "out of memory");
				break;
			}
			c.pins = p;
			c.cap = cap;
		}
		pin = &c.pins[c.npins++];
		memset(pin, 0, sizeof(*pin));
		c.map = pin->map = safemap__objcheck_keep(r, bpf_map__name(map));
		c.path = pin->path = safemap__objcheck_keep(r, path);
		c.id = 0;
		c.nfound = 0;
		err = compare_pinned(&c, obj, map, pin);
		pin->nfindings = c.nfound;
		if (err)
			break;
	}
	r->pins = c.pins; /* freed with the report */
	r->npins = c.npins;
	if (!err && safemap__objcheck_err(r))
		err = safemap__errorf(-ENOMEM, "out of memory");
	return err;
}
