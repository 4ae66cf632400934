// SPDX-License-Identifier: BSD-2-Clause
// Every public header must compile as C++ (liburcu's test_build_cxx idea),
// and the C++-friendly options initializer must work.
#include <safemap/safemap.h>
#include <safemap/common.h>
#include <safemap/event.h>
#include <safemap/map.h>
#include <safemap/layout.h>
#include <safemap/bpf.h>
#include <safemap/bpf_metrics.h>

#include <cstdint>
#include <cstdio>

int main()
{
	struct safemap_opts o;
	SAFEMAP_OPTS_INIT(&o);
	o.key_size = sizeof(std::uint64_t);
	o.value_size = sizeof(std::uint64_t);
	struct safemap *m = nullptr;
	if (safemap_create(&o, &m) != 0)
		return 1;
	std::uint64_t k = 42, v = 7, out = 0;
	int ok = safemap_put(m, &k, &v, SAFEMAP_NOEXIST) == 0 && safemap_get(m, &k, &out) == 0 &&
		 out == 7 && safemap_count(m) == 1;
	safemap_destroy(m);
	std::printf("1 passed, %d failed\n", ok ? 0 : 1);
	return ok ? 0 : 1;
}
