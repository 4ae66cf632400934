/* SPDX-License-Identifier: BSD-2-Clause */
/* safemapctl: the command-line face of libsafemap. Subcommands live in
 * their own files (cmd_*.c) and are listed here. */
#include <stdio.h>
#include <string.h>

#include <safemap/safemap.h>

#include "cmd.h"
#include "ctl_util.h"

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
} cmds[] = {
	{ "check", cmd_check,
	  "check OBJ.bpf.o... [--policy FILE] [--pins DIR | --pins-own] [--json] [--verbose]\n"
	  "        list the maps of BPF object files (without loading them) and report\n"
	  "        key padding holes and departures from a policy; --pins: maps pinned\n"
	  "        under DIR by the same name that the object could not reuse, or would\n"
	  "        reuse with another key/value layout (root); exit 1 on findings" },
	{ "maps", cmd_maps,
	  "maps [--map ID]... [--pin PATH]... [--type TYPE] [--warn RATIO] [--json]\n"
	  "        every BPF map with type, key/value size, max_entries, entries and fill\n"
	  "        ratio, fullest first; exit 1 if a map reached --warn" },
	{ "top", cmd_top,
	  "top [--map ID]... [--pin PATH]... [--type TYPE] [--audit] [--interval S] [--once]\n"
	  "        a live view of BPF maps, fullest first: fill bars, entries/max_entries,\n"
	  "        with --audit E2BIG/s, illegal writes/s and lost reports/s; q quits" },
	{ "audit", cmd_audit,
	  "audit (--map ID | --pin PATH)... [--allow-pid PID]... [--allow-uid UID]... [--json]\n"
	  "        guard maps with the audit probe and print illegal writes until Ctrl-C;\n"
	  "        exit 1 if there were any" },
	{ "metrics", cmd_metrics,
	  "metrics [--map ID]... [--pin PATH]... [--audit] [--listen [ADDR:]PORT |\n"
	  "        --textfile PATH [--interval S]] [--json]\n"
	  "        Prometheus text exposition of BPF maps (and the audit probe): once on\n"
	  "        stdout, served on GET /metrics, or written atomically for node_exporter" },
	{ "snapshot", cmd_snapshot,
	  "snapshot inspect FILE [--json]\n"
	  "        header, entry count and CRC check of a file written by\n"
	  "        safemap_snapshot_save(); exit 1 if it is corrupt" },
};

static int usage(FILE *f, int status)
{
	size_t i;

	fprintf(f, "usage: safemapctl COMMAND [ARGS]   (libsafemap %s)\ncommands:\n",
		safemap_version());
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %s\n", cmds[i].help);
	fprintf(f, "safemapctl COMMAND --help describes each command.\n"
		   "exit status: 0 done, nothing found; 1 done, with findings; 2 usage error or\n"
		   "failure (BPF commands need root)\n");
	return status;
}

int main(int argc, char **argv)
{
	size_t i;

	if (argc < 2)
		return usage(stderr, CTL_ERROR);
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help"))
		return usage(stdout, CTL_OK);
	if (!strcmp(argv[1], "--version")) {
		printf("safemapctl (libsafemap) %s\n", safemap_version());
		return CTL_OK;
	}
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].fn(argc - 1, argv + 1);
	fputs("safemapctl: unknown command '", stderr);
	ctl_text(stderr, argv[1], SAFEMAP_ESCAPE_CSTR);
	fputs("'\n", stderr);
	return usage(stderr, CTL_ERROR);
}
