/* SPDX-License-Identifier: BSD-2-Clause */
/* Handles: open (pin, id, fd, libbpf map), reference counting, accessors. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf_internal.h"

/* Is @p fd a BPF map? The kernel's anon inode name says so; a pin or an fd
 * may also be a program, a link or not BPF at all. */
static bool fd_is_map(int fd)
{
	char path[64], target[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return true; /* no /proc: let bpf_obj_get_info_by_fd decide */
	target[n] = '\0';
	return strcmp(target, "anon_inode:bpf-map") == 0;
}

/* Take ownership of @p fd (closed on failure), check it, make the handle. */
static int open_owned(int fd, const char *what, const struct safemap_bpf_opts *user_opts,
		      struct safemap_bpf **out)
{
	struct safemap_bpf_opts o;
	struct bpf_map_info info;
	__u32 len = sizeof(info);
	struct safemap_bpf *h;
	int err, ncpus;

	err = safemap__opts_copy(&o, sizeof(o), user_opts, "safemap_bpf_opts");
	if (err)
		goto fail;
	if (!fd_is_map(fd)) {
		err = safemap__errorf(-EINVAL, "%s: not a BPF map", what);
		goto fail;
	}
	memset(&info, 0, sizeof(info));
	err = bpf_obj_get_info_by_fd(fd, &info, &len);
	if (err) {
		err = safemap__errorf(-errno, "%s: cannot read map info: %s", what, strerror(errno));
		goto fail;
	}
	if (o.spec) {
		struct safemap__map_facts f = {
			.name = o.name ? o.name : info.name, .type = info.type,
			.key_size = info.key_size, .value_size = info.value_size,
			.max_entries = info.max_entries, .map_flags = info.map_flags,
			.btf_id = info.btf_id, .btf_key_type_id = info.btf_key_type_id,
			.btf_value_type_id = info.btf_value_type_id,
		};
		err = safemap__spec_check(&f, o.spec);
		if (err) {
			if (err == -EPROTO && o.event_fn) {
				struct safemap_event ev;

				safemap__event_init(&ev, SAFEMAP_SRC_BPF_MAP, SAFEMAP_OP_OPEN,
						    SAFEMAP_REASON_SPEC_MISMATCH, err);
				ev.map_name = f.name;
				ev.map_id = info.id;
				ev.limit = info.max_entries;
				ev.detail = safemap_last_error();
				o.event_fn(&ev, o.event_ctx);
			}
			goto fail;
		}
	}
	ncpus = safemap_bpf_possible_cpus();
	if (safemap__type_is_percpu(info.type) && ncpus <= 0) {
		err = safemap__errorf(ncpus < 0 ? ncpus : -EINVAL,
				      "%s: cannot read the number of possible CPUs", what);
		goto fail;
	}
	h = calloc(1, sizeof(*h));
	if (!h) {
		err = safemap__errorf(-ENOMEM, "%s: out of memory", what);
		goto fail;
	}
	h->fd = fd;
	h->refs = 1;
	h->id = info.id;
	h->type = info.type;
	h->key_size = info.key_size;
	h->value_size = info.value_size;
	h->max_entries = info.max_entries;
	h->map_flags = info.map_flags;
	h->btf_id = info.btf_id;
	h->btf_key_type_id = info.btf_key_type_id;
	h->btf_value_type_id = info.btf_value_type_id;
	h->percpu = safemap__type_is_percpu(info.type);
	h->stride = (info.value_size + 7) & ~7u;
	h->ncpus = ncpus > 0 ? (uint32_t)ncpus : 1;
	h->buf_size = h->percpu ? h->stride * h->ncpus : h->value_size;
	h->no_batch = o.no_batch;
	h->event_fn = o.event_fn;
	h->event_ctx = o.event_ctx;
	h->fini = o.fini;
	h->fini_ctx = o.fini_ctx;
	snprintf(h->name, sizeof(h->name), "%s", o.name ? o.name : info.name);
	*out = h;
	return 0;
fail:
	close(fd);
	return err;
}

int safemap_bpf_open_pinned(const char *path, const struct safemap_bpf_opts *opts,
			    struct safemap_bpf **out)
{
	char what[300];
	int fd;

	if (!path || !out)
		return safemap__errorf(-EINVAL, "safemap_bpf_open_pinned: NULL argument");
	*out = NULL;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return safemap__errorf(-errno, "pinned map '%s': %s", path, strerror(errno));
	snprintf(what, sizeof(what), "pinned map '%s'", path);
	return open_owned(fd, what, opts, out);
}

int safemap_bpf_open_id(uint32_t id, const struct safemap_bpf_opts *opts, struct safemap_bpf **out)
{
	char what[64];
	int fd;

	if (!out)
		return safemap__errorf(-EINVAL, "safemap_bpf_open_id: NULL argument");
	*out = NULL;
	fd = bpf_map_get_fd_by_id(id);
	if (fd < 0)
		return safemap__errorf(-errno, "map id %u: %s", id, strerror(errno));
	snprintf(what, sizeof(what), "map id %u", id);
	return open_owned(fd, what, opts, out);
}

int safemap_bpf_open_fd(int fd, const struct safemap_bpf_opts *opts, struct safemap_bpf **out)
{
	char what[64];
	int own;

	if (!out || fd < 0)
		return safemap__errorf(-EINVAL, "safemap_bpf_open_fd: NULL handle or bad fd %d", fd);
	*out = NULL;
	own = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (own < 0)
		return safemap__errorf(-errno, "map fd %d: %s", fd, strerror(errno));
	snprintf(what, sizeof(what), "map fd %d", fd);
	return open_owned(own, what, opts, out);
}

int safemap_bpf_open_map(const struct bpf_map *map, const struct safemap_bpf_opts *opts,
			 struct safemap_bpf **out)
{
	int fd;

	if (!map || !out)
		return safemap__errorf(-EINVAL, "safemap_bpf_open_map: NULL argument");
	*out = NULL;
	fd = bpf_map__fd(map);
	if (fd < 0)
		return safemap__errorf(-EINVAL, "map '%s' is not created (load its object first)",
				       bpf_map__name(map));
	if (!opts || !opts->name) {
		struct safemap_bpf_opts named;
		int err = safemap__opts_copy(&named, sizeof(named), opts, "safemap_bpf_opts");

		if (err)
			return err;
		named.sz = sizeof(named);
		named.name = bpf_map__name(map); /* the full name, not info's 15 chars */
		return safemap_bpf_open_fd(fd, &named, out);
	}
	return safemap_bpf_open_fd(fd, opts, out);
}

struct safemap_bpf *safemap_bpf_get(struct safemap_bpf *h)
{
	if (h)
		__atomic_fetch_add(&h->refs, 1, __ATOMIC_RELAXED);
	return h;
}

void safemap_bpf_put(struct safemap_bpf *h)
{
	if (!h || __atomic_sub_fetch(&h->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	if (h->fini)
		h->fini(h, h->fini_ctx);
	close(h->fd);
	h->fd = -1;
	free(h);
}

int safemap_bpf_check(const struct safemap_bpf *h, const struct safemap_bpf_spec *spec)
{
	struct safemap__map_facts f;

	if (!h || !spec)
		return safemap__errorf(-EINVAL, "safemap_bpf_check: NULL argument");
	f = (struct safemap__map_facts){
		.name = h->name, .type = h->type, .key_size = h->key_size,
		.value_size = h->value_size, .max_entries = h->max_entries,
		.map_flags = h->map_flags, .btf_id = h->btf_id,
		.btf_key_type_id = h->btf_key_type_id, .btf_value_type_id = h->btf_value_type_id,
	};
	return safemap__spec_check(&f, spec);
}

int safemap_bpf_fd(const struct safemap_bpf *h) { return h ? h->fd : -EINVAL; }
const char *safemap_bpf_name(const struct safemap_bpf *h) { return h ? h->name : ""; }
uint32_t safemap_bpf_id(const struct safemap_bpf *h) { return h ? h->id : 0; }
uint32_t safemap_bpf_type(const struct safemap_bpf *h) { return h ? h->type : 0; }
uint32_t safemap_bpf_key_size(const struct safemap_bpf *h) { return h ? h->key_size : 0; }
uint32_t safemap_bpf_value_size(const struct safemap_bpf *h) { return h ? h->value_size : 0; }
uint32_t safemap_bpf_max_entries(const struct safemap_bpf *h) { return h ? h->max_entries : 0; }
uint32_t safemap_bpf_map_flags(const struct safemap_bpf *h) { return h ? h->map_flags : 0; }
bool safemap_bpf_is_percpu(const struct safemap_bpf *h) { return h && h->percpu; }
size_t safemap_bpf_value_buf_size(const struct safemap_bpf *h) { return h ? h->buf_size : 0; }

void safemap_bpf_get_stats(const struct safemap_bpf *h, struct safemap_bpf_stats *out)
{
	if (!out)
		return;
	memset(out, 0, sizeof(*out));
	if (!h)
		return;
	out->capacity_violations = __atomic_load_n(&h->stats.capacity_violations, __ATOMIC_RELAXED);
	out->bad_size = __atomic_load_n(&h->stats.bad_size, __ATOMIC_RELAXED);
	out->errors = __atomic_load_n(&h->stats.errors, __ATOMIC_RELAXED);
}
