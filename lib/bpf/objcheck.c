/* SPDX-License-Identifier: BSD-2-Clause */
/* The static checker: open a BPF object file without loading it, list its
 * maps, and find key padding holes and departures from a policy. */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <safemap/escape.h>

#include "obj_validate.h"
#include "objcheck_internal.h"
#include "policy.h"

/* The largest object file the checker reads (vmlinux-sized BTF fits). */
#define SAFEMAP__OBJ_MAX (1024u << 20)

/* The report and everything it points to, freed in one place. */
struct report {
	struct safemap_objcheck pub; /* first: the public pointer is this struct's */
	struct safemap_objcheck_map *maps;
	size_t cap_maps;
	struct safemap_objcheck_finding *findings;
	size_t cap_findings;
	char **strs;
	size_t nstrs, cap_strs;
	int err; /* -ENOMEM once anything failed */
};

static const char *keep(struct report *r, const char *s)
{
	char *copy;

	if (r->err)
		return "";
	if (r->nstrs == r->cap_strs) {
		size_t cap = r->cap_strs ? 2 * r->cap_strs : 16;
		char **n = realloc(r->strs, cap * sizeof(*n));

		if (!n)
			goto oom;
		r->strs = n;
		r->cap_strs = cap;
	}
	copy = strdup(s ? s : "");
	if (!copy)
		goto oom;
	r->strs[r->nstrs++] = copy;
	return copy;
oom:
	r->err = -ENOMEM;
	return "";
}

static void *grow(struct report *r, void **arr, size_t n, size_t *cap, size_t elem)
{
	if (r->err)
		return NULL;
	if (n == *cap) {
		size_t ncap = *cap ? 2 * *cap : 8;
		void *p = realloc(*arr, ncap * elem);

		if (!p) {
			r->err = -ENOMEM;
			return NULL;
		}
		*arr = p;
		*cap = ncap;
	}
	return (char *)*arr + n * elem;
}

static struct safemap_objcheck_finding *
finding(struct report *r, enum safemap_objcheck_kind kind, const char *map, uint32_t off,
	uint32_t len, uint64_t expected, uint64_t actual, const char *fmt, ...)
	SAFEMAP_PRINTF(8, 9);

/* Add a finding (bit range: the bytes'); returns it, or NULL once out of memory. */
static struct safemap_objcheck_finding *
vfinding(struct report *r, enum safemap_objcheck_kind kind, const char *map, uint32_t off,
	 uint32_t len, uint64_t expected, uint64_t actual, const char *fmt, va_list ap)
{
	struct safemap_objcheck_finding *f;
	char raw[512], msg[512];

	f = grow(r, (void **)&r->findings, r->pub.nfindings, &r->cap_findings, sizeof(*f));
	if (!f)
		return NULL;
	memset(f, 0, sizeof(*f));
	vsnprintf(raw, sizeof(raw), fmt, ap);
	safemap_escape_text(msg, sizeof(msg), raw, sizeof(raw)); /* names BTF types */
	f->kind = kind;
	f->map = keep(r, map);
	f->offset = off;
	f->len = len;
	f->expected = expected;
	f->actual = actual;
	f->message = keep(r, msg);
	f->bit_offset = off * 8;
	f->bits = len * 8;
	r->pub.nfindings++;
	r->pub.findings = r->findings;
	return f;
}

static struct safemap_objcheck_finding *
finding(struct report *r, enum safemap_objcheck_kind kind, const char *map, uint32_t off,
	uint32_t len, uint64_t expected, uint64_t actual, const char *fmt, ...)
{
	struct safemap_objcheck_finding *f;
	va_list ap;

	va_start(ap, fmt);
	f = vfinding(r, kind, map, off, len, expected, actual, fmt, ap);
	va_end(ap);
	return f;
}

struct hole_ctx {
	struct report *r;
	const char *map, *key_type;
};

