/* SPDX-License-Identifier: GPL-2.0-or-later */
/* kfs_cache: files and directories read again and again (every sample)
 * kept open and re-read from offset 0, with what a listed directory held
 * remembered so that descriptors under a replaced entry are dropped. */
#include "kfs.h"
#include "hash.h"
#include "parse.h"
#include "vec.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A directory listed through the cache: its last getdents64 answer (the
 * names and inode numbers, compared with the next listing's) and the
 * sorted names handed to the caller. */
struct kfs_dir {
	char *ents;	/* struct dirent64 records */
	size_t len, cap;
	char **names;
	size_t nnames, ncap;
};

struct kfs_cache_ent {
	uint32_t hash; /* of key, checked before strcmp */
	int fd;
	char *key;     /* "<root>/<path>" */
	struct kfs_dir *dir, *spare; /* a directory's last listing, and
				      * buffers for the next; NULL for files */
};

/* Entries found by the hash of their key: open addressing over twice as
 * many slots as entries, each holding an entry's index + 1 (0: empty).
 * Dropping an entry moves another, so a drop marks the index stale and the
 * next lookup rebuilds it (drops are rare: a file gone or replaced). */
#define SLOTS 2048
_Static_assert(SLOTS >= 2 * KFS_CACHE_MAX && !(SLOTS & (SLOTS - 1)), "SLOTS");

struct kfs_cache {
	unsigned n;
	int stale; /* slot[] does not match ent[] */
	uint16_t slot[SLOTS];
	struct kfs_cache_ent ent[KFS_CACHE_MAX];
	char *buf; /* kfs_cache_read's text, reused from call to call */
	size_t cap;
};

static void index_add(struct kfs_cache *c, unsigned i)
{
	unsigned j = c->ent[i].hash & (SLOTS - 1);
	while (c->slot[j])
		j = (j + 1) & (SLOTS - 1);
	c->slot[j] = (uint16_t)(i + 1);
}

static void reindex(struct kfs_cache *c)
{
	memset(c->slot, 0, sizeof c->slot);
	for (unsigned i = 0; i < c->n; i++)
		index_add(c, i);
	c->stale = 0;
}

struct kfs_cache *kfs_cache_new(void)
{
	return calloc(1, sizeof(struct kfs_cache));
}

static void dir_free(struct kfs_dir *d)
{
	if (!d)
		return;
	free(d->ents);
	free(d->names);
	free(d);
}

/* Close and forget entry i (the last one takes its place). */
static void drop(struct kfs_cache *c, unsigned i)
{
	close(c->ent[i].fd);
	free(c->ent[i].key);
	dir_free(c->ent[i].dir);
	dir_free(c->ent[i].spare);
	c->ent[i] = c->ent[--c->n];
	c->stale = 1;
}

void kfs_cache_free(struct kfs_cache *c)
{
	if (!c)
		return;
	while (c->n)
		drop(c, c->n - 1);
	free(c->buf);
	free(c);
}

/* Forget every entry whose key starts with prefix. */
static void forget_under(struct kfs_cache *c, const char *prefix)
{
	size_t pl = strlen(prefix);
	for (unsigned i = c->n; i-- > 0;)
		if (!strncmp(c->ent[i].key, prefix, pl))
			drop(c, i);
}

/* The entry whose key is key, or -1. */
static int lookup(struct kfs_cache *c, const char *key)
{
	uint32_t h = hash_str(key);
	if (c->stale)
		reindex(c);
	for (unsigned j = h & (SLOTS - 1); c->slot[j]; j = (j + 1) & (SLOTS - 1)) {
		unsigned i = c->slot[j] - 1u;
		if (c->ent[i].hash == h && !strcmp(c->ent[i].key, key))
			return (int)i;
	}
	return -1;
}

/* The descriptor of root/path: a cached one (*idx >= 0, *fresh 0), one
 * opened now and cached (*idx >= 0, *fresh 1) or, with the cache full or
 * no memory for the key, one the caller closes (*idx -1). -errno when it
 * cannot be opened (not remembered: the file may appear later). */
