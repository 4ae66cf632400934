/* SPDX-License-Identifier: BSD-2-Clause */
/* The demo agent's --state FILE: the user-space map 'procs' survives a
 * restart. At start the file (if any) is loaded, all or nothing: a file that
 * is corrupt or of another type is refused and the agent starts empty. At
 * the end the map is saved crash-consistently (a snapshot, then
 * safemap_snapshot_save()). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "agent.h"

/* The kernel map starts anew with the agent: count the restored processes'
 * kernel entries from zero. */
static int restart_count(const void *key, void *value, bool present, void *ctx)
{
	struct proc_total *t = value;

	(void)key;
	(void)ctx;
	if (!present)
		return SAFEMAP_UPDATE_NONE;
	t->last_bpf = 0;
	return SAFEMAP_UPDATE_STORE;
}

static int reset_one(const void *key, const void *value, void *ctx)
{
	(void)value;
	safemap_update(ctx, key, restart_count, NULL, SAFEMAP_EXIST);
	return 0;
}

void agent_state_load(struct agent *a)
{
	struct safemap_snap *snap = NULL;
	int err;

	if (!a->state_path)
		return;
	err = safemap_load(a->procs, a->state_path, NULL);
	if (err == -ENOENT) {
		agent_say(a, "state", "no state file %s yet: 'procs' starts empty", a->state_path);
		return;
	}
	if (err) { /* kept aside for a look, not overwritten at the end */
		char aside[4096];

		snprintf(aside, sizeof(aside), "%s.refused", a->state_path);
		agent_say(a, "state", "state file refused (moved to %s), 'procs' starts empty: %s",
			  rename(a->state_path, aside) ? "nowhere: rename failed" : aside,
			  safemap_last_error());
		return;
	}
	if (!safemap_snapshot(a->procs, &snap)) {
		safemap_snapshot_foreach(snap, reset_one, a->procs);
		safemap_snapshot_free(snap);
	}
	a->restored = safemap_count(a->procs);
	agent_say(a, "state", "restored %zu processes into 'procs' from %s", a->restored,
		  a->state_path);
}

void agent_state_save(struct agent *a)
{
	struct safemap_snap *snap = NULL;
	int err;

	if (!a->state_path || !a->procs)
		return;
	err = safemap_snapshot(a->procs, &snap);
	if (!err)
		err = safemap_snapshot_save(snap, a->state_path, NULL);
	if (err)
		agent_say(a, "state", "saving 'procs' to %s failed: %s", a->state_path,
			  safemap_last_error());
	else
		agent_say(a, "state", "saved %zu processes of 'procs' to %s",
			  safemap_snapshot_count(snap), a->state_path);
	safemap_snapshot_free(snap);
}
