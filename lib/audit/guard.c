/* SPDX-License-Identifier: BSD-2-Clause */
/* Guarding maps: the policy map (map id -> who may write), filled from
 * user space under the audit's mutex. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "audit_internal.h"
#include "safemap_audit.h"

#define KNOWN_FLAGS (SAFEMAP_AUDIT_READ_ONLY | SAFEMAP_AUDIT_NOT_SELF)

_Static_assert(SAFEMAP_AUDIT_MAX_ALLOWED == SM_AUDIT_MAX_ALLOWED, "policy limits");
_Static_assert(SAFEMAP_AUDIT_MAX_CGROUPS == SM_AUDIT_MAX_CGROUPS, "policy limits");
_Static_assert(SAFEMAP_AUDIT_CGROUP_SLOTS == SM_AUDIT_CGROUP_SLOTS &&
	       SM__CGROUP_SLOTS == SM_AUDIT_CGROUP_SLOTS, "cgroup slots");

static int make_policy(const struct safemap_audit *a, const struct safemap_audit_policy *user,
		       struct sm_policy *p)
{
	struct safemap_audit_policy pol;
	size_t i;
	int err;

	if ((err = safemap__opts_copy(&pol, sizeof(pol), user, "safemap_audit_policy")))
		return err;
	if (pol.flags & ~(unsigned)KNOWN_FLAGS)
		return safemap__errorf(-EINVAL, "audit policy: unknown flags 0x%x",
				       pol.flags & ~(unsigned)KNOWN_FLAGS);
	if (pol.n_tgids > SAFEMAP_AUDIT_MAX_ALLOWED || pol.n_uids > SAFEMAP_AUDIT_MAX_ALLOWED)
		return safemap__errorf(-EINVAL, "audit policy: %zu tgids and %zu uids: at most %d each",
				       pol.n_tgids, pol.n_uids, SAFEMAP_AUDIT_MAX_ALLOWED);
	if ((pol.n_tgids && !pol.tgids) || (pol.n_uids && !pol.uids))
		return safemap__errorf(-EINVAL, "audit policy: NULL tgids or uids with a count");
	if (pol.n_cgroup_ids > SAFEMAP_AUDIT_MAX_CGROUPS)
		return safemap__errorf(-EINVAL, "audit policy: %zu cgroups: at most %d",
				       pol.n_cgroup_ids, SAFEMAP_AUDIT_MAX_CGROUPS);
	if (pol.n_cgroup_ids && !pol.cgroup_ids)
		return safemap__errorf(-EINVAL, "audit policy: NULL cgroup_ids with a count");
	if (pol.n_cgroup_ids && !(a->caps & SAFEMAP_AUDIT_CAP_CGROUP))
		return safemap__errorf(-EOPNOTSUPP, "audit policy: no cgroup v2 hierarchy is "
				       "mounted: a policy cannot name cgroups");
	memset(p, 0, sizeof(*p));
	if (pol.flags & SAFEMAP_AUDIT_READ_ONLY)
		p->flags |= SM_POL_READ_ONLY;
	p->guard_tgid = pol.flags & SAFEMAP_AUDIT_NOT_SELF ? 0 : (uint32_t)a->tgid;
	p->n_tgids = (uint32_t)pol.n_tgids;
	p->n_uids = (uint32_t)pol.n_uids;
	for (i = 0; i < pol.n_tgids; i++) {
		if (pol.tgids[i] <= 0)
			return safemap__errorf(-EINVAL, "audit policy: tgid %d", (int)pol.tgids[i]);
		p->tgids[i] = (uint32_t)pol.tgids[i];
	}
	for (i = 0; i < pol.n_uids; i++)
		p->uids[i] = (uint32_t)pol.uids[i];
	p->n_cgroups = (uint32_t)pol.n_cgroup_ids;
	for (i = 0; i < pol.n_cgroup_ids; i++) {
		if (!pol.cgroup_ids[i])
			return safemap__errorf(-EINVAL, "audit policy: cgroup id 0");
		p->cgroup_ids[i] = pol.cgroup_ids[i];
	}
	return 0;
}

/* ---- the probe's cgroup array: one slot per distinct allowed cgroup,
 * counted by the policies that name it (under a->lock) ---- */

