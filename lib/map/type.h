/* SPDX-License-Identifier: BSD-2-Clause */
/* The type descriptor's part of create and destroy (type.c). */
#ifndef SAFEMAP_LIB_MAP_TYPE_H
#define SAFEMAP_LIB_MAP_TYPE_H

#include "map_internal.h"

/* Check the options type.c owns (event_flags, high_watermark): 0 or -EINVAL. */
SAFEMAP_HIDDEN int safemap__type_check_opts(const struct safemap_opts *o);

/* Copy the type descriptor and the event options into @p m: 0, -EINVAL (bad
 * descriptor) or -ENOMEM (nothing left allocated). */
SAFEMAP_HIDDEN int safemap__type_init(struct safemap *m, const struct safemap_opts *o);

/* Free what safemap__type_init() allocated. */
SAFEMAP_HIDDEN void safemap__type_fini(struct safemap *m);

#endif /* SAFEMAP_LIB_MAP_TYPE_H */
