/* SPDX-License-Identifier: BSD-2-Clause */
/* The static checker before load: safemap_objcheck_object() on an opened,
 * not yet loaded bpf_object (a skeleton's obj), policies built in code, and
 * opts.fix, which raises max_entries below the policy's minimum. */
#include <stdio.h>
#include <stdlib.h>

#include <bpf/libbpf.h>

#include "objcheck_internal.h"

struct safemap_objcheck_policy {
	struct safemap__policy p;
	size_t cap;
};

int safemap_objcheck_policy_new(struct safemap_objcheck_policy **out)
{
	if (!out)
		return safemap__errorf(-EINVAL, "safemap_objcheck_policy_new: NULL argument");
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : safemap__errorf(-ENOMEM, "out of memory");
}

int safemap_objcheck_policy_load(const char *path, struct safemap_objcheck_policy **out)
{
	struct safemap_objcheck_policy *p;
	int err;

	if (!path || !out)
		return safemap__errorf(-EINVAL, "safemap_objcheck_policy_load: NULL argument");
	*out = NULL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return safemap__errorf(-ENOMEM, "out of memory");
	err = safemap__policy_load(path, &p->p);
	if (err) {
		free(p);
		return err;
	}
	p->cap = p->p.n;
	*out = p;
	return 0;
}

int safemap_objcheck_policy_add(struct safemap_objcheck_policy *p,
				const struct safemap_objcheck_rule *user)
{
	struct safemap_objcheck_rule r;
	struct safemap__policy_rule *pr;
	int err;

	if (!p || !user)
		return safemap__errorf(-EINVAL, "safemap_objcheck_policy_add: NULL argument");
	err = safemap__opts_copy(&r, sizeof(r), user, "safemap_objcheck_rule");
	if (err)
		return err;
	if (!r.map || !*r.map || strlen(r.map) >= sizeof(pr->name))
		return safemap__errorf(-EINVAL, "safemap_objcheck_rule: map name %s",
				       r.map && *r.map ? "too long" : "missing");
	if (p->p.n == p->cap) {
		size_t cap = p->cap ? 2 * p->cap : 8;
		void *n = realloc(p->p.rules, cap * sizeof(*p->p.rules));

		if (!n)
			return safemap__errorf(-ENOMEM, "out of memory");
		p->p.rules = n;
		p->cap = cap;
	}
	pr = &p->p.rules[p->p.n];
	memset(pr, 0, sizeof(*pr));
	if (safemap__policy_selector(pr, r.map))
		return safemap__errorf(-EINVAL, "safemap_objcheck_rule: bad selector '%s'", r.map);
	pr->map_type = r.map_type;
	pr->has_type = r.map_type != 0;
	pr->key_size = r.key_size;
	pr->has_key_size = r.key_size != 0;
	pr->value_size = r.value_size;
	pr->has_value_size = r.value_size != 0;
	pr->min_max_entries = r.min_max_entries;
	pr->key_padding_ok = r.key_padding_ok;
	pr->optional = r.optional;
	pr->line = (unsigned)++p->p.n; /* "line N": the N-th rule */
	return 0;
}

void safemap_objcheck_policy_free(struct safemap_objcheck_policy *p)
{
	if (!p)
		return;
	safemap__policy_free(&p->p);
	free(p);
}

int safemap__objcheck_policy(const struct safemap_objcheck_opts *o, struct safemap__policy *p)
{
	const struct safemap__policy *src = o->policy ? &o->policy->p : NULL;

	memset(p, 0, sizeof(*p));
	if (o->policy_path && o->policy)
		return safemap__errorf(-EINVAL,
				       "safemap_objcheck_opts: policy_path and policy are both set");
	if (o->policy_path)
		return safemap__policy_load(o->policy_path, p);
	if (!src || !src->n)
		return 0;
	/* a copy: the checker marks the rules it used, and o->policy may be
	 * shared by concurrent checks */
	p->rules = malloc(src->n * sizeof(*p->rules));
	if (!p->rules)
		return safemap__errorf(-ENOMEM, "out of memory");
	memcpy(p->rules, src->rules, src->n * sizeof(*p->rules));
	p->n = src->n;
	for (size_t i = 0; i < p->n; i++)
		p->rules[i].seen = false;
	return 0;
}

