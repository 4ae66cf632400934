/* SPDX-License-Identifier: BSD-2-Clause */
/* safemap_snapshot_save(): a snapshot to a file (format: persist_format.h),
 * crash-consistently: a temporary file beside the target, fsync, rename,
 * fsync of the directory. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "persist_format.h"
#include "snapshot.h"

struct writer {
	int fd;
	const char *tmp;
	uint32_t filecrc; /* over the header and every block header */
	int err;          /* the first failure (detail set) */
};

static void w_write(struct writer *w, const void *buf, size_t n)
{
	const unsigned char *p = buf;

	while (!w->err && n) {
		ssize_t k = write(w->fd, p, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			w->err = safemap__errorf(-errno, "snapshot save: write '%s': %s", w->tmp,
						 strerror(errno));
			return;
		}
		p += k;
		n -= (size_t)k;
	}
}

static void write_header(struct writer *w, const struct safemap__snap_view *v, uint32_t flags,
			 uint32_t block_entries)
{
	size_t klen = strlen(v->key_type), vlen = strlen(v->value_type);
	unsigned char fixed[SAFEMAP__SNAP_HDR_FIXED], crc[4];

	memcpy(fixed, SAFEMAP__SNAP_MAGIC, 8);
	safemap__put_le32(fixed + 8, SAFEMAP__SNAP_VERSION);
	safemap__put_le32(fixed + 12, flags);
	safemap__put_le32(fixed + 16, v->key_size);
	safemap__put_le32(fixed + 20, v->value_size);
	safemap__put_le64(fixed + 24, v->count);
	fixed[32] = (unsigned char)klen;
	fixed[33] = (unsigned char)(klen >> 8);
	fixed[34] = (unsigned char)vlen;
	fixed[35] = (unsigned char)(vlen >> 8);
	safemap__put_le32(fixed + 36, block_entries);
	w->filecrc = (uint32_t)crc32(0, fixed, sizeof(fixed));
	w->filecrc = (uint32_t)crc32(w->filecrc, (const Bytef *)v->key_type, (uInt)klen);
	w->filecrc = (uint32_t)crc32(w->filecrc, (const Bytef *)v->value_type, (uInt)vlen);
	safemap__put_le32(crc, w->filecrc);
	w->filecrc = (uint32_t)crc32(w->filecrc, crc, 4);
	w_write(w, fixed, sizeof(fixed));
	w_write(w, v->key_type, klen);
	w_write(w, v->value_type, vlen);
	w_write(w, crc, 4);
}

/* One block of @p n records from record @p first; @p raw and @p z are
 * buffers of the block's raw size and of compressBound() of it. */
static void write_block(struct writer *w, const struct safemap__snap_view *v, size_t first,
			uint32_t n, int level, unsigned char *raw, unsigned char *z, size_t zcap)
{
	uint32_t rec = v->key_size + v->value_size, raw_len = n * rec, i;
	unsigned char hdr[SAFEMAP__SNAP_BLOCK_HDR];
	const unsigned char *stored = raw;
	uLongf stored_len = raw_len;

	for (i = 0; i < n; i++) { /* key|value, without the snapshot's padding */
		const unsigned char *r = v->records + (first + i) * v->stride;

		memcpy(raw + (size_t)i * rec, r, v->key_size);
		memcpy(raw + (size_t)i * rec + v->key_size, r + v->value_off, v->value_size);
	}
	if (level) {
		stored_len = zcap;
		if (compress2(z, &stored_len, raw, raw_len, level) != Z_OK) {
			w->err = safemap__errorf(-ENOMEM, "snapshot save: zlib failed to compress a block");
			return;
		}
		stored = z;
	}
	memcpy(hdr, SAFEMAP__SNAP_BLOCK_MAGIC, 4);
	safemap__put_le32(hdr + 4, n);
	safemap__put_le32(hdr + 8, raw_len);
	safemap__put_le32(hdr + 12, (uint32_t)stored_len);
	safemap__put_le32(hdr + 16, (uint32_t)crc32(crc32(0, hdr, 16), stored, (uInt)stored_len));
	w->filecrc = (uint32_t)crc32(w->filecrc, hdr, sizeof(hdr));
	w_write(w, hdr, sizeof(hdr));
	w_write(w, stored, stored_len);
}

static void write_trailer(struct writer *w, uint64_t count)
{
	unsigned char t[SAFEMAP__SNAP_TRAILER];

	memcpy(t, SAFEMAP__SNAP_END_MAGIC, 4);
	safemap__put_le32(t + 4, 0);
	safemap__put_le64(t + 8, count);
	safemap__put_le32(t + 16, w->filecrc);
	safemap__put_le32(t + 20, (uint32_t)crc32(0, t, 20));
	w_write(w, t, sizeof(t));
}

static void write_entries(struct writer *w, const struct safemap__snap_view *v, int level)
{
	uint32_t rec = v->key_size + v->value_size, per = safemap__snap_block_entries(rec);
	size_t raw_cap = (size_t)per * rec, zcap = level ? compressBound(raw_cap) : 0, i;
	unsigned char *raw = malloc(raw_cap), *z = level ? malloc(zcap) : NULL;

	if (!raw || (level && !z)) {
		w->err = safemap__errorf(-ENOMEM, "snapshot save: out of memory for a block buffer");
	} else {
		write_header(w, v, level ? SAFEMAP__SNAP_F_ZLIB : 0, per);
		for (i = 0; i < v->count && !w->err; i += per)
			write_block(w, v, i, (uint32_t)(v->count - i < per ? v->count - i : per),
				    level, raw, z, zcap);
		write_trailer(w, v->count);
	}
	free(raw);
	free(z);
}

