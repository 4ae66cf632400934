/* SPDX-License-Identifier: BSD-2-Clause */
/* safemapctl top: one frame as text. Every line is built whole, then cut to
 * the terminal's width, so a narrow terminal never wraps (names are escaped
 * to printable ASCII before: one byte, one column). */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "top.h"

#define TOP_BAR_MIN 10
#define TOP_BAR_MAX 40
#define TOP_BAR_PLAIN 20

void top_escape(const char *s, char *out, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	if (!len)
		return;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c >= 0x20 && c < 0x7f) {
			if (o + 1 >= len)
				break;
			out[o++] = (char)c;
		} else {
			if (o + 4 >= len)
				break;
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = '\0';
}

void top_sort(struct top_frame *f)
{
	if (f->n)
		qsort(f->rows, f->n, sizeof(*f->rows), ctl_by_fill);
}

struct out {
	FILE *f;
	int width, height, lines;
	bool tty;
};

/* One line, cut to the width; false once the height is reached. */
static bool line(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool line(struct out *o, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	size_t n;

	if (o->height > 0 && o->lines >= o->height)
		return false;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	n = strlen(buf);
	if (o->width > 0 && n > (size_t)o->width)
		n = (size_t)o->width;
	fwrite(buf, 1, n, o->f);
	fputs(o->tty ? "\033[K\n" : "\n", o->f);
	o->lines++;
	return true;
}

static void rate(char *buf, size_t len, bool known, double r)
{
	if (!known)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.1f", r);
}

/* fixed columns of a row, without the bar: see the row format below */
#define TOP_FIXED 77
#define TOP_FIXED_AUDIT 10

void top_render(FILE *out, const struct top_frame *f, int width, int height, bool tty)
{
	struct out o = { out, width, height, 0, tty };
	int bw = TOP_BAR_PLAIN, fixed = TOP_FIXED + (f->audit ? TOP_FIXED_AUDIT : 0);
	char bar[TOP_BAR_MAX + 1], ent[32], pct[16], e2big[16], illegal[16], icol[24];
	size_t i, shown = 0;

	if (width > 0) {
		bw = width - fixed;
		bw = bw < TOP_BAR_MIN ? TOP_BAR_MIN : bw > TOP_BAR_MAX ? TOP_BAR_MAX : bw;
	}
	line(&o, "safemapctl top - %zu map%s, every %g s, %s%s", f->n, f->n == 1 ? "" : "s",
	     f->interval, f->clock, tty ? "   (q quits)" : "");
	if (f->audit)
		line(&o, "audit: %llu map%s guarded, illegal writes %.1f/s (total %llu), "
			 "lost reports %.1f/s (total %llu)",
		     (unsigned long long)f->guarded, f->guarded == 1 ? "" : "s", f->illegal_rate,
		     (unsigned long long)f->reports, f->lost_rate, (unsigned long long)f->lost);
	if (*f->error)
		line(&o, "error: %s", f->error);
	line(&o, "%8s  %-16s %-14s %-*s %6s %15s %9s%s", "ID", "NAME", "TYPE", bw + 2, "FILL", "",
	     "ENTRIES/MAX", "E2BIG/s", f->audit ? " ILLEGAL/s" : "");
	for (i = 0; i < f->n; i++) {
		const struct top_row *r = &f->rows[i];
		int k, full = 0;

		/* room for the "... N more" line */
		if (height > 0 && o.lines + 1 >= height && i + 1 < f->n)
			break;
		if (r->f.counted)
			full = (int)(r->f.fill * bw + 0.5);
		full = full > bw ? bw : full;
		for (k = 0; k < bw; k++)
			bar[k] = k < full ? '#' : '.';
		bar[bw] = '\0';
		if (r->f.counted) {
			snprintf(ent, sizeof(ent), "%zu/%u", r->f.entries, r->f.max_entries);
			snprintf(pct, sizeof(pct), "%.1f%%", 100.0 * r->f.fill);
		} else {
			snprintf(ent, sizeof(ent), "-/%u", r->f.max_entries);
			snprintf(pct, sizeof(pct), "-");
		}
		rate(e2big, sizeof(e2big), r->audited, r->e2big_rate);
		rate(illegal, sizeof(illegal), r->audited, r->illegal_rate);
		icol[0] = '\0';
		if (f->audit)
			snprintf(icol, sizeof(icol), " %9s", illegal);
		if (!line(&o, "%8u  %-16.16s %-14.14s [%s] %6s %15s %9s%s", r->f.id, r->name, r->type,
			  bar, pct, ent, e2big, icol))
			break;
		shown++;
	}
	if (shown < f->n)
		line(&o, "... %zu more", f->n - shown);
	if (!f->n)
		line(&o, "(no BPF maps)");
}