/* Has libbpf created any map of @p obj (loaded, or a map fd reused)? */
static bool any_map_created(const struct bpf_object *obj)
{
	struct bpf_map *map;

	bpf_object__for_each_map(map, obj)
		if (bpf_map__fd(map) >= 0)
			return true;
	return false;
}

/* opts.fix: each max_entries finding becomes a 'fixed' one, its map raised
 * to the policy's minimum. */
static int fix_max_entries(struct safemap_objcheck *r, const struct bpf_object *obj,
			   struct safemap__policy *policy)
{
	/* the findings are the report's own (malloc'ed) array */
	struct safemap_objcheck_finding *f = (struct safemap_objcheck_finding *)r->findings;
	bool checked = false;
	size_t i;

	for (i = 0; i < r->nfindings; i++) {
		const struct safemap__policy_rule *rule;
		struct bpf_map *map;
		char msg[256];
		int err;

		if (f[i].kind != SAFEMAP_FIND_MAX_ENTRIES)
			continue;
		if (!checked && any_map_created(obj))
			return safemap__errorf(-EBUSY,
					       "'%s': cannot fix max_entries: the object is loaded already (fix before bpf_object__load())",
					       bpf_object__name(obj));
		checked = true;
		map = bpf_object__find_map_by_name(obj, f[i].map);
		if (!map || f[i].expected > UINT32_MAX)
			continue;
		err = bpf_map__set_max_entries(map, (uint32_t)f[i].expected);
		if (err)
			return safemap__errorf(err, "map '%s': bpf_map__set_max_entries(%llu): %s",
					       f[i].map, (unsigned long long)f[i].expected,
					       strerror(-err));
		rule = safemap__policy_find(policy, f[i].map, bpf_map__type(map));
		snprintf(msg, sizeof(msg),
			 "map '%s': max_entries %llu raised to %llu, the policy's minimum (line %u)",
			 f[i].map, (unsigned long long)f[i].actual, (unsigned long long)f[i].expected,
			 rule ? rule->line : 0);
		f[i].kind = SAFEMAP_FIND_FIXED;
		f[i].message = safemap__objcheck_keep(r, msg);
	}
	/* the map list shows the bounds the object has now */
	for (i = 0; i < r->nmaps; i++) {
		struct safemap_objcheck_map *m = (struct safemap_objcheck_map *)&r->maps[i];
		struct bpf_map *map = bpf_object__find_map_by_name(obj, m->name);

		if (map)
			m->max_entries = bpf_map__max_entries(map);
	}
	return 0;
}

int safemap__objcheck_gates(struct safemap_objcheck *r, const struct bpf_object *obj,
			    const struct safemap_objcheck_opts *o, struct safemap__policy *policy)
{
	int err;

	if (o->fix && (err = fix_max_entries(r, obj, policy)))
		return err;
	if (o->pins_dir || o->pins_own)
		return safemap__pincheck(r, obj, o);
	return 0;
}

int safemap_objcheck_object(const struct bpf_object *obj, const struct safemap_objcheck_opts *user,
			    struct safemap_objcheck **out)
{
	struct safemap_objcheck_opts o;
	struct safemap__policy policy;
	const char *name;
	int err;

	if (!obj || !out)
		return safemap__errorf(-EINVAL, "safemap_objcheck_object: NULL argument");
	*out = NULL;
	err = safemap__opts_copy(&o, sizeof(o), user, "safemap_objcheck_opts");
	if (err)
		return err;
	err = safemap__objcheck_policy(&o, &policy);
	if (err)
		return err;
	name = bpf_object__name(obj);
	err = safemap__objcheck_report(obj, name ? name : "(bpf_object)", &o, &policy, out);
	safemap__policy_free(&policy);
	return err;
}