static void on_hole(uint32_t bit, uint32_t bits, void *ctx)
{
	struct hole_ctx *h = ctx;
	uint32_t off = bit / 8, end = (bit + bits + 7) / 8; /* the bytes holding the hole */
	struct safemap_objcheck_finding *f;

	if (bit % 8 == 0 && bits % 8 == 0)
		f = finding(h->r, SAFEMAP_FIND_KEY_PADDING, h->map, off, end - off, 0, 0,
			    "map '%s' key '%s': padding hole at bytes %u..%u (%u byte%s): a lookup with uninitialised padding misses",
			    h->map, h->key_type, off, end - 1, end - off, end - off == 1 ? "" : "s");
	else
		f = finding(h->r, SAFEMAP_FIND_KEY_PADDING, h->map, off, end - off, 0, 0,
			    "map '%s' key '%s': padding hole at bits %u..%u (%u bit%s, in byte%s %u%s%.0u): a lookup with uninitialised padding misses",
			    h->map, h->key_type, bit, bit + bits - 1, bits, bits == 1 ? "" : "s",
			    end - off == 1 ? "" : "s", off, end - off == 1 ? "" : "..",
			    end - off == 1 ? 0 : end - 1);
	if (f) {
		f->bit_offset = bit;
		f->bits = bits;
	}
}

/* Map types whose keys are hashed or compared as bytes: a padding hole in
 * such a key makes lookups miss. (Arrays and the like are indexed by a u32.) */
static bool key_is_hashed(uint32_t type)
{
	switch (type) {
	case BPF_MAP_TYPE_HASH:
	case BPF_MAP_TYPE_PERCPU_HASH:
	case BPF_MAP_TYPE_LRU_HASH:
	case BPF_MAP_TYPE_LRU_PERCPU_HASH:
	case BPF_MAP_TYPE_LPM_TRIE:
	case BPF_MAP_TYPE_HASH_OF_MAPS:
	case BPF_MAP_TYPE_SOCKHASH:
		return true;
	default:
		return false;
	}
}

/* max_entries 0 that libbpf itself replaces when it creates the map (a
 * perf_event_array gets one slot per possible CPU); every other type with
 * 0 must have it set by the loader (bpf_map__set_max_entries()) or the
 * kernel refuses the map. */
static bool sized_at_load(uint32_t type, uint32_t max_entries)
{
	return !max_entries && type == BPF_MAP_TYPE_PERF_EVENT_ARRAY;
}

static void not_checked(struct report *r, const struct safemap_objcheck_map *m, const char *why)
{
	finding(r, SAFEMAP_FIND_NOT_CHECKED, m->name, 0, m->key_size, 0, 0,
		"map '%s' key%s%s%s (%u bytes): padding not checked: %s", m->name,
		*m->key_type ? " '" : "", m->key_type, *m->key_type ? "'" : "", m->key_size, why);
}

static void check_key(struct report *r, const struct safemap_objcheck_map *m,
		      const struct btf *btf, uint32_t kid)
{
	struct hole_ctx hc = { r, m->name, m->key_type };
	int n;

	if (!m->key_size)
		return;
	if (!btf || !kid) {
		if (key_is_hashed(m->map_type))
			not_checked(r, m, "it has no BTF type (key_size without __type(key, ...))");
		return;
	}
	n = safemap__btf_holes(btf, kid, on_hole, &hc);
	if (n == -EINVAL)
		not_checked(r, m, "its BTF type has no size (void, a forward declaration) or nests deeper than 16 levels");
	else if (n == -E2BIG)
		not_checked(r, m, "over the 1 MiB the checker walks");
	else if (n == -ELOOP)
		not_checked(r, m, "its BTF type is too complex to walk (overlapping members, huge nested arrays)");
	else if (n == -ENOMEM)
		r->err = -ENOMEM;
}

