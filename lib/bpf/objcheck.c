/* SPDX-License-Identifier: BSD-2-Clause */
/* The static checker: open a BPF object file without loading it, list its
 * maps, and find key padding holes and departures from a policy. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "objcheck_internal.h"
#include "policy.h"

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

static void finding(struct report *r, enum safemap_objcheck_kind kind, const char *map,
		    uint32_t off, uint32_t len, uint64_t expected, uint64_t actual,
		    const char *fmt, ...) SAFEMAP_PRINTF(8, 9);

static void vfinding(struct report *r, enum safemap_objcheck_kind kind, const char *map,
		     uint32_t off, uint32_t len, uint64_t expected, uint64_t actual,
		     const char *fmt, va_list ap)
{
	struct safemap_objcheck_finding *f;
	char msg[512];

	f = grow(r, (void **)&r->findings, r->pub.nfindings, &r->cap_findings, sizeof(*f));
	if (!f)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	f->kind = kind;
	f->map = keep(r, map);
	f->offset = off;
	f->len = len;
	f->expected = expected;
	f->actual = actual;
	f->message = keep(r, msg);
	r->pub.nfindings++;
	r->pub.findings = r->findings;
}

static void finding(struct report *r, enum safemap_objcheck_kind kind, const char *map,
		    uint32_t off, uint32_t len, uint64_t expected, uint64_t actual,
		    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfinding(r, kind, map, off, len, expected, actual, fmt, ap);
	va_end(ap);
}

struct hole_ctx {
	struct report *r;
	const char *map, *key_type;
};

static void on_hole(uint32_t off, uint32_t len, void *ctx)
{
	struct hole_ctx *h = ctx;

	finding(h->r, SAFEMAP_FIND_KEY_PADDING, h->map, off, len, 0, 0,
		"map '%s' key '%s': padding hole at bytes %u..%u (%u byte%s): a lookup with uninitialised padding misses",
		h->map, h->key_type, off, off + len - 1, len, len == 1 ? "" : "s");
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
	if (rule->min_max_entries && m->max_entries < rule->min_max_entries)
		finding(r, SAFEMAP_FIND_MAX_ENTRIES, m->name, 0, 0, rule->min_max_entries,
			m->max_entries,
			"map '%s': max_entries %u is below the policy's minimum %u (line %u)", m->name,
			m->max_entries, rule->min_max_entries, rule->line);
}

static void add_map(struct report *r, const struct bpf_map *map, const struct btf *btf,
		    struct safemap__policy *policy)
{
	struct safemap_objcheck_map *m;
	struct safemap__policy_rule *rule;
	uint32_t kid = bpf_map__btf_key_type_id(map), vid = bpf_map__btf_value_type_id(map);
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
	r->pub.nmaps++;
	r->pub.maps = r->maps;
	m = &r->maps[r->pub.nmaps - 1];

	rule = policy ? safemap__policy_find(policy, m->name) : NULL;
	if (btf && kid && !(rule && rule->key_padding_ok)) {
		struct hole_ctx hc = { r, m->name, m->key_type };

		safemap__btf_holes(btf, kid, on_hole, &hc);
	}
	if (rule)
		check_policy(r, m, rule);
}

/* Is @p path an ELF file for the BPF machine? Checked before libbpf sees
 * it, so that a wrong file is a clean error rather than libbpf's warning
 * on stderr. Returns 0, or -errno / -EINVAL with a detail message. */
static int check_elf(const char *path)
{
	unsigned char h[20];
	unsigned machine;
	size_t n;
	FILE *f = fopen(path, "re");

	if (!f)
		return safemap__errorf(-errno, "'%s': %s", path, strerror(errno));
	n = fread(h, 1, sizeof(h), f);
	fclose(f);
	if (n < sizeof(h) || memcmp(h, "\177ELF", 4))
		return safemap__errorf(-EINVAL, "'%s' is not a BPF object file (not ELF)", path);
	machine = h[5] == 2 ? (unsigned)h[18] << 8 | h[19] : (unsigned)h[19] << 8 | h[18];
	if (machine != 247 /* EM_BPF */)
		return safemap__errorf(-EINVAL,
				       "'%s' is not a BPF object file (ELF for machine %u, not BPF)",
				       path, machine);
	return 0;
}

int safemap_objcheck_file(const char *path, const struct safemap_objcheck_opts *user_opts,
			  struct safemap_objcheck **out)
{
	struct safemap_objcheck_opts o;
	struct safemap__policy policy = { 0 };
	struct bpf_object *obj;
	int err;

	if (!path || !out)
		return safemap__errorf(-EINVAL, "safemap_objcheck_file: NULL argument");
	*out = NULL;
	err = safemap__opts_copy(&o, sizeof(o), user_opts, "safemap_objcheck_opts");
	if (err)
		return err;
	if (o.fix) /* issue 17: the fix is for objects to be loaded, safemap_objcheck_object() */
		return safemap__errorf(-EINVAL, "safemap_objcheck_file: opts.fix needs an object to load (safemap_objcheck_object())");
	if ((err = check_elf(path)))
		return err;
	if ((err = safemap__objcheck_policy(&o, &policy))) /* policy_path, or opts.policy */
		return err;
	obj = bpf_object__open_file(path, NULL);
	if (!obj) {
		err = -errno;
		safemap__policy_free(&policy);
		return safemap__errorf(err == -ENOENT ? err : -EINVAL,
				       "'%s' is not a BPF object file libbpf can open: %s", path,
				       strerror(-err));
	}
	err = safemap__objcheck_report(obj, path, &o, &policy, out);
	bpf_object__close(obj);
	safemap__policy_free(&policy);
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
		add_map(r, map, bpf_object__btf(obj), policy->n ? policy : NULL);
	}
	for (i = 0; i < policy->n; i++) {
		const struct safemap__policy_rule *rule = &policy->rules[i];

		if (!rule->seen && !rule->optional && strcmp(rule->name, "*"))
			finding(r, SAFEMAP_FIND_MISSING_MAP, rule->name, 0, 0, 0, 0,
				"map '%s' named by the policy (line %u) is not in the object",
				rule->name, rule->line);
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
