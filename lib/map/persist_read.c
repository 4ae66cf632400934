/* SPDX-License-Identifier: BSD-2-Clause */
/* Reading and validating a snapshot file (format: persist_format.h), and
 * safemap_snapshot_inspect(). Nothing of a file is trusted before it is
 * checked: every length is bounded before it sizes an allocation or an
 * offset, every block's CRC is checked before its bytes are inflated. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "persist.h"
#include "persist_format.h"

static void *f_alloc(struct safemap__snapfile *f, size_t n)
{
	return f->m ? safemap__malloc(f->m, n) : malloc(n);
}

static void f_free(struct safemap__snapfile *f, void *p, size_t n)
{
	if (f->m)
		safemap__free(f->m, p, n);
	else
		free(p);
}

void safemap__snapfile_free(struct safemap__snapfile *f)
{
	if (f->buf)
		f_free(f, f->buf, f->size);
	if (f->raw)
		f_free(f, f->raw, f->raw_size);
	if (f->block)
		f_free(f, f->block, f->block_cap * sizeof(*f->block));
	f->buf = f->raw = NULL;
	f->block = NULL;
}

static int bad(struct safemap__snapfile *f, const char *path, uint64_t off, const char *what)
{
	f->bad_offset = off;
	return safemap__errorf(-EBADMSG, "snapshot '%s': %s at offset %llu", path, what,
			       (unsigned long long)off);
}

static int read_all(const char *path, struct safemap__snapfile *f)
{
	struct stat st;
	size_t done = 0;
	int fd, err = 0;

	/* O_NONBLOCK: opening a FIFO must not wait for a writer */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return safemap__errorf(-errno, "snapshot '%s': open: %s", path, strerror(errno));
	if (fstat(fd, &st)) {
		err = safemap__errorf(-errno, "snapshot '%s': stat: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		err = safemap__errorf(-EINVAL, "snapshot '%s': not a regular file", path);
		goto out;
	}
	f->size = (size_t)st.st_size;
	f->buf = f_alloc(f, f->size ? f->size : 1);
	if (!f->buf) {
		err = safemap__errorf(-ENOMEM, "snapshot '%s': out of memory for %zu bytes", path,
				      f->size);
		goto out;
	}
	while (done < f->size) {
		ssize_t n = read(fd, f->buf + done, f->size - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = safemap__errorf(-errno, "snapshot '%s': read: %s", path, strerror(errno));
			goto out;
		}
		if (n == 0) { /* shrank while we read: what is there is what we check */
			f->size = done;
			break;
		}
		done += (size_t)n;
	}
out:
	close(fd);
	return err;
}

static void copy_name(char *dst, const unsigned char *src, size_t n)
{
	memcpy(dst, src, n);
	dst[n] = 0;
}

/* The fixed header and the names; sets the sizes. Returns the offset of the
 * first block, or a negative errno. */
static long long parse_header(const char *path, struct safemap__snapfile *f, uint32_t *crc)
{
	const unsigned char *p = f->buf;
	uint32_t klen, vlen, hdr;

	if (f->size < SAFEMAP__SNAP_HDR_FIXED + 4 + SAFEMAP__SNAP_TRAILER)
		return bad(f, path, f->size, "truncated (too short for a header and a trailer)");
	if (memcmp(p, SAFEMAP__SNAP_MAGIC, 8))
		return bad(f, path, 0, "not a libsafemap snapshot (bad magic)");
	f->version = safemap__get_le32(p + 8);
	f->flags = safemap__get_le32(p + 12);
	f->key_size = safemap__get_le32(p + 16);
	f->value_size = safemap__get_le32(p + 20);
	f->count = safemap__get_le64(p + 24);
	klen = (uint32_t)p[32] | (uint32_t)p[33] << 8;
	vlen = (uint32_t)p[34] | (uint32_t)p[35] << 8;
	f->block_entries = safemap__get_le32(p + 36);
	if (f->version != SAFEMAP__SNAP_VERSION)
		return bad(f, path, 8, "unsupported format version");
	if (f->flags & ~SAFEMAP__SNAP_FLAGS_KNOWN)
		return bad(f, path, 12, "unknown format flags");
	if (!f->key_size || f->key_size > SAFEMAP__SNAP_MAX_KV)
		return bad(f, path, 16, "bad key size");
	if (!f->value_size || f->value_size > SAFEMAP__SNAP_MAX_KV)
		return bad(f, path, 20, "bad value size");
	if (klen > SAFEMAP__SNAP_MAX_NAME || vlen > SAFEMAP__SNAP_MAX_NAME)
		return bad(f, path, 32, "type name too long");
	f->rec = f->key_size + f->value_size;
	if (!f->block_entries || f->block_entries > SAFEMAP__SNAP_MAX_BLOCK_ENTRIES ||
	    (uint64_t)f->block_entries * f->rec > SAFEMAP__SNAP_MAX_RAW)
		return bad(f, path, 36, "bad block size");
	hdr = SAFEMAP__SNAP_HDR_FIXED + klen + vlen;
	if (f->size < hdr + 4 + SAFEMAP__SNAP_TRAILER)
		return bad(f, path, f->size, "truncated in the header");
	*crc = (uint32_t)crc32(0, p, hdr);
	if (*crc != safemap__get_le32(p + hdr))
		return bad(f, path, hdr, "header CRC mismatch");
	copy_name(f->key_type, p + SAFEMAP__SNAP_HDR_FIXED, klen);
	copy_name(f->value_type, p + SAFEMAP__SNAP_HDR_FIXED + klen, vlen);
	*crc = (uint32_t)crc32(*crc, p + hdr, 4);
	return hdr + 4;
}

