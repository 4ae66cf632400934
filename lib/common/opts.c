/* SPDX-License-Identifier: BSD-2-Clause */
/* Extensible options structs, the libbpf way: size_t sz first. */
#include "internal.h"

int safemap__opts_copy(void *dst, size_t dst_size, const void *src, const char *what)
{
	const unsigned char *p = src;
	size_t sz, i;

	memset(dst, 0, dst_size);
	if (!src)
		return 0;
	memcpy(&sz, src, sizeof(sz));
	if (sz < sizeof(size_t))
		return safemap__errorf(-EINVAL, "%s: sz %zu is too small (did you use SAFEMAP_OPTS?)",
				       what, sz);
	for (i = dst_size; i < sz; i++)
		if (p[i])
			return safemap__errorf(-EINVAL,
					       "%s: unknown non-zero byte at offset %zu (struct has %zu bytes here)",
					       what, i, dst_size);
	memcpy(dst, src, sz < dst_size ? sz : dst_size);
	return 0;
}
