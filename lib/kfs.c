/* kfs: root-prefixed reads and writes of /proc and /sys files. */
#include "kfs.h"
#include "parse.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int kfs_path(const char *root, const char *path, char *out, size_t size)
{
	if (!root || !*root)
		root = "/";
	while (*path == '/')
		path++;
	size_t rl = strlen(root);
	int n = snprintf(out, size, "%s%s%s", root,
			 (rl && root[rl - 1] == '/') ? "" : "/", path);
	if (n < 0 || (size_t)n >= size)
		return -ENAMETOOLONG;
	return 0;
}

int kfs_read_alloc(const char *root, const char *path, char **out, size_t *len)
{
	char p[4096];
	int r = kfs_path(root, path, p, sizeof p);
	if (r)
		return r;
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* /proc files report size 0: grow as we read. */
	size_t cap = 4096, used = 0;
	char *buf = malloc(cap);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	for (;;) {
		if (used + 1 >= cap) {
			if (cap >= KFS_MAX_FILE) {
				r = -EFBIG;
				goto fail;
			}
			char *nb = realloc(buf, cap * 2);
			if (!nb) {
				r = -ENOMEM;
				goto fail;
			}
			buf = nb;
			cap *= 2;
		}
		ssize_t n = read(fd, buf + used, cap - used - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			goto fail;
		}
		if (n == 0)
			break;
		used += (size_t)n;
	}
	close(fd);
	buf[used] = '\0';
	*out = buf;
	if (len)
		*len = used;
	return 0;
fail:
	free(buf);
	close(fd);
	return r;
}

int kfs_read_str(const char *root, const char *path, char *buf, size_t size)
{
	char p[4096];
	int r = kfs_path(root, path, p, sizeof p);
	if (r)
		return r;
	if (size == 0)
		return -EOVERFLOW;
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	size_t used = 0;
	for (;;) {
		ssize_t n = read(fd, buf + used, size - used);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			close(fd);
			return r;
		}
		if (n == 0)
			break;
		used += (size_t)n;
		if (used == size) {
			close(fd);
			return -EOVERFLOW;
		}
	}
	close(fd);
	buf[used] = '\0';
	while (used && (buf[used - 1] == '\n'))
		buf[--used] = '\0';
	return 0;
}

int kfs_read_u64(const char *root, const char *path, uint64_t *out)
{
	char b[64];
	int r = kfs_read_str(root, path, b, sizeof b);
	return r ? r : parse_u64(b, out);
}

int kfs_read_i64(const char *root, const char *path, int64_t *out)
{
	char b[64];
	int r = kfs_read_str(root, path, b, sizeof b);
	return r ? r : parse_i64(b, out);
}

int kfs_write_str(const char *root, const char *path, const char *val)
{
	char p[4096];
	int r = kfs_path(root, path, p, sizeof p);
	if (r)
		return r;
	/* No O_CREAT: a knob that does not exist is an error, not a new file. */
	int fd = open(p, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	size_t n = strlen(val);
	char *line = malloc(n + 2);
	if (!line) {
		close(fd);
		return -ENOMEM;
	}
	memcpy(line, val, n);
	line[n] = '\n';
	ssize_t w = write(fd, line, n + 1);
	r = w < 0 ? -errno : (size_t)w != n + 1 ? -EIO : 0;
	free(line);
	if (close(fd) < 0 && !r)
		r = -errno;
	return r;
}

int kfs_exists(const char *root, const char *path)
{
	char p[4096];
	struct stat st;
	return kfs_path(root, path, p, sizeof p) == 0 && stat(p, &st) == 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int kfs_list(const char *root, const char *path,
	     int (*fn)(const char *name, void *arg), void *arg)
{
	char p[4096];
	int r = kfs_path(root, path, p, sizeof p);
	if (r)
		return r;
	DIR *d = opendir(p);
	if (!d)
		return -errno;
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	r = 0;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			char **nn = realloc(names, cap * sizeof *names);
			if (!nn) {
				r = -ENOMEM;
				goto out;
			}
			names = nn;
		}
		if (!(names[n] = strdup(e->d_name))) {
			r = -ENOMEM;
			goto out;
		}
		n++;
	}
	qsort(names, n, sizeof *names, cmp_names);
	for (size_t i = 0; i < n && !r; i++)
		r = fn(names[i], arg);
out:
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	closedir(d);
	return r;
}

/* ------------------------------------------------------ open-file cache */

struct kfs_cache_ent {
	uint32_t hash; /* of key, checked before strcmp */
	int fd;
	char *key;     /* "<root>/<path>" */
};

struct kfs_cache {
	unsigned n;
	struct kfs_cache_ent ent[KFS_CACHE_MAX];
	char *buf; /* kfs_cache_read's text, reused from call to call */
	size_t cap;
};

struct kfs_cache *kfs_cache_new(void)
{
	return calloc(1, sizeof(struct kfs_cache));
}

void kfs_cache_free(struct kfs_cache *c)
{
	if (!c)
		return;
	for (unsigned i = 0; i < c->n; i++) {
		close(c->ent[i].fd);
		free(c->ent[i].key);
	}
	free(c->buf);
	free(c);
}

static uint32_t fnv1a(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/* The descriptor of root/path: a cached one (*idx >= 0, *fresh 0), one
 * opened now and cached (*idx >= 0, *fresh 1) or, with the cache full or
 * no memory for the key, one the caller closes (*idx -1). -errno when it
 * cannot be opened (not remembered: the file may appear later). */
static int cache_fd(struct kfs_cache *c, const char *root, const char *path,
		    int *idx, int *fresh)
{
	char p[4096];
	int r = kfs_path(root, path, p, sizeof p);
	if (r)
		return r;
	uint32_t h = fnv1a(p);
	for (unsigned i = 0; i < c->n; i++)
		if (c->ent[i].hash == h && !strcmp(c->ent[i].key, p)) {
			*idx = (int)i;
			*fresh = 0;
			return c->ent[i].fd;
		}
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	*idx = -1;
	*fresh = 1;
	if (c->n < KFS_CACHE_MAX) {
		char *k = strdup(p);
		if (k) {
			c->ent[c->n] = (struct kfs_cache_ent){ h, fd, k };
			*idx = (int)c->n++;
		}
	}
	return fd;
}

/* Done with fd: keep it when cached and ok, else close (and forget) it. */
static void cache_put(struct kfs_cache *c, int idx, int fd, int ok)
{
	if (idx < 0) {
		close(fd);
		return;
	}
	if (ok)
		return;
	close(c->ent[idx].fd);
	free(c->ent[idx].key);
	c->ent[idx] = c->ent[--c->n];
}

/* The whole file from offset 0 into c->buf. pread keeps a seq file going
 * where the previous read stopped, so this is one pass of the kernel's
 * generator plus the read that finds the end. */
static int read_all(struct kfs_cache *c, int fd, size_t *len)
{
	size_t used = 0;
	for (;;) {
		if (used + 1 >= c->cap) {
			size_t cap = c->cap ? c->cap * 2 : 4096;
			if (c->cap >= KFS_MAX_FILE)
				return -EFBIG;
			char *nb = realloc(c->buf, cap);
			if (!nb)
				return -ENOMEM;
			c->buf = nb;
			c->cap = cap;
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
		int fd = cache_fd(c, root, path, &idx, &fresh);
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
		int fd = cache_fd(c, root, path, &idx, &fresh);
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