static void slot_put(struct safemap_audit *a, uint32_t slot)
{
	if (slot >= SM__CGROUP_SLOTS || !a->cg_slot_refs[slot])
		return;
	if (--a->cg_slot_refs[slot] == 0) {
		a->cg_slot_id[slot] = 0;
		bpf_map_delete_elem(a->cgroups_fd, &slot); /* the kernel lets the cgroup go */
	}
}

static void slots_put(struct safemap_audit *a, const struct sm_policy *p, uint32_t n)
{
	for (uint32_t i = 0; i < n && i < SM_AUDIT_MAX_CGROUPS; i++)
		slot_put(a, p->cgroup_slots[i]);
}

/* Take a slot for each of @p p's cgroups (@p fds: their directories). */
static int slots_get(struct safemap_audit *a, struct sm_policy *p, const int *fds)
{
	uint32_t i, s, free_slot;
	int err;

	for (i = 0; i < p->n_cgroups; i++) {
		free_slot = SM__CGROUP_SLOTS;
		for (s = 0; s < SM__CGROUP_SLOTS; s++) {
			if (a->cg_slot_id[s] == p->cgroup_ids[i])
				break;
			if (!a->cg_slot_id[s] && free_slot == SM__CGROUP_SLOTS)
				free_slot = s;
		}
		if (s == SM__CGROUP_SLOTS) {
			if (free_slot == SM__CGROUP_SLOTS) {
				err = safemap__errorf(-E2BIG, "audit policy: %d distinct cgroups "
						      "named already", SM__CGROUP_SLOTS);
				goto fail;
			}
			s = free_slot;
			if (bpf_map_update_elem(a->cgroups_fd, &s, &fds[i], BPF_ANY)) {
				err = safemap__errorf(-errno, "audit policy: cgroup id %llu: %s",
						      (unsigned long long)p->cgroup_ids[i],
						      strerror(errno));
				goto fail;
			}
			a->cg_slot_id[s] = p->cgroup_ids[i];
		}
		a->cg_slot_refs[s]++;
		p->cgroup_slots[i] = s;
	}
	return 0;
fail:
	slots_put(a, p, i);
	return err;
}

/* The probe's guarded-id filter (safemap_audit.h): bits in its mmapped .bss,
 * changed under a->lock. Setting is an atomic OR (the kernel only reads);
 * clearing rebuilds the whole bitmap from the policy map's keys, so a bit
 * that another guarded id shares stays set. */
static void filter_set(struct safemap_audit *a, uint32_t id)
{
	uint32_t bit = sm_guard_bit(id);

	__atomic_fetch_or(&a->guard_words[bit / 64], 1ull << (bit & 63), __ATOMIC_RELEASE);
}

static void filter_rebuild(struct safemap_audit *a)
{
	uint64_t *words = calloc(SM_GUARD_WORDS, sizeof(*words));
	uint32_t key, next, bit;
	bool first = true;

	if (!words)
		return; /* bits left set: a lookup too many, never a miss */
	while (bpf_map_get_next_key(a->policy_fd, first ? NULL : &key, &next) == 0) {
		bit = sm_guard_bit(next);
		words[bit / 64] |= 1ull << (bit & 63);
		key = next;
		first = false;
	}
	for (uint32_t i = 0; i < SM_GUARD_WORDS; i++)
		if (__atomic_load_n(&a->guard_words[i], __ATOMIC_RELAXED) != words[i])
			__atomic_store_n(&a->guard_words[i], words[i], __ATOMIC_RELEASE);
	free(words);
}

