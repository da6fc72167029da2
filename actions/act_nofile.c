/* SPDX-License-Identifier: GPL-2.0-or-later */
/* act_nofile: the "nofile" action ("nofile: raise") — a listener's process
 * near its open-file limit (RLIMIT_NOFILE, `ulimit -n`) gets a higher one
 * while it runs, with prlimit(2): the soft limit to 4x (at least 65536),
 * the hard one with it (with CAP_SYS_RESOURCE; without it, the soft limit
 * up to the hard one), never past fs.nr_open nor half of fs.file-max;
 * journaled per process (its pid and start time, so a new process that
 * reuses the pid is never touched) and revertible. It says how to keep it
 * across restarts: LimitNOFILE= in the process's systemd unit, or a
 * limits.d line for its user. */
#include "act_kinds.h"
#include "apply.h"
#include "gv_procs.h"
#include "kfs.h"
#include "log.h"
#include "parse.h"
#include "privops.h"
#include "sockdiag.h"

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#define NOFILE_KEY "RLIMIT_NOFILE"
#define GONE "gone" /* what a process that has exited reads as */
#define NOFILE_MIN_RAISE 65536ull
#define NOFILE_ABS_MAX (1ull << 30) /* the kernel's own ceiling for nr_open */

static int is_live(const char *root)
{
	return !root || !*root || !strcmp(root, "/");
}

/* "PID@STARTTIME" (start time in clock ticks since boot, /proc/PID/stat). */
static int parse_target(const char *t, int *pid, unsigned long long *start)
{
	const char *e;
	uint64_t p, s;
	if (!t || parse_u64_prefix(t, &e, &p) || *e != '@' || parse_u64(e + 1, &s) || !p ||
	    p > 4194304)
		return -EINVAL;
	*pid = (int)p;
	*start = s;
	return 0;
}

/* Field 22 of /proc/PID/stat, after the command in parentheses. */
static int start_time(const char *root, int pid, unsigned long long *start)
{
	char path[48], *text = NULL;
	size_t len;
	snprintf(path, sizeof path, "proc/%d/stat", pid);
	int r = kfs_read_alloc(root, path, &text, &len);
	if (r)
		return r == -ENOENT ? -ESRCH : r;
	char *p = strrchr(text, ')');
	r = -EINVAL;
	if (p) {
		int field = 2;
		for (char *tok = strtok(p + 1, " "); tok; tok = strtok(NULL, " "))
			if (++field == 22) {
				r = parse_u64(tok, (uint64_t *)start) ? -EINVAL : 0;
				break;
			}
	}
	free(text);
	return r;
}

static int values(const char *v, uint64_t *soft, uint64_t *hard)
{
	char buf[64], *tok[3];
	if (!v || strlen(v) >= sizeof buf)
		return -EINVAL;
	strcpy(buf, v);
	if (parse_split(buf, tok, 3) != 2 || parse_u64(tok[0], soft) || parse_u64(tok[1], hard) ||
	    *soft > *hard || !*soft || *hard > NOFILE_ABS_MAX)
		return -EINVAL;
	return 0;
}

static int nf_check(void *ctx, const char *target, const char *key, const char *value,
		    char *why, size_t n)
{
	(void)ctx;
	int pid;
	unsigned long long st;
	uint64_t s, h;
	const char *msg = NULL;
	if (parse_target(target, &pid, &st))
		msg = "target must be PID@STARTTIME";
	else if (!key || strcmp(key, NOFILE_KEY))
		msg = "key must be " NOFILE_KEY;
	else if (values(value, &s, &h))
		msg = "value must be \"SOFT HARD\", 0 < SOFT <= HARD <= 2^30";
	if (!msg)
		return 0;
	if (why && n)
		snprintf(why, n, "nofile: %s", msg);
	return -EINVAL;
}

/* Is target's process still the one it names? 0, -ESRCH (gone or another
 * process now), -errno. */
static int same_process(const char *root, const char *target, int *pid)
{
	unsigned long long want, now;
	if (parse_target(target, pid, &want))
		return -EINVAL;
	int r = start_time(root, *pid, &now);
	if (r)
		return r;
	return now == want ? 0 : -ESRCH;
}

