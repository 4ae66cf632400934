/* SPDX-License-Identifier: BSD-2-Clause */
/* Reading a snapshot file (persist_read.c): the whole file is read and
 * validated into memory before anyone uses an entry of it. Used by
 * safemap_load() (persist_load.c) and safemap_snapshot_inspect(). */
#ifndef SAFEMAP_LIB_MAP_PERSIST_H
#define SAFEMAP_LIB_MAP_PERSIST_H

#include <stddef.h>
#include <stdint.h>

#include "map_internal.h"

struct safemap__snapfile {
	struct safemap *m;            /* whose allocator (NULL: malloc) */
	unsigned char *buf;           /* the whole file */
	size_t size;
	unsigned char *raw;           /* compressed files: every record inflated */
	size_t raw_size;
	uint32_t version, flags, key_size, value_size, block_entries, rec;
	uint64_t count, blocks;       /* blocks: validated so far */
	uint64_t bad_offset;          /* where validation failed */
	char key_type[4096], value_type[4096];
	const unsigned char **block; /* block b's records (valid files) */
	size_t block_cap;
};

/* Read @p path and validate all of it. 0, or a negative errno with the
 * detail set (-EBADMSG: corrupt, bad_offset says where; -EINVAL: not a
 * regular file; -ENOMEM; open/read errors). Whatever it returns, release
 * with safemap__snapfile_free(). @p m: the allocator to use (NULL: malloc). */
SAFEMAP_HIDDEN int safemap__snapfile_read(const char *path, struct safemap *m,
					  struct safemap__snapfile *f);
SAFEMAP_HIDDEN void safemap__snapfile_free(struct safemap__snapfile *f);

/* Record @p i (key, then value) of a validated file. */
static inline const unsigned char *safemap__snapfile_rec(const struct safemap__snapfile *f,
							 uint64_t i)
{
	return f->block[i / f->block_entries] + (size_t)(i % f->block_entries) * f->rec;
}

#endif /* SAFEMAP_LIB_MAP_PERSIST_H */
