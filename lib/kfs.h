/* SPDX-License-Identifier: GPL-2.0-or-later */
/* kfs: the one door to /proc and /sys. Every path is taken relative to a root
 * prefix ("/" in production, a fixture tree in tests). */
#ifndef VTUNE_KFS_H
#define VTUNE_KFS_H

#include <stddef.h>
#include <stdint.h>

/* Largest file kfs_read_alloc() will read; /proc files are far smaller. */
#define KFS_MAX_FILE (4u << 20)

/* Build "<root>/<path>" into out (size bytes). Returns 0 or -ENAMETOOLONG. */
int kfs_path(const char *root, const char *path, char *out, size_t size);

/* Read a whole file into a malloc'd, NUL-terminated buffer (*len excludes the
 * NUL). Returns 0 or -errno (-EFBIG past KFS_MAX_FILE). Caller frees *out. */
int kfs_read_alloc(const char *root, const char *path, char **out, size_t *len);

/* Read a small file into buf (NUL-terminated, trailing newline stripped).
 * Returns 0, -errno, or -EOVERFLOW when it does not fit. */
int kfs_read_str(const char *root, const char *path, char *buf, size_t size);

/* Read a file holding one unsigned / signed decimal number. -EINVAL on junk. */
int kfs_read_u64(const char *root, const char *path, uint64_t *out);
int kfs_read_i64(const char *root, const char *path, int64_t *out);

/* Write val (a newline is added) to an existing file. Returns 0 or -errno. */
int kfs_write_str(const char *root, const char *path, const char *val);

/* Does the path exist under root? */
int kfs_exists(const char *root, const char *path);

/* Call fn for each entry name in directory path (skipping "." and ".."),
 * in sorted order. Stops early and returns fn's value if it is non-zero.
 * Returns 0 or -errno. */
int kfs_list(const char *root, const char *path,
             int (*fn)(const char *name, void *arg), void *arg);

/* ---- a cache of open files, for what is read again and again ----
 *
 * /proc seq files, /proc/sys and sysfs attributes produce fresh contents on
 * every read from offset 0, so a file read each sample can stay open and be
 * re-read with pread() instead of being opened, read and closed each time
 * (the open is most of the cost). A read that fails drops the descriptor
 * and tries once more with a fresh open (the file may have been replaced).
 * Do not cache a path whose object can be renamed or replaced under the
 * same name (an interface's sysfs directory) unless the directories on the
 * way are listed with kfs_cache_list (below): the descriptor would keep
 * reading the old object. One cache serves one thread; entries are keyed
 * by "<root>/<path>". The code is in kfs_cache.c. */
struct kfs_cache;

/* Descriptors kept open at most; further files are read without caching.
 * Room for the agent's files with its 64 interfaces (GV_MAX_IFACES) read
 * from sysfs, about 10 each. */
#define KFS_CACHE_MAX 768

/* A new, empty cache, or NULL on no memory. */
struct kfs_cache *kfs_cache_new(void);
/* Close every descriptor and free. NULL is fine. */
void kfs_cache_free(struct kfs_cache *c);

/* As kfs_read_alloc, but the text is in a buffer the cache owns (it may be
 * changed by the caller) and stays valid until the next kfs_cache_* call on
 * c. Returns 0 or -errno (-EFBIG past KFS_MAX_FILE). */
int kfs_cache_read(struct kfs_cache *c, const char *root, const char *path,
		   char **text, size_t *len);

/* As kfs_read_str / kfs_read_u64 / kfs_read_i64, through the cache. */
int kfs_cache_read_str(struct kfs_cache *c, const char *root, const char *path,
		       char *buf, size_t size);
int kfs_cache_read_u64(struct kfs_cache *c, const char *root, const char *path,
		       uint64_t *out);
int kfs_cache_read_i64(struct kfs_cache *c, const char *root, const char *path,
		       int64_t *out);

/* As kfs_list (path without a trailing '/'), with the directory kept open
 * in c and re-read. Each listing is compared with the last one: a name
 * gone, or back as another object (another inode number: a network device
 * renamed or re-created), has every file cached under it ("<path>/<name>/")
 * closed, so a kept descriptor only ever reads the object its path names.
 * Files under a directory are safe to cache once the directory and every
 * directory between them are listed this way each time before they are
 * read. Returns 0, fn's non-zero value, or -errno. */
int kfs_cache_list(struct kfs_cache *c, const char *root, const char *path,
		   int (*fn)(const char *name, void *arg), void *arg);

#endif
