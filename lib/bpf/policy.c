/* SPDX-License-Identifier: BSD-2-Clause */
/* The static checker's policy file: one selector per line,
 *   [MAPTYPE:]NAME|GLOB  [type=T] [key_size=N] [value_size=N]
 *                        [min_max_entries=N] [key_padding=ok] [optional]
 * '#' starts a comment; blank lines are ignored. */
#include <ctype.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>

#include <bpf/libbpf.h>

#include "policy.h"

int safemap__map_type_parse(const char *name, uint32_t *type)
{
	char *end;
	unsigned long v;
	uint32_t t;

	for (t = 1; t < 256; t++) {
		const char *s = libbpf_bpf_map_type_str((enum bpf_map_type)t);

		if (s && !strcmp(s, name)) {
			*type = t;
			return 0;
		}
	}
	errno = 0;
	v = strtoul(name, &end, 0);
	if (!*name || *end || errno || v == 0 || v > 255)
		return -EINVAL;
	*type = (uint32_t)v;
	return 0;
}

static int parse_u32(const char *s, uint32_t *out)
{
	char *end;
	unsigned long long v;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (*end || errno || v > UINT32_MAX)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

/* One "key=value" (or bare word) of line @p r. */
static int parse_attr(struct safemap__policy_rule *r, char *word)
{
	char *eq = strchr(word, '=');
	const char *val = eq ? eq + 1 : "";

	if (eq)
		*eq = '\0';
	if (!strcmp(word, "optional") && !eq) {
		r->optional = true;
		return 0;
	}
	if (!eq)
		return -EINVAL;
	if (!strcmp(word, "type")) {
		r->has_type = true;
		return safemap__map_type_parse(val, &r->map_type);
	}
	if (!strcmp(word, "key_size")) {
		r->has_key_size = true;
		return parse_u32(val, &r->key_size);
	}
	if (!strcmp(word, "value_size")) {
		r->has_value_size = true;
		return parse_u32(val, &r->value_size);
	}
	if (!strcmp(word, "min_max_entries"))
		return parse_u32(val, &r->min_max_entries);
	if (!strcmp(word, "key_padding")) {
		if (strcmp(val, "ok") && strcmp(val, "error"))
			return -EINVAL;
		r->key_padding_ok = !strcmp(val, "ok");
		return 0;
	}
	return -EINVAL;
}

int safemap__policy_selector(struct safemap__policy_rule *r, const char *sel)
{
	const char *colon = strchr(sel, ':');

	r->has_sel_type = false;
	if (colon) {
		char type[64];

		if ((size_t)(colon - sel) >= sizeof(type))
			return -EINVAL;
		memcpy(type, sel, (size_t)(colon - sel));
		type[colon - sel] = '\0';
		if (safemap__map_type_parse(type, &r->sel_type) || !colon[1])
			return -EINVAL;
		r->has_sel_type = true;
		sel = colon + 1;
	}
	if (strlen(sel) >= sizeof(r->name))
		return -EINVAL;
	snprintf(r->name, sizeof(r->name), "%s", sel);
	r->glob = strpbrk(sel, "*?[") != NULL;
	return 0;
}

int safemap__policy_load(const char *path, struct safemap__policy *p)
{
	char line[1024];
	unsigned lineno = 0;
	size_t cap = 0;
	FILE *f;
	int err = 0;

	memset(p, 0, sizeof(*p));
	f = fopen(path, "re");
	if (!f)
		return safemap__errorf(-errno, "policy '%s': %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		struct safemap__policy_rule *r;
		char *save = NULL, *word, *hash = strchr(line, '#');

		lineno++;
		if (hash)
			*hash = '\0';
		word = strtok_r(line, " \t\r\n", &save);
		if (!word)
			continue;
		if (strlen(word) >= sizeof(r->name)) {
			err = safemap__errorf(-EINVAL, "policy %s:%u: map name too long", path, lineno);
			break;
		}
		if (p->n == cap) {
			size_t ncap = cap ? 2 * cap : 8;
			void *nr = realloc(p->rules, ncap * sizeof(*p->rules));

			if (!nr) {
				err = safemap__errorf(-ENOMEM, "policy %s: out of memory", path);
				break;
			}
			p->rules = nr;
			cap = ncap;
		}
		r = &p->rules[p->n++];
		memset(r, 0, sizeof(*r));
		r->line = lineno;
		if (safemap__policy_selector(r, word)) {
			err = safemap__errorf(-EINVAL,
					      "policy %s:%u: bad selector '%s' (expected NAME, GLOB, MAPTYPE:NAME or MAPTYPE:GLOB, e.g. perf_event_array:*)",
					      path, lineno, word);
			break;
		}
		while ((word = strtok_r(NULL, " \t\r\n", &save))) {
			char copy[256];

			snprintf(copy, sizeof(copy), "%s", word);
			if (parse_attr(r, copy)) {
				err = safemap__errorf(-EINVAL,
						      "policy %s:%u: bad attribute '%s' (expected type=T, key_size=N, value_size=N, min_max_entries=N, key_padding=ok|error or optional)",
						      path, lineno, word);
				break;
			}
		}
		if (err)
			break;
	}
	if (!err && ferror(f))
		err = safemap__errorf(-EIO, "policy '%s': read error", path);
	fclose(f);
	if (err)
		safemap__policy_free(p);
	return err;
}

void safemap__policy_free(struct safemap__policy *p)
{
	free(p->rules);
	p->rules = NULL;
	p->n = 0;
}

struct safemap__policy_rule *safemap__policy_find(struct safemap__policy *p, const char *name,
						  uint32_t type)
{
	struct safemap__policy_rule *star = NULL, *pattern = NULL;
	size_t i;

	for (i = 0; i < p->n; i++) {
		struct safemap__policy_rule *r = &p->rules[i];

		if (r->has_sel_type && r->sel_type != type)
			continue;
		if (!r->glob) {
			if (!strcmp(r->name, name)) {
				r->seen = true;
				return r;
			}
			continue;
		}
		if (!r->has_sel_type && !strcmp(r->name, "*")) {
			if (!star)
				star = r;
			continue;
		}
		if (!pattern && !fnmatch(r->name, name, 0))
			pattern = r;
	}
	return pattern ? pattern : star;
}