/* Room for every block pointer and (compressed) every record, bounded by
 * what a file of this size can hold. */
static int alloc_blocks(const char *path, struct safemap__snapfile *f, size_t body)
{
	uint64_t nblocks = f->count / f->block_entries + (f->count % f->block_entries != 0);

	/* every block takes its header at least; an uncompressed one its records */
	if (nblocks > body / SAFEMAP__SNAP_BLOCK_HDR ||
	    (!(f->flags & SAFEMAP__SNAP_F_ZLIB) && f->count > body / f->rec))
		return bad(f, path, 24, "entry count larger than the file can hold");
	f->block_cap = nblocks ? (size_t)nblocks : 1;
	f->block = f_alloc(f, f->block_cap * sizeof(*f->block));
	if (!f->block)
		return safemap__errorf(-ENOMEM, "snapshot '%s': out of memory", path);
	if (f->flags & SAFEMAP__SNAP_F_ZLIB) {
		/* zlib inflates at most ~1032x: a bound that keeps a small
		 * corrupt file from asking for gigabytes */
		if (f->count > ((uint64_t)body * 1032 + 1032) / f->rec)
			return bad(f, path, 24, "entry count larger than the file can hold");
		f->raw_size = (size_t)(f->count * f->rec);
		f->raw = f_alloc(f, f->raw_size ? f->raw_size : 1);
		if (!f->raw)
			return safemap__errorf(-ENOMEM, "snapshot '%s': out of memory for %zu bytes",
					       path, f->raw_size);
	}
	return 0;
}

static long long parse_block(const char *path, struct safemap__snapfile *f, size_t off,
			     size_t end, uint64_t b, uint32_t *filecrc)
{
	const unsigned char *p = f->buf + off;
	uint64_t want = f->count - b * f->block_entries;
	uint32_t entries, raw_len, stored;
	bool z = f->flags & SAFEMAP__SNAP_F_ZLIB;

	if (want > f->block_entries)
		want = f->block_entries;
	if (end - off < SAFEMAP__SNAP_BLOCK_HDR)
		return bad(f, path, off, "truncated in a block header");
	if (memcmp(p, SAFEMAP__SNAP_BLOCK_MAGIC, 4))
		return bad(f, path, off, "bad block magic");
	entries = safemap__get_le32(p + 4);
	raw_len = safemap__get_le32(p + 8);
	stored = safemap__get_le32(p + 12);
	if (entries != want)
		return bad(f, path, off + 4, "block entry count does not match the header's count");
	if ((uint64_t)raw_len != (uint64_t)entries * f->rec)
		return bad(f, path, off + 8, "block length does not match its entries");
	if ((z ? stored > compressBound(raw_len) : stored != raw_len) ||
	    stored > end - off - SAFEMAP__SNAP_BLOCK_HDR)
		return bad(f, path, off + 12, "bad stored block length (truncated?)");
	if ((uint32_t)crc32(crc32(0, p, 16), p + SAFEMAP__SNAP_BLOCK_HDR, stored) !=
	    safemap__get_le32(p + 16))
		return bad(f, path, off, "block CRC mismatch");
	if (z) {
		unsigned char *dst = f->raw + b * f->block_entries * f->rec;
		uLongf got = raw_len;

		if (uncompress(dst, &got, p + SAFEMAP__SNAP_BLOCK_HDR, stored) != Z_OK ||
		    got != raw_len)
			return bad(f, path, off + SAFEMAP__SNAP_BLOCK_HDR,
				   "block does not inflate to its length");
		f->block[b] = dst;
	} else {
		f->block[b] = p + SAFEMAP__SNAP_BLOCK_HDR;
	}
	*filecrc = (uint32_t)crc32(*filecrc, p, SAFEMAP__SNAP_BLOCK_HDR);
	return (long long)(off + SAFEMAP__SNAP_BLOCK_HDR + stored);
}

