/* SPDX-License-Identifier: GPL-2.0-or-later */
/* kfs: root-prefixed reads and writes of /proc and /sys files. */
#include "kfs.h"
#include "parse.h"
#include "vec.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
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
	size_t rl = strlen(root), pl = strlen(path);
	int slash = root[rl - 1] != '/';
	if (rl + slash + pl >= size)
		return -ENAMETOOLONG;
	memcpy(out, root, rl);
	out[rl] = '/';
	memcpy(out + rl + slash, path, pl + 1);
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
	size_t cap = 0, used = 0;
	char *buf = NULL;
	for (;;) {
		if (used + 1 >= cap) {
			if (cap >= KFS_MAX_FILE) {
				r = -EFBIG;
				goto fail;
			}
			if ((r = VEC_RESERVE(buf, cap, used + 4096)))
				goto fail;
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
		if ((r = VEC_RESERVE(names, cap, n + 1)))
			goto out;
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
