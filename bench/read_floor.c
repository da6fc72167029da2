/* SPDX-License-Identifier: GPL-2.0-or-later */
/* read_floor: the kernel's share of a sample, as a floor for the agent's
 * CPU per sample. It makes the reads a sample makes (a plan taken from a
 * trace of bench/sample_cost, bench/agent-cost) and nothing else: no
 * parsing, no rates, no JSON. Timed as sample_cost times the agent.
 * Plan lines, RATE = passes per sample:
 *   pread RATE CALLS SIZE PATH  kept descriptor, CALLS preads of SIZE bytes
 *                           from offset 0 (or fewer: up to the end of the
 *                           file; SIZE as the agent asks: a sysctl's read
 *                           allocates that much in the kernel)
 *   open RATE SIZE PATH     open, read to the end in SIZE reads, close (or
 *                           a failed open)
 *   dir RATE PATH           kept directory: lseek 0, getdents64 to the end
 *   kmsg RATE PATH          kept, non-blocking, from its end: read until EAGAIN
 *   diag RATE FAMILY STATES a TCP sock_diag dump, read up to its DONE
 *   route RATE              a non-blocking read of a link-event socket
 * Usage: read_floor N PLAN. Prints one line for people, one JSON object. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum kind { PREAD, OPEN, DIR_, KMSG, DIAG, ROUTE };

struct ent {
	enum kind k;
	double rate;
	int calls, fd, family;
	size_t size;
	unsigned states;
	char path[512];
};

#define MAX_ENT 4096
static struct ent ent[MAX_ENT];
static int nent;
static char buf[1 << 16] __attribute__((aligned(8)));

static const struct {
	const char *name;
	enum kind k;
} kinds[] = {
	{ "pread", PREAD }, { "open", OPEN }, { "dir", DIR_ },
	{ "kmsg", KMSG }, { "diag", DIAG }, { "route", ROUTE },
};

static int load(const char *file)
{
	FILE *f = fopen(file, "r");
	char line[700], kw[16];
	if (!f)
		return -errno;
	while (fgets(line, sizeof line, f) && nent < MAX_ENT) {
		struct ent *e = &ent[nent];
		memset(e, 0, sizeof *e);
		e->fd = -1;
		if (sscanf(line, "%15s %lf", kw, &e->rate) != 2)
			continue;
		size_t i;
		for (i = 0; i < sizeof kinds / sizeof *kinds; i++)
			if (!strcmp(kw, kinds[i].name))
				break;
		if (i == sizeof kinds / sizeof *kinds)
			continue;
		e->k = kinds[i].k;
		int ok;
		if (e->k == PREAD)
			ok = sscanf(line, "%*s %*f %d %zu %511s", &e->calls, &e->size, e->path) == 3;
		else if (e->k == OPEN)
			ok = sscanf(line, "%*s %*f %zu %511s", &e->size, e->path) == 2;
		else if (e->k == DIAG)
			ok = sscanf(line, "%*s %*f %d %u", &e->family, &e->states) == 2;
		else if (e->k == ROUTE)
			ok = 1;
		else
			ok = sscanf(line, "%*s %*f %511s", e->path) == 1;
		if (ok && e->size <= sizeof buf)
			nent++;
	}
	fclose(f);
	return 0;
}

/* Descriptors kept from pass to pass, opened before the loop. */
static void prepare(void)
{
	for (int i = 0; i < nent; i++) {
		struct ent *e = &ent[i];
		if (e->k == PREAD)
			e->fd = open(e->path, O_RDONLY | O_CLOEXEC);
		else if (e->k == DIR_)
			e->fd = open(e->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		else if (e->k == KMSG) {
			e->fd = open(e->path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
			if (e->fd >= 0)
				lseek(e->fd, 0, SEEK_END);
		} else if (e->k == DIAG)
			e->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
		else if (e->k == ROUTE) {
			struct sockaddr_nl a = { .nl_family = AF_NETLINK, .nl_groups = RTMGRP_LINK };
			e->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
			if (e->fd >= 0 && bind(e->fd, (struct sockaddr *)&a, sizeof a)) {
				close(e->fd);
				e->fd = -1;
			}
		}
	}
}

static void diag(struct ent *e, unsigned seq)
{
	struct {
		struct nlmsghdr h;
		struct inet_diag_req_v2 r;
	} req;
	memset(&req, 0, sizeof req);
	req.h.nlmsg_len = sizeof req;
	req.h.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.h.nlmsg_seq = seq;
	req.r.sdiag_family = (unsigned char)e->family;
	req.r.sdiag_protocol = IPPROTO_TCP;
	req.r.idiag_states = e->states;
	struct sockaddr_nl k = { .nl_family = AF_NETLINK };
	if (sendto(e->fd, &req, sizeof req, 0, (struct sockaddr *)&k, sizeof k) < 0)
		return;
	for (;;) {
		ssize_t n = recv(e->fd, buf, 16384, MSG_TRUNC);
		if (n <= 0)
			return;
		/* only the message types, to find the end */
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n);
		     h = NLMSG_NEXT(h, n))
			if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR)
				return;
	}
}

