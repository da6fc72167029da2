/* SPDX-License-Identifier: GPL-2.0-or-later */
/* safefile: every file vtune writes as root goes through here: a new file
 * made with O_EXCL|O_NOFOLLOW beside the target, filled, fsync'd and renamed
 * over it; a target that is not a regular file is refused. Also the check
 * that stdout reached its destination (ENOSPC, /dev/full). */
#ifndef VTUNE_SAFEFILE_H
#define VTUNE_SAFEFILE_H

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

/* Fills the file: write to f, return 0 or -errno (write errors on f are
 * also caught after it returns). */
typedef int (*safefile_fill_fn)(FILE *f, void *arg);

/* Write path as a whole, or leave it as it was:
 * - path, if it exists, must be a regular file (not a symlink, device,
 *   FIFO, socket or directory): else -EEXIST (symlink) or -EINVAL and
 *   nothing is written;
 * - a temporary file ".NAME.XXXXXX" (random) is created in path's directory
 *   with O_CREAT|O_EXCL|O_NOFOLLOW, mode (less the umask), so nothing planted
 *   at any name can redirect it; fill writes it; it is flushed, fsync'd,
 *   renamed over path and the directory is fsync'd;
 * - on any failure the temporary file is removed and path is untouched.
 * 0 or -errno; why (n bytes, may be NULL) says which step failed. */
int safefile_write(const char *path, mode_t mode, safefile_fill_fn fill, void *arg, char *why,
		   size_t n);

/* The same, streamed: safefile_open makes the temporary file (the same
 * checks and guarantees as safefile_write) and returns a stream to write
 * to, or NULL with -errno in *err and a reason in why; safefile_close
 * flushes, fsyncs and renames it over path when commit is set and nothing
 * failed, else removes it. safefile_close returns 0 or -errno (with why);
 * the handle is freed either way. */
struct safefile;
FILE *safefile_open(const char *path, mode_t mode, struct safefile **sf, int *err, char *why,
		    size_t n);
int safefile_close(struct safefile *sf, int commit, char *why, size_t n);

/* The same with a buffer of len bytes as the content. */
int safefile_write_buf(const char *path, mode_t mode, const void *buf, size_t len, char *why,
		       size_t n);

/* Flush and close stdout and report whether everything printed reached it:
 * 0, or -errno after printing "PROG: write error: REASON" on stderr (a full
 * disk, /dev/full, a closed pipe). Call once, at the end of main; a command
 * whose output was lost must exit non-zero. */
int safefile_close_stdout(const char *prog);

/* Tests only: the source of the temporary names' random part (NULL: the
 * kernel's getrandom). */
void safefile_set_rand(unsigned long long (*fn)(void));

#endif
