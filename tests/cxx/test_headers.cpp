// SPDX-License-Identifier: BSD-2-Clause
// Every public header must compile as C++ (liburcu's test_build_cxx idea),
// and the C++-friendly options initializer must work.
#include <safemap/safemap.h>
#include <safemap/common.h>
#include <safemap/event.h>
#include <safemap/map.h>
#include <safemap/layout.h>
#include <safemap/bpf.h>
#include <safemap/metrics.h>
#include <safemap/typed.h>
#include <safemap/audit.h>
#include <safemap/bpf_metrics.h>
#include <safemap/escape.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>

SAFEMAP_DEFINE_TYPED(u64map, std::uint64_t, std::uint64_t);

static int bump(const std::uint64_t *, std::uint64_t *v, bool, void *)
{
	++*v;
	return SAFEMAP_UPDATE_STORE;
}

static bool typed_ok()
{
	struct u64map *t = nullptr;
	std::uint64_t k = 1, v = 0;
	struct safemap_ref r = {};

	if (u64map_create(nullptr, &t) != 0)
		return false;
	bool ok = u64map_update(t, &k, bump, nullptr, SAFEMAP_ANY) == 0 &&
		  u64map_update(t, &k, bump, nullptr, SAFEMAP_ANY) == 0 &&
		  u64map_get(t, &k, &v) == 0 && v == 2 && u64map_get_ref(t, &k, &r) == 0 &&
		  *u64map_ref_value(&r) == 2;
	safemap_ref_put(&r);
	u64map_destroy(t);
	return ok;
}

int main()
{
	struct safemap_opts o;
	SAFEMAP_OPTS_INIT(&o);
	o.key_size = sizeof(std::uint64_t);
	o.value_size = sizeof(std::uint64_t);
	struct safemap *m = nullptr;
	struct safemap_audit_opts ao;
	SAFEMAP_OPTS_INIT(&ao); // the audit's options, from C++
	struct safemap_audit_policy ap;
	SAFEMAP_OPTS_INIT(&ap);
	if (ao.sz != sizeof(ao) || ap.sz != sizeof(ap) || ao.ring_size != 0)
		return 1;
	if (safemap_create(&o, &m) != 0)
		return 1;
	std::uint64_t k = 42, v = 7, out = 0;
	int ok = safemap_put(m, &k, &v, SAFEMAP_NOEXIST) == 0 && safemap_get(m, &k, &out) == 0 &&
		 out == 7 && safemap_count(m) == 1;
	long visits = 0;
	ok = ok && safemap_foreach(m, [](const void *, const void *, void *ctx) {
			   ++*static_cast<long *>(ctx);
			   return 0;
		   }, &visits) == 0 && visits == 1;
	struct safemap_snap *snap = nullptr;
	ok = ok && safemap_snapshot(m, &snap) == 0 && safemap_snapshot_count(snap) == 1;
	safemap_snapshot_free(snap);
	struct safemap_metrics mt;
	SAFEMAP_OPTS_INIT(&mt);
	ok = ok && safemap_metrics_read(m, &mt) == 0 && mt.ops[SAFEMAP_OP_PUT] == 1;
	ok = ok && safemap_freeze(m) == 0 && safemap_is_frozen(m) &&
	     safemap_put(m, &k, &v, SAFEMAP_ANY) == -EPERM;
	ok = ok && typed_ok();
	safemap_destroy(m);
	std::printf("1 passed, %d failed\n", ok ? 0 : 1);
	return ok ? 0 : 1;
}