static int nf_read(void *ctx, const char *root, const char *target, const char *key,
		   char *buf, size_t n)
{
	(void)ctx;
	int pid;
	if (!key || strcmp(key, NOFILE_KEY))
		return -EINVAL;
	int r = same_process(root, target, &pid);
	if (r == -ESRCH)
		return snprintf(buf, n, GONE) >= (int)n ? -EOVERFLOW : 0;
	if (r)
		return r;
	struct gv_proc p;
	char path[48], *text = NULL, err[96];
	size_t len;
	snprintf(path, sizeof path, "proc/%d/limits", pid);
	if ((r = kfs_read_alloc(root, path, &text, &len)))
		return r == -ENOENT ? (snprintf(buf, n, GONE), 0) : r;
	r = gv_parse_limits(text, &p.soft, &p.hard, err, sizeof err);
	free(text);
	if (r)
		return r;
	if (p.soft == UINT64_MAX || p.hard == UINT64_MAX)
		return -ERANGE; /* RLIM_INFINITY: not a value for open files */
	return snprintf(buf, n, "%llu %llu", (unsigned long long)p.soft,
			(unsigned long long)p.hard) >= (int)n ? -EOVERFLOW : 0;
}

static int set_limit(const char *root, const char *target, const char *value, int bounded)
{
	uint64_t s, h, nr_open = NOFILE_ABS_MAX;
	int pid;
	if (values(value, &s, &h))
		return -EINVAL;
	int r = same_process(root, target, &pid);
	if (r)
		return r;
	if (bounded && !kfs_read_u64(root, "proc/sys/fs/nr_open", &nr_open) && h > nr_open)
		return -ERANGE;
	if (!is_live(root))
		return -EOPNOTSUPP; /* a fixture's process cannot be changed */
	struct rlimit rl = { (rlim_t)s, (rlim_t)h };
	return prlimit(pid, RLIMIT_NOFILE, &rl, NULL) ? -errno : 0;
}

static int nf_write(void *ctx, const char *root, const char *target, const char *key,
		    const char *value)
{
	int r = nf_check(ctx, target, key, value, NULL, 0);
	return r ? r : set_limit(root, target, value, 1);
}

/* Put back the limits a process had: a process that has exited took them
 * with it (nothing to do). */
static int nf_restore(void *ctx, const char *root, const char *target, const char *key,
		      const char *value)
{
	(void)ctx;
	if (!key || strcmp(key, NOFILE_KEY))
		return -EINVAL;
	if (value && !strcmp(value, GONE))
		return 0;
	int r = set_limit(root, target, value, 0);
	return r == -ESRCH ? 0 : r;
}

/* A process that has exited reads "gone": equal to any value (its limits
 * are gone with it, nobody changed them). */
static int nf_equal(const char *key, const char *a, const char *b)
{
	(void)key;
	if ((a && !strcmp(a, GONE)) || (b && !strcmp(b, GONE)))
		return 1;
	return knob_value_equal(a, b);
}

const struct knob_ops act_nofile_knob_ops = {
	.kind = "nofile",
	.read = nf_read,
	.write = nf_write,
	.check = nf_check,
	.restore = nf_restore,
	.equal = nf_equal,
};

/* ---- the executor ---- */

/* "nginx.service" from a /proc/PID/cgroup line "0::/system.slice/nginx.service". */
static int unit_of(const char *root, int pid, char *unit, size_t n)
{
	char path[48], *text = NULL;
	size_t len;
	snprintf(path, sizeof path, "proc/%d/cgroup", pid);
	if (kfs_read_alloc(root, path, &text, &len))
		return -ENOENT;
	int r = -ENOENT;
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		char *slash = strrchr(line, '/');
		size_t l = slash ? strlen(slash + 1) : 0;
		if (l > 8 && !strcmp(slash + 1 + l - 8, ".service")) {
			snprintf(unit, n, "%s", slash + 1);
			r = 0;
			break;
		}
	}
	free(text);
	return r;
}

static void user_of(const char *root, int pid, char *user, size_t n)
{
	char path[48], full[600];
	struct stat st;
	snprintf(path, sizeof path, "proc/%d", pid);
	snprintf(user, n, "*");
	if (kfs_path(root, path, full, sizeof full) || stat(full, &st))
		return;
	struct passwd *pw = getpwuid(st.st_uid);
	if (pw)
		snprintf(user, n, "%s", pw->pw_name);
}

/* Does this process hold CAP_SYS_RESOURCE (raising a hard limit needs it)? */
static int may_raise_hard(void)
{
	uint64_t eff;
	return !privops_cap_eff(&eff) && ((eff >> 24) & 1); /* CAP_SYS_RESOURCE */
}

