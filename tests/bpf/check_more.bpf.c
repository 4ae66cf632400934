// SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0)
/* For `safemapctl check`: what the checker must see beyond byte holes: a
 * bitfield key with one unused bit, the inner map of a map of maps with a
 * padded key, a hashed key without BTF (not checked: why), and maps whose
 * max_entries is 0 or 1 on purpose (sized at load, by the loader, scratch). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

/* bits 0..2 a, 3..6 b, bit 7 unused (pahole: "XXX 1 bit hole"), c, d */
struct bits_key {
	__u32 a:3;
	__u32 b:4;
	__u8 c;
	__u16 d;
};

/* 7 bytes of padding after tag (bytes 1..7) */
struct inner_key {
	__u8 tag;
	__u64 id;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct bits_key);
	__type(value, __u64);
} bits SEC(".maps");

struct inner {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, struct inner_key);
	__type(value, __u32);
};

/* The inner definition has no instance of its own, so only the outer map
 * leads to it; this variable makes clang emit struct inner_key whole (a
 * type only reached through an unused definition is emitted as a forward
 * declaration, which libbpf cannot size). */
struct inner_key inner_key_btf;

struct {
	__uint(type, BPF_MAP_TYPE_HASH_OF_MAPS);
	__uint(max_entries, 16);
	__type(key, __u32);
	__array(values, struct inner);
} outer SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 512);
	__uint(key_size, 12);              /* no BTF type: not checked */
	__uint(value_size, 8);
} raw SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32)); /* max_entries 0: libbpf sets possible CPUs */
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, 127 * sizeof(__u64)); /* max_entries 0: the loader sets it */
} stacks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);            /* one scratch slot per CPU, on purpose */
	__type(key, __u32);
	__type(value, __u64);
} scratch SEC(".maps");

char LICENSE[] SEC("license") = "Dual BSD/GPL";
