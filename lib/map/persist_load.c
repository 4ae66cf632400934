/* SPDX-License-Identifier: BSD-2-Clause */
/* safemap_load(): a snapshot file into a map, all or nothing. The file is
 * validated whole first (persist_read.c); then every entry goes in through
 * safemap_put(), so events, metrics and guards are those of single puts;
 * a failed put undoes what the load did. */
#include <errno.h>
#include <stdio.h>

#include "persist.h"

/* What the load did to record i (the undo log). */
enum {
	REC_UNTOUCHED,
	REC_ADDED,      /* pass 1 added it */
	REC_PRESENT,    /* pass 1 found it present; it has a slot in the undo log */
	REC_REPLACED,   /* pass 2 replaced it; the old bytes are in its slot */
	REC_ADDED_LATE, /* pass 2 found it deleted meanwhile and added it (has a slot) */
};

struct load {
	struct safemap *m;
	const struct safemap__snapfile *f;
	unsigned flags;
	unsigned char *state;   /* count records: REC_* */
	unsigned char *old;     /* the replaced values, in record order */
	uint64_t npresent;      /* records found present in pass 1 */
	uint64_t failed_at;     /* the record whose put failed */
	char why[256];          /* that put's detail */
};

static const void *rec_key(const struct load *l, uint64_t i)
{
	return safemap__snapfile_rec(l->f, i);
}

static const void *rec_value(const struct load *l, uint64_t i)
{
	return safemap__snapfile_rec(l->f, i) + l->f->key_size;
}

static int failed(struct load *l, uint64_t i, int err)
{
	l->failed_at = i;
	snprintf(l->why, sizeof(l->why), "%s", safemap_last_error());
	return err;
}

/* Pass 1: every record as a new key; present keys wait for pass 2 (ANY)
 * or fail the load (NOEXIST). */
static int add_new(struct load *l)
{
	uint64_t i;
	int err;

	for (i = 0; i < l->f->count; i++) {
		err = safemap_put(l->m, rec_key(l, i), rec_value(l, i), SAFEMAP_NOEXIST);
		if (!err) {
			l->state[i] = REC_ADDED;
		} else if (err == -EEXIST && l->flags == SAFEMAP_ANY) {
			l->state[i] = REC_PRESENT;
			l->npresent++;
		} else {
			return failed(l, i, err);
		}
	}
	return 0;
}

/* Pass 2 (ANY): replace the present keys' values, keeping the old bytes. */
static int replace_present(struct load *l)
{
	size_t vs = l->f->value_size;
	uint64_t i, j = 0;
	int err;

	if (!l->npresent)
		return 0;
	if (l->npresent > SIZE_MAX / vs ||
	    !(l->old = safemap__malloc(l->m, (size_t)l->npresent * vs))) {
		snprintf(l->why, sizeof(l->why), "out of memory for the undo log");
		l->failed_at = 0;
		return -ENOMEM;
	}
	for (i = 0; i < l->f->count; i++) {
		if (l->state[i] != REC_PRESENT)
			continue;
		err = safemap_get(l->m, rec_key(l, i), l->old + j++ * vs);
		if (err == -ENOENT) { /* deleted meanwhile: add it */
			err = safemap_put(l->m, rec_key(l, i), rec_value(l, i), SAFEMAP_NOEXIST);
			if (!err)
				l->state[i] = REC_ADDED_LATE;
		} else if (!err) {
			err = safemap_put(l->m, rec_key(l, i), rec_value(l, i), SAFEMAP_ANY);
			if (!err)
				l->state[i] = REC_REPLACED;
		}
		if (err)
			return failed(l, i, err);
	}
	return 0;
}