/* Raise one process: the knob change, and how to make it stay. */
static int raise_one(const struct act_ctx *c, const struct pol_change *ch, const struct gv_proc *p,
		     uint64_t cap)
{
	const char *root = apply_root(c->ac);
	unsigned long long start;
	char target[48], value[48], line[512], unit[128], user[64];
	uint64_t soft = p->soft * 4 > NOFILE_MIN_RAISE ? p->soft * 4 : NOFILE_MIN_RAISE;
	if (soft > cap)
		soft = cap;
	/* past the hard limit only with CAP_SYS_RESOURCE; without it, up to it */
	if (soft > p->hard && !may_raise_hard())
		soft = p->hard;
	uint64_t hard = p->hard > soft ? p->hard : soft;
	if (soft <= p->soft) {
		snprintf(line, sizeof line, "nofile: %s (pid %d) at %llu of %llu open files, the most "
			 "allowed here (fs.nr_open, fs.file-max / 2): not raised (rule %s)", p->comm,
			 p->pid, (unsigned long long)p->fds, (unsigned long long)p->soft, ch->rule);
		apply_say(c->ac, LOG_WARNING, line);
		return 0;
	}
	if (start_time(root, p->pid, &start))
		return 0; /* gone meanwhile */
	snprintf(target, sizeof target, "%d@%llu", p->pid, start);
	snprintf(value, sizeof value, "%llu %llu", (unsigned long long)soft, (unsigned long long)hard);
	int r = apply_knob(c->ac, ch, "nofile", target, NOFILE_KEY, value);
	if (r <= 0)
		return r;
	if (!unit_of(root, p->pid, unit, sizeof unit))
		snprintf(line, sizeof line, "nofile: %s (pid %d) runs with %llu open files now; to keep "
			 "it after a restart: `systemctl edit %s` with [Service] LimitNOFILE=%llu",
			 p->comm, p->pid, (unsigned long long)soft, unit, (unsigned long long)soft);
	else {
		user_of(root, p->pid, user, sizeof user);
		snprintf(line, sizeof line, "nofile: %s (pid %d) runs with %llu open files now; to keep "
			 "it after a restart: \"%s soft nofile %llu\" and \"%s hard nofile %llu\" in "
			 "/etc/security/limits.d/90-nofile.conf (or `ulimit -n %llu` where it starts)",
			 p->comm, p->pid, (unsigned long long)soft, user, (unsigned long long)soft, user,
			 (unsigned long long)hard, (unsigned long long)soft);
	}
	apply_say(c->ac, LOG_NOTICE, line);
	return r;
}

int act_nofile_exec(const struct act_ctx *c, const struct pol_change *ch)
{
	const char *root = apply_root(c->ac);
	struct gv_listener *ls = NULL;
	int nl = 0, changed = 0;
	uint64_t nr_open = 1048576, file_max = UINT64_MAX;
	int r = sockdiag_listeners(root, &ls, &nl);
	if (r) {
		char line[160];
		snprintf(line, sizeof line, "nofile: cannot list the listeners: %s (rule %s)",
			 strerror(-r), ch->rule);
		apply_say(c->ac, LOG_WARNING, line);
		return 0;
	}
	kfs_read_u64(root, "proc/sys/fs/nr_open", &nr_open);
	kfs_read_u64(root, "proc/sys/fs/file-max", &file_max);
	uint64_t cap = nr_open < file_max / 2 ? nr_open : file_max / 2;
	uint32_t ino[GV_MAX_LISTENERS];
	int pid[GV_MAX_LISTENERS], n = 0, cursor = 0;
	for (int i = 0; i < nl && n < GV_MAX_LISTENERS; i++)
		if (ls[i].inode)
			ino[n++] = ls[i].inode;
	memset(pid, 0, sizeof pid);
	r = n ? gv_procs_walk(root, ino, n, pid, &cursor, UINT64_MAX, NULL) : 0;
	free(ls);
	for (int i = 0; !r && i < n; i++) {
		int dup = 0;
		for (int k = 0; k < i && !dup; k++)
			dup = pid[k] == pid[i];
		struct gv_proc p;
		if (!pid[i] || dup || gv_proc_read(root, pid[i], &p) || p.soft == UINT64_MAX ||
		    (double)p.fds < (double)p.soft * GV_PROCS_NEAR_PCT / 100.0)
			continue;
		int x = raise_one(c, ch, &p, cap);
		if (x < 0)
			return x;
		changed += x;
	}
	return changed;
}