static void check_policy(struct report *r, const struct safemap_objcheck_map *m,
			 const struct safemap__policy_rule *rule)
{
	if (rule->has_type && rule->map_type != m->map_type) {
		const char *want = libbpf_bpf_map_type_str((enum bpf_map_type)rule->map_type);

		finding(r, SAFEMAP_FIND_MAP_TYPE, m->name, 0, 0, rule->map_type, m->map_type,
			"map '%s': type %s, the policy (line %u) wants %s", m->name, m->type_name,
			rule->line, want ? want : "?");
	}
	if (rule->has_key_size && rule->key_size != m->key_size)
		finding(r, SAFEMAP_FIND_KEY_SIZE, m->name, 0, 0, rule->key_size, m->key_size,
			"map '%s': key size %u, the policy (line %u) wants %u", m->name, m->key_size,
			rule->line, rule->key_size);
	if (rule->has_value_size && rule->value_size != m->value_size)
		finding(r, SAFEMAP_FIND_VALUE_SIZE, m->name, 0, 0, rule->value_size, m->value_size,
			"map '%s': value size %u, the policy (line %u) wants %u", m->name,
			m->value_size, rule->line, rule->value_size);
	if (rule->min_max_entries && m->max_entries < rule->min_max_entries &&
	    !m->max_entries_at_load)
		finding(r, SAFEMAP_FIND_MAX_ENTRIES, m->name, 0, 0, rule->min_max_entries,
			m->max_entries,
			"map '%s': max_entries %u is below the policy's minimum %u (line %u)%s", m->name,
			m->max_entries, rule->min_max_entries, rule->line,
			m->max_entries ? "" : ": 0 must be set by the loader before load");
}

/* Add map @p map (the inner map of @p outer when not NULL) to the report,
 * then its inner map if it is a map of maps. */
static void add_map(struct report *r, const struct bpf_map *map, const char *outer,
		    const struct btf *btf, struct safemap__policy *policy)
{
	struct safemap_objcheck_map *m;
	struct safemap__policy_rule *rule;
	uint32_t kid = bpf_map__btf_key_type_id(map), vid = bpf_map__btf_value_type_id(map);
	const struct bpf_map *inner = bpf_map__inner_map((struct bpf_map *)map);
	const char *tn;
	char buf[128];

	m = grow(r, (void **)&r->maps, r->pub.nmaps, &r->cap_maps, sizeof(*m));
	if (!m)
		return;
	memset(m, 0, sizeof(*m));
	m->name = keep(r, bpf_map__name(map));
	m->map_type = bpf_map__type(map);
	tn = libbpf_bpf_map_type_str((enum bpf_map_type)m->map_type);
	snprintf(buf, sizeof(buf), "%u", m->map_type);
	m->type_name = keep(r, tn ? tn : buf);
	m->key_size = bpf_map__key_size(map);
	m->value_size = bpf_map__value_size(map);
	m->max_entries = bpf_map__max_entries(map);
	m->map_flags = bpf_map__map_flags(map);
	m->key_type = keep(r, btf && kid ? safemap__btf_type_name(btf, kid, buf, sizeof(buf)) : "");
	m->value_type = keep(r, btf && vid ? safemap__btf_type_name(btf, vid, buf, sizeof(buf)) : "");
	m->inner_of = keep(r, outer ? outer : "");
	m->max_entries_at_load = sized_at_load(m->map_type, m->max_entries);
	r->pub.nmaps++;
	r->pub.maps = r->maps;
	m = &r->maps[r->pub.nmaps - 1];

	rule = policy ? safemap__policy_find(policy, m->name, m->map_type) : NULL;
	if (!(rule && rule->key_padding_ok))
		check_key(r, m, btf, kid);
	if (rule)
		check_policy(r, m, rule);
	if (inner && !outer)
		add_map(r, inner, bpf_map__name(map), btf, policy);
}

static const char *map_type_str(uint32_t type)
{
	const char *s = libbpf_bpf_map_type_str((enum bpf_map_type)type);

	return s ? s : "?";
}

/* libbpf's error @p err (negative; its own codes from 4000 too) as text. */
static const char *libbpf_errstr(int err, char *buf, size_t len)
{
	if (libbpf_strerror(err, buf, len))
		snprintf(buf, len, "error %d", -err);
	return buf;
}

