/* SPDX-License-Identifier: BSD-2-Clause */
/* safemapctl check OBJ.bpf.o... [--policy FILE] [--json] [--verbose]: the static
 * checker over BPF object files (safemap_objcheck_file()), as text or JSON.
 * Exit 0: no findings; 1: findings; 2: usage error or an unreadable object. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <bpf/libbpf.h>

#include <safemap/safemap.h>

#include "cmd.h"

static const char *kind_name(enum safemap_objcheck_kind k)
{
	switch (k) {
	case SAFEMAP_FIND_KEY_PADDING: return "key_padding";
	case SAFEMAP_FIND_MAX_ENTRIES: return "max_entries";
	case SAFEMAP_FIND_KEY_SIZE: return "key_size";
	case SAFEMAP_FIND_VALUE_SIZE: return "value_size";
	case SAFEMAP_FIND_MAP_TYPE: return "map_type";
	case SAFEMAP_FIND_MISSING_MAP: return "missing_map";
	case SAFEMAP_FIND_NOT_CHECKED: return "not_checked";
	}
	return "unknown";
}

static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static void print_text(const struct safemap_objcheck *r)
{
	size_t i;

	printf("%s: %zu map%s\n", r->path, r->nmaps, r->nmaps == 1 ? "" : "s");
	for (i = 0; i < r->nmaps; i++) {
		const struct safemap_objcheck_map *m = &r->maps[i];

		printf("  %-16s %-14s key %4u %-24s value %5u %-24s max_entries %u",
		       m->name, m->type_name, m->key_size, *m->key_type ? m->key_type : "(no BTF)",
		       m->value_size, *m->value_type ? m->value_type : "(no BTF)", m->max_entries);
		if (m->max_entries_at_load)
			printf(" (set at load: possible CPUs)");
		if (*m->inner_of)
			printf(" (inner map of '%s')", m->inner_of);
		if (m->map_flags)
			printf(" flags 0x%x", m->map_flags);
		putchar('\n');
	}
	for (i = 0; i < r->nfindings; i++)
		printf("  finding %s: %s\n", kind_name(r->findings[i].kind), r->findings[i].message);
	printf("%s: %zu finding%s\n", r->path, r->nfindings, r->nfindings == 1 ? "" : "s");
}

static void print_json(const struct safemap_objcheck *r)
{
	size_t i;

	printf("{\"path\":");
	json_str(r->path);
	printf(",\"maps\":[");
	for (i = 0; i < r->nmaps; i++) {
		const struct safemap_objcheck_map *m = &r->maps[i];

		printf("%s{\"name\":", i ? "," : "");
		json_str(m->name);
		printf(",\"type\":");
		json_str(m->type_name);
		printf(",\"key_size\":%u,\"value_size\":%u,\"max_entries\":%u,\"map_flags\":%u,"
		       "\"key_type\":",
		       m->key_size, m->value_size, m->max_entries, m->map_flags);
		json_str(m->key_type);
		printf(",\"value_type\":");
		json_str(m->value_type);
		printf(",\"inner_of\":");
		json_str(m->inner_of);
		printf(",\"max_entries_at_load\":%s}", m->max_entries_at_load ? "true" : "false");
	}
	printf("],\"findings\":[");
	for (i = 0; i < r->nfindings; i++) {
		const struct safemap_objcheck_finding *f = &r->findings[i];

		printf("%s{\"kind\":\"%s\",\"map\":", i ? "," : "", kind_name(f->kind));
		json_str(f->map);
		printf(",\"offset\":%u,\"len\":%u,\"expected\":%llu,\"actual\":%llu,"
		       "\"bit_offset\":%u,\"bits\":%u,\"message\":",
		       f->offset, f->len, (unsigned long long)f->expected,
		       (unsigned long long)f->actual, f->bit_offset, f->bits);
		json_str(f->message);
		putchar('}');
	}
	printf("]}");
}

/* libbpf's own messages (already prefixed "libbpf: "): with --verbose its
 * warnings and info (twice: debug too) go to stderr as they are; without,
 * only the last warning is kept, to end the one-line error of an object
 * libbpf refused. */
static int verbose;
static char last_warning[256];

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char line[sizeof(last_warning)];
	const char *s = line;
	size_t n;

	if (level == LIBBPF_DEBUG && verbose < 2)
		return 0;
	if (verbose)
		return vfprintf(stderr, fmt, ap);
	if (level != LIBBPF_WARN)
		return 0;
	vsnprintf(line, sizeof(line), fmt, ap);
	if (!strncmp(s, "libbpf: ", 8))
		s += 8;
	snprintf(last_warning, sizeof(last_warning), "%s", s);
	n = strlen(last_warning);
	while (n && (last_warning[n - 1] == '\n' || last_warning[n - 1] == '.'))
		last_warning[--n] = '\0';
	return 0;
}

int cmd_check(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "policy", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *policy = NULL;
	bool json = false;
	size_t findings = 0, printed = 0;
	int c, i, status = CTL_OK;

	optind = 1;
	verbose = 0;
	while ((c = getopt_long(argc, argv, "p:jvh", longopts, NULL)) != -1) {
		switch (c) {
		case 'p': policy = optarg; break;
		case 'j': json = true; break;
		case 'v': verbose++; break;
		case 'h':
			printf("usage: safemapctl check OBJ.bpf.o... [--policy FILE] [--json] [--verbose]\n");
			return CTL_OK;
		default:
			return CTL_ERROR;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "usage: safemapctl check OBJ.bpf.o... [--policy FILE] [--json] [--verbose]\n");
		return CTL_ERROR;
	}
	libbpf_set_print(libbpf_print);
	if (json)
		printf("{\"objects\":[");
	for (i = optind; i < argc; i++) {
		SAFEMAP_OPTS(safemap_objcheck_opts, o, .policy_path = policy);
		struct safemap_objcheck *r = NULL;
		int err;

		last_warning[0] = '\0';
		err = safemap_objcheck_file(argv[i], &o, &r);
		if (err) {
			if (last_warning[0] && strstr(safemap_last_error(), "libbpf can open"))
				fprintf(stderr, "safemapctl check: %s (libbpf: %s)\n",
					safemap_last_error(), last_warning);
			else
				fprintf(stderr, "safemapctl check: %s\n", safemap_last_error());
			status = CTL_ERROR;
			continue;
		}
		if (json) {
			if (printed++)
				putchar(',');
			print_json(r);
		} else {
			print_text(r);
		}
		findings += r->nfindings;
		safemap_objcheck_free(r);
	}
	if (json)
		printf("],\"findings\":%zu}\n", findings);
	if (status == CTL_OK && findings)
		status = CTL_FINDINGS;
	return status;
}
