/* SPDX-License-Identifier: GPL-2.0-or-later */
/* netthreads: vhost workers and netback kthreads from /proc, their CPU and
 * run delay, and the task_affinity knob kind (see netthreads.h). */
#include "netthreads.h"
#include "cpulist.h"
#include "kfs.h"
#include "parse.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int is_live(const char *root)
{
	return !root || !*root || !strcmp(root, "/");
}

static int all_digits(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return 0;
	return 1;
}

/* A /proc entry's name as a pid (1..INT_MAX), or 0 when it is none. */
static int pid_of(const char *name)
{
	uint64_t v;
	return parse_u64(name, &v) || v == 0 || v > INT_MAX ? 0 : (int)v;
}

/* Read dir (proc/PID or proc/PID/task/TID) into t. 0 or -errno. */
static int read_thread(const char *root, const char *dir, int pid, struct nt_thread *t)
{
	char p[96], buf[1024];
	memset(t, 0, sizeof *t);
	t->pid = pid;
	t->cpu = -1;
	snprintf(p, sizeof p, "%s/comm", dir);
	/* a kthread's comm may show its whole name ("vif1.0-q0-guest-rx"):
	 * kept to the 15 bytes a task's comm holds */
	int r = kfs_read_str(root, p, buf, 64);
	if (r)
		return r;
	snprintf(t->comm, sizeof t->comm, "%.15s", buf);
	snprintf(p, sizeof p, "%s/stat", dir);
	if ((r = kfs_read_str(root, p, buf, sizeof buf)))
		return r;
	/* fields after the ")" of the comm: state is field 3 */
	char *rp = strrchr(buf, ')'), *tok[48];
	if (!rp)
		return -EINVAL;
	int nt = parse_split(rp + 1, tok, 48);
	uint64_t v;
	if (nt > 19 && !parse_u64(tok[19], &v)) /* field 22 */
		t->start = v;
	if (nt > 36 && !parse_u64(tok[36], &v)) /* field 39 */
		t->cpu = (int)v;
	snprintf(p, sizeof p, "%s/schedstat", dir);
	if (!kfs_read_str(root, p, buf, sizeof buf)) {
		char *s[3];
		if (parse_split(buf, s, 3) >= 2) {
			parse_u64(s[0], &t->run_ns);
			parse_u64(s[1], &t->wait_ns);
		}
	}
	return 0;
}

/* Is comm one of owner's threads? */
static int is_ours(enum nt_kind kind, int owner, const char *comm)
{
	char pre[24];
	if (kind == NT_QEMU_HK)
		return strncmp(comm, "CPU ", 4) != 0;
	if (kind == NT_VHOST) {
		snprintf(pre, sizeof pre, "vhost-%d", owner);
		return !strcmp(comm, pre);
	}
	snprintf(pre, sizeof pre, "vif%d.", owner);
	return !strncmp(comm, pre, strlen(pre)) && strstr(comm, "-q");
}

struct scan {
	const char *root;
	enum nt_kind kind;
	int owner;
	const char *base; /* "proc" or "proc/PID/task" */
	struct nt_thread *v;
	size_t max, n;
};

static int scan_one(const char *name, void *arg)
{
	struct scan *s = arg;
	char dir[64], comm[64];
	int pid = pid_of(name);
	if (!pid)
		return 0;
	snprintf(dir, sizeof dir, "%s/%s", s->base, name);
	char p[80];
	snprintf(p, sizeof p, "%s/comm", dir);
	if (kfs_read_str(s->root, p, comm, sizeof comm) || !is_ours(s->kind, s->owner, comm))
		return 0;
	if (s->n < s->max && !read_thread(s->root, dir, pid, &s->v[s->n]))
		s->n++;
	return 0;
}

/* The kthreads of interest ("vif*", "vhost-*") of the whole of /proc, found
 * once per NT_CACHE_NS for every guest's lookup: a host with many guests
 * reads /proc once per interval, not once per guest. */
#define NT_CACHE_NS 500000000ull
#define NT_CACHE_MAX 4096
static struct {
	char root[256];
	uint64_t t_ns;
	int valid;
	int pid[NT_CACHE_MAX];
	char comm[NT_CACHE_MAX][16];
	size_t n;
} kcache;

static int cache_one(const char *name, void *arg)
{
	char p[48], comm[64];
	(void)arg;
	int pid = pid_of(name);
	if (!pid || kcache.n >= NT_CACHE_MAX)
		return 0;
	snprintf(p, sizeof p, "proc/%s/comm", name);
	if (kfs_read_str(kcache.root, p, comm, sizeof comm))
		return 0;
	if (strncmp(comm, "vif", 3) && strncmp(comm, "vhost-", 6))
		return 0;
	kcache.pid[kcache.n] = pid;
	snprintf(kcache.comm[kcache.n++], 16, "%.15s", comm);
	return 0;
}

