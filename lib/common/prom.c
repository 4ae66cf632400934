/* SPDX-License-Identifier: BSD-2-Clause */
/* Prometheus text exposition helpers (see prom.h). */
#include <stdarg.h>
#include <stdio.h>

#include <safemap/escape.h>

#include "prom.h"

void safemap__prom_put(struct safemap__prom *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(o->pos < o->len ? o->buf + o->pos : NULL,
		      o->pos < o->len ? o->len - o->pos : 0, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->pos += (size_t)n;
}

void safemap__prom_label(struct safemap__prom *o, const char *s)
{
	size_t n = safemap_escape_prom(o->pos < o->len ? o->buf + o->pos : NULL,
				       o->pos < o->len ? o->len - o->pos : 0, s, SAFEMAP_ESCAPE_CSTR);

	o->pos += n;
}

void safemap__prom_family(struct safemap__prom *o, const char *name, const char *type,
			  const char *help)
{
	safemap__prom_put(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}
