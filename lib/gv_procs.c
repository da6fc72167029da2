/* SPDX-License-Identifier: GPL-2.0-or-later */
/* gv_procs: listeners' processes (a bounded, scheduled walk of /proc) and
 * their descriptors against RLIMIT_NOFILE. */
#include "gv_procs.h"
#include "budget.h"
#include "gv_irq.h"
#include "kfs.h"
#include "log.h"
#include "parse.h"
#include "vclock.h"
#include "vec.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAP_MAX GV_MAX_LISTENERS

struct kept_count {
	int pid;
	uint64_t fds, at_ns;
};

struct gv_procs_sched {
	struct budget budget;
	/* listener inode -> pid, from walks */
	int nmap;
	uint32_t inode[MAP_MAX];
	int pid[MAP_MAX];
	uint64_t mapped_ns;	 /* when the last walk ended (0: never) */
	int cursor;		 /* the walk in progress goes on after this pid */
	uint64_t walk_ns;	 /* when the last walk (part) ran */
	uint64_t walk_cost_ns;
	int irqbalance;		 /* seen by the last whole walk: 1, 0; -1 none yet */
	int irqbalance_part;	 /* seen in the walk in progress */
	uint64_t scans, cpu_ns;
	struct kept_count cnt[GV_MAX_PROCS];
	uint64_t count_cost_ns;
	/* the last figures read, the processes they are for, and when */
	struct gv_procs last;
	int last_ib;
	uint64_t last_ns;
	int nlast;
	uint32_t last_ino[MAP_MAX];
	int last_pid[MAP_MAX];
};

struct gv_procs_sched *gv_procs_sched_new(void)
{
	struct gv_procs_sched *ps = calloc(1, sizeof *ps);
	if (!ps)
		return NULL;
	budget_init(&ps->budget, GV_PROCS_BUDGET_PCT / 100.0, 60ull * 1000000000ull);
	ps->irqbalance = -1;
	return ps;
}

void gv_procs_sched_free(struct gv_procs_sched *ps)
{
	free(ps);
}

__attribute__((format(printf, 3, 4)))
static int fail(char *err, size_t n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int limit_value(const char *s, uint64_t *v)
{
	if (!strcmp(s, "unlimited")) {
		*v = UINT64_MAX;
		return 0;
	}
	return parse_u64(s, v);
}

int gv_parse_limits(char *text, uint64_t *soft, uint64_t *hard, char *err, size_t n)
{
	char *cur = text, *line, *tok[8];
	while ((line = parse_next_line(&cur))) {
		if (strncmp(line, "Max open files ", 15))
			continue;
		int nt = parse_split(line + 15, tok, 8);
		if (nt != 3 || limit_value(tok[0], soft) || limit_value(tok[1], hard) ||
		    strcmp(tok[2], "files") || *soft > *hard)
			return fail(err, n, "limits: bad 'Max open files' line");
		return 0;
	}
	return fail(err, n, "limits: no 'Max open files' line");
}

static int count_one(const char *name, void *arg)
{
	(void)name;
	(*(uint64_t *)arg)++;
	return 0;
}

static int is_pid(const char *s, int *pid)
{
	uint64_t v;
	if (!*s || *s < '1' || *s > '9' || parse_u64(s, &v) || v > INT_MAX)
		return 0;
	*pid = (int)v;
	return 1;
}

/* limits, comm and FDSize of pid (fds: the table size, an upper bound). */
static int proc_basics(const char *root, int pid, struct gv_proc *p)
{
	char path[64], err[96], *text = NULL, *line, *cur;
	size_t len;
	memset(p, 0, sizeof *p);
	p->pid = pid;
	snprintf(path, sizeof path, "proc/%d/limits", pid);
	int r = kfs_read_alloc(root, path, &text, &len);
	if (r)
		return r;
	r = gv_parse_limits(text, &p->soft, &p->hard, err, sizeof err);
	free(text);
	if (r)
		return r;
	snprintf(path, sizeof path, "proc/%d/comm", pid);
	if (kfs_read_str(root, path, p->comm, sizeof p->comm))
		snprintf(p->comm, sizeof p->comm, "?");
	for (char *c = p->comm; *c; c++)
		if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f)
			*c = '?';
	snprintf(path, sizeof path, "proc/%d/status", pid);
	if (kfs_read_alloc(root, path, &text, &len))
		return 0; /* no bound: counted */
	p->fds_bound = 0;
	for (cur = text; (line = parse_next_line(&cur));) {
		uint64_t v;
		char *tok[3];
		if (strncmp(line, "FDSize:", 7))
			continue;
		if (parse_split(line + 7, tok, 3) == 1 && !parse_u64(tok[0], &v)) {
			p->fds = v;
			p->fds_bound = 1;
		}
		break;
	}
	free(text);
	return 0;
}

