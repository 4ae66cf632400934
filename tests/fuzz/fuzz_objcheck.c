/* SPDX-License-Identifier: BSD-2-Clause */
/* libFuzzer target: the static object checker over arbitrary bytes
 * (safemap_objcheck_mem(), which validates the ELF and BTF before libbpf
 * parses them). The input is a BPF object image; any crash, hang, leak or
 * sanitizer report is a finding. A report it accepts is walked whole, each
 * string read, so a dangling or unterminated one is caught too.
 *
 * Seeds (tests/fuzz/objcheck_corpus/): the objects the build makes, debug
 * sections stripped (llvm-strip -g), and every input the fuzzer ever
 * crashed on (crash-*), replayed in ctest by fuzz_objcheck_replay. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <bpf/libbpf.h>

#include <safemap/safemap.h>

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

static size_t walk(const char *s)
{
	return strlen(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int init;
	struct safemap_objcheck *r = NULL;
	volatile size_t sum = 0;
	size_t i;
	int err;

	if (!init) {
		libbpf_set_print(quiet);
		init = 1;
	}
	err = safemap_objcheck_mem(data, size, "fuzz.bpf.o", NULL, &r);
	if (err) {
		if (r || !*safemap_last_error())
			__builtin_trap(); /* an error leaves no report and always says why */
		return 0;
	}
	sum += walk(r->path);
	for (i = 0; i < r->nmaps; i++) {
		const struct safemap_objcheck_map *m = &r->maps[i];

		sum += walk(m->name) + walk(m->type_name) + walk(m->key_type) + walk(m->value_type);
	}
	for (i = 0; i < r->nfindings; i++)
		sum += walk(r->findings[i].map) + walk(r->findings[i].message);
	safemap_objcheck_free(r);
	(void)sum;
	return 0;
}