static int kthreads(const char *root)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	uint64_t now = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	if (kcache.valid && !strcmp(kcache.root, root) && now - kcache.t_ns < NT_CACHE_NS)
		return 0;
	snprintf(kcache.root, sizeof kcache.root, "%s", root);
	kcache.n = 0;
	kcache.valid = 0;
	int r = kfs_list(root, "proc", cache_one, NULL);
	if (r)
		return r;
	kcache.valid = 1;
	kcache.t_ns = now;
	return 0;
}

int nt_find(const char *root, enum nt_kind kind, int owner, struct nt_thread *v, size_t max,
	    size_t *n)
{
	struct scan s = { is_live(root) ? "/" : root, kind, owner, "proc", v, max, 0 };
	char base[48];
	if (!v || !n || owner < 0)
		return -EINVAL;
	*n = 0;
	if (kind == NT_QEMU_HK) {
		snprintf(base, sizeof base, "proc/%d/task", owner);
		s.base = base;
		int r = kfs_list(s.root, base, scan_one, &s);
		*n = s.n;
		return r;
	}
	if (kind == NT_VHOST) {
		/* Linux 6.4+: vhost_task threads of QEMU itself */
		snprintf(base, sizeof base, "proc/%d/task", owner);
		s.base = base;
		int r = kfs_list(s.root, base, scan_one, &s);
		if (r)
			return r == -ENOENT ? -ENOENT : r;
		s.base = "proc";
		if (s.n) {
			*n = s.n;
			return 0;
		}
	}
	/* kthreads (netback; vhost before 6.4) are processes of their own */
	int r = kthreads(s.root);
	for (size_t i = 0; !r && i < kcache.n && s.n < max; i++) {
		char dir[32];
		if (!is_ours(kind, owner, kcache.comm[i]))
			continue;
		snprintf(dir, sizeof dir, "proc/%d", kcache.pid[i]);
		if (!read_thread(s.root, dir, kcache.pid[i], &s.v[s.n]))
			s.n++;
	}
	*n = s.n;
	return r;
}

int nt_rates(const struct nt_thread *prev, size_t np, const struct nt_thread *cur, size_t nc,
	     uint64_t dt_ns, double *cpu_max, double *delay_max, double *cpu_each)
{
	int any = 0;
	*cpu_max = *delay_max = 0;
	for (size_t i = 0; i < nc; i++) {
		if (cpu_each)
			cpu_each[i] = 0;
		for (size_t k = 0; k < np && dt_ns; k++) {
			if (prev[k].pid != cur[i].pid || prev[k].start != cur[i].start)
				continue;
			double run = cur[i].run_ns >= prev[k].run_ns ? (double)(cur[i].run_ns - prev[k].run_ns) : 0;
			double wait = cur[i].wait_ns >= prev[k].wait_ns ? (double)(cur[i].wait_ns - prev[k].wait_ns) : 0;
			double c = 100.0 * run / (double)dt_ns, d = 100.0 * wait / (double)dt_ns;
			c = c > 100 ? 100 : c;
			d = d > 100 ? 100 : d;
			if (cpu_each)
				cpu_each[i] = c;
			if (c > *cpu_max)
				*cpu_max = c;
			if (d > *delay_max)
				*delay_max = d;
			any = 1;
		}
	}
	return any ? 0 : -EAGAIN;
}

struct cmdscan {
	const char *root, *name;
	int pid;
};

static int cmd_one(const char *name, void *arg)
{
	struct cmdscan *c = arg;
	char p[48], want[96], *text = NULL;
	size_t len = 0;
	int pid = pid_of(name);
	if (c->pid > 0 || !pid)
		return 0;
	snprintf(p, sizeof p, "proc/%s/cmdline", name);
	if (kfs_read_alloc(c->root, p, &text, &len))
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!text[i])
			text[i] = ' ';
	snprintf(want, sizeof want, "guest=%s,", c->name);
	if (strstr(text, want))
		c->pid = pid;
	free(text);
	return 0;
}

int nt_qemu_pid(const char *root, const char *name, int *pid)
{
	char p[160], buf[32];
	uint64_t v;
	const char *r = is_live(root) ? "/" : root;
	if (!name || !*name || strchr(name, '/') || !pid)
		return -EINVAL;
	snprintf(p, sizeof p, "run/libvirt/qemu/%s.pid", name);
	if (!kfs_read_str(r, p, buf, sizeof buf) && !parse_u64(buf, &v) && v > 0 && v < 1u << 22) {
		*pid = (int)v;
		return 0;
	}
	struct cmdscan c = { r, name, 0 };
	kfs_list(r, "proc", cmd_one, &c);
	if (!c.pid)
		return -ENOENT;
	*pid = c.pid;
	return 0;
}