static int count_fds(const char *root, int pid, uint64_t *n)
{
	char path[64];
	snprintf(path, sizeof path, "proc/%d/fd", pid);
	*n = 0;
	return kfs_list(root, path, count_one, n);
}

int gv_proc_read(const char *root, int pid, struct gv_proc *p)
{
	int r = proc_basics(root, pid, p);
	if (r)
		return r;
	r = count_fds(root, pid, &p->fds);
	p->fds_bound = 0;
	return r;
}

/* ---- the walk ---- */

struct pidlist {
	int *v;
	size_t n, cap;
};

static int add_pid(const char *name, void *arg)
{
	struct pidlist *l = arg;
	int pid;
	if (!is_pid(name, &pid))
		return 0;
	return VEC_PUSH(l->v, l->n, l->cap, pid);
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

struct fdwalk {
	const char *root;
	int pid;
	const uint32_t *inodes;
	int n;
	int *pids;
	uint64_t seen, max;
};

static int look_fd(const char *name, void *arg)
{
	struct fdwalk *w = arg;
	char rel[80], path[600], link[64];
	const char *e;
	uint64_t ino;
	if (w->seen >= w->max)
		return 1;
	w->seen++;
	snprintf(rel, sizeof rel, "proc/%d/fd/%s", w->pid, name);
	if (kfs_path(w->root, rel, path, sizeof path))
		return 0;
	ssize_t l = readlink(path, link, sizeof link - 1);
	if (l <= 0)
		return 0;
	link[l] = '\0';
	if (strncmp(link, "socket:[", 8) || parse_u64_prefix(link + 8, &e, &ino) || *e != ']')
		return 0;
	for (int i = 0; i < w->n; i++)
		if (w->inodes[i] == ino && !w->pids[i])
			w->pids[i] = w->pid;
	return 0;
}

int gv_procs_walk(const char *root, const uint32_t *inodes, int n, int *pids,
		  int *cursor, uint64_t max_fds, int *irqbalance)
{
	struct pidlist l = { 0 };
	int r = kfs_list(root, "proc", add_pid, &l);
	if (r) {
		free(l.v);
		return r;
	}
	if (l.n)
		qsort(l.v, l.n, sizeof *l.v, cmp_int);
	struct fdwalk w = { .root = root, .inodes = inodes, .n = n, .pids = pids, .max = max_fds };
	int last = 0, done = 1;
	for (size_t i = 0; i < l.n; i++) {
		if (l.v[i] <= *cursor)
			continue;
		if (w.seen >= w.max) {
			done = 0;
			break;
		}
		char path[64], comm[20];
		w.pid = l.v[i];
		snprintf(path, sizeof path, "proc/%d/comm", w.pid);
		if (irqbalance && !kfs_read_str(root, path, comm, sizeof comm) &&
		    !strcmp(comm, "irqbalance"))
			*irqbalance = 1;
		snprintf(path, sizeof path, "proc/%d/fd", w.pid);
		if (n)
			kfs_list(root, path, look_fd, &w); /* gone or not ours: skipped */
		last = w.pid;
		if (w.seen >= w.max) {
			done = i + 1 >= l.n;
			break;
		}
	}
	*cursor = done ? 0 : last;
	free(l.v);
	return 0;
}

/* ---- per reading ---- */

static int find_map(const struct gv_procs_sched *ps, uint32_t inode)
{
	for (int i = 0; i < ps->nmap; i++)
		if (ps->inode[i] == inode)
			return ps->pid[i];
	return 0;
}

/* The listeners' inodes, each once; their pid from the map. */
static int inodes_of(const struct gv_reading *r, uint32_t *ino, int *pid,
		     const struct gv_procs_sched *ps)
{
	int n = 0;
	for (int i = 0; i < r->nlisteners && n < MAP_MAX; i++) {
		uint32_t x = r->listeners[i].inode;
		int dup = 0;
		for (int k = 0; k < n && !dup; k++)
			dup = ino[k] == x;
		if (!x || dup)
			continue;
		ino[n] = x;
		pid[n] = ps ? find_map(ps, x) : 0;
		n++;
	}
	return n;
}

static void remember(struct gv_procs_sched *ps, const uint32_t *ino, const int *pid, int n)
{
	ps->nmap = 0;
	for (int i = 0; i < n && ps->nmap < MAP_MAX; i++) {
		if (!pid[i])
			continue;
		ps->inode[ps->nmap] = ino[i];
		ps->pid[ps->nmap++] = pid[i];
	}
}

static struct kept_count *kept(struct gv_procs_sched *ps, int pid)
{
	for (int i = 0; i < GV_MAX_PROCS; i++)
		if (ps->cnt[i].pid == pid)
			return &ps->cnt[i];
	return NULL;
}

/* The descriptors of p (its FDSize bound read): the bound while it is far
 * from the limit, else an exact count now (schedule permitting), else the
 * last count with its age. */
static void fds_of(struct gv_procs_sched *ps, const char *root, struct gv_proc *p,
		   uint64_t now, struct kept_count *fresh, int *nfresh)
{
	if (p->fds_bound && p->soft != UINT64_MAX &&
	    (double)p->fds < (double)p->soft * GV_PROCS_NEAR_PCT / 100.0)
		return; /* the table cannot hold enough to be near the limit */
	if (p->fds_bound && p->soft == UINT64_MAX)
		return;
	struct kept_count *k = ps ? kept(ps, p->pid) : NULL;
	int may = !ps || !k || (double)(now - k->at_ns) >= GV_PROCS_COUNT_PERIOD_S * 1e9;
	if (may && ps)
		may = budget_may_run(&ps->budget, now, ps->count_cost_ns);
	if (may) {
		uint64_t c0 = vclock_cpu_ns(), n;
		int e = count_fds(root, p->pid, &n);
		uint64_t cost = vclock_cpu_ns() - c0;
		if (ps) {
			budget_charge(&ps->budget, now, cost);
			ps->count_cost_ns = cost;
		}
		if (!e) {
			p->fds = n;
			p->fds_bound = 0;
			p->fds_age_s = 0;
			if (*nfresh < GV_MAX_PROCS)
				fresh[(*nfresh)++] = (struct kept_count){ p->pid, n, now };
			return;
		}
	}
	if (k) {
		p->fds = k->fds;
		p->fds_bound = 0;
		p->fds_age_s = (double)(now - k->at_ns) / 1e9;
		if (*nfresh < GV_MAX_PROCS)
			fresh[(*nfresh)++] = *k;
	}
}

/* The last figures again when the listeners and their processes are the
 * same and they are young enough: 1, else 0. */
static int reuse(struct gv_procs_sched *ps, struct gv_reading *r, const uint32_t *ino,
		 const int *pid, int n, uint64_t now)
{
	if (!ps->last_ns || (double)(now - ps->last_ns) >= GV_PROCS_READ_PERIOD_S * 1e9 ||
	    n != ps->nlast || ps->cursor)
		return 0;
	for (int i = 0; i < n; i++)
		if (!pid[i] || ino[i] != ps->last_ino[i] || pid[i] != ps->last_pid[i])
			return 0;
	double dt = (double)(now - ps->last_ns) / 1e9;
	r->procs = ps->last;
	for (int i = 0; i < r->procs.nproc; i++)
		if (!r->procs.p[i].fds_bound)
			r->procs.p[i].fds_age_s += dt;
	r->procs.map_age_s += dt;
	r->irq.irqbalance = ps->last_ib;
	for (int i = 0; i < r->nlisteners; i++) {
		struct gv_listener *l = &r->listeners[i];
		l->pid = 0;
		for (int k = 0; k < n; k++)
			if (ino[k] == l->inode)
				l->pid = pid[k];
	}
	return 1;
}

void gv_procs_fill(struct gv_procs_sched *ps, const char *root, struct gv_reading *r)
{
	struct gv_procs *o = &r->procs;
	uint32_t ino[MAP_MAX];
	int pid[MAP_MAX];
	uint64_t now = vclock_mono_ns();
	int n = inodes_of(r, ino, pid, ps), unmapped = 0;
	memset(o, 0, sizeof *o);
	if (ps && reuse(ps, r, ino, pid, n, now))
		return;
	for (int i = 0; i < n; i++) {
		char path[48];
		snprintf(path, sizeof path, "proc/%d", pid[i]);
		if (pid[i] && !kfs_exists(root, path))
			pid[i] = 0; /* gone */
		unmapped += !pid[i];
	}
	int ib = -1;
	if (!ps) {
		if (unmapped || n == 0) {
			int cur = 0;
			ib = 0;
			if (!gv_procs_walk(root, ino, n, pid, &cur, UINT64_MAX, &ib))
				o->known = 1;
		}
	} else {
		double since = ps->walk_ns ? (double)(now - ps->walk_ns) / 1e9 : 1e18;
		int want = (unmapped && since >= GV_PROCS_SCAN_PERIOD_S) || ps->cursor ||
			   since >= GV_PROCS_RESCAN_S;
		if (want && budget_may_run(&ps->budget, now, ps->walk_cost_ns)) {
			uint64_t c0 = vclock_cpu_ns();
			int start = ps->cursor;
			if (!start)
				ps->irqbalance_part = 0;
			int e = gv_procs_walk(root, ino, n, pid, &ps->cursor, GV_PROCS_SCAN_MAX,
					      &ps->irqbalance_part);
			uint64_t cost = vclock_cpu_ns() - c0;
			budget_charge(&ps->budget, now, cost);
			ps->walk_cost_ns = cost;
			ps->walk_ns = now;
			ps->scans++;
			ps->cpu_ns += cost;
			if (!e && !ps->cursor) {
				ps->mapped_ns = now;
				ps->irqbalance = ps->irqbalance_part;
			}
			log_debug("procs: /proc walk%s, %.2f ms of CPU (%llu walks, %.1f ms in all)",
				  ps->cursor ? " (part)" : "", (double)cost / 1e6,
				  (unsigned long long)ps->scans, (double)ps->cpu_ns / 1e6);
		}
		remember(ps, ino, pid, n);
		o->known = ps->mapped_ns != 0 || ps->nmap > 0;
		o->map_age_s = ps->mapped_ns ? (double)(now - ps->mapped_ns) / 1e9 : 0;
		o->scans = ps->scans;
		o->scan_cpu_ns = ps->cpu_ns;
		ib = ps->irqbalance;
	}
	if (gv_irqbalance_running(root))
		ib = 1;
	r->irq.irqbalance = ib;

	/* the listeners' pids, and their processes */
	struct kept_count fresh[GV_MAX_PROCS];
	int nfresh = 0;
	o->unmapped = 0;
	for (int i = 0; i < r->nlisteners; i++) {
		struct gv_listener *l = &r->listeners[i];
		l->pid = 0;
		for (int k = 0; k < n; k++)
			if (ino[k] == l->inode)
				l->pid = pid[k];
		if (!l->pid) {
			o->unmapped++;
			continue;
		}
		int k;
		for (k = 0; k < o->nproc && o->p[k].pid != l->pid; k++)
			;
		if (k == o->nproc) {
			if (o->nproc == GV_MAX_PROCS)
				continue;
			if (proc_basics(root, l->pid, &o->p[k]))
				continue;
			fds_of(ps, root, &o->p[k], now, fresh, &nfresh);
			o->nproc++;
		}
		o->p[k].listeners++;
	}
	if (ps) {
		memset(ps->cnt, 0, sizeof ps->cnt);
		memcpy(ps->cnt, fresh, sizeof fresh[0] * (size_t)nfresh);
		ps->last = *o;
		ps->last_ib = r->irq.irqbalance;
		ps->last_ns = now ? now : 1;
		ps->nlast = n;
		memcpy(ps->last_ino, ino, (size_t)n * sizeof *ino);
		memcpy(ps->last_pid, pid, (size_t)n * sizeof *pid);
	}
}