static int check_object(const void *data, size_t size, const char *name,
			const struct safemap_objcheck_opts *o, struct safemap_objcheck **out)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .object_name = name);
	struct safemap__policy policy = { 0 };
	struct bpf_object *obj;
	char ebuf[128];
	int err;

	if (o->fix) /* issue 17: the fix is for objects to be loaded, safemap_objcheck_object() */
		return safemap__errorf(-EINVAL, "safemap_objcheck_file: opts.fix needs an object to load (safemap_objcheck_object())");
	if ((err = safemap__obj_validate(data, size, name)))
		return err;
	if ((err = safemap__objcheck_policy(o, &policy))) /* policy_path, or opts.policy */
		return err;
	obj = bpf_object__open_mem(data, size, &oo);
	if (!obj) {
		err = -errno;
		safemap__policy_free(&policy);
		return safemap__errorf(err == -ENOMEM ? err : -EINVAL,
				       "'%s' is not a BPF object file libbpf can open: %s", name,
				       libbpf_errstr(err, ebuf, sizeof(ebuf)));
	}
	err = safemap__objcheck_report(obj, name, o, &policy, out);
	bpf_object__close(obj);
	safemap__policy_free(&policy);
	return err;
}

int safemap_objcheck_mem(const void *data, size_t size, const char *name,
			 const struct safemap_objcheck_opts *user_opts, struct safemap_objcheck **out)
{
	struct safemap_objcheck_opts o;
	int err;

	if (!out)
		return safemap__errorf(-EINVAL, "safemap_objcheck_mem: NULL argument");
	*out = NULL;
	if (!data && size)
		return safemap__errorf(-EINVAL, "safemap_objcheck_mem: NULL data");
	err = safemap__opts_copy(&o, sizeof(o), user_opts, "safemap_objcheck_opts");
	if (err)
		return err;
	return check_object(data ? data : "", size, name && *name ? name : "(memory)", &o, out);
}

/* The whole of regular file @p path, read through one descriptor (so what
 * is checked is what was refused or accepted: no second open). A named
 * pipe, device or directory is refused by name, without blocking. */
static int read_object(const char *path, void **data, size_t *size)
{
	struct stat st;
	size_t got = 0;
	char *buf;
	int fd;

	/* stat first: a device is not even opened; fstat again after open */
	if (stat(path, &st))
		return safemap__errorf(-errno, "'%s': %s", path, strerror(errno));
	if (S_ISREG(st.st_mode)) {
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
		if (fd < 0)
			return safemap__errorf(-errno, "'%s': %s", path, strerror(errno));
		if (fstat(fd, &st)) {
			int err = errno;

			close(fd);
			return safemap__errorf(-err, "'%s': %s", path, strerror(err));
		}
		if (!S_ISREG(st.st_mode))
			close(fd);
	}
	if (!S_ISREG(st.st_mode))
		return safemap__errorf(-EINVAL, "'%s' is not a regular file (%s)", path,
				       S_ISDIR(st.st_mode) ? "a directory" :
				       S_ISFIFO(st.st_mode) ? "a named pipe" :
				       S_ISSOCK(st.st_mode) ? "a socket" : "a device");
	if ((uint64_t)st.st_size > SAFEMAP__OBJ_MAX) {
		close(fd);
		return safemap__errorf(-EFBIG, "'%s': %lld bytes, more than the %u MiB the checker reads",
				       path, (long long)st.st_size, SAFEMAP__OBJ_MAX >> 20);
	}
	buf = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!buf) {
		close(fd);
		return safemap__errorf(-ENOMEM, "'%s': out of memory", path);
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int err = n < 0 ? errno : EIO;

			free(buf);
			close(fd);
			return safemap__errorf(-err, "'%s': read: %s", path,
					       n < 0 ? strerror(err) : "the file shrank");
		}
		got += (size_t)n;
	}
	close(fd);
	*data = buf;
	*size = got;
	return 0;
}

int safemap_objcheck_file(const char *path, const struct safemap_objcheck_opts *user_opts,
			  struct safemap_objcheck **out)
{
	struct safemap_objcheck_opts o;
	void *data = NULL;
	size_t size = 0;
	int err;