void nt_target(const struct nt_thread *t, char *buf, size_t n)
{
	snprintf(buf, n, "%d:%llu", t->pid, (unsigned long long)t->start);
}

/* ---- the "task_affinity" knob kind ---- */

static int parse_target(const char *target, int *pid, uint64_t *start)
{
	uint64_t p;
	const char *c = target ? strchr(target, ':') : NULL;
	if (!c || c == target || (size_t)(c - target) > 10)
		return -EINVAL;
	for (const char *s = target; s < c; s++)
		if (!isdigit((unsigned char)*s))
			return -EINVAL;
	if (!all_digits(c + 1) || strlen(c + 1) > 20 || parse_u64_n(target, (size_t)(c - target), &p) ||
	    p == 0 || p >= 1u << 22 || parse_u64(c + 1, start))
		return -EINVAL;
	*pid = (int)p;
	return 0;
}

/* The thread is still the one journaled (same start time and comm)? */
static int same_thread(const char *root, int pid, uint64_t start, const char *comm)
{
	char dir[32];
	struct nt_thread t;
	snprintf(dir, sizeof dir, "proc/%d", pid);
	if (read_thread(is_live(root) ? "/" : root, dir, pid, &t))
		return -ESRCH;
	return t.start == start && (!comm || !strncmp(t.comm, comm, 15)) ? 0 : -ESRCH;
}

static int aff_check(void *ctx, const char *target, const char *key, const char *value,
		     char *why, size_t n)
{
	(void)ctx;
	int pid;
	uint64_t start;
	uint8_t map[1024 / 8];
	if (parse_target(target, &pid, &start)) {
		snprintf(why, n, "target must be PID:STARTTIME");
		return -EINVAL;
	}
	if (!key || !*key || strlen(key) > 15) {
		snprintf(why, n, "key must be the thread's name");
		return -EINVAL;
	}
	if (cpulist_parse(value, map, sizeof map, 1024)) {
		snprintf(why, n, "'%s' is not a CPU list", value ? value : "");
		return -EINVAL;
	}
	return 0;
}

static int aff_read(void *ctx, const char *root, const char *target, const char *key, char *buf,
		    size_t n)
{
	(void)ctx;
	int pid;
	uint64_t start;
	if (parse_target(target, &pid, &start))
		return -EINVAL;
	int r = same_thread(root, pid, start, key);
	if (r)
		return r;
	if (!is_live(root)) {
		char p[48], *text = NULL, *line;
		size_t len;
		snprintf(p, sizeof p, "proc/%d/status", pid);
		if ((r = kfs_read_alloc(root, p, &text, &len)))
			return r;
		r = -ENOENT;
		for (char *cur = text; (line = parse_next_line(&cur));)
			if (!strncmp(line, "Cpus_allowed_list:", 18)) {
				char *v = line + 18;
				while (*v == ' ' || *v == '\t')
					v++;
				snprintf(buf, n, "%s", v);
				r = 0;
			}
		free(text);
		return r;
	}
	cpu_set_t set;
	uint8_t map[1024 / 8] = { 0 };
	if (sched_getaffinity(pid, sizeof set, &set) < 0)
		return -errno;
	for (int c = 0; c < 1024 && c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &set))
			map[c / 8] |= (uint8_t)(1u << (c % 8));
	int nc = 0;
	for (int c = 0; c < 1024; c++)
		if (map[c / 8] >> (c % 8) & 1)
			nc = c + 1;
	return cpulist_format(map, nc, buf, n);
}

static int aff_write(void *ctx, const char *root, const char *target, const char *key,
		     const char *value)
{
	char why[64];
	int pid;
	uint64_t start;
	uint8_t map[1024 / 8];
	int r = aff_check(ctx, target, key, value, why, sizeof why);
	if (r)
		return r;
	parse_target(target, &pid, &start);
	if ((r = same_thread(root, pid, start, key)))
		return r;
	if (!is_live(root))
		return -EROFS;
	cpulist_parse(value, map, sizeof map, 1024);
	cpu_set_t set;
	CPU_ZERO(&set);
	for (int c = 0; c < 1024 && c < CPU_SETSIZE; c++)
		if (map[c / 8] >> (c % 8) & 1)
			CPU_SET(c, &set);
	return sched_setaffinity(pid, sizeof set, &set) < 0 ? -errno : 0;
}

const struct knob_ops nt_affinity_ops = {
	.kind = "task_affinity",
	.read = aff_read,
	.write = aff_write,
	.check = aff_check,
};
