/* SPDX-License-Identifier: BSD-2-Clause */
/* safemapctl maps [--type TYPE] [--warn RATIO] [--json]: every BPF map on
 * the system (or those named with --map/--pin) with type, key and value
 * size, max_entries, current entries and fill ratio, fullest first: the
 * first thing to run when an agent reports E2BIG.
 * Exit 0: listed; 1: a map is at or above --warn; 2: usage error, or the
 * maps cannot be listed (not root). */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "ctl_util.h"

static const char maps_usage[] =
	"usage: safemapctl maps [--map ID]... [--pin PATH]... [--type TYPE] [--warn RATIO] [--json]\n"
	"  List BPF maps (all on the system, or those named) with type, key and value\n"
	"  size, max_entries, current entries and fill ratio, fullest first (arrays\n"
	"  always count as full: after the other maps of the same fill).\n"
	"  --map ID       only the map with this kernel id (repeatable)\n"
	"  --pin PATH     only the map pinned at PATH (repeatable)\n"
	"  --type TYPE    only maps of this type (hash, array, lru_hash, ...)\n"
	"  --warn RATIO   exit 1 if a map that is not an array is at least RATIO full (0..1)\n"
	"  --json         one JSON object: {\"maps\":[...],\"count\":N}\n"
	"exit status: 0 listed, 1 a map reached --warn, 2 usage error or no access (needs root)\n";

struct row {
	struct ctl_fill f; /* first: ctl_by_fill() */
	struct safemap_bpf *h;
};

int cmd_maps(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "map", required_argument, NULL, 'm' },
		{ "pin", required_argument, NULL, 'p' },
		{ "type", required_argument, NULL, 't' },
		{ "warn", required_argument, NULL, 'w' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct ctl_targets ts;
	const char *type = NULL;
	double warn = -1;
	bool json = false;
	struct ctl_maps ms;
	struct row *rows;
	size_t i, n = 0, warned = 0;
	char tb[32];
	int c, err;

	optind = 1;
	while ((c = ctl_getopt("maps", argc, argv, longopts, &ts, maps_usage)) > 0) {
		switch (c) {
		case 't': type = optarg; break;
		case 'w':
			if (!ctl_parse_seconds(optarg, 1.0, &warn))
				return ctl_error("maps", "--warn: not a ratio between 0 and 1: '%s'",
						 optarg);
			break;
		case 'j': json = true; break;
		}
	}
	if (c < 0)
		return c == CTL_OPT_HELP ? CTL_OK : CTL_ERROR;
	err = ctl_open_maps("maps", &ts, &ms, false);
	if (err)
		return CTL_ERROR;
	rows = calloc(ms.n ? ms.n : 1, sizeof(*rows));
	if (!rows) {
		ctl_close_maps(&ms);
		return ctl_error("maps", "out of memory");
	}
	for (i = 0; i < ms.n; i++) {
		struct row *r = &rows[n];

		if (type && strcmp(type, ctl_map_type(safemap_bpf_type(ms.h[i]), tb, sizeof(tb))))
			continue;
		r->h = ms.h[i];
		ctl_fill_read(r->h, &r->f);
		if (warn >= 0 && r->f.counted && !r->f.array && r->f.max_entries &&
		    r->f.fill >= warn)
			warned++;
		n++;
	}
	qsort(rows, n, sizeof(*rows), ctl_by_fill);
	if (json) {
		printf("{\"maps\":[");
		for (i = 0; i < n; i++) {
			if (i)
				putchar(',');
			ctl_json_map(stdout, rows[i].h, rows[i].f.counted, rows[i].f.entries);
		}
		printf("],\"count\":%zu}\n", n);
	} else {
		printf("%8s  %-16s %-20s %5s %6s %10s %10s %7s\n", "ID", "NAME", "TYPE", "KEY",
		       "VALUE", "MAX", "ENTRIES", "FILL");
		for (i = 0; i < n; i++) {
			const struct row *r = &rows[i];
			char ent[24] = "-", fill[16] = "-", name[4 * 16 + 1];

			if (r->f.counted) {
				snprintf(ent, sizeof(ent), "%zu", r->f.entries);
				snprintf(fill, sizeof(fill), "%.1f%%", 100.0 * r->f.fill);
			}
			printf("%8u  %-16s %-20s %5u %6u %10u %10s %7s\n", safemap_bpf_id(r->h),
			       ctl_esc(name, sizeof(name), safemap_bpf_name(r->h)),
			       ctl_map_type(safemap_bpf_type(r->h), tb, sizeof(tb)),
			       safemap_bpf_key_size(r->h), safemap_bpf_value_size(r->h),
			       safemap_bpf_max_entries(r->h), ent, fill);
		}
		printf("%zu map%s", n, n == 1 ? "" : "s");
		if (warn >= 0)
			printf(", %zu at or above %.0f%% full", warned, 100.0 * warn);
		putchar('\n');
	}
	free(rows);
	ctl_close_maps(&ms);
	return warned ? CTL_FINDINGS : CTL_OK;
}
