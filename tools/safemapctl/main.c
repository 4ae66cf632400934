/* SPDX-License-Identifier: BSD-2-Clause */
/* safemapctl: the command-line face of libsafemap. Subcommands live in
 * their own files (cmd_*.c) and are listed here. */
#include <stdio.h>
#include <string.h>

#include <safemap/safemap.h>

#include "cmd.h"

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
} cmds[] = {
	{ "check", cmd_check,
	  "check OBJ.bpf.o... [--policy FILE] [--json]\n"
	  "        list the maps of BPF object files (without loading them) and report\n"
	  "        key padding holes and departures from a policy; exit 1 on findings" },
};

static int usage(FILE *f, int status)
{
	size_t i;

	fprintf(f, "usage: safemapctl COMMAND [ARGS]   (libsafemap %s)\ncommands:\n",
		safemap_version());
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %s\n", cmds[i].help);
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
	fprintf(stderr, "safemapctl: unknown command '%s'\n", argv[1]);
	return usage(stderr, CTL_ERROR);
}