/* Temporary files of earlier saves to @p path by processes that are gone
 * (killed while saving): "BASE.tmp.PID.N" in the same directory. */
static void remove_stale(const char *dir, const char *base)
{
	size_t blen = strlen(base);
	struct dirent *de;
	DIR *d = opendir(dir);

	if (!d)
		return;
	while ((de = readdir(d))) {
		const char *p = de->d_name;
		char *end;
		long pid;

		if (strncmp(p, base, blen) || strncmp(p + blen, ".tmp.", 5))
			continue;
		pid = strtol(p + blen + 5, &end, 10);
		if (end == p + blen + 5 || *end != '.' || pid <= 0 || pid == getpid())
			continue;
		if (kill((pid_t)pid, 0) && errno == ESRCH)
			unlinkat(dirfd(d), p, 0);
	}
	closedir(d);
}

static int sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), err = 0;

	if (fd < 0)
		return safemap__errorf(-errno, "snapshot save: open directory '%s': %s", dir,
				       strerror(errno));
	if (fsync(fd) && errno != EINVAL)
		err = safemap__errorf(-errno, "snapshot save: fsync directory '%s': %s", dir,
				      strerror(errno));
	close(fd);
	return err;
}

static int save_to(const struct safemap__snap_view *v, const char *path, const char *dir,
		   const char *base, const struct safemap_save_opts *o)
{
	static unsigned long seq;
	mode_t mode = o->mode ? (mode_t)(o->mode & 07777) : 0600;
	struct writer w = { .fd = -1 };
	char *tmp;
	int n;

	remove_stale(dir, base);
	n = snprintf(NULL, 0, "%s.tmp.%d.%lu", path, (int)getpid(), 0ul) + 24;
	tmp = malloc((size_t)n);
	if (!tmp)
		return safemap__errorf(-ENOMEM, "snapshot save: out of memory");
	snprintf(tmp, (size_t)n, "%s.tmp.%d.%lu", path, (int)getpid(),
		 __atomic_add_fetch(&seq, 1, __ATOMIC_RELAXED));
	w.tmp = tmp;
	w.fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
	if (w.fd < 0) {
		w.err = safemap__errorf(-errno, "snapshot save: create '%s': %s", tmp,
					strerror(errno));
		free(tmp);
		return w.err;
	}
	if (fchmod(w.fd, mode)) /* the umask does not decide the file's mode */
		w.err = safemap__errorf(-errno, "snapshot save: chmod '%s': %s", tmp, strerror(errno));
	write_entries(&w, v, o->compression);
	if (!w.err && fsync(w.fd))
		w.err = safemap__errorf(-errno, "snapshot save: fsync '%s': %s", tmp, strerror(errno));
	if (close(w.fd) && !w.err)
		w.err = safemap__errorf(-errno, "snapshot save: close '%s': %s", tmp, strerror(errno));
	if (!w.err && rename(tmp, path))
		w.err = safemap__errorf(-errno, "snapshot save: rename '%s' to '%s': %s", tmp, path,
					strerror(errno));
	if (w.err)
		unlink(tmp);
	else
		w.err = sync_dir(dir);
	free(tmp);
	return w.err;
}

int safemap_snapshot_save(const struct safemap_snap *snap, const char *path,
			  const struct safemap_save_opts *opts)
{
	struct safemap_save_opts o;
	struct safemap__snap_view v;
	char *d, *b;
	int err;

	if (!snap || !path || !*path)
		return safemap__errorf(-EINVAL, "safemap_snapshot_save: NULL or empty %s",
				       snap ? "path" : "snapshot");
	err = safemap__opts_copy(&o, sizeof(o), opts, "safemap_save_opts");
	if (err)
		return err;
	if (o.compression < 0 || o.compression > 9)
		return safemap__errorf(-EINVAL, "safemap_snapshot_save: compression %d is not 0..9",
				       o.compression);
	safemap__snap_view(snap, &v);
	if (v.key_size > SAFEMAP__SNAP_MAX_KV || v.value_size > SAFEMAP__SNAP_MAX_KV)
		return safemap__errorf(-EINVAL, "safemap_snapshot_save: keys or values over %u bytes",
				       SAFEMAP__SNAP_MAX_KV);
	if (strlen(v.key_type) > SAFEMAP__SNAP_MAX_NAME ||
	    strlen(v.value_type) > SAFEMAP__SNAP_MAX_NAME)
		return safemap__errorf(-EINVAL, "safemap_snapshot_save: a type name is over %u bytes",
				       SAFEMAP__SNAP_MAX_NAME);
	d = strdup(path);
	b = strdup(path);
	if (!d || !b)
		err = safemap__errorf(-ENOMEM, "safemap_snapshot_save: out of memory");
	else
		err = save_to(&v, path, dirname(d), basename(b), &o);
	free(d);
	free(b);
	return err;
}
