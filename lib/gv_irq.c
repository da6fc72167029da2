/* SPDX-License-Identifier: GPL-2.0-or-later */
/* gv_irq: /proc/interrupts read for NIC receive-queue lines, per CPU. */
#include "gv_irq.h"
#include "kfs.h"
#include "parse.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_IFNAMES 64

__attribute__((format(printf, 3, 4)))
static int fail(char *err, size_t n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* Does s contain w, ignoring case? */
static int has_ci(const char *s, const char *w)
{
	size_t lw = strlen(w);
	for (; *s; s++)
		if (!strncasecmp(s, w, lw))
			return 1;
	return 0;
}

/* "virtioN-input.M" (N, M decimal): a virtio-net receive queue. */
static int virtio_input(const char *s)
{
	if (strncmp(s, "virtio", 6))
		return 0;
	s += 6;
	if (!isdigit((unsigned char)*s))
		return 0;
	while (isdigit((unsigned char)*s))
		s++;
	if (strncmp(s, "-input.", 7))
		return 0;
	s += 7;
	if (!isdigit((unsigned char)*s))
		return 0;
	while (isdigit((unsigned char)*s))
		s++;
	return !*s;
}

/* What follows an interface's name in a line's name: nothing (one line
 * per device), or a queue suffix that is not transmit-only. */
static int queue_suffix(const char *rest)
{
	if (!*rest)
		return 1;
	if (*rest != '-')
		return 0;
	if (has_ci(rest, "rx"))
		return 1; /* -rx, -q0-rx, -TxRx-0, -Tx-Rx-0, -rxtx-0 */
	if (has_ci(rest, "tx") || has_ci(rest, "config") || has_ci(rest, "mgmnt") ||
	    has_ci(rest, "link") || has_ci(rest, "misc") || has_ci(rest, "event"))
		return 0;
	return 1; /* -0, -q3, -fp-1 */
}

int gv_irq_is_nic(const char *name, const char *const *ifnames, int n)
{
	static const char *const drivers[] = { "mlx5_comp", "mlx4-", "gve-ntfy-blk", NULL };
	if (!name || !*name)
		return 0;
	if (virtio_input(name))
		return 1;
	for (int i = 0; drivers[i]; i++)
		if (!strncmp(name, drivers[i], strlen(drivers[i])))
			return 1;
	for (int i = 0; i < n; i++) {
		const char *f = ifnames[i];
		size_t l = strlen(f);
		if (!l || !strcmp(f, "lo"))
			continue;
		/* the name at the start, or after a driver's "DRV-" prefix */
		for (const char *p = name; (p = strstr(p, f)); p++) {
			if (p != name && p[-1] != '-')
				continue;
			if (queue_suffix(p + l))
				return 1;
		}
	}
	return 0;
}

void gv_irqs_free(struct gv_irqs *irq)
{
	free(irq->cpu_id);
	free(irq->per_cpu);
	irq->cpu_id = NULL;
	irq->per_cpu = NULL;
	irq->ncpu = 0;
}

int gv_parse_interrupts(char *text, const char *const *ifnames, int nif,
			struct gv_irqs *irq, char *err, size_t n)
{
	char *cur = text, *line, **tok = NULL;
	int ncol = -1, r = 0, ln = 0;
	gv_irqs_free(irq);
	irq->nlines = irq->nlist = 0;
	tok = malloc((GV_MAX_CPUS + 16) * sizeof *tok);
	if (!tok)
		return -ENOMEM;
	while ((line = parse_next_line(&cur))) {
		ln++;
		int nt = parse_split(line, tok, GV_MAX_CPUS + 16);
		if (ncol < 0) {
			if (nt < 1 || nt > GV_MAX_CPUS || strncmp(tok[0], "CPU", 3)) {
				r = fail(err, n, "/proc/interrupts: bad header");
				goto out;
			}
			ncol = nt;
			irq->cpu_id = calloc((size_t)ncol, sizeof *irq->cpu_id);
			irq->per_cpu = calloc((size_t)ncol, sizeof *irq->per_cpu);
			if (!irq->cpu_id || !irq->per_cpu) {
				r = -ENOMEM;
				goto out;
			}
			irq->ncpu = ncol;
			for (int i = 0; i < ncol; i++) {
				uint64_t id;
				if (strncmp(tok[i], "CPU", 3) || parse_u64(tok[i] + 3, &id) ||
				    id >= GV_MAX_CPUS) {
					r = fail(err, n, "/proc/interrupts: bad header column '%.16s'", tok[i]);
					goto out;
				}
				irq->cpu_id[i] = (int)id;
			}
			continue;
		}
		if (nt == 0)
			continue;
		size_t l0 = strlen(tok[0]);
		if (l0 < 2 || tok[0][l0 - 1] != ':') {
			r = fail(err, n, "/proc/interrupts: line %d: no 'N:' label", ln);
			goto out;
		}
		tok[0][l0 - 1] = '\0';
		uint64_t num;
		if (parse_u64(tok[0], &num))
			continue; /* NMI:, LOC:, ERR: ... : not device lines */
		if (num > 1u << 30) {
			r = fail(err, n, "/proc/interrupts: line %d: IRQ %s out of range", ln, tok[0]);
			goto out;
		}
		/* a numbered line: ncol counts, then the chip, ..., the name */
		if (nt < ncol + 2) {
			r = fail(err, n, "/proc/interrupts: IRQ %s has %d fields for %d CPUs", tok[0],
				 nt - 1, ncol);
			goto out;
		}
		const char *name = tok[nt - 1];
		int nic = gv_irq_is_nic(name, ifnames, nif);
		uint64_t total = 0;
		for (int i = 0; i < ncol; i++) {
			uint64_t v;
			if (parse_u64(tok[i + 1], &v)) {
				r = fail(err, n, "/proc/interrupts: IRQ %s: '%.20s' is not a count",
					 tok[0], tok[i + 1]);
				goto out;
			}
			if (nic) {
				irq->per_cpu[i] += v;
				total += v;
			}
		}
		if (!nic)
			continue;
		irq->nlines++;
		if (irq->nlist < GV_MAX_NIC_IRQS) {
			struct gv_irq_line *x = &irq->lines[irq->nlist++];
			x->irq = (int)num;
			snprintf(x->name, sizeof x->name, "%s", name);
			x->total = total;
		}
	}
	if (ncol < 0)
		r = fail(err, n, "/proc/interrupts: empty");
	else
		irq->present = 1;
out:
	free(tok);
	if (r)
		gv_irqs_free(irq);
	return r;
}

struct names {
	char v[MAX_IFNAMES][16];
	const char *p[MAX_IFNAMES];
	int n;
};

static int add_name(const char *name, void *arg)
{
	struct names *x = arg;
	if (x->n < MAX_IFNAMES && strlen(name) < sizeof x->v[0] && strcmp(name, "lo")) {
		strcpy(x->v[x->n], name);
		x->p[x->n] = x->v[x->n];
		x->n++;
	}
	return 0;
}

int gv_irq_read(const char *root, struct gv_irqs *irq, char *err, size_t n)
{
	struct names nm = { .n = 0 };
	char *text = NULL;
	size_t len;
	kfs_list(root, "sys/class/net", add_name, &nm);
	int r = kfs_read_alloc(root, "proc/interrupts", &text, &len);
	if (r == -ENOENT) {
		irq->present = 0;
		return 0;
	}
	if (r) {
		snprintf(err, n, "proc/interrupts: %s", strerror(-r));
		return r;
	}
	if (len && text[len - 1] != '\n')
		r = fail(err, n, "proc/interrupts: truncated (no final newline)");
	else
		r = gv_parse_interrupts(text, nm.p, nm.n, irq, err, n);
	free(text);
	return r;
}

/* irqbalance's socket run/irqbalance/irqbalancePID.sock of a live process. */
static int ib_sock(const char *name, void *arg)
{
	const char *root = arg;
	char path[64], comm[32];
	const char *e;
	uint64_t pid;
	if (strncmp(name, "irqbalance", 10) || parse_u64_prefix(name + 10, &e, &pid) ||
	    strncmp(e, ".sock", 5) || pid > UINT32_MAX)
		return 0;
	snprintf(path, sizeof path, "proc/%llu/comm", (unsigned long long)pid);
	return !kfs_read_str(root, path, comm, sizeof comm) && !strcmp(comm, "irqbalance");
}

int gv_irqbalance_running(const char *root)
{
	return kfs_list(root, "run/irqbalance", ib_sock, (void *)root) == 1;
}

struct gv_irqkeep {
	int valid;
	uint64_t at_ns;
	int ncpu;
	int *cpu_id;
	int nlines, nlist;
	struct gv_irq_line lines[GV_MAX_NIC_IRQS];
};

void gv_irqkeep_forget(struct gv_irqkeep *k)
{
	if (k)
		k->valid = 0;
}

struct gv_irqkeep *gv_irqkeep_new(void)
{
	return calloc(1, sizeof(struct gv_irqkeep));
}

void gv_irqkeep_free(struct gv_irqkeep *k)
{
	if (!k)
		return;
	free(k->cpu_id);
	free(k);
}

void gv_irqkeep_set(struct gv_irqkeep *k, const struct gv_irqs *irq, uint64_t now_ns)
{
	free(k->cpu_id);
	k->cpu_id = NULL;
	k->valid = 0;
	/* every line must be in the list: past GV_MAX_NIC_IRQS read the whole file */
	if (!irq->present || irq->nlines > irq->nlist)
		return;
	k->cpu_id = malloc(((size_t)irq->ncpu + 1) * sizeof *k->cpu_id);
	if (!k->cpu_id)
		return;
	memcpy(k->cpu_id, irq->cpu_id, (size_t)irq->ncpu * sizeof *k->cpu_id);
	k->ncpu = irq->ncpu;
	k->nlines = irq->nlines;
	k->nlist = irq->nlist;
	memcpy(k->lines, irq->lines, sizeof k->lines);
	k->at_ns = now_ns;
	k->valid = 1;
}

int gv_irqkeep_read(struct gv_irqkeep *k, struct kfs_cache *c, const char *root,
		    uint64_t now_ns, struct gv_irqs *irq)
{
	if (!k->valid || now_ns < k->at_ns ||
	    (double)(now_ns - k->at_ns) >= GV_IRQ_RESCAN_S * 1e9)
		return -EAGAIN;
	gv_irqs_free(irq);
	irq->cpu_id = malloc(((size_t)k->ncpu + 1) * sizeof *irq->cpu_id);
	irq->per_cpu = calloc((size_t)k->ncpu + 1, sizeof *irq->per_cpu);
	if (!irq->cpu_id || !irq->per_cpu) {
		gv_irqs_free(irq);
		return -ENOMEM;
	}
	memcpy(irq->cpu_id, k->cpu_id, (size_t)k->ncpu * sizeof *irq->cpu_id);
	irq->ncpu = k->ncpu;
	irq->nlines = k->nlines;
	irq->nlist = k->nlist;
	for (int i = 0; i < k->nlist; i++) {
		/* "c0,c1,...": a count per possible CPU, by CPU number */
		char path[64], buf[GV_MAX_CPUS * 4];
		const char *p;
		irq->lines[i] = k->lines[i];
		irq->lines[i].total = 0;
		snprintf(path, sizeof path, "sys/kernel/irq/%d/per_cpu_count", k->lines[i].irq);
		int r = kfs_cache_read_str(c, root, path, buf, sizeof buf);
		if (r) {
			gv_irqs_free(irq);
			k->valid = 0;
			return r;
		}
		p = buf;
		for (int cpu = 0; *p; cpu++) {
			const char *e;
			uint64_t v;
			if (parse_u64_prefix(p, &e, &v) || (*e && *e != ',')) {
				gv_irqs_free(irq);
				k->valid = 0;
				return -EINVAL;
			}
			for (int col = 0; col < irq->ncpu; col++)
				if (irq->cpu_id[col] == cpu) {
					irq->per_cpu[col] += v;
					irq->lines[i].total += v;
				}
			p = *e ? e + 1 : e;
		}
	}
	irq->present = 1;
	return 0;
}

void gv_irq_rates(const struct gv_irqs *a, const struct gv_irqs *b, double secs,
		  double *rate, double *sum, int *hot, double *hot_share, int *cpus)
{
	double s = 0, max = 0;
	*hot = -1;
	*cpus = 0;
	for (int i = 0; i < b->ncpu; i++) {
		rate[i] = 0;
		for (int j = 0; j < a->ncpu; j++) {
			if (a->cpu_id[j] != b->cpu_id[i])
				continue;
			if (b->per_cpu[i] > a->per_cpu[j])
				rate[i] = (double)(b->per_cpu[i] - a->per_cpu[j]) / secs;
			break;
		}
		s += rate[i];
		if (rate[i] > 0)
			(*cpus)++;
		if (rate[i] > max) {
			max = rate[i];
			*hot = i;
		}
	}
	*sum = s;
	*hot_share = s > 0 ? 100.0 * max / s : 0;
}
