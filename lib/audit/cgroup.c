/* SPDX-License-Identifier: BSD-2-Clause */
/* The writer's cgroup: finding the cgroup v2 mount, a cgroup's id from its
 * path, a cgroup's directory from its id (for the probe's cgroup array),
 * and the bounded id -> path cache the report path uses. */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include "audit_internal.h"

#define CGROUP2_SUPER_MAGIC 0x63677270
#define FILEID_KERNFS 0xfe
#define NEGATIVE_MS 1000u  /* an id not found is looked for again after this */
#define WALK_DEPTH 64

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* /proc/self/mounts escapes space, tab, newline and backslash as \ooo. */
static void unescape_mount(char *s)
{
	char *w = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*w++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*w++ = *s;
		}
	}
	*w = '\0';
}

int safemap__cg_find_mount(char *buf, size_t len)
{
	char line[4096], dev[256], *mnt = NULL, *type = NULL, *save = NULL;
	FILE *f = fopen("/proc/self/mounts", "re");
	int err = -ENOENT;

	buf[0] = '\0';
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char *d = strtok_r(line, " ", &save);

		mnt = d ? strtok_r(NULL, " ", &save) : NULL;
		type = mnt ? strtok_r(NULL, " ", &save) : NULL;
		if (!type || strcmp(type, "cgroup2") != 0)
			continue;
		snprintf(dev, sizeof(dev), "%s", d);
		unescape_mount(mnt);
		if (strlen(mnt) >= len)
			continue;
		snprintf(buf, len, "%s", mnt);
		err = 0;
		break; /* the first: on hybrid hosts /sys/fs/cgroup/unified */
	}
	fclose(f);
	return err;
}

int safemap__cg_init(struct safemap__cgroups *c)
{
	struct statfs sf;

	memset(c, 0, sizeof(*c));
	c->mount_fd = -1;
	if (safemap__cg_find_mount(c->mount, sizeof(c->mount)) != 0)
		return 0; /* no cgroup v2: ids 0, paths empty */
	c->mount_fd = open(c->mount, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c->mount_fd < 0 || fstatfs(c->mount_fd, &sf) != 0 ||
	    (uint32_t)sf.f_type != CGROUP2_SUPER_MAGIC) {
		if (c->mount_fd >= 0)
			close(c->mount_fd);
		c->mount_fd = -1;
		c->mount[0] = '\0';
	}
	return 0;
}

void safemap__cg_fini(struct safemap__cgroups *c)
{
	for (int i = 0; i < SAFEMAP__CG_CACHE; i++)
		free(c->e[i].path);
	if (c->mount_fd >= 0)
		close(c->mount_fd);
	memset(c, 0, sizeof(*c));
	c->mount_fd = -1;
}

/* An absolute path under the mount for @p path: as given when it is under
 * the mount already, else relative to the mount ("/a/b" and "a/b" alike). */