static int parse_trailer(const char *path, struct safemap__snapfile *f, size_t off,
			 uint32_t filecrc)
{
	const unsigned char *p = f->buf + off;

	if (f->size - off > SAFEMAP__SNAP_TRAILER)
		return bad(f, path, off + SAFEMAP__SNAP_TRAILER, "trailing bytes after the trailer");
	if (f->size - off < SAFEMAP__SNAP_TRAILER)
		return bad(f, path, f->size, "truncated in the trailer");
	if (memcmp(p, SAFEMAP__SNAP_END_MAGIC, 4) || safemap__get_le32(p + 4))
		return bad(f, path, off, "bad trailer magic (truncated?)");
	if ((uint32_t)crc32(0, p, 20) != safemap__get_le32(p + 20))
		return bad(f, path, off + 20, "trailer CRC mismatch");
	if (safemap__get_le64(p + 8) != f->count)
		return bad(f, path, off + 8, "trailer count differs from the header's");
	if (safemap__get_le32(p + 16) != filecrc)
		return bad(f, path, off + 16, "file CRC mismatch");
	return 0;
}

int safemap__snapfile_read(const char *path, struct safemap *m, struct safemap__snapfile *f)
{
	uint32_t crc = 0;
	long long off;
	size_t end;
	uint64_t b;
	int err;

	memset(f, 0, sizeof(*f));
	f->m = m;
	err = read_all(path, f);
	if (err)
		return err;
	off = parse_header(path, f, &crc);
	if (off < 0)
		return (int)off;
	end = f->size - SAFEMAP__SNAP_TRAILER;
	err = alloc_blocks(path, f, end - (size_t)off);
	if (err)
		return err;
	for (b = 0; b * f->block_entries < f->count; b++, f->blocks++) {
		off = parse_block(path, f, (size_t)off, end, b, &crc);
		if (off < 0)
			return (int)off;
	}
	return parse_trailer(path, f, (size_t)off, crc);
}

int safemap_snapshot_inspect(const char *path, struct safemap_snapshot_info *info)
{
	struct safemap__snapfile *f;
	struct safemap_snapshot_info out;
	int err;

	if (!path || !info)
		return safemap__errorf(-EINVAL, "safemap_snapshot_inspect: NULL %s",
				       path ? "info" : "path");
	if (info->sz < offsetof(struct safemap_snapshot_info, bad_offset) + sizeof(uint64_t))
		return safemap__errorf(-EINVAL, "safemap_snapshot_inspect: info->sz %zu too small",
				       info->sz);
	f = malloc(sizeof(*f));
	if (!f)
		return safemap__errorf(-ENOMEM, "safemap_snapshot_inspect: out of memory");
	err = safemap__snapfile_read(path, NULL, f);
	memset(&out, 0, sizeof(out));
	out.sz = sizeof(out);
	out.version = f->version;
	out.flags = f->flags;
	out.key_size = f->key_size;
	out.value_size = f->value_size;
	out.count = f->count;
	out.blocks = f->blocks;
	out.file_size = f->size;
	out.bad_offset = err == -EBADMSG ? f->bad_offset : 0;
	memcpy(out.key_type, f->key_type, sizeof(out.key_type));
	memcpy(out.value_type, f->value_type, sizeof(out.value_type));
	memcpy((char *)info + sizeof(size_t), (char *)&out + sizeof(size_t),
	       (info->sz < sizeof(out) ? info->sz : sizeof(out)) - sizeof(size_t));
	safemap__snapfile_free(f);
	free(f);
	return err;
}
