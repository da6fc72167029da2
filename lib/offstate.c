/* SPDX-License-Identifier: GPL-2.0-or-later */
/* offstate: the `vtune off` state file beside the journal (see offstate.h). */
#include "offstate.h"
#include "parse.h"
#include "safefile.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define OFFSTATE_MAX 128 /* bytes a state file may have */

int offstate_path(const char *journal, char *buf, size_t n)
{
	int l = snprintf(buf, n, "%s%s", journal, OFFSTATE_SUFFIX);
	return l < 0 || (size_t)l >= n ? -ENAMETOOLONG : 0;
}

int offstate_read(const char *path, uint64_t *since_s)
{
	char text[OFFSTATE_MAX + 1];
	struct stat st;
	*since_s = 0;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	int r = fstat(fd, &st) < 0 ? -errno : S_ISREG(st.st_mode) ? 0 : -EINVAL;
	if (r) {
		close(fd);
		return r;
	}
	ssize_t len = read(fd, text, OFFSTATE_MAX);
	close(fd);
	if (len < 0)
		return -errno;
	text[len] = 0;
	/* "off since 1700000000\n"; anything else still means off */
	static const char key[] = "off since ";
	char *nl = strchr(text, '\n');
	if (nl && !nl[1] && !strncmp(text, key, sizeof key - 1)) {
		uint64_t v;
		*nl = 0;
		if (!parse_u64(text + sizeof key - 1, &v))
			*since_s = v;
	}
	return 1;
}

int offstate_write(const char *path, uint64_t since_s, char *why, size_t n)
{
	char text[64], dir[PATH_MAX];
	int l = snprintf(text, sizeof text, "off since %llu\n", (unsigned long long)since_s);
	snprintf(dir, sizeof dir, "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = 0;
		if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
			int r = -errno;
			snprintf(why, n, "cannot make %s: %s", dir, strerror(-r));
			return r;
		}
	}
	return safefile_write_buf(path, 0600, text, (size_t)l, why, n);
}

int offstate_clear(const char *path)
{
	char dir[PATH_MAX];
	if (unlink(path) < 0)
		return errno == ENOENT ? 0 : -errno;
	snprintf(dir, sizeof dir, "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash)
		slash[slash == dir] = 0;
	else
		snprintf(dir, sizeof dir, ".");
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	return 1;
}

const char *offstate_when(uint64_t since_s, char *buf, size_t n)
{
	time_t t = (time_t)since_s;
	struct tm tm;
	snprintf(buf, n, "a time not recorded");
	if (since_s && gmtime_r(&t, &tm))
		strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}

const char *offstate_describe(uint64_t since_s, char *buf, size_t n)
{
	char when[64];
	snprintf(buf, n, "tuning off since %s (vtune off); vtune on resumes",
		 offstate_when(since_s, when, sizeof when));
	return buf;
}