static int cache_fd(struct kfs_cache *c, const char *root, const char *path,
		    int oflags, int *idx, int *fresh)
{
	char p[4096];
	int r = kfs_path(root, path, p, sizeof p);
	if (r)
		return r;
	int i = lookup(c, p);
	if (i >= 0) {
		*idx = i;
		*fresh = 0;
		return c->ent[i].fd;
	}
	int fd = open(p, O_RDONLY | O_CLOEXEC | oflags);
	if (fd < 0)
		return -errno;
	*idx = -1;
	*fresh = 1;
	if (c->n < KFS_CACHE_MAX) {
		char *k = strdup(p);
		if (k) {
			c->ent[c->n] = (struct kfs_cache_ent){ hash_str(p), fd, k, NULL, NULL };
			if (!c->stale)
				index_add(c, c->n);
			*idx = (int)c->n++;
		}
	}
	return fd;
}

/* Done with fd: keep it when cached and ok, else close (and forget) it. */
static void cache_put(struct kfs_cache *c, int idx, int fd, int ok)
{
	if (idx < 0)
		close(fd);
	else if (!ok)
		drop(c, (unsigned)idx);
}

/* The whole file from offset 0 into c->buf. pread keeps a seq file going
 * where the previous read stopped, so this is one pass of the kernel's
 * generator plus the read that finds the end. */
static int read_all(struct kfs_cache *c, int fd, size_t *len)
{
	size_t used = 0;
	for (;;) {
		if (used + 1 >= c->cap) {
			if (c->cap >= KFS_MAX_FILE)
				return -EFBIG;
			int r = VEC_RESERVE(c->buf, c->cap, used + 4096);
			if (r)
				return r;
		}
		ssize_t n = pread(fd, c->buf + used, c->cap - used - 1, (off_t)used);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		used += (size_t)n;
	}
	c->buf[used] = '\0';
	*len = used;
	return 0;
}

int kfs_cache_read(struct kfs_cache *c, const char *root, const char *path,
		   char **text, size_t *len)
{
	for (;;) {
		int idx, fresh;
		size_t n = 0;
		int fd = cache_fd(c, root, path, 0, &idx, &fresh);
		if (fd < 0)
			return fd;
		int r = read_all(c, fd, &n);
		cache_put(c, idx, fd, r == 0);
		if (r == 0) {
			*text = c->buf;
			if (len)
				*len = n;
			return 0;
		}
		/* A descriptor kept from before may point at a file that has
		 * gone (a module unloaded): try once with a fresh open. */
		if (fresh || r == -EFBIG || r == -ENOMEM)
			return r;
	}
}

/* A small file into buf. A sysctl or sysfs attribute comes whole in one
 * read, so a read that ends in a newline is taken as the end without the
 * extra read that would find it. */
static int read_small(int fd, char *buf, size_t size)
{
	size_t used = 0;
	for (;;) {
		ssize_t n = pread(fd, buf + used, size - used, (off_t)used);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		used += (size_t)n;
		if (used == size)
			return -EOVERFLOW;
		if (buf[used - 1] == '\n')
			break;
	}
	buf[used] = '\0';
	while (used && buf[used - 1] == '\n')
		buf[--used] = '\0';
	return 0;
}

int kfs_cache_read_str(struct kfs_cache *c, const char *root, const char *path,
		       char *buf, size_t size)
{
	if (size == 0)
		return -EOVERFLOW;
	for (;;) {
		int idx, fresh;
		int fd = cache_fd(c, root, path, 0, &idx, &fresh);
		if (fd < 0)
			return fd;
		int r = read_small(fd, buf, size);
		cache_put(c, idx, fd, r == 0 || r == -EOVERFLOW);
		if (r == 0 || r == -EOVERFLOW || fresh)
			return r;
	}
}

int kfs_cache_read_u64(struct kfs_cache *c, const char *root, const char *path,
		       uint64_t *out)
{
	char b[64];
	int r = kfs_cache_read_str(c, root, path, b, sizeof b);
	return r ? r : parse_u64(b, out);
}

int kfs_cache_read_i64(struct kfs_cache *c, const char *root, const char *path,
		       int64_t *out)
{
	char b[64];
	int r = kfs_cache_read_str(c, root, path, b, sizeof b);
	return r ? r : parse_i64(b, out);
}

/* ------------------------------------------------------------ listings */

#define REC(d, off) ((const struct dirent64 *)((d)->ents + (off)))

