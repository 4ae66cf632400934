/* SPDX-License-Identifier: BSD-2-Clause */
/* safemapctl check OBJ.bpf.o... [--policy FILE] [--pins DIR | --pins-own]
 * [--json] [--verbose]: the static checker over BPF object files (safemap_objcheck_file()),
 * as text or JSON; with --pins, each map also against the map pinned at
 * DIR/NAME (--pins-own: at the object's own pin paths), before a deploy.
 * Exit 0: no findings; 1: findings; 2: usage error or an unreadable object. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <bpf/libbpf.h>

#include <safemap/safemap.h>

#include "cmd.h"
#include "ctl_util.h"

/* Names, paths and messages come from the object: escaped (ctl_util.h). */
static void json_str(const char *s)
{
	ctl_json_str(stdout, s);
}

/* --pins: one line per map compared with a pinned map (issue 17). */
static void print_pins_text(const struct safemap_objcheck *r)
{
	char e[4 * 256 + 1];
	size_t i;

	for (i = 0; i < r->npins; i++) {
		const struct safemap_objcheck_pin *p = &r->pins[i];

		printf("  pinned %-9s ", ctl_esc(e, sizeof(e), p->map));
		ctl_text(stdout, p->path, SAFEMAP_ESCAPE_CSTR); /* pin paths: outside strings */
		printf(": ");
		if (!p->id)
			printf("nothing pinned (libbpf would create the map)\n");
		else if (p->nfindings)
			printf("id %u, %zu finding%s\n", p->id, p->nfindings,
			       p->nfindings == 1 ? "" : "s");
		else
			printf("id %u, reusable: %s\n", p->id,
			       p->btf ? "sizes, flags and key/value layouts match"
				      : "sizes and flags match (no BTF to compare the layouts)");
	}
}

static void print_pins_json(const struct safemap_objcheck *r)
{
	size_t i;

	printf(",\"pins\":[");
	for (i = 0; i < r->npins; i++) {
		const struct safemap_objcheck_pin *p = &r->pins[i];

		printf("%s{\"map\":", i ? "," : "");
		json_str(p->map);
		printf(",\"path\":");
		json_str(p->path);
		printf(",\"id\":%u,\"btf\":%s,\"findings\":%zu}", p->id, p->btf ? "true" : "false",
		       p->nfindings);
	}
	putchar(']');
}

static void print_text(const struct safemap_objcheck *r)
{
	char e1[4 * 256 + 1], e2[4 * 256 + 1], e3[4 * 256 + 1];
	size_t i;

	ctl_text(stdout, r->path, SAFEMAP_ESCAPE_CSTR);
	printf(": %zu map%s\n", r->nmaps, r->nmaps == 1 ? "" : "s");
	for (i = 0; i < r->nmaps; i++) {
		const struct safemap_objcheck_map *m = &r->maps[i];

		printf("  %-16s %-14s key %4u %-24s value %5u %-24s max_entries %u",
		       ctl_esc(e1, sizeof(e1), m->name), m->type_name, m->key_size,
		       *m->key_type ? ctl_esc(e2, sizeof(e2), m->key_type) : "(no BTF)",
		       m->value_size,
		       *m->value_type ? ctl_esc(e3, sizeof(e3), m->value_type) : "(no BTF)",
		       m->max_entries);
		if (m->max_entries_at_load)
			printf(" (set at load: possible CPUs)");
		if (*m->inner_of)
			printf(" (inner map of '%s')", ctl_esc(e1, sizeof(e1), m->inner_of));
		if (m->map_flags)
			printf(" flags 0x%x", m->map_flags);
		putchar('\n');
	}
	print_pins_text(r);
	for (i = 0; i < r->nfindings; i++) {
		printf("  finding %s: ", safemap_objcheck_kind_name(r->findings[i].kind));
		ctl_text(stdout, r->findings[i].message, SAFEMAP_ESCAPE_CSTR);
		putchar('\n');
	}
	ctl_text(stdout, r->path, SAFEMAP_ESCAPE_CSTR);
	printf(": %zu finding%s\n", r->nfindings, r->nfindings == 1 ? "" : "s");
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
	putchar(']');
	if (r->npins)
		print_pins_json(r);
	printf(",\"findings\":[");
	for (i = 0; i < r->nfindings; i++) {
		const struct safemap_objcheck_finding *f = &r->findings[i];

		printf("%s{\"kind\":\"%s\",\"map\":", i ? "," : "",
		       safemap_objcheck_kind_name(f->kind));
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

/* libbpf's own messages (already prefixed "libbpf: "; names from the
 * object in them escaped): with --verbose its warnings and info (twice:
 * debug too) go to stderr; without, only the last warning is kept, to end
 * the one-line error of an object libbpf refused. */
static int verbose;
static char last_warning[256];

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char line[1024];
	const char *s = line;
	size_t n;

	if (level == LIBBPF_DEBUG && verbose < 2)
		return 0;
	if (!verbose && level != LIBBPF_WARN)
		return 0;
	vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	while (n && (line[n - 1] == '\n' || (!verbose && line[n - 1] == '.')))
		line[--n] = '\0';
	if (!strncmp(s, "libbpf: ", 8))
		s += 8;
	if (!verbose) {
		size_t len = strlen(s) < sizeof(last_warning) ? strlen(s) : sizeof(last_warning) - 1;

		memcpy(last_warning, s, len);
		last_warning[len] = '\0';
		return 0;
	}
	fputs("libbpf: ", stderr);
	ctl_text(stderr, s, sizeof(line));
	fputc('\n', stderr);
	return 0;
}

int cmd_check(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "policy", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ "pins", required_argument, NULL, 'P' },
		{ "pins-own", no_argument, NULL, 'O' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *policy = NULL, *pins = NULL;
	bool json = false, pins_own = false;
	size_t findings = 0, printed = 0;
	int c, i, status = CTL_OK;

	optind = 1;
	verbose = 0;
	while ((c = getopt_long(argc, argv, "p:jvh", longopts, NULL)) != -1) {
		switch (c) {
		case 'p': policy = optarg; break;
		case 'j': json = true; break;
		case 'P': pins = optarg; break;
		case 'O': pins_own = true; break;
		case 'v': verbose++; break;
		case 'h':
			printf("usage: safemapctl check OBJ.bpf.o... [--policy FILE] [--pins DIR | --pins-own] [--json] [--verbose]\n");
			return CTL_OK;
		default:
			return CTL_ERROR;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "usage: safemapctl check OBJ.bpf.o... [--policy FILE] [--pins DIR | --pins-own] [--json] [--verbose]\n");
		return CTL_ERROR;
	}
	libbpf_set_print(libbpf_print);
	if (json)
		printf("{\"objects\":[");
	for (i = optind; i < argc; i++) {
		SAFEMAP_OPTS(safemap_objcheck_opts, o, .policy_path = policy, .pins_dir = pins,
			     .pins_own = pins_own);
		struct safemap_objcheck *r = NULL;
		char e[sizeof(last_warning) * 4];
		int err;

		last_warning[0] = '\0';
		err = safemap_objcheck_file(argv[i], &o, &r);
		if (err) {
			if (last_warning[0] && strstr(safemap_last_error(), "libbpf can open"))
				fprintf(stderr, "safemapctl check: %s (libbpf: %s)\n",
					safemap_last_error(), ctl_esc(e, sizeof(e), last_warning));
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
