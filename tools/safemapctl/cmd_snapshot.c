/* SPDX-License-Identifier: BSD-2-Clause */
/* safemapctl snapshot inspect FILE [--json]: what a snapshot file written by
 * safemap_snapshot_save() holds, and whether every CRC holds
 * (safemap_snapshot_inspect()). Exit 0: valid; 1: corrupt; 2: usage error or
 * unreadable. Type names come from the file: printed escaped. */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <safemap/safemap.h>

#include "cmd.h"
#include "ctl_util.h"

static void print_text(const char *path, const struct safemap_snapshot_info *in, int err)
{
	printf("file:    ");
	ctl_json_str(stdout, path);
	printf("\nformat:  version %u, %s, %llu bytes\n", in->version,
	       in->flags & 1 ? "zlib-compressed blocks" : "uncompressed",
	       (unsigned long long)in->file_size);
	printf("key:     %u bytes, type ", in->key_size);
	ctl_json_str(stdout, in->key_type);
	printf("\nvalue:   %u bytes, type ", in->value_size);
	ctl_json_str(stdout, in->value_type);
	printf("\nentries: %llu in %llu block%s checked\n", (unsigned long long)in->count,
	       (unsigned long long)in->blocks, in->blocks == 1 ? "" : "s");
	if (!err) {
		printf("valid:   yes (every CRC holds)\n");
		return;
	}
	printf("valid:   no, at offset %llu: ", (unsigned long long)in->bad_offset);
	ctl_json_str(stdout, safemap_last_error());
	putchar('\n');
}

static void print_json(const char *path, const struct safemap_snapshot_info *in, int err)
{
	printf("{\"file\":");
	ctl_json_str(stdout, path);
	printf(",\"valid\":%s,\"version\":%u,\"compressed\":%s,\"size\":%llu,\"key_size\":%u,"
	       "\"value_size\":%u,\"key_type\":",
	       err ? "false" : "true", in->version, in->flags & 1 ? "true" : "false",
	       (unsigned long long)in->file_size, in->key_size, in->value_size);
	ctl_json_str(stdout, in->key_type);
	printf(",\"value_type\":");
	ctl_json_str(stdout, in->value_type);
	printf(",\"entries\":%llu,\"blocks\":%llu,\"error\":", (unsigned long long)in->count,
	       (unsigned long long)in->blocks);
	if (err) {
		ctl_json_str(stdout, safemap_last_error());
		printf(",\"bad_offset\":%llu}\n", (unsigned long long)in->bad_offset);
	} else {
		printf("null,\"bad_offset\":null}\n");
	}
}

static int usage(void)
{
	printf("usage: safemapctl snapshot inspect FILE [--json]\n"
		   "  print the header of a snapshot file written by safemap_snapshot_save()\n"
		   "  (format version, key and value sizes and type names, entry count) and\n"
		   "  check every block's CRC32, the file's CRC and the trailer\n"
		   "exit status: 0 valid; 1 corrupt; 2 usage error or unreadable file\n");
	return CTL_OK;
}

int cmd_snapshot(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct safemap_snapshot_info info;
	bool json = false;
	int c, err;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		if (c == 'j')
			json = true;
		else if (c == 'h')
			return usage();
		else
			return ctl_error("snapshot", "unknown option (see --help)");
	}
	if (argc - optind != 2 || strcmp(argv[optind], "inspect"))
		return ctl_error("snapshot", "usage: safemapctl snapshot inspect FILE [--json]");
	SAFEMAP_OPTS_INIT(&info);
	err = safemap_snapshot_inspect(argv[optind + 1], &info);
	if (err && err != -EBADMSG)
		return ctl_error("snapshot", "%s", safemap_last_error());
	if (json)
		print_json(argv[optind + 1], &info, err);
	else
		print_text(argv[optind + 1], &info, err);
	return err ? CTL_FINDINGS : CTL_OK;
}
