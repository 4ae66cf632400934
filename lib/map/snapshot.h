/* SPDX-License-Identifier: BSD-2-Clause */
/* What code beside snapshot.c may see of a snapshot: its records, read-only
 * (saving one to a file, lib/map/persist_save.c). */
#ifndef SAFEMAP_LIB_MAP_SNAPSHOT_H
#define SAFEMAP_LIB_MAP_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

#include <safemap/map.h>

#include "../common/internal.h"

struct safemap__snap_view {
	const unsigned char *records; /* count records of stride bytes */
	size_t count;
	uint32_t stride;              /* key at 0, value at value_off */
	uint32_t key_size, value_size, value_off;
	const char *key_type;         /* the map's type names; "" = unnamed */
	const char *value_type;
};

SAFEMAP_HIDDEN void safemap__snap_view(const struct safemap_snap *snap,
				       struct safemap__snap_view *view);

#endif /* SAFEMAP_LIB_MAP_SNAPSHOT_H */