static void pass(struct ent *e, unsigned seq)
{
	ssize_t n;
	switch (e->k) {
	case PREAD: {
		off_t off = 0;
		for (int c = 0; c < e->calls && e->fd >= 0; c++) {
			if ((n = pread(e->fd, buf, e->size, off)) <= 0)
				break;
			off += n;
		}
		break;
	}
	case OPEN: {
		int fd = open(e->path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			break;
		while (read(fd, buf, e->size) > 0)
			;
		close(fd);
		break;
	}
	case DIR_:
		if (e->fd < 0 || lseek(e->fd, 0, SEEK_SET) < 0)
			break;
		while (getdents64(e->fd, buf, sizeof buf) > 0)
			;
		break;
	case KMSG:
		while (e->fd >= 0 && read(e->fd, buf, sizeof buf) > 0)
			;
		break;
	case DIAG:
		if (e->fd >= 0)
			diag(e, seq);
		break;
	case ROUTE:
		if (e->fd >= 0)
			(void)!recv(e->fd, buf, 4096, MSG_TRUNC | MSG_DONTWAIT);
		break;
	}
}

static double thread_us(void)
{
	struct timespec t;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static void cpu_us(double *user, double *sys)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	*user = ru.ru_utime.tv_sec * 1e6 + ru.ru_utime.tv_usec;
	*sys = ru.ru_stime.tv_sec * 1e6 + ru.ru_stime.tv_usec;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	int n = argc > 2 ? atoi(argv[1]) : 0;
	if (n < 1 || n > 1000000 || load(argv[2])) {
		fprintf(stderr, "usage: read_floor N PLAN\n");
		return 1;
	}
	double *us = malloc((size_t)n * sizeof *us), u0, s0, u1, s1, per = 0;
	if (!us)
		return 1;
	prepare();
	for (int i = 0; i < nent; i++)
		per += ent[i].rate;
	cpu_us(&u0, &s0);
	for (int i = 0; i < n; i++) {
		double t0 = thread_us();
		/* entry j is read at sample i as often as floor(i * rate)
		 * steps: its rate, spread evenly */
		for (int j = 0; j < nent; j++)
			for (long k = (long)(i * ent[j].rate + 1e-9);
			     k < (long)((i + 1) * ent[j].rate + 1e-9); k++)
				pass(&ent[j], (unsigned)i + 1);
		us[i] = thread_us() - t0;
	}
	cpu_us(&u1, &s1);
	double sum = 0;
	for (int i = 0; i < n; i++)
		sum += us[i];
	qsort(us, (size_t)n, sizeof *us, cmp);
	double med = n % 2 ? us[n / 2] : (us[n / 2 - 1] + us[n / 2]) / 2;
	printf("read_floor: %d samples of %d plan entries (%.1f passes per sample), "
	       "%.1f us CPU per sample (user %.1f + sys %.1f), median %.1f us\n",
	       n, nent, per, (u1 - u0 + s1 - s0) / n, (u1 - u0) / n, (s1 - s0) / n, med);
	printf("{\"samples\": %d, \"entries\": %d, \"passes\": %.3f, \"cpu_us\": %.3f, "
	       "\"user_us\": %.3f, \"sys_us\": %.3f, \"median_us\": %.3f}\n",
	       n, nent, per, sum / n, (u1 - u0) / n, (s1 - s0) / n, med);
	free(us);
	return 0;
}