/* The whole directory from its start into a fresh d->ents. */
static int read_dir(int fd, struct kfs_dir *d)
{
	if (lseek(fd, 0, SEEK_SET) < 0)
		return -errno;
	d->len = 0;
	for (;;) {
		int r = VEC_RESERVE(d->ents, d->cap, d->len + 4096);
		if (r)
			return r;
		ssize_t n = getdents64(fd, d->ents + d->len, d->cap - d->len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return 0;
		d->len += (size_t)n;
	}
}

static int find(const struct kfs_dir *d, const char *name, ino_t ino)
{
	for (size_t off = 0; off < d->len; off += REC(d, off)->d_reclen)
		if (REC(d, off)->d_ino == ino && !strcmp(REC(d, off)->d_name, name))
			return 1;
	return 0;
}

/* Entries of old that new no longer holds as the same object: forget what
 * is cached under them. */
static void forget_changed(struct kfs_cache *c, const char *dirkey,
			   const struct kfs_dir *old, const struct kfs_dir *now)
{
	for (size_t off = 0; off < old->len; off += REC(old, off)->d_reclen) {
		const struct dirent64 *e = REC(old, off);
		char p[4096];
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") ||
		    find(now, e->d_name, e->d_ino))
			continue;
		size_t kl = strlen(dirkey), nl = strlen(e->d_name);
		if (kl + nl + 3 > sizeof p)
			continue;
		memcpy(p, dirkey, kl);
		p[kl] = '/';
		memcpy(p + kl + 1, e->d_name, nl);
		memcpy(p + kl + 1 + nl, "/", 2);
		forget_under(c, p);
	}
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The sorted names of d, in d->names. */
static int sort_names(struct kfs_dir *d)
{
	d->nnames = 0;
	for (size_t off = 0; off < d->len; off += REC(d, off)->d_reclen) {
		const char *name = REC(d, off)->d_name;
		if (!strcmp(name, ".") || !strcmp(name, ".."))
			continue;
		int r = VEC_PUSH(d->names, d->nnames, d->ncap, (char *)name);
		if (r)
			return r;
	}
	qsort(d->names, d->nnames, sizeof *d->names, cmp_names);
	return 0;
}

int kfs_cache_list(struct kfs_cache *c, const char *root, const char *path,
		   int (*fn)(const char *name, void *arg), void *arg)
{
	char key[4096];
	int r = kfs_path(root, path, key, sizeof key);
	if (r)
		return r;
	size_t kl = strlen(key);
	if (kl + 2 > sizeof key)
		return -ENAMETOOLONG;
	int at = lookup(c, key);
	struct kfs_dir *d = at >= 0 ? c->ent[at].spare : NULL;
	if (d)
		c->ent[at].spare = NULL;
	else if (!(d = calloc(1, sizeof *d)))
		return -ENOMEM;
	int listed = 0;
	for (;;) {
		int idx, fresh;
		int fd = cache_fd(c, root, path, O_DIRECTORY, &idx, &fresh);
		if (fd < 0) {
			r = fd;
			break;
		}
		r = read_dir(fd, d);
		if (r) {
			cache_put(c, idx, fd, 0);
			if (fresh || r == -ENOMEM)
				break;
			continue; /* a kept descriptor gone stale: reopen */
		}
		/* What changed since the last listing loses what is cached
		 * under it; with no last listing (or none kept), everything
		 * under the directory does. */
		if (idx >= 0 && c->ent[idx].dir) {
			forget_changed(c, key, c->ent[idx].dir, d);
		} else {
			memcpy(key + kl, "/", 2); /* key + "/" for a moment */
			forget_under(c, key);
			key[kl] = '\0';
		}
		if (idx < 0)
			close(fd);
		listed = 1;
		break;
	}
	if (!r)
		r = sort_names(d);
	for (size_t i = 0; !r && i < d->nnames; i++)
		r = fn(d->names[i], arg);
	/* Keep this listing for the next comparison, the last one as the
	 * spare buffers; fn may have moved or dropped the entry. */
	at = lookup(c, key);
	if (listed && at >= 0) {
		dir_free(c->ent[at].spare);
		c->ent[at].spare = c->ent[at].dir;
		c->ent[at].dir = d;
	} else {
		dir_free(d);
	}
	return r;
}
