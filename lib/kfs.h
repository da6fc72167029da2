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

#endif
