/* SPDX-License-Identifier: BSD-2-Clause */
/* safemapctl: what the maps, metrics and audit subcommands share. */
#ifndef SAFEMAPCTL_UTIL_H
#define SAFEMAPCTL_UTIL_H

#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <safemap/safemap.h>

/* Set by SIGINT/SIGTERM once ctl_catch_signals() ran. */
extern volatile sig_atomic_t ctl_stop;

/* Catch SIGINT and SIGTERM without SA_RESTART (waits return EINTR). */
void ctl_catch_signals(void);

/* Print "safemapctl CMD: MESSAGE" on stderr (one line); returns CTL_ERROR. */
int ctl_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Parse a whole decimal number in [min, max]; false when it is not one. */
bool ctl_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);
/* Parse seconds (a decimal fraction) in [0, max]. */
bool ctl_parse_seconds(const char *s, double max, double *out);

/* Outside strings (map, process and BTF names, paths, arguments) are
 * printed only through these (safemap/escape.h). */

/* JSON string literal of @p s (up to its NUL or @p n bytes) on @p f:
 * always valid UTF-8, controls as \u00NN, invalid bytes as \\xNN. */
void ctl_json_str(FILE *f, const char *s);
void ctl_json_strn(FILE *f, const char *s, size_t n);
/* @p s (up to its NUL or @p n bytes) as text on @p f: controls, DEL and
 * invalid UTF-8 as \xNN. */
void ctl_text(FILE *f, const char *s, size_t n);
/* @p s text-escaped into @p buf (cut at a whole unit); returns @p buf, for
 * a printf %s. */
const char *ctl_esc(char *buf, size_t len, const char *s);

/* Maps named on the command line (--map ID, --pin PATH), in order. */
struct ctl_targets {
	size_t n;
	struct { uint32_t id; const char *pin; } t[64];
};

/* The options of a subcommand @p cmd that works on maps: getopt_long()
 * over @p longopts (short: -h only), handling what these subcommands share:
 * --map ID and --pin PATH ('m', 'p': added to @p ts), --help ('h': prints
 * @p usage), a bad option and an argument that is not an option (errors
 * printed). Set optind = 1 before the first call. Returns the next other
 * option; CTL_OPT_DONE once all are read; CTL_OPT_HELP (exit CTL_OK) or
 * CTL_OPT_ERROR (exit CTL_ERROR). */
#define CTL_OPT_DONE 0
#define CTL_OPT_HELP (-1)
#define CTL_OPT_ERROR (-2)
int ctl_getopt(const char *cmd, int argc, char **argv, const struct option *longopts,
	       struct ctl_targets *ts, const char *usage);

/* Open handles: the targets', or (no targets) every map on the system.
 * Maps that vanish while listed are skipped; a target that cannot be opened
 * is an error (message printed unless @p quiet). Release with ctl_close_maps(). */
struct ctl_maps {
	size_t n, cap;
	struct safemap_bpf **h;
};
int ctl_open_maps(const char *cmd, const struct ctl_targets *ts, struct ctl_maps *out, bool quiet);
void ctl_close_maps(struct ctl_maps *ms);

/* libbpf's name of a map type ("hash"), or "type_N". Static or @p buf. */
const char *ctl_map_type(uint32_t type, char *buf, size_t len);

/* How full a map is, as maps and top list and sort it. */
struct ctl_fill {
	uint32_t id;
	uint32_t max_entries;
	size_t entries;
	bool counted;           /* entries known (not a ring buffer, ...) */
	bool array;             /* arrays are always full: sorted after the others */
	double fill;            /* entries / max_entries; 0 when not counted */
};
/* Count the entries of @p h (safemap_bpf_count()) into @p f. */
void ctl_fill_read(struct safemap_bpf *h, struct ctl_fill *f);
/* qsort() order of rows whose first member is a struct ctl_fill: fullest
 * first; uncounted last; arrays after other maps of equal fill; by id. */
int ctl_by_fill(const void *a, const void *b);

/* One map as a JSON object (entries and fill null when @p counted is false). */
void ctl_json_map(FILE *f, const struct safemap_bpf *h, bool counted, size_t entries);

/* Print an event (audit report, lost count) as one line of text or JSON. */
void ctl_print_event(const struct safemap_event *ev, bool json);

/* Is the kernel letting us list BPF maps? 0, or a negative errno with a
 * message printed ("needs root"). */
int ctl_check_privileges(const char *cmd);

#endif
