// SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0)
/* For the escape test (test_ctl_escape.sh): a map whose key type and key
 * field have long placeholder names, which the test overwrites in the
 * object's BTF string section with the bytes of a hostile process name
 * (btf_patch_names.py), as a corrupted or hostile object would hold them.
 * The key has a padding hole, so a finding names the field too. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct PLACEHOLDER_TYPE_NAME_0123456789 {
	__u8 PLACEHOLDER_FIELD_NAME_012345678;
	__u32 second;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, struct PLACEHOLDER_TYPE_NAME_0123456789);
	__type(value, __u64);
} escmap SEC(".maps");

char LICENSE[] SEC("license") = "Dual BSD/GPL";