/* Undo in reverse order; returns how many records could not be undone. */
static uint64_t undo(struct load *l)
{
	size_t vs = l->f->value_size;
	uint64_t i = l->f->count, j = l->npresent, left = 0;

	while (i--) {
		if (l->state[i] >= REC_PRESENT)
			j--; /* j: this record's slot in the undo log */
		if (l->state[i] == REC_REPLACED)
			left += safemap_put(l->m, rec_key(l, i), l->old + j * vs, SAFEMAP_ANY) != 0;
		else if (l->state[i] == REC_ADDED || l->state[i] == REC_ADDED_LATE)
			left += safemap_delete(l->m, rec_key(l, i)) != 0;
	}
	return left;
}

static bool names_differ(const char *a, const char *b)
{
	return a[0] && b[0] && strcmp(a, b);
}

static int check_type(struct safemap *m, const struct safemap__snapfile *f, const char *path)
{
	if (f->key_size == m->key_size && f->value_size == m->value_size &&
	    !names_differ(f->key_type, m->key_type) && !names_differ(f->value_type, m->value_type))
		return 0;
	return safemap__refuse(m, NULL, SAFEMAP_OP_OPEN, SAFEMAP_REASON_TYPE_MISMATCH, -EPROTO, NULL,
			       "map '%s' holds %s (%u bytes) -> %s (%u bytes), snapshot '%s' %s (%u bytes) -> %s (%u bytes) (map unchanged)",
			       m->name, m->key_type[0] ? m->key_type : "key", m->key_size,
			       m->value_type[0] ? m->value_type : "value", m->value_size, path,
			       f->key_type[0] ? f->key_type : "key", f->key_size,
			       f->value_type[0] ? f->value_type : "value", f->value_size);
}

static int store_all(struct safemap *m, const struct safemap__snapfile *f, const char *path,
		     unsigned flags)
{
	struct load l = { .m = m, .f = f, .flags = flags };
	uint64_t left;
	int err;

	if (f->count > SIZE_MAX || !(l.state = safemap__malloc(m, f->count ? (size_t)f->count : 1)))
		return safemap__errorf(-ENOMEM, "snapshot '%s': out of memory for %llu entries (map unchanged)",
				       path, (unsigned long long)f->count);
	memset(l.state, REC_UNTOUCHED, (size_t)f->count);
	err = add_new(&l);
	if (!err)
		err = replace_present(&l);
	if (err) {
		left = undo(&l);
		if (left)
			err = safemap__errorf(err, "snapshot '%s': entry %llu of %llu: %s; %llu entries could not be undone (a freeze began during the load?)",
					      path, (unsigned long long)l.failed_at,
					      (unsigned long long)f->count, l.why,
					      (unsigned long long)left);
		else
			err = safemap__errorf(err, "snapshot '%s': entry %llu of %llu: %s; load undone (map unchanged)",
					      path, (unsigned long long)l.failed_at,
					      (unsigned long long)f->count, l.why);
	}
	safemap__free(m, l.old, (size_t)l.npresent * f->value_size);
	safemap__free(m, l.state, f->count ? (size_t)f->count : 1);
	return err;
}

int safemap_load(struct safemap *m, const char *path, const struct safemap_load_opts *opts)
{
	struct safemap_load_opts o;
	struct safemap__snapfile *f;
	int err;

	if (!m || !path)
		return safemap__errorf(-EINVAL, "safemap_load: NULL %s", m ? "path" : "map");
	err = safemap__opts_copy(&o, sizeof(o), opts, "safemap_load_opts");
	if (err)
		return err;
	if (o.flags != SAFEMAP_ANY && o.flags != SAFEMAP_NOEXIST)
		return safemap__errorf(-EINVAL, "safemap_load: flags %u: SAFEMAP_ANY or SAFEMAP_NOEXIST",
				       o.flags);
	f = safemap__malloc(m, sizeof(*f));
	if (!f)
		return safemap__errorf(-ENOMEM, "safemap_load: out of memory");
	err = safemap__snapfile_read(path, m, f);
	if (!err)
		err = check_type(m, f, path);
	if (!err)
		err = store_all(m, f, path, o.flags);
	safemap__snapfile_free(f);
	safemap__free(m, f, sizeof(*f));
	return err;
}
