/* SPDX-License-Identifier: BSD-2-Clause */
/* Types shared by examples/bpf_maps.bpf.c and examples/bpf_maps.c. */
#ifndef SAFEMAP_EXAMPLE_BPF_MAPS_H
#define SAFEMAP_EXAMPLE_BPF_MAPS_H

#include <linux/types.h>

/* Per syscall number: how often this process made it. */
struct sys_count {
	__u64 calls;
	__u64 last_ns;
};

/* A value that grew between two releases of an agent: 1512 bytes in
 * version 1 (what the BPF object was built with), 1528 in version 2. */
#ifndef STATS_VERSION
#define STATS_VERSION 1
#endif
struct flow_stats {
	__u64 packets;
	__u64 bytes;
	__u64 hist[187];
#if STATS_VERSION >= 2
	__u64 drops[2];
#endif
};

#endif /* SAFEMAP_EXAMPLE_BPF_MAPS_H */
