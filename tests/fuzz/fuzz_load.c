/* SPDX-License-Identifier: BSD-2-Clause */
/* libFuzzer target: the input is a snapshot file, loaded with safemap_load()
 * into a bounded map (max_entries 64) that holds 5 known entries; its key
 * and value sizes are those the input's header names (1..64 bytes, else
 * 8/8), so mutated valid files reach the entry pass too. Checked for every
 * input: no crash or leak (ASan), the result is one the API documents,
 * safemap_snapshot_inspect() agrees on whether the file is valid, a failed
 * load leaves the 5 entries exactly as they were, and a good one leaves at
 * most 5 + the file's count entries.
 *
 * Built with clang -fsanitize=fuzzer,address,undefined under
 * -DSAFEMAP_FUZZ=ON; tests/fuzz/replay.c runs the committed corpus
 * (tests/fuzz/corpus_load) through the same function in every build. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <safemap/safemap.h>

#define CHECK(cond)                                                                          \
	do {                                                                                 \
		if (!(cond)) {                                                               \
			fprintf(stderr, "fuzz_load: %s:%d: %s (last error: %s)\n", __FILE__, \
				__LINE__, #cond, safemap_last_error());                      \
			abort();                                                             \
		}                                                                            \
	} while (0)

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void known(unsigned i, size_t ks, size_t vs, unsigned char *k, unsigned char *v)
{
	memset(k, 0xe0 + i, ks);
	memset(v, 0x50 + i, vs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t ks = 8, vs = 8;
	unsigned char k[64], v[64], got[64];
	struct safemap_snapshot_info info;
	struct safemap *m = NULL;
	char path[64];
	unsigned i;
	int fd, err, ierr;

	if (size >= 24 && le32(data + 16) - 1 < 64 && le32(data + 20) - 1 < 64) {
		ks = le32(data + 16);
		vs = le32(data + 20);
	}
	SAFEMAP_OPTS(safemap_opts, o, .name = "fuzz_load", .key_size = ks, .value_size = vs,
		     .max_entries = 64, .shards = 2);
	CHECK(safemap_create(&o, &m) == 0);
	for (i = 0; i < 5; i++) {
		known(i, ks, vs, k, v);
		CHECK(safemap_put(m, k, v, SAFEMAP_ANY) == 0);
	}
	fd = memfd_create("fuzz_load", MFD_CLOEXEC);
	CHECK(fd >= 0);
	CHECK(write(fd, data, size) == (ssize_t)size);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);

	err = safemap_load(m, path, NULL);
	CHECK(err == 0 || err == -EBADMSG || err == -EPROTO || err == -E2BIG);
	SAFEMAP_OPTS_INIT(&info);
	ierr = safemap_snapshot_inspect(path, &info);
	CHECK((ierr == -EBADMSG) == (err == -EBADMSG));
	CHECK(ierr == 0 || ierr == -EBADMSG);
	if (err) {
		CHECK(safemap_count(m) == 5);
		for (i = 0; i < 5; i++) {
			known(i, ks, vs, k, v);
			CHECK(safemap_get(m, k, got) == 0 && !memcmp(got, v, vs));
		}
	} else {
		CHECK(safemap_count(m) >= 5 && safemap_count(m) <= 5 + info.count);
	}
	close(fd);
	safemap_destroy(m);
	return 0;
}
