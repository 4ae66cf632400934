/* SPDX-License-Identifier: BSD-2-Clause */
/* Helpers shared by the object checker's tests (test_objcheck*.c): findings
 * looked up in a report. */
#ifndef SAFEMAP_TESTS_OBJCHECK_TEST_H
#define SAFEMAP_TESTS_OBJCHECK_TEST_H

#include <string.h>

#include "bpftest.h"

/* How many findings of kind @p k the report has. */
static inline int oc_count(const struct safemap_objcheck *r, enum safemap_objcheck_kind k)
{
	size_t i;
	int n = 0;

	for (i = 0; i < r->nfindings; i++)
		n += r->findings[i].kind == k;
	return n;
}

/* The first finding of kind @p k (about map @p map; NULL: any map); the
 * test fails when there is none. */
static inline const struct safemap_objcheck_finding *
oc_finding(const struct safemap_objcheck *r, const char *map, enum safemap_objcheck_kind k)
{
	size_t i;

	for (i = 0; i < r->nfindings; i++)
		if (r->findings[i].kind == k && (!map || !strcmp(r->findings[i].map, map)))
			return &r->findings[i];
	ck_abort_msg("no finding %s for %s", safemap_objcheck_kind_name(k), map ? map : "any map");
	return NULL;
}

#endif
