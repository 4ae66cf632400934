/* SPDX-License-Identifier: BSD-2-Clause */
/* Per-CPU maps: buffers sized by *possible* CPUs (not online ones) with each
 * CPU's value rounded up to 8 bytes, as the kernel copies them; a buffer too
 * small is refused before the syscall could write past it. */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf_internal.h"

int safemap_bpf_possible_cpus(void)
{
	int n = libbpf_num_possible_cpus(); /* parses /sys/devices/system/cpu/possible once */

	return n > 0 ? n : (n < 0 ? n : -EINVAL);
}

size_t safemap_bpf_percpu_stride(const struct safemap_bpf *h)
{
	return h ? h->stride : 0;
}

size_t safemap_bpf_percpu_size(const struct safemap_bpf *h)
{
	return h ? (size_t)h->stride * h->ncpus : 0;
}

void *safemap_bpf_percpu_ptr(const struct safemap_bpf *h, void *buf, unsigned cpu)
{
	if (!h || !buf || cpu >= h->ncpus)
		return NULL;
	return (char *)buf + (size_t)cpu * h->stride;
}

static int check(struct safemap_bpf *h, const void *key, const void *buf, size_t buf_size,
		 enum safemap_op op, const char *fn)
{
	if (!h || (!key && h->key_size) || !buf)
		return safemap__errorf(-EINVAL, "%s: NULL argument", fn);
	if (!h->percpu)
		return safemap__errorf(-EINVAL, "%s: map '%s' is not per-CPU", fn, h->name);
	if (SAFEMAP_UNLIKELY(buf_size < h->buf_size))
		return safemap__bpf_bad_size(h, op, buf_size, h->buf_size);
	return 0;
}

int safemap_bpf_percpu_lookup(struct safemap_bpf *h, const void *key, void *buf, size_t buf_size)
{
	int err = check(h, key, buf, buf_size, SAFEMAP_OP_GET, "safemap_bpf_percpu_lookup");

	if (err)
		return err;
	err = bpf_map_lookup_elem(h->fd, key, buf);
	if (SAFEMAP_LIKELY(!err))
		return 0;
	if (err == -ENOENT)
		memset(buf, 0, h->buf_size);
	return safemap__bpf_fail(h, SAFEMAP_OP_GET, err, key);
}

int safemap_bpf_percpu_update(struct safemap_bpf *h, const void *key, const void *buf,
			      size_t buf_size, unsigned flags)
{
	int err = check(h, key, buf, buf_size, SAFEMAP_OP_PUT, "safemap_bpf_percpu_update");

	if (err)
		return err;
	if ((flags & ~(unsigned)BPF_F_LOCK) > SAFEMAP_EXIST)
		return safemap__errorf(-EINVAL, "safemap_bpf_percpu_update: map '%s': bad flags 0x%x",
				       h->name, flags);
	err = bpf_map_update_elem(h->fd, key, buf, flags);
	if (SAFEMAP_LIKELY(!err))
		return 0;
	return safemap__bpf_fail(h, SAFEMAP_OP_PUT, err, key);
}

static int check_buf(const struct safemap_bpf *h, const void *buf, size_t buf_size, const char *fn)
{
	if (!h || !buf)
		return safemap__errorf(-EINVAL, "%s: NULL argument", fn);
	if (!h->percpu)
		return safemap__errorf(-EINVAL, "%s: map '%s' is not per-CPU", fn, h->name);
	if (buf_size < h->buf_size)
		return safemap__errorf(-ENOSPC, "%s: map '%s': buffer of %zu bytes, need %u", fn,
				       h->name, buf_size, h->buf_size);
	return 0;
}

int safemap_bpf_percpu_sum_u64(const struct safemap_bpf *h, const void *buf, size_t buf_size,
			       uint64_t *out)
{
	int err = check_buf(h, buf, buf_size, "safemap_bpf_percpu_sum_u64");
	uint32_t cpu, i, n;

	if (err)
		return err;
	if (!out || h->value_size % 8)
		return safemap__errorf(-EINVAL,
				       "safemap_bpf_percpu_sum_u64: map '%s': %s", h->name,
				       out ? "value_size is not a multiple of 8" : "NULL argument");
	n = h->value_size / 8;
	memset(out, 0, h->value_size);
	for (cpu = 0; cpu < h->ncpus; cpu++) {
		const char *v = (const char *)buf + (size_t)cpu * h->stride;

		for (i = 0; i < n; i++) {
			uint64_t x;

			memcpy(&x, v + 8 * i, sizeof(x));
			out[i] += x;
		}
	}
	return 0;
}

int safemap_bpf_percpu_reduce(const struct safemap_bpf *h, const void *buf, size_t buf_size,
			      safemap_bpf_percpu_fn fn, void *ctx)
{
	int err = check_buf(h, buf, buf_size, "safemap_bpf_percpu_reduce");
	uint32_t cpu;

	if (err)
		return err;
	if (!fn)
		return safemap__errorf(-EINVAL, "safemap_bpf_percpu_reduce: NULL callback");
	for (cpu = 0; cpu < h->ncpus; cpu++)
		fn(cpu, (const char *)buf + (size_t)cpu * h->stride, ctx);
	return 0;
}
