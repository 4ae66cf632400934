/* SPDX-License-Identifier: BSD-2-Clause */
/* Specs: what a program expects of a map (type, sizes, max_entries, flags,
 * key/value layouts), compared with what the kernel says at open. */
#include <stdio.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "bpf_internal.h"

static const char *type_str(uint32_t type, char *buf, size_t len)
{
	const char *s = libbpf_bpf_map_type_str((enum bpf_map_type)type);

	if (s)
		return s;
	snprintf(buf, len, "%u", type);
	return buf;
}

/* Compare one side (key or value) with its layout. */
static int check_layout(const struct btf *btf, uint32_t type_id, const struct safemap_layout *l,
			const char *what, bool check_size, bool require_btf,
			struct safemap__diff *d)
{
	if (!l)
		return 0;
	if (!btf || !type_id) {
		if (require_btf)
			safemap__diff_add(d, "%s: no BTF in the kernel, the layout '%s' cannot be checked",
					  what, l->type_name ? l->type_name : "?");
		return 0;
	}
	return safemap__btf_compare(btf, type_id, l, what, check_size, d);
}

int safemap__spec_check(const struct safemap__map_facts *f, const struct safemap_bpf_spec *user)
{
	struct safemap_bpf_spec s;
	char msg[440], t1[16], t2[16];
	struct safemap__diff d = { .buf = msg, .len = sizeof(msg) };
	struct btf *btf = NULL;
	int err;

	err = safemap__opts_copy(&s, sizeof(s), user, "safemap_bpf_spec");
	if (err)
		return err;
	msg[0] = '\0';
	if (s.map_type && s.map_type != f->type)
		safemap__diff_add(&d, "type %s in the kernel, %s here",
				  type_str(f->type, t1, sizeof(t1)), type_str(s.map_type, t2, sizeof(t2)));
	if (s.key_size && s.key_size != f->key_size)
		safemap__diff_add(&d, "key size %u in the kernel, %u here", f->key_size, s.key_size);
	if (s.value_size && s.value_size != f->value_size)
		safemap__diff_add(&d, "value size %u in the kernel, %u here", f->value_size,
				  s.value_size);
	if (s.max_entries && s.max_entries_exact && s.max_entries != f->max_entries)
		safemap__diff_add(&d, "max_entries %u in the kernel, %u here", f->max_entries,
				  s.max_entries);
	else if (s.max_entries && f->max_entries < s.max_entries)
		safemap__diff_add(&d, "max_entries %u in the kernel, at least %u here",
				  f->max_entries, s.max_entries);
	if ((f->map_flags ^ s.map_flags) & s.map_flags_mask)
		safemap__diff_add(&d, "flags 0x%x in the kernel, 0x%x here (bits 0x%x compared)",
				  f->map_flags & s.map_flags_mask, s.map_flags & s.map_flags_mask,
				  s.map_flags_mask);
	if ((s.key_layout || s.value_layout) && f->btf_id) {
		btf = btf__load_from_kernel_by_id(f->btf_id);
		if (!btf) {
			err = -errno;
			return safemap__errorf(err, "map '%s': cannot load its BTF (id %u) to check the layouts: %s",
					       f->name, f->btf_id, strerror(-err));
		}
	}
	/* a size the spec already compared is not reported twice */
	check_layout(btf, f->btf_key_type_id, s.key_layout, "key",
		     !s.key_layout || s.key_size != s.key_layout->size, s.require_btf, &d);
	check_layout(btf, f->btf_value_type_id, s.value_layout, "value",
		     !s.value_layout || s.value_size != s.value_layout->size, s.require_btf, &d);
	btf__free(btf);
	if (d.n)
		return safemap__errorf(-EPROTO, "map '%s' does not match its spec: %s%s", f->name, msg,
				       d.used + 3 >= d.len ? " ..." : "");
	return 0;
}