static int full_path(const char *mount, const char *path, char *out, size_t len)
{
	size_t ml = strlen(mount);
	int n;

	if (strncmp(path, mount, ml) == 0 && (path[ml] == '/' || path[ml] == '\0'))
		n = snprintf(out, len, "%s", path);
	else
		n = snprintf(out, len, "%s%s%s", mount, path[0] == '/' ? "" : "/", path);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int safemap_audit_cgroup_id(const char *path, uint64_t *id)
{
	char mount[PATH_MAX], full[PATH_MAX];
	struct statfs sf;
	struct stat st;
	int err;

	if (id)
		*id = 0;
	if (!path || !id)
		return safemap__errorf(-EINVAL, "audit: cgroup_id: NULL argument");
	if ((err = safemap__cg_find_mount(mount, sizeof(mount))))
		return safemap__errorf(-EOPNOTSUPP, "audit: no cgroup v2 hierarchy is mounted "
				       "(/proc/self/mounts): cgroups cannot be named");
	if (full_path(mount, path, full, sizeof(full)))
		return safemap__errorf(-ENAMETOOLONG, "audit: cgroup path too long");
	if (stat(full, &st) != 0 || statfs(full, &sf) != 0)
		return safemap__errorf(-errno, "audit: cgroup '%s': %s", full, strerror(errno));
	if (!S_ISDIR(st.st_mode) || (uint32_t)sf.f_type != CGROUP2_SUPER_MAGIC)
		return safemap__errorf(-EINVAL, "audit: '%s' is not a cgroup v2 directory", full);
	*id = (uint64_t)st.st_ino; /* kernfs: the inode number is the cgroup id */
	return 0;
}

/* ---- id -> directory ---- */

/* Open the directory of cgroup @p id: by handle (kernfs file handles carry
 * the id), O(1); needs CAP_DAC_READ_SEARCH, which the probe's user has. */
static int open_by_id(const struct safemap__cgroups *c, uint64_t id)
{
	struct {
		struct file_handle h;
		unsigned char id[8];
	} fh;
	struct stat st;
	int fd;

	if (c->mount_fd < 0)
		return -EOPNOTSUPP;
	fh.h.handle_bytes = sizeof(fh.id);
	fh.h.handle_type = FILEID_KERNFS;
	memcpy(fh.h.f_handle, &id, sizeof(id));
	fd = open_by_handle_at(c->mount_fd, &fh.h, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errno == ESTALE ? -ENOENT : -errno;
	if (fstat(fd, &st) != 0 || (uint64_t)st.st_ino != id) {
		close(fd);
		return -ENOENT;
	}
	return fd;
}

int safemap__cg_open(const struct safemap__cgroups *c, uint64_t id)
{
	return open_by_id(c, id);
}

/* ---- id -> path ---- */

/* The path of @p fd (a cgroup directory) relative to the mount, or NULL. */
static char *path_of_fd(const struct safemap__cgroups *c, int fd)
{
	char link[64], target[PATH_MAX];
	size_t ml = strlen(c->mount);
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target) - 1);
	if (n <= 0 || (size_t)n >= sizeof(target) - 1)
		return NULL;
	target[n] = '\0';
	if (strncmp(target, c->mount, ml) != 0 || (target[ml] != '/' && target[ml] != '\0'))
		return NULL; /* a disconnected dentry, another namespace: walk instead */
	return strdup(target[ml] ? target + ml : "/");
}

/* Depth-first walk below @p dfd (path @p rel) for the directory whose inode
 * is @p id: the fallback when the handle's path cannot be read. */
static char *walk(int dfd, const char *rel, uint64_t id, int depth)
{
	DIR *d;
	struct dirent *de;
	char *found = NULL;

	if (depth > WALK_DEPTH)
		return NULL;
	d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return NULL;
	}
	while (!found && (de = readdir(d))) {
		char sub[PATH_MAX];
		struct stat st;
		int fd;

		if (de->d_type != DT_DIR || !strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
			continue;
		if ((size_t)snprintf(sub, sizeof(sub), "%s/%s", rel, de->d_name) >= sizeof(sub))
			continue;
		if ((uint64_t)st.st_ino == id) {
			found = strdup(sub);
			break;
		}
		fd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
		if (fd >= 0)
			found = walk(fd, sub, id, depth + 1);
	}
	closedir(d);
	return found;
}

static char *resolve(const struct safemap__cgroups *c, uint64_t id)
{
	struct stat st;
	char *p = NULL;
	int fd;

	if (fstat(c->mount_fd, &st) == 0 && (uint64_t)st.st_ino == id)
		return strdup("/");
	fd = open_by_id(c, id);
	if (fd >= 0) {
		p = path_of_fd(c, fd);
		close(fd);
		if (p)
			return p;
	} else if (fd == -ENOENT) {
		return NULL; /* gone (ids are never reused) */
	}
	fd = openat(c->mount_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return fd >= 0 ? walk(fd, "", id, 0) : NULL;
}

const char *safemap__cg_path(struct safemap__cgroups *c, uint64_t id)
{
	struct safemap__cg_entry *e, *victim = NULL;
	uint64_t now;
	char *p;

	if (!id || c->mount_fd < 0)
		return "";
	c->clock++;
	for (int i = 0; i < SAFEMAP__CG_CACHE; i++) {
		e = &c->e[i];
		if (e->id == id) {
			if (e->path || mono_ms() - e->when_ms < NEGATIVE_MS) {
				e->used = c->clock;
				c->hits++;
				return e->path ? e->path : "";
			}
			victim = e; /* not found last time: look again */
			break;
		}
		if (!victim || e->used < victim->used)
			victim = e; /* the least recently used (or a free one) */
	}
	c->misses++;
	now = mono_ms();
	p = resolve(c, id);
	free(victim->path);
	victim->id = id;
	victim->path = p;
	victim->when_ms = now;
	victim->used = c->clock;
	return p ? p : "";
}
