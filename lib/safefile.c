/* SPDX-License-Identifier: GPL-2.0-or-later */
/* safefile: write files as root without following symlinks or clobbering
 * devices (temporary file, fsync, rename, directory fsync), and check that
 * stdout's output was not lost. See safefile.h. */
#include "safefile.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#define WHY(...)                                          \
	do {                                              \
		if (why && n)                             \
			snprintf(why, n, __VA_ARGS__);    \
	} while (0)

static const char *type_name(mode_t m)
{
	return S_ISLNK(m) ? "a symbolic link" : S_ISCHR(m) ? "a character device"
	       : S_ISBLK(m) ? "a block device" : S_ISFIFO(m) ? "a FIFO"
	       : S_ISSOCK(m) ? "a socket" : S_ISDIR(m) ? "a directory" : "not a regular file";
}

/* Split path into its directory (in dir) and last name (a pointer into path). */
static int split(const char *path, char *dir, size_t dn, const char **base)
{
	const char *slash = strrchr(path, '/');
	if (!*path || (slash && !slash[1]))
		return -EISDIR;
	if (!slash) {
		snprintf(dir, dn, ".");
		*base = path;
		return 0;
	}
	size_t l = slash == path ? 1 : (size_t)(slash - path);
	if (l >= dn)
		return -ENAMETOOLONG;
	memcpy(dir, path, l);
	dir[l] = 0;
	*base = slash + 1;
	return 0;
}

static unsigned long long (*rand_fn)(void);

void safefile_set_rand(unsigned long long (*fn)(void))
{
	rand_fn = fn;
}

/* Create ".BASE.XXXXXX" in dfd, never following or reusing a name. */
static int make_temp(int dfd, const char *base, mode_t mode, char *tmp, size_t tn)
{
	for (int tries = 0; tries < 16; tries++) {
		uint64_t rnd = 0;
		if (rand_fn)
			rnd = rand_fn();
		else if (getrandom(&rnd, sizeof rnd, GRND_NONBLOCK) != sizeof rnd)
			rnd ^= (uint64_t)getpid() << 20 ^ (uint64_t)(uintptr_t)&rnd ^ (uint64_t)tries;
		if (snprintf(tmp, tn, ".%.200s.%06llx", base,
			     (unsigned long long)(rnd & 0xffffff)) >= (int)tn)
			return -ENAMETOOLONG;
		int fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
		if (fd >= 0 || errno != EEXIST)
			return fd >= 0 ? fd : -errno;
	}
	return -EEXIST;
}

struct safefile {
	int dfd;
	FILE *f;
	char tmp[NAME_MAX + 1];
	char base[NAME_MAX + 1];
	char dir[PATH_MAX];
};

FILE *safefile_open(const char *path, mode_t mode, struct safefile **out, int *err, char *why,
		    size_t n)
{
	struct safefile *sf = calloc(1, sizeof *sf);
	const char *base;
	struct stat st;
	int fd, r;

	*out = NULL;
	if (!sf) {
		*err = -ENOMEM;
		WHY("out of memory");
		return NULL;
	}
	sf->dfd = -1;
	if ((r = split(path, sf->dir, sizeof sf->dir, &base)) ||
	    snprintf(sf->base, sizeof sf->base, "%s", base) >= (int)sizeof sf->base) {
		r = r ? r : -ENAMETOOLONG;
		WHY("not a file name");
		goto fail;
	}
	sf->dfd = open(sf->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (sf->dfd < 0) {
		r = -errno;
		WHY("directory %s: %s", sf->dir, strerror(errno));
		goto fail;
	}
	if (fstatat(sf->dfd, sf->base, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (!S_ISREG(st.st_mode)) {
			WHY("refusing to replace %s", type_name(st.st_mode));
			r = S_ISLNK(st.st_mode) ? -EEXIST : S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
			goto fail;
		}
	} else if (errno != ENOENT) {
		r = -errno;
		WHY("%s", strerror(errno));
		goto fail;
	}
	if ((fd = make_temp(sf->dfd, sf->base, mode, sf->tmp, sizeof sf->tmp)) < 0) {
		r = fd;
		sf->tmp[0] = 0;
		WHY("creating a temporary file in %s: %s", sf->dir, strerror(-r));
		goto fail;
	}
	if (!(sf->f = fdopen(fd, "w"))) {
		r = -errno;
		close(fd);
		WHY("%s", strerror(errno));
		goto fail;
	}
	*out = sf;
	return sf->f;
fail:
	*err = r;
	safefile_close(sf, 0, NULL, 0);
	return NULL;
}

int safefile_close(struct safefile *sf, int commit, char *why, size_t n)
{
	int r = 0;
	if (!sf)
		return 0;
	if (sf->f) {
		errno = 0;
		if (commit && (fflush(sf->f) != 0 || ferror(sf->f))) {
			r = errno ? -errno : -EIO;
			WHY("writing: %s", strerror(-r));
		} else if (commit && fsync(fileno(sf->f)) < 0) {
			r = -errno;
			WHY("fsync: %s", strerror(errno));
		}
		if (fclose(sf->f) != 0 && commit && !r) {
			r = -errno;
			WHY("closing: %s", strerror(errno));
		}
	}
	/* The target was checked at open; if it was swapped for a symlink or a
	 * device since, rename replaces that name and writes through nothing. */
	if (commit && !r && sf->tmp[0]) {
		if (renameat(sf->dfd, sf->tmp, sf->dfd, sf->base) < 0) {
			r = -errno;
			WHY("rename: %s", strerror(errno));
		} else {
			sf->tmp[0] = 0;
			if (fsync(sf->dfd) < 0 && errno != EINVAL) {
				r = -errno;
				WHY("fsync of %s: %s", sf->dir, strerror(errno));
			}
		}
	}
	if (sf->tmp[0])
		unlinkat(sf->dfd, sf->tmp, 0);
	if (sf->dfd >= 0)
		close(sf->dfd);
	free(sf);
	return r;
}

int safefile_write(const char *path, mode_t mode, safefile_fill_fn fill, void *arg, char *why,
		   size_t n)
{
	struct safefile *sf;
	int r = 0;
	FILE *f = safefile_open(path, mode, &sf, &r, why, n);
	if (!f)
		return r;
	errno = 0;
	r = fill(f, arg);
	if (!r && (fflush(f) != 0 || ferror(f)))
		r = errno ? -errno : -EIO;
	if (r) {
		WHY("writing: %s", strerror(-r));
		safefile_close(sf, 0, NULL, 0);
		return r;
	}
	return safefile_close(sf, 1, why, n);
}

struct bufarg {
	const void *buf;
	size_t len;
};

static int fill_buf(FILE *f, void *arg)
{
	const struct bufarg *b = arg;
	return b->len && fwrite(b->buf, 1, b->len, f) != b->len ? -EIO : 0;
}

int safefile_write_buf(const char *path, mode_t mode, const void *buf, size_t len, char *why,
		       size_t n)
{
	struct bufarg b = { buf, len };
	return safefile_write(path, mode, fill_buf, &b, why, n);
}

int safefile_close_stdout(const char *prog)
{
	int r = 0;
	errno = 0;
	if (fflush(stdout) != 0 || ferror(stdout))
		r = errno ? -errno : -EIO;
	if (fclose(stdout) != 0 && !r)
		r = errno ? -errno : -EIO;
	if (r)
		fprintf(stderr, "%s: write error: %s\n", prog, strerror(-r));
	return r;
}
