/* SPDX-License-Identifier: BSD-2-Clause */
/* safemapctl top: what the sampler (cmd_top.c), the view (top_view.c) and
 * the terminal handling (top_term.c) share. */
#ifndef SAFEMAPCTL_TOP_H
#define SAFEMAPCTL_TOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ctl_util.h"

/* One map in a frame. Text fields are escaped already (printable ASCII). */
struct top_row {
	struct ctl_fill f;      /* first: ctl_by_fill(); fill cut to 0..1 */
	char name[80];          /* escaped: \xNN for control bytes and non-ASCII */
	char type[32];
	bool audited;           /* guarded by this top's audit probe: rates below known */
	double e2big_rate;      /* writes refused with E2BIG, per second */
	double illegal_rate;    /* writes the policy does not allow, per second */
};

/* One frame: the rows (sorted by top_sort()) and the header's facts. */
struct top_frame {
	struct top_row *rows;
	size_t n;
	double interval;        /* seconds between samples */
	char clock[16];         /* HH:MM:SS of the sample */
	bool audit;             /* --audit: the audit columns and header line */
	uint64_t guarded, reports, lost;
	double illegal_rate, lost_rate;
	char error[256];        /* the last sampling error, "" if none */
};

/* Fullest first; uncounted last; arrays after other maps of equal fill; by id. */
void top_sort(struct top_frame *f);

/* Write @p f to @p out: with @p width > 0 every line is cut to @p width
 * columns, with @p height > 0 at most @p height lines (the rest summed up
 * as "... N more"). @p tty: each line ends by clearing the rest of the
 * terminal line, for a redraw in place. */
void top_render(FILE *out, const struct top_frame *f, int width, int height, bool tty);

/* Copy @p s into @p out (size @p len), escaping control bytes, DEL and
 * every non-ASCII byte as \xNN, so one byte is one column; cut to fit. */
void top_escape(const char *s, char *out, size_t len);

/* The terminal: raw keys (no echo, no line buffering; Ctrl-C still raises
 * SIGINT), the alternate screen, no cursor. top_term_enter() returns false
 * when stdout is not a terminal. top_term_leave() restores everything; it
 * is also registered with atexit() and is safe to call twice. */
bool top_term_enter(void);
void top_term_leave(void);
/* Columns and rows of the terminal on stdout; false if unknown. */
bool top_term_size(int *cols, int *rows);
/* True once after each SIGWINCH (the terminal was resized). */
bool top_term_resized(void);
/* A key pressed (stdin a terminal), or -1. */
int top_term_key(void);

#endif