	if (!path || !out)
		return safemap__errorf(-EINVAL, "safemap_objcheck_file: NULL argument");
	*out = NULL;
	err = safemap__opts_copy(&o, sizeof(o), user_opts, "safemap_objcheck_opts");
	if (err)
		return err;
	if ((err = read_object(path, &data, &size)))
		return err;
	err = check_object(data, size, path, &o, out);
	free(data);
	return err;
}

/* ---- shared with objcheck_object.c and pincheck.c (issue 17): the report
 * of one opened object, and findings added to it from outside this file ---- */

int safemap__objcheck_report(const struct bpf_object *obj, const char *path,
			     const struct safemap_objcheck_opts *o, struct safemap__policy *policy,
			     struct safemap_objcheck **out)
{
	struct bpf_map *map;
	struct report *r;
	size_t i;
	int err;

	r = calloc(1, sizeof(*r));
	if (!r)
		return safemap__errorf(-ENOMEM, "out of memory");
	r->pub.path = keep(r, path);
	bpf_object__for_each_map(map, obj) {
		if (bpf_map__is_internal(map)) /* .data, .rodata, .bss, .kconfig */
			continue;
		add_map(r, map, NULL, bpf_object__btf(obj), policy->n ? policy : NULL);
	}
	for (i = 0; i < policy->n; i++) {
		const struct safemap__policy_rule *rule = &policy->rules[i];

		if (!rule->seen && !rule->optional && safemap__policy_names_one(rule))
			finding(r, SAFEMAP_FIND_MISSING_MAP, rule->name, 0, 0, 0, 0,
				"map '%s'%s%s named by the policy (line %u) is not in the object",
				rule->name, rule->has_sel_type ? " of type " : "",
				rule->has_sel_type ? map_type_str(rule->sel_type) : "", rule->line);
	}
	/* issue 17: the fix (max_entries raised) and the check against pinned maps */
	err = r->err ? 0 : safemap__objcheck_gates(&r->pub, obj, o, policy);
	if (err || r->err) {
		safemap_objcheck_free(&r->pub);
		return err ? err : safemap__errorf(-ENOMEM, "'%s': out of memory", path);
	}
	*out = &r->pub;
	return 0;
}

void safemap__objcheck_finding(struct safemap_objcheck *pub, enum safemap_objcheck_kind kind,
			       const char *map, uint64_t expected, uint64_t actual,
			       const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfinding((struct report *)pub, kind, map, 0, 0, expected, actual, fmt, ap);
	va_end(ap);
}

const char *safemap__objcheck_keep(struct safemap_objcheck *pub, const char *s)
{
	return keep((struct report *)pub, s);
}

int safemap__objcheck_err(const struct safemap_objcheck *pub)
{
	return ((const struct report *)pub)->err;
}

static const char *const kind_names[] = {
	[SAFEMAP_FIND_KEY_PADDING] = "key_padding",
	[SAFEMAP_FIND_MAX_ENTRIES] = "max_entries",
	[SAFEMAP_FIND_KEY_SIZE] = "key_size",
	[SAFEMAP_FIND_VALUE_SIZE] = "value_size",
	[SAFEMAP_FIND_MAP_TYPE] = "map_type",
	[SAFEMAP_FIND_MISSING_MAP] = "missing_map",
	[SAFEMAP_FIND_NOT_CHECKED] = "not_checked",
	[SAFEMAP_FIND_FIXED] = "fixed",
	[SAFEMAP_FIND_PIN_REUSE] = "pin_reuse",
	[SAFEMAP_FIND_PIN_LAYOUT] = "pin_layout",
};

const char *safemap_objcheck_kind_name(enum safemap_objcheck_kind k)
{
	return (unsigned)k < sizeof(kind_names) / sizeof(kind_names[0]) && kind_names[k]
		       ? kind_names[k] : "unknown";
}

void safemap_objcheck_free(struct safemap_objcheck *pub)
{
	struct report *r = (struct report *)pub;
	size_t i;

	if (!r)
		return;
	for (i = 0; i < r->nstrs; i++)
		free(r->strs[i]);
	free(r->strs);
	free(r->maps);
	free(r->findings);
	free((void *)r->pub.pins); /* pincheck.c's array */
	free(r);
}
