/* SPDX-License-Identifier: BSD-2-Clause */
/* A writer the audit probe must report, for the escape and soak tests: it
 * names itself (prctl PR_SET_NAME, after exec: the process's own choice,
 * as an attacker's would be) and writes a pinned map through the raw bpf()
 * system call, no library in between.
 *
 * usage: raw_writer PIN COMM COUNT [INTERVAL_US [KEYS [OPS]]]
 *   COMM     the name to take; "hostile" is the issue's
 *            "\x1b]0;p\x07\r\x1b[Kok\xff" (title, bell, CR, erase line, 0xff)
 *   COUNT    bpf() write calls to make (keys 0..KEYS-1 in turn, 4-byte keys,
 *            8-byte values; KEYS defaults to 8)
 *   INTERVAL_US  pause between calls (default 0)
 *   OPS      "u": every call is BPF_MAP_UPDATE_ELEM (default); "ud": updates
 *            and BPF_MAP_DELETE_ELEM in turn, the delete KEYS/2 keys behind
 *            (about KEYS/2 entries live: more than the map holds makes
 *            updates of new keys fail with E2BIG)
 * Prints "pid P writes N ok K failed F" on stdout when done; exit 0 when
 * every call was made (failures of the calls themselves are counted: the
 * probe reports those too), 2 on a usage error or when the map cannot be
 * opened. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

static const char hostile[] = "\x1b]0;p\x07\r\x1b[Kok\xff";

static long sys_bpf(int cmd, union bpf_attr *attr)
{
	return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

int main(int argc, char **argv)
{
	unsigned long long count, i, ok = 0, failed = 0, keys = 8;
	unsigned long interval = 0;
	union bpf_attr attr;
	uint64_t value = 1;
	uint32_t key;
	int fd;

	bool deletes = argc > 6 && !strcmp(argv[6], "ud");

	if (argc < 4 || argc > 7) {
		fprintf(stderr, "usage: raw_writer PIN COMM COUNT [INTERVAL_US [KEYS [OPS]]]\n");
		return 2;
	}
	count = strtoull(argv[3], NULL, 10);
	if (argc > 4)
		interval = strtoul(argv[4], NULL, 10);
	if (argc > 5)
		keys = strtoull(argv[5], NULL, 10);
	if (!keys)
		keys = 1;
	if (prctl(PR_SET_NAME, !strcmp(argv[2], "hostile") ? hostile : argv[2], 0, 0, 0)) {
		perror("raw_writer: prctl(PR_SET_NAME)");
		return 2;
	}
	memset(&attr, 0, sizeof(attr));
	attr.pathname = (uint64_t)(uintptr_t)argv[1];
	fd = (int)sys_bpf(BPF_OBJ_GET, &attr);
	if (fd < 0) {
		fprintf(stderr, "raw_writer: BPF_OBJ_GET %s: %s\n", argv[1], strerror(errno));
		return 2;
	}
	for (i = 0; i < count; i++) {
		bool del = deletes && (i & 1);

		key = (uint32_t)((deletes ? i / 2 + (del ? keys / 2 : 0) : i) % keys);
		memset(&attr, 0, sizeof(attr));
		attr.map_fd = (uint32_t)fd;
		attr.key = (uint64_t)(uintptr_t)&key;
		if (!del) {
			attr.value = (uint64_t)(uintptr_t)&value;
			attr.flags = BPF_ANY;
		}
		if (sys_bpf(del ? BPF_MAP_DELETE_ELEM : BPF_MAP_UPDATE_ELEM, &attr))
			failed++;
		else
			ok++;
		value++;
		if (interval)
			usleep(interval);
	}
	close(fd);
	printf("pid %d writes %llu ok %llu failed %llu\n", (int)getpid(), count, ok, failed);
	return 0;
}