int safemap__audit_guard_id(struct safemap_audit *a, uint32_t id,
			    const struct safemap_audit_policy *policy)
{
	int fds[SM_AUDIT_MAX_CGROUPS];
	struct sm_policy p, old;
	uint32_t i, nfds = 0;
	bool fresh;
	int err;

	if ((err = make_policy(a, policy, &p)))
		return err;
	for (; nfds < p.n_cgroups; nfds++) {
		fds[nfds] = safemap__cg_open(&a->cg, p.cgroup_ids[nfds]);
		if (fds[nfds] < 0) {
			err = safemap__errorf(fds[nfds], "audit policy: no cgroup with id %llu "
					      "under %s: %s", (unsigned long long)p.cgroup_ids[nfds],
					      a->cg.mount, strerror(-fds[nfds]));
			goto out;
		}
	}
	pthread_mutex_lock(&a->lock);
	if ((err = slots_get(a, &p, fds))) {
		pthread_mutex_unlock(&a->lock);
		goto out;
	}
	fresh = bpf_map_lookup_elem(a->policy_fd, &id, &old) != 0;
	filter_set(a, id); /* before the policy: a clear bit skips the lookup */
	err = bpf_map_update_elem(a->policy_fd, &id, &p, BPF_ANY) ? -errno : 0;
	if (err) {
		slots_put(a, &p, p.n_cgroups);
		if (fresh)
			filter_rebuild(a);
	} else if (!fresh) {
		slots_put(a, &old, old.n_cgroups); /* the policy it replaced */
	} else {
		a->guarded++;
		__atomic_store_n(a->nr_guarded, (uint32_t)a->guarded, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&a->lock);
	if (err == -E2BIG)
		err = safemap__errorf(err, "audit: cannot guard map id %u: %llu maps guarded "
				      "already (max_guarded)", id, (unsigned long long)a->guarded);
	else if (err)
		err = safemap__errorf(err, "audit: cannot guard map id %u: %s", id, strerror(-err));
out:
	for (i = 0; i < nfds; i++)
		close(fds[i]);
	return err;
}

/* Guard the map behind @p fd; returns its id (> 0) or a negative errno. */
static int guard_fd(struct safemap_audit *a, int fd, const struct safemap_audit_policy *policy,
		    const char *what)
{
	struct bpf_map_info info;
	uint32_t len = sizeof(info);
	char link[64], target[32];
	ssize_t n;
	int err;

	/* a map fd, not a program or link one: their info has ids too */
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target) - 1);
	target[n > 0 ? n : 0] = '\0';
	memset(&info, 0, sizeof(info));
	if (strcmp(target, "anon_inode:bpf-map") != 0 ||
	    bpf_obj_get_info_by_fd(fd, &info, &len) != 0 || info.id == 0)
		return safemap__errorf(-EINVAL, "audit: %s is not a BPF map", what);
	err = safemap__audit_guard_id(a, info.id, policy);
	return err ? err : (int)info.id;
}

int safemap_audit_guard(struct safemap_audit *a, uint32_t map_id,
			const struct safemap_audit_policy *policy)
{
	int fd;

	if (!a || !map_id)
		return safemap__errorf(-EINVAL, "audit: guard: NULL audit or map id 0");
	fd = bpf_map_get_fd_by_id(map_id);
	if (fd < 0)
		return safemap__errorf(errno == ENOENT ? -ENOENT : -errno,
				       "audit: guard: no map with id %u: %s", map_id, strerror(errno));
	close(fd);
	return safemap__audit_guard_id(a, map_id, policy);
}

int safemap_audit_guard_pinned(struct safemap_audit *a, const char *path,
			       const struct safemap_audit_policy *policy)
{
	int fd, ret;

	if (!a || !path)
		return safemap__errorf(-EINVAL, "audit: guard_pinned: NULL argument");
	fd = bpf_obj_get(path);
	if (fd < 0)
		return safemap__errorf(-errno, "audit: guard_pinned: '%s': %s", path, strerror(errno));
	ret = guard_fd(a, fd, policy, path);
	close(fd);
	return ret;
}

int safemap_audit_guard_fd(struct safemap_audit *a, int fd,
			   const struct safemap_audit_policy *policy)
{
	if (!a || fd < 0)
		return safemap__errorf(-EINVAL, "audit: guard_fd: NULL audit or fd %d", fd);
	return guard_fd(a, fd, policy, "the fd");
}

int safemap_audit_unguard(struct safemap_audit *a, uint32_t map_id)
{
	struct sm_policy old;
	bool had;
	int err;

	if (!a || !map_id)
		return safemap__errorf(-EINVAL, "audit: unguard: NULL audit or map id 0");
	pthread_mutex_lock(&a->lock);
	had = bpf_map_lookup_elem(a->policy_fd, &map_id, &old) == 0;
	err = bpf_map_delete_elem(a->policy_fd, &map_id) ? -errno : 0;
	if (!err) {
		if (had)
			slots_put(a, &old, old.n_cgroups);
		filter_rebuild(a);
		a->guarded--;
		__atomic_store_n(a->nr_guarded, (uint32_t)a->guarded, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&a->lock);
	if (err == -ENOENT)
		return safemap__errorf(err, "audit: unguard: map id %u is not guarded", map_id);
	if (err)
		return safemap__errorf(err, "audit: unguard: map id %u: %s", map_id, strerror(-err));
	return 0;
}
