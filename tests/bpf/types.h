/* SPDX-License-Identifier: BSD-2-Clause */
/* Types shared by the test BPF objects (tests/bpf/NAME.bpf.c, compiled with
 * clang -target bpf) and the test programs that check them. A test defines
 * the version macros before including this to model a program built from
 * other sources than the object it meets. */
#ifndef SAFEMAP_TESTS_BPF_TYPES_H
#define SAFEMAP_TESTS_BPF_TYPES_H

#include <linux/types.h>

#ifndef FLOW_STATS_VERSION
#define FLOW_STATS_VERSION 1
#endif

/* The value that grew after an upgrade: 1512 bytes in version 1, 1528 in
 * version 2 (a 16-byte field appended). */
struct flow_stats {
	__u64 packets;
	__u64 bytes;
	__u64 hist[187];
#if FLOW_STATS_VERSION >= 2
	__u64 extra[2];
#endif
};

/* Two fields of one size: swapping them keeps the size, not the layout. */
struct pair {
#ifdef PAIR_SWAPPED
	__u32 b;
	__u32 a;
#else
	__u32 a;
	__u32 b;
#endif
};

/* Nested struct, an anonymous union and an array. */
struct rec_hdr {
	__u32 len;
	__u32 flags;
};

struct rec {
	__u64 id;
	struct rec_hdr hdr;
	union {
		__u32 ipv4;
		__u8 ipv6[16];
	};
	__u8 tag[8];
};

/* A per-CPU value of 12 bytes: the kernel rounds each CPU's copy to 16. */
struct pcpu_val {
	__u32 count;
	__u32 last;
	__u32 flags;
};

/* A key with a padding hole at bytes 13..15 (a lookup built without
 * memset misses), and the same key without the hole. */
struct flow_key {
	__u32 saddr;
	__u32 daddr;
	__u16 sport;
	__u16 dport;
	__u8 proto;
	__u64 cookie;
};

struct flow_key_packed {
	__u32 saddr;
	__u32 daddr;
	__u16 sport;
	__u16 dport;
	__u8 proto;
	__u8 pad[3];
	__u32 ifindex;
};

/* Holes elsewhere: at the tail (bytes 12..15), and inside a nested struct
 * of an array element (bytes 1..3 and 9..11 of the key). */
struct tail_key {
	__u64 a;
	__u32 b;
};

struct nest_key {
	struct {
		__u8 tag;
		__u32 id;
	} part[2];
	__u32 c;
};

#endif /* SAFEMAP_TESTS_BPF_TYPES_H */
